/* forms.h -- the bodies and queries of the identity routes, parsed strictly and in one
 * place so they can be fuzzed (tests/fuzz/fuzz_auth_forms.c): a new API token's
 * {label, readOnly, days}, a break-the-glass {patient, reason, minutes}, a password change
 * {password, newPassword}, an account's {username, roles, links, password} and the
 * AuditEvent search's query.
 *
 * Memory: every string handed out is an arena copy. Errors: YL_BAD_REQUEST naming the
 * member and what it must be; a password is never quoted. Threads: reentrant. */
#ifndef YL_AUTH_FORMS_H
#define YL_AUTH_FORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/url.h"

#define YL_GLASS_MINUTES_MAX 240
#define YL_GLASS_REASON_MIN  10
#define YL_GLASS_REASON_MAX  500
#define YL_AUDIT_PAGE_MAX    500

struct yl_token_form {
	const char *label;
	bool read_only;
	int days;
};
enum yl_code yl_auth_token_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_token_form *out, struct yl_err *err);

struct yl_glass_form {
	const char *patient, *reason;
	int minutes;
};
enum yl_code yl_auth_glass_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_glass_form *out, struct yl_err *err);

struct yl_password_form {
	const char *password, *new_password;
	size_t new_len;
};
enum yl_code yl_auth_password_form(struct yl_arena *a, const char *body, size_t len,
                                   struct yl_password_form *out, struct yl_err *err);

/* POST /auth/users (add: username, roles, links, password?) and grant/revoke (roles and
 * links only). Roles are codes (auth/policy.h); links resource ids. */
struct yl_user_form {
	const char *username;
	unsigned roles;
	const char *practitioner, *patient, *organization;
	const char *password; /* NULL: a one-time password is made */
	size_t password_len;
};
enum yl_code yl_auth_user_form(struct yl_arena *a, const char *body, size_t len, bool add,
                               struct yl_user_form *out, struct yl_err *err);

/* A body that must say nothing: empty, or {}. */
enum yl_code yl_auth_empty_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_err *err);

struct yl_audit_query {
	const char *patient; /* a Patient id, or NULL */
	int count;
	int64_t before; /* 0 = from the newest */
};
enum yl_code yl_auth_audit_query(struct yl_arena *a, const struct yl_param *params, size_t n,
                                 struct yl_audit_query *out, struct yl_err *err);

#endif
