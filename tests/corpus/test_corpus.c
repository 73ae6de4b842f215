/*
 * Walks cases.tsv of the real attestation corpus and checks each row's
 * verdict: one cmocka test per row, named after the row's id. Rows of kinds
 * this build cannot check yet are skipped with a message, and so is the
 * whole suite when the corpus folder is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/encoding.h"
#include "base/timeutil.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/evidence.h"
#include "ratls/policy.h"
#include "ratls/quote.h"

#define MAX_ROWS 256
#define MAX_FIELD 2048

struct corpus_row {
	char id[128];
	char kind[32];
	char input[512];
	char collateral[MAX_FIELD];
	char at[64];
	char expect[256];
};

static const char *corpus_dir;

/* Copies a cases.tsv field; a field longer than its buffer stops the test run. */
static void copy_field(char *out, size_t size, const char *field)
{
	size_t len = strlen(field);

	if (len >= size) {
		fprintf(stderr, "cases.tsv field \"%.40s...\" is longer than %zu bytes\n", field,
			size - 1);
		exit(1);
	}
	memcpy(out, field, len + 1);
}

static char *read_file(const char *rel, size_t *size)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open corpus file %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Reads a quote that may be stored as binary or as hex text. */
static uint8_t *read_quote(const char *rel, size_t *size)
{
	size_t raw_size = 0;
	char *raw = read_file(rel, &raw_size);
	uint8_t *out = NULL;

	if (ratls_looks_like_hex((const uint8_t *)raw, raw_size)) {
		assert_int_equal(ratls_hex_decode_alloc(raw, raw_size, &out, size), RATLS_OK);
		free(raw);
		return out;
	}
	*size = raw_size;
	return (uint8_t *)raw;
}

static int64_t parse_at(const char *at)
{
	int64_t t = 0;

	assert_int_equal(ratls_time_parse_rfc3339(at, strlen(at), &t), RATLS_OK);
	return t;
}

static int error_code_for_class(const char *cls)
{
	static const struct {
		const char *name;
		int code;
	} map[] = {
		{"collateral-not-yet-valid", RATLS_ERR_COLLATERAL_NOT_YET_VALID},
		{"collateral-expired", RATLS_ERR_COLLATERAL_EXPIRED},
		{"tcb-level-not-supported", RATLS_ERR_TCB_NOT_SUPPORTED},
		{"collateral-mismatch", RATLS_ERR_COLLATERAL_MISMATCH},
		{"untrusted-root", RATLS_ERR_UNTRUSTED_ROOT},
		{"collateral-signature-invalid", RATLS_ERR_COLLATERAL_SIGNATURE},
		{"unsupported-certification-data", RATLS_ERR_UNSUPPORTED_CERT_DATA},
		{"pubkey-mismatch", RATLS_ERR_KEY_BINDING},
		{"quote-extension-missing", RATLS_ERR_NOT_RATLS},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].name, cls) == 0)
			return map[i].code;
	}
	fail_msg("cases.tsv uses an unknown error class \"%s\"", cls);
	return -1;
}

/* Returns the value of key in a "k=v;k=v" list, or NULL. */
static const char *expected_field(const char *expect, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = expect;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ';');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

static void set_piece(struct ratls_collateral *coll, const char *key, const char *file)
{
	struct ratls_detail d = {0};
	size_t size = 0;
	char *data = read_file(file, &size);
	const uint8_t *bytes = (const uint8_t *)data;
	int rc = RATLS_ERR_INTERNAL;

	if (strcmp(key, "tcb_info") == 0)
		rc = ratls_collateral_set_tcb_info(coll, bytes, size, &d);
	else if (strcmp(key, "qe_identity") == 0)
		rc = ratls_collateral_set_qe_identity(coll, bytes, size, &d);
	else if (strcmp(key, "tcb_chain") == 0)
		rc = ratls_collateral_set_chain(coll, RATLS_CHAIN_TCB_INFO, bytes, size, &d);
	else if (strcmp(key, "qe_chain") == 0)
		rc = ratls_collateral_set_chain(coll, RATLS_CHAIN_QE_IDENTITY, bytes, size, &d);
	else if (strcmp(key, "pck_crl_chain") == 0)
		rc = ratls_collateral_set_chain(coll, RATLS_CHAIN_PCK_CRL, bytes, size, &d);
	else if (strcmp(key, "pck_crl") == 0)
		rc = ratls_collateral_set_crl(coll, RATLS_CRL_PCK, bytes, size, &d);
	else if (strcmp(key, "root_crl") == 0)
		rc = ratls_collateral_set_crl(coll, RATLS_CRL_ROOT, bytes, size, &d);
	else
		fail_msg("cases.tsv uses an unknown collateral key \"%s\"", key);
	if (rc != RATLS_OK)
		fail_msg("loading %s from %s failed: %s", key, file, d.message);
	free(data);
}

static struct ratls_collateral *load_collateral(const char *spec)
{
	struct ratls_collateral *coll = ratls_collateral_new();
	char buf[MAX_FIELD];

	assert_non_null(coll);
	if (strchr(spec, '=') == NULL) {
		struct ratls_detail d = {0};
		size_t size = 0;
		char *json = read_file(spec, &size);

		if (ratls_collateral_load_bundle(coll, (const uint8_t *)json, size, &d) != RATLS_OK)
			fail_msg("loading bundle %s failed: %s", spec, d.message);
		free(json);
		return coll;
	}

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *item = buf; item != NULL;) {
		char *next = strchr(item, ';');
		char *eq;

		if (next != NULL)
			*next++ = '\0';
		eq = strchr(item, '=');
		assert_non_null(eq);
		*eq = '\0';
		set_piece(coll, item, eq + 1);
		item = next;
	}
	return coll;
}

static void check_verdict(const struct corpus_row *row, int rc, const struct ratls_detail *d,
			  const struct ratls_verified_report *report)
{
	char value[256];

	if (expected_field(row->expect, "error", value, sizeof(value)) != NULL) {
		int want = error_code_for_class(value);

		if (rc != want)
			fail_msg("%s: expected %s, got %s (%s)", row->id, ratls_error_name(want),
				 ratls_error_name(rc), d->message);
		return;
	}
	if (rc != RATLS_OK)
		fail_msg("%s: expected success, got %s: %s", row->id, ratls_error_name(rc),
			 d->message);
	if (expected_field(row->expect, "status", value, sizeof(value)) != NULL)
		assert_string_equal(ratls_tcb_status_name(report->status), value);
	if (expected_field(row->expect, "advisories", value, sizeof(value)) != NULL) {
		char got[1024] = "";
		size_t used = 0;

		for (size_t i = 0; i < report->advisory_count; i++)
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s",
						 i > 0 ? "," : "", report->advisory_ids[i]);
		assert_string_equal(got, value);
	}
}

static void run_verify_row(const struct corpus_row *row)
{
	struct ratls_collateral *coll = load_collateral(row->collateral);
	struct ratls_verified_report report;
	struct ratls_detail d = {0};
	int64_t now = parse_at(row->at);
	int rc;

	if (strcmp(row->input, "-") == 0) {
		/* A collateral document checked on its own. */
		bool is_tcb = coll->tcb_info.body != NULL;

		rc = ratls_dcap_check_signed_json(is_tcb ? &coll->tcb_info : NULL,
						  is_tcb ? NULL : &coll->qe_identity,
						  is_tcb ? coll->tcb_info_chain : coll->qe_identity_chain,
						  coll->root_crl, coll->root_crl_size, now, NULL, &d);
		memset(&report, 0, sizeof(report));
	} else {
		size_t size = 0;
		uint8_t *quote = read_quote(row->input, &size);

		rc = ratls_dcap_verify(quote, size, coll, now, NULL, &report, &d);
		free(quote);
	}
	check_verdict(row, rc, &d, &report);
	ratls_collateral_free(coll);
}

static void run_parse_row(const struct corpus_row *row)
{
	struct ratls_quote q;
	struct ratls_detail d = {0};
	char value[64];
	size_t size = 0;
	uint8_t *data = read_quote(row->input, &size);
	int rc = ratls_quote_parse(data, size, &q, &d);

	if (rc != RATLS_OK)
		fail_msg("%s: parsing failed: %s", row->id, d.message);

	if (expected_field(row->expect, "error", value, sizeof(value)) != NULL) {
		const uint8_t *pem = NULL;
		size_t pem_size = 0;

		rc = ratls_quote_pck_chain(&q, &pem, &pem_size, &d);
		assert_int_equal(rc, error_code_for_class(value));
	}
	if (expected_field(row->expect, "debug", value, sizeof(value)) != NULL) {
		assert_true(ratls_quote_is_td(&q));
		assert_int_equal((q.td.td_attributes[0] & 1) != 0, strcmp(value, "true") == 0);
	}
	if (expected_field(row->expect, "version", value, sizeof(value)) != NULL)
		assert_int_equal(q.version, strtol(value, NULL, 10));
	if (expected_field(row->expect, "body", value, sizeof(value)) != NULL) {
		assert_string_equal(value, "td15");
		assert_int_equal(q.body_type, RATLS_BODY_TD_REPORT15);
	}
	if (expected_field(row->expect, "trailing", value, sizeof(value)) != NULL) {
		assert_int_equal(q.trailing_size, strtol(value, NULL, 10));
		assert_true(q.trailing_all_zero);
	}
	free(data);
}

/*
 * cert rows: extraction and the key binding only, with no collateral. An
 * event log that does not parse fails the replay, not the extraction, so
 * these rows reach the binding check.
 */
static void run_cert_row(const struct corpus_row *row)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	size_t size = 0;
	char *data = read_file(row->input, &size);
	int rc = ratls_evidence_from_cert((const uint8_t *)data, size, &ev, &d);

	if (rc == RATLS_OK)
		rc = ratls_evidence_check_cert_binding(ev, &d);
	check_verdict(row, rc, &d, NULL);
	ratls_evidence_free(ev);
	free(data);
}

/*
 * Decodes an evidence row's input: a quote (binary or hex) with the JSON
 * event log named in the collateral column, a GetQuote JSON response, or a
 * VersionedAttestation.
 */
static struct ratls_evidence *load_evidence(const struct corpus_row *row)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	size_t size = 0;
	int rc;

	if (strcmp(row->collateral, "-") != 0) {
		uint8_t *quote = read_quote(row->input, &size);
		size_t log_size = 0;
		char *log = read_file(row->collateral, &log_size);

		rc = ratls_evidence_from_quote(quote, size, (const uint8_t *)log, log_size, NULL, 0,
					       &ev, &d);
		free(log);
		free(quote);
	} else {
		char *data = read_file(row->input, &size);

		if (size > 0 && data[0] == '{')
			rc = ratls_evidence_from_getquote((const uint8_t *)data, size, &ev, &d);
		else
			rc = ratls_evidence_from_attestation((const uint8_t *)data, size, &ev, &d);
		free(data);
	}
	if (rc != RATLS_OK)
		fail_msg("%s: decoding failed: %s", row->id, d.message);
	return ev;
}

/* Checks each key of an evidence row's expect column; an unknown key fails the row. */
static void check_evidence_field(const struct corpus_row *row, const char *key, const char *value,
				 const struct ratls_evidence *ev, const struct ratls_replay *replay)
{
	if (strcmp(key, "envelope") == 0) {
		assert_string_equal(ratls_evidence_format_name(ev->format), value);
	} else if (strcmp(key, "events") == 0) {
		assert_int_equal(ev->event_count, strtoul(value, NULL, 10));
	} else if (strcmp(key, "runtime_events") == 0) {
		assert_int_equal(ev->runtime_event_count, strtoul(value, NULL, 10));
	} else if (strcmp(key, "rtmr_replay") == 0) {
		/* "match": every RTMR was replayed and equals the quote. */
		assert_string_equal(value, "match");
		for (int i = 0; i < RATLS_RTMR_COUNT; i++)
			assert_int_equal(replay->status[i], RATLS_RTMR_MATCH);
	} else if (strcmp(key, "rtmr3_replay") == 0) {
		/* The log's IMR 3 digests are empty, so RTMR3 matches only because they were recomputed. */
		assert_string_equal(value, "match-after-digest-recompute");
		assert_int_equal(replay->status[3], RATLS_RTMR_MATCH);
		assert_true(replay->digests_recomputed > 0);
		assert_int_equal(replay->digests_recomputed, replay->log_event_count[3]);
	} else {
		fail_msg("%s: cases.tsv uses an unknown evidence key \"%s\"", row->id, key);
	}
}

/* evidence rows: decode, replay against the quote, and compare the expected fields. */
static void run_evidence_row(const struct corpus_row *row)
{
	struct ratls_evidence *ev = load_evidence(row);
	struct ratls_replay replay;
	struct ratls_detail d = {0};
	char expect[sizeof(row->expect)];

	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("%s: replay failed: %s", row->id, d.message);
	assert_true(replay.identity_valid);

	snprintf(expect, sizeof(expect), "%s", row->expect);
	for (char *item = expect; item != NULL;) {
		char *next = strchr(item, ';');
		char *eq;

		if (next != NULL)
			*next++ = '\0';
		eq = strchr(item, '=');
		if (eq == NULL)
			fail_msg("%s: expect item \"%s\" has no '='", row->id, item);
		*eq = '\0';
		check_evidence_field(row, item, eq + 1, ev, &replay);
		item = next;
	}
	ratls_evidence_free(ev);
}

static void test_row(void **state)
{
	const struct corpus_row *row = *state;

	if (strcmp(row->kind, "verify") == 0) {
		run_verify_row(row);
	} else if (strcmp(row->kind, "parse") == 0) {
		run_parse_row(row);
	} else if (strcmp(row->kind, "cert") == 0) {
		run_cert_row(row);
	} else if (strcmp(row->kind, "evidence") == 0) {
		run_evidence_row(row);
	} else {
		print_message("[ SKIPPED  ] %s: this build has no check for %s rows\n", row->id,
			      row->kind);
		skip();
	}
}

static size_t split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		char *tab = strchr(p, '\t');

		fields[n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

static size_t load_rows(struct corpus_row *rows)
{
	char path[4096];
	char line[8192];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cases.tsv", corpus_dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && n < MAX_ROWS) {
		char *fields[8];
		size_t count;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		count = split_tabs(line, fields, 8);
		if (count < 6)
			continue;
		copy_field(rows[n].id, sizeof(rows[n].id), fields[0]);
		copy_field(rows[n].kind, sizeof(rows[n].kind), fields[1]);
		copy_field(rows[n].input, sizeof(rows[n].input), fields[2]);
		copy_field(rows[n].collateral, sizeof(rows[n].collateral), fields[3]);
		copy_field(rows[n].at, sizeof(rows[n].at), fields[4]);
		copy_field(rows[n].expect, sizeof(rows[n].expect), fields[5]);
		n++;
	}
	fclose(f);
	return n;
}

static void test_corpus_absent(void **state)
{
	(void)state;
	print_message("[ SKIPPED  ] corpus folder %s has no cases.tsv\n", corpus_dir);
	skip();
}

int main(void)
{
	static struct corpus_row rows[MAX_ROWS];
	struct CMUnitTest *tests;
	size_t n;
	int failed;

	corpus_dir = getenv("RATLS_CORPUS_DIR");
	if (corpus_dir == NULL)
		corpus_dir = "../shared/corpus";
	n = load_rows(rows);
	if (n == 0) {
		const struct CMUnitTest absent[] = {cmocka_unit_test(test_corpus_absent)};

		return cmocka_run_group_tests_name("corpus", absent, NULL, NULL);
	}

	tests = calloc(n, sizeof(*tests));
	if (tests == NULL)
		return 1;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = rows[i].id;
		tests[i].test_func = test_row;
		tests[i].initial_state = &rows[i];
	}
	failed = _cmocka_run_group_tests("corpus", tests, n, NULL, NULL);
	free(tests);
	return failed;
}
