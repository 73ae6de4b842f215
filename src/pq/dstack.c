/*
 * The client certificate from the dstack guest agent: POST /GetTlsKey over
 * the agent's Unix socket (libcurl), with Content-Type: application/json
 * (without it the agent reads the body as protobuf). The request sets
 * usage_ra_tls (the certificate carries the TD's quote) and
 * usage_client_auth explicitly, because the agent's defaults produce a
 * certificate with neither (dstack guest-agent rpc/proto/agent_rpc.proto,
 * GetTlsKeyArgs). The reply is {"key": PKCS#8 PEM, "certificate_chain":
 * [PEM, ...]}; the key stays in memory and is wiped after use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <jansson.h>

#include "base/fail.h"
#include "pq_internal.h"

/* Seconds for the whole request. The agent may ask its KMS for the key, as TeeSQL's clients allow 60 s. */
#define DSTACK_TIMEOUT_SECONDS 60
#define DSTACK_CONNECT_TIMEOUT_SECONDS 5
/* Largest reply: a key and a chain of a few RA-TLS certificates (about 10 KiB each). */
#define DSTACK_REPLY_MAX_SIZE (1024 * 1024)

static const char request_body[] =
	"{\"subject\":\"ratls-client\",\"alt_names\":[],\"usage_ra_tls\":true,"
	"\"usage_server_auth\":false,\"usage_client_auth\":true}";

struct reply {
	char *data;
	size_t size;
	bool too_large;
};

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
	struct reply *reply = arg;
	size_t n = size * count;
	char *grown;

	if (n > DSTACK_REPLY_MAX_SIZE - reply->size) {
		reply->too_large = true;
		return 0;
	}
	grown = malloc(reply->size + n + 1);
	if (grown == NULL)
		return 0;
	if (reply->data != NULL)
		memcpy(grown, reply->data, reply->size);
	memcpy(grown + reply->size, data, n);
	/* The reply contains the private key, so the old copy is wiped, which realloc would not do. */
	pq_wipe_free(reply->data, reply->size);
	reply->data = grown;
	reply->size += n;
	reply->data[reply->size] = '\0';
	return n;
}

/* The agent's address: the given one, the simulator's, or the first socket that exists. */
static const char *agent_address(const char *configured)
{
	static const char *const sockets[] = {PQ_DSTACK_SOCKETS};
	const char *simulator = getenv("DSTACK_SIMULATOR_ENDPOINT");

	if (configured != NULL)
		return configured;
	if (simulator != NULL && simulator[0] != '\0')
		return simulator;
	for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
		if (access(sockets[i], F_OK) == 0)
			return sockets[i];
	}
	return NULL;
}

static int request(const char *address, struct reply *reply, struct ratls_detail *detail)
{
	bool http = strncmp(address, "http://", 7) == 0;
	char url[2048], error_text[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode code;
	int rc = RATLS_ERR_INTERNAL;

	if (curl == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "cannot create a libcurl handle");
	snprintf(url, sizeof(url), "%s/GetTlsKey", http ? address : "http://localhost");
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (headers == NULL ||
	    (!http && curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, address) != CURLE_OK) ||
	    curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)DSTACK_CONNECT_TIMEOUT_SECONDS) !=
		    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)DSTACK_TIMEOUT_SECONDS) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply) != CURLE_OK) {
		rc = ratls_fail(detail, RATLS_ERR_INTERNAL, "cannot configure the guest agent request");
		goto out;
	}
	code = curl_easy_perform(curl);
	if (code != CURLE_OK) {
		if (reply->too_large)
			rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					"the guest agent's GetTlsKey reply is larger than %d bytes",
					DSTACK_REPLY_MAX_SIZE);
		else
			rc = ratls_fail(detail,
					code == CURLE_OPERATION_TIMEDOUT ? RATLS_ERR_TIMEOUT
									 : RATLS_ERR_NETWORK,
					"dstack guest agent request GetTlsKey on '%s' failed: %s%s%s; "
					"check that the guest agent runs and ratls_dstack_socket",
					address, curl_easy_strerror(code),
					error_text[0] != '\0' ? ": " : "", error_text);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = ratls_fail(detail, RATLS_ERR_SERVICE,
				"dstack guest agent GetTlsKey on '%s' returned HTTP status %ld",
				address, status);
		goto out;
	}
	rc = RATLS_OK;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}

/* Joins the certificate_chain array into one PEM text. */
static int join_chain(json_t *array, char **out, struct ratls_detail *detail)
{
	size_t total = 1, used = 0, index;
	json_t *item;
	char *chain;

	json_array_foreach(array, index, item) {
		if (!json_is_string(item))
			return ratls_fail(detail, RATLS_ERR_MALFORMED,
					  "the guest agent's certificate_chain holds a non-string");
		total += json_string_length(item) + 1;
	}
	chain = malloc(total);
	if (chain == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	json_array_foreach(array, index, item) {
		size_t len = json_string_length(item);

		memcpy(chain + used, json_string_value(item), len);
		chain[used + len] = '\n';
		used += len + 1;
	}
	chain[used] = '\0';
	*out = chain;
	return RATLS_OK;
}

int pq_dstack_get_tls_key(const char *socket, char **key_pem, size_t *key_pem_size,
			  char **chain_pem, struct ratls_detail *detail)
{
	const char *address = agent_address(socket);
	struct reply reply = {0};
	json_error_t error;
	json_t *root = NULL, *key, *chain;
	int rc;

	*key_pem = NULL;
	*key_pem_size = 0;
	*chain_pem = NULL;
	if (address == NULL)
		return ratls_fail(detail, RATLS_ERR_NETWORK,
				  "dstack guest agent unavailable: no socket at /var/run/dstack.sock, "
				  "/run/dstack.sock, /var/run/dstack/dstack.sock or "
				  "/run/dstack/dstack.sock and DSTACK_SIMULATOR_ENDPOINT is not set; "
				  "ratls_client_cert=dstack works inside a dstack CVM");
	if ((rc = request(address, &reply, detail)) != RATLS_OK)
		goto out;
	root = json_loadb(reply.data, reply.size, JSON_REJECT_DUPLICATES, &error);
	key = json_object_get(root, "key");
	chain = json_object_get(root, "certificate_chain");
	if (root == NULL || !json_is_string(key) || !json_is_array(chain) ||
	    json_array_size(chain) == 0) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"the guest agent's GetTlsKey reply lacks a key or a non-empty "
				"certificate_chain");
		goto out;
	}
	if ((rc = join_chain(chain, chain_pem, detail)) != RATLS_OK)
		goto out;
	*key_pem_size = json_string_length(key);
	*key_pem = malloc(*key_pem_size + 1);
	if (*key_pem == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	memcpy(*key_pem, json_string_value(key), *key_pem_size + 1);
	rc = RATLS_OK;
out:
	if (root != NULL && json_is_string(json_object_get(root, "key"))) {
		json_t *k = json_object_get(root, "key");

		/* jansson keeps its own copy of the key text; wipe it before it is freed. */
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(k), json_string_length(k));
	}
	json_decref(root);
	pq_wipe_free(reply.data, reply.size);
	if (rc != RATLS_OK) {
		free(*chain_pem);
		*chain_pem = NULL;
	}
	return rc;
}
