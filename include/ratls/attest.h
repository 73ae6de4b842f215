/*
 * The full check of an RA-TLS certificate, the quote verifier interface,
 * and the issuing of RA-TLS certificates.
 *
 * ratls_verify_cert runs every step a client needs before it trusts a TLS
 * peer, in this order, and stops at the first failure:
 *   1. extraction   the dstack evidence in the certificate (ratls/evidence.h)
 *   2. quote        a verifier backend (local DCAP, Intel Trust Authority)
 *                   checks the quote against Intel's signing chain
 *   3. binding      the verified report_data is SHA-512("ratls-cert:" ||
 *                   the certificate's DER SubjectPublicKeyInfo)
 *   4. replay       the event log reproduces the quote's RTMRs, which makes
 *                   the identity fields (app id, compose hash, ...) trusted
 *   5. policy       TCB status, debug, TD attributes, measurements and
 *                   identity pins (ratls/policy.h)
 * Steps 3 to 5 run in the library after the backend returns, so no backend
 * can skip them. The connector, the proxy and the command-line tool all call
 * this function.
 */
#ifndef RATLS_ATTEST_H
#define RATLS_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/evidence.h"
#include "ratls/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A quote verifier backend. verify_quote checks the quote's signature chain
 * at Unix time now and fills *report; it returns RATLS_OK or an error code
 * with detail. It must not apply a policy (RATLS_ERR_TCB_REVOKED with the
 * report filled is the one verdict it may return). arg is passed through.
 */
struct ratls_verifier {
	const char *name; /* for messages: "dcap", "ita" */
	int (*verify_quote)(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			    struct ratls_verified_report *report, struct ratls_detail *detail);
	void *arg;
};

/*
 * Fills *verifier with the local DCAP backend over a prepared collateral
 * context (ratls_dcap_context_new). The context must outlive every use of
 * the verifier; it is shared read-only, so one context serves many threads.
 */
RATLS_EXPORT void ratls_verifier_init_dcap(struct ratls_verifier *verifier,
					   const struct ratls_dcap_context *context);

struct ratls_verify_cert_options {
	/* Verification time, Unix seconds. The library never reads the clock. */
	int64_t now;
	/* Required: the backend that verifies the quote. */
	const struct ratls_verifier *verifier;
	/* NULL applies the defaults of ratls_policy_new. */
	const struct ratls_policy *policy;
	/*
	 * Accepts a certificate without a dstack quote or event log extension
	 * (.1.8, .1.1 or .1.2), as a development server without TDX presents,
	 * with a warning on every call. It changes only that case: a certificate
	 * whose evidence is present but bad still fails. The result then has
	 * attested == false, and no policy rule or pin was applied.
	 */
	bool allow_simulator;
};

/* The outcome of ratls_verify_cert. Release it with ratls_verify_cert_result_clear. */
struct ratls_verify_cert_result {
	/* False only when allow_simulator accepted a certificate without evidence. */
	bool attested;
	/* The decoded evidence (NULL when attested is false); owned by the result. */
	struct ratls_evidence *evidence;
	/* Filled by the backend; meaningful when attested. */
	struct ratls_verified_report report;
	/* RTMR replay and the identity fields, whose pointers are views into evidence. */
	struct ratls_replay replay;
	/* The step that failed ("extraction", "quote", "binding", "replay", "policy"), or NULL. */
	const char *failed_step;
};

/*
 * Runs the full client check on a certificate given as DER or PEM (the first
 * PEM certificate is the leaf). options->verifier is required.
 *
 * Returns RATLS_OK when the certificate's evidence passed every step, or
 * when allow_simulator accepted a certificate without evidence. Otherwise
 * returns the first failure: the errors of ratls_evidence_from_cert
 * (RATLS_ERR_NOT_RATLS for a certificate without evidence), the backend's
 * errors, RATLS_ERR_KEY_BINDING, RATLS_ERR_EVENT_LOG (a replay mismatch, or a
 * backend report whose MRTD or RTMRs differ from the quote in the
 * certificate), and the policy's errors. *result is filled as far as the
 * check got (failed_step names the step) and must be cleared in every case.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_verify_cert(const uint8_t *cert, size_t cert_size,
						    const struct ratls_verify_cert_options *options,
						    struct ratls_verify_cert_result *result,
						    struct ratls_detail *detail);

/* Frees what result owns and zeroes it. result may be NULL. */
RATLS_EXPORT void ratls_verify_cert_result_clear(struct ratls_verify_cert_result *result);

/*
 * A quote source for the issuing side: writes a TDX quote whose REPORTDATA is
 * report_data into *quote (a malloc'd buffer the caller frees with free()).
 * On real hardware it requests the quote from the TDX guest (configfs-tsm or
 * dstack's guest agent). With the simulated platform it issues a quote under
 * the test root.
 */
typedef int (*ratls_quote_source_fn)(void *arg, const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
				     uint8_t **quote, size_t *quote_size,
				     struct ratls_detail *detail);

/* Most DNS names in an issued certificate's subjectAltName. */
#define RATLS_ISSUE_DNS_NAMES_MAX 16

struct ratls_issue_params {
	/* Subject common name; NULL uses "RA-TLS Cert". */
	const char *common_name;
	/* subjectAltName dNSName entries; may be NULL when dns_name_count is 0. */
	const char *const *dns_names;
	size_t dns_name_count;
	/* Validity, Unix seconds. */
	int64_t not_before;
	int64_t not_after;
	/* Required: produces the quote that binds the new key. */
	ratls_quote_source_fn quote_source;
	void *quote_source_arg;
	/*
	 * The evidence carried next to the quote: the TDX event log (often only
	 * its IMR 3 entries), the runtime events RTMR3 was extended with, and the
	 * VM configuration JSON. Any may be NULL when its count or size is 0.
	 */
	const struct ratls_tdx_event *events;
	size_t event_count;
	const struct ratls_runtime_event *runtime_events;
	size_t runtime_event_count;
	const char *config;
	size_t config_size;
	/*
	 * Also writes the legacy extensions .1.1 (raw quote) and .1.2 (JSON event
	 * log) that dstack clients before v0.5.9 read. Current readers prefer
	 * .1.8 and check that both agree.
	 */
	bool legacy_extensions;
};

/*
 * Creates a P-256 key and a self-signed certificate for it that carries a
 * VersionedAttestation V0 in extension 1.3.6.1.4.1.62397.1.8 (and .1.1 and
 * .1.2 when params->legacy_extensions is set). The quote comes from
 * params->quote_source with report_data = SHA-512("ratls-cert:" || the new
 * certificate's DER SubjectPublicKeyInfo).
 *
 * On success *cert_der is the certificate (free with free()) and *key_pem
 * the PKCS#8 PEM private key as a NUL-terminated string (free with
 * ratls_issue_free_key, which wipes it). Before signing, the envelope is
 * decoded and replayed as a client would. Returns RATLS_ERR_INVALID_ARGUMENT
 * for bad parameters, the quote source's error, RATLS_ERR_KEY_BINDING when
 * the quote does not carry the report_data passed to the source,
 * RATLS_ERR_EVENT_LOG when the runtime events do not replay to its RTMR3,
 * or RATLS_ERR_INTERNAL when OpenSSL fails.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_issue_cert(const struct ratls_issue_params *params,
						   uint8_t **cert_der, size_t *cert_der_size,
						   char **key_pem, size_t *key_pem_size,
						   struct ratls_detail *detail);

/* Wipes and frees a private key returned by ratls_issue_cert. key_pem may be NULL. */
RATLS_EXPORT void ratls_issue_free_key(char *key_pem, size_t key_pem_size);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_ATTEST_H */
