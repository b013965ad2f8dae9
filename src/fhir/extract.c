/* extract.c -- search-index rows from a parsed resource (see extract.h for the semantics).
 *
 * For each parameter of the resource's type (and the Resource-level ones) each generated
 * path is walked over the jansson tree: one json_object_getn() per step, arrays flattened,
 * the optional where() filter checked on the element it names. The leaf is handed to the
 * emitter of the parameter's type (a table indexed by enum yl_sp_type), which appends
 * rows. Composites run their two components under each base element into the same row
 * vector, pair them up, and drop the component rows again. A value indexed by several
 * parameters (Observation.code: code, combo-code and six composites) is computed once and
 * its rows copied (struct memo). The row vectors grow by doubling inside the arena; nothing
 * else is allocated but the strings of the rows. */
#include "fhir/extract.h"

#include <pthread.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/time.h"
#include "fhir/schema.h"
#include "fhir/searchparam.h"
#include "fhir/ucum.h"

#define UCUM_SYSTEM    "http://unitsofmeasure.org"
#define ISO4217_SYSTEM "urn:iso:std:iso:4217"
#define US_PER_SEC     1000000LL
#define US_PER_DAY     (86400LL * US_PER_SEC)
#define MAX_ID_LEN     64                 /* FHIR id: [A-Za-z0-9\-\.]{1,64} */
#define EXACT_INT_MAX  4503599627370496.0 /* 2^52: doubles below are exact with room to round */
#define FIRST_ROWS     64
#define MEMO_SLOTS     64 /* direct-mapped cache of the rows of one leaf value */

/* The same leaf value is often indexed by several parameters (Observation.code by code,
 * combo-code and six composites); its rows are computed once and copied afterwards. */
struct memo {
	const json_t *node;
	const void *emit;
	const char *target;
	int leaf;
	unsigned first, count; /* rows in ex.memo_rows */
};

struct ex {
	struct yl_arena *a;
	struct yl_index_row *rows;
	size_t n, cap;
	enum yl_code rc; /* sticky: YL_NOMEM or YL_TOO_LARGE */
	const char *type;
	const struct yl_searchparam *param;
	int64_t param_hash; /* of (type, param->code), computed with the first row */
	bool hashed;
	enum yl_index_kind kind; /* kind of the rows appended now */
	struct yl_index_row *memo_rows;
	size_t memo_n, memo_cap;
	struct memo memo[MEMO_SLOTS];
};

typedef void (*emit_fn)(struct ex *x, const json_t *v, const struct yl_sp_path *p);

/* ---- rows and strings ---- */

static struct yl_index_row *row_new(struct ex *x)
{
	if (x->rc)
		return NULL;
	if (x->n == x->cap) {
		if (x->n >= YL_EXTRACT_MAX_ROWS) {
			x->rc = YL_TOO_LARGE;
			return NULL;
		}
		size_t cap = x->cap ? x->cap * 2 : FIRST_ROWS;
		struct yl_index_row *r = yl_arena_alloc(x->a, cap * sizeof(*r));
		if (!r) {
			x->rc = YL_NOMEM;
			return NULL;
		}
		if (x->n)
			memcpy(r, x->rows, x->n * sizeof(*r));
		x->rows = r;
		x->cap = cap;
	}
	if (!x->hashed) {
		x->param_hash = yl_hash_sql(yl_hash_parts(2, x->type, x->param->code));
		x->hashed = true;
	}
	struct yl_index_row *r = &x->rows[x->n++];
	memset(r, 0, sizeof(*r));
	r->kind = x->kind;
	r->param_hash = x->param_hash;
	return r;
}

static const char *dup(struct ex *x, const char *s, size_t n)
{
	char *d = yl_arena_strndup(x->a, s, n);
	if (!d)
		x->rc = YL_NOMEM;
	return d;
}

static const char *dup_json(struct ex *x, const json_t *s)
{
	return s ? dup(x, json_string_value(s), json_string_length(s)) : NULL;
}

/* The member `key` of o when it is a non-empty string, else NULL. */
static const json_t *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) && json_string_length(v) ? v : NULL;
}

static int64_t hash2(const char *a, const char *b)
{
	return yl_hash_sql(yl_hash_parts(2, a ? a : "", b));
}

/* ---- shared helpers (public) ---- */

char *yl_fhir_fold(struct yl_arena *a, const char *s, size_t n)
{
	char *out = yl_arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0 && i + 1 < n) {
			unsigned cp = ((c & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
			if (cp >= 0x300 && cp <= 0x36F) { /* combining mark (NFD input) */
				i += 2;
				continue;
			}
			if (cp >= 0xC0 && cp < 0x180 && yl_sp_fold_latin[cp - 0xC0][0]) {
				const char *f = yl_sp_fold_latin[cp - 0xC0];
				out[o++] = f[0];
				if (f[1])
					out[o++] = f[1];
				i += 2;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	return out;
}

static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int yl_fhir_decimal_range(const char *s, size_t n, double *lo, double *hi)
{
	char buf[64];
	if (!s || n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	double v = strtod(buf, &end);
	if (end != buf + n || !isfinite(v) || buf[0] == ' ' || buf[0] == '+')
		return -1;
	long decimals = 0, exp10 = 0;
	const char *dot = memchr(buf, '.', n);
	const char *e = strpbrk(buf, "eE");
	if (dot)
		decimals = (e ? e : buf + n) - dot - 1;
	if (e)
		exp10 = strtol(e + 1, NULL, 10);
	double half = 0.5 * pow(10.0, (double)(exp10 - decimals));
	*lo = v - half;
	*hi = v + half;
	return 0;
}

/* Decimals of the shortest decimal text that reads back as v. Once v * 10^k reaches 2^52
 * the double holds no finer digits (15-16 significant ones), so k is the precision. */
static int shortest_decimals(double v)
{
	double a = fabs(v);
	for (int k = 0; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
		double m = a * p10[k];
		if (m >= EXACT_INT_MAX || nearbyint(m) / p10[k] == a)
			return k;
	}
	/* below 4.5e-7 with many digits: find the shortest %e text that round-trips */
	char buf[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, a);
		if (strtod(buf, NULL) == a) {
			const char *e = strchr(buf, 'e');
			long x = e ? strtol(e + 1, NULL, 10) : 0;
			return x >= p - 1 ? 0 : (int)(p - 1 - x);
		}
	}
	return 17;
}

void yl_fhir_number_range(const json_t *v, double *lo, double *hi)
{
	double d = json_number_value(v), half = 0.5;
	if (json_is_real(v))
		half = 0.5 * pow(10.0, -(double)shortest_decimals(d));
	*lo = d - half;
	*hi = d + half;
}

/* ---- token ---- */

static void token_add(struct ex *x, const json_t *system, const char *code, size_t code_len,
                      const json_t *text, int64_t type_hash)
{
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	r->system = dup_json(x, system);
	r->text = dup_json(x, text);
	r->type_hash = type_hash;
	if (code) {
		r->code = dup(x, code, code_len);
		if (r->code) {
			r->value_hash = hash2(r->system, r->code);
			r->code_hash = yl_hash_sql(yl_hash_parts(1, r->code));
		}
	}
}

static void token_coding(struct ex *x, const json_t *c)
{
	const json_t *code = jstr(c, "code");
	if (code)
		token_add(x, jstr(c, "system"), json_string_value(code), json_string_length(code),
		          jstr(c, "display"), 0);
}

static void token_concept(struct ex *x, const json_t *cc)
{
	const json_t *codings = json_object_get(cc, "coding");
	const json_t *text = jstr(cc, "text");
	bool text_seen = false;
	size_t i;
	const json_t *c;
	json_array_foreach (codings, i, c) {
		token_coding(x, c);
		const json_t *display = jstr(c, "display");
		if (text && display && json_equal(text, display))
			text_seen = true;
	}
	if (text && !text_seen)
		token_add(x, NULL, NULL, 0, text, 0);
}

static void token_identifier(struct ex *x, const json_t *id)
{
	const json_t *value = jstr(id, "value");
	if (!value)
		return;
	const json_t *type = json_object_get(id, "type");
	int64_t type_hash = 0;
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(type, "coding"), i, c) {
		const json_t *code = jstr(c, "code");
		if (code) {
			const json_t *sys = jstr(c, "system");
			type_hash =
			    hash2(sys ? json_string_value(sys) : NULL, json_string_value(code));
			break;
		}
	}
	token_add(x, jstr(id, "system"), json_string_value(value), json_string_length(value),
	          jstr(type, "text"), type_hash);
}

static void emit_token(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	switch (p->leaf) {
	case YL_DT_CODING:
		token_coding(x, v);
		break;
	case YL_DT_CODEABLECONCEPT:
		token_concept(x, v);
		break;
	case YL_DT_IDENTIFIER:
		token_identifier(x, v);
		break;
	case YL_DT_CONTACTPOINT: {
		const json_t *value = jstr(v, "value");
		if (value)
			token_add(x, NULL, json_string_value(value), json_string_length(value),
			          NULL, 0);
		break;
	}
	case YL_DT_BOOLEAN:
		if (json_is_boolean(v))
			token_add(x, NULL, json_is_true(v) ? "true" : "false",
			          json_is_true(v) ? 4 : 5, NULL, 0);
		break;
	case YL_DT_DATETIME: /* a token over a dateTime is a presence test: Patient.deceased */
		if (json_is_string(v) && json_string_length(v))
			token_add(x, NULL, "true", 4, NULL, 0);
		break;
	default:
		if (json_is_string(v) && json_string_length(v))
			token_add(x, NULL, json_string_value(v), json_string_length(v), NULL, 0);
		break;
	}
}

/* ---- string ---- */

static void string_add(struct ex *x, const json_t *v)
{
	if (!json_is_string(v) || !json_string_length(v))
		return;
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	r->exact = dup_json(x, v);
	r->norm = yl_fhir_fold(x->a, json_string_value(v), json_string_length(v));
	if (!r->norm)
		x->rc = YL_NOMEM;
}

static void string_parts(struct ex *x, const json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(o, *keys);
		if (json_is_array(v)) {
			size_t i;
			const json_t *s;
			json_array_foreach (v, i, s)
				string_add(x, s);
		} else {
			string_add(x, v);
		}
	}
}

static void emit_string(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	static const char *const name_parts[] = {"family", "given", "prefix",
	                                         "suffix", "text",  NULL};
	static const char *const address_parts[] = {"line",       "city",    "district", "state",
	                                            "postalCode", "country", "text",     NULL};
	if (p->leaf == YL_DT_HUMANNAME)
		string_parts(x, v, name_parts);
	else if (p->leaf == YL_DT_ADDRESS)
		string_parts(x, v, address_parts);
	else
		string_add(x, v);
}

/* ---- date ---- */

static bool date_of(const json_t *v, int64_t *lo, int64_t *hi)
{
	return json_is_string(v) &&
	       !yl_parse_date_range(json_string_value(v), json_string_length(v), lo, hi);
}

static void date_add(struct ex *x, int64_t lo, int64_t hi)
{
	struct yl_index_row *r = row_new(x);
	if (r) {
		r->date_lo = lo;
		r->date_hi = hi;
	}
}

static void date_period(struct ex *x, const json_t *period)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX, ignore;
	bool has_start = date_of(json_object_get(period, "start"), &lo, &ignore);
	bool has_end = date_of(json_object_get(period, "end"), &ignore, &hi);
	if (has_start || has_end)
		date_add(x, lo, hi);
}

static void emit_date(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	int64_t lo, hi;
	size_t i;
	const json_t *e;
	switch (p->leaf) {
	case YL_DT_PERIOD:
		date_period(x, v);
		break;
	case YL_DT_TIMING:
		json_array_foreach (json_object_get(v, "event"), i, e) {
			if (date_of(e, &lo, &hi))
				date_add(x, lo, hi);
		}
		e = json_object_get(json_object_get(v, "repeat"), "boundsPeriod");
		if (e)
			date_period(x, e);
		break;
	default:
		if (date_of(v, &lo, &hi))
			date_add(x, lo, hi);
		break;
	}
}

/* ---- number and quantity ---- */

static void emit_number(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	(void)p;
	if (!json_is_number(v))
		return;
	struct yl_index_row *r = row_new(x);
	if (r)
		yl_fhir_number_range(v, &r->num_lo, &r->num_hi);
}

/* Units of q (a Quantity, or the low/high of a Range) and the canonical form. */
static void quantity_units(struct ex *x, struct yl_index_row *r, const json_t *q, bool money)
{
	if (money) {
		r->unit_system = ISO4217_SYSTEM;
		r->unit_code = dup_json(x, jstr(q, "currency"));
		return;
	}
	const json_t *system = jstr(q, "system"), *code = jstr(q, "code");
	r->unit_system = dup_json(x, system);
	r->unit_code = dup_json(x, code ? code : jstr(q, "unit"));
	const char *canon;
	double f;
	if (!system || !code || strcmp(json_string_value(system), UCUM_SYSTEM) ||
	    !yl_ucum_canonical(json_string_value(code), &canon, &f))
		return;
	r->canon_code = dup(x, canon, strlen(canon));
	r->canon_lo = r->num_lo == -DBL_MAX ? -DBL_MAX : r->num_lo * f;
	r->canon_hi = r->num_hi == DBL_MAX ? DBL_MAX : r->num_hi * f;
}

static void quantity_simple(struct ex *x, const json_t *q, bool money)
{
	const json_t *value = json_object_get(q, "value");
	if (!json_is_number(value))
		return;
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	yl_fhir_number_range(value, &r->num_lo, &r->num_hi);
	const json_t *cmp = jstr(q, "comparator");
	if (cmp && json_string_value(cmp)[0] == '<')
		r->num_lo = -DBL_MAX;
	else if (cmp && json_string_value(cmp)[0] == '>')
		r->num_hi = DBL_MAX;
	quantity_units(x, r, q, money);
}

static void quantity_range(struct ex *x, const json_t *range)
{
	const json_t *low = json_object_get(range, "low"), *high = json_object_get(range, "high");
	const json_t *lv = json_object_get(low, "value"), *hv = json_object_get(high, "value");
	if (!json_is_number(lv) && !json_is_number(hv))
		return;
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	double ignore;
	r->num_lo = -DBL_MAX;
	r->num_hi = DBL_MAX;
	if (json_is_number(lv))
		yl_fhir_number_range(lv, &r->num_lo, &ignore);
	if (json_is_number(hv))
		yl_fhir_number_range(hv, &ignore, &r->num_hi);
	quantity_units(x, r, json_is_number(lv) ? low : high, false);
}

static void emit_quantity(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	if (p->leaf == YL_DT_RANGE)
		quantity_range(x, v);
	else
		quantity_simple(x, v, p->leaf == YL_DT_MONEY);
}

/* ---- reference and uri ---- */

static bool id_ok(const char *s, size_t n)
{
	if (n == 0 || n > MAX_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static const char *last_slash(const char *s, size_t n)
{
	while (n--)
		if (s[n] == '/')
			return s + n;
	return NULL;
}

static bool has_scheme(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n && s[i] != '/'; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return true;
	return false;
}

/* Type/id from the last two segments of s[0..n) (after cutting "/_history/..."); whole:
 * the two segments must be all of s. Returns true and sets the spans when they look right. */
static bool split_type_id(const char *s, size_t n, bool whole, size_t *t, size_t *tn, size_t *id,
                          size_t *idn)
{
	for (size_t i = 0; i + 10 <= n; i++) {
		if (!memcmp(s + i, "/_history/", 10)) {
			n = i;
			break;
		}
	}
	const char *slash = n ? last_slash(s, n) : NULL;
	if (!slash)
		return false;
	size_t ti = (size_t)(slash - s);
	const char *prev = ti ? last_slash(s, ti) : NULL;
	size_t ts = prev ? (size_t)(prev - s) + 1 : 0;
	if (whole && prev)
		return false;
	*t = ts;
	*tn = ti - ts;
	*id = ti + 1;
	*idn = n - ti - 1;
	return yl_fhir_resource_type_index(s + *t, *tn) >= 0 && id_ok(s + *id, *idn);
}

/* One reference row for the text s[0..n) (a Reference.reference or a canonical/uri). */
static void reference_add(struct ex *x, const char *s, size_t n, const char *target)
{
	if (n == 0 || s[0] == '#')
		return;
	size_t t = 0, tn = 0, id = 0, idn = 0;
	bool typed = false;
	if (n >= 4 && !memcmp(s, "urn:", 4))
		typed = false;
	else if (has_scheme(s, n))
		typed = split_type_id(s, n, false, &t, &tn, &id, &idn);
	else
		typed = split_type_id(s, n, true, &t, &tn, &id, &idn);
	if (target && (!typed || strlen(target) != tn || memcmp(target, s + t, tn)))
		return;
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	r->ref_url = dup(x, s, n);
	if (typed) {
		r->ref_type = dup(x, s + t, tn);
		r->ref_id = dup(x, s + id, idn);
	}
}

static void emit_reference(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	if (p->leaf == YL_DT_REFERENCE) {
		const json_t *ref = jstr(v, "reference");
		if (ref)
			reference_add(x, json_string_value(ref), json_string_length(ref),
			              p->target);
		return;
	}
	if (!json_is_string(v))
		return;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	const char *bar = memchr(s, '|', n);
	reference_add(x, s, bar ? (size_t)(bar - s) : n, p->target);
}

static void emit_uri(struct ex *x, const json_t *v, const struct yl_sp_path *p)
{
	(void)p;
	if (!json_is_string(v) || !json_string_length(v))
		return;
	struct yl_index_row *r = row_new(x);
	if (r)
		r->uri = dup_json(x, v);
}

/* ---- walking ---- */

static void emit_composite(struct ex *x, const json_t *v, const struct yl_sp_path *p);

static const emit_fn emitters[] = {
    [YL_SP_NUMBER] = emit_number,
    [YL_SP_DATE] = emit_date,
    [YL_SP_STRING] = emit_string,
    [YL_SP_TOKEN] = emit_token,
    [YL_SP_REFERENCE] = emit_reference,
    [YL_SP_COMPOSITE] = emit_composite,
    [YL_SP_QUANTITY] = emit_quantity,
    [YL_SP_URI] = emit_uri,
    [YL_SP_SPECIAL] = NULL,
};

static const enum yl_index_kind kinds[] = {
    [YL_SP_NUMBER] = YL_IDX_NUMBER,       [YL_SP_DATE] = YL_IDX_DATE,
    [YL_SP_STRING] = YL_IDX_STRING,       [YL_SP_TOKEN] = YL_IDX_TOKEN,
    [YL_SP_REFERENCE] = YL_IDX_REFERENCE, [YL_SP_COMPOSITE] = YL_IDX_COMPOSITE,
    [YL_SP_QUANTITY] = YL_IDX_QUANTITY,   [YL_SP_URI] = YL_IDX_URI,
    [YL_SP_SPECIAL] = YL_IDX_TOKEN,
};

static bool where_ok(const json_t *node, const struct yl_sp_path *p)
{
	const json_t *m = json_object_get(node, p->where_member);
	return json_is_string(m) && !strcmp(json_string_value(m), p->where_value);
}

static struct memo *memo_slot(struct ex *x, const json_t *node, emit_fn emit,
                              const struct yl_sp_path *p)
{
	uintptr_t h = ((uintptr_t)node >> 4) ^ ((uintptr_t)node >> 10) ^ (uintptr_t)p->leaf;
	struct memo *m = &x->memo[h % MEMO_SLOTS];
	if (m->node == node && m->emit == (const void *)emit && m->leaf == (int)p->leaf &&
	    m->target == p->target)
		return m;
	return NULL;
}

static void memo_save(struct ex *x, const json_t *node, emit_fn emit, const struct yl_sp_path *p,
                      size_t first)
{
	size_t n = x->n - first;
	if (x->memo_n + n > x->memo_cap) {
		size_t cap = x->memo_cap ? x->memo_cap * 2 : FIRST_ROWS;
		while (cap < x->memo_n + n)
			cap *= 2;
		struct yl_index_row *r = yl_arena_alloc(x->a, cap * sizeof(*r));
		if (!r)
			return; /* no memo: only slower */
		if (x->memo_n)
			memcpy(r, x->memo_rows, x->memo_n * sizeof(*r));
		x->memo_rows = r;
		x->memo_cap = cap;
	}
	memcpy(&x->memo_rows[x->memo_n], &x->rows[first], n * sizeof(x->rows[0]));
	uintptr_t h = ((uintptr_t)node >> 4) ^ ((uintptr_t)node >> 10) ^ (uintptr_t)p->leaf;
	x->memo[h % MEMO_SLOTS] = (struct memo){node,         (const void *)emit,  p->target,
	                                        (int)p->leaf, (unsigned)x->memo_n, (unsigned)n};
	x->memo_n += n;
}

static void emit_memo(struct ex *x, const json_t *node, const struct yl_sp_path *p, emit_fn emit)
{
	if (emit == emit_composite) {
		emit(x, node, p);
		return;
	}
	const struct memo *m = memo_slot(x, node, emit, p);
	if (m) {
		for (unsigned i = 0; i < m->count; i++) {
			struct yl_index_row *r = row_new(x);
			if (!r)
				return;
			enum yl_index_kind kind = r->kind;
			int64_t hash = r->param_hash;
			*r = x->memo_rows[m->first + i];
			r->kind = kind;
			r->param_hash = hash;
		}
		return;
	}
	size_t first = x->n;
	emit(x, node, p);
	if (!x->rc && x->n > first)
		memo_save(x, node, emit, p, first);
}

/* Walk the rest of p->path (dotted) from node; `step` members taken so far. Arrays are
 * flattened one level (FHIR JSON has no nested arrays), so recursion is bounded by the
 * number of steps. */
static void visit(struct ex *x, const json_t *node, const char *rest, unsigned step,
                  const struct yl_sp_path *p, emit_fn emit)
{
	if (json_is_array(node)) {
		size_t i;
		const json_t *v;
		json_array_foreach (node, i, v) {
			if (!json_is_array(v))
				visit(x, v, rest, step, p, emit);
		}
		return;
	}
	if (p->where_depth && step == p->where_depth && !where_ok(node, p))
		return;
	if (!*rest) {
		emit_memo(x, node, p, emit);
		return;
	}
	if (!json_is_object(node))
		return;
	const char *dot = strchr(rest, '.');
	size_t len = dot ? (size_t)(dot - rest) : strlen(rest);
	const json_t *child = json_object_getn(node, rest, len);
	if (child)
		visit(x, child, rest + len + (dot ? 1 : 0), step + 1, p, emit);
}

static void visit_all(struct ex *x, const json_t *node, const struct yl_sp_path *paths, size_t n,
                      enum yl_sp_type t)
{
	for (size_t i = 0; i < n && !x->rc; i++)
		visit(x, node, paths[i].path, 0, &paths[i], emitters[t]);
}

/* Composite row from component rows c1 (token) and c2 (any), both already in x->rows. */
static void composite_pair(struct ex *x, size_t c1, size_t c2)
{
	struct yl_index_row *r = row_new(x);
	if (!r)
		return;
	const struct yl_index_row *a = &x->rows[c1], *b = &x->rows[c2];
	r->system = a->system;
	r->code = a->code;
	r->text = a->text;
	r->value_hash = a->value_hash;
	r->code_hash = a->code_hash;
	r->comp_kind = b->kind;
	r->comp_value_hash = b->value_hash;
	r->comp_code_hash = b->code_hash;
	r->num_lo = b->num_lo;
	r->num_hi = b->num_hi;
	r->unit_system = b->unit_system;
	r->unit_code = b->unit_code;
	r->canon_lo = b->canon_lo;
	r->canon_hi = b->canon_hi;
	r->canon_code = b->canon_code;
	r->date_lo = b->date_lo;
	r->date_hi = b->date_hi;
	r->norm = b->norm;
	r->exact = b->exact;
}

static void emit_composite(struct ex *x, const json_t *base, const struct yl_sp_path *p)
{
	(void)p;
	const struct yl_searchparam *sp = x->param;
	const struct yl_sp_component *c = sp->comps;
	size_t s1 = x->n;
	x->kind = YL_IDX_TOKEN;
	visit_all(x, base, c[0].paths, c[0].npaths, c[0].type);
	size_t s2 = x->n;
	x->kind = kinds[c[1].type];
	visit_all(x, base, c[1].paths, c[1].npaths, c[1].type);
	size_t s3 = x->n;
	x->kind = YL_IDX_COMPOSITE;
	unsigned made = 0;
	for (size_t i = s1; i < s2 && !x->rc; i++) {
		if (!x->rows[i].code)
			continue; /* text-only token row */
		for (size_t j = s2; j < s3 && made < YL_EXTRACT_MAX_COMPOSITE; j++) {
			if (x->rows[j].kind == YL_IDX_TOKEN && !x->rows[j].code)
				continue;
			composite_pair(x, i, j);
			made++;
		}
	}
	if (x->rc || x->n == s1)
		return;
	memmove(&x->rows[s1], &x->rows[s3], (x->n - s3) * sizeof(x->rows[0]));
	x->n = s1 + (x->n - s3);
}

static void extract_params(struct ex *x, const json_t *res, const struct yl_searchparam *list,
                           size_t n)
{
	for (size_t i = 0; i < n && !x->rc; i++) {
		const struct yl_searchparam *sp = &list[i];
		if ((sp->flags & (YL_SP_NO_INDEX | YL_SP_UNION)) || !emitters[sp->type])
			continue;
		x->param = sp;
		x->hashed = false;
		x->kind = kinds[sp->type];
		visit_all(x, res, sp->paths, sp->npaths, sp->type);
	}
}

enum yl_code yl_fhir_extract(struct yl_arena *a, const char *type, const json_t *resource,
                             struct yl_index_row **rows, size_t *n, struct yl_err *err)
{
	*rows = NULL;
	*n = 0;
	if (!type || !json_is_object(resource))
		return YL_OK;
	struct ex x = {.a = a, .type = type};
	size_t count;
	const struct yl_searchparam *list = yl_searchparam_list(type, &count);
	extract_params(&x, resource, list, count);
	list = yl_searchparam_list("Resource", &count);
	extract_params(&x, resource, list, count);
	if (x.rc == YL_TOO_LARGE)
		return yl_err_add(err, a, x.rc, NULL,
		                  "the resource yields more than %d search "
		                  "index rows",
		                  YL_EXTRACT_MAX_ROWS);
	if (x.rc)
		return yl_err_add(err, a, x.rc, NULL, "out of memory extracting search index rows");
	*rows = x.rows;
	*n = x.n;
	return YL_OK;
}

/* ---- which table and extractor built a store's index rows --------------------------- */

/* Bump when extract.c indexes differently (new rows, other normalisation). */
#define YL_EXTRACT_VERSION 1

static uint64_t hash_str(uint64_t h, const char *s)
{
	h = yl_hash_add(h, s ? s : "", s ? strlen(s) + 1 : 1);
	return h;
}

static uint64_t hash_paths(uint64_t h, const struct yl_sp_path *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned nums[2] = {(unsigned)p[i].leaf, p[i].where_depth};
		h = hash_str(h, p[i].path);
		h = yl_hash_add(h, nums, sizeof nums);
		h = hash_str(hash_str(hash_str(h, p[i].where_member), p[i].where_value),
		             p[i].target);
	}
	return h;
}

static char fingerprint[24];
static pthread_once_t fingerprint_once = PTHREAD_ONCE_INIT;

static void fingerprint_compute(void)
{
	uint64_t h = YL_HASH_INIT;
	unsigned v = YL_EXTRACT_VERSION;
	h = yl_hash_add(h, &v, sizeof v);
	for (size_t i = 0; i < yl_searchparam_count; i++) {
		const struct yl_searchparam *sp = &yl_searchparams[i];
		unsigned nums[2] = {(unsigned)sp->type, sp->flags};
		h = hash_str(hash_str(h, sp->resource), sp->code);
		h = yl_hash_add(h, nums, sizeof nums);
		h = hash_paths(hash_str(h, sp->targets), sp->paths, sp->npaths);
		for (size_t k = 0; k < sp->ncomps; k++)
			h = hash_paths(hash_str(h, sp->comps[k].code), sp->comps[k].paths,
			               sp->comps[k].npaths);
	}
	snprintf(fingerprint, sizeof fingerprint, "%d-%016llx", YL_EXTRACT_VERSION,
	         (unsigned long long)h);
}

const char *yl_fhir_index_fingerprint(void)
{
	pthread_once(&fingerprint_once, fingerprint_compute);
	return fingerprint;
}

enum yl_code yl_fhir_index_check(struct yl_store *s, struct yl_arena *a, bool *stale,
                                 struct yl_err *err)
{
	const char *have = NULL;
	*stale = false;
	enum yl_code code = yl_store_meta_get(s, a, "index_fingerprint", &have, err);
	if (code != YL_OK)
		return code;
	if (have && strcmp(have, yl_fhir_index_fingerprint()) == 0)
		return YL_OK;
	if (!have && yl_store_is_empty(s)) /* a new store: its rows will be this build's */
		return yl_store_meta_set(s, a, "index_fingerprint", yl_fhir_index_fingerprint(),
		                         err);
	*stale = true;
	return YL_OK;
}
