/* cmd-reindex.c -- `yilian reindex`: rebuild the search-index rows of every current
 * resource from its stored text, after the search-parameter table or the extractor changed.
 * Run it with the server stopped (or accept that searches see old rows until it is done). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/time.h"
#include "fhir/extract.h"
#include "fhir/ucum.h"
#include "store/store.h"

static enum yl_code reindex_one(void *ctx, struct yl_arena *a, const struct yl_row *row,
                                const char *patient, struct yl_index_row **rows, size_t *n,
                                struct yl_err *err)
{
	(void)ctx;
	(void)patient;
	json_error_t jerr;
	json_t *doc = json_loadb(row->body, row->body_len, 0, &jerr);
	if (!doc)
		return yl_err_add(err, a, YL_MALFORMED_JSON, NULL,
		                  "stored text is not JSON (line %d, column %d)", jerr.line,
		                  jerr.column);
	enum yl_code code = yl_fhir_extract(a, row->type, doc, rows, n, err);
	json_decref(doc);
	return code;
}

int yl_cmd_reindex(int argc, char **argv)
{
	const char *db = "./yilian.db", *data = YL_DATA_DIR;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else
			return yl_cli_usage_error("reindex", "unknown option or missing value '%s'",
			                          argv[i]);
	}
	struct yl_arena *a = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store *s = NULL;
	int64_t count = 0, t0 = yl_monotonic_us();
	int rc = 1;
	if (!a)
		return 1;
	if (yl_cli_load_data(data, a, &err) != YL_OK || yl_store_open(db, &s, a, &err) != YL_OK ||
	    yl_store_reindex(s, reindex_one, NULL, &count, &err, a) != YL_OK ||
	    yl_store_meta_set(s, a, "index_fingerprint", yl_fhir_index_fingerprint(), &err) !=
	        YL_OK)
		goto out;
	printf("reindexed %lld resources in %.1f s\n", (long long)count,
	       (double)(yl_monotonic_us() - t0) / 1e6);
	rc = 0;
out:
	for (const struct yl_issue *is = err.first; is; is = is->next)
		fprintf(stderr, "yilian reindex: %s\n", is->message);
	yl_store_close(s);
	yl_ucum_unload();
	yl_arena_destroy(a);
	return rc;
}
