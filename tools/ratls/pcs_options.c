/* The service options of the commands that fetch collateral; see pcs_options.h. */
#include <string.h>

#include "cli.h"
#include "pcs_options.h"

/* Longest --timeout, in seconds: a collateral request that takes longer has failed. */
#define TIMEOUT_MAX_SECONDS 600

bool cli_pcs_is_option(int opt)
{
	return opt >= CLI_OPT_PCCS_URL && opt <= CLI_OPT_CA_FILE;
}

static int set_url(struct cli_pcs_args *args, const char *value, enum ratls_pcs_service service,
		   const char *command)
{
	if (args->url != NULL)
		return cli_usage_error(command,
				       "the service is given twice ('%s' and '%s'); pass one "
				       "--pccs-url or --pcs-url",
				       args->url, value);
	args->url = value;
	args->service = service;
	return CLI_EXIT_OK;
}

int cli_pcs_handle_option(struct cli_pcs_args *args, int opt, const char *value,
			  const char *command)
{
	int64_t seconds;

	switch (opt) {
	case CLI_OPT_PCCS_URL:
		return set_url(args, value, RATLS_PCS_SERVICE_PCCS, command);
	case CLI_OPT_PCS_URL:
		return set_url(args, value, RATLS_PCS_SERVICE_INTEL, command);
	case CLI_OPT_ROOT_CRL_URL:
		args->root_crl_url = value;
		return CLI_EXIT_OK;
	case CLI_OPT_UPDATE:
		if (strcmp(value, "standard") == 0)
			args->update = RATLS_PCS_UPDATE_STANDARD;
		else if (strcmp(value, "early") == 0)
			args->update = RATLS_PCS_UPDATE_EARLY;
		else
			return cli_usage_error(command,
					       "--update value '%s' is not standard or early",
					       value);
		return CLI_EXIT_OK;
	case CLI_OPT_TIMEOUT:
		if (!cli_parse_int64(value, 1, TIMEOUT_MAX_SECONDS, &seconds))
			return cli_usage_error(command,
					       "--timeout value '%s' is not a number of seconds "
					       "from 1 to %d",
					       value, TIMEOUT_MAX_SECONDS);
		args->timeout_seconds = (long)seconds;
		return CLI_EXIT_OK;
	case CLI_OPT_PROXY:
		args->proxy = value;
		return CLI_EXIT_OK;
	case CLI_OPT_CA_FILE:
		args->ca_file = value;
		return CLI_EXIT_OK;
	default:
		return cli_usage_error(command, "internal error: option %d is not a service option",
				       opt);
	}
}

void cli_pcs_print_help(FILE *out)
{
	fputs("Collateral service:\n"
	      "  --pccs-url URL            fetch collateral from this PCCS (hex CRLs, root\n"
	      "                            CA CRL at /sgx/certification/v4/rootcacrl)\n"
	      "  --pcs-url URL             fetch collateral from Intel's PCS API at URL\n"
	      "                            (https://api.trustedservices.intel.com)\n"
	      "  --root-crl-url URL        with --pcs-url: the root CA CRL (default: Intel's\n"
	      "                            https://certificates.trustedservices.intel.com/\n"
	      "                            IntelSGXRootCA.der)\n"
	      "  --update standard|early   the PCS update channel (default standard)\n"
	      "  --timeout SECONDS         limit for each request (default 30, connect 10)\n"
	      "  --proxy URL               HTTP proxy (default: the https_proxy variable);\n"
	      "                            an empty value uses none\n"
	      "  --ca-file FILE            CA certificates for the service's TLS certificate\n"
	      "URLs are https://, or http:// to a loopback address only.\n",
	      out);
}

int cli_pcs_provider_new(const struct cli_pcs_args *args, const struct cli_buffer *trust_root,
			 struct ratls_pcs_provider **out, struct ratls_detail *detail)
{
	struct ratls_pcs_options options;

	ratls_pcs_options_init(&options);
	options.base_url = args->url;
	options.service = args->service;
	options.root_crl_url = args->root_crl_url;
	options.update = args->update;
	if (args->timeout_seconds > 0) {
		options.timeout_ms = args->timeout_seconds * 1000;
		if (options.timeout_ms < RATLS_PCS_DEFAULT_CONNECT_TIMEOUT_MS)
			options.connect_timeout_ms = options.timeout_ms;
	}
	options.proxy = args->proxy;
	options.ca_file = args->ca_file;
	if (trust_root != NULL && trust_root->size > 0) {
		options.trust_root_der = trust_root->data;
		options.trust_root_der_size = trust_root->size;
	}
	return ratls_pcs_provider_new(&options, out, detail);
}
