/*
 * The collateral key of a quote: the TEE type, and the FMSPC and issuing CA
 * of its PCK certificate.
 *
 * The certificate is read with the strict DER reader, without OpenSSL and
 * without verifying it, because the key only chooses which collateral to
 * fetch. The DCAP verification that follows checks the whole PCK chain and
 * that the FMSPC matches the TCB info. X.509 layout from RFC 5280 section
 * 4.1.
 */
#include <stdlib.h>
#include <string.h>

#include "base/der.h"
#include "base/encoding.h"
#include "base/fail.h"
#include "pcs_internal.h"
#include "ratls/quote.h"

#define DER_CONTEXT_0 0xa0   /* [0] EXPLICIT version */
#define DER_CONTEXT_3 0xa3   /* [3] EXPLICIT extensions */
#define DER_SET 0x31

/* 1.2.840.113741.1.13.1, Intel's SGX extension of PCK certificates. */
static const uint8_t sgx_extension_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
/* 2.5.4.3, commonName. */
static const uint8_t common_name_oid[] = {0x55, 0x04, 0x03};

/* Maximum common name length (RFC 5280 ub-common-name is 64 characters). */
#define COMMON_NAME_MAX_LEN 64

/* True when the unread bytes of r are exactly bytes[0..size). */
static bool reader_equals(struct ratls_reader r, const uint8_t *bytes, size_t size)
{
	const uint8_t *view = NULL;

	return ratls_reader_remaining(&r) == size && ratls_reader_bytes(&r, size, &view) == RATLS_OK &&
	       memcmp(view, bytes, size) == 0;
}

/*
 * Finds the commonName in a Name (SEQUENCE OF SET OF AttributeTypeAndValue)
 * and copies its string value into cn.
 */
static int read_common_name(struct ratls_reader name, char cn[COMMON_NAME_MAX_LEN + 1],
			    const char *what, struct ratls_detail *detail)
{
	cn[0] = '\0';
	while (ratls_reader_remaining(&name) > 0) {
		struct ratls_reader rdn;

		if (ratls_der_expect(&name, DER_SET, &rdn) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "%s: the issuer name is not a DER SEQUENCE OF SET", what);
		while (ratls_reader_remaining(&rdn) > 0) {
			struct ratls_reader attribute, type, value;
			const uint8_t *view = NULL;
			uint8_t value_tag = 0;
			size_t len;

			if (ratls_der_expect(&rdn, RATLS_DER_SEQUENCE, &attribute) != RATLS_OK ||
			    ratls_der_expect(&attribute, RATLS_DER_OID, &type) != RATLS_OK ||
			    ratls_der_read(&attribute, &value_tag, &value) != RATLS_OK)
				return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
						  "%s: an issuer name attribute is not valid DER",
						  what);
			if (!reader_equals(type, common_name_oid, sizeof(common_name_oid)))
				continue;
			len = ratls_reader_remaining(&value);
			if (len > COMMON_NAME_MAX_LEN || ratls_reader_bytes(&value, len, &view) != RATLS_OK)
				return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
						  "%s: the issuer common name has %zu bytes, more "
						  "than the X.509 limit of %d",
						  what, len, COMMON_NAME_MAX_LEN);
			memcpy(cn, view, len);
			cn[len] = '\0';
		}
	}
	return RATLS_OK;
}

/* Maps an issuer common name onto a CA type, as Intel's PCK CA names spell it. */
static int ca_from_common_name(const char *cn, enum ratls_pcs_ca *ca, const char *what,
			       struct ratls_detail *detail)
{
	if (strstr(cn, "Platform") != NULL) {
		*ca = RATLS_PCS_CA_PLATFORM;
		return RATLS_OK;
	}
	if (strstr(cn, "Processor") != NULL) {
		*ca = RATLS_PCS_CA_PROCESSOR;
		return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
			  "%s: issuer \"%s\" is neither a PCK Platform CA nor a PCK Processor CA, "
			  "so the PCK CRL to fetch is unknown",
			  what, cn);
}

/* Finds the SGX extension in the [3] extensions field and parses its value. */
static int read_sgx_extension(struct ratls_reader extensions, struct ratls_pck_info *info,
			      struct ratls_detail *detail)
{
	struct ratls_reader list, value;
	const uint8_t *view = NULL;
	bool found = false;
	size_t len;

	if (ratls_der_expect(&extensions, RATLS_DER_SEQUENCE, &list) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "PCK certificate: the extensions are not a DER SEQUENCE");
	while (ratls_reader_remaining(&list) > 0) {
		struct ratls_reader extension, oid, field;
		uint8_t tag = 0;

		if (ratls_der_expect(&list, RATLS_DER_SEQUENCE, &extension) != RATLS_OK ||
		    ratls_der_expect(&extension, RATLS_DER_OID, &oid) != RATLS_OK ||
		    ratls_der_read(&extension, &tag, &field) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate: an extension is not valid DER");
		if (!reader_equals(oid, sgx_extension_oid, sizeof(sgx_extension_oid)))
			continue;
		/* The optional critical flag comes before the OCTET STRING value. */
		if (tag == RATLS_DER_BOOLEAN && ratls_der_read(&extension, &tag, &field) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate: the SGX extension has no value");
		if (tag != RATLS_DER_OCTET_STRING || found)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate: the SGX extension is repeated or its "
					  "value is not an OCTET STRING");
		value = field;
		found = true;
	}
	if (!found)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "PCK certificate lacks the SGX extension (OID "
				  "1.2.840.113741.1.13.1), so its FMSPC is unknown");
	len = ratls_reader_remaining(&value);
	if (ratls_reader_bytes(&value, len, &view) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot read the SGX extension value");
	return ratls_pck_info_parse(view, len, info, detail);
}

int ratls_pcs_pck_cert_key(const uint8_t *der, size_t size, struct ratls_pcs_key *key,
			   struct ratls_detail *detail)
{
	enum ratls_pcs_ca ca = RATLS_PCS_CA_PROCESSOR;
	struct ratls_reader r, cert, tbs, field, issuer;
	struct ratls_pck_info info;
	char cn[COMMON_NAME_MAX_LEN + 1];
	uint8_t tag = 0;
	int rc;

	ratls_reader_init(&r, der, size);
	if (ratls_der_expect(&r, RATLS_DER_SEQUENCE, &cert) != RATLS_OK ||
	    ratls_der_expect(&cert, RATLS_DER_SEQUENCE, &tbs) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "PCK certificate is not a DER certificate (%zu bytes)", size);

	/* version (optional), serialNumber, signature, issuer. */
	if (ratls_der_read(&tbs, &tag, &field) != RATLS_OK ||
	    (tag == DER_CONTEXT_0 && ratls_der_expect(&tbs, RATLS_DER_INTEGER, &field) != RATLS_OK) ||
	    (tag != DER_CONTEXT_0 && tag != RATLS_DER_INTEGER) ||
	    ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &field) != RATLS_OK ||
	    ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &issuer) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "PCK certificate: the fields before the issuer are not valid DER");
	if ((rc = read_common_name(issuer, cn, "PCK certificate", detail)) != RATLS_OK)
		return rc;
	/* The key is written only on success, so a failure leaves the caller's key unchanged. */
	if ((rc = ca_from_common_name(cn, &ca, "PCK certificate", detail)) != RATLS_OK)
		return rc;

	/* validity, subject, subjectPublicKeyInfo, then optional unique IDs and extensions. */
	for (int i = 0; i < 3; i++) {
		if (ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &field) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate: the validity, subject or public key "
					  "is not valid DER");
	}
	while (ratls_reader_remaining(&tbs) > 0) {
		if (ratls_der_read(&tbs, &tag, &field) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate: a field after the public key is not "
					  "valid DER");
		if (tag != DER_CONTEXT_3)
			continue;
		if ((rc = read_sgx_extension(field, &info, detail)) != RATLS_OK)
			return rc;
		memcpy(key->fmspc, info.fmspc, sizeof(key->fmspc));
		key->ca = ca;
		return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
			  "PCK certificate has no extensions, so it lacks the SGX extension");
}

int ratls_pcs_crl_issuer_ca(const uint8_t *der, size_t size, enum ratls_pcs_ca *ca,
			    struct ratls_detail *detail)
{
	struct ratls_reader r, crl, tbs, field, issuer;
	char cn[COMMON_NAME_MAX_LEN + 1];
	uint8_t tag = 0;
	int rc;

	/* CertificateList: tbsCertList { version (optional), signature, issuer, ... } (RFC 5280 5.1). */
	ratls_reader_init(&r, der, size);
	if (ratls_der_expect(&r, RATLS_DER_SEQUENCE, &crl) != RATLS_OK ||
	    ratls_der_expect(&crl, RATLS_DER_SEQUENCE, &tbs) != RATLS_OK ||
	    ratls_der_read(&tbs, &tag, &field) != RATLS_OK ||
	    (tag == RATLS_DER_INTEGER && ratls_der_read(&tbs, &tag, &field) != RATLS_OK) ||
	    tag != RATLS_DER_SEQUENCE ||
	    ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &issuer) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_CRL_INVALID,
				  "PCK CRL: the fields up to the issuer are not valid DER");
	if ((rc = read_common_name(issuer, cn, "PCK CRL", detail)) != RATLS_OK)
		return rc;
	return ca_from_common_name(cn, ca, "PCK CRL", detail);
}

/* Returns the offset of the first needle in data[from..size), or size when there is none. */
static size_t find_text(const uint8_t *data, size_t size, size_t from, const char *needle)
{
	size_t len = strlen(needle);

	for (size_t i = from; len <= size && i <= size - len; i++) {
		if (memcmp(data + i, needle, len) == 0)
			return i;
	}
	return size;
}

/* Returns a view of the base64 body of the first CERTIFICATE block of a PEM chain. */
static int first_pem_block(const uint8_t *pem, size_t size, const char **body, size_t *body_len,
			   struct ratls_detail *detail)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	size_t start = find_text(pem, size, 0, begin);
	size_t stop;

	if (start < size)
		start += sizeof(begin) - 1;
	stop = find_text(pem, size, start, end);
	if (start >= size || stop >= size)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "the quote's PCK certificate chain (%zu bytes) has no complete "
				  "PEM CERTIFICATE block",
				  size);
	*body = (const char *)pem + start;
	*body_len = stop - start;
	return RATLS_OK;
}

int ratls_pcs_key_from_quote(const uint8_t *quote, size_t quote_size, struct ratls_pcs_key *key,
			     struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_quote parsed;
	struct ratls_pcs_key found;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;
	const char *body = NULL;
	size_t body_len = 0;
	uint8_t *der = NULL;
	size_t der_size = 0;

	if (quote == NULL || key == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_pcs_key_from_quote: quote and key must not be NULL");
		goto out;
	}
	if ((rc = ratls_quote_parse(quote, quote_size, &parsed, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_quote_pck_chain(&parsed, &pem, &pem_size, detail)) != RATLS_OK)
		goto out;
	if ((rc = first_pem_block(pem, pem_size, &body, &body_len, detail)) != RATLS_OK)
		goto out;
	if (ratls_base64_decode_alloc(body, body_len, &der, &der_size) != RATLS_OK) {
		rc = ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				"the quote's PCK certificate is not valid base64 inside its PEM "
				"block");
		goto out;
	}
	if ((rc = ratls_pcs_pck_cert_key(der, der_size, &found, detail)) != RATLS_OK)
		goto out;

	found.tee = ratls_quote_is_td(&parsed) ? RATLS_PCS_TEE_TDX : RATLS_PCS_TEE_SGX;
	*key = found;
	rc = RATLS_OK;
out:
	free(der);
	return rc;
}
