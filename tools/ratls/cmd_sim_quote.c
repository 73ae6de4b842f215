/*
 * "ratls sim quote --platform DIR": issues a quote on the simulated platform
 * re-created from DIR/platform.json, with the measurements given as options
 * (ratls_sim_platform_quote).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_sim.h"

#define COMMAND "sim quote"

/* Report fields settable with a hex option, one option each. */
enum field_id {
	FIELD_MR_TD,
	FIELD_REPORT_DATA,
	FIELD_TD_ATTRIBUTES,
	FIELD_XFAM,
	FIELD_TEE_TCB_SVN,
	FIELD_MR_SEAM,
	FIELD_MR_CONFIG_ID,
	FIELD_MR_OWNER,
	FIELD_MR_OWNER_CONFIG,
	FIELD_MR_SERVICETD,
	FIELD_MR_ENCLAVE,
	FIELD_MR_SIGNER,
	FIELD_COUNT
};

/* Largest field above: REPORTDATA. */
#define FIELD_MAX_SIZE 64

/* Report layouts a field exists in. */
#define LAYOUT_TD10 0x1u
#define LAYOUT_TD15 0x2u
#define LAYOUT_SGX 0x4u
#define LAYOUT_TD (LAYOUT_TD10 | LAYOUT_TD15)

struct field_spec {
	const char *option; /* without "--" */
	const char *what;   /* the field's name in Intel's documentation */
	size_t size;
	unsigned int layouts;
};

static const struct field_spec field_specs[FIELD_COUNT] = {
	[FIELD_MR_TD] = {"mrtd", "MRTD", 48, LAYOUT_TD},
	[FIELD_REPORT_DATA] = {"report-data", "REPORTDATA", 64, LAYOUT_TD | LAYOUT_SGX},
	[FIELD_TD_ATTRIBUTES] = {"td-attributes", "TDATTRIBUTES", 8, LAYOUT_TD},
	[FIELD_XFAM] = {"xfam", "XFAM", 8, LAYOUT_TD},
	[FIELD_TEE_TCB_SVN] = {"tee-tcb-svn", "TEE_TCB_SVN", 16, LAYOUT_TD},
	[FIELD_MR_SEAM] = {"mr-seam", "MRSEAM", 48, LAYOUT_TD},
	[FIELD_MR_CONFIG_ID] = {"mr-config-id", "MRCONFIGID", 48, LAYOUT_TD},
	[FIELD_MR_OWNER] = {"mr-owner", "MROWNER", 48, LAYOUT_TD},
	[FIELD_MR_OWNER_CONFIG] = {"mr-owner-config", "MROWNERCONFIG", 48, LAYOUT_TD},
	[FIELD_MR_SERVICETD] = {"mr-servicetd", "MRSERVICETD", 48, LAYOUT_TD15},
	[FIELD_MR_ENCLAVE] = {"mr-enclave", "MRENCLAVE", 32, LAYOUT_SGX},
	[FIELD_MR_SIGNER] = {"mr-signer", "MRSIGNER", 32, LAYOUT_SGX},
};

/* A --format value. */
struct format_spec {
	const char *name;
	enum ratls_sim_quote_format format;
	unsigned int layout;
};

static const struct format_spec format_specs[] = {
	{"tdx-v4", RATLS_SIM_QUOTE_TDX_V4, LAYOUT_TD10},
	{"tdx-v5", RATLS_SIM_QUOTE_TDX_V5_TD10, LAYOUT_TD10},
	{"tdx-v5-td15", RATLS_SIM_QUOTE_TDX_V5_TD15, LAYOUT_TD15},
	{"sgx-v3", RATLS_SIM_QUOTE_SGX_V3, LAYOUT_SGX},
};
#define FORMAT_COUNT (sizeof(format_specs) / sizeof(format_specs[0]))

/* Option values: the field options are OPT_FIELD + enum field_id. */
enum {
	OPT_PLATFORM = 256,
	OPT_FORMAT,
	OPT_RTMR,
	OPT_DEBUG,
	OPT_OUT,
	OPT_HEX,
	OPT_FIELD,
};

static const struct option long_options[] = {
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"rtmr", required_argument, NULL, OPT_RTMR},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"out", required_argument, NULL, OPT_OUT},
	{"hex", no_argument, NULL, OPT_HEX},
	{"mrtd", required_argument, NULL, OPT_FIELD + FIELD_MR_TD},
	{"report-data", required_argument, NULL, OPT_FIELD + FIELD_REPORT_DATA},
	{"td-attributes", required_argument, NULL, OPT_FIELD + FIELD_TD_ATTRIBUTES},
	{"xfam", required_argument, NULL, OPT_FIELD + FIELD_XFAM},
	{"tee-tcb-svn", required_argument, NULL, OPT_FIELD + FIELD_TEE_TCB_SVN},
	{"mr-seam", required_argument, NULL, OPT_FIELD + FIELD_MR_SEAM},
	{"mr-config-id", required_argument, NULL, OPT_FIELD + FIELD_MR_CONFIG_ID},
	{"mr-owner", required_argument, NULL, OPT_FIELD + FIELD_MR_OWNER},
	{"mr-owner-config", required_argument, NULL, OPT_FIELD + FIELD_MR_OWNER_CONFIG},
	{"mr-servicetd", required_argument, NULL, OPT_FIELD + FIELD_MR_SERVICETD},
	{"mr-enclave", required_argument, NULL, OPT_FIELD + FIELD_MR_ENCLAVE},
	{"mr-signer", required_argument, NULL, OPT_FIELD + FIELD_MR_SIGNER},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct quote_args {
	const char *platform_dir;
	const struct format_spec *format;
	bool field_given[FIELD_COUNT];
	uint8_t field_value[FIELD_COUNT][FIELD_MAX_SIZE];
	bool rtmr_given[4];
	uint8_t rtmr[4][48];
	bool debug;
	const char *out_path;
	bool hex;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls sim quote --platform DIR [options]\n"
	      "\n"
	      "Issue a quote on the simulated platform in DIR (see 'ratls sim init'). The\n"
	      "quote is signed by the platform's attestation key and carries its PCK chain,\n"
	      "as a real quote does. Fields not given keep the platform's defaults: fill\n"
	      "patterns in MRTD (4d4d..), RTMR0-3 (3030.. to 3333..), MRSEAM (5353..),\n"
	      "MRENCLAVE (4545..) and MRSIGNER (5353..), TDATTRIBUTES with only\n"
	      "SEPT_VE_DISABLE set, XFAM e702060000000000 and TEE_TCB_SVN\n"
	      "03010200000000000000000000000000; MRCONFIGID, MROWNER, MROWNERCONFIG,\n"
	      "MRSERVICETD and REPORTDATA are zero. Every HEX value is the\n"
	      "field's bytes in quote order (as 'ratls inspect quote' prints them), with an\n"
	      "optional 0x, and must have exactly the number of hex digits shown.\n"
	      "\n"
	      "Options:\n"
	      "  --platform DIR          platform folder written by 'ratls sim init'; required\n"
	      "  --format NAME           quote format (default tdx-v4):\n"
	      "                            tdx-v4       version 4, TD report 1.0\n"
	      "                            tdx-v5       version 5, TD report 1.0\n"
	      "                            tdx-v5-td15  version 5, TD report 1.5\n"
	      "                            sgx-v3       version 3, SGX enclave report\n"
	      "  --report-data HEX       REPORTDATA, 128 hex digits (64 bytes)\n"
	      "  --debug                 set the DEBUG attribute (TDATTRIBUTES bit 0, or SGX\n"
	      "                          ATTRIBUTES bit 1); verifiers reject it by default\n"
	      "\n"
	      "TDX formats only:\n"
	      "  --mrtd HEX              MRTD, 96 hex digits (48 bytes)\n"
	      "  --rtmr N=HEX            RTMR N (0-3), 96 hex digits; repeatable, once per N\n"
	      "  --td-attributes HEX     TDATTRIBUTES, 16 hex digits (8 bytes)\n"
	      "  --xfam HEX              XFAM, 16 hex digits (8 bytes)\n"
	      "  --tee-tcb-svn HEX       TEE_TCB_SVN, 32 hex digits (16 bytes); the TCB info\n"
	      "                          matches the default, so other values change or\n"
	      "                          fail the TCB status\n"
	      "  --mr-seam HEX           MRSEAM, 96 hex digits (48 bytes)\n"
	      "  --mr-config-id HEX      MRCONFIGID, 96 hex digits (48 bytes)\n"
	      "  --mr-owner HEX          MROWNER, 96 hex digits (48 bytes)\n"
	      "  --mr-owner-config HEX   MROWNERCONFIG, 96 hex digits (48 bytes)\n"
	      "  --mr-servicetd HEX      MRSERVICETD, 96 hex digits (48 bytes); tdx-v5-td15\n"
	      "                          only; verifiers reject a non-zero value by default\n"
	      "\n"
	      "SGX format only:\n"
	      "  --mr-enclave HEX        MRENCLAVE, 64 hex digits (32 bytes)\n"
	      "  --mr-signer HEX         MRSIGNER, 64 hex digits (32 bytes)\n"
	      "\n"
	      "Output:\n"
	      "  --out FILE              write the quote to FILE ('-' or no --out: standard\n"
	      "                          output, which must not be a terminal without --hex)\n"
	      "  --hex                   write lowercase hex text and a newline instead of\n"
	      "                          binary\n"
	      "  -v, --verbose           also print the library's info and debug messages\n"
	      "  -h, --help              print this help\n"
	      "\n"
	      "The quote is signed by a test PKI, never by Intel: 'ratls verify quote' accepts\n"
	      "it only with --trust-root DIR/root.pem and collateral from 'ratls sim\n"
	      "collateral'.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static int parse_format(struct quote_args *args, const char *value)
{
	if (args->format != NULL)
		return cli_usage_error(COMMAND, "option '--format' is given twice");
	for (size_t i = 0; i < FORMAT_COUNT; i++) {
		if (strcmp(format_specs[i].name, value) == 0) {
			args->format = &format_specs[i];
			return CLI_EXIT_OK;
		}
	}
	return cli_usage_error(COMMAND,
			       "--format value '%s' is not a quote format; use tdx-v4, tdx-v5, "
			       "tdx-v5-td15 or sgx-v3",
			       value);
}

static int parse_rtmr(struct quote_args *args, const char *value)
{
	const char *eq = strchr(value, '=');
	int index;

	if (eq == NULL || eq - value != 1 || value[0] < '0' || value[0] > '3')
		return cli_usage_error(COMMAND, "--rtmr value '%s' is not N=HEX with N from 0 to 3",
				       value);
	index = value[0] - '0';
	if (args->rtmr_given[index])
		return cli_usage_error(COMMAND, "RTMR%d is given twice by --rtmr", index);
	args->rtmr_given[index] = true;
	return cli_sim_parse_hex(COMMAND, "--rtmr", "an RTMR", eq + 1, true, args->rtmr[index],
				 48);
}

static int parse_field(struct quote_args *args, enum field_id id, const char *value)
{
	const struct field_spec *spec = &field_specs[id];
	char option[32];

	if (snprintf(option, sizeof(option), "--%s", spec->option) < 0)
		option[0] = '\0';
	if (args->field_given[id])
		return cli_usage_error(COMMAND, "option '%s' is given twice", option);
	args->field_given[id] = true;
	return cli_sim_parse_hex(COMMAND, option, spec->what, value, true, args->field_value[id],
				 spec->size);
}

static int set_once(const char **field, const char *value, const char *option)
{
	if (*field != NULL)
		return cli_usage_error(COMMAND, "option '--%s' is given twice ('%s' and '%s')",
				       option, *field, value);
	*field = value;
	return CLI_EXIT_OK;
}

static int handle_option(struct quote_args *args, int opt, char **argv, int optind_before)
{
	if (opt >= OPT_FIELD && opt < OPT_FIELD + FIELD_COUNT)
		return parse_field(args, (enum field_id)(opt - OPT_FIELD), optarg);
	switch (opt) {
	case OPT_PLATFORM:
		return set_once(&args->platform_dir, optarg, "platform");
	case OPT_FORMAT:
		return parse_format(args, optarg);
	case OPT_RTMR:
		return parse_rtmr(args, optarg);
	case OPT_DEBUG:
		args->debug = true;
		return CLI_EXIT_OK;
	case OPT_OUT:
		return set_once(&args->out_path, optarg, "out");
	case OPT_HEX:
		args->hex = true;
		return CLI_EXIT_OK;
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

/* Names the formats a field exists in, for messages. */
static const char *layout_formats(unsigned int layouts)
{
	if (layouts == LAYOUT_SGX)
		return "sgx-v3";
	if (layouts == LAYOUT_TD15)
		return "tdx-v5-td15";
	return "tdx-v4, tdx-v5 and tdx-v5-td15";
}

/* Rejects options for fields that the chosen format's report does not have. */
static int check_fields_apply(const struct quote_args *args)
{
	const char *format = args->format->name;

	for (int id = 0; id < FIELD_COUNT; id++) {
		const struct field_spec *spec = &field_specs[id];

		if (args->field_given[id] && (spec->layouts & args->format->layout) == 0)
			return cli_usage_error(COMMAND,
					       "--%s sets %s, which %s quotes do not have; it "
					       "applies to %s, so remove it or pass --format",
					       spec->option, spec->what, format,
					       layout_formats(spec->layouts));
	}
	for (int i = 0; i < 4; i++) {
		if (args->rtmr_given[i] && args->format->layout == LAYOUT_SGX)
			return cli_usage_error(COMMAND,
					       "--rtmr sets RTMR%d, which sgx-v3 quotes do not "
					       "have; remove it or pass a TDX --format",
					       i);
	}
	return CLI_EXIT_OK;
}

/* Parses argv into *args. Returns -1 to go on, or an exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, struct quote_args *args)
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
				       "unexpected argument '%s'; the output file is given with "
				       "--out",
				       argv[optind]);
	if (args->platform_dir == NULL)
		return cli_usage_error(COMMAND,
				       "missing --platform DIR, the folder written by 'ratls sim "
				       "init'");
	if (args->format == NULL)
		args->format = &format_specs[0];
	if ((status = check_fields_apply(args)) != CLI_EXIT_OK)
		return status;
	if (!args->hex && (args->out_path == NULL || strcmp(args->out_path, "-") == 0) &&
	    isatty(STDOUT_FILENO))
		return cli_usage_error(COMMAND,
				       "standard output is a terminal and the quote is binary; "
				       "pass --out FILE or --hex");
	return -1;
}

/* Returns where a field goes in params, for the format's report layout. */
static uint8_t *field_target(struct ratls_sim_quote_params *params, enum field_id id)
{
	switch (id) {
	case FIELD_MR_TD:
		return params->td.mr_td;
	case FIELD_REPORT_DATA:
		return params->body_type == RATLS_BODY_SGX_ENCLAVE ? params->sgx.report_data
								   : params->td.report_data;
	case FIELD_TD_ATTRIBUTES:
		return params->td.td_attributes;
	case FIELD_XFAM:
		return params->td.xfam;
	case FIELD_TEE_TCB_SVN:
		return params->td.tee_tcb_svn;
	case FIELD_MR_SEAM:
		return params->td.mr_seam;
	case FIELD_MR_CONFIG_ID:
		return params->td.mr_config_id;
	case FIELD_MR_OWNER:
		return params->td.mr_owner;
	case FIELD_MR_OWNER_CONFIG:
		return params->td.mr_owner_config;
	case FIELD_MR_SERVICETD:
		return params->td.mr_servicetd;
	case FIELD_MR_ENCLAVE:
		return params->sgx.mr_enclave;
	case FIELD_MR_SIGNER:
		return params->sgx.mr_signer;
	case FIELD_COUNT:
		break;
	}
	return NULL;
}

/* Fills params with the platform's defaults for the format and the given fields. */
static void build_params(const struct quote_args *args, const struct ratls_sim_platform *platform,
			 struct ratls_sim_quote_params *params)
{
	ratls_sim_platform_quote_defaults(platform, args->format->format, params);
	for (int id = 0; id < FIELD_COUNT; id++) {
		uint8_t *target = field_target(params, (enum field_id)id);

		if (args->field_given[id] && target != NULL)
			memcpy(target, args->field_value[id], field_specs[id].size);
	}
	for (int i = 0; i < 4; i++) {
		if (args->rtmr_given[i])
			memcpy(params->td.rtmr[i], args->rtmr[i], 48);
	}
	if (args->debug) {
		/* TDATTRIBUTES.DEBUG is bit 0. SGX ATTRIBUTES.DEBUG is bit 1 of the flags. */
		if (args->format->layout == LAYOUT_SGX)
			params->sgx.attributes[0] |= 0x02;
		else
			params->td.td_attributes[0] |= 0x01;
	}
}

/* Writes the quote as binary, or as hex text with a final newline. */
static int write_quote(const struct quote_args *args, const uint8_t *quote, size_t size,
		       struct ratls_detail *detail)
{
	char *text;
	int rc;

	if (!args->hex)
		return cli_sim_write_output(args->out_path, quote, size, "quote", detail);
	text = malloc(2 * size + 2);
	if (text == NULL)
		return cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory encoding the quote");
	cli_hex_encode(quote, size, text, 2 * size + 1);
	text[2 * size] = '\n';
	rc = cli_sim_write_output(args->out_path, text, 2 * size + 1, "quote", detail);
	free(text);
	return rc;
}

static int issue(const struct quote_args *args, struct ratls_detail *detail)
{
	struct cli_sim_platform_file file;
	struct ratls_sim_platform_params platform_params;
	struct ratls_sim_quote_params params;
	struct ratls_sim_platform *platform = NULL;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc = RATLS_ERR_INTERNAL;

	if ((rc = cli_sim_platform_file_read(args->platform_dir, &file, detail)) != RATLS_OK)
		goto out;
	ratls_sim_platform_defaults(&platform_params, file.created_at);
	if ((rc = cli_sim_platform_create(&file, &platform_params, &platform, detail)) != RATLS_OK)
		goto out;

	build_params(args, platform, &params);
	rc = ratls_sim_platform_quote(platform, &params, &quote, &quote_size, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = write_quote(args, quote, quote_size, detail)) != RATLS_OK)
		goto out;
	if (args->out_path != NULL && strcmp(args->out_path, "-") != 0)
		printf("Wrote a %s quote (%zu bytes%s) to '%s'\n", args->format->name, quote_size,
		       args->hex ? ", as hex" : "", args->out_path);
	rc = RATLS_OK;
out:
	ratls_sim_free(quote);
	ratls_sim_platform_free(platform);
	cli_sim_platform_file_wipe(&file);
	return rc;
}

static int run(int argc, char **argv)
{
	struct quote_args args;
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

const struct cli_command cli_sim_quote_command = {
	.group = "sim",
	.name = "quote",
	.summary = "issue a quote on a simulated platform",
	.run = run,
	.print_help = print_help,
};
