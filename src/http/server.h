/* server.h -- the HTTP server: libmicrohttpd with an internal thread pool on epoll.
 *
 * The server owns request lifecycles: it creates each request's arena when the request
 * line arrives, buffers the body (up to YL_MAX_BODY_BYTES, else 413), calls dispatch once
 * the body is complete, sends the response from arena memory, writes one access-log line
 * (request id, method, path, parameter names only, status, bytes, microseconds) and then
 * destroys the arena. Every response carries the security headers (a strict
 * Content-Security-Policy, nosniff, no framing, no referrer, no caching of API answers;
 * HSTS over HTTPS); CORS is closed unless origins are configured. Shutdown: yl_server_quiesce()
 * stops accepting; yl_server_drain() waits for in-flight requests; yl_server_stop() closes
 * everything. Threads: dispatch runs on pool threads, concurrently. */
#ifndef YL_SERVER_H
#define YL_SERVER_H

#include "http/http.h"

struct yl_server;

struct yl_server_opts {
	const char *host; /* numeric IPv4 address, e.g. "127.0.0.1" */
	int port;         /* 0 = any free port (see yl_server_port) */
	int threads;
	struct yl_app *app;
	/* Route and run the request, filling the response in r; return an error code with
	 * err filled to have render_error answer instead. */
	enum yl_code (*dispatch)(struct yl_req *r, struct yl_err *err);
	void (*render_error)(struct yl_req *r, const struct yl_err *err);
	/* HTTPS: PEM texts of the certificate (chain) and key, or NULL for plain HTTP (behind
	 * a reverse proxy that terminates TLS, docs/operations.md). */
	const char *tls_cert, *tls_key;
	/* CORS: the origins allowed to call the API from a browser ("https://a.example"), none
	 * by default (the web pages are served from the same origin and need none). */
	const char *const *cors;
	size_t ncors;
	/* Reverse proxies (numeric addresses) whose X-Forwarded-For names the client: the
	 * address their request came from becomes the one the proxy appended last (audit,
	 * login throttle). None by default: the header is then ignored. */
	const char *const *proxies;
	size_t nproxies;
};

struct yl_server *yl_server_start(const struct yl_server_opts *opts, struct yl_arena *a,
                                  struct yl_err *err);
int yl_server_port(const struct yl_server *s);
void yl_server_quiesce(struct yl_server *s);
/* Wait until no request is in flight or timeout_ms passes; returns requests left. */
int yl_server_drain(struct yl_server *s, int timeout_ms);
void yl_server_stop(struct yl_server *s);

#endif
