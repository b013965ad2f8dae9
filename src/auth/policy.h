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

/* What a route is open to (its row in the route table). */
enum yl_access {
	YL_ACCESS_PUBLIC,   /* anyone, logged in or not: /healthz, the web pages, metadata */
	YL_ACCESS_LOGIN,    /* the login itself */
	YL_ACCESS_USER,     /* any logged-in user; the records returned are filtered */
	YL_ACCESS_CLINICAL, /* staff who care for residents (records filtered) */
	YL_ACCESS_ADMIN,    /* system administrators */
	YL_ACCESS_EXPORT,   /* bulk export: administrators */
};

/* Whether who may use a route of class `access` with r's method. */
enum yl_code yl_policy_route(const struct yl_principal *who, enum yl_access access,
                             struct yl_req *r, struct yl_err *err);

#endif
