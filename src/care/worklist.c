/* worklist.c -- $worklist over the population model (worklist.h). */
#include "care/worklist.h"

#include <jansson.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/panel.h"
#include "care/population.h"
#include "care/risk.h"
#include "care/rulepack.h"
#include "core/time.h"
#include "fhir/rest.h"
#include "http/url.h"

#define X_ITEM    YL_SD "worklist-item"
#define MAX_COUNT 200

static const struct {
	const char *name;
	enum yl_wl_sort sort;
	bool desc;
} sorts[] = {
    {"due", YL_SORT_DUE, false},
    {"-due", YL_SORT_DUE, true},
    {"overdue", YL_SORT_OVERDUE, false},
    {"-overdue", YL_SORT_OVERDUE, true},
    {"name", YL_SORT_NAME, false},
    {"-name", YL_SORT_NAME, true},
    {"last-visit", YL_SORT_LAST_VISIT, false},
    {"-last-visit", YL_SORT_LAST_VISIT, true},
    {"diagnosed", YL_SORT_DIAGNOSED, false},
    {"-diagnosed", YL_SORT_DIAGNOSED, true},
};

/* The order a list takes when _sort is not given: what the doctor acts on first. */
static const struct {
	enum yl_wl_sort sort;
	bool desc;
} default_sort[YL_WL_COUNT] = {
    [YL_WL_DUE] = {YL_SORT_DUE, false},         [YL_WL_OVERDUE] = {YL_SORT_OVERDUE, true},
    [YL_WL_TWO_WEEK] = {YL_SORT_DUE, false},    [YL_WL_URGENT] = {YL_SORT_DUE, false},
    [YL_WL_LOST] = {YL_SORT_LAST_VISIT, false}, [YL_WL_NOT_ENROLLED] = {YL_SORT_DIAGNOSED, true},
};

static enum yl_code parse_query(struct yl_req *r, struct yl_wl_query *q, struct yl_err *err)
{
	const char *list = yl_url_param(&r->url, "list");
	int l = yl_wl_find(list);
	if (l < 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "list",
		                  "'list' must be one of due, overdue, two-week, urgent-referral, "
		                  "lost-to-follow-up, not-enrolled");
	q->list = (enum yl_wl_list)l;
	q->sort = default_sort[l].sort;
	q->descending = default_sort[l].desc;
	q->programme = -1;
	const char *prog = yl_url_param(&r->url, "programme");
	if (prog) {
		for (size_t k = 0; k < yl_programme_count(); k++)
			if (!strcmp(yl_programme_at(k)->name, prog))
				q->programme = (int)k;
		if (q->programme < 0)
			return yl_err_add(err, r->a, YL_BAD_REQUEST, "programme",
			                  "'programme' must be hypertension or diabetes "
			                  "(rules/programmes.json)");
	}
	const char *sort = yl_url_param(&r->url, "_sort");
	if (sort) {
		size_t k = 0, n = sizeof sorts / sizeof sorts[0];
		while (k < n && strcmp(sorts[k].name, sort) != 0)
			k++;
		if (k == n)
			return yl_err_add(
			    err, r->a, YL_BAD_REQUEST, "_sort",
			    "'_sort' must be due, overdue, name, last-visit or diagnosed "
			    "(a leading - reverses)");
		q->sort = sorts[k].sort;
		q->descending = sorts[k].desc;
	}
	long count, offset;
	enum yl_code code;
	if ((code = yl_whole_param(r, "_count", 20, MAX_COUNT, &count, err)) != YL_OK ||
	    (code = yl_whole_param(r, "_offset", 0, 100000000, &offset, err)) != YL_OK)
		return code;
	q->count = (int)count;
	q->offset = (int)offset;
	const char *doctor = yl_url_param(&r->url, "doctor");
	if (doctor && !strncmp(doctor, "Practitioner/", 13))
		doctor += 13;
	if (doctor && !*doctor)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "doctor",
		                  "'doctor' must be a Practitioner id");
	q->doctor = doctor;
	q->tier = -1;
	const char *tier = yl_url_param(&r->url, "tier");
	if (tier && (q->tier = yl_risk_tier_find(tier)) < 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "tier",
		                  "'tier' must be low, medium or high (CodeSystem risk-tier)");
	q->today = yl_today();
	return YL_OK;
}

static void sub(json_t *l, const char *url, const char *key, json_t *v)
{
	json_array_append_new(l, json_pack("{s:s,s:o}", "url", url, key, v));
}

static json_t *item_ext(struct yl_arena *a, const struct yl_wl_item *it)
{
	json_t *l = json_array();
	sub(l, "programme", "valueCode", json_string(yl_programme_at((size_t)it->programme)->name));
	if (it->due != YL_NO_DAY)
		sub(l, "due", "valueDate", json_string(yl_care_day_text(a, it->due)));
	if (it->days_overdue)
		sub(l, "days-overdue", "valueInteger", json_integer(it->days_overdue));
	if (it->last_visit != YL_NO_DAY)
		sub(l, "last-visit", "valueDate", json_string(yl_care_day_text(a, it->last_visit)));
	if (it->classification)
		sub(l, "classification", "valueCode", json_string(it->classification));
	if (it->next_step)
		sub(l, "next-step", "valueCode", json_string(it->next_step));
	if (it->last_encounter)
		sub(l, "encounter", "valueReference",
		    json_pack("{s:o}", "reference",
		              json_sprintf("Encounter/%s", it->last_encounter)));
	if (it->tier)
		sub(l, "tier", "valueCode", json_string(it->tier));
	if (it->diagnosed != YL_NO_DAY)
		sub(l, "diagnosed", "valueDate", json_string(yl_care_day_text(a, it->diagnosed)));
	return json_pack("{s:s,s:o}", "url", X_ITEM, "extension", l);
}

enum yl_code yl_h_worklist(struct yl_req *r, struct yl_err *err)
{
	struct yl_wl_query q = {0};
	enum yl_code code = parse_query(r, &q, err);
	if (code != YL_OK)
		return code;
	bool team = r->url.nsegs > 1 && strcmp(r->url.segs[1], "CareTeam") == 0;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row row;
	json_t *owner;
	const char *type = team ? "CareTeam" : "Practitioner";
	if ((code = yl_care_read(c, r->a, type, r->vars[0], &row, &owner, err)) == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%.64s does not exist", type,
		                  r->vars[0]);
	if (code != YL_OK)
		return code;
	if (team)
		q.team = r->vars[0];
	else
		q.doctor = r->vars[0];
	if (!r->app->pop)
		return yl_err_add(err, r->a, YL_UNAVAILABLE, NULL,
		                  "the population model is not running in this process");
	struct yl_wl_item *items;
	size_t n, total;
	if ((code = yl_pop_sync(r->app->pop, r->a, err)) != YL_OK ||
	    (code = yl_pop_worklist(r->app->pop, &q, r->a, &items, &n, &total, err)) != YL_OK)
		return code;
	json_t *entries = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *p;
		if ((code = yl_care_read(c, r->a, "Patient", items[i].patient, &row, &p, err)) ==
		    YL_NOT_FOUND)
			continue; /* deleted since the model was read */
		if (code != YL_OK) {
			json_decref(entries);
			return code;
		}
		json_t *copy = json_deep_copy(p);
		yl_mask_patient(r->a, copy);
		json_t *ext = json_object_get(copy, "extension");
		if (!json_is_array(ext)) {
			ext = json_array();
			json_object_set_new(copy, "extension", ext);
		}
		json_array_append_new(ext, item_ext(r->a, &items[i]));
		json_array_append_new(entries,
		                      json_pack("{s:o,s:o,s:{s:s}}", "fullUrl",
		                                json_sprintf("Patient/%s", items[i].patient),
		                                "resource", copy, "search", "mode", "match"));
	}
	return yl_care_answer(r,
	                      json_pack("{s:s,s:s,s:I,s:o}", "resourceType", "Bundle", "type",
	                                "searchset", "total", (json_int_t)total, "entry", entries),
	                      err);
}
