/*
 * DER of the SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1),
 * laid out as Intel's PCK certificates carry it: a SEQUENCE of {OID, value}
 * entries for PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC,
 * SGX type and, for Platform CA certificates, PlatformInstanceID and
 * Configuration. Built with OpenSSL's ASN1_TYPE sequences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "base/fail.h"
#include "sim_internal.h"

/* Returns a value wrapping v, taking ownership of v; frees v and returns NULL on failure. */
static ASN1_TYPE *wrap(int type, void *v, void (*free_fn)(void *))
{
	ASN1_TYPE *t;

	if (v == NULL)
		return NULL;
	t = ASN1_TYPE_new();
	if (t == NULL) {
		free_fn(v);
		return NULL;
	}
	ASN1_TYPE_set(t, type, v);
	return t;
}

static void free_octets(void *p)
{
	ASN1_OCTET_STRING_free(p);
}

static void free_integer(void *p)
{
	ASN1_INTEGER_free(p);
}

static void free_enumerated(void *p)
{
	ASN1_ENUMERATED_free(p);
}

static void free_object(void *p)
{
	ASN1_OBJECT_free(p);
}

static void free_string(void *p)
{
	ASN1_STRING_free(p);
}

static ASN1_TYPE *octets(const uint8_t *data, size_t size)
{
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();

	if (s != NULL && ASN1_OCTET_STRING_set(s, data, (int)size) != 1) {
		ASN1_OCTET_STRING_free(s);
		s = NULL;
	}
	return wrap(V_ASN1_OCTET_STRING, s, free_octets);
}

static ASN1_TYPE *integer(long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();

	if (i != NULL && ASN1_INTEGER_set(i, v) != 1) {
		ASN1_INTEGER_free(i);
		i = NULL;
	}
	return wrap(V_ASN1_INTEGER, i, free_integer);
}

static ASN1_TYPE *enumerated(long v)
{
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

	if (e != NULL && ASN1_ENUMERATED_set(e, v) != 1) {
		ASN1_ENUMERATED_free(e);
		e = NULL;
	}
	return wrap(V_ASN1_ENUMERATED, e, free_enumerated);
}

static ASN1_TYPE *boolean(bool v)
{
	ASN1_TYPE *t = ASN1_TYPE_new();

	if (t != NULL && ASN1_TYPE_set1(t, V_ASN1_BOOLEAN, v ? (void *)1 : NULL) != 1) {
		ASN1_TYPE_free(t);
		t = NULL;
	}
	return t;
}

/* Encodes seq and returns it as a SEQUENCE value; frees seq in every case. */
static ASN1_TYPE *sequence(STACK_OF(ASN1_TYPE) *seq)
{
	unsigned char *der = NULL;
	int len;
	ASN1_STRING *s = NULL;

	if (seq == NULL)
		return NULL;
	len = i2d_ASN1_SEQUENCE_ANY(seq, &der);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	if (len <= 0)
		return NULL;
	s = ASN1_STRING_new();
	if (s != NULL && ASN1_STRING_set(s, der, len) != 1) {
		ASN1_STRING_free(s);
		s = NULL;
	}
	OPENSSL_free(der);
	return wrap(V_ASN1_SEQUENCE, s, free_string);
}

/*
 * Appends SEQUENCE {OID 1.2.840.113741.1.13.1<suffix>, value} to seq, taking
 * ownership of value. Returns false on failure.
 */
static bool push_entry(STACK_OF(ASN1_TYPE) *seq, const char *suffix, ASN1_TYPE *value)
{
	char oid[64];
	STACK_OF(ASN1_TYPE) *entry = NULL;
	ASN1_TYPE *object = NULL;
	ASN1_TYPE *encoded = NULL;

	if (value == NULL)
		return false;
	snprintf(oid, sizeof(oid), "1.2.840.113741.1.13.1%s", suffix);
	entry = sk_ASN1_TYPE_new_null();
	object = wrap(V_ASN1_OBJECT, OBJ_txt2obj(oid, 1), free_object);
	if (entry == NULL || object == NULL || sk_ASN1_TYPE_push(entry, object) <= 0) {
		ASN1_TYPE_free(object);
		ASN1_TYPE_free(value);
		sk_ASN1_TYPE_pop_free(entry, ASN1_TYPE_free);
		return false;
	}
	if (sk_ASN1_TYPE_push(entry, value) <= 0) {
		ASN1_TYPE_free(value);
		sk_ASN1_TYPE_pop_free(entry, ASN1_TYPE_free);
		return false;
	}
	encoded = sequence(entry);
	if (encoded == NULL || sk_ASN1_TYPE_push(seq, encoded) <= 0) {
		ASN1_TYPE_free(encoded);
		return false;
	}
	return true;
}

static ASN1_TYPE *tcb_value(const struct ratls_pck_info *pck)
{
	STACK_OF(ASN1_TYPE) *tcb = sk_ASN1_TYPE_new_null();
	char suffix[16];
	bool ok = tcb != NULL;

	for (int i = 0; ok && i < 16; i++) {
		snprintf(suffix, sizeof(suffix), ".2.%d", i + 1);
		ok = push_entry(tcb, suffix, integer(pck->tcb_comp_svn[i]));
	}
	ok = ok && push_entry(tcb, ".2.17", integer(pck->pce_svn));
	ok = ok && push_entry(tcb, ".2.18", octets(pck->cpu_svn, 16));
	if (!ok) {
		sk_ASN1_TYPE_pop_free(tcb, ASN1_TYPE_free);
		return NULL;
	}
	return sequence(tcb);
}

static ASN1_TYPE *configuration_value(const struct ratls_pck_info *pck)
{
	STACK_OF(ASN1_TYPE) *config = sk_ASN1_TYPE_new_null();
	bool ok = config != NULL;

	ok = ok && push_entry(config, ".7.1", boolean(pck->dynamic_platform));
	ok = ok && push_entry(config, ".7.2", boolean(pck->cached_keys));
	ok = ok && push_entry(config, ".7.3", boolean(pck->smt_enabled));
	if (!ok) {
		sk_ASN1_TYPE_pop_free(config, ASN1_TYPE_free);
		return NULL;
	}
	return sequence(config);
}

int ratls_sim_sgx_extension_der(const struct ratls_pck_info *pck, uint8_t **der,
				size_t *der_size, struct ratls_detail *detail)
{
	STACK_OF(ASN1_TYPE) *ext = sk_ASN1_TYPE_new_null();
	unsigned char *p = NULL;
	bool ok = ext != NULL;
	int len;

	ok = ok && push_entry(ext, ".1", octets(pck->ppid, 16));
	ok = ok && push_entry(ext, ".2", tcb_value(pck));
	ok = ok && push_entry(ext, ".3", octets(pck->pce_id, 2));
	ok = ok && push_entry(ext, ".4", octets(pck->fmspc, 6));
	ok = ok && push_entry(ext, ".5", enumerated(pck->sgx_type));
	if (pck->has_platform_instance_id)
		ok = ok && push_entry(ext, ".6", octets(pck->platform_instance_id, 16));
	if (pck->has_configuration)
		ok = ok && push_entry(ext, ".7", configuration_value(pck));
	len = ok ? i2d_ASN1_SEQUENCE_ANY(ext, &p) : 0;
	sk_ASN1_TYPE_pop_free(ext, ASN1_TYPE_free);
	if (len <= 0)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "encoding the SGX extension");

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
