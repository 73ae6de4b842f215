/*
 * The attestation report of a PostgreSQL server (GET /attestation on
 * ratls-sidecar), its report_data binding, and its verification.
 *
 * The report is a JSON object:
 *   report_data_version  1
 *   timestamp            Unix seconds when the server produced it
 *   quote                hex of a TDX quote made for this report
 *   tcb_info             {mrtd, rtmr0, rtmr1, rtmr2, rtmr3}: hex copies of the quote's
 *   postgres_state       {wal_lsn: "X/Y", controldata_hash: 64 hex digits, pg_version}
 *   app_id, compose_hash, instance_id
 *                        hex from the runtime events, "" when the server has none
 *   event_log            the TDX event log (an array of dstack TdxEvent objects), or
 *                        null when the quote source has none (configfs-tsm)
 *   report_data          optional hex copy of the quote's REPORTDATA
 *
 * Version 1 of the binding, computed by ratls_attestation_report_data_v1:
 *   report_data[0..32]  = SHA-256(be64(wal_lsn) || controldata_hash || be64(timestamp))
 *   report_data[32..64] = 0
 * where be64(wal_lsn) is the 64-bit LSN (X << 32) | Y big-endian, and
 * controldata_hash is the SHA-256 (32 raw bytes) of the output of
 * pg_controldata run with LC_ALL=C on the server's data directory. The
 * fixed-width fields keep the preimage unambiguous. pg_version is not part
 * of the preimage, so it is the server's claim only.
 */
#ifndef RATLS_REPORT_H
#define RATLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/evidence.h"
#include "ratls/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The only report_data version defined so far. */
#define RATLS_ATTESTATION_REPORT_DATA_V1 1

/*
 * Largest report accepted: a quote of up to RATLS_QUOTE_MAX_SIZE as hex
 * (2 MiB) and an event log of up to RATLS_EVIDENCE_MAX_SIZE (10 MiB), with room for the JSON around them. A report of the simulated platform, with
 * six runtime events, is 13 KiB.
 */
#define RATLS_ATTESTATION_REPORT_MAX_SIZE (16 * 1024 * 1024)

/* Size of an LSN in PostgreSQL's text form "X/Y" (8 + 1 + 8 hex digits), NUL included. */
#define RATLS_LSN_TEXT_SIZE 18

/* Maximum length of pg_version accepted, in bytes ("15.18 (Debian 15.18-0+deb12u1)" is 30). */
#define RATLS_PG_VERSION_MAX_LEN 256

/* Default largest distance in seconds between the report's timestamp and the verification time. */
#define RATLS_ATTESTATION_REPORT_DEFAULT_MAX_SKEW 300

/*
 * Parses an LSN in PostgreSQL's text form: two hex numbers of 1 to 8
 * digits (either case) separated by '/', as pg_lsn prints it ("16/B374D848").
 * Returns RATLS_ERR_MALFORMED with the text in detail for any other form.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_attestation_report_parse_lsn(const char *text, size_t len,
								    uint64_t *lsn,
								    struct ratls_detail *detail);

/* Writes lsn as PostgreSQL prints it: "%X/%X" of the high and low 32 bits. */
RATLS_EXPORT void ratls_attestation_report_format_lsn(uint64_t lsn,
						      char out[RATLS_LSN_TEXT_SIZE]);

/* Computes controldata_hash: SHA-256 of pg_controldata's output. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_attestation_report_hash_controldata(
	const uint8_t *output, size_t size, uint8_t hash[32], struct ratls_detail *detail);

/* Computes report_data version 1 (see above). timestamp must not be negative. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_attestation_report_data_v1(
	uint64_t wal_lsn, const uint8_t controldata_hash[32], int64_t timestamp,
	uint8_t report_data[RATLS_REPORT_DATA_SIZE], struct ratls_detail *detail);

struct ratls_attestation_report_options {
	/* Verification time, Unix seconds. The library never reads the clock. */
	int64_t now;
	/* Largest |now - timestamp| accepted, in seconds; must be positive. */
	int64_t max_skew;
	/* Required: the backend that verifies the quote. */
	const struct ratls_verifier *verifier;
	/* NULL applies the defaults of ratls_policy_new. */
	const struct ratls_policy *policy;
};

/* The outcome of ratls_attestation_report_verify; release it with ..._result_clear. */
struct ratls_attestation_report_result {
	/* The quote and event log (NULL until decoded); owned by the result. */
	struct ratls_evidence *evidence;
	/* Filled by the backend. */
	struct ratls_verified_report report;
	/* Set when the report carried an event log, which was then replayed. */
	bool replayed;
	struct ratls_replay replay;
	/* The PostgreSQL state the quote is bound to. */
	uint64_t wal_lsn;
	char wal_lsn_text[RATLS_LSN_TEXT_SIZE];
	uint8_t controldata_hash[32];
	int64_t timestamp;
	/* The server's claim, not covered by report_data. */
	char pg_version[RATLS_PG_VERSION_MAX_LEN + 1];
	/*
	 * The step that failed ("parse", "quote", "binding", "freshness",
	 * "replay", "policy"), or NULL on success.
	 */
	const char *failed_step;
};

/*
 * Verifies an attestation report, stopping at the first failure:
 *   parse      the JSON (at most RATLS_ATTESTATION_REPORT_MAX_SIZE bytes) has
 *              every member above with the right type and size, and the
 *              quote and event log decode
 *   quote      the backend verifies the quote's signature chain
 *   binding    tcb_info and report_data equal the verified quote's values,
 *              and REPORTDATA is version 1 of the binding over wal_lsn,
 *              controldata_hash and timestamp
 *   freshness  |now - timestamp| <= max_skew
 *   replay     with an event log, RTMR3 (and RTMR0-2 for a full log)
 *              replays to the quote's values, and non-empty app_id,
 *              compose_hash and instance_id equal the replayed events.
 *              Without one, those three must be empty.
 *   policy     the policy on the verified report and the replayed identity
 *
 * Returns RATLS_OK or the first failure: RATLS_ERR_LIMIT_EXCEEDED,
 * RATLS_ERR_MALFORMED (also for a tcb_info that differs from the quote),
 * RATLS_ERR_UNSUPPORTED_VERSION for another report_data_version, the
 * evidence decoders' and the backend's errors, RATLS_ERR_KEY_BINDING for a
 * report_data mismatch, RATLS_ERR_REPORT_STALE for a timestamp outside
 * max_skew, RATLS_ERR_EVENT_LOG, and the policy's errors. *result is filled as far as
 * the check got and must be cleared in every case.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_attestation_report_verify(
	const uint8_t *json, size_t size, const struct ratls_attestation_report_options *options,
	struct ratls_attestation_report_result *result, struct ratls_detail *detail);

/* Frees what result owns and zeroes it. result may be NULL. */
RATLS_EXPORT void ratls_attestation_report_result_clear(
	struct ratls_attestation_report_result *result);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_REPORT_H */
