/*
 * JSON output: every byte field as lowercase hex, every time as RFC 3339
 * UTC, statuses by Intel's names.
 *
 * Builders record an allocation failure in struct json_builder instead of
 * checking each call: json_object_set_new and json_array_append_new accept a
 * NULL value (from a failed allocation) and return -1, so one flag at the
 * end covers the whole document.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* Intel's QE vendor ID, 939a7233-f79c-4ca9-940a-0db3957f0607. */
static const uint8_t intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"

struct json_builder {
	bool failed;
};

static void put(struct json_builder *b, json_t *object, const char *key, json_t *value)
{
	if (json_object_set_new(object, key, value) != 0)
		b->failed = true;
}

static void append(struct json_builder *b, json_t *array, json_t *value)
{
	if (json_array_append_new(array, value) != 0)
		b->failed = true;
}

json_t *cli_hex_json(const uint8_t *data, size_t size)
{
	char *text;
	json_t *value;

	if (data == NULL)
		return json_null();
	text = malloc(2 * size + 1);
	if (text == NULL)
		return NULL;
	cli_hex_encode(data, size, text, 2 * size + 1);
	value = json_stringn(text, 2 * size);
	free(text);
	return value;
}

/*
 * Returns len bytes of text as a JSON string. jansson rejects invalid UTF-8,
 * which a message quoting a file name may contain, so such bytes become '?'.
 */
static json_t *text_json_n(const char *text, size_t len)
{
	json_t *value = json_stringn(text, len);
	char *copy;

	if (value != NULL)
		return value;
	copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)text[i] >= 0x80 || text[i] == '\0' ? '?' : text[i];
	copy[len] = '\0';
	value = json_stringn(copy, len);
	free(copy);
	return value;
}

static json_t *text_json(const char *text)
{
	return text_json_n(text, strlen(text));
}

/* Returns a NUL-padded fixed-size text field as a JSON string. */
static json_t *field_json(const char *field, size_t size)
{
	return text_json_n(field, strnlen(field, size));
}

static json_t *time_json(int64_t t)
{
	char text[CLI_TIME_TEXT_SIZE];

	cli_format_time(t, text);
	return json_string(text);
}

static json_t *status_json(enum ratls_tcb_status status)
{
	return json_string(ratls_tcb_status_name(status));
}

static void put_td_fields(struct json_builder *b, json_t *o, const struct ratls_td_report *td)
{
	put(b, o, "tee_tcb_svn", cli_hex_json(td->tee_tcb_svn, 16));
	put(b, o, "mr_seam", cli_hex_json(td->mr_seam, 48));
	put(b, o, "mr_signer_seam", cli_hex_json(td->mr_signer_seam, 48));
	put(b, o, "seam_attributes", cli_hex_json(td->seam_attributes, 8));
	put(b, o, "td_attributes", cli_hex_json(td->td_attributes, 8));
	put(b, o, "debug", json_boolean(cli_td_is_debug(td->td_attributes)));
	put(b, o, "xfam", cli_hex_json(td->xfam, 8));
	put(b, o, "mr_td", cli_hex_json(td->mr_td, 48));
	put(b, o, "mr_config_id", cli_hex_json(td->mr_config_id, 48));
	put(b, o, "mr_owner", cli_hex_json(td->mr_owner, 48));
	put(b, o, "mr_owner_config", cli_hex_json(td->mr_owner_config, 48));
	put(b, o, "rtmr0", cli_hex_json(td->rtmr[0], 48));
	put(b, o, "rtmr1", cli_hex_json(td->rtmr[1], 48));
	put(b, o, "rtmr2", cli_hex_json(td->rtmr[2], 48));
	put(b, o, "rtmr3", cli_hex_json(td->rtmr[3], 48));
	put(b, o, "report_data", cli_hex_json(td->report_data, 64));
	if (td->tee_tcb_svn2 != NULL)
		put(b, o, "tee_tcb_svn2", cli_hex_json(td->tee_tcb_svn2, 16));
	if (td->mr_servicetd != NULL)
		put(b, o, "mr_servicetd", cli_hex_json(td->mr_servicetd, 48));
}

static json_t *td_report_json(struct json_builder *b, const struct ratls_td_report *td)
{
	json_t *o = json_object();

	put_td_fields(b, o, td);
	return o;
}

static void put_sgx_fields(struct json_builder *b, json_t *o, const struct ratls_sgx_report *sgx)
{
	put(b, o, "cpu_svn", cli_hex_json(sgx->cpu_svn, 16));
	put(b, o, "misc_select", json_integer(sgx->misc_select));
	put(b, o, "isv_ext_prod_id", cli_hex_json(sgx->isv_ext_prod_id, 16));
	put(b, o, "attributes", cli_hex_json(sgx->attributes, 16));
	put(b, o, "debug", json_boolean(cli_sgx_is_debug(sgx->attributes)));
	put(b, o, "mr_enclave", cli_hex_json(sgx->mr_enclave, 32));
	put(b, o, "mr_signer", cli_hex_json(sgx->mr_signer, 32));
	put(b, o, "config_id", cli_hex_json(sgx->config_id, 64));
	put(b, o, "isv_prod_id", json_integer(sgx->isv_prod_id));
	put(b, o, "isv_svn", json_integer(sgx->isv_svn));
	put(b, o, "config_svn", json_integer(sgx->config_svn));
	put(b, o, "isv_family_id", cli_hex_json(sgx->isv_family_id, 16));
	put(b, o, "report_data", cli_hex_json(sgx->report_data, 64));
}

static json_t *sgx_report_json(struct json_builder *b, const struct ratls_sgx_report *sgx)
{
	json_t *o = json_object();

	put_sgx_fields(b, o, sgx);
	return o;
}

static json_t *quote_header_json(struct json_builder *b, const struct ratls_quote *q)
{
	json_t *o = json_object();

	put(b, o, "version", json_integer(q->version));
	put(b, o, "attestation_key_type", json_integer(q->att_key_type));
	put(b, o, "tee_type", json_integer(q->tee_type));
	put(b, o, "tee_type_name", json_string(cli_tee_type_name(q->tee_type)));
	put(b, o, "qe_svn", json_integer(q->qe_svn));
	put(b, o, "pce_svn", json_integer(q->pce_svn));
	put(b, o, "qe_vendor_id", cli_hex_json(q->qe_vendor_id, 16));
	put(b, o, "qe_vendor_is_intel",
	    json_boolean(memcmp(q->qe_vendor_id, intel_qe_vendor_id, 16) == 0));
	put(b, o, "user_data", cli_hex_json(q->user_data, 20));
	return o;
}

static json_t *quote_body_json(struct json_builder *b, const struct ratls_quote *q)
{
	json_t *o = json_object();

	put(b, o, "type", json_integer(q->body_type));
	put(b, o, "type_name", json_string(cli_body_type_name(q->body_type)));
	put(b, o, "size", json_integer(q->body_size));
	if (q->body_type == RATLS_BODY_SGX_ENCLAVE)
		put_sgx_fields(b, o, &q->sgx);
	else
		put_td_fields(b, o, &q->td);
	return o;
}

/* Counts the PEM certificates in the PCK chain of the quote. */
static size_t count_certificates(const uint8_t *pem, size_t size)
{
	size_t n = strlen(PEM_CERT_BEGIN), count = 0;

	for (size_t i = 0; i + n <= size; i++) {
		if (memcmp(pem + i, PEM_CERT_BEGIN, n) == 0)
			count++;
	}
	return count;
}

static json_t *pck_cert_data_json(struct json_builder *b, const struct ratls_quote *q)
{
	json_t *o = json_object();
	json_t *chain = json_object();
	const uint8_t *pem = NULL;
	size_t pem_size = 0;
	bool present = ratls_quote_pck_chain(q, &pem, &pem_size, NULL) == RATLS_OK;

	put(b, o, "type", json_integer(q->pck_cert_data_type));
	put(b, o, "type_name", json_string(cli_cert_data_type_name(q->pck_cert_data_type)));
	put(b, o, "size", json_integer(q->pck_cert_data_size));
	put(b, chain, "present", json_boolean(present));
	if (present) {
		put(b, chain, "size", json_integer((json_int_t)pem_size));
		put(b, chain, "certificates",
		    json_integer((json_int_t)count_certificates(pem, pem_size)));
	}
	put(b, o, "pck_chain_pem", chain);
	return o;
}

static json_t *signature_data_json(struct json_builder *b, const struct ratls_quote *q)
{
	json_t *o = json_object();
	json_t *cert = json_object();

	put(b, o, "size", json_integer(q->signature_data_size));
	put(b, o, "signature", cli_hex_json(q->signature, 64));
	put(b, o, "attestation_key", cli_hex_json(q->attestation_key, 64));
	put(b, cert, "type", json_integer(q->cert_data_type));
	put(b, cert, "type_name", json_string(cli_cert_data_type_name(q->cert_data_type)));
	put(b, cert, "size", json_integer(q->cert_data_size));
	put(b, o, "certification_data", cert);
	return o;
}

json_t *cli_quote_json(const struct ratls_quote *q, enum cli_quote_encoding encoding, size_t size)
{
	struct json_builder b = {false};
	json_t *root = json_object();
	json_t *trailing = json_object();

	put(&b, root, "encoding", json_string(cli_quote_encoding_name(encoding)));
	put(&b, root, "size", json_integer((json_int_t)size));
	put(&b, root, "header", quote_header_json(&b, q));
	put(&b, root, "body", quote_body_json(&b, q));
	put(&b, root, "signature_data", signature_data_json(&b, q));

	if (q->has_qe_report) {
		json_t *auth = json_object();

		put(&b, root, "qe_report", sgx_report_json(&b, &q->qe_report));
		put(&b, root, "qe_report_signature", cli_hex_json(q->qe_report_signature, 64));
		put(&b, auth, "size", json_integer(q->qe_auth_data_size));
		put(&b, auth, "data", cli_hex_json(q->qe_auth_data, q->qe_auth_data_size));
		put(&b, root, "qe_auth_data", auth);
	} else {
		put(&b, root, "qe_report", json_null());
	}
	put(&b, root, "pck_certification_data", pck_cert_data_json(&b, q));

	put(&b, trailing, "size", json_integer((json_int_t)q->trailing_size));
	put(&b, trailing, "all_zero", json_boolean(q->trailing_all_zero));
	put(&b, root, "trailing", trailing);

	if (b.failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Views of the copied report fields, so the quote's JSON builders serve both. */
static void td_view(const struct ratls_td_fields *f, struct ratls_td_report *v)
{
	memset(v, 0, sizeof(*v));
	v->tee_tcb_svn = f->tee_tcb_svn;
	v->mr_seam = f->mr_seam;
	v->mr_signer_seam = f->mr_signer_seam;
	v->seam_attributes = f->seam_attributes;
	v->td_attributes = f->td_attributes;
	v->xfam = f->xfam;
	v->mr_td = f->mr_td;
	v->mr_config_id = f->mr_config_id;
	v->mr_owner = f->mr_owner;
	v->mr_owner_config = f->mr_owner_config;
	for (int i = 0; i < 4; i++)
		v->rtmr[i] = f->rtmr[i];
	v->report_data = f->report_data;
	if (f->has_td15) {
		v->tee_tcb_svn2 = f->tee_tcb_svn2;
		v->mr_servicetd = f->mr_servicetd;
	}
}

static void sgx_view(const struct ratls_sgx_fields *f, struct ratls_sgx_report *v)
{
	memset(v, 0, sizeof(*v));
	v->cpu_svn = f->cpu_svn;
	v->misc_select = f->misc_select;
	v->isv_ext_prod_id = f->isv_ext_prod_id;
	v->attributes = f->attributes;
	v->mr_enclave = f->mr_enclave;
	v->mr_signer = f->mr_signer;
	v->config_id = f->config_id;
	v->isv_prod_id = f->isv_prod_id;
	v->isv_svn = f->isv_svn;
	v->config_svn = f->config_svn;
	v->isv_family_id = f->isv_family_id;
	v->report_data = f->report_data;
}

static json_t *pck_json(struct json_builder *b, const struct ratls_verified_report *r)
{
	json_t *o = json_object();

	put(b, o, "fmspc", cli_hex_json(r->pck.fmspc, 6));
	put(b, o, "pce_id", cli_hex_json(r->pck.pce_id, 2));
	put(b, o, "pce_svn", json_integer(r->pck.pce_svn));
	put(b, o, "cpu_svn", cli_hex_json(r->pck.cpu_svn, 16));
	put(b, o, "tcb_comp_svn", cli_hex_json(r->pck.tcb_comp_svn, 16));
	put(b, o, "sgx_type", json_string(cli_sgx_type_name(r->pck.sgx_type)));
	put(b, o, "ca_type", json_string(r->pck_from_platform_ca ? "platform" : "processor"));
	return o;
}

static json_t *report_json(struct json_builder *b, const struct ratls_verified_report *r)
{
	json_t *o = json_object();
	json_t *advisories = json_array();
	json_t *quote = json_object();

	put(b, o, "status", status_json(r->status));
	for (size_t i = 0; i < r->advisory_count && i < RATLS_REPORT_ADVISORIES_MAX; i++)
		append(b, advisories, field_json(r->advisory_ids[i], sizeof(r->advisory_ids[i])));
	put(b, o, "advisory_ids", advisories);
	put(b, o, "platform_status", status_json(r->platform_status));
	put(b, o, "platform_tcb_date", time_json(r->platform_tcb_date));
	if (r->has_module_status) {
		put(b, o, "module_status", status_json(r->module_status));
		put(b, o, "module_identity_id",
		    field_json(r->module_identity_id, sizeof(r->module_identity_id)));
	} else {
		put(b, o, "module_status", json_null());
		put(b, o, "module_identity_id", json_null());
	}
	put(b, o, "qe_status", status_json(r->qe_status));
	put(b, o, "qe_tcb_date", time_json(r->qe_tcb_date));
	put(b, o, "qe_isv_svn", json_integer(r->qe_isv_svn));
	put(b, o, "tcb_evaluation_data_number", json_integer(r->tcb_evaluation_data_number));
	put(b, o, "fmspc", cli_hex_json(r->pck.fmspc, 6));
	put(b, o, "ca_type", json_string(r->pck_from_platform_ca ? "platform" : "processor"));
	put(b, o, "pck", pck_json(b, r));

	put(b, quote, "version", json_integer(r->quote_version));
	put(b, quote, "tee_type", json_string(cli_tee_type_name(r->tee_type)));
	put(b, quote, "body_type", json_string(cli_body_type_name(r->body_type)));
	put(b, o, "quote", quote);
	if (r->body_type == RATLS_BODY_SGX_ENCLAVE) {
		struct ratls_sgx_report v;

		sgx_view(&r->sgx, &v);
		put(b, o, "sgx", sgx_report_json(b, &v));
	} else {
		struct ratls_td_report v;

		td_view(&r->td, &v);
		put(b, o, "td", td_report_json(b, &v));
	}

	put(b, o, "valid_from", time_json(r->valid_from));
	put(b, o, "valid_until", time_json(r->valid_until));
	put(b, o, "valid_until_source",
	    field_json(r->valid_until_source, sizeof(r->valid_until_source)));
	put(b, o, "trailing_size", json_integer((json_int_t)r->trailing_size));
	put(b, o, "custom_root", json_boolean(r->custom_root));
	return o;
}

static void put_error(struct json_builder *b, json_t *root, int code,
		      const struct ratls_detail *detail)
{
	put(b, root, "ok", json_false());
	put(b, root, "error", json_string(ratls_error_name(code)));
	put(b, root, "class", json_string(ratls_error_class_name(ratls_error_class(code))));
	put(b, root, "message", text_json(cli_detail_message(detail, code)));
}

json_t *cli_error_json(int code, const struct ratls_detail *detail)
{
	struct json_builder b = {false};
	json_t *root = json_object();

	put_error(&b, root, code, detail);
	if (b.failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}

json_t *cli_verify_json(const struct cli_verify_result *result)
{
	struct json_builder b = {false};
	json_t *root = json_object();

	if (result->code == RATLS_OK)
		put(&b, root, "ok", json_true());
	else
		put_error(&b, root, result->code, result->detail);
	put(&b, root, "verified_at", time_json(result->at));
	put(&b, root, "verifier", json_string(result->from_ita ? "ita" : "dcap"));
	if (result->failed_step != NULL)
		put(&b, root, "failed_step", json_string(result->failed_step));
	if (result->report != NULL) {
		put(&b, root, "report", report_json(&b, result->report));
		put(&b, root, "trailing_all_zero", json_boolean(result->trailing_all_zero));
	}
	if (result->evidence != NULL) {
		/* False for a failure, and for a certificate accepted under --allow-simulator. */
		put(&b, root, "attested",
		    json_boolean(result->code == RATLS_OK && result->evidence->evidence != NULL));
		put(&b, root, "evidence", cli_evidence_json(result->evidence));
	}

	if (b.failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static json_t *advisories_json(struct json_builder *b, const struct ratls_advisory_list *list)
{
	json_t *a = json_array();

	for (size_t i = 0; i < list->count; i++)
		append(b, a, text_json(list->ids[i]));
	return a;
}

static json_t *isv_levels_json(struct json_builder *b, const struct ratls_isv_level *levels,
			       size_t count)
{
	json_t *a = json_array();

	for (size_t i = 0; i < count; i++) {
		json_t *level = json_object();

		put(b, level, "isv_svn", json_integer(levels[i].isv_svn));
		put(b, level, "status", status_json(levels[i].status));
		put(b, level, "tcb_date", time_json(levels[i].tcb_date));
		put(b, level, "advisory_ids", advisories_json(b, &levels[i].advisories));
		append(b, a, level);
	}
	return a;
}

static json_t *tcb_levels_json(struct json_builder *b, const struct ratls_tcb_info *info)
{
	json_t *a = json_array();

	for (size_t i = 0; i < info->level_count; i++) {
		const struct ratls_tcb_level *l = &info->levels[i];
		json_t *level = json_object();

		put(b, level, "status", status_json(l->status));
		put(b, level, "tcb_date", time_json(l->tcb_date));
		put(b, level, "sgx_components", cli_hex_json(l->sgx_svn, 16));
		put(b, level, "pce_svn", json_integer(l->pce_svn));
		put(b, level, "tdx_components",
		    l->has_tdx_svn ? cli_hex_json(l->tdx_svn, 16) : json_null());
		put(b, level, "advisory_ids", advisories_json(b, &l->advisories));
		append(b, a, level);
	}
	return a;
}

static json_t *module_identities_json(struct json_builder *b, const struct ratls_tcb_info *info)
{
	json_t *a = json_array();

	for (size_t i = 0; i < info->module_identity_count; i++) {
		const struct ratls_tdx_module_identity *m = &info->module_identities[i];
		json_t *o = json_object();

		put(b, o, "id", field_json(m->id, sizeof(m->id)));
		put(b, o, "mrsigner", cli_hex_json(m->mrsigner, 48));
		put(b, o, "attributes", cli_hex_json(m->attributes, 8));
		put(b, o, "attributes_mask", cli_hex_json(m->attributes_mask, 8));
		put(b, o, "level_count", json_integer((json_int_t)m->level_count));
		put(b, o, "levels", isv_levels_json(b, m->levels, m->level_count));
		append(b, a, o);
	}
	return a;
}

json_t *cli_tcb_info_json(const struct ratls_tcb_info *info)
{
	struct json_builder b = {false};
	json_t *o = json_object();

	put(&b, o, "id", json_string(cli_tcb_info_id_name(info->id)));
	put(&b, o, "version", json_integer(info->version));
	put(&b, o, "issue_date", time_json(info->issue_date));
	put(&b, o, "next_update", time_json(info->next_update));
	put(&b, o, "fmspc", cli_hex_json(info->fmspc, 6));
	put(&b, o, "pce_id", cli_hex_json(info->pce_id, 2));
	put(&b, o, "tcb_type", json_integer(info->tcb_type));
	put(&b, o, "tcb_evaluation_data_number", json_integer(info->tcb_evaluation_data_number));
	if (info->has_tdx_module) {
		json_t *module = json_object();

		put(&b, module, "mrsigner", cli_hex_json(info->tdx_module_mrsigner, 48));
		put(&b, module, "attributes", cli_hex_json(info->tdx_module_attributes, 8));
		put(&b, module, "attributes_mask", cli_hex_json(info->tdx_module_attributes_mask, 8));
		put(&b, o, "tdx_module", module);
	} else {
		put(&b, o, "tdx_module", json_null());
	}
	put(&b, o, "tdx_module_identities", module_identities_json(&b, info));
	put(&b, o, "level_count", json_integer((json_int_t)info->level_count));
	put(&b, o, "levels", tcb_levels_json(&b, info));

	if (b.failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *cli_qe_identity_json(const struct ratls_qe_identity *identity)
{
	struct json_builder b = {false};
	json_t *o = json_object();
	char word[9];

	put(&b, o, "id", field_json(identity->id_text, sizeof(identity->id_text)));
	put(&b, o, "version", json_integer(identity->version));
	put(&b, o, "issue_date", time_json(identity->issue_date));
	put(&b, o, "next_update", time_json(identity->next_update));
	put(&b, o, "tcb_evaluation_data_number",
	    json_integer(identity->tcb_evaluation_data_number));
	if (snprintf(word, sizeof(word), "%08x", (unsigned)identity->miscselect) != 8)
		b.failed = true;
	put(&b, o, "miscselect", json_string(word));
	if (snprintf(word, sizeof(word), "%08x", (unsigned)identity->miscselect_mask) != 8)
		b.failed = true;
	put(&b, o, "miscselect_mask", json_string(word));
	put(&b, o, "attributes", cli_hex_json(identity->attributes, 16));
	put(&b, o, "attributes_mask", cli_hex_json(identity->attributes_mask, 16));
	put(&b, o, "mrsigner", cli_hex_json(identity->mrsigner, 32));
	put(&b, o, "isv_prod_id", json_integer(identity->isv_prod_id));
	put(&b, o, "level_count", json_integer((json_int_t)identity->level_count));
	put(&b, o, "levels", isv_levels_json(&b, identity->levels, identity->level_count));

	if (b.failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cli_print_json(json_t *root, struct ratls_detail *detail)
{
	int rc = RATLS_OK;

	if (root == NULL)
		return cli_fail(detail, RATLS_ERR_NO_MEMORY,
				"out of memory building the JSON output");
	if (json_dumpf(root, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF)
		rc = cli_fail(detail, RATLS_ERR_IO, "writing JSON to standard output failed");
	json_decref(root);
	return rc;
}
