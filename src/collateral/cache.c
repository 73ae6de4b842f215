/*
 * The collateral cache: prepared DCAP contexts by collateral key, shared by
 * threads, with one fetch per key at a time.
 *
 * Locking: provider->lock guards every slot field. A thread that finds no
 * usable entry either starts the fetch (slot->fetching) and runs it without
 * the lock, or waits on fetch_done until the slot's generation changes, and
 * then takes whatever the fetch left. Entries are reference counted, so a
 * replaced or evicted entry stays alive until its last verification ends.
 * A failed fetch leaves the slot's entry as it was.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "pcs_internal.h"

/*
 * Minimum time between two background fetches of one key, in seconds of the
 * callers' clock, so that a failing service is not asked on every
 * verification near expiry.
 */
#define REFRESH_RETRY_SECONDS 60

static void entry_take(struct ratls_pcs_entry *entry)
{
	atomic_fetch_add(&entry->refs, 1);
}

void ratls_pcs_entry_release(struct ratls_pcs_entry *entry)
{
	if (entry == NULL)
		return;
	if (atomic_fetch_sub(&entry->refs, 1) != 1)
		return;
	ratls_dcap_context_free(entry->ctx);
	free(entry);
}

/* Checks collateral's signatures, chains and CRLs, and prepares a context from it. */
static int entry_from_collateral(const struct ratls_pcs_provider *provider,
				 const struct ratls_collateral *collateral,
				 struct ratls_pcs_entry **out, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_pcs_entry *entry = calloc(1, sizeof(*entry));

	if (entry == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	atomic_init(&entry->refs, 1);
	rc = ratls_dcap_context_new(collateral, &provider->dcap_options, &entry->ctx, detail);
	if (rc != RATLS_OK)
		goto out;
	ratls_dcap_context_validity(entry->ctx, &entry->valid_from, &entry->valid_until);

	*out = entry;
	entry = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	ratls_pcs_entry_release(entry);
	return rc;
}

/*
 * Takes the key's bundle from the cache directory when it is valid at now and
 * newer than the entry in memory (which expires at current_until).
 */
static bool load_from_disk(struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
			   const char *what, int64_t now, int64_t current_until,
			   struct ratls_pcs_entry **out)
{
	struct ratls_collateral *collateral = NULL;
	struct ratls_pcs_entry *entry = NULL;
	struct ratls_detail cause = {0};
	char until[RATLS_TIME_TEXT_SIZE];
	int rc;

	rc = ratls_pcs_disk_load(provider, key, &collateral, &cause);
	if (rc == RATLS_OK)
		rc = ratls_pcs_check_answers_key(collateral, key, &cause);
	if (rc == RATLS_OK)
		rc = entry_from_collateral(provider, collateral, &entry, &cause);
	ratls_collateral_free(collateral);
	if (rc == RATLS_ERR_IO) {
		ratls_log(RATLS_LOG_INFO, "no usable cache file for %s (%s)", what, cause.message);
		return false;
	}
	if (rc != RATLS_OK) {
		ratls_log(RATLS_LOG_WARNING, "ignoring the cache file for %s: %s", what,
			  cause.message);
		return false;
	}

	ratls_time_format(entry->valid_until, until);
	if (entry->valid_until < now || entry->valid_until <= current_until) {
		ratls_log(RATLS_LOG_INFO,
			  "the cache file for %s expires at %s, which is not later than the "
			  "collateral in memory or the current time",
			  what, until);
		ratls_pcs_entry_release(entry);
		return false;
	}
	ratls_log(RATLS_LOG_INFO, "loaded collateral for %s from the cache directory, valid until %s",
		  what, until);
	atomic_fetch_add(&provider->disk_loads, 1);
	*out = entry;
	return true;
}

/* Gets a context for key that is valid at now: from the cache directory, else from the service. */
static int fetch_entry(struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
		       int64_t now, int64_t current_until, struct ratls_pcs_entry **out,
		       struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_collateral *collateral = NULL;
	struct ratls_pcs_entry *entry = NULL;
	struct ratls_detail store_detail = {0};
	struct ratls_detail cause = {0};
	char what[64];
	char until[RATLS_TIME_TEXT_SIZE];
	char at[RATLS_TIME_TEXT_SIZE];

	ratls_pcs_key_describe(key, what, sizeof(what));
	if (provider->cache_dir != NULL && load_from_disk(provider, key, what, now, current_until, out))
		return RATLS_OK;

	if ((rc = ratls_pcs_fetch(provider, key, &collateral, detail)) != RATLS_OK)
		goto out;
	/* ratls_pcs_fetch checked that the collateral matches key. */
	rc = entry_from_collateral(provider, collateral, &entry, &cause);
	if (rc != RATLS_OK) {
		rc = ratls_fail(detail, rc, "collateral fetched from %s for %s: %s",
				provider->base_url, what, cause.message);
		goto out;
	}
	ratls_time_format(entry->valid_until, until);
	if (entry->valid_until < now) {
		ratls_time_format(now, at);
		rc = ratls_fail(detail, RATLS_ERR_COLLATERAL_EXPIRED,
				"the collateral %s returned for %s expired at %s, before the "
				"verification time %s; the service serves stale collateral or the "
				"clock is wrong",
				provider->base_url, what, until, at);
		goto out;
	}

	if (provider->cache_dir != NULL &&
	    ratls_pcs_disk_store(provider, key, collateral, &store_detail) != RATLS_OK)
		ratls_log(RATLS_LOG_WARNING,
			  "cannot write collateral for %s to the cache directory, so a restart "
			  "fetches it again: %s",
			  what, store_detail.message);
	ratls_log(RATLS_LOG_INFO, "fetched collateral for %s from %s, valid until %s", what,
		  provider->base_url, until);
	atomic_fetch_add(&provider->fetches, 1);
	*out = entry;
	entry = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	ratls_pcs_entry_release(entry);
	ratls_collateral_free(collateral);
	return rc;
}

/*
 * Runs a fetch for slot, which must not be fetching; called and returns with
 * the lock held, and releases it during the fetch. Wakes every waiter.
 */
static void run_fetch(struct ratls_pcs_provider *provider, struct ratls_pcs_slot *slot,
		      int64_t now)
{
	struct ratls_pcs_key key = slot->key;
	int64_t current_until = slot->entry != NULL ? slot->entry->valid_until : INT64_MIN;
	struct ratls_pcs_entry *fresh = NULL;
	struct ratls_detail cause = {0};
	int rc;

	slot->fetching = true;
	pthread_mutex_unlock(&provider->lock);
	rc = fetch_entry(provider, &key, now, current_until, &fresh, &cause);
	pthread_mutex_lock(&provider->lock);

	if (rc == RATLS_OK) {
		ratls_pcs_entry_release(slot->entry);
		slot->entry = fresh;
	} else {
		atomic_fetch_add(&provider->fetch_failures, 1);
	}
	slot->fetching = false;
	slot->fetch_rc = rc;
	memcpy(slot->fetch_message, cause.message, sizeof(slot->fetch_message));
	slot->generation++;
	pthread_cond_broadcast(&provider->fetch_done);
}

static void *refresh_worker(void *arg)
{
	struct ratls_pcs_provider *provider = arg;
	char what[64];

	pthread_mutex_lock(&provider->lock);
	while (!provider->stopping) {
		struct ratls_pcs_slot *slot = NULL;

		for (size_t i = 0; i < RATLS_PCS_CACHE_MAX_ENTRIES && slot == NULL; i++) {
			if (provider->slots[i].used && provider->slots[i].refresh_queued &&
			    !provider->slots[i].fetching)
				slot = &provider->slots[i];
		}
		if (slot == NULL) {
			pthread_cond_wait(&provider->worker_wake, &provider->lock);
			continue;
		}

		slot->refresh_queued = false;
		atomic_fetch_add(&provider->background_refreshes, 1);
		run_fetch(provider, slot, slot->refresh_now);
		if (slot->fetch_rc != RATLS_OK) {
			ratls_pcs_key_describe(&slot->key, what, sizeof(what));
			ratls_log(RATLS_LOG_WARNING,
				  "background fetch of collateral for %s failed, so the cached "
				  "collateral stays in use until it expires: %s",
				  what, slot->fetch_message);
		}
	}
	pthread_mutex_unlock(&provider->lock);
	return NULL;
}

/*
 * Queues a background fetch of slot unless one is queued or running, or the
 * last one was queued less than REFRESH_RETRY_SECONDS ago. Lock held.
 */
static void queue_refresh(struct ratls_pcs_provider *provider, struct ratls_pcs_slot *slot,
			  int64_t now)
{
	if (slot->fetching || slot->refresh_queued || provider->stopping)
		return;
	if (slot->refreshed && now - slot->last_refresh_now < REFRESH_RETRY_SECONDS)
		return;
	if (!provider->worker_started) {
		if (pthread_create(&provider->worker, NULL, refresh_worker, provider) != 0) {
			ratls_log(RATLS_LOG_WARNING,
				  "cannot start the collateral refresh thread, so collateral is "
				  "fetched when it expires");
			return;
		}
		provider->worker_started = true;
	}
	slot->refresh_queued = true;
	slot->refresh_now = now;
	slot->refreshed = true;
	slot->last_refresh_now = now;
	pthread_cond_signal(&provider->worker_wake);
}

static bool key_equal(const struct ratls_pcs_key *a, const struct ratls_pcs_key *b)
{
	return memcmp(a->fmspc, b->fmspc, sizeof(a->fmspc)) == 0 && a->ca == b->ca &&
	       a->tee == b->tee;
}

/* The expiry of a slot's entry; a slot without one sorts first. */
static int64_t slot_expiry(const struct ratls_pcs_slot *slot)
{
	return slot->entry != NULL ? slot->entry->valid_until : INT64_MIN;
}

/* Finds key's slot, or claims a free one, or evicts the idle slot that expires first. */
static struct ratls_pcs_slot *get_slot(struct ratls_pcs_provider *provider,
				       const struct ratls_pcs_key *key)
{
	struct ratls_pcs_slot *victim = NULL;

	for (size_t i = 0; i < RATLS_PCS_CACHE_MAX_ENTRIES; i++) {
		struct ratls_pcs_slot *slot = &provider->slots[i];

		if (slot->used && key_equal(&slot->key, key))
			return slot;
	}
	for (size_t i = 0; i < RATLS_PCS_CACHE_MAX_ENTRIES; i++) {
		struct ratls_pcs_slot *slot = &provider->slots[i];

		if (!slot->used) {
			victim = slot;
			break;
		}
		if (slot->fetching || slot->refresh_queued || slot->waiters > 0)
			continue;
		if (victim == NULL || slot_expiry(slot) < slot_expiry(victim))
			victim = slot;
	}
	if (victim == NULL)
		return NULL;

	ratls_pcs_entry_release(victim->entry);
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->key = *key;
	return victim;
}

/*
 * Hands out slot's entry if it is valid at now, or expired by no more than
 * the grace period (then with a warning, and the expiry time to verify at).
 * Otherwise returns the last fetch's error. Lock held.
 */
static int take_entry(struct ratls_pcs_provider *provider, struct ratls_pcs_slot *slot,
		      int64_t now, const char *grace_reason, struct ratls_pcs_entry **out,
		      int64_t *verify_time, struct ratls_detail *detail)
{
	struct ratls_pcs_entry *entry = slot->entry;
	char what[64];
	char until[RATLS_TIME_TEXT_SIZE];
	char at[RATLS_TIME_TEXT_SIZE];

	if (entry != NULL && now <= entry->valid_until) {
		entry_take(entry);
		*out = entry;
		*verify_time = now;
		return RATLS_OK;
	}

	ratls_pcs_key_describe(&slot->key, what, sizeof(what));
	if (entry != NULL && provider->grace_period > 0 &&
	    now - entry->valid_until <= provider->grace_period) {
		ratls_time_format(entry->valid_until, until);
		ratls_log(RATLS_LOG_WARNING,
			  "grace_period: using collateral for %s that expired at %s, %lld s ago "
			  "(grace period %lld s), because %s; the quote is verified as of the "
			  "expiry time",
			  what, until, (long long)(now - entry->valid_until),
			  (long long)provider->grace_period, grace_reason);
		atomic_fetch_add(&provider->grace_uses, 1);
		entry_take(entry);
		*out = entry;
		*verify_time = entry->valid_until;
		return RATLS_OK;
	}

	if (slot->fetch_rc != RATLS_OK)
		return ratls_fail(detail, slot->fetch_rc, "%s", slot->fetch_message);
	ratls_time_format(entry != NULL ? entry->valid_until : now, until);
	ratls_time_format(now, at);
	return ratls_fail(detail, RATLS_ERR_COLLATERAL_EXPIRED,
			  "the collateral for %s expires at %s, before the verification time %s",
			  what, until, at);
}

int ratls_pcs_cache_acquire(struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
			    int64_t now, struct ratls_pcs_entry **entry, int64_t *verify_time,
			    struct ratls_detail *detail)
{
	struct ratls_pcs_slot *slot;
	char reason[RATLS_DETAIL_SIZE + 64];
	int rc;

	pthread_mutex_lock(&provider->lock);
	slot = get_slot(provider, key);
	if (slot == NULL) {
		pthread_mutex_unlock(&provider->lock);
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "all %d collateral cache entries are being fetched; retry later",
				  RATLS_PCS_CACHE_MAX_ENTRIES);
	}

	if (slot->entry != NULL && now <= slot->entry->valid_until) {
		if (provider->refresh_before > 0 &&
		    slot->entry->valid_until - now <= provider->refresh_before)
			queue_refresh(provider, slot, now);
		atomic_fetch_add(&provider->cache_hits, 1);
		rc = take_entry(provider, slot, now, "", entry, verify_time, detail);
		pthread_mutex_unlock(&provider->lock);
		return rc;
	}

	/* With background fetches, expired collateral in the grace period is served at once. */
	if (slot->entry != NULL && provider->refresh_before > 0 && provider->grace_period > 0 &&
	    now - slot->entry->valid_until <= provider->grace_period) {
		queue_refresh(provider, slot, now);
		if (slot->fetch_rc != RATLS_OK)
			snprintf(reason, sizeof(reason),
				 "the last fetch failed (%s) and a background fetch retries it",
				 slot->fetch_message);
		else
			snprintf(reason, sizeof(reason), "a background fetch replaces it");
		rc = take_entry(provider, slot, now, reason, entry, verify_time, detail);
		pthread_mutex_unlock(&provider->lock);
		return rc;
	}

	if (slot->fetching) {
		uint64_t generation = slot->generation;

		slot->waiters++;
		while (slot->generation == generation)
			pthread_cond_wait(&provider->fetch_done, &provider->lock);
		slot->waiters--;
	} else {
		run_fetch(provider, slot, now);
	}

	snprintf(reason, sizeof(reason), "a new fetch failed (%s)", slot->fetch_message);
	rc = take_entry(provider, slot, now, reason, entry, verify_time, detail);
	pthread_mutex_unlock(&provider->lock);
	return rc;
}

void ratls_pcs_cache_shutdown(struct ratls_pcs_provider *provider)
{
	bool started;

	pthread_mutex_lock(&provider->lock);
	provider->stopping = true;
	started = provider->worker_started;
	pthread_cond_broadcast(&provider->worker_wake);
	pthread_mutex_unlock(&provider->lock);
	if (started)
		pthread_join(provider->worker, NULL);

	for (size_t i = 0; i < RATLS_PCS_CACHE_MAX_ENTRIES; i++) {
		ratls_pcs_entry_release(provider->slots[i].entry);
		provider->slots[i].entry = NULL;
	}
}
