/*
 * SCALE primitives (parity-scale-codec 3.x, the codec of dstack's V0
 * envelope): compact integers and bools. Fixed-width integers are
 * little-endian and read with the bounded reader directly.
 */
#include "evidence_internal.h"

int ratls_scale_read_compact(struct ratls_reader *r, uint32_t *out)
{
	struct ratls_reader probe = *r;
	uint8_t first = 0;
	uint32_t value = 0;
	int rc;

	if ((rc = ratls_reader_u8(&probe, &first)) != RATLS_OK)
		return rc;

	/* The two low bits of the first byte select the mode; each mode must be the shortest one. */
	switch (first & 3) {
	case 0:
		value = first >> 2;
		break;
	case 1: {
		uint8_t second = 0;

		if ((rc = ratls_reader_u8(&probe, &second)) != RATLS_OK)
			return rc;
		value = ((uint32_t)first | (uint32_t)second << 8) >> 2;
		if (value < (1u << 6))
			return RATLS_ERR_MALFORMED;
		break;
	}
	case 2: {
		uint8_t rest[3];

		for (int i = 0; i < 3; i++) {
			if ((rc = ratls_reader_u8(&probe, &rest[i])) != RATLS_OK)
				return rc;
		}
		value = ((uint32_t)first | (uint32_t)rest[0] << 8 | (uint32_t)rest[1] << 16 |
			 (uint32_t)rest[2] << 24) >> 2;
		if (value < (1u << 14))
			return RATLS_ERR_MALFORMED;
		break;
	}
	default:
		/* Big-integer mode: (first >> 2) + 4 value bytes follow; a u32 allows exactly 4. */
		if ((first >> 2) != 0)
			return RATLS_ERR_MALFORMED;
		if ((rc = ratls_reader_u32le(&probe, &value)) != RATLS_OK)
			return rc;
		if (value < (1u << 30))
			return RATLS_ERR_MALFORMED;
		break;
	}

	*out = value;
	*r = probe;
	return RATLS_OK;
}

int ratls_scale_read_bool(struct ratls_reader *r, bool *out)
{
	struct ratls_reader probe = *r;
	uint8_t b = 0;
	int rc = ratls_reader_u8(&probe, &b);

	if (rc != RATLS_OK)
		return rc;
	if (b > 1)
		return RATLS_ERR_MALFORMED;
	*out = b == 1;
	*r = probe;
	return RATLS_OK;
}

void ratls_scale_append_compact(struct ratls_buffer *b, uint32_t v)
{
	if (v < (1u << 6)) {
		ratls_buffer_append_u8(b, (uint8_t)(v << 2));
	} else if (v < (1u << 14)) {
		uint32_t x = v << 2 | 1;

		ratls_buffer_append_u8(b, (uint8_t)x);
		ratls_buffer_append_u8(b, (uint8_t)(x >> 8));
	} else if (v < (1u << 30)) {
		ratls_buffer_append_u32le(b, v << 2 | 2);
	} else {
		ratls_buffer_append_u8(b, 3);
		ratls_buffer_append_u32le(b, v);
	}
}
