/*
 * Chain of trust tests on the simulated platform. They cover every signature
 * from the root to the TCB info and QE identity, issuer names and keys,
 * revocation, and the validity window of every certificate, CRL and signed
 * document. They also cover CRL encodings and issuers, the trust root, and
 * the checks that tie the collateral to the quote (FMSPC, PCE-ID, TCB info
 * and QE identity kinds). Each case breaks one rule of ratls_dcap_verify,
 * keeps everything else valid, and expects that rule's error code and
 * detail message.
 *
 * The verifier checks a PCK chain on one of two paths. When the collateral
 * carries the PCK CRL issuer chain, that CA is verified with the context and
 * a quote whose chain carries the same CA only has its leaf checked against
 * it. Without that chain, the quote's whole chain goes through path
 * validation. Cases about the PCK chain run on both paths.
 *
 * Cases marked with a gap describe a rule the verifier does not enforce yet:
 * while the verifier returns another code, the case prints the gap and is
 * skipped, and once the verifier returns the expected code it passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_helpers.h"

#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)

/* ---- certificate and chain helpers ---- */

static const struct ratls_sim_cert *platform_cert(const struct ratls_sim_platform *platform,
						  enum ratls_sim_cert_kind kind)
{
	const struct ratls_sim_cert *cert = ratls_sim_platform_get_cert(platform, kind);

	assert_non_null(cert);
	return cert;
}

/* Returns the kind of the CA that issued the platform's PCK certificate. */
static enum ratls_sim_cert_kind pck_issuer_kind(const struct ratls_sim_platform *platform)
{
	return ratls_sim_platform_get_params(platform)->pck_issuer;
}

/* Returns the parameters the platform issued the certificate of kind with. */
static const struct ratls_sim_cert_params *cert_params(const struct ratls_sim_platform *platform,
						       enum ratls_sim_cert_kind kind)
{
	const struct ratls_sim_platform_params *params = ratls_sim_platform_get_params(platform);

	switch (kind) {
	case RATLS_SIM_CERT_ROOT_CA:
		return &params->root_ca;
	case RATLS_SIM_CERT_PLATFORM_CA:
		return &params->platform_ca;
	case RATLS_SIM_CERT_PROCESSOR_CA:
		return &params->processor_ca;
	case RATLS_SIM_CERT_TCB_SIGNING:
		return &params->tcb_signing;
	case RATLS_SIM_CERT_PCK:
		return &params->pck;
	}
	fail_msg("unknown certificate kind %d", (int)kind);
	return NULL;
}

static uint8_t *cert_der(const struct ratls_sim_cert *cert, size_t *size)
{
	struct ratls_detail detail = {0};
	uint8_t *der = NULL;
	int rc;

	rc = ratls_sim_cert_der(cert, &der, size, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	return der;
}

/*
 * Returns the DER certificate with the last byte of its signature flipped.
 * The last byte of an ECDSA certificate is the last byte of the signature's
 * s value, so the certificate still parses and only the signature is wrong.
 */
static uint8_t *cert_der_bad_signature(const struct ratls_sim_cert *cert, size_t *size)
{
	uint8_t *der = cert_der(cert, size);

	simtest_flip_byte(der, *size, *size - 1);
	return der;
}

/* Issues a certificate or fails the test. Free it with ratls_sim_cert_free. */
static struct ratls_sim_cert *cert_issue(const struct ratls_sim_cert_params *params,
					 const struct ratls_sim_key *subject_key,
					 const struct ratls_sim_cert *issuer)
{
	struct ratls_detail detail = {0};
	struct ratls_sim_cert *cert = NULL;
	int rc;

	rc = ratls_sim_cert_issue(params, subject_key, issuer, &cert, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	return cert;
}

/*
 * Re-issues the platform's certificate of kind with its own key and
 * parameters, signed by issuer (NULL: self-signed). Only the issuer changes.
 */
static struct ratls_sim_cert *cert_reissue(const struct ratls_sim_platform *platform,
					   enum ratls_sim_cert_kind kind,
					   const struct ratls_sim_cert *issuer)
{
	return cert_issue(cert_params(platform, kind),
			  ratls_sim_cert_key(platform_cert(platform, kind)), issuer);
}

/*
 * Issues a copy of the platform's certificate of kind with its own key but
 * common name cn, signed like the original (root self-signed, others by the
 * root). Certificates issued by the copy carry an issuer name that no
 * certificate of the platform has.
 */
static struct ratls_sim_cert *cert_renamed(const struct ratls_sim_platform *platform,
					   enum ratls_sim_cert_kind kind, const char *cn)
{
	struct ratls_sim_cert_params params = *cert_params(platform, kind);
	const struct ratls_sim_cert *issuer = NULL;

	snprintf(params.common_name, sizeof(params.common_name), "%s", cn);
	if (kind != RATLS_SIM_CERT_ROOT_CA)
		issuer = platform_cert(platform, RATLS_SIM_CERT_ROOT_CA);
	return cert_issue(&params, ratls_sim_cert_key(platform_cert(platform, kind)), issuer);
}

/* A DER certificate for chain_pem. */
struct der_cert {
	const uint8_t *der;
	size_t size;
};

/* Returns the PEM text of certs in order (free with free()). */
static char *chain_pem(const struct der_cert *certs, size_t count)
{
	char *text = NULL;
	size_t len = 0;

	for (size_t i = 0; i < count; i++) {
		struct ratls_detail detail = {0};
		char *block = NULL;
		size_t block_len = 0;
		char *grown;
		int rc;

		rc = ratls_sim_pem_encode("CERTIFICATE", certs[i].der, certs[i].size, &block,
					  &block_len, &detail);
		simtest_assert_code(rc, &detail, RATLS_OK, NULL);
		grown = realloc(text, len + block_len + 1);
		assert_non_null(grown);
		text = grown;
		memcpy(text + len, block, block_len + 1);
		len += block_len;
		ratls_sim_free(block);
	}
	return text;
}

/* Replaces the fixture's quote with one that carries certs as its PCK chain. */
static void fixture_set_pck_certs(struct simtest_fixture *f, const struct der_cert *certs,
				  size_t count)
{
	struct ratls_sim_quote_params params;
	char *pem = chain_pem(certs, count);

	ratls_sim_platform_quote_defaults(f->platform, f->format, &params);
	params.pck_chain_pem = pem;
	ratls_sim_free(f->quote);
	f->quote = simtest_quote_new_with(f->platform, &params, &f->quote_size);
	free(pem);
}

/* Replaces the fixture's quote with one whose PCK chain is leaf, ca and the fixture's root. */
static void fixture_set_pck_chain(struct simtest_fixture *f, const uint8_t *leaf, size_t leaf_size,
				  const uint8_t *ca, size_t ca_size)
{
	const struct der_cert certs[3] = {
		{leaf, leaf_size}, {ca, ca_size}, {f->root_der, f->root_der_size}};

	fixture_set_pck_certs(f, certs, 3);
}

/* Replaces the fixture's quote with one whose PCK chain is leaf, the platform's PCK CA and root. */
static void fixture_set_pck_leaf(struct simtest_fixture *f, const uint8_t *leaf, size_t leaf_size)
{
	size_t ca_size = 0;
	uint8_t *ca = cert_der(platform_cert(f->platform, pck_issuer_kind(f->platform)), &ca_size);

	fixture_set_pck_chain(f, leaf, leaf_size, ca, ca_size);
	ratls_sim_free(ca);
}

/* Sets an issuer chain slot of the collateral to first and then root (root may be NULL). */
static void collateral_set_chain(struct ratls_collateral *collateral, enum ratls_chain_slot slot,
				 const uint8_t *first, size_t first_size, const uint8_t *root,
				 size_t root_size)
{
	const struct der_cert certs[2] = {{first, first_size}, {root, root_size}};
	struct ratls_detail detail = {0};
	char *pem = chain_pem(certs, root != NULL ? 2 : 1);
	int rc;

	rc = ratls_collateral_set_chain(collateral, slot, (const uint8_t *)pem, strlen(pem),
					&detail);
	free(pem);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

/* Removes the PCK CRL issuer chain, so the verifier validates the quote's whole PCK chain. */
static void collateral_drop_pck_crl_chain(struct ratls_collateral *collateral)
{
	free(collateral->pck_crl_chain);
	collateral->pck_crl_chain = NULL;
}

/* Issues a CRL signed by issuer and stores it in slot. */
static void collateral_set_crl(struct ratls_collateral *collateral, enum ratls_crl_slot slot,
			       const struct ratls_sim_crl_params *params,
			       const struct ratls_sim_cert *issuer)
{
	struct ratls_detail detail = {0};
	uint8_t *der = NULL;
	size_t der_size = 0;
	int rc;

	rc = ratls_sim_crl_issue(params, issuer, &der, &der_size, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	rc = ratls_collateral_set_crl(collateral, slot, der, der_size, &detail);
	ratls_sim_free(der);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

/* Returns the platform's parameters for the CRL in slot, dated as the fixture's collateral. */
static struct ratls_sim_crl_params crl_params(const struct ratls_sim_platform *platform,
					      enum ratls_crl_slot slot)
{
	const struct ratls_sim_platform_params *params = ratls_sim_platform_get_params(platform);

	return slot == RATLS_CRL_ROOT ? params->root_crl : params->pck_crl;
}

/* Re-issues the CRL in slot, signed by issuer, listing the serial of revoked (NULL: none). */
static void fixture_set_crl_revoking(struct simtest_fixture *f, enum ratls_crl_slot slot,
				     const struct ratls_sim_cert *issuer,
				     const struct ratls_sim_cert *revoked)
{
	struct ratls_sim_crl_params params = crl_params(f->platform, slot);

	if (revoked != NULL) {
		ratls_sim_cert_get_serial(revoked, &params.revoked[0]);
		assert_true(params.revoked[0].size > 0);
		params.revoked_count = 1;
	}
	collateral_set_crl(f->collateral, slot, &params, issuer);
}

/* The unrelated platform: same names and parameters, different keys. */
static struct ratls_sim_platform *other_platform_new(void)
{
	return simtest_platform_new(SIMTEST_SEED_OTHER, NULL);
}

/* ---- the case table ---- */

struct chain_case {
	const char *name;
	enum ratls_sim_quote_format format;
	/* Changes the platform parameters before the platform is created (NULL keeps the defaults). */
	void (*setup)(struct ratls_sim_platform_params *params);
	/* Changes the fixture after it is built (NULL keeps it). */
	void (*mutate)(struct simtest_fixture *fixture);
	/* Removes the PCK CRL issuer chain, so the quote's PCK chain gets full path validation. */
	bool full_path;
	/* Verification time relative to SIMTEST_NOW. */
	int64_t at;
	int expected;
	/* Text the detail message must contain (NULL checks only the code). */
	const char *substring;
	/* A rule the verifier lacks. While the code differs, the case is skipped with this text. */
	const char *gap;
};

/* Checks what a successful verification of an otherwise default fixture reports. */
static void assert_default_report(const struct ratls_verified_report *report,
				  enum ratls_sim_cert_kind pck_issuer)
{
	assert_int_equal(report->status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report->platform_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report->qe_status, RATLS_TCB_UP_TO_DATE);
	assert_true(report->custom_root);
	assert_int_equal(report->pck_from_platform_ca, pck_issuer == RATLS_SIM_CERT_PLATFORM_CA);
	assert_true(report->valid_from <= report->valid_until);
	assert_true(report->valid_until_source[0] != '\0');
}

/*
 * Builds the case's fixture, verifies, frees everything and only then
 * asserts, so a skipped gap case leaks nothing.
 */
static void run_chain_case(void **state)
{
	const struct chain_case *c = *state;
	struct ratls_sim_platform_params *params = malloc(sizeof(*params));
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	enum ratls_sim_cert_kind pck_issuer;
	size_t warnings;
	int rc;

	/* The parameters are tens of KiB, so they live on the heap. */
	assert_non_null(params);
	simtest_platform_defaults(params);
	if (c->setup != NULL)
		c->setup(params);
	simtest_fixture_init(&f, c->format, NULL, params);
	free(params);
	if (c->full_path)
		collateral_drop_pck_crl_chain(f.collateral);
	if (c->mutate != NULL)
		c->mutate(&f);

	warnings = simtest_warning_count();
	rc = simtest_fixture_verify(&f, SIMTEST_NOW + c->at, &report, &detail);
	warnings = simtest_warning_count() - warnings;
	pck_issuer = pck_issuer_kind(f.platform);
	simtest_fixture_free(&f);

	if (c->gap != NULL && rc != c->expected) {
		print_message("verifier gap: %s; it returned %s: %s\n", c->gap,
			      ratls_error_name(rc), detail.message);
		skip();
	}
	simtest_assert_code(rc, &detail, c->expected, c->substring);
	if (rc == RATLS_OK) {
		assert_default_report(&report, pck_issuer);
		/* A custom trust root is announced on every verification. */
		assert_int_equal(warnings, 1);
	}
}

/* ---- platform parameter changes ---- */

static void setup_processor_ca(struct ratls_sim_platform_params *p)
{
	p->pck_issuer = RATLS_SIM_CERT_PROCESSOR_CA;
}

static void setup_root_crl_no_next_update(struct ratls_sim_platform_params *p)
{
	p->root_crl.omit_next_update = true;
}

static void setup_pck_crl_no_next_update(struct ratls_sim_platform_params *p)
{
	p->pck_crl.omit_next_update = true;
}

static void setup_root_crl_v1(struct ratls_sim_platform_params *p)
{
	p->root_crl.version = 0;
}

static void setup_pck_crl_v1(struct ratls_sim_platform_params *p)
{
	p->pck_crl.version = 0;
}

static void setup_root_crl_no_akid(struct ratls_sim_platform_params *p)
{
	p->root_crl.authority_key_id = false;
}

static void setup_pck_crl_no_akid(struct ratls_sim_platform_params *p)
{
	p->pck_crl.authority_key_id = false;
}

static void setup_tcb_signing_name(struct ratls_sim_platform_params *p)
{
	snprintf(p->tcb_signing.common_name, sizeof(p->tcb_signing.common_name),
		 "Simulated TCB Signer");
}

static void setup_tcb_signing_no_digital_signature(struct ratls_sim_platform_params *p)
{
	p->tcb_signing.key_usage = RATLS_SIM_KEY_USAGE_NON_REPUDIATION;
}

static void setup_tcb_signing_ca(struct ratls_sim_platform_params *p)
{
	p->tcb_signing.basic_constraints = RATLS_SIM_BASIC_CONSTRAINTS_CA;
	p->tcb_signing.path_len = 0;
	p->tcb_signing.key_usage = RATLS_SIM_KEY_USAGE_DIGITAL_SIGNATURE |
				   RATLS_SIM_KEY_USAGE_KEY_CERT_SIGN | RATLS_SIM_KEY_USAGE_CRL_SIGN;
}

static void setup_tcb_signing_critical(struct ratls_sim_platform_params *p)
{
	p->tcb_signing.unknown_critical_extension = true;
}

static void setup_pck_no_sgx_extension(struct ratls_sim_platform_params *p)
{
	p->pck.sgx_extension = false;
}

static void setup_pck_critical(struct ratls_sim_platform_params *p)
{
	p->pck.unknown_critical_extension = true;
}

static void setup_pck_ca(struct ratls_sim_platform_params *p)
{
	p->pck.basic_constraints = RATLS_SIM_BASIC_CONSTRAINTS_CA;
	p->pck.path_len = 0;
	p->pck.key_usage = RATLS_SIM_KEY_USAGE_DIGITAL_SIGNATURE |
			   RATLS_SIM_KEY_USAGE_KEY_CERT_SIGN | RATLS_SIM_KEY_USAGE_CRL_SIGN;
}

static void setup_pck_name(struct ratls_sim_platform_params *p)
{
	snprintf(p->pck.common_name, sizeof(p->pck.common_name), "Simulated PCK Certificate");
}

static void setup_platform_ca_name(struct ratls_sim_platform_params *p)
{
	snprintf(p->platform_ca.common_name, sizeof(p->platform_ca.common_name),
		 "Simulated PCK Platform CA");
}

static void setup_platform_ca_critical(struct ratls_sim_platform_params *p)
{
	p->platform_ca.unknown_critical_extension = true;
}

static void setup_tdx_fmspc(struct ratls_sim_platform_params *p)
{
	p->tdx_tcb_info.fmspc[5] ^= 0x01;
}

static void setup_sgx_fmspc(struct ratls_sim_platform_params *p)
{
	p->sgx_tcb_info.fmspc[5] ^= 0x01;
}

static void setup_tdx_pce_id(struct ratls_sim_platform_params *p)
{
	p->tdx_tcb_info.pce_id[1] ^= 0x01;
}

static void setup_sgx_pce_id(struct ratls_sim_platform_params *p)
{
	p->sgx_tcb_info.pce_id[1] ^= 0x01;
}

/* The TDX collateral slots carry the SGX TCB info. */
static void setup_tdx_gets_sgx_tcb_info(struct ratls_sim_platform_params *p)
{
	p->tdx_tcb_info = p->sgx_tcb_info;
}

static void setup_sgx_gets_tdx_tcb_info(struct ratls_sim_platform_params *p)
{
	p->sgx_tcb_info = p->tdx_tcb_info;
}

static void setup_tdx_tcb_info_v2(struct ratls_sim_platform_params *p)
{
	p->tdx_tcb_info.version = 2;
}

static void setup_tdx_gets_qe_identity(struct ratls_sim_platform_params *p)
{
	p->td_qe_identity = p->qe_identity;
}

static void setup_sgx_gets_td_qe_identity(struct ratls_sim_platform_params *p)
{
	p->qe_identity = p->td_qe_identity;
}

/* ---- fixture changes: signatures ---- */

static void mutate_root_self_signature(struct simtest_fixture *f)
{
	simtest_flip_byte(f->root_der, f->root_der_size, f->root_der_size - 1);
}

static void mutate_pck_ca_signature(struct simtest_fixture *f)
{
	size_t leaf_size = 0, ca_size = 0;
	uint8_t *leaf = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_PCK), &leaf_size);
	uint8_t *ca = cert_der_bad_signature(
		platform_cert(f->platform, pck_issuer_kind(f->platform)), &ca_size);

	fixture_set_pck_chain(f, leaf, leaf_size, ca, ca_size);
	ratls_sim_free(leaf);
	ratls_sim_free(ca);
}

static void mutate_pck_crl_chain_ca_signature(struct simtest_fixture *f)
{
	size_t ca_size = 0;
	uint8_t *ca = cert_der_bad_signature(
		platform_cert(f->platform, pck_issuer_kind(f->platform)), &ca_size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_PCK_CRL, ca, ca_size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(ca);
}

static void mutate_pck_leaf_signature(struct simtest_fixture *f)
{
	size_t leaf_size = 0;
	uint8_t *leaf = cert_der_bad_signature(platform_cert(f->platform, RATLS_SIM_CERT_PCK),
					       &leaf_size);

	fixture_set_pck_leaf(f, leaf, leaf_size);
	ratls_sim_free(leaf);
}

static void mutate_tcb_signing_signature(struct simtest_fixture *f)
{
	size_t size = 0;
	uint8_t *der = cert_der_bad_signature(
		platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING), &size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_TCB_INFO, der, size, f->root_der,
			     f->root_der_size);
	collateral_set_chain(f->collateral, RATLS_CHAIN_QE_IDENTITY, der, size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(der);
}

/* Only the QE identity's copy of the TCB signing certificate is broken. */
static void mutate_qe_chain_signing_signature(struct simtest_fixture *f)
{
	size_t size = 0;
	uint8_t *der = cert_der_bad_signature(
		platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING), &size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_QE_IDENTITY, der, size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(der);
}

/* The last byte of an ECDSA CRL is the last byte of its signature's s value. */
static void mutate_root_crl_signature(struct simtest_fixture *f)
{
	simtest_flip_byte(f->collateral->root_crl, f->collateral->root_crl_size,
			  f->collateral->root_crl_size - 1);
}

static void mutate_pck_crl_signature(struct simtest_fixture *f)
{
	simtest_flip_byte(f->collateral->pck_crl, f->collateral->pck_crl_size,
			  f->collateral->pck_crl_size - 1);
}

static void mutate_tcb_info_signature(struct simtest_fixture *f)
{
	f->collateral->tcb_info.signature[63] ^= 0x01;
}

static void mutate_qe_identity_signature(struct simtest_fixture *f)
{
	f->collateral->qe_identity.signature[63] ^= 0x01;
}

/* Changes one byte of the signed text: the "v" of "version" becomes "w". */
static void flip_signed_key(struct ratls_signed_json *sj)
{
	static const char key[] = "\"version\"";
	size_t key_len = sizeof(key) - 1;

	for (size_t i = 0; i + key_len <= sj->body_size; i++) {
		if (memcmp(sj->body + i, key, key_len) == 0) {
			simtest_flip_byte(sj->body, sj->body_size, i + 1);
			return;
		}
	}
	fail_msg("the signed JSON has no \"version\" key");
}

static void mutate_tcb_info_body(struct simtest_fixture *f)
{
	flip_signed_key(&f->collateral->tcb_info);
}

static void mutate_qe_identity_body(struct simtest_fixture *f)
{
	flip_signed_key(&f->collateral->qe_identity);
}

/* The TCB info of the same content, signed by the other platform's TCB signing key. */
static void mutate_tcb_info_other_signer(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();
	struct ratls_detail detail = {0};
	uint8_t *body = NULL;
	size_t body_size = 0;
	int rc;

	rc = ratls_sim_platform_tcb_info(other, simtest_format_tee(f->format), SIMTEST_NOW, &body,
					 &body_size, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	rc = ratls_collateral_set_tcb_info(f->collateral, body, body_size, &detail);
	ratls_sim_free(body);
	ratls_sim_platform_free(other);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

static void mutate_qe_identity_other_signer(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();
	struct ratls_detail detail = {0};
	uint8_t *body = NULL;
	size_t body_size = 0;
	int rc;

	rc = ratls_sim_platform_qe_identity(other, simtest_format_tee(f->format), SIMTEST_NOW,
					    &body, &body_size, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	rc = ratls_collateral_set_qe_identity(f->collateral, body, body_size, &detail);
	ratls_sim_free(body);
	ratls_sim_platform_free(other);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

/* ---- fixture changes: issuers ---- */

/*
 * The PCK certificate signed by the other platform's PCK CA, which has the
 * same name but another key. The chain still carries this platform's CA.
 */
static void mutate_pck_leaf_other_ca_key(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();
	struct ratls_sim_cert *leaf = cert_reissue(f->platform, RATLS_SIM_CERT_PCK,
						   platform_cert(other, pck_issuer_kind(f->platform)));
	size_t size = 0;
	uint8_t *der = cert_der(leaf, &size);

	fixture_set_pck_leaf(f, der, size);
	ratls_sim_free(der);
	ratls_sim_cert_free(leaf);
	ratls_sim_platform_free(other);
}

/* The PCK certificate issued by its own CA without the authority key identifier. */
static void mutate_pck_leaf_no_akid(struct simtest_fixture *f)
{
	struct ratls_sim_cert_params params = *cert_params(f->platform, RATLS_SIM_CERT_PCK);
	struct ratls_sim_cert *leaf;
	size_t size = 0;
	uint8_t *der;

	params.authority_key_id = false;
	leaf = cert_issue(&params, ratls_sim_cert_key(platform_cert(f->platform, RATLS_SIM_CERT_PCK)),
			  platform_cert(f->platform, pck_issuer_kind(f->platform)));
	der = cert_der(leaf, &size);
	fixture_set_pck_leaf(f, der, size);
	ratls_sim_free(der);
	ratls_sim_cert_free(leaf);
}

/*
 * The PCK certificate issued by a copy of its CA, renamed "Intel SGX PCK
 * Platform CA 2" but with the same key. The PCK CRL comes from that copy, so
 * the CRL issuer check passes. The chain carries the original CA.
 */
static void mutate_pck_leaf_issuer_name(struct simtest_fixture *f)
{
	struct ratls_sim_cert *renamed = cert_renamed(f->platform, pck_issuer_kind(f->platform),
						      "Intel SGX PCK Platform CA 2");
	struct ratls_sim_cert *leaf = cert_reissue(f->platform, RATLS_SIM_CERT_PCK, renamed);
	size_t size = 0;
	uint8_t *der = cert_der(leaf, &size);

	fixture_set_pck_leaf(f, der, size);
	fixture_set_crl_revoking(f, RATLS_CRL_PCK, renamed, NULL);
	ratls_sim_free(der);
	ratls_sim_cert_free(leaf);
	ratls_sim_cert_free(renamed);
}

/* The PCK CA issued by a copy of the root renamed "Simulated SGX Root CA 2" (same key). */
static void mutate_pck_ca_issuer_name(struct simtest_fixture *f)
{
	struct ratls_sim_cert *renamed = cert_renamed(f->platform, RATLS_SIM_CERT_ROOT_CA,
						      "Simulated SGX Root CA 2");
	struct ratls_sim_cert *ca = cert_reissue(f->platform, pck_issuer_kind(f->platform), renamed);
	size_t leaf_size = 0, ca_size = 0;
	uint8_t *leaf = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_PCK), &leaf_size);
	uint8_t *ca_der = cert_der(ca, &ca_size);

	fixture_set_pck_chain(f, leaf, leaf_size, ca_der, ca_size);
	ratls_sim_free(leaf);
	ratls_sim_free(ca_der);
	ratls_sim_cert_free(ca);
	ratls_sim_cert_free(renamed);
}

static void mutate_tcb_signing_issuer_name(struct simtest_fixture *f)
{
	struct ratls_sim_cert *renamed = cert_renamed(f->platform, RATLS_SIM_CERT_ROOT_CA,
						      "Simulated SGX Root CA 2");
	struct ratls_sim_cert *signer = cert_reissue(f->platform, RATLS_SIM_CERT_TCB_SIGNING,
						     renamed);
	size_t size = 0;
	uint8_t *der = cert_der(signer, &size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_TCB_INFO, der, size, f->root_der,
			     f->root_der_size);
	collateral_set_chain(f->collateral, RATLS_CHAIN_QE_IDENTITY, der, size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(der);
	ratls_sim_cert_free(signer);
	ratls_sim_cert_free(renamed);
}

/*
 * The TCB signing certificate issued by the PCK CA instead of the root. Both
 * issuer chains carry it, the PCK CA and the root. Path validation succeeds
 * because the PCK CA may issue end-entity certificates.
 */
static void mutate_tcb_signing_from_pck_ca(struct simtest_fixture *f)
{
	const struct ratls_sim_cert *ca = platform_cert(f->platform, pck_issuer_kind(f->platform));
	struct ratls_sim_cert *signer = cert_reissue(f->platform, RATLS_SIM_CERT_TCB_SIGNING, ca);
	size_t signer_size = 0, ca_size = 0;
	uint8_t *signer_der = cert_der(signer, &signer_size);
	uint8_t *ca_der = cert_der(ca, &ca_size);
	const struct der_cert certs[3] = {
		{signer_der, signer_size}, {ca_der, ca_size}, {f->root_der, f->root_der_size}};
	struct ratls_detail detail = {0};
	char *pem = chain_pem(certs, 3);
	int rc_tcb, rc_qe;

	rc_tcb = ratls_collateral_set_chain(f->collateral, RATLS_CHAIN_TCB_INFO,
					    (const uint8_t *)pem, strlen(pem), &detail);
	rc_qe = ratls_collateral_set_chain(f->collateral, RATLS_CHAIN_QE_IDENTITY,
					   (const uint8_t *)pem, strlen(pem), &detail);
	free(pem);
	ratls_sim_free(signer_der);
	ratls_sim_free(ca_der);
	ratls_sim_cert_free(signer);
	simtest_assert_code(rc_tcb, &detail, RATLS_OK, NULL);
	simtest_assert_code(rc_qe, &detail, RATLS_OK, NULL);
}

/*
 * The PCK certificate issued by the root itself, with a PCK CRL from the
 * root so that the CRL issuer check passes: the chain has no PCK CA.
 */
static void mutate_pck_leaf_from_root(struct simtest_fixture *f)
{
	const struct ratls_sim_cert *root = platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA);
	struct ratls_sim_cert *leaf = cert_reissue(f->platform, RATLS_SIM_CERT_PCK, root);
	size_t size = 0;
	uint8_t *der = cert_der(leaf, &size);
	const struct der_cert certs[2] = {{der, size}, {f->root_der, f->root_der_size}};

	fixture_set_pck_certs(f, certs, 2);
	fixture_set_crl_revoking(f, RATLS_CRL_PCK, root, NULL);
	ratls_sim_free(der);
	ratls_sim_cert_free(leaf);
}

/* The quote's PCK chain ends with the other platform's root, which has the same name. */
static void mutate_pck_chain_other_root_copy(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();
	size_t leaf_size = 0, ca_size = 0, root_size = 0;
	uint8_t *leaf = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_PCK), &leaf_size);
	uint8_t *ca = cert_der(platform_cert(f->platform, pck_issuer_kind(f->platform)), &ca_size);
	uint8_t *root = cert_der(platform_cert(other, RATLS_SIM_CERT_ROOT_CA), &root_size);
	const struct der_cert certs[3] = {{leaf, leaf_size}, {ca, ca_size}, {root, root_size}};

	fixture_set_pck_certs(f, certs, 3);
	ratls_sim_free(leaf);
	ratls_sim_free(ca);
	ratls_sim_free(root);
	ratls_sim_platform_free(other);
}

/* The quote's PCK chain is the leaf and its CA, without the root. */
static void mutate_pck_chain_without_root(struct simtest_fixture *f)
{
	size_t leaf_size = 0, ca_size = 0;
	uint8_t *leaf = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_PCK), &leaf_size);
	uint8_t *ca = cert_der(platform_cert(f->platform, pck_issuer_kind(f->platform)), &ca_size);
	const struct der_cert certs[2] = {{leaf, leaf_size}, {ca, ca_size}};

	fixture_set_pck_certs(f, certs, 2);
	ratls_sim_free(leaf);
	ratls_sim_free(ca);
}

/* The quote's PCK chain is the leaf alone. */
static void mutate_pck_chain_leaf_only(struct simtest_fixture *f)
{
	size_t leaf_size = 0;
	uint8_t *leaf = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_PCK), &leaf_size);
	const struct der_cert certs[1] = {{leaf, leaf_size}};

	fixture_set_pck_certs(f, certs, 1);
	ratls_sim_free(leaf);
}

/* ---- fixture changes: revocation ---- */

static void mutate_revoke_pck_leaf(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_PCK,
				 platform_cert(f->platform, pck_issuer_kind(f->platform)),
				 platform_cert(f->platform, RATLS_SIM_CERT_PCK));
}

static void mutate_revoke_pck_ca(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA),
				 platform_cert(f->platform, pck_issuer_kind(f->platform)));
}

static void mutate_revoke_tcb_signing(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA),
				 platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING));
}

static void mutate_revoke_root(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA),
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA));
}

/* The PCK certificate's serial in the root CA CRL, which does not cover it. */
static void mutate_revoke_pck_leaf_in_root_crl(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA),
				 platform_cert(f->platform, RATLS_SIM_CERT_PCK));
}

/* The root CA CRL revokes the PCK CA that did not issue this PCK certificate. */
static void mutate_revoke_unused_pck_ca(struct simtest_fixture *f)
{
	enum ratls_sim_cert_kind unused = pck_issuer_kind(f->platform) == RATLS_SIM_CERT_PLATFORM_CA
						  ? RATLS_SIM_CERT_PROCESSOR_CA
						  : RATLS_SIM_CERT_PLATFORM_CA;

	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA),
				 platform_cert(f->platform, unused));
}

/* The PCK CRL lists a serial that differs from the PCK certificate's in its last bit. */
static void mutate_revoke_neighbour_serial(struct simtest_fixture *f)
{
	struct ratls_sim_crl_params params = crl_params(f->platform, RATLS_CRL_PCK);
	struct ratls_sim_serial *serial = &params.revoked[0];

	ratls_sim_cert_get_serial(platform_cert(f->platform, RATLS_SIM_CERT_PCK), serial);
	assert_true(serial->size > 0);
	serial->bytes[serial->size - 1] ^= 0x01;
	params.revoked_count = 1;
	collateral_set_crl(f->collateral, RATLS_CRL_PCK, &params,
			   platform_cert(f->platform, pck_issuer_kind(f->platform)));
}

/* ---- fixture changes: CRL issuers ---- */

static void mutate_root_crl_by_pck_ca(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_ROOT,
				 platform_cert(f->platform, pck_issuer_kind(f->platform)), NULL);
}

static void mutate_root_crl_by_other_root(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();

	fixture_set_crl_revoking(f, RATLS_CRL_ROOT, platform_cert(other, RATLS_SIM_CERT_ROOT_CA),
				 NULL);
	ratls_sim_platform_free(other);
}

static void mutate_pck_crl_by_root(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_PCK,
				 platform_cert(f->platform, RATLS_SIM_CERT_ROOT_CA), NULL);
}

static void mutate_pck_crl_by_processor_ca(struct simtest_fixture *f)
{
	fixture_set_crl_revoking(f, RATLS_CRL_PCK,
				 platform_cert(f->platform, RATLS_SIM_CERT_PROCESSOR_CA), NULL);
}

/*
 * The CRL and issuer chain of the PCK CA that did not issue the leaf: both
 * are valid together, but they do not cover this PCK certificate.
 */
static void mutate_pck_crl_of_other_ca(struct simtest_fixture *f)
{
	enum ratls_sim_cert_kind unused = pck_issuer_kind(f->platform) == RATLS_SIM_CERT_PLATFORM_CA
						  ? RATLS_SIM_CERT_PROCESSOR_CA
						  : RATLS_SIM_CERT_PLATFORM_CA;
	const struct ratls_sim_cert *ca = platform_cert(f->platform, unused);
	size_t size = 0;
	uint8_t *der = cert_der(ca, &size);

	fixture_set_crl_revoking(f, RATLS_CRL_PCK, ca, NULL);
	collateral_set_chain(f->collateral, RATLS_CHAIN_PCK_CRL, der, size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(der);
}

/* The PCK CRL signed by the other platform's PCK CA: the right issuer name, the wrong key. */
static void mutate_pck_crl_other_key(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();

	fixture_set_crl_revoking(f, RATLS_CRL_PCK,
				 platform_cert(other, pck_issuer_kind(f->platform)), NULL);
	ratls_sim_platform_free(other);
}

/* The PCK CRL and its issuer chain both from the other platform, whose root is not trusted. */
static void mutate_pck_crl_chain_other_root(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();
	const struct ratls_sim_cert *ca = platform_cert(other, pck_issuer_kind(f->platform));
	size_t ca_size = 0, root_size = 0;
	uint8_t *ca_der = cert_der(ca, &ca_size);
	uint8_t *root_der = cert_der(platform_cert(other, RATLS_SIM_CERT_ROOT_CA), &root_size);

	fixture_set_crl_revoking(f, RATLS_CRL_PCK, ca, NULL);
	collateral_set_chain(f->collateral, RATLS_CHAIN_PCK_CRL, ca_der, ca_size, root_der,
			     root_size);
	ratls_sim_free(ca_der);
	ratls_sim_free(root_der);
	ratls_sim_platform_free(other);
}

/* The PCK CRL issuer chain starts with the TCB signing certificate, which is not a CA. */
static void mutate_pck_crl_chain_not_ca(struct simtest_fixture *f)
{
	size_t size = 0;
	uint8_t *der = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING), &size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_PCK_CRL, der, size, f->root_der,
			     f->root_der_size);
	ratls_sim_free(der);
}

/* ---- fixture changes: trust roots ---- */

static void mutate_quote_from_other_platform(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();

	ratls_sim_free(f->quote);
	f->quote = simtest_quote_new(other, f->format, &f->quote_size);
	ratls_sim_platform_free(other);
}

static void mutate_no_trust_root(struct simtest_fixture *f)
{
	ratls_sim_free(f->root_der);
	f->root_der = NULL;
	f->root_der_size = 0;
}

static void fixture_set_trust_root(struct simtest_fixture *f, const struct ratls_sim_cert *cert)
{
	ratls_sim_free(f->root_der);
	f->root_der = cert_der(cert, &f->root_der_size);
}

static void mutate_trust_root_pck_ca(struct simtest_fixture *f)
{
	fixture_set_trust_root(f, platform_cert(f->platform, pck_issuer_kind(f->platform)));
}

static void mutate_trust_root_tcb_signing(struct simtest_fixture *f)
{
	fixture_set_trust_root(f, platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING));
}

static void mutate_trust_root_other_root(struct simtest_fixture *f)
{
	struct ratls_sim_platform *other = other_platform_new();

	fixture_set_trust_root(f, platform_cert(other, RATLS_SIM_CERT_ROOT_CA));
	ratls_sim_platform_free(other);
}

static void mutate_trust_root_truncated(struct simtest_fixture *f)
{
	f->root_der_size -= 1;
}

/* Replaces the TCB info (tcb_info set) or the QE identity and its chain by the other platform's. */
static void identity_from_other_platform(struct simtest_fixture *f, bool tcb_info)
{
	struct ratls_sim_platform *other = other_platform_new();
	struct ratls_detail detail = {0};
	uint8_t *body = NULL;
	size_t body_size = 0, signer_size = 0, root_size = 0;
	uint8_t *signer = cert_der(platform_cert(other, RATLS_SIM_CERT_TCB_SIGNING), &signer_size);
	uint8_t *root = cert_der(platform_cert(other, RATLS_SIM_CERT_ROOT_CA), &root_size);
	enum ratls_sim_tee tee = simtest_format_tee(f->format);
	int rc;

	if (tcb_info) {
		rc = ratls_sim_platform_tcb_info(other, tee, SIMTEST_NOW, &body, &body_size,
						 &detail);
		simtest_assert_code(rc, &detail, RATLS_OK, NULL);
		rc = ratls_collateral_set_tcb_info(f->collateral, body, body_size, &detail);
	} else {
		rc = ratls_sim_platform_qe_identity(other, tee, SIMTEST_NOW, &body, &body_size,
						    &detail);
		simtest_assert_code(rc, &detail, RATLS_OK, NULL);
		rc = ratls_collateral_set_qe_identity(f->collateral, body, body_size, &detail);
	}
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	collateral_set_chain(f->collateral,
			     tcb_info ? RATLS_CHAIN_TCB_INFO : RATLS_CHAIN_QE_IDENTITY, signer,
			     signer_size, root, root_size);
	ratls_sim_free(body);
	ratls_sim_free(signer);
	ratls_sim_free(root);
	ratls_sim_platform_free(other);
}

static void mutate_tcb_info_other_root(struct simtest_fixture *f)
{
	identity_from_other_platform(f, true);
}

static void mutate_qe_identity_other_root(struct simtest_fixture *f)
{
	identity_from_other_platform(f, false);
}

/* Both issuer chains carry only the TCB signing certificate, completed by the trusted root. */
static void mutate_signing_chains_without_root(struct simtest_fixture *f)
{
	size_t size = 0;
	uint8_t *der = cert_der(platform_cert(f->platform, RATLS_SIM_CERT_TCB_SIGNING), &size);

	collateral_set_chain(f->collateral, RATLS_CHAIN_TCB_INFO, der, size, NULL, 0);
	collateral_set_chain(f->collateral, RATLS_CHAIN_QE_IDENTITY, der, size, NULL, 0);
	ratls_sim_free(der);
}

/* ---- the cases ---- */

#define TDX RATLS_SIM_QUOTE_TDX_V4
#define SGX RATLS_SIM_QUOTE_SGX_V3

static const struct chain_case chain_cases[] = {
	/* Controls: the default platform verifies on both PCK paths, in every format. */
	{"default TDX v4", TDX, NULL, NULL, false, 0, RATLS_OK, NULL, NULL},
	{"default TDX v4 full path", TDX, NULL, NULL, true, 0, RATLS_OK, NULL, NULL},
	{"default TDX v5 TD 1.0", RATLS_SIM_QUOTE_TDX_V5_TD10, NULL, NULL, false, 0, RATLS_OK,
	 NULL, NULL},
	{"default TDX v5 TD 1.5", RATLS_SIM_QUOTE_TDX_V5_TD15, NULL, NULL, false, 0, RATLS_OK,
	 NULL, NULL},
	{"default SGX v3", SGX, NULL, NULL, false, 0, RATLS_OK, NULL, NULL},
	{"default SGX v3 full path", SGX, NULL, NULL, true, 0, RATLS_OK, NULL, NULL},
	{"processor CA TDX v4", TDX, setup_processor_ca, NULL, false, 0, RATLS_OK, NULL, NULL},
	{"processor CA TDX v4 full path", TDX, setup_processor_ca, NULL, true, 0, RATLS_OK, NULL,
	 NULL},

	/* Signatures of the chain of trust, each broken in turn. */
	{"root self-signature broken", TDX, NULL, mutate_root_self_signature, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "not self-signed", NULL},
	{"PCK CA signature broken", TDX, NULL, mutate_pck_ca_signature, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "certificate signature failure", NULL},
	{"PCK CA signature broken full path", TDX, NULL, mutate_pck_ca_signature, true, 0,
	 RATLS_ERR_CHAIN_INVALID, "certificate signature failure", NULL},
	{"PCK CRL chain CA signature broken", TDX, NULL, mutate_pck_crl_chain_ca_signature, false,
	 0, RATLS_ERR_CHAIN_INVALID, "PCK CRL issuer chain", NULL},
	{"PCK leaf signature broken", TDX, NULL, mutate_pck_leaf_signature, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "PCK certificate", NULL},
	{"PCK leaf signature broken full path", TDX, NULL, mutate_pck_leaf_signature, true, 0,
	 RATLS_ERR_CHAIN_INVALID, "certificate signature failure", NULL},
	{"TCB signing signature broken", TDX, NULL, mutate_tcb_signing_signature, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "TCB info issuer chain", NULL},
	{"QE chain signing signature broken", TDX, NULL, mutate_qe_chain_signing_signature, false,
	 0, RATLS_ERR_CHAIN_INVALID, "QE identity issuer chain", NULL},
	{"root CRL signature broken", TDX, NULL, mutate_root_crl_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "root CA CRL signature", NULL},
	{"PCK CRL signature broken", TDX, NULL, mutate_pck_crl_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "PCK CRL signature", NULL},
	{"PCK CRL signature broken full path", TDX, NULL, mutate_pck_crl_signature, true, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "PCK CRL signature", NULL},
	{"TCB info signature broken", TDX, NULL, mutate_tcb_info_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info", NULL},
	{"TCB info signed text changed", TDX, NULL, mutate_tcb_info_body, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info", NULL},
	{"TCB info signed by other key", TDX, NULL, mutate_tcb_info_other_signer, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info", NULL},
	{"QE identity signature broken", TDX, NULL, mutate_qe_identity_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity", NULL},
	{"QE identity signed text changed", TDX, NULL, mutate_qe_identity_body, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity", NULL},
	{"QE identity signed by other key", TDX, NULL, mutate_qe_identity_other_signer, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity", NULL},
	{"SGX TCB info signature broken", SGX, NULL, mutate_tcb_info_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info", NULL},
	{"SGX QE identity signature broken", SGX, NULL, mutate_qe_identity_signature, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity", NULL},

	/* Issuer keys and names. */
	/* A leaf naming another issuer key gets the same code whether or not the CA was prepared. */
	{"PCK leaf signed by other CA key", TDX, NULL, mutate_pck_leaf_other_ca_key, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"PCK leaf signed by other CA key full path", TDX, NULL, mutate_pck_leaf_other_ca_key, true,
	 0, RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"PCK leaf without AKID", TDX, NULL, mutate_pck_leaf_no_akid, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "Authority Key Identifier", NULL},
	{"PCK leaf without AKID full path", TDX, NULL, mutate_pck_leaf_no_akid, true, 0,
	 RATLS_ERR_CHAIN_INVALID, "Missing Authority Key Identifier", NULL},
	{"PCK leaf issuer name mismatch full path", TDX, NULL, mutate_pck_leaf_issuer_name, true, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"PCK CA issuer name mismatch", TDX, NULL, mutate_pck_ca_issuer_name, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"TCB signing issuer name mismatch", TDX, NULL, mutate_tcb_signing_issuer_name, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "TCB info issuer chain", NULL},
	{"TCB signing issued by PCK CA", TDX, NULL, mutate_tcb_signing_from_pck_ca, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "TCB info issuer chain", NULL},
	{"PCK leaf issued by root full path", TDX, NULL, mutate_pck_leaf_from_root, true, 0,
	 RATLS_ERR_PCK_CERT_INVALID, "PCK", NULL},

	/* Revocation. */
	{"PCK leaf revoked", TDX, NULL, mutate_revoke_pck_leaf, false, 0, RATLS_ERR_CERT_REVOKED,
	 "revokes the PCK certificate", NULL},
	{"PCK leaf revoked full path", TDX, NULL, mutate_revoke_pck_leaf, true, 0,
	 RATLS_ERR_CERT_REVOKED, "\"Intel SGX PCK Certificate\" is revoked", NULL},
	{"processor PCK leaf revoked", TDX, setup_processor_ca, mutate_revoke_pck_leaf, false, 0,
	 RATLS_ERR_CERT_REVOKED, "revokes the PCK certificate", NULL},
	{"PCK CA revoked", TDX, NULL, mutate_revoke_pck_ca, false, 0, RATLS_ERR_CERT_REVOKED,
	 "\"Intel SGX PCK Platform CA\" is revoked", NULL},
	{"PCK CA revoked full path", TDX, NULL, mutate_revoke_pck_ca, true, 0,
	 RATLS_ERR_CERT_REVOKED, "\"Intel SGX PCK Platform CA\" is revoked", NULL},
	{"TCB signing revoked", TDX, NULL, mutate_revoke_tcb_signing, false, 0,
	 RATLS_ERR_CERT_REVOKED, "\"Intel SGX TCB Signing\" is revoked", NULL},
	{"SGX TCB signing revoked", SGX, NULL, mutate_revoke_tcb_signing, false, 0,
	 RATLS_ERR_CERT_REVOKED, "\"Intel SGX TCB Signing\" is revoked", NULL},
	{"root revoked by own CRL", TDX, NULL, mutate_revoke_root, false, 0, RATLS_ERR_CERT_REVOKED,
	 "revokes the trusted root itself", NULL},
	{"PCK serial in root CRL ignored", TDX, NULL, mutate_revoke_pck_leaf_in_root_crl, false, 0,
	 RATLS_OK, NULL, NULL},
	{"PCK serial in root CRL ignored full path", TDX, NULL, mutate_revoke_pck_leaf_in_root_crl,
	 true, 0, RATLS_OK, NULL, NULL},
	{"unused PCK CA revoked ignored", TDX, NULL, mutate_revoke_unused_pck_ca, false, 0, RATLS_OK,
	 NULL, NULL},
	{"neighbour serial revoked ignored", TDX, NULL, mutate_revoke_neighbour_serial, false, 0,
	 RATLS_OK, NULL, NULL},

	/* CRL issuers. */
	{"root CRL issued by PCK CA", TDX, NULL, mutate_root_crl_by_pck_ca, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "not issued by the trusted root", NULL},
	{"root CRL signed by other root key", TDX, NULL, mutate_root_crl_by_other_root, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "root CA CRL signature", NULL},
	{"PCK CRL issued by root", TDX, NULL, mutate_pck_crl_by_root, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "not issued by the first certificate of its issuer chain",
	 NULL},
	{"PCK CRL issued by root full path", TDX, NULL, mutate_pck_crl_by_root, true, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "PCK CRL is issued by \"Simulated SGX Root CA\"", NULL},
	{"PCK CRL issued by processor CA", TDX, NULL, mutate_pck_crl_by_processor_ca, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "not issued by the first certificate of its issuer chain",
	 NULL},
	{"processor CRL for platform leaf", TDX, NULL, mutate_pck_crl_of_other_ca, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "fetch the PCK CRL for ca=platform", NULL},
	{"processor CRL for platform leaf full path", TDX, NULL, mutate_pck_crl_of_other_ca, true, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "fetch the PCK CRL for ca=platform", NULL},
	{"platform CRL for processor leaf", TDX, setup_processor_ca, mutate_pck_crl_of_other_ca,
	 false, 0, RATLS_ERR_COLLATERAL_MISMATCH, "fetch the PCK CRL for ca=processor", NULL},
	{"PCK CRL signed by other CA key", TDX, NULL, mutate_pck_crl_other_key, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "PCK CRL signature", NULL},
	{"PCK CRL signed by other CA key full path", TDX, NULL, mutate_pck_crl_other_key, true, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "key of the PCK certificate's issuer", NULL},
	{"PCK CRL chain ends at other root", TDX, NULL, mutate_pck_crl_chain_other_root, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "PCK CRL issuer chain", NULL},
	{"PCK CRL chain starts with non-CA", TDX, NULL, mutate_pck_crl_chain_not_ca, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "is not a CA certificate", NULL},

	/* CRL structure. */
	{"root CRL without nextUpdate", TDX, setup_root_crl_no_next_update, NULL, false, 0,
	 RATLS_ERR_CRL_INVALID, "root CA CRL must be a version 2 CRL with a nextUpdate", NULL},
	{"PCK CRL without nextUpdate", TDX, setup_pck_crl_no_next_update, NULL, false, 0,
	 RATLS_ERR_CRL_INVALID, "PCK CRL must be a version 2 CRL with a nextUpdate", NULL},
	{"root CRL version 1", TDX, setup_root_crl_v1, NULL, false, 0, RATLS_ERR_CRL_INVALID,
	 "root CA CRL must be a version 2 CRL", NULL},
	{"PCK CRL version 1", TDX, setup_pck_crl_v1, NULL, false, 0, RATLS_ERR_CRL_INVALID,
	 "PCK CRL must be a version 2 CRL", NULL},
	{"root CRL without AKID", TDX, setup_root_crl_no_akid, NULL, false, 0, RATLS_ERR_CRL_INVALID,
	 "root CA CRL",
	 "a CRL without the authority key identifier extension is accepted; Intel's QVL "
	 "(PckCrlVerifier.cpp, CRL_REQUIRED_EXTENSIONS) requires it and the CRL number"},
	{"PCK CRL without AKID", TDX, setup_pck_crl_no_akid, NULL, false, 0, RATLS_ERR_CRL_INVALID,
	 "PCK CRL",
	 "a CRL without the authority key identifier extension is accepted; Intel's QVL "
	 "(PckCrlVerifier.cpp, CRL_REQUIRED_EXTENSIONS) requires it and the CRL number"},

	/* Trust roots. */
	{"quote chain ends at other root", TDX, NULL, mutate_quote_from_other_platform, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "PCK certificate chain", NULL},
	{"quote chain ends at other root full path", TDX, NULL, mutate_quote_from_other_platform,
	 true, 0, RATLS_ERR_UNTRUSTED_ROOT, "PCK certificate chain", NULL},
	{"PCK chain with other root copy", TDX, NULL, mutate_pck_chain_other_root_copy, false, 0,
	 RATLS_OK, NULL, NULL},
	{"PCK chain with other root copy full path", TDX, NULL, mutate_pck_chain_other_root_copy,
	 true, 0, RATLS_OK, NULL, NULL},
	{"PCK chain without root copy", TDX, NULL, mutate_pck_chain_without_root, false, 0, RATLS_OK,
	 NULL, NULL},
	{"PCK chain without root copy full path", TDX, NULL, mutate_pck_chain_without_root, true, 0,
	 RATLS_OK, NULL, NULL},
	{"PCK chain leaf only", TDX, NULL, mutate_pck_chain_leaf_only, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"PCK chain leaf only full path", TDX, NULL, mutate_pck_chain_leaf_only, true, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "unable to get local issuer certificate", NULL},
	{"no trust root given", TDX, NULL, mutate_no_trust_root, false, 0, RATLS_ERR_UNTRUSTED_ROOT,
	 "not the pinned Intel SGX Root CA key", NULL},
	{"SGX no trust root given", SGX, NULL, mutate_no_trust_root, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "not the pinned Intel SGX Root CA key", NULL},
	{"trust root is PCK CA", TDX, NULL, mutate_trust_root_pck_ca, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "not self-signed", NULL},
	{"trust root is TCB signing", TDX, NULL, mutate_trust_root_tcb_signing, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "not self-signed", NULL},
	/* The root CA CRL is checked against the trust root before any chain. */
	{"trust root is other root", TDX, NULL, mutate_trust_root_other_root, false, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "root CA CRL signature", NULL},
	{"trust root truncated", TDX, NULL, mutate_trust_root_truncated, false, 0,
	 RATLS_ERR_MALFORMED, "trust root", NULL},
	{"TCB info chain ends at other root", TDX, NULL, mutate_tcb_info_other_root, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "TCB info issuer chain", NULL},
	{"QE identity chain ends at other root", TDX, NULL, mutate_qe_identity_other_root, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "QE identity issuer chain", NULL},
	{"signing chains without root copy", TDX, NULL, mutate_signing_chains_without_root, false, 0,
	 RATLS_OK, NULL, NULL},

	/* Certificate contents. */
	{"TCB signing wrong common name", TDX, setup_tcb_signing_name, NULL, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "Intel SGX TCB Signing", NULL},
	{"TCB signing without digitalSignature", TDX, setup_tcb_signing_no_digital_signature, NULL,
	 false, 0, RATLS_ERR_CHAIN_INVALID, "TCB info issuer chain", NULL},
	{"TCB signing is a CA", TDX, setup_tcb_signing_ca, NULL, false, 0, RATLS_ERR_CHAIN_INVALID,
	 "a signing leaf must be an end-entity certificate", NULL},
	{"TCB signing unknown critical extension", TDX, setup_tcb_signing_critical, NULL, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "unhandled critical extension", NULL},
	{"PCK leaf without SGX extension", TDX, setup_pck_no_sgx_extension, NULL, false, 0,
	 RATLS_ERR_PCK_CERT_INVALID, "lacks the SGX extension", NULL},
	{"PCK leaf without SGX extension full path", TDX, setup_pck_no_sgx_extension, NULL, true, 0,
	 RATLS_ERR_PCK_CERT_INVALID, "lacks the SGX extension", NULL},
	{"PCK leaf unknown critical extension", TDX, setup_pck_critical, NULL, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "critical extension", NULL},
	{"PCK leaf unknown critical extension full path", TDX, setup_pck_critical, NULL, true, 0,
	 RATLS_ERR_CHAIN_INVALID, "critical extension", NULL},
	{"PCK leaf is a CA", TDX, setup_pck_ca, NULL, false, 0, RATLS_ERR_CHAIN_INVALID,
	 "CA certificate", NULL},
	{"PCK leaf is a CA full path", TDX, setup_pck_ca, NULL, true, 0, RATLS_ERR_CHAIN_INVALID,
	 "CA certificate", NULL},
	{"PCK CA unknown critical extension", TDX, setup_platform_ca_critical, NULL, false, 0,
	 RATLS_ERR_CHAIN_INVALID, "unhandled critical extension", NULL},
	{"PCK CA unknown critical extension full path", TDX, setup_platform_ca_critical, NULL, true,
	 0, RATLS_ERR_CHAIN_INVALID, "unhandled critical extension", NULL},
	{"PCK leaf wrong common name", TDX, setup_pck_name, NULL, false, 0,
	 RATLS_ERR_PCK_CERT_INVALID, "names Intel gives PCK certificates", NULL},
	{"PCK CA wrong common name", TDX, setup_platform_ca_name, NULL, false, 0,
	 RATLS_ERR_PCK_CERT_INVALID, "names Intel gives PCK certificates", NULL},

	/* Collateral that belongs to another platform or TEE. */
	{"TCB info FMSPC mismatch", TDX, setup_tdx_fmspc, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "PCK certificate FMSPC 53494d000000 differs", NULL},
	{"SGX TCB info FMSPC mismatch", SGX, setup_sgx_fmspc, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "PCK certificate FMSPC 53494d000000 differs", NULL},
	{"TCB info PCE-ID mismatch", TDX, setup_tdx_pce_id, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "PCK certificate PCE-ID 0000 differs", NULL},
	{"SGX TCB info PCE-ID mismatch", SGX, setup_sgx_pce_id, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "PCK certificate PCE-ID 0000 differs", NULL},
	{"SGX TCB info for TDX v4 quote", TDX, setup_tdx_gets_sgx_tcb_info, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "TDX quote with SGX TCB info", NULL},
	{"SGX TCB info for TDX v5 quote", RATLS_SIM_QUOTE_TDX_V5_TD15, setup_tdx_gets_sgx_tcb_info,
	 NULL, false, 0, RATLS_ERR_COLLATERAL_MISMATCH, "TDX quote with SGX TCB info", NULL},
	{"TDX TCB info version 2", TDX, setup_tdx_tcb_info_v2, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "version 2", NULL},
	{"TDX TCB info for SGX quote", SGX, setup_sgx_gets_tdx_tcb_info, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "SGX quote with TDX TCB info", NULL},
	{"QE identity for TDX quote", TDX, setup_tdx_gets_qe_identity, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "TDX quote with QE identity \"QE\"", NULL},
	{"TD_QE identity for SGX quote", SGX, setup_sgx_gets_td_qe_identity, NULL, false, 0,
	 RATLS_ERR_COLLATERAL_MISMATCH, "SGX quote with QE identity \"TD_QE\"", NULL},
};

#define CHAIN_CASE_COUNT (sizeof(chain_cases) / sizeof(chain_cases[0]))

/* ---- validity windows ---- */

/* An object with a validity window and the label the verifier reports it by. */
struct window_object {
	const char *name;
	enum ratls_sim_quote_format format;
	bool full_path;
	bool processor_ca;
	/* Offset of the start and end fields in struct ratls_sim_platform_params. */
	size_t start_offset;
	size_t end_offset;
	const char *label;
};

#define FIELD(member) offsetof(struct ratls_sim_platform_params, member)

static const struct window_object window_objects[] = {
	{"root certificate", TDX, false, false, FIELD(root_ca.not_before), FIELD(root_ca.not_after),
	 "certificate \"Simulated SGX Root CA\""},
	{"PCK CA certificate", TDX, false, false, FIELD(platform_ca.not_before),
	 FIELD(platform_ca.not_after), "certificate \"Intel SGX PCK Platform CA\""},
	{"PCK CA certificate full path", TDX, true, false, FIELD(platform_ca.not_before),
	 FIELD(platform_ca.not_after), "certificate \"Intel SGX PCK Platform CA\""},
	{"processor CA certificate", TDX, false, true, FIELD(processor_ca.not_before),
	 FIELD(processor_ca.not_after), "certificate \"Intel SGX PCK Processor CA\""},
	{"PCK certificate", TDX, false, false, FIELD(pck.not_before), FIELD(pck.not_after),
	 "certificate \"Intel SGX PCK Certificate\""},
	{"PCK certificate full path", TDX, true, false, FIELD(pck.not_before), FIELD(pck.not_after),
	 "certificate \"Intel SGX PCK Certificate\""},
	{"TCB signing certificate", TDX, false, false, FIELD(tcb_signing.not_before),
	 FIELD(tcb_signing.not_after), "certificate \"Intel SGX TCB Signing\""},
	{"root CRL", TDX, false, false, FIELD(root_crl.this_update), FIELD(root_crl.next_update),
	 "root CA CRL"},
	{"PCK CRL", TDX, false, false, FIELD(pck_crl.this_update), FIELD(pck_crl.next_update),
	 "PCK CRL"},
	{"PCK CRL full path", TDX, true, false, FIELD(pck_crl.this_update),
	 FIELD(pck_crl.next_update), "PCK CRL"},
	{"TDX TCB info", TDX, false, false, FIELD(tdx_tcb_info.issue_date),
	 FIELD(tdx_tcb_info.next_update), "TCB info"},
	{"TD_QE identity", TDX, false, false, FIELD(td_qe_identity.issue_date),
	 FIELD(td_qe_identity.next_update), "QE identity"},
	{"SGX TCB info", SGX, false, false, FIELD(sgx_tcb_info.issue_date),
	 FIELD(sgx_tcb_info.next_update), "TCB info"},
	{"QE identity", SGX, false, false, FIELD(qe_identity.issue_date),
	 FIELD(qe_identity.next_update), "QE identity"},
	{"SGX PCK certificate", SGX, false, false, FIELD(pck.not_before), FIELD(pck.not_after),
	 "certificate \"Intel SGX PCK Certificate\""},
};

#define WINDOW_OBJECT_COUNT (sizeof(window_objects) / sizeof(window_objects[0]))

/*
 * The moved edge: every other object starts by SIMTEST_NOW - 1 hour and ends
 * at SIMTEST_NOW + 30 days or later, so these edges are the latest start and
 * the earliest end of everything the verifier uses.
 */
#define MOVED_START (SIMTEST_NOW + DAY)
#define MOVED_END (SIMTEST_NOW + 2 * DAY)

enum window_probe {
	PROBE_AT_START,     /* verify exactly at the start: accepted */
	PROBE_BEFORE_START, /* one second before: not yet valid */
	PROBE_AT_END,       /* exactly at the end: accepted */
	PROBE_AFTER_END,    /* one second after: expired */
	PROBE_COUNT
};

static const char *const probe_names[PROBE_COUNT] = {
	"valid at start", "not yet valid 1s before start", "valid at end", "expired 1s after end"};

struct window_case {
	const struct window_object *object;
	enum window_probe probe;
	char name[128];
};

static struct window_case window_cases[WINDOW_OBJECT_COUNT * PROBE_COUNT];

static void run_window_case(void **state)
{
	const struct window_case *c = *state;
	const struct window_object *o = c->object;
	struct ratls_sim_platform_params *params = malloc(sizeof(*params));
	bool end = c->probe == PROBE_AT_END || c->probe == PROBE_AFTER_END;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int64_t at;
	int rc;

	assert_non_null(params);
	simtest_platform_defaults(params);
	if (o->processor_ca)
		params->pck_issuer = RATLS_SIM_CERT_PROCESSOR_CA;
	if (end)
		*(int64_t *)((char *)params + o->end_offset) = MOVED_END;
	else
		*(int64_t *)((char *)params + o->start_offset) = MOVED_START;
	simtest_fixture_init(&f, o->format, NULL, params);
	free(params);
	if (o->full_path)
		collateral_drop_pck_crl_chain(f.collateral);

	switch (c->probe) {
	case PROBE_AT_START:
		at = MOVED_START;
		break;
	case PROBE_BEFORE_START:
		at = MOVED_START - 1;
		break;
	case PROBE_AT_END:
		at = MOVED_END;
		break;
	default:
		at = MOVED_END + 1;
		break;
	}
	rc = simtest_fixture_verify(&f, at, &report, &detail);
	simtest_fixture_free(&f);

	switch (c->probe) {
	case PROBE_AT_START:
		simtest_assert_code(rc, &detail, RATLS_OK, NULL);
		assert_int_equal(report.valid_from, MOVED_START);
		break;
	case PROBE_BEFORE_START:
		simtest_assert_code(rc, &detail, RATLS_ERR_COLLATERAL_NOT_YET_VALID, o->label);
		assert_non_null(strstr(detail.message, "starts at"));
		break;
	case PROBE_AT_END:
		simtest_assert_code(rc, &detail, RATLS_OK, NULL);
		assert_int_equal(report.valid_until, MOVED_END);
		assert_string_equal(report.valid_until_source, o->label);
		break;
	default:
		simtest_assert_code(rc, &detail, RATLS_ERR_COLLATERAL_EXPIRED, o->label);
		assert_non_null(strstr(detail.message, "expired at"));
		break;
	}
}

/* The default collateral's window: everything starts by now - 1 hour and ends at now + 30 days. */
static void test_window_default_report(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int rc;

	(void)state;
	simtest_fixture_init(&f, TDX, NULL, NULL);
	rc = simtest_fixture_verify(&f, SIMTEST_NOW, &report, &detail);
	simtest_fixture_free(&f);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
	assert_int_equal(report.valid_from, SIMTEST_NOW - HOUR);
	assert_int_equal(report.valid_until, SIMTEST_NOW + 30 * DAY);
	/* Four objects end at that time, and the report names one of them. */
	assert_true(strcmp(report.valid_until_source, "root CA CRL") == 0 ||
		    strcmp(report.valid_until_source, "PCK CRL") == 0 ||
		    strcmp(report.valid_until_source, "TCB info") == 0 ||
		    strcmp(report.valid_until_source, "QE identity") == 0);
}

/* Collateral issued a whole day later verifies only once it is issued, and then until it ends. */
static void test_window_shifted_collateral(void **state)
{
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int rc_before, rc_at_start, rc_at_end, rc_after;

	(void)state;
	simtest_fixture_init(&f, TDX, NULL, NULL);
	ratls_collateral_free(f.collateral);
	f.collateral = simtest_collateral_new(f.platform, RATLS_SIM_TEE_TDX, SIMTEST_NOW + DAY);
	rc_before = simtest_fixture_verify(&f, SIMTEST_NOW + DAY - HOUR - 1, &report, &detail);
	rc_at_start = simtest_fixture_verify(&f, SIMTEST_NOW + DAY - HOUR, &report, &detail);
	rc_at_end = simtest_fixture_verify(&f, SIMTEST_NOW + 31 * DAY, &report, &detail);
	rc_after = simtest_fixture_verify(&f, SIMTEST_NOW + 31 * DAY + 1, &report, &detail);
	simtest_fixture_free(&f);
	assert_int_equal(rc_before, RATLS_ERR_COLLATERAL_NOT_YET_VALID);
	assert_int_equal(rc_at_start, RATLS_OK);
	assert_int_equal(rc_at_end, RATLS_OK);
	assert_int_equal(rc_after, RATLS_ERR_COLLATERAL_EXPIRED);
}

/* ---- CRL encodings accepted by ratls_collateral_set_crl ---- */

enum crl_form { CRL_DER, CRL_PEM, CRL_HEX, CRL_HEX_UPPER };

struct crl_form_case {
	const char *name;
	enum ratls_crl_slot slot;
	enum crl_form form;
};

static const struct crl_form_case crl_form_cases[] = {
	{"root CRL as DER", RATLS_CRL_ROOT, CRL_DER},
	{"root CRL as PEM", RATLS_CRL_ROOT, CRL_PEM},
	{"root CRL as hex", RATLS_CRL_ROOT, CRL_HEX},
	{"root CRL as upper-case hex", RATLS_CRL_ROOT, CRL_HEX_UPPER},
	{"PCK CRL as DER", RATLS_CRL_PCK, CRL_DER},
	{"PCK CRL as PEM", RATLS_CRL_PCK, CRL_PEM},
	{"PCK CRL as hex", RATLS_CRL_PCK, CRL_HEX},
	{"PCK CRL as upper-case hex", RATLS_CRL_PCK, CRL_HEX_UPPER},
};

#define CRL_FORM_CASE_COUNT (sizeof(crl_form_cases) / sizeof(crl_form_cases[0]))

/* Returns a copy of the DER CRL in slot (free with free()). */
static uint8_t *collateral_crl_copy(const struct ratls_collateral *collateral,
				    enum ratls_crl_slot slot, size_t *size)
{
	const uint8_t *der = slot == RATLS_CRL_ROOT ? collateral->root_crl : collateral->pck_crl;
	uint8_t *copy;

	*size = slot == RATLS_CRL_ROOT ? collateral->root_crl_size : collateral->pck_crl_size;
	assert_non_null(der);
	copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, der, *size);
	return copy;
}

static void run_crl_form_case(void **state)
{
	const struct crl_form_case *c = *state;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	size_t der_size = 0, text_len = 0;
	uint8_t *der;
	char *text = NULL;
	const uint8_t *stored;
	size_t stored_size;
	int rc_set, rc;

	simtest_fixture_init(&f, TDX, NULL, NULL);
	der = collateral_crl_copy(f.collateral, c->slot, &der_size);
	switch (c->form) {
	case CRL_DER:
		rc_set = ratls_collateral_set_crl(f.collateral, c->slot, der, der_size, &detail);
		break;
	case CRL_PEM:
		text = simtest_crl_pem(der, der_size, &text_len);
		rc_set = ratls_collateral_set_crl(f.collateral, c->slot, (const uint8_t *)text,
						  text_len, &detail);
		ratls_sim_free(text);
		break;
	default:
		text = simtest_hex(der, der_size, &text_len);
		for (size_t i = 0; c->form == CRL_HEX_UPPER && i < text_len; i++) {
			if (text[i] >= 'a' && text[i] <= 'f')
				text[i] = (char)(text[i] - 'a' + 'A');
		}
		rc_set = ratls_collateral_set_crl(f.collateral, c->slot, (const uint8_t *)text,
						  text_len, &detail);
		free(text);
		break;
	}
	stored = c->slot == RATLS_CRL_ROOT ? f.collateral->root_crl : f.collateral->pck_crl;
	stored_size = c->slot == RATLS_CRL_ROOT ? f.collateral->root_crl_size
						: f.collateral->pck_crl_size;
	assert_int_equal(stored_size, der_size);
	assert_memory_equal(stored, der, der_size);
	free(der);
	rc = simtest_fixture_verify(&f, SIMTEST_NOW, &report, &detail);
	simtest_fixture_free(&f);
	simtest_assert_code(rc_set, &detail, RATLS_OK, NULL);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

/* ---- CRLs that ratls_collateral_set_crl rejects ---- */

enum crl_damage {
	DAMAGE_TRUNCATED,      /* DER without its last byte */
	DAMAGE_TRAILING_BYTE,  /* DER followed by one zero byte */
	DAMAGE_HEADER_BYTE,    /* DER whose outer SEQUENCE tag is changed */
	DAMAGE_PEM_NO_END,     /* PEM without its END line */
	DAMAGE_PEM_BAD_BASE64, /* PEM with a character outside base64 in its body */
	DAMAGE_HEX_ODD,        /* hex text with one digit removed */
	DAMAGE_EMPTY           /* zero bytes */
};

struct crl_damage_case {
	const char *name;
	enum ratls_crl_slot slot;
	enum crl_damage damage;
	int expected;
};

static const struct crl_damage_case crl_damage_cases[] = {
	{"root CRL truncated", RATLS_CRL_ROOT, DAMAGE_TRUNCATED, RATLS_ERR_MALFORMED},
	{"PCK CRL truncated", RATLS_CRL_PCK, DAMAGE_TRUNCATED, RATLS_ERR_MALFORMED},
	{"PCK CRL trailing byte", RATLS_CRL_PCK, DAMAGE_TRAILING_BYTE, RATLS_ERR_MALFORMED},
	{"PCK CRL tag changed", RATLS_CRL_PCK, DAMAGE_HEADER_BYTE, RATLS_ERR_MALFORMED},
	{"root CRL PEM without END", RATLS_CRL_ROOT, DAMAGE_PEM_NO_END, RATLS_ERR_MALFORMED},
	{"PCK CRL PEM bad base64", RATLS_CRL_PCK, DAMAGE_PEM_BAD_BASE64, RATLS_ERR_MALFORMED},
	{"PCK CRL hex odd length", RATLS_CRL_PCK, DAMAGE_HEX_ODD, RATLS_ERR_MALFORMED},
	{"root CRL empty", RATLS_CRL_ROOT, DAMAGE_EMPTY, RATLS_ERR_MALFORMED},
};

#define CRL_DAMAGE_CASE_COUNT (sizeof(crl_damage_cases) / sizeof(crl_damage_cases[0]))

/* Returns the damaged encoding of der (free with free()). */
static uint8_t *crl_damaged(const uint8_t *der, size_t der_size, enum crl_damage damage,
			    size_t *size)
{
	uint8_t *out = NULL;
	char *text = NULL;
	size_t text_len = 0;

	switch (damage) {
	case DAMAGE_TRUNCATED:
	case DAMAGE_TRAILING_BYTE:
	case DAMAGE_HEADER_BYTE:
		out = calloc(1, der_size + 1);
		assert_non_null(out);
		memcpy(out, der, der_size);
		*size = damage == DAMAGE_TRUNCATED ? der_size - 1
			: damage == DAMAGE_TRAILING_BYTE ? der_size + 1
							 : der_size;
		if (damage == DAMAGE_HEADER_BYTE)
			out[0] = 0x31; /* SET instead of SEQUENCE */
		return out;
	case DAMAGE_PEM_NO_END:
	case DAMAGE_PEM_BAD_BASE64: {
		char *end;

		text = simtest_crl_pem(der, der_size, &text_len);
		out = malloc(text_len + 1);
		assert_non_null(out);
		memcpy(out, text, text_len + 1);
		ratls_sim_free(text);
		end = strstr((char *)out, "-----END");
		assert_non_null(end);
		if (damage == DAMAGE_PEM_NO_END) {
			*size = (size_t)((uint8_t *)end - out);
		} else {
			/* The character 64 bytes into the body, past the BEGIN line. */
			char *body = strchr((char *)out, '\n');

			assert_non_null(body);
			assert_true(body + 64 < end);
			body[64] = '*';
			*size = text_len;
		}
		return out;
	}
	case DAMAGE_HEX_ODD:
		text = simtest_hex(der, der_size, &text_len);
		*size = text_len - 1;
		return (uint8_t *)text;
	case DAMAGE_EMPTY:
		out = malloc(1);
		assert_non_null(out);
		*size = 0;
		return out;
	}
	fail_msg("unknown damage %d", (int)damage);
	return NULL;
}

/* The rejected CRL leaves the slot unchanged: the collateral still verifies. */
static void run_crl_damage_case(void **state)
{
	const struct crl_damage_case *c = *state;
	struct ratls_verified_report report;
	struct ratls_detail set_detail = {0};
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	size_t der_size = 0, damaged_size = 0;
	uint8_t *der, *damaged;
	int rc_set, rc;

	simtest_fixture_init(&f, TDX, NULL, NULL);
	der = collateral_crl_copy(f.collateral, c->slot, &der_size);
	damaged = crl_damaged(der, der_size, c->damage, &damaged_size);
	rc_set = ratls_collateral_set_crl(f.collateral, c->slot, damaged, damaged_size,
					  &set_detail);
	free(damaged);
	rc = simtest_fixture_verify(&f, SIMTEST_NOW, &report, &detail);
	assert_memory_equal(c->slot == RATLS_CRL_ROOT ? f.collateral->root_crl
						      : f.collateral->pck_crl,
			    der, der_size);
	free(der);
	simtest_fixture_free(&f);
	simtest_assert_code(rc_set, &set_detail, c->expected, "CRL");
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);
}

/* ---- ratls_dcap_check_signed_json ---- */

struct signed_json_case {
	const char *name;
	bool qe_identity;      /* check the QE identity instead of the TCB info */
	bool root_crl;         /* pass the root CA CRL */
	bool revoke_signer;    /* the root CA CRL revokes the TCB signing certificate */
	bool other_root;       /* the document and chain come from the other platform */
	bool bad_signature;    /* the document's signature has one byte flipped */
	int64_t at;            /* verification time relative to SIMTEST_NOW */
	int expected;
	const char *substring;
};

static const struct signed_json_case signed_json_cases[] = {
	{"signed TCB info valid", false, true, false, false, false, 0, RATLS_OK, NULL},
	{"signed QE identity valid", true, true, false, false, false, 0, RATLS_OK, NULL},
	{"signed TCB info without root CRL", false, false, false, false, false, 0, RATLS_OK, NULL},
	{"signed TCB info signer revoked", false, true, true, false, false, 0,
	 RATLS_ERR_CERT_REVOKED, "\"Intel SGX TCB Signing\" is revoked"},
	/* Without the root CA CRL the signer's revocation is not checked, as documented. */
	{"signed TCB info revoked without CRL", false, false, true, false, false, 0, RATLS_OK,
	 NULL},
	{"signed QE identity other root", true, true, false, true, false, 0,
	 RATLS_ERR_UNTRUSTED_ROOT, "issuer chain"},
	{"signed TCB info bad signature", false, true, false, false, true, 0,
	 RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info"},
	{"signed QE identity expired", true, true, false, false, false, 30 * DAY + 1,
	 RATLS_ERR_COLLATERAL_EXPIRED, "expired at"},
	{"signed TCB info not yet valid", false, true, false, false, false, -HOUR - 1,
	 RATLS_ERR_COLLATERAL_NOT_YET_VALID, "starts at"},
};

#define SIGNED_JSON_CASE_COUNT (sizeof(signed_json_cases) / sizeof(signed_json_cases[0]))

static void run_signed_json_case(void **state)
{
	const struct signed_json_case *c = *state;
	struct ratls_dcap_options options = {0};
	struct ratls_detail detail = {0};
	struct ratls_signed_json *sj;
	struct simtest_fixture f;
	const char *chain;
	int rc;

	simtest_fixture_init(&f, TDX, NULL, NULL);
	if (c->revoke_signer)
		mutate_revoke_tcb_signing(&f);
	if (c->other_root)
		identity_from_other_platform(&f, !c->qe_identity);
	sj = c->qe_identity ? &f.collateral->qe_identity : &f.collateral->tcb_info;
	chain = c->qe_identity ? f.collateral->qe_identity_chain : f.collateral->tcb_info_chain;
	if (c->bad_signature)
		sj->signature[0] ^= 0x01;
	options.trust_root_der = f.root_der;
	options.trust_root_der_size = f.root_der_size;
	rc = ratls_dcap_check_signed_json(c->qe_identity ? NULL : sj, c->qe_identity ? sj : NULL,
					  chain, c->root_crl ? f.collateral->root_crl : NULL,
					  c->root_crl ? f.collateral->root_crl_size : 0,
					  SIMTEST_NOW + c->at, &options, &detail);
	simtest_fixture_free(&f);
	simtest_assert_code(rc, &detail, c->expected, c->substring);
}

/* Exactly one of the TCB info and the QE identity must be given. */
static void test_signed_json_needs_one_document(void **state)
{
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int rc_none, rc_both;

	(void)state;
	simtest_fixture_init(&f, TDX, NULL, NULL);
	rc_none = ratls_dcap_check_signed_json(NULL, NULL, f.collateral->tcb_info_chain, NULL, 0,
					       SIMTEST_NOW, NULL, &detail);
	ratls_detail_clear(&detail);
	rc_both = ratls_dcap_check_signed_json(&f.collateral->tcb_info, &f.collateral->qe_identity,
					       f.collateral->tcb_info_chain, NULL, 0, SIMTEST_NOW,
					       NULL, &detail);
	simtest_fixture_free(&f);
	assert_int_equal(rc_none, RATLS_ERR_INVALID_ARGUMENT);
	simtest_assert_code(rc_both, &detail, RATLS_ERR_INVALID_ARGUMENT, "exactly one");
}

/* ---- prepared context ---- */

/*
 * A context built once keeps checking time on every quote: the same context
 * accepts inside the window and reports expiry after it.
 */
static void test_context_window(void **state)
{
	struct ratls_dcap_options options = {0};
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int64_t from = 0, until = 0;
	int rc_new, rc_inside, rc_after;

	(void)state;
	simtest_fixture_init(&f, TDX, NULL, NULL);
	options.trust_root_der = f.root_der;
	options.trust_root_der_size = f.root_der_size;
	rc_new = ratls_dcap_context_new(f.collateral, &options, &ctx, &detail);
	simtest_assert_code(rc_new, &detail, RATLS_OK, NULL);
	ratls_dcap_context_validity(ctx, &from, &until);
	rc_inside = ratls_dcap_context_verify(ctx, f.quote, f.quote_size, SIMTEST_NOW, &report,
					      &detail);
	ratls_detail_clear(&detail);
	rc_after = ratls_dcap_context_verify(ctx, f.quote, f.quote_size, SIMTEST_NOW + 30 * DAY + 1,
					     &report, &detail);
	ratls_dcap_context_free(ctx);
	simtest_fixture_free(&f);
	assert_int_equal(from, SIMTEST_NOW - HOUR);
	assert_int_equal(until, SIMTEST_NOW + 30 * DAY);
	assert_int_equal(rc_inside, RATLS_OK);
	simtest_assert_code(rc_after, &detail, RATLS_ERR_COLLATERAL_EXPIRED, "expired at");
}

/* A context built from collateral with a revoked PCK leaf rejects the quote on every call. */
static void test_context_revoked_leaf_repeat(void **state)
{
	struct ratls_dcap_options options = {0};
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};
	struct simtest_fixture f;
	int rc_first, rc_second;

	(void)state;
	simtest_fixture_init(&f, TDX, NULL, NULL);
	mutate_revoke_pck_leaf(&f);
	options.trust_root_der = f.root_der;
	options.trust_root_der_size = f.root_der_size;
	simtest_assert_code(ratls_dcap_context_new(f.collateral, &options, &ctx, &detail), &detail,
			    RATLS_OK, NULL);
	rc_first = ratls_dcap_context_verify(ctx, f.quote, f.quote_size, SIMTEST_NOW, &report,
					     &detail);
	ratls_detail_clear(&detail);
	rc_second = ratls_dcap_context_verify(ctx, f.quote, f.quote_size, SIMTEST_NOW, &report,
					      &detail);
	ratls_dcap_context_free(ctx);
	simtest_fixture_free(&f);
	assert_int_equal(rc_first, RATLS_ERR_CERT_REVOKED);
	simtest_assert_code(rc_second, &detail, RATLS_ERR_CERT_REVOKED, "revokes");
}

int main(void)
{
	size_t total = CHAIN_CASE_COUNT + WINDOW_OBJECT_COUNT * PROBE_COUNT + CRL_FORM_CASE_COUNT +
		       CRL_DAMAGE_CASE_COUNT + SIGNED_JSON_CASE_COUNT + 5;
	struct CMUnitTest *tests = calloc(total, sizeof(*tests));
	size_t n = 0;
	int failed;

	if (tests == NULL)
		return 1;
	simtest_log_capture();
	for (size_t i = 0; i < CHAIN_CASE_COUNT; i++) {
		tests[n].name = chain_cases[i].name;
		tests[n].test_func = run_chain_case;
		tests[n].initial_state = (void *)(uintptr_t)&chain_cases[i];
		n++;
	}
	for (size_t i = 0; i < WINDOW_OBJECT_COUNT; i++) {
		for (int p = 0; p < PROBE_COUNT; p++) {
			struct window_case *wc = &window_cases[i * PROBE_COUNT + (size_t)p];

			wc->object = &window_objects[i];
			wc->probe = (enum window_probe)p;
			snprintf(wc->name, sizeof(wc->name), "%s %s", window_objects[i].name,
				 probe_names[p]);
			tests[n].name = wc->name;
			tests[n].test_func = run_window_case;
			tests[n].initial_state = wc;
			n++;
		}
	}
	for (size_t i = 0; i < CRL_FORM_CASE_COUNT; i++) {
		tests[n].name = crl_form_cases[i].name;
		tests[n].test_func = run_crl_form_case;
		tests[n].initial_state = (void *)(uintptr_t)&crl_form_cases[i];
		n++;
	}
	for (size_t i = 0; i < CRL_DAMAGE_CASE_COUNT; i++) {
		tests[n].name = crl_damage_cases[i].name;
		tests[n].test_func = run_crl_damage_case;
		tests[n].initial_state = (void *)(uintptr_t)&crl_damage_cases[i];
		n++;
	}
	for (size_t i = 0; i < SIGNED_JSON_CASE_COUNT; i++) {
		tests[n].name = signed_json_cases[i].name;
		tests[n].test_func = run_signed_json_case;
		tests[n].initial_state = (void *)(uintptr_t)&signed_json_cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_signed_json_needs_one_document);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_window_default_report);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_window_shifted_collateral);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_context_window);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_context_revoked_leaf_repeat);
	if (n != total) {
		free(tests);
		return 1;
	}

	failed = _cmocka_run_group_tests("sim_chain", tests, n, NULL, NULL);
	free(tests);
	return failed;
}
