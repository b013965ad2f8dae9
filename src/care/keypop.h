/* keypop.h -- a resident's key populations (重点人群, docs/registry.md) on a given day,
 * derived from the record as rules/contracting.json says: ages from Patient.birthDate,
 * conditions through the value sets of terminology/key-populations.json, low income from
 * the resident's household Group. Never typed in.
 *
 * The result is a bit mask over yl_care_rules()->keypops (bit i = keypops[i]).
 * Memory: the arena's. Threads: reentrant. */
#ifndef YL_CARE_KEYPOP_H
#define YL_CARE_KEYPOP_H

#include <stdbool.h>
#include <stdint.h>

#include "care/config.h"
#include "store/store.h"

struct json_t;

/* The resident's age in whole years on `day` (a day number, core/time.h), or -1 when the
 * record has no usable birthDate. */
int yl_keypop_age(const struct json_t *patient, int64_t day);

/* Whether a Condition holds on `day` and is coded in the value set: active (clinicalStatus
 * active, recurrence or relapse, or none), not refuted or entered in error, begun by then. */
bool yl_condition_in(const struct yl_valueset *vs, const struct json_t *condition, int64_t day);
/* The same for a condition key population's value set. */
bool yl_keypop_condition(const struct yl_keypop *kp, const struct json_t *condition, int64_t day);

/* The key populations that follow from age alone (no store reads). */
uint32_t yl_keypop_by_age(const struct json_t *patient, int64_t day);

/* Whether a Group is a household with kp's characteristic set (YL_KP_HOUSEHOLD). */
bool yl_keypop_household(const struct yl_keypop *kp, const struct json_t *group);

/* Every key population of Patient/patient_id (its resource `patient`) on `day`, reading its
 * Conditions and household Groups through c. */
enum yl_code yl_keypop_of(struct yl_store_conn *c, struct yl_arena *a, const char *patient_id,
                          const struct json_t *patient, int64_t day, uint32_t *mask,
                          struct yl_err *err);

#endif
