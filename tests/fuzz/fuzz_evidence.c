/*
 * Fuzzes the evidence decoders with the same input: the VersionedAttestation
 * decoder (V0 SCALE and V1 msgpack), the JSON event log parser, the GetQuote
 * response decoder, the AppInfo decoder and the certificate extractor, then
 * replays whatever decodes. A V0 envelope that decodes must encode back to
 * the same bytes, since SCALE has exactly one encoding per value.
 */
#include <stdlib.h>
#include <string.h>

#include "ratls/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const struct ratls_evidence *ev)
{
	struct ratls_detail detail = {0};
	struct ratls_replay result;

	if (ratls_evidence_replay(ev, &result, &detail) != RATLS_OK && result.identity_valid)
		abort();
}

static void check_v0_round_trip(const struct ratls_evidence *ev, const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	uint8_t *again = NULL;
	size_t again_size = 0;

	if (ev->format != RATLS_EVIDENCE_V0_SCALE)
		return;
	if (ratls_evidence_encode_v0(ev->quote, ev->quote_size, ev->events, ev->event_count,
				     ev->runtime_events, ev->runtime_event_count, ev->report_data,
				     ev->config, ev->config_size, &again, &again_size,
				     &detail) != RATLS_OK)
		abort();
	if (again_size != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_evidence *ev = NULL;
	struct ratls_tdx_event *events = NULL;
	struct ratls_app_info info;
	size_t count = 0;

	if (ratls_evidence_from_attestation(data, size, &ev, &detail) == RATLS_OK) {
		check_v0_round_trip(ev, data, size);
		replay(ev);
		ratls_evidence_free(ev);
		ev = NULL;
	}

	memset(&detail, 0, sizeof(detail));
	if (ratls_evidence_parse_event_log(data, size, &events, &count, &detail) == RATLS_OK)
		ratls_evidence_free_events(events, count);

	memset(&detail, 0, sizeof(detail));
	if (ratls_evidence_from_getquote(data, size, &ev, &detail) == RATLS_OK) {
		replay(ev);
		ratls_evidence_free(ev);
		ev = NULL;
	}

	memset(&detail, 0, sizeof(detail));
	if (ratls_evidence_decode_app_info(data, size, &info, &detail) == RATLS_OK &&
	    (info.app_id < data || info.app_id + info.app_id_size > data + size))
		abort();

	memset(&detail, 0, sizeof(detail));
	if (ratls_evidence_from_cert(data, size, &ev, &detail) == RATLS_OK) {
		int rc;

		memset(&detail, 0, sizeof(detail));
		rc = ratls_evidence_check_cert_binding(ev, &detail);
		if (rc != RATLS_OK && rc != RATLS_ERR_KEY_BINDING)
			abort();
		replay(ev);
		ratls_evidence_free(ev);
	}
	return 0;
}
