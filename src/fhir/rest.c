/* rest.c -- FHIR REST interactions: dispatch with content negotiation, create, read,
 * vread, update, delete and the three history levels. */
#include "fhir/rest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "care/registry.h"
#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "fhir/compartment.h"
#include "fhir/extract.h"
#include "fhir/json.h"
#include "fhir/limits.h"
#include "fhir/patch.h"
#include "fhir/schema.h"
#include "fhir/validate.h"
#include "http/static.h"

#define FHIR_JSON  "application/fhir+json; charset=utf-8"
#define PLAIN_JSON "application/json; charset=utf-8"

/* ---- negotiation ------------------------------------------------------------------ */

static const char *const json_formats[] = {
    "json",
    "application/json",
    "application/fhir+json",
    "application/json+fhir",
};

/* 1 if the media type (parameters ignored) names a JSON format we serve */
static int is_json_media(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	size_t len = 0;
	while (len < n && s[len] != ';' && s[len] != ' ')
		len++;
	for (size_t i = 0; i < sizeof json_formats / sizeof json_formats[0]; i++)
		if (strlen(json_formats[i]) == len && strncasecmp(s, json_formats[i], len) == 0)
			return 1;
	return 0;
}

static int accept_ok(const char *accept)
{
	const char *p = accept;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = p;
		size_t m = n;
		while (m && (*s == ' ' || *s == '\t'))
			s++, m--;
		if (is_json_media(s, m) || strncmp(s, "*/*", 3) == 0 ||
		    strncasecmp(s, "application/fhir+ndjson", 23) == 0 || /* $export files */
		    strncasecmp(s, "application/*", 13) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static enum yl_code negotiate(struct yl_req *r, struct yl_err *err)
{
	const char *fmt = yl_url_param(&r->url, "_format");
	const char *accept = yl_req_header(r, "Accept");
	r->content_type = FHIR_JSON;
	if (fmt) {
		if (!is_json_media(fmt, strlen(fmt)))
			return yl_err_add(err, r->a, YL_NOT_ACCEPTABLE, NULL,
			                  "_format '%.40s' is not offered; this server speaks "
			                  "application/fhir+json and application/json only",
			                  fmt);
		if (strcasecmp(fmt, "application/json") == 0)
			r->content_type = PLAIN_JSON;
		return YL_OK;
	}
	if (accept && *accept) {
		if (!accept_ok(accept))
			return yl_err_add(err, r->a, YL_NOT_ACCEPTABLE, NULL,
			                  "Accept '%.60s' is not offered; this server speaks "
			                  "application/fhir+json and application/json only",
			                  accept);
		size_t first = strcspn(accept, ",;");
		if (first == 16 && strncasecmp(accept, "application/json", 16) == 0)
			r->content_type = PLAIN_JSON;
	}
	return YL_OK;
}

static void finish_pretty(struct yl_req *r)
{
	const char *pretty = yl_url_param(&r->url, "_pretty");
	if (!r->resp_body || !pretty || strcmp(pretty, "true") != 0)
		return;
	size_t n;
	char *p = yl_json_pretty(r->a, r->resp_body, r->resp_len, &n);
	if (p) {
		r->resp_body = p;
		r->resp_len = n;
	}
}

static enum yl_code authenticate(struct yl_req *r, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_principal *who = yl_arena_calloc(r->a, 1, sizeof *who);
	if (!who)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code =
	    yl_auth_authenticate(c, r->a, yl_req_header(r, "Authorization"), who, err);
	if (code == YL_OK)
		r->who = who;
	else if (code == YL_UNAUTHORIZED)
		yl_req_set_header(r, "WWW-Authenticate", "Bearer realm=\"yilian\"");
	return code;
}

/* The interaction's AuditEvent.action: C R U D, or E (execute: searches, operations). */
static char audit_action(const char *method, const char *interaction)
{
	static const struct {
		const char *interaction;
		char action;
	} actions[] = {{"create", 'C'},           {"update", 'U'},       {"patch", 'U'},
	               {"delete", 'D'},           {"read", 'R'},         {"vread", 'R'},
	               {"history-instance", 'R'}, {"history-type", 'R'}, {"history-system", 'R'},
	               {"capabilities", 'R'}};
	for (size_t i = 0; interaction && i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(actions[i].interaction, interaction) == 0)
			return actions[i].action;
	return strcmp(method, "GET") == 0 && !interaction ? 'R' : 'E';
}

/* The request's AuditEvent (one that changed a resource has recorded its own with the
 * change, r->audited): who, the route's interaction, the resource or query, the outcome. */
static enum yl_code audit_request(struct yl_req *r, const struct yl_route *rt, enum yl_code code,
                                  struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	const char *q = strchr(r->raw_url, '?');
	struct yl_audit_in in = {
	    .subtype = rt->interaction ? rt->interaction : "operation",
	    .action = audit_action(r->method, rt->interaction),
	    .status = code == YL_OK ? r->status : yl_code_status(code),
	    .who = r->who,
	    .peer = r->peer,
	    .what = r->audit_what                            ? r->audit_what
	            : strncmp(r->url.path, "/fhir/", 6) == 0 ? r->url.path + 6 /* Patient/1 */
	                                                     : r->url.path,
	    .query = q && q[1] ? q + 1 : NULL,
	    .patient = r->audit_patient,
	};
	if (in.subtype && strchr(in.subtype, ' ')) /* "transaction batch" */
		in.subtype = "transaction";
	if (rt->access == YL_ACCESS_EXPORT) /* bulk export: DICOM's Export event */
		in.subtype = "export";
	/* an access that rests on a break-the-glass grant is flagged for review */
	const struct yl_grant *g = r->scope ? yl_scope_grant(r->scope, r->audit_patient) : NULL;
	if (g) {
		in.emergency = strcmp(g->kind, "break-the-glass") == 0;
		in.purpose = g->reason;
	}
	struct yl_audit_rec rec;
	if (!yl_audit_record(r->a, &in, &rec))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory recording the access");
	if (r->app->audit && !yl_store_in_transaction(c)) {
		yl_audit_queue_put(r->app->audit, &rec);
		return YL_OK;
	}
	return yl_store_audit_append(c, r->a, &rec, 1, err);
}

enum yl_code yl_fhir_dispatch(struct yl_req *r, struct yl_err *err)
{
	bool path_known;
	const struct yl_route *rt = yl_route_match(r->app->routes, r->app->nroutes, r, &path_known);
	if (!rt) {
		if (path_known) {
			yl_req_set_header(r, "Allow",
			                  yl_route_allow(r->app->routes, r->app->nroutes, r, r->a));
			return yl_err_add(err, r->a, YL_METHOD_NOT_ALLOWED, NULL,
			                  "method %s is not supported on %.200s", r->method,
			                  r->url.path);
		}
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "no route for %.200s",
		                  r->url.path);
	}
	/* who is calling, and may they use this route at all (auth/policy.h) */
	bool audited = rt->access != YL_ACCESS_PUBLIC && rt->access != YL_ACCESS_LOGIN;
	enum yl_code code = audited && !r->who ? authenticate(r, err) : YL_OK;
	if (code != YL_OK)
		return code;
	code = yl_policy_route(r->who, rt->access, rt->pattern, r, err);
	/* the FHIR API negotiates JSON; the web pages and /healthz are not FHIR */
	if (code == YL_OK && strncmp(rt->pattern, "/fhir", 5) == 0)
		code = negotiate(r, err);
	if (code == YL_OK)
		code = rt->handler(r, err);
	if (code == YL_OK)
		finish_pretty(r);
	if (audited && !r->audited) {
		struct yl_err aerr;
		yl_err_init(&aerr);
		if (audit_request(r, rt, code, &aerr) != YL_OK && code == YL_OK) {
			/* an access that cannot be recorded is not answered */
			*err = aerr;
			return aerr.code;
		}
	}
	return code;
}

/* ---- helpers -------------------------------------------------------------------- */

static enum yl_code check_type(struct yl_req *r, const char *type, struct yl_err *err)
{
	if (yl_fhir_resource_type_index(type, strlen(type)) < 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "'%.64s' is not a FHIR R4 resource type", type);
	return YL_OK;
}

static enum yl_code check_id(struct yl_req *r, const char *id, struct yl_err *err)
{
	if (!yl_id_valid(id, strlen(id)))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "'%.64s' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)",
		                  id);
	return YL_OK;
}

/* The Host header goes into Location headers and JSON links: accept only host[:port]
 * characters, else fall back to "localhost". */
const char *yl_fhir_base_url(struct yl_req *r)
{
	const char *host = yl_req_header(r, "Host");
	size_t n = host ? strlen(host) : 0;
	if (n == 0 || n > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789.-:[]") != n)
		host = "localhost";
	return yl_arena_printf(r->a, "http://%s/fhir", host);
}

static void set_version_headers(struct yl_req *r, const char *type, const char *id, int64_t version,
                                int64_t last_updated, bool location)
{
	char date[YL_HTTPDATE_LEN];
	yl_format_httpdate(last_updated, date);
	r->last_modified = last_updated;
	yl_req_set_header(r, "ETag", yl_arena_printf(r->a, "W/\"%lld\"", (long long)version));
	yl_req_set_header(r, "Last-Modified", yl_arena_strdup(r->a, date));
	if (location)
		yl_req_set_header(r, "Location",
		                  yl_arena_printf(r->a, "%s/%s/%s/_history/%lld",
		                                  yl_fhir_base_url(r), type, id,
		                                  (long long)version));
}

/* W/"3" or "3" -> 3; 0 when absent; -1 when malformed */
static int64_t parse_etag(const char *s)
{
	if (!s)
		return 0;
	if (strncmp(s, "W/", 2) == 0)
		s += 2;
	if (*s == '"')
		s++;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || v <= 0 || end == s || (*end && strcmp(end, "\"") != 0))
		return -1;
	return v;
}

enum yl_code yl_fhir_if_match(struct yl_req *r, int64_t *out, struct yl_err *err)
{
	*out = parse_etag(yl_req_header(r, "If-Match"));
	if (*out < 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "If-Match must be a version ETag such as W/\"3\"");
	return YL_OK;
}

static int64_t parse_positive(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	return v;
}

enum prefer { PREFER_REPRESENTATION, PREFER_MINIMAL, PREFER_OUTCOME };

static enum prefer prefer_return(struct yl_req *r)
{
	const char *p = yl_req_header(r, "Prefer");
	if (!p)
		return PREFER_REPRESENTATION;
	const char *ret = strstr(p, "return=");
	if (!ret)
		return PREFER_REPRESENTATION;
	ret += strlen("return=");
	if (strncmp(ret, "minimal", 7) == 0)
		return PREFER_MINIMAL;
	if (strncmp(ret, "OperationOutcome", 16) == 0)
		return PREFER_OUTCOME;
	return PREFER_REPRESENTATION;
}

/* ---- simple routes -------------------------------------------------------------- */

enum yl_code yl_h_healthz(struct yl_req *r, struct yl_err *err)
{
	if (!yl_store_conn(r->app->store, r->a, err))
		return err->code;
	static const char ok[] = "{\"status\":\"ok\",\"searchIndex\":\"current\"}";
	static const char stale[] = "{\"status\":\"ok\",\"searchIndex\":\"stale: run yilian "
	                            "reindex\"}";
	r->status = 200;
	r->content_type = PLAIN_JSON;
	r->resp_body = r->app->index_stale ? stale : ok;
	r->resp_len = r->app->index_stale ? sizeof stale - 1 : sizeof ok - 1;
	return YL_OK;
}

enum yl_code yl_h_web_index(struct yl_req *r, struct yl_err *err)
{
	return yl_static_serve(r, r->app->web_dir, "index.html", err);
}

enum yl_code yl_h_web_file(struct yl_req *r, struct yl_err *err)
{
	return yl_static_serve(r, r->app->web_dir, r->vars[0], err);
}

enum yl_code yl_h_metadata(struct yl_req *r, struct yl_err *err)
{
	(void)err;
	r->status = 200;
	r->resp_body = r->app->capability;
	r->resp_len = r->app->capability_len;
	return YL_OK;
}

/* ---- read ----------------------------------------------------------------------- */

/* If-None-Match (a list of ETags, or *) or, without it, If-Modified-Since (RFC 9110
 * 13.1.2, 13.1.3): true when the client's copy of row is current. A malformed
 * If-Modified-Since is ignored, as the RFC says. */
static bool not_modified(struct yl_req *r, const struct yl_row *row)
{
	const char *inm = yl_req_header(r, "If-None-Match");
	if (inm) {
		for (const char *p = inm; *p;) {
			p += strspn(p, " \t,");
			size_t n = strcspn(p, ",");
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			char tag[40];
			if (n == 1 && *p == '*')
				return true;
			if (n && n < sizeof tag) {
				memcpy(tag, p, n);
				tag[n] = '\0';
				if (parse_etag(tag) == row->version)
					return true;
			}
			p += strcspn(p, ",");
		}
		return false;
	}
	int64_t since;
	const char *ims = yl_req_header(r, "If-Modified-Since");
	return ims && yl_parse_httpdate(ims, &since) == 0 &&
	       row->last_updated / 1000000 <= since / 1000000;
}

static enum yl_code answer_row(struct yl_req *r, const struct yl_row *row, struct yl_err *err)
{
	if (row->deleted)
		return yl_err_add(err, r->a, YL_GONE, NULL, "%s/%s was deleted (version %lld)",
		                  row->type, row->id, (long long)row->version);
	set_version_headers(r, row->type, row->id, row->version, row->last_updated, false);
	if (not_modified(r, row)) {
		r->status = 304;
		r->resp_body = NULL;
		r->resp_len = 0;
		r->content_type = NULL;
		return YL_OK;
	}
	r->status = 200;
	r->resp_body = row->body;
	r->resp_len = row->body_len;
	return YL_OK;
}

static enum yl_code read_common(struct yl_req *r, int64_t version, struct yl_err *err)
{
	const char *type = r->vars[0], *id = r->vars[1];
	enum yl_code code = check_type(r, type, err);
	if (code != YL_OK)
		return code;
	if (!yl_id_valid(id, strlen(id)))
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%.64s does not exist", type,
		                  id);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row row;
	code = yl_store_read(c, r->a, type, id, version, &row, err);
	if (code == YL_NOT_FOUND) {
		if (version)
			return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
			                  "%s/%s has no version %lld", type, id,
			                  (long long)version);
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%s does not exist", type, id);
	}
	if (code != YL_OK)
		return code;
	if (row.patient && !r->audit_patient)
		r->audit_patient = row.patient;
	return answer_row(r, &row, err);
}

enum yl_code yl_h_read(struct yl_req *r, struct yl_err *err)
{
	return read_common(r, 0, err);
}

enum yl_code yl_h_vread(struct yl_req *r, struct yl_err *err)
{
	int64_t v = parse_positive(r->vars[2]);
	if (v <= 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "'%.32s' is not a version of %s/%s", r->vars[2], r->vars[0],
		                  r->vars[1]);
	return read_common(r, v, err);
}

/* ---- write ---------------------------------------------------------------------- */

static void drop_json(void *p)
{
	json_decref(p);
}

/* What is wrong with unparsable JSON, in words that never quote the body (jansson's own
 * text does: it would put patient data into the OperationOutcome). */
static const char *json_problem(const json_error_t *e)
{
	static const struct {
		enum json_error_code code;
		const char *text;
	} problems[] = {
	    {json_error_premature_end_of_input, "the body ends too early"},
	    {json_error_invalid_utf8, "invalid UTF-8"},
	    {json_error_duplicate_key, "a member name appears twice in one object"},
	    {json_error_numeric_overflow, "a number is too large"},
	    {json_error_null_character, "a NUL character"},
	    {json_error_end_of_input_expected, "text after the end of the JSON value"},
	};
	for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
		if (json_error_code(e) == problems[i].code)
			return problems[i].text;
	return "syntax error";
}

/* A JSON request body: the media type, a body at all. */
static enum yl_code check_body(struct yl_req *r, struct yl_err *err)
{
	const char *ct = yl_req_header(r, "Content-Type");
	if (!ct || !is_json_media(ct, strlen(ct)))
		return yl_err_add(
		    err, r->a, YL_UNSUPPORTED_MEDIA, NULL,
		    "Content-Type '%.60s' is not accepted; send application/fhir+json",
		    ct ? ct : "(none)");
	if (!r->body_len)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL, "the request has no body");
	return YL_OK;
}

/* r->body through the limit scan and jansson (duplicate keys refused); the document is
 * released with the request. */
static enum yl_code load_json(struct yl_req *r, json_t **out, struct yl_err *err)
{
	enum yl_code code = yl_json_check_limits(r->body, r->body_len, r->a, err);
	if (code != YL_OK)
		return code;
	json_error_t jerr;
	json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return yl_err_add(err, r->a, YL_MALFORMED_JSON, NULL,
		                  "the body is not valid JSON: %s (line %d, column %d)",
		                  json_problem(&jerr), jerr.line, jerr.column);
	if (yl_arena_defer(r->a, drop_json, doc) != 0) /* doc is already released */
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory parsing the body");
	*out = doc;
	return YL_OK;
}

enum yl_code yl_fhir_body_json(struct yl_req *r, json_t **out, struct yl_err *err)
{
	enum yl_code code = check_body(r, err);
	return code == YL_OK ? load_json(r, out, err) : code;
}

/* Parse and validate r->body (already checked for type and size) as a `type`. */
static enum yl_code parse_body(struct yl_req *r, const char *type, json_t **out, struct yl_err *err)
{
	json_t *doc;
	enum yl_code code = load_json(r, &doc, err);
	if (code != YL_OK)
		return code;
	if (!json_is_object(doc))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "the body must be a JSON object holding one resource");
	const char *rt = json_string_value(json_object_get(doc, "resourceType"));
	if (rt && strcmp(rt, type) != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "resourceType",
		                  "the body holds a '%.64s' but the URL names '%s'", rt, type);
	int problems = yl_fhir_validate(r->a, doc, type, err);
	problems += yl_care_validate(r->a, type, doc, err);
	if (problems > 0)
		return err->code;
	*out = doc;
	return YL_OK;
}

/* Parse and validate a request body as a resource of `type`. */
static enum yl_code parse_resource(struct yl_req *r, const char *type, json_t **out,
                                   struct yl_err *err)
{
	enum yl_code code = check_body(r, err);
	return code == YL_OK ? parse_body(r, type, out, err) : code;
}

/* The response to a write, as Prefer: return= asks: the resource (body), nothing, or an
 * OperationOutcome saying what happened (what: "created", "updated", ...). */
static enum yl_code answer_version(struct yl_req *r, int status, const char *what, const char *type,
                                   const char *id, int64_t version, int64_t last_updated,
                                   const char *body, size_t body_len)
{
	r->status = status;
	set_version_headers(r, type, id, version, last_updated, true);
	switch (prefer_return(r)) {
	case PREFER_MINIMAL:
		r->resp_body = NULL;
		r->resp_len = 0;
		r->content_type = NULL;
		break;
	case PREFER_OUTCOME: {
		struct yl_err info;
		yl_err_init(&info);
		yl_err_note(&info, r->a, "information", "informational", NULL,
		            "%s %s/%s version %lld", what, type, id, (long long)version);
		r->resp_body = yl_fhir_outcome(r->a, &info, &r->resp_len);
		break;
	}
	case PREFER_REPRESENTATION:
		r->resp_body = body;
		r->resp_len = body_len;
		break;
	}
	return YL_OK;
}

static enum yl_code answer_write(struct yl_req *r, const struct yl_write *w)
{
	return answer_version(r, w->created ? 201 : 200, w->created ? "created" : "updated",
	                      w->type, w->id, w->version, w->last_updated, w->body, w->body_len);
}

/* A conditional create found its resource: 200 and that resource, nothing written. */
static enum yl_code answer_existing(struct yl_req *r, const struct yl_row *row)
{
	return answer_version(r, 200, "found (nothing created)", row->type, row->id, row->version,
	                      row->last_updated, row->body, row->body_len);
}

/* What the request URL's criteria match for a conditional `what` ("update", "patch",
 * "delete"): none or one in *n (rows[0]); several is 412. */
static enum yl_code several(struct yl_req *r, const char *what, const char *type,
                            struct yl_err *err);
static enum yl_code match_criteria(struct yl_req *r, const char *type, const char *what,
                                   struct yl_row rows[2], int *n, struct yl_err *err)
{
	*n = 0;
	enum yl_code code = check_type(r, type, err);
	if (code == YL_OK)
		code = yl_fhir_match_params(r, type, r->url.params, r->url.nparams,
		                            yl_arena_printf(r->a, "conditional %s", what), rows, n,
		                            err);
	if (code == YL_OK && *n > 1)
		code = several(r, yl_arena_printf(r->a, "the conditional %s's criteria", what),
		               type, err);
	return code;
}

/* The one resource a condition names: 412 when several match (what names the condition). */
static enum yl_code several(struct yl_req *r, const char *what, const char *type,
                            struct yl_err *err)
{
	return yl_err_add(err, r->a, YL_PRECONDITION_FAILED, what,
	                  "%s matches more than one %s: make the criteria selective enough to "
	                  "name one resource",
	                  what, type);
}

static enum yl_code write_expecting(struct yl_req *r, enum yl_write_op op, const char *type,
                                    const char *id, json_t *doc, int64_t expect,
                                    struct yl_err *err);

static enum yl_code write_resource(struct yl_req *r, enum yl_write_op op, const char *type,
                                   const char *id, json_t *doc, struct yl_err *err)
{
	return write_expecting(r, op, type, id, doc, 0, err);
}

static bool scope_sees(const void *view, const char *type, const char *patient)
{
	return yl_scope_sees(view, type, patient);
}

/* Store doc (parsed from r->body, which becomes the stored text) as type/id, expecting
 * version if_match (0 = any); the care rules of the type run inside the transaction. */
static enum yl_code store_doc(struct yl_req *r, enum yl_write_op op, const char *type,
                              const char *id, json_t *doc, int64_t if_match, struct yl_write *w,
                              struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_json_body bc = {r->body, r->body_len, type, id};
	*w = (struct yl_write){
	    .op = op,
	    .type = type,
	    .id = id,
	    .if_match = if_match,
	    .patient = yl_fhir_patient_of(r->a, type, id, doc),
	    .render = yl_json_render,
	    .render_ctx = &bc,
	};
	struct yl_care_check_ctx *cc = NULL;
	if (yl_care_has_check(type)) {
		if (!(cc = yl_arena_calloc(r->a, 1, sizeof *cc)))
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		cc->doc = doc;
		w->check = yl_care_check;
		w->check_ctx = cc;
	}
	yl_audit_on_write(r, w);
	enum yl_code code;
	if (r->who) { /* a user's write: only to records in their care */
		const struct yl_scope *sc;
		enum yl_code sc_code = yl_policy_scope(r, &sc, err);
		if (sc_code != YL_OK)
			return sc_code;
		if (cc && !sc->all) { /* the rules name no record the writer may not see */
			cc->sees = scope_sees;
			cc->view = sc;
		}
		if (!yl_scope_sees(sc, type, w->patient)) {
			/* a new resident's record may be registered (never one that exists) */
			if (strcmp(type, "Patient") != 0 || !w->patient)
				return yl_err_add(
				    err, r->a, YL_FORBIDDEN, NULL, "%s/%s is not in your care: %s",
				    w->patient ? "Patient" : type, w->patient ? w->patient : id,
				    w->patient ? "only the records of residents you care for can "
				                 "be written"
				               : "your role may not write it");
			w->op = YL_WRITE_CREATE;
		}
		if (!w->patient && (code = yl_policy_shared_write(r, type, id, doc, err)) != YL_OK)
			return code;
		if (w->patient && !r->audit_patient)
			r->audit_patient = w->patient;
	}
	struct yl_index_row *rows = NULL;
	code = yl_fhir_extract(r->a, type, doc, &rows, &w->index_count, err);
	if (code != YL_OK)
		return code;
	w->index = rows;
	code = yl_store_write(c, r->a, w, err);
	w->render_ctx = NULL; /* bc ends here */
	return code;
}

/* write_resource, and when the request has no If-Match, expect (a version, 0 = any). */
static enum yl_code write_expecting(struct yl_req *r, enum yl_write_op op, const char *type,
                                    const char *id, json_t *doc, int64_t expect, struct yl_err *err)
{
	int64_t if_match = 0;
	/* If-Match applies to updates; a create has no version to match (ignored) */
	if (op != YL_WRITE_CREATE && yl_fhir_if_match(r, &if_match, err) != YL_OK)
		return err->code;
	struct yl_write w;
	enum yl_code code = store_doc(r, op, type, id, doc, if_match ? if_match : expect, &w, err);
	return code == YL_OK ? answer_write(r, &w) : code;
}

enum yl_code yl_fhir_store_text(struct yl_req *r, enum yl_write_op op, const char *type,
                                const char *id, const char *text, size_t len, int64_t if_match,
                                struct yl_write *w, struct yl_err *err)
{
	r->body = text;
	r->body_len = len;
	json_t *doc;
	enum yl_code code = parse_body(r, type, &doc, err);
	return code == YL_OK ? store_doc(r, op, type, id, doc, if_match, w, err) : code;
}

enum yl_code yl_fhir_answer_write(struct yl_req *r, const struct yl_write *w)
{
	return answer_write(r, w);
}

static const char *new_id(struct yl_req *r);

enum yl_code yl_h_create(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0];
	enum yl_code code = check_type(r, type, err);
	json_t *doc = NULL;
	if (code == YL_OK)
		code = parse_resource(r, type, &doc, err);
	if (code != YL_OK)
		return code;
	const char *cond = yl_req_header(r, "If-None-Exist");
	if (cond) {
		struct yl_row rows[2];
		int n;
		if ((code = yl_fhir_match(r, type, cond, "If-None-Exist", rows, &n, err)) != YL_OK)
			return code;
		if (n > 1)
			return several(r, "If-None-Exist", type, err);
		if (n == 1)
			return answer_existing(r, &rows[0]);
	}
	return write_resource(r, YL_WRITE_CREATE, type, new_id(r), doc, err);
}

/* A new resource's id: drawn here, or assigned in advance by a transaction. */
static const char *new_id(struct yl_req *r)
{
	if (r->new_id)
		return r->new_id;
	char id[YL_ID_LEN + 1];
	yl_id_new(id);
	return yl_arena_strdup(r->a, id);
}

/* PUT [type]?criteria: update the one match; with none, create (with the body's id when it
 * has one: 409 if that id is taken by a resource the criteria do not match). */
enum yl_code yl_h_update_conditional(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0];
	enum yl_code code = check_type(r, type, err);
	json_t *doc = NULL;
	if (code == YL_OK)
		code = parse_resource(r, type, &doc, err);
	struct yl_row rows[2];
	int n = 0;
	if (code == YL_OK)
		code = match_criteria(r, type, "update", rows, &n, err);
	if (code != YL_OK)
		return code;
	const char *body_id = json_string_value(json_object_get(doc, "id"));
	if (n == 1) {
		if (body_id && strcmp(body_id, rows[0].id) != 0)
			return yl_err_add(
			    err, r->a, YL_BAD_REQUEST, "id",
			    "the body's id ('%.64s') is not the id of the resource the "
			    "criteria match (%s/%s)",
			    body_id, type, rows[0].id);
		return write_resource(r, YL_WRITE_UPDATE, type, rows[0].id, doc, err);
	}
	if (body_id && (code = check_id(r, body_id, err)) != YL_OK)
		return code;
	code = write_resource(r, YL_WRITE_CREATE, type, body_id ? body_id : new_id(r), doc, err);
	if (code == YL_CONFLICT && body_id) /* without one, the conflict is a held identifier */
		return yl_err_add(err, r->a, YL_CONFLICT, "id",
		                  "%s/%s exists but does not match the criteria; leave the id out "
		                  "to create a new resource",
		                  type, body_id);
	return code;
}

enum yl_code yl_h_update(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0], *id = r->vars[1];
	enum yl_code code = check_type(r, type, err);
	if (code == YL_OK)
		code = check_id(r, id, err);
	json_t *doc = NULL;
	if (code == YL_OK)
		code = parse_resource(r, type, &doc, err);
	if (code != YL_OK)
		return code;
	const char *body_id = json_string_value(json_object_get(doc, "id"));
	if (!body_id)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "id",
		                  "an update must carry the resource id in the body");
	if (strcmp(body_id, id) != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "id",
		                  "the id in the body ('%.64s') differs from the id in the URL "
		                  "('%s')",
		                  body_id, id);
	return write_resource(r, YL_WRITE_UPDATE, type, id, doc, err);
}

/* ---- patch ---------------------------------------------------------------------- */

#define PATCH_ATTEMPTS 3 /* without If-Match, a patch that races another write is redone */

static enum yl_code patch_once(struct yl_req *r, const char *type, const char *id,
                               const json_t *patch, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row row;
	enum yl_code code = yl_store_read(c, r->a, type, id, 0, &row, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%s does not exist", type, id);
	if (code != YL_OK)
		return code;
	if (row.deleted)
		return yl_err_add(err, r->a, YL_GONE, NULL, "%s/%s was deleted (version %lld)",
		                  type, id, (long long)row.version);
	char *text;
	size_t len;
	if (yl_json_wrap_numbers(r->a, row.body, row.body_len, &text, &len) != 0)
		return yl_err_add(err, r->a, YL_INVALID_RESOURCE, NULL,
		                  "%s/%s holds a string this server cannot patch safely "
		                  "(it starts with U+E000); send the whole resource with PUT",
		                  type, id);
	json_t *doc = json_loadb(text, len, 0, NULL);
	if (!doc)
		return yl_err_add(err, r->a, YL_STORE, NULL, "%s/%s could not be read back", type,
		                  id);
	code = yl_json_patch(&doc, patch, r->a, err);
	char *out = NULL;
	if (code == YL_OK && !json_is_object(doc))
		code = yl_err_add(err, r->a, YL_INVALID_RESOURCE, NULL,
		                  "the patched document is not a resource (not a JSON object)");
	if (code == YL_OK) {
		const char *rt = json_string_value(json_object_get(doc, "resourceType"));
		const char *pid = json_string_value(json_object_get(doc, "id"));
		if (!rt || strcmp(rt, type) != 0 || !pid || strcmp(pid, id) != 0)
			code = yl_err_add(err, r->a, YL_INVALID_RESOURCE, NULL,
			                  "a patch may not change or remove resourceType or id");
	}
	if (code == YL_OK && !(out = json_dumps(doc, JSON_COMPACT)))
		code = yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory patching");
	json_decref(doc);
	if (code != YL_OK)
		return code;
	int rc = yl_json_unwrap_numbers(r->a, out, strlen(out), &text, &len);
	free(out);
	if (rc != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory patching");
	/* from here on the patched resource is the body: validated and written as an update */
	r->body = text;
	r->body_len = len;
	json_t *res;
	if ((code = parse_body(r, type, &res, err)) != YL_OK)
		return code;
	return write_expecting(r, YL_WRITE_UPDATE, type, id, res, row.version, err);
}

static enum yl_code patch_resource(struct yl_req *r, const char *type, const char *id,
                                   struct yl_err *err)
{
	const char *ct = yl_req_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json-patch+json", 27) != 0)
		return yl_err_add(err, r->a, YL_UNSUPPORTED_MEDIA, NULL,
		                  "PATCH takes a JSON Patch (Content-Type: "
		                  "application/json-patch+json), not '%.60s'",
		                  ct ? ct : "(none)");
	if (!r->body_len)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL, "the request has no body");
	enum yl_code code = yl_json_check_limits(r->body, r->body_len, r->a, err);
	char *text;
	size_t len;
	if (code != YL_OK)
		return code;
	json_error_t jerr;
	json_t *raw = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!raw) /* checked as sent: wrapping would hide a malformed number in a string */
		return yl_err_add(err, r->a, YL_MALFORMED_JSON, NULL,
		                  "the patch is not valid JSON: %s (line %d, column %d)",
		                  json_problem(&jerr), jerr.line, jerr.column);
	json_decref(raw);
	if (yl_json_wrap_numbers(r->a, r->body, r->body_len, &text, &len) != 0)
		return yl_err_add(
		    err, r->a, YL_BAD_REQUEST, NULL,
		    "the patch holds a string starting with U+E000, which this server "
		    "cannot take");
	json_t *patch = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!patch)
		return yl_err_add(err, r->a, YL_MALFORMED_JSON, NULL,
		                  "the patch is not valid JSON");
	if (yl_arena_defer(r->a, drop_json, patch) != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	bool client_match = yl_req_header(r, "If-Match") != NULL;
	for (int attempt = 1;; attempt++) {
		code = patch_once(r, type, id, patch, err);
		if (code != YL_PRECONDITION_FAILED || client_match || attempt == PATCH_ATTEMPTS)
			return code;
		yl_err_init(err); /* another write came between the read and ours: again */
	}
}

enum yl_code yl_h_patch(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0], *id = r->vars[1];
	enum yl_code code = check_type(r, type, err);
	if (code == YL_OK)
		code = check_id(r, id, err);
	return code == YL_OK ? patch_resource(r, type, id, err) : code;
}

enum yl_code yl_h_patch_conditional(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0];
	struct yl_row rows[2];
	int n = 0;
	enum yl_code code = match_criteria(r, type, "patch", rows, &n, err);
	if (code != YL_OK)
		return code;
	if (n == 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "no %s matches the conditional patch's criteria", type);
	return patch_resource(r, type, rows[0].id, err);
}

static enum yl_code delete_resource(struct yl_req *r, const char *type, const char *id,
                                    struct yl_err *err);

enum yl_code yl_h_delete(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0], *id = r->vars[1];
	enum yl_code code = check_type(r, type, err);
	if (code == YL_OK)
		code = check_id(r, id, err);
	if (code != YL_OK)
		return code;
	return delete_resource(r, type, id, err);
}

/* DELETE [type]?criteria: delete the one match; none is no error (200 and an
 * OperationOutcome saying nothing was deleted); several -> 412. */
enum yl_code yl_h_delete_conditional(struct yl_req *r, struct yl_err *err)
{
	const char *type = r->vars[0];
	struct yl_row rows[2];
	int n = 0;
	enum yl_code code = match_criteria(r, type, "delete", rows, &n, err);
	if (code != YL_OK)
		return code;
	if (n == 1)
		return delete_resource(r, type, rows[0].id, err);
	struct yl_err info;
	yl_err_init(&info);
	yl_err_note(&info, r->a, "information", "not-found", NULL,
	            "no %s matches the criteria; nothing was deleted", type);
	r->status = 200;
	r->resp_body = yl_fhir_outcome(r->a, &info, &r->resp_len);
	return YL_OK;
}

static enum yl_code delete_resource(struct yl_req *r, const char *type, const char *id,
                                    struct yl_err *err)
{
	enum yl_code code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	if (r->who && yl_policy_shared_type(type) &&
	    (code = yl_policy_shared_write(r, type, id, NULL, err)) != YL_OK)
		return code;
	struct yl_write w = {.op = YL_WRITE_DELETE, .type = type, .id = id};
	yl_audit_on_write(r, &w);
	if (yl_fhir_if_match(r, &w.if_match, err) != YL_OK)
		return err->code;
	code = yl_store_write(c, r->a, &w, err);
	if (code != YL_OK)
		return code;
	r->status = 204;
	r->content_type = NULL;
	if (!w.noop)
		yl_req_set_header(r, "ETag",
		                  yl_arena_printf(r->a, "W/\"%lld\"", (long long)w.version));
	return YL_OK;
}

/* ---- history -------------------------------------------------------------------- */

#define HISTORY_BATCH    500
#define HISTORY_SCAN_MAX 20000 /* rows a restricted caller's page reads at most */

struct hist {
	struct yl_req *r;
	struct yl_buf *b;
	const char *base;
	int want;
	int got;
	int64_t cursor;
	bool instance;
	const struct yl_scope *scope; /* type and system history of a restricted caller */
	int64_t seen_cursor;          /* the last row read, shown or not */
	int batch, scanned;
};

static int hist_row(void *ctx, const struct yl_row *row)
{
	struct hist *h = ctx;
	if (h->b->err)
		return 1; /* the page is already too large: stop reading bodies */
	h->batch++;
	h->scanned++;
	if (h->scope && !yl_scope_sees(h->scope, row->type, row->patient)) {
		h->seen_cursor = h->instance ? row->version : row->seq;
		return 0; /* a change to a record the caller may not see: not there for them */
	}
	if (h->got == h->want) {
		h->got++; /* one more than a page: there is a next page */
		return 1;
	}
	struct yl_buf *b = h->b;
	char ts[YL_INSTANT_LEN];
	yl_format_instant(row->last_updated, ts);
	if (h->got++)
		yl_buf_addc(b, ',');
	yl_buf_printf(b, "{\"fullUrl\":\"%s/%s/%s\"", h->base, row->type, row->id);
	if (!row->deleted) {
		yl_buf_adds(b, ",\"resource\":");
		yl_buf_add(b, row->body, row->body_len);
	}
	const char *method = row->deleted ? "DELETE" : row->version == 1 ? "POST" : "PUT";
	const char *status = row->deleted ? "204" : row->version == 1 ? "201" : "200";
	if (row->version == 1 && !row->deleted)
		yl_buf_printf(b, ",\"request\":{\"method\":\"POST\",\"url\":\"%s\"}", row->type);
	else
		yl_buf_printf(b, ",\"request\":{\"method\":\"%s\",\"url\":\"%s/%s\"}", method,
		              row->type, row->id);
	yl_buf_printf(b,
	              ",\"response\":{\"status\":\"%s\",\"etag\":\"W/\\\"%lld\\\"\","
	              "\"lastModified\":\"%s\"}}",
	              status, (long long)row->version, ts);
	h->cursor = h->seen_cursor = h->instance ? row->version : row->seq;
	return 0;
}

/* self/next links: the given parameters (the request's own, or those that took effect),
 * with _cursor replaced */
void yl_fhir_add_link(struct yl_buf *b, struct yl_req *r, const char *base, const char *relation,
                      const struct yl_param *params, size_t nparams, const char *cursor)
{
	yl_buf_printf(b, "{\"relation\":\"%s\",\"url\":", relation);
	struct yl_buf u;
	yl_buf_init(&u, r->a, 256, YL_MAX_URL_BYTES * 4);
	yl_buf_adds(&u, base);
	const char *path = r->url.path;
	if (strncmp(path, "/fhir", 5) == 0)
		path += 5;
	yl_buf_adds(&u, path);
	char sep = '?';
	for (size_t i = 0; i < nparams; i++) {
		if (strcmp(params[i].name, "_cursor") == 0)
			continue;
		yl_buf_addc(&u, sep);
		yl_url_encode(&u, params[i].name);
		yl_buf_addc(&u, '=');
		yl_url_encode(&u, params[i].value);
		sep = '&';
	}
	if (cursor) {
		yl_buf_printf(&u, "%c_cursor=", sep);
		yl_url_encode(&u, cursor);
	}
	yl_buf_json_str(b, u.err ? base : u.p);
	yl_buf_addc(b, '}');
}

static void add_link(struct yl_buf *b, struct yl_req *r, const char *base, const char *relation,
                     int64_t cursor)
{
	char c[24];
	snprintf(c, sizeof c, "%lld", (long long)cursor);
	yl_fhir_add_link(b, r, base, relation, r->url.params, r->url.nparams, cursor ? c : NULL);
}

static enum yl_code history_params(struct yl_req *r, int64_t *since, int *count, int64_t *cursor,
                                   bool *summary_count, struct yl_err *err)
{
	const char *s = yl_url_param(&r->url, "_since");
	*since = 0;
	if (s && yl_parse_datetime(s, strlen(s), since) != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "_since",
		                  "_since '%.40s' is not a valid instant such as "
		                  "2026-11-23T08:00:00Z",
		                  s);
	const char *c = yl_url_param(&r->url, "_count");
	*count = YL_DEFAULT_COUNT;
	if (c) {
		int64_t v = parse_positive(c);
		if (v < 0)
			return yl_err_add(err, r->a, YL_BAD_REQUEST, "_count",
			                  "_count '%.20s' is not a non-negative integer", c);
		*count = v > YL_MAX_COUNT ? YL_MAX_COUNT : (int)v;
	}
	const char *cur = yl_url_param(&r->url, "_cursor");
	*cursor = 0;
	if (cur && (*cursor = parse_positive(cur)) <= 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "_cursor",
		                  "_cursor '%.20s' is not a cursor this server handed out", cur);
	const char *sum = yl_url_param(&r->url, "_summary");
	*summary_count = sum && strcmp(sum, "count") == 0;
	if (sum && !*summary_count && strcmp(sum, "false") != 0)
		return yl_err_add(
		    err, r->a, YL_BAD_REQUEST, "_summary",
		    "_summary '%.20s' is not supported on history; use count or false", sum);
	return YL_OK;
}

static enum yl_code history(struct yl_req *r, const char *type, const char *id, struct yl_err *err)
{
	int64_t since = 0, cursor = 0;
	int count = 0;
	bool summary_count = false;
	enum yl_code code = history_params(r, &since, &count, &cursor, &summary_count, err);
	if (code != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	const char *base = yl_fhir_base_url(r);
	struct yl_buf b;
	yl_buf_init(&b, r->a, 4096, YL_MAX_RESPONSE_BYTES);
	yl_buf_adds(&b, "{\"resourceType\":\"Bundle\",\"type\":\"history\"");
	const struct yl_scope *scope = NULL;
	if (!id && (code = yl_policy_scope(r, &scope, err)) != YL_OK)
		return code;
	if (scope && scope->all)
		scope = NULL;
	if (scope && summary_count)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "the count of every change is for administrators; page through "
		                  "the history instead");
	if (summary_count) {
		int64_t total;
		code = yl_store_history_count(c, r->a, type, id, since, &total, err);
		if (code != YL_OK)
			return code;
		yl_buf_printf(&b, ",\"total\":%lld,\"link\":[", (long long)total);
		add_link(&b, r, base, "self", 0);
		yl_buf_adds(&b, "]}");
	} else {
		struct yl_buf entries;
		yl_buf_init(&entries, r->a, 4096, YL_MAX_RESPONSE_BYTES);
		struct hist h = {r, &entries, base, count, 0, 0, id != NULL, scope, 0, 0, 0};
		/* a restricted caller's page is read in batches, skipping what they may not
		 * see, up to HISTORY_SCAN_MAX rows; then the next link goes on from there */
		int64_t from = cursor;
		bool more = false;
		while (count > 0) {
			h.batch = 0;
			int batch = scope ? HISTORY_BATCH : count + 1;
			code = yl_store_history(c, r->a, type, id, since, from, batch, hist_row, &h,
			                        err);
			if (code != YL_OK)
				return code;
			if (!scope || h.got > h.want || h.batch < batch || entries.err)
				break;
			from = h.seen_cursor;
			if (h.scanned >= HISTORY_SCAN_MAX) {
				more = true;
				break;
			}
		}
		yl_buf_adds(&b, ",\"link\":[");
		add_link(&b, r, base, "self", 0);
		if (h.got > h.want || more) {
			yl_buf_addc(&b, ',');
			add_link(&b, r, base, "next", h.got > h.want ? h.cursor : h.seen_cursor);
		}
		yl_buf_adds(&b, "],\"entry\":[");
		yl_buf_add(&b, entries.p, entries.len);
		yl_buf_adds(&b, "]}");
		if (entries.err)
			b.err = entries.err;
	}
	if (b.err)
		return yl_err_add(err, r->a, b.err, NULL,
		                  "the history page is too large; ask for a smaller _count");
	r->status = 200;
	r->resp_body = b.p;
	r->resp_len = b.len;
	return YL_OK;
}

enum yl_code yl_h_history_instance(struct yl_req *r, struct yl_err *err)
{
	enum yl_code code = check_type(r, r->vars[0], err);
	if (code == YL_OK)
		code = check_id(r, r->vars[1], err);
	if (code != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row row;
	code = yl_store_read(c, r->a, r->vars[0], r->vars[1], 0, &row, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%s does not exist", r->vars[0],
		                  r->vars[1]);
	if (code != YL_OK)
		return code;
	return history(r, r->vars[0], r->vars[1], err);
}

enum yl_code yl_h_history_type(struct yl_req *r, struct yl_err *err)
{
	enum yl_code code = check_type(r, r->vars[0], err);
	return code != YL_OK ? code : history(r, r->vars[0], NULL, err);
}

enum yl_code yl_h_history_system(struct yl_req *r, struct yl_err *err)
{
	return history(r, NULL, NULL, err);
}

/* ---- $validate ---------------------------------------------------------------------- */

/* POST [type]/$validate (and [type]/[id]/$validate): the body (a resource, or a Parameters
 * whose "resource" parameter holds one) validated as a create or update would validate
 * it, nothing stored; 200 with an OperationOutcome listing every problem, or saying there
 * is none. */
static enum yl_code validate(struct yl_req *r, const char *update_id, struct yl_err *err)
{
	const char *type = r->vars[0];
	enum yl_code code = check_type(r, type, err);
	if (code != YL_OK)
		return code;
	json_t *doc;
	if ((code = yl_fhir_body_json(r, &doc, err)) != YL_OK)
		return code;
	json_t *res = doc;
	const char *rt = json_string_value(json_object_get(doc, "resourceType"));
	if (rt && strcmp(rt, "Parameters") == 0 && strcmp(type, "Parameters") != 0) {
		res = NULL;
		json_t *ps = json_object_get(doc, "parameter");
		for (size_t i = 0; i < json_array_size(ps); i++) {
			json_t *p = json_array_get(ps, i);
			const char *name = json_string_value(json_object_get(p, "name"));
			if (name && strcmp(name, "resource") == 0)
				res = json_object_get(p, "resource");
		}
		if (!res)
			return yl_err_add(
			    err, r->a, YL_BAD_REQUEST, "Parameters",
			    "a Parameters body needs a 'resource' parameter to validate");
		rt = json_string_value(json_object_get(res, "resourceType"));
	}
	if (!json_is_object(res))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "the body must be a JSON object holding one resource");
	if (rt && strcmp(rt, type) != 0)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "resourceType",
		                  "the body holds a '%.64s' but the URL names '%s'", rt, type);
	struct yl_err found;
	yl_err_init(&found);
	int problems = yl_fhir_validate(r->a, res, type, &found);
	problems += yl_care_validate(r->a, type, res, &found);
	if (update_id) { /* [id]/$validate: the id must be the resource's, as for an update */
		const char *id = json_string_value(json_object_get(res, "id"));
		if (!id || strcmp(id, update_id) != 0) {
			yl_err_add(&found, r->a, YL_BAD_REQUEST, "id",
			           "an update of %s/%s must carry that id in the body", type,
			           update_id);
			problems++;
		}
	}
	if (!problems)
		yl_err_note(&found, r->a, "information", "informational", NULL,
		            "no problems found: the %s is valid FHIR R4 as this server checks it",
		            type);
	r->status = 200;
	r->resp_body = yl_fhir_outcome(r->a, &found, &r->resp_len);
	return r->resp_body ? YL_OK : yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
}

enum yl_code yl_h_validate(struct yl_req *r, struct yl_err *err)
{
	return validate(r, NULL, err);
}

enum yl_code yl_h_validate_instance(struct yl_req *r, struct yl_err *err)
{
	return validate(r, r->vars[1], err);
}
