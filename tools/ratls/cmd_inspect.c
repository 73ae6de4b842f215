/* "ratls inspect quote FILE": decodes a quote and prints every field as JSON. */
#include <getopt.h>

#include "cli.h"
#include "input.h"
#include "report.h"

#define COMMAND "inspect quote"

static void print_help(FILE *out)
{
	fputs("Usage: ratls inspect quote [options] FILE\n"
	      "\n"
	      "Decode an SGX or TDX quote (versions 3, 4 and 5) without verifying it and print\n"
	      "every field as JSON: header, body (SGX report or TD report 1.0/1.5), signature\n"
	      "data, QE report, QE authentication data, certification data types and sizes,\n"
	      "whether a PEM PCK chain is present, and the trailing bytes. Byte fields are\n"
	      "lowercase hex.\n"
	      "\n"
	      "FILE is a binary quote, hex text (optional 0x, whitespace allowed) or base64\n"
	      "text; the form is detected. '-' reads standard input.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help  print this help\n"
	      "\n"
	      "Nothing printed here has been verified; use 'ratls verify quote' for that.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static int run(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ratls_detail detail = {0};
	struct cli_buffer quote = {0};
	enum cli_quote_encoding encoding = CLI_ENCODING_BINARY;
	struct ratls_quote parsed;
	const char *path;
	int opt, rc, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			print_help(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error(COMMAND, opt, argv, optind_before);
		}
	}
	if (optind >= argc)
		return cli_usage_error(COMMAND, "missing quote FILE");
	if (argc - optind > 1)
		return cli_usage_error(COMMAND, "expected one quote FILE, got %d arguments",
				       argc - optind);
	path = argv[optind];

	rc = cli_load_quote(path, &quote, &encoding, &detail);
	if (rc == RATLS_OK)
		rc = ratls_quote_parse(quote.data, quote.size, &parsed, &detail);
	if (rc == RATLS_OK)
		rc = cli_print_json(cli_quote_json(&parsed, encoding, quote.size), &detail);
	if (rc != RATLS_OK)
		fprintf(stderr, "ratls: inspect failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
	cli_buffer_free(&quote);
	return cli_exit_status(rc);
}

const struct cli_command cli_inspect_quote_command = {
	.group = "inspect",
	.name = "quote",
	.summary = "decode a quote and print its fields as JSON",
	.run = run,
	.print_help = print_help,
};
