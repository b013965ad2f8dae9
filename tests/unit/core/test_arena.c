/* test_arena.c -- arena allocation, alignment, growth, cleanups; buffers with limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"

static void test_alloc_aligned_and_large(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	assert_non_null(a);
	for (int i = 1; i < 100; i++) {
		void *p = yl_arena_alloc(a, (size_t)i * 7);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, (size_t)i * 7);
	}
	char *big = yl_arena_alloc(a, 5u << 20);
	assert_non_null(big);
	big[(5u << 20) - 1] = 1;
	assert_null(yl_arena_alloc(a, SIZE_MAX - 4));
	assert_null(yl_arena_calloc(a, SIZE_MAX / 2, 4));
	yl_arena_destroy(a);
	yl_arena_destroy(NULL);
}

static void test_strings(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(64);
	assert_string_equal(yl_arena_strdup(a, "hello"), "hello");
	assert_string_equal(yl_arena_strndup(a, "hello", 3), "hel");
	assert_string_equal(yl_arena_printf(a, "%s-%d", "v", 42), "v-42");
	yl_arena_destroy(a);
}

static int order[4], norder;
static void record(void *p)
{
	order[norder++] = (int)(intptr_t)p;
}

static void test_cleanups_run_in_reverse(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	norder = 0;
	yl_arena_defer(a, record, (void *)1);
	yl_arena_defer(a, record, (void *)2);
	yl_arena_defer(a, record, (void *)3);
	assert_int_equal(norder, 0);
	yl_arena_destroy(a);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[2], 1);
}

static void test_buf_limit_is_sticky(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_buf b;
	yl_buf_init(&b, a, 4, 10);
	yl_buf_adds(&b, "0123456789");
	assert_int_equal(b.err, YL_OK);
	assert_int_equal(b.len, 10);
	yl_buf_addc(&b, 'x');
	assert_int_equal(b.err, YL_TOO_LARGE);
	yl_buf_adds(&b, "y");
	assert_int_equal(b.len, 10);
	yl_arena_destroy(a);
}

static void test_buf_json_escape(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_buf b;
	yl_buf_init(&b, a, 0, 1000);
	yl_buf_json_str(&b, "a\"b\\c\nd\x01 王");
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\nd\\u0001 王\"");
	yl_buf_printf(&b, "%d", 7);
	assert_string_equal(b.p + b.len - 1, "7");
	yl_arena_destroy(a);
}

static int cleaned;
static void count_cleanup(void *p)
{
	(void)p;
	cleaned++;
}

/* a reset runs the cleanups, forgets what was allocated and keeps working */
static void test_reset(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++)
			assert_non_null(yl_arena_alloc(a, 1000));
		assert_int_equal(yl_arena_defer(a, count_cleanup, NULL), 0);
		assert_true(yl_arena_used(a) >= 1000000);
		yl_arena_reset(a);
		assert_int_equal(yl_arena_used(a), 0);
		assert_int_equal(cleaned, round + 1);
	}
	char *s = yl_arena_strdup(a, "still usable");
	assert_string_equal(s, "still usable");
	yl_arena_destroy(a);
	assert_int_equal(cleaned, 3); /* not run again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_alloc_aligned_and_large),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_cleanups_run_in_reverse),
	    cmocka_unit_test(test_buf_limit_is_sticky),
	    cmocka_unit_test(test_buf_json_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
