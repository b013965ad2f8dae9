/* server.c -- libmicrohttpd glue: request lifecycle, body buffering, access log. */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/time.h"
#include "fhir/limits.h"

/* libmicrohttpd's per-connection pool (request line, headers, read buffer); it is cleared
 * for every request, so smaller is cheaper, but it must hold a YL_MAX_URL_BYTES target. */
#define CONNECTION_MEMORY (20 * 1024)
#define DISCARD_FACTOR    4 /* discard bodies up to 4x the limit before answering 413 */

struct yl_server {
	struct MHD_Daemon *d;
	struct yl_server_opts opts;
	atomic_int inflight;
	atomic_uint_fast64_t next_id;
	int port;
};

enum phase { PH_HEADERS, PH_BODY };

struct conn_req {
	struct yl_req r;
	struct yl_server *srv;
	enum phase phase;
	struct yl_buf body;
	size_t received; /* body bytes seen, kept or discarded */
};

const char *yl_req_header(struct yl_req *r, const char *name)
{
	if (!r->conn) {
		for (size_t i = 0; i < r->nin_headers; i++)
			if (strcasecmp(r->in_headers[i].name, name) == 0)
				return r->in_headers[i].value;
		return NULL;
	}
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void yl_req_set_header(struct yl_req *r, const char *name, const char *value)
{
	if (r->nheaders < YL_MAX_RESP_HEADERS)
		r->headers[r->nheaders++] = (struct yl_header){name, value};
}

static void peer_address(struct MHD_Connection *conn, char *out, size_t cap)
{
	snprintf(out, cap, "-");
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
		          (socklen_t)cap);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)cap);
}

/* Behind a trusted reverse proxy the client is the address the proxy appended last to
 * X-Forwarded-For (what comes before it the client could have sent itself). */
static void forwarded_for(struct conn_req *cr)
{
	const struct yl_server_opts *o = &cr->srv->opts;
	size_t i = 0;
	while (i < o->nproxies && strcmp(o->proxies[i], cr->r.peer) != 0)
		i++;
	if (i == o->nproxies)
		return;
	const char *xff =
	    MHD_lookup_connection_value(cr->r.conn, MHD_HEADER_KIND, "X-Forwarded-For");
	if (!xff)
		return;
	char addr[sizeof cr->r.peer];
	if (yl_forwarded_client(xff, addr, sizeof addr))
		memcpy(cr->r.peer, addr, sizeof addr);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct yl_server *s = cls;
	struct yl_arena *a = yl_arena_create(16384);
	if (!a)
		return NULL;
	struct conn_req *cr = yl_arena_calloc(a, 1, sizeof(*cr));
	if (!cr) {
		yl_arena_destroy(a);
		return NULL;
	}
	cr->srv = s;
	cr->r.a = a;
	cr->r.app = s->opts.app;
	cr->r.conn = conn;
	cr->r.id = atomic_fetch_add(&s->next_id, 1) + 1;
	cr->r.start_us = yl_monotonic_us();
	peer_address(conn, cr->r.peer, sizeof cr->r.peer);
	cr->r.raw_url = yl_arena_strdup(a, uri ? uri : "/");
	if (!cr->r.raw_url) {
		yl_arena_destroy(a);
		return NULL; /* out of memory: libmicrohttpd closes the connection */
	}
	atomic_fetch_add(&s->inflight, 1);
	return cr;
}

/* Append up to max bytes of s to line, control and non-ASCII bytes as '?', so a request
 * cannot forge log lines or smuggle text through percent-encoding. */
static size_t put_clean(char *line, size_t n, size_t cap, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		line[n++] = c < 0x21 || c > 0x7e ? '?' : (char)c;
	}
	line[n] = '\0';
	return n;
}

static void access_line(struct conn_req *cr)
{
	struct yl_req *r = &cr->r;
	char line[1024];
	int64_t us = yl_monotonic_us() - r->start_us;
	char ts[YL_INSTANT_LEN];
	yl_format_instant(yl_now_us(), ts);
	int w = snprintf(line, sizeof line, "%s access rid=%llx %s ", ts, (unsigned long long)r->id,
	                 r->method ? r->method : "-");
	size_t n = w > 0 ? (size_t)w : 0;
	/* path without the query; then parameter names only, never their values */
	const char *raw = r->raw_url ? r->raw_url : "";
	n = put_clean(line, n, sizeof line, raw, strcspn(raw, "?"));
	if (n > 400)
		n = 400;
	for (size_t i = 0; i < r->url.nparams && n < 700; i++) {
		line[n++] = i ? '&' : '?';
		n = put_clean(line, n, sizeof line, r->url.params[i].name, 40);
	}
	w = snprintf(line + n, sizeof line - n, " status=%d bytes=%zu us=%lld", r->status,
	             r->resp_len, (long long)us);
	n += w > 0 ? (size_t)w : 0;
	if (n > sizeof line - 1)
		n = sizeof line - 1;
	yl_log_access(line, (int)n);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	(void)toe;
	struct yl_server *s = cls;
	struct conn_req *cr = *con_cls;
	if (!cr)
		return;
	access_line(cr);
	yl_arena_destroy(cr->r.a);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* What a browser may do with any answer: run only our own scripts and styles, never frame
 * it, never send a Referer from it, never sniff a type; API answers are not cached (they
 * hold health data). */
static const struct {
	const char *name, *value;
} always[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
     "frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
};

static bool has_header(const struct yl_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	return false;
}

/* The allowed origin a browser request comes from, or NULL (CORS closed to it). */
static const char *cors_origin(struct conn_req *cr)
{
	const char *origin =
	    cr->r.conn ? MHD_lookup_connection_value(cr->r.conn, MHD_HEADER_KIND, "Origin") : NULL;
	for (size_t i = 0; origin && i < cr->srv->opts.ncors; i++)
		if (strcmp(cr->srv->opts.cors[i], origin) == 0)
			return origin;
	return NULL;
}

static void security_headers(struct conn_req *cr, struct MHD_Response *resp)
{
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		MHD_add_response_header(resp, always[i].name, always[i].value);
	if (!has_header(&cr->r, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (cr->srv->opts.tls_cert)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		                        "max-age=31536000; includeSubDomains");
	const char *origin = cors_origin(cr);
	if (origin) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
		                        "ETag, Location, Content-Location, Last-Modified, "
		                        "X-Request-Id, X-Progress, Retry-After");
	}
	if (cr->srv->opts.ncors)
		MHD_add_response_header(resp, "Vary", "Origin");
}

static enum MHD_Result respond(struct conn_req *cr)
{
	struct yl_req *r = &cr->r;
	struct MHD_Response *resp =
	    r->resp_file
	        ? MHD_create_response_from_fd64(r->resp_fd_len, r->resp_fd)
	        : MHD_create_response_from_buffer(r->resp_len,
	                                          (void *)(r->resp_body ? r->resp_body : ""),
	                                          MHD_RESPMEM_PERSISTENT);
	r->resp_file = false; /* the response owns the descriptor now */
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	char rid[24];
	snprintf(rid, sizeof rid, "%llx", (unsigned long long)r->id);
	MHD_add_response_header(resp, "X-Request-Id", rid);
	security_headers(cr, resp);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result fail(struct conn_req *cr, enum yl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result fail(struct conn_req *cr, enum yl_code code, const char *fmt, ...)
{
	struct yl_err err;
	yl_err_init(&err);
	va_list ap;
	va_start(ap, fmt);
	yl_err_vadd(&err, cr->r.a, code, NULL, fmt, ap);
	va_end(ap);
	cr->srv->opts.render_error(&cr->r, &err);
	return respond(cr);
}

/* A CORS preflight: allowed origins learn what they may send; others get 403 and no
 * Access-Control-Allow-Origin (the browser then refuses the call). */
static enum MHD_Result preflight(struct conn_req *cr)
{
	struct yl_req *r = &cr->r;
	if (!cors_origin(cr))
		return fail(
		    cr, YL_FORBIDDEN,
		    "cross-origin calls from this origin are not allowed (serve --cors-origin)");
	r->status = 204;
	yl_req_set_header(r, "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
	yl_req_set_header(r, "Access-Control-Allow-Headers",
	                  "Authorization, Content-Type, Accept, If-Match, If-None-Match, "
	                  "If-None-Exist, If-Modified-Since, Prefer");
	yl_req_set_header(r, "Access-Control-Max-Age", "600");
	return respond(cr);
}

static enum MHD_Result run(struct conn_req *cr)
{
	struct yl_req *r = &cr->r;
	struct yl_err err;
	yl_err_init(&err);
	if (cr->r.body_too_large)
		return fail(cr, YL_TOO_LARGE,
		            "the request body is larger than the limit of %u bytes",
		            YL_MAX_BODY_BYTES);
	if (cr->body.err)
		return fail(cr, YL_NOMEM, "out of memory reading the request body");
	r->body = cr->body.p;
	r->body_len = cr->body.len;
	if (strcmp(r->method, "OPTIONS") == 0 &&
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Access-Control-Request-Method"))
		return preflight(cr);
	enum yl_code code = yl_url_parse(r->a, r->raw_url, strlen(r->raw_url), &r->url, &err);
	if (code == YL_OK)
		code = cr->srv->opts.dispatch(r, &err);
	if (code != YL_OK)
		cr->srv->opts.render_error(r, &err);
	return respond(cr);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)version;
	(void)conn;
	struct conn_req *cr = *con_cls;
	if (!cr)
		return MHD_NO;
	if (cr->phase == PH_HEADERS) {
		cr->phase = PH_BODY;
		cr->r.method = yl_arena_strdup(cr->r.a, method);
		if (!cr->r.method)
			return MHD_NO;
		forwarded_for(cr);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
		/* A body somewhat over the limit is read and discarded so the client gets its
		 * 413; a hugely oversized one is refused at once and the connection closed. */
		if (len > (unsigned long long)YL_MAX_BODY_BYTES * DISCARD_FACTOR)
			return fail(
			    cr, YL_TOO_LARGE,
			    "the request body is %llu bytes, more than the limit of %u bytes", len,
			    YL_MAX_BODY_BYTES);
		cr->r.body_too_large = len > YL_MAX_BODY_BYTES;
		yl_buf_init(&cr->body, cr->r.a, len && !cr->r.body_too_large ? (size_t)len + 1 : 64,
		            YL_MAX_BODY_BYTES);
		return MHD_YES;
	}
	if (*upload_data_size) {
		cr->received += *upload_data_size;
		if (cr->received > (size_t)YL_MAX_BODY_BYTES * DISCARD_FACTOR)
			return MHD_NO; /* far past the limit without a Content-Length: hang up */
		if (!cr->r.body_too_large) {
			yl_buf_add(&cr->body, upload_data, *upload_data_size);
			if (cr->body.err == YL_TOO_LARGE)
				cr->r.body_too_large = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return run(cr);
}

struct yl_server *yl_server_start(const struct yl_server_opts *opts, struct yl_arena *a,
                                  struct yl_err *err)
{
	struct yl_server *s = calloc(1, sizeof(*s));
	if (!s) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory starting the server");
		return NULL;
	}
	s->opts = *opts;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opts->port)};
	if (inet_pton(AF_INET, opts->host, &addr.sin_addr) != 1) {
		yl_err_add(err, a, YL_USAGE, NULL,
		           "listen address '%s' is not a numeric IPv4 address", opts->host);
		free(s);
		return NULL;
	}
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO;
	if (opts->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			yl_err_add(
			    err, a, YL_USAGE, NULL,
			    "this libmicrohttpd was built without TLS; serve behind a reverse "
			    "proxy instead (docs/operations.md)");
			free(s);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts->tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key},
	    {MHD_OPTION_END, 0, NULL},
	};
	s->d = MHD_start_daemon(
	    flags, (uint16_t)opts->port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY,
	    opts->tls_cert ? tls : tls + 2, MHD_OPTION_SOCK_ADDR, &addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts->threads > 0 ? opts->threads : 1),
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)4096, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!s->d) {
		yl_err_add(err, a, YL_IO, NULL,
		           "cannot listen on %s:%d (is the port in use or the address wrong?)",
		           opts->host, opts->port);
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : opts->port;
	return s;
}

int yl_server_port(const struct yl_server *s)
{
	return s->port;
}

void yl_server_quiesce(struct yl_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

int yl_server_drain(struct yl_server *s, int timeout_ms)
{
	int64_t end = yl_monotonic_us() + (int64_t)timeout_ms * 1000;
	while (atomic_load(&s->inflight) > 0 && yl_monotonic_us() < end)
		usleep(10000);
	return atomic_load(&s->inflight);
}

void yl_server_stop(struct yl_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
