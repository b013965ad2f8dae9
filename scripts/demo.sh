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
# first team, one of that team's contracted residents (who can see who opened their
# record), and the administrator of the team's institution (its staff's accounts and teams)
if [ ! -f "$DB.users-v2" ]; then
	set -- $(node -e '
		const fs = require("fs"), dir = process.argv[1];
		const team = JSON.parse(fs.readFileSync(dir + "/CareTeam.ndjson", "utf8").split("\n")[0]);
		const lead = team.participant.find((p) => p.role.some((r) => r.coding.some((c) => c.code === "lead"))) || team.participant[0];
		const eoc = fs.readFileSync(dir + "/EpisodeOfCare.ndjson", "utf8").split("\n").filter(Boolean).map(JSON.parse)
			.find((e) => e.status === "active" && (e.team || []).some((t) => t.reference === "CareTeam/" + team.id));
		console.log(lead.member.reference.split("/")[1], eoc.patient.reference.split("/")[1],
			team.managingOrganization[0].reference.split("/")[1]);' "$region")
	add() { # username password role [options]: added once; a store from an older demo keeps its own
		local u=$1 pw=$2
		shift 2
		printf '%s\n' "$pw" | "$BIN" user add --db "$DB" --username "$u" --password-stdin "$@" >/dev/null 2>&1 ||
			"$BIN" user list --db "$DB" | grep -q "^$u " || { echo "yilian demo: cannot add $u" >&2; exit 1; }
	}
	add admin yilian-demo-admin --role admin
	add doctor yilian-demo-doctor --role family-doctor --practitioner "$1" --organization "$3"
	"$BIN" user grant --db "$DB" --username doctor --role family-doctor --organization "$3" >/dev/null
	add resident yilian-demo-resident --role resident --patient "$2"
	add manager yilian-demo-manager --role institution-admin --organization "$3"
	touch "$DB.users-v2"
fi
echo "yilian demo: open http://$LISTEN/ (the web pages) or http://$LISTEN/fhir (the FHIR API); Ctrl-C stops"
echo "yilian demo: log in as doctor / yilian-demo-doctor (a family doctor), resident / yilian-demo-resident,"
echo "             manager / yilian-demo-manager (their institution's administrator),"
echo "             or admin / yilian-demo-admin (demo passwords: never use them on real data)"
exec "$BIN" serve --db "$DB" --listen "$LISTEN" --seed-data
