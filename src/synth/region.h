/* region.h -- the plan of the synthetic county: units (streets and towns), villages and
 * communities, institutions (Organization), staff (Practitioner + PractitionerRole) and
 * family-doctor teams (CareTeam), scaled with the number of residents; and the writing of
 * those resources and of the service packages (PlanDefinition).
 *
 * The plan fixes, before any resident is made, which contiguous range of resident numbers
 * lives in each village and which team serves it: a team's residents are one range, so a
 * team is the unit of work that one thread generates alone (contract capacity is counted
 * inside it). Ids: org-NNNNN, prac-NNNNNN / role-NNNNNN (one role per practitioner),
 * team-NNNNN, numbered from 1 in the order written.
 * Memory: the plan's arrays and names live in the arena given to yl_synth_region_plan().
 * Threads: read-only once planned. Errors: YL_NOMEM, or YL_USAGE when N is out of range. */
#ifndef YL_SYNTH_REGION_H
#define YL_SYNTH_REGION_H

#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "synth/data.h"
#include "synth/emit.h"

enum yl_synth_org_type {
	YL_ORG_AUTHORITY,
	YL_ORG_HOSPITAL, /* county hospital: the root of the consortium */
	YL_ORG_TERTIARY, /* city tertiary hospital, outside the consortium */
	YL_ORG_CHSC,     /* community health service centre (street) */
	YL_ORG_THC,      /* township health centre (town) */
	YL_ORG_STATION,  /* community health station */
	YL_ORG_CLINIC,   /* village clinic */
	YL_ORG_PHARMACY,
};

enum yl_synth_role {
	YL_ROLE_FAMILY_DOCTOR,
	YL_ROLE_VILLAGE_DOCTOR,
	YL_ROLE_NURSE,
	YL_ROLE_PUBLIC_HEALTH,
	YL_ROLE_SPECIALIST,
	YL_ROLE_PHARMACIST,
};

struct yl_synth_org {
	int type, part_of, unit; /* part_of / unit: -1 when none */
	char division[13];       /* 6, 9 or 12 digits */
	const char *name;
};

struct yl_synth_prac {
	int role, org, cap; /* cap: panel-capacity, 0 = the default (no extension) */
	int specialty;      /* index into d->specialties, or -1 */
};

struct yl_synth_unit {
	int street; /* 1 street (urban), 0 town */
	char code[10];
	const char *name; /* 城关街道, 青石镇 */
	int32_t first, count;
	int fv, nv, ft, nt; /* villages and teams */
	int org;            /* its centre */
};

struct yl_synth_village {
	char code[13];
	const char *name; /* 东山村, 新湖社区 */
	int32_t first, count;
	int unit, team, org, staff; /* staff: its village doctor or station nurse */
};

struct yl_synth_team {
	int unit, fv, nv;
	int32_t first, count;
	int org, cap, serial; /* serial: the team's number in its centre (1 组) */
	int ndoctors, doctor[2], doctor_cap[2];
	int nurse, public_health;
};

struct yl_synth_region {
	int64_t residents;
	struct yl_synth_unit *units;
	struct yl_synth_village *villages;
	struct yl_synth_team *teams;
	struct yl_synth_org *orgs;
	struct yl_synth_prac *pracs;
	int nunits, nvillages, nteams, norgs, npracs;
	int authority, hospital, tertiary;
};

#define YL_SYNTH_MAX_RESIDENTS 9999999

enum yl_code yl_synth_region_plan(struct yl_synth_region *r /* OUT */,
                                  const struct yl_synth_data *d, int64_t residents, uint64_t seed,
                                  struct yl_arena *a, struct yl_err *err);

/* Organizations, Practitioners, PractitionerRoles, CareTeams and PlanDefinitions into o */
void yl_synth_region_write(const struct yl_synth_region *r, const struct yl_synth_data *d,
                           uint64_t seed, struct yl_synth_out *o);

/* the team serving resident i (binary search over the teams' ranges) */
int yl_synth_team_of(const struct yl_synth_region *r, int64_t i);

#endif
