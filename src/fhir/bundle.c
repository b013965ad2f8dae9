/* bundle.c -- POST [base] with a Bundle of type transaction or batch (R4 http.html
 * #transaction).
 *
 * Every entry runs as a sub-request through the route table (the same handlers as single
 * requests: validation, conditional create/update/delete, reads and searches), with the
 * entry's resource text as its body, so numbers keep their bytes (1.50 stays 1.50).
 *
 * A transaction is all or nothing: it runs inside one store transaction (yl_store_begin ..
 * yl_store_commit), during which this thread reads its own writes. Before any entry runs,
 * each POST gets its id (or, with ifNoneExist, the one resource that matches), each
 * conditional PUT is resolved to the resource it updates or creates, and every "reference"
 * in every resource is rewritten: fullUrls of entries (urn:uuid:, urn:oid:, absolute URLs)
 * to Type/id, conditional references (Type?criteria) to the one resource they match (none
 * or several: 412). A reference to a urn: that no entry has is refused (400). Entries then
 * run DELETE, POST, PUT/PATCH, GET/HEAD; the first that fails rolls everything back and the
 * answer is its OperationOutcome, naming the entry (Bundle.entry[i]).
 * A batch runs each entry on its own (each write commits by itself) and reports each
 * entry's outcome in the batch-response; its entries may not refer to each other.
 * Memory: the request arena. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "fhir/json.h"
#include "fhir/limits.h"
#include "fhir/rest.h"
#include "fhir/schema.h"

struct entry {
	int index;
	const char *method; /* as given: GET HEAD POST PUT PATCH DELETE */
	int order;          /* processing rank in a transaction */
	const char *url;    /* request.url, relative to the base */
	const char *full_url;
	const char *type; /* the URL's resource type */
	const char *id;   /* the URL's id; for a POST, the id assigned */
	json_t *request;
	struct yl_span res; /* the resource's text in the body; len 0 when none */
	const char *text;   /* the resource text to send, references rewritten */
	size_t text_len;
	const char *target; /* "Type/id" the entry's fullUrl stands for, or NULL */
	bool done;          /* answered before the run (a conditional create that matched) */
	bool patch;         /* text is a JSON Patch (from the entry's Binary) */
	/* the response */
	int status;
	const char *location, *etag;
	int64_t last_modified;
	const char *body; /* the resource, a searchset, or an OperationOutcome */
	size_t body_len;
	bool body_outcome;
};

struct bundle {
	struct yl_req *r;
	struct yl_err *err;
	struct entry *e;
	size_t n;
	struct entry **by_url; /* entries with a fullUrl and a target, sorted by fullUrl */
	size_t nurl;
	bool transaction;
	const char *base;
	struct entry *current; /* the entry whose references are being mapped */
};

/* Processing order (R4 http.html#trules); the method names accepted. */
static const struct {
	const char *method;
	int order;
} methods[] = {{"DELETE", 0}, {"POST", 1}, {"PUT", 2}, {"PATCH", 2}, {"GET", 3}, {"HEAD", 3}};

static const struct {
	int status;
	const char *text;
} reasons[] = {{200, "OK"},
               {201, "Created"},
               {204, "No Content"},
               {304, "Not Modified"},
               {400, "Bad Request"},
               {401, "Unauthorized"},
               {403, "Forbidden"},
               {404, "Not Found"},
               {405, "Method Not Allowed"},
               {406, "Not Acceptable"},
               {409, "Conflict"},
               {410, "Gone"},
               {412, "Precondition Failed"},
               {413, "Payload Too Large"},
               {415, "Unsupported Media Type"},
               {422, "Unprocessable Entity"},
               {429, "Too Many Requests"},
               {500, "Internal Server Error"},
               {503, "Service Unavailable"}};

static const char *reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "";
}

/* ---- reading the Bundle ------------------------------------------------------------- */

static enum yl_code bad(struct bundle *bd, int i, const char *member, const char *fmt,
                        const char *arg)
{
	char path[64];
	snprintf(path, sizeof path, "Bundle.entry[%d]%s%s", i, member ? "." : "",
	         member ? member : "");
	char msg[256];
	snprintf(msg, sizeof msg, fmt, arg ? arg : "");
	return yl_err_add(bd->err, bd->r->a, YL_BAD_REQUEST, yl_arena_strdup(bd->r->a, path),
	                  "entry %d: %s", i, msg);
}

static const char *str_member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* request.url relative to the base: "Patient", "Patient/1", "Patient?identifier=x" */
static const char *relative_url(struct bundle *bd, const char *url)
{
	size_t bl = strlen(bd->base);
	if (strncmp(url, bd->base, bl) == 0 && url[bl] == '/')
		return url + bl + 1;
	if (url[0] == '/')
		return url + 1;
	if (strstr(url, "://"))
		return NULL; /* another server's URL */
	return url;
}

static enum yl_code read_entry(struct bundle *bd, int i, json_t *je, const char *body,
                               struct yl_span span)
{
	struct entry *e = &bd->e[i];
	struct yl_arena *a = bd->r->a;
	e->index = i;
	if (!json_is_object(je))
		return bad(bd, i, NULL, "an entry must be an object%s", NULL);
	e->request = json_object_get(je, "request");
	if (!json_is_object(e->request))
		return bad(bd, i, "request", "has no request (method and url)%s", NULL);
	e->method = str_member(e->request, "method");
	const char *url = str_member(e->request, "url");
	if (!e->method || !url || !*url)
		return bad(bd, i, "request", "request needs both method and url%s", NULL);
	e->order = -1;
	for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++)
		if (strcmp(methods[k].method, e->method) == 0)
			e->order = methods[k].order;
	if (e->order < 0)
		return bad(bd, i, "request.method",
		           "'%.20s' is not an HTTP method a Bundle may use", e->method);
	if (!(e->url = relative_url(bd, url)))
		return bad(bd, i, "request.url", "'%.200s' is not a URL of this server", url);
	e->full_url = str_member(je, "fullUrl");
	/* the URL's type and id */
	size_t tl = strcspn(e->url, "/?");
	e->type = yl_arena_strndup(a, e->url, tl);
	if (e->url[tl] == '/') {
		size_t il = strcspn(e->url + tl + 1, "/?");
		e->id = yl_arena_strndup(a, e->url + tl + 1, il);
	}
	bool is_query = e->url[tl] == '?';
	json_t *res = json_object_get(je, "resource");
	bool writes = strcmp(e->method, "POST") == 0 || strcmp(e->method, "PUT") == 0;
	if (writes) {
		if (yl_fhir_resource_type_index(e->type, strlen(e->type)) < 0)
			return bad(bd, i, "request.url", "'%.200s' does not name a resource type",
			           e->url);
		if (!json_is_object(res))
			return bad(bd, i, "resource", "a %s entry needs a resource", e->method);
		const char *rt = str_member(res, "resourceType");
		if (!rt || strcmp(rt, e->type) != 0)
			return bad(
			    bd, i, "resource",
			    "the resource's resourceType differs from the type in request.url "
			    "('%.64s')",
			    e->type);
		if (strcmp(e->method, "POST") == 0 && (e->id || is_query))
			return bad(bd, i, "request.url",
			           "a POST goes to a type ('%.200s' names more); use PUT for an id",
			           e->url);
		if (strcmp(e->method, "PUT") == 0 && !e->id && !is_query)
			return bad(bd, i, "request.url",
			           "a PUT needs Type/id or Type?criteria, not '%.200s'", e->url);
		if (yl_json_member(body + span.at, span.len, "resource", &e->res) != 0)
			return bad(bd, i, "resource",
			           "the resource could not be found in the text%s", NULL);
		e->res.at += span.at;
	}
	if (strcmp(e->method, "PATCH") == 0) {
		if (!e->id && !is_query)
			return bad(bd, i, "request.url",
			           "a PATCH needs Type/id or Type?criteria, not '%.200s'", e->url);
		const char *b64 = str_member(res, "data");
		const char *pct = str_member(res, "contentType");
		if (!json_is_object(res) || !str_member(res, "resourceType") ||
		    strcmp(str_member(res, "resourceType"), "Binary") != 0 || !pct ||
		    strncmp(pct, "application/json-patch+json", 27) != 0 || !b64)
			return bad(
			    bd, i, "resource",
			    "a PATCH entry carries its JSON Patch as a Binary with contentType "
			    "application/json-patch+json and the patch in data (base64)%s",
			    NULL);
		size_t n = strlen(b64), len;
		unsigned char *bin = yl_arena_alloc(a, n / 4 * 3 + 4);
		if (!bin || sodium_base642bin(bin, n / 4 * 3 + 4, b64, n, " \r\n", &len, NULL,
		                              sodium_base64_VARIANT_ORIGINAL) != 0)
			return bad(bd, i, "resource.data", "the patch is not valid base64%s", NULL);
		e->text = (const char *)bin;
		e->text_len = len;
		e->patch = true;
	}
	if (strcmp(e->method, "DELETE") == 0 && !e->id && !is_query)
		return bad(bd, i, "request.url",
		           "a DELETE needs Type/id or Type?criteria, not '%.200s'", e->url);
	return YL_OK;
}

/* ---- fullUrls and references ---------------------------------------------------------- */

static int by_full_url(const void *x, const void *y)
{
	return strcmp((*(struct entry *const *)x)->full_url, (*(struct entry *const *)y)->full_url);
}

static struct entry *find_url(struct bundle *bd, const char *s, size_t n)
{
	size_t lo = 0, hi = bd->nurl;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *u = bd->by_url[mid]->full_url;
		int c = strncmp(u, s, n);
		if (c == 0 && u[n] != '\0')
			c = 1;
		if (c == 0)
			return bd->by_url[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int map_ref(void *ctx, const char *s, size_t n, const char **to)
{
	struct bundle *bd = ctx;
	struct yl_arena *a = bd->r->a;
	struct entry *e = bd->current;
	struct entry *t = find_url(bd, s, n);
	if (t) {
		*to = t->target;
		return 0;
	}
	if (n > 4 && strncmp(s, "urn:", 4) == 0) {
		bad(bd, e->index, "resource",
		    bd->transaction
		        ? "reference '%s' is not the fullUrl of any entry in this Bundle"
		        : "reference '%s' points into the batch: only a transaction "
		          "resolves references between its entries",
		    yl_arena_strndup(a, s, n > 200 ? 200 : n));
		return -2;
	}
	const char *q = memchr(s, '?', n);
	if (!q || memchr(s, '/', (size_t)(q - s)) || memchr(s, ':', (size_t)(q - s)))
		return 0; /* Type/id, an absolute URL, #contained: kept */
	/* a conditional reference */
	const char *type = yl_arena_strndup(a, s, (size_t)(q - s));
	const char *query = yl_arena_strndup(a, q + 1, n - (size_t)(q - s) - 1);
	if (yl_fhir_resource_type_index(type, strlen(type)) < 0) {
		bad(bd, e->index, "resource",
		    "conditional reference to '%.64s', not a resource type", type);
		return -2;
	}
	struct yl_row rows[2];
	int nm;
	const char *what = yl_arena_printf(a, "entry %d: the conditional reference '%.*s'",
	                                   e->index, (int)(n > 200 ? 200 : n), s);
	if (yl_fhir_match(bd->r, type, query, what, rows, &nm, bd->err) != YL_OK)
		return -2;
	if (nm != 1) {
		yl_err_add(bd->err, a, YL_PRECONDITION_FAILED,
		           yl_arena_printf(a, "Bundle.entry[%d].resource", e->index),
		           "%s matches %s %s: it must match exactly one", what,
		           nm ? "more than one" : "no", type);
		return -2;
	}
	*to = yl_arena_printf(a, "%s/%s", type, rows[0].id);
	return 0;
}

static enum yl_code map_references(struct bundle *bd, struct entry *e, const char *body)
{
	if (!e->res.len)
		return YL_OK;
	bd->current = e;
	char *out;
	int rc = yl_json_map_references(bd->r->a, body + e->res.at, e->res.len, map_ref, bd, &out,
	                                &e->text_len);
	if (rc == -1)
		return yl_err_add(bd->err, bd->r->a, YL_NOMEM, NULL, "out of memory");
	if (rc != 0)
		return bd->err->code;
	e->text = out;
	return YL_OK;
}

/* ---- running entries ------------------------------------------------------------------ */

/* Copy the sub-request's issues into err, each naming the entry. */
static enum yl_code entry_failed(struct bundle *bd, struct entry *e, const struct yl_err *sub)
{
	struct yl_arena *a = bd->r->a;
	for (const struct yl_issue *is = sub->first; is; is = is->next) {
		const char *expr = yl_arena_printf(a, "Bundle.entry[%d]", e->index);
		size_t tl = strlen(e->type);
		if (is->expression && strncmp(is->expression, e->type, tl) == 0 &&
		    is->expression[tl] == '.')
			expr = yl_arena_printf(a, "Bundle.entry[%d].resource%s", e->index,
			                       is->expression + tl);
		if (strcmp(is->severity, "error") == 0 || strcmp(is->severity, "fatal") == 0)
			yl_err_add(bd->err, a, sub->code, expr, "entry %d (%s %.200s): %s",
			           e->index, e->method, e->url, is->message);
		else
			yl_err_note(bd->err, a, is->severity, is->code, expr, "entry %d: %s",
			            e->index, is->message);
	}
	if (bd->err->code == YL_OK)
		yl_err_add(bd->err, a, sub->code, NULL, "entry %d (%s %.200s) failed", e->index,
		           e->method, e->url);
	return bd->err->code;
}

static enum yl_code run_entry(struct bundle *bd, struct entry *e, struct yl_err *sub)
{
	struct yl_req *r = bd->r;
	struct yl_header *h = yl_arena_calloc(r->a, 10, sizeof(*h));
	if (!h)
		return yl_err_add(sub, r->a, YL_NOMEM, NULL, "out of memory");
	size_t nh = 0;
	static const struct {
		const char *member, *header;
	} conds[] = {{"ifMatch", "If-Match"},
	             {"ifNoneMatch", "If-None-Match"},
	             {"ifModifiedSince", "If-Modified-Since"},
	             {"ifNoneExist", "If-None-Exist"}};
	for (size_t k = 0; k < sizeof conds / sizeof conds[0]; k++) {
		const char *v = str_member(e->request, conds[k].member);
		if (bd->transaction && strcmp(conds[k].member, "ifNoneExist") == 0)
			continue; /* settled before the run (assign_targets) */
		if (v && strcmp(conds[k].member, "ifModifiedSince") == 0) {
			/* an instant in the Bundle, an HTTP-date on the wire */
			int64_t us;
			char date[YL_HTTPDATE_LEN];
			if (yl_parse_datetime(v, strlen(v), &us) != 0)
				return yl_err_add(sub, r->a, YL_BAD_REQUEST,
				                  "request.ifModifiedSince",
				                  "'%.40s' is not an instant", v);
			yl_format_httpdate(us, date);
			v = yl_arena_strdup(r->a, date);
		}
		if (v)
			h[nh++] = (struct yl_header){conds[k].header, v};
	}
	static const char *const passed[] = {"Host", "Prefer"};
	for (size_t k = 0; k < sizeof passed / sizeof passed[0]; k++) {
		const char *v = yl_req_header(r, passed[k]);
		if (v)
			h[nh++] = (struct yl_header){passed[k], v};
	}
	if (e->text)
		h[nh++] =
		    (struct yl_header){"Content-Type", e->patch ? "application/json-patch+json"
		                                                : "application/fhir+json"};
	const char *raw = yl_arena_printf(r->a, "/fhir/%s", e->url);
	struct yl_req s = {.a = r->a,
	                   .app = r->app,
	                   .id = r->id,
	                   .start_us = r->start_us,
	                   .method = strcmp(e->method, "HEAD") == 0 ? "GET" : e->method,
	                   .raw_url = raw,
	                   .body = e->text,
	                   .body_len = e->text_len,
	                   .in_headers = h,
	                   .nin_headers = nh,
	                   .new_id = strcmp(e->method, "POST") == 0 ? e->id : NULL,
	                   .content_type = "application/fhir+json",
	                   .who = r->who,
	                   .scope = r->scope};
	memcpy(s.peer, r->peer, sizeof s.peer);
	enum yl_code code = yl_url_parse(r->a, raw, strlen(raw), &s.url, sub);
	if (code == YL_OK)
		code = yl_fhir_dispatch(&s, sub);
	if (code != YL_OK)
		return code;
	if (s.resp_file) { /* a file (an export's NDJSON) does not go into a Bundle */
		close(s.resp_fd);
		s.resp_body = NULL;
	}
	e->status = s.status;
	e->last_modified = s.last_modified;
	for (size_t k = 0; k < s.nheaders; k++) {
		if (strcmp(s.headers[k].name, "ETag") == 0)
			e->etag = s.headers[k].value;
		else if (strcmp(s.headers[k].name, "Location") == 0) {
			const char *loc = s.headers[k].value;
			size_t bl = strlen(bd->base);
			e->location =
			    strncmp(loc, bd->base, bl) == 0 && loc[bl] == '/' ? loc + bl + 1 : loc;
		}
	}
	if (s.resp_body && s.resp_len && strcmp(e->method, "HEAD") != 0) {
		e->body = s.resp_body;
		e->body_len = s.resp_len;
		/* a delete that matched nothing says so in an OperationOutcome */
		static const char oo[] = "{\"resourceType\":\"OperationOutcome\"";
		e->body_outcome =
		    s.resp_len >= sizeof oo - 1 && memcmp(s.resp_body, oo, sizeof oo - 1) == 0;
	}
	return YL_OK;
}

/* A batch entry that failed: its status and OperationOutcome. */
static void entry_outcome(struct bundle *bd, struct entry *e, const struct yl_err *sub)
{
	e->status = yl_code_status(sub->code);
	e->body = yl_fhir_outcome(bd->r->a, sub, &e->body_len);
	e->body_outcome = true;
}

/* ---- transaction: ids and conditions resolved before any entry runs ------------------- */

static enum yl_code assign_targets(struct bundle *bd)
{
	struct yl_req *r = bd->r;
	for (size_t i = 0; i < bd->n; i++) {
		struct entry *e = &bd->e[i];
		enum yl_code code;
		if (strcmp(e->method, "POST") == 0) {
			const char *cond = str_member(e->request, "ifNoneExist");
			struct yl_row rows[2];
			int nm = 0;
			if (cond) {
				const char *what =
				    yl_arena_printf(r->a, "entry %d: ifNoneExist", e->index);
				if ((code = yl_fhir_match(r, e->type, cond, what, rows, &nm,
				                          bd->err)) != YL_OK)
					return code;
				if (nm > 1)
					return yl_err_add(
					    bd->err, r->a, YL_PRECONDITION_FAILED,
					    yl_arena_printf(r->a, "Bundle.entry[%d].request",
					                    e->index),
					    "%s matches more than one %s", what, e->type);
			}
			if (nm == 1) { /* nothing to create: the entry answers with what is there */
				e->done = true;
				e->id = rows[0].id;
				e->status = 200;
				e->etag =
				    yl_arena_printf(r->a, "W/\"%lld\"", (long long)rows[0].version);
				e->location = yl_arena_printf(r->a, "%s/%s/_history/%lld", e->type,
				                              e->id, (long long)rows[0].version);
				e->last_modified = rows[0].last_updated;
				e->body = rows[0].body;
				e->body_len = rows[0].body_len;
			} else {
				char id[YL_ID_LEN + 1];
				yl_id_new(id);
				e->id = yl_arena_strdup(r->a, id);
			}
		} else if (strcmp(e->method, "PUT") == 0 && !e->id) {
			/* conditional update: settle now which resource it writes */
			const char *q = strchr(e->url, '?');
			struct yl_row rows[2];
			int nm;
			const char *what = yl_arena_printf(r->a,
			                                   "entry %d: the conditional update's "
			                                   "criteria",
			                                   e->index);
			if ((code = yl_fhir_match(r, e->type, q + 1, what, rows, &nm, bd->err)) !=
			    YL_OK)
				return code;
			if (nm > 1)
				return yl_err_add(
				    bd->err, r->a, YL_PRECONDITION_FAILED,
				    yl_arena_printf(r->a, "Bundle.entry[%d].request.url", e->index),
				    "%s match more than one %s", what, e->type);
			const char *body_id = NULL;
			json_t *doc = json_loadb(bd->r->body + e->res.at, e->res.len, 0, NULL);
			if (doc)
				body_id = yl_arena_strdup(
				    r->a, str_member(doc, "id") ? str_member(doc, "id") : "");
			json_decref(doc);
			if (nm == 1) {
				e->id = rows[0].id;
				e->url = yl_arena_printf(r->a, "%s/%s", e->type, e->id);
			} else if (body_id && *body_id) {
				e->id = body_id;
				e->method =
				    "POST"; /* a create with the client's id: 409 if it is taken */
				e->url = e->type;
			} else {
				char id[YL_ID_LEN + 1];
				yl_id_new(id);
				e->id = yl_arena_strdup(r->a, id);
				e->method = "POST";
				e->url = e->type;
			}
		}
		if (e->full_url && e->id &&
		    (strcmp(e->method, "POST") == 0 || strcmp(e->method, "PUT") == 0))
			e->target = yl_arena_printf(r->a, "%s/%s", e->type, e->id);
	}
	return YL_OK;
}

static enum yl_code index_urls(struct bundle *bd)
{
	bd->by_url = yl_arena_calloc(bd->r->a, bd->n + 1, sizeof(*bd->by_url));
	if (!bd->by_url)
		return yl_err_add(bd->err, bd->r->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < bd->n; i++)
		if (bd->e[i].full_url && bd->e[i].target)
			bd->by_url[bd->nurl++] = &bd->e[i];
	qsort(bd->by_url, bd->nurl, sizeof(*bd->by_url), by_full_url);
	for (size_t i = 1; i < bd->nurl; i++)
		if (strcmp(bd->by_url[i - 1]->full_url, bd->by_url[i]->full_url) == 0)
			return bad(bd, bd->by_url[i]->index, "fullUrl",
			           "fullUrl '%.200s' is used by another entry too",
			           bd->by_url[i]->full_url);
	return YL_OK;
}

static int by_identity(const void *x, const void *y)
{
	const struct entry *a = *(struct entry *const *)x, *b = *(struct entry *const *)y;
	int c = strcmp(a->type, b->type);
	return c ? c : strcmp(a->id, b->id);
}

/* Two entries that write one resource make the result depend on the order: refused. */
static enum yl_code check_identities(struct bundle *bd)
{
	struct entry **v = yl_arena_calloc(bd->r->a, bd->n + 1, sizeof(*v));
	if (!v)
		return yl_err_add(bd->err, bd->r->a, YL_NOMEM, NULL, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < bd->n; i++)
		if (bd->e[i].id && bd->e[i].order < 3 && !bd->e[i].done)
			v[n++] = &bd->e[i];
	qsort(v, n, sizeof(*v), by_identity);
	for (size_t i = 1; i < n; i++)
		if (by_identity(&v[i - 1], &v[i]) == 0)
			return bad(
			    bd, v[i]->index, "request",
			    "another entry of this transaction also writes %s; a transaction "
			    "may change each resource once",
			    yl_arena_printf(bd->r->a, "%s/%s", v[i]->type, v[i]->id));
	return YL_OK;
}

static enum yl_code run_transaction(struct bundle *bd)
{
	struct yl_req *r = bd->r;
	enum yl_code code = assign_targets(bd);
	if (code == YL_OK)
		code = check_identities(bd);
	if (code == YL_OK)
		code = index_urls(bd);
	for (size_t i = 0; code == YL_OK && i < bd->n; i++)
		code = map_references(bd, &bd->e[i], r->body);
	for (int order = 0; code == YL_OK && order <= 3; order++)
		for (size_t i = 0; code == YL_OK && i < bd->n; i++) {
			struct entry *e = &bd->e[i];
			if (e->order != order || e->done)
				continue;
			struct yl_err sub;
			yl_err_init(&sub);
			if (run_entry(bd, e, &sub) != YL_OK)
				code = entry_failed(bd, e, &sub);
		}
	return code;
}

static void run_batch(struct bundle *bd)
{
	for (size_t i = 0; i < bd->n; i++) {
		struct entry *e = &bd->e[i];
		struct yl_err sub;
		yl_err_init(&sub);
		struct yl_err *outer = bd->err;
		bd->err = &sub; /* reference problems belong to this entry */
		if (strcmp(e->method, "POST") == 0) {
			char id[YL_ID_LEN + 1];
			yl_id_new(id);
			e->id = yl_arena_strdup(bd->r->a, id);
		}
		if (map_references(bd, e, bd->r->body) != YL_OK || run_entry(bd, e, &sub) != YL_OK)
			entry_outcome(bd, e, &sub);
		bd->err = outer;
	}
}

/* ---- the response ------------------------------------------------------------------- */

static void add_response(struct yl_buf *b, const struct entry *e)
{
	yl_buf_adds(b, "{");
	if (e->body && !e->body_outcome) {
		yl_buf_adds(b, "\"resource\":");
		yl_buf_add(b, e->body, e->body_len);
		yl_buf_addc(b, ',');
	}
	yl_buf_printf(b, "\"response\":{\"status\":\"%d %s\"", e->status, reason(e->status));
	if (e->location) {
		yl_buf_adds(b, ",\"location\":");
		yl_buf_json_str(b, e->location);
	}
	if (e->etag) {
		yl_buf_adds(b, ",\"etag\":");
		yl_buf_json_str(b, e->etag);
	}
	if (e->last_modified) {
		char ts[YL_INSTANT_LEN];
		yl_format_instant(e->last_modified, ts);
		yl_buf_printf(b, ",\"lastModified\":\"%s\"", ts);
	}
	if (e->body && e->body_outcome) {
		yl_buf_adds(b, ",\"outcome\":");
		yl_buf_add(b, e->body, e->body_len);
	}
	yl_buf_adds(b, "}}");
}

enum yl_code yl_h_bundle(struct yl_req *r, struct yl_err *err)
{
	json_t *doc;
	enum yl_code code = yl_fhir_body_json(r, &doc, err);
	if (code != YL_OK)
		return code;
	const char *rt = str_member(doc, "resourceType");
	const char *type = str_member(doc, "type");
	if (!rt || strcmp(rt, "Bundle") != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "resourceType",
		                  "POST [base] takes a Bundle, not '%.64s'", rt ? rt : "(none)");
	struct bundle bd = {.r = r, .err = err, .base = yl_fhir_base_url(r)};
	if (type && strcmp(type, "transaction") == 0)
		bd.transaction = true;
	else if (!type || strcmp(type, "batch") != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Bundle.type",
		                  "POST [base] takes a Bundle of type transaction or batch, not "
		                  "'%.40s'",
		                  type ? type : "(none)");
	json_t *entries = json_object_get(doc, "entry");
	struct yl_span es = {0, 0}, *spans = NULL;
	long ns = 0;
	if (entries &&
	    (!json_is_array(entries) || yl_json_member(r->body, r->body_len, "entry", &es) != 0 ||
	     (ns = yl_json_elements(r->a, r->body + es.at, es.len, &spans)) < 0 ||
	     (size_t)ns != json_array_size(entries)))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Bundle.entry",
		                  "Bundle.entry must be an array of entries");
	bd.n = (size_t)ns;
	if (bd.n && !(bd.e = yl_arena_calloc(r->a, bd.n, sizeof(*bd.e))))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < bd.n; i++) {
		spans[i].at += es.at;
		if ((code = read_entry(&bd, (int)i, json_array_get(entries, i), r->body,
		                       spans[i])) != YL_OK)
			return code;
	}

	if (bd.transaction) {
		struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
		if (!c)
			return err->code;
		if ((code = yl_store_begin(c, r->a, err)) != YL_OK)
			return code;
		code = run_transaction(&bd);
		if (code != YL_OK) {
			yl_store_rollback(c);
			return code;
		}
		if ((code = yl_store_commit(c, r->a, err)) != YL_OK)
			return code;
	} else {
		run_batch(&bd);
	}

	struct yl_buf b;
	yl_buf_init(&b, r->a, 1024 + r->body_len, YL_MAX_RESPONSE_BYTES);
	yl_buf_printf(&b, "{\"resourceType\":\"Bundle\",\"type\":\"%s-response\",\"entry\":[",
	              bd.transaction ? "transaction" : "batch");
	for (size_t i = 0; i < bd.n; i++) {
		if (i)
			yl_buf_addc(&b, ',');
		add_response(&b, &bd.e[i]);
	}
	yl_buf_adds(&b, "]}");
	if (b.err)
		return yl_err_add(err, r->a, b.err, NULL,
		                  "the response Bundle is too large; send Prefer: return=minimal");
	r->status = 200;
	r->resp_body = b.p;
	r->resp_len = b.len;
	return YL_OK;
}
