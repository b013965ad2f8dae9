/* store.h -- the one storage interface: current resources, versioned history, change log
 * and typed search-index rows, behind a backend (SQLite now; PostgreSQL later).
 *
 * Lifecycle: yl_store_open() applies numbered migrations and returns a shared handle;
 * yl_store_close() closes it after every worker has stopped. Each thread works through its
 * own connection (yl_store_conn(), created lazily, one per thread per store; it lives until
 * yl_store_close()).
 * Writes: each yl_store_write() covers the resource row, the history row (the history table
 * is the change log, ordered by seq) and the index rows atomically. Writes go through one writer
 * connection; writes that arrive together are committed together (group commit, each in its own
 * savepoint), so concurrent clients share one WAL commit. The change-log seq is the commit time in
 * microseconds, strictly increasing, and is also the version's meta.lastUpdated.
 * Checkpoints run on a background thread.
 * Memory: every string handed out (bodies, ids) is copied into the caller's arena.
 * Errors: backend errors are translated here into enum yl_code with a message in err;
 * SQLite error text never leaves this module. */
#ifndef YL_STORE_H
#define YL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct yl_store;
struct yl_store_conn;

enum yl_code yl_store_open(const char *path, struct yl_store **out, struct yl_arena *a,
                           struct yl_err *err);
/* The same, for a bulk load (yilian import): when a bulk load of this store was killed
 * before it built its search indexes, they are left to build (*unfinished set true) for
 * the caller, which goes on loading first and then calls yl_store_build_deferred(). */
enum yl_code yl_store_open_for_load(const char *path, struct yl_store **out, bool *unfinished,
                                    struct yl_arena *a, struct yl_err *err);
void yl_store_close(struct yl_store *s);
/* Whether `where` names a PostgreSQL database (a "postgresql://" or "postgres://" URI, or
 * a libpq "key=value" string with dbname=) rather than a SQLite file. */
bool yl_store_is_pg(const char *where);
/* `where` as logs and messages may show it: a PostgreSQL password replaced by ***. */
const char *yl_store_display(const char *where, struct yl_arena *a);
/* "sqlite" or "postgresql". */
const char *yl_store_backend(const struct yl_store *s);
struct yl_store_conn *yl_store_conn(struct yl_store *s, struct yl_arena *a, struct yl_err *err);
/* A thread that ends before the store closes hands its connection (if it took one) to the
 * next thread that asks, instead of leaving it open and unused until yl_store_close(). */
void yl_store_conn_release(struct yl_store *s);

/* Memory for the worker connections: each keeps up to cache_mb MB of pages in its own
 * page cache (default 64), reading the file with pread rather than a memory map when larger
 * (process memory is not given back to the system behind the server's back, as idle file
 * pages may be). Call before the first yl_store_conn(). */
void yl_store_set_cache(struct yl_store *s, int cache_mb);
/* The same for the one writer connection, at once (bulk loads: every index insert of a
 * store larger than RAM reads a random page). */
enum yl_code yl_store_set_writer_cache(struct yl_store *s, int cache_mb, struct yl_arena *a,
                                       struct yl_err *err);

/* Open n worker connections now and read the store's B-trees into each one's page cache
 * (the search indexes first, then the index tables, then the resources; history last),
 * stopping when the cache is full; yl_store_conn() hands them to the first n threads that
 * ask. Runs the n in parallel; returns when all are warm. */
enum yl_code yl_store_prewarm(struct yl_store *s, int n, struct yl_arena *a, struct yl_err *err);

/* Migrations applied so far (for `yilian version` and tests). */
int yl_store_schema_version(struct yl_store_conn *c);

struct yl_row {
	const char *type;
	const char *id;
	int64_t version;
	int64_t last_updated; /* us */
	bool deleted;
	const char *body; /* NULL for a delete tombstone */
	size_t body_len;
	int64_t seq; /* change-log sequence (history listings); the resource row (searches) */
	const struct yl_key *keys; /* searches: the sort key values (plan->nsort), else NULL */
	const char *patient;       /* the compartment patient: reads, history and includes (the
	                            * policy's question), NULL when none or not read */
};

/* Read the current row (version 0) or one version. YL_NOT_FOUND if absent; a deleted
 * current resource is returned with deleted=true (the caller answers 410). */
enum yl_code yl_store_read(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                           const char *id, int64_t version, struct yl_row *out, struct yl_err *err);

enum yl_index_kind {
	YL_IDX_TOKEN,
	YL_IDX_STRING,
	YL_IDX_DATE,
	YL_IDX_NUMBER,
	YL_IDX_QUANTITY,
	YL_IDX_REFERENCE,
	YL_IDX_URI,
	YL_IDX_COMPOSITE
};

/* One search-index row, produced by the extractor (fhir/extract.h) and stored by the
 * backend. Which fields are used depends on kind; unused pointers are NULL. Hashes are
 * yl_hash_parts() values (core/hash.h), stored as SQL INTEGER. */
struct yl_index_row {
	enum yl_index_kind kind;
	int64_t param_hash; /* yl_hash_parts(2, resource type, param code) */
	/* token, and component 1 of a composite */
	const char *system; /* NULL when absent */
	const char *code;   /* code, identifier value, boolean "true"/"false", ... */
	const char *text;   /* display/text, for :text; NULL when none */
	int64_t value_hash; /* yl_hash_parts(2, system or "", code) */
	int64_t code_hash;  /* yl_hash_parts(1, code) */
	int64_t
	    type_hash; /* Identifier.type coding: yl_hash_parts(2, system, code), for :of-type; 0 */
	/* string */
	const char *norm;  /* case- and accent-folded, for starts-with and :contains */
	const char *exact; /* as recorded, for :exact */
	/* date: the instant range the value covers at its precision, inclusive, UTC us */
	int64_t date_lo, date_hi;
	/* number and quantity: the range the value covers at its implicit precision */
	double num_lo, num_hi;
	const char *unit_system; /* quantity: as recorded */
	const char *unit_code;
	double canon_lo, canon_hi; /* quantity in UCUM canonical units, when convertible */
	const char *canon_code;    /* NULL when not convertible */
	/* reference */
	const char *ref_type; /* "Patient" for Patient/123; NULL when unknown */
	const char *ref_id;   /* "123"; NULL for absolute URLs that are not ours */
	const char *ref_url;  /* the reference as written (also canonical URLs) */
	/* uri */
	const char *uri;
	/* composite: component 2 is a token (comp_value_hash, comp_code_hash), a quantity or
	 * number (num_* / canon_* / unit_*), a date (date_*), or a string (norm) */
	enum yl_index_kind comp_kind;
	int64_t comp_value_hash, comp_code_hash;
};

enum yl_write_op { YL_WRITE_CREATE, YL_WRITE_UPDATE, YL_WRITE_DELETE };

/* Renders the stored body once the version and timestamp are known (inside the write
 * transaction). Returns arena text or NULL on out-of-memory. */
typedef const char *(*yl_render_fn)(void *ctx, struct yl_arena *a, int64_t version,
                                    int64_t last_updated, size_t *len);

struct yl_write {
	enum yl_write_op op;
	const char *type;
	const char *id;
	int64_t if_match;    /* expected current version, 0 = unconditional */
	const char *patient; /* compartment id or NULL */
	yl_render_fn render; /* not used for delete */
	void *render_ctx;
	const struct yl_index_row *index; /* rows for the new version */
	size_t index_count;
	bool keep_same; /* update: when the text equals the current version's or one of
	                 * the few before it (meta aside), write nothing and set noop: an
	                 * import run twice, or a file with an older copy of a resource than
	                 * another file, stores nothing new (body is then NULL) */
	/* Optional: the body already rendered for version 1 at pre_last_updated, and packed
	 * (yl_body_pack), by a caller with time to spare (the import's parsing thread). The
	 * store takes them when the write is the resource's first version and that time is
	 * later than every stored one; otherwise it renders as usual. */
	const char *pre_body;
	size_t pre_body_len;
	const void *pre_packed;
	size_t pre_packed_len;
	int64_t pre_last_updated;
	/* Optional: rules that need the store as the write will find it (an identifier held
	 * once, a contract per resident, a team's capacity). Called inside the write's
	 * transaction, after the version checks and before anything is written, with the
	 * writer connection: its reads see every write committed or queued before this one,
	 * and no other write runs until this one ends. A code other than YL_OK (err filled)
	 * refuses the write and nothing of it is stored. */
	enum yl_code (*check)(void *ctx, struct yl_store_conn *c, struct yl_arena *a,
	                      const struct yl_write *w, struct yl_err *err);
	void *check_ctx;
	/* Optional: the audit event of this write, rendered once the write has succeeded
	 * (its version known) and appended to the audit trail in the same transaction, so a
	 * change is never stored without its record nor recorded without being stored. NULL
	 * text (out of memory) fails the write. */
	const char *(*audit)(void *ctx, struct yl_arena *a, const struct yl_write *w, size_t *len);
	void *audit_ctx;
	const char *audit_agent; /* the username, for the audit row */
	/* OUT: */
	int64_t version;
	int64_t last_updated;
	bool created; /* no live version existed before */
	bool noop;    /* delete of an already deleted resource; keep_same and unchanged */
	const char *body;
	size_t body_len;
};

/* Create: fails with YL_CONFLICT if the id exists (live or deleted).
 * Update: creates when absent or deleted (w->created), else version+1; If-Match mismatch
 * -> YL_PRECONDITION_FAILED. Delete: YL_NOT_FOUND if never existed; tombstone version
 * otherwise (noop if already deleted). */
enum yl_code yl_store_write(struct yl_store_conn *c, struct yl_arena *a, struct yl_write *w,
                            struct yl_err *err);

/* History listing, newest first. type and id may be NULL (type / system level).
 * since_us: only versions with last_updated >= since (0 = all). before: cursor from a
 * previous page (the last row's seq for type/system, version for instance; 0 = start).
 * Calls fn for up to limit rows; returns YL_OK or an error. */
typedef int (*yl_row_fn)(void *ctx, const struct yl_row *row);
enum yl_code yl_store_history(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                              const char *id, int64_t since_us, int64_t before, int limit,
                              yl_row_fn fn, void *ctx, struct yl_err *err);
enum yl_code yl_store_history_count(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                                    const char *id, int64_t since_us, int64_t *count,
                                    struct yl_err *err);

/* The change log (the history table in commit order): up to limit changes with seq > after,
 * oldest first. fn gets each (strings valid during the call only) and returns non-zero to
 * stop. patient is the compartment the version belonged to, or NULL. The derived in-memory
 * structures (care/population.h) tail it. */
struct yl_change {
	int64_t seq;
	const char *type, *id, *patient;
};
typedef int (*yl_change_fn)(void *ctx, const struct yl_change *ch);
enum yl_code yl_store_changes(struct yl_store_conn *c, struct yl_arena *a, int64_t after, int limit,
                              yl_change_fn fn, void *ctx, struct yl_err *err);
/* Call fn (from a thread of the store's) whenever another process or node may have
 * committed changes: PostgreSQL's NOTIFY, sent by every commit that wrote. The derived
 * in-memory structures wake on it to read the change log; SQLite, written by one process,
 * never calls it. One watcher per store; fn must be quick and must not use the store. */
void yl_store_watch(struct yl_store *s, void (*fn)(void *ctx), void *ctx);
/* The last change's seq (0 for an empty store). */
enum yl_code yl_store_last_seq(struct yl_store_conn *c, struct yl_arena *a, int64_t *seq,
                               struct yl_err *err);

/* Bulk export: the current (not deleted) resources of `type` last updated at or after
 * since_us, in row order after row `after` (0 = from the first), up to limit; each
 * row->seq is its row, the next call's `after`. patient: NULL for every resource, "" for
 * those in some patient's compartment, an id for that patient's. */
enum yl_code yl_store_scan(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                           const char *patient, int64_t since_us, int64_t after, int limit,
                           yl_row_fn fn, void *ctx, struct yl_err *err);

/* Run a search plan (store/search.h): fn gets up to p->count matching current resources
 * after the cursor p->after, in resource-row order, each with row->seq = its cursor. When
 * p->total, *total is the number of all matches (else -1). */
struct yl_search_plan;
struct yl_include;
struct yl_key;
enum yl_code yl_store_search(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_search_plan *p, yl_row_fn fn, void *ctx,
                             int64_t *total, struct yl_err *err);

/* The resources an include reaches from rows[0..n) (search results: seq is the resource
 * row), each passed to fn once per call; fn returns non-zero to stop. */
enum yl_code yl_store_include(struct yl_store_conn *c, struct yl_arena *a,
                              const struct yl_include *inc, const struct yl_row *rows, size_t n,
                              yl_row_fn fn, void *ctx, struct yl_err *err);

/* store_meta: small facts about the store (e.g. "index_fingerprint"). get sets *value to
 * arena text or NULL when the key is absent. */
enum yl_code yl_store_meta_get(struct yl_store *s, struct yl_arena *a, const char *key,
                               const char **value, struct yl_err *err);
enum yl_code yl_store_meta_set(struct yl_store *s, struct yl_arena *a, const char *key,
                               const char *value, struct yl_err *err);
/* No resource was ever written. */
bool yl_store_is_empty(struct yl_store *s);

/* Bulk loads into a store with few rows (yilian import into an empty store): drop the
 * search indexes, the date-span triggers and history's version key (built at once by the
 * first write to a resource that existed, the only one that reads it), so that a
 * load appends rows instead of inserting each index entry at a random place in B-trees
 * larger than the page cache; their SQL is kept in store_meta ("deferred:..."), so a
 * killed load leaves a record of what is missing. yl_store_build_deferred() creates them
 * again (SQLite sorts each index once, on helper threads) and recounts the date spans;
 * yl_store_open() does so itself when a load was killed before (yl_store_open_for_load()
 * leaves that to its caller). Searches while indexes
 * are deferred are slow. *n: how many were dropped / built. Not inside yl_store_begin(). */
enum yl_code yl_store_defer_indexes(struct yl_store *s, int *n, struct yl_arena *a,
                                    struct yl_err *err);
/* progress (may be NULL) is called before each index with its name, i of n. */
typedef void (*yl_build_progress_fn)(void *ctx, const char *name, int i, int n);
enum yl_code yl_store_build_deferred(struct yl_store *s, yl_build_progress_fn progress, void *ctx,
                                     int *n, struct yl_arena *a, struct yl_err *err);

/* A bulk load with the store to itself (yilian import into an empty store): on, the writer
 * connection leaves WAL for a rollback journal (TRUNCATE), takes an exclusive lock until
 * off, and stops syncing; the checkpointer stops. Pages a load appends are then written
 * once (a WAL writes each page twice, and its checkpoints fsync under the write lock),
 * and only the pages a transaction changes that existed before it are journaled, so a
 * killed load rolls back its last transaction as before. Other processes cannot open the
 * store meanwhile. Off: back to WAL, the file synced, the checkpointer started.
 * *on_ok is set false (and YL_OK returned) when the store cannot be had alone: other
 * connections of this process are open; the load then goes on in WAL. Not inside
 * yl_store_begin(). */
enum yl_code yl_store_bulk_exclusive(struct yl_store *s, bool on, bool *on_ok, struct yl_arena *a,
                                     struct yl_err *err);

/* Rebuild the index rows of every current (not deleted) resource, without new versions:
 * fn gets each stored row and returns its index rows (in the arena it is given, which is
 * reset between batches). Runs in transactions of REINDEX_BATCH resources; *count is the
 * number of resources reindexed. */
typedef enum yl_code (*yl_reindex_fn)(void *ctx, struct yl_arena *a, const struct yl_row *row,
                                      const char *patient, struct yl_index_row **rows, size_t *n,
                                      struct yl_err *err);
enum yl_code yl_store_reindex(struct yl_store *s, yl_reindex_fn fn, void *ctx, int64_t *count,
                              struct yl_err *err, struct yl_arena *a);

/* ---- identity and audit (auth/) ------------------------------------------------------
 * Users, their sessions and API tokens, and the append-only audit trail. Strings handed
 * out are arena copies. Writes here take the writer directly (they are few: a login, a
 * grant), never inside yl_store_begin(). */

struct yl_user {
	int64_t id; /* 0 for a new user */
	const char *username;
	const char *pw_hash;      /* argon2id string (auth/credential.h) */
	const char *roles;        /* space-separated role codes ("" for none) */
	const char *practitioner; /* Practitioner id or NULL */
	const char *patient;      /* Patient id or NULL */
	const char *organization; /* Organization id or NULL (an institution; a region) */
	bool disabled;
	bool must_change;     /* the password was set by someone else */
	int failed;           /* consecutive failed logins */
	int64_t locked_until; /* us; 0 = not locked */
	int64_t created, updated;
};

/* One audit event: body is a FHIR AuditEvent without id (the seq becomes it), patient the
 * resident it concerns (or NULL), agent the username (or NULL). */
struct yl_audit_rec {
	const char *body;
	size_t len;
	const char *patient;
	const char *agent;
	int64_t recorded; /* us */
};

/* A user by username (id 0) or by id: YL_NOT_FOUND when there is none. */
enum yl_code yl_store_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                               int64_t id, struct yl_user *out, struct yl_err *err);
/* Insert (u->id 0: YL_CONFLICT when the username is taken; u->id set) or replace every
 * field of user u->id, with audit (may be NULL) appended in the same transaction. */
enum yl_code yl_store_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                               const struct yl_audit_rec *audit, struct yl_err *err);
/* Every user, by username; fn returns non-zero to stop. */
typedef int (*yl_user_fn)(void *ctx, const struct yl_user *u);
enum yl_code yl_store_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn,
                                void *ctx, struct yl_err *err);
/* Whether no user exists yet (first start). */
enum yl_code yl_store_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                                struct yl_err *err);

struct yl_token {
	const char *digest; /* hex BLAKE2b-256 of the token (auth/credential.h) */
	int64_t user_id;
	const char *kind;                  /* "session" | "api" */
	const char *label;                 /* API tokens: what the client is */
	const char *scope;                 /* "" = the user's rights; "read" = reads only */
	int64_t created, expires, revoked; /* us; revoked 0 = live */
};
/* Store a new token, with audit (may be NULL) in the same transaction. */
enum yl_code yl_store_token_put(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_token *t, const struct yl_audit_rec *audit,
                                struct yl_err *err);
/* A token by digest (revoked or expired ones too: the caller decides): YL_NOT_FOUND. */
enum yl_code yl_store_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                struct yl_token *out, struct yl_err *err);
/* Revoke one token (digest), or every live token of user_id (digest NULL), at time `at`;
 * *n how many were live; audit (may be NULL) in the same transaction. */
enum yl_code yl_store_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                   int64_t user_id, int64_t at, int *n,
                                   const struct yl_audit_rec *audit, struct yl_err *err);
/* A user's tokens, newest first; fn returns non-zero to stop. */
typedef int (*yl_token_fn)(void *ctx, const struct yl_token *t);
enum yl_code yl_store_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                                 yl_token_fn fn, void *ctx, struct yl_err *err);

/* Time-limited access to one resident's record (break-the-glass; a supervisor's stated
 * purpose). */
struct yl_grant {
	int64_t id;
	int64_t user_id;
	const char *patient;
	const char *reason;
	const char *kind; /* "break-the-glass" | "purpose" */
	int64_t created, expires;
};
/* Store a grant with its audit event, in one transaction; g->id set. */
enum yl_code yl_store_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                                const struct yl_audit_rec *audit, struct yl_err *err);
/* Grants of user_id (0: every user's) that expire after `live_at` (0: every grant), newest
 * first, up to limit; fn returns non-zero to stop. */
typedef int (*yl_grant_fn)(void *ctx, const struct yl_grant *g);
enum yl_code yl_store_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                                 int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                                 struct yl_err *err);

/* Append events to the audit trail. From a thread inside yl_store_begin() (a transaction
 * Bundle) they join that transaction; otherwise they go through the group commit with
 * concurrent writes, and are on disk when this returns. */
enum yl_code yl_store_audit_append(struct yl_store_conn *c, struct yl_arena *a,
                                   const struct yl_audit_rec *ev, size_t n, struct yl_err *err);
/* Audit events in seq order after `after` (ascending) -- or, with newest_first, before
 * `after` (0 = from the newest) -- up to limit; patient NULL for every event. fn gets seq,
 * the stored hash and the row (strings valid during the call) and returns non-zero to
 * stop. */
typedef int (*yl_audit_fn)(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev);
enum yl_code yl_store_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                                 int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                                 void *ctx, struct yl_err *err);

/* Optional, inside yl_store_begin() .. commit, before a batch of writes: the resources the
 * batch will write (types[i]/ids[i]), so the store may look up their current versions all
 * at once (PostgreSQL: one round trip for the batch instead of one a write). A no-op for
 * SQLite. Strings are copied. */
enum yl_code yl_store_expect(struct yl_store_conn *c, struct yl_arena *a, const char *const *types,
                             const char *const *ids, size_t n, struct yl_err *err);

/* Bulk loading (benchmarks, import): group many writes in one transaction. */
enum yl_code yl_store_begin(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err);
/* Whether this connection's thread is inside yl_store_begin() .. commit (a transaction
 * Bundle): an operation that writes several resources then joins it instead of beginning
 * its own. */
bool yl_store_in_transaction(const struct yl_store_conn *c);
enum yl_code yl_store_commit(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err);
void yl_store_rollback(struct yl_store_conn *c);
/* Inside yl_store_begin() .. commit: the index rows of the writes that follow are held and
 * inserted many to a statement (about half SQLite's cost per row) at
 * yl_store_flush_index(), at the commit, before a write that replaces a resource's rows,
 * or every few thousand rows. Until then each write's w->index and w->patient must stay
 * alive, and searches on this transaction do not see the held rows. The commit or
 * rollback ends the holding. */
void yl_store_hold_index(struct yl_store_conn *c);
enum yl_code yl_store_flush_index(struct yl_store_conn *c, struct yl_arena *a, struct yl_err *err);

#endif
