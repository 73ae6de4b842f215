/* The JSON body of GET /attestation (the format is described in ratls/report.h). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "ratls/quote.h"
#include "report_json.h"

static json_t *hex_string(const uint8_t *data, size_t size)
{
	char *hex = malloc(2 * size + 1);
	json_t *value;

	if (hex == NULL)
		return NULL;
	ratls_hex_encode(data, size, hex);
	value = json_string(hex);
	free(hex);
	return value;
}

/* Adds value under name, taking its reference; a NULL value means out of memory. */
static bool set(json_t *object, const char *name, json_t *value)
{
	return value != NULL && json_object_set_new(object, name, value) == 0;
}

static json_t *tcb_info(const struct ratls_quote *quote)
{
	json_t *tcb = json_object();
	char name[8];

	if (tcb == NULL || !set(tcb, "mrtd", hex_string(quote->td.mr_td, 48))) {
		json_decref(tcb);
		return NULL;
	}
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "rtmr%d", i);
		if (!set(tcb, name, hex_string(quote->td.rtmr[i], 48))) {
			json_decref(tcb);
			return NULL;
		}
	}
	return tcb;
}

static json_t *postgres_state(const struct sidecar_pg_state *pg)
{
	json_t *state = json_object();

	if (state == NULL || !set(state, "wal_lsn", json_string(pg->wal_lsn_text)) ||
	    !set(state, "controldata_hash", hex_string(pg->controldata_hash, 32)) ||
	    !set(state, "pg_version", json_string(pg->pg_version))) {
		json_decref(state);
		return NULL;
	}
	return state;
}

int sidecar_attestation_json(const struct sidecar_attestation_parts *parts, char **out,
			     struct ratls_detail *detail)
{
	struct ratls_quote quote;
	json_t *root = NULL, *log = json_null();
	bool ok;
	int rc;

	*out = NULL;
	if ((rc = ratls_quote_parse(parts->quote, parts->quote_size, &quote, detail)) != RATLS_OK)
		return rc;
	if (parts->event_log_json != NULL) {
		json_decref(log);
		log = json_loads(parts->event_log_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_array(log)) {
			json_decref(log);
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "the quote source's event log is not a JSON array");
		}
	}
	root = json_object();
	ok = root != NULL &&
	     set(root, "report_data_version", json_integer(RATLS_ATTESTATION_REPORT_DATA_V1)) &&
	     set(root, "timestamp", json_integer(parts->timestamp)) &&
	     set(root, "quote", hex_string(parts->quote, parts->quote_size)) &&
	     set(root, "report_data", hex_string(quote.td.report_data, RATLS_REPORT_DATA_SIZE)) &&
	     set(root, "tcb_info", tcb_info(&quote)) &&
	     set(root, "postgres_state", postgres_state(parts->pg)) &&
	     set(root, "app_id", json_string(parts->app_id)) &&
	     set(root, "compose_hash", json_string(parts->compose_hash)) &&
	     set(root, "instance_id", json_string(parts->instance_id));
	if (ok)
		ok = set(root, "event_log", log);
	log = NULL; /* json_object_set_new takes the reference, on failure too */
	if (!ok) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building the report");
		goto out;
	}
	*out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = *out != NULL ? RATLS_OK
			  : ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building the report");
out:
	json_decref(log);
	json_decref(root);
	return rc;
}
