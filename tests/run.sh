#!/bin/sh
# run.sh -- every test, as `make test` runs it:
#   0. a private PostgreSQL cluster (scripts/pg-cluster.sh: initdb in a temporary directory,
#      a unix socket there, no TCP port), stopped and removed at exit whatever failed;
#   1. release build: unit tests (cmocka), fuzz-corpus replays, API tests (node) incl. the
#      real-data corpus; the store contract unit tests (ctest label "store") and the API
#      tests again on PostgreSQL (YL_TEST_PG: each test's store a fresh database of the
#      cluster; examples corpus only, for time); browser tests;
#   2. ASan+UBSan build: unit tests, replays, the store contract on PostgreSQL, API tests
#      (examples corpus only, for time);
#   3. libFuzzer (clang) build: a bounded run of every fuzz target (FUZZ_SECONDS each).
# Ends with the line "N passed, N failed"; exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
START=$(date +%s)
# set only around the PostgreSQL runs below (every other run is on SQLite files)
unset YL_TEST_PG
passed=0
failed=0
failures=""

note_fail() {
	failed=$((failed + ${2:-1}))
	failures="$failures\n  $1"
}

# ctest summary: "100% tests passed, 0 tests failed out of 12"
# (arguments after the directory go to ctest: -L store, the store contract only)
run_ctest() {
	label=$1
	dir=$2
	shift 2
	out=$(cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@" 2>&1)
	echo "$out" | tail -n 30
	total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' | tail -n 1)
	bad=$(echo "$out" | sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' | tail -n 1)
	if [ -z "$total" ]; then
		note_fail "$label: ctest did not run"
		return
	fi
	passed=$((passed + total - bad))
	[ "$bad" -gt 0 ] && note_fail "$label: $bad unit/replay tests" 0 && failed=$((failed + bad))
	return 0
}

# node test runner (TAP): "# pass N" / "# fail N"; TESTS picks the files (default the API
# tests; tests/browser/*.test.js drive Chromium through playwright-core)
run_api() {
	label=$1
	bin=$2
	shift 2
	out=$(YL_BIN="$bin" node --test --test-reporter=tap "$@" ${TESTS:-tests/api/*.test.js} 2>&1)
	echo "$out" | grep -E '^(not ok|# (tests|pass|fail|examples|synthea))|^\s+# (examples|synthea)' | head -n 40
	echo "$out" | grep -A 30 '^not ok' | head -n 120
	p=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p' | tail -n 1)
	f=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p' | tail -n 1)
	if [ -z "$p" ]; then
		note_fail "$label: API tests did not run"
		return
	fi
	passed=$((passed + p))
	[ "$f" -gt 0 ] && note_fail "$label: $f API tests" 0 && failed=$((failed + f))
	return 0
}

# "== section [elapsed]": where the 15 minutes of `make test` go
section() {
	echo "== $1 [$(($(date +%s) - START)) s]"
}

section "PostgreSQL cluster"
pgdir=$(mktemp -d /tmp/yl-pg.XXXXXX) # short: the socket's path must fit in 107 bytes
stop_pg() {
	scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1
	rm -rf "$pgdir"
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if pg_uri=$(scripts/pg-cluster.sh start "$pgdir" fast); then
	echo "$pg_uri"
else
	pg_uri=""
	note_fail "PostgreSQL cluster did not start: no PostgreSQL runs"
fi

section "release build"
if cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j "$JOBS" >/tmp/yl-build.log 2>&1; then
	passed=$((passed + 1))
	section "unit tests (release)"
	run_ctest release build
	section "API tests (release)"
	run_api release "$PWD/build/yilian"
	if [ -n "$pg_uri" ]; then
		export YL_TEST_PG="$pg_uri"
		section "store contract unit tests (release, PostgreSQL)"
		run_ctest release-pg build -L store
		section "API tests (release, PostgreSQL)"
		YL_CORPUS=examples run_api release-pg "$PWD/build/yilian"
		unset YL_TEST_PG
	fi
	section "browser tests (release, Chromium)"
	TESTS="tests/browser/*.test.js"
	run_api browser "$PWD/build/yilian"
	unset TESTS
else
	tail -n 40 /tmp/yl-build.log
	note_fail "release build"
fi

section "ASan+UBSan build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if cmake -S . -B build-asan -DYL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build build-asan -j "$JOBS" >/tmp/yl-build-asan.log 2>&1; then
	passed=$((passed + 1))
	section "unit tests (ASan+UBSan)"
	run_ctest asan build-asan
	if [ -n "$pg_uri" ]; then
		export YL_TEST_PG="$pg_uri"
		section "store contract unit tests (ASan+UBSan, PostgreSQL)"
		run_ctest asan-pg build-asan -L store
		unset YL_TEST_PG
	fi
	section "API tests (ASan+UBSan)"
	YL_CORPUS=examples run_api asan "$PWD/build-asan/yilian"
else
	tail -n 40 /tmp/yl-build-asan.log
	note_fail "sanitizer build"
fi

section "fuzz targets (libFuzzer, ${FUZZ_SECONDS}s each)"
if command -v clang >/dev/null 2>&1 &&
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DYL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
	cmake --build build-fuzz -j "$JOBS" >/tmp/yl-build-fuzz.log 2>&1; then
	for t in tests/fuzz/fuzz_*.c; do
		name=$(basename "$t" .c)
		corpus=tests/fuzz/corpus/${name#fuzz_}
		dict=tests/fuzz/${name#fuzz_}.dict
		work=$(mktemp -d)
		cp "$corpus"/* "$work"/ 2>/dev/null
		set -- -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/"
		[ -f "$dict" ] && set -- "$@" -dict="$dict"
		if ./build-fuzz/tests/"$name" "$@" "$work" >"$work/log" 2>&1; then
			passed=$((passed + 1))
			echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/log" | tail -n 1))"
		else
			tail -n 30 "$work/log"
			cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* tests/fuzz/ 2>/dev/null
			note_fail "fuzz $name (artifact copied to tests/fuzz/)"
		fi
		rm -rf "$work"
	done
else
	tail -n 20 /tmp/yl-build-fuzz.log 2>/dev/null
	note_fail "fuzz build"
fi

[ "$failed" -gt 0 ] && printf "failures:$failures\n"
section "done"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
