/* search.h -- FHIR search requests: parse the query parameters of a search into a store
 * plan (store/search.h), and answer with a searchset Bundle.
 *
 * Parsing follows the R4 search page: `name[:modifier]=value[,value]` (comma = OR,
 * repetition = AND, `\,` `\|` `\$` escapes), prefixes on date/number/quantity, token
 * `system|code` forms, reference `Type/id`, `id` and absolute URLs, composite `a$b`.
 * Unknown or unsupported parameters are ignored and left out of the self link, or with
 * `Prefer: handling=strict` answered 400 naming them; a malformed value is always 400 with
 * the parameter as `expression`; an unknown modifier is 400.
 * Memory: everything lives in the arena. Threads: reentrant. */
#ifndef YL_FHIR_SEARCH_H
#define YL_FHIR_SEARCH_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/url.h"
#include "store/search.h"

enum yl_total { YL_TOTAL_NONE, YL_TOTAL_ESTIMATE, YL_TOTAL_ACCURATE };

struct yl_search_req {
	struct yl_search_plan plan;
	bool summary_count; /* _summary=count */
	enum yl_total total;
	struct yl_param *kept; /* parameters that took effect, for the self link */
	size_t nkept;
	const char **ignored; /* names ignored (unknown or unsupported) */
	size_t nignored;
};

/* Parse params for a search over types[0..ntypes). strict: Prefer: handling=strict. */
enum yl_code yl_fhir_search_parse(struct yl_arena *a, const char **types, size_t ntypes,
                                  const struct yl_param *params, size_t nparams, bool strict,
                                  struct yl_search_req *out, struct yl_err *err);

#endif
