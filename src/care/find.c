/* find.c -- searches, reads and references for the care rules (find.h). */
#include "care/find.h"

#include "care/config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "fhir/parameters.h"
#include "fhir/json.h"
#include "fhir/jsonload.h"
#include "fhir/rest.h"
#include "http/http.h"
#include "fhir/search.h"

struct collect {
	struct yl_arena *a;
	struct yl_row *rows;
	size_t n, cap;
};

static int keep(void *ctx, const struct yl_row *row)
{
	struct collect *cl = ctx;
	if (cl->n < cl->cap)
		cl->rows[cl->n++] = *row;
	return cl->n >= cl->cap;
}

enum yl_code yl_care_find(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const struct yl_param *params, size_t nparams, int limit,
                          struct yl_row **rows, size_t *n, int64_t *total, struct yl_err *err)
{
	const char *types[] = {type};
	struct yl_search_opts opts = {.strict = true};
	struct yl_search_req sr;
	enum yl_code code = yl_fhir_search_parse(a, types, 1, params, nparams, &opts, &sr, err);
	if (code != YL_OK)
		return code;
	struct collect cl = {a, NULL, 0, limit > 0 ? (size_t)limit : 0};
	if (cl.cap && !(cl.rows = yl_arena_calloc(a, cl.cap, sizeof *cl.rows)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	sr.plan.count = limit;
	sr.plan.nsort = 0;
	sr.plan.total = total != NULL;
	int64_t counted = -1;
	if ((code = yl_store_search(c, a, &sr.plan, keep, &cl, &counted, err)) != YL_OK)
		return code;
	if (rows)
		*rows = cl.rows;
	if (n)
		*n = cl.n;
	if (total)
		*total = counted;
	return YL_OK;
}

#define EACH_PAGE 500

enum yl_code yl_care_each(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const struct yl_param *params, size_t nparams, yl_care_each_fn fn,
                          void *ctx, struct yl_err *err)
{
	const char *types[] = {type};
	struct yl_search_opts opts = {.strict = true};
	struct yl_search_req sr;
	enum yl_code code = yl_fhir_search_parse(a, types, 1, params, nparams, &opts, &sr, err);
	if (code != YL_OK)
		return code;
	struct yl_arena *page = yl_arena_create(64 * 1024);
	if (!page)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	sr.plan.nsort = 0;
	sr.plan.total = false;
	sr.plan.count = EACH_PAGE;
	bool stop = false;
	while (code == YL_OK && !stop) {
		yl_arena_reset(page);
		/* the page is read whole before fn runs: fn's own searches may reuse statements */
		struct collect cl = {page, yl_arena_calloc(page, EACH_PAGE, sizeof(struct yl_row)),
		                     0, EACH_PAGE};
		int64_t total;
		if (!cl.rows) {
			code = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
			break;
		}
		struct yl_err perr; /* the page's errors, copied into a before it is reset */
		yl_err_init(&perr);
		code = yl_store_search(c, page, &sr.plan, keep, &cl, &total, &perr);
		for (size_t i = 0; code == YL_OK && i < cl.n && !stop; i++) {
			json_t *doc = yl_care_parse(page, &cl.rows[i], &perr);
			code = doc ? YL_OK : perr.code;
			stop = doc && fn(ctx, &cl.rows[i], doc) != 0;
		}
		if (code != YL_OK) {
			yl_err_add(err, a, code, NULL, "%s",
			           perr.first ? perr.first->message : "reading the store failed");
			break;
		}
		if (cl.n < EACH_PAGE)
			break;
		sr.plan.cursor = (struct yl_cursor){.set = true, .rowid = cl.rows[cl.n - 1].seq};
	}
	yl_arena_destroy(page);
	return code;
}

void yl_care_decref(void *doc)
{
	json_decref(doc);
}

const char *yl_care_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void yl_care_add_ext(json_t *o, const char *url, const char *key, json_t *value)
{
	json_t *list = json_object_get(o, "extension");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(o, "extension", list);
	}
	json_array_append_new(list, json_pack("{s:s,s:o}", "url", url, key, value));
}

json_t *yl_care_parse(struct yl_arena *a, const struct yl_row *row, struct yl_err *err)
{
	/* stored text, so valid JSON: yajl's lexer builds the tree in a third of jansson's time */
	struct yl_err ignored;
	yl_err_init(&ignored);
	json_t *doc = row->body ? yl_json_load(a, row->body, row->body_len, &ignored) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		yl_err_add(err, a, YL_STORE, NULL, "%s/%s is stored unreadable", row->type,
		           row->id);
		return NULL;
	}
	if (yl_arena_defer(a, yl_care_decref, doc) != 0) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		return NULL;
	}
	return doc;
}

enum yl_code yl_care_read(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const char *id, struct yl_row *row, json_t **doc, struct yl_err *err)
{
	enum yl_code code = yl_store_read(c, a, type, id, 0, row, err);
	if (code == YL_OK && row->deleted)
		code = YL_NOT_FOUND;
	if (code != YL_OK)
		return code;
	return (*doc = yl_care_parse(a, row, err)) ? YL_OK : err->code;
}

bool yl_care_ref(struct yl_arena *a, const json_t *reference, const char *want, const char **type,
                 const char **id)
{
	const char *ref = json_string_value(json_object_get(reference, "reference"));
	const char *slash = ref ? strchr(ref, '/') : NULL;
	if (!slash || slash == ref || !slash[1] || strchr(slash + 1, '/'))
		return false;
	size_t tlen = (size_t)(slash - ref);
	if (want && (strlen(want) != tlen || memcmp(want, ref, tlen) != 0))
		return false;
	char *t = yl_arena_alloc(a, tlen + 1);
	if (!t)
		return false;
	memcpy(t, ref, tlen);
	t[tlen] = 0;
	*type = t;
	*id = slash + 1;
	return true;
}

enum yl_code yl_care_put(struct yl_req *r, enum yl_write_op op, const char *type, const char *id,
                         json_t *doc, int64_t if_match, struct yl_write *w, struct yl_err *err)
{
	json_object_set_new(doc, "id", json_string(id));
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	char *out;
	size_t len;
	int rc = yl_json_unwrap_numbers(r->a, text, strlen(text), &out, &len);
	free(text);
	if (rc != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	return yl_fhir_store_text(r, op, type, id, out, len, if_match, w, err);
}

const char *yl_care_new_id(struct yl_arena *a)
{
	char id[YL_ID_LEN + 1];
	yl_id_new(id);
	return yl_arena_strdup(a, id);
}

json_t *yl_care_ref_obj(const char *type, const char *id)
{
	json_t *o = json_object();
	json_object_set_new(o, "reference", json_sprintf("%s/%s", type, id));
	return o;
}

enum yl_code yl_care_input(struct yl_req *r, const struct yl_opparam *spec, size_t n,
                           const char *op, json_t **body, struct yl_err *err)
{
	enum yl_code code = yl_fhir_body_json(r, body, err);
	return code == YL_OK ? yl_params_check(r->a, *body, spec, n, op, err) : code;
}

enum yl_code yl_care_param_ref(struct yl_req *r, const json_t *body, const char *name,
                               const char *type, const char **id, struct yl_err *err)
{
	const char *t;
	*id = NULL;
	const json_t *v = yl_params_get(body, name, 0);
	if (!v)
		return YL_OK;
	if (!yl_care_ref(r->a, v, type, &t, id))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'%s' must reference a %s (%s/id)", name, type, type);
	return YL_OK;
}

enum yl_code yl_care_param_day(struct yl_req *r, const json_t *body, const char *name,
                               int64_t otherwise, int64_t *day, struct yl_err *err)
{
	const char *s = yl_params_str(body, name, 0);
	*day = s ? yl_parse_day(s, strlen(s)) : otherwise;
	if (*day == YL_NO_DAY)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'%s' must be a date (YYYY-MM-DD)", name);
	return YL_OK;
}

const char *yl_care_day_text(struct yl_arena *a, int64_t day)
{
	char out[YL_DAY_LEN];
	yl_format_day(day, out);
	return yl_arena_strdup(a, out);
}

enum yl_code yl_care_answer(struct yl_req *r, json_t *doc, struct yl_err *err)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(doc);
	if (!text)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	r->resp_body = yl_arena_strdup(r->a, text);
	r->resp_len = strlen(text);
	free(text);
	r->status = 200;
	r->content_type = "application/fhir+json";
	return r->resp_body ? YL_OK : yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
}

enum yl_code yl_care_begin(struct yl_store_conn *c, struct yl_arena *a, bool *own,
                           struct yl_err *err)
{
	*own = !yl_store_in_transaction(c);
	return *own ? yl_store_begin(c, a, err) : YL_OK;
}

enum yl_code yl_care_end(struct yl_store_conn *c, struct yl_arena *a, bool own, enum yl_code code,
                         struct yl_err *err)
{
	if (!own)
		return code;
	if (code == YL_OK)
		return yl_store_commit(c, a, err);
	yl_store_rollback(c);
	return code;
}

json_t *yl_care_coding(const char *cs, const char *code)
{
	const char *display = yl_care_code(cs, code, "zh-CN");
	json_t *c = json_pack("{s:o,s:s}", "system", json_sprintf(YL_CS "%s", cs), "code", code);
	if (c && display)
		json_object_set_new(c, "display", json_string(display));
	return c;
}

enum yl_code yl_care_code_param(struct yl_req *r, const json_t *body, const char *name,
                                const char *cs, const char *which, const char **code,
                                struct yl_err *err)
{
	*code = yl_params_str(body, name, 0);
	if (!yl_care_code(cs, *code, "en"))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'%s' must be a code of %s%s: %s", name, YL_CS, cs, which);
	return YL_OK;
}

enum yl_code yl_care_update_answer(struct yl_req *r, const char *type, const char *id,
                                   int64_t version, json_t *doc, struct yl_err *err)
{
	struct yl_write w;
	int64_t if_match;
	enum yl_code code;
	if ((code = yl_fhir_if_match(r, &if_match, err)) != YL_OK ||
	    (code = yl_care_put(r, YL_WRITE_UPDATE, type, id, doc, if_match ? if_match : version,
	                        &w, err)) != YL_OK)
		return code;
	return yl_fhir_answer_write(r, &w);
}
