/*
 * One local connection: the peer check, the upstream TLS session, the full
 * check of its certificate, and then either the bridge or the ErrorResponse.
 *
 * Invariant: nothing is written to the upstream TLS session until the check
 * passed. On failure the session is dropped without even a close_notify,
 * so the server receives no byte after its handshake, and the local client's
 * StartupMessage (and so any password, which libpq sends only when the
 * server asks for it) never leaves the process.
 */
#define _GNU_SOURCE /* struct ucred */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fail.h"
#include "base/log.h"
#include "pq_internal.h"

/* SQLSTATE connection_failure: what a client library shows for a connection that could not be made. */
#define PQ_SQLSTATE_CONNECTION_FAILURE "08006"

static bool peer_is_own_user(int fd, unsigned *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	*uid = (unsigned)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return false;
	*uid = (unsigned)cred.uid;
	return cred.uid == geteuid();
}

static void count(const struct pq_session_config *c, size_t offset)
{
	atomic_uint_fast64_t *own = (atomic_uint_fast64_t *)((char *)&c->options->counters + offset);

	atomic_fetch_add(own, 1);
	if (c->extra_counters != NULL)
		atomic_fetch_add((atomic_uint_fast64_t *)((char *)c->extra_counters + offset), 1);
}

static void report(const struct pq_session_config *c, uint64_t id, int code,
		   const struct ratls_detail *detail, const struct ratls_pq_attestation *att,
		   int64_t start_ms)
{
	if (c->on_outcome != NULL)
		c->on_outcome(c->outcome_arg, id, code, detail, att, pq_now_ms() - start_ms);
}

static void format_message(char *out, size_t size, int code, const struct ratls_detail *detail)
{
	snprintf(out, size, "ratls: %s: %s", ratls_error_name(code),
		 detail->message[0] != '\0' ? detail->message : ratls_strerror(code));
}

/* Replies to the local client's StartupMessage with the failure, so its connect call returns it. */
static void reject_local(int local_fd, int abort_fd, int code, const struct ratls_detail *detail)
{
	int64_t deadline = pq_now_ms() + PQ_LOCAL_TIMEOUT_SECONDS * 1000;
	struct ratls_detail ignored = {0};
	char message[RATLS_DETAIL_SIZE + 64];
	enum pq_first_packet kind;
	uint8_t header[8];

	if (pq_wire_read_first(local_fd, deadline, abort_fd, header, &kind, &ignored) != RATLS_OK ||
	    kind != PQ_FIRST_STARTUP)
		return;
	format_message(message, sizeof(message), code, detail);
	pq_wire_reject(local_fd, header, deadline, abort_fd, PQ_SQLSTATE_CONNECTION_FAILURE,
		       message);
}

/* Sends the failure to a client whose StartupMessage went upstream already. */
static void answer_error(int local_fd, int abort_fd, int code, const struct ratls_detail *detail)
{
	int64_t deadline = pq_now_ms() + PQ_LOCAL_TIMEOUT_SECONDS * 1000;
	char message[RATLS_DETAIL_SIZE + 64];
	uint8_t response[RATLS_DETAIL_SIZE + 256];
	size_t size;

	format_message(message, sizeof(message), code, detail);
	size = pq_wire_error_response(response, sizeof(response), PQ_SQLSTATE_CONNECTION_FAILURE,
				      message);
	if (size > 0 && pq_send_all(local_fd, response, size, deadline, abort_fd) == 0)
		shutdown(local_fd, SHUT_WR);
}

static void bridge(const struct pq_session_config *c, uint64_t id, int local_fd, int abort_fd,
		   struct pq_upstream *up, int64_t start_ms)
{
	struct pq_bridge_options options = {.idle_timeout = c->idle_timeout, .abort_fd = abort_fd};
	struct pq_bridge_result result;
	struct ratls_detail detail = {0};
	enum pq_first_packet kind;
	uint8_t header[8];
	int64_t deadline = pq_now_ms() + PQ_LOCAL_TIMEOUT_SECONDS * 1000;

	if (pq_wire_read_first(local_fd, deadline, abort_fd, header, &kind, &detail) != RATLS_OK) {
		ratls_log(RATLS_LOG_DEBUG, "session %llu: no PostgreSQL client: %s",
			  (unsigned long long)id, detail.message);
		return;
	}
	options.initial = header;
	options.initial_size = sizeof(header);
	pq_bridge_run(local_fd, up->ssl, up->fd, &options, &result);
	if (result.to_local == 0 && kind == PQ_FIRST_STARTUP &&
	    (strcmp(result.end, "error") == 0 || strcmp(result.end, "server closed") == 0)) {
		ratls_fail(&detail, RATLS_ERR_NETWORK,
			   "the server ended the TLS session before it answered (%s); a server "
			   "that requires client attestation does this when the client "
			   "certificate (ratls_client_cert) is missing or not accepted",
			   result.error[0] != '\0' ? result.error : "connection closed");
		report(c, id, RATLS_ERR_NETWORK, &detail, NULL, start_ms);
		answer_error(local_fd, abort_fd, RATLS_ERR_NETWORK, &detail);
	}
	ratls_log(RATLS_LOG_DEBUG,
		  "session %llu: %s ended (%s) after %llu bytes to the server and %llu to the "
		  "client",
		  (unsigned long long)id, kind == PQ_FIRST_CANCEL ? "cancel request" : "session",
		  result.end, (unsigned long long)result.to_upstream,
		  (unsigned long long)result.to_local);
}

void pq_session_serve(const struct pq_session_config *c, uint64_t id, int local_fd, int abort_fd)
{
	struct pq_upstream up = {.fd = -1};
	struct ratls_detail detail = {0};
	struct ratls_pq_attestation att;
	int64_t start = pq_now_ms();
	int64_t timeout = pq_settings_int(c->settings, PQ_KW_CONNECT_TIMEOUT);
	unsigned uid;
	int rc;

	if (c->check_peer_uid && !peer_is_own_user(local_fd, &uid)) {
		count(c, offsetof(struct pq_counters, rejected_peers));
		ratls_log(RATLS_LOG_WARNING,
			  "session %llu: closed a local connection from uid %u; only uid %u may "
			  "use this socket",
			  (unsigned long long)id, uid, (unsigned)geteuid());
		close(local_fd);
		return;
	}
	count(c, offsetof(struct pq_counters, sessions));

	if (c->preset_code != RATLS_OK) {
		rc = c->preset_code;
		detail = c->preset_detail;
		goto failed;
	}
	rc = pq_upstream_open(c->options, c->settings, &c->target, start + timeout * 1000, abort_fd,
			      &up, &detail);
	if (rc != RATLS_OK)
		goto failed;
	rc = pq_verify_leaf(c->options, c->settings, up.leaf, up.leaf_size, c->extra_counters, &att,
			    &detail);
	if (rc != RATLS_OK)
		goto failed;

	snprintf(att.host, sizeof(att.host), "%s",
		 c->target.host[0] != '\0' ? c->target.host : c->target.hostaddr);
	snprintf(att.port, sizeof(att.port), "%s", c->target.port);
	snprintf(att.tls_version, sizeof(att.tls_version), "%s", up.tls_version);
	snprintf(att.tls_cipher, sizeof(att.tls_cipher), "%s", up.tls_cipher);
	report(c, id, RATLS_OK, NULL, &att, start);
	bridge(c, id, local_fd, abort_fd, &up, start);
	pq_upstream_close(&up, false);
	close(local_fd);
	return;

failed:
	count(c, offsetof(struct pq_counters, failures));
	/* No close_notify: the server gets nothing after the handshake. */
	pq_upstream_close(&up, false);
	report(c, id, rc, &detail, NULL, start);
	reject_local(local_fd, abort_fd, rc, &detail);
	close(local_fd);
}
