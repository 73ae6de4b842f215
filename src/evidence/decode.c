/*
 * Entry points that turn an envelope, a quote with its JSON event log, or a
 * GetQuote response into a struct ratls_evidence.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

int ratls_evidence_from_attestation(const uint8_t *data, size_t size, struct ratls_evidence **out,
				    struct ratls_detail *detail)
{
	struct ratls_evidence *ev = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || (data == NULL && size != 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_from_attestation: data or out is NULL");
	*out = NULL;
	if (size == 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "the attestation is empty");
	if (size > RATLS_EVIDENCE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the attestation is %zu bytes; the limit is %d "
				  "(RATLS_EVIDENCE_MAX_SIZE)",
				  size, RATLS_EVIDENCE_MAX_SIZE);

	/* The first byte selects the wire format: 0x00 is SCALE V0, a msgpack map header is V1. */
	if (data[0] == 0x00) {
		ev = ratls_evidence_new(RATLS_EVIDENCE_V0_SCALE);
		if (ev == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		rc = ratls_evidence_decode_v0(data, size, ev, detail);
	} else if ((data[0] >= 0x80 && data[0] <= 0x8f) || data[0] == 0xde || data[0] == 0xdf) {
		ev = ratls_evidence_new(RATLS_EVIDENCE_V1_MSGPACK);
		if (ev == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		rc = ratls_evidence_decode_v1(data, size, ev, detail);
	} else {
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "unknown attestation wire format: the first byte is 0x%02x; dstack "
				  "writes 0x00 (V0, SCALE) or a msgpack map header (V1)",
				  data[0]);
	}
	if (rc != RATLS_OK)
		goto out;
	if ((rc = ratls_evidence_finish(ev, detail)) != RATLS_OK)
		goto out;

	*out = ev;
	ev = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_evidence_free(ev);
	return rc;
}

/* Copies the log's runtime events (type RATLS_RUNTIME_EVENT_TYPE) into ev->runtime_events. */
static int collect_runtime_events(struct ratls_evidence *ev, struct ratls_detail *detail)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->event_count; i++) {
		const struct ratls_tdx_event *e = &ev->events[i];

		if (e->event_type != RATLS_RUNTIME_EVENT_TYPE)
			continue;
		if (e->imr != 3)
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "event_log[%zu] is a dstack runtime event (type 0x%08x) in "
					  "imr %u; runtime events extend only RTMR3 (imr 3)",
					  i, RATLS_RUNTIME_EVENT_TYPE, e->imr);
		n++;
	}
	if (n > RATLS_RUNTIME_EVENTS_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "event log has %zu runtime events; the limit is %d "
				  "(RATLS_RUNTIME_EVENTS_MAX)",
				  n, RATLS_RUNTIME_EVENTS_MAX);
	if (n == 0)
		return RATLS_OK;

	ev->runtime_events = calloc(n, sizeof(*ev->runtime_events));
	if (ev->runtime_events == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for runtime events");
	for (size_t i = 0; i < ev->event_count; i++) {
		const struct ratls_tdx_event *e = &ev->events[i];
		struct ratls_runtime_event *r;

		if (e->event_type != RATLS_RUNTIME_EVENT_TYPE)
			continue;
		r = &ev->runtime_events[ev->runtime_event_count++];
		r->name = ratls_evidence_copy_string(e->name, e->name_size);
		r->payload = ratls_evidence_copy_bytes(e->payload, e->payload_size);
		if (r->name == NULL || r->payload == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for runtime events");
		r->name_size = e->name_size;
		r->payload_size = e->payload_size;
		r->version = e->version;
	}
	return RATLS_OK;
}

int ratls_evidence_attach_event_log(struct ratls_evidence *ev, const uint8_t *json, size_t size,
				    struct ratls_detail *detail)
{
	int rc = ratls_evidence_parse_event_log(json, size, &ev->events, &ev->event_count, detail);

	if (rc == RATLS_OK)
		rc = collect_runtime_events(ev, detail);
	if (rc != RATLS_OK) {
		for (size_t i = 0; i < ev->runtime_event_count; i++)
			ratls_evidence_clear_runtime_event(&ev->runtime_events[i]);
		free(ev->runtime_events);
		ev->runtime_events = NULL;
		ev->runtime_event_count = 0;
		ratls_evidence_free_events(ev->events, ev->event_count);
		ev->events = NULL;
		ev->event_count = 0;
	}
	return rc;
}

int ratls_evidence_from_quote(const uint8_t *quote, size_t quote_size, const uint8_t *event_log,
			      size_t event_log_size, const char *config, size_t config_size,
			      struct ratls_evidence **out, struct ratls_detail *detail)
{
	struct ratls_evidence *ev = NULL;
	struct ratls_quote parsed;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || quote == NULL || (event_log == NULL && event_log_size != 0) ||
	    (config == NULL && config_size != 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_from_quote: quote, out, or a non-empty event log or "
				  "config is NULL");
	*out = NULL;
	if (config_size > RATLS_EVIDENCE_CONFIG_MAX)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "config is %zu bytes; the limit is %d (RATLS_EVIDENCE_CONFIG_MAX)",
				  config_size, RATLS_EVIDENCE_CONFIG_MAX);
	if (config_size != 0 && (!ratls_utf8_valid((const uint8_t *)config, config_size) ||
				 memchr(config, '\0', config_size) != NULL))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "config is not UTF-8 text without NUL bytes");

	/* The quote parser enforces RATLS_QUOTE_MAX_SIZE before anything is copied. */
	if ((rc = ratls_quote_parse(quote, quote_size, &parsed, detail)) != RATLS_OK)
		return rc;
	if (!ratls_quote_is_td(&parsed))
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "the quote is an SGX quote (TEE type 0x%08x); dstack evidence "
				  "carries a TDX quote",
				  parsed.tee_type);

	ev = ratls_evidence_new(RATLS_EVIDENCE_QUOTE_EVENT_LOG);
	if (ev == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	memcpy(ev->report_data, parsed.td.report_data, RATLS_REPORT_DATA_SIZE);
	ev->quote = ratls_evidence_copy_bytes(quote, quote_size);
	ev->quote_size = quote_size;
	if (config != NULL) {
		ev->config = ratls_evidence_copy_string(config, config_size);
		ev->config_size = config_size;
	}
	if (ev->quote == NULL || (config != NULL && ev->config == NULL)) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}

	if (event_log != NULL &&
	    (rc = ratls_evidence_attach_event_log(ev, event_log, event_log_size, detail)) != RATLS_OK)
		goto out;
	if ((rc = ratls_evidence_finish(ev, detail)) != RATLS_OK)
		goto out;

	*out = ev;
	ev = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_evidence_free(ev);
	return rc;
}

/* Decodes an optional hex string member; *out stays NULL when it is absent. */
static int member_hex(json_t *root, const char *key, size_t max, uint8_t **out, size_t *size,
		      struct ratls_detail *detail)
{
	json_t *v = json_object_get(root, key);
	size_t len;

	*out = NULL;
	*size = 0;
	if (v == NULL)
		return RATLS_OK;
	if (!json_is_string(v))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "member \"%s\" is not a JSON string",
				  key);
	len = json_string_length(v);
	if (len / 2 > max)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "member \"%s\" is %zu hex digits; the limit is %zu bytes", key, len,
				  max);
	if (len % 2 != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "member \"%s\" has an odd number of hex digits (%zu)", key, len);
	*out = malloc(len / 2 != 0 ? len / 2 : 1);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory decoding \"%s\"", key);
	if (ratls_hex_decode_fixed(json_string_value(v), len, *out, len / 2) != RATLS_OK) {
		free(*out);
		*out = NULL;
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "member \"%s\" is not hex (digits 0-9 and a-f, no \"0x\" prefix)",
				  key);
	}
	*size = len / 2;
	return RATLS_OK;
}

static int member_string(json_t *root, const char *key, const char **text, size_t *len,
			 struct ratls_detail *detail)
{
	json_t *v = json_object_get(root, key);

	*text = NULL;
	*len = 0;
	if (v == NULL)
		return RATLS_OK;
	if (!json_is_string(v))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "member \"%s\" is not a JSON string",
				  key);
	*text = json_string_value(v);
	*len = json_string_length(v);
	return RATLS_OK;
}

/* Checks the optional quote and report_data members against decoded evidence. */
static int check_echoes(const struct ratls_evidence *ev, const uint8_t *quote, size_t quote_size,
			const uint8_t *report_data, size_t report_data_size,
			struct ratls_detail *detail)
{
	if (quote != NULL && (quote_size != ev->quote_size || memcmp(quote, ev->quote, quote_size) != 0))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "member \"quote\" differs from the quote inside \"attestation\"");
	if (report_data != NULL && (report_data_size != RATLS_REPORT_DATA_SIZE ||
				    memcmp(report_data, ev->report_data, RATLS_REPORT_DATA_SIZE) != 0))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "member \"report_data\" (%zu bytes) differs from the quote's "
				  "64-byte REPORTDATA",
				  report_data_size);
	return RATLS_OK;
}

/*
 * Members other than attestation, quote, event_log, report_data and
 * vm_config are ignored: this is the guest agent's transport wrapper (it
 * also carries fields such as "debug"), and the evidence inside is decoded
 * strictly.
 */
int ratls_evidence_from_getquote(const uint8_t *json, size_t size, struct ratls_evidence **out,
				 struct ratls_detail *detail)
{
	struct ratls_evidence *ev = NULL;
	json_error_t error;
	json_t *root = NULL;
	uint8_t *attestation = NULL;
	uint8_t *quote = NULL;
	uint8_t *report_data = NULL;
	size_t attestation_size = 0;
	size_t quote_size = 0;
	size_t report_data_size = 0;
	const char *event_log = NULL;
	const char *vm_config = NULL;
	size_t event_log_size = 0;
	size_t vm_config_size = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL || json == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_from_getquote: json or out is NULL");
	*out = NULL;
	if (size > RATLS_EVIDENCE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the GetQuote response is %zu bytes; the limit is %d "
				  "(RATLS_EVIDENCE_MAX_SIZE)",
				  size, RATLS_EVIDENCE_MAX_SIZE);
	root = json_loadb((const char *)json, size, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the GetQuote response is not valid JSON: %s at line %d column %d",
				  error.text, error.line, error.column);
	if (!json_is_object(root)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the GetQuote response is not a JSON object");
		goto out;
	}

	if ((rc = member_hex(root, "attestation", RATLS_EVIDENCE_MAX_SIZE, &attestation,
			     &attestation_size, detail)) != RATLS_OK ||
	    (rc = member_hex(root, "quote", RATLS_QUOTE_MAX_SIZE, &quote, &quote_size, detail)) !=
		    RATLS_OK ||
	    (rc = member_hex(root, "report_data", RATLS_REPORT_DATA_SIZE, &report_data,
			     &report_data_size, detail)) != RATLS_OK ||
	    (rc = member_string(root, "event_log", &event_log, &event_log_size, detail)) !=
		    RATLS_OK ||
	    (rc = member_string(root, "vm_config", &vm_config, &vm_config_size, detail)) != RATLS_OK)
		goto out;

	/* Real TDX guest agents leave "attestation" empty; the simulator fills it with V1. */
	if (attestation != NULL && attestation_size != 0) {
		rc = ratls_evidence_from_attestation(attestation, attestation_size, &ev, detail);
	} else if (quote != NULL) {
		rc = ratls_evidence_from_quote(quote, quote_size, (const uint8_t *)event_log,
					       event_log_size, vm_config, vm_config_size, &ev, detail);
		free(quote);
		quote = NULL; /* the quote was checked as the evidence itself */
	} else {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the GetQuote response has neither a non-empty \"attestation\" nor "
				"a \"quote\" member");
	}
	if (rc != RATLS_OK)
		goto out;
	if ((rc = check_echoes(ev, quote, quote_size, report_data, report_data_size, detail)) !=
	    RATLS_OK)
		goto out;

	*out = ev;
	ev = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_evidence_free(ev);
	free(attestation);
	free(quote);
	free(report_data);
	json_decref(root);
	return rc;
}
