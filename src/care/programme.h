/* programme.h -- enrolment in a chronic-disease programme (hypertension, type 2 diabetes) as
 * an EpisodeOfCare of type `<programme>-programme` (docs/registry.md): who may be enrolled
 * (the rule pack's eligibility: minimum age and a diagnosis in its value set, on the day),
 * one enrolment in force per resident and programme, and the end of management with a coded
 * reason (CodeSystem management-end-reason: died, moved, lost, refused).
 *
 *   POST /fhir/Patient/{id}/$enrol                  programme, [date], [doctor]
 *   POST /fhir/EpisodeOfCare/{id}/$end-management   reason, [date]
 * $record-followup (care/followup.h) enrols an eligible resident who is not enrolled yet, in
 * the same transaction as the visit.
 * Memory: the request's arena. Threads: reentrant. */
#ifndef YL_CARE_PROGRAMME_H
#define YL_CARE_PROGRAMME_H

#include "care/rulepack.h"
#include "http/http.h"
#include "store/store.h"

struct json_t;

/* The resident's enrolment in force in the programme: YL_OK with *row and *doc, or
 * YL_NOT_FOUND (nothing added to err). */
enum yl_code yl_programme_enrolment(struct yl_store_conn *c, struct yl_arena *a, const char *pid,
                                    const struct yl_programme *prog, struct yl_row *row,
                                    struct json_t **doc, struct yl_err *err);

/* The resident's Conditions (at most a primary-care record's worth), parsed. */
enum yl_code yl_programme_conditions(struct yl_store_conn *c, struct yl_arena *a, const char *pid,
                                     struct json_t ***conds, size_t *n, struct yl_err *err);

/* Whether the resident may be enrolled on `day`: YL_OK, or YL_BUSINESS_RULE saying why not. */
enum yl_code yl_programme_eligible(struct yl_arena *a, const struct yl_programme *prog,
                                   const struct json_t *patient, struct json_t *const *conds,
                                   size_t nconds, int64_t day, struct yl_err *err);

/* Write a new enrolment from `day` (inside the caller's transaction, if any); the doctor
 * and institution when known (NULL otherwise). */
enum yl_code yl_programme_enrol(struct yl_req *r, const struct yl_programme *prog, const char *pid,
                                int64_t day, const char *doctor, const char *org,
                                struct yl_write *w, struct yl_err *err);

/* The resident's contract team's doctor and institution, if a contract is in force (for
 * defaults): "Practitioner/x" and "Organization/y" or NULL. */
enum yl_code yl_programme_contract_defaults(struct yl_store_conn *c, struct yl_arena *a,
                                            const char *pid, const char **doctor, const char **org,
                                            struct yl_err *err);

/* The operation's 'programme' parameter: 400 naming the programmes when it is none. */
enum yl_code yl_programme_param(struct yl_req *r, const struct json_t *body,
                                const struct yl_programme **prog, struct yl_err *err);

enum yl_code yl_h_enrol(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_end_management(struct yl_req *r, struct yl_err *err);

#endif
