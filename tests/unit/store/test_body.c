/* test_body.c -- stored bodies (store/body.h): what is written now (zstd over dictionary 1)
 * and what older stores hold (deflate over dictionary 1) both read back byte for byte; a
 * typical resource packs to under half its size; damaged or unknown blobs are refused
 * without reading or allocating beyond them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "store/body.h"

static const char observation[] =
    "{\"resourceType\":\"Observation\",\"id\":\"o0000001-01\",\"meta\":{\"versionId\":\"1\","
    "\"lastUpdated\":\"2026-12-03T11:35:34.123Z\"},\"status\":\"final\",\"category\":[{"
    "\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\","
    "\"code\":\"laboratory\",\"display\":\"Laboratory\"}]}],\"code\":{\"coding\":[{\"system\":"
    "\"http://loinc.org\",\"code\":\"4548-4\",\"display\":\"Hemoglobin A1c/Hemoglobin.total "
    "in Blood\"}],\"text\":\"HbA1c\"},\"subject\":{\"reference\":\"Patient/p0000001\"},"
    "\"effectiveDateTime\":\"2025-03-14T09:20:00+08:00\",\"issued\":\"2025-03-14T11:02:00+08:00\","
    "\"valueQuantity\":{\"value\":6.9,\"unit\":\"%\",\"system\":\"http://unitsofmeasure.org\","
    "\"code\":\"%\"}}";

static void round_trip(struct yl_arena *a, int codec, const char *json, size_t len)
{
	size_t n = 0, back_len = 0;
	const unsigned char *packed = yl_body_pack_as(a, codec, json, len, &n);
	assert_non_null(packed);
	assert_int_equal(packed[0], codec);
	const char *back = yl_body_unpack(a, packed, n, &back_len);
	assert_non_null(back);
	assert_int_equal(back_len, len);
	assert_memory_equal(back, json, len);
	assert_int_equal(back[len], '\0');
}

static void test_both_codecs_round_trip(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	size_t big_len = 300000;
	char *big = malloc(big_len);
	uint64_t x = 7;
	for (size_t i = 0; i < big_len; i++) { /* half text, half noise */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		big[i] = i % 2 ? observation[i % (sizeof observation - 1)] : (char)(x & 0xff);
	}
	for (int codec = YL_BODY_DEFLATE_D1; codec <= YL_BODY_ZSTD_D1; codec++) {
		round_trip(a, codec, "", 0);
		round_trip(a, codec, "{}", 2);
		round_trip(a, codec, observation, sizeof observation - 1);
		round_trip(a, codec, big, big_len);
	}
	/* the default is zstd, and a typical Observation takes well under half its text */
	size_t n = 0;
	const unsigned char *p = yl_body_pack(a, observation, sizeof observation - 1, &n);
	assert_int_equal(p[0], YL_BODY_ZSTD_D1);
	assert_true(n * 2 < sizeof observation - 1);
	assert_null(yl_body_pack_as(a, 9, "{}", 2, &n));
	free(big);
	yl_arena_destroy(a);
}

static void test_damaged_blobs_are_refused(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	size_t len;
	for (int codec = YL_BODY_DEFLATE_D1; codec <= YL_BODY_ZSTD_D1; codec++) {
		size_t n = 0;
		const unsigned char *p =
		    yl_body_pack_as(a, codec, observation, sizeof observation - 1, &n);
		unsigned char *bad = yl_arena_alloc(a, n);
		/* cut short at every length */
		for (size_t k = 0; k < n; k++)
			assert_null(yl_body_unpack(a, p, k, &len));
		/* a header claiming another length */
		memcpy(bad, p, n);
		bad[1] ^= 0x01;
		assert_null(yl_body_unpack(a, bad, n, &len));
		/* a header claiming 1 GiB over a few bytes allocates nothing and fails */
		unsigned char huge[] = {
		    (unsigned char)codec, 0x80, 0x80, 0x80, 0x80, 0x04, 0, 0, 0};
		assert_null(yl_body_unpack(a, huge, sizeof huge, &len));
		/* an unknown codec */
		memcpy(bad, p, n);
		bad[0] = 7;
		assert_null(yl_body_unpack(a, bad, n, &len));
	}
	yl_arena_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_codecs_round_trip),
	    cmocka_unit_test(test_damaged_blobs_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
