/* rng.h -- the synthetic region's own pseudo-random numbers (xoshiro256**, seeded through
 * splitmix64) and the draws built on them: uniform, below n, chance, normal, weighted pick.
 *
 * Every stream is seeded from (seed, kind, index), so a resident, a village or a team draws
 * the same numbers whichever thread makes it and however the work is split. Normal draws sum
 * uniforms (no libm), so the output does not depend on the C library. Never time() or rand().
 * Memory: a pick table's array is the caller's (data.c keeps them in its arena).
 * Threads: a struct yl_rng belongs to one thread; the functions are reentrant. */
#ifndef YL_SYNTH_RNG_H
#define YL_SYNTH_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct yl_rng {
	uint64_t s[4];
};

/* what a stream is for: keeps the streams of one index apart */
enum yl_rng_kind {
	YL_RNG_REGION = 1,
	YL_RNG_VILLAGE,
	YL_RNG_RESIDENT,
	YL_RNG_HOUSEHOLD,
	YL_RNG_PRACTITIONER,
	YL_RNG_CARE,
	YL_RNG_CONTRACT,
	YL_RNG_PHONE,
	YL_RNG_FOLLOWUP,
};

/* a weighted choice: n cumulative weights, the last one 1 */
struct yl_pick {
	int n;
	double *cum;
};

void yl_rng_seed(struct yl_rng *r, uint64_t seed, enum yl_rng_kind kind, uint64_t index);
uint64_t yl_rng_next(struct yl_rng *r);
/* uniform in [0, 1) with 53 bits */
double yl_rng_unit(struct yl_rng *r);
/* uniform in [0, n); 0 when n is 0 */
uint32_t yl_rng_below(struct yl_rng *r, uint32_t n);
/* uniform in [lo, hi] */
int yl_rng_range(struct yl_rng *r, int lo, int hi);
bool yl_rng_chance(struct yl_rng *r, double p);
/* standard normal, approximately: the sum of 12 uniforms less 6 (|x| < 6) */
double yl_rng_normal(struct yl_rng *r);
/* an index in [0, p->n) by weight */
int yl_rng_pick(struct yl_rng *r, const struct yl_pick *p);

#endif
