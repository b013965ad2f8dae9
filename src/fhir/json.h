/* json.h -- the write path's text passes over a resource body.
 *
 * yl_json_check_limits() walks raw bytes (before any parser sees them) and refuses
 * nesting deeper than YL_MAX_JSON_DEPTH and strings longer than YL_MAX_STRING_BYTES.
 * yl_json_rewrite() takes a body already accepted by jansson and emits the stored text:
 * compact, numbers and strings copied byte for byte (decimal precision such as 1.50 is
 * kept), with "resourceType", "id" and "meta.versionId"/"meta.lastUpdated" set by the
 * server and every other member kept in order.
 * Memory: results live in the arena. Threads: reentrant. */
#ifndef YL_JSON_H
#define YL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

enum yl_code yl_json_check_limits(const char *p, size_t n, struct yl_arena *a, struct yl_err *err);

/* Returns the new text (NUL-terminated, *out_len set) or NULL on out-of-memory or if the
 * input is not a JSON object. */
char *yl_json_rewrite(struct yl_arena *a, const char *body, size_t len, const char *type,
                      const char *id, int64_t version, int64_t last_updated, size_t *out_len);

/* Re-indent compact JSON text for _pretty (two spaces); strings/numbers copied as is. */
char *yl_json_pretty(struct yl_arena *a, const char *p, size_t n, size_t *out_len);

#endif
