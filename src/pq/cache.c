/*
 * The process-wide cache of successful verifications. Only sessions whose
 * full check passed put entries here, so a failure is never cached and a
 * failing server is checked again on every connection.
 *
 * A hit is as safe as a new check. The key contains the SHA-256 of the
 * leaf's SubjectPublicKeyInfo, and the TLS handshake of the new session
 * proved possession of that key. It contains the SHA-256 of the quote whose
 * report_data bound that key. It also contains the policy and verifier
 * identity, so a result never serves a stricter policy or another root.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "pq_internal.h"

struct cache_entry {
	struct pq_cache_key key;
	int64_t expires_at;
	uint64_t last_use; /* a counter, larger is more recent */
	struct ratls_pq_attestation value;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* Entries are allocated as they are stored; each takes about 5 KiB (the report's advisory list). */
static struct cache_entry *slots[RATLS_PQ_CACHE_MAX_ENTRIES];
static uint64_t use_counter;

static bool key_equal(const struct pq_cache_key *a, const struct pq_cache_key *b)
{
	return CRYPTO_memcmp(a, b, sizeof(*a)) == 0;
}

bool pq_cache_get(const struct pq_cache_key *key, int64_t now, struct ratls_pq_attestation *out)
{
	bool found = false;

	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++) {
		struct cache_entry *e = slots[i];

		if (e == NULL || !key_equal(&e->key, key))
			continue;
		if (now < e->expires_at) {
			*out = e->value;
			e->last_use = ++use_counter;
			found = true;
		} else {
			free(e);
			slots[i] = NULL;
		}
		break;
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

/*
 * The index for a new entry: the entry of the same key, else a free slot,
 * else an expired entry, else the least recently used one.
 */
static size_t choose_slot(const struct pq_cache_key *key, int64_t now)
{
	size_t oldest = 0;
	bool have_oldest = false;
	bool have_free = false;
	size_t free_index = 0;

	for (size_t i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++) {
		if (slots[i] != NULL && key_equal(&slots[i]->key, key))
			return i;
	}
	for (size_t i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++) {
		const struct cache_entry *e = slots[i];

		if (e == NULL) {
			if (!have_free) {
				have_free = true;
				free_index = i;
			}
			continue;
		}
		if (e->expires_at <= now)
			return i;
		if (!have_oldest || e->last_use < slots[oldest]->last_use) {
			oldest = i;
			have_oldest = true;
		}
	}
	return have_free ? free_index : oldest;
}

void pq_cache_put(const struct pq_cache_key *key, const struct ratls_pq_attestation *value,
		  int64_t expires_at, int64_t now)
{
	size_t index;

	if (expires_at <= now)
		return;
	pthread_mutex_lock(&cache_lock);
	index = choose_slot(key, now);
	if (slots[index] == NULL)
		slots[index] = malloc(sizeof(*slots[index]));
	if (slots[index] != NULL) {
		slots[index]->key = *key;
		slots[index]->expires_at = expires_at;
		slots[index]->last_use = ++use_counter;
		slots[index]->value = *value;
	}
	pthread_mutex_unlock(&cache_lock);
}

void ratls_pq_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++) {
		free(slots[i]);
		slots[i] = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
}

size_t ratls_pq_cache_size(void)
{
	size_t n = 0;

	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < RATLS_PQ_CACHE_MAX_ENTRIES; i++)
		n += slots[i] != NULL ? 1 : 0;
	pthread_mutex_unlock(&cache_lock);
	return n;
}
