/*
 * The byte bridge between a client's TLS session and a plain server
 * socket, and non-blocking connects.
 *
 * Each side has a persistent read event, added once, and a write event
 * that is added only while bytes wait for that side. Bytes go straight from
 * one socket to the other; a queue holds only what a full socket refused.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/bridge.h"
#include "net/net_internal.h"

/* Bytes read per call: the plaintext of one full TLS record. */
#define CHUNK_SIZE (16 * 1024)

enum { CLIENT = 0, SERVER = 1 };

/* Bytes that wait for one side's socket to accept them. */
struct queue {
	uint8_t *data;
	size_t offset; /* first byte not yet written */
	size_t size;   /* end of the bytes */
	size_t capacity;
};

struct ratls_net_bridge {
	struct ratls_net_tls_conn *client;
	evutil_socket_t server_fd;
	struct event *read_event[2];
	struct event *write_event[2];
	bool write_pending[2];
	bool reading_paused[2];
	/* queue[side]: bytes waiting to be written to that side. */
	struct queue queue[2];
	/* OpenSSL asked to wait for the opposite readiness (TLS 1.3 key updates). */
	bool client_read_wants_write;
	bool client_write_wants_read;
	struct ratls_net_bridge_options options;
	/* Idle timer while both sides are open, flush deadline while closing. */
	struct event *timer;
	struct timeval last_activity;
	struct ratls_net_bridge_stats stats;
	enum ratls_net_bridge_end end;
	bool closing;
};

const char *ratls_net_bridge_end_name(enum ratls_net_bridge_end end)
{
	switch (end) {
	case RATLS_NET_BRIDGE_CLIENT_CLOSED:
		return "client_closed";
	case RATLS_NET_BRIDGE_SERVER_CLOSED:
		return "server_closed";
	case RATLS_NET_BRIDGE_CLIENT_ERROR:
		return "client_error";
	case RATLS_NET_BRIDGE_SERVER_ERROR:
		return "server_error";
	case RATLS_NET_BRIDGE_IDLE_TIMEOUT:
		return "idle_timeout";
	case RATLS_NET_BRIDGE_CLOSED_BY_OWNER:
		return "closed_by_owner";
	}
	return "unknown";
}

/* ---- queues ---- */

static size_t queued(const struct queue *q)
{
	return q->size - q->offset;
}

static bool queue_append(struct queue *q, const uint8_t *data, size_t size)
{
	if (q->offset > 0 && q->offset == q->size)
		q->offset = q->size = 0;
	if (q->size + size > q->capacity) {
		size_t capacity = q->capacity > 0 ? q->capacity : CHUNK_SIZE;
		uint8_t *grown;

		if (q->offset > 0) {
			memmove(q->data, q->data + q->offset, queued(q));
			q->size -= q->offset;
			q->offset = 0;
		}
		while (capacity < q->size + size)
			capacity *= 2;
		grown = realloc(q->data, capacity);
		if (grown == NULL)
			return false;
		q->data = grown;
		q->capacity = capacity;
	}
	memcpy(q->data + q->size, data, size);
	q->size += size;
	return true;
}

/* ---- ending ---- */

static void finish(struct ratls_net_bridge *bridge)
{
	struct ratls_net_bridge_stats stats = bridge->stats;
	ratls_net_bridge_end_fn on_end = bridge->options.on_end;
	void *arg = bridge->options.arg;
	enum ratls_net_bridge_end end = bridge->end;

	for (int side = CLIENT; side <= SERVER; side++) {
		event_free(bridge->read_event[side]);
		event_free(bridge->write_event[side]);
		free(bridge->queue[side].data);
	}
	event_free(bridge->timer);
	evutil_closesocket(bridge->server_fd);
	/* No close_notify toward a client that failed or went away. */
	if (end == RATLS_NET_BRIDGE_CLIENT_ERROR || end == RATLS_NET_BRIDGE_CLIENT_CLOSED)
		bridge->client->established = false;
	ratls_net_tls_conn_free(bridge->client);
	free(bridge);
	if (on_end != NULL)
		on_end(arg, end, &stats);
}

static void set_write_pending(struct ratls_net_bridge *bridge, int side, bool pending)
{
	if (pending == bridge->write_pending[side])
		return;
	bridge->write_pending[side] = pending;
	if (pending)
		event_add(bridge->write_event[side], NULL);
	else
		event_del(bridge->write_event[side]);
}

static void set_reading_paused(struct ratls_net_bridge *bridge, int side, bool paused)
{
	if (paused == bridge->reading_paused[side])
		return;
	bridge->reading_paused[side] = paused;
	if (paused) {
		event_del(bridge->read_event[side]);
		return;
	}
	event_add(bridge->read_event[side], NULL);
	/* Records already in OpenSSL's buffer raise no socket event. */
	if (side == CLIENT && SSL_has_pending(bridge->client->ssl))
		event_active(bridge->read_event[side], EV_READ, 0);
}

/*
 * Side `ended` reached end of file or failed: stops reading from both
 * sides and finishes once the other side has taken its queued bytes, or
 * after RATLS_NET_BRIDGE_FLUSH_TIMEOUT seconds. Returns false when the
 * bridge has finished (and is freed).
 */
static bool start_closing(struct ratls_net_bridge *bridge, int ended,
			  enum ratls_net_bridge_end end)
{
	struct timeval deadline = {RATLS_NET_BRIDGE_FLUSH_TIMEOUT, 0};

	bridge->end = end;
	bridge->closing = true;
	set_reading_paused(bridge, CLIENT, true);
	set_reading_paused(bridge, SERVER, true);
	set_write_pending(bridge, ended, false);
	if (queued(&bridge->queue[1 - ended]) == 0) {
		finish(bridge);
		return false;
	}
	evtimer_add(bridge->timer, &deadline);
	return true;
}

/* Records an error of side and starts closing. Returns false when the bridge finished. */
static bool fail_side(struct ratls_net_bridge *bridge, int side, const char *text)
{
	if (bridge->stats.error[0] == '\0')
		snprintf(bridge->stats.error, sizeof(bridge->stats.error), "%s", text);
	if (bridge->closing) {
		finish(bridge);
		return false;
	}
	return start_closing(bridge, side,
			     side == CLIENT ? RATLS_NET_BRIDGE_CLIENT_ERROR
					    : RATLS_NET_BRIDGE_SERVER_ERROR);
}

static bool fail_client_tls(struct ratls_net_bridge *bridge, int ssl_error)
{
	if (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		snprintf(bridge->client->error, sizeof(bridge->client->error), "%s",
			 errno != 0 ? strerror(errno) : "unexpected end of the TLS stream");
	else
		ratls_net_record_error(bridge->client, "TLS error");
	return fail_side(bridge, CLIENT, bridge->client->error);
}

/* After a queue toward side drained: resumes the other side, or finishes a closing bridge. */
static bool queue_drained(struct ratls_net_bridge *bridge, int side)
{
	set_write_pending(bridge, side, false);
	if (bridge->closing) {
		finish(bridge);
		return false;
	}
	set_reading_paused(bridge, 1 - side, false);
	return true;
}

/* ---- toward the server ---- */

/* Writes queued bytes to the server. Returns false when the bridge finished. */
static bool flush_server(struct ratls_net_bridge *bridge)
{
	struct queue *q = &bridge->queue[SERVER];

	while (queued(q) > 0) {
		ssize_t n = send(bridge->server_fd, q->data + q->offset, queued(q), MSG_NOSIGNAL);

		if (n > 0) {
			q->offset += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_write_pending(bridge, SERVER, true);
			return true;
		}
		return fail_side(bridge, SERVER, n < 0 ? strerror(errno) : "short write");
	}
	return queue_drained(bridge, SERVER);
}

/* Sends bytes from the client to the server, directly when nothing is queued. */
static bool to_server(struct ratls_net_bridge *bridge, const uint8_t *data, size_t size)
{
	struct queue *q = &bridge->queue[SERVER];
	size_t sent = 0;

	bridge->stats.client_to_server += size;
	if (bridge->options.client_to_server_total != NULL)
		*bridge->options.client_to_server_total += size;
	while (queued(q) == 0 && sent < size) {
		ssize_t n = send(bridge->server_fd, data + sent, size - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else
			return fail_side(bridge, SERVER, n < 0 ? strerror(errno) : "short write");
	}
	if (sent == size)
		return true;
	if (!queue_append(q, data + sent, size - sent))
		return fail_side(bridge, CLIENT, "out of memory");
	set_write_pending(bridge, SERVER, true);
	if (queued(q) >= bridge->options.max_buffer)
		set_reading_paused(bridge, CLIENT, true);
	return true;
}

/* ---- toward the client ---- */

/*
 * SSL_write of the bytes queued toward the client. Returns false when the
 * bridge finished.
 */
static bool flush_client(struct ratls_net_bridge *bridge)
{
	struct queue *q = &bridge->queue[CLIENT];
	SSL *ssl = bridge->client->ssl;

	while (queued(q) > 0) {
		size_t written = 0;
		int error;

		ERR_clear_error();
		errno = 0;
		if (SSL_write_ex(ssl, q->data + q->offset, queued(q), &written) == 1) {
			q->offset += written;
			continue;
		}
		error = SSL_get_error(ssl, 0);
		if (error == SSL_ERROR_WANT_WRITE) {
			set_write_pending(bridge, CLIENT, true);
			return true;
		}
		if (error == SSL_ERROR_WANT_READ) {
			bridge->client_write_wants_read = true;
			return true;
		}
		return fail_client_tls(bridge, error);
	}
	return queue_drained(bridge, CLIENT);
}

/* Sends bytes from the server to the client: queued, then written at once when possible. */
static bool to_client(struct ratls_net_bridge *bridge, const uint8_t *data, size_t size)
{
	struct queue *q = &bridge->queue[CLIENT];
	bool was_empty = queued(q) == 0;

	bridge->stats.server_to_client += size;
	if (bridge->options.server_to_client_total != NULL)
		*bridge->options.server_to_client_total += size;
	if (!queue_append(q, data, size))
		return fail_side(bridge, SERVER, "out of memory");
	if (queued(q) >= bridge->options.max_buffer)
		set_reading_paused(bridge, SERVER, true);
	if (!was_empty)
		return true;
	return flush_client(bridge);
}

/* ---- events ---- */

static void touch(struct ratls_net_bridge *bridge)
{
	event_base_gettimeofday_cached(bridge->client->base, &bridge->last_activity);
}

static void client_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_bridge *bridge = arg;
	SSL *ssl = bridge->client->ssl;
	uint8_t chunk[CHUNK_SIZE];

	(void)fd;
	(void)what;
	if (bridge->client_write_wants_read) {
		bridge->client_write_wants_read = false;
		if (!flush_client(bridge))
			return;
	}
	touch(bridge);
	while (!bridge->reading_paused[CLIENT]) {
		size_t got = 0;
		int error;

		ERR_clear_error();
		errno = 0;
		if (SSL_read_ex(ssl, chunk, sizeof(chunk), &got) == 1) {
			if (!to_server(bridge, chunk, got))
				return;
			/* Read-ahead may hold more records; the socket is polled again otherwise. */
			if (!SSL_has_pending(ssl))
				return;
			continue;
		}
		error = SSL_get_error(ssl, 0);
		if (error == SSL_ERROR_WANT_READ)
			return;
		if (error == SSL_ERROR_WANT_WRITE) {
			bridge->client_read_wants_write = true;
			set_write_pending(bridge, CLIENT, true);
			return;
		}
		if (error == SSL_ERROR_ZERO_RETURN ||
		    (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)) {
			start_closing(bridge, CLIENT, RATLS_NET_BRIDGE_CLIENT_CLOSED);
			return;
		}
		fail_client_tls(bridge, error);
		return;
	}
}

static void client_writable(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_bridge *bridge = arg;

	if (bridge->client_read_wants_write) {
		bridge->client_read_wants_write = false;
		if (queued(&bridge->queue[CLIENT]) == 0)
			set_write_pending(bridge, CLIENT, false);
		client_readable(fd, what, arg);
		return;
	}
	flush_client(bridge);
}

static void server_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_bridge *bridge = arg;
	uint8_t chunk[CHUNK_SIZE];
	ssize_t n;

	(void)what;
	touch(bridge);
	n = recv(fd, chunk, sizeof(chunk), 0);
	if (n > 0) {
		to_client(bridge, chunk, (size_t)n);
		return;
	}
	if (n == 0) {
		start_closing(bridge, SERVER, RATLS_NET_BRIDGE_SERVER_CLOSED);
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return;
	fail_side(bridge, SERVER, strerror(errno));
}

static void server_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_server(arg);
}

/* Idle check while open; flush deadline while closing. */
static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_bridge *bridge = arg;
	struct timeval now, idle, limit = {bridge->options.idle_timeout_seconds, 0};

	(void)fd;
	(void)what;
	if (bridge->closing) {
		finish(bridge);
		return;
	}
	event_base_gettimeofday_cached(bridge->client->base, &now);
	evutil_timersub(&now, &bridge->last_activity, &idle);
	if (!evutil_timercmp(&idle, &limit, <)) {
		bridge->end = RATLS_NET_BRIDGE_IDLE_TIMEOUT;
		finish(bridge);
		return;
	}
	evutil_timersub(&limit, &idle, &limit);
	evtimer_add(bridge->timer, &limit);
}

static bool create_events(struct ratls_net_bridge *bridge)
{
	struct event_base *base = bridge->client->base;
	evutil_socket_t client_fd = bridge->client->fd;

	bridge->read_event[CLIENT] =
		event_new(base, client_fd, EV_READ | EV_PERSIST, client_readable, bridge);
	bridge->write_event[CLIENT] =
		event_new(base, client_fd, EV_WRITE | EV_PERSIST, client_writable, bridge);
	bridge->read_event[SERVER] =
		event_new(base, bridge->server_fd, EV_READ | EV_PERSIST, server_readable, bridge);
	bridge->write_event[SERVER] =
		event_new(base, bridge->server_fd, EV_WRITE | EV_PERSIST, server_writable, bridge);
	bridge->timer = evtimer_new(base, timer_fired, bridge);
	return bridge->read_event[CLIENT] != NULL && bridge->write_event[CLIENT] != NULL &&
	       bridge->read_event[SERVER] != NULL && bridge->write_event[SERVER] != NULL &&
	       bridge->timer != NULL;
}

struct ratls_net_bridge *ratls_net_bridge_start(struct ratls_net_tls_conn *client,
						evutil_socket_t server_fd,
						const struct ratls_net_bridge_options *options)
{
	struct ratls_net_bridge *bridge = calloc(1, sizeof(*bridge));

	if (bridge == NULL)
		return NULL;
	bridge->client = client;
	bridge->server_fd = server_fd;
	bridge->options = *options;
	if (bridge->options.max_buffer == 0)
		bridge->options.max_buffer = CHUNK_SIZE;
	if (!create_events(bridge)) {
		for (int side = CLIENT; side <= SERVER; side++) {
			if (bridge->read_event[side] != NULL)
				event_free(bridge->read_event[side]);
			if (bridge->write_event[side] != NULL)
				event_free(bridge->write_event[side]);
		}
		if (bridge->timer != NULL)
			event_free(bridge->timer);
		free(bridge);
		return NULL;
	}
	touch(bridge);
	event_add(bridge->read_event[CLIENT], NULL);
	event_add(bridge->read_event[SERVER], NULL);
	if (options->idle_timeout_seconds > 0) {
		struct timeval idle = {options->idle_timeout_seconds, 0};

		evtimer_add(bridge->timer, &idle);
	}
	/*
	 * Records the client sent right after its handshake (typically the
	 * StartupMessage) may already sit decrypted in OpenSSL's buffer, where
	 * no socket event announces them.
	 */
	if (SSL_has_pending(client->ssl))
		event_active(bridge->read_event[CLIENT], EV_READ, 0);
	return bridge;
}

void ratls_net_bridge_close(struct ratls_net_bridge *bridge)
{
	bridge->end = RATLS_NET_BRIDGE_CLOSED_BY_OWNER;
	finish(bridge);
}

/* ---- connecting ---- */

struct ratls_net_connect {
	evutil_socket_t fd;
	int error; /* errno of a connect that failed at once */
	struct event *event;
	ratls_net_connect_fn done;
	void *arg;
};

static void connect_ready(evutil_socket_t fd, short what, void *arg)
{
	struct ratls_net_connect *attempt = arg;
	int error = attempt->error;
	socklen_t size = sizeof(error);
	ratls_net_connect_fn done = attempt->done;
	void *done_arg = attempt->arg;

	(void)what;
	if (error == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
		error = errno;
	event_free(attempt->event);
	free(attempt);
	if (error != 0) {
		evutil_closesocket(fd);
		done(done_arg, -1, error);
		return;
	}
	done(done_arg, fd, 0);
}

struct ratls_net_connect *ratls_net_connect_start(struct event_base *base,
						  const struct sockaddr *address,
						  socklen_t address_size,
						  ratls_net_connect_fn done, void *arg, int *error)
{
	struct ratls_net_connect *attempt = calloc(1, sizeof(*attempt));

	*error = ENOMEM;
	if (attempt == NULL)
		return NULL;
	attempt->fd = socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (attempt->fd < 0) {
		*error = errno;
		free(attempt);
		return NULL;
	}
	attempt->done = done;
	attempt->arg = arg;
	attempt->event = event_new(base, attempt->fd, EV_WRITE, connect_ready, attempt);
	if (attempt->event == NULL) {
		evutil_closesocket(attempt->fd);
		free(attempt);
		return NULL;
	}
	if (connect(attempt->fd, address, address_size) == 0) {
		event_active(attempt->event, EV_WRITE, 0);
	} else if (errno == EINPROGRESS) {
		event_add(attempt->event, NULL);
	} else {
		/* Reported from the loop like any other outcome. */
		attempt->error = errno;
		event_active(attempt->event, EV_WRITE, 0);
	}
	*error = 0;
	return attempt;
}

void ratls_net_connect_cancel(struct ratls_net_connect *attempt)
{
	if (attempt == NULL)
		return;
	event_free(attempt->event);
	evutil_closesocket(attempt->fd);
	free(attempt);
}
