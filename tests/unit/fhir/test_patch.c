/* test_patch.c -- JSON Patch (RFC 6902) as a table of cases: document, patch, and the
 * result or the error; numbers keep their text through wrap/unwrap; and the Bundle text
 * helpers (member spans, array elements, reference mapping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fhir/json.h"
#include "fhir/patch.h"

static const struct {
	const char *doc, *patch;
	const char *want; /* compact JSON, or NULL for an error */
	enum yl_code code;
} cases[] = {
    /* add: object member, array insert, append with "-", whole document */
    {"{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}", YL_OK},
    {"{\"a\":[1,3]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]", "{\"a\":[1,2,3]}", YL_OK},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]", "{\"a\":[1,2]}", YL_OK},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]", "{\"a\":[1,2]}", YL_OK},
    {"{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"z\":0}}]", "{\"z\":0}", YL_OK},
    {"{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":9}]", "{\"a\":9}", YL_OK},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":2}]", NULL, YL_INVALID_RESOURCE},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":2}]", NULL, YL_INVALID_RESOURCE},
    {"{}", "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":2}]", NULL, YL_INVALID_RESOURCE},
    /* escapes in pointers */
    {"{\"a/b\":1,\"m~n\":2}",
     "[{\"op\":\"remove\",\"path\":\"/a~1b\"},"
     "{\"op\":\"replace\",\"path\":\"/m~0n\",\"value\":3}]",
     "{\"m~n\":3}", YL_OK},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", NULL, YL_BAD_REQUEST},
    {"{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL, YL_BAD_REQUEST},
    /* remove, replace */
    {"{\"a\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", "{\"a\":[1,3]}", YL_OK},
    {"{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL, YL_INVALID_RESOURCE},
    {"{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL, YL_INVALID_RESOURCE},
    {"{\"a\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":5}]", "{\"a\":[5,2]}",
     YL_OK},
    {"{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":5}]", NULL, YL_INVALID_RESOURCE},
    /* move, copy */
    {"{\"a\":{\"b\":1},\"c\":[]}", "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/c/-\"}]",
     "{\"a\":{},\"c\":[1]}", YL_OK},
    {"{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL,
     YL_INVALID_RESOURCE},
    {"{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/z\"}]",
     "{\"a\":{\"b\":1},\"z\":{\"b\":1}}", YL_OK},
    {"{}", "[{\"op\":\"copy\",\"from\":\"/nope\",\"path\":\"/z\"}]", NULL, YL_INVALID_RESOURCE},
    /* test: stops the patch when it fails */
    {"{\"a\":[1,{\"b\":\"x\"}]}",
     "[{\"op\":\"test\",\"path\":\"/a/1\",\"value\":{\"b\":\"x\"}},"
     "{\"op\":\"add\",\"path\":\"/ok\",\"value\":true}]",
     "{\"a\":[1,{\"b\":\"x\"}],\"ok\":true}", YL_OK},
    {"{\"a\":\"x\"}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":\"y\"}]", NULL,
     YL_INVALID_RESOURCE},
    /* malformed patch documents */
    {"{}", "{\"op\":\"add\"}", NULL, YL_BAD_REQUEST},
    {"{}", "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", NULL, YL_BAD_REQUEST},
    {"{}", "[{\"path\":\"/a\",\"value\":1}]", NULL, YL_BAD_REQUEST},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL, YL_BAD_REQUEST},
    {"{}", "[{\"op\":\"move\",\"path\":\"/a\"}]", NULL, YL_BAD_REQUEST},
    {"{}", "[7]", NULL, YL_BAD_REQUEST},
    {"{}", "[]", "{}", YL_OK},
};

static void test_patch_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct yl_arena *a = yl_arena_create(0);
		struct yl_err err;
		yl_err_init(&err);
		json_t *doc = json_loads(cases[i].doc, 0, NULL);
		json_t *patch = json_loads(cases[i].patch, 0, NULL);
		assert_non_null(doc);
		assert_non_null(patch);
		enum yl_code code = yl_json_patch(&doc, patch, a, &err);
		if (code != cases[i].code)
			fail_msg("case %zu: code %d, want %d (%s)", i, code, cases[i].code,
			         err.first ? err.first->message : "");
		if (cases[i].want) {
			char *got = json_dumps(doc, JSON_COMPACT);
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("case %zu: %s, want %s", i, got, cases[i].want);
			free(got);
		} else {
			assert_non_null(err.first);
			assert_non_null(strstr(err.first->message, "patch operation 0")
			                    ? err.first->message
			                    : strstr(err.first->message, "JSON Patch"));
		}
		json_decref(doc);
		json_decref(patch);
		yl_arena_destroy(a);
	}
}

/* 1.50 and 1e3 survive a parse-patch-dump round trip as written */
static void test_numbers_keep_their_text(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	const char *in = "{\"v\":1.50,\"n\":[-0.0,2E+2,3],\"s\":\"1.50\"}";
	char *w, *back;
	size_t wl, bl;
	assert_int_equal(yl_json_wrap_numbers(a, in, strlen(in), &w, &wl), 0);
	json_t *doc = json_loads(w, 0, NULL);
	assert_non_null(doc);
	json_t *patch = json_loads("[{\"op\":\"copy\",\"from\":\"/v\",\"path\":\"/w\"}]", 0, NULL);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_json_patch(&doc, patch, a, &err), YL_OK);
	char *out = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(yl_json_unwrap_numbers(a, out, strlen(out), &back, &bl), 0);
	assert_string_equal(back, "{\"v\":1.50,\"n\":[-0.0,2E+2,3],\"s\":\"1.50\",\"w\":1.50}");
	free(out);
	json_decref(doc);
	json_decref(patch);
	/* a string that would read back as a number is refused */
	const char *odd = "{\"s\":\"\\uE000x\"}";
	assert_int_equal(yl_json_wrap_numbers(a, odd, strlen(odd), &w, &wl), -2);
	yl_arena_destroy(a);
}

static int upper_urn(void *ctx, const char *s, size_t n, const char **to)
{
	int *calls = ctx;
	(*calls)++;
	if (n == 5 && memcmp(s, "urn:1", 5) == 0)
		*to = "Patient/\"one\"";
	return 0;
}

/* spans of a Bundle's entries and resources, and references mapped only where they are
 * references */
static void test_bundle_text_helpers(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	const char *b =
	    "{\"resourceType\":\"Bundle\", \"entry\" : [ {\"resource\": {\"a\":1.50} } ,"
	    "{\"x\":[1,{\"y\":\"]\"}]} ]}";
	struct yl_span es, *items, rs;
	assert_int_equal(yl_json_member(b, strlen(b), "entry", &es), 0);
	assert_int_equal(yl_json_elements(a, b + es.at, es.len, &items), 2);
	assert_int_equal(yl_json_member(b + es.at + items[0].at, items[0].len, "resource", &rs), 0);
	assert_int_equal(rs.len, strlen("{\"a\":1.50}"));
	assert_memory_equal(b + es.at + items[0].at + rs.at, "{\"a\":1.50}", rs.len);
	assert_int_equal(yl_json_member(b, strlen(b), "nope", &rs), -1);
	assert_int_equal(yl_json_elements(a, "{}", 2, &items), -1);

	const char *r = "{\"subject\":{\"reference\":\"urn:1\"},\"note\":\"urn:1\","
	                "\"x\":[{\"reference\":\"urn:2\"}],\"reference\":7}";
	char *out;
	size_t n;
	int calls = 0;
	assert_int_equal(yl_json_map_references(a, r, strlen(r), upper_urn, &calls, &out, &n), 0);
	assert_string_equal(out, "{\"subject\":{\"reference\":\"Patient/\\\"one\\\"\"},\"note\":"
	                         "\"urn:1\",\"x\":[{\"reference\":\"urn:2\"}],\"reference\":7}");
	assert_int_equal(calls, 2);
	yl_arena_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_patch_cases),
	    cmocka_unit_test(test_numbers_keep_their_text),
	    cmocka_unit_test(test_bundle_text_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
