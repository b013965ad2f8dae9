/* seed.h -- the resources yilian ships as data, put into a store that lacks them: the
 * service packages (terminology/service-packages.json), yilian's code systems
 * (terminology/codesystems.json), the key-population value sets
 * (terminology/key-populations.json) and the contract indicators' Measures
 * (measures/contracting.json). `yilian serve` seeds at start, so a new region can sign
 * contracts at once; a resource already stored under the same type and id is left as it is
 * (a deployment may have changed a package's price).
 * Memory: the arena's. Threads: call before the server starts. */
#ifndef YL_CARE_SEED_H
#define YL_CARE_SEED_H

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

/* dir holds terminology/; *created counts the resources written. */
enum yl_code yl_care_seed(struct yl_store *s, const char *dir, int *created, struct yl_arena *a,
                          struct yl_err *err);

#endif
