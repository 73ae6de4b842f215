/*
 * Unit tests of the connector's input handling, without any network: the
 * connection string splitter (key=value and URI forms), the ratls_
 * keywords and their values, environment variables and their precedence,
 * the target, the libpq settings that are refused, the TeeSQL credential
 * rules, the local wire messages and the verification cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "pq/pq_internal.h"

#define MRTD_A "abababababababababababababababababababababababababababababababababababababababababababababababab"
#define MRTD_B "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define TEESQL_SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Every variable the connector reads, cleared so that the machine's environment cannot leak in. */
static void clear_environment(void)
{
	static const char *const libpq_vars[] = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER",
						 "PGPASSWORD", "PGSERVICE", "PGCONNECT_TIMEOUT",
						 NULL};

	for (size_t i = 0; libpq_vars[i] != NULL; i++)
		unsetenv(libpq_vars[i]);
	for (int i = 0; i < PQ_KW_COUNT; i++)
		unsetenv(pq_keywords[i].env);
}

static int setup(void **state)
{
	(void)state;
	clear_environment();
	return 0;
}

/* ---- the splitter ---- */

struct split {
	char *clean;
	struct pq_pair *pairs;
	size_t count;
	int rc;
	struct ratls_detail detail;
};

static void split(const char *conninfo, struct split *out)
{
	memset(out, 0, sizeof(*out));
	out->rc = pq_conninfo_split(conninfo, &out->clean, &out->pairs, &out->count, &out->detail);
}

static void split_free(struct split *s)
{
	free(s->clean);
	pq_pairs_free(s->pairs, s->count);
}

/* The value libpq reads for keyword from a cleaned string, or NULL. */
static char *libpq_value(const char *clean, const char *keyword)
{
	char *error = NULL, *value = NULL;
	PQconninfoOption *options = PQconninfoParse(clean, &error);

	assert_non_null(options);
	for (PQconninfoOption *o = options; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
			value = strdup(o->val);
	}
	PQconninfoFree(options);
	return value;
}

static void split_key_value_form(void **state)
{
	struct split s;
	char *dbname;

	(void)state;
	split("host=db.example port=5433 ratls_mrtd=" MRTD_A " dbname=app", &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].key, "mrtd");
	assert_string_equal(s.pairs[0].value, MRTD_A);
	assert_null(strstr(s.clean, "ratls_"));
	dbname = libpq_value(s.clean, "dbname");
	assert_string_equal(dbname, "app");
	free(dbname);
	split_free(&s);
}

static void split_quoted_values(void **state)
{
	struct split s;
	char *user, *app;

	(void)state;
	split("ratls_collateral='/tmp/a b/c.json' user='o\\'neil' application_name=x\\ y", &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].value, "/tmp/a b/c.json");
	user = libpq_value(s.clean, "user");
	app = libpq_value(s.clean, "application_name");
	assert_string_equal(user, "o'neil");
	assert_string_equal(app, "x y");
	free(user);
	free(app);
	split_free(&s);
}

static void split_spaces_around_equals(void **state)
{
	struct split s;

	(void)state;
	split("  host = db   ratls_cache_ttl =  60  ", &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].key, "cache_ttl");
	assert_string_equal(s.pairs[0].value, "60");
	split_free(&s);
}

static void split_uri_form(void **state)
{
	struct split s;

	(void)state;
	split("postgresql://u:p@db:5433/app?sslmode=require&ratls_mrtd=" MRTD_A
	      "&application_name=x",
	      &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].key, "mrtd");
	assert_string_equal(s.clean,
			    "postgresql://u:p@db:5433/app?sslmode=require&application_name=x");
	split_free(&s);
}

static void split_uri_percent_encoding(void **state)
{
	struct split s;

	(void)state;
	split("postgres://db/app?ratls_collateral=%2Ftmp%2Fc%20d.json", &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].value, "/tmp/c d.json");
	assert_string_equal(s.clean, "postgres://db/app");
	split_free(&s);

	/* An encoded key is recognised as a ratls_ keyword too. */
	split("postgresql://db?ratls%5Fcache_ttl=5&dbname=x", &s);
	assert_int_equal(s.rc, RATLS_OK);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].key, "cache_ttl");
	assert_string_equal(s.clean, "postgresql://db?dbname=x");
	split_free(&s);
}

static void split_rejects_bad_syntax(void **state)
{
	static const char *const bad[] = {
		"host db",                          /* no '=' */
		"host='db",                         /* unterminated quote */
		"host='db\\",                       /* escape at the end of a quote */
		"postgresql://db?ratls_mrtd=%zz",   /* bad percent escape */
		"postgresql://db?ratls_mrtd=%4",    /* cut percent escape */
		"postgresql://db?ratls_mrtd=a%00b", /* NUL */
		"postgresql://db?ratls_mrtd",       /* no value */
	};
	struct split s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		split(bad[i], &s);
		assert_int_equal(s.rc, RATLS_ERR_INVALID_ARGUMENT);
		assert_null(s.clean);
		assert_int_equal(s.count, 0);
		assert_true(strlen(s.detail.message) > 0);
		split_free(&s);
	}
}

static void split_rejects_oversize(void **state)
{
	char *big = malloc(RATLS_PQ_CONNINFO_MAX_LEN + 2);
	struct split s;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', RATLS_PQ_CONNINFO_MAX_LEN + 1);
	big[RATLS_PQ_CONNINFO_MAX_LEN + 1] = '\0';
	split(big, &s);
	assert_int_equal(s.rc, RATLS_ERR_LIMIT_EXCEEDED);
	split_free(&s);

	/* At the limit the length is accepted (the string is then a libpq matter). */
	big[RATLS_PQ_CONNINFO_MAX_LEN] = '\0';
	memcpy(big, "host=", 5);
	split(big, &s);
	assert_int_equal(s.rc, RATLS_OK);
	split_free(&s);
	free(big);
}

/* ---- requests: keywords, values, environment ---- */

struct parsed {
	struct pq_request request;
	struct ratls_detail detail;
	int rc;
};

static void parse(const char *conninfo, const struct ratls_pq_options *options, struct parsed *out)
{
	memset(out, 0, sizeof(*out));
	out->rc = pq_request_parse(conninfo, options, &out->request, &out->detail);
}

static void parsed_free(struct parsed *p)
{
	pq_request_clear(&p->request);
}

static void expect_invalid(const char *conninfo, const char *needle)
{
	struct parsed p;

	parse(conninfo, NULL, &p);
	if (p.rc != RATLS_ERR_INVALID_ARGUMENT || strstr(p.detail.message, needle) == NULL)
		fail_msg("'%s': expected RATLS_ERR_INVALID_ARGUMENT naming '%s', got %s: %s",
			 conninfo, needle, ratls_error_name(p.rc), p.detail.message);
	parsed_free(&p);
}

static void request_rejects_unknown_keyword(void **state)
{
	(void)state;
	expect_invalid("host=db ratls_nope=1", "ratls_nope");
	expect_invalid("postgresql://db?ratls_mrdt=" MRTD_A, "ratls_mrdt");
}

static void request_rejects_bad_values(void **state)
{
	(void)state;
	expect_invalid("host=db ratls_mrtd=abcd", "ratls_mrtd");
	expect_invalid("host=db ratls_mrtd=" MRTD_A ",,", "empty item");
	expect_invalid("host=db ratls_rtmr2=" MRTD_A "00", "ratls_rtmr2");
	expect_invalid("host=db ratls_compose_hash=zz", "ratls_compose_hash");
	expect_invalid("host=db ratls_app_id=" MRTD_A, "ratls_app_id");
	expect_invalid("host=db ratls_tcb_status=Bogus", "Bogus");
	expect_invalid("host=db ratls_tcb_status=UpToDate,Revoked", "Revoked");
	expect_invalid("host=db ratls_allow_debug=maybe", "ratls_allow_debug");
	expect_invalid("host=db ratls_cache_ttl=-1", "ratls_cache_ttl");
	expect_invalid("host=db ratls_cache_ttl=99999999", "ratls_cache_ttl");
	expect_invalid("host=db ratls_connect_timeout=0", "ratls_connect_timeout");
	expect_invalid("host=db ratls_verifier=sgx", "ratls_verifier");
	expect_invalid("host=db ratls_client_cert=token", "ratls_client_cert");
	expect_invalid("host=db ratls_ita_region=asia", "ratls_ita_region");
	expect_invalid("host=db ratls_collateral=''", "ratls_collateral");
}

static void request_rejects_secret_in_conninfo(void **state)
{
	(void)state;
	expect_invalid("host=db ratls_verifier=ita ratls_ita_api_key=secret",
		       "INTEL_TRUST_AUTHORITY_API_KEY");
}

static void request_accepts_lists(void **state)
{
	struct parsed p;

	(void)state;
	parse("host=db ratls_mrtd='" MRTD_A ", 0x" MRTD_B "' ratls_tcb_status="
	      "UpToDate,SWHardeningNeeded,OutOfDate ratls_allow_debug=yes",
	      NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_non_null(strstr(pq_settings_get(&p.request.settings, PQ_KW_MRTD), MRTD_B));
	assert_true(pq_settings_bool(&p.request.settings, PQ_KW_ALLOW_DEBUG));
	parsed_free(&p);
}

static void request_reads_environment(void **state)
{
	struct parsed p;

	(void)state;
	setenv("RATLS_MRTD", MRTD_A, 1);
	setenv("RATLS_ALLOW_SIMULATOR", "1", 1);
	parse("host=db", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_string_equal(pq_settings_get(&p.request.settings, PQ_KW_MRTD), MRTD_A);
	assert_true(pq_settings_bool(&p.request.settings, PQ_KW_ALLOW_SIMULATOR));
	parsed_free(&p);

	setenv("RATLS_MRTD", "12", 1);
	parse("host=db", NULL, &p);
	assert_int_equal(p.rc, RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(p.detail.message, "RATLS_MRTD"));
	parsed_free(&p);
	clear_environment();
}

static void request_precedence(void **state)
{
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_detail detail = {0};
	struct parsed p;

	(void)state;
	assert_non_null(options);
	parse("host=db", NULL, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CACHE_TTL),
			 RATLS_PQ_DEFAULT_CACHE_TTL);
	parsed_free(&p);

	setenv("RATLS_CACHE_TTL", "10", 1);
	parse("host=db", options, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CACHE_TTL), 10);
	parsed_free(&p);

	assert_int_equal(ratls_pq_options_set(options, "ratls_cache_ttl", "20", &detail), RATLS_OK);
	parse("host=db", options, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CACHE_TTL), 20);
	parsed_free(&p);

	parse("host=db ratls_cache_ttl=30", options, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CACHE_TTL), 30);
	parsed_free(&p);

	/* NULL returns the option to the default, so the environment shows through again. */
	assert_int_equal(ratls_pq_options_set(options, "cache_ttl", NULL, &detail), RATLS_OK);
	parse("host=db", options, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CACHE_TTL), 10);
	parsed_free(&p);
	ratls_pq_options_free(options);
	clear_environment();
}

static void options_set_checks_values(void **state)
{
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(ratls_pq_options_set(options, "mrtd", MRTD_A, &detail), RATLS_OK);
	assert_int_equal(ratls_pq_options_set(options, "mrtd", "00", &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "option mrtd"));
	/* A rejected value leaves the previous one. */
	assert_string_equal(pq_settings_get(&options->settings, PQ_KW_MRTD), MRTD_A);

	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_options_set(options, "ratls_bogus", "1", &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "bogus"));
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pq_options_set(options, NULL, "1", &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	/* The API key may be set in code, never in a connection string. */
	assert_int_equal(ratls_pq_options_set(options, "ita_api_key", "k", &detail), RATLS_OK);
	ratls_pq_options_free(options);
}

static void request_libpq_timeout_sets_connect_timeout(void **state)
{
	struct parsed p;

	(void)state;
	parse("host=db connect_timeout=7", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_int_equal(p.request.libpq_connect_timeout, 7);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CONNECT_TIMEOUT), 7);
	parsed_free(&p);

	parse("host=db connect_timeout=7 ratls_connect_timeout=3", NULL, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CONNECT_TIMEOUT), 3);
	parsed_free(&p);

	parse("host=db", NULL, &p);
	assert_int_equal(pq_settings_int(&p.request.settings, PQ_KW_CONNECT_TIMEOUT),
			 RATLS_PQ_DEFAULT_CONNECT_TIMEOUT);
	parsed_free(&p);
}

/* ---- the target and libpq's own settings ---- */

static void request_target(void **state)
{
	struct parsed p;

	(void)state;
	parse("host=db.example port=5433", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_string_equal(p.request.target.host, "db.example");
	assert_string_equal(p.request.target.port, "5433");
	assert_string_equal(p.request.target.hostaddr, "");
	parsed_free(&p);

	setenv("PGHOST", "env.example", 1);
	setenv("PGPORT", "6000", 1);
	parse("", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_string_equal(p.request.target.host, "env.example");
	assert_string_equal(p.request.target.port, "6000");
	parsed_free(&p);
	clear_environment();

	parse("hostaddr=127.0.0.1", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_string_equal(p.request.target.hostaddr, "127.0.0.1");
	assert_string_equal(p.request.target.port, "5432");
	parsed_free(&p);

	parse("postgresql://u@[::1]:5444/app", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_string_equal(p.request.target.host, "::1");
	assert_string_equal(p.request.target.port, "5444");
	parsed_free(&p);
}

static void request_rejects_unusable_targets(void **state)
{
	(void)state;
	expect_invalid("dbname=x", "no host given");
	expect_invalid("host=/var/run/postgresql", "Unix socket directory");
	expect_invalid("host=a,b", "several hosts");
	expect_invalid("host=a port=1,2", "several hosts");
	expect_invalid("host=a port=0", "invalid port");
	expect_invalid("host=a port=70000", "invalid port");
	expect_invalid("host=a service=prod", "service");
	setenv("PGSERVICE", "prod", 1);
	expect_invalid("host=a", "PGSERVICE");
	clear_environment();
}

static void request_rejects_plaintext_and_libpq_tls(void **state)
{
	(void)state;
	expect_invalid("host=a sslmode=disable", "sslmode=disable");
	expect_invalid("host=a sslmode=allow", "sslmode=allow");
	expect_invalid("host=a sslcert=/c.pem", "sslcert");
	expect_invalid("host=a sslrootcert=/r.pem", "sslrootcert");
	expect_invalid("host=a channel_binding=require", "channel_binding");
	expect_invalid("host=a gssencmode=require", "gssencmode");
	expect_invalid("host=a nosuchkeyword=1", "invalid connection string");
}

static bool has_param(const struct pq_request *r, const char *keyword, const char *value)
{
	for (size_t i = 0; i < r->param_count; i++) {
		if (strcmp(r->keywords[i], keyword) == 0)
			return value == NULL || strcmp(r->values[i], value) == 0;
	}
	return false;
}

static void request_libpq_params(void **state)
{
	struct parsed p;

	(void)state;
	parse("host=db port=5433 hostaddr=127.0.0.1 sslmode=verify-full user=u password=pw "
	      "dbname=app ratls_cache_ttl=5",
	      NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	assert_true(has_param(&p.request, "user", "u"));
	assert_true(has_param(&p.request, "password", "pw"));
	assert_true(has_param(&p.request, "dbname", "app"));
	assert_false(has_param(&p.request, "host", NULL));
	assert_false(has_param(&p.request, "hostaddr", NULL));
	assert_false(has_param(&p.request, "port", NULL));
	assert_false(has_param(&p.request, "sslmode", NULL));
	for (size_t i = 0; i < p.request.param_count; i++)
		assert_null(strstr(p.request.keywords[i], "ratls"));
	parsed_free(&p);
}

/* ---- TeeSQL credentials ---- */

static void teesql_credentials_rules(void **state)
{
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(pq_check_teesql_credentials("teesql_read", TEESQL_SECRET, &detail),
			 RATLS_OK);
	assert_int_equal(pq_check_teesql_credentials("teesql_readwrite", TEESQL_SECRET, &detail),
			 RATLS_OK);

	assert_int_equal(pq_check_teesql_credentials("postgres", TEESQL_SECRET, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_string_equal(detail.message,
			    "bad credentials: username must be one of [\"teesql_read\", "
			    "\"teesql_readwrite\"] for the teesql sidecar, got 'postgres'");
	ratls_detail_clear(&detail);
	assert_int_equal(pq_check_teesql_credentials("teesql_read", NULL, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_string_equal(detail.message, "bad credentials: DSN must include a password field");
	ratls_detail_clear(&detail);
	assert_int_equal(pq_check_teesql_credentials("teesql_read", TEESQL_SECRET "0", &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_string_equal(detail.message,
			    "bad credentials: cluster secret password must be 64 hex chars (32 "
			    "bytes), got 65");
	ratls_detail_clear(&detail);
	assert_int_equal(pq_check_teesql_credentials(
				 "teesql_read",
				 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
				 &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_string_equal(detail.message,
			    "bad credentials: cluster secret password must be lowercase hex");
}

static void teesql_credentials_in_request(void **state)
{
	struct parsed p;

	(void)state;
	expect_invalid("host=db user=postgres password=" TEESQL_SECRET
		       " ratls_teesql_credentials=1",
		       "username must be one of");
	expect_invalid("postgresql://teesql_read@db/app?ratls_teesql_credentials=1",
		       "must include a password");
	parse("postgresql://teesql_read:" TEESQL_SECRET "@db/app?ratls_teesql_credentials=1",
	      NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	parsed_free(&p);

	/* The password may come from PGPASSWORD, as libpq reads it. */
	setenv("PGPASSWORD", TEESQL_SECRET, 1);
	setenv("PGUSER", "teesql_readwrite", 1);
	parse("host=db ratls_teesql_credentials=1", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	parsed_free(&p);
	clear_environment();

	/* Off by default. */
	parse("host=db user=postgres", NULL, &p);
	assert_int_equal(p.rc, RATLS_OK);
	parsed_free(&p);
}

/* ---- wire messages ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void wire_error_response_layout(void **state)
{
	uint8_t out[128];
	size_t n;

	(void)state;
	n = pq_wire_error_response(out, sizeof(out), "08006", "no");
	assert_int_equal(n, 1 + 4 + 7 + 7 + 7 + 4 + 1);
	assert_int_equal(out[0], 'E');
	assert_int_equal((out[1] << 24 | out[2] << 16 | out[3] << 8 | out[4]), n - 1);
	assert_memory_equal(out + 5, "SFATAL\0VFATAL\0C08006\0Mno\0\0", 26);

	/* A long message is cut to fit, and still terminated. */
	n = pq_wire_error_response(out, 40, "08006", "a very long message that does not fit");
	assert_int_equal(n, 40);
	assert_int_equal(out[38], 0);
	assert_int_equal(out[39], 0);
	assert_int_equal(pq_wire_error_response(out, 10, "08006", "x"), 0);
}

static void wire_first_packet(void **state)
{
	int fds[2];
	uint8_t packet[16], header[8], reply;
	struct ratls_detail detail = {0};
	enum pq_first_packet kind;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);

	/* SSLRequest gets the reply 'N', then the StartupMessage header is returned. */
	put_be32(packet, 8);
	put_be32(packet + 4, PQ_SSL_REQUEST_CODE);
	put_be32(packet + 8, 20);
	put_be32(packet + 12, PQ_PROTOCOL_3_0);
	assert_int_equal(write(fds[1], packet, 16), 16);
	assert_int_equal(pq_wire_read_first(fds[0], pq_now_ms() + 2000, -1, header, &kind, &detail),
			 RATLS_OK);
	assert_int_equal(kind, PQ_FIRST_STARTUP);
	assert_memory_equal(header, packet + 8, 8);
	assert_int_equal(read(fds[1], &reply, 1), 1);
	assert_int_equal(reply, 'N');

	put_be32(packet, 16);
	put_be32(packet + 4, PQ_CANCEL_REQUEST_CODE);
	assert_int_equal(write(fds[1], packet, 8), 8);
	assert_int_equal(pq_wire_read_first(fds[0], pq_now_ms() + 2000, -1, header, &kind, &detail),
			 RATLS_OK);
	assert_int_equal(kind, PQ_FIRST_CANCEL);

	/* A TLS ClientHello (direct TLS from a client) is not a startup packet. */
	memcpy(packet, "\x16\x03\x01\x02\x00\x01\x00\x01", 8);
	assert_int_equal(write(fds[1], packet, 8), 8);
	assert_int_equal(pq_wire_read_first(fds[0], pq_now_ms() + 2000, -1, header, &kind, &detail),
			 RATLS_ERR_MALFORMED);

	/* A StartupMessage longer than PostgreSQL's limit. */
	put_be32(packet, PQ_STARTUP_MAX_LEN + 1);
	put_be32(packet + 4, PQ_PROTOCOL_3_0);
	assert_int_equal(write(fds[1], packet, 8), 8);
	ratls_detail_clear(&detail);
	assert_int_equal(pq_wire_read_first(fds[0], pq_now_ms() + 2000, -1, header, &kind, &detail),
			 RATLS_ERR_MALFORMED);

	/* Nothing arrives in time. */
	ratls_detail_clear(&detail);
	assert_int_equal(pq_wire_read_first(fds[0], pq_now_ms() + 100, -1, header, &kind, &detail),
			 RATLS_ERR_NETWORK);
	close(fds[0]);
	close(fds[1]);
}

/* ---- the verification cache ---- */

static void make_key(struct pq_cache_key *key, unsigned n)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->spki_sha256, &n, sizeof(n));
}

static void cache_expiry_and_keys(void **state)
{
	struct ratls_pq_attestation value = {.attested = true}, out;
	struct pq_cache_key key, other;

	(void)state;
	ratls_pq_cache_clear();
	make_key(&key, 1);
	make_key(&other, 1);
	other.policy_sha256[0] = 1;
	value.report.status = RATLS_TCB_SW_HARDENING_NEEDED;

	pq_cache_put(&key, &value, 1100, 1000);
	assert_int_equal(ratls_pq_cache_size(), 1);
	assert_true(pq_cache_get(&key, 1099, &out));
	assert_int_equal(out.report.status, RATLS_TCB_SW_HARDENING_NEEDED);
	/* Another policy identity never hits. */
	assert_false(pq_cache_get(&other, 1050, &out));
	/* At the expiry the entry is gone. */
	assert_false(pq_cache_get(&key, 1100, &out));
	assert_int_equal(ratls_pq_cache_size(), 0);

	/* Already expired entries are not stored. */
	pq_cache_put(&key, &value, 1000, 1000);
	assert_int_equal(ratls_pq_cache_size(), 0);
}

static void cache_bounded_lru(void **state)
{
	struct ratls_pq_attestation value = {.attested = true}, out;
	struct pq_cache_key key;

	(void)state;
	ratls_pq_cache_clear();
	for (unsigned i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++) {
		make_key(&key, i);
		pq_cache_put(&key, &value, 10000, 1000);
	}
	assert_int_equal(ratls_pq_cache_size(), RATLS_PQ_CACHE_MAX_ENTRIES);
	/* Entry 0 is used again, so entry 1 is now the least recently used. */
	make_key(&key, 0);
	assert_true(pq_cache_get(&key, 1001, &out));
	make_key(&key, RATLS_PQ_CACHE_MAX_ENTRIES);
	pq_cache_put(&key, &value, 10000, 1002);
	assert_int_equal(ratls_pq_cache_size(), RATLS_PQ_CACHE_MAX_ENTRIES);
	make_key(&key, 1);
	assert_false(pq_cache_get(&key, 1003, &out));
	make_key(&key, 0);
	assert_true(pq_cache_get(&key, 1003, &out));
	make_key(&key, RATLS_PQ_CACHE_MAX_ENTRIES);
	assert_true(pq_cache_get(&key, 1003, &out));

	ratls_pq_cache_clear();
	assert_int_equal(ratls_pq_cache_size(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(split_key_value_form, setup),
		cmocka_unit_test_setup(split_quoted_values, setup),
		cmocka_unit_test_setup(split_spaces_around_equals, setup),
		cmocka_unit_test_setup(split_uri_form, setup),
		cmocka_unit_test_setup(split_uri_percent_encoding, setup),
		cmocka_unit_test_setup(split_rejects_bad_syntax, setup),
		cmocka_unit_test_setup(split_rejects_oversize, setup),
		cmocka_unit_test_setup(request_rejects_unknown_keyword, setup),
		cmocka_unit_test_setup(request_rejects_bad_values, setup),
		cmocka_unit_test_setup(request_rejects_secret_in_conninfo, setup),
		cmocka_unit_test_setup(request_accepts_lists, setup),
		cmocka_unit_test_setup(request_reads_environment, setup),
		cmocka_unit_test_setup(request_precedence, setup),
		cmocka_unit_test_setup(options_set_checks_values, setup),
		cmocka_unit_test_setup(request_libpq_timeout_sets_connect_timeout, setup),
		cmocka_unit_test_setup(request_target, setup),
		cmocka_unit_test_setup(request_rejects_unusable_targets, setup),
		cmocka_unit_test_setup(request_rejects_plaintext_and_libpq_tls, setup),
		cmocka_unit_test_setup(request_libpq_params, setup),
		cmocka_unit_test_setup(teesql_credentials_rules, setup),
		cmocka_unit_test_setup(teesql_credentials_in_request, setup),
		cmocka_unit_test_setup(wire_error_response_layout, setup),
		cmocka_unit_test_setup(wire_first_packet, setup),
		cmocka_unit_test_setup(cache_expiry_and_keys, setup),
		cmocka_unit_test_setup(cache_bounded_lru, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
