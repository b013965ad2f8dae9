#!/usr/bin/env bash
# pg.sh -- yilian on PostgreSQL beside yilian on SQLite, in one run on one machine
# (issue 8): NDJSON import of the same file into each, read by id, and the four searches of
# bench/search.sh, with one node on SQLite, one node on PostgreSQL and two nodes on the
# same PostgreSQL. A private PostgreSQL cluster (scripts/pg-cluster.sh, fsync on, unix
# socket) is made for the run and removed after.
#
# CPU per request counts yilian and every PostgreSQL process of the cluster together
# (/proc ticks before and after each measurement), so the figure carries to machines with
# more cores, where two nodes would not share two.
#
# usage: bench/pg.sh   (N=100000 PER=9 RUNS=3 DURATION=20s CONNS=64 QUERIES="a b c d")
# Writes bench/results/pg.md (bench/run.sh splices it into docs/benchmarks.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-100000}
PER=${PER:-9}
GEN_SEED=${GEN_SEED:-42}
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONNS=${CONNS:-64}
SCONNS=${SCONNS:-16}
THREADS=${THREADS:-2}
SEED=${SEED:-42}
PARTITIONS=${PARTITIONS:-8}
QUERIES=${QUERIES:-a b c d}
SINCE=2025-11-01
export SERVER_ARGS=${SERVER_ARGS:---risk-tiers off}
# every node, SQLite's and PostgreSQL's, with the same worker threads: serve's default on
# PostgreSQL for this machine (8 a CPU, 16 to 64); SQLite reads faster with them too
export SERVER_THREADS=${SERVER_THREADS:-$(n=$(($(nproc) * 8)); echo $((n < 16 ? 16 : n > 64 ? 64 : n)))}
BENCH_COMMAND="bench/pg.sh (N=$N PER=$PER RUNS=$RUNS DURATION=$DURATION CONNS=$CONNS SCONNS=$SCONNS PARTITIONS=$PARTITIONS SERVER_THREADS=$SERVER_THREADS QUERIES=\"$QUERIES\")"

need_tools wrk curl sha256sum
[ -x /usr/bin/time ] || die "/usr/bin/time not found (scripts/deps.sh bench installs it)"
cd "$ROOT"
bench_header
GEN="$BUILD/bench/yl_bench_gen"
[ -x "$GEN" ] || die "$GEN not built"
make_work
TOTAL=$((N + N * PER))
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_VERSION=$("$PGBIN/postgres" --version | awk '{print $3}')

# ---- the input: one NDJSON file (cached), the same for both stores
NDJ=$(cached_ndjson "$N" "$PER" "$GEN_SEED")

# ---- a private cluster, stopped with the rest
PGDIR=$WORK/pg
scripts/pg-cluster.sh start "$PGDIR" >/dev/null
trap 'scripts/pg-cluster.sh stop "$PGDIR"; cleanup' EXIT
"$PGBIN/createdb" -h "$PGDIR" -U yilian yl_bench
PGURI="postgresql:///yl_bench?host=$PGDIR&user=yilian&partitions=$PARTITIONS"
SQLDB=$WORK/bench.db
# CPU ticks of the whole cluster: the postmaster with its reaped children (a finished
# backend's time is in the postmaster's cutime/cstime) and the live ones
pg_ticks() {
	local pm s t
	pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
	s=$(cat "/proc/$pm/stat")
	s=${s##*) }
	t=$(awk '{print $12 + $13 + $14 + $15}' <<<"$s")
	echo $((t + $(cpu_ticks $(pgrep -P "$pm" | tr '\n' ' '))))
}

# ---- import
declare -A IMP
import_into() {
	local label=$1 db=$2 c0 c1 out
	c0=$(pg_ticks)
	/usr/bin/time -f '%e %U %S' -o "$WORK/$label.time" "$YILIAN" import --db "$db" --quiet "$NDJ" \
		>"$WORK/$label.out" 2>&1 || { cat "$WORK/$label.out" >&2; die "import into $label failed"; }
	c1=$(pg_ticks)
	read -r secs user sys <"$WORK/$label.time"
	out=$(grep -E 'resources in|indexes built' "$WORK/$label.out" | tr '\n' ' ')
	IMP[$label]="$secs $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f", u + s}') \
$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}')"
	echo "   $label: $secs s; $out"
}
echo "== import $TOTAL resources ($N Patients, $PER Observations each)"
import_into sqlite "$SQLDB"
import_into postgresql "$PGURI"
# as docs/operations.md asks after a big first load: statistics, and the visibility map and
# hint bits set now rather than by the first reads (and autovacuum) during the measurements
"$PGBIN/psql" -q -d "postgresql:///yl_bench?host=$PGDIR&user=yilian" -c "VACUUM (ANALYZE)"

# ---- servers
start_node() { # start_node DB -> appends to NODE_PIDS, NODE_URLS
	start_yilian "$1" off
	NODE_PIDS+=("$YPID")
	NODE_URLS+=("$YURL")
}
stop_nodes() {
	local p
	for p in "${NODE_PIDS[@]}"; do stop_pid "$p"; done
	NODE_PIDS=()
	NODE_URLS=()
}

# measure LABEL SCRIPT CONNS ARGS...: wrk on every node at once (connections split evenly),
# their requests/s summed, the worst p99 of them; CPU of the nodes and of PostgreSQL
measure() {
	local label=$1 script=$2 conns=$3 dur=$4
	shift 4
	local n=${#NODE_URLS[@]} i c0 c1 pids p0=0 p1=0
	pids="${NODE_PIDS[*]}"
	[[ $label == pg* ]] && p0=$(pg_ticks)
	c0=$(cpu_ticks $pids)
	local wpids=()
	for i in $(seq 0 $((n - 1))); do
		wrk -t"$((THREADS / n > 0 ? THREADS / n : 1))" -c"$((conns / n))" -d"$dur" --latency \
			-s "$script" "${NODE_URLS[$i]}" -- "$@" >"$WORK/wrk.$i" &
		wpids+=($!)
	done
	wait "${wpids[@]}" # not the servers, also children of this shell
	c1=$(cpu_ticks $pids)
	[[ $label == pg* ]] && p1=$(pg_ticks)
	c1=$((c1 + p1 - p0))
	local rps=0 p99=0 reqs=0 non=0 r
	for i in $(seq 0 $((n - 1))); do
		r=$(grep '^RESULT' "$WORK/wrk.$i")
		# (a warm-up is not measured: PostgreSQL's slowest searches may time out in it)
		[[ $label == *-warmup ]] || check "$label" "$r"
		rps=$(awk -v a="$rps" -v b="$(field rps "$r")" 'BEGIN {print a + b}')
		p99=$(awk -v a="$p99" -v b="$(field p99_us "$r")" 'BEGIN {print (b > a) ? b : a}')
		reqs=$((reqs + $(field requests "$r")))
		non=$((non + $(field non200 "$r")))
	done
	echo "RESULT rps=$rps p99_us=$p99 requests=$reqs non200=$non cpu_us_per_req=$(awk -v t=$((c1 - c0)) \
		-v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN {printf "%.1f", n ? t * 1e6 / hz / n : 0}')"
}

declare -A RPS P99 CPUS
NODE_PIDS=()
NODE_URLS=()
CONFIGS="sqlite pg1 pg2"
PREFIXES=$("$GEN" --prefixes | paste -sd, -)
for run in $(seq "$RUNS"); do
	for cfg in $CONFIGS; do
		case $cfg in
		sqlite) start_node "$SQLDB" ;;
		pg1) start_node "$PGURI" ;;
		pg2) start_node "$PGURI"; start_node "$PGURI" ;;
		esac
		measure "$cfg-warmup" bench/read.lua "$CONNS" "$WARMUP" "$N" $((SEED + 1000)) >/dev/null
		r=$(measure "$cfg" bench/read.lua "$CONNS" "$DURATION" "$N" "$SEED")
		echo "== run $run/$RUNS $cfg read by id: $r"
		RPS[$cfg-read]+=" $(field rps "$r")"; P99[$cfg-read]+=" $(field p99_us "$r")"
		CPUS[$cfg-read]+=" $(field cpu_us_per_req "$r")"
		for q in $QUERIES; do
			measure "$cfg-warmup" bench/search.lua "$SCONNS" "$WARMUP" "$q" "$N" $((SEED + 1000)) "$SINCE" "$PREFIXES" >/dev/null
			r=$(measure "$cfg" bench/search.lua "$SCONNS" "$DURATION" "$q" "$N" "$SEED" "$SINCE" "$PREFIXES")
			echo "== run $run/$RUNS $cfg search $q: $r"
			RPS[$cfg-$q]+=" $(field rps "$r")"; P99[$cfg-$q]+=" $(field p99_us "$r")"
			CPUS[$cfg-$q]+=" $(field cpu_us_per_req "$r")"
		done
		stop_nodes
	done
done

# ---- the figures
m() { median $1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }
read -r s_secs s_cpu _ <<<"${IMP[sqlite]}"
read -r p_secs p_cpu p_pg <<<"${IMP[postgresql]}"
s_rate=$(awk -v n="$TOTAL" -v s="$s_secs" 'BEGIN {printf "%.0f", n / s}')
p_rate=$(awk -v n="$TOTAL" -v s="$p_secs" 'BEGIN {printf "%.0f", n / s}')
read_ratio=$(ratio "$(m "${RPS[pg1-read]}")" "$(m "${RPS[sqlite-read]}")")
{
	echo "### PostgreSQL beside SQLite"
	echo
	echo "One run, one machine: the same NDJSON file ($(fmt_int "$TOTAL") resources: $(fmt_int "$N") Patients,"
	echo "$PER Observations each, \`yl_bench_gen --dump $N $PER $GEN_SEED\`) imported into an empty SQLite file"
	echo "and an empty PostgreSQL $PG_VERSION database ($PARTITIONS partitions; a private cluster on a unix socket,"
	echo "fsync on, shared_buffers 256 MB), then served by one yilian node on SQLite, one on PostgreSQL and"
	echo "two on the same PostgreSQL, each \`serve --threads $SERVER_THREADS\` (wrk on both at once, connections split evenly). CPU per request is"
	echo "yilian's and, for PostgreSQL, every process of the cluster's, together."
	echo
	echo "| import | seconds | resources/s | yilian CPU | PostgreSQL CPU |"
	echo "|---|---:|---:|---:|---:|"
	echo "| SQLite | $s_secs | $(fmt_int "$s_rate") | $s_cpu s | |"
	echo "| PostgreSQL | $p_secs | $(fmt_int "$p_rate") | $p_cpu s | $p_pg s |"
	echo
	echo "Floor: PostgreSQL import >= 15,000 resources/s with all indexing: $(awk -v r="$p_rate" 'BEGIN {print (r >= 15000) ? "meets" : "**below**"}')."
	echo
	echo "| request | SQLite req/s | PostgreSQL req/s | 2 nodes req/s | PG / SQLite | SQLite p99 | PG p99 | 2 nodes p99 | CPU/req SQLite | CPU/req PG | CPU/req 2 nodes |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for k in read $QUERIES; do
		case $k in
		read) what="read by id" ;;
		a) what="(a) latest HbA1c" ;;
		b) what="(b) a year of BP panels" ;;
		c) what="(c) name prefix, page of 20" ;;
		d) what="(d) count born <= 1961" ;;
		esac
		echo "| $what | $(fmt_int "$(m "${RPS[sqlite-$k]}")") | $(fmt_int "$(m "${RPS[pg1-$k]}")") | $(fmt_int "$(m "${RPS[pg2-$k]}")") | $(ratio "$(m "${RPS[pg1-$k]}")" "$(m "${RPS[sqlite-$k]}")") | $(fmt_us "$(m "${P99[sqlite-$k]}")") | $(fmt_us "$(m "${P99[pg1-$k]}")") | $(fmt_us "$(m "${P99[pg2-$k]}")") | $(m "${CPUS[sqlite-$k]}") µs | $(m "${CPUS[pg1-$k]}") µs | $(m "${CPUS[pg2-$k]}") µs |"
	done
	echo
	echo "Floor: read by id on PostgreSQL >= 0.40 x SQLite in the same run: $read_ratio ($(awk -v r="$read_ratio" 'BEGIN {print (r >= 0.40) ? "meets" : "**below**"}'))."
	echo "Medians of $RUNS runs of $DURATION (read by id: $CONNS connections; searches: $SCONNS), after a $WARMUP warm-up each."
	echo
	echo "- command: \`$BENCH_COMMAND\`"
	echo "- commit \`$COMMIT\`$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted: $DIRTY_FILES)}, $DATE"
	echo "- machine: $MACHINE; wrk $WRK_VERSION, yilian and PostgreSQL share the cores"
} >"$RESULTS/pg.md.new"
mv "$RESULTS/pg.md.new" "$RESULTS/pg.md"
cat "$RESULTS/pg.md"
exit "$FAILED"
