/*
 * ITA token claims: the issuer and time checks, and the TDX claims of both
 * layouts (ver 1.0.0 flat, ver 2.0.0 nested under "tdx") checked against
 * the quote that was sent and mapped onto struct ratls_verified_report.
 */
#include <stddef.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/timeutil.h"
#include "ita_internal.h"

/* Reads a NumericDate claim (RFC 7519 section 2), which must be present. */
static int read_time(const json_t *claims, const char *name, int64_t *out,
		     struct ratls_detail *detail)
{
	const json_t *value = json_object_get(claims, name);
	double real;

	if (json_is_integer(value)) {
		*out = (int64_t)json_integer_value(value);
		return RATLS_OK;
	}
	/* NumericDate may have a fraction; whole seconds are enough here. */
	real = json_is_real(value) ? json_real_value(value) : -1;
	if (real >= 0 && real < 253402300800.0) { /* before year 10000 */
		*out = (int64_t)real;
		return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "the token has no \"%s\" claim with a time in Unix seconds; ITA tokens "
			  "always carry one",
			  name);
}

int ratls_ita_claims_check_time(const json_t *claims, const char *issuer, int64_t now,
				int64_t *valid_from, int64_t *valid_until, struct ratls_detail *detail)
{
	const json_t *iss = json_object_get(claims, "iss");
	char seen[RATLS_TIME_TEXT_SIZE], at[RATLS_TIME_TEXT_SIZE];
	int64_t exp = 0, nbf = 0, iat = 0;
	int rc;

	if (!json_is_string(iss))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "the token has no \"iss\" claim");
	if (strcmp(json_string_value(iss), issuer) != 0)
		return ratls_fail(detail, RATLS_ERR_UNTRUSTED_ROOT,
				  "the token's issuer is \"%.100s\", expected \"%.100s\"; the token "
				  "was not issued by the configured service",
				  json_string_value(iss), issuer);
	if ((rc = read_time(claims, "exp", &exp, detail)) != RATLS_OK ||
	    (rc = read_time(claims, "nbf", &nbf, detail)) != RATLS_OK ||
	    (rc = read_time(claims, "iat", &iat, detail)) != RATLS_OK)
		return rc;

	ratls_time_format(now, at);
	if (now > exp + RATLS_ITA_CLOCK_SKEW_SECONDS) {
		ratls_time_format(exp, seen);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_EXPIRED,
				  "the token expired at %s (exp), before the verification time %s; "
				  "request a new token, or check the clock",
				  seen, at);
	}
	if (now + RATLS_ITA_CLOCK_SKEW_SECONDS < nbf || now + RATLS_ITA_CLOCK_SKEW_SECONDS < iat) {
		ratls_time_format(nbf > iat ? nbf : iat, seen);
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_NOT_YET_VALID,
				  "the token is valid from %s (nbf and iat), after the verification "
				  "time %s; check the clock, or verify at the current time",
				  seen, at);
	}
	if (exp < nbf)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token's exp is before its nbf, so it is never valid");
	*valid_from = nbf > iat ? nbf : iat;
	*valid_until = exp;
	return RATLS_OK;
}

/* The object that contains the TDX claims, and the version text for messages. */
struct claim_source {
	const json_t *tdx;
	const char *ver;
};

static int select_layout(const json_t *claims, struct claim_source *source,
			 struct ratls_detail *detail)
{
	const json_t *ver = json_object_get(claims, "ver");

	if (!json_is_string(ver))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token has no \"ver\" claim, so its claim layout is unknown");
	source->ver = json_string_value(ver);
	if (strcmp(source->ver, "1.0.0") == 0) {
		source->tdx = claims;
		return RATLS_OK;
	}
	if (strcmp(source->ver, "2.0.0") == 0) {
		source->tdx = json_object_get(claims, "tdx");
		if (!json_is_object(source->tdx))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "the version 2.0.0 token has no \"tdx\" object, where the "
					  "TDX claims are");
		return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
			  "the token has ver \"%.32s\"; ratls reads versions 1.0.0 and 2.0.0, so "
			  "update ratls or request a token from /appraisal/v1/attest",
			  source->ver);
}

static int missing_claim(const struct claim_source *source, const char *name,
			 struct ratls_detail *detail)
{
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "the version %s token has no \"%s\" claim%s of the expected type; "
			  "ratls requires it",
			  source->ver, name, source->tdx != NULL && strcmp(source->ver, "2.0.0") == 0
						     ? " in its \"tdx\" object"
						     : "");
}

/*
 * Compares a hex claim with the quote's bytes. A required claim must be
 * present; an optional one is compared only when present. Returns code
 * on a mismatch.
 */
static int compare_hex(const struct claim_source *source, const char *name, bool required,
		       const uint8_t *quote_value, size_t size, int code,
		       struct ratls_detail *detail)
{
	const json_t *value = json_object_get(source->tdx, name);
	uint8_t decoded[64];
	char seen[129], expected[129];

	if (value == NULL && !required)
		return RATLS_OK;
	if (!json_is_string(value))
		return missing_claim(source, name, detail);
	if (ratls_hex_decode_fixed(json_string_value(value), json_string_length(value), decoded,
				   size) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token's \"%s\" claim is not %zu hex digits", name, 2 * size);
	if (memcmp(decoded, quote_value, size) == 0)
		return RATLS_OK;

	ratls_hex_encode(decoded, size, seen);
	ratls_hex_encode(quote_value, size, expected);
	return ratls_fail(detail, code,
			  "the token's \"%s\" is %s but the quote sent has %s; the token describes "
			  "another quote",
			  name, seen, expected);
}

/* A boolean claim: 1 true, 0 false, -1 absent. A present claim of another type fails. */
static int read_bool(const struct claim_source *source, const char *name, int *out,
		     struct ratls_detail *detail)
{
	const json_t *value = json_object_get(source->tdx, name);

	if (value == NULL) {
		*out = -1;
		return RATLS_OK;
	}
	if (!json_is_boolean(value))
		return missing_claim(source, name, detail);
	*out = json_is_true(value) ? 1 : 0;
	return RATLS_OK;
}

/*
 * The token's debug verdict must exist and match the quote's TD attributes
 * DEBUG bit. A missing claim is a failure, never "not debuggable".
 */
static int check_debug(const struct claim_source *source, const struct ratls_td_report *td,
		       struct ratls_detail *detail)
{
	bool quote_debug = (td->td_attributes[0] & 0x01) != 0;
	const json_t *dbgstat = json_object_get(source->tdx, "dbgstat");
	int is_debuggable = -1, attributes_debug = -1;
	bool token_debug;
	int rc;

	if ((rc = read_bool(source, "tdx_is_debuggable", &is_debuggable, detail)) != RATLS_OK ||
	    (rc = read_bool(source, "tdx_td_attributes_debug", &attributes_debug, detail)) !=
		    RATLS_OK)
		return rc;
	if (is_debuggable < 0 && attributes_debug < 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the version %s token has neither \"tdx_is_debuggable\" nor "
				  "\"tdx_td_attributes_debug\"; without a debug claim the TD may be "
				  "debuggable, so the token is rejected",
				  source->ver);
	token_debug = is_debuggable == 1 || attributes_debug == 1;
	/* EAT dbgstat: any value but the "disabled..." ones means debug may be on. */
	if (dbgstat != NULL && (!json_is_string(dbgstat) ||
				strncmp(json_string_value(dbgstat), "disabled", 8) != 0))
		token_debug = true;
	if (token_debug != quote_debug)
		return ratls_fail(detail, RATLS_ERR_DEBUG,
				  "the token says the TD is %sdebuggable but the quote's TD "
				  "attributes say it is %sdebuggable; the token describes another "
				  "quote",
				  token_debug ? "" : "not ", quote_debug ? "" : "not ");
	return RATLS_OK;
}

static int read_tcb_status(const struct claim_source *source, struct ratls_verified_report *report,
			   struct ratls_detail *detail)
{
	const json_t *status = json_object_get(source->tdx, "attester_tcb_status");
	const json_t *date = json_object_get(source->tdx, "attester_tcb_date");
	enum ratls_tcb_status parsed;

	if (!json_is_string(status))
		return missing_claim(source, "attester_tcb_status", detail);
	if (ratls_tcb_status_parse(json_string_value(status), json_string_length(status), &parsed) !=
	    RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_TCB_STATUS,
				  "the token's attester_tcb_status \"%.64s\" is not a TCB status "
				  "ratls knows, so it is not accepted; update ratls if ITA added it",
				  json_string_value(status));
	report->status = parsed;
	report->platform_status = parsed;
	if (date == NULL)
		return RATLS_OK;
	if (!json_is_string(date) ||
	    ratls_time_parse_rfc3339(json_string_value(date), json_string_length(date),
				     &report->platform_tcb_date) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token's attester_tcb_date is not an RFC 3339 time");
	return RATLS_OK;
}

static int read_advisories(const struct claim_source *source, struct ratls_verified_report *report,
			   struct ratls_detail *detail)
{
	const json_t *ids = json_object_get(source->tdx, "attester_advisory_ids");
	size_t count = json_array_size(ids);

	if (ids == NULL)
		return RATLS_OK;
	if (!json_is_array(ids))
		return missing_claim(source, "attester_advisory_ids", detail);
	if (count > RATLS_REPORT_ADVISORIES_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the token lists %zu advisory IDs, above the limit of %d", count,
				  RATLS_REPORT_ADVISORIES_MAX);
	for (size_t i = 0; i < count; i++) {
		const json_t *id = json_array_get(ids, i);
		size_t len = json_string_length(id);

		if (!json_is_string(id) || len == 0 || len > RATLS_ADVISORY_ID_MAX_LEN)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "attester_advisory_ids[%zu] is not a string of 1 to %d "
					  "characters",
					  i, RATLS_ADVISORY_ID_MAX_LEN);
		memcpy(report->advisory_ids[i], json_string_value(id), len + 1);
	}
	report->advisory_count = count;
	return RATLS_OK;
}

/*
 * A TD field with a token claim: compared when the token has it, required
 * when marked. NOTE: tdx_collateral.quotehash is not compared, because it
 * is not documented which bytes of the quote ITA hashes.
 */
struct td_claim {
	const char *name;
	bool required;
	size_t offset; /* in struct ratls_td_report: the view pointer */
	size_t size;
	int code;
};

#define TD_VIEW(field) offsetof(struct ratls_td_report, field)

static const struct td_claim td_claims[] = {
	{"tdx_report_data", true, TD_VIEW(report_data), 64, RATLS_ERR_KEY_BINDING},
	{"tdx_mrtd", true, TD_VIEW(mr_td), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_rtmr0", true, TD_VIEW(rtmr[0]), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_rtmr1", true, TD_VIEW(rtmr[1]), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_rtmr2", true, TD_VIEW(rtmr[2]), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_rtmr3", true, TD_VIEW(rtmr[3]), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_td_attributes", false, TD_VIEW(td_attributes), 8, RATLS_ERR_TD_ATTRIBUTES},
	{"tdx_xfam", false, TD_VIEW(xfam), 8, RATLS_ERR_TD_ATTRIBUTES},
	{"tdx_mrseam", false, TD_VIEW(mr_seam), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_mrsignerseam", false, TD_VIEW(mr_signer_seam), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_seam_attributes", false, TD_VIEW(seam_attributes), 8,
	 RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_mrconfigid", false, TD_VIEW(mr_config_id), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_mrowner", false, TD_VIEW(mr_owner), 48, RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_mrownerconfig", false, TD_VIEW(mr_owner_config), 48,
	 RATLS_ERR_MEASUREMENT_MISMATCH},
	{"tdx_tee_tcb_svn", false, TD_VIEW(tee_tcb_svn), 16, RATLS_ERR_MEASUREMENT_MISMATCH},
};
#define TD_CLAIM_COUNT (sizeof(td_claims) / sizeof(td_claims[0]))

static int check_td_claims(const struct claim_source *source, const struct ratls_td_report *td,
			   struct ratls_detail *detail)
{
	const json_t *type = json_object_get(source->tdx, "attester_type");
	int rc;

	if (type != NULL && (!json_is_string(type) || strcmp(json_string_value(type), "TDX") != 0))
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "the token's attester_type is not \"TDX\"; it describes another "
				  "kind of TEE");
	for (size_t i = 0; i < TD_CLAIM_COUNT; i++) {
		const struct td_claim *c = &td_claims[i];
		const uint8_t *view = *(const uint8_t *const *)((const char *)td + c->offset);

		rc = compare_hex(source, c->name, c->required, view, c->size, c->code, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return check_debug(source, td, detail);
}

static void copy_td_fields(const struct ratls_td_report *td, struct ratls_td_fields *out)
{
	memcpy(out->tee_tcb_svn, td->tee_tcb_svn, 16);
	memcpy(out->mr_seam, td->mr_seam, 48);
	memcpy(out->mr_signer_seam, td->mr_signer_seam, 48);
	memcpy(out->seam_attributes, td->seam_attributes, 8);
	memcpy(out->td_attributes, td->td_attributes, 8);
	memcpy(out->xfam, td->xfam, 8);
	memcpy(out->mr_td, td->mr_td, 48);
	memcpy(out->mr_config_id, td->mr_config_id, 48);
	memcpy(out->mr_owner, td->mr_owner, 48);
	memcpy(out->mr_owner_config, td->mr_owner_config, 48);
	for (int i = 0; i < 4; i++)
		memcpy(out->rtmr[i], td->rtmr[i], 48);
	memcpy(out->report_data, td->report_data, 64);
	out->has_td15 = td->mr_servicetd != NULL;
	if (out->has_td15) {
		memcpy(out->tee_tcb_svn2, td->tee_tcb_svn2, 16);
		memcpy(out->mr_servicetd, td->mr_servicetd, 48);
	}
}

int ratls_ita_claims_to_report(const json_t *claims, const struct ratls_quote *quote,
			       struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct claim_source source = {0};
	int rc;

	memset(report, 0, sizeof(*report));
	if (quote->body_type == RATLS_BODY_SGX_ENCLAVE)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "the ITA backend verifies TDX quotes; this is an SGX quote");
	if ((rc = select_layout(claims, &source, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_td_claims(&source, &quote->td, detail)) != RATLS_OK)
		return rc;
	if ((rc = read_tcb_status(&source, report, detail)) != RATLS_OK)
		return rc;
	if ((rc = read_advisories(&source, report, detail)) != RATLS_OK)
		return rc;

	report->quote_version = quote->version;
	report->tee_type = quote->tee_type;
	report->body_type = quote->body_type;
	report->trailing_size = quote->trailing_size;
	copy_td_fields(&quote->td, &report->td);
	return RATLS_OK;
}
