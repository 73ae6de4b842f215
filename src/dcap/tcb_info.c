/*
 * TCB info JSON ("tcbInfo" object), versions 2 and 3, as Intel's PCS v3 and
 * v4 APIs serve it. Version 2 is SGX only: a level's components are the keys
 * sgxtcbcomp01svn..sgxtcbcomp16svn next to pcesvn. Version 3 adds "id" (SGX or
 * TDX), component arrays, advisory IDs and the TDX module fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "json_field.h"

/* Every TCB level has exactly this many SGX (and, for TDX, TDX) components. */
#define TCB_COMPONENT_COUNT 16

static const char tcb_info_path[] = "tcbInfo";

static int parse_id(const json_t *root, struct ratls_tcb_info *info, struct ratls_detail *detail)
{
	json_t *id = NULL;
	const char *text;
	int rc;

	/* Version 2 has no "id" and is SGX; a version 3 document must name its TEE. */
	rc = ratls_json_get_member(root, tcb_info_path, "id", JSON_STRING, info->version >= 3, &id,
				   detail);
	if (rc != RATLS_OK)
		return rc;
	if (id == NULL) {
		info->id = RATLS_TCB_INFO_SGX;
		return RATLS_OK;
	}

	text = json_string_value(id);
	if (strcmp(text, "SGX") == 0) {
		info->id = RATLS_TCB_INFO_SGX;
	} else if (strcmp(text, "TDX") == 0 && info->version >= 3) {
		info->id = RATLS_TCB_INFO_TDX;
	} else {
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "tcbInfo.id \"%.16s\" is not valid for version %u, expected %s",
				  text, (unsigned)info->version,
				  info->version >= 3 ? "\"SGX\" or \"TDX\"" : "\"SGX\"");
	}
	return RATLS_OK;
}

static int parse_header(const json_t *root, struct ratls_tcb_info *info,
			struct ratls_detail *detail)
{
	json_t *version_value = NULL;
	uint64_t v = 0;
	int rc;

	rc = ratls_json_get_member(root, tcb_info_path, "version", JSON_INTEGER, true,
				   &version_value, detail);
	if (rc != RATLS_OK)
		return rc;
	if (json_integer_value(version_value) != 2 && json_integer_value(version_value) != 3)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "tcbInfo.version is %lld, expected 2 or 3",
				  (long long)json_integer_value(version_value));
	info->version = (uint32_t)json_integer_value(version_value);

	if ((rc = parse_id(root, info, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_date(root, tcb_info_path, "issueDate", &info->issue_date,
				      detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_date(root, tcb_info_path, "nextUpdate", &info->next_update,
				      detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(root, tcb_info_path, "fmspc", info->fmspc,
				     sizeof(info->fmspc), detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(root, tcb_info_path, "pceId", info->pce_id,
				     sizeof(info->pce_id), detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_uint(root, tcb_info_path, "tcbType", UINT32_MAX, &v, detail)) !=
	    RATLS_OK)
		return rc;
	info->tcb_type = (uint32_t)v;
	if ((rc = ratls_json_get_uint(root, tcb_info_path, "tcbEvaluationDataNumber", UINT32_MAX,
				      &v, detail)) != RATLS_OK)
		return rc;
	info->tcb_evaluation_data_number = (uint32_t)v;
	return RATLS_OK;
}

/* Reads the mrsigner, attributes and attributesMask members shared by tdxModule and module identities. */
static int parse_module_fields(const json_t *obj, const char *path, uint8_t mrsigner[48],
			       uint8_t attributes[8], uint8_t attributes_mask[8],
			       struct ratls_detail *detail)
{
	int rc;

	if ((rc = ratls_json_get_hex(obj, path, "mrsigner", mrsigner, 48, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(obj, path, "attributes", attributes, 8, detail)) != RATLS_OK)
		return rc;
	return ratls_json_get_hex(obj, path, "attributesMask", attributes_mask, 8, detail);
}

static int parse_tdx_module(const json_t *root, struct ratls_tcb_info *info,
			    struct ratls_detail *detail)
{
	json_t *module = NULL;
	int rc;

	rc = ratls_json_get_member(root, tcb_info_path, "tdxModule", JSON_OBJECT, false, &module,
				   detail);
	if (rc != RATLS_OK || module == NULL)
		return rc;
	rc = parse_module_fields(module, "tcbInfo.tdxModule", info->tdx_module_mrsigner,
				 info->tdx_module_attributes, info->tdx_module_attributes_mask,
				 detail);
	if (rc != RATLS_OK)
		return rc;
	info->has_tdx_module = true;
	return RATLS_OK;
}

static int parse_module_identity(const json_t *obj, const char *path,
				 struct ratls_tdx_module_identity *out, struct ratls_detail *detail)
{
	const char *id = NULL;
	size_t id_len = 0;
	int rc;

	if (!json_is_object(obj))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not an object", path);

	if ((rc = ratls_json_get_string(obj, path, "id", &id, &id_len, detail)) != RATLS_OK)
		return rc;
	if (id_len == 0 || id_len >= sizeof(out->id))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.id \"%.32s\" has %zu characters, expected 1 to %zu (such as "
				  "\"TDX_01\")",
				  path, id, id_len, sizeof(out->id) - 1);
	memcpy(out->id, id, id_len + 1);

	rc = parse_module_fields(obj, path, out->mrsigner, out->attributes, out->attributes_mask,
				 detail);
	if (rc != RATLS_OK)
		return rc;

	/* The module's ISV SVN is one byte of TEE_TCB_SVN, so levels above 255 never match. */
	rc = ratls_json_get_isv_levels(obj, path, UINT8_MAX, &out->levels, &out->level_count,
				       detail);
	if (rc != RATLS_OK)
		return rc;
	/* Intel's QVL (TdxModuleCheck) maps only these three module statuses. */
	return ratls_isv_levels_check_statuses(out->levels, out->level_count,
					       (1u << RATLS_TCB_UP_TO_DATE) |
						       (1u << RATLS_TCB_OUT_OF_DATE) |
						       (1u << RATLS_TCB_REVOKED),
					       path, detail);
}

static int parse_module_identities(const json_t *root, struct ratls_tcb_info *info,
				   struct ratls_detail *detail)
{
	json_t *array = NULL;
	size_t count = 0;
	int rc;

	rc = ratls_json_get_array(root, tcb_info_path, "tdxModuleIdentities", false,
				  RATLS_MODULE_IDENTITIES_MAX, &array, &count, detail);
	if (rc != RATLS_OK || count == 0)
		return rc;

	info->module_identities = calloc(count, sizeof(*info->module_identities));
	if (info->module_identities == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");

	for (size_t i = 0; i < count; i++) {
		char path[RATLS_JSON_PATH_SIZE];

		ratls_json_path_index(path, tcb_info_path, "tdxModuleIdentities", i);
		info->module_identity_count++; /* counted first so that a failure frees it */
		rc = parse_module_identity(json_array_get(array, i), path,
					   &info->module_identities[i], detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/* Reads a version 3 component array: exactly 16 objects, each with an 8-bit "svn". */
static int parse_component_array(const json_t *array, const char *path, const char *key,
				 uint8_t svn[TCB_COMPONENT_COUNT], struct ratls_detail *detail)
{
	if (json_array_size(array) != TCB_COMPONENT_COUNT)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.%s has %zu components, expected %d", path, key,
				  json_array_size(array), TCB_COMPONENT_COUNT);

	for (size_t i = 0; i < TCB_COMPONENT_COUNT; i++) {
		char component_path[RATLS_JSON_PATH_SIZE];
		json_t *component = json_array_get(array, i);
		uint64_t v = 0;
		int rc;

		ratls_json_path_index(component_path, path, key, i);
		if (!json_is_object(component))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "%s is not an object, expected {\"svn\": N}",
					  component_path);
		rc = ratls_json_get_uint(component, component_path, "svn", UINT8_MAX, &v, detail);
		if (rc != RATLS_OK)
			return rc;
		svn[i] = (uint8_t)v;
	}
	return RATLS_OK;
}

static int parse_tcb_v2(const json_t *tcb, const char *path, struct ratls_tcb_level *out,
			struct ratls_detail *detail)
{
	for (int i = 0; i < TCB_COMPONENT_COUNT; i++) {
		char key[20];
		uint64_t v = 0;
		int rc;

		snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
		if ((rc = ratls_json_get_uint(tcb, path, key, UINT8_MAX, &v, detail)) != RATLS_OK)
			return rc;
		out->sgx_svn[i] = (uint8_t)v;
	}
	return RATLS_OK;
}

static int parse_tcb_v3(const json_t *tcb, const char *path, enum ratls_tcb_info_id id,
			struct ratls_tcb_level *out, struct ratls_detail *detail)
{
	json_t *array = NULL;
	int rc;

	rc = ratls_json_get_member(tcb, path, "sgxtcbcomponents", JSON_ARRAY, true, &array, detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = parse_component_array(array, path, "sgxtcbcomponents", out->sgx_svn, detail)) !=
	    RATLS_OK)
		return rc;

	/* TDX levels must carry TDX components; SGX levels may, and then they are kept. */
	rc = ratls_json_get_member(tcb, path, "tdxtcbcomponents", JSON_ARRAY,
				   id == RATLS_TCB_INFO_TDX, &array, detail);
	if (rc != RATLS_OK || array == NULL)
		return rc;
	if ((rc = parse_component_array(array, path, "tdxtcbcomponents", out->tdx_svn, detail)) !=
	    RATLS_OK)
		return rc;
	out->has_tdx_svn = true;
	return RATLS_OK;
}

static int parse_tcb_level(const json_t *level, const char *path, const struct ratls_tcb_info *info,
			   struct ratls_tcb_level *out, struct ratls_detail *detail)
{
	char tcb_path[RATLS_JSON_PATH_SIZE];
	json_t *tcb = NULL;
	uint64_t pce_svn = 0;
	int rc;

	if (!json_is_object(level))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not an object", path);

	if ((rc = ratls_json_get_member(level, path, "tcb", JSON_OBJECT, true, &tcb, detail)) !=
	    RATLS_OK)
		return rc;
	ratls_json_path_member(tcb_path, path, "tcb");
	if (info->version == 2)
		rc = parse_tcb_v2(tcb, tcb_path, out, detail);
	else
		rc = parse_tcb_v3(tcb, tcb_path, info->id, out, detail);
	if (rc != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_uint(tcb, tcb_path, "pcesvn", UINT16_MAX, &pce_svn, detail)) !=
	    RATLS_OK)
		return rc;
	out->pce_svn = (uint16_t)pce_svn;

	/* Versions 2 and 3 both name these tcbDate and tcbStatus ("status" was version 1). */
	if ((rc = ratls_json_get_date(level, path, "tcbDate", &out->tcb_date, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_status(level, path, "tcbStatus", &out->status, detail)) !=
	    RATLS_OK)
		return rc;
	return ratls_json_get_advisories(level, path, &out->advisories, detail);
}

static int parse_tcb_levels(const json_t *root, struct ratls_tcb_info *info,
			    struct ratls_detail *detail)
{
	json_t *array = NULL;
	size_t count = 0;
	int rc;

	rc = ratls_json_get_array(root, tcb_info_path, "tcbLevels", true, RATLS_TCB_LEVELS_MAX,
				  &array, &count, detail);
	if (rc != RATLS_OK)
		return rc;
	if (count == 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "tcbInfo.tcbLevels is empty, expected at least one TCB level");

	info->levels = calloc(count, sizeof(*info->levels));
	if (info->levels == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");

	for (size_t i = 0; i < count; i++) {
		char path[RATLS_JSON_PATH_SIZE];

		ratls_json_path_index(path, tcb_info_path, "tcbLevels", i);
		info->level_count++; /* counted first so that a failure frees it */
		rc = parse_tcb_level(json_array_get(array, i), path, info, &info->levels[i],
				     detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

int ratls_tcb_info_parse(const uint8_t *json, size_t size, struct ratls_tcb_info **out,
			 struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	json_t *root = NULL;
	struct ratls_tcb_info *info = NULL;

	if (out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_tcb_info_parse: out must not be NULL");
	*out = NULL;

	rc = ratls_json_load_object(json, size, RATLS_COLLATERAL_JSON_MAX_SIZE, "TCB info", &root,
				    detail);
	if (rc != RATLS_OK)
		goto out;
	info = calloc(1, sizeof(*info));
	if (info == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}

	if ((rc = parse_header(root, info, detail)) != RATLS_OK)
		goto out;
	if ((rc = parse_tdx_module(root, info, detail)) != RATLS_OK)
		goto out;
	if ((rc = parse_module_identities(root, info, detail)) != RATLS_OK)
		goto out;
	if ((rc = parse_tcb_levels(root, info, detail)) != RATLS_OK)
		goto out;

	*out = info;
	info = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_tcb_info_free(info);
	json_decref(root);
	return rc;
}

void ratls_tcb_info_free(struct ratls_tcb_info *info)
{
	if (info == NULL)
		return;
	for (size_t i = 0; i < info->module_identity_count; i++)
		ratls_isv_levels_free(info->module_identities[i].levels,
				      info->module_identities[i].level_count);
	free(info->module_identities);
	for (size_t i = 0; i < info->level_count; i++)
		ratls_advisory_list_free(&info->levels[i].advisories);
	free(info->levels);
	free(info);
}
