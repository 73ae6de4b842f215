/* Internal interfaces of the DCAP module: OpenSSL helpers and TCB evaluation. */
#ifndef RATLS_DCAP_INTERNAL_H
#define RATLS_DCAP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ratls/dcap.h"

/* Most certificates read from one PEM chain (Intel's chains have two or three). */
#define RATLS_CHAIN_MAX_CERTS 8

/* A validity window narrowed by every object that contributes to a result. */
struct ratls_window {
	int64_t from;
	int64_t until;
	char from_source[64];
	char until_source[64];
};

void ratls_window_init(struct ratls_window *w);
void ratls_window_add(struct ratls_window *w, int64_t from, int64_t until, const char *what);
void ratls_window_merge(struct ratls_window *w, const struct ratls_window *other);

/* Fails with RATLS_ERR_COLLATERAL_NOT_YET_VALID or _EXPIRED when now is outside w. */
RATLS_MUST_CHECK int ratls_window_check(const struct ratls_window *w, int64_t now,
					struct ratls_detail *detail);

/* Converts an ASN1_TIME to Unix seconds. */
RATLS_MUST_CHECK int ratls_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out);

/* Adds a certificate's notBefore / notAfter to w. */
RATLS_MUST_CHECK int ratls_window_add_cert(struct ratls_window *w, X509 *cert, const char *what,
					   struct ratls_detail *detail);

/* A certificate decoded from a PEM chain, with the DER it came from. */
struct ratls_pem_cert {
	uint8_t *der;
	size_t der_size;
};

/*
 * Splits PEM text into the DER bytes of each CERTIFICATE block, in order.
 * Text outside blocks (including a trailing NUL) is ignored. Frees nothing
 * on failure that the caller must free; on success free with
 * ratls_pem_certs_free.
 */
RATLS_MUST_CHECK int ratls_pem_certs_split(const char *pem, size_t size, struct ratls_pem_cert *out,
					   size_t *count, const char *what,
					   struct ratls_detail *detail);
void ratls_pem_certs_free(struct ratls_pem_cert *certs, size_t count);

/* Decodes one DER certificate, rejecting trailing bytes. */
RATLS_MUST_CHECK int ratls_x509_from_der(const uint8_t *der, size_t size, X509 **out,
					 const char *what, struct ratls_detail *detail);

/* Decodes a DER CRL, rejecting trailing bytes, non-v2 CRLs and a missing nextUpdate. */
RATLS_MUST_CHECK int ratls_crl_from_der(const uint8_t *der, size_t size, X509_CRL **out,
					const char *what, struct ratls_detail *detail);

/* Most distinct certificates one context decodes (Intel's collateral has four). */
#define RATLS_CERT_POOL_MAX 16

/*
 * Certificates decoded once and shared by every chain that carries them:
 * Intel's TCB info and QE identity chains are the same two certificates, and
 * the root ends every chain. Decoding dominates the cost of a certificate in
 * OpenSSL 3, so each distinct DER is decoded once.
 */
struct ratls_cert_pool {
	struct {
		uint8_t der_sha256[32];
		X509 *cert;
	} entries[RATLS_CERT_POOL_MAX];
	size_t count;
};

void ratls_cert_pool_cleanup(struct ratls_cert_pool *pool);

/*
 * Parses a PEM chain into a new stack of certificates, leaf first, taking
 * each certificate from the pool when its DER was seen before (pool may be
 * NULL). The caller frees the stack with sk_X509_pop_free(chain, X509_free).
 */
RATLS_MUST_CHECK int ratls_x509_chain_from_pem(struct ratls_cert_pool *pool, const char *pem,
					       size_t size, STACK_OF(X509) **out, const char *what,
					       struct ratls_detail *detail);

/* The trust anchor: a root certificate, its key and a store that trusts only it. */
struct ratls_anchor {
	X509 *cert;
	EVP_PKEY *key;
	X509_STORE *store;
	bool custom;
};

/*
 * Sets up the anchor: the caller's root when options name one, otherwise the
 * Intel SGX Root CA found in chain (identified by the SHA-256 of its DER, or
 * by the pinned key together with a valid self-signature).
 */
RATLS_MUST_CHECK int ratls_anchor_init(struct ratls_anchor *anchor,
				       const struct ratls_dcap_options *options,
				       STACK_OF(X509) *chain, struct ratls_detail *detail);
void ratls_anchor_cleanup(struct ratls_anchor *anchor);

/*
 * Verifies chain (leaf first) up to the anchor with OpenSSL's path
 * validation, ignoring time (validity windows go into window) and
 * revocation (checked by the caller on *path). The leaf must be a CA when
 * leaf_is_ca is set and must not be one otherwise. On success *path, when
 * path is non-NULL, is the validated path, leaf first and anchor last, for
 * sk_X509_pop_free.
 */
RATLS_MUST_CHECK int ratls_chain_verify(const struct ratls_anchor *anchor, STACK_OF(X509) *chain,
					bool leaf_is_ca, const char *what,
					struct ratls_window *window, STACK_OF(X509) **path,
					struct ratls_detail *detail);

/*
 * Checks each certificate of path below the anchor against the CRL in crls
 * whose issuer is that certificate's issuer. Each CRL in crls must already be
 * verified with its issuer's key. A certificate whose issuer has no CRL
 * fails with RATLS_ERR_COLLATERAL_MISSING unless crl_count is 0.
 */
RATLS_MUST_CHECK int ratls_check_revocation(STACK_OF(X509) *path, X509_CRL *const *crls,
					    size_t crl_count, const char *what,
					    struct ratls_detail *detail);

/* Returns the commonName of name into buf ("" when absent). */
void ratls_x509_name_cn(const X509_NAME *name, char *buf, size_t size);

/* Builds a P-256 public key from the 64-byte X || Y encoding used in quotes. */
RATLS_MUST_CHECK int ratls_p256_key_from_xy(const uint8_t xy[64], EVP_PKEY **out,
					    struct ratls_detail *detail);

/*
 * Verifies an ECDSA-P256-SHA256 signature given as raw r || s (64 bytes)
 * over msg. Returns RATLS_OK, or fail_code with detail naming what.
 */
RATLS_MUST_CHECK int ratls_ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t msg_size,
					    const uint8_t sig[64], int fail_code, const char *what,
					    struct ratls_detail *detail);

/* TCB evaluation (tcb_eval.c). */
struct ratls_tcb_eval_input {
	const struct ratls_tcb_info *tcb_info;
	const struct ratls_tcb_level *const *sorted_levels; /* Intel's canonical order */
	const struct ratls_qe_identity *qe_identity;
	const struct ratls_quote *quote;
	const struct ratls_pck_info *pck;
};

/* Sorts TCB levels into Intel's canonical order (highest TCB first); caller frees *out. */
RATLS_MUST_CHECK int ratls_tcb_levels_sort(const struct ratls_tcb_info *info,
					   const struct ratls_tcb_level ***out);

/* Checks the QE report against the QE identity and sets the QE status. */
RATLS_MUST_CHECK int ratls_qe_identity_check(const struct ratls_tcb_eval_input *in,
					     struct ratls_verified_report *report,
					     struct ratls_detail *detail);

/* Matches the platform TCB level and the TDX module, then converges statuses. */
RATLS_MUST_CHECK int ratls_tcb_evaluate(const struct ratls_tcb_eval_input *in,
					struct ratls_verified_report *report,
					struct ratls_detail *detail);

#endif
