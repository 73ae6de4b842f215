/*
 * The PostgreSQL port. It accepts a client, reads what comes before TLS and
 * runs the TLS handshake with the RA-TLS certificate; in mutual mode the
 * handshake also verifies the client's RA-TLS certificate. Only then does it
 * connect to PostgreSQL and bridge the bytes.
 *
 * What may come before TLS (PostgreSQL protocol, "Message Formats"):
 *   0x16 ...                    a TLS ClientHello (direct TLS: RA-TLS clients,
 *                               the dstack gateway, sslnegotiation=direct)
 *   len=8, code 80877103        SSLRequest: answered 'S', then TLS
 *   len=8, code 80877104        GSSENCRequest: answered 'N' (not supported);
 *                               libpq then sends an SSLRequest
 *   len=16, code 80877102       CancelRequest: forwarded to PostgreSQL unless
 *                               mutual RA-TLS is on (libpq sends it in plaintext)
 *   code 196608 (protocol 3.0)  a plaintext StartupMessage: answered with a
 *                               FATAL ErrorResponse that asks for TLS
 *
 * Invariant: no client byte is written toward PostgreSQL before the TLS
 * handshake, and with it the client check, has completed on this
 * connection; the upstream connection is opened only then. The one
 * exception is the plaintext CancelRequest above, which mutual mode
 * rejects.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>


#include "base/encoding.h"
#include "base/fail.h"
#include "log.h"
#include "net/bridge.h"
#include "ratls/collateral.h"
#include "sidecar.h"
#include "util.h"

#define PG_SSL_REQUEST_CODE 80877103u
#define PG_GSSENC_REQUEST_CODE 80877104u
#define PG_CANCEL_REQUEST_CODE 80877102u
#define PG_PROTOCOL_3_0 196608u
#define PG_CANCEL_REQUEST_SIZE 16

/* First byte of a TLS record of type handshake (RFC 8446 section 5.1). */
#define TLS_HANDSHAKE_RECORD 0x16

/* A GSSENCRequest may precede the SSLRequest once; more rounds are not PostgreSQL. */
#define MAX_PREAMBLE_ROUNDS 2

/* TCP keepalive probes: every 10 seconds, 6 unanswered ones end the connection. */
#define KEEPALIVE_INTERVAL 10
#define KEEPALIVE_COUNT 6

/* Pending connections the kernel queues for accept; the kernel caps it at net.core.somaxconn. */
#define LISTEN_BACKLOG 1024

/* Maximum size of the client identity summary in the logs. */
#define IDENTITY_TEXT_SIZE 256

enum conn_state {
	CONN_PREAMBLE,
	CONN_TLS_HANDSHAKE,
	CONN_UPSTREAM_CONNECTING,
	CONN_BRIDGED,
	CONN_CANCEL_FORWARDING
};

struct sidecar_conn {
	struct sidecar *sc;
	uint64_t id;
	enum conn_state state;
	evutil_socket_t fd; /* until the TLS connection owns it */
	char peer[96];
	struct timespec started;

	uint8_t preamble[PG_CANCEL_REQUEST_SIZE];
	size_t preamble_size;
	int preamble_rounds;
	struct event *read_event;
	struct event *timer;

	struct ratls_net_tls_conn *client;
	struct ratls_net_connect *connecting;
	evutil_socket_t upstream_fd;
	struct ratls_net_tls_peer tls_peer;
	char tls_text[RATLS_NET_TEXT_SIZE];
	char client_identity[IDENTITY_TEXT_SIZE];
	const char *client_failed_step;
	struct ratls_net_bridge *bridge;

	struct sidecar_conn *prev, *next;
};

/* ---- connection list and teardown ---- */

static void conn_link(struct sidecar *sc, struct sidecar_conn *conn)
{
	conn->next = sc->conns;
	if (sc->conns != NULL)
		sc->conns->prev = conn;
	sc->conns = conn;
	sc->conn_count++;
	sc->metrics.connections_active++;
}

static void conn_unlink(struct sidecar *sc, struct sidecar_conn *conn)
{
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		sc->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	sc->conn_count--;
	sc->metrics.connections_active--;
}

static double elapsed_seconds(const struct sidecar_conn *conn)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - conn->started.tv_sec) +
	       (double)(now.tv_nsec - conn->started.tv_nsec) / 1e9;
}

/* Frees a connection that is not bridged, and whatever it holds. */
static void conn_free(struct sidecar_conn *conn)
{
	struct sidecar *sc = conn->sc;

	if (conn->read_event != NULL)
		event_free(conn->read_event);
	if (conn->timer != NULL)
		event_free(conn->timer);
	ratls_net_tls_conn_free(conn->client);
	ratls_net_connect_cancel(conn->connecting);
	if (conn->upstream_fd >= 0)
		evutil_closesocket(conn->upstream_fd);
	if (conn->fd >= 0)
		evutil_closesocket(conn->fd);
	conn_unlink(sc, conn);
	free(conn);
	sidecar_connection_closed(sc);
}

/* Logs a failed connection with its reason, counts it and frees it. */
static void conn_fail(struct sidecar_conn *conn, enum sidecar_failure reason, const char *message)
{
	char quoted[SIDECAR_LOG_VALUE_SIZE];
	enum sidecar_log_level level = SIDECAR_LOG_WARNING;

	/* A port scanner or a client that gave up is routine; a bad client certificate is not. */
	if (reason == SIDECAR_FAILURE_PREAMBLE || reason == SIDECAR_FAILURE_TLS_HANDSHAKE)
		level = SIDECAR_LOG_INFO;
	conn->sc->metrics.failures[reason]++;
	sidecar_log(level, "connection_failed", "conn=%llu peer=%s reason=%s seconds=%.3f detail=%s",
		    (unsigned long long)conn->id, conn->peer, sidecar_failure_name(reason),
		    elapsed_seconds(conn), sidecar_log_quote(message, quoted));
	conn_free(conn);
}

/* ---- upstream ---- */

static void bridge_ended(void *arg, enum ratls_net_bridge_end end,
			 const struct ratls_net_bridge_stats *stats)
{
	struct sidecar_conn *conn = arg;
	struct sidecar *sc = conn->sc;
	enum sidecar_failure failure = SIDECAR_FAILURE_COUNT;
	char quoted[SIDECAR_LOG_VALUE_SIZE];

	conn->bridge = NULL;
	conn->client = NULL;
	conn->upstream_fd = -1;
	if (end == RATLS_NET_BRIDGE_IDLE_TIMEOUT)
		failure = SIDECAR_FAILURE_IDLE_TIMEOUT;
	else if (end == RATLS_NET_BRIDGE_CLIENT_ERROR || end == RATLS_NET_BRIDGE_SERVER_ERROR)
		failure = SIDECAR_FAILURE_SESSION_ERROR;
	else if (end == RATLS_NET_BRIDGE_CLOSED_BY_OWNER && sc->draining)
		failure = SIDECAR_FAILURE_DRAIN_DEADLINE;
	if (failure != SIDECAR_FAILURE_COUNT)
		sc->metrics.failures[failure]++;
	sidecar_log(failure == SIDECAR_FAILURE_COUNT ? SIDECAR_LOG_INFO : SIDECAR_LOG_WARNING,
		    "session_end",
		    "conn=%llu peer=%s end=%s bytes_from_client=%llu bytes_to_client=%llu "
		    "seconds=%.3f%s%s",
		    (unsigned long long)conn->id, conn->peer, ratls_net_bridge_end_name(end),
		    (unsigned long long)stats->client_to_server,
		    (unsigned long long)stats->server_to_client, elapsed_seconds(conn),
		    stats->error[0] != '\0' ? " detail=" : "",
		    stats->error[0] != '\0' ? sidecar_log_quote(stats->error, quoted) : "");
	conn_free(conn);
}

static void start_bridge(struct sidecar_conn *conn)
{
	struct sidecar *sc = conn->sc;
	const struct ratls_net_bridge_options options = {
		.max_buffer = SIDECAR_SESSION_BUFFER,
		.idle_timeout_seconds = (int)sc->config->idle_timeout,
		.client_to_server_total = &sc->metrics.bytes_client_to_server,
		.server_to_client_total = &sc->metrics.bytes_server_to_client,
		.on_end = bridge_ended,
		.arg = conn,
	};

	evtimer_del(conn->timer);
	conn->bridge = ratls_net_bridge_start(conn->client, conn->upstream_fd, &options);
	if (conn->bridge == NULL) {
		conn_fail(conn, SIDECAR_FAILURE_SESSION_ERROR, "out of memory starting the session");
		return;
	}
	conn->client = NULL; /* owned by the bridge, with upstream_fd */
	conn->upstream_fd = -1;
	conn->state = CONN_BRIDGED;
	sc->metrics.sessions_total++;
	sidecar_log(SIDECAR_LOG_INFO, "session_start", "conn=%llu peer=%s tls=\"%s\"%s%s",
		    (unsigned long long)conn->id, conn->peer, conn->tls_text,
		    conn->client_identity[0] != '\0' ? " " : "", conn->client_identity);
}

/* Turns on TCP_NODELAY; PostgreSQL's messages are small and interactive. */
static void set_nodelay(evutil_socket_t fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void forward_cancel_request(struct sidecar_conn *conn);

static void upstream_connected(void *arg, evutil_socket_t fd, int error)
{
	struct sidecar_conn *conn = arg;
	char message[SIDECAR_LOG_VALUE_SIZE];

	conn->connecting = NULL;
	if (fd < 0) {
		snprintf(message, sizeof(message), "cannot connect to PostgreSQL at %s: %s",
			 conn->sc->upstream_text, strerror(error));
		conn_fail(conn, SIDECAR_FAILURE_UPSTREAM_CONNECT, message);
		return;
	}
	conn->upstream_fd = fd;
	if (conn->sc->upstream_address.ss_family != AF_UNIX)
		set_nodelay(fd);
	if (conn->state == CONN_CANCEL_FORWARDING)
		forward_cancel_request(conn);
	else
		start_bridge(conn);
}

/* Starts connecting to PostgreSQL. */
static bool connect_upstream(struct sidecar_conn *conn)
{
	struct sidecar *sc = conn->sc;
	char message[SIDECAR_LOG_VALUE_SIZE];
	int error = 0;

	conn->connecting = ratls_net_connect_start(sc->base,
						   (struct sockaddr *)&sc->upstream_address,
						   sc->upstream_address_size, upstream_connected,
						   conn, &error);
	if (conn->connecting == NULL) {
		snprintf(message, sizeof(message), "cannot connect to PostgreSQL at %s: %s",
			 sc->upstream_text, strerror(error));
		conn_fail(conn, SIDECAR_FAILURE_UPSTREAM_CONNECT, message);
		return false;
	}
	return true;
}

/* ---- TLS ---- */

static void handshake_done(void *arg, bool ok)
{
	struct sidecar_conn *conn = arg;
	char message[SIDECAR_LOG_VALUE_SIZE];

	if (ok) {
		ratls_net_tls_describe(conn->client, conn->tls_text);
		conn->sc->metrics.handshakes_total++;
		conn->state = CONN_UPSTREAM_CONNECTING;
		connect_upstream(conn);
		return;
	}
	if (conn->tls_peer.cert_checked && conn->tls_peer.check_rc != RATLS_OK) {
		snprintf(message, sizeof(message), "client certificate rejected at step %s: %s: %s",
			 conn->client_failed_step != NULL ? conn->client_failed_step : "unknown",
			 ratls_error_name(conn->tls_peer.check_rc),
			 conn->tls_peer.check_detail.message);
		conn_fail(conn, SIDECAR_FAILURE_CLIENT_ATTESTATION, message);
		return;
	}
	snprintf(message, sizeof(message), "TLS handshake failed: %s",
		 ratls_net_tls_error(conn->client));
	conn_fail(conn, SIDECAR_FAILURE_TLS_HANDSHAKE, message);
}

static void start_tls(struct sidecar_conn *conn)
{
	struct sidecar *sc = conn->sc;
	struct ratls_detail detail = {0};

	event_free(conn->read_event);
	conn->read_event = NULL;
	conn->tls_peer.conn_arg = conn;
	conn->client = ratls_net_tls_accept(sc->base, conn->fd, sc->tls, &conn->tls_peer,
					    handshake_done, conn, &detail);
	if (conn->client == NULL) {
		conn_fail(conn, SIDECAR_FAILURE_TLS_HANDSHAKE, detail.message);
		return;
	}
	conn->fd = -1; /* owned by the TLS connection */
	conn->state = CONN_TLS_HANDSHAKE;
}

/* ---- before TLS ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Sends one byte ('S' or 'N') on the still-plain socket. */
static bool send_byte(struct sidecar_conn *conn, char byte)
{
	ssize_t n;

	do {
		n = send(conn->fd, &byte, 1, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1;
}

/* Replies to a plaintext StartupMessage with a FATAL ErrorResponse that asks for TLS. */
static void refuse_plaintext(struct sidecar_conn *conn)
{
	static const char fields[] =
		"SFATAL\0VFATAL\0C28000\0"
		"Mthis port accepts only TLS connections (ratls-sidecar); connect with "
		"sslmode=require, or with an RA-TLS client that verifies the server's quote\0";
	uint8_t message[1 + 4 + sizeof(fields)];
	uint32_t length = 4 + sizeof(fields); /* the array's final NUL ends the field list */

	message[0] = 'E';
	message[1] = (uint8_t)(length >> 24);
	message[2] = (uint8_t)(length >> 16);
	message[3] = (uint8_t)(length >> 8);
	message[4] = (uint8_t)length;
	memcpy(message + 5, fields, sizeof(fields));
	(void)send(conn->fd, message, sizeof(message), MSG_NOSIGNAL);
	conn_fail(conn, SIDECAR_FAILURE_PLAINTEXT,
		  "plaintext StartupMessage refused; the client must use TLS");
}

/*
 * Writes the CancelRequest to the connected upstream and closes. Sixteen
 * bytes always fit a fresh socket's send buffer.
 */
static void forward_cancel_request(struct sidecar_conn *conn)
{
	ssize_t n = send(conn->upstream_fd, conn->preamble, PG_CANCEL_REQUEST_SIZE, MSG_NOSIGNAL);

	if (n != PG_CANCEL_REQUEST_SIZE) {
		conn_fail(conn, SIDECAR_FAILURE_UPSTREAM_CONNECT,
			  "cannot send the CancelRequest to PostgreSQL");
		return;
	}
	conn->sc->metrics.cancel_requests_total++;
	sidecar_log(SIDECAR_LOG_INFO, "cancel_forwarded", "conn=%llu peer=%s",
		    (unsigned long long)conn->id, conn->peer);
	conn_free(conn);
}

/*
 * Forwards a plaintext CancelRequest. It carries only a backend PID and a
 * random key, no data, and PostgreSQL closes the connection after reading
 * it.
 */
static void forward_cancel(struct sidecar_conn *conn)
{
	if (conn->sc->config->require_client_attestation) {
		conn_fail(conn, SIDECAR_FAILURE_PREAMBLE,
			  "plaintext CancelRequest refused because mutual RA-TLS is required");
		return;
	}
	event_free(conn->read_event);
	conn->read_event = NULL;
	conn->state = CONN_CANCEL_FORWARDING;
	connect_upstream(conn);
}

/* Acts on a complete 8-byte (or 16-byte cancel) request. */
static void handle_request(struct sidecar_conn *conn)
{
	uint32_t length = be32(conn->preamble), code = be32(conn->preamble + 4);
	char message[160];

	if (length == 8 && code == PG_SSL_REQUEST_CODE) {
		if (!send_byte(conn, 'S')) {
			conn_fail(conn, SIDECAR_FAILURE_PREAMBLE, "cannot answer the SSLRequest");
			return;
		}
		start_tls(conn);
		return;
	}
	if (length == 8 && code == PG_GSSENC_REQUEST_CODE &&
	    ++conn->preamble_rounds < MAX_PREAMBLE_ROUNDS) {
		if (!send_byte(conn, 'N')) {
			conn_fail(conn, SIDECAR_FAILURE_PREAMBLE, "cannot answer the GSSENCRequest");
			return;
		}
		conn->preamble_size = 0;
		return;
	}
	if (length == PG_CANCEL_REQUEST_SIZE && code == PG_CANCEL_REQUEST_CODE) {
		forward_cancel(conn);
		return;
	}
	if (code == PG_PROTOCOL_3_0) {
		refuse_plaintext(conn);
		return;
	}
	snprintf(message, sizeof(message),
		 "first bytes are neither TLS nor a PostgreSQL request (length %u, code %u)",
		 length, code);
	conn_fail(conn, SIDECAR_FAILURE_PREAMBLE, message);
}

/* Bytes of the request being read: 8, or 16 once the code is CancelRequest. */
static size_t preamble_needed(const struct sidecar_conn *conn)
{
	if (conn->preamble_size >= 8 && be32(conn->preamble) == PG_CANCEL_REQUEST_SIZE &&
	    be32(conn->preamble + 4) == PG_CANCEL_REQUEST_CODE)
		return PG_CANCEL_REQUEST_SIZE;
	return 8;
}

static void preamble_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sidecar_conn *conn = arg;
	size_t needed;
	ssize_t n;

	(void)what;
	if (conn->preamble_size == 0) {
		uint8_t first;

		n = recv(fd, &first, 1, MSG_PEEK);
		if (n == 1 && first == TLS_HANDSHAKE_RECORD) {
			start_tls(conn);
			return;
		}
	}
	needed = preamble_needed(conn);
	/* Never reads past the request, so the TLS bytes that follow stay in the socket. */
	n = recv(fd, conn->preamble + conn->preamble_size, needed - conn->preamble_size, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_fail(conn, SIDECAR_FAILURE_PREAMBLE,
			  n == 0 ? "client closed the connection before TLS" : strerror(errno));
		return;
	}
	conn->preamble_size += (size_t)n;
	if (conn->preamble_size < 8)
		return;
	if (conn->preamble_size < preamble_needed(conn))
		return;
	handle_request(conn);
}

static void handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sidecar_conn *conn = arg;
	static const char *const states[] = {"before TLS", "in the TLS handshake",
					     "while connecting to PostgreSQL", "", "forwarding a cancel"};
	char message[128];

	(void)fd;
	(void)what;
	snprintf(message, sizeof(message), "no session after %lld seconds: stopped %s",
		 (long long)conn->sc->config->handshake_timeout, states[conn->state]);
	conn_fail(conn, SIDECAR_FAILURE_HANDSHAKE_TIMEOUT, message);
}

/* ---- accept ---- */

static void set_keepalive(evutil_socket_t fd, int64_t idle)
{
	int one = 1, idle_seconds = (int)idle, interval = KEEPALIVE_INTERVAL,
	    count = KEEPALIVE_COUNT;

	if (idle <= 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_seconds, sizeof(idle_seconds));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

static void format_address(const struct sockaddr *address, socklen_t size, char *out,
			   size_t out_size)
{
	char host[64], port[8]; /* a numeric IPv6 address with scope fits 64 */

	if (address->sa_family == AF_UNIX) {
		snprintf(out, out_size, "unix");
		return;
	}
	if (getnameinfo(address, size, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, out_size, "unknown");
		return;
	}
	if (address->sa_family == AF_INET6)
		snprintf(out, out_size, "[%s]:%s", host, port);
	else
		snprintf(out, out_size, "%s:%s", host, port);
}

static void accepted(struct evconnlistener *listener, evutil_socket_t fd,
		     struct sockaddr *address, int address_size, void *arg)
{
	struct sidecar *sc = arg;
	struct sidecar_conn *conn;
	struct timeval timeout = {sc->config->handshake_timeout, 0};
	char peer[96];

	(void)listener;
	sc->metrics.connections_total++;
	format_address(address, (socklen_t)address_size, peer, sizeof(peer));
	if (sc->conn_count >= (uint64_t)sc->config->max_connections) {
		sc->metrics.failures[SIDECAR_FAILURE_CONNECTION_LIMIT]++;
		sidecar_log(SIDECAR_LOG_WARNING, "connection_failed",
			    "peer=%s reason=connection_limit detail=\"%llu connections are open, "
			    "the max-connections limit\"",
			    peer, (unsigned long long)sc->conn_count);
		evutil_closesocket(fd);
		return;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		evutil_closesocket(fd);
		return;
	}
	conn->sc = sc;
	conn->id = ++sc->next_conn_id;
	conn->fd = fd;
	conn->upstream_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &conn->started);
	snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
	conn_link(sc, conn);

	set_nodelay(fd);
	set_keepalive(fd, sc->config->keepalive);
	conn->read_event = event_new(sc->base, fd, EV_READ | EV_PERSIST, preamble_readable, conn);
	conn->timer = evtimer_new(sc->base, handshake_timeout, conn);
	if (conn->read_event == NULL || conn->timer == NULL ||
	    event_add(conn->read_event, NULL) != 0 || evtimer_add(conn->timer, &timeout) != 0) {
		conn_fail(conn, SIDECAR_FAILURE_PREAMBLE, "out of memory");
		return;
	}
	sidecar_log(SIDECAR_LOG_DEBUG, "connection_open", "conn=%llu peer=%s",
		    (unsigned long long)conn->id, conn->peer);
}

static void accept_error(struct evconnlistener *listener, void *arg)
{
	int error = EVUTIL_SOCKET_ERROR();

	(void)listener;
	(void)arg;
	/* EMFILE and ENFILE: libevent retries on the next readiness. */
	sidecar_log(SIDECAR_LOG_ERROR, "accept_failed", "detail=\"%s\"",
		    evutil_socket_error_to_string(error));
}

/* Resolves HOST:PORT for binding or connecting. */
static int resolve(const char *what, const char *text, bool passive,
		   struct sockaddr_storage *address, socklen_t *size, struct ratls_detail *detail)
{
	char host[SIDECAR_HOST_SIZE], port_text[8];
	struct addrinfo hints = {0}, *result = NULL;
	uint16_t port;
	int rc;

	if ((rc = sidecar_parse_host_port(what, text, host, &port, detail)) != RATLS_OK)
		return rc;
	snprintf(port_text, sizeof(port_text), "%u", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, port_text, &hints, &result);
	if (rc != 0 || result == NULL)
		return ratls_fail(detail, RATLS_ERR_NETWORK, "%s '%s': cannot resolve '%s': %s",
				  what, text, host, gai_strerror(rc));
	memcpy(address, result->ai_addr, result->ai_addrlen);
	*size = result->ai_addrlen;
	freeaddrinfo(result);
	return RATLS_OK;
}

int sidecar_resolve_upstream(struct sidecar *sc, struct ratls_detail *detail)
{
	const char *upstream = sc->config->upstream;

	memset(&sc->upstream_address, 0, sizeof(sc->upstream_address));
	snprintf(sc->upstream_text, sizeof(sc->upstream_text), "%s", upstream);
	if (upstream[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&sc->upstream_address;

		if (strlen(upstream) >= sizeof(un->sun_path))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "upstream socket path '%s' is longer than %zu bytes",
					  upstream, sizeof(un->sun_path) - 1);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, upstream, strlen(upstream) + 1);
		sc->upstream_address_size = sizeof(*un);
		return RATLS_OK;
	}
	return resolve("upstream", upstream, false, &sc->upstream_address,
		       &sc->upstream_address_size, detail);
}

int sidecar_pg_port_start(struct sidecar *sc, struct ratls_detail *detail)
{
	struct sockaddr_storage address, bound;
	socklen_t size = 0, bound_size = sizeof(bound);
	int rc;

	rc = resolve("listen", sc->config->listen, true, &address, &size, detail);
	if (rc != RATLS_OK)
		return rc;
	sc->listener = evconnlistener_new_bind(sc->base, accepted, sc,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						       LEV_OPT_CLOSE_ON_EXEC,
					       LISTEN_BACKLOG, (struct sockaddr *)&address,
					       (int)size);
	if (sc->listener == NULL)
		return ratls_fail(detail, RATLS_ERR_NETWORK, "cannot listen on %s: %s",
				  sc->config->listen,
				  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	evconnlistener_set_error_cb(sc->listener, accept_error);
	if (getsockname(evconnlistener_get_fd(sc->listener), (struct sockaddr *)&bound,
			&bound_size) == 0)
		format_address((struct sockaddr *)&bound, bound_size, sc->listen_text,
			       sizeof(sc->listen_text));
	return RATLS_OK;
}

void sidecar_pg_port_stop_accepting(struct sidecar *sc)
{
	if (sc->listener != NULL) {
		evconnlistener_free(sc->listener);
		sc->listener = NULL;
	}
}

void sidecar_pg_port_close_all(struct sidecar *sc, enum sidecar_failure reason)
{
	while (sc->conns != NULL) {
		struct sidecar_conn *conn = sc->conns;

		if (conn->bridge != NULL)
			ratls_net_bridge_close(conn->bridge); /* frees conn through bridge_ended */
		else
			conn_fail(conn, reason, "closed by shutdown");
	}
}

/* ---- mutual RA-TLS ---- */

/* Summarises the verified client for the session log: MRTD prefix and app id. */
static void describe_client(struct sidecar_conn *conn,
			    const struct ratls_verify_cert_result *result)
{
	char mrtd[97], app_id[41] = "none";

	ratls_hex_encode(result->report.td.mr_td, 48, mrtd);
	if (result->replay.identity_valid && result->replay.identity.app_id != NULL &&
	    result->replay.identity.app_id_size == 20)
		ratls_hex_encode(result->replay.identity.app_id, 20, app_id);
	snprintf(conn->client_identity, sizeof(conn->client_identity),
		 "client_mrtd=%.16s... client_app_id=%s client_tcb=%s", mrtd, app_id,
		 ratls_tcb_status_name(result->report.status));
}

/* The client check that the TLS layer calls during the handshake. */
static int check_client_cert(void *arg, void *conn_arg, const uint8_t *cert, size_t size,
			     struct ratls_detail *detail)
{
	struct sidecar *sc = arg;
	struct sidecar_conn *conn = conn_arg;
	struct ratls_verify_cert_options options = {
		.now = sidecar_now(),
		.verifier = &sc->client_verifier,
		.policy = sc->client_policy,
	};
	struct ratls_verify_cert_result result;
	int rc = ratls_verify_cert(cert, size, &options, &result, detail);

	conn->client_failed_step = result.failed_step;
	if (rc == RATLS_OK)
		describe_client(conn, &result);
	ratls_verify_cert_result_clear(&result);
	return rc;
}

int sidecar_tls_server_for(struct sidecar *sc, const struct sidecar_cert *cert,
			   struct ratls_net_tls_server **out, struct ratls_detail *detail)
{
	struct ratls_net_tls_server_options options = {.alpn = "postgresql"};

	if (sc->config->require_client_attestation) {
		options.client_check = check_client_cert;
		options.client_check_arg = sc;
	}
	return ratls_net_tls_server_new(cert->der, cert->der_size, cert->key_pem,
					cert->key_pem_size, &options, out, detail);
}

void sidecar_free_client_verifier(struct sidecar *sc)
{
	ratls_dcap_context_free(sc->client_context);
	ratls_policy_free(sc->client_policy);
	free(sc->client_trust_root);
	sc->client_context = NULL;
	sc->client_policy = NULL;
	sc->client_trust_root = NULL;
	sc->client_trust_root_size = 0;
}

/* Reads the trust root file, PEM or DER, into DER. */
static int load_trust_root(const char *path, uint8_t **der, size_t *der_size,
			   struct ratls_detail *detail)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	uint8_t *data = NULL;
	size_t size = 0;
	const char *start, *stop;
	int rc;

	/* One certificate: Intel's root is under 1 KiB, 64 KiB is ample. */
	rc = sidecar_read_file(path, 64 * 1024, "client trust root", &data, &size, detail);
	if (rc != RATLS_OK)
		return rc;
	start = strstr((const char *)data, begin);
	if (start == NULL) {
		*der = data;
		*der_size = size;
		return RATLS_OK;
	}
	start += sizeof(begin) - 1;
	stop = strstr(start, end);
	if (stop == NULL)
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"client trust root '%s' has no END CERTIFICATE line", path);
	else if (ratls_base64_decode_alloc(start, (size_t)(stop - start), der, der_size) !=
		 RATLS_OK)
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"client trust root '%s' is not valid base64 PEM", path);
	free(data);
	return rc;
}

int sidecar_load_client_verifier(struct sidecar *sc, struct ratls_detail *detail)
{
	const struct sidecar_config *config = sc->config;
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_dcap_options options = {0};
	struct ratls_dcap_context *context = NULL;
	struct ratls_policy *policy = NULL;
	uint8_t *bundle = NULL, *root = NULL;
	size_t bundle_size = 0, root_size = 0;
	int rc;

	if (collateral == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	rc = sidecar_read_file(config->client_collateral, RATLS_COLLATERAL_BUNDLE_MAX_SIZE,
			       "client collateral bundle", &bundle, &bundle_size, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_collateral_load_bundle(collateral, bundle, bundle_size, detail);
	if (rc != RATLS_OK)
		goto out;
	if (config->client_trust_root != NULL) {
		rc = load_trust_root(config->client_trust_root, &root, &root_size, detail);
		if (rc != RATLS_OK)
			goto out;
		options.trust_root_der = root;
		options.trust_root_der_size = root_size;
	}
	if ((rc = ratls_dcap_context_new(collateral, &options, &context, detail)) != RATLS_OK)
		goto out;
	if ((rc = sidecar_config_client_policy(config, &policy, detail)) != RATLS_OK)
		goto out;

	sidecar_free_client_verifier(sc);
	sc->client_context = context;
	sc->client_policy = policy;
	sc->client_trust_root = root;
	sc->client_trust_root_size = root_size;
	ratls_verifier_init_dcap(&sc->client_verifier, context);
	context = NULL;
	policy = NULL;
	root = NULL;
	rc = RATLS_OK;
out:
	ratls_dcap_context_free(context);
	ratls_policy_free(policy);
	free(root);
	free(bundle);
	ratls_collateral_free(collateral);
	return rc;
}
