/* users.c -- see users.h. */
#include "auth/users.h"

#include <string.h>

#include "auth/audit.h"
#include "auth/policy.h"
#include "core/time.h"

/* Roles that act for a resident's record need to know who they are in the records. */
#define LINK_FREE_ROLES                                                                            \
	(YL_ROLE_RESIDENT | YL_ROLE_ADMIN | YL_ROLE_SUPERVISOR | YL_ROLE_INSTITUTION_ADMIN)

static enum yl_code links_ok(struct yl_arena *a, unsigned roles, const struct yl_user *u,
                             struct yl_err *err)
{
	if (!roles)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL, "give at least one role (%s)",
		                  yl_roles_all());
	if ((roles & YL_ROLE_RESIDENT) && !u->patient)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "a resident's account needs the Patient it is for (patient)");
	if ((roles & ~LINK_FREE_ROLES) && !u->practitioner)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "a clinical role needs the Practitioner the user is in the "
		                  "records (practitioner)");
	return YL_OK;
}

/* The new password's hash: the one given, or a one-time one into out->one_time. */
static enum yl_code set_password(struct yl_arena *a, const struct yl_user_change *ch,
                                 struct yl_user_result *out, char hash[YL_AUTH_HASH_LEN],
                                 struct yl_err *err)
{
	const char *pw = ch->password;
	size_t len = ch->password_len;
	out->one_time[0] = '\0';
	if (!pw) {
		yl_auth_token_new(out->one_time);
		pw = out->one_time;
		len = strlen(pw);
	} else if (yl_auth_password_ok(a, pw, len, err) != YL_OK) {
		return err->code;
	}
	if (yl_auth_hash(pw, len, hash) != 0)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory hashing the password");
	out->user.pw_hash = hash;
	out->user.must_change = !ch->password;
	out->user.failed = 0;
	out->user.locked_until = 0;
	return YL_OK;
}

enum yl_code yl_users_change(struct yl_store_conn *c, struct yl_arena *a,
                             const struct yl_user_change *ch, const struct yl_principal *by,
                             const char *peer, struct yl_user_result *out, struct yl_err *err)
{
	memset(out, 0, sizeof *out);
	struct yl_user *u = &out->user;
	char hash[YL_AUTH_HASH_LEN];
	enum yl_code code = YL_OK;
	struct yl_err probe;
	yl_err_init(&probe);
	bool exists = yl_store_user_get(c, a, ch->username, 0, u, &probe) == YL_OK;
	if (ch->act == YL_USER_ADD && exists)
		return yl_err_add(err, a, YL_CONFLICT, NULL, "the username '%s' is taken",
		                  ch->username);
	if (ch->act != YL_USER_ADD && !exists)
		return probe.code == YL_NOT_FOUND
		           ? yl_err_add(err, a, YL_NOT_FOUND, NULL, "there is no user '%s'",
		                        ch->username)
		           : (*err = probe, probe.code);
	switch (ch->act) {
	case YL_USER_ADD:
		*u = (struct yl_user){.username = ch->username,
		                      .roles = yl_roles_format(ch->roles, a),
		                      .practitioner = ch->practitioner,
		                      .patient = ch->patient,
		                      .organization = ch->organization};
		if ((code = links_ok(a, ch->roles, u, err)) == YL_OK)
			code = set_password(a, ch, out, hash, err);
		out->what = "user added";
		break;
	case YL_USER_DISABLE:
	case YL_USER_ENABLE:
		u->disabled = ch->act == YL_USER_DISABLE;
		if (!u->disabled)
			u->failed = 0, u->locked_until = 0;
		out->what = u->disabled ? "user disabled" : "user enabled";
		break;
	case YL_USER_RESET:
		code = set_password(a, ch, out, hash, err);
		out->what = "password reset";
		break;
	case YL_USER_GRANT:
	case YL_USER_REVOKE: {
		const char *bad;
		unsigned have = yl_roles_parse(u->roles, &bad, a);
		bool grant = ch->act == YL_USER_GRANT;
		unsigned now = grant ? have | ch->roles : have & ~ch->roles;
		u->roles = yl_roles_format(now, a);
		if (ch->practitioner)
			u->practitioner = ch->practitioner;
		if (ch->patient)
			u->patient = ch->patient;
		if (ch->organization)
			u->organization = ch->organization;
		if (grant)
			code = links_ok(a, now, u, err);
		out->what = yl_arena_printf(a, "%s %s", grant ? "granted" : "revoked",
		                            yl_roles_format(ch->roles, a));
		break;
	}
	}
	if (code != YL_OK)
		return code;
	struct yl_audit_in in = {.subtype = "permission-change",
	                         .action = ch->act == YL_USER_ADD ? 'C' : 'U',
	                         .status = 200,
	                         .who = by,
	                         .peer = peer,
	                         .what = yl_arena_printf(a, "user/%s", u->username),
	                         .patient = u->patient,
	                         .detail = out->what};
	struct yl_audit_rec rec;
	if (!out->what || !yl_audit_record(a, &in, &rec))
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	if ((code = yl_store_user_put(c, a, u, &rec, err)) != YL_OK)
		return code;
	/* a disabled user, or one whose password was reset, is logged out everywhere */
	if (ch->act == YL_USER_DISABLE || ch->act == YL_USER_RESET) {
		yl_auth_forget(NULL, u->id);
		code = yl_store_token_revoke(c, a, NULL, u->id, 0, &out->ended, NULL, err);
	}
	u->pw_hash = NULL; /* hash lives on this stack frame */
	return code;
}

const char *yl_users_state(const struct yl_user *u)
{
	return u->disabled                     ? "disabled"
	       : u->locked_until > yl_now_us() ? "locked"
	       : u->must_change                ? "must-change-password"
	                                       : "active";
}
