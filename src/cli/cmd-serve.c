/* cmd-serve.c -- `yilian serve`: open the store, start the HTTP server, and on SIGTERM or
 * SIGINT stop accepting, finish in-flight requests, close the store and exit 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/users.h"
#include "care/population.h"
#include "care/rulepack.h"
#include "care/seed.h"
#include "cli/cli.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "fhir/bulk.h"
#include "fhir/extract.h"
#include "fhir/rest.h"
#include "fhir/ucum.h"
#include "http/server.h"
#include "store/store.h"

#define DRAIN_TIMEOUT_MS 30000

struct serve_opts {
	const char *db;
	const char *exports; /* bulk export files; NULL: beside the SQLite file, or in TMPDIR */
	char host[64];
	int port;
	int threads;
	const char *access_log;
	const char *data;
	int cache_mb; /* 0 = the store's default */
	bool prewarm;
	bool seed_data;
	const char *packs[8]; /* --rule-pack ID */
	size_t npacks;
	bool no_risk;                   /* --risk-tiers off */
	const char *tls_cert, *tls_key; /* PEM files */
	const char *cors[8];            /* --cors-origin ORIGIN */
	const char *proxies[8];         /* --trusted-proxy ADDR */
	size_t nproxies;
	size_t ncors;
};

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_listen(const char *s, struct serve_opts *o)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof o->host)
		return -1;
	memcpy(o->host, s, (size_t)(colon - s));
	o->host[colon - s] = '\0';
	return parse_int(colon + 1, 0, 65535, &o->port);
}

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool threads_given = false;
	*o = (struct serve_opts){.db = "./yilian.db",
	                         .host = "127.0.0.1",
	                         .port = 8080,
	                         .threads = cpus > 0 ? (int)cpus : 2,
	                         .access_log = "-",
	                         .data = YL_DATA_DIR};
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = yl_cli_opt(argc, argv, &i, "--db"))) {
			o->db = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--exports"))) {
			o->exports = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--listen"))) {
			if (parse_listen(v, o))
				return yl_cli_usage_error("serve", "--listen '%s' is not ADDR:PORT",
				                          v);
		} else if ((v = yl_cli_opt(argc, argv, &i, "--threads"))) {
			if (parse_int(v, 1, 256, &o->threads))
				return yl_cli_usage_error("serve", "--threads '%s' is not 1..256",
				                          v);
			threads_given = true;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--access-log"))) {
			o->access_log = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--data"))) {
			o->data = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--cache-mb"))) {
			if (parse_int(v, 1, 1 << 20, &o->cache_mb))
				return yl_cli_usage_error("serve",
				                          "--cache-mb '%s' is not 1..1048576", v);
		} else if (strcmp(argv[i], "--prewarm") == 0) {
			o->prewarm = true;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--rule-pack"))) {
			if (o->npacks == sizeof o->packs / sizeof o->packs[0])
				return yl_cli_usage_error(
				    "serve", "--rule-pack given more than %zu times", o->npacks);
			o->packs[o->npacks++] = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--risk-tiers"))) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				return yl_cli_usage_error("serve", "--risk-tiers takes on or off");
			o->no_risk = !strcmp(v, "off");
		} else if ((v = yl_cli_opt(argc, argv, &i, "--tls-cert"))) {
			o->tls_cert = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--tls-key"))) {
			o->tls_key = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--cors-origin"))) {
			if (o->ncors == sizeof o->cors / sizeof o->cors[0])
				return yl_cli_usage_error(
				    "serve", "--cors-origin given more than %zu times", o->ncors);
			if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
				return yl_cli_usage_error("serve",
				                          "--cors-origin '%s' is not an origin "
				                          "(https://host[:port])",
				                          v);
			o->cors[o->ncors++] = v;
		} else if ((v = yl_cli_opt(argc, argv, &i, "--trusted-proxy"))) {
			unsigned char bin[16];
			if (o->nproxies == sizeof o->proxies / sizeof o->proxies[0])
				return yl_cli_usage_error(
				    "serve", "--trusted-proxy given more than %zu times",
				    o->nproxies);
			if (inet_pton(AF_INET, v, bin) != 1 && inet_pton(AF_INET6, v, bin) != 1)
				return yl_cli_usage_error(
				    "serve", "--trusted-proxy '%s' is not a numeric IP address", v);
			o->proxies[o->nproxies++] = v;
		} else if (strcmp(argv[i], "--seed-data") == 0) {
			o->seed_data = true;
		} else {
			return yl_cli_usage_error("serve", "unknown option or missing value '%s'",
			                          argv[i]);
		}
	}
	/* On PostgreSQL a request thread waits on the database's round trips, and reads by id
	 * batch better the more wait together: 8 a CPU, 16 to 64 (docs/benchmarks.md). */
	if (!threads_given && yl_store_is_pg(o->db))
		o->threads = cpus * 8 < 16 ? 16 : cpus * 8 > 64 ? 64 : (int)cpus * 8;
	if (!o->tls_cert != !o->tls_key)
		return yl_cli_usage_error("serve", "--tls-cert and --tls-key go together");
	if (o->prewarm && !o->cache_mb)
		return yl_cli_usage_error("serve", "--prewarm needs --cache-mb: the default "
		                                   "cache (64 MB) holds little of a store");
	return 0;
}

static int open_access_log(const char *dest)
{
	if (strcmp(dest, "-") == 0)
		return 2;
	if (strcmp(dest, "off") == 0)
		return -1;
	return open(dest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/* A PEM file's text (arena), at most 1 MB. */
static const char *read_pem(const char *path, struct yl_arena *a, struct yl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		yl_err_add(err, a, YL_IO, NULL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = yl_arena_alloc(a, (1 << 20) + 1);
	size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!buf || n == 0 || n == 1 << 20) {
		yl_err_add(err, a, YL_IO, NULL, "%s is empty or larger than 1 MB", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* On first start (no user at all) an administrator "admin" is created with a random
 * one-time password, printed once in the log, to be changed at first login. */
static enum yl_code first_admin(struct yl_store *store, struct yl_arena *a, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(store, a, err);
	bool none = false;
	if (!c || yl_store_user_none(c, a, &none, err) != YL_OK)
		return err->code;
	if (!none)
		return YL_OK;
	struct yl_user_change ch = {
	    .act = YL_USER_ADD, .username = "admin", .roles = YL_ROLE_ADMIN};
	struct yl_user_result res;
	enum yl_code code = yl_users_change(c, a, &ch, &yl_auth_operator, "localhost", &res, err);
	if (code == YL_OK)
		yl_log(YL_LOG_WARN,
		       "yilian: no users yet: created the administrator 'admin' with the one-time "
		       "password %s (shown only now; log in and change it, or set one with "
		       "`yilian user reset-password --username admin --password-stdin`)",
		       res.one_time);
	yl_auth_wipe(res.one_time, sizeof res.one_time);
	return code;
}

/* The audit trail's last event and hash, logged when it moved since *last: an operator (or
 * the log's shipper) keeps these lines elsewhere, and `yilian audit verify --expect-head H`
 * proves later that the trail still holds event H, unchanged and not cut off before it. */
#define AUDIT_ANCHOR_US (600 * (int64_t)1000000)
#define SERVE_CACHE_MB  64 /* each connection's page cache unless --cache-mb says */

static int head_of(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev)
{
	(void)ev;
	struct {
		int64_t seq;
		char hash[YL_CHAIN_HEX_LEN + 1];
	} *h = ctx;
	h->seq = seq;
	snprintf(h->hash, sizeof h->hash, "%s", hash);
	return 1;
}

static void log_audit_head(struct yl_store *store, int64_t *last)
{
	struct yl_arena *a = yl_arena_create(1 << 14);
	struct yl_err err;
	yl_err_init(&err);
	struct {
		int64_t seq;
		char hash[YL_CHAIN_HEX_LEN + 1];
	} h = {0, ""};
	struct yl_store_conn *c = a ? yl_store_conn(store, a, &err) : NULL;
	if (c && yl_store_audit_scan(c, a, NULL, 0, true, 1, head_of, &h, &err) == YL_OK &&
	    h.seq > 0 && h.seq != *last) {
		yl_log(YL_LOG_INFO,
		       "audit trail head: event %lld, hash %s (keep it elsewhere; `yilian audit "
		       "verify --expect-head HASH` shows the trail still holds it)",
		       (long long)h.seq, h.hash);
		*last = h.seq;
	}
	yl_arena_destroy(a); /* the main thread keeps its connection */
}

static int serve(const struct serve_opts *o, struct yl_arena *a)
{
	struct yl_err err;
	yl_err_init(&err);
	int rc = 1;
	struct yl_store *store = NULL;
	struct yl_server *srv = NULL;
	struct yl_app app = {.routes = yl_fhir_routes, .nroutes = yl_fhir_route_count};

	const char *shown = yl_store_display(o->db, a);
	if (yl_cli_load_data(o->data, a, &err) != YL_OK ||
	    (o->npacks && yl_packs_load(o->data, o->packs, o->npacks, a, &err) != YL_OK) ||
	    yl_store_open(o->db, &store, a, &err) != YL_OK)
		goto out;
	for (size_t i = 0; i < yl_programme_count(); i++)
		yl_log(YL_LOG_INFO, "yilian: %s programme follows rule pack %s (%s)",
		       yl_programme_at(i)->name, yl_pack_id(yl_programme_at(i)->pack),
		       yl_pack_edition(yl_programme_at(i)->pack));
	app.store = store;
	if (first_admin(store, a, &err) != YL_OK ||
	    !(app.audit = yl_audit_queue_start(store, a, &err)))
		goto out;
	/* every connection reads through its own page cache, not a map of the file: the audit
	 * trail writes every few milliseconds, and SQLite drops a connection's whole map at each
	 * read transaction after a write (then faults it in again): on a 1,000,000-Patient
	 * store that was half of a read's CPU (docs/benchmarks.md) */
	int cache_mb = o->cache_mb ? o->cache_mb : SERVE_CACHE_MB;
	yl_store_set_cache(store, cache_mb);
	if (yl_store_set_writer_cache(store, cache_mb, a, &err) != YL_OK)
		goto out;
	if (o->prewarm) {
		yl_log(YL_LOG_INFO, "yilian: reading %s into %d connection caches of %d MB", shown,
		       o->threads, cache_mb);
		if (yl_store_prewarm(store, o->threads, a, &err) != YL_OK)
			goto out;
	}
	if (yl_fhir_index_check(store, a, &app.index_stale, &err) != YL_OK)
		goto out;
	if (app.index_stale)
		yl_log(YL_LOG_WARN,
		       "yilian: the search indexes in %s were built by another search-parameter "
		       "table or extractor (this build: %s); searches may miss resources until "
		       "`yilian reindex --db %s` runs with the server stopped",
		       shown, yl_fhir_index_fingerprint(), shown);
	int seeded = 0;
	if (o->seed_data && yl_care_seed(store, o->data, &seeded, a, &err) != YL_OK)
		goto out;
	if (seeded)
		yl_log(YL_LOG_INFO,
		       "yilian: added %d shipped resources (service packages, code "
		       "systems, value sets) to %s",
		       seeded, shown);
	app.web_dir = yl_arena_printf(a, "%s/web", o->data);
	if (!(app.pop = yl_pop_start(&app, !o->no_risk, a, &err)))
		goto out;
	/* export files: beside a SQLite file; for PostgreSQL, where no file is, in a directory
	 * of this node's own (yl_bulk_start empties it: nodes must not share one) */
	const char *exports = o->exports;
	if (!exports && yl_store_is_pg(o->db))
		exports =
		    yl_arena_printf(a, "%s/yilian-exports.%d",
		                    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	else if (!exports)
		exports = yl_arena_printf(a, "%s.exports", o->db);
	app.bulk = yl_bulk_start(store, exports, a, &err);
	if (!app.bulk)
		goto out;
	if (yl_fhir_capability_build(&app, a) != 0) {
		yl_err_add(&err, a, YL_NOMEM, NULL,
		           "out of memory building the capability statement");
		goto out;
	}
	struct yl_server_opts so = {.host = o->host,
	                            .port = o->port,
	                            .threads = o->threads,
	                            .app = &app,
	                            .dispatch = yl_fhir_dispatch,
	                            .render_error = yl_fhir_render_error,
	                            .cors = o->cors,
	                            .ncors = o->ncors,
	                            .proxies = o->proxies,
	                            .nproxies = o->nproxies};
	if (o->tls_cert && (!(so.tls_cert = read_pem(o->tls_cert, a, &err)) ||
	                    !(so.tls_key = read_pem(o->tls_key, a, &err))))
		goto out;
	srv = yl_server_start(&so, a, &err);
	if (!srv)
		goto out;
	yl_log(YL_LOG_INFO, "yilian: listening on %s://%s:%d/fhir (db %s, %d threads)",
	       o->tls_cert ? "https" : "http", o->host, yl_server_port(srv), shown, o->threads);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	int sig = -1;
	int64_t head = -1, anchored = yl_monotonic_us();
	log_audit_head(store, &head);
	while (sig < 0) { /* the trail's head goes to the log now and then, to be kept elsewhere */
		struct timespec wait = {.tv_sec = 60};
		sig = sigtimedwait(&set, NULL, &wait);
		if (sig < 0 && yl_monotonic_us() - anchored >= AUDIT_ANCHOR_US) {
			log_audit_head(store, &head);
			anchored = yl_monotonic_us();
		}
	}
	yl_log(YL_LOG_INFO, "yilian: %s received, finishing in-flight requests",
	       sig == SIGINT ? "SIGINT" : "SIGTERM");
	yl_server_quiesce(srv);
	int left = yl_server_drain(srv, DRAIN_TIMEOUT_MS);
	if (left)
		yl_log(YL_LOG_WARN, "yilian: %d requests still running after %d ms; stopping", left,
		       DRAIN_TIMEOUT_MS);
	rc = 0;
out:
	yl_server_stop(srv);
	yl_audit_queue_stop(
	    app.audit); /* the last reads are on the trail before the store closes */
	if (store)
		log_audit_head(store, &head);
	yl_policy_cache_clear();
	yl_pop_stop(app.pop);
	yl_bulk_stop(app.bulk);
	yl_store_close(store);
	yl_ucum_unload();
	yl_packs_unload();
	if (err.code != YL_OK)
		for (const struct yl_issue *is = err.first; is; is = is->next)
			yl_log(YL_LOG_ERROR, "yilian serve: %s", is->message);
	else
		yl_log(YL_LOG_INFO, "yilian: stopped cleanly");
	return rc;
}

int yl_cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	int afd = open_access_log(o.access_log);
	if (afd < 0 && strcmp(o.access_log, "off") != 0) {
		fprintf(stderr, "yilian serve: cannot open access log '%s': %s\n", o.access_log,
		        strerror(errno));
		return 1;
	}
	yl_log_init(2, afd, YL_LOG_INFO);
	if (yl_id_init() != 0) {
		fprintf(stderr, "yilian serve: libsodium failed to initialise\n");
		return 1;
	}
	/* Block the stop signals in every thread; the main thread takes them with sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct yl_arena *a = yl_arena_create(1 << 16);
	if (!a)
		return 1;
	rc = serve(&o, a);
	yl_arena_destroy(a);
	yl_log_shutdown();
	if (afd > 2)
		close(afd);
	return rc;
}
