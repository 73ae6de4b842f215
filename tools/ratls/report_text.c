/* Text output: one "label: value" line per field, labels aligned. */
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* Widest label ("TCB evaluation number:") plus one space. */
#define LABEL_WIDTH 24

/* Largest byte field printed as hex in text: report_data and config_id (64 bytes). */
#define HEX_TEXT_SIZE (2 * 64 + 1)

static void line(FILE *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(FILE *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%-*s", LABEL_WIDTH, label);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static void hex_line(FILE *out, const char *label, const uint8_t *data, size_t size)
{
	char hex[HEX_TEXT_SIZE];

	cli_hex_encode(data, size, hex, sizeof(hex));
	line(out, label, "%s", hex);
}

/* Writes t as RFC 3339 into a caller's buffer and returns it, for use in one printf. */
static const char *time_text(int64_t t, char buf[CLI_TIME_TEXT_SIZE])
{
	cli_format_time(t, buf);
	return buf;
}

static void advisories_line(FILE *out, const struct ratls_verified_report *r)
{
	fprintf(out, "%-*s", LABEL_WIDTH, "advisory IDs:");
	if (r->advisory_count == 0)
		fputs("none", out);
	for (size_t i = 0; i < r->advisory_count && i < RATLS_REPORT_ADVISORIES_MAX; i++)
		fprintf(out, "%s%.*s", i > 0 ? ", " : "", (int)sizeof(r->advisory_ids[i]),
			r->advisory_ids[i]);
	fputc('\n', out);
}

static void td_lines(FILE *out, const struct ratls_td_fields *td)
{
	char hex[HEX_TEXT_SIZE];

	hex_line(out, "MRTD:", td->mr_td, 48);
	hex_line(out, "RTMR0:", td->rtmr[0], 48);
	hex_line(out, "RTMR1:", td->rtmr[1], 48);
	hex_line(out, "RTMR2:", td->rtmr[2], 48);
	hex_line(out, "RTMR3:", td->rtmr[3], 48);
	cli_hex_encode(td->td_attributes, 8, hex, sizeof(hex));
	line(out, "TD attributes:", "%s (debug: %s)", hex,
	     cli_td_is_debug(td->td_attributes) ? "yes" : "no");
	hex_line(out, "XFAM:", td->xfam, 8);
	hex_line(out, "MR_SEAM:", td->mr_seam, 48);
	hex_line(out, "TEE TCB SVN:", td->tee_tcb_svn, 16);
	if (td->has_td15)
		hex_line(out, "MR_SERVICETD:", td->mr_servicetd, 48);
	hex_line(out, "report_data:", td->report_data, 64);
}

static void sgx_lines(FILE *out, const struct ratls_sgx_fields *sgx)
{
	char hex[HEX_TEXT_SIZE];

	hex_line(out, "MRENCLAVE:", sgx->mr_enclave, 32);
	hex_line(out, "MRSIGNER:", sgx->mr_signer, 32);
	line(out, "ISV product ID:", "%u", (unsigned)sgx->isv_prod_id);
	line(out, "ISV SVN:", "%u", (unsigned)sgx->isv_svn);
	cli_hex_encode(sgx->attributes, 16, hex, sizeof(hex));
	line(out, "attributes:", "%s (debug: %s)", hex,
	     cli_sgx_is_debug(sgx->attributes) ? "yes" : "no");
	hex_line(out, "report_data:", sgx->report_data, 64);
}

static void report_lines(FILE *out, const struct ratls_verified_report *r, bool trailing_all_zero,
			 bool from_ita)
{
	char t1[CLI_TIME_TEXT_SIZE], t2[CLI_TIME_TEXT_SIZE];

	line(out, "status:", "%s", ratls_tcb_status_name(r->status));
	advisories_line(out, r);
	line(out, "platform status:", "%s (TCB date %s)", ratls_tcb_status_name(r->platform_status),
	     time_text(r->platform_tcb_date, t1));
	/* An Intel Trust Authority token reports neither the QE, the module nor the PCK fields. */
	if (from_ita) {
		line(out, "verifier:", "Intel Trust Authority (token claims)");
	} else {
		if (r->has_module_status)
			line(out, "TDX module status:", "%s (%.*s)",
			     ratls_tcb_status_name(r->module_status),
			     (int)sizeof(r->module_identity_id), r->module_identity_id);
		line(out, "QE status:", "%s (TCB date %s, ISV SVN %u)",
		     ratls_tcb_status_name(r->qe_status), time_text(r->qe_tcb_date, t1),
		     (unsigned)r->qe_isv_svn);
		line(out, "TCB evaluation number:", "%u", (unsigned)r->tcb_evaluation_data_number);
		hex_line(out, "FMSPC:", r->pck.fmspc, 6);
		line(out, "CA type:", "%s", r->pck_from_platform_ca ? "platform" : "processor");
	}
	line(out, "quote:", "version %u, %s, %s", (unsigned)r->quote_version,
	     cli_tee_type_name(r->tee_type), cli_body_type_title(r->body_type));

	if (r->body_type == RATLS_BODY_SGX_ENCLAVE)
		sgx_lines(out, &r->sgx);
	else
		td_lines(out, &r->td);

	line(out, "valid from:", "%s", time_text(r->valid_from, t1));
	line(out, "valid until:", "%s (%.*s)", time_text(r->valid_until, t2),
	     (int)sizeof(r->valid_until_source), r->valid_until_source);
	line(out, "trailing bytes:", "%zu%s", r->trailing_size,
	     r->trailing_size == 0 ? ""
	     : trailing_all_zero   ? " (all zero, not signed)"
				   : " (not all zero, not signed)");
	if (from_ita)
		line(out, "token keys:", "%s",
		     r->custom_root ? "caller-supplied JWKS or root, not Intel's"
				    : "Intel Trust Authority JWKS");
	else
		line(out, "trust root:", "%s",
		     r->custom_root ? "caller-supplied (--trust-root), not Intel's"
				    : "Intel SGX Root CA");
}

void cli_print_verify_text(FILE *out, const struct cli_verify_result *result)
{
	char at[CLI_TIME_TEXT_SIZE];

	if (result->code == RATLS_OK && result->evidence != NULL &&
	    result->evidence->evidence == NULL)
		line(out, "verdict:", "accepted without attestation (--allow-simulator)");
	else if (result->code == RATLS_OK)
		line(out, "verdict:", "accepted");
	else
		line(out, "verdict:", "rejected (%s)", ratls_error_name(result->code));
	if (result->failed_step != NULL)
		line(out, "failed step:", "%s", result->failed_step);
	line(out, "verified at:", "%s", time_text(result->at, at));
	if (result->report != NULL)
		report_lines(out, result->report, result->trailing_all_zero, result->from_ita);
	if (result->evidence != NULL)
		cli_print_evidence_text(out, result->evidence);
}

static void isv_levels_line(FILE *out, const struct ratls_isv_level *levels, size_t count)
{
	char date[CLI_TIME_TEXT_SIZE];

	fprintf(out, "%-*s%zu", LABEL_WIDTH, "TCB levels:", count);
	if (count > 0)
		fprintf(out, " (first listed: ISV SVN %u, %s, %s)", (unsigned)levels[0].isv_svn,
			ratls_tcb_status_name(levels[0].status),
			time_text(levels[0].tcb_date, date));
	fputc('\n', out);
}

static void module_identity_lines(FILE *out, const struct ratls_tcb_info *info)
{
	char hex[HEX_TEXT_SIZE];

	if (info->has_tdx_module) {
		cli_hex_encode(info->tdx_module_mrsigner, 48, hex, sizeof(hex));
		line(out, "TDX module MRSIGNER:", "%s", hex);
	}
	for (size_t i = 0; i < info->module_identity_count; i++) {
		const struct ratls_tdx_module_identity *m = &info->module_identities[i];

		cli_hex_encode(m->mrsigner, 48, hex, sizeof(hex));
		line(out, i == 0 ? "TDX module identities:" : "",
		     "%.*s: MRSIGNER %s, TCB levels: %zu", (int)sizeof(m->id), m->id, hex,
		     m->level_count);
	}
	if (info->has_tdx_module && info->module_identity_count == 0)
		line(out, "TDX module identities:", "none");
}

void cli_print_tcb_info_text(FILE *out, const struct ratls_tcb_info *info, int64_t at)
{
	char t1[CLI_TIME_TEXT_SIZE];

	line(out, "result:", "valid at %s", time_text(at, t1));
	line(out, "document:", "TCB info");
	line(out, "id:", "%s", cli_tcb_info_id_name(info->id));
	line(out, "version:", "%u", (unsigned)info->version);
	line(out, "issue date:", "%s", time_text(info->issue_date, t1));
	line(out, "next update:", "%s", time_text(info->next_update, t1));
	hex_line(out, "FMSPC:", info->fmspc, 6);
	hex_line(out, "PCE ID:", info->pce_id, 2);
	line(out, "TCB type:", "%u", (unsigned)info->tcb_type);
	line(out, "TCB evaluation number:", "%u", (unsigned)info->tcb_evaluation_data_number);
	fprintf(out, "%-*s%zu", LABEL_WIDTH, "TCB levels:", info->level_count);
	if (info->level_count > 0)
		fprintf(out, " (first listed: %s, %s)",
			ratls_tcb_status_name(info->levels[0].status),
			time_text(info->levels[0].tcb_date, t1));
	fputc('\n', out);
	module_identity_lines(out, info);
}

void cli_print_qe_identity_text(FILE *out, const struct ratls_qe_identity *identity, int64_t at)
{
	char t1[CLI_TIME_TEXT_SIZE];
	char hex[HEX_TEXT_SIZE], mask[HEX_TEXT_SIZE];

	line(out, "result:", "valid at %s", time_text(at, t1));
	line(out, "document:", "QE identity");
	line(out, "id:", "%.*s", (int)sizeof(identity->id_text), identity->id_text);
	line(out, "version:", "%u", (unsigned)identity->version);
	line(out, "issue date:", "%s", time_text(identity->issue_date, t1));
	line(out, "next update:", "%s", time_text(identity->next_update, t1));
	line(out, "TCB evaluation number:", "%u", (unsigned)identity->tcb_evaluation_data_number);
	hex_line(out, "MRSIGNER:", identity->mrsigner, 32);
	line(out, "ISV product ID:", "%u", (unsigned)identity->isv_prod_id);
	line(out, "MISCSELECT:", "%08x (mask %08x)", (unsigned)identity->miscselect,
	     (unsigned)identity->miscselect_mask);
	cli_hex_encode(identity->attributes, 16, hex, sizeof(hex));
	cli_hex_encode(identity->attributes_mask, 16, mask, sizeof(mask));
	line(out, "attributes:", "%s (mask %s)", hex, mask);
	isv_levels_line(out, identity->levels, identity->level_count);
}
