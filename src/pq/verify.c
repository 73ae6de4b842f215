/* The full check of a server's leaf certificate, with the verification cache in front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/fail.h"
#include "base/log.h"
#include "pq_internal.h"

static void sha256(const uint8_t *data, size_t size, uint8_t out[32])
{
	EVP_Digest(data, size, out, NULL, EVP_sha256(), NULL);
}

static void copy_identity_value(const uint8_t *data, size_t size, uint8_t *out, size_t *out_size)
{
	*out_size = 0;
	if (data == NULL || size > RATLS_PQ_IDENTITY_VALUE_MAX)
		return;
	memcpy(out, data, size);
	*out_size = size;
}

static void fill_identity(const struct ratls_replay *replay, struct ratls_pq_attestation *out)
{
	const struct ratls_identity *id = &replay->identity;

	if (!replay->identity_valid)
		return;
	out->has_identity = true;
	copy_identity_value(id->app_id, id->app_id_size, out->app_id, &out->app_id_size);
	copy_identity_value(id->compose_hash, id->compose_hash_size, out->compose_hash,
			    &out->compose_hash_size);
	copy_identity_value(id->instance_id, id->instance_id_size, out->instance_id,
			    &out->instance_id_size);
	copy_identity_value(id->os_image_hash, id->os_image_hash_size, out->os_image_hash,
			    &out->os_image_hash_size);
}

/* A cache hit skips the policy's own warnings, so the weakening options warn here. */
static void warn_cached_weakening(const struct pq_backend *backend,
				  const struct pq_settings *settings,
				  const struct ratls_pq_attestation *att)
{
	if (backend->custom_root)
		ratls_log(RATLS_LOG_WARNING,
			  "ratls_trust_root: a cached verification under a root other than the "
			  "Intel SGX Root CA is reused");
	if (pq_settings_bool(settings, PQ_KW_ALLOW_DEBUG) && (att->report.td.td_attributes[0] & 1))
		ratls_log(RATLS_LOG_WARNING,
			  "ratls_allow_debug: a cached verification of a debuggable TD is reused; "
			  "its host can read its memory");
}

/*
 * The backend is created on the first quote it must verify, so a server
 * without evidence gets RATLS_ERR_NOT_RATLS (which allow_simulator may
 * accept) rather than an error about collateral it never needed.
 */
struct lazy_backend {
	struct ratls_pq_options *options;
	const struct pq_settings *settings;
	const struct pq_backend *backend;
};

static int lazy_verify_quote(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			     struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct lazy_backend *lazy = arg;
	int rc;

	if (lazy->backend == NULL &&
	    (rc = pq_backend_get(lazy->options, lazy->settings, &lazy->backend, detail)) != RATLS_OK)
		return rc;
	return lazy->backend->verifier.verify_quote(lazy->backend->verifier.arg, quote, quote_size,
						    now, report, detail);
}

/*
 * The cache key of a certificate, or false when it carries no evidence to
 * key on. For a certificate with evidence it also selects the backend,
 * whose identity is part of the key; a backend error then ends the check.
 */
static int cache_key_of(const uint8_t *leaf, size_t leaf_size, struct lazy_backend *lazy,
			struct pq_cache_key *key, bool *keyed, struct ratls_detail *detail)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_detail ignored = {0};
	int rc = RATLS_OK;

	*keyed = false;
	if (ratls_evidence_from_cert(leaf, leaf_size, &ev, &ignored) != RATLS_OK)
		return RATLS_OK;
	if ((rc = pq_backend_get(lazy->options, lazy->settings, &lazy->backend, detail)) !=
	    RATLS_OK)
		goto out;
	if (pq_policy_identity(lazy->settings, lazy->backend, key->policy_sha256)) {
		sha256(ev->cert.spki, ev->cert.spki_size, key->spki_sha256);
		sha256(ev->quote, ev->quote_size, key->quote_sha256);
		*keyed = true;
	}
out:
	ratls_evidence_free(ev);
	return rc;
}

static void fill_result(const struct ratls_verify_cert_result *result,
			const struct lazy_backend *lazy, int64_t now,
			struct ratls_pq_attestation *out)
{
	const struct ratls_evidence *ev = result->evidence;

	out->attested = result->attested;
	out->verified_at = now;
	snprintf(out->verifier, sizeof(out->verifier), "%s",
		 lazy->backend != NULL ? lazy->backend->verifier.name
				       : pq_settings_get(lazy->settings, PQ_KW_VERIFIER));
	if (!result->attested)
		return;
	out->report = result->report;
	fill_identity(&result->replay, out);
	sha256(ev->cert.spki, ev->cert.spki_size, out->spki_sha256);
	sha256(ev->quote, ev->quote_size, out->quote_sha256);
}

int pq_verify_leaf(struct ratls_pq_options *options, const struct pq_settings *settings,
		   const uint8_t *leaf, size_t leaf_size, struct pq_counters *extra,
		   struct ratls_pq_attestation *out, struct ratls_detail *detail)
{
	struct lazy_backend lazy = {.options = options, .settings = settings};
	struct ratls_verifier verifier = {.verify_quote = lazy_verify_quote, .arg = &lazy};
	struct ratls_policy *policy = NULL;
	struct ratls_verify_cert_options cert_options = {0};
	struct ratls_verify_cert_result result;
	struct pq_cache_key key;
	int64_t ttl = pq_settings_int(settings, PQ_KW_CACHE_TTL);
	int64_t now = (int64_t)time(NULL);
	bool cacheable = false;
	int rc;

	memset(&result, 0, sizeof(result));
	memset(out, 0, sizeof(*out));
	sha256(leaf, leaf_size, out->leaf_sha256);
	verifier.name = pq_settings_get(settings, PQ_KW_VERIFIER);

	if (ttl > 0) {
		struct ratls_pq_attestation cached;

		if ((rc = cache_key_of(leaf, leaf_size, &lazy, &key, &cacheable, detail)) !=
		    RATLS_OK)
			goto out;
		if (cacheable && pq_cache_get(&key, now, &cached)) {
			memcpy(cached.leaf_sha256, out->leaf_sha256, sizeof(cached.leaf_sha256));
			*out = cached;
			out->from_cache = true;
			atomic_fetch_add(&options->counters.cache_hits, 1);
			if (extra != NULL)
				atomic_fetch_add(&extra->cache_hits, 1);
			warn_cached_weakening(lazy.backend, settings, out);
			rc = RATLS_OK;
			goto out;
		}
	}

	if ((rc = pq_policy_build(settings, &policy, detail)) != RATLS_OK)
		goto out;
	atomic_fetch_add(&options->counters.verifications, 1);
	if (extra != NULL)
		atomic_fetch_add(&extra->verifications, 1);
	cert_options.now = now;
	cert_options.verifier = &verifier;
	cert_options.policy = policy;
	cert_options.allow_simulator = pq_settings_bool(settings, PQ_KW_ALLOW_SIMULATOR);
	if ((rc = ratls_verify_cert(leaf, leaf_size, &cert_options, &result, detail)) != RATLS_OK)
		goto out;
	fill_result(&result, &lazy, now, out);

	/* Cached until the TTL or the report's own expiry (collateral, token), whichever is first. */
	if (cacheable && out->attested) {
		int64_t expires = now + ttl;

		if (out->report.valid_until < expires)
			expires = out->report.valid_until;
		if (expires > now) {
			out->cache_expires_at = expires;
			pq_cache_put(&key, out, expires, now);
		}
	}
out:
	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);
	return rc;
}
