/*
 * The simulated platform: one seed's keys, the certificate hierarchy issued
 * once, and the collateral parameters from which TCB info, QE identity and
 * CRLs are issued on demand at any time.
 */
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "sim_internal.h"

struct ratls_sim_platform {
	struct ratls_sim_platform_params params;
	struct ratls_sim_key *attestation_key;
	struct ratls_sim_cert *root_ca;
	struct ratls_sim_cert *platform_ca;
	struct ratls_sim_cert *processor_ca;
	struct ratls_sim_cert *tcb_signing;
	struct ratls_sim_cert *pck;
	char *pck_chain_pem; /* PCK, its issuer, root */
};

/*
 * The range of times X.509 can encode (years 0000 to 9999). Keeping `now`
 * inside it also keeps every date shift far from int64_t overflow.
 */
#define SIM_TIME_MIN (-62167219200LL)
#define SIM_TIME_MAX 253402300799LL

void ratls_sim_platform_defaults(struct ratls_sim_platform_params *params, int64_t now)
{
	memset(params, 0, sizeof(*params));
	params->now = now;
	ratls_sim_cert_defaults(&params->root_ca, RATLS_SIM_CERT_ROOT_CA, now);
	ratls_sim_cert_defaults(&params->platform_ca, RATLS_SIM_CERT_PLATFORM_CA, now);
	ratls_sim_cert_defaults(&params->processor_ca, RATLS_SIM_CERT_PROCESSOR_CA, now);
	ratls_sim_cert_defaults(&params->tcb_signing, RATLS_SIM_CERT_TCB_SIGNING, now);
	ratls_sim_cert_defaults(&params->pck, RATLS_SIM_CERT_PCK, now);
	params->pck_issuer = RATLS_SIM_CERT_PLATFORM_CA;
	ratls_sim_crl_defaults(&params->root_crl, now);
	ratls_sim_crl_defaults(&params->pck_crl, now);
	ratls_sim_tcb_info_defaults(&params->sgx_tcb_info, RATLS_TCB_INFO_SGX, now);
	ratls_sim_tcb_info_defaults(&params->tdx_tcb_info, RATLS_TCB_INFO_TDX, now);
	ratls_sim_qe_identity_defaults(&params->qe_identity, RATLS_QE_IDENTITY_QE, now);
	ratls_sim_qe_identity_defaults(&params->td_qe_identity, RATLS_QE_IDENTITY_TD_QE, now);
}

void ratls_sim_platform_free(struct ratls_sim_platform *platform)
{
	if (platform == NULL)
		return;
	ratls_sim_key_free(platform->attestation_key);
	ratls_sim_cert_free(platform->root_ca);
	ratls_sim_cert_free(platform->platform_ca);
	ratls_sim_cert_free(platform->processor_ca);
	ratls_sim_cert_free(platform->tcb_signing);
	ratls_sim_cert_free(platform->pck);
	free(platform->pck_chain_pem);
	free(platform);
}

/* Derives the key for label and issues a certificate for it. */
static int issue_cert(const uint8_t *seed, size_t seed_size, const char *label,
		      const struct ratls_sim_cert_params *params,
		      const struct ratls_sim_cert *issuer, struct ratls_sim_cert **out,
		      struct ratls_detail *detail)
{
	struct ratls_sim_key *key = NULL;
	int rc;

	if ((rc = ratls_sim_key_derive(seed, seed_size, label, &key, detail)) != RATLS_OK)
		return rc;
	rc = ratls_sim_cert_issue(params, key, issuer, out, detail);
	ratls_sim_key_free(key); /* the certificate keeps its own reference */
	return rc;
}

static int issue_hierarchy(struct ratls_sim_platform *p, const uint8_t *seed, size_t seed_size,
			   struct ratls_detail *detail)
{
	const struct ratls_sim_platform_params *params = &p->params;
	const struct ratls_sim_cert *pck_issuer;
	int rc;

	rc = issue_cert(seed, seed_size, RATLS_SIM_LABEL_ROOT_CA, &params->root_ca, NULL,
			&p->root_ca, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = issue_cert(seed, seed_size, RATLS_SIM_LABEL_PLATFORM_CA, &params->platform_ca,
			p->root_ca, &p->platform_ca, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = issue_cert(seed, seed_size, RATLS_SIM_LABEL_PROCESSOR_CA, &params->processor_ca,
			p->root_ca, &p->processor_ca, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = issue_cert(seed, seed_size, RATLS_SIM_LABEL_TCB_SIGNING, &params->tcb_signing,
			p->root_ca, &p->tcb_signing, detail);
	if (rc != RATLS_OK)
		return rc;
	pck_issuer = params->pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA ? p->processor_ca
								       : p->platform_ca;
	return issue_cert(seed, seed_size, RATLS_SIM_LABEL_PCK, &params->pck, pck_issuer, &p->pck,
			  detail);
}

int ratls_sim_platform_new_with(const uint8_t *seed, size_t seed_size,
				const struct ratls_sim_platform_params *params,
				struct ratls_sim_platform **out, struct ratls_detail *detail)
{
	struct ratls_sim_platform *p = NULL;
	const struct ratls_sim_cert *chain[3];
	int rc = RATLS_ERR_INTERNAL;

	if (params == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params and out must not be NULL");
	if (params->pck_issuer != RATLS_SIM_CERT_PLATFORM_CA &&
	    params->pck_issuer != RATLS_SIM_CERT_PROCESSOR_CA)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "pck_issuer is %d; use RATLS_SIM_CERT_PLATFORM_CA (%d) or "
				  "RATLS_SIM_CERT_PROCESSOR_CA (%d)",
				  (int)params->pck_issuer, RATLS_SIM_CERT_PLATFORM_CA,
				  RATLS_SIM_CERT_PROCESSOR_CA);
	if (params->now < SIM_TIME_MIN || params->now > SIM_TIME_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params.now %lld is outside the years 0000 to 9999",
				  (long long)params->now);

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	p->params = *params;

	rc = ratls_sim_key_derive(seed, seed_size, RATLS_SIM_LABEL_ATTESTATION_KEY,
				  &p->attestation_key, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = issue_hierarchy(p, seed, seed_size, detail)) != RATLS_OK)
		goto out;

	chain[0] = p->pck;
	chain[1] = params->pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA ? p->processor_ca
								      : p->platform_ca;
	chain[2] = p->root_ca;
	if ((rc = ratls_sim_chain_pem(chain, 3, &p->pck_chain_pem, NULL, detail)) != RATLS_OK)
		goto out;

	*out = p;
	p = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	ratls_sim_platform_free(p);
	return rc;
}

int ratls_sim_platform_new(const uint8_t *seed, size_t seed_size, int64_t now,
			   struct ratls_sim_platform **out, struct ratls_detail *detail)
{
	struct ratls_sim_platform_params *params = malloc(sizeof(*params));
	int rc;

	/* The parameters are tens of KiB, so they live on the heap rather than the stack. */
	if (params == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	ratls_sim_platform_defaults(params, now);
	rc = ratls_sim_platform_new_with(seed, seed_size, params, out, detail);
	free(params);
	return rc;
}

const struct ratls_sim_platform_params *
ratls_sim_platform_get_params(const struct ratls_sim_platform *platform)
{
	return platform != NULL ? &platform->params : NULL;
}

const struct ratls_sim_cert *ratls_sim_platform_get_cert(const struct ratls_sim_platform *platform,
							 enum ratls_sim_cert_kind kind)
{
	if (platform == NULL)
		return NULL;
	switch (kind) {
	case RATLS_SIM_CERT_ROOT_CA:
		return platform->root_ca;
	case RATLS_SIM_CERT_PLATFORM_CA:
		return platform->platform_ca;
	case RATLS_SIM_CERT_PROCESSOR_CA:
		return platform->processor_ca;
	case RATLS_SIM_CERT_TCB_SIGNING:
		return platform->tcb_signing;
	case RATLS_SIM_CERT_PCK:
		return platform->pck;
	}
	return NULL;
}

const struct ratls_sim_key *
ratls_sim_platform_attestation_key(const struct ratls_sim_platform *platform)
{
	return platform != NULL ? platform->attestation_key : NULL;
}

int ratls_sim_platform_root_der(const struct ratls_sim_platform *platform, uint8_t **der,
				size_t *der_size, struct ratls_detail *detail)
{
	if (platform == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "platform is NULL");
	return ratls_sim_cert_der(platform->root_ca, der, der_size, detail);
}

int ratls_sim_platform_pck_chain_pem(const struct ratls_sim_platform *platform, char **pem,
				     size_t *pem_len, struct ratls_detail *detail)
{
	size_t len;

	if (platform == NULL || pem == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "platform and pem must not be NULL");
	len = strlen(platform->pck_chain_pem);
	*pem = malloc(len + 1);
	if (*pem == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	memcpy(*pem, platform->pck_chain_pem, len + 1);
	if (pem_len != NULL)
		*pem_len = len;
	return RATLS_OK;
}

/* ---- Quotes ---- */

void ratls_sim_platform_quote_defaults(const struct ratls_sim_platform *platform,
				       enum ratls_sim_quote_format format,
				       struct ratls_sim_quote_params *params)
{
	const struct ratls_pck_info *pck = &platform->params.pck.pck;

	ratls_sim_quote_defaults(params, format);
	memcpy(params->qe_report.cpu_svn, pck->cpu_svn, 16);
	if (format == RATLS_SIM_QUOTE_SGX_V3)
		params->header.pce_svn = pck->pce_svn;
}

int ratls_sim_platform_quote(const struct ratls_sim_platform *platform,
			     const struct ratls_sim_quote_params *params, uint8_t **quote,
			     size_t *quote_size, struct ratls_detail *detail)
{
	struct ratls_sim_quote_params p;

	if (platform == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "platform is NULL");
	if (params != NULL)
		p = *params;
	else
		ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &p);
	if (p.attestation_key == NULL)
		p.attestation_key = platform->attestation_key;
	if (p.qe_report_signer == NULL)
		p.qe_report_signer = platform->pck->key;
	if (p.pck_chain_pem == NULL)
		p.pck_chain_pem = platform->pck_chain_pem;
	return ratls_sim_quote_issue(&p, quote, quote_size, detail);
}

int ratls_sim_platform_td_quote(const struct ratls_sim_platform *platform, const uint8_t mr_td[48],
				const uint8_t rtmr[4][48], const uint8_t report_data[64],
				uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	struct ratls_sim_quote_params p;

	if (platform == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "platform is NULL");
	ratls_sim_platform_quote_defaults(platform, RATLS_SIM_QUOTE_TDX_V4, &p);
	if (mr_td != NULL)
		memcpy(p.td.mr_td, mr_td, 48);
	if (rtmr != NULL)
		memcpy(p.td.rtmr, rtmr, sizeof(p.td.rtmr));
	if (report_data != NULL)
		memcpy(p.td.report_data, report_data, 64);
	return ratls_sim_platform_quote(platform, &p, quote, quote_size, detail);
}

/* ---- Collateral ---- */

/* Returns now - params.now after checking that now is an encodable time. */
static int date_shift(const struct ratls_sim_platform *platform, int64_t now, int64_t *shift,
		      struct ratls_detail *detail)
{
	if (platform == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "platform is NULL");
	if (now < SIM_TIME_MIN || now > SIM_TIME_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "now %lld is outside the years 0000 to 9999", (long long)now);
	*shift = now - platform->params.now;
	return RATLS_OK;
}

static int check_tee(enum ratls_sim_tee tee, struct ratls_detail *detail)
{
	if (tee != RATLS_SIM_TEE_SGX && tee != RATLS_SIM_TEE_TDX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "tee is %d; use RATLS_SIM_TEE_SGX (1) or RATLS_SIM_TEE_TDX (2)",
				  (int)tee);
	return RATLS_OK;
}

int ratls_sim_platform_tcb_info(const struct ratls_sim_platform *platform, enum ratls_sim_tee tee,
				int64_t now, uint8_t **body, size_t *body_size,
				struct ratls_detail *detail)
{
	struct ratls_sim_tcb_info_params *p = NULL;
	int64_t shift = 0;
	int rc;

	if ((rc = date_shift(platform, now, &shift, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_tee(tee, detail)) != RATLS_OK)
		return rc;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	*p = tee == RATLS_SIM_TEE_TDX ? platform->params.tdx_tcb_info
				      : platform->params.sgx_tcb_info;
	p->issue_date += shift;
	p->next_update += shift;
	rc = ratls_sim_tcb_info_issue(p, platform->tcb_signing, body, body_size, detail);
	free(p);
	return rc;
}

int ratls_sim_platform_qe_identity(const struct ratls_sim_platform *platform,
				   enum ratls_sim_tee tee, int64_t now, uint8_t **body,
				   size_t *body_size, struct ratls_detail *detail)
{
	struct ratls_sim_qe_identity_params p;
	int64_t shift = 0;
	int rc;

	if ((rc = date_shift(platform, now, &shift, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_tee(tee, detail)) != RATLS_OK)
		return rc;
	p = tee == RATLS_SIM_TEE_TDX ? platform->params.td_qe_identity
				     : platform->params.qe_identity;
	p.issue_date += shift;
	p.next_update += shift;
	return ratls_sim_qe_identity_issue(&p, platform->tcb_signing, body, body_size, detail);
}

int ratls_sim_platform_crl(const struct ratls_sim_platform *platform, enum ratls_crl_slot slot,
			   int64_t now, uint8_t **der, size_t *der_size,
			   struct ratls_detail *detail)
{
	struct ratls_sim_crl_params p;
	const struct ratls_sim_cert *issuer;
	int64_t shift = 0;
	int rc;

	if ((rc = date_shift(platform, now, &shift, detail)) != RATLS_OK)
		return rc;
	if (slot == RATLS_CRL_ROOT) {
		p = platform->params.root_crl;
		issuer = platform->root_ca;
	} else if (slot == RATLS_CRL_PCK) {
		p = platform->params.pck_crl;
		issuer = platform->params.pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA
				 ? platform->processor_ca
				 : platform->platform_ca;
	} else {
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "CRL slot is %d; use RATLS_CRL_PCK (1) or RATLS_CRL_ROOT (2)",
				  (int)slot);
	}
	p.this_update += shift;
	p.next_update += shift;
	p.revocation_date += shift;
	return ratls_sim_crl_issue(&p, issuer, der, der_size, detail);
}

/* Returns the PEM of the chain behind a PCS issuer chain header: signer, then root. */
static int header_chain_pem(const struct ratls_sim_platform *platform,
			    enum ratls_sim_pcs_header header, char **pem, size_t *pem_len,
			    struct ratls_detail *detail)
{
	const struct ratls_sim_cert *chain[2];

	switch (header) {
	case RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN:
	case RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN:
		chain[0] = platform->tcb_signing;
		break;
	case RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN:
		chain[0] = platform->params.pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA
				   ? platform->processor_ca
				   : platform->platform_ca;
		break;
	default:
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "PCS header %d is not an issuer chain header", (int)header);
	}
	chain[1] = platform->root_ca;
	return ratls_sim_chain_pem(chain, 2, pem, pem_len, detail);
}

int ratls_sim_platform_pcs_header(const struct ratls_sim_platform *platform,
				  enum ratls_sim_pcs_header header, char **value, size_t *value_len,
				  struct ratls_detail *detail)
{
	char *pem = NULL;
	size_t pem_len = 0;
	int rc;

	if (platform == NULL || value == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "platform and value must not be NULL");
	if ((rc = header_chain_pem(platform, header, &pem, &pem_len, detail)) != RATLS_OK)
		return rc;
	rc = ratls_sim_url_encode(pem, pem_len, value, value_len, detail);
	free(pem);
	return rc;
}

/* Sets one issuer chain slot from the PEM behind a PCS header. */
static int set_chain(const struct ratls_sim_platform *platform, struct ratls_collateral *coll,
		     enum ratls_chain_slot slot, enum ratls_sim_pcs_header header,
		     struct ratls_detail *detail)
{
	char *pem = NULL;
	size_t pem_len = 0;
	int rc;

	if ((rc = header_chain_pem(platform, header, &pem, &pem_len, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_chain(coll, slot, (const uint8_t *)pem, pem_len, detail);
	free(pem);
	return rc;
}

static int set_crl(const struct ratls_sim_platform *platform, struct ratls_collateral *coll,
		   enum ratls_crl_slot slot, int64_t now, struct ratls_detail *detail)
{
	uint8_t *der = NULL;
	size_t der_size = 0;
	int rc;

	if ((rc = ratls_sim_platform_crl(platform, slot, now, &der, &der_size, detail)) != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_crl(coll, slot, der, der_size, detail);
	free(der);
	return rc;
}

int ratls_sim_platform_collateral(const struct ratls_sim_platform *platform,
				  enum ratls_sim_tee tee, int64_t now,
				  struct ratls_collateral *collateral, struct ratls_detail *detail)
{
	uint8_t *body = NULL;
	size_t body_size = 0;
	int rc;

	if (platform == NULL || collateral == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "platform and collateral must not be NULL");

	rc = ratls_sim_platform_tcb_info(platform, tee, now, &body, &body_size, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_tcb_info(collateral, body, body_size, detail);
	free(body);
	if (rc != RATLS_OK)
		return rc;

	body = NULL;
	rc = ratls_sim_platform_qe_identity(platform, tee, now, &body, &body_size, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_collateral_set_qe_identity(collateral, body, body_size, detail);
	free(body);
	if (rc != RATLS_OK)
		return rc;

	if ((rc = set_chain(platform, collateral, RATLS_CHAIN_TCB_INFO,
			    RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN, detail)) != RATLS_OK)
		return rc;
	if ((rc = set_chain(platform, collateral, RATLS_CHAIN_QE_IDENTITY,
			    RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN, detail)) != RATLS_OK)
		return rc;
	if ((rc = set_chain(platform, collateral, RATLS_CHAIN_PCK_CRL,
			    RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN, detail)) != RATLS_OK)
		return rc;
	if ((rc = set_crl(platform, collateral, RATLS_CRL_ROOT, now, detail)) != RATLS_OK)
		return rc;
	return set_crl(platform, collateral, RATLS_CRL_PCK, now, detail);
}
