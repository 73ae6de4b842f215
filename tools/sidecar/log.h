/*
 * Structured logs of ratls-sidecar: one line per event on standard error,
 * as key=value pairs (logfmt), which journald and most log collectors
 * parse:
 *   ts=2026-01-01T00:00:00.123Z level=info event=connection_open conn=7 peer=10.0.0.5:51234
 * Values that contain spaces, quotes, '=' or control characters are
 * written in double quotes with backslash escapes (sidecar_log_quote).
 * Nothing logged may contain a secret: private keys, passwords and the
 * simulated platform's seed never reach these functions.
 *
 * Lines are rate-limited per event name (SIDECAR_LOG_BURST per second);
 * the number of suppressed lines is logged when the next second starts.
 * All functions are thread-safe.
 */
#ifndef SIDECAR_LOG_H
#define SIDECAR_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum sidecar_log_level {
	SIDECAR_LOG_ERROR = 0,
	SIDECAR_LOG_WARNING = 1,
	SIDECAR_LOG_INFO = 2,
	SIDECAR_LOG_DEBUG = 3
};

/*
 * Lines per event name and second before further lines are counted
 * instead of written. It bounds the log volume of a connection flood, and
 * a sidecar that accepts up to 1000 connections a second still logs every
 * one.
 */
#define SIDECAR_LOG_BURST 1000

/* Size of a buffer for sidecar_log_quote, NUL included; longer values are cut. */
#define SIDECAR_LOG_VALUE_SIZE 1024

/* Lines below this level are dropped (default SIDECAR_LOG_INFO). */
void sidecar_log_set_level(enum sidecar_log_level level);

/* Parses "error", "warning", "info" or "debug". */
bool sidecar_log_parse_level(const char *text, enum sidecar_log_level *out);

/*
 * Writes "ts=... level=... event=EVENT " followed by the formatted fields,
 * which must be key=value pairs separated by spaces. event must be a string
 * literal: the rate limit keys on its address.
 */
void sidecar_log(enum sidecar_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Writes text into out as a logfmt value: unchanged when it is a plain
 * token, else in double quotes with \" \\ \n \t and \xNN escapes. Returns
 * out.
 */
const char *sidecar_log_quote(const char *text, char out[SIDECAR_LOG_VALUE_SIZE]);

#endif
