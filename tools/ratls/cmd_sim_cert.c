/*
 * "ratls sim cert --platform DIR": issues a complete RA-TLS certificate on
 * the simulated platform (ratls_issue_cert). The runtime events follow
 * dstack's boot sequence with the given app id, compose hash and instance
 * id; RTMR3 of the quote is their replay, so the certificate passes
 * "ratls verify cert" under the platform's root.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_sim.h"
#include "ratls/attest.h"
#include "ratls/evidence.h"

#define COMMAND "sim cert"

/* Most --dns options, as ratls_issue_cert accepts. */
#define DNS_NAMES_MAX RATLS_ISSUE_DNS_NAMES_MAX

/* Default validity of the certificate, in days (dstack's app certificates use 10 years). */
#define DEFAULT_VALIDITY_DAYS 365
#define MAX_VALIDITY_DAYS 36500

/* The dstack runtime events written; the names follow dstack-util's system setup. */
#define EVENT_COUNT 7

enum {
	OPT_PLATFORM = 256,
	OPT_MRTD,
	OPT_RTMR,
	OPT_APP_ID,
	OPT_COMPOSE_HASH,
	OPT_INSTANCE_ID,
	OPT_COMMON_NAME,
	OPT_DNS,
	OPT_DAYS,
	OPT_AT,
	OPT_LEGACY,
	OPT_DEBUG,
	OPT_OUT,
	OPT_KEY_OUT,
};

static const struct option long_options[] = {
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"mrtd", required_argument, NULL, OPT_MRTD},
	{"rtmr", required_argument, NULL, OPT_RTMR},
	{"app-id", required_argument, NULL, OPT_APP_ID},
	{"compose-hash", required_argument, NULL, OPT_COMPOSE_HASH},
	{"instance-id", required_argument, NULL, OPT_INSTANCE_ID},
	{"common-name", required_argument, NULL, OPT_COMMON_NAME},
	{"dns", required_argument, NULL, OPT_DNS},
	{"days", required_argument, NULL, OPT_DAYS},
	{"at", required_argument, NULL, OPT_AT},
	{"legacy", no_argument, NULL, OPT_LEGACY},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"out", required_argument, NULL, OPT_OUT},
	{"key-out", required_argument, NULL, OPT_KEY_OUT},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct cert_args {
	const char *platform_dir;
	bool mrtd_given;
	uint8_t mrtd[48];
	bool rtmr_given[3];
	uint8_t rtmr[3][48];
	uint8_t app_id[20];
	uint8_t compose_hash[32];
	uint8_t instance_id[20];
	const char *common_name;
	const char *dns_names[DNS_NAMES_MAX];
	size_t dns_name_count;
	int64_t days;
	int64_t at;
	bool at_given;
	bool legacy;
	bool debug;
	const char *out_path;
	const char *key_out_path;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls sim cert --platform DIR --out CERT.pem --key-out KEY.pem [options]\n"
	      "\n"
	      "Issue an RA-TLS certificate on the simulated platform in DIR (see 'ratls sim\n"
	      "init'): a new P-256 key, a TDX v4 quote whose report_data is\n"
	      "SHA-512(\"ratls-cert:\" || the key's SubjectPublicKeyInfo), and a self-signed\n"
	      "certificate carrying a dstack attestation envelope (extension\n"
	      "1.3.6.1.4.1.62397.1.8) with dstack's runtime events. RTMR3 is the replay of\n"
	      "those events: system-preparing, app-id, compose-hash, instance-id,\n"
	      "boot-mr-done, key-provider ({\"name\":\"none\",\"id\":\"\"}), system-ready.\n"
	      "\n"
	      "Options:\n"
	      "  --platform DIR        platform folder written by 'ratls sim init'; required\n"
	      "  --out FILE            write the certificate as PEM; required\n"
	      "  --key-out FILE        write the private key as PKCS#8 PEM (mode 0600); required\n"
	      "  --mrtd HEX            MRTD, 96 hex digits (default: the platform's pattern)\n"
	      "  --rtmr N=HEX          RTMR N (0-2), 96 hex digits; repeatable, once per N\n"
	      "  --app-id HEX          app id event, 40 hex digits (default: zeros)\n"
	      "  --compose-hash HEX    compose hash event, 64 hex digits (default: zeros)\n"
	      "  --instance-id HEX     instance id event, 40 hex digits (default: zeros)\n"
	      "  --common-name NAME    subject CN (default: RA-TLS Cert)\n"
	      "  --dns NAME            subjectAltName DNS name; repeatable, at most 16\n"
	      "  --days N              validity in days from --at (default 365)\n"
	      "  --at TIME             start of validity, RFC 3339 or Unix seconds\n"
	      "                        (default: the current time)\n"
	      "  --legacy              also write the legacy extensions .1.1 (quote) and .1.2\n"
	      "                        (JSON event log) that dstack clients before v0.5.9 read\n"
	      "  --debug               set TDATTRIBUTES.DEBUG; verifiers reject it by default\n"
	      "  -v, --verbose         also print the library's info and debug messages\n"
	      "  -h, --help            print this help\n"
	      "\n"
	      "The quote is signed by a test PKI, never by Intel: 'ratls verify cert' accepts\n"
	      "it only with --trust-root DIR/root.pem and collateral from 'ratls sim\n"
	      "collateral'.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static int set_once(const char **field, const char *value, const char *option)
{
	if (*field != NULL)
		return cli_usage_error(COMMAND, "option '--%s' is given twice ('%s' and '%s')",
				       option, *field, value);
	*field = value;
	return CLI_EXIT_OK;
}

static int parse_rtmr(struct cert_args *args, const char *value)
{
	const char *eq = strchr(value, '=');
	int index;

	if (value[0] == '3' && eq == value + 1)
		return cli_usage_error(COMMAND,
				       "--rtmr 3 cannot be set: RTMR3 is the replay of the runtime "
				       "events; change them with --app-id, --compose-hash and "
				       "--instance-id");
	if (eq == NULL || eq - value != 1 || value[0] < '0' || value[0] > '2')
		return cli_usage_error(COMMAND, "--rtmr value '%s' is not N=HEX with N from 0 to 2",
				       value);
	index = value[0] - '0';
	if (args->rtmr_given[index])
		return cli_usage_error(COMMAND, "RTMR%d is given twice by --rtmr", index);
	args->rtmr_given[index] = true;
	return cli_sim_parse_hex(COMMAND, "--rtmr", "an RTMR", eq + 1, true, args->rtmr[index],
				 48);
}

static int handle_option(struct cert_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	switch (opt) {
	case OPT_PLATFORM:
		return set_once(&args->platform_dir, optarg, "platform");
	case OPT_MRTD:
		args->mrtd_given = true;
		return cli_sim_parse_hex(COMMAND, "--mrtd", "MRTD", optarg, true, args->mrtd, 48);
	case OPT_RTMR:
		return parse_rtmr(args, optarg);
	case OPT_APP_ID:
		return cli_sim_parse_hex(COMMAND, "--app-id", "app id", optarg, true, args->app_id,
					 20);
	case OPT_COMPOSE_HASH:
		return cli_sim_parse_hex(COMMAND, "--compose-hash", "compose hash", optarg, true,
					 args->compose_hash, 32);
	case OPT_INSTANCE_ID:
		return cli_sim_parse_hex(COMMAND, "--instance-id", "instance id", optarg, true,
					 args->instance_id, 20);
	case OPT_COMMON_NAME:
		return set_once(&args->common_name, optarg, "common-name");
	case OPT_DNS:
		if (args->dns_name_count == DNS_NAMES_MAX)
			return cli_usage_error(COMMAND, "more than %d --dns values", DNS_NAMES_MAX);
		args->dns_names[args->dns_name_count++] = optarg;
		return CLI_EXIT_OK;
	case OPT_DAYS:
		if (!cli_parse_int64(optarg, 1, MAX_VALIDITY_DAYS, &args->days))
			return cli_usage_error(COMMAND, "--days value '%s' is not a number of days "
							"from 1 to %d",
					       optarg, MAX_VALIDITY_DAYS);
		return CLI_EXIT_OK;
	case OPT_AT:
		if (cli_parse_time(optarg, &args->at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_LEGACY:
		args->legacy = true;
		return CLI_EXIT_OK;
	case OPT_DEBUG:
		args->debug = true;
		return CLI_EXIT_OK;
	case OPT_OUT:
		return set_once(&args->out_path, optarg, "out");
	case OPT_KEY_OUT:
		return set_once(&args->key_out_path, optarg, "key-out");
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

static int parse_args(int argc, char **argv, struct cert_args *args)
{
	int opt, status, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
		if (opt == 'h') {
			print_help(stdout);
			return CLI_EXIT_OK;
		}
		if ((status = handle_option(args, opt, argv, optind_before)) != CLI_EXIT_OK)
			return status;
		optind_before = optind;
	}
	if (optind < argc)
		return cli_usage_error(COMMAND,
				       "unexpected argument '%s'; the output files are given with "
				       "--out and --key-out",
				       argv[optind]);
	if (args->platform_dir == NULL)
		return cli_usage_error(COMMAND,
				       "missing --platform DIR, the folder written by 'ratls sim "
				       "init'");
	if (args->out_path == NULL || args->key_out_path == NULL)
		return cli_usage_error(COMMAND, "missing --out FILE or --key-out FILE");
	if (strcmp(args->out_path, args->key_out_path) == 0)
		return cli_usage_error(COMMAND,
				       "--out and --key-out name the same file '%s'; the certificate "
				       "would replace the private key",
				       args->out_path);
	if (args->days == 0)
		args->days = DEFAULT_VALIDITY_DAYS;
	if (!args->at_given)
		args->at = (int64_t)time(NULL);
	return -1;
}

struct quote_source {
	const struct ratls_sim_platform *platform;
	const struct cert_args *args;
	uint8_t rtmr3[48];
};

static int sim_quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			    size_t *quote_size, struct ratls_detail *detail)
{
	const struct quote_source *source = arg;
	const struct cert_args *args = source->args;
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(source->platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	if (args->mrtd_given)
		memcpy(params.td.mr_td, args->mrtd, 48);
	for (int i = 0; i < 3; i++) {
		if (args->rtmr_given[i])
			memcpy(params.td.rtmr[i], args->rtmr[i], 48);
	}
	memcpy(params.td.rtmr[3], source->rtmr3, 48);
	memcpy(params.td.report_data, report_data, 64);
	if (args->debug)
		params.td.td_attributes[0] |= 0x01; /* TDATTRIBUTES.DEBUG */
	return ratls_sim_platform_quote(source->platform, &params, quote, quote_size, detail);
}

static void set_event(struct ratls_runtime_event *e, const char *name, const void *payload,
		      size_t size)
{
	e->name = (char *)(uintptr_t)name;
	e->name_size = strlen(name);
	e->payload = (uint8_t *)(uintptr_t)payload;
	e->payload_size = size;
	e->version = 1;
}

/* RTMR3 after extending every event from 48 zero bytes. */
static int replay_events(const struct ratls_runtime_event *events, size_t count,
			 uint8_t rtmr3[48], struct ratls_detail *detail)
{
	int rc;

	memset(rtmr3, 0, 48);
	for (size_t i = 0; i < count; i++) {
		uint8_t digest[48];

		rc = ratls_evidence_digest_runtime_event(events[i].name, events[i].name_size,
							 events[i].payload, events[i].payload_size,
							 events[i].version, digest, detail);
		if (rc != RATLS_OK)
			return rc;
		if ((rc = ratls_evidence_extend_rtmr(rtmr3, digest, detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/* Writes DER as a PEM certificate. */
static int write_cert_pem(const char *path, const uint8_t *der, size_t der_size,
			  struct ratls_detail *detail)
{
	char *pem = NULL;
	size_t pem_len = 0;
	int rc;

	rc = ratls_sim_pem_encode("CERTIFICATE", der, der_size, &pem, &pem_len, detail);
	if (rc == RATLS_OK)
		rc = cli_sim_write_file(path, pem, pem_len, 0644, detail);
	ratls_sim_free(pem);
	return rc;
}

static int issue(const struct cert_args *args, struct ratls_detail *detail)
{
	static const char key_provider[] = "{\"name\":\"none\",\"id\":\"\"}";
	struct cli_sim_platform_file file;
	struct ratls_sim_platform_params platform_params;
	struct ratls_sim_platform *platform = NULL;
	struct ratls_runtime_event events[EVENT_COUNT];
	struct quote_source source = {.args = args};
	struct ratls_issue_params params = {0};
	uint8_t *cert = NULL;
	size_t cert_size = 0;
	char *key = NULL;
	size_t key_size = 0;
	int rc;

	if ((rc = cli_sim_platform_file_read(args->platform_dir, &file, detail)) != RATLS_OK)
		goto out;
	ratls_sim_platform_defaults(&platform_params, file.created_at);
	if ((rc = cli_sim_platform_create(&file, &platform_params, &platform, detail)) != RATLS_OK)
		goto out;

	set_event(&events[0], "system-preparing", NULL, 0);
	set_event(&events[1], "app-id", args->app_id, sizeof(args->app_id));
	set_event(&events[2], "compose-hash", args->compose_hash, sizeof(args->compose_hash));
	set_event(&events[3], "instance-id", args->instance_id, sizeof(args->instance_id));
	set_event(&events[4], "boot-mr-done", NULL, 0);
	set_event(&events[5], "key-provider", key_provider, strlen(key_provider));
	set_event(&events[6], "system-ready", NULL, 0);
	if ((rc = replay_events(events, EVENT_COUNT, source.rtmr3, detail)) != RATLS_OK)
		goto out;
	source.platform = platform;

	params.common_name = args->common_name;
	params.dns_names = args->dns_names;
	params.dns_name_count = args->dns_name_count;
	params.not_before = args->at;
	params.not_after = args->at + args->days * 86400;
	params.quote_source = sim_quote_source;
	params.quote_source_arg = &source;
	params.runtime_events = events;
	params.runtime_event_count = EVENT_COUNT;
	params.legacy_extensions = args->legacy;
	rc = ratls_issue_cert(&params, &cert, &cert_size, &key, &key_size, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = cli_sim_write_file(args->key_out_path, key, key_size, 0600, detail)) != RATLS_OK)
		goto out;
	if ((rc = write_cert_pem(args->out_path, cert, cert_size, detail)) != RATLS_OK)
		goto out;
	printf("Wrote an RA-TLS certificate to '%s' and its private key to '%s'\n",
	       args->out_path, args->key_out_path);
out:
	ratls_issue_free_key(key, key_size);
	free(cert);
	ratls_sim_platform_free(platform);
	cli_sim_platform_file_wipe(&file);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cert_args args;
	struct ratls_detail detail = {0};
	int status, rc;

	memset(&args, 0, sizeof(args));
	if ((status = parse_args(argc, argv, &args)) >= 0)
		return status;
	cli_sim_warn_simulated(args.platform_dir);

	rc = issue(&args, &detail);
	if (rc != RATLS_OK)
		return cli_sim_report_failure(COMMAND, rc, &detail);
	return CLI_EXIT_OK;
}

const struct cli_command cli_sim_cert_command = {
	.group = "sim",
	.name = "cert",
	.summary = "issue an RA-TLS certificate on a simulated platform",
	.run = run,
	.print_help = print_help,
};
