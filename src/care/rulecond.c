/* rulecond.c -- facts and conditions of the rule packs (rulecond.h). */
#include "care/rulecond.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "core/time.h"

#define MAX_DEPTH 8 /* nesting of all/any/not */

static const char *const num_names[YL_FU_NNUM] = {
    [YL_FU_AGE] = "age",
    [YL_FU_SBP] = "sbp",
    [YL_FU_DBP] = "dbp",
    [YL_FU_FPG] = "fasting-glucose",
    [YL_FU_HBA1C] = "hba1c",
    [YL_FU_HR] = "heart-rate",
    [YL_FU_TEMP] = "temperature",
    [YL_FU_WEIGHT] = "weight",
    [YL_FU_HEIGHT] = "height",
    [YL_FU_BMI] = "bmi",
    [YL_FU_UNCONTROLLED_DAYS] = "uncontrolled-days",
    [YL_FU_COMORBIDITY] = "comorbidity-count",
    [YL_FU_EFI] = "efi",
    [YL_FU_REVIEW_DAYS] = "days-since-review",
    [YL_FU_IDENTICAL_RUN] = "identical-bp-run",
    [YL_FU_RECORDED_AFTER] = "recorded-days-after",
    [YL_FU_PULSE_PRESSURE] = "pulse-pressure",
    [YL_FU_BMI_GAP] = "bmi-gap",
};
static const char *const flag_names[YL_FU_NFLAG] = {
    [YL_FU_AT_TARGET] = "at-target",
    [YL_FU_PREV_AT_TARGET] = "previous-at-target",
    [YL_FU_ADVERSE] = "adverse-reaction",
    [YL_FU_ADVERSE_OK] = "adverse-reaction-controllable",
    [YL_FU_UNCONTROLLED_TWICE] = "uncontrolled-twice",
    [YL_FU_DANGER_LAST] = "danger-sign-last-visit",
    [YL_FU_AFTER_DEATH] = "after-death",
};
/* The code sets and where their codes come from: a yilian code system, or "" for value-set
 * urls, "#" for the deployment's programmes. */
static const struct {
	const char *name, *system;
} sets[YL_FU_NSET] = {
    [YL_FU_SYMPTOM] = {"symptom", "followup-symptom"},
    [YL_FU_COMPLICATION] = {"complication", "complication-change"},
    [YL_FU_ADHERENCE] = {"adherence", "medication-adherence"},
    [YL_FU_CONDITION] = {"condition", ""},
    [YL_FU_LAST_STEP] = {"last-next-step", "next-step"},
    [YL_FU_PROGRAMME] = {"programme", "#"},
};

enum { C_TRUE, C_NUM, C_FLAG, C_IN, C_ALL, C_ANY, C_NOT };
enum { LT, LE, GT, GE, EQ };
static const char *const cmp_names[] = {
    [LT] = "<", [LE] = "<=", [GT] = ">", [GE] = ">=", [EQ] = "="};

const char *yl_fu_num_name(enum yl_fu_num f)
{
	return num_names[f];
}
const char *yl_fu_flag_name(enum yl_fu_flag f)
{
	return flag_names[f];
}
const char *yl_fu_set_name(enum yl_fu_set f)
{
	return sets[f].name;
}

static int find_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int yl_fu_num_find(const char *name)
{
	return find_name(num_names, YL_FU_NNUM, name);
}

static int find_set(const char *name)
{
	for (size_t i = 0; name && i < YL_FU_NSET; i++)
		if (strcmp(sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

void yl_fu_facts_init(struct yl_fu_facts *f)
{
	memset(f, 0, sizeof *f);
	f->date = YL_NO_DAY;
	for (size_t i = 0; i < YL_FU_NFLAG; i++)
		f->flag[i] = -1;
}

void yl_fu_add_code(struct yl_fu_facts *f, enum yl_fu_set s, const char *code)
{
	for (size_t i = 0; i < f->ncodes[s]; i++)
		if (!strcmp(f->codes[s][i], code))
			return;
	if (f->ncodes[s] < YL_FU_MAX_CODES)
		f->codes[s][f->ncodes[s]++] = code;
}

enum yl_code yl_cond_fail(struct yl_cond_ctx *c, const char *where, const char *fmt,
                          const char *what)
{
	char *msg = yl_arena_printf(c->a, fmt, what ? what : "");
	return yl_err_add(c->err, c->a, YL_IO, NULL, "%s: %s: %s", c->file, where, msg ? msg : fmt);
}

bool yl_cond_known_code(struct yl_cond_ctx *c, enum yl_fu_set set, const char *code)
{
	if (!sets[set].system[0])
		return yl_care_valueset(code) != NULL;
	if (sets[set].system[0] == '#')
		return c->known_programme && c->known_programme(code);
	return yl_care_code(sets[set].system, code, "en") != NULL;
}

static enum yl_code compile(struct yl_cond_ctx *c, const json_t *j, const char *where, int depth,
                            struct yl_cond *out)
{
	memset(out, 0, sizeof *out);
	if (!j) {
		out->kind = C_TRUE;
		return YL_OK;
	}
	if (!json_is_object(j) || depth > MAX_DEPTH)
		return yl_cond_fail(
		    c, where, "a condition must be an object (nested at most 8 deep)%s", NULL);
	static const struct {
		const char *key;
		int kind;
	} groups[] = {{"all", C_ALL}, {"any", C_ANY}, {"not", C_NOT}};
	for (size_t k = 0; k < sizeof groups / sizeof groups[0]; k++) {
		const json_t *list = json_object_get(j, groups[k].key);
		if (!list)
			continue;
		out->kind = groups[k].kind;
		size_t n = groups[k].kind == C_NOT ? 1 : json_array_size(list);
		if (groups[k].kind == C_NOT ? !json_is_object(list) : (!json_is_array(list) || !n))
			return yl_cond_fail(c, where,
			                    "'%s' needs a condition (not) or a non-empty list",
			                    groups[k].key);
		if (!(out->kids = yl_arena_calloc(c->pool, n, sizeof *out->kids)))
			return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
		out->nkids = n;
		for (size_t i = 0; i < n; i++) {
			const json_t *kid =
			    groups[k].kind == C_NOT ? list : json_array_get(list, i);
			enum yl_code code = compile(c, kid, where, depth + 1, &out->kids[i]);
			if (code != YL_OK)
				return code;
		}
		return YL_OK;
	}
	const char *fact = json_string_value(json_object_get(j, "fact"));
	int i;
	if ((i = find_name(num_names, YL_FU_NNUM, fact)) >= 0) {
		out->kind = C_NUM;
		out->fact = i;
		int op = find_name(cmp_names, sizeof cmp_names / sizeof cmp_names[0],
		                   json_string_value(json_object_get(j, "op")));
		if (op < 0 || !json_is_number(json_object_get(j, "value")))
			return yl_cond_fail(
			    c, where,
			    "a condition on '%s' needs op (<, <=, >, >=, =) and a number value",
			    fact);
		out->op = op;
		out->value = json_number_value(json_object_get(j, "value"));
	} else if ((i = find_name(flag_names, YL_FU_NFLAG, fact)) >= 0) {
		out->kind = C_FLAG;
		out->fact = i;
		if (!json_is_boolean(json_object_get(j, "is")))
			return yl_cond_fail(c, where, "a condition on '%s' needs is: true or false",
			                    fact);
		out->is = json_is_true(json_object_get(j, "is"));
	} else if ((i = find_set(fact)) >= 0) {
		out->kind = C_IN;
		out->fact = i;
		const json_t *list = json_object_get(j, "in");
		size_t n = json_array_size(list);
		if (!n)
			return yl_cond_fail(c, where, "a condition on '%s' needs a list 'in'",
			                    fact);
		if (!(out->codes = yl_arena_calloc(c->pool, n, sizeof *out->codes)))
			return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
		for (size_t k = 0; k < n; k++) {
			const char *code = json_string_value(json_array_get(list, k));
			if (!code || !yl_cond_known_code(c, (enum yl_fu_set)i, code))
				return yl_cond_fail(
				    c, where,
				    "'%s' is not a code of the fact (nor a value set of "
				    "terminology/, nor a programme)",
				    code ? code : "(not a string)");
			out->codes[out->ncodes++] = code;
			if (i == YL_FU_CONDITION && c->vs && *c->nvs < c->maxvs) {
				bool seen = false;
				for (size_t m = 0; m < *c->nvs; m++)
					seen |= !strcmp(c->vs[m], code);
				if (!seen)
					c->vs[(*c->nvs)++] = code;
			}
		}
	} else
		return yl_cond_fail(c, where,
		                    "'%s' is not a fact the engine knows (docs/clinical-rules.md)",
		                    fact ? fact : "(no fact)");
	return YL_OK;
}

enum yl_code yl_cond_compile(struct yl_cond_ctx *c, const json_t *j, const char *where,
                             struct yl_cond *out)
{
	return compile(c, j, where, 0, out);
}

bool yl_cond_always(const struct yl_cond *c)
{
	return c->kind == C_TRUE;
}

bool yl_cond_test(const struct yl_cond *c, const struct yl_fu_facts *f)
{
	static const double eps = 1e-9; /* readings are decimals as written: 7.0 is 7.0 */
	switch (c->kind) {
	case C_TRUE:
		return true;
	case C_NUM: {
		if (!f->has[c->fact])
			return false;
		double v = f->num[c->fact];
		switch (c->op) {
		case LT:
			return v < c->value - eps;
		case LE:
			return v <= c->value + eps;
		case GT:
			return v > c->value + eps;
		case GE:
			return v >= c->value - eps;
		case EQ:
			return fabs(v - c->value) <= eps;
		}
		return false;
	}
	case C_FLAG:
		return f->flag[c->fact] == (c->is ? 1 : 0);
	case C_IN:
		for (size_t i = 0; i < f->ncodes[c->fact]; i++)
			for (size_t k = 0; k < c->ncodes; k++)
				if (strcmp(f->codes[c->fact][i], c->codes[k]) == 0)
					return true;
		return false;
	case C_ALL:
		for (size_t i = 0; i < c->nkids; i++)
			if (!yl_cond_test(&c->kids[i], f))
				return false;
		return true;
	case C_ANY:
		for (size_t i = 0; i < c->nkids; i++)
			if (yl_cond_test(&c->kids[i], f))
				return true;
		return false;
	case C_NOT:
		return !yl_cond_test(&c->kids[0], f);
	}
	return false;
}

enum yl_code yl_fu_facts_json(struct yl_arena *a, const json_t *o, struct yl_fu_facts *f,
                              struct yl_err *err)
{
	yl_fu_facts_init(f);
	if (!json_is_object(o))
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL, "facts must be an object");
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *)o, k, v) {
		int i;
		if (!strcmp(k, "date")) {
			const char *d = json_string_value(v);
			if (!d || (f->date = yl_parse_day(d, strlen(d))) == YL_NO_DAY)
				return yl_err_add(err, a, YL_BAD_REQUEST, k,
				                  "'date' is a YYYY-MM-DD");
		} else if ((i = find_name(num_names, YL_FU_NNUM, k)) >= 0) {
			if (!json_is_number(v))
				return yl_err_add(err, a, YL_BAD_REQUEST, k, "'%s' is a number", k);
			f->num[i] = json_number_value(v);
			f->has[i] = true;
		} else if ((i = find_name(flag_names, YL_FU_NFLAG, k)) >= 0) {
			if (!json_is_boolean(v))
				return yl_err_add(err, a, YL_BAD_REQUEST, k,
				                  "'%s' is true or false", k);
			f->flag[i] = json_is_true(v);
		} else if ((i = find_set(k)) >= 0) {
			if (json_is_string(v)) {
				f->codes[i][f->ncodes[i]++] = json_string_value(v);
				continue;
			}
			size_t j;
			const json_t *c;
			json_array_foreach (v, j, c) {
				if (!json_is_string(c) || f->ncodes[i] == YL_FU_MAX_CODES)
					return yl_err_add(err, a, YL_BAD_REQUEST, k,
					                  "'%s' is a list of at most %d codes", k,
					                  YL_FU_MAX_CODES);
				f->codes[i][f->ncodes[i]++] = json_string_value(c);
			}
		} else
			return yl_err_add(err, a, YL_BAD_REQUEST, k, "'%s' is not a fact", k);
	}
	return YL_OK;
}

bool yl_expect_match(struct yl_arena *a, const json_t *actual, const json_t *expect,
                     const char **why)
{
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *)expect, k, v) {
		const json_t *got = json_object_get(actual, k);
		if (!got) {
			*why = yl_arena_printf(a, "'%s' is not something a result has", k);
			return false;
		}
		if (!json_equal(got, v)) {
			char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			char *have = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
			*why = yl_arena_printf(a, "%s: expected %s, got %s", k, want ? want : "?",
			                       have ? have : "?");
			free(want);
			free(have);
			return false;
		}
	}
	return true;
}
