/*
 * The state of a running ratls-sidecar, shared by its ports.
 *
 * Threads: everything here belongs to the event loop's thread, except the
 * quote source, which worker threads use under source_lock, and the
 * fields marked otherwise.
 */
#ifndef SIDECAR_SIDECAR_H
#define SIDECAR_SIDECAR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "cert.h"
#include "config.h"
#include "metrics.h"
#include "net/tls_server.h"
#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/policy.h"
#include "source.h"
#include "worker.h"

/* Worker threads: enough that a slow quote does not hold up /health. */
#define SIDECAR_WORKER_THREADS 2

/*
 * Maximum number of jobs queued for the workers. A job is an /attestation
 * or /health request or a rotation. With the default rate limit (2 a
 * second, bursts of 4) few jobs wait at once, and a request that finds the
 * queue full gets 503 at once.
 */
#define SIDECAR_WORKER_QUEUE 16

/*
 * Bytes queued toward one side of a session before the sidecar stops
 * reading from the other: 256 KiB fits several PostgreSQL row batches and bounds memory per session.
 */
#define SIDECAR_SESSION_BUFFER (256 * 1024)

/* Seconds between attempts after a failed certificate rotation. */
#define SIDECAR_ROTATION_RETRY 60

struct sidecar_conn;
struct sidecar_http;

struct sidecar {
	const struct sidecar_config *config;
	struct event_base *base;
	struct sidecar_worker *worker;
	struct sidecar_metrics metrics;

	/* The quote source; worker threads use it under source_lock. */
	struct sidecar_source *source;
	pthread_mutex_t source_lock;

	/* The current TLS identity; rotation replaces it on the loop thread. */
	struct ratls_net_tls_server *tls;
	int64_t cert_not_after;
	bool cert_attested;
	bool rotation_running;
	struct event *rotation_timer;

	/* Mutual RA-TLS: the verifier and policy for client certificates. */
	struct ratls_dcap_context *client_context;
	struct ratls_verifier client_verifier;
	struct ratls_policy *client_policy;
	uint8_t *client_trust_root;
	size_t client_trust_root_size;

	/* PostgreSQL, as the sessions reach it. */
	struct sockaddr_storage upstream_address;
	socklen_t upstream_address_size;
	char upstream_text[256];

	/* The PostgreSQL port. */
	struct evconnlistener *listener;
	char listen_text[128];
	struct sidecar_conn *conns;
	uint64_t conn_count;
	uint64_t next_conn_id;

	/* The HTTP port. */
	struct sidecar_http *http;

	/* Shutdown. */
	bool draining;
	struct event *drain_timer;
	struct event *signal_events[4];
	int exit_status;
};

/* ---- the PostgreSQL port (pg_port.c) ---- */

/*
 * Binds config->listen and starts accepting. Fills sc->listen_text with the
 * bound address (the real port when 0 was given).
 */
int sidecar_pg_port_start(struct sidecar *sc, struct ratls_detail *detail);

/* Closes the listening socket; open sessions continue. */
void sidecar_pg_port_stop_accepting(struct sidecar *sc);

/* Ends every connection now (drain deadline or a second signal). */
void sidecar_pg_port_close_all(struct sidecar *sc, enum sidecar_failure reason);

/* Resolves config->upstream into sc->upstream_address. */
int sidecar_resolve_upstream(struct sidecar *sc, struct ratls_detail *detail);

/*
 * Loads the client collateral, trust root and policy for mutual RA-TLS
 * (again on SIGHUP). On failure the previous ones stay in use.
 */
int sidecar_load_client_verifier(struct sidecar *sc, struct ratls_detail *detail);

/* Frees what sidecar_load_client_verifier loaded. */
void sidecar_free_client_verifier(struct sidecar *sc);

/* Called when a connection ends, so that shutdown can finish once none is left. */
void sidecar_connection_closed(struct sidecar *sc);

/* ---- certificate rotation (main.c) ---- */

/* Builds a TLS server from cert with the options of config. */
int sidecar_tls_server_for(struct sidecar *sc, const struct sidecar_cert *cert,
			   struct ratls_net_tls_server **out, struct ratls_detail *detail);

/* ---- the HTTP port (http_port.c) ---- */

/* Binds config->http_listen and serves /health, /attestation and /metrics. */
int sidecar_http_start(struct sidecar *sc, struct ratls_detail *detail);

/* Writes the bound HTTP address into out ("" when the port is off). */
void sidecar_http_address(const struct sidecar *sc, char *out, size_t size);

/* Closes the HTTP port and frees its state; pending requests are dropped. */
void sidecar_http_stop(struct sidecar *sc);

#endif
