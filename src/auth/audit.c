/* audit.c -- see audit.h. */
#include "auth/audit.h"

#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "core/buf.h"
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
     "Security Roles Changed", CS_YILIAN "audit-event", "permission-change",
     "Permission change"},
    {"break-the-glass", "http://dicom.nema.org/resources/ontology/DCM", "110113",
     "Security Alert", CS_YILIAN "audit-event", "break-the-glass", "Emergency access"},
    {"export", "http://dicom.nema.org/resources/ontology/DCM", "110106", "Export",
     "http://hl7.org/fhir/restful-interaction", "operation", "operation"},
};

static void coding(struct yl_buf *b, const char *system, const char *code, const char *display)
{
	yl_buf_adds(b, "{\"system\":");
	yl_buf_json_str(b, system);
	yl_buf_adds(b, ",\"code\":");
	yl_buf_json_str(b, code);
	if (display) {
		yl_buf_adds(b, ",\"display\":");
		yl_buf_json_str(b, display);
	}
	yl_buf_addc(b, '}');
}

bool yl_audit_record(struct yl_arena *a, const struct yl_audit_in *in, struct yl_audit_rec *rec)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 1024, 1 << 20);
	int64_t at = in->at ? in->at : yl_now_us();
	char when[YL_INSTANT_LEN];
	yl_format_instant(at, when);
	yl_buf_adds(&b, "{\"resourceType\":\"AuditEvent\",\"type\":");
	size_t k = 0;
	while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].subtype, in->subtype))
		k++;
	if (k < sizeof kinds / sizeof kinds[0]) {
		coding(&b, kinds[k].type_system, kinds[k].type_code, kinds[k].type_display);
		yl_buf_adds(&b, ",\"subtype\":[");
		coding(&b, kinds[k].sub_system, kinds[k].sub_code, kinds[k].sub_display);
	} else {
		coding(&b, "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
		       "RESTful Operation");
		yl_buf_adds(&b, ",\"subtype\":[");
		coding(&b, "http://hl7.org/fhir/restful-interaction", in->subtype, NULL);
	}
	yl_buf_printf(&b, "],\"action\":\"%c\",\"recorded\":\"%s\",\"outcome\":\"%s\"",
	              in->action ? in->action : 'E', when,
	              in->status < 400   ? "0"
	              : in->status < 500 ? "4"
	                                 : "8");
	yl_buf_printf(&b, ",\"outcomeDesc\":\"HTTP %d", in->status);
	if (in->detail) {
		yl_buf_adds(&b, ": ");
		size_t len = b.len;
		yl_buf_json_str(&b, in->detail); /* quoted; drop the quotes */
		if (!b.err && b.len >= len + 2) {
			memmove(b.p + len, b.p + len + 1, b.len - len - 2);
			b.len -= 2;
		}
	}
	yl_buf_addc(&b, '"');
	if (in->purpose || in->emergency) {
		yl_buf_adds(&b, ",\"purposeOfEvent\":[{\"coding\":[");
		coding(&b, "http://terminology.hl7.org/CodeSystem/v3-ActReason",
		       in->emergency ? "ETREAT" : "HOPERAT",
		       in->emergency ? "Emergency Treatment" : "healthcare operations");
		yl_buf_adds(&b, "]");
		if (in->purpose) {
			yl_buf_adds(&b, ",\"text\":");
			yl_buf_json_str(&b, in->purpose);
		}
		yl_buf_adds(&b, "}]");
	}
	/* the agent: who, their roles, from where */
	const struct yl_principal *who = in->who;
	const char *user = who ? who->username : in->username;
	yl_buf_adds(&b, ",\"agent\":[{");
	if (who && who->roles) {
		yl_buf_adds(&b, "\"role\":[");
		for (unsigned bit = 1, n = 0; bit && bit <= YL_ROLE_RESIDENT; bit <<= 1)
			if (who->roles & bit) {
				yl_buf_adds(&b, n++ ? ",{\"coding\":[" : "{\"coding\":[");
				coding(&b, CS_YILIAN "user-role", yl_role_code(bit), NULL);
				yl_buf_adds(&b, "]}");
			}
		yl_buf_adds(&b, "],");
	}
	yl_buf_adds(&b, "\"who\":{");
	if (who && who->practitioner) {
		yl_buf_adds(&b, "\"reference\":");
		yl_buf_json_str(&b, yl_arena_printf(a, "Practitioner/%s", who->practitioner));
		yl_buf_addc(&b, ',');
	} else if (who && who->patient) {
		yl_buf_adds(&b, "\"reference\":");
		yl_buf_json_str(&b, yl_arena_printf(a, "Patient/%s", who->patient));
		yl_buf_addc(&b, ',');
	}
	yl_buf_adds(&b, "\"display\":");
	yl_buf_json_str(&b, user ? user : "unknown");
	yl_buf_adds(&b, "},\"altId\":");
	yl_buf_json_str(&b, user ? user : "unknown");
	yl_buf_adds(&b, ",\"requestor\":true");
	if (in->peer && *in->peer) {
		yl_buf_adds(&b, ",\"network\":{\"address\":");
		yl_buf_json_str(&b, in->peer);
		yl_buf_adds(&b, ",\"type\":\"2\"}");
	}
	yl_buf_adds(&b, "}],\"source\":{\"observer\":{\"display\":\"yilian\"},\"type\":[");
	coding(&b, "http://terminology.hl7.org/CodeSystem/security-source-type", "4",
	       "Application Server");
	yl_buf_adds(&b, "]}");
	/* what: the resource, the resident, the query */
	bool any = false;
	if (in->what || in->patient || in->query)
		yl_buf_adds(&b, ",\"entity\":[");
	if (in->what) {
		yl_buf_adds(&b, "{\"what\":{\"reference\":");
		yl_buf_json_str(&b, in->what);
		yl_buf_adds(&b, "},\"type\":");
		coding(&b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
		       "System Object");
		yl_buf_addc(&b, '}');
		any = true;
	}
	if (in->patient) {
		yl_buf_adds(&b, any ? ",{\"what\":{\"reference\":" : "{\"what\":{\"reference\":");
		yl_buf_json_str(&b, yl_arena_printf(a, "Patient/%s", in->patient));
		yl_buf_adds(&b, "},\"type\":");
		coding(&b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
		yl_buf_adds(&b, ",\"role\":");
		coding(&b, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
		yl_buf_addc(&b, '}');
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
		yl_buf_adds(&b, any ? ",{\"type\":" : "{\"type\":");
		coding(&b, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
		       "System Object");
		yl_buf_adds(&b, ",\"query\":");
		yl_buf_json_str(&b, enc);
		yl_buf_addc(&b, '}');
		any = true;
	}
	if (any)
		yl_buf_addc(&b, ']');
	yl_buf_addc(&b, '}');
	if (b.err)
		return false;
	*rec = (struct yl_audit_rec){.body = b.p,
	                             .len = b.len,
	                             .patient = in->patient,
	                             .agent = user,
	                             .recorded = at};
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

static const char *write_event(void *ctx, struct yl_arena *a, const struct yl_write *w,
                               size_t *len)
{
	struct yl_req *r = ctx;
	struct yl_audit_in in = {
	    .subtype = w->op == YL_WRITE_DELETE ? "delete" : w->created ? "create" : "update",
	    .action = w->op == YL_WRITE_DELETE ? 'D' : w->created ? 'C' : 'U',
	    .status = w->created ? 201 : 200,
	    .who = r->who,
	    .username = r->who ? NULL : "yilian",
	    .peer = r->peer,
	    .what = yl_arena_printf(a, "%s/%s/_history/%lld", w->type, w->id, (long long)w->version),
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
		w->v->why = yl_arena_printf(w->a,
		                            "event %lld follows event %lld: events %lld to %lld are "
		                            "missing or were renumbered",
		                            (long long)seq, (long long)w->last, (long long)w->last + 1,
		                            (long long)seq - 1);
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
		enum yl_code code =
		    yl_store_audit_scan(c, a, NULL, w.last, false, VERIFY_BATCH, verify_one, &w, err);
		if (code != YL_OK)
			return code;
		if (w.stop || w.last == before)
			break;
	}
	memcpy(v->head, w.prev, sizeof v->head);
	return YL_OK;
}
