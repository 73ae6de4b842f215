/*
 * "ratls verify quote FILE": DCAP verification of a quote against collateral
 * at a given time (ratls_dcap_verify), then appraisal against the policy
 * built from the options (ratls_policy_appraise).
 *
 * "ratls verify cert FILE": the full client check of an RA-TLS certificate
 * (ratls_verify_cert) with the same collateral and policy options, plus the
 * dstack identity pins and --allow-simulator.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "input.h"
#include "ita_options.h"
#include "pcs_options.h"
#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/ita.h"
#include "ratls/policy.h"
#include "report.h"

/* The subcommand being run, for messages: "verify quote" or "verify cert". */
static const char *command = "verify quote";
#define COMMAND command


/* Values of the long-only options, above every character value. */
enum {
	OPT_COLLATERAL = 256,
	OPT_TCB_INFO,
	OPT_QE_IDENTITY,
	OPT_PCK_CRL,
	OPT_ROOT_CRL,
	OPT_TCB_INFO_CHAIN,
	OPT_QE_IDENTITY_CHAIN,
	OPT_PCK_CRL_CHAIN,
	OPT_PCK_CHAIN,
	OPT_CHAIN,
	OPT_AT,
	OPT_MRTD,
	OPT_RTMR,
	OPT_ALLOW_TCB,
	OPT_ALLOW_DEBUG,
	OPT_ALLOW_SEAM_SIGNER,
	OPT_ALLOW_SERVICE_TD,
	OPT_TRUST_ROOT,
	OPT_JSON,
	OPT_COMPOSE_HASH,
	OPT_APP_ID,
	OPT_OS_IMAGE_HASH,
	OPT_ALLOW_SIMULATOR,
};

static const struct option long_options[] = {
	{"collateral", required_argument, NULL, OPT_COLLATERAL},
	{"tcb-info", required_argument, NULL, OPT_TCB_INFO},
	{"qe-identity", required_argument, NULL, OPT_QE_IDENTITY},
	{"pck-crl", required_argument, NULL, OPT_PCK_CRL},
	{"root-crl", required_argument, NULL, OPT_ROOT_CRL},
	{"tcb-info-chain", required_argument, NULL, OPT_TCB_INFO_CHAIN},
	{"qe-identity-chain", required_argument, NULL, OPT_QE_IDENTITY_CHAIN},
	{"pck-crl-chain", required_argument, NULL, OPT_PCK_CRL_CHAIN},
	{"pck-chain", required_argument, NULL, OPT_PCK_CHAIN},
	{"chain", required_argument, NULL, OPT_CHAIN},
	{"at", required_argument, NULL, OPT_AT},
	{"mrtd", required_argument, NULL, OPT_MRTD},
	{"rtmr", required_argument, NULL, OPT_RTMR},
	{"allow-tcb", required_argument, NULL, OPT_ALLOW_TCB},
	{"allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG},
	{"allow-seam-signer", no_argument, NULL, OPT_ALLOW_SEAM_SIGNER},
	{"allow-service-td", no_argument, NULL, OPT_ALLOW_SERVICE_TD},
	{"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
	{"json", no_argument, NULL, OPT_JSON},
	{"compose-hash", required_argument, NULL, OPT_COMPOSE_HASH},
	{"app-id", required_argument, NULL, OPT_APP_ID},
	{"os-image-hash", required_argument, NULL, OPT_OS_IMAGE_HASH},
	{"allow-simulator", no_argument, NULL, OPT_ALLOW_SIMULATOR},
	CLI_PCS_LONG_OPTIONS,
	CLI_ITA_LONG_OPTIONS,
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* A separate collateral file option and where its file goes. */
struct piece_option {
	int id;
	const char *option;
	enum cli_piece_kind kind;
	int slot;
};

/* In the order they are applied. --chain comes before the specific chains, so those win. */
static const struct piece_option piece_options[] = {
	{OPT_TCB_INFO, "--tcb-info", CLI_PIECE_TCB_INFO, 0},
	{OPT_QE_IDENTITY, "--qe-identity", CLI_PIECE_QE_IDENTITY, 0},
	{OPT_PCK_CRL, "--pck-crl", CLI_PIECE_CRL, RATLS_CRL_PCK},
	{OPT_ROOT_CRL, "--root-crl", CLI_PIECE_CRL, RATLS_CRL_ROOT},
	{OPT_CHAIN, "--chain", CLI_PIECE_CHAIN, RATLS_CHAIN_TCB_INFO},
	{OPT_CHAIN, "--chain", CLI_PIECE_CHAIN, RATLS_CHAIN_QE_IDENTITY},
	{OPT_TCB_INFO_CHAIN, "--tcb-info-chain", CLI_PIECE_CHAIN, RATLS_CHAIN_TCB_INFO},
	{OPT_QE_IDENTITY_CHAIN, "--qe-identity-chain", CLI_PIECE_CHAIN, RATLS_CHAIN_QE_IDENTITY},
	{OPT_PCK_CRL_CHAIN, "--pck-crl-chain", CLI_PIECE_CHAIN, RATLS_CHAIN_PCK_CRL},
	{OPT_PCK_CHAIN, "--pck-chain", CLI_PIECE_CHAIN, RATLS_CHAIN_PCK},
};
#define PIECE_OPTION_COUNT (sizeof(piece_options) / sizeof(piece_options[0]))

/* The separate collateral options, indexed by option value - OPT_TCB_INFO. */
#define PIECE_PATH_COUNT (OPT_CHAIN - OPT_TCB_INFO + 1)

/* An identity pin option and the policy call that takes its values. */
struct identity_option {
	const char *option;
	int (*add)(struct ratls_policy *policy, const char *hex, struct ratls_detail *detail);
};

static const struct identity_option identity_options[] = {
	{"--compose-hash", ratls_policy_add_compose_hash},
	{"--app-id", ratls_policy_add_app_id},
	{"--os-image-hash", ratls_policy_add_os_image_hash},
};
#define IDENTITY_OPTION_COUNT (sizeof(identity_options) / sizeof(identity_options[0]))

struct verify_args {
	bool cert_mode;
	const char *input_path;
	const char *bundle_path;
	const char *piece_paths[PIECE_PATH_COUNT];
	const char *trust_root_path;
	int64_t at;
	bool at_given;
	const char *mrtds[RATLS_POLICY_MRTDS_MAX];
	size_t mrtd_count;
	const char *rtmrs[4];
	enum ratls_tcb_status allowed[RATLS_TCB_STATUS_COUNT];
	size_t allowed_count;
	bool allow_debug;
	bool allow_seam_signer;
	bool allow_service_td;
	bool json;
	/* verify cert only, indexed like identity_options. */
	const char *identities[IDENTITY_OPTION_COUNT][RATLS_POLICY_IDENTITIES_MAX];
	size_t identity_count[IDENTITY_OPTION_COUNT];
	bool allow_simulator;
	bool has_collateral;       /* any source: a bundle, files or a service */
	bool has_collateral_files; /* one of the separate collateral files */
	/* A PCS or PCCS to fetch the collateral from; files given as well replace its parts. */
	struct cli_pcs_args service;
	/* The verifier backend: local DCAP, or Intel Trust Authority. */
	struct cli_ita_args ita;
};

static void print_collateral_help(FILE *out)
{
	fputs("Collateral: a bundle, the separate files, a collateral service, or a\n"
	      "combination, where files replace the parts of the bundle or the fetched\n"
	      "collateral.\n"
	      "  --collateral FILE         bundle JSON (dcap-qvl QuoteCollateralV3 form)\n"
	      "  --tcb-info FILE           TCB info as Intel PCS serves it\n"
	      "                            ({\"tcbInfo\":...,\"signature\":...})\n"
	      "  --qe-identity FILE        QE identity as Intel PCS serves it\n"
	      "                            ({\"enclaveIdentity\":...,\"signature\":...})\n"
	      "  --pck-crl FILE            PCK CRL (DER, PEM or hex text of DER)\n"
	      "  --root-crl FILE           Intel SGX Root CA CRL (DER, PEM or hex)\n"
	      "  --tcb-info-chain FILE     TCB info issuer chain (PEM or URL-encoded PEM)\n"
	      "  --qe-identity-chain FILE  QE identity issuer chain (PEM or URL-encoded)\n"
	      "  --chain FILE              the same file for both chains above\n"
	      "  --pck-crl-chain FILE      PCK CRL issuer chain (PEM or URL-encoded PEM)\n"
	      "  --pck-chain FILE          PCK certificate chain to use instead of the\n"
	      "                            one in the quote\n"
	      "\n"
	      "Verification:\n"
	      "  --at TIME                 verification time, RFC 3339\n"
	      "                            (2025-07-19T10:00:34Z) or Unix seconds;\n"
	      "                            default: the current time\n"
	      "  --trust-root FILE         trust this root certificate (PEM or DER)\n"
	      "                            instead of the Intel SGX Root CA (weakens)\n"
	      "\n",
	      out);
}

static void print_policy_help(FILE *out)
{
	fputs("Policy (defaults: any MRTD, no RTMR pins, TCB status UpToDate or\n"
	      "SWHardeningNeeded, debug rejected, MR_SIGNER_SEAM and MR_SERVICETD zero):\n"
	      "  --mrtd HEX                allow this MRTD (96 hex digits); repeatable;\n"
	      "                            once given, only the listed MRTDs pass\n"
	      "  --rtmr N=HEX              require RTMR N (0-3) to equal HEX (96 hex\n"
	      "                            digits); repeatable\n"
	      "  --allow-tcb STATUS        accept this TCB status, by Intel's name:\n"
	      "                            UpToDate, SWHardeningNeeded,\n"
	      "                            ConfigurationNeeded,\n"
	      "                            ConfigurationAndSWHardeningNeeded, OutOfDate,\n"
	      "                            OutOfDateConfigurationNeeded; repeatable; the\n"
	      "                            first one replaces the defaults; Revoked never\n"
	      "                            passes\n"
	      "  --allow-debug             accept a debuggable TD or enclave (weakens)\n"
	      "  --allow-seam-signer       accept a TDX module not signed by Intel\n"
	      "                            (weakens)\n"
	      "  --allow-service-td        accept a TD bound to a service TD (weakens)\n",
	      out);
}

static void print_output_help(FILE *out)
{
	fputs("\n"
	      "Output:\n"
	      "  --json                    print the result as JSON on standard output\n"
	      "  -v, --verbose             also print the library's info and debug messages\n"
	      "  -h, --help                print this help\n"
	      "\n",
	      out);
}

static void print_help(FILE *out)
{
	fputs("Usage: ratls verify quote [options] FILE\n"
	      "\n"
	      "Verify an SGX or TDX quote with Intel DCAP collateral at a given time, then\n"
	      "appraise the verified report against a policy. FILE is a binary quote, hex\n"
	      "or base64 text ('-' reads standard input).\n"
	      "\n",
	      out);
	print_collateral_help(out);
	cli_pcs_print_help(out);
	fputs("\n", out);
	cli_ita_print_help(out);
	fputs("\n", out);
	print_policy_help(out);
	print_output_help(out);
	fputs("The report lists the verdict, TCB status, advisory IDs, platform, TDX module\n"
	      "and QE statuses, FMSPC, CA type, measurements, report_data, the validity\n"
	      "window and the trailing bytes. A failure prints\n"
	      "  ratls: verification failed: NAME: MESSAGE\n"
	      "to standard error; with --json, standard output also gets\n"
	      "  {\"ok\":false,\"error\":NAME,\"class\":CLASS,\"message\":MESSAGE}\n"
	      "Each option marked (weakens) prints a warning when set.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static void print_cert_help(FILE *out)
{
	fputs("Usage: ratls verify cert [options] FILE\n"
	      "\n"
	      "Run the full client check on a dstack RA-TLS certificate (DER or PEM; '-'\n"
	      "reads standard input): extract the evidence, verify the quote with Intel\n"
	      "DCAP collateral, check that report_data is SHA-512(\"ratls-cert:\" || the\n"
	      "certificate's SubjectPublicKeyInfo), replay the event log against the RTMRs,\n"
	      "then apply the policy.\n"
	      "\n",
	      out);
	print_collateral_help(out);
	cli_pcs_print_help(out);
	fputs("\n", out);
	cli_ita_print_help(out);
	fputs("\n", out);
	print_policy_help(out);
	fputs("  --compose-hash HEX        allow this compose hash (64 hex digits, the\n"
	      "                            SHA-256 of app-compose.json); repeatable\n"
	      "  --app-id HEX              allow this dstack app id (40 hex digits);\n"
	      "                            repeatable\n"
	      "  --os-image-hash HEX       allow this OS image hash (64 hex digits), read\n"
	      "                            from the os-image-hash event; repeatable\n"
	      "  --allow-simulator         accept a certificate without RA-TLS evidence,\n"
	      "                            as development servers without TDX present;\n"
	      "                            bad evidence still fails (weakens)\n",
	      out);
	print_output_help(out);
	fputs("The report adds the evidence: format, extensions, runtime events, the key\n"
	      "binding, the RTMR replay and the identity fields the events carry. A failure\n"
	      "names the step that failed (extraction, collateral, quote, binding, replay,\n"
	      "policy). Each option marked (weakens) prints a warning when set.\n"
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

static int parse_rtmr(struct verify_args *args, const char *value)
{
	const char *eq = strchr(value, '=');
	char index_text[2];
	int64_t index;

	if (eq == NULL || eq - value != 1)
		return cli_usage_error(COMMAND, "--rtmr value '%s' is not N=HEX with N from 0 to 3",
				       value);
	index_text[0] = value[0];
	index_text[1] = '\0';
	if (!cli_parse_int64(index_text, 0, 3, &index))
		return cli_usage_error(COMMAND, "--rtmr index in '%s' is not 0, 1, 2 or 3", value);
	if (args->rtmrs[index] != NULL)
		return cli_usage_error(COMMAND, "RTMR%d is pinned twice by --rtmr", (int)index);
	args->rtmrs[index] = eq + 1;
	return CLI_EXIT_OK;
}

static int parse_allow_tcb(struct verify_args *args, const char *value)
{
	enum ratls_tcb_status status;

	if (ratls_tcb_status_parse(value, strlen(value), &status) != RATLS_OK)
		return cli_usage_error(COMMAND,
				       "--allow-tcb value '%s' is not a TCB status; use Intel's "
				       "case-sensitive name, such as UpToDate or OutOfDate",
				       value);
	if (status == RATLS_TCB_REVOKED)
		return cli_usage_error(COMMAND,
				       "--allow-tcb Revoked is not possible; a revoked TCB is "
				       "never accepted");
	for (size_t i = 0; i < args->allowed_count; i++) {
		if (args->allowed[i] == status)
			return CLI_EXIT_OK;
	}
	args->allowed[args->allowed_count++] = status;
	return CLI_EXIT_OK;
}

static int add_identity(struct verify_args *args, int index, char **argv, int optind_before)
{
	const char *option = identity_options[index].option;

	(void)argv;
	(void)optind_before;
	if (!args->cert_mode)
		return cli_usage_error(COMMAND, "option '%s' applies to 'verify cert' only", option);
	if (args->identity_count[index] == RATLS_POLICY_IDENTITIES_MAX)
		return cli_usage_error(COMMAND, "more than %d %s values", RATLS_POLICY_IDENTITIES_MAX,
				       option);
	args->identities[index][args->identity_count[index]++] = optarg;
	return CLI_EXIT_OK;
}

/* Handles one option. Returns CLI_EXIT_OK to go on, or an exit status. */
static int handle_option(struct verify_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	if (cli_pcs_is_option(opt))
		return cli_pcs_handle_option(&args->service, opt, optarg, COMMAND);
	if (cli_ita_is_option(opt))
		return cli_ita_handle_option(&args->ita, opt, optarg, COMMAND);
	if (opt >= OPT_TCB_INFO && opt <= OPT_CHAIN) {
		/* long_options lists these in enum order, starting at OPT_COLLATERAL. */
		const char *name = long_options[opt - OPT_COLLATERAL].name;

		return set_once(&args->piece_paths[opt - OPT_TCB_INFO], optarg, name);
	}
	switch (opt) {
	case OPT_COLLATERAL:
		return set_once(&args->bundle_path, optarg, "collateral");
	case OPT_TRUST_ROOT:
		return set_once(&args->trust_root_path, optarg, "trust-root");
	case OPT_AT:
		if (args->at_given)
			return cli_usage_error(COMMAND, "option '--at' is given twice");
		if (cli_parse_time(optarg, &args->at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_MRTD:
		if (args->mrtd_count == RATLS_POLICY_MRTDS_MAX)
			return cli_usage_error(COMMAND, "more than %d --mrtd values",
					       RATLS_POLICY_MRTDS_MAX);
		args->mrtds[args->mrtd_count++] = optarg;
		return CLI_EXIT_OK;
	case OPT_RTMR:
		return parse_rtmr(args, optarg);
	case OPT_ALLOW_TCB:
		return parse_allow_tcb(args, optarg);
	case OPT_ALLOW_DEBUG:
		args->allow_debug = true;
		return CLI_EXIT_OK;
	case OPT_ALLOW_SEAM_SIGNER:
		args->allow_seam_signer = true;
		return CLI_EXIT_OK;
	case OPT_ALLOW_SERVICE_TD:
		args->allow_service_td = true;
		return CLI_EXIT_OK;
	case OPT_JSON:
		args->json = true;
		return CLI_EXIT_OK;
	case OPT_COMPOSE_HASH:
	case OPT_APP_ID:
	case OPT_OS_IMAGE_HASH:
		return add_identity(args, opt - OPT_COMPOSE_HASH, argv, optind_before);
	case OPT_ALLOW_SIMULATOR:
		if (!args->cert_mode)
			return cli_usage_error(COMMAND, "option '--allow-simulator' applies to "
							"'verify cert' only");
		args->allow_simulator = true;
		return CLI_EXIT_OK;
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

/* Parses argv into *args. Returns -1 to go on, or an exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, struct verify_args *args)
{
	bool any_piece = false;
	int opt, status, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
		if (opt == 'h') {
			if (args->cert_mode)
				print_cert_help(stdout);
			else
				print_help(stdout);
			return CLI_EXIT_OK;
		}
		if ((status = handle_option(args, opt, argv, optind_before)) != CLI_EXIT_OK)
			return status;
		optind_before = optind;
	}

	if (optind >= argc)
		return cli_usage_error(COMMAND, "missing %s FILE",
				       args->cert_mode ? "certificate" : "quote");
	if (argc - optind > 1)
		return cli_usage_error(COMMAND, "expected one %s FILE, got %d arguments",
				       args->cert_mode ? "certificate" : "quote", argc - optind);
	args->input_path = argv[optind];

	for (size_t i = 0; i < PIECE_PATH_COUNT; i++)
		any_piece = any_piece || args->piece_paths[i] != NULL;
	args->has_collateral_files = any_piece;
	args->has_collateral = args->bundle_path != NULL || any_piece || args->service.url != NULL;
	if ((status = cli_ita_check_args(&args->ita, args->has_collateral, COMMAND)) != CLI_EXIT_OK)
		return status;
	/* A certificate without evidence needs none, so verify cert reports its absence later. */
	if (!args->has_collateral && !args->cert_mode && args->ita.verifier != CLI_VERIFIER_ITA)
		return cli_usage_error(COMMAND,
				       "no collateral given; pass --collateral BUNDLE.json, the "
				       "separate files (--tcb-info, --qe-identity, --pck-crl, "
				       "--root-crl and their issuer chains), or --pccs-url URL");
	if (!args->at_given)
		args->at = (int64_t)time(NULL);
	return -1;
}

/* Warns about every option that weakens verification or the policy. */
static void warn_weakening_options(const struct verify_args *args)
{
	if (args->trust_root_path != NULL)
		cli_warn("--trust-root: chains ending at the certificate in '%s' are trusted "
			 "instead of the Intel SGX Root CA",
			 args->trust_root_path);
	if (args->allow_debug)
		cli_warn("--allow-debug: a debuggable TD or enclave is accepted, and the host can "
			 "read its memory");
	if (args->allow_seam_signer)
		cli_warn("--allow-seam-signer: a TDX module not signed by Intel is accepted");
	if (args->allow_service_td)
		cli_warn("--allow-service-td: a TD bound to a service TD is accepted");
	if (args->allow_simulator)
		cli_warn("--allow-simulator: a certificate without RA-TLS evidence is accepted, "
			 "and such a server is not attested");
	for (size_t i = 0; i < args->allowed_count; i++) {
		if (args->allowed[i] != RATLS_TCB_UP_TO_DATE &&
		    args->allowed[i] != RATLS_TCB_SW_HARDENING_NEEDED)
			cli_warn("--allow-tcb %s: a platform whose TCB needs action is accepted; "
				 "check the advisory IDs in the report",
				 ratls_tcb_status_name(args->allowed[i]));
	}
}

/* Builds the policy. A value the library rejects is a usage error. */
static int build_policy(const struct verify_args *args, struct ratls_policy **out)
{
	struct ratls_detail detail = {0};
	struct ratls_policy *policy = ratls_policy_new();
	int status = CLI_EXIT_USAGE;

	if (policy == NULL) {
		fprintf(stderr, "ratls: out of memory creating the policy\n");
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < args->mrtd_count; i++) {
		if (ratls_policy_add_mrtd(policy, args->mrtds[i], &detail) != RATLS_OK) {
			status = cli_usage_error(COMMAND, "invalid --mrtd value: %s",
						 cli_detail_message(&detail, detail.code));
			goto fail;
		}
	}
	for (int i = 0; i < 4; i++) {
		if (args->rtmrs[i] != NULL &&
		    ratls_policy_pin_rtmr(policy, i, args->rtmrs[i], &detail) != RATLS_OK) {
			status = cli_usage_error(COMMAND, "invalid --rtmr %d value: %s", i,
						 cli_detail_message(&detail, detail.code));
			goto fail;
		}
	}
	for (size_t i = 0; i < args->allowed_count; i++) {
		if (ratls_policy_allow_tcb_status(policy, args->allowed[i], &detail) != RATLS_OK) {
			status = cli_usage_error(COMMAND, "invalid --allow-tcb value: %s",
						 cli_detail_message(&detail, detail.code));
			goto fail;
		}
	}
	for (size_t i = 0; i < IDENTITY_OPTION_COUNT; i++) {
		for (size_t j = 0; j < args->identity_count[i]; j++) {
			if (identity_options[i].add(policy, args->identities[i][j], &detail) !=
			    RATLS_OK) {
				status = cli_usage_error(COMMAND, "invalid %s value: %s",
							 identity_options[i].option,
							 cli_detail_message(&detail, detail.code));
				goto fail;
			}
		}
	}
	ratls_policy_set_allow_debug(policy, args->allow_debug);
	ratls_policy_set_allow_seam_signer(policy, args->allow_seam_signer);
	ratls_policy_set_allow_service_td(policy, args->allow_service_td);
	*out = policy;
	return -1;
fail:
	ratls_policy_free(policy);
	return status;
}

/*
 * With --pccs-url or --pcs-url, replaces *collateral with the collateral of
 * the quote's platform fetched from the service; the files given then
 * replace its parts in load_collateral.
 */
static int fetch_collateral(const struct verify_args *args, const struct cli_buffer *trust_root,
			    const uint8_t *quote, size_t quote_size,
			    struct ratls_collateral **collateral, struct ratls_detail *detail)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_collateral *fetched = NULL;
	struct ratls_pcs_key key;
	int rc;

	if (args->service.url == NULL)
		return RATLS_OK;
	if ((rc = ratls_pcs_key_from_quote(quote, quote_size, &key, detail)) != RATLS_OK)
		return rc;
	if ((rc = cli_pcs_provider_new(&args->service, trust_root, &provider, detail)) != RATLS_OK)
		return rc;
	rc = ratls_pcs_fetch(provider, &key, &fetched, detail);
	ratls_pcs_provider_free(provider);
	if (rc != RATLS_OK)
		return rc;
	ratls_collateral_free(*collateral);
	*collateral = fetched;
	return RATLS_OK;
}

static int load_collateral(const struct verify_args *args, struct ratls_collateral *collateral,
			   struct ratls_detail *detail)
{
	int rc;

	if (args->bundle_path != NULL) {
		rc = cli_collateral_load(collateral, CLI_PIECE_BUNDLE, 0, "--collateral",
					 args->bundle_path, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	for (size_t i = 0; i < PIECE_OPTION_COUNT; i++) {
		const struct piece_option *p = &piece_options[i];
		const char *path = args->piece_paths[p->id - OPT_TCB_INFO];

		if (path == NULL)
			continue;
		rc = cli_collateral_load(collateral, p->kind, p->slot, p->option, path, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/*
 * The library's policy checks MRTD and RTMR pins on TD reports only, so pins
 * given for an SGX quote would pass unchecked. They are rejected instead.
 */
static int check_pins_apply(const struct verify_args *args,
			    const struct ratls_verified_report *report, struct ratls_detail *detail)
{
	bool pinned = args->mrtd_count > 0;

	for (int i = 0; i < 4; i++)
		pinned = pinned || args->rtmrs[i] != NULL;
	if (pinned && report->body_type == RATLS_BODY_SGX_ENCLAVE)
		return cli_fail(detail, RATLS_ERR_POLICY_INVALID,
				"--mrtd and --rtmr apply to TD quotes, but this is an SGX quote; "
				"remove them and check MRENCLAVE and MRSIGNER in the report");
	return RATLS_OK;
}

/* Reads the trailing-bytes flag, which the verified report does not carry. */
static bool trailing_all_zero(const struct cli_buffer *quote)
{
	struct ratls_quote parsed;

	if (ratls_quote_parse(quote->data, quote->size, &parsed, NULL) != RATLS_OK)
		return false;
	return parsed.trailing_all_zero;
}

static int print_result(const struct verify_args *args, const struct cli_verify_result *result)
{
	struct ratls_detail detail = {0};
	int rc = RATLS_OK;

	if (args->json)
		rc = cli_print_json(cli_verify_json(result), &detail);
	else if (result->report != NULL || result->evidence != NULL)
		cli_print_verify_text(stdout, result);
	if (result->code != RATLS_OK)
		fprintf(stderr, "ratls: verification failed: %s: %s\n",
			ratls_error_name(result->code),
			cli_detail_message(result->detail, result->code));
	if (rc != RATLS_OK)
		fprintf(stderr, "ratls: %s\n", cli_detail_message(&detail, rc));
	return result->code != RATLS_OK ? cli_exit_status(result->code) : cli_exit_status(rc);
}

/* Verifies the quote with Intel Trust Authority (--verifier ita). */
static int verify_quote_ita(const struct verify_args *args, const struct cli_buffer *quote,
			    struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_ita_client *client = NULL;
	int rc;

	if ((rc = cli_ita_client_new(&args->ita, &args->service, &client, detail)) != RATLS_OK)
		return rc;
	rc = ratls_ita_verify_quote(client, quote->data, quote->size, args->at, report, detail);
	ratls_ita_client_free(client);
	return rc;
}

static int verify(const struct verify_args *args, const struct ratls_policy *policy)
{
	struct ratls_detail detail = {0};
	struct ratls_dcap_options options = {0};
	struct ratls_verified_report report;
	struct cli_verify_result result = {.at = args->at, .detail = &detail};
	struct cli_buffer quote = {0}, root = {0};
	struct ratls_collateral *collateral = ratls_collateral_new();
	enum cli_quote_encoding encoding;
	int rc = RATLS_ERR_INTERNAL;

	if (collateral == NULL) {
		rc = cli_fail(&detail, RATLS_ERR_NO_MEMORY,
			      "out of memory creating the collateral");
		goto out;
	}
	if ((rc = cli_load_quote(args->input_path, &quote, &encoding, &detail)) != RATLS_OK)
		goto out;
	if (args->trust_root_path != NULL) {
		if ((rc = cli_load_trust_root(args->trust_root_path, &root, &detail)) != RATLS_OK)
			goto out;
		options.trust_root_der = root.data;
		options.trust_root_der_size = root.size;
	}
	if (args->ita.verifier == CLI_VERIFIER_ITA) {
		rc = verify_quote_ita(args, &quote, &report, &detail);
	} else {
		rc = fetch_collateral(args, &root, quote.data, quote.size, &collateral, &detail);
		if (rc == RATLS_OK)
			rc = load_collateral(args, collateral, &detail);
		if (rc == RATLS_OK)
			rc = ratls_dcap_verify(quote.data, quote.size, collateral, args->at, &options,
					       &report, &detail);
	}
	if (rc != RATLS_OK)
		goto out;
	result.report = &report;
	result.from_ita = args->ita.verifier == CLI_VERIFIER_ITA;
	result.trailing_all_zero = trailing_all_zero(&quote);
	if ((rc = check_pins_apply(args, &report, &detail)) != RATLS_OK)
		goto out;
	rc = ratls_policy_appraise(policy, &report, &detail);
out:
	result.code = rc;
	ratls_collateral_free(collateral);
	cli_buffer_free(&quote);
	cli_buffer_free(&root);
	return print_result(args, &result);
}

/* The backend of verify cert without collateral: every quote fails. */
static int verify_without_collateral(void *arg, const uint8_t *quote, size_t quote_size,
				     int64_t now, struct ratls_verified_report *report,
				     struct ratls_detail *detail)
{
	(void)arg;
	(void)quote;
	(void)quote_size;
	(void)now;
	(void)report;
	return cli_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
			"the certificate carries a quote but no collateral was given; pass "
			"--collateral BUNDLE.json or the separate collateral files");
}

/* True when the backend produced a report that the output can show. */
static bool report_available(const struct ratls_verify_cert_result *r, int code)
{
	if (r->failed_step == NULL)
		return r->attested;
	if (strcmp(r->failed_step, "extraction") == 0)
		return false;
	if (strcmp(r->failed_step, "quote") == 0)
		return code == RATLS_ERR_TCB_REVOKED;
	return true;
}

/* Fills the evidence part of the output from how far ratls_verify_cert got. */
static void describe_evidence(const struct ratls_verify_cert_result *r, int code,
			      struct cli_evidence_result *out)
{
	const char *step = r->failed_step;

	memset(out, 0, sizeof(*out));
	out->evidence = r->evidence;
	if (r->evidence == NULL)
		return;
	if (step == NULL || strcmp(step, "binding") == 0 || strcmp(step, "replay") == 0 ||
	    strcmp(step, "policy") == 0) {
		out->binding_checked = true;
		out->binding_code = step != NULL && strcmp(step, "binding") == 0 ? code : RATLS_OK;
	}
	if (step == NULL || strcmp(step, "replay") == 0 || strcmp(step, "policy") == 0) {
		out->replay = &r->replay;
		out->replay_code = step != NULL && strcmp(step, "replay") == 0 ? code : RATLS_OK;
	}
}

static int verify_cert(const struct verify_args *args, const struct ratls_policy *policy)
{
	struct ratls_detail detail = {0};
	struct ratls_dcap_options dcap_options = {0};
	struct ratls_dcap_context *context = NULL;
	struct ratls_ita_client *ita_client = NULL;
	struct ratls_verifier verifier;
	struct ratls_verify_cert_options options = {0};
	struct ratls_verify_cert_result cert_result;
	struct cli_evidence_result evidence;
	struct cli_verify_result result = {.at = args->at, .detail = &detail};
	struct cli_buffer cert = {0}, root = {0};
	struct ratls_collateral *collateral = ratls_collateral_new();
	bool have_collateral;
	int rc, status;

	memset(&cert_result, 0, sizeof(cert_result));
	result.failed_step = "collateral";
	if (collateral == NULL) {
		rc = cli_fail(&detail, RATLS_ERR_NO_MEMORY,
			      "out of memory creating the collateral");
		goto out;
	}
	rc = cli_read_file(args->input_path, CLI_RATLS_CERT_FILE_MAX_SIZE, "certificate file", &cert,
			   &detail);
	if (rc != RATLS_OK) {
		result.failed_step = "extraction";
		goto out;
	}
	if (args->trust_root_path != NULL) {
		if ((rc = cli_load_trust_root(args->trust_root_path, &root, &detail)) != RATLS_OK)
			goto out;
		dcap_options.trust_root_der = root.data;
		dcap_options.trust_root_der_size = root.size;
	}
	have_collateral = args->bundle_path != NULL || args->has_collateral_files;
	if (args->ita.verifier == CLI_VERIFIER_ITA) {
		rc = cli_ita_client_new(&args->ita, &args->service, &ita_client, &detail);
		if (rc != RATLS_OK)
			goto out;
		ratls_verifier_init_ita(&verifier, ita_client);
	} else if (args->service.url != NULL) {
		struct ratls_evidence *ev = NULL;
		struct ratls_detail ignored = {0};

		/* A certificate without evidence fetches nothing; ratls_verify_cert reports it. */
		if (ratls_evidence_from_cert(cert.data, cert.size, &ev, &ignored) == RATLS_OK) {
			rc = fetch_collateral(args, &root, ev->quote, ev->quote_size, &collateral,
					      &detail);
			have_collateral = true;
		}
		ratls_evidence_free(ev);
		if (rc != RATLS_OK)
			goto out;
	}
	if ((rc = load_collateral(args, collateral, &detail)) != RATLS_OK)
		goto out;
	/* With --verifier ita the verifier was set up above. */
	if (ita_client == NULL && have_collateral) {
		rc = ratls_dcap_context_new(collateral, &dcap_options, &context, &detail);
		if (rc != RATLS_OK)
			goto out;
		ratls_verifier_init_dcap(&verifier, context);
	} else if (ita_client == NULL) {
		verifier = (struct ratls_verifier){"none", verify_without_collateral, NULL};
	}

	options.now = args->at;
	options.verifier = &verifier;
	options.policy = policy;
	options.allow_simulator = args->allow_simulator;
	rc = ratls_verify_cert(cert.data, cert.size, &options, &cert_result, &detail);
	result.failed_step = cert_result.failed_step;
	if (report_available(&cert_result, rc))
		result.report = &cert_result.report;
	result.from_ita = args->ita.verifier == CLI_VERIFIER_ITA;
	describe_evidence(&cert_result, rc, &evidence);
	result.evidence = &evidence;
out:
	result.code = rc;
	if (rc == RATLS_OK)
		result.failed_step = NULL;
	status = print_result(args, &result);
	ratls_verify_cert_result_clear(&cert_result);
	ratls_dcap_context_free(context);
	ratls_ita_client_free(ita_client);
	ratls_collateral_free(collateral);
	cli_buffer_free(&cert);
	cli_buffer_free(&root);
	return status;
}

static int run_mode(int argc, char **argv, bool cert_mode)
{
	struct verify_args args;
	struct ratls_policy *policy = NULL;
	int status;

	memset(&args, 0, sizeof(args));
	args.cert_mode = cert_mode;
	command = cert_mode ? "verify cert" : "verify quote";
	if ((status = parse_args(argc, argv, &args)) >= 0)
		return status;
	if ((status = build_policy(&args, &policy)) >= 0)
		return status;
	warn_weakening_options(&args);

	status = cert_mode ? verify_cert(&args, policy) : verify(&args, policy);
	ratls_policy_free(policy);
	return status;
}

static int run(int argc, char **argv)
{
	return run_mode(argc, argv, false);
}

static int run_cert(int argc, char **argv)
{
	return run_mode(argc, argv, true);
}

const struct cli_command cli_verify_quote_command = {
	.group = "verify",
	.name = "quote",
	.summary = "verify a quote with DCAP collateral, then apply a policy",
	.run = run,
	.print_help = print_help,
};

const struct cli_command cli_verify_cert_command = {
	.group = "verify",
	.name = "cert",
	.summary = "run the full RA-TLS check on a certificate",
	.run = run_cert,
	.print_help = print_cert_help,
};
