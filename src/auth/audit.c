/* audit.c -- see audit.h. */
#include "auth/audit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/time.h"
#include "http/http.h"

#define CS_YILIAN "https://yilian.health/fhir/CodeSystem/"

/* AuditEvent.type and subtype per kind of event: REST interactions are "rest" with the
 * interaction code; logins and logouts are DICOM's User Authentication. */
static const struct {
	const char *subtype;
	const char *type_system, *type_code, *type_display;
	const char *sub_system, *sub_code, *sub_display;
} kinds[] = {
    {"login", "http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication",
     "http://dicom.nema.org/resources/ontology/DCM", "110122", "Login"},
    {"login-failed", "http://dicom.nema.org/resources/ontology/DCM", "110114",
     "User Authentication", "http://dicom.nema.org/resources/ontology/DCM", "110122", "Login"},
    {"logout", "http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication",
     "http://dicom.nema.org/resources/ontology/DCM", "110123", "Logout"},
    {"permission-change", "http://dicom.nema.org/resources/ontology/DCM", "110136",
     "Security Roles Changed", CS_YILIAN "audit-event", "permission-change", "Permission change"},
    {"break-the-glass", "http://dicom.nema.org/resources/ontology/DCM", "110113", "Security Alert",
     CS_YILIAN "audit-event", "break-the-glass", "Emergency access"},
    {"export", "http://dicom.nema.org/resources/ontology/DCM", "110106", "Export",
     "http://hl7.org/fhir/restful-interaction", "operation", "operation"},
    {"import", "http://dicom.nema.org/resources/ontology/DCM", "110107", "Import",
     "http://hl7.org/fhir/restful-interaction", "operation", "operation"},
};

/* Text known when compiling, appended with its length (no strlen, no printf: every read
 * renders one of these events). */
#define ADD(b, lit) yl_buf_add((b), (lit), sizeof(lit) - 1)

/* A Coding. Displays are left out: the trail holds millions of events, and the code
 * systems say what each code means. The system is one of this file's constants (nothing to
 * escape); the code is escaped. */
static void coding(struct yl_buf *b, const char *system, const char *code, const char *display)
{
	(void)display;
	ADD(b, "{\"system\":\"");
	yl_buf_adds(b, system);
	ADD(b, "\",\"code\":");
	yl_buf_json_str(b, code);
	yl_buf_addc(b, '}');
}

/* "Type/id" as a JSON string (type: a constant). */
static void reference(struct yl_buf *b, const char *type, const char *id)
{
	yl_buf_addc(b, '"');
	yl_buf_adds(b, type);
	yl_buf_addc(b, '/');
	yl_buf_json_escape(b, id, strlen(id));
	yl_buf_addc(b, '"');
}

/* type, subtype, action, recorded, outcome */
static void what_happened(struct yl_buf *b, const struct yl_audit_in *in, int64_t at)
{
	size_t k = 0;
	while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].subtype, in->subtype))
		k++;
	if (k < sizeof kinds / sizeof kinds[0]) {
		coding(b, kinds[k].type_system, kinds[k].type_code, kinds[k].type_display);
		ADD(b, ",\"subtype\":[");
		coding(b, kinds[k].sub_system, kinds[k].sub_code, kinds[k].sub_display);
	} else {
		coding(b, "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
		       "RESTful Operation");
		ADD(b, ",\"subtype\":[");
		coding(b, "http://hl7.org/fhir/restful-interaction", in->subtype, NULL);
	}
	char when[YL_INSTANT_LEN];
	yl_format_instant(at, when);
	ADD(b, "],\"action\":\"");
	yl_buf_addc(b, in->action ? in->action : 'E');
	ADD(b, "\",\"recorded\":\"");
	yl_buf_adds(b, when);
	ADD(b, "\",\"outcome\":\"");
	yl_buf_addc(b, in->status < 400 ? '0' : in->status < 500 ? '4' : '8');
	yl_buf_addc(b, '"');
	if (in->status >= 300 || in->detail) /* a success needs no words */
		yl_buf_printf(b, ",\"outcomeDesc\":\"HTTP %d", in->status);
	if (in->detail) {
		ADD(b, ": ");
		yl_buf_json_escape(b, in->detail, strlen(in->detail));
	}
	if (in->status >= 300 || in->detail)
		yl_buf_addc(b, '"');
	if (in->purpose || in->emergency) {
		ADD(b, ",\"purposeOfEvent\":[{\"coding\":[");
		coding(b, "http://terminology.hl7.org/CodeSystem/v3-ActReason",
		       in->emergency ? "ETREAT" : "HOPERAT",
		       in->emergency ? "Emergency Treatment" : "healthcare operations");
		ADD(b, "]");
		if (in->purpose) {
			ADD(b, ",\"text\":");
			yl_buf_json_str(b, in->purpose);
		}
		ADD(b, "}]");
	}
}

/* the agent: who, their roles, from where */
static void agent(struct yl_buf *b, const struct yl_audit_in *in, const char *user)
{
	const struct yl_principal *who = in->who;
	ADD(b, ",\"agent\":[{");
	if (who && who->roles) {
		ADD(b, "\"role\":[");
		for (unsigned bit = 1, n = 0; bit && bit <= YL_ROLE_RESIDENT; bit <<= 1)
			if (who->roles & bit) {
				if (n++)
					yl_buf_addc(b, ',');
				ADD(b, "{\"coding\":[");
				coding(b, CS_YILIAN "user-role", yl_role_code(bit), NULL);
				ADD(b, "]}");
			}
		ADD(b, "],");
	}
	if (who && (who->practitioner || who->patient)) {
		ADD(b, "\"who\":{\"reference\":");
		if (who->practitioner)
			reference(b, "Practitioner", who->practitioner);
		else
			reference(b, "Patient", who->patient);
		ADD(b, "},");
	}
	ADD(b, "\"altId\":");
	yl_buf_json_str(b, user ? user : "unknown");
	ADD(b, ",\"requestor\":true");
	if (in->peer && *in->peer) {
		ADD(b, ",\"network\":{\"address\":");
		yl_buf_json_str(b, in->peer);
		ADD(b, ",\"type\":\"2\"}");
	}
	ADD(b, "}],\"source\":{\"observer\":{\"display\":\"yilian\"}}");
}

/* what: the resource, the resident, the query */
static bool entities(struct yl_buf *b, struct yl_arena *a, const struct yl_audit_in *in)
{
	bool any = false;
	/* a read of the resident's own Patient names it once, as the patient */
	const char *what = in->what;
	if (what && in->patient && strncmp(what, "Patient/", 8) == 0 &&
	    strcmp(what + 8, in->patient) == 0)
		what = NULL;
	if (what || in->patient || in->query)
		ADD(b, ",\"entity\":[");
	if (what) {
		ADD(b, "{\"what\":{\"reference\":");
		yl_buf_json_str(b, what);
		ADD(b, "},\"type\":");
		coding(b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
		       "System Object");
		yl_buf_addc(b, '}');
		any = true;
	}
	if (in->patient) {
		if (any)
			yl_buf_addc(b, ',');
		ADD(b, "{\"what\":{\"reference\":");
		reference(b, "Patient", in->patient);
		ADD(b, "},\"type\":");
		coding(b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
		ADD(b, ",\"role\":");
		coding(b, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
		yl_buf_addc(b, '}');
		any = true;
	}
	if (in->query) {
		size_t n = strlen(in->query);
		size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
		char *enc = yl_arena_alloc(a, cap);
		if (!enc)
			return false;
		sodium_bin2base64(enc, cap, (const unsigned char *)in->query, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		if (any)
			yl_buf_addc(b, ',');
		ADD(b, "{\"type\":");
		coding(b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
		       "System Object");
		ADD(b, ",\"query\":");
		yl_buf_json_str(b, enc);
		yl_buf_addc(b, '}');
		any = true;
	}
	if (any)
		yl_buf_addc(b, ']');
	return true;
}

bool yl_audit_record(struct yl_arena *a, const struct yl_audit_in *in, struct yl_audit_rec *rec)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 1024, 1 << 20);
	int64_t at = in->at ? in->at : yl_now_us();
	const char *user = in->who ? in->who->username : in->username;
	ADD(&b, "{\"resourceType\":\"AuditEvent\",\"type\":");
	what_happened(&b, in, at);
	agent(&b, in, user);
	if (!entities(&b, a, in))
		return false;
	yl_buf_addc(&b, '}');
	if (b.err)
		return false;
	*rec = (struct yl_audit_rec){
	    .body = b.p, .len = b.len, .patient = in->patient, .agent = user, .recorded = at};
	return true;
}

const char *yl_audit_with_id(struct yl_arena *a, int64_t seq, const char *body, size_t len,
                             size_t *out_len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, len + 32, len + 64);
	yl_buf_printf(&b, "{\"resourceType\":\"AuditEvent\",\"id\":\"%lld\"", (long long)seq);
	static const char head[] = "{\"resourceType\":\"AuditEvent\"";
	if (len >= sizeof head - 1 && memcmp(body, head, sizeof head - 1) == 0)
		yl_buf_add(&b, body + sizeof head - 1, len - (sizeof head - 1));
	else
		yl_buf_adds(&b, "}");
	*out_len = b.len;
	yl_buf_addc(&b, '\0');
	return b.err ? NULL : b.p;
}

static const char *write_event(void *ctx, struct yl_arena *a, const struct yl_write *w, size_t *len)
{
	struct yl_req *r = ctx;
	struct yl_audit_in in = {
	    .subtype = w->op == YL_WRITE_DELETE ? "delete"
	               : w->created             ? "create"
	                                        : "update",
	    .action = w->op == YL_WRITE_DELETE ? 'D'
	              : w->created             ? 'C'
	                                       : 'U',
	    .status = w->created ? 201 : 200,
	    .who = r->who,
	    .username = r->who ? NULL : "yilian",
	    .peer = r->peer,
	    .what =
	        yl_arena_printf(a, "%s/%s/_history/%lld", w->type, w->id, (long long)w->version),
	    .patient = w->patient,
	    .at = w->last_updated,
	};
	struct yl_audit_rec rec;
	if (!in.what || !yl_audit_record(a, &in, &rec))
		return NULL;
	r->audited = true;
	*len = rec.len;
	return rec.body;
}

void yl_audit_on_write(struct yl_req *r, struct yl_write *w)
{
	w->audit = write_event;
	w->audit_ctx = r;
	w->audit_agent = r->who ? r->who->username : "yilian";
}

/* ---- verification ------------------------------------------------------------------- */

#define VERIFY_BATCH 4096

struct walk {
	struct yl_arena *a;
	struct yl_audit_verdict *v;
	char prev[YL_CHAIN_HEX_LEN + 1];
	int64_t last; /* the last seq seen */
	bool stop;
};

static int verify_one(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev)
{
	struct walk *w = ctx;
	if (seq != w->last + 1) {
		w->v->bad_seq = seq;
		w->v->why = yl_arena_printf(
		    w->a,
		    "event %lld follows event %lld: events %lld to %lld are "
		    "missing or were renumbered",
		    (long long)seq, (long long)w->last, (long long)w->last + 1, (long long)seq - 1);
		w->stop = true;
		return 1;
	}
	char want[YL_CHAIN_HEX_LEN + 1];
	yl_chain_hash(w->prev, seq, ev->body ? ev->body : "", ev->len, want);
	if (strcmp(want, hash) != 0) {
		w->v->bad_seq = seq;
		w->v->why = yl_arena_printf(
		    w->a,
		    "event %lld does not match its hash: it was changed, or an event before it "
		    "was removed, inserted or moved",
		    (long long)seq);
		w->stop = true;
		return 1;
	}
	memcpy(w->prev, want, sizeof w->prev);
	w->last = seq;
	w->v->events++;
	return 0;
}

enum yl_code yl_audit_verify(struct yl_store_conn *c, struct yl_arena *a,
                             struct yl_audit_verdict *v, struct yl_err *err)
{
	*v = (struct yl_audit_verdict){0};
	struct walk w = {.a = a, .v = v, .prev = YL_CHAIN_ORIGIN};
	for (;;) {
		int64_t before = w.last;
		enum yl_code code = yl_store_audit_scan(c, a, NULL, w.last, false, VERIFY_BATCH,
		                                        verify_one, &w, err);
		if (code != YL_OK)
			return code;
		if (w.stop || w.last == before)
			break;
	}
	memcpy(v->head, w.prev, sizeof v->head);
	return YL_OK;
}

/* ---- the writer of read events ------------------------------------------------------ */

/* A queued event, its strings after it. Events are copied one after another into chunks
 * of CHUNK_BYTES (a chunk holds ~300 read events): no malloc and free per event, and the
 * writer's frees do not go back to the request threads' malloc arenas one by one. The
 * writer takes every waiting chunk at once, appends their events YL_AUDIT_BATCH at a time
 * and keeps up to SPARE_CHUNKS of them for reuse. */
struct queued {
	size_t size; /* bytes of this entry with its strings, aligned for the next */
	struct yl_audit_rec rec;
};

#define CHUNK_BYTES  (256 * 1024)
#define SPARE_CHUNKS 4

struct chunk {
	struct chunk *next;
	size_t used, cap; /* bytes of data */
	_Alignas(struct queued) char data[];
};

struct yl_audit_queue {
	struct yl_store *store;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;       /* the writer: events wait, or stop */
	pthread_cond_t moved;      /* callers: a batch was written (room, sync) */
	struct chunk *head, *tail; /* events not yet taken by the writer */
	struct chunk *spare;
	size_t nspare;
	size_t waiting;     /* events in head..tail */
	size_t n;           /* events put and not yet written: at most YL_AUDIT_QUEUE_MAX */
	uint64_t put, done; /* events handed over / written (or given up on) */
	bool stopping;
};

static char *put_str(char **p, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *d = *p;
	memcpy(d, s, n);
	d[n] = '\0';
	*p += n + 1;
	return d;
}

/* A chunk with room for `need` bytes at the tail of the queue (a spare one, or new), or
 * NULL when out of memory. With q->mu held. */
static struct chunk *room(struct yl_audit_queue *q, size_t need)
{
	struct chunk *c = q->tail;
	if (c && c->cap - c->used >= need)
		return c;
	if (q->spare && need <= q->spare->cap) {
		c = q->spare;
		q->spare = c->next;
		q->nspare--;
	} else {
		size_t cap = need > CHUNK_BYTES ? need : CHUNK_BYTES;
		if (!(c = malloc(sizeof *c + cap)))
			return NULL;
		c->cap = cap;
	}
	c->next = NULL;
	c->used = 0;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	return c;
}

void yl_audit_queue_put(struct yl_audit_queue *q, const struct yl_audit_rec *ev)
{
	size_t lp = ev->patient ? strlen(ev->patient) : 0, la = ev->agent ? strlen(ev->agent) : 0;
	size_t align = _Alignof(struct queued);
	size_t need = (sizeof(struct queued) + ev->len + lp + la + 3 + align - 1) & ~(align - 1);
	pthread_mutex_lock(&q->mu);
	while (q->n >= YL_AUDIT_QUEUE_MAX && !q->stopping)
		pthread_cond_wait(&q->moved, &q->mu);
	struct chunk *c = room(q, need);
	if (!c) {
		pthread_mutex_unlock(&q->mu);
		yl_log(YL_LOG_ERROR, "audit: out of memory queueing an event");
		return;
	}
	struct queued *e = (struct queued *)(c->data + c->used);
	c->used += need;
	char *p = (char *)(e + 1);
	e->size = need;
	e->rec = *ev;
	e->rec.body = put_str(&p, ev->body, ev->len);
	e->rec.patient = put_str(&p, ev->patient, lp);
	e->rec.agent = put_str(&p, ev->agent, la);
	if (!e->rec.recorded)
		e->rec.recorded = yl_now_us();
	q->waiting++;
	q->n++;
	q->put++;
	if (q->waiting >= YL_AUDIT_BATCH)
		pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
}

void yl_audit_queue_sync(struct yl_audit_queue *q)
{
	pthread_mutex_lock(&q->mu);
	uint64_t want = q->put;
	pthread_cond_signal(&q->wake);
	while (q->done < want && !(q->stopping && !q->waiting))
		pthread_cond_wait(&q->moved, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

struct writer {
	struct yl_audit_queue *q;
	struct yl_arena *a;
	struct yl_store_conn *c;
	struct yl_audit_rec *recs; /* a transaction's events: cap of them */
	size_t n, cap;
};

/* Append the events gathered in w->recs in one transaction; then callers waiting for room
 * or for their events (sync) are woken. */
static void append(struct writer *w)
{
	struct yl_err err;
	yl_err_init(&err);
	enum yl_code code =
	    w->c ? yl_store_audit_append(w->c, w->a, w->recs, w->n, &err) : YL_NOMEM;
	if (code != YL_OK)
		yl_log(YL_LOG_ERROR, "audit: %zu read events could not be recorded: %s", w->n,
		       err.first ? err.first->message : "out of memory");
	yl_arena_reset(w->a);
	pthread_mutex_lock(&w->q->mu);
	w->q->n -= w->n;
	w->q->done += w->n;
	pthread_cond_broadcast(&w->q->moved);
	pthread_mutex_unlock(&w->q->mu);
	w->n = 0;
}

/* Every event of the chunks taken, w->cap to a transaction. */
static void append_chunks(struct writer *w, struct chunk *list)
{
	for (struct chunk *c = list; c; c = c->next)
		for (size_t off = 0; off < c->used;) {
			const struct queued *e = (const struct queued *)(c->data + off);
			w->recs[w->n++] = e->rec;
			off += e->size;
			if (w->n == w->cap)
				append(w);
		}
	if (w->n)
		append(w);
}

static void *queue_main(void *arg)
{
	struct yl_audit_queue *q = arg;
	struct writer w = {.q = q, .a = yl_arena_create(1 << 16), .cap = YL_AUDIT_BATCH};
	struct yl_err err;
	yl_err_init(&err);
	w.c = w.a ? yl_store_conn(q->store, w.a, &err) : NULL;
	struct yl_audit_rec one; /* without room for a batch, one at a time */
	if (!(w.recs = malloc(YL_AUDIT_BATCH * sizeof *w.recs)))
		w.recs = &one, w.cap = 1;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (!q->waiting && q->stopping)
			break;
		if (!q->waiting || (q->waiting < YL_AUDIT_BATCH && !q->stopping)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += YL_AUDIT_FLUSH_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L)
				ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			pthread_cond_timedwait(&q->wake, &q->mu, &ts);
			if (!q->waiting)
				continue;
		}
		/* take everything queued */
		struct chunk *list = q->head;
		q->head = q->tail = NULL;
		q->waiting = 0;
		pthread_mutex_unlock(&q->mu);
		append_chunks(&w, list);
		pthread_mutex_lock(&q->mu);
		for (struct chunk *c = list, *next; c; c = next) {
			next = c->next;
			if (q->nspare < SPARE_CHUNKS && c->cap == CHUNK_BYTES) {
				c->next = q->spare;
				q->spare = c;
				q->nspare++;
			} else {
				free(c);
			}
		}
	}
	for (struct chunk *c = q->spare, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	q->spare = NULL;
	pthread_mutex_unlock(&q->mu);
	if (w.recs != &one)
		free(w.recs);
	if (w.a) {
		yl_store_conn_release(q->store);
		yl_arena_destroy(w.a);
	}
	return NULL;
}

struct yl_audit_queue *yl_audit_queue_start(struct yl_store *s, struct yl_arena *a,
                                            struct yl_err *err)
{
	struct yl_audit_queue *q = calloc(1, sizeof *q);
	if (!q) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory starting the audit writer");
		return NULL;
	}
	q->store = s;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->moved, NULL);
	if (pthread_create(&q->thread, NULL, queue_main, q) != 0) {
		free(q);
		yl_err_add(err, a, YL_NOMEM, NULL, "cannot start the audit writer thread");
		return NULL;
	}
	return q;
}

void yl_audit_queue_stop(struct yl_audit_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->wake);
	pthread_cond_broadcast(&q->moved);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->moved);
	free(q);
}
