/*
 * The accept loop that the connector (one per connection, on a private
 * Unix socket) and the proxy share: one thread per accepted connection, a
 * limit on open sessions, and a stop that lets sessions finish for a while
 * before it ends them.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/fail.h"
#include "base/log.h"
#include "pq_internal.h"

/* Pending connections the kernel queues for accept. */
#define PQ_LISTEN_BACKLOG 128
/* The accept loop wakes up this often (ms) to join session threads that ended. */
#define PQ_REAP_INTERVAL_MS 1000

struct pq_session_slot {
	struct pq_session_slot *next;
	struct pq_listener *listener;
	pthread_t thread;
	int fd;
	uint64_t id;
	bool finished;
};

static int listener_prepare(struct pq_listener *l, struct ratls_detail *detail)
{
	pthread_condattr_t attr;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->stop_pipe[0] = l->stop_pipe[1] = -1;
	l->abort_pipe[0] = l->abort_pipe[1] = -1;
	l->max_sessions = RATLS_PQ_PROXY_DEFAULT_MAX_CONNECTIONS;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (pq_pipe(l->stop_pipe) != RATLS_OK || pq_pipe(l->abort_pipe) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot create a pipe: %m");
	return RATLS_OK;
}

int pq_listener_init_unix(struct pq_listener *l, const char *path, struct ratls_detail *detail)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct stat st;
	int rc;

	if ((rc = listener_prepare(l, detail)) != RATLS_OK)
		return rc;
	l->unix_socket = true;
	if (strlen(path) >= sizeof(address.sun_path) || strlen(path) >= sizeof(l->address))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the socket path '%s' is longer than the %zu bytes a Unix socket "
				  "address holds; use a shorter directory",
				  path, sizeof(address.sun_path) - 1);
	memcpy(address.sun_path, path, strlen(path) + 1);
	memcpy(l->address, path, strlen(path) + 1);
	/* A socket left by a process that ended is replaced; any other file is kept. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return ratls_fail(detail, RATLS_ERR_IO,
					  "'%s' exists and is not a socket; remove it or choose "
					  "another directory",
					  path);
		unlink(path);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&address, sizeof(address)) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot create the socket '%s': %m", path);
	l->bound_path = true;
	if (chmod(path, 0600) != 0 || listen(l->fd, PQ_LISTEN_BACKLOG) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot listen on '%s': %m", path);
	return RATLS_OK;
}

/* Parses "127.0.0.1:PORT" or "[::1]:PORT"; only loopback addresses are accepted. */
static int parse_loopback(const char *text, struct sockaddr_storage *out, socklen_t *out_len,
			  struct ratls_detail *detail)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	char *end = NULL;
	long port;
	size_t host_len;

	if (colon == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "listen address '%s' is not HOST:PORT", text);
	host_len = (size_t)(colon - text);
	if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
		text++;
		host_len -= 2;
	}
	port = strtol(colon + 1, &end, 10);
	if (host_len == 0 || host_len >= sizeof(host) || colon[1] < '0' || colon[1] > '9' ||
	    *end != '\0' || port < 0 || port > 65535)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "listen address '%s' is not HOST:PORT with a port from 0 to 65535",
				  text);
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*out_len = sizeof(*in);
		if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return RATLS_OK;
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*out_len = sizeof(*in6);
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
			  "listen address '%s' is not a loopback address; the proxy serves only "
			  "this machine (127.0.0.1 or [::1]), or a socket directory",
			  host);
}

int pq_listener_init_tcp(struct pq_listener *l, const char *address, struct ratls_detail *detail)
{
	struct sockaddr_storage bound;
	socklen_t len = 0, bound_len = sizeof(bound);
	char host[INET6_ADDRSTRLEN];
	int one = 1, port, rc;

	if ((rc = listener_prepare(l, detail)) != RATLS_OK)
		return rc;
	if ((rc = parse_loopback(address, &bound, &len, detail)) != RATLS_OK)
		return rc;
	l->fd = socket(bound.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l->fd, (struct sockaddr *)&bound, len) != 0 ||
	    listen(l->fd, PQ_LISTEN_BACKLOG) != 0 ||
	    getsockname(l->fd, (struct sockaddr *)&bound, &bound_len) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot listen on %s: %m", address);
	if (bound.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&bound;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(l->address, sizeof(l->address), "%s:%d", host, port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&bound;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(l->address, sizeof(l->address), "[%s]:%d", host, port);
	}
	return RATLS_OK;
}

static void *session_main(void *arg)
{
	struct pq_session_slot *slot = arg;
	struct pq_listener *l = slot->listener;

	pq_session_serve(l->config, slot->id, slot->fd, l->abort_pipe[0]);
	pthread_mutex_lock(&l->lock);
	slot->finished = true;
	l->active--;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Joins the threads of sessions that ended (all of them, waiting, when all is set). */
static void reap(struct pq_listener *l, bool all)
{
	struct pq_session_slot *done = NULL, **link;

	pthread_mutex_lock(&l->lock);
	link = &l->sessions;
	while (*link != NULL) {
		struct pq_session_slot *slot = *link;

		if (slot->finished || all) {
			*link = slot->next;
			slot->next = done;
			done = slot;
		} else {
			link = &slot->next;
		}
	}
	pthread_mutex_unlock(&l->lock);
	while (done != NULL) {
		struct pq_session_slot *next = done->next;

		pthread_join(done->thread, NULL);
		free(done);
		done = next;
	}
}

static void start_session(struct pq_listener *l, int fd)
{
	struct pq_session_slot *slot;

	pthread_mutex_lock(&l->lock);
	if (l->active >= l->max_sessions) {
		l->refused++;
		pthread_mutex_unlock(&l->lock);
		ratls_log(RATLS_LOG_WARNING,
			  "closed a new connection on %s: %zu sessions are open, the maximum",
			  l->address, l->max_sessions);
		close(fd);
		return;
	}
	pthread_mutex_unlock(&l->lock);

	slot = calloc(1, sizeof(*slot));
	if (slot == NULL) {
		close(fd);
		return;
	}
	slot->listener = l;
	slot->fd = fd;
	slot->id = ++l->next_id;
	pthread_mutex_lock(&l->lock);
	l->active++;
	if (pq_thread_start(&slot->thread, session_main, slot) != RATLS_OK) {
		l->active--;
		pthread_mutex_unlock(&l->lock);
		ratls_log(RATLS_LOG_ERROR, "cannot start a thread for a connection on %s",
			  l->address);
		close(fd);
		free(slot);
		return;
	}
	slot->next = l->sessions;
	l->sessions = slot;
	pthread_mutex_unlock(&l->lock);
}

/* Waits up to the drain timeout for sessions to end, then makes the rest end. */
static void drain(struct pq_listener *l)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += l->drain_timeout;
	pthread_mutex_lock(&l->lock);
	while (l->active > 0) {
		if (pthread_cond_timedwait(&l->changed, &l->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (l->active > 0) {
		ratls_log(RATLS_LOG_INFO, "closing %zu sessions on %s after %d seconds of draining",
			  l->active, l->address, l->drain_timeout);
		if (write(l->abort_pipe[1], "x", 1) < 0)
			ratls_log(RATLS_LOG_ERROR, "cannot signal the sessions on %s to end",
				  l->address);
	}
	pthread_mutex_unlock(&l->lock);
	reap(l, true);
}

void pq_listener_run(struct pq_listener *l)
{
	for (;;) {
		struct pollfd fds[2] = {{.fd = l->fd, .events = POLLIN},
					{.fd = l->stop_pipe[0], .events = POLLIN}};
		int n = poll(fds, 2, PQ_REAP_INTERVAL_MS);

		reap(l, false);
		if (n < 0 && errno != EINTR) {
			ratls_log(RATLS_LOG_ERROR, "poll on %s failed: %s", l->address,
				  strerror(errno));
			break;
		}
		if (fds[1].revents & POLLIN)
			break;
		if (fds[0].revents & POLLIN) {
			int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				start_session(l, fd);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				ratls_log(RATLS_LOG_WARNING, "accept on %s failed: %s", l->address,
					  strerror(errno));
		}
	}
	/* Stop accepting at once: new clients get "connection refused" instead of waiting. */
	close(l->fd);
	l->fd = -1;
	drain(l);
}

void pq_listener_stop(struct pq_listener *l)
{
	ssize_t ignored = write(l->stop_pipe[1], "x", 1);

	(void)ignored;
}

void pq_listener_destroy(struct pq_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	for (int i = 0; i < 2; i++) {
		if (l->stop_pipe[i] >= 0)
			close(l->stop_pipe[i]);
		if (l->abort_pipe[i] >= 0)
			close(l->abort_pipe[i]);
	}
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->changed);
	l->fd = -1;
}
