#!/usr/bin/env bash
# search.sh -- search benchmark (issue 3): four searches over a store of N Patients and
# N x PER Observations (default 1,000,000 and 10,000,000) made by bench/gen.c, each driven
# by wrk with CONNS connections:
#   (a) Observation?subject=Patient/X&code=http://loinc.org|4548-4&_sort=-date&_count=1
#   (b) Observation?subject=Patient/X&code=http://loinc.org|85354-9&date=ge2025-11-01
#   (c) Patient?name=<3-letter surname prefix>&_count=20
#   (d) Patient?birthdate=le1961-01-01&_summary=count
# X is uniform over the generated Patients; the prefixes come from the generator's surname
# list (yl_bench_gen --prefixes). The data is dated over the 5 years before 2026-11-01, so
# "one year ago" is the fixed 2025-11-01.
#
#   bench/search.sh                        # 3 runs x 4 queries x (10 s warm-up + 30 s)
#   RUNS=1 DURATION=10s bench/search.sh    # a quick look
#   N=10000 bench/search.sh                # a small store (built in seconds)
#   QUERIES="c d" bench/search.sh          # only some of the queries
#   PERF=1 RUNS=0 QUERIES=d bench/search.sh  # only a perf profile of (d) -> perf-search-d.txt
#
# Environment: N (1000000), PER (10, Observations per Patient), GEN_SEED (42, the
# generator's), RUNS (3), DURATION (30s), WARMUP (10s), CONNS (16), THREADS (2), SEED (42,
# wrk's), QUERIES (a b c d), PERF (0), BUILD (build dir), SERVER_THREADS (nproc) and
# SERVER_ARGS (more serve options, e.g. "--cache-mb 8000 --prewarm"), GEN_CACHE_MB (8000,
# the generator's page cache: its index inserts are random reads of a store larger than RAM). The store is cached as
# bench/results/region-NxPER.db and rebuilt only when N, PER, GEN_SEED or bench/gen.c
# change (the full size took ~80 minutes and 52 GB on the 2-core VM before bodies were packed; the first server start
# after a schema migration that adds an index takes minutes more). Writes the figures as Markdown to
# bench/results/search.md (bench/run.sh copies them into docs/benchmarks.md with SEARCH=1).
# Exit status 1 if any response was not 200, on socket errors or timeouts, or if a sample
# response hash differs between runs. Missing a floor is reported, not a failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
PER=${PER:-10}
GEN_SEED=${GEN_SEED:-42}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
SEED=${SEED:-42}
QUERIES=${QUERIES:-a b c d}
PERF=${PERF:-0}
SINCE=2025-11-01 # one year before the generator's "now" (2026-11-01)
BENCH_COMMAND="bench/search.sh  (N=$N PER=$PER GEN_SEED=$GEN_SEED RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS SEED=$SEED QUERIES=\"$QUERIES\")"

declare -A QTEXT=(
	[a]="Observation?subject=Patient/X&code=http://loinc.org|4548-4&_sort=-date&_count=1"
	[b]="Observation?subject=Patient/X&code=http://loinc.org|85354-9&date=ge$SINCE"
	[c]="Patient?name=PREFIX&_count=20"
	[d]="Patient?birthdate=le1961-01-01&_summary=count"
)
declare -A QWHAT=(
	[a]="latest HbA1c of a patient"
	[b]="a patient's blood pressure panels of the last year"
	[c]="Patients by a 3-letter name prefix, first page of 20"
	[d]="count of Patients born on or before 1961-01-01"
)
declare -A FLOOR_US=([a]=10000 [b]=10000 [c]=10000 [d]=500000)
for q in $QUERIES; do
	[ -n "${QTEXT[$q]:-}" ] || die "unknown query '$q' in QUERIES (a b c d)"
done

need_tools wrk curl sha256sum
cd "$ROOT"
bench_header
GEN="$BUILD/bench/yl_bench_gen"
[ -x "$GEN" ] || die "$GEN not built"
PREFIXES=$("$GEN" --prefixes | paste -sd, -)
WRK_ARGS=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 30s --latency -s bench/search.lua)
echo "wrk:     wrk ${WRK_ARGS[*]} URL -- KIND $N $SEED $SINCE PREFIXES"
echo "prefix:  $(tr ',' ' ' <<<"$PREFIXES" | wc -w) surname prefixes ($(cut -d, -f1-8 <<<"$PREFIXES"),...)"
make_work

# ---- the store: N Patients and N x PER Observations through the store API, cached
DB=$RESULTS/region-${N}x${PER}.db
# (the newest migration is left out: the server applies a new one to the cached store)
stamp="N=$N PER=$PER GEN_SEED=$GEN_SEED gen.c=$(sha256sum bench/gen.c | cut -c1-16) $("$GEN" --layout | sed 's/^migration [0-9]*, //')"
if [ ! -s "$DB" ] || [ "$(head -1 "$DB.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.stamp"
	# ~2.3 KB on disk per resource (the body packed once, ~12 index rows per Observation,
	# 31 per Patient), and a WAL of several GB while it is built
	need_kb=$(( (N + N * PER) * 3 ))
	free_kb=$(df -Pk "$RESULTS" | awk 'NR==2 {print $4}')
	[ "$free_kb" -gt "$need_kb" ] ||
		die "the store needs about $((need_kb / 1048576)) GB and $RESULTS has $((free_kb / 1048576)) GB free"
	echo "== generating $N Patients and $((N * PER)) Observations into $DB (cached for later runs)"
	GEN_CACHE_MB=${GEN_CACHE_MB:-8000} "$GEN" "$DB" "$N" "$PER" "$GEN_SEED" 2>&1 | tee "$WORK/gen.log" | grep -v ' info store: '
	[ "${PIPESTATUS[0]}" = 0 ] || die "yl_bench_gen failed"
	{ echo "$stamp"; grep 'yl_bench_gen: wrote' "$WORK/gen.log" | sed 's/^yl_bench_gen: //'; } >"$DB.stamp"
else
	echo "== store: $DB (cached)"
fi
GEN_NOTE=$(sed -n 2p "$DB.stamp")
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
fmt_gb() { awk -v b="$1" 'BEGIN {printf "%.1f GB", b / 1e9}'; }

# yilian on the store, logged in as the benchmark administrator (bench/lib.sh start_yilian:
# YL_TOKEN, curlrc); the first start after a schema change may run a long migration, so
# wait for up to 10 hours. Without the risk-tier backfill of a freshly loaded store (a
# one-time background job, not what this measures).
start_server() {
	SERVER_ARGS=${SERVER_ARGS:---risk-tiers off} START_TIMEOUT=${START_TIMEOUT:-36000} \
		start_yilian "$DB" "$WORK/access.log"
}

# ---- fixed samples: (a) and (b) for p0000000..p0000009, (c) for the first 5 prefixes, (d);
# status + body, meta.lastUpdated and the base URL (its port changes) stripped
sample_urls() {
	local q=$1 i p
	case $q in
	a | b) for i in $(seq 0 9); do printf '%s\n' "$(sample_path "$q" "$i" "")"; done ;;
	c) for p in $(tr ',' ' ' <<<"$PREFIXES" | cut -d' ' -f1-5); do sample_path c 0 "$p"; echo; done ;;
	d) sample_path d 0 ""; echo ;;
	esac
}
sample_path() { # the same paths as search.lua's path_of
	case $1 in
	a) printf '/fhir/Observation?subject=Patient/p%07d&code=http://loinc.org%%7C4548-4&_sort=-date&_count=1' "$2" ;;
	b) printf '/fhir/Observation?subject=Patient/p%07d&code=http://loinc.org%%7C85354-9&date=ge%s' "$2" "$SINCE" ;;
	c) printf '/fhir/Patient?name=%s&_count=20' "$3" ;;
	d) printf '/fhir/Patient?birthdate=le1961-01-01&_summary=count' ;;
	esac
}
sample() { # sample Q -> the responses, normalised, on stdout
	local u
	sample_urls "$1" | while read -r u; do
		curl -s -g -w '\n%{http_code}\n' "$YURL$u" || true # a failure shows as status 000
	done | sed -e 's/"lastUpdated":"[^"]*"//g' -e 's|http://127\.0\.0\.1:[0-9]*||g'
}

# one wrk measurement: measure Q SEED SECONDS -> RESULT line (+ server CPU per request)
measure() {
	local q=$1 seed=$2 dur=$3 out c0 c1
	c0=$(cpu_ticks "$YPID")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$dur" --timeout 30s --latency -s bench/search.lua "$YURL" -- \
		"$q" "$N" "$seed" "$SINCE" "$PREFIXES")
	c1=$(cpu_ticks "$YPID")
	with_cpu "$out" "$c0" "$c1"
}


declare -A RPS P50 P99 NON200 REQS CPU HASH TOTAL_D
HWM_KB=0
for run in $(seq "$RUNS"); do
	echo "== run $run/$RUNS: yilian on $DB"
	start_server
	for q in $QUERIES; do
		sample "$q" >"$WORK/sample-$q.txt"
		h=$(sha256sum <"$WORK/sample-$q.txt" | cut -c1-16)
		HASH[$q]+=" $h"
		bad=$(grep -cvx '200' <(awk 'NR % 2 == 0' "$WORK/sample-$q.txt") || true)
		[ "$bad" = 0 ] || { echo "!! ($q) sample: $bad responses were not 200" >&2; FAILED=1; }
		if [ "$q" = d ]; then
			TOTAL_D[$run]=$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$WORK/sample-d.txt" | head -1)
		fi
		t0=$(date +%s.%N)
		measure "$q" $((SEED + 1000 + run)) "$WARMUP" >/dev/null
		r=$(measure "$q" "$SEED" "$DURATION")
		echo "   ($q) $r  [warm-up $WARMUP, sample hash $h]"
		check "($q) run $run" "$r"
		RPS[$q]+=" $(field rps "$r")"; P50[$q]+=" $(field p50_us "$r")"
		P99[$q]+=" $(field p99_us "$r")"; NON200[$q]+=" $(field non200 "$r")"
		REQS[$q]+=" $(field requests "$r")"; CPU[$q]+=" $(field cpu_us_per_req "$r")"
		rm -f "$WORK/access.log"
	done
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$YPID/status")
	[ "$hwm" -gt "$HWM_KB" ] && HWM_KB=$hwm
	echo "   server peak RSS (VmHWM): $((hwm / 1024)) MB"
	stop_pid "$YPID"
done

if [ "$PERF" = 1 ]; then
	for q in $QUERIES; do
		echo "== profile ($q): perf record -e cpu-clock --call-graph dwarf on yilian for 10 s of a $DURATION run"
		start_server
		measure "$q" $((SEED + 1000)) "$WARMUP" >/dev/null
		measure "$q" "$SEED" "$DURATION" >/dev/null &
		wpid=$!
		sleep 3
		perf_profile "$YPID" 10 "search-$q"
		wait "$wpid"
		stop_pid "$YPID"
		head -30 "$RESULTS/perf-search-$q.txt"
	done
fi

# ---- the figures
[ "$RUNS" -gt 0 ] || exit 0
DB_BYTES=$(size_of "$DB")
WAL_BYTES=$(( $(size_of "$DB-wal") + $(size_of "$DB-shm") ))
m() { median ${1}; }
rows=""
summary=""
for q in $QUERIES; do
	set -- ${HASH[$q]}
	for h in "$@"; do
		[ "$h" = "$1" ] || { echo "!! ($q) sample hash differs between runs: ${HASH[$q]}" >&2; FAILED=1; }
	done
	qhash=$1
	rps=$(m "${RPS[$q]}"); p50=$(m "${P50[$q]}"); p99=$(m "${P99[$q]}"); cpu=$(m "${CPU[$q]}")
	non=$(printf '%s\n' ${NON200[$q]} | awk '{s+=$1} END {print s}')
	reqs=$(printf '%s\n' ${REQS[$q]} | awk '{s+=$1} END {print s}')
	floor=${FLOOR_US[$q]}
	verdict=$(awk -v p="$p99" -v f="$floor" 'BEGIN {print (p <= f) ? "meets" : "**above**"}')
	runs_rps=$(printf '%s\n' ${RPS[$q]} | awk '{printf "%s%.0f", (NR>1?", ":""), $1}')
	runs_p99=$(printf '%s\n' ${P99[$q]} | awk '{printf "%s%.1f", (NR>1?", ":""), $1/1000}')
	note=""
	[ "$q" = d ] && note=" (total: ${TOTAL_D[1]:-?})"
	rows+="| ($q) \`${QTEXT[$q]//|/\\|}\`$note | $(fmt_int "$rps") | $(fmt_us "$p50") | $(fmt_us "$p99") | <= $(fmt_us "$floor"): $verdict | $cpu µs | $non of $(fmt_int "$reqs") | $runs_rps | $runs_p99 | \`$qhash\` |"$'\n'
	summary+="| search ($q) ${QWHAT[$q]}, $(fmt_int "$N") Patients + $(fmt_int $((N * PER))) Observations, $CONNS conns | $(fmt_int "$rps") req/s, p50 $(fmt_us "$p50"), p99 $(fmt_us "$p99") | (no comparison server) | p99 <= $(fmt_us "$floor"): $([ "$verdict" = meets ] && echo meets || echo "**above**") |"$'\n'
done
totals=""
for run in $(seq "$RUNS"); do totals+="${totals:+, }${TOTAL_D[$run]:-}"; done

{
	echo "### Search"
	echo
	echo "$(fmt_int "$N") Patients and $(fmt_int $((N * PER))) Observations (vital signs and labs with LOINC"
	echo "codes, dated over the 5 years before 2026-11-01) made by \`yl_bench_gen $N $PER $GEN_SEED\`"
	echo "(bench/gen.c) through the store API; $CONNS connections, X uniform over the Patients and the"
	echo "name prefix uniform over the generator's $(tr ',' ' ' <<<"$PREFIXES" | wc -w) surname prefixes, wrk seed $SEED."
	echo "Medians of $RUNS runs of $DURATION per query, each after a $WARMUP warm-up with another seed;"
	echo "the store is not read into the page cache first (at the full size it is larger than RAM, so"
	echo "requests read from disk, and later runs find more of it cached). Latency is wrk's"
	echo "(coordinated-omission-prone) histogram."
	echo
	echo "| query | requests/s | p50 | p99 | floor (p99) | server CPU / request | non-200 | requests/s per run | p99 ms per run | sample hash |"
	echo "|---|---:|---:|---:|---|---:|---:|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "- store on disk: $(fmt_gb $((DB_BYTES + WAL_BYTES))) (database $(fmt_gb "$DB_BYTES"), WAL and shm $(fmt_gb "$WAL_BYTES")); yl_bench_gen ${GEN_NOTE:-built it}"
	echo "- server peak RSS (VmHWM at the end of a run, largest of $RUNS): $((HWM_KB / 1024)) MB"
	[[ " $QUERIES " == *" d "* ]] && echo "- (d) total per run: $totals"
	echo "- sample hashes (status + body, meta.lastUpdated and the base URL stripped, sha256/64 bits):"
	echo "  (a), (b) for p0000000..p0000009, (c) for the prefixes $(tr ',' ' ' <<<"$PREFIXES" | cut -d' ' -f1-5), (d) once"
	echo "- command: \`$BENCH_COMMAND\`; wrk per measurement: \`wrk ${WRK_ARGS[*]} URL -- KIND $N $SEED $SINCE PREFIXES\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE; wrk $WRK_VERSION and the server share the cores"
	echo "- yilian \`serve --threads ${SERVER_THREADS:-$(nproc)} ${SERVER_ARGS:+$SERVER_ARGS }--access-log FILE\`"
} >"$RESULTS/search.md.new"
mv "$RESULTS/search.md.new" "$RESULTS/search.md"
printf '%s' "$summary" >"$RESULTS/search.row"
echo
cat "$RESULTS/search.md"
[ "$FAILED" = 0 ] || { echo "search.sh: FAILED (see !! lines above)" >&2; exit 1; }
