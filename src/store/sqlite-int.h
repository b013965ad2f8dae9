/* sqlite-int.h -- what the SQLite backend's files share (store/sqlite.c owns the
 * connections, the writer and the group commit; store/sqlite-auth.c the identity and
 * audit tables). Not for use outside src/store/. */
#ifndef YL_SQLITE_INT_H
#define YL_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/* The writer connection, with the write lock taken / given back. */
struct yl_store_conn *yl_sqlite_writer_lock(struct yl_store *s);
void yl_sqlite_writer_unlock(struct yl_store *s);
struct yl_store *yl_sqlite_store(struct yl_store_conn *c);
/* The connection a thread reads through (the writer inside yl_store_begin()). */
struct yl_store_conn *yl_sqlite_reader(struct yl_store_conn *c);
bool yl_sqlite_in_transaction(struct yl_store_conn *c);
sqlite3 *yl_sqlite_db(struct yl_store_conn *c);
/* A statement kept prepared on c, keyed by its text; give it back with yl_sqlite_done. */
sqlite3_stmt *yl_sqlite_prepare(struct yl_store_conn *c, const char *sql);
void yl_sqlite_done(struct yl_store_conn *c, sqlite3_stmt *q);
/* A backend error as a user-facing code and message (SQLite text stays in the log). */
enum yl_code yl_sqlite_error(struct yl_err *err, struct yl_arena *a, struct yl_store_conn *c,
                             int rc, const char *what);
/* Queue events for the group commit and wait for it (sqlite.c). */
enum yl_code yl_sqlite_queue_audit(struct yl_store_conn *c, struct yl_arena *a,
                                   const struct yl_audit_rec *ev, size_t n, struct yl_err *err);
/* Append events with the write lock held, inside the current transaction, chaining each
 * to the last stored one (sqlite-auth.c): SQLITE_OK or an SQLite code. */
int yl_sqlite_audit_insert(struct yl_store_conn *w, const struct yl_audit_rec *ev, size_t n);
/* Add the events appended since the last indexed one to the patient postings
 * (audit_by_patient, migration 0011), inside the transaction, just before it commits:
 * every commit of the writer runs it, a no-op unless *yl_sqlite_audit_pending(w). The
 * postings' high-water mark is in the store, so a commit that skipped it (or an older
 * binary's) is caught up by the next. SQLITE_OK or an SQLite code. */
int yl_sqlite_audit_index(struct yl_store_conn *w);
bool *yl_sqlite_audit_pending(struct yl_store_conn *w);

/* The identity and audit functions of store.h, SQLite's (sqlite-auth.c; sqlite.c's
 * yl_sqlite_ops lists them). */
enum yl_code yl_sq_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                            int64_t id, struct yl_user *out, struct yl_err *err);
enum yl_code yl_sq_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                            const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_sq_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn, void *ctx,
                             struct yl_err *err);
enum yl_code yl_sq_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                             struct yl_err *err);
enum yl_code yl_sq_token_put(struct yl_store_conn *c, struct yl_arena *a, const struct yl_token *t,
                             const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_sq_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                             struct yl_token *out, struct yl_err *err);
enum yl_code yl_sq_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                int64_t user_id, int64_t at, int *n,
                                const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_sq_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              yl_token_fn fn, void *ctx, struct yl_err *err);
enum yl_code yl_sq_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                             const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_sq_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                              struct yl_err *err);
enum yl_code yl_sq_audit_append(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err);
enum yl_code yl_sq_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                              int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                              void *ctx, struct yl_err *err);

#endif
