/*
 * Memory, validation and the final step shared by every evidence decoder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

/* 1.3.6.1.4.1.62397.1: 2b 06 01 04 01 then 62397 in base 128 (83 e7 3d), then 01. */
const uint8_t ratls_dstack_oid_prefix[RATLS_DSTACK_OID_PREFIX_SIZE] = {
	0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xe7, 0x3d, 0x01,
};

void ratls_buffer_append(struct ratls_buffer *b, const void *data, size_t size)
{
	if (b->failed || size == 0)
		return;
	if (size > SIZE_MAX / 2 - b->size) {
		b->failed = true;
		return;
	}
	if (b->size + size > b->capacity) {
		size_t capacity = b->capacity != 0 ? b->capacity : 256;
		uint8_t *grown;

		while (capacity < b->size + size)
			capacity *= 2;
		grown = realloc(b->data, capacity);
		if (grown == NULL) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->capacity = capacity;
	}
	memcpy(b->data + b->size, data, size);
	b->size += size;
}

void ratls_buffer_append_u8(struct ratls_buffer *b, uint8_t v)
{
	ratls_buffer_append(b, &v, 1);
}

void ratls_buffer_append_u32le(struct ratls_buffer *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	ratls_buffer_append(b, le, sizeof(le));
}

uint8_t *ratls_evidence_copy_bytes(const void *data, size_t size)
{
	uint8_t *copy = malloc(size != 0 ? size : 1);

	if (copy != NULL && size != 0)
		memcpy(copy, data, size);
	return copy;
}

char *ratls_evidence_copy_string(const void *text, size_t size)
{
	char *copy;

	if (size == SIZE_MAX)
		return NULL;
	copy = malloc(size + 1);
	if (copy == NULL)
		return NULL;
	if (size != 0)
		memcpy(copy, text, size);
	copy[size] = '\0';
	return copy;
}

struct ratls_evidence *ratls_evidence_new(enum ratls_evidence_format format)
{
	struct ratls_evidence *ev = calloc(1, sizeof(*ev));

	if (ev != NULL) {
		ev->format = format;
		ev->stack = RATLS_STACK_DSTACK;
	}
	return ev;
}

void ratls_evidence_clear_event(struct ratls_tdx_event *event)
{
	free(event->digest);
	free(event->name);
	free(event->payload);
	free(event->preimage);
	memset(event, 0, sizeof(*event));
}

void ratls_evidence_clear_runtime_event(struct ratls_runtime_event *event)
{
	free(event->name);
	free(event->payload);
	memset(event, 0, sizeof(*event));
}

void ratls_evidence_free_events(struct ratls_tdx_event *events, size_t count)
{
	if (events == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		ratls_evidence_clear_event(&events[i]);
	free(events);
}

void ratls_evidence_free(struct ratls_evidence *ev)
{
	if (ev == NULL)
		return;
	free(ev->quote);
	ratls_evidence_free_events(ev->events, ev->event_count);
	if (ev->runtime_events != NULL) {
		for (size_t i = 0; i < ev->runtime_event_count; i++)
			ratls_evidence_clear_runtime_event(&ev->runtime_events[i]);
		free(ev->runtime_events);
	}
	free(ev->config);
	free(ev->report_data_payload);
	ratls_evidence_clear_extensions(&ev->cert);
	free(ev);
}

int ratls_evidence_check_event(const struct ratls_tdx_event *event, const char *where,
			       struct ratls_detail *detail)
{
	if (event->imr > 3)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s has imr %u; TDX has RTMR0-3, so imr must be 0-3", where,
				  event->imr);
	if (event->digest_size != 0 && event->digest_size != RATLS_RTMR_SIZE)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s has a %zu-byte digest; TDX event digests are SHA-384 (48 "
				  "bytes) or empty in a stripped log",
				  where, event->digest_size);
	if (event->name_size > RATLS_EVENT_NAME_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s has a %zu-byte name; the limit is %d bytes", where,
				  event->name_size, RATLS_EVENT_NAME_MAX);
	if (event->payload_size > RATLS_EVENT_PAYLOAD_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s has a %zu-byte payload; the limit is %d bytes", where,
				  event->payload_size, RATLS_EVENT_PAYLOAD_MAX);
	if (event->version != 1 && event->version != 2)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "%s has event version %u; ratls reads versions 1 and 2", where,
				  event->version);
	return RATLS_OK;
}

int ratls_evidence_check_runtime_event(const struct ratls_runtime_event *event, const char *where,
				       struct ratls_detail *detail)
{
	if (event->name_size > RATLS_EVENT_NAME_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s has a %zu-byte name; the limit is %d bytes", where,
				  event->name_size, RATLS_EVENT_NAME_MAX);
	if (event->payload_size > RATLS_EVENT_PAYLOAD_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s has a %zu-byte payload; the limit is %d bytes", where,
				  event->payload_size, RATLS_EVENT_PAYLOAD_MAX);
	if (event->version != 1 && event->version != 2)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "%s has event version %u; ratls reads versions 1 and 2", where,
				  event->version);
	return RATLS_OK;
}

void ratls_evidence_hex_short(const uint8_t *data, size_t size, char *out, size_t out_size)
{
	char head[17];
	char tail[17];

	if (size <= 16) {
		char full[33];

		ratls_hex_encode(data, size, full);
		snprintf(out, out_size, "%s", full);
		return;
	}
	ratls_hex_encode(data, 8, head);
	ratls_hex_encode(data + size - 8, 8, tail);
	snprintf(out, out_size, "%s...%s", head, tail);
}

/* dstack-pod: report_data = SHA-512("app-data:" || report_data_payload). */
static int check_pod_binding(const struct ratls_evidence *ev, struct ratls_detail *detail)
{
	static const char tag[] = "app-data:";
	uint8_t expected[RATLS_REPORT_DATA_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = RATLS_ERR_INTERNAL;

	if (ctx == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot allocate a digest context");
	if (EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, tag, sizeof(tag) - 1) != 1 ||
	    EVP_DigestUpdate(ctx, ev->report_data_payload, strlen(ev->report_data_payload)) != 1 ||
	    EVP_DigestFinal_ex(ctx, expected, &len) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "SHA-512 failed");
		goto out;
	}
	if (CRYPTO_memcmp(expected, ev->report_data, sizeof(expected)) != 0) {
		char seen[40];
		char want[40];

		ratls_evidence_hex_short(ev->report_data, sizeof(ev->report_data), seen, sizeof(seen));
		ratls_evidence_hex_short(expected, sizeof(expected), want, sizeof(want));
		rc = ratls_fail(detail, RATLS_ERR_KEY_BINDING,
				"dstack-pod report_data %s is not SHA-512(\"app-data:\" || "
				"report_data_payload) = %s; the envelope was altered",
				seen, want);
		goto out;
	}
	rc = RATLS_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ratls_evidence_finish(struct ratls_evidence *ev, struct ratls_detail *detail)
{
	int rc;

	if (ev->event_count > RATLS_EVENT_LOG_MAX_EVENTS)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "event log has %zu entries; the limit is %d", ev->event_count,
				  RATLS_EVENT_LOG_MAX_EVENTS);
	if (ev->runtime_event_count > RATLS_RUNTIME_EVENTS_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "evidence has %zu runtime events; the limit is %d",
				  ev->runtime_event_count, RATLS_RUNTIME_EVENTS_MAX);

	rc = ratls_quote_parse(ev->quote, ev->quote_size, &ev->parsed_quote, detail);
	if (rc != RATLS_OK)
		return rc;
	if (!ratls_quote_is_td(&ev->parsed_quote))
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "the dstack evidence carries an SGX quote (TEE type 0x%08x); "
				  "dstack TDX evidence must carry a TDX quote",
				  ev->parsed_quote.tee_type);

	if (memcmp(ev->report_data, ev->parsed_quote.td.report_data, RATLS_REPORT_DATA_SIZE) != 0) {
		char envelope[40];
		char quote[40];

		ratls_evidence_hex_short(ev->report_data, RATLS_REPORT_DATA_SIZE, envelope,
					 sizeof(envelope));
		ratls_evidence_hex_short(ev->parsed_quote.td.report_data, RATLS_REPORT_DATA_SIZE,
					 quote, sizeof(quote));
		return ratls_fail(detail, RATLS_ERR_KEY_BINDING,
				  "the envelope's report_data %s differs from the quote's "
				  "REPORTDATA %s; the envelope does not belong to this quote",
				  envelope, quote);
	}
	if (ev->stack == RATLS_STACK_DSTACK_POD)
		return check_pod_binding(ev, detail);
	return RATLS_OK;
}

const char *ratls_evidence_format_name(enum ratls_evidence_format format)
{
	switch (format) {
	case RATLS_EVIDENCE_V0_SCALE:
		return "v0-scale";
	case RATLS_EVIDENCE_V1_MSGPACK:
		return "v1-msgpack";
	case RATLS_EVIDENCE_QUOTE_EVENT_LOG:
		return "quote-event-log";
	}
	return "unknown";
}

const char *ratls_rtmr_status_name(enum ratls_rtmr_status status)
{
	switch (status) {
	case RATLS_RTMR_NOT_REPLAYED:
		return "not-replayed";
	case RATLS_RTMR_MATCH:
		return "match";
	case RATLS_RTMR_MISMATCH:
		return "mismatch";
	}
	return "unknown";
}
