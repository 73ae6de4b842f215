/*
 * Fuzzes bundle loading and checks that an accepted bundle writes and reads
 * back byte for byte. Also feeds the input to the CRL and chain setters.
 */
#include <stdlib.h>
#include <string.h>

#include "ratls/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_collateral *first = ratls_collateral_new();
	struct ratls_collateral *second = ratls_collateral_new();
	char *text = NULL;
	char *text_again = NULL;

	if (first == NULL || second == NULL)
		abort();
	if (ratls_collateral_load_bundle(first, data, size, NULL) == RATLS_OK) {
		if (ratls_collateral_write_bundle(first, &text, NULL) != RATLS_OK ||
		    ratls_collateral_load_bundle(second, (const uint8_t *)text, strlen(text),
						 NULL) != RATLS_OK ||
		    ratls_collateral_write_bundle(second, &text_again, NULL) != RATLS_OK ||
		    strcmp(text, text_again) != 0)
			abort();
	}
	(void)ratls_collateral_set_crl(first, RATLS_CRL_PCK, data, size, NULL);
	(void)ratls_collateral_set_chain(first, RATLS_CHAIN_PCK, data, size, NULL);

	free(text);
	free(text_again);
	ratls_collateral_free(first);
	ratls_collateral_free(second);
	return 0;
}
