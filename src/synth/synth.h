/* synth.h -- `yilian synth`: a deterministic synthetic region written as Bulk Data NDJSON,
 * one file per resource type (DIR/Patient.ndjson, ...), that `yilian import` loads.
 *
 * The walk: data.c loads the figures (terminology/synth/); region.c plans the county,
 * its institutions, staff and teams; people.c draws every resident's age, sex and household
 * and numbers the identity cards; then one generator thread per core takes the teams in
 * order (a team's residents are one range of resident numbers) and writes their Patients,
 * households, conditions, contracts, visits, readings and prescriptions into the buffers of
 * a slot (care.c, emit.c); the calling thread writes the slots to the files strictly in team
 * order. The same residents, seed and as-of day give the same bytes whatever the number of
 * threads. Nothing reads the clock or rand(). Every follow-up is classified by the server's
 * own rule packs: terminology/ and rules/ must be loaded first (care/config.h,
 * care/rulepack.h; the CLI's yl_cli_load_data() does both).
 * Memory: a compact record per resident (12 bytes) plus at most threads + 2 slots of text
 * (one team's output each) at a time; everything is released before returning. Strings in
 * err live in the arena given.
 * Threads: the progress callback is called on the calling thread.
 * Errors: YL_IO (data files, rules not loaded, output files), YL_NOMEM, YL_USAGE (residents
 * out of range). */
#ifndef YL_SYNTH_H
#define YL_SYNTH_H

#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "synth/emit.h"

struct yl_synth_stats {
	int64_t total;     /* residents asked for */
	int64_t residents; /* generated so far */
	int64_t count[YL_SYNTH_NTYPES];
	int64_t resources, bytes; /* written so far */
	int64_t contracted;       /* residents with a contract in force on the as-of day */
	int units, villages, teams;
};

struct yl_synth_opts {
	int64_t residents;
	uint64_t seed;
	int32_t as_of; /* days since 1970-01-01 */
	int years;     /* of follow-up history, 1-10 */
	int threads;   /* generator threads; 0 = one per CPU */
	const char *data_dir, *out_dir;
	void (*progress)(void *ctx, const struct yl_synth_stats *st); /* about 5 times a second */
	void *ctx;
};

#define YL_SYNTH_MAX_YEARS 10

enum yl_code yl_synth_run(const struct yl_synth_opts *o, struct yl_synth_stats *st /* OUT */,
                          struct yl_arena *a, struct yl_err *err);

#endif
