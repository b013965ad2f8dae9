/* risk.c -- risk tiers and recall (risk.h). */
#include "care/risk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/followup.h"
#include "care/keypop.h"
#include "care/rulepack.h"
#include "core/hash.h"
#include "core/time.h"

#define MAX_TIERS 8
#define MAX_VS    32
#define MAX_ITEMS 64
#define X_REASON  YL_SD "risk-reason"
#define X_RECALL  YL_SD "recall"
#define HL7_RISK  "http://terminology.hl7.org/CodeSystem/risk-probability"
#define X_OUTCOME YL_SD "followup-outcome"

struct reason {
	const char *code;
	int rank;
	struct yl_cond when;
};

struct category {
	const char *code;
	int months;
	struct yl_cond when;
};

static struct {
	struct yl_arena *pool;
	json_t *risk_doc, *recall_doc;
	const char *tiers[MAX_TIERS], *hl7[MAX_TIERS];
	size_t ntiers;
	const char *comorb[MAX_VS], *frail[MAX_VS];
	size_t ncomorb, nfrail;
	int deficits;
	struct reason reasons[MAX_ITEMS];
	size_t nreasons;
	struct category cats[MAX_ITEMS];
	size_t ncats;
	bool loaded;
} g;

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void yl_risk_unload(void)
{
	json_decref(g.risk_doc);
	json_decref(g.recall_doc);
	yl_arena_destroy(g.pool);
	memset(&g, 0, sizeof g);
}

bool yl_risk_loaded(void)
{
	return g.loaded;
}
const char *yl_risk_pack_id(void)
{
	return g.loaded ? str(g.risk_doc, "id") : NULL;
}
const char *yl_recall_pack_id(void)
{
	return g.loaded ? str(g.recall_doc, "id") : NULL;
}
size_t yl_risk_comorbidity_count(void)
{
	return g.ncomorb;
}
const char *yl_risk_comorbidity_at(size_t i)
{
	return i < g.ncomorb ? g.comorb[i] : NULL;
}
size_t yl_risk_frailty_count(void)
{
	return g.nfrail;
}
const char *yl_risk_frailty_at(size_t i)
{
	return i < g.nfrail ? g.frail[i] : NULL;
}
int yl_risk_deficits(void)
{
	return g.deficits;
}
const char *yl_risk_tier_code(int rank)
{
	return rank >= 0 && (size_t)rank < g.ntiers ? g.tiers[rank] : NULL;
}
int yl_risk_tier_find(const char *code)
{
	for (size_t i = 0; code && i < g.ntiers; i++)
		if (!strcmp(g.tiers[i], code))
			return (int)i;
	return -1;
}

static bool known_programme(const char *name)
{
	return yl_programme(name) != NULL;
}

static enum yl_code value_sets(struct yl_cond_ctx *c, const json_t *list, const char **out,
                               size_t *n, const char *where)
{
	size_t i;
	const json_t *v;
	if (json_array_size(list) > MAX_VS)
		return yl_cond_fail(c, where, "more than 32 value sets%s", NULL);
	json_array_foreach (list, i, v) {
		if (!yl_care_valueset(json_string_value(v)))
			return yl_cond_fail(c, where, "'%s' is not a value set of terminology/",
			                    json_string_value(v) ? json_string_value(v) : "");
		out[(*n)++] = json_string_value(v);
	}
	return YL_OK;
}

static enum yl_code compile_risk(struct yl_cond_ctx *c, const json_t *doc)
{
	size_t i;
	const json_t *t;
	json_array_foreach (json_object_get(doc, "tiers"), i, t) {
		if (g.ntiers == MAX_TIERS || !yl_care_code("risk-tier", str(t, "code"), "en") ||
		    !str(t, "risk_probability"))
			return yl_cond_fail(
			    c, "tiers",
			    "each tier needs a code of CodeSystem risk-tier and its "
			    "risk_probability%s",
			    NULL);
		g.hl7[g.ntiers] = str(t, "risk_probability");
		g.tiers[g.ntiers++] = str(t, "code");
	}
	if (!g.ntiers)
		return yl_cond_fail(c, "tiers", "a risk pack needs its tiers, lowest first%s",
		                    NULL);
	enum yl_code code;
	const json_t *fr = json_object_get(doc, "frailty");
	if ((code =
	         value_sets(c, json_object_get(json_object_get(doc, "comorbidities"), "valuesets"),
	                    g.comorb, &g.ncomorb, "comorbidities")) != YL_OK ||
	    (code = value_sets(c, json_object_get(fr, "valuesets"), g.frail, &g.nfrail,
	                       "frailty")) != YL_OK)
		return code;
	g.deficits = (int)json_integer_value(json_object_get(fr, "deficits"));
	if (g.deficits <= 0 || (size_t)g.deficits < g.nfrail)
		return yl_cond_fail(c, "frailty",
		                    "needs 'deficits', at least the value sets listed%s", NULL);
	const json_t *r;
	json_array_foreach (json_object_get(doc, "reasons"), i, r) {
		const char *at = yl_arena_printf(c->a, "reasons[%zu]", i);
		struct reason *out = &g.reasons[g.nreasons];
		out->code = str(r, "code");
		out->rank = yl_risk_tier_find(str(r, "tier"));
		if (g.nreasons == MAX_ITEMS || !out->code ||
		    !yl_care_code("risk-reason", out->code, "en") || out->rank < 0 ||
		    !str(r, "source") || !json_object_get(r, "when"))
			return yl_cond_fail(
			    c, at,
			    "a reason needs a code of CodeSystem risk-reason, a tier, "
			    "'when' and its source ('%s')",
			    out->code ? out->code : "");
		if ((code = yl_cond_compile(c, json_object_get(r, "when"), at, &out->when)) !=
		    YL_OK)
			return code;
		g.nreasons++;
	}
	return YL_OK;
}

static enum yl_code compile_recall(struct yl_cond_ctx *c, const json_t *doc)
{
	size_t i;
	const json_t *r;
	json_array_foreach (json_object_get(doc, "categories"), i, r) {
		const char *at = yl_arena_printf(c->a, "categories[%zu]", i);
		struct category *out = &g.cats[g.ncats];
		out->code = str(r, "code");
		out->months = (int)json_integer_value(json_object_get(r, "months"));
		if (g.ncats == MAX_ITEMS || !yl_care_code("recall-category", out->code, "en") ||
		    out->months <= 0 || out->months > 60 || !str(r, "source"))
			return yl_cond_fail(
			    c, at,
			    "a category needs a code of CodeSystem recall-category, "
			    "months (1-60) and its source%s",
			    NULL);
		enum yl_code code = yl_cond_compile(c, json_object_get(r, "when"), at, &out->when);
		if (code != YL_OK)
			return code;
		g.ncats++;
	}
	if (!g.ncats || !yl_cond_always(&g.cats[g.ncats - 1].when))
		return yl_cond_fail(c, "categories",
		                    "the last category must have no 'when' (the default)%s", NULL);
	return YL_OK;
}

enum yl_code yl_risk_load(const char *dir, const json_t *programmes, struct yl_arena *a,
                          struct yl_err *err)
{
	yl_risk_unload();
	if (!(g.pool = yl_arena_create(8192)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	const char *file;
	enum yl_code code =
	    yl_packs_chosen(dir, programmes, "risk-pack", "risk", &g.risk_doc, &file, a, err);
	struct yl_cond_ctx c = {file, g.pool, a, err, NULL, NULL, 0, known_programme};
	if (code == YL_OK)
		code = compile_risk(&c, g.risk_doc);
	if (code == YL_OK)
		code = yl_packs_chosen(dir, programmes, "recall-pack", "recall", &g.recall_doc,
		                       &file, a, err);
	c.file = file;
	if (code == YL_OK)
		code = compile_recall(&c, g.recall_doc);
	if (code == YL_OK) {
		g.loaded = true;
		size_t n;
		code = yl_risk_run_tests(a, &n, err);
	}
	if (code != YL_OK)
		yl_risk_unload();
	return code;
}

/* ---- facts and evaluation ---------------------------------------------------------- */

static const json_t *sub(const json_t *ext, const char *url, size_t nth)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(ext, "extension"), i, e)
		if (str(e, "url") && !strcmp(str(e, "url"), url) && nth-- == 0)
			return e;
	return NULL;
}

static const json_t *outcome(const json_t *enc)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(enc, "extension"), i, e)
		if (str(e, "url") && !strcmp(str(e, "url"), X_OUTCOME))
			return e;
	return NULL;
}

static int64_t day_of(const char *s)
{
	return s && strlen(s) >= 10 ? yl_parse_day(s, 10) : YL_NO_DAY;
}

void yl_risk_facts(const json_t *patient, json_t *const *conds, size_t nconds,
                   const struct yl_risk_visit *visits, size_t nvisits, int64_t today,
                   struct yl_fu_facts *f)
{
	yl_fu_facts_init(f);
	int age = yl_keypop_age(patient, today);
	if (age >= 0) {
		f->num[YL_FU_AGE] = age;
		f->has[YL_FU_AGE] = true;
	}
	int comorb = 0, frail = 0;
	for (size_t k = 0; k < g.ncomorb; k++)
		for (size_t i = 0; i < nconds; i++)
			if (yl_condition_in(yl_care_valueset(g.comorb[k]), conds[i], today)) {
				comorb++;
				break;
			}
	for (size_t k = 0; k < g.nfrail; k++)
		for (size_t i = 0; i < nconds; i++)
			if (yl_condition_in(yl_care_valueset(g.frail[k]), conds[i], today)) {
				frail++;
				break;
			}
	f->num[YL_FU_COMORBIDITY] = comorb;
	f->has[YL_FU_COMORBIDITY] = true;
	f->num[YL_FU_EFI] = g.deficits ? (double)frail / g.deficits : 0;
	f->has[YL_FU_EFI] = true;
	for (size_t k = 0; k < yl_programme_count(); k++) {
		const struct yl_programme *prog = yl_programme_at(k);
		const struct yl_valueset *vs = yl_care_valueset(yl_pack_valueset(prog->pack));
		for (size_t i = 0; i < nconds; i++)
			if (yl_condition_in(vs, conds[i], today)) {
				yl_fu_add_code(f, YL_FU_PROGRAMME, prog->name);
				break;
			}
	}
	int64_t review = YL_NO_DAY, newest = YL_NO_DAY;
	for (size_t v = 0; v < nvisits; v++) {
		const json_t *enc = visits[v].enc;
		int64_t day = day_of(str(json_object_get(enc, "period"), "start"));
		if (day == YL_NO_DAY)
			continue;
		if (review == YL_NO_DAY || day > review)
			review = day;
		yl_fu_add_code(f, YL_FU_PROGRAMME, visits[v].programme);
		const json_t *out = outcome(enc);
		const json_t *at = json_object_get(sub(out, "at-target", 0), "valueBoolean");
		if (json_is_boolean(at) && (f->flag[YL_FU_AT_TARGET] != 0))
			f->flag[YL_FU_AT_TARGET] = json_is_true(at);
		if (sub(out, "danger-sign", 0))
			f->flag[YL_FU_DANGER_LAST] = 1;
		for (size_t i = 0; sub(out, "referral-reason", i); i++) {
			const char *c = str(
			    json_object_get(sub(out, "referral-reason", i), "valueCoding"), "code");
			if (c && !strcmp(c, "two-consecutive-uncontrolled"))
				f->flag[YL_FU_UNCONTROLLED_TWICE] = 1;
		}
		const char *step =
		    str(json_object_get(sub(out, "next-step", 0), "valueCoding"), "code");
		if (step)
			yl_fu_add_code(f, YL_FU_LAST_STEP, step);
		/* the readings of the newest visit; a reading the newest lacks comes from another
		 */
		struct yl_fu_facts rf;
		yl_fu_facts_init(&rf);
		yl_followup_obs_facts(visits[v].obs, visits[v].nobs, &rf);
		for (int k = YL_FU_SBP; k <= YL_FU_BMI; k++)
			if (rf.has[k] && (!f->has[k] || day > newest)) {
				f->num[k] = rf.num[k];
				f->has[k] = true;
			}
		if (newest == YL_NO_DAY || day > newest)
			newest = day;
	}
	if (f->flag[YL_FU_DANGER_LAST] < 0)
		f->flag[YL_FU_DANGER_LAST] = nvisits ? 0 : -1;
	if (f->flag[YL_FU_UNCONTROLLED_TWICE] < 0)
		f->flag[YL_FU_UNCONTROLLED_TWICE] = nvisits ? 0 : -1;
	if (review != YL_NO_DAY) {
		f->num[YL_FU_REVIEW_DAYS] = (double)(today - review);
		f->has[YL_FU_REVIEW_DAYS] = true;
	}
	f->date = review;
}

void yl_risk_eval(const struct yl_fu_facts *f, struct yl_risk_result *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < g.nreasons; i++)
		if (yl_cond_test(&g.reasons[i].when, f)) {
			if (out->nreason < sizeof out->reason / sizeof out->reason[0])
				out->reason[out->nreason++] = g.reasons[i].code;
			if (g.reasons[i].rank > out->rank)
				out->rank = g.reasons[i].rank;
		}
	out->tier = g.tiers[out->rank];
	out->hl7 = g.hl7[out->rank];
	out->recall_date = YL_NO_DAY;
	for (size_t i = 0; i < g.ncats; i++)
		if (yl_cond_test(&g.cats[i].when, f)) {
			out->recall = g.cats[i].code;
			if (f->date != YL_NO_DAY)
				out->recall_date = yl_add_months(f->date, g.cats[i].months);
			break;
		}
}

/* ---- the stored RiskAssessment ----------------------------------------------------- */

json_t *yl_risk_resource(struct yl_arena *a, const char *patient, int64_t day,
                         const struct yl_risk_result *r)
{
	char d[YL_DAY_LEN];
	yl_format_day(day, d);
	json_t *ext = json_array();
	for (size_t i = 0; i < r->nreason; i++)
		json_array_append_new(ext, json_pack("{s:s,s:o}", "url", X_REASON, "valueCoding",
		                                     yl_care_coding("risk-reason", r->reason[i])));
	json_t *recall = json_array();
	json_array_append_new(recall, json_pack("{s:s,s:o}", "url", "category", "valueCoding",
	                                        yl_care_coding("recall-category", r->recall)));
	if (r->recall_date != YL_NO_DAY) {
		char rd[YL_DAY_LEN];
		yl_format_day(r->recall_date, rd);
		json_array_append_new(recall,
		                      json_pack("{s:s,s:s}", "url", "date", "valueDate", rd));
	}
	json_array_append_new(
	    recall, json_pack("{s:s,s:s}", "url", "rule-pack", "valueString", yl_recall_pack_id()));
	json_array_append_new(ext, json_pack("{s:s,s:o}", "url", X_RECALL, "extension", recall));
	const char *rationale = "";
	for (size_t i = 0; i < r->nreason; i++)
		rationale = yl_arena_printf(a, "%s%s%s", rationale, i ? "; " : "",
		                            yl_care_code("risk-reason", r->reason[i], "en"));
	return json_pack(
	    "{s:s,s:o,s:s,s:{s:s},s:s,s:{s:[{s:s,s:s}],s:s},s:[{s:{s:s},s:{s:[{s:s,s:s},o]},s:s}]}",
	    "resourceType", "RiskAssessment", "extension", ext, "status", "final", "subject",
	    "reference", yl_arena_printf(a, "Patient/%s", patient), "occurrenceDateTime", d,
	    "method", "coding", "system", YL_CS "rule-pack", "code", yl_risk_pack_id(), "text",
	    "yilian chronic-care risk tiers", "prediction", "outcome", "text",
	    "chronic-care risk tier", "qualitativeRisk", "coding", "system", HL7_RISK, "code",
	    r->hl7, yl_care_coding("risk-tier", r->tier), "rationale",
	    *rationale ? rationale : "no risk reason holds");
}

static uint64_t digest(const char *tier, const char *const *reasons, size_t n, const char *recall,
                       const char *recall_date, const char *packs)
{
	uint64_t h = yl_hash_parts(4, tier, recall, recall_date, packs);
	for (size_t i = 0; i < n; i++)
		h = yl_hash_add(yl_hash_add(h, "|", 1), reasons[i], strlen(reasons[i]));
	return h ? h : 1;
}

uint64_t yl_risk_digest(const struct yl_risk_result *r)
{
	char rd[YL_DAY_LEN] = "";
	if (r->recall_date != YL_NO_DAY)
		yl_format_day(r->recall_date, rd);
	char packs[160];
	snprintf(packs, sizeof packs, "%s+%s", yl_risk_pack_id(), yl_recall_pack_id());
	return digest(r->tier, r->reason, r->nreason, r->recall, rd, packs);
}

/* The CS:risk-tier code a stored RiskAssessment gives, or NULL. */
static const char *tier_of(const json_t *doc)
{
	size_t i;
	const json_t *c;
	json_array_foreach (
	    json_object_get(json_object_get(json_array_get(json_object_get(doc, "prediction"), 0),
	                                    "qualitativeRisk"),
	                    "coding"),
	    i, c)
		if (str(c, "system") && !strcmp(str(c, "system"), YL_CS "risk-tier"))
			return str(c, "code");
	return NULL;
}

uint64_t yl_risk_digest_doc(const json_t *doc)
{
	const char *tier = tier_of(doc);
	if (!tier)
		return 0;
	size_t i;
	const char *reasons[32];
	size_t n = 0;
	const char *recall = NULL, *rd = "", *rpack = NULL;
	const json_t *e;
	json_array_foreach (json_object_get(doc, "extension"), i, e) {
		const char *url = str(e, "url");
		if (url && !strcmp(url, X_REASON) && n < 32)
			reasons[n++] = str(json_object_get(e, "valueCoding"), "code");
		if (url && !strcmp(url, X_RECALL)) {
			recall = str(json_object_get(sub(e, "category", 0), "valueCoding"), "code");
			rd = str(sub(e, "date", 0), "valueDate")
			         ? str(sub(e, "date", 0), "valueDate")
			         : "";
			rpack = str(sub(e, "rule-pack", 0), "valueString");
		}
	}
	for (size_t k = 0; k < n; k++)
		if (!reasons[k])
			return 0;
	const char *pack = str(
	    json_array_get(json_object_get(json_object_get(doc, "method"), "coding"), 0), "code");
	char packs[160];
	snprintf(packs, sizeof packs, "%s+%s", pack ? pack : "", rpack ? rpack : "");
	return digest(tier, reasons, n, recall, rd, packs);
}

int yl_risk_rank_doc(const json_t *doc)
{
	return tier_of(doc) ? yl_risk_tier_find(tier_of(doc)) : -1;
}

/* ---- test vectors ------------------------------------------------------------------ */

json_t *yl_risk_result_json(const struct yl_risk_result *r)
{
	json_t *reasons = json_array();
	for (size_t i = 0; i < r->nreason; i++)
		json_array_append_new(reasons, json_string(r->reason[i]));
	char rd[YL_DAY_LEN] = "none";
	if (r->recall_date != YL_NO_DAY)
		yl_format_day(r->recall_date, rd);
	return json_pack("{s:s,s:o,s:s?,s:s}", "tier", r->tier, "risk-reason", reasons, "recall",
	                 r->recall, "recall-date", rd);
}

enum yl_code yl_risk_run_tests(struct yl_arena *a, size_t *n, struct yl_err *err)
{
	*n = 0;
	const json_t *docs[2] = {g.risk_doc, g.recall_doc};
	for (int d = 0; d < 2; d++) {
		size_t i;
		const json_t *t;
		json_array_foreach (json_object_get(docs[d], "tests"), i, t) {
			struct yl_fu_facts f;
			const char *name = str(t, "name") ? str(t, "name") : "(unnamed)", *why = "";
			if (yl_fu_facts_json(a, json_object_get(t, "facts"), &f, err) != YL_OK)
				return yl_err_add(err, a, YL_IO, NULL, "%s: test '%s': %s",
				                  str(docs[d], "id"), name,
				                  err->last ? err->last->message : "");
			struct yl_risk_result r;
			yl_risk_eval(&f, &r);
			json_t *actual = yl_risk_result_json(&r);
			bool ok = json_is_object(json_object_get(t, "expect")) &&
			          yl_expect_match(a, actual, json_object_get(t, "expect"), &why);
			json_decref(actual);
			if (!ok)
				return yl_err_add(err, a, YL_IO, NULL, "%s: test '%s' fails: %s",
				                  str(docs[d], "id"), name, why);
			++*n;
		}
	}
	return YL_OK;
}
