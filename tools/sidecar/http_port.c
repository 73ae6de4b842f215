/*
 * The HTTP port (libevent evhttp):
 *   GET /health       200 when PostgreSQL accepts a connection attempt, 503
 *                     otherwise and while draining
 *   GET /attestation  a fresh quote bound to PostgreSQL's state (ratls/report.h),
 *                     rate-limited with 429
 *   GET /metrics      Prometheus text
 * /health and /attestation block on libpq, pg_controldata and the quote
 * source, so they run as worker jobs and answer from the loop thread.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "base/fail.h"
#include "log.h"
#include "postgres.h"
#include "report_json.h"
#include "sidecar.h"

/* Seconds to read a request and to write a reply before the connection is closed. */
#define HTTP_TIMEOUT 60
/* Requests are a GET line and a few headers. */
#define HTTP_MAX_HEADERS_SIZE (8 * 1024)
#define HTTP_MAX_BODY_SIZE 1024

struct sidecar_http {
	struct sidecar *sc;
	struct evhttp *http;
	char address[128];
	char conninfo[SIDECAR_CONNINFO_SIZE];
	/* pg_controldata's path, or "" with the reason in controldata_error. */
	char controldata[SIDECAR_PATH_SIZE];
	char controldata_error[RATLS_DETAIL_SIZE];
	/* Token bucket of /attestation. */
	double tokens;
	struct timespec refilled;
};

enum job_kind { JOB_HEALTH, JOB_ATTESTATION };

struct http_job {
	struct sidecar_job job; /* first member: the worker passes it back */
	struct sidecar_http *http;
	struct evhttp_request *request;
	enum job_kind kind;
	int status;
	char *body;
	const char *content_type;
	enum sidecar_attestation_result result;
};

/* ---- replies ---- */

static void reply(struct evhttp_request *request, int status, const char *content_type,
		  const char *body)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(request);
	struct evbuffer *buffer = evbuffer_new();

	evhttp_add_header(headers, "Content-Type", content_type);
	evhttp_add_header(headers, "Cache-Control", "no-store");
	if (buffer != NULL)
		evbuffer_add(buffer, body, strlen(body));
	evhttp_send_reply(request, status, NULL, buffer);
	if (buffer != NULL)
		evbuffer_free(buffer);
}

/* Writes {"status": status, "detail": detail} into a new string. */
static char *status_json(const char *status, const char *detail)
{
	json_t *object = json_pack("{s:s,s:s}", "status", status, "detail", detail);
	char *text = object != NULL ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(object);
	return text;
}

static void reply_status(struct evhttp_request *request, int code, const char *status,
			 const char *detail)
{
	char *body = status_json(status, detail);

	reply(request, code, "application/json", body != NULL ? body : "{}");
	free(body);
}

/* ---- jobs ---- */

static void health_run(struct http_job *job)
{
	struct ratls_detail detail = {0};

	if (sidecar_pg_ping(job->http->conninfo, &detail) == RATLS_OK) {
		job->status = 200;
		job->body = status_json("ok", "PostgreSQL accepts connections");
	} else {
		job->status = 503;
		job->body = status_json("unavailable", detail.message);
	}
}

/* Snapshot of the evidence that came with a quote, copied under the source lock. */
struct evidence_copy {
	char *event_log_json;
	char app_id[SIDECAR_ID_HEX_SIZE];
	char compose_hash[SIDECAR_ID_HEX_SIZE];
	char instance_id[SIDECAR_ID_HEX_SIZE];
};

static int quote_with_evidence(struct sidecar *sc, const uint8_t report_data[64],
			       uint8_t **quote, size_t *quote_size, struct evidence_copy *copy,
			       struct ratls_detail *detail)
{
	const struct sidecar_evidence *evidence = &sc->source->evidence;
	int rc;

	pthread_mutex_lock(&sc->source_lock);
	rc = sidecar_source_quote(sc->source, report_data, quote, quote_size, detail);
	if (rc == RATLS_OK) {
		memcpy(copy->app_id, evidence->app_id, sizeof(copy->app_id));
		memcpy(copy->compose_hash, evidence->compose_hash, sizeof(copy->compose_hash));
		memcpy(copy->instance_id, evidence->instance_id, sizeof(copy->instance_id));
		if (evidence->event_log_json != NULL &&
		    (copy->event_log_json = strdup(evidence->event_log_json)) == NULL)
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	pthread_mutex_unlock(&sc->source_lock);
	return rc;
}

/* Builds a report: PostgreSQL's state, the binding, a fresh quote and the JSON. */
static int build_report(struct sidecar_http *http, char **body, struct ratls_detail *detail)
{
	struct sidecar *sc = http->sc;
	struct sidecar_pg_state pg;
	struct evidence_copy copy = {0};
	struct sidecar_attestation_parts parts = {0};
	uint8_t report_data[RATLS_REPORT_DATA_SIZE];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc;

	rc = sidecar_pg_read_state(http->conninfo, sc->config->pg_data, http->controldata, &pg,
				   detail);
	if (rc != RATLS_OK)
		return rc;
	parts.timestamp = sidecar_now();
	rc = ratls_attestation_report_data_v1(pg.wal_lsn, pg.controldata_hash, parts.timestamp,
					      report_data, detail);
	if (rc == RATLS_OK)
		rc = quote_with_evidence(sc, report_data, &quote, &quote_size, &copy, detail);
	if (rc == RATLS_OK) {
		parts.quote = quote;
		parts.quote_size = quote_size;
		parts.pg = &pg;
		parts.event_log_json = copy.event_log_json;
		parts.app_id = copy.app_id;
		parts.compose_hash = copy.compose_hash;
		parts.instance_id = copy.instance_id;
		rc = sidecar_attestation_json(&parts, body, detail);
	}
	free(copy.event_log_json);
	free(quote);
	return rc;
}

static void attestation_run(struct http_job *job)
{
	struct ratls_detail detail = {0};
	int rc;

	if (job->http->controldata[0] == '\0') {
		job->status = 503;
		job->result = SIDECAR_ATTESTATION_UNAVAILABLE;
		job->body = status_json("unavailable", job->http->controldata_error);
		return;
	}
	rc = build_report(job->http, &job->body, &detail);
	if (rc == RATLS_OK) {
		job->status = 200;
		job->content_type = "application/json";
		job->result = SIDECAR_ATTESTATION_OK;
		return;
	}
	/* PostgreSQL down is a 503 a client may retry; anything else is the sidecar's fault. */
	job->status = ratls_error_class(rc) == RATLS_CLASS_NETWORK ? 503 : 500;
	job->result = job->status == 503 ? SIDECAR_ATTESTATION_UNAVAILABLE : SIDECAR_ATTESTATION_ERROR;
	job->body = status_json(job->status == 503 ? "unavailable" : "error", detail.message);
}

static void job_run(struct sidecar_job *base)
{
	struct http_job *job = (struct http_job *)base;

	job->content_type = "application/json";
	if (job->kind == JOB_HEALTH)
		health_run(job);
	else
		attestation_run(job);
}

static void job_done(struct sidecar_job *base, bool cancelled)
{
	struct http_job *job = (struct http_job *)base;
	struct sidecar_metrics *metrics = &job->http->sc->metrics;
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	if (cancelled) {
		reply_status(job->request, 503, "unavailable", "the sidecar is stopping");
		free(job);
		return;
	}
	if (job->kind == JOB_HEALTH) {
		if (job->status != 200) {
			metrics->health_checks_failed++;
			sidecar_log(SIDECAR_LOG_WARNING, "health_failed", "detail=%s",
				    sidecar_log_quote(job->body, quoted));
		}
	} else {
		metrics->attestation_requests[job->result]++;
		if (job->status == 200)
			sidecar_log(SIDECAR_LOG_INFO, "attestation_served", "bytes=%zu",
				    job->body != NULL ? strlen(job->body) : 0);
		else
			sidecar_log(SIDECAR_LOG_ERROR, "attestation_failed", "status=%d detail=%s",
				    job->status, sidecar_log_quote(job->body, quoted));
	}
	reply(job->request, job->body != NULL ? job->status : 500, job->content_type,
	      job->body != NULL ? job->body : "{\"status\":\"error\",\"detail\":\"out of memory\"}");
	free(job->body);
	free(job);
}

static void submit(struct sidecar_http *http, struct evhttp_request *request, enum job_kind kind)
{
	struct http_job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		reply_status(request, 503, "unavailable", "out of memory");
		return;
	}
	job->job.run = job_run;
	job->job.done = job_done;
	job->http = http;
	job->request = request;
	job->kind = kind;
	if (!sidecar_worker_submit(http->sc->worker, &job->job)) {
		free(job);
		if (kind == JOB_ATTESTATION)
			http->sc->metrics.attestation_requests[SIDECAR_ATTESTATION_UNAVAILABLE]++;
		reply_status(request, 503, "unavailable", "too many requests are being processed");
	}
}

/* ---- routes ---- */

/* Takes one token of the /attestation bucket; false when none is left. */
static bool take_token(struct sidecar_http *http)
{
	const struct sidecar_config *config = http->sc->config;
	struct timespec now;
	double elapsed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - http->refilled.tv_sec) +
		  (double)(now.tv_nsec - http->refilled.tv_nsec) / 1e9;
	http->refilled = now;
	http->tokens += elapsed * (double)config->attestation_rate;
	if (http->tokens > (double)config->attestation_burst)
		http->tokens = (double)config->attestation_burst;
	if (http->tokens < 1.0)
		return false;
	http->tokens -= 1.0;
	return true;
}

static void serve_metrics(struct sidecar_http *http, struct evhttp_request *request)
{
	struct evbuffer *buffer = evbuffer_new();

	if (buffer == NULL || sidecar_metrics_write(&http->sc->metrics, buffer) != 0) {
		if (buffer != NULL)
			evbuffer_free(buffer);
		reply_status(request, 500, "error", "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(request, 200, NULL, buffer);
	evbuffer_free(buffer);
}

static void route(struct evhttp_request *request, void *arg)
{
	struct sidecar_http *http = arg;
	const char *uri = evhttp_request_get_uri(request);
	struct evhttp_uri *parsed = evhttp_uri_parse(uri);
	const char *path = parsed != NULL ? evhttp_uri_get_path(parsed) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(request);

	if (path == NULL) {
		reply_status(request, 400, "error", "the request URI does not parse");
	} else if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(request), "Allow", "GET, HEAD");
		reply_status(request, 405, "error", "only GET is supported");
	} else if (strcmp(path, "/health") == 0) {
		http->sc->metrics.health_checks_total++;
		if (http->sc->draining) {
			http->sc->metrics.health_checks_failed++;
			reply_status(request, 503, "draining", "the sidecar is shutting down");
		} else {
			submit(http, request, JOB_HEALTH);
		}
	} else if (strcmp(path, "/attestation") == 0) {
		if (!take_token(http)) {
			http->sc->metrics.attestation_requests[SIDECAR_ATTESTATION_RATE_LIMITED]++;
			evhttp_add_header(evhttp_request_get_output_headers(request), "Retry-After",
					  "1");
			reply_status(request, 429, "rate_limited",
				     "too many /attestation requests; retry in a second");
		} else {
			submit(http, request, JOB_ATTESTATION);
		}
	} else if (strcmp(path, "/metrics") == 0) {
		serve_metrics(http, request);
	} else {
		reply_status(request, 404, "error",
			     "not found; the paths are /health, /attestation and /metrics");
	}
	if (parsed != NULL)
		evhttp_uri_free(parsed);
}

/* ---- start and stop ---- */

static void find_controldata(struct sidecar_http *http)
{
	struct ratls_detail detail = {0};
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	if (http->sc->source->kind == SIDECAR_SOURCE_NONE) {
		snprintf(http->controldata_error, sizeof(http->controldata_error),
			 "the sidecar runs without a quote source (--no-quote), so it has no "
			 "attestation report");
		return;
	}
	if (sidecar_pg_find_controldata(http->sc->config, http->controldata, &detail) != RATLS_OK) {
		http->controldata[0] = '\0';
		snprintf(http->controldata_error, sizeof(http->controldata_error), "%s",
			 detail.message);
		sidecar_log(SIDECAR_LOG_WARNING, "attestation_unavailable", "detail=%s",
			    sidecar_log_quote(detail.message, quoted));
		return;
	}
	sidecar_log(SIDECAR_LOG_INFO, "pg_controldata", "path=%s",
		    sidecar_log_quote(http->controldata, quoted));
}

/* Writes the address a bound socket listens on ("127.0.0.1:8080"). */
static void format_bound_address(struct evhttp_bound_socket *bound, char *out, size_t out_size)
{
	struct sockaddr_storage address;
	socklen_t size = sizeof(address);
	char host[64], port[8]; /* a numeric IPv6 address with scope fits 64 */

	out[0] = '\0';
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&address, &size) != 0 ||
	    getnameinfo((struct sockaddr *)&address, size, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	if (address.ss_family == AF_INET6)
		snprintf(out, out_size, "[%s]:%s", host, port);
	else
		snprintf(out, out_size, "%s:%s", host, port);
}

int sidecar_http_start(struct sidecar *sc, struct ratls_detail *detail)
{
	struct sidecar_http *http = calloc(1, sizeof(*http));
	struct evhttp_bound_socket *bound;
	char host[SIDECAR_HOST_SIZE];
	uint16_t port;
	int rc;

	if (http == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	http->sc = sc;
	sc->http = http;
	sidecar_pg_conninfo(sc->config, http->conninfo);
	http->tokens = (double)sc->config->attestation_burst;
	clock_gettime(CLOCK_MONOTONIC, &http->refilled);
	find_controldata(http);

	rc = sidecar_parse_host_port("http-listen", sc->config->http_listen, host, &port, detail);
	if (rc != RATLS_OK)
		return rc;
	http->http = evhttp_new(sc->base);
	if (http->http == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "cannot create the HTTP server");
	evhttp_set_timeout(http->http, HTTP_TIMEOUT);
	evhttp_set_max_headers_size(http->http, HTTP_MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(http->http, HTTP_MAX_BODY_SIZE);
	evhttp_set_gencb(http->http, route, http);
	bound = evhttp_bind_socket_with_handle(http->http, host, port);
	if (bound == NULL)
		return ratls_fail(detail, RATLS_ERR_NETWORK, "cannot listen on %s for HTTP",
				  sc->config->http_listen);
	format_bound_address(bound, http->address, sizeof(http->address));
	return RATLS_OK;
}

void sidecar_http_address(const struct sidecar *sc, char *out, size_t size)
{
	snprintf(out, size, "%s", sc->http != NULL ? sc->http->address : "");
}

void sidecar_http_stop(struct sidecar *sc)
{
	if (sc->http == NULL)
		return;
	if (sc->http->http != NULL)
		evhttp_free(sc->http->http);
	free(sc->http);
	sc->http = NULL;
}
