/* audit.h -- the audit trail's events (issue 7): every read, search, create, update,
 * delete, export, login, failed login, permission change and break-the-glass access is a
 * FHIR AuditEvent (who, their role, what resource or query, which resident, when, from
 * where, the outcome and any stated purpose), appended to the store's hash-chained trail
 * (store.h yl_store_audit_append; core/chain.h). Changes are recorded in the same
 * transaction as the change (store.h yl_write.audit); reads are recorded before their
 * answer leaves.
 *
 * yl_audit_verify() walks the whole trail and recomputes the chain: the first event whose
 * number, link or hash does not hold is named.
 *
 * Memory: rendered events in the caller's arena. Threads: reentrant. */
#ifndef YL_AUTH_AUDIT_H
#define YL_AUTH_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/chain.h"
#include "store/store.h"

struct yl_principal;

struct yl_audit_in {
	const char *subtype; /* the interaction: read, vread, search-type, create, update,
	                      * delete, history-*, operation, export, login, logout,
	                      * login-failed, permission-change, break-the-glass */
	char action;         /* C R U D E (AuditEvent.action) */
	int status;          /* the answer's HTTP status: the outcome */
	const struct yl_principal *who; /* NULL when not known (a failed login) */
	const char *username;           /* when who is NULL */
	const char *peer;               /* source address */
	const char *what;               /* "Patient/1" or NULL */
	const char *query;              /* a search's query string, or NULL */
	const char *patient;            /* the resident concerned, or NULL */
	const char *purpose;            /* a stated purpose or a break-the-glass reason */
	bool emergency;                 /* break-the-glass: flagged for review */
	const char *detail;             /* a short description (outcomeDesc), or NULL */
	int64_t at;                     /* us; 0 = now */
};

/* Render the AuditEvent (no id: its place in the trail becomes it) and fill rec for the
 * store; false when out of memory. */
bool yl_audit_record(struct yl_arena *a, const struct yl_audit_in *in, struct yl_audit_rec *rec);

/* The stored event `seq` as a FHIR AuditEvent with its id (arena text). */
const char *yl_audit_with_id(struct yl_arena *a, int64_t seq, const char *body, size_t len,
                             size_t *out_len);

/* Have w (a write for request r) record its AuditEvent in its own transaction: who (r's
 * caller; the system when none), what version, which resident. Marks r audited once the
 * write succeeds. */
struct yl_req;
void yl_audit_on_write(struct yl_req *r, struct yl_write *w);

/* The trail's writer for reads and searches: a request hands its event over and is
 * answered at once; a thread appends what has gathered every YL_AUDIT_FLUSH_MS (or
 * sooner, YL_AUDIT_BATCH at a time) in one transaction. A read is on the trail within that
 * time, and before any later read of the trail (yl_audit_queue_sync); a crash can lose at
 * most the last YL_AUDIT_FLUSH_MS of reads (never a change: those are recorded with the
 * change). When YL_AUDIT_QUEUE_MAX events wait, requests wait for the writer. Threads:
 * put and sync from any thread. */
#define YL_AUDIT_FLUSH_MS  20
#define YL_AUDIT_BATCH     4096
#define YL_AUDIT_QUEUE_MAX 65536
struct yl_audit_queue;
struct yl_audit_queue *yl_audit_queue_start(struct yl_store *s, struct yl_arena *a,
                                            struct yl_err *err);
/* Copy ev into the queue. */
void yl_audit_queue_put(struct yl_audit_queue *q, const struct yl_audit_rec *ev);
/* Return once every event put before the call is in the store (or the writer failed). */
void yl_audit_queue_sync(struct yl_audit_queue *q);
/* Append what is left and stop the thread. */
void yl_audit_queue_stop(struct yl_audit_queue *q);

struct yl_audit_verdict {
	int64_t events;                  /* events checked */
	int64_t bad_seq;                 /* the first event that breaks the chain, 0 when intact */
	const char *why;                 /* what is wrong with it (arena text), NULL when intact */
	char head[YL_CHAIN_HEX_LEN + 1]; /* the last event's hash: record it elsewhere to
	                                  * detect a trail cut short */
};
enum yl_code yl_audit_verify(struct yl_store_conn *c, struct yl_arena *a,
                             struct yl_audit_verdict *v, struct yl_err *err);

#endif
