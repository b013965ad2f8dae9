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

/* A body waiting to be stored as type/id: yl_json_render is the store's render callback
 * (store.h yl_render_fn) for it, yl_json_rewrite() with the version and time the store
 * settles on. The text must outlive the write. */
struct yl_json_body {
	const char *text;
	size_t len;
	const char *type, *id;
};
const char *yl_json_render(void *body, struct yl_arena *a, int64_t version, int64_t last_updated,
                           size_t *len);

/* Re-indent compact JSON text for _pretty (two spaces); strings/numbers copied as is. */
char *yl_json_pretty(struct yl_arena *a, const char *p, size_t n, size_t *out_len);

/* ---- Bundles: spans of the request text, so that entries keep their bytes ---------- */

struct yl_span {
	size_t at, len; /* p[at .. at+len) */
};

/* The value of member `name` of the object p[0..n) (text that jansson accepted): 0, or -1
 * when p is not an object or has no such member. */
int yl_json_member(const char *p, size_t n, const char *name, struct yl_span *out);

/* The elements of the array p[0..n), in order (arena memory): their count, or -1 when p
 * is not an array or memory ran out. */
long yl_json_elements(struct yl_arena *a, const char *p, size_t n, struct yl_span **out);

/* Called for each string value of a member named "reference" (s[0..n), as written, without
 * quotes; strings with escapes are left alone): sets *to to the replacement (arena text,
 * NUL-terminated) or leaves it NULL to keep the value; a non-zero return stops the copy and
 * is returned by yl_json_map_references(). */
typedef int (*yl_json_map_fn)(void *ctx, const char *s, size_t n, const char **to);

/* Copy the value p[0..n) compactly (numbers and strings byte for byte) with references
 * mapped; 0 and *out (NUL-terminated arena text), -1 out of memory, or map's code. */
int yl_json_map_references(struct yl_arena *a, const char *p, size_t n, yl_json_map_fn map,
                           void *ctx, char **out, size_t *out_len);

/* JSON Patch goes through jansson, which keeps decimals as doubles (1.50 would become 1.5):
 * wrap turns every number with a fraction or exponent in p[0..n) into a string marked
 * with U+E000 ("\ue0001.50"), unwrap turns such strings back into the number as written.
 * 0 and *out (NUL-terminated arena text); -1 out of memory; wrap -2 when p already holds a
 * string that starts with U+E000 (it would read back as a number). */
int yl_json_wrap_numbers(struct yl_arena *a, const char *p, size_t n, char **out, size_t *out_len);
int yl_json_unwrap_numbers(struct yl_arena *a, const char *p, size_t n, char **out,
                           size_t *out_len);

#endif
