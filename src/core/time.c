/* time.c -- clocks and time formats. */
#include "core/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

#define YL_YEAR_10000_US 253402300800000000LL /* 10000-01-01T00:00:00Z */

static void split(int64_t us, struct tm *tm, int *ms)
{
	time_t sec = (time_t)(us / 1000000);
	*ms = (int)((us % 1000000) / 1000);
	gmtime_r(&sec, tm);
}

/* n as `width` decimal digits at p (n < 10^width) */
static void put_digits(char *p, unsigned n, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* Every request formats one or two of these (meta.lastUpdated, its AuditEvent): from the
 * day number, without gmtime_r (glibc takes the time zone lock for it) and snprintf. */
void yl_format_instant(int64_t us, char out[YL_INSTANT_LEN])
{
	if (us < 0 || us >= YL_YEAR_10000_US) { /* before 1970, or a year of five digits */
		struct tm tm;
		int ms;
		split(us, &tm, &ms);
		snprintf(out, YL_INSTANT_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec, ms);
		return;
	}
	int64_t sec = us / 1000000;
	unsigned s = (unsigned)(sec % 86400);
	int y, m, d;
	yl_civil_from_days(sec / 86400, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, (unsigned)m, 2);
	put_digits(out + 8, (unsigned)d, 2);
	put_digits(out + 11, s / 3600, 2);
	put_digits(out + 14, s / 60 % 60, 2);
	put_digits(out + 17, s % 60, 2);
	put_digits(out + 20, (unsigned)(us % 1000000 / 1000), 3);
}

void yl_format_httpdate(int64_t us, char out[YL_HTTPDATE_LEN])
{
	struct tm tm;
	int ms;
	split(us, &tm, &ms);
	strftime(out, YL_HTTPDATE_LEN, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int yl_parse_httpdate(const char *s, int64_t *us)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "MonTueWedThuFriSatSun";
	char wd[4], mon[4], zone[4];
	int d, y, h, mi, sec, used = -1;
	if (!s || strlen(s) != 29 ||
	    sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wd, &d, mon, &y, &h,
	           &mi, &sec, zone, &used) != 8 ||
	    used != 29 || strcmp(zone, "GMT") != 0 || strlen(wd) != 3 || strlen(mon) != 3)
		return -1;
	const char *w = strstr(days, wd), *m = strstr(months, mon);
	if (!w || (w - days) % 3 || !m || (m - months) % 3 || d < 1 || d > 31 || y < 1970 ||
	    h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	unsigned month = (unsigned)(m - months) / 3 + 1;
	int64_t days_since = yl_days_from_civil(y, month, (unsigned)d);
	*us = ((days_since * 86400 + h * 3600 + mi * 60 + sec) * 1000000LL);
	return 0;
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

void yl_civil_from_days(int64_t days, int *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int64_t yl_today(void)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return yl_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

void yl_format_day(int64_t day, char out[YL_DAY_LEN])
{
	int y, m, d;
	yl_civil_from_days(day, &y, &m, &d);
	unsigned yy = (unsigned)y % 10000, mm = (unsigned)m % 100, dd = (unsigned)d % 100;
	snprintf(out, YL_DAY_LEN, "%04u-%02u-%02u", yy, mm, dd);
}

int yl_years_between(int64_t from, int64_t to)
{
	int y0, m0, d0, y1, m1, d1;
	yl_civil_from_days(from, &y0, &m0, &d0);
	yl_civil_from_days(to, &y1, &m1, &d1);
	int years = y1 - y0;
	if (m1 < m0 || (m1 == m0 && d1 < d0))
		years--;
	return years;
}

#define US_PER_SEC 1000000LL
#define US_PER_DAY (86400LL * US_PER_SEC)

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

static bool take(const char *s, size_t n, size_t *pos, char c)
{
	if (*pos < n && s[*pos] == c) {
		(*pos)++;
		return true;
	}
	return false;
}

int yl_days_in_month(int y, int m)
{
	static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int64_t yl_parse_day(const char *s, size_t n)
{
	size_t pos = 0;
	int y, m, d;
	if (digits(s, n, &pos, 4, &y) || !take(s, n, &pos, '-') || digits(s, n, &pos, 2, &m) ||
	    !take(s, n, &pos, '-') || digits(s, n, &pos, 2, &d) || (pos < n && s[pos] != 'T') ||
	    m < 1 || m > 12 || d < 1 || d > yl_days_in_month(y, m))
		return YL_NO_DAY;
	return yl_days_from_civil(y, (unsigned)m, (unsigned)d);
}

static int64_t day_us(int y, int m, int d)
{
	return yl_days_from_civil(y, (unsigned)m, (unsigned)d) * US_PER_DAY;
}

/* hh:mm[:ss[.fff]][zone] after the 'T'; sets *lo (local) and *unit, *offset_us. */
static int parse_time(const char *s, size_t n, size_t *pos, int64_t *us, int64_t *unit,
                      int64_t *offset_us)
{
	int hh, mi, ss = 0;
	if (digits(s, n, pos, 2, &hh) || !take(s, n, pos, ':') || digits(s, n, pos, 2, &mi) ||
	    hh > 23 || mi > 59)
		return -1;
	*unit = 60 * US_PER_SEC;
	int64_t frac = 0;
	if (take(s, n, pos, ':')) {
		if (digits(s, n, pos, 2, &ss) || ss > 60)
			return -1;
		*unit = US_PER_SEC;
		if (take(s, n, pos, '.')) {
			size_t k = 0;
			int64_t scale = 100000;
			while (*pos < n && s[*pos] >= '0' && s[*pos] <= '9') {
				frac += (s[*pos] - '0') * scale;
				scale /= 10;
				(*pos)++;
				k++;
			}
			if (!k)
				return -1;
			*unit = 1;
			for (size_t i = k; i < 6; i++)
				*unit *= 10;
		}
	}
	*us = ((int64_t)hh * 3600 + mi * 60 + ss) * US_PER_SEC + frac;
	*offset_us = 0;
	if (take(s, n, pos, 'Z') || *pos == n)
		return 0; /* no zone: UTC (FHIR requires one with a time; be lenient) */
	int sign = s[*pos] == '-' ? -1 : 1;
	if (s[*pos] != '+' && s[*pos] != '-')
		return -1;
	(*pos)++;
	int zh, zm;
	if (digits(s, n, pos, 2, &zh) || !take(s, n, pos, ':') || digits(s, n, pos, 2, &zm) ||
	    zh > 14 || zm > 59)
		return -1;
	*offset_us = sign * ((int64_t)zh * 3600 + zm * 60) * US_PER_SEC;
	return 0;
}

int yl_parse_date_range(const char *s, size_t n, int64_t *lo, int64_t *hi)
{
	size_t pos = 0;
	int y, m = 1, d = 1;
	if (!s || digits(s, n, &pos, 4, &y) || y < 1)
		return -1;
	if (pos == n) {
		*lo = day_us(y, 1, 1);
		*hi = day_us(y + 1, 1, 1) - 1;
		return 0;
	}
	if (!take(s, n, &pos, '-') || digits(s, n, &pos, 2, &m) || m < 1 || m > 12)
		return -1;
	if (pos == n) {
		*lo = day_us(y, m, 1);
		*hi = *lo + yl_days_in_month(y, m) * US_PER_DAY - 1;
		return 0;
	}
	if (!take(s, n, &pos, '-') || digits(s, n, &pos, 2, &d) || d < 1 ||
	    d > yl_days_in_month(y, m))
		return -1;
	if (pos == n) {
		*lo = day_us(y, m, d);
		*hi = *lo + US_PER_DAY - 1;
		return 0;
	}
	int64_t t, unit, offset;
	if (!take(s, n, &pos, 'T') || parse_time(s, n, &pos, &t, &unit, &offset) || pos != n)
		return -1;
	*lo = day_us(y, m, d) + t - offset;
	*hi = *lo + unit - 1;
	return 0;
}

int yl_parse_datetime(const char *s, size_t n, int64_t *us)
{
	int64_t hi;
	return yl_parse_date_range(s, n, us, &hi);
}

int64_t yl_add_months(int64_t day, int months)
{
	int y, m, d;
	yl_civil_from_days(day, &y, &m, &d);
	int64_t total = (int64_t)y * 12 + (m - 1) + months;
	int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
	int nm = (int)(total - ny * 12) + 1;
	if (d > yl_days_in_month((int)ny, nm))
		d = yl_days_in_month((int)ny, nm);
	return yl_days_from_civil(ny, (unsigned)nm, (unsigned)d);
}
