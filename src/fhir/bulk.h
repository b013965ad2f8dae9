/* bulk.h -- Bulk Data export over HTTP (FHIR Bulk Data Access IG, async pattern):
 * kick-off at GET /fhir/$export, /fhir/Patient/$export or /fhir/Group/{id}/$export with
 * Prefer: respond-async answers 202 and a Content-Location to poll; the status URL answers
 * 202 with X-Progress while the job runs, then 200 with the manifest (one NDJSON file per
 * type, served from /fhir/$export-file/{job}/{Type}.ndjson); DELETE on the status URL
 * cancels the job and removes its files.
 *
 * Jobs run one at a time on one background thread (its own store connection, so memory
 * stays bounded: fhir/export.h) and write under DIR/<job id>/. The registry lives in
 * memory: a restart forgets the jobs, and yl_bulk_start() empties DIR of what an earlier
 * run left. Completed jobs are kept until they are deleted or the server stops.
 * Memory: the registry and its jobs are malloc'd and freed by yl_bulk_stop().
 * Threads: the handlers may run on any worker thread (the registry has its own lock). */
#ifndef YL_BULK_H
#define YL_BULK_H

#include "core/err.h"
#include "http/http.h"
#include "store/store.h"

struct yl_bulk;

struct yl_bulk *yl_bulk_start(struct yl_store *s, const char *dir, struct yl_arena *a,
                              struct yl_err *err);
/* Cancel what runs, join the thread, free the jobs (their files stay until the next start). */
void yl_bulk_stop(struct yl_bulk *b);

enum yl_code yl_h_export_system(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_export_patient(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_export_group(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_export_status(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_export_cancel(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_export_file(struct yl_req *r, struct yl_err *err);

#endif
