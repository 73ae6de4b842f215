/*
 * The PostgreSQL state behind /health and /attestation: a libpq ping, the
 * WAL position and version, and the hash of pg_controldata's output. All
 * of it blocks, so it runs on worker threads.
 */
#ifndef SIDECAR_POSTGRES_H
#define SIDECAR_POSTGRES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ratls/error.h"
#include "ratls/report.h"
#include "util.h"

/* Seconds libpq waits for PostgreSQL to accept a connection (connect_timeout). */
#define SIDECAR_PG_CONNECT_TIMEOUT "5"

/* Largest pg_controldata output read; PostgreSQL 15 prints about 2 KiB. */
#define SIDECAR_CONTROLDATA_MAX_SIZE (64 * 1024)

/* Seconds pg_controldata may run; it reads one 8 KiB file. */
#define SIDECAR_CONTROLDATA_TIMEOUT 10

/* Maximum length of the conninfo the sidecar builds. */
#define SIDECAR_CONNINFO_SIZE 1024

struct sidecar_pg_state {
	uint64_t wal_lsn;
	char wal_lsn_text[RATLS_LSN_TEXT_SIZE];
	char pg_version[RATLS_PG_VERSION_MAX_LEN + 1];
	uint8_t controldata_hash[32];
};

/*
 * Writes the conninfo for the sidecar's own queries: config->pg_conninfo,
 * or host and port from the upstream with user=postgres dbname=postgres.
 */
void sidecar_pg_conninfo(const struct sidecar_config *config, char out[SIDECAR_CONNINFO_SIZE]);

/*
 * Finds pg_controldata: config->pg_controldata, else on PATH, else in the
 * folder that "pg_config --bindir" prints (Debian keeps it in
 * /usr/lib/postgresql/N/bin). Returns RATLS_ERR_IO when none is found.
 */
int sidecar_pg_find_controldata(const struct sidecar_config *config,
				char out[SIDECAR_PATH_SIZE], struct ratls_detail *detail);

/*
 * Pings PostgreSQL with libpq (PQping: a connection attempt and the server's first reply, without credentials). Returns RATLS_OK when the
 * server accepts connections, RATLS_ERR_NETWORK otherwise.
 */
int sidecar_pg_ping(const char *conninfo, struct ratls_detail *detail);

/*
 * Reads the current WAL LSN (the replay LSN on a standby) and
 * server_version over libpq, and hashes the output of controldata_path
 * run with LC_ALL=C and TZ=UTC on data_dir (NULL: the server's
 * data_directory setting, which needs superuser or pg_read_all_settings).
 */
int sidecar_pg_read_state(const char *conninfo, const char *data_dir,
			  const char *controldata_path, struct sidecar_pg_state *out,
			  struct ratls_detail *detail);

/*
 * Runs program with args (argv[0] first, NULL-terminated) and environment
 * env, and returns its standard output (at most max_size bytes, freed with
 * free()). Fails when it does not exit with status 0 within timeout
 * seconds; the message includes the start of its standard error.
 */
int sidecar_run_program(const char *program, char *const args[], char *const env[],
			size_t max_size, int timeout, uint8_t **output, size_t *output_size,
			struct ratls_detail *detail);

#endif
