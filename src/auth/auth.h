/* auth.h -- who is calling: users, logins, sessions and API tokens (issue 7).
 *
 * A user (store.h struct yl_user) logs in with a username and password (POST /auth/login)
 * and gets an opaque session token, kept by the store only as its digest, that expires after
 * YL_SESSION_HOURS; API clients get longer-lived tokens, optionally read-only. Every request
 * but the public ones sends one as `Authorization: Bearer`, and yl_auth_authenticate()
 * turns it into a principal: the user's roles and the records they are linked to, which
 * the policy (auth/policy.h) reasons over.
 *
 * Failed logins are throttled per username and per source address with exponential
 * back-off (in this process), and YL_LOCK_AFTER consecutive failures lock the account for
 * YL_LOCK_MINUTES (in the store, so every node sees it). An unknown username, a wrong
 * password, a disabled or a locked account answer the same 401 after the same work (an
 * argon2id verification), so a caller cannot tell which usernames exist.
 *
 * Memory: principals and texts in the caller's arena. Threads: the throttle table is
 * shared under a mutex; the rest is reentrant. Errors: YL_UNAUTHORIZED (401) and
 * YL_TOO_MANY (429, *retry_after set) with messages that never quote a secret. */
#ifndef YL_AUTH_AUTH_H
#define YL_AUTH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/credential.h"
#include "store/store.h"

#define YL_SESSION_HOURS  8   /* a clinic day */
#define YL_API_TOKEN_DAYS 90  /* default lifetime of an API token */
#define YL_API_TOKEN_MAX  366 /* days at most */
#define YL_LOCK_AFTER     10  /* consecutive failed logins lock the account */
#define YL_LOCK_MINUTES   15
#define YL_THROTTLE_FREE  3  /* failures per username before back-off starts */
#define YL_THROTTLE_IP    20 /* failures per address before back-off starts */
#define YL_THROTTLE_MAX_S 900

struct yl_principal {
	int64_t user_id;
	const char *username;
	unsigned roles;           /* bit set of enum yl_role (auth/policy.h) */
	const char *practitioner; /* linked Practitioner id or NULL */
	const char *patient;      /* linked Patient id or NULL */
	const char *organization; /* linked Organization id or NULL */
	const char *kind;         /* "session" | "api" | "cli" */
	bool read_only;           /* an API token with scope "read" */
	const char *digest;       /* the token's digest (logout revokes it) */
	int64_t expires;          /* us */
	bool must_change;
};

/* The principal of `yilian` commands run by the operator on the server (audited as such). */
extern const struct yl_principal yl_auth_operator;

/* Check a username and password from `peer` and open a session: token (NUL-ended) and its
 * expiry, and who. Records the login or the failure (audit, throttle, lock). */
enum yl_code yl_auth_login(struct yl_store_conn *c, struct yl_arena *a, const char *username,
                           const char *password, const char *peer,
                           char token[YL_AUTH_TOKEN_LEN + 1], int64_t *expires,
                           struct yl_principal *who, int *retry_after, struct yl_err *err);

/* A logged-in user's current password, asked again (a password change): throttled and
 * counted towards the lock like a login, so a stolen session cannot guess it. YL_OK, or
 * YL_UNAUTHORIZED / YL_TOO_MANY (*retry_after seconds). u is updated when it fails. */
enum yl_code yl_auth_recheck(struct yl_store_conn *c, struct yl_arena *a, struct yl_user *u,
                             const char *password, const char *peer, int *retry_after,
                             struct yl_err *err);

/* The caller of an `Authorization` header value (NULL when absent): 401 unless it is a
 * live token of an enabled user. */
enum yl_code yl_auth_authenticate(struct yl_store_conn *c, struct yl_arena *a,
                                  const char *authorization, struct yl_principal *who,
                                  struct yl_err *err);

/* End who's session (the token they sent), recorded in the audit trail. */
enum yl_code yl_auth_logout(struct yl_store_conn *c, struct yl_arena *a,
                            const struct yl_principal *who, const char *peer, struct yl_err *err);

/* A new API token for who's user: label (what the client is), read_only, days of life
 * (1..YL_API_TOKEN_MAX); token (NUL-ended) and its digest (to revoke it by). */
enum yl_code yl_auth_api_token(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_principal *who, const char *label, bool read_only,
                               int days, const char *peer, char token[YL_AUTH_TOKEN_LEN + 1],
                               const char **digest, int64_t *expires, struct yl_err *err);

/* A user and principal from the store (by username), for the CLI and tests. */
void yl_auth_principal_of(const struct yl_user *u, struct yl_principal *who);

/* Forget the kept principal of one token (digest), or of every token of user_id (digest
 * NULL): after a logout, a revocation, a password change. */
void yl_auth_forget(const char *digest, int64_t user_id);

/* Forget every throttle entry (tests). */
void yl_auth_throttle_reset(void);

#endif
