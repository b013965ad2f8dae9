/* main.c -- `yilian COMMAND ...`: dispatch through the subcommand table (cli/table.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return yl_cmd_help(1, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return yl_cmd_help(1, argv);
	if (strcmp(argv[1], "--version") == 0)
		return yl_cmd_version(1, argv);
	const struct yl_cmd *c = yl_cmd_find(argv[1]);
	if (!c)
		return yl_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			char *help_argv[] = {"help", argv[1], NULL};
			return yl_cmd_help(2, help_argv);
		}
	return c->run(argc - 1, argv + 1);
}
