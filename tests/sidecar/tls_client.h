/*
 * A blocking TLS client for the sidecar tests (OpenSSL): direct TLS or
 * PostgreSQL's SSLRequest first, optional ALPN and client certificate.
 * Server certificates are not validated here; the tests check them with
 * ratls_verify_cert.
 */
#ifndef RATLS_TESTS_TLS_CLIENT_H
#define RATLS_TESTS_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct sctest_tls_options {
	bool ssl_request;       /* send SSLRequest and expect 'S' before TLS */
	bool gssenc_request;    /* send GSSENCRequest and expect 'N' first */
	const char *alpn;       /* offer this ALPN protocol; NULL: none */
	const uint8_t *cert;    /* client certificate (DER); NULL: none */
	size_t cert_size;
	const char *key_pem;    /* its private key */
};

struct sctest_tls {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char preamble_reply;    /* the one-byte reply to the last request */
};

/*
 * Connects to 127.0.0.1:port and runs the handshake. Returns true when
 * SSL_connect succeeded; the connection must be closed with
 * sctest_tls_close in every case.
 */
bool sctest_tls_connect(int port, const struct sctest_tls_options *options,
			struct sctest_tls *out);

/* The server's certificate as DER (caller frees), or NULL. */
uint8_t *sctest_tls_server_cert(const struct sctest_tls *tls, size_t *size);

/* True when the handshake selected ALPN protocol name. */
bool sctest_tls_alpn_is(const struct sctest_tls *tls, const char *name);

/* Writes all bytes; returns false on any failure. */
bool sctest_tls_write(struct sctest_tls *tls, const void *data, size_t size);

/*
 * Reads up to size bytes, waiting at most timeout_ms. Returns the count,
 * 0 at a clean end of the stream, -1 on a TLS error or a dirty end, and -2
 * when nothing arrived in time.
 */
int sctest_tls_read(struct sctest_tls *tls, void *data, size_t size, int timeout_ms);

void sctest_tls_close(struct sctest_tls *tls);

/* Builds a StartupMessage (protocol 3.0) for user and database into out; returns its size. */
size_t sctest_startup_message(uint8_t *out, size_t size, const char *user, const char *database);

#endif
