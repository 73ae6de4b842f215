#include "reader.h"

void ratls_reader_init(struct ratls_reader *r, const uint8_t *data, size_t size)
{
	r->data = data;
	r->size = data != NULL ? size : 0;
	r->offset = 0;
}

size_t ratls_reader_remaining(const struct ratls_reader *r)
{
	return r->size - r->offset;
}

int ratls_reader_bytes(struct ratls_reader *r, size_t n, const uint8_t **out)
{
	if (ratls_reader_remaining(r) < n)
		return RATLS_ERR_TRUNCATED;
	*out = r->data + r->offset;
	r->offset += n;
	return RATLS_OK;
}

int ratls_reader_skip(struct ratls_reader *r, size_t n)
{
	if (ratls_reader_remaining(r) < n)
		return RATLS_ERR_TRUNCATED;
	r->offset += n;
	return RATLS_OK;
}

int ratls_reader_sub(struct ratls_reader *r, size_t n, struct ratls_reader *child)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, n, &p);

	if (rc != RATLS_OK)
		return rc;
	ratls_reader_init(child, p, n);
	return RATLS_OK;
}

int ratls_reader_u8(struct ratls_reader *r, uint8_t *out)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, 1, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = p[0];
	return RATLS_OK;
}

int ratls_reader_u16le(struct ratls_reader *r, uint16_t *out)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, 2, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = (uint16_t)(p[0] | (p[1] << 8));
	return RATLS_OK;
}

int ratls_reader_u32le(struct ratls_reader *r, uint32_t *out)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, 4, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
	return RATLS_OK;
}

int ratls_reader_u64le(struct ratls_reader *r, uint64_t *out)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, 8, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = 0;
	for (int i = 7; i >= 0; i--)
		*out = (*out << 8) | p[i];
	return RATLS_OK;
}
