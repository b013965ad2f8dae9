/* pg-int.h -- what the PostgreSQL backend's files share (store/pg.c owns the connections,
 * the statement cache, transactions, the group commit and the change-log writes;
 * store/pg-auth.c the identity and audit tables; store/pg-search.c searches, includes
 * and bulk-export scans). Not for use outside src/store/.
 *
 * Statements: every statement is kept prepared on its connection, named by a hash of its
 * text, and run with PQexecPrepared; results come in binary format (read them with the
 * yl_pg_col_* functions). Parameters are text except bodies (bytea, binary).
 * Errors: a failed statement returns NULL with err filled (enum yl_code, a message a user
 * can act on); PostgreSQL's own text goes to the log only. A connection that broke (the
 * server restarted) is reset at its next use outside a transaction; while the server is
 * away every call fails with YL_UNAVAILABLE (HTTP 503).
 * Memory: parameter arrays and copied values live in the caller's arena; a PGresult is the
 * caller's to PQclear(). */
#ifndef YL_PG_INT_H
#define YL_PG_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Transaction-level advisory locks (pg_advisory_xact_lock): taken in this order, held to
 * commit, by every node. CHANGES serialises change-log writes (seq order = commit order);
 * AUDIT the audit trail's appends (one hash chain). */
#define YL_PG_LOCK_CHANGES 0x796c0001
#define YL_PG_LOCK_AUDIT   0x796c0002

/* The libpq connection string of a --db address: `where` without yilian's own URI
 * parameter partitions=N, whose value (default 8) goes to *partitions. malloc'd; NULL when
 * out of memory. */
char *yl_pg_conninfo(const char *where, int *partitions);

/* The values of one statement's $1..$n. */
struct yl_pg_params {
	struct yl_arena *a;
	int n, cap;
	const char **v;
	int *len;
	int *fmt;
	bool nomem;
};
void yl_pg_params_init(struct yl_pg_params *p, struct yl_arena *a);
void yl_pg_add_int(struct yl_pg_params *p, int64_t v);
void yl_pg_add_real(struct yl_pg_params *p, double v);
void yl_pg_add_text(struct yl_pg_params *p, const char *s); /* NULL: SQL NULL */
void yl_pg_add_textn(struct yl_pg_params *p, const char *s, size_t n);
void yl_pg_add_bytes(struct yl_pg_params *p, const void *b, size_t n); /* bytea */

/* Run sql on c with p (may be NULL). Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK) or NULL with err filled: unique violation -> YL_CONFLICT, a lost or
 * refused connection -> YL_UNAVAILABLE, else YL_STORE, each saying `what` failed. */
PGresult *yl_pg_exec(struct yl_store_conn *c, struct yl_arena *a, const char *sql,
                     const struct yl_pg_params *p, const char *what, struct yl_err *err);
/* The same without a statement cache entry (DDL, one-off statements, several statements
 * in one text when p is NULL). */
PGresult *yl_pg_exec_once(struct yl_store_conn *c, struct yl_arena *a, const char *sql,
                          const struct yl_pg_params *p, const char *what, struct yl_err *err);

/* COPY ... FROM STDIN (FORMAT binary) of many rows (pg-copy.c): yl_pg_copy_row(b, n)
 * then n fields, row after row; yl_pg_copy_send() sends them under copy_sql (a COPY
 * statement naming the columns, in the fields' order and types: int8 for bigint, int4 for
 * int, float8, text, bytea) and empties b. Encoding errors (out of memory) are sticky and
 * reported by send.
 * Streamed: after yl_pg_copy_stream(b, db, copy_sql), the COPY starts with the first full
 * piece of rows and each piece goes to the server as it fills, so PostgreSQL stores rows
 * while the next are encoded; yl_pg_copy_send (same db and copy_sql) ends it. */
struct yl_pg_copy {
	char *p;
	size_t len, cap;
	size_t rows;
	bool nomem;
	bool header; /* the file header is in the buffer or sent */
	PGconn *db;  /* streaming to (NULL: everything at send) */
	const char *sql;
	bool open;   /* the COPY has begun on db */
	bool failed; /* starting it or sending a piece failed (reported by send) */
};
void yl_pg_copy_stream(struct yl_pg_copy *b, PGconn *db, const char *copy_sql);
void yl_pg_copy_row(struct yl_pg_copy *b, int nfields);
void yl_pg_copy_null(struct yl_pg_copy *b);
void yl_pg_copy_int8(struct yl_pg_copy *b, int64_t v);
void yl_pg_copy_int4(struct yl_pg_copy *b, int32_t v);
void yl_pg_copy_float8(struct yl_pg_copy *b, double v);
void yl_pg_copy_text(struct yl_pg_copy *b, const char *s); /* NULL: SQL NULL */
void yl_pg_copy_bytes(struct yl_pg_copy *b, const void *p, size_t n);
enum yl_code yl_pg_copy_send(PGconn *db, struct yl_arena *a, const char *copy_sql,
                             struct yl_pg_copy *b, struct yl_err *err);
void yl_pg_copy_reset(struct yl_pg_copy *b);
/* yl_pg_copy_send on c's connection (pg.c): YL_UNAVAILABLE when it is lost. */
enum yl_code yl_pg_copy_in(struct yl_store_conn *c, struct yl_arena *a, const char *copy_sql,
                           struct yl_pg_copy *b, struct yl_err *err);
void yl_pg_copy_free(struct yl_pg_copy *b);

/* Binary result columns. */
bool yl_pg_col_null(const PGresult *r, int row, int col);
int64_t yl_pg_col_int(const PGresult *r, int row, int col); /* int2/4/8, bool; NULL: 0 */
double yl_pg_col_real(const PGresult *r, int row, int col); /* float4/8, ints */
/* text/bytea as a NUL-terminated arena copy (NULL for SQL NULL); len may be NULL */
const char *yl_pg_col_text(struct yl_arena *a, const PGresult *r, int row, int col, size_t *len);
/* a body column (store/body.h packed bytes, or text) as JSON in the arena; NULL for SQL
 * NULL or an unreadable body */
const char *yl_pg_col_body(struct yl_arena *a, const PGresult *r, int row, int col, size_t *len);

/* Run fn inside one transaction on c (BEGIN .. COMMIT, or inside the transaction c is
 * already in: yl_store_begin), with `lock` (an advisory lock id, 0 for none) taken first;
 * audit (may be NULL) appended in the same transaction. fn returns YL_OK or a code with
 * err filled; anything else rolls back. */
typedef enum yl_code (*yl_pg_tx_fn)(struct yl_store_conn *c, struct yl_arena *a, void *ctx,
                                    struct yl_err *err);
enum yl_code yl_pg_in_tx(struct yl_store_conn *c, struct yl_arena *a, int64_t lock, yl_pg_tx_fn fn,
                         void *ctx, const struct yl_audit_rec *audit, const char *what,
                         struct yl_err *err);

/* Append n events to the audit trail inside the current transaction (pg-auth.c): takes
 * YL_PG_LOCK_AUDIT, reads the last event's seq and hash, chains and inserts. */
enum yl_code yl_pg_audit_insert(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err);

/* Append events to the trail (store.h yl_store_audit_append): pg.c, through the group
 * commit, or inside the caller's transaction. */
enum yl_code yl_pg_audit_append(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err);

/* The backend's functions of store.h that live in pg-auth.c and pg-search.c (pg.c's
 * yl_pg_ops lists them). */
enum yl_code yl_pg_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                            int64_t id, struct yl_user *out, struct yl_err *err);
enum yl_code yl_pg_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                            const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_pg_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn, void *ctx,
                             struct yl_err *err);
enum yl_code yl_pg_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                             struct yl_err *err);
enum yl_code yl_pg_token_put(struct yl_store_conn *c, struct yl_arena *a, const struct yl_token *t,
                             const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_pg_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                             struct yl_token *out, struct yl_err *err);
enum yl_code yl_pg_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                int64_t user_id, int64_t at, int *n,
                                const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_pg_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              yl_token_fn fn, void *ctx, struct yl_err *err);
enum yl_code yl_pg_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                             const struct yl_audit_rec *audit, struct yl_err *err);
enum yl_code yl_pg_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                              struct yl_err *err);
enum yl_code yl_pg_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                              int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                              void *ctx, struct yl_err *err);

enum yl_code yl_pg_search(struct yl_store_conn *c, struct yl_arena *a,
                          const struct yl_search_plan *p, yl_row_fn fn, void *ctx, int64_t *total,
                          struct yl_err *err);
enum yl_code yl_pg_include(struct yl_store_conn *c, struct yl_arena *a,
                           const struct yl_include *inc, const struct yl_row *rows, size_t n,
                           yl_row_fn fn, void *ctx, struct yl_err *err);

#endif
