/* ucum.h -- canonical forms of common UCUM units, for comparing quantities in search.
 *
 * Purpose: maps a UCUM unit code (mg/dL) to the canonical unit of its dimension (g/L) and
 * a factor (0.01), so quantities in different units of one dimension get comparable index
 * values. The table is data: terminology/ucum-units.json (source and canonical units are
 * described there); nothing is hand-typed in C. Until yl_ucum_load() succeeds every lookup
 * fails, and quantities are indexed without a canonical form.
 * Memory: the table is process-global, malloc'd by yl_ucum_load() and freed by
 * yl_ucum_unload() (or by the next load).
 * Threads: load/unload at start and exit, before/after worker threads; lookups are then
 * read-only and safe from any thread.
 * Errors: yl_ucum_load() returns YL_IO (unreadable or malformed file) or YL_NOMEM with a
 * message in err (allocated in arena a) and leaves the previous table in place. */
#ifndef YL_FHIR_UCUM_H
#define YL_FHIR_UCUM_H

#include "core/arena.h"
#include "core/err.h"

#define YL_UCUM_MAX_UNITS 4096 /* entries accepted from the data file */

enum yl_code yl_ucum_load(const char *path, struct yl_arena *a, struct yl_err *err);
void yl_ucum_unload(void);

/* Canonical unit code and factor (value_in_canonical = value * factor) for a UCUM code.
 * Returns 1 and sets the OUT parameters, or 0 if the unit is unknown or nothing is loaded.
 * *canon points into the loaded table (valid until unload). */
int yl_ucum_canonical(const char *code, const char **canon /* OUT */, double *factor /* OUT */);

#endif
