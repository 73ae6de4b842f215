/*
 * Helpers shared by the files of src/evidence: SCALE primitives, the
 * msgpack entry point, owned copies, event validation and the common last
 * step of every decoder. Not part of the public API.
 */
#ifndef RATLS_EVIDENCE_INTERNAL_H
#define RATLS_EVIDENCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "base/reader.h"
#include "ratls/evidence.h"

/*
 * Maximum number of msgpack objects in one V1 envelope or AppInfo.
 * msgpack-c allocates 24 bytes per object before reading it, and a quote
 * sent as an array of integers is one object per byte. This allows a
 * maximum-size quote plus the events and caps msgpack-c's allocation near
 * 50 MiB.
 */
#define RATLS_MSGPACK_MAX_OBJECTS (2 * 1024 * 1024)

/*
 * Deepest nesting of msgpack arrays and maps accepted. A V1 envelope nests
 * five levels (envelope, platform, data, event log, event); msgpack-c itself
 * fails above 32 levels with an out-of-memory status, which would misreport
 * a hostile input.
 */
#define RATLS_MSGPACK_MAX_DEPTH 16

/*
 * Largest preimage of a version 2 runtime event. Its JCS JSON contains the
 * name, the payload in hex and the type, so the limit is twice the payload
 * limit plus room for the name and the keys.
 */
#define RATLS_EVENT_PREIMAGE_MAX (2 * RATLS_EVENT_PAYLOAD_MAX + 2 * RATLS_EVENT_NAME_MAX + 64)

/* OID content bytes of the dstack arc 1.3.6.1.4.1.62397.1, without the last arc. */
#define RATLS_DSTACK_OID_PREFIX_SIZE 9
extern const uint8_t ratls_dstack_oid_prefix[RATLS_DSTACK_OID_PREFIX_SIZE];

/* Growable output buffer; a failed append marks it failed and later appends do nothing. */
struct ratls_buffer {
	uint8_t *data;
	size_t size;
	size_t capacity;
	bool failed;
};

void ratls_buffer_append(struct ratls_buffer *b, const void *data, size_t size);
void ratls_buffer_append_u8(struct ratls_buffer *b, uint8_t v);
void ratls_buffer_append_u32le(struct ratls_buffer *b, uint32_t v);

/*
 * Reads a SCALE Compact<u32>. Rejects non-canonical (non-minimal) forms and
 * values above 2^32 - 1 with RATLS_ERR_MALFORMED; RATLS_ERR_TRUNCATED when
 * the input ends. The cursor is unchanged on failure.
 */
RATLS_MUST_CHECK int ratls_scale_read_compact(struct ratls_reader *r, uint32_t *out);

/* Reads a SCALE bool: 0x00 or 0x01, anything else is RATLS_ERR_MALFORMED. */
RATLS_MUST_CHECK int ratls_scale_read_bool(struct ratls_reader *r, bool *out);

/* Appends the canonical SCALE Compact<u32> encoding of v. */
void ratls_scale_append_compact(struct ratls_buffer *b, uint32_t v);

/* Returns a malloc'd copy of size bytes (a 1-byte buffer when size is 0), or NULL. */
uint8_t *ratls_evidence_copy_bytes(const void *data, size_t size);

/* Returns a malloc'd NUL-terminated copy of size bytes, or NULL. */
char *ratls_evidence_copy_string(const void *text, size_t size);

/* Returns a new zeroed evidence of the given format, or NULL. */
struct ratls_evidence *ratls_evidence_new(enum ratls_evidence_format format);

void ratls_evidence_clear_event(struct ratls_tdx_event *event);
void ratls_evidence_clear_runtime_event(struct ratls_runtime_event *event);

/*
 * Checks the rules every TDX event obeys whatever its encoding: imr 0-3,
 * a digest of 0 or 48 bytes, a name of at most RATLS_EVENT_NAME_MAX bytes
 * and a payload of at most RATLS_EVENT_PAYLOAD_MAX. where names the event
 * ("event_log[3]") in messages.
 */
RATLS_MUST_CHECK int ratls_evidence_check_event(const struct ratls_tdx_event *event,
						const char *where, struct ratls_detail *detail);

/* Same for a runtime event: name and payload limits, version 1 or 2. */
RATLS_MUST_CHECK int ratls_evidence_check_runtime_event(const struct ratls_runtime_event *event,
							const char *where,
							struct ratls_detail *detail);

/*
 * Last step of every decoder: parses ev->quote, requires a TD report,
 * requires ev->report_data to equal the quote's REPORTDATA (and the
 * dstack-pod payload binding), and checks the limits on counts.
 */
RATLS_MUST_CHECK int ratls_evidence_finish(struct ratls_evidence *ev, struct ratls_detail *detail);

/*
 * Parses a JSON event log into ev->events and copies its runtime events
 * into ev->runtime_events. On failure both lists are left empty.
 */
RATLS_MUST_CHECK int ratls_evidence_attach_event_log(struct ratls_evidence *ev,
						     const uint8_t *json, size_t size,
						     struct ratls_detail *detail);

/* Decoders of the two envelope versions, filling a new evidence (not finished). */
RATLS_MUST_CHECK int ratls_evidence_decode_v0(const uint8_t *data, size_t size,
					      struct ratls_evidence *ev,
					      struct ratls_detail *detail);
RATLS_MUST_CHECK int ratls_evidence_decode_v1(const uint8_t *data, size_t size,
					      struct ratls_evidence *ev,
					      struct ratls_detail *detail);

/*
 * Unpacks exactly one msgpack object from data with msgpack-c after a
 * bounds walk over the bytes (see msgpack.c). Trailing bytes are
 * RATLS_ERR_TRAILING_DATA. On success *unpacked holds the object; release
 * it with msgpack_unpacked_destroy in every case.
 */
RATLS_MUST_CHECK int ratls_msgpack_unpack_exact(const uint8_t *data, size_t size, const char *what,
						msgpack_unpacked *unpacked,
						struct ratls_detail *detail);

/*
 * Walks one msgpack value at data and checks that every declared length and
 * element count fits in the bytes that remain, without allocating. Sets
 * *consumed to its size in bytes. Returns RATLS_ERR_TRUNCATED,
 * RATLS_ERR_MALFORMED (the reserved byte 0xc1) or RATLS_ERR_LIMIT_EXCEEDED
 * (more than RATLS_MSGPACK_MAX_OBJECTS).
 */
RATLS_MUST_CHECK int ratls_msgpack_walk(const uint8_t *data, size_t size, size_t *consumed,
					struct ratls_detail *detail);

/*
 * Reads a msgpack byte string that may be a bin or an array of integers
 * 0-255 (rmp-serde writes plain Vec<u8> as an array). On success *out is a
 * malloc'd copy of *size bytes. max bounds the size (RATLS_ERR_LIMIT_EXCEEDED).
 */
RATLS_MUST_CHECK int ratls_msgpack_get_bytes(const msgpack_object *o, const char *where,
					     size_t max, uint8_t **out, size_t *size,
					     struct ratls_detail *detail);

/* One expected member of a msgpack map with string keys. */
struct ratls_msgpack_field {
	const char *name;
	bool required;
	const msgpack_object *value; /* set by ratls_msgpack_read_map; NULL when absent */
};

/*
 * Matches the members of map o (where names it in messages) to fields.
 * Keys must be strings; a duplicate, unknown or missing required key is
 * RATLS_ERR_MALFORMED.
 */
RATLS_MUST_CHECK int ratls_msgpack_read_map(const msgpack_object *o, const char *where,
					    struct ratls_msgpack_field *fields, size_t count,
					    struct ratls_detail *detail);

/* Reads a non-negative integer of at most max. */
RATLS_MUST_CHECK int ratls_msgpack_get_uint(const msgpack_object *o, const char *where,
					    uint64_t max, uint64_t *out,
					    struct ratls_detail *detail);

/*
 * Reads a str of at most max bytes that is UTF-8 without NUL bytes into a
 * new NUL-terminated copy.
 */
RATLS_MUST_CHECK int ratls_msgpack_get_string(const msgpack_object *o, const char *where,
					      size_t max, char **out, size_t *size,
					      struct ratls_detail *detail);

/* True when o is a str equal to text. */
bool ratls_msgpack_str_equals(const msgpack_object *o, const char *text);

/* Returns the msgpack type of o as a word for messages ("map", "bin"). */
const char *ratls_msgpack_type_name(const msgpack_object *o);

/* Formats up to the first 8 and last 8 bytes of data as "0123abcd…89ef" into out. */
void ratls_evidence_hex_short(const uint8_t *data, size_t size, char *out, size_t out_size);

#endif
