#!/bin/sh
# demo.sh -- `make demo`: a living region on this machine. The first run synthesises a
# region of RESIDENTS residents (yilian synth, seed SEED) into demo/ and imports it into
# DB; later runs reuse both. Then the server starts with the shipped service packages and
# code systems, and prints the URL of the web pages and the demo accounts. Ctrl-C stops it.
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
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.imported" "$DB.users"
fi
if [ ! -f "$DB.imported" ]; then
	echo "yilian demo: importing $region into $DB"
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.users"
	"$BIN" import --db "$DB" "$region"
	touch "$DB.imported"
fi
# demo accounts (demo only: known passwords): an administrator, the lead doctor of the
# first team, and one of that team's contracted residents, who can see who opened their record
if [ ! -f "$DB.users" ]; then
	set -- $(node -e '
		const fs = require("fs"), dir = process.argv[1];
		const team = JSON.parse(fs.readFileSync(dir + "/CareTeam.ndjson", "utf8").split("\n")[0]);
		const lead = team.participant.find((p) => p.role.some((r) => r.coding.some((c) => c.code === "lead"))) || team.participant[0];
		const eoc = fs.readFileSync(dir + "/EpisodeOfCare.ndjson", "utf8").split("\n").filter(Boolean).map(JSON.parse)
			.find((e) => e.status === "active" && (e.team || []).some((t) => t.reference === "CareTeam/" + team.id));
		console.log(lead.member.reference.split("/")[1], eoc.patient.reference.split("/")[1]);' "$region")
	printf 'yilian-demo-admin\n' | "$BIN" user add --db "$DB" --username admin --role admin --password-stdin >/dev/null
	printf 'yilian-demo-doctor\n' | "$BIN" user add --db "$DB" --username doctor --role family-doctor --practitioner "$1" --password-stdin >/dev/null
	printf 'yilian-demo-resident\n' | "$BIN" user add --db "$DB" --username resident --role resident --patient "$2" --password-stdin >/dev/null
	touch "$DB.users"
fi
echo "yilian demo: open http://$LISTEN/ (the web pages) or http://$LISTEN/fhir (the FHIR API); Ctrl-C stops"
echo "yilian demo: log in as doctor / yilian-demo-doctor (a family doctor), resident / yilian-demo-resident,"
echo "             or admin / yilian-demo-admin (demo passwords: never use them on real data)"
exec "$BIN" serve --db "$DB" --listen "$LISTEN" --seed-data
