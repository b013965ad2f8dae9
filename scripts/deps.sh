#!/bin/sh
# deps.sh -- install (idempotently) the Debian packages yilian builds, runs and tests with.
# usage: scripts/deps.sh [build|test|bench]   (default: build)
set -eu
what=${1:-build}
pkgs="cmake make gcc pkg-config git libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev curl"
case "$what" in
  test)  pkgs="$pkgs libcmocka-dev clang libclang-rt-dev nodejs python3" ;;
  bench) pkgs="$pkgs nginx-light wrk" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# a node from elsewhere (nvm, a tarball) is as good as Debian's
case "$missing" in *nodejs*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case "$missing" in *python3*) command -v python3 >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ python3//') ;; esac
[ -z "$missing" ] && exit 0
echo "deps.sh: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
