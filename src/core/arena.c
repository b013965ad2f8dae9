/* arena.c -- chunked bump allocator with deferred cleanups. */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN     16u
#define MIN_CHUNK 4096u

struct chunk {
	struct chunk *prev;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

struct yl_arena {
	struct chunk *head;
	struct cleanup *cleanups;
	size_t used;
	size_t next_size;
};

static struct chunk *chunk_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(struct chunk))
		return NULL;
	struct chunk *c = malloc(sizeof(struct chunk) + size);
	if (!c)
		return NULL;
	c->prev = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct yl_arena *yl_arena_create(size_t first_chunk)
{
	struct yl_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->next_size = first_chunk < MIN_CHUNK ? MIN_CHUNK : first_chunk;
	return a;
}

void yl_arena_destroy(struct yl_arena *a)
{
	if (!a)
		return;
	for (struct cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->p);
	struct chunk *ch = a->head;
	while (ch) {
		struct chunk *prev = ch->prev;
		free(ch);
		ch = prev;
	}
	free(a);
}

void yl_arena_reset(struct yl_arena *a)
{
	for (struct cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->p);
	a->cleanups = NULL;
	/* keep the newest (largest) chunk, emptied */
	struct chunk *keep = a->head, *ch = keep ? keep->prev : NULL;
	while (ch) {
		struct chunk *prev = ch->prev;
		free(ch);
		ch = prev;
	}
	if (keep) {
		keep->prev = NULL;
		keep->used = 0;
	}
	a->used = 0;
}

void *yl_arena_alloc(struct yl_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	struct chunk *c = a->head;
	if (!c || c->size - c->used < need) {
		size_t size = a->next_size;
		while (size < need) {
			if (size > SIZE_MAX / 2)
				return NULL;
			size *= 2;
		}
		struct chunk *nc = chunk_new(size);
		if (!nc)
			return NULL;
		nc->prev = c;
		a->head = nc;
		c = nc;
		if (a->next_size < (size_t)1 << 20)
			a->next_size *= 2;
	}
	void *p = c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

void *yl_arena_calloc(struct yl_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = yl_arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *yl_arena_strndup(struct yl_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = yl_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *yl_arena_strdup(struct yl_arena *a, const char *s)
{
	return yl_arena_strndup(a, s, strlen(s));
}

char *yl_arena_vprintf(struct yl_arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *p = yl_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *yl_arena_printf(struct yl_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = yl_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

int yl_arena_defer(struct yl_arena *a, void (*fn)(void *), void *p)
{
	struct cleanup *c = yl_arena_alloc(a, sizeof(*c));
	if (!c) {
		fn(p);
		return -1;
	}
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

size_t yl_arena_used(const struct yl_arena *a)
{
	return a->used;
}
