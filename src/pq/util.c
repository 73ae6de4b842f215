/* Time, socket and thread helpers of the connector. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pq_internal.h"

int64_t pq_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void pq_wipe_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, size);
	free(p);
}

/* Milliseconds until deadline_ms for poll(): -1 for none, at least 0. */
static int poll_timeout(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms < 0)
		return -1;
	left = deadline_ms - pq_now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

int pq_wait_fd(int fd, short events, int64_t deadline_ms, int abort_fd)
{
	for (;;) {
		struct pollfd fds[2] = {{.fd = fd, .events = events}, {.fd = abort_fd, .events = POLLIN}};
		int timeout = poll_timeout(deadline_ms);
		int n = poll(fds, abort_fd >= 0 ? 2 : 1, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (abort_fd >= 0 && (fds[1].revents & POLLIN))
			return -1;
		if (fds[0].revents != 0)
			return 1;
		if (deadline_ms >= 0 && pq_now_ms() >= deadline_ms)
			return 0;
	}
}

int pq_send_all(int fd, const void *data, size_t size, int64_t deadline_ms, int abort_fd)
{
	const uint8_t *p = data;

	while (size > 0) {
		ssize_t n = send(fd, p, size, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			size -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    pq_wait_fd(fd, POLLOUT, deadline_ms, abort_fd) == 1)
			continue;
		return -1;
	}
	return 0;
}

int pq_recv_all(int fd, void *data, size_t size, int64_t deadline_ms, int abort_fd)
{
	uint8_t *p = data;

	while (size > 0) {
		ssize_t n = recv(fd, p, size, MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			size -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    pq_wait_fd(fd, POLLIN, deadline_ms, abort_fd) == 1)
			continue;
		return -1;
	}
	return 0;
}

int pq_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, saved;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return rc == 0 ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}

int pq_pipe(int fds[2])
{
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return RATLS_ERR_IO;
	return RATLS_OK;
}

void pq_hex_prefix(const uint8_t *data, size_t size, size_t shown, char *out, size_t out_size)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = size < shown ? size : shown;
	size_t used = 0;

	for (size_t i = 0; i < n && used + 3 < out_size; i++) {
		out[used++] = digits[data[i] >> 4];
		out[used++] = digits[data[i] & 15];
	}
	if (n < size && used + 4 < out_size) {
		memcpy(out + used, "...", 3);
		used += 3;
	}
	if (out_size > 0)
		out[used < out_size ? used : out_size - 1] = '\0';
}
