/* cmd-synth.c -- `yilian synth`: a deterministic synthetic region (src/synth/) written as
 * Bulk Data NDJSON into --out DIR, or generated into a temporary directory beside --db FILE
 * and loaded with `yilian import` (the same command, so the same bulk path), then removed.
 * A progress line on a terminal (not with --quiet) and a one-line summary at the end.
 * Exit status: 0 done, 1 failure, 2 usage error. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "care/config.h"
#include "care/rulepack.h"
#include "cli/cli.h"
#include "store/store.h"
#include "core/time.h"
#include "fhir/ucum.h"
#include "synth/emit.h"
#include "synth/synth.h"

struct ui {
	bool tty, drawn;
	int64_t t0, last;
};

static void on_progress(void *ctx, const struct yl_synth_stats *st)
{
	struct ui *u = ctx;
	int64_t now = yl_monotonic_us();
	if (!u->tty || now - u->last < 200000)
		return;
	u->last = now;
	double secs = (double)(now - u->t0) / 1e6;
	double frac = st->total ? (double)st->residents / (double)st->total : 1;
	char eta[32] = "";
	if (frac > 0.01 && frac < 1) {
		double left = secs / frac - secs;
		snprintf(eta, sizeof eta, "  ETA %dm%02ds", (int)(left / 60), (int)left % 60);
	}
	char bar[21];
	int fill = (int)(frac * 20);
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r\033[K[%s] %3.0f%%  %lld residents  %lld resources  %.0f MB%s", bar,
	        frac * 100, (long long)st->residents, (long long)st->resources,
	        (double)st->bytes / 1e6, eta);
	u->drawn = true;
}

/* YYYY-MM-DD -> days since 1970-01-01; -1 when it is not a date */
static int32_t parse_day(const char *s)
{
	int64_t d = strlen(s) == 10 ? yl_parse_day(s, 10) : YL_NO_DAY;
	return d == YL_NO_DAY || d < 0 || d > INT32_MAX ? -1 : (int32_t)d;
}

static int parse_num(const char *cmd, const char *flag, const char *s, long long lo, long long hi,
                     long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return yl_cli_usage_error(cmd, "%s takes %lld to %lld, not '%s'", flag, lo, hi, s);
	*out = v;
	return 0;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* --db FILE: a temporary directory beside FILE (a PostgreSQL database: in TMPDIR) */
static char *temp_dir_beside(const char *db)
{
	char tmpl[PATH_MAX];
	if (yl_store_is_pg(db)) {
		snprintf(tmpl, sizeof tmpl, "%s/yilian-synth-XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		char *dir = mkdtemp(tmpl);
		return dir ? strdup(dir) : NULL;
	}
	const char *slash = strrchr(db, '/');
	int n = slash ? (int)(slash - db) : 0;
	snprintf(tmpl, sizeof tmpl, "%.*s%s.yilian-synth-XXXXXX", n, db, slash ? "/" : "");
	char *dir = mkdtemp(tmpl);
	return dir ? strdup(dir) : NULL;
}

static int import_into(const char *db, const char *data, const char *dir, bool quiet)
{
	char *args[8];
	int n = 0;
	args[n++] = "import";
	args[n++] = "--db";
	args[n++] = (char *)db;
	args[n++] = "--data";
	args[n++] = (char *)data;
	if (quiet)
		args[n++] = "--quiet";
	args[n++] = (char *)dir;
	args[n] = NULL;
	return yl_cmd_import(n, args);
}

int yl_cmd_synth(int argc, char **argv)
{
	long long residents = -1, seed = -1, years = 3, threads = 0;
	const char *out = NULL, *db = NULL, *as_of_s = NULL, *data = YL_DATA_DIR;
	bool quiet = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		if (strcmp(a, "--residents") == 0 && v && ++i)
			rc = parse_num("synth", a, v, 1, 9999999, &residents);
		else if (strcmp(a, "--seed") == 0 && v && ++i)
			rc = parse_num("synth", a, v, 0, LLONG_MAX, &seed);
		else if (strcmp(a, "--years") == 0 && v && ++i)
			rc = parse_num("synth", a, v, 1, YL_SYNTH_MAX_YEARS, &years);
		else if (strcmp(a, "--threads") == 0 && v && ++i)
			rc = parse_num("synth", a, v, 1, 64, &threads);
		else if (strcmp(a, "--out") == 0 && v && ++i)
			out = v;
		else if (strcmp(a, "--db") == 0 && v && ++i)
			db = v;
		else if (strcmp(a, "--as-of") == 0 && v && ++i)
			as_of_s = v;
		else if (strcmp(a, "--data") == 0 && v && ++i)
			data = v;
		else if (strcmp(a, "--quiet") == 0)
			quiet = true;
		else
			return yl_cli_usage_error("synth", "unknown option or missing value '%s'",
			                          a);
		if (rc)
			return rc;
	}
	if (residents < 0 || seed < 0)
		return yl_cli_usage_error("synth", "--residents N and --seed S are required");
	if (!out == !db)
		return yl_cli_usage_error("synth", "give one of --out DIR and --db FILE");
	int32_t now = (int32_t)yl_today(), as_of = as_of_s ? parse_day(as_of_s) : now;
	if (as_of < 0)
		return yl_cli_usage_error("synth", "--as-of '%s' is not a date YYYY-MM-DD",
		                          as_of_s);
	if (as_of > now) /* birth dates after today would fail the identity-number check */
		return yl_cli_usage_error("synth", "--as-of '%s' is after today", as_of_s);

	char *tmp = db ? temp_dir_beside(db) : NULL;
	if (db && !tmp) {
		fprintf(stderr, "yilian synth: cannot create a temporary directory beside %s\n",
		        db);
		return 1;
	}
	struct yl_arena *ar = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	struct ui u = {.tty = !quiet && isatty(2), .t0 = yl_monotonic_us()};
	struct yl_synth_opts o = {.residents = residents,
	                          .seed = (uint64_t)seed,
	                          .as_of = as_of,
	                          .years = (int)years,
	                          .threads = (int)threads,
	                          .data_dir = data,
	                          .out_dir = tmp ? tmp : out,
	                          .progress = on_progress,
	                          .ctx = &u};
	struct yl_synth_stats st;
	int status = 1;
	/* the server's rules: codes, value sets and the rule packs that classify each visit */
	bool made = ar && yl_cli_load_data(data, ar, &err) == YL_OK &&
	            yl_synth_run(&o, &st, ar, &err) == YL_OK;
	yl_packs_unload(); /* `yilian import` loads its own */
	yl_care_unload();
	yl_ucum_unload();
	if (made) {
		if (u.drawn)
			fputs("\r\033[K", stderr);
		double secs = (double)(yl_monotonic_us() - u.t0) / 1e6;
		printf("yilian synth: %lld residents (%d units, %d villages, %d teams; %lld with a "
		       "contract in force) in %.1f s: %lld resources, %.1f MB:",
		       (long long)st.residents, st.units, st.villages, st.teams,
		       (long long)st.contracted, secs, (long long)st.resources,
		       (double)st.bytes / 1e6);
		for (int t = 0; t < YL_SYNTH_NTYPES; t++)
			printf(" %s %lld%s", yl_synth_type_name((enum yl_synth_type)t),
			       (long long)st.count[t], t + 1 < YL_SYNTH_NTYPES ? "," : "\n");
		fflush(stdout);
		status = db ? (import_into(db, data, tmp, quiet) == 0 ? 0 : 1) : 0;
	} else {
		if (u.drawn)
			fputs("\r\033[K", stderr);
		for (const struct yl_issue *is = err.first; is; is = is->next)
			fprintf(stderr, "yilian synth: %s\n", is->message);
		if (!ar)
			fprintf(stderr, "yilian synth: out of memory\n");
	}
	if (tmp)
		remove_dir(tmp);
	free(tmp);
	yl_arena_destroy(ar);
	return status;
}
