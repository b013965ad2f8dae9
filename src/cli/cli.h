/* cli.h -- the subcommand table of the `yilian` binary.
 *
 * One row per subcommand (one file each: cmd-<name>.c), kept in alphabetical order;
 * `yilian help` and `yilian help CMD` are generated from it. A command returns the
 * process exit status: 0 ok, 1 failure, 2 usage error (unknown command or flag, with a
 * one-line message on stderr). */
#ifndef YL_CLI_H
#define YL_CLI_H

struct yl_cmd {
	const char *name;
	const char *summary;
	const char *usage; /* full usage text, options one per line */
	int (*run)(int argc, char **argv);
};

extern const struct yl_cmd yl_cmds[];
extern const unsigned yl_cmd_count;

const struct yl_cmd *yl_cmd_find(const char *name);

/* The value of option `name` at argv[*i], given as "--name value" (*i moves past it) or
 * "--name=value"; NULL when argv[*i] is another option or the value is missing. */
const char *yl_cli_opt(int argc, char **argv, int *i, const char *name);

/* Report a usage error in one line and return 2. */
int yl_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Load the data files every command that reads or writes resources needs (UCUM units, the
 * registry and contracting rules of care/config.h, the programmes and rule packs of
 * care/rulepack.h as rules/programmes.json picks them). */
#include "core/err.h"
enum yl_code yl_cli_load_data(const char *dir, struct yl_arena *a, struct yl_err *err);

/* Record what an operator's command did to the store (an import, an export) on the audit
 * trail, as the operator's (cmd-audit.c); a failure is reported, not fatal. */
struct yl_store;
void yl_cli_audit(struct yl_store *s, struct yl_arena *a, const char *subtype, char action,
                  const char *detail);

int yl_cmd_audit(int argc, char **argv);
int yl_cmd_export(int argc, char **argv);
int yl_cmd_help(int argc, char **argv);
int yl_cmd_import(int argc, char **argv);
int yl_cmd_reindex(int argc, char **argv);
int yl_cmd_routes(int argc, char **argv);
int yl_cmd_serve(int argc, char **argv);
int yl_cmd_synth(int argc, char **argv);
int yl_cmd_user(int argc, char **argv);
int yl_cmd_version(int argc, char **argv);

#endif
