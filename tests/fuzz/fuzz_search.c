/* fuzz_search.c -- libFuzzer target for the search-parameter parser and the SQL it
 * generates: any query string over Patient and Observation must parse or fail cleanly, and
 * every plan must turn into SQL whose placeholders match its bound values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/search.h"
#include "http/url.h"
#include "store/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	char *q = yl_arena_alloc(a, size + 3);
	memcpy(q, "/?", 2);
	memcpy(q + 2, data, size);
	q[size + 2] = '\0';
	struct yl_err err;
	yl_err_init(&err);
	struct yl_url u;
	static const char *types[] = {"Observation", "Patient"};
	size_t ntypes = size && data[0] & 1 ? 2 : 1;
	if (yl_url_parse(a, q, size + 2, &u, &err) == YL_OK) {
		struct yl_search_req sr;
		struct yl_search_opts o = {.strict = size && data[0] & 2, .base = "http://h/fhir"};
		if (yl_fhir_search_parse(a, types, ntypes, u.params, u.nparams, &o, &sr, &err) ==
		    YL_OK) {
			struct yl_sql sql;
			yl_sql_init(&sql, a);
			/* the page statement: filters, chains, _has, sort keys and the cursor */
			if (yl_search_sql_page(&sql, a, &sr.plan, YL_DRIVER_ANY, 0, &err) ==
			    YL_OK) {
				size_t marks = 0;
				for (size_t i = 0; i < sql.text.len; i++)
					marks += sql.text.p[i] == '?';
				if (marks != sql.nbinds)
					abort();
			}
		}
	}
	yl_arena_destroy(a);
	return 0;
}
