/* search.h -- FHIR search requests: parse the query parameters of a search into a store
 * plan (store/search.h), and answer with a searchset Bundle.
 *
 * Parsing follows the R4 search page: `name[:modifier]=value[,value]` (comma = OR,
 * repetition = AND, `\,` `\|` `\$` escapes), prefixes on date/number/quantity, token
 * `system|code` forms, reference `Type/id`, `id` and absolute URLs, composite `a$b`.
 * Unknown or unsupported parameters are ignored and left out of the self link, or with
 * `Prefer: handling=strict` answered 400 naming them; a malformed value is always 400 with
 * the parameter as `expression`; an unknown modifier is 400. Chains (`subject:Patient.name`,
 * `subject.name`, up to 3 levels) and `_has:Type:ref:param` become nested plans; `_sort`,
 * `_include`/`_revinclude` (`:iterate`, `*`), `_summary`, `_elements`, `_total` and the
 * keyset `_cursor` (`a.` after / `b.` before a row: resource row and sort keys) are read here
 * and carried out by the store and rest-search.c.
 * Memory: everything lives in the arena. Threads: reentrant. */
#ifndef YL_FHIR_SEARCH_H
#define YL_FHIR_SEARCH_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/url.h"
#include "store/search.h"
#include "store/store.h"

enum yl_total { YL_TOTAL_NONE, YL_TOTAL_ESTIMATE, YL_TOTAL_ACCURATE };
enum yl_summary { YL_SUMMARY_FALSE, YL_SUMMARY_TRUE, YL_SUMMARY_TEXT, YL_SUMMARY_DATA };

/* One code of a ValueSet, for token :in / :not-in. */
struct yl_vs_code {
	const char *system; /* NULL when the value set gives none */
	const char *code;
};

/* Reads the codes of the stored ValueSet with canonical `url` (arena memory); YL_NOT_FOUND
 * when there is none. */
typedef enum yl_code (*yl_valueset_fn)(void *ctx, struct yl_arena *a, const char *url,
                                       struct yl_vs_code **codes, size_t *n, struct yl_err *err);

struct yl_search_opts {
	bool strict;             /* Prefer: handling=strict */
	yl_valueset_fn valueset; /* NULL: :in and :not-in are refused */
	const char *base;        /* this server's base URL (http://host/fhir), or NULL */
	void *ctx;
};

struct yl_search_req {
	struct yl_search_plan plan;
	bool summary_count; /* _summary=count */
	enum yl_summary summary;
	const char **elements; /* _elements, or NULL */
	size_t nelements;
	struct yl_include *includes; /* _include and _revinclude, in request order */
	size_t nincludes;
	enum yl_total total;
	struct yl_param *kept; /* parameters that took effect, for the self link */
	size_t nkept;
	const char **ignored; /* names ignored (unknown or unsupported) */
	size_t nignored;
};

/* Parse params for a search over types[0..ntypes). */
enum yl_code yl_fhir_search_parse(struct yl_arena *a, const char **types, size_t ntypes,
                                  const struct yl_param *params, size_t nparams,
                                  const struct yl_search_opts *opts, struct yl_search_req *out,
                                  struct yl_err *err);

/* The _cursor value that starts the page after (before = false) or before `row` (a row of
 * this search: its sort keys and resource row); arena text. */
const char *yl_fhir_search_cursor(struct yl_arena *a, const struct yl_search_plan *p,
                                  const struct yl_row *row, bool before);

#endif
