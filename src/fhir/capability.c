/* capability.c -- the CapabilityStatement, generated from the route table at start:
 * it lists exactly the interactions that have a route, for every R4 resource type. */
#include <stdbool.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "fhir/rest.h"
#include "fhir/schema.h"
#include "fhir/searchparam.h"
#include "version.h"

static void interactions(struct yl_buf *b, const struct yl_app *app, enum yl_level lo,
                         enum yl_level hi)
{
	int n = 0;
	for (size_t i = 0; i < app->nroutes; i++) {
		const struct yl_route *rt = &app->routes[i];
		if (!rt->interaction || rt->level < lo || rt->level > hi)
			continue;
		if (strcmp(rt->interaction, "capabilities") == 0 || rt->interaction[0] == '$')
			continue;  /* operations are listed as such (operations()) */
		bool seen = false; /* GET and POST _search are one interaction */
		for (size_t k = 0; k < i && !seen; k++)
			seen = app->routes[k].interaction && app->routes[k].level >= lo &&
			       app->routes[k].level <= hi &&
			       strcmp(app->routes[k].interaction, rt->interaction) == 0;
		if (seen)
			continue;
		/* one route may carry several interactions ("transaction batch") */
		for (const char *w = rt->interaction; *w;) {
			size_t len = strcspn(w, " ");
			yl_buf_printf(b, "%s{\"code\":\"%.*s\"}", n++ ? "," : "", (int)len, w);
			w += len + strspn(w + len, " ");
		}
	}
}

/* The operations some route offers on `type` (NULL: every type), as CapabilityStatement
 * operation entries pointing at their R4 OperationDefinitions. */
static void operations(struct yl_buf *b, const struct yl_app *app, const char *type)
{
	int n = 0;
	for (size_t i = 0; i < app->nroutes; i++) {
		const struct yl_route *rt = &app->routes[i];
		if (!rt->interaction || rt->interaction[0] != '$')
			continue;
		/* /fhir/Patient/{id}/$everything: for Patient only */
		const char *only = strncmp(rt->pattern, "/fhir/{", 7) == 0 ? NULL : rt->pattern + 6;
		size_t only_len = only ? strcspn(only, "/") : 0;
		if (only && (strlen(type) != only_len || strncmp(type, only, only_len) != 0))
			continue;
		bool seen = false; /* type and instance routes of one operation */
		for (size_t k = 0; k < i && !seen; k++)
			seen = app->routes[k].interaction &&
			       strcmp(app->routes[k].interaction, rt->interaction) == 0;
		if (seen)
			continue;
		const char *name = rt->interaction + 1;
		if (strcmp(name, "export") == 0) /* the Bulk Data IG's */
			yl_buf_printf(
			    b,
			    "%s{\"name\":\"export\",\"definition\":\"http://hl7.org/fhir/uv/"
			    "bulkdata/OperationDefinition/%s-export\"}",
			    n++ ? "," : ",\"operation\":[",
			    strcmp(type, "Patient") == 0 ? "patient" : "group");
		else
			yl_buf_printf(b,
			              "%s{\"name\":\"%s\",\"definition\":\"http://hl7.org/fhir/"
			              "OperationDefinition/%s-%s\"}",
			              n++ ? "," : ",\"operation\":[", name,
			              only ? type : "Resource", name);
	}
	if (n)
		yl_buf_addc(b, ']');
}

static void add_params(struct yl_buf *b, const struct yl_searchparam *sp, size_t n, int *k)
{
	for (size_t i = 0; i < n; i++)
		yl_buf_printf(b, "%s{\"name\":\"%s\",\"definition\":\"%s\",\"type\":\"%s\"}",
		              (*k)++ ? "," : "", sp[i].code, sp[i].url,
		              yl_sp_type_name(sp[i].type));
}

/* Every supported parameter of the type (the Resource-level ones too), from the table. */
static void search_params(struct yl_buf *b, const char *type)
{
	size_t n = 0, nr = 0;
	const struct yl_searchparam *own = yl_searchparam_list(type, &n);
	const struct yl_searchparam *common = yl_searchparam_list("Resource", &nr);
	int k = 0;
	yl_buf_adds(b, ",\"searchParam\":[");
	add_params(b, common, nr, &k);
	add_params(b, own, n, &k);
	yl_buf_addc(b, ']');
}

int yl_fhir_capability_build(struct yl_app *app, struct yl_arena *a)
{
	struct yl_buf b;
	yl_buf_init(&b, a, 1 << 18, (size_t)-1);
	char ts[YL_INSTANT_LEN];
	yl_format_instant(yl_now_us(), ts);
	yl_buf_printf(&b,
	              "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\","
	              "\"date\":\"%s\",\"kind\":\"instance\","
	              "\"software\":{\"name\":\"yilian\",\"version\":\"%s\"},"
	              "\"implementation\":{\"description\":\"yilian primary-care network "
	              "server\"},\"fhirVersion\":\"4.0.1\","
	              "\"format\":[\"application/fhir+json\",\"application/json\"],"
	              "\"rest\":[{\"mode\":\"server\",\"documentation\":\"JSON only: XML and "
	              "other formats are answered 406 Not Acceptable\",\"resource\":[",
	              ts, YL_VERSION);
	for (size_t t = 0; t < yl_fhir_resource_type_count; t++) {
		yl_buf_printf(&b, "%s{\"type\":\"%s\",\"interaction\":[", t ? "," : "",
		              yl_fhir_resource_types[t]);
		interactions(&b, app, YL_LEVEL_TYPE, YL_LEVEL_INSTANCE);
		yl_buf_addc(&b, ']');
		search_params(&b, yl_fhir_resource_types[t]);
		operations(&b, app, yl_fhir_resource_types[t]);
		yl_buf_adds(&b, ",\"versioning\":\"versioned\",\"readHistory\":true,"
		                "\"updateCreate\":true,\"conditionalCreate\":true,"
		                "\"conditionalRead\":\"full-support\",\"conditionalUpdate\":true,"
		                "\"conditionalDelete\":\"single\"}");
	}
	yl_buf_adds(&b, "],\"interaction\":[");
	interactions(&b, app, YL_LEVEL_SYSTEM, YL_LEVEL_SYSTEM);
	yl_buf_adds(&b, "]");
	for (size_t i = 0; i < app->nroutes; i++) /* system-level operations */
		if (app->routes[i].interaction &&
		    strcmp(app->routes[i].pattern, "/fhir/$export") == 0)
			yl_buf_adds(
			    &b, ",\"operation\":[{\"name\":\"export\",\"definition\":"
			        "\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export\"}]");
	yl_buf_adds(&b, "}]}");
	if (b.err)
		return -1;
	app->capability = b.p;
	app->capability_len = b.len;
	return 0;
}
