/* Choosing a quote source, and the evidence helpers the sources share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "source.h"

static const char *const kind_names[] = {"auto", "simulate", "tsm", "dstack", "none"};

const char *sidecar_source_kind_name(enum sidecar_source_kind kind)
{
	if ((unsigned int)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

bool sidecar_source_kind_parse(const char *text, enum sidecar_source_kind *out)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(text, kind_names[i]) == 0) {
			*out = (enum sidecar_source_kind)i;
			return true;
		}
	}
	return false;
}

void sidecar_evidence_clear(struct sidecar_evidence *evidence)
{
	ratls_evidence_free_events(evidence->events, evidence->event_count);
	free(evidence->event_log_json);
	free(evidence->config);
	memset(evidence, 0, sizeof(*evidence));
}

/* Writes the hex of payload into out, or "" when it does not fit. */
static void set_hex(char out[SIDECAR_ID_HEX_SIZE], const uint8_t *payload, size_t size)
{
	if (2 * size + 1 > SIDECAR_ID_HEX_SIZE) {
		out[0] = '\0';
		return;
	}
	ratls_hex_encode(payload, size, out);
}

void sidecar_evidence_set_identity(struct sidecar_evidence *evidence)
{
	bool have_app_id = false, have_compose = false, have_instance = false;

	evidence->app_id[0] = '\0';
	evidence->compose_hash[0] = '\0';
	evidence->instance_id[0] = '\0';
	for (size_t i = 0; i < evidence->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &evidence->runtime_events[i];

		if (strcmp(e->name, "system-ready") == 0)
			break;
		if (!have_app_id && strcmp(e->name, "app-id") == 0) {
			set_hex(evidence->app_id, e->payload, e->payload_size);
			have_app_id = true;
		} else if (!have_compose && strcmp(e->name, "compose-hash") == 0) {
			set_hex(evidence->compose_hash, e->payload, e->payload_size);
			have_compose = true;
		} else if (!have_instance && strcmp(e->name, "instance-id") == 0) {
			set_hex(evidence->instance_id, e->payload, e->payload_size);
			have_instance = true;
		}
	}
}

/* Appends one runtime event to a JSON event log array. */
static int append_runtime_event(json_t *array, const struct ratls_runtime_event *e,
				struct ratls_detail *detail)
{
	uint8_t digest[RATLS_RTMR_SIZE];
	char digest_hex[2 * RATLS_RTMR_SIZE + 1];
	char *payload_hex = malloc(2 * e->payload_size + 1);
	json_t *entry = NULL;
	int rc;

	if (payload_hex == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	rc = ratls_evidence_digest_runtime_event(e->name, e->name_size, e->payload, e->payload_size,
						 e->version, digest, detail);
	if (rc != RATLS_OK)
		goto out;
	ratls_hex_encode(digest, sizeof(digest), digest_hex);
	ratls_hex_encode(e->payload, e->payload_size, payload_hex);
	entry = json_pack("{s:i,s:I,s:s,s:s%,s:s}", "imr", 3, "event_type",
			  (json_int_t)RATLS_RUNTIME_EVENT_TYPE, "digest", digest_hex, "event",
			  e->name, e->name_size, "event_payload", payload_hex);
	if (entry == NULL || json_array_append_new(array, entry) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	rc = RATLS_OK;
out:
	free(payload_hex);
	return rc;
}

int sidecar_runtime_events_json(const struct ratls_runtime_event *events, size_t count,
				char **json, struct ratls_detail *detail)
{
	json_t *array = json_array();
	int rc = RATLS_OK;

	*json = NULL;
	if (array == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < count && rc == RATLS_OK; i++)
		rc = append_runtime_event(array, &events[i], detail);
	if (rc == RATLS_OK) {
		*json = json_dumps(array, JSON_COMPACT);
		if (*json == NULL)
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	json_decref(array);
	return rc;
}

int sidecar_source_quote(struct sidecar_source *source, const uint8_t report_data[64],
			 uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	struct ratls_quote parsed;
	char seen[2 * RATLS_REPORT_DATA_SIZE + 1], expected[2 * RATLS_REPORT_DATA_SIZE + 1];
	int rc;

	*quote = NULL;
	*quote_size = 0;
	rc = source->quote(source, report_data, quote, quote_size, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_quote_parse(*quote, *quote_size, &parsed, detail);
	if (rc != RATLS_OK)
		goto out;
	if (!ratls_quote_is_td(&parsed)) {
		rc = ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				"the %s quote source returned an SGX quote; the sidecar needs a "
				"TDX quote",
				sidecar_source_kind_name(source->kind));
		goto out;
	}
	if (memcmp(parsed.td.report_data, report_data, RATLS_REPORT_DATA_SIZE) != 0) {
		ratls_hex_encode(parsed.td.report_data, RATLS_REPORT_DATA_SIZE, seen);
		ratls_hex_encode(report_data, RATLS_REPORT_DATA_SIZE, expected);
		rc = ratls_fail(detail, RATLS_ERR_KEY_BINDING,
				"the %s quote source returned a quote with REPORTDATA %s instead "
				"of %s",
				sidecar_source_kind_name(source->kind), seen, expected);
		goto out;
	}
	rc = RATLS_OK;
out:
	if (rc != RATLS_OK) {
		free(*quote);
		*quote = NULL;
		*quote_size = 0;
	}
	return rc;
}

int sidecar_source_quote_fn(void *arg, const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
			    uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	return sidecar_source_quote(arg, report_data, quote, quote_size, detail);
}

static int quote_none(struct sidecar_source *source, const uint8_t report_data[64],
		      uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	(void)source;
	(void)report_data;
	*quote = NULL;
	*quote_size = 0;
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "the sidecar runs with --no-quote, so it has no quote to give; start it "
			  "with --simulate, --quote-source tsm or --quote-source dstack");
}

static void destroy_none(struct sidecar_source *source)
{
	sidecar_evidence_clear(&source->evidence);
	free(source);
}

static int open_none(struct sidecar_source **out, struct ratls_detail *detail)
{
	struct sidecar_source *source = calloc(1, sizeof(*source));

	if (source == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	source->kind = SIDECAR_SOURCE_NONE;
	snprintf(source->description, sizeof(source->description),
		 "no quote: the certificate carries no evidence");
	source->quote = quote_none;
	source->destroy = destroy_none;
	*out = source;
	return RATLS_OK;
}

/* Picks the guest agent when its socket exists, else configfs-tsm when its folder exists. */
static int choose_source(const struct sidecar_source_options *options,
			 enum sidecar_source_kind *kind, struct ratls_detail *detail)
{
	const char *socket_path = options->dstack_socket != NULL ? options->dstack_socket
								  : SIDECAR_DSTACK_DEFAULT_SOCKET;
	const char *tsm_dir = options->tsm_dir != NULL ? options->tsm_dir : SIDECAR_TSM_DEFAULT_DIR;
	struct stat st;

	if (stat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		*kind = SIDECAR_SOURCE_DSTACK;
		return RATLS_OK;
	}
	if (stat(tsm_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		*kind = SIDECAR_SOURCE_TSM;
		return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "no quote source found: no guest agent socket at '%s' and no "
			  "configfs-tsm folder at '%s'; on a TDX guest load the tdx_guest module "
			  "and mount configfs, or pass --simulate DIR for a simulated platform, "
			  "or --no-quote for a certificate without evidence",
			  socket_path, tsm_dir);
}

int sidecar_source_open(const struct sidecar_source_options *options, struct sidecar_source **out,
			struct ratls_detail *detail)
{
	enum sidecar_source_kind kind = options->kind;
	int rc;

	*out = NULL;
	if (kind == SIDECAR_SOURCE_AUTO && (rc = choose_source(options, &kind, detail)) != RATLS_OK)
		return rc;
	switch (kind) {
	case SIDECAR_SOURCE_SIMULATE:
		return sidecar_source_open_simulate(&options->simulate, out, detail);
	case SIDECAR_SOURCE_TSM:
		return sidecar_source_open_tsm(
			options->tsm_dir != NULL ? options->tsm_dir : SIDECAR_TSM_DEFAULT_DIR, out,
			detail);
	case SIDECAR_SOURCE_DSTACK:
		return sidecar_source_open_dstack(options->dstack_socket != NULL
							  ? options->dstack_socket
							  : SIDECAR_DSTACK_DEFAULT_SOCKET,
						  out, detail);
	case SIDECAR_SOURCE_NONE:
		return open_none(out, detail);
	default:
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "unknown quote source %d",
				  (int)kind);
	}
}

void sidecar_source_free(struct sidecar_source *source)
{
	if (source != NULL)
		source->destroy(source);
}
