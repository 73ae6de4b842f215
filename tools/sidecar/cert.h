/*
 * The sidecar's TLS identity: a new P-256 key and a self-signed RA-TLS
 * certificate whose quote binds the key, issued at start-up and on every
 * rotation. With the "none" source the certificate carries no evidence.
 */
#ifndef SIDECAR_CERT_H
#define SIDECAR_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ratls/error.h"
#include "source.h"

/*
 * Times a certificate is issued again when the guest agent's event log
 * changed while it was issued (an application emitted an event), so that
 * the certificate's log always matches its quote.
 */
#define SIDECAR_CERT_ISSUE_ATTEMPTS 3

/* Seconds before now that notBefore is set, for clients whose clock is behind. */
#define SIDECAR_CERT_BACKDATE 3600

/* Shortest validity after notBefore's backdating, in seconds: one day. */
#define SIDECAR_CERT_MIN_VALIDITY 86400

struct sidecar_cert {
	uint8_t *der;
	size_t der_size;
	char *key_pem; /* secret: wiped by sidecar_cert_clear */
	size_t key_pem_size;
	int64_t not_before;
	int64_t not_after;
	/* True when the certificate carries a quote. */
	bool attested;
};

/*
 * Issues a certificate at time now. It stays valid for twice the rotation
 * interval (at least SIDECAR_CERT_MIN_VALIDITY), so a failed rotation
 * leaves time to retry. The caller serialises calls that use source.
 */
int sidecar_cert_issue(struct sidecar_source *source, const struct sidecar_config *config,
		       int64_t now, struct sidecar_cert *out, struct ratls_detail *detail);

/* Wipes the key and frees everything; cert may be partly filled. */
void sidecar_cert_clear(struct sidecar_cert *cert);

#endif
