/* patch.c -- JSON Patch (RFC 6902) over jansson values; see patch.h. */
#include "fhir/patch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct op {
	size_t index;
	const char *name; /* "add", ... */
	const char *path;
	struct yl_arena *a;
	struct yl_err *err;
};

static enum yl_code fail(const struct op *o, enum yl_code code, const char *why)
{
	return yl_err_add(o->err, o->a, code, NULL, "patch operation %zu (%s '%.200s'): %s",
	                  o->index, o->name ? o->name : "?", o->path ? o->path : "", why);
}

/* A JSON Pointer's reference tokens, unescaped (~1 is '/', ~0 is '~'); -1 if malformed. */
static int tokens(struct yl_arena *a, const char *p, char ***out, size_t *n)
{
	*n = 0;
	*out = NULL;
	if (!*p)
		return 0;
	if (*p != '/')
		return -1;
	size_t count = 0;
	for (const char *s = p; *s; s++)
		count += *s == '/';
	char **v = yl_arena_calloc(a, count, sizeof(char *));
	char *buf = yl_arena_alloc(a, strlen(p) + 1);
	if (!v || !buf)
		return -1;
	for (const char *s = p; *s == '/';) {
		s++;
		v[*n] = buf;
		while (*s && *s != '/') {
			if (*s == '~') {
				if (s[1] == '0')
					*buf++ = '~';
				else if (s[1] == '1')
					*buf++ = '/';
				else
					return -1;
				s += 2;
			} else {
				*buf++ = *s++;
			}
		}
		*buf++ = '\0';
		(*n)++;
	}
	*out = v;
	return 0;
}

/* An array index token: "0" or digits without a leading zero, below size (or equal to it,
 * and "-", when at_end is allowed). */
static bool array_index(const char *t, size_t size, bool at_end, size_t *out)
{
	if (at_end && strcmp(t, "-") == 0) {
		*out = size;
		return true;
	}
	if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) || strlen(t) > 9)
		return false;
	size_t i = (size_t)strtoul(t, NULL, 10);
	if (i > size || (i == size && !at_end))
		return false;
	*out = i;
	return true;
}

/* The value the first n tokens name, or NULL. */
static json_t *walk(json_t *doc, char **tok, size_t n)
{
	json_t *cur = doc;
	for (size_t i = 0; cur && i < n; i++) {
		size_t k;
		if (json_is_object(cur))
			cur = json_object_get(cur, tok[i]);
		else if (json_is_array(cur) && array_index(tok[i], json_array_size(cur), false, &k))
			cur = json_array_get(cur, k);
		else
			cur = NULL;
	}
	return cur;
}

/* add: value is stolen */
static enum yl_code add(const struct op *o, json_t **doc, char **tok, size_t n, json_t *value)
{
	if (n == 0) {
		json_decref(*doc);
		*doc = value;
		return YL_OK;
	}
	json_t *parent = walk(*doc, tok, n - 1);
	size_t k;
	int rc = -1;
	if (json_is_object(parent))
		rc = json_object_set_new(parent, tok[n - 1], value);
	else if (json_is_array(parent) &&
	         array_index(tok[n - 1], json_array_size(parent), true, &k))
		rc = json_array_insert_new(parent, k, value);
	else
		json_decref(value);
	return rc == 0 ? YL_OK : fail(o, YL_INVALID_RESOURCE, "there is no such place to add to");
}

/* remove: returns the removed value (the caller's reference) or NULL */
static json_t *take(json_t *doc, char **tok, size_t n)
{
	if (n == 0)
		return NULL;
	json_t *parent = walk(doc, tok, n - 1), *v = NULL;
	size_t k;
	if (json_is_object(parent) && (v = json_object_get(parent, tok[n - 1]))) {
		json_incref(v);
		json_object_del(parent, tok[n - 1]);
	} else if (json_is_array(parent) &&
	           array_index(tok[n - 1], json_array_size(parent), false, &k)) {
		v = json_incref(json_array_get(parent, k));
		json_array_remove(parent, k);
	}
	return v;
}

static enum yl_code apply(struct op *o, json_t **doc, const json_t *step)
{
	if (!json_is_object(step))
		return fail(o, YL_BAD_REQUEST, "an operation must be a JSON object");
	o->name = json_string_value(json_object_get(step, "op"));
	o->path = json_string_value(json_object_get(step, "path"));
	if (!o->name)
		return fail(o, YL_BAD_REQUEST, "'op' is missing or not a string");
	if (!o->path)
		return fail(o, YL_BAD_REQUEST, "'path' is missing or not a string");
	char **tok, **ftok = NULL;
	size_t n, fn = 0;
	if (tokens(o->a, o->path, &tok, &n) != 0)
		return fail(o, YL_BAD_REQUEST, "'path' is not a JSON Pointer (RFC 6901)");
	const json_t *value = json_object_get(step, "value");
	const char *from = json_string_value(json_object_get(step, "from"));
	bool needs_value =
	    !strcmp(o->name, "add") || !strcmp(o->name, "replace") || !strcmp(o->name, "test");
	bool needs_from = !strcmp(o->name, "move") || !strcmp(o->name, "copy");
	if (!needs_value && !needs_from && strcmp(o->name, "remove") != 0)
		return fail(o, YL_BAD_REQUEST,
		            "unknown op: use add, remove, replace, move, copy or test");
	if (needs_value && !value)
		return fail(o, YL_BAD_REQUEST, "'value' is missing");
	if (needs_from && (!from || tokens(o->a, from, &ftok, &fn) != 0))
		return fail(o, YL_BAD_REQUEST, "'from' is missing or not a JSON Pointer");

	if (!strcmp(o->name, "add"))
		return add(o, doc, tok, n, json_deep_copy(value));
	if (!strcmp(o->name, "test")) {
		json_t *cur = walk(*doc, tok, n);
		if (!cur)
			return fail(o, YL_INVALID_RESOURCE, "the path is not there");
		return json_equal(cur, value) ? YL_OK
		                              : fail(o, YL_INVALID_RESOURCE, "the value differs");
	}
	if (!strcmp(o->name, "remove") || !strcmp(o->name, "replace")) {
		if (n == 0 && !strcmp(o->name, "replace"))
			return add(o, doc, tok, n, json_deep_copy(value));
		json_t *old = take(*doc, tok, n);
		if (!old)
			return fail(o, YL_INVALID_RESOURCE, "the path is not there");
		json_decref(old);
		return strcmp(o->name, "replace") ? YL_OK
		                                  : add(o, doc, tok, n, json_deep_copy(value));
	}
	/* move, copy */
	json_t *src = walk(*doc, ftok, fn);
	if (!src)
		return fail(o, YL_INVALID_RESOURCE, "'from' is not there");
	if (!strcmp(o->name, "copy"))
		return add(o, doc, tok, n, json_deep_copy(src));
	size_t fl = strlen(from);
	if (strncmp(o->path, from, fl) == 0 && o->path[fl] == '/')
		return fail(o, YL_INVALID_RESOURCE, "a value cannot move into itself");
	if (strcmp(o->path, from) == 0)
		return YL_OK;
	if (fn == 0)
		return fail(o, YL_INVALID_RESOURCE, "the whole document cannot move");
	return add(o, doc, tok, n, take(*doc, ftok, fn));
}

enum yl_code yl_json_patch(json_t **doc, const json_t *patch, struct yl_arena *a,
                           struct yl_err *err)
{
	if (!json_is_array(patch))
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "a JSON Patch document is an array of operations (RFC 6902)");
	for (size_t i = 0; i < json_array_size(patch); i++) {
		struct op o = {.index = i, .name = "?", .a = a, .err = err};
		enum yl_code code = apply(&o, doc, json_array_get(patch, i));
		if (code != YL_OK)
			return code;
	}
	return YL_OK;
}
