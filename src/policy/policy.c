/*
 * Appraisal of a verified report against the caller's policy. Checks run
 * from the broadest to the narrowest: TCB status, debug, TDX module signer
 * and service TD, then the measurements.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "ratls/policy.h"

/* An allowlist of one dstack identity field (compose hash, app id, OS image hash). */
struct identity_allowlist {
	uint8_t values[RATLS_POLICY_IDENTITIES_MAX][32];
	size_t count;
	size_t size; /* bytes per value */
};

struct ratls_policy {
	uint8_t mrtds[RATLS_POLICY_MRTDS_MAX][48];
	size_t mrtd_count;
	bool rtmr_pinned[4];
	uint8_t rtmr[4][48];
	bool status_set_by_caller;
	bool status_allowed[RATLS_TCB_STATUS_COUNT];
	bool allow_debug;
	bool allow_seam_signer;
	bool allow_service_td;
	struct identity_allowlist compose_hashes;
	struct identity_allowlist app_ids;
	struct identity_allowlist os_image_hashes;
};

static void policy_defaults(struct ratls_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->status_allowed[RATLS_TCB_UP_TO_DATE] = true;
	p->status_allowed[RATLS_TCB_SW_HARDENING_NEEDED] = true;
	p->compose_hashes.size = 32;
	p->app_ids.size = 20;
	p->os_image_hashes.size = 32;
}

struct ratls_policy *ratls_policy_new(void)
{
	struct ratls_policy *p = malloc(sizeof(*p));

	if (p != NULL)
		policy_defaults(p);
	return p;
}

void ratls_policy_free(struct ratls_policy *policy)
{
	free(policy);
}

/* Decodes size bytes from hex with an optional 0x prefix. */
static int decode_hex_value(const char *hex, uint8_t *out, size_t size, const char *what,
			    struct ratls_detail *detail)
{
	size_t len;

	if (hex == NULL)
		return ratls_fail(detail, RATLS_ERR_POLICY_INVALID, "%s is NULL", what);
	len = strlen(hex);
	if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
		hex += 2;
		len -= 2;
	}
	if (ratls_hex_decode_fixed(hex, len, out, size) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_POLICY_INVALID,
				  "%s \"%.100s\" is not %zu hex digits (%zu bytes)", what, hex,
				  size * 2, size);
	return RATLS_OK;
}

/* Decodes a 48-byte measurement. */
static int decode_measurement(const char *hex, uint8_t out[48], const char *what,
			      struct ratls_detail *detail)
{
	return decode_hex_value(hex, out, 48, what, detail);
}

static int add_identity(struct identity_allowlist *list, const char *hex, const char *what,
			struct ratls_detail *detail)
{
	uint8_t value[32];
	int rc;

	if (list->count == RATLS_POLICY_IDENTITIES_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED, "a policy allows at most %d of %s",
				  RATLS_POLICY_IDENTITIES_MAX, what);
	if ((rc = decode_hex_value(hex, value, list->size, what, detail)) != RATLS_OK)
		return rc;
	memcpy(list->values[list->count++], value, list->size);
	return RATLS_OK;
}

int ratls_policy_add_compose_hash(struct ratls_policy *policy, const char *hex,
				  struct ratls_detail *detail)
{
	return add_identity(&policy->compose_hashes, hex, "compose hash", detail);
}

int ratls_policy_add_app_id(struct ratls_policy *policy, const char *hex,
			    struct ratls_detail *detail)
{
	return add_identity(&policy->app_ids, hex, "app id", detail);
}

int ratls_policy_add_os_image_hash(struct ratls_policy *policy, const char *hex,
				   struct ratls_detail *detail)
{
	return add_identity(&policy->os_image_hashes, hex, "OS image hash", detail);
}

bool ratls_policy_pins_identity(const struct ratls_policy *policy)
{
	return policy != NULL && (policy->compose_hashes.count > 0 || policy->app_ids.count > 0 ||
				  policy->os_image_hashes.count > 0);
}

bool ratls_policy_has_pins(const struct ratls_policy *policy)
{
	if (policy == NULL)
		return false;
	for (int i = 0; i < 4; i++) {
		if (policy->rtmr_pinned[i])
			return true;
	}
	return policy->mrtd_count > 0 || ratls_policy_pins_identity(policy);
}

int ratls_policy_add_mrtd(struct ratls_policy *policy, const char *hex, struct ratls_detail *detail)
{
	uint8_t m[48];
	int rc;

	if (policy->mrtd_count == RATLS_POLICY_MRTDS_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "a policy allows at most %d MRTDs", RATLS_POLICY_MRTDS_MAX);
	if ((rc = decode_measurement(hex, m, "allowed MRTD", detail)) != RATLS_OK)
		return rc;
	memcpy(policy->mrtds[policy->mrtd_count++], m, 48);
	return RATLS_OK;
}

int ratls_policy_pin_rtmr(struct ratls_policy *policy, int index, const char *hex,
			  struct ratls_detail *detail)
{
	int rc;

	if (index < 0 || index > 3)
		return ratls_fail(detail, RATLS_ERR_POLICY_INVALID,
				  "RTMR index %d is out of range; TDX has RTMR0 to RTMR3", index);
	if ((rc = decode_measurement(hex, policy->rtmr[index], "RTMR pin", detail)) != RATLS_OK)
		return rc;
	policy->rtmr_pinned[index] = true;
	return RATLS_OK;
}

int ratls_policy_allow_tcb_status(struct ratls_policy *policy, enum ratls_tcb_status status,
				  struct ratls_detail *detail)
{
	if ((int)status < 0 || status >= RATLS_TCB_STATUS_COUNT)
		return ratls_fail(detail, RATLS_ERR_POLICY_INVALID, "TCB status %d is unknown",
				  (int)status);
	if (status == RATLS_TCB_REVOKED)
		return ratls_fail(detail, RATLS_ERR_POLICY_INVALID,
				  "TCB status Revoked can never be accepted");
	if (!policy->status_set_by_caller) {
		memset(policy->status_allowed, 0, sizeof(policy->status_allowed));
		policy->status_set_by_caller = true;
	}
	policy->status_allowed[status] = true;
	return RATLS_OK;
}

void ratls_policy_set_allow_debug(struct ratls_policy *policy, bool allow)
{
	policy->allow_debug = allow;
}

void ratls_policy_set_allow_seam_signer(struct ratls_policy *policy, bool allow)
{
	policy->allow_seam_signer = allow;
}

void ratls_policy_set_allow_service_td(struct ratls_policy *policy, bool allow)
{
	policy->allow_service_td = allow;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int check_status(const struct ratls_policy *p, const struct ratls_verified_report *r,
			struct ratls_detail *detail)
{
	char allowed[160] = "";
	size_t used = 0;

	if (r->status == RATLS_TCB_REVOKED)
		return ratls_fail(detail, RATLS_ERR_TCB_REVOKED,
				  "TCB status is Revoked (platform %s, QE %s); the platform's keys "
				  "are no longer trusted",
				  ratls_tcb_status_name(r->platform_status),
				  ratls_tcb_status_name(r->qe_status));
	if ((int)r->status >= 0 && r->status < RATLS_TCB_STATUS_COUNT && p->status_allowed[r->status])
		return RATLS_OK;

	for (int s = 0; s < RATLS_TCB_STATUS_COUNT; s++) {
		const char *name = ratls_tcb_status_name((enum ratls_tcb_status)s);
		size_t n = strlen(name);

		if (!p->status_allowed[s] || used + n + 3 >= sizeof(allowed))
			continue;
		if (used > 0) {
			memcpy(allowed + used, ", ", 2);
			used += 2;
		}
		memcpy(allowed + used, name, n + 1);
		used += n;
	}
	return ratls_fail(detail, RATLS_ERR_TCB_STATUS,
			  "TCB status %s is not acceptable (allowed: %s%s); update the platform "
			  "or allow the status explicitly",
			  ratls_tcb_status_name(r->status), allowed,
			  r->advisory_count > 0 ? "; see the advisory IDs" : "");
}

static int check_debug(const struct ratls_policy *p, const struct ratls_verified_report *r,
		       struct ratls_detail *detail)
{
	bool td = r->body_type != RATLS_BODY_SGX_ENCLAVE;
	bool debug = td ? (r->td.td_attributes[0] & 0x01) != 0 : (r->sgx.attributes[0] & 0x02) != 0;

	if (!debug)
		return RATLS_OK;
	if (!p->allow_debug)
		return ratls_fail(detail, RATLS_ERR_DEBUG,
				  "%s has the DEBUG attribute set, so its memory is readable by the "
				  "host; allow_debug accepts it for development only",
				  td ? "the TD" : "the enclave");
	ratls_log(RATLS_LOG_WARNING, "allow_debug: accepting a debuggable %s",
		  td ? "TD" : "enclave");
	return RATLS_OK;
}

/*
 * TD attributes other than DEBUG: SEPT_VE_DISABLE (bit 28) must be set,
 * because without it the host can inject #VE exceptions through EPT
 * violations. The reserved bits 7:1, 27:8, 29 and 62:32 must be clear. PKS (30), KL (31) and
 * PERFMON (63) are allowed. Bit numbers follow Intel's TDX module
 * specification of TDINFO_STRUCT.ATTRIBUTES.
 */
static int check_td_attributes(const struct ratls_verified_report *r, struct ratls_detail *detail)
{
	const uint8_t *a = r->td.td_attributes;
	char hex[17];

	ratls_hex_encode(a, 8, hex);
	if (!(a[3] & 0x10))
		return ratls_fail(detail, RATLS_ERR_TD_ATTRIBUTES,
				  "TD attributes %s have SEPT_VE_DISABLE (bit 28) clear, so the host "
				  "can inject #VE exceptions; launch the TD with sept-ve-disable",
				  hex);
	if ((a[0] & 0xfe) || a[1] || a[2] || (a[3] & 0x2f) || a[4] || a[5] || a[6] ||
	    (a[7] & 0x7f))
		return ratls_fail(detail, RATLS_ERR_TD_ATTRIBUTES,
				  "TD attributes %s set reserved bits (7:1, 27:8, 29 or 62:32)", hex);
	return RATLS_OK;
}

static int check_td_identity(const struct ratls_policy *p, const struct ratls_verified_report *r,
			     struct ratls_detail *detail)
{
	char hex[97];

	if (!all_zero(r->td.mr_signer_seam, 48)) {
		if (!p->allow_seam_signer) {
			ratls_hex_encode(r->td.mr_signer_seam, 48, hex);
			return ratls_fail(detail, RATLS_ERR_SEAM_SIGNER,
					  "MR_SIGNER_SEAM is %s; Intel's TDX module has zero here, "
					  "allow_seam_signer accepts another signer",
					  hex);
		}
		ratls_log(RATLS_LOG_WARNING,
			  "allow_seam_signer: accepting a TDX module not signed by Intel");
	}
	if (r->td.has_td15 && !all_zero(r->td.mr_servicetd, 48)) {
		if (!p->allow_service_td) {
			ratls_hex_encode(r->td.mr_servicetd, 48, hex);
			return ratls_fail(detail, RATLS_ERR_SERVICE_TD,
					  "MR_SERVICETD is %s; the TD is bound to a service TD, "
					  "allow_service_td accepts it",
					  hex);
		}
		ratls_log(RATLS_LOG_WARNING, "allow_service_td: accepting a TD bound to a service TD");
	}
	return RATLS_OK;
}

static int check_measurements(const struct ratls_policy *p, const struct ratls_verified_report *r,
			      struct ratls_detail *detail)
{
	char seen[97], expected[97];

	if (p->mrtd_count == 0) {
		ratls_log(RATLS_LOG_WARNING,
			  "no allowed MRTD is configured, so any TD image is accepted; pin the "
			  "expected MRTD");
	} else {
		bool found = false;

		for (size_t i = 0; i < p->mrtd_count && !found; i++)
			found = memcmp(p->mrtds[i], r->td.mr_td, 48) == 0;
		if (!found) {
			ratls_hex_encode(r->td.mr_td, 48, seen);
			return ratls_fail(detail, RATLS_ERR_MRTD_NOT_ALLOWED,
					  "MRTD %s is not among the %zu allowed; add it if this TD "
					  "image is trusted",
					  seen, p->mrtd_count);
		}
	}
	for (int i = 0; i < 4; i++) {
		if (!p->rtmr_pinned[i] || memcmp(p->rtmr[i], r->td.rtmr[i], 48) == 0)
			continue;
		ratls_hex_encode(r->td.rtmr[i], 48, seen);
		ratls_hex_encode(p->rtmr[i], 48, expected);
		return ratls_fail(detail, RATLS_ERR_MEASUREMENT_MISMATCH,
				  "RTMR%d is %s, pinned to %s", i, seen, expected);
	}
	return RATLS_OK;
}

int ratls_policy_appraise(const struct ratls_policy *policy,
			  const struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_policy defaults;
	int rc;

	if (report == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "report is NULL");
	if (policy == NULL) {
		policy_defaults(&defaults);
		policy = &defaults;
	}

	if ((rc = check_status(policy, report, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_debug(policy, report, detail)) != RATLS_OK)
		return rc;
	if (report->body_type == RATLS_BODY_SGX_ENCLAVE) {
		bool pinned = policy->mrtd_count > 0;

		for (int i = 0; i < 4; i++)
			pinned = pinned || policy->rtmr_pinned[i];
		/* TD measurements cannot be met by an enclave; accepting would ignore the pins. */
		if (pinned)
			return ratls_fail(detail, RATLS_ERR_MRTD_NOT_ALLOWED,
					  "the policy pins TD measurements (MRTD or RTMRs) but the "
					  "quote is from an SGX enclave, which has none");
		/* TODO: pins for MRENCLAVE, MRSIGNER and ISVPRODID; until then the caller checks them. */
		ratls_log(RATLS_LOG_WARNING,
			  "the policy pins no enclave identity, so any SGX enclave is accepted; "
			  "check MRENCLAVE and MRSIGNER in the report");
		return RATLS_OK;
	}
	if ((rc = check_td_attributes(report, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_td_identity(policy, report, detail)) != RATLS_OK)
		return rc;
	return check_measurements(policy, report, detail);
}

/*
 * Checks one identity field against its allowlist. The event name is the
 * dstack runtime event that carries the field.
 */
static int check_identity_field(const struct identity_allowlist *list, const uint8_t *value,
				size_t value_size, const char *what, const char *event,
				struct ratls_detail *detail)
{
	char seen[65];

	if (list->count == 0)
		return RATLS_OK;
	if (value == NULL)
		return ratls_fail(detail, RATLS_ERR_MEASUREMENT_MISMATCH,
				  "the policy pins the %s but the event log has no \"%s\" event "
				  "before system-ready",
				  what, event);
	if (value_size != list->size) {
		return ratls_fail(detail, RATLS_ERR_MEASUREMENT_MISMATCH,
				  "the \"%s\" event carries %zu bytes, but a %s has %zu", event,
				  value_size, what, list->size);
	}
	for (size_t i = 0; i < list->count; i++) {
		if (memcmp(list->values[i], value, list->size) == 0)
			return RATLS_OK;
	}
	ratls_hex_encode(value, value_size, seen);
	return ratls_fail(detail, RATLS_ERR_MEASUREMENT_MISMATCH,
			  "%s %s is not among the %zu allowed; add it if this application is "
			  "trusted",
			  what, seen, list->count);
}

int ratls_policy_appraise_identity(const struct ratls_policy *policy,
				   const struct ratls_identity *identity, struct ratls_detail *detail)
{
	int rc;

	if (!ratls_policy_pins_identity(policy))
		return RATLS_OK;
	if (identity == NULL)
		return ratls_fail(detail, RATLS_ERR_MEASUREMENT_MISMATCH,
				  "the policy pins dstack identity fields but the evidence carries no "
				  "replayed event log");

	rc = check_identity_field(&policy->compose_hashes, identity->compose_hash,
				  identity->compose_hash_size, "compose hash", "compose-hash", detail);
	if (rc != RATLS_OK)
		return rc;
	rc = check_identity_field(&policy->app_ids, identity->app_id, identity->app_id_size,
				  "app id", "app-id", detail);
	if (rc != RATLS_OK)
		return rc;
	/*
	 * Only the os-image-hash runtime event counts: the os_image_hash of the
	 * VM configuration is not covered by any RTMR.
	 */
	return check_identity_field(&policy->os_image_hashes, identity->os_image_hash,
				    identity->os_image_hash_size, "OS image hash", "os-image-hash",
				    detail);
}
