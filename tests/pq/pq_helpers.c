/* Helpers of the connector's integration tests. */
#define _GNU_SOURCE /* setgroups */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pq_helpers.h"
#include "ratls/attest.h"
#include "ratls/sim.h"

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* ---- PostgreSQL ---- */

void pqtest_pg_start(struct sctest_pg *pg)
{
	char postgres[SCTEST_PATH_SIZE], log[SCTEST_PATH_SIZE], port[16], conninfo[1024];
	char max_connections[64];
	const char *argv[] = {postgres, "-D", pg->data, "-p", port, "-k", pg->dir,
			      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
			      "-c", max_connections, NULL};
	time_t deadline = time(NULL) + 30;

	if (pg->port == 0)
		pg->port = sctest_free_port();
	snprintf(port, sizeof(port), "%d", pg->port);
	snprintf(max_connections, sizeof(max_connections), "max_connections=%d",
		 PQTEST_PG_MAX_CONNECTIONS);
	assert_true(snprintf(pg->socket, sizeof(pg->socket), "%s/.s.PGSQL.%d", pg->dir, pg->port) <
		    (int)sizeof(pg->socket));
	sctest_join(postgres, pg->bindir, "postgres");
	sctest_join(log, pg->dir, "postgres.log");

	pg->pid = fork();
	assert_true(pg->pid >= 0);
	if (pg->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		setsid();
		if (pg->drop_privileges &&
		    (setgroups(0, NULL) != 0 || setgid(pg->gid) != 0 || setuid(pg->uid) != 0))
			_exit(126);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	sctest_pg_conninfo(pg, conninfo, sizeof(conninfo));
	while (PQping(conninfo) != PQPING_OK) {
		int status;

		if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
			char *text = sctest_read_text(log);

			pg->pid = 0;
			fail_msg("postgres exited at start:\n%s", text != NULL ? text : "");
		}
		if (time(NULL) > deadline)
			fail_msg("postgres did not accept connections within 30 seconds");
		pause_ms(50);
	}
}

/* ---- the fake server ---- */

static void record_raw(struct fake_server *fake, SSL *ssl, int fd)
{
	int64_t deadline = (int64_t)time(NULL) + 3;
	long total = 0;

	/* Nothing may wait in OpenSSL's buffer either. */
	if (SSL_has_pending(ssl))
		total += 1;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint8_t buffer[4096];
		ssize_t n;

		if (poll(&p, 1, 100) == 0) {
			if ((int64_t)time(NULL) > deadline)
				break;
			continue;
		}
		n = recv(fd, buffer, sizeof(buffer), 0);
		if (n <= 0)
			break;
		total += n;
	}
	pthread_mutex_lock(&fake->lock);
	fake->raw_after_handshake = total;
	pthread_mutex_unlock(&fake->lock);
}

/* Reads one whole message: the StartupMessage has no type byte, later ones have one. */
static size_t read_message(SSL *ssl, bool typed, uint8_t *out, size_t size)
{
	size_t header = typed ? 5 : 4, got = 0, total;

	while (got < header) {
		int n = SSL_read(ssl, out + got, (int)(header - got));

		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	total = (size_t)out[header - 4] << 24 | (size_t)out[header - 3] << 16 |
		(size_t)out[header - 2] << 8 | out[header - 1];
	total += typed ? 1 : 0;
	if (total > size || total < header)
		return 0;
	while (got < total) {
		int n = SSL_read(ssl, out + got, (int)(total - got));

		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return total;
}

static void ask_password(struct fake_server *fake, SSL *ssl)
{
	/* AuthenticationCleartextPassword: 'R', length 8, code 3. */
	static const uint8_t ask[] = {'R', 0, 0, 0, 8, 0, 0, 0, 3};
	static const uint8_t refuse[] = {'E', 0, 0, 0, 23, 'S', 'F', 'A', 'T', 'A', 'L', 0,
					 'C', '2', '8', 'P', '0', '1', 0, 'M', 'n', 'o', 0, 0};
	uint8_t startup[4096], password[512];
	size_t startup_size, password_size = 0;

	startup_size = read_message(ssl, false, startup, sizeof(startup));
	if (startup_size > 0 && SSL_write(ssl, ask, sizeof(ask)) == (int)sizeof(ask))
		password_size = read_message(ssl, true, password, sizeof(password));
	if (SSL_write(ssl, refuse, sizeof(refuse)) <= 0)
		ERR_clear_error();
	pthread_mutex_lock(&fake->lock);
	memcpy(fake->startup, startup, startup_size);
	fake->startup_size = startup_size;
	memcpy(fake->password, password, password_size);
	fake->password_size = password_size;
	pthread_mutex_unlock(&fake->lock);
}

static void *fake_main(void *arg)
{
	struct fake_server *fake = arg;

	for (;;) {
		int fd = accept(fake->listen_fd, NULL, NULL);
		SSL *ssl;

		if (fd < 0)
			return NULL;
		fake->connections++;
		ssl = SSL_new(fake->ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			fake->handshakes++;
			if (fake->mode == FAKE_RECORD_RAW)
				record_raw(fake, ssl, fd);
			else
				ask_password(fake, ssl);
		}
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
		fake->done++;
	}
}

void fake_server_start(struct fake_server *fake, const uint8_t *cert_der, size_t cert_size,
		       const char *key_pem, enum fake_mode mode)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t len = sizeof(address);
	const unsigned char *p = cert_der;
	X509 *cert = d2i_X509(NULL, &p, (long)cert_size);
	BIO *bio = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	memset(fake, 0, sizeof(*fake));
	pthread_mutex_init(&fake->lock, NULL);
	fake->mode = mode;
	fake->raw_after_handshake = -1;
	fake->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(cert);
	assert_non_null(key);
	assert_int_equal(SSL_CTX_use_certificate(fake->ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(fake->ctx, key), 1);
	/* No session tickets, so the server writes nothing after the handshake either. */
	SSL_CTX_set_num_tickets(fake->ctx, 0);
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(bio);

	fake->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fake->listen_fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(fake->listen_fd, 16), 0);
	assert_int_equal(getsockname(fake->listen_fd, (struct sockaddr *)&address, &len), 0);
	fake->port = ntohs(address.sin_port);
	assert_int_equal(pthread_create(&fake->thread, NULL, fake_main, fake), 0);
}

void fake_server_stop(struct fake_server *fake)
{
	shutdown(fake->listen_fd, SHUT_RDWR);
	close(fake->listen_fd);
	pthread_join(fake->thread, NULL);
	SSL_CTX_free(fake->ctx);
	pthread_mutex_destroy(&fake->lock);
}

void fake_server_wait_done(struct fake_server *fake, int n)
{
	for (int i = 0; i < 1000 && fake->done < n; i++)
		pause_ms(10);
	assert_true(fake->done >= n);
}

/* ---- certificates ---- */

static int spec_quote(void *arg, const uint8_t report_data[64], uint8_t **quote,
		      size_t *quote_size, struct ratls_detail *detail)
{
	const struct cert_spec *spec = arg;
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(spec->platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memcpy(params.td.report_data, report_data, 64);
	/* No runtime events are issued, so RTMR3 replays to zero. */
	memset(params.td.rtmr[3], 0, sizeof(params.td.rtmr[3]));
	if (spec->debug)
		params.td.td_attributes[0] |= 0x01;
	if (spec->mrtd_fill != 0)
		memset(params.td.mr_td, spec->mrtd_fill, sizeof(params.td.mr_td));
	return ratls_sim_platform_quote(spec->platform, &params, quote, quote_size, detail);
}

void test_cert_issue(const struct cert_spec *spec, int64_t now, struct test_cert *out)
{
	static const char *const names[] = {"localhost"};
	struct ratls_issue_params params = {
		.common_name = "ratls-pq-test",
		.dns_names = names,
		.dns_name_count = 1,
		.not_before = now - 3600,
		.not_after = now + 3600,
		.quote_source = spec_quote,
		.quote_source_arg = (void *)(uintptr_t)spec,
	};
	struct ratls_detail detail = {0};

	memset(out, 0, sizeof(*out));
	if (ratls_issue_cert(&params, &out->der, &out->der_size, &out->key_pem, &out->key_size,
			     &detail) != RATLS_OK)
		fail_msg("issue a test certificate: %s", detail.message);
}

void test_cert_rebind(struct test_cert *cert)
{
	const unsigned char *p = cert->der;
	X509 *x = d2i_X509(NULL, &p, (long)cert->der_size);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *pem_data;
	long pem_size;
	int len;

	assert_non_null(x);
	assert_non_null(key);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	pem_size = BIO_get_mem_data(bio, &pem_data);

	free(cert->der);
	cert->der = malloc((size_t)len);
	memcpy(cert->der, der, (size_t)len);
	cert->der_size = (size_t)len;
	ratls_issue_free_key(cert->key_pem, cert->key_size);
	cert->key_pem = calloc(1, (size_t)pem_size + 1);
	memcpy(cert->key_pem, pem_data, (size_t)pem_size);
	cert->key_size = (size_t)pem_size;

	OPENSSL_free(der);
	BIO_free(bio);
	EVP_PKEY_free(key);
	X509_free(x);
}

void test_cert_free(struct test_cert *cert)
{
	free(cert->der);
	ratls_issue_free_key(cert->key_pem, cert->key_size);
	memset(cert, 0, sizeof(*cert));
}

void test_cert_write(const struct test_cert *cert, const char *dir, const char *name,
		     char cert_path[SCTEST_PATH_SIZE], char key_path[SCTEST_PATH_SIZE])
{
	char file[256];
	char *pem = NULL;
	size_t pem_len = 0;
	struct ratls_detail detail = {0};

	snprintf(file, sizeof(file), "%s.pem", name);
	sctest_join(cert_path, dir, file);
	snprintf(file, sizeof(file), "%s.key", name);
	sctest_join(key_path, dir, file);
	assert_int_equal(ratls_sim_pem_encode("CERTIFICATE", cert->der, cert->der_size, &pem,
					      &pem_len, &detail),
			 RATLS_OK);
	sctest_write_file(cert_path, pem, pem_len);
	sctest_write_file(key_path, cert->key_pem, cert->key_size);
	ratls_sim_free(pem);
}

/* ---- logs ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int warning_count;
static char warnings[8][512];

void pqtest_log(enum ratls_log_level level, const char *message, void *arg)
{
	(void)arg;
	if (getenv("RATLS_TEST_VERBOSE") != NULL)
		fprintf(stderr, "ratls log %d: %s\n", (int)level, message);
	if (level > RATLS_LOG_WARNING)
		return;
	pthread_mutex_lock(&log_lock);
	snprintf(warnings[warning_count % 8], sizeof(warnings[0]), "%s", message);
	warning_count++;
	pthread_mutex_unlock(&log_lock);
}

int pqtest_warnings(void)
{
	int n;

	pthread_mutex_lock(&log_lock);
	n = warning_count;
	pthread_mutex_unlock(&log_lock);
	return n;
}

bool pqtest_warned(const char *text)
{
	bool found = false;

	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < 8 && i < warning_count; i++)
		found = found || strstr(warnings[i], text) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

void pqtest_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	warning_count = 0;
	memset(warnings, 0, sizeof(warnings));
	pthread_mutex_unlock(&log_lock);
}

void pqtest_format(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

/* ---- resources ---- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	int n = 0;

	assert_non_null(d);
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n;
}

int pqtest_thread_count(void)
{
	return count_entries("/proc/self/task");
}

int pqtest_fd_count(void)
{
	/* One of them is the directory stream that counts. */
	return count_entries("/proc/self/fd") - 1;
}

int pqtest_wait_threads(int n, int timeout_ms)
{
	int count = pqtest_thread_count();

	for (int waited = 0; count > n && waited < timeout_ms; waited += 10) {
		pause_ms(10);
		count = pqtest_thread_count();
	}
	return count;
}
