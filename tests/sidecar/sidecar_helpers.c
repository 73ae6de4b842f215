/* Shared helpers of the ratls-sidecar tests. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ratls/collateral.h"
#include "sidecar_helpers.h"

char *sctest_temp_dir(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(SCTEST_PATH_SIZE);

	assert_non_null(path);
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(path, SCTEST_PATH_SIZE, "%s/%s-XXXXXX", base, prefix);
	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void sctest_remove_tree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void sctest_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const uint8_t *p = data;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		p += n;
		size -= (size_t)n;
	}
	assert_int_equal(close(fd), 0);
}

void sctest_join(char out[SCTEST_PATH_SIZE], const char *dir, const char *name)
{
	int n = snprintf(out, SCTEST_PATH_SIZE, "%s/%s", dir, name);

	assert_true(n > 0 && n < SCTEST_PATH_SIZE);
}

char *sctest_hex(const uint8_t *data, size_t size)
{
	char *hex = malloc(2 * size + 1);

	assert_non_null(hex);
	for (size_t i = 0; i < size; i++)
		snprintf(hex + 2 * i, 3, "%02x", data[i]);
	hex[2 * size] = '\0';
	return hex;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sctest_unhex(const char *text, uint8_t *out, size_t size)
{
	assert_int_equal(strlen(text), 2 * size);
	for (size_t i = 0; i < size; i++) {
		int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);

		assert_true(high >= 0 && low >= 0);
		out[i] = (uint8_t)(high << 4 | low);
	}
}

/* Writes platform.json as "ratls sim init" does: format, version, created_at and seed. */
static void write_platform_json(const char *dir, const char *seed, int64_t now)
{
	char path[SCTEST_PATH_SIZE], created[32], text[1024];
	char *seed_hex = sctest_hex((const uint8_t *)seed, strlen(seed));
	time_t t = (time_t)now;
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text),
		     "{\n  \"format\": \"ratls-sim-platform\",\n  \"version\": 1,\n"
		     "  \"created_at\": \"%s\",\n  \"seed\": \"%s\"\n}\n",
		     created, seed_hex);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	sctest_join(path, dir, "platform.json");
	sctest_write_file(path, text, (size_t)n);
	free(seed_hex);
}

void sctest_platform_init(struct sctest_platform *p, const char *dir, const char *seed,
			  int64_t now)
{
	struct ratls_sim_platform_params params;
	struct ratls_dcap_options options = {0};
	struct ratls_collateral *collateral = ratls_collateral_new();
	struct ratls_detail detail = {0};
	uint8_t *root = NULL;
	size_t root_size = 0;
	char *pem = NULL, *bundle = NULL;
	size_t pem_len = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->now = now;
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	write_platform_json(dir, seed, now);

	ratls_sim_platform_defaults(&params, now);
	rc = ratls_sim_platform_new_with((const uint8_t *)seed, strlen(seed), &params, &p->platform,
					 &detail);
	if (rc != RATLS_OK)
		fail_msg("platform: %s", detail.message);
	assert_int_equal(ratls_sim_platform_root_der(p->platform, &root, &root_size, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_pem_encode("CERTIFICATE", root, root_size, &pem, &pem_len, NULL),
			 RATLS_OK);
	sctest_join(p->root_pem_path, dir, "root.pem");
	sctest_write_file(p->root_pem_path, pem, pem_len);

	assert_non_null(collateral);
	assert_int_equal(ratls_sim_platform_collateral(p->platform, RATLS_SIM_TEE_TDX, now,
						       collateral, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_collateral_write_bundle(collateral, &bundle, NULL), RATLS_OK);
	sctest_join(p->collateral_path, dir, "collateral.json");
	sctest_write_file(p->collateral_path, bundle, strlen(bundle));

	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	rc = ratls_dcap_context_new(collateral, &options, &p->context, &detail);
	if (rc != RATLS_OK)
		fail_msg("DCAP context: %s", detail.message);
	ratls_verifier_init_dcap(&p->verifier, p->context);

	free(bundle);
	ratls_sim_free(pem);
	ratls_sim_free(root);
	ratls_collateral_free(collateral);
}

void sctest_platform_free(struct sctest_platform *p)
{
	ratls_dcap_context_free(p->context);
	ratls_sim_platform_free(p->platform);
	memset(p, 0, sizeof(*p));
}

int sctest_verify_cert(const struct sctest_platform *p, const uint8_t *cert, size_t size,
		       const struct ratls_policy *policy, bool allow_simulator,
		       struct ratls_verify_cert_result *result, struct ratls_detail *detail)
{
	struct ratls_verify_cert_options options = {
		.now = p->now,
		.verifier = &p->verifier,
		.policy = policy,
		.allow_simulator = allow_simulator,
	};

	return ratls_verify_cert(cert, size, &options, result, detail);
}

void sctest_replay_rtmr3(const struct ratls_runtime_event *events, size_t count,
			 uint8_t rtmr3[48])
{
	memset(rtmr3, 0, 48);
	for (size_t i = 0; i < count; i++) {
		uint8_t digest[48];

		assert_int_equal(ratls_evidence_digest_runtime_event(
					 events[i].name, events[i].name_size, events[i].payload,
					 events[i].payload_size, events[i].version, digest, NULL),
				 RATLS_OK);
		assert_int_equal(ratls_evidence_extend_rtmr(rtmr3, digest, NULL), RATLS_OK);
	}
}
