/*
 * VersionedAttestation V1: dstack's AttestationV1 written by rmp-serde with
 * named fields, so structs are maps with string keys and enums are
 * adjacently tagged {"kind": name, "data": value}:
 *
 *   {"version": 1,
 *    "platform": {"kind": "tdx", "data": {"quote": bytes, "event_log": [TdxEvent]}},
 *    "stack": {"kind": "dstack" | "dstack-pod",
 *              "data": {"report_data": bytes(64), "runtime_events": [RuntimeEvent],
 *                       "config": str [, "report_data_payload": str (dstack-pod)]}}}
 *   TdxEvent     = {imr, event_type, digest, event, event_payload [, version] [, preimage]}
 *   RuntimeEvent = {event, payload [, version]}
 *
 * rmp-serde writes a plain Vec<u8> (quote, report_data) as an array of
 * integers and the serde_human_bytes fields (digest, payloads) as bin.
 * Every byte field here accepts both forms, each strictly.
 *
 * NOTE: no V1 envelope from a real dstack producer was available; the layout
 * follows dstack-attest's serde attributes (dstack 0.6 development branch).
 * Unknown keys are rejected, where rmp-serde would ignore them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

static int get_version(const msgpack_object *o, const char *where, uint32_t *out,
		       struct ratls_detail *detail)
{
	uint64_t v = 0;
	int rc;

	if (o == NULL) {
		*out = 1;
		return RATLS_OK;
	}
	if ((rc = ratls_msgpack_get_uint(o, where, UINT32_MAX, &v, detail)) != RATLS_OK)
		return rc;
	if (v != 1 && v != 2)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "%s is %llu; ratls reads event versions 1 and 2", where,
				  (unsigned long long)v);
	*out = (uint32_t)v;
	return RATLS_OK;
}

/* Decodes a preimage given as a hex str. */
static int get_hex(const msgpack_object *o, const char *where, size_t max, uint8_t **out,
		   size_t *size, struct ratls_detail *detail)
{
	size_t len;
	uint8_t *bytes;

	if (o->type != MSGPACK_OBJECT_STR)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is a msgpack %s; expected a hex str", where,
				  ratls_msgpack_type_name(o));
	len = o->via.str.size;
	if (len / 2 > max)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu hex digits; the limit is %zu bytes", where, len, max);
	if (len % 2 != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s has an odd number of hex digits",
				  where);
	bytes = malloc(len / 2 != 0 ? len / 2 : 1);
	if (bytes == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory decoding %s", where);
	if (ratls_hex_decode_fixed(o->via.str.ptr, len, bytes, len / 2) != RATLS_OK) {
		free(bytes);
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is not hex", where);
	}
	*out = bytes;
	*size = len / 2;
	return RATLS_OK;
}

static int read_tdx_event(const msgpack_object *o, size_t index, struct ratls_tdx_event *event,
			  struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"imr", true, NULL},        {"event_type", true, NULL}, {"digest", true, NULL},
		{"event", true, NULL},      {"event_payload", true, NULL},
		{"version", false, NULL},   {"preimage", false, NULL},
	};
	char where[64];
	char field[96];
	uint64_t v = 0;
	int rc;

	snprintf(where, sizeof(where), "platform.data.event_log[%zu]", index);
	if ((rc = ratls_msgpack_read_map(o, where, f, sizeof(f) / sizeof(f[0]), detail)) != RATLS_OK)
		return rc;

	snprintf(field, sizeof(field), "%s.imr", where);
	if ((rc = ratls_msgpack_get_uint(f[0].value, field, UINT32_MAX, &v, detail)) != RATLS_OK)
		return rc;
	event->imr = (uint32_t)v;
	snprintf(field, sizeof(field), "%s.event_type", where);
	if ((rc = ratls_msgpack_get_uint(f[1].value, field, UINT32_MAX, &v, detail)) != RATLS_OK)
		return rc;
	event->event_type = (uint32_t)v;
	snprintf(field, sizeof(field), "%s.digest", where);
	if ((rc = ratls_msgpack_get_bytes(f[2].value, field, RATLS_EVENT_PAYLOAD_MAX, &event->digest,
					  &event->digest_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.event", where);
	if ((rc = ratls_msgpack_get_string(f[3].value, field, RATLS_EVENT_NAME_MAX, &event->name,
					   &event->name_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.event_payload", where);
	if ((rc = ratls_msgpack_get_bytes(f[4].value, field, RATLS_EVENT_PAYLOAD_MAX,
					  &event->payload, &event->payload_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.version", where);
	if ((rc = get_version(f[5].value, field, &event->version, detail)) != RATLS_OK)
		return rc;
	if (f[6].value != NULL) {
		snprintf(field, sizeof(field), "%s.preimage", where);
		if ((rc = get_hex(f[6].value, field, RATLS_EVENT_PREIMAGE_MAX, &event->preimage,
				  &event->preimage_size, detail)) != RATLS_OK)
			return rc;
	}
	return ratls_evidence_check_event(event, where, detail);
}

static int read_runtime_event(const msgpack_object *o, size_t index,
			      struct ratls_runtime_event *event, struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"event", true, NULL},
		{"payload", true, NULL},
		{"version", false, NULL},
	};
	char where[64];
	char field[96];
	int rc;

	snprintf(where, sizeof(where), "stack.data.runtime_events[%zu]", index);
	if ((rc = ratls_msgpack_read_map(o, where, f, sizeof(f) / sizeof(f[0]), detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.event", where);
	if ((rc = ratls_msgpack_get_string(f[0].value, field, RATLS_EVENT_NAME_MAX, &event->name,
					   &event->name_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.payload", where);
	if ((rc = ratls_msgpack_get_bytes(f[1].value, field, RATLS_EVENT_PAYLOAD_MAX,
					  &event->payload, &event->payload_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.version", where);
	if ((rc = get_version(f[2].value, field, &event->version, detail)) != RATLS_OK)
		return rc;
	return ratls_evidence_check_runtime_event(event, where, detail);
}

/* Reads {"kind": str, "data": value}; data may be absent for a unit variant. */
static int read_tagged(const msgpack_object *o, const char *where, const msgpack_object **kind,
		       const msgpack_object **data, struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"kind", true, NULL},
		{"data", false, NULL},
	};
	int rc = ratls_msgpack_read_map(o, where, f, sizeof(f) / sizeof(f[0]), detail);

	if (rc != RATLS_OK)
		return rc;
	if (f[0].value->type != MSGPACK_OBJECT_STR)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s.kind is a msgpack %s; expected a str",
				  where, ratls_msgpack_type_name(f[0].value));
	*kind = f[0].value;
	*data = f[1].value;
	return RATLS_OK;
}

static int read_platform(const msgpack_object *o, struct ratls_evidence *ev,
			 struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"quote", true, NULL},
		{"event_log", true, NULL},
	};
	const msgpack_object *kind = NULL;
	const msgpack_object *data = NULL;
	const msgpack_object *log;
	int rc;

	if ((rc = read_tagged(o, "platform", &kind, &data, detail)) != RATLS_OK)
		return rc;
	if (!ratls_msgpack_str_equals(kind, "tdx"))
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "unsupported platform: the V1 attestation's platform kind is "
				  "\"%.*s\"; ratls verifies only \"tdx\" (Intel TDX)",
				  (int)(kind->via.str.size > 32 ? 32 : kind->via.str.size),
				  kind->via.str.ptr);
	if (data == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "platform has no \"data\" key");
	if ((rc = ratls_msgpack_read_map(data, "platform.data", f, sizeof(f) / sizeof(f[0]),
					 detail)) != RATLS_OK)
		return rc;

	if ((rc = ratls_msgpack_get_bytes(f[0].value, "platform.data.quote", RATLS_QUOTE_MAX_SIZE,
					  &ev->quote, &ev->quote_size, detail)) != RATLS_OK)
		return rc;

	log = f[1].value;
	if (log->type != MSGPACK_OBJECT_ARRAY)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "platform.data.event_log is a msgpack %s; expected an array",
				  ratls_msgpack_type_name(log));
	if (log->via.array.size > RATLS_EVENT_LOG_MAX_EVENTS)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "platform.data.event_log has %u entries; the limit is %d "
				  "(RATLS_EVENT_LOG_MAX_EVENTS)",
				  log->via.array.size, RATLS_EVENT_LOG_MAX_EVENTS);
	if (log->via.array.size != 0) {
		ev->events = calloc(log->via.array.size, sizeof(*ev->events));
		if (ev->events == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for events");
	}
	for (uint32_t i = 0; i < log->via.array.size; i++) {
		ev->event_count = i + 1;
		if ((rc = read_tdx_event(&log->via.array.ptr[i], i, &ev->events[i], detail)) !=
		    RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

static int read_runtime_events(const msgpack_object *list, struct ratls_evidence *ev,
			       struct ratls_detail *detail)
{
	int rc;

	if (list->type != MSGPACK_OBJECT_ARRAY)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "stack.data.runtime_events is a msgpack %s; expected an array",
				  ratls_msgpack_type_name(list));
	if (list->via.array.size > RATLS_RUNTIME_EVENTS_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "stack.data.runtime_events has %u entries; the limit is %d "
				  "(RATLS_RUNTIME_EVENTS_MAX)",
				  list->via.array.size, RATLS_RUNTIME_EVENTS_MAX);
	if (list->via.array.size != 0) {
		ev->runtime_events = calloc(list->via.array.size, sizeof(*ev->runtime_events));
		if (ev->runtime_events == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					  "out of memory for runtime events");
	}
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		ev->runtime_event_count = i + 1;
		if ((rc = read_runtime_event(&list->via.array.ptr[i], i, &ev->runtime_events[i],
					     detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

static int read_stack(const msgpack_object *o, struct ratls_evidence *ev,
		      struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"report_data", true, NULL},
		{"runtime_events", true, NULL},
		{"config", true, NULL},
		{"report_data_payload", false, NULL},
	};
	const msgpack_object *kind = NULL;
	const msgpack_object *data = NULL;
	uint8_t *report_data = NULL;
	size_t report_data_size = 0;
	size_t payload_size = 0;
	int rc;

	if ((rc = read_tagged(o, "stack", &kind, &data, detail)) != RATLS_OK)
		return rc;
	if (ratls_msgpack_str_equals(kind, "dstack"))
		ev->stack = RATLS_STACK_DSTACK;
	else if (ratls_msgpack_str_equals(kind, "dstack-pod"))
		ev->stack = RATLS_STACK_DSTACK_POD;
	else
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "unsupported stack: the V1 attestation's stack kind is \"%.*s\"; "
				  "ratls reads \"dstack\" and \"dstack-pod\"",
				  (int)(kind->via.str.size > 32 ? 32 : kind->via.str.size),
				  kind->via.str.ptr);
	if (data == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "stack has no \"data\" key");
	if ((rc = ratls_msgpack_read_map(data, "stack.data", f, sizeof(f) / sizeof(f[0]), detail)) !=
	    RATLS_OK)
		return rc;

	rc = ratls_msgpack_get_bytes(f[0].value, "stack.data.report_data", RATLS_REPORT_DATA_SIZE,
				     &report_data, &report_data_size, detail);
	if (rc != RATLS_OK)
		return rc;
	if (report_data_size != RATLS_REPORT_DATA_SIZE) {
		free(report_data);
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "stack.data.report_data is %zu bytes; it must be %d",
				  report_data_size, RATLS_REPORT_DATA_SIZE);
	}
	memcpy(ev->report_data, report_data, RATLS_REPORT_DATA_SIZE);
	free(report_data);

	if ((rc = read_runtime_events(f[1].value, ev, detail)) != RATLS_OK)
		return rc;
	if ((rc = ratls_msgpack_get_string(f[2].value, "stack.data.config", RATLS_EVIDENCE_CONFIG_MAX,
					   &ev->config, &ev->config_size, detail)) != RATLS_OK)
		return rc;

	if (ev->stack == RATLS_STACK_DSTACK_POD && f[3].value == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "stack kind \"dstack-pod\" requires stack.data.report_data_payload");
	if (ev->stack == RATLS_STACK_DSTACK && f[3].value != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "stack kind \"dstack\" has no report_data_payload key");
	if (f[3].value != NULL)
		return ratls_msgpack_get_string(f[3].value, "stack.data.report_data_payload",
						RATLS_EVIDENCE_CONFIG_MAX, &ev->report_data_payload,
						&payload_size, detail);
	return RATLS_OK;
}

int ratls_evidence_decode_v1(const uint8_t *data, size_t size, struct ratls_evidence *ev,
			     struct ratls_detail *detail)
{
	struct ratls_msgpack_field f[] = {
		{"version", true, NULL},
		{"platform", true, NULL},
		{"stack", true, NULL},
	};
	msgpack_unpacked unpacked;
	uint64_t version = 0;
	int rc = RATLS_ERR_INTERNAL;

	msgpack_unpacked_init(&unpacked);
	rc = ratls_msgpack_unpack_exact(data, size, "V1 attestation", &unpacked, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_msgpack_read_map(&unpacked.data, "V1 attestation", f, sizeof(f) / sizeof(f[0]),
				    detail);
	if (rc != RATLS_OK)
		goto out;

	rc = ratls_msgpack_get_uint(f[0].value, "version", UINT64_MAX, &version, detail);
	if (rc != RATLS_OK)
		goto out;
	if (version != 1) {
		rc = ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				"V1 attestation declares version %llu; ratls reads version 1",
				(unsigned long long)version);
		goto out;
	}

	if ((rc = read_platform(f[1].value, ev, detail)) != RATLS_OK)
		goto out;
	rc = read_stack(f[2].value, ev, detail);
out:
	msgpack_unpacked_destroy(&unpacked);
	return rc;
}
