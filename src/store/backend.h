/* backend.h -- what a storage backend supplies behind store.h: one table of functions per
 * backend (store/sqlite.c yl_sqlite_ops, store/pg.c yl_pg_ops), which store.c calls through.
 * Each backend's store and connection structs begin with a `const struct yl_store_ops *`
 * (struct yl_store_head), so store.c finds the table from either handle without knowing
 * the rest. Every entry has the meaning store.h gives the function of the same name.
 * Not for use outside src/store/. */
#ifndef YL_STORE_BACKEND_H
#define YL_STORE_BACKEND_H

#include "store/store.h"

struct yl_store_ops {
	const char *name; /* "sqlite" | "postgresql" */
	/* unfinished: NULL for yl_store_open, else yl_store_open_for_load's */
	enum yl_code (*open)(const char *where, struct yl_store **out, bool *unfinished,
	                     struct yl_arena *a, struct yl_err *err);
	void (*close)(struct yl_store *s);
	struct yl_store_conn *(*conn)(struct yl_store *s, struct yl_arena *a, struct yl_err *err);
	void (*conn_release)(struct yl_store *s);
	void (*set_cache)(struct yl_store *s, int cache_mb);
	enum yl_code (*set_writer_cache)(struct yl_store *s, int cache_mb, struct yl_arena *a,
	                                 struct yl_err *err);
	enum yl_code (*prewarm)(struct yl_store *s, int n, struct yl_arena *a, struct yl_err *err);
	int (*schema_version)(struct yl_store_conn *c);
	enum yl_code (*read)(struct yl_store_conn *c, struct yl_arena *a, const char *type,
	                     const char *id, int64_t version, struct yl_row *out,
	                     struct yl_err *err);
	enum yl_code (*write)(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w,
	                      struct yl_err *err);
	enum yl_code (*history)(struct yl_store_conn *c, struct yl_arena *a, const char *type,
	                        const char *id, int64_t since_us, int64_t before, int limit,
	                        yl_row_fn fn, void *ctx, struct yl_err *err);
	enum yl_code (*history_count)(struct yl_store_conn *c, struct yl_arena *a, const char *type,
	                              const char *id, int64_t since_us, int64_t *count,
	                              struct yl_err *err);
	enum yl_code (*changes)(struct yl_store_conn *c, struct yl_arena *a, int64_t after,
	                        int limit, yl_change_fn fn, void *ctx, struct yl_err *err);
	enum yl_code (*last_seq)(struct yl_store_conn *c, struct yl_arena *a, int64_t *seq,
	                         struct yl_err *err);
	void (*watch)(struct yl_store *s, void (*fn)(void *ctx), void *ctx);
	enum yl_code (*scan)(struct yl_store_conn *c, struct yl_arena *a, const char *type,
	                     const char *patient, int64_t since_us, int64_t after, int limit,
	                     yl_row_fn fn, void *ctx, struct yl_err *err);
	enum yl_code (*search)(struct yl_store_conn *c, struct yl_arena *a,
	                       const struct yl_search_plan *p, yl_row_fn fn, void *ctx,
	                       int64_t *total, struct yl_err *err);
	enum yl_code (*include)(struct yl_store_conn *c, struct yl_arena *a,
	                        const struct yl_include *inc, const struct yl_row *rows, size_t n,
	                        yl_row_fn fn, void *ctx, struct yl_err *err);
	enum yl_code (*meta_get)(struct yl_store *s, struct yl_arena *a, const char *key,
	                         const char **value, struct yl_err *err);
	enum yl_code (*meta_set)(struct yl_store *s, struct yl_arena *a, const char *key,
	                         const char *value, struct yl_err *err);
	bool (*is_empty)(struct yl_store *s);
	enum yl_code (*defer_indexes)(struct yl_store *s, int *n, struct yl_arena *a,
	                              struct yl_err *err);
	enum yl_code (*build_deferred)(struct yl_store *s, yl_build_progress_fn progress, void *ctx,
	                               int *n, struct yl_arena *a, struct yl_err *err);
	enum yl_code (*bulk_exclusive)(struct yl_store *s, bool on, bool *on_ok, struct yl_arena *a,
	                               struct yl_err *err);
	enum yl_code (*reindex)(struct yl_store *s, yl_reindex_fn fn, void *ctx, int64_t *count,
	                        struct yl_err *err, struct yl_arena *a);
	enum yl_code (*user_get)(struct yl_store_conn *c, struct yl_arena *a, const char *username,
	                         int64_t id, struct yl_user *out, struct yl_err *err);
	enum yl_code (*user_put)(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
	                         const struct yl_audit_rec *audit, struct yl_err *err);
	enum yl_code (*user_list)(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn,
	                          void *ctx, struct yl_err *err);
	enum yl_code (*user_none)(struct yl_store_conn *c, struct yl_arena *a, bool *none,
	                          struct yl_err *err);
	enum yl_code (*token_put)(struct yl_store_conn *c, struct yl_arena *a,
	                          const struct yl_token *t, const struct yl_audit_rec *audit,
	                          struct yl_err *err);
	enum yl_code (*token_get)(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
	                          struct yl_token *out, struct yl_err *err);
	enum yl_code (*token_revoke)(struct yl_store_conn *c, struct yl_arena *a,
	                             const char *digest, int64_t user_id, int64_t at, int *n,
	                             const struct yl_audit_rec *audit, struct yl_err *err);
	enum yl_code (*token_list)(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
	                           yl_token_fn fn, void *ctx, struct yl_err *err);
	enum yl_code (*grant_put)(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
	                          const struct yl_audit_rec *audit, struct yl_err *err);
	enum yl_code (*grant_list)(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
	                           int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
	                           struct yl_err *err);
	enum yl_code (*audit_append)(struct yl_store_conn *c, struct yl_arena *a,
	                             const struct yl_audit_rec *ev, size_t n, struct yl_err *err);
	enum yl_code (*audit_scan)(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
	                           int64_t after, bool newest_first, int limit, yl_audit_fn fn,
	                           void *ctx, struct yl_err *err);
	enum yl_code (*begin)(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err);
	bool (*in_transaction)(const struct yl_store_conn *c);
	enum yl_code (*commit)(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err);
	void (*rollback)(struct yl_store_conn *c);
	void (*hold_index)(struct yl_store_conn *c);
	enum yl_code (*flush_index)(struct yl_store_conn *c, struct yl_arena *a,
	                            struct yl_err *err);
	/* optional (NULL: nothing to do) */
	enum yl_code (*expect)(struct yl_store_conn *c, struct yl_arena *a,
	                       const char *const *types, const char *const *ids, size_t n,
	                       struct yl_err *err);
};

/* The first member of every backend's store and connection. */
struct yl_store_head {
	const struct yl_store_ops *ops;
};

/* A write against the resource's current version (exists, deleted, version), the same for
 * every backend: create of an existing id -> YL_CONFLICT, delete of one never written ->
 * YL_NOT_FOUND, If-Match of another version -> YL_PRECONDITION_FAILED (store.c). */
enum yl_code yl_store_check_version(const struct yl_write *w, bool exists, bool deleted,
                                    int64_t version, struct yl_arena *a, struct yl_err *err);

extern const struct yl_store_ops yl_sqlite_ops;
extern const struct yl_store_ops yl_pg_ops;

#endif
