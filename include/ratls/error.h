/*
 * ratls error codes.
 *
 * Every fallible ratls function returns RATLS_OK (0) or one of the codes
 * below. The numbers are part of the ABI and never change: a retired code
 * keeps its number as a placeholder. Codes are grouped by class, and each
 * class maps to what the user must do (see enum ratls_error_class).
 *
 * Specifics (the value seen, the value expected, the fix) go into a
 * caller-supplied struct ratls_detail. The first failure recorded wins, so
 * the message describes the root cause and not a later consequence.
 */
#ifndef RATLS_ERROR_H
#define RATLS_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RATLS_EXPORT __attribute__((visibility("default")))
#define RATLS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define RATLS_EXPORT
#define RATLS_MUST_CHECK
#endif

enum ratls_status {
	RATLS_OK = 0,

	/* 1-9: usage and internal failures. */
	RATLS_ERR_INTERNAL = 1,
	RATLS_ERR_INVALID_ARGUMENT = 2,
	RATLS_ERR_NO_MEMORY = 3,
	RATLS_ERR_IO = 4,

	/* 10-29: malformed or unsupported input. */
	RATLS_ERR_MALFORMED = 10,
	RATLS_ERR_TRUNCATED = 11,
	RATLS_ERR_TRAILING_DATA = 12,
	RATLS_ERR_LIMIT_EXCEEDED = 13,
	RATLS_ERR_UNSUPPORTED_VERSION = 14,
	RATLS_ERR_UNSUPPORTED_KEY_TYPE = 15,
	RATLS_ERR_UNSUPPORTED_TEE_TYPE = 16,
	RATLS_ERR_UNSUPPORTED_CERT_DATA = 17,
	RATLS_ERR_UNKNOWN_QE_VENDOR = 18,

	/* 30-49: the chain of trust. */
	RATLS_ERR_UNTRUSTED_ROOT = 30,
	RATLS_ERR_CHAIN_INVALID = 31,
	RATLS_ERR_CERT_REVOKED = 32,
	RATLS_ERR_QUOTE_SIGNATURE = 33,
	RATLS_ERR_QE_REPORT_SIGNATURE = 34,
	RATLS_ERR_QE_REPORT_BINDING = 35,
	RATLS_ERR_PCK_CERT_INVALID = 36,

	/* 50-69: collateral. */
	RATLS_ERR_COLLATERAL_EXPIRED = 50,
	RATLS_ERR_COLLATERAL_NOT_YET_VALID = 51,
	RATLS_ERR_COLLATERAL_MISMATCH = 52,
	RATLS_ERR_COLLATERAL_SIGNATURE = 53,
	RATLS_ERR_COLLATERAL_MISSING = 54,
	RATLS_ERR_CRL_INVALID = 55,

	/* 70-89: TCB evaluation and the QE and TDX module identities. */
	RATLS_ERR_TCB_NOT_SUPPORTED = 70,
	RATLS_ERR_TCB_STATUS = 71,
	RATLS_ERR_TCB_REVOKED = 72,
	RATLS_ERR_QE_IDENTITY_MISMATCH = 73,
	RATLS_ERR_TDX_MODULE_MISMATCH = 74,

	/* 90-109: the caller's policy. */
	RATLS_ERR_DEBUG = 90,
	RATLS_ERR_MRTD_NOT_ALLOWED = 91,
	RATLS_ERR_MEASUREMENT_MISMATCH = 92,
	RATLS_ERR_TD_ATTRIBUTES = 93,
	RATLS_ERR_SEAM_SIGNER = 94,
	RATLS_ERR_SERVICE_TD = 95,
	RATLS_ERR_POLICY_INVALID = 96,

	/* 110-129: RA-TLS evidence. */
	RATLS_ERR_NOT_RATLS = 110,
	RATLS_ERR_KEY_BINDING = 111,
	RATLS_ERR_EVENT_LOG = 112,
	RATLS_ERR_REPORT_STALE = 113,

	/* 130-149: network and remote services. */
	RATLS_ERR_NETWORK = 130,
	RATLS_ERR_TIMEOUT = 131,
	RATLS_ERR_SERVICE = 132,

	/* One past the largest code; grows when codes are added. */
	RATLS_ERR_END_ = 150
};

/* Failure classes, each mapped to what the user must do. */
enum ratls_error_class {
	RATLS_CLASS_OK = 0,
	RATLS_CLASS_USAGE = 1,       /* bad arguments, out of memory, I/O */
	RATLS_CLASS_MALFORMED = 2,   /* the input cannot be decoded */
	RATLS_CLASS_TRUST = 3,       /* signatures, chains, roots, revocation */
	RATLS_CLASS_COLLATERAL = 4,  /* expired, not yet valid, mismatched */
	RATLS_CLASS_TCB = 5,         /* TCB status or identity not acceptable */
	RATLS_CLASS_POLICY = 6,      /* debug TD, measurements, attributes */
	RATLS_CLASS_EVIDENCE = 7,    /* not RA-TLS, key binding, event log */
	RATLS_CLASS_NETWORK = 8,     /* network step or remote service */
	RATLS_CLASS_INTERNAL = 9
};

/* Size of the detail message buffer, terminating NUL included. */
#define RATLS_DETAIL_SIZE 512

/*
 * Specifics of a failure. Zero-initialise it (or call ratls_detail_clear)
 * before a call; the first failure recorded sets both fields and later ones
 * are ignored.
 */
struct ratls_detail {
	int code;
	char message[RATLS_DETAIL_SIZE];
};

/* Resets a detail record so the next failure is recorded. */
RATLS_EXPORT void ratls_detail_clear(struct ratls_detail *detail);

/* Returns a fixed English sentence for a code; never NULL. */
RATLS_EXPORT const char *ratls_strerror(int code);

/* Returns the symbol of a code ("RATLS_ERR_TCB_STATUS"); never NULL. */
RATLS_EXPORT const char *ratls_error_name(int code);

/* Returns the class of a code. */
RATLS_EXPORT enum ratls_error_class ratls_error_class(int code);

/* Returns a short name for a class ("collateral"); never NULL. */
RATLS_EXPORT const char *ratls_error_class_name(enum ratls_error_class cls);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_ERROR_H */
