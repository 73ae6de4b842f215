/*
 * Fuzzes the Intel Trust Authority token parsers: the input is read as a
 * compact JWT (header and claims decoded, claims then checked for time and
 * issuer and mapped against a fixed TD report), as a JWKS, and as
 * base64url. Every failure must record its own code in the detail.
 */
#include <stdlib.h>
#include <string.h>

#include "ita/ita_internal.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A TD report 1.0 body with every field at its offset, the quote the claims are compared with. */
static uint8_t body[RATLS_TD10_REPORT_SIZE];
static struct ratls_quote parsed;

static void init_quote(void)
{
	struct ratls_td_report *td = &parsed.td;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	parsed.version = 4;
	parsed.tee_type = RATLS_TEE_TYPE_TDX;
	parsed.body_type = RATLS_BODY_TD_REPORT10;
	td->tee_tcb_svn = body;
	td->mr_seam = body + 16;
	td->mr_signer_seam = body + 64;
	td->seam_attributes = body + 112;
	td->td_attributes = body + 120;
	td->xfam = body + 128;
	td->mr_td = body + 136;
	td->mr_config_id = body + 184;
	td->mr_owner = body + 232;
	td->mr_owner_config = body + 280;
	for (int i = 0; i < 4; i++)
		td->rtmr[i] = body + 328 + 48 * i;
	td->report_data = body + 520;
}

static void check_claims(const json_t *claims)
{
	struct ratls_detail detail = {0};
	struct ratls_verified_report report;
	int64_t from = 0, until = 0;
	int rc;

	rc = ratls_ita_claims_check_time(claims, RATLS_ITA_ISSUER, NOW, &from, &until, &detail);
	if (rc != RATLS_OK && detail.code != rc)
		abort();
	if (rc == RATLS_OK && from > until + RATLS_ITA_CLOCK_SKEW_SECONDS * 2)
		abort();

	memset(&detail, 0, sizeof(detail));
	rc = ratls_ita_claims_to_report(claims, &parsed, &report, &detail);
	if (rc != RATLS_OK && detail.code != rc)
		abort();
	/* Accepted claims must describe the quote: report_data comes from it and matched. */
	if (rc == RATLS_OK && memcmp(report.td.report_data, parsed.td.report_data, 64) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_ita_jwt jwt;
	struct ratls_ita_jwks jwks;
	uint8_t *decoded = NULL;
	size_t decoded_size = 0;
	int rc;

	if (parsed.body_type == 0)
		init_quote();
	rc = ratls_ita_jwt_parse((const char *)data, size, &jwt, &detail);
	if (rc != RATLS_OK && detail.code != rc)
		abort();
	if (rc == RATLS_OK)
		check_claims(jwt.claims);
	ratls_ita_jwt_clear(&jwt);

	memset(&detail, 0, sizeof(detail));
	rc = ratls_ita_jwks_parse(data, size, NULL, 0, NOW, &jwks, &detail);
	if (rc != RATLS_OK && detail.code != rc)
		abort();
	ratls_ita_jwks_clear(&jwks);

	rc = ratls_ita_base64url_decode((const char *)data, size, size, &decoded, &decoded_size);
	if (rc == RATLS_OK && (decoded_size > size || decoded[decoded_size] != '\0'))
		abort();
	free(decoded);
	return 0;
}
