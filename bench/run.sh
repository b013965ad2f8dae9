#!/usr/bin/env bash
# run.sh -- every benchmark in bench/: builds yilian, runs bench/read.sh and bench/create.sh,
# keeps the full output in bench/results/run-DATE.log and replaces the figures between the
# <!-- bench:NAME:begin/end --> markers in docs/benchmarks.md (only for a benchmark whose
# correctness checks passed). Environment is passed through (RUNS, DURATION, N, ...).
#   bench/run.sh            # ~9 minutes once the 1M-Patient store is cached
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

status=0
ok=()
for b in read create; do
	echo "=== bench/$b.sh" | tee -a "$LOG"
	if bench/$b.sh 2>&1 | tee -a "$LOG"; then
		ok+=("$b")
	else
		echo "run.sh: bench/$b.sh failed; its figures in $DOC are left as they were" | tee -a "$LOG"
		status=1
	fi
done

for b in "${ok[@]}"; do
	splice "$b" "bench/results/$b.md"
done
if [ "${#ok[@]}" = 2 ]; then
	{
		echo "| benchmark | yilian | comparison | vs floor |"
		echo "|---|---|---|---|"
		cat bench/results/read.row bench/results/create.row
	} >bench/results/summary.md
	splice summary bench/results/summary.md
fi
echo "run.sh: log in $LOG; figures in $DOC"
exit $status
