/* The boundary where OpenSSL's error queue turns into a ratls detail message. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "fail.h"

int ratls_fail_ossl(struct ratls_detail *detail, int code, const char *fmt, ...)
{
	char message[RATLS_DETAIL_SIZE];
	size_t used;
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	/* Append the oldest reasons first; they name the root cause. */
	used = strlen(message);
	while ((e = ERR_get_error()) != 0) {
		char reason[160];

		ERR_error_string_n(e, reason, sizeof(reason));
		if (used + 3 < sizeof(message)) {
			snprintf(message + used, sizeof(message) - used, " (%s)", reason);
			used = strlen(message);
		}
	}
	return ratls_fail(detail, code, "%s", message);
}
