/*
 * Key binding of dstack RA-TLS: the quote's REPORTDATA must be
 * SHA-512("ratls-cert:" || DER SubjectPublicKeyInfo of the certificate key)
 * (dstack-attest QuoteContentType::RaTlsCert), which ties the quote to the
 * TLS key so a captured quote cannot be replayed with another key.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/der.h"
#include "base/fail.h"
#include "evidence_internal.h"

#define DER_BIT_STRING 0x03

static int sha512_parts(const void *a, size_t a_size, const void *b, size_t b_size,
			uint8_t out[RATLS_REPORT_DATA_SIZE], struct ratls_detail *detail)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (ctx == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot allocate a digest context");
	if (EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, a_size) != 1 || EVP_DigestUpdate(ctx, b, b_size) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "SHA-512 failed");
		goto out;
	}
	rc = RATLS_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ratls_evidence_compute_report_data(const uint8_t *spki_der, size_t spki_size,
				       uint8_t out[RATLS_REPORT_DATA_SIZE],
				       struct ratls_detail *detail)
{
	static const char tag[] = "ratls-cert:";

	if (spki_der == NULL || spki_size == 0 || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the SubjectPublicKeyInfo is empty; the key binding needs the "
				  "certificate's DER public key");
	return sha512_parts(tag, sizeof(tag) - 1, spki_der, spki_size, out, detail);
}

/* True when report_data is SHA-512 of the raw public key (the BIT STRING contents of the SPKI). */
static bool binds_raw_point(const uint8_t *spki_der, size_t spki_size,
			    const uint8_t report_data[RATLS_REPORT_DATA_SIZE])
{
	struct ratls_reader r;
	struct ratls_reader spki;
	struct ratls_reader alg;
	struct ratls_reader bits;
	const uint8_t *point = NULL;
	uint8_t unused = 0xff;
	uint8_t digest[RATLS_REPORT_DATA_SIZE];
	size_t point_size;

	ratls_reader_init(&r, spki_der, spki_size);
	if (ratls_der_expect(&r, RATLS_DER_SEQUENCE, &spki) != RATLS_OK ||
	    ratls_der_expect(&spki, RATLS_DER_SEQUENCE, &alg) != RATLS_OK ||
	    ratls_der_expect(&spki, DER_BIT_STRING, &bits) != RATLS_OK ||
	    ratls_reader_u8(&bits, &unused) != RATLS_OK || unused != 0)
		return false;
	point_size = ratls_reader_remaining(&bits);
	if (ratls_reader_bytes(&bits, point_size, &point) != RATLS_OK ||
	    sha512_parts(point, point_size, "", 0, digest, NULL) != RATLS_OK)
		return false;
	return CRYPTO_memcmp(digest, report_data, sizeof(digest)) == 0;
}

/* Returns the length of the printable ASCII text that fills report_data up to NUL padding, or 0. */
static size_t ascii_text_length(const uint8_t report_data[RATLS_REPORT_DATA_SIZE])
{
	size_t len = 0;

	while (len < RATLS_REPORT_DATA_SIZE && report_data[len] != 0) {
		uint8_t c = report_data[len];

		if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r')
			return 0;
		len++;
	}
	for (size_t i = len; i < RATLS_REPORT_DATA_SIZE; i++) {
		if (report_data[i] != 0)
			return 0;
	}
	return len >= 4 ? len : 0;
}

/* Writes a hint about what report_data contains instead of the binding, or "". */
static void describe_report_data(const uint8_t *spki_der, size_t spki_size,
				 const uint8_t report_data[RATLS_REPORT_DATA_SIZE], char *out,
				 size_t out_size)
{
	size_t text = ascii_text_length(report_data);

	out[0] = '\0';
	if (binds_raw_point(spki_der, spki_size, report_data)) {
		snprintf(out, out_size,
			 " It is SHA-512 of the raw EC point, the binding of older dstack "
			 "releases (certificates from 2024), which omits the key algorithm.");
	} else if (text != 0) {
		char shown[41];
		size_t n = text < 32 ? text : 32;

		for (size_t i = 0; i < n; i++)
			shown[i] = report_data[i] >= 0x20 ? (char)report_data[i] : ' ';
		shown[n] = '\0';
		snprintf(out, out_size, " It is ASCII text (\"%s%s\"), not a hash of any key.", shown,
			 text > n ? "..." : "");
	}
}

int ratls_evidence_check_binding(const uint8_t *spki_der, size_t spki_size,
				 const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
				 struct ratls_detail *detail)
{
	uint8_t expected[RATLS_REPORT_DATA_SIZE];
	char seen_hex[40];
	char expected_hex[40];
	char hint[160];
	int rc;

	if (report_data == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "report_data is NULL");
	rc = ratls_evidence_compute_report_data(spki_der, spki_size, expected, detail);
	if (rc != RATLS_OK)
		return rc;
	if (CRYPTO_memcmp(expected, report_data, sizeof(expected)) == 0)
		return RATLS_OK;

	ratls_evidence_hex_short(report_data, RATLS_REPORT_DATA_SIZE, seen_hex, sizeof(seen_hex));
	ratls_evidence_hex_short(expected, sizeof(expected), expected_hex, sizeof(expected_hex));
	describe_report_data(spki_der, spki_size, report_data, hint, sizeof(hint));
	return ratls_fail(detail, RATLS_ERR_KEY_BINDING,
			  "the quote is not bound to the certificate key: report_data is %s, "
			  "expected SHA-512(\"ratls-cert:\" || SubjectPublicKeyInfo) = %s.%s Reject "
			  "this peer; a certificate from a current dstack guest agent carries the "
			  "binding",
			  seen_hex, expected_hex, hint);
}

int ratls_evidence_check_cert_binding(const struct ratls_evidence *ev, struct ratls_detail *detail)
{
	if (ev == NULL || !ev->from_cert || ev->cert.spki == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the evidence was not decoded from a certificate, so there is no "
				  "key to check the binding against");
	/* ratls_evidence_finish already required the envelope's report_data to equal this one. */
	return ratls_evidence_check_binding(ev->cert.spki, ev->cert.spki_size,
					    ev->parsed_quote.td.report_data, detail);
}
