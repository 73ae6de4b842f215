/*
 * "ratls attestation URL": fetches the attestation report of a PostgreSQL
 * server (GET /attestation on ratls-sidecar), or reads a saved one. It then
 * verifies the report with ratls_attestation_report_verify: the quote with
 * DCAP, report_data recomputed from the report's PostgreSQL state and
 * timestamp, the timestamp's freshness, the event log replay and the policy.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "input.h"
#include "pcs_options.h"
#include "ratls/dcap.h"
#include "ratls/pcs.h"
#include "ratls/policy.h"
#include "ratls/report.h"
#include "report.h"

#define COMMAND "attestation"

/* Seconds to fetch the report when --timeout is not given. The server makes a fresh quote
 * for each request, which takes about a second on real hardware (an estimate). */
#define FETCH_TIMEOUT_SECONDS 30
/* Seconds to wait for the server to accept the connection. */
#define FETCH_CONNECT_TIMEOUT_SECONDS 10

enum {
	OPT_COLLATERAL = 256,
	OPT_TRUST_ROOT,
	OPT_AT,
	OPT_MAX_SKEW,
	OPT_MRTD,
	OPT_RTMR,
	OPT_ALLOW_TCB,
	OPT_ALLOW_DEBUG,
	OPT_ALLOW_SEAM_SIGNER,
	OPT_ALLOW_SERVICE_TD,
	OPT_COMPOSE_HASH,
	OPT_APP_ID,
	OPT_OS_IMAGE_HASH,
	OPT_JSON,
};

static const struct option long_options[] = {
	{"collateral", required_argument, NULL, OPT_COLLATERAL},
	{"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
	{"at", required_argument, NULL, OPT_AT},
	{"max-skew", required_argument, NULL, OPT_MAX_SKEW},
	{"mrtd", required_argument, NULL, OPT_MRTD},
	{"rtmr", required_argument, NULL, OPT_RTMR},
	{"allow-tcb", required_argument, NULL, OPT_ALLOW_TCB},
	{"allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG},
	{"allow-seam-signer", no_argument, NULL, OPT_ALLOW_SEAM_SIGNER},
	{"allow-service-td", no_argument, NULL, OPT_ALLOW_SERVICE_TD},
	{"compose-hash", required_argument, NULL, OPT_COMPOSE_HASH},
	{"app-id", required_argument, NULL, OPT_APP_ID},
	{"os-image-hash", required_argument, NULL, OPT_OS_IMAGE_HASH},
	{"json", no_argument, NULL, OPT_JSON},
	CLI_PCS_LONG_OPTIONS,
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Identity pin options, in the order of OPT_COMPOSE_HASH..OPT_OS_IMAGE_HASH. */
static const struct {
	const char *option;
	int (*add)(struct ratls_policy *policy, const char *hex, struct ratls_detail *detail);
} identity_options[] = {
	{"--compose-hash", ratls_policy_add_compose_hash},
	{"--app-id", ratls_policy_add_app_id},
	{"--os-image-hash", ratls_policy_add_os_image_hash},
};
#define IDENTITY_OPTION_COUNT 3

struct attestation_args {
	const char *source; /* URL or file */
	const char *bundle_path;
	const char *trust_root_path;
	int64_t at;
	bool at_given;
	int64_t max_skew;
	const char *mrtds[RATLS_POLICY_MRTDS_MAX];
	size_t mrtd_count;
	const char *rtmrs[4];
	enum ratls_tcb_status allowed[RATLS_TCB_STATUS_COUNT];
	size_t allowed_count;
	bool allow_debug;
	bool allow_seam_signer;
	bool allow_service_td;
	const char *identities[IDENTITY_OPTION_COUNT][RATLS_POLICY_IDENTITIES_MAX];
	size_t identity_count[IDENTITY_OPTION_COUNT];
	bool json;
	struct cli_pcs_args service;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls attestation [options] URL|FILE\n"
	      "\n"
	      "Fetch the attestation report of a PostgreSQL server from ratls-sidecar's\n"
	      "HTTP port (http://HOST:8080; the path /attestation is added when the URL has\n"
	      "none) or read a saved report from FILE ('-' reads standard input), and verify\n"
	      "it: the quote with Intel DCAP collateral, report_data as version 1 of the\n"
	      "binding, SHA-256(be64(wal_lsn) || controldata_hash || be64(timestamp)), the\n"
	      "timestamp within --max-skew of the verification time, the event log replayed\n"
	      "against the RTMRs (and app_id, compose_hash, instance_id against its events),\n"
	      "then the policy. pg_version is not covered by the quote.\n"
	      "\n"
	      "Collateral (one is required):\n"
	      "  --collateral FILE         bundle JSON (dcap-qvl QuoteCollateralV3 form)\n",
	      out);
	cli_pcs_print_help(out);
	fputs("  The --timeout and --proxy above also apply to fetching the report.\n"
	      "\n"
	      "Verification:\n"
	      "  --at TIME                 verification time, RFC 3339 or Unix seconds;\n"
	      "                            default: the current time\n"
	      "  --max-skew SECONDS        largest distance between the report's timestamp\n"
	      "                            and the verification time (default 300)\n"
	      "  --trust-root FILE         trust this root certificate (PEM or DER)\n"
	      "                            instead of the Intel SGX Root CA (weakens)\n"
	      "\n"
	      "Policy (defaults: any MRTD, TCB status UpToDate or SWHardeningNeeded, debug\n"
	      "rejected):\n"
	      "  --mrtd HEX                allow this MRTD (96 hex digits); repeatable\n"
	      "  --rtmr N=HEX              require RTMR N (0-3) to equal HEX; repeatable\n"
	      "  --allow-tcb STATUS        accept this TCB status (Intel's name); repeatable;\n"
	      "                            the first one replaces the defaults\n"
	      "  --allow-debug             accept a debuggable TD (weakens)\n"
	      "  --allow-seam-signer       accept a TDX module not signed by Intel (weakens)\n"
	      "  --allow-service-td        accept a TD bound to a service TD (weakens)\n"
	      "  --compose-hash HEX        allow this compose hash (64 hex digits); repeatable\n"
	      "  --app-id HEX              allow this dstack app id (40 hex digits);\n"
	      "                            repeatable\n"
	      "  --os-image-hash HEX       allow this OS image hash (64 hex digits);\n"
	      "                            repeatable\n"
	      "\n"
	      "Output:\n"
	      "  --json                    print the result as JSON on standard output\n"
	      "  -v, --verbose             also print the library's info and debug messages\n"
	      "  -h, --help                print this help\n"
	      "\n"
	      "A failure prints 'ratls: attestation failed: NAME: MESSAGE' to standard\n"
	      "error and names the step that failed (fetch, parse, collateral, quote,\n"
	      "binding, freshness, replay, policy).\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

/* ---- options ---- */

static int set_once(const char **field, const char *value, const char *option)
{
	if (*field != NULL)
		return cli_usage_error(COMMAND, "option '--%s' is given twice", option);
	*field = value;
	return CLI_EXIT_OK;
}

static int parse_rtmr(struct attestation_args *args, const char *value)
{
	int64_t index;
	char digit[2] = {value[0], '\0'};

	if (value[0] == '\0' || value[1] != '=' || !cli_parse_int64(digit, 0, 3, &index))
		return cli_usage_error(COMMAND, "--rtmr value '%s' is not N=HEX with N from 0 to 3",
				       value);
	if (args->rtmrs[index] != NULL)
		return cli_usage_error(COMMAND, "RTMR%d is pinned twice by --rtmr", (int)index);
	args->rtmrs[index] = value + 2;
	return CLI_EXIT_OK;
}

static int parse_allow_tcb(struct attestation_args *args, const char *value)
{
	enum ratls_tcb_status status;

	if (ratls_tcb_status_parse(value, strlen(value), &status) != RATLS_OK ||
	    status == RATLS_TCB_REVOKED)
		return cli_usage_error(COMMAND,
				       "--allow-tcb value '%s' is not an acceptable TCB status; use "
				       "Intel's name, such as UpToDate or OutOfDate",
				       value);
	if (args->allowed_count < RATLS_TCB_STATUS_COUNT)
		args->allowed[args->allowed_count++] = status;
	return CLI_EXIT_OK;
}

static int add_list_value(const char **list, size_t *count, size_t max, const char *option)
{
	if (*count == max)
		return cli_usage_error(COMMAND, "more than %zu %s values", max, option);
	list[(*count)++] = optarg;
	return CLI_EXIT_OK;
}

static int handle_option(struct attestation_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	if (cli_pcs_is_option(opt))
		return cli_pcs_handle_option(&args->service, opt, optarg, COMMAND);
	switch (opt) {
	case OPT_COLLATERAL:
		return set_once(&args->bundle_path, optarg, "collateral");
	case OPT_TRUST_ROOT:
		return set_once(&args->trust_root_path, optarg, "trust-root");
	case OPT_AT:
		if (cli_parse_time(optarg, &args->at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_MAX_SKEW:
		if (!cli_parse_int64(optarg, 1, INT32_MAX, &args->max_skew))
			return cli_usage_error(COMMAND,
					       "--max-skew value '%s' is not a positive number of "
					       "seconds",
					       optarg);
		return CLI_EXIT_OK;
	case OPT_MRTD:
		return add_list_value(args->mrtds, &args->mrtd_count, RATLS_POLICY_MRTDS_MAX,
				      "--mrtd");
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
	case OPT_COMPOSE_HASH:
	case OPT_APP_ID:
	case OPT_OS_IMAGE_HASH: {
		int index = opt - OPT_COMPOSE_HASH;

		return add_list_value(args->identities[index], &args->identity_count[index],
				      RATLS_POLICY_IDENTITIES_MAX, identity_options[index].option);
	}
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

/* Parses argv into *args. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct attestation_args *args)
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
	if (optind >= argc)
		return cli_usage_error(COMMAND, "missing the report URL or FILE");
	if (argc - optind > 1)
		return cli_usage_error(COMMAND, "expected one URL or FILE, got %d arguments",
				       argc - optind);
	args->source = argv[optind];
	if (args->bundle_path == NULL && args->service.url == NULL)
		return cli_usage_error(COMMAND,
				       "no collateral given; pass --collateral BUNDLE.json, "
				       "--pccs-url URL or --pcs-url URL");
	if (!args->at_given)
		args->at = (int64_t)time(NULL);
	if (args->max_skew == 0)
		args->max_skew = RATLS_ATTESTATION_REPORT_DEFAULT_MAX_SKEW;
	return -1;
}

static void warn_weakening_options(const struct attestation_args *args)
{
	if (args->trust_root_path != NULL)
		cli_warn("--trust-root: chains ending at the certificate in '%s' are trusted "
			 "instead of the Intel SGX Root CA",
			 args->trust_root_path);
	if (args->allow_debug)
		cli_warn("--allow-debug: a debuggable TD is accepted, and the host can read its "
			 "memory");
	if (args->allow_seam_signer)
		cli_warn("--allow-seam-signer: a TDX module not signed by Intel is accepted");
	if (args->allow_service_td)
		cli_warn("--allow-service-td: a TD bound to a service TD is accepted");
}

/* Builds the policy; a value the library rejects is a usage error. Returns -1 to go on. */
static int build_policy(const struct attestation_args *args, struct ratls_policy **out)
{
	struct ratls_detail detail = {0};
	struct ratls_policy *policy = ratls_policy_new();
	int rc = RATLS_OK;

	if (policy == NULL) {
		fprintf(stderr, "ratls: out of memory creating the policy\n");
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; rc == RATLS_OK && i < args->mrtd_count; i++)
		rc = ratls_policy_add_mrtd(policy, args->mrtds[i], &detail);
	for (int i = 0; rc == RATLS_OK && i < 4; i++) {
		if (args->rtmrs[i] != NULL)
			rc = ratls_policy_pin_rtmr(policy, i, args->rtmrs[i], &detail);
	}
	for (size_t i = 0; rc == RATLS_OK && i < args->allowed_count; i++)
		rc = ratls_policy_allow_tcb_status(policy, args->allowed[i], &detail);
	for (size_t i = 0; rc == RATLS_OK && i < IDENTITY_OPTION_COUNT; i++) {
		for (size_t j = 0; rc == RATLS_OK && j < args->identity_count[i]; j++)
			rc = identity_options[i].add(policy, args->identities[i][j], &detail);
	}
	if (rc != RATLS_OK) {
		ratls_policy_free(policy);
		return cli_usage_error(COMMAND, "invalid policy value: %s",
				       cli_detail_message(&detail, rc));
	}
	ratls_policy_set_allow_debug(policy, args->allow_debug);
	ratls_policy_set_allow_seam_signer(policy, args->allow_seam_signer);
	ratls_policy_set_allow_service_td(policy, args->allow_service_td);
	*out = policy;
	return -1;
}

/* ---- fetching ---- */

static bool is_url(const char *text)
{
	return strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0;
}

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
	struct cli_buffer *body = arg;
	size_t n = size * count;
	uint8_t *grown;

	if (n > RATLS_ATTESTATION_REPORT_MAX_SIZE - body->size)
		return 0;
	grown = realloc(body->data, body->size + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + body->size, data, n);
	body->data = grown;
	body->size += n;
	body->data[body->size] = '\0';
	return n;
}

/* Returns url with the path /attestation when it has none, in a new string for curl_free. */
static char *report_url(const char *url, struct ratls_detail *detail)
{
	CURLU *parsed = curl_url();
	char *path = NULL, *full = NULL;

	if (parsed == NULL ||
	    curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "'%s' is not a valid URL", url);
		goto out;
	}
	if (curl_url_get(parsed, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    (path[0] == '\0' || strcmp(path, "/") == 0))
		curl_url_set(parsed, CURLUPART_PATH, "/attestation", 0);
	if (curl_url_get(parsed, CURLUPART_URL, &full, 0) != CURLUE_OK)
		cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
out:
	curl_free(path);
	curl_url_cleanup(parsed);
	return full;
}

/* GETs the report: HTTP or HTTPS only, no redirects, bounded size and time. */
static int fetch_report(const struct attestation_args *args, const char *url,
			struct cli_buffer *body, struct ratls_detail *detail)
{
	char error_text[CURL_ERROR_SIZE] = "";
	long timeout = args->service.timeout_seconds > 0 ? args->service.timeout_seconds
							 : FETCH_TIMEOUT_SECONDS;
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode code;
	int rc;

	if (curl == NULL)
		return cli_fail(detail, RATLS_ERR_NO_MEMORY, "cannot create an HTTP request");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)FETCH_CONNECT_TIMEOUT_SECONDS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)RATLS_ATTESTATION_REPORT_MAX_SIZE);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	if (args->service.proxy != NULL)
		curl_easy_setopt(curl, CURLOPT_PROXY, args->service.proxy);
	if (args->service.ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, args->service.ca_file);
	code = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);

	if (code != CURLE_OK)
		rc = cli_fail(detail,
			      code == CURLE_OPERATION_TIMEDOUT ? RATLS_ERR_TIMEOUT : RATLS_ERR_NETWORK,
			      "fetching '%s' failed: %s%s%s", url, curl_easy_strerror(code),
			      error_text[0] != '\0' ? ": " : "", error_text);
	else if (status != 200)
		rc = cli_fail(detail, RATLS_ERR_SERVICE, "'%s' answered HTTP %ld: %.200s", url,
			      status, body->data != NULL ? (const char *)body->data : "");
	else if (body->size == 0)
		rc = cli_fail(detail, RATLS_ERR_SERVICE, "'%s' answered with an empty body", url);
	else
		rc = RATLS_OK;
	return rc;
}

/* Reads the report from the URL or the file. */
static int load_report(const struct attestation_args *args, struct cli_buffer *body,
		       struct ratls_detail *detail)
{
	char *url;
	int rc;

	if (!is_url(args->source))
		return cli_read_file(args->source, RATLS_ATTESTATION_REPORT_MAX_SIZE,
				     "attestation report", body, detail);
	url = report_url(args->source, detail);
	if (url == NULL)
		return detail->code != RATLS_OK ? detail->code : RATLS_ERR_INVALID_ARGUMENT;
	rc = fetch_report(args, url, body, detail);
	curl_free(url);
	return rc;
}

/* ---- collateral ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the report's quote only to find its platform for the collateral service. */
static int report_quote(const struct cli_buffer *body, uint8_t **quote, size_t *quote_size,
			struct ratls_detail *detail)
{
	json_t *root = json_loadb((const char *)body->data, body->size, 0, NULL);
	const char *hex = json_string_value(json_object_get(root, "quote"));
	size_t len = hex != NULL ? strlen(hex) : 0;
	int rc = RATLS_OK;

	*quote = NULL;
	if (len == 0 || len % 2 != 0 || len / 2 > RATLS_QUOTE_MAX_SIZE) {
		rc = cli_fail(detail, RATLS_ERR_MALFORMED, "the report has no hex \"quote\" member");
		goto out;
	}
	*quote = malloc(len / 2);
	if (*quote == NULL) {
		rc = cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < len / 2; i++) {
		int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);

		if (high < 0 || low < 0) {
			rc = cli_fail(detail, RATLS_ERR_MALFORMED, "the report's quote is not hex");
			goto out;
		}
		(*quote)[i] = (uint8_t)(high << 4 | low);
	}
	*quote_size = len / 2;
out:
	if (rc != RATLS_OK) {
		free(*quote);
		*quote = NULL;
	}
	json_decref(root);
	return rc;
}

static int load_collateral(const struct attestation_args *args, const struct cli_buffer *body,
			   const struct cli_buffer *root, struct ratls_collateral **collateral,
			   struct ratls_detail *detail)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_pcs_key key;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc;

	if (args->service.url != NULL) {
		if ((rc = report_quote(body, &quote, &quote_size, detail)) != RATLS_OK)
			return rc;
		rc = ratls_pcs_key_from_quote(quote, quote_size, &key, detail);
		free(quote);
		if (rc != RATLS_OK)
			return rc;
		if ((rc = cli_pcs_provider_new(&args->service, root, &provider, detail)) != RATLS_OK)
			return rc;
		ratls_collateral_free(*collateral);
		*collateral = NULL;
		rc = ratls_pcs_fetch(provider, &key, collateral, detail);
		ratls_pcs_provider_free(provider);
		if (rc != RATLS_OK)
			return rc;
	}
	if (args->bundle_path != NULL)
		return cli_collateral_load(*collateral, CLI_PIECE_BUNDLE, 0, "--collateral",
					   args->bundle_path, detail);
	return RATLS_OK;
}

/* ---- output ---- */

static json_t *postgres_json(const struct ratls_attestation_report_result *r)
{
	json_t *hash = cli_hex_json(r->controldata_hash, sizeof(r->controldata_hash));

	return json_pack("{s:s,s:o,s:s,s:b}", "wal_lsn", r->wal_lsn_text, "controldata_hash",
			 hash, "pg_version", r->pg_version, "pg_version_attested", 0);
}

static int print_json(const struct attestation_args *args, const char *source,
		      const struct cli_verify_result *verify,
		      const struct ratls_attestation_report_result *r, struct ratls_detail *detail)
{
	json_t *root = cli_verify_json(verify);

	if (root != NULL) {
		json_object_set_new(root, "source", json_string(source));
		json_object_set_new(root, "max_skew", json_integer(args->max_skew));
		if (r->timestamp != 0 || r->wal_lsn_text[0] != '\0') {
			json_object_set_new(root, "timestamp", json_integer(r->timestamp));
			json_object_set_new(root, "postgres_state", postgres_json(r));
		}
	}
	return cli_print_json(root, detail);
}

static void print_text(const char *source, const struct cli_verify_result *verify,
		       const struct ratls_attestation_report_result *r)
{
	char when[CLI_TIME_TEXT_SIZE], hash[65];

	printf("Attestation report: %s\n", source);
	if (r->wal_lsn_text[0] != '\0') {
		cli_format_time(r->timestamp, when);
		cli_hex_encode(r->controldata_hash, 32, hash, sizeof(hash));
		printf("  timestamp         %s (%lld s from the verification time)\n", when,
		       (long long)(verify->at - r->timestamp));
		printf("  wal_lsn           %s\n", r->wal_lsn_text);
		printf("  controldata_hash  %s\n", hash);
		printf("  pg_version        %s (not covered by the quote)\n", r->pg_version);
		printf("\n");
	}
	if (verify->report != NULL || verify->evidence != NULL)
		cli_print_verify_text(stdout, verify);
	else if (verify->code == RATLS_OK)
		printf("Verdict: OK\n");
}

/* ---- verification ---- */

static int verify_report(const struct attestation_args *args, const struct ratls_policy *policy)
{
	struct ratls_detail detail = {0}, print_detail = {0};
	struct ratls_dcap_options dcap_options = {0};
	struct ratls_dcap_context *context = NULL;
	struct ratls_verifier verifier;
	struct ratls_attestation_report_options options = {0};
	struct ratls_attestation_report_result result;
	struct cli_evidence_result evidence = {0};
	struct cli_verify_result verify = {.at = args->at, .detail = &detail};
	struct cli_buffer body = {0}, root = {0};
	struct ratls_collateral *collateral = ratls_collateral_new();
	int rc, print_rc;

	memset(&result, 0, sizeof(result));
	verify.failed_step = "fetch";
	if (collateral == NULL) {
		rc = cli_fail(&detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = load_report(args, &body, &detail)) != RATLS_OK)
		goto out;
	verify.failed_step = "collateral";
	if (args->trust_root_path != NULL) {
		if ((rc = cli_load_trust_root(args->trust_root_path, &root, &detail)) != RATLS_OK)
			goto out;
		dcap_options.trust_root_der = root.data;
		dcap_options.trust_root_der_size = root.size;
	}
	if ((rc = load_collateral(args, &body, &root, &collateral, &detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_dcap_context_new(collateral, &dcap_options, &context, &detail)) != RATLS_OK)
		goto out;
	ratls_verifier_init_dcap(&verifier, context);

	options.now = args->at;
	options.max_skew = args->max_skew;
	options.verifier = &verifier;
	options.policy = policy;
	rc = ratls_attestation_report_verify(body.data, body.size, &options, &result, &detail);
	verify.failed_step = result.failed_step;
	if (result.failed_step == NULL || (strcmp(result.failed_step, "parse") != 0 &&
					   strcmp(result.failed_step, "quote") != 0))
		verify.report = &result.report;
	evidence.evidence = result.evidence;
	if (result.replayed) {
		evidence.replay = &result.replay;
		evidence.replay_code = RATLS_OK;
	}
	if (result.evidence != NULL)
		verify.evidence = &evidence;
out:
	verify.code = rc;
	if (args->json)
		print_rc = print_json(args, args->source, &verify, &result, &print_detail);
	else {
		print_text(args->source, &verify, &result);
		print_rc = RATLS_OK;
	}
	if (rc != RATLS_OK)
		fprintf(stderr, "ratls: attestation failed at step %s: %s: %s\n",
			verify.failed_step != NULL ? verify.failed_step : "unknown",
			ratls_error_name(rc), cli_detail_message(&detail, rc));
	if (print_rc != RATLS_OK)
		fprintf(stderr, "ratls: %s\n", cli_detail_message(&print_detail, print_rc));
	ratls_attestation_report_result_clear(&result);
	ratls_dcap_context_free(context);
	ratls_collateral_free(collateral);
	cli_buffer_free(&body);
	cli_buffer_free(&root);
	return rc != RATLS_OK ? cli_exit_status(rc) : cli_exit_status(print_rc);
}

static int run(int argc, char **argv)
{
	struct attestation_args args;
	struct ratls_policy *policy = NULL;
	int status;

	memset(&args, 0, sizeof(args));
	if ((status = parse_args(argc, argv, &args)) >= 0)
		return status;
	if ((status = build_policy(&args, &policy)) >= 0)
		return status;
	warn_weakening_options(&args);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ratls_policy_free(policy);
		fprintf(stderr, "ratls: cannot initialise libcurl\n");
		return cli_exit_status(RATLS_ERR_INTERNAL);
	}
	status = verify_report(&args, policy);
	curl_global_cleanup();
	ratls_policy_free(policy);
	return status;
}

const struct cli_command cli_attestation_command = {
	.group = "attestation",
	.name = "URL",
	.summary = "fetch and verify a PostgreSQL server's attestation report",
	.run = run,
	.print_help = print_help,
};
