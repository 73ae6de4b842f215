/*
 * Output of RA-TLS evidence for "inspect cert" and "verify cert": the
 * extensions found, the envelope, the event log, the RTMR replay, the
 * identity fields and the key binding, as JSON and as text.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* Widest label ("digests recomputed:") plus one space, as in report_text.c. */
#define LABEL_WIDTH 24

/* Runtime event payloads longer than this are shortened in text output. */
#define TEXT_PAYLOAD_MAX 48

struct extension_entry {
	const char *oid;
	const char *what;
	size_t size;
};

/* Fills entries with the dstack extensions present; returns their number. */
static size_t list_extensions(const struct ratls_cert_extensions *ext,
			      struct extension_entry entries[6])
{
	const struct extension_entry all[6] = {
		{"1.3.6.1.4.1.62397.1.1", "TDX quote (legacy)", ext->quote_size},
		{"1.3.6.1.4.1.62397.1.2", "event log JSON (legacy)", ext->event_log_size},
		{"1.3.6.1.4.1.62397.1.3", "app id (issuer claim)", ext->app_id_size},
		{"1.3.6.1.4.1.62397.1.4", "certificate usage (issuer claim)", ext->cert_usage_size},
		{"1.3.6.1.4.1.62397.1.8", "attestation envelope", ext->attestation_size},
		{"1.3.6.1.4.1.62397.1.9", "app info (issuer claim)", ext->app_info_size},
	};
	const bool present[6] = {ext->quote != NULL,       ext->event_log != NULL,
				 ext->app_id != NULL,      ext->cert_usage != NULL,
				 ext->attestation != NULL, ext->app_info != NULL};
	size_t n = 0;

	for (size_t i = 0; i < 6; i++) {
		if (present[i])
			entries[n++] = all[i];
	}
	return n;
}

/* Adds value to object; a NULL value (out of memory) marks the document failed. */
static void put(bool *failed, json_t *object, const char *key, json_t *value)
{
	if (json_object_set_new(object, key, value) != 0)
		*failed = true;
}

static void append(bool *failed, json_t *array, json_t *value)
{
	if (json_array_append_new(array, value) != 0)
		*failed = true;
}

static json_t *code_json(int code)
{
	return json_string(code == RATLS_OK ? "ok" : ratls_error_name(code));
}

static json_t *extensions_json(bool *failed, const struct ratls_cert_extensions *ext)
{
	struct extension_entry entries[6];
	size_t n = list_extensions(ext, entries);
	json_t *array = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		put(failed, o, "oid", json_string(entries[i].oid));
		put(failed, o, "content", json_string(entries[i].what));
		put(failed, o, "size", json_integer((json_int_t)entries[i].size));
		append(failed, array, o);
	}
	return array;
}

static json_t *runtime_events_json(bool *failed, const struct ratls_evidence *ev)
{
	json_t *array = json_array();

	for (size_t i = 0; i < ev->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &ev->runtime_events[i];
		json_t *o = json_object();

		put(failed, o, "event", json_stringn(e->name, e->name_size));
		put(failed, o, "payload", cli_hex_json(e->payload, e->payload_size));
		put(failed, o, "version", json_integer(e->version));
		append(failed, array, o);
	}
	return array;
}

static json_t *replay_json(bool *failed, const struct cli_evidence_result *r)
{
	json_t *o = json_object();
	json_t *rtmrs = json_array();

	put(failed, o, "result", code_json(r->replay_code));
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		json_t *entry = json_object();

		put(failed, entry, "status", json_string(ratls_rtmr_status_name(r->replay->status[i])));
		put(failed, entry, "quote", cli_hex_json(r->replay->quote_rtmr[i], RATLS_RTMR_SIZE));
		if (r->replay->status[i] != RATLS_RTMR_NOT_REPLAYED)
			put(failed, entry, "replayed",
			    cli_hex_json(r->replay->replayed[i], RATLS_RTMR_SIZE));
		put(failed, entry, "log_events",
		    json_integer((json_int_t)r->replay->log_event_count[i]));
		append(failed, rtmrs, entry);
	}
	put(failed, o, "rtmrs", rtmrs);
	put(failed, o, "digests_recomputed",
	    json_integer((json_int_t)r->replay->digests_recomputed));
	return o;
}

static json_t *identity_json(bool *failed, const struct ratls_identity *id)
{
	json_t *o = json_object();

	put(failed, o, "app_id", cli_hex_json(id->app_id, id->app_id_size));
	put(failed, o, "compose_hash", cli_hex_json(id->compose_hash, id->compose_hash_size));
	put(failed, o, "instance_id",
	    id->has_instance_id ? cli_hex_json(id->instance_id, id->instance_id_size) : json_null());
	put(failed, o, "os_image_hash", cli_hex_json(id->os_image_hash, id->os_image_hash_size));
	if (id->key_provider_info != NULL) {
		put(failed, o, "key_provider", json_string(id->key_provider_name));
		put(failed, o, "key_provider_id",
		    cli_hex_json(id->key_provider_id, id->key_provider_id_size));
	} else {
		put(failed, o, "key_provider", json_null());
	}
	put(failed, o, "system_ready", json_boolean(id->has_system_ready));
	put(failed, o, "mr_system", cli_hex_json(id->mr_system, 32));
	put(failed, o, "mr_aggregated", cli_hex_json(id->mr_aggregated, 32));
	return o;
}

json_t *cli_evidence_json(const struct cli_evidence_result *r)
{
	const struct ratls_evidence *ev = r->evidence;
	bool failed = false;
	json_t *root = json_object();

	if (ev == NULL) {
		put(&failed, root, "present", json_false());
		goto out;
	}
	put(&failed, root, "present", json_true());
	put(&failed, root, "format", json_string(ratls_evidence_format_name(ev->format)));
	if (ev->from_cert) {
		put(&failed, root, "extensions", extensions_json(&failed, &ev->cert));
		put(&failed, root, "legacy_cross_checked", json_boolean(ev->legacy_cross_checked));
		/* An issuer claim that is not UTF-8 text is shown as hex instead. */
		if (ev->cert.cert_usage != NULL) {
			json_t *usage = json_stringn((const char *)ev->cert.cert_usage,
						     ev->cert.cert_usage_size);

			if (usage != NULL)
				put(&failed, root, "cert_usage", usage);
			else
				put(&failed, root, "cert_usage_hex",
				    cli_hex_json(ev->cert.cert_usage, ev->cert.cert_usage_size));
		}
		if (ev->cert.app_id != NULL)
			put(&failed, root, "app_id_extension",
			    cli_hex_json(ev->cert.app_id, ev->cert.app_id_size));
	}
	put(&failed, root, "quote_size", json_integer((json_int_t)ev->quote_size));
	put(&failed, root, "event_log_entries", json_integer((json_int_t)ev->event_count));
	put(&failed, root, "runtime_events", runtime_events_json(&failed, ev));
	put(&failed, root, "report_data", cli_hex_json(ev->report_data, RATLS_REPORT_DATA_SIZE));
	put(&failed, root, "config_size", json_integer((json_int_t)ev->config_size));
	if (r->binding_checked)
		put(&failed, root, "key_binding", code_json(r->binding_code));
	if (r->replay != NULL) {
		put(&failed, root, "replay", replay_json(&failed, r));
		if (r->replay->identity_valid)
			put(&failed, root, "identity", identity_json(&failed, &r->replay->identity));
	}
out:
	if (failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* ---- text ---- */

/*
 * Prints bytes that the certificate controls: printable ASCII as is,
 * everything else (control characters, escape sequences, any byte of a
 * multi-byte character) as \xNN, so a hostile name cannot rewrite the
 * report on a terminal.
 */
static void print_untrusted(FILE *out, const void *data, size_t size, size_t width)
{
	const unsigned char *p = data;
	size_t printed = 0;

	for (size_t i = 0; i < size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			fputc(p[i], out);
			printed++;
		} else {
			fprintf(out, "\\x%02x", p[i]);
			printed += 4;
		}
	}
	for (; printed < width; printed++)
		fputc(' ', out);
}

static void hex_line(FILE *out, const char *label, const uint8_t *data, size_t size)
{
	fprintf(out, "%-*s", LABEL_WIDTH, label);
	if (data == NULL)
		fputs("none", out);
	for (size_t i = 0; data != NULL && i < size; i++)
		fprintf(out, "%02x", data[i]);
	fputc('\n', out);
}

static void runtime_event_lines(FILE *out, const struct ratls_evidence *ev)
{
	for (size_t i = 0; i < ev->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &ev->runtime_events[i];
		size_t shown = e->payload_size < TEXT_PAYLOAD_MAX ? e->payload_size : TEXT_PAYLOAD_MAX;

		fprintf(out, "  %2zu ", i);
		print_untrusted(out, e->name, e->name_size, 22);
		fputc(' ', out);
		for (size_t j = 0; j < shown; j++)
			fprintf(out, "%02x", e->payload[j]);
		if (shown < e->payload_size)
			fprintf(out, "... (%zu bytes)", e->payload_size);
		fputc('\n', out);
	}
}

static void replay_lines(FILE *out, const struct cli_evidence_result *r)
{
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		char label[16];

		snprintf(label, sizeof(label), "RTMR%d replay:", i);
		fprintf(out, "%-*s%s", LABEL_WIDTH, label,
			ratls_rtmr_status_name(r->replay->status[i]));
		if (r->replay->status[i] == RATLS_RTMR_NOT_REPLAYED)
			fprintf(out, " (%zu log entries)", r->replay->log_event_count[i]);
		fputc('\n', out);
	}
	fprintf(out, "%-*s%zu\n", LABEL_WIDTH, "digests recomputed:",
		r->replay->digests_recomputed);
}

static void identity_lines(FILE *out, const struct ratls_identity *id)
{
	hex_line(out, "app id:", id->app_id, id->app_id_size);
	hex_line(out, "compose hash:", id->compose_hash, id->compose_hash_size);
	hex_line(out, "instance id:", id->has_instance_id ? id->instance_id : NULL,
		 id->instance_id_size);
	hex_line(out, "OS image hash:", id->os_image_hash, id->os_image_hash_size);
	fprintf(out, "%-*s", LABEL_WIDTH, "key provider:");
	if (id->key_provider_info != NULL)
		print_untrusted(out, id->key_provider_name, strlen(id->key_provider_name), 0);
	else
		fputs("none", out);
	fputc('\n', out);
	hex_line(out, "mr_system:", id->mr_system, 32);
	hex_line(out, "mr_aggregated:", id->mr_aggregated, 32);
}

void cli_print_evidence_text(FILE *out, const struct cli_evidence_result *r)
{
	const struct ratls_evidence *ev = r->evidence;
	struct extension_entry entries[6];
	size_t n;

	if (ev == NULL) {
		fprintf(out, "%-*s%s\n", LABEL_WIDTH, "evidence:", "none");
		return;
	}
	fprintf(out, "%-*s%s%s\n", LABEL_WIDTH, "evidence:", ratls_evidence_format_name(ev->format),
		ev->legacy_cross_checked ? " (legacy .1.1/.1.2 cross-checked)" : "");
	if (ev->from_cert) {
		n = list_extensions(&ev->cert, entries);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%-*s%s, %zu bytes\n", LABEL_WIDTH,
				i == 0 ? "extensions:" : "", entries[i].oid, entries[i].size);
		if (ev->cert.cert_usage != NULL) {
			fprintf(out, "%-*s", LABEL_WIDTH, "certificate usage:");
			print_untrusted(out, ev->cert.cert_usage, ev->cert.cert_usage_size, 0);
			fputc('\n', out);
		}
	}
	fprintf(out, "%-*s%zu bytes\n", LABEL_WIDTH, "quote:", ev->quote_size);
	fprintf(out, "%-*s%zu entries\n", LABEL_WIDTH, "event log:", ev->event_count);
	fprintf(out, "%-*s%zu\n", LABEL_WIDTH, "runtime events:", ev->runtime_event_count);
	runtime_event_lines(out, ev);
	if (r->binding_checked)
		fprintf(out, "%-*s%s\n", LABEL_WIDTH, "key binding:",
			r->binding_code == RATLS_OK ? "ok" : ratls_error_name(r->binding_code));
	if (r->replay != NULL) {
		replay_lines(out, r);
		if (r->replay->identity_valid)
			identity_lines(out, &r->replay->identity);
	}
}
