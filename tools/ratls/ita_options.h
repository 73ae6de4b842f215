/*
 * Options that select and configure the quote verifier backend of
 * "verify quote" and "verify cert": --verifier dcap|ita, and for Intel
 * Trust Authority the API URL, the API key file and the JWKS URL. The API
 * key is read from a file or from INTEL_TRUST_AUTHORITY_API_KEY, never from
 * the command line, and is never printed.
 */
#ifndef RATLS_CLI_ITA_OPTIONS_H
#define RATLS_CLI_ITA_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pcs_options.h"
#include "ratls/ita.h"

/* Values of the long options, above those of the collateral service options. */
enum {
	CLI_OPT_VERIFIER = 640,
	CLI_OPT_ITA_URL,
	CLI_OPT_ITA_API_KEY_FILE,
	CLI_OPT_ITA_JWKS_URL,
};

/* The getopt_long entries, to copy into a command's table. */
#define CLI_ITA_LONG_OPTIONS                                                                \
	{"verifier", required_argument, NULL, CLI_OPT_VERIFIER},                            \
	{"ita-url", required_argument, NULL, CLI_OPT_ITA_URL},                              \
	{"ita-api-key-file", required_argument, NULL, CLI_OPT_ITA_API_KEY_FILE},            \
	{"ita-jwks-url", required_argument, NULL, CLI_OPT_ITA_JWKS_URL}

enum cli_verifier {
	CLI_VERIFIER_DCAP = 0, /* local DCAP with collateral (the default) */
	CLI_VERIFIER_ITA = 1   /* Intel Trust Authority */
};

struct cli_ita_args {
	enum cli_verifier verifier;
	const char *url;          /* NULL: Intel's US API URL */
	const char *api_key_file; /* NULL: the INTEL_TRUST_AUTHORITY_API_KEY variable */
	const char *jwks_url;     /* NULL: Intel's JWKS URL of the URL's region */
};

/* True when opt is one of the CLI_OPT_* values above. */
bool cli_ita_is_option(int opt);

/*
 * Handles one of the options for command ("verify cert"). Returns
 * CLI_EXIT_OK, or prints a usage error and returns CLI_EXIT_USAGE.
 */
int cli_ita_handle_option(struct cli_ita_args *args, int opt, const char *value,
			  const char *command);

/*
 * Checks the combination after parsing: ITA options need --verifier ita,
 * and ITA takes no collateral options (has_collateral). Returns
 * CLI_EXIT_OK or a usage error.
 */
int cli_ita_check_args(const struct cli_ita_args *args, bool has_collateral, const char *command);

/* Prints the help lines of the options. */
void cli_ita_print_help(FILE *out);

/*
 * Creates an ITA client for args, with the timeout, proxy and CA file of
 * the collateral service options. Reads the API key and wipes every copy
 * the tool made. Returns a library error code with detail.
 */
int cli_ita_client_new(const struct cli_ita_args *args, const struct cli_pcs_args *service,
		       struct ratls_ita_client **out, struct ratls_detail *detail);

#endif
