/*
 * msgpack input for the V1 envelope and the AppInfo extension, decoded with
 * msgpack-c after a bounds walk of our own.
 *
 * msgpack-c allocates the storage of an array or map from its declared
 * element count before it reads the elements, so a 5-byte input declaring
 * 2^32 elements would request about 100 GiB. ratls_msgpack_walk runs first
 * and rejects any count that the remaining bytes cannot hold, which bounds
 * msgpack-c's allocation by the input size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

static int read_be(struct ratls_reader *r, size_t n, uint64_t *out)
{
	const uint8_t *p = NULL;
	int rc = ratls_reader_bytes(r, n, &p);

	if (rc != RATLS_OK)
		return rc;
	*out = 0;
	for (size_t i = 0; i < n; i++)
		*out = *out << 8 | p[i];
	return RATLS_OK;
}

/*
 * Classifies the value that starts with byte b. *length_size is the size of
 * its big-endian length field and *skip the fixed bytes after it (an ext
 * type byte, or a fixed-size value). *items is the element count of a
 * fixarray or fixmap, and *container is 1 for arrays, 2 for maps, 0 otherwise.
 */
static int classify(uint8_t b, size_t *length_size, size_t *skip, size_t *items, int *container)
{
	*length_size = 0;
	*skip = 0;
	*items = 0;
	*container = 0;

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return RATLS_OK; /* fixint, nil, bool */
	if (b >= 0x80 && b <= 0x8f) {
		*container = 2;
		*items = b & 0x0f;
		return RATLS_OK;
	}
	if (b >= 0x90 && b <= 0x9f) {
		*container = 1;
		*items = b & 0x0f;
		return RATLS_OK;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		*skip = b & 0x1f;
		return RATLS_OK;
	}
	switch (b) {
	case 0xc4: /* bin 8/16/32 */
	case 0xd9: /* str 8/16/32 */
		*length_size = 1;
		return RATLS_OK;
	case 0xc5:
	case 0xda:
		*length_size = 2;
		return RATLS_OK;
	case 0xc6:
	case 0xdb:
		*length_size = 4;
		return RATLS_OK;
	case 0xc7: /* ext 8/16/32: length, then the type byte */
		*length_size = 1;
		*skip = 1;
		return RATLS_OK;
	case 0xc8:
		*length_size = 2;
		*skip = 1;
		return RATLS_OK;
	case 0xc9:
		*length_size = 4;
		*skip = 1;
		return RATLS_OK;
	case 0xca: /* float 32 */
	case 0xce: /* uint 32 */
	case 0xd2: /* int 32 */
		*skip = 4;
		return RATLS_OK;
	case 0xcb:
	case 0xcf:
	case 0xd3:
		*skip = 8;
		return RATLS_OK;
	case 0xcc:
	case 0xd0:
		*skip = 1;
		return RATLS_OK;
	case 0xcd:
	case 0xd1:
		*skip = 2;
		return RATLS_OK;
	case 0xd4: /* fixext 1/2/4/8/16: type byte and data */
		*skip = 2;
		return RATLS_OK;
	case 0xd5:
		*skip = 3;
		return RATLS_OK;
	case 0xd6:
		*skip = 5;
		return RATLS_OK;
	case 0xd7:
		*skip = 9;
		return RATLS_OK;
	case 0xd8:
		*skip = 17;
		return RATLS_OK;
	case 0xdc: /* array 16/32 */
		*length_size = 2;
		*container = 1;
		return RATLS_OK;
	case 0xdd:
		*length_size = 4;
		*container = 1;
		return RATLS_OK;
	case 0xde: /* map 16/32 */
		*length_size = 2;
		*container = 2;
		return RATLS_OK;
	case 0xdf:
		*length_size = 4;
		*container = 2;
		return RATLS_OK;
	default:
		return RATLS_ERR_MALFORMED; /* 0xc1 is reserved ("never used") */
	}
}

int ratls_msgpack_walk(const uint8_t *data, size_t size, size_t *consumed,
		       struct ratls_detail *detail)
{
	struct ratls_reader r;
	size_t pending = 1; /* values still to read; each needs at least one byte */
	size_t objects = 0;
	/* Values still to read in each open container; level 0 is the top-level value. */
	size_t level_pending[RATLS_MSGPACK_MAX_DEPTH + 1];
	size_t depth = 0;

	level_pending[0] = 1;
	ratls_reader_init(&r, data, size);
	while (pending > 0) {
		size_t at = r.offset;
		size_t length_size;
		size_t skip;
		size_t items;
		int container;
		uint8_t b = 0;
		int rc;

		if ((rc = ratls_reader_u8(&r, &b)) != RATLS_OK)
			return ratls_fail(detail, rc, "msgpack input ends at offset %zu with %zu "
					  "values still to read", at, pending);
		pending--;
		while (level_pending[depth] == 0)
			depth--; /* the containers whose values are all read are closed */
		level_pending[depth]--;
		if (++objects > RATLS_MSGPACK_MAX_OBJECTS)
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "msgpack input has more than %d values; the limit is "
					  "RATLS_MSGPACK_MAX_OBJECTS",
					  RATLS_MSGPACK_MAX_OBJECTS);
		if (classify(b, &length_size, &skip, &items, &container) != RATLS_OK)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "msgpack input has the reserved byte 0x%02x at offset %zu", b,
					  at);

		if (length_size != 0) {
			uint64_t length = 0;

			if ((rc = read_be(&r, length_size, &length)) != RATLS_OK)
				return ratls_fail(detail, rc,
						  "msgpack input ends inside the length at offset %zu",
						  at);
			if (length > ratls_reader_remaining(&r))
				return ratls_fail(detail, RATLS_ERR_TRUNCATED,
						  "msgpack value at offset %zu declares %llu %s but "
						  "only %zu bytes remain",
						  at, (unsigned long long)length,
						  container != 0 ? "entries" : "bytes",
						  ratls_reader_remaining(&r));
			if (container != 0)
				items = (size_t)length;
			else
				skip += (size_t)length;
		}
		if (skip != 0 && (rc = ratls_reader_skip(&r, skip)) != RATLS_OK)
			return ratls_fail(detail, rc, "msgpack value at offset %zu is cut short", at);

		if (container != 0 && items != 0) {
			if (depth == RATLS_MSGPACK_MAX_DEPTH)
				return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
						  "msgpack containers are nested deeper than %d levels "
						  "at offset %zu; the limit is RATLS_MSGPACK_MAX_DEPTH",
						  RATLS_MSGPACK_MAX_DEPTH, at);
			level_pending[++depth] = (size_t)container * items;
		}

		/* Each value needs at least one byte, so more pending values than bytes cannot fit. */
		pending += (size_t)container * items;
		if (pending > ratls_reader_remaining(&r))
			return ratls_fail(detail, RATLS_ERR_TRUNCATED,
					  "msgpack input ends with %zu values still to read", pending);
	}
	*consumed = r.offset;
	return RATLS_OK;
}

int ratls_msgpack_unpack_exact(const uint8_t *data, size_t size, const char *what,
			       msgpack_unpacked *unpacked, struct ratls_detail *detail)
{
	size_t consumed = 0;
	size_t offset = 0;
	msgpack_unpack_return ret;
	int rc = ratls_msgpack_walk(data, size, &consumed, detail);

	if (rc != RATLS_OK)
		return rc;
	if (consumed != size)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "%s has %zu bytes after its msgpack value (which ends at offset "
				  "%zu)",
				  what, size - consumed, consumed);

	ret = msgpack_unpack_next(unpacked, (const char *)data, size, &offset);
	if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory decoding %s", what);
	if (ret != MSGPACK_UNPACK_SUCCESS)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "msgpack-c rejected %s (status %d)",
				  what, (int)ret);
	if (offset != size)
		return ratls_fail(detail, RATLS_ERR_TRAILING_DATA,
				  "%s has %zu bytes after its msgpack value", what, size - offset);
	return RATLS_OK;
}

const char *ratls_msgpack_type_name(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return "nil";
	case MSGPACK_OBJECT_BOOLEAN:
		return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return "non-negative integer";
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return "negative integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return "float";
	case MSGPACK_OBJECT_STR:
		return "str";
	case MSGPACK_OBJECT_ARRAY:
		return "array";
	case MSGPACK_OBJECT_MAP:
		return "map";
	case MSGPACK_OBJECT_BIN:
		return "bin";
	case MSGPACK_OBJECT_EXT:
		return "ext";
	}
	return "unknown type";
}

bool ratls_msgpack_str_equals(const msgpack_object *o, const char *text)
{
	size_t len = strlen(text);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
	       memcmp(o->via.str.ptr, text, len) == 0;
}

int ratls_msgpack_read_map(const msgpack_object *o, const char *where,
			   struct ratls_msgpack_field *fields, size_t count,
			   struct ratls_detail *detail)
{
	for (size_t f = 0; f < count; f++)
		fields[f].value = NULL;
	if (o->type != MSGPACK_OBJECT_MAP)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is a msgpack %s; expected a map",
				  where, ratls_msgpack_type_name(o));

	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		bool known = false;

		if (kv->key.type != MSGPACK_OBJECT_STR)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "%s has a msgpack %s key; keys must be strings", where,
					  ratls_msgpack_type_name(&kv->key));
		for (size_t f = 0; f < count && !known; f++) {
			if (!ratls_msgpack_str_equals(&kv->key, fields[f].name))
				continue;
			if (fields[f].value != NULL)
				return ratls_fail(detail, RATLS_ERR_MALFORMED,
						  "%s has the key \"%s\" twice", where, fields[f].name);
			fields[f].value = &kv->val;
			known = true;
		}
		if (!known)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "%s has an unknown key \"%.*s\"", where,
					  (int)(kv->key.via.str.size > 64 ? 64 : kv->key.via.str.size),
					  kv->key.via.str.ptr);
	}
	for (size_t f = 0; f < count; f++) {
		if (fields[f].required && fields[f].value == NULL)
			return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s has no \"%s\" key", where,
					  fields[f].name);
	}
	return RATLS_OK;
}

int ratls_msgpack_get_uint(const msgpack_object *o, const char *where, uint64_t max,
			   uint64_t *out, struct ratls_detail *detail)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is a msgpack %s; expected a non-negative integer", where,
				  ratls_msgpack_type_name(o));
	if (o->via.u64 > max)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is %llu; the maximum is %llu",
				  where, (unsigned long long)o->via.u64, (unsigned long long)max);
	*out = o->via.u64;
	return RATLS_OK;
}

int ratls_msgpack_get_string(const msgpack_object *o, const char *where, size_t max, char **out,
			     size_t *size, struct ratls_detail *detail)
{
	const uint8_t *text;
	size_t len;

	if (o->type != MSGPACK_OBJECT_STR)
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s is a msgpack %s; expected a str",
				  where, ratls_msgpack_type_name(o));
	text = (const uint8_t *)o->via.str.ptr;
	len = o->via.str.size;
	if (len > max)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu bytes; the limit is %zu bytes", where, len, max);
	if (!ratls_utf8_valid(text, len) || memchr(text, '\0', len) != NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is not UTF-8 text without NUL bytes", where);
	*out = ratls_evidence_copy_string(text, len);
	if (*out == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s", where);
	*size = len;
	return RATLS_OK;
}

int ratls_msgpack_get_bytes(const msgpack_object *o, const char *where, size_t max, uint8_t **out,
			    size_t *size, struct ratls_detail *detail)
{
	uint8_t *copy;
	size_t len;

	if (o->type == MSGPACK_OBJECT_BIN) {
		len = o->via.bin.size;
		if (len > max)
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "%s is %zu bytes; the limit is %zu bytes", where, len, max);
		copy = ratls_evidence_copy_bytes(o->via.bin.ptr, len);
		if (copy == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s",
					  where);
		*out = copy;
		*size = len;
		return RATLS_OK;
	}
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s is a msgpack %s; expected bin or an array of integers 0-255",
				  where, ratls_msgpack_type_name(o));

	len = o->via.array.size;
	if (len > max)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "%s is %zu bytes; the limit is %zu bytes", where, len, max);
	copy = malloc(len != 0 ? len : 1);
	if (copy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory copying %s", where);
	for (size_t i = 0; i < len; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];

		if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER || e->via.u64 > 255) {
			free(copy);
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "%s[%zu] is not an integer 0-255; a byte array holds only "
					  "bytes",
					  where, i);
		}
		copy[i] = (uint8_t)e->via.u64;
	}
	*out = copy;
	*size = len;
	return RATLS_OK;
}
