/*
 * "ratls inspect cert FILE": decodes every dstack extension of an RA-TLS
 * certificate, checks the key binding, replays the event log against the
 * quote's RTMRs and prints it all as JSON. The quote's signature chain is
 * not verified here; "ratls verify cert" does that.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ratls/evidence.h"
#include "report.h"

#define COMMAND "inspect cert"


static void print_help(FILE *out)
{
	fputs("Usage: ratls inspect cert [options] FILE\n"
	      "\n"
	      "Decode a dstack RA-TLS certificate (DER or PEM; '-' reads standard input)\n"
	      "and print as JSON: the dstack extensions found (1.3.6.1.4.1.62397.1.1-.9),\n"
	      "the attestation envelope, the runtime events, the key binding\n"
	      "(report_data against SHA-512(\"ratls-cert:\" || SubjectPublicKeyInfo)), the\n"
	      "RTMR replay and the identity fields, and every field of the quote.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help  print this help\n"
	      "\n"
	      "The quote's signature chain is not verified; use 'ratls verify cert' for that.\n"
	      "The exit status reflects the first failure of decoding, key binding and\n"
	      "replay; everything decoded is printed either way.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

/* Prints {"evidence":…,"quote":…}. Returns RATLS_OK or the printing error. */
static int print_document(const struct cli_evidence_result *evidence,
			  struct ratls_detail *detail)
{
	const struct ratls_evidence *ev = evidence->evidence;
	json_t *root = json_object();
	json_t *evidence_json = cli_evidence_json(evidence);
	json_t *quote_json = cli_quote_json(&ev->parsed_quote, CLI_ENCODING_BINARY, ev->quote_size);

	if (root == NULL || evidence_json == NULL || quote_json == NULL ||
	    json_object_set_new(root, "evidence", evidence_json) != 0) {
		json_decref(quote_json);
		json_decref(root);
		return cli_print_json(NULL, detail);
	}
	if (json_object_set_new(root, "quote", quote_json) != 0) {
		json_decref(root);
		return cli_print_json(NULL, detail);
	}
	return cli_print_json(root, detail);
}

static int inspect(const char *path)
{
	struct ratls_detail detail = {0};
	struct ratls_detail check_detail = {0};
	struct cli_buffer cert = {0};
	struct ratls_evidence *ev = NULL;
	struct ratls_replay replay;
	struct cli_evidence_result evidence = {0};
	int rc, first_failure = RATLS_OK;

	rc = cli_read_file(path, CLI_RATLS_CERT_FILE_MAX_SIZE, "certificate file", &cert, &detail);
	if (rc == RATLS_OK)
		rc = ratls_evidence_from_cert(cert.data, cert.size, &ev, &detail);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls: inspect failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		goto out;
	}

	evidence.evidence = ev;
	evidence.binding_checked = true;
	evidence.binding_code = ratls_evidence_check_cert_binding(ev, &check_detail);
	if (evidence.binding_code != RATLS_OK) {
		first_failure = evidence.binding_code;
		fprintf(stderr, "ratls: key binding failed: %s: %s\n",
			ratls_error_name(evidence.binding_code),
			cli_detail_message(&check_detail, evidence.binding_code));
	}
	memset(&check_detail, 0, sizeof(check_detail));
	evidence.replay = &replay;
	evidence.replay_code = ratls_evidence_replay(ev, &replay, &check_detail);
	if (evidence.replay_code != RATLS_OK) {
		if (first_failure == RATLS_OK)
			first_failure = evidence.replay_code;
		fprintf(stderr, "ratls: replay failed: %s: %s\n",
			ratls_error_name(evidence.replay_code),
			cli_detail_message(&check_detail, evidence.replay_code));
	}

	rc = print_document(&evidence, &detail);
	if (rc != RATLS_OK)
		fprintf(stderr, "ratls: %s\n", cli_detail_message(&detail, rc));
	else
		rc = first_failure;
out:
	ratls_evidence_free(ev);
	cli_buffer_free(&cert);
	return cli_exit_status(rc);
}

static int run(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, optind_before = optind;

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
		return cli_usage_error(COMMAND, "missing certificate FILE");
	if (argc - optind > 1)
		return cli_usage_error(COMMAND, "expected one certificate FILE, got %d arguments",
				       argc - optind);
	return inspect(argv[optind]);
}

const struct cli_command cli_inspect_cert_command = {
	.group = "inspect",
	.name = "cert",
	.summary = "decode an RA-TLS certificate, check its binding, replay its log",
	.run = run,
	.print_help = print_help,
};
