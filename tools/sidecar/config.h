/*
 * Configuration of ratls-sidecar: command-line options and a configuration
 * file of "key = value" lines whose keys are the long option names without
 * the leading dashes. A value given on the command line replaces the file's. For a repeatable
 * option (dns-name, client-mrtd, ...), the command line's values replace
 * all of the file's.
 */
#ifndef SIDECAR_CONFIG_H
#define SIDECAR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "ratls/error.h"
#include "ratls/policy.h"
#include "source.h"

/* Largest configuration file read; a full one is about 2 KiB. */
#define SIDECAR_CONFIG_FILE_MAX_SIZE (256 * 1024)

/* Maximum number of values of a repeatable option. */
#define SIDECAR_LIST_MAX 64

/* Maximum number of DNS names in the certificate (ratls_issue_cert's limit). */
#define SIDECAR_DNS_NAMES_MAX RATLS_ISSUE_DNS_NAMES_MAX

struct sidecar_list {
	const char *items[SIDECAR_LIST_MAX];
	size_t count;
};

struct sidecar_config {
	const char *config_path;

	/* PostgreSQL port and upstream. */
	const char *listen;
	const char *upstream;
	int64_t max_connections;
	int64_t handshake_timeout;
	int64_t idle_timeout;
	int64_t keepalive;
	int64_t drain_timeout;

	/* HTTP port; NULL when "off". */
	const char *http_listen;
	int64_t attestation_rate;
	int64_t attestation_burst;

	/* PostgreSQL state for /health and /attestation. */
	const char *pg_conninfo;    /* NULL: derived from upstream */
	const char *pg_data;        /* NULL: SHOW data_directory */
	const char *pg_controldata; /* NULL: searched */

	/* Certificate. */
	struct sidecar_source_options source;
	const char *common_name;
	struct sidecar_list dns_names;
	int64_t rotate_interval;

	/* Mutual RA-TLS. */
	bool require_client_attestation;
	const char *client_trust_root;
	const char *client_collateral;
	struct sidecar_list client_mrtds;
	struct sidecar_list client_app_ids;
	struct sidecar_list client_compose_hashes;
	struct sidecar_list client_allow_tcb;

	enum sidecar_log_level log_level;

	/* The configuration file's text, which the file's values point into. */
	char *file_text;
};

/* Result of parsing: run, or exit with a status (help printed or an error reported). */
enum sidecar_config_result { SIDECAR_CONFIG_RUN = 0, SIDECAR_CONFIG_EXIT = 1 };

/*
 * Fills config from argv and the file named by --config. The strings point
 * into argv or into storage kept until sidecar_config_free. Prints help,
 * the version or a usage error itself; *exit_status is then the status to
 * exit with (0 or 2).
 */
enum sidecar_config_result sidecar_config_parse(int argc, char **argv,
						struct sidecar_config *config,
						int *exit_status);

/* Frees the storage of a parsed configuration. */
void sidecar_config_free(struct sidecar_config *config);

/*
 * Builds the client policy from the client-* options. On success *out is a
 * new policy for ratls_policy_free.
 */
int sidecar_config_client_policy(const struct sidecar_config *config, struct ratls_policy **out,
				 struct ratls_detail *detail);

/* Prints the help text. */
void sidecar_config_print_help(FILE *out);

#endif
