/*
 * Bounded reader for untrusted bytes.
 *
 * The only bounds checks of the binary parsers live here. Every read either
 * succeeds completely or returns RATLS_ERR_TRUNCATED and leaves the cursor
 * where it was. Views returned by ratls_reader_bytes point into the reader's
 * input and stay valid as long as that input does.
 */
#ifndef RATLS_BASE_READER_H
#define RATLS_BASE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

struct ratls_reader {
	const uint8_t *data;
	size_t size;
	size_t offset;
};

void ratls_reader_init(struct ratls_reader *r, const uint8_t *data, size_t size);

/* Returns the number of bytes not yet read. */
size_t ratls_reader_remaining(const struct ratls_reader *r);

RATLS_MUST_CHECK int ratls_reader_u8(struct ratls_reader *r, uint8_t *out);
RATLS_MUST_CHECK int ratls_reader_u16le(struct ratls_reader *r, uint16_t *out);
RATLS_MUST_CHECK int ratls_reader_u32le(struct ratls_reader *r, uint32_t *out);
RATLS_MUST_CHECK int ratls_reader_u64le(struct ratls_reader *r, uint64_t *out);

/* Sets *out to a view of the next n bytes and advances past them. */
RATLS_MUST_CHECK int ratls_reader_bytes(struct ratls_reader *r, size_t n, const uint8_t **out);

/* Advances past n bytes. */
RATLS_MUST_CHECK int ratls_reader_skip(struct ratls_reader *r, size_t n);

/*
 * Initialises child over the next n bytes and advances the parent past them,
 * so a nested structure cannot read beyond its declared size.
 */
RATLS_MUST_CHECK int ratls_reader_sub(struct ratls_reader *r, size_t n,
				      struct ratls_reader *child);

#endif
