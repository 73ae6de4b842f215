/*
 * The configfs-tsm quote source (Linux 6.7 and later): mkdir an entry under the report
 * folder, write the 64 bytes of REPORTDATA to its inblob, read the quote
 * from its outblob, check provider and generation, and rmdir the entry.
 *
 * It returns quotes only: the kernel interface carries no event log, so
 * clients can replay RTMR3 only when the TD leaves it at zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fail.h"
#include "source.h"
#include "util.h"

/* Maximum size of the provider or generation attribute, a short line of text. */
#define TSM_ATTRIBUTE_MAX_SIZE 64

/* The provider name of the Intel TDX guest driver. */
#define TSM_PROVIDER_TDX "tdx_guest"

/* Pause between attempts to open an outblob that a plain folder does not have yet. */
#define TSM_POLL_NANOSECONDS 10000000L

struct tsm_impl {
	char dir[SIDECAR_PATH_SIZE];
	unsigned long entries_created;
};

static int entry_path(char out[SIDECAR_PATH_SIZE], const char *entry, const char *name,
		      struct ratls_detail *detail)
{
	int n = name != NULL ? snprintf(out, SIDECAR_PATH_SIZE, "%s/%s", entry, name)
			     : snprintf(out, SIDECAR_PATH_SIZE, "%s", entry);

	if (n < 0 || n >= SIDECAR_PATH_SIZE)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "configfs-tsm path under '%s' is too long", entry);
	return RATLS_OK;
}

static int write_inblob(const char *entry, const uint8_t report_data[64],
			struct ratls_detail *detail)
{
	char path[SIDECAR_PATH_SIZE];
	size_t done = 0;
	int fd, rc;

	if ((rc = entry_path(path, entry, "inblob", detail)) != RATLS_OK)
		return rc;
	/* O_CREAT is a no-op on configfs, where the attribute exists with the entry. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot open '%s': %s", path,
				  strerror(errno));
	while (done < 64) {
		ssize_t n = write(fd, report_data + done, 64 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ratls_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", path,
					n < 0 ? strerror(errno) : "no bytes written");
			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", path,
				  strerror(errno));
	return RATLS_OK;
}

/*
 * Opens the outblob. configfs creates it with the entry and blocks the read
 * until the quote is ready; a plain folder used in place of configfs (a test
 * double or a user-space quote provider) creates it later, so a
 * missing file is retried until the deadline.
 */
static int open_outblob(const char *path, int *fd, struct ratls_detail *detail)
{
	struct timespec pause = {0, TSM_POLL_NANOSECONDS};
	int64_t deadline = sidecar_now() + SIDECAR_TSM_TIMEOUT_SECONDS;

	for (;;) {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd >= 0)
			return RATLS_OK;
		if (errno != ENOENT && errno != EINTR)
			return ratls_fail(detail, RATLS_ERR_IO, "cannot open '%s': %s", path,
					  strerror(errno));
		if (sidecar_now() > deadline)
			return ratls_fail(detail, RATLS_ERR_TIMEOUT,
					  "no quote appeared at '%s' within %d seconds", path,
					  SIDECAR_TSM_TIMEOUT_SECONDS);
		nanosleep(&pause, NULL);
	}
}

/* Reads a whole attribute of at most max_size bytes into a new buffer (NUL-terminated). */
static int read_attribute(const char *path, int fd, size_t max_size, uint8_t **data, size_t *size,
			  struct ratls_detail *detail)
{
	uint8_t *buffer = malloc(max_size + 1);
	size_t used = 0;

	if (buffer == NULL)
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buffer + used, max_size + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buffer);
			return ratls_fail(detail, RATLS_ERR_IO, "reading '%s' failed: %s", path,
					  strerror(errno));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max_size) {
			free(buffer);
			return ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
					  "'%s' is larger than %zu bytes", path, max_size);
		}
	}
	buffer[used] = '\0';
	*data = buffer;
	*size = used;
	return RATLS_OK;
}

static int read_outblob(const char *entry, uint8_t **quote, size_t *quote_size,
			struct ratls_detail *detail)
{
	char path[SIDECAR_PATH_SIZE];
	int fd, rc;

	if ((rc = entry_path(path, entry, "outblob", detail)) != RATLS_OK)
		return rc;
	if ((rc = open_outblob(path, &fd, detail)) != RATLS_OK)
		return rc;
	rc = read_attribute(path, fd, RATLS_QUOTE_MAX_SIZE, quote, quote_size, detail);
	close(fd);
	if (rc == RATLS_OK && *quote_size == 0) {
		free(*quote);
		*quote = NULL;
		rc = ratls_fail(detail, RATLS_ERR_IO, "'%s' is empty", path);
	}
	return rc;
}

/*
 * Reads a text attribute; returns RATLS_OK with *present false when the
 * file does not exist (a plain folder may omit it).
 */
static int read_text_attribute(const char *entry, const char *name, char *out, size_t out_size,
			       bool *present, struct ratls_detail *detail)
{
	char path[SIDECAR_PATH_SIZE];
	uint8_t *data = NULL;
	size_t size = 0;
	int fd, rc;

	*present = false;
	if ((rc = entry_path(path, entry, name, detail)) != RATLS_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return RATLS_OK;
	if (fd < 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot open '%s': %s", path,
				  strerror(errno));
	rc = read_attribute(path, fd, TSM_ATTRIBUTE_MAX_SIZE, &data, &size, detail);
	close(fd);
	if (rc != RATLS_OK)
		return rc;
	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == ' '))
		size--;
	snprintf(out, out_size, "%.*s", (int)size, (const char *)data);
	free(data);
	*present = true;
	return RATLS_OK;
}

/*
 * Checks that the TDX driver produced the quote and that no other process wrote to the entry between our write and our read (the generation counts
 * writes, and ours was the first).
 */
static int check_entry(const char *entry, struct ratls_detail *detail)
{
	char provider[TSM_ATTRIBUTE_MAX_SIZE + 1], generation[TSM_ATTRIBUTE_MAX_SIZE + 1];
	bool present;
	int rc;

	rc = read_text_attribute(entry, "provider", provider, sizeof(provider), &present, detail);
	if (rc != RATLS_OK)
		return rc;
	if (present && strcmp(provider, TSM_PROVIDER_TDX) != 0)
		return ratls_fail(detail, RATLS_ERR_UNSUPPORTED_TEE_TYPE,
				  "configfs-tsm provider is '%s', not '%s'; the sidecar needs an "
				  "Intel TDX guest",
				  provider, TSM_PROVIDER_TDX);
	rc = read_text_attribute(entry, "generation", generation, sizeof(generation), &present,
				 detail);
	if (rc != RATLS_OK)
		return rc;
	if (present && strcmp(generation, "1") != 0)
		return ratls_fail(detail, RATLS_ERR_IO,
				  "configfs-tsm entry '%s' has generation %s, so another process "
				  "wrote to it; the quote may not be ours, so it is discarded",
				  entry, generation);
	return RATLS_OK;
}

/*
 * Removes the entry. On configfs rmdir removes the attributes with it; a
 * plain folder needs the files removed first.
 */
static void remove_entry(const char *entry)
{
	static const char *const files[] = {"inblob", "outblob", "provider", "generation"};
	char path[SIDECAR_PATH_SIZE];

	if (rmdir(entry) == 0 || errno != ENOTEMPTY)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (entry_path(path, entry, files[i], NULL) == RATLS_OK)
			unlink(path);
	}
	rmdir(entry);
}

static int quote_tsm(struct sidecar_source *source, const uint8_t report_data[64],
		     uint8_t **quote, size_t *quote_size, struct ratls_detail *detail)
{
	struct tsm_impl *impl = source->impl;
	char entry[SIDECAR_PATH_SIZE];
	int n, rc;

	*quote = NULL;
	*quote_size = 0;
	n = snprintf(entry, sizeof(entry), "%s/ratls-sidecar-%ld-%lu", impl->dir, (long)getpid(),
		     impl->entries_created++);
	if (n < 0 || (size_t)n >= sizeof(entry))
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "configfs-tsm folder path '%s' is too long", impl->dir);
	if (mkdir(entry, 0700) != 0)
		return ratls_fail(detail, RATLS_ERR_IO,
				  "cannot create the configfs-tsm entry '%s': %s; check that "
				  "configfs is mounted, the tdx_guest module is loaded and the "
				  "sidecar runs as root",
				  entry, strerror(errno));
	rc = write_inblob(entry, report_data, detail);
	if (rc == RATLS_OK)
		rc = read_outblob(entry, quote, quote_size, detail);
	if (rc == RATLS_OK)
		rc = check_entry(entry, detail);
	if (rc != RATLS_OK) {
		free(*quote);
		*quote = NULL;
		*quote_size = 0;
	}
	remove_entry(entry);
	return rc;
}

static void destroy_tsm(struct sidecar_source *source)
{
	free(source->impl);
	sidecar_evidence_clear(&source->evidence);
	free(source);
}

int sidecar_source_open_tsm(const char *dir, struct sidecar_source **out,
			    struct ratls_detail *detail)
{
	struct sidecar_source *source;
	struct tsm_impl *impl;
	struct stat st;

	*out = NULL;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ratls_fail(detail, RATLS_ERR_IO,
				  "configfs-tsm folder '%s' is missing or not a folder; on a TDX "
				  "guest with Linux 6.7 or later, mount configfs at "
				  "/sys/kernel/config",
				  dir);
	if (strlen(dir) >= SIDECAR_PATH_SIZE - 64)
		return ratls_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				  "configfs-tsm folder path '%.100s...' is too long", dir);
	source = calloc(1, sizeof(*source));
	impl = calloc(1, sizeof(*impl));
	if (source == NULL || impl == NULL) {
		free(source);
		free(impl);
		return ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
	}
	snprintf(impl->dir, sizeof(impl->dir), "%s", dir);
	snprintf(source->description, sizeof(source->description), "configfs-tsm folder %.200s",
		 dir);
	source->kind = SIDECAR_SOURCE_TSM;
	source->quote = quote_tsm;
	source->destroy = destroy_tsm;
	source->impl = impl;
	*out = source;
	return RATLS_OK;
}
