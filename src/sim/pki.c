/*
 * Certificates of the simulated PCK hierarchy, shaped like Intel's (read
 * from Intel's production certificates): ECDSA-with-SHA256, extensions in
 * the order AKI, CRL distribution points, SKI, key usage (critical), basic
 * constraints (critical), then the SGX extension on PCK certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "base/fail.h"
#include "sim_internal.h"

const uint8_t ratls_sim_default_fmspc[6] = {0x53, 0x49, 0x4d, 0x00, 0x00, 0x00}; /* "SIM" */
/* Shaped like a real TDX platform's CPUSVN; the PCK component SVNs are the same bytes. */
const uint8_t ratls_sim_default_cpu_svn[16] = {0x03, 0x03, 0x02, 0x02, 0x04, 0x01, 0x00, 0x05};
const uint16_t ratls_sim_default_pce_svn = 11;
/* TDX module SVN 3, major version 1 (module identity TDX_01), TDX late microcode SVN 2. */
const uint8_t ratls_sim_default_tee_tcb_svn[16] = {0x03, 0x01, 0x02};
const uint16_t ratls_sim_default_qe_isv_svn = 8;
const uint16_t ratls_sim_default_td_qe_isv_svn = 4;

/* The SGX extension of PCK certificates and its entries, 1.2.840.113741.1.13.1.<arc>. */
#define SGX_EXTENSION_OID "1.2.840.113741.1.13.1"

/*
 * A critical extension that no verifier recognises: a UUID-based OID under
 * 2.25 (ITU-T X.667), which anyone may use without registration.
 */
#define UNKNOWN_CRITICAL_OID "2.25.329800735698586629295641978511506172918"

static const int64_t one_day = 86400;
static const int64_t one_year = 365 * 86400;

void ratls_sim_pck_info_defaults(struct ratls_pck_info *pck)
{
	memset(pck, 0, sizeof(*pck));
	memcpy(pck->tcb_comp_svn, ratls_sim_default_cpu_svn, 16);
	pck->pce_svn = ratls_sim_default_pce_svn;
	memcpy(pck->cpu_svn, ratls_sim_default_cpu_svn, 16);
	memcpy(pck->fmspc, ratls_sim_default_fmspc, 6);
	pck->sgx_type = 1; /* Scalable, as TDX platforms report */
	pck->has_platform_instance_id = true;
	pck->has_configuration = true;
	pck->dynamic_platform = true;
	pck->cached_keys = true;
	pck->smt_enabled = true;
}

static const char *default_common_name(enum ratls_sim_cert_kind kind)
{
	switch (kind) {
	case RATLS_SIM_CERT_ROOT_CA:
		return "Simulated SGX Root CA";
	case RATLS_SIM_CERT_PLATFORM_CA:
		return "Intel SGX PCK Platform CA";
	case RATLS_SIM_CERT_PROCESSOR_CA:
		return "Intel SGX PCK Processor CA";
	case RATLS_SIM_CERT_TCB_SIGNING:
		return "Intel SGX TCB Signing";
	case RATLS_SIM_CERT_PCK:
		return "Intel SGX PCK Certificate";
	}
	return "Simulated certificate";
}

void ratls_sim_cert_defaults(struct ratls_sim_cert_params *params, enum ratls_sim_cert_kind kind,
			     int64_t now)
{
	bool ca = kind == RATLS_SIM_CERT_ROOT_CA || kind == RATLS_SIM_CERT_PLATFORM_CA ||
		  kind == RATLS_SIM_CERT_PROCESSOR_CA;

	memset(params, 0, sizeof(*params));
	params->kind = kind;
	params->not_before = now - one_day;
	params->not_after = now + (kind == RATLS_SIM_CERT_ROOT_CA ? 25 : 10) * one_year;
	snprintf(params->common_name, sizeof(params->common_name), "%s", default_common_name(kind));
	snprintf(params->organization, sizeof(params->organization), "ratls test PKI");
	snprintf(params->organizational_unit, sizeof(params->organizational_unit),
		 "Simulated platform, not issued by Intel");
	if (kind == RATLS_SIM_CERT_PCK)
		snprintf(params->crl_distribution_point, sizeof(params->crl_distribution_point),
			 "https://pcs.ratls-sim.invalid/sgx/certification/v4/"
			 "pckcrl?ca=platform&encoding=der");
	else
		snprintf(params->crl_distribution_point, sizeof(params->crl_distribution_point),
			 "https://certificates.ratls-sim.invalid/SimulatedSGXRootCA.der");
	if (ca) {
		params->key_usage =
			RATLS_SIM_KEY_USAGE_KEY_CERT_SIGN | RATLS_SIM_KEY_USAGE_CRL_SIGN;
		params->basic_constraints = RATLS_SIM_BASIC_CONSTRAINTS_CA;
		params->path_len = kind == RATLS_SIM_CERT_ROOT_CA ? 1 : 0;
	} else {
		params->key_usage = RATLS_SIM_KEY_USAGE_DIGITAL_SIGNATURE |
				    RATLS_SIM_KEY_USAGE_NON_REPUDIATION;
		params->basic_constraints = RATLS_SIM_BASIC_CONSTRAINTS_END_ENTITY;
		params->path_len = -1;
	}
	params->subject_key_id = true;
	params->authority_key_id = true;
	params->sgx_extension = kind == RATLS_SIM_CERT_PCK;
	ratls_sim_pck_info_defaults(&params->pck);
	if (kind != RATLS_SIM_CERT_PCK) {
		params->pck.has_platform_instance_id = false;
		params->pck.has_configuration = false;
	}
}

/* Hashes a domain label, one byte and the key's SubjectPublicKeyInfo. */
static int digest_with_key(const char *label, uint8_t extra, EVP_PKEY *pkey,
			   uint8_t out[SHA256_DIGEST_LENGTH], struct ratls_detail *detail)
{
	unsigned char *spki = NULL;
	int spki_len = i2d_PUBKEY(pkey, &spki);
	EVP_MD_CTX *md = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (spki_len <= 0)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL,
				       "encoding the SubjectPublicKeyInfo");
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, label, strlen(label)) != 1 ||
	    EVP_DigestUpdate(md, &extra, 1) != 1 ||
	    EVP_DigestUpdate(md, spki, (size_t)spki_len) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "computing SHA-256");
		goto out;
	}
	rc = RATLS_OK;

out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(spki);
	return rc;
}

static int set_serial(X509 *x, const struct ratls_sim_cert_params *params, EVP_PKEY *pkey,
		      struct ratls_detail *detail)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	const uint8_t *bytes = params->serial.bytes;
	size_t size = params->serial.size;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (size > RATLS_SIM_SERIAL_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "certificate serial is %zu bytes; RFC 5280 allows at most %d",
				  size, RATLS_SIM_SERIAL_MAX_SIZE);
	if (size == 0) {
		rc = digest_with_key("ratls-sim-serial:", (uint8_t)params->kind, pkey, digest,
				     detail);
		if (rc != RATLS_OK)
			return rc;
		/* Positive, and 20 bytes long in DER like Intel's serials. */
		digest[0] = (uint8_t)((digest[0] & 0x7f) | 0x40);
		bytes = digest;
		size = RATLS_SIM_SERIAL_MAX_SIZE;
	}
	bn = BN_bin2bn(bytes, (int)size, NULL);
	if (bn == NULL || (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, serial) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting the serial number");
		goto out;
	}
	rc = RATLS_OK;

out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

static int add_name_entry(X509_NAME *name, int nid, const char *value)
{
	if (value[0] == '\0')
		return 1;
	return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value,
					  -1, -1, 0);
}

/*
 * Builds the subject in Intel's order (CN, O, L, ST, C) with the OU after
 * O. MBSTRING_UTF8 under OpenSSL's default mask gives UTF8String, and the
 * country becomes a PrintableString, as in Intel's certificates.
 */
static int set_subject(X509 *x, const struct ratls_sim_cert_params *params,
		       struct ratls_detail *detail)
{
	X509_NAME *name = X509_NAME_new();
	int rc = RATLS_ERR_INTERNAL;

	if (name == NULL || add_name_entry(name, NID_commonName, params->common_name) != 1 ||
	    add_name_entry(name, NID_organizationName, params->organization) != 1 ||
	    add_name_entry(name, NID_organizationalUnitName, params->organizational_unit) != 1 ||
	    add_name_entry(name, NID_localityName, "Santa Clara") != 1 ||
	    add_name_entry(name, NID_stateOrProvinceName, "CA") != 1 ||
	    add_name_entry(name, NID_countryName, "US") != 1 ||
	    X509_set_subject_name(x, name) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INVALID_ARGUMENT,
				     "building the subject name (CN \"%.64s\")",
				     params->common_name);
		goto out;
	}
	rc = RATLS_OK;

out:
	X509_NAME_free(name);
	return rc;
}

static int set_validity(X509 *x, const struct ratls_sim_cert_params *params,
			struct ratls_detail *detail)
{
	ASN1_TIME *nb = NULL, *na = NULL;
	int rc;

	if ((rc = ratls_sim_asn1_time(params->not_before, &nb, "notBefore", detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_sim_asn1_time(params->not_after, &na, "notAfter", detail)) != RATLS_OK)
		goto out;
	if (X509_set1_notBefore(x, nb) != 1 || X509_set1_notAfter(x, na) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting the validity");
		goto out;
	}
	rc = RATLS_OK;

out:
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return rc;
}

/* Returns the SHA-1 key identifier of x's public key (RFC 5280 section 4.2.1.2, method 1). */
static ASN1_OCTET_STRING *key_identifier(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	ASN1_OCTET_STRING *id;

	if (X509_pubkey_digest(x, EVP_sha1(), md, &md_len) != 1)
		return NULL;
	id = ASN1_OCTET_STRING_new();
	if (id == NULL || ASN1_OCTET_STRING_set(id, md, (int)md_len) != 1) {
		ASN1_OCTET_STRING_free(id);
		return NULL;
	}
	return id;
}

int ratls_sim_authority_key_id(X509 *issuer, AUTHORITY_KEYID **out, struct ratls_detail *detail)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

	if (akid == NULL || (akid->keyid = key_identifier(issuer)) == NULL) {
		AUTHORITY_KEYID_free(akid);
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
				       "building the authority key identifier");
	}
	*out = akid;
	return RATLS_OK;
}

static int add_crl_distribution_point(X509 *x, const char *uri, struct ratls_detail *detail)
{
	CRL_DIST_POINTS *points = sk_DIST_POINT_new_null();
	DIST_POINT *point = DIST_POINT_new();
	GENERAL_NAME *name = GENERAL_NAME_new();
	ASN1_IA5STRING *text = ASN1_IA5STRING_new();
	int rc = RATLS_ERR_INTERNAL;

	if (points == NULL || point == NULL || name == NULL || text == NULL ||
	    ASN1_STRING_set(text, uri, -1) != 1 ||
	    (point->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (point->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
				     "building the CRL distribution point");
		goto out;
	}
	point->distpoint->type = 0; /* fullName */
	GENERAL_NAME_set0_value(name, GEN_URI, text);
	text = NULL; /* owned by name */
	if (sk_GENERAL_NAME_push(point->distpoint->name.fullname, name) <= 0) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	name = NULL; /* owned by point */
	if (sk_DIST_POINT_push(points, point) <= 0) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	point = NULL; /* owned by points */
	if (X509_add1_ext_i2d(x, NID_crl_distribution_points, points, 0, X509V3_ADD_APPEND) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
				     "adding the CRL distribution point");
		goto out;
	}
	rc = RATLS_OK;

out:
	ASN1_IA5STRING_free(text);
	GENERAL_NAME_free(name);
	DIST_POINT_free(point);
	CRL_DIST_POINTS_free(points);
	return rc;
}

static int add_key_usage(X509 *x, uint32_t usage, struct ratls_detail *detail)
{
	/* Bit numbers of RFC 5280 KeyUsage. */
	static const struct {
		uint32_t flag;
		int bit;
	} bits[] = {
		{RATLS_SIM_KEY_USAGE_DIGITAL_SIGNATURE, 0},
		{RATLS_SIM_KEY_USAGE_NON_REPUDIATION, 1},
		{RATLS_SIM_KEY_USAGE_KEY_CERT_SIGN, 5},
		{RATLS_SIM_KEY_USAGE_CRL_SIGN, 6},
	};
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int rc = RATLS_ERR_INTERNAL;

	if (ku == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if ((usage & bits[i].flag) && ASN1_BIT_STRING_set_bit(ku, bits[i].bit, 1) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "building the key usage");
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_APPEND) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "adding the key usage");
		goto out;
	}
	rc = RATLS_OK;

out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

static int add_basic_constraints(X509 *x, const struct ratls_sim_cert_params *params,
				 struct ratls_detail *detail)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int rc = RATLS_ERR_INTERNAL;

	if (bc == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if (params->basic_constraints == RATLS_SIM_BASIC_CONSTRAINTS_CA) {
		bc->ca = 0xff;
		if (params->path_len >= 0 &&
		    ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		     ASN1_INTEGER_set(bc->pathlen, params->path_len) != 1)) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
					     "setting pathLenConstraint");
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_APPEND) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "adding the basic constraints");
		goto out;
	}
	rc = RATLS_OK;

out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

static int add_key_identifiers(X509 *x, X509 *issuer, const struct ratls_sim_cert_params *params,
			       struct ratls_detail *detail)
{
	AUTHORITY_KEYID *akid = NULL;
	int rc;

	if (params->authority_key_id) {
		if ((rc = ratls_sim_authority_key_id(issuer, &akid, detail)) != RATLS_OK)
			return rc;
		rc = X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_APPEND);
		AUTHORITY_KEYID_free(akid);
		if (rc != 1)
			return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
					       "adding the authority key identifier");
	}
	return RATLS_OK;
}

static int add_subject_key_id(X509 *x, struct ratls_detail *detail)
{
	ASN1_OCTET_STRING *ski = key_identifier(x);
	int ok;

	if (ski == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
				       "computing the subject key identifier");
	ok = X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_APPEND);
	ASN1_OCTET_STRING_free(ski);
	if (ok != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY,
				       "adding the subject key identifier");
	return RATLS_OK;
}

/* Adds an extension with the given OID and raw DER value. */
static int add_raw_extension(X509 *x, const char *oid, bool critical, const uint8_t *der,
			     size_t der_size, struct ratls_detail *detail)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (obj == NULL || value == NULL || ASN1_OCTET_STRING_set(value, der, (int)der_size) != 1 ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical ? 1 : 0, value)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "adding extension %s", oid);
		goto out;
	}
	rc = RATLS_OK;

out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	ASN1_OBJECT_free(obj);
	return rc;
}

/* Fills a zero PPID and PlatformInstanceID with bytes derived from the subject key. */
static int complete_pck_info(struct ratls_pck_info *pck, EVP_PKEY *pkey,
			     struct ratls_detail *detail)
{
	static const uint8_t zero[16];
	uint8_t digest[SHA256_DIGEST_LENGTH];
	int rc;

	if (memcmp(pck->ppid, zero, 16) == 0) {
		if ((rc = digest_with_key("ratls-sim-ppid:", 0, pkey, digest, detail)) != RATLS_OK)
			return rc;
		memcpy(pck->ppid, digest, 16);
	}
	if (pck->has_platform_instance_id && memcmp(pck->platform_instance_id, zero, 16) == 0) {
		rc = digest_with_key("ratls-sim-platform-instance-id:", 0, pkey, digest, detail);
		if (rc != RATLS_OK)
			return rc;
		memcpy(pck->platform_instance_id, digest, 16);
	}
	return RATLS_OK;
}

static int add_extensions(X509 *x, X509 *issuer, const struct ratls_sim_cert_params *params,
			  EVP_PKEY *pkey, struct ratls_detail *detail)
{
	int rc;

	if ((rc = add_key_identifiers(x, issuer, params, detail)) != RATLS_OK)
		return rc;
	if (params->crl_distribution_point[0] != '\0' &&
	    (rc = add_crl_distribution_point(x, params->crl_distribution_point, detail)) !=
		    RATLS_OK)
		return rc;
	if (params->subject_key_id && (rc = add_subject_key_id(x, detail)) != RATLS_OK)
		return rc;
	if (params->key_usage != 0 &&
	    (rc = add_key_usage(x, params->key_usage, detail)) != RATLS_OK)
		return rc;
	if (params->basic_constraints != RATLS_SIM_BASIC_CONSTRAINTS_OMIT &&
	    (rc = add_basic_constraints(x, params, detail)) != RATLS_OK)
		return rc;

	if (params->sgx_extension) {
		struct ratls_pck_info pck = params->pck;
		uint8_t *der = NULL;
		size_t der_size = 0;

		if ((rc = complete_pck_info(&pck, pkey, detail)) != RATLS_OK)
			return rc;
		if ((rc = ratls_sim_sgx_extension_der(&pck, &der, &der_size, detail)) != RATLS_OK)
			return rc;
		rc = add_raw_extension(x, SGX_EXTENSION_OID, false, der, der_size, detail);
		free(der);
		if (rc != RATLS_OK)
			return rc;
	}
	if (params->unknown_critical_extension) {
		static const uint8_t der_null[] = {0x05, 0x00};

		rc = add_raw_extension(x, UNKNOWN_CRITICAL_OID, true, der_null, sizeof(der_null),
				       detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/* Requires every text field to be NUL-terminated within its array. */
static int check_text_fields(const struct ratls_sim_cert_params *params,
			     struct ratls_detail *detail)
{
	const struct {
		const char *name;
		const char *text;
		size_t size;
	} fields[] = {
		{"common_name", params->common_name, sizeof(params->common_name)},
		{"organization", params->organization, sizeof(params->organization)},
		{"organizational_unit", params->organizational_unit,
		 sizeof(params->organizational_unit)},
		{"crl_distribution_point", params->crl_distribution_point,
		 sizeof(params->crl_distribution_point)},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strnlen(fields[i].text, fields[i].size) == fields[i].size)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "certificate %s is not NUL-terminated within %zu bytes",
					  fields[i].name, fields[i].size);
	}
	return RATLS_OK;
}

int ratls_sim_cert_issue(const struct ratls_sim_cert_params *params,
			 const struct ratls_sim_key *subject_key,
			 const struct ratls_sim_cert *issuer, struct ratls_sim_cert **out,
			 struct ratls_detail *detail)
{
	struct ratls_sim_cert *cert = NULL;
	X509 *x = NULL;
	X509 *issuer_x509;
	EVP_PKEY *signing_key;
	int rc = RATLS_ERR_INTERNAL;

	if (params == NULL || subject_key == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params, subject_key and out must not be NULL");
	if ((rc = check_text_fields(params, detail)) != RATLS_OK)
		return rc;

	x = X509_new();
	cert = calloc(1, sizeof(*cert));
	if (x == NULL || cert == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(x, subject_key->pkey) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "creating the certificate");
		goto out;
	}
	if ((rc = set_serial(x, params, subject_key->pkey, detail)) != RATLS_OK)
		goto out;
	if ((rc = set_subject(x, params, detail)) != RATLS_OK)
		goto out;
	issuer_x509 = issuer != NULL ? issuer->x509 : x;
	signing_key = issuer != NULL ? issuer->key->pkey : subject_key->pkey;
	if (X509_set_issuer_name(x, X509_get_subject_name(issuer_x509)) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "setting the issuer name");
		goto out;
	}
	if ((rc = set_validity(x, params, detail)) != RATLS_OK)
		goto out;
	if ((rc = add_extensions(x, issuer_x509, params, subject_key->pkey, detail)) != RATLS_OK)
		goto out;
	if (X509_sign(x, signing_key, EVP_sha256()) <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "signing the certificate");
		goto out;
	}

	cert->key = ratls_sim_key_dup(subject_key);
	if (cert->key == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	cert->x509 = x;
	x = NULL; /* owned by cert */
	*out = cert;
	cert = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;

out:
	X509_free(x);
	ratls_sim_cert_free(cert);
	return rc;
}

void ratls_sim_cert_free(struct ratls_sim_cert *cert)
{
	if (cert == NULL)
		return;
	X509_free(cert->x509);
	ratls_sim_key_free(cert->key);
	free(cert);
}

const struct ratls_sim_key *ratls_sim_cert_key(const struct ratls_sim_cert *cert)
{
	return cert != NULL ? cert->key : NULL;
}

void ratls_sim_cert_get_serial(const struct ratls_sim_cert *cert, struct ratls_sim_serial *out)
{
	BIGNUM *bn;
	int n;

	memset(out, 0, sizeof(*out));
	if (cert == NULL)
		return;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->x509), NULL);
	if (bn == NULL)
		return;
	n = BN_num_bytes(bn);
	if (n > 0 && n <= RATLS_SIM_SERIAL_MAX_SIZE)
		out->size = (size_t)BN_bn2bin(bn, out->bytes);
	BN_free(bn);
}

/* Copies an OpenSSL allocation into a malloc'd buffer the caller frees with ratls_sim_free. */
static int copy_out(unsigned char *p, int len, uint8_t **der, size_t *der_size, const char *what,
		    struct ratls_detail *detail)
{
	if (len <= 0)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "encoding the %s", what);
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

int ratls_sim_cert_der(const struct ratls_sim_cert *cert, uint8_t **der, size_t *der_size,
		       struct ratls_detail *detail)
{
	unsigned char *p = NULL;
	int len;

	if (cert == NULL || der == NULL || der_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "cert, der and der_size must not be NULL");
	/* Encode first: in one call, the order of evaluating p and i2d_X509(..., &p) is unspecified. */
	len = i2d_X509(cert->x509, &p);
	return copy_out(p, len, der, der_size, "certificate", detail);
}

int ratls_sim_cert_tbs_der(const struct ratls_sim_cert *cert, uint8_t **der, size_t *der_size,
			   struct ratls_detail *detail)
{
	unsigned char *p = NULL;
	int len;

	if (cert == NULL || der == NULL || der_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "cert, der and der_size must not be NULL");
	len = i2d_re_X509_tbs(cert->x509, &p);
	return copy_out(p, len, der, der_size, "TBSCertificate", detail);
}

int ratls_sim_pem_encode(const char *label, const uint8_t *der, size_t der_size, char **pem,
			 size_t *pem_len, struct ratls_detail *detail)
{
	BIO *bio = NULL;
	char *data = NULL;
	long len;
	int rc = RATLS_ERR_INTERNAL;

	if (label == NULL || der == NULL || pem == NULL || der_size > INT32_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "label, der and pem must not be NULL and der at most 2 GiB");
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio(bio, label, "", der, (long)der_size) <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "writing PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "reading PEM text");
		goto out;
	}
	*pem = malloc((size_t)len + 1);
	if (*pem == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)len);
	(*pem)[len] = '\0';
	if (pem_len != NULL)
		*pem_len = (size_t)len;
	rc = RATLS_OK;

out:
	BIO_free(bio);
	return rc;
}

int ratls_sim_chain_pem(const struct ratls_sim_cert *const *certs, size_t count, char **pem,
			size_t *pem_len, struct ratls_detail *detail)
{
	struct ratls_sim_buf buf;
	uint8_t *out = NULL;
	size_t out_size = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (certs == NULL || count == 0 || pem == NULL)
		return ratls_fail(
			detail, RATLS_ERR_INVALID_ARGUMENT,
			"certs must hold at least one certificate and pem must not be NULL");
	/* A PEM P-256 certificate is under 2 KiB; the chain limit bounds the output. */
	ratls_sim_buf_init(&buf, RATLS_CHAIN_MAX_SIZE);
	for (size_t i = 0; i < count; i++) {
		uint8_t *der = NULL;
		size_t der_size = 0;
		char *one = NULL;

		if (certs[i] == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "certs[%zu] is NULL",
					i);
			goto out;
		}
		if ((rc = ratls_sim_cert_der(certs[i], &der, &der_size, detail)) != RATLS_OK)
			goto out;
		rc = ratls_sim_pem_encode("CERTIFICATE", der, der_size, &one, NULL, detail);
		free(der);
		if (rc != RATLS_OK)
			goto out;
		ratls_sim_buf_append_text(&buf, one);
		free(one);
	}
	if ((rc = ratls_sim_buf_finish(&buf, &out, &out_size, "PEM chain", detail)) != RATLS_OK)
		goto out;
	*pem = (char *)out;
	if (pem_len != NULL)
		*pem_len = out_size;
	rc = RATLS_OK;

out:
	ratls_sim_buf_free(&buf);
	return rc;
}
