/*
 * dstack RA-TLS evidence: extraction from certificates, the attestation
 * envelopes, event logs, RTMR replay, identity fields and the key binding.
 *
 * A dstack RA-TLS certificate carries its evidence in non-critical X.509
 * extensions under the arc 1.3.6.1.4.1.62397.1 (Phala's private enterprise
 * number). Each extension value is an OCTET STRING that wraps a second
 * OCTET STRING holding the payload:
 *   .1.1  raw TDX quote                  (dstack v0.3 to v0.5.8)
 *   .1.2  JSON array of TDX events       (dstack v0.3 to v0.5.8)
 *   .1.3  app id (issuer claim)
 *   .1.4  certificate usage (issuer claim): "app:custom", "app:ca", "kms:rpc"
 *   .1.8  VersionedAttestation           (dstack v0.5.9 and later)
 *   .1.9  AppInfo, msgpack array (issuer claim)
 * A VersionedAttestation is either V0 (first byte 0x00, SCALE encoding) or
 * V1 (a msgpack map). Both carry the quote, the TDX event log, the dstack
 * runtime events (the source of RTMR3), the 64-byte report_data and the VM
 * configuration JSON.
 *
 * Nothing here performs I/O or verifies the quote signature: that is the
 * DCAP step (ratls/dcap.h). The usual order for a client is
 *   1. ratls_evidence_from_cert          decode (RATLS_ERR_NOT_RATLS when
 *                                        the certificate carries no quote)
 *   2. ratls_evidence_check_cert_binding the quote belongs to this TLS key
 *   3. ratls_dcap_verify on ev->quote    Intel's signature chain
 *   4. ratls_evidence_replay             event log against the quote's RTMRs;
 *                                        fills the identity fields on success
 *   5. policy on the verified report and the identity
 * All decoded evidence owns copies of its bytes, so the certificate or
 * envelope buffer may be freed after a decode call returns.
 */
#ifndef RATLS_EVIDENCE_H
#define RATLS_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"
#include "ratls/quote.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Largest VersionedAttestation, certificate or JSON event log accepted.
 * dstack's own reader rejects attestations over 10 MiB; a real one is about
 * 10-20 KiB (a 5 KiB quote plus hex or SCALE events).
 */
#define RATLS_EVIDENCE_MAX_SIZE (10 * 1024 * 1024)

/*
 * Maximum number of TDX event log entries. A full boot log of a dstack VM
 * has about 30 entries, and a 64 KiB CCEL table fits about 1000 minimal
 * ones (an estimate from the smallest TCG event size).
 */
#define RATLS_EVENT_LOG_MAX_EVENTS 4096

/*
 * Maximum number of dstack runtime events. dstack emits about ten during
 * boot (plus one per init script), and applications of v0.5.x may add a few
 * with EmitEvent.
 */
#define RATLS_RUNTIME_EVENTS_MAX 1024

/* Maximum event name length in bytes. dstack's names are under 32 bytes. */
#define RATLS_EVENT_NAME_MAX 256

/*
 * Largest event payload. The largest boot event payloads (a GPT table, a
 * UEFI certificate database) are tens of KiB; dstack runtime payloads are
 * hashes or short JSON.
 */
#define RATLS_EVENT_PAYLOAD_MAX (256 * 1024)

/*
 * Largest VM configuration JSON (the envelope's config string). A dstack
 * vm_config is 1-4 KiB including the base64 measurement document of the
 * "lite" variant.
 */
#define RATLS_EVIDENCE_CONFIG_MAX (256 * 1024)

/* Maximum length of the decoded key-provider id (the hex "id" of the key-provider event). */
#define RATLS_KEY_PROVIDER_ID_MAX 512

/* Maximum key-provider name length ("kms", "local-sgx", "tpm", "none"), NUL excluded. */
#define RATLS_KEY_PROVIDER_NAME_MAX 31

#define RATLS_REPORT_DATA_SIZE 64
#define RATLS_RTMR_SIZE 48 /* SHA-384 */
#define RATLS_RTMR_COUNT 4

/* Event type of dstack runtime events (DSTACK_RUNTIME_EVENT_TYPE); they extend RTMR3. */
#define RATLS_RUNTIME_EVENT_TYPE 0x08000001u

/* Wire format of decoded evidence. */
enum ratls_evidence_format {
	RATLS_EVIDENCE_V0_SCALE = 1,      /* VersionedAttestation V0 (SCALE) */
	RATLS_EVIDENCE_V1_MSGPACK = 2,    /* VersionedAttestation V1 (msgpack) */
	RATLS_EVIDENCE_QUOTE_EVENT_LOG = 3 /* raw quote + JSON event log (.1.1 + .1.2, GetQuote) */
};

/* The software stack that produced a V1 envelope; V0 is always dstack. */
enum ratls_evidence_stack {
	RATLS_STACK_DSTACK = 1,
	RATLS_STACK_DSTACK_POD = 2 /* report_data = SHA-512("app-data:" || report_data_payload) */
};

/*
 * One TDX event log entry (dstack's TdxEvent). imr 0-3 is RTMR0-3. For a
 * runtime event the name and payload define the digest; a stripped log
 * leaves its digest empty. Other events carry the firmware's digest and a
 * stripped log empties their payload.
 */
struct ratls_tdx_event {
	uint32_t imr;
	uint32_t event_type;
	uint8_t *digest;       /* digest_size bytes: 0 (stripped) or 48 (SHA-384) */
	size_t digest_size;
	char *name;            /* NUL-terminated UTF-8 ("" for boot events) */
	size_t name_size;      /* bytes, NUL excluded */
	uint8_t *payload;
	size_t payload_size;
	uint32_t version;      /* 1, or 2 for JCS-hashed runtime events (dstack 0.6 and later) */
	uint8_t *preimage;     /* version 2 only; NULL when absent */
	size_t preimage_size;
};

/* One dstack runtime event: the input of RTMR3. */
struct ratls_runtime_event {
	char *name;            /* NUL-terminated UTF-8 */
	size_t name_size;      /* bytes, NUL excluded */
	uint8_t *payload;
	size_t payload_size;
	uint32_t version;      /* 1, or 2 (see struct ratls_tdx_event) */
};

/*
 * Raw dstack extension payloads of one certificate, both OCTET STRING
 * layers removed. Each pointer is an owned copy, NULL with size 0 when the
 * extension is absent.
 */
struct ratls_cert_extensions {
	uint8_t *spki;           /* DER SubjectPublicKeyInfo of the certificate (always set) */
	size_t spki_size;
	uint8_t *quote;          /* .1.1 */
	size_t quote_size;
	uint8_t *event_log;      /* .1.2 */
	size_t event_log_size;
	uint8_t *app_id;         /* .1.3 */
	size_t app_id_size;
	uint8_t *cert_usage;     /* .1.4 */
	size_t cert_usage_size;
	uint8_t *attestation;    /* .1.8 */
	size_t attestation_size;
	uint8_t *app_info;       /* .1.9 */
	size_t app_info_size;
};

/*
 * AppInfo from extension .1.9 (a msgpack array, rmp-serde compact form):
 * an issuer claim, trustworthy only as far as the certificate chain is.
 * Pointers are views into the evidence's copy of the extension.
 */
struct ratls_app_info {
	const uint8_t *app_id;
	size_t app_id_size;
	const uint8_t *compose_hash;
	size_t compose_hash_size;
	const uint8_t *instance_id;
	size_t instance_id_size;
	const uint8_t *device_id;
	size_t device_id_size;
	const uint8_t *mr_system;      /* 32 bytes */
	const uint8_t *mr_aggregated;  /* 32 bytes */
	const uint8_t *os_image_hash;
	size_t os_image_hash_size;
	const uint8_t *key_provider_info;
	size_t key_provider_info_size;
	size_t init_script_hash_count; /* 0 when the 9th element is nil or absent */
};

/*
 * Decoded evidence. Every pointer is owned by the struct and freed by
 * ratls_evidence_free. Treat it as read-only.
 */
struct ratls_evidence {
	enum ratls_evidence_format format;
	enum ratls_evidence_stack stack;

	/* The TDX quote, and its parsed form (views into quote). */
	uint8_t *quote;
	size_t quote_size;
	struct ratls_quote parsed_quote;

	/* The TDX event log as carried; for certificates from dstack v0.5.9 on it is stripped. */
	struct ratls_tdx_event *events;
	size_t event_count;

	/*
	 * The runtime events that RTMR3 is replayed from. For the quote + JSON
	 * event log format these are copies of the log's entries of type
	 * RATLS_RUNTIME_EVENT_TYPE, in order.
	 */
	struct ratls_runtime_event *runtime_events;
	size_t runtime_event_count;

	/*
	 * report_data of the envelope. The decoders require it to equal the
	 * quote's REPORTDATA; for the quote + JSON format it is copied from it.
	 */
	uint8_t report_data[RATLS_REPORT_DATA_SIZE];

	/* VM configuration JSON (NUL-terminated), NULL when absent. Not attested by RTMR3. */
	char *config;
	size_t config_size;

	/* RATLS_STACK_DSTACK_POD only: the string report_data is bound to. */
	char *report_data_payload;

	/* Set by ratls_evidence_from_cert. */
	bool from_cert;
	/*
	 * RATLS_OK, or why the .1.2 event log of a certificate without .1.8
	 * does not parse. Such a certificate still decodes, so DCAP and the key
	 * binding can run on its quote, but ratls_evidence_replay returns this
	 * failure and never fills the identity.
	 */
	struct ratls_detail event_log_failure;
	struct ratls_cert_extensions cert;
	/* Extension .1.8 and the legacy pair .1.1 + .1.2 were both present and agreed. */
	bool legacy_cross_checked;
	bool has_app_info;
	struct ratls_app_info app_info;
};

/*
 * Reads the dstack extensions and the SubjectPublicKeyInfo of a certificate
 * given as DER or PEM. In PEM the first CERTIFICATE block is the leaf, and
 * later blocks (such as the rest of a chain) are ignored. The payloads are
 * not decoded. Release *out with ratls_evidence_clear_extensions, also after
 * a failure.
 *
 * Errors:
 *  - RATLS_ERR_NOT_RATLS exactly when the certificate parses and has none of
 *    .1.1, .1.8 and .1.2 (issuer claims such as .1.3 and .1.4 alone are not
 *    evidence). It is the one error that allow_simulator may turn into a
 *    warning.
 *  - RATLS_ERR_MALFORMED for a certificate or extension value that is not
 *    strict DER (trailing bytes inside an extension included), and for a
 *    duplicated dstack extension.
 *  - RATLS_ERR_TRAILING_DATA for bytes after a DER certificate.
 *  - RATLS_ERR_EVENT_LOG for .1.1 without .1.8 and without .1.2, and for
 *    .1.2 without a quote.
 *  - RATLS_ERR_LIMIT_EXCEEDED for input over RATLS_EVIDENCE_MAX_SIZE.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_read_extensions(const uint8_t *cert, size_t size,
								 struct ratls_cert_extensions *out,
								 struct ratls_detail *detail);

/* Frees the payloads of ext and zeroes it. ext may be NULL. */
RATLS_EXPORT void ratls_evidence_clear_extensions(struct ratls_cert_extensions *ext);

/*
 * Decodes a certificate (DER or PEM) into *out: ratls_evidence_read_extensions,
 * then .1.8 when present, else .1.1 with the .1.2 event log (an unparseable
 * .1.2 is recorded in ev->event_log_failure and fails the replay, not the
 * decode). When .1.8 and .1.1 are both present, the quotes must be
 * byte-identical, else
 * RATLS_ERR_MALFORMED. The event logs must agree, else RATLS_ERR_EVENT_LOG:
 * the same runtime events, and every other .1.8 entry found in the .1.2 log
 * with the same IMR, type and digest. .1.9 is decoded when present.
 *
 * The key binding is not checked here; call ratls_evidence_check_cert_binding.
 * Returns the errors of ratls_evidence_read_extensions and of the decoders
 * below. On success *out is a new evidence for ratls_evidence_free; on
 * failure *out is NULL.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_from_cert(const uint8_t *cert, size_t size,
							   struct ratls_evidence **out,
							   struct ratls_detail *detail);

/*
 * Decodes a VersionedAttestation (the payload of .1.8, or the attestation
 * of the guest agent's Attest call). The first byte selects the version:
 * 0x00 is V0 (SCALE), 0x80-0x8f, 0xde and 0xdf (a msgpack map) are V1.
 * Trailing bytes are an error in both.
 *
 * Returns RATLS_ERR_UNSUPPORTED_VERSION for another first byte, a V1
 * version other than 1, an event version other than 1 or 2, a stack other
 * than dstack or dstack-pod, or a platform other than TDX ("unsupported
 * platform", V0 variants 1-4 included); RATLS_ERR_TRUNCATED,
 * RATLS_ERR_MALFORMED (non-canonical SCALE compact integer, invalid UTF-8 or
 * a NUL byte in a string, a msgpack field of the wrong type, an unknown or
 * duplicate map key) or RATLS_ERR_TRAILING_DATA for bad bytes;
 * RATLS_ERR_LIMIT_EXCEEDED when a size or count exceeds a RATLS_*_MAX limit
 * (the detail names the value and the limit); the quote parser's errors;
 * RATLS_ERR_UNSUPPORTED_TEE_TYPE when the quote is not TDX; and
 * RATLS_ERR_KEY_BINDING when the envelope's report_data differs from the
 * quote's REPORTDATA (or, for dstack-pod, from SHA-512("app-data:" ||
 * payload)). On success *out is a new evidence; on failure NULL.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_from_attestation(const uint8_t *data, size_t size,
								  struct ratls_evidence **out,
								  struct ratls_detail *detail);

/*
 * Decodes a raw TDX quote with its JSON event log (legacy extensions .1.1
 * and .1.2, the quote and event_log of a GetQuote response, or the dstack
 * simulator's quote.hex and eventlog.json). event_log may be NULL (size 0)
 * for a quote without a log. config may be NULL. The runtime events are the
 * log's entries of type RATLS_RUNTIME_EVENT_TYPE, which must be in IMR 3.
 * Errors as for ratls_evidence_parse_event_log and the quote parser. On
 * success *out is a new evidence; on failure NULL.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_from_quote(const uint8_t *quote, size_t quote_size,
							    const uint8_t *event_log,
							    size_t event_log_size,
							    const char *config, size_t config_size,
							    struct ratls_evidence **out,
							    struct ratls_detail *detail);

/*
 * Decodes a guest agent GetQuote (or verifier request) JSON object: either
 * {"attestation": hex} with a VersionedAttestation, or {"quote": hex,
 * "event_log": "<JSON array as a string>"} with optional "report_data" (hex,
 * must equal the quote's REPORTDATA) and "vm_config" (a string, kept as
 * config). When both forms are present the quotes must be identical.
 * Returns RATLS_ERR_MALFORMED for JSON that is not of this shape, else the
 * errors of the decoders above.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_from_getquote(const uint8_t *json, size_t size,
							       struct ratls_evidence **out,
							       struct ratls_detail *detail);

/* Frees evidence and everything it owns. ev may be NULL. */
RATLS_EXPORT void ratls_evidence_free(struct ratls_evidence *ev);

/*
 * Parses a JSON array of TdxEvent objects: {"imr", "event_type", "digest"
 * (lowercase or uppercase hex, may be ""), "event", "event_payload" (hex),
 * optional "version" (1 or 2) and "preimage" (hex)}. Duplicate or unknown
 * members, imr above 3, a digest other than 0 or 48 bytes and odd or
 * non-hex digits are RATLS_ERR_MALFORMED; sizes over the RATLS_*_MAX limits
 * are RATLS_ERR_LIMIT_EXCEEDED. On success *events is a new array of *count
 * entries for ratls_evidence_free_events (NULL when the array is empty).
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_parse_event_log(const uint8_t *json, size_t size,
								 struct ratls_tdx_event **events,
								 size_t *count,
								 struct ratls_detail *detail);

/* Frees an array from ratls_evidence_parse_event_log. events may be NULL. */
RATLS_EXPORT void ratls_evidence_free_events(struct ratls_tdx_event *events, size_t count);

/*
 * Encodes a VersionedAttestation V0 (SCALE, DstackTdx variant) from its
 * parts, as dstack's guest agent does; ratls_evidence_from_attestation
 * decodes the result back to the same parts. Version 2 events cannot be
 * encoded in V0 (RATLS_ERR_INVALID_ARGUMENT), and names and config must be
 * valid UTF-8. events, runtime_events and config may be NULL when their
 * count or size is 0. On success *out is a new buffer of *out_size bytes
 * that the caller frees with free().
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_encode_v0(
	const uint8_t *quote, size_t quote_size, const struct ratls_tdx_event *events,
	size_t event_count, const struct ratls_runtime_event *runtime_events,
	size_t runtime_event_count, const uint8_t report_data[RATLS_REPORT_DATA_SIZE],
	const char *config, size_t config_size, uint8_t **out, size_t *out_size,
	struct ratls_detail *detail);

/*
 * Computes the digest of a runtime event. Version 1:
 * SHA-384(LE32(0x08000001) || ":" || name || ":" || payload). Version 2:
 * SHA-384 of the JCS JSON {"name":name,"payload":lowercase hex,"type":134217729}.
 * Returns RATLS_ERR_UNSUPPORTED_VERSION for another version.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_digest_runtime_event(
	const char *name, size_t name_size, const uint8_t *payload, size_t payload_size,
	uint32_t version, uint8_t digest[RATLS_RTMR_SIZE], struct ratls_detail *detail);

/* Extends a register: rtmr = SHA-384(rtmr || digest). Returns RATLS_ERR_INTERNAL if hashing fails. */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_extend_rtmr(uint8_t rtmr[RATLS_RTMR_SIZE],
							     const uint8_t digest[RATLS_RTMR_SIZE],
							     struct ratls_detail *detail);

/* Outcome of replaying one RTMR. */
enum ratls_rtmr_status {
	RATLS_RTMR_NOT_REPLAYED = 0, /* the log lacks the digests needed (stripped or absent) */
	RATLS_RTMR_MATCH = 1,        /* replayed, equal to the quote's value */
	RATLS_RTMR_MISMATCH = 2      /* replayed, different (the replay returned an error) */
};

/*
 * Identity from the runtime events, valid only after RTMR3 matched.
 * Only events before "system-ready" count and the first match of a name
 * wins, so application events cannot override them. Pointers are views
 * into the evidence passed to ratls_evidence_replay.
 */
struct ratls_identity {
	const uint8_t *app_id;           /* "app-id", 20 bytes; NULL when absent */
	size_t app_id_size;
	const uint8_t *compose_hash;     /* "compose-hash": SHA-256 of app-compose.json */
	size_t compose_hash_size;
	const uint8_t *instance_id;      /* "instance-id": 20 bytes, or 0 when disabled */
	size_t instance_id_size;
	bool has_instance_id;
	const uint8_t *os_image_hash;    /* "os-image-hash" (KMS mode): 32 bytes */
	size_t os_image_hash_size;
	const uint8_t *key_provider_info; /* "key-provider" payload, JSON {"name","id"} */
	size_t key_provider_info_size;
	char key_provider_name[RATLS_KEY_PROVIDER_NAME_MAX + 1];
	uint8_t key_provider_id[RATLS_KEY_PROVIDER_ID_MAX];
	size_t key_provider_id_size;
	bool has_system_ready;           /* a "system-ready" event was seen */

	/*
	 * os_image_hash from the config JSON ("os_image_hash" of vm_config, or
	 * of the nested "vm_config" string). Not attested by RTMR3; it is bound
	 * only by recomputing MRTD and RTMR0-2 from the OS image.
	 */
	bool has_config_os_image_hash;
	uint8_t config_os_image_hash[32];

	/*
	 * Derived from the quote as dstack does:
	 * mr_system = SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2 || mr_key_provider),
	 * mr_key_provider = SHA-256(key-provider payload), or zeros without one;
	 * mr_aggregated = SHA-256(MRTD || RTMR0-3 [|| MR_CONFIG_ID || MR_OWNER ||
	 * MR_OWNER_CONFIG when any of the three is non-zero]).
	 */
	uint8_t mr_system[32];
	uint8_t mr_aggregated[32];
};

/* Replay results, for display and for policy. */
struct ratls_replay {
	enum ratls_rtmr_status status[RATLS_RTMR_COUNT];
	uint8_t replayed[RATLS_RTMR_COUNT][RATLS_RTMR_SIZE]; /* meaningful unless NOT_REPLAYED */
	uint8_t quote_rtmr[RATLS_RTMR_COUNT][RATLS_RTMR_SIZE];
	size_t log_event_count[RATLS_RTMR_COUNT]; /* event log entries per IMR */
	size_t runtime_event_count;
	size_t digests_recomputed; /* runtime entries of the log whose digest was empty */
	bool identity_valid;       /* set only when ratls_evidence_replay returns RATLS_OK */
	struct ratls_identity identity;
};

/*
 * Replays the event log against the quote's RTMRs.
 *
 * RTMR3 is always replayed, from the runtime events with every digest
 * recomputed (never taken from the log), and must match the quote. The
 * log's IMR 3 entries must be the runtime events in the same order (same
 * names and payloads), and a non-empty digest there must equal the
 * recomputed one. RTMR0-2 are replayed from the listed digests only when
 * the log is a full boot log, and they must then match. A full boot log has
 * at least one entry for each of IMR 0, 1 and 2, each with a 48-byte digest.
 * Without one, their status is RATLS_RTMR_NOT_REPLAYED. The stripped logs of
 * certificates are such a case, because they keep at most the three ACPI
 * marker events.
 *
 * Returns RATLS_ERR_EVENT_LOG for a mismatch, naming the first differing RTMR
 * with both values in hex, or for a log that disagrees with the runtime
 * events. *out is filled in every case (statuses and values computed so
 * far); out->identity_valid and out->identity are set only on RATLS_OK.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_replay(const struct ratls_evidence *ev,
							struct ratls_replay *out,
							struct ratls_detail *detail);

/*
 * Computes the report_data dstack binds an RA-TLS key with:
 * SHA-512("ratls-cert:" || spki_der), where spki_der is the full DER
 * SubjectPublicKeyInfo (91 bytes for P-256), not the raw EC point.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_compute_report_data(
	const uint8_t *spki_der, size_t spki_size, uint8_t out[RATLS_REPORT_DATA_SIZE],
	struct ratls_detail *detail);

/*
 * Checks that report_data equals ratls_evidence_compute_report_data(spki).
 * Returns RATLS_ERR_KEY_BINDING on a mismatch with both values (shortened
 * hex) in detail. The detail also names what report_data is when it is
 * SHA-512 of the raw EC point (the binding of dstack certificates from 2024)
 * or ASCII text.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_check_binding(
	const uint8_t *spki_der, size_t spki_size,
	const uint8_t report_data[RATLS_REPORT_DATA_SIZE], struct ratls_detail *detail);

/*
 * Checks the key binding of evidence decoded from a certificate: the quote's
 * REPORTDATA (which the decoders already matched to the envelope's
 * report_data) against the certificate's SubjectPublicKeyInfo. Returns
 * RATLS_ERR_INVALID_ARGUMENT when ev did not come from ratls_evidence_from_cert,
 * else as ratls_evidence_check_binding.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_check_cert_binding(const struct ratls_evidence *ev,
								    struct ratls_detail *detail);

/*
 * Decodes an AppInfo msgpack array (extension .1.9) into views into data.
 * Returns RATLS_ERR_MALFORMED for another shape or trailing bytes.
 */
RATLS_EXPORT RATLS_MUST_CHECK int ratls_evidence_decode_app_info(const uint8_t *data, size_t size,
								 struct ratls_app_info *out,
								 struct ratls_detail *detail);

/* Returns "v0-scale", "v1-msgpack" or "quote-event-log"; never NULL. */
RATLS_EXPORT const char *ratls_evidence_format_name(enum ratls_evidence_format format);

/* Returns "not-replayed", "match" or "mismatch"; never NULL. */
RATLS_EXPORT const char *ratls_rtmr_status_name(enum ratls_rtmr_status status);

#ifdef __cplusplus
}
#endif

#endif /* RATLS_EVIDENCE_H */
