/* Prometheus text exposition (format version 0.0.4) of the sidecar's counters. */
#include <inttypes.h>

#include "metrics.h"

static const char *const failure_names[SIDECAR_FAILURE_COUNT] = {
	[SIDECAR_FAILURE_CONNECTION_LIMIT] = "connection_limit",
	[SIDECAR_FAILURE_PREAMBLE] = "preamble",
	[SIDECAR_FAILURE_PLAINTEXT] = "plaintext",
	[SIDECAR_FAILURE_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[SIDECAR_FAILURE_TLS_HANDSHAKE] = "tls_handshake",
	[SIDECAR_FAILURE_CLIENT_ATTESTATION] = "client_attestation",
	[SIDECAR_FAILURE_UPSTREAM_CONNECT] = "upstream_connect",
	[SIDECAR_FAILURE_IDLE_TIMEOUT] = "idle_timeout",
	[SIDECAR_FAILURE_SESSION_ERROR] = "session_error",
	[SIDECAR_FAILURE_DRAIN_DEADLINE] = "drain_deadline",
};

static const char *const attestation_names[SIDECAR_ATTESTATION_RESULT_COUNT] = {
	[SIDECAR_ATTESTATION_OK] = "ok",
	[SIDECAR_ATTESTATION_RATE_LIMITED] = "rate_limited",
	[SIDECAR_ATTESTATION_UNAVAILABLE] = "unavailable",
	[SIDECAR_ATTESTATION_ERROR] = "error",
};

const char *sidecar_failure_name(enum sidecar_failure failure)
{
	if ((unsigned int)failure < SIDECAR_FAILURE_COUNT)
		return failure_names[failure];
	return "unknown";
}

/* Writes the HELP and TYPE lines of one metric. */
static int header(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	return evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type) < 0
		       ? -1
		       : 0;
}

static int counter(struct evbuffer *out, const char *name, const char *help, uint64_t value)
{
	if (header(out, name, "counter", help) != 0 ||
	    evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, value) < 0)
		return -1;
	return 0;
}

static int gauge(struct evbuffer *out, const char *name, const char *help, int64_t value)
{
	if (header(out, name, "gauge", help) != 0 ||
	    evbuffer_add_printf(out, "%s %" PRId64 "\n", name, value) < 0)
		return -1;
	return 0;
}

static int labelled(struct evbuffer *out, const char *name, const char *help, const char *label,
		    const char *const *names, const uint64_t *values, int count)
{
	if (header(out, name, "counter", help) != 0)
		return -1;
	for (int i = 0; i < count; i++) {
		if (evbuffer_add_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i],
					values[i]) < 0)
			return -1;
	}
	return 0;
}

int sidecar_metrics_write(const struct sidecar_metrics *m, struct evbuffer *out)
{
	static const char *const directions[] = {"client_to_server", "server_to_client"};
	const uint64_t bytes[] = {m->bytes_client_to_server, m->bytes_server_to_client};

	if (counter(out, "ratls_sidecar_connections_total",
		    "Client connections accepted on the PostgreSQL port.",
		    m->connections_total) != 0 ||
	    gauge(out, "ratls_sidecar_connections_active",
		  "Client connections open now, in any state.",
		  (int64_t)m->connections_active) != 0 ||
	    counter(out, "ratls_sidecar_handshakes_total",
		    "TLS handshakes completed (and, in mutual mode, client attestations passed).",
		    m->handshakes_total) != 0 ||
	    counter(out, "ratls_sidecar_sessions_total",
		    "Sessions bridged to PostgreSQL.", m->sessions_total) != 0 ||
	    counter(out, "ratls_sidecar_cancel_requests_total",
		    "Plaintext CancelRequest messages forwarded to PostgreSQL.",
		    m->cancel_requests_total) != 0 ||
	    labelled(out, "ratls_sidecar_failures_total",
		     "Failed connections and abnormally ended sessions, by reason.", "reason",
		     failure_names, m->failures, SIDECAR_FAILURE_COUNT) != 0 ||
	    labelled(out, "ratls_sidecar_bytes_total",
		     "Bytes forwarded between clients and PostgreSQL.", "direction", directions,
		     bytes, 2) != 0 ||
	    labelled(out, "ratls_sidecar_attestation_requests_total",
		     "GET /attestation requests, by result.", "result", attestation_names,
		     m->attestation_requests, SIDECAR_ATTESTATION_RESULT_COUNT) != 0 ||
	    counter(out, "ratls_sidecar_health_checks_total", "GET /health requests.",
		    m->health_checks_total) != 0 ||
	    counter(out, "ratls_sidecar_health_checks_failed_total",
		    "GET /health requests answered 503.", m->health_checks_failed) != 0 ||
	    counter(out, "ratls_sidecar_certificate_rotations_total",
		    "Certificates issued after start-up.", m->rotations_total) != 0 ||
	    counter(out, "ratls_sidecar_certificate_rotation_failures_total",
		    "Certificate rotations that failed and were retried.",
		    m->rotation_failures_total) != 0 ||
	    gauge(out, "ratls_sidecar_certificate_not_after_seconds",
		  "notAfter of the current certificate, Unix seconds.",
		  m->certificate_not_after) != 0)
		return -1;
	return 0;
}
