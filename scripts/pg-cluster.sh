#!/bin/sh
# pg-cluster.sh -- a private PostgreSQL cluster for tests and benchmarks: initdb in a
# directory of its own, listening only on a unix socket in that directory (no TCP port,
# so runs never collide), superuser "yilian" with trust authentication on that socket.
#
#   scripts/pg-cluster.sh start DIR [fast]  initdb DIR/data (once) and start; prints the
#                                           connection URI of database "yilian"
#   scripts/pg-cluster.sh stop DIR          stop it (fast shutdown) and remove DIR
#   scripts/pg-cluster.sh kill DIR          SIGKILL the postmaster (tests of a crash)
#   scripts/pg-cluster.sh restart DIR       start it again after kill/stop (data kept)
#   scripts/pg-cluster.sh uri DIR [DB]      the URI of database DB (default yilian)
#
# `fast` turns fsync off (an OS crash could lose data; a killed postgres does not, since
# synchronous_commit stays on): for the test suites, never for benchmarks.
# Run as root (CI, containers), the server runs as the Debian "postgres" user, since
# PostgreSQL refuses to run as root.
set -eu
cmd=${1:?usage: pg-cluster.sh start|stop|kill|restart|uri DIR}
dir=${2:?usage: pg-cluster.sh start|stop|kill|restart|uri DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg-cluster.sh: PostgreSQL is not installed (scripts/deps.sh test)" >&2; exit 1; }

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

uri() {
	echo "postgresql:///${1:-yilian}?host=$dir&user=yilian"
}


case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$bindir/initdb" -D "$dir/data" -U yilian --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$dir/data/postgresql.conf" <<-CONF
			max_connections = 300
			shared_buffers = 256MB
			unix_socket_permissions = 0777
		CONF
		[ "${3:-}" = fast ] && echo "fsync = off" >>"$dir/data/postgresql.conf"
	fi
	as_pg sh -c "$(printf '%s' "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/log' -w -t 60 -o \"-k $dir -c listen_addresses=''\" start")" >/dev/null ||
		{ tail -n 20 "$dir/log" >&2; exit 1; }
	"$bindir/psql" -q -d "$(uri postgres)" -c "SELECT 1" >/dev/null 2>&1 &&
		{ "$bindir/psql" -q -d "$(uri postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = 'yilian'" | grep -q 1 ||
			"$bindir/createdb" -h "$dir" -U yilian yilian; }
	uri
	;;
restart)
	as_pg sh -c "$(printf '%s' "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/log' -w -t 60 -o \"-k $dir -c listen_addresses=''\" start")" >/dev/null
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
kill)
	pid=$(head -n 1 "$dir/data/postmaster.pid")
	kill -9 "$pid"
	# the backends die with the postmaster's shared memory; wait for them to go
	while pgrep -P "$pid" >/dev/null 2>&1 || kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	;;
uri)
	uri "${3:-yilian}"
	;;
*)
	echo "pg-cluster.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
