/* fuzz_json.c -- libFuzzer target for the write path's text passes (fhir/json.c): for any
 * input that passes the limit scan and that jansson accepts as an object, the rewritten
 * text must be valid JSON without duplicate names, carry the server's id and versionId,
 * keep every other top-level member equal, and pretty-print to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fhir/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *in, size_t n, struct yl_arena *a)
{
	json_error_t e;
	json_t *orig = json_loadb(in, n, JSON_REJECT_DUPLICATES, &e);
	if (!orig || !json_is_object(orig))
		goto out;
	size_t len;
	char *out = yl_json_rewrite(a, in, n, "Basic", "fz", 7, 0, &len);
	if (!out)
		abort();
	json_t *got = json_loadb(out, len, JSON_REJECT_DUPLICATES, &e);
	if (!got || strcmp(json_string_value(json_object_get(got, "id")), "fz") != 0 ||
	    strcmp(json_string_value(json_object_get(json_object_get(got, "meta"), "versionId")),
	           "7") != 0)
		abort();
	const char *key;
	json_t *v;
	json_object_foreach (orig, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "meta") == 0 ||
		    strcmp(key, "resourceType") == 0)
			continue;
		if (!json_equal(v, json_object_get(got, key)))
			abort();
	}
	size_t plen;
	char *pretty = yl_json_pretty(a, out, len, &plen);
	json_t *again = pretty ? json_loadb(pretty, plen, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!again || !json_equal(again, got))
		abort();
	json_decref(again);
	json_decref(got);
out:
	json_decref(orig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_json_check_limits((const char *)data, size, a, &err) == YL_OK)
		check((const char *)data, size, a);
	yl_arena_destroy(a);
	return 0;
}
