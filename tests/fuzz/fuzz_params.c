/* fuzz_params.c -- libFuzzer target for the input of the contract operations: any bytes
 * that parse as JSON go through the operation-input table (fhir/parameters.h) of $sign and
 * the registry's identifier checks (care/registry.h) without crashing or reading past
 * them; what the table accepts has exactly one patient reference and the readers agree. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/registry.h"
#include "fhir/parameters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct yl_opparam spec[] = {
    {"patient", "valueReference", 1, 1}, {"team", "valueReference", 0, 1},
    {"package", "valueReference", 0, 0}, {"start", "valueDate", 0, 1},
    {"reason", "valueCode", 0, 1},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct yl_arena *keep;
	if (!keep) { /* the rules, once: the identifier systems come from data */
		keep = yl_arena_create(0);
		struct yl_err e;
		yl_err_init(&e);
		if (yl_care_load(YL_DATA_DIR, keep, &e) != YL_OK)
			abort();
	}
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		return 0;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	enum yl_code code =
	    yl_params_check(a, doc, spec, sizeof spec / sizeof spec[0], "$sign", &err);
	if (code == YL_OK) {
		if (!yl_params_get(doc, "patient", 0) || yl_params_get(doc, "patient", 1))
			abort();
		for (size_t i = 0; yl_params_get(doc, "package", i); i++)
			(void)yl_params_str(doc, "package", i);
		(void)yl_params_str(doc, "reason", 0);
	} else if (code != YL_BAD_REQUEST || !err.first || !err.first->message[0]) {
		abort();
	}
	yl_err_init(&err);
	int n = yl_care_validate(a, "Patient", doc, &err);
	if ((n > 0) != (err.code != YL_OK))
		abort();
	yl_arena_destroy(a);
	json_decref(doc);
	return 0;
}
