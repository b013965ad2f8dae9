/* plausibility.h -- data plausibility of programme follow-ups (docs/clinical-rules.md "Data
 * plausibility"): flags a supervisor reviews, never a refusal. The pack
 * (rules/plausibility.json, `use.plausibility`) holds the visit-level flags in the closed
 * vocabulary of care/rulecond.h and the thresholds of the per-doctor digit report.
 *
 * $record-followup evaluates the flags of the visit it records (or edits) and keeps them on
 * the Encounter as extensions plausibility-flag (valueCoding CS:plausibility-flag); the
 * review list is a search: Encounter?plausibility-flag=<CS>plausibility-flag| (with
 * service-provider, participant, date as usual).
 *   GET /fhir/Practitioner/{id}/$digit-preference   [start] [end]
 * reports a doctor's systolic readings of follow-ups in the period (default: the last 12
 * months): how many, the share ending in 0, the share of 130-149 that is 130-139, and the
 * flags terminal-digit-preference and bunching-under-140 where the pack's thresholds are
 * passed (a Parameters).
 * Memory: process-global pack as care/rulepack.h; requests in their arena. */
#ifndef YL_CARE_PLAUSIBILITY_H
#define YL_CARE_PLAUSIBILITY_H

#include <stddef.h>

#include "care/rulecond.h"
#include "http/http.h"

struct json_t;

enum yl_code yl_plaus_load(const char *dir, const struct json_t *programmes, struct yl_arena *a,
                           struct yl_err *err);
void yl_plaus_unload(void);

/* The flags that hold for the facts (codes of CS:plausibility-flag), at most max. */
size_t yl_plaus_eval(const struct yl_fu_facts *f, const char **out, size_t max);

enum yl_code yl_h_digit_preference(struct yl_req *r, struct yl_err *err);

#endif
