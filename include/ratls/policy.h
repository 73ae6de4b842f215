/*
 * Appraisal policy: which verified reports the caller accepts.
 *
 * Defaults (a policy fresh from ratls_policy_new): any MRTD (with a warning
 * on every appraisal, since that accepts any TD image), no RTMR pins, debug
 * TDs and enclaves rejected, TCB statuses UpToDate and SWHardeningNeeded
 * accepted, SEPT_VE_DISABLE required and reserved TD attribute bits
 * rejected, MR_SIGNER_SEAM and MR_SERVICETD required to be zero. Revoked is
 * never accepted.
 */
#ifndef RATLS_POLICY_H
#define RATLS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/evidence.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most MRTDs one policy allows. */
#define RATLS_POLICY_MRTDS_MAX 64

/* Most values of each dstack identity field (compose hash, app id, OS image hash) one policy allows. */
#define RATLS_POLICY_IDENTITIES_MAX 64

struct ratls_policy;

/* Returns a policy with the defaults above, or NULL when out of memory. */
RATLS_EXPORT struct ratls_policy *ratls_policy_new(void);
RATLS_EXPORT void ratls_policy_free(struct ratls_policy *policy);

/*
 * Adds an allowed MRTD given as 96 hex digits, either case, with an optional
 * "0x" prefix. Once one is added, only listed MRTDs pass.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_add_mrtd(struct ratls_policy *policy,
							const char *hex,
							struct ratls_detail *detail);

/* Pins RTMR index (0-3) to a 96-hex-digit value. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_pin_rtmr(struct ratls_policy *policy, int index,
							const char *hex,
							struct ratls_detail *detail);

/*
 * Replaces the set of acceptable TCB statuses with the given ones (Revoked
 * is refused). The first call drops the defaults; later calls add.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_allow_tcb_status(struct ratls_policy *policy,
								enum ratls_tcb_status status,
								struct ratls_detail *detail);

/* Accepts debuggable TDs and enclaves (logs a warning whenever it lets one pass). */
RATLS_EXPORT void ratls_policy_set_allow_debug(struct ratls_policy *policy, bool allow);

/* Accepts a non-zero MR_SIGNER_SEAM (a TDX module not signed by Intel); warns when used. */
RATLS_EXPORT void ratls_policy_set_allow_seam_signer(struct ratls_policy *policy, bool allow);

/* Accepts a non-zero MR_SERVICETD (a TD bound to a service TD); warns when used. */
RATLS_EXPORT void ratls_policy_set_allow_service_td(struct ratls_policy *policy, bool allow);

/*
 * Adds an allowed compose hash (SHA-256 of the app-compose.json a dstack
 * application was deployed with) as 64 hex digits. Once one is added, the
 * "compose-hash" runtime event must carry a listed value.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_add_compose_hash(struct ratls_policy *policy,
								const char *hex,
								struct ratls_detail *detail);

/* Adds an allowed dstack app id (20 bytes, 40 hex digits), matched against the "app-id" event. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_add_app_id(struct ratls_policy *policy,
							  const char *hex,
							  struct ratls_detail *detail);

/*
 * Adds an allowed OS image hash (32 bytes, 64 hex digits), matched against
 * the "os-image-hash" runtime event, which dstack emits only with a KMS key
 * provider. The os_image_hash of the VM configuration is not attested by
 * any RTMR, so it never satisfies this pin. When the event is absent, pin
 * MRTD and RTMR0-2 instead.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_add_os_image_hash(struct ratls_policy *policy,
								 const char *hex,
								 struct ratls_detail *detail);

/* Returns true when policy pins a compose hash, app id or OS image hash. */
RATLS_EXPORT bool ratls_policy_pins_identity(const struct ratls_policy *policy);

/* Returns true when policy pins anything: an MRTD, an RTMR or an identity field. */
RATLS_EXPORT bool ratls_policy_has_pins(const struct ratls_policy *policy);

/*
 * Appraises the dstack identity of evidence whose RTMR3 replay matched the
 * quote (struct ratls_replay.identity with identity_valid set). identity may
 * be NULL when the evidence carries no event log, which fails if the policy
 * pins any identity field. Returns RATLS_OK or RATLS_ERR_MEASUREMENT_MISMATCH
 * with the field, the value seen and the number allowed in detail. A NULL
 * policy pins nothing.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_appraise_identity(
	const struct ratls_policy *policy, const struct ratls_identity *identity,
	struct ratls_detail *detail);

/*
 * Appraises a verified report. Returns RATLS_OK or the first failing rule:
 * RATLS_ERR_TCB_REVOKED, RATLS_ERR_TCB_STATUS, RATLS_ERR_DEBUG,
 * RATLS_ERR_TD_ATTRIBUTES, RATLS_ERR_SEAM_SIGNER, RATLS_ERR_SERVICE_TD, RATLS_ERR_MRTD_NOT_ALLOWED or
 * RATLS_ERR_MEASUREMENT_MISMATCH, with the value seen and the fix in detail.
 * A NULL policy means the defaults.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_policy_appraise(const struct ratls_policy *policy,
							const struct ratls_verified_report *report,
							struct ratls_detail *detail);

#ifdef __cplusplus
}
#endif

#endif
