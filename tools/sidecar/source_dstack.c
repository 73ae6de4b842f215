/*
 * The dstack guest agent quote source: HTTP over the agent's Unix socket
 * (libcurl), POST /GetQuote with {"report_data": hex} and
 * Content-Type: application/json (without it the agent parses the body as
 * protobuf). The reply carries the quote as hex, the event log as a JSON
 * string (stripped since dstack v0.5.6: boot events keep only digests,
 * runtime events only payloads) and the VM configuration as a JSON string.
 * POST /Info is read once at start-up for the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "source.h"
#include "util.h"

/* Seconds to wait for the agent to accept the connection. */
#define DSTACK_CONNECT_TIMEOUT_SECONDS 5

struct dstack_impl {
	char socket_path[SIDECAR_PATH_SIZE];
	/* Views into evidence.events of the entries that are runtime events. */
	struct ratls_runtime_event *runtime_views;
	/*
	 * The evidence before the last change, kept until the next one, because
	 * a caller that issues a certificate still has pointers into it while the
	 * quote request replaces the evidence.
	 */
	struct sidecar_evidence retired;
	struct ratls_runtime_event *retired_views;
};

struct reply_buffer {
	uint8_t *data;
	size_t size;
	bool too_large;
};

static size_t collect_reply(char *data, size_t size, size_t count, void *arg)
{
	struct reply_buffer *reply = arg;
	size_t n = size * count;
	uint8_t *grown;

	if (n > SIDECAR_DSTACK_REPLY_MAX_SIZE - reply->size) {
		reply->too_large = true;
		return 0;
	}
	grown = realloc(reply->data, reply->size + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + reply->size, data, n);
	reply->data = grown;
	reply->size += n;
	reply->data[reply->size] = '\0';
	return n;
}

/* Maps a failed transfer to a ratls error with the agent's socket in the message. */
static int transfer_error(const struct dstack_impl *impl, const char *method, CURLcode code,
			  const char *error_text, const struct reply_buffer *reply,
			  struct ratls_detail *detail)
{
	if (reply->too_large)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the guest agent's %s reply is larger than %d bytes", method,
				  SIDECAR_DSTACK_REPLY_MAX_SIZE);
	return ratls_fail(detail,
			  code == CURLE_OPERATION_TIMEDOUT ? RATLS_ERR_TIMEOUT : RATLS_ERR_NETWORK,
			  "guest agent request %s on '%s' failed: %s%s%s; check that the dstack "
			  "guest agent runs and the socket path is right",
			  method, impl->socket_path, curl_easy_strerror(code),
			  error_text[0] != '\0' ? ": " : "", error_text);
}

/* POSTs body to /method on the agent; on success *reply contains the 200 reply body. */
static int agent_call(const struct dstack_impl *impl, const char *method, const char *body,
		      struct reply_buffer *reply, struct ratls_detail *detail)
{
	char url[128], error_text[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode code;
	int rc = RATLS_ERR_INTERNAL;

	memset(reply, 0, sizeof(*reply));
	snprintf(url, sizeof(url), "http://localhost/%s", method);
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (curl == NULL || headers == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "cannot create an HTTP request");
		goto out;
	}
	if (curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, impl->socket_path) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)DSTACK_CONNECT_TIMEOUT_SECONDS) !=
		    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)SIDECAR_DSTACK_TIMEOUT_SECONDS) !=
		    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_reply) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply) != CURLE_OK) {
		rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot set up the HTTP request");
		goto out;
	}
	code = curl_easy_perform(curl);
	if (code != CURLE_OK) {
		rc = transfer_error(impl, method, code, error_text, reply, detail);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = ratls_fail(detail, RATLS_ERR_SERVICE,
				"the guest agent answered %s with HTTP %ld: %.200s", method, status,
				reply->data != NULL ? (const char *)reply->data : "");
		goto out;
	}
	if (reply->data == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_SERVICE,
				"the guest agent answered %s with an empty body", method);
		goto out;
	}
	rc = RATLS_OK;
out:
	if (rc != RATLS_OK) {
		free(reply->data);
		reply->data = NULL;
		reply->size = 0;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}

/* Returns member name of object as a string, NULL when absent; fails when it is not a string. */
static int get_string(json_t *object, const char *name, const char *method, const char **out,
		      struct ratls_detail *detail)
{
	json_t *value = json_object_get(object, name);

	*out = NULL;
	if (value == NULL || json_is_null(value))
		return RATLS_OK;
	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the guest agent's %s reply has a \"%s\" that is not a string",
				  method, name);
	*out = json_string_value(value);
	return RATLS_OK;
}

/*
 * Replaces the evidence with the event log and VM configuration of a
 * GetQuote reply when the log changed.
 */
static int update_evidence(struct sidecar_source *source, const char *event_log,
			   const char *vm_config, struct ratls_detail *detail)
{
	struct dstack_impl *impl = source->impl;
	struct sidecar_evidence next = {0};
	struct ratls_runtime_event *views = NULL;
	size_t runtime_count = 0;
	int rc;

	if (event_log == NULL)
		event_log = "[]";
	if (source->evidence.event_log_json != NULL &&
	    strcmp(source->evidence.event_log_json, event_log) == 0)
		return RATLS_OK;

	rc = ratls_evidence_parse_event_log((const uint8_t *)event_log, strlen(event_log),
					    &next.events, &next.event_count, detail);
	if (rc != RATLS_OK)
		goto out;
	views = calloc(next.event_count > 0 ? next.event_count : 1, sizeof(*views));
	next.event_log_json = strdup(event_log);
	next.config = vm_config != NULL ? strdup(vm_config) : NULL;
	if (views == NULL || next.event_log_json == NULL || (vm_config != NULL && !next.config)) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	next.config_size = next.config != NULL ? strlen(next.config) : 0;
	for (size_t i = 0; i < next.event_count; i++) {
		const struct ratls_tdx_event *e = &next.events[i];

		if (e->event_type != RATLS_RUNTIME_EVENT_TYPE)
			continue;
		views[runtime_count++] = (struct ratls_runtime_event){
			e->name, e->name_size, e->payload, e->payload_size, e->version};
	}
	next.runtime_events = views;
	next.runtime_event_count = runtime_count;
	sidecar_evidence_set_identity(&next);

	sidecar_evidence_clear(&impl->retired);
	free(impl->retired_views);
	impl->retired = source->evidence;
	impl->retired_views = impl->runtime_views;
	source->evidence = next;
	impl->runtime_views = views;
	source->evidence_generation++;
	memset(&next, 0, sizeof(next));
	views = NULL;
	rc = RATLS_OK;
out:
	sidecar_evidence_clear(&next);
	free(views);
	return rc;
}

/* Decodes the quote of a GetQuote reply and checks its report_data member. */
static int decode_quote(json_t *root, const uint8_t report_data[64], uint8_t **quote,
			size_t *quote_size, struct ratls_detail *detail)
{
	const char *quote_hex = NULL, *report_data_hex = NULL;
	uint8_t echoed[64];
	int rc;

	if ((rc = get_string(root, "quote", "GetQuote", &quote_hex, detail)) != RATLS_OK ||
	    (rc = get_string(root, "report_data", "GetQuote", &report_data_hex, detail)) !=
		    RATLS_OK)
		return rc;
	if (quote_hex == NULL || quote_hex[0] == '\0')
		return ratls_fail(detail, RATLS_ERR_SERVICE,
				  "the guest agent's GetQuote reply has no quote");
	if (strlen(quote_hex) > 2 * (size_t)RATLS_QUOTE_MAX_SIZE + 2 ||
	    ratls_hex_decode_alloc(quote_hex, strlen(quote_hex), quote, quote_size) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the guest agent's quote is not hex of at most %d bytes",
				  RATLS_QUOTE_MAX_SIZE);
	if (report_data_hex != NULL &&
	    (sidecar_parse_hex("GetQuote report_data", report_data_hex, echoed, sizeof(echoed),
			       NULL) != RATLS_OK ||
	     memcmp(echoed, report_data, sizeof(echoed)) != 0)) {
		free(*quote);
		*quote = NULL;
		return ratls_fail(detail, RATLS_ERR_SERVICE,
				  "the guest agent returned report_data '%.140s', not the 64 bytes "
				  "requested",
				  report_data_hex);
	}
	return RATLS_OK;
}

static int get_quote(struct sidecar_source *source, const uint8_t report_data[64],
		     uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	struct dstack_impl *impl = source->impl;
	char request[2 * 64 + 32];
	char report_data_hex[2 * 64 + 1];
	struct reply_buffer reply;
	const char *event_log = NULL, *vm_config = NULL;
	json_error_t error;
	json_t *root = NULL;
	int rc;

	*quote = NULL;
	*quote_size = 0;
	ratls_hex_encode(report_data, 64, report_data_hex);
	snprintf(request, sizeof(request), "{\"report_data\":\"%s\"}", report_data_hex);
	if ((rc = agent_call(impl, "GetQuote", request, &reply, detail)) != RATLS_OK)
		return rc;
	root = json_loadb((const char *)reply.data, reply.size, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL || !json_is_object(root)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the guest agent's GetQuote reply is not a JSON object (%s)",
				error.text);
		goto out;
	}
	if ((rc = decode_quote(root, report_data, quote, quote_size, detail)) != RATLS_OK)
		goto out;
	if ((rc = get_string(root, "event_log", "GetQuote", &event_log, detail)) != RATLS_OK ||
	    (rc = get_string(root, "vm_config", "GetQuote", &vm_config, detail)) != RATLS_OK)
		goto out;
	rc = update_evidence(source, event_log, vm_config, detail);
out:
	if (rc != RATLS_OK) {
		free(*quote);
		*quote = NULL;
		*quote_size = 0;
	}
	json_decref(root);
	free(reply.data);
	return rc;
}

/* Fetches a quote for zero REPORTDATA, only for the event log that comes with it. */
static int refresh_evidence(struct sidecar_source *source, struct ratls_detail *detail)
{
	static const uint8_t zero[64];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc = get_quote(source, zero, &quote, &quote_size, detail);

	free(quote);
	return rc;
}

/* Reads Info for the start-up log line: app name, app id and instance id. */
static int describe_agent(struct sidecar_source *source, struct ratls_detail *detail)
{
	struct dstack_impl *impl = source->impl;
	struct reply_buffer reply;
	const char *app_name = NULL, *app_id = NULL, *instance_id = NULL;
	json_t *root;
	int rc;

	if ((rc = agent_call(impl, "Info", "{}", &reply, detail)) != RATLS_OK)
		return rc;
	root = json_loadb((const char *)reply.data, reply.size, JSON_REJECT_DUPLICATES, NULL);
	if (root != NULL && json_is_object(root)) {
		(void)get_string(root, "app_name", "Info", &app_name, NULL);
		(void)get_string(root, "app_id", "Info", &app_id, NULL);
		(void)get_string(root, "instance_id", "Info", &instance_id, NULL);
	}
	snprintf(source->description, sizeof(source->description),
		 "dstack guest agent %.100s app_name=%.40s app_id=%.40s instance_id=%.40s",
		 impl->socket_path, app_name != NULL ? app_name : "?",
		 app_id != NULL ? app_id : "?", instance_id != NULL ? instance_id : "?");
	json_decref(root);
	free(reply.data);
	return RATLS_OK;
}

static void destroy_dstack(struct sidecar_source *source)
{
	struct dstack_impl *impl = source->impl;

	if (impl != NULL) {
		free(impl->runtime_views);
		sidecar_evidence_clear(&impl->retired);
		free(impl->retired_views);
	}
	free(impl);
	sidecar_evidence_clear(&source->evidence);
	free(source);
	curl_global_cleanup();
}

int sidecar_source_open_dstack(const char *socket_path, struct sidecar_source **out,
			       struct ratls_detail *detail)
{
	struct sidecar_source *source;
	struct dstack_impl *impl;
	int rc;

	*out = NULL;
	if (strlen(socket_path) >= SIDECAR_PATH_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "guest agent socket path is too long");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot initialise libcurl");
	source = calloc(1, sizeof(*source));
	impl = calloc(1, sizeof(*impl));
	if (source == NULL || impl == NULL) {
		free(source);
		free(impl);
		curl_global_cleanup();
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	snprintf(impl->socket_path, sizeof(impl->socket_path), "%s", socket_path);
	source->kind = SIDECAR_SOURCE_DSTACK;
	source->quote = get_quote;
	source->refresh = refresh_evidence;
	source->destroy = destroy_dstack;
	source->impl = impl;

	if ((rc = describe_agent(source, detail)) != RATLS_OK ||
	    (rc = refresh_evidence(source, detail)) != RATLS_OK) {
		destroy_dstack(source);
		return rc;
	}
	*out = source;
	return RATLS_OK;
}
