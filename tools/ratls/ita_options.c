/* The verifier backend options of "verify quote" and "verify cert"; see ita_options.h. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ita_options.h"

/* Largest API key file: the key and a line end, with room for a comment-free editor save. */
#define API_KEY_FILE_MAX_SIZE (RATLS_ITA_API_KEY_MAX_LEN + 64)

bool cli_ita_is_option(int opt)
{
	return opt >= CLI_OPT_VERIFIER && opt <= CLI_OPT_ITA_JWKS_URL;
}

static int set_once(const char **field, const char *value, const char *option,
		    const char *command)
{
	if (*field != NULL)
		return cli_usage_error(command, "option '--%s' is given twice", option);
	*field = value;
	return CLI_EXIT_OK;
}

int cli_ita_handle_option(struct cli_ita_args *args, int opt, const char *value,
			  const char *command)
{
	switch (opt) {
	case CLI_OPT_VERIFIER:
		if (strcmp(value, "dcap") == 0)
			args->verifier = CLI_VERIFIER_DCAP;
		else if (strcmp(value, "ita") == 0)
			args->verifier = CLI_VERIFIER_ITA;
		else
			return cli_usage_error(command, "--verifier value '%s' is not dcap or ita",
					       value);
		return CLI_EXIT_OK;
	case CLI_OPT_ITA_URL:
		return set_once(&args->url, value, "ita-url", command);
	case CLI_OPT_ITA_API_KEY_FILE:
		return set_once(&args->api_key_file, value, "ita-api-key-file", command);
	case CLI_OPT_ITA_JWKS_URL:
		return set_once(&args->jwks_url, value, "ita-jwks-url", command);
	default:
		return cli_usage_error(command, "internal error: option %d is not a verifier option",
				       opt);
	}
}

int cli_ita_check_args(const struct cli_ita_args *args, bool has_collateral, const char *command)
{
	bool ita_options = args->url != NULL || args->api_key_file != NULL || args->jwks_url != NULL;

	if (args->verifier != CLI_VERIFIER_ITA && ita_options)
		return cli_usage_error(command, "--ita-url, --ita-api-key-file and --ita-jwks-url "
						"need --verifier ita");
	if (args->verifier == CLI_VERIFIER_ITA && has_collateral)
		return cli_usage_error(command,
				       "--verifier ita takes no collateral options (--collateral, "
				       "the collateral files, --pccs-url, --pcs-url); Intel Trust "
				       "Authority checks the quote with its own collateral");
	return CLI_EXIT_OK;
}

void cli_ita_print_help(FILE *out)
{
	fputs("Verifier:\n"
	      "  --verifier dcap|ita       check the quote locally with DCAP collateral\n"
	      "                            (dcap, the default) or send it to Intel Trust\n"
	      "                            Authority and validate the token it returns (ita)\n"
	      "  --ita-url URL             ITA API URL (default " RATLS_ITA_US_URL ";\n"
	      "                            the EU one is " RATLS_ITA_EU_URL ")\n"
	      "  --ita-api-key-file FILE   read the ITA attestation API key from FILE\n"
	      "                            (default: the " RATLS_ITA_API_KEY_ENV "\n"
	      "                            environment variable); the key is never taken\n"
	      "                            from the command line\n"
	      "  --ita-jwks-url URL        the token signing keys (default: Intel's\n"
	      "                            https://portal[.eu].trustauthority.intel.com/certs\n"
	      "                            for the URL's region); never the token's jku\n"
	      "--timeout, --proxy and --ca-file apply to ITA as well.\n",
	      out);
}

/* True when url is Intel's EU API URL, with or without trailing '/'. */
static bool is_eu_url(const char *url)
{
	size_t n = strlen(RATLS_ITA_EU_URL);

	if (url == NULL || strncmp(url, RATLS_ITA_EU_URL, n) != 0)
		return false;
	while (url[n] == '/')
		n++;
	return url[n] == '\0';
}

/* Reads the key into *key (a new string to wipe and free), trimmed of surrounding whitespace. */
static int read_api_key(const struct cli_ita_args *args, char **key, struct ratls_detail *detail)
{
	struct cli_buffer file = {0};
	const char *text;
	size_t start = 0, end;
	int rc;

	*key = NULL;
	if (args->api_key_file != NULL) {
		rc = cli_read_file(args->api_key_file, API_KEY_FILE_MAX_SIZE, "API key file", &file,
				   detail);
		if (rc != RATLS_OK)
			return rc;
		text = (const char *)file.data;
		end = file.size;
	} else {
		text = getenv(RATLS_ITA_API_KEY_ENV);
		if (text == NULL || text[0] == '\0')
			return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					"no Intel Trust Authority API key: pass --ita-api-key-file "
					"FILE or set " RATLS_ITA_API_KEY_ENV "; create an attestation "
					"API key in the Intel Trust Authority portal "
					"(https://portal.trustauthority.intel.com)");
		end = strlen(text);
	}
	while (start < end && strchr(" \t\r\n", text[start]) != NULL)
		start++;
	while (end > start && strchr(" \t\r\n", text[end - 1]) != NULL)
		end--;
	*key = malloc(end - start + 1);
	if (*key != NULL) {
		memcpy(*key, text + start, end - start);
		(*key)[end - start] = '\0';
	}
	if (file.data != NULL)
		explicit_bzero(file.data, file.size);
	cli_buffer_free(&file);
	if (*key == NULL)
		return cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading the API key");
	return RATLS_OK;
}

int cli_ita_client_new(const struct cli_ita_args *args, const struct cli_pcs_args *service,
		       struct ratls_ita_client **out, struct ratls_detail *detail)
{
	struct ratls_ita_options options;
	char *key = NULL;
	int rc;

	if ((rc = read_api_key(args, &key, detail)) != RATLS_OK)
		return rc;
	ratls_ita_options_init(&options);
	options.api_key = key;
	options.region = is_eu_url(args->url) ? RATLS_ITA_REGION_EU : RATLS_ITA_REGION_US;
	options.base_url = args->url;
	options.jwks_url = args->jwks_url;
	if (service->timeout_seconds > 0) {
		options.timeout_ms = service->timeout_seconds * 1000;
		if (options.timeout_ms < RATLS_ITA_DEFAULT_CONNECT_TIMEOUT_MS)
			options.connect_timeout_ms = options.timeout_ms;
	}
	options.proxy = service->proxy;
	options.ca_file = service->ca_file;
	rc = ratls_ita_client_new(&options, out, detail);
	explicit_bzero(key, strlen(key));
	free(key);
	return rc;
}
