/* cmd-routes.c -- `yilian routes`: print the route table as the Markdown table kept in
 * docs/api.md (a test checks that the document matches this output). */
#include <stdio.h>

#include "cli/cli.h"
#include "core/err.h"
#include "fhir/limits.h"
#include "fhir/rest.h"

int yl_cmd_routes(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return yl_cli_usage_error("routes", "takes no arguments");
	printf("| method | path | FHIR interaction | what it does |\n|---|---|---|---|\n");
	for (size_t i = 0; i < yl_fhir_route_count; i++) {
		const struct yl_route *r = &yl_fhir_routes[i];
		printf("| %s | `%s` | %s | %s |\n", r->method, r->pattern,
		       r->interaction ? r->interaction : "-", r->doc);
	}
	printf("\n| error | HTTP status | OperationOutcome issue.code | meaning "
	       "|\n|---|---|---|---|\n");
	for (int c = 1; c < YL_CODE_COUNT; c++)
		if (c != YL_USAGE)
			printf("| %s | %d | %s | %s |\n", yl_code_name((enum yl_code)c),
			       yl_code_status((enum yl_code)c), yl_code_issue((enum yl_code)c),
			       yl_code_doc((enum yl_code)c));
	return 0;
}
