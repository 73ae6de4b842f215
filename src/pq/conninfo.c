/*
 * Connection strings: the ratls_ keywords are taken out before libpq gets
 * the string, because PQconninfoParse rejects keywords it does not know.
 *
 * The key=value form follows libpq's rules (libpq documentation, section
 * "Connection Strings"): keywords and values separated by '=' with optional
 * spaces around it, values in single quotes when they contain spaces, and
 * backslash escaping a quote or backslash. The URI form
 * (postgresql:// or postgres://) carries ratls_ keywords as query
 * parameters, which are percent-decoded.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "base/fail.h"
#include "pq_internal.h"

/* A growing string for the cleaned connection string. */
struct text {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

static void text_append(struct text *t, const char *data, size_t len)
{
	if (t->failed)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;
		char *grown = realloc(t->data, cap);

		if (grown == NULL) {
			t->failed = true;
			return;
		}
		t->data = grown;
		t->cap = cap;
	}
	memcpy(t->data + t->len, data, len);
	t->len += len;
	t->data[t->len] = '\0';
}

void pq_pairs_free(struct pq_pair *pairs, size_t count)
{
	for (size_t i = 0; pairs != NULL && i < count; i++) {
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
}

static int add_pair(struct pq_pair **pairs, size_t *count, const char *key, size_t key_len,
		    const char *value, size_t value_len, struct ratls_detail *detail)
{
	struct pq_pair *grown = realloc(*pairs, (*count + 1) * sizeof(**pairs));
	struct pq_pair *pair;

	if (grown == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory splitting the "
							       "connection string");
	*pairs = grown;
	pair = &grown[*count];
	pair->key = strndup(key, key_len);
	pair->value = strndup(value, value_len);
	if (pair->key == NULL || pair->value == NULL) {
		free(pair->key);
		free(pair->value);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory splitting the "
							       "connection string");
	}
	(*count)++;
	return RATLS_OK;
}

static bool has_prefix(const char *text, size_t len)
{
	const size_t prefix_len = strlen(RATLS_PQ_KEYWORD_PREFIX);

	return len >= prefix_len && memcmp(text, RATLS_PQ_KEYWORD_PREFIX, prefix_len) == 0;
}

/* Appends value in single quotes, escaping quotes and backslashes as libpq reads them. */
static void append_quoted(struct text *t, const char *value, size_t len)
{
	text_append(t, "'", 1);
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\'' || value[i] == '\\')
			text_append(t, "\\", 1);
		text_append(t, &value[i], 1);
	}
	text_append(t, "'", 1);
}

static const char *skip_spaces(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Reads one value of the key=value form into *value (unescaped) and returns the position after it. */
static const char *read_value(const char *p, struct text *value, bool *ok)
{
	*ok = true;
	if (*p != '\'') {
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			if (*p == '\\') {
				p++;
				if (*p == '\0')
					break;
			}
			text_append(value, p, 1);
			p++;
		}
		return p;
	}
	p++;
	for (;;) {
		if (*p == '\0') {
			*ok = false;
			return p;
		}
		if (*p == '\'')
			return p + 1;
		if (*p == '\\') {
			p++;
			if (*p == '\0') {
				*ok = false;
				return p;
			}
		}
		text_append(value, p, 1);
		p++;
	}
}

static int split_key_value(const char *conninfo, struct text *clean, struct pq_pair **pairs,
			   size_t *pair_count, struct ratls_detail *detail)
{
	const char *p = conninfo;
	int rc;

	for (;;) {
		const char *key;
		size_t key_len;
		struct text value = {0};
		bool ok;

		p = skip_spaces(p);
		if (*p == '\0')
			return RATLS_OK;
		key = p;
		while (*p != '\0' && !isspace((unsigned char)*p) && *p != '=')
			p++;
		key_len = (size_t)(p - key);
		p = skip_spaces(p);
		if (*p != '=')
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "invalid connection string: missing \"=\" after \"%.*s\"",
					  (int)key_len, key);
		p = skip_spaces(p + 1);
		text_append(&value, "", 0);
		p = read_value(p, &value, &ok);
		if (value.failed) {
			free(value.data);
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					  "out of memory splitting the connection string");
		}
		if (!ok) {
			free(value.data);
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "invalid connection string: unterminated quoted value of "
					  "\"%.*s\"",
					  (int)key_len, key);
		}
		if (has_prefix(key, key_len)) {
			const size_t prefix_len = strlen(RATLS_PQ_KEYWORD_PREFIX);

			rc = add_pair(pairs, pair_count, key + prefix_len, key_len - prefix_len,
				      value.data, value.len, detail);
		} else {
			text_append(clean, key, key_len);
			text_append(clean, "=", 1);
			append_quoted(clean, value.data, value.len);
			text_append(clean, " ", 1);
			rc = RATLS_OK;
		}
		free(value.data);
		if (rc != RATLS_OK)
			return rc;
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes len bytes as libpq does for URIs (no '+' rule; %00 is refused). */
static int percent_decode(const char *text, size_t len, struct text *out,
			  struct ratls_detail *detail)
{
	text_append(out, "", 0);
	for (size_t i = 0; i < len; i++) {
		int high, low;
		char c;

		if (text[i] != '%') {
			text_append(out, &text[i], 1);
			continue;
		}
		high = len - i >= 3 ? hex_value(text[i + 1]) : -1;
		low = len - i >= 3 ? hex_value(text[i + 2]) : -1;
		if (high < 0 || low < 0)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "invalid connection URI: bad percent-encoded token in "
					  "\"%.*s\"",
					  (int)len, text);
		c = (char)(high * 16 + low);
		if (c == '\0')
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "invalid connection URI: %%00 in \"%.*s\"", (int)len, text);
		text_append(out, &c, 1);
		i += 2;
	}
	if (out->failed)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory decoding the URI");
	return RATLS_OK;
}

static bool is_uri(const char *conninfo)
{
	return strncmp(conninfo, "postgresql://", 13) == 0 || strncmp(conninfo, "postgres://", 11) == 0;
}

/* Takes the ratls_ parameters out of a URI's query and keeps the others as they were written. */
static int split_uri(const char *conninfo, struct text *clean, struct pq_pair **pairs,
		     size_t *pair_count, struct ratls_detail *detail)
{
	const char *query = strchr(conninfo, '?');
	const char *p;
	bool first = true;

	if (query == NULL) {
		text_append(clean, conninfo, strlen(conninfo));
		return RATLS_OK;
	}
	text_append(clean, conninfo, (size_t)(query - conninfo));
	p = query + 1;
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		struct text key = {0}, value = {0};
		int rc;

		if (len == 0) {
			p += end != NULL ? 1 : 0;
			continue;
		}
		rc = percent_decode(p, eq != NULL ? (size_t)(eq - p) : len, &key, detail);
		if (rc == RATLS_OK && has_prefix(key.data, key.len)) {
			const size_t prefix_len = strlen(RATLS_PQ_KEYWORD_PREFIX);

			if (eq == NULL)
				rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
						"invalid connection URI: parameter \"%s\" has no "
						"\"=\" and value",
						key.data);
			else
				rc = percent_decode(eq + 1, len - (size_t)(eq + 1 - p), &value,
						    detail);
			if (rc == RATLS_OK)
				rc = add_pair(pairs, pair_count, key.data + prefix_len,
					      key.len - prefix_len, value.data, value.len, detail);
		} else if (rc == RATLS_OK) {
			text_append(clean, first ? "?" : "&", 1);
			text_append(clean, p, len);
			first = false;
		}
		free(key.data);
		free(value.data);
		if (rc != RATLS_OK)
			return rc;
		p += len;
		if (*p == '&')
			p++;
	}
	return RATLS_OK;
}

int pq_conninfo_split(const char *conninfo, char **clean, struct pq_pair **pairs,
		      size_t *pair_count, struct ratls_detail *detail)
{
	struct text out = {0};
	size_t len = strlen(conninfo);
	int rc;

	*clean = NULL;
	*pairs = NULL;
	*pair_count = 0;
	if (len > RATLS_PQ_CONNINFO_MAX_LEN)
		return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				  "the connection string is %zu bytes long, more than the %d "
				  "allowed",
				  len, RATLS_PQ_CONNINFO_MAX_LEN);
	text_append(&out, "", 0);
	if (is_uri(conninfo))
		rc = split_uri(conninfo, &out, pairs, pair_count, detail);
	else
		rc = split_key_value(conninfo, &out, pairs, pair_count, detail);
	if (rc == RATLS_OK && out.failed)
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY,
				"out of memory splitting the connection string");
	if (rc != RATLS_OK) {
		free(out.data);
		pq_pairs_free(*pairs, *pair_count);
		*pairs = NULL;
		*pair_count = 0;
		return rc;
	}
	*clean = out.data;
	return RATLS_OK;
}

/* ---- the request ---- */

void pq_target_describe(const struct pq_target *target, char *out, size_t size)
{
	const char *host = target->host[0] != '\0' ? target->host : target->hostaddr;

	if (strchr(host, ':') != NULL)
		snprintf(out, size, "[%s]:%s", host, target->port);
	else
		snprintf(out, size, "%s:%s", host, target->port);
}

/* The value libpq parsed for keyword, or NULL when it was not given (or given empty). */
static const char *option_value(const PQconninfoOption *options, const char *keyword)
{
	for (const PQconninfoOption *o = options; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	}
	return NULL;
}

/* The connection string's value, else the environment variable's (libpq's order). */
static const char *value_or_env(const PQconninfoOption *options, const char *keyword,
				const char *env)
{
	const char *value = option_value(options, keyword);

	if (value == NULL) {
		value = getenv(env);
		if (value != NULL && value[0] == '\0')
			value = NULL;
	}
	return value;
}

static int copy_field(char *out, size_t size, const char *value, const char *what,
		      struct ratls_detail *detail)
{
	if (strlen(value) >= size)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the %s '%.40s...' is longer than %zu bytes", what, value,
				  size - 1);
	memcpy(out, value, strlen(value) + 1);
	return RATLS_OK;
}

static int find_target(const PQconninfoOption *parsed, struct pq_target *target,
		       struct ratls_detail *detail)
{
	const char *host = value_or_env(parsed, "host", "PGHOST");
	const char *hostaddr = value_or_env(parsed, "hostaddr", "PGHOSTADDR");
	const char *port = value_or_env(parsed, "port", "PGPORT");
	char *end = NULL;
	long number;
	int rc;

	if (port == NULL)
		port = "5432";
	if ((host != NULL && strchr(host, ',') != NULL) ||
	    (hostaddr != NULL && strchr(hostaddr, ',') != NULL) || strchr(port, ',') != NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "the connection string lists several hosts or ports ('%s', port "
				  "'%s'); ratls connects to one server, so give one host and port",
				  host != NULL ? host : hostaddr, port);
	if (host != NULL && (host[0] == '/' || host[0] == '@'))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "host '%s' is a Unix socket directory, but ratls connects to the "
				  "server's RA-TLS port over TCP; give the server's host name",
				  host);
	if (host == NULL && hostaddr == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "no host given; set host= in the connection string or PGHOST in "
				  "the environment to the server's host name");
	number = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || number < 1 || number > 65535)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "invalid port '%s'; use a number from 1 to 65535", port);
	if (host != NULL && (rc = copy_field(target->host, sizeof(target->host), host, "host",
					     detail)) != RATLS_OK)
		return rc;
	if (hostaddr != NULL &&
	    (rc = copy_field(target->hostaddr, sizeof(target->hostaddr), hostaddr, "hostaddr",
			     detail)) != RATLS_OK)
		return rc;
	return copy_field(target->port, sizeof(target->port), port, "port", detail);
}

/* libpq keywords that ratls sets itself or that have no meaning on the local leg. */
static bool replaced_keyword(const char *keyword)
{
	static const char *const replaced[] = {"host", "hostaddr", "port", "sslmode", "gssencmode",
					       "requiressl", NULL};

	for (size_t i = 0; replaced[i] != NULL; i++) {
		if (strcmp(keyword, replaced[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Rejects libpq settings that ask for something the attested session
 * replaces: plain text, libpq's own certificate checks, or TLS-bound
 * authentication on the local leg. Ignoring them would drop a check the
 * caller asked for without saying so.
 */
static int check_libpq_settings(const PQconninfoOption *parsed, struct ratls_detail *detail)
{
	static const char *const tls_files[] = {"sslcert", "sslkey", "sslrootcert", "sslcrl",
						"sslcrldir", NULL};
	const char *sslmode = option_value(parsed, "sslmode");
	const char *gssencmode = option_value(parsed, "gssencmode");
	const char *channel_binding = option_value(parsed, "channel_binding");

	if (sslmode != NULL && (strcmp(sslmode, "disable") == 0 || strcmp(sslmode, "allow") == 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "sslmode=%s allows a connection without TLS, but ratls always "
				  "connects with attested TLS; remove sslmode",
				  sslmode);
	if (gssencmode != NULL && strcmp(gssencmode, "require") == 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "gssencmode=require cannot be met: ratls encrypts with attested "
				  "TLS; remove gssencmode");
	if (channel_binding != NULL && strcmp(channel_binding, "require") == 0)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "channel_binding=require needs libpq's own TLS session, but ratls "
				  "owns the TLS session and libpq talks to it in plain text; remove "
				  "channel_binding");
	for (size_t i = 0; tls_files[i] != NULL; i++) {
		const char *value = option_value(parsed, tls_files[i]);

		if (value != NULL)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s is a setting of libpq's TLS, which ratls replaces; "
					  "for a client certificate use ratls_client_cert=file with "
					  "ratls_client_cert_file and ratls_client_key_file, and the "
					  "server is checked by attestation instead of a CA",
					  tls_files[i]);
	}
	return RATLS_OK;
}

static int build_params(const PQconninfoOption *parsed, struct pq_request *request,
			struct ratls_detail *detail)
{
	size_t count = 0, n = 0;

	for (const PQconninfoOption *o = parsed; o->keyword != NULL; o++) {
		if (o->val != NULL && !replaced_keyword(o->keyword))
			count++;
	}
	request->keywords = calloc(count + 1, sizeof(char *));
	request->values = calloc(count + 1, sizeof(char *));
	if (request->keywords == NULL || request->values == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building the "
							       "connection parameters");
	for (const PQconninfoOption *o = parsed; o->keyword != NULL; o++) {
		if (o->val == NULL || replaced_keyword(o->keyword))
			continue;
		request->keywords[n] = strdup(o->keyword);
		request->values[n] = strdup(o->val);
		n++;
		request->param_count = n;
		if (request->keywords[n - 1] == NULL || request->values[n - 1] == NULL)
			return ratls_fail(detail, RATLS_ERR_NO_MEMORY,
					  "out of memory building the connection parameters");
	}
	return RATLS_OK;
}

static int apply_pairs(struct pq_settings *settings, const struct pq_pair *pairs, size_t count,
		       struct ratls_detail *detail)
{
	for (size_t i = 0; i < count; i++) {
		int kw = pq_keyword_find(pairs[i].key, strlen(pairs[i].key));
		char origin[96];
		int rc;

		if (kw < 0)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "unknown keyword '%s%s' in the connection string; "
					  "docs/connector.md lists the ratls_ keywords",
					  RATLS_PQ_KEYWORD_PREFIX, pairs[i].key);
		if (pq_keywords[kw].flags & PQ_KW_SECRET)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "%s%s is not accepted in a connection string, so that the "
					  "secret does not travel with it; set %s in the environment "
					  "or call ratls_pq_options_set",
					  RATLS_PQ_KEYWORD_PREFIX, pairs[i].key, pq_keywords[kw].env);
		snprintf(origin, sizeof(origin), "connection string keyword %s%s",
			 RATLS_PQ_KEYWORD_PREFIX, pairs[i].key);
		rc = pq_settings_set(settings, (enum pq_kw)kw, pairs[i].value,
				     strlen(pairs[i].value), origin, detail);
		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

/* libpq's connect_timeout: seconds, where values of 1 count as 2 and 0 or less as none. */
static int libpq_timeout(const PQconninfoOption *parsed)
{
	const char *value = value_or_env(parsed, "connect_timeout", "PGCONNECT_TIMEOUT");
	long seconds;

	if (value == NULL)
		return 0;
	seconds = strtol(value, NULL, 10);
	if (seconds <= 0)
		return 0;
	return seconds < 2 ? 2 : (seconds > 86400 ? 86400 : (int)seconds);
}

static const char *default_user(void)
{
	struct passwd *entry = getpwuid(geteuid());

	return entry != NULL ? entry->pw_name : NULL;
}

static int check_credentials(const PQconninfoOption *parsed, struct ratls_detail *detail)
{
	const char *user = value_or_env(parsed, "user", "PGUSER");
	const char *password = option_value(parsed, "password");

	if (user == NULL)
		user = default_user();
	if (password == NULL)
		password = getenv("PGPASSWORD");
	return pq_check_teesql_credentials(user, password, detail);
}

int pq_request_parse(const char *conninfo, const struct ratls_pq_options *options,
		     struct pq_request *out, struct ratls_detail *detail)
{
	struct pq_pair *pairs = NULL;
	size_t pair_count = 0;
	PQconninfoOption *parsed = NULL;
	char *clean = NULL, *error = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (conninfo == NULL)
		conninfo = "";
	if ((rc = pq_conninfo_split(conninfo, &clean, &pairs, &pair_count, detail)) != RATLS_OK)
		goto out;
	parsed = PQconninfoParse(clean, &error);
	if (parsed == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "invalid connection string: %s",
				error != NULL ? error : "out of memory");
		goto out;
	}

	if ((rc = pq_settings_from_env(&out->settings, detail)) != RATLS_OK)
		goto out;
	if (options != NULL &&
	    (rc = pq_settings_overlay(&out->settings, &options->settings, detail)) != RATLS_OK)
		goto out;
	if ((rc = apply_pairs(&out->settings, pairs, pair_count, detail)) != RATLS_OK)
		goto out;

	if (value_or_env(parsed, "service", "PGSERVICE") != NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"a service (service= or PGSERVICE) is set, but ratls does not read "
				"service files; give host and port in the connection string");
		goto out;
	}
	if ((rc = check_libpq_settings(parsed, detail)) != RATLS_OK)
		goto out;
	if ((rc = find_target(parsed, &out->target, detail)) != RATLS_OK)
		goto out;
	if (pq_settings_bool(&out->settings, PQ_KW_TEESQL_CREDENTIALS) &&
	    (rc = check_credentials(parsed, detail)) != RATLS_OK)
		goto out;

	out->libpq_connect_timeout = libpq_timeout(parsed);
	if (out->settings.value[PQ_KW_CONNECT_TIMEOUT] == NULL && out->libpq_connect_timeout > 0) {
		char seconds[16];

		snprintf(seconds, sizeof(seconds), "%d", out->libpq_connect_timeout);
		rc = pq_settings_set(&out->settings, PQ_KW_CONNECT_TIMEOUT, seconds, strlen(seconds),
				     "connect_timeout", detail);
		if (rc != RATLS_OK)
			goto out;
	}
	rc = build_params(parsed, out, detail);
out:
	/* The password may be a cluster secret: wipe every copy made here. */
	if (parsed != NULL) {
		for (PQconninfoOption *o = parsed; o->keyword != NULL; o++) {
			if (o->val != NULL)
				OPENSSL_cleanse(o->val, strlen(o->val));
		}
		PQconninfoFree(parsed);
	}
	PQfreemem(error);
	if (clean != NULL)
		pq_wipe_free(clean, strlen(clean));
	pq_pairs_free(pairs, pair_count);
	return rc;
}

void pq_request_clear(struct pq_request *request)
{
	for (size_t i = 0; i < request->param_count; i++) {
		free(request->keywords[i]);
		if (request->values[i] != NULL)
			pq_wipe_free(request->values[i], strlen(request->values[i]));
	}
	free(request->keywords);
	free(request->values);
	pq_settings_clear(&request->settings);
	memset(request, 0, sizeof(*request));
}
