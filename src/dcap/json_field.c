#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/timeutil.h"
#include "json_field.h"

/* Maximum length of an offending value quoted in a message. */
#define VALUE_EXCERPT_MAX 48

/* Marks a path that did not fit in its buffer with a trailing "...". */
static void mark_cut(char out[RATLS_JSON_PATH_SIZE], int written)
{
	if (written < 0 || written >= RATLS_JSON_PATH_SIZE)
		memcpy(out + RATLS_JSON_PATH_SIZE - 4, "...", 4);
}

void ratls_json_path_index(char out[RATLS_JSON_PATH_SIZE], const char *path, const char *key,
			   size_t index)
{
	mark_cut(out, snprintf(out, RATLS_JSON_PATH_SIZE, "%s.%s[%zu]", path, key, index));
}

void ratls_json_path_member(char out[RATLS_JSON_PATH_SIZE], const char *path, const char *key)
{
	mark_cut(out, snprintf(out, RATLS_JSON_PATH_SIZE, "%s.%s", path, key));
}

/* Writes a printable excerpt of a value for a message, with "..." when cut. */
static void excerpt(char out[VALUE_EXCERPT_MAX + 4], const char *text, size_t len)
{
	size_t n = len < VALUE_EXCERPT_MAX ? len : VALUE_EXCERPT_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(out + n, "...", 4);
		return;
	}
	out[n] = '\0';
}

static const char *expected_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown JSON type";
}

static const char *type_name(const json_t *value)
{
	return expected_name(json_typeof(value));
}

int ratls_json_load_object(const uint8_t *json, size_t size, size_t max_size, const char *label,
			   json_t **out, struct ratls_detail *detail)
{
	json_error_t error;
	json_t *root;

	*out = NULL;
	if (size > max_size)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu bytes, more than the limit of %zu bytes", label, size,
				  max_size);
	if (json == NULL && size > 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "%s is NULL", label);

	root = json_loadb(json != NULL ? (const char *)json : "", size, JSON_REJECT_DUPLICATES,
			  &error);
	if (root == NULL) {
		if (json_error_code(&error) == json_error_out_of_memory)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					  "out of memory while loading %s", label);
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is not valid JSON: %s (line %d, column %d, byte %d)", label,
				  error.text, error.line, error.column, error.position);
	}
	if (!json_is_object(root)) {
		int rc = ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is %s, expected a JSON object",
				    label, type_name(root));

		json_decref(root);
		return rc;
	}
	*out = root;
	return RATLS_OK;
}

int ratls_json_get_member(const json_t *obj, const char *path, const char *key, json_type type,
			  bool required, json_t **out, struct ratls_detail *detail)
{
	json_t *value = json_object_get(obj, key);
	bool type_ok;

	*out = NULL;
	if (value == NULL) {
		if (!required)
			return RATLS_OK;
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.%s is missing; add the required member", path, key);
	}

	if (type == JSON_TRUE || type == JSON_FALSE)
		type_ok = json_is_boolean(value);
	else
		type_ok = json_typeof(value) == type;
	if (!type_ok)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s.%s is %s, expected %s", path,
				  key, type_name(value), expected_name(type));
	*out = value;
	return RATLS_OK;
}

int ratls_json_get_string(const json_t *obj, const char *path, const char *key, const char **text,
			  size_t *len, struct ratls_detail *detail)
{
	json_t *value = NULL;
	int rc = ratls_json_get_member(obj, path, key, JSON_STRING, true, &value, detail);

	if (rc != RATLS_OK)
		return rc;
	*text = json_string_value(value);
	*len = json_string_length(value);
	return RATLS_OK;
}

int ratls_json_get_hex(const json_t *obj, const char *path, const char *key, uint8_t *out,
		       size_t size, struct ratls_detail *detail)
{
	char shown[VALUE_EXCERPT_MAX + 4];
	const char *text = NULL;
	size_t len = 0;
	int rc = ratls_json_get_string(obj, path, key, &text, &len, detail);

	if (rc != RATLS_OK)
		return rc;
	if (ratls_hex_decode_fixed(text, len, out, size) == RATLS_OK)
		return RATLS_OK;

	excerpt(shown, text, len);
	if (strspn(text, "0123456789abcdefABCDEF") != len)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.%s \"%s\" is not hex, expected %zu hex digits (%zu bytes)",
				  path, key, shown, 2 * size, size);
	if (len % 2 != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.%s \"%s\" has %zu hex digits, expected %zu (%zu bytes)", path,
				  key, shown, len, 2 * size, size);
	return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s.%s \"%s\" has %zu bytes, expected %zu",
			  path, key, shown, len / 2, size);
}

int ratls_json_get_uint(const json_t *obj, const char *path, const char *key, uint64_t max,
			uint64_t *out, struct ratls_detail *detail)
{
	json_t *value = NULL;
	json_int_t v;
	int rc = ratls_json_get_member(obj, path, key, JSON_INTEGER, true, &value, detail);

	if (rc != RATLS_OK)
		return rc;
	v = json_integer_value(value);
	if (v < 0 || (uint64_t)v > max)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s.%s is %lld, expected an integer from 0 to %llu", path, key,
				  (long long)v, (unsigned long long)max);
	*out = (uint64_t)v;
	return RATLS_OK;
}

int ratls_json_get_date(const json_t *obj, const char *path, const char *key, int64_t *out,
			struct ratls_detail *detail)
{
	char shown[VALUE_EXCERPT_MAX + 4];
	const char *text = NULL;
	size_t len = 0;
	int rc = ratls_json_get_string(obj, path, key, &text, &len, detail);

	if (rc != RATLS_OK)
		return rc;
	if (ratls_time_parse_rfc3339(text, len, out) == RATLS_OK)
		return RATLS_OK;

	excerpt(shown, text, len);
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "%s.%s \"%s\" is not an RFC 3339 date-time such as "
			  "\"2025-06-19T10:32:27Z\"",
			  path, key, shown);
}

int ratls_json_get_status(const json_t *obj, const char *path, const char *key,
			  enum ratls_tcb_status *out, struct ratls_detail *detail)
{
	char shown[VALUE_EXCERPT_MAX + 4];
	const char *text = NULL;
	size_t len = 0;
	int rc = ratls_json_get_string(obj, path, key, &text, &len, detail);

	if (rc != RATLS_OK)
		return rc;
	if (ratls_tcb_status_parse(text, len, out) == RATLS_OK)
		return RATLS_OK;

	excerpt(shown, text, len);
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "%s.%s \"%s\" is not a TCB status; expected UpToDate, "
			  "SWHardeningNeeded, ConfigurationNeeded, "
			  "ConfigurationAndSWHardeningNeeded, OutOfDate, "
			  "OutOfDateConfigurationNeeded or Revoked",
			  path, key, shown);
}

int ratls_json_get_array(const json_t *obj, const char *path, const char *key, bool required,
			 size_t max_count, json_t **array, size_t *count,
			 struct ratls_detail *detail)
{
	json_t *value = NULL;
	int rc = ratls_json_get_member(obj, path, key, JSON_ARRAY, required, &value, detail);

	*array = NULL;
	*count = 0;
	if (rc != RATLS_OK)
		return rc;
	if (value == NULL)
		return RATLS_OK;
	if (json_array_size(value) > max_count)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s.%s has %zu elements, more than the limit of %zu", path, key,
				  json_array_size(value), max_count);
	*array = value;
	*count = json_array_size(value);
	return RATLS_OK;
}

void ratls_advisory_list_free(struct ratls_advisory_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->ids[i]);
	free(list->ids);
	list->ids = NULL;
	list->count = 0;
}

int ratls_json_get_advisories(const json_t *level, const char *path,
			      struct ratls_advisory_list *out, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_advisory_list list = {NULL, 0};
	json_t *array = NULL;
	size_t count = 0;

	rc = ratls_json_get_array(level, path, "advisoryIDs", false, RATLS_ADVISORY_IDS_MAX, &array,
				  &count, detail);
	if (rc != RATLS_OK)
		goto out;
	if (count > 0) {
		list.ids = calloc(count, sizeof(*list.ids));
		if (list.ids == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}

	for (size_t i = 0; i < count; i++) {
		json_t *id = json_array_get(array, i);
		size_t len;

		if (!json_is_string(id)) {
			rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
					"%s.advisoryIDs[%zu] is %s, expected a string", path, i,
					type_name(id));
			goto out;
		}
		len = json_string_length(id);
		if (len == 0 || len > RATLS_ADVISORY_ID_MAX_LEN) {
			rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					"%s.advisoryIDs[%zu] has %zu characters, expected 1 to %d",
					path, i, len, RATLS_ADVISORY_ID_MAX_LEN);
			goto out;
		}
		list.ids[i] = strdup(json_string_value(id));
		if (list.ids[i] == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
		list.count++;
	}

	*out = list;
	list.ids = NULL; /* ownership moved to *out */
	list.count = 0;
	rc = RATLS_OK;
out:
	ratls_advisory_list_free(&list);
	return rc;
}

void ratls_isv_levels_free(struct ratls_isv_level *levels, size_t count)
{
	if (levels == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		ratls_advisory_list_free(&levels[i].advisories);
	free(levels);
}

static int parse_isv_level(const json_t *level, const char *path, uint16_t max_svn,
			   struct ratls_isv_level *out, struct ratls_detail *detail)
{
	char tcb_path[RATLS_JSON_PATH_SIZE];
	json_t *tcb = NULL;
	uint64_t svn = 0;
	int rc;

	if (!json_is_object(level))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is %s, expected an object",
				  path, type_name(level));

	if ((rc = ratls_json_get_member(level, path, "tcb", JSON_OBJECT, true, &tcb, detail)) !=
	    RATLS_OK)
		return rc;
	ratls_json_path_member(tcb_path, path, "tcb");
	if ((rc = ratls_json_get_uint(tcb, tcb_path, "isvsvn", max_svn, &svn, detail)) != RATLS_OK)
		return rc;
	out->isv_svn = (uint16_t)svn;

	if ((rc = ratls_json_get_date(level, path, "tcbDate", &out->tcb_date, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_json_get_status(level, path, "tcbStatus", &out->status, detail)) !=
	    RATLS_OK)
		return rc;
	return ratls_json_get_advisories(level, path, &out->advisories, detail);
}

int ratls_json_get_isv_levels(const json_t *obj, const char *path, uint16_t max_svn,
			      struct ratls_isv_level **levels, size_t *count,
			      struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct ratls_isv_level *parsed = NULL;
	size_t parsed_count = 0;
	json_t *array = NULL;
	size_t n = 0;

	*levels = NULL;
	*count = 0;
	rc = ratls_json_get_array(obj, path, "tcbLevels", true, RATLS_TCB_LEVELS_MAX, &array, &n,
				  detail);
	if (rc != RATLS_OK)
		goto out;
	if (n == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"%s.tcbLevels is empty, expected at least one TCB level", path);
		goto out;
	}
	parsed = calloc(n, sizeof(*parsed));
	if (parsed == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		char level_path[RATLS_JSON_PATH_SIZE];

		ratls_json_path_index(level_path, path, "tcbLevels", i);
		rc = parse_isv_level(json_array_get(array, i), level_path, max_svn, &parsed[i],
				     detail);
		parsed_count++; /* a failed level may own advisories already */
		if (rc != RATLS_OK)
			goto out;
	}

	*levels = parsed;
	*count = parsed_count;
	parsed = NULL; /* ownership moved to *levels */
	rc = RATLS_OK;
out:
	ratls_isv_levels_free(parsed, parsed_count);
	return rc;
}

int ratls_isv_levels_check_statuses(const struct ratls_isv_level *levels, size_t count,
				    unsigned allowed, const char *what, struct ratls_detail *detail)
{
	for (size_t i = 0; i < count; i++) {
		if (allowed & (1u << levels[i].status))
			continue;
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s level %zu (ISVSVN %u) has status %s, which such levels cannot "
				  "have",
				  what, i, levels[i].isv_svn, ratls_tcb_status_name(levels[i].status));
	}
	return RATLS_OK;
}
