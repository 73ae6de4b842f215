/* Internal interfaces of the simulated platform (src/sim). */
#ifndef RATLS_SIM_INTERNAL_H
#define RATLS_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ratls/sim.h"

struct ratls_sim_key {
	EVP_PKEY *pkey; /* private and public P-256 key */
};

struct ratls_sim_cert {
	X509 *x509;
	struct ratls_sim_key *key; /* the subject's key, its own reference */
};

/* Returns a new reference-sharing copy of key, or NULL when out of memory. */
struct ratls_sim_key *ratls_sim_key_dup(const struct ratls_sim_key *key);

/*
 * A growable output buffer. The first failed append sets failed and every
 * later append is ignored, so a writer checks once at the end.
 */
struct ratls_sim_buf {
	uint8_t *data;
	size_t size;
	size_t capacity;
	size_t limit; /* appends that would grow size past limit fail */
	bool failed;
	bool over_limit; /* the failure was the limit, not an allocation */
};

void ratls_sim_buf_init(struct ratls_sim_buf *buf, size_t limit);
void ratls_sim_buf_append(struct ratls_sim_buf *buf, const void *data, size_t size);
void ratls_sim_buf_append_zeros(struct ratls_sim_buf *buf, size_t size);
void ratls_sim_buf_append_text(struct ratls_sim_buf *buf, const char *text);
void ratls_sim_buf_u16le(struct ratls_sim_buf *buf, uint16_t v);
void ratls_sim_buf_u32le(struct ratls_sim_buf *buf, uint32_t v);
/* Overwrites 4 bytes at offset, which must already be written. */
void ratls_sim_buf_patch_u32le(struct ratls_sim_buf *buf, size_t offset, uint32_t v);

/*
 * Appends a NUL (not counted in size) and moves the buffer to *out and
 * *out_size. Returns RATLS_ERR_LIMIT_EXCEEDED or RATLS_ERR_NO_MEMORY for a
 * failed buffer, which is then freed; what names the output in the detail.
 */
RATLS_MUST_CHECK int ratls_sim_buf_finish(struct ratls_sim_buf *buf, uint8_t **out,
					  size_t *out_size, const char *what,
					  struct ratls_detail *detail);
void ratls_sim_buf_free(struct ratls_sim_buf *buf);

/* Writes 2 * size upper-case hex digits and a NUL; out must hold 2 * size + 1. */
void ratls_sim_hex_upper(const uint8_t *data, size_t size, char *out);

/* Converts Unix seconds to an ASN1_TIME (UTCTime before 2050, else GeneralizedTime). */
RATLS_MUST_CHECK int ratls_sim_asn1_time(int64_t t, ASN1_TIME **out, const char *what,
					 struct ratls_detail *detail);

/* Builds an AuthorityKeyIdentifier holding the SHA-1 key identifier of issuer's public key. */
RATLS_MUST_CHECK int ratls_sim_authority_key_id(X509 *issuer, AUTHORITY_KEYID **out,
						struct ratls_detail *detail);

/*
 * JSON helpers for the TCB info and QE identity writers (json.c). Each
 * returns a new jansson value or NULL when out of memory; NULL arguments to
 * ratls_sim_json_set make it fail, so a writer chains calls and checks once.
 */
json_t *ratls_sim_json_date(int64_t t);
json_t *ratls_sim_json_hex(const uint8_t *data, size_t size, bool upper);
json_t *ratls_sim_json_isv_level(const struct ratls_sim_isv_level *level);
/* Sets obj[key] = value (taking value), returning false when either is NULL or on failure. */
bool ratls_sim_json_set(json_t *obj, const char *key, json_t *value);
/* Adds "advisoryIDs" when count > 0. */
bool ratls_sim_json_set_advisories(json_t *obj,
				   const char (*ids)[RATLS_SIM_ADVISORY_ID_SIZE], size_t count);
/* Checks that an advisory list and its IDs fit their arrays; path names it in the detail. */
RATLS_MUST_CHECK int ratls_sim_check_advisories(const char (*ids)[RATLS_SIM_ADVISORY_ID_SIZE],
						size_t count, const char *path,
						struct ratls_detail *detail);
/* Serialises root as compact JSON into a new NUL-terminated buffer. */
RATLS_MUST_CHECK int ratls_sim_json_dump(json_t *root, char **json, size_t *json_size,
					 const char *what, struct ratls_detail *detail);
/* Returns midnight UTC days_before days before now; Intel's tcbDate values fall on midnight. */
int64_t ratls_sim_tcb_date(int64_t now, int days_before);
/* Copies an advisory ID into a level's fixed-size slot. */
void ratls_sim_set_advisory(char slot[RATLS_SIM_ADVISORY_ID_SIZE], const char *id);

/* Encodes the SGX extension value (the OCTET STRING content) for pck. */
RATLS_MUST_CHECK int ratls_sim_sgx_extension_der(const struct ratls_pck_info *pck, uint8_t **der,
						 size_t *der_size, struct ratls_detail *detail);

/* Fills the default PCK certificate SGX extension values. */
void ratls_sim_pck_info_defaults(struct ratls_pck_info *pck);

/*
 * Default platform values shared by the certificate, TCB info and quote
 * defaults, so that the default objects match one another.
 */
extern const uint8_t ratls_sim_default_fmspc[6];
extern const uint8_t ratls_sim_default_cpu_svn[16];
extern const uint16_t ratls_sim_default_pce_svn;
extern const uint8_t ratls_sim_default_tee_tcb_svn[16];
extern const uint16_t ratls_sim_default_qe_isv_svn;
extern const uint16_t ratls_sim_default_td_qe_isv_svn;

/* Returns Intel's MRSIGNER of the QE or TD_QE (32 bytes). */
const uint8_t *ratls_sim_qe_mrsigner(enum ratls_qe_identity_id id);

#endif
