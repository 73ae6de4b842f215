/* Error names, fixed sentences, classes and the detail record. */
#include <stdio.h>
#include <string.h>

#include "fail.h"

struct error_entry {
	int code;
	const char *name;
	enum ratls_error_class cls;
	const char *text;
};

static const struct error_entry error_table[] = {
	{RATLS_OK, "RATLS_OK", RATLS_CLASS_OK, "success"},
	{RATLS_ERR_INTERNAL, "RATLS_ERR_INTERNAL", RATLS_CLASS_INTERNAL,
	 "internal error in ratls"},
	{RATLS_ERR_INVALID_ARGUMENT, "RATLS_ERR_INVALID_ARGUMENT", RATLS_CLASS_USAGE,
	 "invalid argument"},
	{RATLS_ERR_NO_MEMORY, "RATLS_ERR_NO_MEMORY", RATLS_CLASS_USAGE, "out of memory"},
	{RATLS_ERR_IO, "RATLS_ERR_IO", RATLS_CLASS_USAGE, "reading or writing a file failed"},

	{RATLS_ERR_MALFORMED, "RATLS_ERR_MALFORMED", RATLS_CLASS_MALFORMED,
	 "the input is malformed"},
	{RATLS_ERR_TRUNCATED, "RATLS_ERR_TRUNCATED", RATLS_CLASS_MALFORMED,
	 "the input is truncated"},
	{RATLS_ERR_TRAILING_DATA, "RATLS_ERR_TRAILING_DATA", RATLS_CLASS_MALFORMED,
	 "the input has unexpected trailing bytes"},
	{RATLS_ERR_LIMIT_EXCEEDED, "RATLS_ERR_LIMIT_EXCEEDED", RATLS_CLASS_MALFORMED,
	 "a length or count in the input exceeds its limit"},
	{RATLS_ERR_UNSUPPORTED_VERSION, "RATLS_ERR_UNSUPPORTED_VERSION",
	 RATLS_CLASS_MALFORMED, "the format version is not supported"},
	{RATLS_ERR_UNSUPPORTED_KEY_TYPE, "RATLS_ERR_UNSUPPORTED_KEY_TYPE",
	 RATLS_CLASS_MALFORMED, "the quote's attestation key type is not supported"},
	{RATLS_ERR_UNSUPPORTED_TEE_TYPE, "RATLS_ERR_UNSUPPORTED_TEE_TYPE",
	 RATLS_CLASS_MALFORMED, "the quote's TEE type is not supported"},
	{RATLS_ERR_UNSUPPORTED_CERT_DATA, "RATLS_ERR_UNSUPPORTED_CERT_DATA",
	 RATLS_CLASS_MALFORMED,
	 "the quote's certification data type carries no PCK certificate chain"},
	{RATLS_ERR_UNKNOWN_QE_VENDOR, "RATLS_ERR_UNKNOWN_QE_VENDOR", RATLS_CLASS_MALFORMED,
	 "the quote's QE vendor ID is not Intel's"},

	{RATLS_ERR_UNTRUSTED_ROOT, "RATLS_ERR_UNTRUSTED_ROOT", RATLS_CLASS_TRUST,
	 "the certificate chain does not end at a trusted root"},
	{RATLS_ERR_CHAIN_INVALID, "RATLS_ERR_CHAIN_INVALID", RATLS_CLASS_TRUST,
	 "a certificate chain is invalid"},
	{RATLS_ERR_CERT_REVOKED, "RATLS_ERR_CERT_REVOKED", RATLS_CLASS_TRUST,
	 "a certificate in the chain is revoked"},
	{RATLS_ERR_QUOTE_SIGNATURE, "RATLS_ERR_QUOTE_SIGNATURE", RATLS_CLASS_TRUST,
	 "the quote signature is invalid"},
	{RATLS_ERR_QE_REPORT_SIGNATURE, "RATLS_ERR_QE_REPORT_SIGNATURE", RATLS_CLASS_TRUST,
	 "the QE report signature is invalid"},
	{RATLS_ERR_QE_REPORT_BINDING, "RATLS_ERR_QE_REPORT_BINDING", RATLS_CLASS_TRUST,
	 "the QE report does not bind the attestation key"},
	{RATLS_ERR_PCK_CERT_INVALID, "RATLS_ERR_PCK_CERT_INVALID", RATLS_CLASS_TRUST,
	 "the PCK certificate is invalid"},

	{RATLS_ERR_COLLATERAL_EXPIRED, "RATLS_ERR_COLLATERAL_EXPIRED",
	 RATLS_CLASS_COLLATERAL, "the collateral has expired"},
	{RATLS_ERR_COLLATERAL_NOT_YET_VALID, "RATLS_ERR_COLLATERAL_NOT_YET_VALID",
	 RATLS_CLASS_COLLATERAL, "the collateral is not yet valid"},
	{RATLS_ERR_COLLATERAL_MISMATCH, "RATLS_ERR_COLLATERAL_MISMATCH",
	 RATLS_CLASS_COLLATERAL, "the collateral does not belong to this quote"},
	{RATLS_ERR_COLLATERAL_SIGNATURE, "RATLS_ERR_COLLATERAL_SIGNATURE",
	 RATLS_CLASS_COLLATERAL, "a collateral signature is invalid"},
	{RATLS_ERR_COLLATERAL_MISSING, "RATLS_ERR_COLLATERAL_MISSING",
	 RATLS_CLASS_COLLATERAL, "a required piece of collateral is missing"},
	{RATLS_ERR_CRL_INVALID, "RATLS_ERR_CRL_INVALID", RATLS_CLASS_COLLATERAL,
	 "a certificate revocation list is invalid"},

	{RATLS_ERR_TCB_NOT_SUPPORTED, "RATLS_ERR_TCB_NOT_SUPPORTED", RATLS_CLASS_TCB,
	 "no TCB level in the collateral matches the platform"},
	{RATLS_ERR_TCB_STATUS, "RATLS_ERR_TCB_STATUS", RATLS_CLASS_TCB,
	 "the TCB status is not acceptable"},
	{RATLS_ERR_TCB_REVOKED, "RATLS_ERR_TCB_REVOKED", RATLS_CLASS_TCB,
	 "the platform's TCB is revoked"},
	{RATLS_ERR_QE_IDENTITY_MISMATCH, "RATLS_ERR_QE_IDENTITY_MISMATCH", RATLS_CLASS_TCB,
	 "the quoting enclave does not match the QE identity"},
	{RATLS_ERR_TDX_MODULE_MISMATCH, "RATLS_ERR_TDX_MODULE_MISMATCH", RATLS_CLASS_TCB,
	 "the TDX module does not match the TCB info"},

	{RATLS_ERR_DEBUG, "RATLS_ERR_DEBUG", RATLS_CLASS_POLICY,
	 "the TD or enclave is debuggable"},
	{RATLS_ERR_MRTD_NOT_ALLOWED, "RATLS_ERR_MRTD_NOT_ALLOWED", RATLS_CLASS_POLICY,
	 "the MRTD is not in the allowed list"},
	{RATLS_ERR_MEASUREMENT_MISMATCH, "RATLS_ERR_MEASUREMENT_MISMATCH",
	 RATLS_CLASS_POLICY, "a pinned measurement does not match"},
	{RATLS_ERR_TD_ATTRIBUTES, "RATLS_ERR_TD_ATTRIBUTES", RATLS_CLASS_POLICY,
	 "the TD attributes are not acceptable"},
	{RATLS_ERR_SEAM_SIGNER, "RATLS_ERR_SEAM_SIGNER", RATLS_CLASS_POLICY,
	 "MR_SIGNER_SEAM is not zero"},
	{RATLS_ERR_SERVICE_TD, "RATLS_ERR_SERVICE_TD", RATLS_CLASS_POLICY,
	 "MR_SERVICETD is not zero"},
	{RATLS_ERR_POLICY_INVALID, "RATLS_ERR_POLICY_INVALID", RATLS_CLASS_USAGE,
	 "the policy is invalid"},

	{RATLS_ERR_NOT_RATLS, "RATLS_ERR_NOT_RATLS", RATLS_CLASS_EVIDENCE,
	 "the certificate is not an RA-TLS certificate"},
	{RATLS_ERR_KEY_BINDING, "RATLS_ERR_KEY_BINDING", RATLS_CLASS_EVIDENCE,
	 "the quote is not bound to the certificate's public key"},
	{RATLS_ERR_EVENT_LOG, "RATLS_ERR_EVENT_LOG", RATLS_CLASS_EVIDENCE,
	 "the event log does not replay to the quote's measurements"},
	{RATLS_ERR_REPORT_STALE, "RATLS_ERR_REPORT_STALE", RATLS_CLASS_EVIDENCE,
	 "the attestation report's timestamp is too far from the verification time"},

	{RATLS_ERR_NETWORK, "RATLS_ERR_NETWORK", RATLS_CLASS_NETWORK, "a network step failed"},
	{RATLS_ERR_TIMEOUT, "RATLS_ERR_TIMEOUT", RATLS_CLASS_NETWORK, "a network step timed out"},
	{RATLS_ERR_SERVICE, "RATLS_ERR_SERVICE", RATLS_CLASS_NETWORK,
	 "a remote attestation service failed"},
};

static const struct error_entry *find_entry(int code)
{
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++) {
		if (error_table[i].code == code)
			return &error_table[i];
	}
	return NULL;
}

const char *ratls_strerror(int code)
{
	const struct error_entry *e = find_entry(code);

	return e != NULL ? e->text : "unknown error code";
}

const char *ratls_error_name(int code)
{
	const struct error_entry *e = find_entry(code);

	return e != NULL ? e->name : "RATLS_ERR_UNKNOWN";
}

enum ratls_error_class ratls_error_class(int code)
{
	const struct error_entry *e = find_entry(code);

	return e != NULL ? e->cls : RATLS_CLASS_INTERNAL;
}

const char *ratls_error_class_name(enum ratls_error_class cls)
{
	switch (cls) {
	case RATLS_CLASS_OK:
		return "ok";
	case RATLS_CLASS_USAGE:
		return "usage";
	case RATLS_CLASS_MALFORMED:
		return "malformed";
	case RATLS_CLASS_TRUST:
		return "trust";
	case RATLS_CLASS_COLLATERAL:
		return "collateral";
	case RATLS_CLASS_TCB:
		return "tcb";
	case RATLS_CLASS_POLICY:
		return "policy";
	case RATLS_CLASS_EVIDENCE:
		return "evidence";
	case RATLS_CLASS_NETWORK:
		return "network";
	case RATLS_CLASS_INTERNAL:
		return "internal";
	}
	return "internal";
}

void ratls_detail_clear(struct ratls_detail *detail)
{
	if (detail == NULL)
		return;
	detail->code = RATLS_OK;
	detail->message[0] = '\0';
}

/*
 * Makes a detail message safe to print on a terminal or in a log line,
 * because messages quote values from untrusted input (event names, JSON
 * keys): line breaks become spaces, other control characters '?', and the
 * Unicode bidirectional controls U+202A-U+202E and U+2066-U+2069, which can
 * reorder the displayed text, become "???".
 */
static void neutralize_message(char *message)
{
	for (unsigned char *p = (unsigned char *)message; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
					  (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
			p[0] = p[1] = p[2] = '?';
	}
}

int ratls_vfail(struct ratls_detail *detail, int code, const char *fmt, va_list ap)
{
	if (detail == NULL || detail->code != RATLS_OK)
		return code;

	detail->code = code;
	vsnprintf(detail->message, sizeof(detail->message), fmt, ap);
	neutralize_message(detail->message);
	return code;
}

int ratls_fail(struct ratls_detail *detail, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ratls_vfail(detail, code, fmt, ap);
	va_end(ap);
	return code;
}
