/* test_json.c -- limit scan, server-field rewrite (text kept byte for byte), pretty,
 * and the patient compartment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fhir/compartment.h"
#include "fhir/json.h"
#include "fhir/limits.h"

static void test_rewrite_sets_server_fields(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	const char *in = "{ \"meta\" : {\"versionId\":\"9\",\"profile\":[\"http://x/p\"],"
	                 "\"lastUpdated\":\"2000-01-01T00:00:00Z\"},\n\"id\":\"old\","
	                 "\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":1.50e0},"
	                 "\"note\":[{\"text\":\"a \\\"q\\\" \\u738b\"}],"
	                 "\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"p1\"}]}";
	size_t n;
	char *out = yl_json_rewrite(a, in, strlen(in), "Observation", "new", 3, 0, &n);
	assert_non_null(out);
	assert_string_equal(
	    out, "{\"resourceType\":\"Observation\",\"id\":\"new\",\"meta\":{\"versionId\":"
	         "\"3\",\"lastUpdated\":\"1970-01-01T00:00:00.000Z\",\"profile\":"
	         "[\"http://x/p\"]},\"valueQuantity\":{\"value\":1.50e0},\"note\":[{"
	         "\"text\":\"a \\\"q\\\" \\u738b\"}],\"contained\":[{\"resourceType\":"
	         "\"Patient\",\"id\":\"p1\"}]}");
	assert_int_equal(n, strlen(out));
	json_error_t e;
	json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(j);
	json_decref(j);
	const char *bare = "{\"resourceType\":\"Basic\"}";
	out = yl_json_rewrite(a, bare, strlen(bare), "Basic", "b", 1, 0, &n);
	assert_string_equal(out, "{\"resourceType\":\"Basic\",\"id\":\"b\",\"meta\":{\"versionId\":"
	                         "\"1\",\"lastUpdated\":\"1970-01-01T00:00:00.000Z\"}}");
	assert_null(yl_json_rewrite(a, "[1]", 3, "Basic", "b", 1, 0, &n));
	yl_arena_destroy(a);
}

static void test_limits(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	char deep[2 * YL_MAX_JSON_DEPTH + 4];
	for (int d = YL_MAX_JSON_DEPTH; d <= YL_MAX_JSON_DEPTH + 1; d++) {
		memset(deep, '[', (size_t)d);
		memset(deep + d, ']', (size_t)d);
		yl_err_init(&e);
		enum yl_code c = yl_json_check_limits(deep, 2 * (size_t)d, a, &e);
		assert_int_equal(c, d > YL_MAX_JSON_DEPTH ? YL_BAD_REQUEST : YL_OK);
	}
	/* brackets inside strings do not count */
	const char *s =
	    "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}";
	yl_err_init(&e);
	assert_int_equal(yl_json_check_limits(s, strlen(s), a, &e), YL_OK);
	yl_arena_destroy(a);
}

static void test_pretty(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	const char *in = "{\"a\":[1,{\"b\":\"x,y:{\"}],\"c\":{},\"d\":[]}";
	size_t n;
	char *p = yl_json_pretty(a, in, strlen(in), &n);
	assert_string_equal(p, "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,y:{\"\n    }\n  ],\n"
	                       "  \"c\": {},\n  \"d\": []\n}\n");
	yl_arena_destroy(a);
}

static const char *patient_of(struct yl_arena *a, const char *type, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	const char *p = yl_fhir_patient_of(a, type, "self", j);
	json_decref(j);
	return p;
}

static void test_compartment(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	assert_string_equal(patient_of(a, "Patient", "{}"), "self");
	assert_string_equal(
	    patient_of(a, "Observation", "{\"subject\":{\"reference\":\"Patient/p1\"}}"), "p1");
	assert_string_equal(
	    patient_of(a, "Encounter", "{\"subject\":{\"reference\":\"Patient/p2/_history/3\"}}"),
	    "p2");
	/* absolute URLs may name another server's patient; odd ids are refused */
	assert_null(patient_of(a, "Encounter",
	                       "{\"subject\":{\"reference\":\"http://h/fhir/Patient/p2\"}}"));
	assert_null(patient_of(a, "Encounter", "{\"subject\":{\"reference\":\"Patient/a?b=1\"}}"));
	assert_null(patient_of(a, "Observation", "{\"subject\":{\"reference\":\"Group/g\"}}"));
	assert_string_equal(patient_of(a, "Appointment",
	                               "{\"participant\":[{\"actor\":{\"reference\":\"Practitioner/"
	                               "d\"}},{\"actor\":{\"reference\":\"Patient/p3\"}}]}"),
	                    "p3");
	assert_null(patient_of(a, "Organization", "{\"partOf\":{\"reference\":\"Patient/x\"}}"));
	yl_arena_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rewrite_sets_server_fields),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_pretty),
	    cmocka_unit_test(test_compartment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
