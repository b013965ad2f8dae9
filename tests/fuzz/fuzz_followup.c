/* fuzz_followup.c -- libFuzzer target for the input of $record-followup: any bytes that
 * parse as JSON go through the operation's parameter table and the follow-up form
 * (care/followup.h) for each programme; what the form accepts is classified by the
 * programme's rule pack and checked for plausibility (care/rulepack.h,
 * care/plausibility.h). Invariants: a refusal carries a message; an accepted form always
 * gets a classification and a next step, every reading within its range, and a danger sign
 * never leaves the next step below urgent referral. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/followup.h"
#include "care/plausibility.h"
#include "care/rulepack.h"
#include "core/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct yl_arena *keep;
	if (!keep) { /* the rules, once */
		keep = yl_arena_create(0);
		struct yl_err e;
		yl_err_init(&e);
		if (yl_care_load(YL_DATA_DIR, keep, &e) != YL_OK ||
		    yl_packs_load(YL_DATA_DIR, NULL, 0, keep, &e) != YL_OK)
			abort();
	}
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		return 0;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_params_check(a, doc, yl_followup_params, yl_followup_nparams, "$record-followup",
	                    &err) != YL_OK) {
		if (!err.first || !err.first->message[0])
			abort();
		goto out;
	}
	json_t *life;
	yl_err_init(&err);
	if (yl_followup_lifestyle(a, doc, &life, &err) != YL_OK &&
	    (!err.first || !err.first->message[0]))
		abort();
	for (size_t k = 0; k < yl_programme_count(); k++) {
		const struct yl_pack *pack = yl_programme_at(k)->pack;
		struct yl_fu_facts f;
		yl_err_init(&err);
		if (yl_followup_form(a, doc, pack, &f, &err) != YL_OK) {
			if (!err.first || !err.first->message[0])
				abort();
			continue;
		}
		for (size_t i = 0; i < yl_fu_reading_count(); i++) {
			const struct yl_fu_reading *rd = yl_fu_reading_at(i);
			if (f.has[rd->fact] && rd->fact != YL_FU_BMI &&
			    (f.num[rd->fact] < rd->min || f.num[rd->fact] > rd->max))
				abort();
		}
		f.date = yl_parse_day("2026-06-01", 10);
		struct yl_fu_result r;
		yl_pack_eval(pack, &f, &r);
		if (!r.classification || r.next_step < YL_NEXT_ROUTINE || r.next_date == YL_NO_DAY)
			abort();
		if (r.ndanger && r.next_step != YL_NEXT_URGENT)
			abort();
		const char *flags[16];
		(void)yl_plaus_eval(&f, flags, 16);
	}
out:
	yl_arena_destroy(a);
	json_decref(doc);
	return 0;
}
