/*
 * Unit tests for src/base: the bounded reader, the strict DER reader, the
 * hex, base64 and URL decoders, RFC 3339 time parsing and formatting, and
 * the error table with the detail record.
 *
 * Inputs that a parser must not read past are copied into heap buffers of
 * their exact size, so a sanitizer build reports any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/der.h"
#include "base/encoding.h"
#include "base/fail.h"
#include "base/reader.h"
#include "base/timeutil.h"
#include "ratls/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Output pointers start here so a test can tell whether a decoder reset them. */
static uint8_t unset_marker;

/* Returns a heap copy of size bytes (at least one byte is allocated). */
static uint8_t *exact_copy(const void *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);

	assert_non_null(copy);
	if (size > 0)
		memcpy(copy, data, size);
	return copy;
}

/* ---- bounded reader ---- */

static const uint8_t counting_bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_reader_little_endian_values(void **state)
{
	struct ratls_reader r;
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;

	(void)state;
	ratls_reader_init(&r, counting_bytes, sizeof(counting_bytes));

	assert_int_equal(ratls_reader_u8(&r, &v8), RATLS_OK);
	assert_int_equal(v8, 0x01);
	assert_int_equal(ratls_reader_u16le(&r, &v16), RATLS_OK);
	assert_int_equal(v16, 0x0302);
	assert_int_equal(ratls_reader_remaining(&r), 6);

	ratls_reader_init(&r, counting_bytes, sizeof(counting_bytes));
	assert_int_equal(ratls_reader_u32le(&r, &v32), RATLS_OK);
	assert_int_equal(v32, 0x04030201u);
	assert_int_equal(r.offset, 4);

	ratls_reader_init(&r, counting_bytes, sizeof(counting_bytes));
	assert_int_equal(ratls_reader_u64le(&r, &v64), RATLS_OK);
	assert_true(v64 == UINT64_C(0x0807060504030201));
	assert_int_equal(r.offset, 8);
	assert_int_equal(ratls_reader_remaining(&r), 1);
}

static void test_reader_high_bits_not_sign_extended(void **state)
{
	static const uint8_t top[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
	static const uint8_t ones[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct ratls_reader r;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;

	(void)state;
	ratls_reader_init(&r, top + 6, 2);
	assert_int_equal(ratls_reader_u16le(&r, &v16), RATLS_OK);
	assert_int_equal(v16, 0x8000);

	ratls_reader_init(&r, top + 4, 4);
	assert_int_equal(ratls_reader_u32le(&r, &v32), RATLS_OK);
	assert_int_equal(v32, 0x80000000u);

	ratls_reader_init(&r, top, 8);
	assert_int_equal(ratls_reader_u64le(&r, &v64), RATLS_OK);
	assert_true(v64 == UINT64_C(0x8000000000000000));

	ratls_reader_init(&r, ones, 8);
	assert_int_equal(ratls_reader_u64le(&r, &v64), RATLS_OK);
	assert_true(v64 == UINT64_MAX);
}

/* Calls the integer read of the given width; width 0 means ratls_reader_bytes(r, 3). */
static int read_width(struct ratls_reader *r, size_t width)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	const uint8_t *view = NULL;

	switch (width) {
	case 1:
		return ratls_reader_u8(r, &v8);
	case 2:
		return ratls_reader_u16le(r, &v16);
	case 4:
		return ratls_reader_u32le(r, &v32);
	case 8:
		return ratls_reader_u64le(r, &v64);
	default:
		return ratls_reader_bytes(r, 3, &view);
	}
}

static void test_reader_short_reads_keep_cursor(void **state)
{
	static const size_t widths[] = {1, 2, 4, 8, 0};

	(void)state;
	for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
		size_t need = widths[w] != 0 ? widths[w] : 3;

		/* Every buffer size and start offset that leaves fewer than `need` bytes. */
		for (size_t size = 0; size <= 9; size++) {
			uint8_t *buf = exact_copy(counting_bytes, size);

			for (size_t start = 0; start <= size; start++) {
				struct ratls_reader r;

				ratls_reader_init(&r, buf, size);
				r.offset = start;
				if (size - start >= need) {
					assert_int_equal(read_width(&r, widths[w]), RATLS_OK);
					assert_int_equal(r.offset, start + need);
					continue;
				}
				assert_int_equal(read_width(&r, widths[w]), RATLS_ERR_TRUNCATED);
				assert_int_equal(r.offset, start);
				assert_int_equal(r.size, size);
				assert_ptr_equal(r.data, buf);
			}
			free(buf);
		}
	}
}

static void test_reader_bytes_and_skip(void **state)
{
	struct ratls_reader r;
	const uint8_t *view = NULL;

	(void)state;
	ratls_reader_init(&r, counting_bytes, sizeof(counting_bytes));

	assert_int_equal(ratls_reader_bytes(&r, 4, &view), RATLS_OK);
	assert_ptr_equal(view, counting_bytes);
	assert_int_equal(ratls_reader_skip(&r, 2), RATLS_OK);
	assert_int_equal(r.offset, 6);

	assert_int_equal(ratls_reader_bytes(&r, 4, &view), RATLS_ERR_TRUNCATED);
	assert_int_equal(r.offset, 6);
	assert_int_equal(ratls_reader_skip(&r, 4), RATLS_ERR_TRUNCATED);
	assert_int_equal(r.offset, 6);
	assert_int_equal(ratls_reader_bytes(&r, SIZE_MAX, &view), RATLS_ERR_TRUNCATED);
	assert_int_equal(ratls_reader_skip(&r, SIZE_MAX), RATLS_ERR_TRUNCATED);
	assert_int_equal(r.offset, 6);

	assert_int_equal(ratls_reader_bytes(&r, 3, &view), RATLS_OK);
	assert_ptr_equal(view, counting_bytes + 6);
	assert_int_equal(ratls_reader_remaining(&r), 0);

	/* A zero-length read at the end succeeds and moves nothing. */
	assert_int_equal(ratls_reader_bytes(&r, 0, &view), RATLS_OK);
	assert_int_equal(ratls_reader_skip(&r, 0), RATLS_OK);
	assert_int_equal(r.offset, 9);
}

static void test_reader_null_data_is_empty(void **state)
{
	struct ratls_reader r;
	uint8_t v = 0;

	(void)state;
	ratls_reader_init(&r, NULL, 100);
	assert_int_equal(ratls_reader_remaining(&r), 0);
	assert_int_equal(ratls_reader_u8(&r, &v), RATLS_ERR_TRUNCATED);
	assert_int_equal(ratls_reader_skip(&r, 1), RATLS_ERR_TRUNCATED);
}

static void test_reader_sub_cannot_escape(void **state)
{
	uint8_t *buf = exact_copy(counting_bytes, sizeof(counting_bytes));
	struct ratls_reader parent, child, grandchild;
	uint8_t v8 = 0;
	uint32_t v32 = 0;

	(void)state;
	ratls_reader_init(&parent, buf, sizeof(counting_bytes));
	assert_int_equal(ratls_reader_skip(&parent, 2), RATLS_OK);

	assert_int_equal(ratls_reader_sub(&parent, 3, &child), RATLS_OK);
	assert_int_equal(parent.offset, 5);
	assert_ptr_equal(child.data, buf + 2);
	assert_int_equal(child.size, 3);
	assert_int_equal(child.offset, 0);

	/* The child contains bytes 03 04 05, so a 4-byte read fails although the parent has more. */
	assert_int_equal(ratls_reader_u32le(&child, &v32), RATLS_ERR_TRUNCATED);
	assert_int_equal(child.offset, 0);
	assert_int_equal(ratls_reader_skip(&child, 4), RATLS_ERR_TRUNCATED);
	assert_int_equal(ratls_reader_sub(&child, 4, &grandchild), RATLS_ERR_TRUNCATED);
	assert_int_equal(child.offset, 0);

	assert_int_equal(ratls_reader_sub(&child, 2, &grandchild), RATLS_OK);
	assert_int_equal(ratls_reader_u8(&grandchild, &v8), RATLS_OK);
	assert_int_equal(v8, 0x03);
	assert_int_equal(ratls_reader_u8(&grandchild, &v8), RATLS_OK);
	assert_int_equal(v8, 0x04);
	assert_int_equal(ratls_reader_u8(&grandchild, &v8), RATLS_ERR_TRUNCATED);
	assert_int_equal(ratls_reader_u8(&child, &v8), RATLS_OK);
	assert_int_equal(v8, 0x05);
	assert_int_equal(ratls_reader_u8(&child, &v8), RATLS_ERR_TRUNCATED);

	/* A sub reader larger than the rest fails and leaves the parent unchanged. */
	assert_int_equal(ratls_reader_sub(&parent, 5, &child), RATLS_ERR_TRUNCATED);
	assert_int_equal(parent.offset, 5);
	assert_int_equal(ratls_reader_sub(&parent, SIZE_MAX, &child), RATLS_ERR_TRUNCATED);
	assert_int_equal(parent.offset, 5);
	assert_int_equal(ratls_reader_sub(&parent, 4, &child), RATLS_OK);
	assert_int_equal(ratls_reader_remaining(&parent), 0);
	assert_int_equal(ratls_reader_remaining(&child), 4);
	free(buf);
}

/* ---- DER ---- */

/* Runs ratls_der_read over an exact heap copy and, on failure, checks that the cursor stayed. */
static int der_read_copy(const uint8_t *data, size_t size, uint8_t *tag, size_t *content_size,
			 size_t *consumed)
{
	uint8_t *buf = exact_copy(data, size);
	struct ratls_reader r, content;
	int rc;

	ratls_reader_init(&r, buf, size);
	*tag = 0;
	*content_size = 0;
	rc = ratls_der_read(&r, tag, &content);
	if (rc == RATLS_OK) {
		assert_true(content.data >= buf);
		assert_true(content.data + content.size <= buf + size);
		*content_size = ratls_reader_remaining(&content);
	} else {
		assert_int_equal(r.offset, 0);
	}
	*consumed = r.offset;
	free(buf);
	return rc;
}

static void test_der_short_form(void **state)
{
	static const uint8_t octets[] = {0x04, 0x03, 0xaa, 0xbb, 0xcc, 0xff};
	static const uint8_t empty[] = {0x05, 0x00};
	struct ratls_reader r, content;
	uint8_t tag = 0;
	const uint8_t *view = NULL;

	(void)state;
	ratls_reader_init(&r, octets, sizeof(octets));
	assert_int_equal(ratls_der_read(&r, &tag, &content), RATLS_OK);
	assert_int_equal(tag, RATLS_DER_OCTET_STRING);
	assert_int_equal(r.offset, 5);
	assert_int_equal(ratls_reader_remaining(&content), 3);
	assert_int_equal(ratls_reader_bytes(&content, 3, &view), RATLS_OK);
	assert_ptr_equal(view, octets + 2);

	/* The content reader ends at the value even though the input continues. */
	assert_int_equal(ratls_reader_skip(&content, 1), RATLS_ERR_TRUNCATED);

	ratls_reader_init(&r, empty, sizeof(empty));
	assert_int_equal(ratls_der_read(&r, &tag, &content), RATLS_OK);
	assert_int_equal(tag, 0x05);
	assert_int_equal(ratls_reader_remaining(&content), 0);
	assert_int_equal(r.offset, 2);
}

static void test_der_long_form(void **state)
{
	uint8_t buf[3 + 300];
	uint8_t tag = 0;
	size_t content_size = 0;
	size_t consumed = 0;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));

	/* 0x81 0x80: the smallest length that needs the long form. */
	buf[0] = 0x04;
	buf[1] = 0x81;
	buf[2] = 0x80;
	assert_int_equal(der_read_copy(buf, 3 + 128, &tag, &content_size, &consumed), RATLS_OK);
	assert_int_equal(content_size, 128);
	assert_int_equal(consumed, 131);

	buf[2] = 0xff;
	assert_int_equal(der_read_copy(buf, 3 + 255, &tag, &content_size, &consumed), RATLS_OK);
	assert_int_equal(content_size, 255);

	/* 0x82 0x01 0x2c = 300. */
	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = 0x01;
	buf[3] = 0x2c;
	assert_int_equal(der_read_copy(buf, 4 + 296, &tag, &content_size, &consumed),
			 RATLS_ERR_TRUNCATED);
	buf[3] = 0x00; /* 256 */
	assert_int_equal(der_read_copy(buf, 4 + 256, &tag, &content_size, &consumed), RATLS_OK);
	assert_int_equal(tag, RATLS_DER_SEQUENCE);
	assert_int_equal(content_size, 256);
	assert_int_equal(consumed, 260);
}

static void test_der_rejects_non_minimal_lengths(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[8];
		size_t size;
	} cases[] = {
		{"indefinite length 0x80", {0x30, 0x80, 0x00, 0x00}, 4},
		{"long form for length 0", {0x04, 0x81, 0x00}, 3},
		{"long form for length 1", {0x04, 0x81, 0x01, 0xaa}, 4},
		{"long form for length 127", {0x04, 0x81, 0x7f}, 3},
		{"two bytes for length 127", {0x04, 0x82, 0x00, 0x7f}, 4},
		{"leading zero before 0x80", {0x04, 0x82, 0x00, 0x80}, 4},
		{"leading zero, three bytes", {0x04, 0x83, 0x00, 0x01, 0x00}, 5},
		{"leading zero, four bytes", {0x04, 0x84, 0x00, 0x00, 0x01, 0x00}, 6},
		{"five length bytes", {0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00}, 7},
		{"0xff length byte", {0x04, 0xff, 0x01}, 3},
		{"multi-byte tag 0x1f", {0x1f, 0x81, 0x01, 0x00}, 4},
		{"multi-byte context tag 0xbf", {0xbf, 0x81, 0x01, 0x00}, 4},
		{"multi-byte constructed tag 0x3f", {0x3f, 0x01, 0x00}, 3},
		{"multi-byte tag 0xff", {0xff, 0x00}, 2},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t tag = 0;
		size_t content_size = 0;
		size_t consumed = 0;
		int rc = der_read_copy(cases[i].bytes, cases[i].size, &tag, &content_size, &consumed);

		if (rc != RATLS_ERR_MALFORMED)
			fail_msg("%s: expected RATLS_ERR_MALFORMED, got %s", cases[i].name,
				 ratls_error_name(rc));
	}
}

static void test_der_huge_length_is_truncated(void **state)
{
	/* 0x84 with 0xffffffff must not wrap any offset arithmetic. */
	static const uint8_t huge[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00};
	static const uint8_t big[] = {0x04, 0x84, 0x01, 0x00, 0x00, 0x00, 0x00};
	uint8_t tag = 0;
	size_t content_size = 0;
	size_t consumed = 0;

	(void)state;
	assert_int_equal(der_read_copy(huge, sizeof(huge), &tag, &content_size, &consumed),
			 RATLS_ERR_TRUNCATED);
	assert_int_equal(der_read_copy(big, sizeof(big), &tag, &content_size, &consumed),
			 RATLS_ERR_TRUNCATED);
}

static void test_der_truncation_at_every_offset(void **state)
{
	uint8_t tlv[4 + 300];
	uint8_t tag = 0;
	size_t content_size = 0;
	size_t consumed = 0;

	(void)state;
	tlv[0] = 0x04;
	tlv[1] = 0x82;
	tlv[2] = 0x01;
	tlv[3] = 0x2c;
	for (size_t i = 4; i < sizeof(tlv); i++)
		tlv[i] = (uint8_t)i;

	for (size_t len = 0; len < sizeof(tlv); len++) {
		int rc = der_read_copy(tlv, len, &tag, &content_size, &consumed);

		if (rc != RATLS_ERR_TRUNCATED)
			fail_msg("prefix of %zu bytes: expected RATLS_ERR_TRUNCATED, got %s", len,
				 ratls_error_name(rc));
	}
	assert_int_equal(der_read_copy(tlv, sizeof(tlv), &tag, &content_size, &consumed), RATLS_OK);
	assert_int_equal(content_size, 300);
}

static void test_der_expect_tag(void **state)
{
	static const uint8_t two_tlvs[] = {0x02, 0x01, 0x05, 0x04, 0x01, 0x07};
	struct ratls_reader r, content;
	uint8_t v = 0;

	(void)state;
	ratls_reader_init(&r, two_tlvs, sizeof(two_tlvs));
	assert_int_equal(ratls_der_expect(&r, RATLS_DER_OCTET_STRING, &content),
			 RATLS_ERR_MALFORMED);
	assert_int_equal(r.offset, 0);

	assert_int_equal(ratls_der_expect(&r, RATLS_DER_INTEGER, &content), RATLS_OK);
	assert_int_equal(r.offset, 3);
	assert_int_equal(ratls_reader_u8(&content, &v), RATLS_OK);
	assert_int_equal(v, 0x05);

	assert_int_equal(ratls_der_expect(&r, RATLS_DER_OCTET_STRING, &content), RATLS_OK);
	assert_int_equal(r.offset, 6);
	assert_int_equal(ratls_der_expect(&r, RATLS_DER_OCTET_STRING, &content),
			 RATLS_ERR_TRUNCATED);
	assert_int_equal(r.offset, 6);
}

static void test_der_uint32(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[6];
		size_t size;
		int rc;
		uint32_t value;
	} cases[] = {
		{"zero", {0x00}, 1, RATLS_OK, 0},
		{"127", {0x7f}, 1, RATLS_OK, 127},
		{"128 with a sign byte", {0x00, 0x80}, 2, RATLS_OK, 128},
		{"255 with a sign byte", {0x00, 0xff}, 2, RATLS_OK, 255},
		{"256", {0x01, 0x00}, 2, RATLS_OK, 256},
		{"0x7fffffff", {0x7f, 0xff, 0xff, 0xff}, 4, RATLS_OK, 0x7fffffffu},
		{"UINT32_MAX", {0x00, 0xff, 0xff, 0xff, 0xff}, 5, RATLS_OK, UINT32_MAX},
		{"empty", {0}, 0, RATLS_ERR_MALFORMED, 0},
		{"negative -1", {0xff}, 1, RATLS_ERR_MALFORMED, 0},
		{"negative -128", {0x80}, 1, RATLS_ERR_MALFORMED, 0},
		{"negative four bytes", {0x80, 0x00, 0x00, 0x00}, 4, RATLS_ERR_MALFORMED, 0},
		{"redundant zero before 5", {0x00, 0x05}, 2, RATLS_ERR_MALFORMED, 0},
		{"two zero bytes", {0x00, 0x00}, 2, RATLS_ERR_MALFORMED, 0},
		{"redundant zero before 0x7f00", {0x00, 0x7f, 0x00}, 3, RATLS_ERR_MALFORMED, 0},
		{"2^32", {0x01, 0x00, 0x00, 0x00, 0x00}, 5, RATLS_ERR_MALFORMED, 0},
		{"2^40 in six bytes", {0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 6, RATLS_ERR_MALFORMED, 0},
		{"UINT32_MAX with two zeros", {0x00, 0x00, 0xff, 0xff, 0xff, 0xff}, 6,
		 RATLS_ERR_MALFORMED, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t *buf = exact_copy(cases[i].bytes, cases[i].size);
		struct ratls_reader content;
		uint32_t v = 0xdeadbeef;
		int rc;

		ratls_reader_init(&content, buf, cases[i].size);
		rc = ratls_der_uint32(&content, &v);
		if (rc != cases[i].rc)
			fail_msg("%s: expected %s, got %s", cases[i].name,
				 ratls_error_name(cases[i].rc), ratls_error_name(rc));
		if (rc == RATLS_OK && v != cases[i].value)
			fail_msg("%s: expected %u, got %u", cases[i].name, cases[i].value, v);
		free(buf);
	}
}

static void test_der_uint32_reads_from_offset(void **state)
{
	static const uint8_t bytes[] = {0xff, 0xff, 0x01, 0x02};
	struct ratls_reader content;
	uint32_t v = 0;

	(void)state;
	ratls_reader_init(&content, bytes, sizeof(bytes));
	content.offset = 2;
	assert_int_equal(ratls_der_uint32(&content, &v), RATLS_OK);
	assert_int_equal(v, 0x0102);
}

/* ---- hex, base64 and URL decoding ---- */

static void test_hex_fixed(void **state)
{
	uint8_t out[4] = {0};
	static const uint8_t expected[] = {0x00, 0xff, 0x7f, 0xa0};

	(void)state;
	assert_int_equal(ratls_hex_decode_fixed("00fF7fA0", 8, out, 4), RATLS_OK);
	assert_memory_equal(out, expected, 4);
	assert_int_equal(ratls_hex_decode_fixed("", 0, out, 0), RATLS_OK);

	assert_int_equal(ratls_hex_decode_fixed("00ff7fa", 7, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("00ff7fa000", 10, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("00ff7fg0", 8, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("00ff 7fa", 8, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("0x00ff7f", 8, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("00ff7f\n0", 8, out, 4), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_hex_decode_fixed("00ff7f-1", 8, out, 4), RATLS_ERR_MALFORMED);
}

static void test_hex_encode_round_trip(void **state)
{
	uint8_t all[256];
	uint8_t back[256];
	char text[2 * 256 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	ratls_hex_encode(all, sizeof(all), text);
	assert_int_equal(strlen(text), 512);
	assert_memory_equal(text, "000102", 6);
	assert_string_equal(text + 506, "fdfeff");
	assert_int_equal(ratls_hex_decode_fixed(text, 512, back, sizeof(back)), RATLS_OK);
	assert_memory_equal(back, all, sizeof(all));
}

/* Decodes text with ratls_hex_decode_alloc and compares with expected (NULL for failure). */
static void check_hex_alloc(const char *text, const uint8_t *expected, size_t expected_size,
			    int expected_rc)
{
	uint8_t *copy = exact_copy(text, strlen(text));
	uint8_t *out = &unset_marker;
	size_t out_size = 12345;
	int rc = ratls_hex_decode_alloc((const char *)copy, strlen(text), &out, &out_size);

	if (rc != expected_rc)
		fail_msg("hex \"%s\": expected %s, got %s", text, ratls_error_name(expected_rc),
			 ratls_error_name(rc));
	if (rc == RATLS_OK) {
		assert_non_null(out);
		assert_ptr_not_equal(out, &unset_marker);
		assert_int_equal(out_size, expected_size);
		if (expected_size > 0)
			assert_memory_equal(out, expected, expected_size);
	} else {
		assert_null(out);
		assert_int_equal(out_size, 0);
	}
	free(out);
	free(copy);
}

static void test_hex_alloc(void **state)
{
	static const uint8_t one_two[] = {0x01, 0x02};
	static const uint8_t three[] = {0xab, 0xcd, 0xef};

	(void)state;
	check_hex_alloc("0102", one_two, 2, RATLS_OK);
	check_hex_alloc("0x0102", one_two, 2, RATLS_OK);
	check_hex_alloc("0X0102", one_two, 2, RATLS_OK);
	check_hex_alloc("  \t0x0102\n", one_two, 2, RATLS_OK);
	check_hex_alloc("01\r\n02\n", one_two, 2, RATLS_OK);
	check_hex_alloc("0 1 0 2", one_two, 2, RATLS_OK);
	check_hex_alloc("ABcdEF", three, 3, RATLS_OK);
	check_hex_alloc("", NULL, 0, RATLS_OK);
	check_hex_alloc("0x", NULL, 0, RATLS_OK);
	check_hex_alloc(" \n", NULL, 0, RATLS_OK);

	check_hex_alloc("012", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("0x1", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("01 0", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("01zz", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("0g", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("0x0x01", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("01 0x02", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("0 x01", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("01-02", NULL, 0, RATLS_ERR_MALFORMED);
	check_hex_alloc("x0102", NULL, 0, RATLS_ERR_MALFORMED);
}

static void test_hex_alloc_embedded_nul(void **state)
{
	static const char text[] = {'0', '1', '\0', '0', '2'};
	uint8_t *out = NULL;
	size_t out_size = 0;

	(void)state;
	assert_int_equal(ratls_hex_decode_alloc(text, sizeof(text), &out, &out_size),
			 RATLS_ERR_MALFORMED);
	assert_null(out);
}

static void test_hex_looks_like(void **state)
{
	(void)state;
	assert_true(ratls_looks_like_hex((const uint8_t *)"0x0102\n", 7));
	assert_true(ratls_looks_like_hex((const uint8_t *)"ab cd", 5));
	assert_false(ratls_looks_like_hex((const uint8_t *)"", 0));
	assert_false(ratls_looks_like_hex((const uint8_t *)"0x", 2));
	assert_false(ratls_looks_like_hex((const uint8_t *)"012", 3));
	assert_false(ratls_looks_like_hex((const uint8_t *)"01zz", 4));
	assert_false(ratls_looks_like_hex((const uint8_t *)"\x04\x00\x02\x00", 4));
}

/* Decodes base64 text and compares with expected (expected_rc != OK for failure). */
static void check_base64(const char *text, const char *expected, size_t expected_size,
			 int expected_rc)
{
	uint8_t *copy = exact_copy(text, strlen(text));
	uint8_t *out = &unset_marker;
	size_t out_size = 12345;
	int rc = ratls_base64_decode_alloc((const char *)copy, strlen(text), &out, &out_size);

	if (rc != expected_rc)
		fail_msg("base64 \"%s\": expected %s, got %s", text, ratls_error_name(expected_rc),
			 ratls_error_name(rc));
	if (rc == RATLS_OK) {
		assert_non_null(out);
		assert_ptr_not_equal(out, &unset_marker);
		if (out_size != expected_size)
			fail_msg("base64 \"%s\": expected %zu bytes, got %zu", text, expected_size,
				 out_size);
		if (expected_size > 0)
			assert_memory_equal(out, expected, expected_size);
	} else {
		assert_null(out);
		assert_int_equal(out_size, 0);
	}
	free(out);
	free(copy);
}

static void test_base64_valid(void **state)
{
	(void)state;
	/* RFC 4648 section 10 test vectors. */
	check_base64("", "", 0, RATLS_OK);
	check_base64("Zg==", "f", 1, RATLS_OK);
	check_base64("Zm8=", "fo", 2, RATLS_OK);
	check_base64("Zm9v", "foo", 3, RATLS_OK);
	check_base64("Zm9vYg==", "foob", 4, RATLS_OK);
	check_base64("Zm9vYmE=", "fooba", 5, RATLS_OK);
	check_base64("Zm9vYmFy", "foobar", 6, RATLS_OK);

	check_base64("+/8=", "\xfb\xff", 2, RATLS_OK);
	check_base64("////", "\xff\xff\xff", 3, RATLS_OK);
	check_base64("AAAA", "\x00\x00\x00", 3, RATLS_OK);
	check_base64(" Zm9v\nYmFy\r\n", "foobar", 6, RATLS_OK);
	check_base64("Zm9vYg=\n=", "foob", 4, RATLS_OK);
	check_base64("\t\n", "", 0, RATLS_OK);
}

static void test_base64_invalid(void **state)
{
	(void)state;
	check_base64("Zg", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zg=", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm9", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Z===", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("====", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("=", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm9vYg===", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zg==Zm9v", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zg=A", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Z=g=", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("=Zm9", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm9v=", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm-v", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm_v", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm9v!", NULL, 0, RATLS_ERR_MALFORMED);
	check_base64("Zm\x80v", NULL, 0, RATLS_ERR_MALFORMED);
}

static void test_base64_looks_like(void **state)
{
	(void)state;
	assert_true(ratls_looks_like_base64((const uint8_t *)"Zm9v\nYg==", 9));
	assert_false(ratls_looks_like_base64((const uint8_t *)"", 0));
	assert_false(ratls_looks_like_base64((const uint8_t *)"Zm9", 3));
	assert_false(ratls_looks_like_base64((const uint8_t *)"Zm-v", 4));
}

/* URL-decodes text and compares with expected (expected_rc != OK for failure). */
static void check_url(const char *text, const char *expected, size_t expected_len, int expected_rc)
{
	uint8_t *copy = exact_copy(text, strlen(text));
	char *out = (char *)&unset_marker;
	size_t out_len = 12345;
	int rc = ratls_url_decode_alloc((const char *)copy, strlen(text), &out, &out_len);

	if (rc != expected_rc)
		fail_msg("URL text \"%s\": expected %s, got %s", text, ratls_error_name(expected_rc),
			 ratls_error_name(rc));
	if (rc == RATLS_OK) {
		assert_non_null(out);
		assert_ptr_not_equal(out, (char *)&unset_marker);
		assert_int_equal(out_len, expected_len);
		assert_memory_equal(out, expected, expected_len);
		assert_int_equal(out[out_len], '\0');
	} else {
		assert_null(out);
		assert_int_equal(out_len, 0);
	}
	free(out);
	free(copy);
}

static void test_url_decode(void **state)
{
	(void)state;
	check_url("", "", 0, RATLS_OK);
	check_url("plain", "plain", 5, RATLS_OK);
	check_url("a%2Bb", "a+b", 3, RATLS_OK);
	check_url("a%2bb", "a+b", 3, RATLS_OK);
	check_url("a+b", "a+b", 3, RATLS_OK);
	check_url("%41%42", "AB", 2, RATLS_OK);
	check_url("%2F%3D", "/=", 2, RATLS_OK);
	check_url("-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%0A",
		  "-----BEGIN CERTIFICATE-----\nMIIB+\n", 34, RATLS_OK);
	check_url("a%00b", "a\0b", 3, RATLS_OK);
	check_url("%25", "%", 1, RATLS_OK);

	check_url("%", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("%2", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("abc%", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("abc%4", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("%zz", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("%G1", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("%1G", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("%%41", NULL, 0, RATLS_ERR_MALFORMED);
	check_url("% 1", NULL, 0, RATLS_ERR_MALFORMED);
}

/* ---- RFC 3339 time ---- */

/* Parses text from an exact heap copy (no NUL after it). */
static int parse_time(const char *text, int64_t *out)
{
	uint8_t *copy = exact_copy(text, strlen(text));
	int rc = ratls_time_parse_rfc3339((const char *)copy, strlen(text), out);

	free(copy);
	return rc;
}

static void test_time_valid_forms(void **state)
{
	static const struct {
		const char *text;
		int64_t expected;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"1969-12-31T23:59:59Z", -1},
		{"1900-01-01T00:00:00Z", INT64_C(-2208988800)},
		{"2000-02-29T23:59:59Z", 951868799},
		{"2024-02-29T00:00:00Z", 1709164800},
		{"2038-01-19T03:14:08Z", INT64_C(2147483648)},
		{"2025-07-19T10:00:34Z", 1752919234},
		{"2025-07-19t10:00:34z", 1752919234},
		{"2025-07-19T10:00:34.999Z", 1752919234},
		{"2025-07-19T10:00:34.5Z", 1752919234},
		{"2025-07-19T10:00:34.123456789012Z", 1752919234},
		{"2025-07-19T10:00:34+00:00", 1752919234},
		{"2025-07-19T10:00:34-00:00", 1752919234},
		{"2025-07-19T12:00:34+02:00", 1752919234},
		{"2025-07-19T05:30:34-04:30", 1752919234},
		{"2025-07-20T09:59:34+23:59", 1752919234},
		{"2025-07-19T12:00:34.25+02:00", 1752919234},
		{"2025-12-31T23:59:59Z", 1767225599},
		/* Second 60 (a leap second) folds into the next minute. */
		{"2016-12-31T23:59:60Z", 1483228800},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t t = 0;
		int rc = parse_time(cases[i].text, &t);

		if (rc != RATLS_OK)
			fail_msg("\"%s\": expected RATLS_OK, got %s", cases[i].text,
				 ratls_error_name(rc));
		if (t != cases[i].expected)
			fail_msg("\"%s\": expected %lld, got %lld", cases[i].text,
				 (long long)cases[i].expected, (long long)t);
	}
}

static void test_time_invalid_forms(void **state)
{
	static const char *const cases[] = {
		"",
		"2025-07-19",
		"2025-07-19T10:00:34",          /* no zone */
		"2025-07-19T10:00:34.5",        /* no zone after a fraction */
		"2025-07-19T10:00",
		"2025-07-19 10:00:34Z",
		"2025-07-19T10:00:34ZZ",
		"2025-07-19T10:00:34Z ",
		"2025-07-19T10:00:34Zx",
		"2025-07-19T10:00:34+02:00x",
		"2025-07-19T10:00:34.Z",
		"2025-07-19T10:00:34,5Z",
		"2025-07-19T10:00:34+0200",
		"2025-07-19T10:00:34+02",
		"2025-07-19T10:00:34+24:00",
		"2025-07-19T10:00:34+02:60",
		"2025-07-19T10:00:34 +02:00",
		"2025-00-10T00:00:00Z",
		"2025-13-10T00:00:00Z",
		"2025-07-00T00:00:00Z",
		"2025-07-32T00:00:00Z",
		"2025-04-31T00:00:00Z",
		"2025-06-31T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2024-02-30T00:00:00Z",
		"2025-07-19T24:00:00Z",
		"2025-07-19T10:60:00Z",
		"2025-07-19T10:00:61Z",
		"25-07-19T10:00:34Z",
		"+2025-07-19T10:00:34Z",
		"2O25-07-19T10:00:34Z",
		"2025/07/19T10:00:34Z",
		"2025-7-19T10:00:34Z",
		"2025-07-19T1:00:34Z",
		" 2025-07-19T10:00:34Z",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t t = 0;
		int rc = parse_time(cases[i], &t);

		if (rc != RATLS_ERR_MALFORMED)
			fail_msg("\"%s\": expected RATLS_ERR_MALFORMED, got %s", cases[i],
				 ratls_error_name(rc));
	}
}

static void test_time_respects_length(void **state)
{
	static const char text[] = "2025-07-19T10:00:34Z";
	int64_t t = 0;

	(void)state;
	/* Every proper prefix is invalid; the full text is valid. */
	for (size_t len = 0; len < sizeof(text) - 1; len++) {
		uint8_t *copy = exact_copy(text, len);

		if (ratls_time_parse_rfc3339((const char *)copy, len, &t) != RATLS_ERR_MALFORMED)
			fail_msg("prefix of %zu characters was accepted", len);
		free(copy);
	}
	assert_int_equal(parse_time(text, &t), RATLS_OK);
}

static void test_time_format_known(void **state)
{
	static const struct {
		int64_t t;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00Z"},
		{-1, "1969-12-31T23:59:59Z"},
		{-86400, "1969-12-31T00:00:00Z"},
		{86399, "1970-01-01T23:59:59Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{951868800, "2000-03-01T00:00:00Z"},
		{1752919234, "2025-07-19T10:00:34Z"},
		{INT64_C(2147483648), "2038-01-19T03:14:08Z"},
		{INT64_C(-2208988800), "1900-01-01T00:00:00Z"},
		{INT64_C(253402300799), "9999-12-31T23:59:59Z"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[RATLS_TIME_TEXT_SIZE];

		ratls_time_format(cases[i].t, text);
		assert_string_equal(text, cases[i].text);
	}
}

static void test_time_round_trip(void **state)
{
	/* From 1900 to 2200 in steps that hit every weekday, hour and leap-year case. */
	const int64_t start = INT64_C(-2208988800);
	const int64_t end = INT64_C(7258118400);
	const int64_t step = 7 * 86400 + 3600 + 61;
	size_t checked = 0;

	(void)state;
	for (int64_t t = start; t <= end; t += step) {
		char text[RATLS_TIME_TEXT_SIZE];
		int64_t back = 0;

		ratls_time_format(t, text);
		assert_int_equal(strlen(text), 20);
		if (ratls_time_parse_rfc3339(text, strlen(text), &back) != RATLS_OK)
			fail_msg("formatted time \"%s\" of %lld does not parse", text, (long long)t);
		if (back != t)
			fail_msg("\"%s\": formatted from %lld, parsed back as %lld", text, (long long)t,
				 (long long)back);
		checked++;
	}
	assert_true(checked > 15000);
}

static void test_time_from_civil(void **state)
{
	(void)state;
	assert_int_equal(ratls_time_from_civil(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(ratls_time_from_civil(1970, 1, 2, 0, 0, 0), 86400);
	assert_int_equal(ratls_time_from_civil(2000, 3, 1, 0, 0, 0), 951868800);
	assert_int_equal(ratls_time_from_civil(2025, 7, 19, 10, 0, 34), 1752919234);
	assert_true(ratls_time_from_civil(1969, 12, 31, 23, 59, 59) == -1);
}

/* ---- errors and the detail record ---- */

struct expected_error {
	int code;
	const char *name;
	enum ratls_error_class cls;
};

/* Every code of enum ratls_status with its symbol and class, as ratls/error.h defines them. */
static const struct expected_error all_errors[] = {
	{RATLS_OK, "RATLS_OK", RATLS_CLASS_OK},
	{RATLS_ERR_INTERNAL, "RATLS_ERR_INTERNAL", RATLS_CLASS_INTERNAL},
	{RATLS_ERR_INVALID_ARGUMENT, "RATLS_ERR_INVALID_ARGUMENT", RATLS_CLASS_USAGE},
	{RATLS_ERR_NO_MEMORY, "RATLS_ERR_NO_MEMORY", RATLS_CLASS_USAGE},
	{RATLS_ERR_IO, "RATLS_ERR_IO", RATLS_CLASS_USAGE},
	{RATLS_ERR_MALFORMED, "RATLS_ERR_MALFORMED", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_TRUNCATED, "RATLS_ERR_TRUNCATED", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_TRAILING_DATA, "RATLS_ERR_TRAILING_DATA", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_LIMIT_EXCEEDED, "RATLS_ERR_LIMIT_EXCEEDED", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNSUPPORTED_VERSION, "RATLS_ERR_UNSUPPORTED_VERSION", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNSUPPORTED_KEY_TYPE, "RATLS_ERR_UNSUPPORTED_KEY_TYPE", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNSUPPORTED_TEE_TYPE, "RATLS_ERR_UNSUPPORTED_TEE_TYPE", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNSUPPORTED_CERT_DATA, "RATLS_ERR_UNSUPPORTED_CERT_DATA", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNKNOWN_QE_VENDOR, "RATLS_ERR_UNKNOWN_QE_VENDOR", RATLS_CLASS_MALFORMED},
	{RATLS_ERR_UNTRUSTED_ROOT, "RATLS_ERR_UNTRUSTED_ROOT", RATLS_CLASS_TRUST},
	{RATLS_ERR_CHAIN_INVALID, "RATLS_ERR_CHAIN_INVALID", RATLS_CLASS_TRUST},
	{RATLS_ERR_CERT_REVOKED, "RATLS_ERR_CERT_REVOKED", RATLS_CLASS_TRUST},
	{RATLS_ERR_QUOTE_SIGNATURE, "RATLS_ERR_QUOTE_SIGNATURE", RATLS_CLASS_TRUST},
	{RATLS_ERR_QE_REPORT_SIGNATURE, "RATLS_ERR_QE_REPORT_SIGNATURE", RATLS_CLASS_TRUST},
	{RATLS_ERR_QE_REPORT_BINDING, "RATLS_ERR_QE_REPORT_BINDING", RATLS_CLASS_TRUST},
	{RATLS_ERR_PCK_CERT_INVALID, "RATLS_ERR_PCK_CERT_INVALID", RATLS_CLASS_TRUST},
	{RATLS_ERR_COLLATERAL_EXPIRED, "RATLS_ERR_COLLATERAL_EXPIRED", RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_COLLATERAL_NOT_YET_VALID, "RATLS_ERR_COLLATERAL_NOT_YET_VALID",
	 RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_COLLATERAL_MISMATCH, "RATLS_ERR_COLLATERAL_MISMATCH", RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_COLLATERAL_SIGNATURE, "RATLS_ERR_COLLATERAL_SIGNATURE", RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_COLLATERAL_MISSING, "RATLS_ERR_COLLATERAL_MISSING", RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_CRL_INVALID, "RATLS_ERR_CRL_INVALID", RATLS_CLASS_COLLATERAL},
	{RATLS_ERR_TCB_NOT_SUPPORTED, "RATLS_ERR_TCB_NOT_SUPPORTED", RATLS_CLASS_TCB},
	{RATLS_ERR_TCB_STATUS, "RATLS_ERR_TCB_STATUS", RATLS_CLASS_TCB},
	{RATLS_ERR_TCB_REVOKED, "RATLS_ERR_TCB_REVOKED", RATLS_CLASS_TCB},
	{RATLS_ERR_QE_IDENTITY_MISMATCH, "RATLS_ERR_QE_IDENTITY_MISMATCH", RATLS_CLASS_TCB},
	{RATLS_ERR_TDX_MODULE_MISMATCH, "RATLS_ERR_TDX_MODULE_MISMATCH", RATLS_CLASS_TCB},
	{RATLS_ERR_DEBUG, "RATLS_ERR_DEBUG", RATLS_CLASS_POLICY},
	{RATLS_ERR_MRTD_NOT_ALLOWED, "RATLS_ERR_MRTD_NOT_ALLOWED", RATLS_CLASS_POLICY},
	{RATLS_ERR_MEASUREMENT_MISMATCH, "RATLS_ERR_MEASUREMENT_MISMATCH", RATLS_CLASS_POLICY},
	{RATLS_ERR_TD_ATTRIBUTES, "RATLS_ERR_TD_ATTRIBUTES", RATLS_CLASS_POLICY},
	{RATLS_ERR_SEAM_SIGNER, "RATLS_ERR_SEAM_SIGNER", RATLS_CLASS_POLICY},
	{RATLS_ERR_SERVICE_TD, "RATLS_ERR_SERVICE_TD", RATLS_CLASS_POLICY},
	/* An invalid policy is the caller's configuration error, not a policy verdict. */
	{RATLS_ERR_POLICY_INVALID, "RATLS_ERR_POLICY_INVALID", RATLS_CLASS_USAGE},
	{RATLS_ERR_NOT_RATLS, "RATLS_ERR_NOT_RATLS", RATLS_CLASS_EVIDENCE},
	{RATLS_ERR_KEY_BINDING, "RATLS_ERR_KEY_BINDING", RATLS_CLASS_EVIDENCE},
	{RATLS_ERR_EVENT_LOG, "RATLS_ERR_EVENT_LOG", RATLS_CLASS_EVIDENCE},
	{RATLS_ERR_REPORT_STALE, "RATLS_ERR_REPORT_STALE", RATLS_CLASS_EVIDENCE},
	{RATLS_ERR_NETWORK, "RATLS_ERR_NETWORK", RATLS_CLASS_NETWORK},
	{RATLS_ERR_TIMEOUT, "RATLS_ERR_TIMEOUT", RATLS_CLASS_NETWORK},
	{RATLS_ERR_SERVICE, "RATLS_ERR_SERVICE", RATLS_CLASS_NETWORK},
};

static void test_error_names_and_texts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(all_errors); i++) {
		const struct expected_error *e = &all_errors[i];
		const char *text = ratls_strerror(e->code);

		assert_string_equal(ratls_error_name(e->code), e->name);
		assert_non_null(text);
		if (text[0] == '\0' || strcmp(text, "unknown error code") == 0)
			fail_msg("%s has no text of its own", e->name);
		if (ratls_error_class(e->code) != e->cls)
			fail_msg("%s: expected class %s, got %s", e->name,
				 ratls_error_class_name(e->cls),
				 ratls_error_class_name(ratls_error_class(e->code)));

		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(all_errors[j].code, e->code);
			if (strcmp(ratls_strerror(all_errors[j].code), text) == 0)
				fail_msg("%s and %s share the text \"%s\"", all_errors[j].name,
					 e->name, text);
		}
	}
}

static void test_error_codes_in_ranges(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(all_errors); i++) {
		int code = all_errors[i].code;

		assert_in_range(code, 0, RATLS_ERR_END_ - 1);
		if (code >= 10 && code <= 29)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_MALFORMED);
		else if (code >= 30 && code <= 49)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_TRUST);
		else if (code >= 50 && code <= 69)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_COLLATERAL);
		else if (code >= 70 && code <= 89)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_TCB);
		else if (code >= 110 && code <= 129)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_EVIDENCE);
		else if (code >= 130 && code <= 149)
			assert_int_equal(all_errors[i].cls, RATLS_CLASS_NETWORK);
	}
}

static bool is_listed_code(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_errors); i++) {
		if (all_errors[i].code == code)
			return true;
	}
	return false;
}

static void test_error_unknown_codes(void **state)
{
	static const int outside[] = {-1, RATLS_ERR_END_, 1000, -2147483647 - 1, 2147483647};

	(void)state;
	/* A code that ratls_error_name names but all_errors lacks fails here: add it to all_errors. */
	for (int code = 0; code < RATLS_ERR_END_; code++) {
		if (is_listed_code(code))
			continue;
		if (strcmp(ratls_error_name(code), "RATLS_ERR_UNKNOWN") != 0)
			fail_msg("code %d (%s) is missing from this test's table", code,
				 ratls_error_name(code));
		assert_string_equal(ratls_strerror(code), "unknown error code");
		assert_int_equal(ratls_error_class(code), RATLS_CLASS_INTERNAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		assert_string_equal(ratls_error_name(outside[i]), "RATLS_ERR_UNKNOWN");
		assert_string_equal(ratls_strerror(outside[i]), "unknown error code");
		assert_int_equal(ratls_error_class(outside[i]), RATLS_CLASS_INTERNAL);
	}
}

static void test_error_class_names(void **state)
{
	static const char *const expected[] = {"ok",     "usage",    "malformed", "trust",
					       "collateral", "tcb", "policy",    "evidence",
					       "network", "internal"};

	(void)state;
	for (int cls = RATLS_CLASS_OK; cls <= RATLS_CLASS_INTERNAL; cls++)
		assert_string_equal(ratls_error_class_name((enum ratls_error_class)cls),
				    expected[cls]);
	assert_string_equal(ratls_error_class_name((enum ratls_error_class)42), "internal");
}

static void test_fail_first_wins(void **state)
{
	struct ratls_detail detail;

	(void)state;
	memset(&detail, 0x55, sizeof(detail));
	ratls_detail_clear(&detail);
	assert_int_equal(detail.code, RATLS_OK);
	assert_string_equal(detail.message, "");

	assert_int_equal(ratls_fail(&detail, RATLS_ERR_MALFORMED, "first failure at offset %d", 7),
			 RATLS_ERR_MALFORMED);
	assert_int_equal(detail.code, RATLS_ERR_MALFORMED);
	assert_string_equal(detail.message, "first failure at offset 7");

	assert_int_equal(ratls_fail(&detail, RATLS_ERR_TRUNCATED, "second failure"),
			 RATLS_ERR_TRUNCATED);
	assert_int_equal(detail.code, RATLS_ERR_MALFORMED);
	assert_string_equal(detail.message, "first failure at offset 7");

	ratls_detail_clear(&detail);
	assert_int_equal(ratls_fail(&detail, RATLS_ERR_TRUNCATED, "after clear"),
			 RATLS_ERR_TRUNCATED);
	assert_int_equal(detail.code, RATLS_ERR_TRUNCATED);
	assert_string_equal(detail.message, "after clear");
}

static void test_fail_null_detail(void **state)
{
	(void)state;
	assert_int_equal(ratls_fail(NULL, RATLS_ERR_IO, "ignored %s", "message"), RATLS_ERR_IO);
	ratls_detail_clear(NULL);
}

static void test_fail_strips_newlines(void **state)
{
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(ratls_fail(&detail, RATLS_ERR_MALFORMED, "line one\nline two\r\n%s",
				    "three\n"),
			 RATLS_ERR_MALFORMED);
	assert_string_equal(detail.message, "line one line two  three ");
	assert_null(strchr(detail.message, '\n'));
	assert_null(strchr(detail.message, '\r'));
}

static void test_fail_neutralizes_terminal_controls(void **state)
{
	struct ratls_detail detail = {0};

	(void)state;
	/* An escape sequence, a DEL, and U+202E (right-to-left override) quoted from input. */
	assert_int_equal(ratls_fail(&detail, RATLS_ERR_MALFORMED, "event \"%s\" unknown",
				    "\x1b[2Jok\x7f\xe2\x80\xae" "evil"),
			 RATLS_ERR_MALFORMED);
	assert_string_equal(detail.message, "event \"?[2Jok????evil\" unknown");

	/* Other UTF-8 stays, such as an accented file name. */
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_fail(&detail, RATLS_ERR_IO, "file %s", "caf\xc3\xa9"),
			 RATLS_ERR_IO);
	assert_string_equal(detail.message, "file caf\xc3\xa9");
}

static void test_fail_long_message_truncated(void **state)
{
	struct ratls_detail detail = {0};
	char long_text[2 * RATLS_DETAIL_SIZE];

	(void)state;
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(ratls_fail(&detail, RATLS_ERR_INTERNAL, "%s", long_text),
			 RATLS_ERR_INTERNAL);
	assert_int_equal(strlen(detail.message), RATLS_DETAIL_SIZE - 1);
}

/* Forwards to ratls_vfail so the va_list entry point is tested on its own. */
static int __attribute__((format(printf, 3, 4)))
call_vfail(struct ratls_detail *detail, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ratls_vfail(detail, code, fmt, ap);
	va_end(ap);
	return rc;
}

static void test_vfail(void **state)
{
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(call_vfail(&detail, RATLS_ERR_LIMIT_EXCEEDED, "%u > %u", 9u, 8u),
			 RATLS_ERR_LIMIT_EXCEEDED);
	assert_int_equal(detail.code, RATLS_ERR_LIMIT_EXCEEDED);
	assert_string_equal(detail.message, "9 > 8");
	assert_int_equal(call_vfail(&detail, RATLS_ERR_IO, "later"), RATLS_ERR_IO);
	assert_string_equal(detail.message, "9 > 8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_little_endian_values),
		cmocka_unit_test(test_reader_high_bits_not_sign_extended),
		cmocka_unit_test(test_reader_short_reads_keep_cursor),
		cmocka_unit_test(test_reader_bytes_and_skip),
		cmocka_unit_test(test_reader_null_data_is_empty),
		cmocka_unit_test(test_reader_sub_cannot_escape),
		cmocka_unit_test(test_der_short_form),
		cmocka_unit_test(test_der_long_form),
		cmocka_unit_test(test_der_rejects_non_minimal_lengths),
		cmocka_unit_test(test_der_huge_length_is_truncated),
		cmocka_unit_test(test_der_truncation_at_every_offset),
		cmocka_unit_test(test_der_expect_tag),
		cmocka_unit_test(test_der_uint32),
		cmocka_unit_test(test_der_uint32_reads_from_offset),
		cmocka_unit_test(test_hex_fixed),
		cmocka_unit_test(test_hex_encode_round_trip),
		cmocka_unit_test(test_hex_alloc),
		cmocka_unit_test(test_hex_alloc_embedded_nul),
		cmocka_unit_test(test_hex_looks_like),
		cmocka_unit_test(test_base64_valid),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_base64_looks_like),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_time_valid_forms),
		cmocka_unit_test(test_time_invalid_forms),
		cmocka_unit_test(test_time_respects_length),
		cmocka_unit_test(test_time_format_known),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_from_civil),
		cmocka_unit_test(test_error_names_and_texts),
		cmocka_unit_test(test_error_codes_in_ranges),
		cmocka_unit_test(test_error_unknown_codes),
		cmocka_unit_test(test_error_class_names),
		cmocka_unit_test(test_fail_first_wins),
		cmocka_unit_test(test_fail_null_detail),
		cmocka_unit_test(test_fail_strips_newlines),
		cmocka_unit_test(test_fail_neutralizes_terminal_controls),
		cmocka_unit_test(test_fail_long_message_truncated),
		cmocka_unit_test(test_vfail),
	};

	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
