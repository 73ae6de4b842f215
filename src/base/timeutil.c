#include <stdbool.h>
#include <stdio.h>

#include "timeutil.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t ratls_time_from_civil(int64_t year, int month, int day, int hour, int minute, int second)
{
	return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

static bool read_digits(const char *s, size_t len, size_t *pos, size_t count, int *out)
{
	int v = 0;

	if (len - *pos < count)
		return false;
	for (size_t i = 0; i < count; i++) {
		char c = s[*pos + i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pos += count;
	*out = v;
	return true;
}

static bool expect_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int ratls_time_parse_rfc3339(const char *s, size_t len, int64_t *out)
{
	size_t pos = 0;
	int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
	int offset = 0;

	if (!read_digits(s, len, &pos, 4, &year) || !expect_char(s, len, &pos, '-') ||
	    !read_digits(s, len, &pos, 2, &month) || !expect_char(s, len, &pos, '-') ||
	    !read_digits(s, len, &pos, 2, &day))
		return RATLS_ERR_MALFORMED;
	if (pos >= len || (s[pos] != 'T' && s[pos] != 't'))
		return RATLS_ERR_MALFORMED;
	pos++;
	if (!read_digits(s, len, &pos, 2, &hour) || !expect_char(s, len, &pos, ':') ||
	    !read_digits(s, len, &pos, 2, &minute) || !expect_char(s, len, &pos, ':') ||
	    !read_digits(s, len, &pos, 2, &second))
		return RATLS_ERR_MALFORMED;

	if (pos < len && s[pos] == '.') {
		size_t start = ++pos;

		while (pos < len && s[pos] >= '0' && s[pos] <= '9')
			pos++;
		if (pos == start)
			return RATLS_ERR_MALFORMED;
	}

	if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
		pos++;
	} else if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
		int sign = s[pos] == '-' ? -1 : 1;
		int oh = 0, om = 0;

		pos++;
		if (!read_digits(s, len, &pos, 2, &oh) || !expect_char(s, len, &pos, ':') ||
		    !read_digits(s, len, &pos, 2, &om) || oh > 23 || om > 59)
			return RATLS_ERR_MALFORMED;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return RATLS_ERR_MALFORMED;
	}
	if (pos != len)
		return RATLS_ERR_MALFORMED;

	/* Second 60 is accepted for leap seconds and folds into the next minute. */
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    minute > 59 || second > 60)
		return RATLS_ERR_MALFORMED;

	*out = ratls_time_from_civil(year, month, day, hour, minute, second) - offset;
	return RATLS_OK;
}

void ratls_time_format(int64_t t, char out[RATLS_TIME_TEXT_SIZE])
{
	int64_t days = t / 86400;
	int64_t rem = t % 86400;
	int64_t z, era, doe, yoe, y, doy, mp, d, m;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* Inverse of days_from_civil. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;

	snprintf(out, RATLS_TIME_TEXT_SIZE, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y,
		 (int)m, (int)d, (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60));
}
