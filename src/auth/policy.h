/* policy.h -- who may do what (issue 7), decided here and nowhere else.
 *
 * Roles are the codes of the table in policy.c (admin, supervisor, institution-admin,
 * family-doctor, village-doctor, nurse, public-health-doctor, specialist, pharmacist,
 * resident); a user holds a set of them. Every route names its access class in the route
 * table (http/router.h); yl_policy_route() answers for the class before the handler runs,
 * and handlers ask yl_policy_patient() for the records they are about to return.
 *
 * A denial of a record the caller may not know exists is YL_NOT_FOUND, worded like the
 * answer for a record that does not exist; a denial of a route the caller's role never has
 * is YL_FORBIDDEN.
 *
 * Memory: nothing kept. Threads: reentrant (reads the store through the caller's
 * connection). */
#ifndef YL_AUTH_POLICY_H
#define YL_AUTH_POLICY_H

#include <stdbool.h>

#include "core/err.h"

struct yl_principal;
struct yl_req;

enum yl_role {
	YL_ROLE_ADMIN = 1u << 0,
	YL_ROLE_SUPERVISOR = 1u << 1,
	YL_ROLE_INSTITUTION_ADMIN = 1u << 2,
	YL_ROLE_FAMILY_DOCTOR = 1u << 3,
	YL_ROLE_VILLAGE_DOCTOR = 1u << 4,
	YL_ROLE_NURSE = 1u << 5,
	YL_ROLE_PUBLIC_HEALTH_DOCTOR = 1u << 6,
	YL_ROLE_SPECIALIST = 1u << 7,
	YL_ROLE_PHARMACIST = 1u << 8,
	YL_ROLE_RESIDENT = 1u << 9,
};

/* A role's bit from its code (0 when unknown); its code from one bit. */
unsigned yl_role_parse(const char *code, size_t len);
const char *yl_role_code(unsigned role);
/* A space- or comma-separated list of codes to a bit set of the known ones; *bad is the
 * first unknown code (arena text; "?" when a is NULL), NULL when all are roles. */
unsigned yl_roles_parse(const char *list, const char **bad, struct yl_arena *a);
/* The set as codes, space-separated (arena text). */
const char *yl_roles_format(unsigned roles, struct yl_arena *a);
/* Every role code, for usage texts ("admin, supervisor, ..."). */
const char *yl_roles_all(void);

/* What a route is open to (its row in the route table). Instance routes are also held to
 * the caller's scope: the resource named in the path must be one they may see (404
 * otherwise), a CareTeam one they belong to, a Practitioner themselves. */
enum yl_access {
	YL_ACCESS_PUBLIC,    /* anyone, logged in or not: /healthz, the web pages, metadata */
	YL_ACCESS_LOGIN,     /* the login itself */
	YL_ACCESS_USER,      /* any logged-in user; the records returned are filtered */
	YL_ACCESS_CLINICAL,  /* staff who care for residents (records filtered) */
	YL_ACCESS_AGGREGATE, /* counts and rates: supervisors, institution admins, staff */
	YL_ACCESS_MANAGE,    /* institution administrators (their institution) and admins */
	YL_ACCESS_ADMIN,     /* system administrators */
	YL_ACCESS_EXPORT,    /* bulk export: administrators */
};

/* Whether who may use a route of class `access` with r's method, and (instance routes)
 * the resource the path names (r->vars, the route's pattern). */
enum yl_code yl_policy_route(const struct yl_principal *who, enum yl_access access,
                             const char *pattern, struct yl_req *r, struct yl_err *err);

/* The records a caller may see, worked out once per request (cached in r->scope): every
 * record (administrators), or the residents in their care -- contracted with their teams or
 * naming them, referred to them, their own record (a resident), prescriptions routed to
 * their pharmacy, and any time-limited grant (break-the-glass) -- plus the shared records
 * that belong to no resident (organisations, practitioners, teams, terminology). */
struct yl_grant;
struct yl_scope {
	bool all;
	const char **patients; /* sorted, unique */
	size_t npatients;
	const char *json;   /* the same as a JSON array (store/search.h yl_search_plan.visible) */
	const char **teams; /* the caller's CareTeams */
	size_t nteams;
	const char *const *types; /* NULL: any type; else only these (a pharmacist) */
	size_t ntypes;
	const struct yl_grant *grants;
	size_t ngrants;
};
enum yl_code yl_policy_scope(struct yl_req *r, const struct yl_scope **out, struct yl_err *err);
/* A grant was made (its holder's cached scope is stale); free the cached scopes (at stop). */
void yl_policy_grants_changed(void);
void yl_policy_cache_clear(void);
/* Whether a record of `type` in `patient`'s compartment (NULL: none) is in the scope. */
bool yl_scope_sees(const struct yl_scope *s, const char *type, const char *patient);
/* Whether the caller may see records of `type` at all. */
bool yl_scope_type(const struct yl_scope *s, const char *type);
/* The grant that opens patient's record to the caller, or NULL. */
const struct yl_grant *yl_scope_grant(const struct yl_scope *s, const char *patient);
/* Restrict a search plan to the scope (nothing for administrators). */
struct yl_search_plan;
void yl_scope_plan(const struct yl_scope *s, struct yl_search_plan *p);
/* Whether Organization org is root or below it (partOf), e.g. an institution in a
 * supervisor's region: reads the Organizations on the way up. */
bool yl_policy_org_within(struct yl_req *r, const char *org, const char *root);
/* The types that belong to no resident: visible to every logged-in user. */
bool yl_policy_shared_type(const char *type);

/* The directory and the accounts: who keeps them. Shared records (yl_policy_shared_type)
 * are written by administrators; an institution's administrator writes the directory types
 * (yl_policy_directory_type: CareTeam, HealthcareService, Location, Organization,
 * Practitioner, PractitionerRole) of their institution and those below it, as stored and as
 * written (doc NULL: a delete). YL_FORBIDDEN otherwise (shared records are no secret). */
bool yl_policy_directory_type(const char *type);
struct json_t;
enum yl_code yl_policy_shared_write(struct yl_req *r, const char *type, const char *id,
                                    struct json_t *doc, struct yl_err *err);
/* Accounts: whether the caller may see account u (administrators: all; an institution's
 * administrator: those whose organization is within theirs), and may change it giving it
 * `assign` roles (an institution's administrator: staff roles only, and a linked
 * practitioner who works only there). An account the caller may not see is YL_NOT_FOUND. */
struct yl_user;
bool yl_policy_user_visible(struct yl_req *r, const struct yl_user *u);
enum yl_code yl_policy_user(struct yl_req *r, const struct yl_user *u, unsigned assign,
                            struct yl_err *err);

#endif
