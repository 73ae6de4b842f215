/*
 * ratls-sidecar: the RA-TLS front door for a PostgreSQL server in an Intel
 * TDX confidential VM. Start-up, certificate rotation, signals and the
 * graceful shutdown; the ports live in pg_port.c and http_port.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>

#include "log.h"
#include "ratls/log.h"
#include "sidecar.h"
#include "util.h"

/* ---- library log ---- */

static void library_log(enum ratls_log_level level, const char *message, void *arg)
{
	char quoted[SIDECAR_LOG_VALUE_SIZE];
	enum sidecar_log_level mapped = SIDECAR_LOG_DEBUG;

	(void)arg;
	if (level == RATLS_LOG_ERROR)
		mapped = SIDECAR_LOG_ERROR;
	else if (level == RATLS_LOG_WARNING)
		mapped = SIDECAR_LOG_WARNING;
	else if (level == RATLS_LOG_INFO)
		mapped = SIDECAR_LOG_INFO;
	sidecar_log(mapped, "library", "detail=%s", sidecar_log_quote(message, quoted));
}

/* ---- certificate rotation ---- */

struct rotation_job {
	struct sidecar_job job; /* first member: the worker passes it back */
	struct sidecar *sc;
	struct ratls_net_tls_server *tls;
	int64_t not_after;
	bool attested;
	int rc;
	struct ratls_detail detail;
};

static void schedule_rotation(struct sidecar *sc, int64_t seconds)
{
	struct timeval delay = {seconds, 0};

	evtimer_add(sc->rotation_timer, &delay);
}

/* Issues a certificate and builds its TLS server, on a worker thread. */
static void rotation_run(struct sidecar_job *job)
{
	struct rotation_job *r = (struct rotation_job *)job;
	struct sidecar_cert cert;

	pthread_mutex_lock(&r->sc->source_lock);
	r->rc = sidecar_cert_issue(r->sc->source, r->sc->config, sidecar_now(), &cert, &r->detail);
	pthread_mutex_unlock(&r->sc->source_lock);
	if (r->rc == RATLS_OK) {
		r->not_after = cert.not_after;
		r->attested = cert.attested;
		r->rc = sidecar_tls_server_for(r->sc, &cert, &r->tls, &r->detail);
	}
	sidecar_cert_clear(&cert);
}

/* Swaps in the new certificate on the loop thread, or schedules a retry. */
static void rotation_done(struct sidecar_job *job, bool cancelled)
{
	struct rotation_job *r = (struct rotation_job *)job;
	struct sidecar *sc = r->sc;
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	sc->rotation_running = false;
	if (cancelled || r->rc != RATLS_OK) {
		ratls_net_tls_server_unref(r->tls);
		if (!cancelled) {
			sc->metrics.rotation_failures_total++;
			sidecar_log(SIDECAR_LOG_ERROR, "rotation_failed",
				    "error=%s retry_seconds=%d detail=%s", ratls_error_name(r->rc),
				    SIDECAR_ROTATION_RETRY,
				    sidecar_log_quote(r->detail.message, quoted));
			if (!sc->draining)
				schedule_rotation(sc, SIDECAR_ROTATION_RETRY);
		}
		free(r);
		return;
	}
	/* Sessions hold their own references, so they keep the old certificate until they end. */
	ratls_net_tls_server_unref(sc->tls);
	sc->tls = r->tls;
	sc->cert_not_after = r->not_after;
	sc->cert_attested = r->attested;
	sc->metrics.rotations_total++;
	sc->metrics.certificate_not_after = r->not_after;
	sidecar_log(SIDECAR_LOG_INFO, "certificate_rotated", "attested=%s not_after=%lld",
		    r->attested ? "true" : "false", (long long)r->not_after);
	if (!sc->draining)
		schedule_rotation(sc, sc->config->rotate_interval);
	free(r);
}

static void start_rotation(struct sidecar *sc)
{
	struct rotation_job *r;

	if (sc->rotation_running || sc->draining)
		return;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		schedule_rotation(sc, SIDECAR_ROTATION_RETRY);
		return;
	}
	r->job.run = rotation_run;
	r->job.done = rotation_done;
	r->sc = sc;
	if (!sidecar_worker_submit(sc->worker, &r->job)) {
		free(r);
		sidecar_log(SIDECAR_LOG_WARNING, "rotation_deferred",
			    "detail=\"the worker queue is full\" retry_seconds=%d",
			    SIDECAR_ROTATION_RETRY);
		schedule_rotation(sc, SIDECAR_ROTATION_RETRY);
		return;
	}
	sc->rotation_running = true;
}

static void rotation_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_rotation(arg);
}

/* ---- shutdown and signals ---- */

void sidecar_connection_closed(struct sidecar *sc)
{
	if (sc->draining && sc->conn_count == 0)
		event_base_loopexit(sc->base, NULL);
}

static void drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct sidecar *sc = arg;

	(void)fd;
	(void)what;
	sidecar_log(SIDECAR_LOG_WARNING, "drain_deadline",
		    "open=%llu detail=\"closing the sessions still open after drain-timeout\"",
		    (unsigned long long)sc->conn_count);
	sidecar_pg_port_close_all(sc, SIDECAR_FAILURE_DRAIN_DEADLINE);
	event_base_loopexit(sc->base, NULL);
}

static void begin_shutdown(struct sidecar *sc, const char *signal_name)
{
	struct timeval deadline = {sc->config->drain_timeout, 0};

	if (sc->draining) {
		sidecar_log(SIDECAR_LOG_WARNING, "shutdown_forced", "signal=%s open=%llu",
			    signal_name, (unsigned long long)sc->conn_count);
		sidecar_pg_port_close_all(sc, SIDECAR_FAILURE_DRAIN_DEADLINE);
		event_base_loopexit(sc->base, NULL);
		return;
	}
	sc->draining = true;
	sidecar_log(SIDECAR_LOG_INFO, "shutdown_started",
		    "signal=%s open=%llu drain_timeout=%lld", signal_name,
		    (unsigned long long)sc->conn_count, (long long)sc->config->drain_timeout);
	sidecar_pg_port_stop_accepting(sc);
	evtimer_del(sc->rotation_timer);
	if (sc->conn_count == 0) {
		event_base_loopexit(sc->base, NULL);
		return;
	}
	evtimer_add(sc->drain_timer, &deadline);
}

/* SIGHUP: a new certificate now, and the client collateral read again. */
static void reload(struct sidecar *sc)
{
	struct ratls_detail detail = {0};
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	sidecar_log(SIDECAR_LOG_INFO, "reload", "signal=SIGHUP");
	if (sc->config->require_client_attestation) {
		int rc = sidecar_load_client_verifier(sc, &detail);

		if (rc != RATLS_OK)
			sidecar_log(SIDECAR_LOG_ERROR, "client_collateral_reload_failed",
				    "error=%s detail=%s", ratls_error_name(rc),
				    sidecar_log_quote(detail.message, quoted));
		else
			sidecar_log(SIDECAR_LOG_INFO, "client_collateral_reloaded", "file=%s",
				    sidecar_log_quote(sc->config->client_collateral, quoted));
	}
	start_rotation(sc);
}

static void signal_received(evutil_socket_t signal_number, short what, void *arg)
{
	struct sidecar *sc = arg;

	(void)what;
	if (signal_number == SIGHUP)
		reload(sc);
	else
		begin_shutdown(sc, signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int add_signals(struct sidecar *sc)
{
	static const int signals[] = {SIGTERM, SIGINT, SIGHUP};

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		sc->signal_events[i] = evsignal_new(sc->base, signals[i], signal_received, sc);
		if (sc->signal_events[i] == NULL || evsignal_add(sc->signal_events[i], NULL) != 0)
			return -1;
	}
	return 0;
}

/* ---- start-up ---- */

static void log_failure(const char *event, int rc, const struct ratls_detail *detail)
{
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	sidecar_log(SIDECAR_LOG_ERROR, event, "error=%s detail=%s", ratls_error_name(rc),
		    sidecar_log_quote(detail->message[0] != '\0' ? detail->message
								  : ratls_strerror(rc),
				      quoted));
}

static int open_source(struct sidecar *sc)
{
	struct ratls_detail detail = {0};
	char quoted[SIDECAR_LOG_VALUE_SIZE];
	int rc = sidecar_source_open(&sc->config->source, &sc->source, &detail);

	if (rc != RATLS_OK) {
		log_failure("quote_source_failed", rc, &detail);
		return rc;
	}
	sidecar_log(SIDECAR_LOG_INFO, "quote_source", "kind=%s detail=%s",
		    sidecar_source_kind_name(sc->source->kind),
		    sidecar_log_quote(sc->source->description, quoted));
	if (sc->source->kind == SIDECAR_SOURCE_SIMULATE)
		sidecar_log(SIDECAR_LOG_WARNING, "simulated_platform",
			    "detail=\"quotes are signed by a test root, not by Intel; clients "
			    "accept them only when told to trust that root\"");
	if (sc->source->kind == SIDECAR_SOURCE_NONE)
		sidecar_log(SIDECAR_LOG_WARNING, "no_quote",
			    "detail=\"the certificate carries no attestation evidence; clients "
			    "accept it only with allow_simulator, so never run this in "
			    "production\"");
	return RATLS_OK;
}

static int issue_first_cert(struct sidecar *sc)
{
	struct ratls_detail detail = {0};
	struct sidecar_cert cert;
	int rc = sidecar_cert_issue(sc->source, sc->config, sidecar_now(), &cert, &detail);

	if (rc == RATLS_OK)
		rc = sidecar_tls_server_for(sc, &cert, &sc->tls, &detail);
	if (rc != RATLS_OK) {
		log_failure("certificate_failed", rc, &detail);
		sidecar_cert_clear(&cert);
		return rc;
	}
	sc->cert_not_after = cert.not_after;
	sc->cert_attested = cert.attested;
	sc->metrics.certificate_not_after = cert.not_after;
	sidecar_log(SIDECAR_LOG_INFO, "certificate_issued", "attested=%s not_after=%lld bytes=%zu",
		    cert.attested ? "true" : "false", (long long)cert.not_after, cert.der_size);
	sidecar_cert_clear(&cert);
	return RATLS_OK;
}

static int setup_client_attestation(struct sidecar *sc)
{
	const struct sidecar_config *config = sc->config;
	struct ratls_detail detail = {0};
	int rc;

	if (!config->require_client_attestation)
		return RATLS_OK;
	if ((rc = sidecar_load_client_verifier(sc, &detail)) != RATLS_OK) {
		log_failure("client_attestation_setup_failed", rc, &detail);
		return rc;
	}
	sidecar_log(SIDECAR_LOG_INFO, "client_attestation_required",
		    "mrtds=%zu app_ids=%zu compose_hashes=%zu trust_root=%s",
		    config->client_mrtds.count, config->client_app_ids.count,
		    config->client_compose_hashes.count,
		    config->client_trust_root != NULL ? "custom" : "intel");
	if (config->client_trust_root != NULL)
		sidecar_log(SIDECAR_LOG_WARNING, "client_trust_root",
			    "detail=\"client quotes are verified against a custom root instead of "
			    "Intel's; use this only with simulated clients\"");
	return RATLS_OK;
}

static int start_ports(struct sidecar *sc)
{
	struct ratls_detail detail = {0};
	int rc;

	if ((rc = sidecar_resolve_upstream(sc, &detail)) != RATLS_OK) {
		log_failure("upstream_invalid", rc, &detail);
		return rc;
	}
	if ((rc = sidecar_pg_port_start(sc, &detail)) != RATLS_OK) {
		log_failure("listen_failed", rc, &detail);
		return rc;
	}
	if (sc->config->http_listen != NULL && (rc = sidecar_http_start(sc, &detail)) != RATLS_OK) {
		log_failure("http_listen_failed", rc, &detail);
		return rc;
	}
	return RATLS_OK;
}

static int start(struct sidecar *sc)
{
	char http[128];

	if (open_source(sc) != RATLS_OK || setup_client_attestation(sc) != RATLS_OK ||
	    issue_first_cert(sc) != RATLS_OK)
		return -1;
	sc->worker = sidecar_worker_start(sc->base, SIDECAR_WORKER_THREADS, SIDECAR_WORKER_QUEUE);
	sc->rotation_timer = evtimer_new(sc->base, rotation_timer_fired, sc);
	sc->drain_timer = evtimer_new(sc->base, drain_deadline, sc);
	if (sc->worker == NULL || sc->rotation_timer == NULL || sc->drain_timer == NULL ||
	    add_signals(sc) != 0) {
		sidecar_log(SIDECAR_LOG_ERROR, "startup_failed",
			    "detail=\"cannot create threads, timers or signal handlers\"");
		return -1;
	}
	if (start_ports(sc) != RATLS_OK)
		return -1;
	schedule_rotation(sc, sc->config->rotate_interval);
	sidecar_http_address(sc, http, sizeof(http));
	sidecar_log(SIDECAR_LOG_INFO, "ready",
		    "pg_address=%s http_address=%s upstream=%s source=%s mutual=%s",
		    sc->listen_text, http[0] != '\0' ? http : "off", sc->upstream_text,
		    sidecar_source_kind_name(sc->source->kind),
		    sc->config->require_client_attestation ? "true" : "false");
	return 0;
}

static void stop(struct sidecar *sc)
{
	sidecar_pg_port_stop_accepting(sc);
	sidecar_pg_port_close_all(sc, SIDECAR_FAILURE_DRAIN_DEADLINE);
	/* Finishes the jobs still running, so their HTTP requests get replies before the port closes. */
	sidecar_worker_stop(sc->worker);
	sidecar_http_stop(sc);
	for (size_t i = 0; i < sizeof(sc->signal_events) / sizeof(sc->signal_events[0]); i++) {
		if (sc->signal_events[i] != NULL)
			event_free(sc->signal_events[i]);
	}
	if (sc->rotation_timer != NULL)
		event_free(sc->rotation_timer);
	if (sc->drain_timer != NULL)
		event_free(sc->drain_timer);
	ratls_net_tls_server_unref(sc->tls);
	sidecar_free_client_verifier(sc);
	sidecar_source_free(sc->source);
	pthread_mutex_destroy(&sc->source_lock);
}

int main(int argc, char **argv)
{
	struct sidecar_config config;
	struct sidecar sc;
	int status;

	if (sidecar_config_parse(argc, argv, &config, &status) != SIDECAR_CONFIG_RUN) {
		sidecar_config_free(&config);
		return status;
	}
	sidecar_log_set_level(config.log_level);
	ratls_set_log_callback(library_log, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sc, 0, sizeof(sc));
	sc.config = &config;
	pthread_mutex_init(&sc.source_lock, NULL);
	if (evthread_use_pthreads() != 0 || (sc.base = event_base_new()) == NULL) {
		sidecar_log(SIDECAR_LOG_ERROR, "startup_failed",
			    "detail=\"cannot create the libevent loop\"");
		sidecar_config_free(&config);
		return 1;
	}
	sidecar_log(SIDECAR_LOG_INFO, "starting", "version=%s pid=%ld config=%s", RATLS_VERSION,
		    (long)getpid(), config.config_path != NULL ? config.config_path : "none");

	status = start(&sc) == 0 ? 0 : 1;
	if (status == 0)
		event_base_dispatch(sc.base);
	stop(&sc);
	event_base_free(sc.base);
	sidecar_log(status == 0 ? SIDECAR_LOG_INFO : SIDECAR_LOG_ERROR, "stopped", "status=%d",
		    status);
	sidecar_config_free(&config);
	libevent_global_shutdown();
	return status;
}
