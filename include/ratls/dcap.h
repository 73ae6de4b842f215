/*
 * Local DCAP verification of SGX and TDX quotes, following the rules of
 * Intel's Quote Verification Library (SGX-TDX-DCAP-QuoteVerificationLibrary).
 *
 * Verification is pure: quote bytes, collateral and a time go in, a
 * verified report or an error comes out. Nothing here reads the clock or the
 * network. The result is a verified report, not a verdict on acceptability:
 * apply a struct ratls_policy (ratls/policy.h) to decide.
 *
 * Two ways to call it:
 *  - ratls_dcap_verify: one shot, checks everything.
 *  - ratls_dcap_context_new once per collateral set, then
 *    ratls_dcap_context_verify per quote: the collateral's chains, CRLs and
 *    signatures are checked once, and each quote costs its own PCK leaf,
 *    QE report and quote signatures plus the rule checks.
 */
#ifndef RATLS_DCAP_H
#define RATLS_DCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/error.h"
#include "ratls/quote.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most advisory IDs a verified report carries (platform, TDX module and QE merged). */
#define RATLS_REPORT_ADVISORIES_MAX 64

struct ratls_dcap_options {
	/*
	 * DER certificate of the root to trust instead of the Intel SGX Root CA,
	 * for example the simulated platform's test root. NULL (the default)
	 * trusts only Intel's root, pinned by its public key. Setting it logs a
	 * warning on every verification.
	 */
	const uint8_t *trust_root_der;
	size_t trust_root_der_size;
};

/* Report fields copied out of the quote, valid after the quote buffer is gone. */
struct ratls_td_fields {
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
	bool has_td15;
	uint8_t tee_tcb_svn2[16];
	uint8_t mr_servicetd[48];
};

struct ratls_sgx_fields {
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

struct ratls_verified_report {
	/* Quote header and body. */
	uint16_t quote_version;
	uint32_t tee_type;
	uint16_t body_type;               /* enum ratls_body_type */
	struct ratls_td_fields td;        /* when body_type is a TD report */
	struct ratls_sgx_fields sgx;      /* when body_type is RATLS_BODY_SGX_ENCLAVE */

	/* TCB evaluation. */
	enum ratls_tcb_status status;     /* final, converged as Intel's QVL does */
	enum ratls_tcb_status platform_status;
	int64_t platform_tcb_date;
	bool has_module_status;           /* TDX with a module identity selected */
	enum ratls_tcb_status module_status;
	char module_identity_id[16];
	enum ratls_tcb_status qe_status;
	int64_t qe_tcb_date;
	char advisory_ids[RATLS_REPORT_ADVISORIES_MAX][RATLS_ADVISORY_ID_MAX_LEN + 1];
	size_t advisory_count;
	uint32_t tcb_evaluation_data_number;

	/* Platform identity from the PCK certificate. */
	struct ratls_pck_info pck;
	bool pck_from_platform_ca;        /* issued by the PCK Platform CA, else Processor CA */

	/* QE. */
	uint16_t qe_isv_svn;

	/* Validity of everything used: the report is valid in [valid_from, valid_until]. */
	int64_t valid_from;
	int64_t valid_until;
	char valid_until_source[64];      /* what expires first ("PCK CRL nextUpdate") */

	/* Bytes after the quote's signature data (zero padding in real quotes). */
	size_t trailing_size;

	/* True when a root other than Intel's was trusted. */
	bool custom_root;
};

/*
 * Verifies quote against collateral at Unix time now.
 *
 * On success fills *report. On failure returns the first failing check's
 * code with the specifics in detail (which may be NULL), and *report is
 * unspecified, except for RATLS_ERR_TCB_REVOKED: a Revoked TCB fails here
 * with the report filled in. Other statuses are a success here; the policy
 * decides which are acceptable.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_dcap_verify(const uint8_t *quote, size_t quote_size,
						    const struct ratls_collateral *collateral,
						    int64_t now,
						    const struct ratls_dcap_options *options,
						    struct ratls_verified_report *report,
						    struct ratls_detail *detail);

/* Collateral checked once and reused across quotes. */
struct ratls_dcap_context;

/*
 * Parses collateral and checks every signature, chain and CRL in it that does
 * not depend on the quote or the time. The collateral may be freed afterwards.
 * options may be NULL. On success *out is a new context for
 * ratls_dcap_context_free; it is immutable and may be shared by threads.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_dcap_context_new(const struct ratls_collateral *collateral,
							 const struct ratls_dcap_options *options,
							 struct ratls_dcap_context **out,
							 struct ratls_detail *detail);

/* Verifies one quote with a prepared context; same contract as ratls_dcap_verify. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_dcap_context_verify(const struct ratls_dcap_context *ctx,
							    const uint8_t *quote, size_t quote_size,
							    int64_t now,
							    struct ratls_verified_report *report,
							    struct ratls_detail *detail);

/*
 * Returns the window [*from, *until] in which the context's collateral is
 * valid (the latest issue time and the earliest expiry of all its parts).
 */
RATLS_EXPORT void ratls_dcap_context_validity(const struct ratls_dcap_context *ctx, int64_t *from,
					      int64_t *until);

RATLS_EXPORT void ratls_dcap_context_free(struct ratls_dcap_context *ctx);

/*
 * Checks a TCB info or QE identity on its own: parses it, verifies its
 * signature over the bytes as received with the leaf of chain, verifies the
 * chain to the trusted root (with root_crl when given, which may be NULL),
 * and checks every validity window against now. Exactly one of tcb_info and
 * qe_identity is non-NULL.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_dcap_check_signed_json(
	const struct ratls_signed_json *tcb_info, const struct ratls_signed_json *qe_identity,
	const char *chain_pem, const uint8_t *root_crl_der, size_t root_crl_size, int64_t now,
	const struct ratls_dcap_options *options, struct ratls_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_DCAP_H */
