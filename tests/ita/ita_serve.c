/*
 * ita_serve: runs the ITA look-alike of the tests as a process, for the
 * command-line tests. It issues tokens at NOW, prints the base URL and the
 * JWKS URL on one line and serves until it receives SIGTERM or SIGINT.
 *
 * Usage: ita_serve NOW [v1|v2]
 *   NOW  Unix seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ita_server.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct ita_server *server;
	struct sigaction action;
	sigset_t blocked, previous;
	char *end;
	long long now;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ita_serve NOW [v1|v2]\n");
		return 2;
	}
	now = strtoll(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0') {
		fprintf(stderr, "ita_serve: invalid time '%s'\n", argv[1]);
		return 2;
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

	server = ita_server_start(now);
	if (server == NULL)
		return 1;
	if (argc == 3 && strcmp(argv[2], "v1") == 0)
		ita_server_set_layout(server, ITA_LAYOUT_V1);

	printf("%s %s\n", ita_server_url(server), ita_server_jwks_url(server));
	fflush(stdout);
	while (!stop)
		sigsuspend(&previous);

	fprintf(stderr, "ita_serve: stopping after %u attestation requests\n",
		ita_server_count(server, ITA_EP_ATTEST));
	ita_server_stop(server);
	return 0;
}
