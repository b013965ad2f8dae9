#!/bin/sh
# demo.sh -- `make demo`: a living region on this machine. The first run synthesises a
# region of RESIDENTS residents (yilian synth, seed SEED) into demo/ and imports it into
# DB; later runs reuse both. Then the server starts with the shipped service packages and
# code systems, and prints the URL of the web pages. Ctrl-C stops it.
# usage: scripts/demo.sh   (environment: DB, LISTEN, RESIDENTS, SEED, DEMO_DIR)
set -eu
cd "$(dirname "$0")/.."
RESIDENTS=${RESIDENTS:-10000}
SEED=${SEED:-1}
DEMO_DIR=${DEMO_DIR:-demo}
DB=${DB:-$DEMO_DIR/yilian-demo.db}
LISTEN=${LISTEN:-127.0.0.1:8080}
BIN=./build/yilian
# bump when yilian synth writes something new (v2: programme enrolments, follow-up outcomes)
region="$DEMO_DIR/region-$RESIDENTS-seed$SEED-v2"

mkdir -p "$DEMO_DIR"
if [ ! -f "$region/.done" ]; then
	echo "yilian demo: synthesising a region of $RESIDENTS residents (seed $SEED) into $region"
	rm -rf "$DEMO_DIR"/region-* # older regions: what synth writes has changed
	"$BIN" synth --residents "$RESIDENTS" --seed "$SEED" --out "$region"
	touch "$region/.done"
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.imported"
fi
if [ ! -f "$DB.imported" ]; then
	echo "yilian demo: importing $region into $DB"
	rm -f "$DB" "$DB-wal" "$DB-shm"
	"$BIN" import --db "$DB" "$region"
	touch "$DB.imported"
fi
echo "yilian demo: open http://$LISTEN/ (the web pages) or http://$LISTEN/fhir (the FHIR API); Ctrl-C stops"
exec "$BIN" serve --db "$DB" --listen "$LISTEN" --seed-data
