/* care.c -- deaths, conditions, contracts and follow-ups of one resident (see care.h). */
#include <stdlib.h>
#include <string.h>

#include "synth/care.h"

#define ICD10   "http://hl7.org/fhir/sid/icd-10"
#define SNOMED  "http://snomed.info/sct"
#define LOINC   "http://loinc.org"
#define UCUM    "http://unitsofmeasure.org"
#define MAX_ENC 990
#define MAX_OBS 9980
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

/* contracts within the caps; returns the signing doctor (practitioner index) or -1 */
static int contracts(struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                     const struct yl_synth_fate *f, bool low_income)
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
	for (int m = 0; m < n; m++) {
		write_contract(c, i, m, &x[m], t->doctor[k]);
		if (x[m].active && x[m].start <= c->as_of && c->as_of <= x[m].stop)
			c->contracted_now++;
	}
	return t->doctor[k];
}

/* ---- follow-ups ------------------------------------------------------------------------- */

struct mr {
	int cond, drug, enc, prac;
	int32_t day;
	int minute;
	bool completed;
};

struct fu {
	struct yl_synth_team_ctx *c;
	const struct yl_synth_data *d;
	int64_t i;
	const struct yl_synth_person *p;
	const struct yl_synth_fate *f;
	struct yl_rng g;
	int nenc, nobs, nmr;
	struct mr mrs[MAX_MR];
	int regimen[YL_SYNTH_NCOND][YL_SYNTH_MAX_DRUGS], nregimen[YL_SYNTH_NCOND];
	double tendency[YL_SYNTH_NCOND], slope[YL_SYNTH_NCOND], base[YL_SYNTH_NCOND];
	double bmi, height, hr, miss;
	int doctor, org, village_staff, village_org;
	bool rural;
};

/* the readings of one visit */
struct readings {
	int sbp, dbp, hr;
	int64_t fpg10, a1c10, weight10, bmi10;
};

static const struct {
	const char *code, *display;
} classes[] = {{"AMB", "ambulatory"}, {"HH", "home health"}, {"VR", "virtual"}};

static const struct {
	const char *code, *display;
} visit_types[YL_SYNTH_NCOND] = {
    {"hypertension-followup", "高血压随访"},
    {"diabetes-followup", "糖尿病随访"},
};

static void write_encounter(struct fu *u, int k, int32_t day, int minute, int cls, int prac,
                            int org)
{
	struct yl_sbuf *b = &u->c->o->b[YL_SYNTH_ENCOUNTER];
	YL_SB_LIT(b, "{\"resourceType\":\"Encounter\",\"id\":\"");
	yl_sbuf_id(b, "enc-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)u->nenc, 3);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"status\":\"finished\",\"class\":{\"system\":\"http://"
	             "terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"");
	yl_sbuf_adds(b, classes[cls].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, classes[cls].display);
	YL_SB_LIT(b,
	          "\"},\"type\":[{\"coding\":[{\"system\":\"" YL_CS "encounter-type\",\"code\":\"");
	yl_sbuf_adds(b, visit_types[k].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, visit_types[k].display);
	YL_SB_LIT(b, "\"}]}],\"subject\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, ",\"participant\":[{\"individual\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)prac + 1, 6);
	YL_SB_LIT(b, "}],\"period\":{\"start\":");
	yl_sbuf_datetime(b, day, minute);
	YL_SB_LIT(b, ",\"end\":");
	yl_sbuf_datetime(b, day, minute + 15);
	YL_SB_LIT(b, "},\"serviceProvider\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)org + 1, 5);
	YL_SB_LIT(b, "}\n");
	u->c->o->count[YL_SYNTH_ENCOUNTER]++;
}

/* observation kinds: LOINC code, display, Chinese text, category, UCUM unit */
enum { OBS_BP, OBS_WEIGHT, OBS_BMI, OBS_HR, OBS_FPG, OBS_A1C };
static const struct {
	const char *code, *display, *text, *category, *unit;
} obs_kinds[] = {
    [OBS_BP] = {"85354-9", "Blood pressure panel with all children optional", "血压", "vital-signs",
                "mm[Hg]"},
    [OBS_WEIGHT] = {"29463-7", "Body weight", "体重", "vital-signs", "kg"},
    [OBS_BMI] = {"39156-5", "Body mass index (BMI) [Ratio]", "体质指数", "vital-signs", "kg/m2"},
    [OBS_HR] = {"8867-4", "Heart rate", "心率", "vital-signs", "/min"},
    [OBS_FPG] = {"14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma", "空腹血糖",
                 "laboratory", "mmol/L"},
    [OBS_A1C] = {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "糖化血红蛋白", "laboratory",
                 "%"},
};

static void quantity(struct yl_sbuf *b, int64_t v, int decimals, const char *unit)
{
	YL_SB_LIT(b, "{\"value\":");
	yl_sbuf_fixed(b, v, decimals);
	YL_SB_LIT(b, ",\"unit\":\"");
	yl_sbuf_adds(b, unit);
	YL_SB_LIT(b, "\",\"system\":\"" UCUM "\",\"code\":\"");
	yl_sbuf_adds(b, unit);
	YL_SB_LIT(b, "\"}");
}

static void write_obs(struct fu *u, int kind, int32_t day, int minute, int64_t v, int decimals,
                      int dbp)
{
	struct yl_sbuf *b = &u->c->o->b[YL_SYNTH_OBSERVATION];
	u->nobs++;
	YL_SB_LIT(b, "{\"resourceType\":\"Observation\",\"id\":\"");
	yl_sbuf_id(b, "obs-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, (uint64_t)u->nobs, 4);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"status\":\"final\",\"category\":[{\"coding\":[{"
	             "\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\","
	             "\"code\":\"");
	yl_sbuf_adds(b, obs_kinds[kind].category);
	YL_SB_LIT(b, "\"}]}],\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":\"");
	yl_sbuf_adds(b, obs_kinds[kind].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, obs_kinds[kind].display);
	YL_SB_LIT(b, "\"}],\"text\":\"");
	yl_sbuf_adds(b, obs_kinds[kind].text);
	YL_SB_LIT(b, "\"},\"subject\":");
	yl_sbuf_ref(b, "Patient/pat-", (uint64_t)u->i + 1, 7);
	YL_SB_LIT(b, ",\"encounter\":");
	yl_sbuf_ref_sub(b, "Encounter/enc-", (uint64_t)u->i + 1, 7, (uint64_t)u->nenc, 3);
	YL_SB_LIT(b, ",\"effectiveDateTime\":");
	yl_sbuf_datetime(b, day, minute);
	if (kind == OBS_BP) {
		YL_SB_LIT(b, ",\"component\":[{\"code\":{\"coding\":[{\"system\":\"" LOINC
		             "\",\"code\":\"8480-6\",\"display\":\"Systolic blood pressure\"}]},"
		             "\"valueQuantity\":");
		quantity(b, v, 0, "mm[Hg]");
		YL_SB_LIT(b,
		          "},{\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":\"8462-4\","
		          "\"display\":\"Diastolic blood pressure\"}]},\"valueQuantity\":");
		quantity(b, dbp, 0, "mm[Hg]");
		YL_SB_LIT(b, "}]");
	} else {
		YL_SB_LIT(b, ",\"valueQuantity\":");
		quantity(b, v, decimals, obs_kinds[kind].unit);
	}
	YL_SB_LIT(b, "}\n");
	u->c->o->count[YL_SYNTH_OBSERVATION]++;
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

static void measure(struct fu *u, int32_t day, struct readings *rd)
{
	const struct yl_synth_data *d = u->d;
	int32_t since_h =
	    u->f->onset[YL_SYNTH_HTN] >= 0 ? u->f->onset[YL_SYNTH_HTN] : u->f->onset[YL_SYNTH_T2D];
	double yh = (double)(day - since_h) / 365.25;
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
	double yg = (double)(day - since_g) / 365.25;
	double fpg_mean = u->base[YL_SYNTH_T2D] - d->fpg_drug * u->nregimen[YL_SYNTH_T2D] +
	                  u->tendency[YL_SYNTH_T2D] * d->fpg_tendency + u->slope[YL_SYNTH_T2D] * yg;
	fpg_mean = clamp(fpg_mean, d->fpg_min, d->fpg_max);
	double fpg =
	    clamp(fpg_mean + yl_rng_normal(&u->g) * d->fpg_visit_sd, d->fpg_min, d->fpg_max);
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

/* the treatment decision after a visit's readings */
static void treat(struct fu *u, int k, bool enrol, bool uncontrolled, bool severe, int32_t day,
                  int minute, int prac)
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
		if (to >= 0 && !taking(u, k, to) && yl_rng_chance(&u->g, d->switch_share)) {
			stop(u, k, u->regimen[k][j]);
			prescribe(u, k, to, day, minute, prac);
			break;
		}
	}
}

/* one visit for the conditions in mask; returns whether any was uncontrolled */
static bool visit(struct fu *u, int32_t day, unsigned mask, bool enrol)
{
	const struct yl_synth_data *d = u->d;
	int minute = 8 * 60 + (int)yl_rng_below(&u->g, 9 * 60);
	double x = yl_rng_unit(&u->g);
	int cls = enrol || x < d->class_amb ? 0 : x < d->class_amb + d->class_hh ? 1 : 2;
	int prac = u->doctor, org = u->org;
	if (u->rural && cls == 0 && !enrol && yl_rng_chance(&u->g, 0.5)) {
		prac = u->village_staff;
		org = u->village_org;
	}
	struct readings rd;
	measure(u, day, &rd);
	bool any = false, htn = mask & (1u << YL_SYNTH_HTN);
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		if (!(mask & (1u << k)) || u->nenc >= MAX_ENC || u->nobs >= MAX_OBS)
			continue;
		u->nenc++;
		write_encounter(u, k, day, minute, cls, prac, org);
		bool uncontrolled, severe;
		if (k == YL_SYNTH_T2D) {
			write_obs(u, OBS_FPG, day, minute, rd.fpg10, 1, 0);
			if (enrol || yl_rng_chance(&u->g, d->hba1c_share))
				write_obs(u, OBS_A1C, day, minute, rd.a1c10, 1, 0);
			uncontrolled = rd.fpg10 >= 70;
			severe = rd.fpg10 >= 111;
		} else {
			int target = age_on(u->p, day) >= 65 ? 150 : 140;
			uncontrolled = rd.sbp >= target || rd.dbp >= 90;
			severe = rd.sbp >= 160;
		}
		if (k == YL_SYNTH_HTN || !htn) {
			write_obs(u, OBS_BP, day, minute, rd.sbp, 0, rd.dbp);
			write_obs(u, OBS_WEIGHT, day, minute, rd.weight10, 1, 0);
			write_obs(u, OBS_BMI, day, minute, rd.bmi10, 1, 0);
			if (yl_rng_chance(&u->g, d->heart_rate_share))
				write_obs(u, OBS_HR, day, minute, rd.hr, 0, 0);
		}
		treat(u, k, enrol, uncontrolled, severe, day, minute, prac);
		any = any || uncontrolled;
	}
	return any;
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

static void follow_up(struct fu *u)
{
	const struct yl_synth_data *d = u->d;
	const struct yl_synth_fate *f = u->f;
	int32_t end = f->death >= 0 ? f->death - 1 : u->c->as_of;
	int32_t enrol[YL_SYNTH_NCOND];
	int32_t first = -1;
	for (int k = 0; k < YL_SYNTH_NCOND; k++) {
		enrol[k] = f->onset[k];
		if (f->onset[k] >= 0 && (first < 0 || f->onset[k] < first))
			first = f->onset[k];
	}
	int32_t next = first + d->interval_days;
	int32_t w = u->c->window + (int32_t)yl_rng_below(&u->g, (uint32_t)d->interval_days);
	if (next < w)
		next = w;
	for (;;) {
		int ke = -1;
		for (int k = 0; k < YL_SYNTH_NCOND; k++)
			if (enrol[k] >= 0 && (ke < 0 || enrol[k] < enrol[ke]))
				ke = k;
		if (ke >= 0 && enrol[ke] <= next) {
			if (enrol[ke] > end)
				break;
			visit(u, enrol[ke], 1u << ke, true);
			enrol[ke] = -1;
			continue;
		}
		if (next > end || u->nenc >= MAX_ENC || u->nobs >= MAX_OBS)
			break;
		int jitter = (int)yl_rng_below(&u->g, (uint32_t)(2 * d->interval_jitter + 1)) -
		             d->interval_jitter;
		if (yl_rng_chance(&u->g, u->miss)) { /* missed: the next one comes a cycle later */
			next += d->interval_days + jitter;
			continue;
		}
		unsigned mask = 0;
		for (int k = 0; k < YL_SYNTH_NCOND; k++)
			if (f->onset[k] >= 0 && f->onset[k] < next)
				mask |= 1u << k;
		bool bad = visit(u, next, mask, false);
		if (bad && yl_rng_chance(&u->g, d->recheck_share))
			next += d->recheck_days - (int)yl_rng_below(&u->g, 4);
		else
			next += d->interval_days + jitter;
	}
	write_prescriptions(u);
}

void yl_synth_care(struct yl_synth_team_ctx *c, int64_t i, const struct yl_synth_person *p,
                   const struct yl_synth_fate *f, const struct yl_synth_village *v, bool low_income)
{
	const struct yl_synth_data *d = c->d;
	const struct yl_synth_team *t = &c->r->teams[c->team];
	int doctor = contracts(c, i, p, f, low_income);
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
	u.rural = !c->r->units[v->unit].street;
	u.village_staff = v->staff;
	u.village_org = v->org;
	follow_up(&u);
}
