/* names.h -- Chinese names for synthetic residents and practitioners: a surname by
 * frequency and a given name of one or two characters typical of the birth cohort
 * (figures in terminology/synth/names.json, loaded by data.c).
 * Memory: names are written into the caller's fixed buffers (UTF-8, NUL-terminated).
 * Threads: reentrant (the rng is the caller's). */
#ifndef YL_SYNTH_NAMES_H
#define YL_SYNTH_NAMES_H

#include <stdbool.h>

#include "synth/data.h"
#include "synth/rng.h"

#define YL_SYNTH_NAME_MAX 32 /* bytes of a family or given name, NUL included */

/* a surname index by frequency */
int yl_synth_surname(const struct yl_synth_data *d, struct yl_rng *r);
/* a given name for someone of that sex born in birth_year */
void yl_synth_given(const struct yl_synth_data *d, struct yl_rng *r, bool male, int birth_year,
                    char given[YL_SYNTH_NAME_MAX] /* OUT */);

#endif
