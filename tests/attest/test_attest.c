/*
 * End-to-end tests of RA-TLS certificate issuing and the full client check
 * (ratls/attest.h) on the simulated platform: certificates issued with a
 * simulated quote, verified through the local DCAP backend under the test
 * root, then broken one step at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ratls/attest.h"
#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/evidence.h"
#include "ratls/log.h"
#include "ratls/policy.h"
#include "ratls/sim.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define SEED "ratls attest test seed"

/* ---- the simulated server ---- */

static const uint8_t app_id[20] = {0x5b, 0xb4, 0xff, 0x9a, 0x38, 0x37, 0x35, 0x7f, 0x19, 0xdc,
				   0x17, 0x64, 0x07, 0xa5, 0x70, 0x9c, 0x62, 0xeb, 0x6c, 0x56};
static uint8_t compose_hash[32];
static uint8_t instance_id[20];
static uint8_t spoofed_hash[32];
static const char key_provider[] = "{\"name\":\"kms\",\"id\":\"3059\"}";

#define RUNTIME_EVENT_COUNT 8

static struct ratls_runtime_event runtime_events[RUNTIME_EVENT_COUNT];

static void set_event(size_t i, const char *name, const void *payload, size_t size)
{
	runtime_events[i].name = (char *)(uintptr_t)name;
	runtime_events[i].name_size = strlen(name);
	runtime_events[i].payload = (uint8_t *)(uintptr_t)payload;
	runtime_events[i].payload_size = size;
	runtime_events[i].version = 1;
}

/* dstack's boot sequence, plus an application event after system-ready that must not count. */
static void init_runtime_events(void)
{
	memset(compose_hash, 0xc1, sizeof(compose_hash));
	memset(instance_id, 0x16, sizeof(instance_id));
	memset(spoofed_hash, 0xee, sizeof(spoofed_hash));
	set_event(0, "system-preparing", NULL, 0);
	set_event(1, "app-id", app_id, sizeof(app_id));
	set_event(2, "compose-hash", compose_hash, sizeof(compose_hash));
	set_event(3, "instance-id", instance_id, sizeof(instance_id));
	set_event(4, "boot-mr-done", NULL, 0);
	set_event(5, "key-provider", key_provider, strlen(key_provider));
	set_event(6, "system-ready", NULL, 0);
	set_event(7, "compose-hash", spoofed_hash, sizeof(spoofed_hash));
}

/* RTMR3 after the runtime events, computed with the library's digest rule. */
static void replay_rtmr3(uint8_t rtmr3[48])
{
	memset(rtmr3, 0, 48);
	for (size_t i = 0; i < RUNTIME_EVENT_COUNT; i++) {
		uint8_t digest[48];

		assert_int_equal(ratls_evidence_digest_runtime_event(
					 runtime_events[i].name, runtime_events[i].name_size,
					 runtime_events[i].payload, runtime_events[i].payload_size,
					 1, digest, NULL),
				 RATLS_OK);
		assert_int_equal(ratls_evidence_extend_rtmr(rtmr3, digest, NULL), RATLS_OK);
	}
}

struct quote_source {
	const struct ratls_sim_platform *platform;
	uint8_t mr_td[48];
	uint8_t rtmr[4][48];
	bool debug;
	bool flip_report_data; /* returns a quote for other report_data */
};

static int sim_quote_source(void *arg, const uint8_t report_data[64], uint8_t **quote,
			    size_t *quote_size, struct ratls_detail *detail)
{
	struct quote_source *source = arg;
	struct ratls_sim_quote_params params;
	uint8_t data[64];

	memcpy(data, report_data, 64);
	if (source->flip_report_data)
		data[0] ^= 0x01;
	ratls_sim_platform_quote_defaults(source->platform, RATLS_SIM_QUOTE_TDX_V4, &params);
	memcpy(params.td.mr_td, source->mr_td, 48);
	memcpy(params.td.rtmr, source->rtmr, sizeof(params.td.rtmr));
	memcpy(params.td.report_data, data, 64);
	if (source->debug)
		params.td.td_attributes[0] |= 0x01;
	return ratls_sim_platform_quote(source->platform, &params, quote, quote_size, detail);
}

struct fixture {
	struct ratls_sim_platform *platform;
	struct ratls_dcap_context *context;
	struct ratls_verifier verifier;
	struct quote_source source;
	struct ratls_issue_params issue;
};

static struct fixture fx;
static int warnings;

static void count_warnings(enum ratls_log_level level, const char *message, void *arg)
{
	(void)message;
	(void)arg;
	if (level == RATLS_LOG_WARNING)
		warnings++;
}

static int setup(void **state)
{
	struct ratls_collateral *collateral = NULL;
	struct ratls_dcap_options options = {0};
	uint8_t *root = NULL;
	size_t root_size = 0;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	ratls_set_log_callback(count_warnings, NULL);
	init_runtime_events();
	if (ratls_sim_platform_new((const uint8_t *)SEED, strlen(SEED), NOW, &fx.platform, NULL) !=
	    RATLS_OK)
		return -1;
	if (ratls_sim_platform_root_der(fx.platform, &root, &root_size, NULL) != RATLS_OK)
		return -1;
	collateral = ratls_collateral_new();
	if (collateral == NULL ||
	    ratls_sim_platform_collateral(fx.platform, RATLS_SIM_TEE_TDX, NOW, collateral, NULL) !=
		    RATLS_OK)
		return -1;
	options.trust_root_der = root;
	options.trust_root_der_size = root_size;
	if (ratls_dcap_context_new(collateral, &options, &fx.context, NULL) != RATLS_OK)
		return -1;
	ratls_collateral_free(collateral);
	ratls_sim_free(root);
	ratls_verifier_init_dcap(&fx.verifier, fx.context);

	fx.source.platform = fx.platform;
	memset(fx.source.mr_td, 0x91, 48);
	memset(fx.source.rtmr[0], 0x10, 48);
	memset(fx.source.rtmr[1], 0x11, 48);
	memset(fx.source.rtmr[2], 0x12, 48);
	replay_rtmr3(fx.source.rtmr[3]);

	fx.issue.common_name = "db.example.com";
	fx.issue.not_before = NOW - 3600;
	fx.issue.not_after = NOW + 86400;
	fx.issue.quote_source = sim_quote_source;
	fx.issue.quote_source_arg = &fx.source;
	fx.issue.runtime_events = runtime_events;
	fx.issue.runtime_event_count = RUNTIME_EVENT_COUNT;
	fx.issue.config = "{\"os_image_hash\":\"\"}";
	fx.issue.config_size = strlen(fx.issue.config);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ratls_dcap_context_free(fx.context);
	ratls_sim_platform_free(fx.platform);
	ratls_set_log_callback(NULL, NULL);
	return 0;
}

/* Restores the per-test parts of the fixture. */
static int reset(void **state)
{
	(void)state;
	fx.source.debug = false;
	fx.source.flip_report_data = false;
	replay_rtmr3(fx.source.rtmr[3]);
	fx.issue.legacy_extensions = false;
	fx.issue.dns_names = NULL;
	fx.issue.dns_name_count = 0;
	warnings = 0;
	return 0;
}

struct issued {
	uint8_t *cert;
	size_t cert_size;
	char *key;
	size_t key_size;
};

static void issue(struct issued *out)
{
	struct ratls_detail detail = {0};
	int rc = ratls_issue_cert(&fx.issue, &out->cert, &out->cert_size, &out->key,
				  &out->key_size, &detail);

	if (rc != RATLS_OK)
		fail_msg("ratls_issue_cert: %s: %s", ratls_error_name(rc), detail.message);
}

static void issued_free(struct issued *issued)
{
	free(issued->cert);
	ratls_issue_free_key(issued->key, issued->key_size);
}

static int verify(const uint8_t *cert, size_t size, const struct ratls_policy *policy,
		  bool allow_simulator, struct ratls_verify_cert_result *result,
		  struct ratls_detail *detail)
{
	struct ratls_verify_cert_options options = {
		.now = NOW,
		.verifier = &fx.verifier,
		.policy = policy,
		.allow_simulator = allow_simulator,
	};

	return ratls_verify_cert(cert, size, &options, result, detail);
}

static struct ratls_policy *policy_with_mrtd(void)
{
	struct ratls_policy *policy = ratls_policy_new();
	char hex[97];

	assert_non_null(policy);
	for (int i = 0; i < 48; i++)
		snprintf(hex + 2 * i, 3, "%02x", fx.source.mr_td[i]);
	assert_int_equal(ratls_policy_add_mrtd(policy, hex, NULL), RATLS_OK);
	return policy;
}

static void hex_of(const uint8_t *bytes, size_t size, char *out)
{
	for (size_t i = 0; i < size; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* ---- issuing and the full check ---- */

static void issued_cert_verifies(void **state)
{
	struct ratls_policy *policy = policy_with_mrtd();
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	int rc;

	(void)state;
	issue(&issued);
	rc = verify(issued.cert, issued.cert_size, policy, false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s at %s: %s", ratls_error_name(rc), result.failed_step, detail.message);

	assert_true(result.attested);
	assert_null(result.failed_step);
	assert_non_null(result.evidence);
	assert_int_equal(result.evidence->format, RATLS_EVIDENCE_V0_SCALE);
	assert_int_equal(result.report.status, RATLS_TCB_UP_TO_DATE);
	assert_true(result.report.custom_root);
	assert_memory_equal(result.report.td.mr_td, fx.source.mr_td, 48);
	assert_int_equal(result.replay.status[3], RATLS_RTMR_MATCH);
	assert_true(result.replay.identity_valid);
	assert_int_equal(result.replay.identity.app_id_size, 20);
	assert_memory_equal(result.replay.identity.app_id, app_id, 20);
	/* The compose-hash event after system-ready does not override the first. */
	assert_int_equal(result.replay.identity.compose_hash_size, 32);
	assert_memory_equal(result.replay.identity.compose_hash, compose_hash, 32);
	assert_memory_equal(result.replay.identity.instance_id, instance_id, 20);
	assert_string_equal(result.replay.identity.key_provider_name, "kms");

	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);
	issued_free(&issued);
}

static void issued_cert_key_matches(void **state)
{
	struct issued issued = {0};
	const unsigned char *p;
	EVP_PKEY *key;
	X509 *x509;
	BIO *bio;

	(void)state;
	issue(&issued);
	p = issued.cert;
	x509 = d2i_X509(NULL, &p, (long)issued.cert_size);
	assert_non_null(x509);
	bio = BIO_new_mem_buf(issued.key, (int)issued.key_size);
	assert_non_null(bio);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(key);
	assert_int_equal(X509_check_private_key(x509, key), 1);
	assert_int_equal(X509_verify(x509, key), 1);
	assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
	/* KeyUsage is critical, as in dstack's certificates. */
	assert_int_equal(X509_EXTENSION_get_critical(
				 X509_get_ext(x509, X509_get_ext_by_NID(x509, NID_key_usage, -1))),
			 1);

	EVP_PKEY_free(key);
	BIO_free(bio);
	X509_free(x509);
	issued_free(&issued);
}

static void issued_cert_dns_names(void **state)
{
	const char *names[] = {"db.example.com", "*.db.example.com"};
	struct issued issued = {0};
	const unsigned char *p;
	GENERAL_NAMES *san;
	X509 *x509;

	(void)state;
	fx.issue.dns_names = names;
	fx.issue.dns_name_count = 2;
	issue(&issued);
	p = issued.cert;
	x509 = d2i_X509(NULL, &p, (long)issued.cert_size);
	assert_non_null(x509);
	san = X509_get_ext_d2i(x509, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 2);
	assert_int_equal(X509_check_host(x509, "db.example.com", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x509, "replica.db.example.com", 0, 0, NULL), 1);

	GENERAL_NAMES_free(san);
	X509_free(x509);
	issued_free(&issued);
}

static void legacy_extensions_cross_checked(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	int rc;

	(void)state;
	fx.issue.legacy_extensions = true;
	issue(&issued);
	assert_non_null(issued.cert);
	rc = verify(issued.cert, issued.cert_size, NULL, false, &result, &detail);
	if (rc != RATLS_OK)
		fail_msg("%s at %s: %s", ratls_error_name(rc), result.failed_step, detail.message);
	assert_true(result.evidence->legacy_cross_checked);
	assert_non_null(result.evidence->cert.quote);
	assert_non_null(result.evidence->cert.event_log);
	assert_int_equal(result.evidence->format, RATLS_EVIDENCE_V0_SCALE);

	ratls_verify_cert_result_clear(&result);
	issued_free(&issued);
}

static void issue_rejects_bad_params(void **state)
{
	struct ratls_issue_params params = fx.issue;
	struct ratls_detail detail = {0};
	const char *bad_name[] = {"db.example.com,DNS:evil.example"};
	uint8_t *cert = NULL;
	char *key = NULL;
	size_t cert_size, key_size;

	(void)state;
	params.quote_source = NULL;
	assert_int_equal(ratls_issue_cert(&params, &cert, &cert_size, &key, &key_size, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(detail.message, "quote source"));

	params = fx.issue;
	params.dns_names = bad_name;
	params.dns_name_count = 1;
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_issue_cert(&params, &cert, &cert_size, &key, &key_size, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);

	params = fx.issue;
	params.not_after = params.not_before;
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_issue_cert(&params, &cert, &cert_size, &key, &key_size, &detail),
			 RATLS_ERR_INVALID_ARGUMENT);
	assert_null(cert);
	assert_null(key);
}

/* ---- each step failing ---- */

static void untrusted_root_fails_quote_step(void **state)
{
	struct ratls_sim_platform *other = NULL;
	struct quote_source source = fx.source;
	struct ratls_issue_params params = fx.issue;
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};

	(void)state;
	/* A platform of another seed: its quotes chain to a root the verifier does not trust. */
	assert_int_equal(ratls_sim_platform_new((const uint8_t *)"other", 5, NOW, &other, NULL),
			 RATLS_OK);
	source.platform = other;
	params.quote_source_arg = &source;
	assert_int_equal(ratls_issue_cert(&params, &issued.cert, &issued.cert_size, &issued.key,
					  &issued.key_size, NULL),
			 RATLS_OK);
	assert_int_equal(verify(issued.cert, issued.cert_size, NULL, false, &result, &detail),
			 RATLS_ERR_UNTRUSTED_ROOT);
	assert_string_equal(result.failed_step, "quote");
	assert_false(result.attested);

	ratls_verify_cert_result_clear(&result);
	issued_free(&issued);
	ratls_sim_platform_free(other);
}

/* Builds a certificate for a new key that carries the evidence extensions of cert. */
static void transplant_evidence(const struct issued *from, uint8_t **out, size_t *out_size)
{
	const unsigned char *p = from->cert;
	X509 *source = d2i_X509(NULL, &p, (long)from->cert_size);
	X509 *target = X509_new();
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	int size;

	assert_non_null(source);
	assert_non_null(target);
	assert_non_null(key);
	assert_int_equal(X509_set_version(target, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(target), 7), 1);
	assert_int_equal(X509_set_subject_name(target, X509_get_subject_name(source)), 1);
	assert_int_equal(X509_set_issuer_name(target, X509_get_subject_name(source)), 1);
	assert_int_equal(X509_set1_notBefore(target, X509_get0_notBefore(source)), 1);
	assert_int_equal(X509_set1_notAfter(target, X509_get0_notAfter(source)), 1);
	assert_int_equal(X509_set_pubkey(target, key), 1);
	for (int i = 0; i < X509_get_ext_count(source); i++)
		assert_int_equal(X509_add_ext(target, X509_get_ext(source, i), -1), 1);
	assert_true(X509_sign(target, key, EVP_sha256()) > 0);
	size = i2d_X509(target, &der);
	assert_true(size > 0);
	*out = malloc((size_t)size);
	assert_non_null(*out);
	memcpy(*out, der, (size_t)size);
	*out_size = (size_t)size;

	OPENSSL_free(der);
	EVP_PKEY_free(key);
	X509_free(target);
	X509_free(source);
}

static void other_key_fails_binding(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	uint8_t *cert;
	size_t cert_size;

	(void)state;
	issue(&issued);
	transplant_evidence(&issued, &cert, &cert_size);
	assert_int_equal(verify(cert, cert_size, NULL, false, &result, &detail),
			 RATLS_ERR_KEY_BINDING);
	assert_string_equal(result.failed_step, "binding");
	assert_false(result.attested);

	ratls_verify_cert_result_clear(&result);
	free(cert);
	issued_free(&issued);
}

static void issue_rejects_unbound_quote(void **state)
{
	struct ratls_detail detail = {0};
	uint8_t *cert = NULL;
	char *key = NULL;
	size_t cert_size = 0, key_size = 0;

	(void)state;
	fx.source.flip_report_data = true;
	assert_int_equal(ratls_issue_cert(&fx.issue, &cert, &cert_size, &key, &key_size, &detail),
			 RATLS_ERR_KEY_BINDING);
	assert_non_null(strstr(detail.message, "report_data"));
	assert_null(cert);
	assert_null(key);

	/* RTMR3 that the runtime events do not reproduce. */
	fx.source.flip_report_data = false;
	fx.source.rtmr[3][47] ^= 0x01;
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_issue_cert(&fx.issue, &cert, &cert_size, &key, &key_size, &detail),
			 RATLS_ERR_EVENT_LOG);
	assert_null(cert);
}

/*
 * Re-creates an issued certificate with the same key, but with an envelope
 * whose runtime events lack the last one, so that the quote no longer
 * matches the replay while the key binding still holds.
 */
static void reissue_without_last_event(const struct issued *from, uint8_t **out,
				       size_t *out_size)
{
	struct ratls_evidence *ev = NULL;
	uint8_t *envelope = NULL;
	size_t envelope_size = 0;
	const unsigned char *p = from->cert;
	X509 *source = d2i_X509(NULL, &p, (long)from->cert_size);
	X509 *target = X509_new();
	BIO *bio = BIO_new_mem_buf(from->key, (int)from->key_size);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.62397.1.8", 1);
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING *outer = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	int size;

	assert_non_null(source);
	assert_non_null(target);
	assert_non_null(key);
	assert_int_equal(ratls_evidence_from_cert(from->cert, from->cert_size, &ev, NULL), RATLS_OK);
	assert_int_equal(ratls_evidence_encode_v0(ev->quote, ev->quote_size, ev->events,
						  ev->event_count, ev->runtime_events,
						  ev->runtime_event_count - 1, ev->report_data,
						  ev->config, ev->config_size, &envelope,
						  &envelope_size, NULL),
			 RATLS_OK);

	assert_int_equal(ASN1_OCTET_STRING_set(inner, envelope, (int)envelope_size), 1);
	size = i2d_ASN1_OCTET_STRING(inner, &der);
	assert_true(size > 0);
	assert_int_equal(ASN1_OCTET_STRING_set(outer, der, size), 1);
	OPENSSL_free(der);
	der = NULL;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, outer);
	assert_non_null(ext);

	assert_int_equal(X509_set_version(target, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(target), 9), 1);
	assert_int_equal(X509_set_subject_name(target, X509_get_subject_name(source)), 1);
	assert_int_equal(X509_set_issuer_name(target, X509_get_subject_name(source)), 1);
	assert_int_equal(X509_set1_notBefore(target, X509_get0_notBefore(source)), 1);
	assert_int_equal(X509_set1_notAfter(target, X509_get0_notAfter(source)), 1);
	assert_int_equal(X509_set_pubkey(target, key), 1);
	assert_int_equal(X509_add_ext(target, ext, -1), 1);
	assert_true(X509_sign(target, key, EVP_sha256()) > 0);
	size = i2d_X509(target, &der);
	assert_true(size > 0);
	*out = malloc((size_t)size);
	assert_non_null(*out);
	memcpy(*out, der, (size_t)size);
	*out_size = (size_t)size;

	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(outer);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	EVP_PKEY_free(key);
	BIO_free(bio);
	X509_free(target);
	X509_free(source);
	free(envelope);
	ratls_evidence_free(ev);
}

static void rtmr3_mismatch_fails_replay(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	uint8_t *cert;
	size_t cert_size;

	(void)state;
	issue(&issued);
	reissue_without_last_event(&issued, &cert, &cert_size);
	assert_int_equal(verify(cert, cert_size, NULL, false, &result, &detail),
			 RATLS_ERR_EVENT_LOG);
	assert_string_equal(result.failed_step, "replay");
	assert_int_equal(result.replay.status[3], RATLS_RTMR_MISMATCH);
	assert_false(result.replay.identity_valid);
	ratls_verify_cert_result_clear(&result);

	/* Evidence that is present but fails is never excused by allow_simulator. */
	ratls_detail_clear(&detail);
	assert_int_equal(verify(cert, cert_size, NULL, true, &result, &detail),
			 RATLS_ERR_EVENT_LOG);
	ratls_verify_cert_result_clear(&result);

	free(cert);
	issued_free(&issued);
}

static void debug_td_fails_policy(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};

	(void)state;
	fx.source.debug = true;
	issue(&issued);
	assert_int_equal(verify(issued.cert, issued.cert_size, NULL, false, &result, &detail),
			 RATLS_ERR_DEBUG);
	assert_string_equal(result.failed_step, "policy");

	ratls_verify_cert_result_clear(&result);
	issued_free(&issued);
}

static void mrtd_not_allowed_fails_policy(void **state)
{
	struct ratls_policy *policy = ratls_policy_new();
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	char hex[97];

	(void)state;
	memset(hex, 'a', 96);
	hex[96] = '\0';
	assert_int_equal(ratls_policy_add_mrtd(policy, hex, NULL), RATLS_OK);
	issue(&issued);
	assert_int_equal(verify(issued.cert, issued.cert_size, policy, false, &result, &detail),
			 RATLS_ERR_MRTD_NOT_ALLOWED);
	assert_string_equal(result.failed_step, "policy");

	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);
	issued_free(&issued);
}

/* ---- identity pins ---- */

static void identity_pins(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};
	struct ratls_policy *policy;
	char hex[65];

	(void)state;
	issue(&issued);

	/* The compose hash and app id of the events before system-ready pass. */
	policy = policy_with_mrtd();
	hex_of(compose_hash, 32, hex);
	assert_int_equal(ratls_policy_add_compose_hash(policy, hex, NULL), RATLS_OK);
	hex_of(app_id, 20, hex);
	assert_int_equal(ratls_policy_add_app_id(policy, hex, NULL), RATLS_OK);
	assert_int_equal(verify(issued.cert, issued.cert_size, policy, false, &result, &detail),
			 RATLS_OK);
	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);

	/* The spoofed compose-hash event after system-ready does not pass. */
	policy = policy_with_mrtd();
	hex_of(spoofed_hash, 32, hex);
	assert_int_equal(ratls_policy_add_compose_hash(policy, hex, NULL), RATLS_OK);
	assert_int_equal(verify(issued.cert, issued.cert_size, policy, false, &result, &detail),
			 RATLS_ERR_MEASUREMENT_MISMATCH);
	assert_non_null(strstr(detail.message, "compose hash"));
	assert_string_equal(result.failed_step, "policy");
	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);

	/* Without an os-image-hash event, an OS image pin fails closed. */
	policy = policy_with_mrtd();
	hex_of(compose_hash, 32, hex);
	assert_int_equal(ratls_policy_add_os_image_hash(policy, hex, NULL), RATLS_OK);
	ratls_detail_clear(&detail);
	assert_int_equal(verify(issued.cert, issued.cert_size, policy, false, &result, &detail),
			 RATLS_ERR_MEASUREMENT_MISMATCH);
	assert_non_null(strstr(detail.message, "os-image-hash"));
	ratls_verify_cert_result_clear(&result);
	ratls_policy_free(policy);

	issued_free(&issued);
}

static void identity_pin_rejects_bad_hex(void **state)
{
	struct ratls_policy *policy = ratls_policy_new();
	struct ratls_detail detail = {0};

	(void)state;
	assert_int_equal(ratls_policy_add_app_id(policy, "abcd", &detail),
			 RATLS_ERR_POLICY_INVALID);
	assert_non_null(strstr(detail.message, "40 hex digits"));
	assert_int_equal(ratls_policy_add_compose_hash(policy, "zz", NULL),
			 RATLS_ERR_POLICY_INVALID);
	assert_false(ratls_policy_pins_identity(policy));
	ratls_policy_free(policy);
}

/* ---- allow_simulator ---- */

/* A self-signed certificate without any dstack extension. */
static void plain_cert(uint8_t **out, size_t *out_size)
{
	X509 *x509 = X509_new();
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	int size;

	assert_non_null(x509);
	assert_non_null(key);
	assert_int_equal(X509_set_version(x509, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x509), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x509), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x509), 3600));
	assert_int_equal(X509_set_pubkey(x509, key), 1);
	assert_true(X509_sign(x509, key, EVP_sha256()) > 0);
	size = i2d_X509(x509, &der);
	assert_true(size > 0);
	*out = malloc((size_t)size);
	assert_non_null(*out);
	memcpy(*out, der, (size_t)size);
	*out_size = (size_t)size;
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	X509_free(x509);
}

static void allow_simulator_accepts_only_plain_cert(void **state)
{
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	uint8_t *cert;
	size_t cert_size;

	(void)state;
	plain_cert(&cert, &cert_size);
	assert_int_equal(verify(cert, cert_size, NULL, false, &result, &detail),
			 RATLS_ERR_NOT_RATLS);
	assert_string_equal(result.failed_step, "extraction");
	ratls_verify_cert_result_clear(&result);

	warnings = 0;
	ratls_detail_clear(&detail);
	assert_int_equal(verify(cert, cert_size, NULL, true, &result, &detail), RATLS_OK);
	assert_false(result.attested);
	assert_null(result.evidence);
	assert_true(warnings >= 1);
	assert_int_equal(detail.code, RATLS_OK);
	ratls_verify_cert_result_clear(&result);

	free(cert);
}

/* ---- the backend cannot skip the library's steps ---- */

struct lying_backend {
	const struct ratls_dcap_context *context;
	bool change_mrtd;
	bool change_report_data;
};

static int lying_verify(void *arg, const uint8_t *quote, size_t quote_size, int64_t now,
			struct ratls_verified_report *report, struct ratls_detail *detail)
{
	struct lying_backend *backend = arg;
	int rc = ratls_dcap_context_verify(backend->context, quote, quote_size, now, report, detail);

	if (backend->change_mrtd)
		report->td.mr_td[0] ^= 0x01;
	if (backend->change_report_data)
		report->td.report_data[0] ^= 0x01;
	return rc;
}

static void backend_cannot_skip_checks(void **state)
{
	struct lying_backend backend = {.context = fx.context};
	struct ratls_verifier verifier = {"lying", lying_verify, &backend};
	struct ratls_verify_cert_options options = {.now = NOW, .verifier = &verifier};
	struct ratls_verify_cert_result result;
	struct ratls_detail detail = {0};
	struct issued issued = {0};

	(void)state;
	issue(&issued);

	/* A report for another quote of the same TD, bound to another key. */
	backend.change_report_data = true;
	assert_int_equal(ratls_verify_cert(issued.cert, issued.cert_size, &options, &result,
					   &detail),
			 RATLS_ERR_EVENT_LOG);
	assert_non_null(strstr(detail.message, "REPORTDATA"));
	assert_string_equal(result.failed_step, "quote");
	assert_false(result.attested);
	ratls_verify_cert_result_clear(&result);

	backend.change_report_data = false;
	backend.change_mrtd = true;
	ratls_detail_clear(&detail);
	assert_int_equal(ratls_verify_cert(issued.cert, issued.cert_size, &options, &result,
					   &detail),
			 RATLS_ERR_EVENT_LOG);
	assert_non_null(strstr(detail.message, "MRTD"));
	ratls_verify_cert_result_clear(&result);

	options.verifier = NULL;
	assert_int_equal(ratls_verify_cert(issued.cert, issued.cert_size, &options, &result,
					   NULL),
			 RATLS_ERR_INVALID_ARGUMENT);
	ratls_verify_cert_result_clear(&result);

	issued_free(&issued);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(issued_cert_verifies, reset),
		cmocka_unit_test_setup(issued_cert_key_matches, reset),
		cmocka_unit_test_setup(issued_cert_dns_names, reset),
		cmocka_unit_test_setup(legacy_extensions_cross_checked, reset),
		cmocka_unit_test_setup(issue_rejects_bad_params, reset),
		cmocka_unit_test_setup(untrusted_root_fails_quote_step, reset),
		cmocka_unit_test_setup(other_key_fails_binding, reset),
		cmocka_unit_test_setup(issue_rejects_unbound_quote, reset),
		cmocka_unit_test_setup(rtmr3_mismatch_fails_replay, reset),
		cmocka_unit_test_setup(debug_td_fails_policy, reset),
		cmocka_unit_test_setup(mrtd_not_allowed_fails_policy, reset),
		cmocka_unit_test_setup(identity_pins, reset),
		cmocka_unit_test_setup(identity_pin_rejects_bad_hex, reset),
		cmocka_unit_test_setup(allow_simulator_accepts_only_plain_cert, reset),
		cmocka_unit_test_setup(backend_cannot_skip_checks, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
