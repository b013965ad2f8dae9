/* rest-search.c -- the search interactions: type, system (_type), compartment, and POST
 * _search with a form body; answers a searchset Bundle with cursor paging. */
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "fhir/limits.h"
#include "fhir/rest.h"
#include "fhir/schema.h"
#include "fhir/search.h"

struct page {
	struct yl_buf *b;
	const char *base;
	int want;
	int got;
	int64_t cursor;
};

static int entry_row(void *ctx, const struct yl_row *row)
{
	struct page *pg = ctx;
	if (pg->got == pg->want) {
		pg->got++; /* one more than a page: there is a next page */
		return 1;
	}
	if (pg->got++)
		yl_buf_addc(pg->b, ',');
	yl_buf_printf(pg->b, "{\"fullUrl\":\"%s/%s/%s\",\"resource\":", pg->base, row->type,
	              row->id);
	yl_buf_add(pg->b, row->body, row->body_len);
	yl_buf_adds(pg->b, ",\"search\":{\"mode\":\"match\"}}");
	pg->cursor = row->seq;
	return 0;
}

static bool prefer_strict(struct yl_req *r)
{
	const char *p = yl_req_header(r, "Prefer");
	return p && strstr(p, "handling=strict") != NULL;
}

static enum yl_code run_search(struct yl_req *r, const char **types, size_t ntypes,
                               const char *patient, const struct yl_param *params, size_t nparams,
                               struct yl_err *err)
{
	struct yl_search_req sr;
	enum yl_code code =
	    yl_fhir_search_parse(r->a, types, ntypes, params, nparams, prefer_strict(r), &sr, err);
	if (code != YL_OK)
		return code;
	sr.plan.patient = patient;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	const char *base = yl_fhir_base_url(r);
	struct yl_buf entries;
	yl_buf_init(&entries, r->a, 8192, YL_MAX_RESPONSE_BYTES);
	struct page pg = {&entries, base, sr.plan.count, 0, 0};
	if (sr.plan.count > 0)
		sr.plan.count++; /* one extra row tells whether a next page exists */
	int64_t total = -1;
	code = yl_store_search(c, r->a, &sr.plan, entry_row, &pg, &total, err);
	if (code != YL_OK)
		return code;
	bool more = pg.got > pg.want;
	if (total < 0 && !sr.summary_count && sr.total != YL_TOTAL_NONE && sr.plan.after == 0 &&
	    !more)
		total = pg.got; /* the whole result is on this page: the total is free */
	struct yl_buf b;
	yl_buf_init(&b, r->a, entries.len + 1024, YL_MAX_RESPONSE_BYTES);
	yl_buf_adds(&b, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"");
	if (total >= 0)
		yl_buf_printf(&b, ",\"total\":%lld", (long long)total);
	yl_buf_adds(&b, ",\"link\":[");
	yl_fhir_add_link(&b, r, base, "self", sr.kept, sr.nkept, sr.plan.after);
	if (more) {
		yl_buf_addc(&b, ',');
		yl_fhir_add_link(&b, r, base, "next", sr.kept, sr.nkept, pg.cursor);
	}
	yl_buf_addc(&b, ']');
	if (!sr.summary_count) {
		yl_buf_adds(&b, ",\"entry\":[");
		yl_buf_add(&b, entries.p, entries.len);
		yl_buf_addc(&b, ']');
	}
	yl_buf_addc(&b, '}');
	if (b.err || entries.err)
		return yl_err_add(err, r->a, b.err ? b.err : entries.err, NULL,
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
	struct yl_param *params;
	size_t n;
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
