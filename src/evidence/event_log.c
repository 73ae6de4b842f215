/*
 * The JSON form of dstack's TDX event log: an array of TdxEvent objects, as
 * in certificate extension .1.2 and in the event_log string of the guest
 * agent's GetQuote response:
 *   {"imr": 3, "event_type": 134217729, "digest": "<hex or empty>",
 *    "event": "app-id", "event_payload": "<hex>"[, "version": 2][, "preimage": "<hex>"]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

/* Decodes a hex string member (even length, digits only, no prefix) into a new buffer. */
static int get_hex(json_t *value, const char *where, size_t max, uint8_t **out, size_t *size,
		   struct ratls_detail *detail)
{
	const char *text;
	size_t len;
	uint8_t *bytes;

	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not a JSON string", where);
	text = json_string_value(value);
	len = json_string_length(value);
	if (len / 2 > max)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu hex digits; the limit is %zu bytes", where, len, max);
	if (len % 2 != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s has an odd number of hex digits (%zu)", where, len);
	bytes = malloc(len / 2 != 0 ? len / 2 : 1);
	if (bytes == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory decoding %s", where);
	if (ratls_hex_decode_fixed(text, len, bytes, len / 2) != RATLS_OK) {
		free(bytes);
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is not hex (digits 0-9 and a-f, no \"0x\" prefix)", where);
	}
	*out = bytes;
	*size = len / 2;
	return RATLS_OK;
}

static int get_uint32(json_t *value, const char *where, uint32_t *out, struct ratls_detail *detail)
{
	json_int_t v;

	if (!json_is_integer(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not a JSON integer", where);
	v = json_integer_value(value);
	if (v < 0 || v > (json_int_t)UINT32_MAX)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is %lld; expected 0 to %u", where,
				  (long long)v, UINT32_MAX);
	*out = (uint32_t)v;
	return RATLS_OK;
}

static const char *const event_members[] = {
	"imr", "event_type", "digest", "event", "event_payload", "version", "preimage",
};

static int check_members(json_t *obj, const char *where, struct ratls_detail *detail)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value) {
		bool known = false;

		(void)value;
		for (size_t i = 0; i < sizeof(event_members) / sizeof(event_members[0]); i++)
			known = known || strcmp(key, event_members[i]) == 0;
		if (!known)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "%s has an unknown member \"%.64s\"", where, key);
	}
	return RATLS_OK;
}

static json_t *require(json_t *obj, const char *key, const char *where,
		       struct ratls_detail *detail)
{
	json_t *value = json_object_get(obj, key);

	if (value == NULL)
		ratls_fail(detail, RATLS_ERR_MALFORMED, "%s has no \"%s\" member", where, key);
	return value;
}

static int parse_event(json_t *obj, size_t index, struct ratls_tdx_event *event,
		       struct ratls_detail *detail)
{
	char where[48];
	char field[80];
	json_t *v;
	int rc;

	snprintf(where, sizeof(where), "event_log[%zu]", index);
	if (!json_is_object(obj))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not a JSON object", where);
	if ((rc = check_members(obj, where, detail)) != RATLS_OK)
		return rc;

	snprintf(field, sizeof(field), "%s.imr", where);
	if ((v = require(obj, "imr", where, detail)) == NULL)
		return RATLS_ERR_MALFORMED;
	if ((rc = get_uint32(v, field, &event->imr, detail)) != RATLS_OK)
		return rc;

	snprintf(field, sizeof(field), "%s.event_type", where);
	if ((v = require(obj, "event_type", where, detail)) == NULL)
		return RATLS_ERR_MALFORMED;
	if ((rc = get_uint32(v, field, &event->event_type, detail)) != RATLS_OK)
		return rc;

	snprintf(field, sizeof(field), "%s.digest", where);
	if ((v = require(obj, "digest", where, detail)) == NULL)
		return RATLS_ERR_MALFORMED;
	if ((rc = get_hex(v, field, RATLS_EVENT_PAYLOAD_MAX, &event->digest, &event->digest_size,
			  detail)) != RATLS_OK)
		return rc;

	snprintf(field, sizeof(field), "%s.event", where);
	if ((v = require(obj, "event", where, detail)) == NULL)
		return RATLS_ERR_MALFORMED;
	if (!json_is_string(v))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not a JSON string", field);
	event->name_size = json_string_length(v);
	if (event->name_size > RATLS_EVENT_NAME_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu bytes; the limit is %d (RATLS_EVENT_NAME_MAX)", field,
				  event->name_size, RATLS_EVENT_NAME_MAX);
	/* jansson rejects \u0000 in strings unless JSON_ALLOW_NUL is set, so the copy has no NUL. */
	event->name = ratls_evidence_copy_string(json_string_value(v), event->name_size);
	if (event->name == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s", field);

	snprintf(field, sizeof(field), "%s.event_payload", where);
	if ((v = require(obj, "event_payload", where, detail)) == NULL)
		return RATLS_ERR_MALFORMED;
	if ((rc = get_hex(v, field, RATLS_EVENT_PAYLOAD_MAX, &event->payload, &event->payload_size,
			  detail)) != RATLS_OK)
		return rc;

	event->version = 1;
	if ((v = json_object_get(obj, "version")) != NULL) {
		snprintf(field, sizeof(field), "%s.version", where);
		if ((rc = get_uint32(v, field, &event->version, detail)) != RATLS_OK)
			return rc;
	}
	if ((v = json_object_get(obj, "preimage")) != NULL) {
		snprintf(field, sizeof(field), "%s.preimage", where);
		if ((rc = get_hex(v, field, RATLS_EVENT_PREIMAGE_MAX, &event->preimage,
				  &event->preimage_size, detail)) != RATLS_OK)
			return rc;
	}
	return ratls_evidence_check_event(event, where, detail);
}

int ratls_evidence_parse_event_log(const uint8_t *json, size_t size,
				   struct ratls_tdx_event **events, size_t *count,
				   struct ratls_detail *detail)
{
	struct ratls_tdx_event *list = NULL;
	size_t n = 0;
	json_error_t error;
	json_t *root = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (json == NULL || events == NULL || count == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_parse_event_log: json, events or count is NULL");
	*events = NULL;
	*count = 0;
	if (size > RATLS_EVIDENCE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "JSON event log is %zu bytes; the limit is %d "
				  "(RATLS_EVIDENCE_MAX_SIZE)",
				  size, RATLS_EVIDENCE_MAX_SIZE);

	root = json_loadb((const char *)json, size, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "event log is not valid JSON: %s at line %d column %d", error.text,
				  error.line, error.column);
	if (!json_is_array(root)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"event log is a JSON %s; expected an array of events",
				json_is_object(root) ? "object" : "scalar");
		goto out;
	}
	n = json_array_size(root);
	if (n > RATLS_EVENT_LOG_MAX_EVENTS) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"event log has %zu entries; the limit is %d "
				"(RATLS_EVENT_LOG_MAX_EVENTS)",
				n, RATLS_EVENT_LOG_MAX_EVENTS);
		goto out;
	}
	if (n != 0) {
		list = calloc(n, sizeof(*list));
		if (list == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for %zu events", n);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		rc = parse_event(json_array_get(root, i), i, &list[i], detail);
		if (rc != RATLS_OK)
			goto out;
	}

	*events = list;
	*count = n;
	list = NULL; /* ownership moved to *events */
	rc = RATLS_OK;
out:
	ratls_evidence_free_events(list, n);
	json_decref(root);
	return rc;
}
