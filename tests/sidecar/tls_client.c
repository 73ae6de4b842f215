/* A blocking TLS client for the sidecar tests. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls_client.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Sends an 8-byte request (length 8, code) and returns the one-byte reply, or 0. */
static char send_request(int fd, uint32_t code)
{
	uint8_t request[8];
	char answer = 0;

	put_be32(request, 8);
	put_be32(request + 4, code);
	if (write(fd, request, sizeof(request)) != (ssize_t)sizeof(request))
		return 0;
	if (read(fd, &answer, 1) != 1)
		return 0;
	return answer;
}

static int connect_loopback(int port)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	assert_true(fd >= 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	address.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void use_client_cert(SSL_CTX *ctx, const struct sctest_tls_options *options)
{
	const unsigned char *p = options->cert;
	X509 *cert = d2i_X509(NULL, &p, (long)options->cert_size);
	BIO *bio = BIO_new_mem_buf(options->key_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	assert_non_null(cert);
	assert_non_null(key);
	assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	EVP_PKEY_free(key);
	BIO_free(bio);
	X509_free(cert);
}

bool sctest_tls_connect(int port, const struct sctest_tls_options *options,
			struct sctest_tls *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = connect_loopback(port);
	if (out->fd < 0)
		return false;
	if (options->gssenc_request) {
		out->preamble_reply = send_request(out->fd, 80877104u);
		if (out->preamble_reply != 'N')
			return false;
	}
	if (options->ssl_request) {
		out->preamble_reply = send_request(out->fd, 80877103u);
		if (out->preamble_reply != 'S')
			return false;
	}
	out->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(out->ctx);
	SSL_CTX_set_verify(out->ctx, SSL_VERIFY_NONE, NULL);
	if (options->cert != NULL)
		use_client_cert(out->ctx, options);
	out->ssl = SSL_new(out->ctx);
	assert_non_null(out->ssl);
	if (options->alpn != NULL) {
		unsigned char list[64];
		size_t len = strlen(options->alpn);

		assert_true(len < sizeof(list));
		list[0] = (unsigned char)len;
		memcpy(list + 1, options->alpn, len);
		assert_int_equal(SSL_set_alpn_protos(out->ssl, list, (unsigned int)len + 1), 0);
	}
	SSL_set_fd(out->ssl, out->fd);
	if (SSL_connect(out->ssl) != 1) {
		ERR_clear_error();
		return false;
	}
	return true;
}

uint8_t *sctest_tls_server_cert(const struct sctest_tls *tls, size_t *size)
{
	X509 *cert = SSL_get1_peer_certificate(tls->ssl);
	unsigned char *der = NULL;
	uint8_t *copy;
	int len;

	if (cert == NULL)
		return NULL;
	len = i2d_X509(cert, &der);
	X509_free(cert);
	if (len <= 0)
		return NULL;
	copy = malloc((size_t)len);
	assert_non_null(copy);
	memcpy(copy, der, (size_t)len);
	OPENSSL_free(der);
	*size = (size_t)len;
	return copy;
}

bool sctest_tls_alpn_is(const struct sctest_tls *tls, const char *name)
{
	const unsigned char *alpn = NULL;
	unsigned int len = 0;

	SSL_get0_alpn_selected(tls->ssl, &alpn, &len);
	return len == strlen(name) && memcmp(alpn, name, len) == 0;
}

bool sctest_tls_write(struct sctest_tls *tls, const void *data, size_t size)
{
	size_t written = 0;

	return SSL_write_ex(tls->ssl, data, size, &written) == 1 && written == size;
}

int sctest_tls_read(struct sctest_tls *tls, void *data, size_t size, int timeout_ms)
{
	struct pollfd pfd = {tls->fd, POLLIN, 0};
	size_t got = 0;
	int rc;

	if (SSL_pending(tls->ssl) == 0 && poll(&pfd, 1, timeout_ms) <= 0)
		return -2;
	rc = SSL_read_ex(tls->ssl, data, size, &got);
	if (rc == 1)
		return (int)got;
	rc = SSL_get_error(tls->ssl, 0);
	ERR_clear_error();
	return rc == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

void sctest_tls_close(struct sctest_tls *tls)
{
	if (tls->ssl != NULL)
		SSL_free(tls->ssl);
	if (tls->ctx != NULL)
		SSL_CTX_free(tls->ctx);
	if (tls->fd >= 0)
		close(tls->fd);
	memset(tls, 0, sizeof(*tls));
	tls->fd = -1;
}

size_t sctest_startup_message(uint8_t *out, size_t size, const char *user, const char *database)
{
	size_t n = 8;

	assert_true(size > 16 + strlen(user) + strlen(database) + 16);
	put_be32(out + 4, 196608u);
	memcpy(out + n, "user", 5);
	n += 5;
	memcpy(out + n, user, strlen(user) + 1);
	n += strlen(user) + 1;
	memcpy(out + n, "database", 9);
	n += 9;
	memcpy(out + n, database, strlen(database) + 1);
	n += strlen(database) + 1;
	out[n++] = 0;
	put_be32(out, (uint32_t)n);
	return n;
}
