/* rulepack.h -- the follow-up rule engine: loads the chronic-disease programmes and their rule
 * packs (rules/programmes.json and the pack files it lists), checks them, and classifies a
 * follow-up visit by the chosen pack. The packs hold every threshold, code list and interval;
 * this module knows only the closed vocabulary they are written in (care/rulecond.h) and
 * how a follow-up pack is applied (docs/clinical-rules.md, "Chronic-disease programmes"):
 *   a visit     targets (first whose `when` holds; at target = every `below` reading present
 *               and under its figure) -> danger signs (readings and symptoms) ->
 *               classification (first matching rule; the referral reasons of every matching
 *               rule) -> the danger step overrides the next step -> next date from intervals.
 *
 * Memory: process-global, like care/config.h: the pack documents and their compiled rules
 * live until yl_packs_unload(); every string handed out points into them. Results point into
 * the packs too. Threads: load and unload before and after the worker threads; evaluation is
 * read-only and reentrant.
 * Errors: YL_IO for a pack that cannot be read, names an unknown fact, code or pack, or fails
 * one of its own test vectors (the message names file, place and vector); YL_NOMEM. */
#ifndef YL_CARE_RULEPACK_H
#define YL_CARE_RULEPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#include "care/rulecond.h"

struct json_t;

/* Next steps in order of urgency; their codes are those of CodeSystem next-step. */
enum yl_next_step {
	YL_NEXT_NONE,
	YL_NEXT_ROUTINE,
	YL_NEXT_TWO_WEEK,
	YL_NEXT_REFERRAL,
	YL_NEXT_URGENT
};
const char *yl_next_step_code(enum yl_next_step s);
enum yl_next_step yl_next_step_find(const char *code); /* YL_NEXT_NONE when unknown */

#define YL_FU_MAX_FOUND 16
struct yl_fu_result {
	bool at_target;
	const char *classification; /* CodeSystem followup-classification */
	const char *rule;           /* the id of the classification rule that matched */
	enum yl_next_step next_step;
	int64_t next_date; /* YL_NO_DAY when the facts have no date */
	const char *reason[YL_FU_MAX_FOUND];
	size_t nreason;
	const char *danger[YL_FU_MAX_FOUND]; /* readings (CodeSystem danger-sign) and symptoms */
	size_t ndanger;
};

struct yl_pack;

/* A programme and the pack a deployment uses for it. */
struct yl_programme {
	const char *name;           /* "hypertension" */
	const char *episode_type;   /* CodeSystem episode-type: "hypertension-programme" */
	const char *encounter_type; /* CodeSystem encounter-type: "hypertension-followup" */
	const struct yl_pack *pack;
};

/* Reads dir/rules/programmes.json and its packs; `use` (n ids, from --rule-pack) picks other
 * shipped packs for their programmes. Each pack's test vectors run before it is accepted. */
enum yl_code yl_packs_load(const char *dir, const char *const *use, size_t nuse, struct yl_arena *a,
                           struct yl_err *err);
void yl_packs_unload(void);

size_t yl_programme_count(void);
const struct yl_programme *yl_programme_at(size_t i);
const struct yl_programme *yl_programme(const char *name);

size_t yl_pack_count(void);
const struct yl_pack *yl_pack_at(size_t i);
const struct yl_pack *yl_pack_by_id(const char *id);
const char *yl_pack_id(const struct yl_pack *p);
const char *yl_pack_programme(const struct yl_pack *p);
const char *yl_pack_edition(const struct yl_pack *p);
int yl_pack_min_age(const struct yl_pack *p);
const char *yl_pack_valueset(const struct yl_pack *p); /* whose Conditions make one eligible */
bool yl_pack_requires(const struct yl_pack *p, enum yl_fu_num f);
/* The value sets its conditions ask about (the caller fills YL_FU_CONDITION from them). */
size_t yl_pack_valueset_count(const struct yl_pack *p);
const char *yl_pack_valueset_at(const struct yl_pack *p, size_t i);
/* Whether a code is one of the pack's danger symptoms. */
bool yl_pack_danger_symptom(const struct yl_pack *p, const char *code);

/* The day a next step falls due after a visit on `day`, by the pack's intervals. */
int64_t yl_pack_next_date(const struct yl_pack *p, enum yl_next_step s, int64_t day);
/* Classify the visit. Sets f->flag[YL_FU_AT_TARGET] from the targets. */
void yl_pack_eval(const struct yl_pack *p, struct yl_fu_facts *f, struct yl_fu_result *out);

/* The result as JSON (classification, next-step, next-date, at-target, danger-sign,
 * referral-reason) and whether it matches a vector's "expect" (rulecond.h). */
struct json_t *yl_fu_result_json(struct yl_arena *a, const struct yl_fu_result *r);
bool yl_fu_expect(struct yl_arena *a, const struct yl_fu_result *r, const struct json_t *expect,
                  const char **why);

/* The follow-up form's readings (rules/followup-form.json): the unit each is given in, its
 * possible range, and how it is stored: an Observation with LOINC `code` (or a component
 * of the `panel` Observation), id suffix `obs` after the Encounter's id. */
struct yl_fu_reading {
	enum yl_fu_num fact;
	const char *unit; /* UCUM */
	double min, max;
	const char *code, *display, *text, *category, *panel, *obs;
};
size_t yl_fu_reading_count(void);
const struct yl_fu_reading *yl_fu_reading_at(size_t i);
const struct yl_fu_reading *yl_fu_reading(enum yl_fu_num f);
/* The form's lifestyle items (rules/followup-form.json "lifestyle"): a number in `unit`
 * from min to max, or (system set) a code of CodeSystem `system`; each also as NAME-target. */
struct yl_fu_lifestyle {
	const char *name, *unit, *system;
	double min, max;
};
size_t yl_fu_lifestyle_count(void);
const struct yl_fu_lifestyle *yl_fu_lifestyle_at(size_t i);

/* The blood-pressure panel (code, display, text, category as in a reading). */
const struct yl_fu_reading *yl_fu_bp_panel(void);

/* For the modules with packs of their own kind (care/risk.c, care/plausibility.c): the pack
 * of `kind` whose id rules/programmes.json's `use.<use_key>` names, read from dir (a new
 * reference; *file its file name, pointing into programmes). It must carry id, edition,
 * source, effective.start and jurisdiction. YL_IO naming what is missing. */
enum yl_code yl_packs_chosen(const char *dir, const struct json_t *programmes, const char *kind,
                             const char *use_key, struct json_t **doc, const char **file,
                             struct yl_arena *a, struct yl_err *err);

/* Run the pack's own test vectors: YL_OK and *n run, or YL_IO naming the first that fails. */
enum yl_code yl_pack_run_tests(const struct yl_pack *p, struct yl_arena *a, size_t *n,
                               struct yl_err *err);

#endif
