/*
 * The TeeSQL sidecar's credentials: its roles are teesql_read and
 * teesql_readwrite, and the password is the cluster secret, 32 bytes as 64
 * lowercase hex digits. Checking them before any network I/O turns a typo
 * into an immediate, precise error instead of a failed login on a server
 * that already saw the attempt. The messages repeat those of the TeeSQL
 * Rust client sqlx-ra-tls 0.4.0 (src/connector.rs, validate_dsn), which
 * its users already know.
 */
#include <string.h>

#include "base/fail.h"
#include "pq_internal.h"

/* The cluster secret: 32 bytes as hex. */
#define TEESQL_PASSWORD_LEN 64

int pq_check_teesql_credentials(const char *user, const char *password,
				struct ratls_detail *detail)
{
	size_t len;

	if (user == NULL || (strcmp(user, "teesql_read") != 0 &&
			     strcmp(user, "teesql_readwrite") != 0))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "bad credentials: username must be one of [\"teesql_read\", "
				  "\"teesql_readwrite\"] for the teesql sidecar, got '%s'",
				  user != NULL ? user : "");
	if (password == NULL || password[0] == '\0')
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "bad credentials: DSN must include a password field");
	len = strlen(password);
	if (len != TEESQL_PASSWORD_LEN)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "bad credentials: cluster secret password must be 64 hex chars "
				  "(32 bytes), got %zu",
				  len);
	for (size_t i = 0; i < len; i++) {
		char c = password[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "bad credentials: cluster secret password must be "
					  "lowercase hex");
	}
	return RATLS_OK;
}
