/*
 * Tests of the collateral module: TCB status names, the raw JSON member
 * scanner, TCB info and QE identity parsing, and the collateral set (bundles,
 * PCS response bodies, issuer chains, CRLs). Tests marked "corpus" read real
 * Intel collateral from $RATLS_CORPUS_DIR and skip when it is not set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/encoding.h"
#include "ratls/collateral.h"

/* Real collateral files, relative to the corpus folder. */
#define BUNDLE_TDX "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json"
#define BUNDLE_TDX_OLD_SGX "Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json@eadf8823aa"
#define BUNDLE_SGX "Phala-Network__dcap-qvl/sample/sgx_quote_collateral.json"
#define BUNDLE_OUTDATED "Phala-Network__dcap-qvl/sample/tdx_quote_outdated_collateral.json"
#define BUNDLE_NEAR \
	"Phala-Network__dcap-qvl/tests/near/contracts/gas-test/tests/quote/quote_collateral.json"
#define PCS_DIR "tinfoilsh__verifier/attestation/collateral/"
#define PCS_TCB_INFO PCS_DIR "tcb_info_90c06f000000.json"
#define PCS_TCB_CHAIN PCS_DIR "tcb_info_90c06f000000_chain.txt"
#define PCS_QE_IDENTITY PCS_DIR "qe_identity.json"
#define PCS_PCK_CRL PCS_DIR "pck_crl_platform.crl"
#define PCS_PCK_CRL_CHAIN PCS_DIR "pck_crl_platform_chain.txt"
#define PCS_ROOT_CRL PCS_DIR "root_ca.crl"
#define TCB_INFO_V2 "automata-network__dcap-rs/data/tcb_info_v2.json"

static const char *const all_bundles[] = {BUNDLE_TDX, BUNDLE_TDX_OLD_SGX, BUNDLE_SGX,
					  BUNDLE_OUTDATED, BUNDLE_NEAR};

/* ---- helpers ---- */

struct buffer {
	uint8_t *data;
	size_t size;
};

/* Skips the calling test when the corpus folder is not configured or absent. */
static const char *corpus_dir(void)
{
	const char *dir = getenv("RATLS_CORPUS_DIR");
	char probe[4096];
	FILE *f;

	if (dir == NULL || dir[0] == '\0') {
		print_message("RATLS_CORPUS_DIR is not set; skipping a corpus test\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%s/cases.tsv", dir);
	f = fopen(probe, "rb");
	if (f == NULL) {
		print_message("corpus folder %s has no cases.tsv; skipping a corpus test\n", dir);
		skip();
	}
	fclose(f);
	return dir;
}

/* Reads a corpus file into an exactly sized buffer, so ASan catches any over-read. */
static struct buffer read_corpus(const char *name)
{
	struct buffer b = {NULL, 0};
	char path[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("corpus file %s is missing", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	b.data = malloc((size_t)size);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	b.size = (size_t)size;
	return b;
}

/* Returns the first occurrence of needle in data, or NULL. */
static const char *find_bytes(const void *data, size_t size, const char *needle)
{
	const char *text = data;
	size_t len = strlen(needle);

	for (size_t i = 0; len <= size && i <= size - len; i++) {
		if (memcmp(text + i, needle, len) == 0)
			return text + i;
	}
	return NULL;
}

static uint8_t *copy_bytes(const void *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);

	assert_non_null(copy);
	memcpy(copy, data, size);
	return copy;
}

static void hex_to_bytes(const char *hex, uint8_t *out, size_t size)
{
	assert_int_equal(ratls_hex_decode_fixed(hex, strlen(hex), out, size), RATLS_OK);
}

static void expect_failure(int rc, const struct ratls_detail *detail, int code,
			   const char *message_part)
{
	if (rc != code || detail->code != code ||
	    (message_part != NULL && strstr(detail->message, message_part) == NULL))
		print_message("rc %d, detail %d \"%s\"; expected %d with \"%s\"\n", rc,
			      detail->code, detail->message, code,
			      message_part != NULL ? message_part : "");
	assert_int_equal(rc, code);
	assert_int_equal(detail->code, code);
	assert_true(detail->message[0] != '\0');
	if (message_part != NULL)
		assert_non_null(strstr(detail->message, message_part));
}

static void expect_ok(int rc, const struct ratls_detail *detail)
{
	if (rc != RATLS_OK)
		print_message("unexpected failure %d: %s\n", rc, detail->message);
	assert_int_equal(rc, RATLS_OK);
}

/* Returns a new NUL-terminated copy of text with the first "from" replaced by "to". */
static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t head;
	size_t out_len;
	char *out;

	if (at == NULL)
		fail_msg("test template has no \"%s\"", from);
	head = (size_t)(at - text);
	out_len = strlen(text) - strlen(from) + strlen(to);
	out = malloc(out_len + 1);
	assert_non_null(out);
	memcpy(out, text, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	return out;
}

static char *dump_compact(const json_t *root)
{
	char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);

	assert_non_null(text);
	return text;
}

/* Writes the collateral as a bundle; the text is a deep snapshot of every slot. */
static char *snapshot(const struct ratls_collateral *c)
{
	struct ratls_detail detail = {0};
	char *text = NULL;

	expect_ok(ratls_collateral_write_bundle(c, &text, &detail), &detail);
	return text;
}

/* ---- synthetic documents, so the negative tests run without the corpus ---- */

static json_t *make_components(int count, int svn)
{
	json_t *array = json_array();

	for (int i = 0; i < count; i++)
		json_array_append_new(array, json_pack("{s:i, s:s}", "svn", svn, "category", "BIOS"));
	return array;
}

static json_t *make_tcb_level(const char *status)
{
	return json_pack("{s:{s:o, s:o, s:i}, s:s, s:s, s:[s]}", "tcb", "sgxtcbcomponents",
			 make_components(16, 3), "tdxtcbcomponents", make_components(16, 5),
			 "pcesvn", 13, "tcbDate", "2024-11-13T00:00:00Z", "tcbStatus", status,
			 "advisoryIDs", "INTEL-SA-01036");
}

static json_t *make_isv_level(int svn, const char *status)
{
	return json_pack("{s:{s:i}, s:s, s:s}", "tcb", "isvsvn", svn, "tcbDate",
			 "2024-11-13T00:00:00Z", "tcbStatus", status);
}

static const char zeros48[] = "000000000000000000000000000000000000000000000000"
			      "000000000000000000000000000000000000000000000000";

/* A valid TDX TCB info version 3 with two levels and one module identity. */
static json_t *make_tcb_info(void)
{
	json_t *info = json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:{s:s, s:s, s:s}}", "id", "TDX",
		"version", 3, "issueDate", "2026-01-12T15:46:45Z", "nextUpdate",
		"2026-02-11T15:46:45Z", "fmspc", "90C06F000000", "pceId", "0000", "tcbType", 0,
		"tcbEvaluationDataNumber", 18, "tdxModule", "mrsigner", zeros48, "attributes",
		"0000000000000000", "attributesMask", "FFFFFFFFFFFFFFFF");
	json_t *identity = json_pack("{s:s, s:s, s:s, s:s, s:[o]}", "id", "TDX_01", "mrsigner",
				     zeros48, "attributes", "0000000000000000", "attributesMask",
				     "FFFFFFFFFFFFFFFF", "tcbLevels",
				     make_isv_level(4, "UpToDate"));

	assert_non_null(info);
	assert_non_null(identity);
	json_object_set_new(info, "tdxModuleIdentities", json_pack("[o]", identity));
	json_object_set_new(info, "tcbLevels", json_pack("[o, o]", make_tcb_level("UpToDate"),
							  make_tcb_level("OutOfDate")));
	return info;
}

static const char qe_identity_text[] =
	"{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"2026-01-12T16:03:13Z\","
	"\"nextUpdate\":\"2026-02-11T16:03:13Z\",\"tcbEvaluationDataNumber\":18,"
	"\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
	"\"attributes\":\"11000000000000000000000000000000\","
	"\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
	"\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\","
	"\"isvprodid\":2,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},"
	"\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}";

static json_t *make_qe_identity(void)
{
	json_t *root = json_loads(qe_identity_text, 0, NULL);

	assert_non_null(root);
	return root;
}

static int parse_tcb_info_json(const json_t *root, struct ratls_detail *detail)
{
	char *text = dump_compact(root);
	struct ratls_tcb_info *info = NULL;
	int rc = ratls_tcb_info_parse((const uint8_t *)text, strlen(text), &info, detail);

	if (rc == RATLS_OK)
		assert_non_null(info);
	else
		assert_null(info);
	ratls_tcb_info_free(info);
	free(text);
	return rc;
}

static int parse_qe_identity_json(const json_t *root, struct ratls_detail *detail)
{
	char *text = dump_compact(root);
	struct ratls_qe_identity *identity = NULL;
	int rc = ratls_qe_identity_parse((const uint8_t *)text, strlen(text), &identity, detail);

	if (rc != RATLS_OK)
		assert_null(identity);
	ratls_qe_identity_free(identity);
	free(text);
	return rc;
}

static json_t *level_tcb(json_t *info, size_t level)
{
	return json_object_get(json_array_get(json_object_get(info, "tcbLevels"), level), "tcb");
}

/* ---- TCB status names ---- */

static void tcb_status_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < RATLS_TCB_STATUS_COUNT; s++) {
		const char *name = ratls_tcb_status_name((enum ratls_tcb_status)s);
		enum ratls_tcb_status parsed = RATLS_TCB_REVOKED;

		assert_non_null(name);
		assert_int_equal(ratls_tcb_status_parse(name, strlen(name), &parsed), RATLS_OK);
		assert_int_equal(parsed, s);
	}
	assert_string_equal(ratls_tcb_status_name(RATLS_TCB_UP_TO_DATE), "UpToDate");
	assert_string_equal(ratls_tcb_status_name(RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED),
			    "ConfigurationAndSWHardeningNeeded");
	assert_string_equal(ratls_tcb_status_name(RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED),
			    "OutOfDateConfigurationNeeded");
	assert_non_null(ratls_tcb_status_name((enum ratls_tcb_status)99));
}

static void tcb_status_rejects_unknown(void **state)
{
	enum ratls_tcb_status parsed = RATLS_TCB_REVOKED;

	(void)state;
	assert_int_equal(ratls_tcb_status_parse("uptodate", 8, &parsed), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_tcb_status_parse("UpToDat", 7, &parsed), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_tcb_status_parse("UpToDateX", 9, &parsed), RATLS_ERR_MALFORMED);
	assert_int_equal(ratls_tcb_status_parse("", 0, &parsed), RATLS_ERR_MALFORMED);
	/* The length decides, not a NUL: "UpToDate" followed by more bytes is not a name. */
	assert_int_equal(ratls_tcb_status_parse("UpToDate\0x", 10, &parsed), RATLS_ERR_MALFORMED);
	assert_int_equal(parsed, RATLS_TCB_REVOKED);
}

/* ---- raw member scanner ---- */

static int member_raw(const char *json, const char *name, char *out, size_t out_size,
		      struct ratls_detail *detail)
{
	size_t len = strlen(json);
	uint8_t *copy = copy_bytes(json, len);
	const uint8_t *value = NULL;
	size_t value_size = 0;
	int rc = ratls_json_member_raw(copy, len, name, &value, &value_size, detail);

	if (rc == RATLS_OK) {
		assert_true(value >= copy && value + value_size <= copy + len);
		assert_true(value_size < out_size);
		memcpy(out, value, value_size);
		out[value_size] = '\0';
	}
	free(copy);
	return rc;
}

static void json_member_raw_finds_values(void **state)
{
	static const struct {
		const char *json;
		const char *name;
		const char *value;
	} cases[] = {
		{"{\"a\":1}", "a", "1"},
		{" \t\r\n{ \"a\" : {\"x\": [1, 2, {\"y\": \"}\"}]} , \"b\":2 } \n", "a",
		 "{\"x\": [1, 2, {\"y\": \"}\"}]}"},
		{"{\"b\":{\"a\":1},\"a\":\"s\\\"t\\\\r\\u00e9\"}", "a", "\"s\\\"t\\\\r\\u00e9\""},
		{"{\"tcb\\u0049nfo\":{}}", "tcbInfo", "{}"},
		{"{\"x\":-0.5e+10,\"y\":true,\"z\":null,\"w\":false}", "x", "-0.5e+10"},
		{"{\"x\":[],\"y\":{},\"z\":\"\"}", "y", "{}"},
		{"{\"emoji\\ud83d\\ude00\":[false]}", "emoji\xf0\x9f\x98\x80", "[false]"},
		{"{\"caf\xc3\xa9\":0}", "caf\xc3\xa9", "0"},
		{"{\"ab\":1,\"a\":2}", "a", "2"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_detail detail = {0};
		char out[256];

		expect_ok(member_raw(cases[i].json, cases[i].name, out, sizeof(out), &detail),
			  &detail);
		assert_string_equal(out, cases[i].value);
	}
}

static void json_member_raw_rejects_bad_json(void **state)
{
	static const struct {
		const char *json;
		int code;
		const char *message_part;
	} cases[] = {
		{"", RATLS_ERR_MALFORMED, "input ends"},
		{"[1]", RATLS_ERR_MALFORMED, "'{'"},
		{"{\"a\":1,\"a\":2}", RATLS_ERR_MALFORMED, "appears twice"},
		{"{\"a\":1,\"\\u0061\":2}", RATLS_ERR_MALFORMED, "appears twice"},
		{"{\"b\":1}", RATLS_ERR_MALFORMED, "no member \"a\""},
		{"{\"a\":1} x", RATLS_ERR_MALFORMED, "unexpected bytes"},
		{"{\"a\":1}{}", RATLS_ERR_MALFORMED, "unexpected bytes"},
		{"{\"a\":01}", RATLS_ERR_MALFORMED, NULL},
		{"{\"a\":1.}", RATLS_ERR_MALFORMED, "decimal point"},
		{"{\"a\":-}", RATLS_ERR_MALFORMED, "digit"},
		{"{\"a\":1e}", RATLS_ERR_MALFORMED, "exponent"},
		{"{\"a\":+1}", RATLS_ERR_MALFORMED, NULL},
		{"{\"a\":tru}", RATLS_ERR_MALFORMED, NULL},
		{"{\"a\":nul}", RATLS_ERR_MALFORMED, NULL},
		{"{\"a\":\"\\x\"}", RATLS_ERR_MALFORMED, "backslash"},
		{"{\"a\":\"\\u12g4\"}", RATLS_ERR_MALFORMED, "hex digits"},
		{"{\"a\":\"\\udc00\"}", RATLS_ERR_MALFORMED, "surrogate"},
		{"{\"a\":\"\\ud800\"}", RATLS_ERR_MALFORMED, "surrogate"},
		{"{\"a\":\"\\ud800\\u0041\"}", RATLS_ERR_MALFORMED, "surrogate"},
		{"{\"a\":\"tab\there\"}", RATLS_ERR_MALFORMED, "control character"},
		{"{\"a\":\"\xc0\xaf\"}", RATLS_ERR_MALFORMED, "UTF-8"},
		{"{\"a\":\"\xed\xa0\x80\"}", RATLS_ERR_MALFORMED, "UTF-8"},
		{"{\"a\":\"\xf4\x90\x80\x80\"}", RATLS_ERR_MALFORMED, "UTF-8"},
		{"{\"a\":\"\xe2\x82\"}", RATLS_ERR_MALFORMED, "UTF-8"},
		{"{\"a\" 1}", RATLS_ERR_MALFORMED, "':'"},
		{"{\"a\":1,}", RATLS_ERR_MALFORMED, "'\"'"},
		{"{\"a\":[1,]}", RATLS_ERR_MALFORMED, "JSON value"},
		{"{\"a\":[1 2]}", RATLS_ERR_MALFORMED, "']'"},
		{"{\"a\":1 \"b\":2}", RATLS_ERR_MALFORMED, "'}'"},
		{"{a:1}", RATLS_ERR_MALFORMED, "'\"'"},
		{"{\"a\":'x'}", RATLS_ERR_MALFORMED, "JSON value"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_detail detail = {0};
		char out[64];
		int rc = member_raw(cases[i].json, "a", out, sizeof(out), &detail);

		print_message("case %zu: %s\n", i, detail.message);
		expect_failure(rc, &detail, cases[i].code, cases[i].message_part);
	}
}

/* Writes {"a":[[...]]} with the given number of arrays inside the object. */
static void make_nested(char *out, size_t out_size, int arrays)
{
	size_t n = (size_t)snprintf(out, out_size, "{\"a\":");

	assert_true(n + 2 * (size_t)arrays + 2 <= out_size);
	for (int i = 0; i < arrays; i++)
		out[n++] = '[';
	for (int i = 0; i < arrays; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = '\0';
}

static void json_member_raw_limits_depth(void **state)
{
	char json[2 * RATLS_JSON_MAX_DEPTH + 16];
	char out[sizeof(json)];
	struct ratls_detail detail = {0};

	(void)state;
	/* The object is one level, so RATLS_JSON_MAX_DEPTH - 1 arrays fit. */
	make_nested(json, sizeof(json), RATLS_JSON_MAX_DEPTH - 1);
	expect_ok(member_raw(json, "a", out, sizeof(out), &detail), &detail);
	assert_int_equal(strlen(out), 2 * (RATLS_JSON_MAX_DEPTH - 1));

	make_nested(json, sizeof(json), RATLS_JSON_MAX_DEPTH);
	expect_failure(member_raw(json, "a", out, sizeof(out), &detail), &detail,
		       RATLS_ERR_LIMIT_EXCEEDED, "deeper than 64 levels");
}

static void json_member_raw_rejects_null_arguments(void **state)
{
	struct ratls_detail detail = {0};
	const uint8_t *value = NULL;
	size_t value_size = 0;

	(void)state;
	expect_failure(ratls_json_member_raw(NULL, 4, "a", &value, &value_size, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_json_member_raw(NULL, 0, "a", &value, &value_size, &detail), &detail,
		       RATLS_ERR_MALFORMED, NULL);
	/* A NULL detail is allowed. */
	assert_int_equal(ratls_json_member_raw((const uint8_t *)"{}", 2, "a", &value, &value_size,
					       NULL),
			 RATLS_ERR_MALFORMED);
}

/* Every proper prefix of an object is invalid JSON, so the scanner must fail on each. */
static void json_member_raw_truncated_everywhere(void **state)
{
	struct buffer body = read_corpus(PCS_TCB_INFO);
	size_t object_end = body.size;

	(void)state;
	while (body.data[object_end - 1] != '}')
		object_end--; /* the file ends in a newline after the object */
	for (size_t len = 0; len < object_end; len++) {
		struct ratls_detail detail = {0};
		uint8_t *prefix = copy_bytes(body.data, len);
		const uint8_t *value = NULL;
		size_t value_size = 0;
		int rc = ratls_json_member_raw(prefix, len, "tcbInfo", &value, &value_size, &detail);

		assert_int_not_equal(rc, RATLS_OK);
		assert_int_equal(detail.code, rc);
		free(prefix);
	}
	free(body.data);
}

/* ---- TCB info: synthetic negatives ---- */

static void tcb_info_synthetic_parses(void **state)
{
	json_t *root = make_tcb_info();
	char *text = dump_compact(root);
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	(void)state;
	expect_ok(ratls_tcb_info_parse((const uint8_t *)text, strlen(text), &info, &detail),
		  &detail);
	assert_int_equal(info->id, RATLS_TCB_INFO_TDX);
	assert_int_equal(info->version, 3);
	assert_int_equal(info->level_count, 2);
	assert_int_equal(info->levels[0].status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(info->levels[1].status, RATLS_TCB_OUT_OF_DATE);
	assert_true(info->levels[0].has_tdx_svn);
	assert_int_equal(info->levels[0].tdx_svn[15], 5);
	assert_int_equal(info->levels[0].sgx_svn[0], 3);
	assert_int_equal(info->levels[0].pce_svn, 13);
	assert_int_equal(info->levels[0].advisories.count, 1);
	assert_string_equal(info->levels[0].advisories.ids[0], "INTEL-SA-01036");
	assert_int_equal(info->levels[0].tcb_date, 1731456000); /* 2024-11-13T00:00:00Z */
	assert_int_equal(info->issue_date, 1768232805);         /* 2026-01-12T15:46:45Z */
	assert_int_equal(info->tcb_evaluation_data_number, 18);
	assert_true(info->has_tdx_module);
	assert_int_equal(info->tdx_module_attributes_mask[7], 0xff);
	assert_int_equal(info->module_identity_count, 1);
	assert_string_equal(info->module_identities[0].id, "TDX_01");
	assert_int_equal(info->module_identities[0].levels[0].isv_svn, 4);
	ratls_tcb_info_free(info);
	free(text);
	json_decref(root);
}

static void tcb_info_rejects_bad_hex(void **state)
{
	static const struct {
		const char *member;
		const char *value;
		const char *message_part;
	} cases[] = {
		{"fmspc", "B0C0", "tcbInfo.fmspc \"B0C0\" has 2 bytes, expected 6"},
		{"fmspc", "B0C06F0000000000", "has 8 bytes, expected 6"},
		{"fmspc", "B0C06F00000", "has 11 hex digits, expected 12"},
		{"fmspc", "B0C06F00000G", "is not hex"},
		{"fmspc", "", "has 0 bytes, expected 6"},
		{"pceId", "000", "tcbInfo.pceId"},
		{"pceId", "0x00", "is not hex"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};

		json_object_set_new(root, cases[i].member, json_string(cases[i].value));
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       cases[i].message_part);
		json_decref(root);
	}
}

static void tcb_info_rejects_bad_module_hex(void **state)
{
	json_t *root = make_tcb_info();
	json_t *identity;
	struct ratls_detail detail = {0};

	(void)state;
	json_object_set_new(json_object_get(root, "tdxModule"), "mrsigner",
			    json_string("00112233"));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModule.mrsigner \"00112233\" has 4 bytes, expected 48");
	json_decref(root);

	root = make_tcb_info();
	identity = json_array_get(json_object_get(root, "tdxModuleIdentities"), 0);
	json_object_set_new(identity, "attributesMask", json_string("FFFFFFFFFFFFFFFFFF"));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModuleIdentities[0].attributesMask");
	json_decref(root);
}

static void tcb_info_requires_16_components(void **state)
{
	static const struct {
		const char *key;
		int count;
	} cases[] = {{"sgxtcbcomponents", 15}, {"sgxtcbcomponents", 17}, {"sgxtcbcomponents", 0},
		     {"tdxtcbcomponents", 15}, {"tdxtcbcomponents", 17}};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};
		char expected[128];

		json_object_set_new(level_tcb(root, 1), cases[i].key,
				    make_components(cases[i].count, 1));
		snprintf(expected, sizeof(expected), "tcbInfo.tcbLevels[1].tcb.%s has %d components",
			 cases[i].key, cases[i].count);
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       expected);
		json_decref(root);
	}
}

static void tcb_info_rejects_bad_svn(void **state)
{
	json_t *root = make_tcb_info();
	json_t *component;
	struct ratls_detail detail = {0};

	(void)state;
	component = json_array_get(json_object_get(level_tcb(root, 0), "sgxtcbcomponents"), 2);
	json_object_set_new(component, "svn", json_integer(256));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[2].svn is 256");
	json_object_set_new(component, "svn", json_integer(-1));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED, "is -1");
	json_object_set_new(component, "svn", json_real(1.0));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "is a real number, expected an integer");
	json_object_set_new(component, "svn", json_string("1"));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "is a string, expected an integer");
	json_array_set_new(json_object_get(level_tcb(root, 0), "sgxtcbcomponents"), 2,
			   json_integer(1));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "sgxtcbcomponents[2] is not an object");
	json_decref(root);

	root = make_tcb_info();
	json_object_set_new(level_tcb(root, 0), "pcesvn", json_integer(65536));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tcbLevels[0].tcb.pcesvn is 65536, expected an integer from 0 to "
		       "65535");
	json_decref(root);
}

static void tcb_info_rejects_unknown_status(void **state)
{
	static const char *const names[] = {"Fine", "uptodate", "UpToDate ", "", "Unknown"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};

		json_object_set_new(json_array_get(json_object_get(root, "tcbLevels"), 1),
				    "tcbStatus", json_string(names[i]));
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       "tcbInfo.tcbLevels[1].tcbStatus");
		assert_non_null(strstr(detail.message, "is not a TCB status"));
		json_decref(root);
	}
}

static void tcb_info_rejects_bad_version(void **state)
{
	static const int versions[] = {0, 1, 4, -3, 1000};

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};

		json_object_set_new(root, "version", json_integer(versions[i]));
		expect_failure(parse_tcb_info_json(root, &detail), &detail,
			       RATLS_ERR_UNSUPPORTED_VERSION, "tcbInfo.version is");
		json_decref(root);
	}
}

static void tcb_info_rejects_bad_id(void **state)
{
	json_t *root = make_tcb_info();
	struct ratls_detail detail = {0};

	(void)state;
	json_object_set_new(root, "id", json_string("SEV"));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.id \"SEV\"");
	json_object_del(root, "id");
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.id is missing");
	json_decref(root);
}

static void tcb_info_rejects_bad_dates(void **state)
{
	static const char *const dates[] = {"2026-13-12T15:46:45Z", "2026-01-12",
					    "2026-01-12 15:46:45Z", "2026-02-30T00:00:00Z",
					    "2026-01-12T15:46:45", "yesterday"};

	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};

		json_object_set_new(root, "nextUpdate", json_string(dates[i]));
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       "tcbInfo.nextUpdate");
		assert_non_null(strstr(detail.message, "RFC 3339"));
		json_decref(root);

		root = make_tcb_info();
		json_object_set_new(json_array_get(json_object_get(root, "tcbLevels"), 0),
				    "tcbDate", json_string(dates[i]));
		memset(&detail, 0, sizeof(detail));
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       "tcbInfo.tcbLevels[0].tcbDate");
		json_decref(root);
	}
}

static void tcb_info_requires_fields(void **state)
{
	static const char *const top_keys[] = {"version",   "id",      "issueDate",
					       "nextUpdate", "fmspc",   "pceId",
					       "tcbType",    "tcbEvaluationDataNumber",
					       "tcbLevels"};
	static const char *const level_keys[] = {"tcb", "tcbDate", "tcbStatus"};
	static const char *const tcb_keys[] = {"sgxtcbcomponents", "tdxtcbcomponents", "pcesvn"};

	(void)state;
	for (size_t i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};
		char expected[96];

		json_object_del(root, top_keys[i]);
		snprintf(expected, sizeof(expected), "tcbInfo.%s is missing", top_keys[i]);
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       expected);
		json_decref(root);
	}
	for (size_t i = 0; i < sizeof(level_keys) / sizeof(level_keys[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};

		json_object_del(json_array_get(json_object_get(root, "tcbLevels"), 1),
				level_keys[i]);
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       level_keys[i]);
		assert_non_null(strstr(detail.message, "is missing"));
		json_decref(root);
	}
	for (size_t i = 0; i < sizeof(tcb_keys) / sizeof(tcb_keys[0]); i++) {
		json_t *root = make_tcb_info();
		struct ratls_detail detail = {0};
		char expected[96];

		json_object_del(level_tcb(root, 0), tcb_keys[i]);
		snprintf(expected, sizeof(expected), "tcbInfo.tcbLevels[0].tcb.%s is missing",
			 tcb_keys[i]);
		expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       expected);
		json_decref(root);
	}
}

static void tcb_info_optional_fields(void **state)
{
	json_t *root = make_tcb_info();
	char *text;
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	(void)state;
	json_object_del(root, "tdxModule");
	json_object_del(root, "tdxModuleIdentities");
	json_object_del(json_array_get(json_object_get(root, "tcbLevels"), 0), "advisoryIDs");
	json_object_set_new(root, "unknownMember", json_pack("{s:[i]}", "nested", 1));
	json_object_set_new(root, "id", json_string("SGX"));
	json_object_del(level_tcb(root, 1), "tdxtcbcomponents");
	text = dump_compact(root);
	expect_ok(ratls_tcb_info_parse((const uint8_t *)text, strlen(text), &info, &detail),
		  &detail);
	assert_int_equal(info->id, RATLS_TCB_INFO_SGX);
	assert_false(info->has_tdx_module);
	assert_int_equal(info->module_identity_count, 0);
	assert_null(info->module_identities);
	assert_int_equal(info->levels[0].advisories.count, 0);
	assert_true(info->levels[0].has_tdx_svn); /* kept when an SGX level carries them */
	assert_false(info->levels[1].has_tdx_svn);
	ratls_tcb_info_free(info);
	free(text);
	json_decref(root);
}

static void tcb_info_rejects_empty_levels(void **state)
{
	json_t *root = make_tcb_info();
	struct ratls_detail detail = {0};

	(void)state;
	json_object_set_new(root, "tcbLevels", json_array());
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tcbLevels is empty");
	json_decref(root);

	root = make_tcb_info();
	json_object_set_new(json_array_get(json_object_get(root, "tdxModuleIdentities"), 0),
			    "tcbLevels", json_array());
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModuleIdentities[0].tcbLevels is empty");
	json_decref(root);
}

static void tcb_info_enforces_limits(void **state)
{
	json_t *root;
	json_t *levels;
	json_t *advisories;
	json_t *identities;
	struct ratls_detail detail = {0};
	char long_id[RATLS_ADVISORY_ID_MAX_LEN + 2];

	(void)state;
	/* Exactly at each limit parses. */
	root = make_tcb_info();
	levels = json_object_get(root, "tcbLevels");
	while (json_array_size(levels) < RATLS_TCB_LEVELS_MAX)
		json_array_append_new(levels, make_tcb_level("Revoked"));
	expect_ok(parse_tcb_info_json(root, &detail), &detail);
	json_array_append_new(levels, make_tcb_level("Revoked"));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "tcbInfo.tcbLevels has 257 elements, more than the limit of 256");
	json_decref(root);

	root = make_tcb_info();
	advisories = json_object_get(json_array_get(json_object_get(root, "tcbLevels"), 0),
				     "advisoryIDs");
	while (json_array_size(advisories) < RATLS_ADVISORY_IDS_MAX)
		json_array_append_new(advisories, json_string("INTEL-SA-00001"));
	memset(&detail, 0, sizeof(detail));
	expect_ok(parse_tcb_info_json(root, &detail), &detail);
	json_array_append_new(advisories, json_string("INTEL-SA-00001"));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "advisoryIDs has 129 elements");
	json_decref(root);

	root = make_tcb_info();
	advisories = json_object_get(json_array_get(json_object_get(root, "tcbLevels"), 0),
				     "advisoryIDs");
	memset(long_id, 'A', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	json_array_append_new(advisories, json_string(long_id));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "advisoryIDs[1] has 64 characters");
	json_array_set_new(advisories, 1, json_string(""));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "advisoryIDs[1] has 0 characters");
	json_array_set_new(advisories, 1, json_integer(7));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "advisoryIDs[1] is an integer, expected a string");
	json_decref(root);

	root = make_tcb_info();
	identities = json_object_get(root, "tdxModuleIdentities");
	while (json_array_size(identities) <= RATLS_MODULE_IDENTITIES_MAX)
		json_array_append(identities, json_array_get(identities, 0));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "tcbInfo.tdxModuleIdentities has 65 elements");
	json_decref(root);
}

static void tcb_info_rejects_bad_module_identity(void **state)
{
	json_t *root = make_tcb_info();
	json_t *identity = json_array_get(json_object_get(root, "tdxModuleIdentities"), 0);
	json_t *level = json_array_get(json_object_get(identity, "tcbLevels"), 0);
	struct ratls_detail detail = {0};

	(void)state;
	json_object_set_new(json_object_get(level, "tcb"), "isvsvn", json_integer(256));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModuleIdentities[0].tcbLevels[0].tcb.isvsvn is 256");
	json_decref(root);

	root = make_tcb_info();
	identity = json_array_get(json_object_get(root, "tdxModuleIdentities"), 0);
	json_object_set_new(identity, "id", json_string("TDX_0123456789ABC"));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModuleIdentities[0].id");
	json_object_set_new(identity, "id", json_string(""));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "has 0 characters");
	json_decref(root);

	root = make_tcb_info();
	json_array_set_new(json_object_get(root, "tdxModuleIdentities"), 0, json_string("TDX_01"));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tdxModuleIdentities[0] is not an object");
	json_decref(root);
}

static void tcb_info_rejects_duplicates_and_bad_json(void **state)
{
	json_t *root = make_tcb_info();
	char *text = dump_compact(root);
	char *dup = replace_once(text, "\"fmspc\":", "\"fmspc\":\"00\",\"fmspc\":");
	char *nested_dup = replace_once(text, "\"pcesvn\":13", "\"pcesvn\":13,\"pcesvn\":13");
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	(void)state;
	expect_failure(ratls_tcb_info_parse((const uint8_t *)dup, strlen(dup), &info, &detail),
		       &detail, RATLS_ERR_MALFORMED, "duplicate");
	assert_null(info);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_tcb_info_parse((const uint8_t *)nested_dup, strlen(nested_dup), &info,
					    &detail),
		       &detail, RATLS_ERR_MALFORMED, "duplicate");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_tcb_info_parse((const uint8_t *)"[1,2]", 5, &info, &detail), &detail,
		       RATLS_ERR_MALFORMED, "is an array, expected a JSON object");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_tcb_info_parse((const uint8_t *)"{} x", 4, &info, &detail), &detail,
		       RATLS_ERR_MALFORMED, "not valid JSON");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_tcb_info_parse(NULL, 0, &info, &detail), &detail,
		       RATLS_ERR_MALFORMED, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_tcb_info_parse((const uint8_t *)"{}", 2, NULL, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	free(dup);
	free(nested_dup);
	free(text);
	json_decref(root);
}

static void tcb_info_rejects_oversized(void **state)
{
	size_t size = RATLS_COLLATERAL_JSON_MAX_SIZE + 1;
	uint8_t *big = malloc(size);
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', size);
	big[0] = '{';
	big[size - 1] = '}';
	expect_failure(ratls_tcb_info_parse(big, size, &info, &detail), &detail,
		       RATLS_ERR_LIMIT_EXCEEDED, "more than the limit");
	free(big);
}

static void tcb_info_truncated_everywhere(void **state)
{
	json_t *root = make_tcb_info();
	char *text = dump_compact(root);
	size_t len = strlen(text);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		struct ratls_detail detail = {0};
		uint8_t *prefix = copy_bytes(text, cut);
		struct ratls_tcb_info *info = NULL;
		int rc = ratls_tcb_info_parse(prefix, cut, &info, &detail);

		assert_int_equal(rc, RATLS_ERR_MALFORMED);
		assert_int_equal(detail.code, RATLS_ERR_MALFORMED);
		assert_null(info);
		free(prefix);
	}
	free(text);
	json_decref(root);
}

/* A version 2 document built from the synthetic version 3 one. */
static json_t *make_tcb_info_v2(void)
{
	json_t *root = make_tcb_info();
	json_t *levels = json_object_get(root, "tcbLevels");

	json_object_set_new(root, "version", json_integer(2));
	json_object_del(root, "id");
	json_object_del(root, "tdxModule");
	json_object_del(root, "tdxModuleIdentities");
	for (size_t i = 0; i < json_array_size(levels); i++) {
		json_t *tcb = json_object();

		for (int c = 1; c <= 16; c++) {
			char key[32];

			snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", c);
			json_object_set_new(tcb, key, json_integer(c));
		}
		json_object_set_new(tcb, "pcesvn", json_integer(11));
		json_object_set_new(json_array_get(levels, i), "tcb", tcb);
	}
	return root;
}

static void tcb_info_v2_synthetic(void **state)
{
	json_t *root = make_tcb_info_v2();
	char *text = dump_compact(root);
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	(void)state;
	expect_ok(ratls_tcb_info_parse((const uint8_t *)text, strlen(text), &info, &detail),
		  &detail);
	assert_int_equal(info->version, 2);
	assert_int_equal(info->id, RATLS_TCB_INFO_SGX);
	assert_int_equal(info->levels[1].sgx_svn[0], 1);
	assert_int_equal(info->levels[1].sgx_svn[15], 16);
	assert_int_equal(info->levels[1].pce_svn, 11);
	assert_false(info->levels[1].has_tdx_svn);
	ratls_tcb_info_free(info);
	free(text);

	json_object_del(level_tcb(root, 1), "sgxtcbcomp16svn");
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.tcbLevels[1].tcb.sgxtcbcomp16svn is missing");
	json_decref(root);

	root = make_tcb_info_v2();
	json_object_set_new(root, "id", json_string("TDX"));
	memset(&detail, 0, sizeof(detail));
	expect_failure(parse_tcb_info_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
		       "tcbInfo.id \"TDX\" is not valid for version 2");
	json_object_set_new(root, "id", json_string("SGX"));
	memset(&detail, 0, sizeof(detail));
	expect_ok(parse_tcb_info_json(root, &detail), &detail);
	json_decref(root);
}

/* ---- QE identity: synthetic ---- */

static void qe_identity_synthetic_parses(void **state)
{
	struct ratls_detail detail = {0};
	struct ratls_qe_identity *identity = NULL;
	uint8_t mrsigner[32];

	(void)state;
	expect_ok(ratls_qe_identity_parse((const uint8_t *)qe_identity_text,
					  strlen(qe_identity_text), &identity, &detail),
		  &detail);
	assert_int_equal(identity->id, RATLS_QE_IDENTITY_TD_QE);
	assert_string_equal(identity->id_text, "TD_QE");
	assert_int_equal(identity->miscselect, 0);
	assert_int_equal(identity->miscselect_mask, 0xffffffffu);
	assert_int_equal(identity->attributes[0], 0x11);
	assert_int_equal(identity->attributes_mask[0], 0xfb);
	assert_int_equal(identity->attributes_mask[8], 0x00);
	hex_to_bytes("DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5", mrsigner,
		     32);
	assert_memory_equal(identity->mrsigner, mrsigner, 32);
	assert_int_equal(identity->isv_prod_id, 2);
	assert_int_equal(identity->level_count, 1);
	assert_int_equal(identity->levels[0].isv_svn, 4);
	ratls_qe_identity_free(identity);
}

static void qe_identity_miscselect_is_big_endian(void **state)
{
	json_t *root = make_qe_identity();
	char *text;
	struct ratls_detail detail = {0};
	struct ratls_qe_identity *identity = NULL;

	(void)state;
	json_object_set_new(root, "miscselect", json_string("0A0b0C0d"));
	json_object_set_new(root, "id", json_string("CUSTOM"));
	text = dump_compact(root);
	expect_ok(ratls_qe_identity_parse((const uint8_t *)text, strlen(text), &identity, &detail),
		  &detail);
	assert_int_equal(identity->miscselect, 0x0a0b0c0du);
	assert_int_equal(identity->id, RATLS_QE_IDENTITY_OTHER);
	assert_string_equal(identity->id_text, "CUSTOM");
	ratls_qe_identity_free(identity);
	free(text);
	json_decref(root);
}

static void qe_identity_rejects_bad_fields(void **state)
{
	static const struct {
		const char *member;
		const char *value; /* a JSON text */
		int code;
		const char *message_part;
	} cases[] = {
		{"version", "3", RATLS_ERR_UNSUPPORTED_VERSION, "enclaveIdentity.version is 3"},
		{"version", "1", RATLS_ERR_UNSUPPORTED_VERSION, "expected 2"},
		{"version", "\"2\"", RATLS_ERR_MALFORMED, "is a string, expected an integer"},
		{"mrsigner", "\"DC9E\"", RATLS_ERR_MALFORMED,
		 "enclaveIdentity.mrsigner \"DC9E\" has 2 bytes, expected 32"},
		{"miscselect", "\"000000000\"", RATLS_ERR_MALFORMED, "enclaveIdentity.miscselect"},
		{"miscselectMask", "\"FFFF\"", RATLS_ERR_MALFORMED, "has 2 bytes, expected 4"},
		{"attributes", "\"11\"", RATLS_ERR_MALFORMED, "expected 16"},
		{"attributesMask", "\"not hex\"", RATLS_ERR_MALFORMED, "is not hex"},
		{"isvprodid", "65536", RATLS_ERR_MALFORMED, "enclaveIdentity.isvprodid is 65536"},
		{"isvprodid", "-1", RATLS_ERR_MALFORMED, "is -1"},
		{"tcbEvaluationDataNumber", "4294967296", RATLS_ERR_MALFORMED,
		 "tcbEvaluationDataNumber is 4294967296"},
		{"issueDate", "\"2026-01-12T25:00:00Z\"", RATLS_ERR_MALFORMED, "RFC 3339"},
		{"id", "\"A_VERY_LONG_IDENTITY\"", RATLS_ERR_MALFORMED, "enclaveIdentity.id"},
		{"id", "\"\"", RATLS_ERR_MALFORMED, "has 0 characters"},
		{"tcbLevels", "[]", RATLS_ERR_MALFORMED, "enclaveIdentity.tcbLevels is empty"},
		{"tcbLevels", "{}", RATLS_ERR_MALFORMED, "is an object, expected an array"},
		{"tcbLevels", "[1]", RATLS_ERR_MALFORMED, "enclaveIdentity.tcbLevels[0] is an integer"},
		{"tcbLevels",
		 "[{\"tcb\":{\"isvsvn\":65536},\"tcbDate\":\"2024-11-13T00:00:00Z\","
		 "\"tcbStatus\":\"UpToDate\"}]",
		 RATLS_ERR_MALFORMED, "enclaveIdentity.tcbLevels[0].tcb.isvsvn is 65536"},
		{"tcbLevels",
		 "[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-11-13T00:00:00Z\","
		 "\"tcbStatus\":\"Good\"}]",
		 RATLS_ERR_MALFORMED, "enclaveIdentity.tcbLevels[0].tcbStatus \"Good\""},
		{"tcbLevels",
		 "[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-11-13T00:00:00Z\","
		 "\"tcbStatus\":\"UpToDate\",\"advisoryIDs\":null}]",
		 RATLS_ERR_MALFORMED, "advisoryIDs is null, expected an array"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *root = make_qe_identity();
		json_t *value = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
		struct ratls_detail detail = {0};

		assert_non_null(value);
		json_object_set_new(root, cases[i].member, value);
		expect_failure(parse_qe_identity_json(root, &detail), &detail, cases[i].code,
			       cases[i].message_part);
		json_decref(root);
	}
}

static void qe_identity_requires_fields(void **state)
{
	static const char *const keys[] = {"id",         "version",        "issueDate",
					   "nextUpdate", "tcbEvaluationDataNumber",
					   "miscselect", "miscselectMask", "attributes",
					   "attributesMask", "mrsigner",   "isvprodid",
					   "tcbLevels"};

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *root = make_qe_identity();
		struct ratls_detail detail = {0};
		char expected[96];

		json_object_del(root, keys[i]);
		snprintf(expected, sizeof(expected), "enclaveIdentity.%s is missing", keys[i]);
		expect_failure(parse_qe_identity_json(root, &detail), &detail, RATLS_ERR_MALFORMED,
			       expected);
		json_decref(root);
	}
}

static void qe_identity_limits_levels(void **state)
{
	json_t *root = make_qe_identity();
	json_t *levels = json_object_get(root, "tcbLevels");
	struct ratls_detail detail = {0};

	(void)state;
	while (json_array_size(levels) < RATLS_TCB_LEVELS_MAX)
		json_array_append_new(levels, make_isv_level(1, "OutOfDate"));
	expect_ok(parse_qe_identity_json(root, &detail), &detail);
	json_array_append_new(levels, make_isv_level(1, "OutOfDate"));
	expect_failure(parse_qe_identity_json(root, &detail), &detail, RATLS_ERR_LIMIT_EXCEEDED,
		       "enclaveIdentity.tcbLevels has 257 elements");
	json_decref(root);
}

static void qe_identity_truncated_everywhere(void **state)
{
	size_t len = strlen(qe_identity_text);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		struct ratls_detail detail = {0};
		uint8_t *prefix = copy_bytes(qe_identity_text, cut);
		struct ratls_qe_identity *identity = NULL;

		assert_int_equal(ratls_qe_identity_parse(prefix, cut, &identity, &detail),
				 RATLS_ERR_MALFORMED);
		assert_int_equal(detail.code, RATLS_ERR_MALFORMED);
		assert_null(identity);
		free(prefix);
	}
}

/* ---- real collateral from the corpus ---- */

static struct ratls_collateral *load_bundle_file(const char *name)
{
	struct buffer b = read_corpus(name);
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};

	assert_non_null(c);
	expect_ok(ratls_collateral_load_bundle(c, b.data, b.size, &detail), &detail);
	free(b.data);
	return c;
}

static struct ratls_tcb_info *parse_collateral_tcb_info(const struct ratls_collateral *c)
{
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info = NULL;

	expect_ok(ratls_tcb_info_parse(c->tcb_info.body, c->tcb_info.body_size, &info, &detail),
		  &detail);
	return info;
}

static struct ratls_qe_identity *parse_collateral_qe_identity(const struct ratls_collateral *c)
{
	struct ratls_detail detail = {0};
	struct ratls_qe_identity *identity = NULL;

	expect_ok(ratls_qe_identity_parse(c->qe_identity.body, c->qe_identity.body_size, &identity,
					  &detail),
		  &detail);
	return identity;
}

static void check_fmspc(const struct ratls_tcb_info *info, const char *hex)
{
	uint8_t fmspc[6];

	hex_to_bytes(hex, fmspc, sizeof(fmspc));
	assert_memory_equal(info->fmspc, fmspc, sizeof(fmspc));
}

static void check_td_qe(const struct ratls_qe_identity *identity)
{
	uint8_t mrsigner[32];

	assert_int_equal(identity->id, RATLS_QE_IDENTITY_TD_QE);
	assert_int_equal(identity->version, 2);
	hex_to_bytes("DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5", mrsigner,
		     32);
	assert_memory_equal(identity->mrsigner, mrsigner, 32);
	assert_int_equal(identity->isv_prod_id, 2);
	assert_int_equal(identity->miscselect_mask, 0xffffffffu);
	assert_int_equal(identity->level_count, 1);
	assert_int_equal(identity->levels[0].isv_svn, 4);
	assert_int_equal(identity->levels[0].status, RATLS_TCB_UP_TO_DATE);
}

static void check_sgx_qe(const struct ratls_qe_identity *identity)
{
	static const uint16_t svns[] = {8, 6, 5, 4, 2, 1};
	uint8_t mrsigner[32];

	assert_int_equal(identity->id, RATLS_QE_IDENTITY_QE);
	assert_string_equal(identity->id_text, "QE");
	hex_to_bytes("8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF", mrsigner,
		     32);
	assert_memory_equal(identity->mrsigner, mrsigner, 32);
	assert_int_equal(identity->isv_prod_id, 1);
	assert_int_equal(identity->level_count, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(identity->levels[i].isv_svn, svns[i]);
		assert_int_equal(identity->levels[i].status,
				 i == 0 ? RATLS_TCB_UP_TO_DATE : RATLS_TCB_OUT_OF_DATE);
	}
}

static void check_module_identities(const struct ratls_tcb_info *info)
{
	assert_int_equal(info->module_identity_count, 2);
	assert_string_equal(info->module_identities[0].id, "TDX_03");
	assert_string_equal(info->module_identities[1].id, "TDX_01");
	assert_int_equal(info->module_identities[0].levels[0].isv_svn, 3);
	assert_int_equal(info->module_identities[0].levels[0].status, RATLS_TCB_UP_TO_DATE);
	assert_true(info->has_tdx_module);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(info->tdx_module_attributes_mask[i], 0xff);
	for (size_t i = 0; i < 48; i++)
		assert_int_equal(info->tdx_module_mrsigner[i], 0);
}

static void corpus_bundle_tdx(void **state)
{
	struct ratls_collateral *c = load_bundle_file(BUNDLE_TDX);
	struct ratls_tcb_info *info = parse_collateral_tcb_info(c);
	struct ratls_qe_identity *identity = parse_collateral_qe_identity(c);

	(void)state;
	assert_int_equal(info->id, RATLS_TCB_INFO_TDX);
	assert_int_equal(info->version, 3);
	check_fmspc(info, "B0C06F000000");
	assert_int_equal(info->level_count, 2);
	assert_int_equal(info->levels[0].status, RATLS_TCB_UP_TO_DATE);
	assert_true(info->levels[0].has_tdx_svn);
	assert_int_equal(info->tcb_evaluation_data_number, 17);
	check_module_identities(info);
	assert_int_equal(info->module_identities[1].level_count, 2);
	assert_int_equal(info->module_identities[1].levels[0].isv_svn, 4);
	assert_int_equal(info->module_identities[1].levels[1].isv_svn, 2);
	assert_int_equal(info->module_identities[1].levels[1].status, RATLS_TCB_OUT_OF_DATE);
	check_td_qe(identity);

	assert_non_null(c->tcb_info_chain);
	assert_non_null(strstr(c->tcb_info_chain, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(c->pck_crl);
	assert_int_equal(c->pck_crl_size, 5326 / 2);
	assert_int_equal(c->root_crl_size, 584 / 2);
	assert_int_equal(c->pck_crl[0], 0x30);
	assert_int_equal(c->tcb_info.signature[0], 0x02);
	assert_int_equal(c->tcb_info.signature[1], 0x7e);
	assert_null(c->pck_chain);
	assert_true(c->tcb_info.body[0] == '{' && c->tcb_info.body[c->tcb_info.body_size - 1] == '}');

	ratls_tcb_info_free(info);
	ratls_qe_identity_free(identity);
	ratls_collateral_free(c);
}

static void corpus_bundle_sgx(void **state)
{
	struct ratls_collateral *c = load_bundle_file(BUNDLE_SGX);
	struct ratls_tcb_info *info = parse_collateral_tcb_info(c);
	struct ratls_qe_identity *identity = parse_collateral_qe_identity(c);

	(void)state;
	assert_int_equal(info->id, RATLS_TCB_INFO_SGX);
	check_fmspc(info, "00A067110000");
	assert_int_equal(info->level_count, 11);
	assert_int_equal(info->levels[0].status, RATLS_TCB_SW_HARDENING_NEEDED);
	assert_false(info->levels[0].has_tdx_svn);
	assert_false(info->has_tdx_module);
	assert_int_equal(info->module_identity_count, 0);
	check_sgx_qe(identity);
	ratls_tcb_info_free(info);
	ratls_qe_identity_free(identity);
	ratls_collateral_free(c);
}

static void corpus_bundle_others(void **state)
{
	static const struct {
		const char *file;
		enum ratls_tcb_info_id id;
		const char *fmspc;
		size_t levels;
		bool td_qe;
	} cases[] = {
		{BUNDLE_OUTDATED, RATLS_TCB_INFO_TDX, "90C06F000000", 3, true},
		{BUNDLE_NEAR, RATLS_TCB_INFO_TDX, "20a06f000000", 2, true},
		{BUNDLE_TDX_OLD_SGX, RATLS_TCB_INFO_SGX, "B0C06F000000", 2, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_collateral *c = load_bundle_file(cases[i].file);
		struct ratls_tcb_info *info = parse_collateral_tcb_info(c);
		struct ratls_qe_identity *identity = parse_collateral_qe_identity(c);

		print_message("%s\n", cases[i].file);
		assert_int_equal(info->id, cases[i].id);
		check_fmspc(info, cases[i].fmspc);
		assert_int_equal(info->level_count, cases[i].levels);
		assert_int_equal(info->levels[0].status, RATLS_TCB_UP_TO_DATE);
		if (cases[i].id == RATLS_TCB_INFO_TDX)
			check_module_identities(info);
		if (cases[i].td_qe)
			check_td_qe(identity);
		else
			check_sgx_qe(identity);
		ratls_tcb_info_free(info);
		ratls_qe_identity_free(identity);
		ratls_collateral_free(c);
	}
}

/* The span between the top-level member's value start and the "signature" member. */
static void expected_span(const struct buffer *body, const char *member, size_t *start,
			  size_t *end)
{
	char key[64];
	const char *text = (const char *)body->data;
	const char *at;
	const char *sig = NULL;
	const char *p;

	snprintf(key, sizeof(key), "\"%s\"", member);
	at = find_bytes(text, body->size, key);
	assert_non_null(at);
	at += strlen(key);
	while (*at == ' ' || *at == '\n' || *at == ':')
		at++;
	assert_int_equal(*at, '{');
	for (p = text; (p = find_bytes(p, body->size - (size_t)(p - text), "\"signature\"")) != NULL;
	     p++)
		sig = p;
	assert_non_null(sig);
	while (sig[-1] == ' ' || sig[-1] == '\n' || sig[-1] == ',')
		sig--;
	assert_int_equal(sig[-1], '}');
	*start = (size_t)(at - text);
	*end = (size_t)(sig - text);
}

static void corpus_pcs_tcb_info(void **state)
{
	struct buffer body = read_corpus(PCS_TCB_INFO);
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info;
	const uint8_t *raw = NULL;
	size_t raw_size = 0;
	size_t start;
	size_t end;
	uint8_t signature[64];

	(void)state;
	expect_ok(ratls_collateral_set_tcb_info(c, body.data, body.size, &detail), &detail);
	expected_span(&body, "tcbInfo", &start, &end);
	assert_int_equal(c->tcb_info.body_size, end - start);
	assert_memory_equal(c->tcb_info.body, body.data + start, end - start);
	expect_ok(ratls_json_member_raw(body.data, body.size, "tcbInfo", &raw, &raw_size, &detail),
		  &detail);
	assert_ptr_equal(raw, body.data + start);
	assert_int_equal(raw_size, end - start);
	hex_to_bytes("712eaa5c542f00e58358e33578e65b1cb29b20638d4732ff5343926d79be0d4b99a26d3f8d45"
		     "339d4aef90f3a09882bd3c17000a6e4c5bbe7e75212c45483a33",
		     signature, 64);
	assert_memory_not_equal(c->tcb_info.signature, signature, 64); /* that is the QE's */

	info = parse_collateral_tcb_info(c);
	assert_int_equal(info->id, RATLS_TCB_INFO_TDX);
	check_fmspc(info, "90c06f000000");
	assert_int_equal(info->tcb_evaluation_data_number, 18);
	assert_int_equal(info->level_count, 3);
	assert_int_equal(info->levels[0].status, RATLS_TCB_UP_TO_DATE);
	assert_int_equal(info->levels[0].advisories.count, 0);
	assert_int_equal(info->levels[1].status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(info->levels[1].advisories.count, 5);
	assert_string_equal(info->levels[1].advisories.ids[0], "INTEL-SA-01036");
	assert_string_equal(info->levels[1].advisories.ids[4], "INTEL-SA-01111");
	assert_int_equal(info->levels[2].pce_svn, 5);
	assert_int_equal(info->levels[2].advisories.count, 19);
	assert_int_equal(info->levels[0].tdx_svn[0], 5);
	assert_int_equal(info->levels[0].tdx_svn[2], 3);
	check_module_identities(info);
	assert_int_equal(info->module_identities[1].level_count, 3);
	assert_int_equal(info->module_identities[1].levels[0].isv_svn, 6);
	assert_int_equal(info->module_identities[1].levels[2].isv_svn, 2);
	assert_int_equal(info->module_identities[1].levels[1].advisories.count, 2);

	ratls_tcb_info_free(info);
	ratls_collateral_free(c);
	free(body.data);
}

static void corpus_pcs_qe_identity(void **state)
{
	struct buffer body = read_corpus(PCS_QE_IDENTITY);
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};
	struct ratls_qe_identity *identity;
	size_t start;
	size_t end;
	uint8_t signature[64];

	(void)state;
	expect_ok(ratls_collateral_set_qe_identity(c, body.data, body.size, &detail), &detail);
	expected_span(&body, "enclaveIdentity", &start, &end);
	assert_int_equal(c->qe_identity.body_size, end - start);
	assert_memory_equal(c->qe_identity.body, body.data + start, end - start);
	hex_to_bytes("712eaa5c542f00e58358e33578e65b1cb29b20638d4732ff5343926d79be0d4b99a26d3f8d45"
		     "339d4aef90f3a09882bd3c17000a6e4c5bbe7e75212c45483a33",
		     signature, 64);
	assert_memory_equal(c->qe_identity.signature, signature, 64);

	identity = parse_collateral_qe_identity(c);
	check_td_qe(identity);
	assert_int_equal(identity->tcb_evaluation_data_number, 18);
	assert_int_equal(identity->attributes[0], 0x11);
	assert_int_equal(identity->attributes_mask[0], 0xfb);
	ratls_qe_identity_free(identity);
	ratls_collateral_free(c);
	free(body.data);
}

static size_t count_text(const char *text, const char *needle)
{
	size_t count = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		count++;
	return count;
}

static void corpus_pcs_url_encoded_chains(void **state)
{
	static const struct {
		const char *file;
		enum ratls_chain_slot slot;
	} cases[] = {{PCS_TCB_CHAIN, RATLS_CHAIN_TCB_INFO},
		     {PCS_TCB_CHAIN, RATLS_CHAIN_QE_IDENTITY},
		     {PCS_PCK_CRL_CHAIN, RATLS_CHAIN_PCK_CRL}};
	struct ratls_collateral *c = ratls_collateral_new();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer text = read_corpus(cases[i].file);
		struct ratls_detail detail = {0};
		const char *chain;

		assert_int_equal(memcmp(text.data, "-----BEGIN%20CERTIFICATE-----%0A", 32), 0);
		expect_ok(ratls_collateral_set_chain(c, cases[i].slot, text.data, text.size,
						     &detail),
			  &detail);
		chain = cases[i].slot == RATLS_CHAIN_TCB_INFO      ? c->tcb_info_chain
			: cases[i].slot == RATLS_CHAIN_QE_IDENTITY ? c->qe_identity_chain
								   : c->pck_crl_chain;
		assert_non_null(chain);
		assert_null(strchr(chain, '%'));
		assert_int_equal(strncmp(chain, "-----BEGIN CERTIFICATE-----\nMIIC", 32), 0);
		assert_int_equal(count_text(chain, "-----BEGIN CERTIFICATE-----"), 2);
		assert_int_equal(count_text(chain, "-----END CERTIFICATE-----\n"), 2);
		/* "%2B" in the header is a '+' of the base64 body. */
		if (find_bytes(text.data, text.size, "%2B") != NULL)
			assert_non_null(strchr(chain, '+'));
		free(text.data);
	}
	ratls_collateral_free(c);
}

/* Encodes DER as PEM with 64-character lines, like OpenSSL writes it. */
static char *pem_encode(const char *label, const uint8_t *der, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t cap = size * 2 + 128;
	char *out = malloc(cap);
	size_t n = 0;
	size_t line = 0;

	assert_non_null(out);
	n += (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < size; i += 3) {
		uint32_t v = (uint32_t)der[i] << 16;
		size_t left = size - i;

		if (left > 1)
			v |= (uint32_t)der[i + 1] << 8;
		if (left > 2)
			v |= der[i + 2];
		out[n++] = alphabet[v >> 18 & 63];
		out[n++] = alphabet[v >> 12 & 63];
		out[n++] = left > 1 ? alphabet[v >> 6 & 63] : '=';
		out[n++] = left > 2 ? alphabet[v & 63] : '=';
		line += 4;
		if (line == 64) {
			out[n++] = '\n';
			line = 0;
		}
	}
	if (line != 0)
		out[n++] = '\n';
	n += (size_t)snprintf(out + n, cap - n, "-----END %s-----\n", label);
	return out;
}

static void corpus_crl_forms(void **state)
{
	static const char *const files[] = {PCS_PCK_CRL, PCS_ROOT_CRL};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct buffer der = read_corpus(files[i]);
		enum ratls_crl_slot slot = i == 0 ? RATLS_CRL_PCK : RATLS_CRL_ROOT;
		struct ratls_collateral *c = ratls_collateral_new();
		char *hex = malloc(2 * der.size + 8);
		char *pem = pem_encode("X509 CRL", der.data, der.size);
		char *pem_with_text;
		struct ratls_detail detail = {0};
		const char *forms[4];
		size_t form_sizes[4];

		assert_non_null(hex);
		ratls_hex_encode(der.data, der.size, hex);
		memcpy(hex + 2 * der.size, "\n", 2);
		pem_with_text = malloc(strlen(pem) + 64);
		assert_non_null(pem_with_text);
		snprintf(pem_with_text, strlen(pem) + 64, "Certificate Revocation List:\n%s", pem);

		forms[0] = (const char *)der.data;
		form_sizes[0] = der.size;
		forms[1] = hex;
		form_sizes[1] = strlen(hex);
		forms[2] = pem;
		form_sizes[2] = strlen(pem);
		forms[3] = pem_with_text;
		form_sizes[3] = strlen(pem_with_text);
		for (size_t f = 0; f < 4; f++) {
			uint8_t *input = copy_bytes(forms[f], form_sizes[f]);
			const uint8_t *stored;
			size_t stored_size;

			memset(&detail, 0, sizeof(detail));
			expect_ok(ratls_collateral_set_crl(c, slot, input, form_sizes[f], &detail),
				  &detail);
			stored = slot == RATLS_CRL_PCK ? c->pck_crl : c->root_crl;
			stored_size = slot == RATLS_CRL_PCK ? c->pck_crl_size : c->root_crl_size;
			assert_int_equal(stored_size, der.size);
			assert_memory_equal(stored, der.data, der.size);
			free(input);
		}
		free(pem_with_text);
		free(pem);
		free(hex);
		free(der.data);
		ratls_collateral_free(c);
	}
}

static void corpus_tcb_info_v2_pretty(void **state)
{
	struct buffer body = read_corpus(TCB_INFO_V2);
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};
	struct ratls_tcb_info *info;
	size_t start;
	size_t end;

	(void)state;
	expect_ok(ratls_collateral_set_tcb_info(c, body.data, body.size, &detail), &detail);
	expected_span(&body, "tcbInfo", &start, &end);
	assert_int_equal(c->tcb_info.body_size, end - start);
	assert_memory_equal(c->tcb_info.body, body.data + start, end - start);
	/* The pretty-printed span keeps its newlines: it is not re-serialised. */
	assert_non_null(memchr(c->tcb_info.body, '\n', c->tcb_info.body_size));
	assert_int_equal(c->tcb_info.signature[0], 0x66);
	assert_int_equal(c->tcb_info.signature[63], 0x31);

	info = parse_collateral_tcb_info(c);
	assert_int_equal(info->version, 2);
	assert_int_equal(info->id, RATLS_TCB_INFO_SGX);
	check_fmspc(info, "00606a000000");
	assert_int_equal(info->tcb_evaluation_data_number, 16);
	assert_int_equal(info->level_count, 9);
	assert_int_equal(info->levels[0].status, RATLS_TCB_SW_HARDENING_NEEDED);
	assert_int_equal(info->levels[0].sgx_svn[0], 12);
	assert_int_equal(info->levels[0].sgx_svn[4], 255);
	assert_int_equal(info->levels[0].pce_svn, 13);
	assert_int_equal(info->levels[0].tcb_date, 1691539200); /* 2023-08-09T00:00:00Z */
	assert_int_equal(info->levels[8].status, RATLS_TCB_OUT_OF_DATE);
	assert_int_equal(info->levels[8].pce_svn, 5);
	assert_false(info->levels[0].has_tdx_svn);
	ratls_tcb_info_free(info);
	ratls_collateral_free(c);
	free(body.data);
}

static void check_same_collateral(const struct ratls_collateral *a,
				  const struct ratls_collateral *b)
{
	assert_int_equal(a->tcb_info.body_size, b->tcb_info.body_size);
	assert_memory_equal(a->tcb_info.body, b->tcb_info.body, a->tcb_info.body_size);
	assert_memory_equal(a->tcb_info.signature, b->tcb_info.signature, 64);
	assert_int_equal(a->qe_identity.body_size, b->qe_identity.body_size);
	assert_memory_equal(a->qe_identity.body, b->qe_identity.body, a->qe_identity.body_size);
	assert_memory_equal(a->qe_identity.signature, b->qe_identity.signature, 64);
	assert_string_equal(a->tcb_info_chain, b->tcb_info_chain);
	assert_string_equal(a->qe_identity_chain, b->qe_identity_chain);
	assert_string_equal(a->pck_crl_chain, b->pck_crl_chain);
	assert_int_equal(a->pck_crl_size, b->pck_crl_size);
	assert_memory_equal(a->pck_crl, b->pck_crl, a->pck_crl_size);
	assert_int_equal(a->root_crl_size, b->root_crl_size);
	assert_memory_equal(a->root_crl, b->root_crl, a->root_crl_size);
	if (a->pck_chain == NULL)
		assert_null(b->pck_chain);
	else
		assert_string_equal(a->pck_chain, b->pck_chain);
}

static void round_trip(const struct ratls_collateral *c)
{
	struct ratls_collateral *again = ratls_collateral_new();
	struct ratls_detail detail = {0};
	char *text = snapshot(c);
	char *text_again;

	expect_ok(ratls_collateral_load_bundle(again, (const uint8_t *)text, strlen(text), &detail),
		  &detail);
	check_same_collateral(c, again);
	text_again = snapshot(again);
	assert_string_equal(text, text_again);
	free(text_again);
	free(text);
	ratls_collateral_free(again);
}

static void corpus_bundle_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_bundles) / sizeof(all_bundles[0]); i++) {
		struct ratls_collateral *c = load_bundle_file(all_bundles[i]);
		struct buffer original = read_corpus(all_bundles[i]);
		json_t *parsed = json_loadb((const char *)original.data, original.size, 0, NULL);

		print_message("%s\n", all_bundles[i]);
		round_trip(c);
		/* The bundle's tcb_info string is stored unchanged. */
		assert_non_null(parsed);
		assert_int_equal(c->tcb_info.body_size,
				 json_string_length(json_object_get(parsed, "tcb_info")));
		assert_memory_equal(c->tcb_info.body,
				    json_string_value(json_object_get(parsed, "tcb_info")),
				    c->tcb_info.body_size);
		json_decref(parsed);
		free(original.data);
		ratls_collateral_free(c);
	}
}

static struct ratls_collateral *load_pcs_collateral(void)
{
	static const struct {
		const char *file;
		enum ratls_chain_slot slot;
	} chains[] = {{PCS_TCB_CHAIN, RATLS_CHAIN_TCB_INFO},
		      {PCS_TCB_CHAIN, RATLS_CHAIN_QE_IDENTITY},
		      {PCS_PCK_CRL_CHAIN, RATLS_CHAIN_PCK_CRL}};
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};
	struct buffer b;

	b = read_corpus(PCS_TCB_INFO);
	expect_ok(ratls_collateral_set_tcb_info(c, b.data, b.size, &detail), &detail);
	free(b.data);
	b = read_corpus(PCS_QE_IDENTITY);
	expect_ok(ratls_collateral_set_qe_identity(c, b.data, b.size, &detail), &detail);
	free(b.data);
	for (size_t i = 0; i < 3; i++) {
		b = read_corpus(chains[i].file);
		expect_ok(ratls_collateral_set_chain(c, chains[i].slot, b.data, b.size, &detail),
			  &detail);
		free(b.data);
	}
	b = read_corpus(PCS_PCK_CRL);
	expect_ok(ratls_collateral_set_crl(c, RATLS_CRL_PCK, b.data, b.size, &detail), &detail);
	free(b.data);
	b = read_corpus(PCS_ROOT_CRL);
	expect_ok(ratls_collateral_set_crl(c, RATLS_CRL_ROOT, b.data, b.size, &detail), &detail);
	free(b.data);
	return c;
}

static void corpus_pcs_pieces_round_trip(void **state)
{
	struct ratls_collateral *c = load_pcs_collateral();
	struct ratls_detail detail = {0};
	struct buffer chain = read_corpus(PCS_TCB_CHAIN);

	(void)state;
	round_trip(c);
	/* With the optional PCK chain as well. */
	expect_ok(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK, chain.data, chain.size, &detail),
		  &detail);
	round_trip(c);
	free(chain.data);
	ratls_collateral_free(c);
}

/* Rewrites the byte fields of a bundle as uppercase hex or as number arrays. */
static void corpus_bundle_byte_forms(void **state)
{
	static const char *const byte_keys[] = {"root_ca_crl", "pck_crl", "tcb_info_signature",
						"qe_identity_signature"};
	struct ratls_collateral *reference = load_bundle_file(BUNDLE_SGX);
	struct buffer original = read_corpus(BUNDLE_SGX);

	(void)state;
	for (int form = 0; form < 2; form++) {
		json_t *root = json_loadb((const char *)original.data, original.size, 0, NULL);
		struct ratls_collateral *c = ratls_collateral_new();
		struct ratls_detail detail = {0};
		char *text;

		assert_non_null(root);
		for (size_t k = 0; k < 4; k++) {
			const char *hex = json_string_value(json_object_get(root, byte_keys[k]));
			size_t len = strlen(hex);
			char *upper = (char *)copy_bytes(hex, len + 1);
			json_t *array = json_array();

			for (size_t i = 0; i < len; i++)
				upper[i] = (char)(upper[i] >= 'a' && upper[i] <= 'f' ? upper[i] - 32
										      : upper[i]);
			for (size_t i = 0; i + 1 < len; i += 2) {
				uint8_t byte;

				hex_to_bytes((char[]){hex[i], hex[i + 1], '\0'}, &byte, 1);
				json_array_append_new(array, json_integer(byte));
			}
			if (form == 0) {
				json_object_set_new(root, byte_keys[k], json_string(upper));
				json_decref(array);
			} else {
				json_object_set_new(root, byte_keys[k], array);
			}
			free(upper);
		}
		json_object_set_new(root, "unknown_future_member", json_pack("{s:i}", "x", 1));
		text = dump_compact(root);
		expect_ok(ratls_collateral_load_bundle(c, (const uint8_t *)text, strlen(text),
						       &detail),
			  &detail);
		check_same_collateral(reference, c);
		free(text);
		json_decref(root);
		ratls_collateral_free(c);
	}
	free(original.data);
	ratls_collateral_free(reference);
}

/* Loads a mutated bundle into a collateral set that contains another bundle, expecting failure. */
static void expect_bundle_failure(const json_t *bundle, int code, const char *message_part)
{
	struct ratls_collateral *c = load_bundle_file(BUNDLE_TDX);
	char *before = snapshot(c);
	char *after;
	char *text = dump_compact(bundle);
	struct ratls_detail detail = {0};

	expect_failure(ratls_collateral_load_bundle(c, (const uint8_t *)text, strlen(text),
						    &detail),
		       &detail, code, message_part);
	after = snapshot(c);
	assert_string_equal(before, after);
	free(after);
	free(before);
	free(text);
	ratls_collateral_free(c);
}

static json_t *load_bundle_json(const char *name)
{
	struct buffer b = read_corpus(name);
	json_t *root = json_loadb((const char *)b.data, b.size, 0, NULL);

	assert_non_null(root);
	free(b.data);
	return root;
}

static void corpus_bundle_requires_fields(void **state)
{
	static const char *const keys[] = {"pck_crl_issuer_chain", "root_ca_crl", "pck_crl",
					   "tcb_info_issuer_chain", "tcb_info", "tcb_info_signature",
					   "qe_identity_issuer_chain", "qe_identity",
					   "qe_identity_signature"};

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *root = load_bundle_json(BUNDLE_SGX);
		char expected[96];

		json_object_del(root, keys[i]);
		snprintf(expected, sizeof(expected), "bundle.%s is missing", keys[i]);
		expect_bundle_failure(root, RATLS_ERR_MALFORMED, expected);
		json_object_set_new(root, keys[i], json_null());
		expect_bundle_failure(root, RATLS_ERR_MALFORMED, keys[i]);
		json_decref(root);
	}
}

static void corpus_bundle_rejects_bad_fields(void **state)
{
	static const struct {
		const char *key;
		const char *value; /* JSON text */
		int code;
		const char *message_part;
	} cases[] = {
		{"tcb_info_signature", "\"00\"", RATLS_ERR_MALFORMED,
		 "bundle.tcb_info_signature has 1 bytes, expected 64"},
		{"qe_identity_signature", "[1,2,3]", RATLS_ERR_MALFORMED,
		 "bundle.qe_identity_signature has 3 bytes, expected 64"},
		{"tcb_info_signature", "\"0x00\"", RATLS_ERR_MALFORMED, "not an even number of hex"},
		{"root_ca_crl", "\"308\"", RATLS_ERR_MALFORMED, "not an even number of hex"},
		{"root_ca_crl", "\"30 82\"", RATLS_ERR_MALFORMED, "not an even number of hex"},
		{"root_ca_crl", "\"\"", RATLS_ERR_MALFORMED, "does not parse as a DER X.509 CRL"},
		{"root_ca_crl", "\"3003020101\"", RATLS_ERR_MALFORMED, "bundle.root_ca_crl"},
		{"pck_crl", "[48, 256]", RATLS_ERR_MALFORMED, "bundle.pck_crl[1] is not an integer"},
		{"pck_crl", "[48, -1]", RATLS_ERR_MALFORMED, "bundle.pck_crl[1]"},
		{"pck_crl", "[48, \"1\"]", RATLS_ERR_MALFORMED, "bundle.pck_crl[1]"},
		{"pck_crl", "12", RATLS_ERR_MALFORMED, "neither a hex string nor an array"},
		{"tcb_info", "{\"id\":\"TDX\"}", RATLS_ERR_MALFORMED, "bundle.tcb_info is not a string"},
		{"tcb_info", "\"{}\"", RATLS_ERR_MALFORMED, "tcbInfo.version is missing"},
		{"tcb_info", "\"not json\"", RATLS_ERR_MALFORMED, "TCB info is not valid JSON"},
		{"qe_identity", "\"{\\\"version\\\":3}\"", RATLS_ERR_UNSUPPORTED_VERSION,
		 "enclaveIdentity.version is 3"},
		{"tcb_info_issuer_chain", "\"\"", RATLS_ERR_MALFORMED,
		 "bundle.tcb_info_issuer_chain is empty"},
		{"tcb_info_issuer_chain", "\"no certificates here\"", RATLS_ERR_MALFORMED,
		 "contains no \"-----BEGIN CERTIFICATE-----\" block"},
		{"qe_identity_issuer_chain", "7", RATLS_ERR_MALFORMED, "is not a string"},
		{"pck_certificate_chain", "\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
					  "CERTIFICATE-----\\n\"",
		 RATLS_ERR_MALFORMED, "certificate 1 of 1 does not parse"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *root = load_bundle_json(BUNDLE_SGX);
		json_t *value = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);

		print_message("case %zu: %s\n", i, cases[i].key);
		assert_non_null(value);
		json_object_set_new(root, cases[i].key, value);
		expect_bundle_failure(root, cases[i].code, cases[i].message_part);
		json_decref(root);
	}
}

static void corpus_bundle_rejects_duplicates(void **state)
{
	struct buffer b = read_corpus(BUNDLE_TDX);
	char *text = malloc(b.size + 1);
	char *dup;
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};

	(void)state;
	assert_non_null(text);
	memcpy(text, b.data, b.size);
	text[b.size] = '\0';
	dup = replace_once(text, "\"pck_crl\":", "\"pck_crl\": \"00\", \"pck_crl\":");
	expect_failure(ratls_collateral_load_bundle(c, (const uint8_t *)dup, strlen(dup), &detail),
		       &detail, RATLS_ERR_MALFORMED, "duplicate");
	assert_null(c->pck_crl);
	free(dup);
	free(text);
	free(b.data);
	ratls_collateral_free(c);
}

static void corpus_bundle_truncated(void **state)
{
	struct buffer b = read_corpus(BUNDLE_TDX);
	struct ratls_collateral *c = load_bundle_file(BUNDLE_SGX);
	char *before = snapshot(c);

	(void)state;
	for (size_t cut = 0; cut < b.size; cut += cut < 600 || cut > b.size - 600 ? 1 : 37) {
		struct ratls_detail detail = {0};
		uint8_t *prefix = copy_bytes(b.data, cut);
		int rc = ratls_collateral_load_bundle(c, prefix, cut, &detail);

		assert_int_equal(rc, RATLS_ERR_MALFORMED);
		assert_int_equal(detail.code, rc);
		free(prefix);
	}
	{
		char *after = snapshot(c);

		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	free(b.data);
	ratls_collateral_free(c);
}

static void corpus_bundle_keeps_absent_pck_chain(void **state)
{
	struct ratls_collateral *c = load_bundle_file(BUNDLE_TDX);
	json_t *root = load_bundle_json(BUNDLE_SGX);
	struct ratls_detail detail = {0};
	char *text;
	char *kept_chain;

	(void)state;
	expect_ok(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
					     (const uint8_t *)c->tcb_info_chain,
					     strlen(c->tcb_info_chain), &detail),
		  &detail);
	kept_chain = strdup(c->pck_chain);
	text = dump_compact(root);
	expect_ok(ratls_collateral_load_bundle(c, (const uint8_t *)text, strlen(text), &detail),
		  &detail);
	assert_string_equal(c->pck_chain, kept_chain);
	free(text);

	json_object_set_new(root, "pck_certificate_chain",
			    json_string(json_string_value(json_object_get(root,
									  "pck_crl_issuer_chain"))));
	text = dump_compact(root);
	expect_ok(ratls_collateral_load_bundle(c, (const uint8_t *)text, strlen(text), &detail),
		  &detail);
	assert_string_equal(c->pck_chain, c->pck_crl_chain);
	free(text);

	json_object_set_new(root, "pck_certificate_chain", json_null());
	text = dump_compact(root);
	expect_ok(ratls_collateral_load_bundle(c, (const uint8_t *)text, strlen(text), &detail),
		  &detail);
	assert_string_equal(c->pck_chain, c->pck_crl_chain);
	free(text);
	free(kept_chain);
	json_decref(root);
	ratls_collateral_free(c);
}

static void bundle_rejects_oversized_and_bad_arguments(void **state)
{
	size_t size = RATLS_COLLATERAL_BUNDLE_MAX_SIZE + 1;
	uint8_t *big = malloc(size);
	struct ratls_collateral *c = ratls_collateral_new();
	struct ratls_detail detail = {0};
	char *out = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', size);
	expect_failure(ratls_collateral_load_bundle(c, big, size, &detail), &detail,
		       RATLS_ERR_LIMIT_EXCEEDED, "collateral bundle is");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_load_bundle(NULL, big, 2, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_load_bundle(c, (const uint8_t *)"[]", 2, &detail), &detail,
		       RATLS_ERR_MALFORMED, "expected a JSON object");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_write_bundle(c, &out, &detail), &detail,
		       RATLS_ERR_COLLATERAL_MISSING, "pck_crl_issuer_chain");
	assert_null(out);
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_write_bundle(NULL, &out, &detail), &detail,
		       RATLS_ERR_INVALID_ARGUMENT, NULL);
	ratls_collateral_free(c);
	ratls_collateral_free(NULL);
	free(big);
}

static void corpus_write_requires_every_piece(void **state)
{
	struct ratls_collateral *c = load_pcs_collateral();
	struct ratls_detail detail = {0};
	char *out = NULL;

	(void)state;
	free(c->root_crl);
	c->root_crl = NULL;
	c->root_crl_size = 0;
	expect_failure(ratls_collateral_write_bundle(c, &out, &detail), &detail,
		       RATLS_ERR_COLLATERAL_MISSING, "root_ca_crl");
	assert_null(out);

	/* A body set by hand that is not UTF-8 cannot be written as a JSON string. */
	{
		struct ratls_collateral *d = load_pcs_collateral();

		d->qe_identity.body[1] = (uint8_t)0xff;
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_collateral_write_bundle(d, &out, &detail), &detail,
			       RATLS_ERR_MALFORMED, "bundle.qe_identity");
		ratls_collateral_free(d);
	}
	ratls_collateral_free(c);
}

/* ---- setters: PCS bodies, chains and CRLs ---- */

/* Headers of an encrypted PEM block (RFC 1421), which OpenSSL would ask a password for. */
#define ENCRYPTED_PEM_HEADER \
	"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"

static void corpus_set_tcb_info_rejects_bad_bodies(void **state)
{
	struct buffer body = read_corpus(PCS_TCB_INFO);
	char *text = malloc(body.size + 1);
	struct ratls_collateral *c = load_pcs_collateral();
	char *before = snapshot(c);
	const struct {
		const char *from;
		const char *to;
		int code;
		const char *message_part;
	} cases[] = {
		{"{\"tcbInfo\":", "{\"tcbInfo\":1,\"tcbInfo\":", RATLS_ERR_MALFORMED, "duplicate"},
		{"{\"tcbInfo\":", "{\"tcbInf\":", RATLS_ERR_MALFORMED,
		 "TCB info response body.tcbInfo is missing"},
		{"\"signature\":\"", "\"signature\":\"00", RATLS_ERR_MALFORMED,
		 "TCB info response body.signature"},
		{"\"signature\":", "\"signatures\":", RATLS_ERR_MALFORMED, "signature is missing"},
		{"\"fmspc\":\"90c06f000000\"", "\"fmspc\":\"90c06f\"", RATLS_ERR_MALFORMED,
		 "tcbInfo.fmspc \"90c06f\" has 3 bytes, expected 6"},
		{"\"version\":3", "\"version\":4", RATLS_ERR_UNSUPPORTED_VERSION, "tcbInfo.version"},
		{"\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"upToDate\"", RATLS_ERR_MALFORMED,
		 "is not a TCB status"},
	};

	(void)state;
	assert_non_null(text);
	memcpy(text, body.data, body.size);
	text[body.size] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = replace_once(text, cases[i].from, cases[i].to);
		struct ratls_detail detail = {0};
		char *after;

		expect_failure(ratls_collateral_set_tcb_info(c, (const uint8_t *)bad, strlen(bad),
							     &detail),
			       &detail, cases[i].code, cases[i].message_part);
		after = snapshot(c);
		assert_string_equal(before, after);
		free(after);
		free(bad);
	}

	/* A tcbInfo that is not an object. */
	{
		struct ratls_detail detail = {0};
		const char *body_text = "{\"tcbInfo\":\"x\",\"signature\":\"00\"}";

		expect_failure(ratls_collateral_set_tcb_info(c, (const uint8_t *)body_text,
							     strlen(body_text), &detail),
			       &detail, RATLS_ERR_MALFORMED,
			       "TCB info response body.tcbInfo is a string, expected an object");
	}

	/* Every truncation of the body fails and changes nothing. */
	for (size_t cut = 0; cut < body.size; cut += 7) {
		struct ratls_detail detail = {0};
		uint8_t *prefix = copy_bytes(body.data, cut);

		assert_int_not_equal(ratls_collateral_set_tcb_info(c, prefix, cut, &detail),
				     RATLS_OK);
		assert_int_not_equal(detail.code, RATLS_OK);
		free(prefix);
	}
	{
		char *after = snapshot(c);

		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	free(text);
	free(body.data);
	ratls_collateral_free(c);
}

static void corpus_set_qe_identity_rejects_bad_bodies(void **state)
{
	struct buffer body = read_corpus(PCS_QE_IDENTITY);
	char *text = malloc(body.size + 1);
	struct ratls_collateral *c = load_pcs_collateral();
	char *before = snapshot(c);
	char *after;
	char *bad;
	struct ratls_detail detail = {0};

	(void)state;
	assert_non_null(text);
	memcpy(text, body.data, body.size);
	text[body.size] = '\0';
	bad = replace_once(text, "\"isvprodid\":2", "\"isvprodid\":\"2\"");
	expect_failure(ratls_collateral_set_qe_identity(c, (const uint8_t *)bad, strlen(bad),
							&detail),
		       &detail, RATLS_ERR_MALFORMED, "enclaveIdentity.isvprodid is a string");
	free(bad);
	bad = replace_once(text, "{\"enclaveIdentity\":", "{\"tcbInfo\":");
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_set_qe_identity(c, (const uint8_t *)bad, strlen(bad),
							&detail),
		       &detail, RATLS_ERR_MALFORMED, "enclaveIdentity is missing");
	free(bad);
	/* A TCB info body is not a QE identity body, and the other way round. */
	memset(&detail, 0, sizeof(detail));
	expect_failure(ratls_collateral_set_tcb_info(c, body.data, body.size, &detail), &detail,
		       RATLS_ERR_MALFORMED, "tcbInfo is missing");
	after = snapshot(c);
	assert_string_equal(before, after);
	free(after);
	free(before);
	free(text);
	free(body.data);
	ratls_collateral_free(c);
}

static void corpus_set_chain_rejects_bad_text(void **state)
{
	struct ratls_collateral *c = load_pcs_collateral();
	char *before = snapshot(c);
	char *valid = strdup(c->tcb_info_chain);
	char *with_nul = strdup(valid);
	char *with_high_byte = strdup(valid);
	char *corrupt_second;
	char *oversized;
	size_t oversized_size = 3 * RATLS_CHAIN_MAX_SIZE + 1;
	char *long_pem;
	const struct {
		const char *text;
		size_t size;
		int code;
		const char *message_part;
	} *test, cases[] = {
		{"", 0, RATLS_ERR_MALFORMED, "TCB info issuer chain is empty"},
		{"garbage", 7, RATLS_ERR_MALFORMED, "contains no \"-----BEGIN CERTIFICATE-----\""},
		{"-----BEGIN%20CERTIFICATE-----%0AMII%ZZ", 38, RATLS_ERR_MALFORMED,
		 "invalid percent escape"},
		{"-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A", 69,
		 RATLS_ERR_MALFORMED, "certificate 1 of 1 does not parse"},
		{"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", 53,
		 RATLS_ERR_MALFORMED, "contains no \"-----BEGIN CERTIFICATE-----\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_detail detail = {0};
		uint8_t *input;

		test = &cases[i];
		input = copy_bytes(test->text, test->size);
		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_TCB_INFO, input,
							  test->size, &detail),
			       &detail, test->code, test->message_part);
		free(input);
	}

	with_nul[100] = '\0';
	with_high_byte[100] = (char)0xc3;
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
							  (const uint8_t *)with_nul, strlen(valid),
							  &detail),
			       &detail, RATLS_ERR_MALFORMED, "has byte 0x00 at offset 100");
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
							  (const uint8_t *)with_high_byte,
							  strlen(valid), &detail),
			       &detail, RATLS_ERR_MALFORMED, "has byte 0xc3 at offset 100");
	}

	/* An encrypted PEM block fails without a password prompt. */
	{
		struct ratls_detail detail = {0};
		char *encrypted = replace_once(valid, "-----BEGIN CERTIFICATE-----\n",
					       "-----BEGIN CERTIFICATE-----\n" ENCRYPTED_PEM_HEADER);

		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
							  (const uint8_t *)encrypted,
							  strlen(encrypted), &detail),
			       &detail, RATLS_ERR_MALFORMED, "certificate 1 of 2 does not parse");
		free(encrypted);
	}

	/* The second certificate is cut short. */
	corrupt_second = strdup(valid);
	memcpy(strrchr(corrupt_second, '=') - 40, "\n-----END CERTIFICATE-----\n",
	       sizeof("\n-----END CERTIFICATE-----\n"));
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK_CRL,
							  (const uint8_t *)corrupt_second,
							  strlen(corrupt_second), &detail),
			       &detail, RATLS_ERR_MALFORMED, "certificate 2 of 2 does not parse");
	}

	oversized = malloc(oversized_size);
	assert_non_null(oversized);
	memset(oversized, 'A', oversized_size);
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
							  (const uint8_t *)oversized,
							  oversized_size, &detail),
			       &detail, RATLS_ERR_LIMIT_EXCEEDED, "more than the limit");
	}
	/* Over the PEM limit once decoded: the valid chain repeated past 64 KiB. */
	long_pem = malloc(RATLS_CHAIN_MAX_SIZE + strlen(valid) + 1);
	assert_non_null(long_pem);
	{
		size_t used = 0;

		while (used <= RATLS_CHAIN_MAX_SIZE) {
			memcpy(long_pem + used, valid, strlen(valid) + 1);
			used += strlen(valid);
		}
	}
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_chain(c, RATLS_CHAIN_PCK,
							  (const uint8_t *)long_pem,
							  strlen(long_pem), &detail),
			       &detail, RATLS_ERR_LIMIT_EXCEEDED, "bytes of PEM");
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_collateral_set_chain(c, (enum ratls_chain_slot)9,
							  (const uint8_t *)valid, strlen(valid),
							  &detail),
			       &detail, RATLS_ERR_INVALID_ARGUMENT, "chain slot 9");
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_collateral_set_chain(NULL, RATLS_CHAIN_PCK,
							  (const uint8_t *)valid, strlen(valid),
							  &detail),
			       &detail, RATLS_ERR_INVALID_ARGUMENT, NULL);
	}

	{
		char *after = snapshot(c);

		assert_string_equal(before, after);
		assert_null(c->pck_chain);
		free(after);
	}
	free(long_pem);
	free(oversized);
	free(corrupt_second);
	free(with_high_byte);
	free(with_nul);
	free(valid);
	free(before);
	ratls_collateral_free(c);
}

static void corpus_set_crl_rejects_garbage(void **state)
{
	struct ratls_collateral *c = load_pcs_collateral();
	char *before = snapshot(c);
	struct buffer der = read_corpus(PCS_ROOT_CRL);
	uint8_t *trailing = malloc(der.size + 1);
	char *pem = pem_encode("X509 CRL", der.data, der.size);
	char *two_pems = malloc(2 * strlen(pem) + 1);
	char *bad_pem = pem_encode("X509 CRL", (const uint8_t *)"\x30\x03\x02\x01\x01", 5);
	size_t oversized_size = 3 * (size_t)RATLS_CRL_MAX_SIZE + 1;
	uint8_t *oversized = malloc(oversized_size);
	uint8_t *big_der_hex;
	size_t big_der_hex_size = 2 * ((size_t)RATLS_CRL_MAX_SIZE + 2);
	const struct {
		const uint8_t *data;
		size_t size;
		int code;
		const char *message_part;
	} *test, cases[] = {
		{(const uint8_t *)"", 0, RATLS_ERR_MALFORMED, "PCK CRL is empty"},
		{(const uint8_t *)"\x30\x03\x02\x01\x01", 5, RATLS_ERR_MALFORMED,
		 "does not parse as a DER X.509 CRL"},
		{(const uint8_t *)"\x30\x82\xff", 3, RATLS_ERR_MALFORMED,
		 "does not parse as a DER X.509 CRL"},
		{(const uint8_t *)"3003020101", 10, RATLS_ERR_MALFORMED,
		 "PCK CRL (5 bytes) does not parse"},
		{(const uint8_t *)"30 03 02 01 01\n", 15, RATLS_ERR_MALFORMED, "(5 bytes)"},
		{(const uint8_t *)"abc", 3, RATLS_ERR_MALFORMED, "(3 bytes) does not parse"},
		{(const uint8_t *)bad_pem, strlen(bad_pem), RATLS_ERR_MALFORMED,
		 "does not parse as a DER X.509 CRL"},
		{(const uint8_t *)"-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n", 52,
		 RATLS_ERR_MALFORMED, "PEM CRL block does not decode"},
		{(const uint8_t *)"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		 58, RATLS_ERR_MALFORMED, "contains 0 PEM CRL blocks"},
	};

	(void)state;
	assert_non_null(trailing);
	assert_non_null(two_pems);
	assert_non_null(oversized);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratls_detail detail = {0};
		uint8_t *input;

		test = &cases[i];
		input = copy_bytes(test->data, test->size);
		print_message("case %zu\n", i);
		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_PCK, input, test->size,
							&detail),
			       &detail, test->code, test->message_part);
		free(input);
	}

	memcpy(trailing, der.data, der.size);
	trailing[der.size] = 0;
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_ROOT, trailing, der.size + 1,
							&detail),
			       &detail, RATLS_ERR_MALFORMED, "has 1 bytes after the DER CRL");
	}

	{
		struct ratls_detail detail = {0};
		char *encrypted = replace_once(pem, "-----BEGIN X509 CRL-----\n",
					       "-----BEGIN X509 CRL-----\n" ENCRYPTED_PEM_HEADER);

		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_ROOT,
							(const uint8_t *)encrypted,
							strlen(encrypted), &detail),
			       &detail, RATLS_ERR_MALFORMED, "PEM CRL block does not decode");
		free(encrypted);
	}

	snprintf(two_pems, 2 * strlen(pem) + 1, "%s%s", pem, pem);
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_ROOT,
							(const uint8_t *)two_pems,
							strlen(two_pems), &detail),
			       &detail, RATLS_ERR_MALFORMED, "contains 2 PEM CRL blocks");
	}

	memset(oversized, '0', oversized_size);
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_ROOT, oversized,
							oversized_size, &detail),
			       &detail, RATLS_ERR_LIMIT_EXCEEDED, "more than the limit");
	}
	big_der_hex = malloc(big_der_hex_size);
	assert_non_null(big_der_hex);
	memset(big_der_hex, 'a', big_der_hex_size);
	{
		struct ratls_detail detail = {0};

		expect_failure(ratls_collateral_set_crl(c, RATLS_CRL_ROOT, big_der_hex,
							big_der_hex_size, &detail),
			       &detail, RATLS_ERR_LIMIT_EXCEEDED, "bytes of DER");
		memset(&detail, 0, sizeof(detail));
		expect_failure(ratls_collateral_set_crl(c, (enum ratls_crl_slot)0, der.data,
							der.size, &detail),
			       &detail, RATLS_ERR_INVALID_ARGUMENT, "CRL slot 0");
	}

	{
		char *after = snapshot(c);

		assert_string_equal(before, after);
		free(after);
	}
	free(big_der_hex);
	free(oversized);
	free(bad_pem);
	free(two_pems);
	free(pem);
	free(trailing);
	free(der.data);
	free(before);
	ratls_collateral_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcb_status_names_round_trip),
		cmocka_unit_test(tcb_status_rejects_unknown),
		cmocka_unit_test(json_member_raw_finds_values),
		cmocka_unit_test(json_member_raw_rejects_bad_json),
		cmocka_unit_test(json_member_raw_limits_depth),
		cmocka_unit_test(json_member_raw_rejects_null_arguments),
		cmocka_unit_test(json_member_raw_truncated_everywhere),
		cmocka_unit_test(tcb_info_synthetic_parses),
		cmocka_unit_test(tcb_info_rejects_bad_hex),
		cmocka_unit_test(tcb_info_rejects_bad_module_hex),
		cmocka_unit_test(tcb_info_requires_16_components),
		cmocka_unit_test(tcb_info_rejects_bad_svn),
		cmocka_unit_test(tcb_info_rejects_unknown_status),
		cmocka_unit_test(tcb_info_rejects_bad_version),
		cmocka_unit_test(tcb_info_rejects_bad_id),
		cmocka_unit_test(tcb_info_rejects_bad_dates),
		cmocka_unit_test(tcb_info_requires_fields),
		cmocka_unit_test(tcb_info_optional_fields),
		cmocka_unit_test(tcb_info_rejects_empty_levels),
		cmocka_unit_test(tcb_info_enforces_limits),
		cmocka_unit_test(tcb_info_rejects_bad_module_identity),
		cmocka_unit_test(tcb_info_rejects_duplicates_and_bad_json),
		cmocka_unit_test(tcb_info_rejects_oversized),
		cmocka_unit_test(tcb_info_truncated_everywhere),
		cmocka_unit_test(tcb_info_v2_synthetic),
		cmocka_unit_test(qe_identity_synthetic_parses),
		cmocka_unit_test(qe_identity_miscselect_is_big_endian),
		cmocka_unit_test(qe_identity_rejects_bad_fields),
		cmocka_unit_test(qe_identity_requires_fields),
		cmocka_unit_test(qe_identity_limits_levels),
		cmocka_unit_test(qe_identity_truncated_everywhere),
		cmocka_unit_test(bundle_rejects_oversized_and_bad_arguments),
		cmocka_unit_test(corpus_bundle_tdx),
		cmocka_unit_test(corpus_bundle_sgx),
		cmocka_unit_test(corpus_bundle_others),
		cmocka_unit_test(corpus_pcs_tcb_info),
		cmocka_unit_test(corpus_pcs_qe_identity),
		cmocka_unit_test(corpus_pcs_url_encoded_chains),
		cmocka_unit_test(corpus_crl_forms),
		cmocka_unit_test(corpus_tcb_info_v2_pretty),
		cmocka_unit_test(corpus_bundle_round_trip),
		cmocka_unit_test(corpus_pcs_pieces_round_trip),
		cmocka_unit_test(corpus_bundle_byte_forms),
		cmocka_unit_test(corpus_bundle_requires_fields),
		cmocka_unit_test(corpus_bundle_rejects_bad_fields),
		cmocka_unit_test(corpus_bundle_rejects_duplicates),
		cmocka_unit_test(corpus_bundle_truncated),
		cmocka_unit_test(corpus_bundle_keeps_absent_pck_chain),
		cmocka_unit_test(corpus_write_requires_every_piece),
		cmocka_unit_test(corpus_set_tcb_info_rejects_bad_bodies),
		cmocka_unit_test(corpus_set_qe_identity_rejects_bad_bodies),
		cmocka_unit_test(corpus_set_chain_rejects_bad_text),
		cmocka_unit_test(corpus_set_crl_rejects_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
