/* validate.c -- structural validation of FHIR R4 JSON resources, driven by fhir/schema.h.
 *
 * One walk over the JSON tree: each object is checked against its type's sorted element
 * table (binary search per property), each primitive by a hand-written format checker
 * (no regex library). The location of the current value is kept in a fixed buffer and
 * copied into the arena only when an issue is reported, so a valid resource costs no
 * allocation at all. */
#include "fhir/validate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/time.h"
#include "fhir/schema.h"

#define PATH_CAP         512             /* expression buffer; longer paths are cut */
#define MAX_STRING       (1024u * 1024u) /* "Strings SHALL NOT exceed 1MB in size" */
#define MAX_NAME         128             /* longest element name we build `_name` for */
#define MAX_LISTED_CODES 12              /* list the allowed codes in a message up to this many */
#define NAME_SHOWN       64              /* unknown property names are cut to this many bytes */

struct ctx {
	struct yl_arena *a;
	struct yl_err *err;
	int issues;
	size_t plen;
	char path[PATH_CAP];
};

static bool full(const struct ctx *c)
{
	return c->issues > YL_FHIR_MAX_ISSUES;
}

static void issue(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void issue(struct ctx *c, const char *fmt, ...)
{
	if (full(c))
		return;
	const char *expr = c->plen ? c->path : NULL;
	c->issues++;
	if (c->issues > YL_FHIR_MAX_ISSUES) {
		yl_err_add(c->err, c->a, YL_INVALID_RESOURCE, NULL,
		           "more than %d problems: the rest were omitted", YL_FHIR_MAX_ISSUES);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	yl_err_vadd(c->err, c->a, YL_INVALID_RESOURCE, expr, fmt, ap);
	va_end(ap);
}

/* ---- expression (path) buffer ---- */

static void path_append(struct ctx *c, const char *s, size_t n)
{
	size_t room = PATH_CAP - 1 - c->plen;
	if (n > room)
		n = room;
	memcpy(c->path + c->plen, s, n);
	c->plen += n;
	c->path[c->plen] = '\0';
}

static size_t path_name(struct ctx *c, const char *name)
{
	size_t old = c->plen;
	if (c->plen)
		path_append(c, ".", 1);
	path_append(c, name, strlen(name));
	return old;
}

static size_t path_index(struct ctx *c, size_t i)
{
	char tmp[24];
	size_t n = sizeof(tmp);
	tmp[--n] = ']';
	do {
		tmp[--n] = (char)('0' + i % 10);
		i /= 10;
	} while (i && n > 1);
	tmp[--n] = '[';
	size_t old = c->plen;
	path_append(c, tmp + n, sizeof(tmp) - n);
	return old;
}

static void path_set(struct ctx *c, size_t len)
{
	c->plen = len;
	c->path[len] = '\0';
}

/* ---- primitive format checkers: s[0..n), n > 0 ---- */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date); returns bytes used, 0 if bad. */
static size_t scan_date(const char *s, size_t n, int *parts)
{
	if (n < 4 || !digits(s, 4))
		return 0;
	int y = num(s, 4);
	if (y == 0)
		return 0;
	*parts = 1;
	if (n == 4 || s[4] != '-')
		return 4;
	if (n < 7 || !digits(s + 5, 2))
		return 0;
	int m = num(s + 5, 2);
	if (m < 1 || m > 12)
		return 0;
	*parts = 2;
	if (n == 7 || s[7] != '-')
		return 7;
	if (n < 10 || !digits(s + 8, 2))
		return 0;
	int d = num(s + 8, 2);
	if (d < 1 || d > yl_days_in_month(y, m))
		return 0;
	*parts = 3;
	return 10;
}

/* HH:MM:SS(.fraction)? ; returns bytes used, 0 if bad. */
static size_t scan_time(const char *s, size_t n)
{
	if (n < 8 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) || s[5] != ':' ||
	    !digits(s + 6, 2))
		return 0;
	if (num(s, 2) > 23 || num(s + 3, 2) > 59 || num(s + 6, 2) > 60)
		return 0;
	size_t i = 8;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == start)
			return 0;
	}
	return i;
}

/* Z or (+|-)HH:MM with HH:MM up to 14:00; true if it is exactly s[0..n). */
static bool is_tz(const char *s, size_t n)
{
	if (n == 1)
		return s[0] == 'Z';
	if (n != 6 || (s[0] != '+' && s[0] != '-') || !digits(s + 1, 2) || s[3] != ':' ||
	    !digits(s + 4, 2))
		return false;
	int h = num(s + 1, 2), m = num(s + 4, 2);
	return m <= 59 && (h <= 13 || (h == 14 && m == 0));
}

/* date, then optionally (or, need_time, mandatorily) Thh:mm:ss(.f) and a zone. */
static bool date_time(const char *s, size_t n, bool allow_time, bool need_time)
{
	int parts = 0;
	size_t k = scan_date(s, n, &parts);
	if (!k)
		return false;
	if (k == n)
		return !need_time;
	if (!allow_time || parts != 3 || s[k] != 'T')
		return false;
	size_t t = scan_time(s + k + 1, n - k - 1);
	if (!t)
		return false;
	k += 1 + t;
	return is_tz(s + k, n - k);
}

static bool chk_date(const char *s, size_t n)
{
	return date_time(s, n, false, false);
}

static bool chk_datetime(const char *s, size_t n)
{
	return date_time(s, n, true, false);
}

static bool chk_instant(const char *s, size_t n)
{
	return date_time(s, n, true, true);
}

static bool chk_time(const char *s, size_t n)
{
	return scan_time(s, n) == n;
}

static bool chk_id(const char *s, size_t n)
{
	if (n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit(ch) ||
		      ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* ^[^\s]+(\s[^\s]+)*$ : no leading, trailing or doubled whitespace */
static bool chk_code(const char *s, size_t n)
{
	if (is_space(s[0]) || is_space(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (is_space(s[i]) && is_space(s[i - 1]))
			return false;
	return true;
}

/* ^\S*$ */
static bool chk_uri(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_space(s[i]))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);
	return n >= pn && memcmp(s, p, pn) == 0;
}

/* ^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$ */
static bool chk_oid(const char *s, size_t n)
{
	if (!has_prefix(s, n, "urn:oid:"))
		return false;
	size_t i = 8;
	if (i >= n || s[i] < '0' || s[i] > '2')
		return false;
	i++;
	int arcs = 0;
	while (i < n) {
		if (s[i] != '.' || i + 1 >= n || !is_digit(s[i + 1]))
			return false;
		i++;
		if (s[i] == '0' && i + 1 < n && is_digit(s[i + 1]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
		arcs++;
	}
	return arcs > 0;
}

/* ^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ */
static bool chk_uuid(const char *s, size_t n)
{
	if (n != 45 || !has_prefix(s, n, "urn:uuid:"))
		return false;
	for (size_t i = 9; i < n; i++) {
		size_t k = i - 9;
		if (k == 8 || k == 13 || k == 18 || k == 23) {
			if (s[i] != '-')
				return false;
		} else if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
			return false;
		}
	}
	return true;
}

/* RFC 4648 base64, whitespace allowed anywhere, padding only at the end */
static bool chk_base64(const char *s, size_t n)
{
	size_t count = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (is_space(ch))
			continue;
		if (ch == '=') {
			pad++;
		} else if (pad || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		                    is_digit(ch) || ch == '+' || ch == '/')) {
			return false;
		}
		count++;
	}
	return count > 0 && count % 4 == 0 && pad <= 2;
}

/* ^[ \r\n\t\S]+$ : any character but vertical tab and form feed; at most 1 MB */
static bool chk_string(const char *s, size_t n)
{
	if (n > MAX_STRING)
		return false;
	return !memchr(s, '\v', n) && !memchr(s, '\f', n);
}

static bool chk_any(const char *s, size_t n)
{
	(void)s;
	(void)n;
	return true;
}

enum json_kind { J_STRING, J_DECIMAL, J_INTEGER, J_BOOLEAN };

static const struct {
	const char *name;
	unsigned char json;
	bool (*check)(const char *s, size_t n);
	long long min; /* integers */
} prims[] = {
    [YL_FHIR_PRIM_NONE] = {"value", J_STRING, chk_any, 0},
    [YL_FHIR_PRIM_BASE64BINARY] = {"base64Binary", J_STRING, chk_base64, 0},
    [YL_FHIR_PRIM_BOOLEAN] = {"boolean", J_BOOLEAN, NULL, 0},
    [YL_FHIR_PRIM_CANONICAL] = {"canonical", J_STRING, chk_uri, 0},
    [YL_FHIR_PRIM_CODE] = {"code", J_STRING, chk_code, 0},
    [YL_FHIR_PRIM_DATE] = {"date", J_STRING, chk_date, 0},
    [YL_FHIR_PRIM_DATETIME] = {"dateTime", J_STRING, chk_datetime, 0},
    [YL_FHIR_PRIM_DECIMAL] = {"decimal", J_DECIMAL, NULL, 0},
    [YL_FHIR_PRIM_ID] = {"id", J_STRING, chk_id, 0},
    [YL_FHIR_PRIM_INSTANT] = {"instant", J_STRING, chk_instant, 0},
    [YL_FHIR_PRIM_INTEGER] = {"integer", J_INTEGER, NULL, INT32_MIN},
    [YL_FHIR_PRIM_MARKDOWN] = {"markdown", J_STRING, chk_string, 0},
    [YL_FHIR_PRIM_OID] = {"oid", J_STRING, chk_oid, 0},
    [YL_FHIR_PRIM_POSITIVEINT] = {"positiveInt", J_INTEGER, NULL, 1},
    [YL_FHIR_PRIM_STRING] = {"string", J_STRING, chk_string, 0},
    [YL_FHIR_PRIM_TIME] = {"time", J_STRING, chk_time, 0},
    [YL_FHIR_PRIM_UNSIGNEDINT] = {"unsignedInt", J_INTEGER, NULL, 0},
    [YL_FHIR_PRIM_URI] = {"uri", J_STRING, chk_uri, 0},
    [YL_FHIR_PRIM_URL] = {"url", J_STRING, chk_uri, 0},
    [YL_FHIR_PRIM_UUID] = {"uuid", J_STRING, chk_uuid, 0},
    [YL_FHIR_PRIM_XHTML] = {"xhtml", J_STRING, chk_any, 0},
};

static const char *const json_kind_names[] = {
    [J_STRING] = "a JSON string",
    [J_DECIMAL] = "a JSON number",
    [J_INTEGER] = "a JSON integer",
    [J_BOOLEAN] = "JSON true or false",
};

/* Reference.reference: Type/id, Type/id/_history/vid, absolute http(s) URL, #id,
 * urn:uuid:, urn:oid:, or a conditional reference Type?query (transaction bundles) */
static bool valid_reference(const char *s, size_t n)
{
	if (s[0] == '#')
		return n == 1 || chk_id(s + 1, n - 1);
	if (has_prefix(s, n, "urn:uuid:"))
		return chk_uuid(s, n);
	if (has_prefix(s, n, "urn:oid:"))
		return chk_oid(s, n);
	if (has_prefix(s, n, "http://") || has_prefix(s, n, "https://")) {
		const char *host = (const char *)memchr(s, '/', n) + 2;
		return host < s + n && *host != '/' && chk_uri(s, n);
	}
	const char *q = memchr(s, '?', n);
	const char *slash = memchr(s, '/', n);
	if (q && (!slash || q < slash)) /* conditional reference (transactions): Type?query */
		return yl_fhir_resource_type_index(s, (size_t)(q - s)) >= 0 && q + 1 < s + n &&
		       chk_uri(s, n);
	if (!slash || yl_fhir_resource_type_index(s, (size_t)(slash - s)) < 0)
		return false;
	const char *id = slash + 1, *end = s + n;
	const char *next = memchr(id, '/', (size_t)(end - id));
	if (!next)
		return id < end && chk_id(id, (size_t)(end - id));
	if (!chk_id(id, (size_t)(next - id)) || next == id)
		return false;
	const char *vid = next + 1;
	if (!has_prefix(vid, (size_t)(end - vid), "_history/"))
		return false;
	vid += 9;
	return vid < end && chk_id(vid, (size_t)(end - vid));
}

/* ---- the walk ---- */

static void check_object(struct ctx *c, const json_t *obj, const struct yl_fhir_type *t, int depth);
static void check_resource(struct ctx *c, const json_t *v, int depth, const char *expected);

static void report_enum(struct ctx *c, const char *name, unsigned enum_id)
{
	const struct yl_fhir_enum *en = &yl_fhir_enums[enum_id];
	if (en->count > MAX_LISTED_CODES) {
		issue(c, "element '%s' has a code outside its required value set", name);
		return;
	}
	char list[512];
	size_t len = 0;
	for (unsigned i = 0; i < en->count; i++) {
		const char *v = yl_fhir_str(yl_fhir_enum_values[en->first + i]);
		size_t vn = strlen(v);
		if (len + vn + 4 >= sizeof(list))
			break;
		if (i) {
			memcpy(list + len, " | ", 3);
			len += 3;
		}
		memcpy(list + len, v, vn);
		len += vn;
	}
	list[len] = '\0';
	issue(c, "element '%s' has a code outside its required value set (%s)", name, list);
}

static void check_primitive(struct ctx *c, const json_t *v, const struct yl_fhir_elem *e,
                            const char *name, unsigned prim)
{
	bool ok;
	switch (prims[prim].json) {
	case J_STRING:
		ok = json_is_string(v);
		break;
	case J_DECIMAL:
		ok = json_is_number(v);
		break;
	case J_INTEGER:
		ok = json_is_integer(v);
		break;
	default:
		ok = json_is_boolean(v);
		break;
	}
	if (!ok) {
		issue(c, "element '%s' must be %s", name, json_kind_names[prims[prim].json]);
		return;
	}
	if (prims[prim].json == J_INTEGER) {
		json_int_t i = json_integer_value(v);
		if (i < prims[prim].min || i > INT32_MAX)
			issue(c, "element '%s' is not a valid %s", name, prims[prim].name);
		return;
	}
	if (prims[prim].json != J_STRING)
		return;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0) {
		issue(c, "element '%s' must not be an empty string", name);
		return;
	}
	if (!prims[prim].check(s, n)) {
		issue(c, "element '%s' is not a valid %s", name, prims[prim].name);
		return;
	}
	if (e->enum_id && !yl_fhir_enum_has(e->enum_id, s, n)) {
		report_enum(c, name, e->enum_id);
		return;
	}
	if ((e->flags & YL_FHIR_ELEM_REFERENCE) && !valid_reference(s, n))
		issue(c,
		      "element '%s' is not a valid reference (expected Type/id, Type?query, an "
		      "absolute http(s) URL, '#id', 'urn:uuid:' or 'urn:oid:')",
		      name);
}

/* One value of element e (an array item or a single value); null is handled by callers. */
static void check_value(struct ctx *c, const json_t *v, const struct yl_fhir_elem *e,
                        const char *name, int depth)
{
	if (e->type == YL_FHIR_TYPE_ANY_RESOURCE) {
		check_resource(c, v, depth + 1, NULL);
		return;
	}
	const struct yl_fhir_type *t = &yl_fhir_types[e->type];
	if (t->kind == YL_FHIR_KIND_PRIMITIVE) {
		check_primitive(c, v, e, name, t->prim);
		return;
	}
	if (!json_is_object(v)) {
		issue(c, "element '%s' must be a JSON object", name);
		return;
	}
	check_object(c, v, t, depth + 1);
}

/* Is item i of the `_name` array of a primitive array present (so name[i] may be null)? */
static bool sibling_has(const json_t *sib, size_t i)
{
	const json_t *x = json_is_array(sib) ? json_array_get(sib, i) : NULL;
	return x && !json_is_null(x);
}

static const json_t *sibling_of(const json_t *obj, const char *name)
{
	char key[MAX_NAME + 2];
	size_t n = strlen(name);
	if (n > MAX_NAME)
		return NULL;
	key[0] = '_';
	memcpy(key + 1, name, n + 1);
	return json_object_get(obj, key);
}

static void check_element(struct ctx *c, const json_t *obj, const json_t *v,
                          const struct yl_fhir_elem *e, const char *name, int depth)
{
	size_t old = path_name(c, name);
	if (json_is_null(v)) {
		issue(c, "element '%s' must not be null", name);
	} else if (!(e->flags & YL_FHIR_ELEM_ARRAY)) {
		if (json_is_array(v))
			issue(c, "element '%s' must not be an array", name);
		else
			check_value(c, v, e, name, depth);
	} else if (!json_is_array(v)) {
		issue(c, "element '%s' must be an array", name);
	} else if (json_array_size(v) == 0) {
		issue(c, "element '%s' must not be an empty array", name);
	} else {
		bool prim = e->type != YL_FHIR_TYPE_ANY_RESOURCE &&
		            yl_fhir_types[e->type].kind == YL_FHIR_KIND_PRIMITIVE;
		const json_t *sib = prim ? sibling_of(obj, name) : NULL;
		size_t i;
		const json_t *item;
		json_array_foreach (v, i, item) {
			if (full(c))
				break;
			size_t at = path_index(c, i);
			if (!json_is_null(item))
				check_value(c, item, e, name, depth);
			else if (!prim || !sibling_has(sib, i))
				issue(c, "element '%s' must not hold null%s", name,
				      prim ? " unless '_' sibling has extensions at the same index"
				           : "");
			path_set(c, at);
		}
	}
	path_set(c, old);
}

/* `_name`: an Element (or array of Element-or-null aligned with the primitive array) */
static void check_sibling(struct ctx *c, const json_t *sv, const json_t *pv,
                          const struct yl_fhir_elem *e, const char *name, int depth)
{
	const struct yl_fhir_type *el = &yl_fhir_types[yl_fhir_type_element];
	size_t old = path_name(c, name);
	if (!(e->flags & YL_FHIR_ELEM_ARRAY)) {
		if (json_is_object(sv))
			check_object(c, sv, el, depth + 1);
		else
			issue(c, "element '_%s' must be a JSON object", name);
	} else if (!json_is_array(sv)) {
		issue(c, "element '_%s' must be an array", name);
	} else if (json_array_size(sv) == 0) {
		issue(c, "element '_%s' must not be an empty array", name);
	} else {
		if (json_is_array(pv) && json_array_size(pv) != json_array_size(sv))
			issue(c, "element '_%s' must have as many items as '%s'", name, name);
		size_t i;
		const json_t *item;
		json_array_foreach (sv, i, item) {
			if (full(c))
				break;
			size_t at = path_index(c, i);
			if (json_is_object(item))
				check_object(c, item, el, depth + 1);
			else if (!json_is_null(item))
				issue(c, "element '_%s' must hold JSON objects or null", name);
			else if (!json_is_array(pv) || i >= json_array_size(pv) ||
			         json_is_null(json_array_get(pv, i)))
				issue(c, "element '_%s' holds null where '%s' has no value", name,
				      name);
			path_set(c, at);
		}
	}
	path_set(c, old);
}

static void check_required(struct ctx *c, const json_t *obj, const struct yl_fhir_type *t)
{
	for (unsigned i = 0; i < t->req_count; i++) {
		const struct yl_fhir_elem *e = &yl_fhir_elems[yl_fhir_required[t->first_req + i]];
		const char *name = yl_fhir_str(e->name);
		if (json_object_get(obj, name))
			continue;
		if (!(e->flags & YL_FHIR_ELEM_NO_EXT) && e->type != YL_FHIR_TYPE_ANY_RESOURCE &&
		    yl_fhir_types[e->type].kind == YL_FHIR_KIND_PRIMITIVE && sibling_of(obj, name))
			continue;
		size_t old = path_name(c, name);
		issue(c, "missing required element '%s'", name);
		path_set(c, old);
	}
}

static void unknown(struct ctx *c, const char *key, const struct yl_fhir_type *t)
{
	size_t n = strlen(key);
	size_t old = c->plen;
	if (c->plen)
		path_append(c, ".", 1);
	path_append(c, key, n > NAME_SHOWN ? NAME_SHOWN : n);
	issue(c, "unknown element '%.*s%s' in '%s'", (int)(n > NAME_SHOWN ? NAME_SHOWN : n), key,
	      n > NAME_SHOWN ? "..." : "", yl_fhir_str(t->name));
	path_set(c, old);
}

static void check_object(struct ctx *c, const json_t *obj, const struct yl_fhir_type *t, int depth)
{
	if (depth > YL_FHIR_MAX_DEPTH) {
		issue(c, "elements nested deeper than %d levels", YL_FHIR_MAX_DEPTH);
		return;
	}
	if (json_object_size(obj) == 0) {
		issue(c, "an element must not be an empty object");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)obj, key, v) {
		if (full(c))
			return;
		if (key[0] == '_') {
			const struct yl_fhir_elem *e =
			    yl_fhir_elem_find(t, key + 1, strlen(key + 1));
			if (!e || (e->flags & YL_FHIR_ELEM_NO_EXT) ||
			    e->type == YL_FHIR_TYPE_ANY_RESOURCE ||
			    yl_fhir_types[e->type].kind != YL_FHIR_KIND_PRIMITIVE)
				unknown(c, key, t);
			else
				check_sibling(c, v, json_object_get(obj, key + 1), e, key + 1,
				              depth);
			continue;
		}
		const struct yl_fhir_elem *e = yl_fhir_elem_find(t, key, strlen(key));
		if (e)
			check_element(c, obj, v, e, key, depth);
		else if (t->kind != YL_FHIR_KIND_RESOURCE || strcmp(key, "resourceType") != 0)
			unknown(c, key, t);
	}
	check_required(c, obj, t);
}

static void check_resource(struct ctx *c, const json_t *v, int depth, const char *expected)
{
	if (!json_is_object(v)) {
		issue(c, "a resource must be a JSON object");
		return;
	}
	const json_t *rt = json_object_get(v, "resourceType");
	int ri = json_is_string(rt)
	             ? yl_fhir_resource_type_index(json_string_value(rt), json_string_length(rt))
	             : -1;
	size_t old = c->plen;
	if (ri < 0 || (expected && strcmp(expected, yl_fhir_resource_types[ri]) != 0)) {
		path_name(c, "resourceType");
		if (!rt)
			issue(c, "missing 'resourceType'");
		else if (ri < 0)
			issue(c, "'resourceType' is not a known R4 resource type");
		else
			issue(c, "resource type '%s' does not match the expected '%s'",
			      yl_fhir_resource_types[ri], expected);
		path_set(c, old);
		return;
	}
	if (!c->plen)
		path_name(c, yl_fhir_resource_types[ri]);
	check_object(c, v, &yl_fhir_types[yl_fhir_resource_type_def[ri]], depth);
	path_set(c, old);
}

int yl_fhir_validate(struct yl_arena *a, const json_t *resource, const char *expected_type,
                     struct yl_err *err)
{
	struct ctx c;
	c.a = a;
	c.err = err;
	c.issues = 0;
	c.plen = 0;
	c.path[0] = '\0';
	if (expected_type &&
	    yl_fhir_resource_type_index(expected_type, strlen(expected_type)) < 0) {
		size_t n = strlen(expected_type);
		issue(&c, "'%.*s' is not a known R4 resource type",
		      (int)(n > NAME_SHOWN ? NAME_SHOWN : n), expected_type);
		return c.issues;
	}
	check_resource(&c, resource, 0, expected_type);
	return c.issues;
}
