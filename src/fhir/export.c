/* export.c -- current resources as NDJSON files; see export.h. */
#include "fhir/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fhir/schema.h"

#define EXPORT_PAGE 1000

struct page {
	FILE *f;
	int64_t last; /* the last row written: the next page starts after it */
	int64_t count, bytes;
	bool failed;
};

static int write_row(void *ctx, const struct yl_row *row)
{
	struct page *p = ctx;
	if (fwrite(row->body, 1, row->body_len, p->f) != row->body_len || putc('\n', p->f) == EOF) {
		p->failed = true;
		return 1;
	}
	p->last = row->seq;
	p->count++;
	p->bytes += (int64_t)row->body_len + 1;
	return 0;
}

static enum yl_code one_type(struct yl_export *ex, struct yl_store_conn *c, const char *type,
                             struct yl_arena *a, struct yl_err *err)
{
	struct yl_arena *pa = yl_arena_create(1 << 20);
	char *buf = malloc(1 << 20);
	const char *path = yl_arena_printf(a, "%s/%s.ndjson", ex->dir, type);
	struct page p = {0};
	enum yl_code code = YL_OK;
	if (!pa || !buf || !path)
		code = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	else if (!(p.f = fopen(path, "w")))
		code =
		    yl_err_add(err, a, YL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
	else
		setvbuf(p.f, buf, _IOFBF, 1 << 20);
	/* every resource, those in a compartment, or each listed patient's in turn */
	size_t who = 0, nwho = ex->patients ? ex->npatients : 1;
	while (code == YL_OK && who < nwho) {
		if (ex->cancel && atomic_load(ex->cancel)) {
			code = yl_err_add(err, a, YL_UNAVAILABLE, NULL, "the export was cancelled");
			break;
		}
		int64_t before = p.count;
		const char *patient = ex->patients      ? ex->patients[who]
		                      : ex->compartment ? ""
		                                        : NULL;
		code = yl_store_scan(c, pa, type, patient, ex->since, p.last, EXPORT_PAGE,
		                     write_row, &p, err);
		yl_arena_reset(pa);
		if (code == YL_OK && p.failed)
			code = yl_err_add(err, a, YL_IO, NULL, "cannot write %s: %s", path,
			                  strerror(errno));
		if (code != YL_OK)
			break;
		ex->resources += p.count - before;
		if (ex->progress)
			ex->progress(ex->ctx, ex->resources);
		if (p.count - before < EXPORT_PAGE) {
			who++; /* this patient (or the whole type) is done */
			p.last = 0;
		}
	}
	if (p.f && fclose(p.f) != 0 && code == YL_OK)
		code =
		    yl_err_add(err, a, YL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
	free(buf);
	yl_arena_destroy(pa);
	if (code == YL_OK && p.count == 0)
		remove(path); /* no resources of this type */
	if (code == YL_OK && p.count) {
		ex->files[ex->nfiles++] = (struct yl_export_file){type, path, p.count};
		ex->bytes += p.bytes;
	}
	return code;
}

enum yl_code yl_export_run(struct yl_export *ex, struct yl_arena *a, struct yl_err *err)
{
	if (mkdir(ex->dir, 0755) != 0 && errno != EEXIST)
		return yl_err_add(err, a, YL_IO, NULL, "cannot make %s: %s", ex->dir,
		                  strerror(errno));
	const char **types = ex->types ? ex->types : (const char **)yl_fhir_resource_types;
	size_t n = ex->types ? ex->ntypes : yl_fhir_resource_type_count;
	ex->files = yl_arena_calloc(a, n + 1, sizeof(*ex->files));
	ex->nfiles = 0;
	ex->resources = ex->bytes = 0;
	struct yl_store_conn *c = ex->files ? yl_store_conn(ex->store, a, err) : NULL;
	if (!ex->files)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	if (!c)
		return err->code;
	for (size_t i = 0; i < n; i++) {
		enum yl_code code = one_type(ex, c, types[i], a, err);
		if (code != YL_OK)
			return code;
	}
	return YL_OK;
}
