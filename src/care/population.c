/* population.c -- the in-memory population model and the worklists (population.h). */
#define _GNU_SOURCE /* qsort_r */
#include "care/population.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "care/config.h"
#include "care/find.h"
#include "care/keypop.h"
#include "care/risk.h"
#include "care/rulepack.h"
#include "core/log.h"
#include "fhir/rest.h"
#include "core/time.h"
#include "fhir/jsonload.h"

#define NO_DAY         INT32_MIN
#define MAXP           8    /* programmes */
#define SCAN_PAGE      2000 /* rows per page of the start-up scans */
#define CHANGE_PAGE    4000 /* change-log rows per catch-up step */
#define POP_TAIL_MS    500
#define LOST_DAYS      365 /* "no visit for 12 months" (issue 6) */
#define DUE_DAYS       7   /* "due this week": today and the 6 days after */
#define MAX_ROWS       500 /* a resident's resources of one type read when re-deriving them */
#define BACKFILL_BATCH 8   /* residents given a first RiskAssessment per step (~30 ms) */

struct prog_state {        /* 32 bytes */
	int32_t diagnosed; /* earliest onset of an active diagnosis (NO_DAY: none or unknown) */
	int32_t enrolled;  /* start of the enrolment in force, NO_DAY when not enrolled */
	int32_t last_visit, next_date;
	bool has_diag, ever_enrolled;
	signed char cls;  /* index into classifications[], -1 none */
	signed char step; /* enum yl_next_step */
	char *last_enc;
};

struct resident {
	char *id, *name;
	int32_t birth;
	bool live, deceased;
	bool kept; /* an institution keeps their health record (Patient.managingOrganization) */
	int team, doctor; /* group indexes, -1 none */
	int32_t contract_end;
	signed char tier; /* risk tier rank, -1 unknown */
	uint64_t risk;    /* digest of the stored RiskAssessment (care/risk.h), 0 none */
	struct prog_state prog[MAXP];
};

struct group {
	char *id;
	int *members;
	size_t n, cap;
};

/* string -> index, open addressing; the keys live in the indexed objects */
struct idmap {
	uint32_t *slots; /* index + 1, 0 empty */
	size_t cap, n;
};

struct yl_pop {
	struct yl_store *store;
	struct yl_app *app;
	bool write_risk;
	pthread_t thread;
	bool thread_started;
	pthread_rwlock_t lock;     /* rows, groups, maps */
	pthread_mutex_t sync_lock; /* one catch-up at a time */
	pthread_mutex_t stop_lock; /* with stop_cond: the tail's sleep */
	pthread_cond_t stop_cond;
	bool woken; /* under stop_lock: another node committed changes (yl_store_watch) */
	atomic_bool ready, failed, stop;
	atomic_size_t progress;
	struct resident *rows;
	size_t nrows, cap;
	struct idmap by_id;
	struct group *groups[2]; /* teams, doctors */
	size_t ngroups[2], capgroups[2];
	struct idmap group_map[2];
	int64_t seq;             /* last change applied */
	_Atomic int64_t applied; /* the same, for readers without the sync lock (yl_pop_seq) */
	double build_seconds;
	size_t backfill; /* next row to look at for a missing RiskAssessment */
};

enum { TEAM, DOCTOR };

static const char *const classifications[] = {"controlled", "uncontrolled", "adverse-reaction",
                                              "complication"};
#define NCLS (sizeof classifications / sizeof classifications[0])

static const char *const wl_names[YL_WL_COUNT] = {
    [YL_WL_DUE] = "due",
    [YL_WL_OVERDUE] = "overdue",
    [YL_WL_TWO_WEEK] = "two-week",
    [YL_WL_URGENT] = "urgent-referral",
    [YL_WL_LOST] = "lost-to-follow-up",
    [YL_WL_NOT_ENROLLED] = "not-enrolled",
};

const char *yl_wl_name(enum yl_wl_list l)
{
	return wl_names[l];
}
int yl_wl_find(const char *name)
{
	for (int i = 0; name && i < YL_WL_COUNT; i++)
		if (strcmp(wl_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- maps and groups --------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

typedef const char *(*key_fn)(const struct yl_pop *p, uint32_t i);
static const char *row_key(const struct yl_pop *p, uint32_t i)
{
	return p->rows[i].id;
}
static const char *team_key(const struct yl_pop *p, uint32_t i)
{
	return p->groups[TEAM][i].id;
}
static const char *doctor_key(const struct yl_pop *p, uint32_t i)
{
	return p->groups[DOCTOR][i].id;
}

static long map_find(const struct yl_pop *p, const struct idmap *m, key_fn key, const char *k)
{
	if (!m->cap)
		return -1;
	for (size_t i = hash_str(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i])
			return -1;
		if (strcmp(key(p, m->slots[i] - 1), k) == 0)
			return m->slots[i] - 1;
	}
}

static int map_put(struct yl_pop *p, struct idmap *m, key_fn key, uint32_t idx)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint32_t *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return -1;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i]) {
				size_t j = hash_str(key(p, m->slots[i] - 1)) & (cap - 1);
				while (slots[j])
					j = (j + 1) & (cap - 1);
				slots[j] = m->slots[i];
			}
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	size_t j = hash_str(key(p, idx)) & (m->cap - 1);
	while (m->slots[j])
		j = (j + 1) & (m->cap - 1);
	m->slots[j] = idx + 1;
	m->n++;
	return 0;
}

/* The group (team or doctor) with this id, created when absent; -1 out of memory. */
static int group_of(struct yl_pop *p, int kind, const char *id)
{
	key_fn key = kind == TEAM ? team_key : doctor_key;
	long i = map_find(p, &p->group_map[kind], key, id);
	if (i >= 0)
		return (int)i;
	if (p->ngroups[kind] == p->capgroups[kind]) {
		size_t cap = p->capgroups[kind] ? p->capgroups[kind] * 2 : 256;
		struct group *g = realloc(p->groups[kind], cap * sizeof *g);
		if (!g)
			return -1;
		p->groups[kind] = g;
		p->capgroups[kind] = cap;
	}
	struct group *g = &p->groups[kind][p->ngroups[kind]];
	*g = (struct group){.id = strdup(id)};
	if (!g->id || map_put(p, &p->group_map[kind], key, (uint32_t)p->ngroups[kind]) != 0) {
		free(g->id);
		return -1;
	}
	return (int)p->ngroups[kind]++;
}

static void group_add(struct yl_pop *p, int kind, int g, int row)
{
	if (g < 0)
		return;
	struct group *gr = &p->groups[kind][g];
	if (gr->n == gr->cap) {
		size_t cap = gr->cap ? gr->cap * 2 : 64;
		int *m = realloc(gr->members, cap * sizeof *m);
		if (!m)
			return; /* the resident is missing from this list until the next change */
		gr->members = m;
		gr->cap = cap;
	}
	gr->members[gr->n++] = row;
}

static void group_remove(struct yl_pop *p, int kind, int g, int row)
{
	if (g < 0)
		return;
	struct group *gr = &p->groups[kind][g];
	for (size_t i = 0; i < gr->n; i++)
		if (gr->members[i] == row) {
			gr->members[i] = gr->members[--gr->n];
			return;
		}
}

static void reset(struct resident *r);

/* The row of a resident, created (empty, not live) when absent; -1 out of memory. */
static long row_of(struct yl_pop *p, const char *id)
{
	long i = map_find(p, &p->by_id, row_key, id);
	if (i >= 0)
		return i;
	if (p->nrows == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		struct resident *r = realloc(p->rows, cap * sizeof *r);
		if (!r)
			return -1;
		p->rows = r;
		p->cap = cap;
	}
	struct resident *r = &p->rows[p->nrows];
	memset(r, 0, sizeof *r);
	reset(r);
	r->team = r->doctor = -1;
	if (!(r->id = strdup(id)) || map_put(p, &p->by_id, row_key, (uint32_t)p->nrows) != 0) {
		free(r->id);
		return -1;
	}
	return (long)p->nrows++;
}

/* ---- reading resources into a row -------------------------------------------------- */

static int32_t day32(int64_t d)
{
	return d == YL_NO_DAY || d < INT32_MIN + 2 || d > INT32_MAX ? NO_DAY : (int32_t)d;
}

static int32_t day_of(const char *s)
{
	return s && strlen(s) >= 10 ? day32(yl_parse_day(s, 10)) : NO_DAY;
}

static const char *coded(const json_t *concept)
{
	return yl_care_str(json_array_get(json_object_get(concept, "coding"), 0), "code");
}

static const char *ref_id(const json_t *ref, const char *type)
{
	const char *s = yl_care_str(ref, "reference");
	size_t n = strlen(type);
	return s && !strncmp(s, type, n) && s[n] == '/' && s[n + 1] ? s + n + 1 : NULL;
}

static void reset(struct resident *r)
{
	free(r->name);
	r->name = NULL;
	r->birth = NO_DAY;
	r->live = r->deceased = r->kept = false;
	r->contract_end = NO_DAY;
	r->tier = -1;
	r->risk = 0;
	for (int k = 0; k < MAXP; k++) {
		free(r->prog[k].last_enc);
		r->prog[k] = (struct prog_state){.diagnosed = NO_DAY,
		                                 .enrolled = NO_DAY,
		                                 .last_visit = NO_DAY,
		                                 .next_date = NO_DAY,
		                                 .cls = -1};
	}
}

static void apply_patient(struct resident *r, const json_t *doc)
{
	const json_t *n = json_array_get(json_object_get(doc, "name"), 0);
	const char *text = yl_care_str(n, "text");
	char buf[256];
	if (!text) {
		const char *family = yl_care_str(n, "family");
		const char *given =
		    json_string_value(json_array_get(json_object_get(n, "given"), 0));
		snprintf(buf, sizeof buf, "%s%s", family ? family : "", given ? given : "");
		text = buf;
	}
	free(r->name);
	r->name = strdup(text);
	r->birth = day_of(yl_care_str(doc, "birthDate"));
	r->kept = json_object_get(doc, "managingOrganization") != NULL;
	r->deceased = json_is_true(json_object_get(doc, "deceasedBoolean")) ||
	              yl_care_str(doc, "deceasedDateTime");
	r->live = true;
}

/* The episode's effect: a contract in force gives the team and doctor (returned through
 * *team and *doctor, strings in doc), a programme enrolment the enrolment state. */
static void apply_episode(struct resident *r, const json_t *doc, int32_t today, const char **team,
                          const char **doctor)
{
	const char *type = coded(json_array_get(json_object_get(doc, "type"), 0));
	const char *status = yl_care_str(doc, "status");
	const json_t *period = json_object_get(doc, "period");
	int32_t start = day_of(yl_care_str(period, "start")),
	        end = yl_care_str(period, "end") ? day_of(yl_care_str(period, "end")) : INT32_MAX;
	if (!type || !status)
		return;
	if (!strcmp(type, "family-doctor-contract")) {
		if (strcmp(status, "active") || (start != NO_DAY && start > today) || end < today)
			return;
		*team = ref_id(json_array_get(json_object_get(doc, "team"), 0), "CareTeam");
		*doctor = ref_id(json_object_get(doc, "careManager"), "Practitioner");
		r->contract_end = end;
		return;
	}
	for (size_t k = 0; k < yl_programme_count() && k < MAXP; k++)
		if (!strcmp(type, yl_programme_at(k)->episode_type)) {
			r->prog[k].ever_enrolled = true;
			if (!strcmp(status, "active"))
				r->prog[k].enrolled = start != NO_DAY ? start : today;
		}
}

static void apply_condition(struct resident *r, const json_t *doc, int32_t today)
{
	for (size_t k = 0; k < yl_programme_count() && k < MAXP; k++) {
		const struct yl_valueset *vs =
		    yl_care_valueset(yl_pack_valueset(yl_programme_at(k)->pack));
		if (!yl_condition_in(vs, doc, today))
			continue;
		int32_t onset = day_of(yl_care_str(doc, "onsetDateTime"));
		if (onset == NO_DAY)
			onset = day_of(yl_care_str(doc, "recordedDate"));
		struct prog_state *s = &r->prog[k];
		if (!s->has_diag ||
		    (onset != NO_DAY && (s->diagnosed == NO_DAY || onset < s->diagnosed)))
			s->diagnosed = onset;
		s->has_diag = true;
	}
}

static const json_t *sub_ext(const json_t *ext, const char *url)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(ext, "extension"), i, e)
		if (yl_care_str(e, "url") && !strcmp(yl_care_str(e, "url"), url))
			return e;
	return NULL;
}

static void apply_encounter(struct resident *r, const json_t *doc)
{
	const char *type = coded(json_array_get(json_object_get(doc, "type"), 0));
	int32_t day = day_of(yl_care_str(json_object_get(doc, "period"), "start"));
	if (!type || day == NO_DAY)
		return;
	for (size_t k = 0; k < yl_programme_count() && k < MAXP; k++) {
		const struct yl_programme *prog = yl_programme_at(k);
		struct prog_state *s = &r->prog[k];
		if (strcmp(type, prog->encounter_type) ||
		    (s->last_visit != NO_DAY && day < s->last_visit))
			continue;
		s->last_visit = day;
		free(s->last_enc);
		s->last_enc = yl_care_str(doc, "id") ? strdup(yl_care_str(doc, "id")) : NULL;
		const json_t *out = NULL;
		size_t i;
		const json_t *e;
		json_array_foreach (json_object_get(doc, "extension"), i, e)
			if (yl_care_str(e, "url") &&
			    !strcmp(yl_care_str(e, "url"), YL_SD "followup-outcome"))
				out = e;
		const char *cls = yl_care_str(
		    json_object_get(sub_ext(out, "classification"), "valueCoding"), "code");
		const char *step =
		    yl_care_str(json_object_get(sub_ext(out, "next-step"), "valueCoding"), "code");
		s->cls = -1;
		for (size_t c = 0; cls && c < NCLS; c++)
			if (!strcmp(cls, classifications[c]))
				s->cls = (signed char)c;
		s->step = (signed char)yl_next_step_find(step);
		s->next_date = day_of(yl_care_str(sub_ext(out, "next-date"), "valueDate"));
		if (s->next_date == NO_DAY) /* a visit recorded elsewhere: the routine interval */
			s->next_date = day32(yl_pack_next_date(prog->pack, YL_NEXT_ROUTINE, day));
	}
}

/* ---- the first build --------------------------------------------------------------- */

struct scan {
	struct yl_pop *p;
	struct yl_arena *page;
	int kind; /* 0 Patient, 1 EpisodeOfCare, 2 Condition, 3 Encounter, 4 RiskAssessment */
	int32_t today;
	int64_t after;
	size_t n;
	bool failed;
};

static void set_groups(struct yl_pop *p, long i, const char *team, const char *doctor)
{
	struct resident *r = &p->rows[i];
	int t = team ? group_of(p, TEAM, team) : -1, d = doctor ? group_of(p, DOCTOR, doctor) : -1;
	if (t != r->team) {
		group_remove(p, TEAM, r->team, (int)i);
		group_add(p, TEAM, t, (int)i);
		r->team = t;
	}
	if (d != r->doctor) {
		group_remove(p, DOCTOR, r->doctor, (int)i);
		group_add(p, DOCTOR, d, (int)i);
		r->doctor = d;
	}
}

static const char *subject_of(const json_t *doc, int kind)
{
	return ref_id(json_object_get(doc, kind == 1 ? "patient" : "subject"), "Patient");
}

static bool own_assessment(const struct yl_row *row, const char *pid)
{
	return !strncmp(row->id, "risk-", 5) && !strcmp(row->id + 5, pid);
}

static int scan_row(void *ctx, const struct yl_row *row)
{
	struct scan *s = ctx;
	s->after = row->seq;
	s->n++;
	struct yl_err err;
	yl_err_init(&err);
	json_t *doc = row->body ? yl_json_load(s->page, row->body, row->body_len, &err) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	struct yl_pop *p = s->p;
	const char *pid = s->kind == 0 ? row->id : subject_of(doc, s->kind);
	long i = pid ? row_of(p, pid) : -1;
	if (pid && i < 0)
		s->failed = true;
	if (i >= 0) {
		struct resident *r = &p->rows[i];
		if (s->kind == 0) {
			apply_patient(r, doc);
		} else if (s->kind == 1) {
			const char *team = NULL, *doctor = NULL;
			apply_episode(r, doc, s->today, &team, &doctor);
			if (team)
				set_groups(p, i, team, doctor);
		} else if (s->kind == 2) {
			apply_condition(r, doc, s->today);
		} else if (s->kind == 3) {
			apply_encounter(r, doc);
		} else if (own_assessment(row, pid)) {
			r->tier = (signed char)yl_risk_rank_doc(doc);
			r->risk = yl_risk_digest_doc(doc);
		}
	}
	json_decref(doc);
	return s->failed;
}

static enum yl_code build(struct yl_pop *p, struct yl_store_conn *c, struct yl_arena *a,
                          struct yl_err *err)
{
	static const char *const types[] = {"Patient", "EpisodeOfCare", "Condition", "Encounter",
	                                    "RiskAssessment"};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum yl_code code = yl_store_last_seq(c, a, &p->seq, err);
	atomic_store(&p->applied, p->seq);
	struct yl_arena *page = yl_arena_create(256 * 1024);
	if (!page)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	struct scan s = {.p = p, .page = page, .today = day32(yl_today())};
	pthread_rwlock_wrlock(&p->lock);
	for (int k = 0; code == YL_OK && k < 5 && !atomic_load(&p->stop); k++) {
		s.kind = k;
		s.after = 0;
		for (;;) {
			size_t before = s.n;
			yl_arena_reset(page);
			code = yl_store_scan(c, page, types[k], NULL, 0, s.after, SCAN_PAGE,
			                     scan_row, &s, err);
			atomic_store(&p->progress, s.n);
			if (code != YL_OK || s.failed || s.n - before < SCAN_PAGE)
				break;
		}
		if (s.failed)
			code =
			    yl_err_add(err, a, YL_NOMEM, NULL, "out of memory building the model");
	}
	pthread_rwlock_unlock(&p->lock);
	yl_arena_destroy(page);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	p->build_seconds =
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return code;
}

/* ---- catching up with the change log ----------------------------------------------- */

struct pending {
	char **ids;
	size_t n, cap;
	int64_t last;
};

static int note_change(void *ctx, const struct yl_change *ch)
{
	struct pending *pd = ctx;
	pd->last = ch->seq;
	const char *pid = !strcmp(ch->type, "Patient") ? ch->id : ch->patient;
	if (!pid || !strcmp(ch->type, "RiskAssessment")) /* derived here: see population.h */
		return 0;
	if (pd->n && !strcmp(pd->ids[pd->n - 1], pid)) /* a visit writes several rows */
		return 0;
	if (pd->n == pd->cap) {
		size_t cap = pd->cap ? pd->cap * 2 : 256;
		char **ids = realloc(pd->ids, cap * sizeof *ids);
		if (!ids)
			return 1;
		pd->ids = ids;
		pd->cap = cap;
	}
	if (!(pd->ids[pd->n] = strdup(pid)))
		return 1;
	pd->n++;
	return 0;
}

/* Re-derive one resident from the store into a fresh row (not yet in the model), and their
 * risk (*risk filled, *digest its digest; 0 when the risk packs are not loaded or the
 * resident is gone). */
static enum yl_code derive(struct yl_store_conn *c, struct yl_arena *a, const char *pid,
                           struct resident *r, const char **team, const char **doctor,
                           struct yl_risk_result *risk, uint64_t *digest, struct yl_err *err)
{
	memset(r, 0, sizeof *r);
	reset(r);
	*team = *doctor = NULL;
	*digest = 0;
	struct yl_row row;
	json_t *patient;
	enum yl_code code = yl_care_read(c, a, "Patient", pid, &row, &patient, err);
	if (code == YL_NOT_FOUND)
		return YL_OK; /* gone: the row stays, not live */
	if (code != YL_OK)
		return code;
	apply_patient(r, patient);
	int64_t today = yl_today();
	const char *ref = yl_arena_printf(a, "Patient/%s", pid);
	const char *types = "";
	for (size_t k = 0; k < yl_programme_count(); k++)
		types = yl_arena_printf(a, "%s%s" YL_CS "encounter-type|%s", types, k ? "," : "",
		                        yl_programme_at(k)->encounter_type);
	struct {
		const char *type;
		struct yl_param p[2];
		size_t n;
	} q[] = {
	    {"EpisodeOfCare", {{"patient", ref}}, 1},
	    {"Condition", {{"patient", ref}}, 1},
	    {"Encounter", {{"subject", ref}, {"type", types}}, 2},
	};
	json_t **conds = NULL;
	size_t nconds = 0;
	const json_t *latest[MAXP] = {0};
	for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
		struct yl_row *rows;
		size_t n;
		if ((code = yl_care_find(c, a, q[k].type, q[k].p, q[k].n, MAX_ROWS, &rows, &n, NULL,
		                         err)) != YL_OK)
			return code;
		if (k == 1 && !(conds = yl_arena_calloc(a, n ? n : 1, sizeof *conds)))
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_t *d = yl_care_parse(a, &rows[i], err);
			if (!d)
				return err->code;
			if (k == 0) {
				apply_episode(r, d, day32(today), team, doctor);
			} else if (k == 1) {
				apply_condition(r, d, day32(today));
				conds[nconds++] = d;
			} else {
				apply_encounter(r, d);
				for (size_t m = 0; m < MAXP; m++)
					if (r->prog[m].last_enc && yl_care_str(d, "id") &&
					    !strcmp(r->prog[m].last_enc, yl_care_str(d, "id")))
						latest[m] = d;
			}
		}
	}
	/* team and doctor point into documents of the arena: copy before it goes */
	if (*team)
		*team = yl_arena_strdup(a, *team);
	if (*doctor)
		*doctor = yl_arena_strdup(a, *doctor);
	if (!yl_risk_loaded())
		return YL_OK;
	struct yl_risk_visit visits[MAXP];
	size_t nvisits = 0;
	for (size_t m = 0; m < MAXP && m < yl_programme_count(); m++) {
		if (!latest[m])
			continue;
		struct yl_param op = {
		    "encounter", yl_arena_printf(a, "Encounter/%s", yl_care_str(latest[m], "id"))};
		struct yl_row *rows;
		size_t n;
		if ((code = yl_care_find(c, a, "Observation", &op, 1, 64, &rows, &n, NULL, err)) !=
		    YL_OK)
			return code;
		json_t **obs = yl_arena_calloc(a, n ? n : 1, sizeof *obs);
		if (!obs)
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		for (size_t i = 0; i < n; i++)
			if (!(obs[i] = yl_care_parse(a, &rows[i], err)))
				return err->code;
		visits[nvisits++] =
		    (struct yl_risk_visit){latest[m], obs, n, yl_programme_at(m)->name};
	}
	struct yl_fu_facts f;
	yl_risk_facts(patient, conds, nconds, visits, nvisits, today, &f);
	yl_risk_eval(&f, risk);
	r->tier = (signed char)risk->rank;
	*digest = yl_risk_digest(risk);
	return YL_OK;
}

/* A registered resident, who gets a risk tier: their record is kept by an institution, or
 * they have a contract in force or a programme enrolment (a Patient that is only a FHIR
 * record, say one loaded for a test, gets none). */
static bool registered(const struct resident *r)
{
	if (!r->live)
		return false;
	if (r->kept || r->team >= 0)
		return true;
	for (size_t k = 0; k < MAXP; k++)
		if (r->prog[k].ever_enrolled)
			return true;
	return false;
}

/* Store the resident's RiskAssessment as the model computed it. */
static enum yl_code write_risk(struct yl_pop *p, struct yl_arena *a, const char *pid,
                               const struct yl_risk_result *risk, struct yl_err *err)
{
	if (!p->app || !p->write_risk)
		return YL_OK;
	const char *id = yl_arena_printf(a, "risk-%s", pid);
	if (strlen(id) > 64)
		return YL_OK; /* an id too long for FHIR: such a resident keeps no stored tier */
	json_t *doc = yl_risk_resource(a, pid, yl_today(), risk);
	if (!doc || yl_arena_defer(a, yl_care_decref, doc) != 0)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	struct yl_req ir = {.a = a, .app = p->app, .method = "PUT"};
	struct yl_write w;
	return yl_care_put(&ir, YL_WRITE_UPDATE, "RiskAssessment", id, doc, 0, &w, err);
}

/* Re-derive the residents and put them in the model; their RiskAssessments are written
 * when they change. */
static enum yl_code refresh(struct yl_pop *p, struct yl_store_conn *c, struct yl_arena *a,
                            char *const *ids, size_t n, struct yl_err *err)
{
	/* one resident's reads at a time: a catch-up over an import reads thousands */
	struct yl_arena *s = yl_arena_create(64 * 1024);
	if (!s)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code = YL_OK;
	for (size_t i = 0; code == YL_OK && i < n; i++) {
		yl_arena_reset(s);
		struct yl_err e;
		yl_err_init(&e);
		struct resident fresh;
		const char *team, *doctor;
		struct yl_risk_result risk;
		uint64_t digest;
		if ((code = derive(c, s, ids[i], &fresh, &team, &doctor, &risk, &digest, &e)) !=
		    YL_OK) {
			reset(&fresh);
			yl_err_add(err, a, code, NULL, "re-deriving Patient/%s: %s", ids[i],
			           e.first ? e.first->message : "failed");
			break;
		}
		bool write = false;
		pthread_rwlock_wrlock(&p->lock);
		long k = row_of(p, ids[i]);
		if (k >= 0) {
			struct resident *r = &p->rows[k];
			int t = r->team, d = r->doctor;
			uint64_t old = r->risk;
			char *id = r->id;
			reset(r);
			*r = fresh;
			r->id = id;
			r->team = t;
			r->doctor = d;
			set_groups(p, k, team, doctor);
			write = digest && digest != old && registered(r);
			r->risk = write ? digest : old;
		} else {
			reset(&fresh);
		}
		pthread_rwlock_unlock(&p->lock);
		if (write && write_risk(p, s, ids[i], &risk, &e) != YL_OK) {
			/* not fatal for the model: logged, and tried again at the resident's next
			 * change */
			yl_log(YL_LOG_WARN, "population model: RiskAssessment of Patient/%s: %s",
			       ids[i], e.first ? e.first->message : "not written");
			pthread_rwlock_wrlock(&p->lock);
			if ((k = row_of(p, ids[i])) >= 0)
				p->rows[k].risk = 0;
			pthread_rwlock_unlock(&p->lock);
		}
	}
	yl_arena_destroy(s);
	return code;
}

static int by_id(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Each resident once (an import writes a resident's resources type by type). */
static void unique(struct pending *pd)
{
	if (pd->n < 2)
		return; /* (and qsort must not be given the NULL of an empty list) */
	qsort(pd->ids, pd->n, sizeof *pd->ids, by_id);
	size_t k = 0;
	for (size_t i = 0; i < pd->n; i++) {
		if (k && !strcmp(pd->ids[k - 1], pd->ids[i])) {
			free(pd->ids[i]);
			continue;
		}
		pd->ids[k++] = pd->ids[i];
	}
	pd->n = k;
}

static enum yl_code catch_up(struct yl_pop *p, struct yl_store_conn *c, struct yl_arena *a,
                             struct yl_err *err)
{
	enum yl_code code = YL_OK;
	for (;;) {
		struct pending pd = {.last = p->seq};
		code = yl_store_changes(c, a, p->seq, CHANGE_PAGE, note_change, &pd, err);
		bool more = pd.last != p->seq;
		unique(&pd);
		if (code == YL_OK)
			code = refresh(p, c, a, pd.ids, pd.n, err);
		for (size_t i = 0; i < pd.n; i++)
			free(pd.ids[i]);
		free(pd.ids);
		if (code != YL_OK)
			break;
		p->seq = pd.last;
		atomic_store(&p->applied, p->seq);
		if (!more)
			break;
	}
	return code;
}

/* Up to `batch` residents without a stored RiskAssessment get one; false when none is left. */
static bool backfill(struct yl_pop *p, struct yl_store_conn *c, struct yl_arena *a, size_t batch,
                     struct yl_err *err)
{
	if (!yl_risk_loaded() || !p->write_risk)
		return false;
	char *ids[64];
	size_t n = 0;
	if (batch > 64)
		batch = 64;
	pthread_rwlock_rdlock(&p->lock);
	while (p->backfill < p->nrows && n < batch) {
		const struct resident *r = &p->rows[p->backfill++];
		if (registered(r) && !r->risk && (ids[n] = yl_arena_strdup(a, r->id)))
			n++;
	}
	bool more = p->backfill < p->nrows;
	pthread_rwlock_unlock(&p->lock);
	if (n && refresh(p, c, a, ids, n, err) != YL_OK)
		yl_log(YL_LOG_WARN, "population model: risk tiers: %s",
		       err->first ? err->first->message : "failed");
	return more;
}

enum yl_code yl_pop_sync(struct yl_pop *p, struct yl_arena *a, struct yl_err *err)
{
	if (!atomic_load(&p->ready))
		return yl_err_add(
		    err, a, YL_UNAVAILABLE, NULL,
		    atomic_load(&p->failed)
		        ? "the population model could not be built: see the server log"
		        : "the population model is being built (%zu resources read so "
		          "far); try again in a minute",
		    atomic_load(&p->progress));
	struct yl_store_conn *c = yl_store_conn(p->store, a, err);
	if (!c)
		return err->code;
	pthread_mutex_lock(&p->sync_lock);
	enum yl_code code = catch_up(p, c, a, err);
	pthread_mutex_unlock(&p->sync_lock);
	return code;
}

static void *run(void *arg)
{
	struct yl_pop *p = arg;
	struct yl_arena *a = yl_arena_create(64 * 1024);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store_conn *c = a ? yl_store_conn(p->store, a, &err) : NULL;
	enum yl_code code = c ? build(p, c, a, &err) : YL_NOMEM;
	if (code == YL_OK) {
		pthread_mutex_lock(&p->sync_lock);
		code = catch_up(p, c, a, &err);
		pthread_mutex_unlock(&p->sync_lock);
	}
	if (code != YL_OK) {
		yl_log(YL_LOG_ERROR, "population model: %s",
		       err.first ? err.first->message : "out of memory");
		atomic_store(&p->failed, true);
	} else {
		struct yl_pop_stats st;
		yl_pop_stats(p, &st);
		yl_log(YL_LOG_INFO,
		       "population model: %zu residents (%zu with a contract in force) in %.1f s",
		       st.residents, st.contracted, p->build_seconds);
		atomic_store(&p->ready, true);
	}
	bool filling = code == YL_OK;
	while (code == YL_OK && !atomic_load(&p->stop)) {
		if (!filling) {
			pthread_mutex_lock(&p->stop_lock);
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += POP_TAIL_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			if (!atomic_load(&p->stop) && !p->woken)
				pthread_cond_timedwait(&p->stop_cond, &p->stop_lock, &until);
			p->woken = false;
			pthread_mutex_unlock(&p->stop_lock);
		}
		if (atomic_load(&p->stop))
			break;
		yl_arena_reset(a);
		yl_err_init(&err);
		pthread_mutex_lock(&p->sync_lock);
		if (catch_up(p, c, a, &err) != YL_OK)
			yl_log(YL_LOG_WARN, "population model: %s",
			       err.first ? err.first->message : "catching up failed");
		if (filling && !(filling = backfill(p, c, a, BACKFILL_BATCH, &err)) &&
		    p->write_risk)
			yl_log(YL_LOG_INFO, "population model: every resident has a risk tier");
		pthread_mutex_unlock(&p->sync_lock);
	}
	yl_store_conn_release(p->store);
	yl_arena_destroy(a);
	return NULL;
}

/* yl_store_watch: a commit somewhere (PostgreSQL: any node) wakes the tail at once */
static void wake(void *ctx)
{
	struct yl_pop *p = ctx;
	pthread_mutex_lock(&p->stop_lock);
	p->woken = true;
	pthread_cond_broadcast(&p->stop_cond);
	pthread_mutex_unlock(&p->stop_lock);
}

struct yl_pop *yl_pop_start(struct yl_app *app, bool write_risk, struct yl_arena *a,
                            struct yl_err *err)
{
	if (yl_programme_count() > MAXP) {
		yl_err_add(
		    err, a, YL_IO, NULL,
		    "rules/programmes.json: the population model keeps at most %d programmes",
		    MAXP);
		return NULL;
	}
	struct yl_pop *p = calloc(1, sizeof *p);
	if (!p) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		return NULL;
	}
	p->store = app->store;
	p->app = app;
	p->write_risk = write_risk;
	pthread_rwlock_init(&p->lock, NULL);
	pthread_mutex_init(&p->sync_lock, NULL);
	pthread_mutex_init(&p->stop_lock, NULL);
	pthread_cond_init(&p->stop_cond, NULL);
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		yl_pop_stop(p);
		yl_err_add(err, a, YL_NOMEM, NULL, "could not start the population model's thread");
		return NULL;
	}
	p->thread_started = true;
	yl_store_watch(p->store, wake, p);
	return p;
}

bool yl_pop_wait(struct yl_pop *p)
{
	while (!atomic_load(&p->ready) && !atomic_load(&p->failed)) {
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	return atomic_load(&p->ready);
}

void yl_pop_stop(struct yl_pop *p)
{
	if (!p)
		return;
	if (p->thread_started)
		yl_store_watch(p->store, NULL, NULL); /* no wake-up after this returns */
	atomic_store(&p->stop, true);
	pthread_mutex_lock(&p->stop_lock);
	pthread_cond_broadcast(&p->stop_cond);
	pthread_mutex_unlock(&p->stop_lock);
	if (p->thread_started)
		pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->nrows; i++) {
		reset(&p->rows[i]);
		free(p->rows[i].id);
	}
	free(p->rows);
	free(p->by_id.slots);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < p->ngroups[k]; i++) {
			free(p->groups[k][i].id);
			free(p->groups[k][i].members);
		}
		free(p->groups[k]);
		free(p->group_map[k].slots);
	}
	pthread_rwlock_destroy(&p->lock);
	pthread_mutex_destroy(&p->sync_lock);
	pthread_mutex_destroy(&p->stop_lock);
	pthread_cond_destroy(&p->stop_cond);
	free(p);
}

void yl_pop_stats(struct yl_pop *p, struct yl_pop_stats *out)
{
	memset(out, 0, sizeof *out);
	int32_t today = day32(yl_today());
	pthread_rwlock_rdlock(&p->lock);
	for (size_t i = 0; i < p->nrows; i++) {
		const struct resident *r = &p->rows[i];
		if (!r->live)
			continue;
		out->residents++;
		out->contracted += r->team >= 0 && r->contract_end >= today;
		for (size_t k = 0; k < MAXP; k++)
			out->enrolled[k] += r->prog[k].enrolled != NO_DAY;
	}
	out->seq = p->seq;
	out->build_seconds = p->build_seconds;
	pthread_rwlock_unlock(&p->lock);
}

/* ---- worklists --------------------------------------------------------------------- */

struct match {
	int row, prog;
	int64_t key_num;
	const char *key_str;
};

static bool on_list(const struct yl_pop *p, const struct resident *r, int k, enum yl_wl_list l,
                    int32_t today, int *overdue)
{
	(void)p;
	const struct prog_state *s = &r->prog[k];
	bool enrolled = s->enrolled != NO_DAY;
	int32_t since = s->last_visit != NO_DAY ? s->last_visit : s->enrolled;
	/* lost to follow-up: a list of its own, left out of the lists a doctor acts on today */
	bool lost = enrolled && since != NO_DAY && since <= today - LOST_DAYS;
	*overdue =
	    enrolled && s->next_date != NO_DAY && s->next_date < today ? today - s->next_date : 0;
	switch (l) {
	case YL_WL_DUE:
		return enrolled && s->next_date != NO_DAY && s->next_date >= today &&
		       s->next_date < today + DUE_DAYS;
	case YL_WL_OVERDUE:
		return *overdue > 0 && !lost;
	case YL_WL_TWO_WEEK:
		return enrolled && !lost &&
		       (s->step == YL_NEXT_TWO_WEEK || s->step == YL_NEXT_REFERRAL);
	case YL_WL_URGENT:
		return enrolled && !lost && s->step == YL_NEXT_URGENT;
	case YL_WL_LOST:
		return lost;
	case YL_WL_NOT_ENROLLED: {
		int age = r->birth == NO_DAY ? -1 : yl_years_between(r->birth, today);
		return s->has_diag && !s->ever_enrolled &&
		       age >= yl_pack_min_age(yl_programme_at((size_t)k)->pack);
	}
	case YL_WL_COUNT:
		break;
	}
	return false;
}

static int cmp_match(const void *x, const void *y, void *desc)
{
	const struct match *a = x, *b = y;
	bool sort_desc = *(const bool *)desc;
	int c = 0;
	if (a->key_str || b->key_str)
		c = strcmp(a->key_str ? a->key_str : "", b->key_str ? b->key_str : "");
	else if (a->key_num != b->key_num)
		c = a->key_num < b->key_num ? -1 : 1;
	if (sort_desc)
		c = -c;
	return c ? c : (a->row != b->row ? (a->row < b->row ? -1 : 1) : a->prog - b->prog);
}

static int64_t sort_key(const struct resident *r, int k, enum yl_wl_sort sort, int overdue)
{
	const struct prog_state *s = &r->prog[k];
	switch (sort) {
	case YL_SORT_DUE:
		return s->next_date == NO_DAY ? INT64_MAX : s->next_date;
	case YL_SORT_OVERDUE:
		return overdue;
	case YL_SORT_LAST_VISIT:
		return s->last_visit == NO_DAY ? INT64_MIN : s->last_visit;
	case YL_SORT_DIAGNOSED:
		return s->diagnosed == NO_DAY ? INT64_MIN : s->diagnosed;
	case YL_SORT_NAME:
		break;
	}
	return 0;
}

enum yl_code yl_pop_worklist(struct yl_pop *p, const struct yl_wl_query *q, struct yl_arena *a,
                             struct yl_wl_item **items, size_t *n, size_t *total,
                             struct yl_err *err)
{
	*items = NULL;
	*n = *total = 0;
	int32_t today = day32(q->today);
	pthread_rwlock_rdlock(&p->lock);
	const int *members = NULL;
	size_t count = 0; /* a team's or a doctor's residents, never the whole region */
	long g = -1;
	if (q->team)
		g = map_find(p, &p->group_map[TEAM], team_key, q->team);
	else if (q->doctor)
		g = map_find(p, &p->group_map[DOCTOR], doctor_key, q->doctor);
	if (q->team || q->doctor) {
		const struct group *gr = g >= 0 ? &p->groups[q->team ? TEAM : DOCTOR][g] : NULL;
		members = gr ? gr->members : NULL;
		count = gr ? gr->n : 0;
	}
	size_t nprog = yl_programme_count() < MAXP ? yl_programme_count() : MAXP;
	struct match *m = yl_arena_alloc(a, (count ? count : 1) * nprog * sizeof *m);
	if (!m) {
		pthread_rwlock_unlock(&p->lock);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	}
	size_t nm = 0;
	for (size_t i = 0; i < count; i++) {
		int row = members ? members[i] : (int)i;
		const struct resident *r = &p->rows[row];
		if (!r->live || r->deceased)
			continue;
		if ((q->team || q->doctor) && r->contract_end < today)
			continue;
		if (q->tier >= 0 && r->tier != q->tier)
			continue;
		if (q->team && q->doctor &&
		    (r->doctor < 0 || strcmp(p->groups[DOCTOR][r->doctor].id, q->doctor) != 0))
			continue;
		for (size_t k = 0; k < nprog; k++) {
			int overdue;
			if ((q->programme >= 0 && (size_t)q->programme != k) ||
			    !on_list(p, r, (int)k, q->list, today, &overdue))
				continue;
			m[nm++] = (struct match){row, (int)k, sort_key(r, (int)k, q->sort, overdue),
			                         q->sort == YL_SORT_NAME ? r->name : NULL};
		}
	}
	bool desc = q->descending;
	qsort_r(m, nm, sizeof *m, cmp_match, &desc);
	*total = nm;
	size_t from = q->offset > 0 ? (size_t)q->offset : 0;
	size_t upto = from + (size_t)(q->count > 0 ? q->count : 0);
	if (upto > nm)
		upto = nm;
	if (from < upto && !(*items = yl_arena_calloc(a, upto - from, sizeof **items))) {
		pthread_rwlock_unlock(&p->lock);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	}
	for (size_t i = from; i < upto; i++) {
		const struct resident *r = &p->rows[m[i].row];
		const struct prog_state *s = &r->prog[m[i].prog];
		int overdue;
		on_list(p, r, m[i].prog, q->list, today, &overdue);
		struct yl_wl_item *it = &(*items)[(*n)++];
		*it = (struct yl_wl_item){
		    .patient = yl_arena_strdup(a, r->id),
		    .name = r->name ? yl_arena_strdup(a, r->name) : NULL,
		    .programme = m[i].prog,
		    .due = s->next_date == NO_DAY ? YL_NO_DAY : s->next_date,
		    .last_visit = s->last_visit == NO_DAY ? YL_NO_DAY : s->last_visit,
		    .diagnosed = s->diagnosed == NO_DAY ? YL_NO_DAY : s->diagnosed,
		    .days_overdue = overdue,
		    .classification = s->cls >= 0 ? classifications[s->cls] : NULL,
		    .next_step = s->step > 0 ? yl_next_step_code((enum yl_next_step)s->step) : NULL,
		    .last_encounter = s->last_enc ? yl_arena_strdup(a, s->last_enc) : NULL,
		    .tier = yl_risk_tier_code(r->tier),
		};
	}
	pthread_rwlock_unlock(&p->lock);
	return YL_OK;
}

int yl_pop_tier(struct yl_pop *p, const char *patient)
{
	pthread_rwlock_rdlock(&p->lock);
	long i = map_find(p, &p->by_id, row_key, patient);
	int tier = i >= 0 && p->rows[i].live ? p->rows[i].tier : -1;
	pthread_rwlock_unlock(&p->lock);
	return tier;
}

void yl_pop_sync_try(struct yl_pop *p, struct yl_arena *a)
{
	if (!atomic_load(&p->ready) || pthread_mutex_trylock(&p->sync_lock) != 0)
		return;
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store_conn *c = yl_store_conn(p->store, a, &err);
	if (c)
		catch_up(p, c, a, &err);
	pthread_mutex_unlock(&p->sync_lock);
}

int64_t yl_pop_seq(struct yl_pop *p)
{
	return atomic_load(&p->applied);
}

enum yl_code yl_pop_in_care(struct yl_pop *p, const char *const *teams, size_t nteams,
                            const char *doctor, struct yl_arena *a, const char ***ids, size_t *n,
                            struct yl_err *err)
{
	*ids = NULL;
	*n = 0;
	/* the changes committed so far, unless another thread is catching up (a backfill of
	 * risk tiers can hold the catch-up for seconds): then the model as it stands, which
	 * the tail brings up to date within POP_TAIL_MS */
	if (!atomic_load(&p->ready))
		return yl_pop_sync(p, a, err); /* YL_UNAVAILABLE, saying how far the build is */
	yl_pop_sync_try(p, a);
	int32_t today = day32(yl_today());
	pthread_rwlock_rdlock(&p->lock);
	const struct group *gs[65];
	size_t ng = 0, cap = 0;
	for (size_t t = 0; t < nteams && ng < 64; t++) {
		long g = map_find(p, &p->group_map[TEAM], team_key, teams[t]);
		if (g >= 0)
			gs[ng++] = &p->groups[TEAM][g];
	}
	if (doctor) {
		long g = map_find(p, &p->group_map[DOCTOR], doctor_key, doctor);
		if (g >= 0)
			gs[ng++] = &p->groups[DOCTOR][g];
	}
	for (size_t k = 0; k < ng; k++)
		cap += gs[k]->n;
	const char **out = yl_arena_alloc(a, (cap ? cap : 1) * sizeof *out);
	size_t m = 0;
	for (size_t k = 0; out && k < ng; k++)
		for (size_t i = 0; i < gs[k]->n; i++) {
			const struct resident *r = &p->rows[gs[k]->members[i]];
			if (r->live && r->contract_end >= today)
				out[m++] = yl_arena_strdup(a, r->id);
		}
	pthread_rwlock_unlock(&p->lock);
	if (!out)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	*ids = out;
	*n = m;
	return YL_OK;
}
