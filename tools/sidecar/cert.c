/* Issuing the sidecar's certificate from its quote source. */
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "cert.h"
#include "net/tls_server.h"
#include "ratls/attest.h"

void sidecar_cert_clear(struct sidecar_cert *cert)
{
	free(cert->der);
	ratls_issue_free_key(cert->key_pem, cert->key_pem_size);
	memset(cert, 0, sizeof(*cert));
}

static int issue_once(struct sidecar_source *source, const struct ratls_issue_params *base,
		      struct sidecar_cert *out, struct ratls_detail *detail)
{
	struct ratls_issue_params params = *base;
	const struct sidecar_evidence *evidence = &source->evidence;

	params.quote_source = sidecar_source_quote_fn;
	params.quote_source_arg = source;
	params.events = evidence->events;
	params.event_count = evidence->event_count;
	params.runtime_events = evidence->runtime_events;
	params.runtime_event_count = evidence->runtime_event_count;
	params.config = evidence->config;
	params.config_size = evidence->config_size;
	return ratls_issue_cert(&params, &out->der, &out->der_size, &out->key_pem,
				&out->key_pem_size, detail);
}

/*
 * Issues with the evidence current before the quote is requested, and
 * again when the quote request brought a newer event log.
 */
static int issue_attested(struct sidecar_source *source, const struct ratls_issue_params *params,
			  struct sidecar_cert *out, struct ratls_detail *detail)
{
	for (int attempt = 1; attempt <= SIDECAR_CERT_ISSUE_ATTEMPTS; attempt++) {
		uint64_t generation;
		int rc;

		if (source->refresh != NULL && (rc = source->refresh(source, detail)) != RATLS_OK)
			return rc;
		generation = source->evidence_generation;
		/*
		 * ratls_issue_cert replays the events against the quote, so a log that
		 * grew during the call may also make it fail; both cases retry.
		 */
		rc = issue_once(source, params, out, detail);
		if (source->evidence_generation == generation) {
			if (rc == RATLS_OK)
				out->attested = true;
			return rc;
		}
		sidecar_cert_clear(out);
		if (detail != NULL && rc != RATLS_OK)
			ratls_detail_clear(detail);
	}
	return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
			  "the event log changed during each of %d attempts to issue the "
			  "certificate; retry when the application has finished emitting events",
			  SIDECAR_CERT_ISSUE_ATTEMPTS);
}

int sidecar_cert_issue(struct sidecar_source *source, const struct sidecar_config *config,
		       int64_t now, struct sidecar_cert *out, struct ratls_detail *detail)
{
	struct ratls_issue_params params;
	int64_t validity = 2 * config->rotate_interval;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&params, 0, sizeof(params));
	if (validity < SIDECAR_CERT_MIN_VALIDITY)
		validity = SIDECAR_CERT_MIN_VALIDITY;
	params.common_name = config->common_name;
	params.dns_names = config->dns_names.items;
	params.dns_name_count = config->dns_names.count;
	params.not_before = now - SIDECAR_CERT_BACKDATE;
	params.not_after = now + validity;

	if (source->kind == SIDECAR_SOURCE_NONE)
		rc = ratls_net_plain_cert_issue(config->common_name, config->dns_names.items,
						config->dns_names.count, params.not_before,
						params.not_after, &out->der, &out->der_size,
						&out->key_pem, &out->key_pem_size, detail);
	else
		rc = issue_attested(source, &params, out, detail);
	if (rc != RATLS_OK) {
		sidecar_cert_clear(out);
		return rc;
	}
	out->not_before = params.not_before;
	out->not_after = params.not_after;
	return RATLS_OK;
}
