/* parameters.h -- the input of a FHIR operation: a Parameters resource checked against the
 * operation's table of parameters (name, value type, how many), so every operation answers
 * a wrong input the same way: 400 with an OperationOutcome naming the parameter.
 *
 * Memory: values point into the caller's document. Threads: reentrant. */
#ifndef YL_FHIR_PARAMETERS_H
#define YL_FHIR_PARAMETERS_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

struct json_t;

struct yl_opparam {
	const char *name;
	const char *value; /* the value[x] it takes: "valueReference", "valueDate", "valueCode" */
	int min, max;      /* max 0 = any number */
};

/* body must be a Parameters whose every parameter is in spec[0..n) with its value type,
 * each within its counts; every problem is added to err (YL_BAD_REQUEST), and the first
 * code returned. A code parameter also takes a valueCoding; a date a valueDateTime (its
 * date part is used); a decimal a valueInteger or a valueQuantity (the caller checks its
 * unit). */
enum yl_code yl_params_check(struct yl_arena *a, const struct json_t *body,
                             const struct yl_opparam *spec, size_t n, const char *operation,
                             struct yl_err *err);

/* The value of the i-th parameter called name (the valueReference object, ...), or NULL. */
const struct json_t *yl_params_get(const struct json_t *body, const char *name, size_t i);
/* The value as a string: a valueDate, valueCode, valueString, a valueCoding's code, a
 * valueReference's reference; NULL when absent. */
const char *yl_params_str(const struct json_t *body, const char *name, size_t i);

#endif
