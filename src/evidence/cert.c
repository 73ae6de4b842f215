/*
 * dstack RA-TLS certificates: extension extraction and decoding.
 *
 * Every dstack extension value is an OCTET STRING (the X.509 extnValue)
 * holding one DER OCTET STRING with the payload. OpenSSL removes the outer
 * layer; the inner one is read here with the strict DER reader and must
 * span the whole extnValue.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "base/der.h"
#include "base/fail.h"
#include "evidence_internal.h"

/* Last arcs of the dstack OIDs 1.3.6.1.4.1.62397.1.N that ratls reads. */
enum dstack_oid {
	OID_QUOTE = 1,
	OID_EVENT_LOG = 2,
	OID_APP_ID = 3,
	OID_CERT_USAGE = 4,
	OID_ATTESTATION = 8,
	OID_APP_INFO = 9,
};

void ratls_evidence_clear_extensions(struct ratls_cert_extensions *ext)
{
	if (ext == NULL)
		return;
	free(ext->spki);
	free(ext->quote);
	free(ext->event_log);
	free(ext->app_id);
	free(ext->cert_usage);
	free(ext->attestation);
	free(ext->app_info);
	memset(ext, 0, sizeof(*ext));
}

/* Returns the slot for a dstack OID (content bytes oid, oid_size), or NULL for any other OID. */
static bool slot_for_oid(struct ratls_cert_extensions *ext, const uint8_t *oid, size_t oid_size,
			 uint8_t ***data_slot, size_t **size_slot, unsigned *arc)
{
	if (oid_size != RATLS_DSTACK_OID_PREFIX_SIZE + 1 ||
	    memcmp(oid, ratls_dstack_oid_prefix, RATLS_DSTACK_OID_PREFIX_SIZE) != 0)
		return false;
	*arc = oid[RATLS_DSTACK_OID_PREFIX_SIZE];
	switch (*arc) {
	case OID_QUOTE:
		*data_slot = &ext->quote;
		*size_slot = &ext->quote_size;
		return true;
	case OID_EVENT_LOG:
		*data_slot = &ext->event_log;
		*size_slot = &ext->event_log_size;
		return true;
	case OID_APP_ID:
		*data_slot = &ext->app_id;
		*size_slot = &ext->app_id_size;
		return true;
	case OID_CERT_USAGE:
		*data_slot = &ext->cert_usage;
		*size_slot = &ext->cert_usage_size;
		return true;
	case OID_ATTESTATION:
		*data_slot = &ext->attestation;
		*size_slot = &ext->attestation_size;
		return true;
	case OID_APP_INFO:
		*data_slot = &ext->app_info;
		*size_slot = &ext->app_info_size;
		return true;
	default:
		return false; /* .1.5-.1.7 are unused; later arcs are not ratls's to interpret */
	}
}

/* Removes dstack's inner OCTET STRING from an extnValue's content and copies the payload. */
static int copy_inner_octet_string(struct ratls_reader r, unsigned arc, uint8_t **out,
				   size_t *out_size, struct ratls_detail *detail)
{
	struct ratls_reader payload;
	const uint8_t *view = NULL;
	int rc;

	rc = ratls_der_expect(&r, RATLS_DER_OCTET_STRING, &payload);
	if (rc != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "extension 1.3.6.1.4.1.62397.1.%u does not hold a DER OCTET STRING "
				  "inside its extnValue (%s); dstack wraps every payload in one",
				  arc, rc == RATLS_ERR_TRUNCATED ? "truncated" : "bad tag or length");
	if (ratls_reader_remaining(&r) != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "extension 1.3.6.1.4.1.62397.1.%u has %zu bytes after its inner "
				  "OCTET STRING",
				  arc, ratls_reader_remaining(&r));
	if ((rc = ratls_reader_bytes(&payload, ratls_reader_remaining(&payload), &view)) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot read the extension payload");
	*out = ratls_evidence_copy_bytes(view, payload.size);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying an extension");
	*out_size = payload.size;
	return RATLS_OK;
}

/* DER tags of the TBSCertificate that are not universal types (RFC 5280 section 4.1). */
#define TAG_VERSION 0xa0           /* [0] EXPLICIT Version */
#define TAG_ISSUER_UNIQUE_ID 0x81  /* [1] IMPLICIT UniqueIdentifier */
#define TAG_SUBJECT_UNIQUE_ID 0x82 /* [2] IMPLICIT UniqueIdentifier */
#define TAG_EXTENSIONS 0xa3        /* [3] EXPLICIT Extensions */
#define TAG_BIT_STRING 0x03

/*
 * Reads one Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT
 * FALSE, extnValue OCTET STRING } and stores a dstack payload in its slot.
 * DER omits a FALSE critical flag, so a present flag must be TRUE.
 */
static int read_extension(struct ratls_reader *list, struct ratls_cert_extensions *ext,
			  struct ratls_detail *detail)
{
	struct ratls_reader extension, oid, critical, value;
	const uint8_t *oid_bytes = NULL;
	uint8_t **data_slot = NULL;
	size_t *size_slot = NULL;
	unsigned arc = 0;
	uint8_t flag = 0;

	if (ratls_der_expect(list, RATLS_DER_SEQUENCE, &extension) != RATLS_OK ||
	    ratls_der_expect(&extension, RATLS_DER_OID, &oid) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "a certificate extension is not a DER SEQUENCE with an OID");
	if (ratls_reader_remaining(&extension) > 0 &&
	    extension.data[extension.offset] == RATLS_DER_BOOLEAN) {
		if (ratls_der_expect(&extension, RATLS_DER_BOOLEAN, &critical) != RATLS_OK ||
		    critical.size != 1 || ratls_reader_u8(&critical, &flag) != RATLS_OK ||
		    flag != 0xff)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "a certificate extension's critical flag is not DER TRUE");
	}
	if (ratls_der_expect(&extension, RATLS_DER_OCTET_STRING, &value) != RATLS_OK ||
	    ratls_reader_remaining(&extension) != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "a certificate extension's value is not one DER OCTET STRING");

	if (ratls_reader_bytes(&oid, oid.size, &oid_bytes) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot read an extension OID");
	if (!slot_for_oid(ext, oid_bytes, oid.size, &data_slot, &size_slot, &arc))
		return RATLS_OK;
	/* RFC 5280 section 4.2 allows each extension once; dstack's readers reject a second copy. */
	if (*data_slot != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the certificate carries extension 1.3.6.1.4.1.62397.1.%u twice; "
				  "X.509 allows each extension once (RFC 5280 4.2)",
				  arc);
	return copy_inner_octet_string(value, arc, data_slot, size_slot, detail);
}

/* Copies the SubjectPublicKeyInfo TLV that starts at spki_start and ends at the cursor of after. */
static int copy_spki(const struct ratls_reader *spki_start, const struct ratls_reader *after,
		     struct ratls_cert_extensions *ext, struct ratls_detail *detail)
{
	size_t spki_size = after->offset - spki_start->offset;

	ext->spki = ratls_evidence_copy_bytes(spki_start->data + spki_start->offset, spki_size);
	if (ext->spki == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying the public key");
	ext->spki_size = spki_size;
	return RATLS_OK;
}

/*
 * Walks Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue } with the strict DER reader, copies the
 * SubjectPublicKeyInfo exactly as encoded and reads the extensions. The
 * signature is not checked: a self-signed RA-TLS certificate is trusted
 * through its quote and the key binding, not through its signature.
 * OpenSSL's d2i_X509 would also work but costs several times more on these
 * certificates, because it decodes and caches every extension.
 */
static int walk_certificate(const uint8_t *der, size_t size, struct ratls_cert_extensions *ext,
			    struct ratls_detail *detail)
{
	struct ratls_reader r, cert, tbs, field, spki_start, list;
	uint32_t version_number = 0;
	uint8_t tag = 0;
	int rc;

	ratls_reader_init(&r, der, size);
	if (ratls_der_expect(&r, RATLS_DER_SEQUENCE, &cert) != RATLS_OK ||
	    ratls_der_expect(&cert, RATLS_DER_SEQUENCE, &tbs) != RATLS_OK ||
	    ratls_der_expect(&cert, RATLS_DER_SEQUENCE, &field) != RATLS_OK ||
	    ratls_der_expect(&cert, TAG_BIT_STRING, &field) != RATLS_OK ||
	    ratls_reader_remaining(&cert) != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the certificate is not a strict DER X.509 Certificate");
	if (ratls_reader_remaining(&r) != 0)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "the DER certificate is followed by %zu more bytes",
				  ratls_reader_remaining(&r));

	/*
	 * version [0] EXPLICIT INTEGER: DER omits the default v1 (0), so a
	 * present version is v2 (1) or v3 (2), and extensions need v3.
	 */
	if (ratls_reader_remaining(&tbs) > 0 && tbs.data[tbs.offset] == TAG_VERSION) {
		struct ratls_reader version;

		if (ratls_der_expect(&tbs, TAG_VERSION, &field) != RATLS_OK ||
		    ratls_der_expect(&field, RATLS_DER_INTEGER, &version) != RATLS_OK ||
		    ratls_reader_remaining(&field) != 0 ||
		    ratls_der_uint32(&version, &version_number) != RATLS_OK ||
		    (version_number != 1 && version_number != 2))
			goto malformed;
	}
	/* serialNumber, signature, issuer, validity, subject */
	if (ratls_der_expect(&tbs, RATLS_DER_INTEGER, &field) != RATLS_OK)
		goto malformed;
	for (int i = 0; i < 4; i++) {
		if (ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &field) != RATLS_OK)
			goto malformed;
	}
	spki_start = tbs;
	if (ratls_der_expect(&tbs, RATLS_DER_SEQUENCE, &field) != RATLS_OK)
		goto malformed;
	if ((rc = copy_spki(&spki_start, &tbs, ext, detail)) != RATLS_OK)
		return rc;

	/* issuerUniqueID, then subjectUniqueID, each at most once, then the extensions (last) */
	if (ratls_reader_remaining(&tbs) > 0 && tbs.data[tbs.offset] == TAG_ISSUER_UNIQUE_ID &&
	    ratls_der_read(&tbs, &tag, &field) != RATLS_OK)
		goto malformed;
	if (ratls_reader_remaining(&tbs) > 0 && tbs.data[tbs.offset] == TAG_SUBJECT_UNIQUE_ID &&
	    ratls_der_read(&tbs, &tag, &field) != RATLS_OK)
		goto malformed;
	if (ratls_reader_remaining(&tbs) == 0)
		return RATLS_OK;
	if (version_number != 2 || ratls_der_expect(&tbs, TAG_EXTENSIONS, &field) != RATLS_OK ||
	    ratls_der_expect(&field, RATLS_DER_SEQUENCE, &list) != RATLS_OK ||
	    ratls_reader_remaining(&field) != 0 || ratls_reader_remaining(&tbs) != 0)
		goto malformed;
	while (ratls_reader_remaining(&list) > 0) {
		if ((rc = read_extension(&list, ext, detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;

malformed:
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "the certificate's TBSCertificate is not strict DER X.509");
}

static bool looks_like_pem(const uint8_t *data, size_t size)
{
	static const char begin[] = "-----BEGIN";
	size_t i = 0;

	while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return size - i >= sizeof(begin) - 1 && memcmp(data + i, begin, sizeof(begin) - 1) == 0;
}

/* Decodes the first PEM block, which must be a CERTIFICATE, into new DER bytes. */
static int pem_to_der(const uint8_t *pem, size_t size, uint8_t **der, size_t *der_size,
		      struct ratls_detail *detail)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)size);
	char *name = NULL;
	char *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (bio == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot read the PEM input");
	if (PEM_read_bio(bio, &name, &header, &data, &len) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				     "the PEM certificate cannot be decoded");
		goto out;
	}
	if (strcmp(name, "CERTIFICATE") != 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the first PEM block is \"%.40s\"; expected CERTIFICATE", name);
		goto out;
	}
	*der = ratls_evidence_copy_bytes(data, (size_t)len);
	if (*der == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	*der_size = (size_t)len;
	rc = RATLS_OK;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int ratls_evidence_read_extensions(const uint8_t *cert, size_t size,
				   struct ratls_cert_extensions *out, struct ratls_detail *detail)
{
	uint8_t *pem_der = NULL;
	const uint8_t *der = cert;
	size_t der_size = size;
	int rc = RATLS_ERR_INTERNAL;

	if (cert == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_read_extensions: cert or out is NULL");
	memset(out, 0, sizeof(*out));
	if (size > RATLS_EVIDENCE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the certificate is %zu bytes; the limit is %d "
				  "(RATLS_EVIDENCE_MAX_SIZE)",
				  size, RATLS_EVIDENCE_MAX_SIZE);

	if (looks_like_pem(cert, size)) {
		if ((rc = pem_to_der(cert, size, &pem_der, &der_size, detail)) != RATLS_OK)
			goto out;
		der = pem_der;
	}

	if ((rc = walk_certificate(der, der_size, out, detail)) != RATLS_OK)
		goto out;

	if (out->quote == NULL && out->attestation == NULL && out->event_log != NULL) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the certificate carries an event log (1.3.6.1.4.1.62397.1.2) but no "
				"quote (1.3.6.1.4.1.62397.1.8 or .1.1); its evidence is incomplete");
		goto out;
	}
	if (out->quote == NULL && out->attestation == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NOT_RATLS,
				"the certificate carries no dstack attestation extension "
				"(1.3.6.1.4.1.62397.1.8, or 1.3.6.1.4.1.62397.1.1 before dstack "
				"0.5.9); it is not a dstack RA-TLS certificate");
		goto out;
	}
	if (out->attestation == NULL && out->event_log == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the certificate carries a quote (1.3.6.1.4.1.62397.1.1) without "
				"its event log (1.3.6.1.4.1.62397.1.2); RTMR3 cannot be replayed");
		goto out;
	}
	rc = RATLS_OK;
out:
	free(pem_der);
	return rc;
}

/* True when two runtime-event lists have the same names and payloads in the same order. */
static bool same_runtime_events(const struct ratls_evidence *a, const struct ratls_evidence *b)
{
	if (a->runtime_event_count != b->runtime_event_count)
		return false;
	for (size_t i = 0; i < a->runtime_event_count; i++) {
		const struct ratls_runtime_event *x = &a->runtime_events[i];
		const struct ratls_runtime_event *y = &b->runtime_events[i];

		if (x->name_size != y->name_size || memcmp(x->name, y->name, x->name_size) != 0 ||
		    x->payload_size != y->payload_size ||
		    (x->payload_size != 0 && memcmp(x->payload, y->payload, x->payload_size) != 0))
			return false;
	}
	return true;
}

/*
 * Checks that the legacy pair (.1.1 + .1.2) agrees with .1.8. The quote and
 * the runtime events must be the same, and every boot event of the (possibly
 * stripped) .1.8 log must appear in the full .1.2 log in order, with the
 * same IMR, type and digest. The .1.2 log must also replay to the quote.
 */
static int cross_check_legacy(const struct ratls_evidence *ev,
			      const struct ratls_cert_extensions *ext,
			      struct ratls_detail *detail)
{
	struct ratls_evidence *legacy = NULL;
	struct ratls_replay replay;
	struct ratls_detail replay_detail = {0};
	size_t next = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (ext->quote != NULL &&
	    (ext->quote_size != ev->quote_size || memcmp(ext->quote, ev->quote, ev->quote_size) != 0))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the certificate carries two different quotes: %zu bytes in "
				  "1.3.6.1.4.1.62397.1.1 and %zu bytes in 1.3.6.1.4.1.62397.1.8",
				  ext->quote_size, ev->quote_size);
	if (ext->event_log == NULL)
		return RATLS_OK;

	rc = ratls_evidence_from_quote(ev->quote, ev->quote_size, ext->event_log,
				       ext->event_log_size, NULL, 0, &legacy, detail);
	if (rc != RATLS_OK)
		return rc;

	if (!same_runtime_events(ev, legacy)) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the runtime events of 1.3.6.1.4.1.62397.1.2 (%zu) differ from those "
				"of 1.3.6.1.4.1.62397.1.8 (%zu)",
				legacy->runtime_event_count, ev->runtime_event_count);
		goto out;
	}
	for (size_t i = 0; i < ev->event_count; i++) {
		const struct ratls_tdx_event *e = &ev->events[i];
		bool found = false;

		if (e->event_type == RATLS_RUNTIME_EVENT_TYPE)
			continue;
		while (next < legacy->event_count && !found) {
			const struct ratls_tdx_event *l = &legacy->events[next++];

			found = l->imr == e->imr && l->event_type == e->event_type &&
				l->digest_size == e->digest_size &&
				(e->digest_size == 0 || memcmp(l->digest, e->digest, e->digest_size) == 0);
		}
		if (!found) {
			rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					"event_log[%zu] of 1.3.6.1.4.1.62397.1.8 (imr %u, type 0x%08x) "
					"is not in the event log of 1.3.6.1.4.1.62397.1.2",
					i, e->imr, e->event_type);
			goto out;
		}
	}

	/*
	 * Clients before dstack v0.5.9 replay the legacy log, so it must replay
	 * to the quote on its own too: a boot log with invented digests would
	 * otherwise ride along next to a correct .1.8.
	 */
	rc = ratls_evidence_replay(legacy, &replay, &replay_detail);
	if (rc != RATLS_OK) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the event log of 1.3.6.1.4.1.62397.1.2 does not replay to the quote: "
				"%s",
				replay_detail.message);
		goto out;
	}
	rc = RATLS_OK;
out:
	ratls_evidence_free(legacy);
	return rc;
}

/*
 * Parses the .1.2 event log of a legacy certificate. A log that does not
 * parse is recorded in ev->event_log_failure instead of failing the decode,
 * so the quote and key stay available for DCAP and the key binding (some
 * dstack certificates of 2024 carry placeholder text there), and
 * ratls_evidence_replay then fails with that error.
 */
static int attach_legacy_event_log(struct ratls_evidence *ev,
				   const struct ratls_cert_extensions *ext,
				   struct ratls_detail *detail)
{
	struct ratls_detail log_detail = {0};
	int rc = ratls_evidence_attach_event_log(ev, ext->event_log, ext->event_log_size,
						 &log_detail);

	if (rc == RATLS_OK)
		return RATLS_OK;
	if (rc == RATLS_ERR_NO_MEMORY || rc == RATLS_ERR_INTERNAL)
		return ratls_fail(detail, rc, "%s", log_detail.message);
	ev->event_log_failure = log_detail;
	return RATLS_OK;
}

int ratls_evidence_from_cert(const uint8_t *cert, size_t size, struct ratls_evidence **out,
			     struct ratls_detail *detail)
{
	struct ratls_cert_extensions ext;
	struct ratls_evidence *ev = NULL;
	int rc = RATLS_ERR_INTERNAL;

	memset(&ext, 0, sizeof(ext));
	if (out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_from_cert: out is NULL");
	*out = NULL;
	if ((rc = ratls_evidence_read_extensions(cert, size, &ext, detail)) != RATLS_OK)
		goto out;

	/* dstack's own reader prefers .1.8 and falls back to .1.1 + .1.2 only without it. */
	if (ext.attestation != NULL) {
		rc = ratls_evidence_from_attestation(ext.attestation, ext.attestation_size, &ev,
						     detail);
		if (rc != RATLS_OK)
			goto out;
		if (ext.quote != NULL || ext.event_log != NULL) {
			if ((rc = cross_check_legacy(ev, &ext, detail)) != RATLS_OK)
				goto out;
			ev->legacy_cross_checked = true;
		}
	} else {
		rc = ratls_evidence_from_quote(ext.quote, ext.quote_size, NULL, 0, NULL, 0, &ev,
					       detail);
		if (rc != RATLS_OK)
			goto out;
		if ((rc = attach_legacy_event_log(ev, &ext, detail)) != RATLS_OK)
			goto out;
	}

	ev->from_cert = true;
	ev->cert = ext;
	memset(&ext, 0, sizeof(ext)); /* ownership moved to ev->cert */
	if (ev->cert.app_info != NULL) {
		rc = ratls_evidence_decode_app_info(ev->cert.app_info, ev->cert.app_info_size,
						    &ev->app_info, detail);
		if (rc != RATLS_OK)
			goto out;
		ev->has_app_info = true;
	}

	*out = ev;
	ev = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_evidence_free(ev);
	ratls_evidence_clear_extensions(&ext);
	return rc;
}
