/* Intel PCS response header names and the URL encoding of their issuer chains. */
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "sim_internal.h"

const char *ratls_sim_pcs_header_name(enum ratls_sim_pcs_header header)
{
	switch (header) {
	case RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN:
		return "TCB-Info-Issuer-Chain";
	case RATLS_SIM_HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN:
		return "SGX-Enclave-Identity-Issuer-Chain";
	case RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN:
		return "SGX-PCK-CRL-Issuer-Chain";
	}
	return NULL;
}

/* RFC 3986 unreserved characters, which Intel's PCS leaves unescaped. */
static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int ratls_sim_url_encode(const char *text, size_t text_len, char **out, size_t *out_len,
			 struct ratls_detail *detail)
{
	static const char digits[] = "0123456789ABCDEF";
	struct ratls_sim_buf buf;
	uint8_t *data = NULL;
	size_t size = 0;
	int rc;

	if (text == NULL || out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "text and out must not be NULL");
	/* Encoded text is at most three times as long as the input. */
	if (text_len > RATLS_CHAIN_MAX_SIZE)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "text to URL-encode is %zu bytes; the issuer chain limit is %d",
				  text_len, RATLS_CHAIN_MAX_SIZE);

	ratls_sim_buf_init(&buf, 3 * (size_t)RATLS_CHAIN_MAX_SIZE);
	for (size_t i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (is_unreserved(c)) {
			ratls_sim_buf_append(&buf, &c, 1);
		} else {
			char escape[3] = {'%', digits[c >> 4], digits[c & 0x0f]};

			ratls_sim_buf_append(&buf, escape, sizeof(escape));
		}
	}
	if ((rc = ratls_sim_buf_finish(&buf, &data, &size, "URL-encoded text", detail)) != RATLS_OK)
		return rc;
	*out = (char *)data;
	if (out_len != NULL)
		*out_len = size;
	return RATLS_OK;
}
