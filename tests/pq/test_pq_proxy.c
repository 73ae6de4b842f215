/*
 * The attesting proxy and "ratls verify host" against a throwaway
 * PostgreSQL behind ratls-sidecar in simulated mode: psql through "ratls
 * proxy" runs a query; a server without attestation is rejected for every
 * client, and each gets the ratls error; SIGTERM drains open
 * sessions; the library API serves TCP clients that ask for TLS first and
 * enforces its connection limit; "ratls verify host" exits with the
 * failure class.
 *
 * Skips (exit 77) when the PostgreSQL server binaries are missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "pq_helpers.h"
#include "ratls/pq.h"

#define OTHER_MRTD "abababababababababababababababababababababababababababababababababababababababababababababababab"

static struct sctest_pg pg;
static struct sctest_platform platform;
static struct sctest_sidecar sidecar;
static struct sctest_sidecar plain_sidecar;
static char *work_dir;
static char plain_dir[SCTEST_PATH_SIZE];
static const char *cli;

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static int setup(void **state)
{
	const char *sim_args[] = {"--simulate", NULL, "--upstream", NULL, NULL};
	const char *plain_args[] = {"--no-quote", "--upstream", NULL, NULL};

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ratls_set_log_callback(pqtest_log, NULL);
	cli = getenv("RATLS_CLI_BIN");
	assert_non_null(cli);
	work_dir = sctest_temp_dir("ratls-pq-proxy");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, (int64_t)time(NULL));
	sctest_pg_init(&pg);
	pqtest_pg_start(&pg);
	sim_args[1] = platform.dir;
	sim_args[3] = pg.socket;
	sctest_sidecar_start(&sidecar, work_dir, sim_args);
	sctest_join(plain_dir, work_dir, "plain");
	assert_int_equal(mkdir(plain_dir, 0700), 0);
	plain_args[2] = pg.socket;
	sctest_sidecar_start(&plain_sidecar, plain_dir, plain_args);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_sidecar_stop(&plain_sidecar, SIGTERM, 10);
	sctest_sidecar_stop(&sidecar, SIGTERM, 10);
	sctest_pg_destroy(&pg);
	sctest_platform_free(&platform);
	sctest_remove_tree(work_dir);
	free(work_dir);
	curl_global_cleanup();
	return 0;
}

static int before_each(void **state)
{
	(void)state;
	ratls_pq_cache_clear();
	return 0;
}

/* ---- the proxy as a process ---- */

struct proxy_process {
	pid_t pid;
	char log_path[SCTEST_PATH_SIZE];
	char socket_dir[SCTEST_PATH_SIZE];
	int upstream_port;
};

/* Starts "ratls proxy --listen DIR" for the sidecar on upstream_port, with extra options. */
static void proxy_start(struct proxy_process *p, const char *name, int upstream_port,
			const char *const extra[])
{
	char upstream[64];
	const char *argv[32] = {cli, "proxy", "--listen", p->socket_dir, "--upstream", upstream,
				"--collateral", platform.collateral_path, "--trust-root",
				platform.root_pem_path};
	size_t n = 10;

	sctest_join(p->socket_dir, work_dir, name);
	pqtest_format(p->log_path, sizeof(p->log_path), "%s.log", p->socket_dir);
	pqtest_format(upstream, sizeof(upstream), "127.0.0.1:%d", upstream_port);
	p->upstream_port = upstream_port;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		char *log = sctest_read_text(p->log_path);
		bool ready = log != NULL && strstr(log, "proxy listening on") != NULL;

		free(log);
		if (ready)
			return;
		pause_ms(10);
	}
	fail_msg("ratls proxy did not start: %s", sctest_read_text(p->log_path));
}

static int proxy_stop(struct proxy_process *p)
{
	int status;

	kill(p->pid, SIGTERM);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int count_text(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Runs psql through the proxy with one command; returns its exit status and output. */
static int psql(const struct proxy_process *p, const char *sql, char **output)
{
	char psql_path[SCTEST_PATH_SIZE], conninfo[SCTEST_PATH_SIZE + 128];
	char out_path[SCTEST_PATH_SIZE];
	const char *argv[] = {psql_path, "-X", "-A", "-t", "-c", sql, conninfo, NULL};
	int status;

	sctest_join(psql_path, pg.bindir, "psql");
	pqtest_format(conninfo, sizeof(conninfo), "host=%s port=%d user=postgres dbname=postgres",
		      p->socket_dir, p->upstream_port);
	pqtest_format(out_path, sizeof(out_path), "%s.psql", p->socket_dir);
	status = sctest_run(argv, out_path, 60);
	*output = sctest_read_text(out_path);
	return status;
}

static void proxy_serves_psql(void **state)
{
	struct proxy_process p;
	char *output, *log;

	(void)state;
	proxy_start(&p, "good", sidecar.pg_port, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(psql(&p, "SELECT 6 * 7", &output), 0);
		assert_non_null(strstr(output, "42"));
		free(output);
	}
	assert_int_equal(proxy_stop(&p), 0);
	log = sctest_read_text(p.log_path);
	/* Every client was checked: one full check, then the cache. */
	assert_int_equal(count_text(log, "full check"), 1);
	assert_int_equal(count_text(log, "from the cache"), 2);
	assert_non_null(strstr(log, "stopped after 3 sessions"));
	free(log);
	/* The socket is gone with the proxy. */
	{
		char socket_path[SCTEST_PATH_SIZE + 32];
		struct stat st;

		pqtest_format(socket_path, sizeof(socket_path), "%s/.s.PGSQL.%d", p.socket_dir,
			      p.upstream_port);
		assert_int_not_equal(stat(socket_path, &st), 0);
	}
}

static void proxy_rejects_bad_server_for_every_client(void **state)
{
	struct proxy_process p;
	char *output, *log;

	(void)state;
	proxy_start(&p, "bad", plain_sidecar.pg_port, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_not_equal(psql(&p, "SELECT 1", &output), 0);
		assert_non_null(strstr(output, "ratls: RATLS_ERR_NOT_RATLS"));
		free(output);
	}
	assert_int_equal(proxy_stop(&p), 0);
	log = sctest_read_text(p.log_path);
	assert_int_equal(count_text(log, "rejected 127.0.0.1"), 3);
	assert_int_equal(count_text(log, "verified"), 0);
	free(log);
}

static void proxy_drains_on_sigterm(void **state)
{
	const char *extra[] = {"--drain-timeout", "20", NULL};
	struct proxy_process p;
	char conninfo[SCTEST_PATH_SIZE + 128], *output;
	PGresult *result;
	PGconn *conn;
	int status;

	(void)state;
	proxy_start(&p, "drain", sidecar.pg_port, extra);
	pqtest_format(conninfo, sizeof(conninfo), "host=%s port=%d user=postgres dbname=postgres",
		      p.socket_dir, p.upstream_port);
	conn = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	kill(p.pid, SIGTERM);
	pause_ms(300);

	/* New clients are refused, the open session keeps working. */
	assert_int_not_equal(psql(&p, "SELECT 1", &output), 0);
	free(output);
	result = PQexec(conn, "SELECT 6 * 7");
	assert_int_equal(PQresultStatus(result), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(result, 0, 0), "42");
	PQclear(result);
	assert_int_equal(waitpid(p.pid, &status, WNOHANG), 0);

	/* When the last session ends, the proxy exits cleanly. */
	PQfinish(conn);
	assert_int_equal(waitpid(p.pid, &status, 0), p.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the library API ---- */

static void *proxy_thread(void *arg)
{
	struct ratls_detail detail = {0};

	if (ratls_pq_proxy_run(arg, &detail) != RATLS_OK)
		fprintf(stderr, "proxy run failed: %s\n", detail.message);
	return NULL;
}

static void proxy_api_tcp_and_limit(void **state)
{
	struct ratls_pq_proxy_config config = {.listen = "127.0.0.1:0", .max_connections = 1,
					       .drain_timeout = 5};
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_detail detail = {0};
	struct ratls_pq_proxy *proxy = NULL;
	struct ratls_pq_stats stats;
	char upstream[64], conninfo[256];
	const char *address, *colon;
	PGconn *first, *second;
	PGresult *result;
	pthread_t thread;

	(void)state;
	pqtest_format(upstream, sizeof(upstream), "127.0.0.1:%d", sidecar.pg_port);
	config.upstream = upstream;
	assert_int_equal(ratls_pq_options_set(options, "collateral", platform.collateral_path,
					      &detail),
			 RATLS_OK);
	assert_int_equal(ratls_pq_options_set(options, "trust_root", platform.root_pem_path,
					      &detail),
			 RATLS_OK);
	assert_int_equal(ratls_pq_proxy_new(&config, options, &proxy, &detail), RATLS_OK);
	address = ratls_pq_proxy_address(proxy);
	colon = strrchr(address, ':');
	assert_non_null(colon);
	assert_int_not_equal(strtol(colon + 1, NULL, 10), 0);
	assert_int_equal(pthread_create(&thread, NULL, proxy_thread, proxy), 0);

	/* sslmode=prefer: libpq requests TLS first, and the proxy replies that it has none. */
	pqtest_format(conninfo, sizeof(conninfo),
		      "host=127.0.0.1 port=%s user=postgres dbname=postgres sslmode=prefer",
		      colon + 1);
	first = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(first), CONNECTION_OK);
	result = PQexec(first, "SELECT 6 * 7");
	assert_string_equal(PQgetvalue(result, 0, 0), "42");
	PQclear(result);

	/* The limit is one session: a second client is closed at once. */
	second = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(second), CONNECTION_BAD);
	PQfinish(second);
	PQfinish(first);

	ratls_pq_proxy_stop(proxy);
	pthread_join(thread, NULL);
	ratls_pq_proxy_stats(proxy, &stats);
	assert_int_equal(stats.sessions, 1);
	assert_int_equal(stats.verifications, 1);
	ratls_pq_proxy_free(proxy);
	ratls_pq_options_free(options);
}

static void proxy_api_rejects_bad_config(void **state)
{
	struct ratls_pq_proxy_config config = {.upstream = "127.0.0.1:5433"};
	struct ratls_detail detail = {0};
	struct ratls_pq_proxy *proxy = NULL;
	char dir[SCTEST_PATH_SIZE];

	(void)state;
	config.listen = "10.1.2.3:5432";
	assert_int_equal(ratls_pq_proxy_new(&config, NULL, &proxy, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "loopback"));
	assert_null(proxy);

	config.listen = "127.0.0.1:0";
	config.upstream = "no-port";
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_proxy_new(&config, NULL, &proxy, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);

	/* A socket directory that others may write to. */
	sctest_join(dir, work_dir, "open");
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	config.listen = dir;
	config.upstream = "127.0.0.1:5433";
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_proxy_new(&config, NULL, &proxy, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "writable"));
}

/* ---- ratls verify host ---- */

/* Runs "ratls verify host" with the arguments; returns the exit status and the output. */
static int verify_host(const char *const args[], char **output)
{
	const char *argv[32] = {cli, "verify", "host"};
	char out_path[SCTEST_PATH_SIZE];
	size_t n = 3;
	int status;

	for (size_t i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	sctest_join(out_path, work_dir, "verify-host.out");
	status = sctest_run(argv, out_path, 60);
	*output = sctest_read_text(out_path);
	return status;
}

static void verify_host_exit_statuses(void **state)
{
	char good[64], plain[64], *output;

	(void)state;
	pqtest_format(good, sizeof(good), "127.0.0.1:%d", sidecar.pg_port);
	pqtest_format(plain, sizeof(plain), "127.0.0.1:%d", plain_sidecar.pg_port);
	{
		const char *args[] = {good, "--collateral", platform.collateral_path,
				      "--trust-root", platform.root_pem_path, NULL};

		assert_int_equal(verify_host(args, &output), 0);
		assert_non_null(strstr(output, "verdict:                accepted"));
		assert_non_null(strstr(output, "app id:                 1111111111"));
		free(output);
	}
	{
		const char *args[] = {good, "--collateral", platform.collateral_path,
				      "--trust-root", platform.root_pem_path, "--json", NULL};

		assert_int_equal(verify_host(args, &output), 0);
		assert_non_null(strstr(output, "\"ok\": true"));
		assert_non_null(strstr(output, "\"tls_version\": \"TLSv1.3\""));
		free(output);
	}
	{
		const char *args[] = {good, "--collateral", platform.collateral_path,
				      "--trust-root", platform.root_pem_path, "--mrtd", OTHER_MRTD,
				      NULL};

		assert_int_equal(verify_host(args, &output), 16);
		assert_non_null(strstr(output, "RATLS_ERR_MRTD_NOT_ALLOWED"));
		free(output);
	}
	{
		const char *args[] = {good, "--collateral", platform.collateral_path, NULL};

		assert_int_equal(verify_host(args, &output), 13);
		assert_non_null(strstr(output, "RATLS_ERR_UNTRUSTED_ROOT"));
		free(output);
	}
	{
		const char *args[] = {plain, "--collateral", platform.collateral_path, NULL};

		assert_int_equal(verify_host(args, &output), 17);
		assert_non_null(strstr(output, "RATLS_ERR_NOT_RATLS"));
		free(output);
	}
	{
		char closed[64];
		const char *args[] = {closed, NULL};

		pqtest_format(closed, sizeof(closed), "127.0.0.1:%d", sctest_free_port());
		assert_int_equal(verify_host(args, &output), 18);
		assert_non_null(strstr(output, "RATLS_ERR_NETWORK"));
		free(output);
	}
	{
		const char *args[] = {good, "--mrtd", "12", NULL};

		assert_int_equal(verify_host(args, &output), 2);
		assert_non_null(strstr(output, "--mrtd"));
		free(output);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(proxy_serves_psql, before_each),
		cmocka_unit_test_setup(proxy_rejects_bad_server_for_every_client, before_each),
		cmocka_unit_test_setup(proxy_drains_on_sigterm, before_each),
		cmocka_unit_test_setup(proxy_api_tcp_and_limit, before_each),
		cmocka_unit_test_setup(proxy_api_rejects_bad_config, before_each),
		cmocka_unit_test_setup(verify_host_exit_statuses, before_each),
	};
	struct sctest_pg probe;

	sctest_pg_find_or_skip(&probe);
	pg = probe;
	if (getenv("RATLS_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("RATLS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
