/* registry.c -- identifier rules and the per-type write checks (registry.h). */
#include "care/registry.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "care/config.h"
#include "care/contract.h"
#include "care/find.h"
#include "care/resident-id.h"
#include "core/time.h"

/* Types with rules of their own, checked inside the write's transaction after the
 * identifiers. */
static const struct {
	const char *type;
	enum yl_code (*check)(struct yl_store_conn *c, struct yl_arena *a, const struct yl_write *w,
	                      const json_t *doc, struct yl_err *err);
} type_checks[] = {
    {"EpisodeOfCare", yl_contract_check},
};

static const char *gender_of_id(const struct yl_resident_id *rid)
{
	return rid->male ? "male" : "female";
}

/* The resident identity number at identifier[i]: well formed, and agreeing with the
 * resource's gender and birthDate when it has them. */
static int check_gb11643(struct yl_arena *a, const json_t *doc, const char *value, const char *at,
                         struct yl_err *err)
{
	int y, m, d;
	yl_civil_from_days(yl_today(), &y, &m, &d);
	int today = y * 10000 + m * 100 + d;
	struct yl_resident_id rid;
	enum yl_rid_problem p = yl_resident_id_parse(value, strlen(value), today, &rid);
	if (p != YL_RID_OK) {
		yl_err_add(err, a, YL_INVALID_RESOURCE, at, "%s", yl_resident_id_problem(p));
		return 1;
	}
	int problems = 0;
	const char *gender = json_string_value(json_object_get(doc, "gender"));
	if (gender && (!strcmp(gender, "male") || !strcmp(gender, "female")) &&
	    strcmp(gender, gender_of_id(&rid)) != 0) {
		yl_err_add(err, a, YL_INVALID_RESOURCE, at,
		           "the resident identity number is a %s's (its 17th digit is %s) but "
		           "gender is '%s': correct one of them",
		           rid.male ? "man" : "woman", rid.male ? "odd" : "even", gender);
		problems++;
	}
	const char *birth = json_string_value(json_object_get(doc, "birthDate"));
	if (birth && strlen(birth) == 10) {
		char want[YL_DAY_LEN];
		snprintf(want, sizeof want, "%04d-%02d-%02d", rid.year, rid.month, rid.day);
		if (strcmp(birth, want) != 0) {
			yl_err_add(err, a, YL_INVALID_RESOURCE, at,
			           "the birth date in the resident identity number differs from "
			           "birthDate: correct one of them");
			problems++;
		}
	}
	return problems;
}

static int check_digits(struct yl_arena *a, const struct yl_id_system *sys, const char *value,
                        const char *at, struct yl_err *err)
{
	size_t n = strlen(value);
	bool ok = n == (size_t)sys->digits;
	for (size_t i = 0; ok && i < n; i++)
		ok = value[i] >= '0' && value[i] <= '9';
	if (ok)
		return 0;
	yl_err_add(err, a, YL_INVALID_RESOURCE, at, "the %s must be %d digits", sys->label,
	           sys->digits);
	return 1;
}

int yl_care_validate(struct yl_arena *a, const char *type, const json_t *doc, struct yl_err *err)
{
	int problems = 0;
	size_t i;
	const json_t *ident;
	json_array_foreach (json_object_get(doc, "identifier"), i, ident) {
		const struct yl_id_system *sys =
		    yl_care_id_system(type, json_string_value(json_object_get(ident, "system")));
		if (!sys || sys->check == YL_IDCHECK_NONE)
			continue;
		const char *value = json_string_value(json_object_get(ident, "value"));
		const char *at = yl_arena_printf(a, "%s.identifier[%zu].value", type, i);
		if (!value) {
			yl_err_add(err, a, YL_INVALID_RESOURCE, at, "the %s has no value",
			           sys->label);
			problems++;
		} else if (sys->check == YL_IDCHECK_GB11643) {
			problems += check_gb11643(a, doc, value, at, err);
		} else {
			problems += check_digits(a, sys, value, at, err);
		}
	}
	return problems;
}

bool yl_care_has_check(const char *type)
{
	for (size_t i = 0; i < sizeof type_checks / sizeof type_checks[0]; i++)
		if (strcmp(type_checks[i].type, type) == 0)
			return true;
	return yl_care_unique_on(type);
}

/* Another live resource of w->type holding value in one of sys's systems: 409 naming it
 * (only to a writer who may see it: to anyone else it is not there to open). */
static enum yl_code held_once(struct yl_store_conn *c, struct yl_arena *a, const struct yl_write *w,
                              const struct yl_care_check_ctx *k, const struct yl_id_system *sys,
                              const char *value, const char *at, struct yl_err *err)
{
	char *upper = yl_arena_strdup(a, value), *lower = yl_arena_strdup(a, value);
	if (!upper || !lower)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	size_t n = strlen(value);
	/* the resident identity number's X is one character whichever case was typed */
	if (sys->check == YL_IDCHECK_GB11643 && n && (value[n - 1] == 'x' || value[n - 1] == 'X')) {
		upper[n - 1] = 'X';
		lower[n - 1] = 'x';
	}
	for (size_t s = 0; s < sys->nsystems; s++) {
		for (int v = 0; v < (strcmp(upper, lower) ? 2 : 1); v++) {
			struct yl_param p = {
			    "identifier",
			    yl_arena_printf(a, "%s|%s", sys->systems[s], v ? lower : upper)};
			struct yl_row *rows;
			size_t nrows;
			enum yl_code code =
			    yl_care_find(c, a, w->type, &p, 1, 2, &rows, &nrows, NULL, err);
			if (code != YL_OK)
				return code;
			for (size_t r = 0; r < nrows; r++) {
				if (strcmp(rows[r].id, w->id) == 0)
					continue;
				/* a Patient is its own compartment's (search rows have none) */
				const char *holder =
				    strcmp(w->type, "Patient") == 0 ? rows[r].id : rows[r].patient;
				if (k->sees && !k->sees(k->view, w->type, holder))
					return yl_err_add(
					    err, a, YL_CONFLICT, at,
					    "this %s is already registered to a record outside "
					    "your care: ask an administrator instead of "
					    "registering the person again",
					    sys->label);
				return yl_err_add(err, a, YL_CONFLICT, at,
				                  "this %s is already registered to %s/%s: open "
				                  "that record instead of registering the person "
				                  "again",
				                  sys->label, w->type, rows[r].id);
			}
		}
	}
	return YL_OK;
}

enum yl_code yl_care_check(void *ctx, struct yl_store_conn *c, struct yl_arena *a,
                           const struct yl_write *w, struct yl_err *err)
{
	const struct yl_care_check_ctx *k = ctx;
	const json_t *doc = k ? k->doc : NULL;
	if (w->op == YL_WRITE_DELETE || !doc)
		return YL_OK;
	size_t i;
	const json_t *ident;
	json_array_foreach (json_object_get(doc, "identifier"), i, ident) {
		const struct yl_id_system *sys =
		    yl_care_id_system(w->type, json_string_value(json_object_get(ident, "system")));
		const char *value = json_string_value(json_object_get(ident, "value"));
		if (!sys || !sys->unique || !value || !*value)
			continue;
		enum yl_code code =
		    held_once(c, a, w, k, sys, value,
		              yl_arena_printf(a, "%s.identifier[%zu].value", w->type, i), err);
		if (code != YL_OK)
			return code;
	}
	for (size_t t = 0; t < sizeof type_checks / sizeof type_checks[0]; t++)
		if (strcmp(type_checks[t].type, w->type) == 0)
			return type_checks[t].check(c, a, w, doc, err);
	return YL_OK;
}
