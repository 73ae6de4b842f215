/*
 * P-256 keys derived from a seed and a label, and raw r || s ECDSA signing.
 * The key is built through EVP_PKEY_fromdata from a scalar and the public
 * point computed with EC_POINT_mul, so no deprecated EC_KEY call is needed.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "base/fail.h"
#include "sim_internal.h"

/* Domain separation prefix of the HMAC message, so other uses of the seed never collide. */
static const char key_label_prefix[] = "ratls-sim-key:";

static int check_label(const char *label, struct ratls_detail *detail)
{
	size_t len;

	if (label == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "key label is NULL");
	len = strnlen(label, RATLS_SIM_LABEL_MAX_LEN + 1);
	if (len == 0 || len > RATLS_SIM_LABEL_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "key label has %zu characters, expected 1 to %d", len,
				  RATLS_SIM_LABEL_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)label[i] < 0x20 || (unsigned char)label[i] > 0x7e)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "key label has a non-printable byte 0x%02x at %zu; use "
					  "printable ASCII",
					  (unsigned char)label[i], i);
	}
	return RATLS_OK;
}

/* Computes the private scalar (HMAC-SHA256(seed, prefix || label) mod (n - 1)) + 1. */
static int derive_scalar(const uint8_t *seed, size_t seed_size, const char *label,
			 const EC_GROUP *group, BN_CTX *bn, BIGNUM **out,
			 struct ratls_detail *detail)
{
	uint8_t message[sizeof(key_label_prefix) - 1 + RATLS_SIM_LABEL_MAX_LEN];
	size_t prefix_len = sizeof(key_label_prefix) - 1;
	size_t label_len = strlen(label);
	uint8_t mac[32];
	unsigned int mac_len = 0;
	BIGNUM *h = NULL, *order_minus_one = NULL, *d = NULL;
	int rc = RATLS_ERR_INTERNAL;

	memcpy(message, key_label_prefix, prefix_len);
	memcpy(message + prefix_len, label, label_len);
	if (HMAC(EVP_sha256(), seed, (int)seed_size, message, prefix_len + label_len, mac,
		 &mac_len) == NULL ||
	    mac_len != sizeof(mac)) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				     "computing HMAC-SHA256 of the seed");
		goto out;
	}

	h = BN_bin2bn(mac, sizeof(mac), NULL);
	order_minus_one = BN_dup(EC_GROUP_get0_order(group));
	d = BN_secure_new();
	if (h == NULL || order_minus_one == NULL || d == NULL ||
	    BN_sub_word(order_minus_one, 1) != 1 || BN_nnmod(d, h, order_minus_one, bn) != 1 ||
	    BN_add_word(d, 1) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "reducing the key scalar");
		goto out;
	}
	*out = d;
	d = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	OPENSSL_cleanse(mac, sizeof(mac));
	BN_clear_free(h);
	BN_free(order_minus_one);
	BN_clear_free(d);
	return rc;
}

/* Builds an EVP_PKEY from the scalar d and its public point d * G. */
static int pkey_from_scalar(const EC_GROUP *group, const BIGNUM *d, BN_CTX *bn, EVP_PKEY **out,
			    struct ratls_detail *detail)
{
	EC_POINT *point = NULL;
	uint8_t pub[65];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	static const char group_name[] = "prime256v1";
	int rc = RATLS_ERR_INTERNAL;

	point = EC_POINT_new(group);
	if (point == NULL || EC_POINT_mul(group, point, d, NULL, NULL, bn) != 1 ||
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub),
			       bn) != sizeof(pub)) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "computing the public key");
		goto out;
	}

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "building the key parameters");
		goto out;
	}
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "creating the P-256 key");
		goto out;
	}
	*out = pkey;
	pkey = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	/* d is a secure BIGNUM, so its copy is in the block that OSSL_PARAM_free clears. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(point);
	return rc;
}

int ratls_sim_key_derive(const uint8_t *seed, size_t seed_size, const char *label,
			 struct ratls_sim_key **out, struct ratls_detail *detail)
{
	EC_GROUP *group = NULL;
	BN_CTX *bn = NULL;
	BIGNUM *d = NULL;
	struct ratls_sim_key *key = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || seed == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "seed and out must not be NULL");
	/* A seed of a few dozen bytes is ample key material; the bound keeps HMAC input sane. */
	if (seed_size == 0 || seed_size > RATLS_SIM_SEED_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "seed is %zu bytes, expected 1 to %d", seed_size,
				  RATLS_SIM_SEED_MAX_SIZE);
	if ((rc = check_label(label, detail)) != RATLS_OK)
		return rc;

	group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	bn = BN_CTX_secure_new();
	key = calloc(1, sizeof(*key));
	if (group == NULL || bn == NULL || key == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = derive_scalar(seed, seed_size, label, group, bn, &d, detail)) != RATLS_OK)
		goto out;
	if ((rc = pkey_from_scalar(group, d, bn, &key->pkey, detail)) != RATLS_OK)
		goto out;
	*out = key;
	key = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	ratls_sim_key_free(key);
	BN_clear_free(d);
	BN_CTX_free(bn);
	EC_GROUP_free(group);
	return rc;
}

struct ratls_sim_key *ratls_sim_key_dup(const struct ratls_sim_key *key)
{
	struct ratls_sim_key *copy = calloc(1, sizeof(*copy));

	if (copy == NULL)
		return NULL;
	if (EVP_PKEY_up_ref(key->pkey) != 1) {
		free(copy);
		return NULL;
	}
	copy->pkey = key->pkey;
	return copy;
}

void ratls_sim_key_free(struct ratls_sim_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private scalar when the last reference goes. */
	EVP_PKEY_free(key->pkey);
	free(key);
}

int ratls_sim_key_public_xy(const struct ratls_sim_key *key, uint8_t xy[64],
			    struct ratls_detail *detail)
{
	uint8_t point[65];
	size_t len = 0;

	if (key == NULL || xy == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "key and xy must not be NULL");
	if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
					    sizeof(point), &len) != 1 ||
	    len != sizeof(point) || point[0] != 0x04)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				       "reading the public key as an uncompressed point");
	memcpy(xy, point + 1, 64);
	return RATLS_OK;
}

int ratls_sim_key_spki_der(const struct ratls_sim_key *key, uint8_t **der, size_t *der_size,
			   struct ratls_detail *detail)
{
	unsigned char *p = NULL;
	int len;

	if (key == NULL || der == NULL || der_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "key, der and der_size must not be NULL");
	len = i2d_PUBKEY(key->pkey, &p);
	if (len <= 0)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				       "encoding the SubjectPublicKeyInfo");
	*der = malloc((size_t)len);
	if (*der == NULL) {
		OPENSSL_free(p);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	memcpy(*der, p, (size_t)len);
	*der_size = (size_t)len;
	OPENSSL_free(p);
	return RATLS_OK;
}

int ratls_sim_key_sign(const struct ratls_sim_key *key, const uint8_t *msg, size_t msg_size,
		       uint8_t signature[64], struct ratls_detail *detail)
{
	EVP_MD_CTX *md = NULL;
	unsigned char der[80]; /* a DER ECDSA-Sig-Value for P-256 is at most 72 bytes */
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r = NULL, *s = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (key == NULL || (msg == NULL && msg_size > 0) || signature == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "key, message and signature must not be NULL");
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key->pkey, NULL) != 1 ||
	    EVP_DigestSign(md, der, &der_len, msg, msg_size) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "ECDSA P-256 signing failed");
		goto out;
	}
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "decoding the ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, signature, 32) != 32 || BN_bn2binpad(s, signature + 32, 32) != 32) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				     "writing the signature as raw r || s");
		goto out;
	}
	rc = RATLS_OK;

out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}
