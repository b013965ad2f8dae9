/* fuzz_auth_forms.c -- libFuzzer target for the identity routes' inputs (auth/forms.h):
 * the bytes as an API-token body, a break-the-glass body, a password-change body, an
 * account's body (added, or its roles changed), and as a query string for the AuditEvent search.
 * Invariants: a refusal is a 400 with a message that never quotes the passwords given; what is
 * accepted is within its limits (a label of 1 to 100 characters, days and minutes in range, a valid
 * Patient id, a reason of 10 to 500 characters, a new password the password rules accept, a page
 * size in range). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/forms.h"
#include "auth/policy.h"
#include "core/id.h"
#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int distinctive(const char *pw)
{
	if (!pw || strlen(pw) < 4)
		return 0;
	for (const unsigned char *c = (const unsigned char *)pw; *c; c++)
		if (*c == '#' || *c == '~' || *c == '|' || *c >= 0x80)
			return 1;
	return 0;
}

static void refused(const struct yl_err *err)
{
	if (err->code != YL_BAD_REQUEST || !err->first || !err->first->message[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	const char *body = (const char *)data;
	struct yl_err err;

	yl_err_init(&err);
	struct yl_token_form t;
	if (yl_auth_token_form(a, body, size, &t, &err) == YL_OK) {
		size_t n = strlen(t.label);
		if (n < 1 || n > 100 || t.days < 1 || t.days > YL_API_TOKEN_MAX)
			abort();
	} else {
		refused(&err);
	}

	yl_err_init(&err);
	struct yl_glass_form g;
	if (yl_auth_glass_form(a, body, size, &g, &err) == YL_OK) {
		size_t n = strlen(g.reason);
		if (!yl_id_valid(g.patient, strlen(g.patient)) || n < YL_GLASS_REASON_MIN ||
		    n > YL_GLASS_REASON_MAX || g.minutes < 1 || g.minutes > YL_GLASS_MINUTES_MAX)
			abort();
	} else {
		refused(&err);
	}

	yl_err_init(&err);
	struct yl_password_form p = {0};
	if (yl_auth_password_form(a, body, size, &p, &err) == YL_OK) {
		struct yl_err again;
		yl_err_init(&again);
		if (yl_auth_password_ok(a, p.new_password, p.new_len, &again) != YL_OK ||
		    strcmp(p.password, p.new_password) == 0)
			abort();
	} else {
		refused(&err);
		/* the message never quotes a password: one with a character no message is made of
		 * ('#', '~', '|' or a non-ASCII byte) would show in it if it were quoted (a
		 * password of plain words, such as "newPassword", may equal a word of the message
		 * itself) */
		for (const struct yl_issue *is = err.first; is; is = is->next)
			if ((distinctive(p.password) && strstr(is->message, p.password)) ||
			    (distinctive(p.new_password) && strstr(is->message, p.new_password)))
				abort();
	}

	for (int add = 0; add < 2; add++) {
		yl_err_init(&err);
		struct yl_user_form f = {0};
		if (yl_auth_user_form(a, body, size, add, &f, &err) == YL_OK) {
			const char *ids[] = {f.practitioner, f.patient, f.organization};
			for (size_t i = 0; i < 3; i++)
				if (ids[i] && !yl_id_valid(ids[i], strlen(ids[i])))
					abort();
			struct yl_err again;
			yl_err_init(&again);
			if (!f.roles || (f.roles & ~((YL_ROLE_RESIDENT << 1) - 1)) ||
			    (add && !yl_auth_username_ok(f.username, strlen(f.username))) ||
			    (!add && (f.username || f.password)) ||
			    (f.password &&
			     yl_auth_password_ok(a, f.password, f.password_len, &again) != YL_OK))
				abort();
		} else {
			refused(&err);
			for (const struct yl_issue *is = err.first; is; is = is->next)
				if (distinctive(f.password) && strstr(is->message, f.password))
					abort();
		}
	}

	/* the bytes as a query string */
	char *q = malloc(size + 2);
	if (q) {
		q[0] = '?';
		memcpy(q + 1, data, size);
		q[size + 1] = 0;
		struct yl_url u;
		yl_err_init(&err);
		if (yl_url_parse(a, q, size + 1, &u, &err) == YL_OK) {
			struct yl_audit_query aq;
			yl_err_init(&err);
			if (yl_auth_audit_query(a, u.params, u.nparams, &aq, &err) == YL_OK) {
				if (aq.count < 1 || aq.count > YL_AUDIT_PAGE_MAX || aq.before < 0 ||
				    (aq.patient && !yl_id_valid(aq.patient, strlen(aq.patient))))
					abort();
			} else {
				refused(&err);
			}
		}
		free(q);
	}
	yl_arena_destroy(a);
	return 0;
}
