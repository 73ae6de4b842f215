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

/* One report field and the same field of the parsed quote. */
struct field_pair {
	const char *name;
	const uint8_t *reported;
	const uint8_t *quoted; /* NULL when the quote's body lacks the field */
	size_t size;
};

/*
 * Checks that the backend's report describes the quote from the
 * certificate, field by field. A backend that returned another quote's
 * report (of the same TD, or bound to another key) would otherwise make the
 * binding, replay and policy checks judge values the certificate does not
 * carry.
 */
static int check_report_matches_quote(const struct ratls_evidence *ev,
				      const struct ratls_verified_report *report,
				      struct ratls_detail *detail)
{
	const struct ratls_td_report *td = &ev->parsed_quote.td;
	const struct ratls_td_fields *r = &report->td;
	const struct field_pair fields[] = {
		{"TEE_TCB_SVN", r->tee_tcb_svn, td->tee_tcb_svn, 16},
		{"MRSEAM", r->mr_seam, td->mr_seam, 48},
		{"MRSIGNERSEAM", r->mr_signer_seam, td->mr_signer_seam, 48},
		{"SEAMATTRIBUTES", r->seam_attributes, td->seam_attributes, 8},
		{"TDATTRIBUTES", r->td_attributes, td->td_attributes, 8},
		{"XFAM", r->xfam, td->xfam, 8},
		{"MRTD", r->mr_td, td->mr_td, 48},
		{"MRCONFIGID", r->mr_config_id, td->mr_config_id, 48},
		{"MROWNER", r->mr_owner, td->mr_owner, 48},
		{"MROWNERCONFIG", r->mr_owner_config, td->mr_owner_config, 48},
		{"RTMR0", r->rtmr[0], td->rtmr[0], 48},
		{"RTMR1", r->rtmr[1], td->rtmr[1], 48},
		{"RTMR2", r->rtmr[2], td->rtmr[2], 48},
		{"RTMR3", r->rtmr[3], td->rtmr[3], 48},
		{"REPORTDATA", r->report_data, td->report_data, 64},
		{"TEE_TCB_SVN2", r->tee_tcb_svn2, td->tee_tcb_svn2, 16},
		{"MRSERVICETD", r->mr_servicetd, td->mr_servicetd, 48},
	};
	char seen[129], expected[129];

	if (report->body_type == RATLS_BODY_SGX_ENCLAVE)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier returned an SGX enclave report for a TDX quote");
	if (report->td.has_td15 != (td->mr_servicetd != NULL))
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier's report and the certificate's quote have different "
				  "TD report versions");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_pair *f = &fields[i];

		if (f->quoted == NULL || memcmp(f->reported, f->quoted, f->size) == 0)
			continue;
		ratls_hex_encode(f->reported, f->size, seen);
		ratls_hex_encode(f->quoted, f->size, expected);
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier's report has %s %s but the certificate's quote has "
				  "%s; the verifier checked another quote",
				  f->name, seen, expected);
	}
	return RATLS_OK;
}

/* Accepts a certificate without evidence under allow_simulator, loudly. */
static int accept_without_evidence(const struct ratls_verify_cert_options *options)
{
	if (ratls_policy_has_pins(options->policy))
		ratls_log(RATLS_LOG_WARNING,
			  "allow_simulator: the policy's MRTD, RTMR and identity pins are not "
			  "applied to a certificate without evidence");
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
