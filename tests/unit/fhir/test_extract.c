/* test_extract.c -- the search-parameter table (fhir/searchparam.h) and the index-row
 * extractor (fhir/extract.h): one small resource per parameter type with the expected
 * rows, the shared normalisers (folding, date and decimal ranges, UCUM canonical units),
 * and a corpus run over every resource of the Synthea bundles (env YL_SHARED, default
 * ../shared) that prints row counts per kind and the median time per resource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <time.h>

#include "core/hash.h"
#include "core/time.h"
#include "fhir/extract.h"
#include "fhir/schema.h"
#include "fhir/searchparam.h"
#include "fhir/ucum.h"

#define US 1000000LL

struct got {
	struct yl_arena *a;
	json_t *doc;
	const char *type;
	struct yl_index_row *rows;
	size_t n;
};

static void got_free(struct got *g)
{
	json_decref(g->doc);
	yl_arena_destroy(g->a);
}

static struct got run(const char *type, const char *text)
{
	struct got g = {.type = type};
	json_error_t jerr;
	g.doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!g.doc)
		fail_msg("bad test JSON: %s (line %d)", jerr.text, jerr.line);
	g.a = yl_arena_create(4096);
	assert_non_null(g.a);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_fhir_extract(g.a, type, g.doc, &g.rows, &g.n, &err), YL_OK);
	return g;
}

static int64_t ph(const char *type, const char *code)
{
	return yl_hash_sql(yl_hash_parts(2, type, code));
}

static int64_t vh(const char *system, const char *code)
{
	return yl_hash_sql(yl_hash_parts(2, system ? system : "", code));
}

static size_t count(const struct got *g, const char *code)
{
	size_t c = 0;
	int64_t h = ph(g->type, code);
	for (size_t i = 0; i < g->n; i++)
		c += g->rows[i].param_hash == h;
	return c;
}

/* The i-th row of parameter code (fails the test if there is none). */
static const struct yl_index_row *nth(const struct got *g, const char *code, size_t i)
{
	int64_t h = ph(g->type, code);
	for (size_t k = 0; k < g->n; k++)
		if (g->rows[k].param_hash == h && i-- == 0)
			return &g->rows[k];
	fail_msg("no row %zu for %s", i, code);
	return NULL;
}

static int64_t date_us(const char *s)
{
	int64_t us = 0;
	assert_int_equal(yl_parse_datetime(s, strlen(s), &us), 0);
	return us;
}

static void assert_near(double a, double b)
{
	if (fabs(a - b) > 1e-9 * (fabs(a) + fabs(b) + 1e-12))
		fail_msg("%.17g != %.17g", a, b);
}

/* ---- the table ---- */

static void test_table(void **state)
{
	(void)state;
	const struct yl_searchparam *p = yl_searchparam_find("Observation", "code");
	assert_non_null(p);
	assert_int_equal(p->type, YL_SP_TOKEN);
	assert_int_equal(p->npaths, 1);
	assert_string_equal(p->paths[0].path, "code");
	assert_int_equal(p->paths[0].leaf, YL_DT_CODEABLECONCEPT);
	p = yl_searchparam_find("Observation", "value-quantity");
	assert_string_equal(p->paths[0].path, "valueQuantity");
	p = yl_searchparam_find("Observation", "patient");
	assert_string_equal(p->paths[0].target, "Patient");
	assert_string_equal(p->targets, "Patient,Group"); /* the definition's order */
	p = yl_searchparam_find("Patient", "phone");
	assert_int_equal(p->paths[0].where_depth, 1);
	assert_string_equal(p->paths[0].where_member, "system");
	assert_string_equal(p->paths[0].where_value, "phone");
	p = yl_searchparam_find("Observation", "component-code-value-quantity");
	assert_int_equal(p->type, YL_SP_COMPOSITE);
	assert_int_equal(p->ncomps, 2);
	assert_int_equal(p->comps[1].type, YL_SP_QUANTITY);
	p = yl_searchparam_find("Observation", "_tag");
	assert_non_null(p);
	assert_string_equal(p->resource, "Resource");
	assert_true(yl_searchparam_find("Patient", "_id")->flags & YL_SP_NO_INDEX);
	/* deceased's presence test is read as the element (gen-search-params.py REWRITES) */
	p = yl_searchparam_find("Patient", "deceased");
	assert_non_null(p);
	assert_int_equal(p->npaths, 2);
	assert_null(yl_searchparam_find("Patient", "_text"));
	assert_null(yl_searchparam_find("Location", "near"));
	assert_null(yl_searchparam_find("NoSuchType", "code"));
	assert_null(yl_searchparam_find("Observation", "no-such-param"));
	assert_string_equal(yl_searchparam_find("InsurancePlan", "name")->paths[0].path, "name");
	assert_string_equal(yl_sp_type_name(YL_SP_QUANTITY), "quantity");

	/* sorted, and every resource is an R4 resource type or the Resource pseudo type */
	for (size_t i = 0; i < yl_sp_resource_count; i++) {
		const struct yl_sp_resource *r = &yl_sp_resources[i];
		if (i)
			assert_true(strcmp(yl_sp_resources[i - 1].name, r->name) < 0);
		assert_true(!strcmp(r->name, "Resource") ||
		            yl_fhir_resource_type_index(r->name, strlen(r->name)) >= 0);
		for (unsigned k = r->first + 1; k < r->first + r->count; k++)
			assert_true(strcmp(yl_searchparams[k - 1].code, yl_searchparams[k].code) <
			            0);
	}
	size_t n;
	assert_non_null(yl_searchparam_list("Patient", &n));
	assert_true(n > 20);
}

/* ---- token ---- */

static void test_token(void **state)
{
	(void)state;
	struct got g =
	    run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\","
	        "\"identifier\":[{\"system\":\"urn:sys\",\"value\":\"A1\","
	        "\"type\":{\"coding\":[{\"system\":\"http://t\",\"code\":\"MR\"}],"
	        "\"text\":\"Medical record\"}}],"
	        "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\","
	        "\"display\":\"Systolic\"},{\"code\":\"x1\"}],\"text\":\"Systolic BP\"}}");
	assert_int_equal(count(&g, "status"), 1);
	const struct yl_index_row *r = nth(&g, "status", 0);
	assert_int_equal(r->kind, YL_IDX_TOKEN);
	assert_null(r->system);
	assert_string_equal(r->code, "final");
	assert_true(r->value_hash == vh(NULL, "final"));
	assert_true(r->code_hash == yl_hash_sql(yl_hash_parts(1, "final")));

	assert_int_equal(count(&g, "code"), 3); /* two codings + the text-only row */
	r = nth(&g, "code", 0);
	assert_string_equal(r->system, "http://loinc.org");
	assert_string_equal(r->code, "8480-6");
	assert_string_equal(r->text, "Systolic");
	assert_true(r->value_hash == vh("http://loinc.org", "8480-6"));
	r = nth(&g, "code", 1);
	assert_null(r->system);
	assert_string_equal(r->code, "x1");
	assert_true(r->value_hash == vh(NULL, "x1"));
	r = nth(&g, "code", 2);
	assert_null(r->code);
	assert_string_equal(r->text, "Systolic BP");
	assert_true(r->value_hash == 0 && r->code_hash == 0);

	r = nth(&g, "identifier", 0);
	assert_string_equal(r->system, "urn:sys");
	assert_string_equal(r->code, "A1");
	assert_string_equal(r->text, "Medical record");
	assert_true(r->type_hash == vh("http://t", "MR"));
	got_free(&g);

	/* text equal to a display: no extra row; boolean; ContactPoint with where filters */
	g = run("Patient",
	        "{\"resourceType\":\"Patient\",\"active\":true,\"gender\":\"female\","
	        "\"maritalStatus\":{\"coding\":[{\"code\":\"M\",\"display\":\"Married\"}],"
	        "\"text\":\"Married\"},"
	        "\"telecom\":[{\"system\":\"phone\",\"value\":\"555-1\"},"
	        "{\"system\":\"email\",\"value\":\"a@b.c\"},"
	        "{\"system\":\"phone\",\"value\":\"555-2\"}]}");
	assert_string_equal(nth(&g, "active", 0)->code, "true");
	assert_int_equal(count(&g, "telecom"), 3);
	assert_int_equal(count(&g, "phone"), 2);
	assert_string_equal(nth(&g, "phone", 0)->code, "555-1");
	assert_string_equal(nth(&g, "phone", 1)->code, "555-2");
	assert_null(nth(&g, "phone", 1)->system);
	assert_int_equal(count(&g, "email"), 1);
	assert_string_equal(nth(&g, "email", 0)->code, "a@b.c");
	got_free(&g);

	g = run("Encounter", "{\"resourceType\":\"Encounter\",\"status\":\"finished\","
	                     "\"class\":{\"system\":\"http://c\",\"code\":\"AMB\"},"
	                     "\"type\":[{\"text\":\"only text\"}]}");
	assert_string_equal(nth(&g, "class", 0)->code, "AMB");
	assert_int_equal(count(&g, "type"), 1);
	assert_null(nth(&g, "type", 0)->code);
	assert_string_equal(nth(&g, "type", 0)->text, "only text");
	got_free(&g);
}

/* ---- string ---- */

static void fold_is(const char *in, const char *want)
{
	struct yl_arena *a = yl_arena_create(256);
	char *f = yl_fhir_fold(a, in, strlen(in));
	assert_non_null(f);
	assert_string_equal(f, want);
	yl_arena_destroy(a);
}

static void test_string(void **state)
{
	(void)state;
	fold_is("José", "jose");
	fold_is("ÅNGSTRÖM", "angstrom");
	fold_is("王芳", "王芳");
	fold_is("Straße", "strasse");
	fold_is("Æsir Œuvre Łódź", "aesir oeuvre lodz");
	fold_is("Jose\xcc\x81", "jose"); /* NFD: e + combining acute */
	fold_is("Ωmega ×", "Ωmega ×");
	fold_is("", "");

	struct got g = run(
	    "Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Núñez\","
	               "\"given\":[\"José\",\"María\"],\"prefix\":[\"Dr.\"]},{\"text\":\"王芳\"}],"
	               "\"address\":[{\"line\":[\"1 Main St\"],\"city\":\"ÅNGSTRÖM\","
	               "\"postalCode\":\"02139\",\"country\":\"US\"}]}");
	assert_int_equal(count(&g, "name"), 5);
	assert_int_equal(count(&g, "family"), 1);
	const struct yl_index_row *r = nth(&g, "family", 0);
	assert_int_equal(r->kind, YL_IDX_STRING);
	assert_string_equal(r->exact, "Núñez");
	assert_string_equal(r->norm, "nunez");
	assert_int_equal(count(&g, "given"), 2);
	assert_string_equal(nth(&g, "given", 0)->norm, "jose");
	assert_string_equal(nth(&g, "given", 1)->norm, "maria");
	assert_string_equal(nth(&g, "name", 4)->norm, "王芳");
	assert_int_equal(count(&g, "address"), 4);
	assert_string_equal(nth(&g, "address-city", 0)->norm, "angstrom");
	assert_string_equal(nth(&g, "address-city", 0)->exact, "ÅNGSTRÖM");
	got_free(&g);
}

/* ---- date ---- */

static void range_is(const char *s, const char *lo, const char *hi_excl)
{
	int64_t a, b;
	assert_int_equal(yl_parse_date_range(s, strlen(s), &a, &b), 0);
	assert_true(a == date_us(lo));
	assert_true(b == date_us(hi_excl) - 1);
}

static void test_date(void **state)
{
	(void)state;
	range_is("1956", "1956-01-01T00:00:00Z", "1957-01-01T00:00:00Z");
	range_is("2024-02", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
	range_is("2023-02", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z");
	range_is("2026-11-23", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z");
	range_is("2026-12-31", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z");
	range_is("2026-11-23T13:31:19+08:00", "2026-11-23T05:31:19Z", "2026-11-23T05:31:20Z");
	range_is("2026-11-23T01:00:00-05:00", "2026-11-23T06:00:00Z", "2026-11-23T06:00:01Z");
	range_is("2026-11-23T13:31:19.5Z", "2026-11-23T13:31:19.5Z", "2026-11-23T13:31:19.6Z");
	int64_t a, b;
	assert_int_equal(yl_parse_date_range("2026-11-23T13:31:19.123456Z", 27, &a, &b), 0);
	assert_true(a == b);
	const char *bad[] = {"",
	                     "19",
	                     "2026-13",
	                     "2026-02-30",
	                     "2026-11-23T25:00:00Z",
	                     "x",
	                     "2026-11-23T10:00:00+15:00",
	                     "2026-11-23 10:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(yl_parse_date_range(bad[i], strlen(bad[i]), &a, &b), -1);

	struct got g = run("Observation",
	                   "{\"resourceType\":\"Observation\",\"status\":\"final\","
	                   "\"code\":{\"text\":\"x\"},\"effectivePeriod\":{\"start\":\"2020-05\"},"
	                   "\"issued\":\"2020-05-06T07:08:09.123+02:00\"}");
	const struct yl_index_row *r = nth(&g, "date", 0);
	assert_int_equal(r->kind, YL_IDX_DATE);
	assert_true(r->date_lo == date_us("2020-05-01T00:00:00Z"));
	assert_true(r->date_hi == INT64_MAX);
	got_free(&g);

	/* choice types: every concrete variant; Timing events and bounds */
	g = run("Condition",
	        "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/1\"},"
	        "\"onsetPeriod\":{\"end\":\"2001\"}}");
	r = nth(&g, "onset-date", 0);
	assert_true(r->date_lo == INT64_MIN);
	assert_true(r->date_hi == date_us("2002-01-01T00:00:00Z") - 1);
	got_free(&g);
	g = run("Condition",
	        "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/1\"},"
	        "\"onsetDateTime\":\"2001-02-03\"}");
	assert_true(nth(&g, "onset-date", 0)->date_lo == date_us("2001-02-03T00:00:00Z"));
	got_free(&g);
	g = run(
	    "MedicationRequest",
	    "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\",\"intent\":\"order\","
	    "\"medicationCodeableConcept\":{\"text\":\"m\"},\"subject\":{\"reference\":\"Patient/"
	    "1\"},"
	    "\"dosageInstruction\":[{\"timing\":{\"event\":[\"2020-01-01\",\"2020-01-02\"],"
	    "\"repeat\":{\"boundsPeriod\":{\"start\":\"2020-01-01\",\"end\":\"2020-02-01\"}}}}]}");
	assert_int_equal(count(&g, "date"), 2); /* dosageInstruction.timing.event only */
	assert_true(nth(&g, "date", 1)->date_lo == date_us("2020-01-02T00:00:00Z"));
	got_free(&g);
	g = run("CarePlan",
	        "{\"resourceType\":\"CarePlan\",\"status\":\"active\",\"intent\":\"plan\","
	        "\"subject\":{\"reference\":\"Patient/1\"},\"activity\":[{\"detail\":{"
	        "\"status\":\"scheduled\",\"scheduledTiming\":{\"event\":[\"2020-01-01\"],"
	        "\"repeat\":{\"boundsPeriod\":{\"start\":\"2020-01-01\",\"end\":"
	        "\"2020-02-01\"}}}}}]}");
	assert_int_equal(count(&g, "activity-date"), 2);
	assert_true(nth(&g, "activity-date", 1)->date_hi == date_us("2020-02-02T00:00:00Z") - 1);
	got_free(&g);
}

/* ---- number and quantity ---- */

static void test_number(void **state)
{
	(void)state;
	double lo, hi;
	assert_int_equal(yl_fhir_decimal_range("1.5", 3, &lo, &hi), 0);
	assert_near(lo, 1.45);
	assert_near(hi, 1.55);
	assert_int_equal(yl_fhir_decimal_range("100", 3, &lo, &hi), 0);
	assert_near(lo, 99.5);
	assert_near(hi, 100.5);
	assert_int_equal(yl_fhir_decimal_range("1.50", 4, &lo, &hi), 0);
	assert_near(lo, 1.495);
	assert_int_equal(yl_fhir_decimal_range("1.5e2", 5, &lo, &hi), 0);
	assert_near(lo, 145);
	assert_near(hi, 155);
	assert_int_equal(yl_fhir_decimal_range("-0.25", 5, &lo, &hi), 0);
	assert_near(lo, -0.255);
	assert_int_equal(yl_fhir_decimal_range("abc", 3, &lo, &hi), -1);
	assert_int_equal(yl_fhir_decimal_range("1.5x", 4, &lo, &hi), -1);

	struct got g =
	    run("RiskAssessment",
	        "{\"resourceType\":\"RiskAssessment\",\"status\":\"final\","
	        "\"subject\":{\"reference\":\"Patient/1\"},"
	        "\"prediction\":[{\"probabilityDecimal\":0.15},{\"probabilityDecimal\":2},"
	        "{\"probabilityDecimal\":95.2849875179102}]}");
	assert_int_equal(count(&g, "probability"), 3);
	const struct yl_index_row *r = nth(&g, "probability", 0);
	assert_int_equal(r->kind, YL_IDX_NUMBER);
	assert_near(r->num_lo, 0.145);
	assert_near(r->num_hi, 0.155);
	assert_near(nth(&g, "probability", 1)->num_lo, 1.5);
	assert_near(nth(&g, "probability", 2)->num_lo, 95.2849875179102 - 0.5e-13);
	got_free(&g);
}

static void test_quantity(void **state)
{
	(void)state;
	struct got g =
	    run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
	        "\"x\"},\"valueQuantity\":{\"value\":180,\"unit\":\"mg/dL\","
	        "\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg/dL\"}}");
	struct got h =
	    run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
	        "\"x\"},\"valueQuantity\":{\"value\":1.8,\"unit\":\"g/l\","
	        "\"system\":\"http://unitsofmeasure.org\",\"code\":\"g/L\"}}");
	const struct yl_index_row *a = nth(&g, "value-quantity", 0),
	                          *b = nth(&h, "value-quantity", 0);
	assert_int_equal(a->kind, YL_IDX_QUANTITY);
	assert_near(a->num_lo, 179.5);
	assert_near(a->num_hi, 180.5);
	assert_string_equal(a->unit_system, "http://unitsofmeasure.org");
	assert_string_equal(a->unit_code, "mg/dL");
	assert_string_equal(a->canon_code, "g/L");
	assert_string_equal(b->canon_code, "g/L");
	assert_near(a->canon_lo, 1.795);
	assert_near(a->canon_hi, 1.805);
	assert_near(b->canon_lo, 1.75);
	assert_near(b->canon_hi, 1.85);
	assert_true(a->canon_lo >= b->canon_lo && a->canon_hi <= b->canon_hi); /* comparable */
	got_free(&g);
	got_free(&h);

	/* no code: unit; not UCUM: no canonical; comparator opens the range */
	g = run("Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":"
	                       "{\"text\":\"x\"},\"valueQuantity\":{\"value\":5,\"unit\":\"tabs\","
	                       "\"comparator\":\"<\"}}");
	a = nth(&g, "value-quantity", 0);
	assert_string_equal(a->unit_code, "tabs");
	assert_null(a->unit_system);
	assert_null(a->canon_code);
	assert_true(a->num_lo == -DBL_MAX);
	assert_near(a->num_hi, 5.5);
	got_free(&g);

	/* Range (a useContext choice) and Money */
	g = run("ActivityDefinition",
	        "{\"resourceType\":\"ActivityDefinition\",\"status\":\"active\",\"useContext\":["
	        "{\"code\":{\"code\":\"age\"},\"valueRange\":{\"low\":{\"value\":18,\"system\":"
	        "\"http://unitsofmeasure.org\",\"code\":\"a\"}}}]}");
	a = nth(&g, "context-quantity", 0);
	assert_near(a->num_lo, 17.5);
	assert_true(a->num_hi == DBL_MAX);
	assert_string_equal(a->canon_code, "s");
	assert_near(a->canon_lo, 17.5 * 31557600);
	a = nth(&g, "context-type-quantity", 0);
	assert_int_equal(a->kind, YL_IDX_COMPOSITE);
	assert_string_equal(a->code, "age");
	assert_int_equal(a->comp_kind, YL_IDX_QUANTITY);
	assert_near(a->num_lo, 17.5);
	got_free(&g);
	g = run("ChargeItem", "{\"resourceType\":\"ChargeItem\",\"status\":\"billable\",\"code\":"
	                      "{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/1\"},"
	                      "\"priceOverride\":{\"value\":12.25,\"currency\":\"EUR\"}}");
	a = nth(&g, "price-override", 0);
	assert_string_equal(a->unit_system, "urn:iso:std:iso:4217");
	assert_string_equal(a->unit_code, "EUR");
	assert_near(a->num_lo, 12.245);
	got_free(&g);
}

/* ---- reference and uri ---- */

static void test_reference(void **state)
{
	(void)state;
	struct got g =
	    run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
	        "\"x\"},\"subject\":{\"reference\":\"Patient/123/_history/2\"},"
	        "\"performer\":[{\"reference\":\"http://ex.org/fhir/Practitioner/p9\"},"
	        "{\"reference\":\"urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427\"},"
	        "{\"reference\":\"#c1\"},{\"identifier\":{\"value\":\"x\"}},"
	        "{\"reference\":\"Practitioner?identifier=a|b\"}]}");
	const struct yl_index_row *r = nth(&g, "subject", 0);
	assert_int_equal(r->kind, YL_IDX_REFERENCE);
	assert_string_equal(r->ref_type, "Patient");
	assert_string_equal(r->ref_id, "123");
	assert_string_equal(r->ref_url, "Patient/123/_history/2");
	assert_int_equal(count(&g, "patient"), 1);
	assert_string_equal(nth(&g, "patient", 0)->ref_id, "123");
	assert_int_equal(count(&g, "performer"), 3);
	r = nth(&g, "performer", 0);
	assert_string_equal(r->ref_type, "Practitioner");
	assert_string_equal(r->ref_id, "p9");
	assert_string_equal(r->ref_url, "http://ex.org/fhir/Practitioner/p9");
	r = nth(&g, "performer", 1);
	assert_null(r->ref_type);
	assert_null(r->ref_id);
	assert_string_equal(r->ref_url, "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427");
	r = nth(&g, "performer", 2);
	assert_null(r->ref_type);
	assert_string_equal(r->ref_url, "Practitioner?identifier=a|b");
	got_free(&g);

	/* target filter: a Group subject is not a patient */
	g = run("Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":"
	                       "{\"text\":\"x\"},\"subject\":{\"reference\":\"Group/5\"}}");
	assert_int_equal(count(&g, "subject"), 1);
	assert_int_equal(count(&g, "patient"), 0);
	got_free(&g);

	/* canonical references lose their |version; uri as recorded */
	g = run("CarePlan",
	        "{\"resourceType\":\"CarePlan\",\"status\":\"active\",\"intent\":\"plan\","
	        "\"subject\":{\"reference\":\"Patient/1\"},\"instantiatesCanonical\":"
	        "[\"http://ex.org/PlanDefinition/pd1|2.0\"],\"instantiatesUri\":"
	        "[\"http://ex.org/x\"]}");
	r = nth(&g, "instantiates-canonical", 0);
	assert_string_equal(r->ref_url, "http://ex.org/PlanDefinition/pd1");
	assert_string_equal(r->ref_type, "PlanDefinition");
	assert_string_equal(r->ref_id, "pd1");
	r = nth(&g, "instantiates-uri", 0);
	assert_int_equal(r->kind, YL_IDX_URI);
	assert_string_equal(r->uri, "http://ex.org/x");
	got_free(&g);
}

/* ---- composite ---- */

static void test_composite(void **state)
{
	(void)state;
	struct got g =
	    run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":"
	        "[{\"system\":\"http://loinc.org\",\"code\":\"55284-4\"}]},"
	        "\"component\":[{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":"
	        "\"8462-4\"}]},\"valueQuantity\":{\"value\":95,\"system\":\"http://"
	        "unitsofmeasure.org\","
	        "\"code\":\"mm[Hg]\"}},{\"code\":{\"coding\":[{\"system\":\"http://"
	        "loinc.org\",\"code\":"
	        "\"8480-6\"}]},\"valueQuantity\":{\"value\":185,\"system\":\"http://"
	        "unitsofmeasure.org\","
	        "\"code\":\"mm[Hg]\"}}]}");
	assert_int_equal(count(&g, "component-code-value-quantity"), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct yl_index_row *r = nth(&g, "component-code-value-quantity", i);
		assert_int_equal(r->kind, YL_IDX_COMPOSITE);
		assert_int_equal(r->comp_kind, YL_IDX_QUANTITY);
		assert_string_equal(r->system, "http://loinc.org");
		/* each code with its own component's value, never crossed */
		if (!strcmp(r->code, "8462-4"))
			assert_near(r->num_lo, 94.5);
		else
			assert_near(r->num_lo, 184.5);
		assert_true(r->value_hash == vh("http://loinc.org", r->code));
		assert_string_equal(r->canon_code, "Pa");
	}
	assert_int_equal(count(&g, "code-value-quantity"), 0); /* no Observation.value */
	/* combo-* parameters are unions: no copies of their members' rows */
	assert_int_equal(count(&g, "combo-code-value-quantity"), 0);
	assert_int_equal(count(&g, "combo-code"), 0);
	const struct yl_searchparam *combo = yl_searchparam_find("Observation", "combo-code");
	assert_true(combo->flags & YL_SP_UNION);
	assert_string_equal(combo->union_of, "code,component-code");
	assert_string_equal(
	    yl_searchparam_find("Observation", "combo-code-value-quantity")->union_of,
	    "code-value-quantity,component-code-value-quantity");
	got_free(&g);

	g = run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":"
	        "[{\"system\":\"http://loinc.org\",\"code\":\"72166-2\"}]},"
	        "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"http://snomed.info/sct\","
	        "\"code\":\"8517006\"}]},\"component\":[{\"code\":{\"text\":\"t\"},"
	        "\"valueString\":\"x\"}]}");
	const struct yl_index_row *r = nth(&g, "code-value-concept", 0);
	assert_int_equal(count(&g, "code-value-concept"), 1);
	assert_int_equal(r->comp_kind, YL_IDX_TOKEN);
	assert_string_equal(r->code, "72166-2");
	assert_true(r->comp_value_hash == vh("http://snomed.info/sct", "8517006"));
	assert_true(r->comp_code_hash == yl_hash_sql(yl_hash_parts(1, "8517006")));
	assert_int_equal(count(&g, "combo-code-value-concept"), 0);
	got_free(&g);

	g = run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":"
	        "[{\"code\":\"c\"}]},\"valueDateTime\":\"2020-01-02\"}");
	r = nth(&g, "code-value-date", 0);
	assert_int_equal(r->comp_kind, YL_IDX_DATE);
	assert_true(r->date_lo == date_us("2020-01-02T00:00:00Z"));
	got_free(&g);
	g = run("Observation",
	        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":"
	        "[{\"code\":\"c\"}]},\"valueString\":\"Élan\"}");
	r = nth(&g, "code-value-string", 0);
	assert_int_equal(r->comp_kind, YL_IDX_STRING);
	assert_string_equal(r->norm, "elan");
	got_free(&g);
}

/* ---- Resource-level parameters ---- */

static void test_meta(void **state)
{
	(void)state;
	struct got g =
	    run("Patient",
	        "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"meta\":{\"lastUpdated\":"
	        "\"2020-01-01T00:00:00Z\",\"source\":\"http://src\",\"profile\":"
	        "[\"http://p/StructureDefinition/x|1\"],\"tag\":[{\"system\":\"http://t\","
	        "\"code\":\"a\"}],\"security\":[{\"system\":\"http://s\",\"code\":\"R\"}]}}");
	assert_int_equal(count(&g, "_id"), 0);
	assert_int_equal(count(&g, "_lastUpdated"), 0);
	assert_true(nth(&g, "_tag", 0)->value_hash == vh("http://t", "a"));
	assert_true(nth(&g, "_security", 0)->value_hash == vh("http://s", "R"));
	assert_string_equal(nth(&g, "_profile", 0)->uri, "http://p/StructureDefinition/x|1");
	assert_string_equal(nth(&g, "_source", 0)->uri, "http://src");
	assert_int_equal(g.n, 4);
	got_free(&g);

	/* odd input never fails */
	g = run("Observation", "{\"code\":[1,2,[3]],\"valueQuantity\":\"x\",\"subject\":7,"
	                       "\"component\":{\"code\":null}}");
	assert_int_equal(g.n, 0);
	got_free(&g);
	g = run("NoSuchType", "{\"a\":1}");
	assert_int_equal(g.n, 0);
	got_free(&g);
}

/* ---- corpus ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct corpus {
	double *times;
	size_t ntimes, cap;
	size_t kinds[YL_IDX_COMPOSITE + 1];
	size_t rows;
};

static void corpus_resource(struct corpus *c, const json_t *res)
{
	const char *type = json_string_value(json_object_get(res, "resourceType"));
	assert_non_null(type);
	struct yl_arena *a = yl_arena_create(64 * 1024);
	assert_non_null(a);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_index_row *rows;
	size_t n;
	double t0 = now_us();
	enum yl_code rc = yl_fhir_extract(a, type, res, &rows, &n, &err);
	double t1 = now_us();
	assert_int_equal(rc, YL_OK);
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i].kind <= YL_IDX_COMPOSITE);
		c->kinds[rows[i].kind]++;
	}
	c->rows += n;
	if (c->ntimes == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->times = realloc(c->times, c->cap * sizeof(*c->times));
		assert_non_null(c->times);
	}
	c->times[c->ntimes++] = t1 - t0;
	yl_arena_destroy(a);
}

static void corpus_report(const char *what, struct corpus *c, size_t files)
{
	static const char *const names[] = {"token",    "string",    "date", "number",
	                                    "quantity", "reference", "uri",  "composite"};
	assert_true(c->ntimes > 0);
	qsort(c->times, c->ntimes, sizeof(*c->times), cmp_double);
	print_message("%s: %zu files, %zu resources, %zu rows (%.1f per resource)\n", what, files,
	              c->ntimes, c->rows, (double)c->rows / (double)c->ntimes);
	for (int k = 0; k <= YL_IDX_COMPOSITE; k++)
		print_message("  %-10s %zu\n", names[k], c->kinds[k]);
	print_message("  median %.2f us, p90 %.2f us, p99 %.2f us per resource\n",
	              c->times[c->ntimes / 2], c->times[c->ntimes * 9 / 10],
	              c->times[c->ntimes * 99 / 100]);
	free(c->times);
}

/* Every *.json file of dir/sub: a Bundle's entries (bundles = 1) or the resource itself. */
static void corpus_dir(const char *sub, int bundles)
{
	const char *shared = getenv("YL_SHARED");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", shared ? shared : "../shared", sub);
	DIR *d = opendir(dir);
	if (!d) {
		print_message("corpus %s not found: skipped\n", dir);
		skip();
	}
	struct corpus c = {0};
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		json_error_t jerr;
		json_t *b = json_load_file(path, 0, &jerr);
		assert_non_null(b);
		files++;
		if (bundles) {
			size_t i;
			json_t *e;
			json_array_foreach (json_object_get(b, "entry"), i, e)
				corpus_resource(&c, json_object_get(e, "resource"));
		} else {
			corpus_resource(&c, b);
		}
		json_decref(b);
	}
	closedir(d);
	corpus_report(sub, &c, files);
}

static void test_corpus(void **state)
{
	(void)state;
	corpus_dir("data/synthea", 1);
}

/* The official R4 examples: every resource type, odd-but-valid data included. */
static void test_examples(void **state)
{
	(void)state;
	corpus_dir("fhir-r4/examples", 0);
}

static int setup(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(1024);
	struct yl_err err;
	yl_err_init(&err);
	enum yl_code rc = yl_ucum_load("terminology/ucum-units.json", a, &err);
	yl_arena_destroy(a);
	return rc == YL_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	yl_ucum_unload();
	return 0;
}

static void test_ucum(void **state)
{
	(void)state;
	const char *canon;
	double f;
	assert_int_equal(yl_ucum_canonical("mg/dL", &canon, &f), 1);
	assert_string_equal(canon, "g/L");
	assert_near(f, 0.01);
	assert_int_equal(yl_ucum_canonical("Cel", &canon, &f), 0);
	assert_int_equal(yl_ucum_canonical("{score}", &canon, &f), 0);
	struct yl_arena *a = yl_arena_create(1024);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_ucum_load("/nonexistent/ucum.json", a, &err), YL_IO);
	assert_int_equal(yl_ucum_canonical("mg/dL", &canon, &f), 1); /* old table kept */
	yl_arena_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),     cmocka_unit_test(test_token),
	    cmocka_unit_test(test_string),    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_number),    cmocka_unit_test(test_quantity),
	    cmocka_unit_test(test_reference), cmocka_unit_test(test_composite),
	    cmocka_unit_test(test_meta),      cmocka_unit_test(test_ucum),
	    cmocka_unit_test(test_corpus),    cmocka_unit_test(test_examples),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
