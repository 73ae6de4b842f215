/*
 * Quote formats, signatures, certification data, section lengths and header
 * fields on the simulated platform. Each case issues a default quote of a
 * format, changes one thing (a quote parameter before signing, or bytes after
 * it) and verifies at SIMTEST_NOW, checking the exact code. Table rows run
 * once per format they apply to, so a failure names the format and the case.
 * Rows where the verifier lacks a rule or returns a misleading code carry the
 * problem in gap and are skipped after printing what ratls returns today.
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
#include <openssl/sha.h>

#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/log.h"
#include "ratls/quote.h"
#include "ratls/sim.h"
#include "sim_helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Number of warnings the library logged. Every verification with the simulated root logs one. */
static unsigned warning_count;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)message;
	(void)arg;
	if (level == RATLS_LOG_WARNING)
		warning_count++;
}

/* ---- quote layout ---- */

/* Offsets of the parts of an issued quote, found with ratls_quote_parse. */
struct quote_layout {
	size_t signed_size; /* header, v5 descriptor and body, followed by the signature data size */
	size_t signature;
	size_t attestation_key;
	size_t outer_cert_data; /* outer certification data of v4 and v5, 0 for v3 */
	size_t qe_report;
	size_t qe_report_signature;
	size_t qe_auth_data; /* its 16-bit size is the 2 bytes before */
	size_t pck_cert_data; /* its type and 32-bit size are the 6 bytes before */
	size_t end; /* end of the signature data */
};

static void layout_of(const uint8_t *quote, size_t size, struct quote_layout *layout)
{
	struct ratls_detail detail = {0};
	struct ratls_quote q;
	int rc = ratls_quote_parse(quote, size, &q, &detail);

	if (rc != RATLS_OK)
		print_error("parsing the issued quote failed: %s\n", detail.message);
	assert_int_equal(rc, RATLS_OK);
	assert_true(q.has_qe_report);
	layout->signed_size = q.signed_size;
	layout->signature = (size_t)(q.signature - quote);
	layout->attestation_key = (size_t)(q.attestation_key - quote);
	layout->outer_cert_data = q.version == 3 ? 0 : (size_t)(q.cert_data - quote);
	layout->qe_report = (size_t)(q.qe_report.raw - quote);
	layout->qe_report_signature = (size_t)(q.qe_report_signature - quote);
	layout->qe_auth_data = (size_t)(q.qe_auth_data - quote);
	layout->pck_cert_data = (size_t)(q.pck_cert_data - quote);
	layout->end = size - q.trailing_size;
}

static uint32_t get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* ---- the case environment ---- */

struct quote_env {
	struct simtest_fixture fixture;
	struct ratls_verified_report report;
	struct ratls_detail detail;
	/* Buffer that quote parameters borrow until the quote is issued, freed with the env. */
	void *owned;
};

static const struct ratls_sim_key *pck_key(const struct quote_env *env)
{
	return ratls_sim_cert_key(ratls_sim_platform_get_cert(env->fixture.platform,
							      RATLS_SIM_CERT_PCK));
}

/* Returns a P-256 key unrelated to the platform's (free with ratls_sim_key_free). */
static struct ratls_sim_key *other_key(void)
{
	static const char seed[] = SIMTEST_SEED_OTHER;
	struct ratls_detail detail = {0};
	struct ratls_sim_key *key = NULL;
	int rc = ratls_sim_key_derive((const uint8_t *)seed, strlen(seed),
				      RATLS_SIM_LABEL_ATTESTATION_KEY, &key, &detail);

	assert_int_equal(rc, RATLS_OK);
	return key;
}

static void sign_or_fail(const struct ratls_sim_key *key, const uint8_t *msg, size_t size,
			 uint8_t signature[64])
{
	struct ratls_detail detail = {0};

	assert_int_equal(ratls_sim_key_sign(key, msg, size, signature, &detail), RATLS_OK);
}

/* Replaces the fixture's quote with one issued from params. */
static void reissue(struct quote_env *env, const struct ratls_sim_quote_params *params)
{
	ratls_sim_free(env->fixture.quote);
	env->fixture.quote = simtest_quote_new_with(env->fixture.platform, params,
						    &env->fixture.quote_size);
}

/* Changes the quote's size, keeping its bytes and zero-filling any growth. */
static void resize_quote(struct quote_env *env, size_t size)
{
	uint8_t *grown = realloc(env->fixture.quote, size > 0 ? size : 1);

	assert_non_null(grown);
	if (size > env->fixture.quote_size)
		memset(grown + env->fixture.quote_size, 0, size - env->fixture.quote_size);
	env->fixture.quote = grown;
	env->fixture.quote_size = size;
}

static int verify_env(struct quote_env *env)
{
	return simtest_fixture_verify(&env->fixture, SIMTEST_NOW, &env->report, &env->detail);
}

/* ---- table rows ---- */

/* Format masks. A row runs once for each format in its mask. */
#define SGX_V3 (1u << RATLS_SIM_QUOTE_SGX_V3)
#define TDX_V4 (1u << RATLS_SIM_QUOTE_TDX_V4)
#define TDX_V5_TD10 (1u << RATLS_SIM_QUOTE_TDX_V5_TD10)
#define TDX_V5_TD15 (1u << RATLS_SIM_QUOTE_TDX_V5_TD15)
#define ALL_TDX (TDX_V4 | TDX_V5_TD10 | TDX_V5_TD15)
#define ALL_V5 (TDX_V5_TD10 | TDX_V5_TD15)
#define ALL_FORMATS (SGX_V3 | ALL_TDX)

struct quote_case {
	const char *name;
	unsigned formats;
	/* Changes the quote parameters; the quote is then issued again. */
	void (*edit_quote)(struct ratls_sim_quote_params *params, struct quote_env *env);
	/* Changes the issued quote's bytes (or the collateral). */
	void (*mutate)(struct quote_env *env);
	int expected_rc;
	const char *detail_substring;
	/* Extra checks of a report that verified. */
	void (*check_report)(const struct quote_env *env);
	/* Missing rule or misleading code. A row that sets it is skipped after printing it. */
	const char *gap;
};

/* One registered test: a row and the format it runs with. */
struct quote_run {
	const struct quote_case *row;
	enum ratls_sim_quote_format format;
	char name[128];
};

static int run_row(const struct quote_run *run, struct quote_env *env)
{
	const struct quote_case *row = run->row;

	simtest_fixture_init(&env->fixture, run->format, NULL, NULL);
	if (row->edit_quote != NULL) {
		struct ratls_sim_quote_params params;

		ratls_sim_platform_quote_defaults(env->fixture.platform, run->format, &params);
		row->edit_quote(&params, env);
		reissue(env, &params);
	}
	if (row->mutate != NULL)
		row->mutate(env);
	return verify_env(env);
}

static void test_quote_row(void **state)
{
	const struct quote_run *run = *state;
	const struct quote_case *row = run->row;
	struct quote_env *env = calloc(1, sizeof(*env));
	int rc;

	assert_non_null(env);
	rc = run_row(run, env);
	if (row->gap != NULL) {
		print_message("known gap: %s\n", row->gap);
		print_message("ratls returns %s (%s); expected %s\n", ratls_error_name(rc),
			      env->detail.message, ratls_error_name(row->expected_rc));
		simtest_fixture_free(&env->fixture);
		free(env->owned);
		free(env);
		skip();
	}
	simtest_assert_code(rc, &env->detail, row->expected_rc, row->detail_substring);
	if (rc == RATLS_OK && row->check_report != NULL)
		row->check_report(env);
	simtest_fixture_free(&env->fixture);
	free(env->owned);
	free(env);
}

/* ---- signatures and the QE report binding ---- */

static void flip_at(struct quote_env *env, size_t offset)
{
	simtest_flip_byte(env->fixture.quote, env->fixture.quote_size, offset);
}

static void mutate_quote_signature(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	flip_at(env, l.signature + 5);
}

static void mutate_last_signed_byte(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	flip_at(env, l.signed_size - 1);
}

static void mutate_header_user_data(struct quote_env *env)
{
	flip_at(env, 28 + 17); /* user_data, past the 16-byte QE ID */
}

/* Re-signs header and body with a key other than the one the quote carries. */
static void mutate_signed_by_other_key(struct quote_env *env)
{
	struct ratls_sim_key *key = other_key();
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	sign_or_fail(key, env->fixture.quote, l.signed_size, env->fixture.quote + l.signature);
	ratls_sim_key_free(key);
}

static void mutate_qe_report_signature(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	flip_at(env, l.qe_report_signature + 40);
}

static void mutate_qe_report_body(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	flip_at(env, l.qe_report + 64); /* MRENCLAVE, which no identity rule checks */
}

static void edit_qe_report_signed_by_attestation_key(struct ratls_sim_quote_params *q,
						     struct quote_env *env)
{
	q->qe_report_signer = ratls_sim_platform_attestation_key(env->fixture.platform);
}

static void edit_qe_report_data_zero(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->qe_report_data_as_given = true;
	memset(q->qe_report.report_data, 0, 64);
}

/* SHA-256(attestation key || QE auth data) in the first half, a non-zero byte in the second. */
static void edit_qe_report_data_upper_half(struct ratls_sim_quote_params *q,
					   struct quote_env *env)
{
	const struct ratls_sim_key *key = ratls_sim_platform_attestation_key(env->fixture.platform);
	struct ratls_detail detail = {0};
	uint8_t preimage[64 + 32];

	assert_int_equal(q->qe_auth_data_size, 32);
	assert_int_equal(ratls_sim_key_public_xy(key, preimage, &detail), RATLS_OK);
	memcpy(preimage + 64, q->qe_auth_data, 32);
	q->qe_report_data_as_given = true;
	memset(q->qe_report.report_data, 0, 64);
	SHA256(preimage, sizeof(preimage), q->qe_report.report_data);
	q->qe_report.report_data[63] = 0x01;
}

static void mutate_qe_auth_data(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	flip_at(env, l.qe_auth_data + 7);
}

static void mutate_attestation_key_replaced(struct quote_env *env)
{
	struct ratls_sim_key *key = other_key();
	struct ratls_detail detail = {0};
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	assert_int_equal(ratls_sim_key_public_xy(key, env->fixture.quote + l.attestation_key,
						 &detail),
			 RATLS_OK);
	ratls_sim_key_free(key);
}

/* Writes SHA-256(attestation key || QE auth data) || 32 zero bytes into the QE report. */
static void bind_qe_report_data(uint8_t *quote, const struct quote_layout *l)
{
	size_t auth_size = (size_t)quote[l->qe_auth_data - 2] |
			   (size_t)quote[l->qe_auth_data - 1] << 8;
	uint8_t *preimage = malloc(64 + auth_size);
	uint8_t *report_data = quote + l->qe_report + 320;

	assert_non_null(preimage);
	memcpy(preimage, quote + l->attestation_key, 64);
	memcpy(preimage + 64, quote + l->qe_auth_data, auth_size);
	memset(report_data, 0, 64);
	SHA256(preimage, 64 + auth_size, report_data);
	free(preimage);
}

/*
 * Writes X = Y = 1, which is not on P-256, as the attestation key. The QE
 * report data is bound to that key and the report signed again by the PCK
 * key, so only the key's validity is wrong.
 */
static void mutate_attestation_key_off_curve(struct quote_env *env)
{
	uint8_t *quote = env->fixture.quote;
	struct quote_layout l;

	layout_of(quote, env->fixture.quote_size, &l);
	memset(quote + l.attestation_key, 0, 64);
	quote[l.attestation_key + 31] = 0x01;
	quote[l.attestation_key + 63] = 0x01;
	bind_qe_report_data(quote, &l);
	sign_or_fail(pck_key(env), quote + l.qe_report, RATLS_SGX_REPORT_SIZE,
		     quote + l.qe_report_signature);
}

/* Bytes 00 01 02 .. used as QE authentication data of any length. */
static const uint8_t *auth_data_pattern(void)
{
	static uint8_t pattern[4096];

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)i;
	return pattern;
}

#define AUTH_DATA_EDIT(size)                                                                  \
	static void edit_auth_data_##size(struct ratls_sim_quote_params *q,                  \
					  struct quote_env *env)                              \
	{                                                                                     \
		(void)env;                                                                    \
		q->qe_auth_data = (size) > 0 ? auth_data_pattern() : NULL;                    \
		q->qe_auth_data_size = (size);                                                \
	}

AUTH_DATA_EDIT(0)
AUTH_DATA_EDIT(1)
AUTH_DATA_EDIT(33)
AUTH_DATA_EDIT(4096)

/* ---- certification data ---- */

#define CERT_TYPE_EDIT(field, type)                                                           \
	static void edit_##field##_##type(struct ratls_sim_quote_params *q,                  \
					  struct quote_env *env)                              \
	{                                                                                     \
		(void)env;                                                                    \
		q->field = (type);                                                            \
	}

CERT_TYPE_EDIT(cert_data_type, 0)
CERT_TYPE_EDIT(cert_data_type, 1)
CERT_TYPE_EDIT(cert_data_type, 2)
CERT_TYPE_EDIT(cert_data_type, 3)
CERT_TYPE_EDIT(cert_data_type, 4)
CERT_TYPE_EDIT(cert_data_type, 6)
CERT_TYPE_EDIT(cert_data_type, 7)
CERT_TYPE_EDIT(outer_cert_data_type, 0)
CERT_TYPE_EDIT(outer_cert_data_type, 1)
CERT_TYPE_EDIT(outer_cert_data_type, 2)
CERT_TYPE_EDIT(outer_cert_data_type, 3)
CERT_TYPE_EDIT(outer_cert_data_type, 4)
CERT_TYPE_EDIT(outer_cert_data_type, 5)
CERT_TYPE_EDIT(outer_cert_data_type, 7)

/* Puts the platform's PEM PCK chain into the collateral, where it replaces the quote's. */
static void mutate_collateral_pck_chain(struct quote_env *env)
{
	struct ratls_detail detail = {0};
	char *pem = NULL;
	size_t pem_len = 0;
	int rc;

	rc = ratls_sim_platform_pck_chain_pem(env->fixture.platform, &pem, &pem_len, &detail);
	assert_int_equal(rc, RATLS_OK);
	rc = ratls_collateral_set_chain(env->fixture.collateral, RATLS_CHAIN_PCK,
					(const uint8_t *)pem, pem_len, &detail);
	if (rc != RATLS_OK)
		print_error("setting the PCK chain failed: %s\n", detail.message);
	assert_int_equal(rc, RATLS_OK);
	ratls_sim_free(pem);
}

static void set_cert_data_text(struct ratls_sim_quote_params *q, const char *text, size_t size)
{
	q->cert_data_type = RATLS_CERT_PCK_CHAIN;
	q->cert_data = (const uint8_t *)text;
	q->cert_data_size = size;
}

static void edit_pem_garbage(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const char text[] = "this is not a PEM certificate chain";

	(void)env;
	set_cert_data_text(q, text, sizeof(text));
}

static void edit_pem_empty(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	set_cert_data_text(q, "", 0);
}

static void edit_pem_nul_only(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	set_cert_data_text(q, "", 1);
}

static void edit_pem_bad_base64(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const char text[] = "-----BEGIN CERTIFICATE-----\nMII*not*base64*\n"
				   "-----END CERTIFICATE-----\n";

	(void)env;
	set_cert_data_text(q, text, sizeof(text));
}

static void edit_pem_no_end_line(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const char text[] = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n";

	(void)env;
	set_cert_data_text(q, text, sizeof(text));
}

/* Valid base64 whose bytes are not a DER certificate. */
static void edit_pem_not_der(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const char text[] = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQoLDA0ODw==\n"
				   "-----END CERTIFICATE-----\n";

	(void)env;
	set_cert_data_text(q, text, sizeof(text));
}

static void edit_pem_without_nul(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	struct ratls_detail detail = {0};
	char *pem = NULL;
	size_t pem_len = 0;

	assert_int_equal(ratls_sim_platform_pck_chain_pem(env->fixture.platform, &pem, &pem_len,
							  &detail),
			 RATLS_OK);
	env->owned = pem;
	set_cert_data_text(q, pem, pem_len);
}

/* Uses the PEM chain of the platform's certificates of the given kinds, in that order. */
static void set_chain_of(struct ratls_sim_quote_params *q, struct quote_env *env,
			 const enum ratls_sim_cert_kind *kinds, size_t count)
{
	const struct ratls_sim_cert *certs[4];
	struct ratls_detail detail = {0};
	char *pem = NULL;
	size_t pem_len = 0;

	assert_true(count <= ARRAY_SIZE(certs));
	for (size_t i = 0; i < count; i++)
		certs[i] = ratls_sim_platform_get_cert(env->fixture.platform, kinds[i]);
	assert_int_equal(ratls_sim_chain_pem(certs, count, &pem, &pem_len, &detail), RATLS_OK);
	env->owned = pem;
	set_cert_data_text(q, pem, pem_len + 1);
}

static void edit_chain_reversed(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const enum ratls_sim_cert_kind kinds[] = {
		RATLS_SIM_CERT_ROOT_CA, RATLS_SIM_CERT_PLATFORM_CA, RATLS_SIM_CERT_PCK};

	set_chain_of(q, env, kinds, ARRAY_SIZE(kinds));
}

static void edit_chain_leaf_only(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const enum ratls_sim_cert_kind kinds[] = {RATLS_SIM_CERT_PCK};

	set_chain_of(q, env, kinds, ARRAY_SIZE(kinds));
}

/* A chain whose leaf is the PCK CA, the certificate the PCK CRL's issuer issued. */
static void edit_chain_ca_first(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	static const enum ratls_sim_cert_kind kinds[] = {RATLS_SIM_CERT_PLATFORM_CA,
							 RATLS_SIM_CERT_ROOT_CA};

	set_chain_of(q, env, kinds, ARRAY_SIZE(kinds));
}

/* The PCK chain three times over: 9 certificates, one more than a chain may have. */
static void edit_chain_nine_certificates(struct ratls_sim_quote_params *q,
					 struct quote_env *env)
{
	struct ratls_detail detail = {0};
	char *pem = NULL, *text;
	size_t pem_len = 0;

	assert_int_equal(ratls_sim_platform_pck_chain_pem(env->fixture.platform, &pem, &pem_len,
							  &detail),
			 RATLS_OK);
	text = malloc(3 * pem_len + 1);
	assert_non_null(text);
	for (int i = 0; i < 3; i++)
		memcpy(text + i * pem_len, pem, pem_len);
	text[3 * pem_len] = '\0';
	ratls_sim_free(pem);
	env->owned = text;
	set_cert_data_text(q, text, 3 * pem_len + 1);
}

/* PCK certification data of RATLS_QUOTE_MAX_SIZE bytes, so the quote exceeds the limit. */
static void edit_cert_data_oversized(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	uint8_t *data = malloc(RATLS_QUOTE_MAX_SIZE);

	assert_non_null(data);
	memset(data, 'A', RATLS_QUOTE_MAX_SIZE);
	env->owned = data;
	q->cert_data = data;
	q->cert_data_size = RATLS_QUOTE_MAX_SIZE;
}

/* ---- section lengths ---- */

static void mutate_truncate_header(struct quote_env *env)
{
	resize_quote(env, RATLS_QUOTE_HEADER_SIZE - 1);
}

static void mutate_empty(struct quote_env *env)
{
	resize_quote(env, 0);
}

static void mutate_truncate_body(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	resize_quote(env, l.signed_size - 10);
}

static uint32_t layout_body_size(uint16_t body_type)
{
	switch (body_type) {
	case RATLS_BODY_SGX_ENCLAVE:
		return RATLS_SGX_REPORT_SIZE;
	case RATLS_BODY_TD_REPORT10:
		return RATLS_TD10_REPORT_SIZE;
	default:
		return RATLS_TD15_REPORT_SIZE;
	}
}

static void edit_body_size_small(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_size = layout_body_size(q->body_type) - 1;
}

static void edit_body_size_large(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_size = layout_body_size(q->body_type) + 1;
}

static void edit_body_size_max(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_size = UINT32_MAX;
}

/* The other TD report layout's size: TD 1.5 for a TD 1.0 body and the reverse. */
static void edit_body_size_other_td(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_size = q->body_type == RATLS_BODY_TD_REPORT10 ? RATLS_TD15_REPORT_SIZE
							      : RATLS_TD10_REPORT_SIZE;
}

static void edit_body_type_4(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_type = 4;
	q->body_size = RATLS_TD15_REPORT_SIZE;
}

static void edit_body_type_0(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_type = 0;
	q->body_size = RATLS_TD10_REPORT_SIZE;
}

/* Adds delta to the 32-bit little-endian length at offset. */
static void add_to_u32(struct quote_env *env, size_t offset, int64_t delta)
{
	uint8_t *p = env->fixture.quote + offset;

	put_u32le(p, (uint32_t)((int64_t)get_u32le(p) + delta));
}

static void mutate_signature_size_plus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.signed_size, 1);
}

/* One more byte declared and present: the signature data then has a byte after its fields. */
static void mutate_signature_size_plus_1_padded(struct quote_env *env)
{
	mutate_signature_size_plus_1(env);
	resize_quote(env, env->fixture.quote_size + 1);
}

static void mutate_signature_size_minus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.signed_size, -1);
}

static void mutate_signature_size_zero(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u32le(env->fixture.quote + l.signed_size, 0);
}

static void mutate_signature_size_max(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u32le(env->fixture.quote + l.signed_size, UINT32_MAX);
}

static void mutate_outer_size_plus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.outer_cert_data - 4, 1);
}

static void mutate_outer_size_minus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.outer_cert_data - 4, -1);
}

/*
 * Cuts the outer certification data to 100 bytes, with the signature data
 * size and the quote cut to match, so only the QE report part is too short.
 */
static void mutate_outer_size_below_qe_report(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u32le(env->fixture.quote + l.outer_cert_data - 4, 100);
	put_u32le(env->fixture.quote + l.signed_size, (uint32_t)(l.outer_cert_data + 100 -
								 l.signed_size - 4));
	resize_quote(env, l.outer_cert_data + 100);
}

/* Ends the signature data, and the quote, 100 bytes into the QE report. */
static void mutate_signature_data_ends_in_qe_report(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u32le(env->fixture.quote + l.signed_size,
		  (uint32_t)(l.qe_report + 100 - l.signed_size - 4));
	resize_quote(env, l.qe_report + 100);
}

static void mutate_auth_size_max(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u16le(env->fixture.quote + l.qe_auth_data - 2, UINT16_MAX);
}

static void mutate_auth_size_plus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	env->fixture.quote[l.qe_auth_data - 2]++;
}

static void mutate_auth_size_minus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	env->fixture.quote[l.qe_auth_data - 2]--;
}

static void mutate_pck_size_plus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.pck_cert_data - 4, 1);
}

static void mutate_pck_size_minus_1(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	add_to_u32(env, l.pck_cert_data - 4, -1);
}

static void mutate_pck_size_max(struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	put_u32le(env->fixture.quote + l.pck_cert_data - 4, UINT32_MAX);
}

static void edit_trailing_zeros(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->trailing_zero_bytes = 70; /* as the dcap-qvl TDX sample carries */
}

static void check_trailing_70(const struct quote_env *env)
{
	assert_int_equal(env->report.trailing_size, 70);
}

static void mutate_trailing_nonzero(struct quote_env *env)
{
	resize_quote(env, env->fixture.quote_size + 1);
	env->fixture.quote[env->fixture.quote_size - 1] = 0x01;
}

static void mutate_trailing_zeros_then_nonzero(struct quote_env *env)
{
	resize_quote(env, env->fixture.quote_size + 70);
	env->fixture.quote[env->fixture.quote_size - 1] = 0xff;
}

static void mutate_pad_to_max(struct quote_env *env)
{
	resize_quote(env, RATLS_QUOTE_MAX_SIZE);
}

static void check_padded_to_max(const struct quote_env *env)
{
	struct quote_layout l;

	layout_of(env->fixture.quote, env->fixture.quote_size, &l);
	assert_int_equal(env->report.trailing_size, RATLS_QUOTE_MAX_SIZE - l.end);
}

static void mutate_pad_past_max(struct quote_env *env)
{
	resize_quote(env, (size_t)RATLS_QUOTE_MAX_SIZE + 1);
}

/* ---- header fields ---- */

#define HEADER_EDIT(field, value)                                                             \
	static void edit_##field##_##value(struct ratls_sim_quote_params *q,                 \
					   struct quote_env *env)                             \
	{                                                                                     \
		(void)env;                                                                    \
		q->header.field = (value);                                                    \
	}

HEADER_EDIT(version, 2)
HEADER_EDIT(version, 6)
HEADER_EDIT(version, 0xffff)
HEADER_EDIT(att_key_type, 0)
HEADER_EDIT(att_key_type, 3)
HEADER_EDIT(tee_type, 0x01)
HEADER_EDIT(tee_type, 0x80)
HEADER_EDIT(tee_type, 0x81)
HEADER_EDIT(tee_type, 0x00)
HEADER_EDIT(pce_svn, 1)

/* A v5 quote whose body descriptor gives an SGX enclave report and whose header gives TDX. */
static void edit_v5_sgx_body(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->body_type = RATLS_BODY_SGX_ENCLAVE;
}

/* The SGX enclave report in a version 4 quote (v4 layout, outer type 6). */
static void edit_sgx_version_4(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->header.version = 4;
}

/* The SGX enclave report in a version 5 quote (body type 1). */
static void edit_sgx_version_5(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->header.version = 5;
}

static void edit_qe_vendor_byte(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	q->header.qe_vendor_id[15] ^= 0x01;
}

static void edit_qe_vendor_zero(struct ratls_sim_quote_params *q, struct quote_env *env)
{
	(void)env;
	memset(q->header.qe_vendor_id, 0, 16);
}

/* Replaces the collateral with the other TEE's (SGX for a TD quote, TDX for an enclave). */
static void mutate_other_tee_collateral(struct quote_env *env)
{
	enum ratls_sim_tee tee = simtest_format_tee(env->fixture.format) == RATLS_SIM_TEE_SGX
					 ? RATLS_SIM_TEE_TDX
					 : RATLS_SIM_TEE_SGX;

	ratls_collateral_free(env->fixture.collateral);
	env->fixture.collateral = simtest_collateral_new(env->fixture.platform, tee, SIMTEST_NOW);
}

/* ---- tables ---- */

static const struct quote_case signature_cases[] = {
	{.name = "quote signature bit flipped",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_quote_signature,
	 .expected_rc = RATLS_ERR_QUOTE_SIGNATURE,
	 .detail_substring = "quote signature by the attestation key does not verify"},
	{.name = "signed report byte changed",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_last_signed_byte,
	 .expected_rc = RATLS_ERR_QUOTE_SIGNATURE,
	 .detail_substring = "quote signature"},
	{.name = "header user data changed",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_header_user_data,
	 .expected_rc = RATLS_ERR_QUOTE_SIGNATURE,
	 .detail_substring = "quote signature"},
	{.name = "quote signed by another key",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signed_by_other_key,
	 .expected_rc = RATLS_ERR_QUOTE_SIGNATURE,
	 .detail_substring = "quote signature"},
	{.name = "qe report signature bit flipped",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_qe_report_signature,
	 .expected_rc = RATLS_ERR_QE_REPORT_SIGNATURE,
	 .detail_substring = "QE report signature by the PCK key does not verify"},
	{.name = "qe report byte changed",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_qe_report_body,
	 .expected_rc = RATLS_ERR_QE_REPORT_SIGNATURE,
	 .detail_substring = "QE report signature"},
	{.name = "qe report signed by attestation key",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_qe_report_signed_by_attestation_key,
	 .expected_rc = RATLS_ERR_QE_REPORT_SIGNATURE,
	 .detail_substring = "QE report signature"},
	{.name = "qe report data zero",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_qe_report_data_zero,
	 .expected_rc = RATLS_ERR_QE_REPORT_BINDING,
	 .detail_substring = "QE report data is not SHA-256"},
	{.name = "qe report data upper half not zero",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_qe_report_data_upper_half,
	 .expected_rc = RATLS_ERR_QE_REPORT_BINDING,
	 .detail_substring = "QE report data"},
	{.name = "qe auth data changed after signing",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_qe_auth_data,
	 .expected_rc = RATLS_ERR_QE_REPORT_BINDING,
	 .detail_substring = "QE report data"},
	{.name = "attestation key replaced",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_attestation_key_replaced,
	 .expected_rc = RATLS_ERR_QE_REPORT_BINDING,
	 .detail_substring = "QE report data"},
	{.name = "attestation key off curve",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_attestation_key_off_curve,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "attestation key is not a valid P-256 point"},
	{.name = "qe auth data empty",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_auth_data_0},
	{.name = "qe auth data 1 byte",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_auth_data_1},
	{.name = "qe auth data 33 bytes",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_auth_data_33},
	{.name = "qe auth data 4096 bytes",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_auth_data_4096},
};

static const struct quote_case cert_data_cases[] = {
	{.name = "pck cert data type 0",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_0,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 0 (unknown type)"},
	{.name = "pck cert data type 1",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_1,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 1 (PPID in clear text)"},
	{.name = "pck cert data type 2",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_2,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 2 (PPID encrypted with RSA-2048-OAEP)"},
	{.name = "pck cert data type 3",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_3,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 3 (PPID encrypted with RSA-3072-OAEP)"},
	{.name = "pck cert data type 4",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_4,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 4 (PCK leaf certificate)"},
	{.name = "pck cert data type 6 nested",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_6,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 6"},
	{.name = "pck cert data type 7",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_7,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 7 (platform manifest)"},
	{.name = "pck cert data type 3 with collateral chain",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_3,
	 .mutate = mutate_collateral_pck_chain},
	{.name = "pck cert data type 4 with collateral chain",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_type_4,
	 .mutate = mutate_collateral_pck_chain},
	{.name = "outer cert data type 0",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_0,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 0 carries no QE report"},
	{.name = "outer cert data type 1",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_1,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 1 carries no QE report"},
	{.name = "outer cert data type 2",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_2,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 2 carries no QE report"},
	{.name = "outer cert data type 3",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_3,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 3 carries no QE report"},
	{.name = "outer cert data type 4",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_4,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 4 carries no QE report"},
	{.name = "outer cert data type 5",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_5,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 5 carries no QE report"},
	{.name = "outer cert data type 5 with collateral chain",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_5,
	 .mutate = mutate_collateral_pck_chain,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 5 carries no QE report"},
	{.name = "outer cert data type 7",
	 .formats = ALL_TDX,
	 .edit_quote = edit_outer_cert_data_type_7,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_CERT_DATA,
	 .detail_substring = "type 7 carries no QE report"},
	{.name = "pck chain garbage text",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_garbage,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "contains no PEM certificate"},
	{.name = "pck chain empty",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_empty,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "contains no PEM certificate"},
	{.name = "pck chain only a nul byte",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_nul_only,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "contains no PEM certificate"},
	{.name = "pck chain invalid base64",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_bad_base64,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "not valid base64"},
	{.name = "pck chain without end line",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_no_end_line,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "has no END line"},
	{.name = "pck chain not der",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_not_der,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "not a DER certificate"},
	{.name = "pck chain without terminating nul",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_pem_without_nul},
	{.name = "pck chain nine certificates",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_chain_nine_certificates,
	 .expected_rc = RATLS_ERR_LIMIT_EXCEEDED,
	 .detail_substring = "more than 8 certificates"},
	{.name = "pck chain leaf only",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_chain_leaf_only,
	 .expected_rc = RATLS_ERR_UNTRUSTED_ROOT,
	 .detail_substring = "unable to get local issuer certificate"},
	{.name = "pck chain root first",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_chain_reversed,
	 .expected_rc = RATLS_ERR_CHAIN_INVALID},
	{.name = "pck chain starting at pck ca",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_chain_ca_first,
	 .expected_rc = RATLS_ERR_CHAIN_INVALID},
};

static const struct quote_case length_cases[] = {
	{.name = "empty quote",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_empty,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "header.version at offset 0"},
	{.name = "header truncated",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_truncate_header,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "header.user_data at offset 28"},
	{.name = "body truncated",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_truncate_body,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "report body"},
	{.name = "v5 body size one too small",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_size_small,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "which is not that body's size"},
	{.name = "v5 body size one too large",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_size_large,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "which is not that body's size"},
	{.name = "v5 body size maximum",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_size_max,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "declares size 4294967295"},
	{.name = "v5 body size of other td report",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_size_other_td,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "which is not that body's size"},
	{.name = "v5 body type 4",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_type_4,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_VERSION,
	 .detail_substring = "body type 4 is not supported"},
	{.name = "v5 body type 0",
	 .formats = ALL_V5,
	 .edit_quote = edit_body_type_0,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_VERSION,
	 .detail_substring = "body type 0 is not supported"},
	{.name = "signature data size one too large",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signature_size_plus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "but only"},
	{.name = "signature data one byte longer than fields",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signature_size_plus_1_padded,
	 .expected_rc = RATLS_ERR_TRAILING_DATA,
	 .detail_substring = "signature data has 1 bytes after its last field"},
	{.name = "signature data size one too small",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signature_size_minus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "declares"},
	{.name = "signature data size zero",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signature_size_zero,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "quote signature"},
	{.name = "signature data size maximum",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_signature_size_max,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "declares 4294967295 bytes"},
	{.name = "outer cert data size one too large",
	 .formats = ALL_TDX,
	 .mutate = mutate_outer_size_plus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "certification data at offset"},
	{.name = "outer cert data size one too small",
	 .formats = ALL_TDX,
	 .mutate = mutate_outer_size_minus_1,
	 .expected_rc = RATLS_ERR_TRAILING_DATA,
	 .detail_substring = "signature data has 1 bytes after its last field"},
	{.name = "outer cert data shorter than qe report",
	 .formats = ALL_TDX,
	 .mutate = mutate_outer_size_below_qe_report,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "QE report certification data has 100 bytes"},
	{.name = "signature data ends inside qe report",
	 .formats = SGX_V3,
	 .mutate = mutate_signature_data_ends_in_qe_report,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "reading QE report at offset"},
	{.name = "qe auth data size maximum",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_auth_size_max,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "QE authentication data declares 65535 bytes"},
	{.name = "qe auth data size one too large",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_auth_size_plus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "certification data at offset"},
	{.name = "qe auth data size one too small",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_auth_size_minus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "certification data at offset"},
	{.name = "pck cert data size one too large",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_pck_size_plus_1,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "but only"},
	{.name = "pck cert data size one too small",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_pck_size_minus_1,
	 .expected_rc = RATLS_ERR_TRAILING_DATA,
	 .detail_substring = "has 1 bytes after its last field"},
	{.name = "pck cert data size maximum",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_pck_size_max,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "declares 4294967295 bytes"},
	{.name = "pck cert data over quote limit",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_cert_data_oversized,
	 .expected_rc = RATLS_ERR_LIMIT_EXCEEDED,
	 .detail_substring = "the limit is 1048576 bytes"},
	{.name = "trailing zero bytes",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_trailing_zeros,
	 .check_report = check_trailing_70},
	{.name = "trailing nonzero byte",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_trailing_nonzero,
	 .expected_rc = RATLS_ERR_TRAILING_DATA},
	{.name = "trailing zeros then nonzero byte",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_trailing_zeros_then_nonzero,
	 .expected_rc = RATLS_ERR_TRAILING_DATA},
	{.name = "quote padded to size limit",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_pad_to_max,
	 .check_report = check_padded_to_max},
	{.name = "quote one byte over size limit",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_pad_past_max,
	 .expected_rc = RATLS_ERR_LIMIT_EXCEEDED,
	 .detail_substring = "quote is 1048577 bytes"},
};

static const struct quote_case header_cases[] = {
	{.name = "version 2",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_version_2,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_VERSION,
	 .detail_substring = "quote version 2 is not supported"},
	{.name = "version 6",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_version_6,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_VERSION,
	 .detail_substring = "quote version 6 is not supported"},
	{.name = "version 65535",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_version_0xffff,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_VERSION,
	 .detail_substring = "quote version 65535"},
	{.name = "attestation key type 0",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_att_key_type_0,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_KEY_TYPE,
	 .detail_substring = "attestation key type 0"},
	{.name = "attestation key type 3",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_att_key_type_3,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_KEY_TYPE,
	 .detail_substring = "attestation key type 3"},
	{.name = "tee type 1",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_tee_type_0x01,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_TEE_TYPE,
	 .detail_substring = "TEE type 0x00000001"},
	{.name = "tee type 0x80",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_tee_type_0x80,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_TEE_TYPE,
	 .detail_substring = "TEE type 0x00000080"},
	{.name = "version 3 with tdx tee type",
	 .formats = SGX_V3,
	 .edit_quote = edit_tee_type_0x81,
	 .expected_rc = RATLS_ERR_UNSUPPORTED_TEE_TYPE,
	 .detail_substring = "version 3 is SGX only"},
	{.name = "v5 td body with sgx tee type",
	 .formats = ALL_V5,
	 .edit_quote = edit_tee_type_0x00,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "does not match TEE type 0x00000000"},
	{.name = "v5 sgx body with tdx tee type",
	 .formats = ALL_V5,
	 .edit_quote = edit_v5_sgx_body,
	 .expected_rc = RATLS_ERR_MALFORMED,
	 .detail_substring = "body type 1 does not match TEE type 0x00000081"},
	{.name = "v4 td body with sgx tee type",
	 .formats = TDX_V4,
	 .edit_quote = edit_tee_type_0x00,
	 .expected_rc = RATLS_ERR_TRUNCATED,
	 .detail_substring = "signature data at offset 432 declares"},
	{.name = "sgx report in version 4 quote",
	 .formats = SGX_V3,
	 .edit_quote = edit_sgx_version_4},
	{.name = "sgx report in version 5 quote",
	 .formats = SGX_V3,
	 .edit_quote = edit_sgx_version_5},
	{.name = "version 3 header pcesvn not used",
	 .formats = SGX_V3,
	 .edit_quote = edit_pce_svn_1},
	{.name = "qe vendor id one byte off",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_qe_vendor_byte,
	 .expected_rc = RATLS_ERR_UNKNOWN_QE_VENDOR,
	 .detail_substring = "QE vendor ID 939a7233f79c4ca9940a0db3957f0606"},
	{.name = "qe vendor id zero",
	 .formats = ALL_FORMATS,
	 .edit_quote = edit_qe_vendor_zero,
	 .expected_rc = RATLS_ERR_UNKNOWN_QE_VENDOR,
	 .detail_substring = "is not Intel's"},
	{.name = "collateral of the other tee",
	 .formats = ALL_FORMATS,
	 .mutate = mutate_other_tee_collateral,
	 .expected_rc = RATLS_ERR_COLLATERAL_MISMATCH,
	 .detail_substring = "quote with"},
};

/* ---- every format verifies, and the report carries the quote's fields ---- */

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/* Gives every report field a value that differs from the defaults and from its neighbours. */
static void set_distinct_fields(struct ratls_sim_quote_params *q)
{
	struct ratls_sim_td_report *td = &q->td;
	struct ratls_sim_sgx_report *sgx = &q->sgx;

	fill(td->mr_seam, 48, 0x10);
	fill(td->mr_td, 48, 0x20);
	fill(td->mr_config_id, 48, 0x30);
	fill(td->mr_owner, 48, 0x40);
	fill(td->mr_owner_config, 48, 0x50);
	for (int i = 0; i < 4; i++)
		fill(td->rtmr[i], 48, (uint8_t)(0x60 + 0x10 * i));
	fill(td->report_data, 64, 0xa0);
	td->xfam[0] = 0xe7;
	td->xfam[1] = 0x1a;
	td->xfam[2] = 0x06;
	fill(td->tee_tcb_svn2, 16, 0x01);
	fill(td->mr_servicetd, 48, 0xc0);

	fill(sgx->cpu_svn, 16, 0x02);
	sgx->misc_select = 0x00000001;
	fill(sgx->isv_ext_prod_id, 16, 0x12);
	fill(sgx->mr_enclave, 32, 0x22);
	fill(sgx->mr_signer, 32, 0x42);
	fill(sgx->config_id, 64, 0x62);
	sgx->isv_prod_id = 0x1234;
	sgx->isv_svn = 0x0042;
	sgx->config_svn = 0x0007;
	fill(sgx->isv_family_id, 16, 0xa2);
	fill(sgx->report_data, 64, 0xb2);
}

static void assert_td_fields(const struct ratls_td_fields *r, const struct ratls_sim_td_report *q,
			     bool td15)
{
	assert_memory_equal(r->tee_tcb_svn, q->tee_tcb_svn, 16);
	assert_memory_equal(r->mr_seam, q->mr_seam, 48);
	assert_memory_equal(r->mr_signer_seam, q->mr_signer_seam, 48);
	assert_memory_equal(r->seam_attributes, q->seam_attributes, 8);
	assert_memory_equal(r->td_attributes, q->td_attributes, 8);
	assert_memory_equal(r->xfam, q->xfam, 8);
	assert_memory_equal(r->mr_td, q->mr_td, 48);
	assert_memory_equal(r->mr_config_id, q->mr_config_id, 48);
	assert_memory_equal(r->mr_owner, q->mr_owner, 48);
	assert_memory_equal(r->mr_owner_config, q->mr_owner_config, 48);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(r->rtmr[i], q->rtmr[i], 48);
	assert_memory_equal(r->report_data, q->report_data, 64);
	assert_int_equal(r->has_td15, td15);
	if (td15) {
		assert_memory_equal(r->tee_tcb_svn2, q->tee_tcb_svn2, 16);
		assert_memory_equal(r->mr_servicetd, q->mr_servicetd, 48);
	}
}

static void assert_sgx_fields(const struct ratls_sgx_fields *r,
			      const struct ratls_sim_sgx_report *q)
{
	assert_memory_equal(r->cpu_svn, q->cpu_svn, 16);
	assert_int_equal(r->misc_select, q->misc_select);
	assert_memory_equal(r->isv_ext_prod_id, q->isv_ext_prod_id, 16);
	assert_memory_equal(r->attributes, q->attributes, 16);
	assert_memory_equal(r->mr_enclave, q->mr_enclave, 32);
	assert_memory_equal(r->mr_signer, q->mr_signer, 32);
	assert_memory_equal(r->config_id, q->config_id, 64);
	assert_int_equal(r->isv_prod_id, q->isv_prod_id);
	assert_int_equal(r->isv_svn, q->isv_svn);
	assert_int_equal(r->config_svn, q->config_svn);
	assert_memory_equal(r->isv_family_id, q->isv_family_id, 16);
	assert_memory_equal(r->report_data, q->report_data, 64);
}

struct format_case {
	const char *name;
	enum ratls_sim_quote_format format;
	uint16_t version;
	uint32_t tee_type;
	uint16_t body_type;
};

static const struct format_case format_cases[] = {
	{"sgx v3 verifies with its fields", RATLS_SIM_QUOTE_SGX_V3, 3, RATLS_TEE_TYPE_SGX,
	 RATLS_BODY_SGX_ENCLAVE},
	{"tdx v4 verifies with its fields", RATLS_SIM_QUOTE_TDX_V4, 4, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT10},
	{"tdx v5 td10 verifies with its fields", RATLS_SIM_QUOTE_TDX_V5_TD10, 5,
	 RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT10},
	{"tdx v5 td15 verifies with its fields", RATLS_SIM_QUOTE_TDX_V5_TD15, 5,
	 RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT15},
};

static void test_format_fields(void **state)
{
	const struct format_case *c = *state;
	const struct ratls_sim_platform_params *platform_params;
	struct ratls_sim_quote_params params;
	struct quote_env *env = calloc(1, sizeof(*env));
	const struct ratls_verified_report *r = &env->report;
	unsigned warnings_before;
	int rc;

	assert_non_null(env);
	simtest_fixture_init(&env->fixture, c->format, NULL, NULL);
	ratls_sim_platform_quote_defaults(env->fixture.platform, c->format, &params);
	set_distinct_fields(&params);
	reissue(env, &params);

	warnings_before = warning_count;
	rc = verify_env(env);
	simtest_assert_code(rc, &env->detail, RATLS_OK, NULL);
	assert_true(warning_count > warnings_before); /* the simulated root is a custom root */

	assert_int_equal(r->quote_version, c->version);
	assert_int_equal(r->tee_type, c->tee_type);
	assert_int_equal(r->body_type, c->body_type);
	if (c->body_type == RATLS_BODY_SGX_ENCLAVE)
		assert_sgx_fields(&r->sgx, &params.sgx);
	else
		assert_td_fields(&r->td, &params.td, c->body_type == RATLS_BODY_TD_REPORT15);

	assert_int_equal(r->status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(r->qe_isv_svn, params.qe_report.isv_svn);
	assert_int_equal(r->tcb_evaluation_data_number, 18);
	platform_params = ratls_sim_platform_get_params(env->fixture.platform);
	assert_memory_equal(r->pck.fmspc, platform_params->pck.pck.fmspc, 6);
	assert_memory_equal(r->pck.tcb_comp_svn, platform_params->pck.pck.tcb_comp_svn, 16);
	assert_int_equal(r->pck.pce_svn, platform_params->pck.pck.pce_svn);
	assert_true(r->pck_from_platform_ca);
	assert_true(r->custom_root);
	assert_int_equal(r->trailing_size, 0);
	assert_true(r->valid_from <= SIMTEST_NOW);
	assert_true(r->valid_until >= SIMTEST_NOW);

	simtest_fixture_free(&env->fixture);
	free(env);
}

/* ---- truncation at every offset ---- */

/*
 * Cuts the default quote of a format at every length from 0 to its size - 1
 * and verifies each prefix from an exactly sized buffer, so a read past the
 * end shows under ASan. Every prefix must fail as truncated.
 */
static void test_truncation_every_offset(void **state)
{
	const struct format_case *c = *state;
	struct simtest_fixture fixture;
	struct ratls_dcap_options options = {0};
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_verified_report *report = calloc(1, sizeof(*report));
	struct ratls_detail detail = {0};
	int rc;

	assert_non_null(report);
	simtest_fixture_init(&fixture, c->format, NULL, NULL);
	options.trust_root_der = fixture.root_der;
	options.trust_root_der_size = fixture.root_der_size;
	rc = ratls_dcap_context_new(fixture.collateral, &options, &ctx, &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);

	rc = ratls_dcap_context_verify(ctx, fixture.quote, fixture.quote_size, SIMTEST_NOW, report,
				       &detail);
	simtest_assert_code(rc, &detail, RATLS_OK, NULL);

	for (size_t n = 0; n < fixture.quote_size; n++) {
		uint8_t *prefix = malloc(n > 0 ? n : 1);

		assert_non_null(prefix);
		memcpy(prefix, fixture.quote, n);
		ratls_detail_clear(&detail);
		rc = ratls_dcap_context_verify(ctx, prefix, n, SIMTEST_NOW, report, &detail);
		free(prefix);
		if (rc != RATLS_ERR_TRUNCATED)
			print_error("prefix of %zu bytes: %s: %s\n", n, ratls_error_name(rc),
				    detail.message);
		assert_int_equal(rc, RATLS_ERR_TRUNCATED);
	}

	ratls_dcap_context_free(ctx);
	simtest_fixture_free(&fixture);
	free(report);
}

/* ---- registration ---- */

struct quote_table {
	const char *label;
	const struct quote_case *cases;
	size_t count;
};

static const char *format_label(enum ratls_sim_quote_format format)
{
	switch (format) {
	case RATLS_SIM_QUOTE_SGX_V3:
		return "sgx v3";
	case RATLS_SIM_QUOTE_TDX_V4:
		return "tdx v4";
	case RATLS_SIM_QUOTE_TDX_V5_TD10:
		return "tdx v5 td10";
	default:
		return "tdx v5 td15";
	}
}

int main(void)
{
	static const struct quote_table tables[] = {
		{"signature", signature_cases, ARRAY_SIZE(signature_cases)},
		{"cert data", cert_data_cases, ARRAY_SIZE(cert_data_cases)},
		{"length", length_cases, ARRAY_SIZE(length_cases)},
		{"header", header_cases, ARRAY_SIZE(header_cases)},
	};
	static const enum ratls_sim_quote_format formats[] = {
		RATLS_SIM_QUOTE_SGX_V3, RATLS_SIM_QUOTE_TDX_V4, RATLS_SIM_QUOTE_TDX_V5_TD10,
		RATLS_SIM_QUOTE_TDX_V5_TD15};
	static char truncation_names[ARRAY_SIZE(format_cases)][64];
	size_t row_count = 0, run_count = 0, n = 0;
	struct quote_run *runs;
	struct CMUnitTest *tests;
	int failed;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		row_count += tables[t].count;
	runs = calloc(row_count * ARRAY_SIZE(formats), sizeof(*runs));
	tests = calloc(row_count * ARRAY_SIZE(formats) + 2 * ARRAY_SIZE(format_cases),
		       sizeof(*tests));
	if (runs == NULL || tests == NULL)
		return 1;
	ratls_set_log_callback(count_warnings, NULL);

	for (size_t i = 0; i < ARRAY_SIZE(format_cases); i++) {
		tests[n].name = format_cases[i].name;
		tests[n].test_func = test_format_fields;
		tests[n].initial_state = (void *)(uintptr_t)&format_cases[i];
		n++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(format_cases); i++) {
		snprintf(truncation_names[i], sizeof(truncation_names[i]),
			 "%s: truncated at every offset", format_label(format_cases[i].format));
		tests[n].name = truncation_names[i];
		tests[n].test_func = test_truncation_every_offset;
		tests[n].initial_state = (void *)(uintptr_t)&format_cases[i];
		n++;
	}
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (size_t i = 0; i < tables[t].count; i++) {
			const struct quote_case *row = &tables[t].cases[i];

			for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
				struct quote_run *run = &runs[run_count];

				if (!(row->formats & (1u << formats[f])))
					continue;
				run->row = row;
				run->format = formats[f];
				snprintf(run->name, sizeof(run->name), "%s: %s",
					 format_label(formats[f]), row->name);
				tests[n].name = run->name;
				tests[n].test_func = test_quote_row;
				tests[n].initial_state = run;
				n++;
				run_count++;
			}
		}
	}

	failed = _cmocka_run_group_tests("sim_quote", tests, n, NULL, NULL);
	ratls_set_log_callback(NULL, NULL);
	free(tests);
	free(runs);
	return failed;
}
