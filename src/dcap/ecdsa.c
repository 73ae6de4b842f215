/* ECDSA P-256 with the raw r || s signatures and X || Y keys of DCAP quotes and collateral. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base/fail.h"
#include "dcap_internal.h"

int ratls_p256_key_from_xy(const uint8_t xy[64], EVP_PKEY **out, struct ratls_detail *detail)
{
	uint8_t point[65];
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *key = NULL;
	int rc = RATLS_ERR_INTERNAL;

	point[0] = 0x04; /* uncompressed point */
	memcpy(point + 1, xy, 64);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
						      sizeof(point));
	params[2] = OSSL_PARAM_construct_end();

	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_MALFORMED,
				     "attestation key is not a valid P-256 point");
		goto out;
	}
	*out = key;
	key = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* Encodes r || s as a DER ECDSA-Sig-Value. */
static int raw_sig_to_der(const uint8_t sig[64], unsigned char **der, int *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL);
	BIGNUM *sv = BN_bin2bn(sig + 32, 32, NULL);
	int ok = 0;

	if (s != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(s, r, sv) == 1) {
		r = sv = NULL; /* owned by s */
		*der = NULL;
		*der_len = i2d_ECDSA_SIG(s, der);
		ok = *der_len > 0;
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return ok;
}

int ratls_ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t msg_size,
			   const uint8_t sig[64], int fail_code, const char *what,
			   struct ratls_detail *detail)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	int rc = RATLS_ERR_INTERNAL;
	int v;

	if (!raw_sig_to_der(sig, &der, &der_len)) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "%s: encoding the signature",
				     what);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "%s: setting up ECDSA", what);
		goto out;
	}
	v = EVP_DigestVerify(md, der, (size_t)der_len, msg, msg_size);
	if (v != 1) {
		ERR_clear_error();
		rc = ratls_fail(detail, fail_code,
				"%s does not verify (ECDSA P-256 with SHA-256 over %zu bytes)", what,
				msg_size);
		goto out;
	}
	rc = RATLS_OK;

out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return rc;
}
