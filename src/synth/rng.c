/* rng.c -- xoshiro256** seeded through splitmix64 (see rng.h). */
#include "synth/rng.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void yl_rng_seed(struct yl_rng *r, uint64_t seed, enum yl_rng_kind kind, uint64_t index)
{
	uint64_t x = seed ^ ((uint64_t)kind << 56) ^ (index * 0xd1342543de82ef95ULL);
	x = splitmix(&x) ^ index;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t yl_rng_next(struct yl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double yl_rng_unit(struct yl_rng *r)
{
	return (double)(yl_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t yl_rng_below(struct yl_rng *r, uint32_t n)
{
	/* multiply-shift: the bias is below 2^-32 for the small n used here */
	return (uint32_t)(((yl_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int yl_rng_range(struct yl_rng *r, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)yl_rng_below(r, (uint32_t)(hi - lo + 1));
}

bool yl_rng_chance(struct yl_rng *r, double p)
{
	return yl_rng_unit(r) < p;
}

double yl_rng_normal(struct yl_rng *r)
{
	double s = 0;
	for (int i = 0; i < 12; i++)
		s += yl_rng_unit(r);
	return s - 6.0;
}

int yl_rng_pick(struct yl_rng *r, const struct yl_pick *p)
{
	double u = yl_rng_unit(r);
	int lo = 0, hi = p->n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (p->cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
