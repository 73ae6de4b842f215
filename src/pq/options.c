/*
 * The ratls_ keywords: their environment variables, defaults and value
 * checks, the settings they fill, and the options object.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/fail.h"
#include "pq_internal.h"
#include "ratls/collateral.h"
#include "ratls/ita.h"

/* ---- value checks ---- */

static int check_choice(const char *value, const char *origin, const char *const choices[],
			const char *accepted, struct ratls_detail *detail)
{
	for (size_t i = 0; choices[i] != NULL; i++) {
		if (strcmp(value, choices[i]) == 0)
			return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "%s: invalid value '%s'; use %s",
			  origin, value, accepted);
}

static int check_verifier(const char *value, const char *origin, struct ratls_detail *detail)
{
	static const char *const choices[] = {"dcap", "ita", NULL};

	return check_choice(value, origin, choices,
			    "dcap (local DCAP verification) or ita (Intel Trust Authority)", detail);
}

static int check_region(const char *value, const char *origin, struct ratls_detail *detail)
{
	static const char *const choices[] = {"us", "eu", NULL};

	return check_choice(value, origin, choices, "us or eu", detail);
}

static int check_client_cert(const char *value, const char *origin, struct ratls_detail *detail)
{
	static const char *const choices[] = {"none", "file", "dstack", NULL};

	return check_choice(value, origin, choices,
			    "none, file (ratls_client_cert_file and ratls_client_key_file) or "
			    "dstack (the dstack guest agent)",
			    detail);
}

static bool parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(value, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(value, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int check_bool(const char *value, const char *origin, struct ratls_detail *detail)
{
	bool ignored;

	if (parse_bool(value, &ignored))
		return RATLS_OK;
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "%s: invalid value '%s'; use 1 or 0 (also true/false, yes/no, on/off)",
			  origin, value);
}

static bool parse_int(const char *value, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long n;

	if (value[0] < '0' || value[0] > '9')
		return false;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/*
 * Maximum cache lifetime, seconds. An entry never outlives the collateral,
 * and Intel's TCB info and CRLs expire 30 days after issue (nextUpdate in
 * the dcap-qvl sample collateral), so a longer lifetime would not apply.
 */
#define PQ_CACHE_TTL_MAX (31 * 24 * 3600)
/* Maximum connect timeout, seconds. */
#define PQ_CONNECT_TIMEOUT_MAX 3600

static int check_cache_ttl(const char *value, const char *origin, struct ratls_detail *detail)
{
	int64_t n;

	if (parse_int(value, 0, PQ_CACHE_TTL_MAX, &n))
		return RATLS_OK;
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "%s: invalid value '%s'; use seconds from 0 (no caching) to %d",
			  origin, value, PQ_CACHE_TTL_MAX);
}

static int check_timeout(const char *value, const char *origin, struct ratls_detail *detail)
{
	int64_t n;

	if (parse_int(value, 1, PQ_CONNECT_TIMEOUT_MAX, &n))
		return RATLS_OK;
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "%s: invalid value '%s'; use seconds from 1 to %d", origin, value,
			  PQ_CONNECT_TIMEOUT_MAX);
}

static int check_nonempty(const char *value, const char *origin, struct ratls_detail *detail)
{
	if (value[0] != '\0')
		return RATLS_OK;
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "%s: the value is empty; give a path or URL, or leave the keyword out",
			  origin);
}

int pq_split_list(const char *value, struct pq_item items[PQ_LIST_MAX], size_t *count,
		  const char *origin, struct ratls_detail *detail)
{
	const char *p = value;

	*count = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s: empty item in the list '%s'; separate values with "
					  "single commas",
					  origin, value);
		if (*count == PQ_LIST_MAX)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s: more than %d values in the list", origin,
					  PQ_LIST_MAX);
		items[*count].text = p;
		items[*count].len = len;
		(*count)++;
		if (end == NULL)
			return RATLS_OK;
		p = end + 1;
	}
}

/* Applies a hex policy value to a scratch policy, which checks it exactly as a connect would. */
typedef int (*policy_add_fn)(struct ratls_policy *policy, const char *hex,
			     struct ratls_detail *detail);

static int check_with_policy(const char *value, const char *origin, policy_add_fn add,
			     bool list, struct ratls_detail *detail)
{
	struct ratls_policy *policy = ratls_policy_new();
	struct pq_item items[PQ_LIST_MAX];
	struct ratls_detail inner = {0};
	size_t count = 1;
	int rc = RATLS_ERR_INTERNAL;

	if (policy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory checking %s", origin);
	if (list) {
		if ((rc = pq_split_list(value, items, &count, origin, detail)) != RATLS_OK)
			goto out;
	} else {
		items[0].text = value;
		items[0].len = strlen(value);
	}
	for (size_t i = 0; i < count; i++) {
		char text[RATLS_PQ_VALUE_MAX_LEN + 1];

		memcpy(text, items[i].text, items[i].len);
		text[items[i].len] = '\0';
		if (add(policy, text, &inner) != RATLS_OK) {
			rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "%s: %s", origin,
					inner.message);
			goto out;
		}
	}
	rc = RATLS_OK;
out:
	ratls_policy_free(policy);
	return rc;
}

static int check_mrtd(const char *value, const char *origin, struct ratls_detail *detail)
{
	return check_with_policy(value, origin, ratls_policy_add_mrtd, true, detail);
}

static int pin_rtmr0(struct ratls_policy *policy, const char *hex, struct ratls_detail *detail)
{
	return ratls_policy_pin_rtmr(policy, 0, hex, detail);
}

static int check_rtmr(const char *value, const char *origin, struct ratls_detail *detail)
{
	return check_with_policy(value, origin, pin_rtmr0, false, detail);
}

static int check_compose_hash(const char *value, const char *origin, struct ratls_detail *detail)
{
	return check_with_policy(value, origin, ratls_policy_add_compose_hash, true, detail);
}

static int check_app_id(const char *value, const char *origin, struct ratls_detail *detail)
{
	return check_with_policy(value, origin, ratls_policy_add_app_id, true, detail);
}

static int check_os_image_hash(const char *value, const char *origin,
			       struct ratls_detail *detail)
{
	return check_with_policy(value, origin, ratls_policy_add_os_image_hash, true, detail);
}

static int check_tcb_status(const char *value, const char *origin, struct ratls_detail *detail)
{
	struct pq_item items[PQ_LIST_MAX];
	size_t count;
	int rc;

	if ((rc = pq_split_list(value, items, &count, origin, detail)) != RATLS_OK)
		return rc;
	for (size_t i = 0; i < count; i++) {
		enum ratls_tcb_status status;

		if (ratls_tcb_status_parse(items[i].text, items[i].len, &status) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s: '%.*s' is not a TCB status; use Intel's "
					  "case-sensitive names, such as UpToDate,SWHardeningNeeded",
					  origin, (int)items[i].len, items[i].text);
		if (status == RATLS_TCB_REVOKED)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s: Revoked cannot be accepted; a revoked TCB never "
					  "passes",
					  origin);
	}
	return RATLS_OK;
}

/* ---- the keyword table ---- */

const struct pq_keyword pq_keywords[PQ_KW_COUNT] = {
	[PQ_KW_VERIFIER] = {"verifier", "RATLS_VERIFIER", "dcap", PQ_KW_BACKEND, check_verifier},
	[PQ_KW_COLLATERAL] = {"collateral", "RATLS_COLLATERAL", NULL, PQ_KW_BACKEND,
			      check_nonempty},
	[PQ_KW_PCCS_URL] = {"pccs_url", "RATLS_PCCS_URL", NULL, PQ_KW_BACKEND, check_nonempty},
	[PQ_KW_TRUST_ROOT] = {"trust_root", "RATLS_TRUST_ROOT", NULL,
			      PQ_KW_BACKEND | PQ_KW_WEAKENS, check_nonempty},
	[PQ_KW_ITA_URL] = {"ita_url", "RATLS_ITA_URL", NULL, PQ_KW_BACKEND, check_nonempty},
	[PQ_KW_ITA_JWKS_URL] = {"ita_jwks_url", "RATLS_ITA_JWKS_URL", NULL, PQ_KW_BACKEND,
				check_nonempty},
	[PQ_KW_ITA_REGION] = {"ita_region", "RATLS_ITA_REGION", "us", PQ_KW_BACKEND,
			      check_region},
	[PQ_KW_ITA_API_KEY] = {"ita_api_key", RATLS_ITA_API_KEY_ENV, NULL,
			       PQ_KW_BACKEND | PQ_KW_SECRET, check_nonempty},
	[PQ_KW_MRTD] = {"mrtd", "RATLS_MRTD", NULL, PQ_KW_POLICY, check_mrtd},
	[PQ_KW_RTMR0] = {"rtmr0", "RATLS_RTMR0", NULL, PQ_KW_POLICY, check_rtmr},
	[PQ_KW_RTMR1] = {"rtmr1", "RATLS_RTMR1", NULL, PQ_KW_POLICY, check_rtmr},
	[PQ_KW_RTMR2] = {"rtmr2", "RATLS_RTMR2", NULL, PQ_KW_POLICY, check_rtmr},
	[PQ_KW_RTMR3] = {"rtmr3", "RATLS_RTMR3", NULL, PQ_KW_POLICY, check_rtmr},
	[PQ_KW_COMPOSE_HASH] = {"compose_hash", "RATLS_COMPOSE_HASH", NULL, PQ_KW_POLICY,
				check_compose_hash},
	[PQ_KW_APP_ID] = {"app_id", "RATLS_APP_ID", NULL, PQ_KW_POLICY, check_app_id},
	[PQ_KW_OS_IMAGE_HASH] = {"os_image_hash", "RATLS_OS_IMAGE_HASH", NULL, PQ_KW_POLICY,
				 check_os_image_hash},
	[PQ_KW_TCB_STATUS] = {"tcb_status", "RATLS_TCB_STATUS", "UpToDate,SWHardeningNeeded",
			      PQ_KW_POLICY, check_tcb_status},
	[PQ_KW_ALLOW_DEBUG] = {"allow_debug", "RATLS_ALLOW_DEBUG", "0",
			       PQ_KW_POLICY | PQ_KW_WEAKENS, check_bool},
	[PQ_KW_ALLOW_SIMULATOR] = {"allow_simulator", "RATLS_ALLOW_SIMULATOR", "0",
				   PQ_KW_POLICY | PQ_KW_WEAKENS, check_bool},
	[PQ_KW_CACHE_TTL] = {"cache_ttl", "RATLS_CACHE_TTL", "3600", 0, check_cache_ttl},
	[PQ_KW_CLIENT_CERT] = {"client_cert", "RATLS_CLIENT_CERT", "none", PQ_KW_TLS,
			       check_client_cert},
	[PQ_KW_CLIENT_CERT_FILE] = {"client_cert_file", "RATLS_CLIENT_CERT_FILE", NULL, PQ_KW_TLS,
				    check_nonempty},
	[PQ_KW_CLIENT_KEY_FILE] = {"client_key_file", "RATLS_CLIENT_KEY_FILE", NULL, PQ_KW_TLS,
				   check_nonempty},
	[PQ_KW_DSTACK_SOCKET] = {"dstack_socket", "RATLS_DSTACK_SOCKET", NULL, PQ_KW_TLS,
				 check_nonempty},
	[PQ_KW_CONNECT_TIMEOUT] = {"connect_timeout", "RATLS_CONNECT_TIMEOUT", "30", 0,
				   check_timeout},
	[PQ_KW_TEESQL_CREDENTIALS] = {"teesql_credentials", "RATLS_TEESQL_CREDENTIALS", "0", 0,
				      check_bool},
};

int pq_keyword_find(const char *name, size_t len)
{
	for (int i = 0; i < PQ_KW_COUNT; i++) {
		if (strlen(pq_keywords[i].name) == len && memcmp(pq_keywords[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

/* ---- settings ---- */

static void free_value(enum pq_kw kw, char *value)
{
	if (value == NULL)
		return;
	if (pq_keywords[kw].flags & PQ_KW_SECRET)
		OPENSSL_cleanse(value, strlen(value));
	free(value);
}

void pq_settings_clear(struct pq_settings *settings)
{
	for (int i = 0; i < PQ_KW_COUNT; i++) {
		free_value((enum pq_kw)i, settings->value[i]);
		settings->value[i] = NULL;
	}
}

int pq_settings_set(struct pq_settings *settings, enum pq_kw kw, const char *value, size_t len,
		    const char *origin, struct ratls_detail *detail)
{
	char *copy;
	int rc;

	if (value == NULL) {
		free_value(kw, settings->value[kw]);
		settings->value[kw] = NULL;
		return RATLS_OK;
	}
	if (len > RATLS_PQ_VALUE_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s: the value is %zu bytes long, more than the %d allowed", origin,
				  len, RATLS_PQ_VALUE_MAX_LEN);
	if (memchr(value, '\0', len) != NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s: the value contains a NUL byte", origin);
	copy = malloc(len + 1);
	if (copy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory storing %s", origin);
	memcpy(copy, value, len);
	copy[len] = '\0';
	if ((rc = pq_keywords[kw].check(copy, origin, detail)) != RATLS_OK) {
		free_value(kw, copy);
		return rc;
	}
	free_value(kw, settings->value[kw]);
	settings->value[kw] = copy;
	return RATLS_OK;
}

int pq_settings_overlay(struct pq_settings *dst, const struct pq_settings *src,
			struct ratls_detail *detail)
{
	for (int i = 0; i < PQ_KW_COUNT; i++) {
		char *copy;

		if (src->value[i] == NULL)
			continue;
		copy = strdup(src->value[i]);
		if (copy == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying options");
		free_value((enum pq_kw)i, dst->value[i]);
		dst->value[i] = copy;
	}
	return RATLS_OK;
}

int pq_settings_from_env(struct pq_settings *settings, struct ratls_detail *detail)
{
	for (int i = 0; i < PQ_KW_COUNT; i++) {
		const char *value = getenv(pq_keywords[i].env);
		char origin[96];
		int rc;

		if (value == NULL)
			continue;
		snprintf(origin, sizeof(origin), "environment variable %s", pq_keywords[i].env);
		rc = pq_settings_set(settings, (enum pq_kw)i, value, strlen(value), origin, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

const char *pq_settings_get(const struct pq_settings *settings, enum pq_kw kw)
{
	if (settings->value[kw] != NULL)
		return settings->value[kw];
	return pq_keywords[kw].default_value;
}

bool pq_settings_bool(const struct pq_settings *settings, enum pq_kw kw)
{
	const char *value = pq_settings_get(settings, kw);
	bool result = false;

	return value != NULL && parse_bool(value, &result) && result;
}

int64_t pq_settings_int(const struct pq_settings *settings, enum pq_kw kw)
{
	const char *value = pq_settings_get(settings, kw);
	int64_t n = 0;

	if (value == NULL || !parse_int(value, 0, INT64_MAX, &n))
		return 0;
	return n;
}

/* ---- the options object ---- */

struct ratls_pq_options *ratls_pq_options_new(void)
{
	struct ratls_pq_options *options = calloc(1, sizeof(*options));

	if (options == NULL)
		return NULL;
	if (pthread_mutex_init(&options->lock, NULL) != 0) {
		free(options);
		return NULL;
	}
	atomic_init(&options->refs, 1);
	return options;
}

void pq_options_ref(struct ratls_pq_options *options)
{
	atomic_fetch_add(&options->refs, 1);
}

void pq_options_unref(struct ratls_pq_options *options)
{
	if (options == NULL || atomic_fetch_sub(&options->refs, 1) != 1)
		return;
	pq_backends_free(options->backends);
	pq_identities_free(options->identities);
	pq_settings_clear(&options->settings);
	pthread_mutex_destroy(&options->lock);
	free(options);
}

void ratls_pq_options_free(struct ratls_pq_options *options)
{
	pq_options_unref(options);
}

int ratls_pq_options_set(struct ratls_pq_options *options, const char *keyword,
			 const char *value, struct ratls_detail *detail)
{
	const size_t prefix_len = strlen(RATLS_PQ_KEYWORD_PREFIX);
	char origin[96];
	int kw;

	if (options == NULL || keyword == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_pq_options_set needs options and a keyword");
	if (strncmp(keyword, RATLS_PQ_KEYWORD_PREFIX, prefix_len) == 0)
		keyword += prefix_len;
	kw = pq_keyword_find(keyword, strlen(keyword));
	if (kw < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "unknown option '%s'; docs/connector.md lists the keywords",
				  keyword);
	snprintf(origin, sizeof(origin), "option %s", pq_keywords[kw].name);
	return pq_settings_set(&options->settings, (enum pq_kw)kw, value,
			       value != NULL ? strlen(value) : 0, origin, detail);
}

void pq_counters_read(struct pq_counters *counters, struct ratls_pq_stats *stats)
{
	stats->sessions = atomic_load(&counters->sessions);
	stats->verifications = atomic_load(&counters->verifications);
	stats->cache_hits = atomic_load(&counters->cache_hits);
	stats->failures = atomic_load(&counters->failures);
	stats->rejected_peers = atomic_load(&counters->rejected_peers);
}

void ratls_pq_options_stats(struct ratls_pq_options *options, struct ratls_pq_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (options != NULL)
		pq_counters_read(&options->counters, stats);
}
