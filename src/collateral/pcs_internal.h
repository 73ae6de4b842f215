/* Internal interfaces of the PCS / PCCS collateral provider. Not part of the public API. */
#ifndef RATLS_COLLATERAL_PCS_INTERNAL_H
#define RATLS_COLLATERAL_PCS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ratls/pcs.h"

/* A URL built from the base URL: the base plus at most about 100 characters of path and query. */
#define RATLS_PCS_REQUEST_URL_SIZE (RATLS_PCS_URL_MAX_LEN + 256)

/* A prepared context shared by the cache and the verifications using it. */
struct ratls_pcs_entry {
	atomic_uint refs;
	struct ratls_dcap_context *ctx;
	int64_t valid_from;
	int64_t valid_until;
};

/* One cache slot: a key, its current entry and the state of its fetch. */
struct ratls_pcs_slot {
	bool used;
	struct ratls_pcs_key key;
	struct ratls_pcs_entry *entry; /* NULL until a fetch succeeds */
	bool fetching;                 /* a fetch for this key is running */
	bool refresh_queued;           /* the background thread should fetch this key */
	int64_t refresh_now;           /* the caller's time when the refresh was queued */
	bool refreshed;                /* a background fetch was queued before */
	int64_t last_refresh_now;      /* refresh_now of the last one */
	unsigned waiters;              /* threads waiting for the running fetch */
	uint64_t generation;           /* incremented when a fetch finishes */
	int fetch_rc;                  /* outcome of the last finished fetch */
	char fetch_message[RATLS_DETAIL_SIZE];
};

struct ratls_pcs_provider {
	/* Configuration, fixed after creation. */
	char *base_url;     /* normalised: no trailing "/" or ".../certification/v4" */
	char *root_crl_url; /* full URL of the root CA CRL */
	enum ratls_pcs_service service;
	enum ratls_pcs_update update;
	long connect_timeout_ms;
	long timeout_ms;
	char *proxy;
	char *ca_file;
	char *ca_path;
	char *cache_dir;
	int64_t grace_period;
	int64_t refresh_before;
	uint8_t *trust_root_der;
	struct ratls_dcap_options dcap_options;

	/* The cache. lock guards the slots and the worker flags. */
	pthread_mutex_t lock;
	pthread_cond_t fetch_done;     /* a slot's generation changed */
	pthread_cond_t worker_wake; /* a refresh was queued, or the provider is stopping */
	struct ratls_pcs_slot slots[RATLS_PCS_CACHE_MAX_ENTRIES];
	bool worker_started;
	bool stopping;
	pthread_t worker;

	/* Counters for ratls_pcs_provider_stats, updated without the lock. */
	atomic_uint_least64_t http_requests;
	atomic_uint_least64_t fetches;
	atomic_uint_least64_t fetch_failures;
	atomic_uint_least64_t disk_loads;
	atomic_uint_least64_t cache_hits;
	atomic_uint_least64_t grace_uses;
	atomic_uint_least64_t background_refreshes;
};

/* ---- url.c ---- */

/*
 * Checks a service URL: at most RATLS_PCS_URL_MAX_LEN characters, scheme
 * https, or http with a loopback host, no query or fragment. option_name
 * names the option in messages.
 */
RATLS_MUST_CHECK int ratls_pcs_check_url(const char *url, const char *option_name,
					 struct ratls_detail *detail);

/*
 * Returns a new copy of a checked base URL without trailing "/" characters
 * and without a trailing "/sgx/certification/v4" or "/tdx/certification/v4".
 */
RATLS_MUST_CHECK int ratls_pcs_normalize_base_url(const char *url, char **out,
						  struct ratls_detail *detail);

/* ---- http.c ---- */

/* One GET request and what to keep of its response. */
struct ratls_pcs_request {
	const char *url;
	size_t body_max;          /* RATLS_PCS_*_BODY_MAX_SIZE */
	const char *header;       /* issuer chain header to keep, or NULL */
	const char *header_alias; /* another accepted name of that header, or NULL */
};

struct ratls_pcs_response {
	uint8_t *body; /* owned */
	size_t body_size;
	char *header_value; /* owned; NULL when the header was absent */
	size_t header_value_len;
};

/* Initialises libcurl once per process. */
RATLS_MUST_CHECK int ratls_pcs_http_init(struct ratls_detail *detail);

/*
 * Sends a GET request with the provider's timeouts, proxy and CA settings
 * on curl (a CURL easy handle, reused so that the requests of one fetch
 * share a connection). On success the status was 200 and *response contains
 * the body and the header; free it with ratls_pcs_response_clear.
 */
RATLS_MUST_CHECK int ratls_pcs_http_get(struct ratls_pcs_provider *provider, void *curl,
					const struct ratls_pcs_request *request,
					struct ratls_pcs_response *response,
					struct ratls_detail *detail);

void ratls_pcs_response_clear(struct ratls_pcs_response *response);

/* ---- pck_cert.c ---- */

/*
 * Reads the issuer's CA type and the FMSPC from a DER PCK certificate
 * without verifying it.
 */
RATLS_MUST_CHECK int ratls_pcs_pck_cert_key(const uint8_t *der, size_t size,
					    struct ratls_pcs_key *key,
					    struct ratls_detail *detail);

/*
 * Reads the CA type from the issuer common name of a DER CRL ("Intel SGX
 * PCK Platform CA" or "... Processor CA").
 */
RATLS_MUST_CHECK int ratls_pcs_crl_issuer_ca(const uint8_t *der, size_t size,
					     enum ratls_pcs_ca *ca, struct ratls_detail *detail);

/* ---- fetch.c ---- */

/*
 * Checks that collateral matches key: TCB info id and FMSPC, QE identity id
 * and the PCK CRL's issuer. Returns RATLS_ERR_COLLATERAL_MISMATCH otherwise.
 */
RATLS_MUST_CHECK int ratls_pcs_check_answers_key(const struct ratls_collateral *collateral,
						 const struct ratls_pcs_key *key,
						 struct ratls_detail *detail);

/* Writes "TDX FMSPC 53494d000000, platform CA" into buf. */
void ratls_pcs_key_describe(const struct ratls_pcs_key *key, char *buf, size_t size);

/* True when key's enums hold known values. */
bool ratls_pcs_key_is_valid(const struct ratls_pcs_key *key);

/* ---- disk.c ---- */

/* Creates the cache directory with mode 0700 unless it exists as a directory. */
RATLS_MUST_CHECK int ratls_pcs_disk_prepare(const char *dir, struct ratls_detail *detail);

/*
 * Loads the bundle file for key from the cache directory. Returns
 * RATLS_ERR_IO with a detail when the file is missing or unreadable, and
 * the bundle's decoding errors.
 */
RATLS_MUST_CHECK int ratls_pcs_disk_load(const struct ratls_pcs_provider *provider,
					 const struct ratls_pcs_key *key,
					 struct ratls_collateral **out, struct ratls_detail *detail);

/* Writes collateral as the bundle file for key: temporary file, fsync, rename. */
RATLS_MUST_CHECK int ratls_pcs_disk_store(const struct ratls_pcs_provider *provider,
					  const struct ratls_pcs_key *key,
					  const struct ratls_collateral *collateral,
					  struct ratls_detail *detail);

/* ---- cache.c ---- */

/* Stops the background thread and releases every cached entry. */
void ratls_pcs_cache_shutdown(struct ratls_pcs_provider *provider);

/*
 * Returns a reference to the prepared context for key at time now, fetching
 * it when needed, and the time to verify at: now, or the expiry time when
 * expired collateral is used within the grace period.
 */
RATLS_MUST_CHECK int ratls_pcs_cache_acquire(struct ratls_pcs_provider *provider,
					     const struct ratls_pcs_key *key, int64_t now,
					     struct ratls_pcs_entry **entry, int64_t *verify_time,
					     struct ratls_detail *detail);

void ratls_pcs_entry_release(struct ratls_pcs_entry *entry);

#endif
