/* Output buffers, hex and time helpers shared by the simulated platform's writers. */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "base/fail.h"
#include "sim_internal.h"

void ratls_sim_free(void *buffer)
{
	free(buffer);
}

void ratls_sim_buf_init(struct ratls_sim_buf *buf, size_t limit)
{
	memset(buf, 0, sizeof(*buf));
	buf->limit = limit;
}

/* Makes room for n more bytes plus a terminating NUL. */
static bool reserve(struct ratls_sim_buf *buf, size_t n)
{
	size_t need;
	uint8_t *grown;
	size_t capacity;

	if (buf->failed)
		return false;
	if (n > buf->limit || buf->size > buf->limit - n) {
		buf->failed = true;
		buf->over_limit = true;
		return false;
	}
	need = buf->size + n + 1;
	if (need <= buf->capacity)
		return true;
	capacity = buf->capacity == 0 ? 256 : buf->capacity;
	while (capacity < need)
		capacity *= 2;
	grown = realloc(buf->data, capacity);
	if (grown == NULL) {
		buf->failed = true;
		return false;
	}
	buf->data = grown;
	buf->capacity = capacity;
	return true;
}

void ratls_sim_buf_append(struct ratls_sim_buf *buf, const void *data, size_t size)
{
	if (size == 0 || !reserve(buf, size))
		return;
	memcpy(buf->data + buf->size, data, size);
	buf->size += size;
}

void ratls_sim_buf_append_zeros(struct ratls_sim_buf *buf, size_t size)
{
	if (size == 0 || !reserve(buf, size))
		return;
	memset(buf->data + buf->size, 0, size);
	buf->size += size;
}

void ratls_sim_buf_append_text(struct ratls_sim_buf *buf, const char *text)
{
	ratls_sim_buf_append(buf, text, strlen(text));
}

void ratls_sim_buf_u16le(struct ratls_sim_buf *buf, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	ratls_sim_buf_append(buf, b, sizeof(b));
}

void ratls_sim_buf_u32le(struct ratls_sim_buf *buf, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	ratls_sim_buf_append(buf, b, sizeof(b));
}

void ratls_sim_buf_patch_u32le(struct ratls_sim_buf *buf, size_t offset, uint32_t v)
{
	if (buf->failed || offset > buf->size || buf->size - offset < 4)
		return;
	buf->data[offset] = (uint8_t)v;
	buf->data[offset + 1] = (uint8_t)(v >> 8);
	buf->data[offset + 2] = (uint8_t)(v >> 16);
	buf->data[offset + 3] = (uint8_t)(v >> 24);
}

int ratls_sim_buf_finish(struct ratls_sim_buf *buf, uint8_t **out, size_t *out_size,
			 const char *what, struct ratls_detail *detail)
{
	/* An empty buffer still gets a terminating NUL. */
	if (!buf->failed && buf->data == NULL)
		(void)reserve(buf, 0);
	if (buf->failed) {
		ratls_sim_buf_free(buf);
		if (buf->over_limit)
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "%s would exceed its limit of %zu bytes; reduce the "
					  "sizes in its parameters",
					  what, buf->limit);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory writing %s", what);
	}
	buf->data[buf->size] = '\0';
	*out = buf->data;
	*out_size = buf->size;
	buf->data = NULL;
	buf->size = 0;
	buf->capacity = 0;
	return RATLS_OK;
}

void ratls_sim_buf_free(struct ratls_sim_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->size = 0;
	buf->capacity = 0;
}

void ratls_sim_hex_upper(const uint8_t *data, size_t size, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * size] = '\0';
}

int ratls_sim_asn1_time(int64_t t, ASN1_TIME **out, const char *what, struct ratls_detail *detail)
{
	ASN1_TIME *at;

	/* X.509 times cover years 0000 to 9999; 253402300799 is 9999-12-31T23:59:59Z. */
	if (t < -62167219200 || t > 253402300799)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s %lld is outside the years 0000 to 9999 that X.509 can encode",
				  what, (long long)t);
	at = ASN1_TIME_set(NULL, (time_t)t);
	if (at == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				       "%s %lld cannot be encoded as an X.509 time", what,
				       (long long)t);
	*out = at;
	return RATLS_OK;
}
