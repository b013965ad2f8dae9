/* people.h -- the residents of the synthetic county: who they are (sex, birth date, the
 * household they live in, the surname they carry, where their identity number was issued)
 * and how Patient and Group resources are written for them.
 *
 * yl_synth_people_plan() runs once, before the teams are generated: village by village it
 * draws the census age and sex of every resident (terminology/synth/population.json), forms
 * households (couples paired by age, children with parents a generation older, some elders
 * with their children), orders each village's residents household by household, and then
 * hands out identity-number sequence numbers in resident order (unique per issuing code and
 * birth date: odd for men, even for women). The result is a compact record per resident
 * (12 bytes), not the region: everything else is made later, team by team.
 * Ids: Patient pat-NNNNNNN (resident number from 1), Group hh-NNNNNNN (its first member).
 * Memory: the records array is the caller's (N entries); scratch memory is malloc'd and
 * freed inside. Threads: plan is single-threaded; the writers are reentrant.
 * Errors: YL_NOMEM; YL_USAGE when a birth date runs out of sequence numbers. */
#ifndef YL_SYNTH_PEOPLE_H
#define YL_SYNTH_PEOPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "synth/data.h"
#include "synth/emit.h"
#include "synth/region.h"

enum {
	YL_PERSON_MALE = 1,
	YL_PERSON_HH_START = 2, /* first member (the head) of a household */
};

struct yl_synth_person {
	int32_t birth;   /* days since 1970-01-01 */
	uint16_t seq;    /* identity-number sequence, 0-999 */
	uint8_t flags;   /* YL_PERSON_* */
	uint8_t div;     /* index into d->id_divisions */
	uint8_t surname; /* index into d->surnames */
	uint8_t spare[3];
};

enum yl_code yl_synth_people_plan(const struct yl_synth_region *r, const struct yl_synth_data *d,
                                  uint64_t seed, int32_t as_of,
                                  struct yl_synth_person *p /* OUT: r->residents records */,
                                  struct yl_arena *a, struct yl_err *err);

/* age in whole years on day `on` of someone born on `birth` */
int yl_synth_age(int32_t birth, int32_t on);

/* What a Patient needs besides its record. */
struct yl_synth_patient {
	int64_t index; /* resident number - 1 */
	const struct yl_synth_person *p;
	const struct yl_synth_village *village;
	int32_t deceased; /* day of death, or -1 */
	int org;          /* managing organization (the team's centre) */
	int household_no; /* the household's serial in its village, from 1 */
};

void yl_synth_write_patient(const struct yl_synth_data *d, const struct yl_synth_region *r,
                            uint64_t seed, const struct yl_synth_patient *pt, int32_t as_of,
                            struct yl_synth_out *o);

/* the household of residents first..first+n-1; low_income adds the characteristic */
void yl_synth_write_household(const struct yl_synth_data *d, const struct yl_synth_village *v,
                              int64_t first, int n, int household_no, bool low_income,
                              const char *head_name, struct yl_synth_out *o);

/* a resident's given name (family is d->surnames[p->surname]) */
void yl_synth_resident_given(const struct yl_synth_data *d, uint64_t seed, int64_t index,
                             const struct yl_synth_person *p, char given[32] /* OUT */);

/* the identity number (18 characters + NUL) of a resident */
void yl_synth_resident_id(const struct yl_synth_data *d, const struct yl_synth_person *p,
                          char out[19]);

#endif
