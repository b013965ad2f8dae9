/* pg.c -- the PostgreSQL backend of store.h (libpq): one connection per thread, every
 * statement kept prepared on its connection, binary results; writes in transactions that
 * take one cluster-wide advisory lock (YL_PG_LOCK_CHANGES) so that the change log's seq
 * order is its commit order on every node; writes that arrive together on one node share
 * one transaction (group commit, each in its own savepoint); a commit that wrote sends
 * NOTIFY yl_changes, which every node LISTENs for (yl_store_watch) to tail the change log.
 * The schema (src/store/pg-migrations) keeps patient data in hash-partitioned tables and
 * everything else in unpartitioned ones, with a view over each pair for reading; writes
 * go to the table the row's patient says.
 *
 * Where: a libpq URI ("postgresql://user@host/db", "postgresql:///db?host=/run/dir") or
 * key=value string; an extra URI parameter partitions=N (taken out before libpq sees it)
 * sets the number of hash partitions when the store is first made (default 8).
 * A lost server: statements fail with YL_UNAVAILABLE (HTTP 503) and the connection is
 * reset at its next use outside a transaction, so nodes reconnect by themselves. A write
 * is acknowledged only after COMMIT returned. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/time.h"
#include "store/backend.h"
#include "store/body.h"
#include "store/migrations.h"
#include "store/pg-int.h"
#include "store/store.h"

#define LOCK_MIGRATE       0x796c0000
#define STMT_SLOTS         256   /* prepared statements kept per connection */
#define STMT_MAX_TEXT      16384 /* longer texts (long IN lists) are not kept */
#define GROUP_COMMIT_MAX   64
#define READ_BATCH_MAX     64    /* reads by id one statement takes */
#define READ_LANES         2     /* lines of read batches, each with its connection */
#define LEAD_RUNS          4     /* batches a leader sends in a row while reads wait */
#define IDX_MULTI_MAX      64    /* index rows a multi-row INSERT takes */
#define HOLD_MAX           65536 /* index rows a bulk load holds for one COPY */
#define REINDEX_BATCH      2000
#define BUILD_CONNS        2 /* deferred index builds at once */
#define KEEP_SAME_VERSIONS 8
#define NOTIFY_CHANNEL     "yl_changes"

struct stmt_slot {
	uint64_t hash; /* 0: empty */
	char *text;    /* malloc'd copy: a hash collision is told apart */
	uint64_t used;
};

struct held_row {
	int64_t res;
	const char *patient;
	const struct yl_index_row *r;
};

/* A new resource's row (and its change-log row) waiting for the bulk load's COPY; the
 * strings and body are the write's (alive until the flush, as its index rows). */
struct pend_row {
	int64_t rowid, version, last_updated;
	const char *type, *id, *patient, *op;
	const void *body;
	size_t body_len;
	bool deleted;
};

/* The current version of a resource (none: exists false). */
struct head {
	bool exists, deleted;
	int64_t version, last_updated, rowid;
	const char *patient; /* arena copy or NULL */
};

struct expected {
	const char *type, *id; /* NULL: empty slot */
	struct head h;
	bool used;
};

struct pg_store;

struct pg_conn {
	const struct yl_store_ops *ops; /* first: store/backend.h */
	struct pg_conn *next;
	struct pg_store *store;
	PGconn *db;
	bool broken; /* the connection failed: reset at the next use outside a transaction */
	bool reader; /* one of the node's read connections (read_batched): generic plans */
	struct stmt_slot stmts[STMT_SLOTS];
	uint64_t tick;
	/* yl_store_begin() .. commit */
	bool in_tx;
	bool tx_wrote;     /* a change was written: NOTIFY at commit */
	int64_t last_seq;  /* inside a write transaction: the newest seq */
	int64_t begin_seq; /* the newest seq when the transaction began */
	/* a fresh bulk load (yl_store_defer_indexes): hashes of the (type, id) it wrote, so
	 * yl_store_expect asks the database only about those (the rest cannot exist) */
	uint64_t *loaded;
	size_t nloaded, loaded_cap;
	bool hold;
	struct held_row *held;
	size_t nheld, held_cap;
	/* a bulk load (hold on): new resources' rows wait for one COPY (see put_pending) */
	struct pend_row *pend;
	size_t npend, pend_cap;
	uint32_t *pend_slots; /* (type, id) -> pend index + 1, open addressing */
	size_t pend_slot_cap;
	int64_t *rowids; /* rowids taken from the sequence, not yet used */
	size_t nrowids, rowid_at;
	struct yl_pg_copy copy;
	/* yl_store_expect(): heads looked up for a batch; each used once (then stale) */
	struct yl_arena *exp_arena;
	struct expected *exp;
	size_t nexp, exp_cap; /* exp_cap: slots, a power of two */
};

/* A write (or audit events) waiting for the group commit. */
struct job {
	struct job *next;
	struct yl_write *w;
	const struct yl_audit_rec *audit;
	size_t naudit;
	struct yl_arena *a;
	struct yl_err *err;
	enum yl_code code;
	bool done;
};

/* A read by id waiting for a batch (see read_batched). */
struct read_job {
	struct read_job *next;
	const char *type, *id;
	struct yl_row *out;
	struct yl_arena *a;
	struct yl_err *err;
	enum yl_code code;
	bool done;
	sem_t wake; /* posted once: done, or this job's thread is to lead */
};

/* One line of read batches: its queue, its leader (one at a time) and its connection. */
struct read_lane {
	pthread_mutex_t mu;
	struct read_job *reads, **tail;
	bool leading;
	struct pg_conn *reader; /* opened when first needed */
	struct yl_arena *arena; /* a batch's statement, reset after */
};

struct pg_store {
	const struct yl_store_ops *ops; /* first: store/backend.h */
	char *conninfo;
	int partitions;
	pthread_key_t key;
	pthread_mutex_t list_lock;
	struct pg_conn *conns, *spare;
	pthread_mutex_t queue_mu;
	pthread_cond_t queue_cv;
	struct job *queue, **queue_tail;
	bool leading;
	/* reads by id of concurrent requests, one statement a batch */
	struct read_lane lanes[READ_LANES];
	atomic_uint next_lane;
	/* the change-log watcher (LISTEN) */
	pthread_mutex_t watch_mu;
	void (*watch_fn)(void *ctx);
	void *watch_ctx;
	pthread_t watcher;
	bool watching, stopping;
	int schema_version;
	/* a fresh bulk load runs (deferred indexes): the newest seq as its last commit left
	 * it, while no other writer has written since; -1 otherwise */
	_Atomic int64_t fresh_seq;
	/* the search tables' primary keys are among the deferred indexes (this process's load):
	 * a resource written again needs them to find its old rows (keys_now) */
	atomic_bool keys_deferred;
};

static enum yl_code flush_held(struct pg_conn *c, struct yl_arena *a, struct yl_err *err);
static const char *text_array(struct yl_arena *a, const char *const *v, size_t n);
static long pend_find(const struct pg_conn *c, const char *type, const char *id);
static uint64_t key_hash(const char *type, const char *id);

#define S(s)  ((struct pg_store *)(void *)(s))
#define C(c)  ((struct pg_conn *)(void *)(c))
#define YC(c) ((struct yl_store_conn *)(void *)(c))

/* ---- parameters --------------------------------------------------------------------- */

void yl_pg_params_init(struct yl_pg_params *p, struct yl_arena *a)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
}

static bool params_room(struct yl_pg_params *p)
{
	if (p->n < p->cap)
		return true;
	int cap = p->cap ? p->cap * 2 : 16;
	const char **v = yl_arena_alloc(p->a, (size_t)cap * sizeof(*v));
	int *len = yl_arena_alloc(p->a, (size_t)cap * sizeof(*len));
	int *fmt = yl_arena_alloc(p->a, (size_t)cap * sizeof(*fmt));
	if (!v || !len || !fmt) {
		p->nomem = true;
		return false;
	}
	if (p->n) {
		memcpy(v, p->v, (size_t)p->n * sizeof(*v));
		memcpy(len, p->len, (size_t)p->n * sizeof(*len));
		memcpy(fmt, p->fmt, (size_t)p->n * sizeof(*fmt));
	}
	p->v = v, p->len = len, p->fmt = fmt, p->cap = cap;
	return true;
}

static void params_put(struct yl_pg_params *p, const char *v, int len, int fmt)
{
	if (!params_room(p))
		return;
	p->v[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void yl_pg_add_int(struct yl_pg_params *p, int64_t v)
{
	char *s = yl_arena_alloc(p->a, 24);
	if (!s) {
		p->nomem = true;
		return;
	}
	/* decimal, without printf (a write binds dozens) */
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	int o = 0;
	if (v < 0)
		s[o++] = '-';
	while (n)
		s[o++] = tmp[--n];
	s[o] = '\0';
	params_put(p, s, o, 0);
}

void yl_pg_add_real(struct yl_pg_params *p, double v)
{
	const char *s;
	if (v != v)
		s = "NaN";
	else if (v > 1.7976931348623157e308)
		s = "Infinity";
	else if (v < -1.7976931348623157e308)
		s = "-Infinity";
	else
		s = yl_arena_printf(p->a, "%.17g", v);
	if (!s) {
		p->nomem = true;
		return;
	}
	params_put(p, s, (int)strlen(s), 0);
}

void yl_pg_add_text(struct yl_pg_params *p, const char *s)
{
	params_put(p, s, s ? (int)strlen(s) : 0, 0);
}

void yl_pg_add_textn(struct yl_pg_params *p, const char *s, size_t n)
{
	/* text parameters are NUL-terminated for libpq: copy when s[n] is not the end */
	if (s && s[n] != '\0') {
		s = yl_arena_strndup(p->a, s, n);
		if (!s) {
			p->nomem = true;
			return;
		}
	}
	params_put(p, s, (int)n, 0);
}

void yl_pg_add_bytes(struct yl_pg_params *p, const void *b, size_t n)
{
	params_put(p, b, (int)n, 1);
}

/* ---- errors ------------------------------------------------------------------------- */

static bool conn_lost(struct pg_conn *c, const char *state)
{
	return PQstatus(c->db) != CONNECTION_OK ||
	       (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0));
}

/* A failed statement (res may be NULL) as a code and a message; PostgreSQL's text goes to
 * the log. */
static enum yl_code pg_error(struct pg_conn *c, struct yl_arena *a, PGresult *res, const char *what,
                             struct yl_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->db);
	yl_log(YL_LOG_ERROR, "store: %s failed: %s%s%s", what, state ? state : "", state ? " " : "",
	       msg && *msg ? msg : "(no message)");
	if (conn_lost(c, state)) {
		c->broken = true;
		return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
		                  "%s: the database is not reachable (restarting?); nothing was "
		                  "changed by this request unless it says so; retry in a moment",
		                  what);
	}
	if (state && strcmp(state, "23505") == 0)
		return yl_err_add(err, a, YL_CONFLICT, NULL, "%s: it already exists", what);
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	              strncmp(state, "53", 2) == 0 || strcmp(state, "55P03") == 0))
		return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
		                  "%s: the database is busy; retry in a moment", what);
	if (state && strcmp(state, "57014") == 0)
		return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
		                  "%s: took too long and was stopped; narrow it and retry", what);
	return yl_err_add(err, a, YL_STORE, NULL,
	                  "%s failed in the database; it was rolled back (the server log "
	                  "has the cause)",
	                  what);
}

/* ---- connections -------------------------------------------------------------------- */

static void stmts_clear(struct pg_conn *c)
{
	for (int i = 0; i < STMT_SLOTS; i++) {
		free(c->stmts[i].text);
		c->stmts[i] = (struct stmt_slot){0};
	}
}

static void conn_free(struct pg_conn *c)
{
	if (!c)
		return;
	stmts_clear(c);
	if (c->db)
		PQfinish(c->db);
	free(c->held);
	free(c->pend);
	free(c->pend_slots);
	free(c->rowids);
	yl_pg_copy_free(&c->copy);
	yl_arena_destroy(c->exp_arena);
	free(c->loaded);
	free(c);
}

static void notice_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs (IF NOT EXISTS, ...) are not errors */
}

/* A session's settings, at connect and after a reset. No JIT: a search's estimates often
 * pass its cost threshold, and compiling took 1-2 s of a query that runs in milliseconds.
 * Read connections plan generically: a read by id has the same plan for every id, and with
 * partitions PostgreSQL's default (a custom plan each time, since it prunes at plan time)
 * spent more on planning than on the read; the generic plan prunes as it runs. */
static void session_setup(struct pg_conn *c)
{
	PQclear(PQexec(c->db, c->reader ? "SET jit = off; SET plan_cache_mode = force_generic_plan"
	                                : "SET jit = off"));
}

static enum yl_code conn_open(struct pg_store *s, struct pg_conn **out, bool reader,
                              struct yl_arena *a, struct yl_err *err)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory opening the store");
	c->ops = &yl_pg_ops;
	c->store = s;
	c->reader = reader;
	c->db = PQconnectdb(s->conninfo);
	if (!c->db || PQstatus(c->db) != CONNECTION_OK) {
		yl_log(YL_LOG_ERROR, "store: connecting to PostgreSQL failed: %s",
		       c->db ? PQerrorMessage(c->db) : "out of memory");
		conn_free(c);
		return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
		                  "cannot connect to the PostgreSQL database (is it running, and "
		                  "does the --db address name it?); the server log has libpq's "
		                  "reason");
	}
	PQsetNoticeProcessor(c->db, notice_quiet, NULL);
	session_setup(c);
	*out = c;
	return YL_OK;
}

/* A connection that broke is reset (outside a transaction only: inside one, the
 * transaction is lost and the caller rolls back). */
static bool conn_usable(struct pg_conn *c)
{
	if (!c->broken && PQstatus(c->db) == CONNECTION_OK)
		return true;
	if (c->in_tx)
		return false;
	PQreset(c->db);
	if (PQstatus(c->db) != CONNECTION_OK)
		return false;
	stmts_clear(c); /* a new session has no prepared statements, and JIT back on */
	session_setup(c);
	c->broken = false;
	yl_log(YL_LOG_INFO, "store: reconnected to PostgreSQL");
	return true;
}

/* ---- statements --------------------------------------------------------------------- */

static uint64_t text_hash(const char *sql)
{
	uint64_t h = yl_hash_add(0xcbf29ce484222325ULL, sql, strlen(sql));
	return h ? h : 1;
}

/* The name of sql prepared on c, preparing it first; NULL on failure (*res the error). */
static const char *prepared(struct pg_conn *c, const char *sql, char name[24], PGresult **res)
{
	uint64_t h = text_hash(sql);
	snprintf(name, 24, "y%016llx", (unsigned long long)h);
	size_t i0 = (size_t)(h % STMT_SLOTS), victim = i0;
	for (size_t k = 0; k < 8; k++) {
		struct stmt_slot *sl = &c->stmts[(i0 + k) % STMT_SLOTS];
		if (sl->hash == h && strcmp(sl->text, sql) == 0) {
			sl->used = ++c->tick;
			return name;
		}
		if (!sl->hash || sl->used < c->stmts[victim].used)
			victim = (i0 + k) % STMT_SLOTS;
	}
	struct stmt_slot *sl = &c->stmts[victim];
	if (sl->hash) { /* evicted: deallocate its statement */
		char old[24];
		snprintf(old, sizeof old, "y%016llx", (unsigned long long)sl->hash);
		char dealloc[48];
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", old);
		PQclear(PQexec(c->db, dealloc));
		free(sl->text);
		*sl = (struct stmt_slot){0};
	}
	PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		*res = r;
		return NULL;
	}
	PQclear(r);
	if ((sl->text = strdup(sql))) {
		sl->hash = h;
		sl->used = ++c->tick;
	} else { /* cannot remember it: drop it again */
		char dealloc[48];
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
		PQclear(PQexec(c->db, dealloc));
	}
	return name;
}

static PGresult *run(struct pg_conn *c, struct yl_arena *a, const char *sql,
                     const struct yl_pg_params *p, bool keep, const char *what, struct yl_err *err)
{
	if (p && p->nomem) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory: %s", what);
		return NULL;
	}
	for (int attempt = 0;; attempt++) {
		if (!conn_usable(c)) {
			pg_error(c, a, NULL, what, err);
			return NULL;
		}
		PGresult *r = NULL;
		const int n = p ? p->n : 0;
		if (keep && strlen(sql) <= STMT_MAX_TEXT) {
			char name[24];
			if (prepared(c, sql, name, &r))
				r = PQexecPrepared(c->db, name, n, p ? p->v : NULL,
				                   p ? p->len : NULL, p ? p->fmt : NULL, 1);
		} else if (n || keep) {
			r = PQexecParams(c->db, sql, n, NULL, p ? p->v : NULL, p ? p->len : NULL,
			                 p ? p->fmt : NULL, 1);
		} else {
			r = PQexec(c->db, sql); /* several statements: text results */
		}
		ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return r;
		/* a read outside a transaction on a connection that had broken unnoticed (the
		 * server restarted while it was idle) is tried once more on a new one */
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		if (attempt == 0 && !c->in_tx && conn_lost(c, state) &&
		    strncmp(sql, "SELECT", 6) == 0) {
			PQclear(r);
			c->broken = true;
			continue;
		}
		pg_error(c, a, r, what, err);
		PQclear(r);
		return NULL;
	}
}

PGresult *yl_pg_exec(struct yl_store_conn *c, struct yl_arena *a, const char *sql,
                     const struct yl_pg_params *p, const char *what, struct yl_err *err)
{
	return run(C(c), a, sql, p, true, what, err);
}

PGresult *yl_pg_exec_once(struct yl_store_conn *c, struct yl_arena *a, const char *sql,
                          const struct yl_pg_params *p, const char *what, struct yl_err *err)
{
	return run(C(c), a, sql, p, false, what, err);
}

enum yl_code yl_pg_copy_in(struct yl_store_conn *yc, struct yl_arena *a, const char *copy_sql,
                           struct yl_pg_copy *b, struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	if (!conn_usable(c)) {
		yl_pg_copy_reset(b);
		return pg_error(c, a, NULL, "audit", err);
	}
	enum yl_code code = yl_pg_copy_send(c->db, a, copy_sql, b, err);
	if (code == YL_UNAVAILABLE)
		c->broken = true;
	return code;
}

/* A statement whose result is not needed: YL_OK or the error. */
static enum yl_code run_ok(struct pg_conn *c, struct yl_arena *a, const char *sql,
                           const struct yl_pg_params *p, const char *what, struct yl_err *err)
{
	PGresult *r = run(c, a, sql, p, true, what, err);
	if (!r)
		return err->code ? err->code : YL_STORE;
	PQclear(r);
	return YL_OK;
}

/* ---- binary result columns ---------------------------------------------------------- */

#define OID_BOOL   16
#define OID_BYTEA  17
#define OID_INT8   20
#define OID_INT2   21
#define OID_INT4   23
#define OID_FLOAT4 700
#define OID_FLOAT8 701

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

bool yl_pg_col_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

int64_t yl_pg_col_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	if (PQfformat(r, col) == 0) /* a text result (several statements in one text) */
		return p[0] == 't' ? 1 : strtoll((const char *)p, NULL, 10);
	switch (PQftype(r, col)) {
	case OID_BOOL:
		return p[0] != 0;
	case OID_INT2:
		return (int16_t)be(p, 2);
	case OID_INT4:
		return (int32_t)be(p, 4);
	case OID_INT8:
		return (int64_t)be(p, 8);
	case OID_FLOAT8:
	case OID_FLOAT4:
		return (int64_t)yl_pg_col_real(r, row, col);
	default: /* text (a literal in a SELECT list) */
		return strtoll((const char *)p, NULL, 10);
	}
}

double yl_pg_col_real(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	if (PQfformat(r, col) == 0)
		return strtod((const char *)p, NULL);
	Oid t = PQftype(r, col);
	if (t == OID_FLOAT8) {
		uint64_t u = be(p, 8);
		double d;
		memcpy(&d, &u, sizeof d);
		return d;
	}
	if (t == OID_FLOAT4) {
		uint32_t u = (uint32_t)be(p, 4);
		float f;
		memcpy(&f, &u, sizeof f);
		return f;
	}
	return (double)yl_pg_col_int(r, row, col);
}

const char *yl_pg_col_text(struct yl_arena *a, const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	size_t n = (size_t)PQgetlength(r, row, col);
	if (len)
		*len = n;
	return yl_arena_strndup(a, PQgetvalue(r, row, col), n);
}

const char *yl_pg_col_body(struct yl_arena *a, const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	const char *v = PQgetvalue(r, row, col);
	size_t n = (size_t)PQgetlength(r, row, col);
	if (n && (v[0] == YL_BODY_ZSTD_D1 || v[0] == YL_BODY_DEFLATE_D1))
		return yl_body_unpack(a, v, n, len);
	*len = n; /* kept as text (packing ran out of memory) */
	return yl_arena_strndup(a, v, n);
}

/* ---- migrations --------------------------------------------------------------------- */

static enum yl_code migrate(struct pg_store *s, struct pg_conn *c, struct yl_arena *a,
                            struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, LOCK_MIGRATE);
	/* nodes starting together: one migrates, the others wait and find it done */
	enum yl_code code =
	    run_ok(c, a, "SELECT pg_advisory_lock($1::bigint)", &p, "migration", err);
	if (code != YL_OK)
		return code;
	code = run_ok(c, a,
	              "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
	              "name text NOT NULL, applied_at bigint NOT NULL)",
	              NULL, "migration bookkeeping", err);
	for (size_t i = 0; code == YL_OK && i < yl_pg_migrations_count; i++) {
		const struct yl_migration *m = &yl_pg_migrations[i];
		yl_pg_params_init(&p, a);
		yl_pg_add_int(&p, m->version);
		PGresult *r = run(c, a, "SELECT 1 FROM schema_migrations WHERE version = $1::int",
		                  &p, true, "migration", err);
		if (!r) {
			code = err->code;
			break;
		}
		bool done = PQntuples(r) > 0;
		PQclear(r);
		if (done) {
			s->schema_version = m->version;
			continue;
		}
		char set[96];
		snprintf(set, sizeof set, "BEGIN; SET LOCAL yilian.partitions = '%d';",
		         s->partitions);
		PGresult *sr = run(c, a, set, NULL, false, "migration", err);
		if (!sr) {
			code = err->code;
			break;
		}
		PQclear(sr);
		/* the migration's text, several statements, through the simple protocol */
		PGresult *mr = PQexec(c->db, m->sql);
		if (!mr || (PQresultStatus(mr) != PGRES_COMMAND_OK &&
		            PQresultStatus(mr) != PGRES_TUPLES_OK)) {
			code = pg_error(c, a, mr, "migration", err);
			PQclear(mr);
			PQclear(PQexec(c->db, "ROLLBACK"));
			break;
		}
		PQclear(mr);
		yl_pg_params_init(&p, a);
		yl_pg_add_int(&p, m->version);
		yl_pg_add_text(&p, m->name);
		yl_pg_add_int(&p, yl_now_us());
		code =
		    run_ok(c, a, "INSERT INTO schema_migrations VALUES ($1::int, $2, $3::bigint)",
		           &p, "migration", err);
		if (code == YL_OK)
			code = run_ok(c, a, "COMMIT", NULL, "migration", err);
		if (code != YL_OK) {
			PQclear(PQexec(c->db, "ROLLBACK"));
			break;
		}
		s->schema_version = m->version;
		yl_log(YL_LOG_INFO, "store: applied migration %04d %s (PostgreSQL)", m->version,
		       m->name);
	}
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, LOCK_MIGRATE);
	PGresult *r = run(c, a, "SELECT pg_advisory_unlock($1::bigint)", &p, true, "migration",
	                  code == YL_OK ? err : &(struct yl_err){0});
	PQclear(r);
	return code;
}

/* ---- open and close ----------------------------------------------------------------- */

/* where without the partitions=N parameter (ours, not libpq's); *partitions its value */
char *yl_pg_conninfo(const char *where, int *partitions)
{
	char *s = strdup(where);
	if (!s)
		return NULL;
	*partitions = 8;
	char *q = strchr(s, '?');
	if (!q || strncmp(s, "postgres", 8) != 0)
		return s;
	char *p = q + 1;
	char *out = q + 1;
	while (*p) {
		char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, "partitions=", 11) == 0) {
			char *stop;
			long v = strtol(p + 11, &stop, 10);
			/* not a number, or out of range: refused by pg_open (1 to 1024) */
			*partitions =
			    stop == p + 11 || stop != p + n || v < 1 || v > 1024 ? 0 : (int)v;
		} else {
			if (out != q + 1)
				*out++ = '&';
			memmove(out, p, n);
			out += n;
		}
		p += n + (end ? 1 : 0);
	}
	*out = '\0';
	if (out == q + 1)
		*q = '\0';
	return s;
}

static void pg_close(struct yl_store *ys);
static enum yl_code pg_build_deferred(struct yl_store *ys, yl_build_progress_fn progress, void *ctx,
                                      int *n, struct yl_arena *a, struct yl_err *err);

static enum yl_code pg_open(const char *where, struct yl_store **out, bool *unfinished,
                            struct yl_arena *a, struct yl_err *err)
{
	if (unfinished)
		*unfinished = false;
	struct pg_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->conninfo = yl_pg_conninfo(where, &s->partitions))) {
		free(s);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory opening the store");
	}
	s->ops = &yl_pg_ops;
	atomic_store(&s->fresh_seq, -1);
	pthread_mutex_init(&s->list_lock, NULL);
	pthread_mutex_init(&s->queue_mu, NULL);
	pthread_cond_init(&s->queue_cv, NULL);
	for (int i = 0; i < READ_LANES; i++) {
		pthread_mutex_init(&s->lanes[i].mu, NULL);
		s->lanes[i].tail = &s->lanes[i].reads;
	}
	pthread_mutex_init(&s->watch_mu, NULL);
	s->queue_tail = &s->queue;
	pthread_key_create(&s->key, NULL);
	if (s->partitions < 1 || s->partitions > 1024) {
		pg_close((struct yl_store *)s);
		return yl_err_add(
		    err, a, YL_USAGE, NULL,
		    "partitions= in the --db address must be a number from 1 to 1024");
	}
	struct pg_conn *c;
	enum yl_code code = conn_open(s, &c, false, a, err);
	if (code == YL_OK) {
		code = migrate(s, c, a, err);
		c->next = s->spare; /* the first thread to ask takes it */
		s->spare = c;
	}
	if (code == YL_OK) { /* a bulk load stopped before it built its indexes */
		struct yl_pg_params p;
		yl_pg_params_init(&p, a);
		PGresult *r =
		    run(c, a, "SELECT count(*) FROM store_meta WHERE key LIKE 'deferred:%'", NULL,
		        true, "open", err);
		bool stopped = r && yl_pg_col_int(r, 0, 0) > 0;
		code = r ? YL_OK : err->code;
		PQclear(r);
		if (stopped && unfinished) {
			*unfinished = true;
		} else if (stopped) {
			yl_log(YL_LOG_WARN,
			       "store: a bulk load was interrupted; building its search "
			       "indexes (minutes on a large store)");
			int n;
			code = pg_build_deferred((struct yl_store *)s, NULL, NULL, &n, a, err);
		}
	}
	if (code != YL_OK) {
		pg_close((struct yl_store *)s);
		return code;
	}
	*out = (struct yl_store *)s;
	return YL_OK;
}

static void watch_stop(struct pg_store *s);

static void pg_close(struct yl_store *ys)
{
	struct pg_store *s = S(ys);
	if (!s)
		return;
	watch_stop(s);
	for (int i = 0; i < READ_LANES; i++) {
		conn_free(s->lanes[i].reader);
		yl_arena_destroy(s->lanes[i].arena);
		pthread_mutex_destroy(&s->lanes[i].mu);
	}
	for (int list = 0; list < 2; list++) {
		struct pg_conn *c = list ? s->spare : s->conns;
		while (c) {
			struct pg_conn *next = c->next;
			conn_free(c);
			c = next;
		}
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->list_lock);
	pthread_mutex_destroy(&s->queue_mu);
	pthread_cond_destroy(&s->queue_cv);
	pthread_mutex_destroy(&s->watch_mu);
	free(s->conninfo);
	free(s);
}

static struct yl_store_conn *pg_conn(struct yl_store *ys, struct yl_arena *a, struct yl_err *err)
{
	struct pg_store *s = S(ys);
	struct pg_conn *c = pthread_getspecific(s->key);
	if (c)
		return YC(c);
	pthread_mutex_lock(&s->list_lock);
	if ((c = s->spare))
		s->spare = c->next;
	pthread_mutex_unlock(&s->list_lock);
	if (!c && conn_open(s, &c, false, a, err) != YL_OK)
		return NULL;
	pthread_mutex_lock(&s->list_lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->list_lock);
	pthread_setspecific(s->key, c);
	return YC(c);
}

static void pg_conn_release(struct yl_store *ys)
{
	struct pg_store *s = S(ys);
	struct pg_conn *c = pthread_getspecific(s->key);
	if (!c)
		return;
	pthread_setspecific(s->key, NULL);
	pthread_mutex_lock(&s->list_lock);
	for (struct pg_conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->next = s->spare;
	s->spare = c;
	pthread_mutex_unlock(&s->list_lock);
}

static void pg_set_cache(struct yl_store *s, int cache_mb)
{
	(void)s, (void)cache_mb; /* PostgreSQL's shared_buffers is the cache */
}

static enum yl_code pg_set_writer_cache(struct yl_store *s, int cache_mb, struct yl_arena *a,
                                        struct yl_err *err)
{
	(void)s, (void)cache_mb, (void)a, (void)err;
	return YL_OK;
}

static enum yl_code pg_prewarm(struct yl_store *ys, int n, struct yl_arena *a, struct yl_err *err)
{
	(void)ys, (void)n, (void)a, (void)err; /* the database server keeps its own cache warm */
	return YL_OK;
}

static int pg_schema_version(struct yl_store_conn *c)
{
	return C(c)->store->schema_version;
}

/* ---- reads -------------------------------------------------------------------------- */

/* Row i of a read's result, from column col on (version, last_updated, deleted, body,
 * patient), into out with its strings in a. */
static enum yl_code fill_row(struct yl_arena *a, const PGresult *r, int i, int col,
                             const char *type, const char *id, struct yl_row *out,
                             struct yl_err *err)
{
	out->type = type;
	out->id = id;
	out->version = yl_pg_col_int(r, i, col);
	out->last_updated = yl_pg_col_int(r, i, col + 1);
	out->deleted = yl_pg_col_int(r, i, col + 2) != 0;
	out->body = yl_pg_col_body(a, r, i, col + 3, &out->body_len);
	out->patient = yl_pg_col_text(a, r, i, col + 4, NULL);
	out->seq = 0;
	out->keys = NULL;
	if (!out->deleted && !out->body)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reading a resource");
	return YL_OK;
}

/* One read on c's own connection: a version, or the current row. */
static enum yl_code read_one(struct pg_conn *c, struct yl_arena *a, const char *type,
                             const char *id, int64_t version, struct yl_row *out,
                             struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, type);
	yl_pg_add_text(&p, id);
	const char *sql = "SELECT version, last_updated, deleted, body, patient FROM resource "
	                  "WHERE type = $1 AND id = $2";
	if (version) {
		yl_pg_add_int(&p, version);
		/* the current version's body is in resource (0006) */
		sql = "SELECT h.version, h.seq, h.op = 'delete', coalesce(h.body, (SELECT r.body "
		      "FROM resource r WHERE r.type = h.type AND r.id = h.id AND r.version = "
		      "h.version)), h.patient FROM history h WHERE h.type = $1 AND h.id = $2 AND "
		      "h.version = $3::bigint";
	}
	PGresult *r = NULL;
	if (!version && strcmp(type, "Patient") == 0) {
		/* a Patient is in its own compartment: one partition, not every one's (type, id)
		 * index (Citus: one shard) */
		r = run(c, a,
		        "SELECT version, last_updated, deleted, body, patient FROM resource_p "
		        "WHERE patient = $2 AND type = $1 AND id = $2",
		        &p, true, "read", err);
		if (r && PQntuples(r) == 0) {
			PQclear(r);
			r = NULL; /* elsewhere after all (a compartment of another): ask everywhere
			           */
		} else if (!r) {
			return err->code;
		}
	}
	if (!r && !(r = run(c, a, sql, &p, true, "read", err)))
		return err->code;
	enum yl_code code =
	    PQntuples(r) == 0 ? YL_NOT_FOUND : fill_row(a, r, 0, 0, type, id, out, err);
	PQclear(r);
	return code;
}

/* The jobs of js still YL_NOT_FOUND (n of them, one type) looked up by one statement, sql
 * ($1 the type, $2 the ids as text[]; columns id, then fill_row's): each gets its row,
 * stays YL_NOT_FOUND, or gets the statement's error in its own arena. */
static void read_some(struct pg_conn *c, struct yl_arena *a, struct read_job **js, size_t n,
                      const char *sql)
{
	const char *ids[READ_BATCH_MAX];
	size_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (js[k]->code == YL_NOT_FOUND)
			ids[m++] = js[k]->id;
	if (!m)
		return;
	struct yl_err e;
	yl_err_init(&e);
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, js[0]->type);
	const char *arr = text_array(a, ids, m);
	yl_pg_add_text(&p, arr);
	PGresult *r = arr ? run(c, a, sql, &p, true, "read", &e) : NULL;
	if (!arr)
		yl_err_add(&e, a, YL_NOMEM, NULL, "out of memory reading resources");
	if (!r) { /* each request gets the error in its own arena */
		for (size_t k = 0; k < n; k++)
			if (js[k]->code == YL_NOT_FOUND)
				js[k]->code = yl_err_add(
				    js[k]->err, js[k]->a, e.code ? e.code : YL_STORE, NULL, "%s",
				    e.first ? e.first->message : "read failed");
		return;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *id = PQgetvalue(r, i, 0); /* libpq ends binary values with a NUL too */
		for (size_t k = 0; k < n; k++)
			if (js[k]->code == YL_NOT_FOUND && strcmp(js[k]->id, id) == 0)
				js[k]->code = fill_row(js[k]->a, r, i, 1, js[k]->type, js[k]->id,
				                       js[k]->out, js[k]->err);
	}
	PQclear(r);
}

/* The reads of a batch's group (n of them, all of one type) in one statement on c. Patients:
 * each id looked up in its own partition (run-time pruning of the lateral join, one index
 * probe an id; Citus: shard by shard), then those not there (a Patient in another's
 * compartment, or none) in every partition; other types: one probe of the (type, id) index
 * of every partition for all ids. */
static void read_group(struct pg_conn *c, struct yl_arena *a, struct read_job **js, size_t n)
{
	static const char *const everywhere = "SELECT id, version, last_updated, deleted, body, "
	                                      "patient FROM resource WHERE type = $1 "
	                                      "AND id = ANY($2::text[])";
	if (n == 1) {
		js[0]->code =
		    read_one(c, js[0]->a, js[0]->type, js[0]->id, 0, js[0]->out, js[0]->err);
		return;
	}
	for (size_t k = 0; k < n; k++)
		js[k]->code = YL_NOT_FOUND;
	if (strcmp(js[0]->type, "Patient") == 0)
		read_some(
		    c, a, js, n,
		    "SELECT k.id, p.version, p.last_updated, p.deleted, p.body, p.patient FROM "
		    "unnest($2::text[]) k(id), LATERAL (SELECT * FROM resource_p r WHERE "
		    "r.patient = k.id AND r.type = $1 AND r.id = k.id) p");
	read_some(c, a, js, n, everywhere);
}

/* A batch's reads, one statement for each type among them. */
static void read_batch(struct pg_conn *c, struct yl_arena *a, struct read_job *batch)
{
	struct read_job *left[READ_BATCH_MAX], *group[READ_BATCH_MAX];
	size_t nleft = 0;
	for (struct read_job *j = batch; j; j = j->next)
		left[nleft++] = j;
	while (nleft) {
		size_t ng = 0, keep = 0;
		const char *type = left[0]->type;
		for (size_t k = 0; k < nleft; k++)
			if (strcmp(left[k]->type, type) == 0)
				group[ng++] = left[k];
			else
				left[keep++] = left[k];
		nleft = keep;
		read_group(c, a, group, ng);
	}
}

/* A read by id outside a transaction joins those of other requests of its lane (each
 * thread keeps to one of READ_LANES): while the lane's batch is in the database, the reads
 * that arrive wait, and the next batch takes them all in one statement. One round trip and
 * one statement's fixed cost (snapshot, locks of every partition, executor start) then
 * serve many reads; alone, a read goes at once. Two lanes keep the database busy while a
 * batch's rows are handed out. Each batch's statement starts after its reads were asked,
 * so a request sees every write committed before it read. A waiting thread is woken once,
 * by a semaphore posted outside the lane's mutex: when its read is done, or to lead the
 * next batch. */
static enum yl_code read_batched(struct pg_conn *c, struct yl_arena *a, const char *type,
                                 const char *id, struct yl_row *out, struct yl_err *err)
{
	struct pg_store *s = c->store;
	static _Thread_local unsigned lane_of_thread = UINT_MAX;
	if (lane_of_thread == UINT_MAX)
		lane_of_thread = atomic_fetch_add(&s->next_lane, 1);
	struct read_lane *l = &s->lanes[lane_of_thread % READ_LANES];
	struct read_job self = {.type = type, .id = id, .out = out, .a = a, .err = err};
	sem_init(&self.wake, 0, 0);
	pthread_mutex_lock(&l->mu);
	*l->tail = &self;
	l->tail = &self.next;
	bool lead = !l->leading;
	l->leading = true;
	pthread_mutex_unlock(&l->mu);
	if (!lead) {
		while (sem_wait(&self.wake) != 0) /* EINTR */
			;
		if (self.done) { /* (done is set before the post) */
			sem_destroy(&self.wake);
			return self.code;
		}
	}
	/* leading: batches from the queue's head until this thread's own read is done (it is in
	 * the first, unless more than READ_BATCH_MAX were ahead of it), and then up to LEAD_RUNS
	 * in all while reads are waiting: this thread is running, a thread woken to lead the
	 * next would first have to be scheduled, the database idle meanwhile */
	bool mine = false;
	for (int runs = 1;; runs++) {
		pthread_mutex_lock(&l->mu);
		struct read_job *batch = l->reads, **cut = &l->reads;
		for (int n = 0; *cut && n < READ_BATCH_MAX; n++)
			cut = &(*cut)->next;
		l->reads = *cut;
		*cut = NULL;
		if (!l->reads)
			l->tail = &l->reads;
		pthread_mutex_unlock(&l->mu);

		/* on the lane's connection (this thread's own when none can be opened), the
		 * statement in the lane's arena (only the leader uses either) */
		struct yl_err e;
		yl_err_init(&e);
		if (!l->arena)
			l->arena = yl_arena_create(1 << 14);
		struct yl_arena *sa = l->arena ? l->arena : a;
		if (!l->reader && conn_open(s, &l->reader, true, sa, &e) != YL_OK)
			l->reader = NULL;
		read_batch(l->reader ? l->reader : c, sa, batch);
		if (sa != a)
			yl_arena_reset(sa);

		pthread_mutex_lock(&l->mu);
		struct read_job *next_leader = NULL;
		for (struct read_job *j = batch; j; j = j->next)
			mine |= j == &self;
		bool more = !mine || (l->reads && runs < LEAD_RUNS); /* lead on */
		if (!more && l->reads) /* hand the lead to the queue's head */
			next_leader = l->reads;
		else if (!more)
			l->leading = false;
		pthread_mutex_unlock(&l->mu);
		/* the batch's jobs are no longer in the queue: only this thread touches them */
		for (struct read_job *j = batch, *next; j; j = next) {
			next = j->next; /* read before the post: the owner returns at once */
			j->done = true;
			if (j != &self)
				sem_post(&j->wake);
		}
		if (next_leader)
			sem_post(&next_leader->wake);
		if (!more)
			break;
	}
	sem_destroy(&self.wake);
	return self.code;
}

static enum yl_code pg_read(struct yl_store_conn *yc, struct yl_arena *a, const char *type,
                            const char *id, int64_t version, struct yl_row *out, struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	if (c->npend || c->nheld) { /* a bulk load's held rows: reads see them */
		enum yl_code code = flush_held(c, a, err);
		if (code != YL_OK)
			return code;
	}
	/* in a transaction (or a bulk load) a read must see its own writes: its connection */
	if (version || c->in_tx || c->hold)
		return read_one(c, a, type, id, version, out, err);
	return read_batched(c, a, type, id, out, err);
}

/* ---- writes ------------------------------------------------------------------------- */

/* The partitioned table for rows with a patient, the reference table for the others. */
static const char *part(const char *patient)
{
	return patient ? "p" : "r";
}

static struct expected *exp_find(struct pg_conn *c, const char *type, const char *id)
{
	if (!c->nexp)
		return NULL;
	size_t mask = c->exp_cap - 1;
	for (size_t i = (size_t)key_hash(type, id) & mask;; i = (i + 1) & mask) {
		struct expected *x = &c->exp[i];
		if (!x->type)
			return NULL;
		if (strcmp(x->id, id) == 0 && strcmp(x->type, type) == 0)
			return x;
	}
}

static void exp_clear(struct pg_conn *c)
{
	c->nexp = 0;
	c->exp = NULL;
	c->exp_cap = 0;
	if (c->exp_arena)
		yl_arena_reset(c->exp_arena);
}

/* A text[] literal of the strings: {"a","b"} with " and \ escaped. */
static const char *text_array(struct yl_arena *a, const char *const *v, size_t n)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 64 * n + 16, (size_t)1 << 30);
	yl_buf_addc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		yl_buf_adds(&b, i ? ",\"" : "\"");
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				yl_buf_addc(&b, '\\');
			yl_buf_addc(&b, *p);
		}
		yl_buf_addc(&b, '"');
	}
	yl_buf_addc(&b, '}');
	return b.err ? NULL : b.p;
}

static bool loaded_has(const struct pg_conn *c, uint64_t h)
{
	if (!c->nloaded)
		return false;
	size_t mask = c->loaded_cap - 1;
	for (size_t i = (size_t)h & mask; c->loaded[i]; i = (i + 1) & mask)
		if (c->loaded[i] == h)
			return true;
	return false;
}

/* Remember a key this fresh load wrote (nothing when out of memory: the load then asks
 * the database about every key, as an ordinary one does). */
static void loaded_add(struct pg_conn *c, const char *type, const char *id)
{
	if (atomic_load(&c->store->fresh_seq) < 0)
		return;
	uint64_t h = key_hash(type, id);
	h = h ? h : 1;
	if (loaded_has(c, h))
		return;
	if ((c->nloaded + 1) * 2 > c->loaded_cap) {
		size_t cap = c->loaded_cap ? c->loaded_cap * 2 : 1 << 16;
		uint64_t *v = calloc(cap, sizeof(*v));
		if (!v) {
			atomic_store(&c->store->fresh_seq, -1);
			return;
		}
		for (size_t k = 0; k < c->loaded_cap; k++)
			if (c->loaded[k]) {
				size_t i = (size_t)c->loaded[k] & (cap - 1);
				while (v[i])
					i = (i + 1) & (cap - 1);
				v[i] = c->loaded[k];
			}
		free(c->loaded);
		c->loaded = v;
		c->loaded_cap = cap;
	}
	size_t i = (size_t)h & (c->loaded_cap - 1);
	while (c->loaded[i])
		i = (i + 1) & (c->loaded_cap - 1);
	c->loaded[i] = h;
	c->nloaded++;
}

static enum yl_code pg_expect(struct yl_store_conn *yc, struct yl_arena *a,
                              const char *const *types, const char *const *ids, size_t n,
                              struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	exp_clear(c);
	/* a fresh load that nobody else wrote into since it began: only keys it wrote itself
	 * can exist; the others are known absent without asking */
	int64_t fresh = atomic_load(&c->store->fresh_seq);
	bool alone = c->in_tx && fresh >= 0 && c->begin_seq == fresh;
	if (!c->exp_arena && !(c->exp_arena = yl_arena_create(1 << 16)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	size_t cap = 16;
	while (cap < n * 2)
		cap *= 2;
	struct expected *slots = yl_arena_calloc(c->exp_arena, cap, sizeof(*slots));
	const char *tv = text_array(a, types, n), *iv = text_array(a, ids, n);
	if (!slots || !tv || !iv)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	/* every key asked is known: absent unless the database has it */
	size_t nask = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t kh = key_hash(types[k], ids[k]);
		if (alone && loaded_has(c, kh ? kh : 1))
			continue; /* written by this load: read_head asks the database */
		nask++;
		size_t i = (size_t)kh & (cap - 1);
		while (slots[i].type &&
		       !(strcmp(slots[i].id, ids[k]) == 0 && strcmp(slots[i].type, types[k]) == 0))
			i = (i + 1) & (cap - 1);
		if (!slots[i].type) {
			slots[i].type = yl_arena_strdup(c->exp_arena, types[k]);
			slots[i].id = yl_arena_strdup(c->exp_arena, ids[k]);
			if (!slots[i].type || !slots[i].id)
				return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		}
	}
	if (alone) { /* the rest cannot exist */
		c->exp = slots;
		c->exp_cap = cap;
		c->nexp = nask;
		return YL_OK;
	}
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, tv);
	yl_pg_add_text(&p, iv);
	PGresult *r = run(c, a,
	                  "SELECT r.type, r.id, r.version, r.last_updated, r.deleted, r.rowid, "
	                  "r.patient FROM unnest($1::text[], $2::text[]) AS k(type, id) JOIN "
	                  "resource r ON r.type = k.type AND r.id = k.id",
	                  &p, true, "write", err);
	if (!r)
		return err->code;
	c->exp = slots;
	c->exp_cap = cap;
	c->nexp = n;
	for (int i = 0, rows = PQntuples(r); i < rows; i++) {
		struct expected *x = exp_find(c, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		if (!x)
			continue;
		x->h = (struct head){.exists = true,
		                     .version = yl_pg_col_int(r, i, 2),
		                     .last_updated = yl_pg_col_int(r, i, 3),
		                     .deleted = yl_pg_col_int(r, i, 4) != 0,
		                     .rowid = yl_pg_col_int(r, i, 5),
		                     .patient = yl_pg_col_text(c->exp_arena, r, i, 6, NULL)};
	}
	PQclear(r);
	return YL_OK;
}

static enum yl_code read_head(struct pg_conn *c, struct yl_arena *a, const char *type,
                              const char *id, struct head *h, struct yl_err *err)
{
	memset(h, 0, sizeof(*h));
	if (pend_find(c, type, id) >= 0) { /* written earlier in this bulk load: send it first */
		enum yl_code code = flush_held(c, a, err);
		if (code != YL_OK)
			return code;
	}
	struct expected *x = exp_find(c, type, id);
	if (x && !x->used) {    /* looked up with its batch (yl_store_expect) */
		x->used = true; /* this write changes it: the next asks the database */
		*h = x->h;
		if (h->patient)
			h->patient = yl_arena_strdup(a, h->patient);
		return YL_OK;
	}
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, type);
	yl_pg_add_text(&p, id);
	PGresult *r = run(c, a,
	                  "SELECT version, last_updated, deleted, rowid, patient FROM resource "
	                  "WHERE type = $1 AND id = $2",
	                  &p, true, "write", err);
	if (!r)
		return err->code;
	if (PQntuples(r) > 0) {
		h->exists = true;
		h->version = yl_pg_col_int(r, 0, 0);
		h->last_updated = yl_pg_col_int(r, 0, 1);
		h->deleted = yl_pg_col_int(r, 0, 2) != 0;
		h->rowid = yl_pg_col_int(r, 0, 3);
		h->patient = yl_pg_col_text(a, r, 0, 4, NULL);
	}
	PQclear(r);
	return YL_OK;
}

/* The INSERT of each index kind up to VALUES (table suffix %s: p or r), and its columns:
 * res, param and patient first. */
static const struct {
	const char *table;
	const char *cols;
	const char *conflict;
	int ncols;
} idx_tables[] = {
    [YL_IDX_TOKEN] = {"idx_token",
                      "res, param, patient, value_hash, code_hash, type_hash, system, code, text",
                      " ON CONFLICT DO NOTHING", 9},
    [YL_IDX_STRING] = {"idx_string", "res, param, patient, norm, exact", " ON CONFLICT DO NOTHING",
                       5},
    [YL_IDX_DATE] = {"idx_date", "res, param, patient, lo, hi", " ON CONFLICT DO NOTHING", 5},
    [YL_IDX_NUMBER] = {"idx_number", "res, param, patient, lo, hi", " ON CONFLICT DO NOTHING", 5},
    [YL_IDX_QUANTITY] = {"idx_quantity",
                         "res, param, patient, lo, hi, unit_system, unit_code, canon_code, "
                         "canon_lo, canon_hi",
                         " ON CONFLICT DO NOTHING", 10},
    [YL_IDX_REFERENCE] = {"idx_reference", "res, param, patient, ref_type, ref_id, url",
                          " ON CONFLICT DO NOTHING", 6},
    [YL_IDX_URI] = {"idx_uri", "res, param, patient, uri", " ON CONFLICT DO NOTHING", 4},
    [YL_IDX_COMPOSITE] = {"idx_composite",
                          "res, param, patient, value_hash, code_hash, comp_kind, "
                          "comp_value_hash, comp_code_hash, lo, hi, unit_code, canon_code, "
                          "canon_lo, canon_hi, date_lo, date_hi, norm",
                          "", 17},
};

static void add_opt_real(struct yl_pg_params *p, bool have, double v)
{
	if (have)
		yl_pg_add_real(p, v);
	else
		yl_pg_add_text(p, NULL);
}

/* Index keys longer than this are cut (at a character boundary) before they are stored:
 * a B-tree entry must fit a third of a page (2,704 bytes), and a search-index value that
 * long (a pasted document in a string element) is not searched for beyond its start. */
#define KEY_MAX 1000

static size_t key_len(const char *s)
{
	size_t n = strlen(s);
	if (n <= KEY_MAX)
		return n;
	n = KEY_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* not inside a UTF-8 sequence */
	return n;
}

static void add_or_empty(struct yl_pg_params *p, const char *s)
{
	s = s ? s : "";
	yl_pg_add_textn(p, s, key_len(s));
}

/* One index row's values after (res, param, patient), in idx_tables' column order. */
static void add_index_values(struct yl_pg_params *p, const struct yl_index_row *r)
{
	switch (r->kind) {
	case YL_IDX_TOKEN:
		yl_pg_add_int(p, r->value_hash);
		yl_pg_add_int(p, r->code_hash);
		yl_pg_add_int(p, r->type_hash);
		yl_pg_add_text(p, r->system);
		yl_pg_add_text(p, r->code);
		yl_pg_add_text(p, r->text);
		break;
	case YL_IDX_STRING:
		add_or_empty(p, r->norm);
		add_or_empty(p, r->exact);
		break;
	case YL_IDX_DATE:
		yl_pg_add_int(p, r->date_lo);
		yl_pg_add_int(p, r->date_hi);
		break;
	case YL_IDX_NUMBER:
		yl_pg_add_real(p, r->num_lo);
		yl_pg_add_real(p, r->num_hi);
		break;
	case YL_IDX_QUANTITY:
		yl_pg_add_real(p, r->num_lo);
		yl_pg_add_real(p, r->num_hi);
		add_or_empty(p, r->unit_system);
		add_or_empty(p, r->unit_code);
		yl_pg_add_text(p, r->canon_code);
		add_opt_real(p, r->canon_code != NULL, r->canon_lo);
		add_opt_real(p, r->canon_code != NULL, r->canon_hi);
		break;
	case YL_IDX_REFERENCE:
		yl_pg_add_text(p, r->ref_type);
		yl_pg_add_text(p, r->ref_id);
		add_or_empty(p, r->ref_url);
		break;
	case YL_IDX_URI:
		add_or_empty(p, r->uri);
		break;
	case YL_IDX_COMPOSITE: {
		bool num = r->comp_kind == YL_IDX_NUMBER || r->comp_kind == YL_IDX_QUANTITY;
		bool date = r->comp_kind == YL_IDX_DATE;
		yl_pg_add_int(p, r->value_hash);
		yl_pg_add_int(p, r->code_hash);
		yl_pg_add_int(p, (int64_t)r->comp_kind);
		yl_pg_add_int(p, r->comp_value_hash);
		yl_pg_add_int(p, r->comp_code_hash);
		add_opt_real(p, num, r->num_lo);
		add_opt_real(p, num, r->num_hi);
		yl_pg_add_text(p, num ? r->unit_code : NULL);
		yl_pg_add_text(p, num ? r->canon_code : NULL);
		add_opt_real(p, num && r->canon_code, r->canon_lo);
		add_opt_real(p, num && r->canon_code, r->canon_hi);
		if (date) {
			yl_pg_add_int(p, r->date_lo);
			yl_pg_add_int(p, r->date_hi);
		} else {
			yl_pg_add_text(p, NULL);
			yl_pg_add_text(p, NULL);
		}
		yl_pg_add_text(p, r->norm);
		break;
	}
	}
}

/* ---- bulk loads: rows held for COPY ------------------------------------------------ */

static uint64_t key_hash(const char *type, const char *id)
{
	uint64_t h = yl_hash_add(0xcbf29ce484222325ULL, type, strlen(type));
	h = yl_hash_add(h, "/", 1);
	return yl_hash_add(h, id, strlen(id));
}

/* The pending row of (type, id), or -1. */
static long pend_find(const struct pg_conn *c, const char *type, const char *id)
{
	if (!c->npend)
		return -1;
	size_t mask = c->pend_slot_cap - 1;
	for (size_t i = (size_t)key_hash(type, id) & mask;; i = (i + 1) & mask) {
		uint32_t v = c->pend_slots[i];
		if (!v)
			return -1;
		const struct pend_row *p = &c->pend[v - 1];
		if (strcmp(p->id, id) == 0 && strcmp(p->type, type) == 0)
			return (long)v - 1;
	}
}

static bool pend_add(struct pg_conn *c, const struct pend_row *row)
{
	if (c->npend == c->pend_cap) {
		size_t cap = c->pend_cap ? c->pend_cap * 2 : 1024;
		struct pend_row *v = realloc(c->pend, cap * sizeof(*v));
		if (!v)
			return false;
		c->pend = v;
		c->pend_cap = cap;
	}
	if ((c->npend + 1) * 2 > c->pend_slot_cap) { /* keep the table at most half full */
		size_t cap = c->pend_slot_cap ? c->pend_slot_cap * 2 : 4096;
		uint32_t *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return false;
		free(c->pend_slots);
		c->pend_slots = slots;
		c->pend_slot_cap = cap;
		for (size_t k = 0; k < c->npend; k++) { /* rehash */
			size_t i = (size_t)key_hash(c->pend[k].type, c->pend[k].id) & (cap - 1);
			while (slots[i])
				i = (i + 1) & (cap - 1);
			slots[i] = (uint32_t)k + 1;
		}
	}
	c->pend[c->npend] = *row;
	size_t mask = c->pend_slot_cap - 1;
	size_t i = (size_t)key_hash(row->type, row->id) & mask;
	while (c->pend_slots[i])
		i = (i + 1) & mask;
	c->pend_slots[i] = (uint32_t)++c->npend;
	return true;
}

/* A new resource's row: from a block of the sequence, taken 1,000 at a time. */
static enum yl_code next_rowid(struct pg_conn *c, struct yl_arena *a, int64_t *out,
                               struct yl_err *err)
{
	if (c->rowid_at == c->nrowids) {
		PGresult *r =
		    run(c, a, "SELECT nextval('resource_rowid') FROM generate_series(1, 1000)",
		        NULL, true, "write", err);
		if (!r)
			return err->code;
		int n = PQntuples(r);
		int64_t *v = realloc(c->rowids, (size_t)(n ? n : 1) * sizeof(*v));
		if (!v) {
			PQclear(r);
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		}
		for (int i = 0; i < n; i++)
			v[i] = yl_pg_col_int(r, i, 0);
		PQclear(r);
		c->rowids = v;
		c->nrowids = (size_t)n;
		c->rowid_at = 0;
	}
	*out = c->rowids[c->rowid_at++];
	return YL_OK;
}

/* Send the pending resource and change-log rows (four COPYs: each table of each pair). */
static enum yl_code flush_pending(struct pg_conn *c, struct yl_arena *a, struct yl_err *err)
{
	static const char *const copy_sql[2][2] = {
	    {"COPY resource_r (rowid, type, id, version, last_updated, deleted, patient, body) "
	     "FROM STDIN (FORMAT binary)",
	     "COPY resource_p (rowid, type, id, version, last_updated, deleted, patient, body) "
	     "FROM STDIN (FORMAT binary)"},
	    {"COPY history_r (seq, type, id, version, op, patient, body) FROM STDIN (FORMAT "
	     "binary)",
	     "COPY history_p (seq, type, id, version, op, patient, body) FROM STDIN (FORMAT "
	     "binary)"},
	};
	enum yl_code code = YL_OK;
	for (int table = 0; code == YL_OK && table < 2; table++) {
		for (int withp = 0; code == YL_OK && withp < 2; withp++) {
			yl_pg_copy_stream(&c->copy, c->db, copy_sql[table][withp]);
			for (size_t i = 0; i < c->npend; i++) {
				const struct pend_row *p = &c->pend[i];
				if ((p->patient != NULL) != (withp != 0))
					continue;
				struct yl_pg_copy *b = &c->copy;
				if (table == 0) {
					yl_pg_copy_row(b, 8);
					yl_pg_copy_int8(b, p->rowid);
					yl_pg_copy_text(b, p->type);
					yl_pg_copy_text(b, p->id);
					yl_pg_copy_int8(b, p->version);
					yl_pg_copy_int8(b, p->last_updated);
					yl_pg_copy_int4(b, p->deleted);
					yl_pg_copy_text(b, p->patient);
					if (p->body)
						yl_pg_copy_bytes(b, p->body, p->body_len);
					else
						yl_pg_copy_null(b);
				} else {
					yl_pg_copy_row(b, 7);
					yl_pg_copy_int8(b, p->last_updated);
					yl_pg_copy_text(b, p->type);
					yl_pg_copy_text(b, p->id);
					yl_pg_copy_int8(b, p->version);
					yl_pg_copy_text(b, p->op);
					yl_pg_copy_text(b, p->patient);
					yl_pg_copy_null(b); /* the body is in resource (0006) */
				}
			}
			code = yl_pg_copy_send(c->db, a, copy_sql[table][withp], &c->copy, err);
		}
	}
	c->npend = 0;
	if (c->pend_slots)
		memset(c->pend_slots, 0, c->pend_slot_cap * sizeof(*c->pend_slots));
	return code;
}

/* Whether two index key values are stored alike (cut to KEY_MAX). */
static bool same_text(const char *x, const char *y)
{
	size_t n = key_len(x);
	return n == key_len(y) && memcmp(x, y, n) == 0;
}

/* Whether two index rows of one resource would share a primary key (the INSERT's ON
 * CONFLICT DO NOTHING drops the second; a COPY must not send it). */
static bool same_key(const struct yl_index_row *x, const struct yl_index_row *y)
{
#define SAME_S(f) same_text(x->f ? x->f : "", y->f ? y->f : "")
	if (x->kind != y->kind || x->param_hash != y->param_hash)
		return false;
	switch (x->kind) {
	case YL_IDX_TOKEN:
		return x->value_hash == y->value_hash && x->type_hash == y->type_hash;
	case YL_IDX_STRING:
		return SAME_S(exact);
	case YL_IDX_DATE:
		return x->date_lo == y->date_lo && x->date_hi == y->date_hi;
	case YL_IDX_NUMBER:
		return x->num_lo == y->num_lo && x->num_hi == y->num_hi;
	case YL_IDX_QUANTITY:
		return x->num_lo == y->num_lo && x->num_hi == y->num_hi && SAME_S(unit_system) &&
		       SAME_S(unit_code);
	case YL_IDX_REFERENCE:
		return SAME_S(ref_url);
	case YL_IDX_URI:
		return SAME_S(uri);
	case YL_IDX_COMPOSITE:
		return false; /* no key: every row is kept */
	}
	return false;
#undef SAME_S
}

static void copy_opt_float8(struct yl_pg_copy *b, bool have, double v)
{
	if (have)
		yl_pg_copy_float8(b, v);
	else
		yl_pg_copy_null(b);
}

static void copy_or_empty(struct yl_pg_copy *b, const char *s)
{
	s = s ? s : "";
	yl_pg_copy_bytes(b, s, key_len(s));
}

/* One index row as COPY fields, in idx_tables' column order (add_index_values' twin). */
static void copy_index_row(struct yl_pg_copy *b, const struct held_row *h, int ncols)
{
	const struct yl_index_row *r = h->r;
	yl_pg_copy_row(b, ncols);
	yl_pg_copy_int8(b, h->res);
	yl_pg_copy_int8(b, r->param_hash);
	yl_pg_copy_text(b, h->patient);
	switch (r->kind) {
	case YL_IDX_TOKEN:
		yl_pg_copy_int8(b, r->value_hash);
		yl_pg_copy_int8(b, r->code_hash);
		yl_pg_copy_int8(b, r->type_hash);
		yl_pg_copy_text(b, r->system);
		yl_pg_copy_text(b, r->code);
		yl_pg_copy_text(b, r->text);
		break;
	case YL_IDX_STRING:
		copy_or_empty(b, r->norm);
		copy_or_empty(b, r->exact);
		break;
	case YL_IDX_DATE:
		yl_pg_copy_int8(b, r->date_lo);
		yl_pg_copy_int8(b, r->date_hi);
		break;
	case YL_IDX_NUMBER:
		yl_pg_copy_float8(b, r->num_lo);
		yl_pg_copy_float8(b, r->num_hi);
		break;
	case YL_IDX_QUANTITY:
		yl_pg_copy_float8(b, r->num_lo);
		yl_pg_copy_float8(b, r->num_hi);
		copy_or_empty(b, r->unit_system);
		copy_or_empty(b, r->unit_code);
		yl_pg_copy_text(b, r->canon_code);
		copy_opt_float8(b, r->canon_code != NULL, r->canon_lo);
		copy_opt_float8(b, r->canon_code != NULL, r->canon_hi);
		break;
	case YL_IDX_REFERENCE:
		yl_pg_copy_text(b, r->ref_type);
		yl_pg_copy_text(b, r->ref_id);
		copy_or_empty(b, r->ref_url);
		break;
	case YL_IDX_URI:
		copy_or_empty(b, r->uri);
		break;
	case YL_IDX_COMPOSITE: {
		bool num = r->comp_kind == YL_IDX_NUMBER || r->comp_kind == YL_IDX_QUANTITY;
		bool date = r->comp_kind == YL_IDX_DATE;
		yl_pg_copy_int8(b, r->value_hash);
		yl_pg_copy_int8(b, r->code_hash);
		yl_pg_copy_int4(b, (int32_t)r->comp_kind);
		yl_pg_copy_int8(b, r->comp_value_hash);
		yl_pg_copy_int8(b, r->comp_code_hash);
		copy_opt_float8(b, num, r->num_lo);
		copy_opt_float8(b, num, r->num_hi);
		yl_pg_copy_text(b, num ? r->unit_code : NULL);
		yl_pg_copy_text(b, num ? r->canon_code : NULL);
		copy_opt_float8(b, num && r->canon_code, r->canon_lo);
		copy_opt_float8(b, num && r->canon_code, r->canon_hi);
		if (date) {
			yl_pg_copy_int8(b, r->date_lo);
			yl_pg_copy_int8(b, r->date_hi);
		} else {
			yl_pg_copy_null(b);
			yl_pg_copy_null(b);
		}
		yl_pg_copy_text(b, r->norm);
		break;
	}
	}
}

/* The held index rows by COPY, kind by kind and table by table (a bulk load). */
static enum yl_code copy_held(struct pg_conn *c, struct yl_arena *a, struct yl_err *err)
{
	enum yl_code code = YL_OK;
	size_t count[YL_IDX_COMPOSITE + 1][2] = {{0}};
	for (size_t i = 0; i < c->nheld; i++)
		count[c->held[i].r->kind][c->held[i].patient != NULL]++;
	for (int k = 0; code == YL_OK && k <= YL_IDX_COMPOSITE; k++) {
		for (int withp = 0; code == YL_OK && withp < 2; withp++) {
			if (!count[k][withp])
				continue;
			char sql[400];
			snprintf(sql, sizeof sql, "COPY %s_%s (%s) FROM STDIN (FORMAT binary)",
			         idx_tables[k].table, withp ? "p" : "r", idx_tables[k].cols);
			yl_pg_copy_stream(&c->copy, c->db, sql);
			for (size_t i = 0; i < c->nheld; i++)
				if ((int)c->held[i].r->kind == k &&
				    (c->held[i].patient != NULL) == (withp != 0))
					copy_index_row(&c->copy, &c->held[i], idx_tables[k].ncols);
			code = yl_pg_copy_send(c->db, a, sql, &c->copy, err);
		}
	}
	c->nheld = 0;
	return code;
}

/* Insert the held rows, kind by kind and table by table, up to IDX_MULTI_MAX a statement.
 * The held list is empty afterwards, whatever the outcome. */
static enum yl_code flush_held(struct pg_conn *c, struct yl_arena *a, struct yl_err *err)
{
	enum yl_code code = YL_OK;
	if (c->npend && (code = flush_pending(c, a, err)) != YL_OK) {
		c->nheld = 0;
		return code;
	}
	if (c->hold)
		return copy_held(c, a, err);
	for (int k = 0; code == YL_OK && k <= YL_IDX_COMPOSITE; k++) {
		for (int withp = 0; code == YL_OK && withp < 2; withp++) {
			for (size_t i = 0; code == YL_OK;) {
				const struct held_row *chunk[IDX_MULTI_MAX];
				int m = 0;
				for (; i < c->nheld && m < IDX_MULTI_MAX; i++)
					if ((int)c->held[i].r->kind == k &&
					    (c->held[i].patient != NULL) == (withp != 0))
						chunk[m++] = &c->held[i];
				if (!m)
					break;
				struct yl_buf sql;
				yl_buf_init(&sql, a, 4096, 1 << 20);
				yl_buf_printf(&sql, "INSERT INTO %s_%s (%s) VALUES ",
				              idx_tables[k].table, withp ? "p" : "r",
				              idx_tables[k].cols);
				struct yl_pg_params p;
				yl_pg_params_init(&p, a);
				for (int j = 0; j < m; j++) {
					yl_buf_printf(&sql, "%s(", j ? ", " : "");
					for (int col = 0; col < idx_tables[k].ncols; col++)
						yl_buf_printf(&sql, "%s$%d", col ? ", " : "",
						              p.n + col + 1);
					yl_buf_printf(&sql, ")");
					yl_pg_add_int(&p, chunk[j]->res);
					yl_pg_add_int(&p, chunk[j]->r->param_hash);
					yl_pg_add_text(&p, chunk[j]->patient);
					add_index_values(&p, chunk[j]->r);
				}
				yl_buf_printf(&sql, "%s", idx_tables[k].conflict);
				code =
				    !sql.err
				        ? run_ok(c, a, sql.p, &p, "storing search index rows", err)
				        : yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
			}
		}
	}
	c->nheld = 0;
	return code;
}

/* Delete a resource's index rows (every kind, one statement). */
static enum yl_code delete_index(struct pg_conn *c, struct yl_arena *a, int64_t res,
                                 const char *patient, struct yl_err *err)
{
	static const char *const with_p =
	    "WITH t AS (DELETE FROM idx_token_p WHERE patient = $2 AND res = $1::bigint), "
	    "s AS (DELETE FROM idx_string_p WHERE patient = $2 AND res = $1::bigint), "
	    "d AS (DELETE FROM idx_date_p WHERE patient = $2 AND res = $1::bigint), "
	    "n AS (DELETE FROM idx_number_p WHERE patient = $2 AND res = $1::bigint), "
	    "q AS (DELETE FROM idx_quantity_p WHERE patient = $2 AND res = $1::bigint), "
	    "r AS (DELETE FROM idx_reference_p WHERE patient = $2 AND res = $1::bigint), "
	    "u AS (DELETE FROM idx_uri_p WHERE patient = $2 AND res = $1::bigint) "
	    "DELETE FROM idx_composite_p WHERE patient = $2 AND res = $1::bigint";
	static const char *const with_r =
	    "WITH t AS (DELETE FROM idx_token_r WHERE res = $1::bigint), "
	    "s AS (DELETE FROM idx_string_r WHERE res = $1::bigint), "
	    "d AS (DELETE FROM idx_date_r WHERE res = $1::bigint), "
	    "n AS (DELETE FROM idx_number_r WHERE res = $1::bigint), "
	    "q AS (DELETE FROM idx_quantity_r WHERE res = $1::bigint), "
	    "r AS (DELETE FROM idx_reference_r WHERE res = $1::bigint), "
	    "u AS (DELETE FROM idx_uri_r WHERE res = $1::bigint) "
	    "DELETE FROM idx_composite_r WHERE res = $1::bigint";
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, res);
	if (patient)
		yl_pg_add_text(&p, patient);
	return run_ok(c, a, patient ? with_p : with_r, &p, "write", err);
}

/* A bulk load into an empty store wrote a resource again: the primary keys of the search
 * tables it deferred are built now, in its transaction (a few seconds), so that finding the
 * old version's rows is not a scan of whole tables, this time and every later time. */
static enum yl_code keys_now(struct pg_conn *c, struct yl_arena *a, struct yl_err *err)
{
	PGresult *r = run(c, a,
	                  "SELECT key, value FROM store_meta WHERE key LIKE 'deferred:%' AND value "
	                  "LIKE 'ALTER%' ORDER BY key",
	                  NULL, true, "building search keys", err);
	if (!r)
		return err->code;
	yl_log(YL_LOG_INFO,
	       "store: a resource came twice in a bulk load; building the search tables' "
	       "primary keys now (%d)",
	       PQntuples(r));
	enum yl_code code = YL_OK;
	for (int i = 0; code == YL_OK && i < PQntuples(r); i++) {
		PGresult *b =
		    run(c, a, PQgetvalue(r, i, 1), NULL, false, "building search keys", err);
		code = b ? YL_OK : err->code;
		PQclear(b);
		if (code == YL_OK) {
			struct yl_pg_params p;
			yl_pg_params_init(&p, a);
			yl_pg_add_text(&p, PQgetvalue(r, i, 0));
			code = run_ok(c, a, "DELETE FROM store_meta WHERE key = $1", &p,
			              "building search keys", err);
		}
	}
	PQclear(r);
	if (code == YL_OK) /* (a rollback undoes them: the load builds them at its end) */
		atomic_store(&c->store->keys_deferred, false);
	return code;
}

/* A write's index rows are held, then inserted at once unless the connection holds them
 * for yl_store_flush_index(). The rows of a resource that had some are deleted first, after
 * anything held (an earlier version of the same resource may be among it). */
static enum yl_code write_index(struct pg_conn *c, struct yl_arena *a, const struct yl_write *w,
                                int64_t res, bool existed, const char *old_patient,
                                struct yl_err *err)
{
	enum yl_code code;
	if (existed) {
		if ((c->nheld || c->npend) && (code = flush_held(c, a, err)) != YL_OK)
			return code;
		if (atomic_load(&c->store->keys_deferred) && (code = keys_now(c, a, err)) != YL_OK)
			return code;
		if ((code = delete_index(c, a, res, old_patient, err)) != YL_OK)
			return code;
	}
	if (c->nheld + w->index_count > c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap : 256;
		while (cap < c->nheld + w->index_count)
			cap *= 2;
		struct held_row *v = realloc(c->held, cap * sizeof(*v));
		if (!v)
			return yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory storing index rows");
		c->held = v;
		c->held_cap = cap;
	}
	for (size_t i = 0; i < w->index_count; i++) {
		if ((unsigned)w->index[i].kind > YL_IDX_COMPOSITE)
			continue;
		bool dup = false; /* a COPY takes no ON CONFLICT: drop them here */
		for (size_t j = 0; c->hold && !dup && j < i; j++)
			dup = same_key(&w->index[i], &w->index[j]);
		if (!dup)
			c->held[c->nheld++] =
			    (struct held_row){.res = res, .patient = w->patient, .r = &w->index[i]};
	}
	if (c->hold && c->nheld < HOLD_MAX)
		return YL_OK;
	/* the arena of a held flush is the write's: the statement text and values of this
	 * flush are small next to the write itself */
	return flush_held(c, a, err);
}

static bool same_patient(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The resource row and its change-log row; *res the resource's row (known from the head
 * for an existing resource, else a new one). */
static enum yl_code put_rows(struct pg_conn *c, struct yl_arena *a, struct yl_write *w,
                             const char *op, int64_t *res, const struct head *h, struct yl_err *err)
{
	enum yl_code code;
	char sql[512];
	struct yl_pg_params p;
	if (h->exists && !h->deleted) { /* the outgoing version's body moves into history */
		yl_pg_params_init(&p, a);
		yl_pg_add_text(&p, w->type);
		yl_pg_add_text(&p, w->id);
		yl_pg_add_int(&p, h->version);
		if (h->patient) {
			yl_pg_add_text(&p, h->patient);
			code = run_ok(
			    c, a,
			    "UPDATE history_p h SET body = r.body FROM resource_p r WHERE "
			    "r.patient = $4 AND r.type = $1 AND r.id = $2 AND h.patient = $4 "
			    "AND h.type = $1 AND h.id = $2 AND h.version = $3::bigint AND "
			    "h.body IS NULL AND h.op <> 'delete'",
			    &p, "write", err);
		} else {
			code =
			    run_ok(c, a,
			           "UPDATE history_r h SET body = r.body FROM resource_r r WHERE "
			           "r.type = $1 AND r.id = $2 AND h.type = $1 AND h.id = $2 AND "
			           "h.version = $3::bigint AND h.body IS NULL AND h.op <> 'delete'",
			           &p, "write", err);
		}
		if (code != YL_OK)
			return code;
	}
	size_t packed_len = w->pre_packed_len;
	const void *packed = w->body && w->body == w->pre_body && w->pre_packed ? w->pre_packed
	                     : w->body ? yl_body_pack(a, w->body, w->body_len, &packed_len)
	                               : NULL;
	if (c->hold && !h->exists) { /* a bulk load: sent by COPY with the rest (flush_held) */
		struct pend_row row = {.version = w->version,
		                       .last_updated = w->last_updated,
		                       .type = w->type,
		                       .id = w->id,
		                       .patient = w->patient,
		                       .op = op,
		                       .body = packed ? packed : w->body,
		                       .body_len = packed ? packed_len : w->body_len,
		                       .deleted = w->op == YL_WRITE_DELETE};
		if ((code = next_rowid(c, a, &row.rowid, err)) != YL_OK)
			return code;
		if (!pend_add(c, &row))
			return yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory storing a resource");
		loaded_add(c, w->type, w->id);
		*res = row.rowid;
		return YL_OK;
	}
	bool moved = h->exists && !same_patient(h->patient, w->patient);
	if (moved) { /* another compartment: the row moves, keeping its rowid */
		yl_pg_params_init(&p, a);
		yl_pg_add_int(&p, h->rowid);
		if (h->patient)
			yl_pg_add_text(&p, h->patient);
		code = run_ok(c, a,
		              h->patient ? "DELETE FROM resource_p WHERE patient = $2 AND rowid = "
		                           "$1::bigint"
		                         : "DELETE FROM resource_r WHERE rowid = $1::bigint",
		              &p, "write", err);
		if (code != YL_OK)
			return code;
	}
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, w->type);
	yl_pg_add_text(&p, w->id);
	yl_pg_add_int(&p, w->version);
	yl_pg_add_int(&p, w->last_updated);
	yl_pg_add_int(&p, w->op == YL_WRITE_DELETE);
	yl_pg_add_text(&p, w->patient);
	if (packed)
		yl_pg_add_bytes(&p, packed, packed_len);
	else if (w->body)
		yl_pg_add_bytes(&p, w->body, w->body_len); /* kept as text: still readable */
	else
		yl_pg_add_text(&p, NULL);
	if (h->exists && !moved) {
		yl_pg_add_int(&p, h->rowid);
		snprintf(sql, sizeof sql,
		         "UPDATE resource_%s SET version = $3::bigint, last_updated = $4::bigint, "
		         "deleted = $5::int, body = $7::bytea WHERE %s rowid = $8::bigint AND "
		         "type = $1 AND id = $2 AND ($6::text IS NULL OR true)",
		         part(w->patient), w->patient ? "patient = $6 AND" : "");
		code = run_ok(c, a, sql, &p, "write", err);
	} else {
		if (h->exists)
			yl_pg_add_int(&p, h->rowid);
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO resource_%s (rowid, type, id, version, last_updated, deleted, "
		    "patient, body) VALUES (%s, $1, $2, $3::bigint, $4::bigint, $5::int, $6, "
		    "$7::bytea) RETURNING rowid",
		    part(w->patient), h->exists ? "$8::bigint" : "nextval('resource_rowid')");
		PGresult *r = run(c, a, sql, &p, true, "write", err);
		if (!r)
			return err->code;
		*res = yl_pg_col_int(r, 0, 0);
		PQclear(r);
		code = YL_OK;
	}
	if (code != YL_OK)
		return code;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, w->last_updated);
	yl_pg_add_text(&p, w->type);
	yl_pg_add_text(&p, w->id);
	yl_pg_add_int(&p, w->version);
	yl_pg_add_text(&p, op);
	yl_pg_add_text(&p, w->patient);
	snprintf(sql, sizeof sql,
	         "INSERT INTO history_%s (seq, type, id, version, op, patient, body) VALUES "
	         "($1::bigint, $2, $3, $4::bigint, $5, $6, NULL)",
	         part(w->patient));
	return run_ok(c, a, sql, &p, "write", err);
}

static enum yl_code write_audit(struct pg_conn *c, struct yl_arena *a, const struct yl_write *w,
                                struct yl_err *err)
{
	if (!w->audit)
		return YL_OK;
	struct yl_audit_rec ev = {
	    .patient = w->patient, .agent = w->audit_agent, .recorded = w->last_updated};
	if (!(ev.body = w->audit(w->audit_ctx, a, w, &ev.len)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory recording an audit event");
	return yl_pg_audit_insert(YC(c), a, &ev, 1, err);
}

/* One write inside the current transaction, which holds YL_PG_LOCK_CHANGES (c->last_seq
 * is the newest seq in the store). */
static enum yl_code write_locked(struct pg_conn *c, struct yl_arena *a, struct yl_write *w,
                                 struct yl_err *err)
{
	struct head h;
	enum yl_code code = read_head(c, a, w->type, w->id, &h, err);
	if (code == YL_OK)
		code = yl_store_check_version(w, h.exists, h.deleted, h.version, a, err);
	if (code == YL_OK && w->check)
		code = w->check(w->check_ctx, YC(c), a, w, err);
	if (code != YL_OK)
		return code;
	w->created = !h.exists || h.deleted;
	if (w->op == YL_WRITE_DELETE && h.deleted) {
		w->noop = true;
		w->version = h.version;
		w->last_updated = h.last_updated;
		return YL_OK;
	}
	if (w->keep_same && w->op == YL_WRITE_UPDATE && h.exists && !h.deleted) {
		for (int64_t v = h.version; v > 0 && v > h.version - KEEP_SAME_VERSIONS; v--) {
			struct yl_row cur;
			size_t len;
			if ((code = pg_read(YC(c), a, w->type, w->id, v, &cur, err)) != YL_OK)
				return code;
			const char *same = w->render(w->render_ctx, a, v, cur.last_updated, &len);
			if (same && cur.body && len == cur.body_len &&
			    memcmp(same, cur.body, len) == 0) {
				w->noop = true;
				w->version = h.version;
				w->last_updated = h.last_updated;
				return YL_OK;
			}
		}
	}
	w->version = h.exists ? h.version + 1 : 1;
	w->body = NULL;
	w->body_len = 0;
	if (w->pre_body && w->op != YL_WRITE_DELETE && w->version == 1 &&
	    w->pre_last_updated > c->last_seq) {
		c->last_seq = w->last_updated = w->pre_last_updated;
		w->body = w->pre_body;
		w->body_len = w->pre_body_len;
	} else {
		int64_t now = yl_now_us();
		c->last_seq = now > c->last_seq ? now : c->last_seq + 1;
		w->last_updated = c->last_seq;
	}
	if (w->op != YL_WRITE_DELETE && !w->body) {
		w->body = w->render(w->render_ctx, a, w->version, w->last_updated, &w->body_len);
		if (!w->body)
			return yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory storing a resource");
	}
	const char *op = w->op == YL_WRITE_DELETE ? "delete" : w->created ? "create" : "update";
	if (w->op == YL_WRITE_DELETE && !w->patient && h.patient)
		w->patient = h.patient; /* the change log says whose it was */
	const size_t index_count = w->index_count;
	if (w->op == YL_WRITE_DELETE)
		w->index_count = 0; /* a tombstone is found by no search */
	int64_t res = h.exists ? h.rowid : 0;
	code = put_rows(c, a, w, op, &res, &h, err);
	if (code == YL_OK)
		code = write_index(c, a, w, res, h.exists, h.patient, err);
	w->index_count = index_count;
	if (code == YL_OK)
		c->tx_wrote = true;
	return code == YL_OK ? write_audit(c, a, w, err) : code;
}

/* BEGIN, the lock, and (for the change-log lock) the newest seq. */
static enum yl_code tx_begin(struct pg_conn *c, struct yl_arena *a, int64_t lock,
                             struct yl_err *err)
{
	if (!conn_usable(c))
		return pg_error(c, a, NULL, "begin", err);
	/* read committed whatever the database's default: each statement after the lock must
	 * see every commit before it (the change log's and the audit chain's heads) */
	enum yl_code code =
	    run_ok(c, a, "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, "begin", err);
	c->in_tx = code == YL_OK;
	c->tx_wrote = false;
	if (code == YL_OK && lock) {
		struct yl_pg_params p;
		yl_pg_params_init(&p, a);
		yl_pg_add_int(&p, lock);
		code = run_ok(c, a, "SELECT pg_advisory_xact_lock($1::bigint)", &p, "begin", err);
	}
	if (code == YL_OK && lock == YL_PG_LOCK_CHANGES) {
		/* a statement after the lock: its snapshot sees every commit before it */
		PGresult *r = run(c, a, "SELECT coalesce(max(seq), 0) FROM history", NULL, true,
		                  "begin", err);
		if (r) {
			c->last_seq = c->begin_seq = yl_pg_col_int(r, 0, 0);
			PQclear(r);
		} else {
			code = err->code;
		}
	}
	return code;
}

static void tx_rollback(struct pg_conn *c)
{
	if (PQstatus(c->db) == CONNECTION_OK)
		PQclear(PQexec(c->db, "ROLLBACK"));
	c->in_tx = false;
	c->tx_wrote = false;
	c->hold = false;
	c->nheld = 0;
	c->npend = 0;
	if (c->pend_slots)
		memset(c->pend_slots, 0, c->pend_slot_cap * sizeof(*c->pend_slots));
	exp_clear(c);
}

static enum yl_code tx_commit(struct pg_conn *c, struct yl_arena *a, struct yl_err *err)
{
	enum yl_code code = YL_OK;
	if (c->nheld || c->npend)
		code = flush_held(c, a, err);
	c->hold = false;
	if (code == YL_OK && c->tx_wrote) {
		/* delivered to every listening node when (and only if) the commit succeeds */
		struct yl_pg_params p;
		yl_pg_params_init(&p, a);
		yl_pg_add_int(&p, c->last_seq);
		code = run_ok(c, a, "SELECT pg_notify('" NOTIFY_CHANNEL "', $1::text)", &p,
		              "commit", err);
	}
	if (code == YL_OK)
		code = run_ok(c, a, "COMMIT", NULL, "commit", err);
	if (code != YL_OK) {
		tx_rollback(c);
		return code;
	}
	/* a fresh load's own commit: it is still alone if nobody wrote before it */
	int64_t fresh = atomic_load(&c->store->fresh_seq);
	if (fresh >= 0 && c->begin_seq == fresh)
		atomic_compare_exchange_strong(&c->store->fresh_seq, &fresh, c->last_seq);
	c->in_tx = false;
	c->tx_wrote = false;
	exp_clear(c);
	return YL_OK;
}

enum yl_code yl_pg_in_tx(struct yl_store_conn *yc, struct yl_arena *a, int64_t lock, yl_pg_tx_fn fn,
                         void *ctx, const struct yl_audit_rec *audit, const char *what,
                         struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	bool own = !c->in_tx;
	enum yl_code code = own ? tx_begin(c, a, lock, err) : YL_OK;
	if (code == YL_OK && fn)
		code = fn(yc, a, ctx, err);
	if (code == YL_OK && audit)
		code = yl_pg_audit_insert(yc, a, audit, 1, err);
	if (!own)
		return code;
	if (code == YL_OK)
		return tx_commit(c, a, err);
	tx_rollback(c);
	(void)what;
	return code;
}

/* ---- the group commit --------------------------------------------------------------- */

static enum yl_code run_job(struct pg_conn *c, struct job *j)
{
	if (j->w)
		return write_locked(c, j->a, j->w, j->err);
	return yl_pg_audit_insert(YC(c), j->a, j->audit, j->naudit, j->err);
}

static void fail_batch(struct job *batch, struct pg_conn *c, enum yl_code code, const char *what)
{
	for (struct job *j = batch; j; j = j->next)
		if (j->code == YL_OK)
			j->code =
			    yl_err_add(j->err, j->a, code, NULL,
			               code == YL_UNAVAILABLE
			                   ? "%s: the database is not reachable (restarting?); "
			                     "nothing was stored; retry in a moment"
			                   : "%s failed in the database; nothing was stored",
			               what);
	(void)c;
}

/* One transaction for a batch: each job in its own savepoint, so one that fails leaves
 * nothing while the others commit. */
static void commit_batch(struct pg_conn *c, struct job *batch)
{
	struct yl_arena *a = batch->a;
	struct yl_err e;
	yl_err_init(&e);
	bool writes = false;
	for (struct job *j = batch; j; j = j->next)
		writes |= j->w != NULL;
	if (tx_begin(c, a, writes ? YL_PG_LOCK_CHANGES : 0, &e) != YL_OK) {
		tx_rollback(c);
		fail_batch(batch, c, e.code ? e.code : YL_STORE, "write");
		return;
	}
	for (struct job *j = batch; j; j = j->next) {
		if (!batch->next) { /* alone: the transaction is its savepoint */
			j->code = run_job(c, j);
			if (j->code != YL_OK) {
				tx_rollback(c);
				return;
			}
			continue;
		}
		enum yl_code code = run_ok(c, j->a, "SAVEPOINT w", NULL, "write", j->err);
		if (code == YL_OK) {
			j->code = run_job(c, j);
			if (j->code != YL_OK)
				code = run_ok(c, j->a, "ROLLBACK TO w", NULL, "write", &e);
			if (code == YL_OK)
				code = run_ok(c, j->a, "RELEASE w", NULL, "write", &e);
		}
		if (code != YL_OK) { /* the transaction is lost: nothing of the batch is stored */
			tx_rollback(c);
			for (struct job *k = batch; k; k = k->next)
				k->code = YL_OK;
			fail_batch(batch, c, e.code ? e.code : code, "write");
			return;
		}
	}
	yl_err_init(&e);
	if (tx_commit(c, a, &e) != YL_OK) {
		/* the commit failed: no job of the batch is stored, whatever it said */
		for (struct job *j = batch; j; j = j->next)
			j->code = YL_OK;
		fail_batch(batch, c, e.code ? e.code : YL_STORE, "commit");
	}
}

static enum yl_code group_commit(struct pg_conn *c, struct job self)
{
	struct pg_store *s = c->store;
	pthread_mutex_lock(&s->queue_mu);
	*s->queue_tail = &self;
	s->queue_tail = &self.next;
	/* Lead batches until this thread's own job has run: a batch takes at most
	 * GROUP_COMMIT_MAX jobs from the head of the queue, which need not include ours. */
	for (;;) {
		while (!self.done && s->leading)
			pthread_cond_wait(&s->queue_cv, &s->queue_mu);
		if (self.done)
			break;
		s->leading = true;
		struct job *batch = s->queue, **cut = &s->queue;
		for (int n = 0; *cut && n < GROUP_COMMIT_MAX; n++)
			cut = &(*cut)->next;
		s->queue = *cut;
		*cut = NULL;
		if (!s->queue)
			s->queue_tail = &s->queue;
		pthread_mutex_unlock(&s->queue_mu);

		commit_batch(c, batch); /* on this thread's connection */

		pthread_mutex_lock(&s->queue_mu);
		for (struct job *j = batch, *next; j; j = next) {
			next = j->next; /* read before done: the owner may return at once */
			j->done = true;
		}
		s->leading = false;
		pthread_cond_broadcast(&s->queue_cv);
	}
	pthread_mutex_unlock(&s->queue_mu);
	return self.code;
}

static enum yl_code pg_write(struct yl_store_conn *yc, struct yl_arena *a, struct yl_write *w,
                             struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	if (c->in_tx)
		return write_locked(c, a, w, err);
	return group_commit(c, (struct job){.w = w, .a = a, .err = err});
}

enum yl_code yl_pg_audit_append(struct yl_store_conn *yc, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	if (n == 0)
		return YL_OK;
	if (c->in_tx)
		return yl_pg_audit_insert(yc, a, ev, n, err);
	return group_commit(c, (struct job){.audit = ev, .naudit = n, .a = a, .err = err});
}

/* ---- transactions of the caller (transaction Bundles, imports) ---------------------- */

static enum yl_code pg_begin(struct yl_store_conn *yc, struct yl_arena *a, struct yl_err *err)
{
	struct pg_conn *c = C(yc);
	enum yl_code code = tx_begin(c, a, YL_PG_LOCK_CHANGES, err);
	if (code != YL_OK)
		tx_rollback(c);
	return code;
}

static bool pg_in_transaction(const struct yl_store_conn *yc)
{
	return ((const struct pg_conn *)(const void *)yc)->in_tx;
}

static void pg_hold_index(struct yl_store_conn *yc)
{
	C(yc)->hold = true;
}

static enum yl_code pg_flush_index(struct yl_store_conn *yc, struct yl_arena *a, struct yl_err *err)
{
	return flush_held(C(yc), a, err);
}

static enum yl_code pg_commit(struct yl_store_conn *yc, struct yl_arena *a, struct yl_err *err)
{
	return tx_commit(C(yc), a, err);
}

static void pg_rollback(struct yl_store_conn *yc)
{
	tx_rollback(C(yc));
}

/* ---- history and the change log ----------------------------------------------------- */

#define HIST_BODY                                                                                  \
	"coalesce(h.body, (SELECT r.body FROM resource r WHERE r.type = h.type AND r.id = h.id "   \
	"AND r.version = h.version))"

static enum yl_code pg_history(struct yl_store_conn *yc, struct yl_arena *a, const char *type,
                               const char *id, int64_t since_us, int64_t before, int limit,
                               yl_row_fn fn, void *ctx, struct yl_err *err)
{
	static const char *const sql[3] = {
	    "SELECT h.type, h.id, h.version, h.seq, h.op = 'delete', " HIST_BODY
	    ", h.version, h.patient FROM history h WHERE h.type = $1 AND h.id = $2 AND h.seq >= "
	    "$3::bigint AND h.version < $4::bigint ORDER BY h.version DESC LIMIT $5::int",
	    "SELECT h.type, h.id, h.version, h.seq, h.op = 'delete', " HIST_BODY
	    ", h.seq, h.patient FROM history h WHERE h.type = $1 AND h.seq >= $3::bigint AND "
	    "h.seq < $4::bigint AND ($2::text IS NULL) ORDER BY h.seq DESC LIMIT $5::int",
	    "SELECT h.type, h.id, h.version, h.seq, h.op = 'delete', " HIST_BODY
	    ", h.seq, h.patient FROM history h WHERE h.seq >= $3::bigint AND h.seq < $4::bigint "
	    "AND ($1::text IS NULL) AND ($2::text IS NULL) ORDER BY h.seq DESC LIMIT $5::int",
	};
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, type);
	yl_pg_add_text(&p, id);
	yl_pg_add_int(&p, since_us);
	yl_pg_add_int(&p, before > 0 ? before : INT64_MAX);
	yl_pg_add_int(&p, limit);
	PGresult *r = run(C(yc), a, sql[id ? 0 : type ? 1 : 2], &p, true, "history", err);
	if (!r)
		return err->code;
	enum yl_code code = YL_OK;
	for (int i = 0, n = PQntuples(r); i < n; i++) {
		struct yl_row row = {0};
		row.type = yl_pg_col_text(a, r, i, 0, NULL);
		row.id = yl_pg_col_text(a, r, i, 1, NULL);
		row.version = yl_pg_col_int(r, i, 2);
		row.last_updated = yl_pg_col_int(r, i, 3);
		row.deleted = yl_pg_col_int(r, i, 4) != 0;
		row.body = yl_pg_col_body(a, r, i, 5, &row.body_len);
		row.seq = yl_pg_col_int(r, i, 6);
		row.patient = yl_pg_col_text(a, r, i, 7, NULL);
		if (!row.type || !row.id || (!row.deleted && !row.body)) {
			code = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory listing history");
			break;
		}
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return code;
}

static enum yl_code pg_history_count(struct yl_store_conn *yc, struct yl_arena *a, const char *type,
                                     const char *id, int64_t since_us, int64_t *count,
                                     struct yl_err *err)
{
	static const char *const sql[3] = {
	    "SELECT count(*) FROM history WHERE type = $1 AND id = $2 AND seq >= $3::bigint",
	    "SELECT count(*) FROM history WHERE type = $1 AND seq >= $3::bigint AND "
	    "($2::text IS NULL)",
	    "SELECT count(*) FROM history WHERE seq >= $3::bigint AND ($1::text IS NULL) AND "
	    "($2::text IS NULL)",
	};
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, type);
	yl_pg_add_text(&p, id);
	yl_pg_add_int(&p, since_us);
	PGresult *r = run(C(yc), a, sql[id ? 0 : type ? 1 : 2], &p, true, "history count", err);
	if (!r)
		return err->code;
	*count = yl_pg_col_int(r, 0, 0);
	PQclear(r);
	return YL_OK;
}

static enum yl_code pg_changes(struct yl_store_conn *yc, struct yl_arena *a, int64_t after,
                               int limit, yl_change_fn fn, void *ctx, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, after);
	yl_pg_add_int(&p, limit);
	PGresult *r = run(C(yc), a,
	                  "SELECT seq, type, id, patient FROM history WHERE seq > $1::bigint "
	                  "ORDER BY seq LIMIT $2::int",
	                  &p, true, "change log", err);
	if (!r)
		return err->code;
	for (int i = 0, n = PQntuples(r); i < n; i++) {
		struct yl_change ch = {yl_pg_col_int(r, i, 0), PQgetvalue(r, i, 1),
		                       PQgetvalue(r, i, 2),
		                       PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3)};
		if (fn(ctx, &ch))
			break;
	}
	PQclear(r);
	return YL_OK;
}

static enum yl_code pg_last_seq(struct yl_store_conn *yc, struct yl_arena *a, int64_t *seq,
                                struct yl_err *err)
{
	PGresult *r = run(C(yc), a, "SELECT coalesce(max(seq), 0) FROM history", NULL, true,
	                  "change log", err);
	if (!r)
		return err->code;
	*seq = yl_pg_col_int(r, 0, 0);
	PQclear(r);
	return YL_OK;
}

/* ---- bulk export -------------------------------------------------------------------- */

static enum yl_code pg_scan(struct yl_store_conn *yc, struct yl_arena *a, const char *type,
                            const char *patient, int64_t since_us, int64_t after, int limit,
                            yl_row_fn fn, void *ctx, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, type);
	yl_pg_add_int(&p, after);
	yl_pg_add_int(&p, since_us);
	yl_pg_add_int(&p, limit);
	const char *sql =
	    "SELECT rowid, id, version, last_updated, body FROM resource WHERE type = $1 AND "
	    "rowid > $2::bigint AND deleted = 0 AND last_updated >= $3::bigint ORDER BY rowid "
	    "LIMIT $4::int";
	if (patient && *patient) {
		yl_pg_add_text(&p, patient);
		sql = "SELECT rowid, id, version, last_updated, body FROM resource_p WHERE "
		      "patient = $5 AND type = $1 AND rowid > $2::bigint AND deleted = 0 AND "
		      "last_updated >= $3::bigint ORDER BY rowid LIMIT $4::int";
	} else if (patient) {
		sql = "SELECT rowid, id, version, last_updated, body FROM resource_p WHERE "
		      "type = $1 AND rowid > $2::bigint AND deleted = 0 AND last_updated >= "
		      "$3::bigint ORDER BY rowid LIMIT $4::int";
	}
	PGresult *r = run(C(yc), a, sql, &p, true, "scan", err);
	if (!r)
		return err->code;
	enum yl_code code = YL_OK;
	for (int i = 0, n = PQntuples(r); i < n; i++) {
		struct yl_row row = {.type = type};
		row.seq = yl_pg_col_int(r, i, 0);
		row.id = yl_pg_col_text(a, r, i, 1, NULL);
		row.version = yl_pg_col_int(r, i, 2);
		row.last_updated = yl_pg_col_int(r, i, 3);
		row.body = yl_pg_col_body(a, r, i, 4, &row.body_len);
		if (!row.id || !row.body) {
			code =
			    yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reading resources");
			break;
		}
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return code;
}

/* ---- store_meta --------------------------------------------------------------------- */

/* Store-level calls run on the calling thread's connection. */
static struct pg_conn *any_conn(struct pg_store *s, struct yl_arena *a, struct yl_err *err)
{
	return C(pg_conn((struct yl_store *)s, a, err));
}

static enum yl_code pg_meta_get(struct yl_store *ys, struct yl_arena *a, const char *key,
                                const char **value, struct yl_err *err)
{
	*value = NULL;
	struct pg_conn *c = any_conn(S(ys), a, err);
	if (!c)
		return err->code;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, key);
	PGresult *r =
	    run(c, a, "SELECT value FROM store_meta WHERE key = $1", &p, true, "meta", err);
	if (!r)
		return err->code;
	if (PQntuples(r) > 0)
		*value = yl_pg_col_text(a, r, 0, 0, NULL);
	PQclear(r);
	return YL_OK;
}

static enum yl_code pg_meta_set(struct yl_store *ys, struct yl_arena *a, const char *key,
                                const char *value, struct yl_err *err)
{
	struct pg_conn *c = any_conn(S(ys), a, err);
	if (!c)
		return err->code;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, key);
	yl_pg_add_text(&p, value);
	return run_ok(c, a,
	              "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO "
	              "UPDATE SET value = excluded.value",
	              &p, "meta", err);
}

static bool pg_is_empty(struct yl_store *ys)
{
	struct yl_arena *a = yl_arena_create(4096);
	struct yl_err e;
	yl_err_init(&e);
	struct pg_conn *c = a ? any_conn(S(ys), a, &e) : NULL;
	PGresult *r =
	    c ? run(c, a, "SELECT NOT EXISTS (SELECT 1 FROM history)", NULL, true, "meta", &e)
	      : NULL;
	bool empty = r && yl_pg_col_int(r, 0, 0) != 0;
	PQclear(r);
	yl_arena_destroy(a);
	return empty;
}

/* ---- bulk loads --------------------------------------------------------------------- */

/* A bulk load into an empty store drops the secondary indexes of the idx_* tables, of
 * history ((type, id, version), (type, seq)) and resource's by type and by patient, and
 * builds them after the rows, each with one sort (in parallel workers) instead of an
 * insert at a random place per row: at ~30 index rows a resource, PostgreSQL's per-row
 * index inserts held a load to ~5,000 resources/s. Primary keys stay (they lead with the
 * row or seq: a load appends to them), and so does resource (type, id), which the load
 * reads. The definitions wait in store_meta ("deferred:NAME"), so a killed load leaves a
 * record of what is missing; yl_store_open builds them. */
#define DEFERRABLE_SQL                                                                             \
	"SELECT c.relname, pg_get_indexdef(i.indexrelid), coalesce(k.conname, '') FROM pg_index "  \
	"i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid LEFT "    \
	"JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype = 'p' WHERE t.relname "   \
	"IN ('idx_token_p', 'idx_token_r', 'idx_string_p', 'idx_string_r', 'idx_date_p', "         \
	"'idx_date_r', 'idx_number_p', 'idx_number_r', 'idx_quantity_p', 'idx_quantity_r', "       \
	"'idx_reference_p', 'idx_reference_r', 'idx_uri_p', 'idx_uri_r', 'idx_composite_p', "      \
	"'idx_composite_r') OR c.relname IN ('history_p_version', "                                \
	"'history_p_type', 'history_r_type', 'resource_p_type_row', 'resource_r_type_row', "       \
	"'resource_p_patient') ORDER BY 1"

static enum yl_code pg_defer_indexes(struct yl_store *ys, int *n, struct yl_arena *a,
                                     struct yl_err *err)
{
	*n = 0;
	struct pg_conn *c = any_conn(S(ys), a, err);
	if (!c)
		return err->code;
	enum yl_code code = tx_begin(c, a, YL_PG_LOCK_CHANGES, err);
	PGresult *r = code == YL_OK ? run(c, a, DEFERRABLE_SQL, NULL, false, "defer", err) : NULL;
	if (code == YL_OK && !r)
		code = err->code;
	for (int i = 0, rows = r ? PQntuples(r) : 0; code == YL_OK && i < rows; i++) {
		const char *name = PQgetvalue(r, i, 0), *def = PQgetvalue(r, i, 1);
		const char *pkey = PQgetvalue(r, i, 2);
		/* a primary key comes back as ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY */
		const char *table = strstr(def, " ON ONLY ") ? strstr(def, " ON ONLY ") + 9
		                    : strstr(def, " ON ")    ? strstr(def, " ON ") + 4
		                                             : "";
		const char *cols = strchr(def, '(');
		/* a partitioned table's index comes back as CREATE INDEX ... ON ONLY t, which
		 * would build no partition's: without ONLY it builds them all */
		const char *only = strstr(def, " ON ONLY ");
		const char *redo =
		    *pkey  ? yl_arena_printf(a, "ALTER TABLE %.*s ADD CONSTRAINT %s PRIMARY KEY %s",
		                             (int)strcspn(table, " "), table, pkey, cols ? cols : "")
		    : only ? yl_arena_printf(a, "%.*s ON %s", (int)(only - def), def, only + 9)
		           : def;
		const char *drop = *pkey ? yl_arena_printf(a, "ALTER TABLE %.*s DROP CONSTRAINT %s",
		                                           (int)strcspn(table, " "), table, pkey)
		                         : yl_arena_printf(a, "DROP INDEX %s", name);
		struct yl_pg_params p;
		yl_pg_params_init(&p, a);
		yl_pg_add_text(&p, yl_arena_printf(a, "deferred:%s", name));
		yl_pg_add_text(&p, redo);
		code = run_ok(c, a, "INSERT INTO store_meta (key, value) VALUES ($1, $2)", &p,
		              "defer", err);
		PGresult *d = code == YL_OK ? run(c, a, drop, NULL, false, "defer", err) : NULL;
		if (code == YL_OK && !d)
			code = err->code;
		PQclear(d);
		if (code == YL_OK)
			++*n;
		if (code == YL_OK && *pkey)
			atomic_store(&c->store->keys_deferred, true);
	}
	PQclear(r);
	c->tx_wrote = false;
	bool empty = c->last_seq == 0;
	if (code == YL_OK && (code = tx_commit(c, a, err)) == YL_OK && empty)
		atomic_store(&c->store->fresh_seq, 0); /* a fresh load: see pg_expect */
	if (code == YL_OK)
		return YL_OK;
	tx_rollback(c);
	*n = 0;
	return code;
}

/* Deferred index builds shared by BUILD_CONNS connections (see pg_build_deferred). */
struct build {
	struct pg_store *s;
	PGresult *list; /* key, statement */
	int next, rows, built;
	pthread_mutex_t mu;
	yl_build_progress_fn progress;
	void *ctx;
	enum yl_code code; /* the first failure */
	struct yl_err *err;
	struct yl_arena *a; /* err's, used under mu */
};

/* Build the listed indexes on c, one after another, until none is left or one failed. */
static void build_some(struct build *b, struct pg_conn *c, struct yl_arena *a)
{
	struct yl_err e;
	yl_err_init(&e);
	enum yl_code code =
	    run_ok(c, a, "SET maintenance_work_mem = '256MB'", NULL, "building search indexes", &e);
	for (;;) {
		pthread_mutex_lock(&b->mu);
		if (code != YL_OK && b->code == YL_OK)
			b->code =
			    yl_err_add(b->err, b->a, code, NULL, "%s",
			               e.first ? e.first->message : "building search indexes");
		int i = b->code == YL_OK && b->next < b->rows ? b->next++ : -1;
		const char *key = i >= 0 ? PQgetvalue(b->list, i, 0) : NULL;
		if (key && b->progress)
			b->progress(b->ctx, key + 9, i, b->rows);
		pthread_mutex_unlock(&b->mu);
		if (!key)
			return;
		PGresult *r = run(c, a, PQgetvalue(b->list, i, 1), NULL, false,
		                  "building search indexes", &e);
		code = r ? YL_OK : e.code ? e.code : YL_STORE;
		PQclear(r);
		if (code == YL_OK) {
			struct yl_pg_params p;
			yl_pg_params_init(&p, a);
			yl_pg_add_text(&p, key);
			code = run_ok(c, a, "DELETE FROM store_meta WHERE key = $1", &p,
			              "building search indexes", &e);
		}
		if (code == YL_OK) {
			pthread_mutex_lock(&b->mu);
			b->built++;
			pthread_mutex_unlock(&b->mu);
		}
	}
}

static void *build_main(void *arg)
{
	struct build *b = arg;
	struct yl_arena *a = yl_arena_create(1 << 12);
	struct yl_err e;
	yl_err_init(&e);
	struct pg_conn *c = NULL;
	if (a && conn_open(b->s, &c, false, a, &e) == YL_OK) /* else the others build it all */
		build_some(b, c, a);
	conn_free(c);
	yl_arena_destroy(a);
	return NULL;
}

/* The indexes a bulk load deferred, built by BUILD_CONNS connections at once (each
 * CREATE INDEX sorts on one core; the tables are independent). */
static enum yl_code pg_build_deferred(struct yl_store *ys, yl_build_progress_fn progress, void *ctx,
                                      int *n, struct yl_arena *a, struct yl_err *err)
{
	*n = 0;
	struct pg_conn *c = any_conn(S(ys), a, err);
	if (!c)
		return err->code;
	struct build b = {.s = S(ys), .progress = progress, .ctx = ctx, .err = err, .a = a};
	b.list = run(c, a,
	             "SELECT key, value FROM store_meta WHERE key LIKE 'deferred:%' ORDER BY "
	             "value LIKE 'ALTER%' DESC, key",
	             NULL, true, "building search indexes", err);
	if (!b.list)
		return err->code;
	b.rows = PQntuples(b.list);
	pthread_mutex_init(&b.mu, NULL);
	/* this thread's statements in an arena of their own: a is the failure's (under mu) */
	struct yl_arena *mine = yl_arena_create(1 << 12);
	pthread_t helpers[BUILD_CONNS - 1];
	bool started[BUILD_CONNS - 1] = {false};
	for (int i = 0; mine && i < BUILD_CONNS - 1 && b.rows > i + 1; i++)
		started[i] = pthread_create(&helpers[i], NULL, build_main, &b) == 0;
	if (mine)
		build_some(&b, c, mine);
	else
		b.code = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory building indexes");
	for (int i = 0; i < BUILD_CONNS - 1; i++)
		if (started[i])
			pthread_join(helpers[i], NULL);
	yl_arena_destroy(mine);
	pthread_mutex_destroy(&b.mu);
	PQclear(b.list);
	*n = b.built;
	atomic_store(&S(ys)->fresh_seq, -1); /* the load is over */
	if (b.code == YL_OK)
		atomic_store(&S(ys)->keys_deferred, false);
	return b.code; /* statistics: autovacuum analyzes the loaded tables soon after */
}

static enum yl_code pg_bulk_exclusive(struct yl_store *s, bool on, bool *on_ok, struct yl_arena *a,
                                      struct yl_err *err)
{
	(void)s, (void)on, (void)a, (void)err;
	if (on_ok)
		*on_ok = false; /* a shared database is never had alone */
	return YL_OK;
}

static enum yl_code reindex_batch(struct pg_conn *c, yl_reindex_fn fn, void *ctx, int64_t *after,
                                  int *done, struct yl_arena *a, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, *after);
	yl_pg_add_int(&p, REINDEX_BATCH);
	PGresult *r = run(c, a,
	                  "SELECT rowid, type, id, version, last_updated, patient, body FROM "
	                  "resource WHERE deleted = 0 AND rowid > $1::bigint ORDER BY rowid LIMIT "
	                  "$2::int",
	                  &p, true, "reindex", err);
	if (!r)
		return err->code;
	enum yl_code code = YL_OK;
	*done = 0;
	for (int i = 0, n = PQntuples(r); i < n && code == YL_OK; i++) {
		struct yl_row row = {0};
		int64_t res = yl_pg_col_int(r, i, 0);
		row.type = yl_pg_col_text(a, r, i, 1, NULL);
		row.id = yl_pg_col_text(a, r, i, 2, NULL);
		row.version = yl_pg_col_int(r, i, 3);
		row.last_updated = yl_pg_col_int(r, i, 4);
		const char *patient = yl_pg_col_text(a, r, i, 5, NULL);
		row.body = yl_pg_col_body(a, r, i, 6, &row.body_len);
		struct yl_index_row *rows = NULL;
		size_t nrows = 0;
		struct yl_err ferr;
		yl_err_init(&ferr);
		if (!row.type || !row.id || !row.body ||
		    fn(ctx, a, &row, patient, &rows, &nrows, &ferr) != YL_OK) {
			code = yl_err_add(err, a, ferr.code ? ferr.code : YL_NOMEM, NULL,
			                  "reindex stopped at %s/%s: %s", row.type ? row.type : "?",
			                  row.id ? row.id : "?",
			                  ferr.first ? ferr.first->message : "out of memory");
			break;
		}
		struct yl_write w = {.type = row.type,
		                     .id = row.id,
		                     .patient = patient,
		                     .index = rows,
		                     .index_count = nrows};
		code = write_index(c, a, &w, res, true, patient, err);
		*after = res;
		++*done;
	}
	PQclear(r);
	return code;
}

static enum yl_code pg_reindex(struct yl_store *ys, yl_reindex_fn fn, void *ctx, int64_t *count,
                               struct yl_err *err, struct yl_arena *a)
{
	struct pg_conn *c = any_conn(S(ys), a, err);
	if (!c)
		return err->code;
	int64_t after = 0;
	*count = 0;
	for (;;) {
		struct yl_arena *ba = yl_arena_create(1 << 20);
		if (!ba)
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reindexing");
		int n = 0;
		enum yl_code code = tx_begin(c, ba, YL_PG_LOCK_CHANGES, err);
		if (code == YL_OK)
			code = reindex_batch(c, fn, ctx, &after, &n, ba, err);
		c->tx_wrote = false; /* no change-log rows: nothing to tell other nodes */
		if (code == YL_OK)
			code = tx_commit(c, ba, err);
		else
			tx_rollback(c);
		if (code != YL_OK && err->first) /* the message is in the batch arena */
			err->first->message = yl_arena_strdup(a, err->first->message);
		yl_arena_destroy(ba);
		if (code != YL_OK || n == 0)
			return code;
		*count += n;
	}
}

/* ---- the change-log watcher: LISTEN yl_changes on a connection of its own ------------ */

static void *watch_main(void *arg)
{
	struct pg_store *s = arg;
	PGconn *db = NULL;
	int backoff_ms = 100;
	for (;;) {
		pthread_mutex_lock(&s->watch_mu);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->watch_mu);
		if (stop)
			break;
		if (!db || PQstatus(db) != CONNECTION_OK) {
			if (db)
				PQfinish(db);
			db = PQconnectdb(s->conninfo);
			PGresult *r = db && PQstatus(db) == CONNECTION_OK
			                  ? PQexec(db, "LISTEN " NOTIFY_CHANNEL)
			                  : NULL;
			bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
			PQclear(r);
			if (!ok) {
				struct timespec ts = {0, (long)backoff_ms * 1000000L};
				nanosleep(&ts, NULL);
				backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
				continue;
			}
			backoff_ms = 100;
			/* changes may have been missed while away: wake the tailers once */
			pthread_mutex_lock(&s->watch_mu);
			if (s->watch_fn)
				s->watch_fn(s->watch_ctx);
			pthread_mutex_unlock(&s->watch_mu);
		}
		struct pollfd pfd = {.fd = PQsocket(db), .events = POLLIN};
		int rc = poll(&pfd, 1, 200);
		if (rc < 0 && errno != EINTR)
			continue;
		if (rc > 0 && !PQconsumeInput(db))
			continue; /* lost: reconnect above */
		bool any = false;
		PGnotify *n;
		while ((n = PQnotifies(db))) {
			any = true;
			PQfreemem(n);
		}
		if (any) {
			pthread_mutex_lock(&s->watch_mu);
			if (s->watch_fn)
				s->watch_fn(s->watch_ctx);
			pthread_mutex_unlock(&s->watch_mu);
		}
	}
	if (db)
		PQfinish(db);
	return NULL;
}

static void pg_watch(struct yl_store *ys, void (*fn)(void *ctx), void *ctx)
{
	struct pg_store *s = S(ys);
	pthread_mutex_lock(&s->watch_mu);
	s->watch_fn = fn;
	s->watch_ctx = ctx;
	bool start = fn && !s->watching;
	if (start)
		s->watching = true;
	pthread_mutex_unlock(&s->watch_mu);
	if (start && pthread_create(&s->watcher, NULL, watch_main, s) != 0) {
		yl_log(YL_LOG_WARN, "store: cannot start the change-log watcher; other nodes' "
		                    "changes arrive by polling only");
		s->watching = false;
	}
}

static void watch_stop(struct pg_store *s)
{
	pthread_mutex_lock(&s->watch_mu);
	bool running = s->watching;
	s->stopping = true;
	s->watch_fn = NULL;
	pthread_mutex_unlock(&s->watch_mu);
	if (running)
		pthread_join(s->watcher, NULL);
	s->watching = false;
}

/* ---- the table -------------------------------------------------------------------- */

const struct yl_store_ops yl_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .conn = pg_conn,
    .conn_release = pg_conn_release,
    .set_cache = pg_set_cache,
    .set_writer_cache = pg_set_writer_cache,
    .prewarm = pg_prewarm,
    .schema_version = pg_schema_version,
    .read = pg_read,
    .write = pg_write,
    .history = pg_history,
    .history_count = pg_history_count,
    .changes = pg_changes,
    .last_seq = pg_last_seq,
    .watch = pg_watch,
    .scan = pg_scan,
    .search = yl_pg_search,
    .include = yl_pg_include,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .is_empty = pg_is_empty,
    .defer_indexes = pg_defer_indexes,
    .build_deferred = pg_build_deferred,
    .bulk_exclusive = pg_bulk_exclusive,
    .reindex = pg_reindex,
    .user_get = yl_pg_user_get,
    .user_put = yl_pg_user_put,
    .user_list = yl_pg_user_list,
    .user_none = yl_pg_user_none,
    .token_put = yl_pg_token_put,
    .token_get = yl_pg_token_get,
    .token_revoke = yl_pg_token_revoke,
    .token_list = yl_pg_token_list,
    .grant_put = yl_pg_grant_put,
    .grant_list = yl_pg_grant_list,
    .audit_append = yl_pg_audit_append,
    .audit_scan = yl_pg_audit_scan,
    .begin = pg_begin,
    .in_transaction = pg_in_transaction,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .hold_index = pg_hold_index,
    .flush_index = pg_flush_index,
    .expect = pg_expect,
};
