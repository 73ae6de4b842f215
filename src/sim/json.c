/*
 * Pieces shared by the TCB info and QE identity writers, and the signed PCS
 * response body: {"<member>":<object>,"signature":"<r || s as 128 hex digits>"}.
 * Intel signs the exact bytes of the object, so the body embeds them verbatim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/timeutil.h"
#include "sim_internal.h"

json_t *ratls_sim_json_date(int64_t t)
{
	char text[RATLS_TIME_TEXT_SIZE];

	ratls_time_format(t, text);
	return json_string(text);
}

json_t *ratls_sim_json_hex(const uint8_t *data, size_t size, bool upper)
{
	char text[2 * 64 + 1]; /* the largest hex field written is 48 bytes */

	if (size > 64)
		return NULL;
	if (upper)
		ratls_sim_hex_upper(data, size, text);
	else
		ratls_hex_encode(data, size, text);
	return json_string(text);
}

bool ratls_sim_json_set(json_t *obj, const char *key, json_t *value)
{
	if (obj == NULL || value == NULL) {
		json_decref(value);
		return false;
	}
	return json_object_set_new(obj, key, value) == 0;
}

bool ratls_sim_json_set_advisories(json_t *obj, const char (*ids)[RATLS_SIM_ADVISORY_ID_SIZE],
				   size_t count)
{
	json_t *array;

	if (count == 0)
		return obj != NULL;
	array = json_array();
	for (size_t i = 0; i < count && array != NULL; i++) {
		size_t len = strnlen(ids[i], RATLS_SIM_ADVISORY_ID_SIZE);

		if (json_array_append_new(array, json_stringn(ids[i], len)) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return ratls_sim_json_set(obj, "advisoryIDs", array);
}

int ratls_sim_check_advisories(const char (*ids)[RATLS_SIM_ADVISORY_ID_SIZE], size_t count,
			       const char *path, struct ratls_detail *detail)
{
	if (count > RATLS_SIM_ADVISORIES_MAX)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s has advisory_count %zu, at most %d", path, count,
				  RATLS_SIM_ADVISORIES_MAX);
	for (size_t i = 0; i < count; i++) {
		if (strnlen(ids[i], RATLS_SIM_ADVISORY_ID_SIZE) == RATLS_SIM_ADVISORY_ID_SIZE)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s advisory ID %zu is not NUL-terminated within %d "
					  "bytes",
					  path, i, RATLS_SIM_ADVISORY_ID_SIZE);
	}
	return RATLS_OK;
}

json_t *ratls_sim_json_isv_level(const struct ratls_sim_isv_level *level)
{
	json_t *obj = json_object();
	json_t *tcb = json_object();
	bool ok;

	ok = ratls_sim_json_set(tcb, "isvsvn", json_integer(level->isv_svn));
	ok = ratls_sim_json_set(obj, "tcb", tcb) && ok;
	ok = ok && ratls_sim_json_set(obj, "tcbDate", ratls_sim_json_date(level->tcb_date));
	ok = ok && ratls_sim_json_set(obj, "tcbStatus",
				      json_string(ratls_tcb_status_name(level->status)));
	ok = ok && ratls_sim_json_set_advisories(obj, level->advisory_ids, level->advisory_count);
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int ratls_sim_json_dump(json_t *root, char **json, size_t *json_size, const char *what,
			struct ratls_detail *detail)
{
	char *text = json_dumps(root, JSON_COMPACT);
	size_t len;

	if (text == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory serialising %s",
				  what);
	len = strlen(text);
	/* Copied so that the caller frees with ratls_sim_free whatever allocator jansson uses. */
	*json = malloc(len + 1);
	if (*json == NULL) {
		free(text);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	memcpy(*json, text, len + 1);
	if (json_size != NULL)
		*json_size = len;
	free(text);
	return RATLS_OK;
}

int64_t ratls_sim_tcb_date(int64_t now, int days_before)
{
	int64_t t = now - (int64_t)days_before * 86400;
	int64_t midnight = t - t % 86400;

	return t < 0 && t % 86400 != 0 ? midnight - 86400 : midnight;
}

void ratls_sim_set_advisory(char slot[RATLS_SIM_ADVISORY_ID_SIZE], const char *id)
{
	snprintf(slot, RATLS_SIM_ADVISORY_ID_SIZE, "%s", id);
}

/* Checks a member name: 1 to 64 ASCII letters, so the body needs no escaping. */
static int check_member(const char *member, struct ratls_detail *detail)
{
	size_t len;

	if (member == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "member name is NULL");
	len = strnlen(member, 65);
	if (len == 0 || len > 64)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "member name has %zu characters, expected 1 to 64 letters", len);
	for (size_t i = 0; i < len; i++) {
		char c = member[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "member name \"%.64s\" has a character other than a "
					  "letter at %zu",
					  member, i);
	}
	return RATLS_OK;
}

int ratls_sim_sign_json(const struct ratls_sim_cert *signer, const char *member,
			const uint8_t *json, size_t json_size, uint8_t **body, size_t *body_size,
			struct ratls_detail *detail)
{
	uint8_t signature[64];
	char signature_hex[129];
	struct ratls_sim_buf buf;
	int rc;

	if (signer == NULL || json == NULL || body == NULL || body_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "signer, json, body and body_size must not be NULL");
	if ((rc = check_member(member, detail)) != RATLS_OK)
		return rc;
	/* The verifier's own limit: a larger document could never be accepted anyway. */
	if (json_size > RATLS_COLLATERAL_JSON_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "JSON to sign is %zu bytes; the limit is %d", json_size,
				  RATLS_COLLATERAL_JSON_MAX_SIZE);

	rc = ratls_sim_key_sign(signer->key, json, json_size, signature, detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_hex_encode(signature, sizeof(signature), signature_hex);

	ratls_sim_buf_init(&buf, RATLS_COLLATERAL_JSON_MAX_SIZE + 256);
	ratls_sim_buf_append_text(&buf, "{\"");
	ratls_sim_buf_append_text(&buf, member);
	ratls_sim_buf_append_text(&buf, "\":");
	ratls_sim_buf_append(&buf, json, json_size);
	ratls_sim_buf_append_text(&buf, ",\"signature\":\"");
	ratls_sim_buf_append_text(&buf, signature_hex);
	ratls_sim_buf_append_text(&buf, "\"}");
	return ratls_sim_buf_finish(&buf, body, body_size, "signed JSON body", detail);
}
