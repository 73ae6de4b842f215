/*
 * GET requests to the PCS or PCCS through libcurl, with every response body
 * and kept header bounded, and libcurl's outcomes mapped onto ratls errors.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/fail.h"
#include "base/log.h"
#include "pcs_internal.h"

#define USER_AGENT "ratls/0.1"
/* Maximum redirects followed; a longer chain points to a misconfigured URL or proxy. */
#define MAX_REDIRECTS 3

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ratls_pcs_http_init(struct ratls_detail *detail)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return ratls_fail(detail, RATLS_ERR_INTERNAL, "curl_global_init failed: %s",
				  curl_easy_strerror(curl_init_result));
	return RATLS_OK;
}

void ratls_pcs_response_clear(struct ratls_pcs_response *response)
{
	free(response->body);
	free(response->header_value);
	memset(response, 0, sizeof(*response));
}

/* Response body buffer, filled as data arrives and limited to max bytes. */
struct body_sink {
	uint8_t *data;
	size_t size;
	size_t capacity;
	size_t max;
	bool over_limit;
	bool out_of_memory;
};

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body_sink *sink = arg;
	size_t n = nmemb; /* libcurl passes size 1 */

	(void)size;
	if (n > sink->max - sink->size) {
		sink->over_limit = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (sink->size + n > sink->capacity) {
		size_t capacity = sink->capacity > 0 ? sink->capacity : 16 * 1024;
		uint8_t *grown;

		while (capacity < sink->size + n)
			capacity = capacity > sink->max / 2 ? sink->max : capacity * 2;
		grown = realloc(sink->data, capacity);
		if (grown == NULL) {
			sink->out_of_memory = true;
			return 0;
		}
		sink->data = grown;
		sink->capacity = capacity;
	}
	memcpy(sink->data + sink->size, ptr, n);
	sink->size += n;
	return n;
}

/* The value of one response header, under either of two names. */
struct header_sink {
	const char *name;
	const char *alias;
	char *value;
	size_t value_len;
	bool over_limit;
	bool out_of_memory;
};

static bool header_name_is(const char *line, size_t colon, const char *name)
{
	return name != NULL && strlen(name) == colon && strncasecmp(line, name, colon) == 0;
}

static size_t read_header(char *line, size_t size, size_t nitems, void *arg)
{
	struct header_sink *sink = arg;
	size_t n = nitems; /* libcurl passes size 1 */
	const char *colon;
	size_t start;
	size_t end;

	(void)size;
	/* A status line starts a new response (after a redirect): forget what the last one sent. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(sink->value);
		sink->value = NULL;
		sink->value_len = 0;
		return n;
	}
	colon = memchr(line, ':', n);
	if (colon == NULL)
		return n;
	start = (size_t)(colon - line);
	if (!header_name_is(line, start, sink->name) && !header_name_is(line, start, sink->alias))
		return n;

	start++;
	end = n;
	while (start < end && (line[start] == ' ' || line[start] == '\t'))
		start++;
	while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
			       line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (end - start > RATLS_PCS_HEADER_MAX_SIZE) {
		sink->over_limit = true;
		return 0; /* aborts the transfer */
	}
	free(sink->value);
	sink->value = malloc(end - start + 1);
	if (sink->value == NULL) {
		sink->out_of_memory = true;
		return 0;
	}
	memcpy(sink->value, line + start, end - start);
	sink->value[end - start] = '\0';
	sink->value_len = end - start;
	return n;
}

static int set_options(struct ratls_pcs_provider *provider, CURL *curl,
		       const struct ratls_pcs_request *request, struct body_sink *body,
		       struct header_sink *header, char *error_buffer, struct ratls_detail *detail)
{
	bool ok = true;

	curl_easy_reset(curl);
	ok = ok && curl_easy_setopt(curl, CURLOPT_URL, request->url) == CURLE_OK;
	/* The URLs were checked: http only to loopback. Redirects may only go to https. */
	ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
				    provider->connect_timeout_ms) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, provider->timeout_ms) == CURLE_OK;
	/* Refuses a declared Content-Length above the limit before the body arrives. */
	ok = ok && curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
				    (curl_off_t)request->body_max) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEDATA, body) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HEADERDATA, header) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer) == CURLE_OK;
	if (provider->proxy != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_PROXY, provider->proxy) == CURLE_OK;
	if (provider->ca_file != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAINFO, provider->ca_file) == CURLE_OK;
	if (provider->ca_path != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAPATH, provider->ca_path) == CURLE_OK;
	if (!ok)
		return ratls_fail(detail, RATLS_ERR_INTERNAL,
				  "setting libcurl options for GET %s failed; libcurl 7.85 or newer "
				  "is required",
				  request->url);
	return RATLS_OK;
}

/* Names what the service's status usually means, for the detail message. */
static const char *status_hint(long status)
{
	switch (status) {
	case 400:
		return "the service rejected the request parameters";
	case 401:
	case 403:
		return "the service refused access; check the base URL and any proxy";
	case 404:
		return "the service has no such collateral (an FMSPC it does not know) or the base "
		       "URL is wrong";
	case 410:
		return "the service no longer serves this collateral";
	case 429:
	case 503:
		return "the service is overloaded; retry later";
	default:
		return status >= 500 ? "the service failed; retry later or ask its operator"
				     : "check the base URL and the service type (PCS or PCCS)";
	}
}

/* Maps a failed transfer onto a ratls error. */
static int transfer_error(CURLcode res, const struct ratls_pcs_request *request,
			  const struct body_sink *body, const struct header_sink *header,
			  const char *error_buffer, const struct ratls_pcs_provider *provider,
			  struct ratls_detail *detail)
{
	const char *reason = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(res);

	if (body->over_limit || res == CURLE_FILESIZE_EXCEEDED)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the response body of GET %s is larger than the limit of %zu "
				  "bytes; the service is not a PCS or PCCS, or it is misbehaving",
				  request->url, request->body_max);
	if (header->over_limit)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the %s header of GET %s is longer than the limit of %d bytes",
				  request->header, request->url, RATLS_PCS_HEADER_MAX_SIZE);
	if (body->out_of_memory || header->out_of_memory || res == CURLE_OUT_OF_MEMORY)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading GET %s",
				  request->url);

	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		return ratls_fail(detail, RATLS_ERR_TIMEOUT,
				  "GET %s timed out (connect timeout %ld ms, request timeout %ld "
				  "ms): %s; check that the service is reachable or raise the "
				  "timeouts",
				  request->url, provider->connect_timeout_ms, provider->timeout_ms,
				  reason);
	case CURLE_PARTIAL_FILE:
		return ratls_fail(detail, RATLS_ERR_NETWORK,
				  "GET %s: the connection closed after %zu bytes of the body (%s); "
				  "retry, or check the service and any proxy",
				  request->url, body->size, reason);
	default:
		return ratls_fail(detail, RATLS_ERR_NETWORK,
				  "GET %s failed: %s (libcurl error %d); check the URL, the network, "
				  "the proxy and the CA certificates",
				  request->url, reason, (int)res);
	}
}

int ratls_pcs_http_get(struct ratls_pcs_provider *provider, void *curl,
		       const struct ratls_pcs_request *request, struct ratls_pcs_response *response,
		       struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct body_sink body = {.max = request->body_max};
	struct header_sink header = {.name = request->header, .alias = request->header_alias};
	char error_buffer[CURL_ERROR_SIZE] = "";
	CURLcode res;
	long status = 0;

	memset(response, 0, sizeof(*response));
	rc = set_options(provider, curl, request, &body, &header, error_buffer, detail);
	if (rc != RATLS_OK)
		goto out;

	ratls_log(RATLS_LOG_DEBUG, "GET %s", request->url);
	atomic_fetch_add(&provider->http_requests, 1);
	res = curl_easy_perform(curl);
	if (res != CURLE_OK) {
		rc = transfer_error(res, request, &body, &header, error_buffer, provider, detail);
		goto out;
	}
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
		rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "libcurl returned no status for GET %s",
				request->url);
		goto out;
	}
	if (status != 200) {
		rc = ratls_fail(detail, RATLS_ERR_SERVICE,
				"GET %s returned HTTP status %ld, expected 200: %s", request->url,
				status, status_hint(status));
		goto out;
	}

	response->body = body.data;
	response->body_size = body.size;
	body.data = NULL; /* ownership moved to response */
	response->header_value = header.value;
	response->header_value_len = header.value_len;
	header.value = NULL; /* ownership moved to response */
	rc = RATLS_OK;
out:
	free(body.data);
	free(header.value);
	return rc;
}
