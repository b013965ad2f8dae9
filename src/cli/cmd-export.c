/* cmd-export.c -- `yilian export --out DIR`: the store's current resources as Bulk Data
 * NDJSON files (fhir/export.h), one per type, with a summary at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/time.h"
#include "fhir/export.h"
#include "fhir/schema.h"
#include "fhir/ucum.h"

struct ui {
	bool tty;
	int64_t t0, last;
};

static void on_progress(void *ctx, int64_t resources)
{
	struct ui *u = ctx;
	int64_t now = yl_monotonic_us();
	if (!u->tty || now - u->last < 200000)
		return;
	u->last = now;
	double secs = (double)(now - u->t0) / 1e6;
	fprintf(stderr, "\r\033[K%lld resources  %.0f/s", (long long)resources,
	        secs > 0 ? (double)resources / secs : 0.0);
}

int yl_cmd_export(int argc, char **argv)
{
	const char *db = "./yilian.db", *out = NULL, *types = NULL, *since = NULL;
	bool quiet = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
			types = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else
			return yl_cli_usage_error("export", "unknown option or missing value '%s'",
			                          argv[i]);
	}
	if (!out)
		return yl_cli_usage_error("export", "--out DIR is required");
	struct yl_arena *a = yl_arena_create(1 << 16);
	if (!a)
		return 1;
	struct yl_export ex = {.dir = out};
	struct ui u = {.tty = !quiet && isatty(2), .t0 = yl_monotonic_us()};
	ex.progress = on_progress;
	ex.ctx = &u;
	if (since && yl_parse_datetime(since, strlen(since), &ex.since) != 0) {
		yl_arena_destroy(a);
		return yl_cli_usage_error("export", "--since '%s' is not a FHIR instant or date",
		                          since);
	}
	if (types) { /* T,T,... */
		ex.types = yl_arena_calloc(a, yl_fhir_resource_type_count, sizeof(char *));
		for (char *s = yl_arena_strdup(a, types), *t; (t = strsep(&s, ","));) {
			if (yl_fhir_resource_type_index(t, strlen(t)) < 0) {
				int rc = yl_cli_usage_error(
				    "export", "'%s' is not a FHIR R4 resource type", t);
				yl_arena_destroy(a); /* t lives in it */
				return rc;
			}
			if (ex.ntypes < yl_fhir_resource_type_count)
				ex.types[ex.ntypes++] = t;
		}
	}
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store *s = NULL;
	int rc = 1;
	if (yl_store_open(db, &s, a, &err) != YL_OK)
		goto done;
	yl_store_set_cache(s, 64); /* bounded memory: no map of the store (see import) */
	ex.store = s;
	if (yl_export_run(&ex, a, &err) != YL_OK)
		goto done;
	if (u.tty)
		fputs("\r\033[K", stderr);
	double secs = (double)(yl_monotonic_us() - u.t0) / 1e6;
	for (size_t i = 0; i < ex.nfiles; i++)
		printf("%s\t%lld\n", ex.files[i].path, (long long)ex.files[i].count);
	printf("yilian export: %lld resources in %zu files (%.1f MB) in %.1f s (%.0f/s)\n",
	       (long long)ex.resources, ex.nfiles, (double)ex.bytes / 1e6, secs,
	       secs > 0 ? (double)ex.resources / secs : 0.0);
	yl_cli_audit(s, a, "export", 'E',
	             yl_arena_printf(a, "yilian export of %lld resources to %s",
	                             (long long)ex.resources, ex.dir ? ex.dir : "?"));
	rc = 0;
done:
	for (const struct yl_issue *is = err.first; is; is = is->next)
		fprintf(stderr, "yilian export: %s\n", is->message);
	yl_store_close(s);
	yl_arena_destroy(a);
	return rc;
}
