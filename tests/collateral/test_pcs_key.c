/*
 * Tests of the parts of the PCS provider that need no server: reading the
 * collateral key from a quote's PCK certificate, parsing a key from text,
 * and checking the provider's options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ratls/pcs.h"
#include "ratls/sim.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define SEED "ratls pcs key test seed"

static const uint8_t sim_fmspc[6] = {0x53, 0x49, 0x4d, 0x00, 0x00, 0x00};

static struct ratls_sim_platform *new_platform(enum ratls_sim_cert_kind pck_issuer)
{
	struct ratls_sim_platform_params params;
	struct ratls_sim_platform *platform = NULL;
	struct ratls_detail detail = {0};

	ratls_sim_platform_defaults(&params, NOW);
	params.pck_issuer = pck_issuer;
	if (ratls_sim_platform_new_with((const uint8_t *)SEED, strlen(SEED), &params, &platform,
					&detail) != RATLS_OK)
		fail_msg("ratls_sim_platform_new_with: %s", detail.message);
	return platform;
}

static void issue_quote(const struct ratls_sim_platform *platform,
			enum ratls_sim_quote_format format, const uint8_t *cert_data,
			size_t cert_data_size, uint8_t **quote, size_t *quote_size)
{
	struct ratls_sim_quote_params params;
	struct ratls_detail detail = {0};

	ratls_sim_platform_quote_defaults(platform, format, &params);
	params.cert_data = cert_data;
	params.cert_data_size = cert_data_size;
	if (ratls_sim_platform_quote(platform, &params, quote, quote_size, &detail) != RATLS_OK)
		fail_msg("ratls_sim_platform_quote: %s", detail.message);
}

/* ---- keys from quotes ---- */

static void key_from_tdx_quote(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;
	uint8_t *quote = NULL;
	size_t quote_size = 0;

	(void)state;
	issue_quote(platform, RATLS_SIM_QUOTE_TDX_V4, NULL, 0, &quote, &quote_size);
	assert_int_equal(ratls_pcs_key_from_quote(quote, quote_size, &key, &detail), RATLS_OK);
	assert_memory_equal(key.fmspc, sim_fmspc, 6);
	assert_int_equal(key.ca, RATLS_PCS_CA_PLATFORM);
	assert_int_equal(key.tee, RATLS_PCS_TEE_TDX);
	ratls_sim_free(quote);

	issue_quote(platform, RATLS_SIM_QUOTE_TDX_V5_TD15, NULL, 0, &quote, &quote_size);
	assert_int_equal(ratls_pcs_key_from_quote(quote, quote_size, &key, &detail), RATLS_OK);
	assert_int_equal(key.tee, RATLS_PCS_TEE_TDX);
	ratls_sim_free(quote);
	ratls_sim_platform_free(platform);
}

static void key_from_sgx_processor_quote(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PROCESSOR_CA);
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;
	uint8_t *quote = NULL;
	size_t quote_size = 0;

	(void)state;
	issue_quote(platform, RATLS_SIM_QUOTE_SGX_V3, NULL, 0, &quote, &quote_size);
	assert_int_equal(ratls_pcs_key_from_quote(quote, quote_size, &key, &detail), RATLS_OK);
	assert_memory_equal(key.fmspc, sim_fmspc, 6);
	assert_int_equal(key.ca, RATLS_PCS_CA_PROCESSOR);
	assert_int_equal(key.tee, RATLS_PCS_TEE_SGX);
	ratls_sim_free(quote);
	ratls_sim_platform_free(platform);
}

static void key_from_truncated_quote(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	struct ratls_pcs_key key;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	const size_t cuts[] = {0, 1, 47, 48, 631, 632, 700, 1100};

	(void)state;
	issue_quote(platform, RATLS_SIM_QUOTE_TDX_V4, NULL, 0, &quote, &quote_size);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct ratls_detail detail = {0};

		assert_int_not_equal(ratls_pcs_key_from_quote(quote, cuts[i], &key, &detail),
				     RATLS_OK);
		assert_true(detail.message[0] != '\0');
	}
	assert_int_equal(ratls_pcs_key_from_quote(NULL, quote_size, &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_sim_free(quote);
	ratls_sim_platform_free(platform);
}

/* A quote whose certification data is the given PEM text (type 5). */
static int key_from_chain_text(const struct ratls_sim_platform *platform, const char *pem,
			       struct ratls_detail *detail)
{
	struct ratls_pcs_key key;
	uint8_t *quote = NULL;
	size_t quote_size = 0;
	int rc;

	issue_quote(platform, RATLS_SIM_QUOTE_TDX_V4, (const uint8_t *)pem, strlen(pem) + 1, &quote,
		    &quote_size);
	rc = ratls_pcs_key_from_quote(quote, quote_size, &key, detail);
	ratls_sim_free(quote);
	return rc;
}

static void key_rejects_bad_pck_certificate(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	const struct ratls_sim_cert *root =
		ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_ROOT_CA);
	struct ratls_detail detail = {0};
	char *pem = NULL;
	size_t pem_len = 0;

	(void)state;
	assert_int_equal(key_from_chain_text(platform, "no PEM block here", &detail),
			 RATLS_ERR_PCK_CERT_INVALID);
	assert_non_null(strstr(detail.message, "PEM"));

	ratls_detail_clear(&detail);
	assert_int_equal(key_from_chain_text(platform,
					     "-----BEGIN CERTIFICATE-----\n!!!!\n"
					     "-----END CERTIFICATE-----\n",
					     &detail),
			 RATLS_ERR_PCK_CERT_INVALID);
	assert_non_null(strstr(detail.message, "base64"));

	/* The root CA certificate first: no PCK CA issuer and no SGX extension. */
	assert_int_equal(ratls_sim_chain_pem(&root, 1, &pem, &pem_len, NULL), RATLS_OK);
	ratls_detail_clear(&detail);
	assert_int_equal(key_from_chain_text(platform, pem, &detail), RATLS_ERR_PCK_CERT_INVALID);
	assert_non_null(strstr(detail.message, "Simulated SGX Root CA"));
	ratls_sim_free(pem);
	ratls_sim_platform_free(platform);
}

static void key_rejects_certificate_without_extension(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	const struct ratls_sim_cert *ca =
		ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PLATFORM_CA);
	struct ratls_sim_cert_params params;
	struct ratls_sim_cert *leaf = NULL;
	struct ratls_detail detail = {0};
	char *pem = NULL;
	size_t pem_len = 0;

	(void)state;
	ratls_sim_cert_defaults(&params, RATLS_SIM_CERT_PCK, NOW);
	params.sgx_extension = false;
	assert_int_equal(ratls_sim_cert_issue(&params, ratls_sim_cert_key(ca), ca, &leaf, NULL),
			 RATLS_OK);
	assert_int_equal(ratls_sim_chain_pem((const struct ratls_sim_cert *const *)&leaf, 1, &pem,
					     &pem_len, NULL),
			 RATLS_OK);
	assert_int_equal(key_from_chain_text(platform, pem, &detail), RATLS_ERR_PCK_CERT_INVALID);
	assert_non_null(strstr(detail.message, "1.2.840.113741.1.13.1"));
	ratls_sim_free(pem);
	ratls_sim_cert_free(leaf);
	ratls_sim_platform_free(platform);
}

/* Every proper prefix of the PCK certificate's DER is rejected, never read past. */
static void key_rejects_truncated_certificate(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	const struct ratls_sim_cert *pck = ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PCK);
	struct ratls_detail detail = {0};
	uint8_t *der = NULL;
	size_t der_size = 0;

	(void)state;
	assert_int_equal(ratls_sim_cert_der(pck, &der, &der_size, NULL), RATLS_OK);
	for (size_t cut = 1; cut < der_size; cut += (cut < 64 ? 1 : 7)) {
		char *pem = NULL;
		size_t pem_len = 0;

		assert_int_equal(ratls_sim_pem_encode("CERTIFICATE", der, cut, &pem, &pem_len, NULL),
				 RATLS_OK);
		ratls_detail_clear(&detail);
		assert_int_not_equal(key_from_chain_text(platform, pem, &detail), RATLS_OK);
		ratls_sim_free(pem);
	}
	ratls_sim_free(der);
	ratls_sim_platform_free(platform);
}

/* Each byte of the PCK certificate inverted in turn: the reader returns a key or a clean error. */
static void key_survives_flipped_bytes(void **state)
{
	struct ratls_sim_platform *platform = new_platform(RATLS_SIM_CERT_PLATFORM_CA);
	const struct ratls_sim_cert *pck = ratls_sim_platform_get_cert(platform, RATLS_SIM_CERT_PCK);
	uint8_t *der = NULL;
	size_t der_size = 0;
	size_t accepted = 0;

	(void)state;
	assert_int_equal(ratls_sim_cert_der(pck, &der, &der_size, NULL), RATLS_OK);
	for (size_t i = 0; i < der_size; i += 3) {
		struct ratls_detail detail = {0};
		char *pem = NULL;
		size_t pem_len = 0;
		int rc;

		der[i] ^= 0xff;
		assert_int_equal(ratls_sim_pem_encode("CERTIFICATE", der, der_size, &pem, &pem_len,
						      NULL),
				 RATLS_OK);
		rc = key_from_chain_text(platform, pem, &detail);
		if (rc == RATLS_OK)
			accepted++;
		else if (rc != RATLS_ERR_PCK_CERT_INVALID && rc != RATLS_ERR_MALFORMED &&
			 rc != RATLS_ERR_TRAILING_DATA)
			fail_msg("byte %zu inverted: unexpected %s (%s)", i, ratls_error_name(rc),
				 detail.message);
		der[i] ^= 0xff;
		ratls_sim_free(pem);
	}
	/* Changes inside the signature, the key or the validity do not concern the reader. */
	assert_true(accepted > 0);
	assert_true(accepted < der_size / 3);
	ratls_sim_free(der);
	ratls_sim_platform_free(platform);
}

/* ---- keys from text ---- */

static void key_parse_accepts_and_rejects(void **state)
{
	struct ratls_detail detail = {0};
	struct ratls_pcs_key key;

	(void)state;
	assert_int_equal(ratls_pcs_key_parse("53494D000000", "processor", "sgx", &key, &detail),
			 RATLS_OK);
	assert_memory_equal(key.fmspc, sim_fmspc, 6);
	assert_int_equal(key.ca, RATLS_PCS_CA_PROCESSOR);
	assert_int_equal(key.tee, RATLS_PCS_TEE_SGX);
	assert_int_equal(ratls_pcs_key_parse("53494d000000", "platform", "tdx", &key, &detail),
			 RATLS_OK);
	assert_int_equal(key.ca, RATLS_PCS_CA_PLATFORM);
	assert_int_equal(key.tee, RATLS_PCS_TEE_TDX);

	assert_int_equal(ratls_pcs_key_parse("53494d0000", "platform", "tdx", &key, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_pcs_key_parse("53494d00000g", "platform", "tdx", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_pcs_key_parse("53494d000000", "Platform", "tdx", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_pcs_key_parse("53494d000000", "platform", "sev", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ratls_pcs_key_parse(NULL, "platform", "tdx", &key, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_string_equal(ratls_pcs_ca_name(RATLS_PCS_CA_PLATFORM), "platform");
	assert_string_equal(ratls_pcs_tee_name(RATLS_PCS_TEE_SGX), "sgx");
	assert_string_equal(ratls_pcs_ca_name((enum ratls_pcs_ca)9), "unknown");
}

/* ---- options ---- */

static int new_provider_with_base(const char *base, enum ratls_pcs_service service,
				  const char *root_crl_url, struct ratls_detail *detail)
{
	struct ratls_pcs_options options;
	struct ratls_pcs_provider *provider = NULL;
	int rc;

	ratls_pcs_options_init(&options);
	options.base_url = base;
	options.service = service;
	options.root_crl_url = root_crl_url;
	rc = ratls_pcs_provider_new(&options, &provider, detail);
	ratls_pcs_provider_free(provider);
	return rc;
}

static void options_accept_https_and_loopback_http(void **state)
{
	const char *good[] = {
		NULL, /* Intel's PCS */
		"https://pccs.example.com:8081",
		"https://pccs.example.com:8081/sgx/certification/v4/",
		"http://127.0.0.1:8081",
		"http://127.8.9.10",
		"http://localhost:8081/",
		"http://[::1]:8081",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ratls_detail detail = {0};
		int rc = new_provider_with_base(good[i], RATLS_PCS_SERVICE_PCCS, NULL, &detail);

		if (rc != RATLS_OK)
			fail_msg("base URL %s: %s: %s", good[i] != NULL ? good[i] : "(default)",
				 ratls_error_name(rc), detail.message);
	}
}

static void options_reject_bad_urls(void **state)
{
	const char *bad[] = {
		"http://pccs.example.com:8081",
		"http://10.0.0.1",
		"http://[::2]",
		"ftp://127.0.0.1",
		"pccs.example.com",
		"https://pccs.example.com/?x=1",
		"https://pccs.example.com/#top",
		"",
		"https:///sgx/certification/v4",
	};
	char long_url[RATLS_PCS_URL_MAX_LEN + 32];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ratls_detail detail = {0};
		int rc = new_provider_with_base(bad[i], RATLS_PCS_SERVICE_PCCS, NULL, &detail);

		if (rc != RATLS_ERR_INVALID_ARGUMENT)
			fail_msg("base URL \"%s\" gave %s, expected RATLS_ERR_INVALID_ARGUMENT",
				 bad[i], ratls_error_name(rc));
		assert_true(detail.message[0] != '\0');
	}

	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "https://", 8);
	long_url[sizeof(long_url) - 1] = '\0';
	assert_int_equal(new_provider_with_base(long_url, RATLS_PCS_SERVICE_PCCS, NULL, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	/* The root CA CRL URL is checked in the Intel mode only, where it is used. */
	assert_int_equal(new_provider_with_base(NULL, RATLS_PCS_SERVICE_INTEL,
						"http://crl.example.com/root.der", NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_int_equal(new_provider_with_base(NULL, RATLS_PCS_SERVICE_PCCS,
						"http://crl.example.com/root.der", NULL),
			 RATLS_OK);
}

static void options_reject_bad_numbers(void **state)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_pcs_options options;
	static const uint8_t root[4] = {1, 2, 3, 4};

	(void)state;
	ratls_pcs_options_init(&options);
	options.timeout_ms = -1;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(provider);

	ratls_pcs_options_init(&options);
	options.grace_period = -5;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	ratls_pcs_options_init(&options);
	options.service = (enum ratls_pcs_service)7;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	ratls_pcs_options_init(&options);
	options.update = (enum ratls_pcs_update)7;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	ratls_pcs_options_init(&options);
	options.trust_root_der = root;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL),
			 RATLS_ERR_INVALID_ARGUMENT);

	assert_int_equal(ratls_pcs_provider_new(NULL, &provider, NULL), RATLS_ERR_INVALID_ARGUMENT);
	ratls_pcs_provider_free(NULL);
}

static void options_cache_dir_must_be_a_directory(void **state)
{
	struct ratls_pcs_provider *provider = NULL;
	struct ratls_pcs_options options;
	struct ratls_detail detail = {0};
	char dir[] = "/tmp/ratls-pcs-key-XXXXXX";
	char file[64];
	char created[80];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/plain-file", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);

	ratls_pcs_options_init(&options);
	options.cache_dir = file;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, &detail), RATLS_ERR_IO);
	assert_non_null(strstr(detail.message, "not a directory"));

	/* A missing directory is created. */
	snprintf(created, sizeof(created), "%s/new", dir);
	options.cache_dir = created;
	assert_int_equal(ratls_pcs_provider_new(&options, &provider, NULL), RATLS_OK);
	assert_int_equal(access(created, W_OK), 0);
	ratls_pcs_provider_free(provider);

	assert_int_equal(rmdir(created), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_from_tdx_quote),
		cmocka_unit_test(key_from_sgx_processor_quote),
		cmocka_unit_test(key_from_truncated_quote),
		cmocka_unit_test(key_rejects_bad_pck_certificate),
		cmocka_unit_test(key_rejects_certificate_without_extension),
		cmocka_unit_test(key_rejects_truncated_certificate),
		cmocka_unit_test(key_survives_flipped_bytes),
		cmocka_unit_test(key_parse_accepts_and_rejects),
		cmocka_unit_test(options_accept_https_and_loopback_http),
		cmocka_unit_test(options_reject_bad_urls),
		cmocka_unit_test(options_reject_bad_numbers),
		cmocka_unit_test(options_cache_dir_must_be_a_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
