/* outcome.c -- OperationOutcome rendering and the error path of every request. */
#include <string.h>

#include "core/buf.h"
#include "fhir/json.h"
#include "fhir/rest.h"

char *yl_fhir_outcome(struct yl_arena *a, const struct yl_err *err, size_t *len)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 256, (size_t)-1);
	yl_buf_adds(&b, "{\"resourceType\":\"OperationOutcome\",\"issue\":[");
	const struct yl_issue *is = err->first;
	if (!is) {
		yl_buf_printf(&b, "{\"severity\":\"%s\",\"code\":\"%s\",\"diagnostics\":",
		              err->code == YL_OK ? "information" : "error",
		              yl_code_issue(err->code));
		yl_buf_json_str(&b, yl_code_doc(err->code));
		yl_buf_addc(&b, '}');
	}
	for (; is; is = is->next) {
		yl_buf_printf(&b, "{\"severity\":\"%s\",\"code\":\"%s\"", is->severity, is->code);
		if (is->message) {
			yl_buf_adds(&b, ",\"diagnostics\":");
			yl_buf_json_str(&b, is->message);
		}
		if (is->expression) {
			yl_buf_adds(&b, ",\"expression\":[");
			yl_buf_json_str(&b, is->expression);
			yl_buf_addc(&b, ']');
		}
		yl_buf_addc(&b, '}');
		if (is->next)
			yl_buf_addc(&b, ',');
	}
	yl_buf_adds(&b, "]}");
	if (b.err)
		return NULL;
	*len = b.len;
	return b.p;
}

void yl_fhir_render_error(struct yl_req *r, const struct yl_err *err)
{
	static const char fallback[] =
	    "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
	    "\"code\":\"exception\",\"diagnostics\":\"out of memory\"}]}";
	r->status = yl_code_status(err->code);
	r->content_type = "application/fhir+json; charset=utf-8";
	r->resp_body = yl_fhir_outcome(r->a, err, &r->resp_len);
	if (!r->resp_body) {
		r->resp_body = fallback;
		r->resp_len = sizeof fallback - 1;
	}
	const char *pretty = yl_url_param(&r->url, "_pretty");
	if (pretty && strcmp(pretty, "true") == 0) {
		size_t n;
		char *p = yl_json_pretty(r->a, r->resp_body, r->resp_len, &n);
		if (p) {
			r->resp_body = p;
			r->resp_len = n;
		}
	}
}
