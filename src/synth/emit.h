/* emit.h -- JSON text written straight into growable byte buffers, one buffer per resource
 * type (struct yl_synth_out), for the NDJSON files of `yilian synth`.
 *
 * The generator knows the shape of everything it writes, so resources are appended as text
 * (no JSON tree): literals, escaped strings, integers, fixed-point decimals, dates and ids.
 * Memory: a buffer's bytes are malloc'd and owned by the buffer; yl_synth_out_finish()
 * frees them. Running out of memory is sticky (b->oom): later appends are dropped and the
 * caller checks once per chunk. Threads: a buffer belongs to one thread at a time. */
#ifndef YL_SYNTH_EMIT_H
#define YL_SYNTH_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* the resource types written, in the order of the summary line */
#define YL_SYNTH_TYPES(X)                                                                          \
	X(ORGANIZATION, "Organization")                                                            \
	X(PRACTITIONER, "Practitioner")                                                            \
	X(PRACTITIONER_ROLE, "PractitionerRole")                                                   \
	X(CARE_TEAM, "CareTeam")                                                                   \
	X(PLAN_DEFINITION, "PlanDefinition")                                                       \
	X(PATIENT, "Patient")                                                                      \
	X(GROUP, "Group")                                                                          \
	X(CONDITION, "Condition")                                                                  \
	X(EPISODE_OF_CARE, "EpisodeOfCare")                                                        \
	X(ENCOUNTER, "Encounter")                                                                  \
	X(OBSERVATION, "Observation")                                                              \
	X(MEDICATION_REQUEST, "MedicationRequest")

enum yl_synth_type {
#define YL_SYNTH_ENUM(name, text) YL_SYNTH_##name,
	YL_SYNTH_TYPES(YL_SYNTH_ENUM)
#undef YL_SYNTH_ENUM
	    YL_SYNTH_NTYPES
};

const char *yl_synth_type_name(enum yl_synth_type t);

struct yl_sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct yl_synth_out {
	struct yl_sbuf b[YL_SYNTH_NTYPES];
	int64_t count[YL_SYNTH_NTYPES]; /* resources in b[] */
};

void yl_synth_out_clear(struct yl_synth_out *o); /* lengths and counts to 0, memory kept */
void yl_synth_out_finish(struct yl_synth_out *o);
bool yl_synth_out_oom(const struct yl_synth_out *o);

/* make room for n more bytes; false (and oom set) when it cannot */
bool yl_sbuf_grow(struct yl_sbuf *b, size_t n);

static inline void yl_sbuf_add(struct yl_sbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n && !yl_sbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define YL_SB_LIT(b, lit) yl_sbuf_add((b), (lit), sizeof(lit) - 1)

static inline void yl_sbuf_adds(struct yl_sbuf *b, const char *s)
{
	yl_sbuf_add(b, s, strlen(s));
}

/* a quoted JSON string (escaped) */
void yl_sbuf_str(struct yl_sbuf *b, const char *s);
void yl_sbuf_int(struct yl_sbuf *b, int64_t v);
/* v zero-padded to width digits */
void yl_sbuf_zpad(struct yl_sbuf *b, uint64_t v, int width);
/* v / 10^decimals with exactly that many decimals: (1234, 1) -> 123.4 */
void yl_sbuf_fixed(struct yl_sbuf *b, int64_t v, int decimals);
/* "YYYY-MM-DD" (quoted) for days since 1970-01-01 */
void yl_sbuf_date(struct yl_sbuf *b, int32_t days);
/* "YYYY-MM-DDTHH:MM:00+08:00" (quoted): China Standard Time */
void yl_sbuf_datetime(struct yl_sbuf *b, int32_t days, int minute_of_day);
/* the id prefix + n zero-padded to width (unquoted): ("pat-", 12, 7) -> pat-0000012 */
void yl_sbuf_id(struct yl_sbuf *b, const char *prefix, uint64_t n, int width);
/* {"reference":"Type/id"} for an id written by yl_sbuf_id */
void yl_sbuf_ref(struct yl_sbuf *b, const char *type_slash_prefix, uint64_t n, int width);

/* {"reference":"Type/prefixNNN-SSS"}: a per-resident id (sub zero-padded to sub_width) */
void yl_sbuf_ref_sub(struct yl_sbuf *b, const char *type_slash_prefix, uint64_t n, int width,
                     uint64_t sub, int sub_width);

/* the meta element every resource carries: the HTEST tag (synthetic test data) */
#define YL_SYNTH_META                                                                              \
	"\"meta\":{\"tag\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActReason\","   \
	"\"code\":\"HTEST\",\"display\":\"test health data\"}]}"

#define YL_CS  "https://yilian.health/fhir/CodeSystem/"
#define YL_SD  "https://yilian.health/fhir/StructureDefinition/"
#define YL_SID "https://yilian.health/fhir/sid/"

/* days since 1970-01-01 <-> civil date (proleptic Gregorian) */
int32_t yl_synth_days(int y, int m, int d);
void yl_synth_civil(int32_t days, int *y, int *m, int *d);
/* the same day n years later (29 February -> 28 February) */
int32_t yl_synth_add_years(int32_t days, int n);

#endif
