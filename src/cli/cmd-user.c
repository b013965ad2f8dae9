/* cmd-user.c -- `yilian user ACTION`: the operator manages who may log in, on the server,
 * from scripts: add, list, disable, enable, reset-password, grant, revoke. Every change is
 * recorded in the audit trail as the operator's (auth/auth.h yl_auth_operator); disabling a
 * user or resetting their password ends their sessions and tokens. */
#include <stdio.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "cli/cli.h"
#include "core/id.h"
#include "core/time.h"
#include "store/store.h"

struct user_opts {
	const char *db, *username, *roles, *practitioner, *patient, *organization;
	bool password_stdin;
};

struct ctx {
	struct yl_store *s;
	struct yl_store_conn *c;
	struct yl_arena *a;
	struct yl_err *err;
	const struct user_opts *o;
};

/* A password from one line of stdin (the newline dropped). */
static enum yl_code read_password(struct ctx *x, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, stdin))
		return yl_err_add(x->err, x->a, YL_USAGE, NULL,
		                  "--password-stdin: no password on standard input");
	size_t n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return yl_auth_password_ok(x->a, buf, n, x->err);
}

/* The password to set: from stdin, or a new random one printed once (must be changed). */
static enum yl_code new_password(struct ctx *x, char hash[YL_AUTH_HASH_LEN], bool *generated)
{
	char pw[YL_AUTH_PASSWORD_MAX + 2];
	*generated = !x->o->password_stdin;
	enum yl_code code = YL_OK;
	if (*generated)
		yl_auth_token_new(pw);
	else
		code = read_password(x, pw, sizeof pw);
	if (code == YL_OK && yl_auth_hash(pw, strlen(pw), hash) != 0)
		code =
		    yl_err_add(x->err, x->a, YL_NOMEM, NULL, "out of memory hashing the password");
	if (code == YL_OK && *generated)
		printf(
		    "one-time password for %s: %s\n(it is shown only now; they are asked to change "
		    "it)\n",
		    x->o->username, pw);
	yl_auth_wipe(pw, sizeof pw);
	return code;
}

static enum yl_code audited_put(struct ctx *x, struct yl_user *u, const char *detail)
{
	struct yl_audit_in in = {.subtype = "permission-change",
	                         .action = u->id ? 'U' : 'C',
	                         .status = 200,
	                         .who = &yl_auth_operator,
	                         .peer = "localhost",
	                         .what = yl_arena_printf(x->a, "user/%s", u->username),
	                         .patient = u->patient,
	                         .detail = detail};
	struct yl_audit_rec rec;
	if (!yl_audit_record(x->a, &in, &rec))
		return yl_err_add(x->err, x->a, YL_NOMEM, NULL, "out of memory");
	return yl_store_user_put(x->c, x->a, u, &rec, x->err);
}

static enum yl_code get_user(struct ctx *x, struct yl_user *u)
{
	enum yl_code code = yl_store_user_get(x->c, x->a, x->o->username, 0, u, x->err);
	if (code == YL_NOT_FOUND) {
		yl_err_init(x->err);
		return yl_err_add(x->err, x->a, YL_USAGE, NULL, "there is no user '%s'",
		                  x->o->username);
	}
	return code;
}

static unsigned roles_or_fail(struct ctx *x, enum yl_code *code)
{
	const char *bad;
	unsigned set = yl_roles_parse(x->o->roles, &bad, x->a);
	if (bad || !set)
		*code = yl_err_add(x->err, x->a, YL_USAGE, NULL, "'%s' is not a role; roles: %s",
		                   bad ? bad : x->o->roles, yl_roles_all());
	return set;
}

static enum yl_code act_add(struct ctx *x)
{
	enum yl_code code = YL_OK;
	if (!x->o->roles)
		return yl_err_add(x->err, x->a, YL_USAGE, NULL, "add needs --role (one of %s)",
		                  yl_roles_all());
	unsigned set = roles_or_fail(x, &code);
	if (code != YL_OK)
		return code;
	if ((set & YL_ROLE_RESIDENT) && !x->o->patient)
		return yl_err_add(x->err, x->a, YL_USAGE, NULL,
		                  "a resident's account needs --patient ID (their record)");
	if ((set & ~(YL_ROLE_RESIDENT | YL_ROLE_ADMIN | YL_ROLE_SUPERVISOR |
	             YL_ROLE_INSTITUTION_ADMIN)) &&
	    !x->o->practitioner)
		return yl_err_add(
		    x->err, x->a, YL_USAGE, NULL,
		    "a clinical role needs --practitioner ID (who they are in the records)");
	struct yl_user existing;
	struct yl_err probe;
	yl_err_init(&probe);
	if (yl_store_user_get(x->c, x->a, x->o->username, 0, &existing, &probe) == YL_OK)
		return yl_err_add(x->err, x->a, YL_CONFLICT, NULL, "the username '%s' is taken",
		                  x->o->username);
	char hash[YL_AUTH_HASH_LEN];
	bool generated;
	if ((code = new_password(x, hash, &generated)) != YL_OK)
		return code;
	struct yl_user u = {.username = x->o->username,
	                    .pw_hash = hash,
	                    .roles = yl_roles_format(set, x->a),
	                    .practitioner = x->o->practitioner,
	                    .patient = x->o->patient,
	                    .organization = x->o->organization,
	                    .must_change = generated};
	if ((code = audited_put(x, &u, "user added")) == YL_OK)
		printf("added %s (%s)\n", u.username, u.roles);
	return code;
}

static int list_one(void *ctx, const struct yl_user *u)
{
	struct ctx *x = ctx;
	const char *state = u->disabled                     ? "disabled"
	                    : u->locked_until > yl_now_us() ? "locked"
	                    : u->must_change                ? "must-change-password"
	                                                    : "active";
	printf("%-24s %-36s %-22s %s\n", u->username, *u->roles ? u->roles : "-",
	       u->practitioner ? yl_arena_printf(x->a, "Practitioner/%s", u->practitioner)
	       : u->patient    ? yl_arena_printf(x->a, "Patient/%s", u->patient)
	                       : "-",
	       state);
	return 0;
}

static enum yl_code act_list(struct ctx *x)
{
	printf("%-24s %-36s %-22s %s\n", "USERNAME", "ROLES", "LINKED TO", "STATE");
	return yl_store_user_list(x->c, x->a, list_one, x, x->err);
}

static enum yl_code set_disabled(struct ctx *x, bool disabled)
{
	struct yl_user u;
	enum yl_code code = get_user(x, &u);
	if (code != YL_OK)
		return code;
	u.disabled = disabled;
	if (!disabled)
		u.failed = 0, u.locked_until = 0;
	if ((code = audited_put(x, &u, disabled ? "user disabled" : "user enabled")) != YL_OK)
		return code;
	int n = 0;
	if (disabled &&
	    (code = yl_store_token_revoke(x->c, x->a, NULL, u.id, 0, &n, NULL, x->err)) != YL_OK)
		return code;
	printf("%s %s%s\n", disabled ? "disabled" : "enabled", u.username,
	       disabled ? yl_arena_printf(x->a, "; %d sessions and tokens ended", n) : "");
	return YL_OK;
}

static enum yl_code act_disable(struct ctx *x)
{
	return set_disabled(x, true);
}

static enum yl_code act_enable(struct ctx *x)
{
	return set_disabled(x, false);
}

static enum yl_code act_reset(struct ctx *x)
{
	struct yl_user u;
	enum yl_code code = get_user(x, &u);
	char hash[YL_AUTH_HASH_LEN];
	bool generated;
	if (code == YL_OK)
		code = new_password(x, hash, &generated);
	if (code != YL_OK)
		return code;
	u.pw_hash = hash;
	u.must_change = generated;
	u.failed = 0;
	u.locked_until = 0;
	if ((code = audited_put(x, &u, "password reset")) != YL_OK)
		return code;
	int n = 0;
	code = yl_store_token_revoke(x->c, x->a, NULL, u.id, 0, &n, NULL, x->err);
	if (code == YL_OK)
		printf("password of %s reset; %d sessions and tokens ended\n", u.username, n);
	return code;
}

static enum yl_code change_roles(struct ctx *x, bool grant)
{
	if (!x->o->roles)
		return yl_err_add(x->err, x->a, YL_USAGE, NULL, "%s needs --role",
		                  grant ? "grant" : "revoke");
	enum yl_code code = YL_OK;
	unsigned set = roles_or_fail(x, &code);
	struct yl_user u;
	if (code == YL_OK)
		code = get_user(x, &u);
	if (code != YL_OK)
		return code;
	const char *bad;
	unsigned have = yl_roles_parse(u.roles, &bad, x->a);
	unsigned now = grant ? have | set : have & ~set;
	u.roles = yl_roles_format(now, x->a);
	if (x->o->practitioner)
		u.practitioner = x->o->practitioner;
	if (x->o->patient)
		u.patient = x->o->patient;
	if (x->o->organization)
		u.organization = x->o->organization;
	const char *what = yl_arena_printf(x->a, "%s %s", grant ? "granted" : "revoked",
	                                   yl_roles_format(set, x->a));
	if ((code = audited_put(x, &u, what)) == YL_OK)
		printf("%s: %s; roles now: %s\n", u.username, what, *u.roles ? u.roles : "none");
	return code;
}

static enum yl_code act_grant(struct ctx *x)
{
	return change_roles(x, true);
}

static enum yl_code act_revoke(struct ctx *x)
{
	return change_roles(x, false);
}

static const struct {
	const char *name;
	enum yl_code (*run)(struct ctx *x);
	bool needs_user;
} actions[] = {
    {"add", act_add, true},
    {"list", act_list, false},
    {"disable", act_disable, true},
    {"enable", act_enable, true},
    {"reset-password", act_reset, true},
    {"grant", act_grant, true},
    {"revoke", act_revoke, true},
};

int yl_cmd_user(int argc, char **argv)
{
	if (argc < 2)
		return yl_cli_usage_error("user", "say what to do: add, list, disable, enable, "
		                                  "reset-password, grant or revoke");
	size_t k = 0;
	while (k < sizeof actions / sizeof actions[0] && strcmp(actions[k].name, argv[1]))
		k++;
	if (k == sizeof actions / sizeof actions[0])
		return yl_cli_usage_error("user",
		                          "'%s' is not an action (add, list, disable, enable, "
		                          "reset-password, grant, revoke)",
		                          argv[1]);
	struct user_opts o = {.db = "./yilian.db"};
	for (int i = 2; i < argc; i++) {
		const char *v;
		if ((v = yl_cli_opt(argc, argv, &i, "--db")))
			o.db = v;
		else if ((v = yl_cli_opt(argc, argv, &i, "--username")))
			o.username = v;
		else if ((v = yl_cli_opt(argc, argv, &i, "--role")))
			o.roles = v;
		else if ((v = yl_cli_opt(argc, argv, &i, "--practitioner")))
			o.practitioner = v;
		else if ((v = yl_cli_opt(argc, argv, &i, "--patient")))
			o.patient = v;
		else if ((v = yl_cli_opt(argc, argv, &i, "--organization")))
			o.organization = v;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			o.password_stdin = true;
		else
			return yl_cli_usage_error("user", "unknown option or missing value '%s'",
			                          argv[i]);
	}
	if (actions[k].needs_user && !o.username)
		return yl_cli_usage_error("user", "%s needs --username", actions[k].name);
	if (o.username && !yl_auth_username_ok(o.username, strlen(o.username)))
		return yl_cli_usage_error("user",
		                          "--username: 1 to 64 of a-z 0-9 . _ -, starting with a "
		                          "letter or digit");
	const char *ids[] = {o.practitioner, o.patient, o.organization};
	for (size_t i = 0; i < 3; i++)
		if (ids[i] && !yl_id_valid(ids[i], strlen(ids[i])))
			return yl_cli_usage_error("user", "'%s' is not a resource id", ids[i]);
	if (yl_id_init() != 0) {
		fprintf(stderr, "yilian user: libsodium failed to initialise\n");
		return 1;
	}
	struct yl_arena *a = yl_arena_create(1 << 16);
	if (!a)
		return 1;
	struct yl_err err;
	yl_err_init(&err);
	struct ctx x = {.a = a, .err = &err, .o = &o};
	enum yl_code code = yl_store_open(o.db, &x.s, a, &err);
	if (code == YL_OK && !(x.c = yl_store_conn(x.s, a, &err)))
		code = err.code;
	if (code == YL_OK)
		code = actions[k].run(&x);
	for (const struct yl_issue *is = err.first; is; is = is->next)
		fprintf(stderr, "yilian user %s: %s\n", actions[k].name, is->message);
	yl_store_close(x.s);
	yl_arena_destroy(a);
	return code == YL_OK ? 0 : code == YL_USAGE ? 2 : 1;
}
