/*
 * Shared pieces of the "ratls sim" subcommands: the platform folder that
 * "sim init" writes and the other subcommands read, hex option values and
 * output files.
 *
 * A platform folder contains platform.json (the seed and the creation time),
 * from which every subcommand re-creates the same keys and certificates with
 * ratls_sim_platform_new_with, and the certificates written for the user.
 */
#ifndef RATLS_CLI_CMD_SIM_H
#define RATLS_CLI_CMD_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"
#include "ratls/sim.h"

/* Files of a platform folder. */
#define CLI_SIM_PLATFORM_FILE "platform.json"
#define CLI_SIM_ROOT_PEM_FILE "root.pem"
#define CLI_SIM_ROOT_DER_FILE "root.der"
#define CLI_SIM_PCK_CHAIN_FILE "pck_chain.pem"

/* Value of the "format" member of platform.json. */
#define CLI_SIM_PLATFORM_FORMAT "ratls-sim-platform"
#define CLI_SIM_PLATFORM_VERSION 1

/*
 * Largest platform.json read: the hex of a RATLS_SIM_SEED_MAX_SIZE seed
 * (2 KiB) and a few short members fit many times over.
 */
#define CLI_SIM_PLATFORM_FILE_MAX_SIZE (64 * 1024)

/* Longest path built from a folder and a file name, NUL included. */
#define CLI_SIM_PATH_SIZE 4096

/* The contents of platform.json. The seed is private key material. */
struct cli_sim_platform_file {
	uint8_t seed[RATLS_SIM_SEED_MAX_SIZE];
	size_t seed_size;
	int64_t created_at; /* Unix seconds, the `now` of ratls_sim_platform_defaults */
};

/* Wipes the whole struct, seed included. */
void cli_sim_platform_file_wipe(struct cli_sim_platform_file *file);

/*
 * Writes dir/platform.json (mode 0600, because it contains the seed),
 * replacing an existing file.
 */
int cli_sim_platform_file_write(const char *dir, const struct cli_sim_platform_file *file,
				struct ratls_detail *detail);

/*
 * Reads dir/platform.json. A missing folder or file fails with RATLS_ERR_IO
 * and a message that names "ratls sim init". Invalid contents fail with
 * RATLS_ERR_MALFORMED, and a version other than CLI_SIM_PLATFORM_VERSION
 * with RATLS_ERR_UNSUPPORTED_VERSION.
 */
int cli_sim_platform_file_read(const char *dir, struct cli_sim_platform_file *file,
			       struct ratls_detail *detail);

/* Re-creates the platform of file with params (ratls_sim_platform_new_with). */
int cli_sim_platform_create(const struct cli_sim_platform_file *file,
			    const struct ratls_sim_platform_params *params,
			    struct ratls_sim_platform **out, struct ratls_detail *detail);

/*
 * Parses a hex option value of exactly size bytes (2 * size hex digits,
 * either case, optional "0x") into out. what names the field in messages
 * ("MRTD"). Unless show_value is false, the message quotes the value.
 * Prints a usage error for command and returns CLI_EXIT_USAGE on failure,
 * CLI_EXIT_OK on success.
 */
int cli_sim_parse_hex(const char *command, const char *option, const char *what,
		      const char *text, bool show_value, uint8_t *out, size_t size);

/*
 * Parses a hex value of min_size to max_size bytes into out (max_size
 * bytes). Same messages and return values as cli_sim_parse_hex.
 */
int cli_sim_parse_hex_range(const char *command, const char *option, const char *what,
			    const char *text, bool show_value, uint8_t *out, size_t min_size,
			    size_t max_size, size_t *out_size);

/* Writes dir + "/" + name into out. Fails with RATLS_ERR_INVALID_ARGUMENT when it does not fit. */
int cli_sim_join_path(const char *dir, const char *name, char out[CLI_SIM_PATH_SIZE],
		      struct ratls_detail *detail);

/*
 * Writes data to path through a temporary file in the same folder, renamed
 * over path, so that a reader never sees a partial file. The new file gets
 * the permission bits in mode, less those in the umask. An existing path
 * that is not a regular file (/dev/null, a FIFO) is written in place.
 */
int cli_sim_write_file(const char *path, const void *data, size_t size, unsigned int mode,
		       struct ratls_detail *detail);

/*
 * Writes data to path (mode 0644), or to standard output when path is NULL
 * or "-". what names the output in messages ("quote").
 */
int cli_sim_write_output(const char *path, const void *data, size_t size, const char *what,
			 struct ratls_detail *detail);

/*
 * Creates dir with mode when it does not exist. Fails with RATLS_ERR_IO when
 * it cannot be created or exists and is not a folder.
 */
int cli_sim_make_dir(const char *dir, unsigned int mode, struct ratls_detail *detail);

/* Prints the warning that output is simulated and trusted only with --trust-root. */
void cli_sim_warn_simulated(const char *platform_dir);

/*
 * Prints "ratls: COMMAND failed: NAME: MESSAGE" to standard error and
 * returns the exit status of code.
 */
int cli_sim_report_failure(const char *command, int code, const struct ratls_detail *detail);

#endif
