/* plausibility.c -- follow-up plausibility flags and the digit report (plausibility.h). */
#include "care/plausibility.h"

#include <jansson.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/followup.h"
#include "care/rulepack.h"
#include "core/time.h"
#include "fhir/rest.h"
#include "http/url.h"

#define MAX_FLAGS 32

static struct {
	struct yl_arena *pool;
	json_t *doc;
	const char *codes[MAX_FLAGS];
	struct yl_cond when[MAX_FLAGS];
	size_t n;
	int min_readings;
	double zero_share, under_share;
	bool loaded;
} g;

void yl_plaus_unload(void)
{
	json_decref(g.doc);
	yl_arena_destroy(g.pool);
	memset(&g, 0, sizeof g);
}

static json_t *flags_json(const struct yl_fu_facts *f)
{
	const char *out[MAX_FLAGS];
	size_t n = yl_plaus_eval(f, out, MAX_FLAGS);
	json_t *l = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(l, json_string(out[i]));
	return l;
}

static enum yl_code run_tests(struct yl_arena *a, const char *file, struct yl_err *err)
{
	size_t i;
	const json_t *t;
	json_array_foreach (json_object_get(g.doc, "tests"), i, t) {
		const char *name = json_string_value(json_object_get(t, "name")), *why = "";
		struct yl_fu_facts f;
		if (yl_fu_facts_json(a, json_object_get(t, "facts"), &f, err) != YL_OK)
			return yl_err_add(err, a, YL_IO, NULL, "%s: test '%s': %s", file,
			                  name ? name : "", err->last ? err->last->message : "");
		json_t *actual = json_pack("{s:o}", "flags", flags_json(&f));
		bool ok = json_is_object(json_object_get(t, "expect")) &&
		          yl_expect_match(a, actual, json_object_get(t, "expect"), &why);
		json_decref(actual);
		if (!ok)
			return yl_err_add(err, a, YL_IO, NULL, "%s: test '%s' fails: %s", file,
			                  name ? name : "", why);
	}
	return YL_OK;
}

enum yl_code yl_plaus_load(const char *dir, const json_t *programmes, struct yl_arena *a,
                           struct yl_err *err)
{
	yl_plaus_unload();
	if (!(g.pool = yl_arena_create(4096)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	const char *file = "rules/programmes.json";
	enum yl_code code = yl_packs_chosen(dir, programmes, "plausibility-pack", "plausibility",
	                                    &g.doc, &file, a, err);
	struct yl_cond_ctx c = {file, g.pool, a, err, NULL, NULL, 0, NULL};
	size_t i;
	const json_t *fl;
	json_array_foreach (code == YL_OK ? json_object_get(g.doc, "flags") : NULL, i, fl) {
		const char *at = yl_arena_printf(a, "flags[%zu]", i);
		const char *flag = json_string_value(json_object_get(fl, "code"));
		if (g.n == MAX_FLAGS || !yl_care_code("plausibility-flag", flag, "en") ||
		    !json_object_get(fl, "when") ||
		    !json_string_value(json_object_get(fl, "source"))) {
			code = yl_cond_fail(
			    &c, at,
			    "a flag needs a code of CodeSystem plausibility-flag ('%s' "
			    "is not), 'when' and its source",
			    flag ? flag : "");
			break;
		}
		if ((code = yl_cond_compile(&c, json_object_get(fl, "when"), at, &g.when[g.n])) !=
		    YL_OK)
			break;
		g.codes[g.n++] = flag;
	}
	const json_t *d = json_object_get(g.doc, "digits");
	g.min_readings = (int)json_integer_value(json_object_get(d, "min_readings"));
	g.zero_share = json_number_value(json_object_get(d, "zero_share"));
	g.under_share = json_number_value(json_object_get(d, "just_under_share"));
	if (code == YL_OK &&
	    (g.min_readings <= 0 || g.zero_share <= 0 || g.zero_share > 1 || g.under_share <= 0 ||
	     g.under_share > 1 || !json_string_value(json_object_get(d, "source"))))
		code = yl_cond_fail(&c, "digits",
		                    "needs min_readings, zero_share and just_under_share (0-1) and "
		                    "its source%s",
		                    NULL);
	if (code == YL_OK)
		code = run_tests(a, file, err);
	if (code != YL_OK)
		yl_plaus_unload();
	else
		g.loaded = true;
	return code;
}

size_t yl_plaus_eval(const struct yl_fu_facts *f, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < g.n && n < max; i++)
		if (yl_cond_test(&g.when[i], f))
			out[n++] = g.codes[i];
	return n;
}

/* ---- the digit report -------------------------------------------------------------- */

struct digits {
	struct yl_req *r;
	struct yl_store_conn *c;
	int readings, zeros, under, band;
	enum yl_code code;
	struct yl_err *err;
};

static int count_visit(void *ctx, const struct yl_row *row, json_t *enc)
{
	(void)enc;
	struct digits *d = ctx;
	struct yl_param p = {"encounter", yl_arena_printf(d->r->a, "Encounter/%s", row->id)};
	struct yl_row *rows;
	size_t n;
	if ((d->code = yl_care_find(d->c, d->r->a, "Observation", &p, 1, 64, &rows, &n, NULL,
	                            d->err)) != YL_OK)
		return 1;
	json_t *obs[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if ((obs[k] = yl_care_parse(d->r->a, &rows[i], d->err)))
			k++;
	struct yl_fu_facts f;
	yl_fu_facts_init(&f);
	yl_followup_obs_facts(obs, k, &f);
	if (!f.has[YL_FU_SBP])
		return 0;
	long sbp = (long)(f.num[YL_FU_SBP] + 0.5);
	d->readings++;
	d->zeros += sbp % 10 == 0;
	d->band += sbp >= 130 && sbp <= 149;
	d->under += sbp >= 130 && sbp <= 139;
	return 0;
}

static void out(json_t *l, const char *name, const char *key, json_t *v)
{
	json_array_append_new(l, json_pack("{s:s,s:o}", "name", name, key, v));
}

enum yl_code yl_h_digit_preference(struct yl_req *r, struct yl_err *err)
{
	if (!g.loaded)
		return yl_err_add(err, r->a, YL_UNAVAILABLE, NULL,
		                  "the plausibility pack is not loaded (rules/plausibility.json)");
	int64_t today = yl_today(), start, end;
	const char *s = yl_url_param(&r->url, "start"), *e = yl_url_param(&r->url, "end");
	start = s ? yl_parse_day(s, strlen(s)) : yl_add_months(today, -12);
	end = e ? yl_parse_day(e, strlen(e)) : today;
	if (start == YL_NO_DAY || end == YL_NO_DAY || end < start)
		return yl_err_add(
		    err, r->a, YL_BAD_REQUEST, s && start == YL_NO_DAY ? "start" : "end",
		    "'start' and 'end' must be dates (YYYY-MM-DD), start not after end");
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	struct yl_row row;
	json_t *doc;
	if (!c)
		return err->code;
	enum yl_code code = yl_care_read(c, r->a, "Practitioner", r->vars[0], &row, &doc, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "Practitioner/%.64s does not exist", r->vars[0]);
	if (code != YL_OK)
		return code;
	const char *types = "";
	for (size_t k = 0; k < yl_programme_count(); k++)
		types = yl_arena_printf(r->a, "%s%s" YL_CS "encounter-type|%s", types, k ? "," : "",
		                        yl_programme_at(k)->encounter_type);
	struct yl_param p[] = {
	    {"participant", yl_arena_printf(r->a, "Practitioner/%s", r->vars[0])},
	    {"type", types},
	    {"date", yl_arena_printf(r->a, "ge%s", yl_care_day_text(r->a, start))},
	    {"date", yl_arena_printf(r->a, "le%s", yl_care_day_text(r->a, end))},
	};
	struct digits d = {.r = r, .c = c, .err = err};
	if ((code = yl_care_each(c, r->a, "Encounter", p, 4, count_visit, &d, err)) != YL_OK)
		return code;
	if (d.code != YL_OK)
		return d.code;
	double zero = d.readings ? (double)d.zeros / d.readings : 0;
	double under = d.band ? (double)d.under / d.band : 0;
	json_t *l = json_array();
	out(l, "practitioner", "valueReference",
	    json_pack("{s:o}", "reference", json_sprintf("Practitioner/%s", r->vars[0])));
	out(l, "start", "valueDate", json_string(yl_care_day_text(r->a, start)));
	out(l, "end", "valueDate", json_string(yl_care_day_text(r->a, end)));
	out(l, "readings", "valueInteger", json_integer(d.readings));
	out(l, "zero-share", "valueDecimal", json_real(zero));
	out(l, "just-under-140-share", "valueDecimal", json_real(under));
	if (d.readings >= g.min_readings && zero >= g.zero_share)
		out(l, "flag", "valueCode", json_string("terminal-digit-preference"));
	if (d.band >= g.min_readings && under >= g.under_share)
		out(l, "flag", "valueCode", json_string("bunching-under-140"));
	out(l, "rule-pack", "valueString",
	    json_string(json_string_value(json_object_get(g.doc, "id"))));
	return yl_care_answer(
	    r, json_pack("{s:s,s:o}", "resourceType", "Parameters", "parameter", l), err);
}
