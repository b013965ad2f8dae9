/* fuzz_rules.c -- libFuzzer target for the rule packs' condition language (care/rulecond.h),
 * the input of every pack a deployment writes: any JSON object {"when": condition, "facts":
 * {...}} is compiled and tested against the facts. Invariants: a condition that does not
 * compile says why; one that does is deterministic, and {"not": c} tests as the negation
 * of c. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "care/config.h"
#include "care/rulecond.h"
#include "care/rulepack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool programme(const char *name)
{
	return yl_programme(name) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct yl_arena *keep;
	if (!keep) {
		keep = yl_arena_create(0);
		struct yl_err e;
		yl_err_init(&e);
		if (yl_care_load(YL_DATA_DIR, keep, &e) != YL_OK ||
		    yl_packs_load(YL_DATA_DIR, NULL, 0, keep, &e) != YL_OK)
			abort();
	}
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	const char *vs[8];
	size_t nvs = 0;
	struct yl_cond_ctx c = {"fuzz", a, a, &err, vs, &nvs, 8, programme};
	struct yl_cond cond, neg;
	json_t *when = json_object_get(doc, "when");
	json_t *not = json_object();
	json_object_set_new(not, "not", when ? json_incref(when) : json_object());
	if (yl_cond_compile(&c, when, "when", &cond) != YL_OK) {
		if (!err.first || !err.first->message[0])
			abort();
	} else if (yl_cond_compile(&c, not, "not", &neg) == YL_OK) {
		struct yl_fu_facts f;
		yl_err_init(&err);
		if (yl_fu_facts_json(a, json_object_get(doc, "facts"), &f, &err) == YL_OK) {
			bool t = yl_cond_test(&cond, &f);
			if (t != yl_cond_test(&cond, &f) || (when && t == yl_cond_test(&neg, &f)))
				abort();
		}
	}
	json_decref(not );
	yl_arena_destroy(a);
	json_decref(doc);
	return 0;
}
