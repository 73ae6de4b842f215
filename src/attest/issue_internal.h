/*
 * Issuing inside ratls: the certificate building of ratls_issue_cert
 * without attestation evidence, for servers that present a plain
 * certificate. Not part of the public API.
 */
#ifndef RATLS_ATTEST_ISSUE_INTERNAL_H
#define RATLS_ATTEST_ISSUE_INTERNAL_H

#include "ratls/attest.h"

/*
 * Creates a P-256 key and a self-signed certificate shaped like those of
 * ratls_issue_cert (names, validity, KeyUsage, EKU, subjectAltName) but
 * without any dstack extension; the quote source and the evidence fields of
 * params are ignored. Same outputs and errors as ratls_issue_cert.
 */
RATLS_MUST_CHECK int ratls_issue_plain_cert(const struct ratls_issue_params *params,
					    uint8_t **cert_der, size_t *cert_der_size,
					    char **key_pem, size_t *key_pem_size,
					    struct ratls_detail *detail);

#endif
