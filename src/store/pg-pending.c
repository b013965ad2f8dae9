/* pg-pending.c -- weak stand-ins for the PostgreSQL backend functions of pg-auth.c and
 * pg-search.c while those are being written: each says the feature is not there yet.
 * The real (strong) definitions replace them at link time; this file goes when both
 * have landed. */
#include "store/pg-int.h"

#define PENDING(what)                                                                              \
	yl_err_add(err, a, YL_UNAVAILABLE, NULL, "%s is not yet available on PostgreSQL", what)

__attribute__((weak)) enum yl_code yl_pg_audit_insert(struct yl_store_conn *c, struct yl_arena *a,
                                                      const struct yl_audit_rec *ev, size_t n,
                                                      struct yl_err *err)
{
	(void)c, (void)ev, (void)n;
	return PENDING("the audit trail");
}
__attribute__((weak)) enum yl_code yl_pg_user_get(struct yl_store_conn *c, struct yl_arena *a,
                                                  const char *username, int64_t id,
                                                  struct yl_user *out, struct yl_err *err)
{
	(void)c, (void)username, (void)id, (void)out;
	return PENDING("accounts");
}
__attribute__((weak)) enum yl_code yl_pg_user_put(struct yl_store_conn *c, struct yl_arena *a,
                                                  struct yl_user *u,
                                                  const struct yl_audit_rec *audit,
                                                  struct yl_err *err)
{
	(void)c, (void)u, (void)audit;
	return PENDING("accounts");
}
__attribute__((weak)) enum yl_code yl_pg_user_list(struct yl_store_conn *c, struct yl_arena *a,
                                                   yl_user_fn fn, void *ctx, struct yl_err *err)
{
	(void)c, (void)fn, (void)ctx;
	return PENDING("accounts");
}
__attribute__((weak)) enum yl_code yl_pg_user_none(struct yl_store_conn *c, struct yl_arena *a,
                                                   bool *none, struct yl_err *err)
{
	(void)c, (void)none;
	return PENDING("accounts");
}
__attribute__((weak)) enum yl_code yl_pg_token_put(struct yl_store_conn *c, struct yl_arena *a,
                                                   const struct yl_token *t,
                                                   const struct yl_audit_rec *audit,
                                                   struct yl_err *err)
{
	(void)c, (void)t, (void)audit;
	return PENDING("tokens");
}
__attribute__((weak)) enum yl_code yl_pg_token_get(struct yl_store_conn *c, struct yl_arena *a,
                                                   const char *digest, struct yl_token *out,
                                                   struct yl_err *err)
{
	(void)c, (void)digest, (void)out;
	return PENDING("tokens");
}
__attribute__((weak)) enum yl_code yl_pg_token_revoke(struct yl_store_conn *c, struct yl_arena *a,
                                                      const char *digest, int64_t user_id,
                                                      int64_t at, int *n,
                                                      const struct yl_audit_rec *audit,
                                                      struct yl_err *err)
{
	(void)c, (void)digest, (void)user_id, (void)at, (void)n, (void)audit;
	return PENDING("tokens");
}
__attribute__((weak)) enum yl_code yl_pg_token_list(struct yl_store_conn *c, struct yl_arena *a,
                                                    int64_t user_id, yl_token_fn fn, void *ctx,
                                                    struct yl_err *err)
{
	(void)c, (void)user_id, (void)fn, (void)ctx;
	return PENDING("tokens");
}
__attribute__((weak)) enum yl_code yl_pg_grant_put(struct yl_store_conn *c, struct yl_arena *a,
                                                   struct yl_grant *g,
                                                   const struct yl_audit_rec *audit,
                                                   struct yl_err *err)
{
	(void)c, (void)g, (void)audit;
	return PENDING("grants");
}
__attribute__((weak)) enum yl_code yl_pg_grant_list(struct yl_store_conn *c, struct yl_arena *a,
                                                    int64_t user_id, int64_t live_at, int limit,
                                                    yl_grant_fn fn, void *ctx, struct yl_err *err)
{
	(void)c, (void)user_id, (void)live_at, (void)limit, (void)fn, (void)ctx;
	return PENDING("grants");
}
__attribute__((weak)) enum yl_code yl_pg_audit_scan(struct yl_store_conn *c, struct yl_arena *a,
                                                    const char *patient, int64_t after,
                                                    bool newest_first, int limit, yl_audit_fn fn,
                                                    void *ctx, struct yl_err *err)
{
	(void)c, (void)patient, (void)after, (void)newest_first, (void)limit, (void)fn, (void)ctx;
	return PENDING("the audit trail");
}
__attribute__((weak)) enum yl_code yl_pg_search(struct yl_store_conn *c, struct yl_arena *a,
                                                const struct yl_search_plan *p, yl_row_fn fn,
                                                void *ctx, int64_t *total, struct yl_err *err)
{
	(void)c, (void)p, (void)fn, (void)ctx, (void)total;
	return PENDING("search");
}
__attribute__((weak)) enum yl_code yl_pg_include(struct yl_store_conn *c, struct yl_arena *a,
                                                 const struct yl_include *inc,
                                                 const struct yl_row *rows, size_t n,
                                                 yl_row_fn fn, void *ctx, struct yl_err *err)
{
	(void)c, (void)inc, (void)rows, (void)n, (void)fn, (void)ctx;
	return PENDING("_include");
}
