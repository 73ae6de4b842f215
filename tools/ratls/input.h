/*
 * Input files of the ratls tool: reading with a size limit, and decoding
 * quotes and certificates from the encodings people store them in.
 */
#ifndef RATLS_CLI_INPUT_H
#define RATLS_CLI_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/error.h"
#include "ratls/evidence.h"
#include "ratls/quote.h"

/*
 * Largest quote file read. Hex text with a separator after every byte takes
 * three characters per byte, so four per byte of a RATLS_QUOTE_MAX_SIZE
 * quote leaves room for line breaks. The decoded quote must still fit
 * RATLS_QUOTE_MAX_SIZE.
 */
#define CLI_QUOTE_FILE_MAX_SIZE (4 * RATLS_QUOTE_MAX_SIZE)

/* Largest TCB info or QE identity file: a PCS response body. */
#define CLI_COLLATERAL_FILE_MAX_SIZE RATLS_COLLATERAL_JSON_MAX_SIZE

/* Largest collateral bundle file. */
#define CLI_BUNDLE_FILE_MAX_SIZE RATLS_COLLATERAL_BUNDLE_MAX_SIZE

/* Largest CRL file: hex text of a RATLS_CRL_MAX_SIZE CRL, plus line breaks. */
#define CLI_CRL_FILE_MAX_SIZE (2 * RATLS_CRL_MAX_SIZE + 64 * 1024)

/* Largest issuer chain file: URL encoding may triple a RATLS_CHAIN_MAX_SIZE PEM chain. */
#define CLI_CHAIN_FILE_MAX_SIZE (3 * RATLS_CHAIN_MAX_SIZE)

/* Largest trust root file: one certificate, PEM or DER (Intel's root is under 1 KiB). */
#define CLI_CERT_FILE_MAX_SIZE (64 * 1024)

/*
 * Largest RA-TLS certificate file: the library's limit on its input
 * (RATLS_EVIDENCE_MAX_SIZE), which applies to PEM text as well as DER.
 */
#define CLI_RATLS_CERT_FILE_MAX_SIZE RATLS_EVIDENCE_MAX_SIZE

/* File contents, NUL-terminated one byte past size so text can be used as a C string. */
struct cli_buffer {
	uint8_t *data;
	size_t size;
};

void cli_buffer_free(struct cli_buffer *buffer);

/*
 * Reads path ("-" is standard input, which can be read once per process)
 * into *out. what names the file in messages ("quote file"). Returns
 * RATLS_ERR_IO when the file cannot be read, RATLS_ERR_LIMIT_EXCEEDED when it
 * is larger than max_size, and RATLS_ERR_INVALID_ARGUMENT when standard
 * input is named twice.
 */
int cli_read_file(const char *path, size_t max_size, const char *what, struct cli_buffer *out,
		  struct ratls_detail *detail);

/* Encoding of a quote file. */
enum cli_quote_encoding { CLI_ENCODING_BINARY, CLI_ENCODING_HEX, CLI_ENCODING_BASE64 };

/* Returns "binary", "hex" or "base64". */
const char *cli_quote_encoding_name(enum cli_quote_encoding encoding);

/*
 * Decodes a quote file: binary (detected by a little-endian version 3, 4 or
 * 5 in its first two bytes, or by bytes that are not text), hex text
 * (optional "0x", whitespace anywhere) or base64 text (whitespace anywhere).
 * On success *out contains the binary quote, at most RATLS_QUOTE_MAX_SIZE
 * bytes. path is used in messages only.
 */
int cli_decode_quote(const struct cli_buffer *raw, const char *path, struct cli_buffer *out,
		     enum cli_quote_encoding *encoding, struct ratls_detail *detail);

/* Reads and decodes a quote file in one step. */
int cli_load_quote(const char *path, struct cli_buffer *quote, enum cli_quote_encoding *encoding,
		   struct ratls_detail *detail);

/*
 * Decodes one X.509 certificate given as DER or as a single PEM
 * "CERTIFICATE" block into DER in *der. The DER itself is checked by the
 * library when it is used.
 */
int cli_decode_certificate(const struct cli_buffer *raw, const char *path, struct cli_buffer *der,
			   struct ratls_detail *detail);

/* A collateral input file and where it goes in struct ratls_collateral. */
enum cli_piece_kind {
	CLI_PIECE_BUNDLE,      /* ratls_collateral_load_bundle */
	CLI_PIECE_TCB_INFO,    /* ratls_collateral_set_tcb_info */
	CLI_PIECE_QE_IDENTITY, /* ratls_collateral_set_qe_identity */
	CLI_PIECE_CHAIN,       /* ratls_collateral_set_chain into slot */
	CLI_PIECE_CRL          /* ratls_collateral_set_crl into slot */
};

/*
 * Reads path (named by option in messages, such as "--tcb-info") and stores
 * it in collateral. slot is an enum ratls_chain_slot or enum ratls_crl_slot
 * for chains and CRLs and ignored otherwise. A library failure is reported
 * with the option and the file name in front of the library's message.
 */
int cli_collateral_load(struct ratls_collateral *collateral, enum cli_piece_kind kind, int slot,
			const char *option, const char *path, struct ratls_detail *detail);

/* Reads a trust root certificate file (PEM or DER) into DER for ratls_dcap_options. */
int cli_load_trust_root(const char *path, struct cli_buffer *der, struct ratls_detail *detail);

#endif
