/* Quote verification with collateral from the provider, and its verifier backend. */
#include <stdint.h>

#include "base/fail.h"
#include "pcs_internal.h"

int ratls_pcs_verify_quote(struct ratls_pcs_provider *provider, const uint8_t *quote,
			   size_t quote_size, int64_t now, struct ratls_verified_report *report,
			   struct ratls_detail *detail)
{
	struct ratls_pcs_entry *entry = NULL;
	struct ratls_pcs_key key;
	int64_t verify_time = now;
	int rc;

	if (provider == NULL || report == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_pcs_verify_quote: provider and report must not be NULL");
	if ((rc = ratls_pcs_key_from_quote(quote, quote_size, &key, detail)) != RATLS_OK)
		return rc;
	rc = ratls_pcs_cache_acquire(provider, &key, now, &entry, &verify_time, detail);
	if (rc != RATLS_OK)
		return rc;
	rc = ratls_dcap_context_verify(entry->ctx, quote, quote_size, verify_time, report, detail);
	ratls_pcs_entry_release(entry);
	return rc;
}

static int pcs_verify_quote(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			    struct ratls_verified_report *report, struct ratls_detail *detail)
{
	return ratls_pcs_verify_quote(arg, quote, quote_size, now, report, detail);
}

void ratls_verifier_init_pcs(struct ratls_verifier *verifier, struct ratls_pcs_provider *provider)
{
	verifier->name = "dcap-pcs";
	verifier->verify_quote = pcs_verify_quote;
	verifier->arg = provider;
}
