/* population.h -- the in-memory population model (DESIGN.md "Population model"): one dense
 * row per registered resident with what the worklists (and, later, indicators and
 * dashboards) read: age, sex, the team and doctor of the contract in force, and per
 * programme the diagnosis day, the enrolment, the last visit and the outcome the rule pack
 * gave it (next step and date).
 *
 * Built once at start by a background thread from type scans of the store (Patient,
 * EpisodeOfCare, Condition, Encounter, RiskAssessment), then kept current by tailing the change log
 * (store.h yl_store_changes): every change in a resident's compartment re-derives that
 * resident's row from the store. A request that reads the model first applies the changes
 * committed before it (yl_pop_sync), so a doctor sees the visit they have just recorded;
 * the thread also tails every POP_TAIL_MS so changes from `yilian import` or another node
 * arrive without a request, and at once when the store says another node committed
 * (PostgreSQL's NOTIFY, store.h yl_store_watch).
 *
 * Risk tiers (care/risk.h) are recomputed in the same step: when a resident's record
 * changes, their RiskAssessment is rewritten if the tier, reasons or recall differ. After
 * the build, residents without one get theirs in the background (a first start over an
 * imported region). Changes to RiskAssessments themselves are not followed: they are
 * derived data, overwritten at the resident's next change.
 *
 * Memory: the model's own (malloc), freed by yl_pop_stop; results of a query are copied
 * into the caller's arena. Threads: queries take a read lock, updates a write lock; sync
 * is serialised. Errors: YL_UNAVAILABLE while the first build runs (the message says how
 * far it is), store errors as reported. */
#ifndef YL_CARE_POPULATION_H
#define YL_CARE_POPULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

struct yl_pop;

/* Start the model over the app's store: the build runs in its own thread. The app is used to
 * write RiskAssessments through the ordinary write path (care/risk.h). */
struct yl_app;
struct yl_pop *yl_pop_start(struct yl_app *app, bool write_risk, struct yl_arena *a,
                            struct yl_err *err);
void yl_pop_stop(struct yl_pop *p);

/* Apply every change committed so far. YL_UNAVAILABLE until the first build is done. */
enum yl_code yl_pop_sync(struct yl_pop *p, struct yl_arena *a, struct yl_err *err);

/* Block until the first build is done (tests, benchmarks); false if it failed. */
bool yl_pop_wait(struct yl_pop *p);

/* The worklists (docs/clinical-rules.md "Worklists"). */
enum yl_wl_list {
	YL_WL_DUE,      /* next visit due today or within the next 6 days */
	YL_WL_OVERDUE,  /* next visit date passed, no visit since (not lost) */
	YL_WL_TWO_WEEK, /* last visit asked for a 2-week follow-up (two-week or referral) */
	YL_WL_URGENT,   /* last visit was an urgent referral, not followed up yet */
	/* (the three above leave out the residents lost to follow-up: they have their list) */
	YL_WL_LOST,         /* enrolled, no visit for 12 months */
	YL_WL_NOT_ENROLLED, /* diagnosed, old enough, never enrolled */
	YL_WL_COUNT
};
const char *yl_wl_name(enum yl_wl_list l);
int yl_wl_find(const char *name); /* -1 when unknown */

enum yl_wl_sort {
	YL_SORT_DUE,
	YL_SORT_OVERDUE,
	YL_SORT_NAME,
	YL_SORT_LAST_VISIT,
	YL_SORT_DIAGNOSED
};

struct yl_wl_query {
	enum yl_wl_list list;
	int programme;      /* index into the programmes (rulepack.h), -1 for all */
	const char *team;   /* CareTeam id, or NULL */
	const char *doctor; /* Practitioner id (the contract's doctor), or NULL */
	int tier;           /* a risk tier's rank (care/risk.h) to keep only those, -1 for any */
	enum yl_wl_sort sort;
	bool descending;
	int count, offset;
	int64_t today;
};

struct yl_wl_item {
	const char *patient; /* id, arena text */
	const char *name;
	int programme;
	int64_t due;                            /* next visit date (YL_NO_DAY none) */
	int64_t last_visit;                     /* YL_NO_DAY none */
	int64_t diagnosed;                      /* first active diagnosis (YL_NO_DAY unknown) */
	int days_overdue;                       /* 0 when not overdue */
	const char *classification, *next_step; /* of the last visit, or NULL */
	const char *last_encounter;             /* its id, or NULL */
	const char *tier;                       /* risk tier (CS:risk-tier) or NULL */
};

/* A resident's risk tier rank (care/risk.h), -1 when not known yet or not a resident. */
int yl_pop_tier(struct yl_pop *p, const char *patient);

/* One page of a worklist (*n items) and the number of all matches (*total). */
enum yl_code yl_pop_worklist(struct yl_pop *p, const struct yl_wl_query *q, struct yl_arena *a,
                             struct yl_wl_item **items, size_t *n, size_t *total,
                             struct yl_err *err);

/* The residents in care of teams[] (a contract in force with one of them) or of doctor (the
 * contract names them): ids (arena copies, possibly repeated) in *ids. The access policy's
 * question (auth/policy.h). Every committed change is applied first unless another thread
 * is applying changes at that moment; then the model as it stands (at most POP_TAIL_MS
 * behind), so a long catch-up never holds up a request. */
enum yl_code yl_pop_in_care(struct yl_pop *p, const char *const *teams, size_t nteams,
                            const char *doctor, struct yl_arena *a, const char ***ids, size_t *n,
                            struct yl_err *err);
/* Apply the committed changes unless another thread is applying them now (then return at
 * once); and the change-log seq the model has reached. Together: whether anything changed
 * since a derived answer was cached (auth/policy.c's scopes). */
void yl_pop_sync_try(struct yl_pop *p, struct yl_arena *a);
int64_t yl_pop_seq(struct yl_pop *p);
/* Counts for tests and the log: residents, with a contract in force, enrolled per programme. */
struct yl_pop_stats {
	size_t residents, contracted, enrolled[8];
	int64_t seq; /* the last change applied */
	double build_seconds;
};
void yl_pop_stats(struct yl_pop *p, struct yl_pop_stats *out);

#endif
