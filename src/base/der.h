/*
 * Strict DER reader over the bounded reader: definite, minimal lengths and
 * single-byte tags only, as X.509 extensions require (X.690 section 10).
 */
#ifndef RATLS_BASE_DER_H
#define RATLS_BASE_DER_H

#include <stdint.h>

#include "reader.h"

#define RATLS_DER_SEQUENCE 0x30
#define RATLS_DER_OCTET_STRING 0x04
#define RATLS_DER_INTEGER 0x02
#define RATLS_DER_OID 0x06
#define RATLS_DER_ENUMERATED 0x0a
#define RATLS_DER_BOOLEAN 0x01

/*
 * Reads one TLV: *tag receives the tag byte and content is initialised over
 * the value bytes. Returns RATLS_ERR_TRUNCATED when the input ends early and
 * RATLS_ERR_MALFORMED for an indefinite, non-minimal or over-long length or a
 * multi-byte tag. On failure the cursor is unchanged.
 */
RATLS_MUST_CHECK int ratls_der_read(struct ratls_reader *r, uint8_t *tag,
				    struct ratls_reader *content);

/* Reads one TLV whose tag must be expected_tag. */
RATLS_MUST_CHECK int ratls_der_expect(struct ratls_reader *r, uint8_t expected_tag,
				      struct ratls_reader *content);

/*
 * Decodes the content of a non-negative DER INTEGER that fits in 32 bits,
 * enforcing minimal encoding.
 */
RATLS_MUST_CHECK int ratls_der_uint32(const struct ratls_reader *content, uint32_t *out);

#endif
