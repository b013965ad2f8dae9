/* searchparam.h -- the FHIR R4 search parameters, as tables generated from the spec.
 *
 * Purpose: every supported (resource type, parameter code) with its type, the JSON paths it
 * indexes (choice elements resolved, e.g. "valueQuantity"), reference targets and composite
 * components; drives the extractor (fhir/extract.h), search and the CapabilityStatement.
 * Tables live in searchparam-gen.c, written by tools/gen-search-params.py from
 * ../shared/fhir-r4/search-parameters.json; docs/search-parameters.md lists what is supported
 * and every parameter left out with the reason. Resource-level parameters (_id, _tag, ...)
 * are stored once under the pseudo type "Resource" and apply to every type.
 * Memory: everything is static and read-only; nothing is allocated.
 * Threads: safe from any thread.
 * Errors: lookups return NULL / 0 when nothing matches. */
#ifndef YL_FHIR_SEARCHPARAM_H
#define YL_FHIR_SEARCHPARAM_H

#include <stddef.h>

enum yl_sp_type {
	YL_SP_NUMBER,
	YL_SP_DATE,
	YL_SP_STRING,
	YL_SP_TOKEN,
	YL_SP_REFERENCE,
	YL_SP_COMPOSITE,
	YL_SP_QUANTITY,
	YL_SP_URI,
	YL_SP_SPECIAL
};

/* Leaf data types the extractor handles (the generator's DTS list, same order). */
enum yl_dt {
	YL_DT_BOOLEAN,
	YL_DT_CODE,
	YL_DT_STRING,
	YL_DT_MARKDOWN,
	YL_DT_ID,
	YL_DT_URI,
	YL_DT_URL,
	YL_DT_CANONICAL,
	YL_DT_OID,
	YL_DT_UUID,
	YL_DT_DATE,
	YL_DT_DATETIME,
	YL_DT_INSTANT,
	YL_DT_PERIOD,
	YL_DT_TIMING,
	YL_DT_DECIMAL,
	YL_DT_INTEGER,
	YL_DT_POSITIVEINT,
	YL_DT_UNSIGNEDINT,
	YL_DT_CODING,
	YL_DT_CODEABLECONCEPT,
	YL_DT_IDENTIFIER,
	YL_DT_CONTACTPOINT,
	YL_DT_HUMANNAME,
	YL_DT_ADDRESS,
	YL_DT_QUANTITY,
	YL_DT_AGE,
	YL_DT_DURATION,
	YL_DT_COUNT,
	YL_DT_DISTANCE,
	YL_DT_MONEY,
	YL_DT_RANGE,
	YL_DT_REFERENCE,
	YL_DT_ELEMENT /* a backbone element or the resource itself: the base of a composite */
};

struct yl_sp_path {
	const char *path; /* dotted JSON members from the base ("" = the base itself) */
	enum yl_dt leaf;
	unsigned where_depth;     /* 0, or: the element reached after this many steps must */
	const char *where_member; /* have member where_member equal to where_value */
	const char *where_value;  /* (FHIRPath .where(system='phone')) */
	const char *target;       /* .where(resolve() is T): only references to T, else NULL */
};

/* A component of a composite parameter: the code and type of the component's own
 * parameter, and its paths relative to the composite's base element. */
struct yl_sp_component {
	const char *code;
	enum yl_sp_type type;
	const struct yl_sp_path *paths;
	size_t npaths;
};

#define YL_SP_NO_INDEX 1u /* answered from the resource row (_id, _lastUpdated): no index rows */
#define YL_SP_UNION                                                                                \
	2u /* no index rows of its own: a search reads the rows of the parameters                  \
	    * in union_of (Observation combo-code = code | component-code) */

struct yl_searchparam {
	const char *resource; /* resource type, or "Resource" for every type */
	const char *code;     /* e.g. "code-value-quantity" */
	enum yl_sp_type type;
	unsigned flags;                 /* YL_SP_* */
	const struct yl_sp_path *paths; /* composite: the base elements */
	size_t npaths;
	const char *targets;                 /* reference target types, comma-separated, or NULL */
	const struct yl_sp_component *comps; /* composite: exactly two, else NULL */
	size_t ncomps;
	const char *url;      /* canonical URL of the SearchParameter definition */
	const char *union_of; /* YL_SP_UNION: the member parameters' codes, comma-separated */
};

struct yl_sp_resource {
	const char *name;
	unsigned first; /* yl_searchparams[first .. first + count), sorted by code */
	unsigned count;
};

/* Sorted by (resource, code), ASCII order. */
extern const struct yl_searchparam yl_searchparams[];
extern const size_t yl_searchparam_count;
extern const struct yl_sp_resource yl_sp_resources[]; /* sorted by name */
extern const size_t yl_sp_resource_count;

/* U+00C0..U+017F folded to lower-case ASCII (marks removed, ß -> ss), "" = keep as is. */
extern const char yl_sp_fold_latin[192][3];

/* The parameter `code` of resource_type, else the Resource-level one; NULL if neither. */
const struct yl_searchparam *yl_searchparam_find(const char *resource_type, const char *code);

/* The parameters defined for resource_type itself (OUT: *n; NULL/0 if none), sorted by
 * code; the Resource-level ones are yl_searchparam_list("Resource", n). */
const struct yl_searchparam *yl_searchparam_list(const char *resource_type, size_t *n);

const char *yl_sp_type_name(enum yl_sp_type t); /* "token", ... */

#endif
