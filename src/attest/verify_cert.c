/*
 * The full client check of an RA-TLS certificate: extraction, quote
 * verification by a backend, key binding, event-log replay and policy.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "ratls/attest.h"

static int dcap_verify_quote(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			     struct ratls_verified_report *report, struct ratls_detail *detail)
{
	const struct ratls_dcap_context *context = arg;

	return ratls_dcap_context_verify(context, quote, quote_size, now, report, detail);
}

void ratls_verifier_init_dcap(struct ratls_verifier *verifier,
			      const struct ratls_dcap_context *context)
{
	verifier->name = "dcap";
	verifier->verify_quote = dcap_verify_quote;
	/* The backend only reads the context; the cast drops const for the generic argument. */
	verifier->arg = (void *)(uintptr_t)context;
}

void ratls_verify_cert_result_clear(struct ratls_verify_cert_result *result)
{
	if (result == NULL)
		return;
	ratls_evidence_free(result->evidence);
	memset(result, 0, sizeof(*result));
}

/*
 * Checks that the backend's report describes the quote from the
 * certificate: a backend that returned another quote's report would
 * otherwise make the binding and replay checks compare unrelated values.
 */
static int check_report_matches_quote(const struct ratls_evidence *ev,
				      const struct ratls_verified_report *report,
				      struct ratls_detail *detail)
{
	const struct ratls_td_report *td = &ev->parsed_quote.td;
	char seen[97], expected[97];

	if (report->body_type == RATLS_BODY_SGX_ENCLAVE)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier returned an SGX enclave report for a TDX quote");
	if (memcmp(report->td.mr_td, td->mr_td, 48) != 0) {
		ratls_hex_encode(report->td.mr_td, 48, seen);
		ratls_hex_encode(td->mr_td, 48, expected);
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier's report has MRTD %s but the certificate's quote has %s",
				  seen, expected);
	}
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		if (memcmp(report->td.rtmr[i], td->rtmr[i], 48) == 0)
			continue;
		ratls_hex_encode(report->td.rtmr[i], 48, seen);
		ratls_hex_encode(td->rtmr[i], 48, expected);
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier's report has RTMR%d %s but the certificate's quote "
				  "has %s",
				  i, seen, expected);
	}
	return RATLS_OK;
}

/* Accepts a certificate without evidence under allow_simulator, loudly. */
static int accept_without_evidence(const struct ratls_verify_cert_options *options)
{
	if (ratls_policy_pins_identity(options->policy))
		ratls_log(RATLS_LOG_WARNING,
			  "allow_simulator: the policy's identity pins are not applied to a "
			  "certificate without evidence");
	ratls_log(RATLS_LOG_WARNING,
		  "allow_simulator: accepting a certificate without RA-TLS evidence; the server "
		  "is not attested, so never use this option in production");
	return RATLS_OK;
}

int ratls_verify_cert(const uint8_t *cert, size_t cert_size,
		      const struct ratls_verify_cert_options *options,
		      struct ratls_verify_cert_result *result, struct ratls_detail *detail)
{
	const struct ratls_verifier *verifier;
	struct ratls_detail extraction_detail;
	int rc;

	if (result == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "result is NULL");
	memset(result, 0, sizeof(*result));
	if (cert == NULL || options == NULL || options->verifier == NULL ||
	    options->verifier->verify_quote == NULL) {
		result->failed_step = "extraction";
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the certificate, the options and a verifier backend are required");
	}
	verifier = options->verifier;

	result->failed_step = "extraction";
	/* A local detail, so that an accepted certificate leaves the caller's untouched. */
	ratls_detail_clear(&extraction_detail);
	rc = ratls_evidence_from_cert(cert, cert_size, &result->evidence, &extraction_detail);
	if (rc == RATLS_ERR_NOT_RATLS && options->allow_simulator) {
		result->failed_step = NULL;
		return accept_without_evidence(options);
	}
	if (rc != RATLS_OK)
		return ratls_fail(detail, rc, "%s", extraction_detail.message);

	result->failed_step = "quote";
	rc = verifier->verify_quote(verifier->arg, result->evidence->quote,
				    result->evidence->quote_size, options->now, &result->report,
				    detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = check_report_matches_quote(result->evidence, &result->report, detail)) != RATLS_OK)
		return rc;

	result->failed_step = "binding";
	rc = ratls_evidence_check_binding(result->evidence->cert.spki,
					  result->evidence->cert.spki_size,
					  result->report.td.report_data, detail);
	if (rc != RATLS_OK)
		return rc;

	result->failed_step = "replay";
	if ((rc = ratls_evidence_replay(result->evidence, &result->replay, detail)) != RATLS_OK)
		return rc;

	result->failed_step = "policy";
	if ((rc = ratls_policy_appraise(options->policy, &result->report, detail)) != RATLS_OK)
		return rc;
	rc = ratls_policy_appraise_identity(options->policy, &result->replay.identity, detail);
	if (rc != RATLS_OK)
		return rc;

	result->failed_step = NULL;
	result->attested = true;
	return RATLS_OK;
}
