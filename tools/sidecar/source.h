/*
 * Quote sources of ratls-sidecar, chosen at start-up:
 *   simulate  the simulated platform of a folder that "ratls sim init"
 *             created (platform.json), with a dstack-like set of runtime
 *             events so that RTMR3 replays
 *   tsm       the Linux configfs-tsm report interface
 *             (/sys/kernel/config/tsm/report): quotes only, no event log
 *   dstack    dstack's guest agent over its Unix socket (GetQuote), which
 *             returns the quote with the VM's event log
 *   none      no quote at all; the certificate carries no evidence
 *
 * A source is used by one thread at a time: the caller serialises calls.
 */
#ifndef SIDECAR_SOURCE_H
#define SIDECAR_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/attest.h"
#include "ratls/error.h"
#include "ratls/evidence.h"

enum sidecar_source_kind {
	SIDECAR_SOURCE_AUTO = 0,
	SIDECAR_SOURCE_SIMULATE = 1,
	SIDECAR_SOURCE_TSM = 2,
	SIDECAR_SOURCE_DSTACK = 3,
	SIDECAR_SOURCE_NONE = 4
};

/* Default configfs-tsm report folder (Linux 6.7 and later). */
#define SIDECAR_TSM_DEFAULT_DIR "/sys/kernel/config/tsm/report"
/* Default guest agent socket, the first path dstack's SDKs probe. */
#define SIDECAR_DSTACK_DEFAULT_SOCKET "/var/run/dstack.sock"

/*
 * Seconds a configfs-tsm quote may take. The kernel requests the quote
 * from the host's quoting enclave, which takes well under a second on a
 * healthy host (an estimate). 30 seconds covers a host under load and still
 * bounds a hung request.
 */
#define SIDECAR_TSM_TIMEOUT_SECONDS 30

/* Seconds for a guest agent request (connect and reply). */
#define SIDECAR_DSTACK_TIMEOUT_SECONDS 30

/*
 * Largest guest agent reply: a quote (about 10 KiB as hex) and an event log
 * of up to RATLS_EVIDENCE_MAX_SIZE, the largest evidence the library
 * decodes.
 */
#define SIDECAR_DSTACK_REPLY_MAX_SIZE RATLS_EVIDENCE_MAX_SIZE

/* Hex text sizes of the identity fields, NUL included (dstack: 20, 32 and 20 bytes). */
#define SIDECAR_ID_HEX_SIZE 129

/*
 * The evidence that accompanies the source's quotes: the event log as the
 * certificate carries it and as /attestation serves it, the runtime events
 * RTMR3 is extended with, and the identity those events declare.
 */
struct sidecar_evidence {
	struct ratls_tdx_event *events; /* owned; may be NULL */
	size_t event_count;
	/* Views into events (or owned by the source); may be NULL. */
	const struct ratls_runtime_event *runtime_events;
	size_t runtime_event_count;
	/* JSON array text of the event log, NULL when the source has no event log. */
	char *event_log_json;
	/* VM configuration JSON from the guest agent; NULL when absent. */
	char *config;
	size_t config_size;
	/* Hex of the "app-id", "compose-hash" and "instance-id" runtime events; "" when absent. */
	char app_id[SIDECAR_ID_HEX_SIZE];
	char compose_hash[SIDECAR_ID_HEX_SIZE];
	char instance_id[SIDECAR_ID_HEX_SIZE];
};

/* Options of the simulated source. NULL hex fields keep the defaults. */
struct sidecar_simulate_options {
	const char *dir;
	const char *mrtd_hex;         /* 48 bytes */
	const char *app_id_hex;       /* 20 bytes */
	const char *compose_hash_hex; /* 32 bytes */
	const char *instance_id_hex;  /* 20 bytes */
};

struct sidecar_source_options {
	enum sidecar_source_kind kind;
	struct sidecar_simulate_options simulate;
	const char *tsm_dir;       /* NULL: SIDECAR_TSM_DEFAULT_DIR */
	const char *dstack_socket; /* NULL: SIDECAR_DSTACK_DEFAULT_SOCKET */
};

struct sidecar_source {
	enum sidecar_source_kind kind;
	/* Counts changes of the evidence, so a caller can tell that it changed during a call. */
	uint64_t evidence_generation;
	struct sidecar_evidence evidence;
	/*
	 * Writes a quote with this REPORTDATA; *quote is freed with free(). It
	 * may replace evidence (the guest agent returns its current event log
	 * with every quote); the replaced evidence stays valid until the next
	 * replacement.
	 */
	int (*quote)(struct sidecar_source *source, const uint8_t report_data[64], uint8_t **quote,
		     size_t *quote_size, struct ratls_detail *detail);
	/* Brings evidence up to date (the guest agent's event log grows); may be NULL. */
	int (*refresh)(struct sidecar_source *source, struct ratls_detail *detail);
	void (*destroy)(struct sidecar_source *source);
	void *impl;
	/* One line for the start-up log: the folder, socket or platform used. */
	char description[512];
};

/* Returns "auto", "simulate", "tsm", "dstack" or "none". */
const char *sidecar_source_kind_name(enum sidecar_source_kind kind);

/* Parses one of the names above. */
bool sidecar_source_kind_parse(const char *text, enum sidecar_source_kind *out);

/*
 * Creates the source named by options. SIDECAR_SOURCE_AUTO picks the
 * guest agent when its socket exists, else configfs-tsm when its folder
 * exists, and fails otherwise. On success *out is a new source for
 * sidecar_source_free.
 */
int sidecar_source_open(const struct sidecar_source_options *options, struct sidecar_source **out,
			struct ratls_detail *detail);

void sidecar_source_free(struct sidecar_source *source);

/* The three implementations (sidecar_source_open calls them). */
int sidecar_source_open_simulate(const struct sidecar_simulate_options *options,
				 struct sidecar_source **out, struct ratls_detail *detail);
int sidecar_source_open_tsm(const char *dir, struct sidecar_source **out,
			    struct ratls_detail *detail);
int sidecar_source_open_dstack(const char *socket_path, struct sidecar_source **out,
			       struct ratls_detail *detail);

/* Frees everything evidence owns and zeroes it. */
void sidecar_evidence_clear(struct sidecar_evidence *evidence);

/*
 * Fills app_id, compose_hash and instance_id of evidence from its runtime
 * events: the first event of each name before "system-ready", as the
 * library's replay takes them.
 */
void sidecar_evidence_set_identity(struct sidecar_evidence *evidence);

/*
 * Writes runtime events as a JSON event log (IMR 3, type 0x08000001, the
 * version 1 digest, name and hex payload per entry). *json is freed with
 * free().
 */
int sidecar_runtime_events_json(const struct ratls_runtime_event *events, size_t count,
				char **json, struct ratls_detail *detail);

/*
 * Requests a quote with this REPORTDATA from source and checks the result: a TDX
 * quote that parses and carries exactly report_data. *quote is freed with
 * free().
 */
int sidecar_source_quote(struct sidecar_source *source, const uint8_t report_data[64],
			 uint8_t **quote, size_t *quote_size, struct ratls_detail *detail);

/*
 * Adapter for struct ratls_issue_params.quote_source: arg is a struct
 * sidecar_source; calls sidecar_source_quote.
 */
int sidecar_source_quote_fn(void *arg, const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
			    uint8_t **quote, size_t *quote_size, struct ratls_detail *detail);

#endif
