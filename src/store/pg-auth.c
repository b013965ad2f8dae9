/* pg-auth.c -- the PostgreSQL backend of store.h's identity and audit part: auth_user,
 * auth_token, auth_grant and the hash-chained audit trail (migration 0010), as
 * store/sqlite-auth.c does for SQLite (appends from outside, yl_pg_audit_append, go
 * through pg.c's group commit). Reads run on the caller's connection; each write runs in
 * one transaction with its audit event (yl_pg_in_tx). Appends to the trail take
 * YL_PG_LOCK_AUDIT before reading its last event, so the chain has one order across every
 * node; that read must come after the lock in its own statement (READ COMMITTED: each
 * statement sees what committed before it began). */
#include <string.h>

#include "core/buf.h"
#include "core/chain.h"
#include "core/time.h"
#include "store/pg-int.h"

#define USER_COLS                                                                                  \
	"id, username, pw_hash, roles, practitioner, patient, organization, disabled, "            \
	"must_change, failed, locked_until, created, updated"
#define TOKEN_COLS "digest, user_id, kind, label, scope, created, expires, revoked"
#define GRANT_COLS "id, user_id, patient, reason, kind, created, expires"
#define AUDIT_COLS "seq, hash, recorded, patient, agent, body"

/* Rows a scan reads per statement: a trail read from the first event to the last (yilian
 * audit verify) is never held in memory at once. */
#define SCAN_PAGE 1024

/* The code of a failed yl_pg_exec (err filled by it). */
static enum yl_code failed(const struct yl_err *err)
{
	return err->code != YL_OK ? err->code : YL_STORE;
}

/* A negative limit means none, as it does in SQLite. */
static int64_t row_limit(int limit)
{
	return limit < 0 ? INT64_MAX : limit;
}

/* ---- the audit trail ---------------------------------------------------------------- */

/* Take the trail's lock and read its last event: *seq 0 and the origin hash when empty. */
static enum yl_code audit_head(struct yl_store_conn *c, struct yl_arena *a, int64_t *seq,
                               char prev[YL_CHAIN_HEX_LEN + 1], struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, YL_PG_LOCK_AUDIT);
	PGresult *r = yl_pg_exec(c, a, "SELECT pg_advisory_xact_lock($1::bigint)", &p,
	                         "locking the audit trail", err);
	if (!r)
		return failed(err);
	PQclear(r);
	r = yl_pg_exec(c, a, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", NULL,
	               "reading the audit trail", err);
	if (!r)
		return failed(err);
	*seq = 0;
	memcpy(prev, YL_CHAIN_ORIGIN, YL_CHAIN_HEX_LEN + 1);
	if (PQntuples(r) > 0) {
		size_t len = 0;
		*seq = yl_pg_col_int(r, 0, 0);
		const char *h = yl_pg_col_text(a, r, 0, 1, &len);
		if (h && len == YL_CHAIN_HEX_LEN)
			memcpy(prev, h, YL_CHAIN_HEX_LEN);
	}
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_audit_insert(struct yl_store_conn *c, struct yl_arena *a,
                                const struct yl_audit_rec *ev, size_t n, struct yl_err *err)
{
	if (n == 0)
		return YL_OK;
	int64_t seq;
	char prev[YL_CHAIN_HEX_LEN + 1];
	enum yl_code code = audit_head(c, a, &seq, prev, err);
	if (code != YL_OK)
		return code;
	/* one binary COPY for the batch: no quoting of the JSON bodies, no array literals to
	 * parse (they were a third of PostgreSQL's CPU a read); bodies are kept as text, as
	 * SQLite keeps them (the chain covers the JSON) */
	struct yl_pg_copy b = {0};
	for (size_t i = 0; i < n; i++) {
		char hash[YL_CHAIN_HEX_LEN + 1];
		seq++;
		yl_chain_hash(prev, seq, ev[i].body, ev[i].len, hash);
		yl_pg_copy_row(&b, 6);
		yl_pg_copy_int8(&b, seq);
		yl_pg_copy_int8(&b, ev[i].recorded ? ev[i].recorded : yl_now_us());
		yl_pg_copy_text(&b, ev[i].patient);
		yl_pg_copy_text(&b, ev[i].agent);
		yl_pg_copy_bytes(&b, ev[i].body, ev[i].len);
		yl_pg_copy_bytes(&b, hash, YL_CHAIN_HEX_LEN);
		memcpy(prev, hash, sizeof prev);
	}
	code = yl_pg_copy_in(c, a,
	                     "COPY audit (seq, recorded, patient, agent, body, hash) FROM STDIN "
	                     "(FORMAT binary)",
	                     &b, err);
	yl_pg_copy_free(&b);
	return code;
}

/* Call fn for rows of one page; *stop when fn asked to; *last the last row's seq. */
static size_t audit_page(struct yl_arena *scratch, const PGresult *r, yl_audit_fn fn, void *ctx,
                         bool *stop, int64_t *last)
{
	size_t rows = (size_t)PQntuples(r);
	for (size_t i = 0; i < rows && !*stop; i++) {
		int row = (int)i;
		struct yl_audit_rec ev = {
		    .recorded = yl_pg_col_int(r, row, 2),
		    .patient = yl_pg_col_text(scratch, r, row, 3, NULL),
		    .agent = yl_pg_col_text(scratch, r, row, 4, NULL),
		};
		ev.body = yl_pg_col_text(scratch, r, row, 5, &ev.len);
		const char *hash = yl_pg_col_text(scratch, r, row, 1, NULL);
		if (!ev.body) /* unreadable (out of memory): verify reports it as changed */
			ev.body = "", ev.len = 0;
		*last = yl_pg_col_int(r, row, 0);
		if (fn(ctx, *last, hash ? hash : "", &ev))
			*stop = true;
	}
	return rows;
}

enum yl_code yl_pg_audit_scan(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                              int64_t after, bool newest_first, int limit, yl_audit_fn fn,
                              void *ctx, struct yl_err *err)
{
	/* a resident's events come through the hash index audit_patient (0012) and are
	 * ordered here: "seq + 0" keeps the planner from walking the whole trail in seq order
	 * (the primary key) in the hope of meeting the resident's events early */
	static const char *const sql[2][2] = {
	    {"SELECT " AUDIT_COLS " FROM audit WHERE seq > $1::bigint ORDER BY seq "
	     "LIMIT $2::bigint",
	     "SELECT " AUDIT_COLS " FROM audit WHERE seq < $1::bigint ORDER BY seq DESC "
	     "LIMIT $2::bigint"},
	    {"SELECT " AUDIT_COLS " FROM audit WHERE patient = $3::text AND seq > $1::bigint "
	     "ORDER BY seq + 0 LIMIT $2::bigint",
	     "SELECT " AUDIT_COLS " FROM audit WHERE patient = $3::text AND seq < $1::bigint "
	     "ORDER BY seq + 0 DESC LIMIT $2::bigint"}};
	int64_t left = row_limit(limit);
	int64_t cursor = newest_first && after <= 0 ? INT64_MAX : after;
	struct yl_arena *scratch = yl_arena_create(1 << 16);
	if (!scratch)
		return yl_err_add(err, a, YL_NOMEM, NULL, "reading the audit trail: out of memory");
	enum yl_code code = YL_OK;
	bool stop = false;
	while (left > 0 && !stop) {
		int64_t page = left < SCAN_PAGE ? left : SCAN_PAGE;
		struct yl_pg_params p;
		yl_arena_reset(scratch);
		yl_pg_params_init(&p, scratch);
		yl_pg_add_int(&p, cursor);
		yl_pg_add_int(&p, page);
		if (patient)
			yl_pg_add_text(&p, patient);
		PGresult *r = yl_pg_exec(c, a, sql[patient != NULL][newest_first], &p,
		                         "reading the audit trail", err);
		if (!r) {
			code = failed(err);
			break;
		}
		size_t rows = audit_page(scratch, r, fn, ctx, &stop, &cursor);
		PQclear(r);
		if ((int64_t)rows < page)
			break;
		left -= page;
	}
	yl_arena_destroy(scratch);
	return code;
}

/* ---- writes with their audit event, in one transaction ------------------------------ */

/* ---- users -------------------------------------------------------------------------- */

static void read_user(struct yl_arena *a, const PGresult *r, int row, struct yl_user *u)
{
	*u = (struct yl_user){
	    .id = yl_pg_col_int(r, row, 0),
	    .username = yl_pg_col_text(a, r, row, 1, NULL),
	    .pw_hash = yl_pg_col_text(a, r, row, 2, NULL),
	    .roles = yl_pg_col_text(a, r, row, 3, NULL),
	    .practitioner = yl_pg_col_text(a, r, row, 4, NULL),
	    .patient = yl_pg_col_text(a, r, row, 5, NULL),
	    .organization = yl_pg_col_text(a, r, row, 6, NULL),
	    .disabled = yl_pg_col_int(r, row, 7) != 0,
	    .must_change = yl_pg_col_int(r, row, 8) != 0,
	    .failed = (int)yl_pg_col_int(r, row, 9),
	    .locked_until = yl_pg_col_int(r, row, 10),
	    .created = yl_pg_col_int(r, row, 11),
	    .updated = yl_pg_col_int(r, row, 12),
	};
}

enum yl_code yl_pg_user_get(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                            int64_t id, struct yl_user *out, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	if (username)
		yl_pg_add_text(&p, username);
	else
		yl_pg_add_int(&p, id);
	PGresult *r =
	    yl_pg_exec(c, a,
	               username ? "SELECT " USER_COLS " FROM auth_user WHERE username = $1"
	                        : "SELECT " USER_COLS " FROM auth_user WHERE id = $1",
	               &p, "reading a user", err);
	if (!r)
		return failed(err);
	enum yl_code code = YL_OK;
	if (PQntuples(r) > 0)
		read_user(a, r, 0, out);
	else
		code = yl_err_add(err, a, YL_NOT_FOUND, NULL, "no such user");
	PQclear(r);
	return code;
}

struct put_user {
	const struct yl_user *u;
	int64_t id; /* OUT: a new user's */
};

static enum yl_code put_user(struct yl_store_conn *c, struct yl_arena *a, void *ctx,
                             struct yl_err *err)
{
	struct put_user *pu = ctx;
	const struct yl_user *u = pu->u;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, u->username);
	yl_pg_add_text(&p, u->pw_hash);
	yl_pg_add_text(&p, u->roles ? u->roles : "");
	yl_pg_add_text(&p, u->practitioner);
	yl_pg_add_text(&p, u->patient);
	yl_pg_add_text(&p, u->organization);
	yl_pg_add_int(&p, u->disabled);
	yl_pg_add_int(&p, u->must_change);
	yl_pg_add_int(&p, u->failed);
	yl_pg_add_int(&p, u->locked_until);
	yl_pg_add_int(&p, u->updated);
	yl_pg_add_int(&p, u->id ? u->id : u->created); /* $12 */
	PGresult *r = yl_pg_exec(
	    c, a,
	    u->id ? "UPDATE auth_user SET username = $1, pw_hash = $2, roles = $3, "
	            "practitioner = $4, patient = $5, organization = $6, disabled = $7, "
	            "must_change = $8, failed = $9, locked_until = $10, updated = $11 "
	            "WHERE id = $12"
	          : "INSERT INTO auth_user (username, pw_hash, roles, practitioner, patient, "
	            "organization, disabled, must_change, failed, locked_until, updated, created) "
	            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
	    &p, "storing the user", err);
	if (!r)
		return failed(err);
	pu->id = u->id ? u->id : yl_pg_col_int(r, 0, 0);
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_user_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                            const struct yl_audit_rec *audit, struct yl_err *err)
{
	int64_t now = yl_now_us();
	if (!u->id && !u->created)
		u->created = now;
	u->updated = now;
	struct put_user pu = {.u = u};
	enum yl_code code = yl_pg_in_tx(c, a, 0, put_user, &pu, audit, "storing the user", err);
	if (code == YL_OK)
		u->id = pu.id;
	else if (code == YL_CONFLICT) {
		yl_err_init(err);
		code = yl_err_add(err, a, YL_CONFLICT, NULL, "the username '%s' is taken",
		                  u->username);
	}
	return code;
}

enum yl_code yl_pg_user_list(struct yl_store_conn *c, struct yl_arena *a, yl_user_fn fn, void *ctx,
                             struct yl_err *err)
{
	PGresult *r = yl_pg_exec(c, a, "SELECT " USER_COLS " FROM auth_user ORDER BY username",
	                         NULL, "listing users", err);
	if (!r)
		return failed(err);
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		struct yl_user u;
		read_user(a, r, i, &u);
		if (fn(ctx, &u))
			break;
	}
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_user_none(struct yl_store_conn *c, struct yl_arena *a, bool *none,
                             struct yl_err *err)
{
	PGresult *r = yl_pg_exec(c, a, "SELECT NOT EXISTS (SELECT 1 FROM auth_user)", NULL,
	                         "counting users", err);
	if (!r)
		return failed(err);
	*none = PQntuples(r) > 0 && yl_pg_col_int(r, 0, 0) != 0;
	PQclear(r);
	return YL_OK;
}

/* ---- tokens ------------------------------------------------------------------------- */

static enum yl_code put_token(struct yl_store_conn *c, struct yl_arena *a, void *ctx,
                              struct yl_err *err)
{
	const struct yl_token *t = ctx;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, t->digest);
	yl_pg_add_int(&p, t->user_id);
	yl_pg_add_text(&p, t->kind);
	yl_pg_add_text(&p, t->label ? t->label : "");
	yl_pg_add_text(&p, t->scope ? t->scope : "");
	yl_pg_add_int(&p, t->created);
	yl_pg_add_int(&p, t->expires);
	PGresult *r = yl_pg_exec(c, a,
	                         "INSERT INTO auth_token (" TOKEN_COLS ") VALUES "
	                         "($1, $2, $3, $4, $5, $6, $7, 0)",
	                         &p, "storing a token", err);
	if (!r)
		return failed(err);
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_token_put(struct yl_store_conn *c, struct yl_arena *a, const struct yl_token *t,
                             const struct yl_audit_rec *audit, struct yl_err *err)
{
	return yl_pg_in_tx(c, a, 0, put_token, (void *)t, audit, "storing a token", err);
}

static void read_token(struct yl_arena *a, const PGresult *r, int row, struct yl_token *t)
{
	*t = (struct yl_token){
	    .digest = yl_pg_col_text(a, r, row, 0, NULL),
	    .user_id = yl_pg_col_int(r, row, 1),
	    .kind = yl_pg_col_text(a, r, row, 2, NULL),
	    .label = yl_pg_col_text(a, r, row, 3, NULL),
	    .scope = yl_pg_col_text(a, r, row, 4, NULL),
	    .created = yl_pg_col_int(r, row, 5),
	    .expires = yl_pg_col_int(r, row, 6),
	    .revoked = yl_pg_col_int(r, row, 7),
	};
}

enum yl_code yl_pg_token_get(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                             struct yl_token *out, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_text(&p, digest);
	PGresult *r = yl_pg_exec(c, a, "SELECT " TOKEN_COLS " FROM auth_token WHERE digest = $1",
	                         &p, "reading a token", err);
	if (!r)
		return failed(err);
	enum yl_code code = YL_OK;
	if (PQntuples(r) > 0)
		read_token(a, r, 0, out);
	else
		code = yl_err_add(err, a, YL_NOT_FOUND, NULL, "no such token");
	PQclear(r);
	return code;
}

struct revoke {
	const char *digest;
	int64_t user_id, at;
	int n; /* OUT: how many were live */
};

static enum yl_code revoke_tokens(struct yl_store_conn *c, struct yl_arena *a, void *ctx,
                                  struct yl_err *err)
{
	struct revoke *rv = ctx;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, rv->at);
	if (rv->digest)
		yl_pg_add_text(&p, rv->digest);
	else
		yl_pg_add_int(&p, rv->user_id);
	PGresult *r = yl_pg_exec(
	    c, a,
	    rv->digest ? "WITH r AS (UPDATE auth_token SET revoked = $1 WHERE digest = $2 "
	                 "AND revoked = 0 RETURNING 1) SELECT count(*) FROM r"
	               : "WITH r AS (UPDATE auth_token SET revoked = $1 WHERE user_id = $2 "
	                 "AND revoked = 0 RETURNING 1) SELECT count(*) FROM r",
	    &p, "revoking tokens", err);
	if (!r)
		return failed(err);
	rv->n = PQntuples(r) > 0 ? (int)yl_pg_col_int(r, 0, 0) : 0;
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_token_revoke(struct yl_store_conn *c, struct yl_arena *a, const char *digest,
                                int64_t user_id, int64_t at, int *n,
                                const struct yl_audit_rec *audit, struct yl_err *err)
{
	struct revoke rv = {.digest = digest, .user_id = user_id, .at = at ? at : yl_now_us()};
	enum yl_code code = yl_pg_in_tx(c, a, 0, revoke_tokens, &rv, audit, "revoking tokens", err);
	if (n)
		*n = code == YL_OK ? rv.n : 0;
	return code;
}

enum yl_code yl_pg_token_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              yl_token_fn fn, void *ctx, struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, user_id);
	PGresult *r = yl_pg_exec(c, a,
	                         "SELECT " TOKEN_COLS " FROM auth_token WHERE user_id = $1 "
	                         "ORDER BY created DESC",
	                         &p, "listing tokens", err);
	if (!r)
		return failed(err);
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		struct yl_token t;
		read_token(a, r, i, &t);
		if (fn(ctx, &t))
			break;
	}
	PQclear(r);
	return YL_OK;
}

/* ---- grants ------------------------------------------------------------------------- */

struct put_grant {
	const struct yl_grant *g;
	int64_t id; /* OUT */
};

static enum yl_code put_grant(struct yl_store_conn *c, struct yl_arena *a, void *ctx,
                              struct yl_err *err)
{
	struct put_grant *pg = ctx;
	const struct yl_grant *g = pg->g;
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, g->user_id);
	yl_pg_add_text(&p, g->patient);
	yl_pg_add_text(&p, g->reason);
	yl_pg_add_text(&p, g->kind);
	yl_pg_add_int(&p, g->created);
	yl_pg_add_int(&p, g->expires);
	PGresult *r = yl_pg_exec(c, a,
	                         "INSERT INTO auth_grant (user_id, patient, reason, kind, created, "
	                         "expires) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	                         &p, "storing an access grant", err);
	if (!r)
		return failed(err);
	pg->id = yl_pg_col_int(r, 0, 0);
	PQclear(r);
	return YL_OK;
}

enum yl_code yl_pg_grant_put(struct yl_store_conn *c, struct yl_arena *a, struct yl_grant *g,
                             const struct yl_audit_rec *audit, struct yl_err *err)
{
	struct put_grant pg = {.g = g};
	enum yl_code code =
	    yl_pg_in_tx(c, a, 0, put_grant, &pg, audit, "storing an access grant", err);
	if (code == YL_OK)
		g->id = pg.id;
	return code;
}

enum yl_code yl_pg_grant_list(struct yl_store_conn *c, struct yl_arena *a, int64_t user_id,
                              int64_t live_at, int limit, yl_grant_fn fn, void *ctx,
                              struct yl_err *err)
{
	struct yl_pg_params p;
	yl_pg_params_init(&p, a);
	yl_pg_add_int(&p, live_at);
	yl_pg_add_int(&p, row_limit(limit));
	if (user_id)
		yl_pg_add_int(&p, user_id);
	PGresult *r = yl_pg_exec(
	    c, a,
	    user_id ? "SELECT " GRANT_COLS " FROM auth_grant WHERE user_id = $3 AND expires > $1 "
	              "ORDER BY id DESC LIMIT $2::bigint"
	            : "SELECT " GRANT_COLS " FROM auth_grant WHERE expires > $1 "
	              "ORDER BY id DESC LIMIT $2::bigint",
	    &p, "reading access grants", err);
	if (!r)
		return failed(err);
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		struct yl_grant g = {
		    .id = yl_pg_col_int(r, i, 0),
		    .user_id = yl_pg_col_int(r, i, 1),
		    .patient = yl_pg_col_text(a, r, i, 2, NULL),
		    .reason = yl_pg_col_text(a, r, i, 3, NULL),
		    .kind = yl_pg_col_text(a, r, i, 4, NULL),
		    .created = yl_pg_col_int(r, i, 5),
		    .expires = yl_pg_col_int(r, i, 6),
		};
		if (fn(ctx, &g))
			break;
	}
	PQclear(r);
	return YL_OK;
}
