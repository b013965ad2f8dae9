/* export.h -- the store's current resources out as Bulk Data NDJSON (`yilian export`, and
 * later the $export jobs): one file per type, DIR/<Type>.ndjson, one resource per line as
 * stored (meta.versionId and lastUpdated included), types in R4 order and resources in row
 * (creation) order. Deleted resources are left out; `since` keeps those last updated at or
 * after it. Files are written only for types that have resources.
 * Memory: rows are read a page at a time into an arena reset after each page, so memory
 * stays bounded whatever the store size. Threads: one yl_export per thread; `cancel` may
 * be set from another thread to stop between pages. */
#ifndef YL_EXPORT_H
#define YL_EXPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

struct yl_export_file {
	const char *type;
	const char *path; /* DIR/<Type>.ndjson */
	int64_t count;
};

struct yl_export {
	struct yl_store *store;
	const char *dir;    /* created if absent */
	const char **types; /* NULL: every type */
	size_t ntypes;
	int64_t since;         /* us; 0 = everything */
	bool compartment;      /* only resources in some patient's compartment (Patient/$export) */
	const char **patients; /* only these patients' compartments (Group/$export), or NULL */
	size_t npatients;
	void (*progress)(void *ctx, int64_t resources);
	void *ctx;
	atomic_int *cancel; /* NULL, or set non-zero to stop */
	/* OUT (in the arena given to yl_export_run) */
	struct yl_export_file *files;
	size_t nfiles;
	int64_t resources;
	int64_t bytes;
};

/* YL_OK when every file is complete; on an error (or a cancel: YL_UNAVAILABLE) the files
 * written so far stay and err says why. */
enum yl_code yl_export_run(struct yl_export *ex, struct yl_arena *a, struct yl_err *err);

#endif
