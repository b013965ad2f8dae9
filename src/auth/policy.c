/* policy.c -- see policy.h. */
#include "auth/policy.h"

#include <string.h>

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "auth/auth.h"
#include "care/find.h"
#include "care/population.h"
#include "core/buf.h"
#include "core/time.h"
#include "fhir/rest.h"
#include "http/http.h"
#include "store/search.h"

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

/* ---- routes --------------------------------------------------------------------------- */

#define STAFF (CLINICAL | YL_ROLE_ADMIN)

/* Who may use each class of route at all. */
static const struct {
	enum yl_access access;
	unsigned roles;
} classes[] = {
    {YL_ACCESS_USER, ~0u},
    {YL_ACCESS_CLINICAL, STAFF},
    {YL_ACCESS_AGGREGATE, STAFF | YL_ROLE_SUPERVISOR | YL_ROLE_INSTITUTION_ADMIN},
    {YL_ACCESS_MANAGE, YL_ROLE_ADMIN | YL_ROLE_INSTITUTION_ADMIN},
    {YL_ACCESS_ADMIN, YL_ROLE_ADMIN},
    {YL_ACCESS_EXPORT, YL_ROLE_ADMIN},
};

static bool reads_only(const struct yl_req *r)
{
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

/* The same answer as for a resource that does not exist (fhir/rest.c read_common). */
static enum yl_code hidden(struct yl_req *r, const char *type, const char *id, struct yl_err *err)
{
	if (r->vars[2] && strstr(r->url.path, "/_history/"))
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%s has no version %s", type,
		                  id, r->vars[2]);
	return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "%s/%s does not exist", type, id);
}

/* The type and id an instance route's path names: {type}/{id}, or Type/{id}. */
static bool path_target(const char *pattern, struct yl_req *r, const char **type, const char **id)
{
	const char *p = pattern + strlen("/fhir/");
	if (strncmp(pattern, "/fhir/", 6) != 0)
		return false;
	if (strstr(p, "{compartment}"))
		return false; /* a compartment search is filtered like any search: empty, not 404 */
	if (strncmp(p, "{type}/{id}", 11) == 0) {
		*type = r->vars[0];
		*id = r->vars[1];
		return *type && *id;
	}
	size_t n = strcspn(p, "/");
	if (n == 0 || p[0] == '{' || p[0] == '$' || strncmp(p + n, "/{id}", 5) != 0)
		return false;
	*type = yl_arena_strndup(r->a, p, n);
	*id = r->vars[0];
	return *type && *id;
}

/* The resource type a /fhir route is about: {type}, or the literal type of its path. */
static const char *route_type(const char *pattern, struct yl_req *r)
{
	if (strncmp(pattern, "/fhir/{type}", 12) == 0)
		return r->vars[0];
	if (strncmp(pattern, "/fhir/", 6) != 0)
		return NULL;
	const char *p = pattern + 6;
	size_t n = strcspn(p, "/");
	if (n == 0 || *p == '{' || *p == '$')
		return NULL;
	return yl_arena_strndup(r->a, p, n);
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

#define ORG_DEPTH_MAX 12 /* partOf steps from an institution up to its region at most */

bool yl_policy_org_within(struct yl_req *r, const char *org, const char *root)
{
	if (!org || !root)
		return false;
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, &err);
	for (int depth = 0; c && org && depth < ORG_DEPTH_MAX; depth++) {
		if (strcmp(org, root) == 0)
			return true;
		struct yl_row row;
		json_t *doc;
		if (yl_care_read(c, r->a, "Organization", org, &row, &doc, &err) != YL_OK)
			return false;
		const char *type, *up = NULL;
		if (!yl_care_ref(r->a, json_object_get(doc, "partOf"), "Organization", &type, &up))
			up = NULL;
		org = up ? yl_arena_strdup(r->a, up) : NULL;
	}
	return false;
}

/* An instance route: the resource in the path must be in the caller's scope. */
static enum yl_code instance_check(struct yl_req *r, const char *pattern, struct yl_err *err)
{
	const char *type, *id;
	if (!path_target(pattern, r, &type, &id))
		return YL_OK;
	const struct yl_scope *s;
	enum yl_code code = yl_policy_scope(r, &s, err);
	if (code != YL_OK)
		return code;
	if (s->all) {
		if (strcmp(type, "Patient") == 0 && !r->audit_patient)
			r->audit_patient = id;
		return YL_OK;
	}
	if (strcmp(type, "CareTeam") == 0 && strstr(pattern, "/$"))
		return in_list(s->teams, s->nteams, id) ? YL_OK : hidden(r, type, id, err);
	if (strcmp(type, "Practitioner") == 0 && strstr(pattern, "/$"))
		return r->who->practitioner && strcmp(r->who->practitioner, id) == 0
		           ? YL_OK
		           : hidden(r, type, id, err);
	if (strcmp(type, "Organization") == 0 && strstr(pattern, "/$"))
		return yl_policy_org_within(r, id, r->who->organization) ? YL_OK
		                                                         : hidden(r, type, id, err);
	const char *patient = NULL;
	if (strcmp(type, "Patient") == 0) {
		patient = id;
	} else {
		struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
		if (!c)
			return err->code;
		struct yl_row row;
		struct yl_err e2;
		yl_err_init(&e2);
		code = yl_store_read(c, r->a, type, id, 0, &row, &e2);
		if (code == YL_NOT_FOUND)
			return YL_OK; /* the handler answers as for any missing resource */
		if (code != YL_OK) {
			*err = e2;
			return code;
		}
		patient = row.patient;
	}
	if (!yl_scope_sees(s, type, patient))
		return hidden(r, type, id, err);
	if (patient && !r->audit_patient)
		r->audit_patient = patient;
	return YL_OK;
}

enum yl_code yl_policy_route(const struct yl_principal *who, enum yl_access access,
                             const char *pattern, struct yl_req *r, struct yl_err *err)
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
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].access == access)
			need = classes[i].roles;
	/* an institution's administrator keeps their part of the directory through the FHIR
	 * routes (reads and searches show them shared records only; writes are checked by
	 * yl_policy_shared_write) */
	bool keeper = access == YL_ACCESS_CLINICAL && (who->roles & YL_ROLE_INSTITUTION_ADMIN) &&
	              !strchr(pattern, '$') && yl_policy_directory_type(route_type(pattern, r));
	if (!(who->roles & need) && !keeper) {
		const char *have = yl_roles_format(who->roles, r->a);
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL, "your role (%s) may not use %s %s",
		                  *have ? have : "none", r->method, r->url.path);
	}
	return instance_check(r, pattern, err);
}

/* ---- scope ------------------------------------------------------------------------------ */

/* Types that belong to no resident: the directory and the shared knowledge. */
static const char *const shared_types[] = {
    "ActivityDefinition",
    "CapabilityStatement",
    "CareTeam",
    "CodeSystem",
    "ConceptMap",
    "Endpoint",
    "HealthcareService",
    "Library",
    "Location",
    "Measure",
    "Medication",
    "NamingSystem",
    "OperationDefinition",
    "Organization",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Questionnaire",
    "Schedule",
    "SearchParameter",
    "Slot",
    "StructureDefinition",
    "Substance",
    "ValueSet",
};
#define NSHARED (sizeof shared_types / sizeof shared_types[0])

bool yl_policy_shared_type(const char *type)
{
	return in_list(shared_types, NSHARED, type);
}

/* What a pharmacist sees of a resident: what dispensing needs. */
static const char *const dispensing_types[] = {
    "AllergyIntolerance", "Medication", "MedicationDispense", "MedicationRequest", "Patient",
};

/* Where each role's residents come from. */
static const struct {
	unsigned roles;
	bool teams;         /* contracted with the user's CareTeams, or naming them */
	bool referrals;     /* ServiceRequests addressed to them (specialists: their department) */
	bool own;           /* their own record */
	bool prescriptions; /* MedicationRequests whose performer is their pharmacy */
	bool household;     /* members of their household who authorised them (Consent) */
	const char *const *types;
	size_t ntypes;
} sources[] = {
    {YL_ROLE_FAMILY_DOCTOR | YL_ROLE_VILLAGE_DOCTOR | YL_ROLE_NURSE | YL_ROLE_PUBLIC_HEALTH_DOCTOR,
     true, true, false, false, false, NULL, 0},
    {YL_ROLE_SPECIALIST, false, true, false, false, false, NULL, 0},
    {YL_ROLE_RESIDENT, false, false, true, false, true, NULL, 0},
    {YL_ROLE_PHARMACIST, false, false, false, true, false, dispensing_types,
     sizeof dispensing_types / sizeof dispensing_types[0]},
};

struct ids {
	struct yl_arena *a;
	const char **v;
	size_t n, cap;
};

static void add_id(struct ids *x, const char *id)
{
	if (!id)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		const char **v = yl_arena_alloc(x->a, cap * sizeof *v);
		if (!v)
			return;
		if (x->n)
			memcpy(v, x->v, x->n * sizeof *v);
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n++] = id;
}

struct collect {
	struct ids *ids;
	const char *field; /* the reference to the patient */
	const char *type;  /* "Patient" or "CareTeam" ids */
};

static int collect_ref(void *ctx, const struct yl_row *row, json_t *doc)
{
	struct collect *k = ctx;
	if (!k->field) { /* the row's own id */
		add_id(k->ids, yl_arena_strdup(k->ids->a, row->id));
		return 0;
	}
	const char *type, *id;
	if (yl_care_ref(k->ids->a, json_object_get(doc, k->field), k->type, &type, &id) && id)
		add_id(k->ids, yl_arena_strdup(k->ids->a, id)); /* doc dies with its page */
	return 0;
}

static enum yl_code find_ids(struct yl_store_conn *c, struct yl_arena *a, const char *type,
                             const char *param, const char *value, const char *field,
                             struct ids *out, struct yl_err *err)
{
	struct yl_param ps[2] = {{.name = param, .value = value}};
	size_t np = 1;
	if (strcmp(type, "ServiceRequest") == 0 || strcmp(type, "MedicationRequest") == 0)
		ps[np++] = (struct yl_param){.name = "status", .value = "active"};
	struct collect k = {.ids = out, .field = field, .type = "Patient"};
	return yl_care_each(c, a, type, ps, np, collect_ref, &k, err);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The members of the resident's households (Groups they are a member of). */
static int household_members(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct ids *x = ctx;
	json_t *m;
	size_t i;
	json_array_foreach (json_object_get(doc, "member"), i, m) {
		const char *type, *id;
		if (yl_care_ref(x->a, json_object_get(m, "entity"), "Patient", &type, &id))
			add_id(x, yl_arena_strdup(x->a, id));
	}
	return 0;
}

/* A Consent that permits (provision.type permit) the resident as an actor: its patient. */
static int consent_patient(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct ids *x = ctx;
	const char *type, *id;
	const char *kind = yl_care_str(json_object_get(doc, "provision"), "type");
	if (kind && strcmp(kind, "permit") == 0 &&
	    yl_care_ref(x->a, json_object_get(doc, "patient"), "Patient", &type, &id))
		add_id(x, yl_arena_strdup(x->a, id));
	return 0;
}

/* A resident's household members who authorised them: an active Consent of the member
 * permitting the resident (provision.actor), and the two in one household Group
 * (docs/registry.md). */
static enum yl_code household_ids(struct yl_store_conn *c, struct yl_arena *a, const char *patient,
                                  struct ids *out, struct yl_err *err)
{
	const char *me = yl_arena_printf(a, "Patient/%s", patient);
	struct ids members = {.a = a}, consents = {.a = a};
	struct yl_param g = {.name = "member", .value = me};
	enum yl_code code = yl_care_each(c, a, "Group", &g, 1, household_members, &members, err);
	if (code != YL_OK || !members.n)
		return code;
	struct yl_param cp[2] = {{.name = "actor", .value = me},
	                         {.name = "status", .value = "active"}};
	if ((code = yl_care_each(c, a, "Consent", cp, 2, consent_patient, &consents, err)) != YL_OK)
		return code;
	for (size_t i = 0; i < consents.n; i++)
		for (size_t k = 0; k < members.n; k++)
			if (strcmp(consents.v[i], members.v[k]) == 0 &&
			    strcmp(consents.v[i], patient)) {
				add_id(out, consents.v[i]);
				break;
			}
	return YL_OK;
}

static int collect_grant(void *ctx, const struct yl_grant *g)
{
	struct ids *x = ctx;
	struct yl_grant *copy = yl_arena_alloc(x->a, sizeof *copy);
	if (copy) {
		*copy = *g;
		add_id(x, (const char *)copy);
	}
	return 0;
}

/* Work out who's scope into arena a (everything it holds lives there). */
static enum yl_code compute_scope(struct yl_req *r, struct yl_arena *a, struct yl_scope *s,
                                  struct yl_err *err)
{
	const struct yl_principal *who = r->who;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct ids pts = {.a = a}, teams = {.a = a}, grants = {.a = a};
	enum yl_code code = YL_OK;
	const char *pref =
	    who->practitioner ? yl_arena_printf(a, "Practitioner/%s", who->practitioner) : NULL;
	for (size_t i = 0; i < sizeof sources / sizeof sources[0] && code == YL_OK; i++) {
		if (!(who->roles & sources[i].roles))
			continue;
		if (sources[i].types)
			s->types = sources[i].types, s->ntypes = sources[i].ntypes;
		if (sources[i].own)
			add_id(&pts, who->patient ? yl_arena_strdup(a, who->patient) : NULL);
		if (sources[i].household && who->patient && code == YL_OK)
			code = household_ids(c, a, who->patient, &pts, err);
		if (sources[i].teams && pref) {
			struct yl_param p = {.name = "participant", .value = pref};
			struct collect k = {.ids = &teams};
			code = yl_care_each(c, a, "CareTeam", &p, 1, collect_ref, &k, err);
			const char **in = NULL;
			size_t n = 0;
			if (code == YL_OK && r->app->pop)
				code = yl_pop_in_care(r->app->pop, teams.v, teams.n,
				                      who->practitioner, a, &in, &n, err);
			for (size_t k2 = 0; code == YL_OK && k2 < n; k2++)
				add_id(&pts, in[k2]);
		}
		if (sources[i].referrals && code == YL_OK && pref)
			code = find_ids(c, a, "ServiceRequest", "performer", pref, "subject", &pts,
			                err);
		if (sources[i].referrals && code == YL_OK && who->organization &&
		    (who->roles & YL_ROLE_SPECIALIST))
			code = find_ids(c, a, "ServiceRequest", "performer",
			                yl_arena_printf(a, "Organization/%s", who->organization),
			                "subject", &pts, err);
		if (sources[i].prescriptions && code == YL_OK && who->organization)
			code = find_ids(c, a, "MedicationRequest", "intended-performer",
			                yl_arena_printf(a, "Organization/%s", who->organization),
			                "subject", &pts, err);
	}
	/* time-limited grants (break-the-glass, a supervisor's stated purpose) */
	if (code == YL_OK)
		code = yl_store_grant_list(c, a, who->user_id, yl_now_us(), 100, collect_grant,
		                           &grants, err);
	if (code != YL_OK)
		return code;
	s->grants = NULL;
	if (grants.n) {
		struct yl_grant *g = yl_arena_alloc(a, grants.n * sizeof *g);
		if (!g)
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		for (size_t i = 0; i < grants.n; i++) {
			g[i] = *(const struct yl_grant *)grants.v[i];
			add_id(&pts, g[i].patient);
		}
		s->grants = g;
		s->ngrants = grants.n;
	}
	if (pts.n)
		qsort(pts.v, pts.n, sizeof *pts.v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < pts.n; i++)
		if (!u || strcmp(pts.v[u - 1], pts.v[i]) != 0)
			pts.v[u++] = pts.v[i];
	s->patients = pts.v;
	s->npatients = u;
	s->teams = teams.v;
	s->nteams = teams.n;
	struct yl_buf b;
	yl_buf_init(&b, a, 64 + u * 24, 64 << 20);
	yl_buf_addc(&b, '[');
	for (size_t i = 0; i < u; i++) {
		if (i)
			yl_buf_addc(&b, ',');
		yl_buf_json_str(&b, s->patients[i]);
	}
	yl_buf_adds(&b, "]");
	yl_buf_addc(&b, '\0');
	if (b.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	s->json = b.p;
	return YL_OK;
}

/* ---- scopes kept a moment: a doctor's page asks many times in a row ---------------------
 * A scope is reused while nothing has changed in the store (its last change-log seq: every
 * write moves it; and it is kept only when the population model had reached that change),
 * no grant was made in this process, the user's roles and links are
 * the same, and it is younger than SCOPE_TTL_US (grants made on another node). Entries are
 * shared by the requests that use them (refs) and freed by the last. */
#define SCOPE_SLOTS  256
#define SCOPE_TTL_US 2000000

struct cached_scope {
	int64_t user_id, seq, made;
	uint64_t gen;
	unsigned roles;
	struct yl_arena *a;
	struct yl_scope *s;
	int refs;
};

static struct cached_scope *scope_cache[SCOPE_SLOTS];
static pthread_mutex_t scope_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t grant_gen;

static void scope_unref(void *p)
{
	struct cached_scope *e = p;
	pthread_mutex_lock(&scope_mu);
	bool last = --e->refs == 0;
	pthread_mutex_unlock(&scope_mu);
	if (last) {
		yl_arena_destroy(e->a);
		free(e);
	}
}

void yl_policy_grants_changed(void)
{
	atomic_fetch_add(&grant_gen, 1);
}

void yl_policy_cache_clear(void)
{
	for (size_t i = 0; i < SCOPE_SLOTS; i++) {
		pthread_mutex_lock(&scope_mu);
		struct cached_scope *e = scope_cache[i];
		scope_cache[i] = NULL;
		pthread_mutex_unlock(&scope_mu);
		if (e)
			scope_unref(e);
	}
}

enum yl_code yl_policy_scope(struct yl_req *r, const struct yl_scope **out, struct yl_err *err)
{
	if (r->scope) {
		*out = r->scope;
		return YL_OK;
	}
	const struct yl_principal *who = r->who;
	if (!who || (who->roles & YL_ROLE_ADMIN)) {
		struct yl_scope *s = yl_arena_calloc(r->a, 1, sizeof *s);
		if (!s)
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		s->all = who != NULL;
		s->json = "[]";
		r->scope = *out = s;
		return YL_OK;
	}
	/* the store's last change keys the cache: read first, so a change that lands while the
	 * scope is worked out makes the next request work it out again */
	int64_t seq = -1, now = yl_monotonic_us();
	struct yl_err e2;
	yl_err_init(&e2);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, &e2);
	if (!c || yl_store_last_seq(c, r->a, &seq, &e2) != YL_OK)
		seq = -1;
	/* team contracts come from the population model: a scope is kept only when the model
	 * had reached that change (it may be catching up on another thread) */
	bool current = true;
	if (r->app->pop) {
		yl_pop_sync_try(r->app->pop, r->a);
		current = yl_pop_seq(r->app->pop) >= seq;
	}
	uint64_t gen = atomic_load(&grant_gen);
	struct cached_scope **slot = &scope_cache[(uint64_t)who->user_id % SCOPE_SLOTS];
	pthread_mutex_lock(&scope_mu);
	struct cached_scope *e = *slot;
	if (e && e->user_id == who->user_id && e->seq == seq && seq >= 0 && e->gen == gen &&
	    e->roles == who->roles && now - e->made < SCOPE_TTL_US) {
		e->refs++;
		pthread_mutex_unlock(&scope_mu);
		if (yl_arena_defer(r->a, scope_unref, e) != 0) {
			scope_unref(e);
			return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
		}
		r->scope = *out = e->s;
		return YL_OK;
	}
	pthread_mutex_unlock(&scope_mu);
	e = calloc(1, sizeof *e);
	struct yl_arena *a = e ? yl_arena_create(1 << 14) : NULL;
	struct yl_scope *s = a ? yl_arena_calloc(a, 1, sizeof *s) : NULL;
	if (!s) {
		yl_arena_destroy(a);
		free(e);
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	}
	*e = (struct cached_scope){.user_id = who->user_id,
	                           .seq = seq,
	                           .made = now,
	                           .gen = gen,
	                           .roles = who->roles,
	                           .a = a,
	                           .s = s,
	                           .refs = 1};
	enum yl_code code = compute_scope(r, a, s, err);
	if (code != YL_OK || yl_arena_defer(r->a, scope_unref, e) != 0) {
		yl_arena_destroy(a);
		free(e);
		return code != YL_OK ? code
		                     : yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	}
	r->scope = *out = s;
	if (!current || seq < 0)
		return YL_OK;
	/* keep it for the next request (the cache holds a reference of its own) */
	pthread_mutex_lock(&scope_mu);
	struct cached_scope *old = *slot;
	e->refs++;
	*slot = e;
	pthread_mutex_unlock(&scope_mu);
	if (old)
		scope_unref(old);
	return YL_OK;
}

bool yl_scope_sees(const struct yl_scope *s, const char *type, const char *patient)
{
	if (s->all)
		return true;
	if (!patient)
		return yl_policy_shared_type(type);
	if (s->types && !in_list(s->types, s->ntypes, type))
		return false;
	return s->npatients && /* an empty scope has no array (bsearch wants one) */
	       bsearch(&patient, s->patients, s->npatients, sizeof *s->patients, cmp_str) != NULL;
}

bool yl_scope_type(const struct yl_scope *s, const char *type)
{
	return s->all || !s->types || yl_policy_shared_type(type) ||
	       in_list(s->types, s->ntypes, type);
}

const struct yl_grant *yl_scope_grant(const struct yl_scope *s, const char *patient)
{
	for (size_t i = 0; patient && i < s->ngrants; i++)
		if (strcmp(s->grants[i].patient, patient) == 0)
			return &s->grants[i];
	return NULL;
}

void yl_scope_plan(const struct yl_scope *s, struct yl_search_plan *p)
{
	if (s->all)
		return;
	p->visible = s->json;
	p->shared = shared_types;
	p->nshared = NSHARED;
}

/* ---- the directory and the accounts: who keeps them ------------------------------------
 * Shared records change only by administrators; an institution's administrator keeps its
 * own part of the directory (the teams, practitioner roles, locations and services of the
 * institution and of those below it, and the practitioners working there) and its staff's
 * accounts. A clinician who could edit a CareTeam could add themselves to it, and so open
 * its residents' records. */
static const struct {
	const char *type;
	const char *org; /* the element naming the institution; NULL: a Practitioner's roles */
} directory[] = {
    {"CareTeam", "managingOrganization"},
    {"HealthcareService", "providedBy"},
    {"Location", "managingOrganization"},
    {"Organization", "partOf"},
    {"Practitioner", NULL},
    {"PractitionerRole", "organization"},
};
#define NDIRECTORY (sizeof directory / sizeof directory[0])

/* The roles an institution's administrator may give: those of its staff. */
#define INSTITUTION_ROLES                                                                          \
	(YL_ROLE_FAMILY_DOCTOR | YL_ROLE_VILLAGE_DOCTOR | YL_ROLE_NURSE |                          \
	 YL_ROLE_PUBLIC_HEALTH_DOCTOR | YL_ROLE_SPECIALIST | YL_ROLE_PHARMACIST)

static size_t directory_index(const char *type)
{
	size_t k = 0;
	while (k < NDIRECTORY && strcmp(directory[k].type, type) != 0)
		k++;
	return k;
}

bool yl_policy_directory_type(const char *type)
{
	return type && directory_index(type) < NDIRECTORY;
}

/* Whether v (a Reference, or an array of them) names Organizations, all within root. */
static bool refs_within(struct yl_req *r, json_t *v, const char *root)
{
	json_t *one = v;
	size_t n = json_is_array(v) ? json_array_size(v) : v ? 1 : 0, seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (json_is_array(v))
			one = json_array_get(v, i);
		const char *type, *id;
		if (!yl_care_ref(r->a, one, "Organization", &type, &id) ||
		    !yl_policy_org_within(r, yl_arena_strdup(r->a, id), root))
			return false;
		seen++;
	}
	return seen > 0;
}

struct within {
	struct yl_req *r;
	const char *root, *field;
	bool all, any;
};

static int row_within(void *ctx, const struct yl_row *row, json_t *doc)
{
	(void)row;
	struct within *w = ctx;
	w->any = true;
	if (!refs_within(w->r, json_object_get(doc, w->field), w->root))
		w->all = false;
	return !w->all;
}

/* Whether Practitioner id works only within root: each of their roles and teams is there,
 * and there is at least one. */
static bool practitioner_within(struct yl_req *r, const char *id, const char *root)
{
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, &err);
	if (!c)
		return false;
	const char *ref = yl_arena_printf(r->a, "Practitioner/%s", id);
	struct within w = {r, root, "organization", true, false};
	struct yl_param p = {.name = "practitioner", .value = ref};
	if (yl_care_each(c, r->a, "PractitionerRole", &p, 1, row_within, &w, &err) != YL_OK)
		return false;
	w.field = "managingOrganization";
	p.name = "participant";
	if (w.all && yl_care_each(c, r->a, "CareTeam", &p, 1, row_within, &w, &err) != YL_OK)
		return false;
	return w.all && w.any;
}

static bool record_within(struct yl_req *r, size_t k, const char *id, json_t *doc, const char *root)
{
	if (!directory[k].org)
		return practitioner_within(r, id, root);
	return refs_within(r, json_object_get(doc, directory[k].org), root);
}

enum yl_code yl_policy_shared_write(struct yl_req *r, const char *type, const char *id, json_t *doc,
                                    struct yl_err *err)
{
	const struct yl_principal *who = r->who;
	if (!who || (who->roles & YL_ROLE_ADMIN))
		return YL_OK;
	size_t k = directory_index(type);
	const char *root = who->organization;
	if (!(who->roles & YL_ROLE_INSTITUTION_ADMIN) || k == NDIRECTORY || !root)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "%s records are shared by everyone and kept by administrators%s",
		                  type,
		                  k < NDIRECTORY ? "; ask your institution's administrator" : "");
	/* the record as stored, when there is one, must be the institution's too */
	struct yl_err e2;
	yl_err_init(&e2);
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	struct yl_row row;
	json_t *old = NULL;
	enum yl_code code = yl_care_read(c, r->a, type, id, &row, &old, &e2);
	if (code != YL_OK && code != YL_NOT_FOUND) {
		*err = e2;
		return code;
	}
	bool ok;
	if (!directory[k].org) /* a new practitioner; a known one must work here only */
		ok = !old || practitioner_within(r, id, root);
	else
		ok = (!old || record_within(r, k, id, old, root)) &&
		     (!doc || record_within(r, k, id, doc, root));
	if (!ok)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "%s/%s is not in the part of the directory your institution "
		                  "keeps (%s: Organization/%s or one below it)",
		                  type, id, directory[k].org ? directory[k].org : "their roles",
		                  root);
	return YL_OK;
}

bool yl_policy_user_visible(struct yl_req *r, const struct yl_user *u)
{
	const struct yl_principal *who = r->who;
	if (!who || (who->roles & YL_ROLE_ADMIN))
		return true;
	return (who->roles & YL_ROLE_INSTITUTION_ADMIN) && who->organization && u->organization &&
	       !u->patient && yl_policy_org_within(r, u->organization, who->organization);
}

/* Whether the caller may change account u, giving it `assign` roles and its
 * links: administrators any; an institution's administrator their staff's accounts only
 * (the organization within theirs, staff roles, a practitioner who works there). */
enum yl_code yl_policy_user(struct yl_req *r, const struct yl_user *u, unsigned assign,
                            struct yl_err *err)
{
	const struct yl_principal *who = r->who;
	if (!who || (who->roles & YL_ROLE_ADMIN))
		return YL_OK;
	const char *bad;
	unsigned have = u->roles ? yl_roles_parse(u->roles, &bad, r->a) : 0;
	if (!yl_policy_user_visible(r, u)) /* one outside their institution they do not know */
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "there is no user '%s'",
		                  u->username);
	if ((have | assign) & ~INSTITUTION_ROLES)
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "an institution's administrator gives and manages its staff's "
		                  "roles (%s) only; ask a system administrator",
		                  yl_roles_format(INSTITUTION_ROLES, r->a));
	if (u->practitioner && !practitioner_within(r, u->practitioner, who->organization))
		return yl_err_add(err, r->a, YL_FORBIDDEN, NULL,
		                  "Practitioner/%s does not work only in your institution: give "
		                  "them a PractitionerRole here first",
		                  u->practitioner);
	return YL_OK;
}
