/* pg.c -- stub */
#include "store/backend.h"
static enum yl_code pg_open(const char *where, struct yl_store **out, bool *unfinished,
                            struct yl_arena *a, struct yl_err *err)
{
	(void)where; (void)out; (void)unfinished;
	return yl_err_add(err, a, YL_UNAVAILABLE, NULL, "postgresql: not built");
}
const struct yl_store_ops yl_pg_ops = {.name = "postgresql", .open = pg_open};
