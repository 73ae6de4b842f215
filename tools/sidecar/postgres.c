/* libpq queries and pg_controldata for /health and /attestation. */
/* pipe2: pipes created close-on-exec, so concurrent spawns never inherit them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/fail.h"
#include "postgres.h"

extern char **environ;

/* Bytes of a program's standard error kept for the failure message. */
#define STDERR_KEEP 512

void sidecar_pg_conninfo(const struct sidecar_config *config, char out[SIDECAR_CONNINFO_SIZE])
{
	const char *upstream = config->upstream;
	const char *slash, *colon;

	if (config->pg_conninfo != NULL) {
		snprintf(out, SIDECAR_CONNINFO_SIZE, "%s", config->pg_conninfo);
		return;
	}
	if (upstream[0] == '/') {
		/* libpq names a Unix socket by its folder and the port in ".s.PGSQL.<port>". */
		slash = strrchr(upstream, '/');
		if (strncmp(slash, "/.s.PGSQL.", 10) == 0)
			snprintf(out, SIDECAR_CONNINFO_SIZE,
				 "host='%.*s' port=%s user=postgres dbname=postgres",
				 (int)(slash - upstream), upstream, slash + 10);
		else
			snprintf(out, SIDECAR_CONNINFO_SIZE,
				 "host='%s' user=postgres dbname=postgres", upstream);
		return;
	}
	colon = strrchr(upstream, ':');
	snprintf(out, SIDECAR_CONNINFO_SIZE, "host='%.*s' port=%s user=postgres dbname=postgres",
		 (int)(colon - upstream), upstream, colon + 1);
}

/* ---- running a program ---- */

/* Appends what fd has to read into *buffer (capacity max), dropping what does not fit. */
static bool drain_pipe(int fd, uint8_t *buffer, size_t max, size_t *used, bool *overflow)
{
	uint8_t chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if ((size_t)n > max - *used) {
		*overflow = true;
		n = (ssize_t)(max - *used);
	}
	memcpy(buffer + *used, chunk, (size_t)n);
	*used += (size_t)n;
	return true;
}

static void close_pipe(int pipe_fds[2])
{
	for (int i = 0; i < 2; i++) {
		if (pipe_fds[i] >= 0)
			close(pipe_fds[i]);
		pipe_fds[i] = -1;
	}
}

/* Reads both pipes until end of file or the deadline. Returns false on timeout. */
static bool collect_output(int out_fd, int err_fd, uint8_t *out, size_t max, size_t *out_size,
			   bool *overflow, char *err_text, int timeout)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	size_t err_used = 0;
	bool err_overflow = false;
	time_t deadline = time(NULL) + timeout;

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int left = (int)(deadline - time(NULL));

		if (left <= 0 || poll(fds, 2, left * 1000) == 0)
			return false;
		if (fds[0].fd >= 0 && fds[0].revents != 0 &&
		    !drain_pipe(out_fd, out, max, out_size, overflow))
			fds[0].fd = -1;
		if (fds[1].fd >= 0 && fds[1].revents != 0 &&
		    !drain_pipe(err_fd, (uint8_t *)err_text, STDERR_KEEP - 1, &err_used,
				&err_overflow))
			fds[1].fd = -1;
	}
	err_text[err_used] = '\0';
	return true;
}

int sidecar_run_program(const char *program, char *const args[], char *const env[],
			size_t max_size, int timeout, uint8_t **output, size_t *output_size,
			struct ratls_detail *detail)
{
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	posix_spawn_file_actions_t actions;
	char err_text[STDERR_KEEP] = "";
	uint8_t *buffer = malloc(max_size + 1);
	bool overflow = false, finished;
	size_t used = 0;
	pid_t pid = -1;
	int status = 0, rc = RATLS_ERR_INTERNAL;

	*output = NULL;
	*output_size = 0;
	if (buffer == NULL || posix_spawn_file_actions_init(&actions) != 0) {
		free(buffer);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "pipe failed: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	errno = posix_spawn(&pid, program, &actions, NULL, args, env);
	if (errno != 0) {
		pid = -1;
		rc = ratls_fail(detail, RATLS_ERR_IO, "cannot run '%s': %s", program,
				strerror(errno));
		goto out;
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;

	finished = collect_output(out_pipe[0], err_pipe[0], buffer, max_size, &used, &overflow,
				  err_text, timeout);
	if (!finished)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!finished) {
		rc = ratls_fail(detail, RATLS_ERR_TIMEOUT, "'%s' did not finish within %d seconds",
				program, timeout);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "'%s' failed (status %d): %.200s", program,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1, err_text);
		goto out;
	}
	if (overflow) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"'%s' printed more than %zu bytes", program, max_size);
		goto out;
	}
	buffer[used] = '\0';
	*output = buffer;
	*output_size = used;
	buffer = NULL;
	rc = RATLS_OK;
out:
	close_pipe(out_pipe);
	close_pipe(err_pipe);
	posix_spawn_file_actions_destroy(&actions);
	free(buffer);
	return rc;
}

/* ---- finding pg_controldata ---- */

/* Looks for an executable name in the folders of PATH. */
static bool find_on_path(const char *name, char out[SIDECAR_PATH_SIZE])
{
	const char *path = getenv("PATH");

	while (path != NULL && *path != '\0') {
		const char *end = strchr(path, ':');
		size_t len = end != NULL ? (size_t)(end - path) : strlen(path);
		int n = snprintf(out, SIDECAR_PATH_SIZE, "%.*s/%s", (int)len, path, name);

		if (len > 0 && n > 0 && n < SIDECAR_PATH_SIZE && access(out, X_OK) == 0)
			return true;
		path = end != NULL ? end + 1 : NULL;
	}
	return false;
}

int sidecar_pg_find_controldata(const struct sidecar_config *config,
				char out[SIDECAR_PATH_SIZE], struct ratls_detail *detail)
{
	char pg_config[SIDECAR_PATH_SIZE];
	char *args[] = {pg_config, "--bindir", NULL};
	uint8_t *bindir = NULL;
	size_t size = 0;
	int n;

	if (config->pg_controldata != NULL) {
		snprintf(out, SIDECAR_PATH_SIZE, "%s", config->pg_controldata);
		if (access(out, X_OK) != 0)
			return ratls_fail(detail, RATLS_ERR_IO, "pg-controldata '%s' is not executable: %s",
					  out, strerror(errno));
		return RATLS_OK;
	}
	if (find_on_path("pg_controldata", out))
		return RATLS_OK;
	if (find_on_path("pg_config", pg_config) &&
	    sidecar_run_program(pg_config, args, environ, SIDECAR_PATH_SIZE, 10, &bindir, &size,
				NULL) == RATLS_OK) {
		while (size > 0 && (bindir[size - 1] == '\n' || bindir[size - 1] == '\r'))
			size--;
		n = snprintf(out, SIDECAR_PATH_SIZE, "%.*s/pg_controldata", (int)size,
			     (const char *)bindir);
		free(bindir);
		if (n > 0 && n < SIDECAR_PATH_SIZE && access(out, X_OK) == 0)
			return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_IO,
			  "pg_controldata is neither on PATH nor in pg_config --bindir; install "
			  "the PostgreSQL server package or pass --pg-controldata PATH");
}

/* ---- libpq ---- */

static PGconn *connect_pg(const char *conninfo, struct ratls_detail *detail)
{
	/* connect_timeout first, so a value in conninfo overrides it. */
	const char *const keywords[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {SIDECAR_PG_CONNECT_TIMEOUT, "ratls-sidecar", conninfo, NULL};
	PGconn *pg = PQconnectdbParams(keywords, values, 1);

	if (pg == NULL) {
		ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory in libpq");
		return NULL;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		ratls_fail(detail, RATLS_ERR_NETWORK, "cannot connect to PostgreSQL: %s",
			   PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int sidecar_pg_ping(const char *conninfo, struct ratls_detail *detail)
{
	const char *const keywords[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {SIDECAR_PG_CONNECT_TIMEOUT, "ratls-sidecar", conninfo, NULL};

	switch (PQpingParams(keywords, values, 1)) {
	case PQPING_OK:
		return RATLS_OK;
	case PQPING_REJECT:
		return ratls_fail(detail, RATLS_ERR_NETWORK,
				  "PostgreSQL rejects connections (starting up, shutting down or "
				  "in crash recovery)");
	case PQPING_NO_RESPONSE:
		return ratls_fail(detail, RATLS_ERR_NETWORK, "PostgreSQL does not answer");
	default:
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the pg-conninfo string is invalid");
	}
}

/* Runs a one-row query and copies the first column of its result. */
static int query_text(PGconn *pg, const char *sql, char *out, size_t out_size,
		      struct ratls_detail *detail)
{
	PGresult *res = PQexec(pg, sql);
	int rc = RATLS_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQgetisnull(res, 0, 0))
		rc = ratls_fail(detail, RATLS_ERR_SERVICE, "query '%s' failed: %s", sql,
				PQresultStatus(res) == PGRES_TUPLES_OK ? "no value"
								      : PQresultErrorMessage(res));
	else if ((size_t)PQgetlength(res, 0, 0) >= out_size)
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"query '%s' returned %d bytes, more than %zu", sql,
				PQgetlength(res, 0, 0), out_size - 1);
	else
		snprintf(out, out_size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

static int hash_controldata(const char *program, const char *data_dir, uint8_t hash[32],
			    struct ratls_detail *detail)
{
	char *args[] = {(char *)(uintptr_t)program, (char *)(uintptr_t)data_dir, NULL};
	/* LC_ALL=C fixes the language and number format; TZ=UTC fixes the printed times. */
	char *env[] = {"LC_ALL=C", "TZ=UTC", NULL};
	uint8_t *output = NULL;
	size_t size = 0;
	int rc;

	rc = sidecar_run_program(program, args, env, SIDECAR_CONTROLDATA_MAX_SIZE,
				 SIDECAR_CONTROLDATA_TIMEOUT, &output, &size, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_attestation_report_hash_controldata(output, size, hash, detail);
	free(output);
	return rc;
}

int sidecar_pg_read_state(const char *conninfo, const char *data_dir,
			  const char *controldata_path, struct sidecar_pg_state *out,
			  struct ratls_detail *detail)
{
	static const char lsn_query[] =
		"SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
		"ELSE pg_current_wal_lsn() END)::text";
	char lsn_text[64], data_directory[SIDECAR_PATH_SIZE];
	PGconn *pg = connect_pg(conninfo, detail);
	int rc;

	memset(out, 0, sizeof(*out));
	if (pg == NULL)
		return RATLS_ERR_NETWORK;
	rc = query_text(pg, lsn_query, lsn_text, sizeof(lsn_text), detail);
	if (rc == RATLS_OK)
		rc = query_text(pg, "SELECT current_setting('server_version')", out->pg_version,
				sizeof(out->pg_version), detail);
	if (rc == RATLS_OK && data_dir == NULL) {
		rc = query_text(pg, "SELECT current_setting('data_directory')", data_directory,
				sizeof(data_directory), detail);
		data_dir = data_directory;
	}
	PQfinish(pg);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_attestation_report_parse_lsn(lsn_text, strlen(lsn_text), &out->wal_lsn, detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_attestation_report_format_lsn(out->wal_lsn, out->wal_lsn_text);
	return hash_controldata(controldata_path, data_dir, out->controldata_hash, detail);
}
