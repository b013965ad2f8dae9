/* followup.c -- $record-followup: form, storage, classification, recomputation (followup.h). */
#include "care/followup.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/keypop.h"
#include "care/plausibility.h"
#include "care/programme.h"
#include "care/rulepack.h"
#include "core/time.h"
#include "fhir/parameters.h"
#include "fhir/rest.h"

#define X_OUTCOME   YL_SD "followup-outcome"
#define LOINC       "http://loinc.org"
#define UCUM        "http://unitsofmeasure.org"
#define OBS_CAT     "http://terminology.hl7.org/CodeSystem/observation-category"
#define MAX_VISITS  2000 /* a resident's visits in one programme: 40 years of monthly visits */
#define MAX_OBS     64   /* Observations of one visit */
#define FINDINGS_ID "findings"

/* How the visit was done: CodeSystem followup-way -> Encounter.class (v3 ActCode). */
static const struct {
	const char *way, *code, *display;
} ways[] = {
    {"clinic", "AMB", "ambulatory"},
    {"home", "HH", "home health"},
    {"phone", "VR", "virtual"},
};

const struct yl_opparam yl_followup_params[] = {
    {"programme", "valueCode", 1, 1},
    {"date", "valueDate", 0, 1},
    {"way", "valueCode", 0, 1},
    {"sbp", "valueDecimal", 0, 1},
    {"dbp", "valueDecimal", 0, 1},
    {"fasting-glucose", "valueDecimal", 0, 1},
    {"hba1c", "valueDecimal", 0, 1},
    {"heart-rate", "valueDecimal", 0, 1},
    {"temperature", "valueDecimal", 0, 1},
    {"weight", "valueDecimal", 0, 1},
    {"height", "valueDecimal", 0, 1},
    {"bmi", "valueDecimal", 0, 1},
    {"symptom", "valueCode", 0, 0},
    {"adverse-reaction", "valueBoolean", 0, 1},
    {"adverse-reaction-controllable", "valueBoolean", 0, 1},
    {"complication", "valueCode", 0, 1},
    {"adherence", "valueCode", 0, 1},
    {"doctor", "valueReference", 0, 1},
    {"encounter", "valueReference", 0, 1},
    /* the lifestyle items (rules/followup-form.json "lifestyle"), each with its target */
    {"smoking", "valueDecimal", 0, 1},
    {"smoking-target", "valueDecimal", 0, 1},
    {"drinking", "valueDecimal", 0, 1},
    {"drinking-target", "valueDecimal", 0, 1},
    {"exercise-sessions", "valueDecimal", 0, 1},
    {"exercise-sessions-target", "valueDecimal", 0, 1},
    {"exercise-minutes", "valueDecimal", 0, 1},
    {"exercise-minutes-target", "valueDecimal", 0, 1},
    {"salt-intake", "valueCode", 0, 1},
    {"salt-intake-target", "valueCode", 0, 1},
};
const size_t yl_followup_nparams = sizeof yl_followup_params / sizeof yl_followup_params[0];

/* The coded form items: the fact, the followup-item code of its component, its code system. */
static const struct {
	enum yl_fu_set set;
	const char *item, *system;
} coded_items[] = {
    {YL_FU_SYMPTOM, "symptom", "followup-symptom"},
    {YL_FU_COMPLICATION, "complication", "complication-change"},
    {YL_FU_ADHERENCE, "adherence", "medication-adherence"},
};
static const struct {
	enum yl_fu_flag flag;
	const char *item;
} flag_items[] = {
    {YL_FU_ADVERSE, "adverse-reaction"},
    {YL_FU_ADVERSE_OK, "adverse-reaction-controllable"},
};

/* One visit of the resident's programme, stored or being recorded. */
struct visit {
	const char *id;
	int64_t day;
	int64_t seq;     /* store order, to order visits of one day; INT64_MAX for a new one */
	int64_t version; /* 0 for a new one */
	json_t *enc;
	json_t **obs;
	size_t nobs;
	bool have_obs;
	signed char at_target; /* -1 not known yet */
	bool current;
};

/* What every visit's evaluation needs from the request. */
struct run {
	struct yl_req *r;
	struct yl_store_conn *c;
	const struct yl_programme *prog;
	const json_t *patient;
	json_t **conds;
	size_t nconds;
	struct yl_err *err;
};

/* ---- the form ---------------------------------------------------------------------- */

/* Where the nth parameter called name is, for an error's expression. */
static const char *at_nth(struct yl_arena *a, const json_t *body, const char *name, size_t nth)
{
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(body, "parameter"), i, p)
		if (yl_care_str(p, "name") && !strcmp(yl_care_str(p, "name"), name) && nth-- == 0)
			return yl_arena_printf(a, "Parameters.parameter[%zu]", i);
	return "Parameters";
}

static const char *at(struct yl_arena *a, const json_t *body, const char *name)
{
	return at_nth(a, body, name, 0);
}

/* A reading's value: a number, or a Quantity in the reading's unit. */
/* A number parameter in `unit`: a valueDecimal/valueInteger, or a Quantity in that unit;
 * from min to max (422 outside: not a possible value). */
static enum yl_code number_param(struct yl_arena *a, const json_t *body, const char *name,
                                 const char *unit, double min, double max, double *v, bool *has,
                                 struct yl_err *err)
{
	const json_t *val = yl_params_get(body, name, 0);
	*has = val != NULL;
	if (!val)
		return YL_OK;
	if (json_is_object(val)) {
		const char *code = yl_care_str(val, "code"), *u = yl_care_str(val, "unit");
		const char *system = yl_care_str(val, "system");
		bool same = (code && !strcmp(code, unit) && (!system || !strcmp(system, UCUM))) ||
		            (!code && u && !strcmp(u, unit));
		if (!same)
			return yl_err_add(err, a, YL_BAD_REQUEST, at(a, body, name),
			                  "'%s' is taken in %s (UCUM): give the value in that unit",
			                  name, unit);
		val = json_object_get(val, "value");
	}
	if (!json_is_number(val))
		return yl_err_add(err, a, YL_BAD_REQUEST, at(a, body, name),
		                  "'%s' must be a number in %s", name, unit);
	*v = json_number_value(val);
	if (*v < min || *v > max)
		return yl_err_add(err, a, YL_BUSINESS_RULE, at(a, body, name),
		                  "'%s' %g %s is not a possible value (%g to %g %s): check the "
		                  "value and its unit",
		                  name, *v, unit, min, max, unit);
	return YL_OK;
}

static enum yl_code reading_value(struct yl_arena *a, const json_t *body,
                                  const struct yl_fu_reading *rd, double *v, bool *has,
                                  struct yl_err *err)
{
	return number_param(a, body, yl_fu_num_name(rd->fact), rd->unit, rd->min, rd->max, v, has,
	                    err);
}

/* The form's facts (readings, codes, yes/no items) as given; the date and the
 * history-dependent facts are added by the caller. */
enum yl_code yl_followup_form(struct yl_arena *a, const json_t *body, const struct yl_pack *pack,
                              struct yl_fu_facts *f, struct yl_err *err)
{
	yl_fu_facts_init(f);
	for (size_t i = 0; i < yl_fu_reading_count(); i++) {
		const struct yl_fu_reading *rd = yl_fu_reading_at(i);
		reading_value(a, body, rd, &f->num[rd->fact], &f->has[rd->fact], err);
	}
	if (f->has[YL_FU_WEIGHT] && f->has[YL_FU_HEIGHT]) {
		double m = f->num[YL_FU_HEIGHT] / 100.0;
		double bmi = round(f->num[YL_FU_WEIGHT] / (m * m) * 10.0) / 10.0;
		if (f->has[YL_FU_BMI]) { /* given too: how far apart (a plausibility fact) */
			f->num[YL_FU_BMI_GAP] = fabs(f->num[YL_FU_BMI] - bmi);
			f->has[YL_FU_BMI_GAP] = true;
		} else {
			f->num[YL_FU_BMI] = bmi;
			f->has[YL_FU_BMI] = true;
		}
	}
	for (size_t k = 0; k < sizeof coded_items / sizeof coded_items[0]; k++) {
		enum yl_fu_set s = coded_items[k].set;
		const char *code;
		for (size_t i = 0; (code = yl_params_str(body, yl_fu_set_name(s), i)); i++) {
			if (!yl_care_code(coded_items[k].system, code, "en"))
				yl_err_add(err, a, YL_BAD_REQUEST,
				           at_nth(a, body, yl_fu_set_name(s), i),
				           "'%.64s' is not a code of %s%s", code, YL_CS,
				           coded_items[k].system);
			else if (f->ncodes[s] < YL_FU_MAX_CODES)
				f->codes[s][f->ncodes[s]++] = code;
		}
	}
	for (size_t k = 0; k < sizeof flag_items / sizeof flag_items[0]; k++) {
		const json_t *v = yl_params_get(body, flag_items[k].item, 0);
		if (v)
			f->flag[flag_items[k].flag] = json_is_true(v);
	}
	if (err->code != YL_OK)
		return err->code;
	if (f->flag[YL_FU_ADVERSE_OK] >= 0 && f->flag[YL_FU_ADVERSE] != 1)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "Parameters",
		                  "'adverse-reaction-controllable' is recorded only with "
		                  "'adverse-reaction' true");
	if (f->has[YL_FU_SBP] != f->has[YL_FU_DBP])
		return yl_err_add(err, a, YL_BUSINESS_RULE, "Parameters",
		                  "blood pressure needs both 'sbp' and 'dbp'");
	const char *missing = NULL;
	for (int k = 0; k < YL_FU_NNUM; k++)
		if (yl_pack_requires(pack, (enum yl_fu_num)k) && !f->has[k])
			missing =
			    missing ? yl_arena_printf(a, "%s, '%s'", missing,
			                              yl_fu_num_name((enum yl_fu_num)k))
			            : yl_arena_printf(a, "'%s'", yl_fu_num_name((enum yl_fu_num)k));
	if (missing)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "Parameters",
		                  "a %s follow-up needs %s (rule pack %s)", yl_pack_programme(pack),
		                  missing, yl_pack_id(pack));
	return YL_OK;
}

/* ---- storage shapes ---------------------------------------------------------------- */

static json_t *coding(const char *system, const char *code, const char *display)
{
	json_t *c = json_pack("{s:s,s:s}", "system", system, "code", code);
	if (display)
		json_object_set_new(c, "display", json_string(display));
	return c;
}

static json_t *concept(const char *system, const char *code, const char *display)
{
	return json_pack("{s:[o]}", "coding", coding(system, code, display));
}

/* A code of one of yilian's code systems (cs: "followup-symptom"), with its Chinese display. */
static json_t *yl_concept(const char *cs, const char *code)
{
	return json_pack("{s:[o]}", "coding", yl_care_coding(cs, code));
}

static json_t *number(double v)
{
	return v == floor(v) && fabs(v) < 1e15 ? json_integer((json_int_t)v) : json_real(v);
}

static json_t *quantity(double v, const char *unit)
{
	return json_pack("{s:o,s:s,s:s,s:s}", "value", number(v), "unit", unit, "system", UCUM,
	                 "code", unit);
}

/* An Observation of the visit with this code (stolen) and category. */
static json_t *observation(struct run *u, const char *enc_id, const char *date, json_t *code,
                           const char *text, const char *category)
{
	if (text)
		json_object_set_new(code, "text", json_string(text));
	return json_pack("{s:s,s:s,s:[o],s:o,s:{s:s},s:{s:s},s:s}", "resourceType", "Observation",
	                 "status", "final", "category", concept(OBS_CAT, category, NULL), "code",
	                 code, "subject", "reference",
	                 yl_arena_printf(u->r->a, "Patient/%s", u->r->vars[0]), "encounter",
	                 "reference", yl_arena_printf(u->r->a, "Encounter/%s", enc_id),
	                 "effectiveDateTime", date);
}

static json_t *component(json_t *code, const char *key, json_t *value)
{
	return json_pack("{s:o,s:o}", "code", code, key, value);
}

/* The lifestyle items of the form and their targets as findings components (a new array),
 * checked: numbers in their unit and range, codes of their code system. */
enum yl_code yl_followup_lifestyle(struct yl_arena *a, const json_t *body, json_t **out,
                                   struct yl_err *err)
{
	json_t *comps = json_array();
	*out = comps;
	if (!comps || yl_arena_defer(a, yl_care_decref, comps) != 0)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < yl_fu_lifestyle_count(); i++) {
		const struct yl_fu_lifestyle *l = yl_fu_lifestyle_at(i);
		for (int target = 0; target < 2; target++) {
			const char *name =
			    target ? yl_arena_printf(a, "%s-target", l->name) : l->name;
			if (!l->system) {
				double v;
				bool has;
				if (number_param(a, body, name, l->unit, l->min, l->max, &v, &has,
				                 err) == YL_OK &&
				    has)
					json_array_append_new(
					    comps,
					    component(yl_concept("followup-item", name),
					              "valueQuantity", quantity(v, l->unit)));
				continue;
			}
			const char *code = yl_params_str(body, name, 0);
			if (code && !yl_care_code(l->system, code, "en"))
				yl_err_add(err, a, YL_BAD_REQUEST, at(a, body, name),
				           "'%.64s' is not a code of %s%s", code, YL_CS, l->system);
			else if (code)
				json_array_append_new(comps,
				                      component(yl_concept("followup-item", name),
				                                "valueCodeableConcept",
				                                yl_concept(l->system, code)));
		}
	}
	return err->code;
}

/* The visit's Observations, built from its facts and its lifestyle components. */
static size_t build_obs(struct run *u, const char *enc_id, const char *date,
                        const struct yl_fu_facts *f, const json_t *lifestyle, json_t **out,
                        const char **ids)
{
	size_t n = 0;
	if (f->has[YL_FU_SBP]) {
		const struct yl_fu_reading *p = yl_fu_bp_panel(), *s = yl_fu_reading(YL_FU_SBP),
		                           *d = yl_fu_reading(YL_FU_DBP);
		json_t *o = observation(u, enc_id, date, concept(LOINC, p->code, p->display),
		                        p->text, p->category);
		json_object_set_new(
		    o, "component",
		    json_pack("[o,o]",
		              component(concept(LOINC, s->code, s->display), "valueQuantity",
		                        quantity(f->num[YL_FU_SBP], s->unit)),
		              component(concept(LOINC, d->code, d->display), "valueQuantity",
		                        quantity(f->num[YL_FU_DBP], d->unit))));
		ids[n] = s->obs;
		out[n++] = o;
	}
	for (size_t i = 0; i < yl_fu_reading_count(); i++) {
		const struct yl_fu_reading *rd = yl_fu_reading_at(i);
		if (rd->panel || !f->has[rd->fact])
			continue;
		json_t *o = observation(u, enc_id, date, concept(LOINC, rd->code, rd->display),
		                        rd->text, rd->category);
		json_object_set_new(o, "valueQuantity", quantity(f->num[rd->fact], rd->unit));
		ids[n] = rd->obs;
		out[n++] = o;
	}
	json_t *comps = json_array();
	for (size_t k = 0; k < sizeof coded_items / sizeof coded_items[0]; k++) {
		enum yl_fu_set s = coded_items[k].set;
		for (size_t i = 0; i < f->ncodes[s]; i++)
			json_array_append_new(
			    comps, component(yl_concept("followup-item", coded_items[k].item),
			                     "valueCodeableConcept",
			                     yl_concept(coded_items[k].system, f->codes[s][i])));
	}
	for (size_t k = 0; k < sizeof flag_items / sizeof flag_items[0]; k++)
		if (f->flag[flag_items[k].flag] >= 0)
			json_array_append_new(
			    comps,
			    component(yl_concept("followup-item", flag_items[k].item),
			              "valueBoolean", json_boolean(f->flag[flag_items[k].flag])));
	json_array_extend(comps, (json_t *)lifestyle);
	if (json_array_size(comps)) {
		json_t *o =
		    observation(u, enc_id, date, yl_concept("followup-item", "followup-findings"),
		                NULL, "survey");
		json_object_set_new(o, "component", comps);
		ids[n] = FINDINGS_ID;
		out[n++] = o;
	} else
		json_decref(comps);
	return n;
}

/* Whether an Observation is one the form writes: a reading of rules/followup-form.json, the
 * blood-pressure panel, or the findings. */
static bool form_owned(const json_t *obs)
{
	const json_t *c =
	    json_array_get(json_object_get(json_object_get(obs, "code"), "coding"), 0);
	const char *code = yl_care_str(c, "code"), *system = yl_care_str(c, "system");
	if (!code || !system)
		return false;
	if (!strcmp(system, YL_CS "followup-item"))
		return !strcmp(code, "followup-findings");
	if (strcmp(system, LOINC) != 0)
		return false;
	if (!strcmp(code, yl_fu_bp_panel()->code))
		return true;
	for (size_t i = 0; i < yl_fu_reading_count(); i++)
		if (!yl_fu_reading_at(i)->panel && !strcmp(code, yl_fu_reading_at(i)->code))
			return true;
	return false;
}

/* The facts recorded by a visit's Observations (as build_obs writes them, or as
 * `yilian synth` and other systems write the same LOINC codes). */
void yl_followup_obs_facts(json_t *const *obs, size_t n, struct yl_fu_facts *f)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *code =
		    json_array_get(json_object_get(json_object_get(obs[i], "code"), "coding"), 0);
		const char *c = yl_care_str(code, "code");
		const char *system = yl_care_str(code, "system");
		if (!c || !system)
			continue;
		size_t k;
		const json_t *comp;
		if (!strcmp(system, LOINC)) {
			for (size_t r = 0; r < yl_fu_reading_count(); r++) {
				const struct yl_fu_reading *rd = yl_fu_reading_at(r);
				const json_t *q = NULL;
				if (rd->panel && !strcmp(rd->panel, c))
					json_array_foreach (json_object_get(obs[i], "component"), k,
					                    comp) {
						const char *cc = yl_care_str(
						    json_array_get(
						        json_object_get(
						            json_object_get(comp, "code"),
						            "coding"),
						        0),
						    "code");
						if (cc && !strcmp(cc, rd->code))
							q = json_object_get(comp, "valueQuantity");
					}
				else if (!rd->panel && !strcmp(rd->code, c))
					q = json_object_get(obs[i], "valueQuantity");
				if (json_is_number(json_object_get(q, "value"))) {
					f->num[rd->fact] =
					    json_number_value(json_object_get(q, "value"));
					f->has[rd->fact] = true;
				}
			}
			continue;
		}
		if (strcmp(system, YL_CS "followup-item") || strcmp(c, "followup-findings"))
			continue;
		json_array_foreach (json_object_get(obs[i], "component"), k, comp) {
			const char *item = yl_care_str(
			    json_array_get(json_object_get(json_object_get(comp, "code"), "coding"),
			                   0),
			    "code");
			if (!item)
				continue;
			for (size_t m = 0; m < sizeof coded_items / sizeof coded_items[0]; m++) {
				enum yl_fu_set s = coded_items[m].set;
				const char *v = yl_care_str(
				    json_array_get(
				        json_object_get(
				            json_object_get(comp, "valueCodeableConcept"),
				            "coding"),
				        0),
				    "code");
				if (!strcmp(item, coded_items[m].item) && v &&
				    f->ncodes[s] < YL_FU_MAX_CODES)
					f->codes[s][f->ncodes[s]++] = v;
			}
			for (size_t m = 0; m < sizeof flag_items / sizeof flag_items[0]; m++)
				if (!strcmp(item, flag_items[m].item) &&
				    json_is_boolean(json_object_get(comp, "valueBoolean")))
					f->flag[flag_items[m].flag] =
					    json_is_true(json_object_get(comp, "valueBoolean"));
		}
	}
}

/* ---- the outcome on the Encounter -------------------------------------------------- */

static void sub(json_t *list, const char *url, const char *key, json_t *value)
{
	json_array_append_new(list, json_pack("{s:s,s:o}", "url", url, key, value));
}

static json_t *outcome_ext(struct yl_arena *a, const struct yl_pack *pack,
                           const struct yl_fu_result *res)
{
	json_t *l = json_array();
	sub(l, "classification", "valueCoding",
	    yl_care_coding("followup-classification", res->classification));
	sub(l, "next-step", "valueCoding",
	    yl_care_coding("next-step", yl_next_step_code(res->next_step)));
	if (res->next_date != YL_NO_DAY)
		sub(l, "next-date", "valueDate", json_string(yl_care_day_text(a, res->next_date)));
	for (size_t i = 0; i < res->nreason; i++)
		sub(l, "referral-reason", "valueCoding",
		    yl_care_coding("referral-reason", res->reason[i]));
	for (size_t i = 0; i < res->ndanger; i++)
		sub(l, "danger-sign", "valueCoding",
		    yl_care_coding(yl_care_code("danger-sign", res->danger[i], "en")
		                       ? "danger-sign"
		                       : "followup-symptom",
		                   res->danger[i]));
	sub(l, "at-target", "valueBoolean", json_boolean(res->at_target));
	sub(l, "rule-pack", "valueString", json_string(yl_pack_id(pack)));
	sub(l, "rule", "valueString", json_string(res->rule));
	return json_pack("{s:s,s:o}", "url", X_OUTCOME, "extension", l);
}

/* The visit's stored outcome extension, or NULL. */
static json_t *stored_outcome(const json_t *enc)
{
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(enc, "extension"), i, e)
		if (yl_care_str(e, "url") && !strcmp(yl_care_str(e, "url"), X_OUTCOME))
			return e;
	return NULL;
}

/* Replace the outcome on the Encounter; true when it differs from the one stored. */
static bool set_outcome(json_t *enc, json_t *ext)
{
	json_t *old = stored_outcome(enc);
	bool changed = !old || !json_equal(old, ext);
	json_t *list = json_object_get(enc, "extension");
	if (old) {
		size_t i;
		json_t *e;
		json_array_foreach (list, i, e)
			if (e == old) {
				json_array_remove(list, i);
				break;
			}
	}
	yl_care_add_ext(enc, X_OUTCOME, "extension",
	                json_incref(json_object_get(ext, "extension")));
	json_decref(ext);
	return changed;
}

/* ---- the resident's visits --------------------------------------------------------- */

static int64_t start_day(const json_t *enc)
{
	const char *s = yl_care_str(json_object_get(enc, "period"), "start");
	return s && strlen(s) >= 10 ? yl_parse_day(s, 10) : YL_NO_DAY;
}

static int by_day(const void *x, const void *y)
{
	const struct visit *a = x, *b = y;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static enum yl_code load_visits(struct run *u, struct visit **out, size_t *n)
{
	struct yl_arena *a = u->r->a;
	struct yl_param p[] = {
	    {"subject", yl_arena_printf(a, "Patient/%s", u->r->vars[0])},
	    {"type", yl_arena_printf(a, YL_CS "encounter-type|%s", u->prog->encounter_type)}};
	struct yl_row *rows;
	enum yl_code code =
	    yl_care_find(u->c, a, "Encounter", p, 2, MAX_VISITS, &rows, n, NULL, u->err);
	if (code != YL_OK)
		return code;
	/* room for one more: the visit being recorded */
	if (!(*out = yl_arena_calloc(a, *n + 1, sizeof **out)))
		return yl_err_add(u->err, a, YL_NOMEM, NULL, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		json_t *enc = yl_care_parse(a, &rows[i], u->err);
		if (!enc)
			return u->err->code;
		int64_t day = start_day(enc);
		if (day == YL_NO_DAY)
			continue; /* a visit without a date has no place in the sequence */
		(*out)[k++] = (struct visit){.id = rows[i].id,
		                             .day = day,
		                             .seq = rows[i].seq,
		                             .version = rows[i].version,
		                             .enc = enc,
		                             .at_target = -1};
	}
	*n = k;
	return YL_OK;
}

static enum yl_code visit_obs(struct run *u, struct visit *v)
{
	if (v->have_obs)
		return YL_OK;
	struct yl_param p = {"encounter", yl_arena_printf(u->r->a, "Encounter/%s", v->id)};
	struct yl_row *rows;
	size_t n;
	enum yl_code code =
	    yl_care_find(u->c, u->r->a, "Observation", &p, 1, MAX_OBS, &rows, &n, NULL, u->err);
	if (code != YL_OK)
		return code;
	if (!(v->obs = yl_arena_calloc(u->r->a, n ? n : 1, sizeof *v->obs)))
		return yl_err_add(u->err, u->r->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(v->obs[i] = yl_care_parse(u->r->a, &rows[i], u->err)))
			return u->err->code;
	v->nobs = n;
	v->have_obs = true;
	return YL_OK;
}

/* The facts of a visit that do not depend on the visits before it. */
static enum yl_code visit_facts(struct run *u, struct visit *v, struct yl_fu_facts *f)
{
	enum yl_code code = visit_obs(u, v);
	if (code != YL_OK)
		return code;
	yl_fu_facts_init(f);
	yl_followup_obs_facts(v->obs, v->nobs, f);
	f->date = v->day;
	int age = yl_keypop_age(u->patient, v->day);
	if (age >= 0) {
		f->num[YL_FU_AGE] = age;
		f->has[YL_FU_AGE] = true;
	}
	const struct yl_pack *pack = u->prog->pack;
	for (size_t k = 0; k < yl_pack_valueset_count(pack); k++) {
		const char *url = yl_pack_valueset_at(pack, k);
		const struct yl_valueset *vs = yl_care_valueset(url);
		for (size_t i = 0; i < u->nconds; i++)
			if (yl_condition_in(vs, u->conds[i], v->day)) {
				if (f->ncodes[YL_FU_CONDITION] < YL_FU_MAX_CODES)
					f->codes[YL_FU_CONDITION][f->ncodes[YL_FU_CONDITION]++] =
					    url;
				break;
			}
	}
	return YL_OK;
}

/* Whether a visit was at target: as stored with its outcome, else from its readings. */
static enum yl_code at_target_of(struct run *u, struct visit *v, signed char *out)
{
	if (v->at_target < 0 && !v->current) {
		const json_t *ext;
		size_t i;
		json_array_foreach (json_object_get(stored_outcome(v->enc), "extension"), i, ext)
			if (yl_care_str(ext, "url") &&
			    !strcmp(yl_care_str(ext, "url"), "at-target") &&
			    json_is_boolean(json_object_get(ext, "valueBoolean")))
				v->at_target = json_is_true(json_object_get(ext, "valueBoolean"));
	}
	if (v->at_target < 0) {
		struct yl_fu_facts f;
		struct yl_fu_result res;
		enum yl_code code = visit_facts(u, v, &f);
		if (code != YL_OK)
			return code;
		yl_pack_eval(u->prog->pack, &f, &res);
		v->at_target = res.at_target;
	}
	*out = v->at_target;
	return YL_OK;
}

/* Classify visit i of vs with the visits before it. */
static enum yl_code classify(struct run *u, struct visit *vs, size_t i, struct yl_fu_result *res)
{
	struct yl_fu_facts f;
	enum yl_code code = visit_facts(u, &vs[i], &f);
	if (code != YL_OK)
		return code;
	int64_t run_start = vs[i].day;
	signed char prev = -1, t;
	for (size_t j = i; j-- > 0;) {
		if ((code = at_target_of(u, &vs[j], &t)) != YL_OK)
			return code;
		if (j == i - 1)
			prev = t;
		if (t)
			break;
		run_start = vs[j].day;
	}
	f.flag[YL_FU_PREV_AT_TARGET] = prev;
	f.num[YL_FU_UNCONTROLLED_DAYS] = (double)(vs[i].day - run_start);
	f.has[YL_FU_UNCONTROLLED_DAYS] = true;
	yl_pack_eval(u->prog->pack, &f, res);
	vs[i].at_target = res->at_target;
	return YL_OK;
}

/* ---- the operation ----------------------------------------------------------------- */

struct recorded;
static enum yl_code plausibility(struct run *u, struct visit *vs, size_t i,
                                 const struct yl_fu_facts *form, struct recorded *out);

struct recorded {
	struct yl_fu_result res;
	const char *flags[16]; /* plausibility flags */
	size_t nflags;
	const char *enc_id, *enrolment;
	const char *obs[MAX_OBS];
	size_t nobs;
	const char *recomputed[MAX_VISITS > 64 ? 64 : MAX_VISITS];
	size_t nrecomputed;
};

static json_t *new_encounter(struct run *u, const char *way, int64_t day, const char *enrolment,
                             const char *doctor, const char *org)
{
	size_t w = 0;
	while (strcmp(ways[w].way, way) != 0)
		w++;
	const char *type_display = yl_care_code("encounter-type", u->prog->encounter_type, "zh-CN");
	json_t *enc = json_pack(
	    "{s:s,s:s,s:{s:s,s:s,s:s},s:[o],s:{s:s},s:[{s:s}],s:{s:s}}", "resourceType",
	    "Encounter", "status", "finished", "class", "system",
	    "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code", ways[w].code, "display",
	    ways[w].display, "type",
	    concept(YL_CS "encounter-type", u->prog->encounter_type, type_display), "subject",
	    "reference", yl_arena_printf(u->r->a, "Patient/%s", u->r->vars[0]), "episodeOfCare",
	    "reference", yl_arena_printf(u->r->a, "EpisodeOfCare/%s", enrolment), "period", "start",
	    yl_care_day_text(u->r->a, day));
	if (enc) /* a visit of one day: Encounter?date=2026-06-01 finds it */
		json_object_set_new(json_object_get(enc, "period"), "end",
		                    json_string(yl_care_day_text(u->r->a, day)));
	if (enc && doctor)
		json_object_set_new(enc, "participant",
		                    json_pack("[{s:{s:s}}]", "individual", "reference", doctor));
	if (enc && org)
		json_object_set_new(enc, "serviceProvider", json_pack("{s:s}", "reference", org));
	return enc;
}

static enum yl_code enrolment_for(struct run *u, int64_t day, const char *doctor_param,
                                  const char **enrolment, const char **doctor, const char **org)
{
	struct yl_row row;
	json_t *episode;
	const char *pid = u->r->vars[0];
	enum yl_code code = yl_programme_contract_defaults(u->c, u->r->a, pid, doctor, org, u->err);
	if (code != YL_OK)
		return code;
	if (doctor_param)
		*doctor = yl_arena_printf(u->r->a, "Practitioner/%s", doctor_param);
	code = yl_programme_enrolment(u->c, u->r->a, pid, u->prog, &row, &episode, u->err);
	if (code == YL_OK) {
		*enrolment = row.id;
		const char *start = yl_care_str(json_object_get(episode, "period"), "start");
		int64_t s = start ? yl_parse_day(start, strlen(start)) : YL_NO_DAY;
		if (s == YL_NO_DAY || day >= s)
			return YL_OK;
		/* a visit before the enrolment began: the enrolment began then */
		json_object_set_new(json_object_get(episode, "period"), "start",
		                    json_string(yl_care_day_text(u->r->a, day)));
		struct yl_write w;
		return yl_care_put(u->r, YL_WRITE_UPDATE, "EpisodeOfCare", row.id, episode,
		                   row.version, &w, u->err);
	}
	struct yl_write w;
	if (code != YL_NOT_FOUND ||
	    (code = yl_programme_eligible(u->r->a, u->prog, u->patient, u->conds, u->nconds, day,
	                                  u->err)) != YL_OK ||
	    (code = yl_programme_enrol(u->r, u->prog, pid, day, *doctor, *org, &w, u->err)) !=
	        YL_OK)
		return code;
	*enrolment = w.id;
	return YL_OK;
}

static enum yl_code record(struct run *u, const json_t *body, struct yl_fu_facts *form,
                           const json_t *lifestyle, int64_t day, const char *way,
                           const char *doctor_param, const char *edit, struct recorded *out)
{
	struct yl_req *r = u->r;
	struct yl_arena *a = r->a;
	struct yl_err *err = u->err;
	struct yl_row prow;
	json_t *patient;
	enum yl_code code = yl_care_read(u->c, a, "Patient", r->vars[0], &prow, &patient, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, a, YL_NOT_FOUND, NULL, "Patient/%.64s does not exist",
		                  r->vars[0]);
	u->patient = patient;
	struct visit *vs;
	size_t n;
	if (code != YL_OK ||
	    (code = yl_programme_conditions(u->c, a, r->vars[0], &u->conds, &u->nconds, err)) ||
	    (code = load_visits(u, &vs, &n)))
		return code;

	struct visit *cur = NULL;
	json_t **old_obs = NULL;
	size_t nold = 0;
	for (size_t i = 0; edit && i < n; i++)
		if (!strcmp(vs[i].id, edit))
			cur = &vs[i];
	if (edit && !cur)
		return yl_err_add(err, a, YL_BUSINESS_RULE, at(a, body, "encounter"),
		                  "Encounter/%.64s is not a %s follow-up of Patient/%s", edit,
		                  u->prog->name, r->vars[0]);
	const char *doctor = NULL, *org = NULL;
	out->enrolment = NULL;
	if (cur) { /* an edit: what the form does not give stays as recorded */
		if ((code = visit_obs(u, cur)) != YL_OK)
			return code;
		old_obs = cur->obs;
		nold = cur->nobs;
		const json_t *e = cur->enc;
		if (day == YL_NO_DAY)
			day = cur->day;
		for (size_t w = 0; !way && w < sizeof ways / sizeof ways[0]; w++)
			if (yl_care_str(json_object_get(e, "class"), "code") &&
			    !strcmp(ways[w].code, yl_care_str(json_object_get(e, "class"), "code")))
				way = ways[w].way;
		doctor = yl_care_str(
		    json_object_get(json_array_get(json_object_get(e, "participant"), 0),
		                    "individual"),
		    "reference");
		org = yl_care_str(json_object_get(e, "serviceProvider"), "reference");
		const char *t, *ep;
		if (yl_care_ref(a, json_array_get(json_object_get(e, "episodeOfCare"), 0),
		                "EpisodeOfCare", &t, &ep))
			out->enrolment = ep; /* the visit stays in its enrolment, ended or not */
		if (doctor_param)
			doctor = yl_arena_printf(a, "Practitioner/%s", doctor_param);
	}
	if (day == YL_NO_DAY)
		day = yl_today();
	if (!way)
		way = "clinic";
	if (day > yl_today())
		return yl_err_add(err, a, YL_BUSINESS_RULE, at(a, body, "date"),
		                  "'date' (%s) is after today: record a visit once it has happened",
		                  yl_care_day_text(a, day));
	int64_t from = cur && cur->day < day ? cur->day : day;
	if (!cur) {
		cur = &vs[n++];
		*cur = (struct visit){.id = yl_care_new_id(a), .seq = INT64_MAX};
	}
	cur->day = day;
	cur->current = true;
	cur->at_target = -1;

	if (!out->enrolment) {
		const char *d2, *o2;
		if ((code = enrolment_for(u, day, doctor_param, &out->enrolment, &d2, &o2)) !=
		    YL_OK)
			return code;
		doctor = doctor ? doctor : d2;
		org = org ? org : o2;
	}
	const char *date = yl_care_day_text(a, day);
	json_t *enc = new_encounter(u, way, day, out->enrolment, doctor, org);
	json_t **obs = yl_arena_calloc(a, MAX_OBS, sizeof *obs);
	const char **suffix = yl_arena_calloc(a, MAX_OBS, sizeof *suffix);
	if (!enc || !obs || !suffix || yl_arena_defer(a, yl_care_decref, enc) != 0)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	size_t nobs = build_obs(u, cur->id, date, form, lifestyle, obs, suffix);
	for (size_t i = 0; i < nobs; i++)
		if (yl_arena_defer(a, yl_care_decref, obs[i]) != 0)
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	int64_t version = cur->version;
	cur->enc = enc;
	cur->obs = obs;
	cur->nobs = nobs;
	cur->have_obs = true;

	qsort(vs, n, sizeof *vs, by_day);
	size_t start = n;
	for (size_t i = 0; i < n; i++)
		if ((vs[i].current || vs[i].day >= from) && i < start)
			start = i;
	for (size_t i = start; i < n; i++) {
		struct yl_fu_result res;
		if ((code = classify(u, vs, i, &res)) != YL_OK)
			return code;
		bool changed = set_outcome(vs[i].enc, outcome_ext(a, u->prog->pack, &res));
		if (vs[i].current) {
			out->res = res;
			continue;
		}
		struct yl_write w;
		if (!changed)
			continue;
		if ((code = yl_care_put(r, YL_WRITE_UPDATE, "Encounter", vs[i].id, vs[i].enc,
		                        vs[i].version, &w, err)) != YL_OK)
			return code;
		if (out->nrecomputed < sizeof out->recomputed / sizeof out->recomputed[0])
			out->recomputed[out->nrecomputed++] = vs[i].id;
	}

	const char *cid = NULL;
	size_t ci = 0;
	for (size_t i = 0; i < n; i++)
		if (vs[i].current)
			cid = vs[(ci = i)].id;
	if ((code = plausibility(u, vs, ci, form, out)) != YL_OK)
		return code;
	struct yl_write w;
	int64_t if_match = 0;
	if (edit && (code = yl_fhir_if_match(r, &if_match, err)) != YL_OK)
		return code;
	if ((code = yl_care_put(r, edit ? YL_WRITE_UPDATE : YL_WRITE_CREATE, "Encounter", cid, enc,
	                        edit ? (if_match ? if_match : version) : 0, &w, err)) != YL_OK)
		return code;
	out->enc_id = cid;
	for (size_t i = 0; i < nobs; i++) {
		const char *id = yl_arena_printf(a, "%s-%s", cid, suffix[i]);
		if ((code = yl_care_put(r, YL_WRITE_UPDATE, "Observation", id, obs[i], 0, &w,
		                        err)) != YL_OK)
			return code;
		out->obs[out->nobs++] = id;
	}
	for (size_t i = 0; i < nold; i++) {
		const char *id = yl_care_str(old_obs[i], "id");
		if (!form_owned(old_obs[i]))
			continue; /* an ECG or a lab result attached to the visit: not the form's */
		bool kept = false;
		for (size_t k = 0; id && k < out->nobs; k++)
			kept |= !strcmp(out->obs[k], id);
		struct yl_write del = {.op = YL_WRITE_DELETE, .type = "Observation", .id = id};
		if (id && !kept && (code = yl_store_write(u->c, a, &del, err)) != YL_OK)
			return code;
	}
	return YL_OK;
}

/* The plausibility flags of visit i, the visit being recorded (form: its facts as given),
 * onto its Encounter and into out. */
static enum yl_code plausibility(struct run *u, struct visit *vs, size_t i,
                                 const struct yl_fu_facts *form, struct recorded *out)
{
	struct yl_fu_facts f = *form;
	f.date = vs[i].day;
	if (f.has[YL_FU_SBP] && f.has[YL_FU_DBP]) {
		f.num[YL_FU_PULSE_PRESSURE] = f.num[YL_FU_SBP] - f.num[YL_FU_DBP];
		f.has[YL_FU_PULSE_PRESSURE] = true;
		int run = 0;
		for (size_t j = i; j-- > 0;) {
			struct yl_fu_facts pf;
			enum yl_code code = visit_facts(u, &vs[j], &pf);
			if (code != YL_OK)
				return code;
			if (!pf.has[YL_FU_SBP] || !pf.has[YL_FU_DBP] ||
			    pf.num[YL_FU_SBP] != f.num[YL_FU_SBP] ||
			    pf.num[YL_FU_DBP] != f.num[YL_FU_DBP])
				break;
			run++;
		}
		f.num[YL_FU_IDENTICAL_RUN] = run;
		f.has[YL_FU_IDENTICAL_RUN] = true;
	}
	f.num[YL_FU_RECORDED_AFTER] = (double)(yl_today() - vs[i].day);
	f.has[YL_FU_RECORDED_AFTER] = true;
	const char *died = yl_care_str(u->patient, "deceasedDateTime");
	int64_t death = died && strlen(died) >= 10 ? yl_parse_day(died, 10) : YL_NO_DAY;
	f.flag[YL_FU_AFTER_DEATH] = json_is_true(json_object_get(u->patient, "deceasedBoolean")) ||
	                            (death != YL_NO_DAY && vs[i].day >= death);
	out->nflags = yl_plaus_eval(&f, out->flags, sizeof out->flags / sizeof out->flags[0]);
	json_t *enc = vs[i].enc;
	for (size_t k = 0; k < out->nflags; k++)
		yl_care_add_ext(enc, YL_SD "plausibility-flag", "valueCoding",
		                yl_care_coding("plausibility-flag", out->flags[k]));
	return YL_OK;
}

static void out_param(json_t *list, const char *name, const char *key, json_t *value)
{
	json_array_append_new(list, json_pack("{s:s,s:o}", "name", name, key, value));
}

static json_t *ref_value(const char *type, const char *id)
{
	return json_pack("{s:o}", "reference", json_sprintf("%s/%s", type, id));
}

static json_t *answer_doc(struct yl_arena *a, const struct yl_programme *prog,
                          const struct recorded *rec)
{
	json_t *p = json_array();
	const struct yl_fu_result *res = &rec->res;
	out_param(p, "classification", "valueCode", json_string(res->classification));
	out_param(p, "next-step", "valueCode", json_string(yl_next_step_code(res->next_step)));
	out_param(p, "next-date", "valueDate", json_string(yl_care_day_text(a, res->next_date)));
	for (size_t i = 0; i < res->nreason; i++)
		out_param(p, "referral-reason", "valueCode", json_string(res->reason[i]));
	for (size_t i = 0; i < res->ndanger; i++)
		out_param(p, "danger-sign", "valueCode", json_string(res->danger[i]));
	out_param(p, "at-target", "valueBoolean", json_boolean(res->at_target));
	for (size_t i = 0; i < rec->nflags; i++)
		out_param(p, "plausibility-flag", "valueCode", json_string(rec->flags[i]));
	out_param(p, "rule-pack", "valueString", json_string(yl_pack_id(prog->pack)));
	out_param(p, "encounter", "valueReference", ref_value("Encounter", rec->enc_id));
	for (size_t i = 0; i < rec->nobs; i++)
		out_param(p, "observation", "valueReference",
		          ref_value("Observation", rec->obs[i]));
	out_param(p, "enrolment", "valueReference", ref_value("EpisodeOfCare", rec->enrolment));
	for (size_t i = 0; i < rec->nrecomputed; i++)
		out_param(p, "recomputed", "valueReference",
		          ref_value("Encounter", rec->recomputed[i]));
	return json_pack("{s:s,s:o}", "resourceType", "Parameters", "parameter", p);
}

enum yl_code yl_h_record_followup(struct yl_req *r, struct yl_err *err)
{
	json_t *body;
	const struct yl_programme *prog;
	enum yl_code code = yl_care_input(r, yl_followup_params, yl_followup_nparams,
	                                  "$record-followup", &body, err);
	int64_t day = YL_NO_DAY; /* absent: the edited visit's day, or today */
	const char *doctor, *edit;
	if (code != YL_OK || (code = yl_programme_param(r, body, &prog, err)) ||
	    (yl_params_get(body, "date", 0) &&
	     (code = yl_care_param_day(r, body, "date", 0, &day, err))) ||
	    (code = yl_care_param_ref(r, body, "doctor", "Practitioner", &doctor, err)) ||
	    (code = yl_care_param_ref(r, body, "encounter", "Encounter", &edit, err)))
		return code;
	const char *way = yl_params_str(body, "way", 0);
	size_t w = 0, nways = sizeof ways / sizeof ways[0];
	while (way && w < nways && strcmp(ways[w].way, way) != 0)
		w++;
	if (way && w == nways)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, at(r->a, body, "way"),
		                  "'way' must be clinic, home or phone (%sfollowup-way)", YL_CS);
	struct yl_fu_facts form;
	json_t *lifestyle;
	if ((code = yl_followup_form(r->a, body, prog->pack, &form, err)) != YL_OK ||
	    (code = yl_followup_lifestyle(r->a, body, &lifestyle, err)) != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	bool own;
	if ((code = yl_care_begin(c, r->a, &own, err)) != YL_OK)
		return code;
	struct run u = {.r = r, .c = c, .prog = prog, .err = err};
	struct recorded *rec = yl_arena_calloc(r->a, 1, sizeof *rec);
	code = rec ? record(&u, body, &form, lifestyle, day, way, doctor, edit, rec)
	           : yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	code = yl_care_end(c, r->a, own, code, err);
	return code == YL_OK ? yl_care_answer(r, answer_doc(r->a, prog, rec), err) : code;
}
