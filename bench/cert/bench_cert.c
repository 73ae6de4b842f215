/*
 * Times the full client check of an RA-TLS certificate (ratls_verify_cert)
 * against the DCAP verification of the same quote alone, both with a
 * prepared collateral context, on a certificate issued by the simulated
 * platform. The difference is what the certificate adds on the connect
 * path: extraction, key binding, RTMR replay and policy.
 *
 * Prints one JSON line per case:
 *   quote_warm   ratls_dcap_context_verify on the certificate's quote;
 *   cert_check   ratls_verify_cert on the certificate (the same DCAP work
 *                plus the steps above);
 *   evidence_decode  ratls_evidence_from_cert alone;
 *   cert_check_over_quote_warm  the ratios of the medians and p10s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratls/attest.h"
#include "ratls/log.h"
#include "ratls/sim.h"

#define WARMUP 30
#define ITERATIONS 400
#define ROUNDS 5
#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define EVENT_COUNT 7

struct timing {
	double samples[ITERATIONS * ROUNDS];
	size_t count;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die_on(int rc, const struct ratls_detail *detail, const char *what)
{
	if (rc == RATLS_OK)
		return;
	fprintf(stderr, "bench_cert: %s: %s: %s\n", what, ratls_error_name(rc),
		detail != NULL ? detail->message : "");
	exit(1);
}

static void quiet(enum ratls_log_level level, const char *message, void *arg)
{
	(void)level;
	(void)message;
	(void)arg;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
	return sorted[(size_t)(p * (double)(n - 1) + 0.5)];
}

struct fixture {
	struct ratls_sim_platform *platform;
	struct ratls_dcap_context *context;
	struct ratls_verifier verifier;
	struct ratls_policy *policy;
	struct ratls_runtime_event events[EVENT_COUNT];
	uint8_t rtmr3[48];
	uint8_t *cert;
	size_t cert_size;
	struct ratls_evidence *evidence;
};

static struct fixture fx;

static int quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			size_t *quote_size, struct ratls_detail *detail)
{
	struct ratls_sim_quote_params params;

	(void)arg;
	ratls_sim_platform_quote_defaults(fx.platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memcpy(params.td.rtmr[3], fx.rtmr3, 48);
	memcpy(params.td.report_data, report_data, 64);
	return ratls_sim_platform_quote(fx.platform, &params, quote, quote_size, detail);
}

static void set_event(size_t i, const char *name, const void *payload, size_t size)
{
	fx.events[i].name = (char *)(uintptr_t)name;
	fx.events[i].name_size = strlen(name);
	fx.events[i].payload = (uint8_t *)(uintptr_t)payload;
	fx.events[i].payload_size = size;
	fx.events[i].version = 1;
}

/* A platform, its collateral context, and a certificate with dstack's boot events. */
static void setup(void)
{
	static const uint8_t app_id[20] = {1};
	static const uint8_t compose_hash[32] = {2};
	static const uint8_t instance_id[20] = {3};
	static const char key_provider[] = "{\"name\":\"none\",\"id\":\"\"}";
	struct ratls_dcap_options options = {0};
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_issue_params params = {0};
	struct ratls_detail detail = {0};
	uint8_t *root = NULL;
	size_t root_size = 0;
	char *key = NULL;
	size_t key_size = 0;

	die_on(ratls_sim_platform_new((const uint8_t *)"bench", 5, NOW, &fx.platform, &detail),
	       &detail, "platform");
	die_on(ratls_sim_platform_root_der(fx.platform, &root, &root_size, &detail), &detail,
	       "root");
	die_on(ratls_sim_platform_collateral(fx.platform, RATLS_SIM_TEE_TDX, NOW, collateral,
					     &detail),
	       &detail, "collateral");
	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	die_on(ratls_dcap_context_new(collateral, &options, &fx.context, &detail), &detail,
	       "context");
	ratls_collateral_free(collateral);
	ratls_sim_free(root);
	ratls_verifier_init_dcap(&fx.verifier, fx.context);
	fx.policy = ratls_policy_new();

	set_event(0, "system-preparing", NULL, 0);
	set_event(1, "app-id", app_id, sizeof(app_id));
	set_event(2, "compose-hash", compose_hash, sizeof(compose_hash));
	set_event(3, "instance-id", instance_id, sizeof(instance_id));
	set_event(4, "boot-mr-done", NULL, 0);
	set_event(5, "key-provider", key_provider, strlen(key_provider));
	set_event(6, "system-ready", NULL, 0);
	for (size_t i = 0; i < EVENT_COUNT; i++) {
		uint8_t digest[48];

		die_on(ratls_evidence_digest_runtime_event(fx.events[i].name,
							   fx.events[i].name_size,
							   fx.events[i].payload,
							   fx.events[i].payload_size, 1, digest,
							   &detail),
		       &detail, "digest");
		die_on(ratls_evidence_extend_rtmr(fx.rtmr3, digest, &detail), &detail, "extend");
	}

	params.not_before = NOW - 3600;
	params.not_after = NOW + 86400;
	params.quote_source = quote_source;
	params.runtime_events = fx.events;
	params.runtime_event_count = EVENT_COUNT;
	die_on(ratls_issue_cert(&params, &fx.cert, &fx.cert_size, &key, &key_size, &detail),
	       &detail, "issue");
	ratls_issue_free_key(key, key_size);
	die_on(ratls_evidence_from_cert(fx.cert, fx.cert_size, &fx.evidence, &detail), &detail,
	       "decode");
}

static void run_quote_warm(void)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	die_on(ratls_dcap_context_verify(fx.context, fx.evidence->quote, fx.evidence->quote_size,
					 NOW, &report, &detail),
	       &detail, "quote_warm");
}

static void run_cert_check(void)
{
	struct ratls_verify_cert_options options = {
		.now = NOW, .verifier = &fx.verifier, .policy = fx.policy};
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};

	die_on(ratls_verify_cert(fx.cert, fx.cert_size, &options, &result, &detail), &detail,
	       "cert_check");
	ratls_verify_cert_result_clear(&result);
}

static void run_decode(void)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail detail = {0};

	die_on(ratls_evidence_from_cert(fx.cert, fx.cert_size, &ev, &detail), &detail, "decode");
	ratls_evidence_free(ev);
}

/*
 * Interleaves the cases round by round, so that a slower stretch of a busy
 * machine affects all of them alike.
 */
static void measure(void (*const cases[])(void), struct timing *timings, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		for (int i = 0; i < WARMUP; i++)
			cases[c]();
	}
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t c = 0; c < n; c++) {
			for (int i = 0; i < ITERATIONS; i++) {
				double start = now_ms();

				cases[c]();
				timings[c].samples[timings[c].count++] = now_ms() - start;
			}
		}
	}
}

static void print_case(const char *name, struct timing *t, double *median, double *p10)
{
	qsort(t->samples, t->count, sizeof(double), compare_double);
	*median = percentile(t->samples, t->count, 0.5);
	*p10 = percentile(t->samples, t->count, 0.1);
	printf("{\"case\":\"%s\",\"median_ms\":%.5f,\"p10_ms\":%.5f,\"p90_ms\":%.5f,"
	       "\"min_ms\":%.5f,\"iterations\":%zu}\n",
	       name, *median, *p10, percentile(t->samples, t->count, 0.9), t->samples[0], t->count);
}

int main(void)
{
	void (*const cases[])(void) = {run_quote_warm, run_cert_check, run_decode};
	static struct timing timings[3];
	double median[3], p10[3];

	ratls_set_log_callback(quiet, NULL);
	setup();
	measure(cases, timings, 3);
	print_case("quote_warm", &timings[0], &median[0], &p10[0]);
	print_case("cert_check", &timings[1], &median[1], &p10[1]);
	print_case("evidence_decode", &timings[2], &median[2], &p10[2]);
	printf("{\"case\":\"cert_check_over_quote_warm\",\"median_ratio\":%.3f,\"p10_ratio\":%.3f}\n",
	       median[1] / median[0], p10[1] / p10[0]);

	ratls_evidence_free(fx.evidence);
	free(fx.cert);
	ratls_policy_free(fx.policy);
	ratls_dcap_context_free(fx.context);
	ratls_sim_platform_free(fx.platform);
	return 0;
}
