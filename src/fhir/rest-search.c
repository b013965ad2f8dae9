/* rest-search.c -- the search interactions: type, system (_type), compartment, and POST
 * _search with a form body; answers a searchset Bundle with cursor paging. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/policy.h"
#include "core/buf.h"
#include "core/hash.h"
#include "fhir/limits.h"
#include "fhir/rest.h"
#include "fhir/schema.h"
#include "fhir/search.h"
#include "fhir/compartment.h"
#include "fhir/searchparam.h"

#define MAX_INCLUDED      5000 /* included resources per page */
#define MAX_ITERATE       4    /* rounds of :iterate includes */
#define MAX_VALUESET_CODE 1000 /* codes of a ValueSet used by :in / :not-in */

/* Rows of one page (matches, then includes), in arena memory. With includes, `seen` (open
 * addressing on the resource row, SEEN_SLOTS) keeps each resource to one entry. */
#define SEEN_SLOTS 16384 /* a power of two above 2 x (YL_MAX_COUNT + 1 + MAX_INCLUDED) */
struct rows {
	struct yl_arena *a;
	struct yl_row *v;
	size_t n, cap, limit;
	int64_t *seen;                /* NULL: no includes, matches are distinct anyway */
	const char *own_patient;      /* the compartment's Patient when it is among the matches:
	                               * then never an include */
	const struct yl_scope *scope; /* includes: only what the caller may see */
	bool full, nomem;
};

/* true when row (a resource row > 0) was already collected; else remembers it */
static bool seen_before(struct rows *rs, int64_t row)
{
	size_t i = (size_t)(((uint64_t)row * 0x9e3779b97f4a7c15ULL) >> 50) & (SEEN_SLOTS - 1);
	while (rs->seen[i]) {
		if (rs->seen[i] == row)
			return true;
		i = (i + 1) & (SEEN_SLOTS - 1);
	}
	rs->seen[i] = row;
	return false;
}

static int collect(void *ctx, const struct yl_row *row)
{
	struct rows *rs = ctx;
	if (rs->n == rs->limit) {
		rs->full = true;
		return 1;
	}
	if (rs->scope && !yl_scope_sees(rs->scope, row->type, row->patient))
		return 0; /* an included record the caller may not see is left out, silently */
	if (rs->seen && seen_before(rs, row->seq))
		return 0;
	if (rs->seen && rs->own_patient && strcmp(row->type, "Patient") == 0 &&
	    strcmp(row->id, rs->own_patient) == 0)
		return 0; /* included on every page it would repeat the record's first entry */
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;
		struct yl_row *nv = yl_arena_alloc(rs->a, cap * sizeof(*nv));
		if (!nv) {
			rs->nomem = true;
			return 1;
		}
		if (rs->n)
			memcpy(nv, rs->v, rs->n * sizeof(*nv));
		rs->v = nv;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *row;
	return 0;
}

static bool prefer_strict(struct yl_req *r)
{
	const char *p = yl_req_header(r, "Prefer");
	return p && strstr(p, "handling=strict") != NULL;
}

/* ---- token :in / :not-in: the codes of a stored ValueSet ---------------------------- */

struct vs_codes {
	struct yl_arena *a;
	struct yl_vs_code *v;
	size_t n;
	bool too_many;
};

static void vs_add(struct vs_codes *vc, const char *system, const char *code)
{
	if (!code)
		return;
	if (vc->n == MAX_VALUESET_CODE) {
		vc->too_many = true;
		return;
	}
	vc->v[vc->n].system = system ? yl_arena_strdup(vc->a, system) : NULL;
	vc->v[vc->n].code = yl_arena_strdup(vc->a, code);
	vc->n++;
}

static void vs_contains(struct vs_codes *vc, json_t *contains)
{
	size_t i;
	json_t *c;
	json_array_foreach (contains, i, c) {
		vs_add(vc, json_string_value(json_object_get(c, "system")),
		       json_string_value(json_object_get(c, "code")));
		vs_contains(vc, json_object_get(c, "contains"));
	}
}

static int first_row(void *ctx, const struct yl_row *row)
{
	*(struct yl_row *)ctx = *row;
	return 1;
}

/* The codes a ValueSet lists: compose.include[].concept[] and expansion.contains[]
 * (filters and imported value sets are not expanded). */
static enum yl_code valueset_codes(void *ctx, struct yl_arena *a, const char *url,
                                   struct yl_vs_code **codes, size_t *n, struct yl_err *err)
{
	struct yl_store_conn *c = ctx;
	const char *types[] = {"ValueSet"};
	int64_t hash = yl_hash_sql(yl_hash_parts(2, "ValueSet", "url"));
	struct yl_pred_value v = {.match = YL_M_URI, .s1 = url};
	struct yl_pred pred = {
	    .match = YL_M_URI, .kind = YL_IDX_URI, .param_hash = hash, .values = &v, .nvalues = 1};
	struct yl_search_plan plan = {
	    .types = types, .ntypes = 1, .preds = &pred, .npreds = 1, .count = 1};
	struct yl_row row = {0};
	int64_t total;
	enum yl_code code = yl_store_search(c, a, &plan, first_row, &row, &total, err);
	if (code != YL_OK)
		return code;
	if (!row.body)
		return YL_NOT_FOUND;
	json_t *vs = json_loadb(row.body, row.body_len, 0, NULL);
	struct vs_codes vc = {a, yl_arena_calloc(a, MAX_VALUESET_CODE, sizeof(struct yl_vs_code)),
	                      0, false};
	if (!vs || !vc.v) {
		json_decref(vs);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reading a ValueSet");
	}
	size_t i, k;
	json_t *inc, *concept;
	json_array_foreach (json_object_get(json_object_get(vs, "compose"), "include"), i, inc) {
		const char *system = json_string_value(json_object_get(inc, "system"));
		json_array_foreach (json_object_get(inc, "concept"), k, concept)
			vs_add(&vc, system, json_string_value(json_object_get(concept, "code")));
	}
	vs_contains(&vc, json_object_get(json_object_get(vs, "expansion"), "contains"));
	json_decref(vs);
	if (vc.too_many)
		return yl_err_add(
		    err, a, YL_BAD_REQUEST, NULL,
		    "the ValueSet '%.100s' lists more than %d codes; :in takes smaller "
		    "value sets",
		    url, MAX_VALUESET_CODE);
	*codes = vc.v;
	*n = vc.n;
	return YL_OK;
}

/* ---- _summary and _elements ---------------------------------------------------------- */

static bool summary_member(const char *type, const char *m, enum yl_summary how)
{
	if (strcmp(m, "resourceType") == 0 || strcmp(m, "id") == 0 || strcmp(m, "meta") == 0 ||
	    strcmp(m, "implicitRules") == 0)
		return true;
	if (how == YL_SUMMARY_DATA)
		return strcmp(m, "text") != 0;
	if (how == YL_SUMMARY_TEXT && strcmp(m, "text") == 0)
		return true;
	int t = yl_fhir_resource_type_index(type, strlen(type));
	if (t >= 0) { /* mandatory elements are always returned */
		const struct yl_fhir_type *def = &yl_fhir_types[yl_fhir_resource_type_def[t]];
		for (unsigned i = 0; i < def->req_count; i++)
			if (strcmp(yl_fhir_str(
			               yl_fhir_elems[yl_fhir_required[def->first_req + i]].name),
			           m) == 0)
				return true;
	}
	if (how == YL_SUMMARY_TEXT)
		return false;
	/* _summary=true: the elements search parameters index (R4 marks those as summary
	 * elements almost everywhere; the definitions' isSummary flags are not in our data) */
	size_t n = 0, ml = strlen(m);
	const struct yl_searchparam *sp = yl_searchparam_list(type, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sp[i].npaths; k++) {
			const char *path = sp[i].paths[k].path;
			if (strncmp(path, m, ml) == 0 && (path[ml] == '\0' || path[ml] == '.'))
				return true;
		}
	return false;
}

static bool element_wanted(const struct yl_search_req *sr, const char *type, const char *m)
{
	if (*m == '_') /* a primitive's extensions follow the primitive */
		m++;
	if (sr->elements) {
		if (summary_member(type, m, YL_SUMMARY_TEXT) && strcmp(m, "text") != 0)
			return true;
		for (size_t i = 0; i < sr->nelements; i++)
			if (strcmp(sr->elements[i], m) == 0)
				return true;
		return false;
	}
	return summary_member(type, m, sr->summary);
}

/* The body with only the wanted elements, tagged SUBSETTED; NULL on out-of-memory. */
static const char *subset(struct yl_arena *a, const struct yl_search_req *sr,
                          const struct yl_row *row, size_t *len)
{
	json_t *doc = json_loadb(row->body, row->body_len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		*len = row->body_len;
		return row->body;
	}
	const char *key;
	json_t *v, *tmp;
	json_object_foreach_safe(doc, tmp, key, v) if (!element_wanted(sr, row->type, key))
	    json_object_del(doc, key);
	json_t *meta = json_object_get(doc, "meta");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(doc, "meta", meta);
	}
	json_t *tags = json_object_get(meta, "tag");
	if (!json_is_array(tags)) {
		tags = json_array();
		json_object_set_new(meta, "tag", tags);
	}
	json_array_append_new(tags,
	                      json_pack("{s:s,s:s,s:s}", "system",
	                                "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
	                                "code", "SUBSETTED", "display", "subsetted"));
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return NULL;
	*len = strlen(text);
	char *out = yl_arena_strndup(a, text, *len);
	free(text);
	return out;
}

static void add_entry(struct yl_buf *b, struct yl_arena *a, const struct yl_search_req *sr,
                      const char *base, const struct yl_row *row, bool include, bool first)
{
	if (!first)
		yl_buf_addc(b, ',');
	yl_buf_printf(b, "{\"fullUrl\":\"%s/%s/%s\",\"resource\":", base, row->type, row->id);
	size_t len = row->body_len;
	const char *body = row->body;
	if (sr->elements || sr->summary != YL_SUMMARY_FALSE) {
		body = subset(a, sr, row, &len);
		if (!body) {
			b->err = YL_NOMEM;
			return;
		}
	}
	yl_buf_add(b, body, len);
	yl_buf_adds(b, include ? ",\"search\":{\"mode\":\"include\"}}"
	                       : ",\"search\":{\"mode\":\"match\"}}");
}

/* ---- includes ------------------------------------------------------------------------ */

static enum yl_code run_includes(struct yl_store_conn *c, struct yl_arena *a,
                                 const struct yl_search_req *sr, struct rows *rs,
                                 struct yl_err *err)
{
	size_t matches = rs->n;
	size_t from = 0, to = matches;
	for (int round = 0; round <= MAX_ITERATE && from < to; round++) {
		for (size_t i = 0; i < sr->nincludes; i++) {
			const struct yl_include *inc = &sr->includes[i];
			if (round > 0 && !inc->iterate)
				continue;
			enum yl_code code =
			    yl_store_include(c, a, inc, rs->v + from, to - from, collect, rs, err);
			if (code != YL_OK)
				return code;
			if (rs->full)
				return YL_OK;
		}
		from = to;
		to = rs->n;
	}
	return YL_OK;
}

static void add_ignored(struct yl_buf *b, struct yl_arena *a, const struct yl_search_req *sr,
                        bool first)
{
	struct yl_err notes;
	yl_err_init(&notes);
	for (size_t i = 0; i < sr->nignored; i++)
		yl_err_note(&notes, a, "warning", "not-supported", sr->ignored[i],
		            "search parameter '%.60s' is unknown or not supported here and was "
		            "ignored (send Prefer: handling=strict to have it refused)",
		            sr->ignored[i]);
	size_t len = 0;
	const char *oo = yl_fhir_outcome(a, &notes, &len);
	if (!oo)
		return;
	yl_buf_adds(b, first ? "" : ",");
	yl_buf_adds(b, "{\"resource\":");
	yl_buf_add(b, oo, len);
	yl_buf_adds(b, ",\"search\":{\"mode\":\"outcome\"}}");
}

/* The first type a plan reads that the caller may not see: its own, or one of its chained
 * and _has levels' (the store holds those to the caller's residents, not to their types). */
static const char *unseen_type(const struct yl_scope *s, const struct yl_search_plan *plan)
{
	for (size_t i = 0; i < plan->ntypes; i++)
		if (!yl_scope_type(s, plan->types[i]))
			return plan->types[i];
	for (size_t i = 0; i < plan->npreds; i++) {
		const char *t = plan->preds[i].sub ? unseen_type(s, plan->preds[i].sub) : NULL;
		if (t)
			return t;
	}
	return NULL;
}

/* Hold a search to what the caller may see (auth/policy.h): the store filters the rows and
 * the total, chained and _has conditions included; a role that sees only some types (a
 * pharmacist) is refused the others, also as a chain's or _has's target. */
static enum yl_code scope_search(struct yl_req *r, struct yl_search_plan *plan, struct yl_err *err)
{
	const struct yl_scope *s;
	enum yl_code code = yl_policy_scope(r, &s, err);
	if (code != YL_OK || s->all)
		return code;
	const char *unseen = s->types ? unseen_type(s, plan) : NULL;
	if (unseen)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "your role does not see %s records", unseen);
	yl_scope_plan(s, plan);
	/* the one resident a search names is the one its audit event is about */
	if (plan->patient && !r->audit_patient)
		r->audit_patient = plan->patient;
	return YL_OK;
}

static void reverse(struct yl_row *v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct yl_row t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

static enum yl_code run_search(struct yl_req *r, const char **types, size_t ntypes,
                               const char *patient, const struct yl_param *params, size_t nparams,
                               struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	const char *base = yl_fhir_base_url(r);
	struct yl_search_opts opts = {
	    .strict = prefer_strict(r), .valueset = valueset_codes, .base = base, .ctx = c};
	struct yl_search_req sr;
	enum yl_code code =
	    yl_fhir_search_parse(r->a, types, ntypes, params, nparams, &opts, &sr, err);
	if (code != YL_OK)
		return code;
	sr.plan.patient = patient;
	if ((code = scope_search(r, &sr.plan, err)) != YL_OK)
		return code;
	int want = sr.plan.count;
	if (sr.plan.count > 0)
		sr.plan.count++; /* one extra row tells whether there is another page */
	struct rows rs = {.a = r->a, .limit = (size_t)want + 1};
	for (size_t i = 0; patient && i < ntypes; i++)
		if (strcmp(types[i], "Patient") == 0) /* the compartment's Patient is a match */
			rs.own_patient = patient;
	int64_t total = -1;
	code = yl_store_search(c, r->a, &sr.plan, collect, &rs, &total, err);
	if (code != YL_OK)
		return code;
	if (rs.nomem)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory collecting a page");
	bool more = rs.n > (size_t)want; /* beyond this page, in the direction read */
	if (more)
		rs.n = (size_t)want;
	bool before = sr.plan.cursor.set && sr.plan.cursor.before;
	if (before)
		reverse(rs.v, rs.n);
	size_t matches = rs.n;
	if (sr.nincludes && matches) {
		/* the page's matches (not the extra row read to see if there is more) */
		if (!(rs.seen = yl_arena_calloc(r->a, SEEN_SLOTS, sizeof(int64_t))))
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		for (size_t i = 0; i < matches; i++)
			seen_before(&rs, rs.v[i].seq);
		rs.limit = matches + MAX_INCLUDED;
		rs.scope = r->scope;
		if ((code = run_includes(c, r->a, &sr, &rs, err)) != YL_OK)
			return code;
		if (rs.nomem)
			return yl_err_add(err, r->a, YL_NOMEM, NULL,
			                  "out of memory collecting includes");
	}
	if (total < 0 && !sr.summary_count && sr.total != YL_TOTAL_NONE && !sr.plan.cursor.set &&
	    !more)
		total = (int64_t)matches; /* the whole result is on this page: the total is free */

	struct yl_buf b;
	yl_buf_init(&b, r->a, 4096, YL_MAX_RESPONSE_BYTES);
	yl_buf_adds(&b, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"");
	if (total >= 0)
		yl_buf_printf(&b, ",\"total\":%lld", (long long)total);
	yl_buf_adds(&b, ",\"link\":[");
	const char *self = NULL;
	for (size_t i = 0; i < nparams; i++)
		if (strcmp(params[i].name, "_cursor") == 0)
			self = params[i].value;
	yl_fhir_add_link(&b, r, base, "self", sr.kept, sr.nkept, self);
	const char *prev = NULL, *next = NULL;
	if (matches && sr.plan.cursor.set && (!before || more) &&
	    !(prev = yl_fhir_search_cursor(r->a, &sr.plan, &rs.v[0], true)))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory writing a link");
	if (matches && (before || more) &&
	    !(next = yl_fhir_search_cursor(r->a, &sr.plan, &rs.v[matches - 1], false)))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory writing a link");
	if (prev) {
		yl_buf_addc(&b, ',');
		yl_fhir_add_link(&b, r, base, "previous", sr.kept, sr.nkept, prev);
	}
	if (next) {
		yl_buf_addc(&b, ',');
		yl_fhir_add_link(&b, r, base, "next", sr.kept, sr.nkept, next);
	}
	yl_buf_addc(&b, ']');
	if (!sr.summary_count) {
		yl_buf_adds(&b, ",\"entry\":[");
		for (size_t i = 0; i < rs.n; i++)
			add_entry(&b, r->a, &sr, base, &rs.v[i], i >= matches, i == 0);
		if (sr.nignored) /* say what was ignored, as the spec's search.mode outcome */
			add_ignored(&b, r->a, &sr, rs.n == 0);
		yl_buf_addc(&b, ']');
	}
	yl_buf_addc(&b, '}');
	if (b.err)
		return yl_err_add(err, r->a, b.err, NULL,
		                  "the search page is too large; ask for a smaller _count");
	r->status = 200;
	r->resp_body = b.p;
	r->resp_len = b.len;
	return YL_OK;
}

/* A one-element type list for a type named in the URL (404 if it is not a resource type). */
static enum yl_code one_type(struct yl_req *r, const char *type, const char ***out,
                             struct yl_err *err)
{
	if (yl_fhir_resource_type_index(type, strlen(type)) < 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "'%.64s' is not a FHIR R4 resource type", type);
	*out = yl_arena_calloc(r->a, 1, sizeof(char *));
	if (!*out)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	(*out)[0] = type;
	return YL_OK;
}

/* Query parameters plus, for POST _search, the form-encoded body. */
static enum yl_code form_params(struct yl_req *r, struct yl_param **out, size_t *n,
                                struct yl_err *err)
{
	const char *ct = yl_req_header(r, "Content-Type");
	if (r->body_len && (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0))
		return yl_err_add(
		    err, r->a, YL_UNSUPPORTED_MEDIA, NULL,
		    "POST _search takes application/x-www-form-urlencoded parameters");
	struct yl_url form = {0};
	if (r->body_len) {
		char *q = yl_arena_alloc(r->a, r->body_len + 2);
		if (!q)
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		q[0] = '?';
		memcpy(q + 1, r->body, r->body_len);
		q[r->body_len + 1] = '\0';
		enum yl_code code = yl_url_parse(r->a, q, r->body_len + 1, &form, err);
		if (code != YL_OK)
			return code;
	}
	size_t total = r->url.nparams + form.nparams;
	if (total > YL_MAX_QUERY_PARAMS)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "the search has more than %d parameters", YL_MAX_QUERY_PARAMS);
	*out = yl_arena_calloc(r->a, total + 1, sizeof(struct yl_param));
	if (!*out)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	if (r->url.nparams)
		memcpy(*out, r->url.params, r->url.nparams * sizeof(struct yl_param));
	if (form.nparams)
		memcpy(*out + r->url.nparams, form.params, form.nparams * sizeof(struct yl_param));
	*n = total;
	return YL_OK;
}

enum yl_code yl_h_search_type(struct yl_req *r, struct yl_err *err)
{
	const char **types = NULL;
	enum yl_code code = one_type(r, r->vars[0], &types, err);
	return code != YL_OK ? code
	                     : run_search(r, types, 1, NULL, r->url.params, r->url.nparams, err);
}

enum yl_code yl_h_search_type_post(struct yl_req *r, struct yl_err *err)
{
	const char **types = NULL;
	struct yl_param *params = NULL;
	size_t n = 0;
	enum yl_code code = one_type(r, r->vars[0], &types, err);
	if (code == YL_OK)
		code = form_params(r, &params, &n, err);
	return code != YL_OK ? code : run_search(r, types, 1, NULL, params, n, err);
}

/* _type=A,B (or every resource type) */
static enum yl_code system_types(struct yl_req *r, const struct yl_param *params, size_t n,
                                 const char ***types, size_t *ntypes, struct yl_err *err)
{
	const char *list = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, "_type") == 0)
			list = params[i].value;
	if (!list) {
		*types = (const char **)yl_fhir_resource_types;
		*ntypes = yl_fhir_resource_type_count;
		return YL_OK;
	}
	*types = yl_arena_calloc(r->a, yl_fhir_resource_type_count, sizeof(char *));
	if (!*types)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	*ntypes = 0;
	char *s = yl_arena_strdup(r->a, list);
	while (s && *s) {
		size_t len = strcspn(s, ",");
		char *t = yl_arena_strndup(r->a, s, len);
		if (!t || yl_fhir_resource_type_index(t, len) < 0)
			return yl_err_add(err, r->a, YL_BAD_REQUEST, "_type",
			                  "_type: '%.64s' is not a FHIR R4 resource type",
			                  t ? t : "");
		if (*ntypes < yl_fhir_resource_type_count)
			(*types)[(*ntypes)++] = t;
		s += len;
		if (*s == ',')
			s++;
	}
	if (!*ntypes)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "_type", "_type is empty");
	return YL_OK;
}

enum yl_code yl_h_search_system(struct yl_req *r, struct yl_err *err)
{
	const char **types;
	size_t ntypes;
	enum yl_code code = system_types(r, r->url.params, r->url.nparams, &types, &ntypes, err);
	return code != YL_OK
	           ? code
	           : run_search(r, types, ntypes, NULL, r->url.params, r->url.nparams, err);
}

enum yl_code yl_h_search_system_post(struct yl_req *r, struct yl_err *err)
{
	struct yl_param *params = NULL;
	size_t n = 0; /* set by form_params; gcc -O3 cannot tell */
	const char **types;
	size_t ntypes;
	enum yl_code code = form_params(r, &params, &n, err);
	if (code == YL_OK)
		code = system_types(r, params, n, &types, &ntypes, err);
	return code != YL_OK ? code : run_search(r, types, ntypes, NULL, params, n, err);
}

enum yl_code yl_h_search_compartment(struct yl_req *r, struct yl_err *err)
{
	if (strcmp(r->vars[0], "Patient") != 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "compartment search is offered for Patient compartments only");
	const char **types = NULL;
	enum yl_code code = one_type(r, r->vars[2], &types, err);
	return code != YL_OK
	           ? code
	           : run_search(r, types, 1, r->vars[1], r->url.params, r->url.nparams, err);
}

/* ---- conditional operations ----------------------------------------------------------- */

/* Parameters that say how to present results, not which resources: no use as criteria. */
static bool result_param(const char *name)
{
	static const char *const names[] = {"_count",   "_sort",     "_include", "_revinclude",
	                                    "_summary", "_elements", "_total",   "_cursor",
	                                    "_format",  "_pretty"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(name, names[i], strlen(names[i])) == 0 &&
		    (name[strlen(names[i])] == '\0' || name[strlen(names[i])] == ':'))
			return true;
	return false;
}

enum yl_code yl_fhir_match_params(struct yl_req *r, const char *type, const struct yl_param *params,
                                  size_t nparams, const char *what, struct yl_row rows[2], int *n,
                                  struct yl_err *err)
{
	*n = 0;
	const char **types;
	enum yl_code code = one_type(r, type, &types, err);
	if (code != YL_OK)
		return code;
	size_t criteria = 0;
	for (size_t i = 0; i < nparams; i++) {
		if (result_param(params[i].name))
			return yl_err_add(err, r->a, YL_BAD_REQUEST, params[i].name,
			                  "%s: '%.64s' says how to show results; a condition takes "
			                  "search criteria only",
			                  what, params[i].name);
		criteria++;
	}
	if (!criteria)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "%s: no search criteria (such as ?identifier=system|value); "
		                  "without them every %s would match",
		                  what, type);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	/* strict: a criterion the server would ignore would widen the match */
	struct yl_search_opts opts = {
	    .strict = true, .valueset = valueset_codes, .base = yl_fhir_base_url(r), .ctx = c};
	struct yl_search_req sr;
	if ((code = yl_fhir_search_parse(r->a, types, 1, params, nparams, &opts, &sr, err)) !=
	    YL_OK)
		return code;
	if ((code = scope_search(r, &sr.plan, err)) != YL_OK)
		return code;
	sr.plan.count = 2; /* none, one or several (of those the caller may see) */
	sr.plan.nsort = 0;
	sr.plan.total = false;
	struct rows rs = {.a = r->a, .limit = 2};
	int64_t total;
	if ((code = yl_store_search(c, r->a, &sr.plan, collect, &rs, &total, err)) != YL_OK)
		return code;
	if (rs.nomem)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < rs.n; i++)
		rows[i] = rs.v[i];
	*n = (int)rs.n;
	return YL_OK;
}

enum yl_code yl_fhir_match(struct yl_req *r, const char *type, const char *query, const char *what,
                           struct yl_row rows[2], int *n, struct yl_err *err)
{
	size_t len = strlen(query);
	char *q = yl_arena_alloc(r->a, len + 2);
	if (!q)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	q[0] = '?';
	memcpy(q + 1, query, len + 1);
	struct yl_url u;
	enum yl_code code = yl_url_parse(r->a, q, len + 1, &u, err);
	if (code != YL_OK)
		return code;
	return yl_fhir_match_params(r, type, u.params, u.nparams, what, rows, n, err);
}

/* ---- Patient/{id}/$everything ------------------------------------------------------ */

enum yl_code yl_h_everything(struct yl_req *r, struct yl_err *err)
{
	const char *id = r->vars[0];
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row pat;
	enum yl_code code = yl_store_read(c, r->a, "Patient", id, 0, &pat, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "Patient/%.64s does not exist",
		                  id);
	if (code != YL_OK)
		return code;
	if (pat.deleted)
		return yl_err_add(err, r->a, YL_GONE, NULL, "Patient/%s was deleted", id);
	/* the types asked for (_type), or every type in the Patient compartment */
	const char **types;
	size_t ntypes = 0;
	bool listed = yl_url_param(&r->url, "_type") != NULL;
	if ((code = system_types(r, r->url.params, r->url.nparams, &types, &ntypes, err)) != YL_OK)
		return code;
	const char **mine = yl_arena_calloc(r->a, ntypes + 1, sizeof(char *));
	if (!mine)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < ntypes; i++) {
		size_t len;
		if (yl_fhir_patient_path(types[i], &len))
			mine[n++] = types[i];
		else if (listed)
			return yl_err_add(err, r->a, YL_BAD_REQUEST, "_type",
			                  "%s is not in the Patient compartment", types[i]);
	}
	/* _since is _lastUpdated=ge; _count and the cursor as in any search */
	struct yl_param *params = yl_arena_calloc(r->a, r->url.nparams + 2, sizeof(*params));
	if (!params)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	size_t np = 0;
	for (size_t i = 0; i < r->url.nparams; i++) {
		const struct yl_param *p = &r->url.params[i];
		if (strcmp(p->name, "_since") == 0)
			params[np++] = (struct yl_param){"_lastUpdated",
			                                 yl_arena_printf(r->a, "ge%s", p->value)};
		else if (strcmp(p->name, "_count") == 0 || strcmp(p->name, "_cursor") == 0 ||
		         strcmp(p->name, "_type") == 0 || strcmp(p->name, "_lastUpdated") == 0 ||
		         strcmp(p->name, "_format") == 0 || strcmp(p->name, "_pretty") == 0)
			params[np++] = *p;
	}
	/* and what each page's resources refer to (their Practitioners, Organizations,
	 * Medications...), as the operation asks, unless _type chose the types wanted */
	if (!listed)
		params[np++] = (struct yl_param){"_include", "*"};
	return run_search(r, mine, n, id, params, np, err);
}
