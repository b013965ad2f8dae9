/* store.c -- store.h's functions, each passed to the backend that opened the store:
 * PostgreSQL for a "postgresql://" or "postgres://" URI (or a libpq "key=value"
 * connection string with dbname=), SQLite for a file path. */
#include <stdio.h>
#include <string.h>

#include "store/backend.h"
#include "store/store.h"

#define OPS(h) (((const struct yl_store_head *)(const void *)(h))->ops)

bool yl_store_is_pg(const char *where)
{
	return where &&
	       (strncmp(where, "postgresql://", 13) == 0 ||
	        strncmp(where, "postgres://", 11) == 0 || strstr(where, "dbname=") != NULL);
}

const char *yl_store_display(const char *where, struct yl_arena *a)
{
	if (!yl_store_is_pg(where))
		return where;
	/* postgresql://user:secret@host/db -> postgresql://user:***@host/db; password=... too.
	 * The user information is what the authority (after "://", up to / or ?) holds
	 * before its last '@'. */
	const char *scheme = strstr(where, "://");
	const char *auth = scheme ? scheme + 3 : NULL;
	size_t alen = auth ? strcspn(auth, "/?") : 0;
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	const char *shown = where;
	if (colon)
		shown = yl_arena_printf(a, "%.*s:***%s", (int)(colon - where), where, at);
	const char *pw = shown ? strstr(shown, "password=") : NULL;
	if (pw) {
		const char *end = pw + strcspn(pw, "& ");
		shown = yl_arena_printf(a, "%.*spassword=***%s", (int)(pw - shown), shown, end);
	}
	return shown ? shown : "(the PostgreSQL database)";
}

enum yl_code yl_store_check_version(const struct yl_write *w, bool exists, bool deleted,
                                    int64_t version, struct yl_arena *a, struct yl_err *err)
{
	bool live = exists && !deleted;
	if (w->op == YL_WRITE_CREATE && exists)
		return yl_err_add(err, a, YL_CONFLICT, NULL, "%s/%s already exists", w->type,
		                  w->id);
	if (w->op == YL_WRITE_DELETE && !exists)
		return yl_err_add(err, a, YL_NOT_FOUND, NULL, "%s/%s does not exist", w->type,
		                  w->id);
	if (w->if_match && (!live || version != w->if_match))
		return yl_err_add(
		    err, a, YL_PRECONDITION_FAILED, NULL,
		    "version conflict: If-Match asked for version %lld but the current "
		    "version of %s/%s is %s%lld; read it again and retry",
		    (long long)w->if_match, w->type, w->id, live ? "" : "none, last ",
		    (long long)version);
	return YL_OK;
}

static const struct yl_store_ops *backend_for(const char *where)
{
	return yl_store_is_pg(where) ? &yl_pg_ops : &yl_sqlite_ops;
}

enum yl_code yl_store_open(const char *path, struct yl_store **out, struct yl_arena *a,
                           struct yl_err *err)
{
	return backend_for(path)->open(path, out, NULL, a, err);
}

enum yl_code yl_store_open_for_load(const char *path, struct yl_store **out, bool *unfinished,
                                    struct yl_arena *a, struct yl_err *err)
{
	*unfinished = false;
	return backend_for(path)->open(path, out, unfinished, a, err);
}

const char *yl_store_backend(const struct yl_store *s)
{
	return OPS(s)->name;
}

void yl_store_close(struct yl_store *s)
{
	if (s)
		OPS(s)->close(s);
}

struct yl_store_conn *yl_store_conn(struct yl_store *s, struct yl_arena *a, struct yl_err *err)
{
	return OPS(s)->conn(s, a, err);
}

void yl_store_conn_release(struct yl_store *s)
{
	OPS(s)->conn_release(s);
}

void yl_store_set_cache(struct yl_store *s, int cache_mb)
{
	OPS(s)->set_cache(s, cache_mb);
}

enum yl_code yl_store_set_writer_cache(struct yl_store *s, int cache_mb, struct yl_arena *a,
                                       struct yl_err *err)
{
	return OPS(s)->set_writer_cache(s, cache_mb, a, err);
}

enum yl_code yl_store_prewarm(struct yl_store *s, int n, struct yl_arena *a, struct yl_err *err)
{
	return OPS(s)->prewarm(s, n, a, err);
}

int yl_store_schema_version(struct yl_store_conn *c)
{
	return OPS(c)->schema_version(c);
}

enum yl_code yl_store_read(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                           const char *id, int64_t version, struct yl_row *out, struct yl_err *err)
{
	return OPS(c)->read(c, a, type, id, version, out, err);
}

enum yl_code yl_store_write(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w,
                            struct yl_err *err)
{
	return OPS(c)->write(c, a, w, err);
}

enum yl_code yl_store_history(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                              const char *id, int64_t since_us, int64_t before, int limit,
                              yl_row_fn fn, void *ctx, struct yl_err *err)
{
	return OPS(c)->history(c, a, type, id, since_us, before, limit, fn, ctx, err);
}

enum yl_code yl_store_history_count(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                                    const char *id, int64_t since_us, int64_t *count,
                                    struct yl_err *err)
{
	return OPS(c)->history_count(c, a, type, id, since_us, count, err);
}

enum yl_code yl_store_changes(struct yl_store_conn *c, struct yl_arena *a, int64_t after, int limit,
                              yl_change_fn fn, void *ctx, struct yl_err *err)
{
	return OPS(c)->changes(c, a, after, limit, fn, ctx, err);
}

enum yl_code yl_store_last_seq(struct yl_store_conn *c, struct yl_arena *a, int64_t *seq,
                               struct yl_err *err)
{
	return OPS(c)->last_seq(c, a, seq, err);
}

void yl_store_watch(struct yl_store *s, void (*fn)(void *ctx), void *ctx)
{
	if (OPS(s)->watch)
		OPS(s)->watch(s, fn, ctx);
}

enum yl_code yl_store_scan(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                           const char *patient, int64_t since_us, int64_t after, int limit,
                           yl_row_fn fn, void *ctx, struct yl_err *err)
{
	return OPS(c)->scan(c, a, type, patient, since_us, after, limit, fn, ctx, err);
}

enum yl_code yl_store_search(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_search_plan *p, yl_row_fn fn, void *ctx,
                             int64_t *total, struct yl_err *err)
{
	return OPS(c)->search(c, a, p, fn, ctx, total, err);
}

enum yl_code yl_store_include(struct yl_store_conn *c, struct yl_arena *a,
                              const struct yl_include *inc, const struct yl_row *rows, size_t n,
                              yl_row_fn fn, void *ctx, struct yl_err *err)
{
	return OPS(c)->include(c, a, inc, rows, n, fn, ctx, err);
}

enum yl_code yl_store_meta_get(struct yl_store *s, struct yl_arena *a, const char *key,
                               const char **value, struct yl_err *err)
{
	return OPS(s)->meta_get(s, a, key, value, err);
}

enum yl_code yl_store_meta_set(struct yl_store *s, struct yl_arena *a, const char *key,
                               const char *value, struct yl_err *err)
{
	return OPS(s)->meta_set(s, a, key, value, err);
}

bool yl_store_is_empty(struct yl_store *s)
{
	return OPS(s)->is_empty(s);
}

enum yl_code yl_store_defer_indexes(struct yl_store *s, int *n, struct yl_arena *a,
                                    struct yl_err *err)
{
	return OPS(s)->defer_indexes(s, n, a, err);
}

enum yl_code yl_store_build_deferred(struct yl_store *s, yl_build_progress_fn progress, void *ctx,
                                     int *n, struct yl_arena *a, struct yl_err *err)
{
	return OPS(s)->build_deferred(s, progress, ctx, n, a, err);
}

enum yl_code yl_store_bulk_exclusive(struct yl_store *s, bool on, bool *on_ok, struct yl_arena *a,
                                     struct yl_err *err)
{
	return OPS(s)->bulk_exclusive(s, on, on_ok, a, err);
}

enum yl_code yl_store_reindex(struct yl_store *s, yl_reindex_fn fn, void *ctx, int64_t *count,
                              struct yl_err *err, struct yl_arena *a)
{
	return OPS(s)->reindex(s, fn, ctx, count, err, a);
}

enum yl_code yl_store_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                               int64_t id, struct yl_user *out, struct yl_err *err)
{
	return OPS(c)->user_get(c, a, username, id, out, err);
}

enum yl_code yl_store_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                               const struct yl_audit_rec *audit, struct yl_err *err)
{
	return OPS(c)->user_put(c, a, u, audit, err);
}

enum yl_code yl_store_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn,
                                void *ctx, struct yl_err *err)
{
	return OPS(c)->user_list(c, a, fn, ctx, err);
}

enum yl_code yl_store_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                                struct yl_err *err)
{
	return OPS(c)->user_none(c, a, none, err);
}

enum yl_code yl_store_token_put(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_token *t, const struct yl_audit_rec *audit,
                                struct yl_err *err)
{
	return OPS(c)->token_put(c, a, t, audit, err);
}

enum yl_code yl_store_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                struct yl_token *out, struct yl_err *err)
{
	return OPS(c)->token_get(c, a, digest, out, err);
}

enum yl_code yl_store_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                   int64_t user_id, int64_t at, int *n,
                                   const struct yl_audit_rec *audit, struct yl_err *err)
{
	return OPS(c)->token_revoke(c, a, digest, user_id, at, n, audit, err);
}

enum yl_code yl_store_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                                 yl_token_fn fn, void *ctx, struct yl_err *err)
{
	return OPS(c)->token_list(c, a, user_id, fn, ctx, err);
}

enum yl_code yl_store_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                                const struct yl_audit_rec *audit, struct yl_err *err)
{
	return OPS(c)->grant_put(c, a, g, audit, err);
}

enum yl_code yl_store_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                                 int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                                 struct yl_err *err)
{
	return OPS(c)->grant_list(c, a, user_id, live_at, limit, fn, ctx, err);
}

enum yl_code yl_store_audit_append(struct yl_store_conn *c, struct yl_arena *a,
                                   const struct yl_audit_rec *ev, size_t n, struct yl_err *err)
{
	return n == 0 ? YL_OK : OPS(c)->audit_append(c, a, ev, n, err);
}

enum yl_code yl_store_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                                 int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                                 void *ctx, struct yl_err *err)
{
	return OPS(c)->audit_scan(c, a, patient, after, newest_first, limit, fn, ctx, err);
}

enum yl_code yl_store_begin(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	return OPS(c)->begin(c, a, err);
}

bool yl_store_in_transaction(const struct yl_store_conn *c)
{
	return OPS(c)->in_transaction(c);
}

enum yl_code yl_store_commit(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	return OPS(c)->commit(c, a, err);
}

void yl_store_rollback(struct yl_store_conn *c)
{
	OPS(c)->rollback(c);
}

void yl_store_hold_index(struct yl_store_conn *c)
{
	OPS(c)->hold_index(c);
}

enum yl_code yl_store_flush_index(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	return OPS(c)->flush_index(c, a, err);
}

enum yl_code yl_store_expect(struct yl_store_conn *c, struct yl_arena *a, const char *const *types,
                             const char *const *ids, size_t n, struct yl_err *err)
{
	return OPS(c)->expect && n ? OPS(c)->expect(c, a, types, ids, n, err) : YL_OK;
}
