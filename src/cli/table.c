/* table.c -- the subcommand table (alphabetical; looked up with bsearch). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care/rulepack.h"
#include "cli/cli.h"
#include "care/config.h"
#include "fhir/ucum.h"

const struct yl_cmd yl_cmds[] = {
    {"audit", "check the audit trail's hash chain",
     "yilian audit verify [--db FILE|URI] [--expect-head HASH]\n"
     "  --db FILE|URI       SQLite file, or postgresql://... (default ./yilian.db)\n"
     "  --expect-head HASH  the head an earlier verify printed: also fail when the trail\n"
     "                      no longer holds that event (cut short or replaced)\n"
     "Exit 0 when intact; 1 naming the first changed, removed, inserted or moved event.",
     yl_cmd_audit},
    {"export", "write the store's current resources as Bulk Data NDJSON, one file per type",
     "yilian export --out DIR [--db FILE|URI] [--type T[,T...]] [--since INSTANT] [--quiet]\n"
     "  --out DIR        where DIR/<Type>.ndjson files are written (created if absent)\n"
     "  --db FILE|URI    SQLite file, or postgresql://... (default ./yilian.db)\n"
     "  --type T,T       only these resource types (default: every type)\n"
     "  --since INSTANT  only resources last updated at or after it\n"
     "  --quiet          no progress line (it is drawn only on a terminal anyway)",
     yl_cmd_export},
    {"help", "show commands, or the usage of one command", "yilian help [COMMAND]", yl_cmd_help},
    {"import", "load Bulk Data NDJSON and Bundles into the store, keeping resource ids",
     "yilian import [--db FILE|URI] [--data DIR] [--strict] [--commit-every N] [--quiet] "
     "FILE|DIR...\n"
     "  FILE|DIR      .ndjson (one resource per line) and .json (a Bundle, or one\n"
     "                resource); directories are read recursively, skipping names that\n"
     "                start with . or _\n"
     "  --db FILE|URI SQLite file (created if absent), or a PostgreSQL URI\n"
     "                postgresql://[user@]host/db[?partitions=N] (default ./yilian.db)\n"
     "  --data DIR    directory holding terminology/ (default: the source tree)\n"
     "  --strict      stop at the first bad resource, storing nothing of its file\n"
     "  --commit-every N  resources per transaction at most (default 2,000; into an\n"
     "                empty store up to 1,000,000 and 60 s of work)\n"
     "  --quiet       no progress line (it is drawn only on a terminal anyway)\n"
     "Importing the same files again stores nothing new; bad lines are reported as\n"
     "FILE:LINE: reason and skipped; exit status 1 when any were.",
     yl_cmd_import},
    {"reindex", "rebuild every search-index row (after the search-parameter table changes)",
     "yilian reindex [--db FILE|URI] [--data DIR]\n"
     "  --db FILE|URI SQLite file, or postgresql://... (default ./yilian.db)\n"
     "  --data DIR    directory holding terminology/ (default: the source tree)",
     yl_cmd_reindex},
    {"routes", "print the HTTP route table and error codes (Markdown, as in docs/api.md)",
     "yilian routes", yl_cmd_routes},
    {"serve", "run the FHIR server",
     "yilian serve [--db FILE|URI] [--listen ADDR:PORT] [--threads N] [--access-log FILE|-|off]\n"
     "                    [--data DIR] [--cache-mb MB] [--prewarm] [--seed-data]\n"
     "                    [--rule-pack ID]... [--risk-tiers on|off]\n"
     "                    [--tls-cert FILE --tls-key FILE] [--cors-origin ORIGIN]...\n"
     "                    [--trusted-proxy ADDR]... [--exports DIR]\n"
     "  --db FILE|URI        SQLite file (created if absent), or a PostgreSQL URI\n"
     "                       postgresql://[user@]host/db[?partitions=N] (default ./yilian.db)\n"
     "  --exports DIR        where bulk export files are written (default: FILE.exports\n"
     "                       beside a SQLite file; for PostgreSQL a directory of this\n"
     "                       node's own in $TMPDIR or /tmp; emptied at start)\n"
     "  --listen ADDR:PORT   numeric IPv4 address and port (default 127.0.0.1:8080;\n"
     "                       port 0 picks a free port, printed on start)\n"
     "  --threads N          worker threads (default: number of CPUs; on PostgreSQL 8 a\n"
     "                       CPU, 16 to 64)\n"
     "  --access-log DEST    access log destination: a file, - for stderr (default), or off\n"
     "  --data DIR           directory holding terminology/ (default: the source tree)\n"
     "  --cache-mb MB        page cache of each of the server's connections (default 64);\n"
     "                       larger keeps more of the store in the server's own memory\n"
     "  --prewarm            read the store into every worker's cache before listening\n"
     "  --seed-data          add the shipped service packages, code systems and value sets\n"
     "                       (terminology/) to the store where it lacks them\n"
     "  --rule-pack ID       follow this shipped rule pack for its programme instead of\n"
     "                       the one rules/programmes.json picks (e.g.\n"
     "                       hypertension-grassroots-2020); may be given once per programme\n"
     "  --risk-tiers on|off  keep a RiskAssessment for every registered resident (default on;\n"
     "                       off: a plain FHIR store that writes nothing of its own)\n"
     "  --tls-cert FILE      serve HTTPS with this PEM certificate (chain) ...\n"
     "  --tls-key FILE       ... and this PEM private key (or terminate TLS at a proxy)\n"
     "  --cors-origin ORIGIN let browser pages from ORIGIN (https://host[:port]) call the\n"
     "                       API; none by default\n"
     "  --trusted-proxy ADDR a reverse proxy at this numeric address: the client of its\n"
     "                       requests is the last X-Forwarded-For address (audit, login\n"
     "                       throttle); the header is ignored from anyone else\n"
     "On first start with no users, an administrator 'admin' is created and its one-time\n"
     "password printed once in the log.",
     yl_cmd_serve},
    {"synth", "write a deterministic synthetic region (residents, teams, contracts, visits)",
     "yilian synth --residents N --seed S (--out DIR | --db FILE) [--as-of YYYY-MM-DD]\n"
     "             [--years Y] [--data DIR] [--threads N] [--quiet]\n"
     "  --residents N    residents of the fictional county 宜联县 (1 to 9,999,999)\n"
     "  --seed S         the same N, S and --as-of give byte-identical output\n"
     "  --out DIR        write DIR/<Type>.ndjson (Bulk Data NDJSON; created if absent)\n"
     "  --db FILE        generate beside FILE and `yilian import` it into FILE\n"
     "  --as-of DAY      the region's today: contracts and visits lead up to it\n"
     "                   (default: today)\n"
     "  --years Y        years of follow-up history, 1 to 10 (default 3)\n"
     "  --data DIR       directory holding terminology/ (default: the source tree)\n"
     "  --threads N      generator threads (default: one per CPU; the output is the same)\n"
     "  --quiet          no progress line (it is drawn only on a terminal anyway)",
     yl_cmd_synth},
    {"user", "manage who may log in: add, list, disable, enable, reset-password, grant, revoke",
     "yilian user ACTION [--db FILE|URI] [--username U] [--role R[,R...]] [--practitioner ID |\n"
     "                   --patient ID] [--organization ID] [--password-stdin]\n"
     "  add             a new user (--username, --role; a clinical role needs\n"
     "                  --practitioner, a resident --patient)\n"
     "  list            every user, their roles, what they are linked to, their state\n"
     "  disable/enable  stop or allow logins (disable ends their sessions and tokens)\n"
     "  reset-password  a new password; their sessions and tokens end\n"
     "  grant/revoke    add or remove roles (--role)\n"
     "  --password-stdin  read the password from one line of stdin; without it a random\n"
     "                  one-time password is printed once and must be changed\n"
     "Roles: admin, supervisor, institution-admin, family-doctor, village-doctor, nurse,\n"
     "public-health-doctor, specialist, pharmacist, resident. Every change is audited.",
     yl_cmd_user},
    {"version", "print the version, build and schema information", "yilian version",
     yl_cmd_version},
};

const unsigned yl_cmd_count = sizeof yl_cmds / sizeof yl_cmds[0];

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct yl_cmd *)elem)->name);
}

const struct yl_cmd *yl_cmd_find(const char *name)
{
	return bsearch(name, yl_cmds, yl_cmd_count, sizeof yl_cmds[0], cmp);
}

int yl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "yilian%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'yilian help%s%s')\n", cmd ? " " : "", cmd ? cmd : "");
	va_end(ap);
	return 2;
}

enum yl_code yl_cli_load_data(const char *dir, struct yl_arena *a, struct yl_err *err)
{
	char *path = yl_arena_printf(a, "%s/terminology/ucum-units.json", dir);
	if (!path)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code = yl_ucum_load(path, a, err);
	if (code == YL_OK)
		code = yl_care_load(dir, a, err);
	return code == YL_OK ? yl_packs_load(dir, NULL, 0, a, err) : code;
}

const char *yl_cli_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}
