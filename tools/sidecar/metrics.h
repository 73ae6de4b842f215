/*
 * Counters of ratls-sidecar, served as Prometheus text on GET /metrics.
 * Every counter is changed and read on the event loop's thread only.
 */
#ifndef SIDECAR_METRICS_H
#define SIDECAR_METRICS_H

#include <stdint.h>

#include <event2/buffer.h>

/* The reason a client connection failed or a session ended abnormally. */
enum sidecar_failure {
	SIDECAR_FAILURE_CONNECTION_LIMIT = 0, /* closed at accept: max-connections reached */
	SIDECAR_FAILURE_PREAMBLE,             /* first bytes neither TLS nor a known request */
	SIDECAR_FAILURE_PLAINTEXT,            /* a plaintext StartupMessage (no TLS) */
	SIDECAR_FAILURE_HANDSHAKE_TIMEOUT,    /* no session within handshake-timeout */
	SIDECAR_FAILURE_TLS_HANDSHAKE,        /* TLS failed (protocol, no client certificate) */
	SIDECAR_FAILURE_CLIENT_ATTESTATION,   /* the client's RA-TLS certificate was rejected */
	SIDECAR_FAILURE_UPSTREAM_CONNECT,     /* PostgreSQL did not accept the connection */
	SIDECAR_FAILURE_IDLE_TIMEOUT,         /* idle-timeout ended the session */
	SIDECAR_FAILURE_SESSION_ERROR,        /* a socket or TLS error during the session */
	SIDECAR_FAILURE_DRAIN_DEADLINE,       /* still open when drain-timeout ran out */
	SIDECAR_FAILURE_COUNT
};

/* Outcome of an /attestation request. */
enum sidecar_attestation_result {
	SIDECAR_ATTESTATION_OK = 0,
	SIDECAR_ATTESTATION_RATE_LIMITED,
	SIDECAR_ATTESTATION_UNAVAILABLE, /* no quote source, or PostgreSQL unreachable */
	SIDECAR_ATTESTATION_ERROR,
	SIDECAR_ATTESTATION_RESULT_COUNT
};

struct sidecar_metrics {
	uint64_t connections_total;
	uint64_t connections_active;
	uint64_t handshakes_total;
	uint64_t sessions_total;
	uint64_t cancel_requests_total;
	uint64_t failures[SIDECAR_FAILURE_COUNT];
	uint64_t bytes_client_to_server;
	uint64_t bytes_server_to_client;
	uint64_t attestation_requests[SIDECAR_ATTESTATION_RESULT_COUNT];
	uint64_t health_checks_total;
	uint64_t health_checks_failed;
	uint64_t rotations_total;
	uint64_t rotation_failures_total;
	int64_t certificate_not_after;
};

/* Returns the label value of a failure ("handshake_timeout"). */
const char *sidecar_failure_name(enum sidecar_failure failure);

/* Appends the Prometheus text exposition of metrics to out. Returns 0, or -1 when out of memory. */
int sidecar_metrics_write(const struct sidecar_metrics *metrics, struct evbuffer *out);

#endif
