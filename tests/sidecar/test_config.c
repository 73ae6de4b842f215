/*
 * Tests of the sidecar's configuration: defaults, the configuration file,
 * command-line options overriding it (repeatable options as a whole), and
 * the errors for unknown keys, bad numbers, flags and conflicting quote
 * sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "sidecar_helpers.h"

static char *work_dir;
static char config_path[SCTEST_PATH_SIZE];

static int setup(void **state)
{
	(void)state;
	work_dir = sctest_temp_dir("ratls-sidecar-config");
	sctest_join(config_path, work_dir, "sidecar.conf");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_remove_tree(work_dir);
	free(work_dir);
	return 0;
}

/* Parses argv (NULL-terminated, without argv[0]); returns the result and the exit status. */
static enum sidecar_config_result parse(const char *const args[], struct sidecar_config *config,
					int *status)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "ratls-sidecar";
	for (size_t i = 0; args[i] != NULL; i++)
		argv[argc++] = (char *)(uintptr_t)args[i];
	argv[argc] = NULL;
	return sidecar_config_parse(argc, argv, config, status);
}

static void write_config(const char *text)
{
	sctest_write_file(config_path, text, strlen(text));
}

static void defaults_applied(void **state)
{
	static const char *const args[] = {NULL};
	struct sidecar_config config;
	int status;

	(void)state;
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_RUN);
	assert_string_equal(config.listen, "0.0.0.0:5433");
	assert_string_equal(config.http_listen, "0.0.0.0:8080");
	assert_string_equal(config.upstream, "127.0.0.1:5432");
	assert_int_equal(config.rotate_interval, 86400);
	assert_int_equal(config.max_connections, 512);
	assert_int_equal(config.handshake_timeout, 10);
	assert_int_equal(config.idle_timeout, 0);
	assert_int_equal(config.source.kind, SIDECAR_SOURCE_AUTO);
	assert_string_equal(config.source.tsm_dir, SIDECAR_TSM_DEFAULT_DIR);
	assert_null(config.pg_conninfo);
	assert_false(config.require_client_attestation);
	assert_int_equal(config.log_level, SIDECAR_LOG_INFO);
	sidecar_config_free(&config);
}

static void file_values_read(void **state)
{
	static const char *const args[] = {"--config", config_path, NULL};
	struct sidecar_config config;
	int status;

	(void)state;
	write_config("# ratls-sidecar\n"
		     "listen = 127.0.0.1:6543\n"
		     "  simulate =  /var/lib/sim  \n"
		     "\n"
		     "dns-name = db.example.com\n"
		     "dns-name = db2.example.com\n"
		     "http-listen = off\n"
		     "require-client-attestation = yes\n"
		     "client-collateral = /etc/ratls/collateral.json\n"
		     "client-mrtd = 00\n"
		     "idle-timeout = 300\n"
		     "pg-conninfo = host=/run/postgresql user=sidecar dbname=postgres\n");
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_RUN);
	assert_string_equal(config.listen, "127.0.0.1:6543");
	assert_int_equal(config.source.kind, SIDECAR_SOURCE_SIMULATE);
	assert_string_equal(config.source.simulate.dir, "/var/lib/sim");
	assert_int_equal(config.dns_names.count, 2);
	assert_string_equal(config.dns_names.items[1], "db2.example.com");
	assert_null(config.http_listen);
	assert_true(config.require_client_attestation);
	assert_int_equal(config.client_mrtds.count, 1);
	assert_int_equal(config.idle_timeout, 300);
	assert_string_equal(config.pg_conninfo, "host=/run/postgresql user=sidecar dbname=postgres");
	sidecar_config_free(&config);
}

static void command_line_wins(void **state)
{
	static const char *const args[] = {"--config", config_path, "--listen", "127.0.0.1:7000",
					   "--dns-name", "only.example.com", "--no-quote", NULL};
	struct sidecar_config config;
	int status;

	(void)state;
	write_config("listen = 127.0.0.1:6543\n"
		     "dns-name = a.example.com\n"
		     "dns-name = b.example.com\n"
		     "simulate = /var/lib/sim\n"
		     "max-connections = 9\n");
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_RUN);
	assert_string_equal(config.listen, "127.0.0.1:7000");
	assert_int_equal(config.dns_names.count, 1);
	assert_string_equal(config.dns_names.items[0], "only.example.com");
	assert_int_equal(config.source.kind, SIDECAR_SOURCE_NONE);
	assert_int_equal(config.max_connections, 9);
	sidecar_config_free(&config);
}

static void invalid_values_rejected(void **state)
{
	static const struct {
		const char *file;
		const char *option;
		const char *value;
	} cases[] = {
		{"no-such-key = 1\n", NULL, NULL},
		{"listen 127.0.0.1:1\n", NULL, NULL},
		{"listen =\n", NULL, NULL},
		{"listen = a:1\nlisten = b:2\n", NULL, NULL},
		{"max-connections = many\n", NULL, NULL},
		{"max-connections = 0\n", NULL, NULL},
		{"rotate-interval = 59\n", NULL, NULL},
		{"require-client-attestation = maybe\n", NULL, NULL},
		{"require-client-attestation = true\n", NULL, NULL},
		{"simulate = /x\nno-quote = true\n", NULL, NULL},
		{"quote-source = tsm\nsimulate = /x\n", NULL, NULL},
		{"quote-source = magic\n", NULL, NULL},
		{"quote-source = simulate\n", NULL, NULL},
		{"log-level = loud\n", NULL, NULL},
		{"", "--max-connections", "-1"},
		{"", "--handshake-timeout", "1e3"},
		{"", "--unknown-option", "1"},
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[] = {"--config", config_path, cases[i].option, cases[i].value,
				      NULL};
		struct sidecar_config config;
		int status = 0;

		write_config(cases[i].file);
		snprintf(line, sizeof(line), "case %zu", i);
		if (parse(args, &config, &status) != SIDECAR_CONFIG_EXIT)
			fail_msg("%s was accepted", line);
		assert_int_equal(status, 2);
		sidecar_config_free(&config);
	}
}

static void missing_config_file_rejected(void **state)
{
	char missing[SCTEST_PATH_SIZE];
	const char *args[] = {"--config", missing, NULL};
	struct sidecar_config config;
	int status = 0;

	(void)state;
	sctest_join(missing, work_dir, "missing.conf");
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_EXIT);
	assert_int_equal(status, 2);
	sidecar_config_free(&config);
}

static void help_exits_zero(void **state)
{
	static const char *const args[] = {"--help", NULL};
	struct sidecar_config config;
	int status = -1;

	(void)state;
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_EXIT);
	assert_int_equal(status, 0);
	sidecar_config_free(&config);
}

static void client_policy_built(void **state)
{
	static const char *const args[] = {
		"--client-mrtd",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaa",
		"--client-app-id", "5bb4ff9a3837357f19dc176407a5709c62eb6c56", "--client-allow-tcb",
		"OutOfDate", NULL};
	static const char *const bad_tcb[] = {"--client-allow-tcb", "Fine", NULL};
	static const char *const bad_mrtd[] = {"--client-mrtd", "12", NULL};
	struct sidecar_config config;
	struct ratls_policy *policy = NULL;
	struct ratls_detail detail = {0};
	int status;

	(void)state;
	assert_int_equal(parse(args, &config, &status), SIDECAR_CONFIG_RUN);
	assert_int_equal(sidecar_config_client_policy(&config, &policy, &detail), RATLS_OK);
	assert_true(ratls_policy_pins_identity(policy));
	ratls_policy_free(policy);
	sidecar_config_free(&config);

	assert_int_equal(parse(bad_tcb, &config, &status), SIDECAR_CONFIG_RUN);
	assert_int_equal(sidecar_config_client_policy(&config, &policy, &detail),
			 RATLS_ERR_POLICY_INVALID);
	assert_null(policy);
	assert_non_null(strstr(detail.message, "Fine"));
	sidecar_config_free(&config);

	assert_int_equal(parse(bad_mrtd, &config, &status), SIDECAR_CONFIG_RUN);
	assert_int_not_equal(sidecar_config_client_policy(&config, &policy, NULL), RATLS_OK);
	sidecar_config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_applied),
		cmocka_unit_test(file_values_read),
		cmocka_unit_test(command_line_wins),
		cmocka_unit_test(invalid_values_rejected),
		cmocka_unit_test(missing_config_file_rejected),
		cmocka_unit_test(help_exits_zero),
		cmocka_unit_test(client_policy_built),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
