/*
 * AppInfo, the payload of extension 1.3.6.1.4.1.62397.1.9, in rmp-serde's
 * compact form (a msgpack array in field order):
 *   [app_id, compose_hash, instance_id, device_id, mr_system (32),
 *    mr_aggregated (32), os_image_hash, key_provider_info,
 *    init_script_hashes]
 * Every byte field is a bin (serde_human_bytes). init_script_hashes is nil
 * or an array of 32-byte bins, and only newer producers write it.
 */
#include <string.h>

#include "base/fail.h"
#include "evidence_internal.h"

#define APP_INFO_MIN_FIELDS 8
#define APP_INFO_MAX_FIELDS 9

static const char *const field_names[APP_INFO_MAX_FIELDS] = {
	"app_id",        "compose_hash",      "instance_id",       "device_id",     "mr_system",
	"mr_aggregated", "os_image_hash",     "key_provider_info", "init_script_hashes",
};

/* Sets a view to a bin that lies inside data, as msgpack-c references its input. */
static int get_view(const msgpack_object *o, size_t index, const uint8_t *data, size_t size,
		    const uint8_t **view, size_t *view_size, struct ratls_detail *detail)
{
	const uint8_t *p;

	if (o->type != MSGPACK_OBJECT_BIN)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "AppInfo field %zu (%s) is a msgpack %s; expected bin", index,
				  field_names[index], ratls_msgpack_type_name(o));
	p = (const uint8_t *)o->via.bin.ptr;
	if (o->via.bin.size != 0 && (p < data || o->via.bin.size > size ||
				     (size_t)(p - data) > size - o->via.bin.size))
		return ratls_fail(detail, RATLS_ERR_INTERNAL,
				  "msgpack-c copied a bin instead of referencing its input");
	*view = o->via.bin.size != 0 ? p : data;
	*view_size = o->via.bin.size;
	return RATLS_OK;
}

static int get_digest32(const msgpack_object *o, size_t index, const uint8_t *data, size_t size,
			const uint8_t **view, struct ratls_detail *detail)
{
	size_t view_size = 0;
	int rc = get_view(o, index, data, size, view, &view_size, detail);

	if (rc != RATLS_OK)
		return rc;
	if (view_size != 32)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "AppInfo field %zu (%s) is %zu bytes; it must be 32 (SHA-256)", index,
				  field_names[index], view_size);
	return RATLS_OK;
}

static int count_init_scripts(const msgpack_object *o, struct ratls_app_info *info,
			      struct ratls_detail *detail)
{
	if (o->type == MSGPACK_OBJECT_NIL) {
		info->init_script_hash_count = 0;
		return RATLS_OK;
	}
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "AppInfo init_script_hashes is a msgpack %s; expected nil or an "
				  "array",
				  ratls_msgpack_type_name(o));
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];

		if (e->type != MSGPACK_OBJECT_BIN || e->via.bin.size != 32)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "AppInfo init_script_hashes[%u] is not a 32-byte bin", i);
	}
	info->init_script_hash_count = o->via.array.size;
	return RATLS_OK;
}

static int read_fields(const msgpack_object *array, const uint8_t *data, size_t size,
		       struct ratls_app_info *info, struct ratls_detail *detail)
{
	const msgpack_object *f = array->via.array.ptr;
	int rc;

	if ((rc = get_view(&f[0], 0, data, size, &info->app_id, &info->app_id_size, detail)) !=
		    RATLS_OK ||
	    (rc = get_view(&f[1], 1, data, size, &info->compose_hash, &info->compose_hash_size,
			   detail)) != RATLS_OK ||
	    (rc = get_view(&f[2], 2, data, size, &info->instance_id, &info->instance_id_size,
			   detail)) != RATLS_OK ||
	    (rc = get_view(&f[3], 3, data, size, &info->device_id, &info->device_id_size,
			   detail)) != RATLS_OK ||
	    (rc = get_digest32(&f[4], 4, data, size, &info->mr_system, detail)) != RATLS_OK ||
	    (rc = get_digest32(&f[5], 5, data, size, &info->mr_aggregated, detail)) != RATLS_OK ||
	    (rc = get_view(&f[6], 6, data, size, &info->os_image_hash, &info->os_image_hash_size,
			   detail)) != RATLS_OK ||
	    (rc = get_view(&f[7], 7, data, size, &info->key_provider_info,
			   &info->key_provider_info_size, detail)) != RATLS_OK)
		return rc;
	if (array->via.array.size == APP_INFO_MAX_FIELDS)
		return count_init_scripts(&f[8], info, detail);
	return RATLS_OK;
}

int ratls_evidence_decode_app_info(const uint8_t *data, size_t size, struct ratls_app_info *out,
				   struct ratls_detail *detail)
{
	struct ratls_app_info info;
	msgpack_unpacked unpacked;
	const msgpack_object *array;
	int rc = RATLS_ERR_INTERNAL;

	if (data == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_decode_app_info: data or out is NULL");
	if (size > RATLS_EVIDENCE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "AppInfo is %zu bytes; the limit is %d (RATLS_EVIDENCE_MAX_SIZE)",
				  size, RATLS_EVIDENCE_MAX_SIZE);
	memset(&info, 0, sizeof(info));
	msgpack_unpacked_init(&unpacked);
	rc = ratls_msgpack_unpack_exact(data, size, "AppInfo", &unpacked, detail);
	if (rc != RATLS_OK)
		goto out;

	array = &unpacked.data;
	if (array->type != MSGPACK_OBJECT_ARRAY || array->via.array.size < APP_INFO_MIN_FIELDS ||
	    array->via.array.size > APP_INFO_MAX_FIELDS) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"AppInfo is a msgpack %s of %u entries; expected an array of 8 or 9",
				ratls_msgpack_type_name(array),
				array->type == MSGPACK_OBJECT_ARRAY ? array->via.array.size : 0);
		goto out;
	}
	if ((rc = read_fields(array, data, size, &info, detail)) != RATLS_OK)
		goto out;

	*out = info;
	rc = RATLS_OK;
out:
	msgpack_unpacked_destroy(&unpacked);
	return rc;
}
