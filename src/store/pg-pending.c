/* pg-pending.c -- weak stand-ins for the PostgreSQL backend functions of pg-search.c
 * while it is being written: each says the feature is not there yet. This file goes when
 * pg-search.c lands (a static library would keep a weak stand-in over a strong
 * definition in another member that nothing else pulls in). */
#include "store/pg-int.h"

#define PENDING(what)                                                                              \
	yl_err_add(err, a, YL_UNAVAILABLE, NULL, "%s is not yet available on PostgreSQL", what)

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
