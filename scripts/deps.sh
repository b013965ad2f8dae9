#!/bin/sh
# deps.sh -- install (idempotently) the Debian packages yilian builds, runs and tests with,
# and the node packages of package-lock.json (into node_modules/): for every build the web
# pages' chart library (echarts, the "dependencies"; CMake copies it to web/echarts.min.js),
# for `test` also the packages the API and browser tests use (the "devDependencies").
# usage: scripts/deps.sh [build|test|bench]   (default: build)
set -eu
cd "$(dirname "$0")/.."
what=${1:-build}
pkgs="cmake make gcc pkg-config git libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev zlib1g-dev libzstd-dev libyajl-dev libpq-dev curl nodejs npm"
case "$what" in
  test)  pkgs="$pkgs libcmocka-dev clang libclang-rt-dev python3 sqlite3 postgresql chromium fonts-wqy-zenhei" ;;
  bench) pkgs="$pkgs nginx-light wrk time" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# a node (and its npm) from elsewhere (nodesource, nvm, a tarball) is as good as Debian's
case "$missing" in *nodejs*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case "$missing" in *" npm"*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac
case "$missing" in *python3*) command -v python3 >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ python3//') ;; esac
if [ -n "$missing" ]; then
  echo "deps.sh: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# the web pages' echarts, exactly as package-lock.json pins it, when node_modules/ lacks that
# version (`test` installs it with the rest, below)
if [ "$what" != test ]; then
  want=$(node -p "require('./package-lock.json').packages['node_modules/echarts'].version")
  have=$(node -p "require('./node_modules/echarts/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    echo "deps.sh: npm ci --omit=dev (echarts $want for the web pages)"
    npm ci --omit=dev --no-audit --no-fund --ignore-scripts
  fi
fi

# every node package: the web pages' echarts, and for tests/api and tests/browser the FHIR
# client libraries and playwright-core, exactly as package-lock.json pins them; reinstalled
# only when node_modules/ is missing or was installed from another package.json/
# package-lock.json. Tests never download anything.
if [ "$what" = test ]; then
  stamp=node_modules/.yilian-deps
  want=$(cat package.json package-lock.json | cksum)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "deps.sh: npm ci (node_modules missing or stale)"
    npm ci --no-audit --no-fund --ignore-scripts
    echo "$want" >"$stamp"
  fi
fi
exit 0
