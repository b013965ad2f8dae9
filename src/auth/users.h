/* users.h -- managing accounts, with one set of rules for the operator's `yilian user` and
 * the HTTP routes of administrators and institution administrators (/auth/users): add,
 * disable, enable, reset a password, grant and revoke roles. Each change is one transaction
 * with its audit event (permission-change, by `by`); disabling a user or resetting their
 * password ends their sessions and API tokens. Who may change whom is not decided here but
 * in auth/policy.c (yl_policy_user); the CLI's operator may change anyone.
 *
 * Memory: every string handed out lives in the caller's arena. Errors: YL_BAD_REQUEST for a
 * change that breaks an account rule, YL_NOT_FOUND for an unknown user, YL_CONFLICT for a
 * username that is taken. Threads: reentrant (one store connection per thread). */
#ifndef YL_AUTH_USERS_H
#define YL_AUTH_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/auth.h"
#include "auth/credential.h"
#include "store/store.h"

enum yl_user_act {
	YL_USER_ADD,
	YL_USER_DISABLE,
	YL_USER_ENABLE,
	YL_USER_RESET,
	YL_USER_GRANT,
	YL_USER_REVOKE,
};

struct yl_user_change {
	enum yl_user_act act;
	const char *username;
	unsigned roles; /* add: the user's roles; grant, revoke: the roles to change */
	/* add, grant: what the account is linked to (NULL: none, or unchanged) */
	const char *practitioner, *patient, *organization;
	/* add, reset: the new password; NULL for a one-time password that must be changed */
	const char *password;
	size_t password_len;
};

struct yl_user_result {
	struct yl_user user;                  /* as stored */
	char one_time[YL_AUTH_TOKEN_LEN + 1]; /* the generated password, "" when none */
	int ended;                            /* sessions and tokens ended */
	const char *what;                     /* what was done, as the audit trail says it */
};

/* Apply one change on behalf of `by` (from `peer`). */
enum yl_code yl_users_change(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_user_change *ch, const struct yl_principal *by,
                             const char *peer, struct yl_user_result *out, struct yl_err *err);

/* The state of an account as a word: active, disabled, locked or must-change-password. */
const char *yl_users_state(const struct yl_user *u);

#endif
