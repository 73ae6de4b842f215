/*
 * Log hook. The library never prints on its own: it reports through the
 * callback set here. Without a callback, warnings (such as a weakening
 * option taking effect) go to stderr and everything else is dropped.
 */
#ifndef RATLS_LOG_H
#define RATLS_LOG_H

#include "ratls/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ratls_log_level {
	RATLS_LOG_ERROR = 0,
	RATLS_LOG_WARNING = 1,
	RATLS_LOG_INFO = 2,
	RATLS_LOG_DEBUG = 3
};

typedef void (*ratls_log_fn)(enum ratls_log_level level, const char *message, void *arg);

/*
 * Sets the process-wide log callback (NULL restores the default). Set it
 * before other threads call into ratls; the callback itself may be called
 * from any thread.
 */
RATLS_EXPORT void ratls_set_log_callback(ratls_log_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif
