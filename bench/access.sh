#!/usr/bin/env bash
# access.sh -- what identity, access control and audit cost (issue 7): GET /fhir/Patient/{id}
# over a synthetic region of N residents, by the server before issue 7 (BASE_REV, no login,
# no audit) and by this build (a bearer token checked against the store, the policy asked,
# an AuditEvent queued for every read and appended by the audit writer), the two runs
# interleaved RUNS times; and the same read by a family doctor, whose scope (their team's
# contracted residents, from the population model) is worked out on every request.
# Throughput (median requests/s), p99 and server CPU per request.
#
#   bench/access.sh                          # N=20000, 3 runs x 10 s
#
# Environment: N (20000), SEED (1), BASE_REV (7dbf9e0, the commit before issue 7), RUNS (3),
# DURATION (10s), CONNS (32), THREADS (2), BUILD. Writes bench/results/access.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-20000}
SEED=${SEED:-1}
BASE_REV=${BASE_REV:-7dbf9e0}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
BENCH_COMMAND="bench/access.sh (N=$N SEED=$SEED BASE_REV=$BASE_REV RUNS=$RUNS DURATION=$DURATION CONNS=$CONNS)"
need_tools wrk curl git
cd "$ROOT"
bench_header
make_work

# the server before issue 7, built once per revision
BASE="$RESULTS/access-base-$BASE_REV"
if [ ! -x "$BASE/build/yilian" ]; then
	rm -rf "$BASE" && mkdir -p "$BASE"
	git archive "$BASE_REV" | tar -x -C "$BASE"
	cmake -S "$BASE" -B "$BASE/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BASE/build" -j "$(nproc)" --target yilian >/dev/null
fi
REGION="$RESULTS/access-$N-$SEED.db"
if [ ! -f "$REGION.done" ]; then
	rm -f "$REGION"*
	"$YILIAN" synth --residents "$N" --seed "$SEED" --db "$REGION" --quiet >/dev/null
	touch "$REGION.done"
fi
cp "$REGION" "$WORK/base.db"
cp "$REGION" "$WORK/new.db"

# the wrk script: random residents of the region (pat-0000001 .. pat-N), or of IDS (a file)
cat >"$WORK/read.lua" <<'EOF'
dofile("bench/result.lua")
local ids = {}
function init(args)
	responses, non200 = 0, 0
	local f = args[1] and io.open(args[1])
	if f then for l in f:lines() do ids[#ids + 1] = l end f:close() end
	n = tonumber(args[2]) or 1000
	math.randomseed(1000 + tid)
end
function request()
	local id = #ids > 0 and ids[math.random(1, #ids)] or string.format("pat-%07d", math.random(1, n))
	return wrk.format("GET", "/fhir/Patient/" .. id)
end
EOF

# the base server (no login), by hand
"$BASE/build/yilian" serve --db "$WORK/base.db" --listen 127.0.0.1:0 --threads "$THREADS" \
	--access-log off --risk-tiers off >/dev/null 2>"$WORK/base.err" &
BPID=$!
PIDS+=("$BPID")
for _ in $(seq 300); do
	BURL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/base.err" 2>/dev/null | head -1 || true)
	[ -n "$BURL" ] && break
	sleep 0.1
done
[ -n "$BURL" ] || die "the base server did not start"
# both servers without the risk-tier backfill: on a fresh copy of the region it writes a
# RiskAssessment for each of the N residents, a core's worth of CPU for ~3 minutes, which
# counted in this build's CPU per request (and not the base's) until 2026-12-04
SERVER_THREADS=$THREADS SERVER_ARGS="--risk-tiers off" start_yilian "$WORK/new.db" off
ADMIN_TOKEN=$YL_TOKEN

# a family doctor: the lead of the first team, reading their own team's residents
DOC=$(curl -s "$YURL/fhir/CareTeam/team-00001" | grep -o '"member":{"reference":"Practitioner/[^"]*"' | head -1 | sed 's/.*Practitioner\///; s/"//')
printf 'bench-doctor-password\n' | "$YILIAN" user add --db "$WORK/new.db" --username bench-doc \
	--role family-doctor --practitioner "$DOC" --password-stdin >/dev/null 2>&1
for _ in $(seq 100); do # the population model is built in the background
	curl -s "$YURL/fhir/CareTeam/team-00001/\$residents?_count=0" | grep -q '"total"' && break
	sleep 0.2
done
DOC_TOKEN=$(curl -s -X POST "$YURL/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"bench-doc","password":"bench-doctor-password"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
curl -s "$YURL/fhir/CareTeam/team-00001/\$residents?_count=1000&_elements=id" |
	grep -o '"resourceType":"Patient","id":"[^"]*"' | sed 's/.*"id":"//; s/"//' >"$WORK/team.ids"
[ -s "$WORK/team.ids" ] || die "no residents in team-00001"
TEAM_N=$(wc -l <"$WORK/team.ids")

run() { # LABEL URL PID TOKEN [IDS]
	local out c0 c1
	c0=$(cpu_ticks "$3")
	out=$(YL_TOKEN=$4 wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$WORK/read.lua" "$2" -- "${5:-}" "$N")
	c1=$(cpu_ticks "$3")
	with_cpu "$out" "$c0" "$c1"
}
declare -A RPS P99 CPU
for i in $(seq "$RUNS"); do
	for what in base admin doctor; do
		case $what in
		base) r=$(run base "$BURL" "$BPID" "") ;;
		admin) r=$(run admin "$YURL" "$YPID" "$ADMIN_TOKEN") ;;
		doctor) r=$(run doctor "$YURL" "$YPID" "$DOC_TOKEN" "$WORK/team.ids") ;;
		esac
		check "$what" "$r"
		echo "run $i $what: $r"
		RPS[$what]+=" $(field rps "$r")"
		P99[$what]+=" $(field p99_us "$r")"
		CPU[$what]+=" $(field cpu_us_per_req "$r")"
	done
done
EVENTS=$(curl -s -H "Authorization: Bearer $ADMIN_TOKEN" "$YURL/fhir/AuditEvent?_count=1" | grep -o '"id":"[0-9]*"' | head -1 | tr -dc 0-9)

b=$(median ${RPS[base]})
{
	echo "| reader | requests/s (median of $RUNS) | vs. before issue 7 | p99 | server CPU per request |"
	echo "|---|---|---|---|---|"
	for what in base admin doctor; do
		label=$what
		[ "$what" = base ] && label="before issue 7 ($BASE_REV): no login, no audit"
		[ "$what" = admin ] && label="administrator: token, policy, AuditEvent per read"
		[ "$what" = doctor ] && label="family doctor: the same, reading $TEAM_N of their team's residents (scope kept between requests)"
		m=$(median ${RPS[$what]})
		echo "| $label | $(fmt_int "$m") | $(awk -v a="$m" -v b="$b" 'BEGIN {printf "%.0f%%", 100 * a / b}') | $(fmt_us "$(median ${P99[$what]})") | $(median ${CPU[$what]}) µs |"
	done
	echo
	echo "GET /fhir/Patient/{id} of a $N-resident region (yilian synth --seed $SEED), $CONNS connections, $THREADS server threads, $DURATION per run, runs interleaved. $EVENTS AuditEvents on the trail at the end."
} >"$RESULTS/access.md"
cat "$RESULTS/access.md"
[ "$FAILED" = 0 ]
