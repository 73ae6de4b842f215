/* The provider's configuration, keys and counters. */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "pcs_internal.h"

void ratls_pcs_options_init(struct ratls_pcs_options *options)
{
	memset(options, 0, sizeof(*options));
	options->service = RATLS_PCS_SERVICE_INTEL;
	options->update = RATLS_PCS_UPDATE_STANDARD;
}

const char *ratls_pcs_ca_name(enum ratls_pcs_ca ca)
{
	switch (ca) {
	case RATLS_PCS_CA_PROCESSOR:
		return "processor";
	case RATLS_PCS_CA_PLATFORM:
		return "platform";
	}
	return "unknown";
}

const char *ratls_pcs_tee_name(enum ratls_pcs_tee tee)
{
	switch (tee) {
	case RATLS_PCS_TEE_SGX:
		return "sgx";
	case RATLS_PCS_TEE_TDX:
		return "tdx";
	}
	return "unknown";
}

int ratls_pcs_key_parse(const char *fmspc, const char *ca, const char *tee,
			struct ratls_pcs_key *key, struct ratls_detail *detail)
{
	struct ratls_pcs_key parsed;

	if (fmspc == NULL || ca == NULL || tee == NULL || key == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_pcs_key_parse: every argument is required");
	if (ratls_hex_decode_fixed(fmspc, strlen(fmspc), parsed.fmspc, sizeof(parsed.fmspc)) !=
	    RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "FMSPC \"%.40s\" is not 12 hex digits (for example 00906ED50000)",
				  fmspc);
	if (strcmp(ca, "processor") == 0)
		parsed.ca = RATLS_PCS_CA_PROCESSOR;
	else if (strcmp(ca, "platform") == 0)
		parsed.ca = RATLS_PCS_CA_PLATFORM;
	else
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "CA type \"%.40s\" is not \"processor\" or \"platform\"", ca);
	if (strcmp(tee, "sgx") == 0)
		parsed.tee = RATLS_PCS_TEE_SGX;
	else if (strcmp(tee, "tdx") == 0)
		parsed.tee = RATLS_PCS_TEE_TDX;
	else
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "TEE type \"%.40s\" is not \"sgx\" or \"tdx\"", tee);
	*key = parsed;
	return RATLS_OK;
}

/* Copies an optional string option; NULL stays NULL. */
static int copy_option(const char *value, char **out, struct ratls_detail *detail)
{
	*out = NULL;
	if (value == NULL)
		return RATLS_OK;
	*out = strdup(value);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying options");
	return RATLS_OK;
}

static int check_numbers(const struct ratls_pcs_options *options, struct ratls_detail *detail)
{
	if (options->connect_timeout_ms < 0 || options->timeout_ms < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "timeouts are %ld ms (connect) and %ld ms (request); use 0 for "
				  "the defaults or a positive number",
				  options->connect_timeout_ms, options->timeout_ms);
	if (options->grace_period < 0 || options->refresh_before < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "grace_period is %lld s and refresh_before %lld s; neither may be "
				  "negative",
				  (long long)options->grace_period,
				  (long long)options->refresh_before);
	if (options->service != RATLS_PCS_SERVICE_INTEL &&
	    options->service != RATLS_PCS_SERVICE_PCCS)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "service is %d; use RATLS_PCS_SERVICE_INTEL or _PCCS",
				  (int)options->service);
	if (options->update != RATLS_PCS_UPDATE_STANDARD &&
	    options->update != RATLS_PCS_UPDATE_EARLY)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "update is %d; use RATLS_PCS_UPDATE_STANDARD or _EARLY",
				  (int)options->update);
	if ((options->trust_root_der == NULL) != (options->trust_root_der_size == 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "trust_root_der and trust_root_der_size must be set together");
	return RATLS_OK;
}

static int configure_urls(struct ratls_pcs_provider *provider,
			  const struct ratls_pcs_options *options, struct ratls_detail *detail)
{
	const char *base = options->base_url != NULL ? options->base_url : RATLS_PCS_INTEL_URL;
	const char *root_crl =
		options->root_crl_url != NULL ? options->root_crl_url : RATLS_PCS_ROOT_CRL_URL;
	int rc;

	if ((rc = ratls_pcs_check_url(base, "base_url", detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_pcs_normalize_base_url(base, &provider->base_url, detail)) != RATLS_OK)
		return rc;
	if (options->service == RATLS_PCS_SERVICE_INTEL &&
	    (rc = ratls_pcs_check_url(root_crl, "root_crl_url", detail)) != RATLS_OK)
		return rc;
	return copy_option(root_crl, &provider->root_crl_url, detail);
}

static int configure_cache_dir(struct ratls_pcs_provider *provider, const char *dir,
			       struct ratls_detail *detail)
{
	size_t len;
	int rc;

	if (dir == NULL)
		return RATLS_OK;
	len = strlen(dir);
	if (len == 0 || len > RATLS_PCS_CACHE_DIR_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "cache_dir has %zu characters; give a path of 1 to %d characters",
				  len, RATLS_PCS_CACHE_DIR_MAX_LEN);
	if ((rc = ratls_pcs_disk_prepare(dir, detail)) != RATLS_OK)
		return rc;
	return copy_option(dir, &provider->cache_dir, detail);
}

static int configure_trust_root(struct ratls_pcs_provider *provider,
				const struct ratls_pcs_options *options,
				struct ratls_detail *detail)
{
	if (options->trust_root_der == NULL)
		return RATLS_OK;
	provider->trust_root_der = malloc(options->trust_root_der_size);
	if (provider->trust_root_der == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying trust_root");
	memcpy(provider->trust_root_der, options->trust_root_der, options->trust_root_der_size);
	provider->dcap_options.trust_root_der = provider->trust_root_der;
	provider->dcap_options.trust_root_der_size = options->trust_root_der_size;
	return RATLS_OK;
}

static void provider_release(struct ratls_pcs_provider *provider)
{
	free(provider->base_url);
	free(provider->root_crl_url);
	free(provider->proxy);
	free(provider->ca_file);
	free(provider->ca_path);
	free(provider->cache_dir);
	free(provider->trust_root_der);
	free(provider);
}

int ratls_pcs_provider_new(const struct ratls_pcs_options *options,
			   struct ratls_pcs_provider **out, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_pcs_provider *provider = NULL;

	if (options == NULL || out == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_pcs_provider_new: options and out must not be NULL");
		goto out;
	}
	*out = NULL;
	if ((rc = check_numbers(options, detail)) != RATLS_OK)
		goto out;
	provider = calloc(1, sizeof(*provider));
	if (provider == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	provider->service = options->service;
	provider->update = options->update;
	provider->connect_timeout_ms = options->connect_timeout_ms > 0
					       ? options->connect_timeout_ms
					       : RATLS_PCS_DEFAULT_CONNECT_TIMEOUT_MS;
	provider->timeout_ms =
		options->timeout_ms > 0 ? options->timeout_ms : RATLS_PCS_DEFAULT_TIMEOUT_MS;
	provider->grace_period = options->grace_period;
	provider->refresh_before = options->refresh_before;

	if ((rc = configure_urls(provider, options, detail)) != RATLS_OK ||
	    (rc = copy_option(options->proxy, &provider->proxy, detail)) != RATLS_OK ||
	    (rc = copy_option(options->ca_file, &provider->ca_file, detail)) != RATLS_OK ||
	    (rc = copy_option(options->ca_path, &provider->ca_path, detail)) != RATLS_OK ||
	    (rc = configure_cache_dir(provider, options->cache_dir, detail)) != RATLS_OK ||
	    (rc = configure_trust_root(provider, options, detail)) != RATLS_OK)
		goto out;

	if (pthread_mutex_init(&provider->lock, NULL) != 0 ||
	    pthread_cond_init(&provider->fetch_done, NULL) != 0 ||
	    pthread_cond_init(&provider->worker_wake, NULL) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "initialising the cache lock failed");
		goto out;
	}
	atomic_init(&provider->http_requests, 0);
	atomic_init(&provider->fetches, 0);
	atomic_init(&provider->fetch_failures, 0);
	atomic_init(&provider->disk_loads, 0);
	atomic_init(&provider->cache_hits, 0);
	atomic_init(&provider->grace_uses, 0);
	atomic_init(&provider->background_refreshes, 0);

	*out = provider;
	provider = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	if (provider != NULL)
		provider_release(provider);
	return rc;
}

void ratls_pcs_provider_free(struct ratls_pcs_provider *provider)
{
	if (provider == NULL)
		return;
	ratls_pcs_cache_shutdown(provider);
	pthread_cond_destroy(&provider->worker_wake);
	pthread_cond_destroy(&provider->fetch_done);
	pthread_mutex_destroy(&provider->lock);
	provider_release(provider);
}

void ratls_pcs_provider_stats(struct ratls_pcs_provider *provider, struct ratls_pcs_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (provider == NULL)
		return;
	stats->http_requests = atomic_load(&provider->http_requests);
	stats->fetches = atomic_load(&provider->fetches);
	stats->fetch_failures = atomic_load(&provider->fetch_failures);
	stats->disk_loads = atomic_load(&provider->disk_loads);
	stats->cache_hits = atomic_load(&provider->cache_hits);
	stats->grace_uses = atomic_load(&provider->grace_uses);
	stats->background_refreshes = atomic_load(&provider->background_refreshes);
}
