/*
 * Unit tests for src/evidence: SCALE primitives, the V0 and V1 envelopes,
 * the JSON event log, RTMR replay, the identity fields, the key binding and
 * certificate extraction.
 *
 * Most inputs are built here: a synthetic TDX v4 quote whose RTMRs and
 * REPORTDATA match the events, V0 envelopes from the encoder, V1 envelopes
 * from msgpack-c's packer and certificates from OpenSSL. Tests on the real
 * dstack fixtures read them from RATLS_CORPUS_DIR and are skipped when it
 * is absent. Every decoder input is a heap buffer of its exact size, so a
 * sanitizer build reports any read past the end.
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

#include <jansson.h>
#include <msgpack.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "evidence/evidence_internal.h"
#include "ratls/evidence.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DSTACK "Dstack-TEE__dstack/"
#define ATTESTATION_BIN DSTACK "dstack/guest-agent/fixtures/attestation.bin"
#define LITE_ATTESTATION DSTACK "dstack/verifier/fixtures/tdx-lite-attestation.json"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 */

static uint8_t *exact_copy(const void *data, size_t size)
{
	uint8_t *copy = malloc(size != 0 ? size : 1);

	assert_non_null(copy);
	if (size != 0)
		memcpy(copy, data, size);
	return copy;
}

/* Reads a corpus file, or returns NULL when RATLS_CORPUS_DIR is not set or lacks it. */
static uint8_t *load_corpus(const char *rel, size_t *size)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	char path[4096];
	uint8_t *buf;
	FILE *f;
	long n;

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

#define SKIP_WITHOUT(buf, rel)                                                                  \
	do {                                                                                    \
		if ((buf) == NULL) {                                                            \
			print_message("[ SKIPPED  ] corpus file %s not found (set "            \
				      "RATLS_CORPUS_DIR)\n",                                    \
				      (rel));                                                   \
			skip();                                                         \
		}                                                                               \
	} while (0)

static void hex_to_bytes(const char *hex, uint8_t *out, size_t size)
{
	assert_int_equal(ratls_hex_decode_fixed(hex, strlen(hex), out, size), RATLS_OK);
}

static void assert_hex(const uint8_t *actual, size_t size, const char *expected_hex)
{
	char text[2 * 128 + 1];

	assert_true(size <= 128);
	ratls_hex_encode(actual, size, text);
	assert_string_equal(text, expected_hex);
}

static void sha384(const void *data, size_t size, uint8_t out[48])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, size, out, &len, EVP_sha384(), NULL), 1);
}

static void sha256(const void *data, size_t size, uint8_t out[32])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, size, out, &len, EVP_sha256(), NULL), 1);
}

static void sha512(const void *data, size_t size, uint8_t out[64])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, size, out, &len, EVP_sha512(), NULL), 1);
}

/* Decodes a VersionedAttestation from an exact-size heap copy. */
static int decode_attestation(const uint8_t *data, size_t size, struct ratls_evidence **ev,
			      struct ratls_detail *d)
{
	uint8_t *copy = exact_copy(data, size);
	int rc;

	memset(d, 0, sizeof(*d));
	rc = ratls_evidence_from_attestation(copy, size, ev, d);
	free(copy);
	return rc;
}

/* Expects decoding to fail with want and the detail to contain needle (may be NULL). */
static void expect_attestation_error(const uint8_t *data, size_t size, int want,
				     const char *needle)
{
	struct ratls_evidence *ev = (struct ratls_evidence *)&ev; /* must be reset to NULL */
	struct ratls_detail d;
	int rc = decode_attestation(data, size, &ev, &d);

	if (rc != want)
		fail_msg("expected %s, got %s: %s", ratls_error_name(want), ratls_error_name(rc),
			 d.message);
	assert_null(ev);
	assert_int_equal(d.code, want);
	if (needle != NULL && strstr(d.message, needle) == NULL)
		fail_msg("detail \"%s\" does not mention \"%s\"", d.message, needle);
}

/* ---------------------------------------------------------------------------------------------
 * A synthetic TDX v4 quote: header, TD report 1.0, and signature data whose certification
 * data is a QE report (type 6) wrapping a tiny type 5 "chain". The quote parser accepts it; no
 * signature in it verifies.
 */

enum {
	QUOTE_RTMR_AT = 48 + 328,
	QUOTE_MR_TD_AT = 48 + 136,
	QUOTE_MR_CONFIG_ID_AT = 48 + 184,
	QUOTE_REPORT_DATA_AT = 48 + 520,
	QUOTE_BODY_END = 48 + 584,
};

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *build_quote(const uint8_t rtmr[4][48], const uint8_t report_data[64],
			    size_t *size)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\n";
	const size_t inner = 384 + 64 + 2 + 2 + 4 + sizeof(pem) - 1;
	const size_t sig_data = 64 + 64 + 2 + 4 + inner;
	uint8_t *q;
	size_t at;

	*size = QUOTE_BODY_END + 4 + sig_data;
	q = calloc(1, *size);
	assert_non_null(q);
	put_u16(q, 4);          /* version */
	put_u16(q + 2, 2);      /* ECDSA P-256 */
	put_u32(q + 4, 0x81);   /* TDX */
	memset(q + QUOTE_MR_TD_AT, 0x5a, 48);
	for (int i = 0; i < 4; i++)
		memcpy(q + QUOTE_RTMR_AT + 48 * i, rtmr[i], 48);
	memcpy(q + QUOTE_REPORT_DATA_AT, report_data, 64);

	at = QUOTE_BODY_END;
	put_u32(q + at, (uint32_t)sig_data);
	at += 4 + 128;
	put_u16(q + at, 6);
	put_u32(q + at + 2, (uint32_t)inner);
	at += 6 + 384 + 64;
	put_u16(q + at, 0); /* QE authentication data size */
	put_u16(q + at + 2, 5);
	put_u32(q + at + 4, sizeof(pem) - 1);
	memcpy(q + at + 8, pem, sizeof(pem) - 1);
	return q;
}

/* ---------------------------------------------------------------------------------------------
 * A dstack-like fixture: boot events for RTMR0-2, runtime events for RTMR3, and the quote
 * they replay to.
 */

#define MAX_FIXTURE_EVENTS 24

struct fixture {
	struct ratls_runtime_event runtime[MAX_FIXTURE_EVENTS];
	size_t runtime_count;
	struct ratls_tdx_event events[MAX_FIXTURE_EVENTS];
	size_t event_count;
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t *quote;
	size_t quote_size;
	char config[256];
};

static uint8_t fixture_app_id[20];
static uint8_t fixture_compose_hash[32];
static uint8_t fixture_instance_id[20];
static uint8_t fixture_os_image_hash[32];
static uint8_t fixture_late_app_id[20];
static const char fixture_key_provider[] = "{\"name\":\"kms\",\"id\":\"3059abcd\"}";

static void add_runtime(struct fixture *f, const char *name, const void *payload, size_t size)
{
	struct ratls_runtime_event *e = &f->runtime[f->runtime_count++];

	assert_true(f->runtime_count <= MAX_FIXTURE_EVENTS);
	e->name = ratls_evidence_copy_string(name, strlen(name));
	e->name_size = strlen(name);
	e->payload = ratls_evidence_copy_bytes(payload, size);
	e->payload_size = size;
	e->version = 1;
}

static void add_event(struct fixture *f, uint32_t imr, uint32_t type, const uint8_t *digest,
		      const char *name, const void *payload, size_t payload_size)
{
	struct ratls_tdx_event *e = &f->events[f->event_count++];

	assert_true(f->event_count <= MAX_FIXTURE_EVENTS);
	e->imr = imr;
	e->event_type = type;
	e->digest = digest != NULL ? ratls_evidence_copy_bytes(digest, 48) : NULL;
	e->digest_size = digest != NULL ? 48 : 0;
	e->name = ratls_evidence_copy_string(name, strlen(name));
	e->name_size = strlen(name);
	e->payload = ratls_evidence_copy_bytes(payload, payload_size);
	e->payload_size = payload_size;
	e->version = 1;
}

static void extend(uint8_t rtmr[48], const uint8_t digest[48])
{
	uint8_t buf[96];

	memcpy(buf, rtmr, 48);
	memcpy(buf + 48, digest, 48);
	sha384(buf, sizeof(buf), rtmr);
}

/* Independent V1 runtime digest: SHA-384(01 00 00 08 ':' name ':' payload). */
static void runtime_digest(const struct ratls_runtime_event *e, uint8_t out[48])
{
	uint8_t buf[512];
	size_t n = 0;

	assert_true(e->name_size + e->payload_size + 6 <= sizeof(buf));
	memcpy(buf, "\x01\x00\x00\x08:", 5);
	n = 5;
	memcpy(buf + n, e->name, e->name_size);
	n += e->name_size;
	buf[n++] = ':';
	memcpy(buf + n, e->payload, e->payload_size);
	n += e->payload_size;
	sha384(buf, n, out);
}

/* Rebuilds the quote from the fixture's current events (RTMRs) and report_data. */
static void fixture_rebuild_quote(struct fixture *f)
{
	memset(f->rtmr, 0, sizeof(f->rtmr));
	for (size_t i = 0; i < f->event_count; i++) {
		if (f->events[i].imr != 3)
			extend(f->rtmr[f->events[i].imr], f->events[i].digest);
	}
	for (size_t i = 0; i < f->runtime_count; i++) {
		uint8_t digest[48];

		runtime_digest(&f->runtime[i], digest);
		extend(f->rtmr[3], digest);
	}
	free(f->quote);
	f->quote = build_quote((const uint8_t(*)[48])f->rtmr, f->report_data, &f->quote_size);
}

/*
 * Builds the fixture: four boot events (one or two per RTMR0-2) and the
 * dstack runtime events, with an "app-id" after system-ready that the
 * identity must ignore. The log's IMR 3 entries are the runtime events with
 * empty (stripped) or computed digests.
 */
static void fixture_init(struct fixture *f, const uint8_t report_data[64], bool log_digests)
{
	uint8_t boot[4][48];
	char payload[8];

	memset(f, 0, sizeof(*f));
	memset(fixture_app_id, 0x11, sizeof(fixture_app_id));
	memset(fixture_compose_hash, 0x22, sizeof(fixture_compose_hash));
	memset(fixture_instance_id, 0x33, sizeof(fixture_instance_id));
	memset(fixture_os_image_hash, 0x44, sizeof(fixture_os_image_hash));
	memset(fixture_late_app_id, 0x99, sizeof(fixture_late_app_id));
	memcpy(f->report_data, report_data, 64);

	for (int i = 0; i < 4; i++) {
		snprintf(payload, sizeof(payload), "boot%d", i);
		sha384(payload, strlen(payload), boot[i]);
	}
	add_event(f, 0, 0x80000001u, boot[0], "", "boot0", 5);
	add_event(f, 0, 0x0000000au, boot[1], "", "ACPI DATA", 9);
	add_event(f, 1, 0x80000003u, boot[2], "", "boot2", 5);
	add_event(f, 2, 0x00000006u, boot[3], "", "boot3", 5);

	add_runtime(f, "system-preparing", "", 0);
	add_runtime(f, "app-id", fixture_app_id, sizeof(fixture_app_id));
	add_runtime(f, "compose-hash", fixture_compose_hash, sizeof(fixture_compose_hash));
	add_runtime(f, "instance-id", fixture_instance_id, sizeof(fixture_instance_id));
	add_runtime(f, "boot-mr-done", "", 0);
	add_runtime(f, "os-image-hash", fixture_os_image_hash, sizeof(fixture_os_image_hash));
	add_runtime(f, "key-provider", fixture_key_provider, strlen(fixture_key_provider));
	add_runtime(f, "system-ready", "", 0);
	add_runtime(f, "app-id", fixture_late_app_id, sizeof(fixture_late_app_id));

	for (size_t i = 0; i < f->runtime_count; i++) {
		uint8_t digest[48];

		runtime_digest(&f->runtime[i], digest);
		add_event(f, 3, RATLS_RUNTIME_EVENT_TYPE, log_digests ? digest : NULL,
			  f->runtime[i].name, f->runtime[i].payload, f->runtime[i].payload_size);
	}
	snprintf(f->config, sizeof(f->config),
		 "{\"os_image_hash\":\"%s\",\"cpu_count\":2}",
		 "4444444444444444444444444444444444444444444444444444444444444444");
	fixture_rebuild_quote(f);
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->runtime_count; i++)
		ratls_evidence_clear_runtime_event(&f->runtime[i]);
	for (size_t i = 0; i < f->event_count; i++)
		ratls_evidence_clear_event(&f->events[i]);
	free(f->quote);
	memset(f, 0, sizeof(*f));
}

static uint8_t *fixture_encode_v0(const struct fixture *f, size_t *size)
{
	struct ratls_detail d = {0};
	uint8_t *out = NULL;
	int rc = ratls_evidence_encode_v0(f->quote, f->quote_size, f->events, f->event_count,
					  f->runtime, f->runtime_count, f->report_data, f->config,
					  strlen(f->config), &out, size, &d);

	if (rc != RATLS_OK)
		fail_msg("encoding failed: %s", d.message);
	return out;
}

static const uint8_t zero_report_data[64];

/* Writes the JSON TdxEvent array of the fixture's log into a new string. */
static char *fixture_event_log_json(const struct fixture *f)
{
	size_t cap = 65536;
	char *json = malloc(cap);
	size_t n = 0;

	assert_non_null(json);
	n += (size_t)snprintf(json + n, cap - n, "[");
	for (size_t i = 0; i < f->event_count; i++) {
		const struct ratls_tdx_event *e = &f->events[i];
		char digest[97] = "";
		char payload[2 * 64 + 1];

		assert_true(e->payload_size <= 64);
		if (e->digest_size != 0)
			ratls_hex_encode(e->digest, e->digest_size, digest);
		ratls_hex_encode(e->payload, e->payload_size, payload);
		n += (size_t)snprintf(json + n, cap - n,
				      "%s{\"imr\":%u,\"event_type\":%u,\"digest\":\"%s\","
				      "\"event\":\"%s\",\"event_payload\":\"%s\"}",
				      i > 0 ? "," : "", e->imr, e->event_type, digest, e->name,
				      payload);
		assert_true(n < cap);
	}
	n += (size_t)snprintf(json + n, cap - n, "]");
	assert_true(n < cap);
	return json;
}

/* ---------------------------------------------------------------------------------------------
 * SCALE primitives
 */

static void test_scale_compact_canonical(void **state)
{
	static const struct {
		const char *hex;
		uint32_t value;
	} cases[] = {
		{"00", 0},
		{"04", 1},
		{"fc", 63},
		{"0101", 64},
		{"fdff", 16383},
		{"02000100", 16384},
		{"feffffff", (1u << 30) - 1},
		{"0300000040", 1u << 30},
		{"03ffffffff", UINT32_MAX},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t bytes[8];
		size_t n = strlen(cases[i].hex) / 2;
		struct ratls_reader r;
		struct ratls_buffer b = {0};
		uint32_t v = 0;

		hex_to_bytes(cases[i].hex, bytes, n);
		ratls_reader_init(&r, bytes, n);
		assert_int_equal(ratls_scale_read_compact(&r, &v), RATLS_OK);
		assert_int_equal(v, cases[i].value);
		assert_int_equal(r.offset, n);

		/* The encoder writes exactly the canonical bytes back. */
		ratls_scale_append_compact(&b, cases[i].value);
		assert_false(b.failed);
		assert_int_equal(b.size, n);
		assert_memory_equal(b.data, bytes, n);
		free(b.data);
	}
}

static void test_scale_compact_rejected(void **state)
{
	static const struct {
		const char *hex;
		int code;
	} cases[] = {
		{"0100", RATLS_ERR_MALFORMED},         /* 0 in two bytes */
		{"fd00", RATLS_ERR_MALFORMED},         /* 63 in two bytes */
		{"02000000", RATLS_ERR_MALFORMED},     /* 0 in four bytes */
		{"fe ff 00 00", RATLS_ERR_MALFORMED},  /* 16383 in four bytes */
		{"03ffffff3f", RATLS_ERR_MALFORMED},   /* 2^30 - 1 in big-integer mode */
		{"0700000000ff", RATLS_ERR_MALFORMED}, /* five value bytes: above u32 */
		{"", RATLS_ERR_TRUNCATED},
		{"01", RATLS_ERR_TRUNCATED},
		{"020000", RATLS_ERR_TRUNCATED},
		{"03000000", RATLS_ERR_TRUNCATED},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t bytes[8];
		char hex[32];
		size_t n = 0;
		struct ratls_reader r;
		uint32_t v = 0xdeadbeef;

		/* Drop the spaces some cases use for readability. */
		for (const char *p = cases[i].hex; *p != '\0'; p++) {
			if (*p != ' ')
				hex[n++] = *p;
		}
		hex[n] = '\0';
		n /= 2;
		if (n != 0)
			hex_to_bytes(hex, bytes, n);
		ratls_reader_init(&r, bytes, n);
		assert_int_equal(ratls_scale_read_compact(&r, &v), cases[i].code);
		assert_int_equal(r.offset, 0);
		assert_int_equal(v, 0xdeadbeef);
	}
}

static void test_scale_bool(void **state)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0x02, 0xff};
	struct ratls_reader r;
	bool b = false;

	(void)state;
	ratls_reader_init(&r, bytes, 1);
	assert_int_equal(ratls_scale_read_bool(&r, &b), RATLS_OK);
	assert_false(b);
	ratls_reader_init(&r, bytes + 1, 1);
	assert_int_equal(ratls_scale_read_bool(&r, &b), RATLS_OK);
	assert_true(b);
	for (size_t i = 2; i < sizeof(bytes); i++) {
		ratls_reader_init(&r, bytes + i, 1);
		assert_int_equal(ratls_scale_read_bool(&r, &b), RATLS_ERR_MALFORMED);
		assert_int_equal(r.offset, 0);
	}
	ratls_reader_init(&r, bytes, 0);
	assert_int_equal(ratls_scale_read_bool(&r, &b), RATLS_ERR_TRUNCATED);
}

static void test_utf8_validation(void **state)
{
	static const struct {
		const char *text;
		bool valid;
	} cases[] = {
		{"app-id", true},
		{"caf\xc3\xa9", true},
		{"\xe2\x82\xac", true},
		{"\xf0\x9f\x98\x80", true},
		{"\xc0\x80", false},         /* overlong NUL */
		{"\xe0\x80\xaf", false},     /* overlong '/' */
		{"\xed\xa0\x80", false},     /* surrogate U+D800 */
		{"\xf4\x90\x80\x80", false}, /* above U+10FFFF */
		{"\xe2\x82", false},         /* cut short */
		{"\x80", false},             /* continuation byte first */
		{"\xff", false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(ratls_utf8_valid((const uint8_t *)cases[i].text,
						  strlen(cases[i].text)),
				 cases[i].valid);
}

/* ---------------------------------------------------------------------------------------------
 * Runtime event digests and RTMR extension
 */

/* Digests listed in the dstack simulator's eventlog.json for events with empty payloads. */
static void test_runtime_digest_vectors(void **state)
{
	static const struct {
		const char *name;
		const char *digest;
	} cases[] = {
		{"system-preparing", "f9974020ef507068183313d0ca808e0d1ca9b2d1ad0c61f5784e7157c362c0"
				     "6536f5ddacdad4451693f48fcc72fff624"},
		{"boot-mr-done", "98bd7e6bd3952720b65027fd494834045d06b4a714bf737a06b874638b3ea00f"
				 "f402f7f583e3e3b05e921c8570433ac6"},
		{"system-ready", "1a76b2a80a0be71eae59f80945d876351a7a3fb8e9fd1ff1cede5734aa84ea11"
				 "fd72b4edfbb6f04e5a85edd114c751bd"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ratls_detail d = {0};
		uint8_t digest[48];

		assert_int_equal(ratls_evidence_digest_runtime_event(cases[i].name,
								     strlen(cases[i].name), NULL, 0,
								     1, digest, &d),
				 RATLS_OK);
		assert_hex(digest, sizeof(digest), cases[i].digest);
	}
}

/* Version 2: SHA-384 of {"name":"compose-hash","payload":"abcd","type":134217729}. */
static void test_runtime_digest_v2(void **state)
{
	static const char preimage[] = "{\"name\":\"compose-hash\",\"payload\":\"abcd\","
				       "\"type\":134217729}";
	static const char escaped[] = "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"payload\":\"\","
				      "\"type\":134217729}";
	static const uint8_t payload[] = {0xab, 0xcd};
	struct ratls_detail d = {0};
	uint8_t digest[48];
	uint8_t expected[48];
	char hex[97];

	(void)state;
	assert_int_equal(ratls_evidence_digest_runtime_event("compose-hash", 12, payload,
							     sizeof(payload), 2, digest, &d),
			 RATLS_OK);
	sha384(preimage, strlen(preimage), expected);
	assert_memory_equal(digest, expected, 48);
	/* Leading and trailing bytes of the value computed with dstack's JCS rule. */
	ratls_hex_encode(digest, sizeof(digest), hex);
	assert_memory_equal(hex, "9dde1673", 8);
	assert_string_equal(hex + 88, "a050ad7b");

	/* JCS escapes quotes, backslashes and control characters in the name. */
	assert_int_equal(ratls_evidence_digest_runtime_event("a\"b\\c\n\x01", 7, NULL, 0, 2, digest,
							     &d),
			 RATLS_OK);
	sha384(escaped, strlen(escaped), expected);
	assert_memory_equal(digest, expected, 48);

	assert_int_equal(ratls_evidence_digest_runtime_event("x", 1, NULL, 0, 3, digest, &d),
			 RATLS_ERR_UNSUPPORTED_VERSION);
}

static void test_extend_rtmr(void **state)
{
	struct ratls_detail d = {0};
	uint8_t rtmr[48] = {0};
	uint8_t expected[48] = {0};
	uint8_t digest[48];

	(void)state;
	memset(digest, 0xab, sizeof(digest));
	assert_int_equal(ratls_evidence_extend_rtmr(rtmr, digest, &d), RATLS_OK);
	extend(expected, digest);
	assert_memory_equal(rtmr, expected, 48);
}

/* ---------------------------------------------------------------------------------------------
 * V0 (SCALE) envelopes
 */

static void assert_events_equal(const struct ratls_tdx_event *a, const struct ratls_tdx_event *b)
{
	assert_int_equal(a->imr, b->imr);
	assert_int_equal(a->event_type, b->event_type);
	assert_int_equal(a->digest_size, b->digest_size);
	if (a->digest_size != 0)
		assert_memory_equal(a->digest, b->digest, a->digest_size);
	assert_int_equal(a->name_size, b->name_size);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->payload_size, b->payload_size);
	if (a->payload_size != 0)
		assert_memory_equal(a->payload, b->payload, a->payload_size);
	assert_int_equal(a->version, b->version);
}

static void test_v0_round_trip(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	uint8_t *bytes;
	uint8_t *again = NULL;
	size_t size = 0;
	size_t again_size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	bytes = fixture_encode_v0(&f, &size);
	assert_int_equal(bytes[0], 0x00);
	assert_int_equal(bytes[1], 0x00);

	if (decode_attestation(bytes, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	assert_int_equal(ev->format, RATLS_EVIDENCE_V0_SCALE);
	assert_string_equal(ratls_evidence_format_name(ev->format), "v0-scale");
	assert_int_equal(ev->stack, RATLS_STACK_DSTACK);
	assert_int_equal(ev->quote_size, f.quote_size);
	assert_memory_equal(ev->quote, f.quote, f.quote_size);
	assert_int_equal(ev->event_count, f.event_count);
	for (size_t i = 0; i < f.event_count; i++)
		assert_events_equal(&ev->events[i], &f.events[i]);
	assert_int_equal(ev->runtime_event_count, f.runtime_count);
	for (size_t i = 0; i < f.runtime_count; i++) {
		assert_string_equal(ev->runtime_events[i].name, f.runtime[i].name);
		assert_int_equal(ev->runtime_events[i].payload_size, f.runtime[i].payload_size);
		assert_int_equal(ev->runtime_events[i].version, 1);
	}
	assert_memory_equal(ev->report_data, zero_report_data, 64);
	assert_string_equal(ev->config, f.config);
	assert_false(ev->from_cert);

	/* Re-encoding the decoded parts gives the same bytes. */
	assert_int_equal(ratls_evidence_encode_v0(ev->quote, ev->quote_size, ev->events,
						  ev->event_count, ev->runtime_events,
						  ev->runtime_event_count, ev->report_data, ev->config,
						  ev->config_size, &again, &again_size, &d),
			 RATLS_OK);
	assert_int_equal(again_size, size);
	assert_memory_equal(again, bytes, size);

	free(again);
	free(bytes);
	ratls_evidence_free(ev);
	fixture_free(&f);
}

static void test_v0_truncated_every_offset(void **state)
{
	struct fixture f;
	uint8_t *bytes;
	size_t size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, true);
	bytes = fixture_encode_v0(&f, &size);

	expect_attestation_error(bytes, 0, RATLS_ERR_MALFORMED, "empty");
	for (size_t n = 1; n < size; n++) {
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d;
		int rc = decode_attestation(bytes, n, &ev, &d);

		if (rc != RATLS_ERR_TRUNCATED)
			fail_msg("prefix of %zu of %zu bytes: expected RATLS_ERR_TRUNCATED, got %s: %s",
				 n, size, ratls_error_name(rc), d.message);
		assert_null(ev);
	}

	/* One byte more is trailing data. */
	{
		uint8_t *longer = malloc(size + 1);

		assert_non_null(longer);
		memcpy(longer, bytes, size);
		longer[size] = 0;
		expect_attestation_error(longer, size + 1, RATLS_ERR_TRAILING_DATA, "after its last");
		free(longer);
	}
	free(bytes);
	fixture_free(&f);
}

/* Hand-built V0 envelopes with one unusual event. */
struct raw_v0 {
	struct ratls_buffer b;
};

static void raw_v0_begin(struct raw_v0 *v, const struct fixture *f, uint8_t variant)
{
	memset(v, 0, sizeof(*v));
	ratls_buffer_append_u8(&v->b, 0x00);
	ratls_buffer_append_u8(&v->b, variant);
	ratls_scale_append_compact(&v->b, (uint32_t)f->quote_size);
	ratls_buffer_append(&v->b, f->quote, f->quote_size);
}

/* Appends one TDX event (count 1) and an empty runtime event list, report_data and config. */
static void raw_v0_one_event(struct raw_v0 *v, const struct fixture *f, uint32_t imr,
			     size_t digest_size, const void *name, size_t name_size)
{
	uint8_t digest[64] = {0};

	ratls_scale_append_compact(&v->b, 1);
	ratls_buffer_append_u32le(&v->b, imr);
	ratls_buffer_append_u32le(&v->b, 1);
	ratls_scale_append_compact(&v->b, (uint32_t)digest_size);
	ratls_buffer_append(&v->b, digest, digest_size);
	ratls_scale_append_compact(&v->b, (uint32_t)name_size);
	ratls_buffer_append(&v->b, name, name_size);
	ratls_scale_append_compact(&v->b, 0);
	ratls_scale_append_compact(&v->b, 0);
	ratls_buffer_append(&v->b, f->report_data, 64);
	ratls_scale_append_compact(&v->b, 0);
	assert_false(v->b.failed);
}

static void test_v0_bad_events(void **state)
{
	struct fixture f;
	struct raw_v0 v;
	char long_name[RATLS_EVENT_NAME_MAX + 1];

	(void)state;
	fixture_init(&f, zero_report_data, true);

	/* A well-formed one first, so the failures below are due to the one change each. */
	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 1, 48, "ok", 2);
	{
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d;

		if (decode_attestation(v.b.data, v.b.size, &ev, &d) != RATLS_OK)
			fail_msg("baseline failed: %s", d.message);
		assert_int_equal(ev->event_count, 1);
		ratls_evidence_free(ev);
	}
	free(v.b.data);

	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 1, 32, "ok", 2);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_MALFORMED, "32-byte digest");
	free(v.b.data);

	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 4, 48, "ok", 2);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_MALFORMED, "imr 4");
	free(v.b.data);

	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 1, 48, "a\xff", 2);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_MALFORMED, "UTF-8");
	free(v.b.data);

	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 1, 48, "a\0b", 3);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_MALFORMED, "NUL");
	free(v.b.data);

	memset(long_name, 'n', sizeof(long_name));
	raw_v0_begin(&v, &f, 0);
	raw_v0_one_event(&v, &f, 1, 48, long_name, sizeof(long_name));
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED, "limit is 256");
	free(v.b.data);

	fixture_free(&f);
}

/* Builds: version 0, variant 0, then compact values and raw tails as given. */
static void test_v0_bad_lengths(void **state)
{
	struct fixture f;
	struct raw_v0 v;

	(void)state;
	fixture_init(&f, zero_report_data, true);

	/* Quote length above RATLS_QUOTE_MAX_SIZE. */
	memset(&v, 0, sizeof(v));
	ratls_buffer_append(&v.b, "\x00\x00", 2);
	ratls_scale_append_compact(&v.b, RATLS_QUOTE_MAX_SIZE + 1);
	ratls_buffer_append(&v.b, f.quote, f.quote_size);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED, "RATLS_QUOTE_MAX_SIZE");
	free(v.b.data);

	/* The quote length in the 4-byte mode although it fits in 2: not canonical. */
	memset(&v, 0, sizeof(v));
	ratls_buffer_append(&v.b, "\x00\x00", 2);
	ratls_buffer_append_u32le(&v.b, (uint32_t)f.quote_size << 2 | 2);
	ratls_buffer_append(&v.b, f.quote, f.quote_size);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_MALFORMED, "not a canonical");
	free(v.b.data);

	/* A huge event count (2^32 - 1), one above the limit, and the limit with no bytes. */
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, UINT32_MAX);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED,
				 "RATLS_EVENT_LOG_MAX_EVENTS");
	free(v.b.data);
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, RATLS_EVENT_LOG_MAX_EVENTS + 1);
	ratls_buffer_append(&v.b, f.report_data, 64);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED, "4097");
	free(v.b.data);
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, RATLS_EVENT_LOG_MAX_EVENTS);
	ratls_buffer_append(&v.b, f.report_data, 64);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_TRUNCATED, "4096 entries");
	free(v.b.data);

	/* Too many runtime events. */
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, 0);
	ratls_scale_append_compact(&v.b, RATLS_RUNTIME_EVENTS_MAX + 1);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED,
				 "RATLS_RUNTIME_EVENTS_MAX");
	free(v.b.data);

	/* A runtime event payload above the limit. */
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, 0);
	ratls_scale_append_compact(&v.b, 1);
	ratls_scale_append_compact(&v.b, 1);
	ratls_buffer_append_u8(&v.b, 'x');
	ratls_scale_append_compact(&v.b, RATLS_EVENT_PAYLOAD_MAX + 1);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED,
				 "RATLS_EVENT_PAYLOAD_MAX");
	free(v.b.data);

	/* A config above the limit. */
	raw_v0_begin(&v, &f, 0);
	ratls_scale_append_compact(&v.b, 0);
	ratls_scale_append_compact(&v.b, 0);
	ratls_buffer_append(&v.b, f.report_data, 64);
	ratls_scale_append_compact(&v.b, RATLS_EVIDENCE_CONFIG_MAX + 1);
	expect_attestation_error(v.b.data, v.b.size, RATLS_ERR_LIMIT_EXCEEDED,
				 "RATLS_EVIDENCE_CONFIG_MAX");
	free(v.b.data);

	fixture_free(&f);
}

static void test_v0_unsupported(void **state)
{
	struct fixture f;
	uint8_t *bytes;
	size_t size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, true);
	bytes = fixture_encode_v0(&f, &size);

	/* AttestationQuote variants other than DstackTdx. */
	for (uint8_t variant = 1; variant <= 5; variant++) {
		bytes[1] = variant;
		expect_attestation_error(bytes, size, RATLS_ERR_UNSUPPORTED_VERSION,
					 "unsupported platform");
	}
	bytes[1] = 0;

	/* First bytes that are neither V0 nor a msgpack map. */
	{
		static const uint8_t firsts[] = {0x01, 0x04, 0x7f, 0x90, 0xa0, 0xc0, 0xdc, 0xff};

		for (size_t i = 0; i < ARRAY_SIZE(firsts); i++) {
			bytes[0] = firsts[i];
			expect_attestation_error(bytes, size, RATLS_ERR_UNSUPPORTED_VERSION,
						 "unknown attestation wire format");
		}
		bytes[0] = 0;
	}

	/* Oversized input. */
	{
		uint8_t *big = calloc(1, RATLS_EVIDENCE_MAX_SIZE + 1);
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d = {0};

		assert_non_null(big);
		assert_int_equal(ratls_evidence_from_attestation(big, RATLS_EVIDENCE_MAX_SIZE + 1,
								 &ev, &d),
				 RATLS_ERR_LIMIT_EXCEEDED);
		assert_null(ev);
		free(big);
	}
	free(bytes);
	fixture_free(&f);
}

static void test_v0_report_data_mismatch(void **state)
{
	struct fixture f;
	uint8_t *bytes;
	size_t size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, true);
	/* The envelope's report_data differs from the quote's REPORTDATA in one byte. */
	f.report_data[17] ^= 1;
	bytes = fixture_encode_v0(&f, &size);
	expect_attestation_error(bytes, size, RATLS_ERR_KEY_BINDING, "REPORTDATA");
	free(bytes);
	fixture_free(&f);
}

static void test_encoder_rejects(void **state)
{
	struct fixture f;
	struct ratls_detail d = {0};
	uint8_t *out = NULL;
	size_t size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, true);

	f.runtime[0].version = 2;
	assert_int_equal(ratls_evidence_encode_v0(f.quote, f.quote_size, f.events, f.event_count,
						  f.runtime, f.runtime_count, f.report_data, NULL, 0,
						  &out, &size, &d),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(out);
	f.runtime[0].version = 1;

	memset(&d, 0, sizeof(d));
	f.events[0].imr = 4;
	assert_int_equal(ratls_evidence_encode_v0(f.quote, f.quote_size, f.events, f.event_count,
						  f.runtime, f.runtime_count, f.report_data, NULL, 0,
						  &out, &size, &d),
			 RATLS_ERR_MALFORMED);
	f.events[0].imr = 0;

	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_encode_v0(f.quote, f.quote_size, f.events, f.event_count,
						  f.runtime, f.runtime_count, f.report_data,
						  "\xc3", 1, &out, &size, &d),
			 RATLS_ERR_INVALID_ARGUMENT);

	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_encode_v0(f.quote, f.quote_size, f.events,
						  RATLS_EVENT_LOG_MAX_EVENTS + 1, f.runtime,
						  f.runtime_count, f.report_data, NULL, 0, &out,
						  &size, &d),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_null(out);
	fixture_free(&f);
}

/* ---------------------------------------------------------------------------------------------
 * The real dstack fixture attestation.bin (9504 bytes, V0, unstripped)
 */

static void test_attestation_bin_layout(void **state)
{
	static const struct {
		size_t offset;
		uint32_t value;
	} compacts[] = {
		{2, 5010},  /* quote length */
		{5014, 33}, /* event_log count */
		{8450, 9},  /* runtime_events count */
		{8949, 553} /* config length */
	};
	size_t size = 0;
	uint8_t *data = load_corpus(ATTESTATION_BIN, &size);
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	const struct ratls_tdx_event *app_id_event;
	uint8_t *again = NULL;
	size_t again_size = 0;
	uint8_t app_id[20];

	(void)state;
	SKIP_WITHOUT(data, ATTESTATION_BIN);
	assert_int_equal(size, 9504);
	assert_int_equal(data[0], 0x00); /* V0 */
	assert_int_equal(data[1], 0x00); /* DstackTdx */
	for (size_t i = 0; i < ARRAY_SIZE(compacts); i++) {
		struct ratls_reader r;
		uint32_t v = 0;

		ratls_reader_init(&r, data, size);
		assert_int_equal(ratls_reader_skip(&r, compacts[i].offset), RATLS_OK);
		assert_int_equal(ratls_scale_read_compact(&r, &v), RATLS_OK);
		assert_int_equal(v, compacts[i].value);
	}
	/* The config string ends exactly at the end of the file. */
	assert_int_equal(8949 + 2 + 553, size);

	if (decode_attestation(data, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding attestation.bin failed: %s", d.message);
	assert_int_equal(ev->quote_size, 5010);
	assert_int_equal(ev->event_count, 33);
	assert_int_equal(ev->runtime_event_count, 9);
	assert_int_equal(ev->config_size, 553);
	assert_memory_equal(ev->report_data, zero_report_data, 64);

	/* Event 25 (offset 7578) is the unstripped "app-id" runtime entry. */
	app_id_event = &ev->events[25];
	assert_int_equal(app_id_event->imr, 3);
	assert_int_equal(app_id_event->event_type, RATLS_RUNTIME_EVENT_TYPE);
	assert_int_equal(app_id_event->digest_size, 48);
	assert_string_equal(app_id_event->name, "app-id");
	hex_to_bytes("5bb4ff9a3837357f19dc176407a5709c62eb6c56", app_id, sizeof(app_id));
	assert_int_equal(app_id_event->payload_size, 20);
	assert_memory_equal(app_id_event->payload, app_id, 20);
	assert_string_equal(ev->runtime_events[0].name, "system-preparing");
	assert_int_equal(ev->runtime_events[0].payload_size, 0);
	assert_string_equal(ev->runtime_events[1].name, "app-id");
	assert_memory_equal(ev->runtime_events[1].payload, app_id, 20);

	/* The encoder reproduces the file byte for byte. */
	assert_int_equal(ratls_evidence_encode_v0(ev->quote, ev->quote_size, ev->events,
						  ev->event_count, ev->runtime_events,
						  ev->runtime_event_count, ev->report_data, ev->config,
						  ev->config_size, &again, &again_size, &d),
			 RATLS_OK);
	assert_int_equal(again_size, size);
	assert_memory_equal(again, data, size);

	free(again);
	ratls_evidence_free(ev);
	free(data);
}

/* The cumulative RTMR3 of the fixture's runtime events, after event 4 and after event 8. */
static void test_attestation_bin_rtmr3_steps(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(ATTESTATION_BIN, &size);
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	uint8_t rtmr[48] = {0};

	(void)state;
	SKIP_WITHOUT(data, ATTESTATION_BIN);
	if (decode_attestation(data, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding attestation.bin failed: %s", d.message);
	for (size_t i = 0; i < ev->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &ev->runtime_events[i];
		uint8_t digest[48];

		assert_int_equal(ratls_evidence_digest_runtime_event(e->name, e->name_size,
								     e->payload, e->payload_size,
								     1, digest, &d),
				 RATLS_OK);
		assert_int_equal(ratls_evidence_extend_rtmr(rtmr, digest, &d), RATLS_OK);
		if (i == 4)
			assert_hex(rtmr, 48,
				   "161d4d87fecefcad09ed96ba8f901e58eca0f422b8155e2829ef94ce084a757e"
				   "88c7f4be29df017ed72531e8efb643b7");
	}
	assert_hex(rtmr, 48,
		   "f28a1490ee924e9396c2ccf2d93ad536b83cbe159a1d45024d1fd7acdcc102145efcfcd0cfa"
		   "209416446c70226affadf");
	assert_memory_equal(rtmr, ev->parsed_quote.td.rtmr[3], 48);
	ratls_evidence_free(ev);
	free(data);
}

static void test_attestation_bin_replay(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(ATTESTATION_BIN, &size);
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d = {0};
	uint8_t expected[32];

	(void)state;
	SKIP_WITHOUT(data, ATTESTATION_BIN);
	if (decode_attestation(data, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding attestation.bin failed: %s", d.message);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	for (int i = 0; i < 4; i++)
		assert_int_equal(replay.status[i], RATLS_RTMR_MATCH);
	assert_int_equal(replay.log_event_count[3], 9);
	assert_int_equal(replay.digests_recomputed, 0); /* unstripped: every digest listed and checked */
	assert_true(replay.identity_valid);
	assert_int_equal(replay.identity.app_id_size, 20);
	assert_int_equal(replay.identity.compose_hash_size, 32);
	assert_string_equal(replay.identity.key_provider_name, "kms");
	assert_true(replay.identity.has_system_ready);
	/* The sys-config keeps vm_config as a string; its os_image_hash starts e61be43d. */
	assert_true(replay.identity.has_config_os_image_hash);
	assert_int_equal(replay.identity.config_os_image_hash[0], 0xe6);
	assert_int_equal(replay.identity.config_os_image_hash[3], 0x3d);
	/* The os-image-hash runtime event carries the same value. */
	assert_non_null(replay.identity.os_image_hash);
	assert_memory_equal(replay.identity.os_image_hash, replay.identity.config_os_image_hash, 32);
	/* MR_CONFIG_ID v1 = 0x01 || compose_hash || zeros. */
	assert_int_equal(ev->parsed_quote.td.mr_config_id[0], 1);
	assert_memory_equal(ev->parsed_quote.td.mr_config_id + 1, replay.identity.compose_hash, 32);

	/* mr_key_provider = SHA-256 of the key-provider payload, as dstack derives mr_system. */
	{
		uint8_t buf[48 * 4 + 32];
		const struct ratls_td_report *td = &ev->parsed_quote.td;

		sha256(replay.identity.key_provider_info, replay.identity.key_provider_info_size,
		       buf + 48 * 4);
		memcpy(buf, td->mr_td, 48);
		for (int i = 0; i < 3; i++)
			memcpy(buf + 48 * (i + 1), td->rtmr[i], 48);
		sha256(buf, sizeof(buf), expected);
		assert_memory_equal(replay.identity.mr_system, expected, 32);
	}
	ratls_evidence_free(ev);
	free(data);
}

static void test_lite_attestation_replay(void **state)
{
	size_t size = 0;
	uint8_t *data = load_corpus(LITE_ATTESTATION, &size);
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d = {0};

	(void)state;
	SKIP_WITHOUT(data, LITE_ATTESTATION);
	if (ratls_evidence_from_getquote(data, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	assert_int_equal(ev->format, RATLS_EVIDENCE_V0_SCALE);
	/* Stripped the dstack 0.6 way: three ACPI events and the nine runtime events. */
	assert_int_equal(ev->event_count, 12);
	assert_memory_equal(ev->report_data, "dip1::secp256k1c-pk:", 20);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	assert_int_equal(replay.status[0], RATLS_RTMR_NOT_REPLAYED);
	assert_int_equal(replay.status[1], RATLS_RTMR_NOT_REPLAYED);
	assert_int_equal(replay.status[2], RATLS_RTMR_NOT_REPLAYED);
	assert_int_equal(replay.status[3], RATLS_RTMR_MATCH);
	assert_int_equal(replay.digests_recomputed, 9);
	assert_true(replay.identity_valid);
	ratls_evidence_free(ev);
	free(data);
}

/* ---------------------------------------------------------------------------------------------
 * Replay and identity on the synthetic fixture
 */

static struct ratls_evidence *decode_fixture(const struct fixture *f)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d;
	size_t size = 0;
	uint8_t *bytes = fixture_encode_v0(f, &size);

	if (decode_attestation(bytes, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding the fixture failed: %s", d.message);
	free(bytes);
	return ev;
}

static void test_replay_identity(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;
	struct ratls_replay replay;
	struct ratls_detail d = {0};
	uint8_t kp_id[4] = {0x30, 0x59, 0xab, 0xcd};

	(void)state;
	fixture_init(&f, zero_report_data, false);
	ev = decode_fixture(&f);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);

	for (int i = 0; i < 4; i++) {
		assert_int_equal(replay.status[i], RATLS_RTMR_MATCH);
		assert_memory_equal(replay.replayed[i], f.rtmr[i], 48);
		assert_memory_equal(replay.quote_rtmr[i], f.rtmr[i], 48);
	}
	assert_string_equal(ratls_rtmr_status_name(replay.status[0]), "match");
	assert_int_equal(replay.log_event_count[0], 2);
	assert_int_equal(replay.log_event_count[1], 1);
	assert_int_equal(replay.log_event_count[2], 1);
	assert_int_equal(replay.log_event_count[3], f.runtime_count);
	assert_int_equal(replay.runtime_event_count, f.runtime_count);
	assert_int_equal(replay.digests_recomputed, f.runtime_count);

	assert_true(replay.identity_valid);
	assert_memory_equal(replay.identity.app_id, fixture_app_id, 20);
	assert_memory_equal(replay.identity.compose_hash, fixture_compose_hash, 32);
	assert_true(replay.identity.has_instance_id);
	assert_memory_equal(replay.identity.instance_id, fixture_instance_id, 20);
	assert_memory_equal(replay.identity.os_image_hash, fixture_os_image_hash, 32);
	assert_string_equal(replay.identity.key_provider_name, "kms");
	assert_int_equal(replay.identity.key_provider_id_size, 4);
	assert_memory_equal(replay.identity.key_provider_id, kp_id, 4);
	assert_true(replay.identity.has_system_ready);
	assert_true(replay.identity.has_config_os_image_hash);
	assert_memory_equal(replay.identity.config_os_image_hash, fixture_os_image_hash, 32);

	/* mr_aggregated = SHA-256(MRTD || RTMR0-3); MR_CONFIG_ID and the owner fields are zero. */
	{
		uint8_t buf[48 * 5];
		uint8_t expected[32];

		memset(buf, 0x5a, 48);
		for (int i = 0; i < 4; i++)
			memcpy(buf + 48 * (i + 1), f.rtmr[i], 48);
		sha256(buf, sizeof(buf), expected);
		assert_memory_equal(replay.identity.mr_aggregated, expected, 32);
	}
	ratls_evidence_free(ev);
	fixture_free(&f);
}

/* An app-id after system-ready is replayed into RTMR3 but never becomes the identity. */
static void test_identity_ignores_events_after_system_ready(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;
	struct ratls_replay replay;
	struct ratls_detail d = {0};

	(void)state;
	fixture_init(&f, zero_report_data, false);
	/* Drop the first app-id: the only remaining one comes after system-ready. */
	ratls_evidence_clear_runtime_event(&f.runtime[1]);
	f.runtime[1].name = ratls_evidence_copy_string("storage-fs", 10);
	f.runtime[1].name_size = 10;
	f.runtime[1].payload = ratls_evidence_copy_bytes("zfs", 3);
	f.runtime[1].payload_size = 3;
	f.runtime[1].version = 1;
	ratls_evidence_clear_event(&f.events[4 + 1]);
	f.events[5].imr = 3;
	f.events[5].event_type = RATLS_RUNTIME_EVENT_TYPE;
	f.events[5].name = ratls_evidence_copy_string("storage-fs", 10);
	f.events[5].name_size = 10;
	f.events[5].payload = ratls_evidence_copy_bytes("zfs", 3);
	f.events[5].payload_size = 3;
	f.events[5].version = 1;
	fixture_rebuild_quote(&f);

	ev = decode_fixture(&f);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	assert_true(replay.identity_valid);
	assert_null(replay.identity.app_id);
	assert_int_equal(replay.identity.app_id_size, 0);
	assert_memory_equal(replay.identity.compose_hash, fixture_compose_hash, 32);
	ratls_evidence_free(ev);
	fixture_free(&f);
}

static void expect_replay_error(struct ratls_evidence *ev, int want, const char *needle)
{
	struct ratls_replay replay;
	struct ratls_detail d = {0};
	int rc = ratls_evidence_replay(ev, &replay, &d);

	if (rc != want)
		fail_msg("expected %s, got %s: %s", ratls_error_name(want), ratls_error_name(rc),
			 d.message);
	assert_false(replay.identity_valid);
	assert_null(replay.identity.app_id);
	if (needle != NULL && strstr(d.message, needle) == NULL)
		fail_msg("detail \"%s\" does not mention \"%s\"", d.message, needle);
}

static void test_replay_runtime_payload_changed(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;
	struct ratls_replay replay;
	struct ratls_detail d = {0};

	(void)state;
	fixture_init(&f, zero_report_data, false);
	/* The quote was built for the original payload; alter one byte of the compose hash. */
	f.runtime[2].payload[0] ^= 1;
	f.events[4 + 2].payload[0] ^= 1;
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "RTMR3");

	/* The statuses are still filled for display. */
	assert_int_equal(ratls_evidence_replay(ev, &replay, &d), RATLS_ERR_EVENT_LOG);
	assert_int_equal(replay.status[3], RATLS_RTMR_MISMATCH);
	assert_int_equal(replay.status[0], RATLS_RTMR_MATCH);
	assert_string_equal(ratls_rtmr_status_name(replay.status[3]), "mismatch");
	ratls_evidence_free(ev);
	fixture_free(&f);
}

static void test_replay_boot_digest_changed(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	f.events[2].digest[47] ^= 0x80; /* the RTMR1 event */
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "RTMR1 replayed");
	ratls_evidence_free(ev);
	fixture_free(&f);
}

/* The log's IMR 3 entries disagree with the runtime events. */
static void test_replay_log_disagrees(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;
	uint8_t digest[48];

	(void)state;
	/* A payload differs between the log entry and the runtime event. */
	fixture_init(&f, zero_report_data, false);
	f.events[4 + 3].payload[5] ^= 1;
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "differs from runtime event 3");
	ratls_evidence_free(ev);
	fixture_free(&f);

	/* A listed digest that is not the digest of the name and payload. */
	fixture_init(&f, zero_report_data, true);
	f.events[4 + 6].digest[0] ^= 1;
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "lists a digest");
	ratls_evidence_free(ev);
	fixture_free(&f);

	/* A boot event type in IMR 3. */
	fixture_init(&f, zero_report_data, false);
	f.events[4].event_type = 0x80000001u;
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "RTMR3 holds");
	ratls_evidence_free(ev);
	fixture_free(&f);

	/* The log lists fewer IMR 3 entries than there are runtime events. */
	fixture_init(&f, zero_report_data, false);
	ratls_evidence_clear_event(&f.events[f.event_count - 1]);
	f.event_count--;
	ev = decode_fixture(&f);
	expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "IMR 3 entries");
	ratls_evidence_free(ev);
	fixture_free(&f);

	/* A correct listed digest passes (baseline for the case above). */
	fixture_init(&f, zero_report_data, true);
	runtime_digest(&f.runtime[0], digest);
	assert_memory_equal(f.events[4].digest, digest, 48);
	ev = decode_fixture(&f);
	{
		struct ratls_replay replay;
		struct ratls_detail d = {0};

		if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
			fail_msg("replay failed: %s", d.message);
		assert_int_equal(replay.digests_recomputed, 0);
	}
	ratls_evidence_free(ev);
	fixture_free(&f);
}

/* Without events for each of IMR 0-2, RTMR0-2 are reported as not replayed, never as a match. */
static void test_replay_stripped_log(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev;
	struct ratls_replay replay;
	struct ratls_detail d = {0};

	(void)state;
	fixture_init(&f, zero_report_data, false);
	/* Keep only the ACPI event of IMR 0 and the IMR 3 entries, as a stripped certificate does. */
	ratls_evidence_clear_event(&f.events[0]);
	ratls_evidence_clear_event(&f.events[2]);
	ratls_evidence_clear_event(&f.events[3]);
	f.events[0] = f.events[1];
	memmove(&f.events[1], &f.events[4], (f.event_count - 4) * sizeof(f.events[0]));
	f.event_count -= 3;
	memset(&f.events[f.event_count], 0, 3 * sizeof(f.events[0]));
	ev = decode_fixture(&f);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	for (int i = 0; i < 3; i++)
		assert_int_equal(replay.status[i], RATLS_RTMR_NOT_REPLAYED);
	assert_string_equal(ratls_rtmr_status_name(replay.status[0]), "not-replayed");
	assert_int_equal(replay.status[3], RATLS_RTMR_MATCH);
	assert_int_equal(replay.log_event_count[0], 1);
	assert_true(replay.identity_valid);
	ratls_evidence_free(ev);
	fixture_free(&f);
}

static void test_identity_bad_payloads(void **state)
{
	static const struct {
		size_t index;
		const char *payload;
		const char *needle;
	} cases[] = {
		{1, "short", "app-id runtime event has a 5-byte payload"},
		{2, "not 32 bytes", "compose-hash"},
		{6, "{\"name\":\"kms\"}", "exactly"},
		{6, "{\"name\":\"kms\",\"id\":\"abc\"}", "hex digits"},
		{6, "[1,2]", "exactly"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fixture f;
		struct ratls_evidence *ev;
		size_t k = cases[i].index;
		size_t n = strlen(cases[i].payload);

		fixture_init(&f, zero_report_data, false);
		free(f.runtime[k].payload);
		f.runtime[k].payload = ratls_evidence_copy_bytes(cases[i].payload, n);
		f.runtime[k].payload_size = n;
		free(f.events[4 + k].payload);
		f.events[4 + k].payload = ratls_evidence_copy_bytes(cases[i].payload, n);
		f.events[4 + k].payload_size = n;
		fixture_rebuild_quote(&f);
		ev = decode_fixture(&f);
		expect_replay_error(ev, RATLS_ERR_EVENT_LOG, cases[i].needle);
		ratls_evidence_free(ev);
		fixture_free(&f);
	}
}

/* ---------------------------------------------------------------------------------------------
 * V1 (msgpack) envelopes built with msgpack-c's packer
 */

struct v1_options {
	uint64_t version;
	const char *platform_kind;
	const char *stack_kind;
	bool bytes_as_bin;       /* quote and report_data as bin instead of arrays of integers */
	size_t report_data_size; /* normally 64 */
	const char *pod_payload; /* report_data_payload for dstack-pod */
	bool extra_key;          /* an unknown top-level key */
	bool duplicate_key;      /* "version" twice */
	bool v2_runtime_events;  /* runtime events marked version 2, log entries with preimages */
	bool bad_preimage;
	bool override_first;     /* quote[0] is first_byte in the array form */
	int first_byte;
};

static const struct v1_options v1_defaults = {
	.version = 1,
	.platform_kind = "tdx",
	.stack_kind = "dstack",
	.report_data_size = 64,
};

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void pack_bin(msgpack_packer *pk, const void *data, size_t size)
{
	msgpack_pack_bin(pk, size);
	msgpack_pack_bin_body(pk, data, size);
}

/* A Vec<u8> as rmp-serde writes it by default: an array of integers. */
static void pack_byte_array(msgpack_packer *pk, const uint8_t *data, size_t size,
			    const struct v1_options *o)
{
	msgpack_pack_array(pk, size);
	for (size_t i = 0; i < size; i++) {
		if (i == 0 && o != NULL && o->override_first)
			msgpack_pack_int(pk, o->first_byte);
		else
			msgpack_pack_uint8(pk, data[i]);
	}
}

static char *v2_preimage(const struct ratls_runtime_event *e)
{
	static const char hex[] = "0123456789abcdef";
	size_t cap = 64 + e->name_size + 2 * e->payload_size;
	char *out = malloc(cap);
	size_t n = 0;

	assert_non_null(out);
	n += (size_t)snprintf(out, cap, "{\"name\":\"%s\",\"payload\":\"", e->name);
	for (size_t i = 0; i < e->payload_size; i++) {
		out[n++] = hex[e->payload[i] >> 4];
		out[n++] = hex[e->payload[i] & 15];
	}
	n += (size_t)snprintf(out + n, cap - n, "\",\"type\":134217729}");
	return out;
}

static void pack_preimage_hex(msgpack_packer *pk, const char *preimage, bool corrupt)
{
	size_t n = strlen(preimage);
	char *hex = malloc(2 * n + 1);

	assert_non_null(hex);
	ratls_hex_encode((const uint8_t *)preimage, n, hex);
	if (corrupt)
		hex[2 * n - 1] = hex[2 * n - 1] == '0' ? '1' : '0';
	msgpack_pack_str(pk, 2 * n);
	msgpack_pack_str_body(pk, hex, 2 * n);
	free(hex);
}

static void pack_event(msgpack_packer *pk, const struct ratls_tdx_event *e,
		       const struct ratls_runtime_event *runtime, const struct v1_options *o)
{
	bool v2 = o->v2_runtime_events && runtime != NULL;
	char *preimage = v2 ? v2_preimage(runtime) : NULL;

	msgpack_pack_map(pk, v2 ? 7 : 5);
	pack_str(pk, "imr");
	msgpack_pack_uint32(pk, e->imr);
	pack_str(pk, "event_type");
	msgpack_pack_uint32(pk, e->event_type);
	pack_str(pk, "digest");
	pack_bin(pk, e->digest, e->digest_size);
	pack_str(pk, "event");
	pack_str(pk, e->name);
	pack_str(pk, "event_payload");
	pack_bin(pk, e->payload, e->payload_size);
	if (v2) {
		pack_str(pk, "version");
		msgpack_pack_uint8(pk, 2);
		pack_str(pk, "preimage");
		pack_preimage_hex(pk, preimage, o->bad_preimage);
	}
	free(preimage);
}

static uint8_t *build_v1(const struct fixture *f, const struct v1_options *o, size_t *size)
{
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	bool pod = strcmp(o->stack_kind, "dstack-pod") == 0;
	uint8_t *out;

	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);

	msgpack_pack_map(&pk, 3 + (o->extra_key ? 1 : 0) + (o->duplicate_key ? 1 : 0));
	pack_str(&pk, "version");
	msgpack_pack_uint64(&pk, o->version);
	if (o->duplicate_key) {
		pack_str(&pk, "version");
		msgpack_pack_uint64(&pk, o->version);
	}

	pack_str(&pk, "platform");
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "kind");
	pack_str(&pk, o->platform_kind);
	pack_str(&pk, "data");
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "quote");
	if (o->bytes_as_bin)
		pack_bin(&pk, f->quote, f->quote_size);
	else
		pack_byte_array(&pk, f->quote, f->quote_size, o);
	pack_str(&pk, "event_log");
	msgpack_pack_array(&pk, f->event_count);
	for (size_t i = 0; i < f->event_count; i++) {
		const struct ratls_tdx_event *e = &f->events[i];
		size_t runtime_index = i - (f->event_count - f->runtime_count);

		pack_event(&pk, e, e->imr == 3 ? &f->runtime[runtime_index] : NULL, o);
	}

	pack_str(&pk, "stack");
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "kind");
	pack_str(&pk, o->stack_kind);
	pack_str(&pk, "data");
	msgpack_pack_map(&pk, pod ? 4 : 3);
	pack_str(&pk, "report_data");
	if (o->bytes_as_bin)
		pack_bin(&pk, f->report_data, o->report_data_size);
	else
		pack_byte_array(&pk, f->report_data, o->report_data_size, NULL);
	pack_str(&pk, "runtime_events");
	msgpack_pack_array(&pk, f->runtime_count);
	for (size_t i = 0; i < f->runtime_count; i++) {
		msgpack_pack_map(&pk, o->v2_runtime_events ? 3 : 2);
		pack_str(&pk, "event");
		pack_str(&pk, f->runtime[i].name);
		pack_str(&pk, "payload");
		pack_bin(&pk, f->runtime[i].payload, f->runtime[i].payload_size);
		if (o->v2_runtime_events) {
			pack_str(&pk, "version");
			msgpack_pack_uint8(&pk, 2);
		}
	}
	pack_str(&pk, "config");
	pack_str(&pk, f->config);
	if (pod) {
		pack_str(&pk, "report_data_payload");
		pack_str(&pk, o->pod_payload);
	}
	if (o->extra_key) {
		pack_str(&pk, "extra");
		msgpack_pack_nil(&pk);
	}

	out = exact_copy(sbuf.data, sbuf.size);
	*size = sbuf.size;
	msgpack_sbuffer_destroy(&sbuf);
	return out;
}

/* The fixture with runtime events marked version 2: RTMR3 uses the JCS digests. */
static void fixture_make_v2(struct fixture *f)
{
	uint8_t rtmr3[48] = {0};

	for (size_t i = 0; i < f->runtime_count; i++) {
		struct ratls_runtime_event *e = &f->runtime[i];
		char *preimage = v2_preimage(e);
		uint8_t digest[48];

		sha384(preimage, strlen(preimage), digest);
		extend(rtmr3, digest);
		free(preimage);
	}
	memcpy(f->rtmr[3], rtmr3, 48);
	free(f->quote);
	f->quote = build_quote((const uint8_t(*)[48])f->rtmr, f->report_data, &f->quote_size);
}

static void v1_expect_ok(const struct fixture *f, const struct v1_options *o)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d;
	size_t size = 0;
	uint8_t *bytes = build_v1(f, o, &size);

	if (decode_attestation(bytes, size, &ev, &d) != RATLS_OK)
		fail_msg("decoding the V1 envelope failed: %s", d.message);
	assert_int_equal(ev->format, RATLS_EVIDENCE_V1_MSGPACK);
	assert_string_equal(ratls_evidence_format_name(ev->format), "v1-msgpack");
	assert_int_equal(ev->quote_size, f->quote_size);
	assert_memory_equal(ev->quote, f->quote, f->quote_size);
	assert_int_equal(ev->event_count, f->event_count);
	assert_int_equal(ev->runtime_event_count, f->runtime_count);
	assert_string_equal(ev->config, f->config);
	memset(&d, 0, sizeof(d));
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replaying the V1 envelope failed: %s", d.message);
	assert_int_equal(replay.status[3], RATLS_RTMR_MATCH);
	assert_true(replay.identity_valid);
	ratls_evidence_free(ev);
	free(bytes);
}

static void v1_expect_error(const struct fixture *f, const struct v1_options *o, int want,
			    const char *needle)
{
	size_t size = 0;
	uint8_t *bytes = build_v1(f, o, &size);

	expect_attestation_error(bytes, size, want, needle);
	free(bytes);
}

static void test_v1_accepts(void **state)
{
	struct fixture f;
	struct v1_options o = v1_defaults;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	v1_expect_ok(&f, &o);       /* arrays of integers, as rmp-serde writes Vec<u8> */
	o.bytes_as_bin = true;
	v1_expect_ok(&f, &o);       /* bin */
	fixture_free(&f);

	/* Version 2 runtime events with their preimages in the log. */
	fixture_init(&f, zero_report_data, false);
	fixture_make_v2(&f);
	o = v1_defaults;
	o.v2_runtime_events = true;
	v1_expect_ok(&f, &o);
	fixture_free(&f);
}

static void test_v1_rejects(void **state)
{
	struct fixture f;
	struct v1_options o;

	(void)state;
	fixture_init(&f, zero_report_data, false);

	o = v1_defaults;
	o.version = 2;
	v1_expect_error(&f, &o, RATLS_ERR_UNSUPPORTED_VERSION, "version 2");
	o = v1_defaults;
	o.platform_kind = "sev-snp";
	v1_expect_error(&f, &o, RATLS_ERR_UNSUPPORTED_VERSION, "unsupported platform");
	o = v1_defaults;
	o.platform_kind = "TDX";
	v1_expect_error(&f, &o, RATLS_ERR_UNSUPPORTED_VERSION, "unsupported platform");
	o = v1_defaults;
	o.stack_kind = "kubernetes";
	v1_expect_error(&f, &o, RATLS_ERR_UNSUPPORTED_VERSION, "unsupported stack");
	o = v1_defaults;
	o.report_data_size = 63;
	v1_expect_error(&f, &o, RATLS_ERR_MALFORMED, "63 bytes");
	o = v1_defaults;
	o.extra_key = true;
	v1_expect_error(&f, &o, RATLS_ERR_MALFORMED, "unknown key \"extra\"");
	o = v1_defaults;
	o.duplicate_key = true;
	v1_expect_error(&f, &o, RATLS_ERR_MALFORMED, "twice");
	o = v1_defaults;
	o.override_first = true;
	o.first_byte = 256;
	v1_expect_error(&f, &o, RATLS_ERR_MALFORMED, "quote[0]");
	o.first_byte = -1;
	v1_expect_error(&f, &o, RATLS_ERR_MALFORMED, "quote[0]");
	fixture_free(&f);

	/* V2 events whose preimage is not the canonical JSON. */
	fixture_init(&f, zero_report_data, false);
	fixture_make_v2(&f);
	o = v1_defaults;
	o.v2_runtime_events = true;
	o.bad_preimage = true;
	{
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d;
		size_t size = 0;
		uint8_t *bytes = build_v1(&f, &o, &size);

		if (decode_attestation(bytes, size, &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
		expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "preimage");
		ratls_evidence_free(ev);
		free(bytes);
	}
	fixture_free(&f);
}

static void test_v1_trailing_and_truncated(void **state)
{
	struct fixture f;
	struct v1_options o = v1_defaults;
	uint8_t *bytes;
	uint8_t *longer;
	size_t size = 0;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	o.bytes_as_bin = true; /* keeps the envelope small for the loop below */
	bytes = build_v1(&f, &o, &size);

	longer = malloc(size + 1);
	assert_non_null(longer);
	memcpy(longer, bytes, size);
	longer[size] = 0xc0;
	expect_attestation_error(longer, size + 1, RATLS_ERR_TRAILING_DATA, "after its msgpack");
	free(longer);

	for (size_t n = 1; n < size; n++) {
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d;
		int rc = decode_attestation(bytes, n, &ev, &d);

		if (rc != RATLS_ERR_TRUNCATED)
			fail_msg("prefix of %zu of %zu bytes: expected RATLS_ERR_TRUNCATED, got %s: %s",
				 n, size, ratls_error_name(rc), d.message);
	}
	free(bytes);
	fixture_free(&f);
}

/* Declared counts that the input cannot hold are rejected before msgpack-c allocates them. */
static void test_v1_huge_counts(void **state)
{
	static const uint8_t map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa7};
	static const uint8_t nested[] = {0x83, 0xa7, 'v', 'e', 'r', 's', 'i', 'o', 'n',
					 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00};
	static const uint8_t bin32[] = {0x81, 0xa1, 'x', 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
	static const uint8_t reserved[] = {0x81, 0xc1, 0x00};
	size_t consumed = 0;
	struct ratls_detail d = {0};

	(void)state;
	expect_attestation_error(map32, sizeof(map32), RATLS_ERR_TRUNCATED, "declares 4294967295");
	expect_attestation_error(nested, sizeof(nested), RATLS_ERR_TRUNCATED, "declares 2147483647");
	expect_attestation_error(bin32, sizeof(bin32), RATLS_ERR_TRUNCATED, "declares 4294967295");
	expect_attestation_error(reserved, sizeof(reserved), RATLS_ERR_MALFORMED, "reserved byte");

	/* The walk measures exactly one value. */
	assert_int_equal(ratls_msgpack_walk((const uint8_t *)"\x92\x01\xa1x\xc0", 5, &consumed, &d),
			 RATLS_OK);
	assert_int_equal(consumed, 4);
}

/* {"x": [[[...nil...]]]} with levels nested arrays under the map. */
static uint8_t *nested_arrays(size_t levels, size_t *size)
{
	uint8_t *data = malloc(levels + 4);

	assert_non_null(data);
	data[0] = 0x81; /* map of one entry */
	data[1] = 0xa1; /* key "x" */
	data[2] = 'x';
	memset(data + 3, 0x91, levels); /* arrays of one element */
	data[3 + levels] = 0xc0;        /* nil */
	*size = levels + 4;
	return data;
}

static void test_v1_nesting_depth(void **state)
{
	struct ratls_detail d = {0};
	size_t consumed = 0, size = 0;
	uint8_t *data;

	(void)state;
	/* The map and 15 arrays make 16 levels: accepted by the walk. */
	data = nested_arrays(RATLS_MSGPACK_MAX_DEPTH - 1, &size);
	assert_int_equal(ratls_msgpack_walk(data, size, &consumed, &d), RATLS_OK);
	assert_int_equal(consumed, size);
	free(data);

	/* One more level, and far more (msgpack-c alone would report out of memory at 33). */
	data = nested_arrays(RATLS_MSGPACK_MAX_DEPTH, &size);
	expect_attestation_error(data, size, RATLS_ERR_LIMIT_EXCEEDED, "nested deeper than 16");
	free(data);
	data = nested_arrays(40, &size);
	expect_attestation_error(data, size, RATLS_ERR_LIMIT_EXCEEDED, "RATLS_MSGPACK_MAX_DEPTH");
	free(data);
}

static void test_v1_dstack_pod(void **state)
{
	static const char payload[] = "pod-binding-payload";
	uint8_t report_data[64];
	uint8_t buf[64];
	struct fixture f;
	struct v1_options o = v1_defaults;

	(void)state;
	memcpy(buf, "app-data:", 9);
	memcpy(buf + 9, payload, strlen(payload));
	sha512(buf, 9 + strlen(payload), report_data);
	fixture_init(&f, report_data, false);

	o.stack_kind = "dstack-pod";
	o.pod_payload = payload;
	{
		struct ratls_evidence *ev = NULL;
		struct ratls_detail d;
		size_t size = 0;
		uint8_t *bytes = build_v1(&f, &o, &size);

		if (decode_attestation(bytes, size, &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
		assert_int_equal(ev->stack, RATLS_STACK_DSTACK_POD);
		assert_string_equal(ev->report_data_payload, payload);
		ratls_evidence_free(ev);
		free(bytes);
	}
	o.pod_payload = "another-payload";
	v1_expect_error(&f, &o, RATLS_ERR_KEY_BINDING, "app-data");
	fixture_free(&f);
}

/* ---------------------------------------------------------------------------------------------
 * JSON event logs and the quote + event log form
 */

static int parse_log_text(const char *json, struct ratls_tdx_event **events, size_t *count,
			  struct ratls_detail *d)
{
	uint8_t *copy = exact_copy(json, strlen(json));
	int rc;

	memset(d, 0, sizeof(*d));
	rc = ratls_evidence_parse_event_log(copy, strlen(json), events, count, d);
	free(copy);
	return rc;
}

static void test_event_log_json(void **state)
{
	static const char good[] =
		"[{\"imr\":3,\"event_type\":134217729,\"digest\":\"\",\"event\":\"app-id\","
		"\"event_payload\":\"0A0b\"},"
		"{\"imr\":0,\"event_type\":10,\"digest\":\"" /* 48 bytes */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d2e2f\",\"event\":\"\",\"event_payload\":\"\","
		"\"version\":1}]";
	struct ratls_tdx_event *events = NULL;
	struct ratls_detail d;
	size_t count = 0;

	(void)state;
	if (parse_log_text(good, &events, &count, &d) != RATLS_OK)
		fail_msg("parsing failed: %s", d.message);
	assert_int_equal(count, 2);
	assert_int_equal(events[0].imr, 3);
	assert_int_equal(events[0].event_type, RATLS_RUNTIME_EVENT_TYPE);
	assert_int_equal(events[0].digest_size, 0);
	assert_string_equal(events[0].name, "app-id");
	assert_int_equal(events[0].payload_size, 2);
	assert_int_equal(events[0].payload[0], 0x0a);
	assert_int_equal(events[0].payload[1], 0x0b);
	assert_int_equal(events[0].version, 1);
	assert_int_equal(events[1].digest_size, 48);
	assert_int_equal(events[1].digest[47], 0x2f);
	ratls_evidence_free_events(events, count);

	/* An empty array is an empty log. */
	assert_int_equal(parse_log_text("[]", &events, &count, &d), RATLS_OK);
	assert_int_equal(count, 0);
	assert_null(events);
}

static void test_event_log_json_rejects(void **state)
{
	static const struct {
		const char *json;
		int code;
		const char *needle;
	} cases[] = {
		{"{}", RATLS_ERR_MALFORMED, "expected an array"},
		{"[1]", RATLS_ERR_MALFORMED, "not a JSON object"},
		{"[] x", RATLS_ERR_MALFORMED, "not valid JSON"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\"}]", RATLS_ERR_MALFORMED,
		 "no \"event_payload\""},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"\","
		 "\"extra\":1}]",
		 RATLS_ERR_MALFORMED, "unknown member \"extra\""},
		{"[{\"imr\":3,\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\","
		 "\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "duplicate"},
		{"[{\"imr\":4,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "imr 4"},
		{"[{\"imr\":-1,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "expected 0 to"},
		{"[{\"imr\":3,\"event_type\":4294967296,\"digest\":\"\",\"event\":\"a\","
		 "\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "event_type"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"abc\"}]",
		 RATLS_ERR_MALFORMED, "odd number"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"0x00\"}]",
		 RATLS_ERR_MALFORMED, "not hex"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"00\",\"event\":\"a\",\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "1-byte digest"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":7,\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "not a JSON string"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\",\"event_payload\":\"\","
		 "\"version\":3}]",
		 RATLS_ERR_UNSUPPORTED_VERSION, "version 3"},
		{"[{\"imr\":3,\"event_type\":1,\"digest\":\"\",\"event\":\"a\\u0000b\","
		 "\"event_payload\":\"\"}]",
		 RATLS_ERR_MALFORMED, "not valid JSON"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ratls_tdx_event *events = (struct ratls_tdx_event *)&events;
		struct ratls_detail d;
		size_t count = 99;
		int rc = parse_log_text(cases[i].json, &events, &count, &d);

		if (rc != cases[i].code)
			fail_msg("case %zu: expected %s, got %s: %s", i, ratls_error_name(cases[i].code),
				 ratls_error_name(rc), d.message);
		if (strstr(d.message, cases[i].needle) == NULL)
			fail_msg("case %zu: detail \"%s\" does not mention \"%s\"", i, d.message,
				 cases[i].needle);
		assert_null(events);
		assert_int_equal(count, 0);
	}
}

static void test_event_log_json_limits(void **state)
{
	char *json;
	size_t n = 0;
	size_t cap = (RATLS_EVENT_LOG_MAX_EVENTS + 1) * 80 + 16;
	struct ratls_tdx_event *events = NULL;
	struct ratls_detail d;
	size_t count = 0;
	char name[RATLS_EVENT_NAME_MAX + 2];

	(void)state;
	json = malloc(cap);
	assert_non_null(json);
	json[n++] = '[';
	for (int i = 0; i <= RATLS_EVENT_LOG_MAX_EVENTS; i++)
		n += (size_t)snprintf(json + n, cap - n,
				      "%s{\"imr\":1,\"event_type\":1,\"digest\":\"\",\"event\":\"\","
				      "\"event_payload\":\"\"}",
				      i > 0 ? "," : "");
	json[n++] = ']';
	json[n] = '\0';
	assert_int_equal(parse_log_text(json, &events, &count, &d), RATLS_ERR_LIMIT_EXCEEDED);
	assert_non_null(strstr(d.message, "4097 entries"));

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(json, cap,
		 "[{\"imr\":1,\"event_type\":1,\"digest\":\"\",\"event\":\"%s\",\"event_payload\":\"\"}]",
		 name);
	assert_int_equal(parse_log_text(json, &events, &count, &d), RATLS_ERR_LIMIT_EXCEEDED);
	assert_non_null(strstr(d.message, "RATLS_EVENT_NAME_MAX"));
	free(json);
}

static void test_quote_event_log_form(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d = {0};
	char *json;
	uint8_t *log;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	json = fixture_event_log_json(&f);
	log = exact_copy(json, strlen(json));
	if (ratls_evidence_from_quote(f.quote, f.quote_size, log, strlen(json), f.config,
				      strlen(f.config), &ev, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	assert_int_equal(ev->format, RATLS_EVIDENCE_QUOTE_EVENT_LOG);
	assert_string_equal(ratls_evidence_format_name(ev->format), "quote-event-log");
	assert_int_equal(ev->runtime_event_count, f.runtime_count);
	assert_string_equal(ev->runtime_events[1].name, "app-id");
	assert_memory_equal(ev->report_data, f.report_data, 64);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	for (int i = 0; i < 4; i++)
		assert_int_equal(replay.status[i], RATLS_RTMR_MATCH);
	assert_int_equal(replay.digests_recomputed, f.runtime_count);
	ratls_evidence_free(ev);
	free(log);
	free(json);

	/* A runtime event outside IMR 3 is rejected while decoding. */
	f.events[4].imr = 2;
	json = fixture_event_log_json(&f);
	ev = NULL;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_quote(f.quote, f.quote_size, (const uint8_t *)json,
						   strlen(json), NULL, 0, &ev, &d),
			 RATLS_ERR_EVENT_LOG);
	assert_null(ev);
	assert_non_null(strstr(d.message, "imr 2"));
	free(json);

	/* A quote that does not parse. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_quote(f.quote, 100, NULL, 0, NULL, 0, &ev, &d),
			 RATLS_ERR_TRUNCATED);
	fixture_free(&f);
}

static void test_getquote_json(void **state)
{
	struct fixture f;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	char *log_json;
	char *quote_hex;
	char report_hex[129];
	char *doc;
	size_t cap;
	json_t *s;

	(void)state;
	fixture_init(&f, zero_report_data, false);
	log_json = fixture_event_log_json(&f);
	quote_hex = malloc(2 * f.quote_size + 1);
	assert_non_null(quote_hex);
	ratls_hex_encode(f.quote, f.quote_size, quote_hex);
	ratls_hex_encode(f.report_data, 64, report_hex);
	/* event_log is a JSON string holding JSON, as the guest agent sends it. */
	s = json_string(log_json);
	assert_non_null(s);
	cap = strlen(quote_hex) + 4 * strlen(log_json) + 512;
	doc = malloc(cap);
	assert_non_null(doc);
	{
		char *escaped = json_dumps(s, JSON_ENCODE_ANY);

		snprintf(doc, cap,
			 "{\"quote\":\"%s\",\"event_log\":%s,\"report_data\":\"%s\","
			 "\"vm_config\":\"{}\"}",
			 quote_hex, escaped, report_hex);
		free(escaped);
	}
	json_decref(s);

	if (ratls_evidence_from_getquote((const uint8_t *)doc, strlen(doc), &ev, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	assert_int_equal(ev->format, RATLS_EVIDENCE_QUOTE_EVENT_LOG);
	assert_string_equal(ev->config, "{}");
	ratls_evidence_free(ev);
	ev = NULL;

	/* A report_data member that differs from the quote's. */
	report_hex[0] = report_hex[0] == '0' ? '1' : '0';
	{
		char *p = strstr(doc, "\"report_data\":\"");

		assert_non_null(p);
		p[15] = report_hex[0];
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_getquote((const uint8_t *)doc, strlen(doc), &ev, &d),
			 RATLS_ERR_MALFORMED);
	assert_non_null(strstr(d.message, "report_data"));
	assert_null(ev);

	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_getquote((const uint8_t *)"{\"attestation\":\"\"}", 18,
						      &ev, &d),
			 RATLS_ERR_MALFORMED);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_getquote((const uint8_t *)"[]", 2, &ev, &d),
			 RATLS_ERR_MALFORMED);

	free(doc);
	free(quote_hex);
	free(log_json);
	fixture_free(&f);
}

/* ---------------------------------------------------------------------------------------------
 * Key binding
 */

/* Builds the P-256 key pair whose private scalar is scalar; point receives X9.62 04 || X || Y. */
static EVP_PKEY *key_from_scalar(const uint8_t scalar[32], uint8_t point[65])
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *priv = BN_bin2bn(scalar, 32, NULL);
	EC_POINT *pub = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	assert_non_null(group);
	assert_non_null(priv);
	assert_non_null(bld);
	assert_non_null(ctx);
	pub = EC_POINT_new(group);
	assert_non_null(pub);
	assert_int_equal(EC_POINT_mul(group, pub, priv, NULL, NULL, NULL), 1);
	assert_int_equal(EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, 65,
					    NULL),
			 65);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
							 "prime256v1", 0),
			 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65),
			 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params), 1);

	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EC_POINT_free(pub);
	BN_clear_free(priv);
	EC_GROUP_free(group);
	return pkey;
}

static uint8_t *spki_of(EVP_PKEY *key, size_t *size)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	uint8_t *copy;

	assert_true(n > 0);
	copy = exact_copy(der, (size_t)n);
	OPENSSL_free(der);
	*size = (size_t)n;
	return copy;
}

/* The worked example: scalar SHA-256("dstack-ratls-example") -> SPKI -> report_data. */
static void test_binding_vector(void **state)
{
	static const char seed[] = "dstack-ratls-example";
	uint8_t scalar[32];
	uint8_t point[65];
	uint8_t report_data[64];
	uint8_t *spki;
	size_t spki_size = 0;
	struct ratls_detail d = {0};
	EVP_PKEY *key;

	(void)state;
	sha256(seed, strlen(seed), scalar);
	assert_memory_equal(scalar, "\x92\x8e\x7d\xe5", 4);
	assert_memory_equal(scalar + 29, "\x5a\xfe\x8a", 3);
	key = key_from_scalar(scalar, point);
	spki = spki_of(key, &spki_size);
	assert_int_equal(spki_size, 91);
	assert_hex(spki, spki_size,
		   "3059301306072a8648ce3d020106082a8648ce3d03010703420004b350ccca00391d5a262d04df"
		   "ed123286c89d3047487df884948eb746c3cd86af9aa29bf7583911ab4b792087b666bae724de"
		   "241963c9b37dc29a5dcdd88d59ff");

	assert_int_equal(ratls_evidence_compute_report_data(spki, spki_size, report_data, &d),
			 RATLS_OK);
	assert_hex(report_data, 64,
		   "802ada5a2ac2705d2c312794811d3e81569fd9dc366c253d13087db6a2e4a7fb5c2f597388dcdd6b"
		   "be6b52b3b3ffe87bbd18950c3e4fe5a6e5834bbaf05e0b06");
	assert_int_equal(ratls_evidence_check_binding(spki, spki_size, report_data, &d), RATLS_OK);

	/* One flipped byte is a mismatch, with both values in the detail. */
	report_data[63] ^= 1;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_binding(spki, spki_size, report_data, &d),
			 RATLS_ERR_KEY_BINDING);
	assert_non_null(strstr(d.message, "802ada5a2ac2705d...e5834bbaf05e0b07"));
	assert_non_null(strstr(d.message, "802ada5a2ac2705d...e5834bbaf05e0b06"));

	/* SHA-512 over the raw point, the older binding, is named as such. */
	sha512(point, sizeof(point), report_data);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_binding(spki, spki_size, report_data, &d),
			 RATLS_ERR_KEY_BINDING);
	assert_non_null(strstr(d.message, "raw EC point"));

	/* ASCII text is named as such. */
	memset(report_data, 0, sizeof(report_data));
	memcpy(report_data, "hello, world", 12);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_binding(spki, spki_size, report_data, &d),
			 RATLS_ERR_KEY_BINDING);
	assert_non_null(strstr(d.message, "ASCII text (\"hello, world\")"));

	/* An empty SPKI cannot bind anything. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_binding(spki, 0, report_data, &d),
			 RATLS_ERR_INVALID_ARGUMENT);

	free(spki);
	EVP_PKEY_free(key);
}

/* ---------------------------------------------------------------------------------------------
 * Certificates built with OpenSSL
 */

enum { ARC_QUOTE = 1, ARC_EVENT_LOG = 2, ARC_APP_ID = 3, ARC_USAGE = 4, ARC_ATTESTATION = 8,
       ARC_APP_INFO = 9 };

struct cert_ext {
	int arc;
	const uint8_t *payload;
	size_t size;
	bool single_wrap; /* omit dstack's inner OCTET STRING */
	bool trailing;    /* a byte after the inner OCTET STRING */
};

static void der_length(struct ratls_buffer *b, size_t len)
{
	if (len < 0x80) {
		ratls_buffer_append_u8(b, (uint8_t)len);
	} else if (len < 0x100) {
		ratls_buffer_append_u8(b, 0x81);
		ratls_buffer_append_u8(b, (uint8_t)len);
	} else if (len < 0x10000) {
		ratls_buffer_append_u8(b, 0x82);
		ratls_buffer_append_u8(b, (uint8_t)(len >> 8));
		ratls_buffer_append_u8(b, (uint8_t)len);
	} else {
		ratls_buffer_append_u8(b, 0x83);
		ratls_buffer_append_u8(b, (uint8_t)(len >> 16));
		ratls_buffer_append_u8(b, (uint8_t)(len >> 8));
		ratls_buffer_append_u8(b, (uint8_t)len);
	}
}

static void add_dstack_ext(X509 *x, const struct cert_ext *e)
{
	char oid[64];
	struct ratls_buffer value = {0};
	ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	snprintf(oid, sizeof(oid), "1.3.6.1.4.1.62397.1.%d", e->arc);
	obj = OBJ_txt2obj(oid, 1);
	assert_non_null(obj);
	assert_non_null(os);
	if (!e->single_wrap) {
		ratls_buffer_append_u8(&value, 0x04);
		der_length(&value, e->size);
	}
	ratls_buffer_append(&value, e->payload, e->size);
	if (e->trailing)
		ratls_buffer_append_u8(&value, 0x00);
	assert_false(value.failed);
	assert_int_equal(ASN1_OCTET_STRING_set(os, value.data, (int)value.size), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	free(value.data);
}

/* A self-signed certificate for key with the given dstack extensions, as DER. */
static uint8_t *build_cert(EVP_PKEY *key, const struct cert_ext *exts, size_t count, size_t *size)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"ratls test", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	for (size_t i = 0; i < count; i++)
		add_dstack_ext(x, &exts[i]);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	copy = exact_copy(der, (size_t)n);
	*size = (size_t)n;
	OPENSSL_free(der);
	X509_free(x);
	return copy;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(key);
	return key;
}

/* Report data binding key, as the issuing side computes it. */
static void binding_for(EVP_PKEY *key, uint8_t report_data[64])
{
	struct ratls_detail d = {0};
	size_t spki_size = 0;
	uint8_t *spki = spki_of(key, &spki_size);

	assert_int_equal(ratls_evidence_compute_report_data(spki, spki_size, report_data, &d),
			 RATLS_OK);
	free(spki);
}

struct cert_case {
	EVP_PKEY *key;
	struct fixture full;     /* full log, digests listed */
	uint8_t *attestation;    /* V0 of the stripped form (IMR 3 entries only) */
	size_t attestation_size;
	char *event_log;         /* JSON of the full log */
};

static void cert_case_init(struct cert_case *c)
{
	struct fixture stripped;
	uint8_t report_data[64];

	c->key = new_key();
	binding_for(c->key, report_data);
	fixture_init(&c->full, report_data, true);
	c->event_log = fixture_event_log_json(&c->full);

	/* The .1.8 form keeps only the IMR 3 entries with emptied digests. */
	fixture_init(&stripped, report_data, false);
	for (size_t i = 0; i < 4; i++)
		ratls_evidence_clear_event(&stripped.events[i]);
	memmove(&stripped.events[0], &stripped.events[4],
		(stripped.event_count - 4) * sizeof(stripped.events[0]));
	memset(&stripped.events[stripped.event_count - 4], 0, 4 * sizeof(stripped.events[0]));
	stripped.event_count -= 4;
	free(stripped.quote);
	stripped.quote = exact_copy(c->full.quote, c->full.quote_size);
	stripped.quote_size = c->full.quote_size;
	c->attestation = fixture_encode_v0(&stripped, &c->attestation_size);
	fixture_free(&stripped);
}

static void cert_case_free(struct cert_case *c)
{
	EVP_PKEY_free(c->key);
	fixture_free(&c->full);
	free(c->attestation);
	free(c->event_log);
}

static int decode_cert(EVP_PKEY *key, const struct cert_ext *exts, size_t count,
		       struct ratls_evidence **ev, struct ratls_detail *d)
{
	size_t size = 0;
	uint8_t *der = build_cert(key, exts, count, &size);
	int rc;

	memset(d, 0, sizeof(*d));
	*ev = NULL;
	rc = ratls_evidence_from_cert(der, size, ev, d);
	free(der);
	return rc;
}

static void expect_cert_error(EVP_PKEY *key, const struct cert_ext *exts, size_t count, int want,
			      const char *needle)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d;
	int rc = decode_cert(key, exts, count, &ev, &d);

	if (rc != want)
		fail_msg("expected %s, got %s: %s", ratls_error_name(want), ratls_error_name(rc),
			 d.message);
	assert_null(ev);
	if (needle != NULL && strstr(d.message, needle) == NULL)
		fail_msg("detail \"%s\" does not mention \"%s\"", d.message, needle);
}

static void test_cert_attestation_extension(void **state)
{
	struct cert_case c;
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d;
	uint8_t *spki;
	size_t spki_size = 0;

	(void)state;
	cert_case_init(&c);
	{
		const struct cert_ext exts[] = {
			{ARC_APP_ID, fixture_app_id, 20, false, false},
			{ARC_USAGE, (const uint8_t *)"app:custom", 10, false, false},
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
		};

		if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
	}
	assert_true(ev->from_cert);
	assert_int_equal(ev->format, RATLS_EVIDENCE_V0_SCALE);
	assert_false(ev->legacy_cross_checked);
	assert_null(ev->cert.quote);
	assert_int_equal(ev->cert.app_id_size, 20);
	assert_memory_equal(ev->cert.cert_usage, "app:custom", 10);
	spki = spki_of(c.key, &spki_size);
	assert_int_equal(ev->cert.spki_size, spki_size);
	assert_memory_equal(ev->cert.spki, spki, spki_size);
	free(spki);

	assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_OK);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	assert_int_equal(replay.status[0], RATLS_RTMR_NOT_REPLAYED);
	assert_int_equal(replay.status[3], RATLS_RTMR_MATCH);
	ratls_evidence_free(ev);
	cert_case_free(&c);
}

static void test_cert_legacy_extensions(void **state)
{
	struct cert_case c;
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct ratls_detail d;

	(void)state;
	cert_case_init(&c);
	{
		const struct cert_ext exts[] = {
			{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
			{ARC_EVENT_LOG, (const uint8_t *)c.event_log, strlen(c.event_log), false,
			 false},
		};

		if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
	}
	assert_int_equal(ev->format, RATLS_EVIDENCE_QUOTE_EVENT_LOG);
	assert_int_equal(ev->runtime_event_count, c.full.runtime_count);
	assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_OK);
	if (ratls_evidence_replay(ev, &replay, &d) != RATLS_OK)
		fail_msg("replay failed: %s", d.message);
	for (int i = 0; i < 4; i++)
		assert_int_equal(replay.status[i], RATLS_RTMR_MATCH);
	ratls_evidence_free(ev);

	/* A .1.2 log that does not parse leaves the quote usable and fails the replay. */
	{
		static const char *const bad_logs[] = {"bar", "{\"imr\":3}\n{\"imr\":3}"};

		for (size_t i = 0; i < ARRAY_SIZE(bad_logs); i++) {
			const struct cert_ext exts[] = {
				{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
				{ARC_EVENT_LOG, (const uint8_t *)bad_logs[i], strlen(bad_logs[i]),
				 false, false},
			};

			if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
				fail_msg("decoding failed: %s", d.message);
			assert_int_equal(ev->event_log_failure.code, RATLS_ERR_MALFORMED);
			assert_int_equal(ev->event_count, 0);
			assert_int_equal(ev->runtime_event_count, 0);
			assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_OK);
			expect_replay_error(ev, RATLS_ERR_MALFORMED, "1.3.6.1.4.1.62397.1.2");
			ratls_evidence_free(ev);
		}
	}

	/* So does a runtime event outside IMR 3. */
	{
		char *moved = strdup(c.event_log);
		char *hit;
		const struct cert_ext exts[] = {
			{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
			{ARC_EVENT_LOG, (const uint8_t *)moved, strlen(c.event_log), false, false},
		};

		assert_non_null(moved);
		hit = strstr(moved, "{\"imr\":3,\"event_type\":134217729");
		assert_non_null(hit);
		hit[7] = '2';
		if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
		assert_int_equal(ev->event_log_failure.code, RATLS_ERR_EVENT_LOG);
		expect_replay_error(ev, RATLS_ERR_EVENT_LOG, "imr 2");
		ratls_evidence_free(ev);
		free(moved);
	}

	/* A quote without its event log. */
	{
		const struct cert_ext exts[] = {
			{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_EVENT_LOG,
				  "without its event log");
	}
	cert_case_free(&c);
}

static void test_cert_both_forms(void **state)
{
	struct cert_case c;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d;
	uint8_t *other_quote;

	(void)state;
	cert_case_init(&c);
	{
		const struct cert_ext exts[] = {
			{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
			{ARC_EVENT_LOG, (const uint8_t *)c.event_log, strlen(c.event_log), false,
			 false},
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
		};

		if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
		assert_int_equal(ev->format, RATLS_EVIDENCE_V0_SCALE); /* .1.8 is preferred */
		assert_true(ev->legacy_cross_checked);
		ratls_evidence_free(ev);
	}

	/* Quotes that differ in one byte. */
	other_quote = exact_copy(c.full.quote, c.full.quote_size);
	other_quote[QUOTE_MR_TD_AT] ^= 1;
	{
		const struct cert_ext exts[] = {
			{ARC_QUOTE, other_quote, c.full.quote_size, false, false},
			{ARC_EVENT_LOG, (const uint8_t *)c.event_log, strlen(c.event_log), false,
			 false},
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_MALFORMED,
				  "two different quotes");
	}
	free(other_quote);

	/* Event logs that differ in one runtime payload. */
	{
		char *changed = strdup(c.event_log);
		char *hit;
		const struct cert_ext exts[] = {
			{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
			{ARC_EVENT_LOG, (const uint8_t *)changed, strlen(c.event_log), false, false},
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
		};

		assert_non_null(changed);
		/* The compose-hash payload is 32 bytes of 0x22. */
		hit = strstr(changed, "2222222222");
		assert_non_null(hit);
		hit[0] = '3';
		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_EVENT_LOG,
				  "runtime events");
		free(changed);
	}

	/* A boot event of .1.8 that the .1.2 log lacks. */
	{
		struct fixture with_boot;
		uint8_t *attestation;
		size_t attestation_size = 0;
		uint8_t digest[48];

		fixture_init(&with_boot, c.full.report_data, false);
		memset(digest, 0x77, sizeof(digest));
		ratls_evidence_clear_event(&with_boot.events[0]);
		with_boot.events[0].digest = ratls_evidence_copy_bytes(digest, 48);
		with_boot.events[0].digest_size = 48;
		with_boot.events[0].name = ratls_evidence_copy_string("", 0);
		with_boot.events[0].payload = ratls_evidence_copy_bytes("", 0);
		with_boot.events[0].event_type = 10;
		with_boot.events[0].version = 1;
		free(with_boot.quote);
		with_boot.quote = exact_copy(c.full.quote, c.full.quote_size);
		attestation = fixture_encode_v0(&with_boot, &attestation_size);
		{
			const struct cert_ext exts[] = {
				{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
				{ARC_EVENT_LOG, (const uint8_t *)c.event_log, strlen(c.event_log),
				 false, false},
				{ARC_ATTESTATION, attestation, attestation_size, false, false},
			};

			expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_EVENT_LOG,
					  "is not in the event log");
		}
		free(attestation);
		fixture_free(&with_boot);
	}

	/* A .1.2 boot log whose digests do not replay to the quote's RTMR0. */
	{
		struct fixture forged;
		char *forged_log;

		fixture_init(&forged, c.full.report_data, true);
		forged.events[0].digest[0] ^= 0x01;
		forged_log = fixture_event_log_json(&forged);
		{
			const struct cert_ext exts[] = {
				{ARC_QUOTE, c.full.quote, c.full.quote_size, false, false},
				{ARC_EVENT_LOG, (const uint8_t *)forged_log, strlen(forged_log),
				 false, false},
				{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
			};

			expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_EVENT_LOG,
					  "does not replay to the quote");
		}
		free(forged_log);
		fixture_free(&forged);
	}
	cert_case_free(&c);
}

static void test_cert_malformed_extensions(void **state)
{
	struct cert_case c;

	(void)state;
	cert_case_init(&c);
	{
		const struct cert_ext exts[] = {
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_MALFORMED, "twice");
	}
	{
		const struct cert_ext exts[] = {
			{ARC_ATTESTATION, c.attestation, c.attestation_size, true, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_MALFORMED,
				  "does not hold a DER OCTET STRING");
	}
	{
		const struct cert_ext exts[] = {
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, true},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_MALFORMED,
				  "after its inner OCTET STRING");
	}
	{
		/* Issuer claims alone are not RA-TLS evidence. */
		const struct cert_ext exts[] = {
			{ARC_APP_ID, fixture_app_id, 20, false, false},
			{ARC_USAGE, (const uint8_t *)"app:custom", 10, false, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_NOT_RATLS,
				  "not a dstack RA-TLS certificate");
		expect_cert_error(c.key, NULL, 0, RATLS_ERR_NOT_RATLS, "no dstack attestation");
	}
	cert_case_free(&c);
}

static void test_cert_encodings(void **state)
{
	struct cert_case c;
	const struct cert_ext exts[1] = {{ARC_ATTESTATION, NULL, 0, false, false}};
	struct cert_ext ext = exts[0];
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	uint8_t *der;
	uint8_t *longer;
	size_t size = 0;

	(void)state;
	cert_case_init(&c);
	ext.payload = c.attestation;
	ext.size = c.attestation_size;
	der = build_cert(c.key, &ext, 1, &size);

	/* PEM, with a second block after it that is ignored. */
	{
		BIO *bio = BIO_new(BIO_s_mem());
		const unsigned char *p = der;
		X509 *x = d2i_X509(NULL, &p, (long)size);
		char *pem_data = NULL;
		long pem_size;
		uint8_t *pem;

		assert_non_null(bio);
		assert_non_null(x);
		assert_int_equal(PEM_write_bio_X509(bio, x), 1);
		assert_int_equal(PEM_write_bio_X509(bio, x), 1);
		pem_size = BIO_get_mem_data(bio, &pem_data);
		pem = exact_copy(pem_data, (size_t)pem_size);
		if (ratls_evidence_from_cert(pem, (size_t)pem_size, &ev, &d) != RATLS_OK)
			fail_msg("decoding PEM failed: %s", d.message);
		assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_OK);
		ratls_evidence_free(ev);
		ev = NULL;
		free(pem);
		X509_free(x);
		BIO_free(bio);
	}

	/* DER followed by a byte. */
	longer = malloc(size + 1);
	assert_non_null(longer);
	memcpy(longer, der, size);
	longer[size] = 0;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_cert(longer, size + 1, &ev, &d),
			 RATLS_ERR_TRAILING_DATA);
	assert_null(ev);
	free(longer);

	/* Not a certificate at all, and a truncated one. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_cert((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &ev,
						  &d),
			 RATLS_ERR_MALFORMED);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_cert(der, size / 2, &ev, &d), RATLS_ERR_MALFORMED);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_cert((const uint8_t *)"-----BEGIN X509 CRL-----\n", 25,
						  &ev, &d),
			 RATLS_ERR_MALFORMED);
	free(der);
	cert_case_free(&c);
}

/* Finds the first occurrence of needle in data; returns its offset or -1. */
static long find_bytes(const uint8_t *data, size_t size, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= size; i++) {
		if (memcmp(data + i, needle, n) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * The certificate is read with the strict DER reader: every prefix fails
 * cleanly, the SubjectPublicKeyInfo equals OpenSSL's, and the critical flag
 * of an extension must be DER TRUE when present.
 */
static void test_cert_der_walk(void **state)
{
	/* The .1.8 extension's OID, then where a critical flag would sit. */
	static const uint8_t oid_18[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
					 0x83, 0xe7, 0x3d, 0x01, 0x08};
	struct cert_case c;
	const struct cert_ext exts[1] = {{ARC_ATTESTATION, NULL, 0, false, false}};
	struct cert_ext ext = exts[0];
	struct ratls_cert_extensions out;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d = {0};
	unsigned char *spki = NULL;
	const unsigned char *p;
	uint8_t *der;
	size_t size = 0;
	long at;
	int spki_size;
	X509 *x;

	(void)state;
	cert_case_init(&c);
	ext.payload = c.attestation;
	ext.size = c.attestation_size;
	der = build_cert(c.key, &ext, 1, &size);

	memset(&out, 0, sizeof(out));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)size);
	assert_non_null(x);
	spki_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	assert_true(spki_size > 0);
	assert_int_equal(out.spki_size, (size_t)spki_size);
	assert_memory_equal(out.spki, spki, (size_t)spki_size);
	assert_int_equal(out.attestation_size, c.attestation_size);
	ratls_evidence_clear_extensions(&out);
	OPENSSL_free(spki);
	X509_free(x);

	for (size_t n = 0; n < size; n++) {
		int rc;

		memset(&d, 0, sizeof(d));
		rc = ratls_evidence_read_extensions(der, n, &out, &d);
		ratls_evidence_clear_extensions(&out);
		if (rc != RATLS_ERR_MALFORMED)
			fail_msg("prefix of %zu of %zu bytes gave %s", n, size, ratls_error_name(rc));
	}

	/* Another arc in place of .1.8 is not dstack evidence. */
	at = find_bytes(der, size, oid_18, sizeof(oid_18));
	assert_true(at > 0);
	der[at + sizeof(oid_18) - 1] = 0x07;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_from_cert(der, size, &ev, &d), RATLS_ERR_NOT_RATLS);
	assert_null(ev);
	free(der);
	cert_case_free(&c);
}

/* Appends tag, DER length and content to b. */
static void put_tlv(struct ratls_buffer *b, uint8_t tag, const struct ratls_buffer *content)
{
	ratls_buffer_append_u8(b, tag);
	der_length(b, content->size);
	ratls_buffer_append(b, content->data, content->size);
}

/*
 * A hand-built certificate whose only extension is .1.3 (app id) with the
 * given critical-flag bytes (NULL for none); unique_ids (NULL for none) is
 * placed between the SubjectPublicKeyInfo and the extensions. The fields
 * the walk skips are empty.
 */
static uint8_t *handmade_cert(const uint8_t *flag, size_t flag_size, const char *unique_ids,
			      size_t *size)
{
	static const uint8_t oid_13[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
					 0x83, 0xe7, 0x3d, 0x01, 0x03};
	static const uint8_t inner[] = {0x04, 0x02, 0xab, 0xcd};
	static const uint8_t spki[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	static const uint8_t version[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
	static const uint8_t empty_fields[] = {0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00,
					       0x30, 0x00, 0x30, 0x00};
	struct ratls_buffer value = {0}, extension = {0}, list = {0}, wrapped = {0};
	struct ratls_buffer tbs = {0}, cert_body = {0}, cert = {0};

	ratls_buffer_append(&value, inner, sizeof(inner));
	ratls_buffer_append(&extension, oid_13, sizeof(oid_13));
	if (flag != NULL)
		ratls_buffer_append(&extension, flag, flag_size);
	put_tlv(&extension, 0x04, &value);
	put_tlv(&list, 0x30, &extension);
	put_tlv(&wrapped, 0x30, &list);

	ratls_buffer_append(&tbs, version, sizeof(version));
	ratls_buffer_append(&tbs, empty_fields, sizeof(empty_fields));
	ratls_buffer_append(&tbs, spki, sizeof(spki));
	if (unique_ids != NULL)
		ratls_buffer_append(&tbs, (const uint8_t *)unique_ids, strlen(unique_ids));
	put_tlv(&tbs, 0xa3, &wrapped);

	put_tlv(&cert_body, 0x30, &tbs);
	ratls_buffer_append(&cert_body, (const uint8_t *)"\x30\x00\x03\x01\x00", 5);
	put_tlv(&cert, 0x30, &cert_body);
	assert_false(cert.failed);

	free(value.data);
	free(extension.data);
	free(list.data);
	free(wrapped.data);
	free(tbs.data);
	free(cert_body.data);
	*size = cert.size;
	return cert.data;
}

/* DER encodes a critical flag only as TRUE (01 01 ff); FALSE is the omitted default. */
static void test_cert_critical_flag(void **state)
{
	static const uint8_t flag_true[] = {0x01, 0x01, 0xff};
	static const uint8_t flag_false[] = {0x01, 0x01, 0x00};
	static const uint8_t flag_long[] = {0x01, 0x02, 0xff, 0xff};
	struct ratls_cert_extensions out;
	struct ratls_detail d = {0};
	size_t size = 0;
	uint8_t *der;

	(void)state;
	der = handmade_cert(NULL, 0, NULL, &size);
	memset(&out, 0, sizeof(out));
	/* Only an app id: the walk succeeds, then the certificate has no quote. */
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_NOT_RATLS);
	assert_int_equal(out.app_id_size, 2);
	assert_int_equal(out.spki_size, 5);
	ratls_evidence_clear_extensions(&out);
	free(der);

	der = handmade_cert(flag_true, sizeof(flag_true), "\x81\x01\x01\x82\x01\x01", &size);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_NOT_RATLS);
	assert_int_equal(out.app_id_size, 2);
	ratls_evidence_clear_extensions(&out);
	free(der);

	der = handmade_cert(flag_false, sizeof(flag_false), NULL, &size);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_MALFORMED);
	assert_non_null(strstr(d.message, "critical flag"));
	ratls_evidence_clear_extensions(&out);
	free(der);

	der = handmade_cert(flag_long, sizeof(flag_long), NULL, &size);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_MALFORMED);
	ratls_evidence_clear_extensions(&out);
	free(der);
}

/* The TBSCertificate fields around the key follow RFC 5280's order and counts. */
static void test_cert_tbs_structure(void **state)
{
	static const char *const bad_ids[] = {
		"\x82\x01\x01\x81\x01\x01",             /* subject before issuer */
		"\x81\x01\x01\x81\x01\x01",             /* issuerUniqueID twice */
		"\x82\x01\x01\x82\x01\x01\x82\x01\x01", /* subjectUniqueID three times */
	};
	struct ratls_cert_extensions out;
	struct ratls_detail d = {0};
	size_t size = 0;
	uint8_t *der;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		der = handmade_cert(NULL, 0, bad_ids[i], &size);
		memset(&d, 0, sizeof(d));
		if (ratls_evidence_read_extensions(der, size, &out, &d) != RATLS_ERR_MALFORMED)
			fail_msg("unique IDs case %zu was not rejected", i);
		ratls_evidence_clear_extensions(&out);
		free(der);
	}

	/* Version 3 is INTEGER 2 at offset 8 (30 len 30 len a0 03 02 01 02); 0 and 5 are invalid. */
	der = handmade_cert(NULL, 0, NULL, &size);
	assert_int_equal(der[8], 0x02);
	der[8] = 0x05;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_MALFORMED);
	ratls_evidence_clear_extensions(&out);
	der[8] = 0x00;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_MALFORMED);
	ratls_evidence_clear_extensions(&out);
	/* Version 2 (INTEGER 1) has no extensions. */
	der[8] = 0x01;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_read_extensions(der, size, &out, &d), RATLS_ERR_MALFORMED);
	ratls_evidence_clear_extensions(&out);
	free(der);
}

/* Evidence bound to one key inside a certificate for another key. */
static void test_cert_wrong_key(void **state)
{
	struct cert_case c;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d;
	EVP_PKEY *other = new_key();
	const struct cert_ext *exts;
	struct cert_ext ext;

	(void)state;
	cert_case_init(&c);
	ext.arc = ARC_ATTESTATION;
	ext.payload = c.attestation;
	ext.size = c.attestation_size;
	ext.single_wrap = false;
	ext.trailing = false;
	exts = &ext;
	if (decode_cert(other, exts, 1, &ev, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_ERR_KEY_BINDING);
	assert_non_null(strstr(d.message, "not bound to the certificate key"));
	ratls_evidence_free(ev);

	/* Evidence that did not come from a certificate has no key to check. */
	ev = decode_fixture(&c.full);
	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_check_cert_binding(ev, &d), RATLS_ERR_INVALID_ARGUMENT);
	ratls_evidence_free(ev);
	EVP_PKEY_free(other);
	cert_case_free(&c);
}

/* ---------------------------------------------------------------------------------------------
 * AppInfo (extension .1.9)
 */

static uint8_t *build_app_info(size_t fields, size_t mr_system_size, bool trailing, size_t *size)
{
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	uint8_t digest[32];
	uint8_t *out;

	memset(digest, 0xee, sizeof(digest));
	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, fields);
	pack_bin(&pk, fixture_app_id, 20);
	pack_bin(&pk, digest, 32);
	pack_bin(&pk, fixture_instance_id, 20);
	pack_bin(&pk, digest, 32);
	pack_bin(&pk, digest, mr_system_size);
	pack_bin(&pk, digest, 32);
	pack_bin(&pk, digest, 32);
	pack_bin(&pk, fixture_key_provider, strlen(fixture_key_provider));
	if (fields == 9) {
		msgpack_pack_array(&pk, 2);
		pack_bin(&pk, digest, 32);
		pack_bin(&pk, digest, 32);
	}
	if (trailing)
		msgpack_pack_nil(&pk);
	out = exact_copy(sbuf.data, sbuf.size);
	*size = sbuf.size;
	msgpack_sbuffer_destroy(&sbuf);
	return out;
}

static void test_app_info(void **state)
{
	struct ratls_app_info info;
	struct ratls_detail d = {0};
	size_t size = 0;
	uint8_t *data;

	(void)state;
	memset(fixture_app_id, 0x11, sizeof(fixture_app_id));
	data = build_app_info(9, 32, false, &size);
	if (ratls_evidence_decode_app_info(data, size, &info, &d) != RATLS_OK)
		fail_msg("decoding failed: %s", d.message);
	assert_int_equal(info.app_id_size, 20);
	assert_memory_equal(info.app_id, fixture_app_id, 20);
	assert_true(info.app_id >= data && info.app_id + 20 <= data + size);
	assert_int_equal(info.mr_system[0], 0xee);
	assert_int_equal(info.key_provider_info_size, strlen(fixture_key_provider));
	assert_int_equal(info.init_script_hash_count, 2);
	free(data);

	data = build_app_info(8, 32, false, &size);
	assert_int_equal(ratls_evidence_decode_app_info(data, size, &info, &d), RATLS_OK);
	assert_int_equal(info.init_script_hash_count, 0);
	free(data);

	data = build_app_info(8, 31, false, &size);
	assert_int_equal(ratls_evidence_decode_app_info(data, size, &info, &d), RATLS_ERR_MALFORMED);
	assert_non_null(strstr(d.message, "mr_system"));
	free(data);

	memset(&d, 0, sizeof(d));
	data = build_app_info(8, 32, true, &size);
	assert_int_equal(ratls_evidence_decode_app_info(data, size, &info, &d),
			 RATLS_ERR_TRAILING_DATA);
	free(data);

	memset(&d, 0, sizeof(d));
	assert_int_equal(ratls_evidence_decode_app_info((const uint8_t *)"\x80", 1, &info, &d),
			 RATLS_ERR_MALFORMED);
}

/* A certificate with AppInfo decodes it into views. */
static void test_cert_app_info(void **state)
{
	struct cert_case c;
	struct ratls_evidence *ev = NULL;
	struct ratls_detail d;
	size_t size = 0;
	uint8_t *app_info;

	(void)state;
	cert_case_init(&c);
	app_info = build_app_info(9, 32, false, &size);
	{
		const struct cert_ext exts[] = {
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
			{ARC_APP_INFO, app_info, size, false, false},
		};

		if (decode_cert(c.key, exts, ARRAY_SIZE(exts), &ev, &d) != RATLS_OK)
			fail_msg("decoding failed: %s", d.message);
	}
	assert_true(ev->has_app_info);
	assert_int_equal(ev->app_info.app_id_size, 20);
	assert_true(ev->app_info.app_id >= ev->cert.app_info &&
		    ev->app_info.app_id + 20 <= ev->cert.app_info + ev->cert.app_info_size);
	ratls_evidence_free(ev);
	free(app_info);

	app_info = build_app_info(8, 16, false, &size);
	{
		const struct cert_ext exts[] = {
			{ARC_ATTESTATION, c.attestation, c.attestation_size, false, false},
			{ARC_APP_INFO, app_info, size, false, false},
		};

		expect_cert_error(c.key, exts, ARRAY_SIZE(exts), RATLS_ERR_MALFORMED, "mr_system");
	}
	free(app_info);
	cert_case_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_compact_canonical),
		cmocka_unit_test(test_scale_compact_rejected),
		cmocka_unit_test(test_scale_bool),
		cmocka_unit_test(test_utf8_validation),
		cmocka_unit_test(test_runtime_digest_vectors),
		cmocka_unit_test(test_runtime_digest_v2),
		cmocka_unit_test(test_extend_rtmr),
		cmocka_unit_test(test_v0_round_trip),
		cmocka_unit_test(test_v0_truncated_every_offset),
		cmocka_unit_test(test_v0_bad_events),
		cmocka_unit_test(test_v0_bad_lengths),
		cmocka_unit_test(test_v0_unsupported),
		cmocka_unit_test(test_v0_report_data_mismatch),
		cmocka_unit_test(test_encoder_rejects),
		cmocka_unit_test(test_attestation_bin_layout),
		cmocka_unit_test(test_attestation_bin_rtmr3_steps),
		cmocka_unit_test(test_attestation_bin_replay),
		cmocka_unit_test(test_lite_attestation_replay),
		cmocka_unit_test(test_replay_identity),
		cmocka_unit_test(test_identity_ignores_events_after_system_ready),
		cmocka_unit_test(test_replay_runtime_payload_changed),
		cmocka_unit_test(test_replay_boot_digest_changed),
		cmocka_unit_test(test_replay_log_disagrees),
		cmocka_unit_test(test_replay_stripped_log),
		cmocka_unit_test(test_identity_bad_payloads),
		cmocka_unit_test(test_v1_accepts),
		cmocka_unit_test(test_v1_rejects),
		cmocka_unit_test(test_v1_trailing_and_truncated),
		cmocka_unit_test(test_v1_huge_counts),
		cmocka_unit_test(test_v1_nesting_depth),
		cmocka_unit_test(test_v1_dstack_pod),
		cmocka_unit_test(test_event_log_json),
		cmocka_unit_test(test_event_log_json_rejects),
		cmocka_unit_test(test_event_log_json_limits),
		cmocka_unit_test(test_quote_event_log_form),
		cmocka_unit_test(test_getquote_json),
		cmocka_unit_test(test_binding_vector),
		cmocka_unit_test(test_cert_attestation_extension),
		cmocka_unit_test(test_cert_legacy_extensions),
		cmocka_unit_test(test_cert_both_forms),
		cmocka_unit_test(test_cert_malformed_extensions),
		cmocka_unit_test(test_cert_encodings),
		cmocka_unit_test(test_cert_der_walk),
		cmocka_unit_test(test_cert_critical_flag),
		cmocka_unit_test(test_cert_tbs_structure),
		cmocka_unit_test(test_cert_wrong_key),
		cmocka_unit_test(test_app_info),
		cmocka_unit_test(test_cert_app_info),
	};

	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
