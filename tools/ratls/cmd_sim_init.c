/*
 * "ratls sim init DIR": creates a simulated platform. It writes the seed and
 * the creation time to DIR/platform.json, and the test root and PCK chain
 * that the platform issues to DIR for use with --trust-root.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_sim.h"

#define COMMAND "sim init"

/* Size of a generated seed: 256 bits, the strength of the P-256 keys derived from it. */
#define GENERATED_SEED_SIZE 32

enum {
	OPT_SEED = 256,
	OPT_AT,
	OPT_FORCE,
};

static const struct option long_options[] = {
	{"seed", required_argument, NULL, OPT_SEED},
	{"at", required_argument, NULL, OPT_AT},
	{"force", no_argument, NULL, OPT_FORCE},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct init_args {
	const char *dir;
	struct cli_sim_platform_file file;
	bool seed_given;
	bool at_given;
	bool force;
};

static void print_help(FILE *out)
{
	fputs("Usage: ratls sim init [options] DIR\n"
	      "\n"
	      "Create a simulated TDX/SGX platform: a test PKI shaped like Intel's (root CA,\n"
	      "PCK Platform CA, TCB signing and PCK certificates) whose keys are all derived\n"
	      "from one seed. DIR (created with mode 0700 when absent) gets:\n"
	      "  platform.json   the seed and the creation time (mode 0600); the seed is the\n"
	      "                  private key material of every key of the platform\n"
	      "  root.pem        the test root CA certificate, for --trust-root\n"
	      "  root.der        the same certificate in DER\n"
	      "  pck_chain.pem   the PCK certificate chain that quotes carry\n"
	      "'ratls sim quote' and 'ratls sim collateral' re-create the platform from\n"
	      "platform.json.\n"
	      "\n"
	      "Options:\n"
	      "  --seed HEX     seed, 1 to 1024 bytes as hex (2 to 2048 hex digits); the same\n"
	      "                 seed and --at give the same keys and certificate contents;\n"
	      "                 other users can read it in the process list;\n"
	      "                 default: 32 random bytes from getrandom(2)\n"
	      "  --at TIME      creation time, RFC 3339 (2025-07-19T10:00:34Z) or Unix\n"
	      "                 seconds; certificates are valid from 1 day before it\n"
	      "                 until 10 years after it (root: 25 years); default: the\n"
	      "                 current time\n"
	      "  --force        replace the platform already in DIR; quotes and collateral\n"
	      "                 of the old platform no longer verify with the new root.pem\n"
	      "  -v, --verbose  also print the library's info and debug messages\n"
	      "  -h, --help     print this help\n"
	      "\n"
	      "Everything the platform issues is signed by a test root, never by Intel.\n"
	      "Verifiers reject it unless told to trust DIR/root.pem with --trust-root,\n"
	      "and then warn on every verification.\n"
	      "\n",
	      out);
	cli_print_exit_status_help(out);
}

static int handle_option(struct init_args *args, int opt, char **argv, int optind_before)
{
	struct ratls_detail detail = {0};

	switch (opt) {
	case OPT_SEED:
		if (args->seed_given)
			return cli_usage_error(COMMAND, "option '--seed' is given twice");
		args->seed_given = true;
		/* The seed is a private key, so messages never quote it. */
		return cli_sim_parse_hex_range(COMMAND, "--seed", "the seed", optarg, false,
					       args->file.seed, 1, RATLS_SIM_SEED_MAX_SIZE,
					       &args->file.seed_size);
	case OPT_AT:
		if (args->at_given)
			return cli_usage_error(COMMAND, "option '--at' is given twice");
		if (cli_parse_time(optarg, &args->file.created_at, &detail) != RATLS_OK)
			return cli_usage_error(COMMAND, "invalid --at value: %s", detail.message);
		args->at_given = true;
		return CLI_EXIT_OK;
	case OPT_FORCE:
		args->force = true;
		return CLI_EXIT_OK;
	case 'v':
		cli_verbose = true;
		return CLI_EXIT_OK;
	default:
		return cli_option_error(COMMAND, opt, argv, optind_before);
	}
}

/* Parses argv into *args. Returns -1 to go on, or an exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, struct init_args *args)
{
	int opt, status, optind_before = optind;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1) {
		if (opt == 'h') {
			print_help(stdout);
			return CLI_EXIT_OK;
		}
		if ((status = handle_option(args, opt, argv, optind_before)) != CLI_EXIT_OK)
			return status;
		optind_before = optind;
	}

	if (optind >= argc)
		return cli_usage_error(COMMAND, "missing the platform folder DIR");
	if (argc - optind > 1)
		return cli_usage_error(COMMAND, "expected one folder DIR, got %d arguments",
				       argc - optind);
	args->dir = argv[optind];
	if (!args->at_given)
		args->file.created_at = (int64_t)time(NULL);
	return -1;
}

/* Fills seed with size bytes from the kernel's random number generator. */
static int generate_seed(uint8_t *seed, size_t size, struct ratls_detail *detail)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = getrandom(seed + done, size - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cli_fail(detail, RATLS_ERR_IO,
					"getrandom failed: %s; pass a seed with --seed",
					n < 0 ? strerror(errno) : "no bytes returned");
		done += (size_t)n;
	}
	return RATLS_OK;
}

/* Rejects a folder that already contains a platform unless --force is given. */
static int check_no_platform(const struct init_args *args)
{
	struct ratls_detail detail = {0};
	char path[CLI_SIM_PATH_SIZE];
	struct stat st;

	if (cli_sim_join_path(args->dir, CLI_SIM_PLATFORM_FILE, path, &detail) != RATLS_OK)
		return cli_usage_error(COMMAND, "%s", detail.message);
	if (args->force || lstat(path, &st) != 0)
		return CLI_EXIT_OK;
	return cli_usage_error(COMMAND,
			       "'%s' already contains a simulated platform ('%s'); pass --force "
			       "to replace it, or choose another folder",
			       args->dir, path);
}

/* The files "sim init" writes besides platform.json. */
struct init_outputs {
	uint8_t *root_der;
	size_t root_der_size;
	char *root_pem;
	size_t root_pem_len;
	char *pck_chain_pem;
	size_t pck_chain_pem_len;
};

static void init_outputs_free(struct init_outputs *o)
{
	ratls_sim_free(o->root_der);
	ratls_sim_free(o->root_pem);
	ratls_sim_free(o->pck_chain_pem);
	memset(o, 0, sizeof(*o));
}

/* Creates the platform and encodes the certificates to write. */
static int issue_outputs(const struct cli_sim_platform_file *file, struct init_outputs *o,
			 struct ratls_detail *detail)
{
	struct ratls_sim_platform_params params;
	struct ratls_sim_platform *platform = NULL;
	int rc = RATLS_ERR_INTERNAL;

	ratls_sim_platform_defaults(&params, file->created_at);
	if ((rc = cli_sim_platform_create(file, &params, &platform, detail)) != RATLS_OK)
		goto out;
	rc = ratls_sim_platform_root_der(platform, &o->root_der, &o->root_der_size, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_sim_pem_encode("CERTIFICATE", o->root_der, o->root_der_size, &o->root_pem,
				  &o->root_pem_len, detail);
	if (rc != RATLS_OK)
		goto out;
	rc = ratls_sim_platform_pck_chain_pem(platform, &o->pck_chain_pem, &o->pck_chain_pem_len,
					      detail);
out:
	ratls_sim_platform_free(platform);
	return rc;
}

/* Writes one output file into dir. */
static int write_in_dir(const char *dir, const char *name, const void *data, size_t size,
			unsigned int mode, struct ratls_detail *detail)
{
	char path[CLI_SIM_PATH_SIZE];
	int rc;

	if ((rc = cli_sim_join_path(dir, name, path, detail)) != RATLS_OK)
		return rc;
	return cli_sim_write_file(path, data, size, mode, detail);
}

/*
 * Removes an old platform.json first and writes the new one last, so that a
 * failure part way never leaves a folder that looks like a complete
 * platform.
 */
static int write_platform(const struct init_args *args, const struct init_outputs *o,
			  struct ratls_detail *detail)
{
	char path[CLI_SIM_PATH_SIZE];
	int rc;

	if ((rc = cli_sim_make_dir(args->dir, 0700, detail)) != RATLS_OK)
		return rc;
	if ((rc = cli_sim_join_path(args->dir, CLI_SIM_PLATFORM_FILE, path, detail)) != RATLS_OK)
		return rc;
	if (unlink(path) != 0 && errno != ENOENT)
		return cli_fail(detail, RATLS_ERR_IO,
				"cannot remove the old platform file '%s': %s", path,
				strerror(errno));
	rc = write_in_dir(args->dir, CLI_SIM_ROOT_DER_FILE, o->root_der, o->root_der_size, 0644,
			  detail);
	if (rc != RATLS_OK)
		return rc;
	rc = write_in_dir(args->dir, CLI_SIM_ROOT_PEM_FILE, o->root_pem, o->root_pem_len, 0644,
			  detail);
	if (rc != RATLS_OK)
		return rc;
	rc = write_in_dir(args->dir, CLI_SIM_PCK_CHAIN_FILE, o->pck_chain_pem,
			  o->pck_chain_pem_len, 0644, detail);
	if (rc != RATLS_OK)
		return rc;
	return cli_sim_platform_file_write(args->dir, &args->file, detail);
}

static void print_summary(const struct init_args *args)
{
	const char *d = args->dir;
	char created[CLI_TIME_TEXT_SIZE];

	cli_format_time(args->file.created_at, created);
	printf("Created a simulated platform in '%s' at %s (%s seed):\n", d, created,
	       args->seed_given ? "given" : "random");
	printf("  %s/%-14s the seed and the creation time (mode 0600); the seed is the\n"
	       "      private key material of every key of this platform, so keep it private\n",
	       d, CLI_SIM_PLATFORM_FILE);
	printf("  %s/%-14s test root CA certificate: pass it to --trust-root\n", d,
	       CLI_SIM_ROOT_PEM_FILE);
	printf("  %s/%-14s the same certificate in DER\n", d, CLI_SIM_ROOT_DER_FILE);
	printf("  %s/%-14s PCK certificate chain (PCK, PCK Platform CA, root)\n", d,
	       CLI_SIM_PCK_CHAIN_FILE);
	printf("\nNext:\n"
	       "  ratls sim quote --platform %s --mrtd HEX --out quote.bin\n"
	       "  ratls sim collateral --platform %s --out collateral.json\n"
	       "  ratls verify quote --trust-root %s/%s --collateral collateral.json quote.bin\n",
	       d, d, d, CLI_SIM_ROOT_PEM_FILE);
}

static int run(int argc, char **argv)
{
	struct init_args args;
	struct init_outputs outputs = {0};
	struct ratls_detail detail = {0};
	int status, rc;

	memset(&args, 0, sizeof(args));
	if ((status = parse_args(argc, argv, &args)) >= 0)
		goto out;
	if ((status = check_no_platform(&args)) != CLI_EXIT_OK)
		goto out;
	cli_sim_warn_simulated(args.dir);

	rc = RATLS_OK;
	if (!args.seed_given) {
		args.file.seed_size = GENERATED_SEED_SIZE;
		rc = generate_seed(args.file.seed, args.file.seed_size, &detail);
	}
	if (rc == RATLS_OK)
		rc = issue_outputs(&args.file, &outputs, &detail);
	if (rc == RATLS_OK)
		rc = write_platform(&args, &outputs, &detail);
	if (rc != RATLS_OK) {
		status = cli_sim_report_failure(COMMAND, rc, &detail);
		goto out;
	}
	print_summary(&args);
	status = CLI_EXIT_OK;
out:
	init_outputs_free(&outputs);
	cli_sim_platform_file_wipe(&args.file);
	return status;
}

const struct cli_command cli_sim_init_command = {
	.group = "sim",
	.name = "init",
	.summary = "create a simulated platform (test PKI) in a folder",
	.run = run,
	.print_help = print_help,
};
