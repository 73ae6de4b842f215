/* Shared helpers of the tests built on the simulated platform; see sim_helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_helpers.h"

/* Prints a failed fixture step with its detail message, then fails the test. */
static void simtest_assert_ok(int rc, const struct ratls_detail *detail, const char *step)
{
	if (rc != RATLS_OK) {
		print_error("%s failed: %s (%d): %s\n", step, ratls_error_name(rc), rc,
			    detail->message);
	}
	assert_int_equal(rc, RATLS_OK);
}

void simtest_platform_defaults(struct ratls_sim_platform_params *params)
{
	ratls_sim_platform_defaults(params, SIMTEST_NOW);
}

struct ratls_sim_platform *simtest_platform_new(const char *seed,
						const struct ratls_sim_platform_params *params)
{
	struct ratls_sim_platform_params defaults;
	struct ratls_sim_platform *platform = NULL;
	struct ratls_detail detail = {0};
	int rc;

	if (seed == NULL)
		seed = SIMTEST_SEED;
	if (params == NULL) {
		simtest_platform_defaults(&defaults);
		params = &defaults;
	}
	rc = ratls_sim_platform_new_with((const uint8_t *)seed, strlen(seed), params, &platform,
					 &detail);
	simtest_assert_ok(rc, &detail, "ratls_sim_platform_new_with");
	assert_non_null(platform);
	return platform;
}

uint8_t *simtest_root_der(const struct ratls_sim_platform *platform, size_t *size)
{
	struct ratls_detail detail = {0};
	uint8_t *der = NULL;
	int rc;

	rc = ratls_sim_platform_root_der(platform, &der, size, &detail);
	simtest_assert_ok(rc, &detail, "ratls_sim_platform_root_der");
	assert_non_null(der);
	return der;
}

struct ratls_collateral *simtest_collateral_new(const struct ratls_sim_platform *platform,
						enum ratls_sim_tee tee, int64_t now)
{
	struct ratls_detail detail = {0};
	struct ratls_collateral *collateral;
	int rc;

	collateral = ratls_collateral_new();
	assert_non_null(collateral);
	rc = ratls_sim_platform_collateral(platform, tee, now, collateral, &detail);
	if (rc != RATLS_OK)
		ratls_collateral_free(collateral);
	simtest_assert_ok(rc, &detail, "ratls_sim_platform_collateral");
	return collateral;
}

enum ratls_sim_tee simtest_format_tee(enum ratls_sim_quote_format format)
{
	return format == RATLS_SIM_QUOTE_SGX_V3 ? RATLS_SIM_TEE_SGX : RATLS_SIM_TEE_TDX;
}

uint8_t *simtest_quote_new(const struct ratls_sim_platform *platform,
			   enum ratls_sim_quote_format format, size_t *size)
{
	struct ratls_sim_quote_params params;

	ratls_sim_platform_quote_defaults(platform, format, &params);
	return simtest_quote_new_with(platform, &params, size);
}

uint8_t *simtest_quote_new_with(const struct ratls_sim_platform *platform,
				const struct ratls_sim_quote_params *params, size_t *size)
{
	struct ratls_detail detail = {0};
	uint8_t *quote = NULL;
	int rc;

	rc = ratls_sim_platform_quote(platform, params, &quote, size, &detail);
	simtest_assert_ok(rc, &detail, "ratls_sim_platform_quote");
	assert_non_null(quote);
	return quote;
}

int simtest_verify(const uint8_t *quote, size_t quote_size,
		   const struct ratls_collateral *collateral, int64_t now,
		   const uint8_t *root_der, size_t root_der_size,
		   struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct ratls_dcap_options options = {0};

	ratls_detail_clear(detail);
	memset(report, 0, sizeof(*report));
	if (root_der == NULL)
		return ratls_dcap_verify(quote, quote_size, collateral, now, NULL, report, detail);
	options.trust_root_der = root_der;
	options.trust_root_der_size = root_der_size;
	return ratls_dcap_verify(quote, quote_size, collateral, now, &options, report, detail);
}

void simtest_assert_code(int rc, const struct ratls_detail *detail, int expected,
			 const char *substring)
{
	if (rc != expected) {
		print_error("expected %s (%d), got %s (%d): %s\n", ratls_error_name(expected),
			    expected, ratls_error_name(rc), rc, detail->message);
	}
	assert_int_equal(rc, expected);
	if (substring == NULL)
		return;
	if (strstr(detail->message, substring) == NULL) {
		print_error("detail message \"%s\" lacks \"%s\"\n", detail->message, substring);
	}
	assert_non_null(strstr(detail->message, substring));
}

static size_t warning_count;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)message;
	(void)arg;
	if (level == RATLS_LOG_WARNING)
		warning_count++;
}

void simtest_log_capture(void)
{
	ratls_set_log_callback(count_warnings, NULL);
}

size_t simtest_warning_count(void)
{
	return warning_count;
}

void simtest_flip_byte(uint8_t *data, size_t size, size_t offset)
{
	assert_true(offset < size);
	data[offset] ^= 0x01;
}

char *simtest_crl_pem(const uint8_t *der, size_t der_size, size_t *pem_len)
{
	struct ratls_detail detail = {0};
	char *pem = NULL;
	int rc;

	rc = ratls_sim_pem_encode("X509 CRL", der, der_size, &pem, pem_len, &detail);
	simtest_assert_ok(rc, &detail, "ratls_sim_pem_encode");
	assert_non_null(pem);
	return pem;
}

char *simtest_hex(const uint8_t *der, size_t der_size, size_t *hex_len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex;
	size_t i;

	assert_true(der_size <= (SIZE_MAX - 1) / 2);
	hex = malloc(2 * der_size + 1);
	assert_non_null(hex);
	for (i = 0; i < der_size; i++) {
		hex[2 * i] = digits[der[i] >> 4];
		hex[2 * i + 1] = digits[der[i] & 0x0f];
	}
	hex[2 * der_size] = '\0';
	*hex_len = 2 * der_size;
	return hex;
}

void simtest_fixture_init(struct simtest_fixture *fixture, enum ratls_sim_quote_format format,
			  const char *seed, const struct ratls_sim_platform_params *params)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->format = format;
	fixture->platform = simtest_platform_new(seed, params);
	fixture->root_der = simtest_root_der(fixture->platform, &fixture->root_der_size);
	fixture->collateral = simtest_collateral_new(fixture->platform, simtest_format_tee(format),
						     SIMTEST_NOW);
	fixture->quote = simtest_quote_new(fixture->platform, format, &fixture->quote_size);
}

int simtest_fixture_verify(const struct simtest_fixture *fixture, int64_t now,
			   struct ratls_verified_report *report, struct ratls_detail *detail)
{
	return simtest_verify(fixture->quote, fixture->quote_size, fixture->collateral, now,
			      fixture->root_der, fixture->root_der_size, report, detail);
}

void simtest_fixture_free(struct simtest_fixture *fixture)
{
	ratls_sim_free(fixture->quote);
	ratls_collateral_free(fixture->collateral);
	ratls_sim_free(fixture->root_der);
	ratls_sim_platform_free(fixture->platform);
	memset(fixture, 0, sizeof(*fixture));
}
