/* time.h -- clock and FHIR/HTTP time formats, all in UTC microseconds since the epoch.
 *
 * Memory: formatters write into caller buffers of the stated size; nothing is allocated.
 * Threads: all functions are thread-safe. Errors: parsers return -1 on bad input. */
#ifndef YL_TIME_H
#define YL_TIME_H

#include <stddef.h>
#include <stdint.h>

#define YL_INSTANT_LEN  64 /* "2026-11-23T13:31:19.123Z" + NUL, with room to spare */
#define YL_HTTPDATE_LEN 32 /* "Mon, 23 Nov 2026 13:31:19 GMT" + NUL */

int64_t yl_now_us(void);       /* wall clock */
int64_t yl_monotonic_us(void); /* for durations */

/* FHIR instant with millisecond precision, e.g. 2026-11-23T13:31:19.123Z */
void yl_format_instant(int64_t us, char out[YL_INSTANT_LEN]);
void yl_format_httpdate(int64_t us, char out[YL_HTTPDATE_LEN]);
/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 5.6.7) -> *us; 0, or -1 when s
 * is not one (callers then ignore the header, as RFC 9110 13.1.3 says). */
int yl_parse_httpdate(const char *s, int64_t *us);

/* The instants a FHIR date/dateTime/instant s[0..n) covers at its precision, inclusive, in
 * UTC us: "1956" is the whole year, "2026-11-23T13:31:19+08:00" one second. Seconds and the
 * zone may be left out after a time (lenient, for search values); values without a zone
 * are taken as UTC. Returns 0, or -1 if s is not a date. */
int yl_parse_date_range(const char *s, size_t n, int64_t *lo /* OUT */, int64_t *hi /* OUT */);
/* The start of that range. */
int yl_parse_datetime(const char *s, size_t n, int64_t *us);

/* Days in month m (1-12) of year y, Gregorian leap years. */
int yl_days_in_month(int y, int m);
/* Days from 1970-01-01 for a proleptic Gregorian date (valid for years 1..9999). */
int64_t yl_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: the Gregorian date of a day number. */
void yl_civil_from_days(int64_t days, int *y, int *m, int *d);

/* Calendar days (day numbers from 1970-01-01, negative before), for rules about dates
 * (contract periods, ages): today in the server's local time zone (a clinic's day, not
 * UTC's); a FHIR date "YYYY-MM-DD" (or the date part of a dateTime) -> YL_NO_DAY when it is
 * not one; the
 * date of a day number as "YYYY-MM-DD" (11 bytes with the NUL); whole years between two
 * days (an age: the birthday counts from its day; 29 February counts from 1 March). */
#define YL_DAY_LEN 11
#define YL_NO_DAY  INT64_MIN
int64_t yl_today(void);
int64_t yl_parse_day(const char *s, size_t n);
void yl_format_day(int64_t day, char out[YL_DAY_LEN]);
int yl_years_between(int64_t from, int64_t to);
/* The day `months` later (negative: earlier), the day of month kept where that month has
 * it, else its last day (31 January + 1 month = 28 or 29 February). */
int64_t yl_add_months(int64_t day, int months);

#endif
