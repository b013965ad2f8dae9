#!/usr/bin/env bash
# run.sh -- every benchmark in bench/: builds yilian, runs bench/read.sh and bench/create.sh
# (and bench/search.sh with SEARCH=1), keeps the full output in bench/results/run-DATE.log
# and replaces the figures between the <!-- bench:NAME:begin/end --> markers in
# docs/benchmarks.md (only for a benchmark whose correctness checks passed). Environment is
# passed through (RUNS, DURATION, N, ...).
#   bench/run.sh            # ~9 minutes once the 1M-Patient store is cached
#   SEARCH=1 bench/run.sh   # also the search benchmark: +~9 minutes once its store is cached
#                           # (building its store the first time: ~80 minutes, 52 GB)
#   PG=1 bench/run.sh       # also PostgreSQL beside SQLite (bench/pg.sh); ONLY=pg for it alone
#   NO_BUILD=1 bench/run.sh # measure the binary already in $BUILD (default build/)
#   BENCH_REV=HEAD bench/run.sh  # measure exactly a commit (server from git archive)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mkdir -p bench/results
LOG=bench/results/run-$(date -u +%Y%m%dT%H%M%SZ).log
DOC=docs/benchmarks.md

# Build into a private directory, so that rebuilding build/ during a run cannot swap the
# binary under the benchmark. BENCH_REV=REV measures exactly that commit instead of the
# working tree: it is exported with git archive and built in bench/results/build-SHA.
if [ -n "${BENCH_REV:-}" ]; then
	sha=$(git rev-parse --short "$BENCH_REV") || exit 1
	export BENCH_SERVER_REV=$sha
	export BUILD=$ROOT/bench/results/build-$sha
	if [ ! -x "$BUILD/yilian" ]; then
		src=$ROOT/bench/results/src-$sha
		rm -rf "$src" && mkdir -p "$src" && git archive "$sha" | tar -x -C "$src" &&
			cmake -S "$src" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 >/dev/null ||
			{ echo "run.sh: build of $sha failed" >&2; exit 1; }
	fi
elif [ "${NO_BUILD:-0}" != 1 ]; then
	export BUILD=$ROOT/bench/results/build
	{ cmake -S . -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 >/dev/null; } ||
		{ echo "run.sh: build failed" >&2; exit 1; }
fi

# splice NAME FILE: replace the lines between the markers of NAME in $DOC by FILE
splice() {
	grep -q "^<!-- bench:$1:begin -->\$" "$DOC" || { echo "run.sh: no $1 markers in $DOC" >&2; return 1; }
	awk -v b="<!-- bench:$1:begin -->" -v e="<!-- bench:$1:end -->" -v f="$2" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip { print }' "$DOC" >"$DOC.new" && mv "$DOC.new" "$DOC"
}

# the search section is added to $DOC, before the notes on method, the first time it is made
add_markers() {
	grep -q "^<!-- bench:$1:begin -->\$" "$DOC" && return 0
	awk -v t="$2" -v b="<!-- bench:$1:begin -->" -v e="<!-- bench:$1:end -->" '
		!done && /^## How the figures are made/ { print t; print ""; print b; print e; print ""; done = 1 }
		{ print }
		END { if (!done) { print ""; print t; print ""; print b; print e } }' "$DOC" >"$DOC.new" &&
		mv "$DOC.new" "$DOC"
}

benches=(read create)
[ "${SEARCH:-0}" = 1 ] && benches+=(search)
[ "${PG:-0}" = 1 ] && benches+=(pg) # PostgreSQL beside SQLite (bench/pg.sh)
[ "${ONLY:-}" ] && benches=($ONLY)   # e.g. ONLY=pg: that benchmark alone
status=0
ok=()
for b in "${benches[@]}"; do
	echo "=== bench/$b.sh" | tee -a "$LOG"
	if bench/$b.sh 2>&1 | tee -a "$LOG"; then
		ok+=("$b")
	else
		echo "run.sh: bench/$b.sh failed; its figures in $DOC are left as they were" | tee -a "$LOG"
		status=1
	fi
done

for b in "${ok[@]}"; do
	[ "$b" = search ] && add_markers search "## Search"
	[ "$b" = pg ] && add_markers pg "## PostgreSQL"
	splice "$b" "bench/results/$b.md"
done
ran_ok() { [[ " ${ok[*]} " == *" $1 "* ]]; }
if ran_ok read && ran_ok create; then
	{
		echo "| benchmark | yilian | comparison | vs floor |"
		echo "|---|---|---|---|"
		cat bench/results/read.row bench/results/create.row
		# search rows: this run's, or (search not run or failed) the ones already in the doc
		if ran_ok search; then
			cat bench/results/search.row
		else
			awk '/^<!-- bench:summary:begin -->$/ {s = 1} /^<!-- bench:summary:end -->$/ {s = 0}
				s && /^\| search / {print}' "$DOC"
		fi
		# the worklist row (bench/worklist.sh, run by hand) stays as it is
		awk '/^<!-- bench:summary:begin -->$/ {s = 1} /^<!-- bench:summary:end -->$/ {s = 0}
			s && /^\| worklist / {print}' "$DOC"
	} >bench/results/summary.md
	splice summary bench/results/summary.md
elif ran_ok search; then # only the search rows of the summary change
	{
		awk '/^<!-- bench:summary:begin -->$/ {s = 1; next} /^<!-- bench:summary:end -->$/ {s = 0}
			s && !/^\| search / {print}' "$DOC"
		cat bench/results/search.row
	} >bench/results/summary.md
	splice summary bench/results/summary.md
fi
echo "run.sh: log in $LOG; figures in $DOC"
exit $status
