/* fuzz_dburl.c -- libFuzzer target for the --db address: which backend it names
 * (yl_store_is_pg), the form logs show (yl_store_display: a password never appears in
 * it), and the PostgreSQL connection string with yilian's partitions=N taken out
 * (yl_pg_conninfo: never longer than the address, no partitions= parameter left). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg-int.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *where = malloc(size + 1);
	if (!where)
		return 0;
	memcpy(where, data, size);
	where[size] = '\0';
	struct yl_arena *a = yl_arena_create(0);
	const char *shown = yl_store_display(where, a);
	if (!shown)
		abort();
	/* a URI's password (user:SECRET@host) is never shown */
	const char *scheme = strstr(where, "://");
	if (yl_store_is_pg(where) && scheme) {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?");
		const char *at = NULL;
		for (size_t i = 0; i < alen; i++)
			if (auth[i] == '@')
				at = auth + i;
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && at - colon > 1 && strstr(shown, "***") == NULL)
			abort();
	}
	if (yl_store_is_pg(where)) {
		int partitions = 0;
		char *ci = yl_pg_conninfo(where, &partitions);
		if (!ci || strlen(ci) > size)
			abort();
		/* yilian's own parameter never reaches libpq */
		const char *q = strncmp(where, "postgres", 8) == 0 ? strchr(ci, '?') : NULL;
		for (const char *p = q ? q + 1 : NULL; p;
		     p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
			if (strncmp(p, "partitions=", 11) == 0)
				abort();
		free(ci);
	}
	yl_arena_destroy(a);
	free(where);
	return 0;
}
