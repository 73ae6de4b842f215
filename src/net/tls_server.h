/*
 * The server side of TLS for the RA-TLS front door. It builds an OpenSSL
 * server context from an issued certificate and private key, selects ALPN,
 * optionally checks the client certificate during the handshake, and runs
 * the non-blocking handshake on an accepted socket from libevent.
 *
 * Internal to ratls (not installed); the sidecar and the tests use it.
 * Everything here runs on the event loop's thread, except
 * ratls_net_tls_server_new, which any thread may call.
 */
#ifndef RATLS_NET_TLS_SERVER_H
#define RATLS_NET_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ratls/error.h"

/*
 * Largest certificate list a client may send, in bytes. A dstack RA-TLS
 * certificate carries a quote of about 5 KiB and a stripped event log of a
 * few KiB. 256 KiB leaves room for a full boot log, and it keeps small what
 * an unauthenticated client can make the server buffer.
 */
#define RATLS_NET_MAX_CLIENT_CERT_LIST (256 * 1024)

/* Longest ALPN protocol name (RFC 7301: a length byte of 1 to 255). */
#define RATLS_NET_ALPN_MAX_LEN 255

/* Size of the buffers that describe a session or a TLS error, NUL included. */
#define RATLS_NET_TEXT_SIZE 256

/*
 * The client's certificate check, filled in during the handshake. The
 * caller owns it and keeps it alive as long as the connection.
 */
struct ratls_net_tls_peer {
	/* Set when a client certificate reached the check callback. */
	bool cert_checked;
	/* The check's result and message (RATLS_OK when it accepted). */
	int check_rc;
	struct ratls_detail check_detail;
	/* Passed to the check callback as conn_arg. */
	void *conn_arg;
};

/*
 * Checks a client certificate (DER, leaf only) during the handshake.
 * Returns RATLS_OK to accept; any other code aborts the handshake with a
 * bad_certificate alert. conn_arg is the value given to ratls_net_tls_accept.
 */
typedef int (*ratls_net_client_check_fn)(void *arg, void *conn_arg, const uint8_t *cert_der,
					 size_t cert_size, struct ratls_detail *detail);

struct ratls_net_tls_server_options {
	/*
	 * ALPN protocol to select ("postgresql"), or NULL for none. A client
	 * that offers ALPN without it is rejected with no_application_protocol
	 * (RFC 7301 section 3.2), as PostgreSQL 17 does. A client that offers
	 * no ALPN is accepted.
	 */
	const char *alpn;
	/*
	 * Non-NULL requires a client certificate and calls this on its leaf
	 * instead of X.509 path validation. arg must outlive the server and
	 * every session made from it.
	 */
	ratls_net_client_check_fn client_check;
	void *client_check_arg;
};

/* A TLS server context; reference-counted, so rotation can replace it while sessions use it. */
struct ratls_net_tls_server;

/*
 * Builds a TLS 1.2 and 1.3 server context for cert_der and the PEM private
 * key key_pem (PKCS#8 or traditional). Session resumption (tickets and the
 * session cache) and renegotiation are off, so every connection runs a full
 * handshake and, in mutual mode, a fresh client check. On success *out has
 * one reference. Returns RATLS_ERR_INVALID_ARGUMENT for a certificate or key
 * that does not load or does not match, RATLS_ERR_INTERNAL when OpenSSL
 * fails otherwise.
 */
RATLS_MUST_CHECK int ratls_net_tls_server_new(const uint8_t *cert_der, size_t cert_size,
					      const char *key_pem, size_t key_pem_size,
					      const struct ratls_net_tls_server_options *options,
					      struct ratls_net_tls_server **out,
					      struct ratls_detail *detail);

void ratls_net_tls_server_ref(struct ratls_net_tls_server *server);

/* Drops one reference; the last one frees the server. server may be NULL. */
void ratls_net_tls_server_unref(struct ratls_net_tls_server *server);

/* An accepted client connection: its socket and TLS session. */
struct ratls_net_tls_conn;

/*
 * Called once when the handshake ended: ok is true when it completed (and,
 * in mutual mode, the client check accepted), false when it failed, with
 * the reason in ratls_net_tls_error. It may free the connection.
 */
typedef void (*ratls_net_handshake_fn)(void *arg, bool ok);

/*
 * Starts the server side of a TLS handshake on the connected, non-blocking
 * socket fd and takes ownership of fd. peer is filled during the handshake
 * and must stay alive as long as the connection. done is called from the
 * event loop when the handshake ends, never from this call. Returns NULL
 * when out of memory, with fd still open and owned by the caller.
 */
struct ratls_net_tls_conn *ratls_net_tls_accept(struct event_base *base, evutil_socket_t fd,
						struct ratls_net_tls_server *server,
						struct ratls_net_tls_peer *peer,
						ratls_net_handshake_fn done, void *arg,
						struct ratls_detail *detail);

/*
 * Sends close_notify when the handshake had completed (one non-blocking
 * attempt), then frees the TLS session and closes the socket. conn may be
 * NULL.
 */
void ratls_net_tls_conn_free(struct ratls_net_tls_conn *conn);

/* Writes "TLSv1.3 TLS_AES_256_GCM_SHA384 alpn=postgresql" (or "alpn=none") for logs. */
void ratls_net_tls_describe(const struct ratls_net_tls_conn *conn,
			    char out[RATLS_NET_TEXT_SIZE]);

/* True when the handshake negotiated ALPN protocol name. */
bool ratls_net_tls_alpn_is(const struct ratls_net_tls_conn *conn, const char *name);

/* The reasons of the last failure, or "" when none was recorded. */
const char *ratls_net_tls_error(const struct ratls_net_tls_conn *conn);

/*
 * Creates a P-256 key and a self-signed certificate without any attestation
 * evidence, the kind of certificate the dstack simulator presents. Same
 * outputs as ratls_issue_cert: *cert_der (free with free()) and *key_pem
 * (free with ratls_issue_free_key). dns_names may be NULL when
 * dns_name_count is 0; each must be a host name.
 */
RATLS_MUST_CHECK int ratls_net_plain_cert_issue(const char *common_name,
						const char *const *dns_names, size_t dns_name_count,
						int64_t not_before, int64_t not_after,
						uint8_t **cert_der, size_t *cert_der_size,
						char **key_pem, size_t *key_pem_size,
						struct ratls_detail *detail);

#endif
