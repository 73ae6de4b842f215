/*
 * Attestation reports of PostgreSQL servers: the version 1 report_data
 * binding and the client-side verification of a report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "ratls/report.h"

/* Maximum size of an identity field accepted, in bytes; dstack's are 20 or 32 bytes. */
#define IDENTITY_MAX_SIZE 64

/* ---- binding ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses 1 to 8 hex digits into *out; returns false otherwise. */
static bool parse_hex32(const char *text, size_t len, uint32_t *out)
{
	uint32_t value = 0;

	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++) {
		int digit = hex_digit(text[i]);

		if (digit < 0)
			return false;
		value = value << 4 | (uint32_t)digit;
	}
	*out = value;
	return true;
}

int ratls_attestation_report_parse_lsn(const char *text, size_t len, uint64_t *lsn,
				       struct ratls_detail *detail)
{
	const char *slash = text != NULL ? memchr(text, '/', len) : NULL;
	uint32_t high, low;

	if (slash == NULL || !parse_hex32(text, (size_t)(slash - text), &high) ||
	    !parse_hex32(slash + 1, len - (size_t)(slash - text) - 1, &low))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "wal_lsn '%.*s' is not an LSN in PostgreSQL's form X/Y (1 to 8 "
				  "hex digits each, such as 16/B374D848)",
				  (int)(len > 40 ? 40 : len), text != NULL ? text : "");
	*lsn = (uint64_t)high << 32 | low;
	return RATLS_OK;
}

void ratls_attestation_report_format_lsn(uint64_t lsn, char out[RATLS_LSN_TEXT_SIZE])
{
	snprintf(out, RATLS_LSN_TEXT_SIZE, "%X/%X", (unsigned int)(lsn >> 32),
		 (unsigned int)(lsn & 0xffffffffu));
}

static int sha256(const uint8_t *data, size_t size, uint8_t out[32], struct ratls_detail *detail)
{
	if (EVP_Digest(data, size, out, NULL, EVP_sha256(), NULL) != 1)
		return ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "SHA-256 failed");
	return RATLS_OK;
}

int ratls_attestation_report_hash_controldata(const uint8_t *output, size_t size,
					      uint8_t hash[32], struct ratls_detail *detail)
{
	if (output == NULL && size > 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "output is NULL");
	return sha256(output != NULL ? output : (const uint8_t *)"", size, hash, detail);
}

static void put_be64(uint8_t *out, uint64_t value)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)value;
		value >>= 8;
	}
}

int ratls_attestation_report_data_v1(uint64_t wal_lsn, const uint8_t controldata_hash[32],
				     int64_t timestamp,
				     uint8_t report_data[RATLS_REPORT_DATA_SIZE],
				     struct ratls_detail *detail)
{
	uint8_t preimage[8 + 32 + 8];

	if (controldata_hash == NULL || report_data == NULL || timestamp < 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "controldata_hash, report_data and a timestamp >= 0 are required");
	put_be64(preimage, wal_lsn);
	memcpy(preimage + 8, controldata_hash, 32);
	put_be64(preimage + 40, (uint64_t)timestamp);
	memset(report_data, 0, RATLS_REPORT_DATA_SIZE);
	return sha256(preimage, sizeof(preimage), report_data, detail);
}

/* ---- parsing ---- */

/* The members of a report, as views into the parsed JSON. */
struct report_fields {
	const char *quote_hex;
	uint8_t tcb_info[5][48]; /* mrtd, rtmr0..rtmr3 */
	const char *wal_lsn;
	const char *pg_version;
	const char *identity_hex[3]; /* app_id, compose_hash, instance_id */
	json_t *event_log;           /* an array, or NULL */
	bool has_report_data;
	uint8_t report_data[RATLS_REPORT_DATA_SIZE];
};

static const char *const identity_members[3] = {"app_id", "compose_hash", "instance_id"};
static const char *const tcb_members[5] = {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"};

static int get_string(json_t *object, const char *where, const char *name, bool required,
		      const char **out, struct ratls_detail *detail)
{
	json_t *value = json_object_get(object, name);

	*out = NULL;
	if (value == NULL && !required)
		return RATLS_OK;
	if (!json_is_string(value))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "%s%s is %s; a string is required",
				  where, name, value == NULL ? "missing" : "not a string");
	*out = json_string_value(value);
	return RATLS_OK;
}

/* Reads a required member of exactly size bytes as hex. */
static int get_hex(json_t *object, const char *where, const char *name, uint8_t *out,
		   size_t size, struct ratls_detail *detail)
{
	const char *text;
	int rc = get_string(object, where, name, true, &text, detail);

	if (rc != RATLS_OK)
		return rc;
	if (ratls_hex_decode_fixed(text, strlen(text), out, size) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "%s%s '%.40s' is not %zu bytes of hex (%zu digits)", where, name,
				  text, size, 2 * size);
	return RATLS_OK;
}

static int read_postgres_state(json_t *root, struct report_fields *f,
			       struct ratls_attestation_report_result *result,
			       struct ratls_detail *detail)
{
	json_t *state = json_object_get(root, "postgres_state");
	int rc;

	if (!json_is_object(state))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "postgres_state is missing or not an object");
	if ((rc = get_string(state, "postgres_state.", "wal_lsn", true, &f->wal_lsn, detail)) !=
		    RATLS_OK ||
	    (rc = get_hex(state, "postgres_state.", "controldata_hash", result->controldata_hash,
			  32, detail)) != RATLS_OK ||
	    (rc = get_string(state, "postgres_state.", "pg_version", true, &f->pg_version,
			     detail)) != RATLS_OK)
		return rc;
	rc = ratls_attestation_report_parse_lsn(f->wal_lsn, strlen(f->wal_lsn), &result->wal_lsn,
						detail);
	if (rc != RATLS_OK)
		return rc;
	ratls_attestation_report_format_lsn(result->wal_lsn, result->wal_lsn_text);
	if (strlen(f->pg_version) > RATLS_PG_VERSION_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "postgres_state.pg_version has %zu bytes, more than %d",
				  strlen(f->pg_version), RATLS_PG_VERSION_MAX_LEN);
	snprintf(result->pg_version, sizeof(result->pg_version), "%s", f->pg_version);
	return RATLS_OK;
}

static int read_identity_and_log(json_t *root, struct report_fields *f,
				 struct ratls_detail *detail)
{
	json_t *log = json_object_get(root, "event_log");
	int rc;

	for (int i = 0; i < 3; i++) {
		rc = get_string(root, "", identity_members[i], false, &f->identity_hex[i], detail);
		if (rc != RATLS_OK)
			return rc;
		if (f->identity_hex[i] == NULL)
			f->identity_hex[i] = "";
		if (strlen(f->identity_hex[i]) > 2 * IDENTITY_MAX_SIZE)
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "%s has %zu characters, more than %d",
					  identity_members[i], strlen(f->identity_hex[i]),
					  2 * IDENTITY_MAX_SIZE);
	}
	if (log != NULL && !json_is_null(log) && !json_is_array(log))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "event_log is neither an array nor null");
	f->event_log = json_is_array(log) ? log : NULL;
	return RATLS_OK;
}

static int read_fields(json_t *root, struct report_fields *f,
		       struct ratls_attestation_report_result *result, struct ratls_detail *detail)
{
	json_t *version = json_object_get(root, "report_data_version");
	json_t *timestamp = json_object_get(root, "timestamp");
	json_t *tcb = json_object_get(root, "tcb_info");
	const char *report_data_hex = NULL;
	int rc;

	if (!json_is_integer(version))
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "report_data_version is missing or not an integer");
	if (json_integer_value(version) != RATLS_ATTESTATION_REPORT_DATA_V1)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "report_data_version is %lld, but this ratls knows only version %d; "
				  "update ratls",
				  (long long)json_integer_value(version),
				  RATLS_ATTESTATION_REPORT_DATA_V1);
	if (!json_is_integer(timestamp) || json_integer_value(timestamp) < 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "timestamp is missing or not a non-negative integer");
	result->timestamp = (int64_t)json_integer_value(timestamp);
	if ((rc = get_string(root, "", "quote", true, &f->quote_hex, detail)) != RATLS_OK)
		return rc;
	if (!json_is_object(tcb))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "tcb_info is missing or not an object");
	for (int i = 0; i < 5; i++) {
		rc = get_hex(tcb, "tcb_info.", tcb_members[i], f->tcb_info[i], 48, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	if ((rc = read_postgres_state(root, f, result, detail)) != RATLS_OK)
		return rc;
	if ((rc = read_identity_and_log(root, f, detail)) != RATLS_OK)
		return rc;
	if ((rc = get_string(root, "", "report_data", false, &report_data_hex, detail)) != RATLS_OK)
		return rc;
	if (report_data_hex != NULL) {
		rc = get_hex(root, "", "report_data", f->report_data, sizeof(f->report_data), detail);
		if (rc != RATLS_OK)
			return rc;
		f->has_report_data = true;
	}
	return RATLS_OK;
}

/* Decodes the quote and the event log into result->evidence. */
static int decode_evidence(const struct report_fields *f,
			   struct ratls_attestation_report_result *result,
			   struct ratls_detail *detail)
{
	size_t hex_len = strlen(f->quote_hex);
	uint8_t *quote = NULL;
	char *log_text = NULL;
	int rc;

	if (hex_len == 0 || hex_len % 2 != 0 || hex_len / 2 > RATLS_QUOTE_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "quote has %zu hex digits; it must be an even number from 2 to %d",
				  hex_len, 2 * RATLS_QUOTE_MAX_SIZE);
	quote = malloc(hex_len / 2);
	if (quote == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	if (ratls_hex_decode_fixed(f->quote_hex, hex_len, quote, hex_len / 2) != RATLS_OK) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED, "quote is not hex");
		goto out;
	}
	if (f->event_log != NULL) {
		log_text = json_dumps(f->event_log, JSON_COMPACT);
		if (log_text == NULL) {
			rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	rc = ratls_evidence_from_quote(quote, hex_len / 2, (const uint8_t *)log_text,
				       log_text != NULL ? strlen(log_text) : 0, NULL, 0,
				       &result->evidence, detail);
out:
	free(log_text);
	free(quote);
	return rc;
}

/* ---- checks ---- */

/* A backend's report must describe this quote, or the later checks compare unrelated values. */
static int check_report_matches_quote(const struct ratls_evidence *ev,
				      const struct ratls_verified_report *report,
				      struct ratls_detail *detail)
{
	const struct ratls_td_report *td = &ev->parsed_quote.td;

	if (report->body_type == RATLS_BODY_SGX_ENCLAVE || !ratls_quote_is_td(&ev->parsed_quote))
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "the report's quote is not a TDX quote");
	if (memcmp(report->td.mr_td, td->mr_td, 48) != 0 ||
	    memcmp(report->td.report_data, td->report_data, RATLS_REPORT_DATA_SIZE) != 0)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the verifier's report describes another quote than the report's");
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		if (memcmp(report->td.rtmr[i], td->rtmr[i], 48) != 0)
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "the verifier's report has another RTMR%d than the "
					  "report's quote",
					  i);
	}
	return RATLS_OK;
}

static int check_binding(const struct report_fields *f,
			 const struct ratls_attestation_report_result *result,
			 struct ratls_detail *detail)
{
	const struct ratls_td_fields *td = &result->report.td;
	const uint8_t *quote_values[5] = {td->mr_td, td->rtmr[0], td->rtmr[1], td->rtmr[2],
					  td->rtmr[3]};
	uint8_t expected[RATLS_REPORT_DATA_SIZE];
	char seen_hex[2 * RATLS_REPORT_DATA_SIZE + 1], expected_hex[2 * RATLS_REPORT_DATA_SIZE + 1];
	int rc;

	for (int i = 0; i < 5; i++) {
		if (memcmp(f->tcb_info[i], quote_values[i], 48) != 0)
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "tcb_info.%s differs from the quote's value; the report "
					  "was altered after the quote was made",
					  tcb_members[i]);
	}
	if (f->has_report_data && memcmp(f->report_data, td->report_data, sizeof(expected)) != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "report_data differs from the quote's REPORTDATA; the report was "
				  "altered after the quote was made");
	rc = ratls_attestation_report_data_v1(result->wal_lsn, result->controldata_hash,
					      result->timestamp, expected, detail);
	if (rc != RATLS_OK)
		return rc;
	if (memcmp(expected, td->report_data, sizeof(expected)) != 0) {
		ratls_hex_encode(td->report_data, sizeof(expected), seen_hex);
		ratls_hex_encode(expected, sizeof(expected), expected_hex);
		return ratls_fail(detail, RATLS_ERR_KEY_BINDING,
				  "the quote's REPORTDATA %.64s... is not the version 1 binding "
				  "%.64s... of wal_lsn %s, controldata_hash and timestamp %lld; the "
				  "report's PostgreSQL state or timestamp was altered",
				  seen_hex, expected_hex, result->wal_lsn_text,
				  (long long)result->timestamp);
	}
	return RATLS_OK;
}

static int check_freshness(const struct ratls_attestation_report_result *result,
			   const struct ratls_attestation_report_options *options,
			   struct ratls_detail *detail)
{
	int64_t distance = options->now - result->timestamp;

	if (distance < 0)
		distance = -distance;
	if (distance > options->max_skew)
		return ratls_fail(detail, RATLS_ERR_REPORT_STALE,
				  "the report's timestamp %lld is %lld seconds from the verification "
				  "time %lld, more than the maximum skew of %lld; fetch a new report "
				  "or check both clocks",
				  (long long)result->timestamp, (long long)distance,
				  (long long)options->now, (long long)options->max_skew);
	return RATLS_OK;
}

/* Compares one identity member of the report with the replayed event's payload. */
static int check_identity_member(const char *member, const char *event, const char *hex,
				 const uint8_t *value, size_t value_size,
				 struct ratls_detail *detail)
{
	uint8_t claimed[IDENTITY_MAX_SIZE];
	size_t len = strlen(hex);

	if (len == 0)
		return RATLS_OK;
	if (value == NULL)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the report's %s is %.64s but its event log has no \"%s\" event "
				  "before system-ready",
				  member, hex, event);
	if (len != 2 * value_size || ratls_hex_decode_fixed(hex, len, claimed, value_size) !=
					     RATLS_OK ||
	    memcmp(claimed, value, value_size) != 0)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the report's %s %.64s differs from the \"%s\" event of the "
				  "replayed event log",
				  member, hex, event);
	return RATLS_OK;
}

static int check_replay(const struct report_fields *f,
			struct ratls_attestation_report_result *result, struct ratls_detail *detail)
{
	const struct ratls_identity *id = &result->replay.identity;
	int rc;

	if (f->event_log == NULL) {
		for (int i = 0; i < 3; i++) {
			if (f->identity_hex[i][0] != '\0')
				return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
						  "the report claims %s %.64s but carries no event "
						  "log that attests it",
						  identity_members[i], f->identity_hex[i]);
		}
		return RATLS_OK;
	}
	if ((rc = ratls_evidence_replay(result->evidence, &result->replay, detail)) != RATLS_OK)
		return rc;
	result->replayed = true;
	if ((rc = check_identity_member("app_id", "app-id", f->identity_hex[0], id->app_id,
					id->app_id_size, detail)) != RATLS_OK ||
	    (rc = check_identity_member("compose_hash", "compose-hash", f->identity_hex[1],
					id->compose_hash, id->compose_hash_size, detail)) !=
		    RATLS_OK)
		return rc;
	return check_identity_member("instance_id", "instance-id", f->identity_hex[2],
				     id->has_instance_id ? id->instance_id : NULL,
				     id->instance_id_size, detail);
}

void ratls_attestation_report_result_clear(struct ratls_attestation_report_result *result)
{
	if (result == NULL)
		return;
	ratls_evidence_free(result->evidence);
	memset(result, 0, sizeof(*result));
}

/* Parses json and decodes the evidence; the "parse" step. */
static int parse_report(const uint8_t *json, size_t size, json_t **root,
			struct report_fields *fields,
			struct ratls_attestation_report_result *result,
			struct ratls_detail *detail)
{
	json_error_t error;
	int rc;

	if (size > RATLS_ATTESTATION_REPORT_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the report has %zu bytes, more than the maximum of %d", size,
				  RATLS_ATTESTATION_REPORT_MAX_SIZE);
	*root = json_loadb((const char *)json, size, JSON_REJECT_DUPLICATES, &error);
	if (*root == NULL)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "the report is not valid JSON (line %d, column %d: %s)", error.line,
				  error.column, error.text);
	if (!json_is_object(*root))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "the report is not a JSON object");
	if ((rc = read_fields(*root, fields, result, detail)) != RATLS_OK)
		return rc;
	return decode_evidence(fields, result, detail);
}

int ratls_attestation_report_verify(const uint8_t *json, size_t size,
				    const struct ratls_attestation_report_options *options,
				    struct ratls_attestation_report_result *result,
				    struct ratls_detail *detail)
{
	struct report_fields fields;
	json_t *root = NULL;
	int rc;

	if (result == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "result is NULL");
	memset(result, 0, sizeof(*result));
	memset(&fields, 0, sizeof(fields));
	result->failed_step = "parse";
	if (json == NULL || options == NULL || options->verifier == NULL ||
	    options->verifier->verify_quote == NULL || options->max_skew <= 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the report, a verifier backend and a positive max_skew are "
				  "required");
	if ((rc = parse_report(json, size, &root, &fields, result, detail)) != RATLS_OK)
		goto out;

	result->failed_step = "quote";
	rc = options->verifier->verify_quote(options->verifier->arg, result->evidence->quote,
					     result->evidence->quote_size, options->now,
					     &result->report, detail);
	if (rc != RATLS_OK)
		goto out;
	if ((rc = check_report_matches_quote(result->evidence, &result->report, detail)) !=
	    RATLS_OK)
		goto out;

	result->failed_step = "binding";
	if ((rc = check_binding(&fields, result, detail)) != RATLS_OK)
		goto out;
	result->failed_step = "freshness";
	if ((rc = check_freshness(result, options, detail)) != RATLS_OK)
		goto out;
	result->failed_step = "replay";
	if ((rc = check_replay(&fields, result, detail)) != RATLS_OK)
		goto out;

	result->failed_step = "policy";
	if ((rc = ratls_policy_appraise(options->policy, &result->report, detail)) != RATLS_OK)
		goto out;
	rc = ratls_policy_appraise_identity(options->policy,
					    result->replayed ? &result->replay.identity : NULL,
					    detail);
	if (rc != RATLS_OK)
		goto out;
	result->failed_step = NULL;
	rc = RATLS_OK;
out:
	json_decref(root);
	return rc;
}
