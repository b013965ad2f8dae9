#!/usr/bin/env bash
# import.sh -- loading and unloading a region: `yilian import` of Bulk NDJSON made by
# bench/gen.c into a fresh store with every search index, the same import again (nothing
# to write), `yilian export` of the result, and `yilian import` of the Synthea bundles in
# ../shared/data/synthea. Reports resources/s, peak RSS (GNU time's maximum resident set)
# and the store's size on disk.
#
#   bench/import.sh                 # 500,000 Patients x (1 + 9 Observations) = 5,000,000
#   N=20000 bench/import.sh         # a quick look (200,000 resources)
#
# Environment: N (500000 Patients), PER (9 Observations per Patient), GEN_SEED (42),
# BUILD (build dir). The NDJSON is cached as bench/results/import-NxPER.ndjson and made
# again when N, PER, GEN_SEED or bench/gen.c change. Floors (issue 4, this 2-core
# machine): import >= 20,000 resources/s, export >= 100,000 resources/s, peak RSS during
# import <= 1 GiB. Writes the figures as Markdown to bench/results/import.md; missing a
# floor is reported, not a failure. Exit status 1 if a step fails or a count is wrong.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-500000}
PER=${PER:-9}
GEN_SEED=${GEN_SEED:-42}
BENCH_COMMAND="bench/import.sh (N=$N PER=$PER GEN_SEED=$GEN_SEED)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (scripts/deps.sh bench installs it)"
need_tools sha256sum
cd "$ROOT"
bench_header
GEN="$BUILD/bench/yl_bench_gen"
[ -x "$GEN" ] || die "$GEN not built"
make_work
TOTAL=$((N + N * PER))

# ---- the input, cached
NDJ=$(cached_ndjson "$N" "$PER" "$GEN_SEED")
LINES=$(wc -l <"$NDJ")
[ "$LINES" = "$TOTAL" ] || die "$NDJ has $LINES lines, not $TOTAL"
NDJ_BYTES=$(stat -c %s "$NDJ")

fmt_gb() { awk -v b="$1" 'BEGIN {printf "%.2f GB", b / 1e9}'; }
size_of_db() { local s=0 f; for f in "$1" "$1-wal"; do [ -f "$f" ] && s=$((s + $(stat -c %s "$f"))); done; echo "$s"; }
# run LABEL CMD...: time it; sets SECS, RSS_MB and leaves the command's stdout in $WORK/LABEL.out
run() {
	local label=$1
	shift
	echo "== $label: $*"
	/usr/bin/time -f '%M %e' -o "$WORK/$label.time" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err" ||
		{ cat "$WORK/$label.err" >&2; die "$label failed"; }
	read -r RSS_KB SECS <"$WORK/$label.time"
	RSS_MB=$((RSS_KB / 1024))
	tail -1 "$WORK/$label.out"
}
count_of() { sed -n "s/.* \([0-9]*\) $2,.*/\1/p" "$WORK/$1.out" | tail -1; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }

DB=$WORK/region.db
run import "$YILIAN" import --quiet --db "$DB" "$NDJ"
IMPORT_SECS=$SECS IMPORT_RSS=$RSS_MB
[ "$(count_of import created)" = "$TOTAL" ] || die "import created $(count_of import created), not $TOTAL"
DB_BYTES=$(size_of_db "$DB")

run again "$YILIAN" import --quiet --db "$DB" "$NDJ"
AGAIN_SECS=$SECS AGAIN_RSS=$RSS_MB
[ "$(count_of again unchanged)" = "$TOTAL" ] || die "the second import changed something"

run export "$YILIAN" export --quiet --db "$DB" --out "$WORK/export"
EXPORT_SECS=$SECS EXPORT_RSS=$RSS_MB
EXPORTED=$(sed -n 's/^yilian export: \([0-9]*\) resources.*/\1/p' "$WORK/export.out")
[ "$EXPORTED" = "$TOTAL" ] || die "export wrote $EXPORTED resources, not $TOTAL"
rm -rf "$WORK/export" "$DB" "$DB-wal" "$DB-shm"

SYN=$ROOT/../shared/data/synthea
run synthea "$YILIAN" import --quiet --db "$WORK/synthea.db" "$SYN"
SYN_SECS=$SECS SYN_RSS=$RSS_MB
SYN_READ=$(sed -n 's/.* \([0-9]*\) resources in .*/\1/p' "$WORK/synthea.out")
SYN_FILES=$(find "$SYN" -maxdepth 1 -name '*.json' | wc -l)

IMPORT_RATE=$(rate "$TOTAL" "$IMPORT_SECS")
EXPORT_RATE=$(rate "$TOTAL" "$EXPORT_SECS")
verdict() { awk -v v="$1" -v f="$2" -v dir="$3" 'BEGIN {ok = dir == "ge" ? v >= f : v <= f; printf "%s", ok ? "meets" : "**misses**"}'; }
{
	echo "### Import and export"
	echo
	echo "$TOTAL resources ($N Patients, $((N * PER)) Observations; $(fmt_gb "$NDJ_BYTES") of NDJSON"
	echo "made by \`yl_bench_gen --dump $N $PER $GEN_SEED\`) imported with \`yilian import\` into a"
	echo "fresh SQLite store with every search index, once each step (the steps are minutes long)."
	echo
	echo "| step | resources | time | resources/s | peak RSS | floor |"
	echo "|---|---:|---:|---:|---:|---|"
	echo "| NDJSON import, fresh store | $TOTAL | ${IMPORT_SECS} s | $IMPORT_RATE | $IMPORT_RSS MB | >= 20,000/s: $(verdict "$IMPORT_RATE" 20000 ge); RSS <= 1024 MB: $(verdict "$IMPORT_RSS" 1024 le) |"
	echo "| the same import again (nothing written) | $TOTAL | ${AGAIN_SECS} s | $(rate "$TOTAL" "$AGAIN_SECS") | $AGAIN_RSS MB | |"
	echo "| \`yilian export\` of that store | $TOTAL | ${EXPORT_SECS} s | $EXPORT_RATE | $EXPORT_RSS MB | >= 100,000/s: $(verdict "$EXPORT_RATE" 100000 ge) |"
	echo "| Synthea bundles ($SYN_FILES transactions) | $SYN_READ | ${SYN_SECS} s | $(rate "$SYN_READ" "$SYN_SECS") | $SYN_RSS MB | |"
	echo
	echo "- store after the import: $(fmt_gb "$DB_BYTES") (database and WAL), $(awk -v b="$DB_BYTES" -v n="$TOTAL" 'BEGIN {printf "%.2f", b / n / 1000}') KB per resource"
	echo "- command: \`$BENCH_COMMAND\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE"
} >"$RESULTS/import.md.new"
mv "$RESULTS/import.md.new" "$RESULTS/import.md"
echo
cat "$RESULTS/import.md"
