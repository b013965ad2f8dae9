/* cmd-version.c -- `yilian version`. */
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

#include "cli/cli.h"
#include "store/migrations.h"
#include "version.h"

int yl_cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return yl_cli_usage_error("version", "takes no arguments");
	printf("yilian %s (FHIR 4.0.1, schema %d)\n", YL_VERSION,
	       yl_migrations[yl_migrations_count - 1].version);
	printf("libmicrohttpd %s, jansson %s, sqlite %s, libsodium %s\n", MHD_get_version(),
	       JANSSON_VERSION, sqlite3_libversion(), sodium_version_string());
	return 0;
}
