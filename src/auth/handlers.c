/* handlers.c -- the routes of identity and audit (rows in fhir/routes.c): log in and out,
 * who am I, API tokens, and the audit trail as AuditEvents (a resident: who opened their
 * record). */
#include "auth/handlers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/forms.h"
#include "auth/policy.h"
#include "auth/users.h"
#include "care/find.h"
#include "core/buf.h"
#include "core/id.h"
#include "core/time.h"
#include "fhir/rest.h"

static void answer_json(struct yl_req *r, int status, struct yl_buf *b)
{
	r->status = status;
	r->content_type = "application/json";
	r->resp_body = b->p;
	r->resp_len = b->len;
	yl_req_set_header(r, "Cache-Control", "no-store");
}

/* "username", "roles" (codes, space-separated) and the links of an account, as members of
 * the object b is writing (its opening brace written). */
static void account_json(struct yl_buf *b, const char *username, const char *roles,
                         const char *practitioner, const char *patient, const char *organization)
{
	yl_buf_adds(b, "\"username\":");
	yl_buf_json_str(b, username);
	yl_buf_adds(b, ",\"roles\":[");
	for (const char *p = roles; *p;) {
		size_t n = strcspn(p, " ");
		yl_buf_adds(b, p == roles ? "\"" : ",\"");
		yl_buf_add(b, p, n);
		yl_buf_addc(b, '"');
		p += n + (p[n] == ' ');
	}
	yl_buf_addc(b, ']');
	const char *links[][2] = {
	    {"practitioner", practitioner}, {"patient", patient}, {"organization", organization}};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (links[i][1]) {
			yl_buf_printf(b, ",\"%s\":", links[i][0]);
			yl_buf_json_str(b, links[i][1]);
		}
}

static void principal_json(struct yl_buf *b, struct yl_req *r, const struct yl_principal *who)
{
	char exp[YL_INSTANT_LEN];
	yl_format_instant(who->expires, exp);
	yl_buf_addc(b, '{');
	account_json(b, who->username, yl_roles_format(who->roles, r->a), who->practitioner,
	             who->patient, who->organization);
	yl_buf_printf(b, ",\"mustChangePassword\":%s,\"readOnly\":%s,\"expires\":\"%s\"}",
	              who->must_change ? "true" : "false", who->read_only ? "true" : "false", exp);
}

enum yl_code yl_h_login(struct yl_req *r, struct yl_err *err)
{
	const char *username, *password;
	enum yl_code code = yl_auth_login_body(r->a, r->body ? r->body : "", r->body_len, &username,
	                                       &password, err);
	if (code != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	char token[YL_AUTH_TOKEN_LEN + 1];
	int64_t expires = 0;
	int retry = 0;
	struct yl_principal who;
	code =
	    yl_auth_login(c, r->a, username, password, r->peer, token, &expires, &who, &retry, err);
	yl_auth_wipe((char *)password, strlen(password));
	if (code == YL_TOO_MANY)
		yl_req_set_header(r, "Retry-After", yl_arena_printf(r->a, "%d", retry));
	if (code != YL_OK)
		return code;
	char exp[YL_INSTANT_LEN];
	yl_format_instant(expires, exp);
	struct yl_buf b;
	yl_buf_init(&b, r->a, 512, 8192);
	yl_buf_printf(&b, "{\"token\":\"%s\",\"expires\":\"%s\",\"user\":", token, exp);
	principal_json(&b, r, &who);
	yl_buf_addc(&b, '}');
	yl_auth_wipe(token, sizeof token);
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	answer_json(r, 200, &b);
	return YL_OK;
}

enum yl_code yl_h_logout(struct yl_req *r, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	enum yl_code code = yl_auth_logout(c, r->a, r->who, r->peer, err);
	if (code != YL_OK)
		return code;
	r->audited = true;
	r->status = 204;
	return YL_OK;
}

enum yl_code yl_h_me(struct yl_req *r, struct yl_err *err)
{
	struct yl_buf b;
	yl_buf_init(&b, r->a, 512, 8192);
	principal_json(&b, r, r->who);
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	r->audited = true; /* nothing of anyone's record */
	answer_json(r, 200, &b);
	return YL_OK;
}

/* POST /auth/tokens {"label": "...", "readOnly": bool, "days": n} */
enum yl_code yl_h_token_create(struct yl_req *r, struct yl_err *err)
{
	struct yl_token_form f;
	enum yl_code code = yl_auth_token_form(r->a, r->body, r->body_len, &f, err);
	if (code != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	char token[YL_AUTH_TOKEN_LEN + 1];
	const char *digest = NULL;
	int64_t expires = 0;
	code = yl_auth_api_token(c, r->a, r->who, f.label, f.read_only, f.days, r->peer, token,
	                         &digest, &expires, err);
	if (code != YL_OK)
		return code;
	r->audited = true;
	char exp[YL_INSTANT_LEN];
	yl_format_instant(expires, exp);
	struct yl_buf b;
	yl_buf_init(&b, r->a, 256, 4096);
	yl_buf_printf(&b, "{\"token\":\"%s\",\"id\":\"%s\",\"expires\":\"%s\"}", token, digest,
	              exp);
	yl_auth_wipe(token, sizeof token);
	answer_json(r, 201, &b);
	return YL_OK;
}

/* DELETE /auth/tokens/{id}: one of the caller's own tokens (an administrator: anyone's). */
enum yl_code yl_h_token_revoke(struct yl_req *r, struct yl_err *err)
{
	const char *id = r->vars[0];
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_token t;
	struct yl_err e2;
	yl_err_init(&e2);
	enum yl_code code = strlen(id) == YL_AUTH_DIGEST_LEN
	                        ? yl_store_token_get(c, r->a, id, &t, &e2)
	                        : YL_NOT_FOUND;
	if (code != YL_OK && code != YL_NOT_FOUND) {
		*err = e2;
		return code;
	}
	if (code == YL_NOT_FOUND ||
	    (t.user_id != r->who->user_id && !(r->who->roles & YL_ROLE_ADMIN)))
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "no such token");
	struct yl_audit_in in = {.subtype = "permission-change",
	                         .action = 'D',
	                         .status = 204,
	                         .who = r->who,
	                         .peer = r->peer,
	                         .detail = "token revoked"};
	struct yl_audit_rec rec;
	if (!yl_audit_record(r->a, &in, &rec))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	yl_auth_forget(id, 0);
	if ((code = yl_store_token_revoke(c, r->a, id, 0, 0, NULL, &rec, err)) != YL_OK)
		return code;
	r->audited = true;
	r->status = 204;
	return YL_OK;
}

/* ---- GET /fhir/AuditEvent: the trail as a searchset, newest first ------------------ */

struct page {
	struct yl_req *r;
	struct yl_buf *b;
	int n;
	int64_t last;
	const char *base;
};

static int add_event(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev)
{
	(void)hash;
	struct page *p = ctx;
	size_t len;
	const char *body = yl_audit_with_id(p->r->a, seq, ev->body, ev->len, &len);
	if (!body)
		return 1;
	yl_buf_adds(p->b, p->n++ ? ",{\"fullUrl\":" : "{\"fullUrl\":");
	yl_buf_json_str(p->b,
	                yl_arena_printf(p->r->a, "%s/AuditEvent/%lld", p->base, (long long)seq));
	yl_buf_adds(p->b, ",\"resource\":");
	yl_buf_add(p->b, body, len);
	yl_buf_adds(p->b, ",\"search\":{\"mode\":\"match\"}}");
	p->last = seq;
	return 0;
}

enum yl_code yl_h_audit_search(struct yl_req *r, struct yl_err *err)
{
	const struct yl_principal *who = r->who;
	struct yl_audit_query q;
	enum yl_code qcode = yl_auth_audit_query(r->a, r->url.params, r->url.nparams, &q, err);
	if (qcode != YL_OK)
		return qcode;
	const char *patient = q.patient;
	int count = q.count;
	int64_t before = q.before;
	/* a resident sees who opened their own record; an administrator sees the trail */
	if (!(who->roles & YL_ROLE_ADMIN)) {
		if (!(who->roles & YL_ROLE_RESIDENT) || !who->patient)
			return yl_err_add(
			    err, r->a, YL_FORBIDDEN, NULL,
			    "the audit trail is open to administrators, and to residents "
			    "for their own record");
		if (patient && strcmp(patient, who->patient) != 0)
			return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "no such patient");
		patient = who->patient;
	}
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	if (r->app->audit) /* every read so far is on the trail before it is listed */
		yl_audit_queue_sync(r->app->audit);
	struct yl_buf b;
	yl_buf_init(&b, r->a, 8192, 64 << 20);
	struct page p = {.r = r, .b = &b, .base = yl_fhir_base_url(r)};
	yl_buf_adds(&b, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[");
	enum yl_code code =
	    yl_store_audit_scan(c, r->a, patient, before, true, count, add_event, &p, err);
	if (code != YL_OK)
		return code;
	yl_buf_adds(&b, "]");
	if (p.n == count) {
		yl_buf_adds(&b, ",\"link\":[{\"relation\":\"next\",\"url\":");
		yl_buf_json_str(
		    &b, yl_arena_printf(r->a, "%s/AuditEvent?%s%s%s_count=%d&_before=%lld", p.base,
		                        patient ? "patient=" : "", patient ? patient : "",
		                        patient ? "&" : "", count, (long long)p.last));
		yl_buf_adds(&b, "}]");
	}
	yl_buf_addc(&b, '}');
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory listing audit events");
	r->audit_patient = patient;
	r->status = 200;
	r->content_type = "application/fhir+json";
	r->resp_body = b.p;
	r->resp_len = b.len;
	return YL_OK;
}

/* ---- break-the-glass ---------------------------------------------------------------- */

/* POST /auth/break-the-glass {"patient": id, "reason": text, "minutes": n}: a clinician in
 * an emergency, or a supervisor with a stated purpose, opens one resident's record for a
 * while; the grant and every access under it are flagged for review. */
enum yl_code yl_h_glass(struct yl_req *r, struct yl_err *err)
{
	const struct yl_principal *who = r->who;
	bool supervisor = (who->roles & YL_ROLE_SUPERVISOR) != 0;
	if (!(who->roles & (YL_ROLE_FAMILY_DOCTOR | YL_ROLE_VILLAGE_DOCTOR | YL_ROLE_NURSE |
	                    YL_ROLE_PUBLIC_HEALTH_DOCTOR | YL_ROLE_SPECIALIST)) &&
	    !supervisor)
		return yl_err_add(
		    err, r->a, YL_FORBIDDEN, NULL,
		    "break-the-glass is for clinicians (and supervisors, with a stated "
		    "purpose)");
	struct yl_glass_form f;
	enum yl_code fcode = yl_auth_glass_form(r->a, r->body, r->body_len, &f, err);
	if (fcode != YL_OK)
		return fcode;
	const char *patient = f.patient, *reason = f.reason;
	int minutes = f.minutes;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	if (supervisor) { /* a resident of their region (kept by an institution in it) */
		struct yl_row row;
		json_t *doc = NULL;
		const char *type, *org = NULL;
		struct yl_err e2;
		yl_err_init(&e2);
		if (yl_care_read(c, r->a, "Patient", patient, &row, &doc, &e2) != YL_OK ||
		    !yl_care_ref(r->a, json_object_get(doc, "managingOrganization"), "Organization",
		                 &type, &org) ||
		    !yl_policy_org_within(r, yl_arena_strdup(r->a, org), who->organization))
			return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
			                  "Patient/%s does not exist", patient);
	}
	int64_t now = yl_now_us();
	struct yl_grant g = {.user_id = who->user_id,
	                     .patient = yl_arena_strdup(r->a, patient),
	                     .reason = yl_arena_strdup(r->a, reason),
	                     .kind = supervisor ? "purpose" : "break-the-glass",
	                     .created = now,
	                     .expires = now + (int64_t)minutes * 60 * 1000000};
	struct yl_audit_in in = {.subtype = "break-the-glass",
	                         .action = 'E',
	                         .status = 201,
	                         .who = who,
	                         .peer = r->peer,
	                         .patient = g.patient,
	                         .purpose = g.reason,
	                         .emergency = !supervisor,
	                         .detail = supervisor ? "record opened for a stated purpose"
	                                              : "emergency access granted"};
	struct yl_audit_rec rec;
	if (!yl_audit_record(r->a, &in, &rec))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code = yl_store_grant_put(c, r->a, &g, &rec, err);
	if (code != YL_OK)
		return code;
	yl_policy_grants_changed();
	r->audited = true;
	char exp[YL_INSTANT_LEN];
	yl_format_instant(g.expires, exp);
	struct yl_buf b;
	yl_buf_init(&b, r->a, 256, 4096);
	yl_buf_adds(&b, "{\"patient\":");
	yl_buf_json_str(&b, g.patient);
	yl_buf_printf(&b, ",\"kind\":\"%s\",\"expires\":\"%s\"}", g.kind, exp);
	answer_json(r, 201, &b);
	return YL_OK;
}

struct glass_list {
	struct yl_req *r;
	struct yl_buf *b;
	int n;
};

static int glass_one(void *ctx, const struct yl_grant *g)
{
	struct glass_list *l = ctx;
	char made[YL_INSTANT_LEN], exp[YL_INSTANT_LEN];
	yl_format_instant(g->created, made);
	yl_format_instant(g->expires, exp);
	struct yl_user u;
	struct yl_err e;
	yl_err_init(&e);
	struct yl_store_conn *c = yl_store_conn(l->r->app->store, l->r->a, &e);
	const char *user = c && yl_store_user_get(c, l->r->a, NULL, g->user_id, &u, &e) == YL_OK
	                       ? u.username
	                       : "?";
	yl_buf_adds(l->b, l->n++ ? ",{\"user\":" : "{\"user\":");
	yl_buf_json_str(l->b, user);
	yl_buf_adds(l->b, ",\"patient\":");
	yl_buf_json_str(l->b, g->patient);
	yl_buf_adds(l->b, ",\"reason\":");
	yl_buf_json_str(l->b, g->reason);
	yl_buf_printf(l->b, ",\"kind\":\"%s\",\"created\":\"%s\",\"expires\":\"%s\"}", g->kind,
	              made, exp);
	return 0;
}

/* GET /auth/break-the-glass: every grant, newest first, for review (administrators). */
enum yl_code yl_h_glass_list(struct yl_req *r, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_buf b;
	yl_buf_init(&b, r->a, 4096, 16 << 20);
	struct glass_list l = {r, &b, 0};
	yl_buf_adds(&b, "{\"grants\":[");
	enum yl_code code = yl_store_grant_list(c, r->a, 0, 0, 1000, glass_one, &l, err);
	if (code != YL_OK)
		return code;
	yl_buf_adds(&b, "]}");
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	answer_json(r, 200, &b);
	return YL_OK;
}

/* POST /auth/password {"password": current, "newPassword": new}: a user changes their own
 * password (the one-time password of first start or a reset must be); every session and
 * token of theirs ends, so a stolen one dies with the old password. */
enum yl_code yl_h_password(struct yl_req *r, struct yl_err *err)
{
	struct yl_password_form f;
	enum yl_code code = yl_auth_password_form(r->a, r->body, r->body_len, &f, err);
	if (code != YL_OK)
		return code;
	const char *old = f.password, *pw = f.new_password;
	size_t len = f.new_len;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_user u;
	if ((code = yl_store_user_get(c, r->a, NULL, r->who->user_id, &u, err)) != YL_OK)
		return code;
	int retry = 0;
	if ((code = yl_auth_recheck(c, r->a, &u, old, r->peer, &retry, err)) != YL_OK) {
		if (code == YL_TOO_MANY)
			yl_req_set_header(r, "Retry-After", yl_arena_printf(r->a, "%d", retry));
		return code;
	}
	char hash[YL_AUTH_HASH_LEN];
	if (yl_auth_hash(pw, len, hash) != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory hashing the password");
	u.pw_hash = hash;
	u.must_change = false;
	struct yl_audit_in in = {.subtype = "permission-change",
	                         .action = 'U',
	                         .status = 204,
	                         .who = r->who,
	                         .peer = r->peer,
	                         .detail = "password changed"};
	struct yl_audit_rec rec;
	if (!yl_audit_record(r->a, &in, &rec))
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	if ((code = yl_store_user_put(c, r->a, &u, &rec, err)) != YL_OK)
		return code;
	/* every session and token of theirs ends, this one too: they log in with the new one */
	int n = 0;
	yl_auth_forget(NULL, u.id);
	if ((code = yl_store_token_revoke(c, r->a, NULL, u.id, 0, &n, NULL, err)) != YL_OK)
		return code;
	r->audited = true;
	r->status = 204;
	return YL_OK;
}

/* ---- accounts: /auth/users --------------------------------------------------------------
 * Administrators manage every account; an institution's administrator their staff's
 * (auth/policy.c yl_policy_user). The rules of an account and its audit are auth/users.c's,
 * shared with `yilian user`. */

static void user_json(struct yl_buf *b, const struct yl_user *u, const char *one_time)
{
	yl_buf_addc(b, '{');
	account_json(b, u->username, u->roles ? u->roles : "", u->practitioner, u->patient,
	             u->organization);
	yl_buf_printf(b, ",\"state\":\"%s\"", yl_users_state(u));
	if (one_time && *one_time) /* shown once: it is kept only as a hash */
		yl_buf_printf(b, ",\"oneTimePassword\":\"%s\"", one_time);
	yl_buf_addc(b, '}');
}

struct user_list {
	struct yl_req *r;
	struct yl_buf *b;
	int n;
};

static int list_user(void *ctx, const struct yl_user *u)
{
	struct user_list *l = ctx;
	if (!yl_policy_user_visible(l->r, u))
		return 0;
	if (l->n++)
		yl_buf_addc(l->b, ',');
	user_json(l->b, u, NULL);
	return 0;
}

/* GET /auth/users: the accounts the caller manages, by username. */
enum yl_code yl_h_user_list(struct yl_req *r, struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_buf b;
	yl_buf_init(&b, r->a, 4096, 16 << 20);
	struct user_list l = {r, &b, 0};
	yl_buf_adds(&b, "{\"users\":[");
	enum yl_code code = yl_store_user_list(c, r->a, list_user, &l, err);
	if (code != YL_OK)
		return code;
	yl_buf_adds(&b, "]}");
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory listing accounts");
	answer_json(r, 200, &b);
	return YL_OK;
}

/* Apply ch as the caller and answer the account (with a one-time password once). */
static enum yl_code change_user(struct yl_req *r, const struct yl_user_change *ch, int status,
                                struct yl_err *err)
{
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_user_result res;
	enum yl_code code = yl_users_change(c, r->a, ch, r->who, r->peer, &res, err);
	if (code != YL_OK)
		return code;
	r->audited = true;
	struct yl_buf b;
	yl_buf_init(&b, r->a, 512, 8192);
	user_json(&b, &res.user, res.one_time);
	yl_auth_wipe(res.one_time, sizeof res.one_time);
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	answer_json(r, status, &b);
	return YL_OK;
}

/* POST /auth/users {username, roles, practitioner?, patient?, organization?, password?}:
 * 201 and the account; without a password, a one-time one is made and shown once. */
enum yl_code yl_h_user_add(struct yl_req *r, struct yl_err *err)
{
	struct yl_user_form f;
	enum yl_code code = yl_auth_user_form(r->a, r->body, r->body_len, true, &f, err);
	if (code != YL_OK)
		return code;
	if (!f.organization && !(r->who->roles & YL_ROLE_ADMIN))
		f.organization = r->who->organization; /* their staff, by default */
	struct yl_user u = {.username = f.username,
	                    .roles = "",
	                    .practitioner = f.practitioner,
	                    .patient = f.patient,
	                    .organization = f.organization};
	/* not one they could see: outside their institution, said as such (nothing to hide) */
	if ((code = yl_policy_user(r, &u, f.roles, err)) == YL_NOT_FOUND) {
		yl_err_init(err);
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "an account you add belongs to your institution: its "
		                  "organization is Organization/%s or one below it",
		                  r->who->organization ? r->who->organization : "?");
	}
	if (code != YL_OK)
		return code;
	struct yl_user_change ch = {.act = YL_USER_ADD,
	                            .username = f.username,
	                            .roles = f.roles,
	                            .practitioner = f.practitioner,
	                            .patient = f.patient,
	                            .organization = f.organization,
	                            .password = f.password,
	                            .password_len = f.password_len};
	code = change_user(r, &ch, 201, err);
	if (f.password)
		yl_auth_wipe((char *)f.password, f.password_len);
	return code;
}

static const struct {
	const char *name;
	enum yl_user_act act;
	bool roles; /* takes {roles, links} */
} user_actions[] = {
    {"disable", YL_USER_DISABLE, false},      {"enable", YL_USER_ENABLE, false},
    {"reset-password", YL_USER_RESET, false}, {"grant", YL_USER_GRANT, true},
    {"revoke", YL_USER_REVOKE, true},
};

/* POST /auth/users/{username}/{action}: disable, enable, reset-password (a one-time
 * password, shown once), grant or revoke {roles, practitioner?, patient?, organization?}. */
enum yl_code yl_h_user_action(struct yl_req *r, struct yl_err *err)
{
	const char *username = r->vars[0], *action = r->vars[1];
	size_t k = 0;
	while (k < sizeof user_actions / sizeof user_actions[0] &&
	       strcmp(user_actions[k].name, action) != 0)
		k++;
	if (k == sizeof user_actions / sizeof user_actions[0])
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "'%.40s' is not an action on an account: disable, enable, "
		                  "reset-password, grant or revoke",
		                  action);
	struct yl_user_form f = {0};
	enum yl_code code = user_actions[k].roles
	                        ? yl_auth_user_form(r->a, r->body, r->body_len, false, &f, err)
	                        : yl_auth_empty_form(r->a, r->body, r->body_len, err);
	if (code != YL_OK)
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	/* the account as it will be: the caller must be allowed both it and the change */
	struct yl_user u;
	struct yl_err e2;
	yl_err_init(&e2);
	code = yl_store_user_get(c, r->a, username, 0, &u, &e2);
	if (code == YL_NOT_FOUND || (code == YL_OK && !yl_policy_user_visible(r, &u)))
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "there is no user '%s'", username);
	if (code != YL_OK) {
		*err = e2;
		return code;
	}
	if (u.id == r->who->user_id && user_actions[k].act == YL_USER_DISABLE)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "you cannot disable your own account; ask another administrator");
	if (f.practitioner)
		u.practitioner = f.practitioner;
	if (f.patient)
		u.patient = f.patient;
	if (f.organization)
		u.organization = f.organization;
	code = yl_policy_user(r, &u, user_actions[k].act == YL_USER_GRANT ? f.roles : 0, err);
	if (code == YL_NOT_FOUND) { /* visible before the change: the change moves it out */
		yl_err_init(err);
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "the account would leave your institution (organization)");
	}
	if (code != YL_OK)
		return code;
	struct yl_user_change ch = {.act = user_actions[k].act,
	                            .username = u.username,
	                            .roles = f.roles,
	                            .practitioner = f.practitioner,
	                            .patient = f.patient,
	                            .organization = f.organization};
	return change_user(r, &ch, 200, err);
}
