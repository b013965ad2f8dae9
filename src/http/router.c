/* router.c -- match a request against the route table. */
#include "http/router.h"

#include <string.h>

static bool match_pattern(const char *pattern, struct yl_req *r)
{
	const char *vars[YL_MAX_ROUTE_VARS] = {0};
	size_t nv = 0, seg = 0;
	const char *p = pattern;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if (seg >= r->url.nsegs)
			return false;
		const char *s = r->url.segs[seg++];
		if (p[0] == '{') {
			if (nv == YL_MAX_ROUTE_VARS)
				return false;
			vars[nv++] = s;
		} else if (strlen(s) != len || memcmp(s, p, len) != 0) {
			return false;
		}
		p += len;
	}
	if (seg != r->url.nsegs)
		return false;
	memcpy(r->vars, vars, sizeof vars);
	return true;
}

const struct yl_route *yl_route_match(const struct yl_route *table, size_t n, struct yl_req *r,
                                      bool *path_known)
{
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	*path_known = false;
	for (size_t i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, r))
			continue;
		if (strcmp(table[i].method, method) == 0)
			return &table[i];
		*path_known = true;
	}
	return NULL;
}
