/*
 * Output of the ratls tool: JSON documents (jansson) and text reports for
 * quotes, verified reports and collateral documents.
 */
#ifndef RATLS_CLI_REPORT_H
#define RATLS_CLI_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "input.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/evidence.h"
#include "ratls/quote.h"

/* What the tool learnt about RA-TLS evidence, for both output forms. */
struct cli_evidence_result {
	/* The decoded evidence, or NULL when the certificate has none. */
	const struct ratls_evidence *evidence;
	/* The RTMR replay, or NULL when it did not run. */
	const struct ratls_replay *replay;
	int replay_code;  /* RATLS_OK or the replay's error; meaningful with replay */
	bool binding_checked;
	int binding_code; /* RATLS_OK or RATLS_ERR_KEY_BINDING; meaningful when checked */
};

/* The result of "ratls verify quote", as both output forms print it. */
struct cli_verify_result {
	int64_t at; /* verification time, Unix seconds */
	int code;   /* RATLS_OK or the first failure */
	const struct ratls_detail *detail;
	/* The verified report, or NULL when DCAP verification itself failed. */
	const struct ratls_verified_report *report;
	bool trailing_all_zero;
	/* "verify cert" only: the certificate's evidence, else NULL. */
	const struct cli_evidence_result *evidence;
	/* "verify cert" only: the step that failed, or NULL. */
	const char *failed_step;
	/* The report came from an Intel Trust Authority token, not local DCAP. */
	bool from_ita;
};

/* Names used in both output forms. Each returns a fixed string, never NULL. */
const char *cli_tee_type_name(uint32_t tee_type);
const char *cli_body_type_name(uint16_t body_type);
const char *cli_body_type_title(uint16_t body_type);
const char *cli_cert_data_type_name(uint16_t type);
const char *cli_sgx_type_name(uint32_t sgx_type);
const char *cli_tcb_info_id_name(enum ratls_tcb_info_id id);

/* True when the TD attributes (TDX) or enclave attributes (SGX) have DEBUG set. */
bool cli_td_is_debug(const uint8_t td_attributes[8]);
bool cli_sgx_is_debug(const uint8_t attributes[16]);

/* Returns size bytes as a hex string, JSON null for a NULL pointer, or NULL when out of memory. */
json_t *cli_hex_json(const uint8_t *data, size_t size);

/* Each returns a new JSON object, or NULL when out of memory. */
json_t *cli_quote_json(const struct ratls_quote *quote, enum cli_quote_encoding encoding,
		       size_t size);
json_t *cli_verify_json(const struct cli_verify_result *result);
json_t *cli_tcb_info_json(const struct ratls_tcb_info *info);
json_t *cli_qe_identity_json(const struct ratls_qe_identity *identity);

/* Returns {"ok":false,"error":NAME,"class":CLASS,"message":TEXT}, or NULL when out of memory. */
json_t *cli_error_json(int code, const struct ratls_detail *detail);

/*
 * Prints root to stdout, indented, with a final newline, and releases it
 * (root may be NULL, which is reported as out of memory). Returns RATLS_OK,
 * RATLS_ERR_NO_MEMORY or RATLS_ERR_IO.
 */
int cli_print_json(json_t *root, struct ratls_detail *detail);

/* The "evidence" object of cert output: format, extensions, event log, replay, identity, binding. */
json_t *cli_evidence_json(const struct cli_evidence_result *result);

/* Text forms. */
void cli_print_evidence_text(FILE *out, const struct cli_evidence_result *result);
void cli_print_verify_text(FILE *out, const struct cli_verify_result *result);
void cli_print_tcb_info_text(FILE *out, const struct ratls_tcb_info *info, int64_t at);
void cli_print_qe_identity_text(FILE *out, const struct ratls_qe_identity *identity, int64_t at);

#endif
