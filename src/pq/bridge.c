/*
 * The byte bridge between the local PostgreSQL client (a plain socket) and
 * the verified TLS session, with non-blocking sockets and poll(). Each
 * direction has one buffer. A side is read only while the buffer toward the
 * other side has room, so a slow reader slows the writer down instead of
 * filling memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "pq_internal.h"

struct buffer {
	uint8_t data[PQ_BRIDGE_BUFFER_SIZE];
	size_t start;
	size_t end;
};

static size_t buffered(const struct buffer *b)
{
	return b->end - b->start;
}

/* Free room at the end, after moving the unsent bytes to the front when that gains room. */
static size_t room(struct buffer *b)
{
	if (b->start > 0 && b->end == PQ_BRIDGE_BUFFER_SIZE) {
		memmove(b->data, b->data + b->start, buffered(b));
		b->end -= b->start;
		b->start = 0;
	}
	if (b->start == b->end)
		b->start = b->end = 0;
	return PQ_BRIDGE_BUFFER_SIZE - b->end;
}

static void set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

struct bridge {
	int local_fd;
	int upstream_fd;
	SSL *ssl;
	struct buffer *to_upstream;
	struct buffer *to_local;
	bool local_eof;
	bool upstream_eof;
	bool failed;
	/*
	 * Whether a read may find data: set when poll reports the socket
	 * readable, cleared when a read comes back short or empty. Reading only
	 * then saves a system call that would return EAGAIN on every wakeup.
	 */
	bool local_readable;
	bool upstream_readable;
	/* An SSL_write that waits for the socket: it is retried when poll reports it. */
	bool ssl_write_wants_read;
	bool ssl_wants_write;
	struct pq_bridge_result *result;
};

static bool read_local(struct bridge *b)
{
	size_t space = room(b->to_upstream);
	ssize_t n;

	if (b->local_eof || !b->local_readable || space == 0)
		return false;
	n = recv(b->local_fd, b->to_upstream->data + b->to_upstream->end, space, MSG_DONTWAIT);
	if (n > 0) {
		b->to_upstream->end += (size_t)n;
		/* A short read emptied the socket, so poll reports when more arrives. */
		b->local_readable = (size_t)n == space;
		return true;
	}
	b->local_readable = false;
	if (n == 0) {
		b->local_eof = true;
		return true;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		b->failed = true;
	return false;
}

/* Keeps the first TLS error's reason for the result. */
static void note_ssl_error(struct bridge *b, int error)
{
	unsigned long code = ERR_peek_error();

	if (b->result->error[0] != '\0')
		return;
	if (code != 0)
		ERR_error_string_n(code, b->result->error, sizeof(b->result->error));
	else
		snprintf(b->result->error, sizeof(b->result->error), "TLS error %d: %s", error,
			 strerror(errno));
}

static bool write_upstream(struct bridge *b)
{
	size_t size = buffered(b->to_upstream);
	int n, error;

	if (size == 0)
		return false;
	ERR_clear_error();
	n = SSL_write(b->ssl, b->to_upstream->data + b->to_upstream->start,
		      size > INT32_MAX ? INT32_MAX : (int)size);
	if (n > 0) {
		b->to_upstream->start += (size_t)n;
		b->result->to_upstream += (uint64_t)n;
		return true;
	}
	error = SSL_get_error(b->ssl, n);
	if (error == SSL_ERROR_WANT_WRITE) {
		b->ssl_wants_write = true;
	} else if (error == SSL_ERROR_WANT_READ) {
		b->ssl_write_wants_read = true;
	} else {
		note_ssl_error(b, error);
		b->failed = true;
	}
	return false;
}

static bool read_upstream(struct bridge *b)
{
	size_t space = room(b->to_local);
	int n, error;

	if (b->upstream_eof || space == 0 || (!b->upstream_readable && !SSL_has_pending(b->ssl)))
		return false;
	ERR_clear_error();
	n = SSL_read(b->ssl, b->to_local->data + b->to_local->end,
		     space > INT32_MAX ? INT32_MAX : (int)space);
	if (n > 0) {
		b->to_local->end += (size_t)n;
		b->result->to_local += (uint64_t)n;
		/* With read-ahead, records already received wait inside OpenSSL. */
		b->upstream_readable = SSL_has_pending(b->ssl) == 1;
		return true;
	}
	error = SSL_get_error(b->ssl, n);
	b->upstream_readable = false;
	if (error == SSL_ERROR_WANT_READ) {
		/* poll reports when the rest of the record arrives */
	} else if (error == SSL_ERROR_WANT_WRITE) {
		b->ssl_wants_write = true;
	} else if (error == SSL_ERROR_ZERO_RETURN ||
		   (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
		/* close_notify, or a TCP close without it, as PostgreSQL servers often do. */
		b->upstream_eof = true;
		return true;
	} else {
		note_ssl_error(b, error);
		b->failed = true;
	}
	return false;
}

static bool write_local(struct bridge *b)
{
	size_t size = buffered(b->to_local);
	ssize_t n;

	if (size == 0)
		return false;
	n = send(b->local_fd, b->to_local->data + b->to_local->start, size,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		b->to_local->start += (size_t)n;
		return true;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		b->failed = true;
	return false;
}

/* Moves bytes until no step makes progress. Returns true when anything moved. */
static bool pump(struct bridge *b)
{
	bool any = false, progress;

	do {
		b->ssl_write_wants_read = false;
		b->ssl_wants_write = false;
		progress = read_local(b);
		progress = write_upstream(b) || progress;
		progress = read_upstream(b) || progress;
		progress = write_local(b) || progress;
		any = any || progress;
	} while (progress && !b->failed);
	return any;
}

static int poll_timeout(int idle_timeout, int64_t last_activity_ms)
{
	int64_t left;

	if (idle_timeout <= 0)
		return -1;
	left = last_activity_ms + (int64_t)idle_timeout * 1000 - pq_now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

void pq_bridge_run(int local_fd, SSL *ssl, int upstream_fd, const struct pq_bridge_options *options,
		   struct pq_bridge_result *result)
{
	struct bridge b = {.local_fd = local_fd, .upstream_fd = upstream_fd, .ssl = ssl,
			   .result = result};
	int64_t last_activity = pq_now_ms();

	memset(result, 0, sizeof(*result));
	b.to_upstream = malloc(sizeof(*b.to_upstream));
	b.to_local = malloc(sizeof(*b.to_local));
	if (b.to_upstream == NULL || b.to_local == NULL ||
	    options->initial_size > PQ_BRIDGE_BUFFER_SIZE) {
		result->end = "error";
		goto out;
	}
	b.to_upstream->start = b.to_local->start = 0;
	b.to_local->end = 0;
	memcpy(b.to_upstream->data, options->initial, options->initial_size);
	b.to_upstream->end = options->initial_size;
	set_nonblocking(local_fd);
	set_nonblocking(upstream_fd);
	/* Nothing is known about the sockets yet, so the first pass tries to read both. */
	b.local_readable = true;
	b.upstream_readable = true;

	for (;;) {
		struct pollfd fds[3];
		int n;

		if (pump(&b))
			last_activity = pq_now_ms();
		if (b.failed) {
			result->end = "error";
			break;
		}
		if (b.local_eof && buffered(b.to_upstream) == 0) {
			/* Tell the server the client is gone; its reply is not awaited. */
			SSL_shutdown(ssl);
			result->end = "local closed";
			break;
		}
		if (b.upstream_eof && buffered(b.to_local) == 0) {
			shutdown(local_fd, SHUT_WR);
			result->end = "server closed";
			break;
		}

		fds[0].fd = local_fd;
		fds[0].events = (short)((!b.local_eof && room(b.to_upstream) > 0 ? POLLIN : 0) |
					(buffered(b.to_local) > 0 ? POLLOUT : 0));
		fds[1].fd = upstream_fd;
		fds[1].events =
			(short)(((!b.upstream_eof && room(b.to_local) > 0) || b.ssl_write_wants_read
					 ? POLLIN
					 : 0) |
				(b.ssl_wants_write ? POLLOUT : 0));
		/* A side with nothing to wait for is left out, so a hang-up there cannot spin the loop. */
		if (fds[0].events == 0)
			fds[0].fd = -1;
		if (fds[1].events == 0)
			fds[1].fd = -1;
		fds[2].fd = options->abort_fd;
		fds[2].events = POLLIN;
		fds[0].revents = fds[1].revents = fds[2].revents = 0;
		n = poll(fds, options->abort_fd >= 0 ? 3 : 2,
			 poll_timeout(options->idle_timeout, last_activity));
		if (n < 0 && errno != EINTR) {
			result->end = "error";
			break;
		}
		if (options->abort_fd >= 0 && (fds[2].revents & POLLIN)) {
			result->end = "aborted";
			break;
		}
		b.local_readable = (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
		b.upstream_readable = (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
		if (n == 0 && options->idle_timeout > 0 &&
		    pq_now_ms() - last_activity >= (int64_t)options->idle_timeout * 1000) {
			result->end = "idle timeout";
			break;
		}
	}
out:
	free(b.to_upstream);
	free(b.to_local);
	ERR_clear_error();
}
