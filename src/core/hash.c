/* hash.c -- FNV-1a over '|'-joined parts. */
#include "core/hash.h"

#include <stdarg.h>
#include <string.h>

uint64_t yl_hash_parts(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	uint64_t h = YL_HASH_INIT;
	for (int i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);
		if (i)
			h = yl_hash_add(h, "|", 1);
		if (s)
			h = yl_hash_add(h, s, strlen(s));
	}
	va_end(ap);
	return h;
}
