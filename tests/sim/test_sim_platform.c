/*
 * Tests of the simulated platform (ratls/sim.h). Its quotes and collateral
 * verify with ratls_dcap_verify only when its root is trusted. The same seed
 * gives the same keys and certificate contents. The PCS-shaped outputs load
 * through the collateral setters, and changed parameters land where they
 * should. These tests need no corpus because everything is issued here.
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
#include <openssl/x509v3.h>

#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/log.h"
#include "ratls/quote.h"
#include "ratls/sim.h"

/* 2026-01-01T00:00:00Z: every test issues and verifies around this time. */
#define TEST_NOW 1767225600LL

static const uint8_t seed_a[] = "ratls simulated platform test seed A";
static const uint8_t seed_b[] = "ratls simulated platform test seed B";

/* The default FMSPC of the simulated platform ("SIM"). */
static const uint8_t default_fmspc[6] = {0x53, 0x49, 0x4d, 0x00, 0x00, 0x00};

/* ---- helpers ---- */

static int warning_count;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)message;
	(void)arg;
	if (level == RATLS_LOG_WARNING)
		warning_count++;
}

static struct ratls_sim_platform *new_platform(const uint8_t *seed, size_t seed_size)
{
	struct ratls_sim_platform *platform = NULL;
	struct ratls_detail detail = {0};
	int rc = ratls_sim_platform_new(seed, seed_size, TEST_NOW, &platform, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_sim_platform_new: %s: %s", ratls_error_name(rc), detail.message);
	return platform;
}

static struct ratls_sim_platform *new_platform_with(const struct ratls_sim_platform_params *params)
{
	struct ratls_sim_platform *platform = NULL;
	struct ratls_detail detail = {0};
	int rc = ratls_sim_platform_new_with(seed_a, sizeof(seed_a), params, &platform, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_sim_platform_new_with: %s: %s", ratls_error_name(rc),
			 detail.message);
	return platform;
}

static struct ratls_sim_platform_params *default_params(void)
{
	struct ratls_sim_platform_params *params = malloc(sizeof(*params));

	assert_non_null(params);
	ratls_sim_platform_defaults(params, TEST_NOW);
	return params;
}

static struct ratls_collateral *issue_collateral(const struct ratls_sim_platform *platform,
						 enum ratls_sim_tee tee, int64_t now)
{
	struct ratls_collateral *coll = ratls_collateral_new();
	struct ratls_detail detail = {0};
	int rc;

	assert_non_null(coll);
	rc = ratls_sim_platform_collateral(platform, tee, now, coll, &detail);
	if (rc != RATLS_OK)
		fail_msg("ratls_sim_platform_collateral: %s: %s", ratls_error_name(rc),
			 detail.message);
	return coll;
}

static void issue_quote(const struct ratls_sim_platform *platform,
			const struct ratls_sim_quote_params *params, uint8_t **quote, size_t *size)
{
	struct ratls_detail detail = {0};
	int rc = ratls_sim_platform_quote(platform, params, quote, size, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_sim_platform_quote: %s: %s", ratls_error_name(rc), detail.message);
}

/* Verifies quote against coll at now, trusting the platform's root unless trust_root is false. */
static int verify(const struct ratls_sim_platform *platform, const uint8_t *quote, size_t size,
		  const struct ratls_collateral *coll, int64_t now, bool trust_root,
		  struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_dcap_options options = {0};
	struct ratls_verified_report local_report;
	struct ratls_detail local = {0};
	uint8_t *root = NULL;
	size_t root_size = 0;
	int rc;

	assert_int_equal(ratls_sim_platform_root_der(platform, &root, &root_size, &local),
			 RATLS_OK);
	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	rc = ratls_dcap_verify(quote, size, coll, now, trust_root ? &options : NULL,
			       report != NULL ? report : &local_report,
			       detail != NULL ? detail : &local);
	ratls_sim_free(root);
	return rc;
}

/* True when needle occurs in data[0..size), which need not be NUL-terminated. */
static bool contains(const uint8_t *data, size_t size, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= size; i++) {
		if (memcmp(data + i, needle, n) == 0)
			return true;
	}
	return false;
}

static enum ratls_sim_tee tee_of(enum ratls_sim_quote_format format)
{
	return format == RATLS_SIM_QUOTE_SGX_V3 ? RATLS_SIM_TEE_SGX : RATLS_SIM_TEE_TDX;
}

/* Issues the platform's default quote of format and verifies it with fresh collateral. */
static int verify_default(const struct ratls_sim_platform *platform,
			  enum ratls_sim_quote_format format, int64_t now,
			  struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_sim_quote_params params;
	struct ratls_collateral *coll = issue_collateral(platform, tee_of(format), TEST_NOW);
	uint8_t *quote = NULL;
	size_t size = 0;
	int rc;

	ratls_sim_platform_quote_defaults(platform, format, &params);
	issue_quote(platform, &params, &quote, &size);
	rc = verify(platform, quote, size, coll, now, true, report, detail);
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	return rc;
}

/* ---- quotes verify with the test root ---- */

static const enum ratls_sim_quote_format all_formats[] = {
	RATLS_SIM_QUOTE_TDX_V4,
	RATLS_SIM_QUOTE_TDX_V5_TD10,
	RATLS_SIM_QUOTE_TDX_V5_TD15,
	RATLS_SIM_QUOTE_SGX_V3,
};
#define FORMAT_COUNT (sizeof(all_formats) / sizeof(all_formats[0]))

static void check_td_report(const struct ratls_verified_report *report,
			    const struct ratls_sim_quote_params *params)
{
	assert_memory_equal(report->td.mr_td, params->td.mr_td, 48);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(report->td.rtmr[i], params->td.rtmr[i], 48);
	assert_memory_equal(report->td.report_data, params->td.report_data, 64);
	assert_memory_equal(report->td.tee_tcb_svn, params->td.tee_tcb_svn, 16);
	assert_memory_equal(report->td.td_attributes, params->td.td_attributes, 8);
	assert_true(report->has_module_status);
	assert_int_equal(report->module_status, RATLS_TCB_UP_TO_DATE);
	assert_string_equal(report->module_identity_id, "TDX_01");
	assert_int_equal(report->tee_type, RATLS_TEE_TYPE_TDX);
}

static void quotes_verify_with_test_root(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));

	(void)state;
	for (size_t i = 0; i < FORMAT_COUNT; i++) {
		enum ratls_sim_quote_format format = all_formats[i];
		struct ratls_sim_quote_params params;
		struct ratls_collateral *coll =
			issue_collateral(platform, tee_of(format), TEST_NOW);
		struct ratls_verified_report report;
		struct ratls_detail detail = {0};
		uint8_t *quote = NULL;
		size_t size = 0;
		int rc;

		ratls_sim_platform_quote_defaults(platform, format, &params);
		memset(params.td.mr_td, 0xa5, 48);
		for (int r = 0; r < 4; r++)
			memset(params.td.rtmr[r], 0x10 * (r + 1), 48);
		memset(params.td.report_data, 0x5a, 64);
		memset(params.sgx.report_data, 0x3c, 64);
		issue_quote(platform, &params, &quote, &size);

		warning_count = 0;
		rc = verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail);
		if (rc != RATLS_OK)
			fail_msg("format %d: %s: %s", (int)format, ratls_error_name(rc),
				 detail.message);
		assert_int_equal(warning_count, 1); /* the custom root is announced */
		assert_true(report.custom_root);
		assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
		assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
		assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
		assert_int_equal(report.advisory_count, 0);
		assert_memory_equal(report.pck.fmspc, default_fmspc, 6);
		assert_true(report.pck_from_platform_ca);
		assert_int_equal(report.quote_version, params.header.version);
		assert_int_equal(report.body_type, params.body_type);
		assert_int_equal(report.trailing_size, 0);
		if (format == RATLS_SIM_QUOTE_SGX_V3) {
			assert_int_equal(report.tee_type, RATLS_TEE_TYPE_SGX);
			assert_false(report.has_module_status);
			assert_memory_equal(report.sgx.report_data, params.sgx.report_data, 64);
			assert_memory_equal(report.sgx.mr_enclave, params.sgx.mr_enclave, 32);
		} else {
			check_td_report(&report, &params);
		}
		assert_int_equal(report.td.has_td15, format == RATLS_SIM_QUOTE_TDX_V5_TD15);
		if (format == RATLS_SIM_QUOTE_TDX_V5_TD15)
			assert_memory_equal(report.td.tee_tcb_svn2, params.td.tee_tcb_svn2, 16);
		ratls_sim_free(quote);
		ratls_collateral_free(coll);
	}
	ratls_sim_platform_free(platform);
}

static void quotes_fail_without_test_root(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));

	(void)state;
	for (size_t i = 0; i < FORMAT_COUNT; i++) {
		struct ratls_sim_quote_params params;
		struct ratls_collateral *coll =
			issue_collateral(platform, tee_of(all_formats[i]), TEST_NOW);
		struct ratls_verified_report report;
		struct ratls_detail detail = {0};
		uint8_t *quote = NULL;
		size_t size = 0;

		ratls_sim_platform_quote_defaults(platform, all_formats[i], &params);
		issue_quote(platform, &params, &quote, &size);
		assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, false, &report,
					&detail),
				 RATLS_ERR_UNTRUSTED_ROOT);
		assert_non_null(strstr(detail.message, "Simulated SGX Root CA"));
		ratls_sim_free(quote);
		ratls_collateral_free(coll);
	}
	ratls_sim_platform_free(platform);
}

static void quotes_fail_with_other_seed_root(void **state)
{
	struct ratls_sim_platform *a = new_platform(seed_a, sizeof(seed_a));
	struct ratls_sim_platform *b = new_platform(seed_b, sizeof(seed_b));
	struct ratls_collateral *coll = issue_collateral(a, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	issue_quote(a, NULL, &quote, &size);
	/*
	 * Platform b's root has the same name but another key. The root CA CRL
	 * is checked first, and its signature does not verify with b's key.
	 */
	assert_int_equal(verify(b, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_COLLATERAL_SIGNATURE);
	assert_non_null(strstr(detail.message, "root CA CRL"));
	assert_int_equal(verify(a, quote, size, coll, TEST_NOW, true, &report, NULL), RATLS_OK);
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(a);
	ratls_sim_platform_free(b);
}

static void td_quote_sets_measurements(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t mr_td[48], rtmr[4][48], report_data[64];
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	memset(mr_td, 0x11, sizeof(mr_td));
	for (int i = 0; i < 4; i++)
		memset(rtmr[i], 0x21 + i, 48);
	memset(report_data, 0x77, sizeof(report_data));
	assert_int_equal(ratls_sim_platform_td_quote(platform, mr_td, (const uint8_t(*)[48])rtmr,
						     report_data, &quote, &size, &detail),
			 RATLS_OK);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	assert_int_equal(report.quote_version, 4);
	assert_memory_equal(report.td.mr_td, mr_td, 48);
	assert_memory_equal(report.td.rtmr[3], rtmr[3], 48);
	assert_memory_equal(report.td.report_data, report_data, 64);
	ratls_sim_free(quote);

	/* NULL arguments keep the defaults. */
	assert_int_equal(ratls_sim_platform_td_quote(platform, NULL, NULL, NULL, &quote, &size,
						     &detail),
			 RATLS_OK);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	assert_int_equal(report.td.mr_td[0], 0x4d);
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
}

/* ---- reproducibility ---- */

static void cert_spki_and_tbs(const struct ratls_sim_cert *cert, uint8_t **spki,
			      size_t *spki_size, uint8_t **tbs, size_t *tbs_size)
{
	assert_int_equal(ratls_sim_key_spki_der(ratls_sim_cert_key(cert), spki, spki_size, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_cert_tbs_der(cert, tbs, tbs_size, NULL), RATLS_OK);
}

static void same_seed_gives_same_pki(void **state)
{
	struct ratls_sim_platform *a1 = new_platform(seed_a, sizeof(seed_a));
	struct ratls_sim_platform *a2 = new_platform(seed_a, sizeof(seed_a));
	struct ratls_sim_platform *b = new_platform(seed_b, sizeof(seed_b));
	uint8_t xy_a1[64], xy_a2[64], xy_b[64];

	(void)state;
	for (int kind = RATLS_SIM_CERT_ROOT_CA; kind <= RATLS_SIM_CERT_PCK; kind++) {
		uint8_t *spki[3], *tbs[3], *der[2];
		size_t spki_size[3], tbs_size[3], der_size[2];

		cert_spki_and_tbs(ratls_sim_platform_get_cert(a1, kind), &spki[0], &spki_size[0],
				  &tbs[0], &tbs_size[0]);
		cert_spki_and_tbs(ratls_sim_platform_get_cert(a2, kind), &spki[1], &spki_size[1],
				  &tbs[1], &tbs_size[1]);
		cert_spki_and_tbs(ratls_sim_platform_get_cert(b, kind), &spki[2], &spki_size[2],
				  &tbs[2], &tbs_size[2]);

		assert_int_equal(spki_size[0], spki_size[1]);
		assert_memory_equal(spki[0], spki[1], spki_size[0]);
		assert_int_equal(tbs_size[0], tbs_size[1]);
		assert_memory_equal(tbs[0], tbs[1], tbs_size[0]);
		assert_int_equal(spki_size[0], spki_size[2]);
		assert_memory_not_equal(spki[0], spki[2], spki_size[0]);
		assert_true(tbs_size[0] != tbs_size[2] || memcmp(tbs[0], tbs[2], tbs_size[0]) != 0);

		/* Signatures are randomised, so whole certificates still differ. */
		assert_int_equal(ratls_sim_cert_der(ratls_sim_platform_get_cert(a1, kind), &der[0],
						    &der_size[0], NULL),
				 RATLS_OK);
		assert_int_equal(ratls_sim_cert_der(ratls_sim_platform_get_cert(a2, kind), &der[1],
						    &der_size[1], NULL),
				 RATLS_OK);
		assert_true(der_size[0] != der_size[1] ||
			    memcmp(der[0], der[1], der_size[0]) != 0);

		for (int i = 0; i < 3; i++) {
			ratls_sim_free(spki[i]);
			ratls_sim_free(tbs[i]);
		}
		ratls_sim_free(der[0]);
		ratls_sim_free(der[1]);
	}

	assert_int_equal(ratls_sim_key_public_xy(ratls_sim_platform_attestation_key(a1), xy_a1,
						 NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_key_public_xy(ratls_sim_platform_attestation_key(a2), xy_a2,
						 NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_key_public_xy(ratls_sim_platform_attestation_key(b), xy_b, NULL),
			 RATLS_OK);
	assert_memory_equal(xy_a1, xy_a2, 64);
	assert_memory_not_equal(xy_a1, xy_b, 64);

	ratls_sim_platform_free(a1);
	ratls_sim_platform_free(a2);
	ratls_sim_platform_free(b);
}

/*
 * Known answer for the documented derivation: seed "ratls" (5 bytes), label
 * "root-ca". The expected point was computed outside ratls, with Python's
 * hmac module and textbook P-256 arithmetic, from the scalar
 * (HMAC-SHA256("ratls", "ratls-sim-key:root-ca") mod (n - 1)) + 1.
 */
static void key_derivation_known_answer(void **state)
{
	static const uint8_t expected_xy[64] = {
		0x6a, 0xeb, 0x75, 0x02, 0x12, 0xca, 0x6e, 0xf5, 0x44, 0xa5, 0x9f, 0xc4, 0xff, 0x54, 0x1d, 0x8b,
		0xc3, 0x43, 0x45, 0x48, 0x15, 0xf3, 0x9a, 0x78, 0x97, 0x97, 0x8e, 0x13, 0xba, 0xc8, 0xd4, 0x62,
		0x6b, 0xdb, 0x2d, 0xf0, 0x64, 0x80, 0x87, 0x83, 0xc9, 0x84, 0x84, 0xc1, 0x07, 0xaf, 0xbe, 0x09,
		0x5c, 0xbb, 0x73, 0x4b, 0x6d, 0x0d, 0x3b, 0xe8, 0x34, 0x7b, 0xea, 0xe5, 0x24, 0xa1, 0x87, 0x63,
	};
	struct ratls_sim_key *key = NULL;
	uint8_t xy[64];

	(void)state;
	assert_int_equal(ratls_sim_key_derive((const uint8_t *)"ratls", 5, "root-ca", &key, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_key_public_xy(key, xy, NULL), RATLS_OK);
	assert_memory_equal(xy, expected_xy, sizeof(expected_xy));
	ratls_sim_key_free(key);
}

static void key_derivation_separates_labels(void **state)
{
	struct ratls_sim_key *k1 = NULL, *k2 = NULL;
	uint8_t xy1[64], xy2[64];

	(void)state;
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), "pck", &k1, NULL), RATLS_OK);
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), "pck2", &k2, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_key_public_xy(k1, xy1, NULL), RATLS_OK);
	assert_int_equal(ratls_sim_key_public_xy(k2, xy2, NULL), RATLS_OK);
	assert_memory_not_equal(xy1, xy2, 64);
	ratls_sim_key_free(k1);
	ratls_sim_key_free(k2);
}

static void key_derivation_rejects_bad_input(void **state)
{
	uint8_t big_seed[RATLS_SIM_SEED_MAX_SIZE + 1] = {0};
	char long_label[RATLS_SIM_LABEL_MAX_LEN + 2];
	struct ratls_sim_key *key = NULL;
	struct ratls_detail detail = {0};

	(void)state;
	memset(long_label, 'a', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';

	assert_int_equal(ratls_sim_key_derive(seed_a, 0, "pck", &key, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "0 bytes"));
	assert_int_equal(ratls_sim_key_derive(big_seed, sizeof(big_seed), "pck", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_sim_key_derive(big_seed, RATLS_SIM_SEED_MAX_SIZE, "pck", &key, NULL),
			 RATLS_OK);
	ratls_sim_key_free(key);
	key = NULL;
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), "", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), long_label, &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	long_label[RATLS_SIM_LABEL_MAX_LEN] = '\0';
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), long_label, &key, NULL),
			 RATLS_OK);
	ratls_sim_key_free(key);
	key = NULL;
	assert_int_equal(ratls_sim_key_derive(seed_a, sizeof(seed_a), "tab\there", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(key);
}

static void tcb_info_json_is_reproducible(void **state)
{
	struct ratls_sim_tcb_info_params params;
	char *first = NULL, *second = NULL;
	size_t first_size = 0, second_size = 0;

	(void)state;
	ratls_sim_tcb_info_defaults(&params, RATLS_TCB_INFO_TDX, TEST_NOW);
	assert_int_equal(ratls_sim_tcb_info_json(&params, &first, &first_size, NULL), RATLS_OK);
	assert_int_equal(ratls_sim_tcb_info_json(&params, &second, &second_size, NULL), RATLS_OK);
	assert_int_equal(first_size, second_size);
	assert_string_equal(first, second);
	ratls_sim_free(second);

	params.tcb_evaluation_data_number = 19;
	assert_int_equal(ratls_sim_tcb_info_json(&params, &second, &second_size, NULL), RATLS_OK);
	assert_string_not_equal(first, second);
	ratls_sim_free(first);
	ratls_sim_free(second);
}

/* ---- collateral forms ---- */

static void collateral_bundle_round_trip(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_collateral *loaded = ratls_collateral_new();
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char *bundle = NULL;
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	assert_non_null(loaded);
	issue_quote(platform, NULL, &quote, &size);
	assert_int_equal(ratls_collateral_write_bundle(coll, &bundle, &detail), RATLS_OK);
	assert_int_equal(ratls_collateral_load_bundle(loaded, (const uint8_t *)bundle,
						      strlen(bundle), &detail),
			 RATLS_OK);
	assert_int_equal(loaded->tcb_info.body_size, coll->tcb_info.body_size);
	assert_memory_equal(loaded->tcb_info.body, coll->tcb_info.body, coll->tcb_info.body_size);
	assert_memory_equal(loaded->tcb_info.signature, coll->tcb_info.signature, 64);
	assert_int_equal(loaded->pck_crl_size, coll->pck_crl_size);
	assert_memory_equal(loaded->pck_crl, coll->pck_crl, coll->pck_crl_size);
	assert_string_equal(loaded->qe_identity_chain, coll->qe_identity_chain);
	assert_null(loaded->pck_chain);

	assert_int_equal(verify(platform, quote, size, loaded, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);

	free(bundle);
	ratls_sim_free(quote);
	ratls_collateral_free(loaded);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
}

/* The tcbInfo object starts with Intel's keys in Intel's order. */
static const char tdx_tcb_info_prefix[] =
	"{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-12-31T23:00:00Z\","
	"\"nextUpdate\":\"2026-01-31T00:00:00Z\",\"fmspc\":\"53494d000000\",\"pceId\":\"0000\","
	"\"tcbType\":0,\"tcbEvaluationDataNumber\":18,\"tdxModule\":{\"mrsigner\":\"000000";

static const char td_qe_identity_prefix[] =
	"{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"2025-12-31T23:00:00Z\","
	"\"nextUpdate\":\"2026-01-31T00:00:00Z\",\"tcbEvaluationDataNumber\":18,"
	"\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
	"\"attributes\":\"11000000000000000000000000000000\","
	"\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
	"\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\","
	"\"isvprodid\":2,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},";

static void pcs_bodies_load_through_setters(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *coll = ratls_collateral_new();
	struct ratls_detail detail = {0};
	uint8_t *body = NULL;
	size_t body_size = 0;

	(void)state;
	assert_non_null(coll);
	assert_int_equal(ratls_sim_platform_tcb_info(platform, RATLS_SIM_TEE_TDX, TEST_NOW, &body,
						     &body_size, &detail),
			 RATLS_OK);
	assert_int_equal(strlen((const char *)body), body_size);
	assert_memory_equal(body, "{\"tcbInfo\":{", 12);
	assert_non_null(strstr((const char *)body, "},\"signature\":\""));
	assert_memory_equal(body + body_size - 2, "\"}", 2);
	assert_int_equal(ratls_collateral_set_tcb_info(coll, body, body_size, &detail), RATLS_OK);
	assert_true(coll->tcb_info.body_size > sizeof(tdx_tcb_info_prefix));
	assert_memory_equal(coll->tcb_info.body, tdx_tcb_info_prefix,
			    sizeof(tdx_tcb_info_prefix) - 1);
	/* The body embeds the signed object verbatim. */
	assert_memory_equal(body + 11, coll->tcb_info.body, coll->tcb_info.body_size);
	ratls_sim_free(body);

	assert_int_equal(ratls_sim_platform_qe_identity(platform, RATLS_SIM_TEE_TDX, TEST_NOW,
							&body, &body_size, &detail),
			 RATLS_OK);
	assert_memory_equal(body, "{\"enclaveIdentity\":{", 20);
	assert_int_equal(ratls_collateral_set_qe_identity(coll, body, body_size, &detail),
			 RATLS_OK);
	assert_memory_equal(coll->qe_identity.body, td_qe_identity_prefix,
			    sizeof(td_qe_identity_prefix) - 1);
	ratls_sim_free(body);

	/* The SGX flavour names the QE identity "QE" and the TCB info "SGX". */
	assert_int_equal(ratls_sim_platform_qe_identity(platform, RATLS_SIM_TEE_SGX, TEST_NOW,
							&body, &body_size, &detail),
			 RATLS_OK);
	assert_memory_equal(body, "{\"enclaveIdentity\":{\"id\":\"QE\",", 30);
	ratls_sim_free(body);
	assert_int_equal(ratls_sim_platform_tcb_info(platform, RATLS_SIM_TEE_SGX, TEST_NOW, &body,
						     &body_size, &detail),
			 RATLS_OK);
	assert_memory_equal(body, "{\"tcbInfo\":{\"id\":\"SGX\",", 23);
	assert_null(strstr((const char *)body, "tdx"));
	ratls_sim_free(body);

	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
}

static void pcs_headers_are_url_encoded_pem(void **state)
{
	static const enum ratls_sim_pcs_header headers[] = {
		RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN,
		RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN,
		RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN,
	};
	static const enum ratls_chain_slot slots[] = {
		RATLS_CHAIN_TCB_INFO,
		RATLS_CHAIN_QE_IDENTITY,
		RATLS_CHAIN_PCK_CRL,
	};
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *reference =
		issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_collateral *coll = ratls_collateral_new();
	const char *expected[3];

	(void)state;
	assert_non_null(coll);
	expected[0] = reference->tcb_info_chain;
	expected[1] = reference->qe_identity_chain;
	expected[2] = reference->pck_crl_chain;
	assert_string_equal(ratls_sim_pcs_header_name(headers[0]), "TCB-Info-Issuer-Chain");
	assert_string_equal(ratls_sim_pcs_header_name(headers[1]),
			    "SGX-Enclave-Identity-Issuer-Chain");
	assert_string_equal(ratls_sim_pcs_header_name(headers[2]), "SGX-PCK-CRL-Issuer-Chain");
	assert_null(ratls_sim_pcs_header_name((enum ratls_sim_pcs_header)99));

	for (size_t i = 0; i < 3; i++) {
		struct ratls_detail detail = {0};
		char *value = NULL;
		size_t len = 0;

		assert_int_equal(ratls_sim_platform_pcs_header(platform, headers[i], &value, &len,
							       &detail),
				 RATLS_OK);
		assert_int_equal(strlen(value), len);
		assert_memory_equal(value, "-----BEGIN%20CERTIFICATE-----%0A", 32);
		assert_null(strchr(value, '\n'));
		assert_null(strchr(value, ' '));
		assert_null(strchr(value, '+'));
		assert_null(strchr(value, '/'));
		assert_int_equal(ratls_collateral_set_chain(coll, slots[i], (const uint8_t *)value,
							    len, &detail),
				 RATLS_OK);
		ratls_sim_free(value);
	}
	assert_string_equal(coll->tcb_info_chain, expected[0]);
	assert_string_equal(coll->qe_identity_chain, expected[1]);
	assert_string_equal(coll->pck_crl_chain, expected[2]);
	assert_string_not_equal(expected[0], expected[2]);

	ratls_collateral_free(coll);
	ratls_collateral_free(reference);
	ratls_sim_platform_free(platform);
}

static void url_encode_escapes_like_pcs(void **state)
{
	char *out = NULL;
	size_t len = 0;
	char *big;

	(void)state;
	assert_int_equal(ratls_sim_url_encode("a-Z_0.~ +/=\n%", 13, &out, &len, NULL), RATLS_OK);
	assert_string_equal(out, "a-Z_0.~%20%2B%2F%3D%0A%25");
	assert_int_equal(len, strlen(out));
	ratls_sim_free(out);

	big = malloc(RATLS_CHAIN_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, 'A', RATLS_CHAIN_MAX_SIZE + 1);
	assert_int_equal(ratls_sim_url_encode(big, RATLS_CHAIN_MAX_SIZE + 1, &out, &len, NULL),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_int_equal(ratls_sim_url_encode(big, RATLS_CHAIN_MAX_SIZE, &out, &len, NULL),
			 RATLS_OK);
	assert_int_equal(len, RATLS_CHAIN_MAX_SIZE);
	ratls_sim_free(out);
	free(big);
}

/* Returns json with a space after every comma and a newline before the last brace. */
static char *spread_json(const char *json)
{
	size_t len = strlen(json);
	char *out = malloc(2 * len + 2);
	size_t n = 0;

	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		if (i == len - 1)
			out[n++] = '\n';
		out[n++] = json[i];
		if (json[i] == ',')
			out[n++] = ' ';
	}
	out[n] = '\0';
	return out;
}

static void sign_json_keeps_bytes_verbatim(void **state)
{
	static const char invalid_identity[] = "{ \"id\" : \"TD_QE\" ,\n \"version\": 2 }";
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	const struct ratls_sim_cert *signer =
		ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_TCB_SIGNING);
	struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_sim_qe_identity_params identity;
	struct ratls_dcap_options options = {0};
	struct ratls_detail detail = {0};
	char *compact = NULL;
	char *spread;
	uint8_t *root = NULL;
	size_t root_size = 0;
	uint8_t *body = NULL;
	size_t body_size = 0;
	uint8_t *big;

	(void)state;
	ratls_sim_qe_identity_defaults(&identity, RATLS_QE_IDENTITY_TD_QE, TEST_NOW);
	assert_int_equal(ratls_sim_qe_identity_json(&identity, &compact, NULL, &detail), RATLS_OK);
	spread = spread_json(compact);
	assert_int_equal(ratls_sim_sign_json(signer, "enclaveIdentity", (const uint8_t *)spread,
					     strlen(spread), &body, &body_size, &detail),
			 RATLS_OK);
	assert_int_equal(ratls_collateral_set_qe_identity(coll, body, body_size, &detail),
			 RATLS_OK);
	assert_int_equal(coll->qe_identity.body_size, strlen(spread));
	assert_memory_equal(coll->qe_identity.body, spread, strlen(spread));
	ratls_sim_free(body);

	/* The signature covers the bytes as given, spaces included. */
	assert_int_equal(ratls_sim_platform_root_der(platform, &root, &root_size, NULL), RATLS_OK);
	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	assert_int_equal(ratls_dcap_check_signed_json(NULL, &coll->qe_identity,
						      coll->qe_identity_chain, coll->root_crl,
						      coll->root_crl_size, TEST_NOW, &options,
						      &detail),
			 RATLS_OK);
	coll->qe_identity.body[coll->qe_identity.body_size - 2] = ' '; /* the newline */
	assert_int_equal(ratls_dcap_check_signed_json(NULL, &coll->qe_identity,
						      coll->qe_identity_chain, coll->root_crl,
						      coll->root_crl_size, TEST_NOW, &options,
						      &detail),
			 RATLS_ERR_COLLATERAL_SIGNATURE);

	/* Invalid documents are signed too; the collateral setter is what rejects them. */
	assert_int_equal(ratls_sim_sign_json(signer, "enclaveIdentity",
					     (const uint8_t *)invalid_identity,
					     strlen(invalid_identity), &body, &body_size, &detail),
			 RATLS_OK);
	assert_non_null(strstr((const char *)body, invalid_identity));
	memset(&detail, 0, sizeof(detail));
	assert_int_equal(ratls_collateral_set_qe_identity(coll, body, body_size, &detail),
			 RATLS_ERR_MALFORMED);
	ratls_sim_free(body);

	assert_int_equal(ratls_sim_sign_json(signer, "enclave\"Identity", (const uint8_t *)"{}", 2,
					     &body, &body_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_sim_sign_json(signer, "", (const uint8_t *)"{}", 2, &body,
					     &body_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	big = calloc(1, RATLS_COLLATERAL_JSON_MAX_SIZE + 1);
	assert_non_null(big);
	assert_int_equal(ratls_sim_sign_json(signer, "tcbInfo", big,
					     RATLS_COLLATERAL_JSON_MAX_SIZE + 1, &body, &body_size,
					     NULL),
			 RATLS_ERR_LIMIT_EXCEEDED);
	free(big);

	free(spread);
	ratls_sim_free(compact);
	ratls_sim_free(root);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
}

/* ---- parameters are honoured ---- */

static void chosen_fmspc_reaches_cert_and_tcb_info(void **state)
{
	static const uint8_t fmspc[6] = {0x90, 0xc0, 0x6f, 0x00, 0x12, 0x34};
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_collateral *coll;
	struct ratls_tcb_info *info = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	memcpy(params->pck.pck.fmspc, fmspc, 6);
	memcpy(params->tdx_tcb_info.fmspc, fmspc, 6);
	platform = new_platform_with(params);
	coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	assert_int_equal(ratls_tcb_info_parse(coll->tcb_info.body, coll->tcb_info.body_size, &info,
					      &detail),
			 RATLS_OK);
	assert_memory_equal(info->fmspc, fmspc, 6);
	ratls_tcb_info_free(info);

	issue_quote(platform, NULL, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	assert_memory_equal(report.pck.fmspc, fmspc, 6);
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);

	/* Only the certificate changed: the TCB info belongs to another platform. */
	memcpy(params->tdx_tcb_info.fmspc, default_fmspc, 6);
	platform = new_platform_with(params);
	coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	issue_quote(platform, NULL, &quote, &size);
	memset(&detail, 0, sizeof(detail));
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_COLLATERAL_MISMATCH);
	assert_non_null(strstr(detail.message, "90c06f001234"));
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
	free(params);
}

static void revoked_pck_serial_fails(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform = new_platform_with(params);
	struct ratls_sim_serial serial;
	struct ratls_collateral *coll;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	/* Serials derive from the key, so a platform from the same seed has the same one. */
	ratls_sim_cert_get_serial(ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PCK),
				  &serial);
	assert_int_equal(serial.size, RATLS_SIM_SERIAL_MAX_SIZE);
	ratls_sim_platform_free(platform);

	/* Another serial in the CRL leaves the PCK certificate valid. */
	params->pck_crl.revoked[0] = serial;
	params->pck_crl.revoked[0].bytes[19] ^= 1;
	params->pck_crl.revoked_count = 1;
	platform = new_platform_with(params);
	coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	issue_quote(platform, NULL, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);

	params->pck_crl.revoked[1] = serial;
	params->pck_crl.revoked_count = 2;
	platform = new_platform_with(params);
	coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	issue_quote(platform, NULL, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_CERT_REVOKED);
	assert_non_null(strstr(detail.message, "revokes the PCK certificate"));
	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
	free(params);
}

static void revoked_signing_cert_fails(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform = new_platform_with(params);
	struct ratls_detail detail = {0};

	(void)state;
	ratls_sim_cert_get_serial(ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_TCB_SIGNING),
				  &params->root_crl.revoked[0]);
	params->root_crl.revoked_count = 1;
	ratls_sim_platform_free(platform);

	platform = new_platform_with(params);
	assert_int_equal(verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, NULL, &detail),
			 RATLS_ERR_CERT_REVOKED);
	assert_non_null(strstr(detail.message, "Intel SGX TCB Signing"));
	ratls_sim_platform_free(platform);
	free(params);
}

static void processor_ca_platform_verifies(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char *pem = NULL;

	(void)state;
	params->pck_issuer = RATLS_SIM_CERT_PROCESSOR_CA;
	params->pck.pck.has_platform_instance_id = false;
	params->pck.pck.has_configuration = false;
	platform = new_platform_with(params);
	assert_int_equal(ratls_sim_platform_pck_chain_pem(platform, &pem, NULL, &detail), RATLS_OK);
	assert_int_equal(
		verify_default(platform, RATLS_SIM_QUOTE_SGX_V3, TEST_NOW, &report, &detail),
		RATLS_OK);
	assert_false(report.pck_from_platform_ca);
	assert_false(report.pck.has_platform_instance_id);
	assert_false(report.pck.has_configuration);
	ratls_sim_free(pem);
	ratls_sim_platform_free(platform);

	params->pck_issuer = RATLS_SIM_CERT_ROOT_CA;
	platform = NULL;
	assert_int_equal(ratls_sim_platform_new_with(seed_a, sizeof(seed_a), params, &platform,
						     &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(platform);
	free(params);
}

static void sgx_tcb_info_version_2_verifies(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_collateral *coll;
	struct ratls_tcb_info *info = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	params->sgx_tcb_info.version = 2;
	platform = new_platform_with(params);
	coll = issue_collateral(platform, RATLS_SIM_TEE_SGX, TEST_NOW);
	assert_false(contains(coll->tcb_info.body, coll->tcb_info.body_size, "\"id\""));
	assert_true(contains(coll->tcb_info.body, coll->tcb_info.body_size,
			     "\"tcb\":{\"sgxtcbcomp01svn\":3,\"sgxtcbcomp02svn\":3,"));
	assert_int_equal(ratls_tcb_info_parse(coll->tcb_info.body, coll->tcb_info.body_size, &info,
					      &detail),
			 RATLS_OK);
	assert_int_equal(info->version, 2);
	assert_int_equal(info->level_count, 2);
	assert_int_equal(info->levels[1].status, RATLS_TCB_OUT_OF_DATE);
	ratls_tcb_info_free(info);
	assert_int_equal(
		verify_default(platform, RATLS_SIM_QUOTE_SGX_V3, TEST_NOW, &report, &detail),
		RATLS_OK);
	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);

	/* A TDX quote needs version 3 TDX TCB info; version 2 is a mismatch. */
	params->tdx_tcb_info.version = 2;
	platform = new_platform_with(params);
	assert_int_equal(
		verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, &report, &detail),
		RATLS_ERR_COLLATERAL_MISMATCH);
	ratls_sim_platform_free(platform);
	free(params);
}

static void lower_pck_svn_is_out_of_date(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	params->pck.pck.tcb_comp_svn[0] = 2; /* matches only the OutOfDate level */
	platform = new_platform_with(params);
	assert_int_equal(
		verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, &report, &detail),
		RATLS_OK);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(report.status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(report.advisory_count, 1);
	assert_string_equal(report.advisory_ids[0], "SIM-SA-00001");
	ratls_sim_platform_free(platform);

	params->pck.pck.tcb_comp_svn[0] = 1; /* below every level */
	platform = new_platform_with(params);
	assert_int_equal(
		verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, &report, &detail),
		RATLS_ERR_TCB_NOT_SUPPORTED);
	ratls_sim_platform_free(platform);
	free(params);
}

static void pck_extension_round_trips(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_pck_info parsed;
	struct ratls_detail detail = {0};
	const ASN1_OCTET_STRING *value;
	uint8_t *der = NULL;
	size_t der_size = 0;
	const unsigned char *p;
	ASN1_OBJECT *oid;
	X509 *x;
	int index;
	static const uint8_t zero[16];

	(void)state;
	params->pck.pck.tcb_comp_svn[4] = 255; /* DER needs a leading zero byte for it */
	params->pck.pck.pce_svn = 0x1234;
	params->pck.pck.sgx_type = 2;
	params->pck.pck.smt_enabled = false;
	platform = new_platform_with(params);
	assert_int_equal(
		ratls_sim_cert_der(ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PCK), &der,
				   &der_size, NULL),
		RATLS_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)der_size);
	assert_non_null(x);
	assert_ptr_equal(p, der + der_size);
	oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
	assert_non_null(oid);
	index = X509_get_ext_by_OBJ(x, oid, -1);
	ASN1_OBJECT_free(oid);
	assert_true(index >= 0);
	assert_false(X509_EXTENSION_get_critical(X509_get_ext(x, index)));
	value = X509_EXTENSION_get_data(X509_get_ext(x, index));
	assert_int_equal(ratls_pck_info_parse(ASN1_STRING_get0_data(value),
					      (size_t)ASN1_STRING_length(value), &parsed, &detail),
			 RATLS_OK);
	assert_memory_equal(parsed.tcb_comp_svn, params->pck.pck.tcb_comp_svn, 16);
	assert_int_equal(parsed.pce_svn, 0x1234);
	assert_memory_equal(parsed.cpu_svn, params->pck.pck.cpu_svn, 16);
	assert_memory_equal(parsed.fmspc, default_fmspc, 6);
	assert_int_equal(parsed.sgx_type, 2);
	assert_memory_not_equal(parsed.ppid, zero, 16);
	assert_true(parsed.has_platform_instance_id);
	assert_memory_not_equal(parsed.platform_instance_id, zero, 16);
	assert_true(parsed.has_configuration);
	assert_true(parsed.dynamic_platform);
	assert_true(parsed.cached_keys);
	assert_false(parsed.smt_enabled);

	/* Intel's shape: critical key usage and basic constraints, both key identifiers. */
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(X509_get_extension_flags(x) & EXFLAG_KUSAGE);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_false(X509_get_extension_flags(x) & EXFLAG_CRITICAL);
	X509_free(x);
	ratls_sim_free(der);
	ratls_sim_platform_free(platform);
	free(params);
}

static void cert_names_say_simulated(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	char text[512];

	(void)state;
	for (int kind = RATLS_SIM_CERT_ROOT_CA; kind <= RATLS_SIM_CERT_PCK; kind++) {
		uint8_t *der = NULL;
		size_t der_size = 0;
		const unsigned char *p;
		X509 *x;

		assert_int_equal(ratls_sim_cert_der(ratls_sim_platform_get_cert(platform, kind),
						    &der, &der_size, NULL),
				 RATLS_OK);
		p = der;
		x = d2i_X509(NULL, &p, (long)der_size);
		assert_non_null(x);
		X509_NAME_oneline(X509_get_subject_name(x), text, sizeof(text));
		assert_non_null(strstr(text, "OU=Simulated platform, not issued by Intel"));
		if (kind == RATLS_SIM_CERT_ROOT_CA) {
			assert_non_null(strstr(text, "CN=Simulated SGX Root CA"));
			assert_int_equal(X509_check_issued(x, x), X509_V_OK);
		}
		if (kind == RATLS_SIM_CERT_PLATFORM_CA)
			assert_non_null(strstr(text, "CN=Intel SGX PCK Platform CA"));
		if (kind == RATLS_SIM_CERT_PCK)
			assert_non_null(strstr(text, "CN=Intel SGX PCK Certificate"));
		X509_free(x);
		ratls_sim_free(der);
	}
	ratls_sim_platform_free(platform);
}

/* ---- time ---- */

static void collateral_window_follows_now(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_collateral *later;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;
	const int64_t day = 86400;

	(void)state;
	issue_quote(platform, NULL, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW + 29 * day, true, &report,
				&detail),
			 RATLS_OK);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW + 31 * day, true, &report,
				&detail),
			 RATLS_ERR_COLLATERAL_EXPIRED);
	memset(&detail, 0, sizeof(detail));
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW - 2 * 3600, true, &report,
				&detail),
			 RATLS_ERR_COLLATERAL_NOT_YET_VALID);

	/* Collateral issued 40 days later keeps the same window around its own now. */
	later = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW + 40 * day);
	assert_int_equal(verify(platform, quote, size, later, TEST_NOW + 40 * day, true, &report,
				&detail),
			 RATLS_OK);
	assert_int_equal(report.valid_from, TEST_NOW + 40 * day - 3600);
	assert_int_equal(report.valid_until, TEST_NOW + 70 * day);
	assert_int_equal(verify(platform, quote, size, later, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_COLLATERAL_NOT_YET_VALID);

	ratls_sim_free(quote);
	ratls_collateral_free(coll);
	ratls_collateral_free(later);
	ratls_sim_platform_free(platform);
}

static void one_expired_cert_fails(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_detail detail = {0};

	(void)state;
	params->tcb_signing.not_after = TEST_NOW - 1;
	platform = new_platform_with(params);
	assert_int_equal(verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, NULL, &detail),
			 RATLS_ERR_COLLATERAL_EXPIRED);
	assert_non_null(strstr(detail.message, "Intel SGX TCB Signing"));
	ratls_sim_platform_free(platform);

	params->tcb_signing.not_after = TEST_NOW + 86400;
	params->pck.not_before = TEST_NOW + 60;
	platform = new_platform_with(params);
	memset(&detail, 0, sizeof(detail));
	assert_int_equal(verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, NULL, &detail),
			 RATLS_ERR_COLLATERAL_NOT_YET_VALID);
	assert_non_null(strstr(detail.message, "Intel SGX PCK Certificate"));
	ratls_sim_platform_free(platform);
	free(params);
}

/* ---- CRLs ---- */

static void crl_has_requested_fields(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	const struct ratls_sim_cert *ca =
		ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PLATFORM_CA);
	struct ratls_sim_crl_params params;
	struct ratls_detail detail = {0};
	uint8_t *der = NULL;
	size_t der_size = 0;
	const unsigned char *p;
	X509_CRL *crl;
	X509 *ca_x509;
	char *pem = NULL;
	size_t pem_len = 0;

	(void)state;
	assert_int_equal(ratls_sim_cert_der(ca, &der, &der_size, NULL), RATLS_OK);
	p = der;
	ca_x509 = d2i_X509(NULL, &p, (long)der_size);
	assert_non_null(ca_x509);
	ratls_sim_free(der);
	ratls_sim_crl_defaults(&params, TEST_NOW);
	params.revoked[0].bytes[0] = 0x01;
	params.revoked[0].bytes[1] = 0x02;
	params.revoked[0].size = 2;
	params.revoked[1].bytes[0] = 0x7f;
	params.revoked[1].size = 1;
	params.revoked_count = 2;
	params.crl_number = 42;
	assert_int_equal(ratls_sim_crl_issue(&params, ca, &der, &der_size, &detail), RATLS_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)der_size);
	assert_non_null(crl);
	assert_ptr_equal(p, der + der_size);
	assert_int_equal(X509_CRL_get_version(crl), 1);
	assert_non_null(X509_CRL_get0_nextUpdate(crl));
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_x509)),
			 0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_x509)), 1);
	{
		ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
		X509_REVOKED *entry = NULL;
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		ASN1_ENUMERATED *reason;

		assert_non_null(number);
		assert_int_equal(ASN1_INTEGER_get(number), 42);
		ASN1_INTEGER_free(number);
		assert_non_null(serial);
		assert_int_equal(ASN1_INTEGER_set(serial, 0x0102), 1);
		assert_int_equal(X509_CRL_get0_by_serial(crl, &entry, serial), 1);
		reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
		assert_non_null(reason);
		assert_int_equal(ASN1_ENUMERATED_get(reason), 1); /* keyCompromise */
		ASN1_ENUMERATED_free(reason);
		assert_int_equal(ASN1_INTEGER_set(serial, 0x0103), 1);
		assert_int_equal(X509_CRL_get0_by_serial(crl, &entry, serial), 0);
		ASN1_INTEGER_free(serial);
	}
	X509_CRL_free(crl);

	/* The collateral setter accepts it as DER and as PEM. */
	assert_int_equal(ratls_sim_pem_encode("X509 CRL", der, der_size, &pem, &pem_len, &detail),
			 RATLS_OK);
	assert_memory_equal(pem, "-----BEGIN X509 CRL-----\n", 25);
	{
		struct ratls_collateral *coll = ratls_collateral_new();

		assert_non_null(coll);
		assert_int_equal(ratls_collateral_set_crl(coll, RATLS_CRL_PCK, (const uint8_t *)pem,
							  pem_len, &detail),
				 RATLS_OK);
		assert_int_equal(coll->pck_crl_size, der_size);
		assert_memory_equal(coll->pck_crl, der, der_size);
		ratls_collateral_free(coll);
	}
	ratls_sim_free(pem);
	ratls_sim_free(der);

	/* The same parameters give the same to-be-signed bytes; only the signature differs. */
	{
		uint8_t *der1 = NULL, *der2 = NULL;
		size_t size1 = 0, size2 = 0;
		unsigned char *tbs1 = NULL, *tbs2 = NULL;
		int tbs1_len, tbs2_len;
		X509_CRL *crl1, *crl2;

		assert_int_equal(ratls_sim_crl_issue(&params, ca, &der1, &size1, NULL), RATLS_OK);
		assert_int_equal(ratls_sim_crl_issue(&params, ca, &der2, &size2, NULL), RATLS_OK);
		p = der1;
		crl1 = d2i_X509_CRL(NULL, &p, (long)size1);
		p = der2;
		crl2 = d2i_X509_CRL(NULL, &p, (long)size2);
		assert_non_null(crl1);
		assert_non_null(crl2);
		tbs1_len = i2d_re_X509_CRL_tbs(crl1, &tbs1);
		tbs2_len = i2d_re_X509_CRL_tbs(crl2, &tbs2);
		assert_true(tbs1_len > 0);
		assert_int_equal(tbs1_len, tbs2_len);
		assert_memory_equal(tbs1, tbs2, (size_t)tbs1_len);
		assert_true(size1 != size2 || memcmp(der1, der2, size1) != 0);
		OPENSSL_free(tbs1);
		OPENSSL_free(tbs2);
		X509_CRL_free(crl1);
		X509_CRL_free(crl2);
		ratls_sim_free(der1);
		ratls_sim_free(der2);
	}

	/* Out-of-range parameters are rejected, not truncated. */
	params.revoked_count = RATLS_SIM_CRL_REVOKED_MAX + 1;
	assert_int_equal(ratls_sim_crl_issue(&params, ca, &der, &der_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	params.revoked_count = 1;
	params.revoked[0].size = RATLS_SIM_SERIAL_MAX_SIZE + 1;
	assert_int_equal(ratls_sim_crl_issue(&params, ca, &der, &der_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	params.revoked[0].size = 0;
	assert_int_equal(ratls_sim_crl_issue(&params, ca, &der, &der_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	params.revoked_count = 0;
	params.version = 2;
	assert_int_equal(ratls_sim_crl_issue(&params, ca, &der, &der_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	X509_free(ca_x509);
	ratls_sim_platform_free(platform);
}

static void crl_without_next_update_is_rejected(void **state)
{
	struct ratls_sim_platform_params *params = default_params();
	struct ratls_sim_platform *platform;
	struct ratls_detail detail = {0};

	(void)state;
	params->pck_crl.omit_next_update = true;
	platform = new_platform_with(params);
	assert_int_equal(verify_default(platform, RATLS_SIM_QUOTE_TDX_V4, TEST_NOW, NULL, &detail),
			 RATLS_ERR_CRL_INVALID);
	assert_non_null(strstr(detail.message, "nextUpdate"));
	ratls_sim_platform_free(platform);
	free(params);
}

/* ---- quote writer limits and bindings ---- */

static void quote_parts_are_bounded(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_sim_quote_params params;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;
	uint8_t *auth;

	(void)state;
	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	auth = calloc(1, UINT16_MAX + 1);
	assert_non_null(auth);
	params.qe_auth_data = auth;
	params.qe_auth_data_size = UINT16_MAX + 1;
	assert_int_equal(ratls_sim_platform_quote(platform, &params, &quote, &size, &detail),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_null(quote);

	/* The largest auth data still fits, and the quote still verifies. */
	params.qe_auth_data_size = UINT16_MAX;
	assert_int_equal(ratls_sim_platform_quote(platform, &params, &quote, &size, &detail),
			 RATLS_OK);
	{
		struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX,
								 TEST_NOW);
		struct ratls_verified_report report;

		assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report,
					&detail),
				 RATLS_OK);
		ratls_collateral_free(coll);
	}
	ratls_sim_free(quote);
	quote = NULL;
	free(auth);

	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	params.trailing_zero_bytes = RATLS_SIM_QUOTE_MAX_SIZE;
	assert_int_equal(ratls_sim_platform_quote(platform, &params, &quote, &size, &detail),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_null(quote);
	params.trailing_zero_bytes = RATLS_SIM_QUOTE_MAX_SIZE + 1;
	assert_int_equal(ratls_sim_platform_quote(platform, &params, &quote, &size, &detail),
			 RATLS_ERR_LIMIT_EXCEEDED);

	/* Without keys the standalone writer refuses to produce an unsigned quote. */
	ratls_sim_quote_defaults(&params, RATLS_SIM_QUOTE_TDX_V4);
	assert_int_equal(ratls_sim_quote_issue(&params, &quote, &size, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_sim_platform_free(platform);
}

static void quote_layout_matches_parser(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	char *chain = NULL;
	size_t chain_len = 0;

	(void)state;
	assert_int_equal(ratls_sim_platform_pck_chain_pem(platform, &chain, &chain_len, NULL),
			 RATLS_OK);
	for (size_t i = 0; i < FORMAT_COUNT; i++) {
		struct ratls_sim_quote_params params;
		struct ratls_quote q;
		struct ratls_detail detail = {0};
		uint8_t *quote = NULL;
		size_t size = 0;
		const uint8_t *pem = NULL;
		size_t pem_size = 0;

		ratls_sim_platform_quote_defaults(platform, all_formats[i], &params);
		params.trailing_zero_bytes = 70;
		issue_quote(platform, &params, &quote, &size);
		assert_int_equal(ratls_quote_parse(quote, size, &q, &detail), RATLS_OK);
		assert_int_equal(q.version, params.header.version);
		assert_int_equal(q.trailing_size, 70);
		assert_true(q.trailing_all_zero);
		assert_true(q.has_qe_report);
		assert_int_equal(q.qe_auth_data_size, 32);
		assert_int_equal(q.qe_report.isv_svn, params.qe_report.isv_svn);
		assert_int_equal(q.pck_cert_data_type, RATLS_CERT_PCK_CHAIN);
		if (q.version != 3)
			assert_int_equal(q.cert_data_type, RATLS_CERT_QE_REPORT);
		assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, &detail), RATLS_OK);
		/* The chain is carried with its terminating NUL, as real quotes do. */
		assert_int_equal(pem_size, chain_len + 1);
		assert_memory_equal(pem, chain, chain_len + 1);

		/* Every truncation fails to parse. */
		for (size_t cut = 0; cut < size - 70; cut += 97) {
			struct ratls_quote tq;

			assert_int_not_equal(ratls_quote_parse(quote, cut, &tq, NULL), RATLS_OK);
		}
		assert_int_not_equal(ratls_quote_parse(quote, size - 71, &q, NULL), RATLS_OK);
		ratls_sim_free(quote);
	}
	ratls_sim_free(chain);
	ratls_sim_platform_free(platform);
}

static void qe_binding_and_signer_are_checked(void **state)
{
	struct ratls_sim_platform *platform = new_platform(seed_a, sizeof(seed_a));
	struct ratls_collateral *coll = issue_collateral(platform, RATLS_SIM_TEE_TDX, TEST_NOW);
	struct ratls_sim_quote_params params;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	size_t size = 0;

	(void)state;
	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	params.qe_report_data_as_given = true; /* all-zero report data: no binding */
	issue_quote(platform, &params, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_QE_REPORT_BINDING);
	ratls_sim_free(quote);

	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	params.qe_report_signer = ratls_sim_platform_attestation_key(platform);
	issue_quote(platform, &params, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_ERR_QE_REPORT_SIGNATURE);
	ratls_sim_free(quote);

	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	params.qe_auth_data = NULL;
	params.qe_auth_data_size = 0;
	issue_quote(platform, &params, &quote, &size);
	assert_int_equal(verify(platform, quote, size, coll, TEST_NOW, true, &report, &detail),
			 RATLS_OK);
	ratls_sim_free(quote);

	ratls_collateral_free(coll);
	ratls_sim_platform_free(platform);
}

static void parameter_capacities_are_enforced(void **state)
{
	struct ratls_sim_tcb_info_params tcb;
	struct ratls_sim_qe_identity_params qe;
	char *json = NULL;
	size_t json_size = 0;

	(void)state;
	ratls_sim_tcb_info_defaults(&tcb, RATLS_TCB_INFO_TDX, TEST_NOW);
	tcb.level_count = RATLS_SIM_TCB_LEVELS_MAX + 1;
	assert_int_equal(ratls_sim_tcb_info_json(&tcb, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	tcb.level_count = 2;
	tcb.levels[0].advisory_count = RATLS_SIM_ADVISORIES_MAX + 1;
	assert_int_equal(ratls_sim_tcb_info_json(&tcb, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	tcb.levels[0].advisory_count = 0;
	tcb.module_identities[0].level_count = RATLS_SIM_ISV_LEVELS_MAX + 1;
	assert_int_equal(ratls_sim_tcb_info_json(&tcb, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	tcb.module_identities[0].level_count = 2;
	memset(tcb.module_identities[0].id, 'X', sizeof(tcb.module_identities[0].id));
	assert_int_equal(ratls_sim_tcb_info_json(&tcb, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	ratls_sim_qe_identity_defaults(&qe, RATLS_QE_IDENTITY_QE, TEST_NOW);
	qe.level_count = RATLS_SIM_ISV_LEVELS_MAX + 1;
	assert_int_equal(ratls_sim_qe_identity_json(&qe, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	qe.level_count = 1;
	memset(qe.levels[0].advisory_ids[0], 'A', RATLS_SIM_ADVISORY_ID_SIZE);
	qe.levels[0].advisory_count = 1;
	assert_int_equal(ratls_sim_qe_identity_json(&qe, &json, &json_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quotes_verify_with_test_root),
		cmocka_unit_test(quotes_fail_without_test_root),
		cmocka_unit_test(quotes_fail_with_other_seed_root),
		cmocka_unit_test(td_quote_sets_measurements),
		cmocka_unit_test(same_seed_gives_same_pki),
		cmocka_unit_test(key_derivation_known_answer),
		cmocka_unit_test(key_derivation_separates_labels),
		cmocka_unit_test(key_derivation_rejects_bad_input),
		cmocka_unit_test(tcb_info_json_is_reproducible),
		cmocka_unit_test(collateral_bundle_round_trip),
		cmocka_unit_test(pcs_bodies_load_through_setters),
		cmocka_unit_test(pcs_headers_are_url_encoded_pem),
		cmocka_unit_test(url_encode_escapes_like_pcs),
		cmocka_unit_test(sign_json_keeps_bytes_verbatim),
		cmocka_unit_test(chosen_fmspc_reaches_cert_and_tcb_info),
		cmocka_unit_test(revoked_pck_serial_fails),
		cmocka_unit_test(revoked_signing_cert_fails),
		cmocka_unit_test(processor_ca_platform_verifies),
		cmocka_unit_test(sgx_tcb_info_version_2_verifies),
		cmocka_unit_test(lower_pck_svn_is_out_of_date),
		cmocka_unit_test(pck_extension_round_trips),
		cmocka_unit_test(cert_names_say_simulated),
		cmocka_unit_test(collateral_window_follows_now),
		cmocka_unit_test(one_expired_cert_fails),
		cmocka_unit_test(crl_has_requested_fields),
		cmocka_unit_test(crl_without_next_update_is_rejected),
		cmocka_unit_test(quote_parts_are_bounded),
		cmocka_unit_test(quote_layout_matches_parser),
		cmocka_unit_test(qe_binding_and_signer_are_checked),
		cmocka_unit_test(parameter_capacities_are_enforced),
	};

	ratls_set_log_callback(count_warnings, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
