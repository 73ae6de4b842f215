/*
 * ratls_pq_connectdb against a real, throwaway PostgreSQL behind
 * ratls-sidecar in simulated mode. A query runs over the attested
 * connection, and each failure class comes back from the connect call with
 * its code and message. Also covered: the verification cache, the private
 * socket directory and the peer check, the non-blocking form, PQcancel,
 * mutual RA-TLS with a client certificate from files and from a dstack
 * guest agent, and 50 concurrent and many sequential connections without
 * leftover threads, sockets or files.
 *
 * Skips (exit 77) when the PostgreSQL server binaries are missing.
 */
#include <errno.h>
#include <pthread.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "ita_server.h"
#include "pcs_server.h"
#include "pq_helpers.h"
#include "ratls/ita.h"
#include "ratls/pq.h"

/* The sidecar's simulated identity (its --simulate-* defaults) and the platform's MRTD fill. */
#define SIM_APP_ID_BYTE 0x11
#define SIM_COMPOSE_HASH_BYTE 0x22
#define DEFAULT_MRTD_BYTE 0x4d
#define OTHER_MRTD "abababababababababababababababababababababababababababababababababababababababababababababababab"

static struct sctest_pg pg;
static struct sctest_platform platform;
static struct sctest_sidecar sidecar;       /* RA-TLS */
static struct sctest_sidecar plain_sidecar; /* --no-quote */
static struct sctest_sidecar mutual_sidecar; /* --require-client-attestation */
static char *work_dir;
static char plain_dir[SCTEST_PATH_SIZE];
static char mutual_dir[SCTEST_PATH_SIZE];
static char outdated_collateral[SCTEST_PATH_SIZE];

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* A connection string for the sidecar on port, trusting the fixture's platform, plus extra. */
static void conninfo_for(char *out, size_t size, int port, const char *extra)
{
	pqtest_format(out, size,
		      "host=127.0.0.1 port=%d user=postgres dbname=postgres "
		      "ratls_collateral='%s' ratls_trust_root='%s' %s",
		      port, platform.collateral_path, platform.root_pem_path,
		      extra != NULL ? extra : "");
}

static void make_dir(char out[SCTEST_PATH_SIZE], const char *name)
{
	sctest_join(out, work_dir, name);
	assert_int_equal(mkdir(out, 0700), 0);
}

static int setup(void **state)
{
	const char *cli = getenv("RATLS_CLI_BIN");
	char root_arg[SCTEST_PATH_SIZE];
	const char *sim_args[] = {"--simulate", NULL, "--upstream", NULL, NULL};
	const char *plain_args[] = {"--no-quote", "--upstream", NULL, NULL};
	const char *mutual_args[] = {"--simulate", NULL, "--upstream", NULL,
				     "--require-client-attestation", "--client-trust-root", NULL,
				     "--client-collateral", NULL, NULL};

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ratls_set_log_callback(pqtest_log, NULL);
	work_dir = sctest_temp_dir("ratls-pq-connect");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, (int64_t)time(NULL));
	sctest_pg_init(&pg);
	pqtest_pg_start(&pg);

	sim_args[1] = platform.dir;
	sim_args[3] = pg.socket;
	sctest_sidecar_start(&sidecar, work_dir, sim_args);
	make_dir(plain_dir, "plain");
	plain_args[2] = pg.socket;
	sctest_sidecar_start(&plain_sidecar, plain_dir, plain_args);
	make_dir(mutual_dir, "mutual");
	mutual_args[1] = platform.dir;
	mutual_args[3] = pg.socket;
	mutual_args[6] = platform.root_pem_path;
	mutual_args[8] = platform.collateral_path;
	sctest_sidecar_start(&mutual_sidecar, mutual_dir, mutual_args);

	/* Collateral whose TCB level for this platform is OutOfDate. */
	assert_non_null(cli);
	sctest_join(outdated_collateral, work_dir, "outdated.json");
	pqtest_format(root_arg, sizeof(root_arg), "%s", platform.dir);
	{
		const char *argv[] = {cli, "sim", "collateral", "--platform", root_arg,
				      "--tcb-status", "OutOfDate", "--out", outdated_collateral,
				      NULL};

		assert_int_equal(sctest_run(argv, NULL, 60), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_sidecar_stop(&mutual_sidecar, SIGTERM, 10);
	sctest_sidecar_stop(&plain_sidecar, SIGTERM, 10);
	sctest_sidecar_stop(&sidecar, SIGTERM, 10);
	sctest_pg_destroy(&pg);
	sctest_platform_free(&platform);
	sctest_remove_tree(work_dir);
	free(work_dir);
	ratls_pq_cache_clear();
	curl_global_cleanup();
	return 0;
}

static int before_each(void **state)
{
	(void)state;
	ratls_pq_cache_clear();
	pqtest_log_reset();
	return 0;
}

/* ---- helpers ---- */

static void expect_query(PGconn *conn)
{
	PGresult *result = PQexec(conn, "SELECT 6 * 7");

	if (PQresultStatus(result) != PGRES_TUPLES_OK)
		fail_msg("query failed: %s", PQerrorMessage(conn));
	assert_string_equal(PQgetvalue(result, 0, 0), "42");
	PQclear(result);
}

/* Connects and expects success; returns the connection. */
static PGconn *connect_ok(const char *conninfo, struct ratls_pq_options *options)
{
	PGconn *conn = ratls_pq_connectdb(conninfo, options);
	struct ratls_detail detail = {0};
	int rc;

	assert_non_null(conn);
	rc = ratls_pq_error(conn, &detail);
	if (PQstatus(conn) != CONNECTION_OK || rc != RATLS_OK)
		fail_msg("connect failed: %s: %s / %s", ratls_error_name(rc), detail.message,
			 PQerrorMessage(conn));
	return conn;
}

/* Connects, expects the failure code, and checks that the libpq message carries it too. */
static void connect_fails(const char *conninfo, struct ratls_pq_options *options, int expected,
			  const char *needle)
{
	PGconn *conn = ratls_pq_connectdb(conninfo, options);
	struct ratls_detail detail = {0};
	int rc;

	assert_non_null(conn);
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	rc = ratls_pq_error(conn, &detail);
	if (rc != expected)
		fail_msg("expected %s, got %s: %s / %s", ratls_error_name(expected),
			 ratls_error_name(rc), detail.message, PQerrorMessage(conn));
	assert_non_null(strstr(PQerrorMessage(conn), ratls_error_name(expected)));
	if (needle != NULL && strstr(detail.message, needle) == NULL)
		fail_msg("the message '%s' does not name '%s'", detail.message, needle);
	assert_null(ratls_pq_attestation(conn));
	PQfinish(conn);
}

/* ---- success ---- */

static void connect_runs_query(void **state)
{
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, NULL);
	expect_query(conn);
	PQfinish(conn);

	/* The URI form with the same keywords. */
	pqtest_format(conninfo, sizeof(conninfo),
		 "postgresql://postgres@127.0.0.1:%d/postgres?ratls_collateral=%s&"
		 "ratls_trust_root=%s",
		 sidecar.pg_port, platform.collateral_path, platform.root_pem_path);
	conn = connect_ok(conninfo, NULL);
	expect_query(conn);
	PQfinish(conn);
}

static void connect_reports_attestation(void **state)
{
	const struct ratls_pq_attestation *att;
	char conninfo[2048], port[16];
	PGconn *conn;

	(void)state;
	/* localhost: a name, so SNI is sent and getaddrinfo may return ::1 first. */
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=localhost port=%d user=postgres dbname=postgres ratls_collateral='%s' "
		 "ratls_trust_root='%s'",
		 sidecar.pg_port, platform.collateral_path, platform.root_pem_path);
	conn = connect_ok(conninfo, NULL);
	att = ratls_pq_attestation(conn);
	assert_non_null(att);
	assert_true(att->attested);
	assert_false(att->from_cache);
	assert_string_equal(att->verifier, "dcap");
	assert_int_equal(att->report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(att->report.td.mr_td[0], DEFAULT_MRTD_BYTE);
	assert_int_equal(att->report.td.mr_td[47], DEFAULT_MRTD_BYTE);
	assert_true(att->report.custom_root);
	assert_true(att->has_identity);
	assert_int_equal(att->app_id_size, 20);
	assert_int_equal(att->app_id[0], SIM_APP_ID_BYTE);
	assert_int_equal(att->compose_hash_size, 32);
	assert_int_equal(att->compose_hash[31], SIM_COMPOSE_HASH_BYTE);
	assert_string_equal(att->host, "localhost");
	pqtest_format(port, sizeof(port), "%d", sidecar.pg_port);
	assert_string_equal(att->port, port);
	assert_string_equal(att->tls_version, "TLSv1.3");
	assert_true(att->verified_at > 0);
	assert_true(att->cache_expires_at > att->verified_at);
	assert_true(att->cache_expires_at <= att->report.valid_until);
	/* PQport is the server's port; PQhost is the private socket directory. */
	assert_string_equal(PQport(conn), port);
	assert_non_null(strstr(PQhost(conn), "ratls-pq-"));
	expect_query(conn);
	PQfinish(conn);
}

/* ---- each failure class ---- */

static void no_extension_rejected(void **state)
{
	char conninfo[2048];

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), plain_sidecar.pg_port, NULL);
	connect_fails(conninfo, NULL, RATLS_ERR_NOT_RATLS, NULL);
}

static void no_extension_allowed_with_simulator(void **state)
{
	const struct ratls_pq_attestation *att;
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), plain_sidecar.pg_port, "ratls_allow_simulator=1");
	conn = connect_ok(conninfo, NULL);
	att = ratls_pq_attestation(conn);
	assert_non_null(att);
	assert_false(att->attested);
	assert_false(att->from_cache);
	assert_true(pqtest_warned("allow_simulator"));
	expect_query(conn);
	PQfinish(conn);

	/* An attested server still passes the full check with the option on. */
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_allow_simulator=1");
	conn = connect_ok(conninfo, NULL);
	assert_true(ratls_pq_attestation(conn)->attested);
	PQfinish(conn);
}

static void mrtd_not_allowed(void **state)
{
	char conninfo[2048], mrtd[128];

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_mrtd=" OTHER_MRTD);
	connect_fails(conninfo, NULL, RATLS_ERR_MRTD_NOT_ALLOWED, "4d4d4d");

	/* Listed (upper case, 0x prefix), it passes. */
	pqtest_format(mrtd, sizeof(mrtd), "ratls_mrtd=0X");
	for (int i = 0; i < 48; i++)
		pqtest_format(mrtd + 13 + 2 * i, 3, "4D");
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, mrtd);
	PQfinish(connect_ok(conninfo, NULL));
}

static void untrusted_root(void **state)
{
	char conninfo[2048];

	(void)state;
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_collateral='%s'", sidecar.pg_port,
		 platform.collateral_path);
	connect_fails(conninfo, NULL, RATLS_ERR_UNTRUSTED_ROOT, "Intel SGX Root CA");
}

static void tcb_status_unacceptable(void **state)
{
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_collateral='%s' "
		 "ratls_trust_root='%s'",
		 sidecar.pg_port, outdated_collateral, platform.root_pem_path);
	connect_fails(conninfo, NULL, RATLS_ERR_TCB_STATUS, "OutOfDate");

	/* Accepted when the policy allows it. */
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_collateral='%s' "
		 "ratls_trust_root='%s' ratls_tcb_status=UpToDate,OutOfDate",
		 sidecar.pg_port, outdated_collateral, platform.root_pem_path);
	conn = connect_ok(conninfo, NULL);
	assert_int_equal(ratls_pq_attestation(conn)->report.status, RATLS_TCB_OUT_OF_DATE);
	PQfinish(conn);
}

static void collateral_unavailable(void **state)
{
	char conninfo[2048];

	(void)state;
	/* A PCCS that cannot be reached: nothing listens on the port. */
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_pccs_url=http://127.0.0.1:%d "
		 "ratls_trust_root='%s'",
		 sidecar.pg_port, sctest_free_port(), platform.root_pem_path);
	connect_fails(conninfo, NULL, RATLS_ERR_NETWORK, "127.0.0.1");

	/* A bundle file that does not exist. */
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_collateral=/nonexistent/c.json "
		 "ratls_trust_root='%s'",
		 sidecar.pg_port, platform.root_pem_path);
	connect_fails(conninfo, NULL, RATLS_ERR_IO, "/nonexistent/c.json");
}

static void collateral_from_pccs(void **state)
{
	struct pcs_server *pccs = pcs_server_start_sim(platform.platform, platform.now,
						       PCS_MODE_PCCS);
	struct ratls_pq_options *options = ratls_pq_options_new();
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	assert_non_null(pccs);
	pqtest_format(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres ratls_pccs_url=%s ratls_trust_root='%s'",
		 sidecar.pg_port, pcs_server_url(pccs), platform.root_pem_path);
	conn = connect_ok(conninfo, options);
	expect_query(conn);
	PQfinish(conn);
	assert_true(pcs_server_count(pccs, PCS_EP_TCB_INFO) >= 1);
	ratls_pq_options_free(options);
	pcs_server_stop(pccs);
}

static void verifier_ita(void **state)
{
	struct ita_server *ita = ita_server_start(platform.now);
	const struct ratls_pq_attestation *att;
	char conninfo[2048], extra[1024];
	PGconn *conn;

	(void)state;
	assert_non_null(ita);
	pqtest_format(extra, sizeof(extra), "ratls_verifier=ita ratls_ita_url=%s ratls_ita_jwks_url=%s",
		      ita_server_url(ita), ita_server_jwks_url(ita));
	pqtest_format(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=postgres %s",
		      sidecar.pg_port, extra);

	/* The API key comes only from the environment or the options, never the string. */
	unsetenv(RATLS_ITA_API_KEY_ENV);
	connect_fails(conninfo, NULL, RATLS_ERR_INVALID_ARGUMENT, "API key");

	setenv(RATLS_ITA_API_KEY_ENV, ITA_SERVER_API_KEY, 1);
	conn = connect_ok(conninfo, NULL);
	att = ratls_pq_attestation(conn);
	assert_string_equal(att->verifier, "ita");
	assert_int_equal(att->report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(att->report.td.mr_td[0], DEFAULT_MRTD_BYTE);
	expect_query(conn);
	PQfinish(conn);
	assert_int_equal(ita_server_count(ita, ITA_EP_ATTEST), 1);

	/* An ITA outage is a service failure, and it is not cached over. */
	ratls_pq_cache_clear();
	ita_server_set_fault(ita, ITA_FAULT_HTTP_500);
	connect_fails(conninfo, NULL, RATLS_ERR_SERVICE, "500");

	/* The trust root is a DCAP setting. */
	ita_server_set_fault(ita, ITA_FAULT_NONE);
	pqtest_format(conninfo, sizeof(conninfo),
		      "host=127.0.0.1 port=%d user=postgres %s ratls_trust_root='%s'",
		      sidecar.pg_port, extra, platform.root_pem_path);
	connect_fails(conninfo, NULL, RATLS_ERR_INVALID_ARGUMENT, "ratls_trust_root");
	unsetenv(RATLS_ITA_API_KEY_ENV);
	ita_server_stop(ita);
}

static void server_unreachable(void **state)
{
	char conninfo[2048];

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sctest_free_port(), NULL);
	connect_fails(conninfo, NULL, RATLS_ERR_NETWORK, "Connection refused");
}

static void bad_option_from_connect(void **state)
{
	char conninfo[2048];

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_mrtd=zz");
	connect_fails(conninfo, NULL, RATLS_ERR_INVALID_ARGUMENT, "ratls_mrtd");
	connect_fails("host=127.0.0.1 ratls_unknown=1", NULL, RATLS_ERR_INVALID_ARGUMENT,
		      "ratls_unknown");

	/* libpq checks this value only when it connects; ratls_pq_error still has it. */
	{
		struct ratls_detail detail = {0};
		PGconn *conn;

		conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port,
			     "target_session_attrs=bogus");
		conn = ratls_pq_connectdb(conninfo, NULL);
		assert_int_equal(PQstatus(conn), CONNECTION_BAD);
		assert_int_equal(ratls_pq_error(conn, &detail), RATLS_ERR_INVALID_ARGUMENT);
		assert_non_null(strstr(detail.message, "target_session_attrs"));
		PQfinish(conn);
	}
}

/* ---- the non-blocking form ---- */

static PostgresPollingStatusType poll_until_done(PGconn *conn)
{
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;
	time_t deadline = time(NULL) + 30;

	while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
		struct timeval tv = {0, 100000};
		fd_set fds;
		int fd = PQsocket(conn);

		assert_true(time(NULL) < deadline);
		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		if (status == PGRES_POLLING_READING)
			select(fd + 1, &fds, NULL, NULL, &tv);
		else
			select(fd + 1, NULL, &fds, NULL, &tv);
		status = PQconnectPoll(conn);
	}
	return status;
}

static void connect_start_polls(void **state)
{
	struct ratls_detail detail = {0};
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = ratls_pq_connect_start(conninfo, NULL);
	assert_non_null(conn);
	assert_int_not_equal(PQstatus(conn), CONNECTION_BAD);
	assert_int_equal(poll_until_done(conn), PGRES_POLLING_OK);
	assert_int_equal(ratls_pq_error(conn, &detail), RATLS_OK);
	assert_non_null(ratls_pq_attestation(conn));
	expect_query(conn);
	PQfinish(conn);

	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_mrtd=" OTHER_MRTD);
	conn = ratls_pq_connect_start(conninfo, NULL);
	assert_non_null(conn);
	assert_int_equal(poll_until_done(conn), PGRES_POLLING_FAILED);
	assert_int_equal(ratls_pq_error(conn, &detail), RATLS_ERR_MRTD_NOT_ALLOWED);
	assert_non_null(strstr(PQerrorMessage(conn), "RATLS_ERR_MRTD_NOT_ALLOWED"));
	PQfinish(conn);

	/* libpq itself refuses a value: the start call fails, and ratls_pq_error reports it. */
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "target_session_attrs=bogus");
	conn = ratls_pq_connect_start(conninfo, NULL);
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_error(conn, &detail), RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "target_session_attrs"));
	PQfinish(conn);
}

static void error_of_foreign_connection(void **state)
{
	struct ratls_detail detail = {0};
	char conninfo[1024];
	PGconn *conn;

	(void)state;
	assert_int_equal(ratls_pq_error(NULL, &detail), RATLS_ERR_INVALID_ARGUMENT);
	sctest_pg_conninfo(&pg, conninfo, sizeof(conninfo));
	conn = PQconnectdb(conninfo);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_error(conn, &detail), RATLS_ERR_INVALID_ARGUMENT);
	assert_null(ratls_pq_attestation(conn));
	PQfinish(conn);
}

/* ---- the verification cache ---- */

static void cache_second_connection_hits(void **state)
{
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_pq_stats stats;
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, options);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);
	conn = connect_ok(conninfo, options);
	assert_true(ratls_pq_attestation(conn)->from_cache);
	assert_int_equal(ratls_pq_attestation(conn)->report.td.mr_td[0], DEFAULT_MRTD_BYTE);
	expect_query(conn);
	PQfinish(conn);
	ratls_pq_options_stats(options, &stats);
	assert_int_equal(stats.verifications, 1);
	assert_int_equal(stats.cache_hits, 1);
	assert_int_equal(stats.sessions, 2);

	/* The cache is process-wide: another options object with the same policy hits too. */
	conn = connect_ok(conninfo, NULL);
	assert_true(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);
	ratls_pq_options_free(options);
}

static void cache_expired_entry_verifies(void **state)
{
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_cache_ttl=1");
	conn = connect_ok(conninfo, NULL);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);
	pause_ms(1100);
	conn = connect_ok(conninfo, NULL);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);

	/* A TTL of 0 turns the cache off. */
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_cache_ttl=0");
	PQfinish(connect_ok(conninfo, NULL));
	conn = connect_ok(conninfo, NULL);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);
}

static int count_text(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void cache_changed_certificate_verifies(void **state)
{
	char conninfo[2048];
	char *log;
	int issued;
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	PQfinish(connect_ok(conninfo, NULL));
	conn = connect_ok(conninfo, NULL);
	assert_true(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);

	/* SIGHUP makes the sidecar issue a new key, quote and certificate. */
	log = sctest_read_text(sidecar.log_path);
	issued = count_text(log, "event=certificate_issued");
	free(log);
	kill(sidecar.pid, SIGHUP);
	for (int i = 0; i < 500; i++) {
		log = sctest_read_text(sidecar.log_path);
		if (count_text(log, "event=certificate_issued") > issued)
			i = 500;
		free(log);
		pause_ms(10);
	}
	conn = connect_ok(conninfo, NULL);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	expect_query(conn);
	PQfinish(conn);
}

static void cache_keeps_no_failure(void **state)
{
	char conninfo[2048], good[2048];
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_mrtd=" OTHER_MRTD);
	connect_fails(conninfo, NULL, RATLS_ERR_MRTD_NOT_ALLOWED, NULL);
	assert_int_equal(ratls_pq_cache_size(), 0);
	connect_fails(conninfo, NULL, RATLS_ERR_MRTD_NOT_ALLOWED, NULL);

	/* A success under one policy does not serve another. */
	conninfo_for(good, sizeof(good), sidecar.pg_port, NULL);
	PQfinish(connect_ok(good, NULL));
	assert_int_equal(ratls_pq_cache_size(), 1);
	connect_fails(conninfo, NULL, RATLS_ERR_MRTD_NOT_ALLOWED, NULL);
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, "ratls_compose_hash="
		     "2222222222222222222222222222222222222222222222222222222222222222");
	conn = connect_ok(conninfo, NULL);
	assert_false(ratls_pq_attestation(conn)->from_cache);
	PQfinish(conn);
	assert_int_equal(ratls_pq_cache_size(), 2);
}

/* ---- the private socket ---- */

static void socket_directory_private(void **state)
{
	char conninfo[2048], dir[SCTEST_PATH_SIZE], socket_path[SCTEST_PATH_SIZE];
	struct stat st;
	PGconn *conn;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, NULL);
	pqtest_format(dir, sizeof(dir), "%s", PQhost(conn));
	pqtest_format(socket_path, sizeof(socket_path), "%s/.s.PGSQL.%s", dir, PQport(conn));
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(stat(socket_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0077, 0);
	PQfinish(conn);
	assert_int_not_equal(stat(socket_path, &st), 0);
	assert_int_not_equal(stat(dir, &st), 0);
}

/* In a child running as another user: connects to path and reports what happened. */
static int connect_as(uid_t uid, gid_t gid, const char *path)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un address = {.sun_family = AF_UNIX};
		int fd;
		char byte;

		if (setgid(gid) != 0 || setuid(uid) != 0)
			_exit(10);
		memcpy(address.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0)
			_exit(errno == EACCES ? 2 : 3);
		/* Connected: the forwarder must close at once, without a byte. */
		if (read(fd, &byte, 1) == 0)
			_exit(4);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void other_user_refused(void **state)
{
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_pq_stats before, after;
	char conninfo[2048], socket_path[SCTEST_PATH_SIZE];
	struct passwd *nobody = getpwnam("nobody");
	PGconn *conn;

	(void)state;
	if (geteuid() != 0 || nobody == NULL) {
		ratls_pq_options_free(options);
		skip();
	}
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, options);
	pqtest_format(socket_path, sizeof(socket_path), "%s/.s.PGSQL.%s", PQhost(conn), PQport(conn));
	ratls_pq_options_stats(options, &before);

	/* The directory's mode keeps another user away from the socket. */
	assert_int_equal(connect_as(nobody->pw_uid, nobody->pw_gid, socket_path), 2);

	/* Even with the directory opened up, the peer check closes the connection. */
	assert_int_equal(chmod(PQhost(conn), 0711), 0);
	assert_int_equal(chmod(socket_path, 0666), 0);
	assert_int_equal(connect_as(nobody->pw_uid, nobody->pw_gid, socket_path), 4);
	ratls_pq_options_stats(options, &after);
	assert_int_equal(after.rejected_peers, before.rejected_peers + 1);
	assert_int_equal(after.sessions, before.sessions);
	expect_query(conn);
	PQfinish(conn);
	ratls_pq_options_free(options);
}

/* ---- cancel ---- */

static void cancel_request_forwarded(void **state)
{
	char conninfo[2048], error[256];
	PGcancel *cancel;
	PGresult *result;
	PGconn *conn;
	time_t start;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, NULL);
	assert_int_equal(PQsendQuery(conn, "SELECT pg_sleep(30)"), 1);
	pause_ms(200);
	start = time(NULL);
	cancel = PQgetCancel(conn);
	assert_non_null(cancel);
	if (PQcancel(cancel, error, sizeof(error)) != 1)
		fail_msg("PQcancel failed: %s", error);
	PQfreeCancel(cancel);
	result = PQgetResult(conn);
	assert_int_equal(PQresultStatus(result), PGRES_FATAL_ERROR);
	assert_non_null(strstr(PQresultErrorMessage(result), "cancel"));
	PQclear(result);
	while ((result = PQgetResult(conn)) != NULL)
		PQclear(result);
	assert_true(time(NULL) - start < 10);
	expect_query(conn);
	PQfinish(conn);
}

/* ---- volume ---- */

static void large_transfer_both_ways(void **state)
{
	size_t size = 8 * 1024 * 1024;
	char *big = malloc(size + 1);
	const char *params[1];
	char conninfo[2048];
	PGresult *result;
	PGconn *conn;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < size; i++)
		big[i] = (char)('a' + i % 26);
	big[size] = '\0';
	params[0] = big;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	conn = connect_ok(conninfo, NULL);

	/* 8 MiB to the server, which returns its MD5 and length. */
	result = PQexecParams(conn, "SELECT md5($1), length($1)", 1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(result), PGRES_TUPLES_OK);
	assert_int_equal(strtol(PQgetvalue(result, 0, 1), NULL, 10), (long)size);
	PQclear(result);

	/* 8 MiB back from the server, checked byte for byte. */
	result = PQexecParams(conn, "SELECT $1::text", 1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(result), PGRES_TUPLES_OK);
	assert_int_equal(PQgetlength(result, 0, 0), (int)size);
	assert_memory_equal(PQgetvalue(result, 0, 0), big, size);
	PQclear(result);
	expect_query(conn);
	PQfinish(conn);
	free(big);
}

/* ---- mutual RA-TLS ---- */

static void client_certificate_from_files(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct test_cert cert;
	char cert_path[SCTEST_PATH_SIZE], key_path[SCTEST_PATH_SIZE], extra[3 * SCTEST_PATH_SIZE];
	char conninfo[4 * SCTEST_PATH_SIZE];
	PGconn *conn;

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	test_cert_write(&cert, work_dir, "client", cert_path, key_path);

	/* Without a certificate the sidecar ends the handshake. */
	conninfo_for(conninfo, sizeof(conninfo), mutual_sidecar.pg_port, NULL);
	connect_fails(conninfo, NULL, RATLS_ERR_NETWORK, "client certificate");

	pqtest_format(extra, sizeof(extra),
		 "ratls_client_cert=file ratls_client_cert_file='%s' ratls_client_key_file='%s'",
		 cert_path, key_path);
	conninfo_for(conninfo, sizeof(conninfo), mutual_sidecar.pg_port, extra);
	conn = connect_ok(conninfo, NULL);
	expect_query(conn);
	PQfinish(conn);

	/* The file mode needs both files. */
	conninfo_for(conninfo, sizeof(conninfo), mutual_sidecar.pg_port, "ratls_client_cert=file");
	connect_fails(conninfo, NULL, RATLS_ERR_INVALID_ARGUMENT, "ratls_client_cert_file");
	test_cert_free(&cert);
}

/* A dstack guest agent look-alike: serves one HTTP request on a Unix socket with a key and chain. */
struct fake_agent {
	char path[SCTEST_PATH_SIZE];
	int fd;
	pthread_t thread;
	char request[8192];
	const struct test_cert *cert;
};

static void *agent_main(void *arg)
{
	struct fake_agent *agent = arg;
	int fd = accept(agent->fd, NULL, NULL);
	char *pem = NULL, *body, *escaped_cert, *escaped_key, response[65536];
	size_t used = 0, pem_len = 0;
	struct ratls_detail detail = {0};
	ssize_t n;

	if (fd < 0)
		return NULL;
	/* Reads until the JSON body's closing brace (the request is small). */
	while (used < sizeof(agent->request) - 1 &&
	       (n = read(fd, agent->request + used, sizeof(agent->request) - 1 - used)) > 0) {
		used += (size_t)n;
		agent->request[used] = '\0';
		if (strstr(agent->request, "\r\n\r\n") != NULL &&
		    strchr(strstr(agent->request, "\r\n\r\n"), '}') != NULL)
			break;
	}
	if (ratls_sim_pem_encode("CERTIFICATE", agent->cert->der, agent->cert->der_size, &pem,
				 &pem_len, &detail) != RATLS_OK)
		pem = NULL;
	escaped_cert = calloc(1, 2 * pem_len + 1);
	escaped_key = calloc(1, 2 * agent->cert->key_size + 1);
	for (size_t i = 0, j = 0; pem != NULL && i < pem_len; i++) {
		if (pem[i] == '\n') {
			escaped_cert[j++] = '\\';
			escaped_cert[j++] = 'n';
		} else {
			escaped_cert[j++] = pem[i];
		}
	}
	for (size_t i = 0, j = 0; i < agent->cert->key_size; i++) {
		if (agent->cert->key_pem[i] == '\n') {
			escaped_key[j++] = '\\';
			escaped_key[j++] = 'n';
		} else {
			escaped_key[j++] = agent->cert->key_pem[i];
		}
	}
	body = calloc(1, 65536);
	pqtest_format(body, 65536, "{\"key\":\"%s\",\"certificate_chain\":[\"%s\"]}", escaped_key,
		 escaped_cert);
	pqtest_format(response, sizeof(response),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 strlen(body), body);
	if (write(fd, response, strlen(response)) < 0)
		fprintf(stderr, "fake agent: write failed\n");
	close(fd);
	free(body);
	free(escaped_cert);
	free(escaped_key);
	ratls_sim_free(pem);
	return NULL;
}

static void client_certificate_from_dstack(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct fake_agent agent = {0};
	struct test_cert cert;
	char extra[SCTEST_PATH_SIZE + 64], conninfo[4 * SCTEST_PATH_SIZE];
	PGconn *conn;

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	agent.cert = &cert;
	sctest_join(agent.path, work_dir, "dstack.sock");
	memcpy(address.sun_path, agent.path, strlen(agent.path) + 1);
	agent.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(agent.fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(agent.fd, 4), 0);
	assert_int_equal(pthread_create(&agent.thread, NULL, agent_main, &agent), 0);

	pqtest_format(extra, sizeof(extra), "ratls_client_cert=dstack ratls_dstack_socket='%s'",
		 agent.path);
	conninfo_for(conninfo, sizeof(conninfo), mutual_sidecar.pg_port, extra);
	conn = connect_ok(conninfo, NULL);
	expect_query(conn);
	PQfinish(conn);
	pthread_join(agent.thread, NULL);
	close(agent.fd);
	unlink(agent.path);

	/* The request asked for an RA-TLS client certificate, as JSON. */
	assert_non_null(strstr(agent.request, "POST /GetTlsKey"));
	assert_non_null(strstr(agent.request, "Content-Type: application/json"));
	assert_non_null(strstr(agent.request, "\"usage_ra_tls\":true"));
	assert_non_null(strstr(agent.request, "\"usage_client_auth\":true"));

	/* No agent at the path: the connect call returns a network error. */
	connect_fails(conninfo, NULL, RATLS_ERR_NETWORK, "guest agent");
	test_cert_free(&cert);
}

/* ---- load and resources ---- */

#define CONCURRENT_CONNECTIONS 50

struct concurrent {
	const char *conninfo;
	struct ratls_pq_options *options;
	pthread_barrier_t all_open;
	pthread_barrier_t all_queried;
	atomic_int failures;
};

static void *concurrent_main(void *arg)
{
	struct concurrent *shared = arg;
	PGconn *conn = ratls_pq_connectdb(shared->conninfo, shared->options);
	bool ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
	PGresult *result;

	if (!ok) {
		fprintf(stderr, "concurrent connect failed: %s\n",
			conn != NULL ? PQerrorMessage(conn) : "NULL");
		shared->failures++;
	}
	/* Every connection is open at this point. */
	pthread_barrier_wait(&shared->all_open);
	if (ok) {
		result = PQexec(conn, "SELECT count(*) FROM pg_stat_activity");
		if (PQresultStatus(result) != PGRES_TUPLES_OK ||
		    strtol(PQgetvalue(result, 0, 0), NULL, 10) < CONCURRENT_CONNECTIONS)
			shared->failures++;
		PQclear(result);
	}
	/* No connection closes before every query saw all of them. */
	pthread_barrier_wait(&shared->all_queried);
	PQfinish(conn);
	return NULL;
}

static void concurrent_connections(void **state)
{
	struct concurrent shared = {0};
	pthread_t threads[CONCURRENT_CONNECTIONS];
	char conninfo[2048];
	int threads_before = pqtest_thread_count(), fds_before = pqtest_fd_count();

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	shared.conninfo = conninfo;
	shared.options = ratls_pq_options_new();
	pthread_barrier_init(&shared.all_open, NULL, CONCURRENT_CONNECTIONS);
	pthread_barrier_init(&shared.all_queried, NULL, CONCURRENT_CONNECTIONS);
	for (int i = 0; i < CONCURRENT_CONNECTIONS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, concurrent_main, &shared), 0);
	for (int i = 0; i < CONCURRENT_CONNECTIONS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&shared.all_open);
	pthread_barrier_destroy(&shared.all_queried);
	ratls_pq_options_free(shared.options);
	assert_int_equal(shared.failures, 0);
	assert_int_equal(pqtest_wait_threads(threads_before, 2000), threads_before);
	assert_int_equal(pqtest_fd_count(), fds_before);
}

static void sequential_cycles(void **state)
{
	const char *env = getenv("RATLS_PQ_CYCLES");
	long cycles = env != NULL ? strtol(env, NULL, 10) : 1000;
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_pq_stats stats;
	char conninfo[2048];
	int threads_before, fds_before;

	(void)state;
	conninfo_for(conninfo, sizeof(conninfo), sidecar.pg_port, NULL);
	/* The first connection fills the cache and creates the verifier and TLS context. */
	PQfinish(connect_ok(conninfo, options));
	threads_before = pqtest_thread_count();
	fds_before = pqtest_fd_count();
	for (long i = 0; i < cycles; i++) {
		PGconn *conn = connect_ok(conninfo, options);
		char dir[SCTEST_PATH_SIZE];
		struct stat st;

		pqtest_format(dir, sizeof(dir), "%s", PQhost(conn));
		if (i % 100 == 0)
			expect_query(conn);
		PQfinish(conn);
		assert_int_not_equal(stat(dir, &st), 0);
		assert_int_equal(pqtest_thread_count(), threads_before);
	}
	assert_int_equal(pqtest_fd_count(), fds_before);
	ratls_pq_options_stats(options, &stats);
	assert_int_equal(stats.verifications, 1);
	assert_int_equal(stats.cache_hits, (uint64_t)cycles);
	assert_int_equal(stats.failures, 0);
	ratls_pq_options_free(options);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(connect_runs_query, before_each),
		cmocka_unit_test_setup(connect_reports_attestation, before_each),
		cmocka_unit_test_setup(no_extension_rejected, before_each),
		cmocka_unit_test_setup(no_extension_allowed_with_simulator, before_each),
		cmocka_unit_test_setup(mrtd_not_allowed, before_each),
		cmocka_unit_test_setup(untrusted_root, before_each),
		cmocka_unit_test_setup(tcb_status_unacceptable, before_each),
		cmocka_unit_test_setup(collateral_unavailable, before_each),
		cmocka_unit_test_setup(collateral_from_pccs, before_each),
		cmocka_unit_test_setup(verifier_ita, before_each),
		cmocka_unit_test_setup(server_unreachable, before_each),
		cmocka_unit_test_setup(bad_option_from_connect, before_each),
		cmocka_unit_test_setup(connect_start_polls, before_each),
		cmocka_unit_test_setup(error_of_foreign_connection, before_each),
		cmocka_unit_test_setup(cache_second_connection_hits, before_each),
		cmocka_unit_test_setup(cache_expired_entry_verifies, before_each),
		cmocka_unit_test_setup(cache_changed_certificate_verifies, before_each),
		cmocka_unit_test_setup(cache_keeps_no_failure, before_each),
		cmocka_unit_test_setup(socket_directory_private, before_each),
		cmocka_unit_test_setup(other_user_refused, before_each),
		cmocka_unit_test_setup(cancel_request_forwarded, before_each),
		cmocka_unit_test_setup(large_transfer_both_ways, before_each),
		cmocka_unit_test_setup(client_certificate_from_files, before_each),
		cmocka_unit_test_setup(client_certificate_from_dstack, before_each),
		cmocka_unit_test_setup(concurrent_connections, before_each),
		cmocka_unit_test_setup(sequential_cycles, before_each),
	};
	struct sctest_pg probe;

	sctest_pg_find_or_skip(&probe);
	pg = probe;
	if (getenv("RATLS_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("RATLS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
