/*
 * Fuzzes the parser of the PCK certificate SGX extension value (the DER
 * content of OID 1.2.840.113741.1.13.1). A failure must leave the output
 * untouched and record its code in the detail.
 */
#include <stdlib.h>
#include <string.h>

#include "ratls/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_pck_info info;
	struct ratls_pck_info untouched;
	int rc;

	memset(&info, 0xa5, sizeof(info));
	memset(&untouched, 0xa5, sizeof(untouched));
	rc = ratls_pck_info_parse(data, size, &info, &detail);
	if (rc != RATLS_OK && (detail.code != rc || memcmp(&info, &untouched, sizeof(info)) != 0))
		abort();
	return 0;
}
