/*
 * Integration tests of ratls-sidecar in front of a real, throwaway
 * PostgreSQL: psql with sslmode=require, raw TLS clients that check the
 * RA-TLS certificate with ratls_verify_cert, the requests that may come
 * before TLS, cancel forwarding, limits and timeouts, certificate
 * rotation, the graceful shutdown on SIGTERM, and the HTTP port (/health,
 * /attestation, /metrics).
 *
 * Skips (exit 77) when the PostgreSQL server binaries are missing.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "pg_harness.h"
#include "ratls/report.h"
#include "sidecar_helpers.h"
#include "tls_client.h"

static struct sctest_pg pg;
static struct sctest_platform platform;
static struct sctest_sidecar sidecar;
static char *work_dir;

/* The identity of the sidecar's simulated TD (the --simulate-* defaults). */
#define SIM_APP_ID "1111111111111111111111111111111111111111"

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Starts a sidecar for the fixture's platform and PostgreSQL, with extra options. */
static void start_sidecar(struct sctest_sidecar *sc, const char *log_dir,
			  const char *const extra[])
{
	const char *args[40] = {"--simulate", platform.dir, "--upstream", pg.socket,
				"--handshake-timeout", "3", "--log-level", "debug"};
	size_t n = 8;

	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	sctest_sidecar_start(sc, log_dir, args);
}

static int setup(void **state)
{
	static const char *const main_options[] = {"--attestation-rate", "100", NULL};

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	work_dir = sctest_temp_dir("ratls-sidecar-pgport");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, (int64_t)time(NULL));
	sctest_pg_init(&pg);
	sctest_pg_start(&pg);
	/* Several tests fetch reports back to back; the rate limit has its own test. */
	start_sidecar(&sidecar, work_dir, main_options);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_sidecar_stop(&sidecar, SIGTERM, 10);
	sctest_stop_children();
	sctest_pg_destroy(&pg);
	sctest_platform_free(&platform);
	sctest_remove_tree(work_dir);
	free(work_dir);
	curl_global_cleanup();
	return 0;
}

/* Fails the test with the sidecar's log when cond is false. */
#define check_with_log(sc, cond)                                                            \
	do {                                                                                \
		if (!(cond)) {                                                              \
			sctest_sidecar_print_log(sc);                                       \
			fail_msg("%s", #cond);                                              \
		}                                                                           \
	} while (0)

/* Waits up to timeout_ms for text to appear in the sidecar's log. */
static bool wait_for_log(const struct sctest_sidecar *sc, const char *text, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (sctest_sidecar_log_contains(sc, text))
			return true;
		pause_ms(20);
	}
	return sctest_sidecar_log_contains(sc, text);
}

static PGconn *connect_through(int port)
{
	char conninfo[256];

	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=require "
		 "connect_timeout=10",
		 port);
	return PQconnectdb(conninfo);
}

/* Runs a one-value query and compares its text. */
static bool query_returns(PGconn *conn, const char *sql, const char *expected)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		  strcmp(PQgetvalue(res, 0, 0), expected) == 0;

	PQclear(res);
	return ok;
}

/* ---- the PostgreSQL port ---- */

static void psql_sslmode_require_query(void **state)
{
	char psql[SCTEST_PATH_SIZE], conninfo[256], out[SCTEST_PATH_SIZE];
	const char *argv[] = {psql, conninfo, "-tAc", "SELECT 40 + 2 AS answer", NULL};
	char *output;

	(void)state;
	sctest_join(psql, pg.bindir, "psql");
	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=require",
		 sidecar.pg_port);
	sctest_join(out, work_dir, "psql.out");
	check_with_log(&sidecar, sctest_run(argv, out, 30) == 0);
	output = sctest_read_text(out);
	assert_non_null(output);
	assert_string_equal(output, "42\n");
	free(output);
	check_with_log(&sidecar, wait_for_log(&sidecar, "event=session_end", 2000));
}

static void raw_tls_cert_verifies(void **state)
{
	struct sctest_tls_options options = {.alpn = "postgresql"};
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct sctest_tls tls;
	uint8_t *cert;
	size_t size = 0;
	char *app_id;
	int rc;

	(void)state;
	assert_true(sctest_tls_connect(sidecar.pg_port, &options, &tls));
	assert_true(sctest_tls_alpn_is(&tls, "postgresql"));
	cert = sctest_tls_server_cert(&tls, &size);
	assert_non_null(cert);
	rc = sctest_verify_cert(&platform, cert, size, NULL, false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s: %s", ratls_error_name(rc), detail.message);
	assert_true(result.attested);
	assert_true(result.replay.identity_valid);
	app_id = sctest_hex(result.replay.identity.app_id, result.replay.identity.app_id_size);
	assert_string_equal(app_id, SIM_APP_ID);
	free(app_id);
	ratls_verify_cert_result_clear(&result);

	/* A certificate signed by another platform's root does not verify. */
	{
		struct sctest_platform other;
		char *other_dir = sctest_temp_dir("ratls-sidecar-other");

		sctest_platform_init(&other, other_dir, SCTEST_SEED_OTHER, platform.now);
		assert_int_equal(sctest_verify_cert(&other, cert, size, NULL, false, &result,
						    NULL),
				 RATLS_ERR_UNTRUSTED_ROOT);
		ratls_verify_cert_result_clear(&result);
		sctest_platform_free(&other);
		sctest_remove_tree(other_dir);
		free(other_dir);
	}
	free(cert);
	sctest_tls_close(&tls);
}

/* Sends a StartupMessage over TLS and returns the first byte of PostgreSQL's reply. */
static char startup_answer(struct sctest_tls *tls)
{
	uint8_t message[128], answer[1];

	size_t size = sctest_startup_message(message, sizeof(message), "postgres", "postgres");
	assert_true(sctest_tls_write(tls, message, size));
	assert_int_equal(sctest_tls_read(tls, answer, 1, 5000), 1);
	return (char)answer[0];
}

static void ssl_request_and_gssenc_accepted(void **state)
{
	struct sctest_tls_options options = {.ssl_request = true};
	struct sctest_tls tls;

	(void)state;
	assert_true(sctest_tls_connect(sidecar.pg_port, &options, &tls));
	assert_int_equal(tls.preamble_reply, 'S');
	assert_false(sctest_tls_alpn_is(&tls, "postgresql"));
	/* 'R' is AuthenticationOk under trust authentication. */
	assert_int_equal(startup_answer(&tls), 'R');
	sctest_tls_close(&tls);

	options.gssenc_request = true;
	assert_true(sctest_tls_connect(sidecar.pg_port, &options, &tls));
	assert_int_equal(startup_answer(&tls), 'R');
	sctest_tls_close(&tls);
}

static void other_alpn_rejected(void **state)
{
	struct sctest_tls_options options = {.alpn = "h2"};
	struct sctest_tls tls;

	(void)state;
	assert_false(sctest_tls_connect(sidecar.pg_port, &options, &tls));
	sctest_tls_close(&tls);
	check_with_log(&sidecar, wait_for_log(&sidecar, "reason=tls_handshake", 2000));
}

/* Opens a plain TCP connection to 127.0.0.1:port, or returns -1. */
static int plain_connect(int port)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	address.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True when needle occurs in the first size bytes of haystack (which may contain NULs). */
static bool contains_bytes(const char *haystack, size_t size, const char *needle)
{
	size_t len = strlen(needle);

	for (size_t i = 0; i + len <= size; i++) {
		if (memcmp(haystack + i, needle, len) == 0)
			return true;
	}
	return false;
}

/* Reads until end of stream or timeout; returns the bytes read (at most size). */
static size_t read_until_closed(int fd, char *buffer, size_t size, int timeout_ms)
{
	size_t used = 0;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (used < size) {
		ssize_t n = read(fd, buffer + used, size - used);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	return used;
}

static void plaintext_startup_refused(void **state)
{
	uint8_t message[128];
	char answer[512] = "";
	size_t size, got;
	int fd = plain_connect(sidecar.pg_port);

	(void)state;
	assert_true(fd >= 0);
	size = sctest_startup_message(message, sizeof(message), "postgres", "postgres");
	assert_int_equal(write(fd, message, size), (ssize_t)size);
	got = read_until_closed(fd, answer, sizeof(answer) - 1, 5000);
	close(fd);
	assert_true(got > 5);
	assert_int_equal(answer[0], 'E');
	assert_true(contains_bytes(answer, got, "only TLS"));
	check_with_log(&sidecar, wait_for_log(&sidecar, "reason=plaintext", 2000));
}

static void garbage_preamble_closed(void **state)
{
	static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char answer[64];
	int fd = plain_connect(sidecar.pg_port);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	assert_int_equal(read_until_closed(fd, answer, sizeof(answer), 5000), 0);
	close(fd);
	check_with_log(&sidecar, wait_for_log(&sidecar, "reason=preamble", 2000));
}

static void cancel_request_forwarded(void **state)
{
	PGconn *conn = connect_through(sidecar.pg_port);
	PGcancel *cancel;
	PGresult *res;
	char error[256];
	time_t started;

	(void)state;
	check_with_log(&sidecar, PQstatus(conn) == CONNECTION_OK);
	assert_int_equal(PQsendQuery(conn, "SELECT pg_sleep(30)"), 1);
	pause_ms(300);
	started = time(NULL);
	cancel = PQgetCancel(conn);
	assert_non_null(cancel);
	/* libpq 15 sends the CancelRequest in plaintext to the same host and port. */
	check_with_log(&sidecar, PQcancel(cancel, error, sizeof(error)) == 1);
	PQfreeCancel(cancel);
	res = PQgetResult(conn);
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_non_null(strstr(PQresultErrorMessage(res), "canceling statement"));
	assert_true(time(NULL) - started < 10);
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	PQfinish(conn);
	check_with_log(&sidecar, wait_for_log(&sidecar, "event=cancel_forwarded", 2000));
}

static void upstream_down_reported(void **state)
{
	struct sctest_tls_options options = {0};
	struct sctest_tls tls;
	char byte;

	(void)state;
	sctest_pg_stop(&pg);
	assert_true(sctest_tls_connect(sidecar.pg_port, &options, &tls));
	/* The sidecar connects upstream after the handshake, fails and closes. */
	assert_true(sctest_tls_read(&tls, &byte, 1, 5000) <= 0);
	sctest_tls_close(&tls);
	check_with_log(&sidecar, wait_for_log(&sidecar, "reason=upstream_connect", 3000));
	sctest_pg_start(&pg);
}

static void handshake_timeout_closes(void **state)
{
	char answer[8];
	time_t started = time(NULL);
	int fd = plain_connect(sidecar.pg_port);

	(void)state;
	assert_true(fd >= 0);
	/* Nothing sent: the sidecar gives up after --handshake-timeout 3. */
	assert_int_equal(read_until_closed(fd, answer, sizeof(answer), 10000), 0);
	close(fd);
	assert_true(time(NULL) - started >= 2);
	assert_true(time(NULL) - started <= 6);
	check_with_log(&sidecar, wait_for_log(&sidecar, "reason=handshake_timeout", 2000));
}

static void connection_limit_enforced(void **state)
{
	static const char *const extra[] = {"--max-connections", "2", NULL};
	struct sctest_sidecar limited;
	char *dir = sctest_temp_dir("ratls-sidecar-limit");
	char answer[8];
	int first, second, third;

	(void)state;
	start_sidecar(&limited, dir, extra);
	first = plain_connect(limited.pg_port);
	second = plain_connect(limited.pg_port);
	assert_true(first >= 0 && second >= 0);
	check_with_log(&limited, wait_for_log(&limited, "conn=2 ", 2000));
	third = plain_connect(limited.pg_port);
	assert_true(third >= 0);
	assert_int_equal(read_until_closed(third, answer, sizeof(answer), 3000), 0);
	check_with_log(&limited, wait_for_log(&limited, "reason=connection_limit", 2000));
	close(first);
	close(second);
	close(third);
	assert_int_equal(sctest_sidecar_stop(&limited, SIGTERM, 10), 0);
	sctest_remove_tree(dir);
	free(dir);
}

static void idle_timeout_ends_session(void **state)
{
	static const char *const extra[] = {"--idle-timeout", "1", NULL};
	struct sctest_sidecar idle;
	char *dir = sctest_temp_dir("ratls-sidecar-idle");
	PGconn *conn;

	(void)state;
	start_sidecar(&idle, dir, extra);
	conn = connect_through(idle.pg_port);
	check_with_log(&idle, PQstatus(conn) == CONNECTION_OK);
	assert_true(query_returns(conn, "SELECT 1", "1"));
	pause_ms(2500);
	assert_false(query_returns(conn, "SELECT 1", "1"));
	PQfinish(conn);
	check_with_log(&idle, wait_for_log(&idle, "end=idle_timeout", 2000));
	assert_int_equal(sctest_sidecar_stop(&idle, SIGTERM, 10), 0);
	sctest_remove_tree(dir);
	free(dir);
}

/* The SubjectPublicKeyInfo of the sidecar's current certificate, as hex. */
static char *current_key(int port)
{
	struct sctest_tls_options options = {0};
	struct sctest_tls tls;
	struct ratls_cert_extensions ext = {0};
	uint8_t *cert;
	size_t size = 0;
	char *hex;

	assert_true(sctest_tls_connect(port, &options, &tls));
	cert = sctest_tls_server_cert(&tls, &size);
	assert_non_null(cert);
	assert_int_equal(ratls_evidence_read_extensions(cert, size, &ext, NULL), RATLS_OK);
	hex = sctest_hex(ext.spki, ext.spki_size);
	ratls_evidence_clear_extensions(&ext);
	free(cert);
	sctest_tls_close(&tls);
	return hex;
}

static void sighup_rotates_certificate(void **state)
{
	PGconn *conn = connect_through(sidecar.pg_port);
	char *before, *after;

	(void)state;
	check_with_log(&sidecar, PQstatus(conn) == CONNECTION_OK);
	before = current_key(sidecar.pg_port);
	kill(sidecar.pid, SIGHUP);
	check_with_log(&sidecar, wait_for_log(&sidecar, "event=certificate_rotated", 5000));
	after = current_key(sidecar.pg_port);
	assert_string_not_equal(before, after);
	/* The session opened with the old certificate goes on. */
	assert_true(query_returns(conn, "SELECT 7", "7"));
	PQfinish(conn);
	free(before);
	free(after);
}

static void sigterm_drains_sessions(void **state)
{
	struct sctest_sidecar draining;
	char *dir = sctest_temp_dir("ratls-sidecar-drain");
	PGconn *conn, *late;
	int status;

	(void)state;
	start_sidecar(&draining, dir, NULL);
	conn = connect_through(draining.pg_port);
	check_with_log(&draining, PQstatus(conn) == CONNECTION_OK);
	kill(draining.pid, SIGTERM);
	check_with_log(&draining, wait_for_log(&draining, "event=shutdown_started", 3000));

	/* The listening socket is closed: new clients are refused at once. */
	late = connect_through(draining.pg_port);
	assert_int_not_equal(PQstatus(late), CONNECTION_OK);
	PQfinish(late);
	/* The open session still works, and the sidecar waits for it. */
	assert_true(query_returns(conn, "SELECT 'still here'", "still here"));
	pause_ms(300);
	assert_int_equal(waitpid(draining.pid, &status, WNOHANG), 0);
	PQfinish(conn);

	status = sctest_sidecar_stop(&draining, 0, 10);
	check_with_log(&draining, status == 0);
	assert_false(sctest_sidecar_log_contains(&draining, "drain_deadline"));
	sctest_remove_tree(dir);
	free(dir);
}

static void drain_deadline_closes_sessions(void **state)
{
	static const char *const extra[] = {"--drain-timeout", "1", NULL};
	struct sctest_sidecar draining;
	char *dir = sctest_temp_dir("ratls-sidecar-deadline");
	PGconn *conn;
	int status;

	(void)state;
	start_sidecar(&draining, dir, extra);
	conn = connect_through(draining.pg_port);
	check_with_log(&draining, PQstatus(conn) == CONNECTION_OK);
	kill(draining.pid, SIGTERM);
	status = sctest_sidecar_stop(&draining, 0, 10);
	check_with_log(&draining, status == 0);
	assert_true(sctest_sidecar_log_contains(&draining, "event=drain_deadline"));
	assert_true(sctest_sidecar_log_contains(&draining, "end=closed_by_owner"));
	assert_false(query_returns(conn, "SELECT 1", "1"));
	PQfinish(conn);
	sctest_remove_tree(dir);
	free(dir);
}

static void secrets_never_logged(void **state)
{
	(void)state;
	check_with_log(&sidecar, !sctest_sidecar_log_contains(&sidecar, "PRIVATE KEY"));
	check_with_log(&sidecar, !sctest_sidecar_log_contains(&sidecar, "seed"));
}

/* ---- the HTTP port ---- */

static void health_follows_postgres(void **state)
{
	char *body = NULL;

	(void)state;
	assert_int_equal(sctest_http_get(sidecar.http_port, "/health", &body), 200);
	assert_non_null(strstr(body, "\"ok\""));
	free(body);

	sctest_pg_stop(&pg);
	assert_int_equal(sctest_http_get(sidecar.http_port, "/health", &body), 503);
	assert_non_null(strstr(body, "unavailable"));
	free(body);
	sctest_pg_start(&pg);
	assert_int_equal(sctest_http_get(sidecar.http_port, "/health", NULL), 200);
}

static void attestation_report_verifies(void **state)
{
	struct ratls_attestation_report_options options = {
		.now = (int64_t)time(NULL),
		.max_skew = 60,
		.verifier = &platform.verifier,
	};
	struct ratls_attestation_report_result result;
	struct ratls_detail detail = {0};
	char *body = NULL;
	int rc;

	(void)state;
	check_with_log(&sidecar, sctest_http_get(sidecar.http_port, "/attestation", &body) == 200);
	rc = ratls_attestation_report_verify((const uint8_t *)body, strlen(body), &options,
					     &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s at %s: %s", ratls_error_name(rc), result.failed_step, detail.message);
	assert_true(result.replayed);
	assert_true(result.wal_lsn > 0);
	assert_non_null(strstr(result.pg_version, "."));
	assert_non_null(strstr(body, "\"app_id\":\"" SIM_APP_ID "\""));
	ratls_attestation_report_result_clear(&result);
	free(body);
}

/* Runs "ratls attestation SOURCE" with the fixture's root and collateral, plus extra options. */
static int run_cli(const char *source, const char *extra_option, const char *extra_value)
{
	const char *cli = getenv("RATLS_CLI_BIN");
	char out[SCTEST_PATH_SIZE];
	const char *argv[] = {cli, "attestation", source, "--trust-root", platform.root_pem_path,
			      "--collateral", platform.collateral_path, "--max-skew", "120",
			      extra_option, extra_value, NULL};
	int status;

	if (cli == NULL)
		fail_msg("RATLS_CLI_BIN is not set; run the test with meson test");
	sctest_join(out, work_dir, "cli.out");
	status = sctest_run(argv, out, 60);
	if (status != 0) {
		char *text = sctest_read_text(out);

		fprintf(stderr, "ratls attestation exited with %d:\n%s\n", status,
			text != NULL ? text : "");
		free(text);
	}
	return status;
}

static void attestation_cli_verifies(void **state)
{
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sidecar.http_port);
	check_with_log(&sidecar, run_cli(url, "--app-id", SIM_APP_ID) == 0);
	/* Exit status 16 is the policy class: the app id pin fails. */
	assert_int_equal(run_cli(url, "--app-id", "2222222222222222222222222222222222222222"), 16);
}

/* Writes the report with one member (a dotted path) replaced, and returns the file's path. */
static const char *write_altered(const char *report, const char *member, json_t *value,
				 char path[SCTEST_PATH_SIZE])
{
	json_t *root = json_loads(report, 0, NULL);
	const char *dot = strchr(member, '.');
	json_t *object = root;
	char *text;

	assert_non_null(root);
	if (dot != NULL) {
		char parent[64];

		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - member), member);
		object = json_object_get(root, parent);
		member = dot + 1;
	}
	json_object_set_new(object, member, value);
	text = json_dumps(root, JSON_COMPACT);
	sctest_join(path, work_dir, "altered.json");
	sctest_write_file(path, text, strlen(text));
	free(text);
	json_decref(root);
	return path;
}

/* A copy of the string member of the report (a dotted path) with one hex digit changed. */
static json_t *flipped_string(const char *report, const char *member, size_t position)
{
	json_t *root = json_loads(report, 0, NULL);
	const char *dot = strchr(member, '.');
	json_t *object = root, *value;
	char *copy;

	if (dot != NULL) {
		char parent[64];

		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - member), member);
		object = json_object_get(root, parent);
		member = dot + 1;
	}
	copy = strdup(json_string_value(json_object_get(object, member)));
	assert_non_null(copy);
	copy[position] = copy[position] == '0' ? '1' : '0';
	value = json_string(copy);
	free(copy);
	json_decref(root);
	return value;
}

static void attestation_cli_rejects_altered_report(void **state)
{
	char *report = NULL, path[SCTEST_PATH_SIZE];
	json_t *parsed;
	json_int_t timestamp;

	(void)state;
	check_with_log(&sidecar,
		       sctest_http_get(sidecar.http_port, "/attestation", &report) == 200);
	parsed = json_loads(report, 0, NULL);
	timestamp = json_integer_value(json_object_get(parsed, "timestamp"));
	json_decref(parsed);

	/* The report as served verifies from a file too. */
	sctest_join(path, work_dir, "report.json");
	sctest_write_file(path, report, strlen(report));
	assert_int_equal(run_cli(path, NULL, NULL), 0);

	/* 17 is the evidence class (binding, replay), 12 malformed input, 13 the chain of trust. */
	assert_int_equal(run_cli(write_altered(report, "timestamp", json_integer(timestamp - 1),
					       path),
				 NULL, NULL),
			 17);
	assert_int_equal(run_cli(write_altered(report, "postgres_state.wal_lsn",
					       json_string("0/1"), path),
				 NULL, NULL),
			 17);
	assert_int_equal(run_cli(write_altered(report, "postgres_state.controldata_hash",
					       flipped_string(report,
							      "postgres_state.controldata_hash", 5),
					       path),
				 NULL, NULL),
			 17);
	assert_int_equal(run_cli(write_altered(report, "app_id",
					       flipped_string(report, "app_id", 0), path),
				 NULL, NULL),
			 17);
	assert_int_equal(run_cli(write_altered(report, "tcb_info.mrtd",
					       flipped_string(report, "tcb_info.mrtd", 0), path),
				 NULL, NULL),
			 12);
	assert_int_equal(run_cli(write_altered(report, "quote",
					       flipped_string(report, "quote", 2 * 300), path),
				 NULL, NULL),
			 13);
	/* pg_version is outside the binding: the server's claim only. */
	assert_int_equal(run_cli(write_altered(report, "postgres_state.pg_version",
					       json_string("99"), path),
				 NULL, NULL),
			 0);
	free(report);
}

static void attestation_unavailable_without_postgres(void **state)
{
	char *body = NULL;

	(void)state;
	sctest_pg_stop(&pg);
	assert_int_equal(sctest_http_get(sidecar.http_port, "/attestation", &body), 503);
	assert_non_null(strstr(body, "unavailable"));
	free(body);
	sctest_pg_start(&pg);
}

static void attestation_rate_limited(void **state)
{
	static const char *const extra[] = {"--attestation-rate", "1", "--attestation-burst", "2",
					    NULL};
	struct sctest_sidecar limited;
	char *dir = sctest_temp_dir("ratls-sidecar-rate");
	long statuses[4];

	(void)state;
	start_sidecar(&limited, dir, extra);
	for (int i = 0; i < 4; i++)
		statuses[i] = sctest_http_get(limited.http_port, "/attestation", NULL);
	assert_int_equal(statuses[0], 200);
	assert_int_equal(statuses[1], 200);
	/* The bucket refills one token a second, and the two calls above were faster. */
	assert_int_equal(statuses[3], 429);
	pause_ms(1200);
	assert_int_equal(sctest_http_get(limited.http_port, "/attestation", NULL), 200);
	assert_int_equal(sctest_sidecar_stop(&limited, SIGTERM, 10), 0);
	sctest_remove_tree(dir);
	free(dir);
}

static void metrics_and_unknown_paths(void **state)
{
	char *body = NULL;

	(void)state;
	assert_int_equal(sctest_http_get(sidecar.http_port, "/metrics", &body), 200);
	assert_non_null(strstr(body, "# TYPE ratls_sidecar_connections_total counter"));
	assert_non_null(strstr(body, "ratls_sidecar_failures_total{reason=\"plaintext\"} 1"));
	assert_non_null(strstr(body, "ratls_sidecar_attestation_requests_total{result=\"ok\"}"));
	assert_null(strstr(body, "ratls_sidecar_sessions_total 0\n"));
	free(body);
	assert_int_equal(sctest_http_get(sidecar.http_port, "/nothing", NULL), 404);
	assert_int_equal(sctest_http_request(sidecar.http_port, "POST", "/health", NULL), 405);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(psql_sslmode_require_query),
		cmocka_unit_test(raw_tls_cert_verifies),
		cmocka_unit_test(ssl_request_and_gssenc_accepted),
		cmocka_unit_test(other_alpn_rejected),
		cmocka_unit_test(plaintext_startup_refused),
		cmocka_unit_test(garbage_preamble_closed),
		cmocka_unit_test(cancel_request_forwarded),
		cmocka_unit_test(upstream_down_reported),
		cmocka_unit_test(handshake_timeout_closes),
		cmocka_unit_test(connection_limit_enforced),
		cmocka_unit_test(idle_timeout_ends_session),
		cmocka_unit_test(sighup_rotates_certificate),
		cmocka_unit_test(sigterm_drains_sessions),
		cmocka_unit_test(drain_deadline_closes_sessions),
		cmocka_unit_test(health_follows_postgres),
		cmocka_unit_test(attestation_report_verifies),
		cmocka_unit_test(attestation_cli_verifies),
		cmocka_unit_test(attestation_cli_rejects_altered_report),
		cmocka_unit_test(attestation_unavailable_without_postgres),
		cmocka_unit_test(attestation_rate_limited),
		cmocka_unit_test(metrics_and_unknown_paths),
		cmocka_unit_test(secrets_never_logged),
	};

	sctest_pg_find_or_skip(&pg);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
