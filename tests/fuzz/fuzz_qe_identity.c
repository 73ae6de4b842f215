/*
 * Fuzzes the enclave identity parser with the input as an enclaveIdentity
 * object, and the PCS body path with the input as a body.
 */
#include <stdlib.h>
#include <string.h>

#include "ratls/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_qe_identity *identity = NULL;
	struct ratls_collateral *collateral = ratls_collateral_new();
	const uint8_t *raw = NULL;
	size_t raw_size = 0;
	int raw_rc;

	if (ratls_qe_identity_parse(data, size, &identity, &detail) == RATLS_OK)
		ratls_qe_identity_free(identity);

	raw_rc = ratls_json_member_raw(data, size, "enclaveIdentity", &raw, &raw_size, NULL);
	if (raw_rc == RATLS_OK && (raw < data || raw_size > size - (size_t)(raw - data)))
		abort(); /* the span must lie inside the input */

	if (collateral != NULL &&
	    ratls_collateral_set_qe_identity(collateral, data, size, NULL) == RATLS_OK &&
	    (raw_rc != RATLS_OK || collateral->qe_identity.body_size != raw_size ||
	     memcmp(collateral->qe_identity.body, raw, raw_size) != 0))
		abort();
	ratls_collateral_free(collateral);
	return 0;
}
