#!/usr/bin/env bash
# worklist.sh -- worklist benchmark (issue 6): GET /fhir/CareTeam/{id}/$worklist?list=L&_count=20
# for the TEAMS largest teams of a synthetic region of N residents (yilian synth --db), the
# list drawn at random from the six (due, overdue, two-week, urgent-referral,
# lost-to-follow-up, not-enrolled), CONNS connections, RUNS runs of DURATION after a warm-up;
# latency percentiles from wrk, server CPU per request from /proc. The floor: p99 <= 20 ms on
# a team of 2,000 residents in a region of 1,000,000.
#
#   bench/worklist.sh                       # N=1000000, 3 runs x 30 s
#   N=20000 RUNS=1 DURATION=10s bench/worklist.sh   # a quick look
#
# Environment: N (1000000), SEED (42, synth's), AS_OF (today: the lists are relative to the
# server's today), YEARS (1: a year of visit history, so a 1,000,000-resident store fits this
# machine's disk; the lists need only the last visits), TEAMS (8), RUNS (3), DURATION (30s), WARMUP (10s), CONNS (8), THREADS (2),
# BUILD. The region is cached as bench/results/worklist-N-SEED-ASOF.db (a 1,000,000-resident
# region: ~16M resources, ~15 min to build). The server runs with --risk-tiers off so the
# first start does not spend its time writing a million RiskAssessments (the tiers are
# still computed); it waits for the population model before measuring and reports how long
# the model took to build and the server's memory then. Beside it, COMPARE_DURATION (20s) of
# $residents?_count=20 on the same teams: the team's residents read from the store at
# request time, as before the model. Writes bench/results/worklist.md. Exit 1 on non-200.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
SEED=${SEED:-42}
AS_OF=${AS_OF:-$(date +%F)}
YEARS=${YEARS:-1}
TEAMS=${TEAMS:-8}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
CONNS=${CONNS:-8}
COMPARE_DURATION=${COMPARE_DURATION:-20s}
THREADS=${THREADS:-2}
BENCH_COMMAND="bench/worklist.sh (N=$N SEED=$SEED AS_OF=$AS_OF YEARS=$YEARS TEAMS=$TEAMS RUNS=$RUNS DURATION=$DURATION CONNS=$CONNS)"
need_tools wrk curl python3
cd "$ROOT"
bench_header
make_work

DB=$RESULTS/worklist-$N-$SEED-$AS_OF-$YEARS.db
if [ ! -f "$DB" ]; then
	echo "== building the region: yilian synth --residents $N --seed $SEED --as-of $AS_OF --years $YEARS --db $DB"
	rm -f "$RESULTS"/worklist-*.db "$RESULTS"/worklist-*.db-*
	t0=$(date +%s)
	"$YILIAN" synth --residents "$N" --seed "$SEED" --as-of "$AS_OF" --years "$YEARS" --db "$DB.tmp" --quiet
	mv "$DB.tmp" "$DB"
	echo "   built in $(( $(date +%s) - t0 )) s"
fi

start_yilian_args() {
	# logged in as the benchmark administrator (bench/lib.sh start_yilian): YL_TOKEN, curlrc
	SERVER_ARGS="--risk-tiers off" start_yilian "$DB" off
	# the population model is built in the background: wait for it
	for _ in $(seq 36000); do
		grep -q 'population model: [0-9]* residents' "$WORK/yilian.err" && return 0
		kill -0 "$YPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/yilian.err" >&2
	die "the population model was not built"
}

echo "== run 0: the largest teams"
start_yilian_args
MODEL=$(grep -o 'population model: .*' "$WORK/yilian.err" | head -1)
RSS_MB=$(awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$YPID/status")
MODEL="$MODEL; server RSS then $RSS_MB MB"
echo "   $MODEL"
# the TEAMS teams with the most contracts in force
LIST=$(curl -s "$YURL/fhir/CareTeam?_count=1000&_elements=id" | python3 -c '
import json, sys
print(" ".join(e["resource"]["id"] for e in json.load(sys.stdin).get("entry", [])))')
SIZES=""
for t in $LIST; do
	n=$(curl -s "$YURL/fhir/CareTeam/$t/\$residents?_count=0" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
	SIZES+="$n $t"$'\n'
done
PICK=$(sort -rn <<<"$SIZES" | head -n "$TEAMS")
TEAM_IDS=$(awk '{print $2}' <<<"$PICK" | paste -sd, -)
TEAM_SIZES=$(awk '{print $1}' <<<"$PICK" | paste -sd' ' -)
echo "   teams: $TEAM_IDS (contracts in force: $TEAM_SIZES)"
# what the lists hold for the first team, for the record
for l in due overdue two-week urgent-referral lost-to-follow-up not-enrolled; do
	tot=$(curl -s "$YURL/fhir/CareTeam/${TEAM_IDS%%,*}/\$worklist?list=$l&_count=0" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
	echo "   ${TEAM_IDS%%,*} $l: $tot"
	LISTS+="$l $tot; "
done
stop_pid "$YPID"

# beside it: the team's residents read from the store at request time ($residents, issue 5's
# way: every contract and resident of the team searched and read), same teams and conns
cat >"$WORK/residents.lua" <<'LUA'
dofile("bench/result.lua")
local teams, nteams
function init(args)
	math.randomseed((tonumber(args[1]) or 1) * 1000 + tid)
	teams = {}
	for t in string.gmatch(args[2], "[^,]+") do table.insert(teams, t) end
	nteams = #teams
	responses, non200 = 0, 0
end
function request()
	return wrk.format("GET", "/fhir/CareTeam/" .. teams[math.random(nteams)] .. "/$residents?_count=20")
end
LUA
echo "== beside it: \$residents of the same teams (request-time store reads), $COMPARE_DURATION"
start_yilian_args
c0=$(cpu_ticks "$YPID")
out=$(wrk -t"$THREADS" -c"$CONNS" -d"$COMPARE_DURATION" --timeout 60s --latency -s "$WORK/residents.lua" "$YURL" -- "$SEED" "$TEAM_IDS")
c1=$(cpu_ticks "$YPID")
CMP=$(with_cpu "$out" "$c0" "$c1")
echo "   $CMP"
stop_pid "$YPID"

P50S=() P99S=() RPSS=() CPUS=()
for run in $(seq "$RUNS"); do
	echo "== run $run/$RUNS"
	start_yilian_args
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --latency -s bench/worklist.lua "$YURL" -- $((SEED + run)) "$TEAM_IDS" >/dev/null
	c0=$(cpu_ticks "$YPID")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 30s --latency -s bench/worklist.lua "$YURL" -- "$SEED" "$TEAM_IDS")
	c1=$(cpu_ticks "$YPID")
	r=$(with_cpu "$out" "$c0" "$c1")
	echo "   $r"
	check "run $run" "$r"
	P50S+=("$(field p50_us "$r")"); P99S+=("$(field p99_us "$r")")
	RPSS+=("$(field rps "$r")"); CPUS+=("$(field cpu_us_per_req "$r")")
	stop_pid "$YPID"
done

p99=$(median "${P99S[@]}")
floor=$(awk -v p="$p99" 'BEGIN {print (p <= 20000) ? "meets" : "misses"}')
{
	echo "### Worklists (\$worklist)"
	echo
	echo "\`GET /fhir/CareTeam/{id}/\$worklist?list=L&_count=20\` on the $TEAMS largest teams of a"
	echo "synthetic region of $(fmt_int "$N") residents (\`yilian synth --seed $SEED --as-of $AS_OF --years $YEARS\`),"
	echo "the list at random of the six, $CONNS connections, $RUNS runs of $DURATION after $WARMUP of warm-up."
	echo
	echo "| p50 (median) | p99 (median) | requests/s (median) | server CPU per request | floor p99 <= 20 ms |"
	echo "|---:|---:|---:|---:|---|"
	echo "| $(fmt_us "$(median "${P50S[@]}")") | $(fmt_us "$p99") | $(fmt_int "$(median "${RPSS[@]}")") | $(median "${CPUS[@]}") µs | $floor |"
	echo
	echo "- runs: p50 ${P50S[*]} µs; p99 ${P99S[*]} µs; requests/s ${RPSS[*]}"
	echo "- beside it, \`\$residents?_count=20\` of the same teams read from the store at request time ($COMPARE_DURATION, $CONNS conns): p50 $(fmt_us "$(field p50_us "$CMP")"), p99 $(fmt_us "$(field p99_us "$CMP")"), $(field rps "$CMP") requests/s, $(field cpu_us_per_req "$CMP") µs CPU per request"
	echo "- teams: $TEAM_IDS, contracts in force $TEAM_SIZES"
	echo "- lists of ${TEAM_IDS%%,*}: $LISTS"
	echo "- $MODEL"
	echo "- command: \`$BENCH_COMMAND\`"
	echo "- commit \`$COMMIT\`, $DATE"
	echo "- machine: $MACHINE"
} | tee "$RESULTS/worklist.md"
exit "$FAILED"
