/*
 * Verifier backends and policies for the connector. A backend is a checked
 * collateral bundle, a PCS/PCCS provider with its collateral cache, or an
 * Intel Trust Authority client with its JWKS cache. It is created on first
 * use and kept in the options object, so connections with the same
 * settings share its caches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "pq_internal.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/ita.h"
#include "ratls/pcs.h"

/* Largest certificate file read as a trust root or a client certificate chain. */
#define PQ_CERT_FILE_MAX_SIZE (1024 * 1024)

int pq_read_file(const char *path, size_t max_size, const char *what, uint8_t **data,
		 size_t *size, struct ratls_detail *detail)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buffer = NULL;
	size_t used = 0;
	int rc = RATLS_ERR_INTERNAL;

	*data = NULL;
	*size = 0;
	if (f == NULL)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot open the %s '%s': %m", what, path);
	buffer = malloc(max_size + 1);
	if (buffer == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading the %s", what);
		goto out;
	}
	/* Read one byte past the limit, so that a larger file is detected. */
	used = fread(buffer, 1, max_size + 1, f);
	if (ferror(f)) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "cannot read the %s '%s'", what, path);
		goto out;
	}
	if (used > max_size) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the %s '%s' is larger than %zu bytes", what, path, max_size);
		goto out;
	}
	buffer[used] = '\0';
	*data = buffer;
	*size = used;
	buffer = NULL; /* ownership moved to *data */
	rc = RATLS_OK;
out:
	free(buffer);
	fclose(f);
	return rc;
}

int pq_read_cert_der(const char *path, const char *what, uint8_t **der, size_t *der_size,
		     struct ratls_detail *detail)
{
	uint8_t *data = NULL;
	size_t size = 0;
	BIO *bio = NULL;
	X509 *cert = NULL;
	unsigned char *out = NULL;
	int len, rc;

	*der = NULL;
	*der_size = 0;
	if ((rc = pq_read_file(path, PQ_CERT_FILE_MAX_SIZE, what, &data, &size, detail)) !=
	    RATLS_OK)
		return rc;
	rc = RATLS_ERR_INTERNAL;
	if (strstr((const char *)data, "-----BEGIN") != NULL) {
		bio = BIO_new_mem_buf(data, (int)size);
		if (bio != NULL)
			cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	} else {
		const unsigned char *p = data;

		cert = d2i_X509(NULL, &p, (long)size);
		if (cert != NULL && p != data + size) {
			X509_free(cert);
			cert = NULL;
		}
	}
	if (cert == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "the %s '%s' is not a PEM or DER certificate", what, path);
		goto out;
	}
	len = i2d_X509(cert, &out);
	if (len <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot encode the %s", what);
		goto out;
	}
	*der = malloc((size_t)len);
	if (*der == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading the %s", what);
		goto out;
	}
	memcpy(*der, out, (size_t)len);
	*der_size = (size_t)len;
	rc = RATLS_OK;
out:
	OPENSSL_free(out);
	X509_free(cert);
	BIO_free(bio);
	free(data);
	return rc;
}

/* ---- backend configuration text ---- */

struct config_text {
	char data[4 * RATLS_PQ_VALUE_MAX_LEN];
	size_t len;
	bool overflow;
};

static void config_add(struct config_text *c, const char *key, const char *value)
{
	int n;

	if (value == NULL)
		return;
	n = snprintf(c->data + c->len, sizeof(c->data) - c->len, "%s=%s\n", key, value);
	if (n < 0 || (size_t)n >= sizeof(c->data) - c->len) {
		c->overflow = true;
		return;
	}
	c->len += (size_t)n;
}

static void sha256_hex(const void *data, size_t size, char out[65])
{
	uint8_t digest[32];

	EVP_Digest(data, size, digest, NULL, EVP_sha256(), NULL);
	ratls_hex_encode(digest, sizeof(digest), out);
}

/* The settings that select the backend, as text; the secret API key only as its hash. */
static int describe_backend(const struct pq_settings *settings, struct config_text *c,
			    struct ratls_detail *detail)
{
	const char *verifier = pq_settings_get(settings, PQ_KW_VERIFIER);
	bool ita = strcmp(verifier, "ita") == 0;

	memset(c, 0, sizeof(*c));
	config_add(c, "verifier", verifier);
	if (!ita) {
		if (settings->value[PQ_KW_COLLATERAL] != NULL &&
		    settings->value[PQ_KW_PCCS_URL] != NULL)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "both ratls_collateral and ratls_pccs_url are set; give a "
					  "collateral bundle file or a PCCS, not both");
		config_add(c, "collateral", settings->value[PQ_KW_COLLATERAL]);
		config_add(c, "pccs_url", settings->value[PQ_KW_PCCS_URL]);
		config_add(c, "trust_root", settings->value[PQ_KW_TRUST_ROOT]);
	} else {
		const char *key = settings->value[PQ_KW_ITA_API_KEY];
		char key_hash[65] = "none";

		if (settings->value[PQ_KW_TRUST_ROOT] != NULL)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "ratls_trust_root applies to the dcap verifier; Intel "
					  "Trust Authority checks the quote's chain itself");
		if (key != NULL)
			sha256_hex(key, strlen(key), key_hash);
		config_add(c, "ita_url", settings->value[PQ_KW_ITA_URL]);
		config_add(c, "ita_jwks_url", settings->value[PQ_KW_ITA_JWKS_URL]);
		config_add(c, "ita_region", pq_settings_get(settings, PQ_KW_ITA_REGION));
		config_add(c, "ita_api_key_sha256", key_hash);
	}
	if (c->overflow)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the verifier settings are too long");
	return RATLS_OK;
}

/* ---- creating backends ---- */

static int create_dcap_bundle(struct pq_backend *b, const char *path,
			      const struct ratls_dcap_options *dcap_options,
			      struct ratls_detail *detail)
{
	struct ratls_collateral *collateral = ratls_collateral_new();
	uint8_t *json = NULL;
	size_t size = 0;
	int rc;

	if (collateral == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory loading collateral");
	rc = pq_read_file(path, RATLS_COLLATERAL_BUNDLE_MAX_SIZE, "collateral bundle", &json,
			  &size, detail);
	if (rc == RATLS_OK)
		rc = ratls_collateral_load_bundle(collateral, json, size, detail);
	if (rc == RATLS_OK)
		rc = ratls_dcap_context_new(collateral, dcap_options, &b->context, detail);
	if (rc == RATLS_OK)
		ratls_verifier_init_dcap(&b->verifier, b->context);
	free(json);
	ratls_collateral_free(collateral);
	return rc;
}

static int create_dcap_service(struct pq_backend *b, const char *pccs_url, const uint8_t *root,
			       size_t root_size, struct ratls_detail *detail)
{
	struct ratls_pcs_options options;
	int rc;

	ratls_pcs_options_init(&options);
	if (pccs_url != NULL) {
		options.base_url = pccs_url;
		options.service = RATLS_PCS_SERVICE_PCCS;
	}
	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	rc = ratls_pcs_provider_new(&options, &b->provider, detail);
	if (rc == RATLS_OK)
		ratls_verifier_init_pcs(&b->verifier, b->provider);
	return rc;
}

static int create_ita(struct pq_backend *b, const struct pq_settings *settings,
		      struct ratls_detail *detail)
{
	struct ratls_ita_options options;
	int rc;

	ratls_ita_options_init(&options);
	options.api_key = settings->value[PQ_KW_ITA_API_KEY];
	options.region = strcmp(pq_settings_get(settings, PQ_KW_ITA_REGION), "eu") == 0
				 ? RATLS_ITA_REGION_EU
				 : RATLS_ITA_REGION_US;
	options.base_url = settings->value[PQ_KW_ITA_URL];
	options.jwks_url = settings->value[PQ_KW_ITA_JWKS_URL];
	rc = ratls_ita_client_new(&options, &b->ita, detail);
	if (rc == RATLS_OK)
		ratls_verifier_init_ita(&b->verifier, b->ita);
	return rc;
}

static void backend_free(struct pq_backend *b)
{
	if (b == NULL)
		return;
	ratls_dcap_context_free(b->context);
	ratls_pcs_provider_free(b->provider);
	ratls_ita_client_free(b->ita);
	free(b->config);
	free(b);
}

void pq_backends_free(struct pq_backend *list)
{
	while (list != NULL) {
		struct pq_backend *next = list->next;

		backend_free(list);
		list = next;
	}
}

static int backend_create(const struct pq_settings *settings, const struct config_text *config,
			  struct pq_backend **out, struct ratls_detail *detail)
{
	struct pq_backend *b = calloc(1, sizeof(*b));
	const char *trust_root = settings->value[PQ_KW_TRUST_ROOT];
	struct ratls_dcap_options dcap_options = {0};
	uint8_t *root = NULL;
	size_t root_size = 0;
	EVP_MD_CTX *md = NULL;
	int rc = RATLS_ERR_INTERNAL;

	*out = NULL;
	if (b == NULL || (b->config = strdup(config->data)) == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory creating the verifier");
		goto out;
	}
	if (trust_root != NULL) {
		rc = pq_read_cert_der(trust_root, "trust root (ratls_trust_root)", &root, &root_size,
				      detail);
		if (rc != RATLS_OK)
			goto out;
		dcap_options.trust_root_der = root;
		dcap_options.trust_root_der_size = root_size;
		b->custom_root = true;
	}

	if (strcmp(pq_settings_get(settings, PQ_KW_VERIFIER), "ita") == 0)
		rc = create_ita(b, settings, detail);
	else if (settings->value[PQ_KW_COLLATERAL] != NULL)
		rc = create_dcap_bundle(b, settings->value[PQ_KW_COLLATERAL], &dcap_options, detail);
	else
		rc = create_dcap_service(b, settings->value[PQ_KW_PCCS_URL], root, root_size,
					 detail);
	if (rc != RATLS_OK)
		goto out;

	/* The identity covers the root's bytes, so a replaced root file is a new identity. */
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, config->data, config->len) != 1 ||
	    EVP_DigestUpdate(md, root != NULL ? root : (const uint8_t *)"", root_size) != 1 ||
	    EVP_DigestFinal_ex(md, b->identity, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "SHA-256 failed");
		goto out;
	}
	*out = b;
	b = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	EVP_MD_CTX_free(md);
	free(root);
	backend_free(b);
	return rc;
}

int pq_backend_get(struct ratls_pq_options *options, const struct pq_settings *settings,
		   const struct pq_backend **out, struct ratls_detail *detail)
{
	struct config_text *config = malloc(sizeof(*config));
	struct pq_backend *found = NULL;
	int rc;

	*out = NULL;
	if (config == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory selecting the verifier");
	if ((rc = describe_backend(settings, config, detail)) != RATLS_OK)
		goto out;

	/* Creation runs under the lock, so concurrent first connections load the bundle once. */
	pthread_mutex_lock(&options->lock);
	for (struct pq_backend *b = options->backends; b != NULL; b = b->next) {
		if (strcmp(b->config, config->data) == 0) {
			found = b;
			break;
		}
	}
	if (found == NULL && options->backend_count >= PQ_RESOURCES_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"more than %d verifier configurations on one options object; use "
				"one options object per configuration",
				PQ_RESOURCES_MAX);
	} else if (found == NULL) {
		rc = backend_create(settings, config, &found, detail);
		if (rc == RATLS_OK) {
			found->next = options->backends;
			options->backends = found;
			options->backend_count++;
		}
	}
	pthread_mutex_unlock(&options->lock);
	if (rc == RATLS_OK)
		*out = found;
out:
	free(config);
	return rc;
}

/* ---- policies ---- */

static int add_list(struct ratls_policy *policy, const char *value, const char *keyword,
		    int (*add)(struct ratls_policy *, const char *, struct ratls_detail *),
		    struct ratls_detail *detail)
{
	struct pq_item items[PQ_LIST_MAX];
	size_t count;
	int rc;

	if (value == NULL)
		return RATLS_OK;
	if ((rc = pq_split_list(value, items, &count, keyword, detail)) != RATLS_OK)
		return rc;
	for (size_t i = 0; i < count; i++) {
		char text[RATLS_PQ_VALUE_MAX_LEN + 1];

		memcpy(text, items[i].text, items[i].len);
		text[items[i].len] = '\0';
		if ((rc = add(policy, text, detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

static int add_tcb_statuses(struct ratls_policy *policy, const char *value,
			    struct ratls_detail *detail)
{
	struct pq_item items[PQ_LIST_MAX];
	size_t count;
	int rc;

	if ((rc = pq_split_list(value, items, &count, "ratls_tcb_status", detail)) != RATLS_OK)
		return rc;
	for (size_t i = 0; i < count; i++) {
		enum ratls_tcb_status status;

		rc = ratls_tcb_status_parse(items[i].text, items[i].len, &status);
		if (rc == RATLS_OK)
			rc = ratls_policy_allow_tcb_status(policy, status, detail);
		if (rc != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "ratls_tcb_status: '%.*s' is not an acceptable TCB status",
					  (int)items[i].len, items[i].text);
	}
	return RATLS_OK;
}

int pq_policy_build(const struct pq_settings *settings, struct ratls_policy **out,
		    struct ratls_detail *detail)
{
	struct ratls_policy *policy = ratls_policy_new();
	int rc = RATLS_ERR_INTERNAL;

	*out = NULL;
	if (policy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory creating the policy");
	if ((rc = add_list(policy, settings->value[PQ_KW_MRTD], "ratls_mrtd", ratls_policy_add_mrtd,
			   detail)) != RATLS_OK)
		goto out;
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		const char *value = settings->value[PQ_KW_RTMR0 + i];

		if (value != NULL && (rc = ratls_policy_pin_rtmr(policy, i, value, detail)) != RATLS_OK)
			goto out;
	}
	if ((rc = add_list(policy, settings->value[PQ_KW_COMPOSE_HASH], "ratls_compose_hash",
			   ratls_policy_add_compose_hash, detail)) != RATLS_OK ||
	    (rc = add_list(policy, settings->value[PQ_KW_APP_ID], "ratls_app_id",
			   ratls_policy_add_app_id, detail)) != RATLS_OK ||
	    (rc = add_list(policy, settings->value[PQ_KW_OS_IMAGE_HASH], "ratls_os_image_hash",
			   ratls_policy_add_os_image_hash, detail)) != RATLS_OK)
		goto out;
	if ((rc = add_tcb_statuses(policy, pq_settings_get(settings, PQ_KW_TCB_STATUS), detail)) !=
	    RATLS_OK)
		goto out;
	ratls_policy_set_allow_debug(policy, pq_settings_bool(settings, PQ_KW_ALLOW_DEBUG));
	*out = policy;
	policy = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_policy_free(policy);
	return rc;
}

bool pq_policy_identity(const struct pq_settings *settings, const struct pq_backend *backend,
			uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(md, "ratls-pq-policy-v1\n", 19) == 1 &&
		  EVP_DigestUpdate(md, backend->identity, sizeof(backend->identity)) == 1;

	for (int i = 0; ok && i < PQ_KW_COUNT; i++) {
		const char *value = pq_settings_get(settings, (enum pq_kw)i);

		if (!(pq_keywords[i].flags & PQ_KW_POLICY) || value == NULL)
			continue;
		/* Keyword, '=', value and a NUL keep the fields apart. */
		ok = EVP_DigestUpdate(md, pq_keywords[i].name, strlen(pq_keywords[i].name)) == 1 &&
		     EVP_DigestUpdate(md, "=", 1) == 1 &&
		     EVP_DigestUpdate(md, value, strlen(value) + 1) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}
