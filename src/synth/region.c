/* region.c -- plan and write the county's institutions, staff and teams (see region.h). */
#include <stdio.h>
#include <string.h>

#include "synth/names.h"
#include "synth/region.h"

/* total split into n parts by weights w[] (largest remainder; every part >= 1 when total >= n) */
static void split(int64_t total, int n, const double *w, int32_t *out)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += w[i];
	int64_t given = 0;
	for (int i = 0; i < n; i++) {
		out[i] = (int32_t)((double)total * w[i] / sum);
		if (out[i] < 1 && total >= n)
			out[i] = 1;
		given += out[i];
	}
	/* hand out (or take back) the rest one by one, cycling from the first part */
	for (int i = 0; given < total; i = (i + 1) % n, given++)
		out[i]++;
	for (int i = 0; given > total; i = (i + 1) % n)
		if (out[i] > 1) {
			out[i]--;
			given--;
		}
}

static const char *combo_name(const struct yl_synth_data *d, struct yl_arena *a, int k,
                              const char *suffix)
{
	return yl_arena_printf(a, "%s%s%s", d->vfirst[k % d->nvfirst],
	                       d->vsecond[(k / d->nvfirst) % d->nvsecond], suffix);
}

static const char *unit_name(const struct yl_synth_data *d, struct yl_arena *a, bool street, int k,
                             int code)
{
	const char *suffix = street ? "街道" : code < 200 ? "镇" : "乡";
	const char **list = street ? d->streets : d->towns;
	int n = street ? d->nstreets : d->ntowns;
	if (k < n)
		return yl_arena_printf(a, "%s%s", list[k], suffix);
	return combo_name(d, a, k * 7 + (street ? 3 : 0), suffix);
}

struct planner {
	struct yl_synth_region *r;
	const struct yl_synth_data *d;
	struct yl_arena *a;
	struct yl_rng rng;
	int maxunits, maxvillages, maxteams, maxorgs, maxpracs;
};

static int add_org(struct planner *p, int type, int part_of, int unit, const char *division,
                   const char *name)
{
	struct yl_synth_org *o = &p->r->orgs[p->r->norgs];
	o->type = type;
	o->part_of = part_of;
	o->unit = unit;
	snprintf(o->division, sizeof o->division, "%s", division);
	o->name = name;
	return p->r->norgs++;
}

static int add_prac(struct planner *p, int role, int org, int cap, int specialty)
{
	struct yl_synth_prac *x = &p->r->pracs[p->r->npracs];
	x->role = role;
	x->org = org;
	x->cap = cap;
	x->specialty = specialty;
	return p->r->npracs++;
}

static void plan_villages(struct planner *p, struct yl_synth_unit *u, int32_t *sizes, double *w)
{
	const struct yl_synth_data *d = p->d;
	int lo = u->street ? d->urban_lo : d->rural_lo, hi = u->street ? d->urban_hi : d->rural_hi;
	int mean = (lo + hi) / 2;
	int nv = (int)((u->count + mean / 2) / mean);
	int maxv = u->street ? 199 : 200;
	nv = nv < 1 ? 1 : nv > maxv ? maxv : nv;
	if (nv > u->count)
		nv = u->count > 0 ? u->count : 1;
	for (int k = 0; k < nv; k++)
		w[k] = yl_rng_range(&p->rng, lo, hi);
	split(u->count, nv, w, sizes);
	int start = (int)yl_rng_below(&p->rng, (uint32_t)(d->nvfirst * d->nvsecond));
	u->fv = p->r->nvillages;
	u->nv = nv;
	int32_t first = u->first;
	for (int k = 0; k < nv; k++) {
		struct yl_synth_village *v = &p->r->villages[p->r->nvillages++];
		snprintf(v->code, sizeof v->code, "%.9s%03u", u->code,
		         (unsigned)(u->street ? 1 + k : 200 + k) % 1000u);
		v->name = combo_name(d, p->a, (start + k * 7) % (d->nvfirst * d->nvsecond),
		                     u->street ? "社区" : "村");
		v->first = first;
		v->count = sizes[k];
		v->unit = (int)(u - p->r->units);
		first += sizes[k];
	}
}

/* villages to teams by the midpoint of each village's range; empty teams dropped */
static void plan_teams(struct planner *p, struct yl_synth_unit *u)
{
	const struct yl_synth_data *d = p->d;
	int nt = (int)((u->count + d->catchment / 2) / d->catchment);
	nt = nt < 1 ? 1 : nt > u->nv ? u->nv : nt;
	u->ft = p->r->nteams;
	int last = -1;
	for (int k = 0; k < u->nv; k++) {
		struct yl_synth_village *v = &p->r->villages[u->fv + k];
		int64_t mid = (int64_t)(v->first - u->first) + v->count / 2;
		int t = u->count ? (int)(mid * nt / u->count) : 0;
		if (t != last) {
			struct yl_synth_team *tm = &p->r->teams[p->r->nteams++];
			memset(tm, 0, sizeof *tm);
			tm->unit = (int)(u - p->r->units);
			tm->fv = u->fv + k;
			tm->first = v->first;
			tm->org = u->org;
			tm->cap = d->team_capacity;
			tm->serial = p->r->nteams - u->ft;
			last = t;
		}
		struct yl_synth_team *tm = &p->r->teams[p->r->nteams - 1];
		tm->nv++;
		tm->count += v->count;
		v->team = p->r->nteams - 1;
	}
	u->nt = p->r->nteams - u->ft;
}

static void plan_staff(struct planner *p, struct yl_synth_unit *u)
{
	const struct yl_synth_data *d = p->d;
	for (int t = u->ft; t < u->ft + u->nt; t++) {
		struct yl_synth_team *tm = &p->r->teams[t];
		tm->ndoctors = yl_rng_chance(&p->rng, d->second_doctor_share) ? 2 : 1;
		for (int k = 0; k < tm->ndoctors; k++) {
			int cap = tm->ndoctors == 2 ? d->doctor_capacity_shared : 0;
			tm->doctor[k] = add_prac(p, YL_ROLE_FAMILY_DOCTOR, u->org, cap, -1);
			tm->doctor_cap[k] = cap ? cap : d->doctor_capacity;
		}
		tm->nurse = add_prac(p, YL_ROLE_NURSE, u->org, 0, -1);
	}
	int per = d->public_health_per_teams > 0 ? d->public_health_per_teams : 1;
	int nph = (u->nt + per - 1) / per, first_ph = p->r->npracs;
	for (int k = 0; k < nph; k++)
		add_prac(p, YL_ROLE_PUBLIC_HEALTH, u->org, 0, -1);
	for (int t = 0; t < u->nt; t++)
		p->r->teams[u->ft + t].public_health = first_ph + t / per;
	for (int k = 0; k < d->centre_nurses; k++)
		add_prac(p, YL_ROLE_NURSE, u->org, 0, -1);
	add_prac(p, YL_ROLE_PHARMACIST, u->org, 0, -1);
	for (int k = 0; k < u->nv; k++) {
		struct yl_synth_village *v = &p->r->villages[u->fv + k];
		v->staff =
		    add_prac(p, u->street ? YL_ROLE_NURSE : YL_ROLE_VILLAGE_DOCTOR, v->org, 0, -1);
	}
}

static enum yl_code alloc_plan(struct planner *p, int64_t n, struct yl_err *err)
{
	const struct yl_synth_data *d = p->d;
	struct yl_synth_region *r = p->r;
	int minv = d->urban_lo < d->rural_lo ? d->urban_lo : d->rural_lo;
	p->maxvillages = (int)(n / (minv / 2 > 0 ? minv / 2 : 1)) + 2 * p->maxunits + 2;
	p->maxteams = p->maxvillages;
	int pharmacies = (int)((double)n * d->pharmacies_per_10k / 10000.0 + 0.5);
	r->residents = n;
	r->units = yl_arena_calloc(p->a, (size_t)p->maxunits, sizeof *r->units);
	r->villages = yl_arena_calloc(p->a, (size_t)p->maxvillages, sizeof *r->villages);
	r->teams = yl_arena_calloc(p->a, (size_t)p->maxteams, sizeof *r->teams);
	p->maxorgs = 3 + p->maxunits + p->maxvillages + pharmacies + 1;
	r->orgs = yl_arena_calloc(p->a, (size_t)p->maxorgs, sizeof *r->orgs);
	int specialists = (int)((double)n * d->specialists_per_10k / 10000.0 + 0.5);
	if (specialists < d->min_specialists)
		specialists = d->min_specialists;
	p->maxpracs = specialists + 2 + p->maxteams * 4 + p->maxunits * (d->centre_nurses + 2) +
	              p->maxvillages + pharmacies + 1;
	r->pracs = yl_arena_calloc(p->a, (size_t)p->maxpracs, sizeof *r->pracs);
	if (!r->units || !r->villages || !r->teams || !r->orgs || !r->pracs)
		return yl_err_add(err, p->a, YL_NOMEM, NULL, "out of memory planning the region");
	return YL_OK;
}

enum yl_code yl_synth_region_plan(struct yl_synth_region *r, const struct yl_synth_data *d,
                                  int64_t n, uint64_t seed, struct yl_arena *a, struct yl_err *err)
{
	memset(r, 0, sizeof *r);
	if (n < 1 || n > YL_SYNTH_MAX_RESIDENTS)
		return yl_err_add(err, a, YL_USAGE, NULL, "residents must be 1 to %d",
		                  YL_SYNTH_MAX_RESIDENTS);
	struct planner p = {.r = r, .d = d, .a = a};
	yl_rng_seed(&p.rng, seed, YL_RNG_REGION, 0);
	int nunits = (int)((n + d->residents_per_unit / 2) / d->residents_per_unit);
	int64_t need = (n + 79999) / 80000; /* a health-record serial has 5 digits */
	nunits = nunits < d->min_units ? d->min_units : nunits;
	nunits = nunits < need ? (int)need : nunits;
	nunits = nunits > n ? (int)n : nunits;
	p.maxunits = nunits;
	if (alloc_plan(&p, n, err) != YL_OK)
		return err->code;
	double *w = yl_arena_calloc(a, (size_t)(nunits > 200 ? nunits : 200), sizeof(double));
	int32_t *sizes = yl_arena_calloc(a, (size_t)(nunits > 200 ? nunits : 200), sizeof(int32_t));
	if (!w || !sizes)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory planning the region");
	r->authority = add_org(&p, YL_ORG_AUTHORITY, -1, -1, d->county_code, d->authority_name);
	r->hospital = add_org(&p, YL_ORG_HOSPITAL, -1, -1, d->county_code, d->hospital_name);
	r->tertiary = add_org(&p, YL_ORG_TERTIARY, -1, -1, d->tertiary_code, d->tertiary_name);
	int specialists = (int)((double)n * d->specialists_per_10k / 10000.0 + 0.5);
	specialists = specialists < d->min_specialists ? d->min_specialists : specialists;
	for (int k = 0; k < specialists; k++)
		add_prac(&p, YL_ROLE_SPECIALIST, r->hospital, 0, k % d->nspecialties);
	add_prac(&p, YL_ROLE_PHARMACIST, r->hospital, 0, -1);
	add_prac(&p, YL_ROLE_PHARMACIST, r->hospital, 0, -1);
	for (int u = 0; u < nunits; u++)
		w[u] = 1.0 + d->unit_spread * (2.0 * yl_rng_unit(&p.rng) - 1.0);
	split(n, nunits, w, sizes);
	int nstreet = 0, ntown = 0;
	int32_t first = 0;
	for (int u = 0; u < nunits; u++) {
		struct yl_synth_unit *un = &r->units[r->nunits++];
		un->street = u % d->street_every == 0;
		/* township digits: 001-099 street, 100-199 town (镇), then 200-399 (乡) */
		int code = un->street ? 1 + nstreet : ntown < 100 ? 100 + ntown : 100 + ntown + 100;
		if (code > 399 || (un->street && code > 99))
			return yl_err_add(err, a, YL_USAGE, NULL,
			                  "too many units for the division codes");
		snprintf(un->code, sizeof un->code, "%.6s%03u", d->county_code,
		         (unsigned)code % 1000u);
		un->name = unit_name(d, a, un->street, un->street ? nstreet : ntown, code);
		un->street ? nstreet++ : ntown++;
		un->first = first;
		un->count = sizes[u];
		first += sizes[u];
		char div12[13];
		snprintf(div12, sizeof div12, "%.9s000", un->code);
		un->org = add_org(&p, un->street ? YL_ORG_CHSC : YL_ORG_THC, r->hospital, u, div12,
		                  yl_arena_printf(a, "%s%s", un->name,
		                                  un->street ? "社区卫生服务中心" : "卫生院"));
		int32_t *vs = yl_arena_calloc(a, 201, sizeof(int32_t));
		double *vw = yl_arena_calloc(a, 201, sizeof(double));
		if (!un->name || !vs || !vw)
			return yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory planning the region");
		plan_villages(&p, un, vs, vw);
		for (int k = 0; k < un->nv; k++) {
			struct yl_synth_village *v = &r->villages[un->fv + k];
			v->org = add_org(&p, un->street ? YL_ORG_STATION : YL_ORG_CLINIC, un->org,
			                 u, v->code,
			                 yl_arena_printf(a, "%s%s", v->name,
			                                 un->street ? "卫生服务站" : "卫生室"));
		}
		plan_teams(&p, un);
		plan_staff(&p, un);
	}
	int pharmacies = (int)((double)n * d->pharmacies_per_10k / 10000.0 + 0.5);
	pharmacies = pharmacies < 1 ? 1 : pharmacies;
	for (int k = 0; k < pharmacies && r->norgs < p.maxorgs; k++) {
		const struct yl_synth_unit *un = &r->units[k % r->nunits];
		char div12[13];
		snprintf(div12, sizeof div12, "%.9s000", un->code);
		const char *nm =
		    yl_arena_printf(a, "%s%s大药房%s店", d->county_name,
		                    d->pharmacy_names[k % d->npharmacy_names], un->name);
		int org = add_org(&p, YL_ORG_PHARMACY, -1, k % r->nunits, div12, nm);
		add_prac(&p, YL_ROLE_PHARMACIST, org, 0, -1);
	}
	return YL_OK;
}

int yl_synth_team_of(const struct yl_synth_region *r, int64_t i)
{
	int lo = 0, hi = r->nteams - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (r->teams[mid].first <= i)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* ---- writing ---------------------------------------------------------------------------- */

static const struct {
	const char *code, *display, *level, *level_display;
} org_types[] = {
    [YL_ORG_AUTHORITY] = {"health-authority", "卫生健康行政部门", "ungraded", "未定级"},
    [YL_ORG_HOSPITAL] = {"county-hospital", "县级医院", "secondary", "二级"},
    [YL_ORG_TERTIARY] = {"city-tertiary-hospital", "市级三级医院", "tertiary", "三级"},
    [YL_ORG_CHSC] = {"community-health-service-centre", "社区卫生服务中心", "primary", "一级"},
    [YL_ORG_THC] = {"township-health-centre", "乡镇卫生院", "primary", "一级"},
    [YL_ORG_STATION] = {"community-health-station", "社区卫生服务站", "ungraded", "未定级"},
    [YL_ORG_CLINIC] = {"village-clinic", "村卫生室", "ungraded", "未定级"},
    [YL_ORG_PHARMACY] = {"pharmacy", "药店", "ungraded", "未定级"},
};

static const struct {
	const char *code, *display;
} roles[] = {
    [YL_ROLE_FAMILY_DOCTOR] = {"family-doctor", "家庭医生"},
    [YL_ROLE_VILLAGE_DOCTOR] = {"village-doctor", "乡村医生"},
    [YL_ROLE_NURSE] = {"nurse", "护士"},
    [YL_ROLE_PUBLIC_HEALTH] = {"public-health-doctor", "公卫医生"},
    [YL_ROLE_SPECIALIST] = {"specialist", "专科医生"},
    [YL_ROLE_PHARMACIST] = {"pharmacist", "药师"},
};

static void division_ext(struct yl_sbuf *b, const char *code)
{
	YL_SB_LIT(b, "\"extension\":[{\"url\":\"" YL_SD "division-code\",\"valueCode\":");
	yl_sbuf_str(b, code);
	YL_SB_LIT(b, "}]");
}

static void write_org(const struct yl_synth_region *r, const struct yl_synth_data *d, int i,
                      struct yl_synth_out *o)
{
	const struct yl_synth_org *g = &r->orgs[i];
	struct yl_sbuf *b = &o->b[YL_SYNTH_ORGANIZATION];
	YL_SB_LIT(b, "{\"resourceType\":\"Organization\",\"id\":\"");
	yl_sbuf_id(b, "org-", (uint64_t)i + 1, 5);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"identifier\":[{\"system\":\"" YL_SID
	             "institution\",\"value\":\"");
	yl_sbuf_adds(b, d->county_code);
	yl_sbuf_zpad(b, (uint64_t)i + 1, 5);
	YL_SB_LIT(b, "\"}],\"active\":true,\"type\":[{\"coding\":[{\"system\":\"" YL_CS
	             "institution-type\",\"code\":\"");
	yl_sbuf_adds(b, org_types[g->type].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, org_types[g->type].display);
	YL_SB_LIT(b, "\"}]},{\"coding\":[{\"system\":\"" YL_CS "institution-level\",\"code\":\"");
	yl_sbuf_adds(b, org_types[g->type].level);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, org_types[g->type].level_display);
	YL_SB_LIT(b, "\"}]}],\"name\":");
	yl_sbuf_str(b, g->name);
	YL_SB_LIT(b, ",\"address\":[{");
	division_ext(b, g->division);
	YL_SB_LIT(b, ",\"text\":");
	const char *where = g->unit >= 0 ? r->units[g->unit].name : "";
	const char *city = g->type == YL_ORG_TERTIARY ? "" : d->county_name;
	char *text = NULL;
	char buf[256];
	snprintf(buf, sizeof buf, "%s%s%s%s", d->province, d->city, city, where);
	text = buf;
	yl_sbuf_str(b, text);
	YL_SB_LIT(b, ",\"city\":");
	yl_sbuf_str(b, d->city);
	if (*city) {
		YL_SB_LIT(b, ",\"district\":");
		yl_sbuf_str(b, city);
	}
	YL_SB_LIT(b, ",\"state\":");
	yl_sbuf_str(b, d->province);
	YL_SB_LIT(b, ",\"country\":\"CN\"}]");
	if (g->part_of >= 0) {
		YL_SB_LIT(b, ",\"partOf\":");
		yl_sbuf_ref(b, "Organization/org-", (uint64_t)g->part_of + 1, 5);
	}
	YL_SB_LIT(b, "}\n");
	o->count[YL_SYNTH_ORGANIZATION]++;
}

static void write_prac(const struct yl_synth_region *r, const struct yl_synth_data *d,
                       uint64_t seed, int i, struct yl_synth_out *o)
{
	const struct yl_synth_prac *x = &r->pracs[i];
	struct yl_rng rng;
	yl_rng_seed(&rng, seed, YL_RNG_PRACTITIONER, (uint64_t)i);
	bool male = yl_rng_chance(&rng, x->role == YL_ROLE_NURSE ? 0.05 : 0.5);
	int year = yl_rng_range(&rng, 1965, 1998);
	char given[YL_SYNTH_NAME_MAX];
	const char *family = d->surnames[yl_synth_surname(d, &rng)];
	yl_synth_given(d, &rng, male, year, given);
	struct yl_sbuf *b = &o->b[YL_SYNTH_PRACTITIONER];
	YL_SB_LIT(b, "{\"resourceType\":\"Practitioner\",\"id\":\"");
	yl_sbuf_id(b, "prac-", (uint64_t)i + 1, 6);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"identifier\":[{\"system\":\"" YL_SID
	             "practitioner-licence\",\"value\":\"1");
	yl_sbuf_adds(b, d->county_code);
	yl_sbuf_zpad(b, (uint64_t)(year + 25 < 2020 ? year + 25 : 2020), 4);
	yl_sbuf_zpad(b, (uint64_t)i + 1, 6);
	YL_SB_LIT(b, "\"}],\"active\":true,\"name\":[{\"text\":\"");
	yl_sbuf_adds(b, family);
	yl_sbuf_adds(b, given);
	YL_SB_LIT(b, "\",\"family\":");
	yl_sbuf_str(b, family);
	YL_SB_LIT(b, ",\"given\":[");
	yl_sbuf_str(b, given);
	YL_SB_LIT(b, "]}],\"gender\":");
	yl_sbuf_adds(b, male ? "\"male\"" : "\"female\"");
	YL_SB_LIT(b, "}\n");
	o->count[YL_SYNTH_PRACTITIONER]++;

	b = &o->b[YL_SYNTH_PRACTITIONER_ROLE];
	YL_SB_LIT(b, "{\"resourceType\":\"PractitionerRole\",\"id\":\"");
	yl_sbuf_id(b, "role-", (uint64_t)i + 1, 6);
	YL_SB_LIT(b, "\"," YL_SYNTH_META);
	if (x->cap > 0) {
		YL_SB_LIT(b,
		          ",\"extension\":[{\"url\":\"" YL_SD "panel-capacity\",\"valueInteger\":");
		yl_sbuf_int(b, x->cap);
		YL_SB_LIT(b, "}]");
	}
	YL_SB_LIT(b, ",\"active\":true,\"practitioner\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)i + 1, 6);
	YL_SB_LIT(b, ",\"organization\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)x->org + 1, 5);
	YL_SB_LIT(b,
	          ",\"code\":[{\"coding\":[{\"system\":\"" YL_CS "practitioner-role\",\"code\":\"");
	yl_sbuf_adds(b, roles[x->role].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, roles[x->role].display);
	YL_SB_LIT(b, "\"}]}]");
	if (x->specialty >= 0) {
		YL_SB_LIT(b, ",\"specialty\":[{\"text\":");
		yl_sbuf_str(b, d->specialties[x->specialty]);
		YL_SB_LIT(b, "}]");
	}
	YL_SB_LIT(b, "}\n");
	o->count[YL_SYNTH_PRACTITIONER_ROLE]++;
}

static void participant(struct yl_sbuf *b, int prac, int role, bool lead, bool first)
{
	if (!first)
		YL_SB_LIT(b, ",");
	YL_SB_LIT(b,
	          "{\"role\":[{\"coding\":[{\"system\":\"" YL_CS "practitioner-role\",\"code\":\"");
	yl_sbuf_adds(b, roles[role].code);
	YL_SB_LIT(b, "\",\"display\":\"");
	yl_sbuf_adds(b, roles[role].display);
	YL_SB_LIT(b, "\"}]}");
	if (lead)
		YL_SB_LIT(b, ",{\"coding\":[{\"system\":\"" YL_CS
		             "care-team-role\",\"code\":\"lead\",\"display\":\"团队长\"}]}");
	YL_SB_LIT(b, "],\"member\":");
	yl_sbuf_ref(b, "Practitioner/prac-", (uint64_t)prac + 1, 6);
	YL_SB_LIT(b, "}");
}

static void write_team(const struct yl_synth_region *r, int i, struct yl_synth_out *o)
{
	const struct yl_synth_team *t = &r->teams[i];
	struct yl_sbuf *b = &o->b[YL_SYNTH_CARE_TEAM];
	YL_SB_LIT(b, "{\"resourceType\":\"CareTeam\",\"id\":\"");
	yl_sbuf_id(b, "team-", (uint64_t)i + 1, 5);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"extension\":[{\"url\":\"" YL_SD
	             "panel-capacity\",\"valueInteger\":");
	yl_sbuf_int(b, t->cap);
	YL_SB_LIT(b, "}],\"status\":\"active\",\"category\":[{\"coding\":[{\"system\":\"" YL_CS
	             "care-team-category\",\"code\":\"family-doctor-team\",\"display\":"
	             "\"家庭医生团队\"}]}],\"name\":\"");
	yl_sbuf_adds(b, r->orgs[t->org].name);
	YL_SB_LIT(b, " ");
	yl_sbuf_int(b, t->serial);
	YL_SB_LIT(b, " 组\",\"participant\":[");
	for (int k = 0; k < t->ndoctors; k++)
		participant(b, t->doctor[k], YL_ROLE_FAMILY_DOCTOR, k == 0, k == 0);
	participant(b, t->nurse, YL_ROLE_NURSE, false, false);
	participant(b, t->public_health, YL_ROLE_PUBLIC_HEALTH, false, false);
	for (int v = t->fv; v < t->fv + t->nv; v++) {
		int s = r->villages[v].staff;
		participant(b, s, r->pracs[s].role, false, false);
	}
	YL_SB_LIT(b, "],\"managingOrganization\":[");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)t->org + 1, 5);
	YL_SB_LIT(b, "]}\n");
	o->count[YL_SYNTH_CARE_TEAM]++;
}

void yl_synth_region_write(const struct yl_synth_region *r, const struct yl_synth_data *d,
                           uint64_t seed, struct yl_synth_out *o)
{
	for (int i = 0; i < r->norgs; i++)
		write_org(r, d, i, o);
	for (int i = 0; i < r->npracs; i++)
		write_prac(r, d, seed, i, o);
	for (int i = 0; i < r->nteams; i++)
		write_team(r, i, o);
	for (int i = 0; i < d->npackages; i++) {
		yl_sbuf_adds(&o->b[YL_SYNTH_PLAN_DEFINITION], d->packages[i].json);
		YL_SB_LIT(&o->b[YL_SYNTH_PLAN_DEFINITION], "\n");
		o->count[YL_SYNTH_PLAN_DEFINITION]++;
	}
}
