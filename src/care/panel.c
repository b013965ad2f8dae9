/* panel.c -- a unit's catchment, contract indicators and lists (panel.h). */
#include "care/panel.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/keypop.h"
#include "care/population.h"
#include "care/risk.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/time.h"
#include "fhir/rest.h"

#define EPISODE_TYPE YL_CS "episode-type|family-doctor-contract"
#define MEASURE      "https://yilian.health/fhir/Measure/"
#define MAX_ORGS     4096 /* institutions in one unit's tree */
#define MAX_TEAMS    4096

/* ---- a set of ids (open addressing; each id's flags) -------------------------------- */

struct idset {
	const char **ids;
	unsigned *flags;
	size_t cap, n;
	struct yl_arena *a;
};

enum {
	F_REGISTERED = 1u, /* in the catchment and registered on the day */
	F_KEYPOP = 2u,     /* in a key population (the one asked for, or any) */
	F_CONTRACTED = 4u, /* a contract of the unit in force on the day */
};

static bool set_grow(struct idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	const char **ids = yl_arena_calloc(s->a, cap, sizeof *ids);
	unsigned *flags = yl_arena_calloc(s->a, cap, sizeof *flags);
	if (!ids || !flags)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->ids[i])
			continue;
		size_t h = (size_t)yl_hash_parts(1, s->ids[i]) & (cap - 1);
		while (ids[h])
			h = (h + 1) & (cap - 1);
		ids[h] = s->ids[i];
		flags[h] = s->flags[i];
	}
	s->ids = ids;
	s->flags = flags;
	s->cap = cap;
	return true;
}

/* The slot of id (added when add is true and it is absent), or NULL. */
static unsigned *set_slot(struct idset *s, const char *id, bool add)
{
	if (add && (s->n + 1) * 2 > s->cap && !set_grow(s))
		return NULL;
	if (!s->cap)
		return NULL;
	size_t h = (size_t)yl_hash_parts(1, id) & (s->cap - 1);
	while (s->ids[h]) {
		if (!strcmp(s->ids[h], id))
			return &s->flags[h];
		h = (h + 1) & (s->cap - 1);
	}
	if (!add || !(s->ids[h] = yl_arena_strdup(s->a, id)))
		return NULL;
	s->n++;
	return &s->flags[h];
}

/* ---- the unit ----------------------------------------------------------------------- */

struct unit {
	const char *kind; /* "CareTeam", "Organization" or NULL for the region */
	const char *id;
	const char **orgs; /* the catchment's institutions (not for the region) */
	size_t norgs;
};

struct orgs {
	struct unit *u;
	struct yl_arena *a;
};

static int add_org(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)doc;
	struct orgs *o = ctx;
	for (size_t i = 0; i < o->u->norgs; i++)
		if (!strcmp(o->u->orgs[i], row->id))
			return 0;
	if (o->u->norgs < MAX_ORGS)
		o->u->orgs[o->u->norgs++] = yl_arena_strdup(o->a, row->id);
	return 0;
}

/* The institutions below those already in u->orgs, breadth first. */
static enum yl_code expand_tree(struct yl_store_conn *c, struct yl_arena *a, struct unit *u,
                                struct yl_err *err)
{
	struct orgs o = {u, a};
	for (size_t i = 0; i < u->norgs; i++) {
		struct yl_param p = {"partof", yl_arena_printf(a, "Organization/%s", u->orgs[i])};
		enum yl_code code = yl_care_each(c, a, "Organization", &p, 1, add_org, &o, err);
		if (code != YL_OK)
			return code;
	}
	return YL_OK;
}

/* The unit named by the request path, with its catchment's institutions. */
static enum yl_code resolve(struct yl_req *r, struct yl_store_conn *c, struct unit *u,
                            struct yl_err *err)
{
	memset(u, 0, sizeof *u);
	const char *path = r->url.path ? r->url.path : "";
	if (!strncmp(path, "/fhir/CareTeam/", 15))
		u->kind = "CareTeam";
	else if (!strncmp(path, "/fhir/Organization/", 19))
		u->kind = "Organization";
	if (!u->kind)
		return YL_OK;
	u->id = r->vars[0];
	if (!(u->orgs = yl_arena_calloc(r->a, MAX_ORGS, sizeof *u->orgs)))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	struct yl_row row;
	json_t *doc;
	enum yl_code code = yl_care_read(c, r->a, u->kind, u->id, &row, &doc, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%.64s does not exist", u->kind,
		                  u->id);
	if (code != YL_OK)
		return code;
	if (!strcmp(u->kind, "Organization")) {
		u->orgs[u->norgs++] = u->id;
	} else {
		size_t i;
		const json_t *m;
		json_array_foreach (json_object_get(doc, "managingOrganization"), i, m) {
			const char *t, *id;
			if (yl_care_ref(r->a, m, "Organization", &t, &id) && u->norgs < MAX_ORGS)
				u->orgs[u->norgs++] = id;
		}
	}
	return expand_tree(c, r->a, u, err);
}

/* "Organization/a,Organization/b,..." for a reference search; NULL when none. */
static const char *org_list(struct yl_arena *a, const struct unit *u)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 256, (size_t)1 << 24);
	for (size_t i = 0; i < u->norgs; i++) {
		if (i)
			yl_buf_addc(&b, ',');
		yl_buf_printf(&b, "Organization/%s", u->orgs[i]);
	}
	return u->norgs && !b.err ? b.p : NULL;
}

/* ---- indicators --------------------------------------------------------------------- */

struct tally {
	struct yl_store_conn *c;
	struct yl_arena *a;
	struct idset residents;
	int64_t day; /* the period's end: the day the rates are measured on */
	int keypop;  /* the key population asked for, or -1 for any */
	struct yl_err *err;
	enum yl_code code;
	int64_t registered, keypop_registered, contracted, keypop_contracted;
	int64_t expired, renewed;
	int64_t start;             /* the period's start */
	const char *team;          /* CareTeam id for a team unit, else NULL */
	struct idset *pre;         /* the region: key populations from Conditions and Groups, read
	                            * once by type (flags = mask); NULL: asked per resident */
	struct idset *renewed_ids; /* the region: ids of the contracts another one renews */
};

static bool registered_on(const json_t *patient, int64_t day)
{
	if (json_is_false(json_object_get(patient, "active")) ||
	    json_is_true(json_object_get(patient, "deceasedBoolean")))
		return false;
	const char *died = yl_care_str(patient, "deceasedDateTime");
	int64_t d = died ? yl_parse_day(died, strlen(died)) : YL_NO_DAY;
	if (died && (d == YL_NO_DAY || d <= day))
		return false;
	const char *born = yl_care_str(patient, "birthDate");
	int64_t b = born ? yl_parse_day(born, strlen(born)) : YL_NO_DAY;
	return b == YL_NO_DAY || b <= day;
}

static int count_resident(void *ctx, const struct yl_row *row, json_t *doc)
{
	struct tally *t = ctx;
	if (!registered_on(doc, t->day))
		return 0;
	uint32_t mask;
	if (t->pre) {
		unsigned *m = set_slot(t->pre, row->id, false);
		mask = yl_keypop_by_age(doc, t->day) | (m ? *m : 0);
	} else if ((t->code = yl_keypop_of(t->c, t->a, row->id, doc, t->day, &mask, t->err)) !=
	           YL_OK) {
		return 1;
	}
	bool kp = t->keypop < 0 ? mask != 0 : ((mask >> t->keypop) & 1u);
	unsigned *f = set_slot(&t->residents, row->id, true);
	if (!f) {
		t->code = yl_err_add(t->err, t->a, YL_NOMEM, NULL, "out of memory");
		return 1;
	}
	*f = F_REGISTERED | (kp ? F_KEYPOP : 0);
	t->registered++;
	t->keypop_registered += kp;
	return 0;
}

/* ---- the region's key populations, by type rather than by resident ---------------- */

static int pre_condition(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct tally *t = ctx;
	const struct yl_care_rules *rules = yl_care_rules();
	const char *type, *pid;
	if (!yl_care_ref(t->a, json_object_get(doc, "subject"), "Patient", &type, &pid))
		return 0;
	uint32_t mask = 0;
	for (size_t k = 0; k < rules->nkeypops; k++)
		if (yl_keypop_condition(&rules->keypops[k], doc, t->day))
			mask |= 1u << k;
	unsigned *m = mask ? set_slot(t->pre, pid, true) : NULL;
	if (mask && !m) {
		t->code = yl_err_add(t->err, t->a, YL_NOMEM, NULL, "out of memory");
		return 1;
	}
	if (m)
		*m |= mask;
	return 0;
}

static int pre_group(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct tally *t = ctx;
	const struct yl_care_rules *rules = yl_care_rules();
	uint32_t mask = 0;
	for (size_t k = 0; k < rules->nkeypops; k++)
		if (yl_keypop_household(&rules->keypops[k], doc))
			mask |= 1u << k;
	size_t i;
	const json_t *m;
	json_array_foreach (json_object_get(doc, "member"), i, m) {
		const char *type, *pid;
		if (!mask || json_is_true(json_object_get(m, "inactive")) ||
		    !yl_care_ref(t->a, json_object_get(m, "entity"), "Patient", &type, &pid))
			continue;
		unsigned *f = set_slot(t->pre, pid, true);
		if (!f) {
			t->code = yl_err_add(t->err, t->a, YL_NOMEM, NULL, "out of memory");
			return 1;
		}
		*f |= mask;
	}
	return 0;
}

static int pre_renewal(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct tally *t = ctx;
	const json_t *e;
	size_t i;
	json_array_foreach (json_object_get(doc, "extension"), i, e) {
		const char *url = yl_care_str(e, "url"), *type, *id;
		if (!url || strcmp(url, YL_SD "renews") != 0 ||
		    !yl_care_ref(t->a, json_object_get(e, "valueReference"), "EpisodeOfCare", &type,
		                 &id))
			continue;
		if (!set_slot(t->renewed_ids, id, true)) {
			t->code = yl_err_add(t->err, t->a, YL_NOMEM, NULL, "out of memory");
			return 1;
		}
	}
	return 0;
}

/* Read every Condition once (and the Groups with a key-population characteristic) into
 * t->pre, and every renewal into t->renewed_ids: for the region, cheaper than searches per
 * resident and per contract. */
static enum yl_code prescan(struct tally *t)
{
	const struct yl_care_rules *rules = yl_care_rules();
	struct yl_param r[] = {{"renews:missing", "false"}, {"status", "planned,active,finished"}};
	enum yl_code code = yl_care_each(t->c, t->a, "EpisodeOfCare", r, 2, pre_renewal, t, t->err);
	if (code == YL_OK && !t->code)
		code = yl_care_each(t->c, t->a, "Condition", NULL, 0, pre_condition, t, t->err);
	for (size_t k = 0; code == YL_OK && !t->code && k < rules->nkeypops; k++) {
		if (rules->keypops[k].derive != YL_KP_HOUSEHOLD)
			continue;
		struct yl_param p = {"characteristic", rules->keypops[k].characteristic};
		code = yl_care_each(t->c, t->a, "Group", &p, 1, pre_group, t, t->err);
	}
	return code != YL_OK ? code : t->code;
}

static const char *patient_id(struct yl_arena *a, const json_t *contract)
{
	const char *t, *id;
	return yl_care_ref(a, json_object_get(contract, "patient"), "Patient", &t, &id) ? id : NULL;
}

static int count_contract(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct tally *t = ctx;
	const char *pid = patient_id(t->a, doc);
	unsigned *f = pid ? set_slot(&t->residents, pid, false) : NULL;
	if (!f || !(*f & F_REGISTERED) || (*f & F_CONTRACTED))
		return 0;
	*f |= F_CONTRACTED;
	t->contracted++;
	t->keypop_contracted += (*f & F_KEYPOP) != 0;
	return 0;
}

/* A contract of the unit that reached its end within the period (not ended early: those
 * were terminated or transferred), and whether a renewal follows it. */
static int count_expiry(void *ctx, const struct yl_row *row, json_t *doc)
{
	struct tally *t = ctx;
	const char *end = yl_care_str(json_object_get(doc, "period"), "end");
	int64_t e = end ? yl_parse_day(end, strlen(end)) : YL_NO_DAY;
	const char *pid = patient_id(t->a, doc);
	if (e == YL_NO_DAY || e < t->start || e > t->day || !pid)
		return 0;
	if (!t->team && !set_slot(&t->residents, pid, false))
		return 0; /* a resident outside the institution's or region's catchment */
	t->expired++;
	if (t->renewed_ids) {
		t->renewed += set_slot(t->renewed_ids, row->id, false) != NULL;
		return 0;
	}
	struct yl_param p[] = {{"renews", yl_arena_printf(t->a, "EpisodeOfCare/%s", row->id)},
	                       {"status", "planned,active,finished"}};
	int64_t n = 0;
	t->code = yl_care_find(t->c, t->a, "EpisodeOfCare", p, 2, 0, NULL, NULL, &n, t->err);
	t->renewed += n > 0;
	return t->code != YL_OK;
}

/* Contracts of the unit whose period meets [from, to], with a status, to fn(ctx). */
static enum yl_code each_contract(struct tally *t, const char *status, int64_t from, int64_t to,
                                  yl_care_each_fn fn, void *ctx)
{
	char lo[YL_DAY_LEN], hi[YL_DAY_LEN];
	yl_format_day(to + 1, lo);
	yl_format_day(from - 1, hi);
	struct yl_param p[] = {
	    {"type", EPISODE_TYPE},
	    {"status", status},
	    {"date", yl_arena_printf(t->a, "lt%s", lo)},
	    {"date", yl_arena_printf(t->a, "gt%s", hi)},
	    {"team", t->team ? yl_arena_printf(t->a, "CareTeam/%s", t->team) : NULL},
	};
	enum yl_code code =
	    yl_care_each(t->c, t->a, "EpisodeOfCare", p, t->team ? 5 : 4, fn, ctx, t->err);
	return code != YL_OK ? code : t->code;
}

static void add_report(json_t *list, struct yl_arena *a, const char *name, const struct unit *u,
                       int64_t start, int64_t end, int64_t num, int64_t den)
{
	char s[YL_DAY_LEN], e[YL_DAY_LEN], now[YL_INSTANT_LEN];
	yl_format_day(start, s);
	yl_format_day(end, e);
	yl_format_instant(yl_now_us(), now);
	json_t *group = json_pack(
	    "{s:[{s:{s:[{s:s,s:s}]},s:I},{s:{s:[{s:s,s:s}]},s:I}]}", "population", "code", "coding",
	    "system", "http://terminology.hl7.org/CodeSystem/measure-population", "code",
	    "numerator", "count", (json_int_t)num, "code", "coding", "system",
	    "http://terminology.hl7.org/CodeSystem/measure-population", "code", "denominator",
	    "count", (json_int_t)den);
	if (den > 0) /* a proportion (printed to 6 significant digits) */
		json_object_set_new(group, "measureScore",
		                    json_pack("{s:f}", "value", (double)num / (double)den));
	json_t *report = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:[o]}", "resourceType",
	                           "MeasureReport", "status", "complete", "type", "summary",
	                           "measure", yl_arena_printf(a, "%s%s", MEASURE, name), "date",
	                           now, "period", "start", s, "end", e, "group", group);
	if (u->kind)
		json_object_set_new(
		    report, "reporter",
		    json_pack("{s:s}", "reference", yl_arena_printf(a, "%s/%s", u->kind, u->id)));
	json_array_append_new(list, json_pack("{s:o}", "resource", report));
}

static enum yl_code day_param(struct yl_req *r, const char *name, int64_t otherwise, int64_t *day,
                              struct yl_err *err)
{
	const char *s = yl_url_param(&r->url, name);
	*day = s ? yl_parse_day(s, strlen(s)) : otherwise;
	if (*day == YL_NO_DAY)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, name,
		                  "'%s' must be a date (YYYY-MM-DD)", name);
	return YL_OK;
}

/* The request's store connection and unit: a rules check first (every report needs them). */
static enum yl_code open_unit(struct yl_req *r, struct yl_store_conn **c, struct unit *u,
                              struct yl_err *err)
{
	if (!yl_care_rules())
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "the contracting rules are not loaded (rules/contracting.json)");
	if (!(*c = yl_store_conn(r->app->store, r->a, err)))
		return err->code;
	return resolve(r, *c, u, err);
}

/* The key-population parameter: its index, or -1 when absent or empty; 400 when unknown. */
static enum yl_code keypop_param(struct yl_req *r, int *index, struct yl_err *err)
{
	const char *kp = yl_url_param(&r->url, "key-population");
	size_t i = 0;
	*index = -1;
	if (!kp || !*kp)
		return YL_OK;
	if (!yl_care_keypop(kp, &i))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "key-population",
		                  "'%.64s' is not a key population of %skey-population", kp, YL_CS);
	*index = (int)i;
	return YL_OK;
}

enum yl_code yl_whole_param(struct yl_req *r, const char *name, long dflt, long max, long *out,
                            struct yl_err *err)
{
	const char *s = yl_url_param(&r->url, name);
	char *end = NULL;
	*out = s ? strtol(s, &end, 10) : dflt;
	if (s && (!*s || *end || *out < 0 || *out > max))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, name,
		                  "'%s' must be a whole number from 0 to %ld", name, max);
	return YL_OK;
}

enum yl_code yl_h_indicators(struct yl_req *r, struct yl_err *err)
{
	int64_t today = yl_today(), start, end;
	int y, m, d;
	yl_civil_from_days(today, &y, &m, &d);
	enum yl_code code;
	if ((code = day_param(r, "start", yl_days_from_civil(y, 1, 1), &start, err)) != YL_OK ||
	    (code = day_param(r, "end", today, &end, err)) != YL_OK)
		return code;
	if (end < start)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "end", "'end' is before 'start'");
	int kpi;
	struct yl_store_conn *c;
	struct unit u;
	if ((code = keypop_param(r, &kpi, err)) != YL_OK ||
	    (code = open_unit(r, &c, &u, err)) != YL_OK)
		return code;
	struct tally t = {.c = c,
	                  .a = r->a,
	                  .residents = {.a = r->a},
	                  .day = end,
	                  .start = start,
	                  .keypop = kpi,
	                  .err = err,
	                  .team = u.kind && !strcmp(u.kind, "CareTeam") ? u.id : NULL};
	struct idset pre = {.a = r->a}, renewed = {.a = r->a};
	if (!u.kind) { /* the region: every resident, so key populations by type */
		t.pre = &pre;
		t.renewed_ids = &renewed;
		if ((code = prescan(&t)) != YL_OK)
			return code;
	}
	struct yl_param catchment = {"organization", org_list(r->a, &u)};
	code =
	    yl_care_each(c, r->a, "Patient", &catchment, u.kind ? 1 : 0, count_resident, &t, err);
	if (code == YL_OK)
		code = t.code;
	if (code == YL_OK)
		code = each_contract(&t, "active,planned", end, end, count_contract, &t);
	if (code == YL_OK)
		code = each_contract(&t, "active", start, end, count_expiry, &t);
	if (code != YL_OK)
		return code;
	json_t *entries = json_array();
	add_report(entries, r->a, "contract-rate", &u, start, end, t.contracted, t.registered);
	add_report(entries, r->a, "key-population-contract-rate", &u, start, end,
	           t.keypop_contracted, t.keypop_registered);
	add_report(entries, r->a, "renewal-rate", &u, start, end, t.renewed, t.expired);
	return yl_care_answer(r,
	                      json_pack("{s:s,s:s,s:o}", "resourceType", "Bundle", "type",
	                                "collection", "entry", entries),
	                      err);
}

/* ---- lists -------------------------------------------------------------------------- */

struct listing {
	struct tally *t;
	json_t *entries;
	int64_t until; /* expiring: end on or before this day */
	bool region;
};

static int list_expiring(void *ctx, const struct yl_row *row, json_t *doc)
{
	struct listing *l = ctx;
	struct tally *t = l->t;
	const char *end = yl_care_str(json_object_get(doc, "period"), "end");
	int64_t e = end ? yl_parse_day(end, strlen(end)) : YL_NO_DAY;
	const char *pid = patient_id(t->a, doc);
	if (e == YL_NO_DAY || e < t->day || e > l->until || !pid)
		return 0;
	if (!t->team && !l->region && !set_slot(&t->residents, pid, false))
		return 0;
	struct yl_param p[] = {{"renews", yl_arena_printf(t->a, "EpisodeOfCare/%s", row->id)},
	                       {"status", "planned,active"}};
	int64_t n = 0;
	if ((t->code = yl_care_find(t->c, t->a, "EpisodeOfCare", p, 2, 0, NULL, NULL, &n,
	                            t->err)) != YL_OK)
		return 1;
	if (!n)
		json_array_append_new(l->entries, json_pack("{s:O,s:{s:s}}", "resource", doc,
		                                            "search", "mode", "match"));
	return 0;
}

static int mark_catchment(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)doc;
	struct tally *t = ctx;
	if (!set_slot(&t->residents, row->id, true)) {
		t->code = yl_err_add(t->err, t->a, YL_NOMEM, NULL, "out of memory");
		return 1;
	}
	return 0;
}

static int by_end(const void *x, const void *y)
{
	const char *a = yl_care_str(
	    json_object_get(json_object_get(*(json_t *const *)x, "resource"), "period"), "end");
	const char *b = yl_care_str(
	    json_object_get(json_object_get(*(json_t *const *)y, "resource"), "period"), "end");
	return strcmp(a ? a : "", b ? b : "");
}

static void sort_entries(json_t *entries, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(entries);
	json_t **v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(entries, i));
	qsort(v, n, sizeof *v, cmp);
	json_array_clear(entries);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(entries, v[i]);
	free(v);
}

enum yl_code yl_h_expiring(struct yl_req *r, struct yl_err *err)
{
	struct yl_store_conn *c;
	struct unit u;
	long days;
	enum yl_code code = open_unit(r, &c, &u, err);
	if (code != YL_OK || (code = yl_whole_param(r, "days", yl_care_rules()->expiring_days, 3660,
	                                            &days, err)) != YL_OK)
		return code;
	int64_t today = yl_today();
	struct tally t = {.c = c,
	                  .a = r->a,
	                  .residents = {.a = r->a},
	                  .day = today,
	                  .err = err,
	                  .team = u.kind && !strcmp(u.kind, "CareTeam") ? u.id : NULL};
	struct listing l = {&t, json_array(), today + days, !u.kind};
	yl_arena_defer(r->a, yl_care_decref, l.entries);
	if (u.kind && !t.team) {
		struct yl_param catchment = {"organization", org_list(r->a, &u)};
		code = yl_care_each(c, r->a, "Patient", &catchment, 1, mark_catchment, &t, err);
		if (code == YL_OK)
			code = t.code;
	}
	if (code == YL_OK)
		code = each_contract(&t, "active", today, today, list_expiring, &l);
	if (code != YL_OK)
		return code;
	sort_entries(l.entries, by_end);
	return yl_care_answer(r,
	                      json_pack("{s:s,s:s,s:I,s:O}", "resourceType", "Bundle", "type",
	                                "searchset", "total",
	                                (json_int_t)json_array_size(l.entries), "entry", l.entries),
	                      err);
}

const char *yl_mask_number(struct yl_arena *a, const char *s, size_t keep_head, size_t keep_tail)
{
	size_t n = strlen(s);
	char *out = yl_arena_strdup(a, s);
	if (!out)
		return NULL;
	if (n <= keep_head + keep_tail) /* too short to keep anything: all starred */
		keep_head = keep_tail = 0;
	for (size_t i = keep_head; i + keep_tail < n; i++)
		out[i] = '*';
	return out;
}

void yl_mask_patient(struct yl_arena *a, json_t *p)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(p, "identifier"), i, v) {
		const struct yl_id_system *sys =
		    yl_care_id_system("Patient", yl_care_str(v, "system"));
		if (sys && sys->personal && yl_care_str(v, "value"))
			json_object_set_new(
			    v, "value",
			    json_string(yl_mask_number(a, yl_care_str(v, "value"), 6, 4)));
	}
	json_array_foreach (json_object_get(p, "telecom"), i, v)
		if (yl_care_str(v, "value"))
			json_object_set_new(
			    v, "value",
			    json_string(yl_mask_number(a, yl_care_str(v, "value"), 3, 4)));
	json_t *meta = json_object_get(p, "meta");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(p, "meta", meta);
	}
	json_object_set_new(meta, "tag",
	                    json_pack("[{s:s,s:s}]", "system",
	                              "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
	                              "code", "SUBSETTED"));
}

/* Whether any of the resident's names contains q (case-sensitive bytes: Chinese names,
 * or pinyin as written). */
static bool name_has(const json_t *p, const char *q)
{
	size_t i, j;
	const json_t *n, *g;
	json_array_foreach (json_object_get(p, "name"), i, n) {
		const char *parts[] = {yl_care_str(n, "text"), yl_care_str(n, "family")};
		for (size_t k = 0; k < 2; k++)
			if (parts[k] && strstr(parts[k], q))
				return true;
		json_array_foreach (json_object_get(n, "given"), j, g)
			if (json_string_value(g) && strstr(json_string_value(g), q))
				return true;
	}
	return false;
}

struct residents {
	struct tally *t;
	json_t *entries;
	const char *name;
	int keypop; /* -1 any */
	int64_t skip, count, matched;
	struct yl_pop *pop; /* the population model, for the risk tier (NULL: not known) */
	int tier;           /* a tier rank to keep only those, -1 any */
};

static int list_resident(void *ctx, const struct yl_row *row, json_t *contract)
{
	(void)row;
	struct residents *rs = ctx;
	struct tally *t = rs->t;
	const char *pid = patient_id(t->a, contract);
	unsigned *seen = pid ? set_slot(&t->residents, pid, true) : NULL;
	if (!seen || *seen)
		return 0; /* one row per resident */
	*seen = 1;
	struct yl_row prow;
	json_t *p;
	if ((t->code = yl_care_read(t->c, t->a, "Patient", pid, &prow, &p, t->err)) != YL_OK) {
		t->code = t->code == YL_NOT_FOUND ? YL_OK : t->code;
		return t->code != YL_OK;
	}
	if (rs->name && *rs->name && !name_has(p, rs->name))
		return 0;
	uint32_t mask;
	if ((t->code = yl_keypop_of(t->c, t->a, pid, p, t->day, &mask, t->err)) != YL_OK)
		return 1;
	if (rs->keypop >= 0 && !((mask >> rs->keypop) & 1u))
		return 0;
	int tier = rs->pop ? yl_pop_tier(rs->pop, pid) : -1;
	if (rs->tier >= 0 && tier != rs->tier)
		return 0;
	if (rs->matched++ < rs->skip || (int64_t)json_array_size(rs->entries) >= rs->count)
		return 0;
	yl_mask_patient(t->a, p);
	const struct yl_care_rules *rules = yl_care_rules();
	for (size_t k = 0; k < rules->nkeypops; k++)
		if ((mask >> k) & 1u)
			yl_care_add_ext(p, YL_SD "key-population", "valueCode",
			                json_string(rules->keypops[k].code));
	yl_care_add_ext(
	    p, YL_SD "contract", "valueReference",
	    json_pack("{s:s}", "reference", yl_arena_printf(t->a, "EpisodeOfCare/%s", row->id)));
	if (yl_risk_tier_code(tier))
		yl_care_add_ext(p, YL_SD "risk-tier", "valueCode",
		                json_string(yl_risk_tier_code(tier)));
	json_array_append_new(rs->entries,
	                      json_pack("{s:O,s:{s:s}}", "resource", p, "search", "mode", "match"));
	return 0;
}

enum yl_code yl_h_team_residents(struct yl_req *r, struct yl_err *err)
{
	int kpi;
	long count, offset;
	struct yl_store_conn *c;
	struct unit u;
	enum yl_code code;
	if ((code = keypop_param(r, &kpi, err)) != YL_OK ||
	    (code = yl_whole_param(r, "_count", 20, 1000, &count, err)) != YL_OK ||
	    (code = yl_whole_param(r, "_offset", 0, 100000000, &offset, err)) != YL_OK ||
	    (code = open_unit(r, &c, &u, err)) != YL_OK)
		return code;
	struct tally t = {.c = c,
	                  .a = r->a,
	                  .residents = {.a = r->a},
	                  .day = yl_today(),
	                  .err = err,
	                  .team = u.id};
	const char *tier = yl_url_param(&r->url, "tier");
	struct residents rs = {&t,  json_array(), yl_url_param(&r->url, "name"),
	                       kpi, offset,       count,
	                       0,   r->app->pop,  tier ? yl_risk_tier_find(tier) : -1};
	if (tier && rs.tier < 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "tier",
		                  "'tier' must be low, medium or high (CodeSystem risk-tier)");
	if (tier && !rs.pop)
		return yl_err_add(err, r->a, YL_UNAVAILABLE, NULL,
		                  "risk tiers come from the population model, not running here");
	if (rs.pop && (code = yl_pop_sync(rs.pop, r->a, err)) != YL_OK) {
		if (tier)
			return code;
		rs.pop = NULL; /* still building: the list without tiers */
		yl_err_init(err);
	}
	yl_arena_defer(r->a, yl_care_decref, rs.entries);
	code = each_contract(&t, "active,planned", t.day, t.day, list_resident, &rs);
	if (code != YL_OK)
		return code;
	return yl_care_answer(r,
	                      json_pack("{s:s,s:s,s:I,s:O}", "resourceType", "Bundle", "type",
	                                "searchset", "total", (json_int_t)rs.matched, "entry",
	                                rs.entries),
	                      err);
}
