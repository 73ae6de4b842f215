/*
 * Quote writer for DCAP quote versions 3, 4 and 5, in the layout that
 * ratls_quote_parse (src/quote/quote.c) reads and real quotes carry. All
 * integers are little-endian. The attestation key signs header || [v5
 * descriptor] || body, and the QE report signer (the PCK key) signs the
 * 384-byte QE report.
 */
#include <string.h>

#include <openssl/sha.h>

#include "base/fail.h"
#include "sim_internal.h"

/* Intel's QE vendor ID, 939A7233-F79C-4CA9-940A-0DB3957F0607. */
static const uint8_t intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* QE authentication data of real quotes: the 32 bytes 00 01 .. 1f. */
static const uint8_t default_qe_auth_data[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const char pem_end_line[] = "-----END CERTIFICATE-----";

static void default_qe_report(struct ratls_sim_sgx_report *qe, bool td)
{
	memset(qe, 0, sizeof(*qe));
	memcpy(qe->cpu_svn, ratls_sim_default_cpu_svn, 16);
	/* INIT, MODE64 and PROVISIONKEY; XFRM e7, as Intel's QEs report. */
	qe->attributes[0] = 0x15;
	qe->attributes[8] = 0xe7;
	memset(qe->mr_enclave, 0x51, 32); /* 'Q' */
	memcpy(qe->mr_signer,
	       ratls_sim_qe_mrsigner(td ? RATLS_QE_IDENTITY_TD_QE : RATLS_QE_IDENTITY_QE), 32);
	qe->isv_prod_id = td ? 2 : 1;
	qe->isv_svn = td ? ratls_sim_default_td_qe_isv_svn : ratls_sim_default_qe_isv_svn;
}

static void default_td_report(struct ratls_sim_td_report *td)
{
	memset(td, 0, sizeof(*td));
	memcpy(td->tee_tcb_svn, ratls_sim_default_tee_tcb_svn, 16);
	memset(td->mr_seam, 0x53, 48); /* 'S' */
	td->td_attributes[3] = 0x10;   /* SEPT_VE_DISABLE (bit 28) only */
	td->xfam[0] = 0xe7;
	td->xfam[1] = 0x02;
	td->xfam[2] = 0x06;
	memset(td->mr_td, 0x4d, 48); /* 'M' */
	for (int i = 0; i < 4; i++)
		memset(td->rtmr[i], 0x30 + i, 48); /* '0' to '3' */
	memcpy(td->tee_tcb_svn2, ratls_sim_default_tee_tcb_svn, 16);
}

static void default_sgx_report(struct ratls_sim_sgx_report *sgx)
{
	memset(sgx, 0, sizeof(*sgx));
	memcpy(sgx->cpu_svn, ratls_sim_default_cpu_svn, 16);
	sgx->attributes[0] = 0x05; /* INIT and MODE64, not DEBUG */
	sgx->attributes[8] = 0xe7;
	memset(sgx->mr_enclave, 0x45, 32); /* 'E' */
	memset(sgx->mr_signer, 0x53, 32);  /* 'S' */
}

void ratls_sim_quote_defaults(struct ratls_sim_quote_params *params,
			      enum ratls_sim_quote_format format)
{
	bool td = format != RATLS_SIM_QUOTE_SGX_V3;

	memset(params, 0, sizeof(*params));
	switch (format) {
	case RATLS_SIM_QUOTE_SGX_V3:
		params->header.version = 3;
		params->body_type = RATLS_BODY_SGX_ENCLAVE;
		break;
	case RATLS_SIM_QUOTE_TDX_V4:
		params->header.version = 4;
		params->body_type = RATLS_BODY_TD_REPORT10;
		break;
	case RATLS_SIM_QUOTE_TDX_V5_TD10:
		params->header.version = 5;
		params->body_type = RATLS_BODY_TD_REPORT10;
		break;
	case RATLS_SIM_QUOTE_TDX_V5_TD15:
		params->header.version = 5;
		params->body_type = RATLS_BODY_TD_REPORT15;
		break;
	}
	params->header.att_key_type = RATLS_ATT_KEY_ECDSA_P256;
	params->header.tee_type = td ? RATLS_TEE_TYPE_TDX : RATLS_TEE_TYPE_SGX;
	if (!td) {
		/* Version 3 headers carry the QE's ISVSVN and the PCESVN. */
		params->header.qe_svn = ratls_sim_default_qe_isv_svn;
		params->header.pce_svn = ratls_sim_default_pce_svn;
	}
	memcpy(params->header.qe_vendor_id, intel_qe_vendor_id, 16);
	for (int i = 0; i < 16; i++)
		params->header.user_data[i] = (uint8_t)(0xa0 + i); /* QE ID */

	default_td_report(&params->td);
	default_sgx_report(&params->sgx);
	default_qe_report(&params->qe_report, td);
	params->qe_auth_data = default_qe_auth_data;
	params->qe_auth_data_size = sizeof(default_qe_auth_data);
	params->outer_cert_data_type = RATLS_CERT_QE_REPORT;
	params->cert_data_type = RATLS_CERT_PCK_CHAIN;
}

/* Writes the 384-byte sgx_report_body_t; reserved ranges are zero. */
static void write_sgx_report(const struct ratls_sim_sgx_report *r, const uint8_t report_data[64],
			     uint8_t out[RATLS_SGX_REPORT_SIZE])
{
	memset(out, 0, RATLS_SGX_REPORT_SIZE);
	memcpy(out, r->cpu_svn, 16);
	out[16] = (uint8_t)r->misc_select;
	out[17] = (uint8_t)(r->misc_select >> 8);
	out[18] = (uint8_t)(r->misc_select >> 16);
	out[19] = (uint8_t)(r->misc_select >> 24);
	memcpy(out + 32, r->isv_ext_prod_id, 16);
	memcpy(out + 48, r->attributes, 16);
	memcpy(out + 64, r->mr_enclave, 32);
	memcpy(out + 128, r->mr_signer, 32);
	memcpy(out + 192, r->config_id, 64);
	out[256] = (uint8_t)r->isv_prod_id;
	out[257] = (uint8_t)(r->isv_prod_id >> 8);
	out[258] = (uint8_t)r->isv_svn;
	out[259] = (uint8_t)(r->isv_svn >> 8);
	out[260] = (uint8_t)r->config_svn;
	out[261] = (uint8_t)(r->config_svn >> 8);
	memcpy(out + 304, r->isv_family_id, 16);
	memcpy(out + 320, report_data, 64);
}

static void write_td_report(struct ratls_sim_buf *buf, const struct ratls_sim_td_report *td,
			    bool td15)
{
	ratls_sim_buf_append(buf, td->tee_tcb_svn, 16);
	ratls_sim_buf_append(buf, td->mr_seam, 48);
	ratls_sim_buf_append(buf, td->mr_signer_seam, 48);
	ratls_sim_buf_append(buf, td->seam_attributes, 8);
	ratls_sim_buf_append(buf, td->td_attributes, 8);
	ratls_sim_buf_append(buf, td->xfam, 8);
	ratls_sim_buf_append(buf, td->mr_td, 48);
	ratls_sim_buf_append(buf, td->mr_config_id, 48);
	ratls_sim_buf_append(buf, td->mr_owner, 48);
	ratls_sim_buf_append(buf, td->mr_owner_config, 48);
	for (int i = 0; i < 4; i++)
		ratls_sim_buf_append(buf, td->rtmr[i], 48);
	ratls_sim_buf_append(buf, td->report_data, 64);
	if (td15) {
		ratls_sim_buf_append(buf, td->tee_tcb_svn2, 16);
		ratls_sim_buf_append(buf, td->mr_servicetd, 48);
	}
}

/* Size of the body layout of a body type; unknown types have no layout. */
static uint32_t layout_size(uint16_t body_type)
{
	switch (body_type) {
	case RATLS_BODY_SGX_ENCLAVE:
		return RATLS_SGX_REPORT_SIZE;
	case RATLS_BODY_TD_REPORT10:
		return RATLS_TD10_REPORT_SIZE;
	case RATLS_BODY_TD_REPORT15:
		return RATLS_TD15_REPORT_SIZE;
	default:
		return 0;
	}
}

/* Writes header, v5 descriptor and body: the bytes the attestation key signs. */
static void write_signed_part(struct ratls_sim_buf *buf, const struct ratls_sim_quote_params *p)
{
	const struct ratls_sim_quote_header *h = &p->header;
	uint32_t size = layout_size(p->body_type);

	ratls_sim_buf_u16le(buf, h->version);
	ratls_sim_buf_u16le(buf, h->att_key_type);
	ratls_sim_buf_u32le(buf, h->tee_type);
	ratls_sim_buf_u16le(buf, h->qe_svn);
	ratls_sim_buf_u16le(buf, h->pce_svn);
	ratls_sim_buf_append(buf, h->qe_vendor_id, 16);
	ratls_sim_buf_append(buf, h->user_data, 20);

	if (h->version == 5) {
		ratls_sim_buf_u16le(buf, p->body_type);
		ratls_sim_buf_u32le(buf, p->body_size != 0 ? p->body_size : size);
	}

	switch (p->body_type) {
	case RATLS_BODY_SGX_ENCLAVE: {
		uint8_t raw[RATLS_SGX_REPORT_SIZE];

		write_sgx_report(&p->sgx, p->sgx.report_data, raw);
		ratls_sim_buf_append(buf, raw, sizeof(raw));
		break;
	}
	case RATLS_BODY_TD_REPORT10:
	case RATLS_BODY_TD_REPORT15:
		write_td_report(buf, &p->td, p->body_type == RATLS_BODY_TD_REPORT15);
		break;
	default:
		/* A body type without a layout: body_size zero bytes, for parser tests. */
		ratls_sim_buf_append_zeros(buf, p->body_size);
		break;
	}
}

/* Finds the PCK certification data to write, generating it from the PEM chain when needed. */
static int pck_cert_data(const struct ratls_sim_quote_params *p, const uint8_t **data,
			 size_t *size, struct ratls_detail *detail)
{
	const char *end;

	*data = p->cert_data;
	*size = p->cert_data_size;
	if (p->cert_data != NULL || p->cert_data_size != 0) {
		if (p->cert_data == NULL)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "cert_data is NULL with cert_data_size %zu",
					  p->cert_data_size);
		return RATLS_OK;
	}
	if (p->cert_data_type != RATLS_CERT_PCK_CHAIN && p->cert_data_type != RATLS_CERT_PCK_LEAF)
		return RATLS_OK; /* other generated types are empty */
	if (p->pck_chain_pem == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "certification data type %u needs pck_chain_pem or cert_data",
				  p->cert_data_type);

	*data = (const uint8_t *)p->pck_chain_pem;
	if (p->cert_data_type == RATLS_CERT_PCK_CHAIN) {
		/* Real quotes carry the chain with its terminating NUL. */
		*size = strlen(p->pck_chain_pem) + 1;
		return RATLS_OK;
	}
	end = strstr(p->pck_chain_pem, pem_end_line);
	if (end == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "pck_chain_pem has no \"%s\" line", pem_end_line);
	end += sizeof(pem_end_line) - 1;
	if (*end == '\n')
		end++;
	*size = (size_t)(end - p->pck_chain_pem);
	return RATLS_OK;
}

/* Computes SHA-256(attestation key X || Y || QE auth data) || 32 zero bytes. */
static int qe_binding(const uint8_t xy[64], const struct ratls_sim_quote_params *p,
		      uint8_t out[64], struct ratls_detail *detail)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = RATLS_OK;

	memset(out, 0, 64);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, xy, 64) != 1 ||
	    (p->qe_auth_data_size > 0 &&
	     EVP_DigestUpdate(md, p->qe_auth_data, p->qe_auth_data_size) != 1) ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "computing the QE report data");
	EVP_MD_CTX_free(md);
	return rc;
}

/* Writes QE report, its signature, auth data and the PCK certification data. */
static int write_qe_section(struct ratls_sim_buf *buf, const struct ratls_sim_quote_params *p,
			    const uint8_t xy[64], struct ratls_detail *detail)
{
	uint8_t report_data[64];
	uint8_t raw[RATLS_SGX_REPORT_SIZE];
	uint8_t signature[64];
	const uint8_t *cert = NULL;
	size_t cert_size = 0;
	int rc;

	if (p->qe_report_signer == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "qe_report_signer is NULL; pass the PCK key");
	if (p->qe_report_data_as_given)
		memcpy(report_data, p->qe_report.report_data, 64);
	else if ((rc = qe_binding(xy, p, report_data, detail)) != RATLS_OK)
		return rc;
	write_sgx_report(&p->qe_report, report_data, raw);
	if ((rc = ratls_sim_key_sign(p->qe_report_signer, raw, sizeof(raw), signature, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = pck_cert_data(p, &cert, &cert_size, detail)) != RATLS_OK)
		return rc;

	ratls_sim_buf_append(buf, raw, sizeof(raw));
	ratls_sim_buf_append(buf, signature, sizeof(signature));
	ratls_sim_buf_u16le(buf, (uint16_t)p->qe_auth_data_size);
	if (p->qe_auth_data_size > 0)
		ratls_sim_buf_append(buf, p->qe_auth_data, p->qe_auth_data_size);
	ratls_sim_buf_u16le(buf, p->cert_data_type);
	ratls_sim_buf_u32le(buf, (uint32_t)cert_size); /* cert_size is below the buffer limit */
	if (cert_size > 0)
		ratls_sim_buf_append(buf, cert, cert_size);
	return RATLS_OK;
}

/*
 * Writes the signature data after its size field: quote signature, key and
 * either the v3 QE section or the v4/v5 outer certification data.
 */
static int write_signature_data(struct ratls_sim_buf *buf, const struct ratls_sim_quote_params *p,
				const uint8_t signature[64], const uint8_t xy[64],
				struct ratls_detail *detail)
{
	const uint8_t *cert = NULL;
	size_t cert_size = 0;
	size_t outer_size_at;
	int rc;

	ratls_sim_buf_append(buf, signature, 64);
	ratls_sim_buf_append(buf, xy, 64);
	if (p->header.version == 3)
		return write_qe_section(buf, p, xy, detail);

	ratls_sim_buf_u16le(buf, p->outer_cert_data_type);
	outer_size_at = buf->size;
	ratls_sim_buf_u32le(buf, 0); /* patched below */
	if (p->outer_cert_data_type == RATLS_CERT_QE_REPORT) {
		if ((rc = write_qe_section(buf, p, xy, detail)) != RATLS_OK)
			return rc;
	} else {
		if ((rc = pck_cert_data(p, &cert, &cert_size, detail)) != RATLS_OK)
			return rc;
		if (cert_size > 0)
			ratls_sim_buf_append(buf, cert, cert_size);
	}
	/* The buffer limit, RATLS_SIM_QUOTE_MAX_SIZE, keeps every size below 2^32. */
	ratls_sim_buf_patch_u32le(buf, outer_size_at, (uint32_t)(buf->size - outer_size_at - 4));
	return RATLS_OK;
}

static int check_params(const struct ratls_sim_quote_params *p, struct ratls_detail *detail)
{
	if (p->attestation_key == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "attestation_key is NULL; the quote must be signed");
	if (p->qe_auth_data_size > UINT16_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "QE auth data is %zu bytes; its size field is 16 bits",
				  p->qe_auth_data_size);
	if (p->qe_auth_data_size > 0 && p->qe_auth_data == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "qe_auth_data is NULL with size %zu", p->qe_auth_data_size);
	if (p->cert_data_size > RATLS_SIM_QUOTE_MAX_SIZE ||
	    p->trailing_zero_bytes > RATLS_SIM_QUOTE_MAX_SIZE ||
	    (layout_size(p->body_type) == 0 && p->body_size > RATLS_SIM_QUOTE_MAX_SIZE))
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "a quote part exceeds RATLS_SIM_QUOTE_MAX_SIZE (%d bytes)",
				  RATLS_SIM_QUOTE_MAX_SIZE);
	return RATLS_OK;
}

int ratls_sim_quote_issue(const struct ratls_sim_quote_params *params, uint8_t **quote,
			  size_t *quote_size, struct ratls_detail *detail)
{
	struct ratls_sim_buf buf;
	uint8_t xy[64];
	uint8_t signature[64];
	size_t size_at;
	int rc;

	if (params == NULL || quote == NULL || quote_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params, quote and quote_size must not be NULL");
	if ((rc = check_params(params, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_sim_key_public_xy(params->attestation_key, xy, detail)) != RATLS_OK)
		return rc;

	ratls_sim_buf_init(&buf, RATLS_SIM_QUOTE_MAX_SIZE);
	write_signed_part(&buf, params);
	if (buf.failed)
		return ratls_sim_buf_finish(&buf, quote, quote_size, "quote", detail);
	rc = ratls_sim_key_sign(params->attestation_key, buf.data, buf.size, signature, detail);
	if (rc != RATLS_OK)
		goto out;

	size_at = buf.size;
	ratls_sim_buf_u32le(&buf, 0); /* patched below */
	if ((rc = write_signature_data(&buf, params, signature, xy, detail)) != RATLS_OK)
		goto out;
	if (!buf.failed)
		ratls_sim_buf_patch_u32le(&buf, size_at, (uint32_t)(buf.size - size_at - 4));
	ratls_sim_buf_append_zeros(&buf, params->trailing_zero_bytes);
	return ratls_sim_buf_finish(&buf, quote, quote_size, "quote", detail);

out:
	ratls_sim_buf_free(&buf);
	return rc;
}
