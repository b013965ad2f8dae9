/* patch.h -- JSON Patch (RFC 6902) with JSON Pointer paths (RFC 6901), for the FHIR patch
 * interaction (PATCH with application/json-patch+json).
 *
 * yl_json_patch() applies the operations of `patch` (a JSON array) to *doc in order:
 * add, remove, replace, move, copy and test. On the first operation that is malformed or
 * cannot be applied it stops and returns an error naming the operation (its index, op and
 * path): a malformed patch document is YL_BAD_REQUEST, an operation that does not apply
 * (a path that is not there, a failed test) YL_INVALID_RESOURCE (422). *doc may be
 * replaced (an operation on the whole document, path ""); on error it is left in a
 * partly patched state and the caller drops it.
 * Numbers: jansson keeps decimals as doubles, which would turn 1.50 into 1.5; callers that
 * must keep the text of numbers pass both documents through yl_json_wrap_numbers() before
 * parsing and the result through yl_json_unwrap_numbers() after dumping (fhir/json.h).
 * Memory: jansson references as usual (the caller owns *doc); messages in the arena.
 * Threads: reentrant. */
#ifndef YL_PATCH_H
#define YL_PATCH_H

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

enum yl_code yl_json_patch(json_t **doc, const json_t *patch, struct yl_arena *a,
                           struct yl_err *err);

#endif
