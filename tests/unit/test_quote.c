/*
 * Unit tests for src/quote: ratls_quote_parse and ratls_quote_pck_chain on
 * every real quote of the corpus, truncated and altered copies of them, and
 * ratls_pck_info_parse on the SGX extension of the PCK certificates those
 * quotes carry.
 *
 * The corpus folder comes from RATLS_CORPUS_DIR; tests that need it are
 * skipped when it is absent. Every input is parsed from a heap buffer of its
 * exact size, so a sanitizer build reports any read past the end.
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

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/encoding.h"
#include "ratls/error.h"
#include "ratls/quote.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DCAP_QVL "Phala-Network__dcap-qvl/"
#define TDX_V4_QUOTE DCAP_QVL "sample/tdx_quote"
#define SGX_V3_QUOTE DCAP_QVL "sample/sgx_quote"
#define TDX_V5_QUOTE DCAP_QVL "sample/tdx_quote_outdated"
#define GO_TDX_GUEST "google__go-tdx-guest/testing/testdata/"
#define TRUSTEE "confidential-containers__trustee/deps/verifier/test_data/"
#define OASIS_EPPID_QUOTE \
	"oasisprotocol__oasis-core/go/common/sgx/pcs/testdata/quote_v3_ecdsa_p256_eppid.bin"

/*
 * Offsets in the dcap-qvl sample quotes, from the v3 and v4 layouts: a
 * 48-byte header, the report body, a u32 signature data size, then the
 * signature (64) and attestation key (64) and the certification data.
 */
enum {
	/* TDX v4 (tdx_quote): TD report 1.0 at 48..632. */
	V4_SIG_SIZE_AT = 632,
	V4_SIG_DATA_AT = 636,
	V4_OUTER_TYPE_AT = 764,
	V4_OUTER_SIZE_AT = 766,
	V4_QE_REPORT_AT = 770,
	V4_QE_REPORT_SIG_AT = 1154,
	V4_QE_AUTH_SIZE_AT = 1218,
	V4_QE_AUTH_AT = 1220,
	V4_INNER_TYPE_AT = 1252,
	V4_INNER_SIZE_AT = 1254,
	V4_PEM_AT = 1258,
	V4_END = 4936,
	V4_SIG_SIZE = 4300,
	V4_OUTER_SIZE = 4166,
	V4_PEM_SIZE = 3678,

	/* SGX v3 (sgx_quote): enclave report at 48..432, QE report directly in the signature data. */
	V3_SIG_SIZE_AT = 432,
	V3_QE_REPORT_AT = 564,
	V3_QE_REPORT_SIG_AT = 948,
	V3_QE_AUTH_SIZE_AT = 1012,
	V3_QE_AUTH_AT = 1014,
	V3_CERT_TYPE_AT = 1046,
	V3_CERT_SIZE_AT = 1048,
	V3_PEM_AT = 1052,
	V3_END = 4600,
	V3_SIG_SIZE = 4164,
	V3_PEM_SIZE = 3548,

	/* TDX v5 (tdx_quote_outdated): body descriptor at 48, TD report 1.5 at 54..702. */
	V5_BODY_TYPE_AT = 48,
	V5_BODY_SIZE_AT = 50,
	V5_BODY_AT = 54,
	V5_SIG_SIZE_AT = 702,
	V5_END = 5006,
};

static const uint8_t intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* ---- corpus access ---- */

/* Copies size bytes into a new heap buffer of exactly that size (at least 1). */
static uint8_t *exact_copy(const void *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);

	assert_non_null(copy);
	if (size > 0)
		memcpy(copy, data, size);
	return copy;
}

/*
 * Reads a corpus file into an exact heap buffer, decoding hex text when
 * is_hex is set. Skips the calling test when the corpus is not available.
 */
static uint8_t *load_corpus(const char *rel, bool is_hex, size_t *size)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	char path[4096];
	FILE *f;
	long n;
	char *raw;
	uint8_t *out = NULL;

	if (dir == NULL || dir[0] == '\0') {
		print_message("skipped: RATLS_CORPUS_DIR is not set; point it at the corpus "
			      "folder to run this test\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL) {
		print_message("skipped: corpus file %s not found; check RATLS_CORPUS_DIR\n", path);
		skip();
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	raw = malloc((size_t)n);
	assert_non_null(raw);
	assert_int_equal(fread(raw, 1, (size_t)n, f), (size_t)n);
	fclose(f);

	if (!is_hex) {
		*size = (size_t)n;
		return (uint8_t *)raw;
	}
	assert_int_equal(ratls_hex_decode_alloc(raw, (size_t)n, &out, size), RATLS_OK);
	free(raw);
	raw = (char *)exact_copy(out, *size);
	free(out);
	return (uint8_t *)raw;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Loads the TDX v4 sample and checks the fields at the offsets that later tests overwrite. */
static uint8_t *load_tdx_v4(size_t *size)
{
	uint8_t *q = load_corpus(TDX_V4_QUOTE, false, size);

	assert_int_equal(*size, 5006);
	assert_int_equal(get_u32(q + V4_SIG_SIZE_AT), V4_SIG_SIZE);
	assert_int_equal(get_u16(q + V4_OUTER_TYPE_AT), RATLS_CERT_QE_REPORT);
	assert_int_equal(get_u32(q + V4_OUTER_SIZE_AT), V4_OUTER_SIZE);
	assert_int_equal(get_u16(q + V4_QE_AUTH_SIZE_AT), 32);
	assert_int_equal(get_u16(q + V4_INNER_TYPE_AT), RATLS_CERT_PCK_CHAIN);
	assert_int_equal(get_u32(q + V4_INNER_SIZE_AT), V4_PEM_SIZE);
	return q;
}

static uint8_t *load_sgx_v3(size_t *size)
{
	uint8_t *q = load_corpus(SGX_V3_QUOTE, false, size);

	assert_int_equal(*size, V3_END);
	assert_int_equal(get_u32(q + V3_SIG_SIZE_AT), V3_SIG_SIZE);
	assert_int_equal(get_u16(q + V3_QE_AUTH_SIZE_AT), 32);
	assert_int_equal(get_u16(q + V3_CERT_TYPE_AT), RATLS_CERT_PCK_CHAIN);
	assert_int_equal(get_u32(q + V3_CERT_SIZE_AT), V3_PEM_SIZE);
	return q;
}

static uint8_t *load_tdx_v5(size_t *size)
{
	uint8_t *q = load_corpus(TDX_V5_QUOTE, false, size);

	assert_int_equal(*size, V5_END);
	assert_int_equal(get_u16(q + V5_BODY_TYPE_AT), RATLS_BODY_TD_REPORT15);
	assert_int_equal(get_u32(q + V5_BODY_SIZE_AT), RATLS_TD15_REPORT_SIZE);
	assert_int_equal(get_u32(q + V5_SIG_SIZE_AT), V4_SIG_SIZE);
	return q;
}

/* ---- parse helpers ---- */

/*
 * Parses an exact heap copy of data. On failure checks that the detail
 * carries the returned code and a message, and that *quote was not touched.
 */
static int parse_copy(const uint8_t *data, size_t size, struct ratls_quote *quote,
		      struct ratls_detail *detail)
{
	uint8_t *copy = exact_copy(data, size);
	struct ratls_quote untouched;
	int rc;

	memset(quote, 0xa5, sizeof(*quote));
	memset(&untouched, 0xa5, sizeof(untouched));
	ratls_detail_clear(detail);
	rc = ratls_quote_parse(copy, size, quote, detail);
	if (rc != RATLS_OK) {
		assert_int_equal(detail->code, rc);
		assert_true(detail->message[0] != '\0');
		assert_memory_equal(quote, &untouched, sizeof(untouched));
	}
	free(copy);
	return rc;
}

/* Expects parsing to fail with expected_rc and a detail message containing field. */
static void expect_parse_error(const char *case_name, const uint8_t *data, size_t size,
			       int expected_rc, const char *field)
{
	struct ratls_quote q;
	struct ratls_detail detail;
	int rc = parse_copy(data, size, &q, &detail);

	if (rc != expected_rc)
		fail_msg("%s: expected %s, got %s (\"%s\")", case_name,
			 ratls_error_name(expected_rc), ratls_error_name(rc), detail.message);
	if (strstr(detail.message, field) == NULL)
		fail_msg("%s: message \"%s\" does not name \"%s\"", case_name, detail.message,
			 field);
}

/* Parses data in place (views point into it) and fails the test on error. */
static void parse_ok(const uint8_t *data, size_t size, struct ratls_quote *q)
{
	struct ratls_detail detail = {0};
	int rc = ratls_quote_parse(data, size, q, &detail);

	if (rc != RATLS_OK)
		fail_msg("parse failed with %s: %s", ratls_error_name(rc), detail.message);
}

static void assert_hex_equal(const uint8_t *actual, const char *expected_hex)
{
	size_t n = strlen(expected_hex) / 2;
	uint8_t *expected = malloc(n);

	assert_non_null(expected);
	assert_int_equal(ratls_hex_decode_fixed(expected_hex, 2 * n, expected, n), RATLS_OK);
	assert_non_null(actual);
	assert_memory_equal(actual, expected, n);
	free(expected);
}

/* ---- every corpus quote ---- */

struct corpus_quote {
	const char *path;
	bool is_hex;
	size_t size;
	uint16_t version;
	uint32_t tee_type;
	uint16_t body_type;
	uint16_t pck_cert_type;
	size_t trailing;
};

static const struct corpus_quote corpus_quotes[] = {
	{TDX_V4_QUOTE, false, 5006, 4, RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT10, 5, 70},
	{TDX_V4_QUOTE "@ca114edb61", false, 5006, 4, RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT10,
	 5, 70},
	{SGX_V3_QUOTE, false, 4600, 3, RATLS_TEE_TYPE_SGX, RATLS_BODY_SGX_ENCLAVE, 5, 0},
	{TDX_V5_QUOTE, false, 5006, 5, RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT15, 5, 0},
	{DCAP_QVL "sample/quote-from-tappd.hex", true, 5006, 4, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT10, 5, 70},
	{DCAP_QVL "tests/near/contracts/gas-test/tests/quote/quote_hex.txt", true, 5006, 4,
	 RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT10, 5, 70},
	{GO_TDX_GUEST "quote_v5_sample.dat", false, 5006, 5, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT15, 5, 0},
	{GO_TDX_GUEST "quote_v5_sample.dat@de6b487d1e", false, 5030, 5, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT15, 5, 0},
	{GO_TDX_GUEST "ccel/cos-113-tdx-quote.dat", false, 8000, 4, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT10, 5, 3065},
	{OASIS_EPPID_QUOTE, false, 1456, 3, RATLS_TEE_TYPE_SGX, RATLS_BODY_SGX_ENCLAVE, 3, 0},
	{TRUSTEE "tdx_quote_4.dat", false, 4936, 4, RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT10, 5,
	 0},
	{TRUSTEE "tdx_quote_5.dat", false, 5006, 5, RATLS_TEE_TYPE_TDX, RATLS_BODY_TD_REPORT15, 5,
	 0},
	{"Dstack-TEE__dstack/sdk/simulator/quote.hex", true, 5006, 4, RATLS_TEE_TYPE_TDX,
	 RATLS_BODY_TD_REPORT10, 5, 70},
};

/* Checks the layout facts every well-formed quote shares. */
static void check_quote_invariants(const struct corpus_quote *c, const uint8_t *data,
				   const struct ratls_quote *q)
{
	size_t body_at = c->version == 5 ? 54 : 48;
	size_t body_size = c->body_type == RATLS_BODY_SGX_ENCLAVE ? RATLS_SGX_REPORT_SIZE
				   : c->body_type == RATLS_BODY_TD_REPORT10 ? RATLS_TD10_REPORT_SIZE
									    : RATLS_TD15_REPORT_SIZE;

	assert_int_equal(q->version, c->version);
	assert_int_equal(q->att_key_type, RATLS_ATT_KEY_ECDSA_P256);
	assert_int_equal(q->tee_type, c->tee_type);
	assert_memory_equal(q->qe_vendor_id, intel_qe_vendor_id, 16);
	assert_ptr_equal(q->qe_vendor_id, data + 12);
	assert_ptr_equal(q->user_data, data + 28);
	assert_int_equal(q->body_type, c->body_type);
	assert_int_equal(q->body_size, body_size);
	assert_int_equal(ratls_quote_is_td(q), c->tee_type == RATLS_TEE_TYPE_TDX);

	assert_ptr_equal(q->signed_data, data);
	assert_int_equal(q->signed_size, body_at + body_size);
	assert_int_equal(q->signature_data_size, get_u32(data + q->signed_size));
	assert_ptr_equal(q->signature, data + q->signed_size + 4);
	assert_ptr_equal(q->attestation_key, q->signature + 64);
	assert_int_equal(q->signed_size + 4 + q->signature_data_size + q->trailing_size, c->size);
	assert_int_equal(q->trailing_size, c->trailing);
	assert_true(q->trailing_all_zero);

	assert_true(q->has_qe_report);
	assert_int_equal(q->qe_auth_data_size, 32);
	assert_ptr_equal(q->qe_report_signature, q->qe_report.raw + RATLS_SGX_REPORT_SIZE);
	assert_int_equal(q->pck_cert_data_type, c->pck_cert_type);
	assert_ptr_equal(q->pck_cert_data + q->pck_cert_data_size,
			 data + c->size - c->trailing);

	if (c->body_type == RATLS_BODY_SGX_ENCLAVE) {
		assert_ptr_equal(q->sgx.raw, data + body_at);
		assert_ptr_equal(q->sgx.report_data, data + body_at + 320);
	} else {
		assert_ptr_equal(q->td.tee_tcb_svn, data + body_at);
		assert_ptr_equal(q->td.mr_td, data + body_at + 136);
		assert_ptr_equal(q->td.rtmr[3], data + body_at + 472);
		assert_ptr_equal(q->td.report_data, data + body_at + 520);
		if (c->body_type == RATLS_BODY_TD_REPORT15) {
			assert_ptr_equal(q->td.tee_tcb_svn2, data + body_at + 584);
			assert_ptr_equal(q->td.mr_servicetd, data + body_at + 600);
		} else {
			assert_null(q->td.tee_tcb_svn2);
			assert_null(q->td.mr_servicetd);
		}
	}
}

static void test_corpus_quotes_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(corpus_quotes); i++) {
		const struct corpus_quote *c = &corpus_quotes[i];
		size_t size = 0;
		uint8_t *data = load_corpus(c->path, c->is_hex, &size);
		struct ratls_quote q;
		struct ratls_detail detail = {0};
		const uint8_t *pem = NULL;
		size_t pem_size = 0;
		int rc;

		print_message("%s\n", c->path);
		assert_int_equal(size, c->size);
		rc = ratls_quote_parse(data, size, &q, &detail);
		if (rc != RATLS_OK)
			fail_msg("%s: %s (%s)", c->path, ratls_error_name(rc), detail.message);
		check_quote_invariants(c, data, &q);

		rc = ratls_quote_pck_chain(&q, &pem, &pem_size, &detail);
		if (c->pck_cert_type == RATLS_CERT_PCK_CHAIN) {
			assert_int_equal(rc, RATLS_OK);
			assert_ptr_equal(pem, q.pck_cert_data);
			assert_int_equal(pem_size, q.pck_cert_data_size);
			assert_memory_equal(pem, "-----BEGIN CERTIFICATE-----", 27);
		} else {
			assert_int_equal(rc, RATLS_ERR_UNSUPPORTED_CERT_DATA);
		}
		free(data);
	}
}

static void test_tdx_v4_fields(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);
	struct ratls_quote q;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;

	(void)state;
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.body_type, RATLS_BODY_TD_REPORT10);
	assert_int_equal(q.signed_size, 632);
	assert_int_equal(q.signature_data_size, V4_SIG_SIZE);
	assert_ptr_equal(q.signature, data + V4_SIG_DATA_AT);

	assert_hex_equal(q.td.mr_td, "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a"
				     "3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
	assert_hex_equal(q.td.tee_tcb_svn, "06010300000000000000000000000000");
	assert_hex_equal(q.td.td_attributes, "0000001000000000");
	assert_null(q.td.tee_tcb_svn2);

	assert_int_equal(q.cert_data_type, RATLS_CERT_QE_REPORT);
	assert_int_equal(q.cert_data_size, V4_OUTER_SIZE);
	assert_ptr_equal(q.cert_data, data + V4_QE_REPORT_AT);
	assert_true(q.has_qe_report);
	assert_ptr_equal(q.qe_report.raw, data + V4_QE_REPORT_AT);
	assert_ptr_equal(q.qe_report_signature, data + V4_QE_REPORT_SIG_AT);
	assert_int_equal(q.qe_auth_data_size, 32);
	assert_ptr_equal(q.qe_auth_data, data + V4_QE_AUTH_AT);
	assert_hex_equal(q.qe_auth_data, "000102030405060708090a0b0c0d0e0f"
					 "101112131415161718191a1b1c1d1e1f");

	assert_int_equal(q.pck_cert_data_type, RATLS_CERT_PCK_CHAIN);
	assert_int_equal(q.pck_cert_data_size, V4_PEM_SIZE);
	assert_ptr_equal(q.pck_cert_data, data + V4_PEM_AT);
	assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, NULL), RATLS_OK);
	assert_ptr_equal(pem, data + V4_PEM_AT);
	assert_int_equal(pem_size, V4_PEM_SIZE);
	assert_int_equal(pem[pem_size - 1], '\0');

	assert_int_equal(q.trailing_size, 70);
	assert_true(q.trailing_all_zero);
	free(data);
}

static void test_sgx_v3_fields(void **state)
{
	static const char hello[] = "Hello, world!";
	static const uint8_t zeros[64] = {0};
	size_t size = 0;
	uint8_t *data = load_sgx_v3(&size);
	struct ratls_quote q;

	(void)state;
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 3);
	assert_int_equal(q.tee_type, RATLS_TEE_TYPE_SGX);
	assert_false(ratls_quote_is_td(&q));
	assert_int_equal(q.signed_size, 432);
	assert_memory_equal(q.sgx.report_data, hello, sizeof(hello) - 1);
	assert_memory_equal(q.sgx.report_data + sizeof(hello) - 1, zeros, 64 - (sizeof(hello) - 1));

	assert_true(q.has_qe_report);
	assert_ptr_equal(q.qe_report.raw, data + V3_QE_REPORT_AT);
	assert_ptr_equal(q.qe_report_signature, data + V3_QE_REPORT_SIG_AT);
	assert_ptr_equal(q.qe_auth_data, data + V3_QE_AUTH_AT);
	assert_int_equal(q.pck_cert_data_type, RATLS_CERT_PCK_CHAIN);
	assert_ptr_equal(q.pck_cert_data, data + V3_PEM_AT);
	assert_int_equal(q.pck_cert_data_size, V3_PEM_SIZE);

	/* v3 has a single certification data entry, reported in both places. */
	assert_int_equal(q.cert_data_type, RATLS_CERT_PCK_CHAIN);
	assert_ptr_equal(q.cert_data, q.pck_cert_data);
	assert_int_equal(q.cert_data_size, q.pck_cert_data_size);
	assert_int_equal(q.trailing_size, 0);
	free(data);
}

static void test_tdx_v5_td15_fields(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v5(&size);
	struct ratls_quote q;

	(void)state;
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, RATLS_BODY_TD_REPORT15);
	assert_int_equal(q.body_size, 648);
	/* The signed bytes include the 6-byte body descriptor. */
	assert_int_equal(q.signed_size, 702);
	assert_ptr_equal(q.td.tee_tcb_svn, data + V5_BODY_AT);
	assert_ptr_equal(q.td.tee_tcb_svn2, data + V5_BODY_AT + 584);
	assert_ptr_equal(q.td.mr_servicetd, data + V5_BODY_AT + 600);
	assert_ptr_equal(q.signature, data + 706);
	assert_int_equal(q.cert_data_type, RATLS_CERT_QE_REPORT);
	assert_ptr_equal(q.qe_report.raw, data + 840);
	assert_ptr_equal(q.pck_cert_data, data + 1328);
	assert_int_equal(q.trailing_size, 0);
	free(data);
}

static void test_cos_padded_trailing(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(GO_TDX_GUEST "ccel/cos-113-tdx-quote.dat", false, &size);
	struct ratls_quote q;

	(void)state;
	assert_int_equal(size, 8000);
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.trailing_size, 3065);
	assert_true(q.trailing_all_zero);
	free(data);
}

static void test_debug_td_attribute(void **state)
{
	size_t size = 0;
	uint8_t *debug = load_corpus(TRUSTEE "tdx_quote_4.dat", false, &size);
	struct ratls_quote q;

	(void)state;
	parse_ok(debug, size, &q);
	assert_int_equal(q.version, 4);
	assert_true(ratls_quote_is_td(&q));
	assert_int_equal(q.td.td_attributes[0] & 0x01, 0x01);
	free(debug);

	debug = load_tdx_v4(&size);
	parse_ok(debug, size, &q);
	assert_int_equal(q.td.td_attributes[0] & 0x01, 0);
	free(debug);
}

static void test_trustee_v5_td15(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(TRUSTEE "tdx_quote_5.dat", false, &size);
	struct ratls_quote q;

	(void)state;
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, RATLS_BODY_TD_REPORT15);
	assert_non_null(q.td.tee_tcb_svn2);
	assert_non_null(q.td.mr_servicetd);
	free(data);
}

static void test_eppid_cert_type_3(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(OASIS_EPPID_QUOTE, false, &size);
	struct ratls_quote q;
	struct ratls_detail detail = {0};
	const uint8_t *pem = (const uint8_t *)"unchanged";
	size_t pem_size = 9;

	(void)state;
	parse_ok(data, size, &q);
	assert_int_equal(q.version, 3);
	assert_int_equal(q.pck_cert_data_type, RATLS_CERT_PPID_RSA3072);
	assert_int_equal(q.pck_cert_data_size, 404);
	assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, &detail),
			 RATLS_ERR_UNSUPPORTED_CERT_DATA);
	assert_int_equal(detail.code, RATLS_ERR_UNSUPPORTED_CERT_DATA);
	assert_non_null(strstr(detail.message, "type 3"));
	assert_string_equal((const char *)pem, "unchanged");
	assert_int_equal(pem_size, 9);
	free(data);
}

/* ---- truncation ---- */

/*
 * Parses every prefix of a corpus quote: shorter than the signature data
 * end it must fail with RATLS_ERR_TRUNCATED, otherwise it must succeed with
 * the padding that is left.
 */
static void check_every_prefix(const struct corpus_quote *c)
{
	size_t size = 0;
	uint8_t *data = load_corpus(c->path, c->is_hex, &size);
	size_t end = size - c->trailing;

	for (size_t len = 0; len <= size; len++) {
		struct ratls_quote q;
		struct ratls_detail detail;
		int rc = parse_copy(data, len, &q, &detail);

		if (len < end) {
			if (rc != RATLS_ERR_TRUNCATED)
				fail_msg("%s cut to %zu bytes: expected RATLS_ERR_TRUNCATED, got "
					 "%s (\"%s\")",
					 c->path, len, ratls_error_name(rc), detail.message);
			continue;
		}
		if (rc != RATLS_OK)
			fail_msg("%s cut to %zu bytes inside the padding: %s (\"%s\")", c->path, len,
				 ratls_error_name(rc), detail.message);
		assert_int_equal(q.trailing_size, len - end);
	}
	free(data);
}

static void test_truncation_tdx_v4(void **state)
{
	(void)state;
	check_every_prefix(&corpus_quotes[0]);
}

static void test_truncation_every_corpus_quote(void **state)
{
	(void)state;
	for (size_t i = 1; i < ARRAY_SIZE(corpus_quotes); i++)
		check_every_prefix(&corpus_quotes[i]);
}

static void test_truncation_messages_name_field(void **state)
{
	static const struct {
		size_t len;
		const char *field;
	} cases[] = {
		{0, "header.version"},
		{1, "header.version"},
		{3, "header.att_key_type"},
		{40, "header.user_data"},
		{48, "report body"},
		{631, "report body"},
		{632, "signature data size"},
		{636, "signature data"},
		{V4_END - 1, "signature data"},
	};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[64];

		snprintf(name, sizeof(name), "prefix of %zu bytes", cases[i].len);
		expect_parse_error(name, data, cases[i].len, RATLS_ERR_TRUNCATED, cases[i].field);
	}
	free(data);
}

/* ---- header and body fields ---- */

static void test_bad_versions(void **state)
{
	static const uint16_t versions[] = {0, 1, 2, 6, 255, 0xffff};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		char name[64];

		snprintf(name, sizeof(name), "version %u", versions[i]);
		put_u16(data, versions[i]);
		expect_parse_error(name, data, size, RATLS_ERR_UNSUPPORTED_VERSION, "version");
	}
	free(data);
}

static void test_bad_key_types(void **state)
{
	static const uint16_t key_types[] = {0, 1, 3, 0x0200, 0xffff};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		char name[64];

		snprintf(name, sizeof(name), "attestation key type %u", key_types[i]);
		put_u16(data + 2, key_types[i]);
		expect_parse_error(name, data, size, RATLS_ERR_UNSUPPORTED_KEY_TYPE, "key type");
	}
	free(data);
}

static void test_bad_tee_types(void **state)
{
	static const uint32_t tee_types[] = {1, 0x80, 0x82, 0x181, 0x81000000u, 0xffffffffu};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(tee_types); i++) {
		char name[64];

		snprintf(name, sizeof(name), "TEE type 0x%08x", tee_types[i]);
		put_u32(data + 4, tee_types[i]);
		expect_parse_error(name, data, size, RATLS_ERR_UNSUPPORTED_TEE_TYPE, "TEE type");
	}
	free(data);
}

static void test_v3_with_tdx_tee_type(void **state)
{
	size_t size = 0;
	uint8_t *sgx = load_sgx_v3(&size);
	uint8_t *tdx;

	(void)state;
	put_u32(sgx + 4, RATLS_TEE_TYPE_TDX);
	expect_parse_error("SGX v3 quote with TEE type TDX", sgx, size,
			   RATLS_ERR_UNSUPPORTED_TEE_TYPE, "version 3");
	free(sgx);

	tdx = load_tdx_v4(&size);
	put_u16(tdx, 3);
	expect_parse_error("TDX quote relabelled as version 3", tdx, size,
			   RATLS_ERR_UNSUPPORTED_TEE_TYPE, "version 3");
	free(tdx);
}

static void test_v5_bad_body_types(void **state)
{
	static const uint16_t body_types[] = {0, 4, 5, 0x0300, 0xffff};
	size_t size = 0;
	uint8_t *data = load_tdx_v5(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(body_types); i++) {
		char name[64];

		snprintf(name, sizeof(name), "v5 body type %u", body_types[i]);
		put_u16(data + V5_BODY_TYPE_AT, body_types[i]);
		expect_parse_error(name, data, size, RATLS_ERR_UNSUPPORTED_VERSION, "body type");
	}
	free(data);
}

static void test_v5_bad_body_sizes(void **state)
{
	static const struct {
		uint16_t type;
		uint32_t size;
	} cases[] = {
		{RATLS_BODY_TD_REPORT15, 0},
		{RATLS_BODY_TD_REPORT15, 584},
		{RATLS_BODY_TD_REPORT15, 647},
		{RATLS_BODY_TD_REPORT15, 649},
		{RATLS_BODY_TD_REPORT15, 0xffffffffu},
		{RATLS_BODY_TD_REPORT10, 648},
		{RATLS_BODY_TD_REPORT10, 583},
		{RATLS_BODY_SGX_ENCLAVE, 648},
		{RATLS_BODY_SGX_ENCLAVE, 385},
	};
	size_t size = 0;
	uint8_t *data = load_tdx_v5(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[64];

		snprintf(name, sizeof(name), "v5 body type %u with size %u", cases[i].type,
			 cases[i].size);
		put_u16(data + V5_BODY_TYPE_AT, cases[i].type);
		put_u32(data + V5_BODY_SIZE_AT, cases[i].size);
		expect_parse_error(name, data, size, RATLS_ERR_MALFORMED, "size");
	}
	free(data);
}

static void test_v5_body_type_mismatch(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v5(&size);

	(void)state;
	/* An SGX body in a quote whose header says TDX. */
	put_u16(data + V5_BODY_TYPE_AT, RATLS_BODY_SGX_ENCLAVE);
	put_u32(data + V5_BODY_SIZE_AT, RATLS_SGX_REPORT_SIZE);
	expect_parse_error("v5 SGX body with TEE type TDX", data, size, RATLS_ERR_MALFORMED,
			   "TEE type");

	/* A TD body in a quote whose header says SGX. */
	put_u16(data + V5_BODY_TYPE_AT, RATLS_BODY_TD_REPORT15);
	put_u32(data + V5_BODY_SIZE_AT, RATLS_TD15_REPORT_SIZE);
	put_u32(data + 4, RATLS_TEE_TYPE_SGX);
	expect_parse_error("v5 TD body with TEE type SGX", data, size, RATLS_ERR_MALFORMED,
			   "TEE type");

	/*
	 * A TD 1.5 body declared as TD 1.0 shifts the signature data size onto
	 * tee_tcb_svn2, which declares far more bytes than the quote has.
	 */
	put_u32(data + 4, RATLS_TEE_TYPE_TDX);
	put_u16(data + V5_BODY_TYPE_AT, RATLS_BODY_TD_REPORT10);
	put_u32(data + V5_BODY_SIZE_AT, RATLS_TD10_REPORT_SIZE);
	expect_parse_error("v5 TD 1.5 body declared as TD 1.0", data, size, RATLS_ERR_TRUNCATED,
			   "signature data");
	free(data);
}

/* ---- synthetic layouts built from the real quotes ---- */

struct bytes {
	uint8_t data[16384];
	size_t size;
};

static void append(struct bytes *b, const void *p, size_t n)
{
	assert_true(b->size + n <= sizeof(b->data));
	memcpy(b->data + b->size, p, n);
	b->size += n;
}

static void append_u16(struct bytes *b, uint16_t v)
{
	uint8_t le[2];

	put_u16(le, v);
	append(b, le, 2);
}

static void append_u32(struct bytes *b, uint32_t v)
{
	uint8_t le[4];

	put_u32(le, v);
	append(b, le, 4);
}

static void test_v5_td10_body(void **state)
{
	size_t size = 0;
	uint8_t *v4 = load_tdx_v4(&size);
	struct bytes *b = calloc(1, sizeof(*b));
	struct ratls_quote q;

	(void)state;
	assert_non_null(b);
	/* The v4 quote as v5: same header with version 5, a descriptor, then the rest. */
	append(b, v4, 48);
	put_u16(b->data, 5);
	append_u16(b, RATLS_BODY_TD_REPORT10);
	append_u32(b, RATLS_TD10_REPORT_SIZE);
	append(b, v4 + 48, V4_END - 48);

	parse_ok(b->data, b->size, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, RATLS_BODY_TD_REPORT10);
	assert_int_equal(q.signed_size, 638);
	assert_ptr_equal(q.td.mr_td, b->data + 54 + 136);
	assert_null(q.td.tee_tcb_svn2);
	assert_true(q.has_qe_report);
	assert_int_equal(q.pck_cert_data_type, RATLS_CERT_PCK_CHAIN);
	assert_int_equal(q.trailing_size, 0);
	free(b);
	free(v4);
}

/*
 * Builds an SGX quote of the given version (4 or 5) from the v3 sample: its
 * header, enclave report, signature and key, then either QE report
 * certification data (type 6) or the PEM chain directly (type 5).
 */
static void build_sgx_quote(const uint8_t *v3, uint16_t version, bool with_qe_report,
			    struct bytes *b)
{
	/* From the QE report to the end of the PEM chain: the v3 QE report section. */
	const size_t qe_section = V3_END - V3_QE_REPORT_AT;
	uint32_t cert_size = with_qe_report ? (uint32_t)qe_section : V3_PEM_SIZE;

	b->size = 0;
	append(b, v3, 48);
	put_u16(b->data, version);
	if (version == 5) {
		append_u16(b, RATLS_BODY_SGX_ENCLAVE);
		append_u32(b, RATLS_SGX_REPORT_SIZE);
	}
	append(b, v3 + 48, RATLS_SGX_REPORT_SIZE);
	append_u32(b, 128 + 6 + cert_size);
	append(b, v3 + 436, 128);
	append_u16(b, with_qe_report ? RATLS_CERT_QE_REPORT : RATLS_CERT_PCK_CHAIN);
	append_u32(b, cert_size);
	if (with_qe_report)
		append(b, v3 + V3_QE_REPORT_AT, qe_section);
	else
		append(b, v3 + V3_PEM_AT, V3_PEM_SIZE);
}

static void test_v4_sgx_body(void **state)
{
	size_t size = 0;
	uint8_t *v3 = load_sgx_v3(&size);
	struct bytes *b = calloc(1, sizeof(*b));
	struct ratls_quote q;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;

	(void)state;
	assert_non_null(b);
	build_sgx_quote(v3, 4, true, b);
	parse_ok(b->data, b->size, &q);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.body_type, RATLS_BODY_SGX_ENCLAVE);
	assert_false(ratls_quote_is_td(&q));
	assert_int_equal(q.signed_size, 432);
	assert_memory_equal(q.sgx.report_data, "Hello, world!", 13);
	assert_true(q.has_qe_report);
	assert_int_equal(q.qe_auth_data_size, 32);
	assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, NULL), RATLS_OK);
	assert_int_equal(pem_size, V3_PEM_SIZE);
	assert_memory_equal(pem, v3 + V3_PEM_AT, V3_PEM_SIZE);
	free(b);
	free(v3);
}

static void test_v5_sgx_body(void **state)
{
	size_t size = 0;
	uint8_t *v3 = load_sgx_v3(&size);
	struct bytes *b = calloc(1, sizeof(*b));
	struct ratls_quote q;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;

	(void)state;
	assert_non_null(b);
	build_sgx_quote(v3, 5, false, b);
	parse_ok(b->data, b->size, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, RATLS_BODY_SGX_ENCLAVE);
	assert_int_equal(q.signed_size, 438);
	assert_ptr_equal(q.sgx.report_data, b->data + 54 + 320);
	assert_memory_equal(q.sgx.report_data, "Hello, world!", 13);
	assert_false(q.has_qe_report);
	assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, NULL), RATLS_OK);
	assert_memory_equal(pem, v3 + V3_PEM_AT, V3_PEM_SIZE);

	/* The same quote with a TDX header is inconsistent. */
	put_u32(b->data + 4, RATLS_TEE_TYPE_TDX);
	expect_parse_error("v5 SGX body under a TDX header", b->data, b->size, RATLS_ERR_MALFORMED,
			   "TEE type");
	free(b);
	free(v3);
}

/* ---- declared lengths ---- */

struct length_case {
	const char *name;
	size_t at;      /* offset of the u16 or u32 length field */
	int width;      /* 2 or 4 */
	uint32_t value;
	int rc;
	const char *field;
};

static void run_length_cases(const uint8_t *quote, size_t size, const struct length_case *cases,
			     size_t count)
{
	uint8_t *copy = exact_copy(quote, size);

	for (size_t i = 0; i < count; i++) {
		memcpy(copy, quote, size);
		if (cases[i].width == 2)
			put_u16(copy + cases[i].at, (uint16_t)cases[i].value);
		else
			put_u32(copy + cases[i].at, cases[i].value);
		expect_parse_error(cases[i].name, copy, size, cases[i].rc, cases[i].field);
	}
	free(copy);
}

static void test_v4_oversized_lengths(void **state)
{
	static const struct length_case cases[] = {
		{"signature data size + 1", V4_SIG_SIZE_AT, 4, V4_SIG_SIZE + 1, RATLS_ERR_TRUNCATED,
		 "signature data"},
		{"signature data size 0xffffffff", V4_SIG_SIZE_AT, 4, 0xffffffffu,
		 RATLS_ERR_TRUNCATED, "signature data"},
		{"outer certification data size + 1", V4_OUTER_SIZE_AT, 4, V4_OUTER_SIZE + 1,
		 RATLS_ERR_TRUNCATED, "certification data"},
		{"outer certification data size 0xffffffff", V4_OUTER_SIZE_AT, 4, 0xffffffffu,
		 RATLS_ERR_TRUNCATED, "certification data"},
		/* QE auth data larger than what is left after the QE report and its signature. */
		{"QE auth data size past the end", V4_QE_AUTH_SIZE_AT, 2,
		 V4_OUTER_SIZE - 384 - 64 - 2 + 1, RATLS_ERR_TRUNCATED, "QE authentication data"},
		{"QE auth data size 0xffff", V4_QE_AUTH_SIZE_AT, 2, 0xffff, RATLS_ERR_TRUNCATED,
		 "QE authentication data"},
		{"PCK certification data size + 1", V4_INNER_SIZE_AT, 4, V4_PEM_SIZE + 1,
		 RATLS_ERR_TRUNCATED, "PCK certification data"},
		{"PCK certification data size 0xffffffff", V4_INNER_SIZE_AT, 4, 0xffffffffu,
		 RATLS_ERR_TRUNCATED, "PCK certification data"},
	};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	/* Without the padding, so every byte past the declared end is missing. */
	run_length_cases(data, V4_END, cases, ARRAY_SIZE(cases));
	free(data);
}

static void test_v4_undersized_lengths(void **state)
{
	static const struct length_case cases[] = {
		{"outer certification data size - 1", V4_OUTER_SIZE_AT, 4, V4_OUTER_SIZE - 1,
		 RATLS_ERR_TRAILING_DATA, "signature data"},
		{"PCK certification data size - 1", V4_INNER_SIZE_AT, 4, V4_PEM_SIZE - 1,
		 RATLS_ERR_TRAILING_DATA, "QE report certification data"},
		{"PCK certification data size 0", V4_INNER_SIZE_AT, 4, 0, RATLS_ERR_TRAILING_DATA,
		 "QE report certification data"},
		/* The outer certification data no longer fits in the signature data. */
		{"signature data size - 1", V4_SIG_SIZE_AT, 4, V4_SIG_SIZE - 1, RATLS_ERR_TRUNCATED,
		 "certification data"},
	};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	run_length_cases(data, V4_END, cases, ARRAY_SIZE(cases));
	free(data);
}

static void test_v4_signature_size_into_padding(void **state)
{
	static const struct length_case cases[] = {
		/* One padding byte becomes part of the signature data, after its last field. */
		{"signature data size + 1 with padding", V4_SIG_SIZE_AT, 4, V4_SIG_SIZE + 1,
		 RATLS_ERR_TRAILING_DATA, "signature data"},
		{"signature data size past the padding", V4_SIG_SIZE_AT, 4,
		 5006 - V4_SIG_DATA_AT + 1, RATLS_ERR_TRUNCATED, "signature data"},
	};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	run_length_cases(data, size, cases, ARRAY_SIZE(cases));
	free(data);
}

static void test_v3_declared_lengths(void **state)
{
	static const struct length_case cases[] = {
		{"v3 signature data size + 1", V3_SIG_SIZE_AT, 4, V3_SIG_SIZE + 1,
		 RATLS_ERR_TRUNCATED, "signature data"},
		{"v3 QE auth data size 0xffff", V3_QE_AUTH_SIZE_AT, 2, 0xffff, RATLS_ERR_TRUNCATED,
		 "QE authentication data"},
		{"v3 certification data size + 1", V3_CERT_SIZE_AT, 4, V3_PEM_SIZE + 1,
		 RATLS_ERR_TRUNCATED, "certification data"},
		{"v3 certification data size 0xffffffff", V3_CERT_SIZE_AT, 4, 0xffffffffu,
		 RATLS_ERR_TRUNCATED, "certification data"},
		{"v3 certification data size - 1", V3_CERT_SIZE_AT, 4, V3_PEM_SIZE - 1,
		 RATLS_ERR_TRAILING_DATA, "signature data"},
		{"v3 signature data size - 1", V3_SIG_SIZE_AT, 4, V3_SIG_SIZE - 1,
		 RATLS_ERR_TRUNCATED, "certification data"},
	};
	size_t size = 0;
	uint8_t *data = load_sgx_v3(&size);

	(void)state;
	run_length_cases(data, size, cases, ARRAY_SIZE(cases));
	free(data);
}

static void test_v4_short_qe_report_data(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);
	const uint32_t cert_size = 100; /* less than the QE report alone */
	uint8_t *cut = exact_copy(data, V4_QE_REPORT_AT + cert_size);

	(void)state;
	put_u32(cut + V4_SIG_SIZE_AT, 128 + 6 + cert_size);
	put_u32(cut + V4_OUTER_SIZE_AT, cert_size);
	expect_parse_error("type 6 certification data of 100 bytes", cut, V4_QE_REPORT_AT + cert_size,
			   RATLS_ERR_TRUNCATED, "QE report certification data");
	free(cut);
	free(data);
}

/* ---- certification data types ---- */

static void test_v4_outer_type_not_6(void **state)
{
	static const uint16_t types[] = {0, 1, 2, 3, 4, 5, 7, 0xffff};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct ratls_quote q;
		struct ratls_detail detail = {0};
		const uint8_t *pem = NULL;
		size_t pem_size = 0;
		int rc;

		put_u16(data + V4_OUTER_TYPE_AT, types[i]);
		parse_ok(data, size, &q);
		assert_false(q.has_qe_report);
		assert_int_equal(q.cert_data_type, types[i]);
		assert_int_equal(q.pck_cert_data_type, types[i]);
		assert_ptr_equal(q.pck_cert_data, data + V4_QE_REPORT_AT);
		assert_int_equal(q.pck_cert_data_size, V4_OUTER_SIZE);

		rc = ratls_quote_pck_chain(&q, &pem, &pem_size, &detail);
		if (types[i] == RATLS_CERT_PCK_CHAIN) {
			/* The accessor checks only the type, so it returns the QE report bytes as the chain. */
			assert_int_equal(rc, RATLS_OK);
			assert_ptr_equal(pem, data + V4_QE_REPORT_AT);
			continue;
		}
		assert_int_equal(rc, RATLS_ERR_UNSUPPORTED_CERT_DATA);
		assert_non_null(strstr(detail.message, "type"));
	}
	free(data);
}

static void test_v4_inner_type_not_5(void **state)
{
	static const uint16_t types[] = {1, 2, 3, 4, 6, 7, 0xffff};
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct ratls_quote q;
		struct ratls_detail detail = {0};
		const uint8_t *pem = NULL;
		size_t pem_size = 0;
		char type_text[32];

		put_u16(data + V4_INNER_TYPE_AT, types[i]);
		parse_ok(data, size, &q);
		assert_true(q.has_qe_report);
		assert_int_equal(q.pck_cert_data_type, types[i]);
		assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, &detail),
				 RATLS_ERR_UNSUPPORTED_CERT_DATA);
		snprintf(type_text, sizeof(type_text), "type %u", types[i]);
		assert_non_null(strstr(detail.message, type_text));
	}
	free(data);
}

/* ---- size limit and arguments ---- */

static void test_size_limit(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);
	uint8_t *big = calloc(1, (size_t)RATLS_QUOTE_MAX_SIZE + 1);
	struct ratls_quote q;
	struct ratls_detail detail = {0};

	(void)state;
	assert_non_null(big);
	memcpy(big, data, V4_END);

	/* Exactly at the limit: the rest is zero padding. */
	parse_ok(big, RATLS_QUOTE_MAX_SIZE, &q);
	assert_int_equal(q.trailing_size, RATLS_QUOTE_MAX_SIZE - V4_END);
	assert_true(q.trailing_all_zero);

	assert_int_equal(ratls_quote_parse(big, (size_t)RATLS_QUOTE_MAX_SIZE + 1, &q, &detail),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_int_equal(detail.code, RATLS_ERR_LIMIT_EXCEEDED);
	assert_non_null(strstr(detail.message, "limit"));

	ratls_detail_clear(&detail);
	assert_int_equal(ratls_quote_parse(big, SIZE_MAX, &q, &detail), RATLS_ERR_LIMIT_EXCEEDED);
	free(big);
	free(data);
}

static void test_trailing_nonzero(void **state)
{
	size_t size = 0;
	uint8_t *data = load_tdx_v4(&size);
	struct ratls_quote q;

	(void)state;
	data[size - 1] = 0x01;
	parse_ok(data, size, &q);
	assert_int_equal(q.trailing_size, 70);
	assert_false(q.trailing_all_zero);
	free(data);
}

static void test_null_arguments(void **state)
{
	static const uint8_t single_byte = 0;
	struct ratls_quote q;
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(ratls_quote_parse(NULL, 10, &q, &detail), RATLS_ERR_INVALID_ARGUMENT);
	assert_true(detail.message[0] != '\0');
	assert_int_equal(ratls_quote_parse(&single_byte, 1, NULL, NULL), RATLS_ERR_INVALID_ARGUMENT);
	/* A NULL detail is allowed on every path. */
	assert_int_equal(ratls_quote_parse(&single_byte, 1, &q, NULL), RATLS_ERR_TRUNCATED);
}

/* ---- PCK certificate SGX extension ---- */

#define SGX_EXTENSION_OID "1.2.840.113741.1.13.1"

/* Returns the SGX extension value of the first (leaf) certificate of a PEM chain. */
static uint8_t *extension_from_pem(const uint8_t *pem, size_t pem_size, size_t *ext_size)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_size);
	X509 *leaf;
	ASN1_OBJECT *oid;
	int index;
	const ASN1_OCTET_STRING *value;
	uint8_t *ext;

	assert_non_null(bio);
	leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(leaf);
	oid = OBJ_txt2obj(SGX_EXTENSION_OID, 1);
	assert_non_null(oid);
	index = X509_get_ext_by_OBJ(leaf, oid, -1);
	assert_true(index >= 0);
	assert_int_equal(X509_get_ext_by_OBJ(leaf, oid, index), -1);
	value = X509_EXTENSION_get_data(X509_get_ext(leaf, index));
	assert_non_null(value);

	*ext_size = (size_t)ASN1_STRING_length(value);
	ext = exact_copy(ASN1_STRING_get0_data(value), *ext_size);
	ASN1_OBJECT_free(oid);
	X509_free(leaf);
	BIO_free(bio);
	return ext;
}

/* Loads a corpus quote and returns the SGX extension of its PCK leaf certificate. */
static uint8_t *load_pck_extension(const char *rel, size_t *ext_size)
{
	size_t size = 0;
	uint8_t *data = load_corpus(rel, false, &size);
	struct ratls_quote q;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;
	uint8_t *ext;

	parse_ok(data, size, &q);
	assert_int_equal(ratls_quote_pck_chain(&q, &pem, &pem_size, NULL), RATLS_OK);
	ext = extension_from_pem(pem, pem_size, ext_size);
	free(data);
	return ext;
}

/* Parses an exact heap copy. On failure checks the detail and that *info was not touched. */
static int parse_pck_copy(const uint8_t *der, size_t size, struct ratls_pck_info *info,
			  struct ratls_detail *detail)
{
	uint8_t *copy = exact_copy(der, size);
	struct ratls_pck_info untouched;
	int rc;

	memset(info, 0xa5, sizeof(*info));
	memset(&untouched, 0xa5, sizeof(untouched));
	ratls_detail_clear(detail);
	rc = ratls_pck_info_parse(copy, size, info, detail);
	if (rc != RATLS_OK) {
		assert_int_equal(detail->code, rc);
		assert_true(detail->message[0] != '\0');
		assert_memory_equal(info, &untouched, sizeof(untouched));
	}
	free(copy);
	return rc;
}

static void test_pck_info_tdx_platform(void **state)
{
	static const uint8_t comp_svn[16] = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
	size_t ext_size = 0;
	uint8_t *ext = load_pck_extension(TDX_V4_QUOTE, &ext_size);
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	assert_int_equal(parse_pck_copy(ext, ext_size, &info, &detail), RATLS_OK);
	assert_hex_equal(info.ppid, "811dca2a26b952e85bb6448b097ba4fd");
	assert_hex_equal(info.cpu_svn, "03030202040100050000000000000000");
	assert_memory_equal(info.tcb_comp_svn, comp_svn, 16);
	assert_int_equal(info.pce_svn, 11);
	assert_hex_equal(info.fmspc, "b0c06f000000");
	assert_hex_equal(info.pce_id, "0000");
	assert_int_equal(info.sgx_type, 1);

	/* A Platform CA certificate also carries the instance ID and the configuration. */
	assert_true(info.has_platform_instance_id);
	assert_hex_equal(info.platform_instance_id, "07828474603e7019dc930775ffe8cdd2");
	assert_true(info.has_configuration);
	assert_true(info.dynamic_platform);
	assert_true(info.cached_keys);
	assert_true(info.smt_enabled);
	free(ext);
}

static void test_pck_info_sgx_processor(void **state)
{
	static const uint8_t comp_svn[16] = {11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	size_t ext_size = 0;
	uint8_t *ext = load_pck_extension(SGX_V3_QUOTE, &ext_size);
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	assert_int_equal(parse_pck_copy(ext, ext_size, &info, &detail), RATLS_OK);
	assert_hex_equal(info.ppid, "d04ec06d4e6d92dc90d0ad3cf5ee2ddf");
	assert_hex_equal(info.cpu_svn, "0b0b0202ff0100000000000000000000");
	/* Component 5 is 255, DER-encoded as 00 ff. */
	assert_memory_equal(info.tcb_comp_svn, comp_svn, 16);
	assert_int_equal(info.pce_svn, 13);
	assert_hex_equal(info.fmspc, "00a067110000");
	assert_hex_equal(info.pce_id, "0000");
	assert_int_equal(info.sgx_type, 0);
	assert_false(info.has_platform_instance_id);
	assert_false(info.has_configuration);
	free(ext);
}

static void test_pck_info_outdated_platform(void **state)
{
	size_t ext_size = 0;
	uint8_t *ext = load_pck_extension(TDX_V5_QUOTE, &ext_size);
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	assert_int_equal(parse_pck_copy(ext, ext_size, &info, &detail), RATLS_OK);
	assert_hex_equal(info.cpu_svn, "03030202040100030000000000000000");
	assert_int_equal(info.pce_svn, 13);
	assert_hex_equal(info.fmspc, "90c06f000000");
	free(ext);
}

static void check_every_extension_prefix(const char *quote_path)
{
	size_t ext_size = 0;
	uint8_t *ext = load_pck_extension(quote_path, &ext_size);

	for (size_t len = 0; len < ext_size; len++) {
		struct ratls_pck_info info;
		struct ratls_detail detail;
		int rc = parse_pck_copy(ext, len, &info, &detail);

		if (rc == RATLS_OK || ratls_error_class(rc) != RATLS_CLASS_MALFORMED)
			fail_msg("%s extension cut to %zu bytes: got %s", quote_path, len,
				 ratls_error_name(rc));
	}
	free(ext);
}

static void test_pck_info_truncation(void **state)
{
	(void)state;
	check_every_extension_prefix(SGX_V3_QUOTE);
	check_every_extension_prefix(TDX_V4_QUOTE);
}

/* -- DER building for altered extensions -- */

/* A TLV or a run of TLVs inside a larger buffer. */
struct span {
	const uint8_t *p;
	size_t n;
};

struct der {
	uint8_t data[4096];
	size_t size;
};

/* The DER content of OID 1.2.840.113741.1.13.1. */
static const uint8_t sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

static void der_append(struct der *d, const void *p, size_t n)
{
	assert_true(d->size + n <= sizeof(d->data));
	memcpy(d->data + d->size, p, n);
	d->size += n;
}

static void der_append_tlv(struct der *d, uint8_t tag, const void *content, size_t n)
{
	uint8_t header[4];
	size_t h = 0;

	header[h++] = tag;
	if (n < 0x80) {
		header[h++] = (uint8_t)n;
	} else if (n < 0x100) {
		header[h++] = 0x81;
		header[h++] = (uint8_t)n;
	} else {
		assert_true(n < 0x10000);
		header[h++] = 0x82;
		header[h++] = (uint8_t)(n >> 8);
		header[h++] = (uint8_t)n;
	}
	der_append(d, header, h);
	der_append(d, content, n);
}

/* Appends SEQUENCE { OID sgx_oid.arcs, value TLV }. */
static void der_append_entry(struct der *d, const uint8_t *arcs, size_t n_arcs, uint8_t tag,
			     const void *value, size_t n)
{
	struct der oid = {.size = 0};
	struct der entry = {.size = 0};

	der_append(&oid, sgx_oid, sizeof(sgx_oid));
	der_append(&oid, arcs, n_arcs);
	der_append_tlv(&entry, 0x06, oid.data, oid.size);
	der_append_tlv(&entry, tag, value, n);
	der_append_tlv(d, 0x30, entry.data, entry.size);
}

/* Returns the size of the well-formed TLV at p (test inputs only). */
static size_t tlv_size(const uint8_t *p, size_t avail)
{
	size_t len;
	size_t header;

	assert_true(avail >= 2);
	if (p[1] < 0x80) {
		len = p[1];
		header = 2;
	} else {
		size_t nbytes = p[1] & 0x7f;

		assert_true(nbytes >= 1 && nbytes <= 2 && avail >= 2 + nbytes);
		len = 0;
		for (size_t i = 0; i < nbytes; i++)
			len = (len << 8) | p[2 + i];
		header = 2 + nbytes;
	}
	assert_true(header + len <= avail);
	return header + len;
}

/* Returns the content of the TLV at p. */
static struct span tlv_content(struct span tlv)
{
	size_t header = tlv.p[1] < 0x80 ? 2 : 2 + (size_t)(tlv.p[1] & 0x7f);
	struct span content = {tlv.p + header, tlv.n - header};

	return content;
}

/* Splits a run of TLVs into spans and returns their count. */
static size_t split_tlvs(struct span run, struct span *out, size_t max)
{
	size_t count = 0;
	size_t at = 0;

	while (at < run.n) {
		assert_true(count < max);
		out[count].p = run.p + at;
		out[count].n = tlv_size(run.p + at, run.n - at);
		at += out[count].n;
		count++;
	}
	return count;
}

/* The SGX processor PCK extension split into its 5 entries and its 18 TCB components. */
struct sgx_extension_parts {
	uint8_t *ext;
	size_t ext_size;
	struct span entries[8];
	size_t n_entries;
	struct span tcb[20];
	size_t n_tcb;
};

static void load_extension_parts(struct sgx_extension_parts *parts)
{
	struct span whole;
	struct span entry2_items[2];

	parts->ext = load_pck_extension(SGX_V3_QUOTE, &parts->ext_size);
	whole.p = parts->ext;
	whole.n = parts->ext_size;
	assert_int_equal(tlv_size(whole.p, whole.n), whole.n);
	parts->n_entries = split_tlvs(tlv_content(whole), parts->entries, 8);
	assert_int_equal(parts->n_entries, 5);

	/* entries[1] is SEQUENCE { OID ...1.2, SEQUENCE { 18 components } }. */
	assert_int_equal(split_tlvs(tlv_content(parts->entries[1]), entry2_items, 2), 2);
	parts->n_tcb = split_tlvs(tlv_content(entry2_items[1]), parts->tcb, 20);
	assert_int_equal(parts->n_tcb, 18);
}

/* Wraps a list of entries in the outer SEQUENCE. */
static void build_extension(const struct span *entries, size_t count, struct der *out)
{
	struct der content = {.size = 0};

	for (size_t i = 0; i < count; i++)
		der_append(&content, entries[i].p, entries[i].n);
	out->size = 0;
	der_append_tlv(out, 0x30, content.data, content.size);
}

/* Builds the TCB entry (arc 2) from a list of component TLVs. */
static void build_tcb_entry(const struct span *components, size_t count, struct der *out)
{
	static const uint8_t arc_tcb[] = {2};
	struct der seq = {.size = 0};

	for (size_t i = 0; i < count; i++)
		der_append(&seq, components[i].p, components[i].n);
	out->size = 0;
	der_append_entry(out, arc_tcb, 1, 0x30, seq.data, seq.size);
}

static void expect_pck_error(const char *case_name, const struct der *ext, int expected_rc,
			     const char *field)
{
	struct ratls_pck_info info;
	struct ratls_detail detail;
	int rc = parse_pck_copy(ext->data, ext->size, &info, &detail);

	if (rc != expected_rc)
		fail_msg("%s: expected %s, got %s (\"%s\")", case_name,
			 ratls_error_name(expected_rc), ratls_error_name(rc), detail.message);
	if (strstr(detail.message, field) == NULL)
		fail_msg("%s: message \"%s\" does not name \"%s\"", case_name, detail.message,
			 field);
}

static void test_pck_info_rebuilt_matches(void **state)
{
	struct sgx_extension_parts parts;
	struct der *ext;
	struct der *tcb;
	struct span entries[5];
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	tcb = calloc(1, sizeof(*tcb));
	assert_non_null(ext);
	assert_non_null(tcb);

	/* Rebuilding from the split parts reproduces the certificate's bytes. */
	memcpy(entries, parts.entries, sizeof(entries));
	build_tcb_entry(parts.tcb, parts.n_tcb, tcb);
	entries[1].p = tcb->data;
	entries[1].n = tcb->size;
	build_extension(entries, 5, ext);
	assert_int_equal(ext->size, parts.ext_size);
	assert_memory_equal(ext->data, parts.ext, parts.ext_size);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	free(tcb);
	free(ext);
	free(parts.ext);
}

static void test_pck_info_missing_entries(void **state)
{
	static const char *const names[] = {"PPID", "TCB", "PCE-ID", "FMSPC", "SGX type"};
	struct sgx_extension_parts parts;
	struct der *ext;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);
	for (size_t skip_index = 0; skip_index < 5; skip_index++) {
		struct span entries[5];
		size_t count = 0;
		char name[64];

		for (size_t i = 0; i < 5; i++) {
			if (i != skip_index)
				entries[count++] = parts.entries[i];
		}
		build_extension(entries, count, ext);
		snprintf(name, sizeof(name), "extension without %s", names[skip_index]);
		expect_pck_error(name, ext, RATLS_ERR_MALFORMED, names[skip_index]);
	}

	build_extension(parts.entries, 0, ext);
	expect_pck_error("empty SEQUENCE", ext, RATLS_ERR_MALFORMED, "PPID");
	free(ext);
	free(parts.ext);
}

static void test_pck_info_duplicate_entries(void **state)
{
	struct sgx_extension_parts parts;
	struct der *ext;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);
	for (size_t dup = 0; dup < 5; dup++) {
		struct span entries[6];
		char name[64];

		memcpy(entries, parts.entries, 5 * sizeof(entries[0]));
		entries[5] = parts.entries[dup];
		build_extension(entries, 6, ext);
		snprintf(name, sizeof(name), "entry %zu twice", dup + 1);
		expect_pck_error(name, ext, RATLS_ERR_MALFORMED, "twice");
	}
	free(ext);
	free(parts.ext);
}

static void test_pck_info_tcb_components(void **state)
{
	struct sgx_extension_parts parts;
	struct der *ext;
	struct der *tcb;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	tcb = calloc(1, sizeof(*tcb));
	assert_non_null(ext);
	assert_non_null(tcb);

	for (size_t skip_index = 0; skip_index < 18; skip_index++) {
		struct span comps[18];
		struct span entries[5];
		size_t count = 0;
		char name[64];

		for (size_t i = 0; i < 18; i++) {
			if (i != skip_index)
				comps[count++] = parts.tcb[i];
		}
		build_tcb_entry(comps, count, tcb);
		memcpy(entries, parts.entries, sizeof(entries));
		entries[1].p = tcb->data;
		entries[1].n = tcb->size;
		build_extension(entries, 5, ext);
		snprintf(name, sizeof(name), "TCB without component %zu", skip_index + 1);
		expect_pck_error(name, ext, RATLS_ERR_MALFORMED, "TCB");
	}

	for (size_t dup = 0; dup < 18; dup++) {
		struct span comps[19];
		struct span entries[5];
		char name[64];

		memcpy(comps, parts.tcb, 18 * sizeof(comps[0]));
		comps[18] = parts.tcb[dup];
		build_tcb_entry(comps, 19, tcb);
		memcpy(entries, parts.entries, sizeof(entries));
		entries[1].p = tcb->data;
		entries[1].n = tcb->size;
		build_extension(entries, 5, ext);
		snprintf(name, sizeof(name), "TCB component %zu twice", dup + 1);
		expect_pck_error(name, ext, RATLS_ERR_MALFORMED, "twice");
	}
	free(tcb);
	free(ext);
	free(parts.ext);
}

/* Replaces top-level entry `index` (0-based) with SEQUENCE{OID .arc, tag value}. */
static void build_with_entry(const struct sgx_extension_parts *parts, size_t index, uint8_t arc,
			     uint8_t tag, const void *value, size_t n, struct der *ext)
{
	struct der replacement = {.size = 0};
	struct span entries[5];

	der_append_entry(&replacement, &arc, 1, tag, value, n);
	memcpy(entries, parts->entries, sizeof(entries));
	entries[index].p = replacement.data;
	entries[index].n = replacement.size;
	build_extension(entries, 5, ext);
}

/* Replaces TCB component `arc` (1-18) with SEQUENCE{OID .2.arc, tag value}. */
static void build_with_component(const struct sgx_extension_parts *parts, uint8_t arc,
				 uint8_t tag, const void *value, size_t n, struct der *ext)
{
	const uint8_t arcs[2] = {2, arc};
	struct der component = {.size = 0};
	struct der tcb = {.size = 0};
	struct span comps[18];
	struct span entries[5];

	der_append_entry(&component, arcs, 2, tag, value, n);
	memcpy(comps, parts->tcb, sizeof(comps));
	comps[arc - 1].p = component.data;
	comps[arc - 1].n = component.size;
	build_tcb_entry(comps, 18, &tcb);
	memcpy(entries, parts->entries, sizeof(entries));
	entries[1].p = tcb.data;
	entries[1].n = tcb.size;
	build_extension(entries, 5, ext);
}

static void test_pck_info_wrong_lengths(void **state)
{
	static const uint8_t bytes[20] = {0};
	static const struct {
		size_t index;
		uint8_t arc;
		size_t n;
		const char *field;
	} cases[] = {
		{0, 1, 15, "PPID"},   {0, 1, 17, "PPID"},  {0, 1, 0, "PPID"},
		{2, 3, 1, "PCE-ID"},  {2, 3, 3, "PCE-ID"}, {3, 4, 5, "FMSPC"},
		{3, 4, 7, "FMSPC"},   {3, 4, 0, "FMSPC"},
	};
	struct sgx_extension_parts parts;
	struct der *ext;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[64];

		build_with_entry(&parts, cases[i].index, cases[i].arc, 0x04, bytes, cases[i].n, ext);
		snprintf(name, sizeof(name), "%s of %zu bytes", cases[i].field, cases[i].n);
		expect_pck_error(name, ext, RATLS_ERR_MALFORMED, cases[i].field);
	}

	build_with_component(&parts, 18, 0x04, bytes, 15, ext);
	expect_pck_error("CPUSVN of 15 bytes", ext, RATLS_ERR_MALFORMED, "CPUSVN");
	build_with_component(&parts, 18, 0x04, bytes, 17, ext);
	expect_pck_error("CPUSVN of 17 bytes", ext, RATLS_ERR_MALFORMED, "CPUSVN");

	/* The right length under the wrong tag. */
	build_with_entry(&parts, 0, 1, 0x02, bytes, 16, ext);
	expect_pck_error("PPID as INTEGER", ext, RATLS_ERR_MALFORMED, "PPID");
	build_with_entry(&parts, 3, 4, 0x0c, bytes, 6, ext);
	expect_pck_error("FMSPC as UTF8String", ext, RATLS_ERR_MALFORMED, "FMSPC");
	build_with_component(&parts, 18, 0x02, bytes, 16, ext);
	expect_pck_error("CPUSVN as INTEGER", ext, RATLS_ERR_MALFORMED, "CPUSVN");
	build_with_entry(&parts, 1, 2, 0x04, bytes, 16, ext);
	expect_pck_error("TCB as OCTET STRING", ext, RATLS_ERR_MALFORMED, "TCB");
	free(ext);
	free(parts.ext);
}

static void test_pck_info_integer_values(void **state)
{
	static const struct {
		const char *name;
		bool component; /* TCB component arc, else top-level SGX type entry */
		uint8_t arc;
		uint8_t tag;
		uint8_t value[4];
		size_t n;
		const char *field;
	} bad[] = {
		{"PCESVN 65536", true, 17, 0x02, {0x01, 0x00, 0x00}, 3, "PCESVN"},
		{"PCESVN negative", true, 17, 0x02, {0xff}, 1, "PCESVN"},
		{"PCESVN with a redundant zero", true, 17, 0x02, {0x00, 0x0d}, 2, "PCESVN"},
		{"PCESVN empty", true, 17, 0x02, {0}, 0, "PCESVN"},
		{"PCESVN as ENUMERATED", true, 17, 0x0a, {0x0d}, 1, "PCESVN"},
		{"component SVN 256", true, 1, 0x02, {0x01, 0x00}, 2, "component"},
		{"component SVN negative", true, 5, 0x02, {0x80}, 1, "component"},
		{"component SVN 255 without a sign byte", true, 5, 0x02, {0xff}, 1, "component"},
		{"component SVN as OCTET STRING", true, 3, 0x04, {0x02}, 1, "component"},
		{"SGX type 256", false, 5, 0x0a, {0x01, 0x00}, 2, "SGX type"},
		{"SGX type negative", false, 5, 0x0a, {0xff}, 1, "SGX type"},
		{"SGX type as INTEGER", false, 5, 0x02, {0x00}, 1, "SGX type"},
	};
	struct sgx_extension_parts parts;
	struct der *ext;
	struct ratls_pck_info info;
	struct ratls_detail detail;
	static const uint8_t svn_65535[] = {0x00, 0xff, 0xff};
	static const uint8_t svn_255[] = {0x00, 0xff};
	static const uint8_t type_2[] = {0x02};

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (bad[i].component)
			build_with_component(&parts, bad[i].arc, bad[i].tag, bad[i].value, bad[i].n,
					     ext);
		else
			build_with_entry(&parts, 4, bad[i].arc, bad[i].tag, bad[i].value, bad[i].n,
					 ext);
		expect_pck_error(bad[i].name, ext, RATLS_ERR_MALFORMED, bad[i].field);
	}

	build_with_component(&parts, 17, 0x02, svn_65535, sizeof(svn_65535), ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_int_equal(info.pce_svn, 65535);

	build_with_component(&parts, 16, 0x02, svn_255, sizeof(svn_255), ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_int_equal(info.tcb_comp_svn[15], 255);

	build_with_entry(&parts, 4, 5, 0x0a, type_2, sizeof(type_2), ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_int_equal(info.sgx_type, 2);
	free(ext);
	free(parts.ext);
}

static void test_pck_info_unknown_entries_skipped(void **state)
{
	static const uint8_t unknown_arc[] = {8};
	static const uint8_t foreign_oid[] = {0x2a, 0x03}; /* 1.2.3 */
	static const uint8_t zeros[16] = {0};
	struct sgx_extension_parts parts;
	struct der *ext;
	struct der unknown = {.size = 0};
	struct der foreign_entry = {.size = 0};
	struct der foreign = {.size = 0};
	struct span entries[7];
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);

	der_append_entry(&unknown, unknown_arc, 1, 0x04, zeros, 4);
	der_append_tlv(&foreign_entry, 0x06, foreign_oid, sizeof(foreign_oid));
	der_append_tlv(&foreign_entry, 0x04, zeros, 16);
	der_append_tlv(&foreign, 0x30, foreign_entry.data, foreign_entry.size);

	memcpy(entries, parts.entries, 5 * sizeof(entries[0]));
	entries[5].p = unknown.data;
	entries[5].n = unknown.size;
	entries[6].p = foreign.data;
	entries[6].n = foreign.size;
	build_extension(entries, 7, ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_int_equal(info.pce_svn, 13);
	assert_hex_equal(info.fmspc, "00a067110000");
	free(ext);
	free(parts.ext);
}

static void test_pck_info_entry_extra_element(void **state)
{
	static const uint8_t null_tlv[] = {0x05, 0x00};
	static const uint8_t ppid_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x01};
	static const uint8_t zeros[16] = {0};
	struct sgx_extension_parts parts;
	struct der *ext;
	struct der inner = {.size = 0};
	struct der entry = {.size = 0};
	struct span entries[5];

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);

	/* SEQUENCE { OID ...1.1, OCTET STRING(16), NULL } */
	der_append_tlv(&inner, 0x06, ppid_oid, sizeof(ppid_oid));
	der_append_tlv(&inner, 0x04, zeros, 16);
	der_append(&inner, null_tlv, sizeof(null_tlv));
	der_append_tlv(&entry, 0x30, inner.data, inner.size);

	memcpy(entries, parts.entries, sizeof(entries));
	entries[0].p = entry.data;
	entries[0].n = entry.size;
	build_extension(entries, 5, ext);
	expect_pck_error("PPID entry with a third element", ext, RATLS_ERR_MALFORMED, "entry");
	free(ext);
	free(parts.ext);
}

static void test_pck_info_outer_structure(void **state)
{
	static const uint8_t null_tlv[] = {0x05, 0x00};
	struct sgx_extension_parts parts;
	struct der *ext;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);

	build_extension(parts.entries, 5, ext);
	der_append(ext, null_tlv, sizeof(null_tlv));
	expect_pck_error("NULL after the extension", ext, RATLS_ERR_TRAILING_DATA, "after");

	ext->size = 0;
	der_append_tlv(ext, 0x04, parts.ext, parts.ext_size);
	expect_pck_error("extension wrapped in an OCTET STRING", ext, RATLS_ERR_MALFORMED,
			 "SEQUENCE");

	ext->size = 0;
	expect_pck_error("empty input", ext, RATLS_ERR_MALFORMED, "SEQUENCE");
	free(ext);
	free(parts.ext);
}

/*
 * Cuts the content of the outer SEQUENCE at every offset and re-encodes its
 * length, so the cut lands inside an entry instead of past the end. Only cuts
 * between entries after the five required ones may parse.
 */
static void check_every_content_cut(const char *quote_path)
{
	size_t ext_size = 0;
	uint8_t *ext = load_pck_extension(quote_path, &ext_size);
	struct span whole = {ext, ext_size};
	struct span content = tlv_content(whole);
	struct span entries[8];
	size_t n_entries = split_tlvs(content, entries, 8);
	struct der *cut = calloc(1, sizeof(*cut));

	assert_non_null(cut);
	for (size_t k = 0; k < content.n; k++) {
		struct ratls_pck_info info;
		struct ratls_detail detail;
		bool expect_ok = false;
		size_t boundary = 0;
		int rc;

		for (size_t i = 0; i < n_entries; i++) {
			boundary += entries[i].n;
			if (boundary == k && i + 1 >= 5)
				expect_ok = true;
		}
		cut->size = 0;
		der_append_tlv(cut, 0x30, content.p, k);
		rc = parse_pck_copy(cut->data, cut->size, &info, &detail);
		if (expect_ok && rc != RATLS_OK)
			fail_msg("%s extension cut after an entry at %zu: %s (\"%s\")", quote_path,
				 k, ratls_error_name(rc), detail.message);
		if (!expect_ok && rc != RATLS_ERR_MALFORMED)
			fail_msg("%s extension content cut at %zu: expected RATLS_ERR_MALFORMED, "
				 "got %s",
				 quote_path, k, ratls_error_name(rc));
	}
	free(cut);
	free(ext);
}

static void test_pck_info_cut_inside_entries(void **state)
{
	(void)state;
	check_every_content_cut(SGX_V3_QUOTE);
	check_every_content_cut(TDX_V4_QUOTE);
}

static const uint8_t platform_instance_id[16] = {1, 2,  3,  4,  5,  6,  7,  8,
						 9, 10, 11, 12, 13, 14, 15, 16};

/* Appends SEQUENCE { OID ...1.7.arc, tag value } to a configuration SEQUENCE content. */
static void append_config_flag(struct der *config, uint8_t arc, uint8_t tag, uint8_t value)
{
	const uint8_t arcs[2] = {7, arc};

	der_append_entry(config, arcs, 2, tag, &value, 1);
}

/*
 * Builds the SGX processor extension plus a PlatformInstanceID of
 * instance_id_size bytes and a Configuration entry with the given content,
 * as Platform CA certificates carry them.
 */
static void build_platform_extension(const struct sgx_extension_parts *parts,
				     const struct der *config, size_t instance_id_size,
				     struct der *ext)
{
	static const uint8_t arc_instance[] = {6};
	static const uint8_t arc_config[] = {7};
	struct der instance = {.size = 0};
	struct der entry = {.size = 0};
	struct span entries[7];

	der_append_entry(&instance, arc_instance, 1, 0x04, platform_instance_id,
			 instance_id_size);
	der_append_entry(&entry, arc_config, 1, 0x30, config->data, config->size);
	memcpy(entries, parts->entries, 5 * sizeof(entries[0]));
	entries[5].p = instance.data;
	entries[5].n = instance.size;
	entries[6].p = entry.data;
	entries[6].n = entry.size;
	build_extension(entries, 7, ext);
}

static void test_pck_info_configuration(void **state)
{
	struct sgx_extension_parts parts;
	struct der *ext;
	struct der config = {.size = 0};
	struct ratls_pck_info info;
	struct ratls_detail detail;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);

	append_config_flag(&config, 1, 0x01, 0xff);
	append_config_flag(&config, 2, 0x01, 0x00);
	append_config_flag(&config, 3, 0x01, 0xff);
	build_platform_extension(&parts, &config, 16, ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_true(info.has_platform_instance_id);
	assert_memory_equal(info.platform_instance_id, platform_instance_id, 16);
	assert_true(info.has_configuration);
	assert_true(info.dynamic_platform);
	assert_false(info.cached_keys);
	assert_true(info.smt_enabled);

	/* An arc added by a later profile version is skipped whatever its type. */
	append_config_flag(&config, 4, 0x02, 0x05);
	build_platform_extension(&parts, &config, 16, ext);
	assert_int_equal(parse_pck_copy(ext->data, ext->size, &info, &detail), RATLS_OK);
	assert_true(info.smt_enabled);

	build_platform_extension(&parts, &config, 15, ext);
	expect_pck_error("PlatformInstanceID of 15 bytes", ext, RATLS_ERR_MALFORMED,
			 "PlatformInstanceID");
	free(ext);
	free(parts.ext);
}

static void test_pck_info_configuration_flags(void **state)
{
	static const struct {
		const char *name;
		uint8_t tag;
		uint8_t value;
		bool twice;
		const char *field;
	} cases[] = {
		{"SMTEnabled as the BER true 0x01", 0x01, 0x01, false, "BOOLEAN"},
		{"SMTEnabled as INTEGER", 0x02, 0xff, false, "BOOLEAN"},
		{"SMTEnabled as OCTET STRING", 0x04, 0xff, false, "BOOLEAN"},
		{"SMTEnabled twice", 0x01, 0xff, true, "twice"},
	};
	struct sgx_extension_parts parts;
	struct der *ext;

	(void)state;
	load_extension_parts(&parts);
	ext = calloc(1, sizeof(*ext));
	assert_non_null(ext);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct der config = {.size = 0};

		append_config_flag(&config, 1, 0x01, 0xff);
		append_config_flag(&config, 2, 0x01, 0x00);
		append_config_flag(&config, 3, cases[i].tag, cases[i].value);
		if (cases[i].twice)
			append_config_flag(&config, 3, 0x01, 0x00);
		build_platform_extension(&parts, &config, 16, ext);
		expect_pck_error(cases[i].name, ext, RATLS_ERR_MALFORMED, cases[i].field);
	}
	free(ext);
	free(parts.ext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_quotes_parse),
		cmocka_unit_test(test_tdx_v4_fields),
		cmocka_unit_test(test_sgx_v3_fields),
		cmocka_unit_test(test_tdx_v5_td15_fields),
		cmocka_unit_test(test_cos_padded_trailing),
		cmocka_unit_test(test_debug_td_attribute),
		cmocka_unit_test(test_trustee_v5_td15),
		cmocka_unit_test(test_eppid_cert_type_3),
		cmocka_unit_test(test_truncation_tdx_v4),
		cmocka_unit_test(test_truncation_every_corpus_quote),
		cmocka_unit_test(test_truncation_messages_name_field),
		cmocka_unit_test(test_bad_versions),
		cmocka_unit_test(test_bad_key_types),
		cmocka_unit_test(test_bad_tee_types),
		cmocka_unit_test(test_v3_with_tdx_tee_type),
		cmocka_unit_test(test_v5_bad_body_types),
		cmocka_unit_test(test_v5_bad_body_sizes),
		cmocka_unit_test(test_v5_body_type_mismatch),
		cmocka_unit_test(test_v5_td10_body),
		cmocka_unit_test(test_v4_sgx_body),
		cmocka_unit_test(test_v5_sgx_body),
		cmocka_unit_test(test_v4_oversized_lengths),
		cmocka_unit_test(test_v4_undersized_lengths),
		cmocka_unit_test(test_v4_signature_size_into_padding),
		cmocka_unit_test(test_v3_declared_lengths),
		cmocka_unit_test(test_v4_short_qe_report_data),
		cmocka_unit_test(test_v4_outer_type_not_6),
		cmocka_unit_test(test_v4_inner_type_not_5),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_trailing_nonzero),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_pck_info_tdx_platform),
		cmocka_unit_test(test_pck_info_sgx_processor),
		cmocka_unit_test(test_pck_info_outdated_platform),
		cmocka_unit_test(test_pck_info_truncation),
		cmocka_unit_test(test_pck_info_rebuilt_matches),
		cmocka_unit_test(test_pck_info_missing_entries),
		cmocka_unit_test(test_pck_info_duplicate_entries),
		cmocka_unit_test(test_pck_info_tcb_components),
		cmocka_unit_test(test_pck_info_wrong_lengths),
		cmocka_unit_test(test_pck_info_integer_values),
		cmocka_unit_test(test_pck_info_unknown_entries_skipped),
		cmocka_unit_test(test_pck_info_entry_extra_element),
		cmocka_unit_test(test_pck_info_outer_structure),
		cmocka_unit_test(test_pck_info_cut_inside_entries),
		cmocka_unit_test(test_pck_info_configuration),
		cmocka_unit_test(test_pck_info_configuration_flags),
	};

	return cmocka_run_group_tests_name("quote", tests, NULL, NULL);
}
