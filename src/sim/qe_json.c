/*
 * Enclave identity ("enclaveIdentity", version 2) in Intel's key order:
 *   id, version, issueDate, nextUpdate, tcbEvaluationDataNumber, miscselect,
 *   miscselectMask, attributes, attributesMask, mrsigner, isvprodid,
 *   tcbLevels [{tcb: {isvsvn}, tcbDate, tcbStatus, advisoryIDs}]
 * with upper-case hex, as Intel's PCS serves the QE and TD_QE identities.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "sim_internal.h"

/* Intel's published QE (SGX) and TD_QE MRSIGNER values. */
static const uint8_t qe_mrsigner[32] = {
	0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
	0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff,
};
static const uint8_t td_qe_mrsigner[32] = {
	0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
	0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5,
};

/* The advisory ID the defaults attach to the OutOfDate QE level; not an Intel advisory. */
static const char default_qe_advisory[] = "SIM-SA-00003";

const uint8_t *ratls_sim_qe_mrsigner(enum ratls_qe_identity_id id)
{
	return id == RATLS_QE_IDENTITY_TD_QE ? td_qe_mrsigner : qe_mrsigner;
}

void ratls_sim_qe_identity_defaults(struct ratls_sim_qe_identity_params *params,
				    enum ratls_qe_identity_id id, int64_t now)
{
	bool td = id == RATLS_QE_IDENTITY_TD_QE;
	uint16_t svn = td ? ratls_sim_default_td_qe_isv_svn : ratls_sim_default_qe_isv_svn;

	memset(params, 0, sizeof(*params));
	snprintf(params->id, sizeof(params->id), "%s", td ? "TD_QE" : "QE");
	params->version = 2;
	params->issue_date = now - 3600;
	params->next_update = now + 30 * 86400;
	params->tcb_evaluation_data_number = 18;
	params->miscselect = 0;
	params->miscselect_mask = 0xffffffffu;
	/* Intel's values: INIT and MODE64 required, DEBUG (bit 1) masked in and clear. */
	params->attributes[0] = 0x11;
	params->attributes_mask[0] = 0xfb;
	memset(params->attributes_mask + 1, 0xff, 7);
	memcpy(params->mrsigner, ratls_sim_qe_mrsigner(id), 32);
	params->isv_prod_id = td ? 2 : 1;

	params->levels[0].isv_svn = svn;
	params->levels[0].tcb_date = ratls_sim_tcb_date(now, 90);
	params->levels[0].status = RATLS_TCB_UP_TO_DATE;
	params->levels[1].isv_svn = (uint16_t)(svn - 2);
	params->levels[1].tcb_date = ratls_sim_tcb_date(now, 270);
	params->levels[1].status = RATLS_TCB_OUT_OF_DATE;
	ratls_sim_set_advisory(params->levels[1].advisory_ids[0], default_qe_advisory);
	params->levels[1].advisory_count = 1;
	params->level_count = 2;
}

static int check_params(const struct ratls_sim_qe_identity_params *p, struct ratls_detail *detail)
{
	char path[48]; /* "tcbLevels[" and a 20-digit index */
	int rc;

	if (strnlen(p->id, sizeof(p->id)) == sizeof(p->id))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "QE identity id is not NUL-terminated within %zu bytes",
				  sizeof(p->id));
	if (p->level_count > RATLS_SIM_ISV_LEVELS_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "QE identity level_count is %zu, at most %d", p->level_count,
				  RATLS_SIM_ISV_LEVELS_MAX);
	for (size_t i = 0; i < p->level_count; i++) {
		snprintf(path, sizeof(path), "tcbLevels[%zu]", i);
		rc = ratls_sim_check_advisories(p->levels[i].advisory_ids,
						p->levels[i].advisory_count, path, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/* Returns the 8 hex digits of v, most significant first, as Intel writes MISCSELECT. */
static json_t *hex_u32(uint32_t v)
{
	uint8_t bytes[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return ratls_sim_json_hex(bytes, sizeof(bytes), true);
}

int ratls_sim_qe_identity_json(const struct ratls_sim_qe_identity_params *params, char **json,
			       size_t *json_size, struct ratls_detail *detail)
{
	json_t *root = NULL;
	json_t *levels = NULL;
	bool ok;
	int rc;

	if (params == NULL || json == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params and json must not be NULL");
	if ((rc = check_params(params, detail)) != RATLS_OK)
		return rc;

	root = json_object();
	ok = ratls_sim_json_set(root, "id", json_string(params->id));
	ok = ok && ratls_sim_json_set(root, "version", json_integer(params->version));
	ok = ok && ratls_sim_json_set(root, "issueDate", ratls_sim_json_date(params->issue_date));
	ok = ok && ratls_sim_json_set(root, "nextUpdate", ratls_sim_json_date(params->next_update));
	ok = ok && ratls_sim_json_set(root, "tcbEvaluationDataNumber",
				      json_integer(params->tcb_evaluation_data_number));
	ok = ok && ratls_sim_json_set(root, "miscselect", hex_u32(params->miscselect));
	ok = ok && ratls_sim_json_set(root, "miscselectMask", hex_u32(params->miscselect_mask));
	ok = ok && ratls_sim_json_set(root, "attributes",
				      ratls_sim_json_hex(params->attributes, 16, true));
	ok = ok && ratls_sim_json_set(root, "attributesMask",
				      ratls_sim_json_hex(params->attributes_mask, 16, true));
	ok = ok && ratls_sim_json_set(root, "mrsigner",
				      ratls_sim_json_hex(params->mrsigner, 32, true));
	ok = ok && ratls_sim_json_set(root, "isvprodid", json_integer(params->isv_prod_id));

	levels = json_array();
	for (size_t i = 0; ok && i < params->level_count; i++) {
		json_t *level = ratls_sim_json_isv_level(&params->levels[i]);

		ok = json_array_append_new(levels, level) == 0;
	}
	ok = ratls_sim_json_set(root, "tcbLevels", levels) && ok;

	if (!ok)
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY,
				"out of memory building the QE identity");
	else
		rc = ratls_sim_json_dump(root, json, json_size, "the QE identity", detail);
	json_decref(root);
	return rc;
}

int ratls_sim_qe_identity_issue(const struct ratls_sim_qe_identity_params *params,
				const struct ratls_sim_cert *signer, uint8_t **body,
				size_t *body_size, struct ratls_detail *detail)
{
	char *json = NULL;
	size_t json_size = 0;
	int rc;

	if ((rc = ratls_sim_qe_identity_json(params, &json, &json_size, detail)) != RATLS_OK)
		return rc;
	rc = ratls_sim_sign_json(signer, "enclaveIdentity", (const uint8_t *)json, json_size, body,
				 body_size, detail);
	free(json);
	return rc;
}
