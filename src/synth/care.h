/* care.h -- what happens to a resident over the years of history: death, hypertension and
 * type 2 diabetes (Condition), family-doctor contracts (EpisodeOfCare), and for patients
 * under management the programme enrolments (EpisodeOfCare), the follow-up visits
 * (Encounter) with the outcome the server's own rule pack gives them (care/rulepack.h, the
 * extension followup-outcome as $record-followup writes it), their readings and form items
 * (Observation) and the prescriptions started and changed over time (MedicationRequest), in
 * the shapes of docs/registry.md, with the figures of
 * terminology/synth/{conditions,programmes,contracts}.json. Each next visit is planned from
 * the outcome of the one before.
 *
 * A struct yl_synth_team_ctx is one team's generation: residents are given to it in order,
 * and it counts the team's and each signing doctor's contracts in force day by day, so that
 * no contract is made that would pass a cap on any day (capacity is checked inside a team,
 * which one thread generates alone). Every draw comes from streams seeded by (seed, resident
 * number), so the output does not depend on threads.
 * Ids per resident number NNNNNNN: cond-NNNNNNN-1 (hypertension) / -2 (type 2 diabetes),
 * eoc-NNNNNNN-KK (the contracts, then the programme enrolments), enc-NNNNNNN-KKK,
 * med-NNNNNNN-KK, in creation order; a visit's Observations are enc-NNNNNNN-KKK-bp, -fpg,
 * ..., -findings as $record-followup names them (rules/followup-form.json).
 * Memory: the load arrays are malloc'd by yl_synth_team_ctx_init() and freed by
 * yl_synth_team_ctx_finish(); text goes to the ctx's struct yl_synth_out. The binding
 * points into the loaded rules (care/config.h, care/rulepack.h), which must outlive it.
 * Threads: one ctx per thread; the binding is read-only once made. */
#ifndef YL_SYNTH_CARE_H
#define YL_SYNTH_CARE_H

#include <stdbool.h>
#include <stdint.h>

#include "synth/data.h"
#include "synth/emit.h"
#include "synth/people.h"
#include "synth/region.h"

/* What the follow-ups take from the server's rules, loaded before (yl_cli_load_data()). */
#define YL_SYNTH_MAX_VS 8 /* value sets a rule pack's conditions ask about */
#define YL_SYNTH_NOBS   7 /* kinds of Observation of a visit */
#define YL_SYNTH_NMEMO  256
struct yl_programme;
struct yl_fu_reading;
struct yl_synth_bind {
	struct {
		const struct yl_programme *prog;
		const char *episode_display, *encounter_display; /* zh-CN */
		int min_age;
		/* the value sets the pack's rules ask about, and for each the condition kinds
		 * (bit k) whose Condition is coded in it */
		const char *vs[YL_SYNTH_MAX_VS];
		unsigned vs_conds[YL_SYNTH_MAX_VS];
		int nvs;
	} prog[YL_SYNTH_NCOND];
	/* the Observation kinds of a visit: the form's reading (NULL for the findings), the
	 * id suffix, and the kinds in the order of their ids */
	const struct yl_fu_reading *reading[YL_SYNTH_NOBS];
	const char *suffix[YL_SYNTH_NOBS];
	int order[YL_SYNTH_NOBS];
};

/* Binds the programmes of d to the loaded ones, and checks that each condition's Condition
 * makes a resident eligible and that every code the figures name is in
 * terminology/codesystems.json. YL_IO saying what is missing. */
enum yl_code yl_synth_bind(struct yl_synth_bind *b, const struct yl_synth_data *d,
                           struct yl_arena *a, struct yl_err *err);

/* the zh-CN displays of codes already looked up (care/config.h's yl_care_code()) */
struct yl_synth_memo {
	const char *system, *code, *display;
};

struct yl_synth_fate {
	int32_t death;                 /* day of death, or -1 */
	int32_t onset[YL_SYNTH_NCOND]; /* day of diagnosis, or -1 */
};

struct yl_synth_team_ctx {
	const struct yl_synth_data *d;
	const struct yl_synth_bind *b;
	const struct yl_synth_region *r;
	uint64_t seed;
	int32_t as_of, window; /* window: the first day of the history */
	struct yl_synth_out *o;
	int team;
	int32_t day0; /* day of load[0] */
	int ndays;
	uint16_t *team_load, *doctor_load[2];      /* contracts in force per day */
	int64_t contracted_now;                    /* residents with a contract in force on as_of */
	struct yl_synth_memo memo[YL_SYNTH_NMEMO]; /* open addressing by code pointer */
};

/* Returns false when out of memory. */
bool yl_synth_team_ctx_init(struct yl_synth_team_ctx *c, int years);
void yl_synth_team_ctx_start(struct yl_synth_team_ctx *c, int team);
void yl_synth_team_ctx_finish(struct yl_synth_team_ctx *c);

void yl_synth_fate(const struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                   struct yl_synth_fate *f /* OUT */);

/* Conditions, contracts and follow-ups of resident i (the Patient is written by people.c) */
void yl_synth_care(struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                   const struct yl_synth_fate *f, const struct yl_synth_village *v,
                   bool low_income);

#endif
