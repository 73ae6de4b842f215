#include "der.h"

int ratls_der_read(struct ratls_reader *r, uint8_t *tag, struct ratls_reader *content)
{
	struct ratls_reader probe = *r;
	uint8_t t = 0;
	uint8_t first = 0;
	size_t len = 0;
	int rc;

	if ((rc = ratls_reader_u8(&probe, &t)) != RATLS_OK)
		return rc;
	if ((t & 0x1f) == 0x1f)
		return RATLS_ERR_MALFORMED; /* multi-byte tag: never used in X.509 extensions */
	if ((rc = ratls_reader_u8(&probe, &first)) != RATLS_OK)
		return rc;

	if (first < 0x80) {
		len = first;
	} else {
		size_t nbytes = first & 0x7f;

		/* 0x80 is the BER indefinite form; more than 4 length bytes is never needed. */
		if (nbytes == 0 || nbytes > 4)
			return RATLS_ERR_MALFORMED;
		for (size_t i = 0; i < nbytes; i++) {
			uint8_t b = 0;

			if ((rc = ratls_reader_u8(&probe, &b)) != RATLS_OK)
				return rc;
			if (i == 0 && b == 0)
				return RATLS_ERR_MALFORMED; /* leading zero: not minimal */
			len = (len << 8) | b;
		}
		if (len < 0x80)
			return RATLS_ERR_MALFORMED; /* long form for a short length */
	}

	if ((rc = ratls_reader_sub(&probe, len, content)) != RATLS_OK)
		return rc;
	*tag = t;
	*r = probe;
	return RATLS_OK;
}

int ratls_der_expect(struct ratls_reader *r, uint8_t expected_tag, struct ratls_reader *content)
{
	struct ratls_reader probe = *r;
	uint8_t tag = 0;
	int rc = ratls_der_read(&probe, &tag, content);

	if (rc != RATLS_OK)
		return rc;
	if (tag != expected_tag)
		return RATLS_ERR_MALFORMED;
	*r = probe;
	return RATLS_OK;
}

int ratls_der_uint32(const struct ratls_reader *content, uint32_t *out)
{
	size_t n = ratls_reader_remaining(content);
	const uint8_t *p = content->data + content->offset;
	uint64_t v = 0;

	if (n == 0 || n > 5)
		return RATLS_ERR_MALFORMED;
	if (p[0] & 0x80)
		return RATLS_ERR_MALFORMED; /* negative */
	if (n > 1 && p[0] == 0 && !(p[1] & 0x80))
		return RATLS_ERR_MALFORMED; /* not minimal */
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (v > UINT32_MAX)
		return RATLS_ERR_MALFORMED;
	*out = (uint32_t)v;
	return RATLS_OK;
}
