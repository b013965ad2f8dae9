# lib.sh -- helpers shared by bench/read.sh and bench/create.sh (sourced, not run).
# Sets ROOT, BUILD, YILIAN, RESULTS; provides the run header, server start/stop, wrk
# result parsing and medians. Every process started here is stopped by pid on exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
YILIAN=$BUILD/yilian
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"

die() { echo "bench: $*" >&2; exit 1; }

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found (scripts/deps.sh bench installs it)"
	done
	[ -x "$YILIAN" ] || die "$YILIAN not built (cmake -S . -B build && cmake --build build -j2)"
}

# commit, machine and date, printed at the top of every run and kept for the figures
bench_header() {
	COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	COMMIT_NOTE=""
	DIRTY_FILES=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | awk '{printf "%s%s", (NR>1?" ":""), $2}')
	[ -n "$DIRTY_FILES" ] && COMMIT="$COMMIT-dirty"
	if [ -n "${BENCH_SERVER_REV:-}" ]; then # bench/run.sh BENCH_REV=...: server from git archive
		COMMIT=$BENCH_SERVER_REV
		DIRTY_FILES=""
		COMMIT_NOTE=" (server built from git archive $BENCH_SERVER_REV)"
	fi
	CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
	MACHINE="$(nproc) x $CPU, Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
	DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	WRK_VERSION=$( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}')
	echo "command: $BENCH_COMMAND"
	echo "commit:  $COMMIT$COMMIT_NOTE${DIRTY_FILES:+ (uncommitted changes in: $DIRTY_FILES)}"
	echo "binary:  $YILIAN"
	echo "machine: $MACHINE"
	echo "date:    $DATE"
	echo "wrk:     $WRK_VERSION"
	echo "load:    $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min load average before the run)"
}

# a private working directory, removed with everything in it on exit
PIDS=()
WORK=""
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
make_work() {
	WORK=$(mktemp -d "$RESULTS/work.XXXXXX")
	chmod 755 "$WORK"
}

# start yilian: start_yilian DB ACCESSLOG  -> sets YPID, YURL (http://127.0.0.1:PORT); SERVER_ARGS
# (environment) are more `serve` options
# The audit trail of a cached benchmark store is emptied before each start: every request is
# an AuditEvent (issue 7), and a trail left from earlier runs (millions of events, GBs)
# would make each run slower than the last. The append-only triggers are dropped for the
# delete and made again (src/store/migrations/0010_auth_audit.sql); the patient postings
# (0011) are emptied with it.
reset_audit() {
	case $1 in postgres*) return 0 ;; esac # a PostgreSQL store is made fresh by its benchmark
	command -v sqlite3 >/dev/null 2>&1 || return 0
	sqlite3 "$1" "SELECT 1 FROM sqlite_schema WHERE name = 'audit'" 2>/dev/null | grep -q 1 || return 0
	sqlite3 "$1" "DROP TRIGGER IF EXISTS audit_no_delete; DELETE FROM audit;
		CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
		BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;" >/dev/null
	# and its patient postings (migration 0011), from the start
	sqlite3 "$1" "SELECT 1 FROM sqlite_schema WHERE name = 'audit_by_patient'" | grep -q 1 || return 0
	sqlite3 "$1" "INSERT INTO audit_by_patient (audit_by_patient) VALUES ('delete-all');
		UPDATE store_meta SET value = '0' WHERE key = 'audit_by_patient'" >/dev/null
}

start_yilian() {
	local db=$1 alog=$2 i
	reset_audit "$db"
	# every request is authenticated (issue 7): a benchmark administrator, whose session
	# token the wrk scripts (result.lua, YL_TOKEN) and curl (CURL_HOME/.curlrc) send
	printf 'bench-admin-password\n' | "$YILIAN" user add --db "$db" --username bench --role admin \
		--password-stdin >/dev/null 2>&1 || true
	# shellcheck disable=SC2086 # SERVER_ARGS: more serve options, split on spaces
	"$YILIAN" serve --db "$db" --listen 127.0.0.1:0 --threads "${SERVER_THREADS:-$(nproc)}" --access-log "$alog" \
		${SERVER_ARGS:-} >"$WORK/yilian.out" 2>"$WORK/yilian.err" &
	YPID=$!
	PIDS+=("$YPID")
	# up to START_TIMEOUT seconds (default 900): a new schema migration (an index on an
	# existing store of millions of rows) runs before the server listens
	for i in $(seq $((${START_TIMEOUT:-900} * 10))); do
		YURL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/yilian.err" 2>/dev/null | head -1 || true)
		if [ -n "$YURL" ]; then
			YL_TOKEN=$(curl -s -X POST "$YURL/auth/login" -H 'Content-Type: application/json' \
				-d '{"username":"bench","password":"bench-admin-password"}' |
				sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
			[ -n "$YL_TOKEN" ] || die "the benchmark administrator could not log in"
			export YL_TOKEN
			printf 'header = "Authorization: Bearer %s"\n' "$YL_TOKEN" >"$WORK/.curlrc"
			export CURL_HOME="$WORK"
			return 0
		fi
		kill -0 "$YPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/yilian.err" >&2
	die "yilian did not start"
}
stop_pid() {
	local p=$1 q=() x
	kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	for x in "${PIDS[@]}"; do [ "$x" != "$p" ] && q+=("$x"); done
	PIDS=("${q[@]}")
	return 0
}

# a TCP port nothing listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# field NAME from the RESULT line the bench Lua scripts print in done()
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# wrk's RESULT line (bench/result.lua) with the server CPU per request appended:
# with_cpu WRK_OUTPUT TICKS_BEFORE TICKS_AFTER
with_cpu() {
	local r
	r=$(grep '^RESULT' <<<"$1")
	echo "$r cpu_us_per_req=$(awk -v t=$(($3 - $2)) -v hz="$(getconf CLK_TCK)" \
		-v n="$(field requests "$r")" 'BEGIN {printf "%.1f", n ? t * 1e6 / hz / n : 0}')"
}

# check LABEL RESULT: every response 200, no socket errors or timeouts, none lost;
# otherwise say so and set FAILED=1
FAILED=0
check() {
	local r=$2 bad
	bad=$(( $(field non200 "$r") + $(field err_connect "$r") + $(field err_read "$r") + \
		$(field err_write "$r") + $(field err_timeout "$r") ))
	if [ "$bad" -ne 0 ] || [ "$(field requests "$r")" != "$(field responses "$r")" ]; then
		echo "!! $1: $(field non200 "$r") non-200 responses, socket errors, timeouts or lost responses" >&2
		FAILED=1
	fi
}

# median of the numbers given as arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# microseconds as a short human figure
fmt_us() { awk -v u="$1" 'BEGIN {if (u >= 1000) printf "%.2f ms", u/1000; else printf "%d µs", u}'; }
fmt_int() { awk -v n="$1" 'BEGIN {printf "%.0f", n}' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# user + system CPU clock ticks used so far by the given pids (all their threads)
cpu_ticks() {
	local p t=0 s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }  # fields after "pid (comm) "; utime and stime are fields 14 and 15
		t=$((t + $(awk '{print $12 + $13}' <<<"$s")))
	done
	echo "$t"
}

# perf_profile PID SECONDS NAME: sample PID's stacks (cpu-clock, DWARF unwinding: Debian's libc,
# libsqlite3 and libmicrohttpd have no frame pointers) and summarise them into
# bench/results/perf-NAME.txt; the raw data stays in bench/results/perf-NAME.data
perf_profile() {
	local pid=$1 secs=$2 name=$3 data=$RESULTS/perf-$3.data
	perf record -e cpu-clock --call-graph dwarf,16384 -p "$pid" -o "$data" -- sleep "$secs" 2>/dev/null >/dev/null
	{
		echo "-- by library (self time)"
		perf report -i "$data" --stdio --no-children --sort dso -g none 2>/dev/null
		echo "-- hottest symbols (self time)"
		perf report -i "$data" --stdio --no-children --sort dso,sym --percent-limit 0.7 -g none 2>/dev/null
		echo "-- hottest call paths (self + callees)"
		perf report -i "$data" --stdio --children --sort sym --percent-limit 3 -g none 2>/dev/null
	} | grep -v '^#' | grep -v '^$' >"$RESULTS/perf-$name.txt"
	echo "   profile: $RESULTS/perf-$name.txt (raw: perf report -i $data)"
}

# cached_ndjson N PER SEED: the generator's N Patients with PER Observations each as NDJSON
# in $RESULTS (made once per N, PER, SEED and bench/gen.c; later runs reuse it); prints its
# path. Needs $GEN (yl_bench_gen).
cached_ndjson() {
	local ndj=$RESULTS/import-${1}x${2}.ndjson stamp
	stamp="N=$1 PER=$2 GEN_SEED=$3 gen.c=$(sha256sum bench/gen.c | cut -c1-16)"
	if [ ! -s "$ndj" ] || [ "$(cat "$ndj.stamp" 2>/dev/null)" != "$stamp" ]; then
		echo "== generating $(($1 + $1 * $2)) resources as NDJSON into $ndj (cached for later runs)" >&2
		rm -f "$ndj" "$ndj.stamp"
		"$GEN" --dump "$1" "$2" "$3" >"$ndj.tmp"
		mv "$ndj.tmp" "$ndj"
		echo "$stamp" >"$ndj.stamp"
	fi
	echo "$ndj"
}
