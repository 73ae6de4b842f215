/*
 * Quote parser for DCAP quote versions 3 (SGX), 4 (SGX or TDX) and 5 (body
 * descriptor followed by an SGX, TD 1.0 or TD 1.5 body). Layouts follow
 * Intel's sgx_quote_3.h, sgx_quote_4.h and sgx_quote_5.h.
 */
#include <string.h>

#include "base/fail.h"
#include "base/reader.h"
#include "ratls/quote.h"

/* QE report certification data: QE report, its signature, auth data size, inner type and size. */
#define QE_REPORT_CERT_FIXED_SIZE (RATLS_SGX_REPORT_SIZE + 64 + 2 + 2 + 4)

static int fail_read(struct ratls_detail *detail, int rc, const char *field, size_t offset)
{
	return ratls_fail(detail, rc, "quote truncated while reading %s at offset %zu", field, offset);
}

/* Reads a view of n bytes or fails naming the field. */
#define READ_VIEW(r, n, out, field)                                                           \
	do {                                                                                  \
		size_t at_ = (r)->offset;                                                     \
		int rc_ = ratls_reader_bytes((r), (n), (out));                                \
		if (rc_ != RATLS_OK)                                                          \
			return fail_read(detail, rc_, (field), at_);                          \
	} while (0)

#define READ_INT(r, fn, out, field)                                                           \
	do {                                                                                  \
		size_t at_ = (r)->offset;                                                     \
		int rc_ = fn((r), (out));                                                     \
		if (rc_ != RATLS_OK)                                                          \
			return fail_read(detail, rc_, (field), at_);                          \
	} while (0)

static uint16_t u16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* Splits a 384-byte SGX report body (sgx_report_body_t) into its fields. */
static void split_sgx_report(const uint8_t *raw, struct ratls_sgx_report *rep)
{
	rep->raw = raw;
	rep->cpu_svn = raw;
	rep->misc_select = u32le(raw + 16);
	/* 20..32 reserved */
	rep->isv_ext_prod_id = raw + 32;
	rep->attributes = raw + 48;
	rep->mr_enclave = raw + 64;
	/* 96..128 reserved */
	rep->mr_signer = raw + 128;
	/* 160..192 reserved */
	rep->config_id = raw + 192;
	rep->isv_prod_id = u16le(raw + 256);
	rep->isv_svn = u16le(raw + 258);
	rep->config_svn = u16le(raw + 260);
	/* 262..304 reserved */
	rep->isv_family_id = raw + 304;
	rep->report_data = raw + 320;
}

/* Splits a TD report body (sgx_report2_body_t, or the v1.5 form when size is 648). */
static void split_td_report(const uint8_t *raw, size_t size, struct ratls_td_report *td)
{
	td->tee_tcb_svn = raw;
	td->mr_seam = raw + 16;
	td->mr_signer_seam = raw + 64;
	td->seam_attributes = raw + 112;
	td->td_attributes = raw + 120;
	td->xfam = raw + 128;
	td->mr_td = raw + 136;
	td->mr_config_id = raw + 184;
	td->mr_owner = raw + 232;
	td->mr_owner_config = raw + 280;
	for (int i = 0; i < 4; i++)
		td->rtmr[i] = raw + 328 + 48 * i;
	td->report_data = raw + 520;
	if (size == RATLS_TD15_REPORT_SIZE) {
		td->tee_tcb_svn2 = raw + 584;
		td->mr_servicetd = raw + 600;
	} else {
		td->tee_tcb_svn2 = NULL;
		td->mr_servicetd = NULL;
	}
}

static int parse_header(struct ratls_reader *r, struct ratls_quote *q, struct ratls_detail *detail)
{
	READ_INT(r, ratls_reader_u16le, &q->version, "header.version");
	READ_INT(r, ratls_reader_u16le, &q->att_key_type, "header.att_key_type");
	READ_INT(r, ratls_reader_u32le, &q->tee_type, "header.tee_type");
	READ_INT(r, ratls_reader_u16le, &q->qe_svn, "header.qe_svn");
	READ_INT(r, ratls_reader_u16le, &q->pce_svn, "header.pce_svn");
	READ_VIEW(r, 16, &q->qe_vendor_id, "header.qe_vendor_id");
	READ_VIEW(r, 20, &q->user_data, "header.user_data");

	if (q->version < 3 || q->version > 5)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "quote version %u is not supported; ratls reads versions 3, 4 and 5",
				  q->version);
	if (q->tee_type != RATLS_TEE_TYPE_SGX && q->tee_type != RATLS_TEE_TYPE_TDX)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "quote TEE type 0x%08x is neither SGX (0x00000000) nor TDX (0x00000081)",
				  q->tee_type);
	if (q->version == 3 && q->tee_type != RATLS_TEE_TYPE_SGX)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "quote version 3 carries TEE type 0x%08x; version 3 is SGX only",
				  q->tee_type);
	if (q->att_key_type != RATLS_ATT_KEY_ECDSA_P256)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_KEY_TYPE,
				  "quote attestation key type %u is not supported; only 2 "
				  "(ECDSA-256 with P-256) is",
				  q->att_key_type);
	return RATLS_OK;
}

static int parse_body(struct ratls_reader *r, struct ratls_quote *q, struct ratls_detail *detail)
{
	const uint8_t *body = NULL;

	if (q->version == 5) {
		READ_INT(r, ratls_reader_u16le, &q->body_type, "body descriptor type");
		READ_INT(r, ratls_reader_u32le, &q->body_size, "body descriptor size");
		switch (q->body_type) {
		case RATLS_BODY_SGX_ENCLAVE:
			if (q->body_size != RATLS_SGX_REPORT_SIZE)
				goto bad_size;
			break;
		case RATLS_BODY_TD_REPORT10:
			if (q->body_size != RATLS_TD10_REPORT_SIZE)
				goto bad_size;
			break;
		case RATLS_BODY_TD_REPORT15:
			if (q->body_size != RATLS_TD15_REPORT_SIZE)
				goto bad_size;
			break;
		default:
			return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
					  "quote v5 body type %u is not supported; known types are 1 "
					  "(SGX), 2 (TD report 1.0) and 3 (TD report 1.5)",
					  q->body_type);
		}
		if ((q->body_type == RATLS_BODY_SGX_ENCLAVE) != (q->tee_type == RATLS_TEE_TYPE_SGX))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "quote v5 body type %u does not match TEE type 0x%08x",
					  q->body_type, q->tee_type);
	} else if (q->tee_type == RATLS_TEE_TYPE_SGX) {
		q->body_type = RATLS_BODY_SGX_ENCLAVE;
		q->body_size = RATLS_SGX_REPORT_SIZE;
	} else {
		q->body_type = RATLS_BODY_TD_REPORT10;
		q->body_size = RATLS_TD10_REPORT_SIZE;
	}

	READ_VIEW(r, q->body_size, &body, "report body");
	if (q->body_type == RATLS_BODY_SGX_ENCLAVE)
		split_sgx_report(body, &q->sgx);
	else
		split_td_report(body, q->body_size, &q->td);
	return RATLS_OK;

bad_size:
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "quote v5 body type %u declares size %u, which is not that body's size",
			  q->body_type, q->body_size);
}

/* Reads a certification data entry: u16 type, u32 size, then size bytes. */
static int parse_cert_data(struct ratls_reader *r, const char *what, uint16_t *type, uint32_t *size,
			   const uint8_t **data, struct ratls_detail *detail)
{
	size_t at = r->offset;

	READ_INT(r, ratls_reader_u16le, type, what);
	READ_INT(r, ratls_reader_u32le, size, what);
	if (*size > ratls_reader_remaining(r))
		return ratls_fail(detail, RATLS_ERR_TRUNCATED,
				  "%s at offset %zu declares %u bytes but only %zu remain", what, at,
				  *size, ratls_reader_remaining(r));
	READ_VIEW(r, *size, data, what);
	return RATLS_OK;
}

/* QE report certification data (type 6 body, and the tail of v3 auth data). */
static int parse_qe_report_section(struct ratls_reader *r, struct ratls_quote *q,
				   const char *cert_what, struct ratls_detail *detail)
{
	const uint8_t *qe_raw = NULL;

	READ_VIEW(r, RATLS_SGX_REPORT_SIZE, &qe_raw, "QE report");
	split_sgx_report(qe_raw, &q->qe_report);
	READ_VIEW(r, 64, &q->qe_report_signature, "QE report signature");
	READ_INT(r, ratls_reader_u16le, &q->qe_auth_data_size, "QE authentication data size");
	if (q->qe_auth_data_size > ratls_reader_remaining(r))
		return ratls_fail(detail, RATLS_ERR_TRUNCATED,
				  "QE authentication data declares %u bytes but only %zu remain",
				  q->qe_auth_data_size, ratls_reader_remaining(r));
	READ_VIEW(r, q->qe_auth_data_size, &q->qe_auth_data, "QE authentication data");
	q->has_qe_report = true;
	return parse_cert_data(r, cert_what, &q->pck_cert_data_type, &q->pck_cert_data_size,
			       &q->pck_cert_data, detail);
}

static int expect_consumed(const struct ratls_reader *r, const char *what,
			   struct ratls_detail *detail)
{
	if (ratls_reader_remaining(r) != 0)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "%s has %zu bytes after its last field; its declared size must "
				  "match its content",
				  what, ratls_reader_remaining(r));
	return RATLS_OK;
}

static int parse_signature_data(struct ratls_reader *r, struct ratls_quote *q,
				struct ratls_detail *detail)
{
	struct ratls_reader sig;
	size_t at = r->offset;
	int rc;

	READ_INT(r, ratls_reader_u32le, &q->signature_data_size, "signature data size");
	if (q->signature_data_size > ratls_reader_remaining(r))
		return ratls_fail(detail, RATLS_ERR_TRUNCATED,
				  "signature data at offset %zu declares %u bytes but only %zu remain",
				  at, q->signature_data_size, ratls_reader_remaining(r));
	if ((rc = ratls_reader_sub(r, q->signature_data_size, &sig)) != RATLS_OK)
		return fail_read(detail, rc, "signature data", at);

	READ_VIEW(&sig, 64, &q->signature, "quote signature");
	READ_VIEW(&sig, 64, &q->attestation_key, "attestation key");

	if (q->version == 3) {
		/* v3: the QE report section follows directly (sgx_ql_ecdsa_sig_data_t). */
		if ((rc = parse_qe_report_section(&sig, q, "certification data", detail)) != RATLS_OK)
			return rc;
		q->cert_data_type = q->pck_cert_data_type;
		q->cert_data_size = q->pck_cert_data_size;
		q->cert_data = q->pck_cert_data;
		return expect_consumed(&sig, "signature data", detail);
	}

	if ((rc = parse_cert_data(&sig, "certification data", &q->cert_data_type, &q->cert_data_size,
				  &q->cert_data, detail)) != RATLS_OK)
		return rc;
	if ((rc = expect_consumed(&sig, "signature data", detail)) != RATLS_OK)
		return rc;

	if (q->cert_data_type == RATLS_CERT_QE_REPORT) {
		struct ratls_reader inner;

		ratls_reader_init(&inner, q->cert_data, q->cert_data_size);
		if (q->cert_data_size < QE_REPORT_CERT_FIXED_SIZE)
			return ratls_fail(detail, RATLS_ERR_TRUNCATED,
					  "QE report certification data has %u bytes; at least %d "
					  "are needed",
					  q->cert_data_size, QE_REPORT_CERT_FIXED_SIZE);
		if ((rc = parse_qe_report_section(&inner, q, "PCK certification data",
						  detail)) != RATLS_OK)
			return rc;
		return expect_consumed(&inner, "QE report certification data", detail);
	}

	/* Other outer types carry the PCK identification directly and no QE report. */
	q->pck_cert_data_type = q->cert_data_type;
	q->pck_cert_data_size = q->cert_data_size;
	q->pck_cert_data = q->cert_data;
	return RATLS_OK;
}

int ratls_quote_parse(const uint8_t *data, size_t size, struct ratls_quote *quote,
		      struct ratls_detail *detail)
{
	struct ratls_quote q;
	struct ratls_reader r;
	const uint8_t *rest = NULL;
	int rc;

	if (data == NULL || quote == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "quote data is NULL");
	if (size > RATLS_QUOTE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "quote is %zu bytes; the limit is %d bytes", size,
				  RATLS_QUOTE_MAX_SIZE);

	memset(&q, 0, sizeof(q));
	ratls_reader_init(&r, data, size);

	if ((rc = parse_header(&r, &q, detail)) != RATLS_OK)
		return rc;
	if ((rc = parse_body(&r, &q, detail)) != RATLS_OK)
		return rc;
	q.signed_data = data;
	q.signed_size = r.offset;
	if ((rc = parse_signature_data(&r, &q, detail)) != RATLS_OK)
		return rc;

	q.trailing_size = ratls_reader_remaining(&r);
	q.trailing_all_zero = true;
	if ((rc = ratls_reader_bytes(&r, q.trailing_size, &rest)) != RATLS_OK)
		return fail_read(detail, rc, "trailing bytes", r.offset);
	for (size_t i = 0; i < q.trailing_size; i++) {
		if (rest[i] != 0) {
			q.trailing_all_zero = false;
			break;
		}
	}

	*quote = q;
	return RATLS_OK;
}

bool ratls_quote_is_td(const struct ratls_quote *quote)
{
	return quote->body_type == RATLS_BODY_TD_REPORT10 ||
	       quote->body_type == RATLS_BODY_TD_REPORT15;
}

static const char *cert_type_name(uint16_t type)
{
	switch (type) {
	case RATLS_CERT_PPID_CLEARTEXT:
		return "PPID in clear text";
	case RATLS_CERT_PPID_RSA2048:
		return "PPID encrypted with RSA-2048-OAEP";
	case RATLS_CERT_PPID_RSA3072:
		return "PPID encrypted with RSA-3072-OAEP";
	case RATLS_CERT_PCK_LEAF:
		return "PCK leaf certificate";
	case RATLS_CERT_PCK_CHAIN:
		return "PCK certificate chain";
	case RATLS_CERT_QE_REPORT:
		return "QE report certification data";
	case RATLS_CERT_PLATFORM_MANIFEST:
		return "platform manifest";
	default:
		return "unknown type";
	}
}

int ratls_quote_pck_chain(const struct ratls_quote *quote, const uint8_t **pem, size_t *pem_size,
			  struct ratls_detail *detail)
{
	if (quote->pck_cert_data_type != RATLS_CERT_PCK_CHAIN)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_CERT_DATA,
				  "quote certification data type %u (%s) carries no PCK certificate "
				  "chain; only type 5 can be verified offline, or supply the chain "
				  "with the collateral (pck_certificate_chain)",
				  quote->pck_cert_data_type, cert_type_name(quote->pck_cert_data_type));
	*pem = quote->pck_cert_data;
	*pem_size = quote->pck_cert_data_size;
	return RATLS_OK;
}
