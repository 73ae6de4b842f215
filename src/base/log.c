#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static ratls_log_fn log_fn;
static void *log_arg;

void ratls_set_log_callback(ratls_log_fn fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

void ratls_log(enum ratls_log_level level, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	if (log_fn != NULL) {
		log_fn(level, message, log_arg);
		return;
	}
	if (level <= RATLS_LOG_WARNING)
		fprintf(stderr, "ratls: %s: %s\n", level == RATLS_LOG_ERROR ? "error" : "warning",
			message);
}
