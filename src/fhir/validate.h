/* validate.h -- check a parsed FHIR R4 resource (JSON) against the R4 definitions.
 *
 * Purpose: the structural validation run on every write: resourceType, known elements,
 * arrays vs single values, required elements, required-binding codes, primitive formats,
 * empty/null values, Reference.reference syntax; contained and Bundle entry resources are
 * checked recursively. Tables come from fhir/schema.h (generated).
 * Memory: `resource` is borrowed; issues and their strings are allocated in arena `a`;
 * no other allocation.
 * Threads: reentrant; only the arena and err passed in are touched.
 * Errors: every problem is appended to err (code YL_INVALID_RESOURCE, a FHIRPath-like
 * expression such as `Patient.name[0].given[1]`, no patient data in messages), up to
 * YL_FHIR_MAX_ISSUES, then one issue saying the rest were omitted. */
#ifndef YL_FHIR_VALIDATE_H
#define YL_FHIR_VALIDATE_H

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

#define YL_FHIR_MAX_ISSUES 100 /* issues reported per resource (then one "omitted" issue) */
#define YL_FHIR_MAX_DEPTH  64  /* JSON object nesting: backbone, extension, contained, entry */

/* Validate a parsed resource; expected_type may be NULL (then any resource type). Appends
 * one issue per problem to err via yl_err_add(err, a, YL_INVALID_RESOURCE, expression,
 * fmt, ...) and returns the number of problems (0 = valid; at most YL_FHIR_MAX_ISSUES + 1,
 * counting the final "omitted" issue). */
int yl_fhir_validate(struct yl_arena *a, const json_t *resource, const char *expected_type,
                     struct yl_err *err);

#endif
