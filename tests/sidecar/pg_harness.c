/* A throwaway PostgreSQL server and the ratls-sidecar process for integration tests. */
#define _GNU_SOURCE /* setgroups */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "pg_harness.h"

/* Seconds to wait for PostgreSQL to accept connections after start. */
#define PG_START_TIMEOUT 30
/* Seconds to wait for the sidecar's ready line. */
#define SIDECAR_READY_TIMEOUT 20

/* Children still running (postgres and sidecars), stopped at exit if a test failed early. */
#define TRACKED_MAX 32

static struct {
	pid_t pid;
	int signal_number;
} tracked[TRACKED_MAX];

static void stop_tracked(void);
static int wait_exit(pid_t pid, int timeout);

static void track(pid_t pid, int signal_number)
{
	static bool registered;

	if (!registered) {
		atexit(stop_tracked);
		registered = true;
	}
	for (size_t i = 0; i < TRACKED_MAX; i++) {
		if (tracked[i].pid == 0) {
			tracked[i].pid = pid;
			tracked[i].signal_number = signal_number;
			return;
		}
	}
}

static void untrack(pid_t pid)
{
	for (size_t i = 0; i < TRACKED_MAX; i++) {
		if (tracked[i].pid == pid)
			tracked[i].pid = 0;
	}
}

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static bool is_executable(const char *dir, const char *name)
{
	char path[SCTEST_PATH_SIZE];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, X_OK) == 0;
}

static bool has_server_binaries(const char *dir)
{
	return dir[0] != '\0' && is_executable(dir, "initdb") && is_executable(dir, "postgres") &&
	       is_executable(dir, "pg_ctl");
}

/* Reads the first line that cmd prints (popen: a fixed command, no user input). */
static bool first_line_of(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	bool ok;

	if (p == NULL)
		return false;
	ok = fgets(out, (int)size, p) != NULL;
	pclose(p);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok;
}

/* The newest /usr/lib/postgresql/<N>/bin, as Debian installs the server. */
static bool newest_debian_bindir(char *out, size_t size)
{
	DIR *dir = opendir("/usr/lib/postgresql");
	struct dirent *entry;
	long best = -1;

	if (dir == NULL)
		return false;
	while ((entry = readdir(dir)) != NULL) {
		char *end = NULL;
		long version = strtol(entry->d_name, &end, 10);

		if (end != entry->d_name && *end == '\0' && version > best)
			best = version;
	}
	closedir(dir);
	if (best < 0)
		return false;
	snprintf(out, size, "/usr/lib/postgresql/%ld/bin", best);
	return true;
}

/* Tries each place the binaries may be, in the documented order. */
static bool find_bindir(char *out, size_t size)
{
	const char *env = getenv("RATLS_PG_BINDIR");
	char *slash;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, size, "%s", env);
		if (has_server_binaries(out))
			return true;
	}
	if (first_line_of("pg_config --bindir 2>/dev/null", out, size) && has_server_binaries(out))
		return true;
	if (newest_debian_bindir(out, size) && has_server_binaries(out))
		return true;
	if (!first_line_of("command -v initdb 2>/dev/null", out, size))
		return false;
	slash = strrchr(out, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	return has_server_binaries(out);
}

void sctest_pg_find_or_skip(struct sctest_pg *pg)
{
	memset(pg, 0, sizeof(*pg));
	if (!find_bindir(pg->bindir, sizeof(pg->bindir))) {
		printf("SKIP: PostgreSQL server binaries (initdb, postgres, pg_ctl) not found; "
		       "install them with scripts/install-deps.sh or set RATLS_PG_BINDIR\n");
		exit(SCTEST_EXIT_SKIP);
	}
}

/* Chooses the user that runs PostgreSQL: "nobody" when we are root, else ourselves. */
static void choose_user(struct sctest_pg *pg)
{
	struct passwd *nobody;

	pg->uid = getuid();
	pg->gid = getgid();
	pg->drop_privileges = geteuid() == 0;
	if (!pg->drop_privileges)
		return;
	nobody = getpwnam("nobody");
	assert_non_null(nobody);
	pg->uid = nobody->pw_uid;
	pg->gid = nobody->pw_gid;
}

/* In a child: gives up root for the PostgreSQL user. */
static void drop_privileges_in_child(const struct sctest_pg *pg)
{
	if (!pg->drop_privileges)
		return;
	if (setgroups(0, NULL) != 0 || setgid(pg->gid) != 0 || setuid(pg->uid) != 0) {
		fprintf(stderr, "cannot switch to uid %d: %s\n", (int)pg->uid, strerror(errno));
		_exit(126);
	}
}

/* Stops every tracked child: its own stop signal, then SIGKILL after 5 seconds. */
static void stop_tracked(void)
{
	for (size_t i = 0; i < TRACKED_MAX; i++) {
		if (tracked[i].pid > 0) {
			kill(tracked[i].pid, tracked[i].signal_number);
			wait_exit(tracked[i].pid, 5);
			tracked[i].pid = 0;
		}
	}
}

void sctest_stop_children(void)
{
	stop_tracked();
}

/* Forks, redirects output to log_path, drops privileges and execs argv. */
static pid_t spawn_as_pg_user(const struct sctest_pg *pg, const char *const argv[],
			      const char *log_path)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		setsid();
		drop_privileges_in_child(pg);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, int timeout)
{
	time_t deadline = time(NULL) + timeout;
	int status;

	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (done == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		pause_ms(20);
	}
}

void sctest_pg_init(struct sctest_pg *pg)
{
	char *dir = sctest_temp_dir("ratls-sidecar-pg");
	char initdb[SCTEST_PATH_SIZE], log[SCTEST_PATH_SIZE];
	const char *argv[] = {initdb, "-D", pg->data, "-U", "postgres", "-A", "trust",
			      "--no-sync", "-E", "UTF8", "--locale=C", NULL};
	int status;

	choose_user(pg);
	snprintf(pg->dir, sizeof(pg->dir), "%s", dir);
	free(dir);
	if (pg->drop_privileges)
		assert_int_equal(chown(pg->dir, pg->uid, pg->gid), 0);
	sctest_join(pg->data, pg->dir, "data");
	sctest_join(initdb, pg->bindir, "initdb");
	sctest_join(log, pg->dir, "initdb.log");
	status = wait_exit(spawn_as_pg_user(pg, argv, log), 120);
	if (status != 0) {
		char *text = sctest_read_text(log);

		fail_msg("initdb failed with status %d:\n%s", status, text != NULL ? text : "");
	}
}

void sctest_pg_conninfo(const struct sctest_pg *pg, char *out, size_t size)
{
	int n = snprintf(out, size, "host=%s port=%d user=postgres dbname=postgres", pg->dir,
			 pg->port);

	assert_true(n > 0 && (size_t)n < size);
}

int sctest_free_port(void)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t size = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	assert_true(fd >= 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &size), 0);
	port = ntohs(address.sin_port);
	close(fd);
	return port;
}

void sctest_pg_start(struct sctest_pg *pg)
{
	char postgres[SCTEST_PATH_SIZE], log[SCTEST_PATH_SIZE], port[16], conninfo[1024];
	const char *argv[] = {postgres, "-D", pg->data, "-p", port, "-k", pg->dir,
			      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
			      "-c", "max_connections=40", NULL};
	time_t deadline = time(NULL) + PG_START_TIMEOUT;

	if (pg->port == 0)
		pg->port = sctest_free_port();
	snprintf(port, sizeof(port), "%d", pg->port);
	assert_true(snprintf(pg->socket, sizeof(pg->socket), "%s/.s.PGSQL.%d", pg->dir, pg->port) <
		    (int)sizeof(pg->socket));
	sctest_join(postgres, pg->bindir, "postgres");
	sctest_join(log, pg->dir, "postgres.log");
	pg->pid = spawn_as_pg_user(pg, argv, log);
	track(pg->pid, SIGINT);
	sctest_pg_conninfo(pg, conninfo, sizeof(conninfo));
	while (PQping(conninfo) != PQPING_OK) {
		int status;

		if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
			char *text = sctest_read_text(log);

			untrack(pg->pid);
			pg->pid = 0;
			fail_msg("postgres exited at start:\n%s", text != NULL ? text : "");
		}
		if (time(NULL) > deadline)
			fail_msg("postgres did not accept connections within %d seconds",
				 PG_START_TIMEOUT);
		pause_ms(50);
	}
}

void sctest_pg_stop(struct sctest_pg *pg)
{
	if (pg->pid <= 0)
		return;
	/* SIGINT is PostgreSQL's fast shutdown: sessions are ended, no checkpoint wait. */
	kill(pg->pid, SIGINT);
	wait_exit(pg->pid, 30);
	untrack(pg->pid);
	pg->pid = 0;
}

void sctest_pg_destroy(struct sctest_pg *pg)
{
	sctest_pg_stop(pg);
	if (pg->dir[0] != '\0')
		sctest_remove_tree(pg->dir);
}

char *sctest_read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)(size > 0 ? size : 0) + 1);
	if (text != NULL && size > 0 && fread(text, 1, (size_t)size, f) != (size_t)size)
		text[0] = '\0';
	fclose(f);
	return text;
}

/* ---- the sidecar ---- */

/* Reads "key=HOST:PORT" from the ready line and returns PORT, or 0. */
static int port_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	const char *end, *colon;

	if (p == NULL)
		return 0;
	p += strlen(key);
	end = strchr(p, ' ');
	colon = NULL;
	for (const char *c = p; c < (end != NULL ? end : p + strlen(p)); c++) {
		if (*c == ':')
			colon = c;
	}
	return colon != NULL ? (int)strtol(colon + 1, NULL, 10) : 0;
}

void sctest_sidecar_start(struct sctest_sidecar *sc, const char *log_dir,
			  const char *const args[])
{
	const char *binary = getenv("RATLS_SIDECAR_BIN");
	const char *argv[64];
	size_t n = 0;
	time_t deadline = time(NULL) + SIDECAR_READY_TIMEOUT;

	memset(sc, 0, sizeof(*sc));
	if (binary == NULL)
		fail_msg("RATLS_SIDECAR_BIN is not set; run the test with meson test");
	argv[n++] = binary;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--http-listen";
	argv[n++] = "127.0.0.1:0";
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(n < sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	sctest_join(sc->log_path, log_dir, "sidecar.log");
	unlink(sc->log_path);

	sc->pid = fork();
	assert_true(sc->pid >= 0);
	if (sc->pid == 0) {
		int fd = open(sc->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		execv(binary, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	track(sc->pid, SIGKILL);
	for (;;) {
		char *log = sctest_read_text(sc->log_path);
		const char *ready = log != NULL ? strstr(log, "event=ready") : NULL;
		int status;

		if (ready != NULL) {
			sc->pg_port = port_after(ready, "pg_address=");
			sc->http_port = port_after(ready, "http_address=");
			free(log);
			return;
		}
		free(log);
		if (waitpid(sc->pid, &status, WNOHANG) == sc->pid) {
			untrack(sc->pid);
			sc->pid = 0;
			sctest_sidecar_print_log(sc);
			fail_msg("ratls-sidecar exited before it was ready");
		}
		if (time(NULL) > deadline) {
			sctest_sidecar_print_log(sc);
			fail_msg("ratls-sidecar was not ready within %d seconds",
				 SIDECAR_READY_TIMEOUT);
		}
		pause_ms(20);
	}
}

int sctest_sidecar_stop(struct sctest_sidecar *sc, int signal_number, int timeout)
{
	int status;

	if (sc->pid <= 0)
		return -1;
	kill(sc->pid, signal_number);
	status = wait_exit(sc->pid, timeout);
	untrack(sc->pid);
	sc->pid = 0;
	return status;
}

bool sctest_sidecar_log_contains(const struct sctest_sidecar *sc, const char *text)
{
	char *log = sctest_read_text(sc->log_path);
	bool found = log != NULL && strstr(log, text) != NULL;

	free(log);
	return found;
}

void sctest_sidecar_print_log(const struct sctest_sidecar *sc)
{
	char *log = sctest_read_text(sc->log_path);

	fprintf(stderr, "---- ratls-sidecar log ----\n%s---- end of log ----\n",
		log != NULL ? log : "(none)\n");
	free(log);
}

int sctest_run(const char *const argv[], const char *out_path, int timeout)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out_path != NULL ? out_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return wait_exit(pid, timeout);
}

/* ---- HTTP ---- */

struct body_buffer {
	char *data;
	size_t size;
};

static size_t collect_body(char *data, size_t size, size_t count, void *arg)
{
	struct body_buffer *body = arg;
	char *grown = realloc(body->data, body->size + size * count + 1);

	if (grown == NULL)
		return 0;
	memcpy(grown + body->size, data, size * count);
	body->data = grown;
	body->size += size * count;
	body->data[body->size] = '\0';
	return size * count;
}

long sctest_http_request(int port, const char *method, const char *path, char **body)
{
	CURL *curl = curl_easy_init();
	struct body_buffer buffer = {NULL, 0};
	char url[256];
	long status = 0;

	assert_non_null(curl);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	if (body != NULL)
		*body = buffer.data;
	else
		free(buffer.data);
	return status;
}

long sctest_http_get(int port, const char *path, char **body)
{
	return sctest_http_request(port, "GET", path, body);
}
