/*
 * ratls_pq_connectdb and its companions. Each connection gets a private
 * directory (mkdtemp, mode 0700) with a Unix socket and a listener thread,
 * and libpq connects to that socket. The connection's state is attached to
 * the PGconn through libpq's event system, so PQfinish stops the thread and
 * removes the socket and the directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-events.h>

#include "base/fail.h"
#include "base/log.h"
#include "pq_internal.h"

/*
 * Sessions one connection's socket serves at once: libpq's own connection,
 * plus the short ones of PQcancel and PQreset.
 */
#define PQ_CONNECTION_MAX_SESSIONS 16
/* Seconds PQfinish waits for the connection's sessions to end before it ends them. */
#define PQ_CLOSE_DRAIN_SECONDS 5

/* The event procedure's name, as libpq reports it in errors. */
static const char event_name[] = "ratls";

struct pq_connection {
	struct ratls_pq_options *options; /* a reference */
	struct pq_request request;
	struct pq_session_config session;
	struct pq_listener listener;
	bool listener_ready;
	pthread_t thread;
	bool thread_started;
	char dir[sizeof(((struct pq_listener *)0)->address)];
	char port[RATLS_PQ_PORT_SIZE];

	/* The first session's outcome, which is the outcome of libpq's connection. */
	pthread_mutex_t lock;
	bool have_outcome;
	uint64_t outcome_session;
	int code;
	struct ratls_detail detail;
	bool verified;
	struct ratls_pq_attestation attestation;
};

static void record_outcome(struct pq_connection *c, uint64_t session_id, int code,
			   const struct ratls_detail *detail, const struct ratls_pq_attestation *att)
{
	pthread_mutex_lock(&c->lock);
	/* The first session's later failure (see pq_outcome_fn) replaces its success. */
	if (c->have_outcome && c->outcome_session == session_id && c->code == RATLS_OK &&
	    code != RATLS_OK) {
		c->have_outcome = false;
		c->verified = false;
	}
	if (!c->have_outcome) {
		c->have_outcome = true;
		c->outcome_session = session_id;
		c->code = code;
		if (detail != NULL)
			c->detail = *detail;
		if (code == RATLS_OK && att != NULL) {
			c->attestation = *att;
			c->verified = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static void on_outcome(void *arg, uint64_t session_id, int code, const struct ratls_detail *detail,
		       const struct ratls_pq_attestation *att, int64_t elapsed_ms)
{
	struct pq_connection *c = arg;
	char where[RATLS_PQ_HOST_SIZE + 16];

	record_outcome(c, session_id, code, detail, att);
	pq_target_describe(&c->session.target, where, sizeof(where));
	if (code == RATLS_OK) {
		char mrtd[40];

		pq_hex_prefix(att->report.td.mr_td, sizeof(att->report.td.mr_td), 8, mrtd,
			      sizeof(mrtd));
		ratls_log(RATLS_LOG_INFO,
			  "session %llu: verified %s (%s, mrtd %s, TCB %s, %s) in %lld ms",
			  (unsigned long long)session_id, where,
			  att->attested ? "attested" : "NOT attested: allow_simulator", mrtd,
			  ratls_tcb_status_name(att->report.status),
			  att->from_cache ? "from the cache" : "full check", (long long)elapsed_ms);
	} else if (c->session.preset_code != RATLS_OK) {
		ratls_log(RATLS_LOG_INFO, "session %llu: refused before connecting: %s: %s",
			  (unsigned long long)session_id, ratls_error_name(code), detail->message);
	} else {
		ratls_log(RATLS_LOG_INFO, "session %llu: connection to %s refused: %s: %s",
			  (unsigned long long)session_id, where, ratls_error_name(code),
			  detail->message);
	}
}

/*
 * Records a failure of libpq itself when no session reported one: libpq
 * checks some parameter values (target_session_attrs) only when it
 * connects, and its connect_timeout may end the wait for a slow check.
 */
static void record_libpq_failure(struct pq_connection *c, const PGconn *conn)
{
	const char *message = PQerrorMessage(conn);
	bool timeout = strstr(message, "timeout expired") != NULL;
	struct ratls_detail detail = {0};

	ratls_fail(&detail, timeout ? RATLS_ERR_TIMEOUT : RATLS_ERR_INVALID_ARGUMENT,
		   "libpq ended the connection before the server was verified: %s", message);
	record_outcome(c, 0, detail.code, &detail, NULL);
}

static void *listener_main(void *arg)
{
	struct pq_connection *c = arg;

	pq_listener_run(&c->listener);
	return NULL;
}

static void connection_destroy(struct pq_connection *c)
{
	if (c == NULL)
		return;
	if (c->thread_started) {
		pq_listener_stop(&c->listener);
		pthread_join(c->thread, NULL);
	}
	if (c->listener_ready) {
		if (c->listener.bound_path)
			unlink(c->listener.address);
		pq_listener_destroy(&c->listener);
	}
	if (c->dir[0] != '\0')
		rmdir(c->dir);
	pq_request_clear(&c->request);
	pq_options_unref(c->options);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Creates the private directory and its socket, and starts the listener thread. */
static int start_endpoint(struct pq_connection *c, struct ratls_detail *detail)
{
	const char *base = getenv("TMPDIR");
	char path[sizeof(c->listener.address)];
	int rc;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (snprintf(c->dir, sizeof(c->dir), "%s/ratls-pq-XXXXXX", base) >= (int)sizeof(c->dir))
		return ratls_fail(detail, RATLS_ERR_IO, "TMPDIR '%s' is too long", base);
	/* mkdtemp creates the directory with mode 0700: only this user can reach the socket. */
	if (mkdtemp(c->dir) == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_IO,
				"cannot create a private socket directory in '%s': %m; set TMPDIR "
				"to a writable directory",
				base);
		c->dir[0] = '\0';
		return rc;
	}
	if (snprintf(path, sizeof(path), "%s/.s.PGSQL.%s", c->dir, c->port) >= (int)sizeof(path))
		return ratls_fail(detail, RATLS_ERR_IO, "TMPDIR '%s' is too long", base);
	rc = pq_listener_init_unix(&c->listener, path, detail);
	c->listener_ready = true;
	if (rc != RATLS_OK)
		return rc;
	c->listener.config = &c->session;
	c->listener.max_sessions = PQ_CONNECTION_MAX_SESSIONS;
	c->listener.drain_timeout = PQ_CLOSE_DRAIN_SECONDS;
	if (pq_thread_start(&c->thread, listener_main, c) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "cannot start the connection's thread");
	c->thread_started = true;
	return RATLS_OK;
}

/*
 * Prepares a connection. A bad connection string or option does not stop
 * here: it becomes the failure that the socket reports to libpq, so that
 * the caller gets it from the connect call like every other failure.
 */
static struct pq_connection *connection_create(const char *conninfo,
					       struct ratls_pq_options *options)
{
	struct pq_connection *c = calloc(1, sizeof(*c));
	struct ratls_detail detail = {0};
	int rc;

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	if (options != NULL) {
		pq_options_ref(options);
		c->options = options;
	} else if ((c->options = ratls_pq_options_new()) == NULL) {
		connection_destroy(c);
		return NULL;
	}

	rc = pq_request_parse(conninfo, c->options, &c->request, &detail);
	c->session.options = c->options;
	c->session.settings = &c->request.settings;
	c->session.target = c->request.target;
	c->session.check_peer_uid = true;
	c->session.on_outcome = on_outcome;
	c->session.outcome_arg = c;
	if (rc != RATLS_OK) {
		c->session.preset_code = rc;
		c->session.preset_detail = detail;
	}
	snprintf(c->port, sizeof(c->port), "%s",
		 c->request.target.port[0] != '\0' ? c->request.target.port : "5432");

	ratls_detail_clear(&detail);
	if ((rc = start_endpoint(c, &detail)) != RATLS_OK)
		record_outcome(c, 0, rc, &detail, NULL);
	return c;
}

/* The libpq parameters of the local leg: the caller's, with the socket and plain text. */
static int local_params(const struct pq_connection *c, const char ***keywords,
			const char ***values)
{
	static const char *const fixed[] = {"host", "port", "hostaddr", "sslmode", "gssencmode"};
	const size_t fixed_count = sizeof(fixed) / sizeof(fixed[0]);
	size_t n = c->request.param_count;
	const char **k = calloc(n + fixed_count + 1, sizeof(char *));
	const char **v = calloc(n + fixed_count + 1, sizeof(char *));

	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return RATLS_ERR_NO_MEMORY;
	}
	for (size_t i = 0; i < n; i++) {
		k[i] = c->request.keywords[i];
		v[i] = c->request.values[i];
	}
	for (size_t i = 0; i < fixed_count; i++)
		k[n + i] = fixed[i];
	v[n] = c->dir;
	v[n + 1] = c->port;
	/* Explicitly empty, so that PGHOSTADDR, PGSSLMODE and PGGSSENCMODE cannot redirect libpq. */
	v[n + 2] = "";
	v[n + 3] = "disable";
	v[n + 4] = "disable";
	*keywords = k;
	*values = v;
	return RATLS_OK;
}

static int event_proc(PGEventId id, void *info, void *pass_through)
{
	(void)pass_through;
	if (id == PGEVT_CONNDESTROY) {
		const PGEventConnDestroy *event = info;

		connection_destroy(PQinstanceData(event->conn, event_proc));
	}
	return 1;
}

/* Ties c to conn, so that PQfinish(conn) destroys c. Returns false when out of memory. */
static bool attach(PGconn *conn, struct pq_connection *c)
{
	if (PQregisterEventProc(conn, event_proc, event_name, NULL) != 1)
		return false;
	return PQsetInstanceData(conn, event_proc, c) == 1;
}

static PGconn *connect_with(const char *conninfo, struct ratls_pq_options *options, bool blocking)
{
	struct pq_connection *c = connection_create(conninfo, options);
	const char **keywords = NULL, **values = NULL;
	PGconn *conn;

	if (c == NULL)
		return NULL;
	if (local_params(c, &keywords, &values) != RATLS_OK) {
		connection_destroy(c);
		return NULL;
	}
	conn = blocking ? PQconnectdbParams(keywords, values, 0)
			: PQconnectStartParams(keywords, values, 0);
	free(keywords);
	free(values);
	if (conn == NULL) {
		connection_destroy(c);
		return NULL;
	}
	if (!attach(conn, c)) {
		/* PQfinish calls event_proc with no instance data, which destroys nothing. */
		PQfinish(conn);
		connection_destroy(c);
		return NULL;
	}
	if (blocking && PQstatus(conn) == CONNECTION_BAD)
		record_libpq_failure(c, conn);
	return conn;
}

PGconn *ratls_pq_connectdb(const char *conninfo, struct ratls_pq_options *options)
{
	return connect_with(conninfo, options, true);
}

PGconn *ratls_pq_connect_start(const char *conninfo, struct ratls_pq_options *options)
{
	return connect_with(conninfo, options, false);
}

int ratls_pq_error(const PGconn *conn, struct ratls_detail *detail)
{
	struct pq_connection *c = conn != NULL ? PQinstanceData(conn, event_proc) : NULL;
	int code;

	if (c == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the connection was not made by ratls_pq_connectdb or "
				  "ratls_pq_connect_start");
	/* A non-blocking connection that libpq ended on its own, before any session reported. */
	if (PQstatus(conn) == CONNECTION_BAD) {
		bool reported;

		pthread_mutex_lock(&c->lock);
		reported = c->have_outcome;
		pthread_mutex_unlock(&c->lock);
		if (!reported)
			record_libpq_failure(c, conn);
	}
	pthread_mutex_lock(&c->lock);
	if (!c->have_outcome) {
		pthread_mutex_unlock(&c->lock);
		return ratls_fail(detail, RATLS_ERR_INTERNAL,
				  "the connection's verification has not finished; call "
				  "ratls_pq_error after PQconnectPoll returns PGRES_POLLING_OK or "
				  "PGRES_POLLING_FAILED");
	}
	code = c->code;
	if (detail != NULL && code != RATLS_OK && detail->code == RATLS_OK)
		*detail = c->detail;
	pthread_mutex_unlock(&c->lock);
	return code;
}

const struct ratls_pq_attestation *ratls_pq_attestation(const PGconn *conn)
{
	struct pq_connection *c = conn != NULL ? PQinstanceData(conn, event_proc) : NULL;
	bool verified;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&c->lock);
	verified = c->verified;
	pthread_mutex_unlock(&c->lock);
	return verified ? &c->attestation : NULL;
}

/* ---- verify-before-connect ---- */

int ratls_pq_verify_server(const char *conninfo, struct ratls_pq_options *options,
			   struct ratls_pq_attestation *out, struct ratls_detail *detail)
{
	struct ratls_pq_options *own = NULL;
	struct pq_request request;
	struct pq_upstream up = {.fd = -1};
	int64_t timeout;
	int rc;

	memset(out, 0, sizeof(*out));
	if (options == NULL && (options = own = ratls_pq_options_new()) == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	if ((rc = pq_request_parse(conninfo, options, &request, detail)) != RATLS_OK)
		goto out;
	timeout = pq_settings_int(&request.settings, PQ_KW_CONNECT_TIMEOUT);
	atomic_fetch_add(&options->counters.sessions, 1);
	rc = pq_upstream_open(options, &request.settings, &request.target,
			      pq_now_ms() + timeout * 1000, -1, &up, detail);
	if (rc == RATLS_OK)
		rc = pq_verify_leaf(options, &request.settings, up.leaf, up.leaf_size, NULL, out,
				    detail);
	if (rc != RATLS_OK) {
		atomic_fetch_add(&options->counters.failures, 1);
		goto out;
	}
	snprintf(out->host, sizeof(out->host), "%s",
		 request.target.host[0] != '\0' ? request.target.host : request.target.hostaddr);
	snprintf(out->port, sizeof(out->port), "%s", request.target.port);
	snprintf(out->tls_version, sizeof(out->tls_version), "%s", up.tls_version);
	snprintf(out->tls_cipher, sizeof(out->tls_cipher), "%s", up.tls_cipher);
out:
	/* A close_notify only after success; a failed server receives nothing after its handshake. */
	pq_upstream_close(&up, rc == RATLS_OK);
	pq_request_clear(&request);
	pq_options_unref(own);
	return rc;
}
