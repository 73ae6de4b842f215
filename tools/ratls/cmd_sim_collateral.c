/*
 * "ratls sim collateral --platform DIR": issues the simulated platform's
 * collateral at a time, as a bundle (ratls_collateral_write_bundle) and
 * optionally as the files and headers Intel's PCS serves.
 *
 * The bundle is built from the PCS pieces (TCB info and QE identity bodies,
 * DER CRLs, URL-encoded issuer chain headers) through the same
 * ratls_collateral_set_* calls that read PCS files, so the bundle and the
 * PCS files carry the same signatures.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_sim.h"

#define COMMAND "sim collateral"

/* PCS file names in --pcs-dir, besides the issuer chain headers. */
#define PCS_TCB_INFO_FILE "tcb_info.json"
#define PCS_QE_IDENTITY_FILE "qe_identity.json"
#define PCS_PCK_CRL_FILE "pck_crl.der"
#define PCS_ROOT_CRL_FILE "root_crl.der"

enum {
	OPT_PLATFORM = 256,
	OPT_TEE,
	OPT_AT,
	OPT_OUT,
	OPT_PCS_DIR,
	OPT_TCB_STATUS,
	OPT_ADVISORY,
	OPT_QE_STATUS,
	OPT_MODULE_STATUS,
	OPT_REVOKE_PCK,
};

static const struct option long_options[] = {
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"tee", required_argument, NULL, OPT_TEE},
	{"at", required_argument, NULL, OPT_AT},
	{"out", required_argument, NULL, OPT_OUT},
	{"pcs-dir", required_argument, NULL, OPT_PCS_DIR},
	{"tcb-status", required_argument, NULL, OPT_TCB_STATUS},
	{"advisory", required_argument, NULL, OPT_ADVISORY},
	{"qe-status", required_argument, NULL, OPT_QE_STATUS},
	{"module-status", required_argument, NULL, OPT_MODULE_STATUS},
	{"revoke-pck", no_argument, NULL, OPT_REVOKE_PCK},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* A status option: whether it was given and its value. */
struct status_option {
	bool given;
	enum ratls_tcb_status status;
};

struct collateral_args {
	const char *platform_dir;
	enum ratls_sim_tee tee;
	bool tee_given;
	int64_t at;
	bool at_given;
	const char *out_path;
	const char *pcs_dir;
	struct status_option tcb_status;
	struct status_option qe_status;
	struct status_option module_status;
	char advisories[RATLS_SIM_ADVISORIES_MAX][RATLS_SIM_ADVISORY_ID_SIZE];
	size_t advisory_count;
	bool revoke_pck;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls sim collateral --platform DIR [options]\n"
	      "\n"
	      "Issue the collateral of the simulated platform in DIR (see 'ratls sim init')\n"
	      "at a time: TCB info and QE identity signed by its TCB signing certificate,\n"
	      "its root CA CRL and PCK CRL, and their issuer chains. It is written as a\n"
	      "bundle for 'ratls verify quote --collateral', and with --pcs-dir also as the\n"
	      "files Intel's PCS serves. The TCB info and QE identity are issued 1 hour\n"
	      "before TIME with their next update 30 days after it, and the CRLs likewise,\n"
	      "so the collateral verifies at any time in that window that is also inside\n"
	      "the certificates' validity (see 'ratls sim init --help').\n"
	      "\n"
	      "Options:\n"
	      "  --platform DIR         platform folder written by 'ratls sim init'; required\n"
	      "  --tee tdx|sgx          collateral for TDX quotes (TCB info id TDX, QE\n"
	      "                         identity TD_QE) or SGX quotes (SGX, QE); default: tdx\n"
	      "  --at TIME              time of issue, RFC 3339 (2025-07-19T10:00:34Z) or Unix\n"
	      "                         seconds; default: the current time\n"
	      "  --out FILE             write the bundle JSON to FILE (default, or '-':\n"
	      "                         standard output)\n"
	      "  --pcs-dir DIR2         also write the PCS files into DIR2 (created when\n"
	      "                         absent): the response bodies tcb_info.json and\n"
	      "                         qe_identity.json, the DER CRLs pck_crl.der and\n"
	      "                         root_crl.der, and the URL-encoded issuer chains\n"
	      "                         in files named after the response\n"
	      "                         headers: TCB-Info-Issuer-Chain,\n"
	      "                         SGX-Enclave-Identity-Issuer-Chain and\n"
	      "                         SGX-PCK-CRL-Issuer-Chain\n"
	      "\n"
	      "Shaping the collateral for experiments. STATUS is a TCB status by Intel's\n"
	      "name: UpToDate, SWHardeningNeeded, ConfigurationNeeded,\n"
	      "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded,\n"
	      "Revoked. Each option changes the level that the platform's default quotes\n"
	      "match:\n"
	      "  --tcb-status STATUS    status of the platform's TCB level in the TCB info\n"
	      "                         (default: UpToDate)\n"
	      "  --advisory ID          advisory ID of that TCB level, such as\n"
	      "                         INTEL-SA-00837 (1 to 31 letters, digits, '-', '_' or\n"
	      "                         '.'); repeatable, at most 8 (default: none)\n"
	      "  --qe-status STATUS     status of the QE identity level (default: UpToDate)\n"
	      "  --module-status STATUS status of the TDX module identity level, TDX only\n"
	      "                         (default: UpToDate)\n"
	      "  --revoke-pck           list the platform's PCK certificate in the PCK CRL\n"
	      "\n"
	      "  -v, --verbose          also print the library's info and debug messages\n"
	      "  -h, --help             print this help\n"
	      "\n"
	      "The collateral is signed by a test PKI, never by Intel: 'ratls verify quote'\n"
	      "accepts it only with --trust-root DIR/root.pem.\n"
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

static int parse_tee(struct collateral_args *args, const char *value)
{
	if (args->tee_given)
		return cli_usage_error(COMMAND, "option '--tee' is given twice");
	args->tee_given = true;
	if (strcmp(value, "tdx") == 0) {
		args->tee = RATLS_SIM_TEE_TDX;
		return CLI_EXIT_OK;
	}
	if (strcmp(value, "sgx") == 0) {
		args->tee = RATLS_SIM_TEE_SGX;
		return CLI_EXIT_OK;
	}
	return cli_usage_error(COMMAND, "--tee value '%s' is not a TEE; use tdx or sgx", value);
}

static int parse_status(struct status_option *option, const char *name, const char *value)
{
	if (option->given)
		return cli_usage_error(COMMAND, "option '--%s' is given twice", name);
	if (ratls_tcb_status_parse(value, strlen(value), &option->status) != RATLS_OK)
		return cli_usage_error(COMMAND,
				       "--%s value '%s' is not a TCB status; use Intel's "
				       "case-sensitive name, such as UpToDate or OutOfDate",
				       name, value);
	option->given = true;
	return CLI_EXIT_OK;
}

/* Accepts IDs shaped like Intel's ("INTEL-SA-00837"), so the JSON needs no escaping. */
static int parse_advisory(struct collateral_args *args, const char *value)
{
	size_t len = strlen(value);

	if (args->advisory_count == RATLS_SIM_ADVISORIES_MAX)
		return cli_usage_error(COMMAND, "more than %d --advisory values",
				       RATLS_SIM_ADVISORIES_MAX);
	if (len == 0 || len >= RATLS_SIM_ADVISORY_ID_SIZE)
		return cli_usage_error(COMMAND,
				       "--advisory value '%s' is %zu characters long; pass 1 to "
				       "%d, such as INTEL-SA-00837",
				       value, len, RATLS_SIM_ADVISORY_ID_SIZE - 1);
	for (size_t i = 0; i < len; i++) {
		char c = value[i];
		bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';

		if (!allowed)
			return cli_usage_error(COMMAND,
					       "--advisory value '%s' contains a character other "
					       "than letters, digits, '-', '_' and '.' at position "
					       "%zu; pass an ID such as INTEL-SA-00837",
					       value, i + 1);
	}
	memcpy(args->advisories[args->advisory_count], value, len + 1);
	args->advisory_count++;
	return CLI_EXIT_OK;
}

static int handle_option(struct collateral_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	switch (opt) {
	case OPT_PLATFORM:
		return set_once(&args->platform_dir, optarg, "platform");
	case OPT_TEE:
		return parse_tee(args, optarg);
	case OPT_AT:
		if (args->at_given)
			return cli_usage_error(COMMAND, "option '--at' is given twice");
		if (cli_parse_time(optarg, &args->at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_OUT:
		return set_once(&args->out_path, optarg, "out");
	case OPT_PCS_DIR:
		return set_once(&args->pcs_dir, optarg, "pcs-dir");
	case OPT_TCB_STATUS:
		return parse_status(&args->tcb_status, "tcb-status", optarg);
	case OPT_ADVISORY:
		return parse_advisory(args, optarg);
	case OPT_QE_STATUS:
		return parse_status(&args->qe_status, "qe-status", optarg);
	case OPT_MODULE_STATUS:
		return parse_status(&args->module_status, "module-status", optarg);
	case OPT_REVOKE_PCK:
		args->revoke_pck = true;
		return CLI_EXIT_OK;
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

/* Parses argv into *args. Returns -1 to go on, or an exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, struct collateral_args *args)
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
	if (!args->tee_given)
		args->tee = RATLS_SIM_TEE_TDX;
	if (args->module_status.given && args->tee != RATLS_SIM_TEE_TDX)
		return cli_usage_error(COMMAND,
				       "--module-status applies to TDX collateral, which has TDX "
				       "module identities; remove it or pass --tee tdx");
	if (!args->at_given)
		args->at = (int64_t)time(NULL);
	return -1;
}

/*
 * Returns the index of the first UpToDate level, which
 * ratls_sim_platform_defaults makes the level that the default quotes match.
 * Returns count when there is none.
 */
static size_t find_up_to_date_tcb_level(const struct ratls_sim_tcb_level *levels, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (levels[i].status == RATLS_TCB_UP_TO_DATE)
			return i;
	}
	return count;
}

static size_t find_up_to_date_isv_level(const struct ratls_sim_isv_level *levels, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (levels[i].status == RATLS_TCB_UP_TO_DATE)
			return i;
	}
	return count;
}

/* Applies --tcb-status and --advisory to the TCB info's matching level. */
static int shape_tcb_info(const struct collateral_args *args,
			  struct ratls_sim_tcb_info_params *info, struct ratls_detail *detail)
{
	size_t i = find_up_to_date_tcb_level(info->levels, info->level_count);

	if (!args->tcb_status.given && args->advisory_count == 0)
		return RATLS_OK;
	if (i == info->level_count)
		return cli_fail(detail, RATLS_ERR_INTERNAL,
				"the platform's default TCB info has no UpToDate level to change");
	if (args->tcb_status.given)
		info->levels[i].status = args->tcb_status.status;
	if (args->advisory_count > 0) {
		memcpy(info->levels[i].advisory_ids, args->advisories, sizeof(args->advisories));
		info->levels[i].advisory_count = args->advisory_count;
	}
	return RATLS_OK;
}

/* Sets the status of the matching level of an identity (--qe-status, --module-status). */
static int shape_isv_levels(const struct status_option *option, const char *what,
			    struct ratls_sim_isv_level *levels, size_t count,
			    struct ratls_detail *detail)
{
	size_t i = find_up_to_date_isv_level(levels, count);

	if (!option->given)
		return RATLS_OK;
	if (i == count)
		return cli_fail(detail, RATLS_ERR_INTERNAL,
				"the platform's default %s has no UpToDate level to change", what);
	levels[i].status = option->status;
	return RATLS_OK;
}

/* Applies the shaping options to the platform parameters. */
static int shape_params(const struct collateral_args *args,
			struct ratls_sim_platform_params *params, struct ratls_detail *detail)
{
	bool tdx = args->tee == RATLS_SIM_TEE_TDX;
	struct ratls_sim_tcb_info_params *info =
		tdx ? &params->tdx_tcb_info : &params->sgx_tcb_info;
	struct ratls_sim_qe_identity_params *qe =
		tdx ? &params->td_qe_identity : &params->qe_identity;
	int rc;

	if ((rc = shape_tcb_info(args, info, detail)) != RATLS_OK)
		return rc;
	rc = shape_isv_levels(&args->qe_status, "QE identity", qe->levels, qe->level_count,
			      detail);
	if (rc != RATLS_OK || !args->module_status.given)
		return rc;
	if (info->module_identity_count == 0)
		return cli_fail(detail, RATLS_ERR_INTERNAL,
				"the platform's default TCB info has no TDX module identity");
	return shape_isv_levels(&args->module_status, "TDX module identity",
				info->module_identities[0].levels,
				info->module_identities[0].level_count, detail);
}

/*
 * Adds the PCK certificate's serial to the PCK CRL parameters. The serial
 * depends on the PCK key only, so a platform created with the unchanged
 * parameters has the same one.
 */
static int revoke_pck(const struct cli_sim_platform_file *file,
		      struct ratls_sim_platform_params *params, struct ratls_detail *detail)
{
	struct ratls_sim_platform *platform = NULL;
	struct ratls_sim_crl_params *crl = &params->pck_crl;
	int rc;

	if (crl->revoked_count == RATLS_SIM_CRL_REVOKED_MAX)
		return cli_fail(detail, RATLS_ERR_INTERNAL,
				"the platform's PCK CRL already lists %d serials",
				RATLS_SIM_CRL_REVOKED_MAX);
	if ((rc = cli_sim_platform_create(file, params, &platform, detail)) != RATLS_OK)
		return rc;
	ratls_sim_cert_get_serial(ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PCK),
				  &crl->revoked[crl->revoked_count]);
	crl->revoked_count++;
	ratls_sim_platform_free(platform);
	return RATLS_OK;
}

/* The PCS pieces of the collateral. Every buffer is freed with ratls_sim_free. */
struct pcs_pieces {
	uint8_t *tcb_info;
	size_t tcb_info_size;
	uint8_t *qe_identity;
	size_t qe_identity_size;
	uint8_t *pck_crl;
	size_t pck_crl_size;
	uint8_t *root_crl;
	size_t root_crl_size;
	char *tcb_info_chain;
	size_t tcb_info_chain_len;
	char *qe_identity_chain;
	size_t qe_identity_chain_len;
	char *pck_crl_chain;
	size_t pck_crl_chain_len;
};

static void pcs_pieces_free(struct pcs_pieces *p)
{
	ratls_sim_free(p->tcb_info);
	ratls_sim_free(p->qe_identity);
	ratls_sim_free(p->pck_crl);
	ratls_sim_free(p->root_crl);
	ratls_sim_free(p->tcb_info_chain);
	ratls_sim_free(p->qe_identity_chain);
	ratls_sim_free(p->pck_crl_chain);
	memset(p, 0, sizeof(*p));
}

static int issue_pieces(const struct ratls_sim_platform *platform, enum ratls_sim_tee tee,
			int64_t at, struct pcs_pieces *p, struct ratls_detail *detail)
{
	int rc;

	rc = ratls_sim_platform_tcb_info(platform, tee, at, &p->tcb_info, &p->tcb_info_size,
					 detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_sim_platform_qe_identity(platform, tee, at, &p->qe_identity,
					    &p->qe_identity_size, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_sim_platform_crl(platform, RATLS_CRL_PCK, at, &p->pck_crl, &p->pck_crl_size,
				    detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_sim_platform_crl(platform, RATLS_CRL_ROOT, at, &p->root_crl, &p->root_crl_size,
				    detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_sim_platform_pcs_header(platform, RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN,
					   &p->tcb_info_chain, &p->tcb_info_chain_len, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_sim_platform_pcs_header(platform, RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN,
					   &p->qe_identity_chain, &p->qe_identity_chain_len,
					   detail);
	if (rc != RATLS_OK)
		return rc;
	return ratls_sim_platform_pcs_header(platform, RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN,
					     &p->pck_crl_chain, &p->pck_crl_chain_len, detail);
}

/* Stores the pieces in collateral as a verifier reading PCS files would. */
static int load_pieces(const struct pcs_pieces *p, struct ratls_collateral *c,
		       struct ratls_detail *detail)
{
	int rc;

	if ((rc = ratls_collateral_set_tcb_info(c, p->tcb_info, p->tcb_info_size, detail)) !=
	    RATLS_OK)
		return rc;
	rc = ratls_collateral_set_qe_identity(c, p->qe_identity, p->qe_identity_size, detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_collateral_set_crl(c, RATLS_CRL_PCK, p->pck_crl, p->pck_crl_size,
					   detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_collateral_set_crl(c, RATLS_CRL_ROOT, p->root_crl, p->root_crl_size,
					   detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_chain(c, RATLS_CHAIN_TCB_INFO, (const uint8_t *)p->tcb_info_chain,
					p->tcb_info_chain_len, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_chain(c, RATLS_CHAIN_QE_IDENTITY,
					(const uint8_t *)p->qe_identity_chain,
					p->qe_identity_chain_len, detail);
	if (rc != RATLS_OK)
		return rc;
	return ratls_collateral_set_chain(c, RATLS_CHAIN_PCK_CRL, (const uint8_t *)p->pck_crl_chain,
					  p->pck_crl_chain_len, detail);
}

static int write_pcs_file(const char *dir, const char *name, const void *data, size_t size,
			  struct ratls_detail *detail)
{
	char path[CLI_SIM_PATH_SIZE];
	int rc;

	if ((rc = cli_sim_join_path(dir, name, path, detail)) != RATLS_OK)
		return rc;
	return cli_sim_write_file(path, data, size, 0644, detail);
}

static int write_pcs_dir(const char *dir, const struct pcs_pieces *p, struct ratls_detail *detail)
{
	const char *name;
	int rc;

	if ((rc = cli_sim_make_dir(dir, 0755, detail)) != RATLS_OK)
		return rc;
	if ((rc = write_pcs_file(dir, PCS_TCB_INFO_FILE, p->tcb_info, p->tcb_info_size,
				 detail)) != RATLS_OK)
		return rc;
	if ((rc = write_pcs_file(dir, PCS_QE_IDENTITY_FILE, p->qe_identity, p->qe_identity_size,
				 detail)) != RATLS_OK)
		return rc;
	if ((rc = write_pcs_file(dir, PCS_PCK_CRL_FILE, p->pck_crl, p->pck_crl_size, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = write_pcs_file(dir, PCS_ROOT_CRL_FILE, p->root_crl, p->root_crl_size,
				 detail)) != RATLS_OK)
		return rc;
	name = ratls_sim_pcs_header_name(RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN);
	rc = write_pcs_file(dir, name, p->tcb_info_chain, p->tcb_info_chain_len, detail);
	if (rc != RATLS_OK)
		return rc;
	name = ratls_sim_pcs_header_name(RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN);
	rc = write_pcs_file(dir, name, p->qe_identity_chain, p->qe_identity_chain_len, detail);
	if (rc != RATLS_OK)
		return rc;
	name = ratls_sim_pcs_header_name(RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN);
	return write_pcs_file(dir, name, p->pck_crl_chain, p->pck_crl_chain_len, detail);
}

/* The window in which every certificate of the platform is valid. */
static void cert_window(const struct ratls_sim_platform_params *params, int64_t *from,
			int64_t *until)
{
	const struct ratls_sim_cert_params *certs[] = {
		&params->root_ca,
		params->pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA ? &params->processor_ca
								  : &params->platform_ca,
		&params->tcb_signing,
		&params->pck,
	};

	*from = INT64_MIN;
	*until = INT64_MAX;
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		if (certs[i]->not_before > *from)
			*from = certs[i]->not_before;
		if (certs[i]->not_after < *until)
			*until = certs[i]->not_after;
	}
}

/*
 * The window in which the collateral issued at `at` is valid: every date of
 * the parameters moves by at - params->now (see ratls_sim_platform_collateral).
 */
static void collateral_window(const struct ratls_sim_platform_params *params, bool tdx,
			      int64_t at, int64_t *from, int64_t *until)
{
	const struct ratls_sim_tcb_info_params *info = tdx ? &params->tdx_tcb_info
							   : &params->sgx_tcb_info;
	const struct ratls_sim_qe_identity_params *qe = tdx ? &params->td_qe_identity
							    : &params->qe_identity;
	int64_t issued[] = {info->issue_date, qe->issue_date, params->pck_crl.this_update,
			    params->root_crl.this_update};
	int64_t next[] = {info->next_update, qe->next_update, params->pck_crl.next_update,
			  params->root_crl.next_update};

	*from = INT64_MIN;
	*until = INT64_MAX;
	for (size_t i = 0; i < 4; i++) {
		if (issued[i] > *from)
			*from = issued[i];
		if (next[i] < *until)
			*until = next[i];
	}
	*from += at - params->now;
	*until += at - params->now;
}

static void warn_outside_certs(const struct ratls_sim_platform_params *params, int64_t at)
{
	char at_text[CLI_TIME_TEXT_SIZE], from_text[CLI_TIME_TEXT_SIZE],
		until_text[CLI_TIME_TEXT_SIZE];
	int64_t from, until;

	cert_window(params, &from, &until);
	if (at >= from && at <= until)
		return;
	cli_format_time(at, at_text);
	cli_format_time(from, from_text);
	cli_format_time(until, until_text);
	cli_warn("--at %s is outside the validity of the platform's certificates (%s to %s), "
		 "so this collateral does not verify; pass an --at inside that window",
		 at_text, from_text, until_text);
}

static void print_summary(const struct collateral_args *args,
			  const struct ratls_sim_platform_params *params)
{
	bool bundle_on_stdout = args->out_path == NULL || strcmp(args->out_path, "-") == 0;
	FILE *out = bundle_on_stdout ? stderr : stdout;
	char from_text[CLI_TIME_TEXT_SIZE], until_text[CLI_TIME_TEXT_SIZE];
	int64_t from, until;

	collateral_window(params, args->tee == RATLS_SIM_TEE_TDX, args->at, &from, &until);
	cli_format_time(from, from_text);
	cli_format_time(until, until_text);
	if (!bundle_on_stdout)
		fprintf(out, "Wrote the %s collateral bundle to '%s'\n",
			args->tee == RATLS_SIM_TEE_TDX ? "TDX" : "SGX", args->out_path);
	if (args->pcs_dir != NULL)
		fprintf(out, "Wrote the PCS files to '%s'\n", args->pcs_dir);
	fprintf(out, "The collateral is valid from %s to %s (verify with --at in that window)\n",
		from_text, until_text);
}

/* Builds the platform parameters from the options, creating the platform once for --revoke-pck. */
static int build_params(const struct collateral_args *args,
			const struct cli_sim_platform_file *file,
			struct ratls_sim_platform_params *params, struct ratls_detail *detail)
{
	int rc;

	ratls_sim_platform_defaults(params, file->created_at);
	if ((rc = shape_params(args, params, detail)) != RATLS_OK)
		return rc;
	if (args->revoke_pck)
		return revoke_pck(file, params, detail);
	return RATLS_OK;
}

static int issue(const struct collateral_args *args, struct ratls_detail *detail)
{
	struct cli_sim_platform_file file;
	struct ratls_sim_platform_params params;
	struct ratls_sim_platform *platform = NULL;
	struct ratls_collateral *collateral = NULL;
	struct pcs_pieces pieces = {0};
	char *bundle = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if ((rc = cli_sim_platform_file_read(args->platform_dir, &file, detail)) != RATLS_OK)
		goto out;
	if ((rc = build_params(args, &file, &params, detail)) != RATLS_OK)
		goto out;
	if ((rc = cli_sim_platform_create(&file, &params, &platform, detail)) != RATLS_OK)
		goto out;
	warn_outside_certs(&params, args->at);

	if ((rc = issue_pieces(platform, args->tee, args->at, &pieces, detail)) != RATLS_OK)
		goto out;
	collateral = ratls_collateral_new();
	if (collateral == NULL) {
		rc = cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory creating the collateral");
		goto out;
	}
	if ((rc = load_pieces(&pieces, collateral, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_collateral_write_bundle(collateral, &bundle, detail)) != RATLS_OK)
		goto out;

	rc = cli_sim_write_output(args->out_path, bundle, strlen(bundle), "collateral bundle",
				  detail);
	if (rc != RATLS_OK)
		goto out;
	if (args->pcs_dir != NULL) {
		if ((rc = write_pcs_dir(args->pcs_dir, &pieces, detail)) != RATLS_OK)
			goto out;
	}
	print_summary(args, &params);
	rc = RATLS_OK;
out:
	free(bundle);
	ratls_collateral_free(collateral);
	pcs_pieces_free(&pieces);
	ratls_sim_platform_free(platform);
	cli_sim_platform_file_wipe(&file);
	return rc;
}

static int run(int argc, char **argv)
{
	struct collateral_args args;
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

const struct cli_command cli_sim_collateral_command = {
	.group = "sim",
	.name = "collateral",
	.summary = "issue collateral for a simulated platform",
	.run = run,
	.print_help = print_help,
};
