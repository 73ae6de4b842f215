/*
 * Attested PostgreSQL connections: ratls_pq_connectdb returns a libpq
 * PGconn whose server passed the full RA-TLS check (ratls/attest.h) before
 * any byte of the PostgreSQL protocol, and so before the password, was sent
 * toward it.
 *
 * libpq speaks PostgreSQL and ratls owns TLS. For each connection ratls
 * creates a private directory (mode 0700) with a Unix socket in it, and a
 * thread that accepts on that socket. libpq connects there (host=DIR,
 * sslmode=disable on that local leg). For each accepted connection the
 * thread checks that the peer runs as the same user (SO_PEERCRED), opens TCP
 * to the server, sends a TLS ClientHello directly (SNI = the host, no
 * SSLRequest), presents the client certificate if one is configured,
 * captures the server's leaf certificate and runs ratls_verify_cert on it.
 * Only when that passes does it move bytes between libpq and the TLS session.
 * When it fails, the server receives nothing after the handshake, and libpq
 * receives a PostgreSQL ErrorResponse that carries the ratls error, so
 * PQstatus(conn) is CONNECTION_BAD and PQerrorMessage(conn) reads
 *   ... FATAL:  ratls: RATLS_ERR_MRTD_NOT_ALLOWED: MRTD 4d4d... is not allowed ...
 * ratls_pq_error returns the code and message of that failure.
 *
 * Options come from four places; a later one overrides an earlier one:
 *   1. the defaults;
 *   2. environment variables, RATLS_ and the keyword in upper case
 *      (RATLS_MRTD), read at every connect;
 *   3. values set on a struct ratls_pq_options with ratls_pq_options_set;
 *   4. keywords in the connection string with the prefix ratls_
 *      (key=value form: "host=db ratls_mrtd=ab..", URI form:
 *      "postgresql://db/app?ratls_mrtd=ab.."). They are removed before the
 *      string reaches libpq.
 * docs/connector.md has the table of keywords.
 *
 * Successful verifications are cached process-wide, keyed by the SHA-256 of
 * the leaf's SubjectPublicKeyInfo, the SHA-256 of the quote and the SHA-256
 * of the policy and verifier configuration. An entry lives for cache_ttl
 * seconds (default one hour) and never past the verified report's
 * valid_until. Failures are never cached.
 */
#ifndef RATLS_PQ_H
#define RATLS_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ratls/dcap.h"
#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prefix of the connection string keywords that ratls reads and removes. */
#define RATLS_PQ_KEYWORD_PREFIX "ratls_"

/* Default lifetime of a cached verification, seconds. */
#define RATLS_PQ_DEFAULT_CACHE_TTL 3600

/*
 * Maximum number of cached verifications in the process. A client talks to
 * a few servers, each with one certificate at a time (two during a
 * rotation), so 1024 leaves room for many policies per server. When the
 * cache is full, expired entries go first, then the least recently used.
 */
#define RATLS_PQ_CACHE_MAX_ENTRIES 1024

/* Default limit, seconds, on TCP connect plus TLS handshake to the server. */
#define RATLS_PQ_DEFAULT_CONNECT_TIMEOUT 30

/*
 * Maximum connection string length, in bytes. libpq sets no limit, but a
 * real one is under 1 KiB, and a list of 64 MRTDs is about 6 KiB.
 */
#define RATLS_PQ_CONNINFO_MAX_LEN (64 * 1024)

/* Maximum length of one ratls keyword's value, in bytes: 64 MRTDs of 96 hex digits with separators. */
#define RATLS_PQ_VALUE_MAX_LEN 8192

/* Size of the host and port texts in an attestation, NUL included. */
#define RATLS_PQ_HOST_SIZE 256
#define RATLS_PQ_PORT_SIZE 8

/* Largest dstack identity value kept in an attestation (app id 20, hashes 32 bytes). */
#define RATLS_PQ_IDENTITY_VALUE_MAX 64

/* Options: settings plus what they need at run time (verifier, collateral cache, TLS context). */
struct ratls_pq_options;

/* Returns options with every value at its default, or NULL when out of memory. */
RATLS_EXPORT struct ratls_pq_options *ratls_pq_options_new(void);

/*
 * Releases the caller's reference. Connections hold their own references,
 * so options may be freed while connections made with them are open. The
 * last reference frees the verifier, the collateral cache and the client
 * key (wiped). options may be NULL.
 */
RATLS_EXPORT void ratls_pq_options_free(struct ratls_pq_options *options);

/*
 * Sets one option by keyword, with or without the "ratls_" prefix ("mrtd" or
 * "ratls_mrtd"); NULL value returns it to the default. The value is checked
 * as it would be in a connection string. Returns RATLS_ERR_INVALID_ARGUMENT
 * for an unknown keyword or a bad value, with the keyword, the value and
 * the accepted form in detail. Not safe against a concurrent connect on
 * the same options.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pq_options_set(struct ratls_pq_options *options,
						       const char *keyword, const char *value,
						       struct ratls_detail *detail);

/* Counters since the options were created, over every connection made with them. */
struct ratls_pq_stats {
	uint64_t sessions;       /* local connections accepted and attempted upstream */
	uint64_t verifications;  /* full checks run (ratls_verify_cert), successful or not */
	uint64_t cache_hits;     /* sessions accepted from the verification cache */
	uint64_t failures;       /* sessions that ended with an error before any byte moved */
	uint64_t rejected_peers; /* local connections from another user, closed at once */
};

RATLS_EXPORT void ratls_pq_options_stats(struct ratls_pq_options *options,
					 struct ratls_pq_stats *stats);

/* The verified server of a connection. */
struct ratls_pq_attestation {
	/* False only when allow_simulator accepted a certificate without evidence. */
	bool attested;
	/* True when the verification came from the cache instead of a new check. */
	bool from_cache;
	/* Unix seconds of the full check (for a cache hit, of the check that filled the entry). */
	int64_t verified_at;
	/* Unix seconds after which the cache no longer serves this result; 0 when not cached. */
	int64_t cache_expires_at;
	/* The backend that verified the quote: "dcap" or "ita". */
	char verifier[16];
	/* From the backend; meaningful when attested. MRTD, RTMRs, TCB status, advisories. */
	struct ratls_verified_report report;
	/* Set when the event log replayed and the identity below comes from it. */
	bool has_identity;
	uint8_t app_id[RATLS_PQ_IDENTITY_VALUE_MAX];
	size_t app_id_size;
	uint8_t compose_hash[RATLS_PQ_IDENTITY_VALUE_MAX];
	size_t compose_hash_size;
	uint8_t instance_id[RATLS_PQ_IDENTITY_VALUE_MAX];
	size_t instance_id_size;
	uint8_t os_image_hash[RATLS_PQ_IDENTITY_VALUE_MAX];
	size_t os_image_hash_size;
	/* SHA-256 of the leaf's DER SubjectPublicKeyInfo, of its whole DER and of the quote. */
	uint8_t spki_sha256[32];
	uint8_t leaf_sha256[32];
	uint8_t quote_sha256[32];
	/* The server as connected to, and the TLS session. */
	char host[RATLS_PQ_HOST_SIZE];
	char port[RATLS_PQ_PORT_SIZE];
	char tls_version[16];
	char tls_cipher[64];
};

/*
 * Connects like PQconnectdb, through an attested TLS session (see the top
 * of this file). conninfo is a libpq connection string in key=value or URI
 * form, with ratls_ keywords; host (or hostaddr) and port come from it or
 * from PGHOST, PGHOSTADDR and PGPORT (default 5432). options may be NULL
 * for the defaults and environment; the connection takes a reference.
 *
 * Returns NULL only when out of memory. Every other failure returns a
 * PGconn with PQstatus CONNECTION_BAD and the ratls error in
 * PQerrorMessage, and ratls_pq_error returns its code. The codes are
 * RATLS_ERR_INVALID_ARGUMENT for bad keywords, values or TeeSQL
 * credentials (found before any network I/O), RATLS_ERR_NETWORK and
 * RATLS_ERR_TIMEOUT for the TCP connect and TLS handshake, and every error
 * of ratls_verify_cert and of the verifier backend. When verification
 * passed but PostgreSQL then rejected the login (a wrong password),
 * ratls_pq_error returns RATLS_OK and PQerrorMessage has the server's
 * message.
 *
 * Close the connection with PQfinish: it also stops the connection's
 * thread and removes its socket and directory. PQhost returns that
 * directory; ratls_pq_attestation has the real server.
 */
RATLS_EXPORT PGconn *ratls_pq_connectdb(const char *conninfo, struct ratls_pq_options *options);

/*
 * The non-blocking form, like PQconnectStart: returns at once, and the
 * caller drives the connection with PQconnectPoll as libpq documents. The
 * verification runs in the connection's thread meanwhile, and its outcome
 * is known once PQconnectPoll returns PGRES_POLLING_OK or
 * PGRES_POLLING_FAILED. The connect_timeout keyword is the caller's to
 * enforce, as with PQconnectStart.
 */
RATLS_EXPORT PGconn *ratls_pq_connect_start(const char *conninfo,
					    struct ratls_pq_options *options);

/*
 * Returns the ratls outcome of a connection made by ratls_pq_connectdb or
 * ratls_pq_connect_start: RATLS_OK when the server was verified, else the
 * error code, with the message in detail (which may be NULL). When libpq
 * ended the connection by itself first (a value only libpq checks, such as
 * target_session_attrs, or its connect_timeout), the code is
 * RATLS_ERR_INVALID_ARGUMENT or RATLS_ERR_TIMEOUT with libpq's message.
 * Returns RATLS_ERR_INVALID_ARGUMENT for NULL or a PGconn that ratls did
 * not make, and RATLS_ERR_INTERNAL while the outcome is not known yet.
 */
RATLS_EXPORT int ratls_pq_error(const PGconn *conn, struct ratls_detail *detail);

/*
 * Returns the verified server of conn, or NULL when conn was not made by
 * ratls or its verification did not pass. Valid until PQfinish(conn).
 * NOTE: after PQreset the connection uses a new, separately verified TLS
 * session, and this keeps the first session's result.
 */
RATLS_EXPORT const struct ratls_pq_attestation *ratls_pq_attestation(const PGconn *conn);

/*
 * Verify-before-connect: connects to the server that conninfo names, runs
 * the TLS handshake and the full check exactly as ratls_pq_connectdb does,
 * and closes the session without sending any PostgreSQL byte. conninfo is
 * read as by ratls_pq_connectdb (only host, hostaddr, port and the ratls_
 * keywords matter). On success fills *out. Returns the same errors as
 * ratls_pq_error would.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pq_verify_server(const char *conninfo,
							 struct ratls_pq_options *options,
							 struct ratls_pq_attestation *out,
							 struct ratls_detail *detail);

/* Removes every entry of the process-wide verification cache. */
RATLS_EXPORT void ratls_pq_cache_clear(void);

/* Returns the number of entries in the verification cache, expired ones included. */
RATLS_EXPORT size_t ratls_pq_cache_size(void);

/* ---- A local attesting proxy for any PostgreSQL client ---- */

/* Default maximum of client connections a proxy serves at once. */
#define RATLS_PQ_PROXY_DEFAULT_MAX_CONNECTIONS 100
/* Default seconds that open sessions may continue after a stop request. */
#define RATLS_PQ_PROXY_DEFAULT_DRAIN_TIMEOUT 30

struct ratls_pq_proxy_config {
	/*
	 * The listening address. A directory (an absolute path) gets the Unix
	 * socket .s.PGSQL.<socket_port>, so that libpq clients use host=DIR
	 * port=<socket_port>. It is created with mode 0700 when missing, and
	 * must otherwise belong to the proxy's user and not be writable by
	 * others. Only connections from the proxy's own user are served there.
	 * A loopback TCP address, "127.0.0.1:PORT" or "[::1]:PORT" (PORT 0 picks
	 * a free one), is open to every local user.
	 */
	const char *listen;
	/* The server, "HOST:PORT" or "[IPv6]:PORT". */
	const char *upstream;
	/* Unix socket name suffix; 0 uses the upstream's port. */
	int socket_port;
	/* 0 selects RATLS_PQ_PROXY_DEFAULT_MAX_CONNECTIONS. */
	int max_connections;
	/* Seconds; negative selects RATLS_PQ_PROXY_DEFAULT_DRAIN_TIMEOUT. */
	int drain_timeout;
	/* Closes a session after this many seconds without a byte either way; 0: never. */
	int idle_timeout;
};

struct ratls_pq_proxy;

/*
 * Creates a proxy and binds its listening socket; nothing is accepted until
 * ratls_pq_proxy_run. Every client connection gets its own TCP and TLS
 * session to the upstream, verified with options (which may be NULL) like
 * a ratls_pq_connectdb connection, and a client whose session fails
 * receives the ratls error as a PostgreSQL ErrorResponse. Returns
 * RATLS_ERR_INVALID_ARGUMENT for a bad configuration or option and
 * RATLS_ERR_IO when the socket cannot be created.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pq_proxy_new(const struct ratls_pq_proxy_config *config,
						     struct ratls_pq_options *options,
						     struct ratls_pq_proxy **out,
						     struct ratls_detail *detail);

/* Returns where the proxy listens: the socket's path, or "127.0.0.1:PORT" with the real port. */
RATLS_EXPORT const char *ratls_pq_proxy_address(const struct ratls_pq_proxy *proxy);

/*
 * Accepts and serves clients in the calling thread (each session in its
 * own thread) until ratls_pq_proxy_stop, then stops accepting, lets open
 * sessions finish for up to drain_timeout seconds, closes the rest and
 * returns RATLS_OK. Each verification is logged through the ratls log hook
 * at RATLS_LOG_INFO, each failure at RATLS_LOG_WARNING.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pq_proxy_run(struct ratls_pq_proxy *proxy,
						     struct ratls_detail *detail);

/* Asks ratls_pq_proxy_run to stop. Async-signal-safe, so a SIGTERM handler may call it. */
RATLS_EXPORT void ratls_pq_proxy_stop(struct ratls_pq_proxy *proxy);

/* Counters of the proxy's sessions (the same as ratls_pq_options_stats, for this proxy only). */
RATLS_EXPORT void ratls_pq_proxy_stats(struct ratls_pq_proxy *proxy, struct ratls_pq_stats *stats);

/* Removes the socket (for a directory) and frees the proxy; call after run returned. */
RATLS_EXPORT void ratls_pq_proxy_free(struct ratls_pq_proxy *proxy);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_PQ_H */
