/* search.c -- FHIR search parameters -> a store plan. */
#include "fhir/search.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/time.h"
#include "fhir/compartment.h"
#include "fhir/extract.h"
#include "fhir/limits.h"
#include "fhir/schema.h"
#include "fhir/searchparam.h"
#include "fhir/ucum.h"
#include "store/store.h"

#define MAX_VALUES  100 /* values of one parameter (comma-separated) */
#define UCUM_SYSTEM "http://unitsofmeasure.org"

/* Control parameters: handled here or by the handler, never a filter. */
static const char *const control_params[] = {
    "_count",  "_cursor",     "_elements",           "_format", "_include", "_include:iterate",
    "_pretty", "_revinclude", "_revinclude:iterate", "_sort",   "_summary", "_total",
    "_type"};

/* Parameters yilian does not answer: ignored (or 400 when strict), so a client sees from
 * the self link that they took no effect. */
static const char *const later_params[] = {"_content", "_filter", "_list", "_query", "_text"};

#define MAX_CHAIN 3 /* chained and _has levels */

struct ctx {
	struct yl_arena *a;
	struct yl_err *err;
	const char **types;
	size_t ntypes;
	const char *name; /* the parameter as sent, for messages and expression */
	const struct yl_search_opts *opts;
	int depth;
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static enum yl_code bad(struct ctx *c, const char *fmt, const char *v)
{
	return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name, fmt, c->name, v);
}

/* Split s on unescaped sep. keep_escapes: copy `\x` sequences as they are (the comma
 * split, whose parts are split again on | or $), else unescape \, \| \$ \\ in the parts. */
static size_t split_esc(struct yl_arena *a, const char *s, char sep, char **parts, size_t max,
                        bool keep_escapes)
{
	size_t n = 0, len = strlen(s);
	char *cur = yl_arena_alloc(a, len + 1);
	if (!cur)
		return 0;
	size_t j = 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 1 < len && strchr(",|$\\", s[i + 1])) {
			if (keep_escapes)
				cur[j++] = ch;
			cur[j++] = s[++i];
			continue;
		}
		if (ch == sep || ch == '\0') {
			if (n == max)
				return max + 1;
			cur[j] = '\0';
			parts[n++] = cur;
			cur += j + 1;
			j = 0;
			continue;
		}
		cur[j++] = ch;
	}
	return n;
}

static size_t split(struct yl_arena *a, const char *s, char sep, char **parts, size_t max)
{
	return split_esc(a, s, sep, parts, max, false);
}

/* s with its escapes removed (NULL on out-of-memory) */
static char *unescape(struct yl_arena *a, const char *s)
{
	char *p[1];
	return split_esc(a, s, '\0', p, 1, false) == 1 ? p[0] : NULL;
}

static const char *const prefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};

static const char *take_prefix(const char *v, enum yl_cmp *cmp)
{
	*cmp = YL_CMP_EQ;
	if (strlen(v) < 2 || !(v[0] >= 'a' && v[0] <= 'z'))
		return v;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (v[0] == prefixes[i][0] && v[1] == prefixes[i][1]) {
			*cmp = (enum yl_cmp)i;
			return v + 2;
		}
	return v;
}

/* ---- value parsers, one per parameter type ------------------------------------ */

static enum yl_code parse_date(struct ctx *c, const char *v, struct yl_pred_value *pv)
{
	const char *d = take_prefix(v, &pv->cmp);
	if (yl_parse_date_range(d, strlen(d), &pv->i_lo, &pv->i_hi) != 0)
		return bad(c,
		           "%s: '%.40s' is not a date, dateTime or instant with an optional "
		           "prefix (eq ne gt lt ge le sa eb ap)",
		           v);
	if (pv->cmp == YL_CMP_AP) { /* widen by 10% of the distance to now, at least a day */
		int64_t now = yl_now_us(), mid = pv->i_lo / 2 + pv->i_hi / 2;
		int64_t w = (now > mid ? now - mid : mid - now) / 10;
		if (w < 86400000000LL)
			w = 86400000000LL;
		pv->i_lo -= w;
		pv->i_hi += w;
	}
	return YL_OK;
}

static enum yl_code parse_number_text(struct ctx *c, const char *v, const char *num,
                                      struct yl_pred_value *pv)
{
	char *end;
	errno = 0;
	pv->d = strtod(num, &end);
	if (errno || end == num || *end || !isfinite(pv->d) ||
	    yl_fhir_decimal_range(num, strlen(num), &pv->d_lo, &pv->d_hi) != 0)
		return bad(c, "%s: '%.40s' is not a number with an optional prefix", v);
	if (pv->cmp == YL_CMP_AP) {
		double w = fabs(pv->d) * 0.1;
		pv->d_lo = pv->d - w;
		pv->d_hi = pv->d + w;
	}
	return YL_OK;
}

static enum yl_code parse_number(struct ctx *c, const char *v, struct yl_pred_value *pv)
{
	return parse_number_text(c, v, take_prefix(v, &pv->cmp), pv);
}

static enum yl_code parse_quantity(struct ctx *c, const char *v, struct yl_pred_value *pv)
{
	char *parts[4];
	size_t n = split(c->a, take_prefix(v, &pv->cmp), '|', parts, 3);
	if (n != 1 && n != 3)
		return bad(c, "%s: '%.40s' is not [prefix]number[|system|code]", v);
	enum yl_code code = parse_number_text(c, v, parts[0], pv);
	if (code != YL_OK || n == 1)
		return code;
	const char *system = parts[1], *unit = parts[2];
	const char *canon;
	double f;
	if (*unit && (!*system || strcmp(system, UCUM_SYSTEM) == 0) &&
	    yl_ucum_canonical(unit, &canon, &f)) {
		pv->canon = true;
		pv->s1 = canon;
		pv->d *= f;
		pv->d_lo *= f;
		pv->d_hi *= f;
		return YL_OK;
	}
	pv->s1 = *unit ? unit : NULL;
	pv->s2 = *system ? system : NULL;
	return YL_OK;
}

/* token forms: code | system|code | |code | system| */
static enum yl_code parse_token(struct ctx *c, const char *v, enum yl_match *m,
                                struct yl_pred_value *pv)
{
	char *parts[3];
	size_t n = split(c->a, v, '|', parts, 2);
	if (n == 1) {
		*m = YL_M_TOKEN_CODE;
		pv->h1 = yl_hash_sql(yl_hash_parts(1, parts[0]));
		return YL_OK;
	}
	if (n != 2)
		return bad(c, "%s: '%.40s' is not code, system|code, |code or system|", v);
	if (!*parts[1]) {
		*m = YL_M_TOKEN_SYSTEM;
		pv->s1 = parts[0];
		return YL_OK;
	}
	*m = YL_M_TOKEN_VALUE;
	pv->h1 = yl_hash_sql(yl_hash_parts(2, parts[0], parts[1]));
	pv->h2 = yl_hash_sql(yl_hash_parts(1, parts[1])); /* leads the token index */
	return YL_OK;
}

static enum yl_code parse_reference(struct ctx *c, const char *v, const char *type_mod,
                                    struct yl_pred_value *pv)
{
	const char *base = c->opts ? c->opts->base : NULL;
	size_t bl = base ? strlen(base) : 0;
	if (base) {
		pv->s4 = yl_arena_printf(c->a, "%s/", base);
		if (strncmp(v, base, bl) == 0 && v[bl] == '/')
			v += bl + 1; /* this server's absolute URL: the same as Type/id */
	}
	if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0 ||
	    strncmp(v, "urn:", 4) == 0) {
		pv->s3 = v;
		return YL_OK;
	}
	const char *slash = strchr(v, '/');
	if (slash) {
		pv->s1 = yl_arena_strndup(c->a, v, (size_t)(slash - v));
		pv->s2 = slash + 1;
		if (yl_fhir_resource_type_index(pv->s1, strlen(pv->s1)) < 0 || !*pv->s2 ||
		    strchr(pv->s2, '/'))
			return bad(c, "%s: '%.60s' is not Type/id, an id or an absolute URL", v);
		return YL_OK;
	}
	pv->s1 = type_mod;
	pv->s2 = v;
	if (!*v)
		return bad(c, "%s: '%.60s' is empty", v);
	return YL_OK;
}

static enum yl_code parse_composite(struct ctx *c, const struct yl_searchparam *sp, const char *v,
                                    enum yl_match *m, struct yl_pred_value *pv)
{
	char *parts[3];
	if (sp->ncomps != 2 || split(c->a, v, '$', parts, 2) != 2)
		return bad(c, "%s: '%.60s' is not a composite value a$b", v);
	enum yl_match m1;
	enum yl_code code = parse_token(c, parts[0], &m1, pv);
	if (code != YL_OK)
		return code;
	if (m1 == YL_M_TOKEN_CODE) {
		pv->h2 = pv->h1;
		pv->h1 = 0;
	} else if (m1 == YL_M_TOKEN_VALUE) {
		pv->h2 = 0; /* component 1 matches on value_hash alone */
	} else if (m1 != YL_M_TOKEN_VALUE) {
		return bad(c, "%s: the first part of '%.60s' must be code or system|code", v);
	}
	switch (sp->comps[1].type) {
	case YL_SP_QUANTITY:
		*m = YL_M_COMPOSITE_QUANTITY;
		return parse_quantity(c, parts[1], pv);
	case YL_SP_DATE:
		*m = YL_M_COMPOSITE_DATE;
		return parse_date(c, parts[1], pv);
	case YL_SP_TOKEN: {
		*m = YL_M_COMPOSITE_TOKEN;
		struct yl_pred_value t = {0};
		enum yl_match m2;
		if ((code = parse_token(c, parts[1], &m2, &t)) != YL_OK)
			return code;
		if (m2 == YL_M_TOKEN_VALUE)
			pv->h3 = t.h1;
		else if (m2 == YL_M_TOKEN_CODE)
			pv->h4 = t.h1;
		else
			return bad(c, "%s: the second part of '%.60s' must be code or system|code",
			           v);
		return YL_OK;
	}
	default:
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "composite parameter '%s' of this kind is not supported",
		                  sp->code);
	}
}

/* ---- one parameter ---------------------------------------------------------------- */

static const int kind_of_type[] = {
    [YL_SP_NUMBER] = YL_IDX_NUMBER,
    [YL_SP_DATE] = YL_IDX_DATE,
    [YL_SP_STRING] = YL_IDX_STRING,
    [YL_SP_TOKEN] = YL_IDX_TOKEN,
    [YL_SP_REFERENCE] = YL_IDX_REFERENCE,
    [YL_SP_COMPOSITE] = YL_IDX_COMPOSITE,
    [YL_SP_QUANTITY] = YL_IDX_QUANTITY,
    [YL_SP_URI] = YL_IDX_URI,
    [YL_SP_SPECIAL] = -1,
};

/* The match for a modifier of a parameter type; -1 when the modifier does not apply. */
static int modifier_match(enum yl_sp_type t, const char *mod, bool *negate)
{
	*negate = false;
	if (!mod)
		return t == YL_SP_STRING ? YL_M_STRING_START : t == YL_SP_URI ? YL_M_URI : -2;
	if (strcmp(mod, "missing") == 0)
		return YL_M_MISSING;
	switch (t) {
	case YL_SP_STRING:
		return strcmp(mod, "exact") == 0      ? YL_M_STRING_EXACT
		       : strcmp(mod, "contains") == 0 ? YL_M_STRING_CONTAINS
		                                      : -1;
	case YL_SP_TOKEN:
		if (strcmp(mod, "not") == 0 || strcmp(mod, "not-in") == 0) {
			*negate = true;
			return mod[3] ? -3 : -2;
		}
		if (strcmp(mod, "in") == 0)
			return -3;
		return strcmp(mod, "text") == 0      ? YL_M_TOKEN_TEXT
		       : strcmp(mod, "of-type") == 0 ? YL_M_TOKEN_OFTYPE
		                                     : -1;
	case YL_SP_URI:
		return strcmp(mod, "below") == 0   ? YL_M_URI_BELOW
		       : strcmp(mod, "above") == 0 ? YL_M_URI_ABOVE
		                                   : -1;
	case YL_SP_REFERENCE: /* :Type */
		return yl_fhir_resource_type_index(mod, strlen(mod)) >= 0 ? -2 : -1;
	default:
		return -1;
	}
}

static enum yl_code parse_value(struct ctx *c, const struct yl_searchparam *sp, int fixed,
                                const char *mod, const char *v, enum yl_match *m,
                                struct yl_pred_value *pv)
{
	if (fixed == YL_M_TOKEN_TEXT) {
		pv->s1 = yl_fhir_fold(c->a, v, strlen(v));
		return YL_OK;
	}
	if (fixed == YL_M_TOKEN_OFTYPE) {
		char *p[4];
		if (split(c->a, v, '|', p, 3) != 3)
			return bad(c, "%s: '%.60s' is not system|code|value", v);
		pv->h1 = yl_hash_sql(yl_hash_parts(2, p[0], p[1]));
		pv->h2 = yl_hash_sql(yl_hash_parts(1, p[2]));
		return YL_OK;
	}
	if (fixed >= 0) { /* string and uri matches */
		pv->s1 = fixed == YL_M_STRING_START || fixed == YL_M_STRING_CONTAINS
		             ? yl_fhir_fold(c->a, v, strlen(v))
		             : v;
		if (!*v)
			return bad(c, "%s: '%.40s' is empty", v);
		return YL_OK;
	}
	switch (sp->type) {
	case YL_SP_TOKEN:
		return parse_token(c, v, m, pv);
	case YL_SP_DATE:
		return parse_date(c, v, pv);
	case YL_SP_NUMBER:
		return parse_number(c, v, pv);
	case YL_SP_QUANTITY:
		return parse_quantity(c, v, pv);
	case YL_SP_REFERENCE:
		return parse_reference(c, v, mod, pv);
	case YL_SP_COMPOSITE:
		return parse_composite(c, sp, v, m, pv);
	default:
		return bad(c, "%s: parameter type not supported ('%.20s')", v);
	}
}

static const enum yl_match default_match[] = {
    [YL_SP_NUMBER] = YL_M_NUMBER,       [YL_SP_DATE] = YL_M_DATE,
    [YL_SP_STRING] = YL_M_STRING_START, [YL_SP_TOKEN] = YL_M_TOKEN_CODE,
    [YL_SP_REFERENCE] = YL_M_REFERENCE, [YL_SP_COMPOSITE] = YL_M_COMPOSITE_QUANTITY,
    [YL_SP_QUANTITY] = YL_M_QUANTITY,   [YL_SP_URI] = YL_M_URI,
    [YL_SP_SPECIAL] = YL_M_URI,
};

/* token:in=url / :not-in: the codes of a stored ValueSet (by canonical url), OR-ed. */
static enum yl_code in_valueset(struct ctx *c, struct yl_pred *p, const char *url)
{
	struct yl_vs_code *codes = NULL;
	size_t n = 0;
	if (!c->opts || !c->opts->valueset)
		return bad(c, "%s: ValueSets cannot be read here ('%.60s')", url);
	enum yl_code code = c->opts->valueset(c->opts->ctx, c->a, url, &codes, &n, c->err);
	if (code == YL_NOT_FOUND)
		return bad(c, "%s: no ValueSet with url '%.100s' is stored", url);
	if (code != YL_OK)
		return code;
	p->values = yl_arena_calloc(c->a, n ? n : 1, sizeof(*p->values));
	if (!p->values)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	p->match = YL_M_TOKEN_VALUE;
	for (size_t i = 0; i < n; i++) {
		struct yl_pred_value *v = &p->values[i];
		v->match = YL_M_TOKEN_VALUE;
		v->h1 = yl_hash_sql(
		    yl_hash_parts(2, codes[i].system ? codes[i].system : "", codes[i].code));
		v->h2 = yl_hash_sql(yl_hash_parts(1, codes[i].code));
	}
	p->nvalues = n;
	if (!n) { /* an empty value set: nothing is in it */
		p->nvalues = 1;
		p->values[0].match = YL_M_TOKEN_VALUE;
		p->values[0].h1 = 0;
	}
	return YL_OK;
}

/* Whether a date or number parameter indexes at most one row per resource: one path, every
 * step a single element (Patient.birthDate), so counts need no DISTINCT. */
/* Whether the dotted path from the type reaches at most one element (no array on it). */
static bool path_single(const char *type, const char *path)
{
	int t = yl_fhir_type_index(type, strlen(type));
	while (t >= 0 && *path) {
		size_t len = strcspn(path, ".");
		const struct yl_fhir_elem *e = yl_fhir_elem_find(&yl_fhir_types[t], path, len);
		if (!e || (e->flags & YL_FHIR_ELEM_ARRAY) || e->type == YL_FHIR_TYPE_ANY_RESOURCE)
			return false;
		t = e->type;
		path += len + (path[len] == '.');
	}
	return t >= 0;
}

static bool single_valued(const char *type, const struct yl_searchparam *sp)
{
	if (sp->npaths != 1 || sp->paths[0].where_depth || sp->paths[0].target)
		return false;
	switch (sp->paths[0].leaf) {
	case YL_DT_DATE:
	case YL_DT_DATETIME:
	case YL_DT_INSTANT:
	case YL_DT_PERIOD:
	case YL_DT_DECIMAL:
	case YL_DT_INTEGER:
		return path_single(type, sp->paths[0].path);
	default:
		return false;
	}
}

/* Whether a reference parameter of `type` reads the path whose Patient reference sets the
 * rows' `patient` column (fhir/compartment.h: the first compartment path), and reaches one
 * reference at most: then Patient/X on it means every match has patient X. */
static bool patient_key(const char *type, const struct yl_searchparam *sp)
{
	if (sp->type != YL_SP_REFERENCE || sp->npaths != 1 || sp->paths[0].where_depth ||
	    (sp->paths[0].target && strcmp(sp->paths[0].target, "Patient") != 0))
		return false;
	size_t n;
	const char *first = yl_fhir_patient_path(type, &n);
	return first && strlen(sp->paths[0].path) == n &&
	       strncmp(sp->paths[0].path, first, n) == 0 && path_single(type, sp->paths[0].path);
}

/* The parameter `code` over the search's types (OUT: *out, NULL when some type lacks it or
 * the types disagree on its type) and the index parameter hashes a predicate on it reads
 * (OUT: *hashes, *n): hash(type, code) per type, or for a union parameter (YL_SP_UNION) its
 * members'. */
static enum yl_code param_hashes(struct ctx *c, const char *code, const struct yl_searchparam **out,
                                 int64_t **hashes, size_t *n)
{
	const struct yl_searchparam *sp = NULL;
	*out = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct yl_searchparam *s = yl_searchparam_find(c->types[i], code);
		if (!s || (sp && s->type != sp->type))
			return YL_OK;
		sp = s;
		cap += 1;
		for (const char *u = s->union_of; u && *u; u++)
			cap += *u == ',';
	}
	*hashes = yl_arena_calloc(c->a, cap ? cap : 1, sizeof(int64_t));
	*n = 0;
	if (!*hashes)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct yl_searchparam *s = yl_searchparam_find(c->types[i], code);
		if (!s->union_of) {
			(*hashes)[(*n)++] = yl_hash_sql(yl_hash_parts(2, c->types[i], code));
			continue;
		}
		for (const char *u = s->union_of; *u;) {
			size_t l = strcspn(u, ",");
			char member[64];
			snprintf(member, sizeof member, "%.*s", (int)l, u);
			(*hashes)[(*n)++] = yl_hash_sql(yl_hash_parts(2, c->types[i], member));
			u += l + (u[l] == ',');
		}
	}
	*out = sp;
	return YL_OK;
}

/* Build the predicate for one parameter occurrence. Returns YL_OK, an error, or
 * YL_NOT_FOUND when the parameter is unknown for these types (to be ignored). */
static enum yl_code parse_param(struct ctx *c, const char *code, const char *mod, const char *value,
                                struct yl_pred *p)
{
	int64_t *hashes;
	size_t nhashes;
	const struct yl_searchparam *sp;
	enum yl_code rc = param_hashes(c, code, &sp, &hashes, &nhashes);
	if (rc != YL_OK)
		return rc;
	if (!sp || sp->type == YL_SP_SPECIAL)
		return YL_NOT_FOUND;
	bool negate = false;
	int fixed = modifier_match(sp->type, mod, &negate);
	if (fixed == -1)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "modifier ':%.30s' is not supported on %s parameter '%s'", mod,
		                  yl_sp_type_name(sp->type), code);
	bool is_id = sp->flags & YL_SP_NO_INDEX;
	if (is_id && fixed != -2 && !(strcmp(code, "_id") == 0 && negate))
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "modifier ':%.30s' is not supported on '%s'", mod, code);
	p->kind = kind_of_type[sp->type];
	p->single = c->ntypes == 1 && single_valued(c->types[0], sp);
	p->patient_key = c->ntypes == 1 && patient_key(c->types[0], sp);
	p->param_hash = hashes[0];
	p->params = hashes;
	p->nparams = nhashes;
	p->negate = negate;
	p->match = fixed >= 0 ? (enum yl_match)fixed : default_match[sp->type];
	if (fixed == -3)
		return in_valueset(c, p, value);
	if (is_id)
		p->match = strcmp(code, "_id") == 0 ? YL_M_ID : YL_M_LASTUPDATED;
	char *vals[MAX_VALUES + 1];
	/* escapes stay until the value's own parser splits it on | or $ */
	size_t n = split_esc(c->a, value, ',', vals, MAX_VALUES, true);
	if (n == 0 || n > MAX_VALUES)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "%s: between 1 and %d comma-separated values are accepted",
		                  c->name, MAX_VALUES);
	p->values = yl_arena_calloc(c->a, n, sizeof(*p->values));
	if (!p->values)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	p->nvalues = n;
	if (p->match == YL_M_MISSING) {
		if (n != 1 || (strcmp(vals[0], "true") != 0 && strcmp(vals[0], "false") != 0))
			return bad(c, "%s: ':missing' takes true or false, not '%.20s'", vals[0]);
		p->values[0].s1 = vals[0];
		return YL_OK;
	}
	bool splits_again = fixed == YL_M_TOKEN_OFTYPE ||
	                    (fixed < 0 && (sp->type == YL_SP_TOKEN || sp->type == YL_SP_QUANTITY ||
	                                   sp->type == YL_SP_COMPOSITE));
	for (size_t i = 0; i < n; i++) {
		enum yl_code r = YL_OK;
		enum yl_match m = p->match;
		if (!splits_again && !(vals[i] = unescape(c->a, vals[i])))
			return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
		if (p->match == YL_M_ID)
			p->values[i].s1 = vals[i];
		else if (p->match == YL_M_LASTUPDATED)
			r = parse_date(c, vals[i], &p->values[i]);
		else
			r = parse_value(c, sp, fixed, mod, vals[i], &m, &p->values[i]);
		if (r != YL_OK)
			return r;
		p->values[i].match = m; /* token forms and composites differ per value */
	}
	if (sp->type == YL_SP_COMPOSITE || (sp->type == YL_SP_TOKEN && fixed < 0))
		p->match = p->values[0].match;
	return YL_OK;
}

static enum yl_code parse_any(struct ctx *c, const char *name, const char *value,
                              struct yl_pred *p);

/* A plan for a chained or _has level: types[0..n) with the one predicate `name=value`. */
static enum yl_code sub_plan(struct ctx *c, const char **types, size_t n, const char *name,
                             const char *value, struct yl_search_plan **out)
{
	struct yl_search_plan *sp = yl_arena_calloc(c->a, 1, sizeof(*sp));
	struct yl_pred *pred = yl_arena_calloc(c->a, 1, sizeof(*pred));
	if (!sp || !pred)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	struct ctx sub = *c;
	sub.types = types;
	sub.ntypes = n;
	sub.depth = c->depth + 1;
	enum yl_code code = parse_any(&sub, name, value, pred);
	if (code != YL_OK)
		return code;
	sp->types = types;
	sp->ntypes = n;
	sp->preds = pred;
	sp->npreds = 1;
	*out = sp;
	return YL_OK;
}

/* ref[:Type].rest=value: rest is searched on the reference's target types (the :Type, or
 * every target type that has rest's first parameter). */
static enum yl_code parse_chain(struct ctx *c, const char *name, const char *value,
                                struct yl_pred *p)
{
	const char *dot = strchr(name, '.');
	char *head = yl_arena_strndup(c->a, name, (size_t)(dot - name));
	if (!head)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	char *type = strchr(head, ':');
	if (type)
		*type++ = '\0';
	const char *rest = dot + 1;
	size_t rlen = strcspn(rest, ".:");
	char *first = yl_arena_strndup(c->a, rest, rlen);
	int64_t *hashes = yl_arena_calloc(c->a, c->ntypes, sizeof(int64_t));
	const char **targets = yl_arena_calloc(c->a, yl_fhir_resource_type_count, sizeof(char *));
	if (!first || !hashes || !targets)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	const struct yl_searchparam *ref = NULL;
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct yl_searchparam *s = yl_searchparam_find(c->types[i], head);
		if (!s || s->type != YL_SP_REFERENCE)
			return YL_NOT_FOUND;
		ref = s;
		hashes[i] = yl_hash_sql(yl_hash_parts(2, c->types[i], head));
	}
	if (!ref)
		return YL_NOT_FOUND;
	size_t nt = 0;
	if (type) {
		if (yl_fhir_resource_type_index(type, strlen(type)) < 0)
			return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
			                  "%s: '%.40s' is not a resource type", c->name, type);
		targets[nt++] = type;
	} else {
		/* the declared targets (every type when none is declared) having `first` */
		for (size_t t = 0; t < yl_fhir_resource_type_count; t++) {
			const char *tn = yl_fhir_resource_types[t];
			size_t tl = strlen(tn);
			bool declared = !ref->targets;
			for (const char *q = ref->targets; q && *q && !declared;) {
				size_t l = strcspn(q, ",");
				declared = l == tl && strncmp(q, tn, l) == 0;
				q += l + (q[l] == ',');
			}
			if (declared && yl_searchparam_find(tn, first))
				targets[nt++] = tn;
		}
	}
	if (!nt)
		return YL_NOT_FOUND;
	p->via = YL_VIA_CHAIN;
	p->kind = YL_IDX_REFERENCE;
	p->param_hash = hashes[0];
	p->params = hashes;
	p->nparams = c->ntypes;
	return sub_plan(c, targets, nt, rest, value, (struct yl_search_plan **)&p->sub);
}

/* _has:Type:ref:rest=value: some Type matching rest refers to the resource through ref. */
static enum yl_code parse_has(struct ctx *c, const char *name, const char *value, struct yl_pred *p)
{
	const char *t = name + 5;
	size_t tl = strcspn(t, ":");
	const char *r = t + tl + (t[tl] == ':');
	size_t rl = strcspn(r, ":");
	const char *rest = r + rl + (r[rl] == ':');
	if (!t[tl] || !r[rl] || !*rest)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "%s: _has takes _has:Type:reference:parameter=value", c->name);
	char *type = yl_arena_strndup(c->a, t, tl), *refp = yl_arena_strndup(c->a, r, rl);
	const char **types = yl_arena_calloc(c->a, 1, sizeof(char *));
	if (!type || !refp || !types)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	if (yl_fhir_resource_type_index(type, tl) < 0)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "%s: '%.40s' is not a resource type", c->name, type);
	const struct yl_searchparam *ref = yl_searchparam_find(type, refp);
	if (!ref || ref->type != YL_SP_REFERENCE)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "%s: '%.40s' is not a reference parameter of %s", c->name, refp,
		                  type);
	types[0] = type;
	p->via = YL_VIA_HAS;
	p->kind = YL_IDX_REFERENCE;
	p->ref_param = yl_hash_sql(yl_hash_parts(2, type, refp));
	return sub_plan(c, types, 1, rest, value, (struct yl_search_plan **)&p->sub);
}

/* Any filter parameter: _has, chains, or name[:modifier]. YL_NOT_FOUND: unknown here. */
static enum yl_code parse_any(struct ctx *c, const char *name, const char *value, struct yl_pred *p)
{
	if (c->depth > MAX_CHAIN)
		return yl_err_add(c->err, c->a, YL_BAD_REQUEST, c->name,
		                  "%s: chains and _has are followed %d levels deep at most",
		                  c->name, MAX_CHAIN);
	if (strncmp(name, "_has:", 5) == 0)
		return parse_has(c, name, value, p);
	if (strchr(name, '.'))
		return parse_chain(c, name, value, p);
	char *code = yl_arena_strdup(c->a, name);
	if (!code)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	char *mod = strchr(code, ':');
	if (mod)
		*mod++ = '\0';
	if (in_list(code, later_params, sizeof later_params / sizeof(char *)))
		return YL_NOT_FOUND;
	return parse_param(c, code, mod, value, p);
}

/* _sort=a,-b: every key a parameter of every searched type (or _id, _lastUpdated).
 * YL_NOT_FOUND when a key is unknown (the whole _sort is then ignored). */
static enum yl_code parse_sort(struct ctx *c, const char *v, struct yl_search_plan *plan)
{
	char *keys[MAX_VALUES + 1];
	size_t n = split(c->a, v, ',', keys, 8);
	if (n == 0 || n > 8)
		return bad(c, "%s: between 1 and 8 sort keys are accepted ('%.60s')", v);
	/* the plan keeps its keys (an earlier _sort's) unless every key here is known */
	struct yl_sort_key *sort = yl_arena_calloc(c->a, n, sizeof(*sort));
	if (!sort)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct yl_sort_key *k = &sort[i];
		const char *code = keys[i];
		k->desc = *code == '-';
		code += k->desc;
		if (strcmp(code, "_id") == 0) {
			k->by = YL_SORT_ID;
			continue;
		}
		if (strcmp(code, "_lastUpdated") == 0) {
			k->by = YL_SORT_LASTUPDATED;
			continue;
		}
		int64_t *h;
		size_t nh;
		const struct yl_searchparam *sp;
		enum yl_code rc = param_hashes(c, code, &sp, &h, &nh);
		if (rc != YL_OK)
			return rc;
		if (!sp || sp->type == YL_SP_SPECIAL)
			return YL_NOT_FOUND;
		if (sp->type == YL_SP_COMPOSITE)
			return bad(c, "%s: composite parameters cannot be sorted on ('%.60s')",
			           code);
		k->by = YL_SORT_INDEX;
		k->kind = kind_of_type[sp->type];
		k->params = h;
		k->nparams = nh;
	}
	plan->sort = sort;
	plan->nsort = n;
	return YL_OK;
}

/* _include=Type:param[:Target] | Type:* | *, _revinclude=Type:param, (:iterate) */
static enum yl_code parse_include(struct ctx *c, const char *v, bool rev, bool iterate,
                                  struct yl_search_req *out)
{
	struct yl_include *inc = &out->includes[out->nincludes];
	memset(inc, 0, sizeof(*inc));
	inc->rev = rev;
	inc->iterate = iterate;
	if (strcmp(v, "*") == 0 && !rev) {
		out->nincludes++;
		return YL_OK;
	}
	char *p[4];
	size_t n = split(c->a, v, ':', p, 3);
	if (n < 2 || n > (rev ? 2u : 3u))
		return bad(c,
		           rev ? "%s: '%.60s' is not Type:parameter"
		               : "%s: '%.60s' is not Type:parameter[:TargetType], Type:* or *",
		           v);
	if (yl_fhir_resource_type_index(p[0], strlen(p[0])) < 0)
		return bad(c, "%s: '%.60s' does not start with a resource type", v);
	inc->source_type = p[0];
	if (strcmp(p[1], "*") == 0 && !rev) {
		out->nincludes++;
		return YL_OK;
	}
	const struct yl_searchparam *sp = yl_searchparam_find(p[0], p[1]);
	if (!sp || sp->type != YL_SP_REFERENCE)
		return bad(c, "%s: '%.60s' does not name a reference parameter", v);
	inc->param = yl_hash_sql(yl_hash_parts(2, p[0], p[1]));
	if (n == 3) {
		if (yl_fhir_resource_type_index(p[2], strlen(p[2])) < 0)
			return bad(c, "%s: '%.60s' does not end with a resource type", v);
		inc->target_type = p[2];
	}
	out->nincludes++;
	return YL_OK;
}

static enum yl_code parse_control(struct ctx *c, const struct yl_param *pm,
                                  struct yl_search_req *out, const char **cursor)
{
	const char *v = pm->value;
	const char *name = pm->name;
	if (strcmp(name, "_count") == 0) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || !*v || *end || n < 0)
			return bad(c, "%s: '%.20s' is not a non-negative integer", v);
		out->plan.count = n > YL_MAX_COUNT ? YL_MAX_COUNT : (int)n;
		if (n == 0) /* R4: _count=0 is treated as _summary=count */
			out->summary_count = true;
	} else if (strcmp(name, "_cursor") == 0) {
		*cursor = v;
		return YL_NOT_FOUND; /* never in the self link */
	} else if (strcmp(name, "_summary") == 0) {
		static const char *const names[] = {"false", "true", "text", "data"};
		out->summary_count = strcmp(v, "count") == 0;
		size_t i = 0;
		while (i < 4 && strcmp(v, names[i]) != 0)
			i++;
		if (i == 4 && !out->summary_count)
			return bad(c, "%s: '%.20s' is not true, false, text, data or count", v);
		out->summary = i < 4 ? (enum yl_summary)i : YL_SUMMARY_FALSE;
	} else if (strcmp(name, "_total") == 0) {
		if (strcmp(v, "none") == 0)
			out->total = YL_TOTAL_NONE;
		else if (strcmp(v, "estimate") == 0)
			out->total = YL_TOTAL_ESTIMATE;
		else if (strcmp(v, "accurate") == 0)
			out->total = YL_TOTAL_ACCURATE;
		else
			return bad(c, "%s: '%.20s' is not none, estimate or accurate", v);
	} else if (strcmp(name, "_sort") == 0) {
		return parse_sort(c, v, &out->plan);
	} else if (strncmp(name, "_include", 8) == 0 || strncmp(name, "_revinclude", 11) == 0) {
		return parse_include(c, v, name[1] == 'r', strchr(name, ':') != NULL, out);
	} else if (strcmp(name, "_elements") == 0) {
		char *e[MAX_VALUES + 1];
		size_t n = split(c->a, v, ',', e, MAX_VALUES);
		if (n == 0 || n > MAX_VALUES)
			return bad(c, "%s: '%.60s' is not a list of element names", v);
		out->elements = yl_arena_calloc(c->a, n, sizeof(char *));
		if (!out->elements)
			return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
		for (size_t i = 0; i < n; i++) {
			const char *el = strchr(e[i], '.') ? strchr(e[i], '.') + 1 : e[i];
			out->elements[i] = el; /* Patient.name is accepted as name */
		}
		out->nelements = n;
	}
	return YL_OK;
}

/* A search by one name value with no _sort lists its matches alphabetically by the value
 * that matched (name=wan: Wan..., then Wang...; ties by first created): what a user
 * typing a name expects, and a page the store reads straight off the string index
 * whatever the number of matches (yl_search_by_value). */
static enum yl_code implicit_order(struct yl_arena *a, struct yl_search_plan *p)
{
	if (p->nsort || p->npreds != 1)
		return YL_OK;
	const struct yl_pred *d = &p->preds[0];
	if (d->via != YL_VIA_SELF || d->kind != YL_IDX_STRING || d->match != YL_M_STRING_START ||
	    d->negate || d->nvalues != 1 || (d->params && d->nparams != 1))
		return YL_OK;
	struct yl_sort_key *k = yl_arena_calloc(a, 1, sizeof(*k));
	if (!k)
		return YL_NOMEM;
	*k = (struct yl_sort_key){.by = YL_SORT_MATCH, .kind = YL_IDX_STRING, .pred = d};
	p->sort = k;
	p->nsort = 1;
	return YL_OK;
}

/* ---- cursors: "a" (after) or "b" (before), ".<row>", then ".<key>" per sort key:
 * n (null), i<integer>, r<hex of the double's bits>, s<hex of the text> (c<hex>: cut) -- */

static void hex(struct yl_buf *b, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		yl_buf_addc(b, digits[p[i] >> 4]);
		yl_buf_addc(b, digits[p[i] & 15]);
	}
}

const char *yl_fhir_search_cursor(struct yl_arena *a, const struct yl_search_plan *p,
                                  const struct yl_row *row, bool before)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 64, YL_MAX_URL_BYTES);
	yl_buf_printf(&b, "%c.%lld", before ? 'b' : 'a', (long long)row->seq);
	for (size_t i = 0; i < p->nsort && row->keys; i++) {
		const struct yl_key *k = &row->keys[i];
		if (k->kind == YL_KEY_NULL) {
			yl_buf_adds(&b, ".n");
		} else if (k->kind == YL_KEY_INT) {
			yl_buf_printf(&b, ".i%lld", (long long)k->i);
		} else if (k->kind == YL_KEY_REAL) {
			uint64_t bits;
			memcpy(&bits, &k->d, sizeof bits);
			yl_buf_printf(&b, ".r%016llx", (unsigned long long)bits);
		} else {
			yl_buf_adds(&b, k->cut ? ".c" : ".s");
			hex(&b, (const unsigned char *)k->s, strlen(k->s));
		}
	}
	return b.err ? NULL : b.p;
}

static int unhex(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static enum yl_code parse_cursor(struct ctx *c, const char *v, struct yl_search_plan *p)
{
	struct yl_cursor *cur = &p->cursor;
	char *parts[10];
	size_t n = split(c->a, v, '.', parts, 9);
	c->name = "_cursor";
	if (n == 1) { /* a bare row number: after it, in row order */
		parts[1] = parts[0];
		parts[0] = "a";
		n = 2;
		if (p->nsort)
			goto bad;
	}
	if (n < 2 || n > 9 || n - 2 != p->nsort || strlen(parts[0]) != 1 ||
	    (parts[0][0] != 'a' && parts[0][0] != 'b'))
		goto bad;
	cur->before = parts[0][0] == 'b';
	char *end;
	errno = 0;
	cur->rowid = strtoll(parts[1], &end, 10);
	if (errno || !*parts[1] || *end || cur->rowid < 0)
		goto bad;
	cur->keys = yl_arena_calloc(c->a, p->nsort + 1, sizeof(*cur->keys));
	if (!cur->keys)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < p->nsort; i++) {
		const char *k = parts[2 + i];
		struct yl_key *key = &cur->keys[i];
		errno = 0;
		if (strcmp(k, "n") == 0) {
			key->kind = YL_KEY_NULL;
		} else if (k[0] == 'i') {
			key->kind = YL_KEY_INT;
			key->i = strtoll(k + 1, &end, 10);
			if (errno || !k[1] || *end)
				goto bad;
		} else if (k[0] == 'r') {
			uint64_t bits = strtoull(k + 1, &end, 16);
			if (errno || strlen(k) != 17 || *end)
				goto bad;
			key->kind = YL_KEY_REAL;
			memcpy(&key->d, &bits, sizeof bits);
		} else if ((k[0] == 's' || k[0] == 'c') && strlen(k + 1) % 2 == 0) {
			size_t len = strlen(k + 1) / 2;
			char *t = yl_arena_alloc(c->a, len + 1);
			if (!t)
				return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
			for (size_t j = 0; j < len; j++) {
				int hi = unhex(k[1 + 2 * j]), lo = unhex(k[2 + 2 * j]);
				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
					goto bad;
				t[j] = (char)(hi << 4 | lo);
			}
			t[len] = '\0';
			key->kind = YL_KEY_TEXT;
			key->s = t;
			key->cut = k[0] == 'c';
		} else {
			goto bad;
		}
	}
	cur->nkeys = p->nsort;
	cur->set = true;
	return YL_OK;
bad:
	return bad(c, "%s: '%.60s' is not a cursor this server handed out for this search", v);
}

static void keep(struct yl_search_req *out, const struct yl_param *pm)
{
	out->kept[out->nkept++] = *pm;
}

enum yl_code yl_fhir_search_parse(struct yl_arena *a, const char **types, size_t ntypes,
                                  const struct yl_param *params, size_t nparams,
                                  const struct yl_search_opts *opts, struct yl_search_req *out,
                                  struct yl_err *err)
{
	bool strict = opts && opts->strict;
	const char *cursor = NULL;
	memset(out, 0, sizeof(*out));
	out->plan.types = types;
	out->plan.ntypes = ntypes;
	out->plan.count = YL_DEFAULT_COUNT;
	out->total = YL_TOTAL_ESTIMATE;
	out->plan.preds = yl_arena_calloc(a, nparams + 1, sizeof(struct yl_pred));
	out->kept = yl_arena_calloc(a, nparams + 1, sizeof(struct yl_param));
	out->ignored = yl_arena_calloc(a, nparams + 1, sizeof(char *));
	out->includes = yl_arena_calloc(a, nparams + 1, sizeof(struct yl_include));
	if (!out->plan.preds || !out->kept || !out->ignored || !out->includes)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	struct ctx c = {a, err, types, ntypes, NULL, opts, 0};
	for (size_t i = 0; i < nparams; i++) {
		const struct yl_param *pm = &params[i];
		c.name = pm->name;
		enum yl_code r;
		if (in_list(pm->name, control_params, sizeof control_params / sizeof(char *))) {
			r = parse_control(&c, pm, out, &cursor);
			if (r == YL_OK)
				keep(out, pm);
			else if (r == YL_NOT_FOUND && strcmp(pm->name, "_sort") == 0)
				out->ignored[out->nignored++] = pm->name;
			else if (r != YL_NOT_FOUND)
				return r;
			continue;
		}
		/* the slot may hold what a parameter that was then ignored left behind */
		memset(&out->plan.preds[out->plan.npreds], 0, sizeof(struct yl_pred));
		r = parse_any(&c, pm->name, pm->value, &out->plan.preds[out->plan.npreds]);
		if (r == YL_NOT_FOUND) {
			out->ignored[out->nignored++] = pm->name;
			continue;
		}
		if (r != YL_OK)
			return r;
		out->plan.npreds++;
		keep(out, pm);
	}
	if (strict && out->nignored) {
		for (size_t i = 0; i < out->nignored; i++)
			yl_err_add(err, a, YL_BAD_REQUEST, out->ignored[i],
			           "search parameter '%.60s' is unknown or not supported for %s "
			           "(Prefer: handling=strict)",
			           out->ignored[i], ntypes == 1 ? types[0] : "these types");
		return err->code;
	}
	if (out->plan.sort && !out->plan.nsort)
		out->plan.sort = NULL; /* an ignored _sort */
	if (implicit_order(a, &out->plan) != YL_OK)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	if (cursor) {
		enum yl_code r = parse_cursor(&c, cursor, &out->plan);
		if (r != YL_OK)
			return r;
	}
	yl_search_plan_hint(&out->plan);
	out->plan.total = out->summary_count || out->total == YL_TOTAL_ACCURATE;
	if (out->summary_count)
		out->plan.count = 0;
	return YL_OK;
}
