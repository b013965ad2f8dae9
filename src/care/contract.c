/* contract.c -- family-doctor contracts: the write rules and the operations (contract.h). */
#include "care/contract.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/keypop.h"
#include "core/id.h"
#include "core/time.h"
#include "fhir/json.h"
#include "fhir/parameters.h"
#include "fhir/rest.h"

#define EPISODE_TYPE  YL_CS "episode-type"
#define CONTRACT_CODE "family-doctor-contract"
#define X_STATE       YL_SD "contract-state"
#define X_PACKAGE     YL_SD "contract-package"
#define X_REASON      YL_SD "termination-reason"
#define X_RENEWS      YL_SD "renews"
#define X_FROM        YL_SD "transferred-from"
#define X_CAPACITY    YL_SD "panel-capacity"
#define BASIC_PACKAGE "https://yilian.health/fhir/PlanDefinition/package-basic"
#define MAX_CONTRACTS 64 /* a resident's contracts read when looking for an overlap */
#define OPEN_END      INT64_MAX

/* ---- small readers ----------------------------------------------------------------- */

static bool coded(const json_t *concept, const char *system, const char *code)
{
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(concept, "coding"), i, c)
		if (yl_care_str(c, "system") && yl_care_str(c, "code") &&
		    !strcmp(yl_care_str(c, "system"), system) &&
		    !strcmp(yl_care_str(c, "code"), code))
			return true;
	return false;
}

static bool is_contract(const json_t *episode)
{
	size_t i;
	const json_t *t;
	json_array_foreach (json_object_get(episode, "type"), i, t)
		if (coded(t, EPISODE_TYPE, CONTRACT_CODE))
			return true;
	return false;
}

/* The value member of the first extension with this url, or NULL. */
static const json_t *ext(const json_t *o, const char *url, const char *key)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(o, "extension"), i, e)
		if (yl_care_str(e, "url") && !strcmp(yl_care_str(e, "url"), url))
			return json_object_get(e, key);
	return NULL;
}

static int64_t day_or(const char *s, int64_t otherwise)
{
	int64_t d = s ? yl_parse_day(s, strlen(s)) : YL_NO_DAY;
	return d == YL_NO_DAY ? otherwise : d;
}

static void period_of(const json_t *episode, int64_t *start, int64_t *end)
{
	const json_t *p = json_object_get(episode, "period");
	*start = day_or(yl_care_str(p, "start"), YL_NO_DAY);
	*end = day_or(yl_care_str(p, "end"), OPEN_END);
}

/* ---- the rules ---------------------------------------------------------------------- */

static bool deceased(const json_t *patient)
{
	return json_is_true(json_object_get(patient, "deceasedBoolean")) ||
	       json_is_string(json_object_get(patient, "deceasedDateTime"));
}

/* Contracts in force (active or planned) on `day` with param=ref, not counting self. */
static enum yl_code in_force(struct yl_store_conn *c, struct yl_arena *a, const char *param,
                             const char *ref, int64_t day, const char *self, int64_t *n,
                             struct yl_err *err)
{
	/* the period starts before the next day and ends after the day before (R4 search
	 * prefixes: lt/gt ask for part of the range beyond the value) */
	struct yl_param p[] = {
	    {param, ref},
	    {"type", EPISODE_TYPE "|" CONTRACT_CODE},
	    {"status", "active,planned"},
	    {"date", yl_arena_printf(a, "lt%s", yl_care_day_text(a, day + 1))},
	    {"date", yl_arena_printf(a, "gt%s", yl_care_day_text(a, day - 1))},
	    {"_id", self},
	};
	int64_t all, mine = 0;
	enum yl_code code = yl_care_find(c, a, "EpisodeOfCare", p, 5, 0, NULL, NULL, &all, err);
	if (code == YL_OK)
		code = yl_care_find(c, a, "EpisodeOfCare", p, 6, 0, NULL, NULL, &mine, err);
	*n = all - mine;
	return code;
}

/* A panel-capacity extension, or the rules' default. */
static int capacity_of(const json_t *o, int otherwise)
{
	const json_t *v = ext(o, X_CAPACITY, "valueInteger");
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (int)json_integer_value(v)
	                                                        : otherwise;
}

static enum yl_code check_overlap(struct yl_store_conn *c, struct yl_arena *a,
                                  const struct yl_write *w, const char *pref, int64_t start,
                                  int64_t end, struct yl_err *err)
{
	struct yl_param p[] = {
	    {"patient", pref},
	    {"type", EPISODE_TYPE "|" CONTRACT_CODE},
	    {"status", "active,planned"},
	};
	struct yl_row *rows;
	size_t n;
	enum yl_code code =
	    yl_care_find(c, a, "EpisodeOfCare", p, 3, MAX_CONTRACTS, &rows, &n, NULL, err);
	for (size_t i = 0; code == YL_OK && i < n; i++) {
		if (!strcmp(rows[i].id, w->id))
			continue;
		json_t *other = yl_care_parse(a, &rows[i], err);
		if (!other)
			return err->code;
		int64_t s, e;
		period_of(other, &s, &e);
		if (s <= end && start <= e)
			return yl_err_add(
			    err, a, YL_CONFLICT, "EpisodeOfCare.period",
			    "%s already has a family-doctor contract in force from %s "
			    "to %s (EpisodeOfCare/%s): renew, transfer or terminate "
			    "that one instead of signing another",
			    pref, s != YL_NO_DAY ? yl_care_day_text(a, s) : "(no start)",
			    e == OPEN_END ? "(no end)" : yl_care_day_text(a, e), rows[i].id);
	}
	return code;
}

static enum yl_code check_team(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_write *w, const json_t *doc, int64_t start,
                               struct yl_err *err)
{
	const struct yl_care_rules *rules = yl_care_rules();
	const char *ttype, *tid;
	const json_t *team_ref = json_array_get(json_object_get(doc, "team"), 0);
	if (!yl_care_ref(a, team_ref, "CareTeam", &ttype, &tid))
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.team",
		                  "a family-doctor contract names its team: team[0] must be a "
		                  "CareTeam/id reference");
	struct yl_row row;
	json_t *team;
	enum yl_code code = yl_care_read(c, a, "CareTeam", tid, &row, &team, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.team",
		                  "the contract's team CareTeam/%s does not exist", tid);
	if (code != YL_OK)
		return code;
	bool fdt = false;
	size_t i;
	const json_t *cat;
	json_array_foreach (json_object_get(team, "category"), i, cat)
		fdt |= coded(cat, YL_CS "care-team-category", "family-doctor-team");
	const char *status = yl_care_str(team, "status");
	if (!fdt || (status && strcmp(status, "active") != 0))
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.team",
		                  "CareTeam/%s is not an active family-doctor team (category "
		                  "family-doctor-team, status active)",
		                  tid);
	const char *tref = yl_arena_printf(a, "CareTeam/%s", tid);
	int64_t n;
	if ((code = in_force(c, a, "team", tref, start, w->id, &n, err)) != YL_OK)
		return code;
	int cap = capacity_of(team, rules->team_capacity);
	if (n >= cap)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.team",
		                  "the team CareTeam/%s is full: %lld contracts in force on %s, "
		                  "capacity %d; choose another team or raise the team's "
		                  "panel-capacity",
		                  tid, (long long)n, yl_care_day_text(a, start), cap);
	/* the doctor: a member of the team, within their own capacity */
	const char *dtype, *did;
	if (!json_object_get(doc, "careManager"))
		return YL_OK;
	if (!yl_care_ref(a, json_object_get(doc, "careManager"), "Practitioner", &dtype, &did))
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.careManager",
		                  "careManager must be a Practitioner/id reference");
	bool member = false;
	const json_t *part;
	json_array_foreach (json_object_get(team, "participant"), i, part) {
		const char *mt, *mid;
		if (yl_care_ref(a, json_object_get(part, "member"), "Practitioner", &mt, &mid) &&
		    !strcmp(mid, did))
			member = true;
	}
	if (!member)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.careManager",
		                  "Practitioner/%s is not a member of CareTeam/%s", did, tid);
	const char *dref = yl_arena_printf(a, "Practitioner/%s", did);
	struct yl_param rp = {"practitioner", dref};
	struct yl_row *roles;
	size_t nroles;
	if ((code = yl_care_find(c, a, "PractitionerRole", &rp, 1, 8, &roles, &nroles, NULL,
	                         err)) != YL_OK)
		return code;
	cap = rules->doctor_capacity;
	for (size_t k = 0; k < nroles; k++) {
		json_t *role = yl_care_parse(a, &roles[k], err);
		if (!role)
			return err->code;
		cap = capacity_of(role, cap);
	}
	if ((code = in_force(c, a, "care-manager", dref, start, w->id, &n, err)) != YL_OK)
		return code;
	if (n >= cap)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.careManager",
		                  "the doctor Practitioner/%s has reached their capacity: %lld "
		                  "contracts in force on %s, capacity %d; choose another doctor of "
		                  "the team",
		                  did, (long long)n, yl_care_day_text(a, start), cap);
	return YL_OK;
}

/* Who a package is for, in words, from its useContext. */
static const char *population_text(struct yl_arena *a, const json_t *plan)
{
	char *out = yl_arena_strdup(a, "");
	size_t i;
	const json_t *u;
	json_array_foreach (json_object_get(plan, "useContext"), i, u) {
		const char *kind = yl_care_str(json_object_get(u, "code"), "code");
		const json_t *range = json_object_get(u, "valueRange");
		const json_t *cc = json_array_get(
		    json_object_get(json_object_get(u, "valueCodeableConcept"), "coding"), 0);
		const char *part = NULL;
		if (kind && !strcmp(kind, "age")) {
			const json_t *lo = json_object_get(json_object_get(range, "low"), "value");
			const json_t *hi = json_object_get(json_object_get(range, "high"), "value");
			part = hi ? yl_arena_printf(a, "ages %g to %g",
			                            lo ? json_number_value(lo) : 0.0,
			                            json_number_value(hi))
			          : yl_arena_printf(a, "ages %g and over", json_number_value(lo));
		} else if (kind && (!strcmp(kind, "gender") || !strcmp(kind, "focus")))
			part = yl_arena_printf(a, "%s %s", kind,
			                       yl_care_str(cc, "code") ? yl_care_str(cc, "code")
			                                               : "?");
		if (part)
			out = yl_arena_printf(a, "%s%s%s", out, *out ? ", " : "", part);
	}
	return *out ? out : "everyone";
}

/* Whether the resident is in the package's eligible population on `day`. */
static enum yl_code eligible(struct yl_store_conn *c, struct yl_arena *a, const json_t *plan,
                             const char *pid, const json_t *patient, int64_t day, bool *ok,
                             struct yl_err *err)
{
	int age = yl_keypop_age(patient, day);
	const char *gender = yl_care_str(patient, "gender");
	bool focus_asked = false, focus_met = false, have_mask = false;
	uint32_t mask = 0;
	*ok = true;
	size_t i;
	const json_t *u;
	json_array_foreach (json_object_get(plan, "useContext"), i, u) {
		const char *kind = yl_care_str(json_object_get(u, "code"), "code");
		const json_t *cc = json_object_get(u, "valueCodeableConcept");
		if (!kind)
			continue;
		if (!strcmp(kind, "age")) {
			const json_t *r = json_object_get(u, "valueRange");
			const json_t *lo = json_object_get(json_object_get(r, "low"), "value");
			const json_t *hi = json_object_get(json_object_get(r, "high"), "value");
			if (age < 0 || (lo && age < json_number_value(lo)) ||
			    (hi && age > json_number_value(hi)))
				*ok = false;
		} else if (!strcmp(kind, "gender")) {
			const char *want =
			    yl_care_str(json_array_get(json_object_get(cc, "coding"), 0), "code");
			if (want && (!gender || strcmp(want, gender) != 0))
				*ok = false;
		} else if (!strcmp(kind, "focus")) {
			const char *code =
			    yl_care_str(json_array_get(json_object_get(cc, "coding"), 0), "code");
			size_t k;
			focus_asked = true;
			if (!yl_care_keypop(code, &k))
				continue;
			if (!have_mask) {
				enum yl_code rc = yl_keypop_of(c, a, pid, patient, day, &mask, err);
				if (rc != YL_OK)
					return rc;
				have_mask = true;
			}
			focus_met |= (mask >> k) & 1u;
		}
	}
	if (focus_asked && !focus_met)
		*ok = false;
	return YL_OK;
}

static enum yl_code check_packages(struct yl_store_conn *c, struct yl_arena *a, const json_t *doc,
                                   const char *pid, const json_t *patient, int64_t start,
                                   struct yl_err *err)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(doc, "extension"), i, e) {
		if (!yl_care_str(e, "url") || strcmp(yl_care_str(e, "url"), X_PACKAGE) != 0)
			continue;
		const char *at = yl_arena_printf(a, "EpisodeOfCare.extension[%zu]", i);
		const char *ptype, *plid;
		if (!yl_care_ref(a, json_object_get(e, "valueReference"), "PlanDefinition", &ptype,
		                 &plid))
			return yl_err_add(err, a, YL_BUSINESS_RULE, at,
			                  "a contract-package extension holds a PlanDefinition/id "
			                  "valueReference");
		struct yl_row row;
		json_t *plan;
		enum yl_code code = yl_care_read(c, a, "PlanDefinition", plid, &row, &plan, err);
		if (code == YL_NOT_FOUND)
			return yl_err_add(err, a, YL_BUSINESS_RULE, at,
			                  "the package PlanDefinition/%s does not exist", plid);
		if (code != YL_OK)
			return code;
		if (!coded(json_object_get(plan, "type"), YL_CS "plan-type", "service-package") ||
		    !yl_care_str(plan, "status") ||
		    strcmp(yl_care_str(plan, "status"), "active") != 0)
			return yl_err_add(err, a, YL_BUSINESS_RULE, at,
			                  "PlanDefinition/%s is not an active service package",
			                  plid);
		bool ok;
		if ((code = eligible(c, a, plan, pid, patient, start, &ok, err)) != YL_OK)
			return code;
		if (!ok)
			return yl_err_add(
			    err, a, YL_BUSINESS_RULE, at,
			    "the package '%s' is for %s; Patient/%s is not in that "
			    "population on %s",
			    yl_care_str(plan, "title") ? yl_care_str(plan, "title") : plid,
			    population_text(a, plan), pid, yl_care_day_text(a, start));
	}
	return YL_OK;
}

enum yl_code yl_contract_check(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_write *w, const json_t *doc, struct yl_err *err)
{
	const char *status = yl_care_str(doc, "status");
	if (!is_contract(doc) || !status || (strcmp(status, "active") && strcmp(status, "planned")))
		return YL_OK;
	if (!yl_care_rules())
		return yl_err_add(err, a, YL_BUSINESS_RULE, NULL,
		                  "the contracting rules are not loaded (rules/contracting.json)");
	const char *ptype, *pid;
	if (!yl_care_ref(a, json_object_get(doc, "patient"), "Patient", &ptype, &pid))
		return yl_err_add(
		    err, a, YL_BUSINESS_RULE, "EpisodeOfCare.patient",
		    "a family-doctor contract's patient must be a Patient/id reference");
	int64_t start, end;
	period_of(doc, &start, &end);
	if (start == YL_NO_DAY)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.period.start",
		                  "a family-doctor contract needs period.start (a date)");
	struct yl_row row;
	json_t *patient;
	enum yl_code code = yl_care_read(c, a, "Patient", pid, &row, &patient, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.patient",
		                  "the contract's resident Patient/%s does not exist", pid);
	if (code != YL_OK)
		return code;
	if (deceased(patient))
		return yl_err_add(err, a, YL_BUSINESS_RULE, "EpisodeOfCare.patient",
		                  "Patient/%s is recorded as deceased: no contract can be signed "
		                  "or kept in force for them",
		                  pid);
	const char *pref = yl_arena_printf(a, "Patient/%s", pid);
	if ((code = check_overlap(c, a, w, pref, start, end, err)) != YL_OK ||
	    (code = check_team(c, a, w, doc, start, err)) != YL_OK)
		return code;
	return check_packages(c, a, doc, pid, patient, start, err);
}

/* ---- building and writing contracts ------------------------------------------------ */

static json_t *ref_obj(const char *ref)
{
	return json_pack("{s:s}", "reference", ref);
}

/* Remove every extension with this url. */
static void drop_ext(json_t *o, const char *url)
{
	json_t *list = json_object_get(o, "extension");
	for (size_t i = json_array_size(list); i-- > 0;)
		if (yl_care_str(json_array_get(list, i), "url") &&
		    !strcmp(yl_care_str(json_array_get(list, i), "url"), url))
			json_array_remove(list, i);
}

static void set_state(json_t *o, const char *state)
{
	drop_ext(o, X_STATE);
	yl_care_add_ext(o, X_STATE, "valueCode", json_string(state));
}

/* The request body as a checked Parameters document. */
static enum yl_code op_input(struct yl_req *r, const struct yl_opparam *spec, size_t n,
                             const char *op, json_t **body, struct yl_err *err)
{
	if (!yl_care_rules())
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "the contracting rules are not loaded (rules/contracting.json)");
	return yl_care_input(r, spec, n, op, body, err);
}

/* The team's lead (or, without one, its first family doctor): Practitioner id or NULL. */
static const char *team_lead(struct yl_arena *a, const json_t *team)
{
	const char *first = NULL;
	size_t i, j;
	const json_t *p, *role;
	json_array_foreach (json_object_get(team, "participant"), i, p) {
		const char *t, *id;
		if (!yl_care_ref(a, json_object_get(p, "member"), "Practitioner", &t, &id))
			continue;
		json_array_foreach (json_object_get(p, "role"), j, role) {
			if (coded(role, YL_CS "care-team-role", "lead"))
				return id;
			if (!first && coded(role, YL_CS "practitioner-role", "family-doctor"))
				first = id;
		}
	}
	return first;
}

/* Store a contract document (create or update) and keep the outcome in *w. */
static enum yl_code put_contract(struct yl_req *r, enum yl_write_op op, const char *id, json_t *doc,
                                 int64_t if_match, struct yl_write *w, struct yl_err *err)
{
	return yl_care_put(r, op, "EpisodeOfCare", id, doc, if_match, w, err);
}

/* A new contract: patient, team, doctor, packages, period; state and links added by the
 * caller. The basic package comes first whether asked for or not. */
static enum yl_code new_contract(struct yl_req *r, struct yl_store_conn *c, const char *pid,
                                 const char *tid, const char *did, const json_t *packages,
                                 int64_t start, int64_t end, json_t **out, struct yl_err *err)
{
	struct yl_row row;
	json_t *team;
	enum yl_code code = yl_care_read(c, r->a, "CareTeam", tid, &row, &team, err);
	if (code == YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, "Parameters",
		                  "the team CareTeam/%s does not exist", tid);
	if (code != YL_OK)
		return code;
	if (!did)
		did = team_lead(r->a, team);
	json_t *doc =
	    json_pack("{s:s,s:s,s:[{s:[{s:s,s:s,s:s}]}],s:o,s:{s:s,s:s},s:[o]}", "resourceType",
	              "EpisodeOfCare", "status", "active", "type", "coding", "system", EPISODE_TYPE,
	              "code", CONTRACT_CODE, "display", "家庭医生签约", "patient",
	              ref_obj(yl_arena_printf(r->a, "Patient/%s", pid)), "period", "start",
	              yl_care_day_text(r->a, start), "end", yl_care_day_text(r->a, end), "team",
	              ref_obj(yl_arena_printf(r->a, "CareTeam/%s", tid)));
	if (!doc || yl_arena_defer(r->a, yl_care_decref, doc) != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	const json_t *org = json_array_get(json_object_get(team, "managingOrganization"), 0);
	if (yl_care_str(org, "reference"))
		json_object_set_new(doc, "managingOrganization",
		                    ref_obj(yl_care_str(org, "reference")));
	if (did)
		json_object_set_new(doc, "careManager",
		                    ref_obj(yl_arena_printf(r->a, "Practitioner/%s", did)));
	/* the basic package, then the others asked for, each once */
	struct yl_param q = {"url", BASIC_PACKAGE};
	struct yl_row *basic;
	size_t nbasic;
	if ((code = yl_care_find(c, r->a, "PlanDefinition", &q, 1, 1, &basic, &nbasic, NULL,
	                         err)) != YL_OK)
		return code;
	const char *seen[64];
	size_t nseen = 0;
	if (nbasic)
		seen[nseen++] = yl_arena_printf(r->a, "PlanDefinition/%s", basic[0].id);
	size_t i;
	const json_t *p;
	json_array_foreach (packages, i, p)
		if (yl_care_str(p, "reference") && nseen < 64) {
			bool dup = false;
			for (size_t k = 0; k < nseen; k++)
				dup |= !strcmp(seen[k], yl_care_str(p, "reference"));
			if (!dup)
				seen[nseen++] = yl_care_str(p, "reference");
		}
	for (size_t k = 0; k < nseen; k++)
		yl_care_add_ext(doc, X_PACKAGE, "valueReference", ref_obj(seen[k]));
	*out = doc;
	return YL_OK;
}

/* The references of the package parameters (a JSON array owned by the arena). */
static json_t *package_params(struct yl_req *r, const json_t *body)
{
	json_t *list = json_array();
	yl_arena_defer(r->a, yl_care_decref, list);
	const json_t *v;
	for (size_t i = 0; (v = yl_params_get(body, "package", i)); i++)
		json_array_append(list, (json_t *)v);
	return list;
}

static json_t *contract_packages(struct yl_req *r, const json_t *contract)
{
	json_t *list = json_array();
	yl_arena_defer(r->a, yl_care_decref, list);
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(contract, "extension"), i, e)
		if (yl_care_str(e, "url") && !strcmp(yl_care_str(e, "url"), X_PACKAGE))
			json_array_append(list, json_object_get(e, "valueReference"));
	return list;
}

/* The stored contract {id}, with decimals kept as written (fhir/json.h wrap). */
static enum yl_code load_contract(struct yl_req *r, struct yl_store_conn *c, const char *id,
                                  struct yl_row *row, json_t **doc, struct yl_err *err)
{
	enum yl_code code = yl_store_read(c, r->a, "EpisodeOfCare", id, 0, row, err);
	if (code == YL_NOT_FOUND || (code == YL_OK && row->deleted))
		return yl_err_add(err, r->a, code == YL_OK ? YL_GONE : YL_NOT_FOUND, NULL,
		                  "EpisodeOfCare/%.64s %s", id,
		                  code == YL_OK ? "was deleted" : "does not exist");
	if (code != YL_OK)
		return code;
	char *text;
	size_t len;
	if (yl_json_wrap_numbers(r->a, row->body, row->body_len, &text, &len) != 0 ||
	    !(*doc = json_loadb(text, len, 0, NULL)))
		return yl_err_add(err, r->a, YL_STORE, NULL, "EpisodeOfCare/%s could not be read",
		                  id);
	yl_arena_defer(r->a, yl_care_decref, *doc);
	if (!is_contract(*doc))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s is not a family-doctor contract", id);
	return YL_OK;
}

/* Mark a contract ended on `end` with `state`; its active period goes to statusHistory. */
static void end_contract(struct yl_arena *a, json_t *doc, const char *state, int64_t end)
{
	int64_t start, old_end;
	period_of(doc, &start, &old_end);
	if (end < start)
		end = start;
	json_t *hist = json_object_get(doc, "statusHistory");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(doc, "statusHistory", hist);
	}
	json_t *period = json_deep_copy(json_object_get(doc, "period"));
	json_array_append_new(hist, json_pack("{s:s,s:o}", "status", yl_care_str(doc, "status"),
	                                      "period", period ? period : json_object()));
	json_object_set_new(doc, "status", json_string("finished"));
	json_object_set_new(json_object_get(doc, "period"), "end",
	                    json_string(yl_care_day_text(a, end)));
	set_state(doc, state);
}

/* ---- the operations ---------------------------------------------------------------- */

static const struct yl_opparam sign_params[] = {
    {"patient", "valueReference", 1, 1}, {"team", "valueReference", 1, 1},
    {"doctor", "valueReference", 0, 1},  {"package", "valueReference", 0, 0},
    {"start", "valueDate", 0, 1},        {"end", "valueDate", 0, 1},
};

enum yl_code yl_h_contract_sign(struct yl_req *r, struct yl_err *err)
{
	json_t *body;
	const size_t n = sizeof sign_params / sizeof sign_params[0];
	enum yl_code code = op_input(r, sign_params, n, "$sign", &body, err);
	const char *pid, *tid, *did;
	int64_t start, end;
	if (code != YL_OK || (code = yl_care_param_ref(r, body, "patient", "Patient", &pid, err)) ||
	    (code = yl_care_param_ref(r, body, "team", "CareTeam", &tid, err)) ||
	    (code = yl_care_param_ref(r, body, "doctor", "Practitioner", &did, err)) ||
	    (code = yl_care_param_day(r, body, "start", yl_today(), &start, err)))
		return code;
	int64_t dflt = yl_add_months(start, yl_care_rules()->term_months) - 1;
	if ((code = yl_care_param_day(r, body, "end", dflt, &end, err)) != YL_OK)
		return code;
	if (end < start)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'end' is before 'start'");
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	json_t *doc;
	if ((code = new_contract(r, c, pid, tid, did, package_params(r, body), start, end, &doc,
	                         err)) != YL_OK)
		return code;
	set_state(doc, "signed");
	struct yl_write w;
	if ((code = put_contract(r, YL_WRITE_CREATE, yl_care_new_id(r->a), doc, 0, &w, err)) !=
	    YL_OK)
		return code;
	return yl_fhir_answer_write(r, &w);
}

static const struct yl_opparam renew_params[] = {
    {"package", "valueReference", 0, 0},
    {"end", "valueDate", 0, 1},
};

enum yl_code yl_h_contract_renew(struct yl_req *r, struct yl_err *err)
{
	json_t *body, *old;
	struct yl_row row;
	const size_t n = sizeof renew_params / sizeof renew_params[0];
	enum yl_code code = op_input(r, renew_params, n, "$renew", &body, err);
	struct yl_store_conn *c = code == YL_OK ? yl_store_conn(r->app->store, r->a, err) : NULL;
	if (!c || (code = load_contract(r, c, r->vars[0], &row, &old, err)) != YL_OK)
		return err->code;
	if (strcmp(yl_care_str(old, "status") ? yl_care_str(old, "status") : "", "active") != 0)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s has ended (status %s): sign a new contract "
		                  "instead of renewing it",
		                  row.id,
		                  yl_care_str(old, "status") ? yl_care_str(old, "status") : "none");
	struct yl_param q[] = {{"renews", yl_arena_printf(r->a, "EpisodeOfCare/%s", row.id)},
	                       {"status", "active,planned"}};
	struct yl_row *done;
	size_t ndone;
	if ((code = yl_care_find(c, r->a, "EpisodeOfCare", q, 2, 1, &done, &ndone, NULL, err)) !=
	    YL_OK)
		return code;
	if (ndone)
		return yl_err_add(err, r->a, YL_CONFLICT, NULL,
		                  "EpisodeOfCare/%s is already renewed by EpisodeOfCare/%s", row.id,
		                  done[0].id);
	int64_t s, e, today = yl_today();
	period_of(old, &s, &e);
	if (e == OPEN_END)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s has no end date: there is nothing to renew",
		                  row.id);
	int64_t start = e >= today ? e + 1 : today, end;
	if ((code = yl_care_param_day(r, body, "end",
	                              yl_add_months(start, yl_care_rules()->term_months) - 1, &end,
	                              err)) != YL_OK)
		return code;
	if (end < start)
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'end' is before the renewal's start (%s)",
		                  yl_care_day_text(r->a, start));
	const char *t, *tid, *did = NULL;
	if (!yl_care_ref(r->a, json_array_get(json_object_get(old, "team"), 0), "CareTeam", &t,
	                 &tid))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s names no team", row.id);
	yl_care_ref(r->a, json_object_get(old, "careManager"), "Practitioner", &t, &did);
	json_t *packages =
	    yl_params_get(body, "package", 0) ? package_params(r, body) : contract_packages(r, old);
	json_t *doc;
	const char *pid;
	if (!yl_care_ref(r->a, json_object_get(old, "patient"), "Patient", &t, &pid))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s names no resident", row.id);
	if ((code = new_contract(r, c, pid, tid, did, packages, start, end, &doc, err)) != YL_OK)
		return code;
	set_state(doc, "renewed");
	yl_care_add_ext(doc, X_RENEWS, "valueReference",
	                ref_obj(yl_arena_printf(r->a, "EpisodeOfCare/%s", row.id)));
	struct yl_write w;
	if ((code = put_contract(r, YL_WRITE_CREATE, yl_care_new_id(r->a), doc, 0, &w, err)) !=
	    YL_OK)
		return code;
	return yl_fhir_answer_write(r, &w);
}

static const struct yl_opparam transfer_params[] = {
    {"team", "valueReference", 1, 1},
    {"doctor", "valueReference", 0, 1},
    {"date", "valueDate", 0, 1},
};

/* Inside one transaction: the old contract ended the day before `day`, the new one signed. */
static enum yl_code transfer(struct yl_req *r, struct yl_store_conn *c, const char *id,
                             const char *tid, const char *did, int64_t day, struct yl_write *w,
                             struct yl_err *err)
{
	json_t *old, *doc;
	struct yl_row row;
	enum yl_code code = load_contract(r, c, id, &row, &old, err);
	if (code != YL_OK)
		return code;
	int64_t s, e;
	period_of(old, &s, &e);
	if (strcmp(yl_care_str(old, "status") ? yl_care_str(old, "status") : "", "active") != 0 ||
	    day < s || day > e)
		return yl_err_add(
		    err, r->a, YL_BUSINESS_RULE, NULL,
		    "EpisodeOfCare/%s is not in force on %s: only a contract in force "
		    "can be transferred",
		    id, yl_care_day_text(r->a, day));
	const char *t, *old_tid;
	if (yl_care_ref(r->a, json_array_get(json_object_get(old, "team"), 0), "CareTeam", &t,
	                &old_tid) &&
	    !strcmp(old_tid, tid))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, "Parameters",
		                  "the resident is already with CareTeam/%s", tid);
	const char *pid;
	if (!yl_care_ref(r->a, json_object_get(old, "patient"), "Patient", &t, &pid))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s names no resident", id);
	json_t *packages = contract_packages(r, old);
	end_contract(r->a, old, "transferred", day - 1);
	struct yl_write ended;
	int64_t if_match;
	if ((code = yl_fhir_if_match(r, &if_match, err)) == YL_OK)
		code = put_contract(r, YL_WRITE_UPDATE, id, old, if_match ? if_match : row.version,
		                    &ended, err);
	if (code == YL_OK)
		code = new_contract(r, c, pid, tid, did, packages, day, e, &doc, err);
	if (code != YL_OK)
		return code;
	set_state(doc, "signed");
	yl_care_add_ext(doc, X_FROM, "valueReference",
	                ref_obj(yl_arena_printf(r->a, "EpisodeOfCare/%s", id)));
	return put_contract(r, YL_WRITE_CREATE, yl_care_new_id(r->a), doc, 0, w, err);
}

enum yl_code yl_h_contract_transfer(struct yl_req *r, struct yl_err *err)
{
	json_t *body;
	const size_t n = sizeof transfer_params / sizeof transfer_params[0];
	enum yl_code code = op_input(r, transfer_params, n, "$transfer", &body, err);
	const char *tid, *did;
	int64_t day;
	if (code != YL_OK || (code = yl_care_param_ref(r, body, "team", "CareTeam", &tid, err)) ||
	    (code = yl_care_param_ref(r, body, "doctor", "Practitioner", &did, err)) ||
	    (code = yl_care_param_day(r, body, "date", yl_today(), &day, err)))
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	bool own;
	if ((code = yl_care_begin(c, r->a, &own, err)) != YL_OK)
		return code;
	struct yl_write w;
	code = transfer(r, c, r->vars[0], tid, did, day, &w, err);
	code = yl_care_end(c, r->a, own, code, err);
	return code == YL_OK ? yl_fhir_answer_write(r, &w) : code;
}

static const struct yl_opparam terminate_params[] = {
    {"reason", "valueCode", 1, 1},
    {"date", "valueDate", 0, 1},
};

enum yl_code yl_h_contract_terminate(struct yl_req *r, struct yl_err *err)
{
	json_t *body, *doc;
	struct yl_row row;
	const size_t n = sizeof terminate_params / sizeof terminate_params[0];
	enum yl_code code = op_input(r, terminate_params, n, "$terminate", &body, err);
	const char *reason;
	static const char cs[] = "contract-termination-reason";
	int64_t day;
	if (code != YL_OK ||
	    (code = yl_care_code_param(r, body, "reason", cs,
	                               "lost, moved, died, refused, re-signed-elsewhere or other",
	                               &reason, err)) ||
	    (code = yl_care_param_day(r, body, "date", yl_today(), &day, err)))
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c || (code = load_contract(r, c, r->vars[0], &row, &doc, err)) != YL_OK)
		return err->code;
	const char *status = yl_care_str(doc, "status") ? yl_care_str(doc, "status") : "";
	if (strcmp(status, "active") && strcmp(status, "planned"))
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s has already ended (status %s)", row.id, status);
	int64_t s, e;
	period_of(doc, &s, &e);
	if (day < s)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, "Parameters",
		                  "'date' (%s) is before the contract's start (%s)",
		                  yl_care_day_text(r->a, day), yl_care_day_text(r->a, s));
	end_contract(r->a, doc, "terminated", day < e ? day : e);
	drop_ext(doc, X_REASON);
	yl_care_add_ext(doc, X_REASON, "valueCoding", yl_care_coding(cs, reason));
	return yl_care_update_answer(r, "EpisodeOfCare", row.id, row.version, doc, err);
}
