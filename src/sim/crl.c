/*
 * CRLs shaped like Intel's PCK and root CA CRLs: version 2, ECDSA-with-SHA256,
 * a CRL number and an authority key identifier, each revoked entry with
 * reason keyCompromise.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "base/fail.h"
#include "sim_internal.h"

void ratls_sim_crl_defaults(struct ratls_sim_crl_params *params, int64_t now)
{
	memset(params, 0, sizeof(*params));
	params->this_update = now - 3600;
	params->next_update = now + 30 * 86400;
	params->version = 1; /* X509_CRL_VERSION_2 */
	params->crl_number = 1;
	params->authority_key_id = true;
	params->revocation_date = now - 3600;
}

static int set_times(X509_CRL *crl, const struct ratls_sim_crl_params *params,
		     struct ratls_detail *detail)
{
	ASN1_TIME *this_update = NULL, *next_update = NULL;
	int rc;

	if ((rc = ratls_sim_asn1_time(params->this_update, &this_update, "CRL thisUpdate",
				      detail)) != RATLS_OK)
		return rc;
	if (X509_CRL_set1_lastUpdate(crl, this_update) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting thisUpdate");
		goto out;
	}
	if (!params->omit_next_update) {
		if ((rc = ratls_sim_asn1_time(params->next_update, &next_update, "CRL nextUpdate",
					      detail)) != RATLS_OK)
			goto out;
		if (X509_CRL_set1_nextUpdate(crl, next_update) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting nextUpdate");
			goto out;
		}
	}
	rc = RATLS_OK;

out:
	ASN1_TIME_free(this_update);
	ASN1_TIME_free(next_update);
	return rc;
}

static int add_revoked(X509_CRL *crl, const struct ratls_sim_serial *serial,
		       ASN1_TIME *date, struct ratls_detail *detail)
{
	X509_REVOKED *entry = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *number = NULL;
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	int rc = RATLS_ERR_INTERNAL;

	if (serial->size == 0 || serial->size > RATLS_SIM_SERIAL_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"revoked serial is %zu bytes, expected 1 to %d", serial->size,
				RATLS_SIM_SERIAL_MAX_SIZE);
		goto out;
	}
	bn = BN_bin2bn(serial->bytes, (int)serial->size, NULL);
	if (entry == NULL || reason == NULL || bn == NULL ||
	    (number = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_REVOKED_set_serialNumber(entry, number) != 1 ||
	    X509_REVOKED_set_revocationDate(entry, date) != 1 ||
	    ASN1_ENUMERATED_set(reason, 1) != 1 || /* CRLReason keyCompromise */
	    X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, reason, 0, 0) != 1 ||
	    X509_CRL_add0_revoked(crl, entry) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "adding a revoked entry");
		goto out;
	}
	entry = NULL; /* owned by crl */
	rc = RATLS_OK;

out:
	ASN1_ENUMERATED_free(reason);
	ASN1_INTEGER_free(number);
	BN_free(bn);
	X509_REVOKED_free(entry);
	return rc;
}

static int add_extensions(X509_CRL *crl, const struct ratls_sim_crl_params *params,
			  const struct ratls_sim_cert *issuer, struct ratls_detail *detail)
{
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	AUTHORITY_KEYID *akid = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (number == NULL || ASN1_INTEGER_set_uint64(number, params->crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "adding the CRL number");
		goto out;
	}
	if (params->authority_key_id) {
		if ((rc = ratls_sim_authority_key_id(issuer->x509, &akid, detail)) != RATLS_OK)
			goto out;
		if (X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
					     "adding the authority key identifier");
			goto out;
		}
	}
	rc = RATLS_OK;

out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(number);
	return rc;
}

int ratls_sim_crl_issue(const struct ratls_sim_crl_params *params,
			const struct ratls_sim_cert *issuer, uint8_t **der, size_t *der_size,
			struct ratls_detail *detail)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *revocation_date = NULL;
	unsigned char *p = NULL;
	int len;
	int rc = RATLS_ERR_INTERNAL;

	if (params == NULL || issuer == NULL || der == NULL || der_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params, issuer, der and der_size must not be NULL");
	if (params->revoked_count > RATLS_SIM_CRL_REVOKED_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "revoked_count is %zu, at most %d", params->revoked_count,
				  RATLS_SIM_CRL_REVOKED_MAX);
	if (params->version != 0 && params->version != 1)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "CRL version field is %ld, expected 0 (v1) or 1 (v2)",
				  params->version);

	crl = X509_CRL_new();
	if (crl == NULL || X509_CRL_set_version(crl, params->version) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->x509)) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "creating the CRL");
		goto out;
	}
	if ((rc = set_times(crl, params, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_sim_asn1_time(params->revocation_date, &revocation_date, "revocation date",
				      detail)) != RATLS_OK)
		goto out;
	for (size_t i = 0; i < params->revoked_count; i++) {
		if ((rc = add_revoked(crl, &params->revoked[i], revocation_date, detail)) !=
		    RATLS_OK)
			goto out;
	}
	/* Extensions exist only in version 2 CRLs (RFC 5280 section 5.1.2.1). */
	if (params->version == 1 && (rc = add_extensions(crl, params, issuer, detail)) != RATLS_OK)
		goto out;
	if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, issuer->key->pkey, EVP_sha256()) <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "signing the CRL");
		goto out;
	}

	len = i2d_X509_CRL(crl, &p);
	if (len <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "encoding the CRL");
		goto out;
	}
	*der = malloc((size_t)len);
	if (*der == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*der, p, (size_t)len);
	*der_size = (size_t)len;
	rc = RATLS_OK;

out:
	OPENSSL_free(p);
	ASN1_TIME_free(revocation_date);
	X509_CRL_free(crl);
	return rc;
}
