/*
 * The TLS client toward the server: TCP connect, a ClientHello sent
 * directly (no SSLRequest first, so that a gateway that routes by SNI finds
 * TLS in the first bytes), and the leaf certificate for the full check.
 *
 * The certificate is not validated by OpenSSL (SSL_VERIFY_NONE): RA-TLS
 * certificates are self-signed, and the attestation replaces the CA. The
 * handshake still proves that the server holds the leaf's private key,
 * because OpenSSL verifies the server's handshake signature with the
 * leaf's key in every mode, and the attestation binds that key.
 * Session resumption is off, so every session presents its certificate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/fail.h"
#include "pq_internal.h"

/* Largest client certificate chain and key file accepted. */
#define PQ_CLIENT_CERT_FILE_MAX_SIZE (1024 * 1024)
#define PQ_CLIENT_KEY_FILE_MAX_SIZE (64 * 1024)

/* A client certificate is replaced this many seconds before it expires. */
#define PQ_CLIENT_CERT_RENEW_SECONDS 60

/* ALPN protocol list: PostgreSQL's registered name, as libpq 17 offers it for direct TLS. */
static const unsigned char alpn_postgresql[] = "\x0apostgresql";

/* ---- client identities (the SSL_CTX with its certificate) ---- */

/* Loads a PEM chain (leaf first) and a PEM private key into ctx and returns the leaf's expiry. */
static int load_identity(SSL_CTX *ctx, const char *chain_pem, const char *key_pem,
			 const char *source, int64_t *not_after, struct ratls_detail *detail)
{
	BIO *chain_bio = BIO_new_mem_buf(chain_pem, -1);
	BIO *key_bio = BIO_new_mem_buf(key_pem, -1);
	X509 *leaf = NULL, *extra = NULL;
	EVP_PKEY *key = NULL;
	struct tm tm;
	int rc = RATLS_ERR_INTERNAL;

	if (chain_bio == NULL || key_bio == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory loading %s", source);
		goto out;
	}
	leaf = PEM_read_bio_X509(chain_bio, NULL, NULL, NULL);
	if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the client certificate from %s does not load; give a PEM "
				     "certificate chain, leaf first",
				     source);
		goto out;
	}
	while ((extra = PEM_read_bio_X509(chain_bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
					     "cannot add a chain certificate from %s", source);
			goto out;
		}
		extra = NULL; /* ownership moved to ctx */
	}
	ERR_clear_error(); /* the end of the chain is reported as a PEM error */
	key = PEM_read_bio_PrivateKey(key_bio, NULL, NULL, NULL);
	if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the client private key from %s does not load or does not "
				     "match the certificate; give an unencrypted PEM key",
				     source);
		goto out;
	}
	*not_after = 0;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1)
		*not_after = (int64_t)timegm(&tm);
	rc = RATLS_OK;
out:
	X509_free(extra);
	X509_free(leaf);
	EVP_PKEY_free(key);
	BIO_free(chain_bio);
	BIO_free(key_bio);
	return rc;
}

static int load_files(SSL_CTX *ctx, const struct pq_settings *settings, int64_t *not_after,
		      struct ratls_detail *detail)
{
	const char *cert_path = settings->value[PQ_KW_CLIENT_CERT_FILE];
	const char *key_path = settings->value[PQ_KW_CLIENT_KEY_FILE];
	uint8_t *chain = NULL, *key = NULL;
	size_t chain_size = 0, key_size = 0;
	char source[128];
	int rc;

	if (cert_path == NULL || key_path == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_client_cert=file needs ratls_client_cert_file (PEM chain) "
				  "and ratls_client_key_file (PEM key)");
	rc = pq_read_file(cert_path, PQ_CLIENT_CERT_FILE_MAX_SIZE, "client certificate file",
			  &chain, &chain_size, detail);
	if (rc == RATLS_OK)
		rc = pq_read_file(key_path, PQ_CLIENT_KEY_FILE_MAX_SIZE, "client key file", &key,
				  &key_size, detail);
	snprintf(source, sizeof(source), "'%s'", cert_path);
	if (rc == RATLS_OK)
		rc = load_identity(ctx, (const char *)chain, (const char *)key, source, not_after,
				   detail);
	free(chain);
	pq_wipe_free(key, key_size);
	return rc;
}

static int load_dstack(SSL_CTX *ctx, const struct pq_settings *settings, int64_t *not_after,
		       struct ratls_detail *detail)
{
	char *key = NULL, *chain = NULL;
	size_t key_size = 0;
	int rc;

	rc = pq_dstack_get_tls_key(settings->value[PQ_KW_DSTACK_SOCKET], &key, &key_size, &chain,
				   detail);
	if (rc == RATLS_OK)
		rc = load_identity(ctx, chain, key, "the dstack guest agent", not_after, detail);
	pq_wipe_free(key, key_size);
	free(chain);
	return rc;
}

static int context_create(const struct pq_settings *settings, SSL_CTX **out, int64_t *not_after,
			  struct ratls_detail *detail)
{
	const char *mode = pq_settings_get(settings, PQ_KW_CLIENT_CERT);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int rc = RATLS_ERR_INTERNAL;

	*out = NULL;
	*not_after = 0;
	if (ctx == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot create a TLS context");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn_postgresql, sizeof(alpn_postgresql) - 1) != 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot configure the TLS context");
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_max_cert_list(ctx, PQ_MAX_SERVER_CERT_LIST);
	/* One recv for all records that arrived, instead of one per record header and body. */
	SSL_CTX_set_read_ahead(ctx, 1);

	if (strcmp(mode, "file") == 0)
		rc = load_files(ctx, settings, not_after, detail);
	else if (strcmp(mode, "dstack") == 0)
		rc = load_dstack(ctx, settings, not_after, detail);
	else
		rc = RATLS_OK;
	if (rc != RATLS_OK)
		goto out;
	*out = ctx;
	ctx = NULL; /* ownership moved to *out */
out:
	SSL_CTX_free(ctx);
	return rc;
}

void pq_identities_free(struct pq_client_identity *list)
{
	while (list != NULL) {
		struct pq_client_identity *next = list->next;

		SSL_CTX_free(list->ctx);
		free(list->config);
		free(list);
		list = next;
	}
}

static int describe_identity(const struct pq_settings *settings, char *out, size_t size,
			     struct ratls_detail *detail)
{
	const char *cert = settings->value[PQ_KW_CLIENT_CERT_FILE];
	const char *key = settings->value[PQ_KW_CLIENT_KEY_FILE];
	const char *socket = settings->value[PQ_KW_DSTACK_SOCKET];
	int n = snprintf(out, size, "client_cert=%s\ncert=%s\nkey=%s\nsocket=%s\n",
			 pq_settings_get(settings, PQ_KW_CLIENT_CERT), cert != NULL ? cert : "",
			 key != NULL ? key : "", socket != NULL ? socket : "");

	if (n < 0 || (size_t)n >= size)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the client certificate settings are too long");
	return RATLS_OK;
}

/*
 * Returns the TLS context for settings with a reference for the caller,
 * creating it on first use and again when its certificate is about to
 * expire (a dstack certificate is then requested again).
 */
static int context_get(struct ratls_pq_options *options, const struct pq_settings *settings,
		       SSL_CTX **out, struct ratls_detail *detail)
{
	char config[3 * RATLS_PQ_VALUE_MAX_LEN + 64];
	struct pq_client_identity *found = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = RATLS_OK;

	*out = NULL;
	if ((rc = describe_identity(settings, config, sizeof(config), detail)) != RATLS_OK)
		return rc;
	pthread_mutex_lock(&options->lock);
	for (struct pq_client_identity *id = options->identities; id != NULL; id = id->next) {
		if (strcmp(id->config, config) == 0) {
			found = id;
			break;
		}
	}
	if (found != NULL && found->not_after != 0 &&
	    now >= found->not_after - PQ_CLIENT_CERT_RENEW_SECONDS) {
		SSL_CTX *renewed = NULL;
		int64_t not_after = 0;

		rc = context_create(settings, &renewed, &not_after, detail);
		if (rc == RATLS_OK) {
			SSL_CTX_free(found->ctx); /* sessions using it hold their own references */
			found->ctx = renewed;
			found->not_after = not_after;
		}
	} else if (found == NULL && options->identity_count >= PQ_RESOURCES_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"more than %d client certificate configurations on one options "
				"object; use one options object per configuration",
				PQ_RESOURCES_MAX);
	} else if (found == NULL) {
		found = calloc(1, sizeof(*found));
		if (found == NULL || (found->config = strdup(config)) == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					"out of memory creating the TLS context");
		} else {
			rc = context_create(settings, &found->ctx, &found->not_after, detail);
		}
		if (rc == RATLS_OK) {
			found->next = options->identities;
			options->identities = found;
			options->identity_count++;
		} else if (found != NULL) {
			free(found->config);
			free(found);
			found = NULL;
		}
	}
	if (rc == RATLS_OK && SSL_CTX_up_ref(found->ctx) == 1)
		*out = found->ctx;
	else if (rc == RATLS_OK)
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot reference the TLS context");
	pthread_mutex_unlock(&options->lock);
	return rc;
}

/* ---- connecting ---- */

static bool is_ip_literal(const char *host)
{
	struct in6_addr address;

	return inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1;
}

static int connect_address(const struct addrinfo *ai, int64_t deadline_ms, int abort_fd,
			   int *fd_out, int *error)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(*error);
	int ready, one = 1;

	*fd_out = -1;
	*error = 0;
	if (fd < 0) {
		*error = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		*error = errno;
		close(fd);
		return -1;
	}
	ready = pq_wait_fd(fd, POLLOUT, deadline_ms, abort_fd);
	if (ready != 1) {
		close(fd);
		return ready == 0 ? 0 : -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, error, &len) != 0 || *error != 0) {
		if (*error == 0)
			*error = errno;
		close(fd);
		return -1;
	}
	/* PostgreSQL messages are small and latency-bound, as libpq sets it too. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 1;
}

static int tcp_connect(const struct pq_target *target, int64_t deadline_ms, int abort_fd,
		       int *fd_out, struct ratls_detail *detail)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *list = NULL;
	const char *name = target->hostaddr[0] != '\0' ? target->hostaddr : target->host;
	char where[RATLS_PQ_HOST_SIZE + 16];
	int error = 0, result = -1, gai;

	pq_target_describe(target, where, sizeof(where));
	if (target->hostaddr[0] != '\0')
		hints.ai_flags = AI_NUMERICHOST;
	/* NOTE: getaddrinfo has no timeout of its own; a slow resolver delays past deadline_ms. */
	gai = getaddrinfo(name, target->port, &hints, &list);
	if (gai != 0)
		return ratls_fail(detail, RATLS_ERR_NETWORK,
				  "cannot resolve '%s': %s; check the host name", name,
				  gai_strerror(gai));
	for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
		result = connect_address(ai, deadline_ms, abort_fd, fd_out, &error);
		if (result != -1 || error == 0)
			break;
	}
	freeaddrinfo(list);
	if (result == 1)
		return RATLS_OK;
	if (result == 0)
		return ratls_fail(detail, RATLS_ERR_TIMEOUT,
				  "TCP connect to %s timed out; check that the server is reachable "
				  "or raise ratls_connect_timeout",
				  where);
	if (error == 0)
		return ratls_fail(detail, RATLS_ERR_NETWORK, "TCP connect to %s was aborted", where);
	return ratls_fail(detail, RATLS_ERR_NETWORK,
			  "TCP connect to %s failed: %s; check the host, the port and that the "
			  "server runs",
			  where, strerror(error));
}

static int tls_handshake(SSL *ssl, int fd, const char *where, int64_t deadline_ms, int abort_fd,
			 struct ratls_detail *detail)
{
	for (;;) {
		int ret = SSL_connect(ssl);
		int error, ready;

		if (ret == 1)
			return RATLS_OK;
		error = SSL_get_error(ssl, ret);
		if (error == SSL_ERROR_WANT_READ)
			ready = pq_wait_fd(fd, POLLIN, deadline_ms, abort_fd);
		else if (error == SSL_ERROR_WANT_WRITE)
			ready = pq_wait_fd(fd, POLLOUT, deadline_ms, abort_fd);
		else
			return ratls_fail_ossl(detail, RATLS_ERR_NETWORK,
					       "TLS handshake with %s failed; check that it is an "
					       "RA-TLS port that takes TLS directly (ratls-sidecar), "
					       "not PostgreSQL itself",
					       where);
		if (ready == 0)
			return ratls_fail(detail, RATLS_ERR_TIMEOUT,
					  "TLS handshake with %s timed out; raise "
					  "ratls_connect_timeout or check the server",
					  where);
		if (ready < 0)
			return ratls_fail(detail, RATLS_ERR_NETWORK,
					  "TLS handshake with %s was aborted", where);
	}
}

static int capture_leaf(struct pq_upstream *up, const char *where, struct ratls_detail *detail)
{
	X509 *leaf = SSL_get0_peer_certificate(up->ssl);
	unsigned char *der = NULL;
	int len;

	if (leaf == NULL)
		return ratls_fail(detail, RATLS_ERR_NOT_RATLS,
				  "%s presented no certificate, so it cannot be attested", where);
	len = i2d_X509(leaf, &der);
	if (len <= 0)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				       "cannot encode the certificate of %s", where);
	up->leaf = malloc((size_t)len);
	if (up->leaf == NULL) {
		OPENSSL_free(der);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	memcpy(up->leaf, der, (size_t)len);
	up->leaf_size = (size_t)len;
	OPENSSL_free(der);
	snprintf(up->tls_version, sizeof(up->tls_version), "%s", SSL_get_version(up->ssl));
	snprintf(up->tls_cipher, sizeof(up->tls_cipher), "%s", SSL_get_cipher_name(up->ssl));
	return RATLS_OK;
}

int pq_upstream_open(struct ratls_pq_options *options, const struct pq_settings *settings,
		     const struct pq_target *target, int64_t deadline_ms, int abort_fd,
		     struct pq_upstream *out, struct ratls_detail *detail)
{
	SSL_CTX *ctx = NULL;
	char where[RATLS_PQ_HOST_SIZE + 16];
	int rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	pq_target_describe(target, where, sizeof(where));
	if ((rc = context_get(options, settings, &ctx, detail)) != RATLS_OK)
		goto out;
	if ((rc = tcp_connect(target, deadline_ms, abort_fd, &out->fd, detail)) != RATLS_OK)
		goto out;

	out->ssl = SSL_new(ctx);
	if (out->ssl == NULL || SSL_set_fd(out->ssl, out->fd) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot create a TLS session");
		goto out;
	}
	/* RFC 6066 section 3: SNI carries host names only, never addresses. */
	if (target->host[0] != '\0' && !is_ip_literal(target->host) &&
	    SSL_set_tlsext_host_name(out->ssl, target->host) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the host name '%s' cannot be sent as SNI", target->host);
		goto out;
	}
	if ((rc = tls_handshake(out->ssl, out->fd, where, deadline_ms, abort_fd, detail)) !=
	    RATLS_OK)
		goto out;
	rc = capture_leaf(out, where, detail);
out:
	SSL_CTX_free(ctx);
	return rc;
}

void pq_upstream_close(struct pq_upstream *upstream, bool notify)
{
	if (upstream->ssl != NULL) {
		if (notify)
			SSL_shutdown(upstream->ssl);
		SSL_free(upstream->ssl);
	}
	if (upstream->fd >= 0)
		close(upstream->fd);
	free(upstream->leaf);
	ERR_clear_error();
	memset(upstream, 0, sizeof(*upstream));
	upstream->fd = -1;
}
