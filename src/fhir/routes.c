/* routes.c -- the route table: dispatch, the CapabilityStatement and docs/api.md all
 * come from these rows. More specific patterns come first. */
#include "auth/handlers.h"
#include "care/contract.h"
#include "care/followup.h"
#include "care/plausibility.h"
#include "care/programme.h"
#include "care/worklist.h"
#include "care/panel.h"
#include "fhir/bulk.h"
#include "fhir/rest.h"

const struct yl_route yl_fhir_routes[] = {
    {"GET", "/healthz", NULL, YL_LEVEL_NONE, yl_h_healthz,
     "liveness and store check for load balancers and operators", YL_ACCESS_PUBLIC},
    {"GET", "/", NULL, YL_LEVEL_NONE, yl_h_web_index,
     "the web pages (web/index.html): a team's residents and their contracts", YL_ACCESS_PUBLIC},
    {"GET", "/web/{file}", NULL, YL_LEVEL_NONE, yl_h_web_file,
     "a file of the web pages (web/): scripts, styles, translations", YL_ACCESS_PUBLIC},
    {"POST", "/auth/login", NULL, YL_LEVEL_NONE, yl_h_login,
     "log in (JSON {username, password}): 200 and {token, expires, user}; 401 for a wrong "
     "username or password alike; 429 with Retry-After after repeated failures",
     YL_ACCESS_LOGIN},
    {"POST", "/auth/logout", NULL, YL_LEVEL_NONE, yl_h_logout,
     "end the session whose token is sent: 204", YL_ACCESS_USER},
    {"GET", "/auth/me", NULL, YL_LEVEL_NONE, yl_h_me,
     "the caller: username, roles, linked Practitioner / Patient / Organization, expiry",
     YL_ACCESS_USER},
    {"POST", "/auth/password", NULL, YL_LEVEL_NONE, yl_h_password,
     "change one's own password (JSON {password, newPassword}): 204; every session and "
     "token of the user ends",
     YL_ACCESS_USER},
    {"POST", "/auth/tokens", NULL, YL_LEVEL_NONE, yl_h_token_create,
     "an API token for the caller (JSON {label, readOnly?, days?}): 201 and {token, id, "
     "expires}; the token is shown once",
     YL_ACCESS_USER},
    {"DELETE", "/auth/tokens/{id}", NULL, YL_LEVEL_NONE, yl_h_token_revoke,
     "revoke one of the caller's API tokens (administrators: anyone's): 204", YL_ACCESS_USER},
    {"POST", "/auth/break-the-glass", NULL, YL_LEVEL_NONE, yl_h_glass,
     "emergency access to one resident's record (JSON {patient, reason, minutes?}; a "
     "supervisor's is a stated purpose): 201 and {patient, kind, expires}; every access "
     "under it is flagged in the audit trail",
     YL_ACCESS_USER},
    {"GET", "/auth/break-the-glass", NULL, YL_LEVEL_NONE, yl_h_glass_list,
     "every break-the-glass and purpose grant, newest first, for review", YL_ACCESS_ADMIN},
    {"GET", "/auth/users", NULL, YL_LEVEL_NONE, yl_h_user_list,
     "the accounts the caller manages (an institution's administrator: their staff's), by "
     "username: {users: [{username, roles, practitioner?, patient?, organization?, state}]}",
     YL_ACCESS_MANAGE},
    {"POST", "/auth/users", NULL, YL_LEVEL_NONE, yl_h_user_add,
     "add an account (JSON {username, roles, practitioner?, patient?, organization?, "
     "password?}): 201 and the account, with a one-time password shown once when none was "
     "given",
     YL_ACCESS_MANAGE},
    {"POST", "/auth/users/{username}/{action}", NULL, YL_LEVEL_NONE, yl_h_user_action,
     "disable, enable, reset-password (a one-time password, shown once), grant or revoke "
     "(JSON {roles, practitioner?, patient?, organization?}) an account: 200 and the account",
     YL_ACCESS_MANAGE},
    {"GET", "/fhir/AuditEvent", "search-type", YL_LEVEL_TYPE, yl_h_audit_search,
     "the audit trail, newest first (patient, _count, _before): administrators; a resident "
     "sees who opened their own record",
     YL_ACCESS_USER},
    {"GET", "/fhir/metadata", "capabilities", YL_LEVEL_SYSTEM, yl_h_metadata,
     "the CapabilityStatement, generated from this table", YL_ACCESS_PUBLIC},
    {"POST", "/fhir", "transaction batch", YL_LEVEL_SYSTEM, yl_h_bundle,
     "a transaction (all or nothing) or batch Bundle; answers its -response Bundle",
     YL_ACCESS_USER},
    {"GET", "/fhir/$export", "$export", YL_LEVEL_SYSTEM, yl_h_export_system,
     "Bulk Data export of every resource (Prefer: respond-async; _type, _since, "
     "_outputFormat): 202 and a Content-Location to poll",
     YL_ACCESS_EXPORT},
    {"GET", "/fhir/$export-status/{job}", NULL, YL_LEVEL_SYSTEM, yl_h_export_status,
     "an export's status: 202 with X-Progress while it runs, then 200 and the manifest",
     YL_ACCESS_EXPORT},
    {"DELETE", "/fhir/$export-status/{job}", NULL, YL_LEVEL_SYSTEM, yl_h_export_cancel,
     "cancel an export and remove its files: 202", YL_ACCESS_EXPORT},
    {"GET", "/fhir/$export-file/{job}/{file}", NULL, YL_LEVEL_SYSTEM, yl_h_export_file,
     "one NDJSON file of a finished export", YL_ACCESS_EXPORT},
    {"GET", "/fhir/Patient/$export", "$export", YL_LEVEL_TYPE, yl_h_export_patient,
     "Bulk Data export of every patient's compartment", YL_ACCESS_EXPORT},
    {"GET", "/fhir/Group/{id}/$export", "$export", YL_LEVEL_INSTANCE, yl_h_export_group,
     "Bulk Data export of the compartments of the Group's member patients", YL_ACCESS_EXPORT},
    {"GET", "/fhir/$contract-indicators", "$contract-indicators", YL_LEVEL_SYSTEM, yl_h_indicators,
     "the region's contract rate, key-population contract rate and renewal rate for a period "
     "(start, end; key-population): a Bundle of MeasureReport",
     YL_ACCESS_AGGREGATE},
    {"GET", "/fhir/Organization/{id}/$contract-indicators", "$contract-indicators",
     YL_LEVEL_INSTANCE, yl_h_indicators,
     "the same for an institution and every institution below it (partOf)", YL_ACCESS_AGGREGATE},
    {"GET", "/fhir/CareTeam/{id}/$contract-indicators", "$contract-indicators", YL_LEVEL_INSTANCE,
     yl_h_indicators, "the same for a family-doctor team", YL_ACCESS_AGGREGATE},
    {"GET", "/fhir/$expiring-contracts", "$expiring-contracts", YL_LEVEL_SYSTEM, yl_h_expiring,
     "contracts in force that end within days (default 30) and are not renewed, soonest first",
     YL_ACCESS_ADMIN},
    {"GET", "/fhir/Organization/{id}/$expiring-contracts", "$expiring-contracts", YL_LEVEL_INSTANCE,
     yl_h_expiring, "the same for an institution's residents", YL_ACCESS_MANAGE},
    {"GET", "/fhir/CareTeam/{id}/$expiring-contracts", "$expiring-contracts", YL_LEVEL_INSTANCE,
     yl_h_expiring, "the same for a team's contracts", YL_ACCESS_CLINICAL},
    {"GET", "/fhir/CareTeam/{id}/$residents", "$residents", YL_LEVEL_INSTANCE, yl_h_team_residents,
     "a team's contracted residents (key-population, name, _count, _offset): masked identity "
     "and phone numbers, each with its key populations and contract",
     YL_ACCESS_CLINICAL},
    {"GET", "/fhir", "search-system", YL_LEVEL_SYSTEM, yl_h_search_system,
     "search every type, or those in _type; common parameters only across several types",
     YL_ACCESS_USER},
    {"POST", "/fhir/_search", "search-system", YL_LEVEL_SYSTEM, yl_h_search_system_post,
     "system search with the parameters in a form body", YL_ACCESS_USER},
    {"GET", "/fhir/_history", "history-system", YL_LEVEL_SYSTEM, yl_h_history_system,
     "every change in the store, newest first (_since, _count, _summary=count)", YL_ACCESS_USER},
    {"GET", "/fhir/{type}/_history", "history-type", YL_LEVEL_TYPE, yl_h_history_type,
     "every change to resources of one type, newest first", YL_ACCESS_USER},
    {"GET", "/fhir/{type}", "search-type", YL_LEVEL_TYPE, yl_h_search_type,
     "search: a searchset Bundle with self and next links (cursor paging)", YL_ACCESS_USER},
    {"POST", "/fhir/{type}/_search", "search-type", YL_LEVEL_TYPE, yl_h_search_type_post,
     "search with the parameters in a form body (application/x-www-form-urlencoded)",
     YL_ACCESS_USER},
    {"POST", "/fhir/EpisodeOfCare/$sign", "$sign", YL_LEVEL_TYPE, yl_h_contract_sign,
     "sign a family-doctor contract (Parameters: patient, team, doctor?, package*, start?, "
     "end?): 201 and the EpisodeOfCare; the contracting rules enforced (409, 422)",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/EpisodeOfCare/{id}/$renew", "$renew", YL_LEVEL_INSTANCE, yl_h_contract_renew,
     "renew a contract (Parameters: package*, end?): 201 and the new EpisodeOfCare, "
     "starting the day after the old one ends (today if it has expired)",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/EpisodeOfCare/{id}/$transfer", "$transfer", YL_LEVEL_INSTANCE,
     yl_h_contract_transfer,
     "move a contract to another team (Parameters: team, doctor?, date?): the old one ends "
     "(state transferred), the new one is signed for the rest of the period; 201",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/EpisodeOfCare/{id}/$terminate", "$terminate", YL_LEVEL_INSTANCE,
     yl_h_contract_terminate,
     "end a contract (Parameters: reason as a code of contract-termination-reason, date?): "
     "200 and the finished EpisodeOfCare",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/Patient/{id}/$record-followup", "$record-followup", YL_LEVEL_INSTANCE,
     yl_h_record_followup,
     "record a hypertension or diabetes follow-up visit (Parameters: programme, date?, way?, "
     "readings, symptom*, adverse-reaction?, complication?, adherence?, doctor?, encounter? "
     "to edit): the visit classified by the programme's rule pack; 200 and a Parameters "
     "with classification, next-step, next-date, referral-reason*, danger-sign*",
     YL_ACCESS_CLINICAL},
    {"GET", "/fhir/CareTeam/{id}/$worklist", "$worklist", YL_LEVEL_INSTANCE, yl_h_worklist,
     "a team's chronic-care worklist (list = due | overdue | two-week | urgent-referral | "
     "lost-to-follow-up | not-enrolled; programme, doctor, _sort, _count, _offset): a "
     "searchset of masked Patients, each with its worklist-item extension",
     YL_ACCESS_CLINICAL},
    {"GET", "/fhir/Practitioner/{id}/$worklist", "$worklist", YL_LEVEL_INSTANCE, yl_h_worklist,
     "the same for the residents whose contract names this doctor", YL_ACCESS_CLINICAL},
    {"GET", "/fhir/Practitioner/{id}/$digit-preference", "$digit-preference", YL_LEVEL_INSTANCE,
     yl_h_digit_preference,
     "a doctor's systolic readings of follow-ups in a period (start, end): share ending in 0, "
     "share just under 140, and the plausibility flags they raise (a Parameters)",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/Patient/{id}/$enrol", "$enrol", YL_LEVEL_INSTANCE, yl_h_enrol,
     "enrol a resident in a programme (Parameters: programme, date?, doctor?): 201 and the "
     "EpisodeOfCare; 422 when not eligible (age, diagnosis), 409 when already enrolled",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/EpisodeOfCare/{id}/$end-management", "$end-management", YL_LEVEL_INSTANCE,
     yl_h_end_management,
     "end a resident's programme management (Parameters: reason as a code of "
     "management-end-reason, date?): 200 and the finished EpisodeOfCare",
     YL_ACCESS_CLINICAL},
    {"POST", "/fhir/{type}/$validate", "$validate", YL_LEVEL_TYPE, yl_h_validate,
     "$validate: the resource (or a Parameters holding it) checked, nothing stored; 200 and "
     "an OperationOutcome",
     YL_ACCESS_USER},
    {"POST", "/fhir/{type}", "create", YL_LEVEL_TYPE, yl_h_create,
     "create with a server-assigned id: 201, Location, ETag, Last-Modified; If-None-Exist "
     "makes it conditional (one match: 200 and that resource; several: 412)",
     YL_ACCESS_CLINICAL},
    {"PUT", "/fhir/{type}", "update", YL_LEVEL_TYPE, yl_h_update_conditional,
     "conditional update: the one resource the query matches; none: create; several: 412",
     YL_ACCESS_CLINICAL},
    {"PATCH", "/fhir/{type}", "patch", YL_LEVEL_TYPE, yl_h_patch_conditional,
     "conditional patch: JSON Patch on the one resource the query matches; none: 404",
     YL_ACCESS_CLINICAL},
    {"DELETE", "/fhir/{type}", "delete", YL_LEVEL_TYPE, yl_h_delete_conditional,
     "conditional delete: the one resource the query matches; several: 412", YL_ACCESS_CLINICAL},
    {"GET", "/fhir/{type}/{id}", "read", YL_LEVEL_INSTANCE, yl_h_read,
     "the current version, as stored; 410 if deleted; 304 for If-None-Match or "
     "If-Modified-Since when the client's copy is current",
     YL_ACCESS_USER},
    {"PUT", "/fhir/{type}/{id}", "update", YL_LEVEL_INSTANCE, yl_h_update,
     "update, or create with the client's id; If-Match for optimistic locking", YL_ACCESS_CLINICAL},
    {"PATCH", "/fhir/{type}/{id}", "patch", YL_LEVEL_INSTANCE, yl_h_patch,
     "JSON Patch (application/json-patch+json); a new version, If-Match honoured",
     YL_ACCESS_CLINICAL},
    {"DELETE", "/fhir/{type}/{id}", "delete", YL_LEVEL_INSTANCE, yl_h_delete,
     "delete: a versioned tombstone; later reads answer 410", YL_ACCESS_CLINICAL},
    {"GET", "/fhir/{type}/{id}/_history", "history-instance", YL_LEVEL_INSTANCE,
     yl_h_history_instance, "every version of one resource, newest first", YL_ACCESS_USER},
    {"GET", "/fhir/{type}/{id}/_history/{vid}", "vread", YL_LEVEL_INSTANCE, yl_h_vread,
     "one version of a resource", YL_ACCESS_USER},
    {"POST", "/fhir/{type}/{id}/$validate", "$validate", YL_LEVEL_INSTANCE, yl_h_validate_instance,
     "$validate as an update of that resource (the body must carry its id)", YL_ACCESS_USER},
    {"GET", "/fhir/Patient/{id}/$everything", "$everything", YL_LEVEL_INSTANCE, yl_h_everything,
     "$everything: the patient, every resource in the patient's compartment and what they "
     "refer to, paged (_since, _type, _count)",
     YL_ACCESS_USER},
    {"GET", "/fhir/{type}/{id}/{compartment}", "search-type", YL_LEVEL_INSTANCE,
     yl_h_search_compartment, "compartment search: Patient/{id}/{type} with search parameters",
     YL_ACCESS_USER},
};

const size_t yl_fhir_route_count = sizeof yl_fhir_routes / sizeof yl_fhir_routes[0];
