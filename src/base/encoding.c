#include <stdlib.h>
#include <string.h>

#include "encoding.h"

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int ratls_hex_decode_fixed(const char *text, size_t text_len, uint8_t *out, size_t out_size)
{
	if (text_len != 2 * out_size)
		return RATLS_ERR_MALFORMED;
	for (size_t i = 0; i < out_size; i++) {
		int hi = hex_value((unsigned char)text[2 * i]);
		int lo = hex_value((unsigned char)text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return RATLS_ERR_MALFORMED;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return RATLS_OK;
}

static size_t skip_hex_prefix(const char *text, size_t len, size_t i)
{
	while (i < len && is_space((unsigned char)text[i]))
		i++;
	if (len - i >= 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
		i += 2;
	return i;
}

int ratls_hex_decode_alloc(const char *text, size_t text_len, uint8_t **out, size_t *out_size)
{
	size_t start = skip_hex_prefix(text, text_len, 0);
	size_t digits = 0;
	uint8_t *buf = NULL;
	size_t n = 0;
	int hi = -1;

	*out = NULL;
	*out_size = 0;
	for (size_t i = start; i < text_len; i++) {
		if (is_space((unsigned char)text[i]))
			continue;
		if (hex_value((unsigned char)text[i]) < 0)
			return RATLS_ERR_MALFORMED;
		digits++;
	}
	if (digits % 2 != 0)
		return RATLS_ERR_MALFORMED;

	buf = malloc(digits / 2 + 1);
	if (buf == NULL)
		return RATLS_ERR_NO_MEMORY;
	for (size_t i = start; i < text_len; i++) {
		int v;

		if (is_space((unsigned char)text[i]))
			continue;
		v = hex_value((unsigned char)text[i]);
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*out = buf;
	*out_size = n;
	return RATLS_OK;
}

void ratls_hex_encode(const uint8_t *data, size_t size, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * size] = '\0';
}

bool ratls_looks_like_hex(const uint8_t *text, size_t len)
{
	size_t i = skip_hex_prefix((const char *)text, len, 0);
	size_t digits = 0;

	for (; i < len; i++) {
		if (is_space(text[i]))
			continue;
		if (hex_value(text[i]) < 0)
			return false;
		digits++;
	}
	return digits > 0 && digits % 2 == 0;
}

static int base64_value(int c)
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

bool ratls_looks_like_base64(const uint8_t *text, size_t len)
{
	size_t chars = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_space(text[i]))
			continue;
		if (base64_value(text[i]) < 0 && text[i] != '=')
			return false;
		chars++;
	}
	return chars > 0 && chars % 4 == 0;
}

/*
 * Hand-written because OpenSSL's EVP_DecodeBlock neither rejects bad padding
 * nor reports the decoded length without the padding bytes.
 */
int ratls_base64_decode_alloc(const char *text, size_t text_len, uint8_t **out, size_t *out_size)
{
	uint8_t *buf = malloc(text_len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0;
	size_t chars = 0;
	size_t pad = 0;

	*out = NULL;
	*out_size = 0;
	if (buf == NULL)
		return RATLS_ERR_NO_MEMORY;

	for (size_t i = 0; i < text_len; i++) {
		int c = (unsigned char)text[i];
		int v;

		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		v = base64_value(c);
		if (v < 0 || pad > 0)
			goto bad; /* bad character, or data after padding */
		acc = (acc << 6) | (uint32_t)v;
		chars++;
		if (chars % 4 == 0) {
			buf[n++] = (uint8_t)(acc >> 16);
			buf[n++] = (uint8_t)(acc >> 8);
			buf[n++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (chars % 4 != 0 || pad > 2)
		goto bad;
	if (pad == 1) {
		acc <<= 6;
		buf[n++] = (uint8_t)(acc >> 16);
		buf[n++] = (uint8_t)(acc >> 8);
	} else if (pad == 2) {
		acc <<= 12;
		buf[n++] = (uint8_t)(acc >> 16);
	}
	*out = buf;
	*out_size = n;
	return RATLS_OK;

bad:
	free(buf);
	return RATLS_ERR_MALFORMED;
}

int ratls_url_decode_alloc(const char *text, size_t text_len, char **out, size_t *out_len)
{
	char *buf = malloc(text_len + 1);
	size_t n = 0;

	*out = NULL;
	*out_len = 0;
	if (buf == NULL)
		return RATLS_ERR_NO_MEMORY;
	for (size_t i = 0; i < text_len; i++) {
		if (text[i] == '%') {
			int hi;
			int lo;

			if (text_len - i < 3)
				goto bad;
			hi = hex_value((unsigned char)text[i + 1]);
			lo = hex_value((unsigned char)text[i + 2]);

			if (hi < 0 || lo < 0)
				goto bad;
			buf[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[n++] = text[i];
		}
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return RATLS_OK;

bad:
	free(buf);
	return RATLS_ERR_MALFORMED;
}

/*
 * Returns the length of the well-formed UTF-8 sequence at p (at most n bytes
 * available), or 0 when it is overlong, a surrogate, above U+10FFFF or cut.
 */
size_t ratls_utf8_sequence_length(const uint8_t *p, size_t n)
{
	uint8_t b0 = p[0];
	size_t len;
	uint32_t cp;
	uint32_t min;

	if (b0 < 0x80)
		return 1;
	if (b0 >= 0xc2 && b0 <= 0xdf) {
		len = 2;
		cp = b0 & 0x1f;
		min = 0x80;
	} else if (b0 >= 0xe0 && b0 <= 0xef) {
		len = 3;
		cp = b0 & 0x0f;
		min = 0x800;
	} else if (b0 >= 0xf0 && b0 <= 0xf4) {
		len = 4;
		cp = b0 & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool ratls_utf8_valid(const uint8_t *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = ratls_utf8_sequence_length(text + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
