/*
 * Shared helpers of the tests built on the simulated platform (src/sim).
 *
 * Every helper that can fail checks its own result with cmocka asserts, so a
 * broken fixture fails the calling test at the helper's line instead of
 * returning an error code the test must remember to check. The exception is
 * simtest_verify, whose return code is the value under test.
 *
 * All times are fixed: SIMTEST_NOW is the time platforms and collateral are
 * centred on and the default verification time, so a run never depends on
 * the clock.
 */
#ifndef RATLS_TESTS_SIM_HELPERS_H
#define RATLS_TESTS_SIM_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/log.h"
#include "ratls/sim.h"

/* 2026-01-01T00:00:00Z, the time every default fixture is centred on. */
#define SIMTEST_NOW INT64_C(1767225600)

/* Seed of the default platform. SIMTEST_SEED_OTHER gives a second, unrelated one. */
#define SIMTEST_SEED "ratls-sim-test-seed-1"
#define SIMTEST_SEED_OTHER "ratls-sim-test-seed-2"

/* Fills params with ratls_sim_platform_defaults(SIMTEST_NOW). */
void simtest_platform_defaults(struct ratls_sim_platform_params *params);

/*
 * Creates a platform from seed (a NUL-terminated string, NULL for
 * SIMTEST_SEED) and params (NULL for simtest_platform_defaults). Fails the
 * test when creation fails. Free with ratls_sim_platform_free.
 */
struct ratls_sim_platform *simtest_platform_new(const char *seed,
						const struct ratls_sim_platform_params *params);

/* Returns the platform's DER root certificate (free with ratls_sim_free). */
uint8_t *simtest_root_der(const struct ratls_sim_platform *platform, size_t *size);

/*
 * Returns new collateral for tee issued at now by the platform (free with
 * ratls_collateral_free). The PCK chain slot stays empty, so the quote's
 * chain is used.
 */
struct ratls_collateral *simtest_collateral_new(const struct ratls_sim_platform *platform,
						enum ratls_sim_tee tee, int64_t now);

/* Returns the collateral flavour a quote format needs (SGX for SGX v3, else TDX). */
enum ratls_sim_tee simtest_format_tee(enum ratls_sim_quote_format format);

/*
 * Issues the platform's default quote of format (free with ratls_sim_free).
 * simtest_quote_new_with issues one from params as given.
 */
uint8_t *simtest_quote_new(const struct ratls_sim_platform *platform,
			   enum ratls_sim_quote_format format, size_t *size);
uint8_t *simtest_quote_new_with(const struct ratls_sim_platform *platform,
				const struct ratls_sim_quote_params *params, size_t *size);

/*
 * Runs ratls_dcap_verify with trust_root_der set to root_der (NULL runs with
 * no options, so only Intel's root is trusted). Clears detail before the
 * call. Returns the verifier's code.
 */
int simtest_verify(const uint8_t *quote, size_t quote_size,
		   const struct ratls_collateral *collateral, int64_t now,
		   const uint8_t *root_der, size_t root_der_size,
		   struct ratls_verified_report *report, struct ratls_detail *detail);

/*
 * Asserts that rc is expected, and when substring is not NULL that
 * detail->message contains it. On a mismatch it prints both codes by name
 * and the detail message before failing.
 */
void simtest_assert_code(int rc, const struct ratls_detail *detail, int expected,
			 const char *substring);

/*
 * Installs a log callback that drops messages and counts warnings, so the
 * warning ratls_dcap_verify logs on every verification with a custom trust
 * root does not flood the test output. Call it once from main.
 */
void simtest_log_capture(void);

/* Returns the number of warnings logged since simtest_log_capture. */
size_t simtest_warning_count(void);

/* XORs the byte at offset with 0x01 (offset must be below size). */
void simtest_flip_byte(uint8_t *data, size_t size, size_t offset);

/* Returns der as PEM "X509 CRL" text (NUL-terminated, free with ratls_sim_free). */
char *simtest_crl_pem(const uint8_t *der, size_t der_size, size_t *pem_len);

/* Returns der as lower-case hex text (NUL-terminated, free with free()). */
char *simtest_hex(const uint8_t *der, size_t der_size, size_t *hex_len);

/*
 * A default case: a platform, its root, collateral for the quote's TEE and
 * one quote, all at SIMTEST_NOW. Tests change one piece and verify.
 */
struct simtest_fixture {
	struct ratls_sim_platform *platform;
	uint8_t *root_der;
	size_t root_der_size;
	struct ratls_collateral *collateral;
	uint8_t *quote;
	size_t quote_size;
	enum ratls_sim_quote_format format;
};

/*
 * Fills fixture for format from seed and params (NULL for the defaults).
 * Fails the test on any error.
 */
void simtest_fixture_init(struct simtest_fixture *fixture, enum ratls_sim_quote_format format,
			  const char *seed, const struct ratls_sim_platform_params *params);

/* Verifies the fixture's quote against its collateral and root at now. */
int simtest_fixture_verify(const struct simtest_fixture *fixture, int64_t now,
			   struct ratls_verified_report *report, struct ratls_detail *detail);

void simtest_fixture_free(struct simtest_fixture *fixture);

#endif /* RATLS_TESTS_SIM_HELPERS_H */
