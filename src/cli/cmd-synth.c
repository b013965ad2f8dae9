/* cmd-synth.c -- `yilian synth`: a deterministic synthetic region (src/synth/). */
#include <stdio.h>

#include "cli/cli.h"

int yl_cmd_synth(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "yilian synth: not built yet\n");
	return 1;
}
