/*
 * ratls: command-line tool to inspect and verify Intel TDX and SGX DCAP
 * quotes and collateral. Subcommands are "ratls GROUP NAME [options]".
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static const struct cli_command *const commands[] = {
	&cli_inspect_quote_command,
	&cli_inspect_cert_command,
	&cli_inspect_evidence_command,
	&cli_verify_quote_command,
	&cli_verify_cert_command,
	&cli_collateral_check_command,
	&cli_collateral_fetch_command,
	&cli_sim_init_command,
	&cli_sim_quote_command,
	&cli_sim_collateral_command,
	&cli_sim_cert_command,
	&cli_attestation_command,
	&cli_verify_host_command,
	&cli_proxy_command,
};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void print_command_list(FILE *out, const char *group)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		char name[64];

		if (group != NULL && strcmp(commands[i]->group, group) != 0)
			continue;
		if (snprintf(name, sizeof(name), "%s %s", commands[i]->group, commands[i]->name) <
		    0)
			name[0] = '\0';
		fprintf(out, "  %-18s %s\n", name, commands[i]->summary);
	}
}

static void print_help(FILE *out)
{
	fputs("Usage: ratls COMMAND SUBCOMMAND [options] [FILE]\n"
	      "\n"
	      "Inspect and verify Intel TDX and SGX DCAP quotes, their collateral and dstack\n"
	      "RA-TLS certificates, and run a simulated TDX platform for development.\n"
	      "\n"
	      "Commands:\n",
	      out);
	print_command_list(out, NULL);
	fputs("  help [COMMAND [SUBCOMMAND]]\n"
	      "                     print the help of a command\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help         print this help\n"
	      "  --version          print the version\n"
	      "\n"
	      "Run 'ratls COMMAND SUBCOMMAND --help' for the options of a command.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static bool group_exists(const char *group)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(commands[i]->group, group) == 0)
			return true;
	}
	return false;
}

static const struct cli_command *find_command(const char *group, const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(commands[i]->group, group) == 0 && strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static bool is_help_option(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int print_group_help(FILE *out, const char *group)
{
	fprintf(out, "Usage: ratls %s SUBCOMMAND [options]\n\nSubcommands:\n", group);
	print_command_list(out, group);
	fprintf(out, "\nRun 'ratls %s SUBCOMMAND --help' for the options of a subcommand.\n",
		group);
	return CLI_EXIT_OK;
}

static int unknown_command(const char *group, const char *name)
{
	if (name == NULL)
		fprintf(stderr, "ratls: unknown command '%s'; run 'ratls --help' for the list\n",
			group);
	else
		fprintf(stderr,
			"ratls: unknown subcommand '%s %s'; run 'ratls %s --help' for the list\n",
			group, name, group);
	return CLI_EXIT_USAGE;
}

/* "ratls help [GROUP [NAME]]". */
static int run_help(int argc, char **argv)
{
	const struct cli_command *command;

	if (argc < 2) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (!group_exists(argv[1]))
		return unknown_command(argv[1], NULL);
	if (argc < 3)
		return print_group_help(stdout, argv[1]);
	command = find_command(argv[1], argv[2]);
	if (command == NULL)
		return unknown_command(argv[1], argv[2]);
	command->print_help(stdout);
	return CLI_EXIT_OK;
}

static int dispatch(int argc, char **argv)
{
	const struct cli_command *command;

	if (argc < 2) {
		fprintf(stderr, "ratls: missing command; run 'ratls --help' for the list\n");
		return CLI_EXIT_USAGE;
	}
	if (is_help_option(argv[1])) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ratls %s\n", RATLS_VERSION);
		return CLI_EXIT_OK;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "ratls: unknown option '%s'; run 'ratls --help' for usage\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0)
		return run_help(argc - 1, argv + 1);

	/* "ratls attestation URL" takes no subcommand name. */
	if (strcmp(argv[1], cli_attestation_command.group) == 0)
		return cli_attestation_command.run(argc - 1, argv + 1);
	/* Neither does "ratls proxy --listen ... --upstream ...". */
	if (strcmp(argv[1], cli_proxy_command.group) == 0)
		return cli_proxy_command.run(argc - 1, argv + 1);
	if (!group_exists(argv[1]))
		return unknown_command(argv[1], NULL);
	if (argc < 3) {
		fprintf(stderr,
			"ratls: missing subcommand of '%s'; run 'ratls %s --help' for the "
			"list\n",
			argv[1], argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (is_help_option(argv[2]))
		return print_group_help(stdout, argv[1]);
	command = find_command(argv[1], argv[2]);
	if (command == NULL)
		return unknown_command(argv[1], argv[2]);
	return command->run(argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
	int status;

	ratls_set_log_callback(cli_log_to_stderr, NULL);
	status = dispatch(argc, argv);

	/* A full disk or a closed pipe shows up here, after buffered output. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ratls: writing to standard output failed: %s\n", strerror(errno));
		if (status == CLI_EXIT_OK)
			status = CLI_EXIT_USAGE;
	}
	return status;
}
