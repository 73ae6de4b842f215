/*
 * Typed member readers for collateral JSON loaded with jansson. Every failure
 * names the member by its path ("tcbInfo.tcbLevels[2].tcbStatus"), the value
 * seen and what was expected. Internal to src/dcap.
 */
#ifndef RATLS_DCAP_JSON_FIELD_H
#define RATLS_DCAP_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ratls/collateral.h"

/* Size of a buffer for a member path, NUL included; longer paths end in "...". */
#define RATLS_JSON_PATH_SIZE 128

/* Writes "<path>.<key>[<index>]" into out. */
void ratls_json_path_index(char out[RATLS_JSON_PATH_SIZE], const char *path, const char *key,
			   size_t index);

/* Writes "<path>.<key>" into out. */
void ratls_json_path_member(char out[RATLS_JSON_PATH_SIZE], const char *path, const char *key);

/*
 * Loads json (at most max_size bytes) with jansson, rejecting duplicate
 * member names, and requires an object at the top. label names the document
 * in messages. On success *out is a new reference.
 */
RATLS_MUST_CHECK int ratls_json_load_object(const uint8_t *json, size_t size, size_t max_size,
					    const char *label, json_t **out,
					    struct ratls_detail *detail);

/*
 * Finds member key of obj. When it is absent, sets *out to NULL and succeeds
 * unless required. A present member must have the given jansson type (a
 * JSON_TRUE or JSON_FALSE type accepts either boolean).
 */
RATLS_MUST_CHECK int ratls_json_get_member(const json_t *obj, const char *path, const char *key,
					   json_type type, bool required, json_t **out,
					   struct ratls_detail *detail);

/* Reads a required string member; *text points into obj and is NUL-terminated. */
RATLS_MUST_CHECK int ratls_json_get_string(const json_t *obj, const char *path, const char *key,
					   const char **text, size_t *len,
					   struct ratls_detail *detail);

/* Reads a required string member of exactly 2 * size hex digits (either case). */
RATLS_MUST_CHECK int ratls_json_get_hex(const json_t *obj, const char *path, const char *key,
					uint8_t *out, size_t size, struct ratls_detail *detail);

/* Reads a required integer member from 0 to max. */
RATLS_MUST_CHECK int ratls_json_get_uint(const json_t *obj, const char *path, const char *key,
					 uint64_t max, uint64_t *out, struct ratls_detail *detail);

/* Reads a required RFC 3339 date-time member as Unix seconds. */
RATLS_MUST_CHECK int ratls_json_get_date(const json_t *obj, const char *path, const char *key,
					 int64_t *out, struct ratls_detail *detail);

/* Reads a required TCB status name member. */
RATLS_MUST_CHECK int ratls_json_get_status(const json_t *obj, const char *path, const char *key,
					   enum ratls_tcb_status *out,
					   struct ratls_detail *detail);

/*
 * Reads an array member of at most max_count elements. An absent optional
 * array sets *array to NULL and *count to 0.
 */
RATLS_MUST_CHECK int ratls_json_get_array(const json_t *obj, const char *path, const char *key,
					  bool required, size_t max_count, json_t **array,
					  size_t *count, struct ratls_detail *detail);

/* Reads the optional "advisoryIDs" member of a TCB level into out (owned by the caller). */
RATLS_MUST_CHECK int ratls_json_get_advisories(const json_t *level, const char *path,
					       struct ratls_advisory_list *out,
					       struct ratls_detail *detail);

void ratls_advisory_list_free(struct ratls_advisory_list *list);

/*
 * Reads the required, non-empty "tcbLevels" member of obj as levels of
 * {tcb:{isvsvn}, tcbDate, tcbStatus, advisoryIDs?}, each isvsvn at most
 * max_svn. On success *levels is a new array for ratls_isv_levels_free.
 */
RATLS_MUST_CHECK int ratls_json_get_isv_levels(const json_t *obj, const char *path,
					       uint16_t max_svn, struct ratls_isv_level **levels,
					       size_t *count, struct ratls_detail *detail);

/*
 * Checks that every level's status is one of allowed (a bit mask of
 * 1u << enum ratls_tcb_status). Intel's QVL rejects a QE identity or TDX
 * module identity whose levels carry other statuses, because only the
 * platform TCB levels define them. what names the levels in messages.
 */
RATLS_MUST_CHECK int ratls_isv_levels_check_statuses(const struct ratls_isv_level *levels,
						     size_t count, unsigned allowed,
						     const char *what, struct ratls_detail *detail);

void ratls_isv_levels_free(struct ratls_isv_level *levels, size_t count);

#endif
