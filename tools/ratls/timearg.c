/*
 * Verification times on the command line: RFC 3339 timestamps (as Intel's
 * collateral writes them) or Unix seconds, always UTC.
 *
 * NOTE: the library parses RFC 3339 internally but does not export it, so
 * the tool has its own parser for the same form.
 */
#include <string.h>
#include <time.h>

#include "cli.h"

/* 9999-12-31T23:59:59Z: later times have no RFC 3339 form. */
#define CLI_TIME_MAX INT64_C(253402300799)

/* Reads exactly n decimal digits at text. Returns false on anything else. */
static bool read_digits(const char *text, size_t n, int *out)
{
	int value = 0;

	for (size_t i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	*out = value;
	return true;
}

static bool is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/* Parses the "+HH:MM", "-HH:MM", "Z" or "z" suffix into seconds east of UTC. */
static bool parse_offset(const char *text, int64_t *offset)
{
	int hours, minutes;

	if ((text[0] == 'Z' || text[0] == 'z') && text[1] == '\0') {
		*offset = 0;
		return true;
	}
	if (text[0] != '+' && text[0] != '-')
		return false;
	if (strlen(text) != 6 || text[3] != ':')
		return false;
	if (!read_digits(text + 1, 2, &hours) || !read_digits(text + 4, 2, &minutes))
		return false;
	if (hours > 23 || minutes > 59)
		return false;
	*offset = (int64_t)hours * 3600 + (int64_t)minutes * 60;
	if (text[0] == '-')
		*offset = -*offset;
	return true;
}

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". A leap second
 * (":60") is read as the last second of its minute.
 */
static bool parse_rfc3339(const char *text, int64_t *out)
{
	struct tm tm;
	int year, month, day, hour, minute, second;
	const char *rest;
	int64_t offset;
	time_t t;

	if (strlen(text) < 20)
		return false;
	if (!read_digits(text, 4, &year) || text[4] != '-' || !read_digits(text + 5, 2, &month) ||
	    text[7] != '-' || !read_digits(text + 8, 2, &day))
		return false;
	if (text[10] != 'T' && text[10] != 't')
		return false;
	if (!read_digits(text + 11, 2, &hour) || text[13] != ':' ||
	    !read_digits(text + 14, 2, &minute) || text[16] != ':' ||
	    !read_digits(text + 17, 2, &second))
		return false;
	if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
	    hour > 23 || minute > 59 || second > 60)
		return false;
	if (second == 60)
		second = 59;

	rest = text + 19;
	if (*rest == '.') {
		rest++;
		if (*rest < '0' || *rest > '9')
			return false;
		while (*rest >= '0' && *rest <= '9')
			rest++;
	}
	if (!parse_offset(rest, &offset))
		return false;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	/* timegm (glibc, the BSDs) is the UTC inverse of gmtime. The fields are checked above. */
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (int64_t)t - offset;
	return true;
}

int cli_parse_time(const char *text, int64_t *out, struct ratls_detail *detail)
{
	int64_t t;

	if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL) {
		if (!cli_parse_int64(text, 0, CLI_TIME_MAX, &t))
			return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
					"time '%s' is not a valid number of Unix seconds "
					"(0 to %lld); write it as digits only or in RFC 3339 form "
					"such as 2025-07-19T10:00:34Z",
					text, (long long)CLI_TIME_MAX);
		*out = t;
		return RATLS_OK;
	}
	if (!parse_rfc3339(text, &t) || t < 0 || t > CLI_TIME_MAX)
		return cli_fail(detail, RATLS_ERR_INVALID_ARGUMENT,
				"time '%s' is not a valid RFC 3339 time from 1970 on; write it as "
				"2025-07-19T10:00:34Z (UTC), with an offset such as +02:00, or as "
				"Unix seconds",
				text);
	*out = t;
	return RATLS_OK;
}

void cli_format_time(int64_t t, char out[CLI_TIME_TEXT_SIZE])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, CLI_TIME_TEXT_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		memcpy(out, "invalid time", sizeof("invalid time"));
		return;
	}
}
