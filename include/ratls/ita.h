/*
 * Intel Trust Authority (ITA) as a quote verifier backend: the quote is sent
 * to ITA's appraisal API, and the signed JWT that comes back is validated
 * locally before its claims fill a struct ratls_verified_report, the same
 * result the local DCAP backend produces. ratls_verify_cert then applies the
 * key binding, the event-log replay and the policy as for DCAP.
 *
 * What the token must prove before it is used:
 *  - its header names alg PS384 or RS256 (anything else, "none" and HS256
 *    included, is rejected) and a kid;
 *  - the kid is a key of the JWKS fetched from the configured JWKS URL.
 *    The jku and x5u header fields are never used. A JWKS key with an x5c
 *    chain must match the chain's leaf, and the chain must verify (to
 *    jwks_root_der when one is configured);
 *  - the signature verifies with that key;
 *  - iss equals the configured issuer, and exp, nbf and iat are consistent
 *    with the caller's time within RATLS_ITA_CLOCK_SKEW_SECONDS;
 *  - the claims of its layout (ver "1.0.0": flat tdx_* and attester_*
 *    claims; ver "2.0.0": the same claims inside the "tdx" object) are
 *    present, and its measurements and report_data equal those of the quote
 *    that was sent.
 *
 * Where the fields of the verified report come from:
 *  - From the token: status and platform_status (attester_tcb_status),
 *    platform_tcb_date (attester_tcb_date, 0 when absent), advisory_ids
 *    (attester_advisory_ids, none when absent), valid_from (the later of iat
 *    and nbf), valid_until (exp), custom_root.
 *  - From the quote, each after it was compared with the token's claim:
 *    td.mr_td (tdx_mrtd), td.rtmr (tdx_rtmr0..3), td.report_data
 *    (tdx_report_data), td.td_attributes (debug bit against
 *    tdx_is_debuggable or tdx_td_attributes_debug, all bits against
 *    tdx_td_attributes when present), and, when the token carries them,
 *    td.xfam, td.mr_seam, td.mr_signer_seam, td.seam_attributes,
 *    td.mr_config_id, td.mr_owner, td.mr_owner_config and td.tee_tcb_svn.
 *  - From the quote only, because ITA tokens carry no claim for them:
 *    quote_version, tee_type, body_type, trailing_size, td.has_td15,
 *    td.tee_tcb_svn2 and td.mr_servicetd. Optional claims that the token
 *    lacks are also taken from the quote unchecked.
 *  - Not set (zero): module_status, has_module_status, module_identity_id,
 *    qe_status, qe_tcb_date, pck, pck_from_platform_ca, qe_isv_svn and
 *    tcb_evaluation_data_number. ITA's token does not report them, so a
 *    zero qe_status (UpToDate) here means "not reported".
 *
 * The library never reads the clock or the environment: callers pass `now`
 * and the API key (the command-line tool reads INTEL_TRUST_AUTHORITY_API_KEY).
 * URLs must be https://, except http:// to a loopback address.
 */
#ifndef RATLS_ITA_H
#define RATLS_ITA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Intel's ITA API (appraisal) and JWKS URLs per region. */
#define RATLS_ITA_US_URL "https://api.trustauthority.intel.com"
#define RATLS_ITA_EU_URL "https://api.eu.trustauthority.intel.com"
#define RATLS_ITA_US_JWKS_URL "https://portal.trustauthority.intel.com/certs"
#define RATLS_ITA_EU_JWKS_URL "https://portal.eu.trustauthority.intel.com/certs"
/* The iss claim of every token in ITA's documentation. */
#define RATLS_ITA_ISSUER "Intel Trust Authority"
/* Environment variable the command-line tool reads the API key from when no key file is given. */
#define RATLS_ITA_API_KEY_ENV "INTEL_TRUST_AUTHORITY_API_KEY"

#define RATLS_ITA_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define RATLS_ITA_DEFAULT_TIMEOUT_MS 30000
/* Pause before the one retry of a failed connection or a 5xx status. */
#define RATLS_ITA_DEFAULT_RETRY_DELAY_MS 1000
/*
 * Longest Retry-After of a 429 response that is waited for before the one
 * retry. A longer wait is returned as RATLS_ERR_SERVICE instead, because a
 * connection check should not stall for minutes.
 */
#define RATLS_ITA_RETRY_AFTER_MAX_SECONDS 10

/* How long a fetched JWKS is used before it is fetched again, by default. */
#define RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS 3600
/*
 * A token whose kid is not in a cached JWKS triggers a new fetch (ITA
 * rotates its signing keys), but not when the cached JWKS is younger than
 * this, so a stream of bad tokens cannot turn into a stream of fetches.
 */
#define RATLS_ITA_JWKS_REFETCH_MIN_SECONDS 60
/* Allowed clock difference between the caller and ITA for exp, nbf and iat. */
#define RATLS_ITA_CLOCK_SKEW_SECONDS 60

/* Maximum length of the API key, NUL excluded; ITA's keys are far shorter. */
#define RATLS_ITA_API_KEY_MAX_LEN 512
/* Maximum length of a URL in the options, NUL excluded. */
#define RATLS_ITA_URL_MAX_LEN 2048
/*
 * Maximum request body. ITA documents a request body limit of 500,000
 * bytes, so a larger quote (base64 takes four characters per three bytes)
 * is rejected before it is sent.
 */
#define RATLS_ITA_REQUEST_MAX_SIZE 500000
/*
 * Maximum attestation response body, and so maximum token. Intel's Go
 * client caps the body at 64 KiB; a token is a few KiB.
 */
#define RATLS_ITA_RESPONSE_MAX_SIZE (64 * 1024)
/*
 * Maximum JWKS body. A key with a three-certificate x5c chain takes about
 * 6 KiB, and ITA publishes a handful of keys.
 */
#define RATLS_ITA_JWKS_MAX_SIZE (256 * 1024)

/* The ITA region, which selects the default API and JWKS URLs. */
enum ratls_ita_region {
	RATLS_ITA_REGION_US = 0,
	RATLS_ITA_REGION_EU = 1
};

/* The token signing algorithm requested from ITA (token_signing_alg). */
enum ratls_ita_alg {
	RATLS_ITA_ALG_PS384 = 0, /* RSASSA-PSS with SHA-384, ITA's default */
	RATLS_ITA_ALG_RS256 = 1  /* RSASSA-PKCS1-v1_5 with SHA-256 */
};

/* The appraisal endpoint version; both take the same flat request body. */
enum ratls_ita_api {
	RATLS_ITA_API_V2 = 0, /* POST /appraisal/v2/attest */
	RATLS_ITA_API_V1 = 1  /* POST /appraisal/v1/attest, as Intel's C and Python clients use */
};

struct ratls_ita_options {
	/* Required: the attestation API key, sent as x-api-key. Copied and wiped on free. */
	const char *api_key;
	enum ratls_ita_region region;
	/* The API URL; NULL is the region's RATLS_ITA_*_URL. Trailing "/" are removed. */
	const char *base_url;
	enum ratls_ita_api api;
	/* The JWKS URL; NULL is the region's RATLS_ITA_*_JWKS_URL. */
	const char *jwks_url;
	/* The expected iss claim; NULL is RATLS_ITA_ISSUER. */
	const char *issuer;
	/*
	 * DER certificate that every JWKS key must chain to through its x5c
	 * member; a key without x5c is then rejected. NULL checks an x5c chain
	 * only for consistency up to its own last certificate. Copied.
	 */
	const uint8_t *jwks_root_der;
	size_t jwks_root_der_size;
	enum ratls_ita_alg token_signing_alg;
	/* Seconds a fetched JWKS is reused; 0 is RATLS_ITA_DEFAULT_JWKS_TTL_SECONDS. */
	int64_t jwks_ttl_seconds;
	/* Milliseconds; 0 selects the RATLS_ITA_DEFAULT_* value. The total covers one request. */
	long connect_timeout_ms;
	long timeout_ms;
	long retry_delay_ms;
	/* Proxy URL passed to libcurl; NULL lets libcurl read https_proxy, "" uses none. */
	const char *proxy;
	/* CA certificates for the services' TLS certificates; NULL uses libcurl's default. */
	const char *ca_file;
	const char *ca_path;
};

/* Fills options with the defaults: US region, v2 endpoint, PS384, default timeouts, no key. */
RATLS_EXPORT void ratls_ita_options_init(struct ratls_ita_options *options);

/* An ITA client with its JWKS cache; safe to share between threads. */
struct ratls_ita_client;

/*
 * Creates a client. Checks the options (URLs, key length) and copies them;
 * nothing is fetched. Returns RATLS_ERR_INVALID_ARGUMENT for a missing API
 * key (the detail names where to get one) or a bad option.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_ita_client_new(const struct ratls_ita_options *options,
						       struct ratls_ita_client **out,
						       struct ratls_detail *detail);

/* Wipes the API key and frees the client. No other call may run concurrently. NULL is ignored. */
RATLS_EXPORT void ratls_ita_client_free(struct ratls_ita_client *client);

/*
 * Sends quote to ITA's appraisal endpoint and returns the token, unchecked,
 * in *token (a NUL-terminated string the caller frees with free()). A
 * failed connection, a 5xx status or a 429 with a Retry-After of at most
 * RATLS_ITA_RETRY_AFTER_MAX_SECONDS is retried once.
 *
 * Errors: RATLS_ERR_INVALID_ARGUMENT (a quote too large for ITA),
 * RATLS_ERR_NETWORK, RATLS_ERR_TIMEOUT, RATLS_ERR_SERVICE (a status other
 * than 2xx; the detail has the status, the request-id and an excerpt of the
 * body, never the API key), RATLS_ERR_LIMIT_EXCEEDED (a body above
 * RATLS_ITA_RESPONSE_MAX_SIZE) and RATLS_ERR_MALFORMED (no token in the
 * response).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_ita_attest(struct ratls_ita_client *client,
						   const uint8_t *quote, size_t quote_size,
						   char **token, size_t *token_len,
						   struct ratls_detail *detail);

/*
 * Validates token (see the top of this file) at Unix time now and fills
 * *report from its claims and from quote, the TDX quote that was sent to
 * ITA. The JWKS comes from the client's cache, fetched when missing,
 * older than the TTL, or lacking the token's kid.
 *
 * Errors: RATLS_ERR_MALFORMED (not a JWT, a missing or mistyped claim),
 * RATLS_ERR_UNSUPPORTED_VERSION (a ver other than 1.0.0 or 2.0.0),
 * RATLS_ERR_UNSUPPORTED_TEE_TYPE (an SGX quote, or attester_type not TDX),
 * RATLS_ERR_QUOTE_SIGNATURE (an alg other than PS384 and RS256, or a bad
 * signature), RATLS_ERR_UNTRUSTED_ROOT (a kid not in the JWKS, a wrong iss,
 * an x5c chain not ending at jwks_root_der), RATLS_ERR_CHAIN_INVALID (an
 * x5c chain that does not verify or does not match its key),
 * RATLS_ERR_COLLATERAL_EXPIRED and RATLS_ERR_COLLATERAL_NOT_YET_VALID
 * (exp, nbf, iat), RATLS_ERR_KEY_BINDING (tdx_report_data differs from the
 * quote's REPORTDATA), RATLS_ERR_MEASUREMENT_MISMATCH and
 * RATLS_ERR_TD_ATTRIBUTES (another claim differs from the quote),
 * RATLS_ERR_DEBUG (the debug claims contradict the quote's TD attributes),
 * RATLS_ERR_TCB_STATUS (a status name ratls does not know),
 * RATLS_ERR_TCB_REVOKED (with the report filled), and the JWKS fetch's
 * errors as for ratls_ita_attest. A debuggable TD whose claims agree with
 * its quote passes here; the policy rejects it unless it allows debug.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_ita_verify_token(struct ratls_ita_client *client,
							 const char *token, size_t token_len,
							 const uint8_t *quote, size_t quote_size,
							 int64_t now,
							 struct ratls_verified_report *report,
							 struct ratls_detail *detail);

/* ratls_ita_attest, then ratls_ita_verify_token on the token returned. Thread-safe. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_ita_verify_quote(struct ratls_ita_client *client,
							 const uint8_t *quote, size_t quote_size,
							 int64_t now,
							 struct ratls_verified_report *report,
							 struct ratls_detail *detail);

/*
 * Fills *verifier with the ITA backend (ratls_ita_verify_quote) for
 * ratls_verify_cert. The client must outlive every use of the verifier.
 */
RATLS_EXPORT void ratls_verifier_init_ita(struct ratls_verifier *verifier,
					  struct ratls_ita_client *client);

/* Counters since the client was created. */
struct ratls_ita_stats {
	uint64_t attest_requests; /* POST requests sent, retries included */
	uint64_t retries;         /* requests repeated after a transient failure */
	uint64_t jwks_fetches;    /* JWKS GET requests sent */
	uint64_t jwks_cache_hits; /* tokens whose key came from the cached JWKS */
};

RATLS_EXPORT void ratls_ita_client_stats(struct ratls_ita_client *client,
					 struct ratls_ita_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_ITA_H */
