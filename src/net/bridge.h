/*
 * Byte bridge between a client's TLS session and a plain connection to
 * the server (PostgreSQL). It decrypts what the client sends and writes it
 * to the server, and encrypts what the server sends back, writing
 * directly on the sockets and queueing only what a full socket does not
 * take. It stops reading from one side while the queue toward the other is
 * full, counts bytes, and ends the session on end of file, an error or an
 * idle timeout. When one side closes, the bytes it sent last (a
 * PostgreSQL Terminate message, an error response) are delivered before
 * the other side is closed.
 *
 * It works on the sockets directly instead of through libevent's
 * bufferevents, because a bufferevent adds and removes its write event
 * around every message. With bufferevents the sidecar made about 24 system
 * calls per PostgreSQL round trip (4 of them epoll_ctl), and now about 5
 * (strace -c during bench/sidecar/run.sh).
 *
 * Internal to ratls; runs on the event loop's thread.
 */
#ifndef RATLS_NET_BRIDGE_H
#define RATLS_NET_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "net/tls_server.h"

/*
 * Seconds the bridge waits for the remaining side to accept the last bytes
 * after the other side closed, so that a peer that stops reading cannot
 * keep a finished session open.
 */
#define RATLS_NET_BRIDGE_FLUSH_TIMEOUT 10

/* The reason a bridge ended. */
enum ratls_net_bridge_end {
	RATLS_NET_BRIDGE_CLIENT_CLOSED = 1,
	RATLS_NET_BRIDGE_SERVER_CLOSED = 2,
	RATLS_NET_BRIDGE_CLIENT_ERROR = 3,
	RATLS_NET_BRIDGE_SERVER_ERROR = 4,
	RATLS_NET_BRIDGE_IDLE_TIMEOUT = 5,
	RATLS_NET_BRIDGE_CLOSED_BY_OWNER = 6
};

/* Returns "client_closed", "server_closed", ... for logs; never NULL. */
const char *ratls_net_bridge_end_name(enum ratls_net_bridge_end end);

struct ratls_net_bridge_stats {
	uint64_t client_to_server;
	uint64_t server_to_client;
	/* For the error ends: the socket or TLS error, else "". */
	char error[RATLS_NET_TEXT_SIZE];
};

/*
 * Called once when the bridge ended, after both connections were closed
 * and before the bridge itself is freed. It must not use the bridge.
 */
typedef void (*ratls_net_bridge_end_fn)(void *arg, enum ratls_net_bridge_end end,
					const struct ratls_net_bridge_stats *stats);

struct ratls_net_bridge_options {
	/*
	 * Bytes queued toward one side before the bridge stops reading from the
	 * other; reading resumes when the queue is empty again.
	 */
	size_t max_buffer;
	/* Ends the session after this many seconds without a byte in either direction; 0: never. */
	int idle_timeout_seconds;
	/* Running byte counters added to as bytes move (for metrics); may be NULL. */
	uint64_t *client_to_server_total;
	uint64_t *server_to_client_total;
	ratls_net_bridge_end_fn on_end;
	void *arg;
};

struct ratls_net_bridge;

/*
 * Starts moving bytes between client (its handshake completed) and the
 * connected, non-blocking socket server_fd, and takes ownership of both:
 * they are closed when the bridge ends. Returns NULL when out of memory,
 * leaving both to the caller.
 */
struct ratls_net_bridge *ratls_net_bridge_start(struct ratls_net_tls_conn *client,
						evutil_socket_t server_fd,
						const struct ratls_net_bridge_options *options);

/* Ends the bridge now without flushing (RATLS_NET_BRIDGE_CLOSED_BY_OWNER); calls on_end. */
void ratls_net_bridge_close(struct ratls_net_bridge *bridge);

/* Called with the connected socket, or fd -1 and the errno value of the failure. */
typedef void (*ratls_net_connect_fn)(void *arg, evutil_socket_t fd, int error);

struct ratls_net_connect;

/*
 * Opens a non-blocking stream socket to address and connects it. done is
 * called once from the event loop (never from this call) unless the
 * attempt is cancelled first. Returns NULL when out of memory or when no
 * socket can be created, with the errno value in *error.
 */
struct ratls_net_connect *ratls_net_connect_start(struct event_base *base,
						  const struct sockaddr *address,
						  socklen_t address_size,
						  ratls_net_connect_fn done, void *arg, int *error);

/* Abandons a connection attempt whose done has not run, closing its socket. */
void ratls_net_connect_cancel(struct ratls_net_connect *attempt);

#endif
