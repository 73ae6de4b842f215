/*
 * TCB info ("tcbInfo") in Intel's key order, as the PCS v3 (version 2) and
 * v4 (version 3) APIs serve it:
 *   id, version, issueDate, nextUpdate, fmspc, pceId, tcbType,
 *   tcbEvaluationDataNumber, tdxModule, tdxModuleIdentities, tcbLevels
 * with each level {tcb: {sgxtcbcomponents, pcesvn, tdxtcbcomponents},
 * tcbDate, tcbStatus, advisoryIDs}. Version 2 has no id and writes the
 * components as sgxtcbcomp01svn..sgxtcbcomp16svn before pcesvn. FMSPC and
 * PCE-ID are lower-case hex, the TDX module fields upper-case, as in real
 * TDX TCB info.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "sim_internal.h"

/* Intel's "category" and "type" labels on the components of real TDX TCB info. */
struct component_label {
	const char *category;
	const char *type;
};

static const struct component_label sgx_labels[16] = {
	{"BIOS", "Early Microcode Update"},
	{"OS/VMM", "SGX Late Microcode Update"},
	{"OS/VMM", "TXT SINIT"},
	{"BIOS", NULL},
	{"BIOS", NULL},
	{"BIOS", NULL},
	{NULL, NULL},
	{"OS/VMM", "SEAMLDR ACM"},
};

static const struct component_label tdx_labels[16] = {
	{"OS/VMM", "TDX Module"},
	{"OS/VMM", "TDX Module"},
	{"OS/VMM", "TDX Late Microcode Update"},
};

/* The advisory IDs the defaults attach to OutOfDate levels; not Intel advisories. */
static const char default_platform_advisory[] = "SIM-SA-00001";
static const char default_module_advisory[] = "SIM-SA-00002";

static void set_default_levels(struct ratls_sim_tcb_info_params *p, bool tdx, int64_t now)
{
	struct ratls_sim_tcb_level *up = &p->levels[0];
	struct ratls_sim_tcb_level *old = &p->levels[1];

	memcpy(up->sgx_svn, ratls_sim_default_cpu_svn, 16);
	up->pce_svn = ratls_sim_default_pce_svn;
	up->tcb_date = ratls_sim_tcb_date(now, 90);
	up->status = RATLS_TCB_UP_TO_DATE;
	if (tdx) {
		up->has_tdx_svn = true;
		memcpy(up->tdx_svn, ratls_sim_default_tee_tcb_svn, 16);
		/* The module identity matches bytes 0 and 1 (module SVN and version). */
		up->tdx_svn[1] = 0;
	}

	/* One SVN lower in the first SGX component (and the third TDX one). */
	*old = *up;
	old->sgx_svn[0]--;
	if (tdx)
		old->tdx_svn[2]--;
	old->tcb_date = ratls_sim_tcb_date(now, 270);
	old->status = RATLS_TCB_OUT_OF_DATE;
	ratls_sim_set_advisory(old->advisory_ids[0], default_platform_advisory);
	old->advisory_count = 1;
	p->level_count = 2;
}

static void set_default_module(struct ratls_sim_tcb_info_params *p, int64_t now)
{
	struct ratls_sim_module_identity *m = &p->module_identities[0];

	p->has_tdx_module = true;
	memset(p->tdx_module_attributes_mask, 0xff, 8);

	snprintf(m->id, sizeof(m->id), "TDX_%02X", ratls_sim_default_tee_tcb_svn[1]);
	memset(m->attributes_mask, 0xff, 8);
	m->levels[0].isv_svn = ratls_sim_default_tee_tcb_svn[0];
	m->levels[0].tcb_date = ratls_sim_tcb_date(now, 90);
	m->levels[0].status = RATLS_TCB_UP_TO_DATE;
	m->levels[1].isv_svn = 1;
	m->levels[1].tcb_date = ratls_sim_tcb_date(now, 270);
	m->levels[1].status = RATLS_TCB_OUT_OF_DATE;
	ratls_sim_set_advisory(m->levels[1].advisory_ids[0], default_module_advisory);
	m->levels[1].advisory_count = 1;
	m->level_count = 2;
	p->module_identity_count = 1;
}

void ratls_sim_tcb_info_defaults(struct ratls_sim_tcb_info_params *params,
				 enum ratls_tcb_info_id id, int64_t now)
{
	bool tdx = id == RATLS_TCB_INFO_TDX;

	memset(params, 0, sizeof(*params));
	params->id = id;
	params->version = 3;
	params->issue_date = now - 3600;
	params->next_update = now + 30 * 86400;
	memcpy(params->fmspc, ratls_sim_default_fmspc, 6);
	params->tcb_type = 0;
	params->tcb_evaluation_data_number = 18;
	params->component_details = tdx;
	set_default_levels(params, tdx, now);
	if (tdx)
		set_default_module(params, now);
}

static int check_params(const struct ratls_sim_tcb_info_params *p, struct ratls_detail *detail)
{
	char path[96]; /* room for two 20-digit indices */
	int rc;

	if (p->level_count > RATLS_SIM_TCB_LEVELS_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "TCB info level_count is %zu, at most %d", p->level_count,
				  RATLS_SIM_TCB_LEVELS_MAX);
	if (p->module_identity_count > RATLS_SIM_MODULE_IDENTITIES_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "TCB info module_identity_count is %zu, at most %d",
				  p->module_identity_count, RATLS_SIM_MODULE_IDENTITIES_MAX);
	for (size_t i = 0; i < p->level_count; i++) {
		snprintf(path, sizeof(path), "tcbLevels[%zu]", i);
		rc = ratls_sim_check_advisories(p->levels[i].advisory_ids,
						p->levels[i].advisory_count, path, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	for (size_t i = 0; i < p->module_identity_count; i++) {
		const struct ratls_sim_module_identity *m = &p->module_identities[i];

		if (strnlen(m->id, sizeof(m->id)) == sizeof(m->id))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "module identity %zu id is not NUL-terminated", i);
		if (m->level_count > RATLS_SIM_ISV_LEVELS_MAX)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "module identity %zu level_count is %zu, at most %d", i,
					  m->level_count, RATLS_SIM_ISV_LEVELS_MAX);
		for (size_t j = 0; j < m->level_count; j++) {
			snprintf(path, sizeof(path), "tdxModuleIdentities[%zu].tcbLevels[%zu]", i,
				 j);
			rc = ratls_sim_check_advisories(m->levels[j].advisory_ids,
							m->levels[j].advisory_count, path, detail);
			if (rc != RATLS_OK)
				return rc;
		}
	}
	return RATLS_OK;
}

static json_t *component_array(const uint8_t svn[16], const struct component_label *labels)
{
	json_t *array = json_array();

	for (size_t i = 0; i < 16 && array != NULL; i++) {
		json_t *c = json_object();
		bool ok = ratls_sim_json_set(c, "svn", json_integer(svn[i]));

		if (labels != NULL && labels[i].category != NULL)
			ok = ok && ratls_sim_json_set(c, "category",
						      json_string(labels[i].category));
		if (labels != NULL && labels[i].type != NULL)
			ok = ok && ratls_sim_json_set(c, "type", json_string(labels[i].type));
		if (!ok || json_array_append_new(array, c) != 0) {
			if (ok)
				c = NULL; /* json_array_append_new released it */
			json_decref(c);
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}

static json_t *level_tcb(const struct ratls_sim_tcb_info_params *p,
			 const struct ratls_sim_tcb_level *level)
{
	json_t *tcb = json_object();
	bool ok = tcb != NULL;

	if (p->version == 2) {
		for (int i = 0; ok && i < 16; i++) {
			char key[20];

			snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
			ok = ratls_sim_json_set(tcb, key, json_integer(level->sgx_svn[i]));
		}
		ok = ok && ratls_sim_json_set(tcb, "pcesvn", json_integer(level->pce_svn));
	} else {
		const struct component_label *sgx = p->component_details ? sgx_labels : NULL;
		const struct component_label *tdx = p->component_details ? tdx_labels : NULL;

		ok = ok && ratls_sim_json_set(tcb, "sgxtcbcomponents",
					      component_array(level->sgx_svn, sgx));
		ok = ok && ratls_sim_json_set(tcb, "pcesvn", json_integer(level->pce_svn));
		if (level->has_tdx_svn)
			ok = ok && ratls_sim_json_set(tcb, "tdxtcbcomponents",
						      component_array(level->tdx_svn, tdx));
	}
	if (!ok) {
		json_decref(tcb);
		return NULL;
	}
	return tcb;
}

static json_t *tcb_levels(const struct ratls_sim_tcb_info_params *p)
{
	json_t *array = json_array();

	for (size_t i = 0; i < p->level_count && array != NULL; i++) {
		const struct ratls_sim_tcb_level *level = &p->levels[i];
		json_t *obj = json_object();
		bool ok;

		ok = ratls_sim_json_set(obj, "tcb", level_tcb(p, level));
		ok = ok && ratls_sim_json_set(obj, "tcbDate", ratls_sim_json_date(level->tcb_date));
		ok = ok && ratls_sim_json_set(obj, "tcbStatus",
					      json_string(ratls_tcb_status_name(level->status)));
		ok = ok && ratls_sim_json_set_advisories(obj, level->advisory_ids,
							 level->advisory_count);
		if (!ok || json_array_append_new(array, obj) != 0) {
			if (ok)
				obj = NULL; /* json_array_append_new released it */
			json_decref(obj);
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}

/* Adds mrsigner, attributes and attributesMask, shared by tdxModule and module identities. */
static bool set_module_fields(json_t *obj, const uint8_t mrsigner[48], const uint8_t attributes[8],
			      const uint8_t mask[8])
{
	bool ok = ratls_sim_json_set(obj, "mrsigner", ratls_sim_json_hex(mrsigner, 48, true));

	ok = ok && ratls_sim_json_set(obj, "attributes", ratls_sim_json_hex(attributes, 8, true));
	return ok && ratls_sim_json_set(obj, "attributesMask", ratls_sim_json_hex(mask, 8, true));
}

static json_t *module_identities(const struct ratls_sim_tcb_info_params *p)
{
	json_t *array = json_array();

	for (size_t i = 0; i < p->module_identity_count && array != NULL; i++) {
		const struct ratls_sim_module_identity *m = &p->module_identities[i];
		json_t *obj = json_object();
		json_t *levels = json_array();
		bool ok;

		ok = ratls_sim_json_set(obj, "id", json_string(m->id));
		ok = ok && set_module_fields(obj, m->mrsigner, m->attributes, m->attributes_mask);
		for (size_t j = 0; ok && j < m->level_count; j++)
			ok = json_array_append_new(levels,
						   ratls_sim_json_isv_level(&m->levels[j])) == 0;
		ok = ratls_sim_json_set(obj, "tcbLevels", levels) && ok;
		if (!ok || json_array_append_new(array, obj) != 0) {
			if (ok)
				obj = NULL; /* json_array_append_new released it */
			json_decref(obj);
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}

int ratls_sim_tcb_info_json(const struct ratls_sim_tcb_info_params *params, char **json,
			    size_t *json_size, struct ratls_detail *detail)
{
	json_t *root = NULL;
	bool v3;
	bool ok;
	int rc;

	if (params == NULL || json == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "params and json must not be NULL");
	if ((rc = check_params(params, detail)) != RATLS_OK)
		return rc;
	v3 = params->version != 2;

	root = json_object();
	ok = root != NULL;
	if (v3)
		ok = ok && ratls_sim_json_set(root, "id",
					      json_string(params->id == RATLS_TCB_INFO_TDX ? "TDX"
											  : "SGX"));
	ok = ok && ratls_sim_json_set(root, "version", json_integer(params->version));
	ok = ok && ratls_sim_json_set(root, "issueDate", ratls_sim_json_date(params->issue_date));
	ok = ok && ratls_sim_json_set(root, "nextUpdate", ratls_sim_json_date(params->next_update));
	ok = ok && ratls_sim_json_set(root, "fmspc", ratls_sim_json_hex(params->fmspc, 6, false));
	ok = ok && ratls_sim_json_set(root, "pceId", ratls_sim_json_hex(params->pce_id, 2, false));
	ok = ok && ratls_sim_json_set(root, "tcbType", json_integer(params->tcb_type));
	ok = ok && ratls_sim_json_set(root, "tcbEvaluationDataNumber",
				      json_integer(params->tcb_evaluation_data_number));
	if (v3 && params->has_tdx_module) {
		json_t *module = json_object();

		ok = ok && set_module_fields(module, params->tdx_module_mrsigner,
					     params->tdx_module_attributes,
					     params->tdx_module_attributes_mask);
		ok = ratls_sim_json_set(root, "tdxModule", module) && ok;
	}
	if (v3 && params->module_identity_count > 0)
		ok = ok && ratls_sim_json_set(root, "tdxModuleIdentities",
					      module_identities(params));
	ok = ok && ratls_sim_json_set(root, "tcbLevels", tcb_levels(params));

	if (!ok)
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building the TCB info");
	else
		rc = ratls_sim_json_dump(root, json, json_size, "the TCB info", detail);
	json_decref(root);
	return rc;
}

int ratls_sim_tcb_info_issue(const struct ratls_sim_tcb_info_params *params,
			     const struct ratls_sim_cert *signer, uint8_t **body, size_t *body_size,
			     struct ratls_detail *detail)
{
	char *json = NULL;
	size_t json_size = 0;
	int rc;

	if ((rc = ratls_sim_tcb_info_json(params, &json, &json_size, detail)) != RATLS_OK)
		return rc;
	rc = ratls_sim_sign_json(signer, "tcbInfo", (const uint8_t *)json, json_size, body,
				 body_size, detail);
	free(json);
	return rc;
}
