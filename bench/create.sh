#!/usr/bin/env bash
# create.sh -- create throughput: POST /fhir/Patient with a realistic ~1.1 KB Patient
# (bench/create.lua) on a fresh store, 16 connections, then check that the store holds
# exactly as many resources as the server answered 201 for.
#
#   bench/create.sh                       # 3 runs of 30 s, each on a fresh store
#   RUNS=1 DURATION=10s bench/create.sh   # a quick look
#   PERF=1 bench/create.sh                # also perf-record yilian during an extra run
#
# Environment: RUNS (3), DURATION (30s), CONNS (16), THREADS (2), BUILD (build dir).
# Writes the figures as Markdown to bench/results/create.md (bench/run.sh copies them into
# docs/benchmarks.md). Exit status 1 if a response was not 201 or the counts disagree.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
DURATION=${DURATION:-30s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
PERF=${PERF:-0}
BENCH_COMMAND="bench/create.sh  (RUNS=$RUNS DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS)"

need_tools wrk curl sha256sum
cd "$ROOT"
bench_header
WRK_ARGS=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/create.lua)
echo "wrk:     wrk ${WRK_ARGS[*]} URL"
make_work
BODY=$WORK/patient.json
# the body with one valid identity number the runs never use (born 1920; theirs from 1925)
sed -n 's/^local body = \[\[\(.*\)\]\]$/\1/p' bench/create.lua |
	sed -e 's/@ID@/330106192001010016/' -e 's/@BIRTH@/1920-01-01/' >"$BODY"
BODY_BYTES=$(tr -d '\n' <"$BODY" | wc -c)
[ "$BODY_BYTES" -gt 500 ] || die "could not read the Patient body from bench/create.lua"

FAILED=0
fail() { echo "!! $*" >&2; FAILED=1; }
total_of() { sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }

RPS="" P50="" P99="" CPUS="" HASHES=() VERIFY=()
for run in $(seq "$RUNS"); do
	db=$WORK/create-$run.db
	echo "== run $run/$RUNS: fresh store $db, access log to a file"
	start_yilian "$db" "$WORK/access.log"
	c0=$(cpu_ticks "$YPID")
	out=$(wrk "${WRK_ARGS[@]}" "$YURL")
	c1=$(cpu_ticks "$YPID")
	sed -n '/Latency Distribution/,/Requests\/sec/s/^/    /p' <<<"$out"
	r=$(grep '^RESULT' <<<"$out")
	echo "   $r"
	sleep 1 # let the requests in flight when wrk stopped finish
	stored=$(curl -fs "$YURL/fhir/Patient/_history?_summary=count" | total_of)
	logged=$(grep -c ' POST /fhir/Patient status=201 ' "$WORK/access.log" || true)
	created=$(field created "$r")
	inflight=$(field inflight "$r")
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$logged" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
	echo "   stored Patients (GET /fhir/Patient/_history?_summary=count; the RiskAssessments the server adds on its own are not counted): $stored; 201s seen by wrk: $created;" \
		"201s in the access log: $logged; requests in flight when wrk stopped: $inflight;" \
		"server CPU per create: $cpu µs"
	[ "$(field non201 "$r")" = 0 ] || fail "run $run: $(field non201 "$r") responses were not 201"
	errs=$(( $(field err_connect "$r") + $(field err_read "$r") + $(field err_write "$r") + $(field err_timeout "$r") ))
	[ "$errs" = 0 ] || fail "run $run: $errs socket errors or timeouts"
	[ "$stored" = "$logged" ] || fail "run $run: store holds $stored resources but the server answered 201 $logged times"
	if [ "$stored" -lt "$created" ] || [ "$stored" -gt $((created + inflight)) ]; then
		fail "run $run: store holds $stored resources, wrk saw $created 201s and $inflight in flight"
	fi
	if [ "$stored" = "$created" ]; then
		VERIFY+=("$stored = $created")
	else
		VERIFY+=("$stored = $created + $((stored - created)) in flight at the stop")
	fi
	# the response to one more create and the read back, ids and timestamps stripped
	loc=$(curl -s -D - -o "$WORK/post.json" -H 'Content-Type: application/fhir+json' \
		--data-binary @"$BODY" "$YURL/fhir/Patient" | tr -d '\r' | sed -n 's/^Location: //Ip')
	loc=${loc%/_history/*}
	HASHES+=("$({ cat "$WORK/post.json"; curl -s -w '\n%{http_code}\n' "$loc"; } |
		sed -e 's/"id":"[^"]*"//g' -e 's/"lastUpdated":"[^"]*"//g' | sha256sum | cut -c1-16)")
	dbsize=$(du -ch "$db"* | tail -1 | cut -f1)
	stop_pid "$YPID"
	echo "   store after the run: $dbsize (database + WAL)"
	rm -f "$db" "$db-wal" "$db-shm" "$WORK/access.log"
	RPS+=" $(field rps "$r")"; P50+=" $(field p50_us "$r")"; P99+=" $(field p99_us "$r")"; CPUS+=" $cpu"
done

if [ "$PERF" = 1 ]; then
	echo "== profile: perf record -e cpu-clock --call-graph dwarf on yilian for 10 s of a $DURATION create run"
	start_yilian "$WORK/perf.db" "$WORK/access.log"
	wrk "${WRK_ARGS[@]}" "$YURL" >/dev/null &
	wpid=$!
	sleep 3
	perf_profile "$YPID" 10 create
	wait "$wpid"
	stop_pid "$YPID"
	head -30 "$RESULTS/perf-create.txt"
fi
[ "$RUNS" -gt 0 ] || exit 0
HASH=${HASHES[0]}
for h in "${HASHES[@]}"; do
	[ "$h" = "$HASH" ] || fail "response hash differs between runs: ${HASHES[*]}"
done
rps=$(median $RPS); p50=$(median $P50); p99=$(median $P99); cpu=$(median $CPUS)
verdict=$(awk -v r="$rps" 'BEGIN {print (r >= 5000) ? "meets" : "BELOW"}')
runs_rps=$(printf '%s\n' $RPS | awk '{printf "%s%.0f", (NR>1?", ":""), $1}')
{
	echo "### Create"
	echo
	echo "\`POST /fhir/Patient\` with a $BODY_BYTES-byte Patient (bench/create.lua), $CONNS connections,"
	echo "each run on a fresh store, access log to a file, no warm-up. Medians of $RUNS runs of $DURATION."
	echo
	echo "| benchmark | creates/s | p50 | p99 | server CPU / create | floor | creates/s per run |"
	echo "|---|---:|---:|---:|---:|---|---|"
	echo "| create, $CONNS connections | $(fmt_int "$rps") | $(fmt_us "$p50") | $(fmt_us "$p99") | $cpu µs | >= 5,000/s: $verdict | $runs_rps |"
	echo
	echo "- stored Patients (GET /fhir/Patient/_history?_summary=count) = 201 responses seen by wrk, per run:"
	echo "  $(IFS=';'; echo "${VERIFY[*]}" | sed 's/;/; /g') (requests in flight when wrk stops may"
	echo "  still commit; the store always equals the server's 201 count in its access log)"
	echo "- response hash (one more POST and its read-back, status + body, id and meta.lastUpdated stripped): \`$HASH\`"
	echo "- command: \`$BENCH_COMMAND\`; wrk per run: \`wrk ${WRK_ARGS[*]} URL\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE; wrk $WRK_VERSION and the server share the cores"
	echo "- yilian \`serve --threads $(nproc) --access-log FILE\`"
} >"$RESULTS/create.md.new"
mv "$RESULTS/create.md.new" "$RESULTS/create.md"
echo "| create, ~1 KB Patient, $CONNS conns, access log to a file | $(fmt_int "$rps") creates/s, p50 $(fmt_us "$p50"), p99 $(fmt_us "$p99") | (no comparison server) | $(fmt_int "$rps") vs floor 5,000/s: $([ "$verdict" = meets ] && echo meets || echo "**below**") |" >"$RESULTS/create.row"
echo
cat "$RESULTS/create.md"
[ "$FAILED" = 0 ] || { echo "create.sh: FAILED (see !! lines above)" >&2; exit 1; }
