/*
 * "ratls verify host HOST[:PORT]": verify-before-connect. Connects to a
 * PostgreSQL server's RA-TLS port, runs the TLS handshake and the full
 * client check exactly as ratls_pq_connectdb does, prints the verified
 * report and exits with the failure class. No PostgreSQL byte is sent.
 *
 * This file also contains the connector options that "ratls proxy" shares
 * (cli_pq_*): each sets a ratls_ keyword of ratls_pq_options_set.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ratls/pq.h"
#include "report.h"

#define COMMAND "verify host"

/* ---- the shared connector options ---- */

enum {
	OPT_COLLATERAL = CLI_PQ_OPTION_BASE,
	OPT_PCCS_URL,
	OPT_TRUST_ROOT,
	OPT_VERIFIER,
	OPT_ITA_URL,
	OPT_ITA_JWKS_URL,
	OPT_ITA_REGION,
	OPT_MRTD,
	OPT_RTMR,
	OPT_COMPOSE_HASH,
	OPT_APP_ID,
	OPT_OS_IMAGE_HASH,
	OPT_ALLOW_TCB,
	OPT_ALLOW_DEBUG,
	OPT_ALLOW_SIMULATOR,
	OPT_CLIENT_CERT,
	OPT_CLIENT_KEY,
	OPT_CLIENT_DSTACK,
	OPT_DSTACK_SOCKET,
	OPT_CONNECT_TIMEOUT,
	OPT_CACHE_TTL,
	OPT_END_
};

static const struct option pq_long_options[CLI_PQ_LONG_OPTION_COUNT] = {
	{"collateral", required_argument, NULL, OPT_COLLATERAL},
	{"pccs-url", required_argument, NULL, OPT_PCCS_URL},
	{"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
	{"verifier", required_argument, NULL, OPT_VERIFIER},
	{"ita-url", required_argument, NULL, OPT_ITA_URL},
	{"ita-jwks-url", required_argument, NULL, OPT_ITA_JWKS_URL},
	{"ita-region", required_argument, NULL, OPT_ITA_REGION},
	{"mrtd", required_argument, NULL, OPT_MRTD},
	{"rtmr", required_argument, NULL, OPT_RTMR},
	{"compose-hash", required_argument, NULL, OPT_COMPOSE_HASH},
	{"app-id", required_argument, NULL, OPT_APP_ID},
	{"os-image-hash", required_argument, NULL, OPT_OS_IMAGE_HASH},
	{"allow-tcb", required_argument, NULL, OPT_ALLOW_TCB},
	{"allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG},
	{"allow-simulator", no_argument, NULL, OPT_ALLOW_SIMULATOR},
	{"client-cert", required_argument, NULL, OPT_CLIENT_CERT},
	{"client-key", required_argument, NULL, OPT_CLIENT_KEY},
	{"client-dstack", no_argument, NULL, OPT_CLIENT_DSTACK},
	{"dstack-socket", required_argument, NULL, OPT_DSTACK_SOCKET},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"cache-ttl", required_argument, NULL, OPT_CACHE_TTL},
};

_Static_assert(OPT_END_ - CLI_PQ_OPTION_BASE == CLI_PQ_LONG_OPTION_COUNT,
	       "pq_long_options lists every connector option");

void cli_pq_long_options(struct option *out)
{
	memcpy(out, pq_long_options, sizeof(pq_long_options));
}

/* The single-valued options and the keyword each one sets. */
static const struct {
	int opt;
	const char *keyword;
} keyword_options[] = {
	{OPT_COLLATERAL, "collateral"},       {OPT_PCCS_URL, "pccs_url"},
	{OPT_TRUST_ROOT, "trust_root"},       {OPT_VERIFIER, "verifier"},
	{OPT_ITA_URL, "ita_url"},             {OPT_ITA_JWKS_URL, "ita_jwks_url"},
	{OPT_ITA_REGION, "ita_region"},       {OPT_CLIENT_CERT, "client_cert_file"},
	{OPT_CLIENT_KEY, "client_key_file"},  {OPT_DSTACK_SOCKET, "dstack_socket"},
	{OPT_CONNECT_TIMEOUT, "connect_timeout"}, {OPT_CACHE_TTL, "cache_ttl"},
};

/* The repeatable options, joined with commas into one keyword value. */
static const struct {
	int opt;
	const char *keyword;
	const char *option;
} list_options[CLI_PQ_LISTS] = {
	{OPT_MRTD, "mrtd", "--mrtd"},
	{OPT_COMPOSE_HASH, "compose_hash", "--compose-hash"},
	{OPT_APP_ID, "app_id", "--app-id"},
	{OPT_OS_IMAGE_HASH, "os_image_hash", "--os-image-hash"},
	{OPT_ALLOW_TCB, "tcb_status", "--allow-tcb"},
};

void cli_pq_args_init(struct cli_pq_args *args, struct ratls_pq_options *options,
		      const char *command)
{
	memset(args, 0, sizeof(*args));
	args->options = options;
	args->command = command;
}

bool cli_pq_is_option(int opt)
{
	return opt >= CLI_PQ_OPTION_BASE && opt < OPT_END_;
}

static int set_keyword(struct cli_pq_args *args, const char *keyword, const char *value,
		       const char *option)
{
	struct ratls_detail detail = {0};

	if (ratls_pq_options_set(args->options, keyword, value, &detail) != RATLS_OK)
		return cli_usage_error(args->command, "invalid %s value: %s", option,
				       cli_detail_message(&detail, detail.code));
	return CLI_EXIT_OK;
}

/* Keeps a value of a repeatable option; returns -1 when opt is not one of them. */
static int add_to_list(struct cli_pq_args *args, int opt, const char *value)
{
	int list = -1;

	for (int i = 0; i < CLI_PQ_LISTS; i++) {
		if (list_options[i].opt == opt)
			list = i;
	}
	if (list < 0)
		return -1;
	if (args->counts[list] == CLI_PQ_LIST_MAX)
		return cli_usage_error(args->command, "more than %d %s values", CLI_PQ_LIST_MAX,
				       list_options[list].option);
	args->lists[list][args->counts[list]++] = value;
	return CLI_EXIT_OK;
}

static int set_rtmr(struct cli_pq_args *args, const char *value)
{
	char keyword[] = "rtmr0";

	if (strlen(value) < 3 || value[1] != '=' || value[0] < '0' || value[0] > '3')
		return cli_usage_error(args->command, "--rtmr value '%.16s' is not N=HEX with N from "
						      "0 to 3",
				       value);
	keyword[4] = value[0];
	return set_keyword(args, keyword, value + 2, "--rtmr");
}

int cli_pq_handle_option(struct cli_pq_args *args, int opt, const char *value)
{
	int status;

	for (size_t i = 0; i < sizeof(keyword_options) / sizeof(keyword_options[0]); i++) {
		char option[64];

		if (keyword_options[i].opt != opt)
			continue;
		snprintf(option, sizeof(option), "--%s", pq_long_options[opt - CLI_PQ_OPTION_BASE].name);
		if (opt == OPT_CLIENT_CERT || opt == OPT_CLIENT_KEY)
			args->client_files = true;
		if (opt == OPT_TRUST_ROOT)
			args->trust_root = value;
		return set_keyword(args, keyword_options[i].keyword, value, option);
	}
	status = add_to_list(args, opt, value);
	if (status >= 0)
		return status;
	switch (opt) {
	case OPT_RTMR:
		return set_rtmr(args, value);
	case OPT_ALLOW_DEBUG:
		args->allow_debug = true;
		return set_keyword(args, "allow_debug", "1", "--allow-debug");
	case OPT_ALLOW_SIMULATOR:
		args->allow_simulator = true;
		return set_keyword(args, "allow_simulator", "1", "--allow-simulator");
	case OPT_CLIENT_DSTACK:
		args->client_dstack = true;
		return set_keyword(args, "client_cert", "dstack", "--client-dstack");
	default:
		return cli_usage_error(args->command, "unknown option");
	}
}

int cli_pq_args_apply(struct cli_pq_args *args)
{
	int status;

	if (args->client_files && args->client_dstack)
		return cli_usage_error(args->command,
				       "--client-cert and --client-key exclude --client-dstack");
	if (args->client_files &&
	    (status = set_keyword(args, "client_cert", "file", "--client-cert")) != CLI_EXIT_OK)
		return status;
	for (int list = 0; list < CLI_PQ_LISTS; list++) {
		char value[16384];
		size_t used = 0;

		if (args->counts[list] == 0)
			continue;
		for (size_t i = 0; i < args->counts[list]; i++) {
			int n = snprintf(value + used, sizeof(value) - used, "%s%s", i > 0 ? "," : "",
					 args->lists[list][i]);

			if (n < 0 || (size_t)n >= sizeof(value) - used)
				return cli_usage_error(args->command, "the %s values are too long",
						       list_options[list].option);
			used += (size_t)n;
		}
		if ((status = set_keyword(args, list_options[list].keyword, value,
					  list_options[list].option)) != CLI_EXIT_OK)
			return status;
	}

	if (args->trust_root != NULL)
		cli_warn("--trust-root: chains ending at the certificate in '%s' are trusted "
			 "instead of the Intel SGX Root CA",
			 args->trust_root);
	if (args->allow_debug)
		cli_warn("--allow-debug: a debuggable TD is accepted, and its host can read its "
			 "memory");
	if (args->allow_simulator)
		cli_warn("--allow-simulator: a server without RA-TLS evidence is accepted, and such "
			 "a server is not attested");
	return CLI_EXIT_OK;
}

void cli_pq_print_help(FILE *out)
{
	fputs("Verifier (default: local DCAP with collateral from Intel's PCS):\n"
	      "  --collateral FILE         collateral bundle JSON (offline verification)\n"
	      "  --pccs-url URL            fetch collateral from this PCCS\n"
	      "  --trust-root FILE         trust this root certificate (PEM or DER)\n"
	      "                            instead of the Intel SGX Root CA (weakens)\n"
	      "  --verifier dcap|ita       ita: Intel Trust Authority, API key from\n"
	      "                            INTEL_TRUST_AUTHORITY_API_KEY\n"
	      "  --ita-url URL, --ita-jwks-url URL, --ita-region us|eu\n"
	      "Policy (defaults: any MRTD, TCB status UpToDate or SWHardeningNeeded,\n"
	      "debug rejected):\n"
	      "  --mrtd HEX                allow this MRTD (96 hex digits); repeatable\n"
	      "  --rtmr N=HEX              require RTMR N (0-3) to equal HEX\n"
	      "  --compose-hash HEX        allow this compose hash (64 hex digits);\n"
	      "                            repeatable\n"
	      "  --app-id HEX              allow this dstack app id (40 hex digits);\n"
	      "                            repeatable\n"
	      "  --os-image-hash HEX       allow this OS image hash; repeatable\n"
	      "  --allow-tcb STATUS        accept this TCB status; repeatable; the first\n"
	      "                            replaces the defaults\n"
	      "  --allow-debug             accept a debuggable TD (weakens)\n"
	      "  --allow-simulator         accept a server without RA-TLS evidence\n"
	      "                            (weakens)\n"
	      "Client certificate (mutual RA-TLS; default: none):\n"
	      "  --client-cert FILE        PEM certificate chain, leaf first\n"
	      "  --client-key FILE         its PEM private key\n"
	      "  --client-dstack           ask the dstack guest agent for an RA-TLS\n"
	      "                            client certificate\n"
	      "  --dstack-socket PATH      the guest agent's socket\n"
	      "Connection:\n"
	      "  --connect-timeout SECONDS TCP connect and TLS handshake (default 30)\n"
	      "  --cache-ttl SECONDS       reuse a successful check this long (default\n"
	      "                            3600; 0 checks every connection)\n"
	      "The RATLS_* environment variables of docs/connector.md apply too; options\n"
	      "override them.\n",
	      out);
}

/* ---- verify host ---- */

static const struct option own_options[] = {
	{"json", no_argument, NULL, 'j'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
};
#define OWN_OPTION_COUNT (sizeof(own_options) / sizeof(own_options[0]))

static void print_help(FILE *out)
{
	fputs("Usage: ratls verify host [options] HOST[:PORT]\n"
	      "\n"
	      "Verify a PostgreSQL server before connecting to it: connect to its RA-TLS\n"
	      "port (default 5432; ratls-sidecar listens on 5433), send a TLS ClientHello\n"
	      "directly, and run the full check on its certificate: the quote against\n"
	      "Intel's chain, the key binding, the event log replay and the policy. No\n"
	      "PostgreSQL byte is sent. HOST may be an IPv6 address in brackets.\n"
	      "\n",
	      out);
	cli_pq_print_help(out);
	fputs("\n"
	      "Output:\n"
	      "  --json                    print the result as JSON on standard output\n"
	      "  -v, --verbose             also print the library's info and debug messages\n"
	      "  -h, --help                print this help\n"
	      "\n"
	      "The report has the server, the TLS session and the verified report. A failure\n"
	      "prints 'ratls: verification failed: NAME: MESSAGE' to standard error.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

/* Splits HOST[:PORT] ("[::1]:5433" for IPv6) into a connection string. */
static int host_conninfo(const char *arg, char *out, size_t size)
{
	const char *host = arg, *port = "5432";
	size_t host_len = strlen(arg);
	const char *colon = strrchr(arg, ':');

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return cli_usage_error(COMMAND, "'%s' is not [ADDRESS]:PORT", arg);
		host = arg + 1;
		host_len = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else if (colon != NULL && strchr(arg, ':') == colon) {
		host_len = (size_t)(colon - arg);
		port = colon + 1;
	}
	if (host_len == 0 || port[0] == '\0' || strcspn(arg, "' \\") != strlen(arg))
		return cli_usage_error(COMMAND, "'%s' is not HOST[:PORT]", arg);
	if (snprintf(out, size, "host='%.*s' port='%s'", (int)host_len, host, port) >= (int)size)
		return cli_usage_error(COMMAND, "'%s' is too long", arg);
	return CLI_EXIT_OK;
}

static void put_hex(json_t *o, const char *key, const uint8_t *data, size_t size)
{
	json_object_set_new(o, key, size > 0 ? cli_hex_json(data, size) : json_null());
}

static json_t *server_json(const struct ratls_pq_attestation *att)
{
	json_t *o = json_object();

	json_object_set_new(o, "host", json_string(att->host));
	json_object_set_new(o, "port", json_string(att->port));
	json_object_set_new(o, "tls_version", json_string(att->tls_version));
	json_object_set_new(o, "tls_cipher", json_string(att->tls_cipher));
	json_object_set_new(o, "attested", json_boolean(att->attested));
	json_object_set_new(o, "verifier", json_string(att->verifier));
	put_hex(o, "spki_sha256", att->spki_sha256, att->attested ? 32 : 0);
	put_hex(o, "leaf_sha256", att->leaf_sha256, 32);
	put_hex(o, "quote_sha256", att->quote_sha256, att->attested ? 32 : 0);
	put_hex(o, "app_id", att->app_id, att->app_id_size);
	put_hex(o, "compose_hash", att->compose_hash, att->compose_hash_size);
	put_hex(o, "instance_id", att->instance_id, att->instance_id_size);
	put_hex(o, "os_image_hash", att->os_image_hash, att->os_image_hash_size);
	return o;
}

static void print_hex_line(const char *label, const uint8_t *data, size_t size)
{
	char hex[2 * RATLS_PQ_IDENTITY_VALUE_MAX + 1];

	if (size == 0)
		return;
	cli_hex_encode(data, size, hex, sizeof(hex));
	printf("%-24s%s\n", label, hex);
}

static void print_server_text(const struct ratls_pq_attestation *att)
{
	printf("server:                 %s:%s\n", att->host, att->port);
	printf("TLS:                    %s %s\n", att->tls_version, att->tls_cipher);
	printf("verifier:               %s\n", att->verifier);
	print_hex_line("leaf SHA-256:", att->leaf_sha256, 32);
	if (!att->attested) {
		printf("attested:               no (accepted by --allow-simulator)\n");
		return;
	}
	print_hex_line("SPKI SHA-256:", att->spki_sha256, 32);
	print_hex_line("app id:", att->app_id, att->app_id_size);
	print_hex_line("compose hash:", att->compose_hash, att->compose_hash_size);
	print_hex_line("instance id:", att->instance_id, att->instance_id_size);
	print_hex_line("OS image hash:", att->os_image_hash, att->os_image_hash_size);
}

static int print_result(bool json, int code, const struct ratls_detail *detail,
			const struct ratls_pq_attestation *att)
{
	struct cli_verify_result result = {.at = att->verified_at, .code = code, .detail = detail};
	struct ratls_detail print_detail = {0};
	int rc = RATLS_OK;

	if (code == RATLS_OK && att->attested)
		result.report = &att->report;
	if (json) {
		json_t *root = code == RATLS_OK ? cli_verify_json(&result)
						: cli_error_json(code, detail);

		if (root != NULL && code == RATLS_OK)
			json_object_set_new(root, "server", server_json(att));
		rc = cli_print_json(root, &print_detail);
	} else if (code == RATLS_OK) {
		if (result.report != NULL)
			cli_print_verify_text(stdout, &result);
		print_server_text(att);
	}
	if (code != RATLS_OK)
		fprintf(stderr, "ratls: verification failed: %s: %s\n", ratls_error_name(code),
			cli_detail_message(detail, code));
	if (rc != RATLS_OK)
		fprintf(stderr, "ratls: %s\n", cli_detail_message(&print_detail, rc));
	return code != RATLS_OK ? cli_exit_status(code) : cli_exit_status(rc);
}

static int run(int argc, char **argv)
{
	struct option long_options[OWN_OPTION_COUNT + CLI_PQ_LONG_OPTION_COUNT + 1];
	struct ratls_pq_options *options = ratls_pq_options_new();
	struct ratls_pq_attestation att;
	struct ratls_detail detail = {0};
	struct cli_pq_args args;
	char conninfo[1024];
	bool json = false;
	int opt, status, code, optind_before = optind;

	if (options == NULL) {
		fprintf(stderr, "ratls: out of memory\n");
		return CLI_EXIT_USAGE;
	}
	memcpy(long_options, own_options, sizeof(own_options));
	cli_pq_long_options(long_options + OWN_OPTION_COUNT);
	memset(&long_options[OWN_OPTION_COUNT + CLI_PQ_LONG_OPTION_COUNT], 0,
	       sizeof(long_options[0]));
	cli_pq_args_init(&args, options, COMMAND);
	/* A one-shot check: a cached result of this process would never be used anyway. */
	status = cli_pq_handle_option(&args, OPT_CACHE_TTL, "0");

	opterr = 0;
	while (status == CLI_EXIT_OK &&
	       (opt = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
		if (opt == 'h') {
			print_help(stdout);
			goto out;
		} else if (opt == 'v') {
			cli_verbose = true;
		} else if (opt == 'j') {
			json = true;
		} else if (cli_pq_is_option(opt)) {
			status = cli_pq_handle_option(&args, opt, optarg);
		} else {
			status = cli_option_error(COMMAND, opt, argv, optind_before);
		}
		optind_before = optind;
	}
	if (status != CLI_EXIT_OK)
		goto out;
	if (optind != argc - 1) {
		status = cli_usage_error(COMMAND, "expected one HOST[:PORT], got %d arguments",
					 argc - optind);
		goto out;
	}
	if ((status = host_conninfo(argv[optind], conninfo, sizeof(conninfo))) != CLI_EXIT_OK ||
	    (status = cli_pq_args_apply(&args)) != CLI_EXIT_OK)
		goto out;

	code = ratls_pq_verify_server(conninfo, options, &att, &detail);
	status = print_result(json, code, &detail, &att);
out:
	ratls_pq_options_free(options);
	return status;
}

const struct cli_command cli_verify_host_command = {
	.group = "verify",
	.name = "host",
	.summary = "verify a PostgreSQL server's RA-TLS port before connecting",
	.run = run,
	.print_help = print_help,
};
