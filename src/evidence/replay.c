/*
 * RTMR replay and the identity fields of dstack evidence.
 *
 * Every RTMR starts as 48 zero bytes and each event extends it:
 * RTMR := SHA-384(RTMR || digest). RTMR3 records only dstack runtime events,
 * whose digests are recomputed here from name and payload because a
 * stripped log leaves them empty and a forged log could list any value.
 * RTMR0-2 record firmware and boot loader events, whose digests cannot be
 * recomputed from their payloads. So they are replayed from the listed
 * digests, and only when the log is a full boot log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "evidence_internal.h"

#define SYSTEM_READY "system-ready"

static int digest_parts(const EVP_MD *md, const void *const *parts, const size_t *sizes,
			size_t count, uint8_t *out, struct ratls_detail *detail)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int rc = RATLS_ERR_INTERNAL;

	if (ctx == NULL)
		return ratls_fail_ossl(detail, RATLS_ERR_NO_MEMORY, "cannot allocate a digest context");
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "digest initialisation failed");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		if (sizes[i] != 0 && EVP_DigestUpdate(ctx, parts[i], sizes[i]) != 1) {
			rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "digest update failed");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1) {
		rc = ratls_fail_ossl(detail, RATLS_ERR_INTERNAL, "digest finalisation failed");
		goto out;
	}
	rc = RATLS_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ratls_evidence_extend_rtmr(uint8_t rtmr[RATLS_RTMR_SIZE],
			       const uint8_t digest[RATLS_RTMR_SIZE], struct ratls_detail *detail)
{
	uint8_t current[RATLS_RTMR_SIZE];
	const void *parts[2] = {current, digest};
	const size_t sizes[2] = {RATLS_RTMR_SIZE, RATLS_RTMR_SIZE};

	memcpy(current, rtmr, RATLS_RTMR_SIZE);
	return digest_parts(EVP_sha384(), parts, sizes, 2, rtmr, detail);
}

/* Appends s as a JSON string the way JCS (RFC 8785) serialises it. */
static void append_jcs_string(struct ratls_buffer *b, const char *s, size_t size)
{
	static const char hex[] = "0123456789abcdef";

	ratls_buffer_append_u8(b, '"');
	for (size_t i = 0; i < size; i++) {
		uint8_t c = (uint8_t)s[i];

		switch (c) {
		case '"':
			ratls_buffer_append(b, "\\\"", 2);
			break;
		case '\\':
			ratls_buffer_append(b, "\\\\", 2);
			break;
		case '\b':
			ratls_buffer_append(b, "\\b", 2);
			break;
		case '\f':
			ratls_buffer_append(b, "\\f", 2);
			break;
		case '\n':
			ratls_buffer_append(b, "\\n", 2);
			break;
		case '\r':
			ratls_buffer_append(b, "\\r", 2);
			break;
		case '\t':
			ratls_buffer_append(b, "\\t", 2);
			break;
		default:
			if (c < 0x20) {
				char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

				ratls_buffer_append(b, esc, sizeof(esc));
			} else {
				ratls_buffer_append_u8(b, c);
			}
		}
	}
	ratls_buffer_append_u8(b, '"');
}

/*
 * Builds the canonical preimage of a version 2 runtime event:
 * {"name":<name>,"payload":"<lowercase hex>","type":134217729} (JCS, keys sorted).
 */
static int build_v2_preimage(const char *name, size_t name_size, const uint8_t *payload,
			     size_t payload_size, struct ratls_buffer *b,
			     struct ratls_detail *detail)
{
	static const char hex[] = "0123456789abcdef";
	char type[32];

	ratls_buffer_append(b, "{\"name\":", 8);
	append_jcs_string(b, name, name_size);
	ratls_buffer_append(b, ",\"payload\":\"", 12);
	for (size_t i = 0; i < payload_size; i++) {
		char pair[2] = {hex[payload[i] >> 4], hex[payload[i] & 15]};

		ratls_buffer_append(b, pair, 2);
	}
	snprintf(type, sizeof(type), "\",\"type\":%u}", RATLS_RUNTIME_EVENT_TYPE);
	ratls_buffer_append(b, type, strlen(type));
	if (b->failed)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building an event preimage");
	return RATLS_OK;
}

int ratls_evidence_digest_runtime_event(const char *name, size_t name_size,
					const uint8_t *payload, size_t payload_size,
					uint32_t version, uint8_t digest[RATLS_RTMR_SIZE],
					struct ratls_detail *detail)
{
	/* LE32(0x08000001) followed by ':'. */
	static const uint8_t prefix[5] = {0x01, 0x00, 0x00, 0x08, ':'};
	struct ratls_buffer b = {0};
	int rc = RATLS_ERR_INTERNAL;

	if ((name == NULL && name_size != 0) || (payload == NULL && payload_size != 0) ||
	    digest == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_digest_runtime_event: a NULL argument");
	if (version == 1) {
		const void *parts[4] = {prefix, name, ":", payload};
		const size_t sizes[4] = {sizeof(prefix), name_size, 1, payload_size};

		return digest_parts(EVP_sha384(), parts, sizes, 4, digest, detail);
	}
	if (version != 2)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				  "runtime event version %u has no known digest; versions 1 and 2 "
				  "exist",
				  version);

	if ((rc = build_v2_preimage(name, name_size, payload, payload_size, &b, detail)) != RATLS_OK)
		goto out;
	{
		const void *parts[1] = {b.data};
		const size_t sizes[1] = {b.size};

		rc = digest_parts(EVP_sha384(), parts, sizes, 1, digest, detail);
	}
out:
	free(b.data);
	return rc;
}

static void fail_rtmr(const struct ratls_replay *out, int index, const char *source,
		      struct ratls_detail *detail)
{
	char replayed[2 * RATLS_RTMR_SIZE + 1];
	char quote[2 * RATLS_RTMR_SIZE + 1];

	ratls_hex_encode(out->replayed[index], RATLS_RTMR_SIZE, replayed);
	ratls_hex_encode(out->quote_rtmr[index], RATLS_RTMR_SIZE, quote);
	ratls_fail(detail, RATLS_ERR_EVENT_LOG,
		   "RTMR%d replayed from %s is %s but the quote has %s; the event log does not "
		   "belong to this quote",
		   index, source, replayed, quote);
}

/* Replays RTMR3 from the runtime events and stores each recomputed digest in digests. */
static int replay_rtmr3(const struct ratls_evidence *ev, uint8_t (*digests)[RATLS_RTMR_SIZE],
			struct ratls_replay *out, struct ratls_detail *detail)
{
	uint8_t *rtmr = out->replayed[3];
	int rc;

	memset(rtmr, 0, RATLS_RTMR_SIZE);
	for (size_t i = 0; i < ev->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &ev->runtime_events[i];

		rc = ratls_evidence_digest_runtime_event(e->name, e->name_size, e->payload,
							 e->payload_size, e->version, digests[i],
							 detail);
		if (rc != RATLS_OK)
			return rc;
		if ((rc = ratls_evidence_extend_rtmr(rtmr, digests[i], detail)) != RATLS_OK)
			return rc;
	}
	out->status[3] = memcmp(rtmr, out->quote_rtmr[3], RATLS_RTMR_SIZE) == 0 ? RATLS_RTMR_MATCH
										 : RATLS_RTMR_MISMATCH;
	return RATLS_OK;
}

/*
 * Replays RTMR0-2 from the listed digests when the log is a full boot log:
 * every one of IMR 0, 1 and 2 has entries, all with 48-byte digests. A
 * stripped log (none, or only the ACPI marker events of IMR 0) leaves the
 * three NOT_REPLAYED, because replaying part of a register proves nothing.
 */
static int replay_boot(const struct ratls_evidence *ev, struct ratls_replay *out,
		       struct ratls_detail *detail)
{
	bool full = true;
	int rc;

	for (int imr = 0; imr < 3; imr++)
		full = full && out->log_event_count[imr] > 0;
	for (size_t i = 0; i < ev->event_count && full; i++)
		full = ev->events[i].imr == 3 || ev->events[i].digest_size == RATLS_RTMR_SIZE;
	if (!full)
		return RATLS_OK;

	for (int imr = 0; imr < 3; imr++)
		memset(out->replayed[imr], 0, RATLS_RTMR_SIZE);
	for (size_t i = 0; i < ev->event_count; i++) {
		const struct ratls_tdx_event *e = &ev->events[i];

		if (e->imr == 3)
			continue;
		if ((rc = ratls_evidence_extend_rtmr(out->replayed[e->imr], e->digest, detail)) !=
		    RATLS_OK)
			return rc;
	}
	for (int imr = 0; imr < 3; imr++)
		out->status[imr] = memcmp(out->replayed[imr], out->quote_rtmr[imr],
					  RATLS_RTMR_SIZE) == 0
					   ? RATLS_RTMR_MATCH
					   : RATLS_RTMR_MISMATCH;
	return RATLS_OK;
}

/* Checks a version 2 entry's preimage against the canonical form of its name and payload. */
static int check_preimage(const struct ratls_tdx_event *e, size_t index,
			  struct ratls_detail *detail)
{
	struct ratls_buffer b = {0};
	int rc;

	if (e->preimage == NULL)
		return RATLS_OK;
	if (e->version != 2)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "event_log[%zu] is version %u but carries a preimage; only version "
				  "2 events have one",
				  index, e->version);
	rc = build_v2_preimage(e->name, e->name_size, e->payload, e->payload_size, &b, detail);
	if (rc == RATLS_OK && (b.size != e->preimage_size || memcmp(b.data, e->preimage, b.size) != 0))
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"event_log[%zu] (\"%s\") has a preimage that is not the canonical "
				"JSON of its name and payload",
				index, e->name);
	free(b.data);
	return rc;
}

/*
 * Checks that the log's IMR 3 entries are the runtime events. Runtime
 * events must be in IMR 3 and nothing else may be. When the log lists any,
 * they must have the runtime events' names and payloads in the same order,
 * and a listed digest must equal the recomputed one.
 */
static int check_log_imr3(const struct ratls_evidence *ev,
			  const uint8_t (*digests)[RATLS_RTMR_SIZE], struct ratls_replay *out,
			  struct ratls_detail *detail)
{
	size_t next = 0;
	int rc;

	for (size_t i = 0; i < ev->event_count; i++) {
		const struct ratls_tdx_event *e = &ev->events[i];
		const struct ratls_runtime_event *r;

		if ((e->imr == 3) != (e->event_type == RATLS_RUNTIME_EVENT_TYPE))
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "event_log[%zu] has imr %u and type 0x%08x; RTMR3 holds "
					  "exactly the dstack runtime events (type 0x%08x)",
					  i, e->imr, e->event_type, RATLS_RUNTIME_EVENT_TYPE);
		if (e->imr != 3)
			continue;
		if (next >= ev->runtime_event_count)
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "event_log[%zu] (\"%s\") is an IMR 3 entry beyond the %zu "
					  "runtime events",
					  i, e->name, ev->runtime_event_count);
		r = &ev->runtime_events[next];
		if (e->name_size != r->name_size || memcmp(e->name, r->name, r->name_size) != 0 ||
		    e->payload_size != r->payload_size ||
		    (r->payload_size != 0 && memcmp(e->payload, r->payload, r->payload_size) != 0))
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "event_log[%zu] (\"%s\") differs from runtime event %zu "
					  "(\"%s\") in name or payload",
					  i, e->name, next, r->name);
		if (e->digest_size == 0)
			out->digests_recomputed++;
		else if (memcmp(e->digest, digests[next], RATLS_RTMR_SIZE) != 0)
			return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
					  "event_log[%zu] (\"%s\") lists a digest that is not the "
					  "digest of its name and payload",
					  i, e->name);
		if ((rc = check_preimage(e, i, detail)) != RATLS_OK)
			return rc;
		next++;
	}
	if (next != 0 && next != ev->runtime_event_count)
		return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				  "the event log lists %zu IMR 3 entries but there are %zu runtime "
				  "events",
				  next, ev->runtime_event_count);
	return RATLS_OK;
}

/* Parses the key-provider payload {"name": str, "id": hex str}. */
static int parse_key_provider(const uint8_t *payload, size_t size, struct ratls_identity *id,
			      struct ratls_detail *detail)
{
	json_error_t error;
	json_t *root = json_loadb((const char *)payload, size, JSON_REJECT_DUPLICATES, &error);
	json_t *name;
	json_t *hex;
	size_t hex_len;
	int rc = RATLS_ERR_EVENT_LOG;

	if (root == NULL || !json_is_object(root) || json_object_size(root) != 2) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the key-provider runtime event is not a JSON object with exactly "
				"\"name\" and \"id\"");
		goto out;
	}
	name = json_object_get(root, "name");
	hex = json_object_get(root, "id");
	if (!json_is_string(name) || !json_is_string(hex)) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the key-provider runtime event's \"name\" and \"id\" must be strings");
		goto out;
	}
	if (json_string_length(name) > RATLS_KEY_PROVIDER_NAME_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the key-provider name is %zu bytes; the limit is %d "
				"(RATLS_KEY_PROVIDER_NAME_MAX)",
				json_string_length(name), RATLS_KEY_PROVIDER_NAME_MAX);
		goto out;
	}
	hex_len = json_string_length(hex);
	if (hex_len / 2 > RATLS_KEY_PROVIDER_ID_MAX) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"the key-provider id is %zu hex digits; the limit is %d bytes "
				"(RATLS_KEY_PROVIDER_ID_MAX)",
				hex_len, RATLS_KEY_PROVIDER_ID_MAX);
		goto out;
	}
	if (hex_len % 2 != 0 ||
	    ratls_hex_decode_fixed(json_string_value(hex), hex_len, id->key_provider_id,
				   hex_len / 2) != RATLS_OK) {
		rc = ratls_fail(detail, RATLS_ERR_EVENT_LOG,
				"the key-provider id is not an even number of hex digits");
		goto out;
	}
	memcpy(id->key_provider_name, json_string_value(name), json_string_length(name) + 1);
	id->key_provider_id_size = hex_len / 2;
	rc = RATLS_OK;
out:
	json_decref(root);
	return rc;
}

/* Checks the payload size of an identity event; sizes lists the allowed sizes, ending in SIZE_MAX. */
static int check_identity_size(const struct ratls_runtime_event *e, const size_t *sizes,
			       struct ratls_detail *detail)
{
	for (size_t i = 0; sizes[i] != SIZE_MAX; i++) {
		if (e->payload_size == sizes[i])
			return RATLS_OK;
	}
	return ratls_fail(detail, RATLS_ERR_EVENT_LOG,
			  "the %s runtime event has a %zu-byte payload; dstack writes %zu bytes",
			  e->name, e->payload_size, sizes[0]);
}

static bool name_is(const struct ratls_runtime_event *e, const char *name)
{
	return e->name_size == strlen(name) && memcmp(e->name, name, e->name_size) == 0;
}

/* Fills the identity from the runtime events before system-ready; the first match of a name wins. */
static int collect_identity(const struct ratls_evidence *ev, struct ratls_identity *id,
			    struct ratls_detail *detail)
{
	static const size_t app_id_sizes[] = {20, SIZE_MAX};
	static const size_t hash_sizes[] = {32, SIZE_MAX};
	static const size_t instance_id_sizes[] = {20, 0, SIZE_MAX};
	int rc;

	for (size_t i = 0; i < ev->runtime_event_count; i++) {
		const struct ratls_runtime_event *e = &ev->runtime_events[i];

		if (name_is(e, SYSTEM_READY)) {
			id->has_system_ready = true;
			break;
		}
		if (name_is(e, "app-id") && id->app_id == NULL) {
			if ((rc = check_identity_size(e, app_id_sizes, detail)) != RATLS_OK)
				return rc;
			id->app_id = e->payload;
			id->app_id_size = e->payload_size;
		} else if (name_is(e, "compose-hash") && id->compose_hash == NULL) {
			if ((rc = check_identity_size(e, hash_sizes, detail)) != RATLS_OK)
				return rc;
			id->compose_hash = e->payload;
			id->compose_hash_size = e->payload_size;
		} else if (name_is(e, "instance-id") && !id->has_instance_id) {
			if ((rc = check_identity_size(e, instance_id_sizes, detail)) != RATLS_OK)
				return rc;
			id->has_instance_id = true;
			id->instance_id = e->payload;
			id->instance_id_size = e->payload_size;
		} else if (name_is(e, "os-image-hash") && id->os_image_hash == NULL) {
			if ((rc = check_identity_size(e, hash_sizes, detail)) != RATLS_OK)
				return rc;
			id->os_image_hash = e->payload;
			id->os_image_hash_size = e->payload_size;
		} else if (name_is(e, "key-provider") && id->key_provider_info == NULL) {
			if ((rc = parse_key_provider(e->payload, e->payload_size, id, detail)) !=
			    RATLS_OK)
				return rc;
			id->key_provider_info = e->payload;
			id->key_provider_info_size = e->payload_size;
		}
	}
	return RATLS_OK;
}

/* Reads a 64-digit hex "os_image_hash" member of obj, if any. */
static bool read_os_image_hash(json_t *obj, uint8_t out[32])
{
	json_t *v = json_object_get(obj, "os_image_hash");

	return json_is_string(v) &&
	       ratls_hex_decode_fixed(json_string_value(v), json_string_length(v), out, 32) ==
		       RATLS_OK;
}

/*
 * Notes os_image_hash from the config JSON: vm_config itself, or the
 * sys-config that older producers store, whose "vm_config" member is the
 * vm_config JSON as a string. The config is not attested by RTMR3, so a
 * config that is not of this shape leaves the field unset instead of
 * failing the replay.
 */
static void note_config_os_image_hash(const struct ratls_evidence *ev, struct ratls_identity *id)
{
	json_t *root;
	json_t *inner = NULL;
	json_t *vm_config;

	if (ev->config == NULL)
		return;
	root = json_loadb(ev->config, ev->config_size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	if (read_os_image_hash(root, id->config_os_image_hash)) {
		id->has_config_os_image_hash = true;
		goto out;
	}
	vm_config = json_object_get(root, "vm_config");
	if (!json_is_string(vm_config))
		goto out;
	inner = json_loadb(json_string_value(vm_config), json_string_length(vm_config),
			   JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(inner) && read_os_image_hash(inner, id->config_os_image_hash))
		id->has_config_os_image_hash = true;
out:
	json_decref(inner);
	json_decref(root);
}

static bool all_zero(const uint8_t *p, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

/* mr_system and mr_aggregated as dstack derives them from the quote (dstack-attest). */
static int derive_measurements(const struct ratls_evidence *ev, struct ratls_identity *id,
			       struct ratls_detail *detail)
{
	const struct ratls_td_report *td = &ev->parsed_quote.td;
	uint8_t mr_key_provider[32] = {0};
	const void *parts[8];
	size_t sizes[8];
	size_t n = 0;
	int rc;

	if (id->key_provider_info_size != 0) {
		const void *kp[1] = {id->key_provider_info};
		const size_t kp_size[1] = {id->key_provider_info_size};

		if ((rc = digest_parts(EVP_sha256(), kp, kp_size, 1, mr_key_provider, detail)) !=
		    RATLS_OK)
			return rc;
	}

	parts[n] = td->mr_td;
	sizes[n++] = RATLS_RTMR_SIZE;
	for (int i = 0; i < 3; i++) {
		parts[n] = td->rtmr[i];
		sizes[n++] = RATLS_RTMR_SIZE;
	}
	parts[n] = mr_key_provider;
	sizes[n] = sizeof(mr_key_provider);
	if ((rc = digest_parts(EVP_sha256(), parts, sizes, n + 1, id->mr_system, detail)) != RATLS_OK)
		return rc;

	parts[n] = td->rtmr[3];
	sizes[n++] = RATLS_RTMR_SIZE;
	if (!all_zero(td->mr_config_id, 48) || !all_zero(td->mr_owner, 48) ||
	    !all_zero(td->mr_owner_config, 48)) {
		parts[n] = td->mr_config_id;
		sizes[n++] = 48;
		parts[n] = td->mr_owner;
		sizes[n++] = 48;
		parts[n] = td->mr_owner_config;
		sizes[n++] = 48;
	}
	return digest_parts(EVP_sha256(), parts, sizes, n, id->mr_aggregated, detail);
}

static int first_mismatch(const struct ratls_replay *out, struct ratls_detail *detail)
{
	for (int i = 0; i < RATLS_RTMR_COUNT; i++) {
		if (out->status[i] == RATLS_RTMR_MISMATCH) {
			fail_rtmr(out, i, i == 3 ? "the runtime events" : "the event log digests",
				  detail);
			return RATLS_ERR_EVENT_LOG;
		}
	}
	return RATLS_OK;
}

int ratls_evidence_replay(const struct ratls_evidence *ev, struct ratls_replay *out,
			  struct ratls_detail *detail)
{
	struct ratls_identity identity;
	uint8_t(*digests)[RATLS_RTMR_SIZE] = NULL;
	int rc = RATLS_ERR_INTERNAL;

	if (out == NULL)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT, "ratls_evidence_replay: out is NULL");
	memset(out, 0, sizeof(*out));
	if (ev == NULL || ev->quote == NULL || !ratls_quote_is_td(&ev->parsed_quote))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "ratls_evidence_replay needs evidence from a ratls_evidence_from_* "
				  "decoder");
	memset(&identity, 0, sizeof(identity));
	for (int i = 0; i < RATLS_RTMR_COUNT; i++)
		memcpy(out->quote_rtmr[i], ev->parsed_quote.td.rtmr[i], RATLS_RTMR_SIZE);
	if (ev->event_log_failure.code != RATLS_OK)
		return ratls_fail(detail, ev->event_log_failure.code,
				  "the certificate's event log (1.3.6.1.4.1.62397.1.2) cannot be "
				  "replayed: %s",
				  ev->event_log_failure.message);
	for (size_t i = 0; i < ev->event_count; i++) {
		/* The decoders reject imr above 3; this guards hand-built evidence. */
		if (ev->events[i].imr >= RATLS_RTMR_COUNT)
			return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					  "event_log[%zu] has imr %u; TDX has RTMR0-3", i,
					  ev->events[i].imr);
		out->log_event_count[ev->events[i].imr]++;
	}
	out->runtime_event_count = ev->runtime_event_count;

	digests = calloc(ev->runtime_event_count != 0 ? ev->runtime_event_count : 1,
			 sizeof(*digests));
	if (digests == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory for event digests");

	if ((rc = replay_rtmr3(ev, digests, out, detail)) != RATLS_OK)
		goto out;
	if ((rc = replay_boot(ev, out, detail)) != RATLS_OK)
		goto out;
	if ((rc = first_mismatch(out, detail)) != RATLS_OK)
		goto out;
	if ((rc = check_log_imr3(ev, (const uint8_t(*)[RATLS_RTMR_SIZE])digests, out, detail)) !=
	    RATLS_OK)
		goto out;

	/* RTMR3 matched, so the runtime event payloads are what the TD measured. */
	if ((rc = collect_identity(ev, &identity, detail)) != RATLS_OK)
		goto out;
	note_config_os_image_hash(ev, &identity);
	if ((rc = derive_measurements(ev, &identity, detail)) != RATLS_OK)
		goto out;

	out->identity = identity;
	out->identity_valid = true;
	rc = RATLS_OK;
out:
	free(digests);
	return rc;
}
