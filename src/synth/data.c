/* data.c -- load the synth data files (see data.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care/rulepack.h"
#include "synth/data.h"

struct ld {
	struct yl_arena *a;
	struct yl_err *err;
	const char *file;
	json_t *root;
	bool bad;
};

static void fail(struct ld *l, const char *path, const char *what)
{
	if (!l->bad)
		yl_err_add(l->err, l->a, YL_IO, NULL, "%s: '%s' %s", l->file, path, what);
	l->bad = true;
}

/* the value at a dotted path under o ("glucose.visit_sd"), or NULL */
static json_t *at_in(json_t *o, const char *path)
{
	char key[64];
	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key); /* borrowed */
		path += n + (dot != NULL);
	}
	return o;
}

static json_t *need(struct ld *l, json_t *o, const char *path, int type)
{
	json_t *v = at_in(o ? o : l->root, path);
	bool ok = v && (type == JSON_REAL ? json_is_number(v) : json_typeof(v) == (json_type)type);
	if (!ok) {
		fail(l, path,
		     type == JSON_REAL     ? "is missing or not a number"
		     : type == JSON_STRING ? "is missing or not a string"
		     : type == JSON_ARRAY  ? "is missing or not an array"
		                           : "is missing or not an object");
		return NULL;
	}
	return v;
}

static double num_in(struct ld *l, json_t *o, const char *path)
{
	json_t *v = need(l, o, path, JSON_REAL);
	return v ? json_number_value(v) : 0;
}

static double num(struct ld *l, const char *path)
{
	return num_in(l, NULL, path);
}

static int inum(struct ld *l, const char *path)
{
	return (int)num(l, path);
}

static const char *str_in(struct ld *l, json_t *o, const char *path)
{
	json_t *v = need(l, o, path, JSON_STRING);
	return v ? yl_arena_strdup(l->a, json_string_value(v)) : "";
}

static const char *str(struct ld *l, const char *path)
{
	return str_in(l, NULL, path);
}

static const char **strs_in(struct ld *l, json_t *o, const char *path, int *n)
{
	json_t *v = need(l, o, path, JSON_ARRAY);
	*n = 0;
	if (!v)
		return NULL;
	const char **out = yl_arena_calloc(l->a, json_array_size(v) + 1, sizeof(char *));
	size_t i;
	json_t *e;
	json_array_foreach (v, i, e) {
		if (!out || !json_is_string(e)) {
			fail(l, path, "holds something other than strings");
			return NULL;
		}
		out[(*n)++] = yl_arena_strdup(l->a, json_string_value(e));
	}
	if (*n == 0)
		fail(l, path, "is empty");
	return out;
}

static const char **strs(struct ld *l, const char *path, int *n)
{
	return strs_in(l, NULL, path, n);
}

/* the UTF-8 characters of s, one string each */
static const char **chars(struct ld *l, const char *path, const char *s, int *n)
{
	size_t len = strlen(s);
	const char **out = yl_arena_calloc(l->a, len + 1, sizeof(char *));
	*n = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = 1;
		while (i + k < len && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		out[(*n)++] = yl_arena_strndup(l->a, s + i, k);
		i += k;
	}
	if (*n == 0)
		fail(l, path, "is empty");
	return out;
}

/* cumulative weights w[0..n) -> p; weights must be >= 0 and sum above 0 */
static void make_pick(struct ld *l, const char *path, struct yl_pick *p, const double *w, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++) {
		if (w[i] < 0)
			fail(l, path, "has a negative weight");
		sum += w[i];
	}
	p->n = n;
	p->cum = yl_arena_calloc(l->a, n > 0 ? (size_t)n : 1, sizeof(double));
	if (!p->cum || n == 0 || sum <= 0) {
		fail(l, path, "has no weight");
		p->n = 0;
		return;
	}
	double c = 0;
	for (int i = 0; i < n; i++) {
		c += w[i];
		p->cum[i] = c / sum;
	}
	p->cum[n - 1] = 1.0;
}

/* weights from a JSON array (n of them), or 1/(rank+3) when the array is absent */
static void pick_from(struct ld *l, json_t *o, const char *wpath, struct yl_pick *p, int n)
{
	double w[256];
	json_t *arr = wpath ? at_in(o, wpath) : NULL;
	if (n > 256) {
		fail(l, wpath ? wpath : "list", "has more than 256 entries");
		return;
	}
	for (int i = 0; i < n; i++) {
		json_t *e = arr ? json_array_get(arr, (size_t)i) : NULL;
		if (arr && !json_is_number(e)) {
			fail(l, wpath, "does not give a number for every entry");
			return;
		}
		w[i] = arr ? json_number_value(e) : 1.0 / (i + 3);
	}
	make_pick(l, wpath ? wpath : "list", p, w, n);
}

static bool open_file(struct ld *l, const char *dir, const char *name)
{
	char *path = yl_arena_printf(l->a, "%s/terminology/%s", dir, name);
	json_error_t je;
	l->file = path ? path : name;
	json_decref(l->root);
	l->root = path ? json_load_file(path, 0, &je) : NULL; /* new */
	if (!l->root) {
		yl_err_add(l->err, l->a, YL_IO, NULL, "%s: cannot be read as JSON", l->file);
		l->bad = true;
	}
	return l->root != NULL;
}

/* groups [{lo, hi, KEY}] expanded over ages into out[] (fraction = value * scale) */
static void by_age(struct ld *l, const char *path, const char *key, double scale, double *out)
{
	json_t *arr = need(l, NULL, path, JSON_ARRAY);
	size_t i;
	json_t *g;
	json_array_foreach (arr, i, g) {
		int lo = (int)num_in(l, g, "lo"), hi = (int)num_in(l, g, "hi");
		double v = num_in(l, g, key) * scale;
		for (int age = lo < 0 ? 0 : lo; age <= hi && age <= YL_SYNTH_MAX_AGE; age++)
			out[age] = v;
	}
}

static void load_population(struct ld *l, struct yl_synth_data *d)
{
	json_t *arr = need(l, NULL, "age_sex.groups", JSON_ARRAY);
	double w[32];
	size_t i;
	json_t *g;
	json_array_foreach (arr, i, g) {
		if (i >= 32) {
			fail(l, "age_sex.groups", "has more than 32 groups");
			break;
		}
		struct yl_synth_agegroup *ag = &d->groups[d->ngroups++];
		ag->lo = (int)num_in(l, g, "lo");
		ag->hi = (int)num_in(l, g, "hi");
		double ratio = num_in(l, g, "male_per_100_female");
		ag->male_share = ratio / (100.0 + ratio);
		w[i] = num_in(l, g, "share");
		if (ag->lo < 0 || ag->hi < ag->lo || ag->hi > YL_SYNTH_MAX_AGE)
			fail(l, "age_sex.groups", "has a group outside 0-104 years");
	}
	make_pick(l, "age_sex.groups", &d->group_pick, w, d->ngroups);
	for (int k = 0; k < d->ngroups && !l->bad; k++)
		d->groups[k].share = d->group_pick.cum[k] - (k ? d->group_pick.cum[k - 1] : 0);
	d->adult_age = inum(l, "households.adult_age");
	d->couple_share = num(l, "households.couple_share");
	d->parent_gap = inum(l, "households.parent_gap");
	d->parent_gap_spread = inum(l, "households.parent_gap_spread");
	d->max_children = inum(l, "households.max_children");
	d->elder_age = inum(l, "households.elder_age");
	d->elder_join_share = num(l, "households.elder_join_share");
	d->young_age = inum(l, "households.young_age");
	d->young_join_share = num(l, "households.young_join_share");
	d->low_income_share = num(l, "households.low_income_share");
	by_age(l, "mortality.groups", "per_1000", 0.001, d->death_rate);
	d->height_male = num(l, "body.height_male");
	d->height_female = num(l, "body.height_female");
	d->height_sd = num(l, "body.height_sd");
	d->shrink_per_year = num(l, "body.shrink_per_year_before_1980");
}

static void load_names(struct ld *l, struct yl_synth_data *d)
{
	d->surnames = strs(l, "surnames.names", &d->nsurnames);
	json_t *s = at_in(l->root, "surnames");
	json_t *w = need(l, NULL, "surnames.weights", JSON_ARRAY);
	if (w && json_array_size(w) != (size_t)d->nsurnames)
		fail(l, "surnames.weights", "does not have one weight per name");
	pick_from(l, s, "weights", &d->surname_pick, d->nsurnames);
	d->mother_surname_share = num(l, "mother_surname_share");
	json_t *arr = need(l, NULL, "cohorts.list", JSON_ARRAY);
	size_t i;
	json_t *c;
	json_array_foreach (arr, i, c) {
		if (i >= 8) {
			fail(l, "cohorts.list", "has more than 8 cohorts");
			break;
		}
		struct yl_synth_cohort *co = &d->cohorts[d->ncohorts++];
		int n;
		co->born_until = (int)num_in(l, c, "born_until");
		co->single_share = num_in(l, c, "single_share");
		co->male = chars(l, "cohorts.list.male", str_in(l, c, "male"), &n);
		pick_from(l, c, json_object_get(c, "male_weights") ? "male_weights" : NULL,
		          &co->male_pick, n);
		co->female = chars(l, "cohorts.list.female", str_in(l, c, "female"), &n);
		pick_from(l, c, json_object_get(c, "female_weights") ? "female_weights" : NULL,
		          &co->female_pick, n);
		if (json_object_get(c, "full_name_share")) {
			co->full_share = num_in(l, c, "full_name_share");
			co->male_full = strs_in(l, c, "male_full", &co->nmale_full);
			co->female_full = strs_in(l, c, "female_full", &co->nfemale_full);
		}
	}
	if (d->ncohorts == 0)
		fail(l, "cohorts.list", "is empty");
}

static int drug_index(const struct yl_synth_condition *c, const char *atc)
{
	for (int i = 0; i < c->ndrugs; i++)
		if (strcmp(c->drugs[i].atc, atc) == 0)
			return i;
	return -1;
}

static void load_condition(struct ld *l, const char *key, struct yl_synth_condition *c)
{
	char p[128];
#define P(suffix) (snprintf(p, sizeof p, "%s.%s", key, suffix), p)
	c->icd10 = str(l, P("code.icd10"));
	c->icd10_display = str(l, P("code.icd10_display"));
	c->snomed = str(l, P("code.snomed"));
	c->snomed_display = str(l, P("code.snomed_display"));
	c->text = str(l, P("code.text"));
	c->onset_min_age = inum(l, P("onset_min_age"));
	c->onset_years_max = inum(l, P("onset_years_max"));
	json_t *prev = at_in(l->root, P("prevalence"));
	if (json_object_get(prev, "male_factor")) { /* both sexes, split by factors */
		double mf = num(l, P("prevalence.male_factor"));
		double ff = num(l, P("prevalence.female_factor"));
		by_age(l, P("prevalence.groups"), "percent", 0.01 * mf, c->prev_male);
		by_age(l, P("prevalence.groups"), "percent", 0.01 * ff, c->prev_female);
	} else {
		double scale = num(l, P("prevalence.scale"));
		by_age(l, P("prevalence.groups"), "male", 0.01 * scale, c->prev_male);
		by_age(l, P("prevalence.groups"), "female", 0.01 * scale, c->prev_female);
	}
	snprintf(p, sizeof p, "treatment.%s.drugs", key);
	json_t *drugs = need(l, NULL, p, JSON_ARRAY);
	double w[YL_SYNTH_MAX_DRUGS];
	size_t i;
	json_t *e;
	json_array_foreach (drugs, i, e) {
		if (i >= YL_SYNTH_MAX_DRUGS) {
			fail(l, p, "has too many drugs");
			break;
		}
		struct yl_synth_drug *dr = &c->drugs[c->ndrugs++];
		dr->atc = str_in(l, e, "atc");
		dr->display = str_in(l, e, "display");
		dr->text = str_in(l, e, "text");
		dr->dose = str_in(l, e, "dose");
		w[i] = num_in(l, e, "first");
		dr->switch_to = -1;
	}
	make_pick(l, p, &c->first, w, c->ndrugs);
	json_array_foreach (drugs, i, e) {
		json_t *sw = json_object_get(e, "switch_to");
		if (i < (size_t)c->ndrugs && json_is_string(sw) &&
		    (c->drugs[i].switch_to = drug_index(c, json_string_value(sw))) < 0)
			fail(l, p, "has a switch_to that is not one of its drugs");
	}
	int n;
	snprintf(p, sizeof p, "treatment.%s.add_order", key);
	const char **order = strs(l, p, &n);
	for (int k = 0; order && k < n && k < YL_SYNTH_MAX_DRUGS; k++)
		if ((c->add_order[c->nadd++] = drug_index(c, order[k])) < 0)
			fail(l, p, "names a drug that is not in the list");
#undef P
}

static void load_conditions(struct ld *l, struct yl_synth_data *d)
{
	load_condition(l, "hypertension", &d->cond[YL_SYNTH_HTN]);
	load_condition(l, "type-2-diabetes", &d->cond[YL_SYNTH_T2D]);
	d->t2d_rr_htn = num(l, "type-2-diabetes.relative_risk_with_hypertension");
	d->managed_contracted = num(l, "management.managed_contracted");
	d->managed_uncontracted = num(l, "management.managed_uncontracted");
	d->interval_days = inum(l, "management.interval_days");
	d->interval_jitter = inum(l, "management.interval_jitter");
	d->miss_base = num(l, "management.miss_base");
	d->miss_spread = num(l, "management.miss_spread");
	d->class_amb = num(l, "management.class_shares.AMB");
	d->class_hh = num(l, "management.class_shares.HH");
	d->heart_rate_share = num(l, "management.heart_rate_share");
	d->hba1c_share = num(l, "management.hba1c_share");
	d->sbp_diag = num(l, "blood_pressure.sbp_diagnosis");
	d->sbp_diag_sd = num(l, "blood_pressure.sbp_diagnosis_sd");
	d->sbp_drug = num(l, "blood_pressure.drug_effect");
	d->sbp_tendency = num(l, "blood_pressure.tendency_sd");
	d->sbp_drift = num(l, "blood_pressure.drift_sd");
	d->sbp_visit_sd = num(l, "blood_pressure.visit_sd");
	d->dbp_base = num(l, "blood_pressure.dbp_base");
	d->dbp_per_sbp = num(l, "blood_pressure.dbp_per_sbp");
	d->dbp_elderly_drop = num(l, "blood_pressure.dbp_elderly_drop");
	d->dbp_sd = num(l, "blood_pressure.dbp_sd");
	d->zero_first = num(l, "blood_pressure.zero_share_first");
	d->zero_late = num(l, "blood_pressure.zero_share_late");
	d->zero_years = num(l, "blood_pressure.zero_share_years");
	d->fpg_diag = num(l, "glucose.fpg_diagnosis");
	d->fpg_diag_sd = num(l, "glucose.fpg_diagnosis_sd");
	d->fpg_drug = num(l, "glucose.drug_effect");
	d->fpg_tendency = num(l, "glucose.tendency_sd");
	d->fpg_drift = num(l, "glucose.drift_sd");
	d->fpg_visit_sd = num(l, "glucose.visit_sd");
	d->fpg_visit_sd_below = num(l, "glucose.visit_sd_below");
	d->fpg_treated_min = num(l, "glucose.treated_mean_min");
	d->fpg_min = num(l, "glucose.fpg_min");
	d->fpg_max = num(l, "glucose.fpg_max");
	d->a1c_intercept = num(l, "glucose.a1c_intercept");
	d->a1c_per_fpg = num(l, "glucose.a1c_per_fpg");
	d->a1c_sd = num(l, "glucose.a1c_sd");
	d->bmi_mean = num(l, "bmi.mean");
	d->bmi_sd = num(l, "bmi.sd");
	d->bmi_visit_sd = num(l, "bmi.visit_sd");
	d->bmi_min = num(l, "bmi.min");
	d->bmi_max = num(l, "bmi.max");
	d->hr_mean = num(l, "heart_rate.mean");
	d->hr_sd = num(l, "heart_rate.sd");
	d->intensify_share = num(l, "treatment.intensify_share");
	d->switch_share = num(l, "treatment.switch_share");
	d->max_drugs = inum(l, "treatment.max_drugs");
}

/* an object {code: weight, ...} (an "about" member is not a code) */
static void codes(struct ld *l, const char *path, struct yl_synth_codes *c)
{
	json_t *o = need(l, NULL, path, JSON_OBJECT);
	double w[YL_SYNTH_MAX_CODES];
	const char *k;
	json_t *v;
	c->n = 0;
	json_object_foreach (o, k, v) {
		if (strcmp(k, "about") == 0)
			continue;
		if (c->n == YL_SYNTH_MAX_CODES || !json_is_number(v)) {
			fail(l, path,
			     c->n == YL_SYNTH_MAX_CODES ? "has too many codes"
			                                : "gives a code no weight");
			return;
		}
		c->code[c->n] = yl_arena_strdup(l->a, k);
		w[c->n] = c->weight[c->n] = json_number_value(v);
		c->n++;
	}
	make_pick(l, path, &c->pick, w, c->n);
}

/* adherence: the share of "regular" and a pick over the other codes */
static void adherence(struct ld *l, struct yl_synth_data *d)
{
	struct yl_synth_codes *c = &d->adherence;
	double w[YL_SYNTH_MAX_CODES], sum = 0;
	d->adherence_regular = -1;
	for (int i = 0; i < c->n; i++) {
		sum += c->weight[i];
		w[i] = c->weight[i];
		if (strcmp(c->code[i], "regular") == 0) {
			d->adherence_regular = i;
			w[i] = 0;
		}
	}
	if (d->adherence_regular < 0 || sum <= 0) {
		fail(l, "findings.adherence", "has no weight for 'regular'");
		return;
	}
	d->adherence_regular_share = c->weight[d->adherence_regular] / sum;
	make_pick(l, "findings.adherence", &d->adherence_other, w, c->n);
}

static void load_programmes(struct ld *l, struct yl_synth_data *d)
{
	static const char *const names[YL_SYNTH_NCOND] = {
	    [YL_SYNTH_HTN] = "hypertension", [YL_SYNTH_T2D] = "diabetes"};
	static const char *const exits[YL_SYNTH_NEXIT] = {[YL_SYNTH_MOVED] = "moved",
	                                                  [YL_SYNTH_REFUSED] = "refused",
	                                                  [YL_SYNTH_LAPSED] = "lapsed"};
	char p[128];
	d->enrol_same_day = num(l, "enrolment.same_day_share");
	d->enrol_delay_max = inum(l, "enrolment.delay_days_max");
	for (int k = 0; k < YL_SYNTH_NEXIT; k++) {
		snprintf(p, sizeof p, "exits.per_year.%s", exits[k]);
		d->exit_per_year[k] = num(l, p);
	}
	d->lost_close_after = inum(l, "exits.lost_close_after_days");
	d->lost_close_jitter = inum(l, "exits.lost_close_jitter_days");
	d->lost_close_share = num(l, "exits.lost_close_share");
	for (int s = YL_NEXT_TWO_WEEK; s <= YL_NEXT_URGENT; s++) {
		snprintf(p, sizeof p, "schedule.kept_within_two_weeks.%s",
		         yl_next_step_code((enum yl_next_step)s));
		d->kept[s] = num(l, p);
	}
	d->early_days_max = inum(l, "schedule.early_days_max");
	d->late_days_max = inum(l, "schedule.late_days_max");
	d->short_run_max = inum(l, "schedule.short_run_max");
	d->combine_days = inum(l, "schedule.combine_days");
	d->findings_share = num(l, "findings.recorded_share");
	d->symptom_share = num(l, "findings.symptom_share");
	d->second_symptom_share = num(l, "findings.second_symptom_share");
	d->danger_symptom_share = num(l, "findings.danger_symptom_share");
	d->adverse_share = num(l, "findings.adverse_reaction_share");
	d->adverse_ok_share = num(l, "findings.adverse_controllable_share");
	d->complication_new = num(l, "findings.complication_share.new");
	d->complication_worse = num(l, "findings.complication_share.worse");
	d->adherence_tendency = num(l, "findings.adherence_tendency");
	codes(l, "findings.adherence", &d->adherence);
	adherence(l, d);
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		d->prog[k].name = names[k];
		snprintf(p, sizeof p, "findings.symptoms.%s", names[k]);
		codes(l, p, &d->prog[k].symptoms);
		snprintf(p, sizeof p, "findings.danger_symptoms.%s", names[k]);
		codes(l, p, &d->prog[k].danger_symptoms);
	}
	if (d->late_days_max < 1 || d->early_days_max < 0 || d->enrol_delay_max < 1 ||
	    d->short_run_max < 0 || d->combine_days < 0 || d->lost_close_after < 1 ||
	    d->lost_close_jitter < 0)
		fail(l, "enrolment, exits or schedule", "has a day count out of range");
}

static void load_contracts(struct ld *l, struct yl_synth_data *d)
{
	d->rate_key = num(l, "rates.key_population");
	d->rate_other = num(l, "rates.other");
	d->renewal_share = num(l, "renewal_share");
	d->past_share = num(l, "past_share");
	d->terminated_share = num(l, "terminated_share");
	static const char *const reasons[] = {"moved", "refused", "lost", "other"};
	double w[4];
	for (int i = 0; i < 4; i++) {
		char p[64];
		snprintf(p, sizeof p, "termination_reasons.%s", reasons[i]);
		d->term_reasons[i] = reasons[i];
		w[i] = num(l, p);
	}
	make_pick(l, "termination_reasons", &d->term_pick, w, 4);
	for (int i = 0; i < d->npackages; i++) {
		json_t *v = at_in(json_object_get(l->root, "package_shares"), d->packages[i].id);
		d->packages[i].share = json_is_number(v) ? json_number_value(v) : 1.0;
	}
}

/* rules/contracting.json: the caps, and the ages of the key populations elderly and child */
static void load_rules(struct ld *l, struct yl_synth_data *d)
{
	d->doctor_capacity = inum(l, "doctor_capacity.value");
	d->elderly_age = d->child_max_age = -1;
	size_t i;
	json_t *e;
	json_array_foreach (need(l, NULL, "key_populations.list", JSON_ARRAY), i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		json_t *years = json_object_get(e, "years");
		if (code && strcmp(code, "elderly") == 0 && json_is_number(years))
			d->elderly_age = (int)json_number_value(years); /* age at least */
		if (code && strcmp(code, "child-0-6") == 0 && json_is_number(years))
			d->child_max_age = (int)json_number_value(years) - 1; /* age below */
	}
	if (d->elderly_age < 0 || d->child_max_age < 0)
		fail(l, "key_populations.list",
		     "does not give the ages of 'elderly' and 'child-0-6'");
}

static void load_region(struct ld *l, struct yl_synth_data *d)
{
	d->county_name = str(l, "county.name");
	d->county_code = str(l, "county.code");
	d->province = str(l, "county.province");
	d->city = str(l, "county.city");
	d->authority_name = str(l, "county.authority");
	d->hospital_name = str(l, "county.hospital");
	d->tertiary_name = str(l, "county.tertiary");
	d->tertiary_code = str(l, "county.tertiary_code");
	if (strlen(d->county_code) != 6 || strlen(d->tertiary_code) != 6)
		fail(l, "county.code", "is not a 6-digit division code");
	d->residents_per_unit = inum(l, "units.residents_per_unit");
	d->min_units = inum(l, "units.min_units");
	d->street_every = inum(l, "units.street_every");
	d->unit_spread = num(l, "units.spread");
	d->streets = strs(l, "units.streets", &d->nstreets);
	d->towns = strs(l, "units.towns", &d->ntowns);
	d->urban_lo = inum(l, "villages.urban_lo");
	d->urban_hi = inum(l, "villages.urban_hi");
	d->rural_lo = inum(l, "villages.rural_lo");
	d->rural_hi = inum(l, "villages.rural_hi");
	d->vfirst = chars(l, "villages.first", str(l, "villages.first"), &d->nvfirst);
	d->vsecond = chars(l, "villages.second", str(l, "villages.second"), &d->nvsecond);
	d->roads = strs(l, "villages.roads", &d->nroads);
	d->catchment = inum(l, "teams.catchment");
	d->team_capacity = inum(l, "teams.capacity");
	d->second_doctor_share = num(l, "teams.second_doctor_share");
	d->doctor_capacity_shared = inum(l, "teams.doctor_capacity_shared");
	d->public_health_per_teams = inum(l, "teams.public_health_per_teams");
	d->pharmacies_per_10k = num(l, "institutions.pharmacies_per_10k");
	d->specialists_per_10k = num(l, "institutions.specialists_per_10k");
	d->min_specialists = inum(l, "institutions.min_specialists");
	d->centre_nurses = inum(l, "institutions.centre_nurses");
	d->specialties = strs(l, "institutions.specialties", &d->nspecialties);
	d->pharmacy_names = strs(l, "institutions.pharmacy_names", &d->npharmacy_names);
	d->phone_prefixes = strs(l, "people.phone_prefixes", &d->nphone_prefixes);
	d->phone_min_age = inum(l, "people.phone_min_age");
	json_t *divs = need(l, NULL, "people.id_divisions", JSON_ARRAY);
	double w[16];
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach (divs, i, e) {
		if (n == 16)
			break;
		d->id_divisions[n] = str_in(l, e, "code");
		w[n++] = num_in(l, e, "weight");
	}
	make_pick(l, "people.id_divisions", &d->id_division_pick, w, n);
	if (d->catchment < 100 || d->team_capacity < 1 || d->urban_lo < 10 ||
	    d->urban_hi < d->urban_lo || d->rural_lo < 10 || d->rural_hi < d->rural_lo ||
	    d->residents_per_unit < 1000 || d->min_units < 1 || d->street_every < 1)
		fail(l, "teams", "or the sizes of units and villages are out of range");
}

static const char *const kp_codes[YL_KP_COUNT] = {
    [YL_KP_ELDERLY] = "elderly",           [YL_KP_HYPERTENSION] = "hypertension",
    [YL_KP_T2D] = "type-2-diabetes",       [YL_KP_MATERNAL] = "maternal",
    [YL_KP_CHILD] = "child-0-6",           [YL_KP_SEVERE_MENTAL] = "severe-mental-disorder",
    [YL_KP_TB] = "pulmonary-tuberculosis", [YL_KP_DISABILITY] = "disability",
    [YL_KP_LOW_INCOME] = "low-income",
};

/* a package's eligible population from its useContext (docs/registry.md) */
static void eligibility(struct ld *l, json_t *r, struct yl_synth_package *p)
{
	p->age_lo = p->age_hi = -1;
	size_t i;
	json_t *uc;
	json_array_foreach (json_object_get(r, "useContext"), i, uc) {
		const char *kind = json_string_value(at_in(uc, "code.code"));
		json_t *coding = json_array_get(at_in(uc, "valueCodeableConcept.coding"), 0);
		const char *code = json_string_value(json_object_get(coding, "code"));
		if (kind && strcmp(kind, "age") == 0) {
			json_t *lo = at_in(uc, "valueRange.low.value"),
			       *hi = at_in(uc, "valueRange.high.value");
			p->age_lo = lo ? (int)json_number_value(lo) : -1;
			p->age_hi = hi ? (int)json_number_value(hi) : -1;
		} else if (kind && strcmp(kind, "gender") == 0 && code) {
			p->gender = strcmp(code, "male") == 0 ? 1 : 2;
		} else if (kind && strcmp(kind, "focus") == 0 && code) {
			int k = 0;
			while (k < YL_KP_COUNT && strcmp(kp_codes[k], code) != 0)
				k++;
			if (k == YL_KP_COUNT)
				fail(l, "useContext", "names a key population that is not known");
			else
				p->focus |= 1u << k;
		}
	}
}

/* the PlanDefinitions as they are, with the HTEST tag added */
static void load_packages(struct ld *l, struct yl_synth_data *d)
{
	json_t *entries = need(l, NULL, "entry", JSON_ARRAY);
	size_t i;
	json_t *e;
	json_array_foreach (entries, i, e) {
		json_t *r = json_object_get(e, "resource");
		const char *id = json_string_value(json_object_get(r, "id"));
		if (!id || d->npackages == 16) {
			fail(l, "entry", "holds a resource without an id, or too many");
			return;
		}
		json_t *tag = json_pack("{s:[{s:s,s:s,s:s}]}", "tag", "system",
		                        "http://terminology.hl7.org/CodeSystem/v3-ActReason",
		                        "code", "HTEST", "display", "test health data"); /* new */
		json_object_set_new(r, "meta", tag);
		char *text = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER); /* malloc'd */
		if (!text) {
			fail(l, "entry", "cannot be written out");
			return;
		}
		eligibility(l, r, &d->packages[d->npackages]);
		d->packages[d->npackages].id = yl_arena_strdup(l->a, id);
		d->packages[d->npackages++].json = yl_arena_strdup(l->a, text);
		free(text);
	}
}

static const struct {
	const char *file;
	void (*load)(struct ld *l, struct yl_synth_data *d);
} files[] = {
    {"synth/population.json", load_population}, {"synth/names.json", load_names},
    {"synth/conditions.json", load_conditions}, {"synth/programmes.json", load_programmes},
    {"service-packages.json", load_packages},   {"synth/contracts.json", load_contracts},
    {"synth/region.json", load_region},         {"../rules/contracting.json", load_rules},
};

enum yl_code yl_synth_data_load(const char *data_dir, struct yl_synth_data *d, struct yl_arena *a,
                                struct yl_err *err)
{
	struct ld l = {.a = a, .err = err};
	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < sizeof files / sizeof files[0] && !l.bad; i++)
		if (open_file(&l, data_dir, files[i].file))
			files[i].load(&l, d);
	json_decref(l.root);
	return l.bad ? err->code : YL_OK;
}

const struct yl_synth_cohort *yl_synth_cohort_of(const struct yl_synth_data *d, int birth_year)
{
	for (int i = 0; i < d->ncohorts; i++)
		if (birth_year <= d->cohorts[i].born_until)
			return &d->cohorts[i];
	return &d->cohorts[d->ncohorts - 1];
}
