/*
 * The collateral set: loading and writing dcap-qvl style bundles, and setting
 * each piece from the forms Intel's PCS and a PCCS serve. Every setter checks
 * its input fully (the JSON documents parse as TCB info or QE identity, CRLs
 * parse as CRLs, chains contain parseable certificates) and changes nothing
 * when it fails.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "json_field.h"

static const char pem_certificate_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_crl_begin[] = "-----BEGIN X509 CRL-----";

/*
 * Text forms of a CRL or chain expand it: hex doubles a CRL and adds
 * whitespace, and URL encoding can triple a chain. Inputs above this many
 * times the decoded limit are rejected before any decoding.
 */
#define TEXT_EXPANSION_MAX 3

/* Bundle member names, as dcap-qvl's QuoteCollateralV3 serialises them. */
#define KEY_PCK_CRL_CHAIN "pck_crl_issuer_chain"
#define KEY_ROOT_CRL "root_ca_crl"
#define KEY_PCK_CRL "pck_crl"
#define KEY_TCB_INFO_CHAIN "tcb_info_issuer_chain"
#define KEY_TCB_INFO "tcb_info"
#define KEY_TCB_INFO_SIGNATURE "tcb_info_signature"
#define KEY_QE_IDENTITY_CHAIN "qe_identity_issuer_chain"
#define KEY_QE_IDENTITY "qe_identity"
#define KEY_QE_IDENTITY_SIGNATURE "qe_identity_signature"
#define KEY_PCK_CHAIN "pck_certificate_chain"

struct ratls_collateral *ratls_collateral_new(void)
{
	return calloc(1, sizeof(struct ratls_collateral));
}

static void collateral_clear(struct ratls_collateral *c)
{
	free(c->tcb_info.body);
	free(c->tcb_info_chain);
	free(c->qe_identity.body);
	free(c->qe_identity_chain);
	free(c->pck_crl);
	free(c->pck_crl_chain);
	free(c->root_crl);
	free(c->pck_chain);
	memset(c, 0, sizeof(*c));
}

void ratls_collateral_free(struct ratls_collateral *collateral)
{
	if (collateral == NULL)
		return;
	collateral_clear(collateral);
	free(collateral);
}

/* Returns the first occurrence of needle in data, or NULL. */
static const uint8_t *find_text(const uint8_t *data, size_t size, const char *needle)
{
	size_t needle_len = strlen(needle);

	for (size_t i = 0; needle_len <= size && i <= size - needle_len; i++) {
		if (data[i] == (uint8_t)needle[0] && memcmp(data + i, needle, needle_len) == 0)
			return data + i;
	}
	return NULL;
}

static bool contains(const uint8_t *data, size_t size, const char *needle)
{
	return find_text(data, size, needle) != NULL;
}

static size_t count_occurrences(const uint8_t *data, size_t size, const char *needle)
{
	size_t needle_len = strlen(needle);
	size_t count = 0;
	size_t offset = 0;
	const uint8_t *hit;

	while ((hit = find_text(data + offset, size - offset, needle)) != NULL) {
		count++;
		offset = (size_t)(hit - data) + needle_len;
	}
	return count;
}

/*
 * Password callback for OpenSSL's PEM readers that supplies no password.
 * Without a callback, OpenSSL prompts on the terminal for a block with an
 * "ENCRYPTED" header. Collateral is never encrypted, so such a block fails.
 */
static int no_password(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* Checks that every certificate block of a PEM chain parses, and that there is one at least. */
static int check_chain_certificates(const char *pem, size_t len, const char *label,
				    struct ratls_detail *detail)
{
	size_t blocks = count_occurrences((const uint8_t *)pem, len, pem_certificate_begin);
	size_t parsed = 0;
	BIO *bio = NULL;
	X509 *cert;
	int rc = RATLS_ERR_INTERNAL;

	if (blocks == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"%s contains no \"%s\" block; expected PEM certificates", label,
				pem_certificate_begin);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
		X509_free(cert);
		parsed++;
	}
	if (parsed != blocks) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				     "%s: certificate %zu of %zu does not parse", label, parsed + 1,
				     blocks);
		goto out;
	}

	rc = RATLS_OK;
out:
	ERR_clear_error(); /* the read that ends the loop always leaves "no start line" */
	BIO_free(bio);
	return rc;
}

/*
 * Decodes an issuer chain given as PEM text or as URL-encoded PEM (PCS
 * headers such as TCB-Info-Issuer-Chain encode it so). *out is a new
 * NUL-terminated string.
 */
static int decode_chain(const uint8_t *text, size_t size, const char *label, char **out,
			struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	char *pem = NULL;
	size_t len = 0;

	*out = NULL;
	if (size == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"%s is empty; expected PEM certificates", label);
		goto out;
	}
	if (size > (size_t)TEXT_EXPANSION_MAX * RATLS_CHAIN_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"%s is %zu bytes, more than the limit of %d bytes", label, size,
				TEXT_EXPANSION_MAX * RATLS_CHAIN_MAX_SIZE);
		goto out;
	}

	if (!contains(text, size, pem_certificate_begin) && memchr(text, '%', size) != NULL) {
		rc = ratls_url_decode_alloc((const char *)text, size, &pem, &len);
		if (rc == RATLS_ERR_NO_MEMORY) {
			rc = ratls_fail(detail, rc, "out of memory");
			goto out;
		}
		if (rc != RATLS_OK) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"%s has an invalid percent escape; expected PEM text or "
					"URL-encoded PEM",
					label);
			goto out;
		}
		ratls_log(RATLS_LOG_DEBUG, "%s was URL-encoded (%zu bytes decoded to %zu)", label,
			  size, len);
	} else {
		pem = malloc(size + 1);
		if (pem == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
		memcpy(pem, text, size);
		pem[size] = '\0';
		len = size;
	}

	if (len > RATLS_CHAIN_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"%s is %zu bytes of PEM, more than the limit of %d bytes", label, len,
				RATLS_CHAIN_MAX_SIZE);
		goto out;
	}
	/* PEM is ASCII (RFC 7468); this also keeps a NUL out of the C string. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pem[i];

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"%s has byte 0x%02x at offset %zu; expected ASCII PEM text",
					label, c, i);
			goto out;
		}
	}
	if ((rc = check_chain_certificates(pem, len, label, detail)) != RATLS_OK)
		goto out;

	*out = pem;
	pem = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	free(pem);
	return rc;
}

/* Checks that der parses as one X.509 CRL (with d2i_X509_CRL) and has no trailing bytes. */
static int check_crl_der(const uint8_t *der, size_t size, const char *label,
			 struct ratls_detail *detail)
{
	const unsigned char *p = der;
	X509_CRL *crl;

	if (size > RATLS_CRL_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu bytes of DER, more than the limit of %d bytes", label,
				  size, RATLS_CRL_MAX_SIZE);
	crl = d2i_X509_CRL(NULL, &p, (long)size);
	if (crl == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				       "%s (%zu bytes) does not parse as a DER X.509 CRL", label,
				       size);
	X509_CRL_free(crl);
	if (p != der + size)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s has %zu bytes after the DER CRL; remove them", label,
				  size - (size_t)(p - der));
	return RATLS_OK;
}

/* Extracts the DER bytes of the single "X509 CRL" block of PEM text. */
static int decode_crl_pem(const uint8_t *data, size_t size, const char *label, uint8_t **der,
			  size_t *der_size, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	size_t blocks = count_occurrences(data, size, pem_crl_begin);
	BIO *bio = NULL;
	unsigned char *body = NULL;
	long body_len = 0;
	char *name = NULL;

	if (blocks != 1) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"%s contains %zu PEM CRL blocks, expected one", label, blocks);
		goto out;
	}
	bio = BIO_new_mem_buf(data, (int)size);
	if (bio == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if (PEM_bytes_read_bio(&body, &body_len, &name, PEM_STRING_X509_CRL, bio, no_password,
			       NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				     "%s: the PEM CRL block does not decode", label);
		goto out;
	}

	*der = malloc(body_len > 0 ? (size_t)body_len : 1);
	if (*der == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*der, body, (size_t)body_len);
	*der_size = (size_t)body_len;
	rc = RATLS_OK;
out:
	OPENSSL_free(body);
	OPENSSL_free(name);
	BIO_free(bio);
	return rc;
}

/*
 * Decodes a CRL given as PEM, as hex text of DER (a PCCS serves the root CA
 * CRL so) or as DER, in that order of detection: DER always has bytes that
 * are neither hex digits nor whitespace. *der is a new buffer.
 */
static int decode_crl(const uint8_t *data, size_t size, const char *label, uint8_t **der,
		      size_t *der_size, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	uint8_t *buf = NULL;
	size_t buf_size = 0;
	const char *form;

	*der = NULL;
	*der_size = 0;
	if (size == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"%s is empty; expected a CRL as DER, PEM or hex", label);
		goto out;
	}
	if (size > (size_t)TEXT_EXPANSION_MAX * RATLS_CRL_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"%s is %zu bytes, more than the limit of %d bytes", label, size,
				TEXT_EXPANSION_MAX * RATLS_CRL_MAX_SIZE);
		goto out;
	}

	if (contains(data, size, "-----BEGIN")) {
		form = "PEM";
		if ((rc = decode_crl_pem(data, size, label, &buf, &buf_size, detail)) != RATLS_OK)
			goto out;
	} else if (ratls_looks_like_hex(data, size)) {
		form = "hex";
		rc = ratls_hex_decode_alloc((const char *)data, size, &buf, &buf_size);
		if (rc != RATLS_OK) {
			rc = ratls_fail(detail, rc, "%s: decoding hex text failed", label);
			goto out;
		}
	} else {
		form = "DER";
		buf = malloc(size);
		if (buf == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
		memcpy(buf, data, size);
		buf_size = size;
	}

	if ((rc = check_crl_der(buf, buf_size, label, detail)) != RATLS_OK)
		goto out;
	ratls_log(RATLS_LOG_DEBUG, "%s read as %s, %zu bytes of DER", label, form, buf_size);

	*der = buf;
	*der_size = buf_size;
	buf = NULL; /* ownership moved to *der */
	rc = RATLS_OK;
out:
	free(buf);
	return rc;
}

enum signed_kind { SIGNED_TCB_INFO, SIGNED_QE_IDENTITY };

/* Checks that json parses as the document kind names. */
static int check_signed_json(enum signed_kind kind, const uint8_t *json, size_t size,
			     struct ratls_detail *detail)
{
	int rc;

	if (kind == SIGNED_TCB_INFO) {
		struct ratls_tcb_info *info = NULL;

		rc = ratls_tcb_info_parse(json, size, &info, detail);
		ratls_tcb_info_free(info);
	} else {
		struct ratls_qe_identity *identity = NULL;

		rc = ratls_qe_identity_parse(json, size, &identity, detail);
		ratls_qe_identity_free(identity);
	}
	return rc;
}

static int copy_body(const uint8_t *data, size_t size, struct ratls_signed_json *out,
		     struct ratls_detail *detail)
{
	out->body = malloc(size > 0 ? size : 1);
	if (out->body == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	memcpy(out->body, data, size);
	out->body_size = size;
	return RATLS_OK;
}

/*
 * Reads a PCS response body {"<member>":{...},"signature":"<hex>"} into out:
 * the exact bytes of the member's value and the raw signature.
 */
static int decode_signed_body(enum signed_kind kind, const uint8_t *body, size_t size,
			      struct ratls_signed_json *out, struct ratls_detail *detail)
{
	const char *member = kind == SIGNED_TCB_INFO ? "tcbInfo" : "enclaveIdentity";
	const char *label = kind == SIGNED_TCB_INFO ? "TCB info response body"
						   : "QE identity response body";
	int rc = RATLS_ERR_INTERNAL;
	json_t *root = NULL;
	json_t *value = NULL;
	const uint8_t *raw = NULL;
	size_t raw_size = 0;

	memset(out, 0, sizeof(*out));
	rc = ratls_json_load_object(body, size, RATLS_COLLATERAL_JSON_MAX_SIZE, label, &root, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_json_get_member(root, label, member, JSON_OBJECT, true, &value, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_json_get_hex(root, label, "signature", out->signature, sizeof(out->signature),
				detail);
	if (rc != RATLS_OK)
		goto out;

	/* The signature covers the member's bytes as served, so take them from the input. */
	if ((rc = ratls_json_member_raw(body, size, member, &raw, &raw_size, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_signed_json(kind, raw, raw_size, detail)) != RATLS_OK)
		goto out;
	if ((rc = copy_body(raw, raw_size, out, detail)) != RATLS_OK)
		goto out;

	rc = RATLS_OK;
out:
	json_decref(root);
	return rc;
}

int ratls_collateral_set_tcb_info(struct ratls_collateral *collateral, const uint8_t *body,
				  size_t size, struct ratls_detail *detail)
{
	struct ratls_signed_json next;
	int rc;

	if (collateral == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_tcb_info: collateral must not be NULL");
	rc = decode_signed_body(SIGNED_TCB_INFO, body, size, &next, detail);
	if (rc != RATLS_OK)
		return rc;
	free(collateral->tcb_info.body);
	collateral->tcb_info = next;
	return RATLS_OK;
}

int ratls_collateral_set_qe_identity(struct ratls_collateral *collateral, const uint8_t *body,
				     size_t size, struct ratls_detail *detail)
{
	struct ratls_signed_json next;
	int rc;

	if (collateral == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_qe_identity: collateral must not be NULL");
	rc = decode_signed_body(SIGNED_QE_IDENTITY, body, size, &next, detail);
	if (rc != RATLS_OK)
		return rc;
	free(collateral->qe_identity.body);
	collateral->qe_identity = next;
	return RATLS_OK;
}

static char **chain_slot(struct ratls_collateral *c, enum ratls_chain_slot slot,
			 const char **label)
{
	switch (slot) {
	case RATLS_CHAIN_TCB_INFO:
		*label = "TCB info issuer chain";
		return &c->tcb_info_chain;
	case RATLS_CHAIN_QE_IDENTITY:
		*label = "QE identity issuer chain";
		return &c->qe_identity_chain;
	case RATLS_CHAIN_PCK_CRL:
		*label = "PCK CRL issuer chain";
		return &c->pck_crl_chain;
	case RATLS_CHAIN_PCK:
		*label = "PCK certificate chain";
		return &c->pck_chain;
	}
	return NULL;
}

int ratls_collateral_set_chain(struct ratls_collateral *collateral, enum ratls_chain_slot slot,
			       const uint8_t *text, size_t size, struct ratls_detail *detail)
{
	const char *label = NULL;
	char **target;
	char *pem = NULL;
	int rc;

	if (collateral == NULL || (text == NULL && size > 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_chain: collateral and text must not be "
				  "NULL");
	target = chain_slot(collateral, slot, &label);
	if (target == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_chain: chain slot %d is not one of "
				  "RATLS_CHAIN_TCB_INFO, _QE_IDENTITY, _PCK_CRL or _PCK",
				  (int)slot);

	if ((rc = decode_chain(text, size, label, &pem, detail)) != RATLS_OK)
		return rc;
	free(*target);
	*target = pem;
	return RATLS_OK;
}

int ratls_collateral_set_crl(struct ratls_collateral *collateral, enum ratls_crl_slot slot,
			     const uint8_t *data, size_t size, struct ratls_detail *detail)
{
	const char *label;
	uint8_t *der = NULL;
	size_t der_size = 0;
	int rc;

	if (collateral == NULL || (data == NULL && size > 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_crl: collateral and data must not be NULL");
	if (slot == RATLS_CRL_PCK)
		label = "PCK CRL";
	else if (slot == RATLS_CRL_ROOT)
		label = "root CA CRL";
	else
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_set_crl: CRL slot %d is not RATLS_CRL_PCK or "
				  "RATLS_CRL_ROOT",
				  (int)slot);

	if ((rc = decode_crl(data, size, label, &der, &der_size, detail)) != RATLS_OK)
		return rc;
	if (slot == RATLS_CRL_PCK) {
		free(collateral->pck_crl);
		collateral->pck_crl = der;
		collateral->pck_crl_size = der_size;
	} else {
		free(collateral->root_crl);
		collateral->root_crl = der;
		collateral->root_crl_size = der_size;
	}
	return RATLS_OK;
}

/*
 * Reads a bundle byte field: a hex string (either case, no prefix or
 * whitespace) or an array of numbers from 0 to 255. *out is a new buffer of
 * exactly exact_size bytes when that is not 0, else of at most max_size.
 */
static int get_bundle_bytes(const json_t *root, const char *key, size_t exact_size,
			    size_t max_size, uint8_t **out, size_t *out_size,
			    struct ratls_detail *detail)
{
	static const char hex_digits[] = "0123456789abcdefABCDEF";
	int rc = RATLS_ERR_INTERNAL;
	json_t *value = json_object_get(root, key);
	const char *text = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;

	*out = NULL;
	*out_size = 0;
	if (value == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"bundle.%s is missing; add the required member", key);
		goto out;
	}
	if (json_is_string(value)) {
		size_t len = json_string_length(value);

		text = json_string_value(value);
		if (len % 2 != 0 || strspn(text, hex_digits) != len) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"bundle.%s is not an even number of hex digits (%zu "
					"characters, the first non-hex one at offset %zu)",
					key, len, strspn(text, hex_digits));
			goto out;
		}
		n = len / 2;
	} else if (json_is_array(value)) {
		n = json_array_size(value);
	} else {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"bundle.%s is neither a hex string nor an array of byte values",
				key);
		goto out;
	}

	if (exact_size != 0 && n != exact_size) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED, "bundle.%s has %zu bytes, expected %zu",
				key, n, exact_size);
		goto out;
	}
	if (n > max_size) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"bundle.%s has %zu bytes, more than the limit of %zu", key, n,
				max_size);
		goto out;
	}
	buf = malloc(n > 0 ? n : 1);
	if (buf == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}

	if (text != NULL) {
		if (ratls_hex_decode_fixed(text, 2 * n, buf, n) != RATLS_OK) {
			rc = ratls_fail(detail, RATLS_ERR_INTERNAL,
					"bundle.%s: hex decoding failed after checking", key);
			goto out;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			json_t *element = json_array_get(value, i);
			json_int_t v = json_is_integer(element) ? json_integer_value(element) : -1;

			if (v < 0 || v > 255) {
				rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
						"bundle.%s[%zu] is not an integer from 0 to 255",
						key, i);
				goto out;
			}
			buf[i] = (uint8_t)v;
		}
	}

	*out = buf;
	*out_size = n;
	buf = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	free(buf);
	return rc;
}

static int get_bundle_signature(const json_t *root, const char *key, uint8_t signature[64],
				struct ratls_detail *detail)
{
	uint8_t *bytes = NULL;
	size_t size = 0;
	int rc = get_bundle_bytes(root, key, 64, 64, &bytes, &size, detail);

	if (rc == RATLS_OK)
		memcpy(signature, bytes, 64);
	free(bytes);
	return rc;
}

static int get_bundle_crl(const json_t *root, const char *key, uint8_t **der, size_t *der_size,
			  struct ratls_detail *detail)
{
	char label[RATLS_JSON_PATH_SIZE];
	int rc = get_bundle_bytes(root, key, 0, RATLS_CRL_MAX_SIZE, der, der_size, detail);

	if (rc != RATLS_OK)
		return rc;
	ratls_json_path_member(label, "bundle", key);
	rc = check_crl_der(*der, *der_size, label, detail);
	if (rc != RATLS_OK) {
		free(*der);
		*der = NULL;
		*der_size = 0;
	}
	return rc;
}

static int get_bundle_chain(const json_t *root, const char *key, bool required, char **out,
			    struct ratls_detail *detail)
{
	char label[RATLS_JSON_PATH_SIZE];
	json_t *value = json_object_get(root, key);

	*out = NULL;
	if (value == NULL || (!required && json_is_null(value))) {
		if (!required)
			return RATLS_OK;
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "bundle.%s is missing; add the required member", key);
	}
	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "bundle.%s is not a string; expected PEM text", key);

	ratls_json_path_member(label, "bundle", key);
	return decode_chain((const uint8_t *)json_string_value(value), json_string_length(value),
			    label, out, detail);
}

/* Reads a bundle JSON text member (tcb_info, qe_identity) and checks that it parses. */
static int get_bundle_document(const json_t *root, const char *key, enum signed_kind kind,
			       struct ratls_signed_json *out, struct ratls_detail *detail)
{
	json_t *value = json_object_get(root, key);
	const uint8_t *text;
	size_t len;
	int rc;

	if (value == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "bundle.%s is missing; add the required member", key);
	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "bundle.%s is not a string; expected the JSON text of the %s "
				  "object as a string",
				  key, kind == SIGNED_TCB_INFO ? "tcbInfo" : "enclaveIdentity");

	/* The decoded string bytes are the bytes Intel signed. */
	text = (const uint8_t *)json_string_value(value);
	len = json_string_length(value);
	if ((rc = check_signed_json(kind, text, len, detail)) != RATLS_OK)
		return rc;
	return copy_body(text, len, out, detail);
}

static int read_bundle(const json_t *root, struct ratls_collateral *next,
		       struct ratls_detail *detail)
{
	int rc;

	if ((rc = get_bundle_chain(root, KEY_PCK_CRL_CHAIN, true, &next->pck_crl_chain, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = get_bundle_crl(root, KEY_ROOT_CRL, &next->root_crl, &next->root_crl_size,
				 detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_crl(root, KEY_PCK_CRL, &next->pck_crl, &next->pck_crl_size,
				 detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_chain(root, KEY_TCB_INFO_CHAIN, true, &next->tcb_info_chain,
				   detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_document(root, KEY_TCB_INFO, SIGNED_TCB_INFO, &next->tcb_info,
				      detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_signature(root, KEY_TCB_INFO_SIGNATURE, next->tcb_info.signature,
				       detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_chain(root, KEY_QE_IDENTITY_CHAIN, true, &next->qe_identity_chain,
				   detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_document(root, KEY_QE_IDENTITY, SIGNED_QE_IDENTITY,
				      &next->qe_identity, detail)) != RATLS_OK)
		return rc;
	if ((rc = get_bundle_signature(root, KEY_QE_IDENTITY_SIGNATURE,
				       next->qe_identity.signature, detail)) != RATLS_OK)
		return rc;
	return get_bundle_chain(root, KEY_PCK_CHAIN, false, &next->pck_chain, detail);
}

int ratls_collateral_load_bundle(struct ratls_collateral *collateral, const uint8_t *json,
				 size_t size, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	json_t *root = NULL;
	struct ratls_collateral next;

	memset(&next, 0, sizeof(next));
	if (collateral == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_collateral_load_bundle: collateral must not be NULL");
		goto out;
	}
	rc = ratls_json_load_object(json, size, RATLS_COLLATERAL_BUNDLE_MAX_SIZE,
				    "collateral bundle", &root, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = read_bundle(root, &next, detail)) != RATLS_OK)
		goto out;

	/* Every slot but the optional PCK chain is required, so all of them are replaced. */
	if (next.pck_chain == NULL) {
		next.pck_chain = collateral->pck_chain;
		collateral->pck_chain = NULL;
	}
	collateral_clear(collateral);
	*collateral = next;
	memset(&next, 0, sizeof(next)); /* ownership moved to *collateral */
	rc = RATLS_OK;
out:
	collateral_clear(&next);
	json_decref(root);
	return rc;
}

/* Adds key = lowercase hex of data to obj. */
static int put_hex(json_t *obj, const char *key, const uint8_t *data, size_t size,
		   struct ratls_detail *detail)
{
	char *hex = malloc(2 * size + 1);
	json_t *value;

	if (hex == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	ratls_hex_encode(data, size, hex);
	value = json_stringn(hex, 2 * size);
	free(hex);
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	return RATLS_OK;
}

/* Adds key = text as a JSON string; text must be UTF-8 without NUL so it reads back unchanged. */
static int put_text(json_t *obj, const char *key, const void *text, size_t size,
		    struct ratls_detail *detail)
{
	json_t *value;

	if (memchr(text, '\0', size) != NULL || !ratls_utf8_valid(text, size))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "cannot write bundle.%s: it contains a NUL byte or invalid "
				  "UTF-8; set it through the ratls_collateral_set_* functions",
				  key);
	value = json_stringn(text, size);
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	return RATLS_OK;
}

static int check_complete(const struct ratls_collateral *c, struct ratls_detail *detail)
{
	const char *missing = NULL;

	if (c->pck_crl_chain == NULL)
		missing = KEY_PCK_CRL_CHAIN;
	else if (c->root_crl == NULL)
		missing = KEY_ROOT_CRL;
	else if (c->pck_crl == NULL)
		missing = KEY_PCK_CRL;
	else if (c->tcb_info_chain == NULL)
		missing = KEY_TCB_INFO_CHAIN;
	else if (c->tcb_info.body == NULL)
		missing = KEY_TCB_INFO;
	else if (c->qe_identity_chain == NULL)
		missing = KEY_QE_IDENTITY_CHAIN;
	else if (c->qe_identity.body == NULL)
		missing = KEY_QE_IDENTITY;
	if (missing == NULL)
		return RATLS_OK;
	return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
			  "cannot write a bundle without %s; set it first", missing);
}

static int build_bundle(const struct ratls_collateral *c, json_t *root,
			struct ratls_detail *detail)
{
	int rc;

	if ((rc = put_text(root, KEY_PCK_CRL_CHAIN, c->pck_crl_chain, strlen(c->pck_crl_chain),
			   detail)) != RATLS_OK)
		return rc;
	if ((rc = put_hex(root, KEY_ROOT_CRL, c->root_crl, c->root_crl_size, detail)) != RATLS_OK)
		return rc;
	if ((rc = put_hex(root, KEY_PCK_CRL, c->pck_crl, c->pck_crl_size, detail)) != RATLS_OK)
		return rc;
	if ((rc = put_text(root, KEY_TCB_INFO_CHAIN, c->tcb_info_chain, strlen(c->tcb_info_chain),
			   detail)) != RATLS_OK)
		return rc;
	if ((rc = put_text(root, KEY_TCB_INFO, c->tcb_info.body, c->tcb_info.body_size, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = put_hex(root, KEY_TCB_INFO_SIGNATURE, c->tcb_info.signature, 64, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = put_text(root, KEY_QE_IDENTITY_CHAIN, c->qe_identity_chain,
			   strlen(c->qe_identity_chain), detail)) != RATLS_OK)
		return rc;
	if ((rc = put_text(root, KEY_QE_IDENTITY, c->qe_identity.body, c->qe_identity.body_size,
			   detail)) != RATLS_OK)
		return rc;
	if ((rc = put_hex(root, KEY_QE_IDENTITY_SIGNATURE, c->qe_identity.signature, 64,
			  detail)) != RATLS_OK)
		return rc;
	if (c->pck_chain == NULL)
		return RATLS_OK;
	return put_text(root, KEY_PCK_CHAIN, c->pck_chain, strlen(c->pck_chain), detail);
}

int ratls_collateral_write_bundle(const struct ratls_collateral *collateral, char **out,
				  struct ratls_detail *detail)
{
	const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	int rc = RATLS_ERR_INTERNAL;
	json_t *root = NULL;
	char *text = NULL;
	size_t len;

	if (collateral == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_collateral_write_bundle: collateral and out must not be "
				  "NULL");
	*out = NULL;
	if ((rc = check_complete(collateral, detail)) != RATLS_OK)
		goto out;
	root = json_object();
	if (root == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = build_bundle(collateral, root, detail)) != RATLS_OK)
		goto out;

	/* json_dumpb into our own buffer, so the caller frees it with free() whatever jansson's allocator. */
	len = json_dumpb(root, NULL, 0, flags);
	if (len == 0) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "serialising the bundle failed");
		goto out;
	}
	text = malloc(len + 1);
	if (text == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if (json_dumpb(root, text, len, flags) != len) {
		rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "the bundle size changed while writing");
		goto out;
	}
	text[len] = '\0';

	*out = text;
	text = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	free(text);
	json_decref(root);
	return rc;
}
