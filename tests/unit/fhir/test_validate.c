/* test_validate.c -- unit tests for fhir/validate.c and the generated fhir/schema.h tables.
 *
 * Each check has a passing and a failing case; failing cases assert the issue count and the
 * expression of every issue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fhir/schema.h"
#include "fhir/validate.h"

static struct yl_arena *arena;
static struct yl_err err;

static int setup(void **state)
{
	(void)state;
	arena = yl_arena_create(0);
	yl_err_init(&err);
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	yl_arena_destroy(arena);
	arena = NULL;
	return 0;
}

/* Validate a JSON text; a fresh err each time. */
static int check(const char *text, const char *expected_type)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		fail_msg("bad test JSON: %s: %s", je.text, text);
	yl_err_init(&err);
	int n = yl_fhir_validate(arena, j, expected_type, &err);
	json_decref(j);
	assert_int_equal((int)err.count, n);
	if (n)
		assert_int_equal(err.code, YL_INVALID_RESOURCE);
	return n;
}

static const struct yl_issue *nth(size_t i)
{
	const struct yl_issue *is = err.first;
	while (is && i--)
		is = is->next;
	assert_non_null(is);
	return is;
}

/* Exactly one issue, at `expr`, whose message contains `msg`. */
static void expect_one(const char *text, const char *expr, const char *msg)
{
	int n = check(text, NULL);
	if (n != 1) {
		for (const struct yl_issue *is = err.first; is; is = is->next)
			print_message("  issue: %s: %s\n", is->expression ? is->expression : "-",
			              is->message);
		fail_msg("expected 1 issue, got %d for %s", n, text);
	}
	if (!expr)
		assert_null(nth(0)->expression);
	else
		assert_string_equal(nth(0)->expression, expr);
	if (msg && !strstr(nth(0)->message, msg))
		fail_msg("message '%s' lacks '%s'", nth(0)->message, msg);
	assert_string_equal(nth(0)->severity, "error");
}

static void expect_ok(const char *text)
{
	int n = check(text, NULL);
	if (n) {
		for (const struct yl_issue *is = err.first; is; is = is->next)
			print_message("  issue: %s: %s\n", is->expression ? is->expression : "-",
			              is->message);
		fail_msg("expected valid: %s", text);
	}
}

/* ---- tables ---- */

static void test_schema_tables(void **state)
{
	(void)state;
	assert_int_equal(yl_fhir_resource_type_count, 146);
	for (size_t i = 1; i < yl_fhir_resource_type_count; i++)
		assert_true(strcmp(yl_fhir_resource_types[i - 1], yl_fhir_resource_types[i]) < 0);
	for (size_t i = 0; i < yl_fhir_resource_type_count; i++) {
		const char *n = yl_fhir_resource_types[i];
		assert_int_equal(yl_fhir_resource_type_index(n, strlen(n)), (int)i);
		const struct yl_fhir_type *t = &yl_fhir_types[yl_fhir_resource_type_def[i]];
		assert_string_equal(yl_fhir_str(t->name), n);
		assert_int_equal(t->kind, YL_FHIR_KIND_RESOURCE);
	}
	assert_int_equal(yl_fhir_resource_type_index("Patient", 7), 102);
	assert_int_equal(yl_fhir_resource_type_index("Patientx", 7), 102);
	assert_int_equal(yl_fhir_resource_type_index("patient", 7), -1);
	assert_int_equal(yl_fhir_resource_type_index("Pat", 3), -1);
	assert_int_equal(yl_fhir_resource_type_index("", 0), -1);
	assert_int_equal(yl_fhir_resource_type_index("Patient\0", 8), -1);
	assert_int_equal(yl_fhir_resource_type_index("HumanName", 9), -1);
	assert_true(yl_fhir_type_index("HumanName", 9) >= 0);
	assert_true(yl_fhir_type_index("Patient_Contact", 15) >= 0);
	assert_int_equal(yl_fhir_type_index("Nope", 4), -1);
	for (size_t i = 0; i < yl_fhir_type_count; i++) {
		const struct yl_fhir_type *t = &yl_fhir_types[i];
		if (i)
			assert_true(strcmp(yl_fhir_str(t[-1].name), yl_fhir_str(t->name)) < 0);
		for (unsigned k = 1; k < t->elem_count; k++)
			assert_true(strcmp(yl_fhir_str(yl_fhir_elems[t->first_elem + k - 1].name),
			                   yl_fhir_str(yl_fhir_elems[t->first_elem + k].name)) < 0);
	}
	int p = yl_fhir_type_index("Patient", 7);
	const struct yl_fhir_elem *e = yl_fhir_elem_find(&yl_fhir_types[p], "gender", 6);
	assert_non_null(e);
	assert_true(e->enum_id > 0);
	assert_true(yl_fhir_enum_has(e->enum_id, "female", 6));
	assert_false(yl_fhir_enum_has(e->enum_id, "femal", 5));
	assert_null(yl_fhir_elem_find(&yl_fhir_types[p], "_gender", 7));
	e = yl_fhir_elem_find(&yl_fhir_types[p], "name", 4);
	assert_non_null(e);
	assert_true(e->flags & YL_FHIR_ELEM_ARRAY);
	assert_int_equal(yl_fhir_types[e->type].kind, YL_FHIR_KIND_COMPLEX);
}

/* ---- valid resources ---- */

static void test_valid_minimal(void **state)
{
	(void)state;
	expect_ok("{\"resourceType\":\"Patient\"}");
	expect_ok("{\"resourceType\":\"Patient\",\"id\":\"a-1.B\",\"active\":true,"
	          "\"gender\":\"female\",\"birthDate\":\"2020-02-29\","
	          "\"name\":[{\"family\":\"Li\",\"given\":[\"Wei\",\"X\"]}],"
	          "\"deceasedDateTime\":\"2021-03-04T05:06:07.123+08:00\","
	          "\"multipleBirthInteger\":2,\"meta\":{\"lastUpdated\":\"2021-01-01T00:00:00Z\","
	          "\"profile\":[\"http://example.org/p\"]},"
	          "\"text\":{\"status\":\"generated\",\"div\":\"<div>x</div>\"}}");
	expect_ok("{\"resourceType\":\"Observation\",\"status\":\"final\","
	          "\"code\":{\"text\":\"bp\"},\"valueQuantity\":{\"value\":1.5,\"unit\":\"mm\"},"
	          "\"component\":[{\"code\":{\"text\":\"s\"},\"valueInteger\":-3}],"
	          "\"issued\":\"2020-01-01T10:00:00Z\",\"effectiveDateTime\":\"2020\","
	          "\"subject\":{\"reference\":\"Patient/1\"}}");
	assert_int_equal(check("{\"resourceType\":\"Patient\"}", "Patient"), 0);
}

/* ---- resourceType ---- */

static void test_resource_type(void **state)
{
	(void)state;
	expect_one("{\"id\":\"x\"}", "resourceType", "missing 'resourceType'");
	expect_one("{\"resourceType\":\"Patients\"}", "resourceType", "not a known");
	expect_one("{\"resourceType\":\"HumanName\"}", "resourceType", "not a known");
	expect_one("{\"resourceType\":7}", "resourceType", "not a known");
	assert_int_equal(check("{\"resourceType\":\"Patient\"}", "Observation"), 1);
	assert_string_equal(nth(0)->expression, "resourceType");
	assert_non_null(strstr(nth(0)->message, "'Observation'"));
	assert_int_equal(check("{\"resourceType\":\"Patient\"}", "NoSuchType"), 1);
	assert_int_equal(check("[]", NULL), 1);
	assert_null(nth(0)->expression);
	assert_int_equal(check("\"Patient\"", "Patient"), 1);
}

static void test_id(void **state)
{
	(void)state;
	char buf[256];
	expect_one("{\"resourceType\":\"Patient\",\"id\":\"a b\"}", "Patient.id",
	           "element 'id' is not a valid id");
	expect_one("{\"resourceType\":\"Patient\",\"id\":\"a_b\"}", "Patient.id", "valid id");
	expect_one("{\"resourceType\":\"Patient\",\"id\":\"\"}", "Patient.id", "empty");
	expect_one("{\"resourceType\":\"Patient\",\"id\":12}", "Patient.id", "JSON string");
	snprintf(buf, sizeof(buf), "{\"resourceType\":\"Patient\",\"id\":\"%064d\"}", 0);
	expect_ok(buf);
	snprintf(buf, sizeof(buf), "{\"resourceType\":\"Patient\",\"id\":\"%065d\"}", 0);
	expect_one(buf, "Patient.id", "valid id");
}

/* ---- properties ---- */

static void test_unknown_elements(void **state)
{
	(void)state;
	expect_one("{\"resourceType\":\"Patient\",\"foo\":1}", "Patient.foo",
	           "unknown element 'foo' in 'Patient'");
	expect_one("{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"a\",\"nick\":\"b\"}]}",
	           "Patient.name[0].nick", "in 'HumanName'");
	expect_one(
	    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	    "\"valueFoo\":1}",
	    "Observation.valueFoo", "unknown element");
	/* a resource's choice element is not a property of another resource */
	expect_one("{\"resourceType\":\"Patient\",\"valueString\":\"x\"}", "Patient.valueString",
	           "unknown");
	/* `_x` only for primitives */
	expect_one("{\"resourceType\":\"Patient\",\"_name\":{\"id\":\"x\"}}", "Patient._name",
	           "unknown");
	expect_one("{\"resourceType\":\"Patient\",\"_foo\":{\"id\":\"x\"}}", "Patient._foo",
	           "unknown");
	expect_one("{\"resourceType\":\"Patient\",\"name\":[{\"_id\":{\"id\":\"x\"}}]}",
	           "Patient.name[0]._id", "unknown");
	/* resourceType is not an element of a data type */
	expect_one("{\"resourceType\":\"Patient\",\"maritalStatus\":{\"resourceType\":\"X\"}}",
	           "Patient.maritalStatus.resourceType", "unknown");
}

static void test_choice_and_backbone(void **state)
{
	(void)state;
	const char *obs = "{\"resourceType\":\"Observation\",\"status\":\"final\","
	                  "\"code\":{\"text\":\"x\"},";
	char buf[512];
	snprintf(buf, sizeof(buf), "%s\"valueQuantity\":{\"value\":\"1\"}}", obs);
	expect_one(buf, "Observation.valueQuantity.value", "must be a JSON number");
	snprintf(buf, sizeof(buf),
	         "%s\"component\":[{\"code\":{\"text\":\"a\"}},{\"code\":{\"text\":\"b\"},"
	         "\"valueQuantity\":{\"value\":true}}]}",
	         obs);
	expect_one(buf, "Observation.component[1].valueQuantity.value", "JSON number");
	snprintf(buf, sizeof(buf), "%s\"valueString\":\"ok\",\"valueTime\":\"10:00:00\"}", obs);
	expect_ok(buf);
	expect_ok("{\"resourceType\":\"Patient\",\"contact\":[{\"name\":{\"family\":\"x\"},"
	          "\"gender\":\"male\"}]}");
	expect_one("{\"resourceType\":\"Patient\",\"contact\":[{\"gender\":\"male\"},"
	           "{\"bogus\":1}]}",
	           "Patient.contact[1].bogus", "in 'Patient_Contact'");
	expect_one("{\"resourceType\":\"Patient\",\"link\":[{\"type\":\"seealso\"}]}",
	           "Patient.link[0].other", "missing required element 'other'");
}

static void test_extensions(void **state)
{
	(void)state;
	expect_ok("{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"http://x\","
	          "\"valueString\":\"a\"},{\"url\":\"http://y\",\"extension\":[{\"url\":\"z\","
	          "\"valueCodeableConcept\":{\"text\":\"t\"}}]}],"
	          "\"modifierExtension\":[{\"url\":\"u\",\"valueBoolean\":false}]}");
	expect_one("{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"http://x\","
	           "\"valueInteger\":\"2\"}]}",
	           "Patient.extension[0].valueInteger", "JSON integer");
	expect_one("{\"resourceType\":\"Patient\",\"extension\":[{\"valueString\":\"a\"}]}",
	           "Patient.extension[0].url", "missing required element 'url'");
	expect_one("{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"u\",\"extension\":"
	           "[{\"url\":\"v\",\"valueDate\":\"2020-13\"}]}]}",
	           "Patient.extension[0].extension[0].valueDate", "valid date");
	expect_one("{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"u\",\"bad\":1}]}",
	           "Patient.extension[0].bad", "in 'Extension'");
	/* the url given only as `_url` counts as present */
	expect_ok("{\"resourceType\":\"Patient\",\"extension\":[{\"_url\":{\"extension\":"
	          "[{\"url\":\"a\",\"valueString\":\"b\"}]},\"valueString\":\"a\"}]}");
}

static void test_contained_and_bundle(void **state)
{
	(void)state;
	expect_ok(
	    "{\"resourceType\":\"Patient\",\"contained\":[{\"resourceType\":\"Organization\","
	    "\"id\":\"o1\",\"name\":\"x\"}],\"managingOrganization\":{\"reference\":\"#o1\"}}");
	expect_one(
	    "{\"resourceType\":\"Patient\",\"contained\":[{\"resourceType\":\"Organization\","
	    "\"id\":\"o1\"},{\"resourceType\":\"Observation\",\"code\":{\"text\":\"x\"},"
	    "\"status\":\"bogus\"}]}",
	    "Patient.contained[1].status", "required value set");
	expect_one("{\"resourceType\":\"Patient\",\"contained\":[{\"id\":\"o1\"}]}",
	           "Patient.contained[0].resourceType", "missing 'resourceType'");
	expect_one("{\"resourceType\":\"Patient\",\"contained\":{\"resourceType\":\"Patient\"}}",
	           "Patient.contained", "must be an array");
	expect_one("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
	           "{\"resourceType\":\"Patient\"}},{\"fullUrl\":\"urn:uuid:0e4ec6b0-7a16-4a3b-"
	           "9c0e-6f4b1c2d3e4f\",\"resource\":{\"resourceType\":\"Patient\","
	           "\"gender\":\"F\"}}]}",
	           "Bundle.entry[1].resource.gender", "female | male | other | unknown");
}

static void test_primitive_siblings(void **state)
{
	(void)state;
	expect_ok("{\"resourceType\":\"Patient\",\"_birthDate\":{\"extension\":[{\"url\":\"u\","
	          "\"valueString\":\"x\"}]}}");
	expect_ok("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"a\",null,\"c\"],"
	          "\"_given\":[null,{\"id\":\"g\"},null]}]}");
	expect_one("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"a\",null]}]}",
	           "Patient.name[0].given[1]", "must not hold null");
	/* the second issue of that pair is on the sibling: check it separately */
	assert_int_equal(check("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"a\",null],"
	                       "\"_given\":[null,null]}]}",
	                       NULL),
	                 2);
	assert_string_equal(nth(1)->expression, "Patient.name[0].given[1]");
	assert_non_null(strstr(nth(1)->message, "holds null where"));
	expect_one("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"a\",\"b\"],"
	           "\"_given\":[null]}]}",
	           "Patient.name[0].given", "as many items");
	expect_one("{\"resourceType\":\"Patient\",\"_birthDate\":[{\"id\":\"x\"}]}",
	           "Patient.birthDate", "'_birthDate' must be a JSON object");
	expect_one("{\"resourceType\":\"Patient\",\"_birthDate\":{\"id\":\"x\",\"url\":\"u\"}}",
	           "Patient.birthDate.url", "in 'Element'");
	expect_one("{\"resourceType\":\"Patient\",\"_birthDate\":{}}", "Patient.birthDate",
	           "empty object");
	expect_one("{\"resourceType\":\"Patient\",\"text\":{\"div\":\"<div>x</div>\","
	           "\"_div\":{\"id\":\"x\"},\"status\":\"generated\"}}",
	           "Patient.text._div", "unknown");
}

static void test_array_vs_single(void **state)
{
	(void)state;
	expect_one("{\"resourceType\":\"Patient\",\"name\":{\"family\":\"x\"}}", "Patient.name",
	           "element 'name' must be an array");
	expect_one("{\"resourceType\":\"Patient\",\"gender\":[\"male\"]}", "Patient.gender",
	           "element 'gender' must not be an array");
	expect_one("{\"resourceType\":\"Patient\",\"name\":[[{\"family\":\"x\"}]]}",
	           "Patient.name[0]", "must be a JSON object");
	expect_one(
	    "{\"resourceType\":\"Patient\",\"_gender\":[{\"id\":\"x\"}],\"gender\":\"male\"}",
	    "Patient.gender", "must be a JSON object");
}

static void test_required(void **state)
{
	(void)state;
	expect_one("{\"resourceType\":\"Observation\",\"status\":\"final\"}", "Observation.code",
	           "missing required element 'code'");
	/* Narrative.status (1..1 in the data type definitions), present only as `_status` */
	expect_ok("{\"resourceType\":\"Patient\",\"text\":{\"_status\":{\"extension\":[{\"url\":"
	          "\"u\",\"valueString\":\"x\"}]},\"div\":\"<div>x</div>\"}}");
	expect_one("{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\"}}",
	           "Patient.text.div", "missing required element 'div'");
	assert_int_equal(check("{\"resourceType\":\"AllergyIntolerance\",\"reaction\":[{}]}", NULL),
	                 2);
	assert_string_equal(nth(0)->expression, "AllergyIntolerance.reaction[0]");
	assert_string_equal(nth(1)->expression, "AllergyIntolerance.patient");
}

static void test_enum(void **state)
{
	(void)state;
	expect_one("{\"resourceType\":\"Patient\",\"gender\":\"x\"}", "Patient.gender",
	           "element 'gender' has a code outside its required value set "
	           "(female | male | other | unknown)");
	expect_one("{\"resourceType\":\"Patient\",\"gender\":\"Male\"}", "Patient.gender", NULL);
	/* long value sets are not listed */
	expect_one("{\"resourceType\":\"Questionnaire\",\"status\":\"draft\",\"item\":[{\"linkId\":"
	           "\"1\",\"type\":\"x\"}]}",
	           "Questionnaire.item[0].type", "outside its required value set");
	assert_null(strchr(nth(0)->message, '('));
	expect_ok(
	    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	    "\"valueQuantity\":{\"value\":1,\"comparator\":\">=\"}}");
}

struct prim_case {
	const char *json; /* resource text */
	const char *expr; /* NULL: valid */
	const char *msg;
};

#define PAT    "{\"resourceType\":\"Patient\","
#define OBS    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
#define EXT(v) PAT "\"extension\":[{\"url\":\"u\"," v "}]}"

static const struct prim_case prim_cases[] = {
    /* date */
    {PAT "\"birthDate\":\"2021\"}", NULL, NULL},
    {PAT "\"birthDate\":\"2021-02\"}", NULL, NULL},
    {PAT "\"birthDate\":\"2000-02-29\"}", NULL, NULL},
    {PAT "\"birthDate\":\"1900-02-29\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"2021-02-30\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"2021-04-31\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"0000\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"2021-1-01\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"2021-01-01T00:00:00Z\"}", "Patient.birthDate", "not a valid date"},
    {PAT "\"birthDate\":\"SECRET-VALUE\"}", "Patient.birthDate", "not a valid date"},
    /* dateTime */
    {PAT "\"deceasedDateTime\":\"2021-01-01T23:59:60.5-14:00\"}", NULL, NULL},
    {PAT "\"deceasedDateTime\":\"2021-01-01T10:00:00\"}", "Patient.deceasedDateTime",
     "not a valid dateTime"},
    {PAT "\"deceasedDateTime\":\"2021-01T10:00:00Z\"}", "Patient.deceasedDateTime", "dateTime"},
    {PAT "\"deceasedDateTime\":\"2021-01-01T24:00:00Z\"}", "Patient.deceasedDateTime", "dateTime"},
    {PAT "\"deceasedDateTime\":\"2021-01-01T10:00Z\"}", "Patient.deceasedDateTime", "dateTime"},
    {PAT "\"deceasedDateTime\":\"2021-01-01T10:00:00+14:30\"}", "Patient.deceasedDateTime",
     "dateTime"},
    {PAT "\"deceasedDateTime\":\"2021-01-01T10:00:00.Z\"}", "Patient.deceasedDateTime", "dateTime"},
    /* instant */
    {OBS "\"issued\":\"2021-01-01T10:00:00.000+01:00\"}", NULL, NULL},
    {OBS "\"issued\":\"2021-01-01\"}", "Observation.issued", "not a valid instant"},
    /* time */
    {OBS "\"valueTime\":\"23:59:59.9\"}", NULL, NULL},
    {OBS "\"valueTime\":\"24:00:00\"}", "Observation.valueTime", "not a valid time"},
    {OBS "\"valueTime\":\"10:00\"}", "Observation.valueTime", "not a valid time"},
    /* code */
    {PAT "\"language\":\"en US\"}", NULL, NULL},
    {PAT "\"language\":\" en\"}", "Patient.language", "not a valid code"},
    {PAT "\"language\":\"en  US\"}", "Patient.language", "not a valid code"},
    {PAT "\"language\":\"en\\n\"}", "Patient.language", "not a valid code"},
    /* uri, url, canonical */
    {PAT "\"implicitRules\":\"a b\"}", "Patient.implicitRules", "not a valid uri"},
    {EXT("\"valueUrl\":\"http://x y\""), "Patient.extension[0].valueUrl", "not a valid url"},
    {PAT "\"meta\":{\"profile\":[\"http://a\",\"b\\tc\"]}}", "Patient.meta.profile[1]",
     "not a valid canonical"},
    {PAT "\"_implicitRules\":{\"id\":\"a\"},\"implicitRules\":\"\"}", "Patient.implicitRules",
     "empty string"},
    /* oid, uuid */
    {EXT("\"valueOid\":\"urn:oid:1.2.840.10008\""), NULL, NULL},
    {EXT("\"valueOid\":\"urn:oid:1.02\""), "Patient.extension[0].valueOid", "not a valid oid"},
    {EXT("\"valueOid\":\"urn:oid:3.1\""), "Patient.extension[0].valueOid", "oid"},
    {EXT("\"valueOid\":\"urn:oid:1\""), "Patient.extension[0].valueOid", "oid"},
    {EXT("\"valueUuid\":\"urn:uuid:c757873d-ec9a-4326-a141-556f43239520\""), NULL, NULL},
    {EXT("\"valueUuid\":\"urn:uuid:C757873D-EC9A-4326-A141-556F43239520\""),
     "Patient.extension[0].valueUuid", "not a valid uuid"},
    {EXT("\"valueUuid\":\"c757873d-ec9a-4326-a141-556f43239520\""),
     "Patient.extension[0].valueUuid", "uuid"},
    /* numbers */
    {OBS "\"valueQuantity\":{\"value\":3}}", NULL, NULL},
    {OBS "\"valueQuantity\":{\"value\":-0.5e3}}", NULL, NULL},
    {OBS "\"valueQuantity\":{\"value\":\"1.0\"}}", "Observation.valueQuantity.value",
     "must be a JSON number"},
    {OBS "\"valueInteger\":1.5}", "Observation.valueInteger", "must be a JSON integer"},
    {OBS "\"valueInteger\":2147483648}", "Observation.valueInteger", "not a valid integer"},
    {OBS "\"valueInteger\":-2147483648}", NULL, NULL},
    {EXT("\"valuePositiveInt\":1"), NULL, NULL},
    {EXT("\"valuePositiveInt\":0"), "Patient.extension[0].valuePositiveInt",
     "not a valid positiveInt"},
    {EXT("\"valueUnsignedInt\":0"), NULL, NULL},
    {EXT("\"valueUnsignedInt\":-1"), "Patient.extension[0].valueUnsignedInt",
     "not a valid unsignedInt"},
    /* boolean */
    {PAT "\"active\":\"true\"}", "Patient.active", "must be JSON true or false"},
    {PAT "\"active\":1}", "Patient.active", "JSON true or false"},
    /* base64Binary */
    {PAT "\"photo\":[{\"data\":\"YWJj\\nZA==\"}]}", NULL, NULL},
    {PAT "\"photo\":[{\"data\":\"YWJjZA=\"}]}", "Patient.photo[0].data",
     "not a valid base64Binary"},
    {PAT "\"photo\":[{\"data\":\"YW=jZA==\"}]}", "Patient.photo[0].data", "base64Binary"},
    {PAT "\"photo\":[{\"data\":\"YWJj!A==\"}]}", "Patient.photo[0].data", "base64Binary"},
    /* string, markdown, xhtml */
    {PAT "\"name\":[{\"family\":\" \\t\\r\\n\\u0001\"}]}", NULL, NULL},
    {PAT "\"name\":[{\"family\":\"\"}]}", "Patient.name[0].family", "must not be an empty string"},
    {PAT "\"name\":[{\"family\":\"a\\u000bb\"}]}", "Patient.name[0].family", "not a valid string"},
    {EXT("\"valueMarkdown\":\"\""), "Patient.extension[0].valueMarkdown", "empty string"},
    {PAT "\"text\":{\"status\":\"generated\",\"div\":\"\"}}", "Patient.text.div", "empty"},
    {PAT "\"name\":[{\"family\":42}]}", "Patient.name[0].family", "must be a JSON string"},
    /* JSON types of complex values */
    {PAT "\"maritalStatus\":\"M\"}", "Patient.maritalStatus", "must be a JSON object"},
    /* empty and null */
    {PAT "\"meta\":{}}", "Patient.meta", "must not be an empty object"},
    {PAT "\"name\":[]}", "Patient.name", "must not be an empty array"},
    {PAT "\"gender\":null}", "Patient.gender", "must not be null"},
    {PAT "\"name\":[null]}", "Patient.name[0]", "must not hold null"},
    {PAT "\"name\":[{}]}", "Patient.name[0]", "empty object"},
};

static void test_primitives(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(prim_cases) / sizeof(prim_cases[0]); i++) {
		const struct prim_case *pc = &prim_cases[i];
		if (pc->expr)
			expect_one(pc->json, pc->expr, pc->msg);
		else
			expect_ok(pc->json);
		/* patient data never appears in messages */
		for (const struct yl_issue *is = err.first; is; is = is->next)
			assert_null(strstr(is->message, "SECRET"));
	}
}

static void test_references(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "Patient/1",
	    "Patient/a-b.c/_history/2",
	    "http://example.org/fhir/Patient/1",
	    "https://x/y",
	    "#p1",
	    "#",
	    "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
	    "urn:oid:1.2.3",
	    "Organization?identifier=http://x|123",
	};
	static const char *const bad[] = {
	    "Foo/1",
	    "Patient/",
	    "Patient/a_b",
	    "Patient/1/_history/",
	    "Patient/1/x/2",
	    "patient/1",
	    "1",
	    "ftp://x/y",
	    "http://",
	    "#a b",
	    "urn:uuid:1234",
	    "urn:oid:x",
	    "Patient?",
	    "Foo?identifier=1",
	    "Patient//1",
	    "Patient/1/_history/a/b",
	};
	char buf[256];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"resourceType\":\"Patient\",\"managingOrganization\":{\"reference\":"
		         "\"%s\"}}",
		         good[i]);
		expect_ok(buf);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(
		    buf, sizeof(buf),
		    "{\"resourceType\":\"Patient\",\"generalPractitioner\":[{\"display\":\"x\"},"
		    "{\"reference\":\"%s\"}]}",
		    bad[i]);
		expect_one(buf, "Patient.generalPractitioner[1].reference",
		           "not a valid reference");
	}
	/* a reference with whitespace is reported once, as a bad reference */
	expect_one("{\"resourceType\":\"Patient\",\"managingOrganization\":{\"reference\":"
	           "\"Patient/1 2\"}}",
	           "Patient.managingOrganization.reference", "not a valid reference");
}

static void test_multiple_problems(void **state)
{
	(void)state;
	int n = check("{\"resourceType\":\"Patient\",\"id\":\"a b\",\"gender\":\"x\","
	              "\"birthDate\":\"2021-02-30\",\"bogus\":true,\"name\":{\"family\":\"x\"},"
	              "\"contained\":[{\"resourceType\":\"Observation\"}]}",
	              "Patient");
	assert_int_equal(n, 6);
	static const char *const expr[] = {
	    "Patient.id",    "Patient.gender", "Patient.birthDate",
	    "Patient.bogus", "Patient.name",   "Patient.contained[0].code",
	};
	/* jansson iterates objects in insertion order; compare as a set anyway */
	for (size_t i = 0; i < sizeof(expr) / sizeof(expr[0]); i++) {
		bool found = false;
		for (const struct yl_issue *is = err.first; is; is = is->next)
			found |= strcmp(is->expression, expr[i]) == 0;
		if (!found)
			fail_msg("no issue at %s", expr[i]);
	}
}

static void test_issue_cap(void **state)
{
	(void)state;
	char buf[8192];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "{\"resourceType\":\"Patient\"");
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, ",\"x%d\":1", i);
	snprintf(buf + len, sizeof(buf) - len, "}");
	assert_int_equal(check(buf, NULL), YL_FHIR_MAX_ISSUES + 1);
	const struct yl_issue *last = nth(YL_FHIR_MAX_ISSUES);
	assert_non_null(strstr(last->message, "omitted"));
	assert_null(last->expression);
	assert_string_equal(nth(YL_FHIR_MAX_ISSUES - 1)->expression, "Patient.x99");
}

static void test_depth(void **state)
{
	(void)state;
	char buf[8192];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "{\"resourceType\":\"Patient\"");
	int levels = YL_FHIR_MAX_DEPTH + 10;
	for (int i = 0; i < levels; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		                        ",\"extension\":[{\"url\":\"u\"");
	for (int i = 0; i < levels; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "}]");
	snprintf(buf + len, sizeof(buf) - len, "}");
	assert_int_equal(check(buf, NULL), 1);
	assert_non_null(strstr(nth(0)->message, "nested deeper"));
	/* contained in Bundle in Bundle ... */
	len = 0;
	for (int i = 0; i < levels; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		                        "{\"resourceType\":\"Bundle\",\"type\":\"collection\","
		                        "\"entry\":[{\"resource\":");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "{\"resourceType\":\"Patient\"}");
	for (int i = 0; i < levels; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "}]}");
	assert_true(len < sizeof(buf));
	assert_int_equal(check(buf, NULL), 1);
	assert_non_null(strstr(nth(0)->message, "nested deeper"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_tables),
	    cmocka_unit_test_setup_teardown(test_valid_minimal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resource_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_elements, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_choice_and_backbone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extensions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contained_and_bundle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_primitive_siblings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_array_vs_single, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_primitives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_references, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiple_problems, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issue_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
