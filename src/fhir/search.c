/* search.c -- FHIR search parameters -> a store plan. */
#include "fhir/search.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/time.h"
#include "fhir/extract.h"
#include "fhir/limits.h"
#include "fhir/schema.h"
#include "fhir/searchparam.h"
#include "fhir/ucum.h"
#include "store/store.h"

#define MAX_VALUES  100 /* values of one parameter (comma-separated) */
#define UCUM_SYSTEM "http://unitsofmeasure.org"

/* Control parameters: handled here or by the handler, never a filter. */
static const char *const control_params[] = {"_count",   "_cursor", "_format", "_pretty",
                                             "_summary", "_total",  "_type"};

/* Parameters and modifiers the foundation does not answer yet: ignored (or 400 when
 * strict), so a client sees from the self link that they took no effect. */
static const char *const later_params[] = {"_content", "_elements", "_filter", "_has",
                                           "_include", "_list",     "_query",  "_revinclude",
                                           "_sort",    "_text"};

struct ctx {
	struct yl_arena *a;
	struct yl_err *err;
	const char **types;
	size_t ntypes;
	const char *name; /* the parameter as sent, for messages and expression */
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

/* Split s on unescaped sep; unescape \, \| \$ \\ in the parts. */
static size_t split(struct yl_arena *a, const char *s, char sep, char **parts, size_t max)
{
	size_t n = 0, len = strlen(s);
	char *cur = yl_arena_alloc(a, len + 1);
	if (!cur)
		return 0;
	size_t j = 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 1 < len && strchr(",|$\\", s[i + 1])) {
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
		if (strcmp(mod, "not") == 0) {
			*negate = true;
			return -2;
		}
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

/* Build the predicate for one parameter occurrence. Returns YL_OK, an error, or
 * YL_NOT_FOUND when the parameter is unknown for these types (to be ignored). */
static enum yl_code parse_param(struct ctx *c, const char *code, const char *mod, const char *value,
                                struct yl_pred *p)
{
	const struct yl_searchparam *sp = NULL;
	int64_t *hashes = yl_arena_calloc(c->a, c->ntypes, sizeof(int64_t));
	if (!hashes)
		return yl_err_add(c->err, c->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct yl_searchparam *s = yl_searchparam_find(c->types[i], code);
		if (!s || (sp && s->type != sp->type))
			return YL_NOT_FOUND;
		sp = s;
		hashes[i] = yl_hash_sql(yl_hash_parts(2, c->types[i], code));
	}
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
	p->param_hash = hashes[0];
	p->params = hashes;
	p->nparams = c->ntypes;
	p->negate = negate;
	p->match = fixed >= 0 ? (enum yl_match)fixed : default_match[sp->type];
	if (is_id)
		p->match = strcmp(code, "_id") == 0 ? YL_M_ID : YL_M_LASTUPDATED;
	char *vals[MAX_VALUES + 1];
	size_t n = split(c->a, value, ',', vals, MAX_VALUES);
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
	for (size_t i = 0; i < n; i++) {
		enum yl_code r = YL_OK;
		enum yl_match m = p->match;
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

static enum yl_code parse_control(struct ctx *c, const struct yl_param *pm,
                                  struct yl_search_req *out)
{
	const char *v = pm->value;
	if (strcmp(pm->name, "_count") == 0) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || !*v || *end || n < 0)
			return bad(c, "%s: '%.20s' is not a non-negative integer", v);
		out->plan.count = n > YL_MAX_COUNT ? YL_MAX_COUNT : (int)n;
	} else if (strcmp(pm->name, "_cursor") == 0) {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || !*v || *end || n < 0)
			return bad(c, "%s: '%.20s' is not a cursor this server handed out", v);
		out->plan.after = n;
		return YL_NOT_FOUND; /* never in the self link */
	} else if (strcmp(pm->name, "_summary") == 0) {
		if (strcmp(v, "count") == 0)
			out->summary_count = true;
		else if (strcmp(v, "false") != 0)
			return YL_NOT_FOUND; /* true/text/data: later; ignored */
	} else if (strcmp(pm->name, "_total") == 0) {
		if (strcmp(v, "none") == 0)
			out->total = YL_TOTAL_NONE;
		else if (strcmp(v, "estimate") == 0)
			out->total = YL_TOTAL_ESTIMATE;
		else if (strcmp(v, "accurate") == 0)
			out->total = YL_TOTAL_ACCURATE;
		else
			return bad(c, "%s: '%.20s' is not none, estimate or accurate", v);
	}
	return YL_OK;
}

static void keep(struct yl_search_req *out, const struct yl_param *pm)
{
	out->kept[out->nkept++] = *pm;
}

enum yl_code yl_fhir_search_parse(struct yl_arena *a, const char **types, size_t ntypes,
                                  const struct yl_param *params, size_t nparams, bool strict,
                                  struct yl_search_req *out, struct yl_err *err)
{
	memset(out, 0, sizeof(*out));
	out->plan.types = types;
	out->plan.ntypes = ntypes;
	out->plan.count = YL_DEFAULT_COUNT;
	out->total = YL_TOTAL_ESTIMATE;
	out->plan.preds = yl_arena_calloc(a, nparams + 1, sizeof(struct yl_pred));
	out->kept = yl_arena_calloc(a, nparams + 1, sizeof(struct yl_param));
	out->ignored = yl_arena_calloc(a, nparams + 1, sizeof(char *));
	if (!out->plan.preds || !out->kept || !out->ignored)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	struct ctx c = {a, err, types, ntypes, NULL};
	for (size_t i = 0; i < nparams; i++) {
		const struct yl_param *pm = &params[i];
		c.name = pm->name;
		enum yl_code r;
		if (in_list(pm->name, control_params, sizeof control_params / sizeof(char *))) {
			r = parse_control(&c, pm, out);
			if (r == YL_OK)
				keep(out, pm);
			else if (r != YL_OK && r != YL_NOT_FOUND)
				return r;
			continue;
		}
		char *code = yl_arena_strdup(a, pm->name);
		char *mod = code ? strchr(code, ':') : NULL;
		if (mod)
			*mod++ = '\0';
		if (!code || in_list(code, later_params, sizeof later_params / sizeof(char *)) ||
		    strchr(code, '.'))
			r = YL_NOT_FOUND;
		else
			r = parse_param(&c, code, mod, pm->value,
			                &out->plan.preds[out->plan.npreds]);
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
	out->plan.total = out->summary_count || out->total == YL_TOTAL_ACCURATE;
	if (out->summary_count)
		out->plan.count = 0;
	return YL_OK;
}
