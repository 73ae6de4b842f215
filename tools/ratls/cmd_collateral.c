/*
 * "ratls collateral check": checks one signed TCB info or QE identity (its
 * signature over the bytes as received, its issuer chain, the validity
 * windows) with ratls_dcap_check_signed_json, and prints a summary.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "input.h"
#include "ratls/dcap.h"
#include "report.h"

#define COMMAND "collateral check"

enum {
	OPT_TCB_INFO = 256,
	OPT_QE_IDENTITY,
	OPT_CHAIN,
	OPT_ROOT_CRL,
	OPT_AT,
	OPT_TRUST_ROOT,
	OPT_JSON,
};

static const struct option long_options[] = {
	{"tcb-info", required_argument, NULL, OPT_TCB_INFO},
	{"qe-identity", required_argument, NULL, OPT_QE_IDENTITY},
	{"chain", required_argument, NULL, OPT_CHAIN},
	{"root-crl", required_argument, NULL, OPT_ROOT_CRL},
	{"at", required_argument, NULL, OPT_AT},
	{"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
	{"json", no_argument, NULL, OPT_JSON},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct check_args {
	const char *tcb_info_path;
	const char *qe_identity_path;
	const char *chain_path;
	const char *root_crl_path;
	const char *trust_root_path;
	int64_t at;
	bool at_given;
	bool json;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls collateral check (--tcb-info FILE | --qe-identity FILE)\n"
	      "                              --chain FILE [--root-crl FILE] [--at TIME]\n"
	      "                              [--json]\n"
	      "\n"
	      "Check one signed collateral document on its own: its signature over the\n"
	      "bytes as received, its issuer chain up to the Intel SGX Root CA, and every\n"
	      "validity window at the given time. When it is valid, print a summary: id,\n"
	      "version, issue date, next update, FMSPC, TCB levels and TDX module\n"
	      "identities, or the QE's MRSIGNER and ISV product ID.\n"
	      "\n"
	      "Options:\n"
	      "  --tcb-info FILE     TCB info as Intel PCS serves it\n"
	      "                      ({\"tcbInfo\":...,\"signature\":...})\n"
	      "  --qe-identity FILE  QE identity as Intel PCS serves it\n"
	      "                      ({\"enclaveIdentity\":...,\"signature\":...})\n"
	      "  --chain FILE        the document's issuer chain: PEM, or URL-encoded PEM\n"
	      "                      as in the TCB-Info-Issuer-Chain header\n"
	      "  --root-crl FILE     Intel SGX Root CA CRL (DER, PEM or hex text of DER);\n"
	      "                      without it the signing certificate is not checked\n"
	      "                      for revocation\n"
	      "  --at TIME           check time, RFC 3339 (2025-07-19T10:00:34Z) or Unix\n"
	      "                      seconds; default: the current time\n"
	      "  --trust-root FILE   trust this root certificate (PEM or DER) instead of\n"
	      "                      the Intel SGX Root CA (weakens the check)\n"
	      "  --json              print the result as JSON on standard output\n"
	      "  -v, --verbose       also print the library's info and debug messages\n"
	      "  -h, --help          print this help\n"
	      "\n"
	      "A failure prints\n"
	      "  ratls: collateral check failed: NAME: MESSAGE\n"
	      "to standard error; with --json, standard output also gets\n"
	      "  {\"ok\":false,\"error\":NAME,\"class\":CLASS,\"message\":MESSAGE}\n"
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

static int handle_option(struct check_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	switch (opt) {
	case OPT_TCB_INFO:
		return set_once(&args->tcb_info_path, optarg, "tcb-info");
	case OPT_QE_IDENTITY:
		return set_once(&args->qe_identity_path, optarg, "qe-identity");
	case OPT_CHAIN:
		return set_once(&args->chain_path, optarg, "chain");
	case OPT_ROOT_CRL:
		return set_once(&args->root_crl_path, optarg, "root-crl");
	case OPT_TRUST_ROOT:
		return set_once(&args->trust_root_path, optarg, "trust-root");
	case OPT_AT:
		if (args->at_given)
			return cli_usage_error(COMMAND, "option '--at' is given twice");
		if (cli_parse_time(optarg, &args->at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_JSON:
		args->json = true;
		return CLI_EXIT_OK;
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

/* Parses argv into *args. Returns -1 to go on, or an exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, struct check_args *args)
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
				       "unexpected argument '%s'; documents are given "
				       "with --tcb-info or --qe-identity",
				       argv[optind]);
	if ((args->tcb_info_path == NULL) == (args->qe_identity_path == NULL))
		return cli_usage_error(COMMAND, "pass exactly one of --tcb-info and --qe-identity");
	if (args->chain_path == NULL)
		return cli_usage_error(COMMAND, "missing --chain, the document's issuer chain");
	if (!args->at_given)
		args->at = (int64_t)time(NULL);
	return -1;
}

static void warn_options(const struct check_args *args)
{
	if (args->trust_root_path != NULL)
		cli_warn("--trust-root: chains ending at the certificate in '%s' are trusted "
			 "instead of the Intel SGX Root CA",
			 args->trust_root_path);
	if (args->root_crl_path == NULL)
		cli_warn("no --root-crl given, so the signing certificate is not checked for "
			 "revocation");
}

/* Loads the document, its chain and the optional root CRL into collateral. */
static int load_inputs(const struct check_args *args, bool tcb, struct ratls_collateral *c,
		       struct ratls_detail *detail)
{
	int rc;

	if (tcb)
		rc = cli_collateral_load(c, CLI_PIECE_TCB_INFO, 0, "--tcb-info",
					 args->tcb_info_path, detail);
	else
		rc = cli_collateral_load(c, CLI_PIECE_QE_IDENTITY, 0, "--qe-identity",
					 args->qe_identity_path, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = cli_collateral_load(c, CLI_PIECE_CHAIN,
				 tcb ? RATLS_CHAIN_TCB_INFO : RATLS_CHAIN_QE_IDENTITY, "--chain",
				 args->chain_path, detail);
	if (rc != RATLS_OK || args->root_crl_path == NULL)
		return rc;
	return cli_collateral_load(c, CLI_PIECE_CRL, RATLS_CRL_ROOT, "--root-crl",
				   args->root_crl_path, detail);
}

/* Parses the checked document again for its summary and prints it. */
static int print_summary(const struct check_args *args, bool tcb, const struct ratls_collateral *c,
			 struct ratls_detail *detail)
{
	struct ratls_tcb_info *info = NULL;
	struct ratls_qe_identity *identity = NULL;
	json_t *root = NULL;
	char at[CLI_TIME_TEXT_SIZE];
	int rc;

	if (tcb)
		rc = ratls_tcb_info_parse(c->tcb_info.body, c->tcb_info.body_size, &info, detail);
	else
		rc = ratls_qe_identity_parse(c->qe_identity.body, c->qe_identity.body_size,
					     &identity, detail);
	if (rc != RATLS_OK)
		return rc;

	if (!args->json) {
		if (tcb)
			cli_print_tcb_info_text(stdout, info, args->at);
		else
			cli_print_qe_identity_text(stdout, identity, args->at);
		goto out;
	}
	cli_format_time(args->at, at);
	root = json_object();
	if (json_object_set_new(root, "ok", json_true()) != 0 ||
	    json_object_set_new(root, "checked_at", json_string(at)) != 0 ||
	    json_object_set_new(root, "document", json_string(tcb ? "tcb_info" : "qe_identity")) !=
		    0 ||
	    json_object_set_new(root, tcb ? "tcb_info" : "qe_identity",
				tcb ? cli_tcb_info_json(info) : cli_qe_identity_json(identity)) !=
		    0) {
		json_decref(root);
		root = NULL;
	}
	rc = cli_print_json(root, detail);
out:
	ratls_tcb_info_free(info);
	ratls_qe_identity_free(identity);
	return rc;
}

static int check(const struct check_args *args)
{
	struct ratls_detail detail = {0};
	struct ratls_dcap_options options = {0};
	struct cli_buffer root = {0};
	struct ratls_collateral *c = ratls_collateral_new();
	bool tcb = args->tcb_info_path != NULL;
	int rc;

	if (c == NULL) {
		rc = cli_fail(&detail, RATLS_ERR_NO_MEMORY,
			      "out of memory creating the collateral");
		goto out;
	}
	if ((rc = load_inputs(args, tcb, c, &detail)) != RATLS_OK)
		goto out;
	if (args->trust_root_path != NULL) {
		if ((rc = cli_load_trust_root(args->trust_root_path, &root, &detail)) != RATLS_OK)
			goto out;
		options.trust_root_der = root.data;
		options.trust_root_der_size = root.size;
	}

	rc = ratls_dcap_check_signed_json(tcb ? &c->tcb_info : NULL, tcb ? NULL : &c->qe_identity,
					  tcb ? c->tcb_info_chain : c->qe_identity_chain,
					  c->root_crl, c->root_crl_size, args->at, &options,
					  &detail);
	if (rc == RATLS_OK)
		rc = print_summary(args, tcb, c, &detail);
out:
	if (rc != RATLS_OK) {
		struct ratls_detail print_detail = {0};

		fprintf(stderr, "ratls: collateral check failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		if (args->json)
			(void)cli_print_json(cli_error_json(rc, &detail), &print_detail);
	}
	ratls_collateral_free(c);
	cli_buffer_free(&root);
	return cli_exit_status(rc);
}

static int run(int argc, char **argv)
{
	struct check_args args;
	int status;

	memset(&args, 0, sizeof(args));
	if ((status = parse_args(argc, argv, &args)) >= 0)
		return status;
	warn_options(&args);
	return check(&args);
}

const struct cli_command cli_collateral_check_command = {
	.group = "collateral",
	.name = "check",
	.summary = "check a TCB info or QE identity: signature, chain, dates",
	.run = run,
	.print_help = print_help,
};
