/*
 * TCB evaluation, QE identity, TDX module identity and policy appraisal on
 * the simulated platform. Every case starts from the platform defaults (all
 * UpToDate), changes one thing in the collateral parameters or in the quote,
 * verifies at SIMTEST_NOW and checks the exact code, or the exact statuses
 * and advisory IDs. One cmocka test runs per table row, so a failure names
 * its case.
 *
 * Expected values follow Intel's Quote Verification Library
 * (intel/SGX-TDX-DCAP-QuoteVerificationLibrary: TcbLevelCheck.cpp,
 * TdxModuleCheck.cpp, EnclaveReportVerifier.cpp, EnclaveIdentityV2.cpp,
 * TcbStatus.h). Rows where ratls differs from it carry the difference in
 * intel_gap and are skipped after printing what ratls returns today.
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

#include "ratls/collateral.h"
#include "ratls/dcap.h"
#include "ratls/error.h"
#include "ratls/log.h"
#include "ratls/policy.h"
#include "ratls/sim.h"
#include "sim_helpers.h"

/* Maximum number of advisory IDs a row sets on one level or expects in a report. */
#define ROW_ADVISORIES_MAX 8

struct tcb_case;

/* Changes the platform parameters before the platform and its collateral are issued. */
typedef void (*platform_edit_fn)(struct ratls_sim_platform_params *params,
				 const struct tcb_case *c);
/* Changes the quote parameters before the quote is issued. */
typedef void (*quote_edit_fn)(struct ratls_sim_quote_params *params, const struct tcb_case *c);

/* A status and advisory IDs written into the level the default quote matches. */
struct level_setting {
	bool set;
	enum ratls_tcb_status status;
	const char *advisories[ROW_ADVISORIES_MAX]; /* NULL-terminated */
};

/* The TCB part of a verified report that a row expects. */
struct tcb_expect {
	enum ratls_tcb_status status;
	enum ratls_tcb_status platform_status;
	enum ratls_tcb_status qe_status;
	bool has_module_status;
	enum ratls_tcb_status module_status;
	const char *module_identity_id; /* NULL expects "" */
	uint16_t qe_isv_svn;            /* 0 skips the check */
	const char *advisories[ROW_ADVISORIES_MAX]; /* NULL-terminated, in report order */
};

struct tcb_case {
	const char *name;
	enum ratls_sim_quote_format format;
	platform_edit_fn edit_platform;
	quote_edit_fn edit_quote;
	/* Applied before edit_platform, to the first (matching) level of each document. */
	struct level_setting platform_level;
	struct level_setting module_level;
	struct level_setting qe_level;
	int expected_rc;
	const char *detail_substring;
	/* Checked when expected_rc is RATLS_OK or RATLS_ERR_TCB_REVOKED. */
	struct tcb_expect expect;
	/* Difference from Intel's QVL. A row that sets it is skipped after printing it. */
	const char *intel_gap;
};

/* Module identity TDX_01, selected by the default TEE_TCB_SVN[1] = 1. */
#define MODULE_TDX_01 .has_module_status = true, .module_identity_id = "TDX_01"

#define UP_TO_DATE RATLS_TCB_UP_TO_DATE
#define SW_HARDENING_NEEDED RATLS_TCB_SW_HARDENING_NEEDED
#define CONFIGURATION_NEEDED RATLS_TCB_CONFIGURATION_NEEDED
#define CONFIGURATION_AND_SW_HARDENING_NEEDED RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED
#define OUT_OF_DATE RATLS_TCB_OUT_OF_DATE
#define OUT_OF_DATE_CONFIGURATION_NEEDED RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED
#define REVOKED RATLS_TCB_REVOKED

/* Advisory IDs of the default OutOfDate levels (platform, TDX module, QE). */
#define DEFAULT_PLATFORM_ADVISORY "SIM-SA-00001"
#define DEFAULT_MODULE_ADVISORY "SIM-SA-00002"
#define DEFAULT_QE_ADVISORY "SIM-SA-00003"

/* ---- running a case ---- */

static bool format_is_td(enum ratls_sim_quote_format format)
{
	return format != RATLS_SIM_QUOTE_SGX_V3;
}

static struct ratls_sim_tcb_info_params *case_tcb_info(struct ratls_sim_platform_params *p,
						       const struct tcb_case *c)
{
	return format_is_td(c->format) ? &p->tdx_tcb_info : &p->sgx_tcb_info;
}

static struct ratls_sim_qe_identity_params *case_qe_identity(struct ratls_sim_platform_params *p,
							     const struct tcb_case *c)
{
	return format_is_td(c->format) ? &p->td_qe_identity : &p->qe_identity;
}

static void set_advisories(char (*slots)[RATLS_SIM_ADVISORY_ID_SIZE], size_t *count,
			   const char *const *ids)
{
	*count = 0;
	for (size_t i = 0; i < ROW_ADVISORIES_MAX && ids[i] != NULL; i++) {
		assert_true(i < RATLS_SIM_ADVISORIES_MAX);
		snprintf(slots[i], RATLS_SIM_ADVISORY_ID_SIZE, "%s", ids[i]);
		(*count)++;
	}
}

/* Writes the row's level settings into the levels the default quote matches. */
static void apply_level_settings(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	if (c->platform_level.set) {
		struct ratls_sim_tcb_level *level = &case_tcb_info(p, c)->levels[0];

		level->status = c->platform_level.status;
		set_advisories(level->advisory_ids, &level->advisory_count,
			       c->platform_level.advisories);
	}
	if (c->module_level.set) {
		struct ratls_sim_isv_level *level = &p->tdx_tcb_info.module_identities[0].levels[0];

		level->status = c->module_level.status;
		set_advisories(level->advisory_ids, &level->advisory_count,
			       c->module_level.advisories);
	}
	if (c->qe_level.set) {
		struct ratls_sim_isv_level *level = &case_qe_identity(p, c)->levels[0];

		level->status = c->qe_level.status;
		set_advisories(level->advisory_ids, &level->advisory_count, c->qe_level.advisories);
	}
}

/*
 * Issues the row's platform, collateral and quote and verifies the quote at
 * SIMTEST_NOW with the simulated root. Returns the verifier's code.
 */
static int run_case(const struct tcb_case *c, struct ratls_verified_report *report,
		    struct ratls_detail *detail)
{
	struct ratls_sim_platform_params *params = calloc(1, sizeof(*params));
	struct ratls_sim_quote_params quote_params;
	struct ratls_sim_platform *platform;
	struct ratls_collateral *collateral;
	uint8_t *root_der, *quote;
	size_t root_der_size = 0, quote_size = 0;
	int rc;

	assert_non_null(params);
	simtest_platform_defaults(params);
	apply_level_settings(params, c);
	if (c->edit_platform != NULL)
		c->edit_platform(params, c);
	platform = simtest_platform_new(NULL, params);
	root_der = simtest_root_der(platform, &root_der_size);
	/* Collateral whose levels carry statuses Intel rejects fails when it is stored. */
	collateral = ratls_collateral_new();
	assert_non_null(collateral);
	memset(detail, 0, sizeof(*detail));
	rc = ratls_sim_platform_collateral(platform, simtest_format_tee(c->format), SIMTEST_NOW,
					   collateral, detail);
	if (rc != RATLS_OK) {
		ratls_collateral_free(collateral);
		ratls_sim_free(root_der);
		ratls_sim_platform_free(platform);
		free(params);
		return rc;
	}

	ratls_sim_platform_quote_defaults(platform, c->format, &quote_params);
	if (c->edit_quote != NULL)
		c->edit_quote(&quote_params, c);
	quote = simtest_quote_new_with(platform, &quote_params, &quote_size);

	rc = simtest_verify(quote, quote_size, collateral, SIMTEST_NOW, root_der, root_der_size,
			    report, detail);

	ratls_sim_free(quote);
	ratls_collateral_free(collateral);
	ratls_sim_free(root_der);
	ratls_sim_platform_free(platform);
	free(params);
	return rc;
}

static void assert_status(const char *what, enum ratls_tcb_status seen,
			  enum ratls_tcb_status expected)
{
	if (seen != expected)
		print_error("%s is %s, expected %s\n", what, ratls_tcb_status_name(seen),
			    ratls_tcb_status_name(expected));
	assert_int_equal(seen, expected);
}

static void assert_tcb(const struct ratls_verified_report *r, const struct tcb_expect *e)
{
	size_t count = 0;

	assert_status("status", r->status, e->status);
	assert_status("platform_status", r->platform_status, e->platform_status);
	assert_status("qe_status", r->qe_status, e->qe_status);
	assert_int_equal(r->has_module_status, e->has_module_status);
	if (e->has_module_status)
		assert_status("module_status", r->module_status, e->module_status);
	assert_string_equal(r->module_identity_id,
			    e->module_identity_id != NULL ? e->module_identity_id : "");
	if (e->qe_isv_svn != 0)
		assert_int_equal(r->qe_isv_svn, e->qe_isv_svn);

	while (count < ROW_ADVISORIES_MAX && e->advisories[count] != NULL)
		count++;
	if (r->advisory_count != count) {
		for (size_t i = 0; i < r->advisory_count; i++)
			print_error("report advisory %zu: %s\n", i, r->advisory_ids[i]);
	}
	assert_int_equal(r->advisory_count, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(r->advisory_ids[i], e->advisories[i]);
}

/* Prints what ratls returns today for a row that documents a difference from Intel's QVL. */
static void skip_intel_gap(const struct tcb_case *c, struct ratls_verified_report *report)
{
	struct ratls_detail detail;
	int rc = run_case(c, report, &detail);

	print_message("ratls differs from Intel's QVL: %s\n", c->intel_gap);
	print_message("ratls returns %s, status %s (%s); the row expects %s, status %s\n",
		      ratls_error_name(rc), ratls_tcb_status_name(report->status), detail.message,
		      ratls_error_name(c->expected_rc), ratls_tcb_status_name(c->expect.status));
	free(report);
	skip();
}

static void test_tcb_case(void **state)
{
	const struct tcb_case *c = *state;
	struct ratls_verified_report *report = calloc(1, sizeof(*report));
	struct ratls_detail detail;
	int rc;

	assert_non_null(report);
	if (c->intel_gap != NULL)
		skip_intel_gap(c, report);
	rc = run_case(c, report, &detail);
	simtest_assert_code(rc, &detail, c->expected_rc, c->detail_substring);
	if (rc == RATLS_OK || rc == RATLS_ERR_TCB_REVOKED)
		assert_tcb(report, &c->expect);
	free(report);
}

/* ---- edits: PCK certificate and platform TCB levels ---- */

/* Sets one SGX TCB component of the PCK certificate (and the CPUSVN byte that mirrors it). */
static void set_pck_component(struct ratls_sim_platform_params *p, int index, uint8_t svn)
{
	p->pck.pck.tcb_comp_svn[index] = svn;
	p->pck.pck.cpu_svn[index] = svn;
}

static void edit_pck_component0_below_first(struct ratls_sim_platform_params *p,
					    const struct tcb_case *c)
{
	(void)c;
	set_pck_component(p, 0, 2); /* UpToDate needs 3, OutOfDate 2 */
}

static void edit_pck_component7_below_all(struct ratls_sim_platform_params *p,
					  const struct tcb_case *c)
{
	(void)c;
	set_pck_component(p, 7, 4); /* both levels need 5 */
}

static void edit_level0_component15(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	case_tcb_info(p, c)->levels[0].sgx_svn[15] = 1; /* the PCK certificate has 0 */
}

static void edit_pce_below_first(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	case_tcb_info(p, c)->levels[1].pce_svn = 10;
	p->pck.pck.pce_svn = 10; /* UpToDate needs 11 */
}

static void edit_pce_below_all(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	(void)c;
	p->pck.pck.pce_svn = 10; /* both levels need 11 */
}

static void edit_level0_tdx_component15(struct ratls_sim_platform_params *p,
					const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.levels[0].tdx_svn[15] = 1; /* TEE_TCB_SVN[15] is 0 */
}

/* Bytes 0 and 1 above the quote's, which only matters if they are compared. */
static void edit_level0_tdx_module_bytes_high(struct ratls_sim_platform_params *p,
					      const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.levels[0].tdx_svn[0] = 9;
	p->tdx_tcb_info.levels[0].tdx_svn[1] = 9;
}

static void edit_level0_tdx_component0_high(struct ratls_sim_platform_params *p,
					    const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.levels[0].tdx_svn[0] = 4; /* TEE_TCB_SVN[0] is 3 */
}

static void swap_levels(struct ratls_sim_tcb_info_params *info)
{
	struct ratls_sim_tcb_level first = info->levels[0];

	info->levels[0] = info->levels[1];
	info->levels[1] = first;
}

static void edit_levels_reversed(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	swap_levels(case_tcb_info(p, c));
}

/* Two levels that differ only in PCESVN, the lower one listed first. */
static void edit_levels_pce_tie(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	struct ratls_sim_tcb_info_params *info = case_tcb_info(p, c);

	info->levels[1] = info->levels[0];
	info->levels[1].pce_svn = 10;
	info->levels[1].status = OUT_OF_DATE;
	swap_levels(info);
}

/* Two levels that differ only in a TDX component, the lower one listed first. */
static void edit_levels_tdx_tie(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	struct ratls_sim_tcb_info_params *info = case_tcb_info(p, c);

	info->levels[1] = info->levels[0];
	info->levels[1].tdx_svn[2] = 1;
	info->levels[1].status = OUT_OF_DATE;
	swap_levels(info);
}

/*
 * Levels 03 03 .. (ConfigurationNeeded) and 02 09 .. (UpToDate), the second
 * listed first. The PCK certificate 03 09 .. meets both. Intel orders levels
 * lexicographically by SGX components (TcbLevel.cpp operator>), so 03 03 ..
 * comes first and matches.
 */
static void edit_levels_sgx_lexicographic(struct ratls_sim_platform_params *p,
					  const struct tcb_case *c)
{
	struct ratls_sim_tcb_info_params *info = case_tcb_info(p, c);

	info->levels[0].status = CONFIGURATION_NEEDED;
	info->levels[1] = info->levels[0];
	info->levels[1].sgx_svn[0] = 2;
	info->levels[1].sgx_svn[1] = 9;
	info->levels[1].status = UP_TO_DATE;
	swap_levels(info);
	set_pck_component(p, 1, 9);
}

/* ---- edits: TEE_TCB_SVN ---- */

static void edit_tee_tcb_svn2_below_first(struct ratls_sim_quote_params *q,
					  const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[2] = 1; /* UpToDate needs 2, OutOfDate 1 */
}

static void edit_tee_tcb_svn2_below_all(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[2] = 0;
}

static void edit_module_version0(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[1] = 0;
}

static void edit_module_version0_svn_low(struct ratls_sim_quote_params *q,
					 const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[0] = 2; /* every level needs 3 in byte 0 */
	q->td.tee_tcb_svn[1] = 0;
}

static void edit_module_version2(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[1] = 2;
}

static void edit_module_version10(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[1] = 0x0a;
}

static void edit_module_svn2(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[0] = 2; /* TDX_01 levels: 3 UpToDate, 1 OutOfDate */
}

static void edit_module_svn0(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[0] = 0;
}

static void edit_module_svn255(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.tee_tcb_svn[0] = 255;
}

/* ---- edits: QE identity ---- */

static void edit_qe_mrsigner(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.mr_signer[31] ^= 0x01;
}

static void edit_qe_isv_prod_id(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	q->qe_report.isv_prod_id = format_is_td(c->format) ? 1 : 2; /* the other QE's */
}

static void edit_qe_misc_select_bit0(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.misc_select = 0x00000001;
}

static void edit_identity_misc_mask_without_bit0(struct ratls_sim_platform_params *p,
						 const struct tcb_case *c)
{
	case_qe_identity(p, c)->miscselect_mask = 0xfffffffe;
}

/* An identity MISCSELECT with a bit its own mask clears, which no report can meet. */
static void edit_identity_misc_outside_mask(struct ratls_sim_platform_params *p,
					    const struct tcb_case *c)
{
	case_qe_identity(p, c)->miscselect = 0x00000002;
	case_qe_identity(p, c)->miscselect_mask = 0xfffffffd;
}

static void edit_qe_misc_select_bit1(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.misc_select = 0x00000002;
}

static void edit_qe_attribute_bit5(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.attributes[0] |= 0x20; /* EINITTOKEN_KEY, inside the mask FB */
}

static void edit_qe_attribute_byte7(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.attributes[7] = 0x80; /* mask FF */
}

static void edit_qe_attribute_mode64_clear(struct ratls_sim_quote_params *q,
					   const struct tcb_case *c)
{
	(void)c;
	q->qe_report.attributes[0] &= (uint8_t)~0x04; /* MODE64BIT, outside the mask FB */
}

static void edit_qe_attribute_xfrm(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.attributes[8] = 0x03; /* XFRM, bytes 8-15 have mask 00 */
	q->qe_report.attributes[15] = 0xff;
}

static void edit_qe_debug(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.attributes[0] |= 0x02;
}

static void edit_identity_mask_without_debug(struct ratls_sim_platform_params *p,
					     const struct tcb_case *c)
{
	case_qe_identity(p, c)->attributes_mask[0] = 0xf9;
}

static void edit_qe_isv_svn_3(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.isv_svn = 3; /* TD_QE levels: 4 UpToDate, 2 OutOfDate */
}

static void edit_qe_isv_svn_2(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.isv_svn = 2;
}

static void edit_qe_isv_svn_1(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.isv_svn = 1;
}

static void edit_qe_isv_svn_max(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.isv_svn = UINT16_MAX;
}

static void edit_qe_isv_svn_7(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->qe_report.isv_svn = 7; /* QE levels: 8 UpToDate, 6 OutOfDate */
}

static void edit_qe_levels_ascending(struct ratls_sim_platform_params *p,
				     const struct tcb_case *c)
{
	struct ratls_sim_qe_identity_params *identity = case_qe_identity(p, c);
	struct ratls_sim_isv_level first = identity->levels[0];

	identity->levels[0] = identity->levels[1];
	identity->levels[1] = first;
}

/* ---- edits: TDX module identity ---- */

/* Adds TDX_02 with one level, ISVSVN 3 OutOfDate. */
static void edit_add_module_tdx_02(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	struct ratls_sim_module_identity *m = &p->tdx_tcb_info.module_identities[1];

	(void)c;
	*m = p->tdx_tcb_info.module_identities[0];
	snprintf(m->id, sizeof(m->id), "TDX_02");
	m->level_count = 1;
	m->levels[0].status = OUT_OF_DATE;
	set_advisories(m->levels[0].advisory_ids, &m->levels[0].advisory_count,
		       (const char *const[]){"SIM-SA-20002", NULL});
	p->tdx_tcb_info.module_identity_count = 2;
}

static void edit_no_module_identities(struct ratls_sim_platform_params *p,
				      const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.module_identity_count = 0;
}

static void edit_module_id_lower_case(struct ratls_sim_platform_params *p,
				      const struct tcb_case *c)
{
	(void)c;
	snprintf(p->tdx_tcb_info.module_identities[0].id,
		 sizeof(p->tdx_tcb_info.module_identities[0].id), "tdx_0a");
}

static void edit_no_tdx_module(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.has_tdx_module = false;
}

static void edit_mr_signer_seam(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.mr_signer_seam[0] = 0x01;
}

/* A module signer other than Intel's, published in module identity TDX_01. */
static void edit_identity_mrsigner(struct ratls_sim_platform_params *p, const struct tcb_case *c)
{
	(void)c;
	memset(p->tdx_tcb_info.module_identities[0].mrsigner, 0x5a, 48);
}

static void edit_quote_mrsigner_5a(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	memset(q->td.mr_signer_seam, 0x5a, 48);
}

static void edit_tdx_module_mrsigner(struct ratls_sim_platform_params *p,
				     const struct tcb_case *c)
{
	(void)c;
	memset(p->tdx_tcb_info.tdx_module_mrsigner, 0x5a, 48);
}

static void edit_module_version0_mrsigner_5a(struct ratls_sim_quote_params *q,
					     const struct tcb_case *c)
{
	edit_module_version0(q, c);
	edit_quote_mrsigner_5a(q, c);
}

static void edit_seam_attribute_bit0(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.seam_attributes[0] = 0x01;
}

static void edit_module_version0_seam_bit0(struct ratls_sim_quote_params *q,
					   const struct tcb_case *c)
{
	edit_module_version0(q, c);
	edit_seam_attribute_bit0(q, c);
}

static void edit_identity_mask_without_bit0(struct ratls_sim_platform_params *p,
					    const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.module_identities[0].attributes_mask[0] = 0xfe;
}

/* An expected attribute bit outside the mask, which the comparison ignores. */
static void edit_identity_attribute_outside_mask(struct ratls_sim_platform_params *p,
						 const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.module_identities[0].attributes[0] = 0x01;
	p->tdx_tcb_info.module_identities[0].attributes_mask[0] = 0xfe;
}

static void edit_tdx_module_mask_without_bit0(struct ratls_sim_platform_params *p,
					      const struct tcb_case *c)
{
	(void)c;
	p->tdx_tcb_info.tdx_module_attributes_mask[0] = 0xfe;
}

static void edit_module_levels_ascending(struct ratls_sim_platform_params *p,
					 const struct tcb_case *c)
{
	struct ratls_sim_module_identity *m = &p->tdx_tcb_info.module_identities[0];
	struct ratls_sim_isv_level first = m->levels[0];

	(void)c;
	m->levels[0] = m->levels[1];
	m->levels[1] = first;
}

static void edit_mr_seam(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	memset(q->td.mr_seam, 0xee, 48);
}

/* ---- tables ---- */

/* A level setting without advisory IDs, and one with at least one. */
#define LEVEL(s)                                                                              \
	{                                                                                     \
		.set = true, .status = (s)                                                    \
	}
#define LEVEL_ADVISORIES(s, ...)                                                              \
	{                                                                                     \
		.set = true, .status = (s), .advisories = {__VA_ARGS__}                       \
	}

/* Every status on the platform level, everything else UpToDate. */
static const struct tcb_case platform_status_cases[] = {
	{.name = "tdx platform UpToDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "tdx platform SWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(SW_HARDENING_NEEDED, "SIM-SA-10001"),
	 .expect = {.status = SW_HARDENING_NEEDED,
		    .platform_status = SW_HARDENING_NEEDED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10001"}}},
	{.name = "tdx platform ConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(CONFIGURATION_NEEDED, "SIM-SA-10002"),
	 .expect = {.status = CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10002"}}},
	{.name = "tdx platform ConfigurationAndSWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(CONFIGURATION_AND_SW_HARDENING_NEEDED, "SIM-SA-10003",
				 "SIM-SA-10004"),
	 .expect = {.status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    .platform_status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10003", "SIM-SA-10004"}}},
	{.name = "tdx platform OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-10005"),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10005"}}},
	{.name = "tdx platform OutOfDateConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(OUT_OF_DATE_CONFIGURATION_NEEDED, "SIM-SA-10006"),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10006"}}},
	{.name = "tdx platform Revoked",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(REVOKED, "SIM-SA-10007"),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .detail_substring = "platform Revoked",
	 .expect = {.status = REVOKED,
		    .platform_status = REVOKED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-10007"}}},
	{.name = "sgx platform UpToDate",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .expect = {.status = UP_TO_DATE}},
	{.name = "sgx platform SWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL_ADVISORIES(SW_HARDENING_NEEDED, "SIM-SA-11001"),
	 .expect = {.status = SW_HARDENING_NEEDED,
		    .platform_status = SW_HARDENING_NEEDED,
		    .advisories = {"SIM-SA-11001"}}},
	{.name = "sgx platform ConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL(CONFIGURATION_NEEDED),
	 .expect = {.status = CONFIGURATION_NEEDED, .platform_status = CONFIGURATION_NEEDED}},
	{.name = "sgx platform ConfigurationAndSWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL_ADVISORIES(CONFIGURATION_AND_SW_HARDENING_NEEDED, "SIM-SA-11003"),
	 .expect = {.status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    .platform_status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    .advisories = {"SIM-SA-11003"}}},
	{.name = "sgx platform OutOfDate",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-11004"),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    .advisories = {"SIM-SA-11004"}}},
	{.name = "sgx platform OutOfDateConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL_ADVISORIES(OUT_OF_DATE_CONFIGURATION_NEEDED, "SIM-SA-11005"),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .advisories = {"SIM-SA-11005"}}},
	{.name = "sgx platform Revoked",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL(REVOKED),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .detail_substring = "platform Revoked",
	 .expect = {.status = REVOKED, .platform_status = REVOKED}},
};

/* Every status on the QE identity level the QE matches, the platform UpToDate. */
static const struct tcb_case qe_status_cases[] = {
	{.name = "tdx qe UpToDate with advisory",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-20001"),
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01, .advisories = {"SIM-SA-20001"}}},
	{.name = "tdx qe SWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL(SW_HARDENING_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "tdx qe ConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL_ADVISORIES(CONFIGURATION_NEEDED, "SIM-SA-20002"),
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-20002"}}},
	{.name = "tdx qe ConfigurationAndSWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL(CONFIGURATION_AND_SW_HARDENING_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "tdx qe OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-20003"),
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-20003"}}},
	{.name = "tdx qe OutOfDateConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL(OUT_OF_DATE_CONFIGURATION_NEEDED),
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    MODULE_TDX_01}},
	{.name = "tdx qe Revoked",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .qe_level = LEVEL_ADVISORIES(REVOKED, "SIM-SA-20004"),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .detail_substring = "QE Revoked",
	 .expect = {.status = REVOKED,
		    .qe_status = REVOKED,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-20004"}}},
	{.name = "sgx qe OutOfDate",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .qe_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-21001"),
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    .advisories = {"SIM-SA-21001"}}},
	{.name = "sgx qe ConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .qe_level = LEVEL(CONFIGURATION_NEEDED),
	 .expect = {.status = OUT_OF_DATE, .qe_status = CONFIGURATION_NEEDED}},
	{.name = "sgx qe Revoked",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .qe_level = LEVEL(REVOKED),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .expect = {.status = REVOKED, .qe_status = REVOKED}},
};

/* Every status on the TDX module identity level TEE_TCB_SVN[0] = 3 matches. */
static const struct tcb_case module_status_cases[] = {
	{.name = "module UpToDate with advisory",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-30001"),
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01, .advisories = {"SIM-SA-30001"}}},
	{.name = "module SWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL(SW_HARDENING_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "module ConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL(CONFIGURATION_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "module ConfigurationAndSWHardeningNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL(CONFIGURATION_AND_SW_HARDENING_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-30002"),
	 .expect = {.status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE,
		    .advisories = {"SIM-SA-30002"}}},
	{.name = "module OutOfDateConfigurationNeeded",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL(OUT_OF_DATE_CONFIGURATION_NEEDED),
	 .expected_rc = RATLS_ERR_MALFORMED},
	{.name = "module Revoked",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL_ADVISORIES(REVOKED, "SIM-SA-30003"),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .detail_substring = "TDX module Revoked",
	 .expect = {.status = REVOKED,
		    MODULE_TDX_01,
		    .module_status = REVOKED,
		    .advisories = {"SIM-SA-30003"}}},
};

/*
 * An out-of-date or revoked TDX module or QE on top of each platform status,
 * converged as Intel's convergeTcbStatusWithTdxModuleStatus and
 * convergeTcbStatusWithQeTcbStatus do.
 */
static const struct tcb_case convergence_cases[] = {
	{.name = "UpToDate with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE, MODULE_TDX_01, .module_status = OUT_OF_DATE}},
	{.name = "SWHardeningNeeded with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(SW_HARDENING_NEEDED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = SW_HARDENING_NEEDED,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "ConfigurationNeeded with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_NEEDED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "ConfigurationAndSWHardeningNeeded with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_AND_SW_HARDENING_NEEDED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "OutOfDate with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(OUT_OF_DATE),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "OutOfDateConfigurationNeeded with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(OUT_OF_DATE_CONFIGURATION_NEEDED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "Revoked with module OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(REVOKED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .expect = {.status = REVOKED,
		    .platform_status = REVOKED,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "ConfigurationNeeded with module Revoked",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_NEEDED),
	 .module_level = LEVEL(REVOKED),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .expect = {.status = REVOKED,
		    .platform_status = CONFIGURATION_NEEDED,
		    MODULE_TDX_01,
		    .module_status = REVOKED}},
	{.name = "SWHardeningNeeded with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(SW_HARDENING_NEEDED),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = SW_HARDENING_NEEDED,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01}},
	{.name = "ConfigurationNeeded with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_NEEDED),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_NEEDED,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01}},
	{.name = "ConfigurationAndSWHardeningNeeded with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_AND_SW_HARDENING_NEEDED),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01}},
	{.name = "OutOfDate with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(OUT_OF_DATE),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01}},
	{.name = "OutOfDateConfigurationNeeded with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(OUT_OF_DATE_CONFIGURATION_NEEDED),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01}},
	{.name = "SWHardeningNeeded with QE Revoked",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(SW_HARDENING_NEEDED),
	 .qe_level = LEVEL(REVOKED),
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .expect = {.status = REVOKED,
		    .platform_status = SW_HARDENING_NEEDED,
		    .qe_status = REVOKED,
		    MODULE_TDX_01}},
	{.name = "ConfigAndSWHardening with module and QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL(CONFIGURATION_AND_SW_HARDENING_NEEDED),
	 .module_level = LEVEL(OUT_OF_DATE),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_AND_SW_HARDENING_NEEDED,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE}},
	{.name = "sgx ConfigurationNeeded with QE OutOfDate",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL(CONFIGURATION_NEEDED),
	 .qe_level = LEVEL(OUT_OF_DATE),
	 .expect = {.status = OUT_OF_DATE_CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_NEEDED,
		    .qe_status = OUT_OF_DATE}},
	{.name = "advisories platform then module then QE",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-40001", "SIM-SA-40002"),
	 .module_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-40002", "SIM-SA-40003"),
	 .qe_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-40003", "SIM-SA-40004", "SIM-SA-40001"),
	 .expect = {.status = UP_TO_DATE,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-40001", "SIM-SA-40002", "SIM-SA-40003",
				   "SIM-SA-40004"}}},
	{.name = "advisories repeated in one level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .platform_level = LEVEL_ADVISORIES(OUT_OF_DATE, "SIM-SA-40005", "SIM-SA-40005", "SIM-SA-40006"),
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {"SIM-SA-40005", "SIM-SA-40006"}}},
	{.name = "sgx advisories platform then QE",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .platform_level = LEVEL_ADVISORIES(SW_HARDENING_NEEDED, "SIM-SA-40007"),
	 .qe_level = LEVEL_ADVISORIES(UP_TO_DATE, "SIM-SA-40008", "SIM-SA-40007"),
	 .expect = {.status = SW_HARDENING_NEEDED,
		    .platform_status = SW_HARDENING_NEEDED,
		    .advisories = {"SIM-SA-40007", "SIM-SA-40008"}}},
};

/* Which platform TCB level the PCK certificate's SVNs and TEE_TCB_SVN select. */
static const struct tcb_case level_selection_cases[] = {
	{.name = "sgx component below first level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_pck_component0_below_first,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "sgx component below every level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_pck_component7_below_all,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "no TCB level"},
	{.name = "sgx component 15 below first level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_level0_component15,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "pcesvn below first level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_pce_below_first,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "pcesvn below every level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_pce_below_all,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "PCESVN 10"},
	{.name = "tdx component below first level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_tee_tcb_svn2_below_first,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "tdx component below every level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_tee_tcb_svn2_below_all,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "TEE_TCB_SVN 030100"},
	{.name = "tdx component 15 below first level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_level0_tdx_component15,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "tdx bytes 0 and 1 skipped with module version",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_level0_tdx_module_bytes_high,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "tdx byte 0 compared without module version",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_level0_tdx_component0_high,
	 .edit_quote = edit_module_version0,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "tdx byte 0 below every level without version",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_version0_svn_low,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "TEE_TCB_SVN 0200"},
	{.name = "levels listed lowest first",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_levels_reversed,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "levels equal but pcesvn, lower first",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_levels_pce_tie,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "levels equal but tdx component, lower first",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_levels_tdx_tie,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "levels ordered by sgx components lexicographically",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_levels_sgx_lexicographic,
	 .expect = {.status = CONFIGURATION_NEEDED,
		    .platform_status = CONFIGURATION_NEEDED,
		    MODULE_TDX_01}},
	{.name = "sgx quote component below first level",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_platform = edit_pck_component0_below_first,
	 .expect = {.status = OUT_OF_DATE,
		    .platform_status = OUT_OF_DATE,
		    .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	{.name = "sgx quote pcesvn below every level",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_platform = edit_pce_below_all,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "no TCB level"},
	{.name = "sgx quote levels listed lowest first",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_platform = edit_levels_reversed,
	 .expect = {.status = UP_TO_DATE}},
};

/* QE report against the QE identity: each field, each mask, each ISVSVN level. */
static const struct tcb_case qe_identity_cases[] = {
	{.name = "qe mrsigner mismatch",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_mrsigner,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE MRSIGNER"},
	{.name = "qe isvprodid mismatch",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_isv_prod_id,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE ISVPRODID 1"},
	{.name = "qe miscselect differs inside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_misc_select_bit0,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE MISCSELECT 0x00000001"},
	{.name = "qe miscselect differs outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_misc_mask_without_bit0,
	 .edit_quote = edit_qe_misc_select_bit0,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "qe identity miscselect outside its mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_misc_outside_mask,
	 .edit_quote = edit_qe_misc_select_bit1,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "MISCSELECT"},
	{.name = "qe attributes differ inside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_attribute_bit5,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "at byte 0 under its mask"},
	{.name = "qe attributes differ inside mask byte 7",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_attribute_byte7,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "at byte 7 under its mask"},
	{.name = "qe attributes differ outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_attribute_mode64_clear,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "qe xfrm differs outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_attribute_xfrm,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "qe debug inside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_debug,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE ATTRIBUTES 17"},
	{.name = "qe debug outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_mask_without_debug,
	 .edit_quote = edit_qe_debug,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "debug mode"},
	{.name = "qe isvsvn between levels",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_isv_svn_3,
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .qe_isv_svn = 3,
		    .advisories = {DEFAULT_QE_ADVISORY}}},
	{.name = "qe isvsvn equal to lowest level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_isv_svn_2,
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .qe_isv_svn = 2,
		    .advisories = {DEFAULT_QE_ADVISORY}}},
	{.name = "qe isvsvn below every level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_isv_svn_1,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "QE ISVSVN 1 is below every level"},
	{.name = "qe isvsvn maximum",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_qe_isv_svn_max,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01, .qe_isv_svn = UINT16_MAX}},
	{.name = "qe levels listed lowest first",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_qe_levels_ascending,
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .advisories = {DEFAULT_QE_ADVISORY}}},
	{.name = "sgx qe mrsigner mismatch",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_quote = edit_qe_mrsigner,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE MRSIGNER"},
	{.name = "sgx qe isvprodid mismatch",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_quote = edit_qe_isv_prod_id,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "QE ISVPRODID 2"},
	{.name = "sgx qe isvsvn between levels",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_quote = edit_qe_isv_svn_7,
	 .expect = {.status = OUT_OF_DATE,
		    .qe_status = OUT_OF_DATE,
		    .qe_isv_svn = 7,
		    .advisories = {DEFAULT_QE_ADVISORY}}},
	{.name = "sgx qe debug",
	 .format = RATLS_SIM_QUOTE_SGX_V3,
	 .edit_platform = edit_identity_mask_without_debug,
	 .edit_quote = edit_qe_debug,
	 .expected_rc = RATLS_ERR_QE_IDENTITY_MISMATCH,
	 .detail_substring = "debug mode"},
};

/* TDX module identity selection and the MR_SIGNER_SEAM and SEAM attribute rules. */
static const struct tcb_case module_identity_cases[] = {
	{.name = "module TDX_02 selected by version 2",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_add_module_tdx_02,
	 .edit_quote = edit_module_version2,
	 .expect = {.status = OUT_OF_DATE,
		    .has_module_status = true,
		    .module_status = OUT_OF_DATE,
		    .module_identity_id = "TDX_02",
		    .advisories = {"SIM-SA-20002"}}},
	{.name = "module TDX_01 kept with TDX_02 listed",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_add_module_tdx_02,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "module identity missing",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_version2,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "no TDX module identity TDX_02"},
	{.name = "module identities absent",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_no_module_identities,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "no TDX module identity TDX_01"},
	{.name = "module id compared without case",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_module_id_lower_case,
	 .edit_quote = edit_module_version10,
	 .expect = {.status = UP_TO_DATE,
		    .has_module_status = true,
		    .module_identity_id = "tdx_0a"}},
	{.name = "module mr_signer_seam mismatch",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_mr_signer_seam,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "MR_SIGNER_SEAM 01"},
	{.name = "module identity mrsigner not intel",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_mrsigner,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "MR_SIGNER_SEAM 00"},
	{.name = "module mrsigner equal to identity",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_mrsigner,
	 .edit_quote = edit_quote_mrsigner_5a,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "seam attributes differ inside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_seam_attribute_bit0,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "SEAM attributes 01"},
	{.name = "seam attribute set outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_mask_without_bit0,
	 .edit_quote = edit_seam_attribute_bit0,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "SEAM attributes 01"},
	{.name = "seam expected bit outside mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_identity_attribute_outside_mask,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "module svn between levels",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_svn2,
	 .expect = {.status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE,
		    .advisories = {DEFAULT_MODULE_ADVISORY}}},
	{.name = "module svn below every level",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_svn0,
	 .expected_rc = RATLS_ERR_TCB_NOT_SUPPORTED,
	 .detail_substring = "TDX module SVN 0 is below every level of module identity TDX_01"},
	{.name = "module svn maximum",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_svn255,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "module levels listed lowest first",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_module_levels_ascending,
	 .expect = {.status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE,
		    .advisories = {DEFAULT_MODULE_ADVISORY}}},
	{.name = "version 0 uses tdxModule",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_module_version0,
	 .expect = {.status = UP_TO_DATE}},
	{.name = "version 0 ignores module identities",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_no_module_identities,
	 .edit_quote = edit_module_version0,
	 .expect = {.status = UP_TO_DATE}},
	{.name = "version 0 mrsigner equal to tdxModule",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_tdx_module_mrsigner,
	 .edit_quote = edit_module_version0_mrsigner_5a,
	 .expect = {.status = UP_TO_DATE}},
	{.name = "version 0 mrsigner differs from tdxModule",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_tdx_module_mrsigner,
	 .edit_quote = edit_module_version0,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "MR_SIGNER_SEAM"},
	{.name = "version 0 seam attribute outside tdxModule mask",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_tdx_module_mask_without_bit0,
	 .edit_quote = edit_module_version0_seam_bit0,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "SEAM attributes 01"},
	{.name = "version 0 without tdxModule",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_no_tdx_module,
	 .edit_quote = edit_module_version0,
	 .expected_rc = RATLS_ERR_COLLATERAL_MISMATCH,
	 .detail_substring = "no tdxModule"},
	{.name = "version 1 without tdxModule",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_platform = edit_no_tdx_module,
	 .expected_rc = RATLS_ERR_COLLATERAL_MISMATCH,
	 .detail_substring = "no tdxModule"},
	{.name = "mr_seam not bound by collateral",
	 .format = RATLS_SIM_QUOTE_TDX_V4,
	 .edit_quote = edit_mr_seam,
	 .expect = {.status = UP_TO_DATE, MODULE_TDX_01}},
	{.name = "v5 td15 module version 2 missing",
	 .format = RATLS_SIM_QUOTE_TDX_V5_TD15,
	 .edit_quote = edit_module_version2,
	 .expected_rc = RATLS_ERR_TDX_MODULE_MISMATCH,
	 .detail_substring = "TDX_02"},
	{.name = "v5 td10 module svn between levels",
	 .format = RATLS_SIM_QUOTE_TDX_V5_TD10,
	 .edit_quote = edit_module_svn2,
	 .expect = {.status = OUT_OF_DATE,
		    MODULE_TDX_01,
		    .module_status = OUT_OF_DATE,
		    .advisories = {DEFAULT_MODULE_ADVISORY}}},
};

/* ---- policy appraisal of verified simulated reports ---- */

struct policy_case {
	const char *name;
	/* The quote and collateral. Its expected_rc is RATLS_OK or RATLS_ERR_TCB_REVOKED. */
	struct tcb_case verify;
	/* Adds rules to a fresh ratls_policy_new policy. NULL appraises with the defaults. */
	void (*build_policy)(struct ratls_policy *policy);
	int expected_rc;
	const char *detail_substring;
};

static const char default_mrtd_hex[] = "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"
				       "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d";
static const char other_mrtd_hex[] = "000000000000000000000000000000000000000000000000"
				     "000000000000000000000000000000000000000000000000";

static void policy_ok(int rc, const struct ratls_detail *detail)
{
	if (rc != RATLS_OK)
		print_error("building the policy failed: %s\n", detail->message);
	assert_int_equal(rc, RATLS_OK);
}

static void build_mrtd_listed(struct ratls_policy *p)
{
	struct ratls_detail detail = {0};

	policy_ok(ratls_policy_add_mrtd(p, other_mrtd_hex, &detail), &detail);
	policy_ok(ratls_policy_add_mrtd(p, default_mrtd_hex, &detail), &detail);
}

static void build_mrtd_not_listed(struct ratls_policy *p)
{
	struct ratls_detail detail = {0};

	policy_ok(ratls_policy_add_mrtd(p, other_mrtd_hex, &detail), &detail);
}

/* RTMR0..3 of the simulated TD are filled with '0'..'3' (0x30..0x33). */
static void pin_rtmr_fill(struct ratls_policy *p, int index, uint8_t fill)
{
	struct ratls_detail detail = {0};
	char hex[97];

	for (int i = 0; i < 48; i++)
		snprintf(hex + 2 * i, 3, "%02x", fill);
	policy_ok(ratls_policy_pin_rtmr(p, index, hex, &detail), &detail);
}

static void build_rtmrs_pinned(struct ratls_policy *p)
{
	for (int i = 0; i < 4; i++)
		pin_rtmr_fill(p, i, (uint8_t)(0x30 + i));
}

static void build_rtmr2_pinned_other(struct ratls_policy *p)
{
	pin_rtmr_fill(p, 0, 0x30);
	pin_rtmr_fill(p, 2, 0x3f);
}

static void build_allow_out_of_date(struct ratls_policy *p)
{
	struct ratls_detail detail = {0};

	policy_ok(ratls_policy_allow_tcb_status(p, UP_TO_DATE, &detail), &detail);
	policy_ok(ratls_policy_allow_tcb_status(p, OUT_OF_DATE, &detail), &detail);
}

static void build_allow_up_to_date_only(struct ratls_policy *p)
{
	struct ratls_detail detail = {0};

	policy_ok(ratls_policy_allow_tcb_status(p, UP_TO_DATE, &detail), &detail);
}

static void build_allow_debug(struct ratls_policy *p)
{
	ratls_policy_set_allow_debug(p, true);
}

static void build_allow_seam_signer(struct ratls_policy *p)
{
	ratls_policy_set_allow_seam_signer(p, true);
}

static void build_allow_service_td(struct ratls_policy *p)
{
	ratls_policy_set_allow_service_td(p, true);
}

static void edit_td_debug(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.td_attributes[0] |= 0x01;
}

static void edit_enclave_debug(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->sgx.attributes[0] |= 0x02;
}

static void edit_sept_ve_disable_clear(struct ratls_sim_quote_params *q,
				       const struct tcb_case *c)
{
	(void)c;
	q->td.td_attributes[3] &= (uint8_t)~0x10;
}

/* Sets one bit of the little-endian TD attributes (bit 0 is bit 0 of byte 0). */
static void set_td_attribute_bit(struct ratls_sim_quote_params *q, int bit)
{
	q->td.td_attributes[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

#define TD_ATTRIBUTE_EDIT(bit)                                                                \
	static void edit_td_attribute_bit##bit(struct ratls_sim_quote_params *q,             \
					       const struct tcb_case *c)                      \
	{                                                                                     \
		(void)c;                                                                      \
		set_td_attribute_bit(q, bit);                                                 \
	}

TD_ATTRIBUTE_EDIT(1)
TD_ATTRIBUTE_EDIT(7)
TD_ATTRIBUTE_EDIT(8)
TD_ATTRIBUTE_EDIT(27)
TD_ATTRIBUTE_EDIT(29)
TD_ATTRIBUTE_EDIT(30)
TD_ATTRIBUTE_EDIT(31)
TD_ATTRIBUTE_EDIT(32)
TD_ATTRIBUTE_EDIT(39)
TD_ATTRIBUTE_EDIT(62)
TD_ATTRIBUTE_EDIT(63)

static void edit_mr_servicetd(struct ratls_sim_quote_params *q, const struct tcb_case *c)
{
	(void)c;
	q->td.mr_servicetd[47] = 0x01;
}

/* Fields of a verification that succeeds with every status UpToDate. */
#define TD_UP_TO_DATE(fmt) .format = (fmt), .expect = {.status = UP_TO_DATE, MODULE_TDX_01}
#define SGX_UP_TO_DATE .format = RATLS_SIM_QUOTE_SGX_V3, .expect = {.status = UP_TO_DATE}

static const struct policy_case policy_cases[] = {
	{.name = "policy defaults accept default td",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4)}},
	{.name = "policy mrtd listed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4)},
	 .build_policy = build_mrtd_listed},
	{.name = "policy mrtd not listed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4)},
	 .build_policy = build_mrtd_not_listed,
	 .expected_rc = RATLS_ERR_MRTD_NOT_ALLOWED,
	 .detail_substring = "MRTD 4d4d"},
	{.name = "policy rtmrs pinned",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V5_TD10)},
	 .build_policy = build_rtmrs_pinned},
	{.name = "policy rtmr2 pinned to other value",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4)},
	 .build_policy = build_rtmr2_pinned_other,
	 .expected_rc = RATLS_ERR_MEASUREMENT_MISMATCH,
	 .detail_substring = "RTMR2 is 3232"},
	{.name = "policy out of date rejected by default",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .edit_quote = edit_tee_tcb_svn2_below_first,
		    .expect = {.status = OUT_OF_DATE,
			       .platform_status = OUT_OF_DATE,
			       MODULE_TDX_01,
			       .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	 .expected_rc = RATLS_ERR_TCB_STATUS,
	 .detail_substring = "TCB status OutOfDate is not acceptable"},
	{.name = "policy out of date allowed",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .edit_quote = edit_tee_tcb_svn2_below_first,
		    .expect = {.status = OUT_OF_DATE,
			       .platform_status = OUT_OF_DATE,
			       MODULE_TDX_01,
			       .advisories = {DEFAULT_PLATFORM_ADVISORY}}},
	 .build_policy = build_allow_out_of_date},
	{.name = "policy sw hardening accepted by default",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .platform_level = LEVEL(SW_HARDENING_NEEDED),
		    .expect = {.status = SW_HARDENING_NEEDED,
			       .platform_status = SW_HARDENING_NEEDED,
			       MODULE_TDX_01}}},
	{.name = "policy sw hardening not in allowlist",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .platform_level = LEVEL(SW_HARDENING_NEEDED),
		    .expect = {.status = SW_HARDENING_NEEDED,
			       .platform_status = SW_HARDENING_NEEDED,
			       MODULE_TDX_01}},
	 .build_policy = build_allow_up_to_date_only,
	 .expected_rc = RATLS_ERR_TCB_STATUS,
	 .detail_substring = "allowed: UpToDate)"},
	{.name = "policy configuration needed rejected",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .platform_level = LEVEL(CONFIGURATION_NEEDED),
		    .expect = {.status = CONFIGURATION_NEEDED,
			       .platform_status = CONFIGURATION_NEEDED,
			       MODULE_TDX_01}},
	 .build_policy = build_allow_out_of_date,
	 .expected_rc = RATLS_ERR_TCB_STATUS,
	 .detail_substring = "ConfigurationNeeded"},
	{.name = "policy revoked report",
	 .verify = {.format = RATLS_SIM_QUOTE_TDX_V4,
		    .qe_level = LEVEL(REVOKED),
		    .expected_rc = RATLS_ERR_TCB_REVOKED,
		    .expect = {.status = REVOKED, .qe_status = REVOKED, MODULE_TDX_01}},
	 .build_policy = build_allow_out_of_date,
	 .expected_rc = RATLS_ERR_TCB_REVOKED,
	 .detail_substring = "QE Revoked"},
	{.name = "policy debug td",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_debug},
	 .expected_rc = RATLS_ERR_DEBUG,
	 .detail_substring = "the TD has the DEBUG attribute"},
	{.name = "policy debug td allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_debug},
	 .build_policy = build_allow_debug},
	{.name = "policy debug enclave",
	 .verify = {SGX_UP_TO_DATE, .edit_quote = edit_enclave_debug},
	 .expected_rc = RATLS_ERR_DEBUG,
	 .detail_substring = "the enclave has the DEBUG attribute"},
	{.name = "policy sgx report with mrtd pin",
	 .verify = {SGX_UP_TO_DATE},
	 .build_policy = build_mrtd_listed,
	 .expected_rc = RATLS_ERR_MRTD_NOT_ALLOWED,
	 .detail_substring = "SGX enclave"},
	{.name = "policy sept_ve_disable clear",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_sept_ve_disable_clear},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "SEPT_VE_DISABLE (bit 28) clear"},
	{.name = "policy td attribute bit 1 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit1},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 7 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit7},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 8 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit8},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 27 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit27},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 29 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit29},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 32 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit32},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 39 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit39},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute bit 62 reserved",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit62},
	 .expected_rc = RATLS_ERR_TD_ATTRIBUTES,
	 .detail_substring = "reserved bits"},
	{.name = "policy td attribute pks allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit30}},
	{.name = "policy td attribute kl allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit31}},
	{.name = "policy td attribute perfmon allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_quote = edit_td_attribute_bit63}},
	{.name = "policy mr_signer_seam not zero",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_platform = edit_identity_mrsigner,
			    .edit_quote = edit_quote_mrsigner_5a},
	 .expected_rc = RATLS_ERR_SEAM_SIGNER,
	 .detail_substring = "MR_SIGNER_SEAM is 5a5a"},
	{.name = "policy mr_signer_seam allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V4), .edit_platform = edit_identity_mrsigner,
			    .edit_quote = edit_quote_mrsigner_5a},
	 .build_policy = build_allow_seam_signer},
	{.name = "policy mr_servicetd not zero",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V5_TD15), .edit_quote = edit_mr_servicetd},
	 .expected_rc = RATLS_ERR_SERVICE_TD,
	 .detail_substring = "MR_SERVICETD is 0000"},
	{.name = "policy mr_servicetd allowed",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V5_TD15), .edit_quote = edit_mr_servicetd},
	 .build_policy = build_allow_service_td},
	{.name = "policy mr_servicetd absent in td10",
	 .verify = {TD_UP_TO_DATE(RATLS_SIM_QUOTE_TDX_V5_TD10), .edit_quote = edit_mr_servicetd}},
};

static void test_policy_case(void **state)
{
	const struct policy_case *c = *state;
	struct ratls_verified_report *report = calloc(1, sizeof(*report));
	struct ratls_policy *policy = NULL;
	struct ratls_detail detail;
	int rc;

	assert_non_null(report);
	rc = run_case(&c->verify, report, &detail);
	simtest_assert_code(rc, &detail, c->verify.expected_rc, NULL);
	assert_tcb(report, &c->verify.expect);

	if (c->build_policy != NULL) {
		policy = ratls_policy_new();
		assert_non_null(policy);
		c->build_policy(policy);
	}
	ratls_detail_clear(&detail);
	rc = ratls_policy_appraise(policy, report, &detail);
	simtest_assert_code(rc, &detail, c->expected_rc, c->detail_substring);

	ratls_policy_free(policy);
	free(report);
}

/* ---- registration ---- */

/* Drops the warning every verification with the simulated root logs. */
static void drop_log_message(enum ratls_log_level level, const char *message, void *arg)
{
	(void)level;
	(void)message;
	(void)arg;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct tcb_table {
	const struct tcb_case *cases;
	size_t count;
};

int main(void)
{
	static const struct tcb_table tables[] = {
		{platform_status_cases, ARRAY_SIZE(platform_status_cases)},
		{qe_status_cases, ARRAY_SIZE(qe_status_cases)},
		{module_status_cases, ARRAY_SIZE(module_status_cases)},
		{convergence_cases, ARRAY_SIZE(convergence_cases)},
		{level_selection_cases, ARRAY_SIZE(level_selection_cases)},
		{qe_identity_cases, ARRAY_SIZE(qe_identity_cases)},
		{module_identity_cases, ARRAY_SIZE(module_identity_cases)},
	};
	struct CMUnitTest *tests;
	size_t count = ARRAY_SIZE(policy_cases);
	size_t n = 0;
	int failed;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		count += tables[t].count;
	tests = calloc(count, sizeof(*tests));
	if (tests == NULL)
		return 1;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (size_t i = 0; i < tables[t].count; i++) {
			tests[n].name = tables[t].cases[i].name;
			tests[n].test_func = test_tcb_case;
			tests[n].initial_state = (void *)(uintptr_t)&tables[t].cases[i];
			n++;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(policy_cases); i++) {
		tests[n].name = policy_cases[i].name;
		tests[n].test_func = test_policy_case;
		tests[n].initial_state = (void *)(uintptr_t)&policy_cases[i];
		n++;
	}

	ratls_set_log_callback(drop_log_message, NULL);
	failed = _cmocka_run_group_tests("sim_tcb", tests, n, NULL, NULL);
	ratls_set_log_callback(NULL, NULL);
	free(tests);
	return failed;
}
