/*
 * Shared pieces of the ratls command-line tool: exit statuses, failure
 * records, warnings, the library log hook and option-value parsing.
 *
 * The tool uses only the public API in include/ratls/ and jansson.
 */
#ifndef RATLS_CLI_H
#define RATLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ratls/error.h"
#include "ratls/log.h"

#ifndef RATLS_VERSION
#define RATLS_VERSION "unknown"
#endif

/*
 * Exit statuses. A failure with a library error code exits with
 * CLI_EXIT_CLASS_BASE + ratls_error_class(code), except the usage class
 * (invalid argument or policy, out of memory, I/O), which exits with
 * CLI_EXIT_USAGE like the tool's own usage errors.
 */
#define CLI_EXIT_OK 0
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_CLASS_BASE 10

/* A subcommand: "ratls GROUP NAME [options]". */
struct cli_command {
	const char *group;
	const char *name;
	const char *summary;
	/* Runs the subcommand on argv[0] = NAME and its options. Returns the exit status. */
	int (*run)(int argc, char **argv);
	void (*print_help)(FILE *out);
};

extern const struct cli_command cli_inspect_quote_command;
extern const struct cli_command cli_inspect_cert_command;
extern const struct cli_command cli_inspect_evidence_command;
extern const struct cli_command cli_verify_quote_command;
extern const struct cli_command cli_verify_cert_command;
extern const struct cli_command cli_collateral_check_command;
extern const struct cli_command cli_collateral_fetch_command;
extern const struct cli_command cli_sim_init_command;
extern const struct cli_command cli_sim_quote_command;
extern const struct cli_command cli_sim_collateral_command;
extern const struct cli_command cli_sim_cert_command;
extern const struct cli_command cli_attestation_command;
extern const struct cli_command cli_verify_host_command;
extern const struct cli_command cli_proxy_command;

/* Set by --verbose: the library's info and debug messages are printed too. */
extern bool cli_verbose;

/*
 * Records code and the formatted message in detail unless a failure is
 * already recorded there (the first failure wins, as in the library).
 * Returns code.
 */
int cli_fail(struct ratls_detail *detail, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maps a library error code to the exit status (see CLI_EXIT_*). */
int cli_exit_status(int code);

/* Returns the detail message, or the fixed sentence of code when none was recorded. */
const char *cli_detail_message(const struct ratls_detail *detail, int code);

/* Prints "ratls: warning: MESSAGE" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints a one-line usage error for command ("verify quote") with a hint to
 * run its --help, and returns CLI_EXIT_USAGE.
 */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Turns a getopt_long result of '?' or ':' (opterr = 0, optstring starting
 * with ':') into a usage error for command. optind_before is optind before
 * that getopt_long call. Returns CLI_EXIT_USAGE.
 */
int cli_option_error(const char *command, int opt, char **argv, int optind_before);

/* Log callback for ratls_set_log_callback: prints warnings and errors, and more with --verbose. */
void cli_log_to_stderr(enum ratls_log_level level, const char *message, void *arg);

/*
 * Parses a whole decimal integer in [min, max] with strtoll. Returns false
 * on an empty string, a sign or digit error, trailing characters or a value
 * out of range.
 */
bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);

/*
 * Parses a verification time: RFC 3339 ("2025-07-19T10:00:34Z", fractions
 * truncated, offsets such as "+02:00" applied) or Unix seconds. Returns
 * RATLS_ERR_INVALID_ARGUMENT with the reason in detail.
 */
int cli_parse_time(const char *text, int64_t *out, struct ratls_detail *detail);

/* Size of a buffer for cli_format_time, NUL included. */
#define CLI_TIME_TEXT_SIZE 32

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" (UTC), or "invalid time" when out of range. */
void cli_format_time(int64_t t, char out[CLI_TIME_TEXT_SIZE]);

/* Writes 2 * size lowercase hex digits and a NUL. out_size must be at least 2 * size + 1. */
void cli_hex_encode(const uint8_t *data, size_t size, char *out, size_t out_size);

/* True when all size bytes are zero. */
bool cli_all_zero(const uint8_t *data, size_t size);

/* Prints the exit status table used in every help text. */
void cli_print_exit_status_help(FILE *out);

/*
 * The attested connection options that "verify host" and "proxy" share
 * (cmd_verify_host.c). Each sets a keyword of ratls_pq_options_set; the
 * repeatable ones are joined into one list when applied.
 */
struct option;
struct ratls_pq_options;

/* getopt_long values of the shared options: CLI_PQ_OPTION_BASE and up. */
#define CLI_PQ_OPTION_BASE 1024
#define CLI_PQ_LONG_OPTION_COUNT 21
/* Repeatable options (--mrtd, --compose-hash, --app-id, --os-image-hash, --allow-tcb). */
#define CLI_PQ_LISTS 5
#define CLI_PQ_LIST_MAX 64

struct cli_pq_args {
	struct ratls_pq_options *options;
	const char *command;
	const char *lists[CLI_PQ_LISTS][CLI_PQ_LIST_MAX];
	size_t counts[CLI_PQ_LISTS];
	const char *trust_root;
	bool allow_debug;
	bool allow_simulator;
	bool client_files;
	bool client_dstack;
};

/* Copies the CLI_PQ_LONG_OPTION_COUNT getopt_long entries into out. */
void cli_pq_long_options(struct option *out);
void cli_pq_args_init(struct cli_pq_args *args, struct ratls_pq_options *options,
		      const char *command);
bool cli_pq_is_option(int opt);
/* Returns CLI_EXIT_OK, or prints a usage error and returns CLI_EXIT_USAGE. */
int cli_pq_handle_option(struct cli_pq_args *args, int opt, const char *value);
/* Sets the joined lists and warns about the options that weaken the check. */
int cli_pq_args_apply(struct cli_pq_args *args);
void cli_pq_print_help(FILE *out);

#endif
