/* Failure records, warnings, usage errors and the log hook of the ratls tool. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_verbose;

int cli_fail(struct ratls_detail *detail, int code, const char *fmt, ...)
{
	va_list ap;

	if (detail == NULL || detail->code != RATLS_OK)
		return code;
	detail->code = code;
	va_start(ap, fmt);
	if (vsnprintf(detail->message, sizeof(detail->message), fmt, ap) < 0)
		detail->message[0] = '\0';
	va_end(ap);
	return code;
}

int cli_exit_status(int code)
{
	enum ratls_error_class cls;

	if (code == RATLS_OK)
		return CLI_EXIT_OK;
	cls = ratls_error_class(code);
	if (cls == RATLS_CLASS_USAGE || cls == RATLS_CLASS_OK)
		return CLI_EXIT_USAGE;
	return CLI_EXIT_CLASS_BASE + (int)cls;
}

const char *cli_detail_message(const struct ratls_detail *detail, int code)
{
	if (detail != NULL && detail->message[0] != '\0')
		return detail->message;
	return ratls_strerror(code);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("ratls: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ratls %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; run 'ratls %s --help' for usage\n", command);
	return CLI_EXIT_USAGE;
}

int cli_option_error(const char *command, int opt, char **argv, int optind_before)
{
	/*
	 * getopt_long moves optind past a rejected long option or the last
	 * option of a group ("-vx"), but not past one inside a group.
	 */
	bool moved = optind > optind_before && optind > 0;
	const char *arg = moved ? argv[optind - 1] : "";
	bool long_option = moved && strncmp(arg, "--", 2) == 0;
	const char *eq = long_option ? strchr(arg, '=') : NULL;

	if (opt == ':')
		return cli_usage_error(command, "option '%s' requires a value", arg);
	if (!long_option)
		return cli_usage_error(command, "unknown option '-%c'",
				       optopt > ' ' && optopt < 127 ? optopt : '?');
	if (optopt != 0 && eq != NULL)
		return cli_usage_error(command, "option '%.*s' does not take a value",
				       (int)(eq - arg), arg);
	return cli_usage_error(command, "unknown or ambiguous option '%s'", arg);
}

void cli_log_to_stderr(enum ratls_log_level level, const char *message, void *arg)
{
	const char *label;

	(void)arg;
	switch (level) {
	case RATLS_LOG_ERROR:
		label = "error";
		break;
	case RATLS_LOG_WARNING:
		label = "warning";
		break;
	case RATLS_LOG_INFO:
		label = "info";
		break;
	default:
		label = "debug";
		break;
	}
	if (level > RATLS_LOG_WARNING && !cli_verbose)
		return;
	fprintf(stderr, "ratls: %s: %s\n", label, message);
}

bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long value;

	/* strtoll accepts leading spaces and a '+', which a command-line number should not have. */
	if (text == NULL || text[0] == '\0' ||
	    !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return false;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return false;
	if (value < min || value > max)
		return false;
	*out = (int64_t)value;
	return true;
}

void cli_hex_encode(const uint8_t *data, size_t size, char *out, size_t out_size)
{
	static const char digits[] = "0123456789abcdef";

	if (out_size == 0)
		return;
	if (out_size < 2 * size + 1) {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * size] = '\0';
}

bool cli_all_zero(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != 0)
			return false;
	}
	return true;
}

void cli_print_exit_status_help(FILE *out)
{
	fputs("Exit status:\n"
	      "   0  success\n"
	      "   2  usage error, unreadable file, invalid option value, out of memory\n"
	      "  12  malformed input (quote, collateral or certificate cannot be decoded)\n"
	      "  13  chain of trust (signature, certificate chain, root, revocation)\n"
	      "  14  collateral (expired, not yet valid, mismatched, missing, bad signature)\n"
	      "  15  TCB (status not accepted, no matching TCB level, QE or module identity)\n"
	      "  16  policy (debug, MRTD not allowed, RTMR mismatch, SEAM signer, service TD)\n"
	      "  17  RA-TLS evidence\n"
	      "  18  network or remote service\n"
	      "  19  internal error\n"
	      "A failure exits with 10 plus the class of its error code\n"
	      "(ratls_error_class), except the usage class, which exits with 2.\n",
	      out);
}
