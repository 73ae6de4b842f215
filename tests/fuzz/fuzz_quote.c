/*
 * Fuzzes the quote parser and the PCK chain accessor. Every view they return
 * must lie inside the input, and the parsed parts must add up to its size.
 */
#include <stdlib.h>

#include "ratls/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	return p >= data && p <= data + size && n <= size - (size_t)(p - data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_detail detail = {0};
	struct ratls_quote quote;
	const uint8_t *pem = NULL;
	size_t pem_size = 0;

	if (ratls_quote_parse(data, size, &quote, &detail) != RATLS_OK)
		return 0;
	if (quote.signed_size + 4 + quote.signature_data_size + quote.trailing_size != size ||
	    !inside(data, size, quote.cert_data, quote.cert_data_size) ||
	    !inside(data, size, quote.pck_cert_data, quote.pck_cert_data_size) ||
	    (quote.has_qe_report &&
	     !inside(data, size, quote.qe_auth_data, quote.qe_auth_data_size)))
		abort();
	if (ratls_quote_pck_chain(&quote, &pem, &pem_size, &detail) == RATLS_OK &&
	    !inside(data, size, pem, pem_size))
		abort();
	return 0;
}
