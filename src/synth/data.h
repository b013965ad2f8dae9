/* data.h -- the figures `yilian synth` draws from, loaded from the JSON files under
 * DATA/terminology/synth/ (population, names, conditions, programmes, contracts, region) and
 * the service packages of DATA/terminology/service-packages.json, which are written out as
 * they are. The programmes' rule packs are the server's own (care/rulepack.h), bound by
 * care.h's yl_synth_bind(), not figures of these files.
 *
 * Every figure lives in those files with its source and confidence mark; nothing numeric
 * about the population is typed into C. Tables by age are expanded to one entry per year of
 * age (0..YL_SYNTH_MAX_AGE) when loaded.
 * Memory: everything, strings included, lives in the arena passed to yl_synth_data_load();
 * the jansson trees are released before it returns (the packages are kept as compact text).
 * Threads: read-only after loading, shared by every generator thread.
 * Errors: a missing file, a missing or mistyped figure -> YL_IO with the file and the
 * figure's path in the message. */
#ifndef YL_SYNTH_DATA_H
#define YL_SYNTH_DATA_H

#include "core/arena.h"
#include "core/err.h"
#include "synth/rng.h"

#define YL_SYNTH_MAX_AGE   104
#define YL_SYNTH_MAX_DRUGS 8
#define YL_SYNTH_MAX_CODES 16 /* codes of one weighted list */

struct yl_synth_agegroup {
	int lo, hi;
	double share;      /* normalised over the groups */
	double male_share; /* of the group */
};

struct yl_synth_cohort {
	int born_until;
	double single_share, full_share;
	const char **male, **female; /* one UTF-8 character each */
	struct yl_pick male_pick, female_pick;
	const char **male_full, **female_full;
	int nmale_full, nfemale_full;
};

struct yl_synth_drug {
	const char *atc, *display, *text, *dose;
	int switch_to; /* index of the replacement, or -1 */
};

struct yl_synth_condition {
	const char *icd10, *icd10_display, *snomed, *snomed_display, *text;
	double prev_male[YL_SYNTH_MAX_AGE + 1], prev_female[YL_SYNTH_MAX_AGE + 1]; /* fractions */
	int onset_min_age, onset_years_max;
	struct yl_synth_drug drugs[YL_SYNTH_MAX_DRUGS];
	int ndrugs;
	struct yl_pick first; /* the drug at diagnosis */
	int add_order[YL_SYNTH_MAX_DRUGS];
	int nadd;
};

/* key populations (CS:key-population), as bits of a mask */
enum yl_synth_kp {
	YL_KP_ELDERLY,
	YL_KP_HYPERTENSION,
	YL_KP_T2D,
	YL_KP_MATERNAL,
	YL_KP_CHILD,
	YL_KP_SEVERE_MENTAL,
	YL_KP_TB,
	YL_KP_DISABILITY,
	YL_KP_LOW_INCOME,
	YL_KP_COUNT
};

struct yl_synth_package {
	const char *id;   /* package-basic ... */
	const char *json; /* the PlanDefinition with the HTEST tag, compact, one line */
	/* eligibility from useContext: age lo..hi (years, -1 = open), gender (0 any, 1 male,
	 * 2 female), focus: a mask of key populations of which one must hold (0 = none asked) */
	int age_lo, age_hi, gender;
	unsigned focus;
	double share; /* of the eligible (contracts.json package_shares; 1 when absent) */
};

enum yl_synth_cond_kind { YL_SYNTH_HTN, YL_SYNTH_T2D, YL_SYNTH_NCOND };

/* codes of one of yilian's code systems (terminology/codesystems.json), drawn by weight */
struct yl_synth_codes {
	const char *code[YL_SYNTH_MAX_CODES];
	double weight[YL_SYNTH_MAX_CODES];
	int n;
	struct yl_pick pick;
};

/* how management ends (programmes.json exits.per_year) */
enum yl_synth_exit { YL_SYNTH_MOVED, YL_SYNTH_REFUSED, YL_SYNTH_LAPSED, YL_SYNTH_NEXIT };

/* the programme of a condition (d->prog[k] for condition kind k): followup-symptom codes */
struct yl_synth_programme {
	const char *name; /* as rules/programmes.json names it: "hypertension" */
	struct yl_synth_codes symptoms, danger_symptoms;
};

struct yl_synth_data {
	/* population.json */
	struct yl_synth_agegroup groups[32];
	int ngroups;
	struct yl_pick group_pick;
	int adult_age, parent_gap, parent_gap_spread, max_children, elder_age, young_age;
	double couple_share, elder_join_share, young_join_share, low_income_share;
	double death_rate[YL_SYNTH_MAX_AGE + 1]; /* a year */
	double height_male, height_female, height_sd, shrink_per_year;
	/* names.json */
	const char **surnames;
	int nsurnames;
	struct yl_pick surname_pick;
	double mother_surname_share;
	struct yl_synth_cohort cohorts[8];
	int ncohorts;
	/* conditions.json */
	struct yl_synth_condition cond[YL_SYNTH_NCOND];
	double t2d_rr_htn;
	double managed_contracted, managed_uncontracted;
	int interval_days, interval_jitter;
	double miss_base, miss_spread, class_amb, class_hh, heart_rate_share, hba1c_share;
	double sbp_diag, sbp_diag_sd, sbp_drug, sbp_tendency, sbp_drift, sbp_visit_sd;
	double dbp_base, dbp_per_sbp, dbp_elderly_drop, dbp_sd;
	double zero_first, zero_late, zero_years;
	double fpg_diag, fpg_diag_sd, fpg_drug, fpg_tendency, fpg_drift, fpg_visit_sd, fpg_min,
	    fpg_max, a1c_intercept, a1c_per_fpg, a1c_sd, fpg_visit_sd_below, fpg_treated_min;
	double bmi_mean, bmi_sd, bmi_visit_sd, bmi_min, bmi_max, hr_mean, hr_sd;
	double intensify_share, switch_share;
	int max_drugs;
	/* programmes.json */
	struct yl_synth_programme prog[YL_SYNTH_NCOND];
	double enrol_same_day;
	int enrol_delay_max;
	double exit_per_year[YL_SYNTH_NEXIT], lost_close_share;
	int lost_close_after, lost_close_jitter;
	double kept[5]; /* by enum yl_next_step (care/rulepack.h): within two weeks */
	int early_days_max, late_days_max, short_run_max, combine_days;
	double findings_share, symptom_share, second_symptom_share, danger_symptom_share;
	double adverse_share, adverse_ok_share, complication_new, complication_worse;
	struct yl_synth_codes adherence; /* medication-adherence */
	int adherence_regular;           /* the index of "regular" in it */
	struct yl_pick adherence_other;  /* over the other codes (that index excluded: weight 0) */
	double adherence_regular_share, adherence_tendency;
	/* contracts.json (+ rules/contracting.json) */
	double rate_key, rate_other, renewal_share, past_share, terminated_share;
	const char *term_reasons[8];
	struct yl_pick term_pick;
	int elderly_age, child_max_age, doctor_capacity; /* rules/contracting.json */
	/* region.json */
	const char *county_name, *county_code, *province, *city, *authority_name, *hospital_name,
	    *tertiary_name, *tertiary_code;
	int residents_per_unit, min_units, street_every;
	double unit_spread;
	const char **streets, **towns;
	int nstreets, ntowns;
	int urban_lo, urban_hi, rural_lo, rural_hi;
	const char **vfirst, **vsecond, **roads;
	int nvfirst, nvsecond, nroads;
	int catchment, team_capacity, doctor_capacity_shared, public_health_per_teams;
	double second_doctor_share;
	double pharmacies_per_10k, specialists_per_10k;
	int min_specialists, centre_nurses;
	const char **specialties, **pharmacy_names;
	int nspecialties, npharmacy_names;
	const char **phone_prefixes;
	int nphone_prefixes, phone_min_age;
	const char *id_divisions[16];
	struct yl_pick id_division_pick;
	/* service-packages.json */
	struct yl_synth_package packages[16];
	int npackages;
};

enum yl_code yl_synth_data_load(const char *data_dir, struct yl_synth_data *d /* OUT */,
                                struct yl_arena *a, struct yl_err *err);

/* the cohort of a birth year */
const struct yl_synth_cohort *yl_synth_cohort_of(const struct yl_synth_data *d, int birth_year);

#endif
