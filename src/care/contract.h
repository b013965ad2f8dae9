/* contract.h -- family-doctor contracts (家庭医生签约) as EpisodeOfCare (docs/registry.md):
 * the rules every write of a contract obeys, and the operations that make and end them.
 *
 * The rules (yl_contract_check, run by care/registry.c inside the write's transaction)
 * apply to a contract written with status active or planned, however it arrives (an
 * operation, a PUT, a transaction Bundle; not `yilian import`, which loads records as they
 * are):
 *   - the resident exists and is not recorded as deceased (422);
 *   - no other contract of the resident that is active or planned overlaps its period
 *     (409, naming it): one team at a time;
 *   - the team is an active family-doctor team; the doctor (careManager), when named, is
 *     one of its members (422);
 *   - on the start day the team and the doctor stay within their capacity: the CareTeam's
 *     or PractitionerRole's panel-capacity extension, else rules/contracting.json (422);
 *   - each package is an active service package whose eligible population (useContext:
 *     age, gender, key populations) includes the resident on the start day (422).
 * Contracts that are finished or entered in error are not checked: ending one is always
 * allowed.
 *
 * The operations (route rows in fhir/routes.c; inputs are Parameters, see docs/api.md):
 *   POST /fhir/EpisodeOfCare/$sign            patient, team, [doctor], [package]*, [start], [end]
 *   POST /fhir/EpisodeOfCare/{id}/$renew      [package]*, [end]
 *   POST /fhir/EpisodeOfCare/{id}/$transfer   team, [doctor], [date]
 *   POST /fhir/EpisodeOfCare/{id}/$terminate  reason, [date]
 * $transfer ends the contract (state transferred) and signs the resident with the new team
 * for the rest of the period, in one transaction; both stay in the record.
 * Memory: the request's arena. Threads: reentrant. */
#ifndef YL_CARE_CONTRACT_H
#define YL_CARE_CONTRACT_H

#include "http/http.h"
#include "store/store.h"

struct json_t;

enum yl_code yl_contract_check(struct yl_store_conn *c, struct yl_arena *a,
                               const struct yl_write *w, const struct json_t *doc,
                               struct yl_err *err);

enum yl_code yl_h_contract_sign(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_contract_renew(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_contract_transfer(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_contract_terminate(struct yl_req *r, struct yl_err *err);

#endif
