/*
 * The JWKS of ITA's token signing keys (RFC 7517): parsing RSA keys, the
 * x5c chain check, and the cache of the client's JWKS.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/log.h"
#include "ita_internal.h"

/* Maximum DER certificate in x5c; ITA's are about 1.5 KiB. */
#define X5C_CERT_MAX_SIZE (16 * 1024)

void ratls_ita_jwks_clear(struct ratls_ita_jwks *jwks)
{
	for (size_t i = 0; i < jwks->count; i++)
		EVP_PKEY_free(jwks->keys[i].key);
	free(jwks->keys);
	memset(jwks, 0, sizeof(*jwks));
}

const struct ratls_ita_jwk *ratls_ita_jwks_find(const struct ratls_ita_jwks *jwks, const char *kid)
{
	for (size_t i = 0; i < jwks->count; i++) {
		if (strcmp(jwks->keys[i].kid, kid) == 0)
			return &jwks->keys[i];
	}
	return NULL;
}

/* Decodes a base64url big-endian integer member (n or e) of at most max bytes. */
static int decode_bignum(const json_t *jwk, const char *member, size_t max, const char *kid,
			 BIGNUM **out, struct ratls_detail *detail)
{
	const json_t *value = json_object_get(jwk, member);
	uint8_t *raw = NULL;
	size_t raw_size = 0;
	int rc;

	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "JWKS key \"%.100s\" has no \"%s\" string", kid, member);
	rc = ratls_ita_base64url_decode(json_string_value(value), json_string_length(value), max,
					&raw, &raw_size);
	if (rc != RATLS_OK || raw_size == 0 || raw[0] == 0) {
		free(raw);
		return ratls_fail(detail, rc == RATLS_OK ? RATLS_ERR_MALFORMED : rc,
				  "JWKS key \"%.100s\" has a \"%s\" that is not a minimal base64url "
				  "integer of at most %zu bytes",
				  kid, member, max);
	}
	*out = BN_bin2bn(raw, (int)raw_size, NULL);
	free(raw);
	if (*out == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory reading the JWKS");
	return RATLS_OK;
}

/* Builds an RSA public key from the JWK's n and e. */
static int rsa_key_from_jwk(const json_t *jwk, const char *kid, EVP_PKEY **out,
			    struct ratls_detail *detail)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int rc, bits;

	rc = decode_bignum(jwk, "n", RATLS_ITA_RSA_MAX_BITS / 8, kid, &n, detail);
	if (rc == RATLS_OK)
		rc = decode_bignum(jwk, "e", RATLS_ITA_RSA_EXPONENT_MAX_SIZE, kid, &e, detail);
	if (rc != RATLS_OK)
		goto out;
	bits = BN_num_bits(n);
	if (bits < RATLS_ITA_RSA_MIN_BITS) {
		rc = ratls_fail(detail, RATLS_ERR_UNSUPPORTED_KEY_TYPE,
				"JWKS key \"%.100s\" is a %d-bit RSA key; at least %d bits are "
				"required",
				kid, bits, RATLS_ITA_RSA_MIN_BITS);
		goto out;
	}
	if (!BN_is_odd(e) || BN_is_one(e)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"JWKS key \"%.100s\" has an RSA exponent that is even or 1", kid);
		goto out;
	}

	bld = OSSL_PARAM_BLD_new();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (bld == NULL || ctx == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				     "JWKS key \"%.100s\" is not a usable RSA public key", kid);
		goto out;
	}
	rc = RATLS_OK;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return rc;
}

/* Decodes the x5c array (standard base64 DER certificates, leaf first). */
static int decode_x5c(const json_t *x5c, const char *kid, STACK_OF(X509) *certs,
		      struct ratls_detail *detail)
{
	size_t count = json_array_size(x5c);

	if (!json_is_array(x5c) || count == 0 || count > RATLS_ITA_X5C_MAX)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "JWKS key \"%.100s\" has an x5c that is not an array of 1 to %d "
				  "certificates",
				  kid, RATLS_ITA_X5C_MAX);
	for (size_t i = 0; i < count; i++) {
		const json_t *item = json_array_get(x5c, i);
		uint8_t *der = NULL;
		size_t der_size = 0;
		const unsigned char *p;
		X509 *cert;

		if (!json_is_string(item) || json_string_length(item) > X5C_CERT_MAX_SIZE / 3 * 4 + 4 ||
		    ratls_base64_decode_alloc(json_string_value(item), json_string_length(item), &der,
					      &der_size) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "JWKS key \"%.100s\": x5c[%zu] is not base64 of at most "
					  "%d bytes",
					  kid, i, X5C_CERT_MAX_SIZE);
		p = der;
		cert = d2i_X509(NULL, &p, (long)der_size);
		if (cert == NULL || p != der + der_size) {
			X509_free(cert);
			free(der);
			return ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
					       "JWKS key \"%.100s\": x5c[%zu] is not one DER "
					       "certificate",
					       kid, i);
		}
		free(der);
		if (sk_X509_push(certs, cert) <= 0) {
			X509_free(cert);
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading x5c");
		}
	}
	return RATLS_OK;
}

/* Maps a chain verification failure onto a ratls code. */
static int chain_error_code(int error)
{
	switch (error) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return RATLS_ERR_UNTRUSTED_ROOT;
	default:
		return RATLS_ERR_CHAIN_INVALID;
	}
}

/*
 * Verifies the x5c chain at now: to root (DER) when given, else to the
 * chain's own last certificate, which only shows that the chain is
 * consistent. Then the leaf's key must be the JWK's key.
 * NOTE: the certificates' CRLs are not fetched or checked, and the chain
 * is checked when the JWKS is fetched, not again while it is cached.
 */
static int check_x5c(STACK_OF(X509) *certs, EVP_PKEY *key, const uint8_t *root_der,
		     size_t root_der_size, int64_t now, const char *kid, struct ratls_detail *detail)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = sk_X509_value(certs, 0);
	X509 *anchor = NULL;
	const unsigned char *p = root_der;
	int rc = RATLS_ERR_INTERNAL;
	int error;

	if (store == NULL || ctx == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory checking x5c");
		goto out;
	}
	if (root_der != NULL) {
		anchor = d2i_X509(NULL, &p, (long)root_der_size);
		if (anchor == NULL || p != root_der + root_der_size) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
					     "jwks_root_der is not one DER certificate");
			goto out;
		}
	} else {
		anchor = sk_X509_value(certs, sk_X509_num(certs) - 1);
		if (X509_up_ref(anchor) != 1) {
			anchor = NULL;
			rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "X509_up_ref failed");
			goto out;
		}
	}
	if (X509_STORE_add_cert(store, anchor) != 1 ||
	    X509_STORE_CTX_init(ctx, store, leaf, certs) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "setting up the x5c check failed");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	/* Without a configured root the last certificate may be an intermediate CA. */
	if (root_der == NULL)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		error = X509_STORE_CTX_get_error(ctx);
		rc = ratls_fail_ossl(detail, chain_error_code(error),
				     "the x5c chain of JWKS key \"%.100s\" does not verify%s: %s", kid,
				     root_der != NULL ? " to the configured JWKS root" : "",
				     X509_verify_cert_error_string(error));
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), key) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_CHAIN_INVALID,
				     "JWKS key \"%.100s\": n and e differ from the key of the x5c "
				     "leaf certificate",
				     kid);
		goto out;
	}
	rc = RATLS_OK;
out:
	X509_free(anchor);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* True when the key is an RSA signing key; other keys in a JWKS are ignored. */
static bool is_rsa_signing_key(const json_t *jwk)
{
	const json_t *kty = json_object_get(jwk, "kty");
	const json_t *use = json_object_get(jwk, "use");

	if (!json_is_string(kty) || strcmp(json_string_value(kty), "RSA") != 0)
		return false;
	return use == NULL || (json_is_string(use) && strcmp(json_string_value(use), "sig") == 0);
}

static int parse_key(const json_t *jwk, const uint8_t *root_der, size_t root_der_size, int64_t now,
		     struct ratls_ita_jwk *out, struct ratls_detail *detail)
{
	const json_t *kid = json_object_get(jwk, "kid");
	const json_t *x5c = json_object_get(jwk, "x5c");
	STACK_OF(X509) *certs = NULL;
	int rc;

	if (!json_is_string(kid) || json_string_length(kid) == 0 ||
	    json_string_length(kid) > RATLS_ITA_KID_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "a JWKS RSA key has no kid of 1 to %d characters",
				  RATLS_ITA_KID_MAX_LEN);
	memcpy(out->kid, json_string_value(kid), json_string_length(kid) + 1);
	if ((rc = rsa_key_from_jwk(jwk, out->kid, &out->key, detail)) != RATLS_OK)
		return rc;

	if (x5c == NULL) {
		if (root_der != NULL)
			return ratls_fail(detail, RATLS_ERR_CHAIN_INVALID,
					  "JWKS key \"%.100s\" has no x5c chain, but a JWKS root is "
					  "configured, so every key must chain to it",
					  out->kid);
		return RATLS_OK;
	}
	certs = sk_X509_new_null();
	if (certs == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory reading x5c");
	rc = decode_x5c(x5c, out->kid, certs, detail);
	if (rc == RATLS_OK)
		rc = check_x5c(certs, out->key, root_der, root_der_size, now, out->kid, detail);
	out->has_x5c = rc == RATLS_OK;
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

int ratls_ita_jwks_parse(const uint8_t *body, size_t size, const uint8_t *root_der,
			 size_t root_der_size, int64_t now, struct ratls_ita_jwks *jwks,
			 struct ratls_detail *detail)
{
	json_error_t error;
	json_t *doc;
	const json_t *keys;
	size_t count;
	int rc = RATLS_ERR_INTERNAL;

	memset(jwks, 0, sizeof(*jwks));
	if (size > RATLS_ITA_JWKS_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the JWKS has %zu bytes, above the limit of %d", size,
				  RATLS_ITA_JWKS_MAX_SIZE);
	doc = json_loadb((const char *)body, size, JSON_REJECT_DUPLICATES, &error);
	if (doc == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the JWKS is not JSON: %s at position %d; check the JWKS URL",
				  error.text, error.position);
	keys = json_object_get(doc, "keys");
	count = json_array_size(keys);
	if (!json_is_array(keys)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the JWKS has no \"keys\" array; check the JWKS URL");
		goto out;
	}
	if (count > RATLS_ITA_JWKS_KEYS_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the JWKS has %zu keys, above the limit of %d", count,
				RATLS_ITA_JWKS_KEYS_MAX);
		goto out;
	}
	jwks->keys = calloc(count > 0 ? count : 1, sizeof(*jwks->keys));
	if (jwks->keys == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading the JWKS");
		goto out;
	}

	for (size_t i = 0; i < count; i++) {
		const json_t *jwk = json_array_get(keys, i);
		struct ratls_ita_jwk *key = &jwks->keys[jwks->count];

		if (!json_is_object(jwk)) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED, "JWKS keys[%zu] is not an object",
					i);
			goto out;
		}
		if (!is_rsa_signing_key(jwk))
			continue;
		rc = parse_key(jwk, root_der, root_der_size, now, key, detail);
		jwks->count++; /* counted even on failure, so that clear frees the key */
		if (rc != RATLS_OK)
			goto out;
		if (ratls_ita_jwks_find(&(struct ratls_ita_jwks){jwks->keys, jwks->count - 1},
					key->kid) != NULL) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"the JWKS has two keys with kid \"%.100s\"", key->kid);
			goto out;
		}
	}
	rc = RATLS_OK;
out:
	json_decref(doc);
	if (rc != RATLS_OK)
		ratls_ita_jwks_clear(jwks);
	return rc;
}

/* Fetches and parses the client's JWKS, replacing the cached one. Called with the lock held. */
static int refresh_locked(struct ratls_ita_client *client, int64_t now, struct ratls_detail *detail)
{
	struct ratls_ita_response response = {0};
	struct ratls_ita_jwks fresh;
	int rc;

	atomic_fetch_add(&client->jwks_fetches, 1);
	rc = ratls_ita_http_request(client, client->jwks_url, NULL, RATLS_ITA_JWKS_MAX_SIZE,
				    &response, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_ita_jwks_parse(response.body, response.body_size, client->jwks_root_der,
				  client->jwks_root_der_size, now, &fresh, detail);
	ratls_ita_response_clear(&response);
	if (rc != RATLS_OK)
		return rc;

	ratls_ita_jwks_clear(&client->jwks);
	client->jwks = fresh;
	client->jwks_valid = true;
	client->jwks_fetched_at = now;
	ratls_log(RATLS_LOG_INFO, "fetched %zu token signing keys from %s", fresh.count,
		  client->jwks_url);
	return RATLS_OK;
}

int ratls_ita_jwks_get_key(struct ratls_ita_client *client, const char *kid, int64_t now,
			   EVP_PKEY **key, struct ratls_detail *detail)
{
	const struct ratls_ita_jwk *found = NULL;
	int64_t age;
	int rc = RATLS_ERR_INTERNAL;

	*key = NULL;
	pthread_mutex_lock(&client->lock);
	/* A caller time before the fetch counts as fresh: the cache age only paces fetches. */
	age = now - client->jwks_fetched_at;
	if (client->jwks_valid && age < client->jwks_ttl) {
		found = ratls_ita_jwks_find(&client->jwks, kid);
		if (found == NULL && age < RATLS_ITA_JWKS_REFETCH_MIN_SECONDS) {
			rc = ratls_fail(detail, RATLS_ERR_UNTRUSTED_ROOT,
					"the token's kid \"%.100s\" is not in the JWKS from %s "
					"(fetched %lld s ago); the token was not signed by ITA",
					kid, client->jwks_url, (long long)age);
			goto out;
		}
		if (found != NULL)
			atomic_fetch_add(&client->jwks_cache_hits, 1);
	}
	if (found == NULL) {
		if ((rc = refresh_locked(client, now, detail)) != RATLS_OK)
			goto out;
		found = ratls_ita_jwks_find(&client->jwks, kid);
	}
	if (found == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_UNTRUSTED_ROOT,
				"the token's kid \"%.100s\" is not in the JWKS just fetched from %s; "
				"the token was not signed by ITA, or the JWKS URL belongs to another "
				"region",
				kid, client->jwks_url);
		goto out;
	}
	if (EVP_PKEY_up_ref(found->key) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "EVP_PKEY_up_ref failed");
		goto out;
	}
	*key = found->key;
	rc = RATLS_OK;
out:
	pthread_mutex_unlock(&client->lock);
	return rc;
}
