/*
 * Reading input files with a size limit, and decoding quotes (binary, hex or
 * base64 text) and certificates (DER or PEM).
 *
 * NOTE: the hex and base64 decoders here exist because the library does not
 * export its own and the tool links no other codec. The library re-checks
 * every decoded quote and certificate, so a decoding slip can only make a
 * valid input fail, never let an invalid one through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "input.h"

/* First allocation when reading a file. It doubles up to the file's limit. */
#define READ_CHUNK_SIZE (64 * 1024)

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

void cli_buffer_free(struct cli_buffer *buffer)
{
	if (buffer == NULL)
		return;
	free(buffer->data);
	buffer->data = NULL;
	buffer->size = 0;
}

/* Allocates size bytes plus a NUL terminator. */
static int buffer_alloc(struct cli_buffer *buffer, size_t size, struct ratls_detail *detail)
{
	buffer->data = malloc(size + 1);
	if (buffer->data == NULL)
		return cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory allocating %zu bytes",
				size + 1);
	buffer->data[size] = '\0';
	buffer->size = size;
	return RATLS_OK;
}

static int fail_too_large(const char *what, const char *path, size_t max_size,
			  struct ratls_detail *detail)
{
	return cli_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
			"%s '%s' is larger than %zu bytes, the limit for this input; check that "
			"it is the right file",
			what, path, max_size);
}

static int read_stream(FILE *f, const char *path, size_t max_size, const char *what,
		       struct cli_buffer *out, struct ratls_detail *detail)
{
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	int rc = RATLS_ERR_INTERNAL;

	for (;;) {
		size_t n;

		if (len == cap) {
			size_t next;
			uint8_t *grown;

			if (cap > max_size) {
				rc = fail_too_large(what, path, max_size, detail);
				goto out;
			}
			next = cap == 0 ? READ_CHUNK_SIZE : cap * 2;
			if (next > max_size + 1)
				next = max_size + 1;
			grown = realloc(buf, next + 1);
			if (grown == NULL) {
				rc = cli_fail(detail, RATLS_ERR_NO_MEMORY,
					      "out of memory reading %s '%s'", what, path);
				goto out;
			}
			buf = grown;
			cap = next;
		}

		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				rc = cli_fail(detail, RATLS_ERR_IO,
					      "cannot read %s '%s': %s; check that it is a "
					      "readable file",
					      what, path, strerror(errno));
				goto out;
			}
			break;
		}
	}

	if (len > max_size) {
		rc = fail_too_large(what, path, max_size, detail);
		goto out;
	}
	buf[len] = '\0';
	out->data = buf;
	out->size = len;
	buf = NULL; /* ownership moved to out */
	rc = RATLS_OK;
out:
	free(buf);
	return rc;
}

int cli_read_file(const char *path, size_t max_size, const char *what, struct cli_buffer *out,
		  struct ratls_detail *detail)
{
	static bool stdin_used;
	FILE *f;
	int rc;

	out->data = NULL;
	out->size = 0;
	if (strcmp(path, "-") == 0) {
		if (stdin_used)
			return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					"standard input ('-') is named for %s but was already "
					"read for another input; pass at most one '-'",
					what);
		stdin_used = true;
		return read_stream(stdin, "<stdin>", max_size, what, out, detail);
	}

	errno = 0;
	f = fopen(path, "rb");
	if (f == NULL)
		return cli_fail(detail, RATLS_ERR_IO, "cannot open %s '%s': %s; check the path",
				what, path, errno != 0 ? strerror(errno) : "unknown error");
	rc = read_stream(f, path, max_size, what, out, detail);
	fclose(f);
	if (rc != RATLS_OK)
		cli_buffer_free(out);
	return rc;
}

const char *cli_quote_encoding_name(enum cli_quote_encoding encoding)
{
	switch (encoding) {
	case CLI_ENCODING_BINARY:
		return "binary";
	case CLI_ENCODING_HEX:
		return "hex";
	case CLI_ENCODING_BASE64:
		return "base64";
	}
	return "unknown";
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int base64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* True when the first two bytes are a supported quote version, little-endian. */
static bool starts_with_quote_version(const uint8_t *data, size_t size)
{
	return size >= 2 && data[1] == 0 && data[0] >= 3 && data[0] <= 5;
}

/* True when every byte is printable ASCII or whitespace. */
static bool is_text(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (!is_space(data[i]) && (data[i] < 0x20 || data[i] > 0x7e))
			return false;
	}
	return true;
}

/* Returns the offset of the first hex digit: leading whitespace and one "0x" are skipped. */
static size_t hex_start(const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size && is_space(data[i]))
		i++;
	if (i + 1 < size && data[i] == '0' && (data[i + 1] == 'x' || data[i + 1] == 'X'))
		i += 2;
	return i;
}

static bool looks_like_hex(const uint8_t *data, size_t size)
{
	size_t digits = 0;

	for (size_t i = hex_start(data, size); i < size; i++) {
		if (hex_value(data[i]) >= 0)
			digits++;
		else if (!is_space(data[i]))
			return false;
	}
	return digits > 0;
}

static bool looks_like_base64(const uint8_t *data, size_t size)
{
	size_t chars = 0;

	for (size_t i = 0; i < size; i++) {
		if (base64_value(data[i]) >= 0 || data[i] == '=')
			chars++;
		else if (!is_space(data[i]))
			return false;
	}
	return chars > 0;
}

static int decode_hex(const uint8_t *data, size_t size, const char *path, struct cli_buffer *out,
		      struct ratls_detail *detail)
{
	size_t start = hex_start(data, size);
	size_t digits = 0, o = 0;
	int high = -1;
	int rc;

	for (size_t i = start; i < size; i++) {
		if (hex_value(data[i]) >= 0)
			digits++;
	}
	if (digits % 2 != 0)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"hex text in '%s' has an odd number of digits (%zu); each byte "
				"needs two, so the file is probably cut short",
				path, digits);
	if ((rc = buffer_alloc(out, digits / 2, detail)) != RATLS_OK)
		return rc;

	for (size_t i = start; i < size; i++) {
		int v = hex_value(data[i]);

		if (v < 0)
			continue;
		if (high < 0) {
			high = v;
		} else {
			out->data[o++] = (uint8_t)(high << 4 | v);
			high = -1;
		}
	}
	return RATLS_OK;
}

/* Decodes standard base64. Padding is optional, and '=' may appear only at the end. */
static int decode_base64(const uint8_t *data, size_t size, const char *path, struct cli_buffer *out,
			 struct ratls_detail *detail)
{
	size_t chars = 0, pads = 0, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	int rc;

	for (size_t i = 0; i < size; i++) {
		if (is_space(data[i]))
			continue;
		if (data[i] == '=') {
			pads++;
		} else if (pads > 0) {
			return cli_fail(detail, RATLS_ERR_MALFORMED,
					"base64 text in '%s' continues after '=' padding at offset "
					"%zu; padding may appear only at the end",
					path, i);
		} else {
			chars++;
		}
	}
	if (pads > 2 || chars % 4 == 1 || (pads > 0 && (chars + pads) % 4 != 0))
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"base64 text in '%s' has an invalid length (%zu characters, %zu "
				"padding); the file is probably cut short",
				path, chars, pads);
	if ((rc = buffer_alloc(out, chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1),
			       detail)) != RATLS_OK)
		return rc;

	for (size_t i = 0; i < size; i++) {
		int v = base64_value(data[i]);

		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return RATLS_OK;
}

/* Copies the decoding result of a text form into detail when no other form fits. */
static int take_detail(struct ratls_detail *detail, const struct ratls_detail *from, int rc)
{
	return cli_fail(detail, rc, "%s", from->message);
}

static int decode_text_quote(const struct cli_buffer *raw, const char *path, struct cli_buffer *out,
			     enum cli_quote_encoding *encoding, struct ratls_detail *detail)
{
	struct ratls_detail hex_detail = {0}, base64_detail = {0};
	struct cli_buffer hex = {0}, base64 = {0};
	bool hex_form = looks_like_hex(raw->data, raw->size);
	bool base64_form = looks_like_base64(raw->data, raw->size);
	int hex_rc = RATLS_ERR_MALFORMED, base64_rc = RATLS_ERR_MALFORMED;

	/*
	 * Hex digits are also base64 characters, so text may fit both forms;
	 * the form whose result starts with a quote version wins, hex first.
	 * Hex that decodes to something else is still taken as hex, so that
	 * the parser names the unsupported version.
	 */
	if (hex_form)
		hex_rc = decode_hex(raw->data, raw->size, path, &hex, &hex_detail);
	if (base64_form)
		base64_rc = decode_base64(raw->data, raw->size, path, &base64, &base64_detail);

	if (hex_rc == RATLS_OK &&
	    (starts_with_quote_version(hex.data, hex.size) || base64_rc != RATLS_OK ||
	     !starts_with_quote_version(base64.data, base64.size))) {
		*out = hex;
		*encoding = CLI_ENCODING_HEX;
		cli_buffer_free(&base64);
		return RATLS_OK;
	}
	if (base64_rc == RATLS_OK && starts_with_quote_version(base64.data, base64.size)) {
		*out = base64;
		*encoding = CLI_ENCODING_BASE64;
		cli_buffer_free(&hex);
		return RATLS_OK;
	}
	if (base64_rc == RATLS_OK) {
		/* Plain words are valid base64 too, so base64 alone is no sign of a quote. */
		base64_rc = cli_fail(&base64_detail, RATLS_ERR_MALFORMED,
				     "'%s' is not a quote: as base64 it decodes to %zu bytes that "
				     "do not start with version 3, 4 or 5; pass a quote as binary, "
				     "hex or base64",
				     path, base64.size);
	}

	cli_buffer_free(&hex);
	cli_buffer_free(&base64);
	if (hex_form)
		return take_detail(detail, &hex_detail, hex_rc);
	if (base64_form)
		return take_detail(detail, &base64_detail, base64_rc);
	return cli_fail(detail, RATLS_ERR_MALFORMED,
			"'%s' is text but neither hex nor base64; pass a quote as binary, hex "
			"or base64",
			path);
}

int cli_decode_quote(const struct cli_buffer *raw, const char *path, struct cli_buffer *out,
		     enum cli_quote_encoding *encoding, struct ratls_detail *detail)
{
	int rc;

	out->data = NULL;
	out->size = 0;
	if (raw->size == 0)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"quote file '%s' is empty; pass a quote as binary, hex or base64",
				path);

	if (starts_with_quote_version(raw->data, raw->size) || !is_text(raw->data, raw->size)) {
		if (raw->size > RATLS_QUOTE_MAX_SIZE)
			return cli_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					"quote in '%s' is %zu bytes, more than the limit of %d "
					"(RATLS_QUOTE_MAX_SIZE); check that it is a quote",
					path, raw->size, RATLS_QUOTE_MAX_SIZE);
		if ((rc = buffer_alloc(out, raw->size, detail)) != RATLS_OK)
			return rc;
		memcpy(out->data, raw->data, raw->size);
		*encoding = CLI_ENCODING_BINARY;
		return RATLS_OK;
	}

	if ((rc = decode_text_quote(raw, path, out, encoding, detail)) != RATLS_OK)
		return rc;
	if (out->size == 0 || out->size > RATLS_QUOTE_MAX_SIZE) {
		rc = cli_fail(detail,
			      out->size == 0 ? RATLS_ERR_MALFORMED : RATLS_ERR_LIMIT_EXCEEDED,
			      "quote in '%s' is %zu bytes after %s decoding, outside 1 to %d "
			      "(RATLS_QUOTE_MAX_SIZE); check that it is a quote",
			      path, out->size, cli_quote_encoding_name(*encoding),
			      RATLS_QUOTE_MAX_SIZE);
		cli_buffer_free(out);
		return rc;
	}
	return RATLS_OK;
}

int cli_load_quote(const char *path, struct cli_buffer *quote, enum cli_quote_encoding *encoding,
		   struct ratls_detail *detail)
{
	struct cli_buffer raw = {0};
	int rc;

	if ((rc = cli_read_file(path, CLI_QUOTE_FILE_MAX_SIZE, "quote file", &raw, detail)) !=
	    RATLS_OK)
		return rc;
	rc = cli_decode_quote(&raw, path, quote, encoding, detail);
	cli_buffer_free(&raw);
	return rc;
}

/* Finds needle in data[from, size). Returns its offset, or size when absent. */
static size_t find_text(const uint8_t *data, size_t size, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i + n <= size; i++) {
		if (memcmp(data + i, needle, n) == 0)
			return i;
	}
	return size;
}

int cli_decode_certificate(const struct cli_buffer *raw, const char *path, struct cli_buffer *der,
			   struct ratls_detail *detail)
{
	size_t begin, body, end;
	int rc;

	der->data = NULL;
	der->size = 0;

	/* DER starts with a SEQUENCE tag, and PEM is text. */
	if (raw->size > 0 && raw->data[0] == 0x30) {
		if ((rc = buffer_alloc(der, raw->size, detail)) != RATLS_OK)
			return rc;
		memcpy(der->data, raw->data, raw->size);
		return RATLS_OK;
	}

	begin = find_text(raw->data, raw->size, 0, PEM_CERT_BEGIN);
	if (begin == raw->size)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' is neither a DER certificate nor PEM with a '%s' line; "
				"pass the root certificate in one of those forms",
				path, PEM_CERT_BEGIN);
	body = begin + strlen(PEM_CERT_BEGIN);
	end = find_text(raw->data, raw->size, body, PEM_CERT_END);
	if (end == raw->size)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"PEM certificate in '%s' has no '%s' line; the file is probably "
				"cut short",
				path, PEM_CERT_END);
	if (find_text(raw->data, raw->size, end, PEM_CERT_BEGIN) != raw->size)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' holds more than one certificate; pass only the root "
				"certificate",
				path);
	return decode_base64(raw->data + body, end - body, path, der, detail);
}
