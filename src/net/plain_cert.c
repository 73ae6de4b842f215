/*
 * Self-signed certificates without attestation evidence, for a server that
 * runs without a quote source (the dstack simulator's behaviour). Clients
 * accept them only with allow_simulator.
 */
#include "attest/issue_internal.h"
#include "base/fail.h"
#include "net/tls_server.h"

int ratls_net_plain_cert_issue(const char *common_name, const char *const *dns_names,
			       size_t dns_name_count, int64_t not_before, int64_t not_after,
			       uint8_t **cert_der, size_t *cert_der_size, char **key_pem,
			       size_t *key_pem_size, struct ratls_detail *detail)
{
	struct ratls_issue_params params = {0};

	if (common_name == NULL || cert_der == NULL || cert_der_size == NULL || key_pem == NULL ||
	    key_pem_size == NULL || (dns_name_count > 0 && dns_names == NULL) ||
	    not_after <= not_before)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "a common name, outputs and notBefore < notAfter are required");
	params.common_name = common_name;
	params.dns_names = dns_names;
	params.dns_name_count = dns_name_count;
	params.not_before = not_before;
	params.not_after = not_after;
	return ratls_issue_plain_cert(&params, cert_der, cert_der_size, key_pem, key_pem_size,
				      detail);
}
