/* care.c -- deaths, conditions, contracts, programme enrolments and follow-ups of one
 * resident (see care.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/rulepack.h"
#include "core/time.h"
#include "synth/care.h"

#define ICD10   "http://hl7.org/fhir/sid/icd-10"
#define SNOMED  "http://snomed.info/sct"
#define LOINC   "http://loinc.org"
#define UCUM    "http://unitsofmeasure.org"
#define MAX_ENC 990
#define MAX_MR  32
#define MAX_EOC 24

bool yl_synth_team_ctx_init(struct yl_synth_team_ctx *c, int years)
{
	c->ndays = (years + 2) * 366 + 32;
	c->team_load = calloc((size_t)c->ndays, sizeof(uint16_t));
	c->doctor_load[0] = calloc((size_t)c->ndays, sizeof(uint16_t));
	c->doctor_load[1] = calloc((size_t)c->ndays, sizeof(uint16_t));
	return c->team_load && c->doctor_load[0] && c->doctor_load[1];
}

void yl_synth_team_ctx_start(struct yl_synth_team_ctx *c, int team)
{
	c->team = team;
	c->day0 = yl_synth_add_years(c->window, -1) - 8;
	memset(c->team_load, 0, (size_t)c->ndays * sizeof(uint16_t));
	memset(c->doctor_load[0], 0, (size_t)c->ndays * sizeof(uint16_t));
	memset(c->doctor_load[1], 0, (size_t)c->ndays * sizeof(uint16_t));
}

void yl_synth_team_ctx_finish(struct yl_synth_team_ctx *c)
{
	free(c->team_load);
	free(c->doctor_load[0]);
	free(c->doctor_load[1]);
	c->team_load = c->doctor_load[0] = c->doctor_load[1] = NULL;
}

static int age_on(const struct yl_synth_person *p, int32_t day)
{
	int a = yl_synth_age(p->birth, day);
	return a < 0 ? 0 : a > YL_SYNTH_MAX_AGE ? YL_SYNTH_MAX_AGE : a;
}

/* ---- fate: death and diagnoses ---------------------------------------------------------- */

static int32_t onset_day(const struct yl_synth_team_ctx *c, const struct yl_synth_person *p,
                         const struct yl_synth_condition *k, int32_t death, struct yl_rng *g)
{
	int32_t earliest = yl_synth_add_years(p->birth, k->onset_min_age);
	int32_t back = yl_synth_add_years(c->as_of, -k->onset_years_max);
	int32_t latest = death >= 0 ? death - 1 : c->as_of;
	if (earliest < back)
		earliest = back;
	if (earliest > latest)
		earliest = yl_synth_add_years(p->birth, 18);
	if (earliest > latest)
		return -1;
	return earliest + (int32_t)yl_rng_below(g, (uint32_t)(latest - earliest + 1));
}

void yl_synth_fate(const struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                   struct yl_synth_fate *f)
{
	const struct yl_synth_data *d = c->d;
	struct yl_rng g;
	yl_rng_seed(&g, c->seed, YL_RNG_CARE, (uint64_t)i);
	int age = age_on(p, c->as_of);
	bool male = p->flags & YL_PERSON_MALE;
	double survive = 1.0;
	int32_t span = c->as_of - c->window;
	for (int32_t y = 0; y < span; y += 365)
		survive *= 1.0 - d->death_rate[age];
	f->death = -1;
	if (yl_rng_chance(&g, 1.0 - survive) && c->as_of - p->birth > 2) {
		int32_t day = c->as_of - 1 - (int32_t)yl_rng_below(&g, (uint32_t)span);
		if (day <= p->birth)
			day = p->birth + 1 +
			      (int32_t)yl_rng_below(&g, (uint32_t)(c->as_of - p->birth - 1));
		f->death = day;
	}
	const struct yl_synth_condition *h = &d->cond[YL_SYNTH_HTN], *t = &d->cond[YL_SYNTH_T2D];
	double ph = male ? h->prev_male[age] : h->prev_female[age];
	double pd = male ? t->prev_male[age] : t->prev_female[age];
	bool htn = yl_rng_chance(&g, ph);
	/* P(T2D | HTN) = rr * q0 and P(T2D | no HTN) = q0 keep the marginal pd */
	double q0 = pd / (ph * d->t2d_rr_htn + 1.0 - ph);
	double q = htn ? q0 * d->t2d_rr_htn : q0;
	bool t2d = yl_rng_chance(&g, q > 0.95 ? 0.95 : q);
	f->onset[YL_SYNTH_HTN] = htn ? onset_day(c, p, h, f->death, &g) : -1;
	f->onset[YL_SYNTH_T2D] = t2d ? onset_day(c, p, t, f->death, &g) : -1;
}

/* ---- conditions ------------------------------------------------------------------------- */

static void write_condition(struct yl_synth_team_ctx *c, int64_t i, int k, int32_t onset, int prac)
{
	const struct yl_synth_condition *cd = &c->d->cond[k];
	struct yl_sbuf *b = &c->o->b[YL_SYNTH_CONDITION];
	YL_SB_LIT(b, "{\"resourceType\":\"Condition\",\"id\":\"");
	yl_sbuf_id(b, "cond-", (uint64_t)i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_int(b, k + 1);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"clinicalStatus\":{\"coding\":[{\"system\":\"http://"
	             "terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"active\"}]},"
	             "\"verificationStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/"
	             "CodeSystem/condition-ver-status\",\"code\":\"confirmed\"}]},\"category\":[{"
	             "\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
	             "condition-category\",\"code\":\"problem-list-item\"}]}],\"code\":{\"coding\":"
	             "[{\"system\":\"" ICD10 "\",\"code\":");
	yl_sbuf_str(b, cd->icd10);
	YL_SB_LIT(b, ",\"display\":");
	yl_sbuf_str(b, cd->icd10_display);
	YL_SB_LIT(b, "},{\"system\":\"" SNOMED "\",\"code\":");
	yl_sbuf_str(b, cd->snomed);
	YL_SB_LIT(b, ",\"display\":");
	yl_sbuf_str(b, cd->snomed_display);
	YL_SB_LIT(b, "}],\"text\":");
	yl_sbuf_str(b, cd->text);
	YL_SB_LIT(b, "},\"subject\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)i + 1, 7);
	YL_SB_LIT(b, ",\"onsetDateTime\":");
	yl_sbuf_date(b, onset);
	YL_SB_LIT(b, ",\"recordedDate\":");
	yl_sbuf_date(b, onset);
	YL_SB_LIT(b, ",\"recorder\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)prac + 1, 6);
	YL_SB_LIT(b, "}\n");
	c->o->count[YL_SYNTH_CONDITION]++;
}

/* ---- contracts -------------------------------------------------------------------------- */

enum { ST_SIGNED, ST_RENEWED, ST_TERMINATED };
static const char *const states[] = {"signed", "renewed", "terminated"};

static const struct {
	const char *code, *display;
} reasons[] = {
    {"moved", "迁出"}, {"refused", "拒绝"}, {"lost", "失访"}, {"other", "其他"}, {"died", "死亡"},
};
#define REASON_DIED 4

struct contract {
	int32_t start, end, stop; /* period; stop: its last day in force (<= end) */
	bool active;              /* status active (else finished) */
	int state, reason;        /* reason: -1 none */
	unsigned packages;        /* bit per d->packages[] */
};

static unsigned key_populations(const struct yl_synth_team_ctx *c, const struct yl_synth_person *p,
                                const struct yl_synth_fate *f, bool low_income, int32_t day)
{
	int age = age_on(p, day);
	unsigned kp = 0;
	if (age >= c->d->elderly_age)
		kp |= 1u << YL_KP_ELDERLY;
	if (age <= c->d->child_max_age)
		kp |= 1u << YL_KP_CHILD;
	if (f->onset[YL_SYNTH_HTN] >= 0 && f->onset[YL_SYNTH_HTN] <= day)
		kp |= 1u << YL_KP_HYPERTENSION;
	if (f->onset[YL_SYNTH_T2D] >= 0 && f->onset[YL_SYNTH_T2D] <= day)
		kp |= 1u << YL_KP_T2D;
	if (low_income)
		kp |= 1u << YL_KP_LOW_INCOME;
	return kp;
}

static unsigned packages_for(const struct yl_synth_team_ctx *c, const struct yl_synth_person *p,
                             const struct yl_synth_fate *f, bool low_income, int32_t start,
                             struct yl_rng *g)
{
	int age = age_on(p, start);
	int gender = p->flags & YL_PERSON_MALE ? 1 : 2;
	unsigned kp = key_populations(c, p, f, low_income, start), mask = 0;
	for (int k = 0; k < c->d->npackages; k++) {
		const struct yl_synth_package *pk = &c->d->packages[k];
		bool ok = (pk->age_lo < 0 || age >= pk->age_lo) &&
		          (pk->age_hi < 0 || age <= pk->age_hi) &&
		          (pk->gender == 0 || pk->gender == gender) &&
		          (pk->focus == 0 || (pk->focus & kp));
		if (ok && (pk->share >= 1.0 || yl_rng_chance(g, pk->share)))
			mask |= 1u << k;
	}
	return mask;
}

/* the contracts a resident had, oldest first (not yet checked against capacity) */
static int plan_contracts(const struct yl_synth_team_ctx *c, const struct yl_synth_person *p,
                          const struct yl_synth_fate *f, bool low_income, struct yl_rng *g,
                          struct contract *out)
{
	const struct yl_synth_data *d = c->d;
	int32_t at = f->death >= 0 ? f->death : c->as_of;
	int32_t oldest = yl_synth_add_years(c->window, -1);
	double rate = key_populations(c, p, f, low_income, at) ? d->rate_key : d->rate_other;
	int n = 0;
	if (yl_rng_chance(g, rate)) {
		int32_t starts[MAX_EOC];
		starts[n++] = at - (int32_t)yl_rng_below(g, 365);
		if (starts[0] < p->birth)
			starts[0] = p->birth;
		while (n < MAX_EOC && yl_rng_chance(g, d->renewal_share)) {
			int32_t prev = yl_synth_add_years(starts[n - 1], -1);
			if (prev < oldest || prev < p->birth)
				break;
			starts[n++] = prev;
		}
		for (int k = 0; k < n; k++) {
			struct contract *x = &out[k];
			x->start = starts[n - 1 - k];
			x->end = yl_synth_add_years(x->start, 1) - 1;
			x->stop = x->end;
			x->state = k ? ST_RENEWED : ST_SIGNED;
			x->reason = -1;
			x->active =
			    true; /* a renewed one keeps its status, its period over (as $renew) */
		}
		if (f->death >= 0) {
			struct contract *x = &out[n - 1];
			x->stop = x->end = f->death;
			x->active = false;
			x->state = ST_TERMINATED;
			x->reason = REASON_DIED;
		}
	} else if (yl_rng_chance(g, d->past_share)) {
		int32_t lo = oldest > p->birth ? oldest : p->birth, hi = at - 366;
		if (hi < lo)
			return 0;
		struct contract *x = &out[n++];
		x->start = lo + (int32_t)yl_rng_below(g, (uint32_t)(hi - lo + 1));
		x->end = x->stop = yl_synth_add_years(x->start, 1) - 1;
		x->state = ST_SIGNED;
		x->reason = -1;
		x->active = true; /* expired: nothing flips its status (docs/registry.md) */
		if (yl_rng_chance(g, d->terminated_share)) {
			x->stop = x->end = x->start + 30 + (int32_t)yl_rng_below(g, 300);
			x->active = false;
			x->state = ST_TERMINATED;
			x->reason = yl_rng_pick(g, &d->term_pick);
		}
	}
	for (int k = 0; k < n; k++)
		out[k].packages = packages_for(c, p, f, low_income, out[k].start, g);
	return n;
}

static bool fits(const struct yl_synth_team_ctx *c, const uint16_t *load, int cap,
                 const struct contract *x, int n)
{
	for (int k = 0; k < n; k++)
		for (int32_t day = x[k].start; day <= x[k].stop; day++) {
			int32_t j = day - c->day0;
			if (j >= 0 && j < c->ndays && load[j] >= cap)
				return false;
		}
	return true;
}

static void take(const struct yl_synth_team_ctx *c, uint16_t *load, const struct contract *x, int n)
{
	for (int k = 0; k < n; k++)
		for (int32_t day = x[k].start; day <= x[k].stop; day++) {
			int32_t j = day - c->day0;
			if (j >= 0 && j < c->ndays)
				load[j]++;
		}
}

static void write_contract(struct yl_synth_team_ctx *c, int64_t i, int k, const struct contract *x,
                           int doctor)
{
	const struct yl_synth_team *t = &c->r->teams[c->team];
	struct yl_sbuf *b = &c->o->b[YL_SYNTH_EPISODE_OF_CARE];
	YL_SB_LIT(b, "{\"resourceType\":\"EpisodeOfCare\",\"id\":\"");
	yl_sbuf_id(b, "eoc-", (uint64_t)i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)k + 1, 2);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"extension\":[{\"url\":\"" YL_SD
	             "contract-state\",\"valueCode\":\"");
	yl_sbuf_adds(b, states[x->state]);
	YL_SB_LIT(b, "\"}");
	for (int m = 0; m < c->d->npackages; m++)
		if (x->packages & (1u << m)) {
			YL_SB_LIT(b, ",{\"url\":\"" YL_SD "contract-package\",\"valueReference\":{"
			             "\"reference\":\"PlanDefinition/");
			yl_sbuf_adds(b, c->d->packages[m].id);
			YL_SB_LIT(b, "\"}}");
		}
	if (k > 0) { /* renews the one before (id number k) */
		YL_SB_LIT(b, ",{\"url\":\"" YL_SD "renews\",\"valueReference\":");
		yl_sbuf_ref_sub(b, "EpisodeOfCare/eoc-", (uint64_t)i + 1, 7, (uint64_t)k, 2);
		YL_SB_LIT(b, "}");
	}
	if (x->reason >= 0) {
		YL_SB_LIT(b,
		          ",{\"url\":\"" YL_SD "termination-reason\",\"valueCoding\":{\"system\":"
		          "\"" YL_CS "contract-termination-reason\",\"code\":\"");
		yl_sbuf_adds(b, reasons[x->reason].code);
		YL_SB_LIT(b, "\",\"display\":\"");
		yl_sbuf_adds(b, reasons[x->reason].display);
		YL_SB_LIT(b, "\"}}");
	}
	YL_SB_LIT(b, "],\"status\":");
	yl_sbuf_adds(b, x->active ? "\"active\"" : "\"finished\"");
	if (!x->active) {
		YL_SB_LIT(b, ",\"statusHistory\":[{\"status\":\"active\",\"period\":{\"start\":");
		yl_sbuf_date(b, x->start);
		YL_SB_LIT(b, ",\"end\":");
		yl_sbuf_date(b, x->stop);
		YL_SB_LIT(b, "}}]");
	}
	YL_SB_LIT(b, ",\"type\":[{\"coding\":[{\"system\":\"" YL_CS "episode-type\",\"code\":"
	             "\"family-doctor-contract\",\"display\":\"家庭医生签约\"}]}],\"patient\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)i + 1, 7);
	YL_SB_LIT(b, ",\"managingOrganization\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)t->org + 1, 5);
	YL_SB_LIT(b, ",\"period\":{\"start\":");
	yl_sbuf_date(b, x->start);
	YL_SB_LIT(b, ",\"end\":");
	yl_sbuf_date(b, x->end);
	YL_SB_LIT(b, "},\"careManager\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)doctor + 1, 6);
	YL_SB_LIT(b, ",\"team\":[");
	yl_sbuf_ref(b, "CareTeam/team-", (uint64_t)c->team + 1, 5);
	YL_SB_LIT(b, "]}\n");
	c->o->count[YL_SYNTH_EPISODE_OF_CARE]++;
}

/* contracts within the caps; returns the signing doctor (practitioner index) or -1, and in
 * *written how many EpisodeOfCare ids the contracts took */
static int contracts(struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                     const struct yl_synth_fate *f, bool low_income, int *written)
{
	const struct yl_synth_team *t = &c->r->teams[c->team];
	struct yl_rng g;
	struct contract x[MAX_EOC];
	yl_rng_seed(&g, c->seed, YL_RNG_CONTRACT, (uint64_t)i);
	int n = plan_contracts(c, p, f, low_income, &g, x);
	if (n == 0 || !fits(c, c->team_load, t->cap, x, n))
		return -1;
	int first = t->ndoctors > 1 ? (int)yl_rng_below(&g, (uint32_t)t->ndoctors) : 0, k = -1;
	for (int m = 0; m < t->ndoctors && k < 0; m++) {
		int cand = (first + m) % t->ndoctors;
		if (fits(c, c->doctor_load[cand], t->doctor_cap[cand], x, n))
			k = cand;
	}
	if (k < 0)
		return -1;
	take(c, c->team_load, x, n);
	take(c, c->doctor_load[k], x, n);
	*written = n;
	for (int m = 0; m < n; m++) {
		write_contract(c, i, m, &x[m], t->doctor[k]);
		if (x[m].active && x[m].start <= c->as_of && c->as_of <= x[m].stop)
			c->contracted_now++;
	}
	return t->doctor[k];
}

/* ---- the binding to the server's rules ---------------------------------------------------- */

/* the Observations of a visit, by the form's reading (rules/followup-form.json) */
enum { O_BP, O_FPG, O_A1C, O_HR, O_WEIGHT, O_BMI, O_FINDINGS };
static const enum yl_fu_num obs_fact[YL_SYNTH_NOBS] = {
    [O_BP] = YL_FU_SBP,        [O_FPG] = YL_FU_FPG, [O_A1C] = YL_FU_HBA1C,     [O_HR] = YL_FU_HR,
    [O_WEIGHT] = YL_FU_WEIGHT, [O_BMI] = YL_FU_BMI, [O_FINDINGS] = YL_FU_NNUM,
};
static const int obs_decimals[YL_SYNTH_NOBS] = {
    [O_FPG] = 1, [O_A1C] = 1, [O_WEIGHT] = 1, [O_BMI] = 1};
#define FINDINGS_SUFFIX "findings" /* {encounter id}-findings (docs/registry.md) */
#define OBS_CAT         "http://terminology.hl7.org/CodeSystem/observation-category"

/* yilian's code systems the follow-ups write (names under YL_CS), and the codes of their
 * closed vocabularies that the generator itself writes */
static const char CS_CLASS[] = "followup-classification", CS_STEP[] = "next-step",
                  CS_REASON[] = "referral-reason", CS_DANGER[] = "danger-sign",
                  CS_SYMPTOM[] = "followup-symptom", CS_ITEM[] = "followup-item",
                  CS_COMPLICATION[] = "complication-change",
                  CS_ADHERENCE[] = "medication-adherence", CS_END[] = "management-end-reason";
static const char ITEM_FINDINGS[] = "followup-findings", ITEM_SYMPTOM[] = "symptom",
                  ITEM_ADVERSE[] = "adverse-reaction",
                  ITEM_ADVERSE_OK[] = "adverse-reaction-controllable",
                  ITEM_COMPLICATION[] = "complication", ITEM_ADHERENCE[] = "adherence";
static const char SYMPTOM_NONE[] = "none", CHANGE_NONE[] = "none", CHANGE_NEW[] = "new",
                  CHANGE_WORSE[] = "worse";
enum { END_DIED, END_MOVED, END_LOST, END_REFUSED };
static const char *const end_codes[] = {"died", "moved", "lost", "refused"};

static const struct {
	const char *system, *code;
} vocabulary[] = {
    {CS_ITEM, ITEM_FINDINGS},
    {CS_ITEM, ITEM_SYMPTOM},
    {CS_ITEM, ITEM_ADVERSE},
    {CS_ITEM, ITEM_ADVERSE_OK},
    {CS_ITEM, ITEM_COMPLICATION},
    {CS_ITEM, ITEM_ADHERENCE},
    {CS_SYMPTOM, SYMPTOM_NONE},
    {CS_COMPLICATION, CHANGE_NONE},
    {CS_COMPLICATION, CHANGE_NEW},
    {CS_COMPLICATION, CHANGE_WORSE},
    {CS_END, "died"},
    {CS_END, "moved"},
    {CS_END, "lost"},
    {CS_END, "refused"},
};

static enum yl_code not_a_code(struct yl_arena *a, struct yl_err *err, const char *system,
                               const char *code)
{
	return yl_err_add(err, a, YL_IO, NULL,
	                  "'%s' is not a code of %s%s (terminology/codesystems.json); "
	                  "terminology/synth/programmes.json names it",
	                  code, YL_CS, system);
}

static enum yl_code known_codes(const struct yl_synth_codes *c, const char *system,
                                struct yl_arena *a, struct yl_err *err)
{
	for (int i = 0; i < c->n; i++)
		if (!yl_care_code(system, c->code[i], "en"))
			return not_a_code(a, err, system, c->code[i]);
	return YL_OK;
}

/* the condition's Condition.code as synth writes it (new) */
static json_t *condition_code(const struct yl_synth_condition *cd)
{
	return json_pack("{s:[{s:s,s:s},{s:s,s:s}]}", "coding", "system", ICD10, "code", cd->icd10,
	                 "system", SNOMED, "code", cd->snomed);
}

static enum yl_code bind_programme(struct yl_synth_bind *b, const struct yl_synth_data *d, int k,
                                   json_t *const *code, struct yl_arena *a, struct yl_err *err)
{
	const struct yl_programme *prog = yl_programme(d->prog[k].name);
	if (!prog)
		return yl_err_add(
		    err, a, YL_IO, NULL,
		    "the %s programme and its rule pack are not loaded "
		    "(rules/programmes.json): synth classifies every follow-up with it",
		    d->prog[k].name);
	const struct yl_pack *pack = prog->pack;
	b->prog[k].prog = prog;
	b->prog[k].min_age = yl_pack_min_age(pack);
	b->prog[k].episode_display = yl_care_code("episode-type", prog->episode_type, "zh-CN");
	b->prog[k].encounter_display =
	    yl_care_code("encounter-type", prog->encounter_type, "zh-CN");
	if (!b->prog[k].episode_display)
		return not_a_code(a, err, "episode-type", prog->episode_type);
	if (!b->prog[k].encounter_display)
		return not_a_code(a, err, "encounter-type", prog->encounter_type);
	const struct yl_valueset *vs = yl_care_valueset(yl_pack_valueset(pack));
	if (!vs || !yl_care_coded_in(vs, code[k]))
		return yl_err_add(err, a, YL_IO, NULL,
		                  "the Condition of terminology/synth/conditions.json (ICD-10 %s) "
		                  "is not in %s: it would not make a resident eligible for the %s "
		                  "programme (rule pack %s)",
		                  d->cond[k].icd10, yl_pack_valueset(pack), prog->name,
		                  yl_pack_id(pack));
	size_t n = yl_pack_valueset_count(pack);
	if (n > YL_SYNTH_MAX_VS)
		return yl_err_add(err, a, YL_IO, NULL,
		                  "rule pack %s asks about %zu value sets; synth takes %d at most",
		                  yl_pack_id(pack), n, YL_SYNTH_MAX_VS);
	b->prog[k].nvs = (int)n;
	for (size_t i = 0; i < n; i++) {
		b->prog[k].vs[i] = yl_pack_valueset_at(pack, i);
		const struct yl_valueset *v = yl_care_valueset(b->prog[k].vs[i]);
		b->prog[k].vs_conds[i] = 0;
		for (int j = 0; v && j < YL_SYNTH_NCOND; j++)
			if (yl_care_coded_in(v, code[j]))
				b->prog[k].vs_conds[i] |= 1u << j;
	}
	enum yl_code rc = known_codes(&d->prog[k].symptoms, CS_SYMPTOM, a, err);
	return rc == YL_OK ? known_codes(&d->prog[k].danger_symptoms, CS_SYMPTOM, a, err) : rc;
}

static enum yl_code bind_observations(struct yl_synth_bind *b, struct yl_arena *a,
                                      struct yl_err *err)
{
	for (int k = 0; k < YL_SYNTH_NOBS; k++) {
		b->order[k] = k;
		if (k == O_FINDINGS) {
			b->suffix[k] = FINDINGS_SUFFIX;
			continue;
		}
		b->reading[k] = yl_fu_reading(obs_fact[k]);
		if (!b->reading[k] || !b->reading[k]->obs || !b->reading[k]->code ||
		    (k != O_BP && !b->reading[k]->category))
			return yl_err_add(
			    err, a, YL_IO, NULL,
			    "rules/followup-form.json does not say how '%s' is stored",
			    yl_fu_num_name(obs_fact[k]));
		b->suffix[k] = b->reading[k]->obs;
	}
	if (!yl_fu_reading(YL_FU_DBP))
		return yl_err_add(err, a, YL_IO, NULL, "rules/followup-form.json has no 'dbp'");
	for (int i = 1; i < YL_SYNTH_NOBS; i++) /* ids in creation order: by suffix */
		for (int j = i;
		     j > 0 && strcmp(b->suffix[b->order[j - 1]], b->suffix[b->order[j]]) > 0; j--) {
			int t = b->order[j];
			b->order[j] = b->order[j - 1];
			b->order[j - 1] = t;
		}
	return YL_OK;
}

enum yl_code yl_synth_bind(struct yl_synth_bind *b, const struct yl_synth_data *d,
                           struct yl_arena *a, struct yl_err *err)
{
	memset(b, 0, sizeof *b);
	if (!yl_care_rules())
		return yl_err_add(err, a, YL_IO, NULL,
		                  "terminology/ and rules/ are not loaded: synth writes codes and "
		                  "outcomes from them");
	json_t *code[YL_SYNTH_NCOND];
	for (int k = 0; k < YL_SYNTH_NCOND; k++)
		code[k] = condition_code(&d->cond[k]);
	enum yl_code rc = YL_OK;
	for (int k = 0; k < YL_SYNTH_NCOND && rc == YL_OK; k++)
		rc = code[k] ? bind_programme(b, d, k, code, a, err)
		             : yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	for (int k = 0; k < YL_SYNTH_NCOND; k++)
		json_decref(code[k]);
	for (size_t i = 0; rc == YL_OK && i < sizeof vocabulary / sizeof vocabulary[0]; i++)
		if (!yl_care_code(vocabulary[i].system, vocabulary[i].code, "en"))
			rc = not_a_code(a, err, vocabulary[i].system, vocabulary[i].code);
	if (rc == YL_OK)
		rc = known_codes(&d->adherence, CS_ADHERENCE, a, err);
	return rc == YL_OK ? bind_observations(b, a, err) : rc;
}

/* The zh-CN display of a code (NULL when the system has no such code), remembered by the
 * addresses of system and code: the codes come from the packs, the figures and this file,
 * all of which stay put while generating. */
static const char *display(struct yl_synth_team_ctx *c, const char *system, const char *code)
{
	size_t h = (size_t)(((uintptr_t)code >> 3) * 2654435761u);
	for (size_t n = 0; n < YL_SYNTH_NMEMO; n++) {
		struct yl_synth_memo *m = &c->memo[(h + n) % YL_SYNTH_NMEMO];
		if (m->code == code && m->system == system)
			return m->display;
		if (!m->code) {
			*m = (struct yl_synth_memo){system, code,
			                            yl_care_code(system, code, "zh-CN")};
			return m->display;
		}
	}
	return yl_care_code(system, code, "zh-CN");
}

/* {"system":"CS<system>","code":"...","display":"..."}, as $record-followup writes codings */
static void cs_coding(struct yl_synth_team_ctx *c, struct yl_sbuf *b, const char *system,
                      const char *code)
{
	const char *text = display(c, system, code);
	YL_SB_LIT(b, "{\"system\":\"" YL_CS);
	yl_sbuf_adds(b, system);
	YL_SB_LIT(b, "\",\"code\":");
	yl_sbuf_str(b, code);
	if (text) {
		YL_SB_LIT(b, ",\"display\":");
		yl_sbuf_str(b, text);
	}
	YL_SB_LIT(b, "}");
}

static void cs_concept(struct yl_synth_team_ctx *c, struct yl_sbuf *b, const char *system,
                       const char *code)
{
	YL_SB_LIT(b, "{\"coding\":[");
	cs_coding(c, b, system, code);
	YL_SB_LIT(b, "]}");
}

/* ---- follow-ups ------------------------------------------------------------------------- */

struct mr {
	int cond, drug, enc, prac;
	int32_t day;
	int minute;
	bool completed;
};

/* the resident's place in one programme */
struct prog_state {
	int32_t enrol;     /* the enrolment day (its first visit), -1 when not enrolled */
	int32_t end;       /* the day management ended, -1 while it goes on */
	int reason;        /* END_*, with end */
	int eoc;           /* the enrolment's number: eoc-NNNNNNN-KK */
	bool started;      /* the enrolment visit is made */
	int32_t due;       /* the next visit, once started */
	signed char prev;  /* at target at the previous visit, -1 before the first */
	int32_t run_start; /* the first day of the trailing run of visits not at target, or -1 */
	int short_run;     /* short-interval follow-ups in a row */
};

struct fu {
	struct yl_synth_team_ctx *c;
	const struct yl_synth_data *d;
	int64_t i;
	const struct yl_synth_person *p;
	const struct yl_synth_fate *f;
	struct yl_rng g;
	int nenc, nmr;
	struct mr mrs[MAX_MR];
	int regimen[YL_SYNTH_NCOND][YL_SYNTH_MAX_DRUGS], nregimen[YL_SYNTH_NCOND];
	double tendency[YL_SYNTH_NCOND], slope[YL_SYNTH_NCOND], base[YL_SYNTH_NCOND];
	double bmi, height, hr, miss, adherent;
	int doctor, org, village_staff, village_org;
	bool rural;
	int32_t last; /* the last day a visit can happen (as_of, or the day before death) */
	struct prog_state ps[YL_SYNTH_NCOND];
};

/* the readings of one visit */
struct readings {
	int sbp, dbp, hr;
	int64_t fpg10, a1c10, weight10, bmi10;
};

/* the coded items of the form (the findings Observation) */
struct findings {
	bool recorded;
	const char *symptom[3];
	int nsymptom;
	signed char adverse, adverse_ok; /* -1 not recorded */
	const char *complication, *adherence;
};

/* what one Encounter records: its Observations' values (tenths where they have a decimal) */
struct items {
	bool has[YL_SYNTH_NOBS];
	int64_t v[YL_SYNTH_NOBS];
	int dbp;
	struct findings fi;
};

static const struct {
	const char *code, *display;
} classes[] = {{"AMB", "ambulatory"}, {"HH", "home health"}, {"VR", "virtual"}};

/* one sub-extension with a coding, after a comma unless it is the first */
static void sub_coding(struct yl_synth_team_ctx *c, struct yl_sbuf *b, bool *more, const char *url,
                       const char *system, const char *code)
{
	if (*more)
		YL_SB_LIT(b, ",");
	*more = true;
	YL_SB_LIT(b, "{\"url\":\"");
	yl_sbuf_adds(b, url);
	YL_SB_LIT(b, "\",\"valueCoding\":");
	cs_coding(c, b, system, code);
	YL_SB_LIT(b, "}");
}

/* the outcome extension as followup.c's outcome_ext() builds it (the same sub-extensions in
 * the same order and shapes), then a comma */
static void write_outcome(struct yl_synth_team_ctx *c, struct yl_sbuf *b,
                          const struct yl_pack *pack, const struct yl_fu_result *r)
{
	bool more = false;
	YL_SB_LIT(b, "\"extension\":[{\"url\":\"" YL_SD "followup-outcome\",\"extension\":[");
	if (r->classification)
		sub_coding(c, b, &more, "classification", CS_CLASS, r->classification);
	sub_coding(c, b, &more, "next-step", CS_STEP, yl_next_step_code(r->next_step));
	if (r->next_date != YL_NO_DAY) {
		YL_SB_LIT(b, ",{\"url\":\"next-date\",\"valueDate\":");
		yl_sbuf_date(b, (int32_t)r->next_date);
		YL_SB_LIT(b, "}");
	}
	for (size_t i = 0; i < r->nreason; i++)
		sub_coding(c, b, &more, "referral-reason", CS_REASON, r->reason[i]);
	for (size_t i = 0; i < r->ndanger; i++)
		sub_coding(c, b, &more, "danger-sign",
		           display(c, CS_DANGER, r->danger[i]) ? CS_DANGER : CS_SYMPTOM,
		           r->danger[i]);
	YL_SB_LIT(b, ",{\"url\":\"at-target\",\"valueBoolean\":");
	yl_sbuf_adds(b, r->at_target ? "true" : "false");
	YL_SB_LIT(b, "},{\"url\":\"rule-pack\",\"valueString\":");
	yl_sbuf_str(b, yl_pack_id(pack));
	if (r->rule) {
		YL_SB_LIT(b, "},{\"url\":\"rule\",\"valueString\":");
		yl_sbuf_str(b, r->rule);
	}
	YL_SB_LIT(b, "}]}],");
}

static void write_encounter(struct fu *u, int k, int32_t day, int cls, int prac, int org,
                            const struct yl_fu_result *r)
{
	struct yl_synth_team_ctx *c = u->c;
	const struct yl_programme *prog = c->b->prog[k].prog;
	struct yl_sbuf *b = &c->o->b[YL_SYNTH_ENCOUNTER];
	YL_SB_LIT(b, "{\"resourceType\":\"Encounter\",\"id\":\"");
	yl_sbuf_id(b, "enc-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)u->nenc, 3);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",");
	write_outcome(c, b, prog->pack, r);
	YL_SB_LIT(b, "\"status\":\"finished\",\"class\":{\"system\":\"http://"
	             "terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"");
	yl_sbuf_adds(b, classes[cls].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, classes[cls].display);
	YL_SB_LIT(b,
	          "\"},\"type\":[{\"coding\":[{\"system\":\"" YL_CS "encounter-type\",\"code\":");
	yl_sbuf_str(b, prog->encounter_type);
	YL_SB_LIT(b, ",\"display\":");
	yl_sbuf_str(b, c->b->prog[k].encounter_display);
	YL_SB_LIT(b, "}]}],\"subject\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, ",\"episodeOfCare\":[");
	yl_sbuf_ref_sub(b, "EpisodeOfCare/eoc-", (uint64_t)u->i + 1, 7, (uint64_t)u->ps[k].eoc, 2);
	YL_SB_LIT(b, "],\"participant\":[{\"individual\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)prac + 1, 6);
	YL_SB_LIT(b, "}],\"period\":{\"start\":");
	yl_sbuf_date(b, day);
	YL_SB_LIT(b, "},\"serviceProvider\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)org + 1, 5);
	YL_SB_LIT(b, "}\n");
	c->o->count[YL_SYNTH_ENCOUNTER]++;
}

/* the programme enrolment, as $enrol and $end-management write it */
static void write_enrolment(struct fu *u, int k)
{
	struct yl_synth_team_ctx *c = u->c;
	const struct prog_state *s = &u->ps[k];
	struct yl_sbuf *b = &c->o->b[YL_SYNTH_EPISODE_OF_CARE];
	YL_SB_LIT(b, "{\"resourceType\":\"EpisodeOfCare\",\"id\":\"");
	yl_sbuf_id(b, "eoc-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)s->eoc, 2);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",");
	if (s->end >= 0) {
		YL_SB_LIT(b, "\"extension\":[{\"url\":\"" YL_SD "management-end-reason\","
		             "\"valueCoding\":");
		cs_coding(c, b, CS_END, end_codes[s->reason]);
		YL_SB_LIT(b, "}],");
	}
	YL_SB_LIT(b, "\"status\":");
	yl_sbuf_adds(b, s->end >= 0 ? "\"finished\"" : "\"active\"");
	YL_SB_LIT(b, ",\"type\":[{\"coding\":[{\"system\":\"" YL_CS "episode-type\",\"code\":");
	yl_sbuf_str(b, c->b->prog[k].prog->episode_type);
	YL_SB_LIT(b, ",\"display\":");
	yl_sbuf_str(b, c->b->prog[k].episode_display);
	YL_SB_LIT(b, "}]}],\"patient\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, ",\"period\":{\"start\":");
	yl_sbuf_date(b, s->enrol);
	if (s->end >= 0) {
		YL_SB_LIT(b, ",\"end\":");
		yl_sbuf_date(b, s->end);
	}
	YL_SB_LIT(b, "},\"managingOrganization\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)u->org + 1, 5);
	YL_SB_LIT(b, ",\"careManager\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)u->doctor + 1, 6);
	YL_SB_LIT(b, "}\n");
	c->o->count[YL_SYNTH_EPISODE_OF_CARE]++;
}

static void quantity(struct yl_sbuf *b, int64_t v, int decimals, const char *unit)
{
	YL_SB_LIT(b, "{\"value\":");
	yl_sbuf_fixed(b, v, decimals);
	YL_SB_LIT(b, ",\"unit\":");
	yl_sbuf_str(b, unit);
	YL_SB_LIT(b, ",\"system\":\"" UCUM "\",\"code\":");
	yl_sbuf_str(b, unit);
	YL_SB_LIT(b, "}");
}

/* {"code":{item},"value...": */
static void item(struct yl_synth_team_ctx *c, struct yl_sbuf *b, bool *more, const char *code,
                 const char *value_key)
{
	if (*more)
		YL_SB_LIT(b, ",");
	*more = true;
	YL_SB_LIT(b, "{\"code\":");
	cs_concept(c, b, CS_ITEM, code);
	YL_SB_LIT(b, ",\"");
	yl_sbuf_adds(b, value_key);
	YL_SB_LIT(b, "\":");
}

static void coded_item(struct yl_synth_team_ctx *c, struct yl_sbuf *b, bool *more, const char *code,
                       const char *system, const char *value)
{
	item(c, b, more, code, "valueCodeableConcept");
	cs_concept(c, b, system, value);
	YL_SB_LIT(b, "}");
}

static void flag_item(struct yl_synth_team_ctx *c, struct yl_sbuf *b, bool *more, const char *code,
                      signed char value)
{
	item(c, b, more, code, "valueBoolean");
	yl_sbuf_adds(b, value ? "true}" : "false}");
}

/* the findings' components in build_obs()'s order: symptoms, complication, adherence, then
 * adverse reaction and whether it is controllable */
static void findings_components(struct yl_synth_team_ctx *c, struct yl_sbuf *b,
                                const struct findings *fi)
{
	bool more = false;
	YL_SB_LIT(b, ",\"component\":[");
	for (int i = 0; i < fi->nsymptom; i++)
		coded_item(c, b, &more, ITEM_SYMPTOM, CS_SYMPTOM, fi->symptom[i]);
	if (fi->complication)
		coded_item(c, b, &more, ITEM_COMPLICATION, CS_COMPLICATION, fi->complication);
	if (fi->adherence)
		coded_item(c, b, &more, ITEM_ADHERENCE, CS_ADHERENCE, fi->adherence);
	if (fi->adverse >= 0)
		flag_item(c, b, &more, ITEM_ADVERSE, fi->adverse);
	if (fi->adverse_ok >= 0)
		flag_item(c, b, &more, ITEM_ADVERSE_OK, fi->adverse_ok);
	YL_SB_LIT(b, "]");
}

static void write_obs(struct fu *u, int kind, int32_t day, const struct items *it)
{
	struct yl_synth_team_ctx *c = u->c;
	struct yl_sbuf *b = &c->o->b[YL_SYNTH_OBSERVATION];
	const struct yl_fu_reading *rd = kind == O_BP ? yl_fu_bp_panel() : c->b->reading[kind];
	YL_SB_LIT(b, "{\"resourceType\":\"Observation\",\"id\":\"");
	yl_sbuf_id(b, "enc-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)u->nenc, 3);
	YL_SB_LIT(b, "-");
	yl_sbuf_adds(b, c->b->suffix[kind]);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"status\":\"final\",\"category\":[{\"coding\":[{"
	             "\"system\":\"" OBS_CAT "\",\"code\":");
	yl_sbuf_str(b, rd ? rd->category : "survey");
	YL_SB_LIT(b, "}]}],\"code\":");
	if (rd) {
		YL_SB_LIT(b, "{\"coding\":[{\"system\":\"" LOINC "\",\"code\":");
		yl_sbuf_str(b, rd->code);
		YL_SB_LIT(b, ",\"display\":");
		yl_sbuf_str(b, rd->display);
		YL_SB_LIT(b, "}]");
		if (rd->text) {
			YL_SB_LIT(b, ",\"text\":");
			yl_sbuf_str(b, rd->text);
		}
		YL_SB_LIT(b, "}");
	} else
		cs_concept(c, b, CS_ITEM, ITEM_FINDINGS);
	YL_SB_LIT(b, ",\"subject\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, ",\"encounter\":");
	yl_sbuf_ref_sub(b, "Encounter/enc-", (uint64_t)u->i + 1, 7, (uint64_t)u->nenc, 3);
	YL_SB_LIT(b, ",\"effectiveDateTime\":");
	yl_sbuf_date(b, day);
	if (kind == O_BP) {
		const struct yl_fu_reading *s = c->b->reading[O_BP], *d = yl_fu_reading(YL_FU_DBP);
		YL_SB_LIT(b, ",\"component\":[{\"code\":{\"coding\":[{\"system\":\"" LOINC
		             "\",\"code\":");
		yl_sbuf_str(b, s->code);
		YL_SB_LIT(b, ",\"display\":");
		yl_sbuf_str(b, s->display);
		YL_SB_LIT(b, "}]},\"valueQuantity\":");
		quantity(b, it->v[O_BP], 0, s->unit);
		YL_SB_LIT(b, "},{\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":");
		yl_sbuf_str(b, d->code);
		YL_SB_LIT(b, ",\"display\":");
		yl_sbuf_str(b, d->display);
		YL_SB_LIT(b, "}]},\"valueQuantity\":");
		quantity(b, it->dbp, 0, d->unit);
		YL_SB_LIT(b, "}]");
	} else if (kind == O_FINDINGS) {
		findings_components(c, b, &it->fi);
	} else {
		YL_SB_LIT(b, ",\"valueQuantity\":");
		quantity(b, it->v[kind], obs_decimals[kind], rd->unit);
	}
	YL_SB_LIT(b, "}\n");
	c->o->count[YL_SYNTH_OBSERVATION]++;
}

/* a recorded BP value: to a multiple of 10 (terminal-digit preference) or to an even number */
static int record_bp(struct fu *u, double v, int32_t day, int32_t since)
{
	const struct yl_synth_data *d = u->d;
	double years = (double)(day - since) / 365.25;
	double t = d->zero_years > 0 ? years / d->zero_years : 1;
	double zero = d->zero_first + (d->zero_late - d->zero_first) * (t > 1 ? 1 : t < 0 ? 0 : t);
	int x = (int)(v + 0.5);
	if (yl_rng_chance(&u->g, zero))
		return (x + 5) / 10 * 10;
	return (x + 1) / 2 * 2;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* years of drift on day: from the later of the diagnosis and the start of the history */
static double drift_years(const struct fu *u, int32_t since, int32_t day)
{
	int32_t from = since > u->c->window ? since : u->c->window;
	return day > from ? (double)(day - from) / 365.25 : 0;
}

static void measure(struct fu *u, int32_t day, struct readings *rd)
{
	const struct yl_synth_data *d = u->d;
	int32_t since_h =
	    u->f->onset[YL_SYNTH_HTN] >= 0 ? u->f->onset[YL_SYNTH_HTN] : u->f->onset[YL_SYNTH_T2D];
	double yh = drift_years(u, since_h, day);
	double sbp = u->base[YL_SYNTH_HTN] - d->sbp_drug * u->nregimen[YL_SYNTH_HTN] +
	             u->tendency[YL_SYNTH_HTN] * d->sbp_tendency + u->slope[YL_SYNTH_HTN] * yh +
	             yl_rng_normal(&u->g) * d->sbp_visit_sd;
	sbp = clamp(sbp, 85, 240);
	double dbp = d->dbp_base + d->dbp_per_sbp * sbp + yl_rng_normal(&u->g) * d->dbp_sd;
	if (age_on(u->p, day) >= 65)
		dbp -= d->dbp_elderly_drop;
	dbp = clamp(dbp, 45, 140);
	rd->sbp = record_bp(u, sbp, day, since_h);
	rd->dbp = record_bp(u, dbp, day, since_h);
	int32_t since_g = u->f->onset[YL_SYNTH_T2D] >= 0 ? u->f->onset[YL_SYNTH_T2D] : since_h;
	double yg = drift_years(u, since_g, day);
	double untreated = u->base[YL_SYNTH_T2D] + u->tendency[YL_SYNTH_T2D] * d->fpg_tendency +
	                   u->slope[YL_SYNTH_T2D] * yg;
	double fpg_mean = untreated - d->fpg_drug * u->nregimen[YL_SYNTH_T2D];
	if (u->nregimen[YL_SYNTH_T2D] && fpg_mean < d->fpg_treated_min)
		fpg_mean = untreated < d->fpg_treated_min ? untreated : d->fpg_treated_min;
	fpg_mean = clamp(fpg_mean, d->fpg_min, d->fpg_max);
	double z = yl_rng_normal(&u->g);
	double fpg = clamp(fpg_mean + z * (z < 0 ? d->fpg_visit_sd_below : d->fpg_visit_sd),
	                   d->fpg_min, d->fpg_max);
	double a1c =
	    clamp(d->a1c_intercept + d->a1c_per_fpg * fpg_mean + yl_rng_normal(&u->g) * d->a1c_sd,
	          4.0, 15.0);
	rd->fpg10 = (int64_t)(fpg * 10 + 0.5);
	rd->a1c10 = (int64_t)(a1c * 10 + 0.5);
	double bmi = clamp(u->bmi + yl_rng_normal(&u->g) * d->bmi_visit_sd, d->bmi_min, d->bmi_max);
	double h = u->height / 100.0;
	rd->weight10 = (int64_t)(bmi * h * h * 10 + 0.5);
	rd->bmi10 = (int64_t)((double)rd->weight10 / 10.0 / (h * h) * 10 + 0.5);
	rd->hr = (int)(clamp(u->hr + yl_rng_normal(&u->g) * 4, 45, 130) + 0.5);
}

static void prescribe(struct fu *u, int k, int drug, int32_t day, int minute, int prac)
{
	if (u->nmr >= MAX_MR || u->nregimen[k] >= YL_SYNTH_MAX_DRUGS)
		return;
	struct mr *m = &u->mrs[u->nmr++];
	*m = (struct mr){
	    .cond = k, .drug = drug, .enc = u->nenc, .prac = prac, .day = day, .minute = minute};
	u->regimen[k][u->nregimen[k]++] = drug;
}

static bool taking(const struct fu *u, int k, int drug)
{
	for (int j = 0; j < u->nregimen[k]; j++)
		if (u->regimen[k][j] == drug)
			return true;
	return false;
}

/* stop drug (its prescription completed) */
static void stop(struct fu *u, int k, int drug)
{
	for (int j = 0; j < u->nregimen[k]; j++)
		if (u->regimen[k][j] == drug) {
			u->regimen[k][j] = u->regimen[k][--u->nregimen[k]];
			break;
		}
	for (int j = 0; j < u->nmr; j++)
		if (u->mrs[j].cond == k && u->mrs[j].drug == drug)
			u->mrs[j].completed = true;
}

/* the treatment decision after a visit: the first drugs at enrolment; later, an added drug
 * when not at target, and a switch (always after an adverse reaction, else now and then) */
static void treat(struct fu *u, int k, bool enrol, bool uncontrolled, bool severe, bool adverse,
                  int32_t day, int minute, int prac)
{
	const struct yl_synth_data *d = u->d;
	const struct yl_synth_condition *cd = &d->cond[k];
	if (enrol) {
		int first = yl_rng_pick(&u->g, &cd->first);
		prescribe(u, k, first, day, minute, prac);
		for (int j = 0; severe && j < cd->nadd; j++)
			if (!taking(u, k, cd->add_order[j])) {
				prescribe(u, k, cd->add_order[j], day, minute, prac);
				break;
			}
		return;
	}
	if (uncontrolled && u->nregimen[k] < d->max_drugs &&
	    yl_rng_chance(&u->g, d->intensify_share))
		for (int j = 0; j < cd->nadd; j++)
			if (!taking(u, k, cd->add_order[j])) {
				prescribe(u, k, cd->add_order[j], day, minute, prac);
				break;
			}
	for (int j = 0; j < u->nregimen[k]; j++) {
		int to = cd->drugs[u->regimen[k][j]].switch_to;
		if (to >= 0 && !taking(u, k, to) &&
		    (adverse || yl_rng_chance(&u->g, d->switch_share))) {
			stop(u, k, u->regimen[k][j]);
			prescribe(u, k, to, day, minute, prac);
			break;
		}
	}
}

/* the form's coded items for programme k (none at all with 1 - recorded_share) */
static void draw_findings(struct fu *u, int k, bool enrol, struct findings *fi)
{
	const struct yl_synth_data *d = u->d;
	const struct yl_synth_programme *sp = &d->prog[k];
	*fi = (struct findings){.adverse = -1, .adverse_ok = -1};
	if (!yl_rng_chance(&u->g, d->findings_share))
		return;
	fi->recorded = true;
	if (yl_rng_chance(&u->g, d->symptom_share)) {
		int a = yl_rng_pick(&u->g, &sp->symptoms.pick);
		fi->symptom[fi->nsymptom++] = sp->symptoms.code[a];
		int b = yl_rng_chance(&u->g, d->second_symptom_share)
		            ? yl_rng_pick(&u->g, &sp->symptoms.pick)
		            : a;
		if (b != a)
			fi->symptom[fi->nsymptom++] = sp->symptoms.code[b];
	}
	if (yl_rng_chance(&u->g, d->danger_symptom_share))
		fi->symptom[fi->nsymptom++] =
		    sp->danger_symptoms.code[yl_rng_pick(&u->g, &sp->danger_symptoms.pick)];
	if (fi->nsymptom == 0)
		fi->symptom[fi->nsymptom++] = SYMPTOM_NONE;
	fi->adverse = yl_rng_chance(&u->g, d->adverse_share);
	if (fi->adverse)
		fi->adverse_ok = yl_rng_chance(&u->g, d->adverse_ok_share);
	double x = yl_rng_unit(&u->g);
	fi->complication = x < d->complication_new                           ? CHANGE_NEW
	                   : x < d->complication_new + d->complication_worse ? CHANGE_WORSE
	                                                                     : CHANGE_NONE;
	if (enrol) /* no medicine yet to adhere to */
		return;
	fi->adherence = yl_rng_chance(&u->g, u->adherent)
	                    ? d->adherence.code[d->adherence_regular]
	                    : d->adherence.code[yl_rng_pick(&u->g, &d->adherence_other)];
}

/* the facts $record-followup's classify() gives the pack: the visit's readings and items as
 * its Observations hold them, age, the conditions held that day, the previous visit */
static void visit_facts(const struct fu *u, int k, int32_t day, const struct items *it,
                        struct yl_fu_facts *f)
{
	const struct prog_state *s = &u->ps[k];
	yl_fu_facts_init(f);
	f->date = day;
	f->num[YL_FU_AGE] = yl_years_between(u->p->birth, day);
	f->has[YL_FU_AGE] = true;
	for (int kind = 0; kind < O_FINDINGS; kind++) {
		if (!it->has[kind])
			continue;
		enum yl_fu_num n = obs_fact[kind];
		f->num[n] = obs_decimals[kind] ? (double)it->v[kind] / 10.0 : (double)it->v[kind];
		f->has[n] = true;
	}
	if (it->has[O_BP]) {
		f->num[YL_FU_DBP] = it->dbp;
		f->has[YL_FU_DBP] = true;
	}
	const struct findings *fi = &it->fi;
	for (int i = 0; i < fi->nsymptom; i++)
		f->codes[YL_FU_SYMPTOM][f->ncodes[YL_FU_SYMPTOM]++] = fi->symptom[i];
	if (fi->complication)
		f->codes[YL_FU_COMPLICATION][f->ncodes[YL_FU_COMPLICATION]++] = fi->complication;
	if (fi->adherence)
		f->codes[YL_FU_ADHERENCE][f->ncodes[YL_FU_ADHERENCE]++] = fi->adherence;
	f->flag[YL_FU_ADVERSE] = fi->adverse;
	f->flag[YL_FU_ADVERSE_OK] = fi->adverse_ok;
	unsigned held = 0;
	for (int j = 0; j < YL_SYNTH_NCOND; j++)
		if (u->f->onset[j] >= 0 && u->f->onset[j] <= day)
			held |= 1u << j;
	const struct yl_synth_bind *b = u->c->b;
	for (int i = 0; i < b->prog[k].nvs; i++)
		if (b->prog[k].vs_conds[i] & held)
			f->codes[YL_FU_CONDITION][f->ncodes[YL_FU_CONDITION]++] = b->prog[k].vs[i];
	f->flag[YL_FU_PREV_AT_TARGET] = s->prev;
	f->num[YL_FU_UNCONTROLLED_DAYS] = s->run_start >= 0 ? day - s->run_start : 0;
	f->has[YL_FU_UNCONTROLLED_DAYS] = true;
}

/* when programme k is seen next, after an outcome: see programmes.json "schedule" */
static void plan_next(struct fu *u, int k, int32_t day, const struct yl_fu_result *r)
{
	const struct yl_synth_data *d = u->d;
	struct prog_state *s = &u->ps[k];
	int32_t next = (int32_t)r->next_date;
	bool routine = r->next_step <= YL_NEXT_ROUTINE;
	if (!routine && r->next_step < YL_NEXT_URGENT &&
	    s->short_run >= d->short_run_max) { /* back to the routine cycle */
		routine = true;
		next = day + d->interval_days;
	}
	if (routine) {
		s->short_run = 0;
		next += yl_rng_range(&u->g, -d->interval_jitter, d->interval_jitter);
		for (int n = 0; n < 20 && yl_rng_chance(&u->g, u->miss); n++)
			next += d->interval_days;
	} else {
		s->short_run++;
		if (yl_rng_chance(&u->g, d->kept[r->next_step]))
			next -= (int32_t)yl_rng_below(&u->g, (uint32_t)d->early_days_max + 1);
		else
			next += 1 + (int32_t)yl_rng_below(&u->g, (uint32_t)d->late_days_max);
	}
	if (next <= day)
		next = day + 1;
	if (next < u->c->window) /* no history before the window */
		next = u->c->window + (int32_t)yl_rng_below(&u->g, (uint32_t)d->interval_days);
	s->due = next;
}

/* one visit, recording the programmes in mask (those in enrolling are enrolled by it) */
static void visit(struct fu *u, int32_t day, unsigned mask, unsigned enrolling)
{
	const struct yl_synth_data *d = u->d;
	const struct yl_synth_bind *b = u->c->b;
	int minute = 8 * 60 + (int)yl_rng_below(&u->g, 9 * 60);
	double x = yl_rng_unit(&u->g);
	int cls = enrolling || x < d->class_amb ? 0 : x < d->class_amb + d->class_hh ? 1 : 2;
	int prac = u->doctor, org = u->org;
	if (u->rural && cls == 0 && !enrolling && yl_rng_chance(&u->g, 0.5)) {
		prac = u->village_staff;
		org = u->village_org;
	}
	struct readings rd;
	measure(u, day, &rd);
	/* the hypertension visit carries the vital signs; a diabetes visit alone carries them */
	int vitals = mask & (1u << YL_SYNTH_HTN) ? YL_SYNTH_HTN : YL_SYNTH_T2D;
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		if (!(mask & (1u << k)))
			continue;
		bool enrol = enrolling & (1u << k);
		struct items it = {.dbp = rd.dbp};
		if (k == vitals) {
			it.has[O_BP] = it.has[O_WEIGHT] = it.has[O_BMI] = true;
			it.v[O_BP] = rd.sbp;
			it.v[O_WEIGHT] = rd.weight10;
			it.v[O_BMI] = rd.bmi10;
			it.has[O_HR] = yl_rng_chance(&u->g, d->heart_rate_share);
			it.v[O_HR] = rd.hr;
		}
		if (k == YL_SYNTH_T2D) {
			it.has[O_FPG] = true;
			it.v[O_FPG] = rd.fpg10;
			it.has[O_A1C] = enrol || yl_rng_chance(&u->g, d->hba1c_share);
			it.v[O_A1C] = rd.a1c10;
		}
		draw_findings(u, k, enrol, &it.fi);
		it.has[O_FINDINGS] = it.fi.recorded;
		struct yl_fu_facts f;
		struct yl_fu_result r;
		visit_facts(u, k, day, &it, &f);
		yl_pack_eval(b->prog[k].prog->pack, &f, &r);
		u->nenc++;
		write_encounter(u, k, day, cls, prac, org, &r);
		for (int j = 0; j < YL_SYNTH_NOBS; j++)
			if (it.has[b->order[j]])
				write_obs(u, b->order[j], day, &it);
		struct prog_state *s = &u->ps[k];
		s->prev = r.at_target;
		if (r.at_target)
			s->run_start = -1;
		else if (s->run_start < 0)
			s->run_start = day;
		s->started = true;
		bool severe = k == YL_SYNTH_T2D ? rd.fpg10 >= 111 : rd.sbp >= 160;
		treat(u, k, enrol, !r.at_target, severe, it.fi.adverse == 1, day, minute, prac);
		plan_next(u, k, day, &r);
	}
}

static void write_prescriptions(struct fu *u)
{
	struct yl_sbuf *b = &u->c->o->b[YL_SYNTH_MEDICATION_REQUEST];
	for (int j = 0; j < u->nmr; j++) {
		const struct mr *m = &u->mrs[j];
		const struct yl_synth_drug *dr = &u->d->cond[m->cond].drugs[m->drug];
		bool done = m->completed || u->f->death >= 0;
		YL_SB_LIT(b, "{\"resourceType\":\"MedicationRequest\",\"id\":\"");
		yl_sbuf_id(b, "med-", (uint64_t)u->i + 1, 7);
		YL_SB_LIT(b, "-");
		yl_sbuf_zpad(b, (uint64_t)j + 1, 2);
		YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"status\":");
		yl_sbuf_adds(b, done ? "\"completed\"" : "\"active\"");
		YL_SB_LIT(b, ",\"intent\":\"order\",\"medicationCodeableConcept\":{\"coding\":[{"
		             "\"system\":\"http://www.whocc.no/atc\",\"code\":");
		yl_sbuf_str(b, dr->atc);
		YL_SB_LIT(b, ",\"display\":");
		yl_sbuf_str(b, dr->display);
		YL_SB_LIT(b, "}],\"text\":");
		yl_sbuf_str(b, dr->text);
		YL_SB_LIT(b, "},\"subject\":");
		yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
		YL_SB_LIT(b, ",\"encounter\":");
		yl_sbuf_ref_sub(b, "Encounter/enc-", (uint64_t)u->i + 1, 7, (uint64_t)m->enc, 3);
		YL_SB_LIT(b, ",\"authoredOn\":");
		yl_sbuf_datetime(b, m->day, m->minute);
		YL_SB_LIT(b, ",\"requester\":");
		yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)m->prac + 1, 6);
		YL_SB_LIT(b, ",\"reasonReference\":[");
		yl_sbuf_ref_sub(b, "Condition/cond-", (uint64_t)u->i + 1, 7, (uint64_t)m->cond + 1,
		                1);
		YL_SB_LIT(b, "],\"dosageInstruction\":[{\"text\":");
		yl_sbuf_str(b, dr->dose);
		YL_SB_LIT(b, "}]}\n");
		u->c->o->count[YL_SYNTH_MEDICATION_REQUEST]++;
	}
}

/* the enrolment day in programme k: diagnosed and old enough, then perhaps a delay */
static int32_t enrol_day(struct fu *u, int k)
{
	int32_t onset = u->f->onset[k];
	if (onset < 0)
		return -1;
	int min_age = u->c->b->prog[k].min_age;
	int32_t old_enough = yl_synth_add_years(u->p->birth, min_age);
	while (yl_years_between(u->p->birth, old_enough) < min_age) /* 29 February */
		old_enough++;
	int32_t day = onset > old_enough ? onset : old_enough;
	if (!yl_rng_chance(&u->g, u->d->enrol_same_day))
		day += 1 + (int32_t)yl_rng_below(&u->g, (uint32_t)u->d->enrol_delay_max);
	return day;
}

/* the day the resident moves, refuses or stops coming, from `from` on, or -1 */
static int32_t exit_day(struct fu *u, int32_t from, int *kind)
{
	const struct yl_synth_data *d = u->d;
	double total = 0;
	for (int k = 0; k < YL_SYNTH_NEXIT; k++)
		total += d->exit_per_year[k];
	for (int32_t y = from; y <= u->last; y += 365) {
		if (!yl_rng_chance(&u->g, total))
			continue;
		int32_t day = y + (int32_t)yl_rng_below(&u->g, 365);
		double x = yl_rng_unit(&u->g) * total;
		*kind = 0;
		while (*kind + 1 < YL_SYNTH_NEXIT && x >= d->exit_per_year[*kind])
			x -= d->exit_per_year[(*kind)++];
		return day <= u->last ? day : -1;
	}
	return -1;
}

/* enrolments, their ends and the day visits stop (see programmes.json); -1: none */
static int32_t plan_enrolments(struct fu *u)
{
	const struct yl_synth_data *d = u->d;
	int32_t first = -1;
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		struct prog_state *s = &u->ps[k];
		*s = (struct prog_state){
		    .enrol = enrol_day(u, k), .end = -1, .prev = -1, .run_start = -1};
		if (s->enrol > u->last)
			s->enrol = -1;
		if (s->enrol >= 0 && (first < 0 || s->enrol < first))
			first = s->enrol;
	}
	if (first < 0)
		return -1;
	int kind = 0;
	int32_t from = first + 1 > u->c->window ? first + 1 : u->c->window;
	int32_t out = exit_day(u, from, &kind), stop = out >= 0 ? out - 1 : u->last;
	int32_t end = out;
	int reason = kind == YL_SYNTH_MOVED     ? END_MOVED
	             : kind == YL_SYNTH_REFUSED ? END_REFUSED
	                                        : -1;
	if (out >= 0 && kind == YL_SYNTH_LAPSED) { /* closed as lost a while later, or not */
		int32_t close = out + d->lost_close_after +
		                (int32_t)yl_rng_below(&u->g, (uint32_t)d->lost_close_jitter + 1);
		if (close <= u->last && yl_rng_chance(&u->g, d->lost_close_share)) {
			end = close;
			reason = END_LOST;
		}
	}
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		struct prog_state *s = &u->ps[k];
		if (s->enrol < 0)
			continue;
		if (out >= 0 && s->enrol >= out) {
			s->enrol = -1;
			continue;
		}
		if (out >= 0 && reason >= 0) {
			s->end = end;
			s->reason = reason;
		} else if (u->f->death >= 0) {
			s->end = u->f->death;
			s->reason = END_DIED;
		}
	}
	return stop;
}

static void follow_up(struct fu *u, int ncontracts)
{
	const struct yl_synth_data *d = u->d;
	u->last = u->f->death >= 0 ? u->f->death - 1 : u->c->as_of;
	int32_t stop = plan_enrolments(u);
	if (stop < 0)
		return;
	int eoc = ncontracts;
	for (int k = 0; k < YL_SYNTH_NCOND; k++)
		if (u->ps[k].enrol >= 0) {
			u->ps[k].eoc = ++eoc;
			write_enrolment(u, k);
		}
	for (;;) {
		int32_t day = -1;
		for (int k = 0; k < YL_SYNTH_NCOND; k++) {
			const struct prog_state *s = &u->ps[k];
			int32_t t = s->enrol < 0 ? -1 : s->started ? s->due : s->enrol;
			if (t >= 0 && (day < 0 || t < day))
				day = t;
		}
		if (day < 0 || day > stop)
			break;
		unsigned mask = 0, enrolling = 0;
		int n = 0;
		for (int k = 0; k < YL_SYNTH_NCOND; k++) {
			const struct prog_state *s = &u->ps[k];
			bool now = s->enrol >= 0 &&
			           (s->started ? s->due <= day + d->combine_days : s->enrol == day);
			if (!now)
				continue;
			mask |= 1u << k;
			enrolling |= s->started ? 0 : 1u << k;
			n++;
		}
		if (u->nenc + n > MAX_ENC)
			break;
		visit(u, day, mask, enrolling);
	}
	write_prescriptions(u);
}

void yl_synth_care(struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                   const struct yl_synth_fate *f, const struct yl_synth_village *v, bool low_income)
{
	const struct yl_synth_data *d = c->d;
	const struct yl_synth_team *t = &c->r->teams[c->team];
	int ncontracts = 0;
	int doctor = contracts(c, i, p, f, low_income, &ncontracts);
	bool sick = f->onset[YL_SYNTH_HTN] >= 0 || f->onset[YL_SYNTH_T2D] >= 0;
	if (!sick)
		return;
	int who = doctor >= 0 ? doctor : t->doctor[0];
	for (int k = 0; k < YL_SYNTH_NCOND; k++)
		if (f->onset[k] >= 0)
			write_condition(c, i, k, f->onset[k], who);
	struct fu u = {.c = c, .d = d, .i = i, .p = p, .f = f, .doctor = who, .org = t->org};
	yl_rng_seed(&u.g, c->seed, YL_RNG_FOLLOWUP, (uint64_t)i);
	if (!yl_rng_chance(&u.g, doctor >= 0 ? d->managed_contracted : d->managed_uncontracted))
		return;
	bool male = p->flags & YL_PERSON_MALE;
	int by, bm, bd;
	yl_synth_civil(p->birth, &by, &bm, &bd);
	u.height = (male ? d->height_male : d->height_female) + yl_rng_normal(&u.g) * d->height_sd;
	if (by < 1980)
		u.height -= d->shrink_per_year * (1980 - by);
	u.bmi = clamp(d->bmi_mean + yl_rng_normal(&u.g) * d->bmi_sd, d->bmi_min, d->bmi_max);
	u.hr = d->hr_mean + yl_rng_normal(&u.g) * d->hr_sd;
	double x = yl_rng_unit(&u.g);
	u.miss = d->miss_base + d->miss_spread * x * x;
	double common = yl_rng_normal(&u.g);
	u.tendency[YL_SYNTH_HTN] = common;
	u.tendency[YL_SYNTH_T2D] = 0.5 * common + 0.866 * yl_rng_normal(&u.g);
	u.slope[YL_SYNTH_HTN] = yl_rng_normal(&u.g) * d->sbp_drift;
	u.slope[YL_SYNTH_T2D] = yl_rng_normal(&u.g) * d->fpg_drift;
	u.base[YL_SYNTH_HTN] = f->onset[YL_SYNTH_HTN] >= 0
	                           ? d->sbp_diag + yl_rng_normal(&u.g) * d->sbp_diag_sd
	                           : d->sbp_diag - 22 + yl_rng_normal(&u.g) * 8;
	u.base[YL_SYNTH_T2D] = f->onset[YL_SYNTH_T2D] >= 0
	                           ? d->fpg_diag + yl_rng_normal(&u.g) * d->fpg_diag_sd
	                           : 5.2 + yl_rng_normal(&u.g) * 0.4;
	u.adherent =
	    clamp(d->adherence_regular_share - d->adherence_tendency * common, 0.02, 0.995);
	u.rural = !c->r->units[v->unit].street;
	u.village_staff = v->staff;
	u.village_org = v->org;
	follow_up(&u, ncontracts);
}
