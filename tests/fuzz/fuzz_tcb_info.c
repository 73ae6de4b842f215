/*
 * Fuzzes the TCB info parser with the input as a tcbInfo object, and the PCS
 * body path (raw member scanner, jansson, parser) with the input as a body.
 */
#include <stdlib.h>
#include <string.h>

#include "ratls/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;
	struct ratls_collateral *collateral = ratls_collateral_new();
	const uint8_t *raw = NULL;
	size_t raw_size = 0;
	int raw_rc;

	if (ratls_tcb_info_parse(data, size, &info, &detail) == RATLS_OK)
		ratls_tcb_info_free(info);

	raw_rc = ratls_json_member_raw(data, size, "tcbInfo", &raw, &raw_size, NULL);
	if (raw_rc == RATLS_OK && (raw < data || raw_size > size - (size_t)(raw - data)))
		abort(); /* the span must lie inside the input */

	/* A body the setter accepts keeps exactly the span the scanner finds. */
	if (collateral != NULL &&
	    ratls_collateral_set_tcb_info(collateral, data, size, NULL) == RATLS_OK &&
	    (raw_rc != RATLS_OK || collateral->tcb_info.body_size != raw_size ||
	     memcmp(collateral->tcb_info.body, raw, raw_size) != 0))
		abort();
	ratls_collateral_free(collateral);
	return 0;
}
