/* compartment.h -- which patient a resource belongs to (the store's shard key).
 *
 * The rules come from the R4 Patient CompartmentDefinition, generated into
 * compartment-gen.c by tools/gen-compartment.py. yl_fhir_patient_of() returns the id of
 * the first `Patient/<id>` reference found on the compartment paths (for a Patient, its
 * own id), allocated in the arena, or NULL when the resource is outside every patient
 * compartment. Thread-safe (read-only tables). */
#ifndef YL_COMPARTMENT_H
#define YL_COMPARTMENT_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"

struct yl_compartment_rule {
	const char *type;
	const char *paths; /* '|'-separated dotted element paths to Reference elements */
};

extern const struct yl_compartment_rule yl_compartment_rules[];
extern const size_t yl_compartment_rule_count;

const char *yl_fhir_patient_of(struct yl_arena *a, const char *type, const char *id,
                               const json_t *resource);

/* The first compartment path of `type` (OUT: *len bytes of the returned string, not
 * NUL-terminated there), the one whose Patient reference yl_fhir_patient_of() prefers;
 * NULL when the type is in no patient compartment. */
const char *yl_fhir_patient_path(const char *type, size_t *len);

#endif
