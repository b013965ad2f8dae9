/* hash.h -- 64-bit FNV-1a, for the search-index hash columns (param and value hashes).
 *
 * Stable across builds and platforms: the values are stored in the database, so changing
 * this function needs a reindex. Not for security. Pure functions; thread-safe. */
#ifndef YL_HASH_H
#define YL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define YL_HASH_INIT 0xcbf29ce484222325ULL

static inline uint64_t yl_hash_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Hash of the parts joined by '|' (a NULL part hashes as empty): yl_hash_parts(2, a, b). */
uint64_t yl_hash_parts(int n, ...);

/* As a signed value for SQL INTEGER columns. */
static inline int64_t yl_hash_sql(uint64_t h)
{
	return (int64_t)h;
}

#endif
