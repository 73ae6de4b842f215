/*
 * Platform folder, hex option values and output files of the "ratls sim"
 * subcommands.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_sim.h"
#include "input.h"

static int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns the offset of the first character that is not a hex digit, or len when all are. */
static size_t find_non_hex(const char *digits, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (hex_digit_value(digits[i]) < 0)
			return i;
	}
	return len;
}

/* Decodes len hex digits (len even, all checked by find_non_hex) into out. */
static void decode_hex_digits(const char *digits, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len / 2; i++)
		out[i] = (uint8_t)(hex_digit_value(digits[2 * i]) << 4 |
				   hex_digit_value(digits[2 * i + 1]));
}

int cli_sim_parse_hex_range(const char *command, const char *option, const char *what,
			    const char *text, bool show_value, uint8_t *out, size_t min_size,
			    size_t max_size, size_t *out_size)
{
	const char *digits = text;
	char quoted[256] = "";
	size_t len, bad;

	if (show_value && snprintf(quoted, sizeof(quoted), " '%s'", text) >= (int)sizeof(quoted))
		memcpy(quoted + sizeof(quoted) - 5, "...'", 5);
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		digits += 2;
	len = strlen(digits);

	bad = find_non_hex(digits, len);
	if (bad < len) {
		if (digits[bad] > ' ' && digits[bad] < 127)
			return cli_usage_error(command,
					       "%s value%s contains '%c' at position %zu, which is "
					       "not a hex digit; write %s as hex digits 0-9 and "
					       "a-f",
					       option, quoted, digits[bad], bad + 1, what);
		return cli_usage_error(command,
				       "%s value%s contains a space or control character at "
				       "position %zu; write %s as hex digits 0-9 and a-f",
				       option, quoted, bad + 1, what);
	}
	if (len % 2 != 0 || len / 2 < min_size || len / 2 > max_size) {
		if (min_size == max_size)
			return cli_usage_error(command,
					       "%s value%s has %zu hex digits; %s is %zu bytes, so "
					       "pass exactly %zu hex digits",
					       option, quoted, len, what, max_size, 2 * max_size);
		return cli_usage_error(command,
				       "%s value%s has %zu hex digits; %s is %zu to %zu bytes, so "
				       "pass an even number of hex digits from %zu to %zu",
				       option, quoted, len, what, min_size, max_size, 2 * min_size,
				       2 * max_size);
	}

	decode_hex_digits(digits, len, out);
	if (out_size != NULL)
		*out_size = len / 2;
	return CLI_EXIT_OK;
}

int cli_sim_parse_hex(const char *command, const char *option, const char *what,
		      const char *text, bool show_value, uint8_t *out, size_t size)
{
	return cli_sim_parse_hex_range(command, option, what, text, show_value, out, size, size,
				       NULL);
}

int cli_sim_join_path(const char *dir, const char *name, char out[CLI_SIM_PATH_SIZE],
		      struct ratls_detail *detail)
{
	int n = snprintf(out, CLI_SIM_PATH_SIZE, "%s/%s", dir, name);

	if (n < 0 || n >= CLI_SIM_PATH_SIZE)
		return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"path '%s/%s' is longer than %d bytes; use a shorter folder name",
				dir, name, CLI_SIM_PATH_SIZE - 1);
	return RATLS_OK;
}

/* Writes all size bytes to fd, retrying after interrupted and partial writes. */
static bool write_all(int fd, const uint8_t *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		size -= (size_t)n;
	}
	return true;
}

/*
 * Writes data into an existing file that is not a regular file, such as
 * /dev/null or a FIFO, which a rename must not replace.
 */
static int write_in_place(const char *path, const void *data, size_t size,
			  struct ratls_detail *detail)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int rc = RATLS_OK;

	if (fd < 0)
		return cli_fail(detail, RATLS_ERR_IO, "cannot open '%s' for writing: %s", path,
				strerror(errno));
	if (!write_all(fd, data, size))
		rc = cli_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", path,
			      strerror(errno));
	if (close(fd) != 0 && rc == RATLS_OK)
		rc = cli_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", path,
			      strerror(errno));
	return rc;
}

int cli_sim_write_file(const char *path, const void *data, size_t size, unsigned int mode,
		       struct ratls_detail *detail)
{
	char temp[CLI_SIM_PATH_SIZE];
	struct stat st;
	int fd = -1;
	int n, rc = RATLS_ERR_INTERNAL;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_in_place(path, data, size, detail);
	n = snprintf(temp, sizeof(temp), "%s.tmp", path);
	if (n < 0 || n >= (int)sizeof(temp))
		return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"path '%s' is too long for its temporary file; use a shorter path",
				path);

	/*
	 * A stale temporary file is removed first, so that O_EXCL creates a new
	 * file with mode instead of reusing the old file's permission bits.
	 */
	if (unlink(temp) != 0 && errno != ENOENT) {
		rc = cli_fail(detail, RATLS_ERR_IO, "cannot remove the old temporary file '%s': %s",
			      temp, strerror(errno));
		goto out;
	}
	fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		rc = cli_fail(detail, RATLS_ERR_IO,
			      "cannot create '%s': %s; check that the folder exists and is "
			      "writable",
			      temp, strerror(errno));
		goto out;
	}
	if (!write_all(fd, data, size)) {
		rc = cli_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", temp,
			      strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		rc = cli_fail(detail, RATLS_ERR_IO, "writing '%s' failed: %s", temp,
			      strerror(errno));
		goto out;
	}
	if (rename(temp, path) != 0) {
		rc = cli_fail(detail, RATLS_ERR_IO, "cannot rename '%s' to '%s': %s", temp, path,
			      strerror(errno));
		goto out;
	}
	rc = RATLS_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != RATLS_OK)
		unlink(temp);
	return rc;
}

int cli_sim_write_output(const char *path, const void *data, size_t size, const char *what,
			 struct ratls_detail *detail)
{
	if (path != NULL && strcmp(path, "-") != 0)
		return cli_sim_write_file(path, data, size, 0644, detail);
	if (fwrite(data, 1, size, stdout) != size)
		return cli_fail(detail, RATLS_ERR_IO,
				"writing the %s to standard output failed: %s", what,
				strerror(errno));
	return RATLS_OK;
}

int cli_sim_make_dir(const char *dir, unsigned int mode, struct ratls_detail *detail)
{
	struct stat st;

	if (mkdir(dir, (mode_t)mode) == 0)
		return RATLS_OK;
	if (errno != EEXIST)
		return cli_fail(detail, RATLS_ERR_IO,
				"cannot create folder '%s': %s; check that its parent folder "
				"exists and is writable",
				dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cli_fail(detail, RATLS_ERR_IO,
				"'%s' exists and is not a folder; pass a folder path", dir);
	return RATLS_OK;
}

void cli_sim_platform_file_wipe(struct cli_sim_platform_file *file)
{
	explicit_bzero(file, sizeof(*file));
}

/* Builds the JSON text of platform.json. *text is freed by the caller after wiping it. */
static int platform_json_dump(const struct cli_sim_platform_file *file, char **text,
			      struct ratls_detail *detail)
{
	char seed_hex[2 * RATLS_SIM_SEED_MAX_SIZE + 1];
	char created[CLI_TIME_TEXT_SIZE];
	json_t *root = json_object();
	int rc = RATLS_ERR_INTERNAL;

	cli_hex_encode(file->seed, file->seed_size, seed_hex, sizeof(seed_hex));
	cli_format_time(file->created_at, created);
	if (root == NULL ||
	    json_object_set_new(root, "format", json_string(CLI_SIM_PLATFORM_FORMAT)) != 0 ||
	    json_object_set_new(root, "version", json_integer(CLI_SIM_PLATFORM_VERSION)) != 0 ||
	    json_object_set_new(root, "created_at", json_string(created)) != 0 ||
	    json_object_set_new(root, "seed", json_string(seed_hex)) != 0 ||
	    json_object_set_new(root, "note",
				json_string("The seed is the private key material of every key of "
					    "this simulated platform: anyone who has it can issue "
					    "quotes and collateral that verify with its root.pem. "
					    "Never trust root.pem outside of tests.")) != 0) {
		rc = cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building %s",
			      CLI_SIM_PLATFORM_FILE);
		goto out;
	}
	*text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (*text == NULL) {
		rc = cli_fail(detail, RATLS_ERR_NO_MEMORY, "out of memory building %s",
			      CLI_SIM_PLATFORM_FILE);
		goto out;
	}
	rc = RATLS_OK;
out:
	json_decref(root);
	explicit_bzero(seed_hex, sizeof(seed_hex));
	return rc;
}

int cli_sim_platform_file_write(const char *dir, const struct cli_sim_platform_file *file,
				struct ratls_detail *detail)
{
	char path[CLI_SIM_PATH_SIZE];
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = cli_sim_join_path(dir, CLI_SIM_PLATFORM_FILE, path, detail)) != RATLS_OK)
		return rc;
	if ((rc = platform_json_dump(file, &text, detail)) != RATLS_OK)
		return rc;
	len = strlen(text);
	text[len] = '\n'; /* the NUL that ends json_dumps' text becomes a final newline */
	rc = cli_sim_write_file(path, text, len + 1, 0600, detail);
	explicit_bzero(text, len + 1);
	free(text);
	return rc;
}

/* Checks that dir is a folder with a platform.json, naming "ratls sim init" in the message. */
static int check_platform_dir(const char *dir, const char *path, struct ratls_detail *detail)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return cli_fail(detail, RATLS_ERR_IO,
				"platform folder '%s' cannot be opened: %s; create a platform "
				"with 'ratls sim init %s'",
				dir, strerror(errno), dir);
	if (!S_ISDIR(st.st_mode))
		return cli_fail(detail, RATLS_ERR_IO,
				"platform folder '%s' is not a folder; pass the folder that "
				"'ratls sim init' created",
				dir);
	if (stat(path, &st) != 0)
		return cli_fail(detail, RATLS_ERR_IO,
				"'%s' is not a simulated platform: '%s' cannot be opened (%s); "
				"create a platform with 'ratls sim init %s'",
				dir, path, strerror(errno), dir);
	return RATLS_OK;
}

/* Reads the members of the parsed platform.json into file. */
static int platform_json_read(json_t *root, const char *path, struct cli_sim_platform_file *file,
			      struct ratls_detail *detail)
{
	json_t *format = json_object_get(root, "format");
	json_t *version = json_object_get(root, "version");
	json_t *created = json_object_get(root, "created_at");
	json_t *seed = json_object_get(root, "seed");
	struct ratls_detail time_detail = {0};
	long long version_value = json_is_integer(version) ? (long long)json_integer_value(version)
							   : -1;
	const char *seed_hex;
	size_t seed_len;

	if (!json_is_string(format) ||
	    strcmp(json_string_value(format), CLI_SIM_PLATFORM_FORMAT) != 0)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' has no \"format\": \"%s\" member, so it was not written by "
				"'ratls sim init'; create the platform again",
				path, CLI_SIM_PLATFORM_FORMAT);
	if (version_value != CLI_SIM_PLATFORM_VERSION)
		return cli_fail(detail, RATLS_ERR_UNSUPPORTED_VERSION,
				"'%s' has \"version\" %lld, but this ratls reads version %d; "
				"create the platform again with this ratls",
				path, version_value, CLI_SIM_PLATFORM_VERSION);
	if (!json_is_string(created))
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' has no \"created_at\" string; write the creation time as "
				"2025-07-19T10:00:34Z or create the platform again",
				path);
	if (cli_parse_time(json_string_value(created), &file->created_at, &time_detail) !=
	    RATLS_OK)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' has an invalid \"created_at\": %s", path,
				time_detail.message);
	if (!json_is_string(seed))
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"'%s' has no \"seed\" string; create the platform again", path);

	seed_hex = json_string_value(seed);
	seed_len = strlen(seed_hex);
	if (find_non_hex(seed_hex, seed_len) < seed_len || seed_len % 2 != 0 || seed_len == 0 ||
	    seed_len / 2 > RATLS_SIM_SEED_MAX_SIZE)
		return cli_fail(detail, RATLS_ERR_MALFORMED,
				"\"seed\" in '%s' is not 1 to %d bytes of hex (%zu characters); "
				"restore the file or create the platform again",
				path, RATLS_SIM_SEED_MAX_SIZE, seed_len);
	decode_hex_digits(seed_hex, seed_len, file->seed);
	file->seed_size = seed_len / 2;
	return RATLS_OK;
}

int cli_sim_platform_file_read(const char *dir, struct cli_sim_platform_file *file,
			       struct ratls_detail *detail)
{
	char path[CLI_SIM_PATH_SIZE];
	struct cli_buffer text = {0};
	json_error_t error;
	json_t *root = NULL;
	int rc;

	memset(file, 0, sizeof(*file));
	if ((rc = cli_sim_join_path(dir, CLI_SIM_PLATFORM_FILE, path, detail)) != RATLS_OK)
		return rc;
	if ((rc = check_platform_dir(dir, path, detail)) != RATLS_OK)
		return rc;
	rc = cli_read_file(path, CLI_SIM_PLATFORM_FILE_MAX_SIZE, "platform file", &text, detail);
	if (rc != RATLS_OK)
		return rc;

	root = json_loadb((const char *)text.data, text.size, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL) {
		rc = cli_fail(detail, RATLS_ERR_MALFORMED,
			      "'%s' is not valid JSON (line %d: %s); restore the file or create "
			      "the platform again",
			      path, error.line, error.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = cli_fail(detail, RATLS_ERR_MALFORMED,
			      "'%s' is not a JSON object; restore the file or create the platform "
			      "again",
			      path);
		goto out;
	}
	rc = platform_json_read(root, path, file, detail);
out:
	/* jansson does not wipe its copies of the seed, but they are in the file anyway. */
	json_decref(root);
	if (text.data != NULL)
		explicit_bzero(text.data, text.size);
	cli_buffer_free(&text);
	if (rc != RATLS_OK)
		cli_sim_platform_file_wipe(file);
	return rc;
}

int cli_sim_platform_create(const struct cli_sim_platform_file *file,
			    const struct ratls_sim_platform_params *params,
			    struct ratls_sim_platform **out, struct ratls_detail *detail)
{
	return ratls_sim_platform_new_with(file->seed, file->seed_size, params, out, detail);
}

void cli_sim_warn_simulated(const char *platform_dir)
{
	cli_warn("simulated platform: this output is signed by a test root CA, not by Intel, "
		 "and verifies only with --trust-root %s/%s",
		 platform_dir, CLI_SIM_ROOT_PEM_FILE);
}

int cli_sim_report_failure(const char *command, int code, const struct ratls_detail *detail)
{
	fprintf(stderr, "ratls: %s failed: %s: %s\n", command, ratls_error_name(code),
		cli_detail_message(detail, code));
	return cli_exit_status(code);
}
