/*
 * Certificates, CRLs and validity windows through OpenSSL. Path validation
 * is OpenSSL's X509_verify_cert; time is checked separately against a window
 * so that a prepared context can be reused at other times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/timeutil.h"
#include "dcap_internal.h"

/*
 * Public key of the Intel SGX Root CA (CN=Intel SGX Root CA, serial
 * 22650cd65a9d3489f383b49552bf501b392706ac, valid 2018-05-21 to 2049-12-31),
 * the uncompressed P-256 point. Intel publishes the certificate at
 * https://certificates.trustedservices.intel.com/IntelSGXRootCA.der.
 */
static const uint8_t intel_root_point[65] = {
	0x04, 0x0b, 0xa9, 0xc4, 0xc0, 0xc0, 0xc8, 0x61, 0x93, 0xa3, 0xfe, 0x23, 0xd6,
	0xb0, 0x2c, 0xda, 0x10, 0xa8, 0xbb, 0xd4, 0xe8, 0x8e, 0x48, 0xb4, 0x45, 0x85,
	0x61, 0xa3, 0x6e, 0x70, 0x55, 0x25, 0xf5, 0x67, 0x91, 0x8e, 0x2e, 0xdc, 0x88,
	0xe4, 0x0d, 0x86, 0x0b, 0xd0, 0xcc, 0x4e, 0xe2, 0x6a, 0xac, 0xc9, 0x88, 0xe5,
	0x05, 0xa9, 0x53, 0x55, 0x8c, 0x45, 0x3f, 0x6b, 0x09, 0x04, 0xae, 0x73, 0x94,
};

/* SHA-256 of the DER of that certificate. */
static const uint8_t intel_root_cert_sha256[32] = {
	0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
	0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

void ratls_window_init(struct ratls_window *w)
{
	w->from = INT64_MIN;
	w->until = INT64_MAX;
	w->from_source[0] = '\0';
	w->until_source[0] = '\0';
}

void ratls_window_add(struct ratls_window *w, int64_t from, int64_t until, const char *what)
{
	if (from > w->from) {
		w->from = from;
		snprintf(w->from_source, sizeof(w->from_source), "%s", what);
	}
	if (until < w->until) {
		w->until = until;
		snprintf(w->until_source, sizeof(w->until_source), "%s", what);
	}
}

void ratls_window_merge(struct ratls_window *w, const struct ratls_window *other)
{
	if (other->from > w->from) {
		w->from = other->from;
		memcpy(w->from_source, other->from_source, sizeof(w->from_source));
	}
	if (other->until < w->until) {
		w->until = other->until;
		memcpy(w->until_source, other->until_source, sizeof(w->until_source));
	}
}

int ratls_window_check(const struct ratls_window *w, int64_t now, struct ratls_detail *detail)
{
	char t_now[RATLS_TIME_TEXT_SIZE], t_edge[RATLS_TIME_TEXT_SIZE];

	ratls_time_format(now, t_now);
	if (now < w->from) {
		ratls_time_format(w->from, t_edge);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_NOT_YET_VALID,
				  "%s starts at %s, after the verification time %s; check the clock "
				  "or verify at a later time",
				  w->from_source, t_edge, t_now);
	}
	if (now > w->until) {
		ratls_time_format(w->until, t_edge);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_EXPIRED,
				  "%s expired at %s, before the verification time %s; fetch fresh "
				  "collateral",
				  w->until_source, t_edge, t_now);
	}
	return RATLS_OK;
}

int ratls_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return RATLS_ERR_MALFORMED;
	*out = ratls_time_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				     tm.tm_hour, tm.tm_min, tm.tm_sec);
	return RATLS_OK;
}

int ratls_window_add_cert(struct ratls_window *w, X509 *cert, const char *what,
			  struct ratls_detail *detail)
{
	int64_t nb = 0, na = 0;
	char label[64];
	char cn[48];

	if (ratls_asn1_time_to_unix(X509_get0_notBefore(cert), &nb) != RATLS_OK ||
	    ratls_asn1_time_to_unix(X509_get0_notAfter(cert), &na) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s: a certificate has an unreadable validity time", what);
	ratls_x509_name_cn(X509_get_subject_name(cert), cn, sizeof(cn));
	snprintf(label, sizeof(label), "certificate \"%s\"", cn);
	ratls_window_add(w, nb, na, label);
	return RATLS_OK;
}

void ratls_x509_name_cn(const X509_NAME *name, char *buf, size_t size)
{
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s;
	int len;

	buf[0] = '\0';
	if (idx < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	len = ASN1_STRING_length(s);
	if (len < 0)
		return;
	if ((size_t)len >= size)
		len = (int)size - 1;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)len);
	buf[len] = '\0';
	for (int i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?'; /* keep detail messages printable */
	}
}

void ratls_pem_certs_free(struct ratls_pem_cert *certs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(certs[i].der);
		certs[i].der = NULL;
	}
}

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

static const char *find_text(const char *hay, size_t hay_size, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= hay_size; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	}
	return NULL;
}

int ratls_pem_certs_split(const char *pem, size_t size, struct ratls_pem_cert *out, size_t *count,
			  const char *what, struct ratls_detail *detail)
{
	size_t n = 0;
	size_t pos = 0;
	int rc;

	while (pos < size) {
		const char *begin = find_text(pem + pos, size - pos, pem_begin);
		const char *body, *end;

		if (begin == NULL)
			break;
		body = begin + sizeof(pem_begin) - 1;
		end = find_text(body, size - (size_t)(body - pem), pem_end);
		if (end == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"%s: PEM certificate %zu has no END line", what, n + 1);
			goto fail;
		}
		if (n == RATLS_CHAIN_MAX_CERTS) {
			rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					"%s has more than %d certificates", what,
					RATLS_CHAIN_MAX_CERTS);
			goto fail;
		}
		rc = ratls_base64_decode_alloc(body, (size_t)(end - body), &out[n].der,
					       &out[n].der_size);
		if (rc != RATLS_OK) {
			rc = ratls_fail(detail, rc == RATLS_ERR_NO_MEMORY ? rc : RATLS_ERR_MALFORMED,
					"%s: PEM certificate %zu is not valid base64", what, n + 1);
			goto fail;
		}
		n++;
		pos = (size_t)(end - pem) + sizeof(pem_end) - 1;
	}
	if (n == 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s contains no PEM certificate (\"%s\")", what, pem_begin);
	*count = n;
	return RATLS_OK;

fail:
	ratls_pem_certs_free(out, n);
	return rc;
}

int ratls_x509_from_der(const uint8_t *der, size_t size, X509 **out, const char *what,
			struct ratls_detail *detail)
{
	const unsigned char *p = der;
	X509 *x;

	if (size > LONG_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED, "%s is too large", what);
	x = d2i_X509(NULL, &p, (long)size);
	if (x == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_MALFORMED, "%s is not a DER certificate",
				       what);
	if (p != der + size) {
		X509_free(x);
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "%s has %zu bytes after the certificate", what,
				  (size_t)(der + size - p));
	}
	*out = x;
	return RATLS_OK;
}

int ratls_crl_from_der(const uint8_t *der, size_t size, X509_CRL **out, const char *what,
		       struct ratls_detail *detail)
{
	const unsigned char *p = der;
	X509_CRL *crl;

	if (der == NULL || size == 0)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "%s is missing; supply it with the collateral", what);
	if (size > LONG_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED, "%s is too large", what);
	crl = d2i_X509_CRL(NULL, &p, (long)size);
	if (crl == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_CRL_INVALID, "%s is not a DER CRL", what);
	if (p != der + size) {
		X509_CRL_free(crl);
		return ratls_fail(detail, RATLS_ERR_CRL_INVALID,
				  "%s has %zu bytes after the CRL", what, (size_t)(der + size - p));
	}
	if (X509_CRL_get_version(crl) != 1 || X509_CRL_get0_nextUpdate(crl) == NULL) {
		X509_CRL_free(crl);
		return ratls_fail(detail, RATLS_ERR_CRL_INVALID,
				  "%s must be a version 2 CRL with a nextUpdate time", what);
	}
	/* Intel's QVL requires both extensions on PCK and root CA CRLs (PckCrlVerifier). */
	if (X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) < 0 ||
	    X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1) < 0) {
		X509_CRL_free(crl);
		return ratls_fail(detail, RATLS_ERR_CRL_INVALID,
				  "%s lacks the CRL number or authority key identifier extension "
				  "that Intel's CRLs carry",
				  what);
	}
	*out = crl;
	return RATLS_OK;
}

void ratls_cert_pool_cleanup(struct ratls_cert_pool *pool)
{
	for (size_t i = 0; i < pool->count; i++)
		X509_free(pool->entries[i].cert);
	pool->count = 0;
}

/* Returns a new reference to the certificate with this DER, decoding each DER once while the pool has room. */
static int pool_get(struct ratls_cert_pool *pool, const struct ratls_pem_cert *pc, X509 **out,
		    const char *what, struct ratls_detail *detail)
{
	uint8_t digest[32];
	X509 *x = NULL;
	int rc;

	if (pool == NULL)
		return ratls_x509_from_der(pc->der, pc->der_size, out, what, detail);
	SHA256(pc->der, pc->der_size, digest);
	for (size_t i = 0; i < pool->count; i++) {
		if (memcmp(pool->entries[i].der_sha256, digest, 32) == 0) {
			X509_up_ref(pool->entries[i].cert);
			*out = pool->entries[i].cert;
			return RATLS_OK;
		}
	}
	if ((rc = ratls_x509_from_der(pc->der, pc->der_size, &x, what, detail)) != RATLS_OK)
		return rc;
	if (pool->count < RATLS_CERT_POOL_MAX) {
		memcpy(pool->entries[pool->count].der_sha256, digest, 32);
		pool->entries[pool->count].cert = x;
		pool->count++;
		X509_up_ref(x);
	}
	*out = x;
	return RATLS_OK;
}

int ratls_x509_chain_from_pem(struct ratls_cert_pool *pool, const char *pem, size_t size,
			      STACK_OF(X509) **out, const char *what, struct ratls_detail *detail)
{
	struct ratls_pem_cert certs[RATLS_CHAIN_MAX_CERTS];
	STACK_OF(X509) *chain = NULL;
	size_t count = 0;
	int rc;

	if (pem == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "%s is missing; supply it with the collateral", what);
	if ((rc = ratls_pem_certs_split(pem, size, certs, &count, what, detail)) != RATLS_OK)
		return rc;

	chain = sk_X509_new_null();
	if (chain == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		X509 *x = NULL;

		if ((rc = pool_get(pool, &certs[i], &x, what, detail)) != RATLS_OK)
			goto out;
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	*out = chain;
	chain = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	sk_X509_pop_free(chain, X509_free);
	ratls_pem_certs_free(certs, count);
	return rc;
}

static bool key_is_intel_root(EVP_PKEY *key)
{
	uint8_t point[65];
	size_t len = 0;

	if (key == NULL ||
	    EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", point, sizeof(point), &len) != 1) {
		ERR_clear_error();
		return false;
	}
	return len == sizeof(intel_root_point) && memcmp(point, intel_root_point, len) == 0;
}

static bool cert_is_known_intel_root(X509 *x)
{
	unsigned char *der = NULL;
	uint8_t digest[32];
	int len = i2d_X509(x, &der);
	bool known;

	if (len <= 0)
		return false;
	SHA256(der, (size_t)len, digest);
	OPENSSL_free(der);
	known = memcmp(digest, intel_root_cert_sha256, 32) == 0;
	return known;
}

int ratls_anchor_init(struct ratls_anchor *anchor, const struct ratls_dcap_options *options,
		      STACK_OF(X509) *chain, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;

	memset(anchor, 0, sizeof(*anchor));

	if (options != NULL && options->trust_root_der != NULL) {
		rc = ratls_x509_from_der(options->trust_root_der, options->trust_root_der_size,
					 &anchor->cert, "trust root", detail);
		if (rc != RATLS_OK)
			return rc;
		anchor->custom = true;
		if (X509_verify(anchor->cert, X509_get0_pubkey(anchor->cert)) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_UNTRUSTED_ROOT,
					     "trust root is not self-signed by its own key; pass the "
					     "root CA certificate itself");
			goto out;
		}
	} else {
		int n = chain != NULL ? sk_X509_num(chain) : 0;
		bool self_signature_needed = true;

		for (int i = n - 1; i >= 0 && anchor->cert == NULL; i--) {
			X509 *x = sk_X509_value(chain, i);

			if (key_is_intel_root(X509_get0_pubkey(x))) {
				anchor->cert = x;
				X509_up_ref(x);
				self_signature_needed = !cert_is_known_intel_root(x);
			}
		}
		if (anchor->cert == NULL) {
			char cn[64] = "";

			if (n > 0)
				ratls_x509_name_cn(X509_get_issuer_name(sk_X509_value(chain, n - 1)),
						   cn, sizeof(cn));
			return ratls_fail(detail, RATLS_ERR_UNTRUSTED_ROOT,
					  "the TCB info issuer chain ends at \"%s\", whose key is "
					  "not the pinned Intel SGX Root CA key; to trust a test "
					  "root, pass it as the trust root",
					  cn);
		}
		/*
		 * A certificate that carries Intel's root key but is not the
		 * published root must prove with its self-signature that Intel
		 * issued every field of it.
		 */
		if (self_signature_needed && X509_verify(anchor->cert, X509_get0_pubkey(anchor->cert)) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_UNTRUSTED_ROOT,
					     "a certificate carries the Intel SGX Root CA key but is "
					     "not signed by it");
			goto out;
		}
	}

	anchor->key = X509_get0_pubkey(anchor->cert);
	if (anchor->key == NULL || !EVP_PKEY_up_ref(anchor->key)) {
		anchor->key = NULL;
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED, "trust root has no usable key");
		goto out;
	}
	anchor->store = X509_STORE_new();
	if (anchor->store == NULL || X509_STORE_add_cert(anchor->store, anchor->cert) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting up the trust store");
		goto out;
	}
	X509_STORE_set_flags(anchor->store, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
	rc = RATLS_OK;

out:
	if (rc != RATLS_OK)
		ratls_anchor_cleanup(anchor);
	return rc;
}

void ratls_anchor_cleanup(struct ratls_anchor *anchor)
{
	X509_STORE_free(anchor->store);
	X509_free(anchor->cert);
	EVP_PKEY_free(anchor->key);
	anchor->store = NULL;
	anchor->cert = NULL;
	anchor->key = NULL;
}

static int map_verify_error(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return RATLS_ERR_UNTRUSTED_ROOT;
	default:
		return RATLS_ERR_CHAIN_INVALID;
	}
}

int ratls_chain_verify(const struct ratls_anchor *anchor, STACK_OF(X509) *chain, bool leaf_is_ca,
		       const char *what, struct ratls_window *window, STACK_OF(X509) **path,
		       struct ratls_detail *detail)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *verified;
	X509 *leaf;
	int rc = RATLS_ERR_INTERNAL;

	if (sk_X509_num(chain) < 1)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is empty", what);
	leaf = sk_X509_value(chain, 0);

	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, anchor->store, leaf, chain) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "%s: setting up path validation",
				     what);
		goto out;
	}

	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		char cn[64] = "";

		if (bad != NULL)
			ratls_x509_name_cn(X509_get_subject_name(bad), cn, sizeof(cn));
		ERR_clear_error();
		rc = ratls_fail(detail, map_verify_error(err),
				"%s: certificate \"%s\" at depth %d failed path validation: %s", what,
				cn, depth, X509_verify_cert_error_string(err));
		goto out;
	}

	if ((X509_check_ca(leaf) != 0) != leaf_is_ca) {
		char cn[64];

		ratls_x509_name_cn(X509_get_subject_name(leaf), cn, sizeof(cn));
		rc = ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				leaf_is_ca ? "%s: first certificate \"%s\" is not a CA certificate"
					   : "%s: leaf certificate \"%s\" is a CA certificate; a "
					     "signing leaf must be an end-entity certificate",
				what, cn);
		goto out;
	}

	verified = X509_STORE_CTX_get0_chain(ctx);
	for (int i = 0; i < sk_X509_num(verified); i++) {
		rc = ratls_window_add_cert(window, sk_X509_value(verified, i), what, detail);
		if (rc != RATLS_OK)
			goto out;
	}
	if (path != NULL) {
		*path = X509_STORE_CTX_get1_chain(ctx);
		if (*path == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	rc = RATLS_OK;

out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

int ratls_check_revocation(STACK_OF(X509) *path, X509_CRL *const *crls, size_t crl_count,
			   const char *what, struct ratls_detail *detail)
{
	int n = sk_X509_num(path);

	/* The last certificate is the anchor; the root CA CRL covers it separately. */
	for (int i = 0; i < n - 1; i++) {
		X509 *cert = sk_X509_value(path, i);
		X509_CRL *crl = NULL;
		X509_REVOKED *entry = NULL;
		char cn[64];

		for (size_t j = 0; j < crl_count && crl == NULL; j++) {
			if (X509_NAME_cmp(X509_CRL_get_issuer(crls[j]), X509_get_issuer_name(cert)) == 0)
				crl = crls[j];
		}
		ratls_x509_name_cn(X509_get_subject_name(cert), cn, sizeof(cn));
		if (crl == NULL) {
			char issuer[64];

			if (crl_count == 0)
				continue;
			ratls_x509_name_cn(X509_get_issuer_name(cert), issuer, sizeof(issuer));
			return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
					  "%s: no CRL issued by \"%s\" to check certificate \"%s\"; "
					  "supply that CA's CRL",
					  what, issuer, cn);
		}
		if (X509_CRL_get0_by_cert(crl, &entry, cert) == 1)
			return ratls_fail(detail, RATLS_ERR_CERT_REVOKED,
					  "%s: certificate \"%s\" is revoked by its issuer's CRL", what,
					  cn);
	}
	return RATLS_OK;
}
