/* cmd-help.c -- `yilian help [COMMAND]`, generated from the subcommand table. */
#include <stdio.h>

#include "cli/cli.h"

int yl_cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return yl_cli_usage_error("help", "expects at most one command name");
	if (argc == 2) {
		const struct yl_cmd *c = yl_cmd_find(argv[1]);
		if (!c)
			return yl_cli_usage_error("help", "unknown command '%s'", argv[1]);
		printf("%s -- %s\n\nusage: %s\n", c->name, c->summary, c->usage);
		return 0;
	}
	printf("yilian -- FHIR R4 platform for primary-care networks\n\n"
	       "usage: yilian COMMAND [OPTIONS]\n\ncommands:\n");
	for (unsigned i = 0; i < yl_cmd_count; i++)
		printf("  %-10s %s\n", yl_cmds[i].name, yl_cmds[i].summary);
	printf("\n'yilian help COMMAND' shows the options of one command.\n");
	return 0;
}
