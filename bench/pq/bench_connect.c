/*
 * Connection set-up time to one ratls-sidecar port, three ways, in
 * alternating rounds:
 *   libpq       PQconnectdb with sslmode=require (SSLRequest, TLS handshake,
 *               no certificate check): the baseline
 *   ratls-warm  ratls_pq_connectdb with the verification cache filled:
 *               each connection does the handshake and a cache lookup
 *   ratls-cold  ratls_pq_connectdb with ratls_cache_ttl=0: each
 *               connection runs the full check (DCAP with a prepared
 *               collateral bundle, binding, replay, policy) and neither
 *               reads nor fills the cache
 * Each sample times the connect call (the set-up) and PQfinish apart, in
 * microseconds. Prints, for each way over all rounds, the median and 90th
 * percentile of the set-up, the median of PQfinish and of both together,
 * and the ratios to libpq.
 *
 * Usage: bench_connect PORT COLLATERAL TRUST_ROOT [CONNECTIONS [ROUNDS]]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "ratls/log.h"
#include "ratls/pq.h"

enum { WAY_LIBPQ, WAY_WARM, WAY_COLD, WAY_COUNT };

static const char *const way_names[WAY_COUNT] = {"libpq", "ratls-warm", "ratls-cold"};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Drops the library's per-verification warnings (test root, no MRTD pinned). */
static void quiet(enum ratls_log_level level, const char *message, void *arg)
{
	(void)level;
	(void)message;
	(void)arg;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double *samples, size_t n, double p)
{
	qsort(samples, n, sizeof(double), compare);
	return samples[(size_t)(p * (double)(n - 1))];
}

/*
 * Connects once the given way and stores the set-up and PQfinish times.
 * Returns false on failure.
 */
static bool connect_once(int way, const char *const conninfo[WAY_COUNT],
			 struct ratls_pq_options *options, double *setup_us, double *finish_us)
{
	double start, connected;
	PGconn *conn;
	bool ok;

	start = now_us();
	conn = way == WAY_LIBPQ ? PQconnectdb(conninfo[way])
				: ratls_pq_connectdb(conninfo[way], options);
	connected = now_us();
	ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
	if (!ok)
		fprintf(stderr, "bench_connect: %s failed: %s", way_names[way],
			conn != NULL ? PQerrorMessage(conn) : "out of memory\n");
	PQfinish(conn);
	*setup_us = connected - start;
	*finish_us = now_us() - connected;
	return ok;
}

int main(int argc, char **argv)
{
	char plain[512], attested[4096], uncached[4200];
	const char *conninfo[WAY_COUNT] = {plain, attested, uncached};
	struct ratls_pq_options *options;
	struct ratls_pq_stats stats;
	double *setup[WAY_COUNT], *finish[WAY_COUNT], *total[WAY_COUNT];
	double setup_median[WAY_COUNT], setup_p90[WAY_COUNT], finish_median[WAY_COUNT];
	double total_median[WAY_COUNT];
	double ignored_setup, ignored_finish;
	long connections, rounds;
	size_t count = 0;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: %s PORT COLLATERAL TRUST_ROOT [CONNECTIONS [ROUNDS]]\n",
			argv[0]);
		return 2;
	}
	connections = argc > 4 ? strtol(argv[4], NULL, 10) : 200;
	rounds = argc > 5 ? strtol(argv[5], NULL, 10) : 5;
	if (connections < 1 || rounds < 1)
		return 2;
	snprintf(plain, sizeof(plain),
		 "host=127.0.0.1 port=%s user=postgres dbname=postgres sslmode=require", argv[1]);
	snprintf(attested, sizeof(attested),
		 "host=127.0.0.1 port=%s user=postgres dbname=postgres ratls_collateral='%s' "
		 "ratls_trust_root='%s'",
		 argv[1], argv[2], argv[3]);
	snprintf(uncached, sizeof(uncached), "%s ratls_cache_ttl=0", attested);
	ratls_set_log_callback(quiet, NULL);
	options = ratls_pq_options_new();
	for (int way = 0; way < WAY_COUNT; way++) {
		setup[way] = calloc((size_t)(connections * rounds), sizeof(double));
		finish[way] = calloc((size_t)(connections * rounds), sizeof(double));
		total[way] = calloc((size_t)(connections * rounds), sizeof(double));
	}

	/* Warm-up: loads the collateral, creates the TLS context, fills the cache. */
	for (int i = 0; i < 20; i++) {
		for (int way = 0; way < WAY_COUNT; way++) {
			if (!connect_once(way, conninfo, options, &ignored_setup, &ignored_finish))
				return 1;
		}
	}
	for (long round = 0; round < rounds; round++) {
		for (long i = 0; i < connections; i++) {
			/* Interleaved, so that a slow phase of the machine hits every way alike. */
			for (int k = 0; k < WAY_COUNT; k++) {
				int way = (int)((k + round) % WAY_COUNT);

				if (!connect_once(way, conninfo, options, &setup[way][count],
						  &finish[way][count]))
					return 1;
				total[way][count] = setup[way][count] + finish[way][count];
			}
			count++;
		}
	}
	for (int way = 0; way < WAY_COUNT; way++) {
		setup_median[way] = percentile(setup[way], count, 0.5);
		setup_p90[way] = percentile(setup[way], count, 0.9);
		finish_median[way] = percentile(finish[way], count, 0.5);
		total_median[way] = percentile(total[way], count, 0.5);
	}
	printf("%-12s %10s %10s %10s %10s %8s %8s\n", "way", "setup_med", "setup_p90",
	       "finish_med", "total_med", "setup_x", "total_x");
	for (int way = 0; way < WAY_COUNT; way++)
		printf("%-12s %10.0f %10.0f %10.0f %10.0f %8.2f %8.2f\n", way_names[way],
		       setup_median[way], setup_p90[way], finish_median[way], total_median[way],
		       setup_median[way] / setup_median[WAY_LIBPQ],
		       total_median[way] / total_median[WAY_LIBPQ]);
	printf("cold-cache extra cost: %.0f us per set-up (median)\n",
	       setup_median[WAY_COLD] - setup_median[WAY_WARM]);
	ratls_pq_options_stats(options, &stats);
	printf("ratls connections: %llu full checks, %llu cache hits\n",
	       (unsigned long long)stats.verifications, (unsigned long long)stats.cache_hits);
	for (int way = 0; way < WAY_COUNT; way++) {
		free(setup[way]);
		free(finish[way]);
		free(total[way]);
	}
	ratls_pq_options_free(options);
	return 0;
}
