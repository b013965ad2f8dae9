/* find.h -- searches that the care rules run from C, in FHIR search syntax, on a store
 * connection the caller names: inside a write's check (store.h, yl_write.check) that is the
 * writer connection, whose reads see the write's own transaction.
 *
 * Memory: rows and parsed documents live in the arena (documents are released with it).
 * Errors: a malformed parameter is a bug in the caller and comes back as YL_BAD_REQUEST with
 * the search parser's message; store errors as the store reports them. */
#ifndef YL_CARE_FIND_H
#define YL_CARE_FIND_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/url.h"
#include "store/store.h"

struct json_t;

/* Up to limit current resources of `type` matching params (each name=value as in a URL,
 * undecoded form not needed: values are taken as written) into *rows (*n of them), and,
 * when total is not NULL, the number of all matches. limit 0 only counts. */
enum yl_code yl_care_find(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const struct yl_param *params, size_t nparams, int limit,
                          struct yl_row **rows, size_t *n, int64_t *total, struct yl_err *err);

/* Every current resource of `type` matching params, in resource-row order, page by page:
 * fn gets each row and its parsed body (both valid during the call only: each page lives in
 * a scratch arena reset before the next) and returns non-zero to stop. fn may run its own
 * searches on c. */
typedef int (*yl_care_each_fn)(void *ctx, const struct yl_row *row, struct json_t *doc);
enum yl_code yl_care_each(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const struct yl_param *params, size_t nparams, yl_care_each_fn fn,
                          void *ctx, struct yl_err *err);

/* A row's body as a JSON object, released with the arena; NULL (err filled) if it is not. */
struct json_t *yl_care_parse(struct yl_arena *a, const struct yl_row *row, struct yl_err *err);

/* Read type/id (current version) and parse it; YL_NOT_FOUND, with nothing added to err,
 * when it is absent or deleted: the caller says what the missing resource means. */
enum yl_code yl_care_read(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                          const char *id, struct yl_row *row, struct json_t **doc,
                          struct yl_err *err);

/* "Type/id" of a relative reference (a Reference object's .reference) split into its parts
 * (arena text); false when it is not one of that form or of another type than want (NULL:
 * any type). */
bool yl_care_ref(struct yl_arena *a, const struct json_t *reference, const char *want,
                 const char **type, const char **id);

/* Small readers and writers of the JSON the care rules handle: a member's string (NULL if
 * absent or not a string); an extension appended to o (value is stolen); a json_t released
 * by an arena cleanup (yl_arena_defer(a, yl_care_decref, doc)). */
const char *yl_care_str(const struct json_t *o, const char *key);
void yl_care_add_ext(struct json_t *o, const char *url, const char *key, struct json_t *value);
void yl_care_decref(void *doc);

/* Store doc (its id set to id) as type/id through the path of a PUT or POST (fhir/rest.h
 * yl_fhir_store_text: validation, the care rules, indexing), inside the caller's transaction
 * when one is open. Decimals wrapped by fhir/json.h are written back as they were read. */
struct yl_req;
enum yl_code yl_care_put(struct yl_req *r, enum yl_write_op op, const char *type, const char *id,
                         struct json_t *doc, int64_t if_match, struct yl_write *w,
                         struct yl_err *err);
/* An operation's input: the body as JSON checked against spec (fhir/parameters.h). */
struct yl_opparam;
enum yl_code yl_care_input(struct yl_req *r, const struct yl_opparam *spec, size_t n,
                           const char *op, struct json_t **body, struct yl_err *err);
/* A reference parameter's id when it is type/id (*id NULL when absent); 400 otherwise. */
enum yl_code yl_care_param_ref(struct yl_req *r, const struct json_t *body, const char *name,
                               const char *type, const char **id, struct yl_err *err);
/* A date parameter's day number, `otherwise` when absent; 400 when not a date. */
enum yl_code yl_care_param_day(struct yl_req *r, const struct json_t *body, const char *name,
                               int64_t otherwise, int64_t *day, struct yl_err *err);
/* Answer 200 with doc (stolen) as compact JSON. */
enum yl_code yl_care_answer(struct yl_req *r, struct json_t *doc, struct yl_err *err);
/* An operation's several writes in one store transaction, or in the caller's when it runs
 * inside one (a transaction Bundle): yl_care_begin opens one unless one is open (*own says
 * which); yl_care_end commits it when code is YL_OK, rolls it back otherwise, and returns
 * the code (the commit's, if it fails). */
enum yl_code yl_care_begin(struct yl_store_conn *c, struct yl_arena *a, bool *own,
                           struct yl_err *err);
enum yl_code yl_care_end(struct yl_store_conn *c, struct yl_arena *a, bool own, enum yl_code code,
                         struct yl_err *err);

/* A code of one of yilian's code systems (cs: "followup-symptom") as a Coding with its
 * zh-CN display: {"system": CS+cs, "code", "display"} (a new JSON object). */
struct json_t *yl_care_coding(const char *cs, const char *code);
/* A code parameter that must be a code of yilian's code system cs: *code, or 400 saying
 * which codes (`which`, for the message) it takes. */
enum yl_code yl_care_code_param(struct yl_req *r, const struct json_t *body, const char *name,
                                const char *cs, const char *which, const char **code,
                                struct yl_err *err);
/* Store doc as the new version of type/id (If-Match when the request has one, else the
 * version read: a concurrent change answers 412) and answer it as an update does. */
enum yl_code yl_care_update_answer(struct yl_req *r, const char *type, const char *id,
                                   int64_t version, struct json_t *doc, struct yl_err *err);

/* A day number as YYYY-MM-DD, arena text. */
const char *yl_care_day_text(struct yl_arena *a, int64_t day);
/* A new server id (core/id.h), arena text. */
const char *yl_care_new_id(struct yl_arena *a);
/* {"reference": "type/id"}, a new JSON object. */
struct json_t *yl_care_ref_obj(const char *type, const char *id);

#endif
