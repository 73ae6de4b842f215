/*
 * Checks and normalisation of the service URLs. Parsing is libcurl's URL
 * API, so the host checked here is the host libcurl connects to.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/fail.h"
#include "pcs_internal.h"

/* True for 127.0.0.0/8, ::1 and "localhost", the hosts plain http may reach. */
static bool is_loopback_host(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char bare[64];
	size_t len = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;

	/* libcurl returns IPv6 hosts in brackets. */
	if (len < 2 || len - 2 >= sizeof(bare) || host[0] != '[' || host[len - 1] != ']')
		return false;
	memcpy(bare, host + 1, len - 2);
	bare[len - 2] = '\0';
	return inet_pton(AF_INET6, bare, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int ratls_pcs_check_url(const char *url, const char *option_name, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	CURLU *parsed = NULL;
	char *scheme = NULL;
	char *host = NULL;
	char *part = NULL;
	size_t len = strlen(url);

	if (len == 0 || len > RATLS_PCS_URL_MAX_LEN) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"%s has %zu characters; give a URL of 1 to %d characters", option_name, len,
				RATLS_PCS_URL_MAX_LEN);
		goto out;
	}
	if ((rc = ratls_pcs_http_init(detail)) != RATLS_OK)
		goto out;
	parsed = curl_url();
	if (parsed == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory parsing %s", option_name);
		goto out;
	}
	if (curl_url_set(parsed, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"%s \"%.200s\" is not an absolute URL; write it as "
				"https://host[:port][/path]",
				option_name, url);
		goto out;
	}

	if (strcmp(scheme, "http") == 0 && !is_loopback_host(host)) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"%s \"%.200s\" uses http to host %s; use https, because plain http "
				"is allowed only to a loopback address (127.0.0.0/8, ::1, "
				"localhost)",
				option_name, url, host);
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"%s \"%.200s\" has scheme %s; use https", option_name, url, scheme);
		goto out;
	}

	if (curl_url_get(parsed, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(parsed, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"%s \"%.200s\" has a query or fragment; remove everything from the "
				"first '?' or '#'",
				option_name, url);
		goto out;
	}

	rc = RATLS_OK;
out:
	curl_free(part);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(parsed);
	return rc;
}

/* Removes suffix from the end of text (of length *len) when it is there. */
static bool strip_suffix(const char *text, size_t *len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (*len < n || strncmp(text + *len - n, suffix, n) != 0)
		return false;
	*len -= n;
	return true;
}

static void strip_slashes(const char *text, size_t *len)
{
	while (*len > 0 && text[*len - 1] == '/')
		(*len)--;
}

int ratls_pcs_normalize_base_url(const char *url, char **out, struct ratls_detail *detail)
{
	size_t len = strlen(url);
	char *copy;

	strip_slashes(url, &len);
	if (strip_suffix(url, &len, "/sgx/certification/v4") ||
	    strip_suffix(url, &len, "/tdx/certification/v4"))
		strip_slashes(url, &len);
	if (strstr(url, "://") == NULL || strstr(url, "://") + 3 >= url + len)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "base URL \"%.200s\" has no host left after removing its "
				  "/certification/v4 path",
				  url);

	copy = malloc(len + 1);
	if (copy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	memcpy(copy, url, len);
	copy[len] = '\0';
	*out = copy;
	return RATLS_OK;
}
