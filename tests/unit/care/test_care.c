/* test_care.c -- the registry and contracting rules that need no store: the data files
 * load (and a broken one is refused with its name), key populations from Conditions, the
 * identifier checks, masking, and the operation-input table (fhir/parameters.h). */
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
#include "care/keypop.h"
#include "care/panel.h"
#include "care/registry.h"
#include "core/time.h"
#include "fhir/parameters.h"

static struct yl_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	return yl_care_load(YL_DATA_DIR, arena, &err) == YL_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	yl_care_unload();
	yl_arena_destroy(arena);
	return 0;
}

static json_t *doc(const char *text)
{
	json_error_t je;
	json_t *d = json_loads(text, 0, &je);
	assert_non_null(d);
	return d;
}

static void test_rules_loaded(void **state)
{
	(void)state;
	const struct yl_care_rules *r = yl_care_rules();
	assert_non_null(r);
	assert_int_equal(r->term_months, 12);
	assert_true(r->team_capacity > 0 && r->doctor_capacity > 0);
	size_t i;
	const struct yl_keypop *kp = yl_care_keypop("elderly", &i);
	assert_non_null(kp);
	assert_int_equal(kp->derive, YL_KP_AGE_AT_LEAST);
	assert_int_equal(kp->years, 65);
	assert_null(yl_care_keypop("astronauts", NULL));
	const struct yl_id_system *s =
	    yl_care_id_system("Patient", "https://yilian.health/fhir/sid/cn-resident-id");
	assert_non_null(s);
	assert_int_equal(s->check, YL_IDCHECK_GB11643);
	assert_true(s->unique && s->personal);
	assert_null(
	    yl_care_id_system("Observation", "https://yilian.health/fhir/sid/cn-resident-id"));
	assert_true(yl_care_unique_on("Patient"));
	assert_false(yl_care_unique_on("Observation"));
	assert_string_equal(yl_care_code("contract-termination-reason", "moved", "zh-CN"), "迁出");
	assert_string_equal(yl_care_code("contract-termination-reason", "moved", "en"),
	                    "moved away");
	assert_null(yl_care_code("contract-termination-reason", "bored", "en"));
}

static void test_broken_data_is_refused(void **state)
{
	(void)state;
	char dir[] = "/tmp/yl-care-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "mkdir -p %s/terminology %s/rules && cp %s/terminology/*.json %s/terminology/",
	         dir, dir, YL_DATA_DIR, dir);
	assert_int_equal(system(cmd), 0);
	/* the rules name a value set the value-set file does not have */
	char path[256];
	snprintf(path, sizeof path, "%s/rules/contracting.json", YL_DATA_DIR);
	json_t *rules = json_load_file(path, 0, NULL);
	assert_non_null(rules);
	json_t *list = json_object_get(json_object_get(rules, "key_populations"), "list");
	size_t i;
	json_t *kp;
	json_array_foreach (list, i, kp)
		if (json_object_get(kp, "valueset"))
			json_object_set_new(kp, "valueset", json_string("https://nowhere"));
	snprintf(path, sizeof path, "%s/rules/contracting.json", dir);
	assert_int_equal(json_dump_file(rules, path, 0), 0);
	json_decref(rules);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_care_load(dir, arena, &err), YL_IO);
	assert_non_null(strstr(err.first->message, "https://nowhere"));
	assert_null(yl_care_rules()); /* nothing half-loaded */
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	yl_err_init(&err);
	assert_int_equal(yl_care_load(YL_DATA_DIR, arena, &err), YL_OK);
}

static void test_key_population_conditions(void **state)
{
	(void)state;
	int64_t day = yl_days_from_civil(2026, 6, 1);
	const struct yl_keypop *htn = yl_care_keypop("hypertension", NULL);
	const struct yl_keypop *dm = yl_care_keypop("type-2-diabetes", NULL);
	struct {
		const char *condition;
		bool htn, dm;
	} cases[] = {
	    {"{\"code\":{\"coding\":[{\"system\":\"http://snomed.info/"
	     "sct\",\"code\":\"59621000\"}]}}",
	     true, false},
	    {"{\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/"
	     "icd-10\",\"code\":\"I10.x00\"}]}}",
	     true, false},
	    {"{\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/"
	     "icd-10\",\"code\":\"E11.9\"}]}}",
	     false, true},
	    /* E10 (type 1) is not E11; a SNOMED code is matched exactly, not as a prefix */
	    {"{\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/"
	     "icd-10\",\"code\":\"E10.9\"}]}}",
	     false, false},
	    {"{\"code\":{\"coding\":[{\"system\":\"http://snomed.info/"
	     "sct\",\"code\":\"440540061\"}]}}",
	     false, false},
	    /* the right code in another system */
	    {"{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"I10\"}]}}", false,
	     false},
	    /* resolved, refuted, or begun after the day */
	    {"{\"clinicalStatus\":{\"coding\":[{\"code\":\"resolved\"}]},\"code\":{\"coding\":[{"
	     "\"system\":\"http://snomed.info/sct\",\"code\":\"59621000\"}]}}",
	     false, false},
	    {"{\"verificationStatus\":{\"coding\":[{\"code\":\"refuted\"}]},\"code\":{\"coding\":[{"
	     "\"system\":\"http://snomed.info/sct\",\"code\":\"59621000\"}]}}",
	     false, false},
	    {"{\"onsetDateTime\":\"2026-06-02\",\"code\":{\"coding\":[{\"system\":\"http://"
	     "snomed.info/sct\",\"code\":\"59621000\"}]}}",
	     false, false},
	    {"{\"onsetDateTime\":\"2026-06-01T09:00:00+08:00\",\"clinicalStatus\":{\"coding\":[{"
	     "\"code\":\"relapse\"}]},\"code\":{\"coding\":[{\"system\":\"http://snomed.info/"
	     "sct\",\"code\":\"44054006\"}]}}",
	     false, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *c = doc(cases[i].condition);
		assert_int_equal(yl_keypop_condition(htn, c, day), cases[i].htn);
		assert_int_equal(yl_keypop_condition(dm, c, day), cases[i].dm);
		json_decref(c);
	}
	json_t *p = doc("{\"birthDate\":\"1961-06-02\"}");
	assert_int_equal(yl_keypop_age(p, day), 64);
	assert_int_equal(yl_keypop_age(p, day + 1), 65);
	json_decref(p);
	p = doc("{\"birthDate\":\"1961\"}");
	assert_int_equal(yl_keypop_age(p, day), 65);
	json_decref(p);
	p = doc("{}");
	assert_int_equal(yl_keypop_age(p, day), -1);
	json_decref(p);
}

static int validate(const char *resource)
{
	json_t *d = doc(resource);
	struct yl_err err;
	yl_err_init(&err);
	int n = yl_care_validate(arena, "Patient", d, &err);
	json_decref(d);
	return n;
}

static void test_identifier_checks(void **state)
{
	(void)state;
#define RID(v)                                                                                     \
	"{\"identifier\":[{\"system\":\"https://yilian.health/fhir/sid/"                           \
	"cn-resident-id\",\"value\":\"" v "\"}]"
	assert_int_equal(validate(RID("330106196804120014") "}"), 0);
	assert_int_equal(
	    validate(
	        RID("330106196804120014") ",\"gender\":\"male\",\"birthDate\":\"1968-04-12\"}"),
	    0);
	assert_int_equal(validate(RID("330106196804120010") "}"), 1); /* check */
	assert_int_equal(validate(RID("330106196804120014") ",\"gender\":\"female\"}"),
	                 1); /* sex */
	assert_int_equal(validate(RID("330106196804120014") ",\"birthDate\":\"1968-04-13\"}"), 1);
	assert_int_equal(
	    validate(RID("330106196804120014") ",\"gender\":\"unknown\",\"birthDate\":\"1968\"}"),
	    0);
	/* another system is not checked; a health-record number is 17 digits */
	assert_int_equal(validate("{\"identifier\":[{\"system\":\"urn:x\",\"value\":\"1\"}]}"), 0);
	assert_int_equal(validate("{\"identifier\":[{\"system\":\"https://yilian.health/fhir/sid/"
	                          "health-record\",\"value\":\"33010600100100001\"}]}"),
	                 0);
	assert_int_equal(validate("{\"identifier\":[{\"system\":\"https://yilian.health/fhir/sid/"
	                          "health-record\",\"value\":\"3301060010010000A\"}]}"),
	                 1);
	assert_int_equal(
	    validate(
	        "{\"identifier\":[{\"system\":\"https://yilian.health/fhir/sid/health-record\"}]}"),
	    1);
#undef RID
}

static void test_mask(void **state)
{
	(void)state;
	assert_string_equal(yl_mask_number(arena, "13812345678", 3, 4), "138****5678");
	assert_string_equal(yl_mask_number(arena, "33010619680412001X", 6, 4),
	                    "330106********001X");
	assert_string_equal(yl_mask_number(arena, "12345", 3, 4), "*****");
	assert_string_equal(yl_mask_number(arena, "", 3, 4), "");
}

static void test_operation_input(void **state)
{
	(void)state;
	static const struct yl_opparam spec[] = {
	    {"patient", "valueReference", 1, 1},
	    {"package", "valueReference", 0, 0},
	    {"date", "valueDate", 0, 1},
	    {"reason", "valueCode", 0, 1},
	};
	struct {
		const char *body;
		enum yl_code want;
	} cases[] = {
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
	     "\"valueReference\":{\"reference\":\"Patient/1\"}}]}",
	     YL_OK},
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
	     "\"valueReference\":{\"reference\":\"Patient/"
	     "1\"}},{\"name\":\"package\",\"valueReference\":{}},{\"name\":\"package\","
	     "\"valueReference\":{}},{\"name\":\"date\",\"valueDateTime\":\"2026-01-01T00:00:00Z\"}"
	     ",{\"name\":\"reason\",\"valueCoding\":{\"code\":\"moved\"}}]}",
	     YL_OK},
	    {"{\"resourceType\":\"Parameters\"}", YL_BAD_REQUEST},
	    {"{\"resourceType\":\"Patient\"}", YL_BAD_REQUEST},
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
	     "\"valueString\":\"Patient/1\"}]}",
	     YL_BAD_REQUEST},
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
	     "\"valueReference\":{}},{\"name\":\"patient\",\"valueReference\":{}}]}",
	     YL_BAD_REQUEST},
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
	     "\"valueReference\":{}},{\"name\":\"x\",\"valueCode\":\"y\"}]}",
	     YL_BAD_REQUEST},
	    {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"valueReference\":{}}]}",
	     YL_BAD_REQUEST},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *d = doc(cases[i].body);
		struct yl_err err;
		yl_err_init(&err);
		assert_int_equal(yl_params_check(arena, d, spec, 4, "$op", &err), cases[i].want);
		if (cases[i].want == YL_OK) {
			assert_string_equal(yl_params_str(d, "patient", 0), "Patient/1");
			assert_null(yl_params_get(d, "patient", 1));
		}
		json_decref(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_loaded),
	    cmocka_unit_test(test_key_population_conditions),
	    cmocka_unit_test(test_identifier_checks),
	    cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_operation_input),
	    cmocka_unit_test(test_broken_data_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
