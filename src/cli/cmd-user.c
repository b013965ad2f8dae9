/* cmd-user.c -- `yilian user ACTION`: the operator manages who may log in, on the server,
 * from scripts: add, list, disable, enable, reset-password, grant, revoke. Every change is
 * recorded in the audit trail as the operator's (auth/auth.h yl_auth_operator); disabling a
 * user or resetting their password ends their sessions and tokens. */
#include <stdio.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/users.h"
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
	buf[strcspn(buf, "\r\n")] = '\0';
	return YL_OK;
}

/* Run one change as the operator and say what happened. */
static enum yl_code run(struct ctx *x, enum yl_user_act act, unsigned roles)
{
	char pw[YL_AUTH_PASSWORD_MAX + 2];
	struct yl_user_change ch = {.act = act,
	                            .username = x->o->username,
	                            .roles = roles,
	                            .practitioner = x->o->practitioner,
	                            .patient = x->o->patient,
	                            .organization = x->o->organization};
	enum yl_code code = YL_OK;
	if ((act == YL_USER_ADD || act == YL_USER_RESET) && x->o->password_stdin) {
		if ((code = read_password(x, pw, sizeof pw)) != YL_OK)
			return code;
		ch.password = pw;
		ch.password_len = strlen(pw);
	}
	struct yl_user_result res;
	code = yl_users_change(x->c, x->a, &ch, &yl_auth_operator, "localhost", &res, x->err);
	yl_auth_wipe(pw, sizeof pw);
	if (code != YL_OK) {
		if (code == YL_NOT_FOUND || code == YL_BAD_REQUEST)
			x->err->code = code = YL_USAGE; /* the operator's command was wrong */
		return code;
	}
	const struct yl_user *u = &res.user;
	printf("%s: %s", u->username, res.what);
	if (act == YL_USER_GRANT || act == YL_USER_REVOKE)
		printf("; roles now: %s", *u->roles ? u->roles : "none");
	if (act == YL_USER_ADD)
		printf(" (%s)", u->roles);
	if (act == YL_USER_DISABLE || act == YL_USER_RESET)
		printf("; %d sessions and tokens ended", res.ended);
	printf("\n");
	if (res.one_time[0])
		printf("one-time password for %s: %s\n(it is shown only now; they are asked to "
		       "change it)\n",
		       u->username, res.one_time);
	yl_auth_wipe(res.one_time, sizeof res.one_time);
	return YL_OK;
}

/* The roles of --role, or a usage error listing them. */
static enum yl_code roles_of(struct ctx *x, const char *action, unsigned *set)
{
	if (!x->o->roles)
		return yl_err_add(x->err, x->a, YL_USAGE, NULL, "%s needs --role (one of %s)",
		                  action, yl_roles_all());
	const char *bad;
	*set = yl_roles_parse(x->o->roles, &bad, x->a);
	if (bad || !*set)
		return yl_err_add(x->err, x->a, YL_USAGE, NULL, "'%s' is not a role; roles: %s",
		                  bad ? bad : x->o->roles, yl_roles_all());
	return YL_OK;
}

static enum yl_code act_add(struct ctx *x)
{
	unsigned set = 0;
	enum yl_code code = roles_of(x, "add", &set);
	return code == YL_OK ? run(x, YL_USER_ADD, set) : code;
}

static int list_one(void *ctx, const struct yl_user *u)
{
	struct ctx *x = ctx;
	printf("%-24s %-36s %-22s %s\n", u->username, *u->roles ? u->roles : "-",
	       u->practitioner ? yl_arena_printf(x->a, "Practitioner/%s", u->practitioner)
	       : u->patient    ? yl_arena_printf(x->a, "Patient/%s", u->patient)
	                       : "-",
	       yl_users_state(u));
	return 0;
}

static enum yl_code act_list(struct ctx *x)
{
	printf("%-24s %-36s %-22s %s\n", "USERNAME", "ROLES", "LINKED TO", "STATE");
	return yl_store_user_list(x->c, x->a, list_one, x, x->err);
}

static enum yl_code act_disable(struct ctx *x)
{
	return run(x, YL_USER_DISABLE, 0);
}

static enum yl_code act_enable(struct ctx *x)
{
	return run(x, YL_USER_ENABLE, 0);
}

static enum yl_code act_reset(struct ctx *x)
{
	return run(x, YL_USER_RESET, 0);
}

static enum yl_code act_grant(struct ctx *x)
{
	unsigned set = 0;
	enum yl_code code = roles_of(x, "grant", &set);
	return code == YL_OK ? run(x, YL_USER_GRANT, set) : code;
}

static enum yl_code act_revoke(struct ctx *x)
{
	unsigned set = 0;
	enum yl_code code = roles_of(x, "revoke", &set);
	return code == YL_OK ? run(x, YL_USER_REVOKE, set) : code;
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
