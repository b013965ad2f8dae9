/* jsonload.c -- JSON text into a jansson tree, lexed by yajl (see jsonload.h).
 *
 * yajl calls back per token; each value is added to the container on top of a stack as
 * soon as it starts (a container before its members), so only one member name is ever
 * pending. yajl is told not to check UTF-8: every string and name is checked here, once,
 * after yajl has decoded its escapes, and the escapes themselves are checked before the
 * parse (yajl would turn a lone surrogate into '?' or into an encoded surrogate), as are
 * the form feeds and vertical tabs yajl takes for white space. */
#include "fhir/jsonload.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#define MAX_DEPTH   2048 /* jansson's JSON_PARSER_MAX_DEPTH */
#define NAME_INLINE 128
#define NUM_INLINE  64

struct load {
	json_t **stack; /* open containers, innermost last */
	size_t depth, cap;
	json_t *root;
	char name_buf[NAME_INLINE]; /* the pending member name, NUL-terminated */
	char *name;                 /* name_buf, or malloc'd when longer */
	const char *why;            /* the reason a callback stopped the parse */
	yajl_handle h;
	size_t root_end; /* bytes up to the end of the top-level value */
	bool nomem;
};

/* Whether s[0..n) is UTF-8 as RFC 3629 has it (no overlong forms, no surrogates, nothing
 * past U+10FFFF) without U+0000, as jansson requires of strings and member names. */
static bool text_ok(const unsigned char *s, size_t n, const char **why)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c == 0) {
			*why = "a string holds U+0000, which is not accepted";
			return false;
		}
		size_t len;
		unsigned cp, min;
		if (c >= 0xC2 && c <= 0xDF)
			len = 2, cp = c & 0x1F, min = 0x80;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3, cp = c & 0x0F, min = 0x800;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4, cp = c & 0x07, min = 0x10000;
		else
			goto bad;
		if (n - i < len)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += len;
	}
	return true;
bad:
	*why = "a string is not valid UTF-8";
	return false;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Every \uXXXX escape that is a surrogate must be a high one followed by a low one.
 * Backslashes are only legal inside strings, where each starts a two-character (or
 * \uXXXX) escape, so a scan from the start that skips each escaped character sees them
 * all; malformed escapes are left to yajl. */
static bool escapes_ok(const char *p, size_t n, const char **why)
{
	const char *end = p + n, *b = p;
	while ((b = memchr(b, '\\', (size_t)(end - b))) != NULL) {
		if (end - b < 6 || b[1] != 'u') {
			b += 2;
			if (b >= end)
				break;
			continue;
		}
		int cp = hex4(b + 2);
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			goto bad;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			int lo = end - b >= 12 && b[6] == '\\' && b[7] == 'u' ? hex4(b + 8) : -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				goto bad;
			b += 12;
		} else {
			b += 6;
		}
	}
	return true;
bad:
	*why = "a \\u escape is a lone UTF-16 surrogate";
	return false;
}

/* Adds v (a new reference) where the parse stands: the root, the next element of the
 * array on top, or the pending member of the object on top. 0 stops the parse. */
static int add(struct load *l, json_t *v)
{
	if (!v) {
		l->nomem = true;
		return 0;
	}
	if (!l->depth) {
		l->root = v;
		return 1;
	}
	json_t *top = l->stack[l->depth - 1];
	if (json_is_array(top)) {
		if (json_array_append_new(top, v) == 0)
			return 1;
		l->nomem = true;
		return 0;
	}
	if (json_object_get(top, l->name)) {
		json_decref(v);
		l->why = "an object has the same member name twice";
		return 0;
	}
	if (json_object_set_new_nocheck(top, l->name, v) == 0)
		return 1;
	l->nomem = true;
	return 0;
}

static int open_container(struct load *l, json_t *c)
{
	if (!add(l, c))
		return 0;
	if (l->depth == MAX_DEPTH) {
		l->why = "nesting is deeper than 2048 levels";
		return 0;
	}
	if (l->depth == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		json_t **s = realloc(l->stack, cap * sizeof(*s));
		if (!s) {
			l->nomem = true;
			return 0;
		}
		l->stack = s;
		l->cap = cap;
	}
	l->stack[l->depth++] = c; /* borrowed: its parent (or root) holds the reference */
	return 1;
}

static int on_null(void *ctx)
{
	return add(ctx, json_null());
}

static int on_boolean(void *ctx, int v)
{
	return add(ctx, json_boolean(v));
}

/* As jansson: without '.', 'e' or 'E' an integer (refused beyond 64 bits), else a real
 * (refused when it overflows a double; an underflow is taken). */
static int on_number(void *ctx, const char *s, size_t n)
{
	struct load *l = ctx;
	char inline_buf[NUM_INLINE], *buf = inline_buf;
	if (n >= sizeof inline_buf && !(buf = malloc(n + 1))) {
		l->nomem = true;
		return 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	int ok = 0;
	errno = 0;
	if (!memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n)) {
		long long v = strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			l->why = "an integer is too big for 64 bits";
		else
			ok = add(l, json_integer(v));
	} else {
		double v = strtod(buf, NULL);
		if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
			l->why = "a number is too large for a double";
		else
			ok = add(l, json_real(v));
	}
	if (buf != inline_buf)
		free(buf);
	return ok;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct load *l = ctx;
	if (!text_ok(s, n, &l->why))
		return 0;
	return add(l, json_stringn_nocheck((const char *)s, n));
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, json_object());
}

static int on_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct load *l = ctx;
	if (!text_ok(s, n, &l->why))
		return 0;
	if (l->name != l->name_buf)
		free(l->name);
	l->name = l->name_buf;
	if (n >= sizeof l->name_buf && !(l->name = malloc(n + 1))) {
		l->name = l->name_buf;
		l->nomem = true;
		return 0;
	}
	memcpy(l->name, s, n);
	l->name[n] = '\0';
	return 1;
}

static int on_end(void *ctx)
{
	struct load *l = ctx;
	if (--l->depth == 0)
		l->root_end = yajl_get_bytes_consumed(l->h);
	return 1;
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, json_array());
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

/* yajl's message without its "parse error: " prefix and trailing newline */
static enum yl_code yajl_reason(yajl_handle h, struct yl_arena *a, size_t at, struct yl_err *err)
{
	unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
	const char *m = msg ? (const char *)msg : "malformed";
	if (strncmp(m, "parse error: ", 13) == 0)
		m += 13;
	enum yl_code code = yl_err_add(err, a, YL_MALFORMED_JSON, NULL,
	                               "not JSON: %.*s at byte %zu", (int)strcspn(m, "\n"), m, at);
	if (msg)
		yajl_free_error(h, msg);
	return code;
}

json_t *yl_json_load(struct yl_arena *a, const char *p, size_t n, struct yl_err *err)
{
	struct load l = {.name = NULL};
	l.name = l.name_buf;
	l.name_buf[0] = '\0';
	/* yajl takes \f and \v as white space; JSON has neither outside strings nor, raw,
	 * inside them */
	if (memchr(p, '\f', n) || memchr(p, '\v', n))
		l.why = "a form feed or vertical tab is not JSON white space";
	if (l.why || !escapes_ok(p, n, &l.why)) {
		yl_err_add(err, a, YL_MALFORMED_JSON, NULL, "not JSON: %s", l.why);
		return NULL;
	}
	yajl_handle h = yajl_alloc(&callbacks, NULL, &l);
	if (!h) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory parsing JSON");
		return NULL;
	}
	l.h = h;
	yajl_config(h, yajl_dont_validate_strings, 1); /* text_ok() checks, more strictly */
	yajl_status st = yajl_parse(h, (const unsigned char *)p, n);
	size_t at = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at = n;
	}
	if (st == yajl_status_ok && !json_is_object(l.root) && !json_is_array(l.root)) {
		l.why = "the text is not an object or an array";
		st = yajl_status_client_canceled;
	} else if (st == yajl_status_ok) {
		/* yajl ends at the top-level value when what follows is an unfinished token */
		at = l.root_end;
		while (at < n && (p[at] == ' ' || p[at] == '\t' || p[at] == '\n' || p[at] == '\r'))
			at++;
		if (at < n) {
			l.why = "text follows the top-level value";
			st = yajl_status_client_canceled;
		}
	}
	if (st != yajl_status_ok) {
		if (l.nomem)
			yl_err_add(err, a, YL_NOMEM, NULL, "out of memory parsing JSON");
		else if (st == yajl_status_client_canceled)
			yl_err_add(err, a, YL_MALFORMED_JSON, NULL, "not JSON: %s at byte %zu",
			           l.why ? l.why : "malformed", at);
		else
			yajl_reason(h, a, at, err);
		json_decref(l.root);
		l.root = NULL;
	}
	yajl_free(h);
	free(l.stack);
	if (l.name != l.name_buf)
		free(l.name);
	return l.root;
}
