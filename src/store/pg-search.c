/* pg-search.c -- searches and includes on PostgreSQL: store.h's yl_store_search and
 * yl_store_include for the PostgreSQL backend (pg-int.h), with the meaning sqlite.c gives
 * them. The SQL comes from search_sql.c in its PostgreSQL dialect; the predicate with the
 * fewest index rows lists the candidates when one has few (choose_driver), else every
 * predicate is written as a list and PostgreSQL's planner picks what to read first.
 * Statements run through pg.c's yl_pg_exec (prepared per connection, binary results).
 * Text sent to PostgreSQL must be well-formed UTF-8: a search value or cursor that is not
 * is refused (YL_BAD_REQUEST) before any SQL runs.
 * Memory: SQL text, parameters and every string handed to fn live in the caller's arena;
 * each PGresult is cleared before the function returns. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg-int.h"
#include "store/search.h"

/* PostgreSQL's type oids of the result columns a sort key can have (pg_type.dat) */
#define OID_INT8   20
#define OID_INT2   21
#define OID_INT4   23
#define OID_FLOAT4 700
#define OID_FLOAT8 701

/* The length of the well-formed UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (!len || s[0] > 0xf4)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0; /* overlong, surrogate, beyond U+10FFFF */
	return len;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

/* Run generated SQL: its binds become text parameters (PostgreSQL infers each one's type
 * from where it stands). *out is the result, the caller's to PQclear. */
static enum yl_code run_sql(struct yl_store_conn *c, struct yl_arena *a, const struct yl_sql *sql,
                            const char *what, PGresult **out, struct yl_err *err)
{
	*out = NULL;
	if (sql->text.err)
		return yl_err_add(err, a, sql->text.err, NULL,
		                  "the search is too complex; use fewer parameters or values");
	struct yl_pg_params pp;
	yl_pg_params_init(&pp, a);
	for (size_t i = 0; i < sql->nbinds; i++) {
		const struct yl_bind *b = &sql->binds[i];
		if (b->kind == YL_BIND_INT) {
			yl_pg_add_int(&pp, b->i);
		} else if (b->kind == YL_BIND_REAL) {
			yl_pg_add_real(&pp, b->d);
		} else if (utf8_valid(b->s)) {
			yl_pg_add_text(&pp, b->s);
		} else {
			return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
			                  "a search value is not well-formed UTF-8 text");
		}
	}
	if (pp.nomem)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in %s", what);
	if (getenv("YL_SQL_TRACE")) /* as SQLite's backend: the statement, values aside */
		fprintf(stderr, "SQL %s\n", sql->text.p);
	*out = yl_pg_exec(c, a, sql->text.p, &pp, what, err);
	return *out ? YL_OK : err->code;
}

static enum yl_code one_int(struct yl_store_conn *c, struct yl_arena *a, const struct yl_sql *sql,
                            int64_t *n, struct yl_err *err)
{
	PGresult *r;
	enum yl_code code = run_sql(c, a, sql, "search count", &r, err);
	if (code != YL_OK)
		return code;
	*n = PQntuples(r) > 0 ? yl_pg_col_int(r, 0, 0) : 0;
	PQclear(r);
	return YL_OK;
}

#define ESTIMATE_CAP                                                                               \
	2000 /* index rows counted at most to find the predicate with the fewest: a list           \
	      * longer than this is left to the planner */
#define ESTIMATE_SMALL 64 /* a predicate this selective drives without looking further */

/* The predicate's index rows (of that patient's, unless NULL), counted up to cap. */
static enum yl_code estimate(struct yl_store_conn *c, struct yl_arena *a, const struct yl_pred *p,
                             const char *patient, int64_t *n, struct yl_err *err)
{
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	enum yl_code code = yl_search_sql_estimate(&sql, a, p, patient, ESTIMATE_CAP, 1, err);
	return code == YL_OK ? one_int(c, a, &sql, n, err) : code;
}

/* How the candidates are found. Through the views (NAME_p UNION ALL NAME_r) the planner
 * has no count of a list's distinct rows and takes the default, so left to itself it lists
 * every row of every predicate and joins the lists: a patient's page of a common code read
 * the code's every row. So, as SQLite's backend does, the predicate with the fewest index
 * rows lists the candidates and the others are tested per candidate (in the candidate's own
 * partition: search_sql.c's per-row tests) when some predicate has fewer than ESTIMATE_CAP;
 * a compartment starts from the patient's rows. Chains, _has and _id, and plans of one
 * predicate, are left to the planner. */
static enum yl_code choose_driver(struct yl_store_conn *c, struct yl_arena *a,
                                  const struct yl_search_plan *p, int *driver, struct yl_err *err)
{
	*driver = YL_DRIVER_ANY;
	if (p->patient) {
		*driver = YL_DRIVER_PATIENT;
		return YL_OK;
	}
	if (p->npreds < 2)
		return YL_OK;
	for (size_t i = 0; i < p->npreds; i++) {
		const struct yl_pred *pr = &p->preds[i];
		if ((pr->via != YL_VIA_SELF || pr->match == YL_M_ID) && !pr->negate)
			return YL_OK; /* these list their own candidates */
	}
	enum yl_code code;
	/* every match is patient X's: a token with a handful of X's rows lists them */
	for (size_t i = 0; p->patient_hint && i < p->npreds; i++) {
		int64_t n = 0;
		if (!yl_search_pred_hinted(p, &p->preds[i]))
			continue;
		if ((code = estimate(c, a, &p->preds[i], p->patient_hint, &n, err)) != YL_OK)
			return code;
		if (n <= ESTIMATE_SMALL) {
			*driver = (int)i;
			return YL_OK;
		}
	}
	int64_t best = -1;
	for (size_t i = 0; i < p->npreds; i++) {
		int64_t n = 0;
		if (!yl_search_pred_indexable(&p->preds[i]))
			continue;
		if ((code = estimate(c, a, &p->preds[i], NULL, &n, err)) != YL_OK)
			return code;
		if (n < ESTIMATE_CAP && (best < 0 || n < best)) {
			best = n;
			*driver = (int)i;
		}
		if (n <= ESTIMATE_SMALL)
			break;
	}
	return YL_OK;
}

/* Every match counted: a plan of one indexable predicate from its index alone (index rows
 * exist only for current resources), else the plan's conditions on the resources. */
static enum yl_code search_count(struct yl_store_conn *c, struct yl_arena *a,
                                 const struct yl_search_plan *p, int64_t *total, struct yl_err *err)
{
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	enum yl_code code;
	if (p->npreds == 1 && yl_search_pred_indexable(&p->preds[0]) && !p->visible) {
		code = yl_search_sql_count_index(&sql, a, p, 1, err);
	} else {
		int driver;
		if ((code = choose_driver(c, a, p, &driver, err)) != YL_OK)
			return code;
		yl_buf_adds(&sql.text, "SELECT count(*) FROM resource r");
		code = yl_search_sql_where(&sql, a, p, driver, 1, err);
	}
	return code == YL_OK ? one_int(c, a, &sql, total, err) : code;
}

/* The kind of value sort key k has in a row: what a cursor's key must be to be compared
 * with it (PostgreSQL, unlike SQLite, will not compare text with a number). */
static int key_kind(const struct yl_sort_key *k)
{
	if (k->by == YL_SORT_ID || k->by == YL_SORT_MATCH)
		return YL_KEY_TEXT;
	if (k->by == YL_SORT_LASTUPDATED)
		return YL_KEY_INT;
	switch (k->kind) {
	case YL_IDX_DATE:
		return YL_KEY_INT;
	case YL_IDX_NUMBER:
	case YL_IDX_QUANTITY:
	case YL_IDX_COMPOSITE:
		return YL_KEY_REAL;
	default:
		return YL_KEY_TEXT;
	}
}

/* A cursor's keys must be of their sort keys' kinds (a real key's column also takes an
 * integer) and their text well-formed: else the cursor is not one this server made. */
static enum yl_code check_cursor(const struct yl_search_plan *p, struct yl_arena *a,
                                 struct yl_err *err)
{
	const struct yl_cursor *cur = &p->cursor;
	if (!cur->set)
		return YL_OK;
	for (size_t i = 0; i < cur->nkeys && i < p->nsort; i++) {
		const struct yl_key *k = &cur->keys[i];
		int want = key_kind(&p->sort[i]);
		bool ok = k->kind == YL_KEY_NULL || (int)k->kind == want ||
		          (want == YL_KEY_REAL && k->kind == YL_KEY_INT);
		if (ok && k->kind == YL_KEY_TEXT)
			ok = k->s && utf8_valid(k->s);
		if (!ok)
			return yl_err_add(err, a, YL_BAD_REQUEST, "_cursor",
			                  "the cursor is not one this server handed out for this "
			                  "search");
	}
	return YL_OK;
}

/* res, type, id, version, last_updated, body: the first six columns of every row */
static enum yl_code read_row(struct yl_arena *a, const PGresult *r, int i, struct yl_row *row,
                             struct yl_err *err)
{
	row->seq = yl_pg_col_int(r, i, 0);
	row->type = yl_pg_col_text(a, r, i, 1, NULL);
	row->id = yl_pg_col_text(a, r, i, 2, NULL);
	row->version = yl_pg_col_int(r, i, 3);
	row->last_updated = yl_pg_col_int(r, i, 4);
	row->body = yl_pg_col_body(a, r, i, 5, &row->body_len);
	if (!row->type || !row->id || !row->body)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	return YL_OK;
}

static int read_key(struct yl_arena *a, const PGresult *r, int i, int col, struct yl_key *k)
{
	if (yl_pg_col_null(r, i, col)) {
		k->kind = YL_KEY_NULL;
		return 0;
	}
	switch (PQftype(r, col)) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		k->kind = YL_KEY_INT;
		k->i = yl_pg_col_int(r, i, col);
		return 0;
	case OID_FLOAT4:
	case OID_FLOAT8:
		k->kind = YL_KEY_REAL;
		k->d = yl_pg_col_real(r, i, col);
		return 0;
	default:
		k->kind = YL_KEY_TEXT;
		k->s = yl_pg_col_text(a, r, i, col, NULL);
		return k->s ? 0 : -1;
	}
}

/* A by-value page's key (the whole matched value) cut as a cursor carries it: to at most
 * YL_MATCH_KEY_MAX bytes, at a character's start (PostgreSQL takes no broken UTF-8). */
static void cut_key(struct yl_key *k)
{
	size_t n = strlen(k->s);
	if (n <= YL_MATCH_KEY_MAX)
		return;
	n = YL_MATCH_KEY_MAX;
	while (n > 0 && ((unsigned char)k->s[n] & 0xc0) == 0x80)
		n--;
	((char *)k->s)[n] = '\0'; /* an arena copy */
	k->cut = true;
}

/* One page of the plan with the given driver, handed to fn. */
static enum yl_code run_page(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_search_plan *p, int driver, yl_row_fn fn, void *ctx,
                             struct yl_err *err)
{
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	PGresult *r = NULL;
	enum yl_code code = yl_search_sql_page(&sql, a, p, driver, 1, err);
	if (code != YL_OK || (code = run_sql(c, a, &sql, "search", &r, err)) != YL_OK)
		return code;
	int n = PQntuples(r);
	for (int i = 0; i < n && code == YL_OK; i++) {
		struct yl_row row = {0};
		if ((code = read_row(a, r, i, &row, err)) != YL_OK)
			break;
		if (p->nsort) {
			struct yl_key *k = yl_arena_calloc(a, p->nsort, sizeof(*k));
			for (size_t j = 0; k && j < p->nsort; j++)
				if (read_key(a, r, i, 6 + (int)j, &k[j]) != 0)
					k = NULL;
			if (!k) {
				code =
				    yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
				break;
			}
			if (driver == YL_DRIVER_BY_VALUE && k[0].kind == YL_KEY_TEXT)
				cut_key(&k[0]);
			row.keys = k;
		}
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return code;
}

enum yl_code yl_pg_search(struct yl_store_conn *c, struct yl_arena *a,
                          const struct yl_search_plan *p, yl_row_fn fn, void *ctx, int64_t *total,
                          struct yl_err *err)
{
	*total = -1;
	enum yl_code code = check_cursor(p, a, err);
	if (code != YL_OK)
		return code;
	if (p->total && (code = search_count(c, a, p, total, err)) != YL_OK)
		return code;
	if (p->count <= 0)
		return YL_OK;
	/* one name value in (value, row) order: the whole value orders, not the cut key */
	int driver = YL_DRIVER_BY_VALUE;
	if (!yl_search_by_value(p) && (code = choose_driver(c, a, p, &driver, err)) != YL_OK)
		return code;
	return run_page(c, a, p, driver, fn, ctx, err);
}

/* ---- includes ------------------------------------------------------------------------ */

/* PostgreSQL array literals ("{...}") built element by element. */
struct array {
	struct yl_buf b;
	size_t n;
};

static void array_init(struct array *x, struct yl_arena *a)
{
	yl_buf_init(&x->b, a, 256, 1 << 24);
	yl_buf_addc(&x->b, '{');
	x->n = 0;
}

static void array_sep(struct array *x)
{
	if (x->n++)
		yl_buf_addc(&x->b, ',');
}

static void array_int(struct array *x, int64_t v)
{
	array_sep(x);
	yl_buf_printf(&x->b, "%lld", (long long)v);
}

/* an element quoted, with " and \ escaped */
static void array_text(struct array *x, const char *s)
{
	array_sep(x);
	yl_buf_addc(&x->b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			yl_buf_addc(&x->b, '\\');
		yl_buf_addc(&x->b, *s);
	}
	yl_buf_addc(&x->b, '"');
}

/* the literal, or NULL (out of memory) */
static const char *array_end(struct array *x)
{
	yl_buf_addc(&x->b, '}');
	return x->b.err ? NULL : x->b.p;
}

/* Rows of "rowid, type, id, version, last_updated, body, patient" handed to fn. */
static enum yl_code include_rows(struct yl_arena *a, PGresult *r, yl_row_fn fn, void *ctx,
                                 struct yl_err *err)
{
	enum yl_code code = YL_OK;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct yl_row row = {0};
		if ((code = read_row(a, r, i, &row, err)) != YL_OK)
			break;
		row.patient = yl_pg_col_text(a, r, i, 6, NULL);
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return code;
}

#define INCLUDE_COLS "SELECT r.rowid, r.type, r.id, r.version, r.last_updated, r.body, r.patient "

/* Forward: the references of the rows first, each reference once (the rows' own index rows,
 * by their patient: the partitioned tables' keys begin with it), then the current
 * resources they name, looked up by (type, id). */
static enum yl_code include_forward(struct yl_store_conn *c, struct yl_arena *a,
                                    const struct yl_include *inc, const char *types,
                                    const char *res, yl_row_fn fn, void *ctx, struct yl_err *err)
{
	struct yl_pg_params pp;
	yl_pg_params_init(&pp, a);
	yl_pg_add_text(&pp, types);
	yl_pg_add_text(&pp, res);
	const char *cond = " AND ref_id IS NOT NULL";
	if (inc->param) {
		cond = yl_arena_printf(a, "%s AND param = $%d::bigint", cond, pp.n + 1);
		yl_pg_add_int(&pp, inc->param);
	}
	if (inc->target_type && cond) {
		cond = yl_arena_printf(a, "%s AND ref_type = $%d", cond, pp.n + 1);
		yl_pg_add_text(&pp, inc->target_type);
	}
	/* each row's references looked up by it (OFFSET 0: not joined as a list) */
	const char *sql =
	    cond ? yl_arena_printf(a,
	                           "SELECT x.ref_type, x.ref_id FROM resource s CROSS JOIN LATERAL "
	                           "(SELECT ref_type, ref_id FROM idx_reference WHERE patient = "
	                           "s.patient AND res = s.rowid%s OFFSET 0) x WHERE s.type = ANY "
	                           "($1::text[]) AND s.rowid = ANY ($2::bigint[]) UNION SELECT "
	                           "ref_type, ref_id FROM idx_reference WHERE patient IS NULL AND "
	                           "res = ANY ($2::bigint[])%s",
	                           cond, cond)
	         : NULL;
	if (!sql)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	PGresult *r = yl_pg_exec(c, a, sql, &pp, "include", err);
	if (!r)
		return err->code;
	struct array ttypes, tids;
	array_init(&ttypes, a);
	array_init(&tids, a);
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const char *t = yl_pg_col_text(a, r, i, 0, NULL);
		const char *id = yl_pg_col_text(a, r, i, 1, NULL);
		if (t && id) {
			array_text(&ttypes, t);
			array_text(&tids, id);
		}
	}
	PQclear(r);
	const char *tv = array_end(&ttypes), *iv = array_end(&tids);
	if (!tv || !iv)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	if (!tids.n)
		return YL_OK;
	yl_pg_params_init(&pp, a);
	yl_pg_add_text(&pp, tv);
	yl_pg_add_text(&pp, iv);
	r = yl_pg_exec(c, a,
	               INCLUDE_COLS
	               "FROM resource r JOIN unnest($1::text[], $2::text[]) AS t(type, "
	               "id) ON r.type = t.type AND r.id = t.id WHERE r.deleted = 0 "
	               "ORDER BY r.rowid",
	               &pp, "include", err);
	return r ? include_rows(a, r, fn, ctx, err) : err->code;
}

/* Reverse: the resources whose reference (param, or any) points at one of the rows. A
 * parameter names its resources' type (its hash is of the type and the code), so their
 * rows are looked up by (type, row). */
static enum yl_code include_reverse(struct yl_store_conn *c, struct yl_arena *a,
                                    const struct yl_include *inc, const char *types,
                                    const char *ids, yl_row_fn fn, void *ctx, struct yl_err *err)
{
	struct yl_pg_params pp;
	yl_pg_params_init(&pp, a);
	yl_pg_add_text(&pp, types);
	yl_pg_add_text(&pp, ids);
	const char *sql;
	if (inc->param && inc->source_type) {
		sql = INCLUDE_COLS
		    "FROM resource r WHERE r.deleted = 0 AND r.type = $3 AND r.rowid = "
		    "ANY (ARRAY(SELECT x.res FROM idx_reference x WHERE (x.ref_type, "
		    "x.ref_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND "
		    "x.param = $4::bigint)) ORDER BY r.rowid";
		yl_pg_add_text(&pp, inc->source_type);
		yl_pg_add_int(&pp, inc->param);
	} else if (inc->param) {
		sql =
		    INCLUDE_COLS "FROM resource r WHERE r.deleted = 0 AND r.rowid IN (SELECT x.res "
		                 "FROM idx_reference x WHERE (x.ref_type, x.ref_id) IN (SELECT * "
		                 "FROM unnest($1::text[], $2::text[])) AND x.param = $3::bigint) "
		                 "ORDER BY r.rowid";
		yl_pg_add_int(&pp, inc->param);
	} else {
		sql =
		    INCLUDE_COLS "FROM resource r WHERE r.deleted = 0 AND r.rowid IN (SELECT x.res "
		                 "FROM idx_reference x WHERE (x.ref_type, x.ref_id) IN (SELECT * "
		                 "FROM unnest($1::text[], $2::text[]))) ORDER BY r.rowid";
	}
	PGresult *r = yl_pg_exec(c, a, sql, &pp, "include", err);
	return r ? include_rows(a, r, fn, ctx, err) : err->code;
}

/* Forward: the targets of the references the rows (of the source type) hold; reverse: the
 * resources whose reference points at one of the rows. The rows go as array parameters (one
 * statement text whatever their number); each resource is passed once. */
enum yl_code yl_pg_include(struct yl_store_conn *c, struct yl_arena *a,
                           const struct yl_include *inc, const struct yl_row *rows, size_t n,
                           yl_row_fn fn, void *ctx, struct yl_err *err)
{
	struct array res, types, ids;
	array_init(&res, a);
	array_init(&types, a);
	array_init(&ids, a);
	const char **seen = yl_arena_calloc(a, n + 1, sizeof(*seen)); /* forward: types once */
	size_t nseen = 0;
	if (!seen)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	for (size_t i = 0; i < n; i++) {
		if (!inc->rev && inc->source_type && strcmp(rows[i].type, inc->source_type) != 0)
			continue;
		if (!utf8_valid(rows[i].type) || !utf8_valid(rows[i].id))
			continue; /* nothing stored can be or reference it */
		array_int(&res, rows[i].seq);
		array_text(&ids, rows[i].id);
		size_t k = 0;
		while (!inc->rev && k < nseen && strcmp(seen[k], rows[i].type) != 0)
			k++;
		if (inc->rev || k == nseen) { /* reverse: a type per row */
			seen[nseen++] = rows[i].type;
			array_text(&types, rows[i].type);
		}
	}
	const char *rv = array_end(&res), *tv = array_end(&types), *iv = array_end(&ids);
	if (!rv || !tv || !iv)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	if (!res.n)
		return YL_OK;
	return inc->rev ? include_reverse(c, a, inc, tv, iv, fn, ctx, err)
	                : include_forward(c, a, inc, tv, rv, fn, ctx, err);
}
