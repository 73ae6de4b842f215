/*
 * A local look-alike of Intel Trust Authority for tests: libevent's evhttp
 * on 127.0.0.1 (ephemeral port) in its own thread. POST
 * /appraisal/v1|v2/attest parses the quote it receives with
 * ratls_quote_parse and returns a JWT built from it, signed by an RSA key
 * generated at start; GET /certs serves that key as a JWKS. Switches make
 * it misbehave in one way at a time.
 */
#ifndef RATLS_TEST_ITA_SERVER_H
#define RATLS_TEST_ITA_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The API key the server accepts. */
#define ITA_SERVER_API_KEY "test-api-key-0123456789"

enum ita_layout {
	ITA_LAYOUT_V1 = 1, /* ver 1.0.0, flat claims */
	ITA_LAYOUT_V2 = 2  /* ver 2.0.0, TDX claims inside "tdx" */
};

enum ita_fault {
	ITA_FAULT_NONE = 0,
	ITA_FAULT_WRONG_REPORT_DATA, /* tdx_report_data of another quote */
	ITA_FAULT_WRONG_MRTD,        /* tdx_mrtd of another quote */
	ITA_FAULT_MISSING_CLAIM,     /* the claim set by ita_server_set_missing_claim is left out */
	ITA_FAULT_V2_FLAT,           /* ver 2.0.0 with the TDX claims at the top level */
	ITA_FAULT_EXPIRED,           /* exp ten minutes before now */
	ITA_FAULT_NOT_YET_VALID,     /* nbf and iat ten minutes after now */
	ITA_FAULT_WRONG_KID,         /* a kid that is not in the JWKS */
	ITA_FAULT_ALG_NONE,          /* alg "none" and an empty signature */
	ITA_FAULT_ALG_HS256,         /* HMAC-SHA256 keyed with the public key's PEM */
	ITA_FAULT_WRONG_ISSUER,      /* iss of another service */
	ITA_FAULT_BAD_SIGNATURE,     /* one signature bit flipped */
	ITA_FAULT_JKU_ELSEWHERE,     /* a good token whose jku names /evil/certs */
	ITA_FAULT_JKU_ATTACKER,      /* signed by another key whose JWKS is at jku /evil/certs */
	ITA_FAULT_DEBUG_CLAIM,       /* tdx_is_debuggable true for a quote that is not */
	ITA_FAULT_HTTP_401,          /* 401 with a body that echoes the API key */
	ITA_FAULT_HTTP_429_ONCE,     /* 429 with Retry-After: 1, then normal responses */
	ITA_FAULT_HTTP_500_ONCE,     /* 500 once, then normal responses */
	ITA_FAULT_HTTP_500,          /* 500 every time */
	ITA_FAULT_HANG,              /* never sends a response */
	ITA_FAULT_OVERSIZE           /* a body one byte over the client's limit */
};

enum ita_endpoint {
	ITA_EP_ATTEST = 0,
	ITA_EP_JWKS = 1,
	ITA_EP_EVIL = 2, /* /evil/certs, the jku of the attacker */
	ITA_EP_OTHER = 3,
	ITA_EP_COUNT = 4
};

struct ita_server;

/*
 * Starts a server that issues tokens at Unix time now. Returns NULL (with a
 * message on stderr) on failure.
 */
struct ita_server *ita_server_start(int64_t now);
void ita_server_stop(struct ita_server *server);

/* "http://127.0.0.1:PORT", the base URL; valid as long as the server. */
const char *ita_server_url(const struct ita_server *server);
/* "http://127.0.0.1:PORT/certs". */
const char *ita_server_jwks_url(const struct ita_server *server);

void ita_server_set_now(struct ita_server *server, int64_t now);
void ita_server_set_fault(struct ita_server *server, enum ita_fault fault);
/* The layout of tokens from /appraisal/v2/attest; /v1 always returns ITA_LAYOUT_V1. */
void ita_server_set_layout(struct ita_server *server, enum ita_layout layout);
/*
 * The claim ITA_FAULT_MISSING_CLAIM leaves out, at the top level and in the
 * TDX claims; "debug" leaves out tdx_is_debuggable, tdx_td_attributes_debug
 * and dbgstat together.
 */
void ita_server_set_missing_claim(struct ita_server *server, const char *name);
/* The attester_tcb_status of the tokens (default "UpToDate"). */
void ita_server_set_tcb_status(struct ita_server *server, const char *status);
/* Adds an x5c chain (leaf, root) to the JWKS key. */
void ita_server_set_x5c(struct ita_server *server, bool on);

/* The DER root certificate of the x5c chain (static for the server's life). */
void ita_server_root_der(const struct ita_server *server, const uint8_t **der, size_t *size);

/* Requests received at an endpoint. */
unsigned ita_server_count(struct ita_server *server, enum ita_endpoint endpoint);

/* What the last attestation request carried, copied into buf. */
enum ita_request_part {
	ITA_PART_API_KEY,       /* the x-api-key header */
	ITA_PART_REQUEST_ID,    /* the request-id header */
	ITA_PART_CONTENT_TYPE,  /* the Content-Type header */
	ITA_PART_ACCEPT,        /* the Accept header */
	ITA_PART_SIGNING_ALG,   /* token_signing_alg from the body */
	ITA_PART_PATH           /* the request path */
};
void ita_server_last(struct ita_server *server, enum ita_request_part part, char *buf,
		     size_t size);

#endif
