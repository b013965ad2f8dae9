/* rulepack.c -- programmes and follow-up rule packs: load, check, evaluate (rulepack.h). */
#include "care/rulepack.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/plausibility.h"
#include "care/risk.h"
#include "core/time.h"

#define MAX_PACKS      16
#define MAX_PROGRAMMES 8
#define MAX_VALUESETS  32

/* ---- facts ------------------------------------------------------------------------- */

static const char *const step_codes[] = {
    [YL_NEXT_NONE] = "none",
    [YL_NEXT_ROUTINE] = "routine",
    [YL_NEXT_TWO_WEEK] = "two-week",
    [YL_NEXT_REFERRAL] = "referral",
    [YL_NEXT_URGENT] = "urgent-referral",
};
#define NSTEPS (sizeof step_codes / sizeof step_codes[0])

const char *yl_next_step_code(enum yl_next_step s)
{
	return step_codes[s];
}

static int find_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

enum yl_next_step yl_next_step_find(const char *code)
{
	int i = find_name(step_codes, NSTEPS, code);
	return i > 0 ? (enum yl_next_step)i : YL_NEXT_NONE;
}

/* ---- compiled packs ---------------------------------------------------------------- */

struct target {
	struct yl_cond when;
	double below[YL_FU_NNUM];
	bool has_below[YL_FU_NNUM];
};

struct danger {
	const char *code;
	struct yl_cond when;
};

struct crule {
	const char *id;
	struct yl_cond when;
	const char *classification;
	enum yl_next_step next;
	const char *reason;
};

struct interval {
	int months, days;
};

struct yl_pack {
	const char *file, *id, *programme, *edition, *valueset;
	json_t *doc; /* the pack as read, merged over its base when it extends one */
	int min_age;
	bool required[YL_FU_NNUM];
	struct target *targets;
	size_t ntargets;
	struct danger *dangers;
	size_t ndangers;
	const char **dsym;
	size_t ndsym;
	enum yl_next_step danger_next;
	const char *danger_reason;
	struct crule *rules;
	size_t nrules;
	struct interval iv[NSTEPS];
	const char *valuesets[MAX_VALUESETS];
	size_t nvaluesets;
};

static struct {
	struct yl_arena *a; /* compiled rules */
	json_t *programmes_doc;
	struct yl_pack packs[MAX_PACKS];
	size_t npacks;
	struct yl_programme progs[MAX_PROGRAMMES];
	size_t nprogs;
	json_t *form_doc;
	struct yl_fu_reading readings[YL_FU_NNUM], panel;
	size_t nreadings;
	struct yl_fu_lifestyle life[16];
	size_t nlife;
} g;

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void yl_packs_unload(void)
{
	for (size_t i = 0; i < g.npacks; i++)
		json_decref(g.packs[i].doc);
	yl_risk_unload();
	yl_plaus_unload();
	json_decref(g.programmes_doc);
	json_decref(g.form_doc);
	yl_arena_destroy(g.a);
	memset(&g, 0, sizeof g);
}

static bool known_programme(const char *name)
{
	return json_object_get(json_object_get(g.programmes_doc, "programmes"), name) != NULL;
}

/* Compiling one pack: messages name its file. */
struct ctx {
	struct yl_pack *p;
	struct yl_arena *a;
	struct yl_err *err;
	struct yl_cond_ctx cc;
};

static void ctx_init(struct ctx *c, struct yl_pack *p, struct yl_arena *a, struct yl_err *err)
{
	*c = (struct ctx){p, a, err,
	                  (struct yl_cond_ctx){p->file, g.a, a, err, p->valuesets, &p->nvaluesets,
	                                       MAX_VALUESETS, known_programme}};
}

static enum yl_code fail(struct ctx *c, const char *where, const char *fmt, const char *what)
{
	return yl_cond_fail(&c->cc, where, fmt, what);
}

static enum yl_code compile_cond(struct ctx *c, const json_t *j, const char *where,
                                 struct yl_cond *out)
{
	return yl_cond_compile(&c->cc, j, where, out);
}

static const char *where(struct ctx *c, const char *fmt, size_t i)
{
	char *s = yl_arena_printf(c->a, fmt, i);
	return s ? s : fmt;
}

static enum yl_code compile_targets(struct ctx *c)
{
	const json_t *list = json_object_get(c->p->doc, "targets");
	size_t n = json_array_size(list);
	if (!n)
		return fail(c, "targets", "a pack needs at least one target%s", NULL);
	if (!(c->p->targets = yl_arena_calloc(g.a, n, sizeof *c->p->targets)))
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(list, i);
		struct target *out = &c->p->targets[i];
		const char *at = where(c, "targets[%zu]", i);
		enum yl_code code = compile_cond(c, json_object_get(t, "when"), at, &out->when);
		if (code != YL_OK)
			return code;
		const char *k;
		const json_t *v;
		size_t nbelow = 0;
		json_object_foreach ((json_t *)json_object_get(t, "below"), k, v) {
			int f = yl_fu_num_find(k);
			if (f < 0 || !json_is_number(v))
				return fail(c, at,
				            "'below' holds '%s', not a reading with a number", k);
			out->below[f] = json_number_value(v);
			out->has_below[f] = true;
			nbelow++;
		}
		if (!nbelow || !str(t, "source"))
			return fail(c, at, "a target needs 'below' and its 'source'%s", NULL);
	}
	c->p->ntargets = n;
	if (!yl_cond_always(&c->p->targets[n - 1].when))
		return fail(c, "targets",
		            "the last target must have no 'when' (it is the default)%s", NULL);
	return YL_OK;
}

static enum yl_code compile_dangers(struct ctx *c)
{
	const json_t *list = json_object_get(c->p->doc, "danger_signs");
	size_t n = json_array_size(list);
	if (n && !(c->p->dangers = yl_arena_calloc(g.a, n, sizeof *c->p->dangers)))
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(list, i);
		const char *at = where(c, "danger_signs[%zu]", i);
		struct danger *out = &c->p->dangers[i];
		out->code = str(d, "code");
		if (!out->code || !yl_care_code("danger-sign", out->code, "en") ||
		    !json_object_get(d, "when") || !str(d, "source"))
			return fail(
			    c, at,
			    "a danger sign needs a code of CodeSystem danger-sign ('%s' is not "
			    "one), a 'when' and its 'source'",
			    out->code ? out->code : "");
		enum yl_code code = compile_cond(c, json_object_get(d, "when"), at, &out->when);
		if (code != YL_OK)
			return code;
	}
	c->p->ndangers = n;
	const json_t *sym = json_object_get(json_object_get(c->p->doc, "danger_symptoms"), "codes");
	n = json_array_size(sym);
	if (n && !(c->p->dsym = yl_arena_calloc(g.a, n, sizeof *c->p->dsym)))
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *code = json_string_value(json_array_get(sym, i));
		if (!code || !yl_cond_known_code(&c->cc, YL_FU_SYMPTOM, code))
			return fail(c, "danger_symptoms",
			            "'%s' is not a code of CodeSystem followup-symptom",
			            code ? code : "(not a string)");
		c->p->dsym[c->p->ndsym++] = code;
	}
	const json_t *d = json_object_get(c->p->doc, "danger");
	c->p->danger_next = yl_next_step_find(str(d, "next_step"));
	c->p->danger_reason = str(d, "referral_reason");
	if (c->p->danger_next == YL_NEXT_NONE ||
	    (c->p->danger_reason && !yl_care_code("referral-reason", c->p->danger_reason, "en")))
		return fail(c, "danger",
		            "needs next_step (routine, two-week, referral, urgent-referral) and a "
		            "referral_reason of CodeSystem referral-reason%s",
		            NULL);
	return YL_OK;
}

static enum yl_code compile_rules(struct ctx *c)
{
	const json_t *list = json_object_get(c->p->doc, "classification");
	size_t n = json_array_size(list);
	if (!n || !(c->p->rules = yl_arena_calloc(g.a, n, sizeof *c->p->rules)))
		return n ? yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory")
		         : fail(c, "classification", "a pack needs classification rules%s", NULL);
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(list, i);
		struct crule *out = &c->p->rules[i];
		const char *at = where(c, "classification[%zu]", i);
		out->id = str(r, "id");
		out->classification = str(r, "classification");
		out->next = yl_next_step_find(str(r, "next_step"));
		out->reason = str(r, "referral_reason");
		if (!out->id || !out->classification ||
		    !yl_care_code("followup-classification", out->classification, "en") ||
		    out->next == YL_NEXT_NONE || !str(r, "source"))
			return fail(c, at,
			            "a rule needs id, classification (a code of CodeSystem "
			            "followup-classification), next_step and source%s",
			            NULL);
		if (out->reason && !yl_care_code("referral-reason", out->reason, "en"))
			return fail(c, at, "'%s' is not a code of CodeSystem referral-reason",
			            out->reason);
		enum yl_code code = compile_cond(c, json_object_get(r, "when"), at, &out->when);
		if (code != YL_OK)
			return code;
	}
	c->p->nrules = n;
	if (!yl_cond_always(&c->p->rules[n - 1].when))
		return fail(c, "classification",
		            "the last rule must have no 'when', so every visit is classified%s",
		            NULL);
	return YL_OK;
}

static enum yl_code compile_pack(struct ctx *c)
{
	struct yl_pack *p = c->p;
	p->id = str(p->doc, "id");
	p->programme = str(p->doc, "programme");
	p->edition = str(p->doc, "edition");
	const json_t *el = json_object_get(p->doc, "eligibility");
	p->valueset = str(el, "valueset");
	p->min_age = (int)json_integer_value(json_object_get(el, "min_age"));
	if (!p->id || !p->programme || !p->edition || !str(p->doc, "source") ||
	    !str(json_object_get(p->doc, "effective"), "start") || !str(p->doc, "jurisdiction"))
		return fail(c, "pack",
		            "a pack needs id, programme, edition, source, effective.start and "
		            "jurisdiction%s",
		            NULL);
	if (!yl_care_valueset(p->valueset) || !str(el, "source"))
		return fail(
		    c, "eligibility",
		    "needs valueset (a value set of terminology/: '%s' is not), min_age and "
		    "source",
		    p->valueset);
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(p->doc, "required"), i, v) {
		int f = yl_fu_num_find(json_string_value(v));
		if (f < 0)
			return fail(c, "required", "'%s' is not a reading",
			            json_string_value(v) ? json_string_value(v) : "(not a string)");
		p->required[f] = true;
	}
	const json_t *iv = json_object_get(p->doc, "intervals");
	for (size_t s = YL_NEXT_ROUTINE; s < NSTEPS; s++) {
		const json_t *e = json_object_get(iv, step_codes[s]);
		p->iv[s].months = (int)json_integer_value(json_object_get(e, "months"));
		p->iv[s].days = (int)json_integer_value(json_object_get(e, "days"));
		if (p->iv[s].months < 0 || p->iv[s].days < 0 || p->iv[s].months > 24 ||
		    p->iv[s].days > 730 || p->iv[s].months + p->iv[s].days == 0 ||
		    !str(e, "source"))
			return fail(c, "intervals",
			            "'%s' needs months or days (up to 2 years) and its source",
			            step_codes[s]);
	}
	enum yl_code code;
	if ((code = compile_targets(c)) != YL_OK || (code = compile_dangers(c)) != YL_OK)
		return code;
	return compile_rules(c);
}

/* A pack that extends another: the base's members, then this pack's; classification_add
 * rules go before the rule they name. */
static json_t *merge(struct ctx *c, const json_t *base, json_t *doc)
{
	json_t *out = json_deep_copy(base);
	if (!out)
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach (doc, k, v)
		if (strcmp(k, "classification_add") && strcmp(k, "extends"))
			json_object_set(out, k, v);
	json_object_set(out, "extends", json_object_get(doc, "extends"));
	json_t *rules = json_object_get(out, "classification");
	size_t i;
	json_array_foreach (json_object_get(doc, "classification_add"), i, v) {
		const char *before = str(v, "before");
		size_t at = json_array_size(rules);
		for (size_t r = 0; before && r < json_array_size(rules); r++)
			if (str(json_array_get(rules, r), "id") &&
			    !strcmp(str(json_array_get(rules, r), "id"), before))
				at = r;
		if (!before || at == json_array_size(rules)) {
			fail(c, "classification_add",
			     "'before' must name a rule of the base pack%s", NULL);
			json_decref(out);
			return NULL;
		}
		json_array_insert(rules, at, v);
	}
	return out;
}

static json_t *read_json(const char *dir, const char *name, struct yl_arena *a, struct yl_err *err)
{
	char *path = yl_arena_printf(a, "%s/%s", dir, name);
	json_error_t je;
	json_t *doc = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!doc)
		yl_err_add(err, a, YL_IO, NULL, "%s: %s (line %d)", path ? path : name,
		           path ? je.text : "out of memory", path ? je.line : 0);
	return doc;
}

enum yl_code yl_packs_chosen(const char *dir, const json_t *programmes, const char *kind,
                             const char *use_key, json_t **doc, const char **file,
                             struct yl_arena *a, struct yl_err *err)
{
	*doc = NULL;
	const char *want = str(json_object_get(programmes, "use"), use_key);
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(programmes, "packs"), i, f) {
		json_t *d =
		    json_string_value(f) ? read_json(dir, json_string_value(f), a, err) : NULL;
		if (!d)
			return err->code
			           ? err->code
			           : yl_err_add(err, a, YL_IO, NULL,
			                        "rules/programmes.json: packs[%zu] is not a file "
			                        "name",
			                        i);
		if (want && str(d, "kind") && !strcmp(str(d, "kind"), kind) && str(d, "id") &&
		    !strcmp(str(d, "id"), want)) {
			*file = json_string_value(f);
			if (!str(d, "source") || !str(json_object_get(d, "effective"), "start") ||
			    !str(d, "jurisdiction") || !str(d, "edition")) {
				json_decref(d);
				return yl_err_add(
				    err, a, YL_IO, NULL,
				    "%s: a pack needs id, edition, source, effective.start "
				    "and jurisdiction",
				    *file);
			}
			*doc = d;
			return YL_OK;
		}
		json_decref(d);
	}
	return yl_err_add(err, a, YL_IO, NULL,
	                  "rules/programmes.json: 'use.%s' must name a %s among its packs", use_key,
	                  kind);
}

const struct yl_pack *yl_pack_by_id(const char *id)
{
	for (size_t i = 0; id && i < g.npacks; i++)
		if (strcmp(g.packs[i].id, id) == 0)
			return &g.packs[i];
	return NULL;
}

static enum yl_code load_packs(const char *dir, struct yl_arena *a, struct yl_err *err)
{
	const json_t *files = json_object_get(g.programmes_doc, "packs");
	if (json_array_size(files) > MAX_PACKS)
		return yl_err_add(err, a, YL_IO, NULL, "rules/programmes.json: more than %d packs",
		                  MAX_PACKS);
	json_t *raw[MAX_PACKS] = {0};
	size_t n = json_array_size(files);
	enum yl_code code = YL_OK;
	for (size_t i = 0; i < n && code == YL_OK; i++) {
		const char *file = json_string_value(json_array_get(files, i));
		if (!file || !(raw[i] = read_json(dir, file, a, err)))
			code = file
			           ? err->code
			           : yl_err_add(
			                 err, a, YL_IO, NULL,
			                 "rules/programmes.json: packs[%zu] is not a file name", i);
		else if (!str(raw[i], "kind") || (strcmp(str(raw[i], "kind"), "followup-pack") &&
		                                  strcmp(str(raw[i], "kind"), "risk-pack") &&
		                                  strcmp(str(raw[i], "kind"), "recall-pack") &&
		                                  strcmp(str(raw[i], "kind"), "plausibility-pack")))
			code = yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: 'kind' must be followup-pack, risk-pack, recall-pack or "
			    "plausibility-pack",
			    file);
	}
	/* Packs without a base first, then those that extend one of them. */
	for (int pass = 0; pass < 2 && code == YL_OK; pass++)
		for (size_t i = 0; i < n && code == YL_OK; i++) {
			const char *base_id = str(raw[i], "extends");
			if ((pass == 0) != (base_id == NULL) ||
			    strcmp(str(raw[i], "kind"), "followup-pack") != 0)
				continue; /* risk and recall packs: care/risk.c */
			struct yl_pack *p = &g.packs[g.npacks];
			p->file = json_string_value(json_array_get(files, i));
			struct ctx c;
			ctx_init(&c, p, a, err);
			const struct yl_pack *base = yl_pack_by_id(base_id);
			if (base_id && (!base || str(base->doc, "extends"))) {
				code = fail(&c, "extends",
				            "'%s' is not a shipped pack without a base", base_id);
				break;
			}
			p->doc = base ? merge(&c, base->doc, raw[i]) : json_incref(raw[i]);
			if (!p->doc) {
				code = err->code
				           ? err->code
				           : yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
				break;
			}
			json_object_set(p->doc, "tests", json_object_get(raw[i], "tests"));
			g.npacks++;
			if ((code = compile_pack(&c)) == YL_OK && yl_pack_by_id(p->id) != p)
				code = fail(&c, "id", "two packs have the id '%s'", p->id);
			size_t ran;
			if (code == YL_OK)
				code = yl_pack_run_tests(p, a, &ran, err);
		}
	for (size_t i = 0; i < n; i++)
		json_decref(raw[i]);
	return code;
}

static enum yl_code load_programmes(const char *const *use, size_t nuse, struct yl_arena *a,
                                    struct yl_err *err)
{
	static const char file[] = "rules/programmes.json";
	const char *name;
	const json_t *v;
	json_object_foreach ((json_t *)json_object_get(g.programmes_doc, "programmes"), name, v) {
		if (g.nprogs == MAX_PROGRAMMES)
			return yl_err_add(err, a, YL_IO, NULL, "%s: too many programmes", file);
		struct yl_programme *p = &g.progs[g.nprogs++];
		p->name = name;
		p->episode_type = str(v, "episode_type");
		p->encounter_type = str(v, "encounter_type");
		p->pack = yl_pack_by_id(str(json_object_get(g.programmes_doc, "use"), name));
		for (size_t i = 0; i < nuse; i++) {
			const struct yl_pack *alt = yl_pack_by_id(use[i]);
			if (!alt)
				return yl_err_add(err, a, YL_IO, NULL,
				                  "--rule-pack %s: no such pack in %s", use[i],
				                  file);
			if (!strcmp(alt->programme, name))
				p->pack = alt;
		}
		if (!p->episode_type || !yl_care_code("episode-type", p->episode_type, "en") ||
		    !p->encounter_type || !yl_care_code("encounter-type", p->encounter_type, "en"))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: programme '%s' needs episode_type and encounter_type, "
			    "codes of CodeSystem episode-type and encounter-type",
			    file, name);
		if (!p->pack || strcmp(p->pack->programme, name) != 0)
			return yl_err_add(err, a, YL_IO, NULL,
			                  "%s: 'use' must pick a pack of programme '%s'", file,
			                  name);
	}
	return YL_OK;
}

static enum yl_code load_form(const char *dir, struct yl_arena *a, struct yl_err *err)
{
	static const char file[] = "rules/followup-form.json";
	if (!(g.form_doc = read_json(dir, file, a, err)))
		return err->code;
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(g.form_doc, "readings"), i, e) {
		int f = yl_fu_num_find(str(e, "name"));
		const json_t *st = json_object_get(e, "store");
		if (f < 0 || g.nreadings == YL_FU_NNUM || yl_fu_reading((enum yl_fu_num)f))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: readings[%zu]: '%s' is not a reading (or is given twice)", file, i,
			    str(e, "name") ? str(e, "name") : "");
		struct yl_fu_reading *r = &g.readings[g.nreadings];
		*r = (struct yl_fu_reading){(enum yl_fu_num)f,
		                            str(e, "unit"),
		                            json_number_value(json_object_get(e, "min")),
		                            json_number_value(json_object_get(e, "max")),
		                            str(st, "code"),
		                            str(st, "display"),
		                            str(st, "text"),
		                            str(st, "category"),
		                            str(st, "panel"),
		                            str(st, "id")};
		if (!r->unit || !r->code || !r->obs || !(r->min < r->max) ||
		    (!r->panel && (!r->category || !r->display)))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: readings[%zu] needs unit, min < max, and store.code, "
			    "store.id (and display and category unless in a panel)",
			    file, i);
		g.nreadings++;
	}
	const json_t *life = json_object_get(g.form_doc, "lifestyle");
	json_array_foreach (json_object_get(life, "numbers"), i, e) {
		struct yl_fu_lifestyle *l = &g.life[g.nlife];
		*l = (struct yl_fu_lifestyle){str(e, "name"), str(e, "unit"), NULL,
		                              json_number_value(json_object_get(e, "min")),
		                              json_number_value(json_object_get(e, "max"))};
		if (g.nlife == 16 || !l->name || !l->unit || !(l->min < l->max))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: lifestyle.numbers[%zu] needs name, unit and min < max", file, i);
		g.nlife++;
	}
	json_array_foreach (json_object_get(life, "codes"), i, e) {
		struct yl_fu_lifestyle *l = &g.life[g.nlife];
		*l = (struct yl_fu_lifestyle){str(e, "name"), NULL, str(e, "system"), 0, 0};
		if (g.nlife == 16 || !l->name || !l->system ||
		    !yl_care_code("followup-item", l->name, "en"))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "%s: lifestyle.codes[%zu] needs a name (a code of CodeSystem "
			    "followup-item) and its code system",
			    file, i);
		g.nlife++;
	}
	for (size_t k = 0; k < g.nlife; k++)
		if (!yl_care_code("followup-item", g.life[k].name, "en"))
			return yl_err_add(err, a, YL_IO, NULL,
			                  "%s: lifestyle item '%s' is not a code of CodeSystem "
			                  "followup-item",
			                  file, g.life[k].name);
	const json_t *p = json_object_get(g.form_doc, "blood_pressure_panel");
	g.panel = (struct yl_fu_reading){.code = str(p, "code"),
	                                 .display = str(p, "display"),
	                                 .text = str(p, "text"),
	                                 .category = str(p, "category")};
	if (!g.panel.code || !g.panel.display || !g.panel.category)
		return yl_err_add(err, a, YL_IO, NULL,
		                  "%s: blood_pressure_panel needs code, display and category",
		                  file);
	return YL_OK;
}

size_t yl_fu_reading_count(void)
{
	return g.nreadings;
}
const struct yl_fu_reading *yl_fu_reading_at(size_t i)
{
	return i < g.nreadings ? &g.readings[i] : NULL;
}
const struct yl_fu_reading *yl_fu_reading(enum yl_fu_num f)
{
	for (size_t i = 0; i < g.nreadings; i++)
		if (g.readings[i].fact == f)
			return &g.readings[i];
	return NULL;
}
size_t yl_fu_lifestyle_count(void)
{
	return g.nlife;
}
const struct yl_fu_lifestyle *yl_fu_lifestyle_at(size_t i)
{
	return i < g.nlife ? &g.life[i] : NULL;
}
const struct yl_fu_reading *yl_fu_bp_panel(void)
{
	return &g.panel;
}

enum yl_code yl_packs_load(const char *dir, const char *const *use, size_t nuse, struct yl_arena *a,
                           struct yl_err *err)
{
	yl_packs_unload();
	if (!yl_care_rules())
		return yl_err_add(err, a, YL_IO, NULL,
		                  "the rule packs need terminology/ loaded first (care/config.h)");
	if (!(g.a = yl_arena_create(16384)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code = (g.programmes_doc = read_json(dir, "rules/programmes.json", a, err))
	                        ? load_packs(dir, a, err)
	                        : err->code;
	if (code == YL_OK)
		code = load_programmes(use, nuse, a, err);
	if (code == YL_OK)
		code = load_form(dir, a, err);
	if (code == YL_OK)
		code = yl_risk_load(dir, g.programmes_doc, a, err);
	if (code == YL_OK)
		code = yl_plaus_load(dir, g.programmes_doc, a, err);
	if (code != YL_OK)
		yl_packs_unload();
	return code;
}

size_t yl_programme_count(void)
{
	return g.nprogs;
}
const struct yl_programme *yl_programme_at(size_t i)
{
	return i < g.nprogs ? &g.progs[i] : NULL;
}
const struct yl_programme *yl_programme(const char *name)
{
	for (size_t i = 0; name && i < g.nprogs; i++)
		if (strcmp(g.progs[i].name, name) == 0)
			return &g.progs[i];
	return NULL;
}

size_t yl_pack_count(void)
{
	return g.npacks;
}
const struct yl_pack *yl_pack_at(size_t i)
{
	return i < g.npacks ? &g.packs[i] : NULL;
}
const char *yl_pack_id(const struct yl_pack *p)
{
	return p->id;
}
const char *yl_pack_programme(const struct yl_pack *p)
{
	return p->programme;
}
const char *yl_pack_edition(const struct yl_pack *p)
{
	return p->edition;
}
int yl_pack_min_age(const struct yl_pack *p)
{
	return p->min_age;
}
const char *yl_pack_valueset(const struct yl_pack *p)
{
	return p->valueset;
}
bool yl_pack_requires(const struct yl_pack *p, enum yl_fu_num f)
{
	return p->required[f];
}
size_t yl_pack_valueset_count(const struct yl_pack *p)
{
	return p->nvaluesets;
}
const char *yl_pack_valueset_at(const struct yl_pack *p, size_t i)
{
	return i < p->nvaluesets ? p->valuesets[i] : NULL;
}

bool yl_pack_danger_symptom(const struct yl_pack *p, const char *code)
{
	for (size_t i = 0; code && i < p->ndsym; i++)
		if (strcmp(p->dsym[i], code) == 0)
			return true;
	return false;
}

/* ---- evaluation -------------------------------------------------------------------- */

static void add_once(const char **list, size_t *n, const char *code)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], code) == 0)
			return;
	if (*n < YL_FU_MAX_FOUND)
		list[(*n)++] = code;
}

void yl_pack_eval(const struct yl_pack *p, struct yl_fu_facts *f, struct yl_fu_result *out)
{
	memset(out, 0, sizeof *out);
	const struct target *t = &p->targets[p->ntargets - 1];
	for (size_t i = 0; i < p->ntargets; i++)
		if (yl_cond_test(&p->targets[i].when, f)) {
			t = &p->targets[i];
			break;
		}
	out->at_target = true;
	for (size_t k = 0; k < YL_FU_NNUM; k++)
		if (t->has_below[k] && !(f->has[k] && f->num[k] < t->below[k] - 1e-9))
			out->at_target = false;
	f->flag[YL_FU_AT_TARGET] = out->at_target;

	for (size_t i = 0; i < p->ndangers; i++)
		if (yl_cond_test(&p->dangers[i].when, f))
			add_once(out->danger, &out->ndanger, p->dangers[i].code);
	for (size_t i = 0; i < f->ncodes[YL_FU_SYMPTOM]; i++)
		if (yl_pack_danger_symptom(p, f->codes[YL_FU_SYMPTOM][i]))
			add_once(out->danger, &out->ndanger, f->codes[YL_FU_SYMPTOM][i]);

	for (size_t i = 0; i < p->nrules; i++) {
		const struct crule *r = &p->rules[i];
		if (!yl_cond_test(&r->when, f))
			continue;
		if (!out->classification) {
			out->classification = r->classification;
			out->rule = r->id;
		}
		if (r->next > out->next_step)
			out->next_step = r->next;
		if (r->reason)
			add_once(out->reason, &out->nreason, r->reason);
	}
	if (out->ndanger) {
		if (p->danger_next > out->next_step)
			out->next_step = p->danger_next;
		if (p->danger_reason)
			add_once(out->reason, &out->nreason, p->danger_reason);
	}
	out->next_date =
	    f->date == YL_NO_DAY ? YL_NO_DAY : yl_pack_next_date(p, out->next_step, f->date);
}

int64_t yl_pack_next_date(const struct yl_pack *p, enum yl_next_step s, int64_t day)
{
	const struct interval *iv = &p->iv[s < NSTEPS ? s : YL_NEXT_ROUTINE];
	return yl_add_months(day, iv->months) + iv->days;
}

static json_t *list_json(const char *const *l, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

json_t *yl_fu_result_json(struct yl_arena *a, const struct yl_fu_result *r)
{
	char day[YL_DAY_LEN] = "none";
	if (r->next_date != YL_NO_DAY)
		yl_format_day(r->next_date, day);
	(void)a;
	return json_pack("{s:s?,s:s,s:s,s:b,s:o,s:o}", "classification", r->classification,
	                 "next-step", yl_next_step_code(r->next_step), "next-date", day,
	                 "at-target", r->at_target, "danger-sign", list_json(r->danger, r->ndanger),
	                 "referral-reason", list_json(r->reason, r->nreason));
}

bool yl_fu_expect(struct yl_arena *a, const struct yl_fu_result *r, const json_t *expect,
                  const char **why)
{
	json_t *actual = yl_fu_result_json(a, r);
	bool ok = yl_expect_match(a, actual, expect, why);
	json_decref(actual);
	return ok;
}

enum yl_code yl_pack_run_tests(const struct yl_pack *p, struct yl_arena *a, size_t *n,
                               struct yl_err *err)
{
	*n = 0;
	size_t i;
	const json_t *t;
	json_array_foreach (json_object_get(p->doc, "tests"), i, t) {
		struct yl_fu_facts f;
		struct yl_fu_result r;
		const char *name = str(t, "name") ? str(t, "name") : "(unnamed)";
		const char *why;
		enum yl_code code = yl_fu_facts_json(a, json_object_get(t, "facts"), &f, err);
		if (code != YL_OK)
			return yl_err_add(err, a, YL_IO, NULL, "%s: test '%s': facts: %s", p->file,
			                  name, err->last ? err->last->message : "");
		yl_pack_eval(p, &f, &r);
		if (!json_is_object(json_object_get(t, "expect")) ||
		    !yl_fu_expect(a, &r, json_object_get(t, "expect"), &why))
			return yl_err_add(
			    err, a, YL_IO, NULL, "%s: test '%s' fails: %s", p->file, name,
			    json_is_object(json_object_get(t, "expect")) ? why : "no 'expect'");
		++*n;
	}
	return YL_OK;
}
