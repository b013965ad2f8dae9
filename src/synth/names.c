/* names.c -- surnames and given names (see names.h). */
#include <string.h>

#include "synth/names.h"

int yl_synth_surname(const struct yl_synth_data *d, struct yl_rng *r)
{
	return yl_rng_pick(r, &d->surname_pick);
}

static void put(char *out, const char *a, const char *b)
{
	size_t na = strlen(a), nb = b ? strlen(b) : 0;
	if (na + nb >= YL_SYNTH_NAME_MAX)
		na = nb = 0;
	memcpy(out, a, na);
	if (nb)
		memcpy(out + na, b, nb);
	out[na + nb] = '\0';
}

void yl_synth_given(const struct yl_synth_data *d, struct yl_rng *r, bool male, int birth_year,
                    char given[YL_SYNTH_NAME_MAX])
{
	const struct yl_synth_cohort *c = yl_synth_cohort_of(d, birth_year);
	const char **chars = male ? c->male : c->female;
	const struct yl_pick *pk = male ? &c->male_pick : &c->female_pick;
	int nfull = male ? c->nmale_full : c->nfemale_full;
	if (nfull > 0 && yl_rng_chance(r, c->full_share)) {
		const char **full = male ? c->male_full : c->female_full;
		put(given, full[yl_rng_below(r, (uint32_t)nfull)], NULL);
		return;
	}
	int first = yl_rng_pick(r, pk);
	if (yl_rng_chance(r, c->single_share) || pk->n < 2) {
		put(given, chars[first], NULL);
		return;
	}
	int second = yl_rng_pick(r, pk);
	while (second == first)
		second = yl_rng_pick(r, pk);
	put(given, chars[first], chars[second]);
}
