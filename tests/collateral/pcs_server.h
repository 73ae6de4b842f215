/*
 * A local look-alike of Intel's PCS v4 collateral API, or of a PCCS, for
 * tests and benchmarks: libevent's evhttp on 127.0.0.1 (ephemeral port) in
 * its own thread. It serves the simulated platform's collateral, or a fixed
 * collateral set such as a real Intel bundle, with Intel's paths, query
 * parameters, issuer chain headers and CRL encodings, counts the requests
 * per endpoint and can be set to misbehave.
 */
#ifndef RATLS_TEST_PCS_SERVER_H
#define RATLS_TEST_PCS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/pcs.h"
#include "ratls/sim.h"

/* Service the server imitates. */
enum pcs_server_mode {
	PCS_MODE_INTEL = 1, /* PEM or DER PCK CRL, root CA CRL at /IntelSGXRootCA.der */
	PCS_MODE_PCCS = 2   /* hex PCK CRL unless encoding=der, hex root CA CRL at .../rootcacrl */
};

enum pcs_endpoint {
	PCS_EP_TCB_INFO = 0,
	PCS_EP_QE_IDENTITY = 1,
	PCS_EP_PCK_CRL = 2,
	PCS_EP_ROOT_CRL = 3,
	PCS_EP_OTHER = 4, /* any other path */
	PCS_EP_COUNT = 5
};

/* Bit masks of endpoints for pcs_server_set_fault. */
#define PCS_EP_BIT(ep) (1u << (ep))
#define PCS_EP_ALL_BITS 0x1fu

enum pcs_fault {
	PCS_FAULT_NONE = 0,
	PCS_FAULT_404,              /* status 404 */
	PCS_FAULT_500,              /* status 500 */
	PCS_FAULT_HANG,             /* never answers */
	PCS_FAULT_TRUNCATE,         /* a complete response with the first half of the body */
	PCS_FAULT_CUT,              /* declares the full length, sends half and closes */
	PCS_FAULT_WRONG_CHAIN,      /* the issuer chain header names the wrong signer */
	PCS_FAULT_BAD_HEADER,       /* an issuer chain header that is not URL-encoded PEM */
	PCS_FAULT_NO_HEADER,        /* no issuer chain header */
	PCS_FAULT_LEGACY_HEADER,    /* TCB info chain under the v3 name SGX-TCB-Info-Issuer-Chain */
	PCS_FAULT_OVERSIZE,         /* a body one byte over the client's limit, Content-Length set */
	PCS_FAULT_OVERSIZE_CHUNKED, /* the same with chunked transfer encoding, no length */
	PCS_FAULT_OTHER_VARIANT     /* the other TEE's TCB info and QE identity, the other CA's CRL */
};

struct pcs_server;

/*
 * Starts a server for platform's collateral issued at now, for both TEE
 * types and both PCK CAs. Returns NULL (with a message on stderr) on
 * failure. platform must outlive the server.
 */
struct pcs_server *pcs_server_start_sim(const struct ratls_sim_platform *platform, int64_t now,
					enum pcs_server_mode mode);

/* Starts a server for one fixed collateral set, served for key only. */
struct pcs_server *pcs_server_start_collateral(const struct ratls_collateral *collateral,
					       const struct ratls_pcs_key *key,
					       enum pcs_server_mode mode);

void pcs_server_stop(struct pcs_server *server);

/* "http://127.0.0.1:PORT"; valid as long as the server. */
const char *pcs_server_url(const struct pcs_server *server);
/* The root CA CRL URL of the Intel mode ("http://127.0.0.1:PORT/IntelSGXRootCA.der"). */
const char *pcs_server_root_crl_url(const struct pcs_server *server);

/* Issues the simulated platform's collateral again at now; returns 0 on success. */
int pcs_server_set_now(struct pcs_server *server, int64_t now);

/* Makes the endpoints in the mask misbehave; PCS_FAULT_NONE restores them. */
void pcs_server_set_fault(struct pcs_server *server, enum pcs_fault fault, unsigned endpoints);

/* Delays every response by ms milliseconds (without blocking the server). */
void pcs_server_set_delay_ms(struct pcs_server *server, unsigned ms);

/* Requests received at an endpoint, or at all endpoints for PCS_EP_COUNT. */
unsigned pcs_server_count(struct pcs_server *server, enum pcs_endpoint endpoint);

/* Copies the query string of the last request to an endpoint ("" when none). */
void pcs_server_last_query(struct pcs_server *server, enum pcs_endpoint endpoint, char *buf,
			   size_t size);

#endif
