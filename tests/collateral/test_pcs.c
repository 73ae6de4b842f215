/*
 * Tests of the PCS / PCCS collateral provider against a local look-alike
 * of Intel's PCS (pcs_server.c) serving the simulated platform's
 * collateral: fetching, caching, expiry, failures, threads, the cache
 * directory, the grace period, background refresh, offline bundles and the
 * full ratls_verify_cert path. One test also serves a real Intel
 * collateral bundle from the corpus when RATLS_CORPUS_DIR is set.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcs_server.h"
#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/evidence.h"
#include "ratls/log.h"
#include "ratls/pcs.h"
#include "ratls/sim.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400
#define SEED "ratls pcs test seed"
#define THREADS 16

struct fixture {
	struct ratls_sim_platform *platform;
	uint8_t *root;
	size_t root_size;
	uint8_t *tdx_quote;
	size_t tdx_quote_size;
	uint8_t *sgx_quote;
	size_t sgx_quote_size;
	/* Expiry of the platform's collateral issued at NOW. */
	int64_t until;
};

static struct fixture fx;

/* Warnings by kind, from any thread. */
static atomic_int grace_warnings;
static atomic_int background_warnings;
static atomic_int cache_file_warnings;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)arg;
	if (level != RATLS_LOG_WARNING)
		return;
	if (strstr(message, "grace_period:") != NULL)
		atomic_fetch_add(&grace_warnings, 1);
	if (strstr(message, "background fetch") != NULL)
		atomic_fetch_add(&background_warnings, 1);
	if (strstr(message, "cache file") != NULL)
		atomic_fetch_add(&cache_file_warnings, 1);
}

static int64_t collateral_until(int64_t now)
{
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_dcap_options options = {fx.root, fx.root_size};
	struct ratls_dcap_context *ctx = NULL;
	int64_t from = 0, until = 0;

	if (collateral == NULL ||
	    ratls_sim_platform_collateral(fx.platform, RATLS_SIM_TEE_TDX, now, collateral, NULL) !=
		    RATLS_OK ||
	    ratls_dcap_context_new(collateral, &options, &ctx, NULL) != RATLS_OK)
		return 0;
	ratls_dcap_context_validity(ctx, &from, &until);
	ratls_dcap_context_free(ctx);
	ratls_collateral_free(collateral);
	return until;
}

static int setup(void **state)
{
	struct ratls_sim_quote_params params;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	ratls_set_log_callback(count_warnings, NULL);
	if (ratls_sim_platform_new((const uint8_t *)SEED, strlen(SEED), NOW, &fx.platform, NULL) !=
		    RATLS_OK ||
	    ratls_sim_platform_root_der(fx.platform, &fx.root, &fx.root_size, NULL) != RATLS_OK ||
	    ratls_sim_platform_quote(fx.platform, NULL, &fx.tdx_quote, &fx.tdx_quote_size, NULL) !=
		    RATLS_OK)
		return -1;
	ratls_sim_platform_quote_defaults(fx.platform, RATLS_SIM_QUOTE_SGX_V3, &params);
	if (ratls_sim_platform_quote(fx.platform, &params, &fx.sgx_quote, &fx.sgx_quote_size,
				     NULL) != RATLS_OK)
		return -1;
	fx.until = collateral_until(NOW);
	return fx.until > NOW ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ratls_sim_free(fx.tdx_quote);
	ratls_sim_free(fx.sgx_quote);
	ratls_sim_free(fx.root);
	ratls_sim_platform_free(fx.platform);
	ratls_set_log_callback(NULL, NULL);
	return 0;
}

static int reset_counters(void **state)
{
	(void)state;
	atomic_store(&grace_warnings, 0);
	atomic_store(&background_warnings, 0);
	atomic_store(&cache_file_warnings, 0);
	return 0;
}

/* ---- helpers ---- */

static struct pcs_server *start_server(enum pcs_server_mode mode)
{
	struct pcs_server *server = pcs_server_start_sim(fx.platform, NOW, mode);

	assert_non_null(server);
	return server;
}

/* Options for a provider of the simulated platform's collateral from server. */
static void server_options(const struct pcs_server *server, enum ratls_pcs_service service,
			   struct ratls_pcs_options *options)
{
	ratls_pcs_options_init(options);
	options->base_url = pcs_server_url(server);
	options->root_crl_url = pcs_server_root_crl_url(server);
	options->service = service;
	options->proxy = ""; /* the environment's proxy must not see loopback requests */
	options->connect_timeout_ms = 2000;
	options->timeout_ms = 10000;
	options->trust_root_der = fx.root;
	options->trust_root_der_size = fx.root_size;
}

static struct ratls_pcs_provider *new_provider(const struct ratls_pcs_options *options)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_detail detail = {0};
	int rc = ratls_pcs_provider_new(options, &provider, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_pcs_provider_new: %s: %s", ratls_error_name(rc), detail.message);
	return provider;
}

static struct ratls_pcs_provider *server_provider(const struct pcs_server *server,
						  enum ratls_pcs_service service)
{
	struct ratls_pcs_options options;

	server_options(server, service, &options);
	return new_provider(&options);
}

static int verify_at(struct ratls_pcs_provider *provider, const uint8_t *quote, size_t size,
		     int64_t now, struct ratls_verified_report *report, struct ratls_detail *detail)
{
	return ratls_pcs_verify_quote(provider, quote, size, now, report, detail);
}

static void expect_verified(struct ratls_pcs_provider *provider, const uint8_t *quote,
			    size_t size, int64_t now)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	int rc = verify_at(provider, quote, size, now, &report, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_pcs_verify_quote at %lld: %s: %s", (long long)now,
			 ratls_error_name(rc), detail.message);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_true(report.custom_root);
}

static struct ratls_pcs_stats stats_of(struct ratls_pcs_provider *provider)
{
	struct ratls_pcs_stats stats;

	ratls_pcs_provider_stats(provider, &stats);
	return stats;
}

static void assert_query(struct pcs_server *server, enum pcs_endpoint endpoint,
			 const char *expected)
{
	char query[256];

	pcs_server_last_query(server, endpoint, query, sizeof(query));
	assert_string_equal(query, expected);
}

/* ---- fetching and caching ---- */

static void cold_fetch_then_warm_hits(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	struct ratls_pcs_stats stats;

	(void)state;
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	assert_int_equal(pcs_server_count(server, PCS_EP_TCB_INFO), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_QE_IDENTITY), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_PCK_CRL), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_ROOT_CRL), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_OTHER), 0);
	assert_query(server, PCS_EP_TCB_INFO, "fmspc=53494D000000&update=standard");
	assert_query(server, PCS_EP_QE_IDENTITY, "update=standard");
	assert_query(server, PCS_EP_PCK_CRL, "ca=platform&encoding=der");

	for (int i = 0; i < 5; i++)
		expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + i * 3600);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);
	stats = stats_of(provider);
	assert_int_equal(stats.http_requests, 4);
	assert_int_equal(stats.fetches, 1);
	assert_int_equal(stats.fetch_failures, 0);
	assert_int_equal(stats.cache_hits, 5);

	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void pccs_mode_reads_hex_crls(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_PCCS);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char base[128];

	(void)state;
	/* Written the way Intel's QPL configuration writes a PCCS URL. */
	snprintf(base, sizeof(base), "%s/sgx/certification/v4/", pcs_server_url(server));
	server_options(server, RATLS_PCS_SERVICE_PCCS, &options);
	options.base_url = base;
	options.root_crl_url = NULL;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	assert_int_equal(pcs_server_count(server, PCS_EP_ROOT_CRL), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_OTHER), 0);
	assert_query(server, PCS_EP_PCK_CRL, "ca=platform");
	ratls_pcs_provider_free(provider);

	/* The Intel mode requests the root CA CRL from a PCCS at a path it does not serve. */
	provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	assert_int_equal(verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, NOW, &report, &detail),
			 RATLS_ERR_SERVICE);
	assert_non_null(strstr(detail.message, "404"));
	assert_non_null(strstr(detail.message, "IntelSGXRootCA.der"));
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void update_early_is_requested(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;

	(void)state;
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.update = RATLS_PCS_UPDATE_EARLY;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	assert_query(server, PCS_EP_TCB_INFO, "fmspc=53494D000000&update=early");
	assert_query(server, PCS_EP_QE_IDENTITY, "update=early");
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void each_key_is_fetched_once(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);

	(void)state;
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	expect_verified(provider, fx.sgx_quote, fx.sgx_quote_size, NOW);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	assert_query(server, PCS_EP_TCB_INFO, "fmspc=53494D000000&update=standard");
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 60);
	expect_verified(provider, fx.sgx_quote, fx.sgx_quote_size, NOW + 60);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	assert_int_equal(stats_of(provider).fetches, 2);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void expiry_triggers_refetch(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	int64_t later = fx.until + DAY;

	(void)state;
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);

	assert_int_equal(pcs_server_set_now(server, later), 0);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, later);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, later + 3600);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	assert_int_equal(stats_of(provider).fetches, 2);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void fetch_returns_decoded_collateral(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	struct ratls_collateral *collateral = NULL;
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;

	(void)state;
	assert_int_equal(ratls_pcs_key_from_quote(fx.tdx_quote, fx.tdx_quote_size, &key, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_pcs_fetch(provider, &key, &collateral, &detail), RATLS_OK);
	assert_non_null(collateral->tcb_info.body);
	assert_int_equal(collateral->tcb_info.body[0], '{');
	assert_non_null(strstr(collateral->tcb_info_chain, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr(collateral->qe_identity_chain, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr(collateral->pck_crl_chain, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(collateral->pck_crl[0], 0x30);
	assert_int_equal(collateral->root_crl[0], 0x30);
	assert_null(collateral->pck_chain);
	ratls_collateral_free(collateral);

	/* A fetch bypasses the cache. */
	assert_int_equal(ratls_pcs_fetch(provider, &key, &collateral, &detail), RATLS_OK);
	ratls_collateral_free(collateral);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);

	key.ca = (enum ratls_pcs_ca)0;
	assert_int_equal(ratls_pcs_fetch(provider, &key, &collateral, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* ---- failures ---- */

struct failure_case {
	const char *name;
	enum pcs_fault fault;
	unsigned endpoints;
	int expected;
	const char *message_part;
};

static const struct failure_case failure_cases[] = {
	{"404 on TCB info", PCS_FAULT_404, PCS_EP_BIT(PCS_EP_TCB_INFO), RATLS_ERR_SERVICE,
	 "HTTP status 404"},
	{"500 on QE identity", PCS_FAULT_500, PCS_EP_BIT(PCS_EP_QE_IDENTITY), RATLS_ERR_SERVICE,
	 "HTTP status 500"},
	{"404 on root CA CRL", PCS_FAULT_404, PCS_EP_BIT(PCS_EP_ROOT_CRL), RATLS_ERR_SERVICE,
	 "IntelSGXRootCA.der"},
	{"hang on TCB info", PCS_FAULT_HANG, PCS_EP_BIT(PCS_EP_TCB_INFO), RATLS_ERR_TIMEOUT,
	 "timed out"},
	{"truncated TCB info", PCS_FAULT_TRUNCATE, PCS_EP_BIT(PCS_EP_TCB_INFO),
	 RATLS_ERR_MALFORMED, "/tdx/certification/v4/tcb"},
	{"truncated PCK CRL", PCS_FAULT_TRUNCATE, PCS_EP_BIT(PCS_EP_PCK_CRL), RATLS_ERR_MALFORMED,
	 "pckcrl"},
	{"cut QE identity", PCS_FAULT_CUT, PCS_EP_BIT(PCS_EP_QE_IDENTITY), RATLS_ERR_NETWORK,
	 "connection closed"},
	{"wrong TCB info chain", PCS_FAULT_WRONG_CHAIN, PCS_EP_BIT(PCS_EP_TCB_INFO),
	 RATLS_ERR_COLLATERAL_SIGNATURE, "collateral fetched from http://127.0.0.1"},
	{"wrong PCK CRL chain", PCS_FAULT_WRONG_CHAIN, PCS_EP_BIT(PCS_EP_PCK_CRL),
	 RATLS_ERR_CHAIN_INVALID, "PCK CRL issuer chain"},
	{"bad QE identity chain header", PCS_FAULT_BAD_HEADER, PCS_EP_BIT(PCS_EP_QE_IDENTITY),
	 RATLS_ERR_MALFORMED, "qe/identity"},
	{"missing TCB info chain header", PCS_FAULT_NO_HEADER, PCS_EP_BIT(PCS_EP_TCB_INFO),
	 RATLS_ERR_COLLATERAL_MISSING, "TCB-Info-Issuer-Chain"},
	{"oversized TCB info", PCS_FAULT_OVERSIZE, PCS_EP_BIT(PCS_EP_TCB_INFO),
	 RATLS_ERR_LIMIT_EXCEEDED, "limit of 1048576 bytes"},
	{"oversized chunked PCK CRL", PCS_FAULT_OVERSIZE_CHUNKED, PCS_EP_BIT(PCS_EP_PCK_CRL),
	 RATLS_ERR_LIMIT_EXCEEDED, "limit of"},
	{"SGX answer to a TDX request", PCS_FAULT_OTHER_VARIANT, PCS_EP_BIT(PCS_EP_TCB_INFO),
	 RATLS_ERR_COLLATERAL_MISMATCH, "SGX TCB info"},
	{"QE answer to a TD_QE request", PCS_FAULT_OTHER_VARIANT, PCS_EP_BIT(PCS_EP_QE_IDENTITY),
	 RATLS_ERR_COLLATERAL_MISMATCH, "\"QE\""},
	{"processor CRL for a platform CA", PCS_FAULT_OTHER_VARIANT, PCS_EP_BIT(PCS_EP_PCK_CRL),
	 RATLS_ERR_COLLATERAL_MISMATCH, "processor CA"},
};

static void failure_leaves_cache_empty(const struct failure_case *c)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_pcs_stats stats;
	unsigned requests;
	int rc;

	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	if (c->fault == PCS_FAULT_HANG)
		options.timeout_ms = 300;
	provider = new_provider(&options);
	pcs_server_set_fault(server, c->fault, c->endpoints);

	rc = verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, NOW, &report, &detail);
	if (rc != c->expected)
		fail_msg("%s: got %s (%s), expected %s", c->name, ratls_error_name(rc),
			 detail.message, ratls_error_name(c->expected));
	if (strstr(detail.message, c->message_part) == NULL)
		fail_msg("%s: the message \"%s\" lacks \"%s\"", c->name, detail.message,
			 c->message_part);
	stats = stats_of(provider);
	assert_int_equal(stats.fetch_failures, 1);
	assert_int_equal(stats.fetches, 0);

	/* Nothing was cached: the next verification fetches again and succeeds. */
	pcs_server_set_fault(server, PCS_FAULT_NONE, 0);
	requests = pcs_server_count(server, PCS_EP_COUNT);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), requests + 4);
	assert_int_equal(stats_of(provider).fetches, 1);

	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void failures_report_and_cache_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(failure_cases) / sizeof(failure_cases[0]); i++)
		failure_leaves_cache_empty(&failure_cases[i]);
}

static void legacy_tcb_header_name_is_accepted(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_PCCS);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_PCCS);

	(void)state;
	pcs_server_set_fault(server, PCS_FAULT_LEGACY_HEADER, PCS_EP_BIT(PCS_EP_TCB_INFO));
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void unreachable_service_is_network_error(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	char url[64];

	(void)state;
	/* The port of a stopped server: nothing listens there any more. */
	snprintf(url, sizeof(url), "%s", pcs_server_url(server));
	pcs_server_stop(server);
	ratls_pcs_options_init(&options);
	options.base_url = url;
	options.service = RATLS_PCS_SERVICE_PCCS;
	options.proxy = "";
	options.trust_root_der = fx.root;
	options.trust_root_der_size = fx.root_size;
	provider = new_provider(&options);
	assert_int_equal(verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, NOW, &report, &detail),
			 RATLS_ERR_NETWORK);
	assert_non_null(strstr(detail.message, url));
	assert_int_equal(stats_of(provider).fetch_failures, 1);
	ratls_pcs_provider_free(provider);
}

static void failure_keeps_cached_entries(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	int64_t later = fx.until + DAY;

	(void)state;
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	pcs_server_set_fault(server, PCS_FAULT_500, PCS_EP_ALL_BITS);

	/* Another key fails; the cached TDX entry is still served without a request. */
	assert_int_equal(verify_at(provider, fx.sgx_quote, fx.sgx_quote_size, NOW, &report, &detail),
			 RATLS_ERR_SERVICE);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 5);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 60);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 5);

	/* Expired without a grace period: the refetch error, and nothing replaced. */
	ratls_detail_clear(&detail);
	assert_int_equal(verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, later, &report,
				   &detail),
			 RATLS_ERR_SERVICE);
	assert_int_equal(atomic_load(&grace_warnings), 0);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 120);

	/* The service recovers: a later good fetch works. */
	pcs_server_set_fault(server, PCS_FAULT_NONE, 0);
	assert_int_equal(pcs_server_set_now(server, later), 0);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, later);
	expect_verified(provider, fx.sgx_quote, fx.sgx_quote_size, later);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void stale_service_collateral_is_not_cached(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	/* The service still serves collateral issued at NOW, which has expired by then. */
	assert_int_equal(verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + DAY,
				   &report, &detail),
			 RATLS_ERR_COLLATERAL_EXPIRED);
	assert_non_null(strstr(detail.message, "stale"));
	assert_int_equal(stats_of(provider).fetches, 0);
	assert_int_equal(stats_of(provider).fetch_failures, 1);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* ---- threads ---- */

struct worker {
	struct ratls_pcs_provider *provider;
	pthread_barrier_t *barrier;
	const uint8_t *quote;
	size_t quote_size;
	int rc;
	struct ratls_detail detail;
};

static void *verify_in_thread(void *arg)
{
	struct worker *w = arg;
	struct ratls_verified_report report;

	pthread_barrier_wait(w->barrier);
	w->rc = ratls_pcs_verify_quote(w->provider, w->quote, w->quote_size, NOW, &report,
				       &w->detail);
	return NULL;
}

/* Runs THREADS verifications at once; quote i alternates between TDX and SGX when mixed. */
static void run_threads(struct ratls_pcs_provider *provider, bool mixed)
{
	pthread_t threads[THREADS];
	struct worker workers[THREADS];
	pthread_barrier_t barrier;

	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		bool sgx = mixed && i % 2 == 1;

		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].provider = provider;
		workers[i].barrier = &barrier;
		workers[i].quote = sgx ? fx.sgx_quote : fx.tdx_quote;
		workers[i].quote_size = sgx ? fx.sgx_quote_size : fx.tdx_quote_size;
		assert_int_equal(pthread_create(&threads[i], NULL, verify_in_thread, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		if (workers[i].rc != RATLS_OK)
			fail_msg("thread %d: %s: %s", i, ratls_error_name(workers[i].rc),
				 workers[i].detail.message);
	}
	pthread_barrier_destroy(&barrier);
}

static void concurrent_verifications_fetch_once(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);

	(void)state;
	/* Slow responses keep the first fetch running while the other threads arrive. */
	pcs_server_set_delay_ms(server, 100);
	run_threads(provider, false);
	assert_int_equal(pcs_server_count(server, PCS_EP_TCB_INFO), 1);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);
	assert_int_equal(stats_of(provider).fetches, 1);
	ratls_pcs_provider_free(provider);

	provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	run_threads(provider, true);
	assert_int_equal(pcs_server_count(server, PCS_EP_TCB_INFO), 3);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 12);
	assert_int_equal(stats_of(provider).fetches, 2);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void concurrent_failure_reaches_every_waiter(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_INTEL);
	pthread_t threads[THREADS];
	struct worker workers[THREADS];
	pthread_barrier_t barrier;
	unsigned requests;

	(void)state;
	pcs_server_set_delay_ms(server, 100);
	pcs_server_set_fault(server, PCS_FAULT_500, PCS_EP_BIT(PCS_EP_PCK_CRL));
	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].provider = provider;
		workers[i].barrier = &barrier;
		workers[i].quote = fx.tdx_quote;
		workers[i].quote_size = fx.tdx_quote_size;
		assert_int_equal(pthread_create(&threads[i], NULL, verify_in_thread, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(workers[i].rc, RATLS_ERR_SERVICE);
		assert_non_null(strstr(workers[i].detail.message, "pckcrl"));
	}
	pthread_barrier_destroy(&barrier);

	/* Threads arriving after a failed fetch start their own, so allow a few. */
	requests = pcs_server_count(server, PCS_EP_PCK_CRL);
	assert_true(requests >= 1);
	assert_true(requests < THREADS);
	assert_int_equal(stats_of(provider).fetches, 0);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* ---- bundles and the cache directory ---- */

static void bundle_verifies_offline(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_PCCS);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_PCCS);
	struct ratls_dcap_options dcap_options = {fx.root, fx.root_size};
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;
	char *bundle = NULL;
	int rc;

	(void)state;
	assert_int_equal(ratls_pcs_key_from_quote(fx.tdx_quote, fx.tdx_quote_size, &key, NULL),
			 RATLS_OK);
	rc = ratls_pcs_fetch_bundle(provider, &key, &bundle, &detail);
	if (rc != RATLS_OK)
		fail_msg("ratls_pcs_fetch_bundle: %s: %s", ratls_error_name(rc), detail.message);
	pcs_server_stop(server);

	assert_non_null(collateral);
	assert_int_equal(ratls_collateral_load_bundle(collateral, (const uint8_t *)bundle,
						      strlen(bundle), &detail),
			 RATLS_OK);
	assert_int_equal(ratls_dcap_context_new(collateral, &dcap_options, &ctx, &detail), RATLS_OK);
	assert_int_equal(ratls_dcap_context_verify(ctx, fx.tdx_quote, fx.tdx_quote_size, NOW,
						   &report, &detail),
			 RATLS_OK);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);

	/* Without the server the same call fails and returns no bundle. */
	free(bundle);
	bundle = NULL;
	assert_int_equal(ratls_pcs_fetch_bundle(provider, &key, &bundle, NULL), RATLS_ERR_NETWORK);
	assert_null(bundle);

	ratls_dcap_context_free(ctx);
	ratls_collateral_free(collateral);
	ratls_pcs_provider_free(provider);
}

static void bundle_rejects_wrong_root(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;
	char *bundle = NULL;

	(void)state;
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.trust_root_der = NULL;
	options.trust_root_der_size = 0;
	provider = new_provider(&options);
	assert_int_equal(ratls_pcs_key_from_quote(fx.tdx_quote, fx.tdx_quote_size, &key, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_pcs_fetch_bundle(provider, &key, &bundle, &detail),
			 RATLS_ERR_UNTRUSTED_ROOT);
	assert_null(bundle);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void remove_directory(const char *dir)
{
	char command[256];

	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	assert_int_equal(system(command), 0);
}

static void disk_cache_warms_new_provider(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	char dir[] = "/tmp/ratls-pcs-cache-XXXXXX";
	char file[128];
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_pcs_stats stats;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/tdx-53494d000000-platform-standard.json", dir);
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.cache_dir = dir;

	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	ratls_pcs_provider_free(provider);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);

	/* A new provider starts warm: no request at all. */
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 60);
	stats = stats_of(provider);
	assert_int_equal(stats.disk_loads, 1);
	assert_int_equal(stats.http_requests, 0);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);
	ratls_pcs_provider_free(provider);

	/* A damaged file is ignored with a warning, fetched again and rewritten. */
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"tcb_info\": 12", f);
	fclose(f);
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 60);
	assert_int_equal(atomic_load(&cache_file_warnings), 1);
	assert_int_equal(stats_of(provider).disk_loads, 0);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	ratls_pcs_provider_free(provider);
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW + 60);
	assert_int_equal(stats_of(provider).disk_loads, 1);
	ratls_pcs_provider_free(provider);

	/* An expired file is not used, so the provider fetches. */
	assert_int_equal(pcs_server_set_now(server, fx.until + DAY), 0);
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + DAY);
	assert_int_equal(stats_of(provider).disk_loads, 0);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 12);
	ratls_pcs_provider_free(provider);

	pcs_server_stop(server);
	remove_directory(dir);
}

static void disk_cache_file_is_verified(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	char dir[] = "/tmp/ratls-pcs-cache-XXXXXX";
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_sim_platform *other = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	uint8_t *other_root = NULL;
	size_t other_root_size = 0;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.cache_dir = dir;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	ratls_pcs_provider_free(provider);

	/* A provider that trusts another root rejects the file and fetches. */
	assert_int_equal(ratls_sim_platform_new((const uint8_t *)"other", 5, NOW, &other, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_platform_root_der(other, &other_root, &other_root_size, NULL),
			 RATLS_OK);
	options.trust_root_der = other_root;
	options.trust_root_der_size = other_root_size;
	provider = new_provider(&options);
	rc = verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, NOW, &report, &detail);
	assert_int_not_equal(rc, RATLS_OK);
	/* The signatures fail under the other root, whichever check reports it first. */
	assert_true(ratls_error_class(rc) == RATLS_CLASS_TRUST ||
		    ratls_error_class(rc) == RATLS_CLASS_COLLATERAL);
	assert_int_equal(atomic_load(&cache_file_warnings), 1);
	assert_int_equal(stats_of(provider).disk_loads, 0);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	ratls_pcs_provider_free(provider);

	ratls_sim_free(other_root);
	ratls_sim_platform_free(other);
	pcs_server_stop(server);
	remove_directory(dir);
}

/* ---- grace period and background refresh ---- */

static void grace_period_serves_expired_with_warning(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.grace_period = 7 * DAY;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	assert_int_equal(atomic_load(&grace_warnings), 0);

	pcs_server_set_fault(server, PCS_FAULT_500, PCS_EP_ALL_BITS);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + DAY);
	assert_int_equal(atomic_load(&grace_warnings), 1);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + 2 * DAY);
	assert_int_equal(atomic_load(&grace_warnings), 2);
	assert_int_equal(stats_of(provider).grace_uses, 2);

	/* Beyond the grace period the fetch error comes back. */
	assert_int_equal(verify_at(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + 8 * DAY,
				   &report, &detail),
			 RATLS_ERR_SERVICE);
	assert_int_equal(atomic_load(&grace_warnings), 2);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* Waits until the provider has made want fetches, for at most 10 s. */
static void wait_for_fetches(struct ratls_pcs_provider *provider, uint64_t want)
{
	for (int i = 0; i < 1000 && stats_of(provider).fetches + stats_of(provider).fetch_failures <
					    want;
	     i++)
		usleep(10 * 1000);
}

static void refresh_ahead_of_expiry(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	int64_t near_expiry = fx.until - DAY;

	(void)state;
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.refresh_before = 2 * DAY;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until - 3 * DAY);
	assert_int_equal(stats_of(provider).background_refreshes, 0);

	/* A hit inside the window starts a background fetch and returns at once. */
	assert_int_equal(pcs_server_set_now(server, near_expiry), 0);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, near_expiry);
	wait_for_fetches(provider, 2);
	assert_int_equal(stats_of(provider).background_refreshes, 1);
	assert_int_equal(stats_of(provider).fetches, 2);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);

	/* After the old expiry the refreshed collateral is used without a request. */
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + DAY);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 8);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

static void failed_refresh_keeps_serving(void **state)
{
	struct pcs_server *server = start_server(PCS_MODE_INTEL);
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;

	(void)state;
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.refresh_before = 2 * DAY;
	options.grace_period = DAY;
	provider = new_provider(&options);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, NOW);

	pcs_server_set_fault(server, PCS_FAULT_500, PCS_EP_ALL_BITS);
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until - DAY);
	wait_for_fetches(provider, 2);
	assert_int_equal(stats_of(provider).fetch_failures, 1);
	assert_int_equal(atomic_load(&background_warnings), 1);

	/* Within the retry interval no second background fetch starts. */
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until - DAY + 10);
	assert_int_equal(stats_of(provider).background_refreshes, 1);

	/* Expired within the grace period: served at once, and another fetch is queued. */
	expect_verified(provider, fx.tdx_quote, fx.tdx_quote_size, fx.until + 3600);
	assert_int_equal(atomic_load(&grace_warnings), 1);
	wait_for_fetches(provider, 3);
	assert_int_equal(stats_of(provider).background_refreshes, 2);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* ---- the full certificate check ---- */

struct quote_source {
	const struct ratls_sim_platform *platform;
	uint8_t rtmr3[48];
};

static int sim_quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			    size_t *quote_size, struct ratls_detail *detail)
{
	struct quote_source *source = arg;
	uint8_t rtmr[4][48];

	memset(rtmr, 0x10, sizeof(rtmr));
	memcpy(rtmr[3], source->rtmr3, 48);
	return ratls_sim_platform_td_quote(source->platform, NULL, (const uint8_t(*)[48])rtmr,
					   report_data, quote, quote_size, detail);
}

/* dstack's boot events, with payloads of the sizes dstack writes. */
static void boot_events(struct ratls_runtime_event events[6], uint8_t rtmr3[48])
{
	static const char *names[6] = {"system-preparing", "app-id", "compose-hash",
				       "instance-id", "boot-mr-done", "system-ready"};
	static const size_t sizes[6] = {0, 20, 32, 20, 0, 0};
	static const uint8_t payload[32] = {0x5b, 0xb4, 0xff, 0x9a};

	memset(rtmr3, 0, 48);
	for (size_t i = 0; i < 6; i++) {
		uint8_t digest[48];

		events[i].name = (char *)(uintptr_t)names[i];
		events[i].name_size = strlen(names[i]);
		events[i].payload = (uint8_t *)(uintptr_t)payload;
		events[i].payload_size = sizes[i];
		events[i].version = 1;
		assert_int_equal(ratls_evidence_digest_runtime_event(names[i], strlen(names[i]),
								      payload, sizes[i], 1, digest,
								      NULL),
				 RATLS_OK);
		assert_int_equal(ratls_evidence_extend_rtmr(rtmr3, digest, NULL), RATLS_OK);
	}
}

static void verify_cert_with_pcs_backend(void **state)
{
	struct ratls_runtime_event events[6];
	struct pcs_server *server = start_server(PCS_MODE_PCCS);
	struct ratls_pcs_provider *provider = server_provider(server, RATLS_PCS_SERVICE_PCCS);
	struct quote_source source = {.platform = fx.platform};
	struct ratls_issue_params issue = {0};
	struct ratls_verifier verifier;
	struct ratls_verify_cert_options verify_options = {0};
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	uint8_t *cert = NULL;
	size_t cert_size = 0;
	char *key = NULL;
	size_t key_size = 0;
	int rc;

	(void)state;
	boot_events(events, source.rtmr3);
	issue.not_before = NOW - 3600;
	issue.not_after = NOW + DAY;
	issue.quote_source = sim_quote_source;
	issue.quote_source_arg = &source;
	issue.runtime_events = events;
	issue.runtime_event_count = 6;
	rc = ratls_issue_cert(&issue, &cert, &cert_size, &key, &key_size, &detail);
	if (rc != RATLS_OK)
		fail_msg("ratls_issue_cert: %s: %s", ratls_error_name(rc), detail.message);

	ratls_verifier_init_pcs(&verifier, provider);
	verify_options.now = NOW;
	verify_options.verifier = &verifier;
	rc = ratls_verify_cert(cert, cert_size, &verify_options, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("ratls_verify_cert: %s at %s: %s", ratls_error_name(rc),
			 result.failed_step != NULL ? result.failed_step : "-", detail.message);
	assert_true(result.attested);
	assert_int_equal(result.report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);
	ratls_verify_cert_result_clear(&result);

	/* A failing service fails the quote step on a cold provider. */
	ratls_pcs_provider_free(provider);
	provider = server_provider(server, RATLS_PCS_SERVICE_PCCS);
	ratls_verifier_init_pcs(&verifier, provider);
	pcs_server_set_fault(server, PCS_FAULT_404, PCS_EP_BIT(PCS_EP_TCB_INFO));
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_verify_cert(cert, cert_size, &verify_options, &result, &detail),
			 RATLS_ERR_SERVICE);
	assert_string_equal(result.failed_step, "quote");
	ratls_verify_cert_result_clear(&result);

	free(cert);
	ratls_issue_free_key(key, key_size);
	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
}

/* ---- real Intel collateral ---- */

static uint8_t *read_corpus_file(const char *dir, const char *name, size_t *size)
{
	char path[1024];
	uint8_t *data = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n);
		if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return data;
}

static void real_intel_collateral_over_http(void **state)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	const int64_t at = 1752919234; /* 2025-07-19T10:00:34Z, inside the bundle's window */
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct pcs_server *server;
	struct ratls_pcs_key key;
	uint8_t *quote = NULL, *bundle = NULL;
	size_t quote_size = 0, bundle_size = 0;
	static const uint8_t fmspc[6] = {0xb0, 0xc0, 0x6f, 0x00, 0x00, 0x00};
	int rc;

	(void)state;
	if (dir == NULL) {
		ratls_collateral_free(collateral);
		skip();
	}
	quote = read_corpus_file(dir, "Phala-Network__dcap-qvl/sample/tdx_quote", &quote_size);
	bundle = read_corpus_file(dir, "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json",
				  &bundle_size);
	if (quote == NULL || bundle == NULL) {
		printf("corpus files missing under %s; skipping\n", dir);
		free(quote);
		free(bundle);
		ratls_collateral_free(collateral);
		skip();
	}
	assert_int_equal(ratls_pcs_key_from_quote(quote, quote_size, &key, &detail), RATLS_OK);
	assert_memory_equal(key.fmspc, fmspc, 6);
	assert_int_equal(key.ca, RATLS_PCS_CA_PLATFORM);
	assert_int_equal(key.tee, RATLS_PCS_TEE_TDX);
	assert_int_equal(ratls_collateral_load_bundle(collateral, bundle, bundle_size, &detail),
			 RATLS_OK);

	server = pcs_server_start_collateral(collateral, &key, PCS_MODE_INTEL);
	assert_non_null(server);
	server_options(server, RATLS_PCS_SERVICE_INTEL, &options);
	options.trust_root_der = NULL; /* Intel's root, pinned */
	options.trust_root_der_size = 0;
	provider = new_provider(&options);
	rc = ratls_pcs_verify_quote(provider, quote, quote_size, at, &report, &detail);
	if (rc != RATLS_OK)
		fail_msg("real quote: %s: %s", ratls_error_name(rc), detail.message);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_false(report.custom_root);
	assert_int_equal(pcs_server_count(server, PCS_EP_COUNT), 4);

	/* One second after the bundle's window the same collateral is stale. */
	ratls_pcs_provider_free(provider);
	provider = new_provider(&options);
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_pcs_verify_quote(provider, quote, quote_size, at + 2, &report,
						&detail),
			 RATLS_ERR_COLLATERAL_EXPIRED);

	ratls_pcs_provider_free(provider);
	pcs_server_stop(server);
	ratls_collateral_free(collateral);
	free(quote);
	free(bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cold_fetch_then_warm_hits, reset_counters),
		cmocka_unit_test_setup(pccs_mode_reads_hex_crls, reset_counters),
		cmocka_unit_test_setup(update_early_is_requested, reset_counters),
		cmocka_unit_test_setup(each_key_is_fetched_once, reset_counters),
		cmocka_unit_test_setup(expiry_triggers_refetch, reset_counters),
		cmocka_unit_test_setup(fetch_returns_decoded_collateral, reset_counters),
		cmocka_unit_test_setup(failures_report_and_cache_nothing, reset_counters),
		cmocka_unit_test_setup(legacy_tcb_header_name_is_accepted, reset_counters),
		cmocka_unit_test_setup(unreachable_service_is_network_error, reset_counters),
		cmocka_unit_test_setup(failure_keeps_cached_entries, reset_counters),
		cmocka_unit_test_setup(stale_service_collateral_is_not_cached, reset_counters),
		cmocka_unit_test_setup(concurrent_verifications_fetch_once, reset_counters),
		cmocka_unit_test_setup(concurrent_failure_reaches_every_waiter, reset_counters),
		cmocka_unit_test_setup(bundle_verifies_offline, reset_counters),
		cmocka_unit_test_setup(bundle_rejects_wrong_root, reset_counters),
		cmocka_unit_test_setup(disk_cache_warms_new_provider, reset_counters),
		cmocka_unit_test_setup(disk_cache_file_is_verified, reset_counters),
		cmocka_unit_test_setup(grace_period_serves_expired_with_warning, reset_counters),
		cmocka_unit_test_setup(refresh_ahead_of_expiry, reset_counters),
		cmocka_unit_test_setup(failed_refresh_keeps_serving, reset_counters),
		cmocka_unit_test_setup(verify_cert_with_pcs_backend, reset_counters),
		cmocka_unit_test_setup(real_intel_collateral_over_http, reset_counters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
