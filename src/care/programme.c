/* programme.c -- chronic-disease programme enrolment (programme.h). */
#include "care/programme.h"

#include <jansson.h>
#include <string.h>

#include "care/config.h"
#include "care/find.h"
#include "care/keypop.h"
#include "core/time.h"
#include "fhir/parameters.h"
#include "fhir/rest.h"

#define MAX_CONDITIONS 500 /* as care/keypop.c */
#define X_END_REASON   YL_SD "management-end-reason"

static const char *type_token(struct yl_arena *a, const char *code)
{
	return yl_arena_printf(a, YL_CS "episode-type|%s", code);
}

enum yl_code yl_programme_enrolment(struct yl_store_conn *c, struct yl_arena *a, const char *pid,
                                    const struct yl_programme *prog, struct yl_row *row,
                                    json_t **doc, struct yl_err *err)
{
	struct yl_param p[] = {{"patient", yl_arena_printf(a, "Patient/%s", pid)},
	                       {"type", type_token(a, prog->episode_type)},
	                       {"status", "active"}};
	struct yl_row *rows;
	size_t n;
	enum yl_code code = yl_care_find(c, a, "EpisodeOfCare", p, 3, 1, &rows, &n, NULL, err);
	if (code != YL_OK)
		return code;
	if (!n)
		return YL_NOT_FOUND;
	*row = rows[0];
	return (*doc = yl_care_parse(a, row, err)) ? YL_OK : err->code;
}

enum yl_code yl_programme_conditions(struct yl_store_conn *c, struct yl_arena *a, const char *pid,
                                     json_t ***conds, size_t *n, struct yl_err *err)
{
	struct yl_param p = {"patient", yl_arena_printf(a, "Patient/%s", pid)};
	struct yl_row *rows;
	enum yl_code code =
	    yl_care_find(c, a, "Condition", &p, 1, MAX_CONDITIONS, &rows, n, NULL, err);
	if (code != YL_OK)
		return code;
	*conds = yl_arena_calloc(a, *n ? *n : 1, sizeof **conds);
	if (!*conds)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < *n; i++)
		if (!((*conds)[i] = yl_care_parse(a, &rows[i], err)))
			return err->code;
	return YL_OK;
}

enum yl_code yl_programme_eligible(struct yl_arena *a, const struct yl_programme *prog,
                                   const json_t *patient, json_t *const *conds, size_t nconds,
                                   int64_t day, struct yl_err *err)
{
	const struct yl_pack *pack = prog->pack;
	int age = yl_keypop_age(patient, day);
	if (age < 0)
		return yl_err_add(err, a, YL_BUSINESS_RULE, NULL,
		                  "the resident's record has no birth date: the %s programme (%s) "
		                  "takes residents aged %d and over",
		                  prog->name, yl_pack_edition(pack), yl_pack_min_age(pack));
	if (age < yl_pack_min_age(pack))
		return yl_err_add(err, a, YL_BUSINESS_RULE, NULL,
		                  "the resident is %d on %s; the %s programme (%s) takes residents "
		                  "aged %d and over",
		                  age, yl_care_day_text(a, day), prog->name, yl_pack_edition(pack),
		                  yl_pack_min_age(pack));
	const struct yl_valueset *vs = yl_care_valueset(yl_pack_valueset(pack));
	for (size_t i = 0; i < nconds; i++)
		if (yl_condition_in(vs, conds[i], day))
			return YL_OK;
	return yl_err_add(err, a, YL_BUSINESS_RULE, NULL,
	                  "the resident has no active diagnosis in %s on %s: record the "
	                  "Condition before enrolling them in the %s programme",
	                  yl_pack_valueset(pack), yl_care_day_text(a, day), prog->name);
}

enum yl_code yl_programme_contract_defaults(struct yl_store_conn *c, struct yl_arena *a,
                                            const char *pid, const char **doctor, const char **org,
                                            struct yl_err *err)
{
	*doctor = *org = NULL;
	struct yl_param p[] = {{"patient", yl_arena_printf(a, "Patient/%s", pid)},
	                       {"type", type_token(a, "family-doctor-contract")},
	                       {"status", "active"}};
	struct yl_row *rows;
	size_t n;
	enum yl_code code = yl_care_find(c, a, "EpisodeOfCare", p, 3, 1, &rows, &n, NULL, err);
	if (code != YL_OK || !n)
		return code;
	json_t *contract = yl_care_parse(a, &rows[0], err);
	if (!contract)
		return err->code;
	*doctor = yl_care_str(json_object_get(contract, "careManager"), "reference");
	*org = yl_care_str(json_object_get(contract, "managingOrganization"), "reference");
	return YL_OK;
}

enum yl_code yl_programme_enrol(struct yl_req *r, const struct yl_programme *prog, const char *pid,
                                int64_t day, const char *doctor, const char *org,
                                struct yl_write *w, struct yl_err *err)
{
	const char *display = yl_care_code("episode-type", prog->episode_type, "zh-CN");
	json_t *doc = json_pack("{s:s,s:s,s:[{s:[{s:s,s:s,s:s}]}],s:{s:s},s:{s:s}}", "resourceType",
	                        "EpisodeOfCare", "status", "active", "type", "coding", "system",
	                        YL_CS "episode-type", "code", prog->episode_type, "display",
	                        display ? display : prog->episode_type, "patient", "reference",
	                        yl_arena_printf(r->a, "Patient/%s", pid), "period", "start",
	                        yl_care_day_text(r->a, day));
	if (!doc || yl_arena_defer(r->a, yl_care_decref, doc) != 0)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	if (org)
		json_object_set_new(doc, "managingOrganization",
		                    json_pack("{s:s}", "reference", org));
	if (doctor)
		json_object_set_new(doc, "careManager", json_pack("{s:s}", "reference", doctor));
	return yl_care_put(r, YL_WRITE_CREATE, "EpisodeOfCare", yl_care_new_id(r->a), doc, 0, w,
	                   err);
}

/* ---- the operations ---------------------------------------------------------------- */

enum yl_code yl_programme_param(struct yl_req *r, const json_t *body,
                                const struct yl_programme **prog, struct yl_err *err)
{
	const char *name = yl_params_str(body, "programme", 0);
	if (!(*prog = yl_programme(name))) {
		const char *known = "";
		for (size_t i = 0; i < yl_programme_count(); i++)
			known = yl_arena_printf(r->a, "%s%s%s", known, i ? ", " : "",
			                        yl_programme_at(i)->name);
		return yl_err_add(err, r->a, YL_BAD_REQUEST, "Parameters",
		                  "'programme' must be one of the programmes of "
		                  "rules/programmes.json: %s",
		                  known);
	}
	return YL_OK;
}

static const struct yl_opparam enrol_params[] = {
    {"programme", "valueCode", 1, 1},
    {"date", "valueDate", 0, 1},
    {"doctor", "valueReference", 0, 1},
};

enum yl_code yl_h_enrol(struct yl_req *r, struct yl_err *err)
{
	json_t *body, *patient, *old;
	const struct yl_programme *prog;
	const char *did;
	int64_t day;
	const size_t n = sizeof enrol_params / sizeof enrol_params[0];
	enum yl_code code = yl_care_input(r, enrol_params, n, "$enrol", &body, err);
	if (code != YL_OK || (code = yl_programme_param(r, body, &prog, err)) ||
	    (code = yl_care_param_day(r, body, "date", yl_today(), &day, err)) ||
	    (code = yl_care_param_ref(r, body, "doctor", "Practitioner", &did, err)))
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	if (!c)
		return err->code;
	bool own;
	if ((code = yl_care_begin(c, r->a, &own, err)) != YL_OK)
		return code;
	struct yl_row row;
	json_t **conds;
	size_t nconds;
	const char *pid = r->vars[0], *doctor, *org;
	struct yl_write w;
	code = yl_care_read(c, r->a, "Patient", pid, &row, &patient, err);
	if (code == YL_NOT_FOUND)
		code =
		    yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "Patient/%.64s does not exist", pid);
	if (code == YL_OK) {
		code = yl_programme_enrolment(c, r->a, pid, prog, &row, &old, err);
		if (code == YL_OK)
			code = yl_err_add(err, r->a, YL_CONFLICT, NULL,
			                  "the resident is already enrolled in the %s programme "
			                  "(EpisodeOfCare/%s)",
			                  prog->name, row.id);
		else if (code == YL_NOT_FOUND) /* not enrolled: as it should be */
			code = YL_OK;
	}
	if (code == YL_OK)
		code = yl_programme_conditions(c, r->a, pid, &conds, &nconds, err);
	if (code == YL_OK)
		code = yl_programme_eligible(r->a, prog, patient, conds, nconds, day, err);
	if (code == YL_OK)
		code = yl_programme_contract_defaults(c, r->a, pid, &doctor, &org, err);
	if (code == YL_OK)
		code = yl_programme_enrol(
		    r, prog, pid, day, did ? yl_arena_printf(r->a, "Practitioner/%s", did) : doctor,
		    org, &w, err);
	code = yl_care_end(c, r->a, own, code, err);
	return code == YL_OK ? yl_fhir_answer_write(r, &w) : code;
}

static const struct yl_opparam end_params[] = {
    {"reason", "valueCode", 1, 1},
    {"date", "valueDate", 0, 1},
};

enum yl_code yl_h_end_management(struct yl_req *r, struct yl_err *err)
{
	json_t *body, *doc;
	int64_t day;
	const size_t n = sizeof end_params / sizeof end_params[0];
	enum yl_code code = yl_care_input(r, end_params, n, "$end-management", &body, err);
	const char *reason;
	static const char cs[] = "management-end-reason";
	if (code != YL_OK ||
	    (code = yl_care_code_param(r, body, "reason", cs, "died, moved, lost or refused",
	                               &reason, err)) ||
	    (code = yl_care_param_day(r, body, "date", yl_today(), &day, err)))
		return code;
	struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
	struct yl_row row;
	if (!c)
		return err->code;
	if ((code = yl_care_read(c, r->a, "EpisodeOfCare", r->vars[0], &row, &doc, err)) ==
	    YL_NOT_FOUND)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "EpisodeOfCare/%.64s does not exist", r->vars[0]);
	if (code != YL_OK)
		return code;
	const json_t *coding = json_array_get(
	    json_object_get(json_array_get(json_object_get(doc, "type"), 0), "coding"), 0);
	bool programme = false;
	for (size_t i = 0; i < yl_programme_count(); i++)
		programme |= yl_care_str(coding, "code") &&
		             !strcmp(yl_care_str(coding, "code"), yl_programme_at(i)->episode_type);
	if (!programme)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s is not a programme enrolment", row.id);
	const char *status = yl_care_str(doc, "status") ? yl_care_str(doc, "status") : "";
	if (strcmp(status, "active") != 0)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, NULL,
		                  "EpisodeOfCare/%s has already ended (status %s)", row.id, status);
	const char *start = yl_care_str(json_object_get(doc, "period"), "start");
	int64_t s = start ? yl_parse_day(start, strlen(start)) : YL_NO_DAY;
	if (s != YL_NO_DAY && day < s)
		return yl_err_add(err, r->a, YL_BUSINESS_RULE, "Parameters",
		                  "'date' (%s) is before the enrolment's start (%s)",
		                  yl_care_day_text(r->a, day), start);
	json_object_set_new(doc, "status", json_string("finished"));
	if (!json_is_object(json_object_get(doc, "period")))
		json_object_set_new(doc, "period", json_object());
	json_object_set_new(json_object_get(doc, "period"), "end",
	                    json_string(yl_care_day_text(r->a, day)));
	yl_care_add_ext(doc, X_END_REASON, "valueCoding", yl_care_coding(cs, reason));
	return yl_care_update_answer(r, "EpisodeOfCare", row.id, row.version, doc, err);
}
