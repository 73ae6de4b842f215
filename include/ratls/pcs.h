/*
 * Collateral from Intel's Provisioning Certification Service (PCS v4) or a
 * Provisioning Certificate Caching Service (PCCS), with a shared cache.
 *
 * A provider fetches the TCB info, QE identity, PCK CRL and root CA CRL for a
 * collateral key (FMSPC, PCK CA type, TEE type) over HTTPS with libcurl. It
 * checks them once with ratls_dcap_context_new and keeps the prepared
 * context until the earliest expiry it contains. Threads share a provider,
 * and concurrent requests for the same key wait for a single fetch. A
 * failed fetch changes nothing in the cache. An optional cache directory
 * keeps the collateral as bundle files, so a restarted process starts warm,
 * and those files are checked again when they are loaded.
 *
 * The library never reads the clock: every call that decides whether
 * collateral is still valid takes `now` (Unix seconds) from the caller.
 *
 * Collateral is trusted because of its signatures, never because of where
 * it came from. URLs must be https://, except http:// to a loopback address
 * (127.0.0.0/8, ::1 or localhost) for a PCCS on the same host and for tests.
 */
#ifndef RATLS_PCS_H
#define RATLS_PCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/attest.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Intel's PCS; the v4 collateral endpoints live under /sgx and /tdx/certification/v4. */
#define RATLS_PCS_INTEL_URL "https://api.trustedservices.intel.com"
/* The root CA CRL: the CRL distribution point of the Intel SGX Root CA certificate. */
#define RATLS_PCS_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

#define RATLS_PCS_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define RATLS_PCS_DEFAULT_TIMEOUT_MS 30000

/* Maximum length of a URL in the options, NUL excluded. */
#define RATLS_PCS_URL_MAX_LEN 2048
/* Maximum length of cache_dir, NUL excluded, so that file names fit after it. */
#define RATLS_PCS_CACHE_DIR_MAX_LEN 3072

/*
 * Maximum response body sizes. A transfer that goes beyond is aborted.
 * TCB info and QE identity bodies are bounded like every collateral JSON
 * document. A CRL body may be hex text (a PCCS), so it may take two
 * characters per byte of the largest CRL accepted, plus a line end.
 */
#define RATLS_PCS_JSON_BODY_MAX_SIZE RATLS_COLLATERAL_JSON_MAX_SIZE
#define RATLS_PCS_CRL_BODY_MAX_SIZE (2 * RATLS_CRL_MAX_SIZE + 64)
/* Maximum issuer chain header size, because URL encoding takes at most three characters per byte. */
#define RATLS_PCS_HEADER_MAX_SIZE (3 * RATLS_CHAIN_MAX_SIZE)

/*
 * Maximum number of collateral keys one provider caches. A fleet has a few
 * platform models (FMSPCs). When the cache is full, the idle entry that
 * expires first is evicted.
 */
#define RATLS_PCS_CACHE_MAX_ENTRIES 64

/* Service type of base_url. The two differ in CRL encodings and in the root CA CRL endpoint. */
enum ratls_pcs_service {
	RATLS_PCS_SERVICE_INTEL = 0, /* Intel PCS: DER CRLs, root CA CRL from root_crl_url */
	RATLS_PCS_SERVICE_PCCS = 1   /* PCCS: hex CRLs, root CA CRL from /sgx/certification/v4/rootcacrl */
};

/* The PCS "update" parameter: which TCB recovery event's collateral to serve. */
enum ratls_pcs_update {
	RATLS_PCS_UPDATE_STANDARD = 0, /* "standard", the PCS default */
	RATLS_PCS_UPDATE_EARLY = 1     /* "early": collateral of a TCB recovery before its release */
};

/* The CA that issued a PCK certificate, which selects the PCK CRL ("ca" parameter). */
enum ratls_pcs_ca {
	RATLS_PCS_CA_PROCESSOR = 1, /* "Intel SGX PCK Processor CA" */
	RATLS_PCS_CA_PLATFORM = 2   /* "Intel SGX PCK Platform CA" */
};

enum ratls_pcs_tee {
	RATLS_PCS_TEE_SGX = 1, /* TCB info id "SGX", QE identity "QE" */
	RATLS_PCS_TEE_TDX = 2  /* TCB info id "TDX", QE identity "TD_QE" */
};

/* Collateral key: the values that select one collateral set. */
struct ratls_pcs_key {
	uint8_t fmspc[6];
	enum ratls_pcs_ca ca;
	enum ratls_pcs_tee tee;
};

struct ratls_pcs_options {
	/*
	 * The service's root URL. NULL is RATLS_PCS_INTEL_URL. Trailing "/"
	 * characters and a trailing "/sgx/certification/v4" or
	 * "/tdx/certification/v4" (as Intel's QPL configuration writes a PCCS
	 * URL) are removed. It may not carry a query or a fragment.
	 */
	const char *base_url;
	enum ratls_pcs_service service;
	/* RATLS_PCS_SERVICE_INTEL only: the root CA CRL URL; NULL is RATLS_PCS_ROOT_CRL_URL. */
	const char *root_crl_url;
	enum ratls_pcs_update update;
	/* Milliseconds; 0 selects the RATLS_PCS_DEFAULT_* value. The total covers one request. */
	long connect_timeout_ms;
	long timeout_ms;
	/*
	 * Proxy URL passed to libcurl (CURLOPT_PROXY). NULL lets libcurl read
	 * the https_proxy and no_proxy environment variables; "" uses no proxy.
	 */
	const char *proxy;
	/* CA certificates for the service's TLS certificate; NULL uses libcurl's default. */
	const char *ca_file;
	const char *ca_path;
	/*
	 * Directory for bundle files (created with mode 0700 when missing), or
	 * NULL for no disk cache. Files are written as 0600 through a temporary
	 * file and a rename, and are checked again when loaded.
	 */
	const char *cache_dir;
	/*
	 * Seconds after the collateral's expiry during which it may still be
	 * used when a new fetch fails. A quote is then verified as of the expiry
	 * time, and every such use logs a warning. 0 (the default) never uses
	 * expired collateral.
	 */
	int64_t grace_period;
	/*
	 * Seconds before expiry from which a verification that hits the cache
	 * also starts a fetch in a background thread, so that callers do not
	 * wait at expiry. With a grace period, expired collateral within it is
	 * then served at once while the background fetch runs. 0 disables.
	 */
	int64_t refresh_before;
	/*
	 * Passed to ratls_dcap_context_new: the DER root to trust instead of
	 * Intel's (the simulated platform's test root). Copied; NULL trusts only
	 * the Intel SGX Root CA.
	 */
	const uint8_t *trust_root_der;
	size_t trust_root_der_size;
};

/* Fills options with the defaults: Intel's PCS, update=standard, default timeouts, no cache directory. */
RATLS_EXPORT void ratls_pcs_options_init(struct ratls_pcs_options *options);

/* A collateral provider and its cache; safe to share between threads. */
struct ratls_pcs_provider;

/*
 * Creates a provider. The URLs are checked (scheme, host, length) and the
 * cache directory is created when missing; nothing is fetched. Returns
 * RATLS_ERR_INVALID_ARGUMENT for a bad option and RATLS_ERR_IO when the
 * cache directory cannot be created. Strings are copied.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_provider_new(const struct ratls_pcs_options *options,
							 struct ratls_pcs_provider **out,
							 struct ratls_detail *detail);

/*
 * Frees a provider. It waits for a background fetch in progress, which
 * takes at most the configured timeouts. No other call on the provider may
 * run concurrently. provider may be NULL.
 */
RATLS_EXPORT void ratls_pcs_provider_free(struct ratls_pcs_provider *provider);

/*
 * Reads the collateral key of a quote: the TEE type from its header, and
 * the FMSPC and issuing CA from the PCK certificate in its certification
 * data (type 5). The certificate is not verified here, because it only
 * selects collateral; verification checks the whole chain afterwards.
 * Returns the errors of ratls_quote_parse and ratls_quote_pck_chain, and
 * RATLS_ERR_PCK_CERT_INVALID when the certificate cannot be read.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_key_from_quote(const uint8_t *quote, size_t quote_size,
							   struct ratls_pcs_key *key,
							   struct ratls_detail *detail);

/*
 * Builds a key from text: fmspc as 12 hex digits (either case), ca
 * "processor" or "platform", tee "sgx" or "tdx". Returns
 * RATLS_ERR_INVALID_ARGUMENT for any other value.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_key_parse(const char *fmspc, const char *ca,
						      const char *tee, struct ratls_pcs_key *key,
						      struct ratls_detail *detail);

/* Returns "processor" or "platform" ("unknown" for another value); never NULL. */
RATLS_EXPORT const char *ratls_pcs_ca_name(enum ratls_pcs_ca ca);
/* Returns "sgx" or "tdx" ("unknown" for another value); never NULL. */
RATLS_EXPORT const char *ratls_pcs_tee_name(enum ratls_pcs_tee tee);

/*
 * Fetches the collateral for key from the service, bypassing the cache:
 * TCB info, QE identity, PCK CRL for the key's CA, root CA CRL, and their
 * issuer chains from the response headers. The result is decoded but not
 * verified. On success *out is new collateral for ratls_collateral_free.
 *
 * Errors: RATLS_ERR_NETWORK (no connection, TLS failure, connection closed
 * early), RATLS_ERR_TIMEOUT, RATLS_ERR_SERVICE (an HTTP status other than
 * 200; the detail names the status and URL), RATLS_ERR_LIMIT_EXCEEDED (a
 * body or header above its RATLS_PCS_*_MAX_SIZE), the decoding errors of
 * the ratls_collateral_set_* functions, RATLS_ERR_COLLATERAL_MISSING for a
 * missing issuer chain header, and RATLS_ERR_COLLATERAL_MISMATCH when the
 * service returned collateral for another FMSPC, TEE or CA.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_fetch(struct ratls_pcs_provider *provider,
						  const struct ratls_pcs_key *key,
						  struct ratls_collateral **out,
						  struct ratls_detail *detail);

/*
 * Fetches the collateral for key (see ratls_pcs_fetch), checks its
 * signatures, chains and CRLs with ratls_dcap_context_new, and returns it as
 * a bundle (ratls_collateral_write_bundle) in *bundle, a NUL-terminated
 * string the caller frees with free(). The bundle verifies quotes offline.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_fetch_bundle(struct ratls_pcs_provider *provider,
							 const struct ratls_pcs_key *key,
							 char **bundle, struct ratls_detail *detail);

/*
 * Verifies a quote at Unix time now with collateral from the provider: reads
 * the quote's key, takes the prepared context from the cache (loading it
 * from the cache directory or fetching it when missing or expired), and calls
 * ratls_dcap_context_verify. Same contract as ratls_dcap_verify, plus the
 * errors of ratls_pcs_key_from_quote and ratls_pcs_fetch. Thread-safe.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_pcs_verify_quote(struct ratls_pcs_provider *provider,
							 const uint8_t *quote, size_t quote_size,
							 int64_t now,
							 struct ratls_verified_report *report,
							 struct ratls_detail *detail);

/*
 * Fills *verifier with the local DCAP backend that takes collateral from
 * provider (ratls_pcs_verify_quote), for ratls_verify_cert. The provider
 * must outlive every use of the verifier.
 */
RATLS_EXPORT void ratls_verifier_init_pcs(struct ratls_verifier *verifier,
					  struct ratls_pcs_provider *provider);

/* Counters since the provider was created. */
struct ratls_pcs_stats {
	uint64_t http_requests;        /* requests sent, whatever their outcome */
	uint64_t fetches;              /* collateral sets fetched, checked and cached */
	uint64_t fetch_failures;       /* fetches that failed and changed nothing */
	uint64_t disk_loads;           /* collateral sets taken from the cache directory */
	uint64_t cache_hits;           /* verifications served by a cached context */
	uint64_t grace_uses;           /* verifications with expired collateral in the grace period */
	uint64_t background_refreshes; /* fetches started ahead of expiry, successful or not */
};

RATLS_EXPORT void ratls_pcs_provider_stats(struct ratls_pcs_provider *provider,
					   struct ratls_pcs_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_PCS_H */
