/* worklist.h -- a doctor's and a team's chronic-care worklists, read from the population
 * model (care/population.h), so a list of a 2,000-resident team answers in milliseconds:
 *   GET /fhir/CareTeam/{id}/$worklist      list, [programme], [doctor], [_sort], [_count],
 *   GET /fhir/Practitioner/{id}/$worklist  [_offset]   (a doctor: the residents whose
 *                                          contract names them)
 * list: due | overdue | two-week | urgent-referral | lost-to-follow-up | not-enrolled
 * (docs/clinical-rules.md "Worklists" defines each). The answer is a searchset Bundle of
 * the residents' Patients, masked as a list view (care/panel.h), each with the extension
 * worklist-item (programme, due, days-overdue, last-visit, classification, next-step,
 * encounter, diagnosed); `total` counts every match.
 * Memory: the request's arena. Threads: reentrant. */
#ifndef YL_CARE_WORKLIST_H
#define YL_CARE_WORKLIST_H

#include "http/http.h"

enum yl_code yl_h_worklist(struct yl_req *r, struct yl_err *err);

#endif
