/* searchparam.c -- lookups over the generated search-parameter tables (searchparam-gen.c):
 * binary search for the resource type, then for the code within its sorted slice. */
#include "fhir/searchparam.h"

#include <stdlib.h>
#include <string.h>

static int cmp_resource(const void *key, const void *elem)
{
	const struct yl_sp_resource *r = elem;
	return strcmp(key, r->name);
}

static int cmp_param(const void *key, const void *elem)
{
	const struct yl_searchparam *p = elem;
	return strcmp(key, p->code);
}

const struct yl_searchparam *yl_searchparam_list(const char *resource_type, size_t *n)
{
	*n = 0;
	if (!resource_type)
		return NULL;
	const struct yl_sp_resource *r =
	    bsearch(resource_type, yl_sp_resources, yl_sp_resource_count, sizeof(*r), cmp_resource);
	if (!r)
		return NULL;
	*n = r->count;
	return &yl_searchparams[r->first];
}

static const struct yl_searchparam *find_in(const char *resource_type, const char *code)
{
	size_t n;
	const struct yl_searchparam *list = yl_searchparam_list(resource_type, &n);
	if (!list)
		return NULL;
	return bsearch(code, list, n, sizeof(*list), cmp_param);
}

const struct yl_searchparam *yl_searchparam_find(const char *resource_type, const char *code)
{
	if (!code)
		return NULL;
	const struct yl_searchparam *p = find_in(resource_type, code);
	if (!p && code[0] == '_')
		p = find_in("Resource", code);
	return p;
}

const char *yl_sp_type_name(enum yl_sp_type t)
{
	static const char *const names[] = {
	    [YL_SP_NUMBER] = "number",       [YL_SP_DATE] = "date",
	    [YL_SP_STRING] = "string",       [YL_SP_TOKEN] = "token",
	    [YL_SP_REFERENCE] = "reference", [YL_SP_COMPOSITE] = "composite",
	    [YL_SP_QUANTITY] = "quantity",   [YL_SP_URI] = "uri",
	    [YL_SP_SPECIAL] = "special",
	};
	if ((unsigned)t >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[t];
}
