/* panel.h -- the population a unit of the network is responsible for, and what is measured
 * about its contracts: a family-doctor team, an institution with every institution below it
 * in the consortium tree, or the whole region (docs/clinical-rules.md, "Contract
 * indicators", has the exact definitions).
 *
 * A unit's catchment is the residents whose health record its institutions keep
 * (Patient.managingOrganization): a team's managing organizations and the institutions
 * below them (partOf), an institution and those below it, or every resident.
 *
 * Operations (route rows in fhir/routes.c):
 *   GET /fhir/$contract-indicators, /fhir/Organization/{id}/$contract-indicators,
 *       /fhir/CareTeam/{id}/$contract-indicators      [start] [end] -> Bundle of MeasureReport
 *   GET .../$expiring-contracts                        [days]  -> searchset of EpisodeOfCare
 *   GET /fhir/CareTeam/{id}/$residents                 [key-population] [name] [_count]
 *       [_offset] -> searchset of the team's contracted residents, identity and phone
 *       numbers masked (a list view), each with its key populations and contract
 * They read the store as it is (every search at request time): a team costs a few
 * milliseconds per resident; the region is read whole, so it is a report, not a dashboard
 * (the population model of issue 6 replaces these reads).
 * Memory: the request's arena. Threads: reentrant. */
#ifndef YL_CARE_PANEL_H
#define YL_CARE_PANEL_H

#include "http/http.h"

enum yl_code yl_h_indicators(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_expiring(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_team_residents(struct yl_req *r, struct yl_err *err);

/* "138****5678" / "330106********123X": the first and last characters kept (3 and 4 of
 * a phone number, 6 and 4 of an identity number), the rest starred; arena text. */
const char *yl_mask_number(struct yl_arena *a, const char *s, size_t keep_head, size_t keep_tail);

/* A Patient for a list (a worklist, $residents): identity and phone numbers masked as above,
 * meta.tag SUBSETTED. */
struct json_t;
void yl_mask_patient(struct yl_arena *a, struct json_t *patient);

/* A whole-number URL parameter from 0 to max, or dflt when absent; 400 naming it otherwise. */
enum yl_code yl_whole_param(struct yl_req *r, const char *name, long dflt, long max, long *out,
                            struct yl_err *err);

#endif
