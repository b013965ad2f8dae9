/* test_synth.c -- `yilian synth` (src/synth/): the same seed gives the same bytes whatever
 * the threads, another seed other bytes; every resource is valid FHIR R4 and every reference
 * resolves; identity numbers pass GB 11643 and agree with gender and birthDate, and the
 * server's own identifier rules accept every Patient; ids, identity, health-record and phone
 * numbers are unique; the age and sex structure and the hypertension and diabetes prevalence
 * of a 20,000-resident region match the figures of terminology/synth/ (read here
 * independently of the generator's loader); no team or doctor ever has more contracts in
 * force than its cap, a resident never two at once, and packages fit their population.
 * Programmes: every follow-up Encounter belongs to an enrolment of its resident in its
 * programme, begun on its first visit, by a resident old enough and diagnosed; enrolments
 * end for the reasons of the code system (died only for the dead, on the day of death);
 * every classification, next step and the referral reasons two-consecutive-uncontrolled and
 * danger-sign occur; the stored outcome of every visit of the small region is what the
 * server's rule pack gives from the visit's stored Observations, the resident's age and
 * conditions and the visits before; urgent referrals are mostly seen again within two weeks,
 * some residents still enrolled have not come for a year, and some diagnosed residents of
 * 35 and over are not enrolled; without the rule packs loaded synth refuses to run. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "care/config.h"
#include "care/keypop.h"
#include "care/registry.h"
#include "care/resident-id.h"
#include "care/rulepack.h"
#include "core/time.h"
#include "fhir/validate.h"
#include "synth/synth.h"

#define AS_OF_Y 2026
#define AS_OF_M 6
#define AS_OF_D 30
#define SMALL   2000
#define LARGE   20000
#define SEED    20260630

#define DIR_LEN 64 /* each directory name of the fixture */

struct fixture {
	char small[DIR_LEN], small_again[DIR_LEN], other_seed[DIR_LEN], large[DIR_LEN],
	    tight[DIR_LEN], tight_data[DIR_LEN];
	struct yl_arena *a;
};

static int32_t as_of(void)
{
	return (int32_t)yl_days_from_civil(AS_OF_Y, AS_OF_M, AS_OF_D);
}

static void generate_with(char *dir, int64_t n, uint64_t seed, int threads, const char *data)
{
	snprintf(dir, DIR_LEN, "%s", "/tmp/yl-synth-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	struct yl_arena *a = yl_arena_create(1 << 14);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_synth_opts o = {.residents = n,
	                          .seed = seed,
	                          .as_of = as_of(),
	                          .years = 3,
	                          .threads = threads,
	                          .data_dir = data,
	                          .out_dir = dir};
	struct yl_synth_stats st;
	enum yl_code rc = yl_synth_run(&o, &st, a, &err);
	if (rc != YL_OK)
		fail_msg("synth failed: %s", err.first ? err.first->message : "?");
	assert_int_equal(st.residents, n);
	assert_int_equal(st.count[YL_SYNTH_PATIENT], n);
	yl_arena_destroy(a);
}

static void generate(char *dir, int64_t n, uint64_t seed, int threads)
{
	generate_with(dir, n, seed, threads, YL_DATA_DIR);
}

/* a data directory like the source tree's, but with teams and doctors capped low enough
 * that the caps bind: terminology/ and rules/ linked, terminology/synth/region.json changed */
static void tight_data(char *dir)
{
	char path[512], target[512];
	snprintf(dir, DIR_LEN, "%s", "/tmp/yl-synth-data-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/rules", dir);
	snprintf(target, sizeof target, "%s/rules", YL_DATA_DIR);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/terminology", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/terminology/synth", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/terminology/service-packages.json", dir);
	snprintf(target, sizeof target, "%s/terminology/service-packages.json", YL_DATA_DIR);
	assert_int_equal(symlink(target, path), 0);
	const char *files[] = {"population.json", "names.json", "conditions.json", "contracts.json",
	                       "programmes.json"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/terminology/synth/%s", dir, files[i]);
		snprintf(target, sizeof target, "%s/terminology/synth/%s", YL_DATA_DIR, files[i]);
		assert_int_equal(symlink(target, path), 0);
	}
	snprintf(target, sizeof target, "%s/terminology/synth/region.json", YL_DATA_DIR);
	json_t *region = json_load_file(target, 0, NULL);
	assert_non_null(region);
	json_t *teams = json_object_get(region, "teams");
	json_object_set_new(teams, "capacity", json_integer(900));
	json_object_set_new(teams, "doctor_capacity_shared", json_integer(500));
	json_object_set_new(teams, "second_doctor_share", json_real(0.5));
	snprintf(path, sizeof path, "%s/terminology/synth/region.json", dir);
	assert_int_equal(json_dump_file(region, path, 0), 0);
	json_decref(region);
}

static void remove_data(const char *dir)
{
	char path[512];
	const char *files[] = {"synth/population.json", "synth/names.json",
	                       "synth/conditions.json", "synth/contracts.json",
	                       "synth/programmes.json", "synth/region.json",
	                       "service-packages.json"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/terminology/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/terminology/synth", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/terminology", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/rules", dir);
	unlink(path);
	rmdir(dir);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->a = yl_arena_create(1 << 16);
	/* the server's rules, which synth needs (the CLI loads them with yl_cli_load_data) */
	struct yl_err err;
	yl_err_init(&err);
	if (yl_care_load(YL_DATA_DIR, f->a, &err) != YL_OK ||
	    yl_packs_load(YL_DATA_DIR, NULL, 0, f->a, &err) != YL_OK)
		fail_msg("cannot load the rules: %s", err.first ? err.first->message : "?");
	generate(f->small, SMALL, SEED, 2);
	generate(f->small_again, SMALL, SEED, 1);
	generate(f->other_seed, SMALL, SEED + 1, 2);
	generate(f->large, LARGE, SEED, 0);
	tight_data(f->tight_data);
	generate_with(f->tight, 8000, SEED, 2, f->tight_data);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	remove_tree(f->small);
	remove_tree(f->small_again);
	remove_tree(f->other_seed);
	remove_tree(f->large);
	remove_tree(f->tight);
	remove_data(f->tight_data);
	yl_packs_unload();
	yl_care_unload();
	yl_arena_destroy(f->a);
	free(f);
	return 0;
}

static char *slurp(const char *dir, const char *type, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.ndjson", dir, type);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	p[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return p;
}

/* every line of DIR/TYPE.ndjson parsed: a new array */
static json_t *load(const char *dir, const char *type)
{
	size_t len;
	char *text = slurp(dir, type, &len);
	json_t *arr = json_array();
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl); /* every line ends with a newline */
		json_error_t je;
		json_t *r = json_loadb(line, (size_t)(nl - line), 0, &je);
		if (!r)
			fail_msg("%s line does not parse: %s", type, je.text);
		assert_string_equal(json_string_value(json_object_get(r, "resourceType")), type);
		json_array_append_new(arr, r);
	}
	free(text);
	return arr;
}

static const char *const types[] = {
    "Organization", "Practitioner",   "PractitionerRole",
    "CareTeam",     "PlanDefinition", "Patient",
    "Group",        "Condition",      "EpisodeOfCare",
    "Encounter",    "Observation",    "MedicationRequest",
};
#define NTYPES (sizeof types / sizeof types[0])

static void test_same_seed_same_bytes(void **state)
{
	struct fixture *f = *state;
	for (size_t t = 0; t < NTYPES; t++) {
		size_t n1, n2;
		char *x = slurp(f->small, types[t], &n1), *y = slurp(f->small_again, types[t], &n2);
		assert_true(n1 > 0);
		if (n1 != n2 || memcmp(x, y, n1) != 0)
			fail_msg("%s.ndjson differs between two runs of one seed (2 threads vs 1)",
			         types[t]);
		free(x);
		free(y);
	}
}

static void test_other_seed_other_bytes(void **state)
{
	struct fixture *f = *state;
	const char *differ[] = {"Patient", "Group", "Condition", "EpisodeOfCare", "Observation"};
	for (size_t t = 0; t < sizeof differ / sizeof differ[0]; t++) {
		size_t n1, n2;
		char *x = slurp(f->small, differ[t], &n1),
		     *y = slurp(f->other_seed, differ[t], &n2);
		assert_true(n1 != n2 || memcmp(x, y, n1) != 0);
		free(x);
		free(y);
	}
}

/* collect every "reference" under v into refs (strings borrowed) */
static void references(json_t *v, json_t *refs)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach (v, k, x) {
			if (strcmp(k, "reference") == 0 && json_is_string(x))
				json_array_append(refs, x);
			else
				references(x, refs);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x)
			references(x, refs);
	}
}

static void test_valid_and_references_resolve(void **state)
{
	struct fixture *f = *state;
	json_t *ids = json_object(), *all[NTYPES], *refs = json_array();
	for (size_t t = 0; t < NTYPES; t++) {
		all[t] = load(f->small, types[t]);
		assert_true(json_array_size(all[t]) > 0);
		const char *prev = "";
		size_t i;
		json_t *r;
		json_array_foreach (all[t], i, r) {
			const char *id = json_string_value(json_object_get(r, "id"));
			assert_non_null(id);
			char key[128];
			snprintf(key, sizeof key, "%s/%s", types[t], id);
			if (json_object_get(ids, key))
				fail_msg("%s appears twice", key);
			json_object_set_new(ids, key, json_true());
			/* ids sort in creation order (file order); PlanDefinitions keep theirs */
			if (strcmp(types[t], "PlanDefinition") != 0 && strcmp(prev, id) >= 0)
				fail_msg("%s/%s does not sort after %s", types[t], id, prev);
			prev = id;
			yl_arena_reset(f->a);
			struct yl_err err;
			yl_err_init(&err);
			if (yl_fhir_validate(f->a, r, types[t], &err) != 0)
				fail_msg("%s is not valid FHIR R4: %s at %s", key,
				         err.first->message,
				         err.first->expression ? err.first->expression : "");
			json_t *tag =
			    json_array_get(json_object_get(json_object_get(r, "meta"), "tag"), 0);
			assert_string_equal(json_string_value(json_object_get(tag, "code")),
			                    "HTEST");
			references(r, refs);
		}
	}
	size_t i;
	json_t *ref;
	assert_true(json_array_size(refs) > 10000);
	json_array_foreach (refs, i, ref) {
		if (!json_object_get(ids, json_string_value(ref)))
			fail_msg("reference %s does not resolve", json_string_value(ref));
	}
	for (size_t t = 0; t < NTYPES; t++)
		json_decref(all[t]);
	json_decref(refs);
	json_decref(ids);
}

static const char *identifier(json_t *r, const char *system)
{
	size_t i;
	json_t *id;
	json_array_foreach (json_object_get(r, "identifier"), i, id) {
		if (strcmp(json_string_value(json_object_get(id, "system")), system) == 0)
			return json_string_value(json_object_get(id, "value"));
	}
	return NULL;
}

static void unique(json_t *seen, const char *what, const char *v)
{
	assert_non_null(v);
	if (json_object_get(seen, v))
		fail_msg("two residents share a %s", what);
	json_object_set_new(seen, v, json_true());
}

static void test_identity_numbers(void **state)
{
	struct fixture *f = *state;
	json_t *pats = load(f->small, "Patient");
	json_t *rid = json_object(), *hr = json_object(), *phone = json_object();
	struct yl_err err;
	size_t i;
	json_t *p;
	int phones = 0;
	json_array_foreach (pats, i, p) {
		const char *id = identifier(p, "https://yilian.health/fhir/sid/cn-resident-id");
		assert_non_null(id);
		struct yl_resident_id r;
		int today = AS_OF_Y * 10000 + AS_OF_M * 100 + AS_OF_D;
		assert_int_equal(yl_resident_id_parse(id, strlen(id), today, &r), YL_RID_OK);
		const char *gender = json_string_value(json_object_get(p, "gender"));
		assert_string_equal(gender, r.male ? "male" : "female");
		char birth[11];
		snprintf(birth, sizeof birth, "%04d-%02d-%02d", r.year, r.month, r.day);
		assert_string_equal(json_string_value(json_object_get(p, "birthDate")), birth);
		unique(rid, "identity number", id);
		const char *h = identifier(p, "https://yilian.health/fhir/sid/health-record");
		assert_non_null(h);
		assert_int_equal(strlen(h), 17);
		assert_int_equal(strspn(h, "0123456789"), 17);
		unique(hr, "health-record number", h);
		json_t *tel = json_array_get(json_object_get(p, "telecom"), 0);
		if (tel) {
			const char *ph = json_string_value(json_object_get(tel, "value"));
			assert_int_equal(strlen(ph), 11);
			assert_int_equal(ph[0], '1');
			unique(phone, "phone number", ph);
			phones++;
		}
		/* the server's own identifier rules (care/registry.h) */
		yl_arena_reset(f->a);
		yl_err_init(&err);
		if (yl_care_validate(f->a, "Patient", p, &err) != 0)
			fail_msg("the registry refuses a Patient: %s", err.first->message);
	}
	assert_true(phones > SMALL / 2);
	json_decref(pats);
	json_decref(rid);
	json_decref(hr);
	json_decref(phone);
}

/* ---- distributions of the 20,000-resident region ------------------------------------------- */

static json_t *data_file(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/terminology/synth/%s", YL_DATA_DIR, name);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static int age_of(const char *birth)
{
	int y, m, d;
	assert_int_equal(sscanf(birth, "%d-%d-%d", &y, &m, &d), 3);
	return AS_OF_Y - y - (AS_OF_M < m || (AS_OF_M == m && AS_OF_D < d));
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* prevalence (fraction) of a condition at this age and sex, from conditions.json */
static double prevalence(json_t *cond, int age, bool male)
{
	json_t *prev = json_object_get(cond, "prevalence");
	size_t i;
	json_t *g;
	json_array_foreach (json_object_get(prev, "groups"), i, g) {
		if (age < num(g, "lo") || age > num(g, "hi"))
			continue;
		if (json_object_get(prev, "male_factor"))
			return num(g, "percent") / 100 *
			       num(prev, male ? "male_factor" : "female_factor");
		return num(g, male ? "male" : "female") / 100 * num(prev, "scale");
	}
	return 0;
}

static void test_age_sex_structure(void **state)
{
	struct fixture *f = *state;
	json_t *pop = data_file("population.json"), *pats = load(f->large, "Patient");
	json_t *groups = json_object_get(json_object_get(pop, "age_sex"), "groups");
	double total = 0, male_expected = 0;
	size_t ng = json_array_size(groups), i;
	json_t *g, *p;
	json_array_foreach (groups, i, g)
		total += num(g, "share");
	int count[32] = {0}, men = 0, n = 0;
	json_array_foreach (pats, i, p) {
		int age = age_of(json_string_value(json_object_get(p, "birthDate")));
		size_t k;
		for (k = 0; k < ng; k++) {
			json_t *gk = json_array_get(groups, k);
			if (age >= num(gk, "lo") && age <= num(gk, "hi"))
				break;
		}
		if (k == ng)
			fail_msg("an age of %d is outside every census group", age);
		count[k]++;
		men += strcmp(json_string_value(json_object_get(p, "gender")), "male") == 0;
		n++;
	}
	assert_int_equal(n, LARGE);
	json_array_foreach (groups, i, g) {
		double share = num(g, "share") / total, r = num(g, "male_per_100_female");
		male_expected += share * r / (100 + r);
		double got = (double)count[i] / n;
		/* 4 standard errors, and at least half a percentage point */
		double tol = 4 * sqrt(share * (1 - share) / n);
		if (tol < 0.005)
			tol = 0.005;
		if (got < share - tol || got > share + tol)
			fail_msg("ages %d-%d: %.4f of residents, census %.4f (+-%.4f)",
			         (int)num(g, "lo"), (int)num(g, "hi"), got, share, tol);
	}
	double got_men = (double)men / n;
	if (got_men < male_expected - 0.015 || got_men > male_expected + 0.015)
		fail_msg("men are %.4f of residents, the data say %.4f", got_men, male_expected);
	json_decref(pop);
	json_decref(pats);
}

/* observed cases of a condition against the expected sum of p(age, sex) over residents */
static void check_prevalence(json_t *cond_data, json_t *pats, json_t *conds, int which,
                             const char *label)
{
	/* the residents with the condition, from the Condition files */
	json_t *has = json_object();
	size_t i;
	json_t *c, *p;
	char suffix[4];
	snprintf(suffix, sizeof suffix, "-%d", which);
	json_array_foreach (conds, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		if (strcmp(id + strlen(id) - 2, suffix) == 0)
			json_object_set(has,
			                json_string_value(json_object_get(
			                    json_object_get(c, "subject"), "reference")),
			                json_true());
	}
	/* by age band: 18-44, 45-64, 65+ and all */
	static const int lo[] = {18, 45, 65, 0}, hi[] = {44, 64, 200, 200};
	for (int b = 0; b < 4; b++) {
		double expected = 0, var = 0;
		int observed = 0;
		json_array_foreach (pats, i, p) {
			int age = age_of(json_string_value(json_object_get(p, "birthDate")));
			if (age < lo[b] || age > hi[b])
				continue;
			bool male =
			    strcmp(json_string_value(json_object_get(p, "gender")), "male") == 0;
			double q = prevalence(cond_data, age, male);
			expected += q;
			var += q * (1 - q);
			char ref[64];
			snprintf(ref, sizeof ref, "Patient/%s",
			         json_string_value(json_object_get(p, "id")));
			observed += json_object_get(has, ref) != NULL;
		}
		double tol = 4 * sqrt(var) + 0.03 * expected + 2;
		if (observed < expected - tol || observed > expected + tol)
			fail_msg("%s, ages %d-%d: %d residents, the data's prevalence gives %.0f "
			         "(+-%.0f)",
			         label, lo[b], hi[b], observed, expected, tol);
	}
	json_decref(has);
}

static void test_prevalence(void **state)
{
	struct fixture *f = *state;
	json_t *data = data_file("conditions.json"), *pats = load(f->large, "Patient");
	json_t *conds = load(f->large, "Condition");
	assert_true(json_array_size(conds) > LARGE / 10);
	check_prevalence(json_object_get(data, "hypertension"), pats, conds, 1, "hypertension");
	check_prevalence(json_object_get(data, "type-2-diabetes"), pats, conds, 2,
	                 "type 2 diabetes");
	/* the codes: ICD-10 and SNOMED CT together */
	json_t *coding =
	    json_object_get(json_object_get(json_array_get(conds, 0), "code"), "coding");
	assert_int_equal(json_array_size(coding), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(coding, 0), "system")),
	                    "http://hl7.org/fhir/sid/icd-10");
	assert_string_equal(json_string_value(json_object_get(json_array_get(coding, 1), "system")),
	                    "http://snomed.info/sct");
	json_decref(data);
	json_decref(pats);
	json_decref(conds);
}

/* ---- capacity -------------------------------------------------------------------------- */

static int32_t day_of(const char *s)
{
	int y, m, d;
	assert_int_equal(sscanf(s, "%d-%d-%d", &y, &m, &d), 3);
	return (int32_t)yl_days_from_civil(y, (unsigned)m, (unsigned)d);
}

static int capacity_of(json_t *r, int fallback)
{
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(r, "extension"), i, e) {
		if (strstr(json_string_value(json_object_get(e, "url")), "panel-capacity"))
			return (int)json_integer_value(json_object_get(e, "valueInteger"));
	}
	return fallback;
}

/* whole years from day a to day b */
static int age_between(int32_t a, int32_t b)
{
	int64_t y1 = 0, y2 = 0;
	unsigned m1 = 0, d1 = 0, m2 = 0, d2 = 0;
	for (int64_t y = 1900; y <= 2100; y++) { /* the years holding a and b */
		if (yl_days_from_civil(y, 1, 1) <= a)
			y1 = y;
		if (yl_days_from_civil(y, 1, 1) <= b)
			y2 = y;
	}
	for (unsigned m = 1; m <= 12; m++) {
		if (yl_days_from_civil(y1, m, 1) <= a)
			m1 = m;
		if (yl_days_from_civil(y2, m, 1) <= b)
			m2 = m;
	}
	d1 = (unsigned)(a - yl_days_from_civil(y1, m1, 1)) + 1;
	d2 = (unsigned)(b - yl_days_from_civil(y2, m2, 1)) + 1;
	return (int)(y2 - y1) - (m2 < m1 || (m2 == m1 && d2 < d1));
}

struct span {
	int32_t from, to; /* days in force, inclusive */
};

/* the most spans in force on one day */
static int peak(struct span *s, size_t n)
{
	int32_t lo = INT32_MAX, hi = INT32_MIN;
	for (size_t i = 0; i < n; i++) {
		lo = s[i].from < lo ? s[i].from : lo;
		hi = s[i].to > hi ? s[i].to : hi;
	}
	if (n == 0)
		return 0;
	int *delta = calloc((size_t)(hi - lo + 2), sizeof(int)), best = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		delta[s[i].from - lo]++;
		delta[s[i].to - lo + 1]--;
	}
	for (int32_t d = 0; d <= hi - lo; d++) {
		run += delta[d];
		best = run > best ? run : best;
	}
	free(delta);
	return best;
}

static const char *ext_str(json_t *r, const char *url_tail, const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(r, "extension"), i, e) {
		const char *url = json_string_value(json_object_get(e, "url"));
		if (strlen(url) >= strlen(url_tail) &&
		    strcmp(url + strlen(url) - strlen(url_tail), url_tail) == 0)
			return key ? json_string_value(
			                 json_object_get(json_object_get(e, key), "reference"))
			           : json_string_value(json_object_get(e, "valueCode"));
	}
	return NULL;
}

static bool has_package(json_t *eoc, const char *id)
{
	size_t i;
	json_t *e;
	char want[64];
	snprintf(want, sizeof want, "PlanDefinition/%s", id);
	json_array_foreach (json_object_get(eoc, "extension"), i, e) {
		const char *ref = json_string_value(
		    json_object_get(json_object_get(e, "valueReference"), "reference"));
		if (ref && strcmp(ref, want) == 0)
			return true;
	}
	return false;
}

/* the type code of an EpisodeOfCare or Encounter */
static const char *type_code(json_t *r)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(r, "type"), 0), "coding"),
	                   0),
	    "code"));
}

/* the family-doctor contracts among EpisodeOfCare resources (the array is stolen; new) */
static json_t *contracts_of(json_t *eocs)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach (eocs, i, r)
		if (strcmp(type_code(r), "family-doctor-contract") == 0)
			json_array_append(out, r);
	json_decref(eocs);
	return out;
}

/* every team and doctor within its cap on every day; binding: some team reaches it */
static void check_capacity(const char *dir, int64_t residents, bool binding)
{
	json_t *teams = load(dir, "CareTeam"), *roles = load(dir, "PractitionerRole");
	json_t *eocs = contracts_of(load(dir, "EpisodeOfCare")), *pats = load(dir, "Patient");
	int reached = 0;
	json_t *rules = NULL;
	char path[512];
	snprintf(path, sizeof path, "%s/rules/contracting.json", YL_DATA_DIR);
	assert_non_null(rules = json_load_file(path, 0, NULL));
	int doctor_default = (int)num(json_object_get(rules, "doctor_capacity"), "value");
	int team_default = (int)num(json_object_get(rules, "team_capacity"), "value");
	json_t *births = json_object();
	size_t i, j;
	json_t *r;
	json_array_foreach (pats, i, r) {
		char ref[64];
		snprintf(ref, sizeof ref, "Patient/%s",
		         json_string_value(json_object_get(r, "id")));
		json_object_set_new(
		    births, ref,
		    json_integer(day_of(json_string_value(json_object_get(r, "birthDate")))));
	}
	size_t n = json_array_size(eocs);
	assert_true(n > (size_t)residents / 4);
	struct span *s = calloc(n, sizeof *s);
	const char **team_of = calloc(n, sizeof(char *)), **doctor_of = calloc(n, sizeof(char *));
	const char **patient_of = calloc(n, sizeof(char *));
	int in_force = 0;
	json_array_foreach (eocs, i, r) {
		json_t *period = json_object_get(r, "period");
		s[i].from = day_of(json_string_value(json_object_get(period, "start")));
		s[i].to = day_of(json_string_value(json_object_get(period, "end")));
		team_of[i] = json_string_value(
		    json_object_get(json_array_get(json_object_get(r, "team"), 0), "reference"));
		doctor_of[i] = json_string_value(
		    json_object_get(json_object_get(r, "careManager"), "reference"));
		patient_of[i] =
		    json_string_value(json_object_get(json_object_get(r, "patient"), "reference"));
		const char *status = json_string_value(json_object_get(r, "status"));
		in_force += strcmp(status, "active") == 0 && s[i].from <= day_of("2026-06-30") &&
		            day_of("2026-06-30") <= s[i].to;
		/* packages by age on the start day */
		int32_t birth = (int32_t)json_integer_value(json_object_get(births, patient_of[i]));
		int age = age_between(birth, s[i].from);
		assert_true(has_package(r, "package-basic"));
		if (has_package(r, "package-elderly"))
			assert_true(age >= 65);
		if (has_package(r, "package-child"))
			assert_true(age <= 6);
		if (strcmp(ext_str(r, "contract-state", NULL), "renewed") == 0)
			assert_non_null(ext_str(r, "renews", "valueReference"));
	}
	/* in force overall: about 35-50 % of residents (fewer where the caps bind) */
	if (!binding && !(in_force > residents * 35 / 100 && in_force < residents * 50 / 100))
		fail_msg("%d of %lld residents have a contract in force", in_force,
		         (long long)residents);
	/* per team and per doctor, every day: sweep over the spans of each */
	json_array_foreach (teams, j, r) {
		char ref[64];
		snprintf(ref, sizeof ref, "CareTeam/%s",
		         json_string_value(json_object_get(r, "id")));
		struct span *mine = calloc(n, sizeof *mine);
		size_t k = 0;
		for (i = 0; i < n; i++)
			if (strcmp(team_of[i], ref) == 0)
				mine[k++] = s[i];
		int most = peak(mine, k), cap = capacity_of(r, team_default);
		if (most > cap)
			fail_msg("%s has %d contracts in force on one day, cap %d", ref, most, cap);
		reached += most == cap;
		assert_true(k > 0);
		free(mine);
	}
	json_array_foreach (roles, j, r) {
		const char *prac = json_string_value(
		    json_object_get(json_object_get(r, "practitioner"), "reference"));
		struct span *mine = calloc(n, sizeof *mine);
		size_t k = 0;
		for (i = 0; i < n; i++)
			if (strcmp(doctor_of[i], prac) == 0)
				mine[k++] = s[i];
		int most = peak(mine, k), cap = capacity_of(r, doctor_default);
		if (most > cap)
			fail_msg("%s has %d contracts in force on one day, cap %d", prac, most,
			         cap);
		free(mine);
	}
	/* a resident never has two contracts at once (contracts of one resident are adjacent) */
	for (i = 1; i < n; i++)
		if (strcmp(patient_of[i], patient_of[i - 1]) == 0 && s[i].from <= s[i - 1].to)
			fail_msg("%s has two contracts on one day", patient_of[i]);
	if (binding && reached == 0)
		fail_msg("no team reached its cap: the capacity check was not exercised");
	free(s);
	free(team_of);
	free(doctor_of);
	free(patient_of);
	json_decref(births);
	json_decref(rules);
	json_decref(teams);
	json_decref(roles);
	json_decref(eocs);
	json_decref(pats);
}

static void test_capacity(void **state)
{
	struct fixture *f = *state;
	check_capacity(f->large, LARGE, false);
	check_capacity(f->tight, 8000, true);
}

/* ---- programmes: enrolments, outcomes, schedules ----------------------------------------- */

#define CS      "https://yilian.health/fhir/CodeSystem/"
#define OUTCOME "https://yilian.health/fhir/StructureDefinition/followup-outcome"
#define LOINC   "http://loinc.org"

/* call fn on every resource of DIR/TYPE.ndjson, one parsed line at a time */
static void each(const char *dir, const char *type, void (*fn)(json_t *r, void *ctx), void *ctx)
{
	size_t len;
	char *text = slurp(dir, type, &len);
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		json_error_t je;
		json_t *r = json_loadb(line, (size_t)(nl - line), 0, &je);
		if (!r)
			fail_msg("%s line does not parse: %s", type, je.text);
		fn(r, ctx);
		json_decref(r);
	}
	free(text);
}

static const char *ref_of(json_t *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r, key), "reference"));
}

/* the programme whose encounter or episode type this is */
static const struct yl_programme *programme_of(const char *type)
{
	for (size_t i = 0; i < yl_programme_count(); i++) {
		const struct yl_programme *p = yl_programme_at(i);
		if (strcmp(p->encounter_type, type) == 0 || strcmp(p->episode_type, type) == 0)
			return p;
	}
	return NULL;
}

/* the outcome extension's sub-extensions of an Encounter (borrowed), or fail */
static json_t *outcome_of(json_t *enc)
{
	json_t *ext = json_array_get(json_object_get(enc, "extension"), 0);
	if (!ext || strcmp(json_string_value(json_object_get(ext, "url")), OUTCOME) != 0)
		fail_msg("Encounter/%s has no followup-outcome extension",
		         json_string_value(json_object_get(enc, "id")));
	return json_object_get(ext, "extension");
}

/* the value of the sub-extension url (the n-th of that url) */
static json_t *sub(json_t *subs, const char *url, size_t n, const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach (subs, i, e)
		if (strcmp(json_string_value(json_object_get(e, "url")), url) == 0 && n-- == 0)
			return json_object_get(e, key);
	return NULL;
}

static const char *sub_code(json_t *subs, const char *url, size_t n)
{
	return json_string_value(json_object_get(sub(subs, url, n, "valueCoding"), "code"));
}

/* the shape outcome_ext() gives: sub-extensions in order, codings of yilian's code systems
 * with the zh-CN display of terminology/codesystems.json */
static void check_outcome_shape(json_t *subs)
{
	static const struct {
		const char *url, *value, *system; /* system NULL: not a coding */
		bool many;
	} order[] = {
	    {"classification", "valueCoding", "followup-classification", false},
	    {"next-step", "valueCoding", "next-step", false},
	    {"next-date", "valueDate", NULL, false},
	    {"referral-reason", "valueCoding", "referral-reason", true},
	    {"danger-sign", "valueCoding", "", true},
	    {"at-target", "valueBoolean", NULL, false},
	    {"rule-pack", "valueString", NULL, false},
	    {"rule", "valueString", NULL, false},
	};
	size_t k = 0, i;
	json_t *e;
	json_array_foreach (subs, i, e) {
		const char *url = json_string_value(json_object_get(e, "url"));
		while (k < sizeof order / sizeof order[0] && strcmp(order[k].url, url) != 0)
			k++;
		if (k == sizeof order / sizeof order[0])
			fail_msg("outcome sub-extension '%s' is out of order or unknown", url);
		assert_int_equal(json_object_size(e), 2);
		json_t *v = json_object_get(e, order[k].value);
		assert_non_null(v);
		if (order[k].system) {
			const char *system = json_string_value(json_object_get(v, "system"));
			const char *code = json_string_value(json_object_get(v, "code"));
			assert_true(strncmp(system, CS, strlen(CS)) == 0);
			if (*order[k].system)
				assert_string_equal(system + strlen(CS), order[k].system);
			const char *want = yl_care_code(system + strlen(CS), code, "zh-CN");
			assert_non_null(want);
			assert_string_equal(json_string_value(json_object_get(v, "display")), want);
		}
		if (!order[k].many)
			k++;
	}
}

/* ---- the 20,000-resident region: coverage, enrolments, schedules ---- */

struct enrolment {
	const char *patient, *type;
	int32_t start, end;  /* end -1 while active */
	int32_t first, last; /* visits, -1 before any */
	const char *reason;
	bool active;
	int nvisits;
};

struct survey {
	json_t *pats;  /* Patient ref -> [birth day, death day or -1] */
	json_t *conds; /* Patient ref -> [Condition] */
	json_t *index; /* EpisodeOfCare ref -> index into enr */
	struct enrolment *enr;
	size_t nenr;
	struct yl_arena *a;
	int cls[4], steps[5], two_consecutive, danger_sign;
	int ends[4];
	int urgent, urgent_soon, two_week, two_week_soon;
	int active_overdue, active_due_week;
	int64_t as_of;
	/* the previous encounter of each enrolment, for the schedule */
	int32_t *prev_next;
	const char **prev_step;
};

static void survey_patient(json_t *p, void *ctx)
{
	struct survey *s = ctx;
	char ref[64];
	snprintf(ref, sizeof ref, "Patient/%s", json_string_value(json_object_get(p, "id")));
	const char *dead = json_string_value(json_object_get(p, "deceasedDateTime"));
	json_object_set_new(s->pats, ref,
	                    json_pack("[i,i]",
	                              day_of(json_string_value(json_object_get(p, "birthDate"))),
	                              dead ? day_of(dead) : -1));
}

static void survey_condition(json_t *c, void *ctx)
{
	struct survey *s = ctx;
	const char *pat = ref_of(c, "subject");
	json_t *list = json_object_get(s->conds, pat);
	if (!list) {
		list = json_array();
		json_object_set_new(s->conds, pat, list);
	}
	json_array_append(list, c);
}

static const char *const end_reasons[] = {"died", "moved", "lost", "refused"};

static void survey_episode(json_t *e, void *ctx)
{
	struct survey *s = ctx;
	const char *type = type_code(e);
	if (strcmp(type, "family-doctor-contract") == 0)
		return;
	const struct yl_programme *prog = programme_of(type);
	if (!prog)
		fail_msg("EpisodeOfCare type '%s' is no programme's", type);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(
	            json_object_get(json_array_get(json_object_get(e, "type"), 0), "coding"), 0),
	        "display")),
	    yl_care_code("episode-type", type, "zh-CN"));
	struct enrolment *n = &s->enr[s->nenr];
	n->patient = yl_arena_strdup(s->a, ref_of(e, "patient"));
	n->type = prog->encounter_type;
	json_t *period = json_object_get(e, "period");
	n->start = day_of(json_string_value(json_object_get(period, "start")));
	const char *end = json_string_value(json_object_get(period, "end"));
	n->end = end ? day_of(end) : -1;
	n->first = n->last = -1;
	n->active = strcmp(json_string_value(json_object_get(e, "status")), "active") == 0;
	assert_non_null(ref_of(e, "careManager"));
	assert_non_null(ref_of(e, "managingOrganization"));
	json_t *ext = json_array_get(json_object_get(e, "extension"), 0);
	if (n->active) {
		assert_null(ext);
		assert_int_equal(n->end, -1);
	} else {
		assert_string_equal(json_string_value(json_object_get(e, "status")), "finished");
		assert_true(n->end >= n->start);
		assert_string_equal(json_string_value(json_object_get(ext, "url")),
		                    "https://yilian.health/fhir/StructureDefinition/"
		                    "management-end-reason");
		json_t *coding = json_object_get(ext, "valueCoding");
		n->reason =
		    yl_arena_strdup(s->a, json_string_value(json_object_get(coding, "code")));
		assert_string_equal(json_string_value(json_object_get(coding, "display")),
		                    yl_care_code("management-end-reason", n->reason, "zh-CN"));
		size_t k = 0;
		while (k < 4 && strcmp(end_reasons[k], n->reason) != 0)
			k++;
		assert_true(k < 4);
		s->ends[k]++;
	}
	/* died only for the dead, on the day of death */
	json_t *pat = json_object_get(s->pats, n->patient);
	assert_non_null(pat);
	int32_t birth = (int32_t)json_integer_value(json_array_get(pat, 0));
	int32_t death = (int32_t)json_integer_value(json_array_get(pat, 1));
	if (n->reason && strcmp(n->reason, "died") == 0)
		assert_int_equal(n->end, death);
	if (death >= 0 && n->active)
		fail_msg("%s is dead but still enrolled", n->patient);
	/* eligible on the start day: old enough, with a diagnosis in the pack's value set */
	assert_true(age_between(birth, n->start) >= yl_pack_min_age(prog->pack));
	const struct yl_valueset *vs = yl_care_valueset(yl_pack_valueset(prog->pack));
	bool diagnosed = false;
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(s->conds, n->patient), i, c)
		diagnosed |= yl_condition_in(vs, c, n->start);
	if (!diagnosed)
		fail_msg("%s is enrolled in %s without a diagnosis by then", n->patient,
		         prog->name);
	char ref[64];
	snprintf(ref, sizeof ref, "EpisodeOfCare/%s", json_string_value(json_object_get(e, "id")));
	json_object_set_new(s->index, ref, json_integer((json_int_t)s->nenr));
	s->nenr++;
}

static int index_of(const char *const *codes, size_t n, const char *code)
{
	for (size_t i = 0; code && i < n; i++)
		if (strcmp(codes[i], code) == 0)
			return (int)i;
	return -1;
}

static const char *const classifications[] = {"controlled", "uncontrolled", "adverse-reaction",
                                              "complication"};
static const char *const next_steps[] = {"none", "routine", "two-week", "referral",
                                         "urgent-referral"};

static void survey_encounter(json_t *enc, void *ctx)
{
	struct survey *s = ctx;
	const char *id = json_string_value(json_object_get(enc, "id"));
	json_t *subs = outcome_of(enc);
	check_outcome_shape(subs);
	int c = index_of(classifications, 4, sub_code(subs, "classification", 0));
	int st = index_of(next_steps, 5, sub_code(subs, "next-step", 0));
	assert_true(c >= 0 && st >= 1);
	s->cls[c]++;
	s->steps[st]++;
	for (size_t i = 0; sub_code(subs, "referral-reason", i); i++) {
		s->two_consecutive +=
		    !strcmp(sub_code(subs, "referral-reason", i), "two-consecutive-uncontrolled");
		s->danger_sign += !strcmp(sub_code(subs, "referral-reason", i), "danger-sign");
	}
	/* its enrolment: the same resident's, in the same programme, in force that day */
	const char *eoc = json_string_value(
	    json_object_get(json_array_get(json_object_get(enc, "episodeOfCare"), 0), "reference"));
	if (!eoc || !json_object_get(s->index, eoc))
		fail_msg("Encounter/%s: its episodeOfCare %s does not exist", id,
		         eoc ? eoc : "(none)");
	size_t k = (size_t)json_integer_value(json_object_get(s->index, eoc));
	struct enrolment *n = &s->enr[k];
	if (strcmp(n->patient, ref_of(enc, "subject")) != 0)
		fail_msg("Encounter/%s is %s's but its enrolment %s is %s's", id,
		         ref_of(enc, "subject"), eoc, n->patient);
	assert_string_equal(type_code(enc), n->type);
	const char *start =
	    json_string_value(json_object_get(json_object_get(enc, "period"), "start"));
	assert_int_equal(strlen(start), 10); /* a date, as $record-followup writes it */
	int32_t day = day_of(start);
	if (day < n->start || (n->end >= 0 && day > n->end))
		fail_msg("Encounter/%s on %s is outside its enrolment %s", id, start, eoc);
	if (n->first < 0)
		n->first = day;
	assert_true(day > n->last); /* one visit a day per programme, in order */
	/* the schedule: how soon the next visit came after the one before */
	int32_t window = (int32_t)yl_days_from_civil(AS_OF_Y - 3, AS_OF_M, AS_OF_D);
	if (n->last >= window && s->prev_step[k]) {
		if (!strcmp(s->prev_step[k], "urgent-referral")) {
			s->urgent++;
			s->urgent_soon += day - n->last <= 14;
		} else if (!strcmp(s->prev_step[k], "two-week")) {
			s->two_week++;
			s->two_week_soon += day - n->last <= 14;
		}
	}
	n->last = day;
	n->nvisits++;
	s->prev_step[k] = next_steps[st];
	s->prev_next[k] = day_of(json_string_value(sub(subs, "next-date", 0, "valueDate")));
}

static void test_programmes(void **state)
{
	struct fixture *f = *state;
	struct survey s = {.pats = json_object(),
	                   .conds = json_object(),
	                   .index = json_object(),
	                   .a = f->a,
	                   .as_of = as_of()};
	yl_arena_reset(f->a);
	s.enr = calloc(LARGE * 2, sizeof *s.enr);
	s.prev_next = calloc(LARGE * 2, sizeof *s.prev_next);
	s.prev_step = calloc(LARGE * 2, sizeof *s.prev_step);
	each(f->large, "Patient", survey_patient, &s);
	each(f->large, "Condition", survey_condition, &s);
	each(f->large, "EpisodeOfCare", survey_episode, &s);
	assert_true(s.nenr > LARGE / 20);
	each(f->large, "Encounter", survey_encounter, &s);

	/* every classification and next step, and the referral reasons asked for */
	for (int c = 0; c < 4; c++)
		if (!s.cls[c])
			fail_msg("no visit is classified %s", classifications[c]);
	for (int st = 1; st < 5; st++)
		if (!s.steps[st])
			fail_msg("no visit has the next step %s", next_steps[st]);
	assert_true(s.two_consecutive > 0);
	assert_true(s.danger_sign > 0);
	/* every way management ends */
	for (int k = 0; k < 4; k++)
		if (!s.ends[k])
			fail_msg("no enrolment ended for '%s'", end_reasons[k]);

	/* the first visit is the enrolment's; some still enrolled have not come for a year;
	 * some are overdue now, some due in the coming week */
	int lost = 0;
	for (size_t k = 0; k < s.nenr; k++) {
		struct enrolment *n = &s.enr[k];
		if (n->first != n->start)
			fail_msg("an enrolment of %s starts on day %d, its first visit on day %d",
			         n->patient, n->start, n->first);
		if (!n->active)
			continue;
		lost += s.as_of - n->last > 365;
		s.active_overdue += s.prev_next[k] < s.as_of;
		s.active_due_week += s.prev_next[k] >= s.as_of && s.prev_next[k] <= s.as_of + 7;
	}
	assert_true(lost > 0);
	assert_true(s.active_overdue > 0);
	assert_true(s.active_due_week > 0);
	/* urgent referrals are mostly seen again within two weeks; two-week follow-ups happen */
	assert_true(s.urgent > 0);
	if (s.urgent_soon * 10 < s.urgent * 6)
		fail_msg("%d of %d urgent referrals seen again within two weeks", s.urgent_soon,
		         s.urgent);
	assert_true(s.two_week_soon > s.two_week / 3);

	/* some diagnosed residents of 35 and over, alive, are not enrolled */
	json_t *enrolled = json_object();
	for (size_t k = 0; k < s.nenr; k++) {
		char key[128];
		snprintf(key, sizeof key, "%s %s", s.enr[k].patient, s.enr[k].type);
		json_object_set_new(enrolled, key, json_true());
	}
	int unenrolled = 0;
	const char *pat;
	json_t *list;
	json_object_foreach (s.conds, pat, list) {
		json_t *p = json_object_get(s.pats, pat);
		int32_t birth = (int32_t)json_integer_value(json_array_get(p, 0));
		if (json_integer_value(json_array_get(p, 1)) >= 0 ||
		    age_between(birth, (int32_t)s.as_of) < 35)
			continue;
		for (size_t i = 0; i < yl_programme_count(); i++) {
			const struct yl_programme *prog = yl_programme_at(i);
			const struct yl_valueset *vs =
			    yl_care_valueset(yl_pack_valueset(prog->pack));
			bool diagnosed = false;
			size_t j;
			json_t *c;
			json_array_foreach (list, j, c)
				diagnosed |= yl_condition_in(vs, c, s.as_of);
			char key[128];
			snprintf(key, sizeof key, "%s %s", pat, prog->encounter_type);
			unenrolled += diagnosed && !json_object_get(enrolled, key);
		}
	}
	json_decref(enrolled);
	assert_true(unenrolled > 0);
	free(s.enr);
	free(s.prev_next);
	free(s.prev_step);
	json_decref(s.pats);
	json_decref(s.conds);
	json_decref(s.index);
}

/* ---- the small region: every stored outcome is the rule pack's ---- */

/* concept.coding[0].code */
static const char *first_code(json_t *concept)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(concept, "coding"), 0), "code"));
}

/* the facts of a visit from its stored Observations, as the form stores them; each
 * Observation's id is the visit's and the suffix the form gives (docs/registry.md) */
static void facts_of(const char *enc_id, json_t *obs, struct yl_fu_facts *f)
{
	static const struct {
		const char *item;
		enum yl_fu_set set;
	} coded[] = {{"symptom", YL_FU_SYMPTOM},
	             {"complication", YL_FU_COMPLICATION},
	             {"adherence", YL_FU_ADHERENCE}};
	size_t i, k;
	json_t *o, *comp;
	json_array_foreach (obs, i, o) {
		json_t *coding =
		    json_array_get(json_object_get(json_object_get(o, "code"), "coding"), 0);
		const char *system = json_string_value(json_object_get(coding, "system"));
		const char *code = json_string_value(json_object_get(coding, "code"));
		const char *suffix = NULL;
		if (strcmp(system, LOINC) == 0) {
			for (size_t r = 0; r < yl_fu_reading_count(); r++) {
				const struct yl_fu_reading *rd = yl_fu_reading_at(r);
				json_t *q = NULL;
				if (rd->panel && strcmp(rd->panel, code) == 0) {
					json_array_foreach (json_object_get(o, "component"), k,
					                    comp)
						if (strcmp(
						        first_code(json_object_get(comp, "code")),
						        rd->code) == 0)
							q = json_object_get(comp, "valueQuantity");
				} else if (!rd->panel && strcmp(rd->code, code) == 0)
					q = json_object_get(o, "valueQuantity");
				if (!q)
					continue;
				assert_string_equal(json_string_value(json_object_get(q, "code")),
				                    rd->unit);
				f->num[rd->fact] = json_number_value(json_object_get(q, "value"));
				f->has[rd->fact] = true;
				suffix = rd->obs;
			}
		} else {
			assert_string_equal(system, CS "followup-item");
			assert_string_equal(code, "followup-findings");
			suffix = "findings";
			json_array_foreach (json_object_get(o, "component"), k, comp) {
				const char *item = first_code(json_object_get(comp, "code"));
				const char *value =
				    first_code(json_object_get(comp, "valueCodeableConcept"));
				json_t *flag = json_object_get(comp, "valueBoolean");
				for (size_t m = 0; m < sizeof coded / sizeof coded[0]; m++)
					if (strcmp(item, coded[m].item) == 0)
						f->codes[coded[m].set][f->ncodes[coded[m].set]++] =
						    value;
				if (strcmp(item, "adverse-reaction") == 0)
					f->flag[YL_FU_ADVERSE] = json_is_true(flag);
				if (strcmp(item, "adverse-reaction-controllable") == 0)
					f->flag[YL_FU_ADVERSE_OK] = json_is_true(flag);
			}
		}
		char want[96];
		snprintf(want, sizeof want, "%s-%s", enc_id, suffix ? suffix : "?");
		assert_string_equal(json_string_value(json_object_get(o, "id")), want);
	}
}

/* group the resources of an array by a reference (new object: ref -> [resources]) */
static json_t *group_by(json_t *all, const char *key)
{
	json_t *out = json_object();
	size_t i;
	json_t *r;
	json_array_foreach (all, i, r) {
		const char *ref = ref_of(r, key);
		json_t *list = json_object_get(out, ref);
		if (!list) {
			list = json_array();
			json_object_set_new(out, ref, list);
		}
		json_array_append(list, r);
	}
	return out;
}

static bool same_list(json_t *subs, const char *url, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sub_code(subs, url, i) || strcmp(sub_code(subs, url, i), list[i]) != 0)
			return false;
	return sub_code(subs, url, n) == NULL;
}

/* evaluate one visit as classify() does and compare with what is stored */
static bool recompute(json_t *enc, json_t *patient, json_t *conds, json_t *obs, signed char prev,
                      int32_t run_start, bool *at_target)
{
	const char *id = json_string_value(json_object_get(enc, "id"));
	const struct yl_programme *prog = programme_of(type_code(enc));
	assert_non_null(prog);
	int32_t day =
	    day_of(json_string_value(json_object_get(json_object_get(enc, "period"), "start")));
	struct yl_fu_facts f;
	struct yl_fu_result r;
	yl_fu_facts_init(&f);
	facts_of(id, obs, &f);
	f.date = day;
	int age = yl_keypop_age(patient, day);
	assert_true(age >= 0);
	f.num[YL_FU_AGE] = age;
	f.has[YL_FU_AGE] = true;
	for (size_t k = 0; k < yl_pack_valueset_count(prog->pack); k++) {
		const char *url = yl_pack_valueset_at(prog->pack, k);
		size_t i;
		json_t *c;
		json_array_foreach (conds, i, c)
			if (yl_condition_in(yl_care_valueset(url), c, day)) {
				f.codes[YL_FU_CONDITION][f.ncodes[YL_FU_CONDITION]++] = url;
				break;
			}
	}
	f.flag[YL_FU_PREV_AT_TARGET] = prev;
	f.num[YL_FU_UNCONTROLLED_DAYS] = run_start >= 0 ? day - run_start : 0;
	f.has[YL_FU_UNCONTROLLED_DAYS] = true;
	yl_pack_eval(prog->pack, &f, &r);
	json_t *subs = outcome_of(enc);
	char next[YL_DAY_LEN];
	yl_format_day(r.next_date, next);
	json_t *stored_at = sub(subs, "at-target", 0, "valueBoolean");
	*at_target = json_is_true(stored_at);
	bool same = !strcmp(sub_code(subs, "classification", 0), r.classification) &&
	            !strcmp(sub_code(subs, "next-step", 0), yl_next_step_code(r.next_step)) &&
	            !strcmp(json_string_value(sub(subs, "next-date", 0, "valueDate")), next) &&
	            same_list(subs, "referral-reason", r.reason, r.nreason) &&
	            same_list(subs, "danger-sign", r.danger, r.ndanger) &&
	            json_is_boolean(stored_at) && *at_target == r.at_target &&
	            !strcmp(json_string_value(sub(subs, "rule-pack", 0, "valueString")),
	                    yl_pack_id(prog->pack)) &&
	            !strcmp(json_string_value(sub(subs, "rule", 0, "valueString")), r.rule);
	if (!same)
		fail_msg("Encounter/%s: stored %s/%s, the rule pack gives %s/%s (rule %s)", id,
		         sub_code(subs, "classification", 0), sub_code(subs, "next-step", 0),
		         r.classification, yl_next_step_code(r.next_step), r.rule);
	return same;
}

static void test_outcomes_are_the_packs(void **state)
{
	struct fixture *f = *state;
	json_t *pats = load(f->small, "Patient"), *encs = load(f->small, "Encounter");
	json_t *all_conds = load(f->small, "Condition"), *conds = group_by(all_conds, "subject");
	json_t *all_obs = load(f->small, "Observation");
	json_t *obs = group_by(all_obs, "encounter"), *by_patient = group_by(encs, "subject");
	json_t *none = json_array();
	size_t i, j, checked = 0, findings = 0;
	json_t *p, *o;
	json_array_foreach (all_obs, i, o)
		findings +=
		    strstr(json_string_value(json_object_get(o, "id")), "-findings") != NULL;
	assert_true(findings > 100);
	json_array_foreach (pats, i, p) {
		char ref[64];
		snprintf(ref, sizeof ref, "Patient/%s",
		         json_string_value(json_object_get(p, "id")));
		json_t *mine = json_object_get(by_patient, ref), *cs = json_object_get(conds, ref);
		for (size_t prog = 0; mine && prog < yl_programme_count(); prog++) {
			const char *type = yl_programme_at(prog)->encounter_type;
			signed char prev = -1;
			int32_t run_start = -1;
			json_t *enc;
			json_array_foreach (mine, j, enc) { /* in visit order */
				if (strcmp(type_code(enc), type) != 0)
					continue;
				char eref[64];
				snprintf(eref, sizeof eref, "Encounter/%s",
				         json_string_value(json_object_get(enc, "id")));
				json_t *eo = json_object_get(obs, eref);
				bool at;
				recompute(enc, p, cs ? cs : none, eo ? eo : none, prev, run_start,
				          &at);
				int32_t day = day_of(json_string_value(
				    json_object_get(json_object_get(enc, "period"), "start")));
				prev = at;
				run_start = at ? -1 : run_start >= 0 ? run_start : day;
				checked++;
			}
		}
	}
	assert_true(checked == json_array_size(encs));
	assert_true(checked > 1000);
	json_decref(none);
	json_decref(pats);
	json_decref(encs);
	json_decref(conds);
	json_decref(all_conds);
	json_decref(all_obs);
	json_decref(obs);
	json_decref(by_patient);
}

/* without the server's rules there is nothing to classify visits with: a clear error */
static void test_needs_the_rules(void **state)
{
	struct fixture *f = *state;
	char dir[DIR_LEN];
	snprintf(dir, DIR_LEN, "%s", "/tmp/yl-synth-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	yl_packs_unload();
	struct yl_err err;
	yl_err_init(&err);
	struct yl_synth_opts o = {.residents = 10,
	                          .seed = SEED,
	                          .as_of = as_of(),
	                          .years = 3,
	                          .threads = 1,
	                          .data_dir = YL_DATA_DIR,
	                          .out_dir = dir};
	struct yl_synth_stats st;
	yl_arena_reset(f->a);
	assert_int_equal(yl_synth_run(&o, &st, f->a, &err), YL_IO);
	assert_non_null(strstr(err.first->message, "rule pack"));
	remove_tree(dir);
	yl_err_init(&err);
	assert_int_equal(yl_packs_load(YL_DATA_DIR, NULL, 0, f->a, &err), YL_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_seed_same_bytes),
	    cmocka_unit_test(test_other_seed_other_bytes),
	    cmocka_unit_test(test_valid_and_references_resolve),
	    cmocka_unit_test(test_identity_numbers),
	    cmocka_unit_test(test_age_sex_structure),
	    cmocka_unit_test(test_prevalence),
	    cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_programmes),
	    cmocka_unit_test(test_outcomes_are_the_packs),
	    cmocka_unit_test(test_needs_the_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
