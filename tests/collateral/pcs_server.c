/*
 * A local look-alike of Intel's PCS v4 collateral endpoints and of a PCCS,
 * on libevent's evhttp. See pcs_server.h.
 *
 * Response shapes follow Intel's PCS v4 API and the PCCS sources: TCB info
 * and QE identity as {"tcbInfo"|"enclaveIdentity":{...},"signature":"hex"}
 * with the signer chain (TCB signing certificate, root) URL-encoded in a
 * header; the PCK CRL as PEM (Intel, default), DER (encoding=der) or hex
 * text of the DER (PCCS default); the root CA CRL as DER at Intel's
 * distribution point path or as hex text at the PCCS's /rootcacrl.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "pcs_server.h"

#define QUERY_COPY_SIZE 256

/* Everything the server serves, indexed by enum ratls_pcs_tee and enum ratls_pcs_ca (1, 2). */
struct served {
	uint8_t fmspc[6];
	bool has_tee[3];
	uint8_t *tcb_info[3];
	size_t tcb_info_size[3];
	uint8_t *qe_identity[3];
	size_t qe_identity_size[3];
	char *signer_chain; /* URL-encoded PEM: TCB signing certificate, root */
	bool has_ca[3];
	uint8_t *pck_crl[3]; /* DER */
	size_t pck_crl_size[3];
	char *pck_crl_chain[3]; /* URL-encoded PEM: the PCK CA, root */
	uint8_t *root_crl;      /* DER */
	size_t root_crl_size;
};

struct pcs_server {
	enum pcs_server_mode mode;
	const struct ratls_sim_platform *platform; /* NULL for a fixed collateral set */
	char url[64];
	char root_crl_url[96];

	struct event_base *base;
	struct evhttp *http;
	struct event *stop_event;
	pthread_t thread;

	pthread_mutex_t lock; /* guards everything below */
	struct served *served;
	enum pcs_fault fault;
	unsigned fault_endpoints;
	unsigned delay_ms;
	unsigned counts[PCS_EP_COUNT];
	char last_query[PCS_EP_COUNT][QUERY_COPY_SIZE];
};

/* ---- the served data ---- */

static void served_free(struct served *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < 3; i++) {
		free(s->tcb_info[i]);
		free(s->qe_identity[i]);
		free(s->pck_crl[i]);
		free(s->pck_crl_chain[i]);
	}
	free(s->signer_chain);
	free(s->root_crl);
	free(s);
}

static int url_encode_chain(const struct ratls_sim_cert *signer, const struct ratls_sim_cert *root,
			    char **out)
{
	const struct ratls_sim_cert *chain[2] = {signer, root};
	char *pem = NULL;
	size_t pem_len = 0;
	size_t out_len = 0;
	int rc;

	if ((rc = ratls_sim_chain_pem(chain, 2, &pem, &pem_len, NULL)) != RATLS_OK)
		return rc;
	rc = ratls_sim_url_encode(pem, pem_len, out, &out_len, NULL);
	ratls_sim_free(pem);
	return rc;
}

/* A CRL of the platform's other PCK CA, which the simulated platform does not issue itself. */
static int other_ca_crl(const struct ratls_sim_platform *platform, enum ratls_sim_cert_kind kind,
			int64_t now, struct served *s, enum ratls_pcs_ca ca)
{
	const struct ratls_sim_cert *cert = ratls_sim_platform_get_cert(platform, kind);
	struct ratls_sim_crl_params params;
	int rc;

	ratls_sim_crl_defaults(&params, now);
	rc = ratls_sim_crl_issue(&params, cert, &s->pck_crl[ca], &s->pck_crl_size[ca], NULL);
	if (rc != RATLS_OK)
		return rc;
	return url_encode_chain(cert,
				ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_ROOT_CA),
				&s->pck_crl_chain[ca]);
}

static struct served *served_from_platform(const struct ratls_sim_platform *platform, int64_t now)
{
	const struct ratls_sim_platform_params *params = ratls_sim_platform_get_params(platform);
	enum ratls_pcs_ca own = params->pck_issuer == RATLS_SIM_CERT_PROCESSOR_CA
					? RATLS_PCS_CA_PROCESSOR
					: RATLS_PCS_CA_PLATFORM;
	enum ratls_pcs_ca other =
		own == RATLS_PCS_CA_PLATFORM ? RATLS_PCS_CA_PROCESSOR : RATLS_PCS_CA_PLATFORM;
	struct served *s = calloc(1, sizeof(*s));
	size_t len = 0;
	int rc = RATLS_OK;

	if (s == NULL)
		return NULL;
	memcpy(s->fmspc, params->pck.pck.fmspc, 6);
	for (int tee = RATLS_PCS_TEE_SGX; tee <= RATLS_PCS_TEE_TDX && rc == RATLS_OK; tee++) {
		enum ratls_sim_tee sim_tee =
			tee == RATLS_PCS_TEE_TDX ? RATLS_SIM_TEE_TDX : RATLS_SIM_TEE_SGX;

		s->has_tee[tee] = true;
		rc = ratls_sim_platform_tcb_info(platform, sim_tee, now, &s->tcb_info[tee],
						 &s->tcb_info_size[tee], NULL);
		if (rc == RATLS_OK)
			rc = ratls_sim_platform_qe_identity(platform, sim_tee, now,
							    &s->qe_identity[tee],
							    &s->qe_identity_size[tee], NULL);
	}
	if (rc == RATLS_OK)
		rc = ratls_sim_platform_pcs_header(platform, RATLS_SIM_HEADER_TCB_INFO_ISSUER_CHAIN,
						   &s->signer_chain, &len, NULL);
	if (rc == RATLS_OK)
		rc = ratls_sim_platform_crl(platform, RATLS_CRL_PCK, now, &s->pck_crl[own],
					    &s->pck_crl_size[own], NULL);
	if (rc == RATLS_OK)
		rc = ratls_sim_platform_pcs_header(platform, RATLS_SIM_HEADER_PCK_CRL_ISSUER_CHAIN,
						   &s->pck_crl_chain[own], &len, NULL);
	if (rc == RATLS_OK)
		rc = other_ca_crl(platform,
				  other == RATLS_PCS_CA_PROCESSOR ? RATLS_SIM_CERT_PROCESSOR_CA
								  : RATLS_SIM_CERT_PLATFORM_CA,
				  now, s, other);
	if (rc == RATLS_OK)
		rc = ratls_sim_platform_crl(platform, RATLS_CRL_ROOT, now, &s->root_crl,
					    &s->root_crl_size, NULL);
	s->has_ca[own] = true;
	s->has_ca[other] = true;
	if (rc != RATLS_OK) {
		fprintf(stderr, "pcs_server: issuing the simulated collateral failed: %s\n",
			ratls_error_name(rc));
		served_free(s);
		return NULL;
	}
	return s;
}

/* Rebuilds a PCS response body around the signed bytes of a collateral set. */
static uint8_t *signed_body(const char *member, const struct ratls_signed_json *signed_json,
			    size_t *size)
{
	size_t cap = signed_json->body_size + 256;
	char *body = malloc(cap);
	int n;

	if (body == NULL)
		return NULL;
	n = snprintf(body, cap, "{\"%s\":%.*s,\"signature\":\"", member,
		     (int)signed_json->body_size, (const char *)signed_json->body);
	for (int i = 0; i < 64; i++)
		n += snprintf(body + n, cap - (size_t)n, "%02x", signed_json->signature[i]);
	n += snprintf(body + n, cap - (size_t)n, "\"}");
	*size = (size_t)n;
	return (uint8_t *)body;
}

static uint8_t *copy_bytes(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);

	if (copy != NULL)
		memcpy(copy, data, size);
	return copy;
}

static char *url_encode_text(const char *text)
{
	char *out = NULL;
	size_t len = 0;

	if (text == NULL || ratls_sim_url_encode(text, strlen(text), &out, &len, NULL) != RATLS_OK)
		return NULL;
	return out;
}

static struct served *served_from_collateral(const struct ratls_collateral *c,
					     const struct ratls_pcs_key *key)
{
	struct served *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	memcpy(s->fmspc, key->fmspc, 6);
	s->has_tee[key->tee] = true;
	s->has_ca[key->ca] = true;
	s->tcb_info[key->tee] = signed_body("tcbInfo", &c->tcb_info, &s->tcb_info_size[key->tee]);
	s->qe_identity[key->tee] =
		signed_body("enclaveIdentity", &c->qe_identity, &s->qe_identity_size[key->tee]);
	s->signer_chain = url_encode_text(c->tcb_info_chain);
	s->pck_crl[key->ca] = copy_bytes(c->pck_crl, c->pck_crl_size);
	s->pck_crl_size[key->ca] = c->pck_crl_size;
	s->pck_crl_chain[key->ca] = url_encode_text(c->pck_crl_chain);
	s->root_crl = copy_bytes(c->root_crl, c->root_crl_size);
	s->root_crl_size = c->root_crl_size;
	if (s->tcb_info[key->tee] == NULL || s->qe_identity[key->tee] == NULL ||
	    s->signer_chain == NULL || s->pck_crl[key->ca] == NULL ||
	    s->pck_crl_chain[key->ca] == NULL || s->root_crl == NULL) {
		fprintf(stderr, "pcs_server: the collateral lacks a part or memory ran out\n");
		served_free(s);
		return NULL;
	}
	return s;
}

/* ---- request handling ---- */

/* A response ready to send, possibly after a delay. */
struct reply {
	struct evhttp_request *request;
	int status;
	struct evbuffer *body;
	enum pcs_fault fault;
	size_t full_size; /* PCS_FAULT_CUT: the length declared */
};

static enum pcs_endpoint classify(const char *path, enum pcs_server_mode mode,
				  enum ratls_pcs_tee *tee)
{
	*tee = strncmp(path, "/tdx/", 5) == 0 ? RATLS_PCS_TEE_TDX : RATLS_PCS_TEE_SGX;
	if (strcmp(path, "/sgx/certification/v4/tcb") == 0 ||
	    strcmp(path, "/tdx/certification/v4/tcb") == 0)
		return PCS_EP_TCB_INFO;
	if (strcmp(path, "/sgx/certification/v4/qe/identity") == 0 ||
	    strcmp(path, "/tdx/certification/v4/qe/identity") == 0)
		return PCS_EP_QE_IDENTITY;
	if (strcmp(path, "/sgx/certification/v4/pckcrl") == 0)
		return PCS_EP_PCK_CRL;
	if (mode == PCS_MODE_INTEL && strcmp(path, "/IntelSGXRootCA.der") == 0)
		return PCS_EP_ROOT_CRL;
	if (mode == PCS_MODE_PCCS && strcmp(path, "/sgx/certification/v4/rootcacrl") == 0)
		return PCS_EP_ROOT_CRL;
	return PCS_EP_OTHER;
}

static bool valid_update(const char *update)
{
	return update == NULL || strcmp(update, "standard") == 0 || strcmp(update, "early") == 0;
}

static void add_hex(struct evbuffer *out, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		evbuffer_add_printf(out, "%02x", data[i]);
}

static void add_header(struct reply *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->request), name, value);
}

/* Adds the issuer chain header as the fault requires. */
static void add_chain_header(struct reply *r, const char *name, const char *chain,
			     const char *wrong_chain)
{
	switch (r->fault) {
	case PCS_FAULT_NO_HEADER:
		return;
	case PCS_FAULT_BAD_HEADER:
		add_header(r, name, "%ZZ-----BEGIN%20CERTIFICATE-----%0A%25%25");
		return;
	case PCS_FAULT_WRONG_CHAIN:
		add_header(r, name, wrong_chain);
		return;
	default:
		add_header(r, name, chain);
	}
}

static int answer_json(struct reply *r, const struct served *s, enum pcs_endpoint ep,
		       enum ratls_pcs_tee tee, const struct evkeyvalq *query)
{
	const char *fmspc = evhttp_find_header(query, "fmspc");
	enum ratls_pcs_tee served_tee = tee;
	uint8_t parsed[6];
	const char *header;

	if (!valid_update(evhttp_find_header(query, "update")))
		return 400;
	if (ep == PCS_EP_TCB_INFO) {
		if (fmspc == NULL || strlen(fmspc) != 12)
			return 400;
		for (int i = 0; i < 6; i++) {
			unsigned v = 0;
			char digits[3] = {fmspc[2 * i], fmspc[2 * i + 1], '\0'};
			char *end = NULL;

			v = (unsigned)strtoul(digits, &end, 16);
			if (end != digits + 2)
				return 400;
			parsed[i] = (uint8_t)v;
		}
		if (memcmp(parsed, s->fmspc, 6) != 0)
			return 404;
	}
	if (r->fault == PCS_FAULT_OTHER_VARIANT)
		served_tee = tee == RATLS_PCS_TEE_TDX ? RATLS_PCS_TEE_SGX : RATLS_PCS_TEE_TDX;
	if (!s->has_tee[served_tee])
		return 404;

	if (ep == PCS_EP_TCB_INFO) {
		evbuffer_add(r->body, s->tcb_info[served_tee], s->tcb_info_size[served_tee]);
		header = r->fault == PCS_FAULT_LEGACY_HEADER ? "SGX-TCB-Info-Issuer-Chain"
							      : "TCB-Info-Issuer-Chain";
	} else {
		evbuffer_add(r->body, s->qe_identity[served_tee], s->qe_identity_size[served_tee]);
		header = "SGX-Enclave-Identity-Issuer-Chain";
	}
	add_header(r, "Content-Type", "application/json");
	/* The wrong chain for a signed document: a PCK CA did not sign it. */
	add_chain_header(r, header, s->signer_chain,
			 s->pck_crl_chain[s->has_ca[RATLS_PCS_CA_PLATFORM] ? RATLS_PCS_CA_PLATFORM
									  : RATLS_PCS_CA_PROCESSOR]);
	return 200;
}

static int answer_pck_crl(struct reply *r, const struct served *s, enum pcs_server_mode mode,
			  const struct evkeyvalq *query)
{
	const char *ca_text = evhttp_find_header(query, "ca");
	const char *encoding = evhttp_find_header(query, "encoding");
	enum ratls_pcs_ca ca;
	char *pem = NULL;
	size_t pem_len = 0;

	if (ca_text == NULL)
		return 400;
	if (strcmp(ca_text, "processor") == 0)
		ca = RATLS_PCS_CA_PROCESSOR;
	else if (strcmp(ca_text, "platform") == 0)
		ca = RATLS_PCS_CA_PLATFORM;
	else
		return 400;
	if (encoding != NULL && strcmp(encoding, "der") != 0 && strcmp(encoding, "pem") != 0)
		return 400;
	if (r->fault == PCS_FAULT_OTHER_VARIANT)
		ca = ca == RATLS_PCS_CA_PLATFORM ? RATLS_PCS_CA_PROCESSOR : RATLS_PCS_CA_PLATFORM;
	if (!s->has_ca[ca])
		return 404;

	if (encoding != NULL && strcmp(encoding, "der") == 0) {
		evbuffer_add(r->body, s->pck_crl[ca], s->pck_crl_size[ca]);
		add_header(r, "Content-Type", "application/pkix-crl");
	} else if (mode == PCS_MODE_PCCS && encoding == NULL) {
		add_hex(r->body, s->pck_crl[ca], s->pck_crl_size[ca]);
		add_header(r, "Content-Type", "application/pkix-crl");
	} else {
		if (ratls_sim_pem_encode("X509 CRL", s->pck_crl[ca], s->pck_crl_size[ca], &pem,
					 &pem_len, NULL) != RATLS_OK)
			return 500;
		evbuffer_add(r->body, pem, pem_len);
		ratls_sim_free(pem);
		add_header(r, "Content-Type", "application/x-pem-file");
	}
	add_chain_header(r, "SGX-PCK-CRL-Issuer-Chain", s->pck_crl_chain[ca], s->signer_chain);
	return 200;
}

static int answer_root_crl(struct reply *r, const struct served *s, enum pcs_server_mode mode)
{
	if (mode == PCS_MODE_PCCS)
		add_hex(r->body, s->root_crl, s->root_crl_size);
	else
		evbuffer_add(r->body, s->root_crl, s->root_crl_size);
	add_header(r, "Content-Type", "application/pkix-crl");
	return 200;
}

/* Replaces a good body by the one the fault requires. */
static void apply_body_fault(struct reply *r, enum pcs_endpoint ep)
{
	size_t limit = ep == PCS_EP_TCB_INFO || ep == PCS_EP_QE_IDENTITY
			       ? RATLS_PCS_JSON_BODY_MAX_SIZE
			       : RATLS_PCS_CRL_BODY_MAX_SIZE;
	size_t size = evbuffer_get_length(r->body);

	switch (r->fault) {
	case PCS_FAULT_TRUNCATE:
		evbuffer_drain(r->body, size - size / 2);
		break;
	case PCS_FAULT_CUT:
		r->full_size = size;
		evbuffer_drain(r->body, size - size / 2);
		break;
	case PCS_FAULT_OVERSIZE:
	case PCS_FAULT_OVERSIZE_CHUNKED: {
		char *filler = malloc(limit + 1);

		evbuffer_drain(r->body, size);
		if (filler != NULL) {
			memset(filler, ' ', limit + 1);
			evbuffer_add(r->body, filler, limit + 1);
			free(filler);
		}
		break;
	}
	default:
		break;
	}
}

static void send_reply(struct reply *r)
{
	char length[32];

	switch (r->fault) {
	case PCS_FAULT_HANG:
		break; /* never answered; evhttp frees the request with its connection */
	case PCS_FAULT_CUT:
		snprintf(length, sizeof(length), "%zu", r->full_size);
		add_header(r, "Content-Length", length);
		add_header(r, "Connection", "close");
		evhttp_send_reply(r->request, r->status, "OK", r->body);
		break;
	case PCS_FAULT_OVERSIZE_CHUNKED:
		evhttp_send_reply_start(r->request, r->status, "OK");
		evhttp_send_reply_chunk(r->request, r->body);
		evhttp_send_reply_end(r->request);
		break;
	default:
		evhttp_send_reply(r->request, r->status, r->status == 200 ? "OK" : "Error", r->body);
	}
	evbuffer_free(r->body);
	free(r);
}

static void send_delayed(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	send_reply(arg);
}

static void handle_request(struct evhttp_request *request, void *arg)
{
	struct pcs_server *server = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(request);
	const char *path = evhttp_uri_get_path(uri);
	const char *query_text = evhttp_uri_get_query(uri);
	struct evkeyvalq query;
	enum ratls_pcs_tee tee;
	enum pcs_endpoint ep;
	struct reply *r = calloc(1, sizeof(*r));
	unsigned delay_ms;

	if (r == NULL || (r->body = evbuffer_new()) == NULL) {
		free(r);
		evhttp_send_error(request, 500, "out of memory");
		return;
	}
	r->request = request;
	ep = classify(path != NULL ? path : "", server->mode, &tee);
	TAILQ_INIT(&query);
	if (query_text != NULL && evhttp_parse_query_str(query_text, &query) != 0)
		ep = PCS_EP_OTHER;

	pthread_mutex_lock(&server->lock);
	server->counts[ep]++;
	snprintf(server->last_query[ep], QUERY_COPY_SIZE, "%s", query_text != NULL ? query_text : "");
	r->fault = server->fault_endpoints & PCS_EP_BIT(ep) ? server->fault : PCS_FAULT_NONE;
	delay_ms = server->delay_ms;
	if (evhttp_request_get_command(request) != EVHTTP_REQ_GET)
		r->status = 405;
	else if (r->fault == PCS_FAULT_404)
		r->status = 404;
	else if (r->fault == PCS_FAULT_500)
		r->status = 500;
	else if (ep == PCS_EP_TCB_INFO || ep == PCS_EP_QE_IDENTITY)
		r->status = answer_json(r, server->served, ep, tee, &query);
	else if (ep == PCS_EP_PCK_CRL)
		r->status = answer_pck_crl(r, server->served, server->mode, &query);
	else if (ep == PCS_EP_ROOT_CRL)
		r->status = answer_root_crl(r, server->served, server->mode);
	else
		r->status = 404;
	pthread_mutex_unlock(&server->lock);
	evhttp_clear_headers(&query);

	if (r->status == 200)
		apply_body_fault(r, ep);
	else
		evbuffer_drain(r->body, evbuffer_get_length(r->body));
	if (delay_ms > 0) {
		struct timeval tv = {.tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000};

		if (event_base_once(server->base, -1, EV_TIMEOUT, send_delayed, r, &tv) == 0)
			return;
	}
	send_reply(r);
}

/* ---- the server thread ---- */

static void *run_loop(void *arg)
{
	struct pcs_server *server = arg;

	event_base_dispatch(server->base);
	return NULL;
}

static void on_stop(evutil_socket_t fd, short events, void *arg)
{
	struct pcs_server *server = arg;

	(void)fd;
	(void)events;
	event_base_loopbreak(server->base);
}

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;

static void use_pthreads(void)
{
	evthread_use_pthreads();
}

static struct pcs_server *start(struct served *served, enum pcs_server_mode mode,
				const struct ratls_sim_platform *platform)
{
	struct pcs_server *server = calloc(1, sizeof(*server));
	struct evhttp_bound_socket *socket = NULL;
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);

	pthread_once(&threads_once, use_pthreads);
	if (server == NULL || served == NULL)
		goto fail;
	server->served = served;
	server->mode = mode;
	server->platform = platform;
	pthread_mutex_init(&server->lock, NULL);
	server->base = event_base_new();
	if (server->base == NULL)
		goto fail;
	server->http = evhttp_new(server->base);
	server->stop_event = event_new(server->base, -1, 0, on_stop, server);
	if (server->http == NULL || server->stop_event == NULL)
		goto fail;
	evhttp_set_allowed_methods(server->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(server->http, handle_request, server);
	socket = evhttp_bind_socket_with_handle(server->http, "127.0.0.1", 0);
	if (socket == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(socket), (struct sockaddr *)&addr, &addr_len) != 0)
		goto fail;
	snprintf(server->url, sizeof(server->url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(addr.sin_port));
	snprintf(server->root_crl_url, sizeof(server->root_crl_url), "%s/IntelSGXRootCA.der",
		 server->url);
	if (pthread_create(&server->thread, NULL, run_loop, server) != 0)
		goto fail;
	return server;

fail:
	fprintf(stderr, "pcs_server: starting the server failed\n");
	if (server != NULL) {
		if (server->stop_event != NULL)
			event_free(server->stop_event);
		if (server->http != NULL)
			evhttp_free(server->http);
		if (server->base != NULL)
			event_base_free(server->base);
		free(server);
	}
	served_free(served);
	return NULL;
}

struct pcs_server *pcs_server_start_sim(const struct ratls_sim_platform *platform, int64_t now,
					enum pcs_server_mode mode)
{
	return start(served_from_platform(platform, now), mode, platform);
}

struct pcs_server *pcs_server_start_collateral(const struct ratls_collateral *collateral,
					       const struct ratls_pcs_key *key,
					       enum pcs_server_mode mode)
{
	return start(served_from_collateral(collateral, key), mode, NULL);
}

void pcs_server_stop(struct pcs_server *server)
{
	if (server == NULL)
		return;
	/* The event runs inside the loop, so the break cannot be lost before the loop starts. */
	event_active(server->stop_event, EV_TIMEOUT, 0);
	pthread_join(server->thread, NULL);
	event_free(server->stop_event);
	evhttp_free(server->http);
	event_base_free(server->base);
	pthread_mutex_destroy(&server->lock);
	served_free(server->served);
	free(server);
}

const char *pcs_server_url(const struct pcs_server *server)
{
	return server->url;
}

const char *pcs_server_root_crl_url(const struct pcs_server *server)
{
	return server->root_crl_url;
}

int pcs_server_set_now(struct pcs_server *server, int64_t now)
{
	struct served *fresh;

	if (server->platform == NULL)
		return -1;
	fresh = served_from_platform(server->platform, now);
	if (fresh == NULL)
		return -1;
	pthread_mutex_lock(&server->lock);
	served_free(server->served);
	server->served = fresh;
	pthread_mutex_unlock(&server->lock);
	return 0;
}

void pcs_server_set_fault(struct pcs_server *server, enum pcs_fault fault, unsigned endpoints)
{
	pthread_mutex_lock(&server->lock);
	server->fault = fault;
	server->fault_endpoints = endpoints;
	pthread_mutex_unlock(&server->lock);
}

void pcs_server_set_delay_ms(struct pcs_server *server, unsigned ms)
{
	pthread_mutex_lock(&server->lock);
	server->delay_ms = ms;
	pthread_mutex_unlock(&server->lock);
}

unsigned pcs_server_count(struct pcs_server *server, enum pcs_endpoint endpoint)
{
	unsigned n = 0;

	pthread_mutex_lock(&server->lock);
	if (endpoint == PCS_EP_COUNT) {
		for (int i = 0; i < PCS_EP_COUNT; i++)
			n += server->counts[i];
	} else {
		n = server->counts[endpoint];
	}
	pthread_mutex_unlock(&server->lock);
	return n;
}

void pcs_server_last_query(struct pcs_server *server, enum pcs_endpoint endpoint, char *buf,
			   size_t size)
{
	pthread_mutex_lock(&server->lock);
	snprintf(buf, size, "%s", server->last_query[endpoint]);
	pthread_mutex_unlock(&server->lock);
}
