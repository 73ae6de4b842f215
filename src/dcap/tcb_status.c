/* Intel's TCB status names, as they appear in TCB info and enclave identity JSON. */
#include <string.h>

#include "ratls/collateral.h"

/* Indexed by enum ratls_tcb_status. */
static const char *const status_names[RATLS_TCB_STATUS_COUNT] = {
	[RATLS_TCB_UP_TO_DATE] = "UpToDate",
	[RATLS_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
	[RATLS_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
	[RATLS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
	[RATLS_TCB_OUT_OF_DATE] = "OutOfDate",
	[RATLS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
	[RATLS_TCB_REVOKED] = "Revoked",
};

const char *ratls_tcb_status_name(enum ratls_tcb_status status)
{
	if ((unsigned)status >= RATLS_TCB_STATUS_COUNT)
		return "InvalidStatus";
	return status_names[status];
}

int ratls_tcb_status_parse(const char *name, size_t len, enum ratls_tcb_status *out)
{
	if (name == NULL || out == NULL)
		return RATLS_ERR_INVALID_ARGUMENT;

	for (size_t i = 0; i < RATLS_TCB_STATUS_COUNT; i++) {
		if (strlen(status_names[i]) == len && memcmp(status_names[i], name, len) == 0) {
			*out = (enum ratls_tcb_status)i;
			return RATLS_OK;
		}
	}
	return RATLS_ERR_MALFORMED;
}
