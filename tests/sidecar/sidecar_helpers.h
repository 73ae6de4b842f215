/*
 * Shared helpers of the ratls-sidecar tests: temporary folders, a simulated
 * platform written the way "ratls sim init" writes it, with its root and
 * collateral, and a verifier under that root.
 *
 * Helpers that can fail check their own results with cmocka asserts, so a
 * broken fixture fails the calling test at the helper's line.
 */
#ifndef RATLS_TESTS_SIDECAR_HELPERS_H
#define RATLS_TESTS_SIDECAR_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/attest.h"
#include "ratls/dcap.h"
#include "ratls/sim.h"

/* 2026-01-01T00:00:00Z: the time of the tests that do not run the sidecar. */
#define SCTEST_NOW INT64_C(1767225600)

/* Seeds of two unrelated simulated platforms, as text. */
#define SCTEST_SEED "ratls-sidecar-test-seed-1"
#define SCTEST_SEED_OTHER "ratls-sidecar-test-seed-2"

#define SCTEST_PATH_SIZE 4096

/* A simulated platform in a folder, and a DCAP verifier that trusts its root. */
struct sctest_platform {
	char dir[SCTEST_PATH_SIZE];             /* contains platform.json */
	char root_pem_path[SCTEST_PATH_SIZE];   /* dir/root.pem */
	char collateral_path[SCTEST_PATH_SIZE]; /* dir/collateral.json (TDX bundle) */
	int64_t now;
	struct ratls_sim_platform *platform;
	struct ratls_dcap_context *context;
	struct ratls_verifier verifier;
};

/* Creates a new empty folder under $TMPDIR (or /tmp); the caller frees the string. */
char *sctest_temp_dir(const char *prefix);

/* Removes a folder and everything in it. */
void sctest_remove_tree(const char *dir);

/* Writes size bytes to path (mode 0600), replacing the file. */
void sctest_write_file(const char *path, const void *data, size_t size);

/* Joins dir and name into out. */
void sctest_join(char out[SCTEST_PATH_SIZE], const char *dir, const char *name);

/*
 * Creates the platform of seed (text) centred on now in dir: platform.json,
 * root.pem and collateral.json (collateral issued at now), and the verifier.
 */
void sctest_platform_init(struct sctest_platform *p, const char *dir, const char *seed,
			  int64_t now);
void sctest_platform_free(struct sctest_platform *p);

/*
 * Verifies an RA-TLS certificate (DER) at p->now with p's verifier and
 * policy (NULL: defaults). Returns the library's code; detail may be NULL.
 */
int sctest_verify_cert(const struct sctest_platform *p, const uint8_t *cert, size_t size,
		       const struct ratls_policy *policy, bool allow_simulator,
		       struct ratls_verify_cert_result *result, struct ratls_detail *detail);

/* RTMR3 after replaying runtime events from 48 zero bytes. */
void sctest_replay_rtmr3(const struct ratls_runtime_event *events, size_t count,
			 uint8_t rtmr3[48]);

/* Lowercase hex of data into a new string (caller frees). */
char *sctest_hex(const uint8_t *data, size_t size);

/* Decodes exactly 2 * size hex digits of text into out; fails the test otherwise. */
void sctest_unhex(const char *text, uint8_t *out, size_t size);

#endif
