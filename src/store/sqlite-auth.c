/* sqlite-auth.c -- the SQLite backend of store.h's identity and audit part: auth_user,
 * auth_token and the audit trail (migration 0010). Reads go through the thread's
 * connection; writes take the writer and its lock, each in one transaction with its audit
 * event. */
#include <string.h>

#include "core/chain.h"
#include "core/time.h"
#include "store/body.h"
#include "store/sqlite-int.h"

#define USER_COLS                                                                                  \
	"id, username, pw_hash, roles, practitioner, patient, organization, disabled, "            \
	"must_change, failed, locked_until, created, updated"
#define TOKEN_COLS "digest, user_id, kind, label, scope, created, expires, revoked"

static const char *text(struct yl_arena *a, sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? yl_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(q, i)) : NULL;
}

static void bind_opt(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int step_done(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- the audit trail ---------------------------------------------------------------- */

int yl_sqlite_audit_insert(struct yl_store_conn *w, const struct yl_audit_rec *ev, size_t n)
{
	sqlite3_stmt *q =
	    yl_sqlite_prepare(w, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	int64_t seq = 0;
	char prev[YL_CHAIN_HEX_LEN + 1] = YL_CHAIN_ORIGIN;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(q, 0);
		const unsigned char *h = sqlite3_column_text(q, 1);
		if (h && sqlite3_column_bytes(q, 1) == YL_CHAIN_HEX_LEN)
			memcpy(prev, h, YL_CHAIN_HEX_LEN);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	yl_sqlite_done(w, q);
	if (rc != SQLITE_OK)
		return rc;
	q = yl_sqlite_prepare(w, "INSERT INTO audit (seq, recorded, patient, agent, body, hash) "
	                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	/* bodies are kept as text: packing them (store/body.h) took them from ~600 to ~400
	 * bytes but was a third of the audit writer's CPU; trails that packed them are read
	 * either way (yl_store_audit_scan). The chain covers the JSON. */
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		char hash[YL_CHAIN_HEX_LEN + 1];
		seq++;
		yl_chain_hash(prev, seq, ev[i].body, ev[i].len, hash);
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, seq);
		sqlite3_bind_int64(q, 2, ev[i].recorded ? ev[i].recorded : yl_now_us());
		bind_opt(q, 3, ev[i].patient);
		bind_opt(q, 4, ev[i].agent);
		sqlite3_bind_text(q, 5, ev[i].body, (int)ev[i].len, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, hash, YL_CHAIN_HEX_LEN, SQLITE_STATIC);
		rc = step_done(q);
		memcpy(prev, hash, sizeof prev);
	}
	yl_sqlite_done(w, q);
	if (rc == SQLITE_OK && n > 0)
		*yl_sqlite_audit_pending(w) = true;
	return rc;
}

/* The postings take the events after the mark (all of them when the mark is missing: a
 * resident's listing reads the postings as a set, so one posted twice is listed once);
 * then the mark moves to the last event. An FTS5 table writes what a statement adds as one
 * segment at the end of the statement or at the next savepoint, merging segments as they
 * pile up: hence once per transaction, after the group commit's last savepoint (a
 * segment per write cost 4x the CPU of one per commit). */
int yl_sqlite_audit_index(struct yl_store_conn *w)
{
	bool *pending = yl_sqlite_audit_pending(w);
	if (!*pending)
		return SQLITE_OK;
	static const char *const sql[] = {
	    "INSERT INTO audit_by_patient (rowid, patient) SELECT seq, hex(patient) FROM audit "
	    "WHERE seq > coalesce((SELECT CAST(value AS INTEGER) FROM store_meta "
	    "WHERE key = 'audit_by_patient'), 0) AND patient IS NOT NULL ORDER BY seq",
	    "INSERT INTO store_meta (key, value) VALUES ('audit_by_patient', "
	    "(SELECT coalesce(max(seq), 0) FROM audit)) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"};
	int rc = SQLITE_OK;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && rc == SQLITE_OK; i++) {
		sqlite3_stmt *q = yl_sqlite_prepare(w, sql[i]);
		if (!q)
			return sqlite3_errcode(yl_sqlite_db(w));
		rc = step_done(q);
		yl_sqlite_done(w, q);
	}
	if (rc == SQLITE_OK)
		*pending = false;
	return rc;
}

enum yl_code yl_sq_audit_append(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err)
{
	if (n == 0)
		return YL_OK;
	return yl_sqlite_queue_audit(c, a, ev, n, err);
}

enum yl_code yl_sq_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                              int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                              void *ctx, struct yl_err *err)
{
	/* a resident's events: their postings (migration 0011), each event checked again */
#define AUDIT_COLS "seq, hash, recorded, patient, agent, body"
#define BY_PATIENT(op, order)                                                                      \
	"SELECT " AUDIT_COLS " FROM audit WHERE seq IN (SELECT rowid FROM audit_by_patient "       \
	"WHERE audit_by_patient MATCH '\"' || hex(?3) || '\"' AND rowid " op " ?1 "                \
	"ORDER BY rowid " order " LIMIT ?2) AND patient = ?3 ORDER BY seq " order
	static const char *const sql[2][2] = {
	    {"SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	     "SELECT " AUDIT_COLS " FROM audit WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"},
	    {BY_PATIENT(">", "ASC"), BY_PATIENT("<", "DESC")}};
#undef BY_PATIENT
#undef AUDIT_COLS
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q = yl_sqlite_prepare(c, sql[patient != NULL][newest_first]);
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "reading the audit trail");
	sqlite3_bind_int64(q, 1, newest_first && after <= 0 ? INT64_MAX : after);
	sqlite3_bind_int(q, 2, limit);
	if (patient)
		sqlite3_bind_text(q, 3, patient, -1, SQLITE_STATIC);
	int rc;
	struct yl_arena *scratch = yl_arena_create(1 << 14);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_audit_rec ev = {
		    .recorded = sqlite3_column_int64(q, 2),
		    .patient = (const char *)sqlite3_column_text(q, 3),
		    .agent = (const char *)sqlite3_column_text(q, 4),
		};
		if (sqlite3_column_type(q, 5) == SQLITE_BLOB) {
			if (scratch)
				yl_arena_reset(scratch);
			ev.body = scratch
			              ? yl_body_unpack(scratch, sqlite3_column_blob(q, 5),
			                               (size_t)sqlite3_column_bytes(q, 5), &ev.len)
			              : NULL;
			if (!ev.body) /* unreadable: verify reports it as changed */
				ev.body = "", ev.len = 0;
		} else {
			ev.body = (const char *)sqlite3_column_text(q, 5);
			ev.len = (size_t)sqlite3_column_bytes(q, 5);
		}
		const char *hash = (const char *)sqlite3_column_text(q, 1);
		if (fn(ctx, sqlite3_column_int64(q, 0), hash ? hash : "", &ev))
			break;
	}
	yl_arena_destroy(scratch);
	enum yl_code code = rc == SQLITE_ROW || rc == SQLITE_DONE
	                        ? YL_OK
	                        : yl_sqlite_error(err, a, c, rc, "reading the audit trail");
	yl_sqlite_done(c, q);
	return code;
}

/* ---- writes with their audit event, in one transaction on the writer --------------- */

typedef int (*locked_fn)(struct yl_store_conn *w, void *ctx);

static enum yl_code in_transaction(struct yl_store_conn *c, struct yl_arena *a, locked_fn fn,
                                   void *ctx, const struct yl_audit_rec *audit, const char *what,
                                   struct yl_err *err)
{
	struct yl_store *s = yl_sqlite_store(c);
	struct yl_store_conn *w = yl_sqlite_writer_lock(s);
	sqlite3 *db = yl_sqlite_db(w);
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = fn(w, ctx);
	if (rc == SQLITE_OK && audit)
		rc = yl_sqlite_audit_insert(w, audit, 1);
	if (rc == SQLITE_OK)
		rc = yl_sqlite_audit_index(w);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	enum yl_code code = YL_OK;
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			code = yl_err_add(err, a, YL_CONFLICT, NULL, "%s: it already exists", what);
		else
			code = yl_sqlite_error(err, a, w, rc, what);
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	yl_sqlite_writer_unlock(s);
	return code;
}

/* ---- users -------------------------------------------------------------------------- */

static void read_user(struct yl_arena *a, sqlite3_stmt *q, struct yl_user *u)
{
	*u = (struct yl_user){
	    .id = sqlite3_column_int64(q, 0),
	    .username = text(a, q, 1),
	    .pw_hash = text(a, q, 2),
	    .roles = text(a, q, 3),
	    .practitioner = text(a, q, 4),
	    .patient = text(a, q, 5),
	    .organization = text(a, q, 6),
	    .disabled = sqlite3_column_int(q, 7) != 0,
	    .must_change = sqlite3_column_int(q, 8) != 0,
	    .failed = sqlite3_column_int(q, 9),
	    .locked_until = sqlite3_column_int64(q, 10),
	    .created = sqlite3_column_int64(q, 11),
	    .updated = sqlite3_column_int64(q, 12),
	};
}

enum yl_code yl_sq_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                            int64_t id, struct yl_user *out, struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q = yl_sqlite_prepare(
	    c, username ? "SELECT " USER_COLS " FROM auth_user WHERE username = ?1"
	                : "SELECT " USER_COLS " FROM auth_user WHERE id = ?2");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "reading a user");
	if (username)
		sqlite3_bind_text(q, 1, username, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 2, id);
	int rc = sqlite3_step(q);
	enum yl_code code = YL_OK;
	if (rc == SQLITE_ROW)
		read_user(a, q, out);
	else if (rc == SQLITE_DONE)
		code = yl_err_add(err, a, YL_NOT_FOUND, NULL, "no such user");
	else
		code = yl_sqlite_error(err, a, c, rc, "reading a user");
	yl_sqlite_done(c, q);
	return code;
}

static int put_user(struct yl_store_conn *w, void *ctx)
{
	struct yl_user *u = ctx;
	sqlite3_stmt *q = yl_sqlite_prepare(
	    w, u->id ? "UPDATE auth_user SET username = ?2, pw_hash = ?3, roles = ?4, "
	               "practitioner = ?5, patient = ?6, organization = ?7, disabled = ?8, "
	               "must_change = ?9, failed = ?10, locked_until = ?11, updated = ?13 "
	               "WHERE id = ?1"
	             : "INSERT INTO auth_user (" USER_COLS ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, "
	               "?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	if (u->id)
		sqlite3_bind_int64(q, 1, u->id);
	sqlite3_bind_text(q, 2, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, u->pw_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, u->roles ? u->roles : "", -1, SQLITE_STATIC);
	bind_opt(q, 5, u->practitioner);
	bind_opt(q, 6, u->patient);
	bind_opt(q, 7, u->organization);
	sqlite3_bind_int(q, 8, u->disabled);
	sqlite3_bind_int(q, 9, u->must_change);
	sqlite3_bind_int(q, 10, u->failed);
	sqlite3_bind_int64(q, 11, u->locked_until);
	sqlite3_bind_int64(q, 12, u->created);
	sqlite3_bind_int64(q, 13, u->updated);
	int rc = step_done(q);
	if (rc == SQLITE_OK && !u->id)
		u->id = sqlite3_last_insert_rowid(yl_sqlite_db(w));
	yl_sqlite_done(w, q);
	return rc;
}

enum yl_code yl_sq_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                            const struct yl_audit_rec *audit, struct yl_err *err)
{
	int64_t now = yl_now_us();
	if (!u->id && !u->created)
		u->created = now;
	u->updated = now;
	enum yl_code code = in_transaction(c, a, put_user, u, audit, "storing the user", err);
	if (code == YL_CONFLICT) {
		yl_err_init(err);
		code = yl_err_add(err, a, YL_CONFLICT, NULL, "the username '%s' is taken",
		                  u->username);
	}
	return code;
}

enum yl_code yl_sq_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn, void *ctx,
                             struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q =
	    yl_sqlite_prepare(c, "SELECT " USER_COLS " FROM auth_user ORDER BY username");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "listing users");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_user u;
		read_user(a, q, &u);
		if (fn(ctx, &u))
			break;
	}
	enum yl_code code = rc == SQLITE_ROW || rc == SQLITE_DONE
	                        ? YL_OK
	                        : yl_sqlite_error(err, a, c, rc, "listing users");
	yl_sqlite_done(c, q);
	return code;
}

enum yl_code yl_sq_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                             struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q = yl_sqlite_prepare(c, "SELECT NOT EXISTS (SELECT 1 FROM auth_user)");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "counting users");
	int rc = sqlite3_step(q);
	*none = rc == SQLITE_ROW && sqlite3_column_int(q, 0);
	yl_sqlite_done(c, q);
	return rc == SQLITE_ROW ? YL_OK : yl_sqlite_error(err, a, c, rc, "counting users");
}

/* ---- tokens ------------------------------------------------------------------------- */

static int put_token(struct yl_store_conn *w, void *ctx)
{
	const struct yl_token *t = ctx;
	sqlite3_stmt *q = yl_sqlite_prepare(w, "INSERT INTO auth_token (" TOKEN_COLS ") VALUES "
	                                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	sqlite3_bind_text(q, 1, t->digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, t->user_id);
	sqlite3_bind_text(q, 3, t->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, t->label ? t->label : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, t->scope ? t->scope : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, t->created);
	sqlite3_bind_int64(q, 7, t->expires);
	int rc = step_done(q);
	yl_sqlite_done(w, q);
	return rc;
}

enum yl_code yl_sq_token_put(struct yl_store_conn *c, struct yl_arena *a, const struct yl_token *t,
                             const struct yl_audit_rec *audit, struct yl_err *err)
{
	return in_transaction(c, a, put_token, (void *)t, audit, "storing a token", err);
}

static void read_token(struct yl_arena *a, sqlite3_stmt *q, struct yl_token *t)
{
	*t = (struct yl_token){
	    .digest = text(a, q, 0),
	    .user_id = sqlite3_column_int64(q, 1),
	    .kind = text(a, q, 2),
	    .label = text(a, q, 3),
	    .scope = text(a, q, 4),
	    .created = sqlite3_column_int64(q, 5),
	    .expires = sqlite3_column_int64(q, 6),
	    .revoked = sqlite3_column_int64(q, 7),
	};
}

enum yl_code yl_sq_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                             struct yl_token *out, struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q =
	    yl_sqlite_prepare(c, "SELECT " TOKEN_COLS " FROM auth_token WHERE digest = ?1");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "reading a token");
	sqlite3_bind_text(q, 1, digest, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	enum yl_code code = YL_OK;
	if (rc == SQLITE_ROW)
		read_token(a, q, out);
	else if (rc == SQLITE_DONE)
		code = yl_err_add(err, a, YL_NOT_FOUND, NULL, "no such token");
	else
		code = yl_sqlite_error(err, a, c, rc, "reading a token");
	yl_sqlite_done(c, q);
	return code;
}

struct revoke {
	const char *digest;
	int64_t user_id, at;
	int n;
};

static int revoke_tokens(struct yl_store_conn *w, void *ctx)
{
	struct revoke *r = ctx;
	sqlite3_stmt *q = yl_sqlite_prepare(
	    w, r->digest ? "UPDATE auth_token SET revoked = ?3 WHERE digest = ?1 AND revoked = 0"
	                 : "UPDATE auth_token SET revoked = ?3 WHERE user_id = ?2 AND revoked = 0");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	if (r->digest)
		sqlite3_bind_text(q, 1, r->digest, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 2, r->user_id);
	sqlite3_bind_int64(q, 3, r->at);
	int rc = step_done(q);
	r->n = sqlite3_changes(yl_sqlite_db(w));
	yl_sqlite_done(w, q);
	return rc;
}

enum yl_code yl_sq_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                int64_t user_id, int64_t at, int *n,
                                const struct yl_audit_rec *audit, struct yl_err *err)
{
	struct revoke r = {.digest = digest, .user_id = user_id, .at = at ? at : yl_now_us()};
	enum yl_code code = in_transaction(c, a, revoke_tokens, &r, audit, "revoking tokens", err);
	if (n)
		*n = r.n;
	return code;
}

enum yl_code yl_sq_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              yl_token_fn fn, void *ctx, struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q = yl_sqlite_prepare(c, "SELECT " TOKEN_COLS " FROM auth_token WHERE "
	                                       "user_id = ?1 ORDER BY created DESC");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "listing tokens");
	sqlite3_bind_int64(q, 1, user_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_token t;
		read_token(a, q, &t);
		if (fn(ctx, &t))
			break;
	}
	enum yl_code code = rc == SQLITE_ROW || rc == SQLITE_DONE
	                        ? YL_OK
	                        : yl_sqlite_error(err, a, c, rc, "listing tokens");
	yl_sqlite_done(c, q);
	return code;
}

/* ---- grants ------------------------------------------------------------------------- */

static int put_grant(struct yl_store_conn *w, void *ctx)
{
	struct yl_grant *g = ctx;
	sqlite3_stmt *q = yl_sqlite_prepare(w, "INSERT INTO auth_grant (user_id, patient, reason, "
	                                       "kind, created, expires) VALUES (?1, ?2, ?3, ?4, "
	                                       "?5, ?6)");
	if (!q)
		return sqlite3_errcode(yl_sqlite_db(w));
	sqlite3_bind_int64(q, 1, g->user_id);
	sqlite3_bind_text(q, 2, g->patient, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, g->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, g->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, g->created);
	sqlite3_bind_int64(q, 6, g->expires);
	int rc = step_done(q);
	if (rc == SQLITE_OK)
		g->id = sqlite3_last_insert_rowid(yl_sqlite_db(w));
	yl_sqlite_done(w, q);
	return rc;
}

enum yl_code yl_sq_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                             const struct yl_audit_rec *audit, struct yl_err *err)
{
	return in_transaction(c, a, put_grant, g, audit, "storing an access grant", err);
}

enum yl_code yl_sq_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                              struct yl_err *err)
{
	c = yl_sqlite_reader(c);
	sqlite3_stmt *q = yl_sqlite_prepare(
	    c, user_id
	           ? "SELECT id, user_id, patient, reason, kind, created, expires FROM auth_grant "
	             "WHERE user_id = ?1 AND expires > ?2 ORDER BY id DESC LIMIT ?3"
	           : "SELECT id, user_id, patient, reason, kind, created, expires FROM auth_grant "
	             "WHERE expires > ?2 ORDER BY id DESC LIMIT ?3");
	if (!q)
		return yl_sqlite_error(err, a, c, SQLITE_ERROR, "reading access grants");
	if (user_id)
		sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_int64(q, 2, live_at);
	sqlite3_bind_int(q, 3, limit);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct yl_grant g = {.id = sqlite3_column_int64(q, 0),
		                     .user_id = sqlite3_column_int64(q, 1),
		                     .patient = text(a, q, 2),
		                     .reason = text(a, q, 3),
		                     .kind = text(a, q, 4),
		                     .created = sqlite3_column_int64(q, 5),
		                     .expires = sqlite3_column_int64(q, 6)};
		if (fn(ctx, &g))
			break;
	}
	enum yl_code code = rc == SQLITE_ROW || rc == SQLITE_DONE
	                        ? YL_OK
	                        : yl_sqlite_error(err, a, c, rc, "reading access grants");
	yl_sqlite_done(c, q);
	return code;
}
