/*
 * Options of ratls-sidecar, from the command line and the configuration
 * file. Both are first collected as text per option, then merged (the
 * command line wins) and converted, so both sources get the same checks
 * and messages.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fail.h"
#include "config.h"
#include "util.h"

#ifndef RATLS_VERSION
#define RATLS_VERSION "unknown"
#endif

#define EXIT_USAGE 2

enum value_type { VALUE_STRING, VALUE_INT, VALUE_FLAG, VALUE_LIST };

enum option_id {
	OPT_CONFIG,
	OPT_LISTEN,
	OPT_UPSTREAM,
	OPT_MAX_CONNECTIONS,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_DRAIN_TIMEOUT,
	OPT_HTTP_LISTEN,
	OPT_ATTESTATION_RATE,
	OPT_ATTESTATION_BURST,
	OPT_PG_CONNINFO,
	OPT_PG_DATA,
	OPT_PG_CONTROLDATA,
	OPT_QUOTE_SOURCE,
	OPT_SIMULATE,
	OPT_NO_QUOTE,
	OPT_TSM_DIR,
	OPT_DSTACK_SOCKET,
	OPT_SIMULATE_MRTD,
	OPT_SIMULATE_APP_ID,
	OPT_SIMULATE_COMPOSE_HASH,
	OPT_SIMULATE_INSTANCE_ID,
	OPT_COMMON_NAME,
	OPT_DNS_NAME,
	OPT_ROTATE_INTERVAL,
	OPT_REQUIRE_CLIENT_ATTESTATION,
	OPT_CLIENT_TRUST_ROOT,
	OPT_CLIENT_COLLATERAL,
	OPT_CLIENT_MRTD,
	OPT_CLIENT_APP_ID,
	OPT_CLIENT_COMPOSE_HASH,
	OPT_CLIENT_ALLOW_TCB,
	OPT_LOG_LEVEL,
	OPT_COUNT,
	/* Command line only, not in the table. */
	OPT_HELP = OPT_COUNT,
	OPT_VERSION
};

struct option_spec {
	const char *name;
	enum value_type type;
	const char *arg;
	const char *default_value; /* NULL: none */
	int64_t min, max;          /* VALUE_INT */
	const char *help;
};

/* Seconds in a day and in a year, for the bounds of time options. */
#define DAY 86400
#define YEAR (365 * DAY)

static const struct option_spec specs[OPT_COUNT] = {
	[OPT_CONFIG] = {"config", VALUE_STRING, "FILE", NULL, 0, 0,
			"read options from FILE (key = value lines); command-line options win"},
	[OPT_LISTEN] = {"listen", VALUE_STRING, "HOST:PORT", "0.0.0.0:5433", 0, 0,
			"address of the PostgreSQL RA-TLS port"},
	[OPT_UPSTREAM] = {"upstream", VALUE_STRING, "HOST:PORT|PATH", "127.0.0.1:5432", 0, 0,
			  "PostgreSQL server: TCP address, or the path of its Unix socket "
			  "(/run/postgresql/.s.PGSQL.5432)"},
	[OPT_MAX_CONNECTIONS] = {"max-connections", VALUE_INT, "N", "512", 1, 1000000,
				 "client connections open at once; more are closed at accept"},
	[OPT_HANDSHAKE_TIMEOUT] = {"handshake-timeout", VALUE_INT, "SECONDS", "10", 1, 3600,
				   "time from accept to a verified TLS session and a connected "
				   "upstream"},
	[OPT_IDLE_TIMEOUT] = {"idle-timeout", VALUE_INT, "SECONDS", "0", 0, YEAR,
			      "close a session after this long without a byte either way; 0: "
			      "never"},
	[OPT_KEEPALIVE] = {"keepalive", VALUE_INT, "SECONDS", "60", 0, DAY,
			   "TCP keepalive idle time on client sockets; 0: off"},
	[OPT_DRAIN_TIMEOUT] = {"drain-timeout", VALUE_INT, "SECONDS", "30", 0, DAY,
			       "after SIGTERM, how long open sessions may continue"},
	[OPT_HTTP_LISTEN] = {"http-listen", VALUE_STRING, "HOST:PORT|off", "0.0.0.0:8080", 0, 0,
			     "address of the HTTP port (/health, /attestation, /metrics)"},
	[OPT_ATTESTATION_RATE] = {"attestation-rate", VALUE_INT, "N", "2", 1, 10000,
				  "/attestation requests per second; more get 429"},
	[OPT_ATTESTATION_BURST] = {"attestation-burst", VALUE_INT, "N", "4", 1, 10000,
				   "/attestation requests allowed at once above the rate"},
	[OPT_PG_CONNINFO] = {"pg-conninfo", VALUE_STRING, "CONNINFO", NULL, 0, 0,
			     "libpq connection string for /health and /attestation; default: "
			     "the upstream with user=postgres dbname=postgres"},
	[OPT_PG_DATA] = {"pg-data", VALUE_STRING, "DIR", NULL, 0, 0,
			 "PostgreSQL data directory for pg_controldata; default: asked from "
			 "the server (SHOW data_directory)"},
	[OPT_PG_CONTROLDATA] = {"pg-controldata", VALUE_STRING, "PATH", NULL, 0, 0,
				"pg_controldata program; default: PATH, then pg_config --bindir"},
	[OPT_QUOTE_SOURCE] = {"quote-source", VALUE_STRING, "KIND", "auto", 0, 0,
			      "auto, simulate, tsm, dstack or none; auto takes the guest agent "
			      "when its socket exists, else configfs-tsm"},
	[OPT_SIMULATE] = {"simulate", VALUE_STRING, "DIR", NULL, 0, 0,
			  "quote with the simulated platform in DIR ('ratls sim init DIR'); "
			  "same as --quote-source simulate"},
	[OPT_NO_QUOTE] = {"no-quote", VALUE_FLAG, NULL, NULL, 0, 0,
			  "present a certificate without evidence (clients accept it only with "
			  "allow_simulator); same as --quote-source none"},
	[OPT_TSM_DIR] = {"tsm-dir", VALUE_STRING, "DIR", SIDECAR_TSM_DEFAULT_DIR, 0, 0,
			 "configfs-tsm report folder"},
	[OPT_DSTACK_SOCKET] = {"dstack-socket", VALUE_STRING, "PATH",
			       SIDECAR_DSTACK_DEFAULT_SOCKET, 0, 0, "dstack guest agent socket"},
	[OPT_SIMULATE_MRTD] = {"simulate-mrtd", VALUE_STRING, "HEX", NULL, 0, 0,
			       "MRTD of simulated quotes (48 bytes)"},
	[OPT_SIMULATE_APP_ID] = {"simulate-app-id", VALUE_STRING, "HEX", "11..11", 0, 0,
				 "app id event of the simulated TD (20 bytes)"},
	[OPT_SIMULATE_COMPOSE_HASH] = {"simulate-compose-hash", VALUE_STRING, "HEX", "22..22", 0,
				       0, "compose hash event of the simulated TD (32 bytes)"},
	[OPT_SIMULATE_INSTANCE_ID] = {"simulate-instance-id", VALUE_STRING, "HEX", "33..33", 0, 0,
				      "instance id event of the simulated TD (20 bytes)"},
	[OPT_COMMON_NAME] = {"common-name", VALUE_STRING, "NAME", "ratls-sidecar", 0, 0,
			     "subject common name of the certificate"},
	[OPT_DNS_NAME] = {"dns-name", VALUE_LIST, "NAME", NULL, 0, 0,
			  "subjectAltName DNS name of the certificate; repeatable"},
	[OPT_ROTATE_INTERVAL] = {"rotate-interval", VALUE_INT, "SECONDS", "86400", 60, 10 * YEAR,
				 "issue a new key, quote and certificate this often"},
	[OPT_REQUIRE_CLIENT_ATTESTATION] = {"require-client-attestation", VALUE_FLAG, NULL, NULL,
					    0, 0,
					    "mutual RA-TLS: require a client RA-TLS certificate "
					    "and verify it before any byte reaches PostgreSQL"},
	[OPT_CLIENT_TRUST_ROOT] = {"client-trust-root", VALUE_STRING, "FILE", NULL, 0, 0,
				   "trust this root (PEM or DER) instead of Intel's for client "
				   "quotes (weakens; for simulated clients)"},
	[OPT_CLIENT_COLLATERAL] = {"client-collateral", VALUE_STRING, "FILE", NULL, 0, 0,
				   "collateral bundle JSON for client quotes; reloaded on SIGHUP"},
	[OPT_CLIENT_MRTD] = {"client-mrtd", VALUE_LIST, "HEX", NULL, 0, 0,
			     "allow this client MRTD (48 bytes); repeatable"},
	[OPT_CLIENT_APP_ID] = {"client-app-id", VALUE_LIST, "HEX", NULL, 0, 0,
			       "allow this client dstack app id (20 bytes); repeatable"},
	[OPT_CLIENT_COMPOSE_HASH] = {"client-compose-hash", VALUE_LIST, "HEX", NULL, 0, 0,
				     "allow this client compose hash (32 bytes); repeatable"},
	[OPT_CLIENT_ALLOW_TCB] = {"client-allow-tcb", VALUE_LIST, "STATUS", NULL, 0, 0,
				  "accept this client TCB status (default UpToDate and "
				  "SWHardeningNeeded); repeatable"},
	[OPT_LOG_LEVEL] = {"log-level", VALUE_STRING, "LEVEL", "info", 0, 0,
			   "error, warning, info or debug"},
};

/* The text values of one option from one source. */
struct raw_option {
	const char *values[SIDECAR_LIST_MAX];
	size_t count;
	int line; /* configuration file line of the first value; 0 on the command line */
};

struct raw_set {
	struct raw_option options[OPT_COUNT];
	const char *origin; /* "the command line" or the file's path */
};

/* Reports a usage error and returns false. */
static bool usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ratls-sidecar: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; run 'ratls-sidecar --help' for usage\n", stderr);
	return false;
}

/* Names where a value came from, for messages: "--listen" or "'FILE' line 3: listen". */
static void describe_origin(const struct raw_set *set, enum option_id id, char *out, size_t size)
{
	if (set->options[id].line == 0)
		snprintf(out, size, "option --%s", specs[id].name);
	else
		snprintf(out, size, "'%s' line %d: %s", set->origin, set->options[id].line,
			 specs[id].name);
}

static bool add_value(struct raw_set *set, enum option_id id, const char *value, int line)
{
	struct raw_option *raw = &set->options[id];
	char origin[SIDECAR_PATH_SIZE + 64];

	if (raw->count > 0 && specs[id].type != VALUE_LIST) {
		if (line == 0)
			return usage_error("option --%s is given twice", specs[id].name);
		return usage_error("'%s' line %d: %s is given twice (first on line %d)",
				   set->origin, line, specs[id].name, raw->line);
	}
	if (raw->count == 0)
		raw->line = line;
	describe_origin(set, id, origin, sizeof(origin));
	if (raw->count >= SIDECAR_LIST_MAX)
		return usage_error("%s is given more than %d times", origin, SIDECAR_LIST_MAX);
	raw->values[raw->count++] = value;
	return true;
}

static int find_option(const char *name, size_t len)
{
	for (int i = 0; i < OPT_COUNT; i++) {
		if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

static char *trim(char *start, char *end)
{
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return start;
}

/* Parses one "key = value" line (already NUL-terminated, comments and blanks skipped). */
static bool parse_line(struct raw_set *set, char *line, int number)
{
	char *eq = strchr(line, '=');
	char *key, *value;
	int id;

	if (eq == NULL)
		return usage_error("'%s' line %d is not 'key = value'", set->origin, number);
	key = trim(line, eq);
	value = trim(eq + 1, eq + 1 + strlen(eq + 1));
	id = find_option(key, strlen(key));
	if (id < 0 || id == OPT_CONFIG)
		return usage_error("'%s' line %d: unknown key '%s'", set->origin, number, key);
	if (value[0] == '\0')
		return usage_error("'%s' line %d: %s has no value", set->origin, number, key);
	return add_value(set, (enum option_id)id, value, number);
}

/* Reads the configuration file into set; its text is kept in config->file_text. */
static bool read_config_file(const char *path, struct raw_set *set, struct sidecar_config *config)
{
	struct ratls_detail detail = {0};
	uint8_t *data = NULL;
	size_t size = 0;
	char *line;
	int number = 0;

	if (sidecar_read_file(path, SIDECAR_CONFIG_FILE_MAX_SIZE, "configuration file", &data,
			      &size, &detail) != RATLS_OK)
		return usage_error("%s", detail.message);
	if (memchr(data, '\0', size) != NULL) {
		free(data);
		return usage_error("configuration file '%s' contains a NUL byte", path);
	}
	config->file_text = (char *)data;
	set->origin = path;
	line = config->file_text;
	while (line != NULL && *line != '\0') {
		char *next = strchr(line, '\n');
		char *text;

		if (next != NULL)
			*next++ = '\0';
		number++;
		text = trim(line, line + strlen(line));
		if (text[0] != '\0' && text[0] != '#' && !parse_line(set, text, number))
			return false;
		line = next;
	}
	return true;
}

/* Collects the command line into set. Returns -1 to go on, or an exit status. */
static int read_command_line(int argc, char **argv, struct raw_set *set)
{
	struct option long_options[OPT_COUNT + 3];
	int opt;

	for (int i = 0; i < OPT_COUNT; i++)
		long_options[i] = (struct option){specs[i].name,
						  specs[i].type == VALUE_FLAG ? no_argument
									      : required_argument,
						  NULL, 256 + i};
	long_options[OPT_COUNT] = (struct option){"help", no_argument, NULL, 256 + OPT_HELP};
	long_options[OPT_COUNT + 1] = (struct option){"version", no_argument, NULL,
						      256 + OPT_VERSION};
	long_options[OPT_COUNT + 2] = (struct option){NULL, 0, NULL, 0};

	set->origin = "the command line";
	opterr = 0;
	optind = 0; /* glibc: 0 also resets its state for a second parse */
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (opt == 'h' || opt == 256 + OPT_HELP) {
			sidecar_config_print_help(stdout);
			return 0;
		}
		if (opt == 256 + OPT_VERSION) {
			printf("ratls-sidecar %s\n", RATLS_VERSION);
			return 0;
		}
		if (opt == ':') {
			usage_error("option '%s' requires a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (opt < 256 || opt >= 256 + OPT_COUNT) {
			usage_error("unknown option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (!add_value(set, (enum option_id)(opt - 256),
			       specs[opt - 256].type == VALUE_FLAG ? "true" : optarg, 0))
			return EXIT_USAGE;
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* Turns --simulate DIR and --no-quote into quote-source values of the same source. */
static bool resolve_source_shorthands(struct raw_set *set)
{
	struct raw_option *kind = &set->options[OPT_QUOTE_SOURCE];
	const char *implied = NULL;

	if (set->options[OPT_SIMULATE].count > 0)
		implied = "simulate";
	if (set->options[OPT_NO_QUOTE].count > 0) {
		if (implied != NULL)
			return usage_error("%s sets both simulate and no-quote; choose one",
					   set->origin);
		implied = "none";
	}
	if (implied == NULL)
		return true;
	if (kind->count > 0 && strcmp(kind->values[0], implied) != 0)
		return usage_error("%s sets quote-source %s and also %s; choose one", set->origin,
				   kind->values[0], strcmp(implied, "none") == 0 ? "no-quote"
										  : "simulate");
	if (kind->count == 0) {
		kind->values[0] = implied;
		kind->count = 1;
		kind->line = set->options[strcmp(implied, "none") == 0 ? OPT_NO_QUOTE : OPT_SIMULATE]
				     .line;
	}
	return true;
}

/* The value of id: the command line's, else the file's, else the default. */
struct merged {
	const struct raw_set *cli;
	const struct raw_set *file;
};

static const struct raw_set *source_of(const struct merged *m, enum option_id id)
{
	if (m->cli->options[id].count > 0)
		return m->cli;
	if (m->file->options[id].count > 0)
		return m->file;
	return NULL;
}

static const char *string_value(const struct merged *m, enum option_id id)
{
	const struct raw_set *set = source_of(m, id);

	return set != NULL ? set->options[id].values[0] : specs[id].default_value;
}

static bool int_value(const struct merged *m, enum option_id id, int64_t *out)
{
	const struct raw_set *set = source_of(m, id);
	const char *text = set != NULL ? set->options[id].values[0] : specs[id].default_value;
	char origin[SIDECAR_PATH_SIZE + 64];
	char *end = NULL;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (set == NULL) {
		*out = value;
		return true;
	}
	describe_origin(set, id, origin, sizeof(origin));
	if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' ||
	    value < specs[id].min || value > specs[id].max)
		return usage_error("%s value '%s' is not a whole number from %lld to %lld", origin,
				   text, (long long)specs[id].min, (long long)specs[id].max);
	*out = value;
	return true;
}

static bool flag_value(const struct merged *m, enum option_id id, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	const struct raw_set *set = source_of(m, id);
	char origin[SIDECAR_PATH_SIZE + 64];
	const char *text;

	*out = false;
	if (set == NULL)
		return true;
	text = set->options[id].values[0];
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(text, no[i]) == 0)
			return true;
	}
	describe_origin(set, id, origin, sizeof(origin));
	return usage_error("%s value '%s' is not true or false", origin, text);
}

static void list_value(const struct merged *m, enum option_id id, struct sidecar_list *out)
{
	const struct raw_set *set = source_of(m, id);

	memset(out, 0, sizeof(*out));
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->options[id].count; i++)
		out->items[out->count++] = set->options[id].values[i];
}

static bool convert_ints(const struct merged *m, struct sidecar_config *c)
{
	return int_value(m, OPT_MAX_CONNECTIONS, &c->max_connections) &&
	       int_value(m, OPT_HANDSHAKE_TIMEOUT, &c->handshake_timeout) &&
	       int_value(m, OPT_IDLE_TIMEOUT, &c->idle_timeout) &&
	       int_value(m, OPT_KEEPALIVE, &c->keepalive) &&
	       int_value(m, OPT_DRAIN_TIMEOUT, &c->drain_timeout) &&
	       int_value(m, OPT_ATTESTATION_RATE, &c->attestation_rate) &&
	       int_value(m, OPT_ATTESTATION_BURST, &c->attestation_burst) &&
	       int_value(m, OPT_ROTATE_INTERVAL, &c->rotate_interval);
}

static bool convert_source(const struct merged *m, struct sidecar_config *c)
{
	const char *kind = string_value(m, OPT_QUOTE_SOURCE);

	if (!sidecar_source_kind_parse(kind, &c->source.kind))
		return usage_error("quote-source '%s' is not auto, simulate, tsm, dstack or none",
				   kind);
	c->source.simulate.dir = string_value(m, OPT_SIMULATE);
	c->source.simulate.mrtd_hex = string_value(m, OPT_SIMULATE_MRTD);
	c->source.simulate.app_id_hex = source_of(m, OPT_SIMULATE_APP_ID) != NULL
						? string_value(m, OPT_SIMULATE_APP_ID)
						: NULL;
	c->source.simulate.compose_hash_hex = source_of(m, OPT_SIMULATE_COMPOSE_HASH) != NULL
						      ? string_value(m, OPT_SIMULATE_COMPOSE_HASH)
						      : NULL;
	c->source.simulate.instance_id_hex = source_of(m, OPT_SIMULATE_INSTANCE_ID) != NULL
						     ? string_value(m, OPT_SIMULATE_INSTANCE_ID)
						     : NULL;
	c->source.tsm_dir = string_value(m, OPT_TSM_DIR);
	c->source.dstack_socket = string_value(m, OPT_DSTACK_SOCKET);
	if (c->source.kind == SIDECAR_SOURCE_SIMULATE && c->source.simulate.dir == NULL)
		return usage_error("quote-source simulate needs the platform folder: --simulate "
				   "DIR");
	return true;
}

static bool convert(const struct merged *m, struct sidecar_config *c)
{
	const char *level = string_value(m, OPT_LOG_LEVEL);
	const char *http = string_value(m, OPT_HTTP_LISTEN);

	c->listen = string_value(m, OPT_LISTEN);
	c->upstream = string_value(m, OPT_UPSTREAM);
	c->http_listen = strcmp(http, "off") == 0 ? NULL : http;
	c->pg_conninfo = string_value(m, OPT_PG_CONNINFO);
	c->pg_data = string_value(m, OPT_PG_DATA);
	c->pg_controldata = string_value(m, OPT_PG_CONTROLDATA);
	c->common_name = string_value(m, OPT_COMMON_NAME);
	c->client_trust_root = string_value(m, OPT_CLIENT_TRUST_ROOT);
	c->client_collateral = string_value(m, OPT_CLIENT_COLLATERAL);
	list_value(m, OPT_DNS_NAME, &c->dns_names);
	list_value(m, OPT_CLIENT_MRTD, &c->client_mrtds);
	list_value(m, OPT_CLIENT_APP_ID, &c->client_app_ids);
	list_value(m, OPT_CLIENT_COMPOSE_HASH, &c->client_compose_hashes);
	list_value(m, OPT_CLIENT_ALLOW_TCB, &c->client_allow_tcb);
	if (!convert_ints(m, c) || !convert_source(m, c) ||
	    !flag_value(m, OPT_REQUIRE_CLIENT_ATTESTATION, &c->require_client_attestation))
		return false;
	if (!sidecar_log_parse_level(level, &c->log_level))
		return usage_error("log-level '%s' is not error, warning, info or debug", level);
	if (c->dns_names.count > SIDECAR_DNS_NAMES_MAX)
		return usage_error("dns-name is given %zu times; the certificate takes at most %d",
				   c->dns_names.count, SIDECAR_DNS_NAMES_MAX);
	if (c->require_client_attestation && c->client_collateral == NULL)
		return usage_error("require-client-attestation needs client-collateral FILE, the "
				   "collateral that client quotes are verified against");
	return true;
}

enum sidecar_config_result sidecar_config_parse(int argc, char **argv,
						struct sidecar_config *config,
						int *exit_status)
{
	static struct raw_set cli, file;
	struct merged merged = {&cli, &file};
	int status;

	memset(config, 0, sizeof(*config));
	memset(&cli, 0, sizeof(cli));
	memset(&file, 0, sizeof(file));
	*exit_status = EXIT_USAGE;

	status = read_command_line(argc, argv, &cli);
	if (status >= 0) {
		*exit_status = status;
		return SIDECAR_CONFIG_EXIT;
	}
	if (cli.options[OPT_CONFIG].count > 0) {
		config->config_path = cli.options[OPT_CONFIG].values[0];
		if (!read_config_file(config->config_path, &file, config))
			return SIDECAR_CONFIG_EXIT;
	}
	if (!resolve_source_shorthands(&cli) || !resolve_source_shorthands(&file) ||
	    !convert(&merged, config))
		return SIDECAR_CONFIG_EXIT;
	*exit_status = 0;
	return SIDECAR_CONFIG_RUN;
}

void sidecar_config_free(struct sidecar_config *config)
{
	free(config->file_text);
	config->file_text = NULL;
}

static int add_list(struct ratls_policy *policy, const struct sidecar_list *list,
		    int (*add)(struct ratls_policy *, const char *, struct ratls_detail *),
		    struct ratls_detail *detail)
{
	for (size_t i = 0; i < list->count; i++) {
		int rc = add(policy, list->items[i], detail);

		if (rc != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

int sidecar_config_client_policy(const struct sidecar_config *config, struct ratls_policy **out,
				 struct ratls_detail *detail)
{
	struct ratls_policy *policy = ratls_policy_new();
	int rc;

	*out = NULL;
	if (policy == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	rc = add_list(policy, &config->client_mrtds, ratls_policy_add_mrtd, detail);
	if (rc == RATLS_OK)
		rc = add_list(policy, &config->client_app_ids, ratls_policy_add_app_id, detail);
	if (rc == RATLS_OK)
		rc = add_list(policy, &config->client_compose_hashes,
			      ratls_policy_add_compose_hash, detail);
	for (size_t i = 0; rc == RATLS_OK && i < config->client_allow_tcb.count; i++) {
		const char *name = config->client_allow_tcb.items[i];
		enum ratls_tcb_status status;

		if (ratls_tcb_status_parse(name, strlen(name), &status) != RATLS_OK)
			rc = ratls_fail(detail, RATLS_ERR_POLICY_INVALID,
					"client-allow-tcb '%s' is not a TCB status such as "
					"UpToDate or SWHardeningNeeded",
					name);
		else
			rc = ratls_policy_allow_tcb_status(policy, status, detail);
	}
	if (rc != RATLS_OK) {
		ratls_policy_free(policy);
		return rc;
	}
	*out = policy;
	return RATLS_OK;
}

void sidecar_config_print_help(FILE *out)
{
	fputs("Usage: ratls-sidecar [options]\n"
	      "\n"
	      "RA-TLS front door for a PostgreSQL server in an Intel TDX confidential VM.\n"
	      "Clients connect with TLS (directly, or after PostgreSQL's SSLRequest) and see a\n"
	      "certificate whose quote binds its key; the sidecar forwards the session to\n"
	      "PostgreSQL. The HTTP port serves /health, /attestation and /metrics.\n"
	      "\n"
	      "Options (also valid as 'key = value' lines of the --config file):\n",
	      out);
	for (int i = 0; i < OPT_COUNT; i++) {
		char left[64];

		if (specs[i].arg != NULL)
			snprintf(left, sizeof(left), "--%s %s", specs[i].name, specs[i].arg);
		else
			snprintf(left, sizeof(left), "--%s", specs[i].name);
		fprintf(out, "  %s\n      %s", left, specs[i].help);
		if (specs[i].default_value != NULL)
			fprintf(out, " (default: %s)", specs[i].default_value);
		fputc('\n', out);
	}
	fputs("  -h, --help\n      print this help\n"
	      "  --version\n      print the version\n"
	      "\n"
	      "Signals: SIGTERM and SIGINT stop accepting and let sessions finish for up to\n"
	      "--drain-timeout seconds; SIGHUP issues a new certificate and reloads\n"
	      "--client-collateral.\n"
	      "\n"
	      "Exit status: 0 after a clean stop, 1 when start-up fails, 2 for a usage error.\n",
	      out);
}
