/* rest.h -- the FHIR REST layer: the application context, dispatch, and the handlers
 * named in the route table (routes.c).
 *
 * struct yl_app is created once by `yilian serve` (or a test) and shared read-only by
 * every worker thread; per-thread store connections come from yl_store_conn().
 * Handlers follow http.h: fill the response in the request, or return an error code with
 * err filled (rendered as an OperationOutcome by yl_fhir_render_error). */
#ifndef YL_REST_H
#define YL_REST_H

#include "http/http.h"
#include "http/router.h"
#include "store/store.h"

struct yl_pop;
struct yl_audit_queue;
struct yl_app {
	struct yl_store *store;
	const struct yl_route *routes;
	size_t nroutes;
	const char *capability; /* CapabilityStatement text, built at start */
	size_t capability_len;
	bool index_stale;     /* index rows built by another search-parameter table: reindex */
	struct yl_bulk *bulk; /* $export jobs (fhir/bulk.h), or NULL */
	const char *web_dir;  /* the web pages (DIR/web), or NULL: GET / answers 404 */
	struct yl_pop *pop;   /* the population model (care/population.h), or NULL */
	struct yl_audit_queue *audit; /* the writer of read events (auth/audit.h), or NULL:
	                               * each is then appended before its answer */
};

extern const struct yl_route yl_fhir_routes[];
extern const size_t yl_fhir_route_count;

/* Build app->capability (text in arena a) from the route table; 0 or -1 (out of memory). */
int yl_fhir_capability_build(struct yl_app *app, struct yl_arena *a);

enum yl_code yl_fhir_dispatch(struct yl_req *r, struct yl_err *err);
void yl_fhir_render_error(struct yl_req *r, const struct yl_err *err);

/* http://HOST/fhir from a sanitised Host header (arena text). */
const char *yl_fhir_base_url(struct yl_req *r);
/* Append a Bundle link object: base + the request path + params (minus _cursor) + cursor. */
struct yl_buf;
void yl_fhir_add_link(struct yl_buf *b, struct yl_req *r, const char *base, const char *relation,
                      const struct yl_param *params, size_t nparams, const char *cursor);

/* Render an OperationOutcome for err into arena text. */
char *yl_fhir_outcome(struct yl_arena *a, const struct yl_err *err, size_t *len);

enum yl_code yl_h_healthz(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_web_index(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_web_file(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_metadata(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_create(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_read(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_vread(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_update(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_delete(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_update_conditional(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_delete_conditional(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_bundle(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_patch(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_validate(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_validate_instance(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_everything(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_patch_conditional(struct yl_req *r, struct yl_err *err);

/* The request body as JSON (Content-Type a JSON type, not empty, within the limits of
 * fhir/limits.h, no duplicate keys): 415 or 400 otherwise. The document is released with
 * the request. */
struct json_t;
enum yl_code yl_fhir_body_json(struct yl_req *r, struct json_t **out, struct yl_err *err);

/* Conditional operations (If-None-Exist, conditional update and delete, conditional
 * references in a transaction): the current resources of `type` that a search with query
 * ("identifier=a|b&birthdate=1950") or params matches, at most 2 in rows[] (*n = 0, 1 or
 * 2: none, one, several). Unknown parameters and result parameters (_count, _sort, ...)
 * are refused with 400, as are empty criteria; `what` names the condition in messages. */
enum yl_code yl_fhir_match(struct yl_req *r, const char *type, const char *query, const char *what,
                           struct yl_row rows[2], int *n, struct yl_err *err);
enum yl_code yl_fhir_match_params(struct yl_req *r, const char *type, const struct yl_param *params,
                                  size_t nparams, const char *what, struct yl_row rows[2], int *n,
                                  struct yl_err *err);
/* For operations that write (care/contract.c): text stored as type/id through the same
 * path as a PUT or POST (validation, the care rules inside the transaction, extraction),
 * expecting version if_match (0 = any); r->body becomes text. w holds the outcome;
 * yl_fhir_answer_write() then answers with it as a create or update would. */
enum yl_code yl_fhir_store_text(struct yl_req *r, enum yl_write_op op, const char *type,
                                const char *id, const char *text, size_t len, int64_t if_match,
                                struct yl_write *w, struct yl_err *err);
enum yl_code yl_fhir_answer_write(struct yl_req *r, const struct yl_write *w);
/* The version an If-Match header asks for (0 when absent); 400 when malformed. */
enum yl_code yl_fhir_if_match(struct yl_req *r, int64_t *out, struct yl_err *err);

enum yl_code yl_h_history_instance(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_history_type(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_history_system(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_search_type(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_search_type_post(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_search_system(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_search_system_post(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_search_compartment(struct yl_req *r, struct yl_err *err);

#endif
