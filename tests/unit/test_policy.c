/*
 * Tests of the appraisal policy. Every rule of ratls_policy_appraise runs on
 * reports that ratls_dcap_verify produced from the real TDX v4 and SGX v3
 * samples. Where a rule needs an input the samples lack, one field of a copied
 * report is changed. Tests skip when $RATLS_CORPUS_DIR is not set or not
 * present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/encoding.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/log.h"
#include "ratls/policy.h"
#include "ratls/quote.h"

#define TDX_QUOTE "Phala-Network__dcap-qvl/sample/tdx_quote"
#define TDX_BUNDLE "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json"
#define TDX_AT 1752919234 /* 2025-07-19T10:00:34Z */
#define SGX_QUOTE "Phala-Network__dcap-qvl/sample/sgx_quote"
#define SGX_BUNDLE "Phala-Network__dcap-qvl/sample/sgx_quote_collateral.json"
#define SGX_AT 1752919277 /* 2025-07-19T10:01:17Z */
/* A genuine TDX v4 quote from a TD with ATTRIBUTES.DEBUG set. */
#define DEBUG_TD_QUOTE "confidential-containers__trustee/deps/verifier/test_data/tdx_quote_4.dat"

/* ---- helpers ---- */

struct buffer {
	uint8_t *data;
	size_t size;
};

/* Skips the calling test when the corpus folder is not configured or absent. */
static const char *corpus_dir(void)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	char probe[4096];
	FILE *f;

	if (dir == NULL || dir[0] == '\0') {
		print_message("RATLS_CORPUS_DIR is not set; skipping a corpus test\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%s/cases.tsv", dir);
	f = fopen(probe, "rb");
	if (f == NULL) {
		print_message("corpus folder %s has no cases.tsv; skipping a corpus test\n", dir);
		skip();
	}
	fclose(f);
	return dir;
}

static struct buffer read_corpus(const char *name)
{
	struct buffer b = {NULL, 0};
	char path[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("corpus file %s is missing", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	b.data = malloc((size_t)size);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	b.size = (size_t)size;
	return b;
}

static void expect_failure(int rc, const struct ratls_detail *detail, int code,
			   const char *message_part)
{
	if (rc != code || detail->code != code ||
	    (message_part != NULL && strstr(detail->message, message_part) == NULL))
		print_message("got %s (detail %s: \"%s\"); expected %s with \"%s\"\n",
			      ratls_error_name(rc), ratls_error_name(detail->code), detail->message,
			      ratls_error_name(code), message_part != NULL ? message_part : "");
	assert_int_equal(rc, code);
	assert_int_equal(detail->code, code);
	assert_true(detail->message[0] != '\0');
	if (message_part != NULL)
		assert_non_null(strstr(detail->message, message_part));
}

static void expect_ok(int rc, const struct ratls_detail *detail)
{
	if (rc != RATLS_OK)
		print_message("unexpected %s: %s\n", ratls_error_name(rc), detail->message);
	assert_int_equal(rc, RATLS_OK);
}

/* Records warnings, since every weakening option must announce itself when used. */
struct log_capture {
	int warnings;
	char text[4096]; /* every warning, one per line */
};

static struct log_capture captured;

static void capture_log(enum ratls_log_level level, const char *message, void *arg)
{
	struct log_capture *capture = arg;
	size_t used;

	if (level != RATLS_LOG_WARNING)
		return;
	capture->warnings++;
	used = strlen(capture->text);
	snprintf(capture->text + used, sizeof(capture->text) - used, "%s\n", message);
}

/* Verifies a real quote with its bundle and returns the report. */
static void verified_report(const char *quote_name, const char *bundle_name, int64_t at,
			    struct ratls_verified_report *report)
{
	struct buffer quote = read_corpus(quote_name);
	struct buffer bundle = read_corpus(bundle_name);
	struct ratls_collateral *coll = ratls_collateral_new();
	struct ratls_detail detail = {0};

	assert_non_null(coll);
	expect_ok(ratls_collateral_load_bundle(coll, bundle.data, bundle.size, &detail), &detail);
	expect_ok(ratls_dcap_verify(quote.data, quote.size, coll, at, NULL, report, &detail),
		  &detail);
	ratls_collateral_free(coll);
	free(quote.data);
	free(bundle.data);
}

static void tdx_report(struct ratls_verified_report *report)
{
	verified_report(TDX_QUOTE, TDX_BUNDLE, TDX_AT, report);
	assert_int_equal(report->status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report->body_type, RATLS_BODY_TD_REPORT10);
}

static void sgx_report(struct ratls_verified_report *report)
{
	verified_report(SGX_QUOTE, SGX_BUNDLE, SGX_AT, report);
	assert_int_equal(report->status, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_int_equal(report->body_type, RATLS_BODY_SGX_ENCLAVE);
}

static int appraise(const struct ratls_policy *policy, const struct ratls_verified_report *report,
		    struct ratls_detail *detail)
{
	memset(detail, 0, sizeof(*detail));
	memset(&captured, 0, sizeof(captured));
	return ratls_policy_appraise(policy, report, detail);
}

static void expect_appraise_ok(const struct ratls_policy *policy,
			       const struct ratls_verified_report *report)
{
	struct ratls_detail detail;

	expect_ok(appraise(policy, report, &detail), &detail);
}

static void expect_appraise_failure(const struct ratls_policy *policy,
				    const struct ratls_verified_report *report, int code,
				    const char *message_part)
{
	struct ratls_detail detail;
	int rc = appraise(policy, report, &detail);

	expect_failure(rc, &detail, code, message_part);
}

static struct ratls_policy *new_policy(void)
{
	struct ratls_policy *policy = ratls_policy_new();

	assert_non_null(policy);
	return policy;
}

static void expect_setter_failure(int rc, struct ratls_detail *detail, int code,
				  const char *message_part)
{
	expect_failure(rc, detail, code, message_part);
	memset(detail, 0, sizeof(*detail));
}

/* Writes 96 hex digits of a 48-byte measurement, lower or upper case. */
static void measurement_hex(const uint8_t m[48], bool upper, char out[97])
{
	ratls_hex_encode(m, 48, out);
	for (int i = 0; upper && i < 96; i++) {
		if (out[i] >= 'a' && out[i] <= 'f')
			out[i] = (char)(out[i] - 'a' + 'A');
	}
}

/* ---- defaults ---- */

static void appraise_default_policy(void **state)
{
	struct ratls_verified_report report;
	struct ratls_policy *policy;

	(void)state;
	tdx_report(&report);
	policy = new_policy();

	expect_appraise_ok(policy, &report);
	assert_int_equal(captured.warnings, 1);
	assert_non_null(strstr(captured.text, "no allowed MRTD"));

	expect_appraise_ok(NULL, &report);
	assert_int_equal(captured.warnings, 1);
	ratls_policy_free(policy);
}

static void appraise_rejects_null_report(void **state)
{
	struct ratls_policy *policy;
	struct ratls_detail detail;

	(void)state;
	policy = new_policy();
	expect_failure(appraise(policy, NULL, &detail), &detail, RATLS_ERR_INVALID_ARGUMENT,
		       "report");
	ratls_policy_free(policy);
	ratls_policy_free(NULL);
}

/* ---- MRTD allow-list ---- */

static void appraise_mrtd_allow_list(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char lower[97], upper[97], prefixed[99];
	struct ratls_policy *policy;
	uint8_t zero[48];

	(void)state;
	tdx_report(&report);
	measurement_hex(report.td.mr_td, false, lower);
	measurement_hex(report.td.mr_td, true, upper);

	/* Lower case, upper case, mixed case, "0x" and "0X". */
	for (int form = 0; form < 5; form++) {
		policy = new_policy();
		switch (form) {
		case 0:
			snprintf(prefixed, sizeof(prefixed), "%s", lower);
			break;
		case 1:
			snprintf(prefixed, sizeof(prefixed), "%s", upper);
			break;
		case 2:
			snprintf(prefixed, sizeof(prefixed), "%.48s%s", upper, lower + 48);
			break;
		case 3:
			snprintf(prefixed, sizeof(prefixed), "0x%s", lower);
			break;
		default:
			snprintf(prefixed, sizeof(prefixed), "0X%s", upper);
			break;
		}
		expect_ok(ratls_policy_add_mrtd(policy, prefixed, &detail), &detail);
		expect_appraise_ok(policy, &report);
		/* A configured allow-list silences the any-MRTD warning. */
		assert_int_equal(captured.warnings, 0);
		ratls_policy_free(policy);
	}

	/* Among several allowed MRTDs. */
	policy = new_policy();
	memset(zero, 0, sizeof(zero));
	measurement_hex(zero, false, prefixed);
	expect_ok(ratls_policy_add_mrtd(policy, prefixed, &detail), &detail);
	expect_ok(ratls_policy_add_mrtd(policy, upper, &detail), &detail);
	expect_appraise_ok(policy, &report);
	ratls_policy_free(policy);
}

static void appraise_mrtd_not_allowed(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char seen[97], other[97];
	struct ratls_policy *policy;
	uint8_t changed[48];

	(void)state;
	tdx_report(&report);
	measurement_hex(report.td.mr_td, false, seen);
	memcpy(changed, report.td.mr_td, 48);
	changed[47] ^= 0x01;
	measurement_hex(changed, false, other);

	policy = new_policy();
	expect_ok(ratls_policy_add_mrtd(policy, other, &detail), &detail);
	expect_appraise_failure(policy, &report, RATLS_ERR_MRTD_NOT_ALLOWED, seen);
	expect_appraise_failure(policy, &report, RATLS_ERR_MRTD_NOT_ALLOWED, "among the 1 allowed");

	/* The report's own MRTD with one bit changed. */
	expect_ok(ratls_policy_add_mrtd(policy, seen, &detail), &detail);
	expect_appraise_ok(policy, &report);
	report.td.mr_td[0] ^= 0x80;
	expect_appraise_failure(policy, &report, RATLS_ERR_MRTD_NOT_ALLOWED, "among the 2 allowed");
	ratls_policy_free(policy);
}

static void add_mrtd_rejects_bad_hex(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char good[97], bad[128];
	struct ratls_policy *policy;
	static const char *const fixed[] = {"", "0x", "0X", "x0", "00", "not hex"};

	(void)state;
	tdx_report(&report);
	measurement_hex(report.td.mr_td, false, good);
	policy = new_policy();

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		expect_setter_failure(ratls_policy_add_mrtd(policy, fixed[i], &detail), &detail,
				      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	expect_setter_failure(ratls_policy_add_mrtd(policy, NULL, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "NULL");

	/* 95 and 97 digits. */
	snprintf(bad, sizeof(bad), "%.95s", good);
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	snprintf(bad, sizeof(bad), "%s0", good);
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");

	/* 96 characters with one that is no hex digit, at each end and in the middle. */
	for (size_t at = 0; at < 96; at += 19) {
		snprintf(bad, sizeof(bad), "%s", good);
		bad[at] = 'g';
		expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
				      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	}
	snprintf(bad, sizeof(bad), "%s", good);
	bad[95] = ' ';
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");

	/* Whitespace, a doubled prefix and a prefix in the middle. */
	snprintf(bad, sizeof(bad), " %s", good);
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	snprintf(bad, sizeof(bad), "0x0x%s", good);
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	snprintf(bad, sizeof(bad), "%.46s0x%s", good, good + 48);
	expect_setter_failure(ratls_policy_add_mrtd(policy, bad, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");

	/* Rejected entries leave the policy as it was: no allow-list, any MRTD passes. */
	expect_appraise_ok(policy, &report);
	assert_int_equal(captured.warnings, 1);
	ratls_policy_free(policy);
}

static void add_mrtd_limit(void **state)
{
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	uint8_t m[48] = {0};
	char hex[97];

	(void)state;
	policy = new_policy();
	for (int i = 0; i < RATLS_POLICY_MRTDS_MAX; i++) {
		m[0] = (uint8_t)i;
		measurement_hex(m, false, hex);
		expect_ok(ratls_policy_add_mrtd(policy, hex, &detail), &detail);
	}
	m[0] = 0xff;
	measurement_hex(m, false, hex);
	expect_failure(ratls_policy_add_mrtd(policy, hex, &detail), &detail,
		       RATLS_ERR_LIMIT_EXCEEDED, "at most 64 MRTDs");
	ratls_policy_free(policy);
}

/* ---- RTMR pins ---- */

static void appraise_rtmr_pins(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char hex[97], other[97], part[8];
	struct ratls_policy *policy;
	uint8_t changed[48];

	(void)state;
	tdx_report(&report);

	for (int i = 0; i < 4; i++) {
		policy = new_policy();
		measurement_hex(report.td.rtmr[i], i % 2 == 0, hex);
		expect_ok(ratls_policy_pin_rtmr(policy, i, hex, &detail), &detail);
		expect_appraise_ok(policy, &report);

		memcpy(changed, report.td.rtmr[i], 48);
		changed[i * 11] ^= 0x04;
		measurement_hex(changed, false, other);
		expect_ok(ratls_policy_pin_rtmr(policy, i, other, &detail), &detail);
		snprintf(part, sizeof(part), "RTMR%d ", i);
		expect_appraise_failure(policy, &report, RATLS_ERR_MEASUREMENT_MISMATCH, part);
		expect_appraise_failure(policy, &report, RATLS_ERR_MEASUREMENT_MISMATCH, other);

		/* A later pin replaces the earlier one. */
		expect_ok(ratls_policy_pin_rtmr(policy, i, hex, &detail), &detail);
		expect_appraise_ok(policy, &report);
		ratls_policy_free(policy);
	}

	/* All four pinned, one report field changed at a time. */
	policy = new_policy();
	for (int i = 0; i < 4; i++) {
		measurement_hex(report.td.rtmr[i], false, hex);
		expect_ok(ratls_policy_pin_rtmr(policy, i, hex, &detail), &detail);
	}
	expect_appraise_ok(policy, &report);
	for (int i = 0; i < 4; i++) {
		struct ratls_verified_report copy = report;

		copy.td.rtmr[i][47] ^= 0x01;
		snprintf(part, sizeof(part), "RTMR%d ", i);
		expect_appraise_failure(policy, &copy, RATLS_ERR_MEASUREMENT_MISMATCH, part);
	}
	ratls_policy_free(policy);
}

static void pin_rtmr_rejects_bad_input(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	uint8_t zero[48] = {0};
	char hex[97];

	(void)state;
	tdx_report(&report);
	policy = new_policy();
	measurement_hex(zero, false, hex);

	expect_setter_failure(ratls_policy_pin_rtmr(policy, -1, hex, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "RTMR index -1");
	expect_setter_failure(ratls_policy_pin_rtmr(policy, 4, hex, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "RTMR index 4");
	expect_setter_failure(ratls_policy_pin_rtmr(policy, 0, "0x12", &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");
	expect_setter_failure(ratls_policy_pin_rtmr(policy, 0, NULL, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "NULL");
	hex[10] = 'z';
	expect_setter_failure(ratls_policy_pin_rtmr(policy, 0, hex, &detail), &detail,
			      RATLS_ERR_POLICY_INVALID, "not 96 hex digits");

	/* None of them pinned anything: RTMR0 of the sample is not zero. */
	expect_appraise_ok(policy, &report);
	ratls_policy_free(policy);
}

/* ---- TCB status ---- */

static void appraise_tcb_status_not_allowed(void **state)
{
	struct ratls_verified_report report;
	struct ratls_policy *policy;

	(void)state;
	sgx_report(&report);
	policy = new_policy();
	expect_appraise_failure(policy, &report, RATLS_ERR_TCB_STATUS,
				"ConfigurationAndSWHardeningNeeded is not acceptable");
	expect_appraise_failure(policy, &report, RATLS_ERR_TCB_STATUS,
				"allowed: UpToDate, SWHardeningNeeded");
	expect_appraise_failure(policy, &report, RATLS_ERR_TCB_STATUS, "advisory IDs");
	expect_appraise_failure(NULL, &report, RATLS_ERR_TCB_STATUS,
				"ConfigurationAndSWHardeningNeeded");
	ratls_policy_free(policy);
}

static void appraise_tcb_status_allowed(void **state)
{
	struct ratls_verified_report sgx, tdx;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;

	(void)state;
	sgx_report(&sgx);
	tdx_report(&tdx);
	policy = new_policy();

	expect_ok(ratls_policy_allow_tcb_status(
			  policy, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, &detail),
		  &detail);
	expect_appraise_ok(policy, &sgx);

	/* The first call replaced the defaults, so UpToDate is no longer in the set. */
	expect_appraise_failure(policy, &tdx, RATLS_ERR_TCB_STATUS,
				"allowed: ConfigurationAndSWHardeningNeeded)");
	expect_ok(ratls_policy_allow_tcb_status(policy, RATLS_TCB_UP_TO_DATE, &detail), &detail);
	expect_appraise_ok(policy, &tdx);
	expect_appraise_ok(policy, &sgx);

	/* Allowing a status twice changes nothing. */
	expect_ok(ratls_policy_allow_tcb_status(policy, RATLS_TCB_UP_TO_DATE, &detail), &detail);
	expect_appraise_ok(policy, &tdx);
	ratls_policy_free(policy);
}

static void appraise_every_status(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	tdx_report(&report);
	for (int s = 0; s < RATLS_TCB_STATUS_COUNT; s++) {
		struct ratls_verified_report copy = report;
		struct ratls_policy *only;

		copy.status = (enum ratls_tcb_status)s;
		if (s == RATLS_TCB_REVOKED) {
			expect_appraise_failure(NULL, &copy, RATLS_ERR_TCB_REVOKED, "Revoked");
			continue;
		}
		if (s <= RATLS_TCB_SW_HARDENING_NEEDED)
			expect_appraise_ok(NULL, &copy);
		else
			expect_appraise_failure(NULL, &copy, RATLS_ERR_TCB_STATUS,
						ratls_tcb_status_name((enum ratls_tcb_status)s));

		/* A policy that allows only this status accepts it and rejects the others. */
		only = new_policy();
		expect_ok(ratls_policy_allow_tcb_status(only, (enum ratls_tcb_status)s, &detail),
			  &detail);
		expect_appraise_ok(only, &copy);
		for (int t = 0; t < RATLS_TCB_REVOKED; t++) {
			struct ratls_verified_report other = report;

			if (t == s)
				continue;
			other.status = (enum ratls_tcb_status)t;
			expect_appraise_failure(only, &other, RATLS_ERR_TCB_STATUS,
						ratls_tcb_status_name((enum ratls_tcb_status)t));
		}
		ratls_policy_free(only);
	}

	/* A status outside the enum is not acceptable either. */
	report.status = (enum ratls_tcb_status)RATLS_TCB_STATUS_COUNT;
	expect_appraise_failure(NULL, &report, RATLS_ERR_TCB_STATUS, "not acceptable");
}

static void allow_tcb_status_rejects_revoked(void **state)
{
	struct ratls_verified_report tdx, sgx;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	int rc;

	(void)state;
	tdx_report(&tdx);
	sgx_report(&sgx);
	policy = new_policy();

	expect_setter_failure(ratls_policy_allow_tcb_status(policy, RATLS_TCB_REVOKED, &detail),
			      &detail, RATLS_ERR_POLICY_INVALID, "Revoked can never be accepted");
	rc = ratls_policy_allow_tcb_status(policy, RATLS_TCB_STATUS_COUNT, &detail);
	expect_setter_failure(rc, &detail, RATLS_ERR_POLICY_INVALID, "unknown");
	expect_setter_failure(ratls_policy_allow_tcb_status(policy, (enum ratls_tcb_status)-1,
							    &detail),
			      &detail, RATLS_ERR_POLICY_INVALID, "unknown");

	/* The rejected calls did not replace the defaults. */
	expect_appraise_ok(policy, &tdx);
	expect_appraise_failure(policy, &sgx, RATLS_ERR_TCB_STATUS, "not acceptable");
	ratls_policy_free(policy);
}

static void appraise_revoked_never_allowed(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;

	(void)state;
	tdx_report(&report);
	report.status = RATLS_TCB_REVOKED;
	report.qe_status = RATLS_TCB_REVOKED;

	policy = new_policy();
	for (int s = 0; s < RATLS_TCB_REVOKED; s++)
		expect_ok(ratls_policy_allow_tcb_status(policy, (enum ratls_tcb_status)s, &detail),
			  &detail);
	ratls_policy_set_allow_debug(policy, true);
	ratls_policy_set_allow_seam_signer(policy, true);
	ratls_policy_set_allow_service_td(policy, true);
	expect_appraise_failure(policy, &report, RATLS_ERR_TCB_REVOKED, "TCB status is Revoked");
	expect_appraise_failure(policy, &report, RATLS_ERR_TCB_REVOKED, "QE Revoked");
	expect_appraise_failure(NULL, &report, RATLS_ERR_TCB_REVOKED, "Revoked");
	ratls_policy_free(policy);
}

/* ---- debug, TDX module signer, service TD ---- */

static void appraise_debug_td(void **state)
{
	struct ratls_verified_report report, debug;
	struct ratls_policy *policy;

	(void)state;
	tdx_report(&report);
	assert_int_equal(report.td.td_attributes[0] & 0x01, 0);
	debug = report;
	debug.td.td_attributes[0] |= 0x01;

	policy = new_policy();
	expect_appraise_failure(policy, &debug, RATLS_ERR_DEBUG, "the TD has the DEBUG attribute");
	expect_appraise_failure(NULL, &debug, RATLS_ERR_DEBUG, "DEBUG");

	ratls_policy_set_allow_debug(policy, true);
	expect_appraise_ok(policy, &debug);
	assert_true(captured.warnings >= 1);
	assert_non_null(strstr(captured.text, "allow_debug"));
	/* No warning when the option is set but no debug TD needs it. */
	expect_appraise_ok(policy, &report);
	assert_int_equal(captured.warnings, 1);
	assert_non_null(strstr(captured.text, "no allowed MRTD"));
	assert_null(strstr(captured.text, "allow_debug"));

	ratls_policy_set_allow_debug(policy, false);
	expect_appraise_failure(policy, &debug, RATLS_ERR_DEBUG, "DEBUG");

	/* Reserved TD attribute bits are their own failure, not DEBUG. */
	debug = report;
	debug.td.td_attributes[0] = 0xfe;
	debug.td.td_attributes[3] = 0x10;
	expect_appraise_failure(policy, &debug, RATLS_ERR_TD_ATTRIBUTES, "reserved bits");
	debug = report;
	debug.td.td_attributes[3] = 0x30; /* bit 29 */
	expect_appraise_failure(policy, &debug, RATLS_ERR_TD_ATTRIBUTES, "reserved bits");
	debug = report;
	debug.td.td_attributes[4] = 0x80; /* bit 39 */
	expect_appraise_failure(policy, &debug, RATLS_ERR_TD_ATTRIBUTES, "reserved bits");

	/* SEPT_VE_DISABLE (bit 28) is required. */
	debug = report;
	debug.td.td_attributes[3] = 0x00;
	expect_appraise_failure(policy, &debug, RATLS_ERR_TD_ATTRIBUTES, "SEPT_VE_DISABLE");

	/* PKS (30), KL (31) and PERFMON (63) are allowed. */
	debug = report;
	debug.td.td_attributes[3] = 0xd0;
	debug.td.td_attributes[7] = 0x80;
	expect_appraise_ok(policy, &debug);
	ratls_policy_free(policy);
}

static void appraise_debug_enclave(void **state)
{
	struct ratls_verified_report report, debug;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;

	(void)state;
	sgx_report(&report);
	policy = new_policy();
	expect_ok(ratls_policy_allow_tcb_status(
			  policy, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, &detail),
		  &detail);
	assert_int_equal(report.sgx.attributes[0] & 0x02, 0);
	expect_appraise_ok(policy, &report);

	debug = report;
	debug.sgx.attributes[0] |= 0x02;
	expect_appraise_failure(policy, &debug, RATLS_ERR_DEBUG,
				"the enclave has the DEBUG attribute");
	ratls_policy_set_allow_debug(policy, true);
	expect_appraise_ok(policy, &debug);
	assert_non_null(strstr(captured.text, "allow_debug"));

	/* Bit 0 of an enclave's attributes is INIT, not DEBUG. */
	ratls_policy_set_allow_debug(policy, false);
	debug = report;
	debug.sgx.attributes[0] = 0x05;
	expect_appraise_ok(policy, &debug);
	ratls_policy_free(policy);
}

static void appraise_seam_signer(void **state)
{
	struct ratls_verified_report report;
	struct ratls_policy *policy;

	(void)state;
	tdx_report(&report);
	policy = new_policy();
	for (int at = 0; at < 48; at += 47) {
		struct ratls_verified_report copy = report;

		copy.td.mr_signer_seam[at] = 0x01;
		ratls_policy_set_allow_seam_signer(policy, false);
		expect_appraise_failure(policy, &copy, RATLS_ERR_SEAM_SIGNER, "MR_SIGNER_SEAM is ");
		expect_appraise_failure(NULL, &copy, RATLS_ERR_SEAM_SIGNER, "allow_seam_signer");
		ratls_policy_set_allow_seam_signer(policy, true);
		expect_appraise_ok(policy, &copy);
		assert_non_null(strstr(captured.text, "allow_seam_signer"));
	}
	ratls_policy_free(policy);
}

static void appraise_service_td(void **state)
{
	struct ratls_verified_report report, td15;
	struct ratls_policy *policy;

	(void)state;
	tdx_report(&report);
	assert_false(report.td.has_td15);
	policy = new_policy();

	/* A TD 1.0 report has no MR_SERVICETD, so the field's content is ignored. */
	td15 = report;
	td15.td.mr_servicetd[0] = 0x01;
	expect_appraise_ok(policy, &td15);

	td15 = report;
	td15.td.has_td15 = true;
	expect_appraise_ok(policy, &td15);
	td15.td.mr_servicetd[47] = 0x80;
	expect_appraise_failure(policy, &td15, RATLS_ERR_SERVICE_TD, "MR_SERVICETD is ");
	expect_appraise_failure(NULL, &td15, RATLS_ERR_SERVICE_TD, "allow_service_td");
	ratls_policy_set_allow_service_td(policy, true);
	expect_appraise_ok(policy, &td15);
	assert_non_null(strstr(captured.text, "allow_service_td"));
	ratls_policy_set_allow_service_td(policy, false);
	expect_appraise_failure(policy, &td15, RATLS_ERR_SERVICE_TD, "MR_SERVICETD");
	ratls_policy_free(policy);
}

/* Copies the TD report fields of a parsed quote, as verification would. */
static void copy_td_fields(const struct ratls_quote *q, struct ratls_td_fields *out)
{
	const struct ratls_td_report *t = &q->td;

	memset(out, 0, sizeof(*out));
	memcpy(out->tee_tcb_svn, t->tee_tcb_svn, 16);
	memcpy(out->mr_seam, t->mr_seam, 48);
	memcpy(out->mr_signer_seam, t->mr_signer_seam, 48);
	memcpy(out->seam_attributes, t->seam_attributes, 8);
	memcpy(out->td_attributes, t->td_attributes, 8);
	memcpy(out->xfam, t->xfam, 8);
	memcpy(out->mr_td, t->mr_td, 48);
	memcpy(out->mr_config_id, t->mr_config_id, 48);
	memcpy(out->mr_owner, t->mr_owner, 48);
	memcpy(out->mr_owner_config, t->mr_owner_config, 48);
	for (int i = 0; i < 4; i++)
		memcpy(out->rtmr[i], t->rtmr[i], 48);
	memcpy(out->report_data, t->report_data, 64);
	out->has_td15 = t->tee_tcb_svn2 != NULL;
	if (out->has_td15) {
		memcpy(out->tee_tcb_svn2, t->tee_tcb_svn2, 16);
		memcpy(out->mr_servicetd, t->mr_servicetd, 48);
	}
}

/*
 * The fields of a genuine debug TD's quote, in the report of a verified
 * quote (no collateral for the debug quote's platform is in the corpus).
 */
static void appraise_real_debug_quote(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	struct buffer quote;
	struct ratls_quote parsed;
	char mrtd[97];

	(void)state;
	tdx_report(&report);
	quote = read_corpus(DEBUG_TD_QUOTE);
	expect_ok(ratls_quote_parse(quote.data, quote.size, &parsed, &detail), &detail);
	assert_true(ratls_quote_is_td(&parsed));
	assert_int_equal(parsed.td.td_attributes[0] & 0x01, 0x01);
	copy_td_fields(&parsed, &report.td);
	free(quote.data);

	expect_appraise_failure(NULL, &report, RATLS_ERR_DEBUG, "DEBUG");
	policy = new_policy();
	measurement_hex(report.td.mr_td, false, mrtd);
	expect_ok(ratls_policy_add_mrtd(policy, mrtd, &detail), &detail);
	expect_appraise_failure(policy, &report, RATLS_ERR_DEBUG, "DEBUG");
	ratls_policy_set_allow_debug(policy, true);
	expect_appraise_ok(policy, &report);
	assert_non_null(strstr(captured.text, "allow_debug"));
	ratls_policy_free(policy);
}

/* Rules apply from the broadest to the narrowest: the first failing one is reported. */
static void appraise_rule_order(void **state)
{
	struct ratls_verified_report report, bad;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	uint8_t zero[48] = {0};
	char hex[97];

	(void)state;
	tdx_report(&report);
	policy = new_policy();
	measurement_hex(zero, false, hex);
	expect_ok(ratls_policy_add_mrtd(policy, hex, &detail), &detail);
	expect_ok(ratls_policy_pin_rtmr(policy, 0, hex, &detail), &detail);

	bad = report;
	bad.status = RATLS_TCB_REVOKED;
	bad.td.td_attributes[0] = 0x01;
	bad.td.mr_signer_seam[0] = 0x01;
	bad.td.has_td15 = true;
	bad.td.mr_servicetd[0] = 0x01;
	expect_appraise_failure(policy, &bad, RATLS_ERR_TCB_REVOKED, NULL);
	bad.status = RATLS_TCB_OUT_OF_DATE;
	expect_appraise_failure(policy, &bad, RATLS_ERR_TCB_STATUS, NULL);
	bad.status = report.status;
	expect_appraise_failure(policy, &bad, RATLS_ERR_DEBUG, NULL);
	bad.td.td_attributes[0] = 0;
	expect_appraise_failure(policy, &bad, RATLS_ERR_SEAM_SIGNER, NULL);
	bad.td.mr_signer_seam[0] = 0;
	expect_appraise_failure(policy, &bad, RATLS_ERR_SERVICE_TD, NULL);
	bad.td.mr_servicetd[0] = 0;
	expect_appraise_failure(policy, &bad, RATLS_ERR_MRTD_NOT_ALLOWED, NULL);
	memcpy(bad.td.mr_td, zero, 48);
	expect_appraise_failure(policy, &bad, RATLS_ERR_MEASUREMENT_MISMATCH, "RTMR0");
	memcpy(bad.td.rtmr[0], zero, 48);
	expect_appraise_ok(policy, &bad);
	ratls_policy_free(policy);
}

/*
 * A policy that pins TD measurements (an MRTD or an RTMR) rejects an SGX
 * enclave, which has neither, instead of ignoring the pins.
 */
static void appraise_sgx_report_with_td_pins(void **state)
{
	struct ratls_verified_report report, tdx;
	struct ratls_detail detail = {0};
	struct ratls_policy *policy;
	char hex[97];

	(void)state;
	sgx_report(&report);
	tdx_report(&tdx);
	policy = new_policy();
	expect_ok(ratls_policy_allow_tcb_status(
			  policy, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, &detail),
		  &detail);
	expect_appraise_ok(policy, &report);

	measurement_hex(tdx.td.mr_td, false, hex);
	expect_ok(ratls_policy_add_mrtd(policy, hex, &detail), &detail);
	expect_appraise_failure(policy, &report, RATLS_ERR_MRTD_NOT_ALLOWED, "SGX enclave");
	ratls_policy_free(policy);

	policy = new_policy();
	expect_ok(ratls_policy_allow_tcb_status(
			  policy, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, &detail),
		  &detail);
	measurement_hex(tdx.td.rtmr[0], false, hex);
	expect_ok(ratls_policy_pin_rtmr(policy, 0, hex, &detail), &detail);
	expect_appraise_failure(policy, &report, RATLS_ERR_MRTD_NOT_ALLOWED, "SGX enclave");
	ratls_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appraise_default_policy),
		cmocka_unit_test(appraise_rejects_null_report),
		cmocka_unit_test(appraise_mrtd_allow_list),
		cmocka_unit_test(appraise_mrtd_not_allowed),
		cmocka_unit_test(add_mrtd_rejects_bad_hex),
		cmocka_unit_test(add_mrtd_limit),
		cmocka_unit_test(appraise_rtmr_pins),
		cmocka_unit_test(pin_rtmr_rejects_bad_input),
		cmocka_unit_test(appraise_tcb_status_not_allowed),
		cmocka_unit_test(appraise_tcb_status_allowed),
		cmocka_unit_test(appraise_every_status),
		cmocka_unit_test(allow_tcb_status_rejects_revoked),
		cmocka_unit_test(appraise_revoked_never_allowed),
		cmocka_unit_test(appraise_debug_td),
		cmocka_unit_test(appraise_debug_enclave),
		cmocka_unit_test(appraise_seam_signer),
		cmocka_unit_test(appraise_service_td),
		cmocka_unit_test(appraise_real_debug_quote),
		cmocka_unit_test(appraise_rule_order),
		cmocka_unit_test(appraise_sgx_report_with_td_pins),
	};

	/* Count warnings instead of printing them. */
	ratls_set_log_callback(capture_log, &captured);
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
