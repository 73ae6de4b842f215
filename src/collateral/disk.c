/*
 * The cache directory: one bundle file per collateral key, named
 * "<tee>-<fmspc>-<ca>-<update>.json" (for example
 * "tdx-00806f050000-platform-standard.json").
 *
 * Files are written to a temporary file in the same directory (mode 0600),
 * flushed to disk and renamed over the old name, so a reader sees either
 * the old or the new bundle, never a partial one. A loaded file is trusted
 * no more than a download: the caller checks it with ratls_dcap_context_new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/fail.h"
#include "pcs_internal.h"

/* A cache directory path plus a file name of at most about 60 characters. */
#define CACHE_PATH_SIZE (RATLS_PCS_CACHE_DIR_MAX_LEN + 128)

int ratls_pcs_disk_prepare(const char *dir, struct ratls_detail *detail)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot create the cache directory %s: %s", dir,
				  strerror(errno));
	if (stat(dir, &st) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "cannot read the cache directory %s: %s", dir,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ratls_fail(detail, RATLS_ERR_IO,
				  "cache directory %s exists but is not a directory; name a directory", dir);
	return RATLS_OK;
}

static void file_name(const struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
		      char *buf, size_t size)
{
	char fmspc[13];

	ratls_hex_encode(key->fmspc, sizeof(key->fmspc), fmspc);
	snprintf(buf, size, "%s-%s-%s-%s.json", ratls_pcs_tee_name(key->tee), fmspc,
		 ratls_pcs_ca_name(key->ca),
		 provider->update == RATLS_PCS_UPDATE_EARLY ? "early" : "standard");
}

static int read_file(int fd, const char *path, uint8_t **out, size_t *out_size,
		     struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	struct stat st;
	uint8_t *data = NULL;
	size_t size;
	size_t done = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "cache file %s is not a regular file", path);
		goto out;
	}
	if (st.st_size > RATLS_COLLATERAL_BUNDLE_MAX_SIZE) {
		rc = ratls_fail(detail, RATLS_ERR_LIMIT_EXCEEDED,
				"cache file %s has %lld bytes, more than the bundle limit of %d",
				path, (long long)st.st_size, RATLS_COLLATERAL_BUNDLE_MAX_SIZE);
		goto out;
	}
	size = (size_t)st.st_size;
	data = malloc(size > 0 ? size : 1);
	if (data == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory reading %s", path);
		goto out;
	}
	while (done < size) {
		ssize_t n = read(fd, data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ratls_fail(detail, RATLS_ERR_IO, "reading cache file %s failed: %s",
					path, n == 0 ? "it shrank while being read" : strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}

	*out = data;
	*out_size = size;
	data = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	free(data);
	return rc;
}

int ratls_pcs_disk_load(const struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
			struct ratls_collateral **out, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	char name[96];
	char path[CACHE_PATH_SIZE];
	struct ratls_collateral *collateral = NULL;
	uint8_t *data = NULL;
	size_t size = 0;
	int fd = -1;

	file_name(provider, key, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", provider->cache_dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "cannot open cache file %s: %s", path,
				strerror(errno));
		goto out;
	}
	if ((rc = read_file(fd, path, &data, &size, detail)) != RATLS_OK)
		goto out;
	collateral = ratls_collateral_new();
	if (collateral == NULL) {
		rc = ratls_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	if ((rc = ratls_collateral_load_bundle(collateral, data, size, detail)) != RATLS_OK)
		goto out;

	*out = collateral;
	collateral = NULL; /* ownership moved to the caller */
	rc = RATLS_OK;
out:
	if (fd >= 0)
		close(fd);
	free(data);
	ratls_collateral_free(collateral);
	return rc;
}

static int write_all(int fd, const char *text, size_t len, const char *path,
		     struct ratls_detail *detail)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ratls_fail(detail, RATLS_ERR_IO, "writing %s failed: %s", path,
					  strerror(errno));
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		return ratls_fail(detail, RATLS_ERR_IO, "flushing %s failed: %s", path,
				  strerror(errno));
	return RATLS_OK;
}

/* Flushes the directory entry of a rename; a failure only weakens durability, so it is ignored. */
static void sync_directory(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

int ratls_pcs_disk_store(const struct ratls_pcs_provider *provider, const struct ratls_pcs_key *key,
			 const struct ratls_collateral *collateral, struct ratls_detail *detail)
{
	int rc = RATLS_ERR_INTERNAL;
	char name[96];
	char path[CACHE_PATH_SIZE];
	char temp[CACHE_PATH_SIZE];
	char *text = NULL;
	bool temp_exists = false;
	int fd = -1;

	file_name(provider, key, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", provider->cache_dir, name);
	snprintf(temp, sizeof(temp), "%s/.%s.XXXXXX", provider->cache_dir, name);
	if ((rc = ratls_collateral_write_bundle(collateral, &text, detail)) != RATLS_OK)
		goto out;

	fd = mkstemp(temp);
	if (fd < 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "cannot create a temporary file in %s: %s",
				provider->cache_dir, strerror(errno));
		goto out;
	}
	temp_exists = true;
	if (fchmod(fd, 0600) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "cannot set mode 0600 on %s: %s", temp,
				strerror(errno));
		goto out;
	}
	if ((rc = write_all(fd, text, strlen(text), temp, detail)) != RATLS_OK)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		rc = ratls_fail(detail, RATLS_ERR_IO, "closing %s failed: %s", temp,
				strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(temp, path) != 0) {
		rc = ratls_fail(detail, RATLS_ERR_IO, "renaming %s to %s failed: %s", temp, path,
				strerror(errno));
		goto out;
	}
	temp_exists = false;
	sync_directory(provider->cache_dir);

	rc = RATLS_OK;
out:
	if (fd >= 0)
		close(fd);
	if (temp_exists)
		unlink(temp);
	free(text);
	return rc;
}
