/*
 * pcs_serve: runs the PCS look-alike of the tests as a process, for the
 * command-line tests. It re-creates the simulated platform that
 * "ratls sim init --seed HEX --at CREATED" writes, serves its collateral
 * issued at NOW on 127.0.0.1 (an ephemeral port), prints the base URL on
 * one line and serves until it receives SIGTERM or SIGINT.
 *
 * Usage: pcs_serve SEED_HEX CREATED NOW [intel|pccs]
 *   CREATED, NOW  Unix seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_server.h"
#include "ratls/sim.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t decode_hex(const char *text, uint8_t *out, size_t max)
{
	size_t len = strlen(text);

	if (len == 0 || len % 2 != 0 || len / 2 > max)
		return 0;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

int main(int argc, char **argv)
{
	static uint8_t seed[RATLS_SIM_SEED_MAX_SIZE];
	struct ratls_sim_platform_params params;
	struct ratls_sim_platform *platform = NULL;
	struct ratls_detail detail = {0};
	struct pcs_server *server;
	enum pcs_server_mode mode = PCS_MODE_PCCS;
	struct sigaction action;
	sigset_t blocked, previous;
	size_t seed_size;
	char *end;
	long long created, now;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: pcs_serve SEED_HEX CREATED NOW [intel|pccs]\n");
		return 2;
	}
	seed_size = decode_hex(argv[1], seed, sizeof(seed));
	created = strtoll(argv[2], &end, 10);
	if (seed_size == 0 || *end != '\0') {
		fprintf(stderr, "pcs_serve: invalid seed or creation time\n");
		return 2;
	}
	now = strtoll(argv[3], &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "pcs_serve: invalid time '%s'\n", argv[3]);
		return 2;
	}
	if (argc == 5 && strcmp(argv[4], "intel") == 0)
		mode = PCS_MODE_INTEL;

	ratls_sim_platform_defaults(&params, created);
	if (ratls_sim_platform_new_with(seed, seed_size, &params, &platform, &detail) != RATLS_OK) {
		fprintf(stderr, "pcs_serve: %s\n", detail.message);
		return 1;
	}
	/*
	 * The signals stay blocked, in the server's thread too (it inherits the
	 * mask), except inside sigsuspend in this thread, so none is lost
	 * between the check and the wait.
	 */
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, &previous);

	server = pcs_server_start_sim(platform, now, mode);
	if (server == NULL) {
		ratls_sim_platform_free(platform);
		return 1;
	}

	printf("%s %s\n", pcs_server_url(server), pcs_server_root_crl_url(server));
	fflush(stdout);
	while (!stop)
		sigsuspend(&previous);

	fprintf(stderr, "pcs_serve: stopping after %u requests\n",
		pcs_server_count(server, PCS_EP_COUNT));
	pcs_server_stop(server);
	ratls_sim_platform_free(platform);
	return 0;
}
