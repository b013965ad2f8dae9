/* rulecond.h -- the closed vocabulary every rule pack under rules/ is written in: the facts
 * a rule may ask about and the conditions over them (docs/clinical-rules.md, "Rule packs").
 * Deliberately not a scripting language: a condition is
 *   {"fact", "op" (< <= > >= =), "value"}   a number
 *   {"fact", "is": true|false}               a yes/no fact (false when unknown)
 *   {"fact", "in": [codes]}                  any of the fact's codes in the list
 *   {"all": [...]}, {"any": [...]}, {"not": {...}}
 * and a condition on a number or code the case lacks is false (so `not` of it is true).
 * Facts of a follow-up visit: age, the readings (sbp, dbp, fasting-glucose, hba1c,
 * heart-rate, temperature, weight, height, bmi), uncontrolled-days, at-target,
 * previous-at-target, adverse-reaction, adverse-reaction-controllable, symptom, complication,
 * adherence, condition (value-set urls held). Facts of a resident (risk and recall packs):
 * comorbidity-count, efi, days-since-review, uncontrolled-twice, danger-sign-last-visit,
 * last-next-step, programme, with the readings and age above. Facts of a recorded visit's
 * plausibility (rules/plausibility.json): identical-bp-run, recorded-days-after,
 * pulse-pressure, bmi-gap, after-death.
 *
 * Memory: compiled conditions live in the pool arena given to yl_cond_compile; codes point
 * into the pack's JSON. Threads: compile at load; testing is read-only and reentrant. */
#ifndef YL_CARE_RULECOND_H
#define YL_CARE_RULECOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct json_t;

enum yl_fu_num {
	YL_FU_AGE,
	YL_FU_SBP,
	YL_FU_DBP,
	YL_FU_FPG,
	YL_FU_HBA1C,
	YL_FU_HR,
	YL_FU_TEMP,
	YL_FU_WEIGHT,
	YL_FU_HEIGHT,
	YL_FU_BMI,
	YL_FU_UNCONTROLLED_DAYS,
	YL_FU_COMORBIDITY,
	YL_FU_EFI,
	YL_FU_REVIEW_DAYS,
	YL_FU_IDENTICAL_RUN,
	YL_FU_RECORDED_AFTER,
	YL_FU_PULSE_PRESSURE,
	YL_FU_BMI_GAP,
	YL_FU_NNUM
};
enum yl_fu_flag {
	YL_FU_AT_TARGET,
	YL_FU_PREV_AT_TARGET,
	YL_FU_ADVERSE,
	YL_FU_ADVERSE_OK,
	YL_FU_UNCONTROLLED_TWICE,
	YL_FU_DANGER_LAST,
	YL_FU_AFTER_DEATH,
	YL_FU_NFLAG
};
enum yl_fu_set {
	YL_FU_SYMPTOM,
	YL_FU_COMPLICATION,
	YL_FU_ADHERENCE,
	YL_FU_CONDITION,
	YL_FU_LAST_STEP,
	YL_FU_PROGRAMME,
	YL_FU_NSET
};

/* The facts' names as the packs and the $record-followup parameters spell them. */
const char *yl_fu_num_name(enum yl_fu_num f);
const char *yl_fu_flag_name(enum yl_fu_flag f);
const char *yl_fu_set_name(enum yl_fu_set f);
int yl_fu_num_find(const char *name); /* -1 when not a number fact */

#define YL_FU_MAX_CODES 24

/* What is known of one case. -1 in flag[] is unknown. The code arrays are the caller's. */
struct yl_fu_facts {
	int64_t date; /* day number (core/time.h) or YL_NO_DAY */
	double num[YL_FU_NNUM];
	bool has[YL_FU_NNUM];
	signed char flag[YL_FU_NFLAG];
	const char *codes[YL_FU_NSET][YL_FU_MAX_CODES];
	size_t ncodes[YL_FU_NSET];
};
void yl_fu_facts_init(struct yl_fu_facts *f);
void yl_fu_add_code(struct yl_fu_facts *f, enum yl_fu_set s, const char *code);

/* A compiled condition. */
struct yl_cond {
	int kind;
	int fact;
	int op;
	double value;
	bool is;
	const char **codes;
	size_t ncodes;
	struct yl_cond *kids;
	size_t nkids;
};

/* Where a pack is being compiled: messages name the file; value-set urls met in
 * `condition` facts are collected into vs[] (at most maxvs). known_programme says whether a
 * `programme` code is one of the deployment's programmes. */
struct yl_cond_ctx {
	const char *file;
	struct yl_arena *pool; /* compiled conditions */
	struct yl_arena *a;    /* messages */
	struct yl_err *err;
	const char **vs;
	size_t *nvs, maxvs;
	bool (*known_programme)(const char *name);
};

/* NULL j compiles to "always". */
enum yl_code yl_cond_compile(struct yl_cond_ctx *c, const struct json_t *j, const char *where,
                             struct yl_cond *out);
bool yl_cond_test(const struct yl_cond *c, const struct yl_fu_facts *f);
bool yl_cond_always(const struct yl_cond *c);

/* YL_IO "<file>: <where>: <fmt with what>". */
enum yl_code yl_cond_fail(struct yl_cond_ctx *c, const char *where, const char *fmt,
                          const char *what);
/* Whether code is a code of the set's code system (or a value set, or a programme). */
bool yl_cond_known_code(struct yl_cond_ctx *c, enum yl_fu_set set, const char *code);

/* Facts from a test vector's JSON ({"age": 64, "sbp": 140, "symptom": [...], "date": ...});
 * codes point into o. YL_BAD_REQUEST naming the member that is not a fact or of the wrong
 * type. */
enum yl_code yl_fu_facts_json(struct yl_arena *a, const struct json_t *o, struct yl_fu_facts *f,
                              struct yl_err *err);

/* Whether `actual` (a result as JSON: strings, booleans, lists of strings) has every member
 * of `expect` equal (lists as ordered lists); on a mismatch *why says what differs. */
bool yl_expect_match(struct yl_arena *a, const struct json_t *actual, const struct json_t *expect,
                     const char **why);

#endif
