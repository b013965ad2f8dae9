/* err.h -- the one result/error type of yilian.
 *
 * enum yl_code comes from errors.def (name, HTTP status, FHIR issue code, meaning).
 * struct yl_err carries the code plus a list of issues; each issue has a severity, a
 * FHIR issue code, a message a user can act on and, when known, the FHIRPath
 * `expression` of the offending element. Validation appends every problem it finds, so
 * one OperationOutcome lists them all (PostgreSQL's soft errors).
 * Memory: issues and their strings live in the arena passed to yl_err_add().
 * Messages: lower-case, no trailing period, quote values, and never patient data. */
#ifndef YL_ERR_H
#define YL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"

enum yl_code {
#define YL_ERR(name, status, issue, doc) YL_##name,
#include "core/errors.def"
#undef YL_ERR
	YL_CODE_COUNT
};

struct yl_issue {
	struct yl_issue *next;
	const char *severity;   /* "error", "warning", "information" */
	const char *code;       /* FHIR issue-type code, e.g. "invalid" */
	const char *message;    /* diagnostics */
	const char *expression; /* FHIRPath of the element, or NULL */
};

struct yl_err {
	enum yl_code code;      /* YL_OK while nothing went wrong */
	struct yl_issue *first; /* issues in the order they were added */
	struct yl_issue *last;
	size_t count;
};

int yl_code_status(enum yl_code c);
const char *yl_code_issue(enum yl_code c);
const char *yl_code_name(enum yl_code c);
const char *yl_code_doc(enum yl_code c);

void yl_err_init(struct yl_err *e);

/* Record an error issue. The first call sets e->code; later ones keep it.
 * expression may be NULL. Always returns the (first) code, so handlers can
 * `return yl_err_add(...)`. Out of memory still sets the code. */
enum yl_code yl_err_add(struct yl_err *e, struct yl_arena *a, enum yl_code code,
                        const char *expression, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
enum yl_code yl_err_vadd(struct yl_err *e, struct yl_arena *a, enum yl_code code,
                         const char *expression, const char *fmt, va_list ap);

/* Record a warning/information issue without changing e->code. */
void yl_err_note(struct yl_err *e, struct yl_arena *a, const char *severity, const char *issue_code,
                 const char *expression, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
