#ifndef RATLS_BASE_LOG_H
#define RATLS_BASE_LOG_H

#include "ratls/log.h"

void ratls_log(enum ratls_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
