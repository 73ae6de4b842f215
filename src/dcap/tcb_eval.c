/*
 * TCB evaluation as Intel's Quote Verification Library does it
 * (SGX-TDX-DCAP-QuoteVerificationLibrary: QuoteVerifier.cpp,
 * TcbLevelCheck.cpp, TdxModuleCheck.cpp, EnclaveReportVerifier.cpp):
 *  - the platform level is the first level, in canonical order, whose SGX
 *    components and PCESVN the PCK certificate meets and, for TDX, whose TDX
 *    components TEE_TCB_SVN meets (from index 2 when a module identity
 *    applies, since bytes 0 and 1 are the module's own SVN and version);
 *  - a TDX module identity "TDX_%02X" of TEE_TCB_SVN[1] adds a module status;
 *  - the QE identity's level gives the QE status;
 *  - statuses converge: an out-of-date module or QE makes UpToDate and
 *    SWHardeningNeeded OutOfDate, and the Configuration* statuses
 *    OutOfDateConfigurationNeeded; anything Revoked makes the result Revoked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "dcap_internal.h"

/* Intel's TcbLevel ordering: SGX components, then PCESVN, then TDX components. */
static int compare_levels_desc(const void *a, const void *b)
{
	const struct ratls_tcb_level *x = *(const struct ratls_tcb_level *const *)a;
	const struct ratls_tcb_level *y = *(const struct ratls_tcb_level *const *)b;
	int c = memcmp(y->sgx_svn, x->sgx_svn, 16);

	if (c != 0)
		return c;
	if (x->pce_svn != y->pce_svn)
		return x->pce_svn > y->pce_svn ? -1 : 1;
	c = memcmp(y->tdx_svn, x->tdx_svn, 16);
	if (c != 0)
		return c;
	/* Keep document order among equal levels, so the sort is stable. */
	return x < y ? -1 : (x > y);
}

int ratls_tcb_levels_sort(const struct ratls_tcb_info *info, const struct ratls_tcb_level ***out)
{
	const struct ratls_tcb_level **sorted;

	sorted = calloc(info->level_count + 1, sizeof(*sorted));
	if (sorted == NULL)
		return RATLS_ERR_NO_MEMORY;
	for (size_t i = 0; i < info->level_count; i++)
		sorted[i] = &info->levels[i];
	qsort(sorted, info->level_count, sizeof(*sorted), compare_levels_desc);
	*out = sorted;
	return RATLS_OK;
}

static int add_advisories(struct ratls_verified_report *report,
			  const struct ratls_advisory_list *list, struct ratls_detail *detail)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *id = list->ids[i];
		bool seen = false;

		for (size_t j = 0; j < report->advisory_count && !seen; j++)
			seen = strcmp(report->advisory_ids[j], id) == 0;
		if (seen)
			continue;
		if (report->advisory_count == RATLS_REPORT_ADVISORIES_MAX)
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "the collateral lists more than %d advisory IDs for this "
					  "platform",
					  RATLS_REPORT_ADVISORIES_MAX);
		snprintf(report->advisory_ids[report->advisory_count],
			 sizeof(report->advisory_ids[0]), "%s", id);
		report->advisory_count++;
	}
	return RATLS_OK;
}

/*
 * Returns the first level in document order whose ISVSVN is at or below svn,
 * as Intel's QVL does for QE identity and TDX module levels. Intel publishes
 * them in descending ISVSVN order, and they are not re-sorted here.
 */
static const struct ratls_isv_level *match_isv_level(const struct ratls_isv_level *levels,
						     size_t count, uint16_t svn)
{
	for (size_t i = 0; i < count; i++) {
		if (levels[i].isv_svn <= svn)
			return &levels[i];
	}
	return NULL;
}

int ratls_qe_identity_check(const struct ratls_tcb_eval_input *in,
			    struct ratls_verified_report *report, struct ratls_detail *detail)
{
	const struct ratls_qe_identity *qe = in->qe_identity;
	const struct ratls_sgx_report *rep = &in->quote->qe_report;
	const struct ratls_isv_level *level;
	char seen[65], expected[65];

	if (memcmp(rep->mr_signer, qe->mrsigner, 32) != 0) {
		ratls_hex_encode(rep->mr_signer, 32, seen);
		ratls_hex_encode(qe->mrsigner, 32, expected);
		return ratls_fail(detail, RATLS_ERR_QE_IDENTITY_MISMATCH,
				  "QE MRSIGNER %s differs from the QE identity's %s", seen, expected);
	}
	if (rep->isv_prod_id != qe->isv_prod_id)
		return ratls_fail(detail, RATLS_ERR_QE_IDENTITY_MISMATCH,
				  "QE ISVPRODID %u differs from the QE identity's %u",
				  rep->isv_prod_id, qe->isv_prod_id);
	if ((rep->misc_select & qe->miscselect_mask) != qe->miscselect)
		return ratls_fail(detail, RATLS_ERR_QE_IDENTITY_MISMATCH,
				  "QE MISCSELECT 0x%08x under mask 0x%08x is not the QE identity's "
				  "0x%08x",
				  rep->misc_select, qe->miscselect_mask, qe->miscselect);
	for (int i = 0; i < 16; i++) {
		if ((rep->attributes[i] & qe->attributes_mask[i]) != qe->attributes[i]) {
			ratls_hex_encode(rep->attributes, 16, seen);
			ratls_hex_encode(qe->attributes, 16, expected);
			return ratls_fail(detail, RATLS_ERR_QE_IDENTITY_MISMATCH,
					  "QE ATTRIBUTES %s differ from the QE identity's %s at "
					  "byte %d under its mask",
					  seen, expected, i);
		}
	}
	/* A debuggable QE could forge any report, whatever mask the identity specifies. */
	if (rep->attributes[0] & 0x02)
		return ratls_fail(detail, RATLS_ERR_QE_IDENTITY_MISMATCH,
				  "the quoting enclave runs in debug mode (ATTRIBUTES.DEBUG set)");

	level = match_isv_level(qe->levels, qe->level_count, rep->isv_svn);
	if (level == NULL)
		return ratls_fail(detail, RATLS_ERR_TCB_NOT_SUPPORTED,
				  "QE ISVSVN %u is below every level of the QE identity", rep->isv_svn);
	report->qe_isv_svn = rep->isv_svn;
	report->qe_status = level->status;
	report->qe_tcb_date = level->tcb_date;
	return RATLS_OK;
}

static bool platform_level_matches(const struct ratls_tcb_level *level,
				   const struct ratls_pck_info *pck, const struct ratls_quote *q,
				   bool is_tdx, int tdx_start)
{
	if (pck->pce_svn < level->pce_svn)
		return false;
	for (int i = 0; i < 16; i++) {
		if (pck->tcb_comp_svn[i] < level->sgx_svn[i])
			return false;
	}
	if (!is_tdx)
		return true;
	for (int i = tdx_start; i < 16; i++) {
		if (q->td.tee_tcb_svn[i] < level->tdx_svn[i])
			return false;
	}
	return true;
}

/* An out-of-date or revoked module or QE status lowers the platform status. */
static enum ratls_tcb_status converge(enum ratls_tcb_status platform,
				      enum ratls_tcb_status component)
{
	if (component == RATLS_TCB_REVOKED || platform == RATLS_TCB_REVOKED)
		return RATLS_TCB_REVOKED;
	if (component == RATLS_TCB_UP_TO_DATE)
		return platform;
	switch (platform) {
	case RATLS_TCB_UP_TO_DATE:
	case RATLS_TCB_SW_HARDENING_NEEDED:
		return RATLS_TCB_OUT_OF_DATE;
	case RATLS_TCB_CONFIGURATION_NEEDED:
	case RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
		return RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	default:
		return platform;
	}
}

static const struct ratls_tdx_module_identity *find_module_identity(const struct ratls_tcb_info *info,
								     const char *id)
{
	for (size_t i = 0; i < info->module_identity_count; i++) {
		if (strcasecmp(info->module_identities[i].id, id) == 0)
			return &info->module_identities[i];
	}
	return NULL;
}

/* Checks MR_SIGNER_SEAM and SEAM attributes, and selects the module identity's level. */
static int check_tdx_module(const struct ratls_tcb_eval_input *in,
			    struct ratls_verified_report *report,
			    const struct ratls_advisory_list **module_advisories,
			    struct ratls_detail *detail)
{
	const struct ratls_tcb_info *info = in->tcb_info;
	const struct ratls_td_report *td = &in->quote->td;
	const struct ratls_tdx_module_identity *identity = NULL;
	const uint8_t *mrsigner, *attributes, *mask;
	uint8_t version = td->tee_tcb_svn[1];
	char seen[97], expected[97];

	if (!info->has_tdx_module)
		return ratls_fail(detail, RATLS_ERR_COLLATERAL_MISMATCH,
				  "TDX TCB info has no tdxModule; fetch TCB info version 3 for TDX");
	mrsigner = info->tdx_module_mrsigner;
	attributes = info->tdx_module_attributes;
	mask = info->tdx_module_attributes_mask;

	if (version > 0) {
		char id[16];

		snprintf(id, sizeof(id), "TDX_%02X", version);
		identity = find_module_identity(info, id);
		if (identity == NULL)
			return ratls_fail(detail, RATLS_ERR_TDX_MODULE_MISMATCH,
					  "TCB info has no TDX module identity %s for TEE_TCB_SVN[1] "
					  "= %u",
					  id, version);
		mrsigner = identity->mrsigner;
		attributes = identity->attributes;
		mask = identity->attributes_mask;
	}

	if (memcmp(td->mr_signer_seam, mrsigner, 48) != 0) {
		ratls_hex_encode(td->mr_signer_seam, 48, seen);
		ratls_hex_encode(mrsigner, 48, expected);
		return ratls_fail(detail, RATLS_ERR_TDX_MODULE_MISMATCH,
				  "MR_SIGNER_SEAM %s differs from the TDX module's %s", seen,
				  expected);
	}
	for (int i = 0; i < 8; i++) {
		/* Bits outside the mask must be clear as well, as Intel's QVL requires. */
		if ((td->seam_attributes[i] & mask[i]) != (attributes[i] & mask[i]) ||
		    (td->seam_attributes[i] & ~mask[i]) != 0) {
			ratls_hex_encode(td->seam_attributes, 8, seen);
			ratls_hex_encode(attributes, 8, expected);
			return ratls_fail(detail, RATLS_ERR_TDX_MODULE_MISMATCH,
					  "SEAM attributes %s differ from the TDX module's %s under "
					  "its mask",
					  seen, expected);
		}
	}

	if (identity != NULL) {
		const struct ratls_isv_level *level =
			match_isv_level(identity->levels, identity->level_count, td->tee_tcb_svn[0]);

		if (level == NULL)
			return ratls_fail(detail, RATLS_ERR_TCB_NOT_SUPPORTED,
					  "TDX module SVN %u is below every level of module identity "
					  "%s",
					  td->tee_tcb_svn[0], identity->id);
		report->has_module_status = true;
		report->module_status = level->status;
		snprintf(report->module_identity_id, sizeof(report->module_identity_id), "%s",
			 identity->id);
		*module_advisories = &level->advisories;
	}
	return RATLS_OK;
}

int ratls_tcb_evaluate(const struct ratls_tcb_eval_input *in, struct ratls_verified_report *report,
		       struct ratls_detail *detail)
{
	const struct ratls_tcb_info *info = in->tcb_info;
	const struct ratls_quote *q = in->quote;
	const struct ratls_tcb_level *level = NULL;
	const struct ratls_advisory_list *module_advisories = NULL;
	const struct ratls_isv_level *qe_level;
	bool is_tdx = ratls_quote_is_td(q);
	int tdx_start = 0;
	int rc;

	if (is_tdx && q->td.tee_tcb_svn[1] > 0)
		tdx_start = 2;
	for (size_t i = 0; i < info->level_count; i++) {
		const struct ratls_tcb_level *candidate = in->sorted_levels[i];

		if (is_tdx && !candidate->has_tdx_svn)
			continue;
		if (platform_level_matches(candidate, in->pck, q, is_tdx, tdx_start)) {
			level = candidate;
			break;
		}
	}
	if (level == NULL) {
		char cpu[33], tee[33];

		ratls_hex_encode(in->pck->tcb_comp_svn, 16, cpu);
		if (is_tdx)
			ratls_hex_encode(q->td.tee_tcb_svn, 16, tee);
		return ratls_fail(detail, RATLS_ERR_TCB_NOT_SUPPORTED,
				  "no TCB level of FMSPC %02x%02x%02x%02x%02x%02x matches the "
				  "platform (SGX components %s, PCESVN %u%s%s)",
				  info->fmspc[0], info->fmspc[1], info->fmspc[2], info->fmspc[3],
				  info->fmspc[4], info->fmspc[5], cpu, in->pck->pce_svn,
				  is_tdx ? ", TEE_TCB_SVN " : "", is_tdx ? tee : "");
	}
	report->platform_status = level->status;
	report->platform_tcb_date = level->tcb_date;
	report->status = level->status;

	if (is_tdx) {
		if ((rc = check_tdx_module(in, report, &module_advisories, detail)) != RATLS_OK)
			return rc;
		if (report->has_module_status)
			report->status = converge(report->status, report->module_status);
	}
	report->status = converge(report->status, report->qe_status);

	report->advisory_count = 0;
	if ((rc = add_advisories(report, &level->advisories, detail)) != RATLS_OK)
		return rc;
	if (module_advisories != NULL &&
	    (rc = add_advisories(report, module_advisories, detail)) != RATLS_OK)
		return rc;
	qe_level = match_isv_level(in->qe_identity->levels, in->qe_identity->level_count,
				   report->qe_isv_svn);
	if (qe_level != NULL && (rc = add_advisories(report, &qe_level->advisories, detail)) != RATLS_OK)
		return rc;
	return RATLS_OK;
}
