/* test_followup.c -- the follow-up rule engine (care/rulepack.h) without a store: every
 * shipped pack loads and passes its own test vectors, the hand-worked scenario table
 * (followup-scenarios.json) classifies as worked out, a deployment's choice of pack takes
 * effect, and broken packs are refused with a message naming the file and the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "care/config.h"
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

static void test_shipped_packs_pass_their_vectors(void **state)
{
	(void)state;
	assert_int_equal(yl_pack_count(), 3);
	size_t total = 0;
	for (size_t i = 0; i < yl_pack_count(); i++) {
		struct yl_err err;
		yl_err_init(&err);
		size_t n = 0;
		enum yl_code code = yl_pack_run_tests(yl_pack_at(i), arena, &n, &err);
		if (code != YL_OK)
			fail_msg("%s", err.first->message);
		assert_true(n >= 5); /* every pack carries vectors */
		total += n;
	}
	assert_true(total >= 20);
	const struct yl_programme *h = yl_programme("hypertension");
	assert_non_null(h);
	assert_string_equal(yl_pack_id(h->pack), "hypertension-bphs-2017");
	assert_string_equal(h->encounter_type, "hypertension-followup");
	assert_int_equal(yl_pack_min_age(h->pack), 35);
	assert_true(yl_pack_requires(h->pack, YL_FU_SBP));
	assert_false(yl_pack_requires(h->pack, YL_FU_FPG));
	assert_string_equal(yl_pack_id(yl_programme("diabetes")->pack), "diabetes-bphs-2017");
	assert_null(yl_programme("asthma"));
}

/* A vector that does not hold is reported, naming what differs: the check can fail. */
static void test_expect_reports_a_difference(void **state)
{
	(void)state;
	struct yl_err err;
	yl_err_init(&err);
	json_t *facts = json_pack("{s:i,s:i,s:i}", "age", 60, "sbp", 150, "dbp", 80);
	json_t *expect = json_pack("{s:s}", "classification", "controlled");
	struct yl_fu_facts f;
	struct yl_fu_result r;
	assert_int_equal(yl_fu_facts_json(arena, facts, &f, &err), YL_OK);
	yl_pack_eval(yl_programme("hypertension")->pack, &f, &r);
	const char *why = NULL;
	assert_false(yl_fu_expect(arena, &r, expect, &why));
	assert_non_null(strstr(why, "expected \"controlled\", got \"uncontrolled\""));
	json_t *bad = json_pack("{s:s}", "sbp", "high");
	assert_int_not_equal(yl_fu_facts_json(arena, bad, &f, &err), YL_OK);
	json_decref(facts);
	json_decref(expect);
	json_decref(bad);
}

static void test_scenario_table(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/tests/unit/care/followup-scenarios.json", YL_DATA_DIR);
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		fail_msg("%s: %s", path, je.text);
	const char *packs[][2] = {{"H", "hypertension-bphs-2017"},
	                          {"D", "diabetes-bphs-2017"},
	                          {"G", "hypertension-grassroots-2020"}};
	size_t i, failed = 0;
	const json_t *s;
	json_t *list = json_object_get(doc, "scenarios");
	assert_true(json_array_size(list) >= 60);
	json_array_foreach (list, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *key = json_string_value(json_object_get(s, "pack"));
		const struct yl_pack *pack = NULL;
		for (size_t k = 0; key && k < 3; k++)
			if (!strcmp(packs[k][0], key))
				pack = yl_pack_by_id(packs[k][1]);
		assert_non_null(pack);
		struct yl_err err;
		yl_err_init(&err);
		struct yl_fu_facts f;
		struct yl_fu_result r;
		if (yl_fu_facts_json(arena, json_object_get(s, "facts"), &f, &err) != YL_OK)
			fail_msg("scenario '%s': %s", name, err.first->message);
		yl_pack_eval(pack, &f, &r);
		const char *why;
		if (!yl_fu_expect(arena, &r, json_object_get(s, "expect"), &why)) {
			print_error("scenario %zu '%s' (%s): %s\n", i, name, key, why);
			failed++;
		}
	}
	json_decref(doc);
	assert_int_equal(failed, 0);
}

static void test_rule_pack_choice(void **state)
{
	(void)state;
	struct yl_err err;
	yl_err_init(&err);
	const char *use[] = {"hypertension-grassroots-2020"};
	assert_int_equal(yl_packs_load(YL_DATA_DIR, use, 1, arena, &err), YL_OK);
	assert_string_equal(yl_pack_id(yl_programme("hypertension")->pack),
	                    "hypertension-grassroots-2020");
	assert_string_equal(yl_pack_id(yl_programme("diabetes")->pack), "diabetes-bphs-2017");
	/* the grassroots pack inherits BPHS's form requirements and danger signs */
	assert_true(yl_pack_requires(yl_programme("hypertension")->pack, YL_FU_DBP));
	assert_true(yl_pack_danger_symptom(yl_programme("hypertension")->pack, "orthopnoea"));
	assert_int_equal(yl_pack_valueset_count(yl_programme("hypertension")->pack), 2);
	const char *nope[] = {"hypertension-nice-2019"};
	assert_int_not_equal(yl_packs_load(YL_DATA_DIR, nope, 1, arena, &err), YL_OK);
	assert_non_null(strstr(err.last->message, "hypertension-nice-2019"));
	yl_err_init(&err);
	assert_int_equal(yl_packs_load(YL_DATA_DIR, NULL, 0, arena, &err), YL_OK);
	assert_string_equal(yl_pack_id(yl_programme("hypertension")->pack),
	                    "hypertension-bphs-2017");
}

/* A data directory whose rules/ holds the shipped files with one pack replaced by text. */
static void broken_dir(char *dir, size_t len, const char *pack_text)
{
	snprintf(dir, len, "%s", "/tmp/yl-packs-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[600], target[600];
	snprintf(path, sizeof path, "%s/terminology", dir);
	snprintf(target, sizeof target, "%s/terminology", YL_DATA_DIR);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/rules", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(target, sizeof target, "%s/rules", YL_DATA_DIR);
	DIR *d = opendir(target);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "hypertension-bphs-2017.json") != 0) {
			snprintf(path, sizeof path, "%s/rules/%s", dir, e->d_name);
			snprintf(target, sizeof target, "%s/rules/%s", YL_DATA_DIR, e->d_name);
			assert_int_equal(symlink(target, path), 0);
		}
	closedir(d);
	snprintf(path, sizeof path, "%s/rules/hypertension-bphs-2017.json", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(pack_text, fp);
	fclose(fp);
}

static void remove_dir(const char *dir)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Each broken pack is refused at load with the file and the fault named. */
static void test_broken_packs_are_refused(void **state)
{
	(void)state;
	char src[512];
	snprintf(src, sizeof src, "%s/rules/hypertension-bphs-2017.json", YL_DATA_DIR);
	json_t *good = json_load_file(src, 0, NULL);
	assert_non_null(good);
	struct {
		const char *path; /* member to replace: "targets[0].when" style kept simple */
		const char *json;
		const char *message;
	} cases[] = {
	    {"targets",
	     "[{\"when\":{\"fact\":\"shoe-size\",\"op\":\">\",\"value\":40},"
	     "\"below\":{\"sbp\":150},\"source\":\"x\"},{\"below\":{\"sbp\":140},\"source\":\"x\"}"
	     "]",
	     "'shoe-size' is not a fact"},
	    {"targets",
	     "[{\"when\":{\"fact\":\"age\",\"op\":\">=\",\"value\":65},\"below\":{\"sbp\":150},"
	     "\"source\":\"x\"}]",
	     "the last target must have no 'when'"},
	    {"danger_symptoms", "{\"codes\":[\"feeling-poorly\"],\"source\":\"x\"}",
	     "'feeling-poorly' is not a code of CodeSystem followup-symptom"},
	    {"intervals", "{\"routine\":{\"months\":3,\"source\":\"x\"}}",
	     "'two-week' needs months"},
	    {"eligibility",
	     "{\"min_age\":35,\"valueset\":\"http://example.org/nothing\",\"source\":\"x\"}",
	     "http://example.org/nothing"},
	    /* a vector that fails stops the load, naming it */
	    {"tests",
	     "[{\"name\":\"wrong on purpose\",\"facts\":{\"age\":60,\"sbp\":150,\"dbp\":80},"
	     "\"expect\":{\"classification\":\"controlled\"}}]",
	     "test 'wrong on purpose' fails"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *doc = json_deep_copy(good);
		json_error_t je;
		json_t *v = json_loads(cases[i].json, 0, &je);
		if (!v)
			fail_msg("case %zu: %s", i, je.text);
		json_object_set_new(doc, cases[i].path, v);
		char *text = json_dumps(doc, 0);
		char dir[64];
		broken_dir(dir, sizeof dir, text);
		free(text);
		json_decref(doc);
		struct yl_err err;
		yl_err_init(&err);
		assert_int_not_equal(yl_packs_load(dir, NULL, 0, arena, &err), YL_OK);
		const char *msg = err.last ? err.last->message : "";
		if (!strstr(msg, cases[i].message) || !strstr(msg, "hypertension-bphs-2017.json"))
			fail_msg("case %zu: message '%s' lacks '%s'", i, msg, cases[i].message);
		remove_dir(dir);
	}
	json_decref(good);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_packs_load(YL_DATA_DIR, NULL, 0, arena, &err), YL_OK);
}

static void test_add_months(void **state)
{
	(void)state;
	char out[YL_DAY_LEN];
	yl_format_day(yl_add_months(yl_parse_day("2026-01-31", 10), 1), out);
	assert_string_equal(out, "2026-02-28");
	yl_format_day(yl_add_months(yl_parse_day("2024-01-31", 10), 1), out);
	assert_string_equal(out, "2024-02-29");
	yl_format_day(yl_add_months(yl_parse_day("2026-03-15", 10), -3), out);
	assert_string_equal(out, "2025-12-15");
	yl_format_day(yl_add_months(yl_parse_day("1969-12-31", 10), 2), out);
	assert_string_equal(out, "1970-02-28");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_packs_pass_their_vectors),
	    cmocka_unit_test(test_expect_reports_a_difference),
	    cmocka_unit_test(test_scenario_table),
	    cmocka_unit_test(test_rule_pack_choice),
	    cmocka_unit_test(test_broken_packs_are_refused),
	    cmocka_unit_test(test_add_months),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
