/*
 * Compact JWS parsing (RFC 7515) and RSA signature checks (RFC 7518: RS256
 * and PS384), strictly: ITA's tokens are the only input, so anything they
 * never contain is rejected.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>

#include "base/fail.h"
#include "ita_internal.h"

/* Maximum decoded JWT header; ITA's header is about 200 bytes. */
#define JWT_HEADER_MAX_SIZE 4096
/* Maximum RSA signature: the largest modulus accepted. */
#define JWT_SIGNATURE_MAX_SIZE (RATLS_ITA_RSA_MAX_BITS / 8)

const char *ratls_ita_alg_name(enum ratls_ita_alg alg)
{
	return alg == RATLS_ITA_ALG_RS256 ? "RS256" : "PS384";
}

static int base64url_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Hand-written because src/base decodes only the standard alphabet with
 * padding and whitespace, and OpenSSL's decoder accepts both alphabets.
 */
int ratls_ita_base64url_decode(const char *text, size_t len, size_t max, uint8_t **out,
			       size_t *out_size)
{
	size_t decoded = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	uint8_t *buf;
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	*out = NULL;
	*out_size = 0;
	if (len % 4 == 1)
		return RATLS_ERR_MALFORMED;
	if (decoded > max)
		return RATLS_ERR_LIMIT_EXCEEDED;
	buf = malloc(decoded + 1);
	if (buf == NULL)
		return RATLS_ERR_NO_MEMORY;

	for (size_t i = 0; i < len; i++) {
		int v = base64url_value((unsigned char)text[i]);

		if (v < 0) {
			free(buf);
			return RATLS_ERR_MALFORMED;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The unused low bits of the last character must be zero (RFC 4648 section 3.5). */
	if (acc != 0) {
		free(buf);
		return RATLS_ERR_MALFORMED;
	}
	buf[n] = '\0';
	*out = buf;
	*out_size = n;
	return RATLS_OK;
}

void ratls_ita_jwt_clear(struct ratls_ita_jwt *jwt)
{
	json_decref(jwt->header);
	json_decref(jwt->claims);
	free(jwt->signature);
	memset(jwt, 0, sizeof(*jwt));
}

/* Decodes one base64url part into a JSON object. what names the part in messages. */
static int decode_json_part(const char *text, size_t len, size_t max, const char *what,
			    json_t **out, struct ratls_detail *detail)
{
	uint8_t *raw = NULL;
	size_t raw_size = 0;
	json_error_t error;
	int rc;

	rc = ratls_ita_base64url_decode(text, len, max, &raw, &raw_size);
	if (rc == RATLS_ERR_LIMIT_EXCEEDED)
		return ratls_fail(detail, rc, "the token %s is larger than the limit of %zu bytes",
				  what, max);
	if (rc != RATLS_OK)
		return ratls_fail(detail, rc,
				  "the token %s is not unpadded base64url (%zu characters); the "
				  "response is not an ITA token",
				  what, len);
	*out = json_loadb((const char *)raw, raw_size, JSON_REJECT_DUPLICATES, &error);
	free(raw);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token %s is not JSON: %s at position %d", what, error.text,
				  error.position);
	if (!json_is_object(*out))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "the token %s is not a JSON object",
				  what);
	return RATLS_OK;
}

/* Checks the header's alg, kid, typ and crit. */
static int check_header(struct ratls_ita_jwt *jwt, struct ratls_detail *detail)
{
	const json_t *alg = json_object_get(jwt->header, "alg");
	const json_t *kid = json_object_get(jwt->header, "kid");
	const json_t *typ = json_object_get(jwt->header, "typ");
	const char *name;

	if (!json_is_string(alg))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token header has no alg string; it is not an ITA token");
	name = json_string_value(alg);
	if (strcmp(name, "PS384") == 0) {
		jwt->alg = RATLS_ITA_ALG_PS384;
	} else if (strcmp(name, "RS256") == 0) {
		jwt->alg = RATLS_ITA_ALG_RS256;
	} else {
		/* "none", HMAC (HS*, which would take the public key as a secret) and EC are rejected. */
		return ratls_fail(detail, RATLS_ERR_QUOTE_SIGNATURE,
				  "the token header has alg \"%.32s\"; only PS384 and RS256, the "
				  "algorithms ITA signs with, are accepted",
				  name);
	}
	/* A critical extension would change how the token must be processed (RFC 7515 4.1.11). */
	if (json_object_get(jwt->header, "crit") != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token header has a crit member, which ITA tokens never carry");
	if (typ != NULL && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token header has a typ other than \"JWT\"");
	if (!json_is_string(kid) || json_string_length(kid) == 0 ||
	    json_string_length(kid) > RATLS_ITA_KID_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token header has no kid of 1 to %d characters, so its signing "
				  "key cannot be looked up in the JWKS",
				  RATLS_ITA_KID_MAX_LEN);
	jwt->kid = json_string_value(kid);
	return RATLS_OK;
}

int ratls_ita_jwt_parse(const char *token, size_t len, struct ratls_ita_jwt *jwt,
			struct ratls_detail *detail)
{
	const char *dot1, *dot2;
	size_t header_len, payload_len, signature_len;
	int rc;

	memset(jwt, 0, sizeof(*jwt));
	if (len > RATLS_ITA_RESPONSE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the token has %zu characters, above the limit of %d", len,
				  RATLS_ITA_RESPONSE_MAX_SIZE);
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the token is not a compact JWS of three parts separated by '.'");
	header_len = (size_t)(dot1 - token);
	payload_len = (size_t)(dot2 - dot1 - 1);
	signature_len = len - (size_t)(dot2 + 1 - token);

	rc = decode_json_part(token, header_len, JWT_HEADER_MAX_SIZE, "header", &jwt->header,
			      detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = check_header(jwt, detail)) != RATLS_OK)
		return rc;
	rc = decode_json_part(dot1 + 1, payload_len, RATLS_ITA_RESPONSE_MAX_SIZE, "claims set",
			      &jwt->claims, detail);
	if (rc != RATLS_OK)
		return rc;

	rc = ratls_ita_base64url_decode(dot2 + 1, signature_len, JWT_SIGNATURE_MAX_SIZE,
					&jwt->signature, &jwt->signature_size);
	if (rc != RATLS_OK || jwt->signature_size == 0)
		return ratls_fail(detail, rc == RATLS_OK ? RATLS_ERR_QUOTE_SIGNATURE : rc,
				  "the token signature is empty, not base64url, or longer than %d "
				  "bytes",
				  JWT_SIGNATURE_MAX_SIZE);
	jwt->signing_input = token;
	jwt->signing_input_len = (size_t)(dot2 - token);
	return RATLS_OK;
}

int ratls_ita_jwt_verify_signature(const struct ratls_ita_jwt *jwt, EVP_PKEY *key,
				   struct ratls_detail *detail)
{
	const char *alg = ratls_ita_alg_name(jwt->alg);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const char *digest = jwt->alg == RATLS_ITA_ALG_RS256 ? "SHA256" : "SHA384";
	int rc = RATLS_ERR_INTERNAL;
	int verified;

	if (ctx == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory verifying the token");
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, digest, NULL, NULL, key, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_QUOTE_SIGNATURE,
				     "the JWKS key cannot verify %s signatures", alg);
		goto out;
	}
	if (jwt->alg == RATLS_ITA_ALG_PS384) {
		/* RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash. */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest, NULL) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
					     "setting the PSS parameters failed");
			goto out;
		}
	} else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				     "setting the PKCS#1 v1.5 padding failed");
		goto out;
	}

	verified = EVP_DigestVerify(ctx, jwt->signature, jwt->signature_size,
				    (const unsigned char *)jwt->signing_input,
				    jwt->signing_input_len);
	if (verified != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_QUOTE_SIGNATURE,
				     "the token's %s signature does not verify with JWKS key \"%.100s\"; "
				     "the token was altered or not issued by ITA",
				     alg, jwt->kid);
		goto out;
	}
	rc = RATLS_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
