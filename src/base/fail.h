/*
 * Internal failure reporting: record a code and a formatted detail message,
 * keeping the first failure. Not part of the public API.
 */
#ifndef RATLS_BASE_FAIL_H
#define RATLS_BASE_FAIL_H

#include <stdarg.h>

#include "ratls/error.h"

/*
 * Records code and the formatted message in detail (which may be NULL) unless
 * a failure is already recorded there, and returns code. Newlines in the
 * message are replaced by spaces so a detail is always one line.
 */
int ratls_fail(struct ratls_detail *detail, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int ratls_vfail(struct ratls_detail *detail, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Records an OpenSSL failure: the message, then the reasons drained from
 * OpenSSL's error queue. The queue is always left empty. Defined in
 * ossl.c so that only OpenSSL-using modules pull it in.
 */
int ratls_fail_ossl(struct ratls_detail *detail, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
