/* Structured, rate-limited logs on standard error. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Distinct event names tracked by the rate limit; the sidecar logs about thirty. */
#define RATE_SLOTS 128

struct rate_slot {
	const char *event;
	time_t second;
	unsigned int count;
	unsigned long suppressed;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum sidecar_log_level min_level = SIDECAR_LOG_INFO;
static struct rate_slot slots[RATE_SLOTS];

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void sidecar_log_set_level(enum sidecar_log_level level)
{
	pthread_mutex_lock(&log_lock);
	min_level = level;
	pthread_mutex_unlock(&log_lock);
}

bool sidecar_log_parse_level(const char *text, enum sidecar_log_level *out)
{
	for (int i = SIDECAR_LOG_ERROR; i <= SIDECAR_LOG_DEBUG; i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*out = (enum sidecar_log_level)i;
			return true;
		}
	}
	return false;
}

static bool plain_token(const char *text)
{
	if (text[0] == '\0')
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
			return false;
	}
	return true;
}

const char *sidecar_log_quote(const char *text, char out[SIDECAR_LOG_VALUE_SIZE])
{
	size_t used = 0;

	if (text == NULL)
		text = "";
	if (plain_token(text)) {
		snprintf(out, SIDECAR_LOG_VALUE_SIZE, "%s", text);
		return out;
	}
	out[used++] = '"';
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char escaped[8];

		if (c == '"' || c == '\\')
			snprintf(escaped, sizeof(escaped), "\\%c", c);
		else if (c == '\n')
			snprintf(escaped, sizeof(escaped), "\\n");
		else if (c == '\t')
			snprintf(escaped, sizeof(escaped), "\\t");
		else if (c < ' ' || c == 0x7f)
			snprintf(escaped, sizeof(escaped), "\\x%02x", c);
		else
			snprintf(escaped, sizeof(escaped), "%c", c);
		/* Keep room for "...", the closing quote and the NUL. */
		if (used + strlen(escaped) + 5 > SIDECAR_LOG_VALUE_SIZE) {
			memcpy(out + used, "...", 3);
			used += 3;
			break;
		}
		memcpy(out + used, escaped, strlen(escaped));
		used += strlen(escaped);
	}
	out[used++] = '"';
	out[used] = '\0';
	return out;
}

/* Writes the "ts=... level=... event=..." prefix with millisecond UTC time. */
static void write_prefix(FILE *out, const struct timespec *now, enum sidecar_log_level level,
			 const char *event)
{
	struct tm tm;
	time_t seconds = now->tv_sec;

	gmtime_r(&seconds, &tm);
	fprintf(out, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now->tv_nsec / 1000000,
		level_names[level], event);
}

/*
 * Counts a line of event in the current second. Returns false when the line
 * is over the limit; *suppressed_before is the count of the previous
 * second's suppressed lines, reported once.
 */
static bool rate_allow(const char *event, time_t second, unsigned long *suppressed_before)
{
	struct rate_slot *slot = NULL;

	*suppressed_before = 0;
	for (size_t i = 0; i < RATE_SLOTS; i++) {
		if (slots[i].event == event || slots[i].event == NULL) {
			slot = &slots[i];
			break;
		}
	}
	if (slot == NULL)
		return true; /* more event names than slots: not limited */
	if (slot->event == NULL || slot->second != second) {
		*suppressed_before = slot->suppressed;
		slot->event = event;
		slot->second = second;
		slot->count = 0;
		slot->suppressed = 0;
	}
	if (slot->count >= SIDECAR_LOG_BURST) {
		slot->suppressed++;
		return false;
	}
	slot->count++;
	return true;
}

void sidecar_log(enum sidecar_log_level level, const char *event, const char *fmt, ...)
{
	struct timespec now;
	unsigned long suppressed;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&log_lock);
	if (level > min_level || !rate_allow(event, now.tv_sec, &suppressed)) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	if (suppressed > 0) {
		write_prefix(stderr, &now, SIDECAR_LOG_WARNING, "log_suppressed");
		fprintf(stderr, " suppressed_event=%s count=%lu\n", event, suppressed);
	}
	write_prefix(stderr, &now, level, event);
	if (fmt[0] != '\0') {
		fputc(' ', stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}
