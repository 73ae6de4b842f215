/*
 * Times ratls DCAP verification of the real TDX v4 and SGX v3 samples.
 * Prints one JSON line per case (see bench/run.sh for the contract):
 *   *_full  collateral parsed and every chain, CRL and signature checked,
 *           then the quote verified (ratls_dcap_verify);
 *   *_warm  the quote verified with a prepared context
 *           (ratls_dcap_context_verify): PCK leaf, QE report and quote
 *           signatures plus every rule check;
 *   ecdsa_p256_verify  one ECDSA P-256 / SHA-256 verify through OpenSSL's
 *           EVP interface with the key already decoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "dcap/dcap_internal.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"

#define WARMUP 30
#define ITERATIONS 400
#define ROUNDS 5

struct sample {
	const char *name;
	const char *quote_file;
	const char *collateral_file;
	int64_t now;
	uint8_t *quote;
	size_t quote_size;
	struct ratls_collateral *collateral;
	struct ratls_dcap_context *ctx;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint8_t *read_all(const char *dir, const char *rel, size_t *size)
{
	char path[4096];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench_verify: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_verify: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static void die_on(int rc, const struct ratls_detail *d, const char *what)
{
	if (rc == RATLS_OK)
		return;
	fprintf(stderr, "bench_verify: %s failed: %s: %s\n", what, ratls_error_name(rc), d->message);
	exit(1);
}

static void load_sample(const char *dir, struct sample *s)
{
	struct ratls_detail d = {0};
	size_t size = 0;
	uint8_t *json = read_all(dir, s->collateral_file, &size);

	s->quote = read_all(dir, s->quote_file, &s->quote_size);
	s->collateral = ratls_collateral_new();
	die_on(ratls_collateral_load_bundle(s->collateral, json, size, &d), &d, "loading collateral");
	free(json);
	die_on(ratls_dcap_context_new(s->collateral, NULL, &s->ctx, &d), &d, "preparing collateral");
}

static void run_full(struct sample *s)
{
	struct ratls_verified_report report;
	struct ratls_detail d = {0};

	die_on(ratls_dcap_verify(s->quote, s->quote_size, s->collateral, s->now, NULL, &report, &d),
	       &d, "full verification");
}

static void run_warm(struct sample *s)
{
	struct ratls_verified_report report;
	struct ratls_detail d = {0};

	die_on(ratls_dcap_context_verify(s->ctx, s->quote, s->quote_size, s->now, &report, &d), &d,
	       "warm verification");
}

static EVP_PKEY *ecdsa_key;
static unsigned char *ecdsa_sig;
static size_t ecdsa_sig_size;
static uint8_t ecdsa_msg[632];

/* Signs a fixed message once so the timed loop only verifies. */
static void setup_ecdsa(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ecdsa_key = EVP_EC_gen("P-256");
	memset(ecdsa_msg, 0x5a, sizeof(ecdsa_msg));
	if (md == NULL || ecdsa_key == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ecdsa_key, NULL) != 1 ||
	    EVP_DigestSign(md, NULL, &ecdsa_sig_size, ecdsa_msg, sizeof(ecdsa_msg)) != 1) {
		fprintf(stderr, "bench_verify: ECDSA setup failed\n");
		exit(1);
	}
	ecdsa_sig = malloc(ecdsa_sig_size);
	if (ecdsa_sig == NULL ||
	    EVP_DigestSign(md, ecdsa_sig, &ecdsa_sig_size, ecdsa_msg, sizeof(ecdsa_msg)) != 1) {
		fprintf(stderr, "bench_verify: ECDSA setup failed\n");
		exit(1);
	}
	EVP_MD_CTX_free(md);
}

static void run_ecdsa(struct sample *s)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	(void)s;
	if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, ecdsa_key, NULL) != 1 ||
	    EVP_DigestVerify(md, ecdsa_sig, ecdsa_sig_size, ecdsa_msg, sizeof(ecdsa_msg)) != 1) {
		fprintf(stderr, "bench_verify: ECDSA verify failed\n");
		exit(1);
	}
	EVP_MD_CTX_free(md);
}

struct bench_case {
	const char *name;
	struct sample *sample;
	void (*fn)(struct sample *);
	double *times;
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

int main(void)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	struct sample tdx = {"tdx_quote", "Phala-Network__dcap-qvl/sample/tdx_quote",
			     "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json", 1752919234,
			     NULL, 0, NULL, NULL};
	struct sample sgx = {"sgx_quote", "Phala-Network__dcap-qvl/sample/sgx_quote",
			     "Phala-Network__dcap-qvl/sample/sgx_quote_collateral.json", 1752919277,
			     NULL, 0, NULL, NULL};
	struct bench_case cases[] = {
		{"tdx_full", &tdx, run_full, NULL, 0}, {"tdx_warm", &tdx, run_warm, NULL, 0},
		{"sgx_full", &sgx, run_full, NULL, 0}, {"sgx_warm", &sgx, run_warm, NULL, 0},
		{"ecdsa_p256_verify", NULL, run_ecdsa, NULL, 0},
	};
	size_t ncases = sizeof(cases) / sizeof(cases[0]);

	if (dir == NULL)
		dir = "../shared/corpus";
	load_sample(dir, &tdx);
	load_sample(dir, &sgx);
	setup_ecdsa();

	for (size_t c = 0; c < ncases; c++) {
		cases[c].times = calloc(ITERATIONS, sizeof(double));
		if (cases[c].times == NULL)
			return 1;
		for (int i = 0; i < WARMUP; i++)
			cases[c].fn(cases[c].sample);
	}
	/* Interleave the cases in rounds so drift on a shared machine hits all alike. */
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t c = 0; c < ncases; c++) {
			for (int i = 0; i < ITERATIONS / ROUNDS; i++) {
				double t0 = now_ms();

				cases[c].fn(cases[c].sample);
				cases[c].times[cases[c].count++] = now_ms() - t0;
			}
		}
	}

	for (size_t c = 0; c < ncases; c++) {
		struct bench_case *bc = &cases[c];

		qsort(bc->times, bc->count, sizeof(double), compare_double);
		printf("{\"case\":\"%s\"", bc->name);
		if (bc->sample != NULL)
			printf(",\"sample\":\"%s\"", bc->sample->name);
		printf(",\"median_ms\":%.5f,\"p10_ms\":%.5f,\"p90_ms\":%.5f,\"min_ms\":%.5f,"
		       "\"iterations\":%zu}\n",
		       percentile(bc->times, bc->count, 0.5), percentile(bc->times, bc->count, 0.1),
		       percentile(bc->times, bc->count, 0.9), bc->times[0], bc->count);
		free(bc->times);
	}

	ratls_dcap_context_free(tdx.ctx);
	ratls_dcap_context_free(sgx.ctx);
	ratls_collateral_free(tdx.collateral);
	ratls_collateral_free(sgx.collateral);
	free(tdx.quote);
	free(sgx.quote);
	free(ecdsa_sig);
	EVP_PKEY_free(ecdsa_key);
	return 0;
}
