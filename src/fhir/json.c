/* json.c -- limit scan, server-field rewrite and pretty-printing over JSON text. */
#include "fhir/json.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/time.h"
#include "fhir/limits.h"

enum yl_code yl_json_check_limits(const char *p, size_t n, struct yl_arena *a, struct yl_err *err)
{
	int depth = 0;
	if (memchr(p, '\0', n))
		return yl_err_add(err, a, YL_MALFORMED_JSON, NULL,
		                  "the body contains a NUL byte, which JSON does not allow");
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '"') {
			size_t start = ++i;
			bool escaped = false;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\') {
					escaped = true;
					i++;
				}
				i++;
			}
			/* A member name with an escape ("\u0069d") would slip past the rewrite of
			 * id and meta: FHIR names are plain ASCII, so refuse escapes in names. */
			size_t k = i + 1;
			while (k < n &&
			       (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
				k++;
			if (escaped && k < n && p[k] == ':')
				return yl_err_add(
				    err, a, YL_BAD_REQUEST, NULL,
				    "a JSON member name contains an escape sequence; FHIR "
				    "element names are plain ASCII");
			if (i - start > YL_MAX_STRING_BYTES)
				return yl_err_add(
				    err, a, YL_BAD_REQUEST, NULL,
				    "a JSON string is %zu bytes long, more than the limit "
				    "of %u bytes; send large content as a Binary resource",
				    i - start, YL_MAX_STRING_BYTES);
		} else if (c == '{' || c == '[') {
			if (++depth > YL_MAX_JSON_DEPTH)
				return yl_err_add(
				    err, a, YL_BAD_REQUEST, NULL,
				    "JSON nesting is deeper than the limit of %d levels",
				    YL_MAX_JSON_DEPTH);
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return YL_OK;
}

/* A cursor over JSON text that the parser has already accepted. */
struct lex {
	const char *p;
	size_t n;
	size_t i;
};

/* Ends a scalar token. NUL is not a delimiter (strchr would find the terminator): text
 * that reaches a lexer unchecked may hold one, and every loop must still move on. */
static bool is_delim(char c)
{
	return c && strchr(",:{}[] \t\r\n", c) != NULL;
}

static void skip_ws(struct lex *l)
{
	while (l->i < l->n && (l->p[l->i] == ' ' || l->p[l->i] == '\t' || l->p[l->i] == '\n' ||
	                       l->p[l->i] == '\r'))
		l->i++;
}

/* Length of the string token at l->i (including quotes). */
static size_t string_len(const struct lex *l)
{
	/* the first quote after an even run of backslashes (memchr: this pass is on the
	 * import's writer thread, and most strings have no escape) */
	const char *start = l->p + l->i + 1, *end = l->p + l->n, *q = start;
	while (q < end && (q = memchr(q, '"', (size_t)(end - q))) != NULL) {
		size_t bs = 0;
		while (q - bs > start && q[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			return (size_t)(q + 1 - l->p) - l->i;
		q++;
	}
	return l->n - l->i; /* never past the end */
}

static void out_add(struct yl_buf *b, const char *p, size_t n)
{
	if (b)
		yl_buf_add(b, p, n);
}

/* Copy one value compactly (whitespace dropped); with b NULL, only move past it. */
static void copy_value(struct lex *l, struct yl_buf *b)
{
	int depth = 0;
	do {
		skip_ws(l);
		if (l->i >= l->n)
			return;
		char c = l->p[l->i];
		if (c == '"') {
			size_t len = string_len(l);
			out_add(b, l->p + l->i, len);
			l->i += len;
		} else if (c == '{' || c == '[' || c == '}' || c == ']' || c == ',' || c == ':') {
			depth += c == '{' || c == '[' ? 1 : c == '}' || c == ']' ? -1 : 0;
			out_add(b, &c, 1);
			l->i++;
		} else {
			size_t s = l->i;
			while (l->i < l->n && !is_delim(l->p[l->i]))
				l->i++;
			out_add(b, l->p + s, l->i - s);
		}
		skip_ws(l);
	} while (depth > 0 && l->i < l->n);
}

static int key_is(const struct lex *l, size_t klen, const char *name)
{
	size_t n = strlen(name);
	return klen == n + 2 && memcmp(l->p + l->i + 1, name, n) == 0;
}

/* Iterate members of the object at l->i; calls member(l, key_at, klen, ctx) with l->i at
 * the value. Returns -1 if l->i is not at an object. */
typedef void (*member_fn)(struct lex *l, size_t key_at, size_t klen, void *ctx);
static int each_member(struct lex *l, member_fn fn, void *ctx)
{
	skip_ws(l);
	if (l->i >= l->n || l->p[l->i] != '{')
		return -1;
	l->i++;
	for (;;) {
		skip_ws(l);
		if (l->i >= l->n)
			return -1;
		if (l->p[l->i] == '}') {
			l->i++;
			return 0;
		}
		if (l->p[l->i] == ',') {
			l->i++;
			continue;
		}
		if (l->p[l->i] != '"')
			return -1; /* not a member name: the text is not what the parser accepted */
		size_t key_at = l->i, klen = string_len(l);
		l->i += klen;
		skip_ws(l);
		l->i++; /* ':' */
		skip_ws(l);
		fn(l, key_at, klen, ctx);
	}
}

struct rewrite {
	struct yl_arena *a;
	struct yl_buf *b;
	size_t meta_at; /* offset of the meta object's value, 0 = none */
};

static void top_member(struct lex *l, size_t key_at, size_t klen, void *ctx)
{
	struct rewrite *rw = ctx;
	struct lex k = {l->p, l->n, key_at};
	if (key_is(&k, klen, "resourceType") || key_is(&k, klen, "id")) {
		copy_value(l, NULL);
		return;
	}
	if (key_is(&k, klen, "meta")) {
		rw->meta_at = l->i;
		copy_value(l, NULL);
		return;
	}
	yl_buf_addc(rw->b, ',');
	yl_buf_add(rw->b, l->p + key_at, klen);
	yl_buf_addc(rw->b, ':');
	copy_value(l, rw->b);
}

static void meta_member(struct lex *l, size_t key_at, size_t klen, void *ctx)
{
	struct rewrite *rw = ctx;
	struct lex k = {l->p, l->n, key_at};
	if (key_is(&k, klen, "versionId") || key_is(&k, klen, "lastUpdated")) {
		copy_value(l, NULL);
		return;
	}
	yl_buf_addc(rw->b, ',');
	yl_buf_add(rw->b, l->p + key_at, klen);
	yl_buf_addc(rw->b, ':');
	copy_value(l, rw->b);
}

char *yl_json_rewrite(struct yl_arena *a, const char *body, size_t len, const char *type,
                      const char *id, int64_t version, int64_t last_updated, size_t *out_len)
{
	struct yl_buf rest, out;
	yl_buf_init(&rest, a, len + 16, (size_t)-1);
	struct rewrite rw = {a, &rest, 0};
	struct lex l = {body, len, 0};
	if (each_member(&l, top_member, &rw) != 0)
		return NULL;
	char ts[YL_INSTANT_LEN];
	yl_format_instant(last_updated, ts);
	yl_buf_init(&out, a, rest.len + 160, (size_t)-1);
	yl_buf_adds(&out, "{\"resourceType\":");
	yl_buf_json_str(&out, type);
	yl_buf_adds(&out, ",\"id\":");
	yl_buf_json_str(&out, id);
	yl_buf_printf(&out, ",\"meta\":{\"versionId\":\"%lld\",\"lastUpdated\":\"%s\"",
	              (long long)version, ts);
	if (rw.meta_at) {
		struct lex m = {body, len, rw.meta_at};
		rw.b = &out;
		each_member(&m, meta_member, &rw);
	}
	yl_buf_addc(&out, '}');
	if (rest.err || !rest.p)
		return NULL;
	yl_buf_add(&out, rest.p, rest.len);
	yl_buf_addc(&out, '}');
	if (out.err)
		return NULL;
	*out_len = out.len;
	return out.p;
}

static void newline(struct yl_buf *b, int depth)
{
	yl_buf_addc(b, '\n');
	for (int i = 0; i < depth; i++)
		yl_buf_add(b, "  ", 2);
}

char *yl_json_pretty(struct yl_arena *a, const char *p, size_t n, size_t *out_len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, n * 2 + 16, (size_t)-1);
	struct lex l = {p, n, 0};
	int depth = 0;
	while (l.i < n) {
		char c = p[l.i];
		if (c == '"') {
			size_t len = string_len(&l);
			yl_buf_add(&b, p + l.i, len);
			l.i += len;
			continue;
		}
		l.i++;
		switch (c) {
		case '{':
		case '[': {
			size_t j = l.i;
			while (j < n && strchr(" \t\r\n", p[j]))
				j++;
			yl_buf_addc(&b, c);
			if (j < n && (p[j] == '}' || p[j] == ']')) {
				yl_buf_addc(&b, p[j]);
				l.i = j + 1;
			} else {
				newline(&b, ++depth);
			}
			break;
		}
		case '}':
		case ']':
			newline(&b, --depth);
			yl_buf_addc(&b, c);
			break;
		case ',':
			yl_buf_addc(&b, c);
			newline(&b, depth);
			break;
		case ':':
			yl_buf_add(&b, ": ", 2);
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			break;
		default:
			yl_buf_addc(&b, c);
		}
	}
	yl_buf_addc(&b, '\n');
	if (b.err)
		return NULL;
	*out_len = b.len;
	return b.p;
}

/* ---- spans and reference mapping (Bundles) -------------------------------------------- */

struct find {
	const char *name;
	struct yl_span *out;
	bool found;
};

static void find_member(struct lex *l, size_t key_at, size_t klen, void *ctx)
{
	struct find *f = ctx;
	struct lex k = {l->p, l->n, key_at};
	size_t at = l->i;
	copy_value(l, NULL);
	if (!f->found && key_is(&k, klen, f->name)) {
		size_t end = l->i;
		while (end > at && strchr(" \t\r\n", l->p[end - 1]))
			end--;
		*f->out = (struct yl_span){at, end - at};
		f->found = true;
	}
}

int yl_json_member(const char *p, size_t n, const char *name, struct yl_span *out)
{
	struct find f = {name, out, false};
	struct lex l = {p, n, 0};
	if (each_member(&l, find_member, &f) != 0 || !f.found)
		return -1;
	return 0;
}

long yl_json_elements(struct yl_arena *a, const char *p, size_t n, struct yl_span **out)
{
	struct lex l = {p, n, 0};
	skip_ws(&l);
	if (l.i >= n || p[l.i] != '[')
		return -1;
	l.i++;
	size_t count = 0, cap = 0;
	struct yl_span *v = NULL;
	for (;;) {
		skip_ws(&l);
		if (l.i >= n)
			return -1;
		if (p[l.i] == ']')
			break;
		if (p[l.i] == ',') {
			l.i++;
			continue;
		}
		size_t at = l.i;
		copy_value(&l, NULL);
		size_t end = l.i;
		while (end > at && strchr(" \t\r\n", p[end - 1]))
			end--;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct yl_span *nv = yl_arena_alloc(a, ncap * sizeof(*nv));
			if (!nv)
				return -1;
			if (count)
				memcpy(nv, v, count * sizeof(*nv));
			v = nv;
			cap = ncap;
		}
		v[count++] = (struct yl_span){at, end - at};
	}
	*out = v;
	return (long)count;
}

/* Copy one value compactly as copy_value does, passing each string value of a member named
 * "reference" through map. */
static int map_value(struct lex *l, struct yl_buf *b, yl_json_map_fn map, void *ctx)
{
	int depth = 0;
	bool is_ref = false; /* the last member name was "reference" */
	do {
		skip_ws(l);
		if (l->i >= l->n)
			return 0;
		char c = l->p[l->i];
		if (c == '"') {
			size_t len = string_len(l);
			size_t at = l->i;
			l->i += len;
			skip_ws(l);
			bool key = l->i < l->n && l->p[l->i] == ':';
			const char *to = NULL;
			if (!key && is_ref && len >= 2 && !memchr(l->p + at + 1, '\\', len - 2)) {
				int rc = map(ctx, l->p + at + 1, len - 2, &to);
				if (rc != 0)
					return rc;
			}
			if (to)
				yl_buf_json_str(b, to);
			else
				yl_buf_add(b, l->p + at, len);
			is_ref = key && len == 11 && memcmp(l->p + at, "\"reference\"", 11) == 0;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (strchr("{}[],:", c)) {
			yl_buf_addc(b, c);
			l->i++;
			if (c != ':')
				is_ref = false;
		} else {
			size_t s = l->i;
			while (l->i < l->n && !is_delim(l->p[l->i]))
				l->i++;
			yl_buf_add(b, l->p + s, l->i - s);
			is_ref = false;
		}
		skip_ws(l);
	} while (depth > 0 && l->i < l->n);
	return 0;
}

int yl_json_map_references(struct yl_arena *a, const char *p, size_t n, yl_json_map_fn map,
                           void *ctx, char **out, size_t *out_len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, n + 64, (size_t)-1);
	struct lex l = {p, n, 0};
	int rc = map_value(&l, &b, map, ctx);
	if (rc != 0)
		return rc;
	yl_buf_addc(&b, '\0');
	if (b.err || !b.p)
		return -1;
	*out = b.p;
	*out_len = b.len - 1;
	return 0;
}

/* ---- decimals through a parser that keeps doubles (JSON Patch) ------------------------ */

#define WRAP_MARK     "\xee\x80\x80" /* U+E000, a private-use character */
#define WRAP_MARK_LEN 3

int yl_json_wrap_numbers(struct yl_arena *a, const char *p, size_t n, char **out, size_t *out_len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, n + 64, (size_t)-1);
	struct lex l = {p, n, 0};
	while (l.i < l.n) {
		char c = p[l.i];
		if (c == '"') {
			size_t len = string_len(&l);
			if ((len > WRAP_MARK_LEN &&
			     memcmp(p + l.i + 1, WRAP_MARK, WRAP_MARK_LEN) == 0) ||
			    (len > 7 && strncasecmp(p + l.i + 1, "\\ue000", 6) == 0))
				return -2; /* a string that would read back as a number */
			yl_buf_add(&b, p + l.i, len);
			l.i += len;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t s = l.i;
			bool decimal = false;
			while (l.i < l.n && !is_delim(p[l.i]))
				decimal |= strchr(".eE", p[l.i++]) != NULL;
			if (decimal) {
				yl_buf_adds(&b, "\"" WRAP_MARK);
				yl_buf_add(&b, p + s, l.i - s);
				yl_buf_addc(&b, '"');
			} else {
				yl_buf_add(&b, p + s, l.i - s);
			}
		} else {
			yl_buf_addc(&b, c);
			l.i++;
		}
	}
	yl_buf_addc(&b, '\0');
	if (b.err || !b.p)
		return -1;
	*out = b.p;
	*out_len = b.len - 1;
	return 0;
}

int yl_json_unwrap_numbers(struct yl_arena *a, const char *p, size_t n, char **out, size_t *out_len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, n + 16, (size_t)-1);
	struct lex l = {p, n, 0};
	while (l.i < l.n) {
		if (p[l.i] != '"') {
			size_t s = l.i;
			while (l.i < l.n && p[l.i] != '"')
				l.i++;
			yl_buf_add(&b, p + s, l.i - s);
			continue;
		}
		size_t len = string_len(&l), at = l.i;
		l.i += len;
		skip_ws(&l);
		bool value = l.i >= l.n || p[l.i] != ':'; /* a member name never was a number */
		if (value && len > WRAP_MARK_LEN + 2 &&
		    memcmp(p + at + 1, WRAP_MARK, WRAP_MARK_LEN) == 0)
			yl_buf_add(&b, p + at + 1 + WRAP_MARK_LEN, len - 2 - WRAP_MARK_LEN);
		else
			yl_buf_add(&b, p + at, len);
	}
	yl_buf_addc(&b, '\0');
	if (b.err || !b.p)
		return -1;
	*out = b.p;
	*out_len = b.len - 1;
	return 0;
}

const char *yl_json_render(void *body, struct yl_arena *a, int64_t version, int64_t last_updated,
                           size_t *len)
{
	const struct yl_json_body *b = body;
	return yl_json_rewrite(a, b->text, b->len, b->type, b->id, version, last_updated, len);
}
