/* fuzz_patch.c -- libFuzzer target for JSON Patch (fhir/patch.c) and the number wrapping
 * that carries decimals through it (fhir/json.c): the input is a document and a patch
 * separated by a newline. Whatever they hold, the patch applies or fails with a message,
 * and a document whose numbers were wrapped, parsed and dumped unwraps to JSON that parses. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/json.h"
#include "fhir/limits.h"
#include "fhir/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int well_formed(const char *p, size_t n)
{
	json_t *j = json_loadb(p, n, JSON_DECODE_ANY, NULL);
	json_decref(j);
	return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size);
	size_t dn = nl ? (size_t)(nl - p) : size;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	char *wd, *wp;
	size_t wdl, wpl;
	/* as the server does: limits, well-formed JSON, then wrap and parse */
	if (yl_json_check_limits(p, dn, a, &err) != YL_OK || !well_formed(p, dn) ||
	    yl_json_wrap_numbers(a, p, dn, &wd, &wdl) != 0) {
		yl_arena_destroy(a);
		return 0;
	}
	json_t *doc = json_loadb(wd, wdl, 0, NULL);
	json_t *patch = NULL;
	if (nl && yl_json_check_limits(nl + 1, size - dn - 1, a, &err) == YL_OK &&
	    well_formed(nl + 1, size - dn - 1) &&
	    yl_json_wrap_numbers(a, nl + 1, size - dn - 1, &wp, &wpl) == 0)
		patch = json_loadb(wp, wpl, 0, NULL);
	if (doc && patch) {
		enum yl_code code = yl_json_patch(&doc, patch, a, &err);
		if (code != YL_OK && !err.first)
			abort(); /* a refusal without a message */
	}
	if (doc) {
		char *out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
		char *back;
		size_t bl;
		if (out && yl_json_unwrap_numbers(a, out, strlen(out), &back, &bl) == 0) {
			json_t *again = json_loadb(back, bl, JSON_DECODE_ANY, NULL);
			if (!again)
				abort(); /* unwrapping made invalid JSON */
			json_decref(again);
		}
		free(out);
	}
	json_decref(doc);
	json_decref(patch);
	yl_arena_destroy(a);
	return 0;
}
