/* fuzz_jsonload.c -- libFuzzer target holding yl_json_load() (yajl's lexer, fhir/jsonload.c)
 * to jansson's json_loadb(JSON_REJECT_DUPLICATES) on any input: both accept it or both
 * refuse it, and what both accept is the same tree (json_equal, with integers and reals
 * apart). A refusal by yl_json_load() is a MALFORMED_JSON error with a message. One
 * known difference: jansson takes a raw NUL byte right after a number ({"a":9\0}), which
 * JSON does not allow; yl_json_load() refuses every raw NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fhir/jsonload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* json_equal() takes 1 and 1.0 as different already; this also walks the tree so that a
 * NULL or wrongly typed node would be found (json_equal stops at the first difference) */
static void same_types(const json_t *x, const json_t *y)
{
	if (json_typeof(x) != json_typeof(y))
		abort();
	if (json_is_object(x)) {
		const char *k;
		json_t *v;
		json_object_foreach ((json_t *)x, k, v)
			same_types(v, json_object_get(y, k));
	} else if (json_is_array(x)) {
		for (size_t i = 0; i < json_array_size(x); i++)
			same_types(json_array_get(x, i), json_array_get(y, i));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	json_error_t je;
	json_t *want = json_loadb(p, size, JSON_REJECT_DUPLICATES, &je);
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	json_t *got = yl_json_load(a, p, size, &err);
	if (memchr(p, '\0', size)) { /* jansson's lapse, above */
		json_decref(want);
		want = NULL;
	}
	if (!want != !got)
		abort(); /* one parser took what the other refused */
	if (got) {
		if (err.code != YL_OK || !json_equal(want, got))
			abort();
		same_types(want, got);
	} else if (err.code != YL_MALFORMED_JSON || !err.first || !err.first->message ||
	           strncmp(err.first->message, "not JSON: ", 10) != 0) {
		abort();
	}
	json_decref(want);
	json_decref(got);
	yl_arena_destroy(a);
	return 0;
}
