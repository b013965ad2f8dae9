/* compartment.c -- find the patient a resource belongs to, from the generated rules. */
#include "fhir/compartment.h"

#include "core/id.h"

#include <stdlib.h>
#include <string.h>

static int cmp_rule(const void *key, const void *elem)
{
	return strcmp(key, ((const struct yl_compartment_rule *)elem)->type);
}

/* "Patient/123" or "Patient/123/_history/2" -> "123". Absolute URLs are left out: they
 * may name another server's patient. */
static const char *patient_id_of_ref(struct yl_arena *a, const char *ref)
{
	if (strncmp(ref, "Patient/", 8) != 0)
		return NULL;
	const char *p = ref + 8;
	size_t n = strcspn(p, "/");
	if (!yl_id_valid(p, n) || (p[n] && strncmp(p + n, "/_history/", 10) != 0))
		return NULL;
	return yl_arena_strndup(a, p, n);
}

static const char *walk(struct yl_arena *a, const json_t *node, const char *path, size_t len)
{
	if (json_is_array(node)) {
		size_t i;
		const json_t *v;
		json_array_foreach (node, i, v) {
			const char *r = walk(a, v, path, len);
			if (r)
				return r;
		}
		return NULL;
	}
	if (!json_is_object(node))
		return NULL;
	if (len == 0) {
		const char *ref = json_string_value(json_object_get(node, "reference"));
		return ref ? patient_id_of_ref(a, ref) : NULL;
	}
	size_t seg = 0;
	while (seg < len && path[seg] != '.')
		seg++;
	const json_t *child = json_object_getn(node, path, seg);
	if (!child)
		return NULL;
	return seg < len ? walk(a, child, path + seg + 1, len - seg - 1) : walk(a, child, "", 0);
}

const char *yl_fhir_patient_of(struct yl_arena *a, const char *type, const char *id,
                               const json_t *resource)
{
	if (strcmp(type, "Patient") == 0)
		return id;
	const struct yl_compartment_rule *rule =
	    bsearch(type, yl_compartment_rules, yl_compartment_rule_count, sizeof(*rule), cmp_rule);
	if (!rule)
		return NULL;
	const char *p = rule->paths;
	while (*p) {
		size_t n = strcspn(p, "|");
		const char *r = walk(a, resource, p, n);
		if (r)
			return r;
		p += n;
		if (*p == '|')
			p++;
	}
	return NULL;
}

const char *yl_fhir_patient_path(const char *type, size_t *len)
{
	const struct yl_compartment_rule *rule =
	    bsearch(type, yl_compartment_rules, yl_compartment_rule_count, sizeof(*rule), cmp_rule);
	if (!rule)
		return NULL;
	*len = strcspn(rule->paths, "|");
	return rule->paths;
}
