/*
 * The SGX extension of Intel PCK certificates (OID 1.2.840.113741.1.13.1),
 * as described in Intel's "SGX PCK Certificate and CRL Profile": a SEQUENCE
 * of {OID, value} pairs, the TCB entry nesting 18 more pairs and the
 * configuration entry 3 more.
 */
#include <string.h>

#include "base/der.h"
#include "base/fail.h"
#include "ratls/quote.h"

/* DER content of OID 1.2.840.113741.1.13.1; entries append one or two arcs. */
static const uint8_t sgx_ext_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

enum {
	ARC_PPID = 1,
	ARC_TCB = 2,
	ARC_PCE_ID = 3,
	ARC_FMSPC = 4,
	ARC_SGX_TYPE = 5,
	ARC_PLATFORM_INSTANCE_ID = 6,
	ARC_CONFIGURATION = 7
};

#define TCB_ARC_PCESVN 17
#define TCB_ARC_CPUSVN 18
#define CONFIG_ARC_DYNAMIC_PLATFORM 1
#define CONFIG_ARC_CACHED_KEYS 2
#define CONFIG_ARC_SMT_ENABLED 3

/*
 * Matches an OID content against the SGX extension OID followed by `depth`
 * single-byte arcs (all arcs used here are below 128) and stores them.
 */
static bool match_oid(const struct ratls_reader *oid, size_t depth, uint8_t arcs[2])
{
	size_t n = ratls_reader_remaining(oid);
	const uint8_t *p = oid->data + oid->offset;

	if (n != sizeof(sgx_ext_oid) + depth || memcmp(p, sgx_ext_oid, sizeof(sgx_ext_oid)) != 0)
		return false;
	for (size_t i = 0; i < depth; i++) {
		arcs[i] = p[sizeof(sgx_ext_oid) + i];
		if (arcs[i] & 0x80)
			return false;
	}
	return true;
}

/* Reads one {OID, value} entry; *value_tag and *value receive the value TLV. */
static int read_entry(struct ratls_reader *seq, struct ratls_reader *oid, uint8_t *value_tag,
		      struct ratls_reader *value)
{
	struct ratls_reader entry;
	int rc;

	if ((rc = ratls_der_expect(seq, RATLS_DER_SEQUENCE, &entry)) != RATLS_OK)
		return rc;
	if ((rc = ratls_der_expect(&entry, RATLS_DER_OID, oid)) != RATLS_OK)
		return rc;
	if ((rc = ratls_der_read(&entry, value_tag, value)) != RATLS_OK)
		return rc;
	return ratls_reader_remaining(&entry) == 0 ? RATLS_OK : RATLS_ERR_MALFORMED;
}

static int copy_octets(uint8_t tag, const struct ratls_reader *value, uint8_t *out, size_t size,
		       const char *name, struct ratls_detail *detail)
{
	size_t n = ratls_reader_remaining(value);

	if (tag != RATLS_DER_OCTET_STRING || n != size)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "PCK SGX extension: %s is %zu bytes with tag 0x%02x; expected an "
				  "OCTET STRING of %zu bytes",
				  name, n, tag, size);
	memcpy(out, value->data + value->offset, size);
	return RATLS_OK;
}

static int read_small_uint(uint8_t tag, uint8_t expected_tag, const struct ratls_reader *value,
			   uint32_t max, uint32_t *out, const char *name,
			   struct ratls_detail *detail)
{
	uint32_t v = 0;

	if (tag != expected_tag || ratls_der_uint32(value, &v) != RATLS_OK || v > max)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "PCK SGX extension: %s is not a DER integer between 0 and %u", name,
				  max);
	*out = v;
	return RATLS_OK;
}

static int parse_tcb(struct ratls_reader *value, struct ratls_pck_info *info,
		     struct ratls_detail *detail)
{
	uint32_t seen = 0; /* bit i set when TCB arc i has been read */
	int rc;

	while (ratls_reader_remaining(value) > 0) {
		struct ratls_reader oid, v;
		uint8_t tag = 0;
		uint8_t arcs[2];
		uint32_t svn = 0;

		if (read_entry(value, &oid, &tag, &v) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: TCB entry is not valid DER");
		if (!match_oid(&oid, 2, arcs) || arcs[0] != ARC_TCB)
			continue; /* an arc added by a later profile version */
		if (arcs[1] < 1 || arcs[1] > TCB_ARC_CPUSVN)
			continue;
		if (seen & (1u << arcs[1]))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: TCB arc %u appears twice", arcs[1]);
		seen |= 1u << arcs[1];

		if (arcs[1] == TCB_ARC_CPUSVN) {
			rc = copy_octets(tag, &v, info->cpu_svn, 16, "CPUSVN", detail);
		} else if (arcs[1] == TCB_ARC_PCESVN) {
			rc = read_small_uint(tag, RATLS_DER_INTEGER, &v, UINT16_MAX, &svn, "PCESVN",
					     detail);
			info->pce_svn = (uint16_t)svn;
		} else {
			rc = read_small_uint(tag, RATLS_DER_INTEGER, &v, UINT8_MAX, &svn,
					     "a TCB component SVN", detail);
			info->tcb_comp_svn[arcs[1] - 1] = (uint8_t)svn;
		}
		if (rc != RATLS_OK)
			return rc;
	}

	/* Arcs 1 to 18 must all be present. */
	if (seen != 0x7fffe)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "PCK SGX extension: TCB entry lacks some of its 18 fields "
				  "(present mask 0x%05x)",
				  seen);
	return RATLS_OK;
}

static int parse_configuration(struct ratls_reader *value, struct ratls_pck_info *info,
			       struct ratls_detail *detail)
{
	uint32_t seen = 0; /* bit i set when configuration arc i has been read */

	while (ratls_reader_remaining(value) > 0) {
		struct ratls_reader oid, v;
		uint8_t tag = 0;
		uint8_t arcs[2];
		bool flag;

		if (read_entry(value, &oid, &tag, &v) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: configuration entry is not valid DER");
		if (!match_oid(&oid, 2, arcs) || arcs[0] != ARC_CONFIGURATION)
			continue;
		if (arcs[1] < CONFIG_ARC_DYNAMIC_PLATFORM || arcs[1] > CONFIG_ARC_SMT_ENABLED)
			continue; /* an arc added by a later profile version */
		if (seen & (1u << arcs[1]))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: configuration arc %u appears twice", arcs[1]);
		seen |= 1u << arcs[1];

		if (tag != RATLS_DER_BOOLEAN || ratls_reader_remaining(&v) != 1 ||
		    (v.data[v.offset] != 0x00 && v.data[v.offset] != 0xff))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: configuration arc %u is not a DER "
					  "BOOLEAN",
					  arcs[1]);
		flag = v.data[v.offset] == 0xff;
		if (arcs[1] == CONFIG_ARC_DYNAMIC_PLATFORM)
			info->dynamic_platform = flag;
		else if (arcs[1] == CONFIG_ARC_CACHED_KEYS)
			info->cached_keys = flag;
		else if (arcs[1] == CONFIG_ARC_SMT_ENABLED)
			info->smt_enabled = flag;
	}
	info->has_configuration = true;
	return RATLS_OK;
}

int ratls_pck_info_parse(const uint8_t *der, size_t size, struct ratls_pck_info *out,
			 struct ratls_detail *detail)
{
	struct ratls_pck_info info;
	struct ratls_reader r, seq;
	uint32_t seen = 0;
	uint32_t sgx_type = 0;
	int rc;

	memset(&info, 0, sizeof(info));
	ratls_reader_init(&r, der, size);
	if (ratls_der_expect(&r, RATLS_DER_SEQUENCE, &seq) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "PCK SGX extension is not a DER SEQUENCE");
	if (ratls_reader_remaining(&r) != 0)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "PCK SGX extension has %zu bytes after its SEQUENCE",
				  ratls_reader_remaining(&r));

	while (ratls_reader_remaining(&seq) > 0) {
		struct ratls_reader oid, v;
		uint8_t tag = 0;
		uint8_t arcs[2];

		if (read_entry(&seq, &oid, &tag, &v) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: an entry is not valid DER");
		if (!match_oid(&oid, 1, arcs) || arcs[0] < ARC_PPID || arcs[0] > ARC_CONFIGURATION)
			continue;
		if (seen & (1u << arcs[0]))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension: entry %u appears twice", arcs[0]);
		seen |= 1u << arcs[0];

		switch (arcs[0]) {
		case ARC_PPID:
			rc = copy_octets(tag, &v, info.ppid, 16, "PPID", detail);
			break;
		case ARC_TCB:
			rc = tag == RATLS_DER_SEQUENCE
				     ? parse_tcb(&v, &info, detail)
				     : ratls_fail(detail, RATLS_ERR_MALFORMED,
						  "PCK SGX extension: TCB is not a SEQUENCE");
			break;
		case ARC_PCE_ID:
			rc = copy_octets(tag, &v, info.pce_id, 2, "PCE-ID", detail);
			break;
		case ARC_FMSPC:
			rc = copy_octets(tag, &v, info.fmspc, 6, "FMSPC", detail);
			break;
		case ARC_SGX_TYPE:
			rc = read_small_uint(tag, RATLS_DER_ENUMERATED, &v, 255, &sgx_type,
					     "SGX type", detail);
			info.sgx_type = sgx_type;
			break;
		case ARC_PLATFORM_INSTANCE_ID:
			rc = copy_octets(tag, &v, info.platform_instance_id, 16,
					 "PlatformInstanceID", detail);
			info.has_platform_instance_id = true;
			break;
		default: /* ARC_CONFIGURATION */
			rc = tag == RATLS_DER_SEQUENCE
				     ? parse_configuration(&v, &info, detail)
				     : ratls_fail(detail, RATLS_ERR_MALFORMED,
						  "PCK SGX extension: Configuration is not a SEQUENCE");
			break;
		}
		if (rc != RATLS_OK)
			return rc;
	}

	for (int arc = ARC_PPID; arc <= ARC_SGX_TYPE; arc++) {
		static const char *const names[] = {"", "PPID", "TCB", "PCE-ID", "FMSPC", "SGX type"};

		if (!(seen & (1u << arc)))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "PCK SGX extension lacks the required %s entry", names[arc]);
	}

	*out = info;
	return RATLS_OK;
}
