/*
 * Self-signed certificates without attestation evidence, for a server that
 * runs without a quote source (the dstack simulator's behaviour). Clients
 * accept them only with allow_simulator.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/fail.h"
#include "net/tls_server.h"
#include "ratls/attest.h"

/* Bytes of random serial number; RFC 5280 allows up to 20. */
#define PLAIN_SERIAL_SIZE 16

static int set_fields(X509 *x509, EVP_PKEY *key, const char *common_name, int64_t not_before,
		      int64_t not_after, struct ratls_detail *detail)
{
	unsigned char serial[PLAIN_SERIAL_SIZE];
	BIGNUM *serial_bn = NULL;
	X509_NAME *name = X509_NAME_new();
	int rc = RATLS_ERR_INTERNAL;

	if (name == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full length */
	serial_bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (serial_bn == NULL || BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(x509)) == NULL)
		goto fail;
	if (X509_set_version(x509, X509_VERSION_3) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				       (const unsigned char *)common_name, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x509, name) != 1 || X509_set_issuer_name(x509, name) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x509), 0, 0, &(time_t){(time_t)not_before}) ==
		    NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x509), 0, 0, &(time_t){(time_t)not_after}) == NULL ||
	    X509_set_pubkey(x509, key) != 1)
		goto fail;
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot set the certificate fields");
out:
	BN_free(serial_bn);
	X509_NAME_free(name);
	return rc;
}

static int add_extensions(X509 *x509, const char *const *dns_names, size_t dns_name_count,
			  struct ratls_detail *detail)
{
	GENERAL_NAMES *names = NULL;
	X509_EXTENSION *usage = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
						    "critical,digitalSignature");
	X509_EXTENSION *eku = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "serverAuth");
	int rc = RATLS_ERR_INTERNAL;

	if (usage == NULL || eku == NULL || X509_add_ext(x509, usage, -1) != 1 ||
	    X509_add_ext(x509, eku, -1) != 1)
		goto fail;
	if (dns_name_count > 0) {
		names = sk_GENERAL_NAME_new_null();
		if (names == NULL)
			goto fail;
		for (size_t i = 0; i < dns_name_count; i++) {
			GENERAL_NAME *entry = GENERAL_NAME_new();
			ASN1_IA5STRING *text = ASN1_IA5STRING_new();

			if (entry == NULL || text == NULL ||
			    ASN1_STRING_set(text, dns_names[i], -1) != 1) {
				GENERAL_NAME_free(entry);
				ASN1_IA5STRING_free(text);
				goto fail;
			}
			GENERAL_NAME_set0_value(entry, GEN_DNS, text);
			if (sk_GENERAL_NAME_push(names, entry) <= 0) {
				GENERAL_NAME_free(entry);
				goto fail;
			}
		}
		if (X509_add1_ext_i2d(x509, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) !=
		    1)
			goto fail;
	}
	rc = RATLS_OK;
	goto out;
fail:
	rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot add the certificate extensions");
out:
	GENERAL_NAMES_free(names);
	X509_EXTENSION_free(eku);
	X509_EXTENSION_free(usage);
	return rc;
}

/* Writes key as PKCS#8 PEM into a new NUL-terminated buffer, through secure memory. */
static int export_key(EVP_PKEY *key, char **key_pem, size_t *key_pem_size,
		      struct ratls_detail *detail)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long size = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (bio == NULL || PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot write the private key");
		goto out;
	}
	size = BIO_get_mem_data(bio, &data);
	if (size <= 0 || data == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot write the private key");
		goto out;
	}
	*key_pem = malloc((size_t)size + 1);
	if (*key_pem == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*key_pem, data, (size_t)size);
	(*key_pem)[size] = '\0';
	*key_pem_size = (size_t)size;
	rc = RATLS_OK;
out:
	if (data != NULL && size > 0)
		OPENSSL_cleanse(data, (size_t)size);
	BIO_free(bio);
	return rc;
}

int ratls_net_plain_cert_issue(const char *common_name, const char *const *dns_names,
			       size_t dns_name_count, int64_t not_before, int64_t not_after,
			       uint8_t **cert_der, size_t *cert_der_size, char **key_pem,
			       size_t *key_pem_size, struct ratls_detail *detail)
{
	EVP_PKEY *key = NULL;
	X509 *x509 = NULL;
	unsigned char *der = NULL;
	int der_size;
	int rc = RATLS_ERR_INTERNAL;

	if (common_name == NULL || cert_der == NULL || cert_der_size == NULL || key_pem == NULL ||
	    key_pem_size == NULL || (dns_name_count > 0 && dns_names == NULL) ||
	    not_after <= not_before)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "a common name, outputs and notBefore < notAfter are required");
	*cert_der = NULL;
	*key_pem = NULL;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	x509 = X509_new();
	if (key == NULL || x509 == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot generate a P-256 key");
		goto out;
	}
	if ((rc = set_fields(x509, key, common_name, not_before, not_after, detail)) != RATLS_OK ||
	    (rc = add_extensions(x509, dns_names, dns_name_count, detail)) != RATLS_OK)
		goto out;
	if (X509_sign(x509, key, EVP_sha256()) <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot sign the certificate");
		goto out;
	}
	der_size = i2d_X509(x509, &der);
	if (der_size <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "cannot encode the certificate");
		goto out;
	}
	if ((rc = export_key(key, key_pem, key_pem_size, detail)) != RATLS_OK)
		goto out;
	*cert_der = malloc((size_t)der_size);
	if (*cert_der == NULL) {
		ratls_issue_free_key(*key_pem, *key_pem_size);
		*key_pem = NULL;
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*cert_der, der, (size_t)der_size);
	*cert_der_size = (size_t)der_size;
	rc = RATLS_OK;
out:
	OPENSSL_free(der);
	X509_free(x509);
	EVP_PKEY_free(key);
	return rc;
}
