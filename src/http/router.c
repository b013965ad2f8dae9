/* router.c -- match a request against the route table. */
#include "http/router.h"

#include <stdio.h>
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

const char *yl_route_allow(const struct yl_route *table, size_t n, struct yl_req *r,
                           struct yl_arena *a)
{
	static const char *const order[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
	bool has[sizeof order / sizeof order[0]] = {false};
	const char *vars[YL_MAX_ROUTE_VARS];
	memcpy(vars, r->vars, sizeof vars); /* matching writes them: keep the request's */
	for (size_t i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, r))
			continue;
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
			if (strcmp(table[i].method, order[k]) == 0 ||
			    (strcmp(order[k], "HEAD") == 0 && strcmp(table[i].method, "GET") == 0))
				has[k] = true;
	}
	memcpy(r->vars, vars, sizeof vars);
	char buf[64] = "";
	size_t len = 0;
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		if (has[k] && len < sizeof buf)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
			                        len ? ", " : "", order[k]);
	return yl_arena_strdup(a, buf);
}
