#!/usr/bin/env bash
# synth.sh -- the synthetic region generator: `yilian synth --residents N --out DIR` of a
# 1,000,000-resident county, RUNS times, each timed by GNU time (-v): wall seconds,
# residents/s, resources and bytes written, peak RSS. Every run's output is checked to be
# the same as the first's (a hash of each file's size and first 64 MB), so speed work
# cannot change what is generated; the output is removed after each run.
#
#   bench/synth.sh                  # 1,000,000 residents, 3 runs
#   N=100000 RUNS=1 bench/synth.sh  # a quick look
#
# Environment: N (1000000), SEED (42), AS_OF (2026-06-30: fixed, so runs on other days
# generate the same region), YEARS (3), RUNS (3), BUILD (build dir). Floors (issue 5, this
# 2-core machine): N = 1,000,000 in <= 180 s wall and <= 2 GiB peak RSS. Writes the figures
# as Markdown to bench/results/synth.md; missing a floor is reported, not a failure. Exit
# status 1 if a run fails or two runs differ.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
SEED=${SEED:-42}
AS_OF=${AS_OF:-2026-06-30}
YEARS=${YEARS:-3}
RUNS=${RUNS:-3}
BENCH_COMMAND="bench/synth.sh (N=$N SEED=$SEED AS_OF=$AS_OF YEARS=$YEARS RUNS=$RUNS)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (scripts/deps.sh bench installs it)"
need_tools sha256sum
cd "$ROOT"
bench_header
make_work

# hash of an output directory: every file's name, size and first 64 MB
out_hash() {
	local f
	for f in "$1"/*.ndjson; do
		printf '%s %s ' "$(basename "$f")" "$(stat -c %s "$f")"
		head -c 67108864 "$f" | sha256sum | cut -c1-16
	done | sha256sum | cut -c1-16
}

SECS=() RSS=() FIRST_HASH="" SUMMARY="" BYTES=0
for i in $(seq "$RUNS"); do
	out=$WORK/out
	rm -rf "$out"
	echo "== run $i: yilian synth --residents $N --seed $SEED --as-of $AS_OF --years $YEARS --out $out"
	/usr/bin/time -v -o "$WORK/time.$i" "$YILIAN" synth --residents "$N" --seed "$SEED" \
		--as-of "$AS_OF" --years "$YEARS" --out "$out" --quiet >"$WORK/out.$i" 2>"$WORK/err.$i" ||
		{ cat "$WORK/err.$i" >&2; die "run $i failed"; }
	cat "$WORK/out.$i"
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.$i" |
		awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.$i")
	SECS+=("$wall")
	RSS+=("$((rss / 1024))")
	BYTES=$(du -sb "$out" | cut -f1)
	hash=$(out_hash "$out")
	echo "   wall ${wall} s, peak RSS $((rss / 1024)) MB, $BYTES bytes, output hash $hash"
	if [ -z "$FIRST_HASH" ]; then
		FIRST_HASH=$hash
		SUMMARY=$(cat "$WORK/out.$i")
	elif [ "$hash" != "$FIRST_HASH" ]; then
		die "run $i wrote other output than run 1 ($hash vs $FIRST_HASH)"
	fi
	rm -rf "$out"
done

MED_SECS=$(median "${SECS[@]}")
MED_RSS=$(median "${RSS[@]}")
RESOURCES=$(sed -n 's/.*: \([0-9]*\) resources, .*/\1/p' <<<"$SUMMARY")
RATE=$(awk -v n="$N" -v s="$MED_SECS" 'BEGIN {printf "%.0f", n / s}')
RRATE=$(awk -v n="$RESOURCES" -v s="$MED_SECS" 'BEGIN {printf "%.0f", n / s}')
verdict() { awk -v v="$1" -v f="$2" 'BEGIN {printf "%s", v <= f ? "meets" : "**misses**"}'; }
{
	echo "### Synthetic region (yilian synth)"
	echo
	echo "\`yilian synth --residents $N --seed $SEED --as-of $AS_OF --years $YEARS --out DIR --quiet\`"
	echo "(Bulk Data NDJSON, one file per type, into a fresh directory on the machine's disk);"
	echo "medians of $RUNS runs, each timed by GNU time -v; every run's output hashed and equal to the first's."
	echo
	echo "| residents | wall time (median) | residents/s | resources written | resources/s | output | peak RSS (median) | floor |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---|"
	echo "| $(fmt_int "$N") | ${MED_SECS} s | $(fmt_int "$RATE") | $(fmt_int "$RESOURCES") | $(fmt_int "$RRATE") | $(awk -v b="$BYTES" 'BEGIN {printf "%.2f GB", b / 1e9}') | $MED_RSS MB | <= 180 s: $(verdict "$MED_SECS" 180); <= 2048 MB: $(verdict "$MED_RSS" 2048) |"
	echo
	echo "- runs: wall ${SECS[*]} s; peak RSS ${RSS[*]} MB"
	echo "- resources by type: $(sed 's/.*MB: //' <<<"$SUMMARY")"
	echo "- region: $(sed -n 's/^yilian synth: [0-9]* residents (\([^)]*\)).*/\1/p' <<<"$SUMMARY")"
	echo "- output hash (each file's name, size and first 64 MB): \`$FIRST_HASH\`"
	echo "- command: \`$BENCH_COMMAND\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE"
} >"$RESULTS/synth.md.new"
mv "$RESULTS/synth.md.new" "$RESULTS/synth.md"
echo
cat "$RESULTS/synth.md"
