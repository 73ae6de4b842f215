/* Writing the JSON body of GET /attestation. */
#ifndef SIDECAR_REPORT_JSON_H
#define SIDECAR_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "postgres.h"
#include "ratls/error.h"
#include "ratls/report.h"

/* The parts of one report. */
struct sidecar_attestation_parts {
	const uint8_t *quote; /* made with ratls_attestation_report_data_v1 of pg and timestamp */
	size_t quote_size;
	const struct sidecar_pg_state *pg;
	int64_t timestamp;
	const char *event_log_json; /* JSON array text, or NULL: "event_log": null */
	const char *app_id;         /* hex or "" */
	const char *compose_hash;
	const char *instance_id;
};

/*
 * Writes the report as compact JSON in *out (freed with free()). The
 * tcb_info and report_data members are copied from the quote.
 */
int sidecar_attestation_json(const struct sidecar_attestation_parts *parts, char **out,
			     struct ratls_detail *detail);

#endif
