/*
 * ratls_pq_proxy: the connector's listener and sessions behind a long-lived
 * socket, so that any PostgreSQL client (psql, pg_dump, pgbench, drivers in
 * any language) gets an attested connection. Every client connection gets
 * its own upstream TLS session and its own check (or cache hit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fail.h"
#include "base/log.h"
#include "pq_internal.h"

struct ratls_pq_proxy {
	struct ratls_pq_options *options; /* a reference */
	struct pq_request request;
	struct pq_session_config session;
	struct pq_listener listener;
	bool listener_ready;
	struct pq_counters counters;
	char upstream[RATLS_PQ_HOST_SIZE + 16];
};

static void on_outcome(void *arg, uint64_t session_id, int code, const struct ratls_detail *detail,
		       const struct ratls_pq_attestation *att, int64_t elapsed_ms)
{
	struct ratls_pq_proxy *proxy = arg;

	if (code == RATLS_OK) {
		char mrtd[40];

		pq_hex_prefix(att->report.td.mr_td, sizeof(att->report.td.mr_td), 8, mrtd,
			      sizeof(mrtd));
		ratls_log(RATLS_LOG_INFO,
			  "session %llu: verified %s (%s, mrtd %s, TCB %s, %s) in %lld ms",
			  (unsigned long long)session_id, proxy->upstream,
			  att->attested ? "attested" : "NOT attested: allow_simulator", mrtd,
			  ratls_tcb_status_name(att->report.status),
			  att->from_cache ? "from the cache" : "full check", (long long)elapsed_ms);
	} else {
		ratls_log(RATLS_LOG_WARNING, "session %llu: rejected %s: %s: %s",
			  (unsigned long long)session_id, proxy->upstream, ratls_error_name(code),
			  detail->message);
	}
}

/* Splits "HOST:PORT" or "[IPv6]:PORT" into a connection string for pq_request_parse. */
static int upstream_conninfo(const char *upstream, char *out, size_t size,
			     struct ratls_detail *detail)
{
	const char *colon = strrchr(upstream, ':');
	const char *host = upstream;
	size_t host_len;

	if (colon == NULL || colon[1] == '\0')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "upstream '%s' is not HOST:PORT", upstream);
	host_len = (size_t)(colon - upstream);
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len == 0 || strcspn(upstream, "'\\ ") != strlen(upstream))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "upstream '%s' is not HOST:PORT with a host name or address",
				  upstream);
	if (snprintf(out, size, "host='%.*s' port='%s'", (int)host_len, host, colon + 1) >=
	    (int)size)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "upstream '%s' is too long",
				  upstream);
	return RATLS_OK;
}

/* Creates the socket directory (0700), or checks that an existing one is private enough. */
static int prepare_directory(const char *dir, struct ratls_detail *detail)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot create the socket directory '%s': %m",
				  dir);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ratls_fail(detail, RATLS_ERR_IO, "'%s' is not a directory", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the socket directory '%s' must belong to uid %u and not be "
				  "writable by group or others (it has uid %u, mode %03o), so that "
				  "no one else can replace the socket",
				  dir, (unsigned)geteuid(), (unsigned)st.st_uid,
				  (unsigned)(st.st_mode & 0777));
	return RATLS_OK;
}

static int open_listener(struct ratls_pq_proxy *proxy, const struct ratls_pq_proxy_config *config,
			 struct ratls_detail *detail)
{
	char path[sizeof(proxy->listener.address)];
	int port = config->socket_port > 0 ? config->socket_port
					   : (int)strtol(proxy->request.target.port, NULL, 10);
	int rc;

	if (config->listen[0] != '/') {
		rc = pq_listener_init_tcp(&proxy->listener, config->listen, detail);
		proxy->listener_ready = true;
		if (rc == RATLS_OK)
			ratls_log(RATLS_LOG_WARNING,
				  "listening on TCP %s: every local user can use the attested "
				  "connection; a socket directory limits it to uid %u",
				  proxy->listener.address, (unsigned)geteuid());
		return rc;
	}
	if ((rc = prepare_directory(config->listen, detail)) != RATLS_OK)
		return rc;
	if (port > 65535)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "socket port %d is above 65535", port);
	if (snprintf(path, sizeof(path), "%s/.s.PGSQL.%d", config->listen, port) >=
	    (int)sizeof(path))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the socket directory '%s' is too long", config->listen);
	rc = pq_listener_init_unix(&proxy->listener, path, detail);
	proxy->listener_ready = true;
	proxy->session.check_peer_uid = true;
	return rc;
}

int ratls_pq_proxy_new(const struct ratls_pq_proxy_config *config,
		       struct ratls_pq_options *options, struct ratls_pq_proxy **out,
		       struct ratls_detail *detail)
{
	struct ratls_pq_proxy *proxy = NULL;
	char conninfo[2 * RATLS_PQ_HOST_SIZE];
	int rc = RATLS_ERR_INTERNAL;

	*out = NULL;
	if (config == NULL || config->listen == NULL || config->upstream == NULL ||
	    config->listen[0] == '\0')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the proxy needs a listen address and an upstream");
	if (config->max_connections < 0 || config->idle_timeout < 0 || config->socket_port < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "max_connections, idle_timeout and socket_port cannot be "
				  "negative");
	if ((rc = upstream_conninfo(config->upstream, conninfo, sizeof(conninfo), detail)) !=
	    RATLS_OK)
		return rc;
	proxy = calloc(1, sizeof(*proxy));
	if (proxy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory creating the proxy");
	if (options != NULL) {
		pq_options_ref(options);
		proxy->options = options;
	} else if ((proxy->options = ratls_pq_options_new()) == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory creating the proxy");
		goto out;
	}
	if ((rc = pq_request_parse(conninfo, proxy->options, &proxy->request, detail)) != RATLS_OK)
		goto out;
	if (pq_settings_bool(&proxy->request.settings, PQ_KW_TEESQL_CREDENTIALS)) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"ratls_teesql_credentials checks the credentials of a connection "
				"string, but the proxy forwards its clients' credentials; unset it");
		goto out;
	}
	pq_target_describe(&proxy->request.target, proxy->upstream, sizeof(proxy->upstream));

	proxy->session.options = proxy->options;
	proxy->session.settings = &proxy->request.settings;
	proxy->session.target = proxy->request.target;
	proxy->session.idle_timeout = config->idle_timeout;
	proxy->session.extra_counters = &proxy->counters;
	proxy->session.on_outcome = on_outcome;
	proxy->session.outcome_arg = proxy;
	if ((rc = open_listener(proxy, config, detail)) != RATLS_OK)
		goto out;
	proxy->listener.config = &proxy->session;
	proxy->listener.max_sessions = config->max_connections > 0
					       ? (size_t)config->max_connections
					       : RATLS_PQ_PROXY_DEFAULT_MAX_CONNECTIONS;
	proxy->listener.drain_timeout = config->drain_timeout >= 0
						? config->drain_timeout
						: RATLS_PQ_PROXY_DEFAULT_DRAIN_TIMEOUT;
	*out = proxy;
	proxy = NULL; /* ownership moved to *out */
	rc = RATLS_OK;
out:
	ratls_pq_proxy_free(proxy);
	return rc;
}

const char *ratls_pq_proxy_address(const struct ratls_pq_proxy *proxy)
{
	return proxy->listener.address;
}

int ratls_pq_proxy_run(struct ratls_pq_proxy *proxy, struct ratls_detail *detail)
{
	if (proxy == NULL || !proxy->listener_ready || proxy->listener.fd < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the proxy is not listening; create it with ratls_pq_proxy_new "
				  "and run it once");
	ratls_log(RATLS_LOG_INFO, "proxy listening on %s for %s (at most %zu sessions)",
		  proxy->listener.address, proxy->upstream, proxy->listener.max_sessions);
	pq_listener_run(&proxy->listener);
	ratls_log(RATLS_LOG_INFO, "proxy on %s stopped after %llu sessions",
		  proxy->listener.address,
		  (unsigned long long)atomic_load(&proxy->counters.sessions));
	return RATLS_OK;
}

void ratls_pq_proxy_stop(struct ratls_pq_proxy *proxy)
{
	if (proxy != NULL && proxy->listener_ready)
		pq_listener_stop(&proxy->listener);
}

void ratls_pq_proxy_stats(struct ratls_pq_proxy *proxy, struct ratls_pq_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (proxy != NULL)
		pq_counters_read(&proxy->counters, stats);
}

void ratls_pq_proxy_free(struct ratls_pq_proxy *proxy)
{
	if (proxy == NULL)
		return;
	if (proxy->listener_ready) {
		if (proxy->listener.bound_path)
			unlink(proxy->listener.address);
		pq_listener_destroy(&proxy->listener);
	}
	pq_request_clear(&proxy->request);
	pq_options_unref(proxy->options);
	free(proxy);
}
