/* err.c -- result codes and issue lists. */
#include "core/err.h"

#include <string.h>

static const struct {
	const char *name;
	int status;
	const char *issue;
	const char *doc;
} codes[] = {
#define YL_ERR(name, status, issue, doc) {#name, status, issue, doc},
#include "core/errors.def"
#undef YL_ERR
};

int yl_code_status(enum yl_code c)
{
	return (unsigned)c < YL_CODE_COUNT ? codes[c].status : 500;
}

const char *yl_code_issue(enum yl_code c)
{
	return (unsigned)c < YL_CODE_COUNT ? codes[c].issue : "exception";
}

const char *yl_code_name(enum yl_code c)
{
	return (unsigned)c < YL_CODE_COUNT ? codes[c].name : "UNKNOWN";
}

const char *yl_code_doc(enum yl_code c)
{
	return (unsigned)c < YL_CODE_COUNT ? codes[c].doc : "";
}

void yl_err_init(struct yl_err *e)
{
	memset(e, 0, sizeof(*e));
}

static void push(struct yl_err *e, struct yl_issue *is)
{
	if (e->last)
		e->last->next = is;
	else
		e->first = is;
	e->last = is;
	e->count++;
}

enum yl_code yl_err_vadd(struct yl_err *e, struct yl_arena *a, enum yl_code code,
                         const char *expression, const char *fmt, va_list ap)
{
	if (e->code == YL_OK)
		e->code = code;
	struct yl_issue *is = yl_arena_calloc(a, 1, sizeof(*is));
	if (!is)
		return e->code;
	is->severity = "error";
	is->code = yl_code_issue(code);
	is->message = yl_arena_vprintf(a, fmt, ap);
	is->expression = expression ? yl_arena_strdup(a, expression) : NULL;
	push(e, is);
	return e->code;
}

enum yl_code yl_err_add(struct yl_err *e, struct yl_arena *a, enum yl_code code,
                        const char *expression, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum yl_code r = yl_err_vadd(e, a, code, expression, fmt, ap);
	va_end(ap);
	return r;
}

void yl_err_note(struct yl_err *e, struct yl_arena *a, const char *severity, const char *issue_code,
                 const char *expression, const char *fmt, ...)
{
	struct yl_issue *is = yl_arena_calloc(a, 1, sizeof(*is));
	if (!is)
		return;
	va_list ap;
	va_start(ap, fmt);
	is->message = yl_arena_vprintf(a, fmt, ap);
	va_end(ap);
	is->severity = severity;
	is->code = issue_code;
	is->expression = expression ? yl_arena_strdup(a, expression) : NULL;
	push(e, is);
}
