/* router.h -- the route table type and matching.
 *
 * One row per route: method, path pattern ("/fhir/{type}/{id}"), the FHIR interaction
 * it implements (for the CapabilityStatement), its level, the handler and a one-line doc.
 * The same table drives dispatch, GET /fhir/metadata and docs/api.md.
 * Static data; thread-safe. */
#ifndef YL_ROUTER_H
#define YL_ROUTER_H

#include <stdbool.h>

#include "auth/policy.h"
#include "http/http.h"

enum yl_level { YL_LEVEL_NONE, YL_LEVEL_SYSTEM, YL_LEVEL_TYPE, YL_LEVEL_INSTANCE };

struct yl_route {
	const char *method;
	const char *pattern;
	const char *interaction; /* FHIR interaction code, NULL for non-FHIR routes */
	enum yl_level level;
	yl_handler_fn handler;
	const char *doc;
	enum yl_access access; /* who may call it (auth/policy.h); every row names one */
};

/* Find the route for method + path; route variables go to r->vars.
 * Returns NULL and sets *path_known when the path matched some route but not the method. */
const struct yl_route *yl_route_match(const struct yl_route *table, size_t n, struct yl_req *r,
                                      bool *path_known);

/* The methods some route takes on r's path, for the Allow header of a 405 ("GET, HEAD,
 * PATCH"); arena text. */
const char *yl_route_allow(const struct yl_route *table, size_t n, struct yl_req *r,
                           struct yl_arena *a);

#endif
