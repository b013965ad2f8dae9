/* keypop.c -- key populations from the record (keypop.h). */
#include "care/keypop.h"

#include <jansson.h>
#include <string.h>

#include "care/find.h"
#include "core/time.h"

#define MAX_CONDITIONS 500 /* a resident's Conditions read; more is not a primary-care record */
#define MAX_GROUPS     20

static int64_t day_of(const char *s)
{
	if (!s)
		return YL_NO_DAY;
	int64_t day = yl_parse_day(s, strlen(s));
	if (day != YL_NO_DAY)
		return day;
	int64_t lo, hi; /* a year or a month: its first day */
	if (yl_parse_date_range(s, strlen(s), &lo, &hi) != 0)
		return YL_NO_DAY;
	return lo >= 0 ? lo / 86400000000LL : (lo - 86399999999LL) / 86400000000LL;
}

int yl_keypop_age(const json_t *patient, int64_t day)
{
	int64_t birth = day_of(json_string_value(json_object_get(patient, "birthDate")));
	return birth == YL_NO_DAY || birth > day ? -1 : yl_years_between(birth, day);
}

static bool has_code(const json_t *concept, const char *const *codes, bool absent_ok)
{
	const json_t *coding = json_object_get(concept, "coding");
	if (!json_array_size(coding))
		return absent_ok;
	size_t i;
	const json_t *c;
	json_array_foreach (coding, i, c) {
		const char *code = json_string_value(json_object_get(c, "code"));
		for (size_t k = 0; code && codes[k]; k++)
			if (strcmp(code, codes[k]) == 0)
				return true;
	}
	return false;
}

bool yl_condition_in(const struct yl_valueset *vs, const json_t *condition, int64_t day)
{
	static const char *const active[] = {"active", "recurrence", "relapse", NULL};
	static const char *const void_[] = {"refuted", "entered-in-error", NULL};
	if (!has_code(json_object_get(condition, "clinicalStatus"), active, true) ||
	    (json_object_get(condition, "verificationStatus") &&
	     has_code(json_object_get(condition, "verificationStatus"), void_, false)))
		return false;
	int64_t onset = day_of(json_string_value(json_object_get(condition, "onsetDateTime")));
	if (onset != YL_NO_DAY && onset > day)
		return false;
	return yl_care_coded_in(vs, json_object_get(condition, "code"));
}

bool yl_keypop_condition(const struct yl_keypop *kp, const json_t *condition, int64_t day)
{
	return kp->derive == YL_KP_CONDITION && yl_condition_in(kp->vs, condition, day);
}

/* A household Group of the resident with this characteristic set true. */
static bool household_has(const json_t *group, const char *characteristic)
{
	static const char *const household[] = {"household", NULL};
	if (!has_code(json_object_get(group, "code"), household, false))
		return false;
	size_t i;
	const json_t *ch;
	json_array_foreach (json_object_get(group, "characteristic"), i, ch) {
		const char *const want[] = {characteristic, NULL};
		if (has_code(json_object_get(ch, "code"), want, false) &&
		    json_is_true(json_object_get(ch, "valueBoolean")) &&
		    !json_is_true(json_object_get(ch, "exclude")))
			return true;
	}
	return false;
}

uint32_t yl_keypop_by_age(const json_t *patient, int64_t day)
{
	const struct yl_care_rules *rules = yl_care_rules();
	int age = yl_keypop_age(patient, day);
	uint32_t mask = 0;
	for (size_t k = 0; rules && age >= 0 && k < rules->nkeypops; k++) {
		const struct yl_keypop *kp = &rules->keypops[k];
		if ((kp->derive == YL_KP_AGE_AT_LEAST && age >= kp->years) ||
		    (kp->derive == YL_KP_AGE_BELOW && age < kp->years))
			mask |= 1u << k;
	}
	return mask;
}

bool yl_keypop_household(const struct yl_keypop *kp, const json_t *group)
{
	return kp->derive == YL_KP_HOUSEHOLD && household_has(group, kp->characteristic);
}

enum yl_code yl_keypop_of(struct yl_store_conn *c, struct yl_arena *a, const char *patient_id,
                          const json_t *patient, int64_t day, uint32_t *mask, struct yl_err *err)
{
	const struct yl_care_rules *rules = yl_care_rules();
	*mask = 0;
	if (!rules)
		return YL_OK;
	*mask = yl_keypop_by_age(patient, day);
	bool conditions = false, households = false;
	for (size_t k = 0; k < rules->nkeypops; k++) {
		conditions |= rules->keypops[k].derive == YL_KP_CONDITION;
		households |= rules->keypops[k].derive == YL_KP_HOUSEHOLD;
	}
	const char *ref = yl_arena_printf(a, "Patient/%s", patient_id);
	struct yl_row *rows;
	size_t n;
	enum yl_code code;
	struct yl_param p = {"patient", ref};
	if (conditions && (code = yl_care_find(c, a, "Condition", &p, 1, MAX_CONDITIONS, &rows, &n,
	                                       NULL, err)) != YL_OK)
		return code;
	for (size_t i = 0; conditions && i < n; i++) {
		json_t *cond = yl_care_parse(a, &rows[i], err);
		if (!cond)
			return err->code;
		for (size_t k = 0; k < rules->nkeypops; k++)
			if (yl_keypop_condition(&rules->keypops[k], cond, day))
				*mask |= 1u << k;
	}
	struct yl_param g = {"member", ref};
	if (households &&
	    (code = yl_care_find(c, a, "Group", &g, 1, MAX_GROUPS, &rows, &n, NULL, err)) != YL_OK)
		return code;
	for (size_t i = 0; households && i < n; i++) {
		json_t *group = yl_care_parse(a, &rows[i], err);
		if (!group)
			return err->code;
		for (size_t k = 0; k < rules->nkeypops; k++)
			if (yl_keypop_household(&rules->keypops[k], group))
				*mask |= 1u << k;
	}
	return YL_OK;
}
