/* Enclave identity JSON ("enclaveIdentity" object), version 2, for the QE, TD_QE and QVE. */
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "json_field.h"

static const char identity_path[] = "enclaveIdentity";

static int parse_id(const json_t *root, struct ratls_qe_identity *identity,
		    struct ratls_detail *detail)
{
	static const struct {
		const char *text;
		enum ratls_qe_identity_id id;
	} known_ids[] = {
		{"QE", RATLS_QE_IDENTITY_QE},
		{"TD_QE", RATLS_QE_IDENTITY_TD_QE},
		{"QVE", RATLS_QE_IDENTITY_QVE},
	};
	const char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = ratls_json_get_string(root, identity_path, "id", &text, &len, detail)) !=
	    RATLS_OK)
		return rc;
	if (len == 0 || len >= sizeof(identity->id_text))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "enclaveIdentity.id \"%.32s\" has %zu characters, expected 1 to "
				  "%zu (such as \"TD_QE\")",
				  text, len, sizeof(identity->id_text) - 1);
	memcpy(identity->id_text, text, len + 1);

	identity->id = RATLS_QE_IDENTITY_OTHER;
	for (size_t i = 0; i < sizeof(known_ids) / sizeof(known_ids[0]); i++) {
		if (strcmp(known_ids[i].text, identity->id_text) == 0)
			identity->id = known_ids[i].id;
	}
	return RATLS_OK;
}

/* Reads an 8-digit hex member as the big-endian number it spells. */
static int parse_hex_u32(const json_t *root, const char *key, uint32_t *out,
			 struct ratls_detail *detail)
{
	uint8_t bytes[4];
	int rc = ratls_json_get_hex(root, identity_path, key, bytes, sizeof(bytes), detail);

	if (rc != RATLS_OK)
		return rc;
	*out = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
	       bytes[3];
	return RATLS_OK;
}

static int parse_fields(const json_t *root, struct ratls_qe_identity *identity,
			struct ratls_detail *detail)
{
	json_t *version = NULL;
	uint64_t v = 0;
	int rc;

	rc = ratls_json_get_member(root, identity_path, "version", JSON_INTEGER, true, &version,
				   detail);
	if (rc != RATLS_OK)
		return rc;
	if (json_integer_value(version) != 2)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "enclaveIdentity.version is %lld, expected 2",
				  (long long)json_integer_value(version));
	identity->version = 2;

	if ((rc = parse_id(root, identity, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_date(root, identity_path, "issueDate", &identity->issue_date,
				      detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_date(root, identity_path, "nextUpdate", &identity->next_update,
				      detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_uint(root, identity_path, "tcbEvaluationDataNumber", UINT32_MAX,
				      &v, detail)) != RATLS_OK)
		return rc;
	identity->tcb_evaluation_data_number = (uint32_t)v;

	if ((rc = parse_hex_u32(root, "miscselect", &identity->miscselect, detail)) != RATLS_OK)
		return rc;
	if ((rc = parse_hex_u32(root, "miscselectMask", &identity->miscselect_mask, detail)) !=
	    RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(root, identity_path, "attributes", identity->attributes,
				     sizeof(identity->attributes), detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(root, identity_path, "attributesMask",
				     identity->attributes_mask, sizeof(identity->attributes_mask),
				     detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_hex(root, identity_path, "mrsigner", identity->mrsigner,
				     sizeof(identity->mrsigner), detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_uint(root, identity_path, "isvprodid", UINT16_MAX, &v, detail)) !=
	    RATLS_OK)
		return rc;
	identity->isv_prod_id = (uint16_t)v;

	rc = ratls_json_get_isv_levels(root, identity_path, UINT16_MAX, &identity->levels,
				       &identity->level_count, detail);
	if (rc != RATLS_OK)
		return rc;
	/* The SW hardening statuses describe platforms; Intel's QVL rejects them on QE levels. */
	return ratls_isv_levels_check_statuses(
		identity->levels, identity->level_count,
		~((1u << RATLS_TCB_SW_HARDENING_NEEDED) |
		  (1u << RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)),
		identity_path, detail);
}

int ratls_qe_identity_parse(const uint8_t *json, size_t size, struct ratls_qe_identity **out,
			    struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	json_t *root = NULL;
	struct ratls_qe_identity *identity = NULL;

	if (out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_qe_identity_parse: out must not be NULL");
	*out = NULL;

	rc = ratls_json_load_object(json, size, RATLS_COLLATERAL_JSON_MAX_SIZE, "QE identity",
				    &root, detail);
	if (rc != RATLS_OK)
		goto out;
	identity = calloc(1, sizeof(*identity));
	if (identity == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = parse_fields(root, identity, detail)) != RATLS_OK)
		goto out;

	*out = identity;
	identity = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_qe_identity_free(identity);
	json_decref(root);
	return rc;
}

void ratls_qe_identity_free(struct ratls_qe_identity *identity)
{
	if (identity == NULL)
		return;
	ratls_isv_levels_free(identity->levels, identity->level_count);
	free(identity);
}
