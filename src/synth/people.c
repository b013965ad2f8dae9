/* people.c -- residents and households (see people.h). */
#define _GNU_SOURCE /* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care/resident-id.h"
#include "synth/names.h"
#include "synth/people.h"

#define MAX_KIDS 8

struct person {
	int32_t birth;
	int age;
	bool male;
	uint8_t surname, div;
};

struct household {
	int head, spouse, parents[2], kids[MAX_KIDS];
	int nparents, nkids, mean_age;
	bool gone;
};

struct village_work {
	struct person *ps;
	struct household *hh;
	int *men, *women, *kids, *couples, *singles, *order;
	int nhh, ncouples, nsingles;
	const struct yl_synth_data *d;
	struct yl_rng rng;
};

int yl_synth_age(int32_t birth, int32_t on)
{
	int y1, m1, d1, y2, m2, d2;
	yl_synth_civil(birth, &y1, &m1, &d1);
	yl_synth_civil(on, &y2, &m2, &d2);
	return y2 - y1 - (m2 < m1 || (m2 == m1 && d2 < d1));
}

/* oldest first (earliest birth), then by index */
static int by_age_desc(const void *x, const void *y, void *ctx)
{
	const struct village_work *w = ctx;
	const struct person *a = &w->ps[*(const int *)x], *b = &w->ps[*(const int *)y];
	if (a->birth != b->birth)
		return a->birth < b->birth ? -1 : 1;
	return *(const int *)x - *(const int *)y;
}

static int by_mean_age(const void *x, const void *y, void *ctx)
{
	const struct village_work *w = ctx;
	const struct household *a = &w->hh[*(const int *)x], *b = &w->hh[*(const int *)y];
	if (a->mean_age != b->mean_age)
		return a->mean_age - b->mean_age;
	return *(const int *)x - *(const int *)y;
}

static void draw_person(struct village_work *w, int32_t as_of, struct person *p)
{
	const struct yl_synth_data *d = w->d;
	const struct yl_synth_agegroup *g = &d->groups[yl_rng_pick(&w->rng, &d->group_pick)];
	p->age = yl_rng_range(&w->rng, g->lo, g->hi);
	p->male = yl_rng_chance(&w->rng, g->male_share);
	p->birth = yl_synth_add_years(as_of, -p->age) - (int32_t)yl_rng_below(&w->rng, 365);
	p->div = (uint8_t)yl_rng_pick(&w->rng, &d->id_division_pick);
	p->surname = 0;
}

static int new_household(struct village_work *w, int head, int spouse)
{
	struct household *h = &w->hh[w->nhh];
	memset(h, 0, sizeof *h);
	h->head = head;
	h->spouse = spouse;
	h->mean_age = spouse >= 0 ? (w->ps[head].age + w->ps[spouse].age) / 2 : w->ps[head].age;
	return w->nhh++;
}

/* a household in list[0..n) (sorted by mean age) whose mean age is within lo..hi and which
 * accepts one more (kids or parents below max); -1 if none */
static int find_in(struct village_work *w, const int *list, int n, int lo, int hi, bool parent,
                   int max)
{
	int a = 0, b = n;
	while (a < b) { /* first with mean_age >= lo */
		int m = (a + b) / 2;
		if (w->hh[list[m]].mean_age < lo)
			a = m + 1;
		else
			b = m;
	}
	int end = a;
	while (end < n && w->hh[list[end]].mean_age <= hi)
		end++;
	if (end == a)
		return -1;
	int span = end - a, start = (int)yl_rng_below(&w->rng, (uint32_t)span);
	for (int k = 0; k < span; k++) {
		struct household *h = &w->hh[list[a + (start + k) % span]];
		if (!h->gone && (parent ? h->nparents < 2 : h->nkids < max))
			return list[a + (start + k) % span];
	}
	return -1;
}

static void place_kid(struct village_work *w, int kid)
{
	const struct yl_synth_data *d = w->d;
	int target = w->ps[kid].age + d->parent_gap, s = d->parent_gap_spread;
	int h = find_in(w, w->couples, w->ncouples, target - s, target + s, false, d->max_children);
	if (h < 0)
		h = find_in(w, w->singles, w->nsingles, target - s, target + s, false,
		            d->max_children);
	if (h < 0 && w->ncouples > 0) /* anyone a generation older will do */
		h = find_in(w, w->couples, w->ncouples, w->ps[kid].age + 16, 200, false, MAX_KIDS);
	if (h < 0 && w->nsingles > 0)
		h = find_in(w, w->singles, w->nsingles, w->ps[kid].age + 16, 200, false, MAX_KIDS);
	if (h < 0) { /* nobody: a household of its own */
		new_household(w, kid, -1);
		return;
	}
	struct household *hh = &w->hh[h];
	hh->kids[hh->nkids++] = kid;
}

static void surnames(struct village_work *w)
{
	const struct yl_synth_data *d = w->d;
	for (int i = 0; i < w->nhh; i++) {
		struct household *h = &w->hh[i];
		if (h->gone)
			continue;
		int father = h->head, mother = h->spouse;
		w->ps[father].surname = (uint8_t)yl_synth_surname(d, &w->rng);
		if (mother >= 0)
			w->ps[mother].surname = (uint8_t)yl_synth_surname(d, &w->rng);
		for (int k = 0; k < h->nparents; k++) {
			struct person *p = &w->ps[h->parents[k]];
			p->surname =
			    p->male ? w->ps[father].surname : (uint8_t)yl_synth_surname(d, &w->rng);
		}
		for (int k = 0; k < h->nkids; k++) {
			bool mothers =
			    mother >= 0 && yl_rng_chance(&w->rng, d->mother_surname_share);
			w->ps[h->kids[k]].surname = w->ps[mothers ? mother : father].surname;
		}
	}
}

/* the households of one village, in a random order, written into out[] */
static void form_households(struct village_work *w, int n, int32_t as_of,
                            struct yl_synth_person *out)
{
	const struct yl_synth_data *d = w->d;
	int nm = 0, nw = 0, nk = 0;
	for (int i = 0; i < n; i++) {
		draw_person(w, as_of, &w->ps[i]);
		if (w->ps[i].age < d->adult_age)
			w->kids[nk++] = i;
		else if (w->ps[i].male)
			w->men[nm++] = i;
		else
			w->women[nw++] = i;
	}
	qsort_r(w->men, (size_t)nm, sizeof(int), by_age_desc, w);
	qsort_r(w->women, (size_t)nw, sizeof(int), by_age_desc, w);
	w->nhh = 0;
	for (int k = 0; k < nm || k < nw; k++) {
		if (k < nm && k < nw && yl_rng_chance(&w->rng, d->couple_share)) {
			new_household(w, w->men[k], w->women[k]);
			continue;
		}
		if (k < nm)
			new_household(w, w->men[k], -1);
		if (k < nw)
			new_household(w, w->women[k], -1);
	}
	w->ncouples = w->nsingles = 0;
	for (int i = 0; i < w->nhh; i++) {
		if (w->hh[i].spouse >= 0)
			w->couples[w->ncouples++] = i;
		else
			w->singles[w->nsingles++] = i;
	}
	qsort_r(w->couples, (size_t)w->ncouples, sizeof(int), by_mean_age, w);
	qsort_r(w->singles, (size_t)w->nsingles, sizeof(int), by_mean_age, w);
	/* elders moving in with a couple a generation younger */
	for (int k = 0; k < w->nsingles; k++) {
		struct household *s = &w->hh[w->singles[k]];
		int age = w->ps[s->head].age;
		if (age < d->elder_age || !yl_rng_chance(&w->rng, d->elder_join_share))
			continue;
		int target = age - d->parent_gap, sp = d->parent_gap_spread;
		int h = find_in(w, w->couples, w->ncouples, target - sp, target + sp, true, 0);
		if (h < 0)
			continue;
		w->hh[h].parents[w->hh[h].nparents++] = s->head;
		s->gone = true;
	}
	for (int k = 0; k < nk; k++)
		place_kid(w, w->kids[k]);
	/* young single adults living with their parents */
	for (int k = 0; k < w->nsingles; k++) {
		struct household *s = &w->hh[w->singles[k]];
		int age = w->ps[s->head].age, sp = d->parent_gap_spread;
		if (s->gone || s->nkids > 0 || age >= d->young_age ||
		    !yl_rng_chance(&w->rng, d->young_join_share))
			continue;
		int target = age + d->parent_gap;
		int h =
		    find_in(w, w->couples, w->ncouples, target - sp, target + sp, false, MAX_KIDS);
		if (h < 0)
			continue;
		w->hh[h].kids[w->hh[h].nkids++] = s->head;
		s->gone = true;
	}
	surnames(w);
	/* a random order of the households left */
	int nh = 0;
	for (int i = 0; i < w->nhh; i++)
		if (!w->hh[i].gone)
			w->order[nh++] = i;
	for (int i = nh - 1; i > 0; i--) {
		int j = (int)yl_rng_below(&w->rng, (uint32_t)i + 1), t = w->order[i];
		w->order[i] = w->order[j];
		w->order[j] = t;
	}
	int pos = 0;
	for (int i = 0; i < nh; i++) {
		struct household *h = &w->hh[w->order[i]];
		int members[4 + MAX_KIDS], m = 0;
		members[m++] = h->head;
		if (h->spouse >= 0)
			members[m++] = h->spouse;
		for (int k = 0; k < h->nparents; k++)
			members[m++] = h->parents[k];
		qsort_r(h->kids, (size_t)h->nkids, sizeof(int), by_age_desc, w);
		for (int k = 0; k < h->nkids; k++)
			members[m++] = h->kids[k];
		for (int k = 0; k < m; k++) {
			const struct person *p = &w->ps[members[k]];
			struct yl_synth_person *o = &out[pos++];
			memset(o, 0, sizeof *o);
			o->birth = p->birth;
			o->flags = (uint8_t)((p->male ? YL_PERSON_MALE : 0) |
			                     (k == 0 ? YL_PERSON_HH_START : 0));
			o->div = p->div;
			o->surname = p->surname;
		}
	}
}

/* sequence numbers: per (issuing code, birth date, sex) a counter, offset by a hash so that
 * the numbers do not all start at 001 */
static enum yl_code sequences(const struct yl_synth_data *d, int32_t as_of,
                              struct yl_synth_person *p, int64_t n, struct yl_arena *a,
                              struct yl_err *err)
{
	int32_t lo = yl_synth_add_years(as_of, -(YL_SYNTH_MAX_AGE + 1)) - 366;
	size_t ndays = (size_t)(as_of - lo + 1), ndiv = (size_t)d->id_division_pick.n;
	uint16_t *count = calloc(ndays * ndiv * 2, sizeof(uint16_t));
	if (!count)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory numbering the residents");
	enum yl_code rc = YL_OK;
	for (int64_t i = 0; i < n; i++) {
		bool male = p[i].flags & YL_PERSON_MALE;
		size_t day = (size_t)(p[i].birth - lo);
		uint16_t *c = &count[(p[i].div * ndays + day) * 2 + male];
		if (*c >= 500) {
			rc = yl_err_add(err, a, YL_USAGE, NULL,
			                "more than 500 residents of one sex born on one day: "
			                "fewer residents, please");
			break;
		}
		uint32_t h = (uint32_t)(((uint64_t)day * 2654435761u + p[i].div * 40503u) % 500u);
		p[i].seq = (uint16_t)(2 * ((h + *c) % 500) + (male ? 1 : 0));
		(*c)++;
	}
	free(count);
	return rc;
}

enum yl_code yl_synth_people_plan(const struct yl_synth_region *r, const struct yl_synth_data *d,
                                  uint64_t seed, int32_t as_of, struct yl_synth_person *p,
                                  struct yl_arena *a, struct yl_err *err)
{
	int32_t maxv = 1;
	for (int v = 0; v < r->nvillages; v++)
		if (r->villages[v].count > maxv)
			maxv = r->villages[v].count;
	struct village_work w = {.d = d};
	size_t n = (size_t)maxv;
	w.ps = malloc(n * sizeof *w.ps);
	w.hh = malloc(n * sizeof *w.hh);
	int *ints = malloc(7 * n * sizeof(int));
	if (!w.ps || !w.hh || !ints) {
		free(w.ps);
		free(w.hh);
		free(ints);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory forming households");
	}
	w.men = ints;
	w.women = ints + n;
	w.kids = ints + 2 * n;
	w.couples = ints + 3 * n;
	w.singles = ints + 4 * n;
	w.order = ints + 5 * n;
	for (int v = 0; v < r->nvillages; v++) {
		yl_rng_seed(&w.rng, seed, YL_RNG_VILLAGE, (uint64_t)v);
		form_households(&w, r->villages[v].count, as_of, p + r->villages[v].first);
	}
	free(w.ps);
	free(w.hh);
	free(ints);
	return sequences(d, as_of, p, r->residents, a, err);
}

/* ---- writing ---------------------------------------------------------------------------- */

void yl_synth_resident_given(const struct yl_synth_data *d, uint64_t seed, int64_t index,
                             const struct yl_synth_person *p, char given[32])
{
	struct yl_rng rng;
	int y, m, dd;
	yl_rng_seed(&rng, seed, YL_RNG_RESIDENT, (uint64_t)index);
	yl_synth_civil(p->birth, &y, &m, &dd);
	yl_synth_given(d, &rng, p->flags & YL_PERSON_MALE, y, given);
}

static void put_digits(char *p, unsigned v, int width)
{
	for (int k = width - 1; k >= 0; k--, v /= 10)
		p[k] = (char)('0' + v % 10);
}

void yl_synth_resident_id(const struct yl_synth_data *d, const struct yl_synth_person *p,
                          char out[19])
{
	int y, m, dd;
	yl_synth_civil(p->birth, &y, &m, &dd);
	memcpy(out, d->id_divisions[p->div], 6);
	put_digits(out + 6, (unsigned)y, 4);
	put_digits(out + 10, (unsigned)m, 2);
	put_digits(out + 12, (unsigned)dd, 2);
	put_digits(out + 14, p->seq, 3);
	out[17] = yl_resident_id_check_char(out);
	out[18] = '\0';
}

static void address(const struct yl_synth_data *d, const struct yl_synth_region *r,
                    const struct yl_synth_village *v, int household_no, struct yl_sbuf *b)
{
	const struct yl_synth_unit *u = &r->units[v->unit];
	char line[160];
	if (u->street) {
		int road = (int)((v - r->villages) + household_no / 60) % d->nroads;
		snprintf(line, sizeof line, "%s%s%d号%d幢%d室", v->name, d->roads[road],
		         1 + (household_no / 60) % 300, 1 + (household_no / 12) % 5,
		         101 + (household_no % 6) + 100 * ((household_no / 6) % 2));
	} else {
		snprintf(line, sizeof line, "%s%d组%d号", v->name, 1 + household_no / 40,
		         1 + household_no % 40);
	}
	YL_SB_LIT(b, "\"address\":[{\"extension\":[{\"url\":\"" YL_SD
	             "division-code\",\"valueCode\":\"");
	yl_sbuf_adds(b, v->code);
	YL_SB_LIT(b, "\"}],\"use\":\"home\",\"text\":\"");
	yl_sbuf_adds(b, d->province);
	yl_sbuf_adds(b, d->city);
	yl_sbuf_adds(b, d->county_name);
	yl_sbuf_adds(b, u->name);
	yl_sbuf_adds(b, line);
	YL_SB_LIT(b, "\",\"line\":[\"");
	yl_sbuf_adds(b, line);
	YL_SB_LIT(b, "\"],\"city\":\"");
	yl_sbuf_adds(b, d->city);
	YL_SB_LIT(b, "\",\"district\":\"");
	yl_sbuf_adds(b, d->county_name);
	YL_SB_LIT(b, "\",\"state\":\"");
	yl_sbuf_adds(b, d->province);
	YL_SB_LIT(b, "\",\"country\":\"CN\"}]");
}

void yl_synth_write_patient(const struct yl_synth_data *d, const struct yl_synth_region *r,
                            uint64_t seed, const struct yl_synth_patient *pt, int32_t as_of,
                            struct yl_synth_out *o)
{
	const struct yl_synth_person *p = pt->p;
	struct yl_sbuf *b = &o->b[YL_SYNTH_PATIENT];
	struct yl_rng rng;
	char given[32], rid[19];
	yl_synth_resident_given(d, seed, pt->index, p, given);
	yl_rng_seed(&rng, seed, YL_RNG_PHONE, (uint64_t)pt->index);
	yl_synth_resident_id(d, p, rid);
	const char *family = d->surnames[p->surname];
	const struct yl_synth_unit *u = &r->units[pt->village->unit];
	YL_SB_LIT(b, "{\"resourceType\":\"Patient\",\"id\":\"");
	yl_sbuf_id(b, "pat-", (uint64_t)pt->index + 1, 7);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"identifier\":[{\"system\":\"" YL_SID
	             "cn-resident-id\",\"value\":\"");
	yl_sbuf_adds(b, rid);
	YL_SB_LIT(b, "\"},{\"system\":\"" YL_SID "health-record\",\"value\":\"");
	yl_sbuf_adds(b, u->code);
	YL_SB_LIT(b, "000");
	yl_sbuf_zpad(b, (uint64_t)(pt->index - u->first + 1), 5);
	YL_SB_LIT(b, "\"}],\"active\":true,\"name\":[{\"text\":\"");
	yl_sbuf_adds(b, family);
	yl_sbuf_adds(b, given);
	YL_SB_LIT(b, "\",\"family\":\"");
	yl_sbuf_adds(b, family);
	YL_SB_LIT(b, "\",\"given\":[\"");
	yl_sbuf_adds(b, given);
	YL_SB_LIT(b, "\"]}]");
	int32_t on = pt->deceased >= 0 ? pt->deceased : as_of;
	if (yl_synth_age(p->birth, on) >= d->phone_min_age) {
		YL_SB_LIT(b, ",\"telecom\":[{\"system\":\"phone\",\"value\":\"");
		yl_sbuf_adds(b,
		             d->phone_prefixes[yl_rng_below(&rng, (uint32_t)d->nphone_prefixes)]);
		/* a bijection of the resident number on 8 digits: no two residents share one */
		uint64_t tail = ((uint64_t)pt->index * 48271u + 13572468u) % 100000000u;
		yl_sbuf_zpad(b, tail, 8);
		YL_SB_LIT(b, "\",\"use\":\"mobile\"}]");
	}
	YL_SB_LIT(b, ",\"gender\":");
	yl_sbuf_adds(b, p->flags & YL_PERSON_MALE ? "\"male\"" : "\"female\"");
	YL_SB_LIT(b, ",\"birthDate\":");
	yl_sbuf_date(b, p->birth);
	if (pt->deceased >= 0) {
		YL_SB_LIT(b, ",\"deceasedDateTime\":");
		yl_sbuf_datetime(b, pt->deceased, 360 + (int)yl_rng_below(&rng, 900));
	}
	YL_SB_LIT(b, ",");
	address(d, r, pt->village, pt->household_no, b);
	YL_SB_LIT(b, ",\"managingOrganization\":");
	yl_sbuf_ref(b, "Organization/org-", (uint64_t)pt->org + 1, 5);
	YL_SB_LIT(b, "}\n");
	o->count[YL_SYNTH_PATIENT]++;
}

void yl_synth_write_household(const struct yl_synth_data *d, const struct yl_synth_village *v,
                              int64_t first, int n, int household_no, bool low_income,
                              const char *head_name, struct yl_synth_out *o)
{
	(void)d;
	struct yl_sbuf *b = &o->b[YL_SYNTH_GROUP];
	YL_SB_LIT(b, "{\"resourceType\":\"Group\",\"id\":\"");
	yl_sbuf_id(b, "hh-", (uint64_t)first + 1, 7);
	YL_SB_LIT(b, "\"," YL_SYNTH_META ",\"identifier\":[{\"system\":\"" YL_SID
	             "household\",\"value\":\"");
	yl_sbuf_adds(b, v->code);
	yl_sbuf_zpad(b, (uint64_t)household_no, 4);
	YL_SB_LIT(b,
	          "\"}],\"active\":true,\"type\":\"person\",\"actual\":true,\"code\":{\"coding\":"
	          "[{\"system\":\"" YL_CS "group-type\",\"code\":\"household\",\"display\":"
	          "\"家庭户\"}]},\"name\":\"");
	yl_sbuf_adds(b, head_name);
	YL_SB_LIT(b, "户\",\"quantity\":");
	yl_sbuf_int(b, n);
	if (low_income)
		YL_SB_LIT(b, ",\"characteristic\":[{\"code\":{\"coding\":[{\"system\":\"" YL_CS
		             "household-characteristic\",\"code\":\"low-income\",\"display\":"
		             "\"低保户\"}]},\"valueBoolean\":true,\"exclude\":false}]");
	YL_SB_LIT(b, ",\"member\":[");
	for (int k = 0; k < n; k++) {
		if (k)
			YL_SB_LIT(b, ",");
		YL_SB_LIT(b, "{\"entity\":");
		yl_sbuf_ref(b, "Patient/pat-", (uint64_t)(first + k) + 1, 7);
		YL_SB_LIT(b, "}");
	}
	YL_SB_LIT(b, "]}\n");
	o->count[YL_SYNTH_GROUP]++;
}
