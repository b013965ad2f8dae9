/* auth.c -- see auth.h. */
#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/policy.h"
#include "core/hash.h"
#include "core/time.h"

const struct yl_principal yl_auth_operator = {
    .user_id = 0, .username = "operator", .roles = YL_ROLE_ADMIN, .kind = "cli"};

/* ---- throttle: failures per username and per address, in this process -------------- */

#define THROTTLE_SLOTS 4096

struct throttle {
	uint64_t key; /* 0 = empty */
	int failures;
	int64_t until; /* monotonic us before which attempts are refused */
	int64_t last;  /* monotonic us of the last failure */
};

static struct throttle table[THROTTLE_SLOTS];
static pthread_mutex_t throttle_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t throttle_key(const char *kind, const char *s)
{
	uint64_t h = yl_hash_parts(2, kind, s);
	return h ? h : 1;
}

/* The slot for key (or the one to take for it: empty, else the stalest of 8). */
static struct throttle *slot(uint64_t key, bool create)
{
	struct throttle *victim = NULL;
	for (int i = 0; i < 8; i++) {
		struct throttle *t = &table[(key + (uint64_t)i) % THROTTLE_SLOTS];
		if (t->key == key)
			return t;
		if (!victim || !t->key || (victim->key && t->last < victim->last))
			victim = t;
	}
	if (!create)
		return NULL;
	*victim = (struct throttle){.key = key};
	return victim;
}

/* Seconds until this key may try again (0 = now). */
static int throttle_wait(uint64_t key, int64_t now)
{
	pthread_mutex_lock(&throttle_mu);
	struct throttle *t = slot(key, false);
	int wait = t && t->until > now ? (int)((t->until - now + 999999) / 1000000) : 0;
	pthread_mutex_unlock(&throttle_mu);
	return wait;
}

/* A failure: after `free_tries` of them, each one doubles the wait (1 s, 2 s, 4 s, ...). */
static void throttle_fail(uint64_t key, int free_tries, int64_t now)
{
	pthread_mutex_lock(&throttle_mu);
	struct throttle *t = slot(key, true);
	/* a quiet hour forgives */
	if (t->last && now - t->last > 3600 * (int64_t)1000000)
		t->failures = 0;
	t->failures++;
	t->last = now;
	if (t->failures >= free_tries) {
		int shift = t->failures - free_tries;
		int64_t s = shift >= 10 ? YL_THROTTLE_MAX_S : (int64_t)1 << shift;
		if (s > YL_THROTTLE_MAX_S)
			s = YL_THROTTLE_MAX_S;
		t->until = now + s * 1000000;
	}
	pthread_mutex_unlock(&throttle_mu);
}

static void throttle_clear(uint64_t key)
{
	pthread_mutex_lock(&throttle_mu);
	struct throttle *t = slot(key, false);
	if (t)
		*t = (struct throttle){0};
	pthread_mutex_unlock(&throttle_mu);
}

void yl_auth_throttle_reset(void)
{
	pthread_mutex_lock(&throttle_mu);
	memset(table, 0, sizeof table);
	pthread_mutex_unlock(&throttle_mu);
}

/* ---- principals --------------------------------------------------------------------- */

void yl_auth_principal_of(const struct yl_user *u, struct yl_principal *who)
{
	const char *bad;
	*who = (struct yl_principal){
	    .user_id = u->id,
	    .username = u->username,
	    .roles = yl_roles_parse(u->roles ? u->roles : "", &bad, NULL),
	    .practitioner = u->practitioner,
	    .patient = u->patient,
	    .organization = u->organization,
	    .must_change = u->must_change,
	};
}

static enum yl_code audit_auth(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_audit_in *in, struct yl_err *err)
{
	struct yl_audit_rec rec;
	if (!yl_audit_record(a, in, &rec))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory recording a login");
	return yl_store_audit_append(c, a, &rec, 1, err);
}

static enum yl_code login_failed(struct yl_arena *a, struct yl_err *err)
{
	return yl_err_add(err, a, YL_UNAUTHORIZED, NULL,
	                  "the username or password is wrong, or the account is disabled or "
	                  "locked; ask your administrator if it keeps failing");
}

/* A hash to verify against when the user does not exist, so that an unknown username
 * costs the same argon2id work as a wrong password. */
static char decoy[YL_AUTH_HASH_LEN];
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;
static void make_decoy(void)
{
	char pw[YL_AUTH_TOKEN_LEN + 1];
	yl_auth_token_new(pw);
	if (yl_auth_hash(pw, strlen(pw), decoy) != 0)
		decoy[0] = '\0';
}

static enum yl_code open_session(struct yl_store_conn *c, struct yl_arena *a, const char *kind,
                                 const char *label, bool read_only, int64_t lifetime,
                                 const struct yl_audit_in *in, const struct yl_principal *who,
                                 char token[YL_AUTH_TOKEN_LEN + 1], const char **digest_out,
                                 int64_t *expires, struct yl_err *err)
{
	char digest[YL_AUTH_DIGEST_LEN + 1];
	yl_auth_token_new(token);
	yl_auth_token_digest(token, YL_AUTH_TOKEN_LEN, digest);
	int64_t now = yl_now_us();
	struct yl_token t = {.digest = digest,
	                     .user_id = who->user_id,
	                     .kind = kind,
	                     .label = label,
	                     .scope = read_only ? "read" : "",
	                     .created = now,
	                     .expires = now + lifetime};
	struct yl_audit_rec rec;
	if (!yl_audit_record(a, in, &rec))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory opening a session");
	enum yl_code code = yl_store_token_put(c, a, &t, &rec, err);
	if (code != YL_OK)
		return code;
	*expires = t.expires;
	if (digest_out)
		*digest_out = yl_arena_strdup(a, digest);
	return YL_OK;
}

/* Whether username or peer must wait (YL_TOO_MANY in err, *retry_after seconds). */
static bool throttled(struct yl_arena *a, const char *username, const char *peer, int *retry_after,
                      struct yl_err *err)
{
	int64_t mono = yl_monotonic_us();
	int wait_u = throttle_wait(throttle_key("user", username), mono);
	int wait_p = throttle_wait(throttle_key("peer", peer), mono);
	int wait = wait_u > wait_p ? wait_u : wait_p;
	if (!wait)
		return false;
	*retry_after = wait;
	yl_err_add(err, a, YL_TOO_MANY, NULL,
	           "too many failed logins for this account or from this address; try again "
	           "in %d s",
	           wait);
	return true;
}

/* A wrong password for username from peer (u: the user, NULL when there is none):
 * throttled, counted towards the account's lock, and on the audit trail. */
static enum yl_code failure(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                            const char *username, const char *peer, const char *detail,
                            struct yl_err *err)
{
	int64_t mono = yl_monotonic_us(), now = yl_now_us();
	throttle_fail(throttle_key("user", username), YL_THROTTLE_FREE, mono);
	throttle_fail(throttle_key("peer", peer), YL_THROTTLE_IP, mono);
	struct yl_audit_in in = {.action = 'E',
	                         .peer = peer,
	                         .at = now,
	                         .subtype = "login-failed",
	                         .status = 401,
	                         .username = username,
	                         .detail = detail};
	if (!u)
		return audit_auth(c, a, &in, err);
	if (u->locked_until <= now && !u->disabled) {
		/* failures in a row lock the account (a lock that expired starts over) */
		if (u->locked_until)
			u->failed = 0, u->locked_until = 0;
		if (++u->failed >= YL_LOCK_AFTER)
			u->locked_until = now + YL_LOCK_MINUTES * 60 * (int64_t)1000000;
	}
	if (u->locked_until > now)
		in.detail = "account locked";
	struct yl_audit_rec rec;
	if (!yl_audit_record(a, &in, &rec))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	return yl_store_user_put(c, a, u, &rec, err);
}

enum yl_code yl_auth_recheck(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                             const char *password, const char *peer, int *retry_after,
                             struct yl_err *err)
{
	if (throttled(a, u->username, peer, retry_after, err))
		return err->code;
	if (yl_auth_verify(u->pw_hash, password, strlen(password))) {
		throttle_clear(throttle_key("user", u->username));
		return YL_OK;
	}
	enum yl_code code = failure(c, a, u, u->username, peer, "wrong current password", err);
	return code != YL_OK
	           ? code
	           : yl_err_add(err, a, YL_UNAUTHORIZED, NULL, "the current password is wrong");
}

enum yl_code yl_auth_login(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                           const char *password, const char *peer,
                           char token[YL_AUTH_TOKEN_LEN + 1], int64_t *expires,
                           struct yl_principal *who, int *retry_after, struct yl_err *err)
{
	pthread_once(&decoy_once, make_decoy);
	uint64_t ukey = throttle_key("user", username);
	if (throttled(a, username, peer, retry_after, err))
		return err->code;
	struct yl_user u;
	struct yl_err lookup;
	yl_err_init(&lookup);
	enum yl_code code = yl_store_user_get(c, a, username, 0, &u, &lookup);
	if (code != YL_OK && code != YL_NOT_FOUND) {
		*err = lookup;
		return code;
	}
	bool exists = code == YL_OK;
	int64_t now = yl_now_us();
	bool ok = yl_auth_verify(exists ? u.pw_hash : decoy, password, strlen(password));
	ok = ok && exists && !u.disabled && u.locked_until <= now;
	struct yl_audit_in in = {.action = 'E', .peer = peer, .at = now};
	if (!ok) {
		code = failure(c, a, exists ? &u : NULL, username, peer, NULL, err);
		return code != YL_OK ? code : login_failed(a, err);
	}
	throttle_clear(ukey);
	if (u.failed || u.locked_until) {
		u.failed = 0;
		u.locked_until = 0;
		if ((code = yl_store_user_put(c, a, &u, NULL, err)) != YL_OK)
			return code;
	}
	yl_auth_principal_of(&u, who);
	who->kind = "session";
	in.subtype = "login";
	in.status = 200;
	in.who = who;
	code = open_session(c, a, "session", "", false, YL_SESSION_HOURS * 3600 * (int64_t)1000000,
	                    &in, who, token, &who->digest, expires, err);
	who->expires = *expires;
	return code;
}

/* ---- sessions kept a moment: a page asks many times a second ------------------------
 * A token's principal is reused for SESSION_TTL_US; revoking in this process (logout, a
 * token revoked, a password changed) forgets it at once, elsewhere (another node, `yilian
 * user disable`) within SESSION_TTL_US. An entry is found by the token's tag, a 128-bit
 * SipHash-2-4 keyed with a random key of this process (24 ns against the digest's 220 ns
 * of BLAKE2b and hex): the digest the store keeps is worked out only on a miss. Neither
 * the token nor anything that lets one recover it is kept; matching a tag without the
 * token is a 2^-128 guess of a keyed PRF. */
#define SESSION_SLOTS  1024
#define SESSION_TTL_US 2000000
#define TAG_LEN        crypto_shorthash_siphashx24_BYTES

static unsigned char tag_key[crypto_shorthash_siphashx24_KEYBYTES];
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;
static void make_tag_key(void)
{
	randombytes_buf(tag_key, sizeof tag_key);
}

static void token_tag(const char *tok, size_t len, unsigned char tag[TAG_LEN])
{
	pthread_once(&tag_once, make_tag_key);
	crypto_shorthash_siphashx24(tag, (const unsigned char *)tok, len, tag_key);
}

struct cached_session {
	unsigned char tag[TAG_LEN]; /* the token's (token_tag) */
	char digest[YL_AUTH_DIGEST_LEN + 1];
	int64_t at; /* monotonic */
	int64_t user_id, expires;
	unsigned roles;
	bool read_only, must_change;
	char kind[8];
	char *username, *practitioner, *patient, *organization; /* malloc'd */
};

static struct cached_session sessions[SESSION_SLOTS];
static pthread_mutex_t session_mu = PTHREAD_MUTEX_INITIALIZER;

static struct cached_session *session_slot(const unsigned char tag[TAG_LEN])
{
	uint64_t h;
	memcpy(&h, tag, sizeof h);
	return &sessions[h % SESSION_SLOTS];
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void session_clear(struct cached_session *e)
{
	free(e->username);
	free(e->practitioner);
	free(e->patient);
	free(e->organization);
	memset(e, 0, sizeof *e);
}

static bool session_get(const unsigned char tag[TAG_LEN], struct yl_arena *a,
                        struct yl_principal *who)
{
	bool hit = false;
	pthread_mutex_lock(&session_mu);
	struct cached_session *e = session_slot(tag);
	if (e->digest[0] && sodium_memcmp(e->tag, tag, TAG_LEN) == 0 &&
	    yl_monotonic_us() - e->at < SESSION_TTL_US && e->expires > yl_now_us()) {
		*who = (struct yl_principal){
		    .user_id = e->user_id,
		    .username = yl_arena_strdup(a, e->username),
		    .roles = e->roles,
		    .practitioner = e->practitioner ? yl_arena_strdup(a, e->practitioner) : NULL,
		    .patient = e->patient ? yl_arena_strdup(a, e->patient) : NULL,
		    .organization = e->organization ? yl_arena_strdup(a, e->organization) : NULL,
		    .kind = yl_arena_strdup(a, e->kind),
		    .read_only = e->read_only,
		    .digest = yl_arena_strdup(a, e->digest),
		    .expires = e->expires,
		    .must_change = e->must_change,
		};
		hit = who->username && who->kind && who->digest;
	}
	pthread_mutex_unlock(&session_mu);
	return hit;
}

static void session_put(const unsigned char tag[TAG_LEN], const struct yl_principal *who)
{
	pthread_mutex_lock(&session_mu);
	struct cached_session *e = session_slot(tag);
	session_clear(e);
	memcpy(e->tag, tag, TAG_LEN);
	snprintf(e->digest, sizeof e->digest, "%s", who->digest);
	e->at = yl_monotonic_us();
	e->user_id = who->user_id;
	e->expires = who->expires;
	e->roles = who->roles;
	e->read_only = who->read_only;
	e->must_change = who->must_change;
	snprintf(e->kind, sizeof e->kind, "%s", who->kind ? who->kind : "");
	e->username = dup_or_null(who->username);
	e->practitioner = dup_or_null(who->practitioner);
	e->patient = dup_or_null(who->patient);
	e->organization = dup_or_null(who->organization);
	if (!e->username)
		session_clear(e);
	pthread_mutex_unlock(&session_mu);
}

void yl_auth_forget(const char *digest, int64_t user_id)
{
	pthread_mutex_lock(&session_mu);
	for (size_t i = 0; i < SESSION_SLOTS; i++) {
		struct cached_session *e = &sessions[i];
		if (e->digest[0] && ((digest && strcmp(e->digest, digest) == 0) ||
		                     (!digest && e->user_id == user_id)))
			session_clear(e);
	}
	pthread_mutex_unlock(&session_mu);
}

enum yl_code yl_auth_authenticate(struct yl_store_conn *c, struct yl_arena *a,
                                  const char *authorization, struct yl_principal *who,
                                  struct yl_err *err)
{
	if (!authorization)
		return yl_err_add(err, a, YL_UNAUTHORIZED, NULL,
		                  "log in first: POST /auth/login, then send the token as "
		                  "'Authorization: Bearer <token>'");
	const char *tok;
	size_t len;
	enum yl_code code = yl_auth_bearer(a, authorization, &tok, &len, err);
	if (code != YL_OK)
		return code;
	unsigned char tag[TAG_LEN];
	token_tag(tok, len, tag);
	if (session_get(tag, a, who))
		return YL_OK;
	char digest[YL_AUTH_DIGEST_LEN + 1];
	yl_auth_token_digest(tok, len, digest);
	struct yl_token t;
	struct yl_err lookup;
	yl_err_init(&lookup);
	code = yl_store_token_get(c, a, digest, &t, &lookup);
	if (code != YL_OK && code != YL_NOT_FOUND) {
		*err = lookup;
		return code;
	}
	int64_t now = yl_now_us();
	struct yl_user u;
	if (code == YL_OK && !t.revoked && t.expires > now) {
		code = yl_store_user_get(c, a, NULL, t.user_id, &u, &lookup);
		if (code != YL_OK && code != YL_NOT_FOUND) {
			*err = lookup;
			return code;
		}
		if (code == YL_OK && !u.disabled) {
			yl_auth_principal_of(&u, who);
			who->kind = t.kind;
			who->read_only = strcmp(t.scope, "read") == 0;
			who->digest = t.digest;
			who->expires = t.expires;
			session_put(tag, who);
			return YL_OK;
		}
	}
	return yl_err_add(err, a, YL_UNAUTHORIZED, NULL,
	                  "the token is unknown, expired or revoked, or its user is disabled: "
	                  "log in again");
}

enum yl_code yl_auth_logout(struct yl_store_conn *c, struct yl_arena *a,
                            const struct yl_principal *who, const char *peer, struct yl_err *err)
{
	struct yl_audit_in in = {
	    .subtype = "logout", .action = 'E', .status = 200, .who = who, .peer = peer};
	struct yl_audit_rec rec;
	if (!yl_audit_record(a, &in, &rec))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	yl_auth_forget(who->digest, 0);
	return yl_store_token_revoke(c, a, who->digest, 0, 0, NULL, &rec, err);
}

enum yl_code yl_auth_api_token(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_principal *who, const char *label, bool read_only,
                               int days, const char *peer, char token[YL_AUTH_TOKEN_LEN + 1],
                               const char **digest, int64_t *expires, struct yl_err *err)
{
	if (days < 1 || days > YL_API_TOKEN_MAX)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "an API token lives 1 to %d days, not %d", YL_API_TOKEN_MAX,
		                  days);
	struct yl_audit_in in = {.subtype = "permission-change",
	                         .action = 'C',
	                         .status = 201,
	                         .who = who,
	                         .peer = peer,
	                         .detail = read_only ? "API token created (read-only)"
	                                             : "API token created"};
	return open_session(c, a, "api", label, read_only, (int64_t)days * 86400 * 1000000, &in,
	                    who, token, digest, expires, err);
}
