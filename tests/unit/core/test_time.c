/* test_time.c -- FHIR date parsing and formatting, ids, the error table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/id.h"
#include "core/time.h"

static int64_t parse(const char *s)
{
	int64_t us = -1;
	assert_int_equal(yl_parse_datetime(s, strlen(s), &us), 0);
	return us;
}

static void test_parse_precisions(void **state)
{
	(void)state;
	assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse("1970"), 0);
	assert_int_equal(parse("1970-01"), 0);
	assert_int_equal(parse("1970-01-02"), 86400LL * 1000000);
	assert_int_equal(parse("1970-01-01T08:00:00+08:00"), 0);
	assert_int_equal(parse("1970-01-01T00:00:00.25Z"), 250000);
	assert_int_equal(parse("2000-02-29"), 951782400LL * 1000000);
	int64_t us;
	/* lenient for search values: minutes without seconds, a time without a zone (UTC) */
	assert_int_equal(parse("1970-01-01T00:01Z"), 60000000);
	assert_int_equal(parse("1970-01-01T00:00:01"), 1000000);
	int64_t lo, hi;
	assert_int_equal(yl_parse_date_range("1970-02", 7, &lo, &hi), 0);
	assert_int_equal(lo, 31LL * 86400 * 1000000);
	assert_int_equal(hi, 59LL * 86400 * 1000000 - 1);
	const char *bad[] = {"",
	                     "197",
	                     "1970-13",
	                     "1970-02-30",
	                     "2001-02-29",
	                     "1970-01-01T00Z",
	                     "1970-01-01T25:00:00Z",
	                     "1970-01-01x",
	                     "1970-01-01T00:00:00.Z",
	                     "1970-01-01T00:00:00+15:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(yl_parse_datetime(bad[i], strlen(bad[i]), &us), -1);
}

static void test_format(void **state)
{
	(void)state;
	char s[YL_INSTANT_LEN], h[YL_HTTPDATE_LEN];
	yl_format_instant(951782400123456LL, s);
	assert_string_equal(s, "2000-02-29T00:00:00.123Z");
	yl_format_httpdate(951782400123456LL, h);
	assert_string_equal(h, "Tue, 29 Feb 2000 00:00:00 GMT");
	assert_int_equal(parse(s), 951782400123000LL);
}

/* yl_format_instant works the date out itself (no gmtime_r, no snprintf): the same text as
 * gmtime_r and "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" over four centuries and their edges */
static void test_format_instant_as_gmtime(void **state)
{
	(void)state;
	static const int64_t edges[] = {0,
	                                999,
	                                1000,
	                                86399999999LL,
	                                86400000000LL,
	                                951782399999999LL,    /* 2000-02-28T23:59:59.999999 */
	                                951868800000000LL,    /* 2000-03-01 */
	                                4107542399999999LL,   /* 2099-12-31T23:59:59.999999 */
	                                253402300799999999LL, /* 9999-12-31T23:59:59.999999 */
	                                253402300800000000LL, /* 10000-01-01: the slow path */
	                                -1,
	                                -86400000001LL};
	uint64_t x = 42;
	for (size_t i = 0; i < 100000 + sizeof edges / sizeof edges[0]; i++) {
		int64_t us;
		if (i < sizeof edges / sizeof edges[0]) {
			us = edges[i];
		} else {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			us = (int64_t)((x >> 11) % 13000000000000000ULL); /* 1970 to ~2381 */
		}
		char got[YL_INSTANT_LEN], want[YL_INSTANT_LEN];
		yl_format_instant(us, got);
		time_t sec = (time_t)(us / 1000000);
		struct tm tm;
		gmtime_r(&sec, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec, (int)((us % 1000000) / 1000));
		assert_string_equal(got, want);
	}
}

/* If-Modified-Since: what the server sends in Last-Modified reads back; anything else that
 * is not an IMF-fixdate is refused (the header is then ignored) */
static void test_parse_httpdate(void **state)
{
	(void)state;
	int64_t us;
	assert_int_equal(yl_parse_httpdate("Sun, 06 Nov 1994 08:49:37 GMT", &us), 0);
	assert_int_equal(us, 784111777LL * 1000000);
	char out[YL_HTTPDATE_LEN];
	int64_t t = 1796290330123456LL; /* 2026-12-03T..., sub-second part dropped */
	yl_format_httpdate(t, out);
	assert_int_equal(yl_parse_httpdate(out, &us), 0);
	assert_int_equal(us, t / 1000000 * 1000000);
	static const char *const bad[] = {"Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850: obsolete */
	                                  "Sun Nov  6 08:49:37 1994",       /* asctime */
	                                  "Sun, 06 Nov 1994 08:49:37 UTC",
	                                  "Sun, 06 Foo 1994 08:49:37 GMT",
	                                  "Sun, 32 Nov 1994 08:49:37 GMT",
	                                  "Sun, 06 Nov 1994 24:49:37 GMT",
	                                  "Sun, 06 Nov 1994 08:49:37 GMT ",
	                                  "",
	                                  "yesterday"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(yl_parse_httpdate(bad[i], &us), -1);
	assert_int_equal(yl_parse_httpdate(NULL, &us), -1);
}

static void test_ids_sort_and_are_valid(void **state)
{
	(void)state;
	assert_int_equal(yl_id_init(), 0);
	char prev[YL_ID_LEN + 1] = "";
	for (int i = 0; i < 1000; i++) {
		char id[YL_ID_LEN + 1];
		yl_id_new(id);
		assert_int_equal(strlen(id), YL_ID_LEN);
		assert_true(yl_id_valid(id, strlen(id)));
		assert_true(strcmp(prev, id) < 0);
		memcpy(prev, id, sizeof id);
	}
	assert_false(yl_id_valid("", 0));
	assert_false(yl_id_valid("a_b", 3));
	assert_true(yl_id_valid("A-b.9", 5));
	char long_id[66];
	memset(long_id, 'a', 65);
	long_id[65] = 0;
	assert_false(yl_id_valid(long_id, 65));
	assert_true(yl_id_valid(long_id, 64));
}

static void test_error_table(void **state)
{
	(void)state;
	assert_int_equal(yl_code_status(YL_INVALID_RESOURCE), 422);
	assert_string_equal(yl_code_issue(YL_GONE), "deleted");
	assert_int_equal(yl_code_status(YL_PRECONDITION_FAILED), 412);
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	yl_err_add(&e, a, YL_INVALID_RESOURCE, "Patient.gender", "bad '%s'", "x");
	yl_err_add(&e, a, YL_BAD_REQUEST, NULL, "second");
	assert_int_equal(e.code, YL_INVALID_RESOURCE);
	assert_int_equal(e.count, 2);
	assert_string_equal(e.first->expression, "Patient.gender");
	assert_string_equal(e.last->message, "second");
	assert_string_equal(e.last->code, "invalid");
	yl_arena_destroy(a);
}

/* Day numbers: a round trip over four centuries either side of 1970, ages across
 * birthdays (29 February counts from 1 March in other years), and the date parser. */
static void test_days(void **state)
{
	(void)state;
	for (int64_t day = -146097 * 2; day <= 146097 * 2; day += 7) {
		int y, m, d;
		yl_civil_from_days(day, &y, &m, &d);
		assert_true(m >= 1 && m <= 12 && d >= 1 && d <= yl_days_in_month(y, m));
		assert_int_equal(yl_days_from_civil(y, (unsigned)m, (unsigned)d), day);
	}
	char out[YL_DAY_LEN];
	yl_format_day(-1, out);
	assert_string_equal(out, "1969-12-31");
	assert_int_equal(yl_parse_day("1969-12-31", 10), -1); /* a real day, not an error */
	assert_int_equal(yl_parse_day("1950-01-01T08:00:00+08:00", 25),
	                 yl_days_from_civil(1950, 1, 1));
	const char *bad[] = {"1950-02-29", "1950-13-01", "1950-1-01", "1950", "1950-01-01x", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_true(yl_parse_day(bad[i], strlen(bad[i])) == YL_NO_DAY);
	int64_t born = yl_days_from_civil(1960, 5, 20);
	assert_int_equal(yl_years_between(born, yl_days_from_civil(2025, 5, 19)), 64);
	assert_int_equal(yl_years_between(born, yl_days_from_civil(2025, 5, 20)), 65);
	int64_t leap = yl_days_from_civil(2000, 2, 29);
	assert_int_equal(yl_years_between(leap, yl_days_from_civil(2001, 2, 28)), 0);
	assert_int_equal(yl_years_between(leap, yl_days_from_civil(2001, 3, 1)), 1);
	assert_int_equal(yl_years_between(leap, yl_days_from_civil(2004, 2, 29)), 4);
	assert_true(yl_today() > yl_days_from_civil(2020, 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_precisions),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_instant_as_gmtime),
	    cmocka_unit_test(test_parse_httpdate),
	    cmocka_unit_test(test_ids_sort_and_are_valid),
	    cmocka_unit_test(test_error_table),
	    cmocka_unit_test(test_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
