/*
 * Tests of attestation reports (ratls/report.h): the LSN text form and the
 * version 1 report_data against an independent SHA-256. Then
 * ratls_attestation_report_verify on a report written by the sidecar's
 * writer, with each member altered, at the edges of the freshness window,
 * without an event log, and under policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "ratls/policy.h"
#include "ratls/report.h"
#include "report_json.h"
#include "sidecar_helpers.h"
#include "source.h"

#define LSN UINT64_C(0x16B374D848)
#define LSN_TEXT "16/B374D848"
#define MAX_SKEW 300

static struct sctest_platform platform;
static struct sctest_platform other_platform;
static char *work_dir, *other_dir;
static char *good_report;

static void controldata_hash(uint8_t hash[32])
{
	static const char output[] = "pg_control version number:            1300\n";

	assert_int_equal(ratls_attestation_report_hash_controldata((const uint8_t *)output,
								   strlen(output), hash, NULL),
			 RATLS_OK);
}

/* Writes a report of the simulated source at SCTEST_NOW, with or without its event log. */
static char *write_report(const struct sctest_platform *p, bool with_event_log)
{
	struct sidecar_pg_state pg = {.wal_lsn = LSN};
	struct sidecar_attestation_parts parts = {0};
	struct sidecar_simulate_options options = {.dir = p->dir};
	struct sidecar_source *sim = NULL;
	uint8_t report_data[64];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	char *json = NULL;

	assert_int_equal(sidecar_source_open_simulate(&options, &sim, NULL), RATLS_OK);
	snprintf(pg.wal_lsn_text, sizeof(pg.wal_lsn_text), LSN_TEXT);
	snprintf(pg.pg_version, sizeof(pg.pg_version), "15.18");
	controldata_hash(pg.controldata_hash);
	assert_int_equal(ratls_attestation_report_data_v1(LSN, pg.controldata_hash, SCTEST_NOW,
							  report_data, NULL),
			 RATLS_OK);
	assert_int_equal(sidecar_source_quote(sim, report_data, &quote, &quote_size, NULL),
			 RATLS_OK);
	parts.quote = quote;
	parts.quote_size = quote_size;
	parts.pg = &pg;
	parts.timestamp = SCTEST_NOW;
	parts.event_log_json = with_event_log ? sim->evidence.event_log_json : NULL;
	parts.app_id = with_event_log ? sim->evidence.app_id : "";
	parts.compose_hash = with_event_log ? sim->evidence.compose_hash : "";
	parts.instance_id = with_event_log ? sim->evidence.instance_id : "";
	assert_int_equal(sidecar_attestation_json(&parts, &json, NULL), RATLS_OK);
	free(quote);
	sidecar_source_free(sim);
	return json;
}

static int setup(void **state)
{
	(void)state;
	work_dir = sctest_temp_dir("ratls-sidecar-report");
	other_dir = sctest_temp_dir("ratls-sidecar-report-other");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, SCTEST_NOW);
	sctest_platform_init(&other_platform, other_dir, SCTEST_SEED_OTHER, SCTEST_NOW);
	good_report = write_report(&platform, true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(good_report);
	sctest_platform_free(&other_platform);
	sctest_platform_free(&platform);
	sctest_remove_tree(other_dir);
	sctest_remove_tree(work_dir);
	free(other_dir);
	free(work_dir);
	return 0;
}

static int verify_at(const char *json, int64_t now, const struct ratls_policy *policy,
		     struct ratls_attestation_report_result *result, struct ratls_detail *detail)
{
	struct ratls_attestation_report_options options = {
		.now = now,
		.max_skew = MAX_SKEW,
		.verifier = &platform.verifier,
		.policy = policy,
	};

	ratls_detail_clear(detail);
	return ratls_attestation_report_verify((const uint8_t *)json, strlen(json), &options,
					       result, detail);
}

/* ---- binding ---- */

static void lsn_text_parsed(void **state)
{
	static const char *const bad[] = {"", "16", "/1", "1/", "16/B374D8480", "g/1", "1/-1",
					  "1//2", " 1/2"};
	char text[RATLS_LSN_TEXT_SIZE];
	uint64_t lsn = 0;

	(void)state;
	assert_int_equal(ratls_attestation_report_parse_lsn(LSN_TEXT, strlen(LSN_TEXT), &lsn, NULL),
			 RATLS_OK);
	assert_true(lsn == LSN);
	assert_int_equal(ratls_attestation_report_parse_lsn("0/0", 3, &lsn, NULL), RATLS_OK);
	assert_true(lsn == 0);
	assert_int_equal(ratls_attestation_report_parse_lsn("ffffffff/FFFFFFFF", 17, &lsn, NULL),
			 RATLS_OK);
	assert_true(lsn == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ratls_attestation_report_parse_lsn(bad[i], strlen(bad[i]), &lsn,
								    NULL),
				 RATLS_ERR_MALFORMED);
	ratls_attestation_report_format_lsn(LSN, text);
	assert_string_equal(text, LSN_TEXT);
	ratls_attestation_report_format_lsn(UINT64_MAX, text);
	assert_string_equal(text, "FFFFFFFF/FFFFFFFF");
}

static void report_data_v1_matches_sha256(void **state)
{
	uint8_t hash[32], preimage[48], expected[32], report_data[64];
	unsigned int size = 0;

	(void)state;
	controldata_hash(hash);
	for (int i = 0; i < 8; i++) {
		preimage[i] = (uint8_t)(LSN >> (56 - 8 * i));
		preimage[40 + i] = (uint8_t)((uint64_t)SCTEST_NOW >> (56 - 8 * i));
	}
	memcpy(preimage + 8, hash, 32);
	assert_int_equal(EVP_Digest(preimage, sizeof(preimage), expected, &size, EVP_sha256(),
				    NULL),
			 1);
	memset(report_data, 0xff, sizeof(report_data));
	assert_int_equal(ratls_attestation_report_data_v1(LSN, hash, SCTEST_NOW, report_data, NULL),
			 RATLS_OK);
	assert_memory_equal(report_data, expected, 32);
	for (int i = 32; i < 64; i++)
		assert_int_equal(report_data[i], 0);
	assert_int_equal(ratls_attestation_report_data_v1(LSN, hash, -1, report_data, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
}

/* ---- verification ---- */

static void good_report_verifies(void **state)
{
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;
	int rc;

	(void)state;
	rc = verify_at(good_report, SCTEST_NOW + 10, NULL, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s at %s: %s", ratls_error_name(rc), result.failed_step, detail.message);
	assert_null(result.failed_step);
	assert_true(result.replayed);
	assert_true(result.wal_lsn == LSN);
	assert_string_equal(result.wal_lsn_text, LSN_TEXT);
	assert_string_equal(result.pg_version, "15.18");
	assert_int_equal(result.timestamp, SCTEST_NOW);
	assert_int_equal(result.replay.identity.app_id[0], 0x11);
	ratls_attestation_report_result_clear(&result);
	assert_null(result.evidence);
}

/* Sets member (a dotted path of at most two names) of a copy of the good report to value. */
static char *altered(const char *member, json_t *value)
{
	json_t *root = json_loads(good_report, 0, NULL);
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
	assert_non_null(object);
	if (value == NULL)
		json_object_del(object, member);
	else
		json_object_set_new(object, member, value);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/* Flips one hex digit of a string member (a dotted path) at position. */
static char *flipped(const char *member, size_t position)
{
	json_t *root = json_loads(good_report, 0, NULL);
	const char *dot = strchr(member, '.');
	json_t *object = root, *value;
	char *copy, *text;

	if (dot != NULL) {
		char parent[64];

		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - member), member);
		object = json_object_get(root, parent);
		member = dot + 1;
	}
	value = json_object_get(object, member);
	assert_true(json_is_string(value));
	copy = strdup(json_string_value(value));
	assert_true(position < strlen(copy));
	copy[position] = copy[position] == '0' ? '1' : '0';
	json_object_set_new(object, member, json_string(copy));
	free(copy);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

struct alteration {
	const char *name;
	char *json;
	int code;
	const char *step;
};

static void check_alteration(const struct alteration *a)
{
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;
	int rc = verify_at(a->json, SCTEST_NOW, NULL, &result, &detail);

	if (rc != a->code || result.failed_step == NULL || strcmp(result.failed_step, a->step) != 0)
		fail_msg("%s: got %s at %s (%s), expected %s at %s", a->name, ratls_error_name(rc),
			 result.failed_step != NULL ? result.failed_step : "none", detail.message,
			 ratls_error_name(a->code), a->step);
	assert_true(detail.message[0] != '\0');
	ratls_attestation_report_result_clear(&result);
}

/* The report with the app-id event's payload changed in its event log. */
static char *altered_event_payload(void)
{
	json_t *root = json_loads(good_report, 0, NULL);
	json_t *log = json_object_get(root, "event_log");
	json_t *event = json_array_get(log, 1);
	char *text;

	assert_string_equal(json_string_value(json_object_get(event, "event")), "app-id");
	json_object_set_new(event, "event_payload",
			    json_string("2222222222222222222222222222222222222222"));
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static char *dropped_event(void)
{
	json_t *root = json_loads(good_report, 0, NULL);
	char *text;

	json_array_remove(json_object_get(root, "event_log"), 2);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static void altered_members_rejected(void **state)
{
	char *other_report = write_report(&other_platform, true);
	json_t *other = json_loads(other_report, 0, NULL);
	struct alteration cases[] = {
		{"quote body", flipped("quote", 2 * 200), RATLS_ERR_QUOTE_SIGNATURE, "quote"},
		{"quote of another platform",
		 altered("quote", json_string(json_string_value(json_object_get(other, "quote")))),
		 RATLS_ERR_UNTRUSTED_ROOT, "quote"},
		{"timestamp", altered("timestamp", json_integer(SCTEST_NOW + 1)),
		 RATLS_ERR_KEY_BINDING, "binding"},
		{"wal_lsn", altered("postgres_state.wal_lsn", json_string("16/B374D849")),
		 RATLS_ERR_KEY_BINDING, "binding"},
		{"controldata_hash", flipped("postgres_state.controldata_hash", 10),
		 RATLS_ERR_KEY_BINDING, "binding"},
		{"tcb_info.mrtd", flipped("tcb_info.mrtd", 0), RATLS_ERR_MALFORMED, "binding"},
		{"tcb_info.rtmr3", flipped("tcb_info.rtmr3", 95), RATLS_ERR_MALFORMED, "binding"},
		{"report_data", flipped("report_data", 7), RATLS_ERR_MALFORMED, "binding"},
		{"app_id", flipped("app_id", 0), RATLS_ERR_EVENT_LOG, "replay"},
		{"compose_hash", flipped("compose_hash", 63), RATLS_ERR_EVENT_LOG, "replay"},
		{"instance_id", flipped("instance_id", 3), RATLS_ERR_EVENT_LOG, "replay"},
		{"event payload", altered_event_payload(), RATLS_ERR_EVENT_LOG, "replay"},
		{"dropped event", dropped_event(), RATLS_ERR_EVENT_LOG, "replay"},
		{"event_log removed", altered("event_log", json_null()), RATLS_ERR_EVENT_LOG,
		 "replay"},
		{"version 2", altered("report_data_version", json_integer(2)),
		 RATLS_ERR_UNSUPPORTED_VERSION, "parse"},
		{"no quote", altered("quote", NULL), RATLS_ERR_MALFORMED, "parse"},
		{"odd quote", altered("quote", json_string("abc")), RATLS_ERR_MALFORMED, "parse"},
		{"no tcb_info", altered("tcb_info", NULL), RATLS_ERR_MALFORMED, "parse"},
		{"short mrtd", altered("tcb_info.mrtd", json_string("00")), RATLS_ERR_MALFORMED,
		 "parse"},
		{"bad wal_lsn", altered("postgres_state.wal_lsn", json_string("16-B374")),
		 RATLS_ERR_MALFORMED, "parse"},
		{"no pg_version", altered("postgres_state.pg_version", NULL), RATLS_ERR_MALFORMED,
		 "parse"},
		{"string timestamp", altered("timestamp", json_string("1767225600")),
		 RATLS_ERR_MALFORMED, "parse"},
		{"event_log object", altered("event_log", json_object()), RATLS_ERR_MALFORMED,
		 "parse"},
		{"numeric app_id", altered("app_id", json_integer(1)), RATLS_ERR_MALFORMED, "parse"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(cases[i].json);
		check_alteration(&cases[i]);
		free(cases[i].json);
	}
	json_decref(other);
	free(other_report);
}

static void pg_version_not_bound(void **state)
{
	char *json = altered("postgres_state.pg_version", json_string("99.0"));
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;

	(void)state;
	/* pg_version is outside the version 1 preimage: the report still verifies. */
	assert_int_equal(verify_at(json, SCTEST_NOW, NULL, &result, &detail), RATLS_OK);
	assert_string_equal(result.pg_version, "99.0");
	ratls_attestation_report_result_clear(&result);
	free(json);
}

static void malformed_json_rejected(void **state)
{
	static const char *const texts[] = {"", "[]", "{\"quote\":", "null",
					    "{\"timestamp\":1,\"timestamp\":2}"};
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(verify_at(texts[i], SCTEST_NOW, NULL, &result, &detail),
				 RATLS_ERR_MALFORMED);
		assert_string_equal(result.failed_step, "parse");
		ratls_attestation_report_result_clear(&result);
	}
}

static void oversized_report_rejected(void **state)
{
	struct ratls_attestation_report_options options = {
		.now = SCTEST_NOW, .max_skew = MAX_SKEW, .verifier = &platform.verifier};
	struct ratls_attestation_report_result result;
	size_t size = RATLS_ATTESTATION_REPORT_MAX_SIZE + 1;
	uint8_t *big = malloc(size);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', size);
	assert_int_equal(ratls_attestation_report_verify(big, size, &options, &result, NULL),
			 RATLS_ERR_LIMIT_EXCEEDED);
	ratls_attestation_report_result_clear(&result);
	free(big);
}

static void freshness_window_enforced(void **state)
{
	static const struct {
		int64_t offset;
		int code;
	} cases[] = {
		{0, RATLS_OK},
		{MAX_SKEW, RATLS_OK},
		{-MAX_SKEW, RATLS_OK},
		{MAX_SKEW + 1, RATLS_ERR_REPORT_STALE},
		{-MAX_SKEW - 1, RATLS_ERR_REPORT_STALE},
		{86400, RATLS_ERR_REPORT_STALE},
	};
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = verify_at(good_report, SCTEST_NOW + cases[i].offset, NULL, &result,
				   &detail);

		if (rc != cases[i].code)
			fail_msg("offset %lld: %s (%s)", (long long)cases[i].offset,
				 ratls_error_name(rc), detail.message);
		if (rc != RATLS_OK)
			assert_string_equal(result.failed_step, "freshness");
		ratls_attestation_report_result_clear(&result);
	}
}

static void report_without_event_log(void **state)
{
	char *json = write_report(&platform, false);
	struct ratls_policy *policy = ratls_policy_new();
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;
	int rc;

	(void)state;
	rc = verify_at(json, SCTEST_NOW, NULL, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s: %s", ratls_error_name(rc), detail.message);
	assert_false(result.replayed);
	ratls_attestation_report_result_clear(&result);

	/* An identity pin cannot be met without an event log. */
	assert_int_equal(ratls_policy_add_app_id(policy, "1111111111111111111111111111111111111111",
						 NULL),
			 RATLS_OK);
	assert_int_equal(verify_at(json, SCTEST_NOW, policy, &result, &detail),
			 RATLS_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(result.failed_step, "policy");
	ratls_attestation_report_result_clear(&result);
	ratls_policy_free(policy);
	free(json);
}

static void policy_applied(void **state)
{
	struct ratls_policy *policy = ratls_policy_new();
	struct ratls_attestation_report_result result;
	struct ratls_detail detail;

	(void)state;
	assert_int_equal(ratls_policy_add_app_id(policy, "1111111111111111111111111111111111111111",
						 NULL),
			 RATLS_OK);
	assert_int_equal(verify_at(good_report, SCTEST_NOW, policy, &result, &detail), RATLS_OK);
	ratls_attestation_report_result_clear(&result);

	assert_int_equal(ratls_policy_add_mrtd(policy,
					       "0000000000000000000000000000000000000000000000000"
					       "00000000000000000000000000000000000000000000000",
					       NULL),
			 RATLS_OK);
	assert_int_equal(verify_at(good_report, SCTEST_NOW, policy, &result, &detail),
			 RATLS_ERR_MRTD_NOT_ALLOWED);
	assert_string_equal(result.failed_step, "policy");
	ratls_attestation_report_result_clear(&result);
	ratls_policy_free(policy);

	policy = ratls_policy_new();
	assert_int_equal(ratls_policy_add_app_id(policy, "2222222222222222222222222222222222222222",
						 NULL),
			 RATLS_OK);
	assert_int_equal(verify_at(good_report, SCTEST_NOW, policy, &result, &detail),
			 RATLS_ERR_MEASUREMENT_MISMATCH);
	ratls_attestation_report_result_clear(&result);
	ratls_policy_free(policy);
}

static void invalid_options_rejected(void **state)
{
	struct ratls_attestation_report_options options = {.now = SCTEST_NOW, .max_skew = 0,
							   .verifier = &platform.verifier};
	struct ratls_attestation_report_result result;

	(void)state;
	assert_int_equal(ratls_attestation_report_verify((const uint8_t *)good_report,
							 strlen(good_report), &options, &result,
							 NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_attestation_report_result_clear(&result);
	options.max_skew = MAX_SKEW;
	options.verifier = NULL;
	assert_int_equal(ratls_attestation_report_verify((const uint8_t *)good_report,
							 strlen(good_report), &options, &result,
							 NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_attestation_report_result_clear(&result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lsn_text_parsed),
		cmocka_unit_test(report_data_v1_matches_sha256),
		cmocka_unit_test(good_report_verifies),
		cmocka_unit_test(altered_members_rejected),
		cmocka_unit_test(pg_version_not_bound),
		cmocka_unit_test(malformed_json_rejected),
		cmocka_unit_test(oversized_report_rejected),
		cmocka_unit_test(freshness_window_enforced),
		cmocka_unit_test(report_without_event_log),
		cmocka_unit_test(policy_applied),
		cmocka_unit_test(invalid_options_rejected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
