/*
 * The few PostgreSQL protocol messages the forwarder handles itself on the
 * local side (PostgreSQL documentation, "Message Formats"): the first
 * packet's header, 'N' to SSLRequest and GSSENCRequest, and an
 * ErrorResponse that carries a ratls failure to the client.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "base/fail.h"
#include "base/reader.h"
#include "pq_internal.h"

/* Maximum SSLRequest and GSSENCRequest packets replied to; libpq sends each at most once. */
#define PQ_MAX_NEGOTIATIONS 4

static int read_be32(struct ratls_reader *r, uint32_t *out)
{
	const uint8_t *p;
	int rc = ratls_reader_bytes(r, 4, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return RATLS_OK;
}

/* Reads a startup-phase packet header: int32 length (itself included) and int32 code. */
static int parse_header(const uint8_t header[8], uint32_t *length, uint32_t *code)
{
	struct ratls_reader r;
	int rc;

	ratls_reader_init(&r, header, 8);
	if ((rc = read_be32(&r, length)) != RATLS_OK)
		return rc;
	return read_be32(&r, code);
}

int pq_wire_read_first(int fd, int64_t deadline_ms, int abort_fd, uint8_t header[8],
		       enum pq_first_packet *kind, struct ratls_detail *detail)
{
	for (int i = 0; i <= PQ_MAX_NEGOTIATIONS; i++) {
		uint32_t length, code;

		if (pq_recv_all(fd, header, 8, deadline_ms, abort_fd) != 0)
			return ratls_fail(detail, RATLS_ERR_NETWORK,
					  "the local client closed or sent no startup packet in "
					  "time");
		if (parse_header(header, &length, &code) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_TRUNCATED, "short startup packet header");
		if ((code == PQ_SSL_REQUEST_CODE || code == PQ_GSSENC_REQUEST_CODE) && length == 8) {
			/* This leg is local and plain; the client then sends its StartupMessage. */
			if (pq_send_all(fd, "N", 1, deadline_ms, abort_fd) != 0)
				return ratls_fail(detail, RATLS_ERR_NETWORK,
						  "cannot answer the local client's TLS request");
			continue;
		}
		if (code == PQ_CANCEL_REQUEST_CODE && length == 16) {
			*kind = PQ_FIRST_CANCEL;
			return RATLS_OK;
		}
		if (code >> 16 == 3 && length > 8 && length <= PQ_STARTUP_MAX_LEN) {
			*kind = PQ_FIRST_STARTUP;
			return RATLS_OK;
		}
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the local client's first packet (length %u, code %u) is not a "
				  "PostgreSQL protocol 3 StartupMessage or CancelRequest",
				  length, code);
	}
	return ratls_fail(detail, RATLS_ERR_MALFORMED,
			  "the local client asked for TLS or GSSAPI more than %d times",
			  PQ_MAX_NEGOTIATIONS);
}

size_t pq_wire_error_response(uint8_t *out, size_t size, const char *sqlstate,
			      const char *message)
{
	/*
	 * 'E', length, S and V with "FATAL" (7 bytes each), C and M (type and
	 * NUL around their texts), the terminator.
	 */
	const size_t fixed = 1 + 4 + 2 * 7 + 2 + 2 + 1;
	size_t message_len = strlen(message), total, n = 0;
	uint32_t length;

	if (size < fixed + strlen(sqlstate))
		return 0;
	if (message_len > size - fixed - strlen(sqlstate))
		message_len = size - fixed - strlen(sqlstate);
	out[n++] = 'E';
	n += 4;
	out[n++] = 'S';
	memcpy(out + n, "FATAL", 6);
	n += 6;
	out[n++] = 'V';
	memcpy(out + n, "FATAL", 6);
	n += 6;
	out[n++] = 'C';
	memcpy(out + n, sqlstate, strlen(sqlstate) + 1);
	n += strlen(sqlstate) + 1;
	out[n++] = 'M';
	memcpy(out + n, message, message_len);
	n += message_len;
	out[n++] = '\0';
	out[n++] = '\0';
	total = n;
	/* The length counts itself but not the type byte. */
	length = (uint32_t)(total - 1);
	out[1] = (uint8_t)(length >> 24);
	out[2] = (uint8_t)(length >> 16);
	out[3] = (uint8_t)(length >> 8);
	out[4] = (uint8_t)length;
	return total;
}

void pq_wire_reject(int fd, const uint8_t header[8], int64_t deadline_ms, int abort_fd,
		    const char *sqlstate, const char *message)
{
	uint8_t rest[PQ_STARTUP_MAX_LEN];
	uint8_t response[RATLS_DETAIL_SIZE + 256];
	uint32_t length = 0, code = 0;
	size_t size;

	/*
	 * Reading the whole packet first matters on TCP: closing a socket with
	 * unread input sends a reset, which can destroy the response before the
	 * client reads it.
	 */
	if (parse_header(header, &length, &code) != RATLS_OK)
		return;
	if (length > 8 && length <= PQ_STARTUP_MAX_LEN &&
	    pq_recv_all(fd, rest, length - 8, deadline_ms, abort_fd) != 0)
		return;
	size = pq_wire_error_response(response, sizeof(response), sqlstate, message);
	if (size > 0 && pq_send_all(fd, response, size, deadline_ms, abort_fd) == 0)
		shutdown(fd, SHUT_WR);
}
