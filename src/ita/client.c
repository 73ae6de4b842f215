/*
 * The ITA client: its configuration, the attestation request, the token
 * check that turns a token into a verified report, and the verifier backend.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/fail.h"
#include "base/log.h"
#include "collateral/pcs_internal.h"
#include "ita_internal.h"

/* The URL check is shared with the PCS client, so both apply the same length limit. */
_Static_assert(RATLS_ITA_URL_MAX_LEN == RATLS_PCS_URL_MAX_LEN, "URL limits differ");

/* Maximum length of the attestation path appended to the base URL. */
#define ATTEST_PATH_MAX_LEN 32
/* The request body around the base64 quote: {"quote":"","token_signing_alg":"PS384"}. */
#define REQUEST_OVERHEAD 64

void ratls_ita_options_init(struct ratls_ita_options *options)
{
	memset(options, 0, sizeof(*options));
	options->region = RATLS_ITA_REGION_US;
	options->api = RATLS_ITA_API_V2;
	options->token_signing_alg = RATLS_ITA_ALG_PS384;
}

static char *copy_string(const char *text)
{
	return text != NULL ? strdup(text) : NULL;
}

/* Copies the optional strings of options; returns false when out of memory. */
static bool copy_optional(const struct ratls_ita_options *options, struct ratls_ita_client *client)
{
	client->proxy = copy_string(options->proxy);
	client->ca_file = copy_string(options->ca_file);
	client->ca_path = copy_string(options->ca_path);
	if (options->jwks_root_der != NULL) {
		client->jwks_root_der = malloc(options->jwks_root_der_size);
		if (client->jwks_root_der != NULL)
			memcpy(client->jwks_root_der, options->jwks_root_der,
			       options->jwks_root_der_size);
		client->jwks_root_der_size = options->jwks_root_der_size;
	}
	return (options->proxy == NULL || client->proxy != NULL) &&
	       (options->ca_file == NULL || client->ca_file != NULL) &&
	       (options->ca_path == NULL || client->ca_path != NULL) &&
	       (options->jwks_root_der == NULL || client->jwks_root_der != NULL);
}

static int check_api_key(const char *key, struct ratls_detail *detail)
{
	size_t len = key != NULL ? strlen(key) : 0;

	if (len == 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "no Intel Trust Authority API key is set; create an attestation API "
				  "key in the Intel Trust Authority portal "
				  "(https://portal.trustauthority.intel.com) and pass it as api_key "
				  "(the ratls tool reads " RATLS_ITA_API_KEY_ENV ")");
	if (len > RATLS_ITA_API_KEY_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the API key has %zu characters, above the limit of %d; check "
				  "that the key file contains only the key",
				  len, RATLS_ITA_API_KEY_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		/* A header value cannot carry control characters; the key's bytes are not shown. */
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "the API key contains a space or a non-printable character "
					  "at position %zu; check that the key file contains only the "
					  "key",
					  i);
	}
	return RATLS_OK;
}

/* Builds base (without trailing '/') + the attestation path. */
static int build_attest_url(const char *base, enum ratls_ita_api api, char **out,
			    struct ratls_detail *detail)
{
	const char *path = api == RATLS_ITA_API_V1 ? "/appraisal/v1/attest" : "/appraisal/v2/attest";
	size_t len = strlen(base);
	char *url;

	while (len > 0 && base[len - 1] == '/')
		len--;
	url = malloc(len + ATTEST_PATH_MAX_LEN + 1);
	if (url == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	memcpy(url, base, len);
	snprintf(url + len, ATTEST_PATH_MAX_LEN + 1, "%s", path);
	*out = url;
	return RATLS_OK;
}

int ratls_ita_client_new(const struct ratls_ita_options *options, struct ratls_ita_client **out,
			 struct ratls_detail *detail)
{
	struct ratls_ita_client *client = NULL;
	bool eu;
	const char *base_url, *jwks_url, *issuer;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || options == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_ita_client_new: options and out are required");
	*out = NULL;
	if ((rc = check_api_key(options->api_key, detail)) != RATLS_OK)
		return rc;
	if (options->token_signing_alg != RATLS_ITA_ALG_PS384 &&
	    options->token_signing_alg != RATLS_ITA_ALG_RS256)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "token_signing_alg %d is not PS384 or RS256",
				  (int)options->token_signing_alg);
	if (options->jwks_root_der != NULL && options->jwks_root_der_size == 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "jwks_root_der is empty");

	eu = options->region == RATLS_ITA_REGION_EU;
	base_url = options->base_url != NULL ? options->base_url
					     : (eu ? RATLS_ITA_EU_URL : RATLS_ITA_US_URL);
	jwks_url = options->jwks_url != NULL ? options->jwks_url
					     : (eu ? RATLS_ITA_EU_JWKS_URL : RATLS_ITA_US_JWKS_URL);
	issuer = options->issuer != NULL ? options->issuer : RATLS_ITA_ISSUER;
	if ((rc = ratls_pcs_check_url(base_url, "the ITA URL", detail)) != RATLS_OK ||
	    (rc = ratls_pcs_check_url(jwks_url, "the ITA JWKS URL", detail)) != RATLS_OK)
		return rc;
	if (issuer[0] == '\0')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "issuer is empty");

	client = calloc(1, sizeof(*client));
	if (client == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	pthread_mutex_init(&client->lock, NULL);
	client->api_key = copy_string(options->api_key);
	client->api_key_len = strlen(options->api_key);
	client->jwks_url = copy_string(jwks_url);
	client->issuer = copy_string(issuer);
	if (client->api_key == NULL || client->jwks_url == NULL || client->issuer == NULL ||
	    !copy_optional(options, client)) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = build_attest_url(base_url, options->api, &client->attest_url, detail)) != RATLS_OK)
		goto out;
	client->default_trust = strcmp(issuer, RATLS_ITA_ISSUER) == 0 &&
				(strcmp(jwks_url, RATLS_ITA_US_JWKS_URL) == 0 ||
				 strcmp(jwks_url, RATLS_ITA_EU_JWKS_URL) == 0);
	client->token_signing_alg = options->token_signing_alg;
	client->jwks_ttl = options->jwks_ttl_seconds > 0 ? options->jwks_ttl_seconds
							 : RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS;
	client->connect_timeout_ms = options->connect_timeout_ms > 0
					     ? options->connect_timeout_ms
					     : RATLS_ITA_DEFAULT_CONNECT_TIMEOUT_MS;
	client->timeout_ms = options->timeout_ms > 0 ? options->timeout_ms
						     : RATLS_ITA_DEFAULT_TIMEOUT_MS;
	client->retry_delay_ms = options->retry_delay_ms > 0 ? options->retry_delay_ms
							     : RATLS_ITA_DEFAULT_RETRY_DELAY_MS;

	*out = client;
	client = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	ratls_ita_client_free(client);
	return rc;
}

void ratls_ita_client_free(struct ratls_ita_client *client)
{
	if (client == NULL)
		return;
	if (client->api_key != NULL)
		OPENSSL_cleanse(client->api_key, client->api_key_len);
	free(client->api_key);
	free(client->attest_url);
	free(client->jwks_url);
	free(client->issuer);
	free(client->jwks_root_der);
	free(client->proxy);
	free(client->ca_file);
	free(client->ca_path);
	ratls_ita_jwks_clear(&client->jwks);
	pthread_mutex_destroy(&client->lock);
	free(client);
}

void ratls_ita_client_stats(struct ratls_ita_client *client, struct ratls_ita_stats *stats)
{
	stats->attest_requests = atomic_load(&client->attest_requests);
	stats->retries = atomic_load(&client->retries);
	stats->jwks_fetches = atomic_load(&client->jwks_fetches);
	stats->jwks_cache_hits = atomic_load(&client->jwks_cache_hits);
}

/* Builds {"quote":BASE64,"token_signing_alg":ALG} into *out (free with free()). */
static int build_request(const struct ratls_ita_client *client, const uint8_t *quote,
			 size_t quote_size, char **out, struct ratls_detail *detail)
{
	size_t encoded_size = 4 * ((quote_size + 2) / 3) + 1;
	unsigned char *encoded = NULL;
	json_t *body = NULL;
	int rc = RATLS_ERR_INTERNAL;

	*out = NULL;
	if (encoded_size + REQUEST_OVERHEAD > RATLS_ITA_REQUEST_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"a %zu-byte quote makes a request above ITA's limit of %d bytes",
				quote_size, RATLS_ITA_REQUEST_MAX_SIZE);
		goto out;
	}
	encoded = malloc(encoded_size);
	if (encoded == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	/* The quote is at most RATLS_QUOTE_MAX_SIZE bytes, so its size fits an int. */
	EVP_EncodeBlock(encoded, quote, (int)quote_size);
	body = json_pack("{s:s, s:s}", "quote", (const char *)encoded, "token_signing_alg",
			 ratls_ita_alg_name(client->token_signing_alg));
	*out = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (*out == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building the request");
		goto out;
	}
	rc = RATLS_OK;
out:
	json_decref(body);
	free(encoded);
	return rc;
}

/* Takes the token out of the response body {"token":"..."}. */
static int read_token(const struct ratls_ita_response *response, const char *url, char **token,
		      size_t *token_len, struct ratls_detail *detail)
{
	json_error_t error;
	json_t *doc = json_loadb((const char *)response->body, response->body_size,
				 JSON_REJECT_DUPLICATES, &error);
	const json_t *value = json_object_get(doc, "token");
	int rc = RATLS_ERR_INTERNAL;

	if (doc == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the response of %s is not JSON: %s at position %d; check the ITA URL",
				url, error.text, error.position);
		goto out;
	}
	if (!json_is_string(value) || json_string_length(value) == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the response of %s has no \"token\" string; check the ITA URL", url);
		goto out;
	}
	*token = strdup(json_string_value(value));
	if (*token == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	*token_len = json_string_length(value);
	rc = RATLS_OK;
out:
	json_decref(doc);
	return rc;
}

int ratls_ita_attest(struct ratls_ita_client *client, const uint8_t *quote, size_t quote_size,
		     char **token, size_t *token_len, struct ratls_detail *detail)
{
	struct ratls_ita_response response = {0};
	char *request = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (client == NULL || quote == NULL || token == NULL || token_len == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_ita_attest: client, quote, token and token_len are required");
	*token = NULL;
	*token_len = 0;
	if ((rc = build_request(client, quote, quote_size, &request, detail)) != RATLS_OK)
		goto out;
	rc = ratls_ita_http_request(client, client->attest_url, request,
				    RATLS_ITA_RESPONSE_MAX_SIZE, &response, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = read_token(&response, client->attest_url, token, token_len, detail);
out:
	ratls_ita_response_clear(&response);
	free(request);
	return rc;
}

/* Checks the token's header and signature with the key its kid names in the JWKS. */
static int check_signature(struct ratls_ita_client *client, const struct ratls_ita_jwt *jwt,
			   int64_t now, struct ratls_detail *detail)
{
	EVP_PKEY *key = NULL;
	int rc;

	if ((rc = ratls_ita_jwks_get_key(client, jwt->kid, now, &key, detail)) != RATLS_OK)
		return rc;
	rc = ratls_ita_jwt_verify_signature(jwt, key, detail);
	EVP_PKEY_free(key);
	return rc;
}

int ratls_ita_verify_token(struct ratls_ita_client *client, const char *token, size_t token_len,
			   const uint8_t *quote, size_t quote_size, int64_t now,
			   struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_ita_jwt jwt = {0};
	struct ratls_quote parsed;
	int64_t valid_from = 0, valid_until = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (client == NULL || token == NULL || quote == NULL || report == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_ita_verify_token: client, token, quote and report are "
				  "required");
	if ((rc = ratls_quote_parse(quote, quote_size, &parsed, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_ita_jwt_parse(token, token_len, &jwt, detail)) != RATLS_OK)
		goto out;
	/* Nothing in the claims is read before the signature is known to be ITA's. */
	if ((rc = check_signature(client, &jwt, now, detail)) != RATLS_OK)
		goto out;
	rc = ratls_ita_claims_check_time(jwt.claims, client->issuer, now, &valid_from,
					 &valid_until, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = ratls_ita_claims_to_report(jwt.claims, &parsed, report, detail)) != RATLS_OK)
		goto out;

	report->valid_from = valid_from;
	report->valid_until = valid_until;
	snprintf(report->valid_until_source, sizeof(report->valid_until_source),
		 "ITA token exp");
	report->custom_root = !client->default_trust;
	if (report->custom_root)
		ratls_log(RATLS_LOG_WARNING,
			  "ITA token accepted with keys from %s and issuer \"%s\" instead of "
			  "Intel's; use this only with a test service",
			  client->jwks_url, client->issuer);
	if (report->status == RATLS_TCB_REVOKED) {
		rc = ratls_fail(detail, RATLS_ERR_TCB_REVOKED,
				"ITA reports the platform's TCB as Revoked (attester_tcb_status)");
		goto out;
	}
	rc = RATLS_OK;
out:
	ratls_ita_jwt_clear(&jwt);
	return rc;
}

int ratls_ita_verify_quote(struct ratls_ita_client *client, const uint8_t *quote,
			   size_t quote_size, int64_t now, struct ratls_verified_report *report,
			   struct ratls_detail *detail)
{
	char *token = NULL;
	size_t token_len = 0;
	int rc;

	if ((rc = ratls_ita_attest(client, quote, quote_size, &token, &token_len, detail)) !=
	    RATLS_OK)
		return rc;
	rc = ratls_ita_verify_token(client, token, token_len, quote, quote_size, now, report,
				    detail);
	free(token);
	return rc;
}

static int ita_verify_quote(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			    struct ratls_verified_report *report, struct ratls_detail *detail)
{
	return ratls_ita_verify_quote(arg, quote, quote_size, now, report, detail);
}

void ratls_verifier_init_ita(struct ratls_verifier *verifier, struct ratls_ita_client *client)
{
	verifier->name = "ita";
	verifier->verify_quote = ita_verify_quote;
	verifier->arg = client;
}
