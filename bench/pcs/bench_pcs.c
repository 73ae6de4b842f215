/*
 * Times verification with collateral from the PCS provider against the
 * local PCS look-alike (tests/collateral/pcs_server.c) serving the real
 * Intel collateral of the TDX v4 sample, with Intel's root pinned. Prints
 * one JSON line per case, in the format of bench/verify/bench_verify:
 *   tdx_warm      ratls_dcap_context_verify with a prepared context, the
 *                 core benchmark's warm case;
 *   tdx_pcs_hit   ratls_pcs_verify_quote served from the provider's cache:
 *                 the warm case plus reading the collateral key from the
 *                 quote's PCK certificate and the cache lookup;
 *   tdx_pcs_cold  a new provider per call: four HTTP requests over
 *                 loopback, the collateral checks, then the verification.
 * The first two run interleaved in rounds, so drift hits both alike. A last
 * line gives the ratio of their medians and of their p10 figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcs_server.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/pcs.h"

#define WARMUP 30
#define ITERATIONS 1000
#define ROUNDS 10
#define COLD_WARMUP 5
#define COLD_ITERATIONS 100

/* 2025-07-19T10:00:34Z, inside the sample collateral's window, as bench_verify uses. */
#define SAMPLE_TIME 1752919234

struct sample {
	uint8_t *quote;
	size_t quote_size;
	struct ratls_collateral *collateral;
	struct ratls_dcap_context *ctx;
	struct ratls_pcs_key key;
	struct pcs_server *server;
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die_on(int rc, const struct ratls_detail *detail, const char *step)
{
	if (rc == RATLS_OK)
		return;
	fprintf(stderr, "bench_pcs: %s failed: %s: %s\n", step, ratls_error_name(rc),
		detail->message);
	exit(1);
}

static uint8_t *read_all(const char *dir, const char *name, size_t *size)
{
	char path[4096];
	uint8_t *data;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "bench_pcs: cannot read %s; set RATLS_CORPUS_DIR to the corpus folder\n",
			path);
		exit(2);
	}
	data = malloc((size_t)n);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_pcs: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return data;
}

static void load_sample(const char *dir, struct sample *s)
{
	struct ratls_detail detail = {0};
	size_t size = 0;
	uint8_t *json = read_all(dir, "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json",
				 &size);

	s->quote = read_all(dir, "Phala-Network__dcap-qvl/sample/tdx_quote", &s->quote_size);
	s->collateral = ratls_collateral_new();
	if (s->collateral == NULL)
		exit(1);
	die_on(ratls_collateral_load_bundle(s->collateral, json, size, &detail), &detail,
	       "loading the collateral");
	free(json);
	die_on(ratls_dcap_context_new(s->collateral, NULL, &s->ctx, &detail), &detail,
	       "preparing the collateral");
	die_on(ratls_pcs_key_from_quote(s->quote, s->quote_size, &s->key, &detail), &detail,
	       "reading the collateral key");

	s->server = pcs_server_start_collateral(s->collateral, &s->key, PCS_MODE_INTEL);
	if (s->server == NULL)
		exit(1);
	ratls_pcs_options_init(&s->options);
	s->options.base_url = pcs_server_url(s->server);
	s->options.root_crl_url = pcs_server_root_crl_url(s->server);
	s->options.proxy = "";
	die_on(ratls_pcs_provider_new(&s->options, &s->provider, &detail), &detail,
	       "creating the provider");
}

static void run_warm(struct sample *s)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	die_on(ratls_dcap_context_verify(s->ctx, s->quote, s->quote_size, SAMPLE_TIME, &report,
					 &detail),
	       &detail, "warm verification");
}

static void run_hit(struct sample *s)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	die_on(ratls_pcs_verify_quote(s->provider, s->quote, s->quote_size, SAMPLE_TIME, &report,
				      &detail),
	       &detail, "verification from the cache");
}

static void run_cold(struct sample *s)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	die_on(ratls_pcs_provider_new(&s->options, &provider, &detail), &detail,
	       "creating a provider");
	die_on(ratls_pcs_verify_quote(provider, s->quote, s->quote_size, SAMPLE_TIME, &report,
				      &detail),
	       &detail, "cold verification");
	ratls_pcs_provider_free(provider);
}

struct bench_case {
	const char *name;
	void (*fn)(struct sample *);
	double times[ITERATIONS];
	size_t count;
};

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}

static void time_calls(struct bench_case *c, struct sample *s, int calls)
{
	for (int i = 0; i < calls; i++) {
		double t0 = now_ms();

		c->fn(s);
		c->times[c->count++] = now_ms() - t0;
	}
}

static void print_case(struct bench_case *c)
{
	qsort(c->times, c->count, sizeof(double), compare_double);
	printf("{\"case\":\"%s\",\"sample\":\"tdx_quote\",\"median_ms\":%.5f,\"p10_ms\":%.5f,"
	       "\"p90_ms\":%.5f,\"min_ms\":%.5f,\"iterations\":%zu}\n",
	       c->name, percentile(c->times, c->count, 0.5), percentile(c->times, c->count, 0.1),
	       percentile(c->times, c->count, 0.9), c->times[0], c->count);
}

int main(void)
{
	static struct bench_case warm = {"tdx_warm", run_warm, {0}, 0};
	static struct bench_case hit = {"tdx_pcs_hit", run_hit, {0}, 0};
	static struct bench_case cold = {"tdx_pcs_cold", run_cold, {0}, 0};
	const char *dir = getenv("RATLS_CORPUS_DIR");
	struct ratls_pcs_stats stats;
	struct sample s;

	memset(&s, 0, sizeof(s));
	load_sample(dir != NULL ? dir : "../shared/corpus", &s);

	/* The first call fetches; every later one must hit the cache. */
	run_hit(&s);
	for (int i = 0; i < WARMUP; i++) {
		run_warm(&s);
		run_hit(&s);
	}
	for (int round = 0; round < ROUNDS; round++) {
		time_calls(&warm, &s, ITERATIONS / ROUNDS);
		time_calls(&hit, &s, ITERATIONS / ROUNDS);
	}
	ratls_pcs_provider_stats(s.provider, &stats);
	if (stats.fetches != 1 || stats.http_requests != 4) {
		fprintf(stderr, "bench_pcs: expected one fetch of 4 requests, saw %llu fetches and "
				"%llu requests\n",
			(unsigned long long)stats.fetches, (unsigned long long)stats.http_requests);
		return 1;
	}

	for (int i = 0; i < COLD_WARMUP; i++)
		run_cold(&s);
	time_calls(&cold, &s, COLD_ITERATIONS);

	print_case(&warm);
	print_case(&hit);
	print_case(&cold);
	printf("{\"case\":\"tdx_pcs_hit_over_warm\",\"median_ratio\":%.4f,\"p10_ratio\":%.4f}\n",
	       percentile(hit.times, hit.count, 0.5) / percentile(warm.times, warm.count, 0.5),
	       percentile(hit.times, hit.count, 0.1) / percentile(warm.times, warm.count, 0.1));

	ratls_pcs_provider_free(s.provider);
	pcs_server_stop(s.server);
	ratls_dcap_context_free(s.ctx);
	ratls_collateral_free(s.collateral);
	free(s.quote);
	return 0;
}
