/* Collateral and trust root files given on the command line. */
#include "cli.h"
#include "input.h"

struct piece_spec {
	const char *what;
	size_t max_size;
};

static struct piece_spec piece_spec(enum cli_piece_kind kind)
{
	switch (kind) {
	case CLI_PIECE_BUNDLE:
		return (struct piece_spec){"collateral bundle", CLI_BUNDLE_FILE_MAX_SIZE};
	case CLI_PIECE_TCB_INFO:
		return (struct piece_spec){"TCB info file", CLI_COLLATERAL_FILE_MAX_SIZE};
	case CLI_PIECE_QE_IDENTITY:
		return (struct piece_spec){"QE identity file", CLI_COLLATERAL_FILE_MAX_SIZE};
	case CLI_PIECE_CHAIN:
		return (struct piece_spec){"issuer chain file", CLI_CHAIN_FILE_MAX_SIZE};
	case CLI_PIECE_CRL:
		return (struct piece_spec){"CRL file", CLI_CRL_FILE_MAX_SIZE};
	}
	return (struct piece_spec){"collateral file", CLI_COLLATERAL_FILE_MAX_SIZE};
}

static int store_piece(struct ratls_collateral *c, enum cli_piece_kind kind, int slot,
		       const struct cli_buffer *file, struct ratls_detail *detail)
{
	switch (kind) {
	case CLI_PIECE_BUNDLE:
		return ratls_collateral_load_bundle(c, file->data, file->size, detail);
	case CLI_PIECE_TCB_INFO:
		return ratls_collateral_set_tcb_info(c, file->data, file->size, detail);
	case CLI_PIECE_QE_IDENTITY:
		return ratls_collateral_set_qe_identity(c, file->data, file->size, detail);
	case CLI_PIECE_CHAIN:
		return ratls_collateral_set_chain(c, (enum ratls_chain_slot)slot, file->data,
						  file->size, detail);
	case CLI_PIECE_CRL:
		return ratls_collateral_set_crl(c, (enum ratls_crl_slot)slot, file->data,
						file->size, detail);
	}
	return cli_fail(detail, RATLS_ERR_INTERNAL, "unknown collateral kind %d", (int)kind);
}

int cli_collateral_load(struct ratls_collateral *collateral, enum cli_piece_kind kind, int slot,
			const char *option, const char *path, struct ratls_detail *detail)
{
	struct piece_spec spec = piece_spec(kind);
	struct cli_buffer file = {0};
	struct ratls_detail inner = {0};
	int rc;

	if ((rc = cli_read_file(path, spec.max_size, spec.what, &file, detail)) != RATLS_OK)
		return rc;
	rc = store_piece(collateral, kind, slot, &file, &inner);
	if (rc != RATLS_OK)
		cli_fail(detail, rc, "%s '%s' (%s): %s", spec.what, path, option,
			 cli_detail_message(&inner, rc));
	cli_buffer_free(&file);
	return rc;
}

int cli_load_trust_root(const char *path, struct cli_buffer *der, struct ratls_detail *detail)
{
	struct cli_buffer file = {0};
	int rc;

	if ((rc = cli_read_file(path, CLI_CERT_FILE_MAX_SIZE, "trust root file", &file, detail)) !=
	    RATLS_OK)
		return rc;
	rc = cli_decode_certificate(&file, path, der, detail);
	cli_buffer_free(&file);
	return rc;
}
