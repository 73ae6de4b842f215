/*
 * Locates the raw bytes of a top-level member value in a JSON object.
 *
 * Intel signs the exact bytes of the "tcbInfo" and "enclaveIdentity" values
 * of a PCS response body, so the signature must be checked over those bytes
 * as received, never over a re-serialisation. jansson discards source
 * positions, which is why this scanner is written by hand. It checks the
 * RFC 8259 grammar (strings, escapes, UTF-8, numbers, literals, nesting) and
 * records where the requested member's value starts and ends. Callers still
 * load the whole document with jansson (JSON_REJECT_DUPLICATES) to validate
 * it and read the other members.
 */
#include <stdbool.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "json_field.h"
#include "ratls/collateral.h"

struct scanner {
	const uint8_t *data;
	size_t size;
	size_t pos;
	unsigned depth;
	struct ratls_detail *detail;
};

/* Returns the next byte, or -1 at the end of the input. */
static int peek(const struct scanner *s)
{
	return s->pos < s->size ? s->data[s->pos] : -1;
}

static void skip_whitespace(struct scanner *s)
{
	int c;

	while ((c = peek(s)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		s->pos++;
}

static int fail_syntax(const struct scanner *s, const char *expected)
{
	if (s->pos >= s->size)
		return ratls_fail(s->detail, RATLS_ERR_MALFORMED,
				  "invalid JSON: input ends at byte %zu, expected %s", s->pos,
				  expected);
	return ratls_fail(s->detail, RATLS_ERR_MALFORMED,
			  "invalid JSON at byte %zu: found 0x%02x, expected %s", s->pos,
			  s->data[s->pos], expected);
}

/*
 * Compares decoded string bytes against an expected NUL-terminated name as
 * they are produced, so escaped keys ("tcb\u0049nfo") match like jansson's.
 */
struct name_match {
	const char *name; /* NULL: no comparison */
	size_t matched;
	bool equal;
};

static void match_bytes(struct name_match *m, const uint8_t *bytes, size_t n)
{
	if (m->name == NULL)
		return;
	for (size_t i = 0; i < n && m->equal; i++) {
		if (m->name[m->matched] == '\0' || (uint8_t)m->name[m->matched] != bytes[i])
			m->equal = false;
		else
			m->matched++;
	}
}

static int hex4(const struct scanner *s, size_t at, uint32_t *out)
{
	uint32_t v = 0;

	if (s->size - at < 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		int c = s->data[at + i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static size_t utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Scans a \u escape (s->pos at the backslash), joining a surrogate pair. */
static int scan_unicode_escape(struct scanner *s, struct name_match *m)
{
	uint32_t cp;
	uint32_t low;
	uint8_t utf8[4];

	if (hex4(s, s->pos + 2, &cp) != 0) {
		s->pos += 2;
		return fail_syntax(s, "4 hex digits after \\u");
	}
	s->pos += 6;

	if (cp >= 0xdc00 && cp <= 0xdfff)
		return ratls_fail(s->detail, RATLS_ERR_MALFORMED,
				  "invalid JSON at byte %zu: lone low surrogate \\u%04x", s->pos - 6,
				  (unsigned)cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (s->size - s->pos < 6 || s->data[s->pos] != '\\' || s->data[s->pos + 1] != 'u' ||
		    hex4(s, s->pos + 2, &low) != 0 || low < 0xdc00 || low > 0xdfff)
			return ratls_fail(s->detail, RATLS_ERR_MALFORMED,
					  "invalid JSON at byte %zu: high surrogate \\u%04x is not "
					  "followed by a low surrogate",
					  s->pos - 6, (unsigned)cp);
		s->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}

	match_bytes(m, utf8, utf8_encode(cp, utf8));
	return RATLS_OK;
}

/* Scans a string (s->pos at the opening quote), comparing it with m->name. */
static int scan_string(struct scanner *s, struct name_match *m)
{
	int c;

	if (peek(s) != '"')
		return fail_syntax(s, "'\"'");
	s->pos++;

	while ((c = peek(s)) != '"') {
		if (c < 0)
			return fail_syntax(s, "'\"' to close the string");
		if (c < 0x20)
			return fail_syntax(s, "no control character inside a string");

		if (c == '\\') {
			int e = s->pos + 1 < s->size ? s->data[s->pos + 1] : -1;
			static const char simple_escapes[] = "\"\\/bfnrt";
			static const uint8_t simple_values[] = "\"\\/\b\f\n\r\t";
			const char *found;
			int rc;

			if (e == 'u') {
				if ((rc = scan_unicode_escape(s, m)) != RATLS_OK)
					return rc;
				continue;
			}
			found = e > 0 ? strchr(simple_escapes, e) : NULL;
			if (found == NULL) {
				s->pos++;
				return fail_syntax(s, "one of \"\\/bfnrtu after a backslash");
			}
			match_bytes(m, &simple_values[found - simple_escapes], 1);
			s->pos += 2;
			continue;
		}

		size_t n = ratls_utf8_sequence_length(s->data + s->pos, s->size - s->pos);

		if (n == 0)
			return fail_syntax(s, "well-formed UTF-8");
		match_bytes(m, s->data + s->pos, n);
		s->pos += n;
	}
	s->pos++;
	return RATLS_OK;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Scans a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct scanner *s)
{
	if (peek(s) == '-')
		s->pos++;
	if (peek(s) == '0') {
		s->pos++;
	} else if (is_digit(peek(s))) {
		while (is_digit(peek(s)))
			s->pos++;
	} else {
		return fail_syntax(s, "a digit");
	}

	if (peek(s) == '.') {
		s->pos++;
		if (!is_digit(peek(s)))
			return fail_syntax(s, "a digit after the decimal point");
		while (is_digit(peek(s)))
			s->pos++;
	}

	if (peek(s) == 'e' || peek(s) == 'E') {
		s->pos++;
		if (peek(s) == '+' || peek(s) == '-')
			s->pos++;
		if (!is_digit(peek(s)))
			return fail_syntax(s, "a digit in the exponent");
		while (is_digit(peek(s)))
			s->pos++;
	}
	return RATLS_OK;
}

static int scan_literal(struct scanner *s, const char *word)
{
	size_t len = strlen(word);

	if (s->size - s->pos < len || memcmp(s->data + s->pos, word, len) != 0)
		return fail_syntax(s, "a JSON value");
	s->pos += len;
	return RATLS_OK;
}

/* Location of the requested member's value in the top-level object. */
struct member_span {
	const char *name;
	bool found;
	size_t key_offset;
	size_t start;
	size_t end;
};

static int scan_value(struct scanner *s);

static int enter_container(struct scanner *s)
{
	if (s->depth >= RATLS_JSON_MAX_DEPTH)
		return ratls_fail(s->detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "JSON nesting at byte %zu is deeper than %d levels", s->pos,
				  RATLS_JSON_MAX_DEPTH);
	s->depth++;
	s->pos++;
	skip_whitespace(s);
	return RATLS_OK;
}

/*
 * Scans an object (s->pos at '{'). When span is not NULL, records where the
 * value of the member span->name is and rejects that member when repeated.
 */
static int scan_object(struct scanner *s, struct member_span *span)
{
	int rc;

	if ((rc = enter_container(s)) != RATLS_OK)
		return rc;
	if (peek(s) == '}') {
		s->pos++;
		s->depth--;
		return RATLS_OK;
	}

	for (;;) {
		struct name_match m = {span != NULL ? span->name : NULL, 0, true};
		size_t key_offset = s->pos;
		size_t value_start;

		if ((rc = scan_string(s, &m)) != RATLS_OK)
			return rc;
		skip_whitespace(s);
		if (peek(s) != ':')
			return fail_syntax(s, "':' after a member name");
		s->pos++;
		skip_whitespace(s);

		value_start = s->pos;
		if ((rc = scan_value(s)) != RATLS_OK)
			return rc;

		if (m.name != NULL && m.equal && m.name[m.matched] == '\0') {
			if (span->found)
				return ratls_fail(s->detail, RATLS_ERR_MALFORMED,
						  "JSON member \"%s\" appears twice (at bytes %zu "
						  "and %zu); remove the repeated member",
						  span->name, span->key_offset, key_offset);
			span->found = true;
			span->key_offset = key_offset;
			span->start = value_start;
			span->end = s->pos;
		}

		skip_whitespace(s);
		if (peek(s) == ',') {
			s->pos++;
			skip_whitespace(s);
			continue;
		}
		if (peek(s) != '}')
			return fail_syntax(s, "',' or '}' after a member value");
		s->pos++;
		s->depth--;
		return RATLS_OK;
	}
}

static int scan_array(struct scanner *s)
{
	int rc;

	if ((rc = enter_container(s)) != RATLS_OK)
		return rc;
	if (peek(s) == ']') {
		s->pos++;
		s->depth--;
		return RATLS_OK;
	}

	for (;;) {
		if ((rc = scan_value(s)) != RATLS_OK)
			return rc;
		skip_whitespace(s);
		if (peek(s) == ',') {
			s->pos++;
			skip_whitespace(s);
			continue;
		}
		if (peek(s) != ']')
			return fail_syntax(s, "',' or ']' after an array element");
		s->pos++;
		s->depth--;
		return RATLS_OK;
	}
}

/* Scans one value; s->pos is at its first byte and ends just past it. */
static int scan_value(struct scanner *s)
{
	int c = peek(s);

	switch (c) {
	case '{':
		return scan_object(s, NULL);
	case '[':
		return scan_array(s);
	case '"':
		return scan_string(s, &(struct name_match){NULL, 0, false});
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (c == '-' || is_digit(c))
			return scan_number(s);
		return fail_syntax(s, "a JSON value");
	}
}

int ratls_json_member_raw(const uint8_t *json, size_t size, const char *name,
			  const uint8_t **value, size_t *value_size, struct ratls_detail *detail)
{
	struct scanner s = {json, size, 0, 0, detail};
	struct member_span span = {name, false, 0, 0, 0};
	int rc;

	if ((json == NULL && size > 0) || name == NULL || value == NULL || value_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_json_member_raw: json, name, value and value_size must "
				  "not be NULL");
	if (json == NULL)
		s.data = (const uint8_t *)"";

	skip_whitespace(&s);
	if (peek(&s) != '{')
		return fail_syntax(&s, "'{' to open a JSON object");
	if ((rc = scan_object(&s, &span)) != RATLS_OK)
		return rc;
	skip_whitespace(&s);
	if (s.pos != s.size)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "invalid JSON: %zu unexpected bytes after the object, from byte %zu",
				  s.size - s.pos, s.pos);

	if (!span.found)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "JSON object has no member \"%s\"",
				  name);
	*value = json + span.start;
	*value_size = span.end - span.start;
	return RATLS_OK;
}
