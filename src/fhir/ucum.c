/* ucum.c -- loads terminology/ucum-units.json into one sorted array (binary search). The
 * codes and canonical names are copied into one block after the array, so the table is two
 * allocations at most and one free. */
#include "fhir/ucum.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct unit {
	const char *code;
	const char *canon;
	double factor;
};

static struct unit *units;
static size_t unit_count;

static int cmp_unit(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;
	return strcmp(x->code, y->code);
}

static int cmp_key(const void *key, const void *elem)
{
	const struct unit *u = elem;
	return strcmp(key, u->code);
}

void yl_ucum_unload(void)
{
	free(units);
	units = NULL;
	unit_count = 0;
}

/* Checks every entry; returns the bytes needed for the strings, or 0 on a bad entry. */
static size_t check_units(const json_t *list, size_t *bad)
{
	size_t bytes = 0, i;
	const json_t *u;
	json_array_foreach (list, i, u) {
		const json_t *code = json_object_get(u, "code");
		const json_t *canon = json_object_get(u, "canonical");
		const json_t *factor = json_object_get(u, "factor");
		if (!json_is_string(code) || !json_is_string(canon) || !json_is_number(factor) ||
		    !(json_number_value(factor) > 0)) {
			*bad = i;
			return 0;
		}
		bytes += json_string_length(code) + json_string_length(canon) + 2;
	}
	return bytes;
}

static char *copy_str(char **pool, const json_t *s)
{
	char *out = *pool;
	size_t n = json_string_length(s);
	memcpy(out, json_string_value(s), n);
	out[n] = '\0';
	*pool += n + 1;
	return out;
}

enum yl_code yl_ucum_load(const char *path, struct yl_arena *a, struct yl_err *err)
{
	enum yl_code rc = YL_OK;
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return yl_err_add(err, a, YL_IO, NULL, "cannot load unit table \"%s\": %s", path,
		                  jerr.text);
	const json_t *list = json_object_get(doc, "units");
	size_t n = json_array_size(list), bad = 0, i;
	if (!json_is_array(list) || n == 0 || n > YL_UCUM_MAX_UNITS) {
		rc = yl_err_add(err, a, YL_IO, NULL,
		                "unit table \"%s\": \"units\" must be an "
		                "array of 1 to %d entries",
		                path, YL_UCUM_MAX_UNITS);
		goto out;
	}
	size_t bytes = check_units(list, &bad);
	if (!bytes) {
		rc = yl_err_add(err, a, YL_IO, NULL,
		                "unit table \"%s\": entry %zu needs code, "
		                "canonical and a positive factor",
		                path, bad);
		goto out;
	}
	struct unit *t = malloc(n * sizeof(*t) + bytes);
	if (!t) {
		rc = yl_err_add(err, a, YL_NOMEM, NULL, "out of memory loading the unit table");
		goto out;
	}
	char *pool = (char *)(t + n);
	const json_t *u;
	json_array_foreach (list, i, u) {
		t[i].code = copy_str(&pool, json_object_get(u, "code"));
		t[i].canon = copy_str(&pool, json_object_get(u, "canonical"));
		t[i].factor = json_number_value(json_object_get(u, "factor"));
	}
	qsort(t, n, sizeof(*t), cmp_unit);
	for (i = 1; i < n; i++) {
		if (!strcmp(t[i - 1].code, t[i].code)) {
			rc = yl_err_add(err, a, YL_IO, NULL,
			                "unit table \"%s\": unit \"%s\" is listed "
			                "twice",
			                path, t[i].code);
			free(t);
			goto out;
		}
	}
	yl_ucum_unload();
	units = t;
	unit_count = n;
out:
	json_decref(doc);
	return rc;
}

int yl_ucum_canonical(const char *code, const char **canon, double *factor)
{
	if (!units || !code)
		return 0;
	const struct unit *u = bsearch(code, units, unit_count, sizeof(*u), cmp_key);
	if (!u)
		return 0;
	*canon = u->canon;
	*factor = u->factor;
	return 1;
}
