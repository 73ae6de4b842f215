/*
 * Issuing of RA-TLS certificates in dstack's format: a fresh P-256 key, a
 * quote whose report_data binds the key, and a self-signed certificate that
 * carries the evidence. Certificate contents follow dstack's RA-TLS
 * certificates (ra-tls/src/cert.rs, dstack v0.5.9): KeyUsage critical
 * digitalSignature, EKU serverAuth, ECDSA with SHA-256, and each dstack
 * extension non-critical with the payload in an OCTET STRING inside
 * extnValue.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/issue_internal.h"
#include "base/encoding.h"
#include "base/fail.h"
#include "ratls/attest.h"

#define OID_RATLS_QUOTE "1.3.6.1.4.1.62397.1.1"
#define OID_RATLS_EVENT_LOG "1.3.6.1.4.1.62397.1.2"
#define OID_RATLS_ATTESTATION "1.3.6.1.4.1.62397.1.8"

/* RFC 5280 ub-common-name. */
#define COMMON_NAME_MAX_LEN 64
/* RFC 1035: a DNS name is at most 253 characters in text form. */
#define DNS_NAME_MAX_LEN 253
/* Bytes of random serial number; RFC 5280 allows up to 20. */
#define SERIAL_SIZE 16

static bool valid_dns_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > DNS_NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '*'))
			return false;
	}
	return true;
}

static int check_params(const struct ratls_issue_params *p, struct ratls_detail *detail)
{
	if (p->common_name != NULL &&
	    (p->common_name[0] == '\0' || strlen(p->common_name) > COMMON_NAME_MAX_LEN))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the common name must be 1 to %d characters, got %zu",
				  COMMON_NAME_MAX_LEN, strlen(p->common_name));
	if (p->dns_name_count > RATLS_ISSUE_DNS_NAMES_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%zu DNS names exceed the maximum of %d", p->dns_name_count,
				  RATLS_ISSUE_DNS_NAMES_MAX);
	for (size_t i = 0; i < p->dns_name_count; i++) {
		if (p->dns_names == NULL || p->dns_names[i] == NULL ||
		    !valid_dns_name(p->dns_names[i]))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "DNS name %zu is not a host name of letters, digits, '-', "
					  "'.' and '*' of at most %d characters",
					  i, DNS_NAME_MAX_LEN);
	}
	if (p->not_after <= p->not_before)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "notAfter %lld is not after notBefore %lld",
				  (long long)p->not_after, (long long)p->not_before);
	if ((p->event_count > 0 && p->events == NULL) ||
	    (p->runtime_event_count > 0 && p->runtime_events == NULL) ||
	    (p->config_size > 0 && p->config == NULL))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "an event list or the config is NULL with a non-zero size");
	return RATLS_OK;
}

/*
 * Returns the event log to put in the envelope: the caller's, or when it
 * gave none, the runtime events as dstack's stripped certificate logs list
 * them (IMR 3, empty digest, payload kept).
 */
static int envelope_events(const struct ratls_issue_params *p, struct ratls_tdx_event **owned,
			   const struct ratls_tdx_event **events, size_t *count,
			   struct ratls_detail *detail)
{
	struct ratls_tdx_event *list;

	*owned = NULL;
	if (p->event_count > 0 || p->runtime_event_count == 0) {
		*events = p->events;
		*count = p->event_count;
		return RATLS_OK;
	}
	list = calloc(p->runtime_event_count, sizeof(*list));
	if (list == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < p->runtime_event_count; i++) {
		const struct ratls_runtime_event *r = &p->runtime_events[i];

		list[i].imr = 3;
		list[i].event_type = RATLS_RUNTIME_EVENT_TYPE;
		list[i].name = r->name;
		list[i].name_size = r->name_size;
		list[i].payload = r->payload;
		list[i].payload_size = r->payload_size;
		list[i].version = r->version;
	}
	*owned = list;
	*events = list;
	*count = p->runtime_event_count;
	return RATLS_OK;
}

/* Appends one TdxEvent object to a JSON array; digest may be NULL when digest_size is 0. */
static int append_json_event(json_t *array, uint32_t imr, uint32_t type, const uint8_t *digest,
			     size_t digest_size, const char *name, size_t name_size,
			     const uint8_t *payload, size_t payload_size)
{
	char *digest_hex = malloc(digest_size * 2 + 1);
	char *payload_hex = malloc(payload_size * 2 + 1);
	json_t *event = NULL;
	int rc = RATLS_ERR_NO_MEMORY;

	if (digest_hex == NULL || payload_hex == NULL)
		goto out;
	ratls_hex_encode(digest, digest_size, digest_hex);
	ratls_hex_encode(payload, payload_size, payload_hex);
	event = json_pack("{s:I,s:I,s:s,s:s%,s:s}", "imr", (json_int_t)imr, "event_type",
			  (json_int_t)type, "digest", digest_hex, "event", name, name_size,
			  "event_payload", payload_hex);
	if (event == NULL || json_array_append_new(array, event) != 0)
		goto out;
	rc = RATLS_OK;
out:
	free(digest_hex);
	free(payload_hex);
	return rc;
}

/*
 * Writes the legacy .1.2 JSON event log: the caller's events other than
 * runtime events, then every runtime event in IMR 3 with its digest
 * computed, as dstack's full logs before v0.5.9 list them.
 */
static int legacy_event_log_json(const struct ratls_issue_params *p, char **json_text,
				 struct ratls_detail *detail)
{
	json_t *array = json_array();
	int rc = RATLS_ERR_NO_MEMORY;

	*json_text = NULL;
	if (array == NULL)
		goto fail_memory;
	for (size_t i = 0; i < p->event_count; i++) {
		const struct ratls_tdx_event *e = &p->events[i];

		if (e->event_type == RATLS_RUNTIME_EVENT_TYPE)
			continue;
		rc = append_json_event(array, e->imr, e->event_type, e->digest, e->digest_size,
				       e->name, e->name_size, e->payload, e->payload_size);
		if (rc != RATLS_OK)
			goto fail_memory;
	}
	for (size_t i = 0; i < p->runtime_event_count; i++) {
		const struct ratls_runtime_event *r = &p->runtime_events[i];
		uint8_t digest[RATLS_RTMR_SIZE];

		rc = ratls_evidence_digest_runtime_event(r->name, r->name_size, r->payload,
							 r->payload_size, r->version, digest, detail);
		if (rc != RATLS_OK)
			goto out;
		rc = append_json_event(array, 3, RATLS_RUNTIME_EVENT_TYPE, digest, sizeof(digest),
				       r->name, r->name_size, r->payload, r->payload_size);
		if (rc != RATLS_OK)
			goto fail_memory;
	}
	*json_text = json_dumps(array, JSON_COMPACT);
	if (*json_text == NULL)
		goto fail_memory;
	rc = RATLS_OK;
	goto out;
fail_memory:
	rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory writing the JSON event log");
out:
	json_decref(array);
	return rc;
}

/* Adds a non-critical extension whose extnValue is OCTET STRING { payload }. */
static int add_dstack_extension(X509 *x509, const char *oid, const uint8_t *payload,
				size_t payload_size, struct ratls_detail *detail)
{
	ASN1_OBJECT *object = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING *outer = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int der_size;
	int rc = RATLS_ERR_INTERNAL;

	if (object == NULL || inner == NULL || outer == NULL || payload_size > INT32_MAX ||
	    ASN1_OCTET_STRING_set(inner, payload, (int)payload_size) != 1)
		goto fail;
	der_size = i2d_ASN1_OCTET_STRING(inner, &der);
	if (der_size <= 0 || ASN1_OCTET_STRING_set(outer, der, der_size) != 1)
		goto fail;
	ext = X509_EXTENSION_create_by_OBJ(NULL, object, 0, outer);
	if (ext == NULL || X509_add_ext(x509, ext, -1) != 1)
		goto fail;
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot add extension %s", oid);
out:
	X509_EXTENSION_free(ext);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(outer);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(object);
	return rc;
}

static int add_subject_alt_names(X509 *x509, const struct ratls_issue_params *p,
				 struct ratls_detail *detail)
{
	GENERAL_NAMES *names;
	int rc = RATLS_ERR_INTERNAL;

	if (p->dns_name_count == 0)
		return RATLS_OK;
	names = sk_GENERAL_NAME_new_null();
	if (names == NULL)
		goto fail;
	for (size_t i = 0; i < p->dns_name_count; i++) {
		GENERAL_NAME *name = GENERAL_NAME_new();
		ASN1_IA5STRING *text = ASN1_IA5STRING_new();

		if (name == NULL || text == NULL ||
		    ASN1_STRING_set(text, p->dns_names[i], -1) != 1) {
			GENERAL_NAME_free(name);
			ASN1_IA5STRING_free(text);
			goto fail;
		}
		GENERAL_NAME_set0_value(name, GEN_DNS, text);
		if (sk_GENERAL_NAME_push(names, name) <= 0) {
			GENERAL_NAME_free(name);
			goto fail;
		}
	}
	if (X509_add1_ext_i2d(x509, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		goto fail;
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot add the subjectAltName");
out:
	GENERAL_NAMES_free(names);
	return rc;
}

/* Adds a standard extension from OpenSSL's configuration syntax (constant strings only). */
static int add_conf_extension(X509 *x509, int nid, const char *value, struct ratls_detail *detail)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
	int rc = RATLS_OK;

	if (ext == NULL || X509_add_ext(x509, ext, -1) != 1)
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot add extension %s",
				     OBJ_nid2sn(nid));
	X509_EXTENSION_free(ext);
	return rc;
}

/* Fills version, serial, names, validity and the key of a new certificate. */
static int set_certificate_fields(X509 *x509, EVP_PKEY *key, const struct ratls_issue_params *p,
				  struct ratls_detail *detail)
{
	const char *common_name = p->common_name != NULL ? p->common_name : "RA-TLS Cert";
	unsigned char serial_bytes[SERIAL_SIZE];
	BIGNUM *serial_bn = NULL;
	X509_NAME *name = X509_NAME_new();
	int rc = RATLS_ERR_INTERNAL;

	if (name == NULL || RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
		goto fail;
	serial_bytes[0] &= 0x7f; /* a positive INTEGER */
	serial_bytes[0] |= 0x40; /* of the full length */
	serial_bn = BN_bin2bn(serial_bytes, sizeof(serial_bytes), NULL);
	if (serial_bn == NULL || BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(x509)) == NULL)
		goto fail;
	if (X509_set_version(x509, X509_VERSION_3) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				       (const unsigned char *)common_name, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x509, name) != 1 || X509_set_issuer_name(x509, name) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x509), 0, 0, &(time_t){(time_t)p->not_before}) ==
		    NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x509), 0, 0, &(time_t){(time_t)p->not_after}) ==
		    NULL ||
	    X509_set_pubkey(x509, key) != 1)
		goto fail;
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot set the certificate fields");
out:
	BN_free(serial_bn);
	X509_NAME_free(name);
	return rc;
}

/* Writes the private key as PKCS#8 PEM into a new NUL-terminated buffer. */
static int export_key(EVP_PKEY *key, char **key_pem, size_t *key_pem_size,
		      struct ratls_detail *detail)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long size = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (bio == NULL || PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto fail;
	size = BIO_get_mem_data(bio, &data);
	if (size <= 0 || data == NULL)
		goto fail;
	*key_pem = malloc((size_t)size + 1);
	if (*key_pem == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*key_pem, data, (size_t)size);
	(*key_pem)[size] = '\0';
	*key_pem_size = (size_t)size;
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot write the private key");
out:
	if (data != NULL && size > 0)
		OPENSSL_cleanse(data, (size_t)size);
	BIO_free(bio);
	return rc;
}

void ratls_issue_free_key(char *key_pem, size_t key_pem_size)
{
	if (key_pem == NULL)
		return;
	OPENSSL_cleanse(key_pem, key_pem_size);
	free(key_pem);
}

/*
 * Decodes the envelope as a client will and replays it, so that a quote
 * source that returned a quote for other report_data or with RTMRs that the
 * events do not reproduce fails here instead of in every client.
 */
static int check_envelope(const uint8_t *envelope, size_t size, struct ratls_detail *detail)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail check_detail = {0};
	int rc;

	rc = ratls_evidence_from_attestation(envelope, size, &ev, &check_detail);
	if (rc == RATLS_OK)
		rc = ratls_evidence_replay(ev, &replay, &check_detail);
	ratls_evidence_free(ev);
	if (rc != RATLS_OK)
		return ratls_fail(detail, rc, "the quote from the quote source does not fit the "
					      "certificate: %s",
				  check_detail.message);
	return RATLS_OK;
}

/* Builds the evidence extensions: the V0 envelope and, when asked, .1.1 and .1.2. */
static int add_evidence(X509 *x509, const struct ratls_issue_params *p, const uint8_t *quote,
			size_t quote_size, const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
			struct ratls_detail *detail)
{
	struct ratls_tdx_event *owned_events = NULL;
	const struct ratls_tdx_event *events = NULL;
	size_t event_count = 0;
	uint8_t *envelope = NULL;
	size_t envelope_size = 0;
	char *log_json = NULL;
	int rc;

	if ((rc = envelope_events(p, &owned_events, &events, &event_count, detail)) != RATLS_OK)
		goto out;
	rc = ratls_evidence_encode_v0(quote, quote_size, events, event_count, p->runtime_events,
				      p->runtime_event_count, report_data, p->config,
				      p->config_size, &envelope, &envelope_size, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = check_envelope(envelope, envelope_size, detail)) != RATLS_OK)
		goto out;
	if (p->legacy_extensions) {
		if ((rc = add_dstack_extension(x509, OID_RATLS_QUOTE, quote, quote_size, detail)) !=
		    RATLS_OK)
			goto out;
		if ((rc = legacy_event_log_json(p, &log_json, detail)) != RATLS_OK)
			goto out;
		rc = add_dstack_extension(x509, OID_RATLS_EVENT_LOG, (const uint8_t *)log_json,
					  strlen(log_json), detail);
		if (rc != RATLS_OK)
			goto out;
	}
	rc = add_dstack_extension(x509, OID_RATLS_ATTESTATION, envelope, envelope_size, detail);
out:
	free(log_json);
	free(envelope);
	free(owned_events);
	return rc;
}

/*
 * Creates the key and the self-signed certificate. With with_evidence, the
 * quote source supplies a quote bound to the key and the certificate carries
 * the evidence extensions; without, it is a plain certificate.
 */
static int issue(const struct ratls_issue_params *params, bool with_evidence, uint8_t **cert_der,
		 size_t *cert_der_size, char **key_pem, size_t *key_pem_size,
		 struct ratls_detail *detail)
{
	EVP_PKEY *key = NULL;
	X509 *x509 = NULL;
	unsigned char *spki = NULL, *der = NULL;
	int spki_size, der_size;
	uint8_t report_data[RATLS_REPORT_DATA_SIZE];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc;

	if (params == NULL || cert_der == NULL || cert_der_size == NULL || key_pem == NULL ||
	    key_pem_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params and every output pointer are required");
	*cert_der = NULL;
	*key_pem = NULL;
	if ((rc = check_params(params, detail)) != RATLS_OK)
		return rc;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot generate a P-256 key");
		goto out;
	}
	if (with_evidence) {
		spki_size = i2d_PUBKEY(key, &spki);
		if (spki_size <= 0) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
					     "cannot encode the public key");
			goto out;
		}
		rc = ratls_evidence_compute_report_data(spki, (size_t)spki_size, report_data,
							detail);
		if (rc != RATLS_OK)
			goto out;
		rc = params->quote_source(params->quote_source_arg, report_data, &quote,
					  &quote_size, detail);
		if (rc != RATLS_OK)
			goto out;
		if (quote == NULL || quote_size == 0) {
			rc = ratls_fail(detail, RATLS_ERR_INTERNAL,
					"the quote source returned no quote");
			goto out;
		}
	}

	x509 = X509_new();
	if (x509 == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = set_certificate_fields(x509, key, params, detail)) != RATLS_OK ||
	    (rc = add_subject_alt_names(x509, params, detail)) != RATLS_OK ||
	    (rc = add_conf_extension(x509, NID_key_usage, "critical,digitalSignature", detail)) !=
		    RATLS_OK ||
	    (rc = add_conf_extension(x509, NID_ext_key_usage, "serverAuth", detail)) != RATLS_OK)
		goto out;
	if (with_evidence &&
	    (rc = add_evidence(x509, params, quote, quote_size, report_data, detail)) != RATLS_OK)
		goto out;
	if (X509_sign(x509, key, EVP_sha256()) <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot sign the certificate");
		goto out;
	}
	der_size = i2d_X509(x509, &der);
	if (der_size <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot encode the certificate");
		goto out;
	}
	if ((rc = export_key(key, key_pem, key_pem_size, detail)) != RATLS_OK)
		goto out;
	*cert_der = malloc((size_t)der_size);
	if (*cert_der == NULL) {
		ratls_issue_free_key(*key_pem, *key_pem_size);
		*key_pem = NULL;
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*cert_der, der, (size_t)der_size);
	*cert_der_size = (size_t)der_size;
	rc = RATLS_OK;
out:
	OPENSSL_free(der);
	OPENSSL_free(spki);
	X509_free(x509);
	free(quote);
	EVP_PKEY_free(key);
	return rc;
}

int ratls_issue_cert(const struct ratls_issue_params *params, uint8_t **cert_der,
		     size_t *cert_der_size, char **key_pem, size_t *key_pem_size,
		     struct ratls_detail *detail)
{
	if (params != NULL && params->quote_source == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "a quote source is required to issue an RA-TLS certificate");
	return issue(params, true, cert_der, cert_der_size, key_pem, key_pem_size, detail);
}

int ratls_issue_plain_cert(const struct ratls_issue_params *params, uint8_t **cert_der,
			   size_t *cert_der_size, char **key_pem, size_t *key_pem_size,
			   struct ratls_detail *detail)
{
	return issue(params, false, cert_der, cert_der_size, key_pem, key_pem_size, detail);
}
