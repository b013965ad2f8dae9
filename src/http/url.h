/* url.h -- request-target parser: path segments and query parameters, percent-decoded.
 *
 * Input is the raw request target as received ("/fhir/Patient/1?_count=10&name=a%20b").
 * Path segments are split on '/' and decoded (an encoded '/' stays inside its segment);
 * query parameters are split on '&', then on the first '=', '+' decoded as space. Order
 * and repetition are kept (FHIR AND-by-repetition). Bad escapes, NUL bytes, too many
 * parameters or a target longer than YL_MAX_URL_BYTES -> YL_BAD_REQUEST naming the problem.
 * Memory: all strings live in the arena. Threads: reentrant. */
#ifndef YL_URL_H
#define YL_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

struct yl_param {
	const char *name;  /* decoded, may contain ':modifier' */
	const char *value; /* decoded, "" when no '=' */
};

struct yl_url {
	const char *path;  /* decoded path, for logs and links */
	const char **segs; /* decoded segments, empty ones dropped */
	size_t nsegs;
	struct yl_param *params;
	size_t nparams;
};

enum yl_code yl_url_parse(struct yl_arena *a, const char *raw, size_t n, struct yl_url *out,
                          struct yl_err *err);

/* Value of the first parameter with this exact name, or NULL. */
const char *yl_url_param(const struct yl_url *u, const char *name);

/* Append s percent-encoded for a query component (unreserved characters kept). */
void yl_url_encode(struct yl_buf *b, const char *s);

/* The client an X-Forwarded-For value names: its last address (the one the proxy itself
 * appended), when that is a numeric IPv4 or IPv6 address shorter than cap; copied NUL-ended
 * into out. */
bool yl_forwarded_client(const char *xff, char *out, size_t cap);

#endif
