/*
 * Fetching one collateral set from the PCS v4 API or a PCCS: four GET
 * requests on one libcurl handle, each response decoded by the
 * ratls_collateral_set_* functions.
 *
 * Endpoints (Intel PCS API v4; a PCCS serves the same paths):
 *   TCB info     /{sgx|tdx}/certification/v4/tcb?fmspc=HEX&update=...
 *                issuer chain in TCB-Info-Issuer-Chain (SGX-TCB-Info-Issuer-Chain on v3)
 *   QE identity  /{sgx|tdx}/certification/v4/qe/identity?update=...
 *                issuer chain in SGX-Enclave-Identity-Issuer-Chain
 *   PCK CRL      /sgx/certification/v4/pckcrl?ca=processor|platform, also for TDX;
 *                Intel serves PEM unless encoding=der, a PCCS serves hex text
 *                of the DER unless encoding=der; chain in SGX-PCK-CRL-Issuer-Chain
 *   root CA CRL  Intel: the root certificate's CRL distribution point (DER);
 *                PCCS: /sgx/certification/v4/rootcacrl (hex text of the DER)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "pcs_internal.h"

#define HEADER_TCB_INFO_CHAIN "TCB-Info-Issuer-Chain"
#define HEADER_TCB_INFO_CHAIN_V3 "SGX-TCB-Info-Issuer-Chain"
#define HEADER_QE_IDENTITY_CHAIN "SGX-Enclave-Identity-Issuer-Chain"
#define HEADER_PCK_CRL_CHAIN "SGX-PCK-CRL-Issuer-Chain"

bool ratls_pcs_key_is_valid(const struct ratls_pcs_key *key)
{
	return key != NULL && (key->ca == RATLS_PCS_CA_PROCESSOR || key->ca == RATLS_PCS_CA_PLATFORM) &&
	       (key->tee == RATLS_PCS_TEE_SGX || key->tee == RATLS_PCS_TEE_TDX);
}

void ratls_pcs_key_describe(const struct ratls_pcs_key *key, char *buf, size_t size)
{
	char fmspc[13];

	ratls_hex_encode(key->fmspc, sizeof(key->fmspc), fmspc);
	snprintf(buf, size, "%s FMSPC %s, %s CA", key->tee == RATLS_PCS_TEE_TDX ? "TDX" : "SGX",
		 fmspc, ratls_pcs_ca_name(key->ca));
}

static const char *update_name(enum ratls_pcs_update update)
{
	return update == RATLS_PCS_UPDATE_EARLY ? "early" : "standard";
}

/* Formats a request URL into url; fails when it would not fit. */
static int format_url(char url[RATLS_PCS_REQUEST_URL_SIZE], struct ratls_detail *detail,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int format_url(char url[RATLS_PCS_REQUEST_URL_SIZE], struct ratls_detail *detail,
		      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(url, RATLS_PCS_REQUEST_URL_SIZE, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= RATLS_PCS_REQUEST_URL_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "a request URL would exceed %d characters; shorten the base URL",
				  RATLS_PCS_REQUEST_URL_SIZE - 1);
	return RATLS_OK;
}

/*
 * Records a decoding failure of a response with the request's URL in front,
 * so the message names the service that sent the bad data.
 */
static int fail_response(struct ratls_detail *detail, int rc, const char *url,
			 const struct ratls_detail *cause)
{
	return ratls_fail(detail, rc, "GET %s: %s", url, cause->message);
}

/* Stores the issuer chain header of a response into slot. */
static int set_chain_from_header(struct ratls_collateral *collateral, enum ratls_chain_slot slot,
				 const struct ratls_pcs_request *request,
				 const struct ratls_pcs_response *response,
				 struct ratls_detail *detail)
{
	struct ratls_detail cause = {0};
	int rc;

	if (response->header_value == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "GET %s: the response has no %s header, which carries the issuer "
				  "chain; the service is not a PCS v4 API",
				  request->url, request->header);
	rc = ratls_collateral_set_chain(collateral, slot, (const uint8_t *)response->header_value,
					response->header_value_len, &cause);
	if (rc != RATLS_OK)
		return fail_response(detail, rc, request->url, &cause);
	return RATLS_OK;
}

static int fetch_tcb_info(struct ratls_pcs_provider *provider, CURL *curl,
			  const struct ratls_pcs_key *key, struct ratls_collateral *collateral,
			  struct ratls_detail *detail)
{
	char url[RATLS_PCS_REQUEST_URL_SIZE];
	char fmspc[13];
	struct ratls_pcs_request request = {
		.url = url,
		.body_max = RATLS_PCS_JSON_BODY_MAX_SIZE,
		.header = HEADER_TCB_INFO_CHAIN,
		.header_alias = HEADER_TCB_INFO_CHAIN_V3,
	};
	struct ratls_pcs_response response;
	struct ratls_detail cause = {0};
	int rc;

	/* Upper-case hex, as dcap-qvl's PCS client sends the FMSPC. */
	for (size_t i = 0; i < sizeof(key->fmspc); i++)
		snprintf(fmspc + 2 * i, 3, "%02X", key->fmspc[i]);
	rc = format_url(url, detail, "%s/%s/certification/v4/tcb?fmspc=%s&update=%s",
			provider->base_url, ratls_pcs_tee_name(key->tee), fmspc,
			update_name(provider->update));
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_pcs_http_get(provider, curl, &request, &response, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_tcb_info(collateral, response.body, response.body_size, &cause);
	if (rc != RATLS_OK)
		rc = fail_response(detail, rc, url, &cause);
	else
		rc = set_chain_from_header(collateral, RATLS_CHAIN_TCB_INFO, &request, &response,
					   detail);
	ratls_pcs_response_clear(&response);
	return rc;
}

static int fetch_qe_identity(struct ratls_pcs_provider *provider, CURL *curl,
			     const struct ratls_pcs_key *key, struct ratls_collateral *collateral,
			     struct ratls_detail *detail)
{
	char url[RATLS_PCS_REQUEST_URL_SIZE];
	struct ratls_pcs_request request = {
		.url = url,
		.body_max = RATLS_PCS_JSON_BODY_MAX_SIZE,
		.header = HEADER_QE_IDENTITY_CHAIN,
	};
	struct ratls_pcs_response response;
	struct ratls_detail cause = {0};
	int rc;

	rc = format_url(url, detail, "%s/%s/certification/v4/qe/identity?update=%s",
			provider->base_url, ratls_pcs_tee_name(key->tee),
			update_name(provider->update));
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_pcs_http_get(provider, curl, &request, &response, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_qe_identity(collateral, response.body, response.body_size,
					      &cause);
	if (rc != RATLS_OK)
		rc = fail_response(detail, rc, url, &cause);
	else
		rc = set_chain_from_header(collateral, RATLS_CHAIN_QE_IDENTITY, &request,
					   &response, detail);
	ratls_pcs_response_clear(&response);
	return rc;
}

static int fetch_pck_crl(struct ratls_pcs_provider *provider, CURL *curl,
			 const struct ratls_pcs_key *key, struct ratls_collateral *collateral,
			 struct ratls_detail *detail)
{
	char url[RATLS_PCS_REQUEST_URL_SIZE];
	struct ratls_pcs_request request = {
		.url = url,
		.body_max = RATLS_PCS_CRL_BODY_MAX_SIZE,
		.header = HEADER_PCK_CRL_CHAIN,
	};
	struct ratls_pcs_response response;
	struct ratls_detail cause = {0};
	int rc;

	/*
	 * Intel's PCS gets encoding=der. A PCCS gets no encoding, so that older
	 * ones that ignore the parameter and newer ones alike return hex text.
	 */
	rc = format_url(url, detail, "%s/sgx/certification/v4/pckcrl?ca=%s%s", provider->base_url,
			ratls_pcs_ca_name(key->ca),
			provider->service == RATLS_PCS_SERVICE_INTEL ? "&encoding=der" : "");
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_pcs_http_get(provider, curl, &request, &response, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_crl(collateral, RATLS_CRL_PCK, response.body, response.body_size,
				      &cause);
	if (rc != RATLS_OK)
		rc = fail_response(detail, rc, url, &cause);
	else
		rc = set_chain_from_header(collateral, RATLS_CHAIN_PCK_CRL, &request, &response,
					   detail);
	ratls_pcs_response_clear(&response);
	return rc;
}

static int fetch_root_crl(struct ratls_pcs_provider *provider, CURL *curl,
			  struct ratls_collateral *collateral, struct ratls_detail *detail)
{
	char url[RATLS_PCS_REQUEST_URL_SIZE];
	struct ratls_pcs_request request = {.url = url, .body_max = RATLS_PCS_CRL_BODY_MAX_SIZE};
	struct ratls_pcs_response response;
	struct ratls_detail cause = {0};
	int rc;

	if (provider->service == RATLS_PCS_SERVICE_PCCS)
		rc = format_url(url, detail, "%s/sgx/certification/v4/rootcacrl",
				provider->base_url);
	else
		rc = format_url(url, detail, "%s", provider->root_crl_url);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_pcs_http_get(provider, curl, &request, &response, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_crl(collateral, RATLS_CRL_ROOT, response.body, response.body_size,
				      &cause);
	if (rc != RATLS_OK)
		rc = fail_response(detail, rc, url, &cause);
	ratls_pcs_response_clear(&response);
	return rc;
}

int ratls_pcs_check_answers_key(const struct ratls_collateral *collateral,
				const struct ratls_pcs_key *key, struct ratls_detail *detail)
{
	enum ratls_tcb_info_id want_tcb = key->tee == RATLS_PCS_TEE_TDX ? RATLS_TCB_INFO_TDX
									 : RATLS_TCB_INFO_SGX;
	enum ratls_qe_identity_id want_qe = key->tee == RATLS_PCS_TEE_TDX ? RATLS_QE_IDENTITY_TD_QE
									   : RATLS_QE_IDENTITY_QE;
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_tcb_info *tcb_info = NULL;
	struct ratls_qe_identity *qe_identity = NULL;
	enum ratls_pcs_ca crl_ca = RATLS_PCS_CA_PROCESSOR;
	char seen[13], expected[13];

	rc = ratls_tcb_info_parse(collateral->tcb_info.body, collateral->tcb_info.body_size,
				  &tcb_info, detail);
	if (rc != RATLS_OK)
		goto out;
	if (tcb_info->id != want_tcb || memcmp(tcb_info->fmspc, key->fmspc, 6) != 0) {
		ratls_hex_encode(tcb_info->fmspc, 6, seen);
		ratls_hex_encode(key->fmspc, 6, expected);
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				"the service returned %s TCB info for FMSPC %s in answer to a "
				"request for %s TCB info for FMSPC %s",
				tcb_info->id == RATLS_TCB_INFO_TDX ? "TDX" : "SGX", seen,
				want_tcb == RATLS_TCB_INFO_TDX ? "TDX" : "SGX", expected);
		goto out;
	}

	rc = ratls_qe_identity_parse(collateral->qe_identity.body,
				     collateral->qe_identity.body_size, &qe_identity, detail);
	if (rc != RATLS_OK)
		goto out;
	if (qe_identity->id != want_qe) {
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				"the service returned the QE identity \"%s\" in answer to a request "
				"for \"%s\"",
				qe_identity->id_text, want_qe == RATLS_QE_IDENTITY_TD_QE ? "TD_QE" : "QE");
		goto out;
	}

	rc = ratls_pcs_crl_issuer_ca(collateral->pck_crl, collateral->pck_crl_size, &crl_ca, detail);
	if (rc != RATLS_OK)
		goto out;
	if (crl_ca != key->ca) {
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				"the service returned the PCK CRL of the %s CA in answer to a request "
				"for the %s CA",
				ratls_pcs_ca_name(crl_ca), ratls_pcs_ca_name(key->ca));
		goto out;
	}

	rc = RATLS_OK;
out:
	ratls_tcb_info_free(tcb_info);
	ratls_qe_identity_free(qe_identity);
	return rc;
}

int ratls_pcs_fetch(struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
		    struct ratls_collateral **out, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_collateral *collateral = NULL;
	CURL *curl = NULL;
	char what[64];

	if (provider == NULL || out == NULL || !ratls_pcs_key_is_valid(key)) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_pcs_fetch: provider, out and a key with a known CA and TEE "
				"type are required");
		goto out;
	}
	*out = NULL;
	if ((rc = ratls_pcs_http_init(detail)) != RATLS_OK)
		goto out;
	curl = curl_easy_init();
	collateral = ratls_collateral_new();
	if (curl == NULL || collateral == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory starting a fetch");
		goto out;
	}

	ratls_pcs_key_describe(key, what, sizeof(what));
	ratls_log(RATLS_LOG_INFO, "fetching collateral for %s from %s", what, provider->base_url);
	if ((rc = fetch_tcb_info(provider, curl, key, collateral, detail)) != RATLS_OK)
		goto out;
	if ((rc = fetch_qe_identity(provider, curl, key, collateral, detail)) != RATLS_OK)
		goto out;
	if ((rc = fetch_pck_crl(provider, curl, key, collateral, detail)) != RATLS_OK)
		goto out;
	if ((rc = fetch_root_crl(provider, curl, collateral, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_pcs_check_answers_key(collateral, key, detail)) != RATLS_OK)
		goto out;

	*out = collateral;
	collateral = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	ratls_collateral_free(collateral);
	curl_easy_cleanup(curl);
	return rc;
}

int ratls_pcs_fetch_bundle(struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
			   char **bundle, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_collateral *collateral = NULL;
	struct ratls_dcap_context *ctx = NULL;

	if (bundle == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_pcs_fetch_bundle: bundle must not be NULL");
		goto out;
	}
	*bundle = NULL;
	if ((rc = ratls_pcs_fetch(provider, key, &collateral, detail)) != RATLS_OK)
		goto out;
	/* Checks signatures, chains and CRLs, so that bad collateral is not written out. */
	rc = ratls_dcap_context_new(collateral, &provider->dcap_options, &ctx, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_collateral_write_bundle(collateral, bundle, detail);
out:
	ratls_dcap_context_free(ctx);
	ratls_collateral_free(collateral);
	return rc;
}
