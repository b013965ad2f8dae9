/* policy.c -- see policy.h. */
#include "auth/policy.h"

#include <string.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "http/http.h"

static const struct {
	unsigned bit;
	const char *code;
} roles[] = {
    {YL_ROLE_ADMIN, "admin"},
    {YL_ROLE_SUPERVISOR, "supervisor"},
    {YL_ROLE_INSTITUTION_ADMIN, "institution-admin"},
    {YL_ROLE_FAMILY_DOCTOR, "family-doctor"},
    {YL_ROLE_VILLAGE_DOCTOR, "village-doctor"},
    {YL_ROLE_NURSE, "nurse"},
    {YL_ROLE_PUBLIC_HEALTH_DOCTOR, "public-health-doctor"},
    {YL_ROLE_SPECIALIST, "specialist"},
    {YL_ROLE_PHARMACIST, "pharmacist"},
    {YL_ROLE_RESIDENT, "resident"},
};
#define NROLES (sizeof roles / sizeof roles[0])

/* the roles that care for residents: they see the records of the residents in their care */
#define CLINICAL                                                                                   \
	(YL_ROLE_FAMILY_DOCTOR | YL_ROLE_VILLAGE_DOCTOR | YL_ROLE_NURSE |                          \
	 YL_ROLE_PUBLIC_HEALTH_DOCTOR | YL_ROLE_SPECIALIST)

unsigned yl_role_parse(const char *code, size_t len)
{
	for (size_t i = 0; i < NROLES; i++)
		if (strlen(roles[i].code) == len && memcmp(roles[i].code, code, len) == 0)
			return roles[i].bit;
	return 0;
}

const char *yl_role_code(unsigned role)
{
	for (size_t i = 0; i < NROLES; i++)
		if (roles[i].bit == role)
			return roles[i].code;
	return NULL;
}

unsigned yl_roles_parse(const char *list, const char **bad, struct yl_arena *a)
{
	unsigned set = 0;
	*bad = NULL;
	for (const char *p = list; *p;) {
		size_t skip = strspn(p, " ,");
		p += skip;
		size_t n = strcspn(p, " ,");
		if (!n)
			break;
		unsigned bit = yl_role_parse(p, n);
		if (!bit && !*bad)
			*bad = a ? yl_arena_strndup(a, p, n > 64 ? 64 : n) : "?";
		set |= bit;
		p += n;
	}
	return set;
}

const char *yl_roles_format(unsigned set, struct yl_arena *a)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 64, 4096);
	for (size_t i = 0; i < NROLES; i++)
		if (set & roles[i].bit) {
			if (b.len)
				yl_buf_addc(&b, ' ');
			yl_buf_adds(&b, roles[i].code);
		}
	yl_buf_addc(&b, '\0');
	return b.err ? "" : b.p;
}

const char *yl_roles_all(void)
{
	return "admin, supervisor, institution-admin, family-doctor, village-doctor, nurse, "
	       "public-health-doctor, specialist, pharmacist, resident";
}

static bool reads_only(const struct yl_req *r)
{
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

enum yl_code yl_policy_route(const struct yl_principal *who, enum yl_access access,
                             struct yl_req *r, struct yl_err *err)
{
	if (access == YL_ACCESS_PUBLIC || access == YL_ACCESS_LOGIN)
		return YL_OK;
	if (!who)
		return yl_err_add(err, r->a, YL_UNAUTHORIZED, NULL,
		                  "log in first: POST /auth/login, then send the token as "
		                  "'Authorization: Bearer <token>'");
	if (who->read_only && !reads_only(r) && strcmp(r->url.path, "/auth/logout") != 0)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "this API token is read-only: %s is not allowed with it",
		                  r->method);
	unsigned need = 0;
	switch (access) {
	case YL_ACCESS_USER:
		return YL_OK;
	case YL_ACCESS_CLINICAL:
		need = YL_ROLE_ADMIN | CLINICAL;
		break;
	default:
		need = YL_ROLE_ADMIN;
		break;
	}
	if (who->roles & need)
		return YL_OK;
	return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
	                  "your role (%s) may not use %s %s",
	                  *yl_roles_format(who->roles, r->a) ? yl_roles_format(who->roles, r->a)
	                                                     : "none",
	                  r->method, r->url.path);
}
