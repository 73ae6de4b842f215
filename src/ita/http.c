/*
 * Requests to ITA through libcurl: the attestation POST and the JWKS GET,
 * with bounded bodies, one retry after a transient failure, and libcurl's
 * outcomes mapped onto ratls errors. It follows src/collateral/http.c but
 * keeps its own code, because it needs a POST body, the API key header,
 * the Retry-After header and a retry, which the PCS client has no use for.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "base/fail.h"
#include "base/log.h"
#include "ita_internal.h"

#define USER_AGENT "ratls/0.1"
/* Maximum redirects followed; a longer chain points to a misconfigured URL or proxy. */
#define MAX_REDIRECTS 3
/* Characters of an error body quoted in a detail message. */
#define BODY_EXCERPT_LEN 160
/* Size of the request-id and trace-id values kept for messages; longer values are cut. */
#define ID_SIZE 96

void ratls_ita_response_clear(struct ratls_ita_response *response)
{
	free(response->body);
	memset(response, 0, sizeof(*response));
}

/* Response body buffer, limited to max bytes. */
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
	/* One byte more than the data, for the terminating NUL. */
	if (sink->size + n + 1 > sink->capacity) {
		size_t capacity = sink->capacity > 0 ? sink->capacity : 4096;
		uint8_t *grown;

		while (capacity < sink->size + n + 1)
			capacity = capacity > sink->max / 2 ? sink->max + 1 : capacity * 2;
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
	sink->data[sink->size] = '\0';
	return n;
}

/* The response headers kept for retries and messages. */
struct header_sink {
	char retry_after[16];
	char request_id[ID_SIZE];
	char trace_id[ID_SIZE];
};

/* Copies a header's value, trimmed and cut to size, when the line is that header. */
static void keep_header(const char *line, size_t n, const char *name, char *value, size_t size)
{
	size_t name_len = strlen(name);
	size_t start = name_len + 1;
	size_t end = n;

	if (n <= name_len || line[name_len] != ':' || strncasecmp(line, name, name_len) != 0)
		return;
	while (start < end && (line[start] == ' ' || line[start] == '\t'))
		start++;
	while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
			       line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (end - start >= size)
		end = start + size - 1;
	for (size_t i = start; i < end; i++) {
		char c = line[i];

		value[i - start] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	value[end - start] = '\0';
}

static size_t read_header(char *line, size_t size, size_t nitems, void *arg)
{
	struct header_sink *sink = arg;
	size_t n = nitems; /* libcurl passes size 1 */

	(void)size;
	/* A status line starts a new response (after a redirect): forget the last one's headers. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		memset(sink, 0, sizeof(*sink));
		return n;
	}
	keep_header(line, n, "retry-after", sink->retry_after, sizeof(sink->retry_after));
	keep_header(line, n, "request-id", sink->request_id, sizeof(sink->request_id));
	keep_header(line, n, "trace-id", sink->trace_id, sizeof(sink->trace_id));
	return n;
}

/* One request's state and outcome. */
struct exchange {
	const char *url;
	const char *post_body;
	char request_id[40];
	struct body_sink body;
	struct header_sink headers;
	char error_buffer[CURL_ERROR_SIZE];
	CURLcode result;
	long status;
};

static int set_options(struct ratls_ita_client *client, CURL *curl, struct exchange *ex,
		       struct curl_slist *headers, struct ratls_detail *detail)
{
	bool ok = true;

	ok = ok && curl_easy_setopt(curl, CURLOPT_URL, ex->url) == CURLE_OK;
	/* The URLs were checked: http only to loopback. Redirects may only go to https. */
	ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS) == CURLE_OK;
	/* A redirected POST stays a POST, so the quote is not dropped by a 301 or 302. */
	ok = ok && curl_easy_setopt(curl, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms) ==
			   CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, client->timeout_ms) == CURLE_OK;
	/* Refuses a declared Content-Length above the limit before the body arrives. */
	ok = ok && curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ex->body.max) ==
			   CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex->body) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex->headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ex->error_buffer) == CURLE_OK;
	if (ex->post_body != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_POSTFIELDS, ex->post_body) == CURLE_OK;
	if (client->proxy != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_PROXY, client->proxy) == CURLE_OK;
	if (client->ca_file != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAINFO, client->ca_file) == CURLE_OK;
	if (client->ca_path != NULL)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAPATH, client->ca_path) == CURLE_OK;
	if (!ok)
		return ratls_fail(detail, RATLS_ERR_INTERNAL,
				  "setting libcurl options for %s failed; libcurl 7.85 or newer is "
				  "required",
				  ex->url);
	return RATLS_OK;
}

/* Frees a header list after wiping the API key line. */
static void free_headers(struct curl_slist *list)
{
	for (struct curl_slist *item = list; item != NULL; item = item->next)
		OPENSSL_cleanse(item->data, strlen(item->data));
	curl_slist_free_all(list);
}

/* Appends one header line; on failure the list is freed and *list set to NULL. */
static bool append_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *next = curl_slist_append(*list, line);

	if (next == NULL) {
		free_headers(*list);
		*list = NULL;
		return false;
	}
	*list = next;
	return true;
}

/*
 * Builds the header list. The API key goes only into the POST to the
 * attestation URL; the JWKS GET carries no credentials.
 */
static int build_headers(const struct ratls_ita_client *client, const struct exchange *ex,
			 struct curl_slist **out, struct ratls_detail *detail)
{
	char line[64 + RATLS_ITA_API_KEY_MAX_LEN];
	struct curl_slist *list = NULL;
	bool ok;

	*out = NULL;
	snprintf(line, sizeof(line), "request-id: %s", ex->request_id);
	ok = append_header(&list, "Accept: application/json") && append_header(&list, line);
	if (ok && ex->post_body != NULL) {
		snprintf(line, sizeof(line), "x-api-key: %s", client->api_key);
		ok = append_header(&list, "Content-Type: application/json") &&
		     append_header(&list, line);
		OPENSSL_cleanse(line, sizeof(line));
	}
	if (!ok)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building headers");
	*out = list;
	return RATLS_OK;
}

/* A request id of "ratls-" and 32 random hex digits, as ITA's request-id header allows. */
static void make_request_id(char out[40])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char random[16] = {0};

	if (RAND_bytes(random, sizeof(random)) != 1)
		memset(random, 0, sizeof(random)); /* an id for logs only; zeros still work */
	memcpy(out, "ratls-", 6);
	for (size_t i = 0; i < sizeof(random); i++) {
		out[6 + 2 * i] = digits[random[i] >> 4];
		out[7 + 2 * i] = digits[random[i] & 0x0f];
	}
	out[38] = '\0';
}

/* Sends one request. Transfer failures are left in ex for the caller to map. */
static int perform(struct ratls_ita_client *client, CURL *curl, struct exchange *ex,
		   struct ratls_detail *detail)
{
	struct curl_slist *headers = NULL;
	size_t body_max = ex->body.max;
	int rc;

	free(ex->body.data);
	ex->body = (struct body_sink){.max = body_max};
	memset(&ex->headers, 0, sizeof(ex->headers));
	ex->error_buffer[0] = '\0';
	ex->status = 0;
	make_request_id(ex->request_id);

	curl_easy_reset(curl);
	if ((rc = build_headers(client, ex, &headers, detail)) != RATLS_OK)
		return rc;
	rc = set_options(client, curl, ex, headers, detail);
	if (rc == RATLS_OK) {
		ratls_log(RATLS_LOG_DEBUG, "%s %s (request-id %s)", ex->post_body ? "POST" : "GET",
			  ex->url, ex->request_id);
		if (ex->post_body != NULL)
			atomic_fetch_add(&client->attest_requests, 1);
		ex->result = curl_easy_perform(curl);
		if (ex->result == CURLE_OK &&
		    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ex->status) != CURLE_OK)
			rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "libcurl returned no status for %s",
					ex->url);
	}
	/* libcurl keeps no copy of the list; wipe it before it is freed. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	free_headers(headers);
	return rc;
}

/* True for failures worth one more try: the connection broke, not the request. */
static bool is_transient_transfer(CURLcode result)
{
	switch (result) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return true;
	default:
		return false;
	}
}

/*
 * Returns the pause in milliseconds before a retry, or -1 when the outcome
 * is not retried: success, a client error, a timeout, or a 429 whose
 * Retry-After is missing, not delta-seconds, or above the limit.
 */
static long retry_delay_ms(const struct ratls_ita_client *client, const struct exchange *ex)
{
	char *end;
	long seconds;

	if (ex->result != CURLE_OK)
		return is_transient_transfer(ex->result) ? client->retry_delay_ms : -1;
	if (ex->status >= 500 && ex->status <= 599)
		return client->retry_delay_ms;
	if (ex->status != 429)
		return -1;
	if (ex->headers.retry_after[0] == '\0')
		return client->retry_delay_ms;
	seconds = strtol(ex->headers.retry_after, &end, 10);
	if (*end != '\0' || end == ex->headers.retry_after || seconds < 0 ||
	    seconds > RATLS_ITA_RETRY_AFTER_MAX_SECONDS)
		return -1;
	return seconds * 1000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		continue;
}

/*
 * Writes a printable excerpt of an error body, with the API key replaced,
 * should the service echo it.
 */
static void body_excerpt(const struct ratls_ita_client *client, const struct body_sink *body,
			 char out[BODY_EXCERPT_LEN + 1])
{
	size_t n = body->size < BODY_EXCERPT_LEN ? body->size : BODY_EXCERPT_LEN;
	char *key;

	for (size_t i = 0; i < n; i++) {
		char c = (char)body->data[i];

		out[i] = c >= 0x20 && c < 0x7f ? c : ' ';
	}
	out[n] = '\0';
	while (client->api_key_len > 0 && (key = strstr(out, client->api_key)) != NULL)
		memset(key, '*', client->api_key_len);
	/* A key cut off at the end of the excerpt still leaks its start; drop any such tail. */
	for (size_t keep = client->api_key_len > 1 ? client->api_key_len - 1 : 0; keep > 0; keep--) {
		if (n >= keep && strncmp(out + n - keep, client->api_key, keep) == 0) {
			memset(out + n - keep, '*', keep);
			break;
		}
	}
}

/* Names what an HTTP status from ITA usually means, for the detail message. */
static const char *status_hint(long status)
{
	switch (status) {
	case 400:
		return "ITA rejected the request; check that the quote is a TDX quote";
	case 401:
	case 403:
		return "check the API key: use an attestation API key from the Intel Trust "
		       "Authority portal (https://portal.trustauthority.intel.com)";
	case 404:
		return "check the ITA URL; it is the API URL, such as " RATLS_ITA_US_URL;
	case 413:
		return "the quote is larger than ITA accepts";
	case 429:
		return "the API key's rate limit is reached; retry later";
	default:
		return status >= 500 ? "ITA failed; retry later" : "check the ITA URL";
	}
}

/* Maps the final outcome of a request onto a ratls error. */
static int exchange_error(const struct ratls_ita_client *client, const struct exchange *ex,
			  struct ratls_detail *detail)
{
	const char *method = ex->post_body != NULL ? "POST" : "GET";
	const char *reason = ex->error_buffer[0] != '\0' ? ex->error_buffer
							 : curl_easy_strerror(ex->result);
	char excerpt[BODY_EXCERPT_LEN + 1];

	if (ex->result == CURLE_OK) {
		body_excerpt(client, &ex->body, excerpt);
		return ratls_fail(detail, RATLS_ERR_SERVICE,
				  "%s %s returned HTTP status %ld (request-id %s, trace-id %s): "
				  "\"%s\"; %s",
				  method, ex->url, ex->status, ex->request_id,
				  ex->headers.trace_id[0] != '\0' ? ex->headers.trace_id : "none",
				  excerpt, status_hint(ex->status));
	}
	if (ex->body.over_limit || ex->result == CURLE_FILESIZE_EXCEEDED)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the response body of %s %s is larger than the limit of %zu bytes; "
				  "the URL is not ITA's, or the service is misbehaving",
				  method, ex->url, ex->body.max);
	if (ex->body.out_of_memory || ex->result == CURLE_OUT_OF_MEMORY)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading %s %s", method,
				  ex->url);
	if (ex->result == CURLE_OPERATION_TIMEDOUT)
		return ratls_fail(detail, RATLS_ERR_TIMEOUT,
				  "%s %s timed out (connect timeout %ld ms, request timeout %ld ms, "
				  "request-id %s): %s; check that the service is reachable or raise "
				  "the timeouts",
				  method, ex->url, client->connect_timeout_ms, client->timeout_ms,
				  ex->request_id, reason);
	return ratls_fail(detail, RATLS_ERR_NETWORK,
			  "%s %s failed: %s (libcurl error %d, request-id %s); check the URL, the "
			  "network, the proxy and the CA certificates",
			  method, ex->url, reason, (int)ex->result, ex->request_id);
}

int ratls_ita_http_request(struct ratls_ita_client *client, const char *url,
			   const char *post_body, size_t body_max,
			   struct ratls_ita_response *response, struct ratls_detail *detail)
{
	struct exchange ex = {.url = url, .post_body = post_body, .body = {.max = body_max}};
	CURL *curl = NULL;
	long delay;
	int rc = RATLS_ERR_INTERNAL;

	memset(response, 0, sizeof(*response));
	curl = curl_easy_init();
	if (curl == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "curl_easy_init failed");
		goto out;
	}

	for (int attempt = 0;; attempt++) {
		if ((rc = perform(client, curl, &ex, detail)) != RATLS_OK)
			goto out;
		if (ex.result == CURLE_OK && ex.status >= 200 && ex.status <= 299)
			break;
		delay = retry_delay_ms(client, &ex);
		if (attempt > 0 || delay < 0) {
			rc = exchange_error(client, &ex, detail);
			goto out;
		}
		ratls_log(RATLS_LOG_WARNING,
			  "%s %s failed (%s %ld, request-id %s); retrying once in %ld ms",
			  post_body ? "POST" : "GET", url,
			  ex.result == CURLE_OK ? "HTTP status" : "libcurl error",
			  ex.result == CURLE_OK ? ex.status : (long)ex.result, ex.request_id, delay);
		atomic_fetch_add(&client->retries, 1);
		sleep_ms(delay);
	}

	response->body = ex.body.data != NULL ? ex.body.data : calloc(1, 1);
	if (response->body == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	response->body_size = ex.body.size;
	ex.body.data = NULL; /* ownership moved to response */
	rc = RATLS_OK;
out:
	free(ex.body.data);
	curl_easy_cleanup(curl);
	return rc;
}
