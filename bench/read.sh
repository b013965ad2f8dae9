#!/usr/bin/env bash
# read.sh -- read-by-id benchmark: GET /fhir/Patient/{id} at random ids over a store of N
# Patients (default 1,000,000), against Debian's nginx serving a 1 KB static JSON file at
# the same URLs, in one run on one machine.
#
#   bench/read.sh                      # 3 runs x (nginx, yilian+access log, yilian log off)
#   RUNS=1 DURATION=10s bench/read.sh  # a quick look
#   PERF=1 bench/read.sh               # also perf-record yilian during an extra run
#
# Environment: N (1000000), SERVER_ARGS (--risk-tiers off), RUNS (3), DURATION (30s), WARMUP (10s), CONNS (64), THREADS (2),
# SEED (42), BUILD (build dir). The store is cached as bench/results/patients-N.db and rebuilt
# only when N or bench/load.c changes. Writes the figures as Markdown to
# bench/results/read.md (bench/run.sh copies them into docs/benchmarks.md).
# Exit status 1 if any response was not 200 or the response hash differs between servers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
# the risk-tier backfill of a freshly loaded store (a one-time background job writing a
# RiskAssessment per resident: hours for 1,000,000) is not what this measures
export SERVER_ARGS=${SERVER_ARGS:---risk-tiers off}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-42}
PERF=${PERF:-0}
BENCH_COMMAND="bench/read.sh  (N=$N RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS SEED=$SEED SERVER_ARGS=\"$SERVER_ARGS\")"

need_tools wrk nginx curl sha256sum
cd "$ROOT"
bench_header
WRK_ARGS=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/read.lua)
echo "wrk:     wrk ${WRK_ARGS[*]} URL -- $N $SEED"
make_work

# ---- the store: N Patients through the store API, cached by N and by the loader's source
DB=$RESULTS/patients-$N.db
LOADER="$BUILD/bench/yl_bench_load"
[ -x "$LOADER" ] || die "$LOADER not built"
# the store's layout (migrations, index table, body codec) is part of the stamp: a store
# written by an older server is rebuilt, not migrated in place
stamp="N=$N load.c=$(sha256sum bench/load.c | cut -c1-16) $("$BUILD/bench/yl_bench_gen" --layout)"
if [ ! -s "$DB" ] || [ "$(head -1 "$DB.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "== loading $N Patients into $DB (cached for later runs)"
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.stamp"
	"$LOADER" "$DB" "$N"
	echo "$stamp" >"$DB.stamp"
else
	echo "== store: $DB (cached; $(du -h "$DB" | cut -f1))"
fi
DB_SIZE=$(du -h "$DB" | cut -f1)

# ---- nginx: a private prefix, config and 1 KB static JSON served at /fhir/Patient/*
NGX=$WORK/nginx
mkdir -p "$NGX/html" "$NGX/tmp"
cat >"$NGX/html/patient.json" <<'EOF'
{"resourceType":"Patient","id":"p0000042","meta":{"versionId":"1","lastUpdated":"2025-01-01T00:00:00.000Z"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Synthetic resident 42</div>"},"identifier":[{"use":"official","system":"urn:oid:1.2.156.112604.1.1","value":"BENCH0000000042"},{"system":"https://yilian.example/health-record","value":"HR-00000042"}],"active":true,"name":[{"use":"official","family":"Wang","given":["Jing"]}],"telecom":[{"system":"phone","value":"13800000042","use":"mobile"}],"gender":"female","birthDate":"1972-07-15","address":[{"use":"home","line":["Building 42, Unit 0"],"city":"Hangzhou","district":"Xihu","state":"Zhejiang","postalCode":"310000","country":"CN"}],"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]},"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"zh-CN"}]},"preferred":true}],"managingOrganization":{"reference":"Organization/org-2"}}
EOF
STATIC_BYTES=$(wc -c <"$NGX/html/patient.json")
NGX_PORT=$(free_port)
NGX_VERSION=$(nginx -v 2>&1 | sed 's/.*nginx\///')
sed -e "s|@PREFIX@|$NGX|g" -e "s|@PORT@|$NGX_PORT|g" bench/nginx.conf.in >"$NGX/nginx.conf"
chmod -R a+rX "$NGX"

start_nginx() {
	nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' &
	NPID=$!
	PIDS+=("$NPID")
	local i
	for i in $(seq 50); do
		curl -fs -o /dev/null "http://127.0.0.1:$NGX_PORT/fhir/Patient/p0000000" && return 0
		sleep 0.1
	done
	cat "$NGX/error.log" >&2
	die "nginx did not start"
}

# ---- a fixed sample: GET p0000000..p0000099, status + body, meta.lastUpdated stripped
sample_hash() {
	curl -s -w '\n%{http_code}\n' "$1/Patient/p[0000000-0000099]" |
		sed 's/"lastUpdated":"[^"]*"//g' | sha256sum | cut -c1-16
}

# one wrk measurement: measure LABEL URL SEED SECONDS -> RESULT line on stdout (plus the
# server's CPU time per response, from /proc of the pids in SERVER_PIDS), wrk's report on stderr
measure() {
	local label=$1 url=$2 seed=$3 dur=$4 out c0 c1
	c0=$(cpu_ticks $SERVER_PIDS)
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$dur" --latency -s bench/read.lua "$url" -- "$N" "$seed")
	c1=$(cpu_ticks $SERVER_PIDS)
	case $label in
	*warmup) ;;
	*) sed -n "/Latency Distribution/,/Requests\/sec/s/^/    [$label] /p" <<<"$out" >&2 ;;
	esac
	with_cpu "$out" "$c0" "$c1"
}


declare -A RPS P50 P99 NON200 REQS CPU
HASHES=()
for run in $(seq "$RUNS"); do
	echo "== run $run/$RUNS: nginx $NGX_VERSION, static $STATIC_BYTES-byte JSON"
	start_nginx
	SERVER_PIDS="$NPID $(pgrep -P "$NPID" | tr '\n' ' ')"
	measure nginx-warmup "http://127.0.0.1:$NGX_PORT" $((SEED + 1000)) 5s >/dev/null
	r=$(measure nginx "http://127.0.0.1:$NGX_PORT" "$SEED" "$DURATION")
	stop_pid "$NPID"
	echo "   $r"
	check nginx "$r"
	RPS[nginx]+=" $(field rps "$r")"; P50[nginx]+=" $(field p50_us "$r")"
	P99[nginx]+=" $(field p99_us "$r")"; NON200[nginx]+=" $(field non200 "$r")"
	REQS[nginx]+=" $(field requests "$r")"; CPU[nginx]+=" $(field cpu_us_per_req "$r")"

	order="file off"
	[ $((run % 2)) = 0 ] && order="off file" # alternate, so neither always runs last
	for log in $order; do
		label="yilian-log-$log"
		alog=off
		[ "$log" = file ] && alog=$WORK/access.log
		echo "== run $run/$RUNS: yilian, access log $([ "$log" = file ] && echo "to a file ($alog)" || echo off)"
		rm -f "$WORK/access.log"
		t0=$(date +%s.%N)
		cat "$DB" >/dev/null
		echo "   warm: cat DB ($DB_SIZE) $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s, then wrk $WARMUP (other seed)"
		start_yilian "$DB" "$alog"
		SERVER_PIDS=$YPID
		HASHES+=("$(sample_hash "$YURL/fhir")")
		measure "$label-warmup" "$YURL" $((SEED + 1000)) "$WARMUP" >/dev/null
		r=$(measure "$label" "$YURL" "$SEED" "$DURATION")
		stop_pid "$YPID"
		echo "   $r"
		check "$label" "$r"
		[ "$log" = file ] && echo "   access log: $(wc -l <"$WORK/access.log") lines, $(du -h "$WORK/access.log" | cut -f1)"
		rm -f "$WORK/access.log"
		RPS[$label]+=" $(field rps "$r")"; P50[$label]+=" $(field p50_us "$r")"
		P99[$label]+=" $(field p99_us "$r")"; NON200[$label]+=" $(field non200 "$r")"
		REQS[$label]+=" $(field requests "$r")"; CPU[$label]+=" $(field cpu_us_per_req "$r")"
	done
done

if [ "$PERF" = 1 ]; then
	echo "== profile: perf record -e cpu-clock --call-graph dwarf on yilian (access log to a file) for 10 s of a $DURATION wrk run"
	cat "$DB" >/dev/null
	start_yilian "$DB" "$WORK/access.log"
	SERVER_PIDS=$YPID
	measure perf-warmup "$YURL" $((SEED + 1000)) "$WARMUP" >/dev/null
	measure perf "$YURL" "$SEED" "$DURATION" >/dev/null &
	wpid=$!
	sleep 3
	perf_profile "$YPID" 10 read
	wait "$wpid"
	stop_pid "$YPID"
	head -30 "$RESULTS/perf-read.txt"
fi

# ---- the figures
[ "$RUNS" -gt 0 ] || exit 0
HASH=${HASHES[0]}
for h in "${HASHES[@]}"; do
	if [ "$h" != "$HASH" ]; then
		echo "!! response hash differs between yilian runs: ${HASHES[*]}" >&2
		FAILED=1
	fi
done
m() { median ${1}; }
ng_rps=$(m "${RPS[nginx]}"); ng_p50=$(m "${P50[nginx]}"); ng_p99=$(m "${P99[nginx]}")
rows=""
verdicts=""
for label in nginx yilian-log-file yilian-log-off; do
	rps=$(m "${RPS[$label]}"); p50=$(m "${P50[$label]}"); p99=$(m "${P99[$label]}")
	non=$(printf '%s\n' ${NON200[$label]} | awk '{s+=$1} END {print s}')
	reqs=$(printf '%s\n' ${REQS[$label]} | awk '{s+=$1} END {print s}')
	case $label in
	nginx) what="nginx $NGX_VERSION, static $STATIC_BYTES-byte JSON file" ; rr="1" ; pr="1" ;;
	yilian-log-file) what="yilian, access log to a file" ;;
	yilian-log-off) what="yilian, --access-log off" ;;
	esac
	if [ "$label" != nginx ]; then
		rr=$(awk -v a="$rps" -v b="$ng_rps" 'BEGIN {printf "%.2f", a/b}')
		pr=$(awk -v a="$p99" -v b="$ng_p99" 'BEGIN {printf "%.2f", a/b}')
		rv=$(awk -v r="$rr" 'BEGIN {print (r >= 0.60) ? "meets" : "BELOW"}')
		pv=$(awk -v r="$pr" 'BEGIN {print (r <= 2.0) ? "meets" : "ABOVE"}')
		verdicts+="- $what: rps ratio $rr ($rv the floor >= 0.60); p99 ratio $pr ($pv the ceiling <= 2.0)"$'\n'
	fi
	runs_rps=$(printf '%s\n' ${RPS[$label]} | awk '{printf "%s%.0f", (NR>1?", ":""), $1}')
	cpu=$(m "${CPU[$label]}")
	rows+="| $what | $(fmt_int "$rps") | $(fmt_us "$p50") | $(fmt_us "$p99") | $rr | $pr | $cpu µs | $non of $(fmt_int "$reqs") | $runs_rps |"$'\n'
done

{
	echo "### Read by id"
	echo
	echo "\`GET /fhir/Patient/{id}\`, ids uniformly random over all $(fmt_int "$N") Patients"
	echo "(~1.1 KB each, store $DB_SIZE), wrk seed $SEED; nginx serves one static file at the same URLs"
	echo "through the same wrk script. Medians of $RUNS runs of $DURATION each; the store was warmed"
	echo "before every yilian run (\`cat\` of the database file, then a $WARMUP wrk warm-up with another"
	echo "seed); nginx had a 5 s warm-up. Latency is wrk's (coordinated-omission-prone) histogram."
	echo
	echo "| server | requests/s | p50 | p99 | rps / nginx | p99 / nginx | server CPU / request | non-200 | requests/s per run |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
	printf '%s' "$rows"
	echo
	echo "Floors (yilian requests/s >= 0.60 x nginx, yilian p99 <= 2 x nginx p99, same run):"
	echo
	printf '%s' "$verdicts"
	echo
	echo "- response hash (GET p0000000..p0000099, status + body, meta.lastUpdated stripped, sha256/64 bits): \`$HASH\`"
	echo "- command: \`$BENCH_COMMAND\`; wrk per measurement: \`wrk ${WRK_ARGS[*]} URL -- $N $SEED\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE; wrk $WRK_VERSION and the server share the cores"
	echo "- yilian \`serve --threads $(nproc)\`; nginx \`worker_processes auto\`, \`access_log off\`, config bench/nginx.conf.in"
} >"$RESULTS/read.md.new"
mv "$RESULTS/read.md.new" "$RESULTS/read.md"
# one summary row per configuration for the table at the top of docs/benchmarks.md
for label in yilian-log-file yilian-log-off; do
	rps=$(m "${RPS[$label]}"); p99=$(m "${P99[$label]}")
	rr=$(awk -v a="$rps" -v b="$ng_rps" 'BEGIN {printf "%.2f", a/b}')
	pr=$(awk -v a="$p99" -v b="$ng_p99" 'BEGIN {printf "%.2f", a/b}')
	ok=$(awk -v r="$rr" -v p="$pr" 'BEGIN {print (r >= 0.60 && p <= 2.0) ? "meets both" : (r < 0.60 ? "**below** the rps floor" : "**above** the p99 ceiling")}')
	[ "$label" = yilian-log-file ] && what="access log to a file" || what="access log off"
	echo "| read by id, $(fmt_int "$N") Patients, 64 conns, $what | $(fmt_int "$rps") req/s, p50 $(fmt_us "$(m "${P50[$label]}")"), p99 $(fmt_us "$p99") | nginx static: $(fmt_int "$ng_rps") req/s, p99 $(fmt_us "$ng_p99") | rps $rr (>= 0.60), p99 $pr (<= 2.0): $ok |"
done >"$RESULTS/read.row"
echo
cat "$RESULTS/read.md"
[ "$FAILED" = 0 ] || { echo "read.sh: FAILED (see !! lines above)" >&2; exit 1; }
