/* forms.c -- see forms.h. */
#include "auth/forms.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "core/id.h"

/* The body as a JSON object with only the members named in `allowed` (NULL-ended). */
static json_t *object(struct yl_arena *a, const char *body, size_t len, const char *const *allowed,
                      const char *shape, struct yl_err *err)
{
	json_error_t je;
	json_t *doc = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		yl_err_add(err, a, YL_BAD_REQUEST, NULL, "the body must be the JSON object %s",
		           shape);
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach (doc, key, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (!allowed[i]) {
			yl_err_add(err, a, YL_BAD_REQUEST, NULL,
			           "unknown member '%.40s'; the body is %s", key, shape);
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

/* A string member within [min, max] bytes (an arena copy), or NULL when absent. */
static enum yl_code string_member(struct yl_arena *a, json_t *doc, const char *name, size_t min,
                                  size_t max, bool required, const char **out, size_t *len,
                                  struct yl_err *err)
{
	json_t *v = json_object_get(doc, name);
	*out = NULL;
	if (!v && !required)
		return YL_OK;
	if (!json_is_string(v) || json_string_length(v) < min || json_string_length(v) > max ||
	    memchr(json_string_value(v), 0, json_string_length(v)))
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL, "%s: text of %zu to %zu characters",
		                  name, min, max);
	*out = yl_arena_strndup(a, json_string_value(v), json_string_length(v));
	if (len)
		*len = json_string_length(v);
	return *out ? YL_OK : yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
}

static enum yl_code int_member(struct yl_arena *a, json_t *doc, const char *name, int lo, int hi,
                               int dflt, int *out, struct yl_err *err)
{
	json_t *v = json_object_get(doc, name);
	*out = dflt;
	if (!v)
		return YL_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL, "%s: a whole number from %d to %d",
		                  name, lo, hi);
	*out = (int)json_integer_value(v);
	return YL_OK;
}

enum yl_code yl_auth_token_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_token_form *out, struct yl_err *err)
{
	static const char *const allowed[] = {"label", "readOnly", "days", NULL};
	json_t *doc = object(a, body, len, allowed,
	                     "{\"label\": text, \"readOnly\": true|false, \"days\": 1..366}", err);
	if (!doc)
		return err->code;
	*out = (struct yl_token_form){0};
	enum yl_code code = string_member(a, doc, "label", 1, 100, true, &out->label, NULL, err);
	json_t *ro = json_object_get(doc, "readOnly");
	if (code == YL_OK && ro && !json_is_boolean(ro))
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL, "readOnly: true or false");
	out->read_only = json_is_true(ro);
	if (code == YL_OK)
		code = int_member(a, doc, "days", 1, YL_API_TOKEN_MAX, YL_API_TOKEN_DAYS,
		                  &out->days, err);
	json_decref(doc);
	return code;
}

enum yl_code yl_auth_glass_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_glass_form *out, struct yl_err *err)
{
	static const char *const allowed[] = {"patient", "reason", "minutes", NULL};
	json_t *doc =
	    object(a, body, len, allowed,
	           "{\"patient\": a Patient id, \"reason\": why, \"minutes\": 1..240}", err);
	if (!doc)
		return err->code;
	*out = (struct yl_glass_form){0};
	enum yl_code code = string_member(a, doc, "patient", 1, 64, true, &out->patient, NULL, err);
	if (code == YL_OK && !yl_id_valid(out->patient, strlen(out->patient)))
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL, "patient: a Patient id");
	if (code == YL_OK)
		code = string_member(a, doc, "reason", YL_GLASS_REASON_MIN, YL_GLASS_REASON_MAX,
		                     true, &out->reason, NULL, err);
	if (code == YL_BAD_REQUEST && !out->reason && out->patient) {
		yl_err_init(err);
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "reason: say why in %d to %d characters; it is kept for review",
		                  YL_GLASS_REASON_MIN, YL_GLASS_REASON_MAX);
	}
	if (code == YL_OK)
		code =
		    int_member(a, doc, "minutes", 1, YL_GLASS_MINUTES_MAX, 60, &out->minutes, err);
	json_decref(doc);
	return code;
}

enum yl_code yl_auth_password_form(struct yl_arena *a, const char *body, size_t len,
                                   struct yl_password_form *out, struct yl_err *err)
{
	static const char *const allowed[] = {"password", "newPassword", NULL};
	json_t *doc = object(a, body, len, allowed,
	                     "{\"password\": the current one, \"newPassword\": the new one}", err);
	if (!doc)
		return err->code;
	*out = (struct yl_password_form){0};
	enum yl_code code = string_member(a, doc, "password", 1, YL_AUTH_PASSWORD_MAX, true,
	                                  &out->password, NULL, err);
	if (code == YL_OK)
		code = string_member(a, doc, "newPassword", 0, 1 << 20, true, &out->new_password,
		                     &out->new_len, err);
	json_decref(doc);
	if (code == YL_OK)
		code = yl_auth_password_ok(a, out->new_password, out->new_len, err);
	if (code == YL_OK && strcmp(out->password, out->new_password) == 0)
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "the new password must differ from the current one");
	return code;
}

enum yl_code yl_auth_audit_query(struct yl_arena *a, const struct yl_param *params, size_t n,
                                 struct yl_audit_query *out, struct yl_err *err)
{
	*out = (struct yl_audit_query){.count = 50};
	for (size_t i = 0; i < n; i++) {
		const char *name = params[i].name, *v = params[i].value ? params[i].value : "";
		char *end;
		if (strcmp(name, "patient") == 0) {
			if (strncmp(v, "Patient/", 8) == 0)
				v += 8;
			if (!yl_id_valid(v, strlen(v)))
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "patient: '%.64s' is not a Patient id", v);
			out->patient = v;
		} else if (strcmp(name, "_count") == 0) {
			long c = strtol(v, &end, 10);
			if (*end || end == v || c < 1 || c > YL_AUDIT_PAGE_MAX)
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL, "_count is 1..%d",
				                  YL_AUDIT_PAGE_MAX);
			out->count = (int)c;
		} else if (strcmp(name, "_before") == 0) {
			long long b = strtoll(v, &end, 10);
			if (*end || end == v || b < 1)
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "_before is an AuditEvent id (a number)");
			out->before = b;
		} else if (strcmp(name, "_format") && strcmp(name, "_pretty")) {
			return yl_err_add(
			    err, a, YL_BAD_REQUEST, NULL,
			    "AuditEvent is searched by patient (and _count, _before) only, "
			    "not '%.40s'",
			    name);
		}
	}
	return YL_OK;
}

/* An optional resource id member (an arena copy), NULL when absent. */
static enum yl_code id_member(struct yl_arena *a, json_t *doc, const char *name, const char **out,
                              struct yl_err *err)
{
	enum yl_code code = string_member(a, doc, name, 1, 64, false, out, NULL, err);
	if (code == YL_OK && *out && !yl_id_valid(*out, strlen(*out)))
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL, "%s: a resource id", name);
	return code;
}

enum yl_code yl_auth_user_form(struct yl_arena *a, const char *body, size_t len, bool add,
                               struct yl_user_form *out, struct yl_err *err)
{
	static const char *const add_allowed[] = {
	    "username", "roles", "practitioner", "patient", "organization", "password", NULL};
	static const char *const change_allowed[] = {"roles", "practitioner", "patient",
	                                             "organization", NULL};
	const char *shape = add ? "{\"username\", \"roles\": [codes], \"practitioner\"?, "
	                          "\"patient\"?, \"organization\"?, \"password\"?}"
	                        : "{\"roles\": [codes], \"practitioner\"?, \"patient\"?, "
	                          "\"organization\"?}";
	json_t *doc = object(a, body, len, add ? add_allowed : change_allowed, shape, err);
	if (!doc)
		return err->code;
	*out = (struct yl_user_form){0};
	enum yl_code code = YL_OK;
	if (add) {
		code = string_member(a, doc, "username", 1, YL_AUTH_USERNAME_MAX, true,
		                     &out->username, NULL, err);
		if (code == YL_OK && !yl_auth_username_ok(out->username, strlen(out->username)))
			code =
			    yl_err_add(err, a, YL_BAD_REQUEST, NULL,
			               "username: 1 to 64 of a-z 0-9 . _ -, starting with a letter "
			               "or digit");
	}
	json_t *roles = json_object_get(doc, "roles"), *v;
	size_t i;
	if (code == YL_OK && (!json_is_array(roles) || !json_array_size(roles)))
		code = yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "roles: a list of one or more role codes (%s)", yl_roles_all());
	json_array_foreach (roles, i, v) {
		unsigned bit = json_is_string(v)
		                   ? yl_role_parse(json_string_value(v), json_string_length(v))
		                   : 0;
		if (code == YL_OK && !bit)
			code = yl_err_add(err, a, YL_BAD_REQUEST, NULL,
			                  "roles: '%.40s' is not a role; roles: %s",
			                  json_is_string(v) ? json_string_value(v) : "(not text)",
			                  yl_roles_all());
		out->roles |= bit;
	}
	if (code == YL_OK)
		code = id_member(a, doc, "practitioner", &out->practitioner, err);
	if (code == YL_OK)
		code = id_member(a, doc, "patient", &out->patient, err);
	if (code == YL_OK)
		code = id_member(a, doc, "organization", &out->organization, err);
	if (code == YL_OK && add)
		code = string_member(a, doc, "password", 0, 1 << 20, false, &out->password,
		                     &out->password_len, err);
	json_decref(doc);
	if (code == YL_OK && out->password)
		code = yl_auth_password_ok(a, out->password, out->password_len, err);
	return code;
}

enum yl_code yl_auth_empty_form(struct yl_arena *a, const char *body, size_t len,
                                struct yl_err *err)
{
	static const char *const none[] = {NULL};
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len)
		return YL_OK;
	json_t *doc = object(a, body, len, none, "empty, or {}", err);
	json_decref(doc);
	return doc ? YL_OK : err->code;
}
