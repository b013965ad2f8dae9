/* care.h -- what happens to a resident over the years of history: death, hypertension and
 * type 2 diabetes (Condition), family-doctor contracts (EpisodeOfCare), and for patients
 * under management the follow-up visits (Encounter), their readings (Observation) and the
 * prescriptions started and changed over time (MedicationRequest), in the shapes of
 * docs/registry.md, with the figures of terminology/synth/{conditions,contracts}.json.
 *
 * A struct yl_synth_team_ctx is one team's generation: residents are given to it in order,
 * and it counts the team's and each signing doctor's contracts in force day by day, so that
 * no contract is made that would pass a cap on any day (capacity is checked inside a team,
 * which one thread generates alone). Every draw comes from streams seeded by (seed, resident
 * number), so the output does not depend on threads.
 * Ids per resident number NNNNNNN: cond-NNNNNNN-1 (hypertension) / -2 (type 2 diabetes),
 * eoc-NNNNNNN-KK, enc-NNNNNNN-KKK, obs-NNNNNNN-KKKK, med-NNNNNNN-KK, in creation order.
 * Memory: the load arrays are malloc'd by yl_synth_team_ctx_init() and freed by
 * yl_synth_team_ctx_finish(); text goes to the ctx's struct yl_synth_out.
 * Threads: one ctx per thread. */
#ifndef YL_SYNTH_CARE_H
#define YL_SYNTH_CARE_H

#include <stdbool.h>
#include <stdint.h>

#include "synth/data.h"
#include "synth/emit.h"
#include "synth/people.h"
#include "synth/region.h"

struct yl_synth_fate {
	int32_t death;                 /* day of death, or -1 */
	int32_t onset[YL_SYNTH_NCOND]; /* day of diagnosis, or -1 */
};

struct yl_synth_team_ctx {
	const struct yl_synth_data *d;
	const struct yl_synth_region *r;
	uint64_t seed;
	int32_t as_of, window; /* window: the first day of the history */
	struct yl_synth_out *o;
	int team;
	int32_t day0; /* day of load[0] */
	int ndays;
	uint16_t *team_load, *doctor_load[2]; /* contracts in force per day */
	int64_t contracted_now;               /* residents with a contract in force on as_of */
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
