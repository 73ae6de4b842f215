/*
 * "ratls proxy --listen DIR|ADDRESS --upstream HOST:PORT": a local
 * attesting proxy, so that psql, pg_dump, pgbench or any driver connects
 * through a verified RA-TLS session. Every client connection gets its own
 * upstream session and check (or cache hit), and a client whose server
 * fails the check receives the ratls error as a PostgreSQL error. SIGTERM
 * and SIGINT stop accepting and let sessions finish for --drain-timeout
 * seconds.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ratls/pq.h"

#define COMMAND "proxy"

enum {
	OPT_LISTEN = 256,
	OPT_UPSTREAM,
	OPT_SOCKET_PORT,
	OPT_MAX_CONNECTIONS,
	OPT_DRAIN_TIMEOUT,
	OPT_IDLE_TIMEOUT,
};

static const struct option own_options[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"upstream", required_argument, NULL, OPT_UPSTREAM},
	{"socket-port", required_argument, NULL, OPT_SOCKET_PORT},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
};
#define OWN_OPTION_COUNT (sizeof(own_options) / sizeof(own_options[0]))

/* The running proxy, for the signal handler. */
static struct ratls_pq_proxy *running;

static void print_help(FILE *out)
{
	fputs("Usage: ratls proxy --listen DIR|ADDRESS --upstream HOST:PORT [options]\n"
	      "\n"
	      "Run a local proxy through which any PostgreSQL client gets an attested\n"
	      "connection. Each client connection opens its own TLS session to the upstream\n"
	      "RA-TLS port (ratls-sidecar), which must pass the full check before a byte of\n"
	      "the client's goes through; otherwise the client gets the ratls error as a\n"
	      "PostgreSQL error. The proxy logs every check.\n"
	      "\n"
	      "  --listen DIR|ADDRESS      a directory (absolute path) for the Unix socket\n"
	      "                            .s.PGSQL.PORT, usable only by this user: clients\n"
	      "                            connect with host=DIR port=PORT; or a loopback\n"
	      "                            address 127.0.0.1:PORT or [::1]:PORT, which every\n"
	      "                            local user can reach (0 picks a free port)\n"
	      "  --upstream HOST:PORT      the server's RA-TLS port\n"
	      "  --socket-port N           PORT in the socket's name (default: the\n"
	      "                            upstream's port)\n"
	      "  --max-connections N       client connections served at once; more are\n"
	      "                            closed (default 100)\n"
	      "  --drain-timeout SECONDS   after SIGTERM or SIGINT, how long open sessions\n"
	      "                            may continue (default 30)\n"
	      "  --idle-timeout SECONDS    close a session after this long without a byte\n"
	      "                            either way (default 0: never)\n"
	      "\n",
	      out);
	cli_pq_print_help(out);
	fputs("\n"
	      "  -v, --verbose             also log each session's end and byte counts\n"
	      "  -h, --help                print this help\n"
	      "\n"
	      "Example:\n"
	      "  ratls proxy --listen /run/ratls --upstream db.example:5433 --mrtd HEX &\n"
	      "  psql 'host=/run/ratls port=5433 user=app dbname=app'\n"
	      "\n"
	      "Exit status: 0 after a clean stop, 2 for a usage error, and the failure\n"
	      "classes of 'ratls --help' when the proxy cannot start.\n",
	      out);
}

/* Logs with a UTC timestamp, as a long-running program's log needs one. */
static void log_line(enum ratls_log_level level, const char *message, void *arg)
{
	static const char *const labels[] = {"error", "warning", "info", "debug"};
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)arg;
	if (level == RATLS_LOG_DEBUG && !cli_verbose)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s ratls proxy: %s: %s\n", stamp,
		(unsigned)level < 4 ? labels[level] : "debug", message);
	fflush(stderr);
}

static void on_signal(int signal_number)
{
	(void)signal_number;
	if (running != NULL)
		ratls_pq_proxy_stop(running);
}

static void install_signals(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	/* A client that disconnects must not end the proxy. */
	action.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &action, NULL);
}

static int parse_count(const char *value, const char *option, int min, int *out)
{
	int64_t n;

	if (!cli_parse_int64(value, min, 1000000, &n))
		return cli_usage_error(COMMAND, "%s value '%s' is not a whole number from %d to "
						"1000000",
				       option, value, min);
	*out = (int)n;
	return CLI_EXIT_OK;
}

static int handle_option(struct ratls_pq_proxy_config *config, struct cli_pq_args *args, int opt,
			 char **argv, int optind_before)
{
	switch (opt) {
	case OPT_LISTEN:
		config->listen = optarg;
		return CLI_EXIT_OK;
	case OPT_UPSTREAM:
		config->upstream = optarg;
		return CLI_EXIT_OK;
	case OPT_SOCKET_PORT:
		return parse_count(optarg, "--socket-port", 1, &config->socket_port);
	case OPT_MAX_CONNECTIONS:
		return parse_count(optarg, "--max-connections", 1, &config->max_connections);
	case OPT_DRAIN_TIMEOUT:
		return parse_count(optarg, "--drain-timeout", 0, &config->drain_timeout);
	case OPT_IDLE_TIMEOUT:
		return parse_count(optarg, "--idle-timeout", 0, &config->idle_timeout);
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		if (cli_pq_is_option(opt))
			return cli_pq_handle_option(args, opt, optarg);
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

static int serve(const struct ratls_pq_proxy_config *config, struct ratls_pq_options *options)
{
	struct ratls_detail detail = {0};
	struct ratls_pq_proxy *proxy = NULL;
	int rc;

	rc = ratls_pq_proxy_new(config, options, &proxy, &detail);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls proxy: cannot start: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		return cli_exit_status(rc);
	}
	running = proxy;
	install_signals();
	rc = ratls_pq_proxy_run(proxy, &detail);
	running = NULL;
	ratls_pq_proxy_free(proxy);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls proxy: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		return cli_exit_status(rc);
	}
	return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
	struct option long_options[OWN_OPTION_COUNT + CLI_PQ_LONG_OPTION_COUNT + 1];
	struct ratls_pq_proxy_config config = {.drain_timeout = -1};
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct cli_pq_args args;
	int opt, status = CLI_EXIT_OK, optind_before = optind;

	if (options == NULL) {
		fprintf(stderr, "ratls: out of memory\n");
		return CLI_EXIT_USAGE;
	}
	memcpy(long_options, own_options, sizeof(own_options));
	cli_pq_long_options(long_options + OWN_OPTION_COUNT);
	memset(&long_options[OWN_OPTION_COUNT + CLI_PQ_LONG_OPTION_COUNT], 0,
	       sizeof(long_options[0]));
	cli_pq_args_init(&args, options, COMMAND);

	opterr = 0;
	while (status == CLI_EXIT_OK &&
	       (opt = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
		if (opt == 'h') {
			print_help(stdout);
			goto out;
		}
		status = handle_option(&config, &args, opt, argv, optind_before);
		optind_before = optind;
	}
	if (status != CLI_EXIT_OK)
		goto out;
	if (optind < argc) {
		status = cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (config.listen == NULL || config.upstream == NULL) {
		status = cli_usage_error(COMMAND, "--listen and --upstream are required");
		goto out;
	}
	if ((status = cli_pq_args_apply(&args)) != CLI_EXIT_OK)
		goto out;

	ratls_set_log_callback(log_line, NULL);
	status = serve(&config, options);
	ratls_set_log_callback(cli_log_to_stderr, NULL);
out:
	ratls_pq_options_free(options);
	return status;
}

const struct cli_command cli_proxy_command = {
	.group = "proxy",
	.name = "[options]",
	.summary = "run a local attesting proxy for any PostgreSQL client",
	.run = run,
	.print_help = print_help,
};
