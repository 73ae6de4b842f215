/*
 * Tests of the sidecar's quote sources and certificate issuing. They cover
 * the simulated platform folder, configfs-tsm against a fake report folder
 * served by a thread that plays the kernel, the dstack guest agent against
 * a fake agent on a Unix socket, and the evidence-free certificate of
 * --no-quote. Every certificate is checked with ratls_verify_cert under the
 * simulated root.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cert.h"
#include "config.h"
#include "ratls/attest.h"
#include "ratls/quote.h"
#include "sidecar_helpers.h"
#include "source.h"

static struct sctest_platform platform;
static char *work_dir;

static int setup(void **state)
{
	(void)state;
	work_dir = sctest_temp_dir("ratls-sidecar-sources");
	sctest_platform_init(&platform, work_dir, SCTEST_SEED, SCTEST_NOW);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sctest_platform_free(&platform);
	sctest_remove_tree(work_dir);
	free(work_dir);
	return 0;
}

/* A configuration with the defaults that certificate issuing reads. */
static void default_config(struct sidecar_config *config)
{
	memset(config, 0, sizeof(*config));
	config->common_name = "db.example.com";
	config->rotate_interval = 86400;
}

/* Issues a certificate from source at SCTEST_NOW; fails the test on error. */
static void issue_cert(struct sidecar_source *source, struct sidecar_cert *cert)
{
	struct sidecar_config config;
	struct ratls_detail detail = {0};
	int rc;

	default_config(&config);
	rc = sidecar_cert_issue(source, &config, SCTEST_NOW, cert, &detail);
	if (rc != RATLS_OK)
		fail_msg("sidecar_cert_issue: %s: %s", ratls_error_name(rc), detail.message);
}

/* Opens the simulated source of the fixture's platform folder. */
static struct sidecar_source *open_simulate(const struct sidecar_simulate_options *extra)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_SIMULATE};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};
	int rc;

	if (extra != NULL)
		options.simulate = *extra;
	options.simulate.dir = platform.dir;
	rc = sidecar_source_open(&options, &source, &detail);
	if (rc != RATLS_OK)
		fail_msg("open simulate: %s", detail.message);
	return source;
}

/* ---- simulated platform ---- */

static void simulate_quote_verifies(void **state)
{
	struct sidecar_source *source = open_simulate(NULL);
	struct ratls_verified_report report;
	uint8_t report_data[64], rtmr3[48];
	uint8_t *quote = NULL;
	size_t quote_size = 0;

	(void)state;
	memset(report_data, 0xab, sizeof(report_data));
	assert_int_equal(sidecar_source_quote(source, report_data, &quote, &quote_size, NULL),
			 RATLS_OK);
	assert_int_equal(platform.verifier.verify_quote(platform.verifier.arg, quote, quote_size,
							SCTEST_NOW, &report, NULL),
			 RATLS_OK);
	assert_memory_equal(report.td.report_data, report_data, 64);
	sctest_replay_rtmr3(source->evidence.runtime_events, source->evidence.runtime_event_count,
			    rtmr3);
	assert_memory_equal(report.td.rtmr[3], rtmr3, 48);
	assert_string_equal(source->evidence.app_id, "1111111111111111111111111111111111111111");
	assert_int_equal(strlen(source->evidence.compose_hash), 64);
	assert_non_null(source->evidence.event_log_json);
	free(quote);
	sidecar_source_free(source);
}

static void simulate_cert_verifies(void **state)
{
	struct sidecar_simulate_options extra = {
		.app_id_hex = "0123456789abcdef0123456789abcdef01234567",
		.mrtd_hex = "aa00000000000000000000000000000000000000000000000000000000000000"
			    "00000000000000000000000000000000",
	};
	struct sidecar_source *source = open_simulate(&extra);
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct sidecar_cert cert;
	int rc;

	(void)state;
	issue_cert(source, &cert);
	assert_true(cert.attested);
	assert_true(cert.not_before < SCTEST_NOW && cert.not_after > SCTEST_NOW + 86400);
	rc = sctest_verify_cert(&platform, cert.der, cert.der_size, NULL, false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("verify: %s: %s", ratls_error_name(rc), detail.message);
	assert_true(result.attested);
	assert_true(result.replay.identity_valid);
	assert_int_equal(result.replay.identity.app_id_size, 20);
	assert_int_equal(result.replay.identity.app_id[0], 0x01);
	assert_int_equal(result.report.td.mr_td[0], 0xaa);
	assert_non_null(strstr(cert.key_pem, "PRIVATE KEY"));
	ratls_verify_cert_result_clear(&result);
	sidecar_cert_clear(&cert);
	assert_null(cert.key_pem);
	sidecar_source_free(source);
}

static void simulate_missing_folder_fails(void **state)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_SIMULATE};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};
	char missing[SCTEST_PATH_SIZE];

	(void)state;
	sctest_join(missing, work_dir, "no-such-platform");
	options.simulate.dir = missing;
	assert_int_equal(sidecar_source_open(&options, &source, &detail), RATLS_ERR_IO);
	assert_null(source);
	assert_non_null(strstr(detail.message, "ratls sim init"));
}

static void simulate_bad_platform_file_fails(void **state)
{
	static const struct {
		const char *text;
		int code;
	} cases[] = {
		{"not json", RATLS_ERR_MALFORMED},
		{"[]", RATLS_ERR_MALFORMED},
		{"{\"format\":\"other\",\"version\":1,\"created_at\":\"2026-01-01T00:00:00Z\","
		 "\"seed\":\"00\"}",
		 RATLS_ERR_MALFORMED},
		{"{\"format\":\"ratls-sim-platform\",\"version\":2,\"created_at\":"
		 "\"2026-01-01T00:00:00Z\",\"seed\":\"00\"}",
		 RATLS_ERR_UNSUPPORTED_VERSION},
		{"{\"format\":\"ratls-sim-platform\",\"version\":1,\"created_at\":\"yesterday\","
		 "\"seed\":\"00\"}",
		 RATLS_ERR_MALFORMED},
		{"{\"format\":\"ratls-sim-platform\",\"version\":1,\"created_at\":"
		 "\"2026-01-01T00:00:00Z\",\"seed\":\"0g\"}",
		 RATLS_ERR_MALFORMED},
		{"{\"format\":\"ratls-sim-platform\",\"version\":1,\"created_at\":"
		 "\"2026-01-01T00:00:00Z\",\"seed\":\"\"}",
		 RATLS_ERR_MALFORMED},
	};
	char *dir = sctest_temp_dir("ratls-sidecar-badplatform");
	char path[SCTEST_PATH_SIZE];

	(void)state;
	sctest_join(path, dir, "platform.json");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sidecar_simulate_options options = {.dir = dir};
		struct sidecar_source *source = NULL;
		struct ratls_detail detail = {0};

		sctest_write_file(path, cases[i].text, strlen(cases[i].text));
		assert_int_equal(sidecar_source_open_simulate(&options, &source, &detail),
				 cases[i].code);
		assert_null(source);
		assert_true(detail.message[0] != '\0');
	}
	sctest_remove_tree(dir);
	free(dir);
}

static void simulate_bad_identity_hex_fails(void **state)
{
	struct sidecar_simulate_options options = {.dir = platform.dir, .app_id_hex = "1234"};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(sidecar_source_open_simulate(&options, &source, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "simulate-app-id"));
	options.app_id_hex = NULL;
	options.mrtd_hex = "zz";
	ratls_detail_clear(&detail);
	assert_int_equal(sidecar_source_open_simulate(&options, &source, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "simulate-mrtd"));
}

/* ---- configfs-tsm against a fake report folder ---- */

enum fake_tsm_mode {
	TSM_GOOD,
	TSM_WRONG_PROVIDER,
	TSM_GENERATION_2,
	TSM_WRONG_REPORT_DATA,
	TSM_NO_ATTRIBUTES
};

struct fake_tsm {
	char dir[SCTEST_PATH_SIZE];
	enum fake_tsm_mode mode;
	atomic_bool stop;
	atomic_int served;
	pthread_t thread;
};

static void write_text(const char *entry, const char *name, const char *text)
{
	char path[SCTEST_PATH_SIZE];

	sctest_join(path, entry, name);
	sctest_write_file(path, text, strlen(text));
}

/* Plays the kernel for one entry whose inblob was written: provider, generation, outblob. */
static void serve_entry(struct fake_tsm *fake, const char *entry)
{
	char inblob[SCTEST_PATH_SIZE], outblob[SCTEST_PATH_SIZE], temp[SCTEST_PATH_SIZE];
	uint8_t report_data[64];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	FILE *f;

	sctest_join(inblob, entry, "inblob");
	sctest_join(outblob, entry, "outblob");
	if (access(outblob, F_OK) == 0)
		return;
	f = fopen(inblob, "rb");
	if (f == NULL)
		return;
	if (fread(report_data, 1, 64, f) != 64) {
		fclose(f);
		return;
	}
	fclose(f);
	if (fake->mode == TSM_WRONG_REPORT_DATA)
		report_data[0] ^= 1;
	assert_int_equal(ratls_sim_platform_td_quote(platform.platform, NULL, NULL, report_data,
						     &quote, &quote_size, NULL),
			 RATLS_OK);
	if (fake->mode != TSM_NO_ATTRIBUTES) {
		write_text(entry, "provider",
			   fake->mode == TSM_WRONG_PROVIDER ? "sev_guest\n" : "tdx_guest\n");
		write_text(entry, "generation", fake->mode == TSM_GENERATION_2 ? "2\n" : "1\n");
	}
	/* Written under another name and renamed, so the reader never sees a partial quote. */
	sctest_join(temp, entry, ".outblob.tmp");
	sctest_write_file(temp, quote, quote_size);
	assert_int_equal(rename(temp, outblob), 0);
	ratls_sim_free(quote);
	fake->served++;
}

static void *fake_tsm_main(void *arg)
{
	struct fake_tsm *fake = arg;
	struct timespec pause = {0, 2000000};

	while (!fake->stop) {
		DIR *dir = opendir(fake->dir);
		struct dirent *entry;

		while (dir != NULL && (entry = readdir(dir)) != NULL) {
			char path[SCTEST_PATH_SIZE], inblob[SCTEST_PATH_SIZE];
			struct stat st;

			if (entry->d_name[0] == '.')
				continue;
			sctest_join(path, fake->dir, entry->d_name);
			sctest_join(inblob, path, "inblob");
			if (stat(inblob, &st) == 0 && st.st_size == 64)
				serve_entry(fake, path);
		}
		if (dir != NULL)
			closedir(dir);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void fake_tsm_start(struct fake_tsm *fake, enum fake_tsm_mode mode)
{
	char *dir = sctest_temp_dir("ratls-sidecar-tsm");

	memset(fake, 0, sizeof(*fake));
	snprintf(fake->dir, sizeof(fake->dir), "%s", dir);
	free(dir);
	fake->mode = mode;
	assert_int_equal(pthread_create(&fake->thread, NULL, fake_tsm_main, fake), 0);
}

static void fake_tsm_stop(struct fake_tsm *fake)
{
	fake->stop = true;
	pthread_join(fake->thread, NULL);
	sctest_remove_tree(fake->dir);
}

static bool folder_is_empty(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	bool empty = true;

	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			empty = false;
	}
	closedir(dir);
	return empty;
}

static int tsm_quote(struct fake_tsm *fake, const uint8_t report_data[64],
		     struct ratls_detail *detail)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_TSM, .tsm_dir = fake->dir};
	struct sidecar_source *source = NULL;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc;

	assert_int_equal(sidecar_source_open(&options, &source, NULL), RATLS_OK);
	rc = sidecar_source_quote(source, report_data, &quote, &quote_size, detail);
	if (rc == RATLS_OK) {
		struct ratls_quote parsed;

		assert_int_equal(ratls_quote_parse(quote, quote_size, &parsed, NULL), RATLS_OK);
		assert_memory_equal(parsed.td.report_data, report_data, 64);
	} else {
		assert_null(quote);
	}
	free(quote);
	sidecar_source_free(source);
	return rc;
}

static void tsm_quote_from_fake_folder(void **state)
{
	struct fake_tsm fake;
	uint8_t report_data[64];

	(void)state;
	memset(report_data, 0x5c, sizeof(report_data));
	fake_tsm_start(&fake, TSM_GOOD);
	assert_int_equal(tsm_quote(&fake, report_data, NULL), RATLS_OK);
	report_data[63] = 0x01;
	assert_int_equal(tsm_quote(&fake, report_data, NULL), RATLS_OK);
	assert_int_equal(fake.served, 2);
	assert_true(folder_is_empty(fake.dir));
	fake_tsm_stop(&fake);
}

static void tsm_without_attributes_accepted(void **state)
{
	struct fake_tsm fake;
	uint8_t report_data[64] = {1};

	(void)state;
	fake_tsm_start(&fake, TSM_NO_ATTRIBUTES);
	assert_int_equal(tsm_quote(&fake, report_data, NULL), RATLS_OK);
	fake_tsm_stop(&fake);
}

static void tsm_bad_entry_rejected(void **state)
{
	static const struct {
		enum fake_tsm_mode mode;
		int code;
		const char *words;
	} cases[] = {
		{TSM_WRONG_PROVIDER, RATLS_ERR_UNSUPPORTED_TEE_TYPE, "sev_guest"},
		{TSM_GENERATION_2, RATLS_ERR_IO, "generation 2"},
		{TSM_WRONG_REPORT_DATA, RATLS_ERR_KEY_BINDING, "REPORTDATA"},
	};
	uint8_t report_data[64] = {7};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_detail detail = {0};
		struct fake_tsm fake;

		fake_tsm_start(&fake, cases[i].mode);
		assert_int_equal(tsm_quote(&fake, report_data, &detail), cases[i].code);
		assert_non_null(strstr(detail.message, cases[i].words));
		assert_true(folder_is_empty(fake.dir));
		fake_tsm_stop(&fake);
	}
}

static void tsm_missing_folder_fails(void **state)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_TSM};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};
	char missing[SCTEST_PATH_SIZE];

	(void)state;
	sctest_join(missing, work_dir, "no-tsm");
	options.tsm_dir = missing;
	assert_int_equal(sidecar_source_open(&options, &source, &detail), RATLS_ERR_IO);
	assert_non_null(strstr(detail.message, "configfs"));
}

/* ---- dstack guest agent against a fake agent ---- */

enum fake_agent_mode {
	AGENT_GOOD,
	AGENT_HTTP_400,
	AGENT_WRONG_REPORT_DATA,
	AGENT_GROWING_LOG, /* every GetQuote adds a runtime event */
	AGENT_NOT_JSON
};

#define AGENT_EVENTS_MAX 16

struct fake_agent {
	char socket_path[SCTEST_PATH_SIZE];
	enum fake_agent_mode mode;
	int listen_fd;
	atomic_int get_quote_calls;
	atomic_int requests_without_json;
	pthread_t thread;
	struct ratls_runtime_event events[AGENT_EVENTS_MAX];
	size_t event_count;
	uint8_t app_id[20];
	uint8_t compose_hash[32];
};

static void agent_add_event(struct fake_agent *agent, const char *name, const uint8_t *payload,
			    size_t size)
{
	struct ratls_runtime_event *e = &agent->events[agent->event_count++];

	e->name = (char *)(uintptr_t)name;
	e->name_size = strlen(name);
	e->payload = (uint8_t *)(uintptr_t)payload;
	e->payload_size = size;
	e->version = 1;
}

/* The event log as the agent returns it: one boot event and the runtime events, stripped. */
static char *agent_event_log(const struct fake_agent *agent)
{
	json_t *log = json_array();
	char *text;

	json_array_append_new(log, json_pack("{s:i,s:i,s:s,s:s,s:s}", "imr", 0, "event_type", 1,
					     "digest",
					     "0000000000000000000000000000000000000000000000000000"
					     "00000000000000000000000000000000000000000000",
					     "event", "", "event_payload", ""));
	for (size_t i = 0; i < agent->event_count; i++) {
		char *payload = sctest_hex(agent->events[i].payload, agent->events[i].payload_size);

		json_array_append_new(log, json_pack("{s:i,s:I,s:s,s:s,s:s}", "imr", 3,
						     "event_type", (json_int_t)0x08000001, "digest",
						     "", "event", agent->events[i].name,
						     "event_payload", payload));
		free(payload);
	}
	text = json_dumps(log, JSON_COMPACT);
	json_decref(log);
	return text;
}

/* Builds the GetQuote reply for a request body {"report_data": hex}. */
static char *agent_get_quote(struct fake_agent *agent, const char *body)
{
	json_t *request = json_loads(body, 0, NULL);
	const char *hex = json_string_value(json_object_get(request, "report_data"));
	uint8_t report_data[64] = {0}, rtmr[4][48];
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	char *quote_hex, *log, *report_hex, *reply;

	assert_non_null(hex);
	assert_int_equal(strlen(hex), 128);
	sctest_unhex(hex, report_data, sizeof(report_data));
	if (agent->mode == AGENT_GROWING_LOG && agent->event_count < AGENT_EVENTS_MAX)
		agent_add_event(agent, "app-event", agent->compose_hash, 4);
	memset(rtmr, 0x42, sizeof(rtmr));
	sctest_replay_rtmr3(agent->events, agent->event_count, rtmr[3]);
	report_hex = sctest_hex(report_data, 64);
	if (agent->mode == AGENT_WRONG_REPORT_DATA)
		report_hex[0] = report_hex[0] == '0' ? '1' : '0';
	assert_int_equal(ratls_sim_platform_td_quote(platform.platform, NULL,
						     (const uint8_t(*)[48])rtmr, report_data,
						     &quote, &quote_size, NULL),
			 RATLS_OK);
	quote_hex = sctest_hex(quote, quote_size);
	log = agent_event_log(agent);
	json_t *reply_json = json_pack("{s:s,s:s,s:s,s:s}", "quote", quote_hex, "event_log", log,
				       "report_data", report_hex, "vm_config",
				       "{\"os_image_hash\":\"\"}");
	reply = json_dumps(reply_json, JSON_COMPACT);
	json_decref(reply_json);
	json_decref(request);
	free(log);
	free(quote_hex);
	free(report_hex);
	ratls_sim_free(quote);
	agent->get_quote_calls++;
	return reply;
}

/* Reads one HTTP request: headers, then Content-Length bytes of body. */
static bool read_request(int fd, char *buffer, size_t size, char **body)
{
	size_t used = 0;
	char *end = NULL;
	long length = 0;

	while (end == NULL || (size_t)(end + 4 - buffer) + (size_t)length > used) {
		ssize_t n = read(fd, buffer + used, size - 1 - used);

		if (n <= 0)
			return false;
		used += (size_t)n;
		buffer[used] = '\0';
		if (end == NULL && (end = strstr(buffer, "\r\n\r\n")) != NULL) {
			const char *header = strstr(buffer, "Content-Length:");

			length = header != NULL && header < end ? strtol(header + 15, NULL, 10) : 0;
		}
	}
	*body = end + 4;
	return true;
}

static void send_reply(int fd, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, status == 200 ? "OK" : "Bad Request", strlen(body));

	assert_int_equal(write(fd, head, (size_t)n), n);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
}

static void *fake_agent_main(void *arg)
{
	struct fake_agent *agent = arg;
	static char buffer[64 * 1024];

	for (;;) {
		int fd = accept(agent->listen_fd, NULL, NULL);
		char *body = NULL, *reply = NULL;

		if (fd < 0)
			return NULL;
		if (!read_request(fd, buffer, sizeof(buffer), &body)) {
			close(fd);
			continue;
		}
		if (strstr(buffer, "Content-Type: application/json") == NULL)
			agent->requests_without_json++;
		if (agent->mode == AGENT_HTTP_400)
			send_reply(fd, 400, "{\"error\":\"refused by the fake agent\"}");
		else if (agent->mode == AGENT_NOT_JSON)
			send_reply(fd, 200, "this is not json");
		else if (strncmp(buffer, "POST /Info ", 11) == 0)
			send_reply(fd, 200,
				   "{\"app_name\":\"fake-app\",\"app_id\":\"5bb4\","
				   "\"instance_id\":\"1616\"}");
		else if (strncmp(buffer, "POST /GetQuote ", 15) == 0)
			send_reply(fd, 200, reply = agent_get_quote(agent, body));
		else
			send_reply(fd, 400, "{\"error\":\"unknown method\"}");
		free(reply);
		close(fd);
	}
}

static void fake_agent_start(struct fake_agent *agent, enum fake_agent_mode mode)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};

	memset(agent, 0, sizeof(*agent));
	agent->mode = mode;
	memset(agent->app_id, 0x5b, sizeof(agent->app_id));
	memset(agent->compose_hash, 0xc0, sizeof(agent->compose_hash));
	agent_add_event(agent, "system-preparing", NULL, 0);
	agent_add_event(agent, "app-id", agent->app_id, sizeof(agent->app_id));
	agent_add_event(agent, "compose-hash", agent->compose_hash, sizeof(agent->compose_hash));
	agent_add_event(agent, "system-ready", NULL, 0);
	sctest_join(agent->socket_path, work_dir, "dstack.sock");
	unlink(agent->socket_path);
	assert_true(strlen(agent->socket_path) < sizeof(address.sun_path));
	memcpy(address.sun_path, agent->socket_path, strlen(agent->socket_path) + 1);
	agent->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(agent->listen_fd >= 0);
	assert_int_equal(bind(agent->listen_fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(agent->listen_fd, 8), 0);
	assert_int_equal(pthread_create(&agent->thread, NULL, fake_agent_main, agent), 0);
}

static void fake_agent_stop(struct fake_agent *agent)
{
	shutdown(agent->listen_fd, SHUT_RDWR);
	close(agent->listen_fd);
	pthread_join(agent->thread, NULL);
	unlink(agent->socket_path);
}

static int open_dstack(struct fake_agent *agent, struct sidecar_source **source,
		       struct ratls_detail *detail)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_DSTACK,
						 .dstack_socket = agent->socket_path};

	return sidecar_source_open(&options, source, detail);
}

static void dstack_cert_verifies(void **state)
{
	struct fake_agent agent;
	struct sidecar_source *source = NULL;
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct sidecar_cert cert;
	int rc;

	(void)state;
	fake_agent_start(&agent, AGENT_GOOD);
	rc = open_dstack(&agent, &source, &detail);
	if (rc != RATLS_OK)
		fail_msg("open dstack: %s", detail.message);
	assert_non_null(strstr(source->description, "app_name=fake-app"));
	assert_string_equal(source->evidence.app_id, "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b");
	assert_int_equal(source->evidence.event_count, 5);
	assert_int_equal(source->evidence.runtime_event_count, 4);
	assert_non_null(source->evidence.config);

	issue_cert(source, &cert);
	rc = sctest_verify_cert(&platform, cert.der, cert.der_size, NULL, false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("verify: %s: %s", ratls_error_name(rc), detail.message);
	assert_true(result.replay.identity_valid);
	assert_int_equal(result.replay.identity.app_id[0], 0x5b);
	assert_int_equal(result.replay.identity.compose_hash[0], 0xc0);
	assert_int_equal(agent.requests_without_json, 0);
	ratls_verify_cert_result_clear(&result);
	sidecar_cert_clear(&cert);
	sidecar_source_free(source);
	fake_agent_stop(&agent);
}

static void dstack_agent_failures_reported(void **state)
{
	static const struct {
		enum fake_agent_mode mode;
		int code;
		const char *words;
	} cases[] = {
		{AGENT_HTTP_400, RATLS_ERR_SERVICE, "HTTP 400"},
		{AGENT_NOT_JSON, RATLS_ERR_MALFORMED, "not a JSON object"},
		{AGENT_WRONG_REPORT_DATA, RATLS_ERR_SERVICE, "report_data"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_agent agent;
		struct sidecar_source *source = NULL;
		struct ratls_detail detail = {0};

		fake_agent_start(&agent, cases[i].mode);
		assert_int_equal(open_dstack(&agent, &source, &detail), cases[i].code);
		assert_null(source);
		if (strstr(detail.message, cases[i].words) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, detail.message, cases[i].words);
		fake_agent_stop(&agent);
	}
}

static void dstack_missing_socket_fails(void **state)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_DSTACK};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};
	char missing[SCTEST_PATH_SIZE];

	(void)state;
	sctest_join(missing, work_dir, "no-agent.sock");
	options.dstack_socket = missing;
	assert_int_equal(sidecar_source_open(&options, &source, &detail), RATLS_ERR_NETWORK);
	assert_non_null(strstr(detail.message, missing));
}

static void dstack_changing_log_retried(void **state)
{
	struct fake_agent agent;
	struct sidecar_source *source = NULL;
	struct sidecar_config config;
	struct sidecar_cert cert;
	struct ratls_detail detail = {0};

	(void)state;
	fake_agent_start(&agent, AGENT_GROWING_LOG);
	assert_int_equal(open_dstack(&agent, &source, NULL), RATLS_OK);
	default_config(&config);
	agent.get_quote_calls = 0;
	assert_int_equal(sidecar_cert_issue(source, &config, SCTEST_NOW, &cert, &detail),
			 RATLS_ERR_EVENT_LOG);
	assert_null(cert.der);
	assert_null(cert.key_pem);
	/* Each attempt: one refresh and one quote for the certificate. */
	assert_int_equal(agent.get_quote_calls, 2 * SIDECAR_CERT_ISSUE_ATTEMPTS);
	sidecar_source_free(source);
	fake_agent_stop(&agent);
}

/* ---- no quote ---- */

static void none_cert_has_no_evidence(void **state)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_NONE};
	struct sidecar_source *source = NULL;
	struct ratls_verify_cert_result result;
	struct sidecar_cert cert;
	uint8_t report_data[64] = {0};
	uint8_t *quote = NULL;
	size_t quote_size = 0;

	(void)state;
	assert_int_equal(sidecar_source_open(&options, &source, NULL), RATLS_OK);
	issue_cert(source, &cert);
	assert_false(cert.attested);
	assert_int_equal(sctest_verify_cert(&platform, cert.der, cert.der_size, NULL, false,
					    &result, NULL),
			 RATLS_ERR_NOT_RATLS);
	ratls_verify_cert_result_clear(&result);
	assert_int_equal(sctest_verify_cert(&platform, cert.der, cert.der_size, NULL, true,
					    &result, NULL),
			 RATLS_OK);
	assert_false(result.attested);
	ratls_verify_cert_result_clear(&result);
	assert_int_equal(sidecar_source_quote(source, report_data, &quote, &quote_size, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	sidecar_cert_clear(&cert);
	sidecar_source_free(source);
}

static void auto_prefers_agent_then_tsm(void **state)
{
	struct sidecar_source_options options = {.kind = SIDECAR_SOURCE_AUTO};
	struct sidecar_source *source = NULL;
	struct ratls_detail detail = {0};
	struct fake_agent agent;
	char missing[SCTEST_PATH_SIZE];

	(void)state;
	sctest_join(missing, work_dir, "missing");
	options.dstack_socket = missing;
	options.tsm_dir = missing;
	assert_int_equal(sidecar_source_open(&options, &source, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "--simulate"));

	options.tsm_dir = work_dir;
	assert_int_equal(sidecar_source_open(&options, &source, NULL), RATLS_OK);
	assert_int_equal(source->kind, SIDECAR_SOURCE_TSM);
	sidecar_source_free(source);

	fake_agent_start(&agent, AGENT_GOOD);
	options.dstack_socket = agent.socket_path;
	assert_int_equal(sidecar_source_open(&options, &source, NULL), RATLS_OK);
	assert_int_equal(source->kind, SIDECAR_SOURCE_DSTACK);
	sidecar_source_free(source);
	fake_agent_stop(&agent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simulate_quote_verifies),
		cmocka_unit_test(simulate_cert_verifies),
		cmocka_unit_test(simulate_missing_folder_fails),
		cmocka_unit_test(simulate_bad_platform_file_fails),
		cmocka_unit_test(simulate_bad_identity_hex_fails),
		cmocka_unit_test(tsm_quote_from_fake_folder),
		cmocka_unit_test(tsm_without_attributes_accepted),
		cmocka_unit_test(tsm_bad_entry_rejected),
		cmocka_unit_test(tsm_missing_folder_fails),
		cmocka_unit_test(dstack_cert_verifies),
		cmocka_unit_test(dstack_agent_failures_reported),
		cmocka_unit_test(dstack_missing_socket_fails),
		cmocka_unit_test(dstack_changing_log_retried),
		cmocka_unit_test(none_cert_has_no_evidence),
		cmocka_unit_test(auto_prefers_agent_then_tsm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
