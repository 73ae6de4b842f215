/* RFC 3339 timestamps as used by Intel's collateral, in Unix seconds (UTC). */
#ifndef RATLS_BASE_TIMEUTIL_H
#define RATLS_BASE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" into Unix seconds.
 * Fractions are truncated. Returns RATLS_ERR_MALFORMED on any other form or
 * an out-of-range field.
 */
RATLS_MUST_CHECK int ratls_time_parse_rfc3339(const char *text, size_t len, int64_t *out);

/* Size of a buffer for ratls_time_format, NUL included. */
#define RATLS_TIME_TEXT_SIZE 48

/* Writes "YYYY-MM-DDTHH:MM:SSZ". */
void ratls_time_format(int64_t t, char out[RATLS_TIME_TEXT_SIZE]);

/* Unix seconds of a civil UTC date and time (proleptic Gregorian calendar). */
int64_t ratls_time_from_civil(int64_t year, int month, int day, int hour, int minute, int second);

#endif
