/* test_risk.c -- risk tiers, recall and plausibility flags (care/risk.h,
 * care/plausibility.h) without a store: the shipped packs load with their vectors, a
 * resident's facts come out of their records as the rules expect, and the stored
 * RiskAssessment says what the result says (its digest), so it is rewritten only on change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "care/config.h"
#include "care/plausibility.h"
#include "care/risk.h"
#include "care/rulepack.h"
#include "core/time.h"

static struct yl_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_care_load(YL_DATA_DIR, arena, &err) != YL_OK ||
	    yl_packs_load(YL_DATA_DIR, NULL, 0, arena, &err) != YL_OK) {
		fprintf(stderr, "%s\n", err.first ? err.first->message : "load failed");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	yl_packs_unload();
	yl_care_unload();
	yl_arena_destroy(arena);
	return 0;
}

static json_t *doc(const char *text)
{
	json_error_t je;
	json_t *d = json_loads(text, 0, &je);
	if (!d)
		fail_msg("%s", je.text);
	return d;
}

static void test_packs_loaded(void **state)
{
	(void)state;
	assert_true(yl_risk_loaded());
	assert_string_equal(yl_risk_pack_id(), "risk-tiers-yilian-2026");
	assert_string_equal(yl_recall_pack_id(), "recall-risk-tiered");
	struct yl_err err;
	yl_err_init(&err);
	size_t n;
	assert_int_equal(yl_risk_run_tests(arena, &n, &err), YL_OK);
	assert_true(n >= 10);
	assert_string_equal(yl_risk_tier_code(0), "low");
	assert_int_equal(yl_risk_tier_find("high"), 2);
	assert_true(yl_risk_comorbidity_count() >= 10);
	assert_int_equal(yl_risk_deficits(), 36);
}

/* A 72-year-old with hypertension, diabetes and CKD whose last hypertension visit was a
 * danger sign (SBP 184) with a referral: high, for those reasons, urgent recall. */
static void test_facts_from_records(void **state)
{
	(void)state;
	json_t *patient = doc("{\"resourceType\":\"Patient\",\"birthDate\":\"1954-03-01\"}");
	json_t *conds[3] = {
	    doc("{\"resourceType\":\"Condition\",\"code\":{\"coding\":[{\"system\":"
	        "\"http://hl7.org/fhir/sid/icd-10\",\"code\":\"I10\"}]}}"),
	    doc("{\"resourceType\":\"Condition\",\"code\":{\"coding\":[{\"system\":"
	        "\"http://snomed.info/sct\",\"code\":\"44054006\"}]}}"),
	    doc("{\"resourceType\":\"Condition\",\"code\":{\"coding\":[{\"system\":"
	        "\"http://hl7.org/fhir/sid/icd-10\",\"code\":\"N18.3\"}]}}"),
	};
	json_t *enc = doc(
	    "{\"resourceType\":\"Encounter\",\"period\":{\"start\":\"2026-11-20\"},\"extension\":[{"
	    "\"url\":\"https://yilian.health/fhir/StructureDefinition/followup-outcome\","
	    "\"extension\":[{\"url\":\"next-step\",\"valueCoding\":{\"code\":\"urgent-referral\"}},"
	    "{\"url\":\"danger-sign\",\"valueCoding\":{\"code\":\"sbp-180\"}},"
	    "{\"url\":\"at-target\",\"valueBoolean\":false}]}]}");
	json_t *obs = doc("{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":"
	                  "\"http://loinc.org\",\"code\":\"85354-9\"}]},\"component\":["
	                  "{\"code\":{\"coding\":[{\"code\":\"8480-6\"}]},\"valueQuantity\":{"
	                  "\"value\":184}},{\"code\":{\"coding\":[{\"code\":\"8462-4\"}]},"
	                  "\"valueQuantity\":{\"value\":98}}]}");
	struct yl_risk_visit v = {enc, &obs, 1, "hypertension"};
	struct yl_fu_facts f;
	int64_t today = yl_parse_day("2026-12-01", 10);
	yl_risk_facts(patient, conds, 3, &v, 1, today, &f);
	assert_int_equal((int)f.num[YL_FU_AGE], 72);
	assert_int_equal((int)f.num[YL_FU_COMORBIDITY], 3);
	assert_int_equal((int)f.num[YL_FU_SBP], 184);
	assert_int_equal((int)f.num[YL_FU_REVIEW_DAYS], 11);
	assert_int_equal(f.flag[YL_FU_DANGER_LAST], 1);
	assert_int_equal(f.flag[YL_FU_AT_TARGET], 0);
	struct yl_risk_result r;
	yl_risk_eval(&f, &r);
	assert_string_equal(r.tier, "high");
	const char *want[] = {"danger-sign-last-visit", "referral-pending", "bp-severe",
	                      "multimorbidity",         "not-at-target",    "bp-raised",
	                      "chronic-condition",      "comorbidity"};
	assert_int_equal(r.nreason, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < r.nreason; i++)
		assert_string_equal(r.reason[i], want[i]);
	assert_string_equal(r.recall, "urgent");
	char d[YL_DAY_LEN];
	yl_format_day(r.recall_date, d);
	assert_string_equal(d, "2027-02-20");

	/* the stored resource says the same: its digest is the result's */
	json_t *ra = yl_risk_resource(arena, "p1", today, &r);
	assert_int_equal(yl_risk_digest_doc(ra), yl_risk_digest(&r));
	assert_int_equal(yl_risk_rank_doc(ra), 2);
	/* and a changed result does not */
	struct yl_risk_result r2 = r;
	r2.nreason--;
	assert_int_not_equal(yl_risk_digest(&r2), yl_risk_digest(&r));
	json_decref(ra);
	json_decref(patient);
	for (int i = 0; i < 3; i++)
		json_decref(conds[i]);
	json_decref(enc);
	json_decref(obs);
}

static void test_no_records_is_low(void **state)
{
	(void)state;
	json_t *patient = doc("{\"resourceType\":\"Patient\",\"birthDate\":\"1990-03-01\"}");
	struct yl_fu_facts f;
	yl_risk_facts(patient, NULL, 0, NULL, 0, yl_parse_day("2026-12-01", 10), &f);
	struct yl_risk_result r;
	yl_risk_eval(&f, &r);
	assert_string_equal(r.tier, "low");
	assert_int_equal(r.nreason, 0);
	assert_string_equal(r.recall, "routine");
	assert_true(r.recall_date == YL_NO_DAY);
	json_decref(patient);
}

static void test_plausibility_flags(void **state)
{
	(void)state;
	struct yl_fu_facts f;
	yl_fu_facts_init(&f);
	const char *out[8];
	assert_int_equal(yl_plaus_eval(&f, out, 8), 0);
	f.flag[YL_FU_AFTER_DEATH] = 1;
	f.num[YL_FU_PULSE_PRESSURE] = -10;
	f.has[YL_FU_PULSE_PRESSURE] = true;
	size_t n = yl_plaus_eval(&f, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "visit-after-death");
	assert_string_equal(out[1], "diastolic-not-below-systolic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packs_loaded),
	    cmocka_unit_test(test_facts_from_records),
	    cmocka_unit_test(test_no_records_is_low),
	    cmocka_unit_test(test_plausibility_flags),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
