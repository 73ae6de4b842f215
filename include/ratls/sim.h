/*
 * Simulated Intel TDX / SGX platform: a test PKI that issues quotes and
 * collateral in exactly the formats Intel's platforms and PCS produce.
 *
 * Everything is signed by a test root CA, never by Intel. ratls_dcap_verify
 * accepts these quotes only when struct ratls_dcap_options.trust_root_der is
 * the simulated root, and then it logs a warning on every verification. With
 * the default options they fail with RATLS_ERR_UNTRUSTED_ROOT.
 *
 * Reproducibility: every P-256 key is derived from (seed, label), and
 * certificate serials, names and validity come from parameters, so the same
 * seed and parameters give the same keys and the same to-be-signed
 * certificate, CRL and JSON bytes. Signatures are not reproducible: OpenSSL
 * 3.0 ECDSA draws a random nonce for every signature (it has no RFC 6979
 * mode), so two runs give different signature bytes over the same content.
 *
 * Time: the library never reads the clock. Every function that needs a time
 * takes `now` (Unix seconds, UTC) and places default validity windows around
 * it.
 *
 * Parameters: each object has a plain parameter struct. Fill it with the
 * matching ratls_sim_*_defaults function, change fields one by one, then
 * issue. Parameter structs contain no owned pointers and may be copied by
 * assignment; the few borrowed pointers (quote parameters) are documented
 * where they appear.
 *
 * Memory: every byte or text buffer returned through an out pointer is a new
 * allocation that the caller releases with ratls_sim_free. Objects (keys,
 * certificates, platforms) have their own _free function, which wipes the
 * private key. All _free functions accept NULL.
 */
#ifndef RATLS_SIM_H
#define RATLS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/error.h"
#include "ratls/quote.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Maximum seed size, in bytes. A seed is key material, so 32 bytes are plenty. */
#define RATLS_SIM_SEED_MAX_SIZE 1024
/* Maximum key derivation label length, NUL excluded. */
#define RATLS_SIM_LABEL_MAX_LEN 64

/* Key derivation labels of the platform's keys (ratls_sim_platform_new_with). */
#define RATLS_SIM_LABEL_ROOT_CA "root-ca"
#define RATLS_SIM_LABEL_PLATFORM_CA "pck-platform-ca"
#define RATLS_SIM_LABEL_PROCESSOR_CA "pck-processor-ca"
#define RATLS_SIM_LABEL_TCB_SIGNING "tcb-signing"
#define RATLS_SIM_LABEL_PCK "pck"
#define RATLS_SIM_LABEL_ATTESTATION_KEY "attestation-key"

/* Releases a buffer returned by this module (plain free). Accepts NULL. */
RATLS_EXPORT void ratls_sim_free(void *buffer);

/* ---- Keys ---- */

/* A P-256 private key with its public key. */
struct ratls_sim_key;

/*
 * Derives a P-256 key from (seed, label): the private scalar is
 * (HMAC-SHA256(key = seed, message = "ratls-sim-key:" || label) mod (n - 1)) + 1,
 * with n the P-256 group order, so it is always in [1, n - 1]. seed_size must
 * be 1 to RATLS_SIM_SEED_MAX_SIZE; label must be 1 to RATLS_SIM_LABEL_MAX_LEN
 * printable ASCII characters. On success *out is a new key for
 * ratls_sim_key_free.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_key_derive(const uint8_t *seed, size_t seed_size,
						       const char *label,
						       struct ratls_sim_key **out,
						       struct ratls_detail *detail);

/* Wipes and frees a key. */
RATLS_EXPORT void ratls_sim_key_free(struct ratls_sim_key *key);

/* Writes the public key as X || Y (64 bytes, big-endian), the encoding quotes use. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_key_public_xy(const struct ratls_sim_key *key,
							  uint8_t xy[64],
							  struct ratls_detail *detail);

/* Returns the DER SubjectPublicKeyInfo of the public key in *der (free with ratls_sim_free). */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_key_spki_der(const struct ratls_sim_key *key,
							 uint8_t **der, size_t *der_size,
							 struct ratls_detail *detail);

/* Signs msg with ECDSA P-256 over SHA-256 and writes the signature as raw r || s. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_key_sign(const struct ratls_sim_key *key,
						     const uint8_t *msg, size_t msg_size,
						     uint8_t signature[64],
						     struct ratls_detail *detail);

/* ---- Certificates ---- */

/* The certificates of Intel's PCK hierarchy. */
enum ratls_sim_cert_kind {
	RATLS_SIM_CERT_ROOT_CA = 1,      /* self-signed; Intel: "Intel SGX Root CA" */
	RATLS_SIM_CERT_PLATFORM_CA = 2,  /* "Intel SGX PCK Platform CA" */
	RATLS_SIM_CERT_PROCESSOR_CA = 3, /* "Intel SGX PCK Processor CA" */
	RATLS_SIM_CERT_TCB_SIGNING = 4,  /* "Intel SGX TCB Signing", signs TCB info, QE identity */
	RATLS_SIM_CERT_PCK = 5           /* "Intel SGX PCK Certificate", signs QE reports */
};

/* Largest certificate serial number, in bytes (RFC 5280 section 4.1.2.2). */
#define RATLS_SIM_SERIAL_MAX_SIZE 20

/* A certificate serial number as an unsigned big-endian number; size 0 means "derive one". */
struct ratls_sim_serial {
	uint8_t bytes[RATLS_SIM_SERIAL_MAX_SIZE];
	size_t size;
};

/* Key usage bits (RFC 5280 section 4.2.1.3); 0 omits the extension. */
#define RATLS_SIM_KEY_USAGE_DIGITAL_SIGNATURE 0x01u
#define RATLS_SIM_KEY_USAGE_NON_REPUDIATION 0x02u
#define RATLS_SIM_KEY_USAGE_KEY_CERT_SIGN 0x04u
#define RATLS_SIM_KEY_USAGE_CRL_SIGN 0x08u

/* Basic constraints extension choice. */
enum ratls_sim_basic_constraints {
	RATLS_SIM_BASIC_CONSTRAINTS_OMIT = 0,
	RATLS_SIM_BASIC_CONSTRAINTS_END_ENTITY = 1, /* CA:FALSE, critical */
	RATLS_SIM_BASIC_CONSTRAINTS_CA = 2          /* CA:TRUE, critical, with path_len */
};

/* Sizes of the text fields of struct ratls_sim_cert_params, NUL included. */
#define RATLS_SIM_NAME_SIZE 96
#define RATLS_SIM_URI_SIZE 256

/*
 * Contents of one certificate. The subject is CN, O, OU (omitted when empty),
 * L, ST, C, in that order; L, ST and C are Intel's "Santa Clara", "CA", "US".
 */
struct ratls_sim_cert_params {
	enum ratls_sim_cert_kind kind;
	/* Size 0: derived from the subject key (see ratls_sim_cert_issue). */
	struct ratls_sim_serial serial;
	int64_t not_before;
	int64_t not_after;
	char common_name[RATLS_SIM_NAME_SIZE];
	char organization[RATLS_SIM_NAME_SIZE];
	char organizational_unit[RATLS_SIM_NAME_SIZE];
	/* CRL distribution point URI; empty omits the extension. */
	char crl_distribution_point[RATLS_SIM_URI_SIZE];
	uint32_t key_usage; /* RATLS_SIM_KEY_USAGE_* bits, marked critical */
	enum ratls_sim_basic_constraints basic_constraints;
	int path_len; /* for RATLS_SIM_BASIC_CONSTRAINTS_CA; -1 omits pathLenConstraint */
	bool subject_key_id;   /* SHA-1 of the public key, as Intel's certificates carry */
	bool authority_key_id; /* key identifier of the issuer's key */
	/* Adds the SGX extension (OID 1.2.840.113741.1.13.1) built from pck. */
	bool sgx_extension;
	/*
	 * Contents of the SGX extension. PlatformInstanceID and Configuration
	 * are written when has_platform_instance_id / has_configuration are set
	 * (Intel writes them in certificates issued by the Platform CA). An
	 * all-zero PPID or PlatformInstanceID is replaced by bytes derived from
	 * the subject key, so different seeds give different platforms.
	 */
	struct ratls_pck_info pck;
	/* Adds a critical extension with an unregistered OID, which verifiers must reject. */
	bool unknown_critical_extension;
};

/*
 * Fills params with the defaults for kind:
 *  - Intel's common name, except the root's "Simulated SGX Root CA" (no
 *    verifier checks the root's name); organization "ratls test PKI" and
 *    organizational unit "Simulated platform, not issued by Intel";
 *  - Intel's key usages, basic constraints and path lengths (root 1, PCK
 *    CAs 0), both key identifiers, and a CRL distribution point shaped like
 *    Intel's but on a host under the reserved domain .invalid;
 *  - validity from now - 1 day to now + 10 years (root: now + 25 years);
 *  - for RATLS_SIM_CERT_PCK, the SGX extension with the default platform
 *    values: FMSPC 53494d000000, PCE-ID 0000, PCESVN 11, CPUSVN and
 *    component SVNs 03 03 02 02 04 01 00 05 00.., SGX type 1, and
 *    PlatformInstanceID and Configuration present.
 */
RATLS_EXPORT void ratls_sim_cert_defaults(struct ratls_sim_cert_params *params,
					  enum ratls_sim_cert_kind kind, int64_t now);

/* An issued X.509 certificate together with its subject's private key. */
struct ratls_sim_cert;

/*
 * Issues a certificate for subject_key, signed by issuer's key with
 * ECDSA-with-SHA256, or self-signed when issuer is NULL. A serial of size 0
 * becomes 20 bytes of SHA-256("ratls-sim-serial:" || kind as one byte || DER
 * SubjectPublicKeyInfo), top bit cleared and second bit set. The certificate
 * keeps its own reference to subject_key, which may be freed afterwards. On
 * success *out is a new certificate for ratls_sim_cert_free.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_cert_issue(const struct ratls_sim_cert_params *params,
						       const struct ratls_sim_key *subject_key,
						       const struct ratls_sim_cert *issuer,
						       struct ratls_sim_cert **out,
						       struct ratls_detail *detail);

RATLS_EXPORT void ratls_sim_cert_free(struct ratls_sim_cert *cert);

/* Returns the certificate's subject key; valid as long as cert is. */
RATLS_EXPORT const struct ratls_sim_key *ratls_sim_cert_key(const struct ratls_sim_cert *cert);

/* Writes the serial number actually used, minimal big-endian bytes (size 0 for a NULL cert). */
RATLS_EXPORT void ratls_sim_cert_get_serial(const struct ratls_sim_cert *cert,
					    struct ratls_sim_serial *out);

/* Returns the DER certificate in *der (free with ratls_sim_free). */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_cert_der(const struct ratls_sim_cert *cert,
						     uint8_t **der, size_t *der_size,
						     struct ratls_detail *detail);

/* Returns the DER TBSCertificate, the part that is signed and reproducible. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_cert_tbs_der(const struct ratls_sim_cert *cert,
							 uint8_t **der, size_t *der_size,
							 struct ratls_detail *detail);

/*
 * Returns the PEM text of certs[0..count) concatenated, each block ending in
 * a newline, as a NUL-terminated string in *pem (*pem_len excludes the NUL).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_chain_pem(const struct ratls_sim_cert *const *certs,
						      size_t count, char **pem, size_t *pem_len,
						      struct ratls_detail *detail);

/* ---- CRLs ---- */

/* Maximum number of revoked serials in one CRL parameter set. */
#define RATLS_SIM_CRL_REVOKED_MAX 64

struct ratls_sim_crl_params {
	int64_t this_update;
	int64_t next_update;
	bool omit_next_update; /* produce a CRL without nextUpdate, which verifiers reject */
	long version;          /* X.509 CRL version field: 1 is v2 (the default), 0 is v1 */
	uint32_t crl_number;
	bool authority_key_id;
	/* Each entry has this revocation date and reason keyCompromise, as Intel's CRLs do. */
	int64_t revocation_date;
	struct ratls_sim_serial revoked[RATLS_SIM_CRL_REVOKED_MAX];
	size_t revoked_count;
};

/*
 * Fills params with thisUpdate now - 1 hour, nextUpdate now + 30 days,
 * version 2, CRL number 1, the authority key identifier, no revoked serials
 * and revocation date now - 1 hour.
 */
RATLS_EXPORT void ratls_sim_crl_defaults(struct ratls_sim_crl_params *params, int64_t now);

/*
 * Issues a CRL signed by issuer (its subject becomes the CRL issuer) and
 * returns it as DER in *der (free with ratls_sim_free).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_crl_issue(const struct ratls_sim_crl_params *params,
						      const struct ratls_sim_cert *issuer,
						      uint8_t **der, size_t *der_size,
						      struct ratls_detail *detail);

/*
 * Encodes DER as PEM with the given label ("X509 CRL", "CERTIFICATE"), as a
 * NUL-terminated string in *pem (*pem_len excludes the NUL).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_pem_encode(const char *label, const uint8_t *der,
						       size_t der_size, char **pem, size_t *pem_len,
						       struct ratls_detail *detail);

/* ---- TCB info and QE identity ---- */

/* Capacities of the parameter structs; longer documents can be signed as raw JSON. */
#define RATLS_SIM_TCB_LEVELS_MAX 16
#define RATLS_SIM_MODULE_IDENTITIES_MAX 4
#define RATLS_SIM_ISV_LEVELS_MAX 8
#define RATLS_SIM_ADVISORIES_MAX 8
/* Size of one advisory ID, NUL included ("INTEL-SA-00615" is 14 characters). */
#define RATLS_SIM_ADVISORY_ID_SIZE 32

/* A platform TCB level of a TCB info. */
struct ratls_sim_tcb_level {
	uint8_t sgx_svn[16];
	/* Writes "tdxtcbcomponents" (version 3 only; TDX levels need it). */
	bool has_tdx_svn;
	uint8_t tdx_svn[16];
	uint16_t pce_svn;
	int64_t tcb_date;
	enum ratls_tcb_status status;
	/* Written as "advisoryIDs" when advisory_count > 0. */
	char advisory_ids[RATLS_SIM_ADVISORIES_MAX][RATLS_SIM_ADVISORY_ID_SIZE];
	size_t advisory_count;
};

/* A level keyed by an ISV SVN: QE identity levels and TDX module identity levels. */
struct ratls_sim_isv_level {
	uint16_t isv_svn;
	int64_t tcb_date;
	enum ratls_tcb_status status;
	char advisory_ids[RATLS_SIM_ADVISORIES_MAX][RATLS_SIM_ADVISORY_ID_SIZE];
	size_t advisory_count;
};

struct ratls_sim_module_identity {
	char id[16]; /* "TDX_01" */
	uint8_t mrsigner[48];
	uint8_t attributes[8];
	uint8_t attributes_mask[8];
	struct ratls_sim_isv_level levels[RATLS_SIM_ISV_LEVELS_MAX];
	size_t level_count;
};

/*
 * Contents of a "tcbInfo" object. Version 2 is written in Intel's version 2
 * shape: no "id", "sgxtcbcompNNsvn" keys and no TDX fields. Any other version
 * number is written in the version 3 shape, so tests can produce version 4.
 */
struct ratls_sim_tcb_info_params {
	enum ratls_tcb_info_id id;
	uint32_t version;
	int64_t issue_date;
	int64_t next_update;
	uint8_t fmspc[6];
	uint8_t pce_id[2];
	uint32_t tcb_type;
	uint32_t tcb_evaluation_data_number;
	/* Written in the version 3 shape only. */
	bool has_tdx_module;
	uint8_t tdx_module_mrsigner[48];
	uint8_t tdx_module_attributes[8];
	uint8_t tdx_module_attributes_mask[8];
	struct ratls_sim_module_identity module_identities[RATLS_SIM_MODULE_IDENTITIES_MAX];
	size_t module_identity_count;
	struct ratls_sim_tcb_level levels[RATLS_SIM_TCB_LEVELS_MAX];
	size_t level_count;
	/*
	 * Adds Intel's "category" and "type" strings to the version 3 components
	 * that carry them in real TCB info; verifiers ignore them.
	 */
	bool component_details;
};

/*
 * Fills params with a version 3 TCB info for id (SGX or TDX) that matches the
 * default PCK certificate and quotes. It has issueDate now - 1 hour,
 * nextUpdate now + 30 days, FMSPC 53494d000000, PCE-ID 0000 and evaluation
 * data number 18. Its levels, in Intel's order, are an UpToDate level equal
 * to the default SVNs and an OutOfDate level one SVN below with the advisory
 * ID SIM-SA-00001. A TDX TCB info also has tdxModule (MRSIGNER all zero,
 * attributes 0, mask all ones, as Intel publishes it) and the module identity
 * TDX_01 with levels 3 UpToDate and 1 OutOfDate, which the default
 * TEE_TCB_SVN 03 01 02 00.. selects.
 */
RATLS_EXPORT void ratls_sim_tcb_info_defaults(struct ratls_sim_tcb_info_params *params,
					      enum ratls_tcb_info_id id, int64_t now);

/*
 * Serialises params as the compact JSON text of a "tcbInfo" object in Intel's
 * key order. *json is NUL-terminated (free with ratls_sim_free) and *json_size
 * excludes the NUL.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_tcb_info_json(const struct ratls_sim_tcb_info_params *params, char **json,
			size_t *json_size, struct ratls_detail *detail);

/*
 * Serialises and signs a TCB info with signer's key and returns the PCS
 * response body {"tcbInfo":{...},"signature":"<128 hex digits>"} in *body
 * (NUL-terminated, free with ratls_sim_free; *body_size excludes the NUL).
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_tcb_info_issue(const struct ratls_sim_tcb_info_params *params,
			 const struct ratls_sim_cert *signer, uint8_t **body, size_t *body_size,
			 struct ratls_detail *detail);

/* Contents of an "enclaveIdentity" object (version 2). */
struct ratls_sim_qe_identity_params {
	char id[16]; /* "QE" or "TD_QE" */
	uint32_t version;
	int64_t issue_date;
	int64_t next_update;
	uint32_t tcb_evaluation_data_number;
	/* Written as 8 hex digits of the number (big-endian), as Intel does. */
	uint32_t miscselect;
	uint32_t miscselect_mask;
	uint8_t attributes[16];
	uint8_t attributes_mask[16];
	uint8_t mrsigner[32];
	uint16_t isv_prod_id;
	struct ratls_sim_isv_level levels[RATLS_SIM_ISV_LEVELS_MAX];
	size_t level_count;
};

/*
 * Fills params with the identity of Intel's QE (id RATLS_QE_IDENTITY_QE) or
 * TD_QE (RATLS_QE_IDENTITY_TD_QE). It has Intel's published MRSIGNER,
 * ISVPRODID (1 and 2), MISCSELECT and ATTRIBUTES with their masks, issueDate
 * now - 1 hour and nextUpdate now + 30 days. Its levels match the default QE
 * reports: ISVSVN 8 UpToDate and 6 OutOfDate for the QE, 4 UpToDate and 2
 * OutOfDate for the TD_QE.
 */
RATLS_EXPORT void ratls_sim_qe_identity_defaults(struct ratls_sim_qe_identity_params *params,
						 enum ratls_qe_identity_id id, int64_t now);

/* Serialises an "enclaveIdentity" object as compact JSON; see ratls_sim_tcb_info_json. */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_qe_identity_json(const struct ratls_sim_qe_identity_params *params, char **json,
			   size_t *json_size, struct ratls_detail *detail);

/* Returns the body {"enclaveIdentity":{...},"signature":"..."}; see ratls_sim_tcb_info_issue. */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_qe_identity_issue(const struct ratls_sim_qe_identity_params *params,
			    const struct ratls_sim_cert *signer, uint8_t **body, size_t *body_size,
			    struct ratls_detail *detail);

/*
 * Signs json verbatim (no parsing, no re-serialisation) with signer's key and
 * returns {"<member>":<json>,"signature":"<hex>"} in *body, so tests can sign
 * odd or malformed JSON. member is "tcbInfo" or "enclaveIdentity" (any name
 * of 1 to 64 letters is written as given). json must not exceed
 * RATLS_COLLATERAL_JSON_MAX_SIZE bytes.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_sign_json(const struct ratls_sim_cert *signer,
						      const char *member, const uint8_t *json,
						      size_t json_size, uint8_t **body,
						      size_t *body_size,
						      struct ratls_detail *detail);

/* ---- Quotes ---- */

/* The quote formats real platforms produce. */
enum ratls_sim_quote_format {
	RATLS_SIM_QUOTE_SGX_V3 = 1,      /* SGX enclave report, auth data v3 */
	RATLS_SIM_QUOTE_TDX_V4 = 2,      /* TD report 1.0 */
	RATLS_SIM_QUOTE_TDX_V5_TD10 = 3, /* v5 body type 2 */
	RATLS_SIM_QUOTE_TDX_V5_TD15 = 4  /* v5 body type 3 */
};

/* Quote header fields (48 bytes), written as given. */
struct ratls_sim_quote_header {
	uint16_t version;
	uint16_t att_key_type;
	uint32_t tee_type;
	/* Version 3 fields; versions 4 and 5 reserve these 4 bytes but they are still written. */
	uint16_t qe_svn;
	uint16_t pce_svn;
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20]; /* the first 16 bytes are the QE ID */
};

/* TD report fields (TD 1.0; the last two fields are written for TD 1.5 only). */
struct ratls_sim_td_report {
	uint8_t tee_tcb_svn[16];
	uint8_t mr_seam[48];
	uint8_t mr_signer_seam[48];
	uint8_t seam_attributes[8];
	uint8_t td_attributes[8];
	uint8_t xfam[8];
	uint8_t mr_td[48];
	uint8_t mr_config_id[48];
	uint8_t mr_owner[48];
	uint8_t mr_owner_config[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t tee_tcb_svn2[16];
	uint8_t mr_servicetd[48];
};

/* SGX report fields (sgx_report_body_t); reserved bytes are written as zero. */
struct ratls_sim_sgx_report {
	uint8_t cpu_svn[16];
	uint32_t misc_select;
	uint8_t isv_ext_prod_id[16];
	uint8_t attributes[16];
	uint8_t mr_enclave[32];
	uint8_t mr_signer[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t isv_family_id[16];
	uint8_t report_data[64];
};

/* Largest quote ratls_sim_quote_issue writes: twice the parser's limit, so tests can exceed it. */
#define RATLS_SIM_QUOTE_MAX_SIZE (2 * RATLS_QUOTE_MAX_SIZE)

/*
 * Everything in a quote. The pointers are borrowed: they must stay valid
 * during the issuing call only.
 */
struct ratls_sim_quote_params {
	struct ratls_sim_quote_header header;
	/*
	 * Layout of the report body (enum ratls_body_type), which need not agree
	 * with header.tee_type; for version 5 it is also the descriptor's type.
	 */
	uint16_t body_type;
	/* Version 5 descriptor's body size; 0 writes the size of body_type's layout. */
	uint32_t body_size;
	struct ratls_sim_td_report td;   /* body types 2 and 3 */
	struct ratls_sim_sgx_report sgx; /* body type 1 */

	/*
	 * QE report. Unless qe_report_data_as_given is set, its report_data is
	 * replaced by SHA-256(attestation public key X || Y || QE auth data)
	 * followed by 32 zero bytes.
	 */
	struct ratls_sim_sgx_report qe_report;
	bool qe_report_data_as_given;
	const uint8_t *qe_auth_data; /* NULL with size 0 writes no auth data */
	size_t qe_auth_data_size;    /* at most UINT16_MAX, the field's width */

	/*
	 * Outer certification data type of versions 4 and 5 (version 3 has
	 * none). Type 6 wraps the QE report, its signature, the auth data and the
	 * PCK certification data. Any other type is written with the PCK
	 * certification data directly and no QE report.
	 */
	uint16_t outer_cert_data_type;
	/* PCK certification data type (version 3: the only one; 4 and 5: the inner one). */
	uint16_t cert_data_type;
	/*
	 * PCK certification data as given; NULL generates it: type 5 is
	 * pck_chain_pem with its terminating NUL (as real quotes carry it), type 4
	 * the first PEM block of pck_chain_pem, other types are empty.
	 */
	const uint8_t *cert_data;
	size_t cert_data_size;
	/* PEM chain of PCK, PCK CA and root; ratls_sim_platform_quote fills it when NULL. */
	const char *pck_chain_pem;

	/* Signs header and body; ratls_sim_platform_quote uses the platform's when NULL. */
	const struct ratls_sim_key *attestation_key;
	/* Signs the QE report; ratls_sim_platform_quote uses the PCK key when NULL. */
	const struct ratls_sim_key *qe_report_signer;

	/* Zero bytes appended after the signature data, as some attesters pad quotes. */
	size_t trailing_zero_bytes;
};

/*
 * Fills params for format with values shaped like a real platform's:
 *  - Intel's QE vendor ID, and a QE report that matches the default QE or
 *    TD_QE identity (default CPUSVN, ISVSVN 8 or 4, ATTRIBUTES 0x15 / 0xe7);
 *  - 32 bytes of QE auth data 00 01 .. 1f, and outer type 6 around a type 5
 *    PCK chain;
 *  - for TDX, the default TEE_TCB_SVN 03 01 02 00.., MR_SIGNER_SEAM zero, TD
 *    attributes with only SEPT_VE_DISABLE set, XFAM e7 02 06 00.., and fill
 *    patterns in MRTD ('M') and the RTMRs ('0' to '3').
 * Keys and the PCK chain are NULL.
 */
RATLS_EXPORT void ratls_sim_quote_defaults(struct ratls_sim_quote_params *params,
					   enum ratls_sim_quote_format format);

/*
 * Writes a quote: header and body signed by params->attestation_key, the QE
 * report signed by params->qe_report_signer, raw r || s signatures. Both keys
 * are required; pck_chain_pem is required when cert_data is NULL and
 * cert_data_type is 4 or 5. *quote is freed with ratls_sim_free. Fails with
 * RATLS_ERR_LIMIT_EXCEEDED when a field exceeds its width or the quote
 * exceeds RATLS_SIM_QUOTE_MAX_SIZE.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_quote_issue(const struct ratls_sim_quote_params *params,
							uint8_t **quote, size_t *quote_size,
							struct ratls_detail *detail);

/* ---- PCS helpers ---- */

/* PCS response headers that carry URL-encoded PEM issuer chains. */
enum ratls_sim_pcs_header {
	RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN = 1,         /* "TCB-Info-Issuer-Chain" */
	/* "SGX-Enclave-Identity-Issuer-Chain" */
	RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN = 2,
	RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN = 3           /* "SGX-PCK-CRL-Issuer-Chain" */
};

/* Returns the header's name as Intel's PCS v4 API spells it; NULL for an unknown value. */
RATLS_EXPORT const char *ratls_sim_pcs_header_name(enum ratls_sim_pcs_header header);

/*
 * URL-encodes text as Intel's PCS encodes issuer chain headers: letters,
 * digits and "-._~" stay, every other byte becomes %XX (upper-case hex).
 * *out is NUL-terminated (free with ratls_sim_free).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_url_encode(const char *text, size_t text_len,
						       char **out, size_t *out_len,
						       struct ratls_detail *detail);

/* ---- The platform ---- */

/* Collateral flavour: SGX (TCB info id SGX, QE identity QE) or TDX (TDX, TD_QE). */
enum ratls_sim_tee {
	RATLS_SIM_TEE_SGX = 1,
	RATLS_SIM_TEE_TDX = 2
};

/*
 * Everything a simulated platform issues. The dates in the TCB info, QE
 * identity and CRL parameters are relative to `now`: see
 * ratls_sim_platform_collateral.
 */
struct ratls_sim_platform_params {
	int64_t now; /* the time the defaults were centred on */
	struct ratls_sim_cert_params root_ca;
	struct ratls_sim_cert_params platform_ca;
	struct ratls_sim_cert_params processor_ca;
	struct ratls_sim_cert_params tcb_signing;
	struct ratls_sim_cert_params pck;
	/* Issuer of the PCK certificate and PCK CRL: RATLS_SIM_CERT_PLATFORM_CA or PROCESSOR_CA. */
	enum ratls_sim_cert_kind pck_issuer;
	struct ratls_sim_crl_params root_crl;
	struct ratls_sim_crl_params pck_crl;
	struct ratls_sim_tcb_info_params sgx_tcb_info;
	struct ratls_sim_tcb_info_params tdx_tcb_info;
	struct ratls_sim_qe_identity_params qe_identity;    /* id "QE" */
	struct ratls_sim_qe_identity_params td_qe_identity; /* id "TD_QE" */
};

/*
 * Fills params with every default above centred on now, the PCK issued by
 * the Platform CA. The default quotes of the resulting platform verify with
 * status UpToDate, platform and module status UpToDate and module identity
 * TDX_01.
 */
RATLS_EXPORT void ratls_sim_platform_defaults(struct ratls_sim_platform_params *params,
					      int64_t now);

/* A simulated platform: keys, the certificate hierarchy and the collateral parameters. */
struct ratls_sim_platform;

/*
 * Creates a platform from a seed and parameters: derives every key with the
 * RATLS_SIM_LABEL_* labels, issues the root, both PCK CAs, the TCB signing
 * certificate and the PCK certificate (by params->pck_issuer), and keeps a
 * copy of params. The platform is not modified after creation. On success
 * *out is a new platform for ratls_sim_platform_free.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_new_with(const uint8_t *seed, size_t seed_size,
			    const struct ratls_sim_platform_params *params,
			    struct ratls_sim_platform **out, struct ratls_detail *detail);

/* Same as ratls_sim_platform_new_with with ratls_sim_platform_defaults(now). */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_platform_new(const uint8_t *seed, size_t seed_size,
							 int64_t now,
							 struct ratls_sim_platform **out,
							 struct ratls_detail *detail);

/* Wipes the keys and frees the platform. */
RATLS_EXPORT void ratls_sim_platform_free(struct ratls_sim_platform *platform);

/* Returns the parameters the platform was created with; valid as long as platform is. */
RATLS_EXPORT const struct ratls_sim_platform_params *
ratls_sim_platform_get_params(const struct ratls_sim_platform *platform);

/* Returns one of the platform's certificates (NULL for an unknown kind), valid with platform. */
RATLS_EXPORT const struct ratls_sim_cert *
ratls_sim_platform_get_cert(const struct ratls_sim_platform *platform,
			    enum ratls_sim_cert_kind kind);

/* Returns the attestation key (the QE's ECDSA key); valid as long as platform is. */
RATLS_EXPORT const struct ratls_sim_key *
ratls_sim_platform_attestation_key(const struct ratls_sim_platform *platform);

/*
 * Returns the DER root certificate in *der (free with ratls_sim_free), the
 * value to pass as struct ratls_dcap_options.trust_root_der.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_root_der(const struct ratls_sim_platform *platform, uint8_t **der,
			    size_t *der_size, struct ratls_detail *detail);

/* Returns the PEM PCK chain (PCK, its CA, root) as quotes carry it; see ratls_sim_chain_pem. */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_pck_chain_pem(const struct ratls_sim_platform *platform, char **pem,
				 size_t *pem_len, struct ratls_detail *detail);

/*
 * Fills params with ratls_sim_quote_defaults(format) and the platform's own
 * values: the QE report's CPUSVN and, for version 3, the header's PCESVN from
 * the PCK certificate. The keys and PCK chain stay NULL, so that
 * ratls_sim_platform_quote supplies the platform's.
 */
RATLS_EXPORT void ratls_sim_platform_quote_defaults(const struct ratls_sim_platform *platform,
						    enum ratls_sim_quote_format format,
						    struct ratls_sim_quote_params *params);

/*
 * Issues a quote with ratls_sim_quote_issue, filling a NULL attestation key,
 * QE report signer and PCK chain with the platform's. params may be NULL for
 * the platform's default TDX v4 quote.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_quote(const struct ratls_sim_platform *platform,
			 const struct ratls_sim_quote_params *params, uint8_t **quote,
			 size_t *quote_size, struct ratls_detail *detail);

/*
 * Issues the platform's default TDX v4 quote with the given MRTD, RTMRs and
 * report data; a NULL argument keeps the default value.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_td_quote(const struct ratls_sim_platform *platform, const uint8_t mr_td[48],
			    const uint8_t rtmr[4][48], const uint8_t report_data[64],
			    uint8_t **quote, size_t *quote_size, struct ratls_detail *detail);

/*
 * Issues the platform's TCB info for tee as a PCS response body (see
 * ratls_sim_tcb_info_issue), its dates moved as ratls_sim_platform_collateral
 * describes.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_tcb_info(const struct ratls_sim_platform *platform, enum ratls_sim_tee tee,
			    int64_t now, uint8_t **body, size_t *body_size,
			    struct ratls_detail *detail);

/* Issues the platform's QE identity (QE for SGX, TD_QE for TDX) as a PCS response body. */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_qe_identity(const struct ratls_sim_platform *platform, enum ratls_sim_tee tee,
			       int64_t now, uint8_t **body, size_t *body_size,
			       struct ratls_detail *detail);

/* Issues the root CA CRL (RATLS_CRL_ROOT) or the PCK CRL (RATLS_CRL_PCK) as DER. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_sim_platform_crl(const struct ratls_sim_platform *platform,
							 enum ratls_crl_slot slot, int64_t now,
							 uint8_t **der, size_t *der_size,
							 struct ratls_detail *detail);

/*
 * Issues fresh collateral for tee at time now and stores it in collateral
 * through the ratls_collateral_set_* functions. It replaces the TCB info, QE
 * identity, both CRLs and the three issuer chains, and leaves pck_chain
 * alone. The TCB signing certificate signs the TCB info and QE identity, the
 * root signs the root CA CRL, and the PCK issuer signs the PCK CRL.
 *
 * Every issueDate, nextUpdate, thisUpdate and revocation date of the
 * parameters moves by (now - params.now), so the windows keep their offsets
 * from the time of issue. Pass params.now to use the dates exactly as set.
 * Certificates are not re-issued. On failure collateral may be partly
 * replaced.
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_collateral(const struct ratls_sim_platform *platform, enum ratls_sim_tee tee,
			      int64_t now, struct ratls_collateral *collateral,
			      struct ratls_detail *detail);

/*
 * Returns the value of a PCS response header for the platform's issuer
 * chains: URL-encoded PEM of the TCB signing certificate and root (TCB info
 * and enclave identity) or of the PCK issuer and root (PCK CRL). *value is
 * NUL-terminated (free with ratls_sim_free).
 */
RATLS_EXPORT RATLS_MUST_CHECK int
ratls_sim_platform_pcs_header(const struct ratls_sim_platform *platform,
			      enum ratls_sim_pcs_header header, char **value, size_t *value_len,
			      struct ratls_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_SIM_H */
