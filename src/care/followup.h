/* followup.h -- programme follow-up visits (随访): POST /fhir/Patient/{id}/$record-followup.
 *
 * The input is a Parameters (docs/api.md): programme, date, way, the readings of
 * rules/followup-form.json (valueDecimal in the unit stated, or a valueQuantity in that
 * unit), symptom*, adverse-reaction, adverse-reaction-controllable, complication, adherence,
 * doctor, and encounter to edit a visit already recorded. In one transaction it
 *   - checks the form (codes, units, possible ranges, the pack's required readings);
 *   - enrols the resident when not enrolled (care/programme.h: 422 when not eligible);
 *   - stores the visit as an Encounter (type <programme>-followup, linked to the enrolment)
 *     with one Observation per reading (LOINC; blood pressure as the panel) and one
 *     `followup-findings` Observation for the coded form items (docs/registry.md);
 *   - classifies it by the programme's rule pack (care/rulepack.h) with the resident's age,
 *     conditions and the previous visit, and keeps the outcome on the Encounter (extension
 *     followup-outcome: classification, next step and date, referral reasons, danger signs,
 *     at target, pack and rule);
 *   - recomputes every later visit of the programme whose outcome depends on this one (a
 *     back-dated or edited visit changes the "previous visit" of the next) and rewrites
 *     those that change.
 * The answer is a Parameters: classification, next-step, next-date, referral-reason*,
 * danger-sign*, at-target, rule-pack, encounter, observation*, enrolment, recomputed*.
 * Memory: the request's arena. Threads: reentrant. */
#ifndef YL_CARE_FOLLOWUP_H
#define YL_CARE_FOLLOWUP_H

#include "fhir/parameters.h"
#include "http/http.h"

enum yl_code yl_h_record_followup(struct yl_req *r, struct yl_err *err);

/* The facts a visit's Observations record (the readings by their LOINC codes, the findings'
 * coded items), added to f: the one reader of the stored shape, for the recomputation of
 * later visits and the risk tiers. */
struct json_t;
struct yl_fu_facts;
void yl_followup_obs_facts(struct json_t *const *obs, size_t n, struct yl_fu_facts *f);

/* The operation's parameter table (fhir/parameters.h), and the form's facts from a body the
 * table accepted: readings in their units and ranges (422 outside them), codes of their
 * code systems, the pack's required readings. Errors name Parameters.parameter[i]. */
struct yl_pack;
extern const struct yl_opparam yl_followup_params[];
extern const size_t yl_followup_nparams;
enum yl_code yl_followup_form(struct yl_arena *a, const struct json_t *body,
                              const struct yl_pack *pack, struct yl_fu_facts *f,
                              struct yl_err *err);
/* The lifestyle items (smoking, drinking, exercise, salt intake and their targets) as the
 * findings Observation's components: *out a new array released with the arena. */
enum yl_code yl_followup_lifestyle(struct yl_arena *a, const struct json_t *body,
                                   struct json_t **out, struct yl_err *err);

#endif
