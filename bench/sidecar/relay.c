/*
 * A plain TCP relay for bench/sidecar/run.sh: it forwards bytes between a
 * client and a server without looking at them, with two blocking threads
 * per connection. It measures what one extra process hop costs on the
 * benchmark machine, the part of the sidecar's overhead that no
 * implementation of a separate front door avoids.
 *
 * Usage: relay LISTEN_PORT TARGET_PORT (both on 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Both sockets of a relayed connection; the second direction to finish closes them. */
struct connection {
	int client;
	int server;
	atomic_int directions_left;
};

struct direction {
	struct connection *connection;
	int from;
	int to;
};

/* Copies one direction until end of file, then half-closes the other socket. */
static void *copy_direction(void *arg)
{
	struct direction *d = arg;
	struct connection *c = d->connection;
	char buffer[16384];
	ssize_t n;

	while ((n = read(d->from, buffer, sizeof(buffer))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t written = write(d->to, buffer + done, (size_t)(n - done));

			if (written <= 0)
				goto out;
			done += written;
		}
	}
out:
	shutdown(d->to, SHUT_WR);
	free(d);
	if (atomic_fetch_sub(&c->directions_left, 1) == 1) {
		close(c->client);
		close(c->server);
		free(c);
	}
	return NULL;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return address;
}

/* Starts one copying thread; returns false when it could not. */
static bool start_direction(struct connection *c, int from, int to)
{
	struct direction *d = malloc(sizeof(*d));
	pthread_t thread;

	if (d == NULL)
		return false;
	d->connection = c;
	d->from = from;
	d->to = to;
	if (pthread_create(&thread, NULL, copy_direction, d) != 0) {
		free(d);
		return false;
	}
	pthread_detach(thread);
	return true;
}

int main(int argc, char **argv)
{
	struct sockaddr_in listen_address, target;
	int listener, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: relay LISTEN_PORT TARGET_PORT\n");
		return 2;
	}
	listen_address = loopback((int)strtol(argv[1], NULL, 10));
	target = loopback((int)strtol(argv[2], NULL, 10));
	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&listen_address, sizeof(listen_address)) != 0 ||
	    listen(listener, 1024) != 0) {
		perror("relay: listen");
		return 1;
	}
	for (;;) {
		int client = accept(listener, NULL, NULL);
		struct connection *c;
		int server;

		if (client < 0)
			continue;
		server = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(server, (struct sockaddr *)&target, sizeof(target)) != 0) {
			close(client);
			close(server);
			continue;
		}
		setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(client);
			close(server);
			continue;
		}
		c->client = client;
		c->server = server;
		atomic_init(&c->directions_left, 2);
		if (!start_direction(c, client, server)) {
			close(client);
			close(server);
			free(c);
			continue;
		}
		/* Without a second thread: end the first one; the last to count down closes both sockets. */
		if (!start_direction(c, server, client)) {
			shutdown(client, SHUT_RDWR);
			shutdown(server, SHUT_RDWR);
			if (atomic_fetch_sub(&c->directions_left, 1) == 1) {
				close(client);
				close(server);
				free(c);
			}
		}
	}
}
