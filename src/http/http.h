/* http.h -- one HTTP request as handlers see it, and the response they fill in.
 *
 * A struct yl_req is created by the server when a request starts and destroyed when its
 * response has been sent; everything hanging off it lives in req->a (the request arena),
 * including the response body, which libmicrohttpd sends straight from arena memory.
 * Handlers run on a server worker thread and must not keep pointers past the request.
 * Errors: a handler returns enum yl_code; on anything but YL_OK the router answers with
 * an OperationOutcome built from err (status from errors.def). */
#ifndef YL_HTTP_H
#define YL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/url.h"

#define YL_MAX_RESP_HEADERS 12
#define YL_MAX_ROUTE_VARS   4

struct yl_app; /* what handlers need: the store, the capability text, settings */
struct yl_principal;
struct yl_scope;

struct yl_header {
	const char *name;
	const char *value;
};

struct yl_req {
	struct yl_arena *a;
	struct yl_app *app;
	void *conn;          /* struct MHD_Connection */
	uint64_t id;         /* request id, also in the access log */
	int64_t start_us;    /* monotonic */
	char peer[48];       /* the client's address ("127.0.0.1"), "" for sub-requests */
	/* the authenticated caller (auth/auth.h), NULL before authentication and on public
	 * routes; sub-requests share their Bundle's */
	const struct yl_principal *who;
	const struct yl_scope *scope; /* what who may see (auth/policy.h), once asked */
	/* what the audit event of this request names, set by handlers that know it: the
	 * resident whose record was read or changed (Patient id), the resource, and whether
	 * the handler recorded its own audit event with a write (then none is added) */
	const char *audit_patient;
	const char *audit_what;
	bool audited;
	const char *method;  /* "GET", ... (HEAD is routed as GET) */
	const char *raw_url; /* as received */
	struct yl_url url;
	const char *vars[YL_MAX_ROUTE_VARS]; /* route variables in pattern order */
	const char *body;
	size_t body_len;
	bool body_too_large;
	/* sub-requests (a Bundle's entries, fhir/bundle.c): conn is NULL, the request headers
	 * are these, and a create takes new_id (assigned before the Bundle is processed, so
	 * that other entries can refer to it) instead of drawing one */
	const struct yl_header *in_headers;
	size_t nin_headers;
	const char *new_id;

	/* response */
	int status;
	const char *resp_body;
	size_t resp_len;
	const char *content_type;
	struct yl_header headers[YL_MAX_RESP_HEADERS];
	size_t nheaders;
	int64_t last_modified; /* the answered version's meta.lastUpdated (us), 0 = none */
	bool resp_file;        /* the body is resp_fd_len bytes of resp_fd (the server closes it) */
	int resp_fd;
	uint64_t resp_fd_len;
};

/* Request header value or NULL (case-insensitive name); from in_headers when conn is NULL. */
const char *yl_req_header(struct yl_req *r, const char *name);
/* Add a response header; name and value must outlive the request (arena or static). */
void yl_req_set_header(struct yl_req *r, const char *name, const char *value);

typedef enum yl_code (*yl_handler_fn)(struct yl_req *r, struct yl_err *err);

#endif
