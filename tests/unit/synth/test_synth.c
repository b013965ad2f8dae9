/* test_synth.c -- `yilian synth` (src/synth/): the same seed gives the same bytes whatever
 * the threads, another seed other bytes; every resource is valid FHIR R4 and every reference
 * resolves; identity numbers pass GB 11643 and agree with gender and birthDate, and the
 * server's own identifier rules accept every Patient; ids, identity, health-record and phone
 * numbers are unique; the age and sex structure and the hypertension and diabetes prevalence
 * of a 20,000-resident region match the figures of terminology/synth/ (read here
 * independently of the generator's loader); no team or doctor ever has more contracts in
 * force than its cap, a resident never two at once, and packages fit their population. */
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
#include "care/registry.h"
#include "care/resident-id.h"
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
	const char *files[] = {"population.json", "names.json", "conditions.json",
	                       "contracts.json"};
	for (size_t i = 0; i < 4; i++) {
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
	                       "synth/region.json",     "service-packages.json"};
	for (size_t i = 0; i < 6; i++) {
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
	generate(f->small, SMALL, SEED, 2);
	generate(f->small_again, SMALL, SEED, 1);
	generate(f->other_seed, SMALL, SEED + 1, 2);
	generate(f->large, LARGE, SEED, 0);
	tight_data(f->tight_data);
	generate_with(f->tight, 8000, SEED, 2, f->tight_data);
	f->a = yl_arena_create(1 << 16);
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
	yl_err_init(&err);
	assert_int_equal(yl_care_load(YL_DATA_DIR, f->a, &err), YL_OK);
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
	yl_care_unload();
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

/* every team and doctor within its cap on every day; binding: some team reaches it */
static void check_capacity(const char *dir, int64_t residents, bool binding)
{
	json_t *teams = load(dir, "CareTeam"), *roles = load(dir, "PractitionerRole");
	json_t *eocs = load(dir, "EpisodeOfCare"), *pats = load(dir, "Patient");
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
