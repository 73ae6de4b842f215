/*
 * SGX and TDX quote parsing (Intel DCAP quote formats v3, v4 and v5).
 *
 * The parser does no I/O and no allocation. Every pointer in struct
 * ratls_quote is a view into the caller's input buffer and stays valid as
 * long as that buffer is unchanged. Multi-byte integers in quotes are
 * little-endian. Field layouts follow Intel's sgx_quote_3.h, sgx_quote_4.h
 * and sgx_quote_5.h (intel/SGXDataCenterAttestationPrimitives).
 */
#ifndef RATLS_QUOTE_H
#define RATLS_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Largest quote accepted. Real quotes are about 5 KiB (a three-certificate
 * PEM chain dominates) and some attesters pad them to 8000 bytes; 1 MiB
 * leaves room for certification data with a platform manifest while keeping
 * hostile input bounded.
 */
#define RATLS_QUOTE_MAX_SIZE (1024 * 1024)

#define RATLS_QUOTE_HEADER_SIZE 48
#define RATLS_SGX_REPORT_SIZE 384
#define RATLS_TD10_REPORT_SIZE 584
#define RATLS_TD15_REPORT_SIZE 648

#define RATLS_TEE_TYPE_SGX 0x00000000u
#define RATLS_TEE_TYPE_TDX 0x00000081u

/* Attestation key type 2: ECDSA-256 with P-256 (the only one Intel's QE uses). */
#define RATLS_ATT_KEY_ECDSA_P256 2

/* Quote v5 body types. */
enum ratls_body_type {
	RATLS_BODY_SGX_ENCLAVE = 1,
	RATLS_BODY_TD_REPORT10 = 2,
	RATLS_BODY_TD_REPORT15 = 3
};

/* Certification data types (Intel DCAP quote format, "Certification Data Type"). */
enum ratls_cert_data_type {
	RATLS_CERT_PPID_CLEARTEXT = 1,
	RATLS_CERT_PPID_RSA2048 = 2,
	RATLS_CERT_PPID_RSA3072 = 3,
	RATLS_CERT_PCK_LEAF = 4,
	RATLS_CERT_PCK_CHAIN = 5,
	RATLS_CERT_QE_REPORT = 6,
	RATLS_CERT_PLATFORM_MANIFEST = 7
};

/* SGX enclave report body (sgx_report_body_t), 384 bytes. Views into the quote. */
struct ratls_sgx_report {
	const uint8_t *raw;             /* all 384 bytes, as signed */
	const uint8_t *cpu_svn;         /* 16 */
	uint32_t misc_select;
	const uint8_t *isv_ext_prod_id; /* 16 */
	const uint8_t *attributes;      /* 16; attributes[0] bit 1 is DEBUG */
	const uint8_t *mr_enclave;      /* 32 */
	const uint8_t *mr_signer;       /* 32 */
	const uint8_t *config_id;       /* 64 */
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	const uint8_t *isv_family_id;   /* 16 */
	const uint8_t *report_data;     /* 64 */
};

/* TD report body (sgx_report2_body_t, v1.5 adds two fields). Views into the quote. */
struct ratls_td_report {
	const uint8_t *tee_tcb_svn;     /* 16; [0] module minor SVN, [1] module major version */
	const uint8_t *mr_seam;         /* 48 */
	const uint8_t *mr_signer_seam;  /* 48 */
	const uint8_t *seam_attributes; /* 8 */
	const uint8_t *td_attributes;   /* 8; bit 0 is DEBUG */
	const uint8_t *xfam;            /* 8 */
	const uint8_t *mr_td;           /* 48 */
	const uint8_t *mr_config_id;    /* 48 */
	const uint8_t *mr_owner;        /* 48 */
	const uint8_t *mr_owner_config; /* 48 */
	const uint8_t *rtmr[4];         /* 48 each */
	const uint8_t *report_data;     /* 64 */
	const uint8_t *tee_tcb_svn2;    /* 16; TD report 1.5 only, else NULL */
	const uint8_t *mr_servicetd;    /* 48; TD report 1.5 only, else NULL */
};

struct ratls_quote {
	/* Header (48 bytes). */
	uint16_t version;
	uint16_t att_key_type;
	uint32_t tee_type;
	uint16_t qe_svn;               /* v3; reserved in v4 and v5 */
	uint16_t pce_svn;              /* v3; reserved in v4 and v5 */
	const uint8_t *qe_vendor_id;   /* 16 */
	const uint8_t *user_data;      /* 20; the first 16 bytes are the QE ID */

	/* Body. body_type is derived from the TEE type for v3 and v4. */
	uint16_t body_type;            /* enum ratls_body_type */
	uint32_t body_size;
	struct ratls_sgx_report sgx;   /* valid when body_type == RATLS_BODY_SGX_ENCLAVE */
	struct ratls_td_report td;     /* valid for the TD report body types */

	/* Bytes covered by the quote signature: header, v5 body descriptor and body. */
	const uint8_t *signed_data;
	size_t signed_size;

	/* Quote signature data. */
	uint32_t signature_data_size;
	const uint8_t *signature;       /* 64: r || s, big-endian */
	const uint8_t *attestation_key; /* 64: X || Y of the P-256 point */

	/* Certification data as declared (v4/v5: the outer one, normally type 6). */
	uint16_t cert_data_type;
	uint32_t cert_data_size;
	const uint8_t *cert_data;

	/*
	 * The QE report certification data: present in every v3 quote and in
	 * v4/v5 quotes whose outer certification data is type 6.
	 */
	bool has_qe_report;
	struct ratls_sgx_report qe_report;
	const uint8_t *qe_report_signature; /* 64: r || s */
	uint16_t qe_auth_data_size;
	const uint8_t *qe_auth_data;

	/* The certification data that identifies the PCK (v4/v5: the inner one). */
	uint16_t pck_cert_data_type;
	uint32_t pck_cert_data_size;
	const uint8_t *pck_cert_data;

	/*
	 * Bytes after the signature data. Real quotes carry zero padding there
	 * (up to several KiB); it is accepted, reported here and never signed.
	 */
	size_t trailing_size;
	bool trailing_all_zero;
};

/*
 * Parses a binary quote. On success fills *quote with views into data.
 * Returns RATLS_ERR_TRUNCATED, RATLS_ERR_MALFORMED,
 * RATLS_ERR_UNSUPPORTED_VERSION, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
 * RATLS_ERR_UNSUPPORTED_KEY_TYPE or RATLS_ERR_LIMIT_EXCEEDED with the field
 * and offset in detail (which may be NULL). Nested sizes must match exactly.
 * Certification data types 1-4 and 7 parse; verification rejects them.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_quote_parse(const uint8_t *data, size_t size,
						    struct ratls_quote *quote,
						    struct ratls_detail *detail);

/* True when the quote carries a TD report (TDX), false for an SGX enclave report. */
RATLS_EXPORT bool ratls_quote_is_td(const struct ratls_quote *quote);

/*
 * Returns the PEM PCK certificate chain (leaf first) carried by the quote in
 * *pem and *pem_size (a view into the quote, possibly NUL-terminated).
 * Returns RATLS_ERR_UNSUPPORTED_CERT_DATA when the certification data is not
 * type 5, which is the case for types 1-4 (PPID or a bare leaf).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_quote_pck_chain(const struct ratls_quote *quote,
							const uint8_t **pem, size_t *pem_size,
							struct ratls_detail *detail);

/* SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1). */
struct ratls_pck_info {
	uint8_t ppid[16];
	uint8_t tcb_comp_svn[16]; /* OIDs ...1.2.1 to ...1.2.16 */
	uint16_t pce_svn;         /* ...1.2.17 */
	uint8_t cpu_svn[16];      /* ...1.2.18 */
	uint8_t pce_id[2];
	uint8_t fmspc[6];
	uint32_t sgx_type;        /* 0 Standard, 1 Scalable, 2 Scalable with integrity */
	bool has_platform_instance_id;
	uint8_t platform_instance_id[16];
	bool has_configuration;   /* ...1.7, platform CA certificates only */
	bool dynamic_platform;
	bool cached_keys;
	bool smt_enabled;
};

/*
 * Parses the DER value (the OCTET STRING content) of the SGX extension.
 * Required fields: PPID, TCB, PCE-ID, FMSPC, SGX type. Unknown entries are
 * skipped; duplicates and wrong lengths are RATLS_ERR_MALFORMED.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pck_info_parse(const uint8_t *der, size_t size,
						       struct ratls_pck_info *info,
						       struct ratls_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_QUOTE_H */
