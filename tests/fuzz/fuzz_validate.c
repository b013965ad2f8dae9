/* fuzz_validate.c -- libFuzzer target for yl_fhir_validate (fhir/validate.h).
 *
 * Parses the input with jansson (JSON_REJECT_DUPLICATES, as the server does) and validates
 * it, once as any resource and once as a Patient, checking the API's invariants.
 * Build with clang -fsanitize=fuzzer (make fuzz); without libFuzzer, tests/fuzz/replay.c
 * supplies main() and replays the seed corpus tests/fuzz/corpus/validate. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "fhir/validate.h"

static void run(const json_t *j, const char *expected)
{
	struct yl_arena *a = yl_arena_create(0);
	if (!a)
		return;
	struct yl_err e;
	yl_err_init(&e);
	int n = yl_fhir_validate(a, j, expected, &e);
	if (n < 0 || n > YL_FHIR_MAX_ISSUES + 1 || (size_t)n != e.count || (n == 0) != !e.first ||
	    (n && e.code != YL_INVALID_RESOURCE))
		abort();
	for (const struct yl_issue *is = e.first; is; is = is->next)
		if (!is->message)
			abort();
	yl_arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return 0;
	run(j, NULL);
	run(j, "Patient");
	json_decref(j);
	return 0;
}
