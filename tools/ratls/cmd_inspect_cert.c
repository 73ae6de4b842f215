/*
 * "ratls inspect cert FILE": decodes every dstack extension of an RA-TLS
 * certificate, checks the key binding, replays the event log against the
 * quote's RTMRs and prints it all as JSON. The quote's signature chain is
 * not verified here; "ratls verify cert" does that.
 *
 * "ratls inspect evidence FILE [--event-log FILE]" does the same for dstack
 * evidence outside a certificate: an attestation envelope (the payload of
 * extension .1.8), a guest agent GetQuote response, or a quote with its JSON
 * event log. There is no certificate key, so no binding is checked.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ratls/evidence.h"
#include "report.h"

#define COMMAND "inspect cert"
#define EVIDENCE_COMMAND "inspect evidence"


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

/*
 * Checks the key binding (certificates only) and replays the evidence, prints
 * the document and returns the exit status of the first failure.
 */
static int check_and_print(struct ratls_evidence *ev)
{
	struct ratls_detail detail = {0};
	struct ratls_detail check_detail = {0};
	struct ratls_replay replay;
	struct cli_evidence_result evidence = {0};
	int rc, first_failure = RATLS_OK;

	evidence.evidence = ev;
	if (ev->from_cert) {
		evidence.binding_checked = true;
		evidence.binding_code = ratls_evidence_check_cert_binding(ev, &check_detail);
	}
	if (evidence.binding_checked && evidence.binding_code != RATLS_OK) {
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
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls: %s\n", cli_detail_message(&detail, rc));
		return cli_exit_status(rc);
	}
	return cli_exit_status(first_failure);
}

static int inspect(const char *path)
{
	struct ratls_detail detail = {0};
	struct cli_buffer cert = {0};
	struct ratls_evidence *ev = NULL;
	int rc, status;

	rc = cli_read_file(path, CLI_RATLS_CERT_FILE_MAX_SIZE, "certificate file", &cert, &detail);
	if (rc == RATLS_OK)
		rc = ratls_evidence_from_cert(cert.data, cert.size, &ev, &detail);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls: inspect failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		status = cli_exit_status(rc);
	} else {
		status = check_and_print(ev);
	}
	ratls_evidence_free(ev);
	cli_buffer_free(&cert);
	return status;
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

/* ---- inspect evidence ---- */

static void print_evidence_help(FILE *out)
{
	fputs("Usage: ratls inspect evidence [--event-log FILE] FILE\n"
	      "\n"
	      "Decode dstack evidence outside a certificate and print it as JSON, with the\n"
	      "replay of each RTMR and the identity fields, as 'inspect cert' does. FILE is\n"
	      "one of ('-' reads standard input):\n"
	      "  - an attestation envelope (the payload of extension 1.3.6.1.4.1.62397.1.8,\n"
	      "    SCALE version 0 or msgpack version 1);\n"
	      "  - a guest agent GetQuote response (JSON with \"quote\" and \"event_log\", or\n"
	      "    \"attestation\");\n"
	      "  - a TDX quote (binary, hex or base64) with --event-log.\n"
	      "\n"
	      "Options:\n"
	      "  --event-log FILE  the JSON event log of a quote given as FILE\n"
	      "  -h, --help        print this help\n"
	      "\n"
	      "Nothing here verifies the quote's signature chain or a key binding.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

/* True when the file starts, after white space, with '{' (a JSON object). */
static bool is_json_object(const struct cli_buffer *b)
{
	for (size_t i = 0; i < b->size; i++) {
		if (b->data[i] == ' ' || b->data[i] == '\t' || b->data[i] == '\r' ||
		    b->data[i] == '\n')
			continue;
		return b->data[i] == '{';
	}
	return false;
}

static int decode_evidence(const char *path, const char *event_log_path,
			   struct ratls_evidence **ev, struct ratls_detail *detail)
{
	struct cli_buffer file = {0}, log = {0}, quote = {0};
	enum cli_quote_encoding encoding;
	int rc;

	if (event_log_path != NULL) {
		rc = cli_load_quote(path, &quote, &encoding, detail);
		if (rc == RATLS_OK)
			rc = cli_read_file(event_log_path, RATLS_EVIDENCE_MAX_SIZE, "event log file",
					   &log, detail);
		if (rc == RATLS_OK)
			rc = ratls_evidence_from_quote(quote.data, quote.size, log.data, log.size,
						       NULL, 0, ev, detail);
		goto out;
	}
	rc = cli_read_file(path, RATLS_EVIDENCE_MAX_SIZE, "evidence file", &file, detail);
	if (rc != RATLS_OK)
		goto out;
	if (is_json_object(&file))
		rc = ratls_evidence_from_getquote(file.data, file.size, ev, detail);
	else
		rc = ratls_evidence_from_attestation(file.data, file.size, ev, detail);
out:
	cli_buffer_free(&file);
	cli_buffer_free(&log);
	cli_buffer_free(&quote);
	return rc;
}

static int run_evidence(int argc, char **argv)
{
	static const struct option options[] = {
		{"event-log", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ratls_detail detail = {0};
	struct ratls_evidence *ev = NULL;
	const char *event_log_path = NULL;
	int opt, rc, status, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			print_evidence_help(stdout);
			return CLI_EXIT_OK;
		case 'e':
			event_log_path = optarg;
			break;
		default:
			return cli_option_error(EVIDENCE_COMMAND, opt, argv, optind_before);
		}
		optind_before = optind;
	}
	if (optind >= argc)
		return cli_usage_error(EVIDENCE_COMMAND, "missing evidence FILE");
	if (argc - optind > 1)
		return cli_usage_error(EVIDENCE_COMMAND, "expected one evidence FILE, got %d arguments",
				       argc - optind);

	rc = decode_evidence(argv[optind], event_log_path, &ev, &detail);
	if (rc != RATLS_OK) {
		fprintf(stderr, "ratls: inspect failed: %s: %s\n", ratls_error_name(rc),
			cli_detail_message(&detail, rc));
		return cli_exit_status(rc);
	}
	status = check_and_print(ev);
	ratls_evidence_free(ev);
	return status;
}

const struct cli_command cli_inspect_evidence_command = {
	.group = "inspect",
	.name = "evidence",
	.summary = "decode a dstack envelope or event log and replay it",
	.run = run_evidence,
	.print_help = print_evidence_help,
};
