/*
 * A throwaway PostgreSQL server and a ratls-sidecar process for the
 * integration tests.
 *
 * PostgreSQL: initdb into a temporary folder and postgres on a free
 * loopback port and a Unix socket in that folder. initdb and postgres
 * reject root, so when the tests run as root (as in CI) both run as the
 * user "nobody", with the folder handed to that user. As any other user
 * they run as that user. The binaries come from
 * $RATLS_PG_BINDIR, else "pg_config --bindir", else
 * /usr/lib/postgresql/<newest>/bin, else PATH.
 *
 * The sidecar: the binary in $RATLS_SIDECAR_BIN, started with
 * --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 and the caller's
 * options, its log in a file; the ports come from its "ready" log line.
 */
#ifndef RATLS_TESTS_PG_HARNESS_H
#define RATLS_TESTS_PG_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "sidecar_helpers.h"

/* Exit status that makes meson count a test as skipped. */
#define SCTEST_EXIT_SKIP 77

struct sctest_pg {
	char bindir[SCTEST_PATH_SIZE];
	char dir[SCTEST_PATH_SIZE];    /* temporary folder: data/, the socket, the log */
	char data[SCTEST_PATH_SIZE];   /* data directory */
	char socket[SCTEST_PATH_SIZE]; /* dir/.s.PGSQL.<port> */
	int port;
	pid_t pid; /* 0 when stopped */
	bool drop_privileges;
	uid_t uid;
	gid_t gid;
};

/*
 * Finds the PostgreSQL binaries. When they are missing, prints why and
 * exits with SCTEST_EXIT_SKIP, so call it before cmocka starts.
 */
void sctest_pg_find_or_skip(struct sctest_pg *pg);

/* Creates the folder and runs initdb (trust authentication, superuser "postgres"). */
void sctest_pg_init(struct sctest_pg *pg);

/* Starts postgres and waits until it accepts connections. */
void sctest_pg_start(struct sctest_pg *pg);

/* Stops postgres (fast shutdown) and waits for it. */
void sctest_pg_stop(struct sctest_pg *pg);

/* Stops postgres when running and removes the folder. */
void sctest_pg_destroy(struct sctest_pg *pg);

/* Writes a libpq conninfo for the Unix socket, user postgres, database postgres. */
void sctest_pg_conninfo(const struct sctest_pg *pg, char *out, size_t size);

/* Returns a TCP port on 127.0.0.1 that was free a moment ago. */
int sctest_free_port(void);

struct sctest_sidecar {
	pid_t pid;
	char log_path[SCTEST_PATH_SIZE];
	int pg_port;
	int http_port;
};

/*
 * Starts ratls-sidecar with args (NULL-terminated, after the listen
 * options) and waits for its ready line. It fails the test with
 * the log when the sidecar exits first or is not ready within 20 seconds.
 */
void sctest_sidecar_start(struct sctest_sidecar *sc, const char *log_dir,
			  const char *const args[]);

/*
 * Sends signal_number to the sidecar and waits up to timeout seconds for
 * it to exit. Returns its exit status, or -1 when it had to be killed.
 */
int sctest_sidecar_stop(struct sctest_sidecar *sc, int signal_number, int timeout);

/* True when the sidecar's log contains text. */
bool sctest_sidecar_log_contains(const struct sctest_sidecar *sc, const char *text);

/* Prints the sidecar's log to standard error (for failing tests). */
void sctest_sidecar_print_log(const struct sctest_sidecar *sc);

/*
 * Runs argv (argv[0] a path), waits up to timeout seconds and returns the
 * exit status (-1 when killed). Standard output and error go to out_path
 * (NULL: discarded).
 */
int sctest_run(const char *const argv[], const char *out_path, int timeout);

/*
 * Stops every postgres and sidecar these helpers started and that is still
 * running (also done at exit), so a test that failed half-way leaves no
 * process behind.
 */
void sctest_stop_children(void);

/* Reads a whole small file into a new NUL-terminated string (caller frees). */
char *sctest_read_text(const char *path);

/*
 * GETs http://127.0.0.1:port/path (libcurl, 30 second timeout). Returns the
 * HTTP status (0 when the request failed) and the body in *body (caller
 * frees; may be NULL).
 */
long sctest_http_get(int port, const char *path, char **body);

/* Like sctest_http_get with another method ("POST"). */
long sctest_http_request(int port, const char *method, const char *path, char **body);

#endif
