/*
 * Internals shared by the files of src/net: the accepted TLS connection
 * that the handshake code fills and the bridge then drives.
 */
#ifndef RATLS_NET_INTERNAL_H
#define RATLS_NET_INTERNAL_H

#include <stdbool.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "net/tls_server.h"

struct ratls_net_tls_conn {
	struct event_base *base;
	evutil_socket_t fd;
	SSL *ssl;
	/* One-shot events that drive the handshake; freed when it ends. */
	struct event *read_event;
	struct event *write_event;
	ratls_net_handshake_fn done;
	void *arg;
	bool established;
	/* The reasons of the last failure (OpenSSL's error queue or the socket error). */
	char error[RATLS_NET_TEXT_SIZE];
};

/*
 * Records the reasons on OpenSSL's error queue (oldest first) in
 * conn->error, or fallback when the queue is empty, and empties the queue.
 */
void ratls_net_record_error(struct ratls_net_tls_conn *conn, const char *fallback);

#endif
