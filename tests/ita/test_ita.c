/*
 * Tests of the Intel Trust Authority backend against a local look-alike of
 * ITA (ita_server.c) that builds tokens from the simulated platform's
 * quotes: the happy paths in both claim layouts, each way a token can be
 * wrong, HTTP failures and retries, the JWKS cache and x5c chains, the
 * strict JWT and JWKS parsers, and the full ratls_verify_cert path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ita/ita_internal.h"
#include "ita_server.h"
#include "ratls/attest.h"
#include "ratls/evidence.h"
#include "ratls/ita.h"
#include "ratls/log.h"
#include "ratls/policy.h"
#include "ratls/sim.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define SEED "ratls ita test seed"

struct fixture {
	struct ratls_sim_platform *platform;
	struct ita_server *server;
	uint8_t *quote;
	size_t quote_size;
	uint8_t *other_quote; /* another report_data */
	size_t other_quote_size;
	uint8_t *sgx_quote;
	size_t sgx_quote_size;
};

static struct fixture fx;
static int warnings;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)message;
	(void)arg;
	if (level == RATLS_LOG_WARNING)
		warnings++;
}

static int make_quote(uint8_t fill, bool debug, uint8_t **quote, size_t *size)
{
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(fx.platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memset(params.td.report_data, fill, 64);
	if (debug)
		params.td.td_attributes[0] |= 0x01;
	return ratls_sim_platform_quote(fx.platform, &params, quote, size, NULL);
}

static int setup(void **state)
{
	struct ratls_sim_quote_params params;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	ratls_set_log_callback(count_warnings, NULL);
	if (ratls_sim_platform_new((const uint8_t *)SEED, strlen(SEED), NOW, &fx.platform, NULL) !=
		    RATLS_OK ||
	    make_quote(0x5a, false, &fx.quote, &fx.quote_size) != RATLS_OK ||
	    make_quote(0xa5, false, &fx.other_quote, &fx.other_quote_size) != RATLS_OK)
		return -1;
	ratls_sim_platform_quote_defaults(fx.platform, RATLS_SIM_QUOTE_SGX_V3, &params);
	if (ratls_sim_platform_quote(fx.platform, &params, &fx.sgx_quote, &fx.sgx_quote_size,
				     NULL) != RATLS_OK)
		return -1;
	fx.server = ita_server_start(NOW);
	return fx.server != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ita_server_stop(fx.server);
	ratls_sim_free(fx.quote);
	ratls_sim_free(fx.other_quote);
	ratls_sim_free(fx.sgx_quote);
	ratls_sim_platform_free(fx.platform);
	ratls_set_log_callback(NULL, NULL);
	return 0;
}

/* Restores the server's defaults before each test. */
static int reset(void **state)
{
	(void)state;
	ita_server_set_fault(fx.server, ITA_FAULT_NONE);
	ita_server_set_layout(fx.server, ITA_LAYOUT_V2);
	ita_server_set_tcb_status(fx.server, "UpToDate");
	ita_server_set_x5c(fx.server, false);
	ita_server_set_now(fx.server, NOW);
	warnings = 0;
	return 0;
}

/* ---- helpers ---- */

static void server_options(struct ratls_ita_options *options)
{
	ratls_ita_options_init(options);
	options->api_key = ITA_SERVER_API_KEY;
	options->base_url = ita_server_url(fx.server);
	options->jwks_url = ita_server_jwks_url(fx.server);
	options->retry_delay_ms = 10;
	options->timeout_ms = 5000;
}

static struct ratls_ita_client *new_client(const struct ratls_ita_options *options)
{
	struct ratls_detail detail = {0};
	struct ratls_ita_client *client = NULL;

	if (ratls_ita_client_new(options, &client, &detail) != RATLS_OK)
		fail_msg("ratls_ita_client_new: %s", detail.message);
	return client;
}

static struct ratls_ita_client *default_client(void)
{
	struct ratls_ita_options options;

	server_options(&options);
	return new_client(&options);
}

/* Verifies fx.quote at now with a new default client and returns the code. */
static int verify_at(int64_t now, struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_ita_client *client = default_client();
	int rc;

	ratls_detail_clear(detail);
	rc = ratls_ita_verify_quote(client, fx.quote, fx.quote_size, now, report, detail);
	ratls_ita_client_free(client);
	return rc;
}

/* Verifies with a fault set and checks the exact code. */
static void expect_fault(enum ita_fault fault, int code)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;
	int rc;

	ita_server_set_fault(fx.server, fault);
	rc = verify_at(NOW, &report, &detail);
	if (rc != code)
		fail_msg("fault %d: %s (%s), expected %s", (int)fault, ratls_error_name(rc),
			 detail.message, ratls_error_name(code));
}

static uint64_t elapsed_ms(const struct timespec *start)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	return (uint64_t)((end.tv_sec - start->tv_sec) * 1000 +
			  (end.tv_nsec - start->tv_nsec) / 1000000);
}

/* ---- happy paths ---- */

static void test_verify_v2_layout(void **state)
{
	struct ratls_ita_client *client = default_client();
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_quote parsed;
	char part[256];

	(void)state;
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	assert_int_equal(ratls_quote_parse(fx.quote, fx.quote_size, &parsed, NULL), RATLS_OK);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.body_type, RATLS_BODY_TD_REPORT10);
	assert_int_equal(report.quote_version, 4);
	assert_memory_equal(report.td.mr_td, parsed.td.mr_td, 48);
	assert_memory_equal(report.td.rtmr[3], parsed.td.rtmr[3], 48);
	assert_memory_equal(report.td.report_data, parsed.td.report_data, 64);
	assert_int_equal(report.advisory_count, 2);
	assert_string_equal(report.advisory_ids[0], "INTEL-SA-00960");
	assert_int_equal(report.valid_from, NOW);
	assert_int_equal(report.valid_until, NOW + 300);
	assert_string_equal(report.valid_until_source, "ITA token exp");
	assert_true(report.platform_tcb_date > 0);
	/* A JWKS URL other than Intel's is a custom root and warns. */
	assert_true(report.custom_root);
	assert_true(warnings > 0);

	ita_server_last(fx.server, ITA_PART_API_KEY, part, sizeof(part));
	assert_string_equal(part, ITA_SERVER_API_KEY);
	ita_server_last(fx.server, ITA_PART_PATH, part, sizeof(part));
	assert_string_equal(part, "/appraisal/v2/attest");
	ita_server_last(fx.server, ITA_PART_CONTENT_TYPE, part, sizeof(part));
	assert_string_equal(part, "application/json");
	ita_server_last(fx.server, ITA_PART_ACCEPT, part, sizeof(part));
	assert_string_equal(part, "application/json");
	ita_server_last(fx.server, ITA_PART_SIGNING_ALG, part, sizeof(part));
	assert_string_equal(part, "PS384");
	ita_server_last(fx.server, ITA_PART_REQUEST_ID, part, sizeof(part));
	assert_int_equal(strlen(part), 38);
	assert_memory_equal(part, "ratls-", 6);
	ratls_ita_client_free(client);
}

static void test_verify_v1_layout(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	ita_server_set_layout(fx.server, ITA_LAYOUT_V1);
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_OK);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.advisory_count, 2);
}

static void test_verify_v1_endpoint_rs256(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char part[64];

	(void)state;
	server_options(&options);
	options.api = RATLS_ITA_API_V1;
	options.token_signing_alg = RATLS_ITA_ALG_RS256;
	client = new_client(&options);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	ita_server_last(fx.server, ITA_PART_PATH, part, sizeof(part));
	assert_string_equal(part, "/appraisal/v1/attest");
	ita_server_last(fx.server, ITA_PART_SIGNING_ALG, part, sizeof(part));
	assert_string_equal(part, "RS256");
	ratls_ita_client_free(client);
}

static void test_verify_tcb_statuses(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	ita_server_set_tcb_status(fx.server, "OutOfDate");
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_OK);
	assert_int_equal(report.status, RATLS_TCB_OUT_OF_DATE);

	ita_server_set_tcb_status(fx.server, "Revoked");
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_ERR_TCB_REVOKED);
	assert_int_equal(report.status, RATLS_TCB_REVOKED);

	ita_server_set_tcb_status(fx.server, "OK");
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_ERR_TCB_STATUS);
	assert_non_null(strstr(detail.message, "\"OK\""));
}

/* ---- tokens that must fail ---- */

static void test_token_wrong_values(void **state)
{
	(void)state;
	expect_fault(ITA_FAULT_WRONG_REPORT_DATA, RATLS_ERR_KEY_BINDING);
	expect_fault(ITA_FAULT_WRONG_MRTD, RATLS_ERR_MEASUREMENT_MISMATCH);
	expect_fault(ITA_FAULT_DEBUG_CLAIM, RATLS_ERR_DEBUG);
	expect_fault(ITA_FAULT_WRONG_ISSUER, RATLS_ERR_UNTRUSTED_ROOT);
	ita_server_set_layout(fx.server, ITA_LAYOUT_V1);
	expect_fault(ITA_FAULT_WRONG_REPORT_DATA, RATLS_ERR_KEY_BINDING);
	expect_fault(ITA_FAULT_DEBUG_CLAIM, RATLS_ERR_DEBUG);
}

static void test_token_missing_claims(void **state)
{
	static const char *const required[] = {
		"tdx_mrtd",  "tdx_rtmr0", "tdx_rtmr1", "tdx_rtmr2", "tdx_rtmr3", "tdx_report_data",
		"attester_tcb_status", "debug", "iss", "exp", "nbf", "iat", "ver",
	};

	(void)state;
	for (int layout = ITA_LAYOUT_V1; layout <= ITA_LAYOUT_V2; layout++) {
		ita_server_set_layout(fx.server, (enum ita_layout)layout);
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
			struct ratls_verified_report report;
			struct ratls_detail detail;
			int rc;

			ita_server_set_missing_claim(fx.server, required[i]);
			ita_server_set_fault(fx.server, ITA_FAULT_MISSING_CLAIM);
			rc = verify_at(NOW, &report, &detail);
			if (rc != RATLS_ERR_MALFORMED)
				fail_msg("layout %d without %s: %s (%s)", layout, required[i],
					 ratls_error_name(rc), detail.message);
		}
	}
	/* A version 2 token without its "tdx" object, and one with flat claims only. */
	ita_server_set_missing_claim(fx.server, "tdx");
	expect_fault(ITA_FAULT_MISSING_CLAIM, RATLS_ERR_MALFORMED);
	expect_fault(ITA_FAULT_V2_FLAT, RATLS_ERR_MALFORMED);
}

static void test_token_times(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	expect_fault(ITA_FAULT_EXPIRED, RATLS_ERR_COLLATERAL_EXPIRED);
	expect_fault(ITA_FAULT_NOT_YET_VALID, RATLS_ERR_COLLATERAL_NOT_YET_VALID);
	/* exp is NOW + 300; the clock skew allows 60 seconds more and no further. */
	ita_server_set_fault(fx.server, ITA_FAULT_NONE);
	assert_int_equal(verify_at(NOW + 300 + RATLS_ITA_CLOCK_SKEW_SECONDS, &report, &detail),
			 RATLS_OK);
	assert_int_equal(verify_at(NOW + 301 + RATLS_ITA_CLOCK_SKEW_SECONDS, &report, &detail),
			 RATLS_ERR_COLLATERAL_EXPIRED);
	assert_int_equal(verify_at(NOW - RATLS_ITA_CLOCK_SKEW_SECONDS, &report, &detail), RATLS_OK);
	assert_int_equal(verify_at(NOW - RATLS_ITA_CLOCK_SKEW_SECONDS - 1, &report, &detail),
			 RATLS_ERR_COLLATERAL_NOT_YET_VALID);
}

static void test_token_signatures(void **state)
{
	(void)state;
	expect_fault(ITA_FAULT_WRONG_KID, RATLS_ERR_UNTRUSTED_ROOT);
	expect_fault(ITA_FAULT_ALG_NONE, RATLS_ERR_QUOTE_SIGNATURE);
	expect_fault(ITA_FAULT_ALG_HS256, RATLS_ERR_QUOTE_SIGNATURE);
	expect_fault(ITA_FAULT_BAD_SIGNATURE, RATLS_ERR_QUOTE_SIGNATURE);
}

static void test_token_jku_ignored(void **state)
{
	unsigned evil = ita_server_count(fx.server, ITA_EP_EVIL);

	(void)state;
	/* A good token that names another JWKS still verifies with the configured one. */
	expect_fault(ITA_FAULT_JKU_ELSEWHERE, RATLS_OK);
	/* A token signed by the key behind jku is rejected, and jku is never fetched. */
	expect_fault(ITA_FAULT_JKU_ATTACKER, RATLS_ERR_UNTRUSTED_ROOT);
	assert_int_equal(ita_server_count(fx.server, ITA_EP_EVIL), evil);
}

static void test_token_for_other_quote(void **state)
{
	struct ratls_ita_client *client = default_client();
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char *token = NULL;
	size_t token_len = 0;

	(void)state;
	assert_int_equal(ratls_ita_attest(client, fx.quote, fx.quote_size, &token, &token_len,
					  &detail),
			 RATLS_OK);
	assert_int_equal(ratls_ita_verify_token(client, token, token_len, fx.quote, fx.quote_size,
						NOW, &report, &detail),
			 RATLS_OK);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_verify_token(client, token, token_len, fx.other_quote,
						fx.other_quote_size, NOW, &report, &detail),
			 RATLS_ERR_KEY_BINDING);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_verify_token(client, token, token_len, fx.sgx_quote,
						fx.sgx_quote_size, NOW, &report, &detail),
			 RATLS_ERR_UNSUPPORTED_TEE_TYPE);
	free(token);
	ratls_ita_client_free(client);
}

/* Every proper prefix of a good token fails, and so does one extra character. */
static void test_token_truncated(void **state)
{
	struct ratls_ita_client *client = default_client();
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char *token = NULL, *longer;
	size_t token_len = 0;

	(void)state;
	assert_int_equal(ratls_ita_attest(client, fx.quote, fx.quote_size, &token, &token_len,
					  &detail),
			 RATLS_OK);
	for (size_t len = 0; len < token_len; len++) {
		ratls_detail_clear(&detail);
		if (ratls_ita_verify_token(client, token, len, fx.quote, fx.quote_size, NOW, &report,
					   &detail) == RATLS_OK)
			fail_msg("a token cut to %zu of %zu characters passed", len, token_len);
	}
	longer = malloc(token_len + 2);
	assert_non_null(longer);
	memcpy(longer, token, token_len);
	longer[token_len] = 'A';
	longer[token_len + 1] = '\0';
	ratls_detail_clear(&detail);
	assert_int_not_equal(ratls_ita_verify_token(client, longer, token_len + 1, fx.quote,
						    fx.quote_size, NOW, &report, &detail),
			     RATLS_OK);
	free(longer);
	free(token);
	ratls_ita_client_free(client);
}

/* ---- HTTP ---- */

static void test_http_401(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	ita_server_set_fault(fx.server, ITA_FAULT_HTTP_401);
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_ERR_SERVICE);
	assert_non_null(strstr(detail.message, "HTTP status 401"));
	assert_non_null(strstr(detail.message, "Intel Trust Authority portal"));
	assert_non_null(strstr(detail.message, "invalid api key"));
	/* The server echoed the key; the detail must not show it. */
	assert_null(strstr(detail.message, ITA_SERVER_API_KEY));
}

static void test_http_wrong_api_key(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	server_options(&options);
	options.api_key = "another-key";
	client = new_client(&options);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_ERR_SERVICE);
	assert_null(strstr(detail.message, "another-key"));
	ratls_ita_client_free(client);
}

static void test_http_retries(void **state)
{
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_ita_stats stats;
	struct timespec start;
	unsigned before;

	(void)state;
	/* 429 with Retry-After: 1, then success after at least a second. */
	client = default_client();
	ita_server_set_fault(fx.server, ITA_FAULT_HTTP_429_ONCE);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	assert_true(elapsed_ms(&start) >= 950);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.attest_requests, 2);
	assert_int_equal(stats.retries, 1);
	ratls_ita_client_free(client);

	/* 500 once, then success. */
	client = default_client();
	ita_server_set_fault(fx.server, ITA_FAULT_HTTP_500_ONCE);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.retries, 1);
	ratls_ita_client_free(client);

	/* 500 twice: one retry, then the error. */
	before = ita_server_count(fx.server, ITA_EP_ATTEST);
	expect_fault(ITA_FAULT_HTTP_500, RATLS_ERR_SERVICE);
	assert_int_equal(ita_server_count(fx.server, ITA_EP_ATTEST), before + 2);

	/* 401 is not retried. */
	before = ita_server_count(fx.server, ITA_EP_ATTEST);
	expect_fault(ITA_FAULT_HTTP_401, RATLS_ERR_SERVICE);
	assert_int_equal(ita_server_count(fx.server, ITA_EP_ATTEST), before + 1);
}

static void test_http_hang_times_out(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	unsigned before = ita_server_count(fx.server, ITA_EP_ATTEST);

	(void)state;
	server_options(&options);
	options.timeout_ms = 500;
	client = new_client(&options);
	ita_server_set_fault(fx.server, ITA_FAULT_HANG);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_ERR_TIMEOUT);
	/* A timeout is not retried. */
	assert_int_equal(ita_server_count(fx.server, ITA_EP_ATTEST), before + 1);
	ratls_ita_client_free(client);
}

static void test_http_oversize(void **state)
{
	(void)state;
	expect_fault(ITA_FAULT_OVERSIZE, RATLS_ERR_LIMIT_EXCEEDED);
}

static void test_http_connection_refused(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_ita_stats stats;
	struct ita_server *gone = ita_server_start(NOW);
	char url[64];

	(void)state;
	assert_non_null(gone);
	snprintf(url, sizeof(url), "%s", ita_server_url(gone));
	ita_server_stop(gone);
	server_options(&options);
	options.base_url = url;
	client = new_client(&options);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_ERR_NETWORK);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.attest_requests, 2);
	assert_int_equal(stats.retries, 1);
	ratls_ita_client_free(client);
}

/* ---- client options ---- */

static void test_client_options(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client = NULL;
	struct ratls_detail detail = {0};

	(void)state;
	server_options(&options);
	options.api_key = NULL;
	assert_int_equal(ratls_ita_client_new(&options, &client, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "Intel Trust Authority portal"));
	assert_null(client);

	server_options(&options);
	options.api_key = "key with space";
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_client_new(&options, &client, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(strstr(detail.message, "key with space"));

	server_options(&options);
	options.base_url = "http://ita.example.com";
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_client_new(&options, &client, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "loopback"));

	server_options(&options);
	options.jwks_url = "ftp://127.0.0.1/certs";
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_client_new(&options, &client, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);

	/* Intel's defaults need no URL; nothing is fetched at creation. */
	ratls_ita_options_init(&options);
	options.api_key = "k";
	options.region = RATLS_ITA_REGION_EU;
	assert_int_equal(ratls_ita_client_new(&options, &client, &detail), RATLS_OK);
	assert_string_equal(client->attest_url, RATLS_ITA_EU_URL "/appraisal/v2/attest");
	assert_string_equal(client->jwks_url, RATLS_ITA_EU_JWKS_URL);
	assert_true(client->default_trust);
	ratls_ita_client_free(client);
}

/* ---- JWKS cache and x5c ---- */

static void test_jwks_cache(void **state)
{
	struct ratls_ita_client *client = default_client();
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_ita_stats stats;

	(void)state;
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW + 10, &report,
						&detail),
			 RATLS_OK);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.jwks_fetches, 1);
	assert_int_equal(stats.jwks_cache_hits, 1);

	/* After the TTL the JWKS is fetched again. */
	ita_server_set_now(fx.server, NOW + RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size,
						NOW + RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS, &report,
						&detail),
			 RATLS_OK);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.jwks_fetches, 2);

	/* An unknown kid right after a fetch does not fetch again. */
	ita_server_set_fault(fx.server, ITA_FAULT_WRONG_KID);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size,
						NOW + RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS, &report,
						&detail),
			 RATLS_ERR_UNTRUSTED_ROOT);
	ratls_ita_client_stats(client, &stats);
	assert_int_equal(stats.jwks_fetches, 2);
	ratls_ita_client_free(client);
}

static void test_jwks_x5c(void **state)
{
	struct ratls_ita_options options;
	struct ratls_ita_client *client;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *other_root = NULL;
	size_t other_root_size = 0;

	(void)state;
	/* The chain's own root, without a configured one. */
	ita_server_set_x5c(fx.server, true);
	assert_int_equal(verify_at(NOW, &report, &detail), RATLS_OK);

	/* The configured root. */
	server_options(&options);
	ita_server_root_der(fx.server, &options.jwks_root_der, &options.jwks_root_der_size);
	client = new_client(&options);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_OK);
	ratls_ita_client_free(client);

	/* Another root. */
	assert_int_equal(ratls_sim_platform_root_der(fx.platform, &other_root, &other_root_size,
						     NULL),
			 RATLS_OK);
	options.jwks_root_der = other_root;
	options.jwks_root_der_size = other_root_size;
	client = new_client(&options);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_ERR_UNTRUSTED_ROOT);
	ratls_ita_client_free(client);
	ratls_sim_free(other_root);

	/* A configured root requires x5c on every key. */
	ita_server_set_x5c(fx.server, false);
	server_options(&options);
	ita_server_root_der(fx.server, &options.jwks_root_der, &options.jwks_root_der_size);
	client = new_client(&options);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_ita_verify_quote(client, fx.quote, fx.quote_size, NOW, &report,
						&detail),
			 RATLS_ERR_CHAIN_INVALID);
	ratls_ita_client_free(client);
}

/* ---- parsers ---- */

static void test_base64url_strict(void **state)
{
	static const struct {
		const char *text;
		int rc;
		size_t size;
	} cases[] = {
		{"", RATLS_OK, 0},         {"QQ", RATLS_OK, 1},       {"QUI", RATLS_OK, 2},
		{"QUJD", RATLS_OK, 3},     {"-_-_", RATLS_OK, 3},     {"QQ==", RATLS_ERR_MALFORMED, 0},
		{"Q", RATLS_ERR_MALFORMED, 0}, {"QR", RATLS_ERR_MALFORMED, 0},
		{"QUJ+", RATLS_ERR_MALFORMED, 0}, {"QUJ/", RATLS_ERR_MALFORMED, 0},
		{"QU JD", RATLS_ERR_MALFORMED, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *out = NULL;
		size_t size = 0;
		int rc = ratls_ita_base64url_decode(cases[i].text, strlen(cases[i].text), 16, &out,
						    &size);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": %s", cases[i].text, ratls_error_name(rc));
		if (rc == RATLS_OK)
			assert_int_equal(size, cases[i].size);
		free(out);
	}
	{
		uint8_t *out = NULL;
		size_t size = 0;

		assert_int_equal(ratls_ita_base64url_decode("QUJDRA", 6, 3, &out, &size),
				 RATLS_ERR_LIMIT_EXCEEDED);
		assert_null(out);
	}
}

/* Turns standard base64 text into unpadded base64url, in place. */
static void to_base64url(unsigned char *text)
{
	size_t n = strlen((char *)text);

	while (n > 0 && text[n - 1] == '=')
		text[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '+')
			text[i] = '-';
		else if (text[i] == '/')
			text[i] = '_';
	}
}

/* Builds "b64url(header).b64url(claims).sig" with a fixed signature part. */
static char *make_jwt(const char *header, const char *claims, const char *signature)
{
	size_t hl = strlen(header), cl = strlen(claims);
	size_t size = (hl + cl) * 2 + strlen(signature) + 8;
	char *out = malloc(size);
	unsigned char *h = malloc(hl * 2 + 4), *c = malloc(cl * 2 + 4);

	assert_non_null(out);
	assert_non_null(h);
	assert_non_null(c);
	EVP_EncodeBlock(h, (const unsigned char *)header, (int)hl);
	EVP_EncodeBlock(c, (const unsigned char *)claims, (int)cl);
	to_base64url(h);
	to_base64url(c);
	snprintf(out, size, "%s.%s.%s", h, c, signature);
	free(h);
	free(c);
	return out;
}

static void test_jwt_parse_strict(void **state)
{
	static const struct {
		const char *header;
		const char *signature;
		int rc;
	} cases[] = {
		{"{\"alg\":\"PS384\",\"kid\":\"k\",\"typ\":\"JWT\"}", "AAAA", RATLS_OK},
		{"{\"alg\":\"RS256\",\"kid\":\"k\"}", "AAAA", RATLS_OK},
		{"{\"alg\":\"none\",\"kid\":\"k\"}", "AAAA", RATLS_ERR_QUOTE_SIGNATURE},
		{"{\"alg\":\"HS256\",\"kid\":\"k\"}", "AAAA", RATLS_ERR_QUOTE_SIGNATURE},
		{"{\"alg\":\"ES384\",\"kid\":\"k\"}", "AAAA", RATLS_ERR_QUOTE_SIGNATURE},
		{"{\"alg\":\"ps384\",\"kid\":\"k\"}", "AAAA", RATLS_ERR_QUOTE_SIGNATURE},
		{"{\"alg\":\"PS384\"}", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":\"\"}", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":7}", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":\"k\",\"crit\":[\"b64\"]}", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":\"k\",\"typ\":\"JOSE\"}", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":\"k\",\"kid\":\"j\"}", "AAAA", RATLS_ERR_MALFORMED},
		{"[\"alg\"]", "AAAA", RATLS_ERR_MALFORMED},
		{"{\"alg\":\"PS384\",\"kid\":\"k\"}", "", RATLS_ERR_QUOTE_SIGNATURE},
		{"{\"alg\":\"PS384\",\"kid\":\"k\"}", "AA=A", RATLS_ERR_MALFORMED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *token = make_jwt(cases[i].header, "{\"ver\":\"2.0.0\"}", cases[i].signature);
		struct ratls_ita_jwt jwt;
		struct ratls_detail detail = {0};
		int rc = ratls_ita_jwt_parse(token, strlen(token), &jwt, &detail);

		if (rc != cases[i].rc)
			fail_msg("header %s: %s (%s)", cases[i].header, ratls_error_name(rc),
				 detail.message);
		ratls_ita_jwt_clear(&jwt);
		free(token);
	}
}

static void test_jwt_parse_parts(void **state)
{
	static const char *const tokens[] = {"", "a", "a.b", "a.b.c.d", "..", ".e30.AAAA",
					     "e30.e30", "e30..AAAA"};

	(void)state;
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		struct ratls_ita_jwt jwt;
		struct ratls_detail detail = {0};

		if (ratls_ita_jwt_parse(tokens[i], strlen(tokens[i]), &jwt, &detail) == RATLS_OK)
			fail_msg("\"%s\" parsed", tokens[i]);
		ratls_ita_jwt_clear(&jwt);
	}
}

static void test_jwks_parse_strict(void **state)
{
	/* n of 1024 bits (too small), then an n that is not base64url. */
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		{"{\"keys\":[]}", RATLS_OK},
		{"{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\"}]}", RATLS_OK},
		{"{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"e\"}]}", RATLS_OK},
		{"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		 RATLS_ERR_UNSUPPORTED_KEY_TYPE},
		{"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"A+B\",\"e\":\"AQAB\"}]}",
		 RATLS_ERR_MALFORMED},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", RATLS_ERR_MALFORMED},
		{"{\"keys\":{}}", RATLS_ERR_MALFORMED},
		{"{\"keys\":[1]}", RATLS_ERR_MALFORMED},
		{"{\"keys\":[],\"keys\":[]}", RATLS_ERR_MALFORMED},
		{"not json", RATLS_ERR_MALFORMED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_ita_jwks jwks;
		struct ratls_detail detail = {0};
		int rc = ratls_ita_jwks_parse((const uint8_t *)cases[i].text, strlen(cases[i].text),
					      NULL, 0, NOW, &jwks, &detail);

		if (rc != cases[i].rc)
			fail_msg("%s: %s (%s)", cases[i].text, ratls_error_name(rc), detail.message);
		ratls_ita_jwks_clear(&jwks);
	}
}

/* ---- the full check of an RA-TLS certificate ---- */

struct quote_source {
	bool debug;
};

static int sim_quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			    size_t *quote_size, struct ratls_detail *detail)
{
	const struct quote_source *source = arg;
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(fx.platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memcpy(params.td.report_data, report_data, 64);
	/* No runtime events are issued, and their replay starts from zero. */
	memset(params.td.rtmr[3], 0, 48);
	if (source->debug)
		params.td.td_attributes[0] |= 0x01;
	return ratls_sim_platform_quote(fx.platform, &params, quote, quote_size, detail);
}

static int verify_issued_cert(bool debug, struct ratls_verify_cert_result *result,
			      struct ratls_detail *detail)
{
	struct quote_source source = {.debug = debug};
	struct ratls_issue_params issue = {0};
	struct ratls_verify_cert_options options = {0};
	struct ratls_ita_client *client = default_client();
	struct ratls_verifier verifier;
	uint8_t *cert = NULL;
	char *key = NULL;
	size_t cert_size = 0, key_size = 0;
	int rc;

	issue.common_name = "db.example.com";
	issue.not_before = NOW - 3600;
	issue.not_after = NOW + 86400;
	issue.quote_source = sim_quote_source;
	issue.quote_source_arg = &source;
	rc = ratls_issue_cert(&issue, &cert, &cert_size, &key, &key_size, detail);
	if (rc != RATLS_OK)
		fail_msg("ratls_issue_cert: %s (%s)", ratls_error_name(rc), detail->message);

	ratls_verifier_init_ita(&verifier, client);
	options.now = NOW;
	options.verifier = &verifier;
	rc = ratls_verify_cert(cert, cert_size, &options, result, detail);
	assert_string_equal(verifier.name, "ita");
	free(cert);
	ratls_issue_free_key(key, key_size);
	ratls_ita_client_free(client);
	return rc;
}

static void test_verify_cert_end_to_end(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	int rc;

	(void)state;
	rc = verify_issued_cert(false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s: %s (step %s)", ratls_error_name(rc), detail.message,
			 result.failed_step != NULL ? result.failed_step : "none");
	assert_true(result.attested);
	assert_null(result.failed_step);
	assert_int_equal(result.report.status, RATLS_TCB_UP_TO_DATE);
	ratls_verify_cert_result_clear(&result);

	/* A debuggable TD whose token reports it passes the backend and fails the policy. */
	ratls_detail_clear(&detail);
	assert_int_equal(verify_issued_cert(true, &result, &detail), RATLS_ERR_DEBUG);
	assert_string_equal(result.failed_step, "policy");
	ratls_verify_cert_result_clear(&result);

	/* A token that lies about debug fails at the backend. */
	ratls_detail_clear(&detail);
	ita_server_set_fault(fx.server, ITA_FAULT_DEBUG_CLAIM);
	assert_int_equal(verify_issued_cert(false, &result, &detail), RATLS_ERR_DEBUG);
	assert_string_equal(result.failed_step, "quote");
	ratls_verify_cert_result_clear(&result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_verify_v2_layout, reset),
		cmocka_unit_test_setup(test_verify_v1_layout, reset),
		cmocka_unit_test_setup(test_verify_v1_endpoint_rs256, reset),
		cmocka_unit_test_setup(test_verify_tcb_statuses, reset),
		cmocka_unit_test_setup(test_token_wrong_values, reset),
		cmocka_unit_test_setup(test_token_missing_claims, reset),
		cmocka_unit_test_setup(test_token_times, reset),
		cmocka_unit_test_setup(test_token_signatures, reset),
		cmocka_unit_test_setup(test_token_jku_ignored, reset),
		cmocka_unit_test_setup(test_token_for_other_quote, reset),
		cmocka_unit_test_setup(test_token_truncated, reset),
		cmocka_unit_test_setup(test_http_401, reset),
		cmocka_unit_test_setup(test_http_wrong_api_key, reset),
		cmocka_unit_test_setup(test_http_retries, reset),
		cmocka_unit_test_setup(test_http_hang_times_out, reset),
		cmocka_unit_test_setup(test_http_oversize, reset),
		cmocka_unit_test_setup(test_http_connection_refused, reset),
		cmocka_unit_test_setup(test_client_options, reset),
		cmocka_unit_test_setup(test_jwks_cache, reset),
		cmocka_unit_test_setup(test_jwks_x5c, reset),
		cmocka_unit_test(test_base64url_strict),
		cmocka_unit_test(test_jwt_parse_strict),
		cmocka_unit_test(test_jwt_parse_parts),
		cmocka_unit_test(test_jwks_parse_strict),
		cmocka_unit_test_setup(test_verify_cert_end_to_end, reset),
	};

	return cmocka_run_group_tests_name("ita", tests, setup, teardown);
}
