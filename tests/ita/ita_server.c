/*
 * A local look-alike of Intel Trust Authority on libevent's evhttp. See
 * ita_server.h.
 *
 * Tokens follow the shapes of ITA's documentation: a header
 * {"alg","jku","kid","typ":"JWT"}, top-level iss, iat, nbf, exp, jti and
 * ver, and the TDX claims (tdx_* as lowercase hex, attester_*, dbgstat,
 * tdx_is_debuggable) at the top level for ver 1.0.0 or inside "tdx" for
 * ver 2.0.0. The values come from the quote the request carried.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/encoding.h"
#include "ita_server.h"
#include "ratls/ita.h"
#include "ratls/quote.h"

#define KID "2a0b6b8f3f1c4d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
#define ATTACKER_KID "attacker-key-1"
#define PART_SIZE 256
#define TOKEN_LIFETIME 300

struct ita_server {
	char url[64];
	char jwks_url[96];
	EVP_PKEY *key;          /* the JWKS signing key */
	EVP_PKEY *attacker_key; /* the key behind /evil/certs */
	EVP_PKEY *root_key;
	uint8_t *root_der;
	int root_der_size;
	uint8_t *leaf_der;
	int leaf_der_size;

	struct event_base *base;
	struct evhttp *http;
	struct event *stop_event;
	pthread_t thread;

	pthread_mutex_t lock; /* guards everything below */
	int64_t now;
	enum ita_fault fault;
	bool fault_used; /* a *_ONCE fault has fired */
	enum ita_layout layout;
	char missing_claim[64];
	char tcb_status[64];
	bool x5c;
	unsigned counts[ITA_EP_COUNT];
	char last[ITA_PART_PATH + 1][PART_SIZE];
};

/* ---- encodings ---- */

static char *b64url(const uint8_t *data, size_t size)
{
	char *out = malloc(4 * ((size + 2) / 3) + 1);
	size_t n;

	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)size);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

static char *b64std(const uint8_t *data, size_t size)
{
	char *out = malloc(4 * ((size + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, data, (int)size);
	return out;
}

static json_t *hex_value(const uint8_t *data, size_t size)
{
	char text[2 * 64 + 1];

	ratls_hex_encode(data, size, text);
	return json_string(text);
}

/* ---- keys and certificates ---- */

static char *bignum_b64url(const EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	char *out = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
		return NULL;
	n = BN_bn2bin(bn, buf);
	if (n > 0 && n <= (int)sizeof(buf))
		out = b64url(buf, (size_t)n);
	BN_free(bn);
	return out;
}

static X509 *make_cert(EVP_PKEY *subject_key, EVP_PKEY *issuer_key, X509 *issuer,
		       const char *cn, bool ca, int64_t now)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	time_t start = (time_t)(now - 86400);

	if (cert == NULL || name == NULL)
		goto fail;
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), ca ? 1 : 2);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &start);
	X509_time_adj_ex(X509_getm_notAfter(cert), 3650, 0, &start);
	X509_set_pubkey(cert, subject_key);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
		goto fail;
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
				  ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
		goto fail;
	X509_EXTENSION_free(ext);
	if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	X509_NAME_free(name);
	return cert;
fail:
	X509_NAME_free(name);
	X509_free(cert);
	return NULL;
}

/* Generates the keys and the x5c chain: root (P-256) -> leaf (the RSA signing key). */
static int make_keys(struct ita_server *server, int64_t now)
{
	X509 *root = NULL, *leaf = NULL;
	int rc = -1;

	server->key = EVP_RSA_gen(2048);
	server->attacker_key = EVP_RSA_gen(2048);
	server->root_key = EVP_EC_gen("P-256");
	if (server->key == NULL || server->attacker_key == NULL || server->root_key == NULL)
		goto out;
	root = make_cert(server->root_key, server->root_key, NULL, "Test ITA Root CA", true, now);
	leaf = root != NULL ? make_cert(server->key, server->root_key, root,
					"Test ITA Token Signing", false, now)
			    : NULL;
	if (leaf == NULL)
		goto out;
	server->root_der_size = i2d_X509(root, &server->root_der);
	server->leaf_der_size = i2d_X509(leaf, &server->leaf_der);
	rc = server->root_der_size > 0 && server->leaf_der_size > 0 ? 0 : -1;
out:
	X509_free(root);
	X509_free(leaf);
	return rc;
}

/* The JWKS of key under kid, with an EC key before it that clients must skip. */
static char *jwks_text(struct ita_server *server, EVP_PKEY *key, const char *kid, bool x5c)
{
	char *n = bignum_b64url(key, OSSL_PKEY_PARAM_RSA_N);
	char *e = bignum_b64url(key, OSSL_PKEY_PARAM_RSA_E);
	char *leaf = x5c ? b64std(server->leaf_der, (size_t)server->leaf_der_size) : NULL;
	char *root = x5c ? b64std(server->root_der, (size_t)server->root_der_size) : NULL;
	json_t *rsa = NULL, *doc = NULL;
	char *text = NULL;

	if (n == NULL || e == NULL || (x5c && (leaf == NULL || root == NULL)))
		goto out;
	rsa = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "use", "sig", "alg", "PS384",
			"kid", kid, "n", n, "e", e);
	if (rsa != NULL && x5c)
		json_object_set_new(rsa, "x5c", json_pack("[s, s]", leaf, root));
	doc = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s}, o]}", "keys", "kty", "EC", "crv", "P-256",
			"kid", "ec-key", "x", "AAAA", "y", "AAAA", rsa);
	rsa = NULL; /* ownership moved to doc */
	if (doc != NULL)
		text = json_dumps(doc, JSON_COMPACT);
out:
	json_decref(rsa);
	json_decref(doc);
	free(n);
	free(e);
	free(leaf);
	free(root);
	return text;
}

/* ---- tokens ---- */

/* The settings a request is handled with, copied under the lock. */
struct snapshot {
	int64_t now;
	enum ita_fault fault;
	enum ita_layout layout;
	char missing_claim[64];
	char tcb_status[64];
};

static json_t *tdx_claims(const struct ratls_quote *quote, const struct snapshot *s)
{
	const struct ratls_td_report *td = &quote->td;
	uint8_t report_data[64], mr_td[48];
	bool debug = (td->td_attributes[0] & 0x01) != 0;
	json_t *c = json_object();
	char name[16];

	memcpy(report_data, td->report_data, 64);
	memcpy(mr_td, td->mr_td, 48);
	if (s->fault == ITA_FAULT_WRONG_REPORT_DATA)
		report_data[0] ^= 0x01;
	if (s->fault == ITA_FAULT_WRONG_MRTD)
		mr_td[47] ^= 0x80;
	if (s->fault == ITA_FAULT_DEBUG_CLAIM)
		debug = !debug;

	json_object_set_new(c, "attester_type", json_string("TDX"));
	json_object_set_new(c, "attester_tcb_status", json_string(s->tcb_status));
	json_object_set_new(c, "attester_tcb_date", json_string("2024-03-13T00:00:00Z"));
	json_object_set_new(c, "attester_advisory_ids",
			    json_pack("[s, s]", "INTEL-SA-00960", "INTEL-SA-00986"));
	json_object_set_new(c, "dbgstat", json_string(debug ? "enabled" : "disabled"));
	json_object_set_new(c, "tdx_is_debuggable", json_boolean(debug));
	json_object_set_new(c, "tdx_td_attributes_debug", json_boolean(debug));
	json_object_set_new(c, "tdx_mrtd", hex_value(mr_td, 48));
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "tdx_rtmr%d", i);
		json_object_set_new(c, name, hex_value(td->rtmr[i], 48));
	}
	json_object_set_new(c, "tdx_report_data", hex_value(report_data, 64));
	json_object_set_new(c, "tdx_td_attributes", hex_value(td->td_attributes, 8));
	json_object_set_new(c, "tdx_xfam", hex_value(td->xfam, 8));
	json_object_set_new(c, "tdx_mrseam", hex_value(td->mr_seam, 48));
	json_object_set_new(c, "tdx_mrsignerseam", hex_value(td->mr_signer_seam, 48));
	json_object_set_new(c, "tdx_seam_attributes", hex_value(td->seam_attributes, 8));
	json_object_set_new(c, "tdx_mrconfigid", hex_value(td->mr_config_id, 48));
	json_object_set_new(c, "tdx_mrowner", hex_value(td->mr_owner, 48));
	json_object_set_new(c, "tdx_mrownerconfig", hex_value(td->mr_owner_config, 48));
	json_object_set_new(c, "tdx_tee_tcb_svn", hex_value(td->tee_tcb_svn, 16));
	json_object_set_new(c, "tdx_seamsvn", json_integer(td->tee_tcb_svn[0]));
	json_object_set_new(c, "tdx_is_migratable", json_false());
	return c;
}

/* Removes a claim at the top level and in "tdx"; "debug" removes every debug claim. */
static void remove_claim(json_t *claims, const char *name)
{
	static const char *const debug_claims[] = {"tdx_is_debuggable", "tdx_td_attributes_debug",
						   "dbgstat"};
	for (size_t i = 0; i < 3; i++) {
		const char *victim = strcmp(name, "debug") == 0 ? debug_claims[i] : name;
		json_t *tdx = json_object_get(claims, "tdx");

		/* The "tdx" object goes last: deleting it frees it. */
		if (json_is_object(tdx))
			json_object_del(tdx, victim);
		json_object_del(claims, victim);
	}
}

static json_t *build_claims(const struct ratls_quote *quote, const struct snapshot *s,
			    enum ita_layout layout)
{
	json_t *claims = json_object();
	json_t *tdx = tdx_claims(quote, s);
	int64_t iat = s->now, nbf = s->now, exp = s->now + TOKEN_LIFETIME;

	if (s->fault == ITA_FAULT_EXPIRED) {
		iat = nbf = s->now - 900;
		exp = s->now - 600;
	} else if (s->fault == ITA_FAULT_NOT_YET_VALID) {
		iat = nbf = s->now + 600;
		exp = s->now + 900;
	}
	json_object_set_new(claims, "iss", json_string(s->fault == ITA_FAULT_WRONG_ISSUER
							       ? "Some Other Authority"
							       : RATLS_ITA_ISSUER));
	json_object_set_new(claims, "iat", json_integer(iat));
	json_object_set_new(claims, "nbf", json_integer(nbf));
	json_object_set_new(claims, "exp", json_integer(exp));
	json_object_set_new(claims, "jti", json_string("6d1b5a4c-0000-4000-8000-000000000001"));
	json_object_set_new(claims, "eat_profile",
			    json_string("https://portal.trustauthority.intel.com/eat_profile.html"));
	if (layout == ITA_LAYOUT_V1 || s->fault == ITA_FAULT_V2_FLAT) {
		json_object_set_new(claims, "ver",
				    json_string(layout == ITA_LAYOUT_V1 ? "1.0.0" : "2.0.0"));
		json_object_update(claims, tdx);
		json_decref(tdx);
	} else {
		json_object_set_new(claims, "ver", json_string("2.0.0"));
		json_object_set_new(claims, "tdx", tdx);
	}
	if (s->fault == ITA_FAULT_MISSING_CLAIM)
		remove_claim(claims, s->missing_claim);
	return claims;
}

/* Signs input with alg ("PS384", "RS256" or "HS256"); returns the signature length or -1. */
static int sign(const struct ita_server *server, EVP_PKEY *key, const char *alg,
		const char *input, uint8_t *sig, size_t sig_max)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = sig_max;
	int rc = -1;

	if (strcmp(alg, "HS256") == 0) {
		/* The classic confusion attack: the public key's PEM used as an HMAC secret. */
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long pem_len;

		if (bio != NULL && PEM_write_bio_PUBKEY(bio, server->key) == 1 &&
		    (pem_len = BIO_get_mem_data(bio, &pem)) > 0 &&
		    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, (size_t)pem_len,
			      (const unsigned char *)input, strlen(input), sig, sig_max, &len) != NULL)
			rc = (int)len;
		BIO_free(bio);
		EVP_MD_CTX_free(ctx);
		return rc;
	}
	if (ctx != NULL &&
	    EVP_DigestSignInit_ex(ctx, &pctx, strcmp(alg, "RS256") == 0 ? "SHA256" : "SHA384", NULL,
				  NULL, key, NULL) == 1 &&
	    (strcmp(alg, "RS256") == 0 ||
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	    EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input, strlen(input)) == 1)
		rc = (int)len;
	EVP_MD_CTX_free(ctx);
	return rc;
}

static char *build_token(struct ita_server *server, const struct ratls_quote *quote,
			 const struct snapshot *s, enum ita_layout layout, const char *requested_alg)
{
	const char *alg = requested_alg;
	const char *kid = KID;
	EVP_PKEY *key = server->key;
	char jku[160];
	json_t *header, *claims;
	char *header_text, *claims_text, *h64, *c64, *s64 = NULL, *input = NULL, *token = NULL;
	uint8_t sig[1024];
	int sig_len = 0;

	snprintf(jku, sizeof(jku), "%s", server->jwks_url);
	if (s->fault == ITA_FAULT_ALG_NONE)
		alg = "none";
	else if (s->fault == ITA_FAULT_ALG_HS256)
		alg = "HS256";
	if (s->fault == ITA_FAULT_WRONG_KID)
		kid = "0000-not-a-kid-of-the-jwks";
	if (s->fault == ITA_FAULT_JKU_ELSEWHERE || s->fault == ITA_FAULT_JKU_ATTACKER)
		snprintf(jku, sizeof(jku), "%s/evil/certs", server->url);
	if (s->fault == ITA_FAULT_JKU_ATTACKER) {
		kid = ATTACKER_KID;
		key = server->attacker_key;
	}

	header = json_pack("{s:s, s:s, s:s, s:s}", "alg", alg, "jku", jku, "kid", kid, "typ", "JWT");
	claims = build_claims(quote, s, layout);
	header_text = json_dumps(header, JSON_COMPACT);
	claims_text = json_dumps(claims, JSON_COMPACT);
	h64 = header_text != NULL ? b64url((const uint8_t *)header_text, strlen(header_text)) : NULL;
	c64 = claims_text != NULL ? b64url((const uint8_t *)claims_text, strlen(claims_text)) : NULL;
	if (h64 == NULL || c64 == NULL)
		goto out;
	input = malloc(strlen(h64) + strlen(c64) + 2);
	if (input == NULL)
		goto out;
	snprintf(input, strlen(h64) + strlen(c64) + 2, "%s.%s", h64, c64);
	if (strcmp(alg, "none") != 0) {
		sig_len = sign(server, key, alg, input, sig, sizeof(sig));
		if (sig_len <= 0)
			goto out;
		if (s->fault == ITA_FAULT_BAD_SIGNATURE)
			sig[sig_len / 2] ^= 0x01;
	}
	s64 = b64url(sig, (size_t)sig_len);
	token = s64 != NULL ? malloc(strlen(input) + strlen(s64) + 2) : NULL;
	if (token != NULL)
		snprintf(token, strlen(input) + strlen(s64) + 2, "%s.%s", input, s64);
out:
	json_decref(header);
	json_decref(claims);
	free(header_text);
	free(claims_text);
	free(h64);
	free(c64);
	free(s64);
	free(input);
	return token;
}

/* ---- requests ---- */

static void add_header(struct evhttp_request *request, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(request), name, value);
}

static void keep(struct ita_server *server, enum ita_request_part part, const char *value)
{
	snprintf(server->last[part], PART_SIZE, "%s", value != NULL ? value : "");
}

/* Reads the request body as JSON and the quote in it. Returns an HTTP status. */
static int read_quote(struct evhttp_request *request, json_t **body, uint8_t **quote,
		      size_t *quote_size, struct ratls_quote *parsed)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(request);
	size_t size = evbuffer_get_length(input);
	const char *text = (const char *)evbuffer_pullup(input, (ev_ssize_t)size);
	const json_t *b64;

	*body = text != NULL ? json_loadb(text, size, 0, NULL) : NULL;
	b64 = json_object_get(*body, "quote");
	if (!json_is_string(b64) ||
	    ratls_base64_decode_alloc(json_string_value(b64), json_string_length(b64), quote,
				      quote_size) != RATLS_OK)
		return 400;
	if (ratls_quote_parse(*quote, *quote_size, parsed, NULL) != RATLS_OK ||
	    parsed->body_type == RATLS_BODY_SGX_ENCLAVE)
		return 400;
	return 200;
}

static void answer_attest(struct ita_server *server, struct evhttp_request *request,
			  struct evbuffer *out, const struct snapshot *s, bool v1)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(request);
	const char *api_key = evhttp_find_header(headers, "x-api-key");
	json_t *body = NULL;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	struct ratls_quote parsed;
	const char *alg;
	char *token = NULL;
	int status;

	if (api_key == NULL || strcmp(api_key, ITA_SERVER_API_KEY) != 0) {
		evbuffer_add_printf(out, "{\"error\":\"unauthorized\"}");
		evhttp_send_reply(request, 401, "Unauthorized", out);
		return;
	}
	status = read_quote(request, &body, &quote, &quote_size, &parsed);
	alg = json_string_value(json_object_get(body, "token_signing_alg"));
	pthread_mutex_lock(&server->lock);
	keep(server, ITA_PART_SIGNING_ALG, alg);
	pthread_mutex_unlock(&server->lock);
	if (status == 200) {
		token = build_token(server, &parsed, s, v1 ? ITA_LAYOUT_V1 : s->layout,
				    alg != NULL ? alg : "PS384");
		status = token != NULL ? 200 : 500;
	}
	if (status == 200) {
		evbuffer_add_printf(out, "{\"token\":\"%s\"}", token);
		add_header(request, "Content-Type", "application/json");
	} else {
		evbuffer_add_printf(out, "{\"error\":\"bad request\"}");
	}
	add_header(request, "request-id", "server-side-id");
	add_header(request, "trace-id", "trace-0001");
	evhttp_send_reply(request, status, status == 200 ? "OK" : "Error", out);
	free(token);
	free(quote);
	json_decref(body);
}

/* Sends the response of the fault. Returns false when the request gets a normal response. */
static bool answer_fault(struct ita_server *server, struct evhttp_request *request,
			 struct evbuffer *out, enum ita_fault fault)
{
	char *filler;

	switch (fault) {
	case ITA_FAULT_HTTP_401:
		evbuffer_add_printf(out, "{\"error\":\"invalid api key %s\"}", ITA_SERVER_API_KEY);
		evhttp_send_reply(request, 401, "Unauthorized", out);
		return true;
	case ITA_FAULT_HTTP_429_ONCE:
	case ITA_FAULT_HTTP_500_ONCE:
		pthread_mutex_lock(&server->lock);
		if (server->fault_used) {
			pthread_mutex_unlock(&server->lock);
			return false;
		}
		server->fault_used = true;
		pthread_mutex_unlock(&server->lock);
		if (fault == ITA_FAULT_HTTP_429_ONCE)
			add_header(request, "Retry-After", "1");
		evbuffer_add_printf(out, "busy");
		evhttp_send_reply(request, fault == ITA_FAULT_HTTP_429_ONCE ? 429 : 500, "Busy", out);
		return true;
	case ITA_FAULT_HTTP_500:
		evbuffer_add_printf(out, "internal error");
		evhttp_send_reply(request, 500, "Error", out);
		return true;
	case ITA_FAULT_HANG:
		return true; /* no response; evhttp frees the request with its connection */
	case ITA_FAULT_OVERSIZE:
		filler = malloc(RATLS_ITA_RESPONSE_MAX_SIZE + 1);
		if (filler != NULL) {
			memset(filler, ' ', RATLS_ITA_RESPONSE_MAX_SIZE + 1);
			evbuffer_add(out, filler, RATLS_ITA_RESPONSE_MAX_SIZE + 1);
			free(filler);
		}
		evhttp_send_reply(request, 200, "OK", out);
		return true;
	default:
		return false;
	}
}

static enum ita_endpoint classify(const char *path)
{
	if (strcmp(path, "/appraisal/v1/attest") == 0 || strcmp(path, "/appraisal/v2/attest") == 0)
		return ITA_EP_ATTEST;
	if (strcmp(path, "/certs") == 0)
		return ITA_EP_JWKS;
	if (strcmp(path, "/evil/certs") == 0)
		return ITA_EP_EVIL;
	return ITA_EP_OTHER;
}

static void handle_request(struct evhttp_request *request, void *arg)
{
	struct ita_server *server = arg;
	struct evkeyvalq *headers = evhttp_request_get_input_headers(request);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
	enum ita_endpoint ep = classify(path != NULL ? path : "");
	struct evbuffer *out = evbuffer_new();
	struct snapshot s;
	bool x5c;
	char *jwks;

	if (out == NULL) {
		evhttp_send_error(request, 500, "out of memory");
		return;
	}
	pthread_mutex_lock(&server->lock);
	server->counts[ep]++;
	s.now = server->now;
	s.fault = server->fault;
	s.layout = server->layout;
	memcpy(s.missing_claim, server->missing_claim, sizeof(s.missing_claim));
	memcpy(s.tcb_status, server->tcb_status, sizeof(s.tcb_status));
	x5c = server->x5c;
	if (ep == ITA_EP_ATTEST) {
		keep(server, ITA_PART_API_KEY, evhttp_find_header(headers, "x-api-key"));
		keep(server, ITA_PART_REQUEST_ID, evhttp_find_header(headers, "request-id"));
		keep(server, ITA_PART_CONTENT_TYPE, evhttp_find_header(headers, "Content-Type"));
		keep(server, ITA_PART_ACCEPT, evhttp_find_header(headers, "Accept"));
		keep(server, ITA_PART_PATH, path);
	}
	pthread_mutex_unlock(&server->lock);

	if (ep == ITA_EP_ATTEST) {
		if (evhttp_request_get_command(request) != EVHTTP_REQ_POST)
			evhttp_send_reply(request, 405, "Method Not Allowed", out);
		else if (!answer_fault(server, request, out, s.fault))
			answer_attest(server, request, out, &s,
				      strcmp(path, "/appraisal/v1/attest") == 0);
	} else if (ep == ITA_EP_JWKS || ep == ITA_EP_EVIL) {
		jwks = ep == ITA_EP_JWKS ? jwks_text(server, server->key, KID, x5c)
					 : jwks_text(server, server->attacker_key, ATTACKER_KID,
						     false);
		if (jwks != NULL)
			evbuffer_add(out, jwks, strlen(jwks));
		add_header(request, "Content-Type", "application/json");
		evhttp_send_reply(request, jwks != NULL ? 200 : 500, "OK", out);
		free(jwks);
	} else {
		evhttp_send_reply(request, 404, "Not Found", out);
	}
	evbuffer_free(out);
}

/* ---- the server thread ---- */

static void *run_loop(void *arg)
{
	struct ita_server *server = arg;

	event_base_dispatch(server->base);
	return NULL;
}

static void on_stop(evutil_socket_t fd, short events, void *arg)
{
	struct ita_server *server = arg;

	(void)fd;
	(void)events;
	event_base_loopbreak(server->base);
}

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;

static void use_pthreads(void)
{
	evthread_use_pthreads();
}

static void free_server(struct ita_server *server)
{
	if (server->stop_event != NULL)
		event_free(server->stop_event);
	if (server->http != NULL)
		evhttp_free(server->http);
	if (server->base != NULL)
		event_base_free(server->base);
	EVP_PKEY_free(server->key);
	EVP_PKEY_free(server->attacker_key);
	EVP_PKEY_free(server->root_key);
	OPENSSL_free(server->root_der);
	OPENSSL_free(server->leaf_der);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

struct ita_server *ita_server_start(int64_t now)
{
	struct ita_server *server = calloc(1, sizeof(*server));
	struct evhttp_bound_socket *socket = NULL;
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);

	pthread_once(&threads_once, use_pthreads);
	if (server == NULL)
		return NULL;
	pthread_mutex_init(&server->lock, NULL);
	server->now = now;
	server->layout = ITA_LAYOUT_V2;
	snprintf(server->tcb_status, sizeof(server->tcb_status), "UpToDate");
	if (make_keys(server, now) != 0)
		goto fail;
	server->base = event_base_new();
	if (server->base == NULL)
		goto fail;
	server->http = evhttp_new(server->base);
	server->stop_event = event_new(server->base, -1, 0, on_stop, server);
	if (server->http == NULL || server->stop_event == NULL)
		goto fail;
	evhttp_set_allowed_methods(server->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(server->http, handle_request, server);
	socket = evhttp_bind_socket_with_handle(server->http, "127.0.0.1", 0);
	if (socket == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(socket), (struct sockaddr *)&addr, &addr_len) != 0)
		goto fail;
	snprintf(server->url, sizeof(server->url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(addr.sin_port));
	snprintf(server->jwks_url, sizeof(server->jwks_url), "%s/certs", server->url);
	if (pthread_create(&server->thread, NULL, run_loop, server) != 0)
		goto fail;
	return server;

fail:
	fprintf(stderr, "ita_server: starting the server failed\n");
	free_server(server);
	return NULL;
}

void ita_server_stop(struct ita_server *server)
{
	if (server == NULL)
		return;
	/* The event runs inside the loop, so the break cannot be lost before the loop starts. */
	event_active(server->stop_event, EV_TIMEOUT, 0);
	pthread_join(server->thread, NULL);
	free_server(server);
}

const char *ita_server_url(const struct ita_server *server)
{
	return server->url;
}

const char *ita_server_jwks_url(const struct ita_server *server)
{
	return server->jwks_url;
}

void ita_server_set_now(struct ita_server *server, int64_t now)
{
	pthread_mutex_lock(&server->lock);
	server->now = now;
	pthread_mutex_unlock(&server->lock);
}

void ita_server_set_fault(struct ita_server *server, enum ita_fault fault)
{
	pthread_mutex_lock(&server->lock);
	server->fault = fault;
	server->fault_used = false;
	pthread_mutex_unlock(&server->lock);
}

void ita_server_set_layout(struct ita_server *server, enum ita_layout layout)
{
	pthread_mutex_lock(&server->lock);
	server->layout = layout;
	pthread_mutex_unlock(&server->lock);
}

void ita_server_set_missing_claim(struct ita_server *server, const char *name)
{
	pthread_mutex_lock(&server->lock);
	snprintf(server->missing_claim, sizeof(server->missing_claim), "%s", name);
	pthread_mutex_unlock(&server->lock);
}

void ita_server_set_tcb_status(struct ita_server *server, const char *status)
{
	pthread_mutex_lock(&server->lock);
	snprintf(server->tcb_status, sizeof(server->tcb_status), "%s", status);
	pthread_mutex_unlock(&server->lock);
}

void ita_server_set_x5c(struct ita_server *server, bool on)
{
	pthread_mutex_lock(&server->lock);
	server->x5c = on;
	pthread_mutex_unlock(&server->lock);
}

void ita_server_root_der(const struct ita_server *server, const uint8_t **der, size_t *size)
{
	*der = server->root_der;
	*size = (size_t)server->root_der_size;
}

unsigned ita_server_count(struct ita_server *server, enum ita_endpoint endpoint)
{
	unsigned n;

	pthread_mutex_lock(&server->lock);
	n = server->counts[endpoint];
	pthread_mutex_unlock(&server->lock);
	return n;
}

void ita_server_last(struct ita_server *server, enum ita_request_part part, char *buf,
		     size_t size)
{
	pthread_mutex_lock(&server->lock);
	snprintf(buf, size, "%s", server->last[part]);
	pthread_mutex_unlock(&server->lock);
}
