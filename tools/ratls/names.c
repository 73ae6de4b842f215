/* Names of quote and collateral values, shared by the JSON and text output. */
#include "report.h"

const char *cli_tee_type_name(uint32_t tee_type)
{
	switch (tee_type) {
	case RATLS_TEE_TYPE_SGX:
		return "SGX";
	case RATLS_TEE_TYPE_TDX:
		return "TDX";
	}
	return "unknown";
}

const char *cli_body_type_name(uint16_t body_type)
{
	switch (body_type) {
	case RATLS_BODY_SGX_ENCLAVE:
		return "sgx_enclave";
	case RATLS_BODY_TD_REPORT10:
		return "td_report10";
	case RATLS_BODY_TD_REPORT15:
		return "td_report15";
	}
	return "unknown";
}

const char *cli_body_type_title(uint16_t body_type)
{
	switch (body_type) {
	case RATLS_BODY_SGX_ENCLAVE:
		return "SGX enclave report";
	case RATLS_BODY_TD_REPORT10:
		return "TD report 1.0";
	case RATLS_BODY_TD_REPORT15:
		return "TD report 1.5";
	}
	return "unknown body";
}

/* Certification data types as Intel's quote format documents them. */
const char *cli_cert_data_type_name(uint16_t type)
{
	switch (type) {
	case RATLS_CERT_PPID_CLEARTEXT:
		return "PPID in cleartext";
	case RATLS_CERT_PPID_RSA2048:
		return "PPID encrypted with RSA-2048-OAEP";
	case RATLS_CERT_PPID_RSA3072:
		return "PPID encrypted with RSA-3072-OAEP";
	case RATLS_CERT_PCK_LEAF:
		return "PCK leaf certificate";
	case RATLS_CERT_PCK_CHAIN:
		return "PCK certificate chain";
	case RATLS_CERT_QE_REPORT:
		return "QE report certification data";
	case RATLS_CERT_PLATFORM_MANIFEST:
		return "platform manifest";
	}
	return "unknown";
}

const char *cli_sgx_type_name(uint32_t sgx_type)
{
	switch (sgx_type) {
	case 0:
		return "Standard";
	case 1:
		return "Scalable";
	case 2:
		return "ScalableWithIntegrity";
	}
	return "unknown";
}

const char *cli_tcb_info_id_name(enum ratls_tcb_info_id id)
{
	switch (id) {
	case RATLS_TCB_INFO_SGX:
		return "SGX";
	case RATLS_TCB_INFO_TDX:
		return "TDX";
	}
	return "unknown";
}

/* TD attributes bit 0 is DEBUG (TUD group). */
bool cli_td_is_debug(const uint8_t td_attributes[8])
{
	return (td_attributes[0] & 0x01) != 0;
}

/* SGX ATTRIBUTES.DEBUG is bit 1 of the flags. */
bool cli_sgx_is_debug(const uint8_t attributes[16])
{
	return (attributes[0] & 0x02) != 0;
}
