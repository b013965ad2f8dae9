/* config.h -- the deployment's registry and contracting rules, read from data at start:
 * terminology/identifier-systems.json (which identifiers are checked and held once),
 * terminology/key-populations.json and terminology/programme-valuesets.json (value sets of
 * Conditions: key populations, programme rules) and rules/contracting.json (term, capacities, how
 * each key population is derived) and terminology/codesystems.json (yilian's code systems:
 * termination reasons, contract states, ...). Nothing here is a clinical figure written in C.
 *
 * Until yl_care_load() succeeds nothing is known: no identifier is checked and the
 * contract operations answer that the rules are not loaded.
 * Memory: process-global; the parsed documents are kept and every string handed out points
 * into them until yl_care_unload() (or the next load).
 * Threads: load and unload at start and exit, before and after the worker threads; every
 * lookup is then read-only and safe from any thread.
 * Errors: YL_IO for an unreadable or malformed file (the message names the file and the
 * entry), YL_NOMEM. */
#ifndef YL_CARE_CONFIG_H
#define YL_CARE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

enum yl_id_check {
	YL_IDCHECK_NONE,
	YL_IDCHECK_GB11643, /* the PRC resident identity number (care/resident-id.h) */
	YL_IDCHECK_DIGITS,  /* exactly `digits` decimal digits */
};

struct yl_id_system {
	const char *name;     /* "resident-id" */
	const char *on;       /* the resource type that carries it: "Patient" */
	const char **systems; /* [0] the system yilian writes, then those accepted as the same */
	size_t nsystems;
	enum yl_id_check check;
	int digits;
	bool unique;       /* at most one live resource of `on` holds a value */
	bool personal;     /* never in logs, masked in list views */
	const char *label; /* English name, for messages: "resident identity number" */
};

/* One code of a value set: ICD-10 filters (is-a) match the code and its subcodes. */
struct yl_kp_code {
	const char *system;
	const char *code;
	bool prefix;
};

/* A value set of terminology/key-populations.json or terminology/programme-valuesets.json,
 * expanded to its codes and filters. */
struct yl_valueset {
	const char *url;
	const struct yl_kp_code *codes;
	size_t ncodes;
};

enum yl_kp_derive {
	YL_KP_AGE_AT_LEAST, /* age in whole years >= years */
	YL_KP_AGE_BELOW,    /* age in whole years < years */
	YL_KP_CONDITION,    /* an active Condition with a code in the value set */
	YL_KP_HOUSEHOLD,    /* a member of a household Group with the characteristic */
};

#define YL_KP_MAX 32 /* key populations a deployment may define (bits of a mask) */

struct yl_keypop {
	const char *code; /* https://yilian.health/fhir/CodeSystem/key-population code */
	enum yl_kp_derive derive;
	int years;
	const struct yl_valueset *vs; /* YL_KP_CONDITION */
	const char *characteristic;   /* YL_KP_HOUSEHOLD */
};

struct yl_care_rules {
	int term_months;     /* a contract's default length */
	int team_capacity;   /* residents in force per team, unless the CareTeam says */
	int doctor_capacity; /* per signing doctor, unless the PractitionerRole says */
	int expiring_days;   /* the expiring-contracts window */
	const struct yl_keypop *keypops;
	size_t nkeypops;
};

/* Reads the three files under dir (the directory holding terminology/ and rules/). */
enum yl_code yl_care_load(const char *dir, struct yl_arena *a, struct yl_err *err);
void yl_care_unload(void);

/* The rules, or NULL when nothing is loaded. */
const struct yl_care_rules *yl_care_rules(void);

/* The identifier system of resources of `type` that `system` names (itself or through its
 * `also` list), or NULL. */
const struct yl_id_system *yl_care_id_system(const char *type, const char *system);

/* Whether some identifier of resources of `type` is held once. */
bool yl_care_unique_on(const char *type);

/* A code of one of yilian's code systems (name: "contract-termination-reason"): its
 * display in lang ("zh-CN" or "en"), or NULL when the system has no such code. */
const char *yl_care_code(const char *system_name, const char *code, const char *lang);

/* The value set with this url, or NULL. */
const struct yl_valueset *yl_care_valueset(const char *url);
/* Whether a CodeableConcept has a coding in the value set. */
struct json_t;
bool yl_care_coded_in(const struct yl_valueset *vs, const struct json_t *concept);

/* The key population with this code, its index in *i; NULL when unknown. */
const struct yl_keypop *yl_care_keypop(const char *code, size_t *i);

/* The yilian namespaces (docs/registry.md). */
#define YL_CS  "https://yilian.health/fhir/CodeSystem/"
#define YL_SD  "https://yilian.health/fhir/StructureDefinition/"
#define YL_SID "https://yilian.health/fhir/sid/"

#endif
