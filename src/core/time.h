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

/* Parse a FHIR date, dateTime or instant (partial dates allowed: 2026, 2026-11,
 * 2026-11-23, with time and zone). The value is the start of the period it names.
 * Returns 0 and sets *us, or -1. */
int yl_parse_datetime(const char *s, size_t n, int64_t *us);

/* Days from 1970-01-01 for a proleptic Gregorian date (valid for years 1..9999). */
int64_t yl_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
