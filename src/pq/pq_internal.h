/*
 * Internals of the libpq connector (ratls/pq.h): keywords and settings, the
 * connection string splitter, verifier backends, the verification cache,
 * the upstream TLS client, the PostgreSQL wire messages the forwarder
 * speaks, the byte bridge, sessions and the listener that the connector
 * and the proxy share.
 *
 * Threads: a listener accepts in its own loop (the connector's thread, or
 * the caller of ratls_pq_proxy_run) and starts one thread per accepted
 * connection. Blocking sockets with poll() and one thread per connection
 * keep every step (connect, handshake, verification, bridge) a plain
 * sequence of calls that ends with the connection, and the verification
 * (which may fetch collateral for seconds) blocks only its own connection.
 * A PostgreSQL client holds few connections, and a proxy's thread count is
 * bounded by max_connections.
 */
#ifndef RATLS_PQ_INTERNAL_H
#define RATLS_PQ_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "ratls/attest.h"
#include "ratls/pcs.h"
#include "ratls/policy.h"
#include "ratls/pq.h"

/* ---- keywords and settings (options.c) ---- */

enum pq_kw {
	PQ_KW_VERIFIER = 0,
	PQ_KW_COLLATERAL,
	PQ_KW_PCCS_URL,
	PQ_KW_TRUST_ROOT,
	PQ_KW_ITA_URL,
	PQ_KW_ITA_JWKS_URL,
	PQ_KW_ITA_REGION,
	PQ_KW_ITA_API_KEY,
	PQ_KW_MRTD,
	PQ_KW_RTMR0,
	PQ_KW_RTMR1,
	PQ_KW_RTMR2,
	PQ_KW_RTMR3,
	PQ_KW_COMPOSE_HASH,
	PQ_KW_APP_ID,
	PQ_KW_OS_IMAGE_HASH,
	PQ_KW_TCB_STATUS,
	PQ_KW_ALLOW_DEBUG,
	PQ_KW_ALLOW_SIMULATOR,
	PQ_KW_CACHE_TTL,
	PQ_KW_CLIENT_CERT,
	PQ_KW_CLIENT_CERT_FILE,
	PQ_KW_CLIENT_KEY_FILE,
	PQ_KW_DSTACK_SOCKET,
	PQ_KW_CONNECT_TIMEOUT,
	PQ_KW_TEESQL_CREDENTIALS,
	PQ_KW_COUNT
};

/* Keyword flags. */
#define PQ_KW_POLICY 0x01u    /* part of the policy identity of the cache key */
#define PQ_KW_BACKEND 0x02u   /* selects the verifier backend (also part of the identity) */
#define PQ_KW_TLS 0x04u       /* selects the client certificate */
#define PQ_KW_WEAKENS 0x08u   /* weakens a check; a warning is logged whenever it takes effect */
#define PQ_KW_SECRET 0x10u    /* never read from a connection string; wiped when freed */

struct pq_keyword {
	const char *name;          /* without the prefix: "mrtd" */
	const char *env;           /* environment variable: "RATLS_MRTD" */
	const char *default_value; /* NULL: unset */
	unsigned flags;
	/* Checks a value; returns RATLS_OK or RATLS_ERR_INVALID_ARGUMENT naming where it came from. */
	int (*check)(const char *value, const char *origin, struct ratls_detail *detail);
};

extern const struct pq_keyword pq_keywords[PQ_KW_COUNT];

/* Returns the keyword of name (len bytes, no prefix), or -1. */
int pq_keyword_find(const char *name, size_t len);

/* Values by keyword; NULL means not set here. Strings are owned. */
struct pq_settings {
	char *value[PQ_KW_COUNT];
};

void pq_settings_clear(struct pq_settings *settings);

/*
 * Checks value (len bytes) and stores a copy; NULL value unsets. origin names
 * the source for messages ("connection string keyword ratls_mrtd").
 */
RATLS_MUST_CHECK int pq_settings_set(struct pq_settings *settings, enum pq_kw kw,
				     const char *value, size_t len, const char *origin,
				     struct ratls_detail *detail);

/* Copies every value set in src over dst. */
RATLS_MUST_CHECK int pq_settings_overlay(struct pq_settings *dst, const struct pq_settings *src,
					 struct ratls_detail *detail);

/* Reads the RATLS_* variables (and INTEL_TRUST_AUTHORITY_API_KEY) into settings. */
RATLS_MUST_CHECK int pq_settings_from_env(struct pq_settings *settings,
					  struct ratls_detail *detail);

/* Returns the value, else the keyword's default, else NULL. */
const char *pq_settings_get(const struct pq_settings *settings, enum pq_kw kw);

/* Boolean and integer forms of values that the check already accepted. */
bool pq_settings_bool(const struct pq_settings *settings, enum pq_kw kw);
int64_t pq_settings_int(const struct pq_settings *settings, enum pq_kw kw);

/* Splits a comma-separated list: *count items, trimmed, into out (views into value). */
struct pq_item {
	const char *text;
	size_t len;
};
/* Maximum items in one list value: the policy's own limit on MRTDs and identity values. */
#define PQ_LIST_MAX RATLS_POLICY_MRTDS_MAX
RATLS_MUST_CHECK int pq_split_list(const char *value, struct pq_item items[PQ_LIST_MAX],
				   size_t *count, const char *origin, struct ratls_detail *detail);

/* ---- the options object (options.c, backend.c, tls.c) ---- */

struct pq_counters {
	atomic_uint_fast64_t sessions;
	atomic_uint_fast64_t verifications;
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t failures;
	atomic_uint_fast64_t rejected_peers;
};

void pq_counters_read(struct pq_counters *counters, struct ratls_pq_stats *stats);

struct pq_backend;
struct pq_client_identity;

struct ratls_pq_options {
	atomic_uint refs;
	struct pq_settings settings;
	struct pq_counters counters;
	/* Guards the lists below, which grow as connections need new backends. */
	pthread_mutex_t lock;
	struct pq_backend *backends;
	size_t backend_count;
	struct pq_client_identity *identities;
	size_t identity_count;
};

void pq_options_ref(struct ratls_pq_options *options);
/* Drops a reference (ratls_pq_options_free). */
void pq_options_unref(struct ratls_pq_options *options);

/*
 * Maximum distinct verifier or client certificate configurations one
 * options object keeps. Connection strings normally share one, and each
 * distinct one keeps a collateral cache or a TLS context.
 */
#define PQ_RESOURCES_MAX 16

/* ---- connection strings (conninfo.c, credentials.c) ---- */

/* One ratls_ keyword found in a connection string. */
struct pq_pair {
	char *key;   /* without the prefix */
	char *value;
};

/*
 * Splits conninfo into the ratls_ keywords and the rest, which is returned
 * as a connection string of the same form for libpq (*clean, caller frees).
 * Key=value strings follow libpq's quoting rules; in the URI form the
 * ratls_ parameters are taken from the query and percent-decoded. Returns
 * RATLS_ERR_INVALID_ARGUMENT for a syntax error and RATLS_ERR_LIMIT_EXCEEDED
 * above RATLS_PQ_CONNINFO_MAX_LEN.
 */
RATLS_MUST_CHECK int pq_conninfo_split(const char *conninfo, char **clean, struct pq_pair **pairs,
				       size_t *pair_count, struct ratls_detail *detail);

void pq_pairs_free(struct pq_pair *pairs, size_t count);

/* The server to reach. */
struct pq_target {
	char host[RATLS_PQ_HOST_SIZE];     /* for SNI and messages; "" when only hostaddr is given */
	char hostaddr[RATLS_PQ_HOST_SIZE]; /* numeric address to connect to; "" resolves host */
	char port[RATLS_PQ_PORT_SIZE];
};

/* Writes "host:port" (or "hostaddr:port") for messages. */
void pq_target_describe(const struct pq_target *target, char *out, size_t size);

/* A parsed connection request. */
struct pq_request {
	struct pq_settings settings; /* effective: defaults, environment, options, connection string */
	struct pq_target target;
	/* libpq keywords and values for the local leg, without host, hostaddr, port and sslmode. */
	char **keywords;
	char **values;
	size_t param_count;
	/* libpq's connect_timeout (keyword or PGCONNECT_TIMEOUT), seconds; 0 when unset. */
	int libpq_connect_timeout;
};

/*
 * Parses conninfo (NULL is "") with options (may be NULL): splits it,
 * checks it with PQconninfoParse, merges the settings, finds the target
 * and, with teesql_credentials, checks the user and password. Returns
 * RATLS_ERR_INVALID_ARGUMENT with the reason; *out must be cleared in
 * every case.
 */
RATLS_MUST_CHECK int pq_request_parse(const char *conninfo, const struct ratls_pq_options *options,
				      struct pq_request *out, struct ratls_detail *detail);

void pq_request_clear(struct pq_request *request);

/*
 * The TeeSQL sidecar's credential rules, checked before any network I/O:
 * user teesql_read or teesql_readwrite, password 64 lowercase hex digits.
 * user and password may be NULL (absent). The messages are those of the
 * TeeSQL Rust client (sqlx-ra-tls), so users see the same text.
 */
RATLS_MUST_CHECK int pq_check_teesql_credentials(const char *user, const char *password,
						 struct ratls_detail *detail);

/* ---- verifier backends and policies (backend.c) ---- */

struct pq_backend {
	struct pq_backend *next;
	char *config;         /* the backend settings as text; the lookup key */
	uint8_t identity[32]; /* SHA-256 of config and of the trust root's DER */
	bool custom_root;     /* a trust root other than Intel's is configured */
	struct ratls_verifier verifier;
	struct ratls_dcap_context *context;
	struct ratls_pcs_provider *provider;
	struct ratls_ita_client *ita;
};

/*
 * Returns the backend for settings, creating and keeping it in options on
 * first use. Creating it loads and checks the collateral bundle, or creates
 * the PCS/PCCS provider or ITA client, which fetch nothing yet. The backend
 * lives as long as options.
 */
RATLS_MUST_CHECK int pq_backend_get(struct ratls_pq_options *options,
				    const struct pq_settings *settings,
				    const struct pq_backend **out, struct ratls_detail *detail);

void pq_backends_free(struct pq_backend *list);

/* Builds the policy of settings (caller frees with ratls_policy_free). */
RATLS_MUST_CHECK int pq_policy_build(const struct pq_settings *settings,
				     struct ratls_policy **out, struct ratls_detail *detail);

/*
 * Computes the SHA-256 over the backend identity and every policy setting,
 * the third part of the cache key. Returns false when the digest failed,
 * and the caller then bypasses the cache.
 */
bool pq_policy_identity(const struct pq_settings *settings, const struct pq_backend *backend,
			uint8_t out[32]);

/* Reads a certificate file (PEM or DER) into DER (caller frees). */
RATLS_MUST_CHECK int pq_read_cert_der(const char *path, const char *what, uint8_t **der,
				      size_t *der_size, struct ratls_detail *detail);

/* Reads a whole file of at most max_size bytes (caller frees; NUL-terminated). */
RATLS_MUST_CHECK int pq_read_file(const char *path, size_t max_size, const char *what,
				  uint8_t **data, size_t *size, struct ratls_detail *detail);

/* ---- the verification cache (cache.c) ---- */

struct pq_cache_key {
	uint8_t spki_sha256[32];
	uint8_t quote_sha256[32];
	uint8_t policy_sha256[32];
};

/*
 * Copies the entry of key into *out and returns true when it exists and
 * now is before its expiry; refreshes its last use.
 */
bool pq_cache_get(const struct pq_cache_key *key, int64_t now, struct ratls_pq_attestation *out);

/* Stores a success until expires_at, evicting expired then least recently used entries when full. */
void pq_cache_put(const struct pq_cache_key *key, const struct ratls_pq_attestation *value,
		  int64_t expires_at, int64_t now);

/* ---- verification of a captured leaf (verify.c) ---- */

/*
 * Runs the full check on a leaf certificate (DER) under settings, or takes
 * the result from the cache, and fills *out (host, port and TLS fields are
 * left to the caller). Counts into counters (options' and extra, which may
 * be NULL).
 */
RATLS_MUST_CHECK int pq_verify_leaf(struct ratls_pq_options *options,
				    const struct pq_settings *settings, const uint8_t *leaf,
				    size_t leaf_size, struct pq_counters *extra,
				    struct ratls_pq_attestation *out, struct ratls_detail *detail);

/* ---- the upstream TLS session (tls.c, dstack.c) ---- */

/* Maximum certificate list the server may send, the same bound as the sidecar's for clients. */
#define PQ_MAX_SERVER_CERT_LIST (256 * 1024)

struct pq_upstream {
	int fd;
	SSL *ssl;
	uint8_t *leaf; /* the server's leaf certificate, DER */
	size_t leaf_size;
	char tls_version[16];
	char tls_cipher[64];
};

/*
 * Connects to target over TCP and runs the TLS handshake (SNI = the host
 * name unless it is an address, ALPN "postgresql", the configured client
 * certificate), all within deadline_ms (monotonic milliseconds), and
 * captures the leaf. abort_fd (or -1) ends the wait early when readable.
 * Returns RATLS_ERR_NETWORK, RATLS_ERR_TIMEOUT, or the client certificate's
 * errors. *out must be closed with pq_upstream_close in every case.
 */
RATLS_MUST_CHECK int pq_upstream_open(struct ratls_pq_options *options,
				      const struct pq_settings *settings,
				      const struct pq_target *target, int64_t deadline_ms,
				      int abort_fd, struct pq_upstream *out,
				      struct ratls_detail *detail);

/*
 * Closes the session. With notify a close_notify alert is sent first (once,
 * without waiting); without it the server receives nothing more.
 */
void pq_upstream_close(struct pq_upstream *upstream, bool notify);

/* The client certificate and key for TLS, by the settings that select them. */
struct pq_client_identity {
	struct pq_client_identity *next;
	char *config;
	SSL_CTX *ctx;
	int64_t not_after; /* the certificate's expiry; 0 when no certificate */
};

void pq_identities_free(struct pq_client_identity *list);

/* The dstack guest agent's socket paths, in the order the dstack SDKs probe them. */
#define PQ_DSTACK_SOCKETS "/var/run/dstack.sock", "/run/dstack.sock", \
	"/var/run/dstack/dstack.sock", "/run/dstack/dstack.sock"

/*
 * Asks the dstack guest agent for an RA-TLS client certificate (POST
 * /GetTlsKey with usage_ra_tls and usage_client_auth). socket is a Unix
 * socket path or an http:// URL; NULL uses DSTACK_SIMULATOR_ENDPOINT or the
 * first existing PQ_DSTACK_SOCKETS path. On success *key_pem (wipe with
 * pq_wipe_free) and *chain_pem are new NUL-terminated strings.
 */
RATLS_MUST_CHECK int pq_dstack_get_tls_key(const char *socket, char **key_pem,
					   size_t *key_pem_size, char **chain_pem,
					   struct ratls_detail *detail);

/* Wipes size bytes of p and frees it. p may be NULL. */
void pq_wipe_free(void *p, size_t size);

/* ---- PostgreSQL wire messages on the local side (wire.c) ---- */

/* PostgreSQL's request codes (the second int32 of a startup-phase packet). */
#define PQ_PROTOCOL_3_0 196608u
#define PQ_CANCEL_REQUEST_CODE 80877102u
#define PQ_SSL_REQUEST_CODE 80877103u
#define PQ_GSSENC_REQUEST_CODE 80877104u

/* PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the server rejects longer startup packets too. */
#define PQ_STARTUP_MAX_LEN 10000u

enum pq_first_packet {
	PQ_FIRST_STARTUP = 1, /* a StartupMessage */
	PQ_FIRST_CANCEL = 2   /* a CancelRequest */
};

/*
 * Reads the client's first packet header (length and code) and replies 'N'
 * to SSLRequest and GSSENCRequest, so the client continues in plain text on
 * this local leg. Returns RATLS_ERR_MALFORMED for any other code or a length
 * out of range, RATLS_ERR_TIMEOUT, RATLS_ERR_NETWORK.
 */
RATLS_MUST_CHECK int pq_wire_read_first(int fd, int64_t deadline_ms, int abort_fd,
					uint8_t header[8], enum pq_first_packet *kind,
					struct ratls_detail *detail);

/*
 * Reads the rest of a StartupMessage whose header was read, then sends an
 * ErrorResponse (severity FATAL, sqlstate, message) and shuts the socket
 * down for writing. Bounded by deadline_ms.
 */
void pq_wire_reject(int fd, const uint8_t header[8], int64_t deadline_ms, int abort_fd,
		    const char *sqlstate, const char *message);

/*
 * Writes an ErrorResponse into out: 'E', length, S/V FATAL, C sqlstate,
 * M message (cut to fit), terminator. Returns the size, 0 when out is too
 * small for even an empty message.
 */
size_t pq_wire_error_response(uint8_t *out, size_t size, const char *sqlstate,
			      const char *message);

/* ---- time and socket helpers (util.c) ---- */

/* Monotonic clock, milliseconds. */
int64_t pq_now_ms(void);

/*
 * Waits for events on fd (and POLLIN on abort_fd when >= 0) until
 * deadline_ms (-1: no deadline). Returns 1 when fd is ready, 0 on timeout,
 * -1 when aborted or poll failed.
 */
int pq_wait_fd(int fd, short events, int64_t deadline_ms, int abort_fd);

/* Sends all bytes with MSG_NOSIGNAL, waiting on a full socket until deadline_ms. */
RATLS_MUST_CHECK int pq_send_all(int fd, const void *data, size_t size, int64_t deadline_ms,
				 int abort_fd);

/* Receives exactly size bytes until deadline_ms. Returns 0, or -1 on EOF, error or timeout. */
RATLS_MUST_CHECK int pq_recv_all(int fd, void *data, size_t size, int64_t deadline_ms,
				 int abort_fd);

/*
 * Starts a thread with every signal blocked, so that SIGPIPE from a write
 * to a closed socket stays with the thread (the write returns EPIPE) and
 * process signals such as SIGTERM go to the application's threads.
 */
RATLS_MUST_CHECK int pq_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Creates a pipe whose ends are non-blocking and close-on-exec. */
RATLS_MUST_CHECK int pq_pipe(int fds[2]);

/* Writes "MRTD 4d4d4d4d4d4d4d4d…" style short hex: the first bytes of data. */
void pq_hex_prefix(const uint8_t *data, size_t size, size_t shown, char *out, size_t out_size);

/* ---- the byte bridge (bridge.c) ---- */

/* Bytes buffered per direction. A TLS record carries at most 16 KiB of plaintext. */
#define PQ_BRIDGE_BUFFER_SIZE (64 * 1024)

struct pq_bridge_options {
	/* Ends the bridge after this many seconds without a byte either way; 0: never. */
	int idle_timeout;
	/* Ends the bridge at once when readable; -1: none. */
	int abort_fd;
	/* Bytes already read from the local side, sent upstream first. */
	const uint8_t *initial;
	size_t initial_size;
};

struct pq_bridge_result {
	uint64_t to_upstream;
	uint64_t to_local;
	const char *end; /* "local closed", "server closed", "idle timeout", "aborted", "error" */
	char error[RATLS_DETAIL_SIZE / 2]; /* the TLS or socket error of an "error" end */
};

/*
 * Moves bytes between the local socket and the TLS session until one side
 * closes (the other then gets what was already read, and the server a
 * close_notify), an error, the idle timeout or an abort. Both sockets are
 * switched to non-blocking; neither is closed here.
 */
void pq_bridge_run(int local_fd, SSL *ssl, int upstream_fd, const struct pq_bridge_options *options,
		   struct pq_bridge_result *result);

/* ---- sessions and listeners (session.c, listener.c) ---- */

/*
 * Called with a session's outcome; attestation is NULL on failure. A session
 * that passed may report a second, failed outcome when the server ended the
 * TLS session before it sent any byte. With TLS 1.3 a server rejects the
 * client certificate only after the client's side of the handshake is done.
 */
typedef void (*pq_outcome_fn)(void *arg, uint64_t session_id, int code,
			      const struct ratls_detail *detail,
			      const struct ratls_pq_attestation *attestation, int64_t elapsed_ms);

struct pq_session_config {
	struct ratls_pq_options *options; /* the owner holds a reference */
	const struct pq_settings *settings;
	struct pq_target target;
	/* A failure decided before any network I/O (a bad option): every session reports it. */
	int preset_code;
	struct ratls_detail preset_detail;
	int idle_timeout;
	/* Check SO_PEERCRED (Unix sockets): only the process's own user is served. */
	bool check_peer_uid;
	struct pq_counters *extra_counters; /* may be NULL */
	pq_outcome_fn on_outcome;
	void *outcome_arg;
};

/* Seconds a local client has to send its first packet. */
#define PQ_LOCAL_TIMEOUT_SECONDS 30

/*
 * Serves one accepted local connection (see the top of ratls/pq.h) and
 * closes it. abort_fd ends every wait early when readable.
 */
void pq_session_serve(const struct pq_session_config *config, uint64_t session_id, int local_fd,
		      int abort_fd);

struct pq_session_slot;

struct pq_listener {
	int fd;
	bool unix_socket;
	bool bound_path;    /* the socket file at address was created here */
	char address[4096]; /* the socket path, or "127.0.0.1:PORT" */
	/* Written by stop (async-signal-safe); stays readable. */
	int stop_pipe[2];
	/* Written when the drain time is over: every session ends. */
	int abort_pipe[2];
	size_t max_sessions;
	int drain_timeout;
	const struct pq_session_config *config;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct pq_session_slot *sessions;
	size_t active;
	uint64_t next_id;
	uint64_t refused; /* connections closed at accept because of max_sessions */
};

/* Binds a Unix socket at path (created 0600, unlinked first when it is a stale socket). */
RATLS_MUST_CHECK int pq_listener_init_unix(struct pq_listener *listener, const char *path,
					   struct ratls_detail *detail);

/* Binds a TCP socket on a loopback address "127.0.0.1:PORT" or "[::1]:PORT". */
RATLS_MUST_CHECK int pq_listener_init_tcp(struct pq_listener *listener, const char *address,
					  struct ratls_detail *detail);

/* Accepts until stopped, then drains (see ratls_pq_proxy_run) and joins every session thread. */
void pq_listener_run(struct pq_listener *listener);

/* Async-signal-safe. */
void pq_listener_stop(struct pq_listener *listener);

/* Closes the sockets and pipes (the caller removes a Unix socket's file). */
void pq_listener_destroy(struct pq_listener *listener);

#endif /* RATLS_PQ_INTERNAL_H */
