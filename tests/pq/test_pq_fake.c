/*
 * The connector against fake RA-TLS servers that record what arrives after
 * their TLS handshake. They present certificates shaped to fail one check
 * (a debuggable TD, a quote bound to another key) and prove the central
 * invariant: when verification fails the server receives no byte after the
 * handshake, and the password leaves the process only after verification
 * passed and the server asked for it. Also: the TeeSQL credential check
 * runs before any network I/O, and ratls_pq_verify_server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "pq_helpers.h"
#include "ratls/pq.h"

#define OTHER_MRTD "abababababababababababababababababababababababababababababababababababababababababababababababab"
#define PASSWORD "s3cret-pa55word"

static struct sctest_platform platform;
static char *work_dir;

static int setup(void **state)
{
	(void)state;
	ratls_set_log_callback(pqtest_log, NULL);
	work_dir = sctest_temp_dir("ratls-pq-fake");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, (int64_t)time(NULL));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_platform_free(&platform);
	sctest_remove_tree(work_dir);
	free(work_dir);
	ratls_pq_cache_clear();
	return 0;
}

static int before_each(void **state)
{
	(void)state;
	ratls_pq_cache_clear();
	pqtest_log_reset();
	return 0;
}

static void conninfo_for(char *out, size_t size, int port, const char *extra)
{
	pqtest_format(out, size,
		      "host=127.0.0.1 port=%d user=alice dbname=app password=" PASSWORD " "
		      "ratls_collateral='%s' ratls_trust_root='%s' %s",
		      port, platform.collateral_path, platform.root_pem_path,
		      extra != NULL ? extra : "");
}

/* Connects, expects code, and returns the ratls detail message in out. */
static void connect_expect(const char *conninfo, int expected, char *message, size_t size)
{
	PGconn *conn = ratls_pq_connectdb(conninfo, NULL);
	struct ratls_detail detail = {0};
	int rc;

	assert_non_null(conn);
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	rc = ratls_pq_error(conn, &detail);
	if (rc != expected)
		fail_msg("expected %s, got %s: %s / %s", ratls_error_name(expected),
			 ratls_error_name(rc), detail.message, PQerrorMessage(conn));
	if (message != NULL)
		snprintf(message, size, "%s", detail.message);
	PQfinish(conn);
}

static bool contains(const uint8_t *data, size_t size, const char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; i + len <= size; i++) {
		if (memcmp(data + i, text, len) == 0)
			return true;
	}
	return false;
}

/* ---- checks that need a crafted certificate ---- */

static void debug_td_rejected(void **state)
{
	struct cert_spec spec = {.platform = platform.platform, .debug = true};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048], message[RATLS_DETAIL_SIZE];
	PGconn *conn;

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_RECORD_RAW);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, NULL);
	connect_expect(conninfo, RATLS_ERR_DEBUG, message, sizeof(message));
	assert_non_null(strstr(message, "debug"));
	fake_server_wait_done(&fake, 1);
	assert_int_equal(fake.raw_after_handshake, 0);

	fake_server_stop(&fake);

	/* With allow_debug the check passes, with a warning, and the session goes on. */
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_ASK_PASSWORD);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_allow_debug=1");
	conn = ratls_pq_connectdb(conninfo, NULL);
	assert_int_equal(ratls_pq_error(conn, NULL), RATLS_OK);
	assert_true(pqtest_warned("debug"));
	PQfinish(conn);
	fake_server_wait_done(&fake, 1);
	assert_true(fake.startup_size > 0);
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

static void key_binding_broken(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048], message[RATLS_DETAIL_SIZE];

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	test_cert_rebind(&cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_RECORD_RAW);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, NULL);
	connect_expect(conninfo, RATLS_ERR_KEY_BINDING, message, sizeof(message));
	assert_non_null(strstr(message, "report_data"));
	fake_server_wait_done(&fake, 1);
	assert_int_equal(fake.raw_after_handshake, 0);

	/* allow_simulator does not excuse bad evidence. */
	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_allow_simulator=1");
	connect_expect(conninfo, RATLS_ERR_KEY_BINDING, NULL, 0);
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

/* ---- what reaches the server ---- */

static void failure_sends_nothing_after_handshake(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048];

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_RECORD_RAW);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_mrtd=" OTHER_MRTD);
	connect_expect(conninfo, RATLS_ERR_MRTD_NOT_ALLOWED, NULL, 0);
	fake_server_wait_done(&fake, 1);
	assert_int_equal(fake.connections, 1);
	assert_int_equal(fake.handshakes, 1);
	/* Not a byte: no StartupMessage, no password, not even a close_notify alert. */
	assert_int_equal(fake.raw_after_handshake, 0);
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

static void password_only_after_verification(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048];
	PGconn *conn;

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_ASK_PASSWORD);

	/* A failed check: the server gets neither the StartupMessage nor the password. */
	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_mrtd=" OTHER_MRTD);
	connect_expect(conninfo, RATLS_ERR_MRTD_NOT_ALLOWED, NULL, 0);
	fake_server_wait_done(&fake, 1);
	assert_int_equal(fake.startup_size, 0);
	assert_int_equal(fake.password_size, 0);

	/* A passed check: the StartupMessage first, the password only when asked. */
	conninfo_for(conninfo, sizeof(conninfo), fake.port, NULL);
	conn = ratls_pq_connectdb(conninfo, NULL);
	assert_int_equal(ratls_pq_error(conn, NULL), RATLS_OK);
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	PQfinish(conn);
	fake_server_wait_done(&fake, 2);
	assert_true(fake.startup_size > 8);
	assert_true(contains(fake.startup, fake.startup_size, "alice"));
	assert_false(contains(fake.startup, fake.startup_size, PASSWORD));
	assert_true(fake.password_size > 0);
	assert_int_equal(fake.password[0], 'p');
	assert_true(contains(fake.password, fake.password_size, PASSWORD));
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

static void teesql_check_before_network(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048], message[RATLS_DETAIL_SIZE];
	PGconn *conn;

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_RECORD_RAW);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_teesql_credentials=1");
	connect_expect(conninfo, RATLS_ERR_INVALID_ARGUMENT, message, sizeof(message));
	assert_string_equal(message,
			    "bad credentials: username must be one of [\"teesql_read\", "
			    "\"teesql_readwrite\"] for the teesql sidecar, got 'alice'");
	conn = ratls_pq_connectdb(conninfo, NULL);
	assert_non_null(strstr(PQerrorMessage(conn), "bad credentials"));
	PQfinish(conn);
	/* The server never saw a connection. */
	assert_int_equal(fake.connections, 0);
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

/* ---- verify-before-connect as a library call ---- */

static void verify_server_call(void **state)
{
	struct cert_spec spec = {.platform = platform.platform};
	struct ratls_pq_attestation att;
	struct ratls_detail detail = {0};
	struct fake_server fake;
	struct test_cert cert;
	char conninfo[2048];

	(void)state;
	test_cert_issue(&spec, platform.now, &cert);
	fake_server_start(&fake, cert.der, cert.der_size, cert.key_pem, FAKE_RECORD_RAW);
	conninfo_for(conninfo, sizeof(conninfo), fake.port, NULL);
	assert_int_equal(ratls_pq_verify_server(conninfo, NULL, &att, &detail), RATLS_OK);
	assert_true(att.attested);
	assert_string_equal(att.host, "127.0.0.1");
	fake_server_wait_done(&fake, 1);
	/* Success ends with a close_notify alert and nothing else. */
	assert_true(fake.raw_after_handshake > 0 && fake.raw_after_handshake < 64);

	conninfo_for(conninfo, sizeof(conninfo), fake.port, "ratls_mrtd=" OTHER_MRTD);
	assert_int_equal(ratls_pq_verify_server(conninfo, NULL, &att, &detail),
			 RATLS_ERR_MRTD_NOT_ALLOWED);
	fake_server_wait_done(&fake, 2);
	assert_int_equal(fake.raw_after_handshake, 0);

	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_verify_server("host=/tmp", NULL, &att, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	fake_server_stop(&fake);
	test_cert_free(&cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(debug_td_rejected, before_each),
		cmocka_unit_test_setup(key_binding_broken, before_each),
		cmocka_unit_test_setup(failure_sends_nothing_after_handshake, before_each),
		cmocka_unit_test_setup(password_only_after_verification, before_each),
		cmocka_unit_test_setup(teesql_check_before_network, before_each),
		cmocka_unit_test_setup(verify_server_call, before_each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
