/*
 * Mutual RA-TLS on the sidecar (--require-client-attestation): clients
 * without a certificate, with a certificate whose quote fails, whose key
 * binding fails or whose MRTD is not allowed are rejected before any byte
 * reaches the upstream. The upstream is a
 * fake that records every connection and byte, which proves the invariant.
 * A client with a good certificate shows that the fake does see what gets
 * through.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pg_harness.h"
#include "ratls/attest.h"
#include "sidecar_helpers.h"
#include "tls_client.h"

/* The MRTD the policy allows, and one it does not. */
#define GOOD_MRTD_BYTE 0x6d
#define OTHER_MRTD_BYTE 0x6e

/* ---- the fake upstream ---- */

struct fake_upstream {
	char path[SCTEST_PATH_SIZE];
	int listen_fd;
	atomic_int connections;
	atomic_long bytes;
	pthread_t thread;
};

static void *fake_upstream_main(void *arg)
{
	struct fake_upstream *fake = arg;

	for (;;) {
		int fd = accept(fake->listen_fd, NULL, NULL);
		char buffer[4096];
		ssize_t n;

		if (fd < 0)
			return NULL;
		fake->connections++;
		while ((n = read(fd, buffer, sizeof(buffer))) > 0)
			fake->bytes += n;
		close(fd);
	}
}

static void fake_upstream_start(struct fake_upstream *fake, const char *dir)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};

	memset(fake, 0, sizeof(*fake));
	sctest_join(fake->path, dir, "upstream.sock");
	assert_true(strlen(fake->path) < sizeof(address.sun_path));
	memcpy(address.sun_path, fake->path, strlen(fake->path) + 1);
	fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fake->listen_fd >= 0);
	assert_int_equal(bind(fake->listen_fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(fake->listen_fd, 16), 0);
	assert_int_equal(pthread_create(&fake->thread, NULL, fake_upstream_main, fake), 0);
}

static void fake_upstream_stop(struct fake_upstream *fake)
{
	shutdown(fake->listen_fd, SHUT_RDWR);
	close(fake->listen_fd);
	pthread_join(fake->thread, NULL);
}

/* ---- fixture ---- */

static struct sctest_platform platform;
static struct sctest_platform other_platform;
static struct fake_upstream upstream;
static struct sctest_sidecar sidecar;
static char *work_dir;
static char *other_dir;

static int setup(void **state)
{
	char mrtd[97];
	const char *args[] = {"--simulate", NULL, "--upstream", upstream.path,
			      "--require-client-attestation", "--client-trust-root", NULL,
			      "--client-collateral", NULL, "--client-mrtd", mrtd,
			      "--handshake-timeout", "5", NULL};

	(void)state;
	work_dir = sctest_temp_dir("ratls-sidecar-mutual");
	other_dir = sctest_temp_dir("ratls-sidecar-mutual-other");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, (int64_t)time(NULL));
	sctest_platform_init(&other_platform, other_dir, SCTEST_SEED_OTHER, platform.now);
	fake_upstream_start(&upstream, work_dir);
	memset(mrtd, 0, sizeof(mrtd));
	for (int i = 0; i < 48; i++)
		snprintf(mrtd + 2 * i, 3, "%02x", GOOD_MRTD_BYTE);
	args[1] = platform.dir;
	args[3] = upstream.path;
	args[6] = platform.root_pem_path;
	args[8] = platform.collateral_path;
	sctest_sidecar_start(&sidecar, work_dir, args);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_sidecar_stop(&sidecar, SIGTERM, 10);
	sctest_stop_children();
	fake_upstream_stop(&upstream);
	sctest_platform_free(&other_platform);
	sctest_platform_free(&platform);
	sctest_remove_tree(other_dir);
	sctest_remove_tree(work_dir);
	free(other_dir);
	free(work_dir);
	return 0;
}

/* ---- client certificates ---- */

struct client_quote {
	const struct sctest_platform *platform;
	uint8_t mrtd_byte;
};

static int client_quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			       size_t *quote_size, struct ratls_detail *detail)
{
	const struct client_quote *source = arg;
	uint8_t data[64], mrtd[48], rtmr[4][48];

	memcpy(data, report_data, sizeof(data));
	memset(mrtd, source->mrtd_byte, sizeof(mrtd));
	/* No runtime events, so RTMR3 replays to zero. */
	memset(rtmr, 0x21, sizeof(rtmr));
	memset(rtmr[3], 0, sizeof(rtmr[3]));
	return ratls_sim_platform_td_quote(source->platform->platform, mrtd,
					   (const uint8_t(*)[48])rtmr, data, quote, quote_size,
					   detail);
}

struct client_cert {
	uint8_t *der;
	size_t der_size;
	char *key;
	size_t key_size;
};

static void issue_client_cert(const struct client_quote *source, struct client_cert *out)
{
	struct ratls_issue_params params = {
		.common_name = "client.example.com",
		.not_before = platform.now - 3600,
		.not_after = platform.now + 3600,
		.quote_source = client_quote_source,
		.quote_source_arg = (void *)(uintptr_t)source,
	};
	struct ratls_detail detail = {0};

	if (ratls_issue_cert(&params, &out->der, &out->der_size, &out->key, &out->key_size,
			     &detail) != RATLS_OK)
		fail_msg("issue client certificate: %s", detail.message);
}

static void free_client_cert(struct client_cert *cert)
{
	free(cert->der);
	ratls_issue_free_key(cert->key, cert->key_size);
}

/*
 * Connects with cert (NULL: none), sends a StartupMessage and waits for a
 * reply. The fake upstream never replies, so an accepted session stays
 * open and the read times out, while a rejected one ends with an alert or
 * end of stream. Returns true when the session stayed open.
 */
static bool session_stays_open(const struct client_cert *cert)
{
	struct sctest_tls_options options = {.ssl_request = true};
	struct sctest_tls tls;
	uint8_t message[128], answer[16];
	size_t size = sctest_startup_message(message, sizeof(message), "postgres", "postgres");
	bool handshake, open = false;

	if (cert != NULL) {
		options.cert = cert->der;
		options.cert_size = cert->der_size;
		options.key_pem = cert->key;
	}
	handshake = sctest_tls_connect(sidecar.pg_port, &options, &tls);
	/*
	 * In TLS 1.3 the client finishes its handshake before the server has
	 * checked the client certificate, so a rejection arrives at the first
	 * read.
	 */
	if (handshake && sctest_tls_write(&tls, message, size))
		open = sctest_tls_read(&tls, answer, sizeof(answer), 1500) == -2;
	sctest_tls_close(&tls);
	return open;
}

static void wait_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Waits for the fake upstream to see at least bytes bytes; returns the count it saw. */
static long upstream_bytes_after(long bytes, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms && upstream.bytes < bytes; waited += 20)
		wait_ms(20);
	return upstream.bytes;
}

static bool log_shows(const char *text)
{
	for (int waited = 0; waited < 3000; waited += 20) {
		if (sctest_sidecar_log_contains(&sidecar, text))
			return true;
		wait_ms(20);
	}
	sctest_sidecar_print_log(&sidecar);
	return false;
}

/* ---- tests ---- */

static void attested_client_reaches_upstream(void **state)
{
	struct client_quote source = {&platform, GOOD_MRTD_BYTE};
	struct client_cert cert;
	int connections = upstream.connections;
	long bytes = upstream.bytes;

	(void)state;
	issue_client_cert(&source, &cert);
	assert_true(session_stays_open(&cert));
	assert_true(upstream_bytes_after(bytes + 1, 3000) > bytes);
	assert_int_equal(upstream.connections, connections + 1);
	assert_true(log_shows("client_app_id=none"));
	free_client_cert(&cert);
}

/* Runs a client that must be rejected and checks that the upstream saw nothing. */
static void expect_rejected(const struct client_cert *cert, const char *log_text)
{
	int connections = upstream.connections;
	long bytes = upstream.bytes;

	assert_false(session_stays_open(cert));
	assert_true(log_shows(log_text));
	/* Give a wrongly forwarded byte time to arrive before checking that none did. */
	wait_ms(300);
	assert_int_equal(upstream.connections, connections);
	assert_int_equal(upstream.bytes, bytes);
}

static void client_without_cert_rejected(void **state)
{
	(void)state;
	expect_rejected(NULL, "reason=tls_handshake");
}

static void client_quote_failure_rejected(void **state)
{
	struct client_quote source = {&other_platform, GOOD_MRTD_BYTE};
	struct client_cert cert;

	(void)state;
	issue_client_cert(&source, &cert);
	expect_rejected(&cert, "rejected at step quote: RATLS_ERR_UNTRUSTED_ROOT");
	free_client_cert(&cert);
}

/*
 * A certificate that carries another key's evidence: the good certificate
 * of key A, its public key replaced by key B and signed again by B, the
 * way an attacker would reuse evidence copied from a real server.
 */
static void issue_stolen_evidence_cert(struct client_cert *out)
{
	struct client_quote source = {&platform, GOOD_MRTD_BYTE};
	struct client_cert original;
	const unsigned char *p;
	unsigned char *der = NULL;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	X509 *x509;
	char *pem = NULL;
	long pem_size;
	int der_size;

	issue_client_cert(&source, &original);
	p = original.der;
	x509 = d2i_X509(NULL, &p, (long)original.der_size);
	assert_non_null(x509);
	assert_non_null(key);
	assert_int_equal(X509_set_pubkey(x509, key), 1);
	assert_true(X509_sign(x509, key, EVP_sha256()) > 0);
	der_size = i2d_X509(x509, &der);
	assert_true(der_size > 0);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	pem_size = BIO_get_mem_data(bio, &pem);
	out->der = malloc((size_t)der_size);
	out->key = malloc((size_t)pem_size + 1);
	assert_non_null(out->der);
	assert_non_null(out->key);
	memcpy(out->der, der, (size_t)der_size);
	out->der_size = (size_t)der_size;
	memcpy(out->key, pem, (size_t)pem_size);
	out->key[pem_size] = '\0';
	out->key_size = (size_t)pem_size;
	OPENSSL_free(der);
	BIO_free(bio);
	X509_free(x509);
	EVP_PKEY_free(key);
	free_client_cert(&original);
}

static void client_binding_failure_rejected(void **state)
{
	struct client_cert cert;

	(void)state;
	issue_stolen_evidence_cert(&cert);
	expect_rejected(&cert, "rejected at step binding: RATLS_ERR_KEY_BINDING");
	free_client_cert(&cert);
}

static void client_mrtd_not_allowed_rejected(void **state)
{
	struct client_quote source = {&platform, OTHER_MRTD_BYTE};
	struct client_cert cert;

	(void)state;
	issue_client_cert(&source, &cert);
	expect_rejected(&cert, "rejected at step policy: RATLS_ERR_MRTD_NOT_ALLOWED");
	free_client_cert(&cert);
}

static void plaintext_cancel_refused(void **state)
{
	/* Length 16, code 80877102, backend PID 1, key 2. */
	static const uint8_t cancel[16] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e,
					   0, 0, 0, 1,  0,    0,    0,    2};
	struct sockaddr_in address = {.sin_family = AF_INET};
	int connections = upstream.connections;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char byte;

	(void)state;
	assert_true(fd >= 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	address.sin_port = htons((uint16_t)sidecar.pg_port);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(write(fd, cancel, sizeof(cancel)), (ssize_t)sizeof(cancel));
	assert_true(read(fd, &byte, 1) <= 0);
	close(fd);
	assert_true(log_shows("CancelRequest refused"));
	assert_int_equal(upstream.connections, connections);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attested_client_reaches_upstream),
		cmocka_unit_test(client_without_cert_rejected),
		cmocka_unit_test(client_quote_failure_rejected),
		cmocka_unit_test(client_binding_failure_rejected),
		cmocka_unit_test(client_mrtd_not_allowed_rejected),
		cmocka_unit_test(plaintext_cancel_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
