/*
 * VersionedAttestation V0: SCALE encoding of dstack's Attestation, field
 * order as in dstack-attest (v0.5.9 and later):
 *
 *   0x00 (V0) || AttestationQuote || runtime_events: Vec<RuntimeEvent>
 *   || report_data: [u8; 64] || config: String || report: () (no bytes)
 *   AttestationQuote::DstackTdx = 0x00 || quote: Vec<u8> || event_log: Vec<TdxEvent>
 *   TdxEvent     = imr: u32 || event_type: u32 || digest: Vec<u8> || event: String
 *                  || event_payload: Vec<u8>
 *   RuntimeEvent = event: String || payload: Vec<u8>
 *
 * TdxEvent.version/preimage and RuntimeEvent.version are skipped by the
 * codec, so every V0 event is version 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

/* Smallest encodings, used to reject counts that cannot fit in the bytes left. */
#define TDX_EVENT_MIN_SIZE 11   /* imr, event_type, three empty compact lengths */
#define RUNTIME_EVENT_MIN_SIZE 2 /* two empty compact lengths */

/* Names of the AttestationQuote variants other than DstackTdx (dstack 0.6 numbering). */
static const char *platform_variant_name(uint8_t variant)
{
	switch (variant) {
	case 1:
		return "DstackGcpTdx";
	case 2:
		return "DstackNitroEnclave";
	case 3:
		return "DstackAmdSevSnp";
	case 4:
		return "DstackAwsNitroTpm";
	default:
		return "unknown";
	}
}

static int fail_read(struct ratls_detail *detail, int rc, const char *field, size_t offset)
{
	if (rc == RATLS_ERR_TRUNCATED)
		return ratls_fail(detail, rc,
				  "V0 attestation truncated while reading %s at offset %zu", field,
				  offset);
	return ratls_fail(detail, rc,
			  "V0 attestation %s at offset %zu is not a canonical SCALE compact "
			  "integer: SCALE requires the shortest form and at most 32 bits",
			  field, offset);
}

/* Reads a compact length and checks it against limit (named limit_name in messages). */
static int read_length(struct ratls_reader *r, const char *field, size_t limit,
		       const char *limit_name, size_t *out, struct ratls_detail *detail)
{
	size_t at = r->offset;
	uint32_t len = 0;
	int rc = ratls_scale_read_compact(r, &len);

	if (rc != RATLS_OK)
		return fail_read(detail, rc, field, at);
	if (len > limit)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "V0 attestation %s at offset %zu declares %u; the limit is %zu (%s)",
				  field, at, len, limit, limit_name);
	*out = len;
	return RATLS_OK;
}

/* Reads a Vec<u8> into a new buffer. */
static int read_vec(struct ratls_reader *r, const char *field, size_t limit, const char *limit_name,
		    uint8_t **out, size_t *size, struct ratls_detail *detail)
{
	const uint8_t *view = NULL;
	size_t len = 0;
	size_t at;
	int rc;

	if ((rc = read_length(r, field, limit, limit_name, &len, detail)) != RATLS_OK)
		return rc;
	at = r->offset;
	if ((rc = ratls_reader_bytes(r, len, &view)) != RATLS_OK)
		return ratls_fail(detail, rc,
				  "V0 attestation %s at offset %zu declares %zu bytes but only %zu "
				  "remain",
				  field, at, len, ratls_reader_remaining(r));
	*out = ratls_evidence_copy_bytes(view, len);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s", field);
	*size = len;
	return RATLS_OK;
}

/* Reads a String (UTF-8, no NUL byte) into a new NUL-terminated buffer. */
static int read_string(struct ratls_reader *r, const char *field, size_t limit,
		       const char *limit_name, char **out, size_t *size,
		       struct ratls_detail *detail)
{
	const uint8_t *view = NULL;
	size_t len = 0;
	size_t at;
	int rc;

	if ((rc = read_length(r, field, limit, limit_name, &len, detail)) != RATLS_OK)
		return rc;
	at = r->offset;
	if ((rc = ratls_reader_bytes(r, len, &view)) != RATLS_OK)
		return ratls_fail(detail, rc,
				  "V0 attestation %s at offset %zu declares %zu bytes but only %zu "
				  "remain",
				  field, at, len, ratls_reader_remaining(r));
	if (!ratls_utf8_valid(view, len))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "V0 attestation %s at offset %zu is not valid UTF-8", field, at);
	if (memchr(view, '\0', len) != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "V0 attestation %s at offset %zu contains a NUL byte", field, at);
	*out = ratls_evidence_copy_string(view, len);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s", field);
	*size = len;
	return RATLS_OK;
}

static int read_u32(struct ratls_reader *r, const char *field, uint32_t *out,
		    struct ratls_detail *detail)
{
	size_t at = r->offset;
	int rc = ratls_reader_u32le(r, out);

	if (rc != RATLS_OK)
		return fail_read(detail, rc, field, at);
	return RATLS_OK;
}

/* Reads a compact element count and checks that count elements can fit in what remains. */
static int read_count(struct ratls_reader *r, const char *field, size_t limit,
		      const char *limit_name, size_t min_element_size, size_t *out,
		      struct ratls_detail *detail)
{
	size_t at = r->offset;
	int rc = read_length(r, field, limit, limit_name, out, detail);

	if (rc != RATLS_OK)
		return rc;
	if (*out > ratls_reader_remaining(r) / min_element_size)
		return ratls_fail(detail, RATLS_ERR_TRUNCATED,
				  "V0 attestation %s at offset %zu declares %zu entries but only %zu "
				  "bytes remain",
				  field, at, *out, ratls_reader_remaining(r));
	return RATLS_OK;
}

static int read_tdx_event(struct ratls_reader *r, size_t index, struct ratls_tdx_event *event,
			  struct ratls_detail *detail)
{
	char field[64];
	int rc;

	event->version = 1;
	snprintf(field, sizeof(field), "event_log[%zu].imr", index);
	if ((rc = read_u32(r, field, &event->imr, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "event_log[%zu].event_type", index);
	if ((rc = read_u32(r, field, &event->event_type, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "event_log[%zu].digest", index);
	if ((rc = read_vec(r, field, RATLS_EVENT_PAYLOAD_MAX, "RATLS_EVENT_PAYLOAD_MAX",
			   &event->digest, &event->digest_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "event_log[%zu].event", index);
	if ((rc = read_string(r, field, RATLS_EVENT_NAME_MAX, "RATLS_EVENT_NAME_MAX", &event->name,
			      &event->name_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "event_log[%zu].event_payload", index);
	if ((rc = read_vec(r, field, RATLS_EVENT_PAYLOAD_MAX, "RATLS_EVENT_PAYLOAD_MAX",
			   &event->payload, &event->payload_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "event_log[%zu]", index);
	return ratls_evidence_check_event(event, field, detail);
}

static int read_runtime_event(struct ratls_reader *r, size_t index,
			      struct ratls_runtime_event *event, struct ratls_detail *detail)
{
	char field[64];
	int rc;

	event->version = 1;
	snprintf(field, sizeof(field), "runtime_events[%zu].event", index);
	if ((rc = read_string(r, field, RATLS_EVENT_NAME_MAX, "RATLS_EVENT_NAME_MAX", &event->name,
			      &event->name_size, detail)) != RATLS_OK)
		return rc;
	snprintf(field, sizeof(field), "runtime_events[%zu].payload", index);
	return read_vec(r, field, RATLS_EVENT_PAYLOAD_MAX, "RATLS_EVENT_PAYLOAD_MAX",
			&event->payload, &event->payload_size, detail);
}

static int read_platform(struct ratls_reader *r, struct ratls_evidence *ev,
			 struct ratls_detail *detail)
{
	size_t at = r->offset;
	uint8_t variant = 0;
	size_t count = 0;
	int rc;

	if ((rc = ratls_reader_u8(r, &variant)) != RATLS_OK)
		return fail_read(detail, rc, "the AttestationQuote variant", at);
	if (variant != 0)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "unsupported platform: the V0 attestation carries AttestationQuote "
				  "variant %u (%s); ratls verifies only variant 0 (DstackTdx, Intel "
				  "TDX)",
				  variant, platform_variant_name(variant));

	if ((rc = read_vec(r, "quote", RATLS_QUOTE_MAX_SIZE, "RATLS_QUOTE_MAX_SIZE", &ev->quote,
			   &ev->quote_size, detail)) != RATLS_OK)
		return rc;

	if ((rc = read_count(r, "event_log count", RATLS_EVENT_LOG_MAX_EVENTS,
			     "RATLS_EVENT_LOG_MAX_EVENTS", TDX_EVENT_MIN_SIZE, &count, detail)) !=
	    RATLS_OK)
		return rc;
	if (count != 0) {
		ev->events = calloc(count, sizeof(*ev->events));
		if (ev->events == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for %zu events",
					  count);
	}
	for (size_t i = 0; i < count; i++) {
		ev->event_count = i + 1;
		if ((rc = read_tdx_event(r, i, &ev->events[i], detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

int ratls_evidence_decode_v0(const uint8_t *data, size_t size, struct ratls_evidence *ev,
			     struct ratls_detail *detail)
{
	struct ratls_reader r;
	const uint8_t *report_data = NULL;
	uint8_t version = 0xff;
	size_t count = 0;
	size_t at;
	int rc;

	ratls_reader_init(&r, data, size);
	if ((rc = ratls_reader_u8(&r, &version)) != RATLS_OK)
		return fail_read(detail, rc, "the version byte", 0);
	if (version != 0)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "V0 attestation starts with 0x%02x instead of 0x00", version);

	if ((rc = read_platform(&r, ev, detail)) != RATLS_OK)
		return rc;

	if ((rc = read_count(&r, "runtime_events count", RATLS_RUNTIME_EVENTS_MAX,
			     "RATLS_RUNTIME_EVENTS_MAX", RUNTIME_EVENT_MIN_SIZE, &count, detail)) !=
	    RATLS_OK)
		return rc;
	if (count != 0) {
		ev->runtime_events = calloc(count, sizeof(*ev->runtime_events));
		if (ev->runtime_events == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					  "out of memory for %zu runtime events", count);
	}
	for (size_t i = 0; i < count; i++) {
		ev->runtime_event_count = i + 1;
		if ((rc = read_runtime_event(&r, i, &ev->runtime_events[i], detail)) != RATLS_OK)
			return rc;
	}

	at = r.offset;
	if ((rc = ratls_reader_bytes(&r, RATLS_REPORT_DATA_SIZE, &report_data)) != RATLS_OK)
		return fail_read(detail, rc, "report_data", at);
	memcpy(ev->report_data, report_data, RATLS_REPORT_DATA_SIZE);

	if ((rc = read_string(&r, "config", RATLS_EVIDENCE_CONFIG_MAX, "RATLS_EVIDENCE_CONFIG_MAX",
			      &ev->config, &ev->config_size, detail)) != RATLS_OK)
		return rc;

	/* report: () encodes as nothing, so the config string is the last field. */
	if (ratls_reader_remaining(&r) != 0)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "V0 attestation has %zu bytes after its last field (config, which "
				  "ends at offset %zu)",
				  ratls_reader_remaining(&r), r.offset);
	return RATLS_OK;
}

static int check_encode_inputs(const uint8_t *quote, size_t quote_size,
			       const struct ratls_tdx_event *events, size_t event_count,
			       const struct ratls_runtime_event *runtime_events,
			       size_t runtime_event_count, const uint8_t *report_data,
			       const char *config, size_t config_size, struct ratls_detail *detail)
{
	char where[64];
	int rc;

	if (quote == NULL || report_data == NULL || (events == NULL && event_count != 0) ||
	    (runtime_events == NULL && runtime_event_count != 0) ||
	    (config == NULL && config_size != 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_encode_v0: quote, report_data, or a non-empty "
				  "list or config is NULL");
	if (quote_size > RATLS_QUOTE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "quote is %zu bytes; the limit is %d (RATLS_QUOTE_MAX_SIZE)",
				  quote_size, RATLS_QUOTE_MAX_SIZE);
	if (event_count > RATLS_EVENT_LOG_MAX_EVENTS)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "event log has %zu entries; the limit is %d", event_count,
				  RATLS_EVENT_LOG_MAX_EVENTS);
	if (runtime_event_count > RATLS_RUNTIME_EVENTS_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%zu runtime events; the limit is %d", runtime_event_count,
				  RATLS_RUNTIME_EVENTS_MAX);
	if (config_size > RATLS_EVIDENCE_CONFIG_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "config is %zu bytes; the limit is %d", config_size,
				  RATLS_EVIDENCE_CONFIG_MAX);
	if (config_size != 0 && (!ratls_utf8_valid((const uint8_t *)config, config_size) ||
				 memchr(config, '\0', config_size) != NULL))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "config is not UTF-8 text without NUL bytes");

	for (size_t i = 0; i < event_count; i++) {
		const struct ratls_tdx_event *e = &events[i];

		snprintf(where, sizeof(where), "event_log[%zu]", i);
		if ((rc = ratls_evidence_check_event(e, where, detail)) != RATLS_OK)
			return rc;
		if (e->version != 1 || e->preimage != NULL)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s is version %u or carries a preimage; V0 has neither, so "
					  "encode version 2 events in V1",
					  where, e->version);
		if ((e->name_size != 0 && e->name == NULL) ||
		    (e->payload_size != 0 && e->payload == NULL) ||
		    (e->digest_size != 0 && e->digest == NULL) ||
		    !ratls_utf8_valid((const uint8_t *)e->name, e->name_size) ||
		    (e->name_size != 0 && memchr(e->name, '\0', e->name_size) != NULL))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s has a NULL field or a name that is not UTF-8 text", where);
	}
	for (size_t i = 0; i < runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &runtime_events[i];

		snprintf(where, sizeof(where), "runtime_events[%zu]", i);
		if ((rc = ratls_evidence_check_runtime_event(e, where, detail)) != RATLS_OK)
			return rc;
		if (e->version != 1)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s is version %u; V0 encodes only version 1 events", where,
					  e->version);
		if ((e->name_size != 0 && e->name == NULL) ||
		    (e->payload_size != 0 && e->payload == NULL) ||
		    !ratls_utf8_valid((const uint8_t *)e->name, e->name_size) ||
		    (e->name_size != 0 && memchr(e->name, '\0', e->name_size) != NULL))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s has a NULL field or a name that is not UTF-8 text", where);
	}
	return RATLS_OK;
}

static void append_vec(struct ratls_buffer *b, const void *data, size_t size)
{
	ratls_scale_append_compact(b, (uint32_t)size);
	ratls_buffer_append(b, data, size);
}

int ratls_evidence_encode_v0(const uint8_t *quote, size_t quote_size,
			     const struct ratls_tdx_event *events, size_t event_count,
			     const struct ratls_runtime_event *runtime_events,
			     size_t runtime_event_count,
			     const uint8_t report_data[RATLS_REPORT_DATA_SIZE], const char *config,
			     size_t config_size, uint8_t **out, size_t *out_size,
			     struct ratls_detail *detail)
{
	struct ratls_buffer b = {0};
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || out_size == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_encode_v0: out or out_size is NULL");
	*out = NULL;
	*out_size = 0;
	rc = check_encode_inputs(quote, quote_size, events, event_count, runtime_events,
				 runtime_event_count, report_data, config, config_size, detail);
	if (rc != RATLS_OK)
		return rc;

	ratls_buffer_append_u8(&b, 0); /* VersionedAttestation::V0 */
	ratls_buffer_append_u8(&b, 0); /* AttestationQuote::DstackTdx */
	append_vec(&b, quote, quote_size);

	ratls_scale_append_compact(&b, (uint32_t)event_count);
	for (size_t i = 0; i < event_count; i++) {
		const struct ratls_tdx_event *e = &events[i];

		ratls_buffer_append_u32le(&b, e->imr);
		ratls_buffer_append_u32le(&b, e->event_type);
		append_vec(&b, e->digest, e->digest_size);
		append_vec(&b, e->name, e->name_size);
		append_vec(&b, e->payload, e->payload_size);
	}

	ratls_scale_append_compact(&b, (uint32_t)runtime_event_count);
	for (size_t i = 0; i < runtime_event_count; i++) {
		append_vec(&b, runtime_events[i].name, runtime_events[i].name_size);
		append_vec(&b, runtime_events[i].payload, runtime_events[i].payload_size);
	}

	ratls_buffer_append(&b, report_data, RATLS_REPORT_DATA_SIZE);
	append_vec(&b, config, config_size);

	if (b.failed) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory encoding a V0 attestation");
		goto out;
	}
	if (b.size > RATLS_EVIDENCE_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the V0 attestation would be %zu bytes; the limit is %d "
				"(RATLS_EVIDENCE_MAX_SIZE)",
				b.size, RATLS_EVIDENCE_MAX_SIZE);
		goto out;
	}
	*out = b.data;
	*out_size = b.size;
	b.data = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	free(b.data);
	return rc;
}
