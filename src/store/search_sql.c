/* search_sql.c -- SQL for a search plan, with bound parameters only. Shared by the
 * backends: with dialect_pg the same statements in PostgreSQL's terms ($n placeholders, no
 * INDEXED BY or unary + hints, booleans, no idx_date_bucket, prefix bounds that are
 * well-formed UTF-8); every parameter is bound as text there and takes its type from where
 * it stands, so each one sits beside a column or in a cast. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/search.h"
#include "store/store.h"

static const char *const index_table[] = {
    [YL_IDX_TOKEN] = "idx_token",       [YL_IDX_STRING] = "idx_string",
    [YL_IDX_DATE] = "idx_date",         [YL_IDX_NUMBER] = "idx_number",
    [YL_IDX_QUANTITY] = "idx_quantity", [YL_IDX_REFERENCE] = "idx_reference",
    [YL_IDX_URI] = "idx_uri",           [YL_IDX_COMPOSITE] = "idx_composite",
};

struct gen {
	struct yl_sql *sql;
	struct yl_arena *a;
	int pg;
	int depth; /* nesting of chained / _has plans: the resource alias is r, r1, r2, ... */
	const char *row_ref; /* per-row tests refer to this row instead of the alias's rowid */
	const struct yl_search_plan *scope; /* the top plan, whose visibility every depth keeps */
	const char *row_patient; /* with row_ref: that row's patient column (PostgreSQL) */
};

#define MAX_DEPTH 4
#define SORT_TEXT_KEY                                                                              \
	64 /* bytes of a text sort key (UTF-8 may be cut mid-character: a                          \
	    * byte-wise order, the same on every page) */
#define YL_STR_(x) #x
#define YL_STR(x)  YL_STR_(x) /* chains and _has nested deeper are refused by the parser */

void yl_sql_init(struct yl_sql *sql, struct yl_arena *a)
{
	memset(sql, 0, sizeof(*sql));
	yl_buf_init(&sql->text, a, 1024, 1 << 20);
}

static void add(struct gen *g, const char *s)
{
	yl_buf_adds(&g->sql->text, s);
}

static struct yl_bind *next_bind(struct gen *g)
{
	struct yl_sql *q = g->sql;
	if (q->nbinds == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct yl_bind *nb = yl_arena_alloc(g->a, cap * sizeof(*nb));
		if (!nb) {
			q->text.err = YL_NOMEM;
			return NULL;
		}
		if (q->nbinds)
			memcpy(nb, q->binds, q->nbinds * sizeof(*nb));
		q->binds = nb;
		q->cap = cap;
	}
	struct yl_bind *b = &q->binds[q->nbinds++];
	if (g->pg)
		yl_buf_printf(&q->text, "$%zu", q->nbinds);
	else
		yl_buf_addc(&q->text, '?');
	return b;
}

static void bind_int(struct gen *g, int64_t v)
{
	struct yl_bind *b = next_bind(g);
	if (b)
		*b = (struct yl_bind){.kind = YL_BIND_INT, .i = v};
}

static void bind_real(struct gen *g, double v)
{
	struct yl_bind *b = next_bind(g);
	if (b)
		*b = (struct yl_bind){.kind = YL_BIND_REAL, .d = v};
}

static void bind_text(struct gen *g, const char *s)
{
	struct yl_bind *b = next_bind(g);
	if (b)
		*b = (struct yl_bind){.kind = YL_BIND_TEXT, .s = s ? s : ""};
}

/* "col OP ?" */
static void cmp_int(struct gen *g, const char *col, const char *op, int64_t v)
{
	add(g, col);
	add(g, op);
	bind_int(g, v);
}

static void cmp_real(struct gen *g, const char *col, const char *op, double v)
{
	add(g, col);
	add(g, op);
	bind_real(g, v);
}

static void cmp_text(struct gen *g, const char *col, const char *op, const char *v)
{
	add(g, col);
	add(g, op);
	bind_text(g, v);
}

/* The smallest string greater than every string starting with s (s non-empty), for
 * prefix ranges: the last byte below 0xff incremented, what follows it dropped. */
static const char *prefix_upper(struct yl_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *u = yl_arena_strndup(a, s, n);
	while (u && n > 0) {
		if ((unsigned char)u[n - 1] < 0xff) {
			u[n - 1]++;
			u[n] = '\0';
			return u;
		}
		n--;
	}
	return NULL; /* every byte 0xff: no upper bound */
}

/* The same for PostgreSQL, which takes only well-formed UTF-8 text: the last code point
 * incremented (past the surrogates), U+10FFFF dropped; UTF-8 keeps code point order
 * byte-wise and no character's bytes begin another's, so the bound is the same. s that is
 * not well-formed at its end gets prefix_upper's (the caller refuses such text). */
static const char *prefix_upper_utf8(struct yl_arena *a, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		size_t i = n - 1, len;
		while (i > 0 && n - i < 4 && ((unsigned char)s[i] & 0xC0) == 0x80)
			i--;
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c < 0x80    ? c
		              : c >= 0xF0 ? c & 0x07u
		              : c >= 0xE0 ? c & 0x0Fu
		                          : c & 0x1Fu;
		len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
		if (len != n - i)
			return prefix_upper(a, s);
		for (size_t k = i + 1; k < n; k++)
			cp = cp << 6 | ((unsigned char)s[k] & 0x3Fu);
		if (cp >= 0x10FFFF) {
			n = i; /* no character after it: bound the prefix before it */
			continue;
		}
		cp = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
		char enc[5] = {0};
		if (cp < 0x80) {
			enc[0] = (char)cp;
		} else if (cp < 0x800) {
			enc[0] = (char)(0xC0 | cp >> 6);
			enc[1] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			enc[0] = (char)(0xE0 | cp >> 12);
			enc[1] = (char)(0x80 | (cp >> 6 & 0x3F));
			enc[2] = (char)(0x80 | (cp & 0x3F));
		} else {
			enc[0] = (char)(0xF0 | cp >> 18);
			enc[1] = (char)(0x80 | (cp >> 12 & 0x3F));
			enc[2] = (char)(0x80 | (cp >> 6 & 0x3F));
			enc[3] = (char)(0x80 | (cp & 0x3F));
		}
		return yl_arena_printf(a, "%.*s%s", (int)i, s, enc);
	}
	return NULL; /* every character U+10FFFF: no upper bound */
}

static void prefix_range(struct gen *g, const char *col, const char *s)
{
	const char *up = g->pg ? prefix_upper_utf8(g->a, s) : prefix_upper(g->a, s);
	cmp_text(g, col, " >= ", s);
	if (up) {
		add(g, " AND ");
		cmp_text(g, col, " < ", up);
	}
}

/* LIKE pattern for "contains s" with % _ \ escaped */
static const char *contains_pattern(struct yl_arena *a, const char *s)
{
	struct yl_buf b;
	yl_buf_init(&b, a, strlen(s) * 2 + 3, 1 << 16);
	yl_buf_addc(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			yl_buf_addc(&b, '\\');
		yl_buf_addc(&b, *s);
	}
	yl_buf_addc(&b, '%');
	return b.err ? "%" : b.p;
}

/* "(lo >= slo AND hi <= shi)": the stored range lies within the search range */
static void contained(struct gen *g, const char *lo, const char *hi, int64_t slo, int64_t shi)
{
	add(g, "(");
	cmp_int(g, lo, " >= ", slo);
	add(g, " AND ");
	cmp_int(g, hi, " <= ", shi);
	add(g, ")");
}

/* A range [lo, hi] (columns) against the search range [slo, shi] by FHIR prefix
 * (R4 search, "prefixes"): eq = contained, ne = not contained, gt/lt = the range beyond
 * intersects, ge/le = that or contained, sa/eb = starts after/ends before, ap = overlaps
 * the widened range the plan carries. */
static void range_cmp_int(struct gen *g, const char *lo, const char *hi, enum yl_cmp c, int64_t slo,
                          int64_t shi)
{
	static const struct {
		bool beyond_hi; /* compare hi > shi (gt, ge) or lo < slo (lt, le) */
		bool or_contained;
	} beyond[] = {[YL_CMP_GT] = {true, false},
	              [YL_CMP_GE] = {true, true},
	              [YL_CMP_LT] = {false, false},
	              [YL_CMP_LE] = {false, true}};
	add(g, "(");
	switch (c) {
	case YL_CMP_NE:
		add(g, "NOT ");
		/* fallthrough */
	case YL_CMP_EQ:
		contained(g, lo, hi, slo, shi);
		break;
	case YL_CMP_GT:
	case YL_CMP_GE:
	case YL_CMP_LT:
	case YL_CMP_LE:
		add(g, "(");
		if (beyond[c].beyond_hi)
			cmp_int(g, hi, " > ", shi);
		else
			cmp_int(g, lo, " < ", slo);
		if (beyond[c].or_contained) {
			add(g, " OR ");
			contained(g, lo, hi, slo, shi);
		}
		/* implied by either branch, and a range the (param, lo) / (param, hi) index
		 * can walk instead of the whole parameter */
		add(g, ") AND ");
		if (beyond[c].beyond_hi)
			cmp_int(g, hi, " >= ", slo);
		else
			cmp_int(g, lo, " <= ", shi);
		break;
	case YL_CMP_SA:
		cmp_int(g, lo, " > ", shi);
		break;
	case YL_CMP_EB:
		cmp_int(g, hi, " < ", slo);
		break;
	case YL_CMP_AP:
		cmp_int(g, lo, " <= ", shi);
		add(g, " AND ");
		cmp_int(g, hi, " >= ", slo);
		break;
	}
	add(g, ")");
}

/* Numbers and quantities: the stored value is the middle of [lo, hi]; eq/ne/ap use the
 * search value's implicit precision range [slo, shi), the others compare values. */
static void number_cmp(struct gen *g, const char *lo, const char *hi, const struct yl_pred_value *v)
{
	const char *m = yl_arena_printf(g->a, "((%s + %s) / 2)", lo, hi);
	if (!m)
		m = lo;
	add(g, "(");
	switch (v->cmp) {
	case YL_CMP_NE:
		add(g, "NOT ");
		/* fallthrough */
	case YL_CMP_EQ:
	case YL_CMP_AP:
		add(g, "(");
		cmp_real(g, m, " >= ", v->d_lo);
		add(g, " AND ");
		cmp_real(g, m, " < ", v->d_hi);
		add(g, ")");
		break;
	case YL_CMP_GT:
		cmp_real(g, m, " > ", v->d);
		break;
	case YL_CMP_LT:
		cmp_real(g, m, " < ", v->d);
		break;
	case YL_CMP_GE:
		cmp_real(g, m, " >= ", v->d);
		break;
	case YL_CMP_LE:
		cmp_real(g, m, " <= ", v->d);
		break;
	case YL_CMP_SA: /* R4: lt gt le ge sa eb ignore the search value's precision */
		cmp_real(g, lo, " > ", v->d);
		break;
	case YL_CMP_EB:
		cmp_real(g, hi, " < ", v->d);
		break;
	}
	add(g, ")");
}

static void quantity_cond(struct gen *g, const struct yl_pred_value *v, const char *lo,
                          const char *hi, const char *clo, const char *chi, const char *unit_col,
                          const char *canon_col, const char *system_col)
{
	if (v->canon) {
		cmp_text(g, canon_col, " = ", v->s1);
		add(g, " AND ");
		number_cmp(g, clo, chi, v);
		return;
	}
	if (v->s1) {
		cmp_text(g, unit_col, " = ", v->s1);
		add(g, " AND ");
	}
	if (v->s2 && system_col) { /* a system other than UCUM must match as recorded */
		cmp_text(g, system_col, " = ", v->s2);
		add(g, " AND ");
	}
	number_cmp(g, lo, hi, v);
}

static void comp1(struct gen *g, const struct yl_pred_value *v)
{
	if (v->h1)
		cmp_int(g, "value_hash", " = ", v->h1);
	else
		cmp_int(g, "code_hash", " = ", v->h2);
}

/* One value's condition on the index table's columns. */
static void value_cond(struct gen *g, enum yl_match m, const struct yl_pred_value *v)
{
	switch (m) {
	case YL_M_TOKEN_VALUE:
		if (v->h2) { /* (param, code_hash, value_hash) is the token index */
			cmp_int(g, "code_hash", " = ", v->h2);
			add(g, " AND ");
		}
		cmp_int(g, "value_hash", " = ", v->h1);
		break;
	case YL_M_TOKEN_CODE:
		cmp_int(g, "code_hash", " = ", v->h1);
		break;
	case YL_M_TOKEN_SYSTEM:
		cmp_text(g, "system", " = ", v->s1);
		break;
	case YL_M_TOKEN_TEXT:
		add(g, "(");
		cmp_text(g, "lower(text)", " LIKE ", contains_pattern(g->a, v->s1) + 1);
		add(g, " ESCAPE '\\' OR ");
		cmp_text(g, "lower(code)", " LIKE ", contains_pattern(g->a, v->s1) + 1);
		add(g, " ESCAPE '\\')");
		break;
	case YL_M_TOKEN_OFTYPE:
		cmp_int(g, "type_hash", " = ", v->h1);
		add(g, " AND ");
		cmp_int(g, "code_hash", " = ", v->h2);
		break;
	case YL_M_STRING_START:
		prefix_range(g, "norm", v->s1);
		break;
	case YL_M_STRING_EXACT:
		cmp_text(g, "exact", " = ", v->s1);
		break;
	case YL_M_STRING_CONTAINS:
		cmp_text(g, "norm", " LIKE ", contains_pattern(g->a, v->s1));
		add(g, " ESCAPE '\\'");
		break;
	case YL_M_DATE:
		range_cmp_int(g, "lo", "hi", v->cmp, v->i_lo, v->i_hi);
		break;
	case YL_M_NUMBER:
		number_cmp(g, "lo", "hi", v);
		break;
	case YL_M_QUANTITY:
		quantity_cond(g, v, "lo", "hi", "canon_lo", "canon_hi", "unit_code", "canon_code",
		              "unit_system");
		break;
	case YL_M_REFERENCE:
		if (v->s3) {
			cmp_text(g, "url", " = ", v->s3);
			break;
		}
		if (v->s1) {
			cmp_text(g, "ref_type", " = ", v->s1);
			add(g, " AND ");
		}
		cmp_text(g, "ref_id", " = ", v->s2);
		/* Type/id and id name resources of this server: relative references, or
		 * absolute ones under this server's base (R4 3.1.1.4.12) */
		add(g, " AND (url NOT LIKE '%://%'");
		if (v->s4) {
			add(g, " OR substr(url, 1, length(");
			bind_text(g, v->s4);
			add(g, ")) = ");
			bind_text(g, v->s4);
		}
		add(g, ")");
		break;
	case YL_M_URI:
		cmp_text(g, "uri", " = ", v->s1);
		break;
	case YL_M_URI_BELOW:
		prefix_range(g, "uri", v->s1);
		break;
	case YL_M_URI_ABOVE:
		add(g, "substr(");
		bind_text(g, v->s1);
		add(g, ", 1, length(uri)) = uri");
		break;
	case YL_M_COMPOSITE_QUANTITY:
		comp1(g, v);
		add(g, " AND ");
		quantity_cond(g, v, "lo", "hi", "canon_lo", "canon_hi", "unit_code", "canon_code",
		              NULL);
		break;
	case YL_M_COMPOSITE_TOKEN:
		comp1(g, v);
		add(g, " AND ");
		cmp_int(g, v->h3 ? "comp_value_hash" : "comp_code_hash", " = ",
		        v->h3 ? v->h3 : v->h4);
		break;
	case YL_M_COMPOSITE_DATE:
		comp1(g, v);
		add(g, " AND ");
		range_cmp_int(g, "date_lo", "date_hi", v->cmp, v->i_lo, v->i_hi);
		break;
	case YL_M_ID:
	case YL_M_LASTUPDATED:
	case YL_M_MISSING:
		break;
	}
}

/* "<alias>.<column>" of the resource table at the current depth (r, r1, r2, ...) */
static const char *rname(struct gen *g, const char *column)
{
	const char *n = g->depth ? yl_arena_printf(g->a, "r%d.%s", g->depth, column)
	                         : yl_arena_printf(g->a, "r.%s", column);
	if (!n)
		g->sql->text.err = YL_NOMEM;
	return n ? n : "r.rowid";
}

static void rcol(struct gen *g, const char *column)
{
	add(g, rname(g, column));
}

static void param_cond(struct gen *g, const char *prefix, const struct yl_pred *p)
{
	add(g, prefix);
	if (p->params && p->nparams > 1) {
		add(g, "param IN (");
		for (size_t i = 0; i < p->nparams; i++) {
			if (i)
				add(g, ", ");
			bind_int(g, p->params[i]);
		}
		add(g, ")");
	} else {
		cmp_int(g, "param", " = ", p->params ? p->params[0] : p->param_hash);
	}
}

static void plan_cond(struct gen *g, const struct yl_search_plan *p);

/* " AND <the sub-plan's conditions on alias r<depth+1>>)": the end of a chain or _has */
static void nested_cond(struct gen *g, const struct yl_search_plan *sub)
{
	add(g, " AND ");
	g->depth++;
	plan_cond(g, sub);
	g->depth--;
	add(g, ")");
}

/* subject.name=x: the reference's target must match the sub-plan (alias r<depth+1>). */
static void chain_sql(struct gen *g, const struct yl_pred *p)
{
	int d = g->depth + 1;
	rcol(g, "rowid");
	yl_buf_printf(&g->sql->text,
	              " IN (SELECT x%d.res FROM idx_reference x%d JOIN resource r%d ON r%d.type = "
	              "x%d.ref_type AND r%d.id = x%d.ref_id WHERE ",
	              d, d, d, d, d, d, d);
	char pre[16];
	snprintf(pre, sizeof pre, "x%d.", d);
	param_cond(g, pre, p);
	nested_cond(g, p->sub);
}

/* _has:T:ref:p=x: some T matching the sub-plan references the resource through ref.
 * PostgreSQL compares (type, id) as a row instead of testing ref_type against the outer
 * row inside: a subquery that refers to the outer row runs once per row, this one is
 * joined (or hashed, negated); a NULL ref_type is left out as the test leaves it out. */
static void has_sql(struct gen *g, const struct yl_pred *p)
{
	int d = g->depth + 1;
	if (g->pg) {
		add(g, "(");
		rcol(g, "type");
		add(g, ", ");
		rcol(g, "id");
		yl_buf_printf(&g->sql->text,
		              ") IN (SELECT x%d.ref_type, x%d.ref_id FROM idx_reference x%d JOIN "
		              "resource r%d ON r%d.rowid = x%d.res WHERE x%d.param = ",
		              d, d, d, d, d, d, d);
		bind_int(g, p->ref_param);
		yl_buf_printf(&g->sql->text, " AND x%d.ref_type IS NOT NULL", d);
		nested_cond(g, p->sub);
		return;
	}
	rcol(g, "id");
	yl_buf_printf(
	    &g->sql->text,
	    " IN (SELECT x%d.ref_id FROM idx_reference x%d JOIN resource r%d ON r%d.rowid = "
	    "x%d.res WHERE x%d.param = ",
	    d, d, d, d, d, d);
	bind_int(g, p->ref_param);
	yl_buf_printf(&g->sql->text, " AND x%d.ref_type = ", d);
	rcol(g, "type");
	nested_cond(g, p->sub);
}

/* The value conditions of a predicate on its index table (after "param ..."). */
static void values_cond(struct gen *g, const struct yl_pred *p)
{
	if (p->match == YL_M_MISSING || !p->nvalues)
		return;
	add(g, " AND (");
	for (size_t i = 0; i < p->nvalues; i++) {
		if (i)
			add(g, " OR ");
		add(g, "(");
		value_cond(g, p->values[i].match, &p->values[i]);
		add(g, ")");
	}
	add(g, ")");
}

bool yl_search_pred_indexable(const struct yl_pred *p)
{
	return p->via == YL_VIA_SELF && !p->negate && p->match != YL_M_MISSING &&
	       p->match != YL_M_ID && p->match != YL_M_LASTUPDATED;
}

bool yl_search_pred_hinted(const struct yl_search_plan *plan, const struct yl_pred *p)
{
	if (!plan->patient_hint || p->kind != YL_IDX_TOKEN || !yl_search_pred_indexable(p) ||
	    !p->nvalues)
		return false;
	for (size_t i = 0; i < p->nvalues; i++)
		if (p->values[i].match != YL_M_TOKEN_VALUE)
			return false; /* no value_hash bound: the index cannot seek on patient */
	return true;
}

void yl_search_plan_hint(struct yl_search_plan *plan)
{
	plan->patient_hint = NULL;
	plan->hint_pred = NULL;
	for (size_t i = 0; i < plan->npreds; i++) {
		const struct yl_pred *p = &plan->preds[i];
		if (!p->patient_key || p->via != YL_VIA_SELF || p->negate || p->nvalues != 1 ||
		    p->match != YL_M_REFERENCE)
			continue;
		const struct yl_pred_value *v = &p->values[0];
		if (v->match != YL_M_REFERENCE || !v->s1 || strcmp(v->s1, "Patient") != 0 ||
		    !v->s2 || v->s3)
			continue;
		plan->patient_hint = v->s2;
		plan->hint_pred = p;
		return;
	}
}

/* exists: test the predicate per candidate row through the index table's primary key
 * (res, param, ...) instead of listing every matching row; `+param` keeps SQLite from
 * preferring the (param, value) index. */
static void pred_sql(struct gen *g, const struct yl_pred *p, bool exists)
{
	if (p->via == YL_VIA_CHAIN || p->via == YL_VIA_HAS) {
		if (p->negate)
			add(g, "NOT ");
		add(g, "(");
		if (p->via == YL_VIA_CHAIN)
			chain_sql(g, p);
		else
			has_sql(g, p);
		add(g, ")");
		return;
	}
	if (p->match == YL_M_ID) {
		rcol(g, "id");
		add(g, p->negate ? " NOT IN (" : " IN (");
		for (size_t i = 0; i < p->nvalues; i++) {
			if (i)
				add(g, ", ");
			bind_text(g, p->values[i].s1);
		}
		add(g, ")");
		return;
	}
	if (p->match == YL_M_LASTUPDATED) {
		const char *lu = rname(g, "last_updated");
		add(g, "(");
		for (size_t i = 0; i < p->nvalues; i++) {
			if (i)
				add(g, " OR ");
			range_cmp_int(g, lu, lu, p->values[i].cmp, p->values[i].i_lo,
			              p->values[i].i_hi);
		}
		add(g, ")");
		return;
	}
	bool missing_true = p->match == YL_M_MISSING && p->nvalues && p->values[0].s1 &&
	                    strcmp(p->values[0].s1, "true") == 0;
	bool neg = p->negate || missing_true;
	if (exists && g->pg) {
		/* the row's index rows by its patient too, as row_agg finds them; OFFSET 0
		 * keeps the planner from hashing every row of the predicate instead (it does
		 * when its estimate of them is low, and estimates of hashes are) */
		const char *res = g->row_ref ? g->row_ref : rname(g, "rowid");
		const char *pat = g->row_ref ? g->row_patient : rname(g, "patient");
		add(g, neg ? "NOT (CASE WHEN " : "(CASE WHEN ");
		add(g, pat);
		add(g, " IS NULL THEN ");
		for (int i = 0; i < 2; i++) {
			add(g, i ? " ELSE EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
			add(g, index_table[p->kind]);
			add(g, " WHERE res = ");
			add(g, res);
			param_cond(g, " AND ", p);
			values_cond(g, p);
			add(g, i ? " AND patient = " : " AND patient IS NULL OFFSET 0)");
			if (i) {
				add(g, pat);
				add(g, " OFFSET 0)");
			}
		}
		add(g, " END)");
		return;
	}
	if (exists) {
		add(g, neg ? "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
		add(g, index_table[p->kind]);
		add(g, " WHERE res = ");
		if (g->row_ref)
			add(g, g->row_ref);
		else
			rcol(g, "rowid");
		param_cond(g, g->pg ? " AND " : " AND +", p);
	} else {
		rcol(g, "rowid");
		add(g, neg ? " NOT IN (SELECT res FROM " : " IN (SELECT res FROM ");
		add(g, index_table[p->kind]);
		param_cond(g, " WHERE ", p);
	}
	values_cond(g, p);
	add(g, ")");
}

void yl_sql_add_int(struct yl_sql *sql, struct yl_arena *a, int64_t v, int dialect_pg)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	bind_int(&g, v);
}

void yl_sql_add_text(struct yl_sql *sql, struct yl_arena *a, const char *v, int dialect_pg)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	bind_text(&g, v);
}

/* A test answered from an index table alone (no resource column). */
static bool index_only(const struct yl_pred *p)
{
	return p->via == YL_VIA_SELF && p->match != YL_M_ID && p->match != YL_M_LASTUPDATED;
}

/* " IN (SELECT d.res FROM (<candidates>) d WHERE 1 = 1" for a token driver when every
 * match references Patient/X (plan->patient_hint): the token rows of patient X, through
 * the index (param, code_hash, value_hash, patient), plus the resources that reference X
 * by an absolute URL (their rows carry no patient from it), tested for the token. */
static void hinted_driver(struct gen *g, const struct yl_search_plan *p, const struct yl_pred *d)
{
	add(g, g->pg ? " = ANY (ARRAY(SELECT d.res FROM (SELECT res, patient FROM "
	             : " IN (SELECT d.res FROM (SELECT res FROM ");
	add(g, index_table[d->kind]);
	param_cond(g, " WHERE ", d);
	values_cond(g, d);
	add(g, " AND patient = ");
	bind_text(g, p->patient_hint);
	add(g, g->pg ? " UNION ALL SELECT x.res, x.patient FROM idx_reference x"
	             : " UNION ALL SELECT x.res FROM idx_reference x");
	param_cond(g, " WHERE x.", p->hint_pred);
	add(g, " AND x.ref_id = ");
	bind_text(g, p->patient_hint);
	add(g, " AND x.url LIKE '%://%' AND ");
	const char *saved = g->row_ref, *saved_patient = g->row_patient;
	g->row_ref = "x.res";
	g->row_patient = "x.patient";
	pred_sql(g, d, true);
	g->row_ref = saved;
	g->row_patient = saved_patient;
	add(g, ") d WHERE 1 = 1");
}

/* " IN (?, ?, ...)": the plan's resource types */
static void types_in(struct gen *g, const struct yl_search_plan *p)
{
	add(g, " IN (");
	for (size_t i = 0; i < p->ntypes; i++) {
		if (i)
			add(g, ", ");
		bind_text(g, p->types[i]);
	}
	add(g, ")");
}

/* " AND (the caller may see the row)" for the alias of the current depth (see
 * yl_search_plan.visible); nothing for an unrestricted caller. */
static void visible_cond(struct gen *g, const struct yl_search_plan *top)
{
	if (!top || !top->visible)
		return;
	add(g, " AND (");
	rcol(g, "patient");
	add(g, g->pg ? " = ANY (SELECT json_array_elements_text("
	             : " IN (SELECT value FROM json_each(");
	bind_text(g, top->visible);
	add(g, g->pg ? "::json))" : "))");
	if (top->nshared) {
		add(g, " OR (");
		rcol(g, "patient");
		add(g, " IS NULL AND ");
		rcol(g, "type");
		add(g, " IN (");
		for (size_t i = 0; i < top->nshared; i++) {
			if (i)
				add(g, ", ");
			bind_text(g, top->shared[i]);
		}
		add(g, "))");
	}
	add(g, ")");
}

/* The plan's conditions on the resource alias of the current depth. driver (top level
 * only): the predicate that lists the candidate rows (the others are tested per row), or
 * YL_DRIVER_SCAN (every row of the types, each predicate tested per row), or
 * YL_DRIVER_ANY (no choice made: every predicate as a list, the database plans). */
static void plan_cond_driven(struct gen *g, const struct yl_search_plan *p, int driver)
{
	if (driver >= 0 && !g->pg)
		add(g, "+"); /* candidates come from the driver, not from the type's rows */
	rcol(g, "type");
	types_in(g, p);
	if (p->patient) {
		add(g, " AND ");
		rcol(g, "patient");
		add(g, " = ");
		bind_text(g, p->patient);
	}
	if (g->depth == 0 && !g->scope)
		g->scope = p;
	visible_cond(g, g->scope);
	if (driver >= 0) {
		/* the driver's index rows, narrowed by every other index test before any resource
		 * row is read: on a store larger than memory each resource row is a disk read.
		 * PostgreSQL: as an array, so that the rows are looked up by it (a semi-join
		 * under ORDER BY ... LIMIT walks the type in row order instead, expecting many) */
		const struct yl_pred *d = &p->preds[driver];
		add(g, " AND ");
		rcol(g, "rowid");
		if (yl_search_pred_hinted(p, d)) {
			hinted_driver(g, p, d);
		} else {
			add(g,
			    g->pg ? " = ANY (ARRAY(SELECT d.res FROM " : " IN (SELECT d.res FROM ");
			add(g, index_table[d->kind]);
			add(g, " d");
			param_cond(g, " WHERE ", d);
			values_cond(g, d);
		}
		g->row_ref = "d.res";
		g->row_patient = "d.patient";
		for (size_t i = 0; i < p->npreds; i++)
			if ((int)i != driver && index_only(&p->preds[i])) {
				add(g, " AND ");
				pred_sql(g, &p->preds[i], true);
			}
		g->row_ref = NULL;
		g->row_patient = NULL;
		add(g, g->pg ? "))" : ")");
	}
	for (size_t i = 0; i < p->npreds; i++) {
		if (driver >= 0 && ((int)i == driver || index_only(&p->preds[i])))
			continue;
		add(g, " AND ");
		pred_sql(g, &p->preds[i],
		         driver != YL_DRIVER_ANY && (int)i != driver &&
		             (p->preds[i].via == YL_VIA_SELF));
	}
	/* Only current resources have index rows, so a positive index test implies the row is
	 * not deleted; without the column test, a walk of the type's (type, rowid) index reads
	 * no resource row that fails the index tests (SQLite codes column tests before
	 * subqueries, so the test cannot just come last). */
	bool current = false;
	for (size_t i = 0; i < p->npreds && !current; i++)
		current = yl_search_pred_indexable(&p->preds[i]);
	if (!current) {
		add(g, " AND ");
		rcol(g, "deleted");
		add(g, " = 0");
	}
}

static void plan_cond(struct gen *g, const struct yl_search_plan *p)
{
	plan_cond_driven(g, p, YL_DRIVER_ANY);
}

enum yl_code yl_search_sql_where(struct yl_sql *sql, struct yl_arena *a,
                                 const struct yl_search_plan *p, int driver, int dialect_pg,
                                 struct yl_err *err)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	add(&g, " WHERE ");
	plan_cond_driven(&g, p, driver);
	if (sql->text.err)
		return yl_err_add(err, a, sql->text.err, NULL,
		                  "the search is too complex; use fewer parameters or values");
	return YL_OK;
}

/* ---- sorting and paging -------------------------------------------------------------- */

/* The column a sort key compares, per index table: the smallest value for ascending
 * order, the largest for descending. */
static const char *const sort_col_lo[] = {
    [YL_IDX_TOKEN] = "min(code)", [YL_IDX_STRING] = "min(norm)",  [YL_IDX_DATE] = "min(lo)",
    [YL_IDX_NUMBER] = "min(lo)",  [YL_IDX_QUANTITY] = "min(lo)",  [YL_IDX_REFERENCE] = "min(url)",
    [YL_IDX_URI] = "min(uri)",    [YL_IDX_COMPOSITE] = "min(lo)",
};
static const char *const sort_col_hi[] = {
    [YL_IDX_TOKEN] = "max(code)", [YL_IDX_STRING] = "max(norm)",  [YL_IDX_DATE] = "max(hi)",
    [YL_IDX_NUMBER] = "max(hi)",  [YL_IDX_QUANTITY] = "max(hi)",  [YL_IDX_REFERENCE] = "max(url)",
    [YL_IDX_URI] = "max(uri)",    [YL_IDX_COMPOSITE] = "max(hi)",
};

/* "(SELECT agg FROM table WHERE res = r.rowid AND <param> [AND <values>])": a value of the
 * row's own index rows. PostgreSQL finds them by the row's patient too, the partition key,
 * so that one partition is read rather than each (an index row has its resource's patient;
 * rows of none are in the reference tables): a CASE of the two lookups, one of which runs. */
static void row_agg(struct gen *g, const char *agg, const char *table, const struct yl_pred *p,
                    bool values)
{
	if (g->pg)
		add(g, "CASE WHEN r.patient IS NULL THEN ");
	for (int i = 0; i < (g->pg ? 2 : 1); i++) {
		if (i)
			add(g, " ELSE ");
		add(g, "(SELECT ");
		add(g, agg);
		add(g, " FROM ");
		add(g, table);
		param_cond(g, g->pg ? " WHERE res = r.rowid AND " : " WHERE res = r.rowid AND +",
		           p);
		if (values)
			values_cond(g, p);
		add(g, !g->pg ? ")" : i ? " AND patient = r.patient)" : " AND patient IS NULL)");
	}
	if (g->pg)
		add(g, " END");
}

static void sort_expr(struct gen *g, const struct yl_sort_key *k)
{
	if (k->by == YL_SORT_MATCH) {
		/* the smallest matching value, cut like a cursor's (the by-value page reads
		 * whole values off the index instead: by_value_page) */
		add(g, "substr(");
		row_agg(g, "min(norm)", "idx_string", k->pred, true);
		add(g, ", 1, " YL_STR(YL_MATCH_KEY_MAX) ")");
		return;
	}
	if (k->by == YL_SORT_ID) {
		add(g, "r.id");
		return;
	}
	if (k->by == YL_SORT_LASTUPDATED) {
		add(g, "r.last_updated");
		return;
	}
	/* text keys are cut to SORT_TEXT_KEY bytes, so that cursors (which carry the key)
	 * stay short; resources equal on the cut key are ordered by row */
	bool text = k->kind == YL_IDX_TOKEN || k->kind == YL_IDX_STRING ||
	            k->kind == YL_IDX_REFERENCE || k->kind == YL_IDX_URI;
	struct yl_pred p = {.params = k->params, .nparams = k->nparams};
	if (text)
		add(g, "substr(");
	row_agg(g, k->desc ? sort_col_hi[k->kind] : sort_col_lo[k->kind], index_table[k->kind], &p,
	        false);
	if (text)
		add(g, ", 1, " YL_STR(SORT_TEXT_KEY) ")");
}

static void bind_key(struct gen *g, const struct yl_key *v)
{
	if (v->kind == YL_KEY_INT)
		bind_int(g, v->i);
	else if (v->kind == YL_KEY_REAL)
		bind_real(g, v->d);
	else
		bind_text(g, v->s);
}

/* Rows strictly beyond the cursor in (k0, k1, ..., res) order, nulls last in either
 * direction: A0 OR (T0 AND (A1 OR (T1 AND ... res > c))) where Ai is "beyond on key i" and
 * Ti "equal on key i"; for a previous page "before" instead of "beyond". */
static void cursor_cond(struct gen *g, const struct yl_search_plan *p)
{
	const struct yl_cursor *c = &p->cursor;
	size_t open = 0;
	for (size_t i = 0; i < p->nsort && i < c->nkeys; i++) {
		const struct yl_key *v = &c->keys[i];
		bool desc = p->sort[i].desc;
		char k[24];
		snprintf(k, sizeof k, "k%zu", i);
		add(g, "(");
		if (v->kind == YL_KEY_NULL) {
			/* nulls are last: nothing is beyond a null but other nulls; every value
			 * is before it */
			add(g, c->before ? k : g->pg ? "false" : "0");
			add(g, c->before ? " IS NOT NULL" : "");
			add(g, " OR (");
			add(g, k);
			add(g, " IS NULL AND ");
		} else {
			add(g, "(");
			if (!c->before) {
				add(g, k);
				add(g, " IS NULL OR ");
			}
			add(g, k);
			add(g, desc != c->before ? " < " : " > ");
			bind_key(g, v);
			add(g, ") OR (");
			add(g, k);
			add(g, " = ");
			bind_key(g, v);
			add(g, " AND ");
		}
		open++;
	}
	add(g, c->before ? "res < " : "res > ");
	bind_int(g, c->rowid);
	for (size_t i = 0; i < open; i++)
		add(g, "))");
}

bool yl_search_walkable(const struct yl_search_plan *p, size_t i)
{
	const struct yl_pred *d = &p->preds[i];
	return p->npreds == 1 && p->nsort == 0 && !p->patient && d->kind == YL_IDX_STRING &&
	       yl_search_pred_indexable(d) && d->match != YL_M_MISSING && d->nvalues > 0;
}

/* The page of a walk: the predicate's rows in (param, res) order through the walk index,
 * the value tested there, one row per resource (GROUP BY, streamed in index order), the
 * cursor and the limit inside, so that the walk stops after a page. */
static void walk_page(struct gen *g, const struct yl_search_plan *p, int driver)
{
	const struct yl_pred *d = &p->preds[YL_DRIVER_WALK_PRED(driver)];
	/* PostgreSQL: one row per resource by DISTINCT ON (its GROUP BY wants every column) */
	add(g, g->pg ? "SELECT DISTINCT ON (d.res) " : "SELECT ");
	add(g, g->pg
	           ? "d.res AS res, r.type, r.id, r.version, r.last_updated, r.body FROM "
	             "idx_string d JOIN resource r ON r.rowid = d.res"
	           : "r.rowid AS res, r.type, r.id, r.version, r.last_updated, r.body FROM "
	             "idx_string d INDEXED BY idx_string_walk JOIN resource r ON r.rowid = d.res");
	param_cond(g, " WHERE d.", d);
	values_cond(g, d);
	if (p->cursor.set) {
		add(g, p->cursor.before ? " AND d.res < " : " AND d.res > ");
		bind_int(g, p->cursor.rowid);
	}
	add(g, " AND r.type");
	types_in(g, p);
	visible_cond(g, p);
	if (!g->pg)
		add(g, " GROUP BY d.res");
	add(g, p->cursor.before ? " ORDER BY d.res DESC LIMIT " : " ORDER BY d.res LIMIT ");
	bind_int(g, p->count);
}

bool yl_search_by_value(const struct yl_search_plan *p)
{
	if (p->npreds != 1 || p->nsort != 1 || p->sort[0].by != YL_SORT_MATCH || p->patient)
		return false;
	const struct yl_pred *d = &p->preds[0];
	return p->sort[0].pred == d && d->via == YL_VIA_SELF && d->kind == YL_IDX_STRING &&
	       d->match == YL_M_STRING_START && !d->negate && d->nvalues == 1 &&
	       d->values[0].match == YL_M_STRING_START && (!d->params || d->nparams == 1);
}

/* The page of a search by one name value in (matched value, row) order: the rows of the
 * index range in index order (idx_string_norm is (param, norm) then the key (res, exact)),
 * each resource once, at its smallest matching value (the NOT EXISTS probes the resource's
 * own few rows of the parameter), the cursor and the limit inside: a page reads about a
 * page of index entries whatever the number of matches. A cursor cut to YL_MATCH_KEY_MAX
 * bytes is completed from the cursor resource's rows. */
static void by_value_page(struct gen *g, const struct yl_search_plan *p)
{
	const struct yl_pred *d = &p->preds[0];
	const struct yl_cursor *c = &p->cursor;
	add(g, "SELECT r.rowid AS res, r.type, r.id, r.version, r.last_updated, r.body, "
	       "d.norm AS k0 FROM idx_string d");
	add(g, g->pg ? " JOIN resource r ON r.rowid = d.res"
	             : " INDEXED BY idx_string_norm JOIN resource r ON r.rowid = d.res");
	param_cond(g, " WHERE d.", d);
	values_cond(g, d);
	if (c->set && c->nkeys == 1 && c->keys[0].kind == YL_KEY_TEXT) {
		const struct yl_key *k = &c->keys[0];
		add(g, c->before ? " AND (d.norm, d.res) < (" : " AND (d.norm, d.res) > (");
		if (k->cut) {
			add(g, "coalesce((SELECT min(norm) FROM idx_string WHERE ");
			cmp_int(g, "res", " = ", c->rowid);
			param_cond(g, " AND ", d);
			cmp_text(g, " AND norm", " >= ", k->s);
			values_cond(g, d);
			add(g, "), ");
			bind_text(g, k->s);
			add(g, ")");
		} else {
			bind_text(g, k->s);
		}
		add(g, ", ");
		bind_int(g, c->rowid);
		add(g, ")");
	}
	add(g, " AND r.type");
	types_in(g, p);
	visible_cond(g, p);
	add(g, " AND NOT EXISTS (SELECT 1 FROM idx_string e WHERE e.res = d.res AND "
	       "e.param = d.param");
	values_cond(g, d);
	/* PostgreSQL: tested per row (OFFSET 0), through idx_string_walk, rather than against
	 * a list of every match */
	add(g, g->pg ? " AND (e.norm < d.norm OR (e.norm = d.norm AND e.exact < d.exact)) OFFSET 0)"
	             : " AND (e.norm < d.norm OR (e.norm = d.norm AND e.exact < d.exact)))");
	add(g, c->set && c->before ? " ORDER BY d.norm DESC, d.res DESC LIMIT "
	                           : " ORDER BY d.norm, d.res LIMIT ");
	bind_int(g, p->count);
}

enum yl_code yl_search_sql_page(struct yl_sql *sql, struct yl_arena *a,
                                const struct yl_search_plan *p, int driver, int dialect_pg,
                                struct yl_err *err)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	if (YL_DRIVER_IS_WALK(driver) || driver == YL_DRIVER_BY_VALUE) {
		if (driver == YL_DRIVER_BY_VALUE)
			by_value_page(&g, p);
		else
			walk_page(&g, p, driver);
		return sql->text.err ? yl_err_add(err, a, sql->text.err, NULL,
		                                  "the search is too complex; use fewer values")
		                     : YL_OK;
	}
	add(&g, "SELECT * FROM (SELECT r.rowid AS res, r.type, r.id, r.version, r.last_updated, "
	        "r.body");
	for (size_t i = 0; i < p->nsort; i++) {
		add(&g, ", ");
		sort_expr(&g, &p->sort[i]);
		yl_buf_printf(&sql->text, " AS k%zu", i);
	}
	add(&g, " FROM resource r WHERE ");
	plan_cond_driven(&g, p, driver);
	/* PostgreSQL would fold the subquery into the outer one and work each sort key out
	 * once per use (the ORDER BY and the cursor name it several times) */
	add(&g, g.pg && p->nsort ? " OFFSET 0) s" : ") s");
	if (p->cursor.set) {
		add(&g, " WHERE ");
		cursor_cond(&g, p);
	}
	add(&g, " ORDER BY ");
	for (size_t i = 0; i < p->nsort; i++) {
		bool desc = p->sort[i].desc != p->cursor.before;
		/* nulls last, whichever the direction (flipped with it for a previous page) */
		yl_buf_printf(&sql->text, "(k%zu IS NULL)%s, k%zu%s, ", i,
		              p->cursor.before ? " DESC" : "", i, desc ? " DESC" : "");
	}
	add(&g, p->cursor.before ? "res DESC LIMIT " : "res LIMIT ");
	bind_int(&g, p->count);
	if (sql->text.err)
		return yl_err_add(err, a, sql->text.err, NULL,
		                  "the search is too complex; use fewer parameters or values");
	return YL_OK;
}

enum yl_code yl_search_sql_estimate(struct yl_sql *sql, struct yl_arena *a, const struct yl_pred *p,
                                    const char *patient, int cap, int dialect_pg,
                                    struct yl_err *err)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	add(&g, "SELECT count(*) FROM (SELECT 1 FROM ");
	add(&g, index_table[p->kind]);
	param_cond(&g, " WHERE ", p);
	values_cond(&g, p);
	if (patient) {
		add(&g, " AND patient = ");
		bind_text(&g, patient);
	}
	add(&g, " LIMIT ");
	bind_int(&g, cap);
	add(&g, ") e");
	if (sql->text.err)
		return yl_err_add(err, a, sql->text.err, NULL,
		                  "the search is too complex; use fewer parameters or values");
	return YL_OK;
}

/* The span of idx_date_bucket holding time t (migration 0009): floor(t / 2^38). */
#define SPAN_SHIFT 38
static int64_t span_of(int64_t t)
{
	return t >= 0 ? t >> SPAN_SHIFT : -1 - ((-(t + 1)) >> SPAN_SHIFT);
}

/* "(rows of param whose col is below / above x)": whole spans from idx_date_bucket, and the
 * rows of x's own span from the index. */
static void date_tail(struct gen *g, int64_t param, const char *col, bool above, int64_t x)
{
	int64_t s = span_of(x);
	add(g, "(SELECT coalesce(sum(n), 0) FROM idx_date_bucket WHERE ");
	cmp_int(g, "param", " = ", param);
	cmp_int(g, " AND side", " = ", strcmp(col, "lo") == 0 ? 0 : 1);
	cmp_int(g, " AND b", above ? " > " : " < ", s);
	add(g, ") + (SELECT count(*) FROM idx_date WHERE ");
	cmp_int(g, "param", " = ", param);
	add(g, " AND ");
	add(g, col);
	if (above) {
		cmp_int(g, "", " > ", x);
		if (s < (INT64_MAX >> SPAN_SHIFT)) {
			add(g, " AND ");
			cmp_int(g, col, " < ", (s + 1) * ((int64_t)1 << SPAN_SHIFT));
		}
	} else {
		cmp_int(g, "", " < ", x);
		add(g, " AND ");
		cmp_int(g, col, " >= ", s * ((int64_t)1 << SPAN_SHIFT));
	}
	add(g, ")");
}

/* A count of one one-sided date comparison on a single-valued parameter, from the spans:
 * lt = lo < slo; le = that, or lo in [slo, shi] and hi <= shi; gt = hi > shi; ge = that,
 * or hi in [slo, shi] and lo >= slo; sa = lo > shi; eb = hi < slo (range_cmp_int). */
static bool date_count_by_span(struct gen *g, const struct yl_search_plan *p)
{
	const struct yl_pred *pr = &p->preds[0];
	if (pr->kind != YL_IDX_DATE || !pr->single || pr->negate ||
	    (pr->params && pr->nparams > 1) || p->patient || pr->nvalues != 1 ||
	    pr->via != YL_VIA_SELF || pr->values[0].match != YL_M_DATE)
		return false;
	const struct yl_pred_value *v = &pr->values[0];
	static const struct {
		bool one_sided;
		const char *col;   /* the end compared with the search value */
		bool above, at_hi; /* rows above (else below) the search value's hi (else lo) */
		bool band;         /* or contained in the search value's range */
	} by_cmp[YL_CMP_AP + 1] = {
	    [YL_CMP_LT] = {true, "lo", false, false, false},
	    [YL_CMP_LE] = {true, "lo", false, false, true},
	    [YL_CMP_GT] = {true, "hi", true, true, false},
	    [YL_CMP_GE] = {true, "hi", true, true, true},
	    [YL_CMP_SA] = {true, "lo", true, true, false},
	    [YL_CMP_EB] = {true, "hi", false, false, false},
	};
	if (!by_cmp[v->cmp].one_sided)
		return false; /* eq, ne, ap: both ends at once; counted from the index */
	int64_t param = pr->params ? pr->params[0] : pr->param_hash;
	const char *col = by_cmp[v->cmp].col;
	add(g, "SELECT ");
	date_tail(g, param, col, by_cmp[v->cmp].above, by_cmp[v->cmp].at_hi ? v->i_hi : v->i_lo);
	if (by_cmp[v->cmp].band) {
		/* contained, with the compared end inside the search range: a bounded walk of
		 * the (param, lo) or (param, hi) index */
		add(g, " + (SELECT count(*) FROM idx_date WHERE ");
		cmp_int(g, "param", " = ", param);
		add(g, " AND ");
		contained(g, "lo", "hi", v->i_lo, v->i_hi);
		add(g, " AND ");
		cmp_int(g, col, " >= ", v->i_lo);
		add(g, " AND ");
		cmp_int(g, col, " <= ", v->i_hi);
		add(g, ")");
	}
	return true;
}

enum yl_code yl_search_sql_count_index(struct yl_sql *sql, struct yl_arena *a,
                                       const struct yl_search_plan *p, int dialect_pg,
                                       struct yl_err *err)
{
	struct gen g = {sql, a, dialect_pg, 0, NULL, NULL, NULL};
	const struct yl_pred *pr = &p->preds[0];
	if (!dialect_pg && date_count_by_span(&g, p)) /* PostgreSQL keeps no idx_date_bucket */
		goto done;
	/* one row per resource at most: no DISTINCT (a temporary B-tree of every match) */
	add(&g, pr->single ? "SELECT count(*) FROM " : "SELECT count(DISTINCT res) FROM ");
	add(&g, index_table[pr->kind]);
	param_cond(&g, " WHERE ", pr);
	values_cond(&g, pr);
	if (p->patient) {
		add(&g, " AND ");
		cmp_text(&g, "patient", " = ", p->patient);
	}
done:
	if (sql->text.err)
		return yl_err_add(err, a, sql->text.err, NULL,
		                  "the search is too complex; use fewer parameters or values");
	return YL_OK;
}
