/*
 * Text encodings met in attestation inputs: hex (quotes, CRLs and signatures
 * in collateral bundles), base64 (PEM bodies, CLI input) and URL percent
 * encoding (PCS issuer-chain headers).
 */
#ifndef RATLS_BASE_ENCODING_H
#define RATLS_BASE_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

/*
 * Decodes hex text of exactly out_size bytes (2 * out_size digits, either
 * case, no prefix). Returns RATLS_ERR_MALFORMED on a bad digit or length.
 */
RATLS_MUST_CHECK int ratls_hex_decode_fixed(const char *text, size_t text_len, uint8_t *out,
					    size_t out_size);

/*
 * Decodes hex text of any even length into a new buffer (caller frees).
 * Accepts an optional "0x" prefix and ASCII whitespace around and between
 * digits, as hex files often end in a newline.
 */
RATLS_MUST_CHECK int ratls_hex_decode_alloc(const char *text, size_t text_len, uint8_t **out,
					    size_t *out_size);

/* Writes 2 * size lowercase hex digits and a NUL; out must hold 2 * size + 1. */
void ratls_hex_encode(const uint8_t *data, size_t size, char *out);

/* True when text (after optional whitespace and "0x") consists of hex digits only. */
bool ratls_looks_like_hex(const uint8_t *text, size_t len);

/*
 * Decodes base64 (standard alphabet, padding required, whitespace ignored)
 * into a new buffer that the caller frees.
 */
RATLS_MUST_CHECK int ratls_base64_decode_alloc(const char *text, size_t text_len, uint8_t **out,
					       size_t *out_size);

/* Returns true when text contains only base64 characters and whitespace. */
bool ratls_looks_like_base64(const uint8_t *text, size_t len);

/*
 * Decodes %XX escapes into a new NUL-terminated string (caller frees). '+' is
 * kept as is because PCS headers escape it as %2B.
 */
RATLS_MUST_CHECK int ratls_url_decode_alloc(const char *text, size_t text_len, char **out,
					    size_t *out_len);

/*
 * Returns the length of the well-formed UTF-8 sequence at p (n bytes
 * available), or 0 when it is overlong, a surrogate, above U+10FFFF or cut
 * short. These are the rules of RFC 3629, which JSON and Rust's String
 * decoding (dstack's SCALE strings) share.
 */
size_t ratls_utf8_sequence_length(const uint8_t *p, size_t n);

/* True when text is well-formed UTF-8 throughout. */
bool ratls_utf8_valid(const uint8_t *text, size_t len);

#endif
