/* time.c -- clocks and time formats. */
#include "core/time.h"

#include <stdio.h>
#include <time.h>

int64_t yl_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t yl_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void split(int64_t us, struct tm *tm, int *ms)
{
	time_t sec = (time_t)(us / 1000000);
	*ms = (int)((us % 1000000) / 1000);
	gmtime_r(&sec, tm);
}

void yl_format_instant(int64_t us, char out[YL_INSTANT_LEN])
{
	struct tm tm;
	int ms;
	split(us, &tm, &ms);
	snprintf(out, YL_INSTANT_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void yl_format_httpdate(int64_t us, char out[YL_HTTPDATE_LEN])
{
	struct tm tm;
	int ms;
	split(us, &tm, &ms);
	strftime(out, YL_HTTPDATE_LEN, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int64_t yl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t *pos, size_t count, int *out)
{
	int v = 0;
	for (size_t i = 0; i < count; i++) {
		if (*pos >= n || s[*pos] < '0' || s[*pos] > '9')
			return -1;
		v = v * 10 + (s[(*pos)++] - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char *s, size_t n, size_t *pos, char c)
{
	if (*pos >= n || s[*pos] != c)
		return -1;
	(*pos)++;
	return 0;
}

static int parse_zone(const char *s, size_t n, size_t *pos, int64_t *offset_s)
{
	if (*pos < n && s[*pos] == 'Z') {
		(*pos)++;
		*offset_s = 0;
		return 0;
	}
	if (*pos >= n || (s[*pos] != '+' && s[*pos] != '-'))
		return -1;
	int sign = s[(*pos)++] == '-' ? -1 : 1;
	int hh, mm;
	if (digits(s, n, pos, 2, &hh) || expect(s, n, pos, ':') || digits(s, n, pos, 2, &mm) ||
	    hh > 14 || mm > 59)
		return -1;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int yl_parse_datetime(const char *s, size_t n, int64_t *us)
{
	size_t pos = 0;
	int y, mo = 1, d = 1, hh = 0, mi = 0, ss = 0;
	int64_t frac_us = 0, offset_s = 0;
	if (digits(s, n, &pos, 4, &y))
		return -1;
	if (pos < n && !expect(s, n, &pos, '-')) {
		if (digits(s, n, &pos, 2, &mo) || mo < 1 || mo > 12)
			return -1;
		if (pos < n && !expect(s, n, &pos, '-')) {
			if (digits(s, n, &pos, 2, &d) || d < 1 || d > days_in_month(y, mo))
				return -1;
			if (pos < n && !expect(s, n, &pos, 'T')) {
				if (digits(s, n, &pos, 2, &hh) || expect(s, n, &pos, ':') ||
				    digits(s, n, &pos, 2, &mi) || expect(s, n, &pos, ':') ||
				    digits(s, n, &pos, 2, &ss) || hh > 23 || mi > 59 || ss > 60)
					return -1;
				if (pos < n && s[pos] == '.') {
					pos++;
					int64_t scale = 100000;
					size_t start = pos;
					while (pos < n && s[pos] >= '0' && s[pos] <= '9') {
						frac_us += (s[pos] - '0') * scale;
						scale /= 10;
						pos++;
					}
					if (pos == start)
						return -1;
				}
				if (parse_zone(s, n, &pos, &offset_s))
					return -1;
			}
		}
	}
	if (pos != n)
		return -1;
	int64_t days = yl_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_s;
	*us = secs * 1000000 + frac_us;
	return 0;
}
