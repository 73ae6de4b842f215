/*
 * DCAP collateral: TCB info, QE identity, CRLs and their issuer chains.
 *
 * struct ratls_collateral contains the raw pieces as received, owned by the
 * struct. TCB info and QE identity keep the exact bytes of the signed JSON
 * object ("tcbInfo" / "enclaveIdentity" value): Intel signs those bytes, so
 * they are never re-serialised. CRLs are stored as DER whatever encoding they
 * arrived in; issuer chains as PEM text whatever encoding they arrived in.
 *
 * Accepted forms:
 *  - a dcap-qvl style bundle (QuoteCollateralV3 JSON: tcb_info as a string,
 *    signatures and CRLs as hex);
 *  - Intel PCS / PCCS response bodies ({"tcbInfo":{...},"signature":"hex"}),
 *    issuer chains as PEM or URL-encoded PEM (the PCS response headers), CRLs
 *    as DER, PEM or hex text of DER (PCCS).
 */
#ifndef RATLS_COLLATERAL_H
#define RATLS_COLLATERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest collateral JSON document accepted (a real TDX TCB info is ~9 KiB). */
#define RATLS_COLLATERAL_JSON_MAX_SIZE (1024 * 1024)
/*
 * Largest bundle JSON accepted: two CRLs as hex (2 x 2 x RATLS_CRL_MAX_SIZE),
 * the TCB info and QE identity as escaped strings (at most twice their size)
 * and the issuer chains. Byte fields written as number arrays take up to four
 * characters per byte, so only smaller CRLs fit in that form.
 */
#define RATLS_COLLATERAL_BUNDLE_MAX_SIZE (24 * 1024 * 1024)
/* Largest CRL accepted (Intel's PCK platform CRL is a few KiB and grows slowly). */
#define RATLS_CRL_MAX_SIZE (4 * 1024 * 1024)
/* Largest issuer chain text accepted (two or three PEM certificates). */
#define RATLS_CHAIN_MAX_SIZE (64 * 1024)
/* Most TCB levels, module identities and advisory IDs read from one document. */
#define RATLS_TCB_LEVELS_MAX 256
#define RATLS_MODULE_IDENTITIES_MAX 64
#define RATLS_ADVISORY_IDS_MAX 128
/*
 * Deepest nesting of JSON objects and arrays that ratls_json_member_raw
 * accepts. Real collateral nests six levels deep (tcbInfo, tcbLevels, level,
 * tcb, components, component); the bound keeps the scanner's recursion
 * shallow on hostile input.
 */
#define RATLS_JSON_MAX_DEPTH 64
/* Maximum advisory ID length ("INTEL-SA-00615" is 14), NUL excluded. */
#define RATLS_ADVISORY_ID_MAX_LEN 63

/* TCB statuses, ordered by severity as Intel's QVL ranks them. */
enum ratls_tcb_status {
	RATLS_TCB_UP_TO_DATE = 0,
	RATLS_TCB_SW_HARDENING_NEEDED = 1,
	RATLS_TCB_CONFIGURATION_NEEDED = 2,
	RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED = 3,
	RATLS_TCB_OUT_OF_DATE = 4,
	RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED = 5,
	RATLS_TCB_REVOKED = 6
};
#define RATLS_TCB_STATUS_COUNT 7

/* Returns Intel's name of a status ("UpToDate"); never NULL. */
RATLS_EXPORT const char *ratls_tcb_status_name(enum ratls_tcb_status status);

/* Parses Intel's name of a status, case-sensitively; any other name is RATLS_ERR_MALFORMED. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_tcb_status_parse(const char *name, size_t len,
							 enum ratls_tcb_status *out);

/* Advisory IDs of a TCB level, owned by the level. */
struct ratls_advisory_list {
	char **ids;
	size_t count;
};

/* A platform TCB level of a TCB info. */
struct ratls_tcb_level {
	uint8_t sgx_svn[16];
	uint16_t pce_svn;
	bool has_tdx_svn;
	uint8_t tdx_svn[16];
	enum ratls_tcb_status status;
	int64_t tcb_date;
	struct ratls_advisory_list advisories;
};

/* A TCB level keyed by an ISV SVN: QE identity levels and TDX module identity levels. */
struct ratls_isv_level {
	uint16_t isv_svn;
	enum ratls_tcb_status status;
	int64_t tcb_date;
	struct ratls_advisory_list advisories;
};

struct ratls_tdx_module_identity {
	char id[16]; /* "TDX_01" */
	uint8_t mrsigner[48];
	uint8_t attributes[8];
	uint8_t attributes_mask[8];
	struct ratls_isv_level *levels; /* in document order */
	size_t level_count;
};

enum ratls_tcb_info_id { RATLS_TCB_INFO_SGX = 1, RATLS_TCB_INFO_TDX = 2 };

/* Parsed TCB info (versions 2 and 3). */
struct ratls_tcb_info {
	enum ratls_tcb_info_id id; /* version 2 has no "id" and is SGX */
	uint32_t version;
	int64_t issue_date;
	int64_t next_update;
	uint8_t fmspc[6];
	uint8_t pce_id[2];
	uint32_t tcb_type;
	uint32_t tcb_evaluation_data_number;
	bool has_tdx_module;
	uint8_t tdx_module_mrsigner[48];
	uint8_t tdx_module_attributes[8];
	uint8_t tdx_module_attributes_mask[8];
	struct ratls_tdx_module_identity *module_identities;
	size_t module_identity_count;
	struct ratls_tcb_level *levels; /* in document order */
	size_t level_count;
};

/*
 * Parses the JSON text of a "tcbInfo" object. Versions 2 (sgxtcbcompNNsvn
 * keys) and 3 ("sgxtcbcomponents", "tdxtcbcomponents", TDX module fields)
 * are accepted, both with "tcbDate" and "tcbStatus" per level ("status" was
 * version 1). Exactly 16 components are required. Unknown keys are ignored,
 * duplicate keys rejected. On success *out is a new object for
 * ratls_tcb_info_free.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_tcb_info_parse(const uint8_t *json, size_t size,
						       struct ratls_tcb_info **out,
						       struct ratls_detail *detail);
RATLS_EXPORT void ratls_tcb_info_free(struct ratls_tcb_info *info);

enum ratls_qe_identity_id {
	RATLS_QE_IDENTITY_OTHER = 0,
	RATLS_QE_IDENTITY_QE = 1,
	RATLS_QE_IDENTITY_TD_QE = 2,
	RATLS_QE_IDENTITY_QVE = 3
};

/* Parsed enclave identity (version 2), as used for the QE and TD_QE. */
struct ratls_qe_identity {
	enum ratls_qe_identity_id id;
	char id_text[16];
	uint32_t version;
	int64_t issue_date;
	int64_t next_update;
	uint32_t tcb_evaluation_data_number;
	/*
	 * MISCSELECT and its mask as the numbers the 8-digit hex strings spell,
	 * compared with the report's little-endian MISCSELECT field.
	 */
	uint32_t miscselect;
	uint32_t miscselect_mask;
	uint8_t attributes[16];
	uint8_t attributes_mask[16];
	uint8_t mrsigner[32];
	uint16_t isv_prod_id;
	struct ratls_isv_level *levels; /* in document order */
	size_t level_count;
};

/* Parses the JSON text of an "enclaveIdentity" object; free with ratls_qe_identity_free. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_qe_identity_parse(const uint8_t *json, size_t size,
							  struct ratls_qe_identity **out,
							  struct ratls_detail *detail);
RATLS_EXPORT void ratls_qe_identity_free(struct ratls_qe_identity *identity);

/* A signed JSON object: the exact bytes Intel signed and the raw r || s signature. */
struct ratls_signed_json {
	uint8_t *body;
	size_t body_size;
	uint8_t signature[64];
};

/* Raw collateral for one quote. Every pointer is owned; NULL means absent. */
struct ratls_collateral {
	struct ratls_signed_json tcb_info;
	char *tcb_info_chain; /* PEM, signing certificate first */
	struct ratls_signed_json qe_identity;
	char *qe_identity_chain;
	uint8_t *pck_crl; /* DER */
	size_t pck_crl_size;
	char *pck_crl_chain;
	uint8_t *root_crl; /* DER */
	size_t root_crl_size;
	char *pck_chain; /* optional PEM PCK chain that replaces the quote's */
};

/* Selects an issuer chain slot. */
enum ratls_chain_slot {
	RATLS_CHAIN_TCB_INFO = 1,
	RATLS_CHAIN_QE_IDENTITY = 2,
	RATLS_CHAIN_PCK_CRL = 3,
	RATLS_CHAIN_PCK = 4
};

/* Selects a CRL slot. */
enum ratls_crl_slot { RATLS_CRL_PCK = 1, RATLS_CRL_ROOT = 2 };

/* Returns a new empty collateral set, or NULL when out of memory. */
RATLS_EXPORT struct ratls_collateral *ratls_collateral_new(void);
RATLS_EXPORT void ratls_collateral_free(struct ratls_collateral *collateral);

/*
 * Loads a dcap-qvl style bundle (QuoteCollateralV3 JSON) into collateral,
 * replacing every slot the bundle sets. Byte fields may be hex strings (either
 * case) or arrays of numbers. Nothing is changed on failure.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_load_bundle(struct ratls_collateral *collateral,
							       const uint8_t *json, size_t size,
							       struct ratls_detail *detail);

/*
 * Serialises collateral as a bundle JSON that ratls_collateral_load_bundle
 * reads back unchanged. *out is a new NUL-terminated string (caller frees).
 * Returns RATLS_ERR_COLLATERAL_MISSING when a slot other than pck_chain is
 * empty.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_write_bundle(const struct ratls_collateral *collateral,
								char **out, struct ratls_detail *detail);

/*
 * Sets the TCB info from an Intel PCS / PCCS response body
 * ({"tcbInfo":{...},"signature":"<hex>"}), keeping the exact bytes of the
 * tcbInfo value. Nothing is changed on failure.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_set_tcb_info(struct ratls_collateral *collateral,
								const uint8_t *body, size_t size,
								struct ratls_detail *detail);

/* Same for a QE identity response body ({"enclaveIdentity":{...},"signature":"<hex>"}). */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_set_qe_identity(struct ratls_collateral *collateral,
								   const uint8_t *body, size_t size,
								   struct ratls_detail *detail);

/*
 * Sets an issuer chain from PEM text or URL-encoded PEM text (a PCS header
 * value), stored as PEM. The text must be ASCII and every CERTIFICATE block
 * must parse. Nothing is changed on failure.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_set_chain(struct ratls_collateral *collateral,
							     enum ratls_chain_slot slot,
							     const uint8_t *text, size_t size,
							     struct ratls_detail *detail);

/*
 * Sets a CRL from DER, PEM, or hex text of DER (as a PCCS serves it), stored
 * as DER. It must parse as one X.509 CRL with no trailing bytes. Nothing is
 * changed on failure.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_collateral_set_crl(struct ratls_collateral *collateral,
							   enum ratls_crl_slot slot,
							   const uint8_t *data, size_t size,
							   struct ratls_detail *detail);

/*
 * Locates the raw bytes of the value of a top-level member of a JSON object
 * (for example "tcbInfo" in a PCS response body), as they appear in the
 * input. *value points into json. Returns RATLS_ERR_MALFORMED when json is not
 * a valid JSON object or the member is absent or repeated, and
 * RATLS_ERR_LIMIT_EXCEEDED when it nests deeper than RATLS_JSON_MAX_DEPTH.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_json_member_raw(const uint8_t *json, size_t size,
							const char *name, const uint8_t **value,
							size_t *value_size, struct ratls_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_COLLATERAL_H */
