/*
 * Helpers of the connector's integration tests: PostgreSQL started with
 * room for many connections, a fake RA-TLS server that records what
 * arrives after its handshake, RA-TLS certificates shaped to fail one
 * check each, a log hook that keeps warnings, and counters of the
 * process's threads and open files.
 */
#ifndef RATLS_TESTS_PQ_HELPERS_H
#define RATLS_TESTS_PQ_HELPERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "pg_harness.h"
#include "ratls/log.h"
#include "sidecar_helpers.h"

/* Connections PostgreSQL accepts in these tests: 50 concurrent ones plus cancels and spares. */
#define PQTEST_PG_MAX_CONNECTIONS 120

/* Like sctest_pg_start, with max_connections = PQTEST_PG_MAX_CONNECTIONS. */
void pqtest_pg_start(struct sctest_pg *pg);

/* What the fake server does after a successful handshake. */
enum fake_mode {
	/* Counts the raw TCP bytes after the handshake until end of stream or 3 seconds. */
	FAKE_RECORD_RAW = 1,
	/*
	 * Reads the StartupMessage, requests a cleartext password, reads the
	 * PasswordMessage, then ends with an ErrorResponse. Keeps the plaintext.
	 */
	FAKE_ASK_PASSWORD = 2
};

struct fake_server {
	int listen_fd;
	int port;
	pthread_t thread;
	SSL_CTX *ctx;
	enum fake_mode mode;
	atomic_int connections;
	atomic_int handshakes;
	atomic_int done; /* connections fully handled */
	pthread_mutex_t lock;
	long raw_after_handshake; /* FAKE_RECORD_RAW: -1 until a connection was recorded */
	uint8_t startup[4096];    /* FAKE_ASK_PASSWORD: the StartupMessage */
	size_t startup_size;
	uint8_t password[512];    /* FAKE_ASK_PASSWORD: the PasswordMessage */
	size_t password_size;
};

/* Starts a TLS server on 127.0.0.1 (ephemeral port) presenting cert_der with key_pem. */
void fake_server_start(struct fake_server *fake, const uint8_t *cert_der, size_t cert_size,
		       const char *key_pem, enum fake_mode mode);
void fake_server_stop(struct fake_server *fake);
/* Waits up to 10 seconds until the server handled n connections. */
void fake_server_wait_done(struct fake_server *fake, int n);

/* How a test certificate's quote deviates from a good one. */
struct cert_spec {
	const struct ratls_sim_platform *platform;
	bool debug;          /* DEBUG set in the TD attributes */
	uint8_t mrtd_fill;   /* 0 keeps the platform's default MRTD */
};

struct test_cert {
	uint8_t *der;
	size_t der_size;
	char *key_pem;
	size_t key_size;
};

/* Issues an RA-TLS certificate (valid one hour around now) whose quote follows spec. */
void test_cert_issue(const struct cert_spec *spec, int64_t now, struct test_cert *out);

/*
 * Replaces the certificate's key: the same extensions (so the quote still
 * binds the old key) on a certificate for a new key, signed by it.
 */
void test_cert_rebind(struct test_cert *cert);

void test_cert_free(struct test_cert *cert);

/* Writes the certificate as PEM and its key to files in dir. */
void test_cert_write(const struct test_cert *cert, const char *dir, const char *name,
		     char cert_path[SCTEST_PATH_SIZE], char key_path[SCTEST_PATH_SIZE]);

/* A log hook for ratls_set_log_callback that counts warnings and keeps the last one. */
void pqtest_log(enum ratls_log_level level, const char *message, void *arg);
int pqtest_warnings(void);
/* True when a warning logged since the last reset contains text. */
bool pqtest_warned(const char *text);
void pqtest_log_reset(void);

/* snprintf that fails the test when out is too small. */
void pqtest_format(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The process's threads (/proc/self/task) and open file descriptors (/proc/self/fd). */
int pqtest_thread_count(void);
int pqtest_fd_count(void);

/* Waits up to timeout_ms for the thread count to fall to at most n; returns the last count. */
int pqtest_wait_threads(int n, int timeout_ms);

#endif
