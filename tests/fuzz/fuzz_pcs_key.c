/*
 * Fuzzes the reader of a PCK certificate's collateral key (FMSPC and
 * issuing CA, read with the strict DER reader before the certificate is
 * verified), and the same key read from a whole quote. A failure must leave
 * the key untouched and record its code in the detail.
 */
#include <stdlib.h>
#include <string.h>

#include "collateral/pcs_internal.h"
#include "ratls/pcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key, untouched;
	int rc;

	memset(&key, 0xa5, sizeof(key));
	memset(&untouched, 0xa5, sizeof(untouched));
	rc = ratls_pcs_pck_cert_key(data, size, &key, &detail);
	if (rc != RATLS_OK && (detail.code != rc || memcmp(&key, &untouched, sizeof(key)) != 0))
		abort();

	memset(&detail, 0, sizeof(detail));
	memset(&key, 0xa5, sizeof(key));
	rc = ratls_pcs_key_from_quote(data, size, &key, &detail);
	if (rc != RATLS_OK && detail.code != rc)
		abort();
	return 0;
}
