/*
 * The simulated quote source: the platform of a folder written by
 * "ratls sim init" (platform.json contains the seed and the creation time),
 * re-created exactly as the ratls tool re-creates it, with the default
 * platform parameters centred on the creation time.
 *
 * The simulated TD boots like a dstack VM: its runtime events are
 * system-preparing, app-id, compose-hash, instance-id, boot-mr-done and
 * system-ready, and its RTMR3 is the replay of those events, so clients
 * that replay the event log and pin the app id or compose hash accept it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "base/timeutil.h"
#include "ratls/sim.h"
#include "source.h"
#include "util.h"

/* Files and format of a platform folder, as "ratls sim init" writes them. */
#define SIM_PLATFORM_FILE "platform.json"
#define SIM_PLATFORM_FORMAT "ratls-sim-platform"
#define SIM_PLATFORM_VERSION 1
/* Largest platform.json read: the hex of a 1 KiB seed and a few short members. */
#define SIM_PLATFORM_FILE_MAX_SIZE (64 * 1024)

/* Default identity of the simulated application: recognisable fill bytes. */
#define SIM_DEFAULT_APP_ID_BYTE 0x11
#define SIM_DEFAULT_COMPOSE_HASH_BYTE 0x22
#define SIM_DEFAULT_INSTANCE_ID_BYTE 0x33

#define SIM_APP_ID_SIZE 20
#define SIM_COMPOSE_HASH_SIZE 32
#define SIM_INSTANCE_ID_SIZE 20
#define SIM_EVENT_COUNT 6

struct sim_impl {
	struct ratls_sim_platform *platform;
	uint8_t mr_td[48];
	uint8_t rtmr3[RATLS_RTMR_SIZE];
	uint8_t app_id[SIM_APP_ID_SIZE];
	uint8_t compose_hash[SIM_COMPOSE_HASH_SIZE];
	uint8_t instance_id[SIM_INSTANCE_ID_SIZE];
	struct ratls_runtime_event events[SIM_EVENT_COUNT];
};

/* The seed and creation time of platform.json. The seed is private key material. */
struct platform_file {
	uint8_t seed[RATLS_SIM_SEED_MAX_SIZE];
	size_t seed_size;
	int64_t created_at;
};

static int read_members(json_t *root, const char *path, struct platform_file *file,
			struct ratls_detail *detail)
{
	json_t *format = json_object_get(root, "format");
	json_t *version = json_object_get(root, "version");
	json_t *created = json_object_get(root, "created_at");
	json_t *seed = json_object_get(root, "seed");
	const char *seed_hex;
	size_t seed_len;

	if (!json_is_string(format) || strcmp(json_string_value(format), SIM_PLATFORM_FORMAT) != 0)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "'%s' has no \"format\": \"%s\" member; create the platform with "
				  "'ratls sim init'",
				  path, SIM_PLATFORM_FORMAT);
	if (!json_is_integer(version) || json_integer_value(version) != SIM_PLATFORM_VERSION)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "'%s' is not a version %d platform file; create the platform "
				  "again with this version of ratls",
				  path, SIM_PLATFORM_VERSION);
	if (!json_is_string(created) ||
	    ratls_time_parse_rfc3339(json_string_value(created), strlen(json_string_value(created)),
				     &file->created_at) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "'%s' has no valid \"created_at\" RFC 3339 time", path);
	if (!json_is_string(seed))
		return ratls_fail(detail, RATLS_ERR_MALFORMED, "'%s' has no \"seed\" string", path);
	seed_hex = json_string_value(seed);
	seed_len = strlen(seed_hex);
	if (seed_len == 0 || seed_len % 2 != 0 || seed_len / 2 > RATLS_SIM_SEED_MAX_SIZE ||
	    ratls_hex_decode_fixed(seed_hex, seed_len, file->seed, seed_len / 2) != RATLS_OK)
		return ratls_fail(detail, RATLS_ERR_MALFORMED,
				  "\"seed\" in '%s' is not 1 to %d bytes of hex", path,
				  RATLS_SIM_SEED_MAX_SIZE);
	file->seed_size = seed_len / 2;
	return RATLS_OK;
}

static int read_platform_file(const char *dir, struct platform_file *file,
			      struct ratls_detail *detail)
{
	char path[SIDECAR_PATH_SIZE];
	uint8_t *text = NULL;
	size_t size = 0;
	json_error_t error;
	json_t *root = NULL;
	struct stat st;
	int n, rc;

	memset(file, 0, sizeof(*file));
	n = snprintf(path, sizeof(path), "%s/%s", dir, SIM_PLATFORM_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "platform folder path is longer than %d bytes",
				  SIDECAR_PATH_SIZE - 1);
	if (stat(path, &st) != 0)
		return ratls_fail(detail, RATLS_ERR_IO,
				  "simulated platform file '%s' cannot be opened (%s); create a "
				  "platform with 'ratls sim init %s'",
				  path, strerror(errno), dir);
	rc = sidecar_read_file(path, SIM_PLATFORM_FILE_MAX_SIZE, "simulated platform file", &text,
			       &size, detail);
	if (rc != RATLS_OK)
		return rc;
	root = json_loadb((const char *)text, size, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL || !json_is_object(root)) {
		rc = ratls_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' is not a JSON object (line %d: %s)", path, error.line,
				error.text);
		goto out;
	}
	rc = read_members(root, path, file, detail);
out:
	json_decref(root);
	explicit_bzero(text, size);
	free(text);
	return rc;
}

static void set_event(struct ratls_runtime_event *event, const char *name, const uint8_t *payload,
		      size_t payload_size)
{
	event->name = (char *)(uintptr_t)name;
	event->name_size = strlen(name);
	event->payload = (uint8_t *)(uintptr_t)payload;
	event->payload_size = payload_size;
	event->version = 1;
}

/* Sets the runtime events and RTMR3, their replay from 48 zero bytes. */
static int build_events(struct sim_impl *impl, struct ratls_detail *detail)
{
	int rc;

	set_event(&impl->events[0], "system-preparing", NULL, 0);
	set_event(&impl->events[1], "app-id", impl->app_id, sizeof(impl->app_id));
	set_event(&impl->events[2], "compose-hash", impl->compose_hash, sizeof(impl->compose_hash));
	set_event(&impl->events[3], "instance-id", impl->instance_id, sizeof(impl->instance_id));
	set_event(&impl->events[4], "boot-mr-done", NULL, 0);
	set_event(&impl->events[5], "system-ready", NULL, 0);

	memset(impl->rtmr3, 0, sizeof(impl->rtmr3));
	for (size_t i = 0; i < SIM_EVENT_COUNT; i++) {
		const struct ratls_runtime_event *e = &impl->events[i];
		uint8_t digest[RATLS_RTMR_SIZE];

		rc = ratls_evidence_digest_runtime_event(e->name, e->name_size, e->payload,
							 e->payload_size, 1, digest, detail);
		if (rc != RATLS_OK)
			return rc;
		if ((rc = ratls_evidence_extend_rtmr(impl->rtmr3, digest, detail)) != RATLS_OK)
			return rc;
	}
	return RATLS_OK;
}

static int parse_identity(struct sim_impl *impl, const struct sidecar_simulate_options *options,
			  struct ratls_detail *detail)
{
	int rc = RATLS_OK;

	memset(impl->app_id, SIM_DEFAULT_APP_ID_BYTE, sizeof(impl->app_id));
	memset(impl->compose_hash, SIM_DEFAULT_COMPOSE_HASH_BYTE, sizeof(impl->compose_hash));
	memset(impl->instance_id, SIM_DEFAULT_INSTANCE_ID_BYTE, sizeof(impl->instance_id));
	if (options->mrtd_hex != NULL)
		rc = sidecar_parse_hex("simulate-mrtd", options->mrtd_hex, impl->mr_td,
				       sizeof(impl->mr_td), detail);
	if (rc == RATLS_OK && options->app_id_hex != NULL)
		rc = sidecar_parse_hex("simulate-app-id", options->app_id_hex, impl->app_id,
				       sizeof(impl->app_id), detail);
	if (rc == RATLS_OK && options->compose_hash_hex != NULL)
		rc = sidecar_parse_hex("simulate-compose-hash", options->compose_hash_hex,
				       impl->compose_hash, sizeof(impl->compose_hash), detail);
	if (rc == RATLS_OK && options->instance_id_hex != NULL)
		rc = sidecar_parse_hex("simulate-instance-id", options->instance_id_hex,
				       impl->instance_id, sizeof(impl->instance_id), detail);
	return rc;
}

static int quote_simulate(struct sidecar_source *source, const uint8_t report_data[64],
			  uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	struct sim_impl *impl = source->impl;
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(impl->platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memcpy(params.td.mr_td, impl->mr_td, sizeof(impl->mr_td));
	memcpy(params.td.rtmr[3], impl->rtmr3, sizeof(impl->rtmr3));
	memcpy(params.td.report_data, report_data, 64);
	/* ratls_sim_free is free(), so the caller's free() releases the quote. */
	return ratls_sim_platform_quote(impl->platform, &params, quote, quote_size, detail);
}

static void destroy_simulate(struct sidecar_source *source)
{
	struct sim_impl *impl = source->impl;

	if (impl != NULL)
		ratls_sim_platform_free(impl->platform);
	free(impl);
	sidecar_evidence_clear(&source->evidence);
	free(source);
}

int sidecar_source_open_simulate(const struct sidecar_simulate_options *options,
				 struct sidecar_source **out, struct ratls_detail *detail)
{
	struct sidecar_source *source = calloc(1, sizeof(*source));
	struct sim_impl *impl = calloc(1, sizeof(*impl));
	struct ratls_sim_platform_params params;
	struct ratls_sim_quote_params quote_defaults;
	struct platform_file file;
	int rc;

	*out = NULL;
	memset(&file, 0, sizeof(file));
	if (source == NULL || impl == NULL) {
		free(source);
		free(impl);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	source->kind = SIDECAR_SOURCE_SIMULATE;
	source->quote = quote_simulate;
	source->destroy = destroy_simulate;
	source->impl = impl;

	if (options->dir == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"the simulated source needs a platform folder (--simulate DIR)");
		goto out;
	}
	if ((rc = read_platform_file(options->dir, &file, detail)) != RATLS_OK)
		goto out;
	ratls_sim_platform_defaults(&params, file.created_at);
	rc = ratls_sim_platform_new_with(file.seed, file.seed_size, &params, &impl->platform,
					 detail);
	if (rc != RATLS_OK)
		goto out;

	ratls_sim_platform_quote_defaults(impl->platform, RATLS_SIM_QUOTE_TDX_V4, &quote_defaults);
	memcpy(impl->mr_td, quote_defaults.td.mr_td, sizeof(impl->mr_td));
	if ((rc = parse_identity(impl, options, detail)) != RATLS_OK)
		goto out;
	if ((rc = build_events(impl, detail)) != RATLS_OK)
		goto out;

	source->evidence.runtime_events = impl->events;
	source->evidence.runtime_event_count = SIM_EVENT_COUNT;
	rc = sidecar_runtime_events_json(impl->events, SIM_EVENT_COUNT,
					 &source->evidence.event_log_json, detail);
	if (rc != RATLS_OK)
		goto out;
	sidecar_evidence_set_identity(&source->evidence);
	snprintf(source->description, sizeof(source->description),
		 "simulated platform %.200s (test root, not Intel)", options->dir);
	*out = source;
	source = NULL;
	rc = RATLS_OK;
out:
	explicit_bzero(&file, sizeof(file));
	if (source != NULL)
		destroy_simulate(source);
	return rc;
}
