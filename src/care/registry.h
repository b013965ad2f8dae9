/* registry.h -- the rules every write through the API obeys before it is stored, by type:
 * identifiers checked as their system demands and held once (terminology/
 * identifier-systems.json: the resident identity number's check character and its
 * agreement with gender and birthDate, the health-record number's digits, one live Patient
 * per number), and the rules of the types that have more (a family-doctor contract:
 * care/contract.h).
 *
 * yl_care_validate() needs only the resource (the write path's validation and $validate);
 * yl_care_check() is a struct yl_write check (store.h): it runs inside the write's
 * transaction, so two residents with one identity number cannot both be stored, however
 * close together they arrive.
 * Messages never contain an identity number or a phone number.
 * Memory: the arena's. Threads: reentrant (reads care/config.h's loaded tables). */
#ifndef YL_CARE_REGISTRY_H
#define YL_CARE_REGISTRY_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

struct json_t;

/* Adds an issue to err (YL_INVALID_RESOURCE, with the element's FHIRPath) for each
 * identifier of doc that breaks its system's check; returns how many. */
int yl_care_validate(struct yl_arena *a, const char *type, const struct json_t *doc,
                     struct yl_err *err);

/* Whether writes of `type` need yl_care_check (a held-once identifier, or rules of their
 * own); the others skip it. */
bool yl_care_has_check(const char *type);

/* The struct yl_write check's ctx: the resource being written (NULL for a delete), and
 * whether the writer may see a record of a type in a resident's compartment (policy.h
 * yl_scope_sees through `view`; sees NULL: every record). The 409 for an identifier held
 * by a record the writer may not see does not name that record (docs/security.md). */
struct yl_care_check_ctx {
	const struct json_t *doc;
	bool (*sees)(const void *view, const char *type, const char *patient);
	const void *view;
};

/* The struct yl_write check; ctx is a struct yl_care_check_ctx (NULL: no resource). */
enum yl_code yl_care_check(void *ctx, struct yl_store_conn *c, struct yl_arena *a,
                           const struct yl_write *w, struct yl_err *err);

#endif
