/* import.h -- load files of resources straight into the store (`yilian import`): Bulk Data
 * NDJSON (.ndjson: one resource per line, any types) and Bundles (.json: transaction,
 * batch or collection; a .json holding one resource is that resource).
 *
 * Every resource keeps its own id (an entry without one takes the uuid of its
 * urn:uuid: fullUrl), so what recurs across files is stored once; references to a Bundle's
 * fullUrls are rewritten to Type/id. Each resource is validated and indexed as a PUT would
 * be, and written only when its text differs from the stored version's: importing the same
 * files twice changes nothing the second time. DELETE entries of a Bundle delete.
 * Writes are committed every YL_IMPORT_BATCH resources (one transaction per batch, so a
 * killed import leaves whole batches and can be run again); with fresh, on the NDJSON
 * writer thread, a transaction goes on over the next batch while one is waiting, up to
 * YL_IMPORT_TXN_MAX resources or YL_IMPORT_TXN_US (each B-tree page a transaction changes
 * is written once per transaction, and journaled when it existed before; resources with
 * random ids change a page of the id keys each, so at 5M resources every commit rewrote
 * most of those keys: 150,000 a transaction loaded 5M in 193 s, 1,000,000 in 150 s. The
 * page cache bounds memory whatever the transaction's size); with strict, a file is one transaction
 * and its first bad resource rolls the file back and stops the import.
 * A bad line or entry is reported (file, line, reason) through report and skipped.
 * Memory: files are read through mmap and parsed one resource at a time; the arena is
 * reset after every batch, so memory stays bounded whatever the file size.
 * Threads: one yl_import per thread. NDJSON files (unless strict) are parsed on the
 * calling thread and written by a writer thread the import starts, a batch at a time
 * (at most 3 batches in memory); the report and progress callbacks may then be called
 * from either thread, never at the same time. */
#ifndef YL_IMPORT_H
#define YL_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define YL_IMPORT_BATCH   2000
#define YL_IMPORT_TXN_MAX 1000000
#define YL_IMPORT_TXN_US  60000000 /* nor longer than this (us) */

struct yl_import_stats {
	int64_t resources; /* read (good and bad) */
	int64_t created, updated, unchanged, deleted, failed;
	int64_t bytes; /* of the input, consumed so far */
};

typedef void (*yl_import_report_fn)(void *ctx, const char *file, long line, const char *reason);
/* Called after every batch (progress bars). */
typedef void (*yl_import_progress_fn)(void *ctx, const struct yl_import_stats *st);

struct yl_import {
	struct yl_store *store;
	bool strict;
	/* The store was empty and is this import's alone (yl_store_bulk_exclusive): on the
	 * NDJSON writer thread a transaction spans batches (up to YL_IMPORT_TXN_MAX). */
	bool fresh;
	/* Resources per transaction at most (0: the default above; yilian import
	 * --commit-every); below YL_IMPORT_BATCH it is also the batch size. */
	int commit_every;
	yl_import_report_fn report;
	yl_import_progress_fn progress;
	void *ctx;
	struct yl_import_stats st; /* totals over every file so far */
	/* private */
	struct yl_store_conn *c;
	struct yl_arena *a;
	int pending; /* writes in the open transaction */
	bool in_txn;
	struct yl_import_pipe *pipe; /* NDJSON: parsed here, written on a writer thread */
	int64_t pre_last;            /* fresh: the lastUpdated of the last body rendered here */
};

/* Import one file. YL_OK when it was read to the end (bad resources reported and counted
 * in st.failed); an error when the file cannot be read, the store fails, or (strict) a
 * resource is bad: then nothing of this file is stored. */
enum yl_code yl_import_file(struct yl_import *im, const char *path, struct yl_err *err);

/* Commit what is pending. Messages in err (of any call) live until yl_import_free(). */
enum yl_code yl_import_finish(struct yl_import *im, struct yl_err *err);
/* Roll back what is pending (after an error), releasing the store's write lock; the
 * messages in err stay. */
void yl_import_rollback(struct yl_import *im);
/* Roll back what is pending (after an error) and release the import's memory. */
void yl_import_free(struct yl_import *im);

#endif
