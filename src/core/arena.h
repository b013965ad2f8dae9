/* arena.h -- region allocator: one arena per request (or per job), freed at once.
 *
 * Memory: everything returned by yl_arena_* belongs to the arena and dies with
 * yl_arena_destroy(); never free() it. Non-memory resources (json_t, sqlite3_stmt)
 * register a cleanup with yl_arena_defer(); cleanups run in reverse order at destroy.
 * Threads: an arena is used by one thread at a time.
 * Errors: allocation functions return NULL on out-of-memory or size overflow;
 * yl_arena_destroy(NULL) is a no-op. */
#ifndef YL_ARENA_H
#define YL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct yl_arena;

struct yl_arena *yl_arena_create(size_t first_chunk);
void yl_arena_destroy(struct yl_arena *a);
/* Run the cleanups and forget everything allocated, keeping the largest chunk for reuse
 * (a long job's per-batch arena). */
void yl_arena_reset(struct yl_arena *a);

void *yl_arena_alloc(struct yl_arena *a, size_t n);
void *yl_arena_calloc(struct yl_arena *a, size_t count, size_t size);
char *yl_arena_strndup(struct yl_arena *a, const char *s, size_t n);
char *yl_arena_strdup(struct yl_arena *a, const char *s);
char *yl_arena_printf(struct yl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *yl_arena_vprintf(struct yl_arena *a, const char *fmt, va_list ap);

/* Run fn(p) when the arena is destroyed. Returns 0, or -1 on out-of-memory
 * (in which case fn(p) has already been run). */
int yl_arena_defer(struct yl_arena *a, void (*fn)(void *), void *p);

/* Bytes handed out so far (for limits and tests). */
size_t yl_arena_used(const struct yl_arena *a);

#endif
