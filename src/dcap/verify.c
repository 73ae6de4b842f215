/*
 * The DCAP verification pipeline: collateral checks (once per context) and
 * quote checks (once per quote).
 *
 * Order of the quote checks, each failing closed:
 *  1. parse the quote; QE vendor, TEE type and collateral kinds agree;
 *  2. PCK certificate chain to the trusted root, with both CRLs;
 *  3. every validity window (collateral and PCK chain) contains now;
 *  4. QE report signature by the PCK key, QE report data binds the
 *     attestation key, quote signature by the attestation key;
 *  5. QE identity; FMSPC and PCE-ID of the PCK certificate match the TCB info;
 *  6. platform TCB level, TDX module identity, status convergence.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "dcap_internal.h"

/* Intel's QE vendor ID, 939A7233-F79C-4CA9-940A-0DB3957F0607. */
static const uint8_t intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* DER content of OID 1.2.840.113741.1.13.1, the PCK certificate's SGX extension. */
static const uint8_t sgx_extension_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* A PCK CA certificate verified to the root when the context was built. */
struct verified_ca {
	uint8_t der_sha256[32];
	X509 *cert;
	struct ratls_window window;
};

/*
 * PCK chains already verified with this context, keyed by the SHA-256 of the
 * chain's PEM text. A platform presents the same chain in every quote. The
 * verdict on a chain depends only on its bytes and on the context's CRLs and
 * anchor, which never change. Time is still checked on every call against the
 * stored window.
 */
#define RATLS_PCK_CACHE_SIZE 32

struct pck_cache_entry {
	bool used;
	uint8_t pem_sha256[32];
	X509 *leaf;
	struct ratls_pck_info pck;
	struct ratls_window window;
	bool platform_ca;
};

struct pck_cache {
	pthread_mutex_t lock;
	struct pck_cache_entry entries[RATLS_PCK_CACHE_SIZE];
	size_t next; /* slot replaced next, round robin */
};

struct ratls_dcap_context {
	struct ratls_cert_pool pool;
	struct ratls_anchor anchor;
	struct ratls_tcb_info *tcb_info;
	const struct ratls_tcb_level **sorted_levels;
	struct ratls_qe_identity *qe_identity;
	X509_CRL *root_crl;
	X509_CRL *pck_crl;
	/* The PCK CRL's issuer, verified together with the CRL's signature; NULL when unknown. */
	struct verified_ca pck_ca;
	bool pck_crl_verified;
	char *pck_chain; /* collateral override of the quote's PCK chain */
	struct ratls_window window;
	struct pck_cache pck_cache;
};

/*
 * Checks the TCB signing certificate as Intel's QVL does (TCBSigningChain):
 * its name, whatever the trust root, and that the root issued it directly.
 * It must also be allowed to sign (RFC 5280 key usage).
 */
static int check_signing_cert(STACK_OF(X509) *path, const char *what,
			      struct ratls_detail *detail)
{
	X509 *cert = sk_X509_value(path, 0);
	char cn[64];

	ratls_x509_name_cn(X509_get_subject_name(cert), cn, sizeof(cn));
	if (strcmp(cn, "Intel SGX TCB Signing") != 0)
		return ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				  "%s is signed by \"%s\"; Intel signs it with \"Intel SGX TCB "
				  "Signing\"",
				  what, cn);
	if (sk_X509_num(path) != 2)
		return ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				  "%s has %d certificates up to the root; the TCB signing "
				  "certificate is issued by the root directly",
				  what, sk_X509_num(path));
	if (!(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE))
		return ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				  "%s: the signing certificate's key usage lacks digitalSignature",
				  what);
	return RATLS_OK;
}

/*
 * Verifies the issuer chain of a TCB info or QE identity to the anchor
 * (revocation checked against crls) and the document's signature over the
 * bytes as received. chain is parsed already; the anchor may come from it.
 */
static int check_signed_json(const struct ratls_anchor *anchor, const struct ratls_signed_json *sj,
			     STACK_OF(X509) *chain, bool chain_checked, X509_CRL *const *crls,
			     size_t crl_count, const char *what, struct ratls_window *window,
			     struct ratls_detail *detail)
{
	STACK_OF(X509) *path = NULL;
	char chain_what[64];
	EVP_PKEY *key;
	int rc;

	if (sj->body == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "%s is missing; supply it with the collateral", what);
	snprintf(chain_what, sizeof(chain_what), "%s issuer chain", what);

	key = X509_get0_pubkey(sk_X509_value(chain, 0));
	if (key == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_CHAIN_INVALID,
				       "%s signing certificate has no usable key", what);
	rc = ratls_ecdsa_verify_raw(key, sj->body, sj->body_size, sj->signature,
				    RATLS_ERR_COLLATERAL_SIGNATURE, what, detail);
	if (rc != RATLS_OK || chain_checked)
		return rc;

	if ((rc = ratls_chain_verify(anchor, chain, false, chain_what, window, &path, detail)) !=
	    RATLS_OK)
		return rc;
	rc = check_signing_cert(path, chain_what, detail);
	if (rc == RATLS_OK)
		rc = ratls_check_revocation(path, crls, crl_count, chain_what, detail);
	sk_X509_pop_free(path, X509_free);
	return rc;
}

static int add_crl_window(struct ratls_window *w, X509_CRL *crl, const char *what,
			  struct ratls_detail *detail)
{
	int64_t tu = 0, nu = 0;

	if (ratls_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), &tu) != RATLS_OK ||
	    ratls_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), &nu) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_CRL_INVALID, "%s has an unreadable update time",
				  what);
	ratls_window_add(w, tu, nu, what);
	return RATLS_OK;
}

/* The root CA CRL must be issued and signed by the anchor and must not list it. */
static int check_root_crl(const struct ratls_anchor *anchor, X509_CRL *root_crl,
			  struct ratls_window *window, struct ratls_detail *detail)
{
	X509_REVOKED *entry = NULL;

	if (X509_NAME_cmp(X509_CRL_get_issuer(root_crl), X509_get_subject_name(anchor->cert)) != 0)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "root CA CRL is not issued by the trusted root; supply the root "
				  "CA's own CRL");
	if (X509_CRL_verify(root_crl, anchor->key) != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_COLLATERAL_SIGNATURE,
				       "root CA CRL signature does not verify with the trusted root's "
				       "key; the CRL is corrupt, or the collateral comes from another "
				       "root with the same name");
	if (X509_CRL_get0_by_cert(root_crl, &entry, anchor->cert) == 1)
		return ratls_fail(detail, RATLS_ERR_CERT_REVOKED,
				  "the root CA CRL revokes the trusted root itself");
	return add_crl_window(window, root_crl, "root CA CRL", detail);
}

static int der_sha256_of(X509 *x, uint8_t out[32])
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	if (len <= 0)
		return RATLS_ERR_NO_MEMORY;
	SHA256(der, (size_t)len, out);
	OPENSSL_free(der);
	return RATLS_OK;
}

/*
 * Verifies the PCK CRL's issuer chain and the CRL's signature once, and keeps
 * the issuing CA so quotes whose chain carries that CA need not repeat it.
 */
static int check_pck_crl(struct ratls_dcap_context *ctx, const struct ratls_collateral *coll,
			 struct ratls_detail *detail)
{
	STACK_OF(X509) *chain = NULL;
	STACK_OF(X509) *path = NULL;
	X509 *ca;
	int rc;

	if ((rc = add_crl_window(&ctx->window, ctx->pck_crl, "PCK CRL", detail)) != RATLS_OK)
		return rc;
	if (coll->pck_crl_chain == NULL)
		return RATLS_OK; /* checked per quote against the quote's chain instead */

	rc = ratls_x509_chain_from_pem(&ctx->pool, coll->pck_crl_chain, strlen(coll->pck_crl_chain),
				       &chain, "PCK CRL issuer chain", detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_window_init(&ctx->pck_ca.window);
	rc = ratls_chain_verify(&ctx->anchor, chain, true, "PCK CRL issuer chain", &ctx->pck_ca.window,
				&path, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = ratls_check_revocation(path, &ctx->root_crl, 1, "PCK CRL issuer chain", detail)) !=
	    RATLS_OK)
		goto out;
	ca = sk_X509_value(chain, 0);
	if (X509_NAME_cmp(X509_CRL_get_issuer(ctx->pck_crl), X509_get_subject_name(ca)) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				"PCK CRL is not issued by the first certificate of its issuer chain");
		goto out;
	}
	if (X509_CRL_verify(ctx->pck_crl, X509_get0_pubkey(ca)) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_COLLATERAL_SIGNATURE,
				     "PCK CRL signature does not verify with its issuer's key");
		goto out;
	}
	if ((rc = der_sha256_of(ca, ctx->pck_ca.der_sha256)) != RATLS_OK) {
		rc = ratls_fail(detail, rc, "out of memory");
		goto out;
	}
	ctx->pck_ca.cert = ca;
	X509_up_ref(ca);
	ctx->pck_crl_verified = true;
	rc = RATLS_OK;

out:
	sk_X509_pop_free(path, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

void ratls_dcap_context_free(struct ratls_dcap_context *ctx)
{
	if (ctx == NULL)
		return;
	ratls_anchor_cleanup(&ctx->anchor);
	ratls_cert_pool_cleanup(&ctx->pool);
	ratls_tcb_info_free(ctx->tcb_info);
	free(ctx->sorted_levels);
	ratls_qe_identity_free(ctx->qe_identity);
	X509_CRL_free(ctx->root_crl);
	X509_CRL_free(ctx->pck_crl);
	X509_free(ctx->pck_ca.cert);
	free(ctx->pck_chain);
	for (size_t i = 0; i < RATLS_PCK_CACHE_SIZE; i++)
		X509_free(ctx->pck_cache.entries[i].leaf);
	pthread_mutex_destroy(&ctx->pck_cache.lock);
	free(ctx);
}

static int parse_collateral_json(struct ratls_dcap_context *ctx, const struct ratls_collateral *coll,
				 struct ratls_detail *detail)
{
	int rc;

	rc = ratls_tcb_info_parse(coll->tcb_info.body, coll->tcb_info.body_size, &ctx->tcb_info,
				  detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_window_add(&ctx->window, ctx->tcb_info->issue_date, ctx->tcb_info->next_update,
			 "TCB info");
	if ((rc = ratls_tcb_levels_sort(ctx->tcb_info, &ctx->sorted_levels)) != RATLS_OK)
		return ratls_fail(detail, rc, "out of memory");

	rc = ratls_qe_identity_parse(coll->qe_identity.body, coll->qe_identity.body_size,
				     &ctx->qe_identity, detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_window_add(&ctx->window, ctx->qe_identity->issue_date,
			 ctx->qe_identity->next_update, "QE identity");
	return RATLS_OK;
}

/* Verifies the TCB info and QE identity with their chains, sharing the work when the chains match. */
static int check_identity_documents(struct ratls_dcap_context *ctx,
				    const struct ratls_collateral *coll, STACK_OF(X509) *tcb_chain,
				    struct ratls_detail *detail)
{
	STACK_OF(X509) *qe_chain = NULL;
	bool same_chain;
	int rc;

	rc = check_signed_json(&ctx->anchor, &coll->tcb_info, tcb_chain, false, &ctx->root_crl, 1,
			       "TCB info", &ctx->window, detail);
	if (rc != RATLS_OK)
		return rc;

	if (coll->qe_identity_chain == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "QE identity issuer chain is missing; supply it with the "
				  "collateral");
	same_chain = strcmp(coll->qe_identity_chain, coll->tcb_info_chain) == 0;
	if (same_chain) {
		qe_chain = tcb_chain;
	} else {
		rc = ratls_x509_chain_from_pem(&ctx->pool, coll->qe_identity_chain,
					       strlen(coll->qe_identity_chain), &qe_chain,
					       "QE identity issuer chain", detail);
		if (rc != RATLS_OK)
			return rc;
	}
	rc = check_signed_json(&ctx->anchor, &coll->qe_identity, qe_chain, same_chain,
			       &ctx->root_crl, 1, "QE identity", &ctx->window, detail);
	if (!same_chain)
		sk_X509_pop_free(qe_chain, X509_free);
	return rc;
}

int ratls_dcap_context_new(const struct ratls_collateral *coll,
			   const struct ratls_dcap_options *options, struct ratls_dcap_context **out,
			   struct ratls_detail *detail)
{
	struct ratls_dcap_context *ctx = NULL;
	STACK_OF(X509) *tcb_chain = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (coll == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "collateral is NULL");
	if (coll->tcb_info.body == NULL || coll->qe_identity.body == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "%s is missing; supply it with the collateral",
				  coll->tcb_info.body == NULL ? "TCB info" : "QE identity");
	if (coll->tcb_info_chain == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "TCB info issuer chain is missing; supply it with the collateral");

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	if (pthread_mutex_init(&ctx->pck_cache.lock, NULL) != 0) {
		free(ctx);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "cannot create a mutex");
	}
	ratls_window_init(&ctx->window);

	rc = ratls_x509_chain_from_pem(&ctx->pool, coll->tcb_info_chain, strlen(coll->tcb_info_chain),
				       &tcb_chain, "TCB info issuer chain", detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = ratls_anchor_init(&ctx->anchor, options, tcb_chain, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_crl_from_der(coll->root_crl, coll->root_crl_size, &ctx->root_crl,
				     "root CA CRL", detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_crl_from_der(coll->pck_crl, coll->pck_crl_size, &ctx->pck_crl, "PCK CRL",
				     detail)) != RATLS_OK)
		goto out;
	if ((rc = check_root_crl(&ctx->anchor, ctx->root_crl, &ctx->window, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_identity_documents(ctx, coll, tcb_chain, detail)) != RATLS_OK)
		goto out;
	if ((rc = parse_collateral_json(ctx, coll, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_pck_crl(ctx, coll, detail)) != RATLS_OK)
		goto out;

	if (coll->pck_chain != NULL) {
		ctx->pck_chain = strdup(coll->pck_chain);
		if (ctx->pck_chain == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}

	*out = ctx;
	ctx = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	sk_X509_pop_free(tcb_chain, X509_free);
	ratls_dcap_context_free(ctx);
	return rc;
}

void ratls_dcap_context_validity(const struct ratls_dcap_context *ctx, int64_t *from,
				 int64_t *until)
{
	struct ratls_window w = ctx->window;

	if (ctx->pck_crl_verified)
		ratls_window_merge(&w, &ctx->pck_ca.window);
	*from = w.from;
	*until = w.until;
}

static int check_quote_kind(const struct ratls_dcap_context *ctx, const struct ratls_quote *q,
			    struct ratls_detail *detail)
{
	bool td = ratls_quote_is_td(q);
	const struct ratls_tcb_info *ti = ctx->tcb_info;
	const struct ratls_qe_identity *qe = ctx->qe_identity;

	if (memcmp(q->qe_vendor_id, intel_qe_vendor_id, 16) != 0) {
		char seen[33];

		ratls_hex_encode(q->qe_vendor_id, 16, seen);
		return ratls_fail(detail, RATLS_ERR_UNKNOWN_QE_VENDOR,
				  "quote QE vendor ID %s is not Intel's "
				  "939a7233f79c4ca9940a0db3957f0607",
				  seen);
	}
	if (td && (ti->id != RATLS_TCB_INFO_TDX || ti->version < 3))
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "TDX quote with %s TCB info version %u; fetch the TDX TCB info "
				  "(/tdx/certification/v4/tcb)",
				  ti->id == RATLS_TCB_INFO_TDX ? "TDX" : "SGX", ti->version);
	if (!td && ti->id != RATLS_TCB_INFO_SGX)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "SGX quote with TDX TCB info; fetch the SGX TCB info "
				  "(/sgx/certification/v4/tcb)");
	if (td && qe->id != RATLS_QE_IDENTITY_TD_QE)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "TDX quote with QE identity \"%s\"; fetch the TD_QE identity "
				  "(/tdx/certification/v4/qe/identity)",
				  qe->id_text);
	if (!td && qe->id != RATLS_QE_IDENTITY_QE)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "SGX quote with QE identity \"%s\"; fetch the QE identity "
				  "(/sgx/certification/v4/qe/identity)",
				  qe->id_text);
	if (!q->has_qe_report)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_CERT_DATA,
				  "quote certification data type %u carries no QE report; ECDSA "
				  "quotes carry type 6",
				  q->cert_data_type);
	return RATLS_OK;
}

/* Returns true when the leaf's authority key identifier equals the CA's subject key identifier. */
static bool leaf_names_ca_key(X509 *leaf, X509 *ca)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);

	return aki != NULL && ski != NULL && ASN1_OCTET_STRING_cmp(aki, ski) == 0;
}

/* Verifies the PCK leaf with the CA verified when the context was built. */
static int verify_pck_leaf_fast(const struct ratls_dcap_context *ctx, X509 *leaf,
				struct ratls_window *w, struct ratls_detail *detail)
{
	X509 *ca = ctx->pck_ca.cert;
	X509_REVOKED *entry = NULL;
	int rc;

	if (X509_check_issued(ca, leaf) != X509_V_OK || X509_verify(leaf, X509_get0_pubkey(ca)) != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_CHAIN_INVALID,
				       "PCK certificate is not signed by the PCK CA in its chain");
	if (X509_check_ca(leaf) != 0 || (X509_get_extension_flags(leaf) & EXFLAG_CRITICAL))
		return ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				  "PCK certificate is a CA certificate or has an unknown critical "
				  "extension");
	if (X509_CRL_get0_by_cert(ctx->pck_crl, &entry, leaf) == 1)
		return ratls_fail(detail, RATLS_ERR_CERT_REVOKED,
				  "the PCK CRL revokes the PCK certificate; the platform's key is "
				  "no longer trusted");
	if ((rc = ratls_window_add_cert(w, leaf, "PCK certificate chain", detail)) != RATLS_OK)
		return rc;
	ratls_window_merge(w, &ctx->pck_ca.window);
	return RATLS_OK;
}

/*
 * Full path validation of a PCK chain whose CA was not prepared with the
 * context. The PCK CRL's signature is checked with the CA in the path.
 */
static int verify_pck_chain_full(const struct ratls_dcap_context *ctx, STACK_OF(X509) *chain,
				 struct ratls_window *w, struct ratls_detail *detail)
{
	STACK_OF(X509) *path = NULL;
	X509_CRL *crls[2];
	X509 *ca;
	int rc;

	rc = ratls_chain_verify(&ctx->anchor, chain, false, "PCK certificate chain", w, &path,
				detail);
	if (rc != RATLS_OK)
		return rc;
	if (sk_X509_num(path) < 2) {
		rc = ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				"PCK certificate is the trusted root itself");
		goto out;
	}
	ca = sk_X509_value(path, 1);
	if (!ctx->pck_crl_verified || X509_cmp(ca, ctx->pck_ca.cert) != 0) {
		if (X509_CRL_verify(ctx->pck_crl, X509_get0_pubkey(ca)) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_COLLATERAL_SIGNATURE,
					     "PCK CRL signature does not verify with the key of the "
					     "PCK certificate's issuer");
			goto out;
		}
	}
	crls[0] = ctx->root_crl;
	crls[1] = ctx->pck_crl;
	if ((rc = ratls_check_revocation(path, crls, 2, "PCK certificate chain", detail)) !=
	    RATLS_OK)
		goto out;
	if (X509_get_extension_flags(sk_X509_value(path, 0)) & EXFLAG_CRITICAL)
		rc = ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				"PCK certificate has an unknown critical extension");

out:
	sk_X509_pop_free(path, X509_free);
	return rc;
}

/*
 * Verifies the PCK chain (from the collateral override or the quote) and
 * returns its leaf. Uses the prepared CA when the chain carries it, full path
 * validation otherwise.
 */
static int verify_pck_chain(const struct ratls_dcap_context *ctx, const uint8_t *pem,
			    size_t pem_size, X509 **leaf_out, struct ratls_window *w,
			    bool *platform_ca, struct ratls_detail *detail)
{
	struct ratls_pem_cert certs[RATLS_CHAIN_MAX_CERTS];
	STACK_OF(X509) *chain = NULL;
	size_t count = 0;
	X509 *leaf = NULL;
	char leaf_cn[64], issuer_cn[64];
	int rc;

	rc = ratls_pem_certs_split((const char *)pem, pem_size, certs, &count,
				   "PCK certificate chain", detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_x509_from_der(certs[0].der, certs[0].der_size, &leaf, "PCK certificate",
				      detail)) != RATLS_OK)
		goto out;

	/* The chain starts with the leaf; a CA first means the chain is out of order. */
	if (X509_check_ca(leaf) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
				"the PCK certificate chain starts with a CA certificate; it must "
				"list the PCK certificate first, then its CA, then the root");
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(ctx->pck_crl), X509_get_issuer_name(leaf)) != 0) {
		char crl_cn[64];

		ratls_x509_name_cn(X509_CRL_get_issuer(ctx->pck_crl), crl_cn, sizeof(crl_cn));
		ratls_x509_name_cn(X509_get_issuer_name(leaf), issuer_cn, sizeof(issuer_cn));
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				"PCK CRL is issued by \"%s\" but the PCK certificate by \"%s\"; fetch "
				"the PCK CRL for ca=%s",
				crl_cn, issuer_cn, strstr(issuer_cn, "Processor") ? "processor" : "platform");
		goto out;
	}

	if (ctx->pck_crl_verified && count >= 2) {
		uint8_t digest[32];

		SHA256(certs[1].der, certs[1].der_size, digest);
		/*
		 * The fast path needs the leaf's authority key identifier to name
		 * the prepared CA; any other leaf takes full path validation, so
		 * both paths reject the same chains with the same codes.
		 */
		if (memcmp(digest, ctx->pck_ca.der_sha256, 32) == 0 &&
		    leaf_names_ca_key(leaf, ctx->pck_ca.cert)) {
			rc = verify_pck_leaf_fast(ctx, leaf, w, detail);
			goto names;
		}
	}

	chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, leaf)) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	X509_up_ref(leaf);
	for (size_t i = 1; i < count; i++) {
		X509 *x = NULL;

		if ((rc = ratls_x509_from_der(certs[i].der, certs[i].der_size, &x,
					      "PCK certificate chain", detail)) != RATLS_OK)
			goto out;
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	rc = verify_pck_chain_full(ctx, chain, w, detail);

names:
	if (rc != RATLS_OK)
		goto out;
	ratls_x509_name_cn(X509_get_subject_name(leaf), leaf_cn, sizeof(leaf_cn));
	ratls_x509_name_cn(X509_get_issuer_name(leaf), issuer_cn, sizeof(issuer_cn));
	/* Intel's QVL checks these names whatever the trust root (PckCertVerifier). */
	if (strcmp(leaf_cn, "Intel SGX PCK Certificate") != 0 ||
	    (strcmp(issuer_cn, "Intel SGX PCK Platform CA") != 0 &&
	     strcmp(issuer_cn, "Intel SGX PCK Processor CA") != 0)) {
		rc = ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				"PCK certificate \"%s\" issued by \"%s\" does not have the names "
				"Intel gives PCK certificates",
				leaf_cn, issuer_cn);
		goto out;
	}
	*platform_ca = strstr(issuer_cn, "Platform") != NULL;
	*leaf_out = leaf;
	leaf = NULL; /* ownership moved to the caller */

out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	ratls_pem_certs_free(certs, count);
	return rc;
}

static int read_pck_extension(X509 *leaf, struct ratls_pck_info *pck, struct ratls_detail *detail)
{
	const ASN1_OCTET_STRING *value = NULL;
	int n = X509_get_ext_count(leaf);

	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(leaf, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);

		if (OBJ_length(obj) != sizeof(sgx_extension_oid) ||
		    memcmp(OBJ_get0_data(obj), sgx_extension_oid, sizeof(sgx_extension_oid)) != 0)
			continue;
		if (value != NULL)
			return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
					  "PCK certificate carries the SGX extension twice");
		value = X509_EXTENSION_get_data(ext);
	}
	if (value == NULL)
		return ratls_fail(detail, RATLS_ERR_PCK_CERT_INVALID,
				  "PCK certificate lacks the SGX extension (OID "
				  "1.2.840.113741.1.13.1)");
	return ratls_pck_info_parse(ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value),
				    pck, detail);
}

/* Returns the PEM PCK chain to verify: the collateral's override or the quote's own. */
static int pck_chain_pem(const struct ratls_dcap_context *ctx, const struct ratls_quote *q,
			 const uint8_t **pem, size_t *pem_size, struct ratls_detail *detail)
{
	if (ctx->pck_chain != NULL) {
		*pem = (const uint8_t *)ctx->pck_chain;
		*pem_size = strlen(ctx->pck_chain);
		return RATLS_OK;
	}
	return ratls_quote_pck_chain(q, pem, pem_size, detail);
}

static bool pck_cache_lookup(struct ratls_dcap_context *ctx, const uint8_t digest[32],
			     X509 **leaf, struct ratls_window *window,
			     struct ratls_verified_report *report)
{
	struct pck_cache *cache = &ctx->pck_cache;
	bool hit = false;

	pthread_mutex_lock(&cache->lock);
	for (size_t i = 0; i < RATLS_PCK_CACHE_SIZE && !hit; i++) {
		struct pck_cache_entry *e = &cache->entries[i];

		if (!e->used || memcmp(e->pem_sha256, digest, 32) != 0)
			continue;
		X509_up_ref(e->leaf);
		*leaf = e->leaf;
		*window = e->window;
		report->pck = e->pck;
		report->pck_from_platform_ca = e->platform_ca;
		hit = true;
	}
	pthread_mutex_unlock(&cache->lock);
	return hit;
}

static void pck_cache_store(struct ratls_dcap_context *ctx, const uint8_t digest[32], X509 *leaf,
			    const struct ratls_window *window,
			    const struct ratls_verified_report *report)
{
	struct pck_cache *cache = &ctx->pck_cache;
	struct pck_cache_entry *e;

	pthread_mutex_lock(&cache->lock);
	e = &cache->entries[cache->next];
	cache->next = (cache->next + 1) % RATLS_PCK_CACHE_SIZE;
	X509_free(e->leaf);
	X509_up_ref(leaf);
	e->leaf = leaf;
	memcpy(e->pem_sha256, digest, 32);
	e->window = *window;
	e->pck = report->pck;
	e->platform_ca = report->pck_from_platform_ca;
	e->used = true;
	pthread_mutex_unlock(&cache->lock);
}

/*
 * Verifies the PCK chain and reads the SGX extension of its leaf, or takes
 * both from the cache. *window receives the chain's validity window.
 */
static int get_verified_pck(const struct ratls_dcap_context *cctx, const struct ratls_quote *q,
			    X509 **leaf, struct ratls_window *window,
			    struct ratls_verified_report *report, struct ratls_detail *detail)
{
	/* The cache is the only part of a context that changes; it has its own lock. */
	struct ratls_dcap_context *ctx = (struct ratls_dcap_context *)(uintptr_t)cctx;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;
	uint8_t digest[32];
	int rc;

	if ((rc = pck_chain_pem(ctx, q, &pem, &pem_size, detail)) != RATLS_OK)
		return rc;
	SHA256(pem, pem_size, digest);
	if (pck_cache_lookup(ctx, digest, leaf, window, report))
		return RATLS_OK;

	ratls_window_init(window);
	rc = verify_pck_chain(ctx, pem, pem_size, leaf, window, &report->pck_from_platform_ca,
			      detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = read_pck_extension(*leaf, &report->pck, detail)) != RATLS_OK) {
		X509_free(*leaf);
		*leaf = NULL;
		return rc;
	}
	pck_cache_store(ctx, digest, *leaf, window, report);
	return RATLS_OK;
}

/* QE report signature, QE report data binding and quote signature. */
static int check_quote_signatures(const struct ratls_quote *q, X509 *pck_leaf,
				  struct ratls_detail *detail)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	static const uint8_t zeros[32];
	EVP_PKEY *att_key = NULL;
	EVP_MD_CTX *sha = NULL;
	int rc;

	rc = ratls_ecdsa_verify_raw(X509_get0_pubkey(pck_leaf), q->qe_report.raw,
				    RATLS_SGX_REPORT_SIZE, q->qe_report_signature,
				    RATLS_ERR_QE_REPORT_SIGNATURE, "QE report signature by the PCK key",
				    detail);
	if (rc != RATLS_OK)
		return rc;

	/* The QE commits to SHA-256(attestation key || QE authentication data), zero padded. */
	sha = EVP_MD_CTX_new();
	if (sha == NULL || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(sha, q->attestation_key, 64) != 1 ||
	    EVP_DigestUpdate(sha, q->qe_auth_data, q->qe_auth_data_size) != 1 ||
	    EVP_DigestFinal_ex(sha, digest, NULL) != 1) {
		EVP_MD_CTX_free(sha);
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "computing SHA-256");
	}
	EVP_MD_CTX_free(sha);
	if (memcmp(q->qe_report.report_data, digest, 32) != 0 ||
	    memcmp(q->qe_report.report_data + 32, zeros, 32) != 0)
		return ratls_fail(detail, RATLS_ERR_QE_REPORT_BINDING,
				  "QE report data is not SHA-256 of the attestation key and QE "
				  "authentication data; the quote was assembled from parts of "
				  "different quotes");

	if ((rc = ratls_p256_key_from_xy(q->attestation_key, &att_key, detail)) != RATLS_OK)
		return rc;
	rc = ratls_ecdsa_verify_raw(att_key, q->signed_data, q->signed_size, q->signature,
				    RATLS_ERR_QUOTE_SIGNATURE, "quote signature by the attestation key",
				    detail);
	EVP_PKEY_free(att_key);
	return rc;
}

static int check_platform_ids(const struct ratls_dcap_context *ctx,
			      const struct ratls_pck_info *pck, struct ratls_detail *detail)
{
	char seen[13], expected[13];

	if (memcmp(pck->fmspc, ctx->tcb_info->fmspc, 6) != 0) {
		ratls_hex_encode(pck->fmspc, 6, seen);
		ratls_hex_encode(ctx->tcb_info->fmspc, 6, expected);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "PCK certificate FMSPC %s differs from the TCB info's %s; fetch "
				  "the TCB info for fmspc=%s",
				  seen, expected, seen);
	}
	if (memcmp(pck->pce_id, ctx->tcb_info->pce_id, 2) != 0) {
		ratls_hex_encode(pck->pce_id, 2, seen);
		ratls_hex_encode(ctx->tcb_info->pce_id, 2, expected);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "PCK certificate PCE-ID %s differs from the TCB info's %s", seen,
				  expected);
	}
	return RATLS_OK;
}

static void copy_report_fields(const struct ratls_quote *q, struct ratls_verified_report *r)
{
	r->quote_version = q->version;
	r->tee_type = q->tee_type;
	r->body_type = q->body_type;
	r->trailing_size = q->trailing_size;
	if (ratls_quote_is_td(q)) {
		const struct ratls_td_report *t = &q->td;

		memcpy(r->td.tee_tcb_svn, t->tee_tcb_svn, 16);
		memcpy(r->td.mr_seam, t->mr_seam, 48);
		memcpy(r->td.mr_signer_seam, t->mr_signer_seam, 48);
		memcpy(r->td.seam_attributes, t->seam_attributes, 8);
		memcpy(r->td.td_attributes, t->td_attributes, 8);
		memcpy(r->td.xfam, t->xfam, 8);
		memcpy(r->td.mr_td, t->mr_td, 48);
		memcpy(r->td.mr_config_id, t->mr_config_id, 48);
		memcpy(r->td.mr_owner, t->mr_owner, 48);
		memcpy(r->td.mr_owner_config, t->mr_owner_config, 48);
		for (int i = 0; i < 4; i++)
			memcpy(r->td.rtmr[i], t->rtmr[i], 48);
		memcpy(r->td.report_data, t->report_data, 64);
		r->td.has_td15 = t->tee_tcb_svn2 != NULL;
		if (r->td.has_td15) {
			memcpy(r->td.tee_tcb_svn2, t->tee_tcb_svn2, 16);
			memcpy(r->td.mr_servicetd, t->mr_servicetd, 48);
		}
	} else {
		const struct ratls_sgx_report *s = &q->sgx;

		memcpy(r->sgx.cpu_svn, s->cpu_svn, 16);
		r->sgx.misc_select = s->misc_select;
		memcpy(r->sgx.isv_ext_prod_id, s->isv_ext_prod_id, 16);
		memcpy(r->sgx.attributes, s->attributes, 16);
		memcpy(r->sgx.mr_enclave, s->mr_enclave, 32);
		memcpy(r->sgx.mr_signer, s->mr_signer, 32);
		memcpy(r->sgx.config_id, s->config_id, 64);
		r->sgx.isv_prod_id = s->isv_prod_id;
		r->sgx.isv_svn = s->isv_svn;
		r->sgx.config_svn = s->config_svn;
		memcpy(r->sgx.isv_family_id, s->isv_family_id, 16);
		memcpy(r->sgx.report_data, s->report_data, 64);
	}
}

int ratls_dcap_context_verify(const struct ratls_dcap_context *ctx, const uint8_t *data,
			      size_t size, int64_t now, struct ratls_verified_report *report,
			      struct ratls_detail *detail)
{
	struct ratls_quote q;
	struct ratls_window window, pck_window;
	struct ratls_tcb_eval_input eval;
	X509 *leaf = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (ctx == NULL || data == NULL || report == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "context, quote and report must not be NULL");
	memset(report, 0, sizeof(*report));
	if (ctx->anchor.custom)
		ratls_log(RATLS_LOG_WARNING,
			  "verifying with a caller-supplied trust root instead of the Intel SGX "
			  "Root CA; quotes from the simulated platform are accepted");

	if ((rc = ratls_quote_parse(data, size, &q, detail)) != RATLS_OK)
		return rc;
	/*
	 * Attesters pad quotes with zero bytes; anything else after the signed
	 * data is not covered by a signature and could smuggle content.
	 */
	if (!q.trailing_all_zero)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "the quote has %zu bytes after its signature data that are not all "
				  "zero; only zero padding is accepted",
				  q.trailing_size);
	if ((rc = check_quote_kind(ctx, &q, detail)) != RATLS_OK)
		return rc;

	if ((rc = get_verified_pck(ctx, &q, &leaf, &pck_window, report, detail)) != RATLS_OK)
		goto out;
	window = ctx->window;
	ratls_window_merge(&window, &pck_window);
	if ((rc = ratls_window_check(&window, now, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_quote_signatures(&q, leaf, detail)) != RATLS_OK)
		goto out;

	eval.tcb_info = ctx->tcb_info;
	eval.sorted_levels = ctx->sorted_levels;
	eval.qe_identity = ctx->qe_identity;
	eval.quote = &q;
	eval.pck = &report->pck;
	if ((rc = ratls_qe_identity_check(&eval, report, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_platform_ids(ctx, &report->pck, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_tcb_evaluate(&eval, report, detail)) != RATLS_OK)
		goto out;

	copy_report_fields(&q, report);
	report->tcb_evaluation_data_number = ctx->tcb_info->tcb_evaluation_data_number;
	report->valid_from = window.from;
	report->valid_until = window.until;
	snprintf(report->valid_until_source, sizeof(report->valid_until_source), "%s",
		 window.until_source);
	report->custom_root = ctx->anchor.custom;

	/* The report stays filled in so the caller can show which part is revoked. */
	if (report->status == RATLS_TCB_REVOKED) {
		rc = ratls_fail(detail, RATLS_ERR_TCB_REVOKED,
				"TCB status is Revoked (platform %s, QE %s%s%s); the platform's keys "
				"are no longer trusted",
				ratls_tcb_status_name(report->platform_status),
				ratls_tcb_status_name(report->qe_status),
				report->has_module_status ? ", TDX module " : "",
				report->has_module_status
					? ratls_tcb_status_name(report->module_status)
					: "");
		goto out;
	}
	rc = RATLS_OK;

out:
	X509_free(leaf);
	return rc;
}

int ratls_dcap_verify(const uint8_t *quote, size_t quote_size,
		      const struct ratls_collateral *collateral, int64_t now,
		      const struct ratls_dcap_options *options, struct ratls_verified_report *report,
		      struct ratls_detail *detail)
{
	struct ratls_dcap_context *ctx = NULL;
	int rc;

	if ((rc = ratls_dcap_context_new(collateral, options, &ctx, detail)) != RATLS_OK)
		return rc;
	rc = ratls_dcap_context_verify(ctx, quote, quote_size, now, report, detail);
	ratls_dcap_context_free(ctx);
	return rc;
}

int ratls_dcap_check_signed_json(const struct ratls_signed_json *tcb_info,
				 const struct ratls_signed_json *qe_identity, const char *chain_pem,
				 const uint8_t *root_crl_der, size_t root_crl_size, int64_t now,
				 const struct ratls_dcap_options *options,
				 struct ratls_detail *detail)
{
	const struct ratls_signed_json *sj = tcb_info != NULL ? tcb_info : qe_identity;
	const char *what = tcb_info != NULL ? "TCB info" : "QE identity";
	struct ratls_anchor anchor;
	struct ratls_window window;
	STACK_OF(X509) *chain = NULL;
	X509_CRL *root_crl = NULL;
	struct ratls_tcb_info *ti = NULL;
	struct ratls_qe_identity *qi = NULL;
	int rc;

	memset(&anchor, 0, sizeof(anchor));
	if ((tcb_info == NULL) == (qe_identity == NULL))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "pass exactly one of a TCB info and a QE identity");
	if (chain_pem == NULL)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISSING,
				  "%s issuer chain is missing; supply it", what);
	rc = ratls_x509_chain_from_pem(NULL, chain_pem, strlen(chain_pem), &chain, "issuer chain",
				       detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_anchor_init(&anchor, options, chain, detail)) != RATLS_OK)
		goto out;
	ratls_window_init(&window);

	if (root_crl_der != NULL) {
		if ((rc = ratls_crl_from_der(root_crl_der, root_crl_size, &root_crl, "root CA CRL",
					     detail)) != RATLS_OK)
			goto out;
		if ((rc = check_root_crl(&anchor, root_crl, &window, detail)) != RATLS_OK)
			goto out;
	}
	/* Without a root CA CRL the signing certificate's revocation is not checked. */
	rc = check_signed_json(&anchor, sj, chain, false, &root_crl, root_crl != NULL ? 1 : 0, what,
			       &window, detail);
	if (rc != RATLS_OK)
		goto out;

	if (tcb_info != NULL) {
		rc = ratls_tcb_info_parse(sj->body, sj->body_size, &ti, detail);
		if (rc == RATLS_OK)
			ratls_window_add(&window, ti->issue_date, ti->next_update, what);
	} else {
		rc = ratls_qe_identity_parse(sj->body, sj->body_size, &qi, detail);
		if (rc == RATLS_OK)
			ratls_window_add(&window, qi->issue_date, qi->next_update, what);
	}
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_window_check(&window, now, detail);

out:
	ratls_tcb_info_free(ti);
	ratls_qe_identity_free(qi);
	X509_CRL_free(root_crl);
	sk_X509_pop_free(chain, X509_free);
	ratls_anchor_cleanup(&anchor);
	return rc;
}
