/* Internal interfaces of the Intel Trust Authority backend. Not part of the public API. */
#ifndef RATLS_ITA_INTERNAL_H
#define RATLS_ITA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ratls/ita.h"
#include "ratls/quote.h"

/* Maximum kid length; ITA's kids are 96 hex digits. */
#define RATLS_ITA_KID_MAX_LEN 256
/* Maximum JWKS keys kept; ITA publishes a few at a time for rotation. */
#define RATLS_ITA_JWKS_KEYS_MAX 32
/* Maximum x5c certificates per key, the limit Intel's own clients apply. */
#define RATLS_ITA_X5C_MAX 10
/* RSA modulus sizes accepted: below 2048 bits is too weak, above 8192 only costs time. */
#define RATLS_ITA_RSA_MIN_BITS 2048
#define RATLS_ITA_RSA_MAX_BITS 8192
/* Maximum RSA public exponent size in bytes; real exponents are 65537 (3 bytes). */
#define RATLS_ITA_RSA_EXPONENT_MAX_SIZE 8

/* A JWKS key usable for token signatures. */
struct ratls_ita_jwk {
	char kid[RATLS_ITA_KID_MAX_LEN + 1];
	EVP_PKEY *key;
	bool has_x5c;
};

struct ratls_ita_jwks {
	struct ratls_ita_jwk *keys;
	size_t count;
};

struct ratls_ita_client {
	/* Configuration, fixed after creation. */
	char *api_key; /* wiped on free */
	size_t api_key_len;
	char *attest_url;
	char *jwks_url;
	char *issuer;
	bool default_trust; /* Intel's JWKS URL and issuer */
	uint8_t *jwks_root_der;
	size_t jwks_root_der_size;
	enum ratls_ita_alg token_signing_alg;
	int64_t jwks_ttl;
	long connect_timeout_ms;
	long timeout_ms;
	long retry_delay_ms;
	char *proxy;
	char *ca_file;
	char *ca_path;

	/* The JWKS cache. lock guards it, and is held during a fetch so that one fetch runs. */
	pthread_mutex_t lock;
	struct ratls_ita_jwks jwks;
	bool jwks_valid;
	int64_t jwks_fetched_at;

	atomic_uint_least64_t attest_requests;
	atomic_uint_least64_t retries;
	atomic_uint_least64_t jwks_fetches;
	atomic_uint_least64_t jwks_cache_hits;
};

/* ---- jwt.c ---- */

/*
 * Decodes unpadded base64url (RFC 7515 section 2) strictly: only the URL
 * alphabet, no padding or whitespace, zero unused bits, and a length that
 * is not 1 mod 4. The result has at most max bytes. *out is a new buffer
 * with a NUL after the data, for free().
 */
RATLS_MUST_CHECK int ratls_ita_base64url_decode(const char *text, size_t len, size_t max,
						uint8_t **out, size_t *out_size);

/* A JWT split and decoded, not yet verified. */
struct ratls_ita_jwt {
	json_t *header;
	json_t *claims;
	enum ratls_ita_alg alg;
	const char *kid;           /* view into header */
	const char *signing_input; /* "header.payload", a view into the token */
	size_t signing_input_len;
	uint8_t *signature;
	size_t signature_size;
};

/*
 * Parses a compact JWS: three base64url parts, a header with alg PS384 or
 * RS256, a kid and no crit, and a claims set that is a JSON object.
 * Duplicate JSON members are rejected. Clear *jwt in every case.
 */
RATLS_MUST_CHECK int ratls_ita_jwt_parse(const char *token, size_t len, struct ratls_ita_jwt *jwt,
					 struct ratls_detail *detail);

void ratls_ita_jwt_clear(struct ratls_ita_jwt *jwt);

/* Verifies the JWT's signature with an RSA public key. */
RATLS_MUST_CHECK int ratls_ita_jwt_verify_signature(const struct ratls_ita_jwt *jwt,
						    EVP_PKEY *key, struct ratls_detail *detail);

/* Returns "PS384" or "RS256". */
const char *ratls_ita_alg_name(enum ratls_ita_alg alg);

/* ---- jwks.c ---- */

/*
 * Parses a JWKS body. Keys whose kty is not "RSA" or whose use is not
 * "sig" are skipped. An RSA key with an x5c chain is checked against its
 * chain at now, and to root_der when it is given (then x5c is required).
 * Clear *jwks in every case.
 */
RATLS_MUST_CHECK int ratls_ita_jwks_parse(const uint8_t *body, size_t size,
					  const uint8_t *root_der, size_t root_der_size,
					  int64_t now, struct ratls_ita_jwks *jwks,
					  struct ratls_detail *detail);

void ratls_ita_jwks_clear(struct ratls_ita_jwks *jwks);

/* Returns the key named kid, or NULL. */
const struct ratls_ita_jwk *ratls_ita_jwks_find(const struct ratls_ita_jwks *jwks,
						const char *kid);

/*
 * Returns a new reference (for EVP_PKEY_free) to the signing key named kid,
 * from the cache or from a fetch of the client's JWKS URL.
 */
RATLS_MUST_CHECK int ratls_ita_jwks_get_key(struct ratls_ita_client *client, const char *kid,
					    int64_t now, EVP_PKEY **key,
					    struct ratls_detail *detail);

/* ---- claims.c ---- */

/*
 * Checks iss against issuer and exp, nbf and iat against now. Sets the
 * window in which the token is valid.
 */
RATLS_MUST_CHECK int ratls_ita_claims_check_time(const json_t *claims, const char *issuer,
						 int64_t now, int64_t *valid_from,
						 int64_t *valid_until, struct ratls_detail *detail);

/*
 * Fills *report from the claims (layout chosen by ver) and the parsed TDX
 * quote, after checking every claim that has a quote field against it.
 */
RATLS_MUST_CHECK int ratls_ita_claims_to_report(const json_t *claims, const struct ratls_quote *quote,
						struct ratls_verified_report *report,
						struct ratls_detail *detail);

/* ---- http.c ---- */

/* A response with a 2xx status. */
struct ratls_ita_response {
	uint8_t *body; /* owned, NUL-terminated one past body_size */
	size_t body_size;
};

/*
 * Sends a POST of post_body (JSON, with the API key) to url, or a GET when
 * post_body is NULL (no API key), and retries once after a transient
 * failure. request_id is sent as the request-id header and named in
 * errors. On success the status was 2xx; free *response with
 * ratls_ita_response_clear.
 */
RATLS_MUST_CHECK int ratls_ita_http_request(struct ratls_ita_client *client, const char *url,
					    const char *post_body, size_t body_max,
					    struct ratls_ita_response *response,
					    struct ratls_detail *detail);

void ratls_ita_response_clear(struct ratls_ita_response *response);

#endif
