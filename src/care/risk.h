/* risk.h -- risk stratification of every registered resident (docs/clinical-rules.md "Risk
 * stratification"): a tier (low / medium / high) with the reasons that put the resident
 * there, and how soon they should be reviewed again, by the risk pack and the recall pack
 * that rules/programmes.json picks (`use.risk`, `use.recall`). Both are data in the closed
 * vocabulary of care/rulecond.h; every reason carries its source and confidence there.
 *
 * The result is stored as one RiskAssessment per resident, id `risk-{patient id}`
 * (docs/registry.md): prediction[0].qualitativeRisk (HL7 risk-probability and
 * CS:risk-tier), an extension risk-reason per reason, the extension recall (category,
 * date), method = the packs. care/population.c recomputes it when the resident's record
 * changes and writes it only when it differs.
 *
 * Memory: process-global like care/rulepack.h (loaded with it); results point into the
 * packs. Threads: load at start; evaluation is reentrant. */
#ifndef YL_CARE_RISK_H
#define YL_CARE_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "care/rulecond.h"

struct json_t;

struct yl_risk_result {
	const char *tier; /* CS:risk-tier */
	int rank;         /* 0 = the lowest tier */
	const char *hl7;  /* its http://terminology.hl7.org/CodeSystem/risk-probability code */
	const char *reason[24];
	size_t nreason;
	const char *recall;  /* CS:recall-category */
	int64_t recall_date; /* YL_NO_DAY without a last review */
};

/* Called by yl_packs_load with rules/programmes.json: reads the packs of kind risk-pack
 * and recall-pack it lists, runs their vectors, keeps the ones `use` names. */
enum yl_code yl_risk_load(const char *dir, const struct json_t *programmes, struct yl_arena *a,
                          struct yl_err *err);
void yl_risk_unload(void);
bool yl_risk_loaded(void);
const char *yl_risk_pack_id(void);
const char *yl_recall_pack_id(void);

/* The value sets counted for comorbidity-count and for efi (deficits / yl_risk_deficits()). */
size_t yl_risk_comorbidity_count(void);
const char *yl_risk_comorbidity_at(size_t i);
size_t yl_risk_frailty_count(void);
const char *yl_risk_frailty_at(size_t i);
int yl_risk_deficits(void);

/* One programme's last visit, for the facts: its Encounter (with the followup-outcome
 * extension, or without) and its Observations. */
struct yl_risk_visit {
	const struct json_t *enc;
	struct json_t *const *obs;
	size_t nobs;
	const char *programme;
};

/* A resident's facts on `today`: age, the readings and outcome of the last visits, the
 * programmes diagnosed, comorbidity-count and efi from active Conditions, days since the
 * last review. f->date is set to the last review (YL_NO_DAY when none). */
void yl_risk_facts(const struct json_t *patient, struct json_t *const *conds, size_t nconds,
                   const struct yl_risk_visit *visits, size_t nvisits, int64_t today,
                   struct yl_fu_facts *f);

void yl_risk_eval(const struct yl_fu_facts *f, struct yl_risk_result *out);

/* The RiskAssessment text of a result, computed on `day` (a new JSON object). */
struct json_t *yl_risk_resource(struct yl_arena *a, const char *patient, int64_t day,
                                const struct yl_risk_result *r);
/* A digest of what a result says (tier, reasons, recall, packs), and of what a stored
 * RiskAssessment says, to write only when it changes. 0 for a document that is not one. */
uint64_t yl_risk_digest(const struct yl_risk_result *r);
uint64_t yl_risk_digest_doc(const struct json_t *assessment);
/* The tier rank a stored RiskAssessment gives (-1 when none). */
int yl_risk_rank_doc(const struct json_t *assessment);
const char *yl_risk_tier_code(int rank);
int yl_risk_tier_find(const char *code);

/* Test vectors: the result as JSON (tier, risk-reason, recall, recall-date) and the run. */
struct json_t *yl_risk_result_json(const struct yl_risk_result *r);
enum yl_code yl_risk_run_tests(struct yl_arena *a, size_t *n, struct yl_err *err);

#endif
