/*
 * OpenSSL server contexts and the non-blocking server handshake for the
 * RA-TLS front door.
 *
 * A struct ratls_net_tls_server lives exactly as long as its SSL_CTX: it is
 * stored in the context's ex_data and freed by the context's free callback.
 * Every SSL object holds a reference to its SSL_CTX, so a session keeps its
 * server's ALPN and client-check settings alive after a rotation replaced
 * that server.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/fail.h"
#include "base/reader.h"
#include "net/net_internal.h"
#include "net/tls_server.h"

struct ratls_net_tls_server {
	SSL_CTX *ctx;
	/* ALPN protocol name; alpn_len 0 means no ALPN. */
	uint8_t alpn[RATLS_NET_ALPN_MAX_LEN];
	size_t alpn_len;
	ratls_net_client_check_fn client_check;
	void *client_check_arg;
};

static pthread_once_t ex_index_once = PTHREAD_ONCE_INIT;
static int server_ex_index = -1;

/* Frees the server stored in an SSL_CTX when OpenSSL frees that context. */
static void free_server_ex_data(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
				void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void make_ex_index(void)
{
	server_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_server_ex_data);
}

/*
 * ALPN selection. in is the client's protocol list from the ClientHello
 * (untrusted): a sequence of one length byte and that many name bytes.
 */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_len,
		       const unsigned char *in, unsigned int in_len, void *arg)
{
	const struct ratls_net_tls_server *server = arg;
	struct ratls_reader reader;

	(void)ssl;
	if (server->alpn_len == 0)
		return SSL_TLSEXT_ERR_NOACK;
	ratls_reader_init(&reader, in, in_len);
	while (ratls_reader_remaining(&reader) > 0) {
		const uint8_t *name;
		uint8_t name_len;

		if (ratls_reader_u8(&reader, &name_len) != RATLS_OK ||
		    ratls_reader_bytes(&reader, name_len, &name) != RATLS_OK)
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		if (name_len == server->alpn_len && memcmp(name, server->alpn, name_len) == 0) {
			*out = name;
			*out_len = name_len;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/*
 * Replaces X.509 path validation of the client certificate: an RA-TLS
 * certificate is self-signed and trusted for its quote, which the caller's
 * check verifies. Returns 1 to continue the handshake, 0 to abort it.
 */
static int check_client_cert(X509_STORE_CTX *store, void *arg)
{
	const struct ratls_net_tls_server *server = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ratls_net_tls_peer *peer = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get0_cert(store);
	unsigned char *der = NULL;
	int der_size;

	if (peer == NULL || cert == NULL) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	ratls_detail_clear(&peer->check_detail);
	der_size = i2d_X509(cert, &der);
	if (der_size <= 0) {
		peer->check_rc = ratls_fail_ossl(&peer->check_detail, RATLS_ERR_MALFORMED,
						 "cannot encode the client certificate");
	} else {
		peer->check_rc = server->client_check(server->client_check_arg, peer->conn_arg,
						      der, (size_t)der_size, &peer->check_detail);
	}
	peer->cert_checked = true;
	OPENSSL_free(der);
	if (peer->check_rc != RATLS_OK) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

/* Loads the certificate and the private key into ctx and checks that they match. */
static int load_identity(SSL_CTX *ctx, const uint8_t *cert_der, size_t cert_size,
			 const char *key_pem, size_t key_pem_size, struct ratls_detail *detail)
{
	const unsigned char *p = cert_der;
	X509 *cert = NULL;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (cert_size > INT32_MAX || key_pem_size > INT32_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"certificate (%zu bytes) or key (%zu bytes) is too large", cert_size,
				key_pem_size);
		goto out;
	}
	cert = d2i_X509(NULL, &p, (long)cert_size);
	if (cert == NULL || p != cert_der + cert_size) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the server certificate is not one DER certificate");
		goto out;
	}
	bio = BIO_new_mem_buf(key_pem, (int)key_pem_size);
	if (bio == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (key == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the server private key is not a PEM private key");
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the server certificate and private key do not load or do "
				     "not match");
		goto out;
	}
	rc = RATLS_OK;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	X509_free(cert);
	return rc;
}

/* Sets protocol versions, resumption, renegotiation and size limits. */
static int configure_context(SSL_CTX *ctx, struct ratls_detail *detail)
{
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot set TLS 1.2 as minimum");
	/*
	 * IGNORE_UNEXPECTED_EOF: a client that closes TCP without close_notify
	 * ends its session like one that sends it. PostgreSQL's protocol marks a
	 * deliberate end with its own Terminate message.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot turn off session tickets");
	SSL_CTX_set_max_cert_list(ctx, RATLS_NET_MAX_CLIENT_CERT_LIST);
	/*
	 * Read-ahead lets one read() fetch every record the client sent, instead
	 * of one call for each record header and body. Partial writes let the
	 * bridge keep what a full socket did not take.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return RATLS_OK;
}

/* Copies the ALPN name and the client check from options into server. */
static int copy_options(struct ratls_net_tls_server *server,
			const struct ratls_net_tls_server_options *options,
			struct ratls_detail *detail)
{
	if (options == NULL)
		return RATLS_OK;
	if (options->alpn != NULL) {
		size_t len = strlen(options->alpn);

		if (len == 0 || len > RATLS_NET_ALPN_MAX_LEN)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "ALPN protocol name has %zu bytes; it must have 1 to %d",
					  len, RATLS_NET_ALPN_MAX_LEN);
		memcpy(server->alpn, options->alpn, len);
		server->alpn_len = len;
	}
	server->client_check = options->client_check;
	server->client_check_arg = options->client_check_arg;
	return RATLS_OK;
}

int ratls_net_tls_server_new(const uint8_t *cert_der, size_t cert_size, const char *key_pem,
			     size_t key_pem_size, const struct ratls_net_tls_server_options *options,
			     struct ratls_net_tls_server **out, struct ratls_detail *detail)
{
	struct ratls_net_tls_server *server = NULL;
	SSL_CTX *ctx = NULL;
	bool attached = false;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || cert_der == NULL || key_pem == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the certificate, the key and out are required");
	*out = NULL;
	if (pthread_once(&ex_index_once, make_ex_index) != 0 || server_ex_index < 0)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot register SSL_CTX data");

	server = calloc(1, sizeof(*server));
	ctx = SSL_CTX_new(TLS_server_method());
	if (server == NULL || ctx == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = copy_options(server, options, detail)) != RATLS_OK)
		goto out;
	if (SSL_CTX_set_ex_data(ctx, server_ex_index, server) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot attach the server settings");
		goto out;
	}
	server->ctx = ctx;
	attached = true; /* from here on SSL_CTX_free(ctx) frees server */

	if ((rc = configure_context(ctx, detail)) != RATLS_OK)
		goto out;
	rc = load_identity(ctx, cert_der, cert_size, key_pem, key_pem_size, detail);
	if (rc != RATLS_OK)
		goto out;
	if (server->alpn_len > 0)
		SSL_CTX_set_alpn_select_cb(ctx, select_alpn, server);
	if (server->client_check != NULL) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_cert_verify_callback(ctx, check_client_cert, server);
	}
	*out = server;
	rc = RATLS_OK;
out:
	if (rc != RATLS_OK) {
		if (!attached)
			free(server);
		SSL_CTX_free(ctx);
	}
	return rc;
}

void ratls_net_tls_server_ref(struct ratls_net_tls_server *server)
{
	SSL_CTX_up_ref(server->ctx);
}

void ratls_net_tls_server_unref(struct ratls_net_tls_server *server)
{
	if (server == NULL)
		return;
	/* The last reference frees the context, and its ex_data callback frees server. */
	SSL_CTX_free(server->ctx);
}

void ratls_net_record_error(struct ratls_net_tls_conn *conn, const char *fallback)
{
	unsigned long e;
	size_t used = 0;

	conn->error[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char reason[160];

		ERR_error_string_n(e, reason, sizeof(reason));
		if (used + 3 < sizeof(conn->error)) {
			snprintf(conn->error + used, sizeof(conn->error) - used, "%s%s",
				 used > 0 ? "; " : "", reason);
			used = strlen(conn->error);
		}
	}
	if (used == 0)
		snprintf(conn->error, sizeof(conn->error), "%s", fallback);
}

static void handshake_step(evutil_socket_t fd, short what, void *arg);

/* Frees the handshake's events; the bridge installs its own. */
static void free_handshake_events(struct ratls_net_tls_conn *conn)
{
	if (conn->read_event != NULL)
		event_free(conn->read_event);
	if (conn->write_event != NULL)
		event_free(conn->write_event);
	conn->read_event = NULL;
	conn->write_event = NULL;
}

static void handshake_finished(struct ratls_net_tls_conn *conn, bool ok)
{
	free_handshake_events(conn);
	conn->established = ok;
	conn->done(conn->arg, ok);
}

/* Advances the handshake, or waits for the socket readiness that OpenSSL requests. */
static void handshake_step(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_tls_conn *conn = arg;
	int rc, error;

	(void)fd;
	(void)what;
	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(conn->ssl);
	if (rc == 1) {
		handshake_finished(conn, true);
		return;
	}
	error = SSL_get_error(conn->ssl, rc);
	if (error == SSL_ERROR_WANT_READ) {
		event_add(conn->read_event, NULL);
		return;
	}
	if (error == SSL_ERROR_WANT_WRITE) {
		event_add(conn->write_event, NULL);
		return;
	}
	if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		snprintf(conn->error, sizeof(conn->error), "%s",
			 errno != 0 ? strerror(errno) : "the client closed the connection");
	else
		ratls_net_record_error(conn, "the TLS handshake failed");
	handshake_finished(conn, false);
}

struct ratls_net_tls_conn *ratls_net_tls_accept(struct event_base *base, evutil_socket_t fd,
						struct ratls_net_tls_server *server,
						struct ratls_net_tls_peer *peer,
						ratls_net_handshake_fn done, void *arg,
						struct ratls_detail *detail)
{
	struct ratls_net_tls_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL) {
		ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		return NULL;
	}
	conn->base = base;
	conn->fd = fd;
	conn->done = done;
	conn->arg = arg;
	conn->ssl = SSL_new(server->ctx);
	conn->read_event = event_new(base, fd, EV_READ, handshake_step, conn);
	conn->write_event = event_new(base, fd, EV_WRITE, handshake_step, conn);
	if (conn->ssl == NULL || conn->read_event == NULL || conn->write_event == NULL ||
	    SSL_set_fd(conn->ssl, (int)fd) != 1) {
		ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot create a TLS session");
		free_handshake_events(conn);
		SSL_free(conn->ssl);
		free(conn);
		return NULL;
	}
	peer->cert_checked = false;
	peer->check_rc = RATLS_OK;
	ratls_detail_clear(&peer->check_detail);
	SSL_set_app_data(conn->ssl, peer);
	SSL_set_accept_state(conn->ssl);
	/* The first step runs from the loop, as the contract of done requires. */
	event_active(conn->read_event, EV_READ, 0);
	return conn;
}

void ratls_net_tls_conn_free(struct ratls_net_tls_conn *conn)
{
	if (conn == NULL)
		return;
	free_handshake_events(conn);
	if (conn->established) {
		/* Best effort: one non-blocking attempt to send close_notify. */
		ERR_clear_error();
		SSL_shutdown(conn->ssl);
		ERR_clear_error();
	}
	SSL_free(conn->ssl);
	evutil_closesocket(conn->fd);
	free(conn);
}

void ratls_net_tls_describe(const struct ratls_net_tls_conn *conn,
			    char out[RATLS_NET_TEXT_SIZE])
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;

	SSL_get0_alpn_selected(conn->ssl, &alpn, &alpn_len);
	if (alpn_len > 0)
		snprintf(out, RATLS_NET_TEXT_SIZE, "%s %s alpn=%.*s", SSL_get_version(conn->ssl),
			 SSL_get_cipher_name(conn->ssl), (int)alpn_len, (const char *)alpn);
	else
		snprintf(out, RATLS_NET_TEXT_SIZE, "%s %s alpn=none", SSL_get_version(conn->ssl),
			 SSL_get_cipher_name(conn->ssl));
}

bool ratls_net_tls_alpn_is(const struct ratls_net_tls_conn *conn, const char *name)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;

	SSL_get0_alpn_selected(conn->ssl, &alpn, &alpn_len);
	return alpn_len == strlen(name) && memcmp(alpn, name, alpn_len) == 0;
}

const char *ratls_net_tls_error(const struct ratls_net_tls_conn *conn)
{
	return conn->error;
}
