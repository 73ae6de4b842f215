/* File reading, hex values and address parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "util.h"

int sidecar_read_file(const char *path, size_t max_size, const char *what, uint8_t **data,
		      size_t *size, struct ratls_detail *detail)
{
	struct stat st;
	uint8_t *buffer = NULL;
	size_t used = 0;
	int fd, rc = RATLS_ERR_INTERNAL;

	*data = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot open the %s '%s': %s", what, path,
				  strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "the %s '%s' is not a regular file", what,
				path);
		goto out;
	}
	if ((uint64_t)st.st_size > max_size) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the %s '%s' has %lld bytes, more than the maximum of %zu", what, path,
				(long long)st.st_size, max_size);
		goto out;
	}
	/* One byte more than the limit detects a file that grew after fstat. */
	buffer = malloc(max_size + 1);
	if (buffer == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading '%s'", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buffer + used, max_size + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ratls_fail(detail, RATLS_ERR_IO, "reading the %s '%s' failed: %s", what,
					path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max_size) {
			rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					"the %s '%s' is larger than the maximum of %zu bytes", what,
					path, max_size);
			goto out;
		}
	}
	buffer[used] = '\0';
	*data = buffer;
	*size = used;
	buffer = NULL;
	rc = RATLS_OK;
out:
	free(buffer);
	close(fd);
	return rc;
}

int sidecar_parse_hex(const char *what, const char *text, uint8_t *out, size_t size,
		      struct ratls_detail *detail)
{
	const char *digits = text;

	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		digits += 2;
	if (ratls_hex_decode_fixed(digits, strlen(digits), out, size) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s value '%.160s' is not %zu bytes of hex; write exactly %zu hex "
				  "digits",
				  what, text, size, 2 * size);
	return RATLS_OK;
}

int sidecar_parse_host_port(const char *what, const char *text, char host[SIDECAR_HOST_SIZE],
			    uint16_t *port, struct ratls_detail *detail)
{
	const char *colon = strrchr(text, ':');
	const char *host_start = text;
	size_t host_len;
	char *end = NULL;
	long value;

	if (colon == NULL || colon[1] == '\0')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s value '%.200s' is not HOST:PORT (for example 0.0.0.0:5433)",
				  what, text);
	host_len = (size_t)(colon - text);
	if (host_len >= 2 && text[0] == '[' && colon[-1] == ']') {
		host_start = text + 1;
		host_len -= 2;
	}
	if (host_len == 0 || host_len >= SIDECAR_HOST_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s value '%.200s' has an empty or too long host part", what, text);
	errno = 0;
	value = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || value < 0 || value > 65535 || colon[1] < '0' ||
	    colon[1] > '9')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "%s value '%.200s' has port '%s'; use a number from 0 to 65535",
				  what, text, colon + 1);
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	*port = (uint16_t)value;
	return RATLS_OK;
}

int64_t sidecar_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec;
}
