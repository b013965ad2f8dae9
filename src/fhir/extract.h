/* extract.h -- search-index rows of a resource, driven by the search-parameter table.
 *
 * Purpose: on every write, turn the parsed resource into struct yl_index_row values
 * (store/store.h) for each supported parameter of its type (fhir/searchparam.h); the
 * helpers below are shared with the query side so search values are normalised exactly as
 * stored values are. Semantics (docs/search-parameters.md has the table):
 *  token      Coding: system/code, text = display. CodeableConcept: one row per coding with
 *             a code; plus one text-only row (system, code NULL, hashes 0) holding
 *             CodeableConcept.text when it differs from every display. Identifier:
 *             system/value, text = type.text, type_hash = first type.coding. ContactPoint:
 *             value, system NULL. code/string/id/uri/...: the value, system NULL; boolean:
 *             "true"/"false" (a dateTime under a token parameter, Patient.deceased, is "true").
 *             value_hash = hash(system or "", code), code_hash = hash(code).
 *  string     exact as recorded, norm = yl_fhir_fold(); HumanName and Address give one row
 *             per part (family, given, prefix, suffix, text; line, city, district, state,
 *             postalCode, country, text).
 *  date       [date_lo, date_hi] inclusive UTC us covering the precision
 *             (yl_parse_date_range, core/time.h); Period open ends are INT64_MIN / INT64_MAX;
 * Timing: each event and repeat.boundsPeriod. number     [num_lo, num_hi] = value -/+ half a unit
 * of its last decimal (integers: 0.5). quantity   value range as number, unit_system as recorded,
 * unit_code = code or unit; canon_* via fhir/ucum.h when the system is UCUM; Money: system
 *             urn:iso:std:iso:4217, code = currency; Range: [low lo, high hi].
 *  reference  relative Type/id[/_history/n] -> ref_type/ref_id (+ ref_url as written);
 *             absolute URL -> ref_url (+ type/id from its last two segments when they are a
 *             resource type and an id); urn:uuid:/urn:oid: -> ref_url only; "#x" and
 *             Reference.identifier are not indexed; canonical -> ref_url without "|version".
 *  uri        uri as recorded.
 *  composite  component 1 (token) in the token fields, component 2 in comp_* / num_* /
 *             canon_* / unit_* / date_* / norm, both from the same base element occurrence.
 * Memory: rows and every string they point to are allocated in the arena; `resource` is
 * borrowed. Threads: reentrant. Errors: only YL_NOMEM and YL_TOO_LARGE (more than
 * YL_EXTRACT_MAX_ROWS rows); odd-but-valid data is skipped, never an error. */
#ifndef YL_FHIR_EXTRACT_H
#define YL_FHIR_EXTRACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define YL_EXTRACT_MAX_ROWS      100000 /* index rows per resource */
#define YL_EXTRACT_MAX_COMPOSITE 64     /* composite rows per base element (cross product) */

/* Extract the search-index rows of one resource (the parsed JSON). Rows and their strings
 * live in the arena. Returns YL_OK and sets *rows and *n. Never fails on odd-but-valid data:
 * skip what cannot be indexed. */
enum yl_code yl_fhir_extract(struct yl_arena *a, const char *type, const json_t *resource,
                             struct yl_index_row **rows /* OUT */, size_t *n /* OUT */,
                             struct yl_err *err);

/* Case- and accent-folded copy of s[0..n) (UTF-8) in the arena: ASCII lower-cased,
 * U+00C0..U+017F folded to ASCII (é -> e, ß -> ss, Æ -> ae), combining marks
 * U+0300..U+036F dropped; every other character (CJK, Greek, ...) unchanged. NULL on OOM. */
char *yl_fhir_fold(struct yl_arena *a, const char *s, size_t n);

/* The range a decimal written as s[0..n) stands for: value -/+ half a unit of its last
 * digit ("1.5" -> [1.45, 1.55], "100" -> [99.5, 100.5], "1.5e2" -> [145, 155]).
 * Returns 0, or -1 if s is not a number. */
int yl_fhir_decimal_range(const char *s, size_t n, double *lo /* OUT */, double *hi /* OUT */);

/* The same for a stored JSON number (jansson keeps a double, not its text): integers get
 * -/+0.5; a real gets -/+ half a unit of the last decimal of its shortest round-trip
 * representation, never coarser than units ("1.50" is read as 1.5 -> [1.45, 1.55]). */
void yl_fhir_number_range(const json_t *v, double *lo /* OUT */, double *hi /* OUT */);

/* The search-parameter table and extractor this build indexes with ("1-<hex>"), stored in
 * the store's meta as "index_fingerprint" by `yilian reindex` and on a new store. */
const char *yl_fhir_index_fingerprint(void);
/* *stale: the store's index rows were built by another table or extractor (or before
 * fingerprints were kept): searches may miss resources until `yilian reindex`. A new,
 * empty store is stamped with this build's fingerprint. */
enum yl_code yl_fhir_index_check(struct yl_store *s, struct yl_arena *a, bool *stale,
                                 struct yl_err *err);

#endif
