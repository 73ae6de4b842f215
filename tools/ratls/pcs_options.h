/*
 * Options shared by the commands that fetch collateral from Intel's PCS or
 * a PCCS ("collateral fetch", "verify quote", "verify cert"): the service
 * URL and kind, the update channel, the timeout, a proxy and the CA file
 * for the service's TLS certificate.
 */
#ifndef RATLS_CLI_PCS_OPTIONS_H
#define RATLS_CLI_PCS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "input.h"
#include "ratls/pcs.h"

/* Values of the long options, above those of every command that includes them. */
enum {
	CLI_OPT_PCCS_URL = 512,
	CLI_OPT_PCS_URL,
	CLI_OPT_ROOT_CRL_URL,
	CLI_OPT_UPDATE,
	CLI_OPT_TIMEOUT,
	CLI_OPT_PROXY,
	CLI_OPT_CA_FILE,
};

/* The getopt_long entries, to copy into a command's table. */
#define CLI_PCS_LONG_OPTIONS                                                                \
	{"pccs-url", required_argument, NULL, CLI_OPT_PCCS_URL},                           \
	{"pcs-url", required_argument, NULL, CLI_OPT_PCS_URL},                              \
	{"root-crl-url", required_argument, NULL, CLI_OPT_ROOT_CRL_URL},                    \
	{"update", required_argument, NULL, CLI_OPT_UPDATE},                                \
	{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                              \
	{"proxy", required_argument, NULL, CLI_OPT_PROXY},                                  \
	{"ca-file", required_argument, NULL, CLI_OPT_CA_FILE}

struct cli_pcs_args {
	const char *url;              /* NULL: no service given */
	enum ratls_pcs_service service;
	const char *root_crl_url;
	enum ratls_pcs_update update;
	long timeout_seconds;         /* 0: the library's defaults */
	const char *proxy;
	const char *ca_file;
};

/* True when opt is one of the CLI_OPT_* values above. */
bool cli_pcs_is_option(int opt);

/*
 * Handles one of the options for command ("collateral fetch"). Returns
 * CLI_EXIT_OK, or prints a usage error and returns CLI_EXIT_USAGE.
 */
int cli_pcs_handle_option(struct cli_pcs_args *args, int opt, const char *value,
			  const char *command);

/* Prints the help lines of the options. */
void cli_pcs_print_help(FILE *out);

/*
 * Creates a provider for args, trusting the root in trust_root (DER, may be
 * empty for Intel's root). Returns a library error code with detail.
 */
int cli_pcs_provider_new(const struct cli_pcs_args *args, const struct cli_buffer *trust_root,
			 struct ratls_pcs_provider **out, struct ratls_detail *detail);

#endif
