/* parameters.c -- operation input checked against a table (parameters.h). */
#include "fhir/parameters.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* The value[x] member of a parameter, and its name. */
static const json_t *value_of(const json_t *p, const char **key)
{
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *)p, k, v)
		if (strncmp(k, "value", 5) == 0) {
			*key = k;
			return v;
		}
	*key = NULL;
	return NULL;
}

static bool accepts(const struct yl_opparam *s, const char *key)
{
	if (strcmp(s->value, key) == 0)
		return true;
	if (!strcmp(s->value, "valueCode"))
		return !strcmp(key, "valueCoding");
	if (!strcmp(s->value, "valueDate"))
		return !strcmp(key, "valueDateTime");
	if (!strcmp(s->value, "valueDecimal"))
		return !strcmp(key, "valueInteger") || !strcmp(key, "valueQuantity");
	return false;
}

enum yl_code yl_params_check(struct yl_arena *a, const json_t *body, const struct yl_opparam *spec,
                             size_t n, const char *operation, struct yl_err *err)
{
	const char *rt = json_string_value(json_object_get(body, "resourceType"));
	if (!rt || strcmp(rt, "Parameters") != 0)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "%s takes a Parameters resource as its body", operation);
	int count[32] = {0};
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(body, "parameter"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *at = yl_arena_printf(a, "Parameters.parameter[%zu]", i);
		size_t k = 0;
		while (name && k < n && strcmp(spec[k].name, name) != 0)
			k++;
		if (!name || k == n) {
			yl_err_add(err, a, YL_BAD_REQUEST, at, "%s has no parameter '%.64s'",
			           operation, name ? name : "(no name)");
			continue;
		}
		const char *key;
		if (!value_of(p, &key) || !accepts(&spec[k], key)) {
			yl_err_add(err, a, YL_BAD_REQUEST, at, "%s: '%s' takes a %s", operation,
			           name, spec[k].value);
			continue;
		}
		if (k < 32)
			count[k]++;
	}
	for (size_t k = 0; k < n && k < 32; k++) {
		if (count[k] < spec[k].min)
			yl_err_add(err, a, YL_BAD_REQUEST, "Parameters",
			           "%s needs the parameter '%s'", operation, spec[k].name);
		if (spec[k].max && count[k] > spec[k].max)
			yl_err_add(err, a, YL_BAD_REQUEST, "Parameters",
			           "%s takes '%s' at most %d time%s", operation, spec[k].name,
			           spec[k].max, spec[k].max == 1 ? "" : "s");
	}
	return err->code;
}

const json_t *yl_params_get(const json_t *body, const char *name, size_t i)
{
	size_t k;
	const json_t *p;
	json_array_foreach (json_object_get(body, "parameter"), k, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n && strcmp(n, name) == 0 && i-- == 0) {
			const char *key;
			return value_of(p, &key);
		}
	}
	return NULL;
}

const char *yl_params_str(const json_t *body, const char *name, size_t i)
{
	const json_t *v = yl_params_get(body, name, i);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_object_get(v, "reference"))
		return json_string_value(json_object_get(v, "reference"));
	return json_string_value(json_object_get(v, "code"));
}
