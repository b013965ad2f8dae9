/* test_resident_id.c -- the PRC resident identity number: check character, birth date,
 * sex, the first-generation 15-digit numbers, and that every single mistyped digit and
 * every swap of two adjacent different digits is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "care/resident-id.h"

static enum yl_rid_problem parse(const char *s, int today, struct yl_resident_id *out)
{
	return yl_resident_id_parse(s, strlen(s), today, out);
}

/* the 17 digits d with their right check character */
static enum yl_rid_problem parse_17(const char *d, int today)
{
	char s[19];
	memcpy(s, d, 17);
	s[17] = yl_resident_id_check_char(d);
	s[18] = '\0';
	struct yl_resident_id id;
	return parse(s, today, &id);
}

static void test_valid_numbers(void **state)
{
	(void)state;
	struct yl_resident_id id;
	/* the example of GB 11643-1999 (a woman born 1949-12-31 in Beijing's Chaoyang) */
	assert_int_equal(parse("11010519491231002X", 20261203, &id), YL_RID_OK);
	assert_string_equal(id.number, "11010519491231002X");
	assert_string_equal(id.division, "110105");
	assert_int_equal(id.year * 10000 + id.month * 100 + id.day, 19491231);
	assert_false(id.male);
	/* a lower-case x is taken, and kept upper-case */
	assert_int_equal(parse("11010519491231002x", 20261203, &id), YL_RID_OK);
	assert_string_equal(id.number, "11010519491231002X");
	/* numbers of the benchmark generator */
	assert_int_equal(parse("330302194512268830", 20261203, &id), YL_RID_OK);
	assert_true(id.male);
	assert_int_equal(parse("110105193811168787", 20261203, &id), YL_RID_OK);
	assert_int_equal(yl_resident_id_check_char("11010519491231002"), 'X');
}

static void test_refusals(void **state)
{
	(void)state;
	struct yl_resident_id id;
	assert_int_equal(parse("110105491231002", 20261203, &id), YL_RID_FIRST_GENERATION);
	assert_int_equal(parse("1101051949123100", 20261203, &id), YL_RID_LENGTH);
	assert_int_equal(parse("", 20261203, &id), YL_RID_LENGTH);
	assert_int_equal(parse("11010519491231002Y", 20261203, &id), YL_RID_CHARACTERS);
	assert_int_equal(parse("1101051949123100AX", 20261203, &id), YL_RID_CHARACTERS);
	assert_int_equal(parse("110105194912310021", 20261203, &id), YL_RID_CHECK);
	/* 30 February, month 13, and a birth after "today" */
	assert_int_equal(parse_17("11010519490230002", 20261203), YL_RID_BIRTH_DATE);
	assert_int_equal(parse_17("11010519491331002", 20261203), YL_RID_BIRTH_DATE);
	assert_int_equal(parse_17("11010520261204002", 20261203), YL_RID_BIRTH_DATE);
	assert_int_equal(parse_17("11010520261204002", 0), YL_RID_OK); /* unbounded */
	/* 29 February only in leap years (2000 was one, 1900 was not) */
	assert_int_equal(parse_17("11010520000229002", 20261203), YL_RID_OK);
	assert_int_equal(parse_17("11010519000229002", 20261203), YL_RID_BIRTH_DATE);
	/* the messages never hold the number */
	for (int p = YL_RID_OK; p <= YL_RID_CHECK; p++)
		assert_null(strstr(yl_resident_id_problem((enum yl_rid_problem)p), "110105"));
}

/* MOD 11-2 catches any one wrong digit and any swap of two adjacent different digits
 * (the clerk's two usual slips) */
static void test_typing_slips_are_caught(void **state)
{
	(void)state;
	const char *good = "11010519491231002X";
	struct yl_resident_id id;
	char s[19];
	for (int i = 0; i < 17; i++) {
		for (char c = '0'; c <= '9'; c++) {
			if (c == good[i])
				continue;
			memcpy(s, good, 19);
			s[i] = c;
			enum yl_rid_problem p = parse(s, 20261203, &id);
			assert_true(p == YL_RID_CHECK || p == YL_RID_BIRTH_DATE);
		}
		if (i < 16 && good[i] != good[i + 1]) {
			memcpy(s, good, 19);
			s[i] = good[i + 1];
			s[i + 1] = good[i];
			enum yl_rid_problem p = parse(s, 20261203, &id);
			assert_true(p == YL_RID_CHECK || p == YL_RID_BIRTH_DATE);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_numbers),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_typing_slips_are_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
