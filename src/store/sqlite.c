/* sqlite.c -- the SQLite backend of store.h: WAL mode, one connection per thread,
 * writers serialised by a process mutex (no busy-wait between our own threads). */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "store/backend.h"
#include "store/body.h"
#include "store/migrations.h"
#include "store/search.h"
#include "store/sqlite-int.h"
#include "store/store.h"

#define VERSIONS_KEY          "deferred:index:history_version"
#define VERSIONS_DEFERRED_SQL "SELECT count(*) FROM store_meta WHERE key = '" VERSIONS_KEY "'"

struct yl_store_conn;
static int build_versions(struct yl_store_conn *c);
static enum yl_code write_audit(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_write *w, struct yl_err *err);

enum stmt_id {
	ST_SCAN,
	ST_SCAN_COMPARTMENT,
	ST_SCAN_PATIENT,
	ST_READ_CURRENT,
	ST_READ_VERSION,
	ST_HEAD,
	ST_UPSERT,
	ST_HISTORY,
	ST_HIST_KEEP,
	ST_IDX_DEL_TOKEN,
	ST_IDX_DEL_STRING,
	ST_IDX_DEL_DATE,
	ST_IDX_DEL_NUMBER,
	ST_IDX_DEL_QUANTITY,
	ST_IDX_DEL_REFERENCE,
	ST_IDX_DEL_URI,
	ST_IDX_DEL_COMPOSITE,
	ST_HIST_INSTANCE,
	ST_HIST_TYPE,
	ST_HIST_SYSTEM,
	ST_COUNT_INSTANCE,
	ST_COUNT_TYPE,
	ST_COUNT_SYSTEM,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_ROLLBACK_TO,
	ST_REINDEX_SCAN,
	ST_RELEASE,
	ST_CHANGES,
	ST_LAST_SEQ,
	ST__COUNT
};

/* A version's body: the current version's lives only in resource (history keeps NULL until
 * a newer version is written, ST_HIST_KEEP), so every body is stored once. */
#define HIST_BODY                                                                                  \
	"coalesce(body, (SELECT r.body FROM resource r WHERE r.type = history.type "               \
	"AND r.id = history.id AND r.version = history.version))"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_SCAN] = "SELECT rowid, id, version, last_updated, body FROM resource "
                "WHERE type = ?1 AND rowid > ?2 AND deleted = 0 AND last_updated >= ?3 "
                "ORDER BY rowid LIMIT ?4",
    [ST_SCAN_COMPARTMENT] = "SELECT rowid, id, version, last_updated, body FROM resource "
                            "WHERE type = ?1 AND rowid > ?2 AND deleted = 0 AND "
                            "last_updated >= ?3 AND patient IS NOT NULL ORDER BY rowid LIMIT ?4",
    [ST_SCAN_PATIENT] = "SELECT rowid, id, version, last_updated, body FROM resource "
                        "WHERE patient = ?5 AND type = ?1 AND rowid > ?2 AND deleted = 0 AND "
                        "last_updated >= ?3 ORDER BY rowid LIMIT ?4",
    [ST_READ_CURRENT] = "SELECT version, last_updated, deleted, body, patient FROM resource "
                        "WHERE type = ?1 AND id = ?2",
    [ST_READ_VERSION] = "SELECT version, seq, op = 'delete', " HIST_BODY ", patient FROM history "
                        "WHERE type = ?1 AND id = ?2 AND version = ?3",
    [ST_HEAD] = "SELECT version, last_updated, deleted, rowid, patient FROM resource "
                "WHERE type = ?1 AND id = ?2",
    [ST_UPSERT] = "INSERT INTO resource (type, id, version, last_updated, deleted, patient, body) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (type, id) DO UPDATE SET "
                  "version = excluded.version, last_updated = excluded.last_updated, "
                  "deleted = excluded.deleted, patient = excluded.patient, body = excluded.body",
    [ST_HISTORY] = "INSERT INTO history (seq, type, id, version, op, patient, body) "
                   "VALUES (?4, ?1, ?2, ?3, ?8, ?6, NULL)", /* ?7: the body is in resource */
    [ST_HIST_KEEP] = "UPDATE history SET body = (SELECT body FROM resource WHERE type = ?1 "
                     "AND id = ?2) WHERE type = ?1 AND id = ?2 AND version = ?3 AND body IS NULL "
                     "AND op <> 'delete'",
    [ST_IDX_DEL_TOKEN] = "DELETE FROM idx_token WHERE res = ?1",
    [ST_IDX_DEL_STRING] = "DELETE FROM idx_string WHERE res = ?1",
    [ST_IDX_DEL_DATE] = "DELETE FROM idx_date WHERE res = ?1",
    [ST_IDX_DEL_NUMBER] = "DELETE FROM idx_number WHERE res = ?1",
    [ST_IDX_DEL_QUANTITY] = "DELETE FROM idx_quantity WHERE res = ?1",
    [ST_IDX_DEL_REFERENCE] = "DELETE FROM idx_reference WHERE res = ?1",
    [ST_IDX_DEL_URI] = "DELETE FROM idx_uri WHERE res = ?1",
    [ST_IDX_DEL_COMPOSITE] = "DELETE FROM idx_composite WHERE res = ?1",
    [ST_HIST_INSTANCE] = "SELECT type, id, version, seq, op = 'delete', " HIST_BODY
                         ", version, patient FROM history "
                         "WHERE type = ?1 AND id = ?2 AND seq >= ?3 AND version < ?4 "
                         "ORDER BY version DESC LIMIT ?5",
    [ST_HIST_TYPE] =
        "SELECT type, id, version, seq, op = 'delete', " HIST_BODY ", seq, patient FROM history "
        "WHERE type = ?1 AND seq >= ?3 AND seq < ?4 ORDER BY seq DESC LIMIT ?5",
    [ST_HIST_SYSTEM] =
        "SELECT type, id, version, seq, op = 'delete', " HIST_BODY ", seq, patient FROM history "
        "WHERE seq >= ?3 AND seq < ?4 ORDER BY seq DESC LIMIT ?5",
    [ST_COUNT_INSTANCE] = "SELECT count(*) FROM history WHERE type = ?1 AND id = ?2 "
                          "AND seq >= ?3",
    [ST_COUNT_TYPE] = "SELECT count(*) FROM history WHERE type = ?1 AND seq >= ?3",
    [ST_COUNT_SYSTEM] = "SELECT count(*) FROM history WHERE seq >= ?3",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT w",
    [ST_REINDEX_SCAN] =
        "SELECT rowid, type, id, version, last_updated, patient, body FROM resource "
        "WHERE deleted = 0 AND rowid > ?1 ORDER BY rowid LIMIT ?2",
    [ST_ROLLBACK_TO] = "ROLLBACK TO w",
    [ST_RELEASE] = "RELEASE w",
    [ST_CHANGES] = "SELECT seq, type, id, patient FROM history WHERE seq > ?1 ORDER BY seq "
                   "LIMIT ?2",
    [ST_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM history",
};

/* Search statements kept prepared, keyed by their SQL text: a search's SQL depends on the
 * shape of the query (which parameters, modifiers, sort keys), never on its values, which
 * are bound, so a busy clinic's few shapes are compiled once per connection. Compiling was
 * over half of a search's CPU. Least recently used out; long texts (IN lists) not kept. */
#define SQL_CACHE_SLOTS    64
#define SQL_CACHE_MAX_TEXT 8192

struct cached_sql {
	uint64_t hash;
	char *text; /* malloc'd copy, len bytes */
	size_t len;
	sqlite3_stmt *q;
	uint64_t used; /* tick of the last use; 0 = empty slot */
	bool busy;     /* handed out and not yet released */
};

/* Selectivity estimates remembered per connection: a count only steers the choice of a
 * plan (never what it finds), and the same few values (common name prefixes, codes) are
 * searched again and again, so a count up to ESTIMATE_TTL_US old is good enough. */
#define ESTIMATE_SLOTS  1024
#define ESTIMATE_WAYS   4
#define ESTIMATE_TTL_US 10000000
struct cached_estimate {
	uint64_t key; /* 0: empty */
	int64_t count;
	int64_t at; /* monotonic us */
};

/* Index rows go in up to IDX_MULTI_MAX to an INSERT (one VALUES tuple each): SQLite's
 * cost per statement (step, reset, cursor) is about half of a row's when rows go one at a
 * time (1.1 against 0.6 us a token row at 32 a statement, bench in docs/benchmarks.md). */
#define IDX_MULTI_MAX 16
#define HOLD_MAX      4096 /* held rows flushed at most */

struct held_row {
	int64_t res;
	const char *patient;
	int patient_len; /* measured once per write, not once per row */
	const struct yl_index_row *r;
};

struct yl_store_conn {
	const struct yl_store_ops *ops; /* first: store/backend.h */
	struct yl_store_conn *next;
	struct yl_store *store;
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	sqlite3_stmt *idx_insert[YL_IDX_COMPOSITE + 1][IDX_MULTI_MAX]; /* [kind][rows - 1] */
	struct held_row *held; /* index rows not yet inserted (malloc'd; see write_index) */
	size_t nheld, held_cap;
	bool hold; /* yl_store_hold_index(): insert them at a flush, not per write */
	bool in_bulk;
	bool unconfigured;  /* opened during an exclusive bulk load: pragmas not yet run */
	bool audit_pending; /* events appended since the last commit (yl_sqlite_audit_index) */
	struct cached_sql sql_cache[SQL_CACHE_SLOTS];
	uint64_t sql_tick;
	struct cached_estimate estimates[ESTIMATE_SLOTS];
};

/* Checkpoints run on a background thread, not inside a writer's commit: SQLite's
 * automatic checkpoint (every 1000 WAL pages) copies and fsyncs while the write lock is
 * held, and copies the same hot pages again and again. */
#define CHECKPOINT_INTERVAL_MS   500
#define CHECKPOINT_LOCKED_FRAMES 256 /* copy at most about this much with writers held off */
#define GROUP_COMMIT_MAX         64  /* writes committed together at most */

/* A write waiting for the group commit (see yl_store_write). */
struct job {
	struct job *next;
	struct yl_write *w;               /* a write, or NULL for audit events only: */
	const struct yl_audit_rec *audit; /* events to append (yl_store_audit_append) */
	size_t naudit;
	struct yl_arena *a;
	struct yl_err *err;
	enum yl_code code;
	bool done;
};

struct yl_store {
	const struct yl_store_ops *ops; /* first: store/backend.h */
	char *path;
	pthread_key_t key;
	struct yl_store_conn *writer; /* the one connection that writes, under write_lock */
	pthread_mutex_t queue_mu;     /* guards queue and leading */
	pthread_cond_t queue_cv;
	struct job *queue;
	struct job **queue_tail;
	bool leading;
	pthread_mutex_t write_lock;
	int64_t last_seq; /* newest change-log seq; under write_lock */
	pthread_mutex_t list_lock;
	struct yl_store_conn *conns;
	pthread_t checkpointer;
	bool checkpointer_running;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	bool stopping;
	_Atomic long writes;    /* commits since the last checkpoint */
	int cache_mb;           /* worker connections' page cache; 0 = the default */
	bool exclusive;         /* yl_store_bulk_exclusive() on: the writer's lock, no WAL */
	bool versions_deferred; /* history_version dropped for a bulk load (see build_versions) */
	struct yl_store_conn *spare; /* prewarmed connections not yet claimed; under list_lock */
};

static enum yl_code db_error(struct yl_err *err, struct yl_arena *a, sqlite3 *db, int rc,
                             const char *what)
{
	int primary = rc & 0xff;
	yl_log(YL_LOG_ERROR, "store: %s failed: %s (%d)", what, db ? sqlite3_errmsg(db) : "", rc);
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
		                  "the database is busy (%s); retry the request", what);
	if (primary == SQLITE_FULL)
		return yl_err_add(err, a, YL_STORE, NULL,
		                  "the disk is full (%s); free space and retry", what);
	if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM)
		return yl_err_add(err, a, YL_STORE, NULL,
		                  "the database file cannot be written or opened (%s); "
		                  "check its path and permissions",
		                  what);
	return yl_err_add(err, a, YL_STORE, NULL, "the store failed during %s (sqlite code %d)",
	                  what, rc);
}

static sqlite3_stmt *stmt(struct yl_store_conn *c, enum stmt_id id)
{
	if (!c->st[id]) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                       &c->st[id], NULL) != SQLITE_OK) {
			yl_log(YL_LOG_ERROR, "store: prepare failed: %s", sqlite3_errmsg(c->db));
			return NULL;
		}
	} else {
		sqlite3_reset(c->st[id]);
		sqlite3_clear_bindings(c->st[id]);
	}
	return c->st[id];
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void conn_free(struct yl_store_conn *c)
{
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->st[i]);
	for (int k = 0; k <= YL_IDX_COMPOSITE; k++)
		for (int m = 0; m < IDX_MULTI_MAX; m++)
			sqlite3_finalize(c->idx_insert[k][m]);
	free(c->held);
	for (int i = 0; i < SQL_CACHE_SLOTS; i++) {
		sqlite3_finalize(c->sql_cache[i].q);
		free(c->sql_cache[i].text);
	}
	sqlite3_close(c->db);
	free(c);
}

/* A connection that cannot even be set up: most often another process has the file to
 * itself (yl_store_bulk_exclusive) */
static enum yl_code configure_error(struct yl_err *err, struct yl_arena *a, sqlite3 *db, int rc,
                                    const char *path)
{
	if ((rc & 0xff) != SQLITE_BUSY)
		return db_error(err, a, db, rc, "configure");
	yl_log(YL_LOG_ERROR, "store: %s is locked by another process", path);
	return yl_err_add(err, a, YL_UNAVAILABLE, NULL,
	                  "%s is locked by another process that has it alone (such as yilian "
	                  "import loading an empty store); try again when that has ended",
	                  path);
}

static int conn_configure(struct yl_store_conn *c)
{
	int rc = exec(c->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
	                     "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864; "
	                     "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536; "
	                     "PRAGMA mmap_size = 8589934592; PRAGMA temp_store = MEMORY");
	if (rc == SQLITE_OK && c->store->cache_mb > 0) {
		char pragma[96];
		snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%lld; PRAGMA mmap_size = 0",
		         (long long)c->store->cache_mb * 1024);
		rc = exec(c->db, pragma);
	}
	c->unconfigured = rc != SQLITE_OK;
	return rc;
}

static enum yl_code conn_open(struct yl_store *s, struct yl_store_conn **out, struct yl_arena *a,
                              struct yl_err *err)
{
	struct yl_store_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory opening the store");
	c->ops = &yl_sqlite_ops;
	c->store = s;
	int rc =
	    sqlite3_open_v2(s->path, &c->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		enum yl_code code = db_error(err, a, c->db, rc, "open");
		conn_free(c);
		return code;
	}
	sqlite3_busy_timeout(c->db, 5000);
	/* during an exclusive bulk load the file is locked (and not in WAL): such a connection
	 * reads and writes only through the writer (in_bulk) and is configured after the load */
	c->unconfigured = s->exclusive;
	if (!c->unconfigured && (rc = conn_configure(c)) != SQLITE_OK) {
		enum yl_code code = configure_error(err, a, c->db, rc, s->path);
		conn_free(c);
		return code;
	}
	*out = c;
	return YL_OK;
}

static enum yl_code migrate(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	int rc = exec(c->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                     "applied_at INTEGER NOT NULL)");
	if (rc != SQLITE_OK)
		return db_error(err, a, c->db, rc, "migration bookkeeping");
	for (size_t i = 0; i < yl_migrations_count; i++) {
		const struct yl_migration *m = &yl_migrations[i];
		if ((rc = exec(c->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
			return db_error(err, a, c->db, rc, "migration");
		sqlite3_stmt *q;
		sqlite3_prepare_v2(c->db, "SELECT 1 FROM schema_migrations WHERE version = ?1", -1,
		                   &q, NULL);
		sqlite3_bind_int(q, 1, m->version);
		bool done = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
		if (!done) {
			rc = exec(c->db, m->sql);
			if (rc == SQLITE_OK) {
				sqlite3_prepare_v2(
				    c->db, "INSERT INTO schema_migrations VALUES (?1, ?2, ?3)", -1,
				    &q, NULL);
				sqlite3_bind_int(q, 1, m->version);
				sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
				sqlite3_bind_int64(q, 3, yl_now_us());
				rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
				sqlite3_finalize(q);
			}
			if (rc != SQLITE_OK) {
				enum yl_code code = db_error(err, a, c->db, rc, "migration");
				exec(c->db, "ROLLBACK");
				return code;
			}
			yl_log(YL_LOG_INFO, "store: applied migration %04d %s", m->version,
			       m->name);
		}
		if ((rc = exec(c->db, "COMMIT")) != SQLITE_OK)
			return db_error(err, a, c->db, rc, "migration");
	}
	return YL_OK;
}

/* The single integer a bookkeeping query answers, or 0. */
static int64_t query_int(struct yl_store_conn *c, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void query_int_into(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
}

static void *checkpointer_main(void *arg)
{
	struct yl_store *s = arg;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		yl_log(YL_LOG_ERROR, "store: checkpointer cannot open the database");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 1000);
	/* a connection checkpoints only once it has seen the database is in WAL mode */
	exec(db, "PRAGMA journal_mode = WAL");
	pthread_mutex_lock(&s->ckpt_mu);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CHECKPOINT_INTERVAL_MS / 1000;
		until.tv_nsec += (CHECKPOINT_INTERVAL_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &until);
		if (s->stopping || atomic_exchange(&s->writes, 0) == 0)
			continue;
		pthread_mutex_unlock(&s->ckpt_mu);
		/* First copy the bulk of the WAL while writers go on; then, with writers held off
		 * briefly, copy the few frames written meanwhile. A complete checkpoint lets the
		 * next writer rewind the WAL instead of growing it. */
		int rc, nlog = 0, nckpt = 0;
		for (int pass = 0; pass < 4; pass++) {
			rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
			                               &nckpt);
			if (rc != SQLITE_OK || nlog - nckpt <= CHECKPOINT_LOCKED_FRAMES)
				break;
		}
		if (rc == SQLITE_OK) {
			pthread_mutex_lock(&s->write_lock);
			rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
			                               NULL);
			pthread_mutex_unlock(&s->write_lock);
		}
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			yl_log(YL_LOG_WARN, "store: checkpoint failed: %s", sqlite3_errmsg(db));
		pthread_mutex_lock(&s->ckpt_mu);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	/* everything into the database file, WAL emptied, before the process leaves */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

/* Before SQLite's first use: no global memory statistics. Kept on, every allocation of
 * every connection takes one process-wide mutex (a third of a search's CPU went to that
 * lock with two threads). Fails harmlessly if SQLite was already initialised. */
static void sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void checkpointer_start(struct yl_store *s)
{
	s->stopping = false;
	s->checkpointer_running = pthread_create(&s->checkpointer, NULL, checkpointer_main, s) == 0;
}

static void checkpointer_stop(struct yl_store *s)
{
	if (!s->checkpointer_running)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->stopping = true;
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	pthread_join(s->checkpointer, NULL);
	s->checkpointer_running = false;
}

static enum yl_code store_open(const char *path, struct yl_store **out, bool *unfinished,
                               struct yl_arena *a, struct yl_err *err)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, sqlite_configure);
	struct yl_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory opening the store");
	}
	s->ops = &yl_sqlite_ops;
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->list_lock, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	pthread_mutex_init(&s->queue_mu, NULL);
	pthread_cond_init(&s->queue_cv, NULL);
	s->queue_tail = &s->queue;
	pthread_key_create(&s->key, NULL);
	enum yl_code code = conn_open(s, &s->writer, a, err);
	if (code == YL_OK)
		code = migrate(s->writer, a, err);
	if (code == YL_OK)
		s->last_seq = query_int(s->writer, "SELECT max(seq) FROM history");
	/* a bulk load stopped before building its search indexes: build them now, or leave
	 * them to the load that goes on with it */
	bool stopped_load =
	    code == YL_OK &&
	    query_int(s->writer, "SELECT count(*) FROM store_meta WHERE key LIKE 'deferred:%'") > 0;
	if (stopped_load && unfinished) {
		*unfinished = true;
		s->versions_deferred = query_int(s->writer, VERSIONS_DEFERRED_SQL) > 0;
	} else if (stopped_load) {
		yl_log(YL_LOG_WARN,
		       "store: a bulk load of %s was interrupted; building its search "
		       "indexes (minutes on a large store)",
		       path);
		int n;
		code = yl_store_build_deferred(s, NULL, NULL, &n, a, err);
	}
	if (code != YL_OK) {
		yl_store_close(s);
		return code;
	}
	checkpointer_start(s);
	*out = s;
	return YL_OK;
}

static void sq_close(struct yl_store *s)
{
	if (!s)
		return;
	if (s->exclusive) { /* a bulk load that ended early: the file back to WAL, synced */
		struct yl_arena *a = yl_arena_create(1024);
		struct yl_err e;
		yl_err_init(&e);
		if (a)
			yl_store_bulk_exclusive(s, false, NULL, a, &e);
		yl_arena_destroy(a);
	}
	checkpointer_stop(s);
	if (s->writer)
		conn_free(s->writer);
	for (int list = 0; list < 2; list++) {
		struct yl_store_conn *c = list ? s->spare : s->conns;
		while (c) {
			struct yl_store_conn *next = c->next;
			conn_free(c);
			c = next;
		}
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->list_lock);
	pthread_mutex_destroy(&s->ckpt_mu);
	pthread_cond_destroy(&s->ckpt_cv);
	pthread_mutex_destroy(&s->queue_mu);
	pthread_cond_destroy(&s->queue_cv);
	free(s->path);
	free(s);
}

/* A connection opened during a bulk load that has since ended gets its pragmas now. */
static bool conn_ready(struct yl_store *s, struct yl_store_conn *c, struct yl_arena *a,
                       struct yl_err *err)
{
	if (!c->unconfigured || s->exclusive)
		return true;
	int rc = conn_configure(c);
	if (rc != SQLITE_OK)
		configure_error(err, a, c->db, rc, s->path);
	return rc == SQLITE_OK;
}

static struct yl_store_conn *sq_conn(struct yl_store *s, struct yl_arena *a, struct yl_err *err)
{
	struct yl_store_conn *c = pthread_getspecific(s->key);
	if (c)
		return conn_ready(s, c, a, err) ? c : NULL;
	pthread_mutex_lock(&s->list_lock);
	if ((c = s->spare))
		s->spare = c->next;
	pthread_mutex_unlock(&s->list_lock);
	if (!c && conn_open(s, &c, a, err) != YL_OK)
		return NULL;
	if (!conn_ready(s, c, a, err)) {
		pthread_mutex_lock(&s->list_lock);
		c->next = s->spare;
		s->spare = c;
		pthread_mutex_unlock(&s->list_lock);
		return NULL;
	}
	pthread_mutex_lock(&s->list_lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->list_lock);
	pthread_setspecific(s->key, c);
	return c;
}

static void sq_conn_release(struct yl_store *s)
{
	struct yl_store_conn *c = pthread_getspecific(s->key);
	if (!c)
		return;
	pthread_setspecific(s->key, NULL);
	pthread_mutex_lock(&s->list_lock);
	for (struct yl_store_conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->next = s->spare;
	s->spare = c;
	pthread_mutex_unlock(&s->list_lock);
}

static void sq_set_cache(struct yl_store *s, int cache_mb)
{
	s->cache_mb = cache_mb;
}

static enum yl_code sq_set_writer_cache(struct yl_store *s, int cache_mb, struct yl_arena *a,
                                        struct yl_err *err)
{
	char pragma[96];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%lld; PRAGMA mmap_size = 0",
	         (long long)cache_mb * 1024);
	pthread_mutex_lock(&s->write_lock);
	int rc = exec(s->writer->db, pragma);
	enum yl_code code =
	    rc == SQLITE_OK ? YL_OK : db_error(err, a, s->writer->db, rc, "configure");
	pthread_mutex_unlock(&s->write_lock);
	return code;
}

/* B-trees in the order a prewarm reads them: what searches seek first (secondary indexes),
 * then what they test per candidate (the index tables, keyed by resource row), then the
 * resources; the history last (read by _history only). */
static const char warm_order_sql[] =
    "SELECT s.name, s.tbl_name, s.type = 'index', "
    "CASE WHEN instr(s.sql, ' WHERE ') > 0 THEN substr(s.sql, instr(s.sql, ' WHERE ')) "
    "ELSE '' END FROM sqlite_schema s "
    "WHERE s.type IN ('table', 'index') AND s.name NOT LIKE 'sqlite_stat%' "
    "AND s.sql NOT LIKE 'CREATE VIRTUAL TABLE%' " /* their shadow tables are read */
    "AND s.tbl_name NOT IN ('schema_migrations', 'store_meta') "
    "ORDER BY s.tbl_name = 'history', "
    "(s.type = 'index' AND s.tbl_name LIKE 'idx_%') DESC, "
    "(s.type = 'index' AND s.tbl_name = 'resource') DESC, "
    "s.tbl_name LIKE 'idx_%' DESC, s.name";

struct warm_job {
	struct yl_store_conn *c;
	int64_t pages;
	bool failed;
};

static void *warm_main(void *arg)
{
	struct warm_job *j = arg;
	sqlite3 *db = j->c->db;
	sqlite3_stmt *list = NULL;
	if (sqlite3_prepare_v2(db, warm_order_sql, -1, &list, NULL) != SQLITE_OK) {
		j->failed = true;
		return NULL;
	}
	int64_t limit = -1, page_size = 4096;
	query_int_into(db, "PRAGMA cache_size", &limit);
	query_int_into(db, "PRAGMA page_size", &page_size);
	limit = limit < 0 ? -limit * 1024 / page_size : limit; /* pages */
	while (sqlite3_step(list) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(list, 0);
		const char *table = (const char *)sqlite3_column_text(list, 1);
		bool index = sqlite3_column_int(list, 2) != 0;
		const char *where = (const char *)sqlite3_column_text(list, 3); /* partial index */
		/* count(*) walks every page of the one B-tree named */
		char *sql = index
		                ? sqlite3_mprintf("SELECT count(*) FROM \"%w\" INDEXED BY \"%w\"%s",
		                                  table, name, where ? where : "")
		                : sqlite3_mprintf("SELECT count(*) FROM \"%w\" NOT INDEXED", name);
		int64_t n = -1;
		query_int_into(db, sql, &n);
		sqlite3_free(sql);
		if (n < 0) {
			yl_log(YL_LOG_WARN, "store: prewarm could not read %s: %s", name,
			       sqlite3_errmsg(db));
			j->failed = true;
		}
		/* pages read so far: each was a cache miss (an int count of pages, where the
		 * bytes in the cache would overflow an int above 2 GB) */
		int misses = 0, high = 0;
		sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &misses, &high, 0);
		j->pages = misses;
		if (misses >= limit * 9 / 10)
			break;
	}
	sqlite3_finalize(list);
	return NULL;
}

static enum yl_code sq_prewarm(struct yl_store *s, int n, struct yl_arena *a, struct yl_err *err)
{
	struct warm_job *jobs = yl_arena_calloc(a, (size_t)n, sizeof(*jobs));
	pthread_t *t = yl_arena_calloc(a, (size_t)n, sizeof(*t));
	if (!jobs || !t)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory warming the store");
	enum yl_code code = YL_OK;
	int opened = 0;
	for (; opened < n && code == YL_OK; opened++)
		code = conn_open(s, &jobs[opened].c, a, err);
	if (code != YL_OK)
		opened--;
	int started = 0;
	for (int i = 0; code == YL_OK && i < opened; i++, started++)
		if (pthread_create(&t[i], NULL, warm_main, &jobs[i]) != 0) {
			yl_log(YL_LOG_WARN,
			       "store: prewarm: no thread for connection %d; it "
			       "starts cold",
			       i + 1);
			break;
		}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_lock(&s->list_lock);
	for (int i = 0; i < opened; i++) {
		jobs[i].c->next = s->spare;
		s->spare = jobs[i].c;
		if (code == YL_OK && i < started)
			yl_log(YL_LOG_INFO, "store: prewarmed a connection with %lld MB of pages%s",
			       (long long)(jobs[i].pages * 4096 / 1048576),
			       jobs[i].failed ? " (some B-trees could not be read)" : "");
	}
	pthread_mutex_unlock(&s->list_lock);
	return code;
}

static int sq_schema_version(struct yl_store_conn *c)
{
	return (int)query_int(c, "SELECT max(version) FROM schema_migrations");
}

static const char *col_text(struct yl_arena *a, sqlite3_stmt *q, int i, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	int n = sqlite3_column_bytes(q, i);
	if (len)
		*len = (size_t)n;
	return t ? yl_arena_strndup(a, (const char *)t, (size_t)n) : NULL;
}

/* A body column: packed (BLOB, store/body.h) or, written before packing, plain TEXT.
 * NULL for SQL NULL, an unreadable blob, or out of memory. */
static const char *col_body(struct yl_arena *a, sqlite3_stmt *q, int i, size_t *len)
{
	if (sqlite3_column_type(q, i) != SQLITE_BLOB)
		return col_text(a, q, i, len);
	const void *blob = sqlite3_column_blob(q, i);
	const char *json = yl_body_unpack(a, blob, (size_t)sqlite3_column_bytes(q, i), len);
	if (!json)
		yl_log(YL_LOG_ERROR, "store: a stored body cannot be unpacked (codec %d)",
		       blob ? *(const unsigned char *)blob : -1);
	return json;
}

/* Inside yl_store_begin() .. commit, a thread reads through the writer connection, so
 * that it sees its own uncommitted writes (a transaction Bundle's later entries, conditional
 * references to resources it created). */
static struct yl_store_conn *reader(struct yl_store_conn *c)
{
	return c->in_bulk ? c->store->writer : c;
}

static enum yl_code sq_read(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                            const char *id, int64_t version, struct yl_row *out, struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, version ? ST_READ_VERSION : ST_READ_CURRENT);
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "read");
	sqlite3_bind_text(q, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_int64(q, 3, version);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return YL_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		return db_error(err, a, c->db, rc, "read");
	}
	out->type = type;
	out->id = id;
	out->version = sqlite3_column_int64(q, 0);
	out->last_updated = sqlite3_column_int64(q, 1);
	out->deleted = sqlite3_column_int(q, 2) != 0;
	out->body = col_body(a, q, 3, &out->body_len);
	out->patient = col_text(a, q, 4, NULL);
	out->seq = 0;
	sqlite3_reset(q);
	if (!out->deleted && !out->body)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reading a resource");
	return YL_OK;
}

static void bind_opt_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static void bind_text_or_empty(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s ? s : "", -1, SQLITE_STATIC);
}

static int step_done(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The INSERT of each index table up to VALUES, and its columns: res, param and patient
 * first, then the binder's. */
static const struct {
	const char *insert;
	int ncols;
} idx_tables[] = {
    [YL_IDX_TOKEN] = {"INSERT OR IGNORE INTO idx_token (res, param, patient, value_hash, "
                      "code_hash, type_hash, system, code, text) VALUES ",
                      9},
    [YL_IDX_STRING] = {"INSERT OR IGNORE INTO idx_string (res, param, patient, norm, exact) "
                       "VALUES ",
                       5},
    [YL_IDX_DATE] = {"INSERT OR IGNORE INTO idx_date (res, param, patient, lo, hi) VALUES ", 5},
    [YL_IDX_NUMBER] = {"INSERT OR IGNORE INTO idx_number (res, param, patient, lo, hi) VALUES ", 5},
    [YL_IDX_QUANTITY] = {"INSERT OR IGNORE INTO idx_quantity (res, param, patient, lo, hi, "
                         "unit_system, unit_code, canon_code, canon_lo, canon_hi) VALUES ",
                         10},
    [YL_IDX_REFERENCE] = {"INSERT OR IGNORE INTO idx_reference (res, param, patient, ref_type, "
                          "ref_id, url) VALUES ",
                          6},
    [YL_IDX_URI] = {"INSERT OR IGNORE INTO idx_uri (res, param, patient, uri) VALUES ", 4},
    [YL_IDX_COMPOSITE] = {"INSERT INTO idx_composite (res, param, patient, value_hash, "
                          "code_hash, comp_kind, comp_value_hash, comp_code_hash, lo, hi, "
                          "unit_code, canon_code, canon_lo, canon_hi, date_lo, date_hi, norm) "
                          "VALUES ",
                          17},
};

/* The INSERT of m rows of an index kind, prepared once per connection. */
static sqlite3_stmt *idx_insert_stmt(struct yl_store_conn *c, enum yl_index_kind kind, int m)
{
	sqlite3_stmt **q = &c->idx_insert[kind][m - 1];
	if (*q) {
		sqlite3_reset(*q);
		sqlite3_clear_bindings(*q); /* a binder leaves its optional columns NULL */
		return *q;
	}
	char sql[2048];
	int n = snprintf(sql, sizeof sql, "%s", idx_tables[kind].insert);
	for (int j = 0; j < m; j++) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, "%s(?", j ? ", " : "");
		for (int i = 1; i < idx_tables[kind].ncols; i++)
			n += snprintf(sql + n, sizeof sql - (size_t)n, ", ?");
		n += snprintf(sql + n, sizeof sql - (size_t)n, ")");
	}
	if (sqlite3_prepare_v3(c->db, sql, n, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK) {
		yl_log(YL_LOG_ERROR, "store: prepare failed: %s", sqlite3_errmsg(c->db));
		*q = NULL;
	}
	return *q;
}

/* Binders for one index row after (res, param, patient): one per kind, in kind order. The
 * row's parameters are o + 1 .. o + ncols of the statement. */
static void bind_token(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	sqlite3_bind_int64(q, o + 4, r->value_hash);
	sqlite3_bind_int64(q, o + 5, r->code_hash);
	sqlite3_bind_int64(q, o + 6, r->type_hash);
	bind_opt_text(q, o + 7, r->system);
	bind_opt_text(q, o + 8, r->code);
	bind_opt_text(q, o + 9, r->text);
}

static void bind_string(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	bind_text_or_empty(q, o + 4, r->norm);
	bind_text_or_empty(q, o + 5, r->exact);
}

static void bind_date(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	sqlite3_bind_int64(q, o + 4, r->date_lo);
	sqlite3_bind_int64(q, o + 5, r->date_hi);
}

static void bind_number(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	sqlite3_bind_double(q, o + 4, r->num_lo);
	sqlite3_bind_double(q, o + 5, r->num_hi);
}

static void bind_quantity(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	bind_number(q, o, r);
	bind_text_or_empty(q, o + 6, r->unit_system);
	bind_text_or_empty(q, o + 7, r->unit_code);
	bind_opt_text(q, o + 8, r->canon_code);
	if (r->canon_code) {
		sqlite3_bind_double(q, o + 9, r->canon_lo);
		sqlite3_bind_double(q, o + 10, r->canon_hi);
	}
}

static void bind_reference(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	bind_opt_text(q, o + 4, r->ref_type);
	bind_opt_text(q, o + 5, r->ref_id);
	bind_text_or_empty(q, o + 6, r->ref_url);
}

static void bind_uri(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	bind_text_or_empty(q, o + 4, r->uri);
}

static void bind_composite(sqlite3_stmt *q, int o, const struct yl_index_row *r)
{
	sqlite3_bind_int64(q, o + 4, r->value_hash);
	sqlite3_bind_int64(q, o + 5, r->code_hash);
	sqlite3_bind_int(q, o + 6, (int)r->comp_kind);
	sqlite3_bind_int64(q, o + 7, r->comp_value_hash);
	sqlite3_bind_int64(q, o + 8, r->comp_code_hash);
	if (r->comp_kind == YL_IDX_NUMBER || r->comp_kind == YL_IDX_QUANTITY) {
		sqlite3_bind_double(q, o + 9, r->num_lo);
		sqlite3_bind_double(q, o + 10, r->num_hi);
		bind_opt_text(q, o + 11, r->unit_code);
		bind_opt_text(q, o + 12, r->canon_code);
		if (r->canon_code) {
			sqlite3_bind_double(q, o + 13, r->canon_lo);
			sqlite3_bind_double(q, o + 14, r->canon_hi);
		}
	}
	if (r->comp_kind == YL_IDX_DATE) {
		sqlite3_bind_int64(q, o + 15, r->date_lo);
		sqlite3_bind_int64(q, o + 16, r->date_hi);
	}
	bind_opt_text(q, o + 17, r->norm);
}

static void (*const binders[])(sqlite3_stmt *, int, const struct yl_index_row *) = {
    [YL_IDX_TOKEN] = bind_token,       [YL_IDX_STRING] = bind_string,
    [YL_IDX_DATE] = bind_date,         [YL_IDX_NUMBER] = bind_number,
    [YL_IDX_QUANTITY] = bind_quantity, [YL_IDX_REFERENCE] = bind_reference,
    [YL_IDX_URI] = bind_uri,           [YL_IDX_COMPOSITE] = bind_composite,
};

/* Insert the held rows, kind by kind (in the order they were held), up to IDX_MULTI_MAX a
 * statement. The held list is empty afterwards, whatever the outcome. */
static int flush_held(struct yl_store_conn *c)
{
	int rc = SQLITE_OK;
	for (int k = 0; rc == SQLITE_OK && k <= YL_IDX_COMPOSITE; k++) {
		for (size_t i = 0; rc == SQLITE_OK;) {
			const struct held_row *chunk[IDX_MULTI_MAX];
			int m = 0;
			for (; i < c->nheld && m < IDX_MULTI_MAX; i++)
				if ((int)c->held[i].r->kind == k)
					chunk[m++] = &c->held[i];
			if (!m)
				break;
			sqlite3_stmt *q = idx_insert_stmt(c, (enum yl_index_kind)k, m);
			if (!q) {
				rc = SQLITE_ERROR;
				break;
			}
			for (int j = 0; j < m; j++) {
				int o = j * idx_tables[k].ncols;
				sqlite3_bind_int64(q, o + 1, chunk[j]->res);
				sqlite3_bind_int64(q, o + 2, chunk[j]->r->param_hash);
				if (chunk[j]->patient)
					sqlite3_bind_text(q, o + 3, chunk[j]->patient,
					                  chunk[j]->patient_len, SQLITE_STATIC);
				binders[k](q, o, chunk[j]->r);
			}
			rc = step_done(q);
		}
	}
	c->nheld = 0;
	return rc;
}

/* A write's index rows (w->index, w->patient: alive until they are inserted) are held,
 * then inserted at once unless the connection holds them for yl_store_flush_index(). The
 * rows of a resource that had some are deleted first, after anything held (an earlier
 * version of the same resource may be among it). */
static int write_index(struct yl_store_conn *c, const struct yl_write *w, int64_t res, bool existed)
{
	int rc;
	if (existed) {
		if (c->nheld && (rc = flush_held(c)) != SQLITE_OK)
			return rc;
		for (int s = ST_IDX_DEL_TOKEN; s <= ST_IDX_DEL_COMPOSITE; s++) {
			sqlite3_stmt *q = stmt(c, (enum stmt_id)s);
			if (!q)
				return SQLITE_ERROR;
			sqlite3_bind_int64(q, 1, res);
			if ((rc = step_done(q)) != SQLITE_OK)
				return rc;
		}
	}
	if (c->nheld + w->index_count > c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap : 256;
		while (cap < c->nheld + w->index_count)
			cap *= 2;
		struct held_row *v = realloc(c->held, cap * sizeof(*v));
		if (!v)
			return SQLITE_NOMEM;
		c->held = v;
		c->held_cap = cap;
	}
	int patient_len = w->patient ? (int)strlen(w->patient) : 0;
	for (size_t i = 0; i < w->index_count; i++)
		if ((unsigned)w->index[i].kind <= YL_IDX_COMPOSITE)
			c->held[c->nheld++] = (struct held_row){.res = res,
			                                        .patient = w->patient,
			                                        .patient_len = patient_len,
			                                        .r = &w->index[i]};
	return !c->hold || c->nheld >= HOLD_MAX ? flush_held(c) : SQLITE_OK;
}

struct head {
	bool exists;
	bool deleted;
	int64_t version;
	int64_t last_updated;
	int64_t rowid;
	char patient[72]; /* the compartment of the current version ("" none; ids are <= 64) */
};

static int read_head(struct yl_store_conn *c, const char *type, const char *id, struct head *h)
{
	sqlite3_stmt *q = stmt(c, ST_HEAD);
	if (!q)
		return SQLITE_ERROR;
	sqlite3_bind_text(q, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	memset(h, 0, sizeof(*h));
	if (rc == SQLITE_ROW) {
		h->exists = true;
		h->version = sqlite3_column_int64(q, 0);
		h->last_updated = sqlite3_column_int64(q, 1);
		h->deleted = sqlite3_column_int(q, 2) != 0;
		h->rowid = sqlite3_column_int64(q, 3);
		const char *p = (const char *)sqlite3_column_text(q, 4);
		if (p && strlen(p) < sizeof h->patient)
			snprintf(h->patient, sizeof h->patient, "%s", p);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_reset(q);
	return rc;
}

static void bind_version(sqlite3_stmt *q, const struct yl_write *w)
{
	sqlite3_bind_text(q, 1, w->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, w->version);
	sqlite3_bind_int64(q, 4, w->last_updated);
	sqlite3_bind_int(q, 5, w->op == YL_WRITE_DELETE);
	bind_opt_text(q, 6, w->patient);
	if (w->body)
		sqlite3_bind_text(q, 7, w->body, (int)w->body_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 7);
}

/* resource and history (change-log) rows; *res is the resource's rowid (the index rows'
 * key): known from the head for an existing resource, else the one just inserted */
static int put_rows(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w, const char *op,
                    int64_t *res, const struct head *h)
{
	sqlite3_stmt *q;
	if (h->exists && !h->deleted) { /* the outgoing version's body moves into history */
		if (!(q = stmt(c, ST_HIST_KEEP)))
			return SQLITE_ERROR;
		sqlite3_bind_text(q, 1, w->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, w->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, h->version);
		int rc = step_done(q);
		if (rc != SQLITE_OK)
			return rc;
	}
	q = stmt(c, ST_UPSERT);
	if (!q)
		return SQLITE_ERROR;
	bind_version(q, w);
	size_t packed_len = w->pre_packed_len;
	const void *packed = w->body && w->body == w->pre_body && w->pre_packed ? w->pre_packed
	                     : w->body ? yl_body_pack(a, w->body, w->body_len, &packed_len)
	                               : NULL;
	if (packed) /* else kept as text: still readable */
		sqlite3_bind_blob(q, 7, packed, (int)packed_len, SQLITE_STATIC);
	int rc = step_done(q);
	if (rc != SQLITE_OK)
		return rc;
	if (!*res) /* a new row: the upsert inserted it */
		*res = sqlite3_last_insert_rowid(c->db);
	if (!(q = stmt(c, ST_HISTORY)))
		return SQLITE_ERROR;
	bind_version(q, w);
	sqlite3_bind_text(q, 8, op, -1, SQLITE_STATIC);
	return step_done(q);
}

#define KEEP_SAME_VERSIONS 8

static enum yl_code write_locked(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w,
                                 struct yl_err *err)
{
	struct head h;
	int rc = read_head(c, w->type, w->id, &h);
	if (rc == SQLITE_OK && h.exists && c->store->versions_deferred)
		rc = build_versions(c);
	if (rc != SQLITE_OK)
		return db_error(err, a, c->db, rc, "write");
	enum yl_code code = yl_store_check_version(w, h.exists, h.deleted, h.version, a, err);
	if (code == YL_OK && w->check)
		code = w->check(w->check_ctx, c, a, w, err);
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
		/* the text as the current version (or one of the KEEP_SAME_VERSIONS before it)
		 * would be rendered: equal text is content this store already has */
		for (int64_t v = h.version; v > 0 && v > h.version - KEEP_SAME_VERSIONS; v--) {
			struct yl_row cur;
			size_t len;
			if ((code = yl_store_read(c, a, w->type, w->id, v, &cur, err)) != YL_OK)
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
	struct yl_store *s = c->store;
	w->body = NULL;
	w->body_len = 0;
	if (w->pre_body && w->op != YL_WRITE_DELETE && w->version == 1 &&
	    w->pre_last_updated > s->last_seq) { /* rendered as it would be here */
		s->last_seq = w->last_updated = w->pre_last_updated;
		w->body = w->pre_body;
		w->body_len = w->pre_body_len;
	} else {
		int64_t now = yl_now_us();
		s->last_seq = now > s->last_seq ? now : s->last_seq + 1;
		w->last_updated = s->last_seq;
	}
	if (w->op != YL_WRITE_DELETE && !w->body) {
		w->body = w->render(w->render_ctx, a, w->version, w->last_updated, &w->body_len);
		if (!w->body)
			return yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory storing a resource");
	}
	const char *op = w->op == YL_WRITE_DELETE ? "delete" : w->created ? "create" : "update";
	if (w->op == YL_WRITE_DELETE && !w->patient && h.patient[0])
		w->patient = yl_arena_strdup(a, h.patient); /* the change log says whose it was */
	const size_t index_count = w->index_count;
	if (w->op == YL_WRITE_DELETE)
		w->index_count = 0; /* a tombstone is found by no search */
	int64_t res = h.exists ? h.rowid : 0;
	rc = put_rows(c, a, w, op, &res, &h);
	if (rc == SQLITE_OK)
		rc = write_index(c, w, res, h.exists);
	w->index_count = index_count;
	if (rc != SQLITE_OK)
		return db_error(err, a, c->db, rc, "write");
	return write_audit(c, a, w, err);
}

/* A write's audit event, in the write's transaction (or savepoint). */
static enum yl_code write_audit(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_write *w, struct yl_err *err)
{
	if (!w->audit)
		return YL_OK;
	struct yl_audit_rec ev = {
	    .patient = w->patient, .agent = w->audit_agent, .recorded = w->last_updated};
	if (!(ev.body = w->audit(w->audit_ctx, a, w, &ev.len)))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory recording an audit event");
	int rc = yl_sqlite_audit_insert(c, &ev, 1);
	return rc == SQLITE_OK ? YL_OK : db_error(err, a, c->db, rc, "audit");
}

static int run(struct yl_store_conn *c, enum stmt_id id)
{
	sqlite3_stmt *q = stmt(c, id);
	return q ? step_done(q) : SQLITE_ERROR;
}

/* One transaction for a batch of writes; each write in its own savepoint, so a write that
 * fails leaves nothing while the others commit. Called with write_lock held. */
static void fail_batch(struct yl_store_conn *c, struct job *batch, int rc, const char *what)
{
	for (struct job *j = batch; j; j = j->next)
		if (j->code == YL_OK)
			j->code = db_error(j->err, j->a, c->db, rc, what);
}

static enum yl_code run_job(struct yl_store_conn *c, struct job *j)
{
	if (j->w)
		return write_locked(c, j->a, j->w, j->err);
	int rc = yl_sqlite_audit_insert(c, j->audit, j->naudit);
	return rc == SQLITE_OK ? YL_OK : db_error(j->err, j->a, c->db, rc, "audit");
}

static void commit_batch(struct yl_store *s, struct job *batch)
{
	struct yl_store_conn *c = s->writer;
	int rc = run(c, ST_BEGIN);
	if (rc != SQLITE_OK) {
		fail_batch(c, batch, rc, "begin");
		return;
	}
	for (struct job *j = batch; j; j = j->next) {
		if (!batch->next) { /* alone: the transaction is its savepoint */
			j->code = run_job(c, j);
			if (j->code != YL_OK) {
				run(c, ST_ROLLBACK);
				return;
			}
			continue;
		}
		if ((rc = run(c, ST_SAVEPOINT)) == SQLITE_OK) {
			j->code = run_job(c, j);
			if (j->code != YL_OK)
				run(c, ST_ROLLBACK_TO);
			rc = run(c, ST_RELEASE);
		}
		/* SQLite may roll back the whole transaction on some errors (disk full, I/O):
		 * then nothing of this batch is stored, and every write must say so */
		if (rc != SQLITE_OK || sqlite3_get_autocommit(c->db)) {
			if (!sqlite3_get_autocommit(c->db))
				run(c, ST_ROLLBACK);
			fail_batch(c, batch, rc != SQLITE_OK ? rc : SQLITE_ABORT, "write");
			return;
		}
	}
	rc = yl_sqlite_audit_index(c);
	if (rc == SQLITE_OK)
		rc = run(c, ST_COMMIT);
	if (rc == SQLITE_OK) {
		atomic_fetch_add(&s->writes, 1);
		return;
	}
	run(c, ST_ROLLBACK);
	fail_batch(c, batch, rc, "commit");
}

/* Group commit: a writer queues its job; if no other thread is leading, it leads: takes
 * the queued jobs (up to GROUP_COMMIT_MAX), runs them in one transaction on the writer
 * connection and wakes their threads. Writes that arrive while a commit is in progress
 * share the next one, so concurrent clients pay for one WAL commit between them. */
static enum yl_code group_commit(struct yl_store *s, struct job self);

static enum yl_code sq_write(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w,
                             struct yl_err *err)
{
	if (c->in_bulk)
		return write_locked(c->store->writer, a, w, err);
	return group_commit(c->store, (struct job){.w = w, .a = a, .err = err});
}

enum yl_code yl_sqlite_queue_audit(struct yl_store_conn *c, struct yl_arena *a,
                                   const struct yl_audit_rec *ev, size_t n, struct yl_err *err)
{
	if (c->in_bulk) {
		int rc = yl_sqlite_audit_insert(c->store->writer, ev, n);
		return rc == SQLITE_OK ? YL_OK
		                       : db_error(err, a, c->store->writer->db, rc, "audit");
	}
	return group_commit(c->store, (struct job){.audit = ev, .naudit = n, .a = a, .err = err});
}

static enum yl_code group_commit(struct yl_store *s, struct job self)
{
	pthread_mutex_lock(&s->queue_mu);
	*s->queue_tail = &self;
	s->queue_tail = &self.next;
	/* Lead batches until this thread's own write has run: a batch takes at most
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

		pthread_mutex_lock(&s->write_lock);
		commit_batch(s, batch);
		pthread_mutex_unlock(&s->write_lock);

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

static enum yl_code sq_begin(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	struct yl_store *s = c->store;
	pthread_mutex_lock(&s->write_lock);
	int rc = run(s->writer, ST_BEGIN);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&s->write_lock);
		return db_error(err, a, s->writer->db, rc, "begin");
	}
	c->in_bulk = true;
	return YL_OK;
}

static bool sq_in_transaction(const struct yl_store_conn *c)
{
	return c->in_bulk;
}

static void sq_hold_index(struct yl_store_conn *c)
{
	c->store->writer->hold = true;
}

static enum yl_code sq_flush_index(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	struct yl_store_conn *w = c->store->writer;
	int rc = flush_held(w);
	return rc == SQLITE_OK ? YL_OK : db_error(err, a, w->db, rc, "storing search index rows");
}

static enum yl_code sq_commit(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err)
{
	struct yl_store *s = c->store;
	s->writer->hold = false;
	int rc = flush_held(s->writer);
	if (rc == SQLITE_OK)
		rc = yl_sqlite_audit_index(s->writer);
	if (rc == SQLITE_OK)
		rc = run(s->writer, ST_COMMIT);
	enum yl_code code = YL_OK;
	if (rc != SQLITE_OK) {
		code = db_error(err, a, s->writer->db, rc, "commit");
		run(s->writer, ST_ROLLBACK);
	} else {
		atomic_fetch_add(&s->writes, 1);
	}
	c->in_bulk = false;
	pthread_mutex_unlock(&s->write_lock);
	return code;
}

static void sq_rollback(struct yl_store_conn *c)
{
	c->store->writer->hold = false;
	c->store->writer->nheld = 0;
	run(c->store->writer, ST_ROLLBACK);
	c->in_bulk = false;
	pthread_mutex_unlock(&c->store->write_lock);
}

static void bind_scope(sqlite3_stmt *q, const char *type, const char *id, int64_t since)
{
	bind_opt_text(q, 1, type);
	bind_opt_text(q, 2, id);
	sqlite3_bind_int64(q, 3, since);
}

static enum stmt_id scope_stmt(const char *type, const char *id, enum stmt_id instance)
{
	return id ? instance : type ? instance + 1 : instance + 2;
}

static enum yl_code sq_history(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                               const char *id, int64_t since_us, int64_t before, int limit,
                               yl_row_fn fn, void *ctx, struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, scope_stmt(type, id, ST_HIST_INSTANCE));
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "history");
	bind_scope(q, type, id, since_us);
	sqlite3_bind_int64(q, 4, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(q, 5, limit);
	int rc;
	enum yl_code code = YL_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_row row;
		row.type = col_text(a, q, 0, NULL);
		row.id = col_text(a, q, 1, NULL);
		row.version = sqlite3_column_int64(q, 2);
		row.last_updated = sqlite3_column_int64(q, 3);
		row.deleted = sqlite3_column_int(q, 4) != 0;
		row.body = col_body(a, q, 5, &row.body_len);
		row.seq = sqlite3_column_int64(q, 6);
		row.patient = col_text(a, q, 7, NULL);
		row.keys = NULL;
		if (!row.type || !row.id || (!row.deleted && !row.body)) {
			code = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory listing history");
			break;
		}
		if (fn(ctx, &row))
			break;
	}
	if (code == YL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = db_error(err, a, c->db, rc, "history");
	sqlite3_reset(q);
	return code;
}

static enum yl_code sq_history_count(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                                     const char *id, int64_t since_us, int64_t *count,
                                     struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, scope_stmt(type, id, ST_COUNT_INSTANCE));
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "history count");
	bind_scope(q, type, id, since_us);
	int rc = sqlite3_step(q);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? YL_OK : db_error(err, a, c->db, rc, "history count");
}

static enum yl_code sq_changes(struct yl_store_conn *c, struct yl_arena *a, int64_t after,
                               int limit, yl_change_fn fn, void *ctx, struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, ST_CHANGES);
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "change log");
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int(q, 2, limit);
	int rc;
	enum yl_code code = YL_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_change ch = {sqlite3_column_int64(q, 0),
		                       (const char *)sqlite3_column_text(q, 1),
		                       (const char *)sqlite3_column_text(q, 2),
		                       (const char *)sqlite3_column_text(q, 3)};
		if (!ch.type || !ch.id) {
			code = yl_err_add(err, a, YL_NOMEM, NULL,
			                  "out of memory reading the change log");
			break;
		}
		if (fn(ctx, &ch))
			break;
	}
	if (code == YL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = db_error(err, a, c->db, rc, "change log");
	sqlite3_reset(q);
	return code;
}

static enum yl_code sq_last_seq(struct yl_store_conn *c, struct yl_arena *a, int64_t *seq,
                                struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, ST_LAST_SEQ);
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "change log");
	int rc = sqlite3_step(q);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? YL_OK : db_error(err, a, c->db, rc, "change log");
}

#define REINDEX_BATCH 2000

/* One batch: returns the number of resources done (0 at the end) or -1 on error. */
static int reindex_batch(struct yl_store *s, yl_reindex_fn fn, void *ctx, int64_t *after,
                         struct yl_err *err, struct yl_arena *a, struct yl_arena *ea)
{
	struct yl_store_conn *c = s->writer;
	sqlite3_stmt *q = stmt(c, ST_REINDEX_SCAN);
	if (!q) {
		db_error(err, ea, c->db, SQLITE_ERROR, "reindex");
		return -1;
	}
	sqlite3_bind_int64(q, 1, *after);
	sqlite3_bind_int(q, 2, REINDEX_BATCH);
	int n = 0, rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_row row = {0};
		int64_t res = sqlite3_column_int64(q, 0);
		row.type = col_text(a, q, 1, NULL);
		row.id = col_text(a, q, 2, NULL);
		row.version = sqlite3_column_int64(q, 3);
		row.last_updated = sqlite3_column_int64(q, 4);
		const char *patient = col_text(a, q, 5, NULL);
		row.body = col_body(a, q, 6, &row.body_len);
		struct yl_index_row *rows = NULL;
		size_t nrows = 0;
		struct yl_err ferr;
		yl_err_init(&ferr);
		if (!row.type || !row.id || !row.body ||
		    fn(ctx, a, &row, patient, &rows, &nrows, &ferr) != YL_OK) {
			sqlite3_reset(q);
			yl_err_add(err, ea, ferr.code ? ferr.code : YL_NOMEM, NULL,
			           "reindex stopped at %s/%s: %s", row.type ? row.type : "?",
			           row.id ? row.id : "?",
			           ferr.first ? ferr.first->message : "out of memory");
			return -1;
		}
		struct yl_write w = {.type = row.type,
		                     .id = row.id,
		                     .patient = patient,
		                     .index = rows,
		                     .index_count = nrows};
		if ((rc = write_index(c, &w, res, true)) != SQLITE_OK) {
			sqlite3_reset(q);
			db_error(err, ea, c->db, rc, "reindex");
			return -1;
		}
		*after = res;
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		db_error(err, ea, c->db, rc, "reindex");
		return -1;
	}
	return n;
}

static enum yl_code sq_reindex(struct yl_store *s, yl_reindex_fn fn, void *ctx, int64_t *count,
                               struct yl_err *err, struct yl_arena *a)
{
	int64_t after = 0;
	*count = 0;
	for (;;) {
		struct yl_arena *ba = yl_arena_create(1 << 20);
		if (!ba)
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reindexing");
		pthread_mutex_lock(&s->write_lock);
		int rc = run(s->writer, ST_BEGIN);
		int n = rc == SQLITE_OK ? reindex_batch(s, fn, ctx, &after, err, ba, a) : -1;
		if (rc != SQLITE_OK)
			db_error(err, a, s->writer->db, rc, "reindex");
		if (n >= 0 && (rc = run(s->writer, ST_COMMIT)) != SQLITE_OK) {
			db_error(err, a, s->writer->db, rc, "reindex commit");
			n = -1;
		}
		if (n < 0)
			run(s->writer, ST_ROLLBACK);
		else
			atomic_fetch_add(&s->writes, 1);
		pthread_mutex_unlock(&s->write_lock);
		yl_arena_destroy(ba);
		if (n <= 0)
			return n < 0 ? err->code : YL_OK;
		*count += n;
	}
}

static uint64_t sql_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* A prepared statement for sql's text: from the connection's cache when that text was
 * prepared before (and is not in use further up the stack), else newly compiled and kept.
 * Give it back with release_sql. */
static sqlite3_stmt *cached_prepare(struct yl_store_conn *c, const char *text, size_t len)
{
	uint64_t h = sql_hash(text, len);
	struct cached_sql *victim = &c->sql_cache[0];
	for (int i = 0; i < SQL_CACHE_SLOTS; i++) {
		struct cached_sql *e = &c->sql_cache[i];
		if (e->used && e->hash == h && e->len == len && !e->busy &&
		    memcmp(e->text, text, len) == 0) {
			e->used = ++c->sql_tick;
			e->busy = true;
			return e->q;
		}
		if (!e->busy && e->used < victim->used)
			victim = e;
		else if (victim->busy && !e->busy)
			victim = e;
	}
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v3(c->db, text, (int)len, SQLITE_PREPARE_PERSISTENT, &q, NULL) !=
	    SQLITE_OK) {
		sqlite3_finalize(q);
		return NULL;
	}
	char *copy = len <= SQL_CACHE_MAX_TEXT && !victim->busy ? malloc(len) : NULL;
	if (copy) {
		memcpy(copy, text, len);
		sqlite3_finalize(victim->q);
		free(victim->text);
		*victim = (struct cached_sql){.hash = h,
		                              .text = copy,
		                              .len = len,
		                              .q = q,
		                              .used = ++c->sql_tick,
		                              .busy = true};
	}
	return q;
}

/* Done with a statement from prepare_sql: reset and unbound if cached (so it holds no read
 * transaction open and no pointer into a dead arena), else finalized. */
static void release_sql(struct yl_store_conn *c, sqlite3_stmt *q)
{
	if (!q)
		return;
	for (int i = 0; i < SQL_CACHE_SLOTS; i++) {
		struct cached_sql *e = &c->sql_cache[i];
		if (e->q == q && e->busy) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			e->busy = false;
			return;
		}
	}
	sqlite3_finalize(q);
}

static enum yl_code prepare_sql(struct yl_store_conn *c, struct yl_arena *a, struct yl_sql *sql,
                                sqlite3_stmt **out, struct yl_err *err)
{
	if (getenv("YL_SQL_TRACE"))
		fprintf(stderr, "SQL %.*s\n", (int)sql->text.len, sql->text.p);
	if (!(*out = cached_prepare(c, sql->text.p, sql->text.len))) {
		yl_log(YL_LOG_ERROR, "store: search prepare failed: %s", sqlite3_errmsg(c->db));
		return db_error(err, a, c->db, SQLITE_ERROR, "search");
	}
	for (size_t i = 0; i < sql->nbinds; i++) {
		const struct yl_bind *b = &sql->binds[i];
		int k = (int)i + 1;
		if (b->kind == YL_BIND_INT)
			sqlite3_bind_int64(*out, k, b->i);
		else if (b->kind == YL_BIND_REAL)
			sqlite3_bind_double(*out, k, b->d);
		else
			sqlite3_bind_text(*out, k, b->s, -1, SQLITE_STATIC);
	}
	return YL_OK;
}

#define ESTIMATE_CAP                                                                               \
	20000             /* index rows counted at most to estimate a predicate: listing           \
	                   * up to ~20k candidates beats walking a type of ~1M rows                \
	                   * (measured break-even ~30k at 1M Patients) */
#define ESTIMATE_SMALL 64 /* a predicate this selective drives without looking further */
#define WALK_FROM                                                                                  \
	5000 /* a string predicate with this many rows or more is walked, not listed: listing      \
	      * costs ~0.25 us a row, walking ~20/share entries (measured crossover ~5-6k at 1M    \
	      * Patients, docs/benchmarks.md) */

static enum yl_code one_int(struct yl_store_conn *c, struct yl_arena *a, struct yl_sql *sql,
                            int64_t *out, struct yl_err *err)
{
	sqlite3_stmt *q = NULL;
	enum yl_code code = prepare_sql(c, a, sql, &q, err);
	if (code != YL_OK)
		return code;
	int rc = sqlite3_step(q);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	release_sql(c, q);
	return rc == SQLITE_ROW ? YL_OK : db_error(err, a, c->db, rc, "search");
}

/* FNV-1a over a statement's text and bound values: the key of its estimate. */
static uint64_t sql_key(const struct yl_sql *sql)
{
	uint64_t h = 1469598103934665603ULL;
#define MIX(p, n)                                                                                  \
	for (size_t k_ = 0; k_ < (n); k_++)                                                        \
	h = (h ^ ((const unsigned char *)(p))[k_]) * 1099511628211ULL
	MIX(sql->text.p, sql->text.len);
	for (size_t i = 0; i < sql->nbinds; i++) {
		const struct yl_bind *b = &sql->binds[i];
		MIX(&b->kind, sizeof b->kind);
		if (b->kind == YL_BIND_INT)
			MIX(&b->i, sizeof b->i);
		else if (b->kind == YL_BIND_REAL)
			MIX(&b->d, sizeof b->d);
		else
			MIX(b->s, strlen(b->s) + 1);
	}
#undef MIX
	return h ? h : 1;
}

static enum yl_code estimate(struct yl_store_conn *c, struct yl_arena *a, const struct yl_pred *p,
                             const char *patient, int cap, int64_t *n, struct yl_err *err)
{
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	enum yl_code code = yl_search_sql_estimate(&sql, a, p, patient, cap, 0, err);
	if (code != YL_OK || sql.text.err)
		return code != YL_OK ? code : one_int(c, a, &sql, n, err);
	uint64_t key = sql_key(&sql); /* the cap is a bound value: part of the key */
	/* ESTIMATE_WAYS slots per key, the oldest replaced: with one slot, two of the ~150
	 * counts a name search keeps (77 prefixes, two caps) that share a slot evicted each
	 * other on every request (16% of the CPU of Patient?name=). */
	struct cached_estimate *set =
	    &c->estimates[key % (ESTIMATE_SLOTS / ESTIMATE_WAYS) * ESTIMATE_WAYS];
	struct cached_estimate *e = &set[0];
	int64_t now = yl_monotonic_us();
	for (int w = 0; w < ESTIMATE_WAYS; w++) {
		if (set[w].key == key) {
			if (now - set[w].at < ESTIMATE_TTL_US) {
				*n = set[w].count;
				return YL_OK;
			}
			e = &set[w];
			break;
		}
		if (set[w].at < e->at)
			e = &set[w];
	}
	if ((code = one_int(c, a, &sql, n, err)) == YL_OK)
		*e = (struct cached_estimate){key, *n, now};
	return code;
}

/* Pick the predicate whose index lists the fewest rows (counted up to `cap`) to find the
 * candidates. SQLite has no statistics on the values searched for, and left alone it walks
 * every row of the type or lists every row of a common code. *driver is YL_DRIVER_SCAN when
 * every predicate reaches the cap (walking the type in row order finds a page soonest)
 * unless `every_match` (a count, or a sort, reads every match anyway: list the smallest).
 * *best: the smallest count, -1 when no predicate has an index to count. */
static enum yl_code choose_driver(struct yl_store_conn *c, struct yl_arena *a,
                                  const struct yl_search_plan *p, bool every_match, int cap,
                                  int *driver, int64_t *best, struct yl_err *err)
{
	*driver = YL_DRIVER_SCAN;
	*best = -1;
	if (p->patient) { /* one patient's resources of a type: a handful */
		*driver = YL_DRIVER_PATIENT;
		return YL_OK;
	}
	for (size_t i = 0; i < p->npreds; i++) {
		const struct yl_pred *pr = &p->preds[i];
		if (pr->via != YL_VIA_SELF && !pr->negate) {
			*driver = YL_DRIVER_ANY; /* chains and _has list their own candidates */
			return YL_OK;
		}
		if (pr->match == YL_M_ID && !pr->negate) {
			*driver = YL_DRIVER_ANY; /* the primary key finds them */
			return YL_OK;
		}
	}
	/* every match is patient X's: a token with a handful of X's rows lists them */
	for (size_t i = 0; p->patient_hint && i < p->npreds; i++) {
		if (!yl_search_pred_hinted(p, &p->preds[i]))
			continue;
		int64_t n = 0;
		enum yl_code code = estimate(c, a, &p->preds[i], p->patient_hint, cap, &n, err);
		if (code != YL_OK)
			return code;
		if (n <= ESTIMATE_SMALL) {
			*best = n;
			*driver = (int)i;
			return YL_OK;
		}
	}
	for (size_t i = 0; i < p->npreds; i++) {
		if (!yl_search_pred_indexable(&p->preds[i]))
			continue;
		int64_t n = 0;
		enum yl_code code = estimate(c, a, &p->preds[i], NULL, cap, &n, err);
		if (code != YL_OK)
			return code;
		if (*best < 0 || n < *best) {
			*best = n;
			*driver = (int)i;
		}
		if (n <= ESTIMATE_SMALL)
			break;
	}
	if (*best >= cap && !every_match)
		*driver = YL_DRIVER_SCAN;
	return YL_OK;
}

static enum yl_code search_count(struct yl_store_conn *c, struct yl_arena *a,
                                 const struct yl_search_plan *p, int64_t *total, struct yl_err *err)
{
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	enum yl_code code;
	if (p->npreds == 1 && yl_search_pred_indexable(&p->preds[0]) && !p->visible) {
		code = yl_search_sql_count_index(&sql, a, p, 0, err);
	} else {
		int driver;
		int64_t best;
		if ((code = choose_driver(c, a, p, true, ESTIMATE_CAP, &driver, &best, err)) !=
		    YL_OK)
			return code;
		yl_buf_adds(&sql.text, "SELECT count(*) FROM resource r");
		code = yl_search_sql_where(&sql, a, p, driver, 0, err);
	}
	return code == YL_OK ? one_int(c, a, &sql, total, err) : code;
}

/* rowid, type, id, version, last_updated, body */
static enum yl_code search_row(sqlite3_stmt *q, struct yl_arena *a, struct yl_row *row,
                               struct yl_err *err)
{
	row->seq = sqlite3_column_int64(q, 0);
	row->type = col_text(a, q, 1, NULL);
	row->id = col_text(a, q, 2, NULL);
	row->version = sqlite3_column_int64(q, 3);
	row->last_updated = sqlite3_column_int64(q, 4);
	row->body = col_body(a, q, 5, &row->body_len);
	if (!row->type || !row->id || !row->body)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
	return YL_OK;
}

static int col_key(sqlite3_stmt *q, struct yl_arena *a, int i, struct yl_key *k)
{
	switch (sqlite3_column_type(q, i)) {
	case SQLITE_NULL:
		k->kind = YL_KEY_NULL;
		return 0;
	case SQLITE_INTEGER:
		k->kind = YL_KEY_INT;
		k->i = sqlite3_column_int64(q, i);
		return 0;
	case SQLITE_FLOAT:
		k->kind = YL_KEY_REAL;
		k->d = sqlite3_column_double(q, i);
		return 0;
	default:
		k->kind = YL_KEY_TEXT;
		k->s = col_text(a, q, i, NULL);
		return k->s ? 0 : -1;
	}
}

/* Forward: the targets of the rows' references; reverse: the resources whose reference
 * parameter points at one of the rows (one statement per type among the rows). */
static enum yl_code sq_include(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_include *inc, const struct yl_row *rows, size_t n,
                               yl_row_fn fn, void *ctx, struct yl_err *err)
{
	c = reader(c);
	enum yl_code code = YL_OK;
	for (size_t t = 0; t < n && code == YL_OK; t++) {
		/* one statement per distinct type of rows (the first row of each type) */
		bool seen = false;
		for (size_t k = 0; k < t && !seen; k++)
			seen = strcmp(rows[k].type, rows[t].type) == 0;
		if (seen ||
		    (!inc->rev && inc->source_type && strcmp(rows[t].type, inc->source_type) != 0))
			continue;
		struct yl_sql sql;
		yl_sql_init(&sql, a);
		if (!inc->rev)
			yl_buf_adds(
			    &sql.text,
			    "SELECT DISTINCT r.rowid, r.type, r.id, r.version, r.last_updated, "
			    "r.body, r.patient FROM idx_reference x JOIN resource r ON r.type = "
			    "x.ref_type "
			    "AND r.id = x.ref_id WHERE r.deleted = 0 AND x.res IN (");
		else
			yl_buf_adds(
			    &sql.text,
			    "SELECT DISTINCT r.rowid, r.type, r.id, r.version, r.last_updated, "
			    "r.body, r.patient FROM idx_reference x JOIN resource r ON r.rowid = "
			    "x.res "
			    "WHERE r.deleted = 0 AND x.ref_id IN (");
		int k = 0;
		for (size_t i = t; i < n; i++) {
			if (strcmp(rows[i].type, rows[t].type) != 0)
				continue;
			if (k++)
				yl_buf_adds(&sql.text, ", ");
			if (inc->rev) {
				yl_sql_add_text(&sql, a, rows[i].id, 0);
			} else {
				yl_sql_add_int(&sql, a, rows[i].seq, 0);
			}
		}
		yl_buf_adds(&sql.text, ")");
		if (inc->rev) {
			yl_buf_adds(&sql.text, " AND x.ref_type = ");
			yl_sql_add_text(&sql, a, rows[t].type, 0);
		}
		if (inc->param) {
			yl_buf_adds(&sql.text, " AND x.param = ");
			yl_sql_add_int(&sql, a, inc->param, 0);
		}
		if (!inc->rev && inc->target_type) {
			yl_buf_adds(&sql.text, " AND r.type = ");
			yl_sql_add_text(&sql, a, inc->target_type, 0);
		}
		if (sql.text.err)
			return yl_err_add(err, a, sql.text.err, NULL, "out of memory in search");
		sqlite3_stmt *q = NULL;
		if ((code = prepare_sql(c, a, &sql, &q, err)) != YL_OK)
			return code;
		int rc;
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			struct yl_row row = {0};
			if ((code = search_row(q, a, &row, err)) != YL_OK)
				break;
			row.patient = col_text(a, q, 6, NULL);
			if (fn(ctx, &row))
				break;
		}
		if (code == YL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
			code = db_error(err, a, c->db, rc, "include");
		release_sql(c, q);
	}
	return code;
}

/* A budgeted walk gives up after this many SQLite VM instructions (the progress handler
 * is called every SCAN_TICK): a row of the walk takes ~15-20 instructions, so about 3,000
 * rows tested, a page of matches 0.7% of the type or more. */
#define SCAN_TICK   1000
#define SCAN_BUDGET 60 /* ticks */

static int scan_budget(void *arg)
{
	int *left = arg;
	return --*left < 0; /* non-zero interrupts the statement */
}

/* One page of the plan with the given driver, handed to fn row by row. With `budgeted`
 * the rows are held back until the statement has finished within SCAN_BUDGET; if it has
 * not, nothing reaches fn and *gave_up is set. */
static enum yl_code run_page(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_search_plan *p, int driver, bool budgeted,
                             bool *gave_up, yl_row_fn fn, void *ctx, struct yl_err *err)
{
	*gave_up = false;
	struct yl_sql sql;
	yl_sql_init(&sql, a);
	enum yl_code code = yl_search_sql_page(&sql, a, p, driver, 0, err);
	sqlite3_stmt *q = NULL;
	if (code != YL_OK || (code = prepare_sql(c, a, &sql, &q, err)) != YL_OK)
		return code;
	struct yl_row *held = NULL;
	size_t nheld = 0;
	int left = SCAN_BUDGET;
	if (budgeted) {
		if (!(held = yl_arena_calloc(a, (size_t)p->count, sizeof(*held)))) {
			release_sql(c, q);
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
		}
		sqlite3_progress_handler(c->db, SCAN_TICK, scan_budget, &left);
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_row row = {0};
		if ((code = search_row(q, a, &row, err)) != YL_OK)
			break;
		if (p->nsort) {
			struct yl_key *k = yl_arena_calloc(a, p->nsort, sizeof(*k));
			if (!k) {
				code =
				    yl_err_add(err, a, YL_NOMEM, NULL, "out of memory in search");
				break;
			}
			for (size_t i = 0; i < p->nsort; i++)
				if (col_key(q, a, 6 + (int)i, &k[i]) != 0) {
					code = yl_err_add(err, a, YL_NOMEM, NULL,
					                  "out of memory in search");
					break;
				}
			if (code == YL_OK && driver == YL_DRIVER_BY_VALUE &&
			    k[0].kind == YL_KEY_TEXT && strlen(k[0].s) > YL_MATCH_KEY_MAX) {
				((char *)k[0].s)[YL_MATCH_KEY_MAX] = '\0'; /* an arena copy */
				k[0].cut = true;
			}
			row.keys = k;
		}
		if (code != YL_OK)
			break;
		if (budgeted && nheld < (size_t)p->count)
			held[nheld++] = row;
		else if (!budgeted && fn(ctx, &row))
			break;
	}
	if (budgeted)
		sqlite3_progress_handler(c->db, 0, NULL, NULL);

	if (budgeted && rc == SQLITE_INTERRUPT) {
		*gave_up = true;
		release_sql(c, q);
		return code;
	}
	if (code == YL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = db_error(err, a, c->db, rc, "search");
	release_sql(c, q);
	for (size_t i = 0; code == YL_OK && i < nheld; i++)
		if (fn(ctx, &held[i]))
			break;
	return code;
}

static enum yl_code sq_search(struct yl_store_conn *c, struct yl_arena *a,
                              const struct yl_search_plan *p, yl_row_fn fn, void *ctx,
                              int64_t *total, struct yl_err *err)
{
	c = reader(c);
	*total = -1;
	enum yl_code code = YL_OK;
	if (p->total && (code = search_count(c, a, p, total, err)) != YL_OK)
		return code;
	if (p->count <= 0)
		return YL_OK;
	bool every_match = p->nsort > 0;
	int driver;
	int64_t best;
	bool gave_up = false;
	if (yl_search_by_value(p))
		return run_page(c, a, p, YL_DRIVER_BY_VALUE, false, &gave_up, fn, ctx, err);
	/* A page of unsorted matches: a predicate with a handful of rows lists them; when every
	 * predicate has more, walking the type in row order usually fills the page within a few
	 * hundred rows (name=zha), so that is tried first with a budget, and only when it runs
	 * out are the predicates counted further (up to ESTIMATE_CAP) to pick a list. */
	if (!every_match) {
		code = choose_driver(c, a, p, false, ESTIMATE_SMALL + 1, &driver, &best, err);
		if (code != YL_OK)
			return code;
		if (driver != YL_DRIVER_SCAN || best < 0)
			return run_page(c, a, p, driver, false, &gave_up, fn, ctx, err);
		if (yl_search_walkable(p, 0)) {
			/* one string predicate: list its rows when they are few enough to sort,
			 * else walk them in row order (a page within ~20/share names) */
			int64_t n = 0;
			if ((code = estimate(c, a, &p->preds[0], NULL, WALK_FROM, &n, err)) !=
			    YL_OK)
				return code;
			return run_page(c, a, p, n < WALK_FROM ? 0 : YL_DRIVER_WALK(0), false,
			                &gave_up, fn, ctx, err);
		}
		code = run_page(c, a, p, YL_DRIVER_SCAN, true, &gave_up, fn, ctx, err);
		if (code != YL_OK || !gave_up)
			return code;
	}
	if ((code = choose_driver(c, a, p, every_match, ESTIMATE_CAP, &driver, &best, err)) !=
	    YL_OK)
		return code;
	return run_page(c, a, p, driver, false, &gave_up, fn, ctx, err);
}

/* One statement with up to two text parameters (NULL: not bound), run once: SQLITE_ROW
 * when it returned a row, SQLITE_OK when done, else the error. */
static int run_text(sqlite3 *db, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (p1)
		sqlite3_bind_text(q, 1, p1, -1, SQLITE_STATIC);
	if (p2)
		sqlite3_bind_text(q, 2, p2, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

#define META_PUT_SQL                                                                               \
	"INSERT INTO store_meta (key, value) VALUES (?1, ?2) "                                     \
	"ON CONFLICT (key) DO UPDATE SET value = excluded.value"

/* ---- store_meta: facts about the store (under the write lock: one writer) ---------- */

static enum yl_code sq_meta_get(struct yl_store *s, struct yl_arena *a, const char *key,
                                const char **value, struct yl_err *err)
{
	*value = NULL;
	pthread_mutex_lock(&s->write_lock);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->writer->db, "SELECT value FROM store_meta WHERE key = ?1",
	                            -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			*value = col_text(a, q, 0, NULL);
	}
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->write_lock);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? YL_OK
	                                             : db_error(err, a, s->writer->db, rc, "meta");
}

static enum yl_code sq_meta_set(struct yl_store *s, struct yl_arena *a, const char *key,
                                const char *value, struct yl_err *err)
{
	pthread_mutex_lock(&s->write_lock);
	int rc = run_text(s->writer->db, META_PUT_SQL, key, value);
	pthread_mutex_unlock(&s->write_lock);
	return rc == SQLITE_OK ? YL_OK : db_error(err, a, s->writer->db, rc, "meta");
}

/* ---- bulk loads: search indexes built after the rows ------------------------------- */

/* history_version, the (type, id, version) key of history, is deferred too: resources with
 * random ids change a random leaf of it each, which at 5M resources was ~28 s of a 150 s
 * load. Nothing but a write to a resource that already exists reads it during a load (its
 * older versions, and the update that keeps the outgoing body), so the first such write
 * builds it at once (build_versions) and the load goes on with it. */
static int build_versions(struct yl_store_conn *c)
{
	sqlite3_stmt *q;
	int rc =
	    sqlite3_prepare_v2(c->db, "SELECT value FROM store_meta WHERE key = ?1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, VERSIONS_KEY, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		yl_log(YL_LOG_INFO, "store: a resource of this load was there before: building "
		                    "the history version key now");
		rc = exec(c->db, (const char *)sqlite3_column_text(q, 0));
		if (rc == SQLITE_OK)
			rc = run_text(c->db, "DELETE FROM store_meta WHERE key = ?1", VERSIONS_KEY,
			              NULL);
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_OK)
		c->store->versions_deferred = false;
	return rc;
}

/* The date spans again from the date rows (as migration 0009 first counted them). */
static const char recount_spans_sql[] =
    "DELETE FROM idx_date_bucket; "
    "INSERT INTO idx_date_bucket (param, side, b, n) "
    "SELECT param, 0, lo >> 38, count(*) FROM idx_date GROUP BY param, lo >> 38; "
    "INSERT INTO idx_date_bucket (param, side, b, n) "
    "SELECT param, 1, hi >> 38, count(*) FROM idx_date GROUP BY param, hi >> 38";

struct named_sql {
	const char *key, *sql;
};

/* rows of (key, sql) from a query, into the arena */
static int collect_sql(sqlite3 *db, struct yl_arena *a, const char *query, struct named_sql **out,
                       int *n)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, query, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	int cap = 0;
	*n = 0;
	*out = NULL;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			struct named_sql *v = yl_arena_alloc(a, (size_t)cap * sizeof(*v));
			if (!v) {
				rc = SQLITE_NOMEM;
				break;
			}
			if (*n)
				memcpy(v, *out, (size_t)*n * sizeof(*v));
			*out = v;
		}
		(*out)[*n].key = col_text(a, q, 0, NULL);
		(*out)[*n].sql = col_text(a, q, 1, NULL);
		if (!(*out)[*n].key || !(*out)[*n].sql) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static enum yl_code sq_defer_indexes(struct yl_store *s, int *n, struct yl_arena *a,
                                     struct yl_err *err)
{
	*n = 0;
	pthread_mutex_lock(&s->write_lock);
	sqlite3 *db = s->writer->db;
	struct named_sql *v = NULL;
	int rc = exec(db, "BEGIN IMMEDIATE");
	if (rc == SQLITE_OK)
		rc = collect_sql(
		    db, a,
		    "SELECT 'deferred:' || type || ':' || name, sql FROM ("
		    "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND ("
		    "(type = 'index' AND substr(tbl_name, 1, 4) = 'idx_') OR "
		    "(type = 'index' AND name IN ('resource_patient', "
		    "'resource_type_row', 'history_type', 'history_version')) OR "
		    "(type = 'trigger' AND tbl_name = 'idx_date')))",
		    &v, n);
	for (int i = 0; rc == SQLITE_OK && i < *n; i++) {
		if ((rc = run_text(db, META_PUT_SQL, v[i].key, v[i].sql)) != SQLITE_OK)
			break;
		/* deferred:<type>:<name>: names are plain identifiers of our migrations */
		const char *type = v[i].key + strlen("deferred:");
		const char *name = strchr(type, ':') + 1;
		char *drop =
		    yl_arena_printf(a, "DROP %s IF EXISTS \"%s\"",
		                    strncmp(type, "trigger", 7) == 0 ? "TRIGGER" : "INDEX", name);
		rc = drop ? exec(db, drop) : SQLITE_NOMEM;
	}
	rc = rc == SQLITE_OK ? exec(db, "COMMIT") : rc;
	if (rc == SQLITE_OK)
		s->versions_deferred = query_int(s->writer, VERSIONS_DEFERRED_SQL) > 0;
	enum yl_code code = YL_OK;
	if (rc != SQLITE_OK) {
		code = db_error(err, a, db, rc, "dropping the search indexes for a bulk load");
		exec(db, "ROLLBACK");
		*n = 0;
	}
	pthread_mutex_unlock(&s->write_lock);
	return code;
}

static enum yl_code sq_build_deferred(struct yl_store *s, yl_build_progress_fn progress, void *ctx,
                                      int *n, struct yl_arena *a, struct yl_err *err)
{
	*n = 0;
	pthread_mutex_lock(&s->write_lock);
	sqlite3 *db = s->writer->db;
	struct named_sql *v = NULL;
	/* indexes first (sorted in temporary files, not memory: they can be larger than RAM),
	 * then the spans recounted and their triggers, in one transaction */
	/* SQLite's sorter keeps up to a page cache's worth of keys in memory per thread
	 * (threads + 1 of them): a 256 MB bulk-load cache made a 5M-resource import peak at
	 * 1.25 GB while building; 64 MB each keeps the build under ~300 MB */
	int64_t cache = query_int(s->writer, "PRAGMA cache_size");
	int rc = exec(db, "PRAGMA temp_store = FILE; PRAGMA threads = 2; "
	                  "PRAGMA cache_size = -65536");
	if (rc == SQLITE_OK)
		rc = collect_sql(db, a,
		                 "SELECT key, value FROM store_meta WHERE key LIKE 'deferred:%' "
		                 "ORDER BY key LIKE 'deferred:trigger:%', key",
		                 &v, n);
	bool spans = false;
	for (int i = 0; rc == SQLITE_OK && i < *n; i++) {
		bool trigger = strncmp(v[i].key, "deferred:trigger:", 17) == 0;
		if (progress)
			progress(ctx, strrchr(v[i].key, ':') + 1, i + 1, *n);
		if (trigger && !spans) {
			spans = true;
			if ((rc = exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK ||
			    (rc = exec(db, recount_spans_sql)) != SQLITE_OK)
				break;
		} else if (!trigger && (rc = exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK) {
			break;
		}
		/* the object may exist already: built before a crash that left the record */
		rc = run_text(
		    db, "SELECT 1 FROM sqlite_schema WHERE 'deferred:' || type || ':' || name = ?1",
		    v[i].key, NULL);
		if (rc == SQLITE_OK)
			rc = exec(db, v[i].sql);
		else if (rc == SQLITE_ROW)
			rc = SQLITE_OK;
		if (rc != SQLITE_OK || (rc = run_text(db, "DELETE FROM store_meta WHERE key = ?1",
		                                      v[i].key, NULL)) != SQLITE_OK)
			break;
		if (rc == SQLITE_OK && (!trigger || i + 1 == *n))
			rc = exec(db, "COMMIT");
	}
	enum yl_code code = YL_OK;
	if (rc != SQLITE_OK) {
		code = db_error(err, a, db, rc, "building the search indexes after a bulk load");
		if (!sqlite3_get_autocommit(db))
			exec(db, "ROLLBACK");
	}
	if (code == YL_OK)
		s->versions_deferred = false;
	char restore[64];
	snprintf(restore, sizeof restore, "PRAGMA cache_size = %lld", (long long)cache);
	exec(db, restore);
	exec(db, "PRAGMA temp_store = MEMORY; PRAGMA threads = 0");
	pthread_mutex_unlock(&s->write_lock);
	return code;
}

/* Run a journal_mode pragma: whether the mode it reports is want ("wal", "truncate") */
static bool journal_mode_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *q;
	bool is = false;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(q, 0);
		is = mode && strcmp(mode, want) == 0;
	}
	sqlite3_finalize(q);
	return is;
}

static enum yl_code sq_bulk_exclusive(struct yl_store *s, bool on, bool *on_ok, struct yl_arena *a,
                                      struct yl_err *err)
{
	if (on_ok)
		*on_ok = false;
	pthread_mutex_lock(&s->write_lock);
	sqlite3 *db = s->writer->db;
	enum yl_code code = YL_OK;
	if (on && !s->exclusive) {
		pthread_mutex_lock(&s->list_lock);
		bool alone = !s->conns && !s->spare;
		pthread_mutex_unlock(&s->list_lock);
		if (alone) {
			checkpointer_stop(s); /* it leaves the WAL empty */
			if (journal_mode_is(db, "PRAGMA journal_mode = TRUNCATE", "truncate") &&
			    exec(db, "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			             "PRAGMA temp_store = FILE") == SQLITE_OK) {
				/* temp_store: a key built in the load (build_versions) sorts in
				 * files */
				s->exclusive = true;
			} else { /* another process has it open: stay in WAL */
				journal_mode_is(db, "PRAGMA journal_mode = WAL", "wal");
				checkpointer_start(s);
			}
		}
		if (on_ok)
			*on_ok = s->exclusive;
	} else if (!on && s->exclusive) {
		/* the exclusive lock goes with the next access, which turns WAL on again */
		int rc = exec(db, "PRAGMA locking_mode = NORMAL; PRAGMA synchronous = NORMAL; "
		                  "PRAGMA temp_store = MEMORY");
		if (rc != SQLITE_OK || !journal_mode_is(db, "PRAGMA journal_mode = WAL", "wal"))
			code = db_error(err, a, db, rc != SQLITE_OK ? rc : SQLITE_ERROR,
			                "returning to WAL after a bulk load");
		/* what the load wrote unsynced reaches the disk before the store is shared */
		int fd = open(s->path, O_RDONLY);
		if (fd < 0 || fsync(fd) != 0)
			code = yl_err_add(err, a, YL_STORE, NULL,
			                  "the store %s could not be synced after a bulk load",
			                  s->path);
		if (fd >= 0)
			close(fd);
		s->exclusive = false;
		checkpointer_start(s);
	}
	pthread_mutex_unlock(&s->write_lock);
	return code;
}

static bool sq_is_empty(struct yl_store *s)
{
	pthread_mutex_lock(&s->write_lock);
	bool empty = query_int(s->writer, "SELECT NOT EXISTS (SELECT 1 FROM history)") != 0;
	pthread_mutex_unlock(&s->write_lock);
	return empty;
}

static enum yl_code sq_scan(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                            const char *patient, int64_t since_us, int64_t after, int limit,
                            yl_row_fn fn, void *ctx, struct yl_err *err)
{
	c = reader(c);
	sqlite3_stmt *q = stmt(c, !patient   ? ST_SCAN
	                          : *patient ? ST_SCAN_PATIENT
	                                     : ST_SCAN_COMPARTMENT);
	if (!q)
		return db_error(err, a, c->db, SQLITE_ERROR, "scan");
	if (patient && *patient)
		sqlite3_bind_text(q, 5, patient, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, after);
	sqlite3_bind_int64(q, 3, since_us);
	sqlite3_bind_int(q, 4, limit);
	int rc;
	enum yl_code code = YL_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_row row = {.type = type, .deleted = false};
		row.seq = sqlite3_column_int64(q, 0);
		row.id = col_text(a, q, 1, NULL);
		row.version = sqlite3_column_int64(q, 2);
		row.last_updated = sqlite3_column_int64(q, 3);
		row.body = col_body(a, q, 4, &row.body_len);
		if (!row.id || !row.body) {
			code =
			    yl_err_add(err, a, YL_NOMEM, NULL, "out of memory reading resources");
			break;
		}
		if (fn(ctx, &row))
			break;
	}
	if (code == YL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = db_error(err, a, c->db, rc, "scan");
	sqlite3_reset(q);
	return code;
}

/* ---- for the other files of this backend (sqlite-int.h) ---------------------------- */

struct yl_store_conn *yl_sqlite_writer_lock(struct yl_store *s)
{
	pthread_mutex_lock(&s->write_lock);
	return s->writer;
}

void yl_sqlite_writer_unlock(struct yl_store *s)
{
	pthread_mutex_unlock(&s->write_lock);
}

struct yl_store *yl_sqlite_store(struct yl_store_conn *c)
{
	return c->store;
}

struct yl_store_conn *yl_sqlite_reader(struct yl_store_conn *c)
{
	return reader(c);
}

bool yl_sqlite_in_transaction(struct yl_store_conn *c)
{
	return c->in_bulk;
}

sqlite3 *yl_sqlite_db(struct yl_store_conn *c)
{
	return c->db;
}

bool *yl_sqlite_audit_pending(struct yl_store_conn *c)
{
	return &c->audit_pending;
}

sqlite3_stmt *yl_sqlite_prepare(struct yl_store_conn *c, const char *sql)
{
	return cached_prepare(c, sql, strlen(sql));
}

void yl_sqlite_done(struct yl_store_conn *c, sqlite3_stmt *q)
{
	release_sql(c, q);
}

enum yl_code yl_sqlite_error(struct yl_err *err, struct yl_arena *a, struct yl_store_conn *c,
                             int rc, const char *what)
{
	return db_error(err, a, c ? c->db : NULL, rc, what);
}

const struct yl_store_ops yl_sqlite_ops = {
    .name = "sqlite",
    .open = store_open,
    .close = sq_close,
    .conn = sq_conn,
    .conn_release = sq_conn_release,
    .set_cache = sq_set_cache,
    .set_writer_cache = sq_set_writer_cache,
    .prewarm = sq_prewarm,
    .schema_version = sq_schema_version,
    .read = sq_read,
    .write = sq_write,
    .history = sq_history,
    .history_count = sq_history_count,
    .changes = sq_changes,
    .last_seq = sq_last_seq,
    .watch = NULL, /* one process writes a SQLite store; its own writes need no wake-up */
    .scan = sq_scan,
    .search = sq_search,
    .include = sq_include,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .is_empty = sq_is_empty,
    .defer_indexes = sq_defer_indexes,
    .build_deferred = sq_build_deferred,
    .bulk_exclusive = sq_bulk_exclusive,
    .reindex = sq_reindex,
    .user_get = yl_sq_user_get,
    .user_put = yl_sq_user_put,
    .user_list = yl_sq_user_list,
    .user_none = yl_sq_user_none,
    .token_put = yl_sq_token_put,
    .token_get = yl_sq_token_get,
    .token_revoke = yl_sq_token_revoke,
    .token_list = yl_sq_token_list,
    .grant_put = yl_sq_grant_put,
    .grant_list = yl_sq_grant_list,
    .audit_append = yl_sq_audit_append,
    .audit_scan = yl_sq_audit_scan,
    .begin = sq_begin,
    .in_transaction = sq_in_transaction,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .hold_index = sq_hold_index,
    .flush_index = sq_flush_index,
};
