/*
 * Tests of DCAP verification. Every rule of ratls_dcap_verify runs on the
 * real TDX v4 and SGX v3 samples with exactly one input changed, and so do the
 * edges of the validity window and the prepared context. Intel's collateral
 * cannot be re-signed, so the TCB evaluation rules of tcb_eval.c run through
 * the internal API on hand-built TCB infos, QE identities and quotes. Tests
 * that read the corpus skip when $RATLS_CORPUS_DIR is not set or not present.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dcap/dcap_internal.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/log.h"
#include "ratls/quote.h"

/* ---- real samples ---- */

struct sample {
	const char *name;
	const char *quote;
	const char *bundle;
	int64_t at;              /* a verification time inside the window */
	int64_t valid_from;      /* the latest start of anything used */
	int64_t valid_until;     /* the earliest expiry of anything used */
	const char *from_source; /* what starts last */
	const char *from_text;
	const char *until_source; /* what expires first */
	const char *until_text;
};

/*
 * TDX v4 quote (TD 1.0 body, PCK Platform CA). Its window opens at the QE
 * identity's issueDate and closes at the PCK CRL's nextUpdate.
 */
static const struct sample tdx_sample = {
	"TDX v4",
	"Phala-Network__dcap-qvl/sample/tdx_quote",
	"Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json",
	1752919234,
	1750329147,
	1752919235,
	"QE identity",
	"2025-06-19T10:32:27Z",
	"PCK CRL",
	"2025-07-19T10:00:35Z",
};

/*
 * SGX v3 quote (PCK Processor CA). Its window opens at the TCB info's
 * issueDate and closes at the QE identity's nextUpdate.
 */
static const struct sample sgx_sample = {
	"SGX v3",
	"Phala-Network__dcap-qvl/sample/sgx_quote",
	"Phala-Network__dcap-qvl/sample/sgx_quote_collateral.json",
	1752919277,
	1750330571,
	1752919278,
	"TCB info",
	"2025-06-19T10:56:11Z",
	"QE identity",
	"2025-07-19T10:01:18Z",
};

static const struct sample *const samples[] = {&tdx_sample, &sgx_sample};
#define SAMPLE_COUNT (sizeof(samples) / sizeof(samples[0]))

#define INTEL_ROOT_DER "Phala-Network__dcap-qvl/src/TrustedRootCA.der"

/* ---- helpers ---- */

struct buffer {
	uint8_t *data;
	size_t size;
};

/* Skips the calling test when the corpus folder is not configured or absent. */
static const char *corpus_dir(void)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	char probe[4096];
	FILE *f;

	if (dir == NULL || dir[0] == '\0') {
		print_message("RATLS_CORPUS_DIR is not set; skipping a corpus test\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%s/cases.tsv", dir);
	f = fopen(probe, "rb");
	if (f == NULL) {
		print_message("corpus folder %s has no cases.tsv; skipping a corpus test\n", dir);
		skip();
	}
	fclose(f);
	return dir;
}

/* Reads a corpus file into an exactly sized buffer, so ASan catches any over-read. */
static struct buffer read_corpus(const char *name)
{
	struct buffer b = {NULL, 0};
	char path[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("corpus file %s is missing", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	b.data = malloc((size_t)size);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	b.size = (size_t)size;
	return b;
}

static uint8_t *copy_bytes(const void *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);

	assert_non_null(copy);
	memcpy(copy, data, size);
	return copy;
}

static char *copy_text(const char *text)
{
	return (char *)copy_bytes(text, strlen(text) + 1);
}

/* Returns the first occurrence of needle in data, or NULL. */
static const uint8_t *find_bytes(const uint8_t *data, size_t size, const char *needle)
{
	size_t len = strlen(needle);

	for (size_t i = 0; len <= size && i <= size - len; i++) {
		if (memcmp(data + i, needle, len) == 0)
			return data + i;
	}
	return NULL;
}

static void put_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void expect_failure(int rc, const struct ratls_detail *detail, int code,
			   const char *message_part)
{
	if (rc != code || detail->code != code ||
	    (message_part != NULL && strstr(detail->message, message_part) == NULL))
		print_message("got %s (detail %s: \"%s\"); expected %s with \"%s\"\n",
			      ratls_error_name(rc), ratls_error_name(detail->code), detail->message,
			      ratls_error_name(code), message_part != NULL ? message_part : "");
	assert_int_equal(rc, code);
	assert_int_equal(detail->code, code);
	assert_true(detail->message[0] != '\0');
	if (message_part != NULL)
		assert_non_null(strstr(detail->message, message_part));
}

static void expect_ok(int rc, const struct ratls_detail *detail)
{
	if (rc != RATLS_OK)
		print_message("unexpected %s: %s\n", ratls_error_name(rc), detail->message);
	assert_int_equal(rc, RATLS_OK);
}

/* Records warnings so tests can check that weakening options announce themselves. */
struct log_capture {
	int warnings;
	char last[RATLS_DETAIL_SIZE];
};

static struct log_capture captured;

static void capture_log(enum ratls_log_level level, const char *message, void *arg)
{
	struct log_capture *capture = arg;

	if (level != RATLS_LOG_WARNING)
		return;
	capture->warnings++;
	snprintf(capture->last, sizeof(capture->last), "%s", message);
}

/* A sample's quote and collateral as loaded, and the quote parsed for offsets. */
struct loaded {
	const struct sample *sample;
	struct buffer quote;
	struct ratls_collateral *coll;
	struct ratls_quote parsed; /* views into quote.data */
};

static struct ratls_collateral *load_bundle(const char *name)
{
	struct buffer bundle = read_corpus(name);
	struct ratls_collateral *coll = ratls_collateral_new();
	struct ratls_detail detail = {0};

	assert_non_null(coll);
	expect_ok(ratls_collateral_load_bundle(coll, bundle.data, bundle.size, &detail), &detail);
	free(bundle.data);
	return coll;
}

static void load_sample(const struct sample *s, struct loaded *l)
{
	struct ratls_detail detail = {0};

	memset(l, 0, sizeof(*l));
	l->sample = s;
	l->quote = read_corpus(s->quote);
	l->coll = load_bundle(s->bundle);
	expect_ok(ratls_quote_parse(l->quote.data, l->quote.size, &l->parsed, &detail), &detail);
}

static void unload_sample(struct loaded *l)
{
	free(l->quote.data);
	ratls_collateral_free(l->coll);
	memset(l, 0, sizeof(*l));
}

static size_t offset_in_quote(const struct loaded *l, const uint8_t *view)
{
	return (size_t)(view - l->quote.data);
}

static int verify_quote(const uint8_t *quote, size_t size, const struct ratls_collateral *coll,
			int64_t now, const struct ratls_dcap_options *options,
			struct ratls_verified_report *report, struct ratls_detail *detail)
{
	memset(detail, 0, sizeof(*detail));
	return ratls_dcap_verify(quote, size, coll, now, options, report, detail);
}

/* Runs ratls_dcap_verify and checks its code (and message) against the expectation. */
static void expect_verify(const uint8_t *quote, size_t size, const struct ratls_collateral *coll,
			  int64_t now, const struct ratls_dcap_options *options, int code,
			  const char *message_part)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;
	int rc = verify_quote(quote, size, coll, now, options, &report, &detail);

	if (code == RATLS_OK)
		expect_ok(rc, &detail);
	else
		expect_failure(rc, &detail, code, message_part);
}

/* Verifies the sample's quote against collateral that a test has changed. */
static void expect_collateral(const struct loaded *l, const struct ratls_collateral *coll, int code,
			      const char *message_part)
{
	expect_verify(l->quote.data, l->quote.size, coll, l->sample->at, NULL, code, message_part);
}

/* Verifies a copy of the sample's quote with one bit of byte offset flipped. */
static void expect_quote_flip(const struct loaded *l, size_t offset, int bit, int code,
			      const char *message_part)
{
	uint8_t *quote = copy_bytes(l->quote.data, l->quote.size);

	assert_true(offset < l->quote.size);
	quote[offset] ^= (uint8_t)(1u << bit);
	expect_verify(quote, l->quote.size, l->coll, l->sample->at, NULL, code, message_part);
	free(quote);
}

/* ---- PEM editing: certificate chains inside quotes and collateral ---- */

static const char pem_begin_line[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end_line[] = "-----END CERTIFICATE-----";
static const char base64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Finds the base64 body [*start, *end) of PEM certificate index (0 is the first). */
static void pem_body(const uint8_t *text, size_t size, size_t index, size_t *start, size_t *end)
{
	size_t pos = 0;

	for (size_t n = 0;; n++) {
		const uint8_t *begin = find_bytes(text + pos, size - pos, pem_begin_line);
		const uint8_t *finish;

		if (begin == NULL)
			fail_msg("PEM text has no certificate %zu", index);
		*start = (size_t)(begin - text) + strlen(pem_begin_line);
		finish = find_bytes(text + *start, size - *start, pem_end_line);
		assert_non_null(finish);
		*end = (size_t)(finish - text);
		if (n == index)
			return;
		pos = *end + strlen(pem_end_line);
	}
}

/* Decodes PEM certificate index into a new DER buffer. */
static struct buffer pem_der(const uint8_t *text, size_t size, size_t index)
{
	struct ratls_pem_cert certs[RATLS_CHAIN_MAX_CERTS];
	struct ratls_detail detail = {0};
	struct buffer out;
	size_t count = 0;

	expect_ok(ratls_pem_certs_split((const char *)text, size, certs, &count, "test chain",
					&detail),
		  &detail);
	assert_true(index < count);
	out.size = certs[index].der_size;
	out.data = copy_bytes(certs[index].der, out.size);
	ratls_pem_certs_free(certs, count);
	return out;
}

/*
 * Flips bit (0 is the most significant) of DER byte der_index of PEM
 * certificate index by rewriting the one base64 digit that carries it, and
 * checks that exactly that bit of the decoded DER changed.
 */
static void pem_flip_der_bit(uint8_t *text, size_t size, size_t index, size_t der_index, int bit)
{
	struct buffer before = pem_der(text, size, index);
	struct buffer after;
	size_t stream_bit = der_index * 8 + (size_t)bit;
	size_t digit = stream_bit / 6;
	int digit_bit = 5 - (int)(stream_bit % 6);
	size_t start, end;
	bool done = false;

	assert_true(der_index < before.size);
	pem_body(text, size, index, &start, &end);
	for (size_t i = start; i < end && !done; i++) {
		const char *at = text[i] != 0 ? strchr(base64_digits, text[i]) : NULL;
		int value;

		if (at == NULL)
			continue; /* line breaks and padding */
		if (digit-- > 0)
			continue;
		value = (int)(at - base64_digits) ^ (1 << digit_bit);
		text[i] = (uint8_t)base64_digits[value];
		done = true;
	}
	assert_true(done);

	after = pem_der(text, size, index);
	assert_int_equal(after.size, before.size);
	before.data[der_index] ^= (uint8_t)(0x80u >> bit);
	assert_memory_equal(after.data, before.data, before.size);
	free(before.data);
	free(after.data);
}

/* Returns a new string holding PEM certificate index of pem, BEGIN to END line. */
static char *pem_block_text(const char *pem, size_t index)
{
	size_t start, end, head, len;
	char *out;

	pem_body((const uint8_t *)pem, strlen(pem), index, &start, &end);
	head = start - strlen(pem_begin_line);
	len = end + strlen(pem_end_line) - head;
	out = malloc(len + 2);
	assert_non_null(out);
	memcpy(out, pem + head, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	return out;
}

static char *concat_text(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 1);

	assert_non_null(out);
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return out;
}

/* ---- foreign certificates generated by the test ---- */

static void add_extension(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Generates a self-signed P-256 CA certificate valid from 2017 to 2049, with
 * the given subject, or CN=ratls test root when subject is NULL.
 */
static X509 *make_foreign_root(const X509_NAME *subject)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = NULL;

	assert_non_null(key);
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x5eed), 1);
	if (subject != NULL) {
		name = X509_NAME_dup(subject);
	} else {
		const unsigned char *cn = (const unsigned char *)"ratls test root";
		int added;

		name = X509_NAME_new();
		assert_non_null(name);
		added = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0);
		assert_int_equal(added, 1);
	}
	assert_non_null(name);
	assert_int_equal(X509_set_subject_name(cert, name), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	X509_NAME_free(name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(cert), 1500000000));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(cert), 2500000000));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	add_extension(cert, NID_basic_constraints, "critical,CA:TRUE");
	add_extension(cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_extension(cert, NID_subject_key_identifier, "hash");
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	return cert;
}

static struct buffer cert_der(X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	struct buffer out;

	assert_true(len > 0);
	out.data = copy_bytes(der, (size_t)len);
	out.size = (size_t)len;
	OPENSSL_free(der);
	return out;
}

static char *cert_pem(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	char *out;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, cert), 1);
	len = BIO_get_mem_data(bio, &data);
	assert_true(len > 0);
	out = malloc((size_t)len + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	BIO_free(bio);
	return out;
}

static X509 *intel_root(void)
{
	struct buffer der = read_corpus(INTEL_ROOT_DER);
	const unsigned char *p = der.data;
	X509 *cert = d2i_X509(NULL, &p, (long)der.size);

	assert_non_null(cert);
	free(der.data);
	return cert;
}

/* ---- the samples verify ---- */

static void verify_tdx_sample_up_to_date(void **state)
{
	struct loaded l;
	struct ratls_verified_report report;
	struct ratls_detail detail;
	static const uint8_t fmspc[6] = {0xb0, 0xc0, 0x6f, 0x00, 0x00, 0x00};

	(void)state;
	load_sample(&tdx_sample, &l);
	expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, tdx_sample.at, NULL, &report,
			       &detail),
		  &detail);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
	assert_true(report.has_module_status);
	assert_int_equal(report.module_status, RATLS_TCB_UP_TO_DATE);
	assert_string_equal(report.module_identity_id, "TDX_01");
	assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.advisory_count, 0);
	assert_int_equal(report.quote_version, 4);
	assert_int_equal(report.tee_type, RATLS_TEE_TYPE_TDX);
	assert_int_equal(report.body_type, RATLS_BODY_TD_REPORT10);
	assert_false(report.td.has_td15);
	assert_memory_equal(report.td.mr_td, l.parsed.td.mr_td, 48);
	assert_memory_equal(report.td.report_data, l.parsed.td.report_data, 64);
	assert_memory_equal(report.pck.fmspc, fmspc, 6);
	assert_true(report.pck_from_platform_ca);
	assert_int_equal(report.qe_isv_svn, l.parsed.qe_report.isv_svn);
	assert_int_equal(report.trailing_size, 70);
	assert_false(report.custom_root);
	unload_sample(&l);
}

static void verify_sgx_sample_configuration_needed(void **state)
{
	struct loaded l;
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	load_sample(&sgx_sample, &l);
	expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, sgx_sample.at, NULL, &report,
			       &detail),
		  &detail);
	assert_int_equal(report.status, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_int_equal(report.platform_status, RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_false(report.has_module_status);
	assert_string_equal(report.module_identity_id, "");
	assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.advisory_count, 2);
	assert_string_equal(report.advisory_ids[0], "INTEL-SA-00289");
	assert_string_equal(report.advisory_ids[1], "INTEL-SA-00615");
	assert_int_equal(report.quote_version, 3);
	assert_int_equal(report.body_type, RATLS_BODY_SGX_ENCLAVE);
	assert_memory_equal(report.sgx.report_data, "Hello, world!", 13);
	assert_false(report.pck_from_platform_ca);
	assert_int_equal(report.trailing_size, 0);
	unload_sample(&l);
}

/* ---- quote bytes ---- */

static void quote_flip_signed_body(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		const uint8_t *report_data;
		const uint8_t *measurement;

		load_sample(samples[i], &l);
		report_data = ratls_quote_is_td(&l.parsed) ? l.parsed.td.report_data
							   : l.parsed.sgx.report_data;
		measurement = ratls_quote_is_td(&l.parsed) ? l.parsed.td.mr_td
							   : l.parsed.sgx.mr_enclave;
		expect_quote_flip(&l, offset_in_quote(&l, report_data), 0,
				  RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		expect_quote_flip(&l, offset_in_quote(&l, measurement) + 15, 7,
				  RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		/* The header's user data (QE ID) and reserved SVN fields are signed too. */
		expect_quote_flip(&l, offset_in_quote(&l, l.parsed.user_data), 3,
				  RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		expect_quote_flip(&l, 8, 0, RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		/* The TCB SVNs are signed: raising one is caught before any TCB matching. */
		if (ratls_quote_is_td(&l.parsed))
			expect_quote_flip(&l, offset_in_quote(&l, l.parsed.td.tee_tcb_svn), 6,
					  RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		else
			expect_quote_flip(&l, offset_in_quote(&l, l.parsed.sgx.cpu_svn), 6,
					  RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		unload_sample(&l);
	}
}

static void quote_flip_signature(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t sig;

		load_sample(samples[i], &l);
		sig = offset_in_quote(&l, l.parsed.signature);
		expect_quote_flip(&l, sig, 0, RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		expect_quote_flip(&l, sig + 31, 0, RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		expect_quote_flip(&l, sig + 32, 7, RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		expect_quote_flip(&l, sig + 63, 3, RATLS_ERR_QUOTE_SIGNATURE, "quote signature");
		unload_sample(&l);
	}
}

/* The QE report data commits to the attestation key, so a changed key breaks that binding. */
static void quote_flip_attestation_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t key;

		load_sample(samples[i], &l);
		key = offset_in_quote(&l, l.parsed.attestation_key);
		expect_quote_flip(&l, key, 0, RATLS_ERR_QE_REPORT_BINDING, "attestation key");
		expect_quote_flip(&l, key + 63, 5, RATLS_ERR_QE_REPORT_BINDING, "attestation key");
		unload_sample(&l);
	}
}

static void quote_flip_qe_report(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t qe;

		load_sample(samples[i], &l);
		qe = offset_in_quote(&l, l.parsed.qe_report.raw);
		/* CPUSVN, ISVSVN (offset 258), MRSIGNER (128) and REPORTDATA (320). */
		expect_quote_flip(&l, qe, 0, RATLS_ERR_QE_REPORT_SIGNATURE, "QE report signature");
		expect_quote_flip(&l, qe + 258, 1, RATLS_ERR_QE_REPORT_SIGNATURE,
				  "QE report signature");
		expect_quote_flip(&l, qe + 128, 4, RATLS_ERR_QE_REPORT_SIGNATURE,
				  "QE report signature");
		expect_quote_flip(&l, qe + 320, 2, RATLS_ERR_QE_REPORT_SIGNATURE,
				  "QE report signature");
		/* ATTRIBUTES.DEBUG of the QE: the signature fails before the identity check. */
		expect_quote_flip(&l, qe + 48, 1, RATLS_ERR_QE_REPORT_SIGNATURE,
				  "QE report signature");
		unload_sample(&l);
	}
}

static void quote_flip_qe_report_signature(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t sig;

		load_sample(samples[i], &l);
		sig = offset_in_quote(&l, l.parsed.qe_report_signature);
		expect_quote_flip(&l, sig, 1, RATLS_ERR_QE_REPORT_SIGNATURE, "QE report signature");
		expect_quote_flip(&l, sig + 40, 0, RATLS_ERR_QE_REPORT_SIGNATURE,
				  "QE report signature");
		unload_sample(&l);
	}
}

static void quote_flip_qe_auth_data(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t auth;

		load_sample(samples[i], &l);
		assert_true(l.parsed.qe_auth_data_size > 0);
		auth = offset_in_quote(&l, l.parsed.qe_auth_data);
		expect_quote_flip(&l, auth, 0, RATLS_ERR_QE_REPORT_BINDING, "authentication data");
		expect_quote_flip(&l, auth + l.parsed.qe_auth_data_size - 1, 7,
				  RATLS_ERR_QE_REPORT_BINDING, "authentication data");
		unload_sample(&l);
	}
}

static void quote_qe_vendor_id(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t vendor;

		load_sample(samples[i], &l);
		vendor = offset_in_quote(&l, l.parsed.qe_vendor_id);
		assert_int_equal(vendor, 12);
		expect_quote_flip(&l, vendor, 0, RATLS_ERR_UNKNOWN_QE_VENDOR, "939a7233");
		expect_quote_flip(&l, vendor + 15, 7, RATLS_ERR_UNKNOWN_QE_VENDOR, "not Intel's");
		unload_sample(&l);
	}
}

/* Verifies a copy of the sample's quote with one header field overwritten. */
static void expect_header_field(const struct loaded *l, size_t offset, uint32_t value,
				size_t width, int code, const char *message_part)
{
	uint8_t *quote = copy_bytes(l->quote.data, l->quote.size);

	if (width == 2)
		put_u16le(quote + offset, (uint16_t)value);
	else
		put_u32le(quote + offset, value);
	expect_verify(quote, l->quote.size, l->coll, l->sample->at, NULL, code, message_part);
	free(quote);
}

static void quote_header_version(void **state)
{
	struct loaded l;

	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		load_sample(samples[i], &l);
		expect_header_field(&l, 0, 0, 2, RATLS_ERR_UNSUPPORTED_VERSION, "version 0");
		expect_header_field(&l, 0, 2, 2, RATLS_ERR_UNSUPPORTED_VERSION, "version 2");
		expect_header_field(&l, 0, 6, 2, RATLS_ERR_UNSUPPORTED_VERSION, "version 6");
		expect_header_field(&l, 0, 0x0104, 2, RATLS_ERR_UNSUPPORTED_VERSION, "version 260");
		unload_sample(&l);
	}

	/* Version 3 is SGX only. */
	load_sample(&tdx_sample, &l);
	expect_header_field(&l, 0, 3, 2, RATLS_ERR_UNSUPPORTED_TEE_TYPE, "version 3");
	/*
	 * As version 5 the TD body's first bytes (TEE_TCB_SVN 06 01) read as a
	 * body type of 0x0106, which no quote format defines.
	 */
	expect_header_field(&l, 0, 5, 2, RATLS_ERR_UNSUPPORTED_VERSION, "body type 262");
	unload_sample(&l);

	/* As version 4 the SGX quote's signature data lacks the outer certification data. */
	load_sample(&sgx_sample, &l);
	{
		uint8_t *quote = copy_bytes(l.quote.data, l.quote.size);
		struct ratls_verified_report report;
		struct ratls_detail detail;
		int rc;

		put_u16le(quote, 4);
		rc = verify_quote(quote, l.quote.size, l.coll, l.sample->at, NULL, &report,
				  &detail);
		assert_int_not_equal(rc, RATLS_OK);
		assert_int_equal(ratls_error_class(rc), RATLS_CLASS_MALFORMED);
		assert_int_equal(detail.code, rc);
		assert_true(detail.message[0] != '\0');
		free(quote);
	}
	unload_sample(&l);
}

static void quote_header_key_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;

		load_sample(samples[i], &l);
		/* Type 3 (ECDSA-384 with P-384) is in Intel's format, but ratls reads only 2. */
		expect_header_field(&l, 2, 3, 2, RATLS_ERR_UNSUPPORTED_KEY_TYPE, "key type 3");
		expect_header_field(&l, 2, 0, 2, RATLS_ERR_UNSUPPORTED_KEY_TYPE, "key type 0");
		expect_header_field(&l, 2, 0x0102, 2, RATLS_ERR_UNSUPPORTED_KEY_TYPE,
				    "key type 258");
		unload_sample(&l);
	}
}

static void quote_header_tee_type(void **state)
{
	struct loaded l;

	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		load_sample(samples[i], &l);
		expect_header_field(&l, 4, 0x80, 4, RATLS_ERR_UNSUPPORTED_TEE_TYPE, "0x00000080");
		expect_header_field(&l, 4, 0x01000081, 4, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				    "0x01000081");
		unload_sample(&l);
	}

	/* Version 3 carries SGX only. */
	load_sample(&sgx_sample, &l);
	expect_header_field(&l, 4, RATLS_TEE_TYPE_TDX, 4, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
			    "version 3 is SGX only");
	unload_sample(&l);

	/*
	 * Read as SGX, the TDX quote's 584-byte body is cut at 384 bytes and the
	 * signature data size comes from inside RTMR1, which overruns the quote.
	 */
	load_sample(&tdx_sample, &l);
	expect_header_field(&l, 4, RATLS_TEE_TYPE_SGX, 4, RATLS_ERR_TRUNCATED, "signature data");
	unload_sample(&l);
}

/* What a one-bit flip of a quote byte must produce. */
#define ANY_FAILURE (-1)

struct byte_region {
	size_t start, end;
	int code;
};

/*
 * Flips one bit of every byte outside the PEM chain (bit index = offset mod
 * 8) and verifies with a prepared context: no flip may verify except in the
 * unsigned zero padding after the signature data, and each signed field
 * fails with its own code.
 */
static void quote_every_byte_flip(void **state)
{
	(void)state;
	for (size_t s = 0; s < SAMPLE_COUNT; s++) {
		struct loaded l;
		struct ratls_dcap_context *ctx = NULL;
		struct ratls_detail detail = {0};
		struct byte_region regions[16];
		size_t n = 0;
		size_t signed_end, sig, key, qe, qe_sig, auth, auth_end, pck, tail;
		uint8_t *quote;

		load_sample(samples[s], &l);
		expect_ok(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail);

		signed_end = l.parsed.signed_size;
		sig = offset_in_quote(&l, l.parsed.signature);
		key = offset_in_quote(&l, l.parsed.attestation_key);
		qe = offset_in_quote(&l, l.parsed.qe_report.raw);
		qe_sig = offset_in_quote(&l, l.parsed.qe_report_signature);
		auth = offset_in_quote(&l, l.parsed.qe_auth_data);
		auth_end = auth + l.parsed.qe_auth_data_size;
		pck = offset_in_quote(&l, l.parsed.pck_cert_data);
		tail = l.quote.size - l.parsed.trailing_size;

		regions[n++] = (struct byte_region){0, 2, ANY_FAILURE}; /* version */
		regions[n++] = (struct byte_region){2, 4, RATLS_ERR_UNSUPPORTED_KEY_TYPE};
		regions[n++] = (struct byte_region){4, 8, RATLS_ERR_UNSUPPORTED_TEE_TYPE};
		regions[n++] = (struct byte_region){8, 12, RATLS_ERR_QUOTE_SIGNATURE};
		regions[n++] = (struct byte_region){12, 28, RATLS_ERR_UNKNOWN_QE_VENDOR};
		regions[n++] = (struct byte_region){28, signed_end, RATLS_ERR_QUOTE_SIGNATURE};
		regions[n++] = (struct byte_region){signed_end, sig, ANY_FAILURE}; /* size */
		regions[n++] = (struct byte_region){sig, key, RATLS_ERR_QUOTE_SIGNATURE};
		regions[n++] = (struct byte_region){key, key + 64, RATLS_ERR_QE_REPORT_BINDING};
		regions[n++] = (struct byte_region){key + 64, qe, ANY_FAILURE}; /* v4 outer type */
		regions[n++] = (struct byte_region){qe, qe_sig + 64, RATLS_ERR_QE_REPORT_SIGNATURE};
		regions[n++] = (struct byte_region){qe_sig + 64, auth, ANY_FAILURE}; /* size */
		regions[n++] = (struct byte_region){auth, auth_end, RATLS_ERR_QE_REPORT_BINDING};
		regions[n++] = (struct byte_region){auth_end, pck, ANY_FAILURE}; /* PCK type */
		/* Trailing bytes are zero padding; anything else there is rejected. */
		regions[n++] = (struct byte_region){tail, l.quote.size, RATLS_ERR_TRAILING_DATA};

		quote = copy_bytes(l.quote.data, l.quote.size);
		for (size_t r = 0; r < n; r++) {
			for (size_t off = regions[r].start; off < regions[r].end; off++) {
				struct ratls_verified_report report;
				uint8_t mask = (uint8_t)(1u << (off % 8));
				int rc;

				quote[off] ^= mask;
				memset(&detail, 0, sizeof(detail));
				rc = ratls_dcap_context_verify(ctx, quote, l.quote.size,
							       l.sample->at, &report, &detail);
				quote[off] ^= mask;
				if (regions[r].code == RATLS_OK) {
					expect_ok(rc, &detail);
					assert_int_equal(report.trailing_size,
							 l.parsed.trailing_size);
					continue;
				}
				if (rc == RATLS_OK ||
				    (regions[r].code != ANY_FAILURE && rc != regions[r].code))
					print_message("%s: flipping byte %zu gave %s (%s)\n",
						      l.sample->name, off, ratls_error_name(rc),
						      detail.message);
				assert_int_not_equal(rc, RATLS_OK);
				if (regions[r].code != ANY_FAILURE)
					assert_int_equal(rc, regions[r].code);
				assert_int_equal(detail.code, rc);
				assert_true(detail.message[0] != '\0');
			}
		}
		free(quote);
		ratls_dcap_context_free(ctx);
		unload_sample(&l);
	}
}

/*
 * Every truncation fails, except one that only drops the unsigned zero
 * padding after the signature data.
 */
static void quote_truncated_everywhere(void **state)
{
	(void)state;
	for (size_t s = 0; s < SAMPLE_COUNT; s++) {
		struct loaded l;
		struct ratls_dcap_context *ctx = NULL;
		struct ratls_detail detail = {0};
		size_t tail;

		load_sample(samples[s], &l);
		expect_ok(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail);
		tail = l.quote.size - l.parsed.trailing_size;
		for (size_t size = 0; size < l.quote.size; size++) {
			uint8_t *quote = copy_bytes(l.quote.data, size);
			struct ratls_verified_report report;
			int rc;

			memset(&detail, 0, sizeof(detail));
			rc = ratls_dcap_context_verify(ctx, quote, size, l.sample->at, &report,
						       &detail);
			free(quote);
			if (size >= tail) {
				expect_ok(rc, &detail);
				assert_int_equal(report.trailing_size, size - tail);
				continue;
			}
			if (rc != RATLS_ERR_TRUNCATED)
				print_message("%s: %zu bytes gave %s (%s)\n", l.sample->name, size,
					      ratls_error_name(rc), detail.message);
			assert_int_equal(rc, RATLS_ERR_TRUNCATED);
			assert_true(detail.message[0] != '\0');
		}
		ratls_dcap_context_free(ctx);
		unload_sample(&l);
	}
}

/* Flips one DER bit of a certificate of the quote's PCK chain and verifies. */
static void expect_pem_flip(const struct loaded *l, size_t cert, size_t der_index, int bit,
			    int code, const char *message_part)
{
	uint8_t *quote = copy_bytes(l->quote.data, l->quote.size);
	size_t pem = offset_in_quote(l, l->parsed.pck_cert_data);

	pem_flip_der_bit(quote + pem, l->parsed.pck_cert_data_size, cert, der_index, bit);
	expect_verify(quote, l->quote.size, l->coll, l->sample->at, NULL, code, message_part);
	free(quote);
}

static struct buffer quote_chain_der(const struct loaded *l, size_t cert)
{
	return pem_der(l->parsed.pck_cert_data, l->parsed.pck_cert_data_size, cert);
}

static void quote_pem_leaf_signature(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct buffer leaf;

		load_sample(samples[i], &l);
		leaf = quote_chain_der(&l, 0);
		/* The last bytes of the DER are the end of the signature's s value. */
		expect_pem_flip(&l, 0, leaf.size - 2, 7, RATLS_ERR_CHAIN_INVALID,
				"not signed by the PCK CA");
		free(leaf.data);
		unload_sample(&l);
	}
}

static void quote_pem_leaf_serial(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct buffer leaf;

		load_sample(samples[i], &l);
		leaf = quote_chain_der(&l, 0);
		/* SEQUENCE, SEQUENCE (tbs), [0] version (5 bytes), then the serial INTEGER. */
		assert_int_equal(leaf.data[0], 0x30);
		assert_int_equal(leaf.data[4], 0x30);
		assert_int_equal(leaf.data[8], 0xa0);
		assert_int_equal(leaf.data[13], 0x02);
		assert_true(leaf.data[14] >= 8);
		expect_pem_flip(&l, 0, 19, 3, RATLS_ERR_CHAIN_INVALID, "not signed by the PCK CA");
		free(leaf.data);
		unload_sample(&l);
	}
}

/*
 * A changed PCK CA certificate no longer matches the CA verified with the
 * collateral, so the full path validation runs and rejects its signature.
 */
static void quote_pem_ca_signature(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct buffer ca;

		load_sample(samples[i], &l);
		ca = quote_chain_der(&l, 1);
		expect_pem_flip(&l, 1, ca.size - 2, 7, RATLS_ERR_CHAIN_INVALID,
				"certificate signature failure");
		free(ca.data);
		unload_sample(&l);
	}
}

/*
 * Trust comes from the pinned Intel root, so a changed signature on the
 * quote's own copy of the root changes nothing. The result is the same with
 * the PCK CRL issuer chain (the quote's PCK CA is matched by digest) and
 * without it (path validation finds the anchor first).
 */
static void quote_pem_root_copy_unused(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct buffer root;

		load_sample(samples[i], &l);
		root = quote_chain_der(&l, 2);
		expect_pem_flip(&l, 2, root.size - 2, 7, RATLS_OK, NULL);
		free(l.coll->pck_crl_chain);
		l.coll->pck_crl_chain = NULL;
		expect_pem_flip(&l, 2, root.size - 2, 7, RATLS_OK, NULL);
		free(root.data);
		unload_sample(&l);
	}
}

/* Flips one bit of every DER byte of the PCK leaf and the PCK CA in the quote. */
static void quote_pem_every_der_bit(void **state)
{
	(void)state;
	for (size_t s = 0; s < SAMPLE_COUNT; s++) {
		struct loaded l;
		struct ratls_dcap_context *ctx = NULL;
		struct ratls_detail detail = {0};
		size_t pem_offset;
		uint8_t *quote;

		load_sample(samples[s], &l);
		expect_ok(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail);
		pem_offset = offset_in_quote(&l, l.parsed.pck_cert_data);
		for (size_t cert = 0; cert < 2; cert++) {
			struct buffer der = quote_chain_der(&l, cert);

			for (size_t b = 0; b < der.size; b++) {
				struct ratls_verified_report report;
				int rc;

				quote = copy_bytes(l.quote.data, l.quote.size);
				pem_flip_der_bit(quote + pem_offset, l.parsed.pck_cert_data_size,
						 cert, b, (int)(b % 8));
				memset(&detail, 0, sizeof(detail));
				rc = ratls_dcap_context_verify(ctx, quote, l.quote.size,
							       l.sample->at, &report, &detail);
				free(quote);
				if (rc == RATLS_OK)
					print_message("%s: certificate %zu DER byte %zu bit %zu "
						      "verified\n",
						      l.sample->name, cert, b, b % 8);
				assert_int_not_equal(rc, RATLS_OK);
				assert_int_equal(detail.code, rc);
				assert_true(detail.message[0] != '\0');
			}
			free(der.data);
		}
		ratls_dcap_context_free(ctx);
		unload_sample(&l);
	}
}

/* Verifies the sample with the quote's PEM text edited at the first match of from. */
static void expect_pem_text_edit(const struct loaded *l, size_t occurrence, const char *from,
				 const char *to, int code, const char *message_part)
{
	uint8_t *quote = copy_bytes(l->quote.data, l->quote.size);
	size_t pem = offset_in_quote(l, l->parsed.pck_cert_data);
	size_t size = l->parsed.pck_cert_data_size;
	size_t pos = 0;
	const uint8_t *at = NULL;

	assert_int_equal(strlen(from), strlen(to));
	for (size_t n = 0; n <= occurrence; n++) {
		at = find_bytes(quote + pem + pos, size - pos, from);
		assert_non_null(at);
		pos = (size_t)(at - (quote + pem)) + 1;
	}
	memcpy(quote + (at - quote), to, strlen(to));
	expect_verify(quote, l->quote.size, l->coll, l->sample->at, NULL, code, message_part);
	free(quote);
}

static void quote_pem_text_damaged(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		size_t start, end;
		uint8_t *quote;
		size_t pem;

		load_sample(samples[i], &l);

		/* A character outside the base64 alphabet inside the leaf. */
		quote = copy_bytes(l.quote.data, l.quote.size);
		pem = offset_in_quote(&l, l.parsed.pck_cert_data);
		pem_body(quote + pem, l.parsed.pck_cert_data_size, 0, &start, &end);
		quote[pem + start + 10] = '*';
		expect_verify(quote, l.quote.size, l.coll, l.sample->at, NULL, RATLS_ERR_MALFORMED,
			      "not valid base64");
		free(quote);

		/* The last certificate never ends. */
		expect_pem_text_edit(&l, 2, "-----END", "-----XND", RATLS_ERR_MALFORMED,
				     "has no END line");

		/* No certificate starts. */
		quote = copy_bytes(l.quote.data, l.quote.size);
		for (size_t n = 0; n < 3; n++) {
			pem_body(quote + pem, l.parsed.pck_cert_data_size, 0, &start, &end);
			quote[pem + start - strlen(pem_begin_line) + 5] = 'X';
		}
		expect_verify(quote, l.quote.size, l.coll, l.sample->at, NULL, RATLS_ERR_MALFORMED,
			      "contains no PEM certificate");
		free(quote);

		/*
		 * With the leaf's BEGIN line damaged, the PCK CA becomes the first
		 * certificate, and a chain that starts with a CA is out of order.
		 */
		expect_pem_text_edit(&l, 0, "-----BEGIN", "-----BEGXN", RATLS_ERR_CHAIN_INVALID,
				     "starts with a CA certificate");
		unload_sample(&l);
	}
}

/* A collateral PCK chain replaces the quote's: the leaf alone does not reach the root. */
static void pck_chain_override(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		char *pem;

		load_sample(samples[i], &l);
		pem = calloc(1, l.parsed.pck_cert_data_size + 1);
		assert_non_null(pem);
		memcpy(pem, l.parsed.pck_cert_data, l.parsed.pck_cert_data_size);

		l.coll->pck_chain = copy_text(pem);
		expect_collateral(&l, l.coll, RATLS_OK, NULL);
		free(l.coll->pck_chain);

		l.coll->pck_chain = pem_block_text(pem, 0);
		expect_collateral(&l, l.coll, RATLS_ERR_UNTRUSTED_ROOT, "PCK certificate chain");
		free(l.coll->pck_chain);

		l.coll->pck_chain = copy_text("no certificate here");
		expect_collateral(&l, l.coll, RATLS_ERR_MALFORMED, "contains no PEM certificate");
		free(l.coll->pck_chain);
		l.coll->pck_chain = NULL;

		free(pem);
		unload_sample(&l);
	}
}

/* ---- collateral ---- */

static void collateral_tcb_info_flips(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		uint8_t *date;

		load_sample(samples[i], &l);

		/* One digit of nextUpdate: the signature covers the exact bytes. */
		date = (uint8_t *)find_bytes(l.coll->tcb_info.body, l.coll->tcb_info.body_size,
					     "\"nextUpdate\":\"2025-07-");
		assert_non_null(date);
		date[22] ^= 0x01;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
		date[22] ^= 0x01;

		/* One byte fewer: the signature is checked before the JSON is parsed. */
		l.coll->tcb_info.body_size--;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
		l.coll->tcb_info.body_size++;

		l.coll->tcb_info.signature[0] ^= 0x80;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
		l.coll->tcb_info.signature[0] ^= 0x80;
		l.coll->tcb_info.signature[63] ^= 0x01;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
		l.coll->tcb_info.signature[63] ^= 0x01;

		expect_collateral(&l, l.coll, RATLS_OK, NULL);
		unload_sample(&l);
	}
}

static void collateral_qe_identity_flips(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		uint8_t *level;

		load_sample(samples[i], &l);

		/* Claim a higher ISVSVN level: without a valid signature it is rejected. */
		level = (uint8_t *)find_bytes(l.coll->qe_identity.body,
					      l.coll->qe_identity.body_size, "\"isvsvn\":");
		assert_non_null(level);
		level[9] ^= 0x01;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity");
		level[9] ^= 0x01;

		l.coll->qe_identity.signature[5] ^= 0x10;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity");
		l.coll->qe_identity.signature[5] ^= 0x10;
		l.coll->qe_identity.signature[40] ^= 0x02;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity");
		l.coll->qe_identity.signature[40] ^= 0x02;

		expect_collateral(&l, l.coll, RATLS_OK, NULL);
		unload_sample(&l);
	}
}

static void swap_signed_json(struct ratls_signed_json *a, struct ratls_signed_json *b)
{
	struct ratls_signed_json t = *a;

	*a = *b;
	*b = t;
}

/* Genuine, correctly signed collateral of the other TEE does not fit the quote. */
static void collateral_of_other_tee(void **state)
{
	struct loaded tdx, sgx;

	(void)state;
	load_sample(&tdx_sample, &tdx);
	load_sample(&sgx_sample, &sgx);

	swap_signed_json(&tdx.coll->tcb_info, &sgx.coll->tcb_info);
	expect_collateral(&tdx, tdx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "TDX quote with SGX TCB info");
	expect_collateral(&sgx, sgx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "SGX quote with TDX TCB info");
	swap_signed_json(&tdx.coll->tcb_info, &sgx.coll->tcb_info);

	swap_signed_json(&tdx.coll->qe_identity, &sgx.coll->qe_identity);
	expect_collateral(&tdx, tdx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "TDX quote with QE identity \"QE\"");
	expect_collateral(&sgx, sgx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "SGX quote with QE identity \"TD_QE\"");
	swap_signed_json(&tdx.coll->qe_identity, &sgx.coll->qe_identity);

	/* A TDX context rejects the SGX quote, and the other way round. */
	expect_verify(sgx.quote.data, sgx.quote.size, tdx.coll, tdx_sample.at, NULL,
		      RATLS_ERR_COLLATERAL_MISMATCH, "SGX quote with TDX TCB info");
	expect_verify(tdx.quote.data, tdx.quote.size, sgx.coll, sgx_sample.at, NULL,
		      RATLS_ERR_COLLATERAL_MISMATCH, "TDX quote with SGX TCB info");

	expect_collateral(&tdx, tdx.coll, RATLS_OK, NULL);
	expect_collateral(&sgx, sgx.coll, RATLS_OK, NULL);
	unload_sample(&tdx);
	unload_sample(&sgx);
}

enum collateral_piece {
	PIECE_TCB_INFO,
	PIECE_TCB_INFO_CHAIN,
	PIECE_QE_IDENTITY,
	PIECE_QE_IDENTITY_CHAIN,
	PIECE_PCK_CRL,
	PIECE_ROOT_CRL,
};

/* Frees one piece of the collateral and marks it absent. */
static void drop_piece(struct ratls_collateral *c, enum collateral_piece piece)
{
	switch (piece) {
	case PIECE_TCB_INFO:
		free(c->tcb_info.body);
		c->tcb_info.body = NULL;
		c->tcb_info.body_size = 0;
		break;
	case PIECE_TCB_INFO_CHAIN:
		free(c->tcb_info_chain);
		c->tcb_info_chain = NULL;
		break;
	case PIECE_QE_IDENTITY:
		free(c->qe_identity.body);
		c->qe_identity.body = NULL;
		c->qe_identity.body_size = 0;
		break;
	case PIECE_QE_IDENTITY_CHAIN:
		free(c->qe_identity_chain);
		c->qe_identity_chain = NULL;
		break;
	case PIECE_PCK_CRL:
		free(c->pck_crl);
		c->pck_crl = NULL;
		c->pck_crl_size = 0;
		break;
	case PIECE_ROOT_CRL:
		free(c->root_crl);
		c->root_crl = NULL;
		c->root_crl_size = 0;
		break;
	}
}

static void collateral_missing_pieces(void **state)
{
	static const struct {
		enum collateral_piece piece;
		const char *message_part;
	} cases[] = {
		{PIECE_TCB_INFO, "TCB info is missing"},
		{PIECE_TCB_INFO_CHAIN, "TCB info issuer chain is missing"},
		{PIECE_QE_IDENTITY, "QE identity is missing"},
		{PIECE_QE_IDENTITY_CHAIN, "QE identity issuer chain is missing"},
		{PIECE_PCK_CRL, "PCK CRL is missing"},
		{PIECE_ROOT_CRL, "root CA CRL is missing"},
	};

	(void)state;
	for (size_t s = 0; s < SAMPLE_COUNT; s++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct loaded l;

			load_sample(samples[s], &l);
			drop_piece(l.coll, cases[i].piece);
			expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_MISSING,
					  cases[i].message_part);
			unload_sample(&l);
		}
	}
}

/*
 * Without the PCK CRL's issuer chain the CRL is checked against the quote's
 * own chain instead, and the result is the same.
 */
static void collateral_without_pck_crl_chain(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct ratls_verified_report with, without;
		struct ratls_detail detail;

		load_sample(samples[i], &l);
		expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, l.sample->at, NULL,
				       &with, &detail),
			  &detail);
		free(l.coll->pck_crl_chain);
		l.coll->pck_crl_chain = NULL;
		expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, l.sample->at, NULL,
				       &without, &detail),
			  &detail);
		assert_int_equal(without.status, with.status);
		assert_int_equal(without.valid_from, with.valid_from);
		assert_int_equal(without.valid_until, with.valid_until);
		assert_int_equal(without.pck_from_platform_ca, with.pck_from_platform_ca);
		unload_sample(&l);
	}
}

static void swap_crl(uint8_t **a, size_t *a_size, uint8_t **b, size_t *b_size)
{
	uint8_t *t = *a;
	size_t ts = *a_size;

	*a = *b;
	*a_size = *b_size;
	*b = t;
	*b_size = ts;
}

static void swap_text(char **a, char **b)
{
	char *t = *a;

	*a = *b;
	*b = t;
}

/* The TDX quote's PCK comes from the Platform CA, the SGX quote's from the Processor CA. */
static void collateral_pck_crl_of_other_ca(void **state)
{
	struct loaded tdx, sgx;

	(void)state;
	load_sample(&tdx_sample, &tdx);
	load_sample(&sgx_sample, &sgx);

	/* Only the CRL swapped: it is not issued by the first certificate of its chain. */
	swap_crl(&tdx.coll->pck_crl, &tdx.coll->pck_crl_size, &sgx.coll->pck_crl,
		 &sgx.coll->pck_crl_size);
	expect_collateral(&tdx, tdx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "not issued by the first certificate of its issuer chain");
	expect_collateral(&sgx, sgx.coll, RATLS_ERR_COLLATERAL_MISMATCH,
			  "not issued by the first certificate of its issuer chain");

	/* CRL and its chain swapped together: consistent, but for the other CA. */
	swap_text(&tdx.coll->pck_crl_chain, &sgx.coll->pck_crl_chain);
	expect_collateral(&tdx, tdx.coll, RATLS_ERR_COLLATERAL_MISMATCH, "ca=platform");
	expect_collateral(&sgx, sgx.coll, RATLS_ERR_COLLATERAL_MISMATCH, "ca=processor");

	/* Without an issuer chain the same mismatch is found against the quote's chain. */
	free(tdx.coll->pck_crl_chain);
	tdx.coll->pck_crl_chain = NULL;
	free(sgx.coll->pck_crl_chain);
	sgx.coll->pck_crl_chain = NULL;
	expect_collateral(&tdx, tdx.coll, RATLS_ERR_COLLATERAL_MISMATCH, "ca=platform");
	expect_collateral(&sgx, sgx.coll, RATLS_ERR_COLLATERAL_MISMATCH, "ca=processor");

	unload_sample(&tdx);
	unload_sample(&sgx);
}

static void collateral_crl_damaged(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		uint8_t *longer;
		uint8_t *saved;

		load_sample(samples[i], &l);

		l.coll->pck_crl_size--;
		expect_collateral(&l, l.coll, RATLS_ERR_CRL_INVALID, "PCK CRL is not a DER CRL");
		l.coll->pck_crl_size = 1;
		expect_collateral(&l, l.coll, RATLS_ERR_CRL_INVALID, "PCK CRL is not a DER CRL");
		l.coll->pck_crl_size = 0;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_MISSING, "PCK CRL is missing");
		unload_sample(&l);

		load_sample(samples[i], &l);
		l.coll->root_crl_size--;
		expect_collateral(&l, l.coll, RATLS_ERR_CRL_INVALID,
				  "root CA CRL is not a DER CRL");
		l.coll->root_crl_size++;

		/* One byte after the CRL. */
		longer = calloc(1, l.coll->root_crl_size + 1);
		assert_non_null(longer);
		memcpy(longer, l.coll->root_crl, l.coll->root_crl_size);
		saved = l.coll->root_crl;
		l.coll->root_crl = longer;
		l.coll->root_crl_size++;
		expect_collateral(&l, l.coll, RATLS_ERR_CRL_INVALID, "1 bytes after the CRL");
		l.coll->root_crl = saved;
		l.coll->root_crl_size--;
		free(longer);

		/* The last byte is the end of each CRL's ECDSA signature. */
		l.coll->root_crl[l.coll->root_crl_size - 1] ^= 0x01;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE,
				  "root CA CRL signature");
		l.coll->root_crl[l.coll->root_crl_size - 1] ^= 0x01;
		l.coll->pck_crl[l.coll->pck_crl_size - 1] ^= 0x01;
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "PCK CRL signature");
		l.coll->pck_crl[l.coll->pck_crl_size - 1] ^= 0x01;

		/* The PCK CRL in the root CRL's place. */
		swap_crl(&l.coll->root_crl, &l.coll->root_crl_size, &l.coll->pck_crl,
			 &l.coll->pck_crl_size);
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_MISMATCH,
				  "root CA CRL is not issued by the trusted root");
		swap_crl(&l.coll->root_crl, &l.coll->root_crl_size, &l.coll->pck_crl,
			 &l.coll->pck_crl_size);

		expect_collateral(&l, l.coll, RATLS_OK, NULL);
		unload_sample(&l);
	}
}

static void collateral_tcb_chain_roots(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		X509 *intel = intel_root();
		X509 *foreign = make_foreign_root(NULL);
		X509 *lookalike = make_foreign_root(X509_get_subject_name(intel));
		char *signing, *root_pem;

		load_sample(samples[i], &l);
		signing = pem_block_text(l.coll->tcb_info_chain, 0);

		/* Signing certificate only: the pinned root is nowhere. */
		free(l.coll->tcb_info_chain);
		l.coll->tcb_info_chain = copy_text(signing);
		expect_collateral(&l, l.coll, RATLS_ERR_UNTRUSTED_ROOT,
				  "pinned Intel SGX Root CA key");

		/* A self-signed root of another name, then one named like Intel's. */
		root_pem = cert_pem(foreign);
		free(l.coll->tcb_info_chain);
		l.coll->tcb_info_chain = concat_text(signing, root_pem);
		expect_collateral(&l, l.coll, RATLS_ERR_UNTRUSTED_ROOT,
				  "pinned Intel SGX Root CA key");
		free(root_pem);

		root_pem = cert_pem(lookalike);
		free(l.coll->tcb_info_chain);
		l.coll->tcb_info_chain = concat_text(signing, root_pem);
		expect_collateral(&l, l.coll, RATLS_ERR_UNTRUSTED_ROOT,
				  "pinned Intel SGX Root CA key");
		free(root_pem);
		free(signing);
		unload_sample(&l);

		/*
		 * The QE identity chain needs no root of its own: it is validated
		 * against the root pinned through the TCB info chain.
		 */
		load_sample(samples[i], &l);
		signing = pem_block_text(l.coll->qe_identity_chain, 0);
		free(l.coll->qe_identity_chain);
		l.coll->qe_identity_chain = signing;
		expect_collateral(&l, l.coll, RATLS_OK, NULL);

		/* A foreign signing certificate cannot carry Intel's signature. */
		free(l.coll->qe_identity_chain);
		l.coll->qe_identity_chain = cert_pem(foreign);
		expect_collateral(&l, l.coll, RATLS_ERR_COLLATERAL_SIGNATURE, "QE identity");

		unload_sample(&l);
		X509_free(intel);
		X509_free(foreign);
		X509_free(lookalike);
	}
}

/*
 * A caller-supplied root replaces the pinned Intel root. Intel's own root
 * passed that way verifies, with a warning. A foreign root fails first at the
 * root CA CRL, which it did not issue (another name) or did not sign (Intel's
 * name), so the failure is reported there and not on a chain.
 */
static void options_trust_root(void **state)
{
	struct loaded l;
	X509 *intel, *foreign, *lookalike;
	struct buffer der;
	struct ratls_dcap_options options = {0};
	struct ratls_verified_report report;
	struct ratls_detail detail;

	(void)state;
	load_sample(&tdx_sample, &l);
	intel = intel_root();
	foreign = make_foreign_root(NULL);
	lookalike = make_foreign_root(X509_get_subject_name(intel));

	der = cert_der(intel);
	options.trust_root_der = der.data;
	options.trust_root_der_size = der.size;
	memset(&captured, 0, sizeof(captured));
	expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, l.sample->at, &options, &report,
			       &detail),
		  &detail);
	assert_true(report.custom_root);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_true(captured.warnings >= 1);
	assert_non_null(strstr(captured.last, "trust root"));
	free(der.data);

	der = cert_der(foreign);
	options.trust_root_der = der.data;
	options.trust_root_der_size = der.size;
	expect_verify(l.quote.data, l.quote.size, l.coll, l.sample->at, &options,
		      RATLS_ERR_COLLATERAL_MISMATCH,
		      "root CA CRL is not issued by the trusted root");
	free(der.data);

	der = cert_der(lookalike);
	options.trust_root_der = der.data;
	options.trust_root_der_size = der.size;
	expect_verify(l.quote.data, l.quote.size, l.coll, l.sample->at, &options,
		      RATLS_ERR_COLLATERAL_SIGNATURE, "root CA CRL signature");
	free(der.data);

	/* Not a certificate, trailing bytes, and a CA that is not self-signed. */
	options.trust_root_der = (const uint8_t *)"not DER";
	options.trust_root_der_size = 7;
	expect_verify(l.quote.data, l.quote.size, l.coll, l.sample->at, &options,
		      RATLS_ERR_MALFORMED, "trust root");
	unload_sample(&l);

	load_sample(&tdx_sample, &l);
	der = cert_der(intel);
	{
		uint8_t *longer = calloc(1, der.size + 1);

		assert_non_null(longer);
		memcpy(longer, der.data, der.size);
		options.trust_root_der = longer;
		options.trust_root_der_size = der.size + 1;
		expect_verify(l.quote.data, l.quote.size, l.coll, l.sample->at, &options,
			      RATLS_ERR_TRAILING_DATA, "trust root");
		free(longer);
	}
	free(der.data);
	der = pem_der((const uint8_t *)l.coll->pck_crl_chain, strlen(l.coll->pck_crl_chain), 0);
	options.trust_root_der = der.data;
	options.trust_root_der_size = der.size;
	expect_verify(l.quote.data, l.quote.size, l.coll, l.sample->at, &options,
		      RATLS_ERR_UNTRUSTED_ROOT, "not self-signed");
	free(der.data);

	unload_sample(&l);
	X509_free(intel);
	X509_free(foreign);
	X509_free(lookalike);
}

/*
 * ratls_dcap_check_signed_json with a foreign trust root and no root CRL:
 * the issuer chain's own (Intel) root is not the anchor, so path validation
 * fails with an untrusted root.
 */
static void check_signed_json_roots(void **state)
{
	struct loaded l;
	X509 *foreign;
	struct buffer der;
	struct ratls_dcap_options options;
	struct ratls_detail detail = {0};
	int rc;

	(void)state;
	load_sample(&tdx_sample, &l);
	foreign = make_foreign_root(NULL);
	der = cert_der(foreign);
	options.trust_root_der = der.data;
	options.trust_root_der_size = der.size;

	rc = ratls_dcap_check_signed_json(&l.coll->tcb_info, NULL, l.coll->tcb_info_chain,
					  l.coll->root_crl, l.coll->root_crl_size, l.sample->at,
					  NULL, &detail);
	expect_ok(rc, &detail);
	rc = ratls_dcap_check_signed_json(NULL, &l.coll->qe_identity, l.coll->qe_identity_chain,
					  NULL, 0, l.sample->at, NULL, &detail);
	expect_ok(rc, &detail);

	memset(&detail, 0, sizeof(detail));
	rc = ratls_dcap_check_signed_json(&l.coll->tcb_info, NULL, l.coll->tcb_info_chain, NULL, 0,
					  l.sample->at, &options, &detail);
	expect_failure(rc, &detail, RATLS_ERR_UNTRUSTED_ROOT, "failed path validation");

	memset(&detail, 0, sizeof(detail));
	l.coll->tcb_info.signature[10] ^= 0x04;
	rc = ratls_dcap_check_signed_json(&l.coll->tcb_info, NULL, l.coll->tcb_info_chain, NULL, 0,
					  l.sample->at, NULL, &detail);
	expect_failure(rc, &detail, RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
	l.coll->tcb_info.signature[10] ^= 0x04;

	/* TCB info nextUpdate is 2025-07-19T10:16:03Z. */
	memset(&detail, 0, sizeof(detail));
	rc = ratls_dcap_check_signed_json(&l.coll->tcb_info, NULL, l.coll->tcb_info_chain, NULL, 0,
					  1752920164, NULL, &detail);
	expect_failure(rc, &detail, RATLS_ERR_COLLATERAL_EXPIRED, "TCB info");

	memset(&detail, 0, sizeof(detail));
	rc = ratls_dcap_check_signed_json(&l.coll->tcb_info, &l.coll->qe_identity,
					  l.coll->tcb_info_chain, NULL, 0, l.sample->at, NULL,
					  &detail);
	expect_failure(rc, &detail, RATLS_ERR_INVALID_ARGUMENT, "exactly one");
	memset(&detail, 0, sizeof(detail));
	rc = ratls_dcap_check_signed_json(NULL, NULL, l.coll->tcb_info_chain, NULL, 0, l.sample->at,
					  NULL, &detail);
	expect_failure(rc, &detail, RATLS_ERR_INVALID_ARGUMENT, "exactly one");

	unload_sample(&l);
	free(der.data);
	X509_free(foreign);
}

/* ---- time ---- */

static void window_edges(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		const struct sample *s = samples[i];
		struct loaded l;
		struct ratls_verified_report report;
		struct ratls_detail detail;

		load_sample(s, &l);
		expect_verify(l.quote.data, l.quote.size, l.coll, s->valid_from - 1, NULL,
			      RATLS_ERR_COLLATERAL_NOT_YET_VALID, s->from_source);
		expect_verify(l.quote.data, l.quote.size, l.coll, s->valid_from - 1, NULL,
			      RATLS_ERR_COLLATERAL_NOT_YET_VALID, s->from_text);
		expect_verify(l.quote.data, l.quote.size, l.coll, s->valid_until + 1, NULL,
			      RATLS_ERR_COLLATERAL_EXPIRED, s->until_source);
		expect_verify(l.quote.data, l.quote.size, l.coll, s->valid_until + 1, NULL,
			      RATLS_ERR_COLLATERAL_EXPIRED, s->until_text);
		expect_verify(l.quote.data, l.quote.size, l.coll, INT64_MIN, NULL,
			      RATLS_ERR_COLLATERAL_NOT_YET_VALID, NULL);
		expect_verify(l.quote.data, l.quote.size, l.coll, INT64_MAX, NULL,
			      RATLS_ERR_COLLATERAL_EXPIRED, NULL);

		/* Both edges are inside the window. */
		expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, s->valid_from, NULL,
				       &report, &detail),
			  &detail);
		assert_int_equal(report.valid_from, s->valid_from);
		assert_int_equal(report.valid_until, s->valid_until);
		assert_string_equal(report.valid_until_source, s->until_source);
		expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, s->valid_until, NULL,
				       &report, &detail),
			  &detail);
		assert_int_equal(report.valid_from, s->valid_from);
		assert_int_equal(report.valid_until, s->valid_until);
		assert_string_equal(report.valid_until_source, s->until_source);
		unload_sample(&l);
	}
}

/* ---- prepared context ---- */

static void assert_reports_equal(const struct ratls_verified_report *a,
				 const struct ratls_verified_report *b)
{
	assert_int_equal(a->quote_version, b->quote_version);
	assert_int_equal(a->tee_type, b->tee_type);
	assert_int_equal(a->body_type, b->body_type);
	assert_memory_equal(&a->td, &b->td, sizeof(a->td));
	assert_memory_equal(a->sgx.report_data, b->sgx.report_data, 64);
	assert_memory_equal(a->sgx.mr_enclave, b->sgx.mr_enclave, 32);
	assert_memory_equal(a->sgx.mr_signer, b->sgx.mr_signer, 32);
	assert_memory_equal(a->sgx.attributes, b->sgx.attributes, 16);
	assert_int_equal(a->sgx.isv_prod_id, b->sgx.isv_prod_id);
	assert_int_equal(a->sgx.isv_svn, b->sgx.isv_svn);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->platform_status, b->platform_status);
	assert_int_equal(a->platform_tcb_date, b->platform_tcb_date);
	assert_int_equal(a->has_module_status, b->has_module_status);
	assert_int_equal(a->module_status, b->module_status);
	assert_string_equal(a->module_identity_id, b->module_identity_id);
	assert_int_equal(a->qe_status, b->qe_status);
	assert_int_equal(a->qe_tcb_date, b->qe_tcb_date);
	assert_int_equal(a->advisory_count, b->advisory_count);
	for (size_t i = 0; i < a->advisory_count; i++)
		assert_string_equal(a->advisory_ids[i], b->advisory_ids[i]);
	assert_int_equal(a->tcb_evaluation_data_number, b->tcb_evaluation_data_number);
	assert_memory_equal(a->pck.fmspc, b->pck.fmspc, 6);
	assert_memory_equal(a->pck.tcb_comp_svn, b->pck.tcb_comp_svn, 16);
	assert_int_equal(a->pck.pce_svn, b->pck.pce_svn);
	assert_memory_equal(a->pck.ppid, b->pck.ppid, 16);
	assert_int_equal(a->pck_from_platform_ca, b->pck_from_platform_ca);
	assert_int_equal(a->qe_isv_svn, b->qe_isv_svn);
	assert_int_equal(a->valid_from, b->valid_from);
	assert_int_equal(a->valid_until, b->valid_until);
	assert_string_equal(a->valid_until_source, b->valid_until_source);
	assert_int_equal(a->trailing_size, b->trailing_size);
	assert_int_equal(a->custom_root, b->custom_root);
}

static void context_matches_one_shot(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		struct loaded l;
		struct ratls_dcap_context *ctx = NULL;
		struct ratls_verified_report once, again;
		struct ratls_detail detail = {0};
		int64_t from = 0, until = 0;

		load_sample(samples[i], &l);
		expect_ok(verify_quote(l.quote.data, l.quote.size, l.coll, l.sample->at, NULL,
				       &once, &detail),
			  &detail);
		expect_ok(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail);

		/* The collateral may go once the context exists. */
		ratls_collateral_free(l.coll);
		l.coll = NULL;

		for (int round = 0; round < 5; round++) {
			memset(&again, 0xa5, sizeof(again));
			memset(&detail, 0, sizeof(detail));
			expect_ok(ratls_dcap_context_verify(ctx, l.quote.data, l.quote.size,
							    l.sample->at, &again, &detail),
				  &detail);
			assert_reports_equal(&once, &again);
		}

		ratls_dcap_context_validity(ctx, &from, &until);
		assert_int_equal(from, once.valid_from);
		assert_int_equal(until, once.valid_until);
		assert_int_equal(from, l.sample->valid_from);
		assert_int_equal(until, l.sample->valid_until);

		/* The same context serves other times, inside and outside the window. */
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_dcap_context_verify(ctx, l.quote.data, l.quote.size, from - 1,
							 &again, &detail),
			       &detail, RATLS_ERR_COLLATERAL_NOT_YET_VALID, NULL);
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_dcap_context_verify(ctx, l.quote.data, l.quote.size, until + 1,
							 &again, &detail),
			       &detail, RATLS_ERR_COLLATERAL_EXPIRED, NULL);
		memset(&detail, 0, sizeof(detail));
		expect_ok(ratls_dcap_context_verify(ctx, l.quote.data, l.quote.size, until, &again,
						    &detail),
			  &detail);
		assert_reports_equal(&once, &again);

		ratls_dcap_context_free(ctx);
		unload_sample(&l);
	}
}

/* Failing checks of the collateral are reported by ratls_dcap_context_new itself. */
static void context_new_checks_collateral(void **state)
{
	struct loaded l;
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_detail detail = {0};

	(void)state;
	load_sample(&tdx_sample, &l);
	l.coll->tcb_info.signature[3] ^= 0x01;
	expect_failure(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail,
		       RATLS_ERR_COLLATERAL_SIGNATURE, "TCB info");
	assert_null(ctx);
	l.coll->tcb_info.signature[3] ^= 0x01;

	memset(&detail, 0, sizeof(detail));
	drop_piece(l.coll, PIECE_ROOT_CRL);
	expect_failure(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail,
		       RATLS_ERR_COLLATERAL_MISSING, "root CA CRL");
	assert_null(ctx);
	unload_sample(&l);
}

static void context_rejects_null_arguments(void **state)
{
	struct loaded l;
	struct ratls_dcap_context *ctx = NULL;
	struct ratls_verified_report report;
	struct ratls_detail detail = {0};

	(void)state;
	expect_failure(ratls_dcap_context_new(NULL, NULL, &ctx, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	load_sample(&tdx_sample, &l);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_dcap_context_new(l.coll, NULL, NULL, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_ok(ratls_dcap_context_new(l.coll, NULL, &ctx, &detail), &detail);

	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_dcap_context_verify(NULL, l.quote.data, l.quote.size, l.sample->at,
						 &report, &detail),
		       &detail, RATLS_ERR_INVALID_ARGUMENT, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_dcap_context_verify(ctx, NULL, l.quote.size, l.sample->at, &report,
						 &detail),
		       &detail, RATLS_ERR_INVALID_ARGUMENT, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_dcap_context_verify(ctx, l.quote.data, l.quote.size, l.sample->at,
						 NULL, &detail),
		       &detail, RATLS_ERR_INVALID_ARGUMENT, NULL);

	/* A NULL detail is allowed; the code alone comes back. */
	assert_int_equal(ratls_dcap_context_verify(ctx, l.quote.data, 10, l.sample->at, &report,
						   NULL),
			 RATLS_ERR_TRUNCATED);
	assert_int_equal(ratls_dcap_verify(l.quote.data, l.quote.size, NULL, l.sample->at, NULL,
					   &report, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_dcap_context_free(ctx);
	ratls_dcap_context_free(NULL);
	unload_sample(&l);
}

/* ---- TCB evaluation on hand-built inputs ---- */

static char sa_platform_a[] = "INTEL-SA-00001";
static char sa_platform_b[] = "INTEL-SA-00002";
static char sa_module[] = "INTEL-SA-00003";
static char sa_qe[] = "INTEL-SA-00004";

/*
 * A TDX TCB info with two platform levels and module identity TDX_01, a
 * TD_QE identity with two levels, and a quote and PCK that meet the higher
 * platform level, module level and QE level. Pointers in the quote refer to
 * the fixture's own arrays, so a fixture must not be copied.
 */
struct eval_fixture {
	struct ratls_tcb_info info;
	struct ratls_tcb_level levels[8];
	struct ratls_tdx_module_identity modules[4];
	struct ratls_isv_level module_levels[4][4];
	struct ratls_qe_identity qe;
	struct ratls_isv_level qe_levels[4];
	uint8_t td_body[RATLS_TD10_REPORT_SIZE];
	uint8_t qe_raw[RATLS_SGX_REPORT_SIZE];
	uint8_t sgx_body[RATLS_SGX_REPORT_SIZE];
	struct ratls_quote quote;
	struct ratls_pck_info pck;
};

static void set_platform_level(struct ratls_tcb_level *level, uint8_t sgx, uint16_t pce,
			       uint8_t tdx, enum ratls_tcb_status status)
{
	memset(level, 0, sizeof(*level));
	memset(level->sgx_svn, sgx, 16);
	level->pce_svn = pce;
	level->has_tdx_svn = true;
	memset(level->tdx_svn, tdx, 16);
	level->status = status;
	level->tcb_date = 1700000000 + sgx;
}

static void set_isv_level(struct ratls_isv_level *level, uint16_t svn,
			  enum ratls_tcb_status status)
{
	memset(level, 0, sizeof(*level));
	level->isv_svn = svn;
	level->status = status;
	level->tcb_date = 1600000000 + svn;
}

static void fixture_init(struct eval_fixture *fx)
{
	struct ratls_tdx_module_identity *module = &fx->modules[0];

	memset(fx, 0, sizeof(*fx));

	fx->info.id = RATLS_TCB_INFO_TDX;
	fx->info.version = 3;
	fx->info.has_tdx_module = true;
	memset(fx->info.tdx_module_attributes_mask, 0xff, 8);
	set_platform_level(&fx->levels[0], 5, 13, 5, RATLS_TCB_UP_TO_DATE);
	set_platform_level(&fx->levels[1], 3, 11, 3, RATLS_TCB_OUT_OF_DATE);
	fx->info.levels = fx->levels;
	fx->info.level_count = 2;

	snprintf(module->id, sizeof(module->id), "TDX_01");
	memset(module->attributes_mask, 0xff, 8);
	set_isv_level(&fx->module_levels[0][0], 4, RATLS_TCB_UP_TO_DATE);
	set_isv_level(&fx->module_levels[0][1], 2, RATLS_TCB_OUT_OF_DATE);
	module->levels = fx->module_levels[0];
	module->level_count = 2;
	fx->info.module_identities = fx->modules;
	fx->info.module_identity_count = 1;

	fx->qe.id = RATLS_QE_IDENTITY_TD_QE;
	snprintf(fx->qe.id_text, sizeof(fx->qe.id_text), "TD_QE");
	fx->qe.miscselect = 0;
	fx->qe.miscselect_mask = 0xffffffff;
	fx->qe.attributes[0] = 0x11;
	memset(fx->qe.attributes_mask, 0xff, 8);
	fx->qe.attributes_mask[0] = 0xfb;
	memset(fx->qe.mrsigner, 0xdc, 32);
	fx->qe.isv_prod_id = 2;
	set_isv_level(&fx->qe_levels[0], 8, RATLS_TCB_UP_TO_DATE);
	set_isv_level(&fx->qe_levels[1], 6, RATLS_TCB_OUT_OF_DATE);
	fx->qe.levels = fx->qe_levels;
	fx->qe.level_count = 2;

	/* TEE_TCB_SVN: module SVN 4, module version 1 (TDX_01), components 5. */
	memset(fx->td_body, 5, 16);
	fx->td_body[0] = 4;
	fx->td_body[1] = 1;
	fx->quote.version = 4;
	fx->quote.tee_type = RATLS_TEE_TYPE_TDX;
	fx->quote.body_type = RATLS_BODY_TD_REPORT10;
	fx->quote.td.tee_tcb_svn = fx->td_body;
	fx->quote.td.mr_seam = fx->td_body + 16;
	fx->quote.td.mr_signer_seam = fx->td_body + 64;
	fx->quote.td.seam_attributes = fx->td_body + 112;
	fx->quote.td.td_attributes = fx->td_body + 120;

	memset(fx->qe_raw + 128, 0xdc, 32);
	fx->qe_raw[48] = 0x15; /* INIT, MODE64BIT and PROVISIONKEY, as in both samples' QEs */
	fx->quote.has_qe_report = true;
	fx->quote.qe_report.raw = fx->qe_raw;
	fx->quote.qe_report.cpu_svn = fx->qe_raw;
	fx->quote.qe_report.attributes = fx->qe_raw + 48;
	fx->quote.qe_report.mr_enclave = fx->qe_raw + 64;
	fx->quote.qe_report.mr_signer = fx->qe_raw + 128;
	fx->quote.qe_report.report_data = fx->qe_raw + 320;
	fx->quote.qe_report.misc_select = 0;
	fx->quote.qe_report.isv_prod_id = 2;
	fx->quote.qe_report.isv_svn = 8;

	memset(fx->pck.tcb_comp_svn, 5, 16);
	fx->pck.pce_svn = 13;
}

/* Makes the fixture an SGX quote against an SGX TCB info (no TDX components or module). */
static void fixture_make_sgx(struct eval_fixture *fx)
{
	fx->info.id = RATLS_TCB_INFO_SGX;
	fx->info.has_tdx_module = false;
	fx->info.module_identity_count = 0;
	for (size_t i = 0; i < fx->info.level_count; i++) {
		fx->levels[i].has_tdx_svn = false;
		memset(fx->levels[i].tdx_svn, 0, 16);
	}
	fx->qe.id = RATLS_QE_IDENTITY_QE;
	fx->quote.version = 3;
	fx->quote.tee_type = RATLS_TEE_TYPE_SGX;
	fx->quote.body_type = RATLS_BODY_SGX_ENCLAVE;
	memset(&fx->quote.td, 0, sizeof(fx->quote.td));
	fx->quote.sgx.raw = fx->sgx_body;
}

/* Runs what verification runs: sort, QE identity check, then TCB evaluation. */
static int run_eval(struct eval_fixture *fx, struct ratls_verified_report *report,
		    struct ratls_detail *detail)
{
	const struct ratls_tcb_level **sorted = NULL;
	struct ratls_tcb_eval_input in;
	int rc;

	memset(report, 0, sizeof(*report));
	memset(detail, 0, sizeof(*detail));
	assert_int_equal(ratls_tcb_levels_sort(&fx->info, &sorted), RATLS_OK);
	in.tcb_info = &fx->info;
	in.sorted_levels = sorted;
	in.qe_identity = &fx->qe;
	in.quote = &fx->quote;
	in.pck = &fx->pck;
	rc = ratls_qe_identity_check(&in, report, detail);
	if (rc == RATLS_OK)
		rc = ratls_tcb_evaluate(&in, report, detail);
	free(sorted);
	return rc;
}

static void expect_eval_ok(struct eval_fixture *fx, struct ratls_verified_report *report)
{
	struct ratls_detail detail;

	expect_ok(run_eval(fx, report, &detail), &detail);
}

static void expect_eval_failure(struct eval_fixture *fx, int code, const char *message_part)
{
	struct ratls_verified_report report;
	struct ratls_detail detail;
	int rc = run_eval(fx, &report, &detail);

	expect_failure(rc, &detail, code, message_part);
}

static void eval_fixture_baseline(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.platform_tcb_date, fx.levels[0].tcb_date);
	assert_true(report.has_module_status);
	assert_int_equal(report.module_status, RATLS_TCB_UP_TO_DATE);
	assert_string_equal(report.module_identity_id, "TDX_01");
	assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.qe_isv_svn, 8);
	assert_int_equal(report.qe_tcb_date, fx.qe_levels[0].tcb_date);
	assert_int_equal(report.advisory_count, 0);
}

static void tcb_levels_sort_order(void **state)
{
	struct ratls_tcb_level levels[7];
	struct ratls_tcb_info info;
	const struct ratls_tcb_level **sorted = NULL;
	/* Expected positions in the canonical order, by document index. */
	static const size_t expected[] = {4, 0, 2, 6, 1, 5, 3};

	(void)state;
	memset(&info, 0, sizeof(info));
	set_platform_level(&levels[0], 3, 10, 3, RATLS_TCB_OUT_OF_DATE);
	set_platform_level(&levels[1], 5, 10, 5, RATLS_TCB_UP_TO_DATE);
	/* Higher PCESVN, same SGX components as level 6: sorts before it. */
	set_platform_level(&levels[2], 4, 11, 1, RATLS_TCB_SW_HARDENING_NEEDED);
	/* Component 0 is the most significant: 02 ff ... is below 03 00 .... */
	set_platform_level(&levels[3], 0xff, 10, 3, RATLS_TCB_REVOKED);
	levels[3].sgx_svn[0] = 2;
	/* Same SGX components and PCESVN as level 1, lower TDX components. */
	set_platform_level(&levels[4], 5, 10, 4, RATLS_TCB_SW_HARDENING_NEEDED);
	/* Equal to level 0 in every SVN: document order decides. */
	set_platform_level(&levels[5], 3, 10, 3, RATLS_TCB_REVOKED);
	set_platform_level(&levels[6], 4, 10, 9, RATLS_TCB_CONFIGURATION_NEEDED);
	info.levels = levels;
	info.level_count = 7;

	assert_int_equal(ratls_tcb_levels_sort(&info, &sorted), RATLS_OK);
	for (size_t doc = 0; doc < 7; doc++)
		assert_ptr_equal(sorted[expected[doc]], &levels[doc]);
	assert_null(sorted[7]);
	free(sorted);

	/* An empty TCB info sorts to an empty, terminated list. */
	info.level_count = 0;
	assert_int_equal(ratls_tcb_levels_sort(&info, &sorted), RATLS_OK);
	assert_null(sorted[0]);
	free(sorted);
}

static void tcb_first_matching_level(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	/* Listed lowest first: sorting, not document order, picks the level. */
	set_platform_level(&fx.levels[0], 2, 10, 2, RATLS_TCB_OUT_OF_DATE);
	set_platform_level(&fx.levels[1], 4, 10, 4, RATLS_TCB_SW_HARDENING_NEEDED);
	set_platform_level(&fx.levels[2], 6, 10, 6, RATLS_TCB_UP_TO_DATE);
	fx.info.level_count = 3;

	memset(fx.pck.tcb_comp_svn, 6, 16);
	memset(fx.td_body + 2, 6, 14);
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);

	memset(fx.pck.tcb_comp_svn, 5, 16);
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_SW_HARDENING_NEEDED);
	assert_int_equal(report.platform_tcb_date, fx.levels[1].tcb_date);

	/* Each component counts on its own: one below the level skips it. */
	memset(fx.pck.tcb_comp_svn, 9, 16);
	fx.pck.tcb_comp_svn[15] = 5;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_SW_HARDENING_NEEDED);
	fx.pck.tcb_comp_svn[15] = 3;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);

	/* A PCESVN below the level skips it too. */
	memset(fx.pck.tcb_comp_svn, 6, 16);
	fx.pck.pce_svn = 9;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "no TCB level");
	fx.pck.pce_svn = 10;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);

	/* A TDX component below the level skips it. */
	fx.td_body[9] = 5;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_SW_HARDENING_NEEDED);
}

static void tcb_below_every_level(void **state)
{
	struct eval_fixture fx;

	(void)state;
	fixture_init(&fx);
	memset(fx.pck.tcb_comp_svn, 2, 16);
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "SGX components 0202");

	fixture_init(&fx);
	memset(fx.td_body + 2, 2, 14);
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "TEE_TCB_SVN 0401");

	fixture_init(&fx);
	fx.info.level_count = 0;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "no TCB level");
}

static void tcb_every_platform_status(void **state)
{
	(void)state;
	for (int s = 0; s < RATLS_TCB_STATUS_COUNT; s++) {
		struct eval_fixture fx;
		struct ratls_verified_report report;

		fixture_init(&fx);
		fx.levels[0].status = (enum ratls_tcb_status)s;
		expect_eval_ok(&fx, &report);
		assert_int_equal(report.platform_status, s);
		assert_int_equal(report.status, s);

		fixture_make_sgx(&fx);
		expect_eval_ok(&fx, &report);
		assert_int_equal(report.platform_status, s);
		assert_int_equal(report.status, s);
		assert_false(report.has_module_status);
	}
}

static void tcb_module_identity_selection(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	/* A second identity, TDX_1A in lower case, for module version 0x1a. */
	fx.modules[1] = fx.modules[0];
	snprintf(fx.modules[1].id, sizeof(fx.modules[1].id), "tdx_1a");
	set_isv_level(&fx.module_levels[1][0], 4, RATLS_TCB_OUT_OF_DATE);
	fx.modules[1].levels = fx.module_levels[1];
	fx.modules[1].level_count = 1;
	fx.info.module_identity_count = 2;

	expect_eval_ok(&fx, &report);
	assert_string_equal(report.module_identity_id, "TDX_01");
	assert_int_equal(report.module_status, RATLS_TCB_UP_TO_DATE);

	fx.td_body[1] = 0x1a;
	expect_eval_ok(&fx, &report);
	assert_true(report.has_module_status);
	assert_string_equal(report.module_identity_id, "tdx_1a");
	assert_int_equal(report.module_status, RATLS_TCB_OUT_OF_DATE);

	/* Module version 2 has no identity. */
	fx.td_body[1] = 2;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "no TDX module identity TDX_02");
	fx.info.module_identity_count = 0;
	fx.td_body[1] = 1;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "no TDX module identity TDX_01");

	/* A TDX TCB info without tdxModule cannot judge a TD at all. */
	fixture_init(&fx);
	fx.info.has_tdx_module = false;
	expect_eval_failure(&fx, RATLS_ERR_COLLATERAL_MISMATCH, "no tdxModule");
}

static void tcb_module_signer_and_attributes(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	/* With a module identity, its MRSIGNER and attributes apply. */
	fixture_init(&fx);
	fx.td_body[64 + 47] = 0x01;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "MR_SIGNER_SEAM");
	memset(fx.modules[0].mrsigner, 0, 48);
	fx.modules[0].mrsigner[47] = 0x01;
	expect_eval_ok(&fx, &report);
	/* The TCB info's own tdxModule MRSIGNER (zero) is not the one compared. */
	fx.info.tdx_module_mrsigner[0] = 0x77;
	expect_eval_ok(&fx, &report);

	/* SEAM attributes match under the mask, and bits outside it must be clear. */
	fixture_init(&fx);
	fx.modules[0].attributes_mask[3] = 0xf0;
	fx.td_body[112 + 3] = 0x0f;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "SEAM attributes");
	fx.td_body[112 + 3] = 0x10;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "SEAM attributes");
	fx.modules[0].attributes[3] = 0x10;
	expect_eval_ok(&fx, &report);

	/* Module version 0: the TCB info's tdxModule applies and no module status is set. */
	fixture_init(&fx);
	fx.td_body[1] = 0;
	fx.levels[0].tdx_svn[0] = 0;
	fx.levels[0].tdx_svn[1] = 0;
	expect_eval_ok(&fx, &report);
	assert_false(report.has_module_status);
	assert_string_equal(report.module_identity_id, "");
	fx.td_body[64] = 0x80;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "MR_SIGNER_SEAM");
	fx.info.tdx_module_mrsigner[0] = 0x80;
	expect_eval_ok(&fx, &report);
	fx.td_body[112] = 0x01;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "SEAM attributes");
	fx.info.tdx_module_attributes_mask[0] = 0xfe;
	expect_eval_failure(&fx, RATLS_ERR_TDX_MODULE_MISMATCH, "SEAM attributes");
	fx.info.tdx_module_attributes[0] = 0x01;
	fx.info.tdx_module_attributes_mask[0] = 0xff;
	expect_eval_ok(&fx, &report);
}

static void tcb_module_svn_levels(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	/* Module levels at SVN 4 (UpToDate) and 2 (OutOfDate). */
	fx.td_body[0] = 9;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.module_status, RATLS_TCB_UP_TO_DATE);
	fx.td_body[0] = 3;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.module_status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(report.status, RATLS_TCB_OUT_OF_DATE);
	fx.td_body[0] = 2;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.module_status, RATLS_TCB_OUT_OF_DATE);
	fx.td_body[0] = 1;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "TDX module SVN 1");
	fx.modules[0].level_count = 0;
	fx.td_body[0] = 4;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "TDX module SVN 4");
}

static void tcb_tdx_components_start(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	/*
	 * With a module version (TEE_TCB_SVN[1] > 0), bytes 0 and 1 are the
	 * module's SVN and version, judged by the module identity: the platform
	 * level compares from byte 2.
	 */
	fixture_init(&fx);
	fx.levels[0].tdx_svn[0] = 0xff;
	fx.levels[0].tdx_svn[1] = 0xff;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
	fx.levels[0].tdx_svn[2] = 6;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);

	/* Without a module version every byte counts, from byte 0. */
	fixture_init(&fx);
	fx.td_body[1] = 0;
	fx.levels[1].tdx_svn[0] = 0;
	fx.levels[1].tdx_svn[1] = 0;
	memset(fx.levels[0].tdx_svn, 0, 16);
	memset(fx.levels[0].tdx_svn + 2, 5, 14);
	fx.levels[0].tdx_svn[0] = 4;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
	fx.levels[0].tdx_svn[0] = 5;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);
	fx.levels[0].tdx_svn[0] = 4;
	fx.levels[0].tdx_svn[1] = 1;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);

	/* A level without TDX components never matches a TD. */
	fixture_init(&fx);
	fx.levels[0].has_tdx_svn = false;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_OUT_OF_DATE);
	fx.levels[1].has_tdx_svn = false;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "no TCB level");

	/* An SGX quote ignores TDX components entirely. */
	fixture_init(&fx);
	fixture_make_sgx(&fx);
	fx.levels[0].tdx_svn[7] = 0xff;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.platform_status, RATLS_TCB_UP_TO_DATE);
}

static void qe_identity_fields(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	fx.qe_raw[128 + 31] ^= 0x01;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "QE MRSIGNER");

	fixture_init(&fx);
	fx.quote.qe_report.isv_prod_id = 1;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "QE ISVPRODID 1");

	/* MISCSELECT: only bits under the mask count. */
	fixture_init(&fx);
	fx.qe.miscselect_mask = 0xfffffffe;
	fx.quote.qe_report.misc_select = 0x00000001;
	expect_eval_ok(&fx, &report);
	fx.quote.qe_report.misc_select = 0x80000000;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "QE MISCSELECT 0x80000000");
	fx.qe.miscselect = 0x80000000;
	expect_eval_ok(&fx, &report);

	/* ATTRIBUTES: only bits under the mask count. */
	fixture_init(&fx);
	fx.qe_raw[48] = 0x15; /* bit 2 is outside the mask 0xfb */
	expect_eval_ok(&fx, &report);
	fx.qe_raw[48] = 0x31;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "at byte 0");
	fx.qe_raw[48] = 0x11;
	fx.qe_raw[48 + 7] = 0x01;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "at byte 7");
	fx.qe_raw[48 + 7] = 0;
	fx.qe_raw[48 + 8] = 0xff; /* XFRM bytes outside the mask */
	expect_eval_ok(&fx, &report);
}

/* A debuggable QE is rejected even when the identity's mask leaves DEBUG out. */
static void qe_identity_debug(void **state)
{
	struct eval_fixture fx;

	(void)state;
	fixture_init(&fx);
	fx.qe_raw[48] = 0x13;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "at byte 0");
	fx.qe.attributes_mask[0] = 0xf9;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "debug mode");
	fx.qe.attributes[0] = 0x01;
	fx.qe.attributes_mask[0] = 0x01;
	expect_eval_failure(&fx, RATLS_ERR_QE_IDENTITY_MISMATCH, "debug mode");
}

static void qe_identity_levels(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	fixture_init(&fx);
	/* Levels at ISVSVN 8 (UpToDate), 6 (OutOfDate) and 4 (Revoked), in Intel's order. */
	set_isv_level(&fx.qe_levels[2], 4, RATLS_TCB_REVOKED);
	fx.qe.level_count = 3;

	fx.quote.qe_report.isv_svn = 100;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.qe_isv_svn, 100);
	fx.quote.qe_report.isv_svn = 8;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.qe_status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(report.qe_tcb_date, 1600000008);
	fx.quote.qe_report.isv_svn = 7;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.qe_status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(report.qe_tcb_date, 1600000006);
	assert_int_equal(report.status, RATLS_TCB_OUT_OF_DATE);
	fx.quote.qe_report.isv_svn = 5;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.qe_status, RATLS_TCB_REVOKED);
	assert_int_equal(report.status, RATLS_TCB_REVOKED);
	fx.quote.qe_report.isv_svn = 3;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "QE ISVSVN 3");
	fx.quote.qe_report.isv_svn = 0;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "QE ISVSVN 0");

	/*
	 * As in Intel's QVL, the first level in document order at or below the
	 * ISVSVN wins: with the Revoked level at 4 listed first, ISVSVN 8
	 * matches it.
	 */
	fx.qe_levels[3] = fx.qe_levels[0];
	fx.qe_levels[0] = fx.qe_levels[2];
	fx.qe_levels[2] = fx.qe_levels[3];
	fx.quote.qe_report.isv_svn = 8;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.qe_status, RATLS_TCB_REVOKED);

	fx.qe.level_count = 0;
	expect_eval_failure(&fx, RATLS_ERR_TCB_NOT_SUPPORTED, "QE ISVSVN 8");
}

/* The final status for a platform status and an OutOfDate module or QE. */
static const enum ratls_tcb_status with_out_of_date[RATLS_TCB_STATUS_COUNT] = {
	[RATLS_TCB_UP_TO_DATE] = RATLS_TCB_OUT_OF_DATE,
	[RATLS_TCB_SW_HARDENING_NEEDED] = RATLS_TCB_OUT_OF_DATE,
	[RATLS_TCB_CONFIGURATION_NEEDED] = RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	[RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] =
		RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	[RATLS_TCB_OUT_OF_DATE] = RATLS_TCB_OUT_OF_DATE,
	[RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	[RATLS_TCB_REVOKED] = RATLS_TCB_REVOKED,
};

static enum ratls_tcb_status expected_status(enum ratls_tcb_status platform,
					     enum ratls_tcb_status component)
{
	switch (component) {
	case RATLS_TCB_UP_TO_DATE:
		return platform;
	case RATLS_TCB_OUT_OF_DATE:
		return with_out_of_date[platform];
	case RATLS_TCB_REVOKED:
		return RATLS_TCB_REVOKED;
	default:
		fail_msg("the table has no component status %d", (int)component);
	}
	return RATLS_TCB_REVOKED;
}

static void tcb_status_convergence(void **state)
{
	static const enum ratls_tcb_status components[] = {
		RATLS_TCB_UP_TO_DATE, RATLS_TCB_OUT_OF_DATE, RATLS_TCB_REVOKED};

	(void)state;
	for (int p = 0; p < RATLS_TCB_STATUS_COUNT; p++) {
		for (size_t c = 0; c < 3; c++) {
			enum ratls_tcb_status platform = (enum ratls_tcb_status)p;
			enum ratls_tcb_status component = components[c];
			struct eval_fixture fx;
			struct ratls_verified_report report;

			/* QE status. */
			fixture_init(&fx);
			fx.levels[0].status = platform;
			fx.qe_levels[0].status = component;
			expect_eval_ok(&fx, &report);
			assert_int_equal(report.qe_status, component);
			assert_int_equal(report.status, expected_status(platform, component));

			/* TDX module status. */
			fixture_init(&fx);
			fx.levels[0].status = platform;
			fx.module_levels[0][0].status = component;
			expect_eval_ok(&fx, &report);
			assert_int_equal(report.module_status, component);
			assert_int_equal(report.status, expected_status(platform, component));

			/* Both: the QE applies on top of the module's result. */
			fixture_init(&fx);
			fx.levels[0].status = platform;
			fx.module_levels[0][0].status = RATLS_TCB_OUT_OF_DATE;
			fx.qe_levels[0].status = component;
			expect_eval_ok(&fx, &report);
			assert_int_equal(report.status,
					 expected_status(expected_status(platform,
									 RATLS_TCB_OUT_OF_DATE),
							 component));

			/* SGX: the QE alone. */
			fixture_init(&fx);
			fixture_make_sgx(&fx);
			fx.levels[0].status = platform;
			fx.qe_levels[0].status = component;
			expect_eval_ok(&fx, &report);
			assert_int_equal(report.status, expected_status(platform, component));
		}
	}
}

static void tcb_advisories_merged(void **state)
{
	struct eval_fixture fx;
	struct ratls_verified_report report;
	char *platform_ids[] = {sa_platform_a, sa_platform_b};
	char *module_ids[] = {sa_platform_b, sa_module};
	char *qe_ids[] = {sa_module, sa_qe, sa_platform_a};
	static const char *const expected[] = {"INTEL-SA-00001", "INTEL-SA-00002",
					       "INTEL-SA-00003", "INTEL-SA-00004"};

	(void)state;
	fixture_init(&fx);
	fx.levels[0].advisories = (struct ratls_advisory_list){platform_ids, 2};
	fx.module_levels[0][0].advisories = (struct ratls_advisory_list){module_ids, 2};
	fx.qe_levels[0].advisories = (struct ratls_advisory_list){qe_ids, 3};
	/* Advisories of levels that do not apply stay out. */
	fx.levels[1].advisories = (struct ratls_advisory_list){qe_ids, 3};
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.advisory_count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(report.advisory_ids[i], expected[i]);

	/* Only the platform level's. */
	fx.module_levels[0][0].advisories.count = 0;
	fx.qe_levels[0].advisories.count = 0;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.advisory_count, 2);
	assert_string_equal(report.advisory_ids[0], "INTEL-SA-00001");
	assert_string_equal(report.advisory_ids[1], "INTEL-SA-00002");

	/* Only the QE level's, which the QE's own SVN selects. */
	fx.levels[0].advisories.count = 0;
	fx.qe_levels[1].advisories = (struct ratls_advisory_list){module_ids, 2};
	fx.quote.qe_report.isv_svn = 6;
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.advisory_count, 2);
	assert_string_equal(report.advisory_ids[0], "INTEL-SA-00002");
	assert_string_equal(report.advisory_ids[1], "INTEL-SA-00003");
}

static void tcb_advisories_limit(void **state)
{
	enum { COUNT = RATLS_REPORT_ADVISORIES_MAX + 1 };
	static char names[COUNT][24];
	char *ids[COUNT];
	struct eval_fixture fx;
	struct ratls_verified_report report;

	(void)state;
	for (int i = 0; i < COUNT; i++) {
		snprintf(names[i], sizeof(names[i]), "INTEL-SA-%05d", i);
		ids[i] = names[i];
	}
	fixture_init(&fx);
	fx.levels[0].advisories = (struct ratls_advisory_list){ids, RATLS_REPORT_ADVISORIES_MAX};
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.advisory_count, RATLS_REPORT_ADVISORIES_MAX);
	/* A repeat of a listed ID does not count against the limit. */
	fx.qe_levels[0].advisories = (struct ratls_advisory_list){ids, 1};
	expect_eval_ok(&fx, &report);
	assert_int_equal(report.advisory_count, RATLS_REPORT_ADVISORIES_MAX);
	fx.qe_levels[0].advisories = (struct ratls_advisory_list){ids + 1, COUNT - 1};
	expect_eval_failure(&fx, RATLS_ERR_LIMIT_EXCEEDED, "more than 64 advisory IDs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_tdx_sample_up_to_date),
		cmocka_unit_test(verify_sgx_sample_configuration_needed),
		cmocka_unit_test(quote_flip_signed_body),
		cmocka_unit_test(quote_flip_signature),
		cmocka_unit_test(quote_flip_attestation_key),
		cmocka_unit_test(quote_flip_qe_report),
		cmocka_unit_test(quote_flip_qe_report_signature),
		cmocka_unit_test(quote_flip_qe_auth_data),
		cmocka_unit_test(quote_qe_vendor_id),
		cmocka_unit_test(quote_header_version),
		cmocka_unit_test(quote_header_key_type),
		cmocka_unit_test(quote_header_tee_type),
		cmocka_unit_test(quote_every_byte_flip),
		cmocka_unit_test(quote_truncated_everywhere),
		cmocka_unit_test(quote_pem_leaf_signature),
		cmocka_unit_test(quote_pem_leaf_serial),
		cmocka_unit_test(quote_pem_ca_signature),
		cmocka_unit_test(quote_pem_root_copy_unused),
		cmocka_unit_test(quote_pem_every_der_bit),
		cmocka_unit_test(quote_pem_text_damaged),
		cmocka_unit_test(pck_chain_override),
		cmocka_unit_test(collateral_tcb_info_flips),
		cmocka_unit_test(collateral_qe_identity_flips),
		cmocka_unit_test(collateral_of_other_tee),
		cmocka_unit_test(collateral_missing_pieces),
		cmocka_unit_test(collateral_without_pck_crl_chain),
		cmocka_unit_test(collateral_pck_crl_of_other_ca),
		cmocka_unit_test(collateral_crl_damaged),
		cmocka_unit_test(collateral_tcb_chain_roots),
		cmocka_unit_test(options_trust_root),
		cmocka_unit_test(check_signed_json_roots),
		cmocka_unit_test(window_edges),
		cmocka_unit_test(context_matches_one_shot),
		cmocka_unit_test(context_new_checks_collateral),
		cmocka_unit_test(context_rejects_null_arguments),
		cmocka_unit_test(eval_fixture_baseline),
		cmocka_unit_test(tcb_levels_sort_order),
		cmocka_unit_test(tcb_first_matching_level),
		cmocka_unit_test(tcb_below_every_level),
		cmocka_unit_test(tcb_every_platform_status),
		cmocka_unit_test(tcb_module_identity_selection),
		cmocka_unit_test(tcb_module_signer_and_attributes),
		cmocka_unit_test(tcb_module_svn_levels),
		cmocka_unit_test(tcb_tdx_components_start),
		cmocka_unit_test(qe_identity_fields),
		cmocka_unit_test(qe_identity_debug),
		cmocka_unit_test(qe_identity_levels),
		cmocka_unit_test(tcb_status_convergence),
		cmocka_unit_test(tcb_advisories_merged),
		cmocka_unit_test(tcb_advisories_limit),
	};

	/* Keep the warnings of weakening options out of the test output, and countable. */
	ratls_set_log_callback(capture_log, &captured);
	return cmocka_run_group_tests_name("dcap", tests, NULL, NULL);
}
