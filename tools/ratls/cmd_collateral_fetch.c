/*
 * "ratls collateral fetch": fetches the collateral for a quote, or for an
 * FMSPC, CA and TEE type, from Intel's PCS or a PCCS, checks its signatures,
 * chains and CRLs, and writes it as a bundle for offline verification
 * (ratls_pcs_fetch_bundle).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_sim.h"
#include "input.h"
#include "pcs_options.h"
#include "ratls/pcs.h"

#define COMMAND "collateral fetch"

enum {
	OPT_QUOTE = 256,
	OPT_FMSPC,
	OPT_CA,
	OPT_TEE,
	OPT_TRUST_ROOT,
	OPT_OUT,
};

static const struct option long_options[] = {
	{"quote", required_argument, NULL, OPT_QUOTE},
	{"fmspc", required_argument, NULL, OPT_FMSPC},
	{"ca", required_argument, NULL, OPT_CA},
	{"tee", required_argument, NULL, OPT_TEE},
	{"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
	{"out", required_argument, NULL, OPT_OUT},
	CLI_PCS_LONG_OPTIONS,
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct fetch_args {
	const char *quote_path;
	const char *fmspc;
	const char *ca;
	const char *tee;
	const char *trust_root_path;
	const char *out_path;
	struct cli_pcs_args service;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls collateral fetch (--quote FILE | --fmspc HEX --ca CA --tee TEE)\n"
	      "                              (--pccs-url URL | --pcs-url URL) [-o FILE]\n"
	      "\n"
	      "Fetch the TCB info, QE identity, PCK CRL and root CA CRL with their issuer\n"
	      "chains, check their signatures, chains and CRLs, and write them as one\n"
	      "collateral bundle (dcap-qvl QuoteCollateralV3 JSON). 'ratls verify quote\n"
	      "--collateral FILE' then verifies quotes of that platform with no network.\n"
	      "\n"
	      "Platform:\n"
	      "  --quote FILE              take the FMSPC, CA and TEE type from this quote's\n"
	      "                            PCK certificate and header\n"
	      "  --fmspc HEX               FMSPC, 12 hex digits\n"
	      "  --ca processor|platform   the CA that issued the PCK certificate\n"
	      "  --tee tdx|sgx             TDX (TCB info TDX, QE identity TD_QE) or SGX\n"
	      "  --trust-root FILE         check the collateral against this root (PEM or\n"
	      "                            DER) instead of the Intel SGX Root CA (weakens)\n"
	      "\n",
	      out);
	cli_pcs_print_help(out);
	fputs("\n"
	      "Output:\n"
	      "  -o, --out FILE            write the bundle to FILE (default: standard output)\n"
	      "  -v, --verbose             also print the library's info and debug messages\n"
	      "  -h, --help                print this help\n"
	      "\n"
	      "The bundle is valid until the earliest nextUpdate it contains; fetch it again\n"
	      "before then. Intel's PCS serves at most a few requests per second per client.\n"
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

static int handle_option(struct fetch_args *args, int opt, char **argv, int optind_before)
{
	if (cli_pcs_is_option(opt))
		return cli_pcs_handle_option(&args->service, opt, optarg, COMMAND);
	switch (opt) {
	case OPT_QUOTE:
		return set_once(&args->quote_path, optarg, "quote");
	case OPT_FMSPC:
		return set_once(&args->fmspc, optarg, "fmspc");
	case OPT_CA:
		return set_once(&args->ca, optarg, "ca");
	case OPT_TEE:
		return set_once(&args->tee, optarg, "tee");
	case OPT_TRUST_ROOT:
		return set_once(&args->trust_root_path, optarg, "trust-root");
	case OPT_OUT:
	case 'o':
		return set_once(&args->out_path, optarg, "out");
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

static int parse_args(int argc, char **argv, struct fetch_args *args)
{
	bool by_key;
	int opt, status, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hvo:", long_options, NULL)) != -1) {
		if (opt == 'h') {
			print_help(stdout);
			return CLI_EXIT_OK;
		}
		if ((status = handle_option(args, opt, argv, optind_before)) != CLI_EXIT_OK)
			return status;
		optind_before = optind;
	}
	if (optind < argc)
		return cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);

	by_key = args->fmspc != NULL || args->ca != NULL || args->tee != NULL;
	if (args->quote_path != NULL && by_key)
		return cli_usage_error(COMMAND,
				       "--quote and --fmspc/--ca/--tee select the platform twice; "
				       "pass one of them");
	if (args->quote_path == NULL &&
	    (args->fmspc == NULL || args->ca == NULL || args->tee == NULL))
		return cli_usage_error(COMMAND,
				       "no platform given; pass --quote FILE, or --fmspc, --ca and "
				       "--tee together");
	if (args->service.url == NULL)
		return cli_usage_error(COMMAND,
				       "no collateral service given; pass --pccs-url URL or --pcs-url "
				       "https://api.trustedservices.intel.com");
	return -1;
}

static int read_key(const struct fetch_args *args, struct ratls_pcs_key *key,
		    struct ratls_detail *detail)
{
	struct cli_buffer quote = {0};
	enum cli_quote_encoding encoding;
	int rc;

	if (args->quote_path == NULL)
		return ratls_pcs_key_parse(args->fmspc, args->ca, args->tee, key, detail);
	rc = cli_load_quote(args->quote_path, &quote, &encoding, detail);
	if (rc == RATLS_OK)
		rc = ratls_pcs_key_from_quote(quote.data, quote.size, key, detail);
	cli_buffer_free(&quote);
	return rc;
}

static int fetch(const struct fetch_args *args, struct ratls_detail *detail)
{
	struct ratls_pcs_provider *provider = NULL;
	struct cli_buffer root = {0};
	struct ratls_pcs_key key;
	char *bundle = NULL;
	int rc;

	if ((rc = read_key(args, &key, detail)) != RATLS_OK)
		goto out;
	if (args->trust_root_path != NULL &&
	    (rc = cli_load_trust_root(args->trust_root_path, &root, detail)) != RATLS_OK)
		goto out;
	if ((rc = cli_pcs_provider_new(&args->service, &root, &provider, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_pcs_fetch_bundle(provider, &key, &bundle, detail)) != RATLS_OK)
		goto out;
	rc = cli_sim_write_output(args->out_path, bundle, strlen(bundle), "collateral bundle",
				  detail);
	if (rc == RATLS_OK)
		fprintf(stderr, "ratls: fetched the collateral for FMSPC %02x%02x%02x%02x%02x%02x, "
				"ca=%s, %s\n",
			key.fmspc[0], key.fmspc[1], key.fmspc[2], key.fmspc[3], key.fmspc[4],
			key.fmspc[5], ratls_pcs_ca_name(key.ca), ratls_pcs_tee_name(key.tee));
out:
	free(bundle);
	ratls_pcs_provider_free(provider);
	cli_buffer_free(&root);
	return rc;
}

static int run(int argc, char **argv)
{
	struct fetch_args args;
	struct ratls_detail detail = {0};
	int status, rc;

	memset(&args, 0, sizeof(args));
	if ((status = parse_args(argc, argv, &args)) >= 0)
		return status;
	if (args.trust_root_path != NULL)
		cli_warn("--trust-root: collateral signed under the certificate in '%s' is accepted "
			 "instead of the Intel SGX Root CA",
			 args.trust_root_path);
	rc = fetch(&args, &detail);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls: collateral fetch failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		return cli_exit_status(rc);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_collateral_fetch_command = {
	.group = "collateral",
	.name = "fetch",
	.summary = "fetch collateral from Intel PCS or a PCCS into a bundle",
	.run = run,
	.print_help = print_help,
};
