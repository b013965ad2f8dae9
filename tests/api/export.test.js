// export.test.js -- `yilian export`: NDJSON per type, deleted resources left out, --type
// and --since, and the round trip export -> fresh store -> import -> export giving the same
// lines (after sorting, with the server-set meta.versionId/lastUpdated set aside).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, req, SHARED, BIN, freshDb } = require('./lib');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-export-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `yilian ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const lines = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort()
  .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
const content = (line) => line.replace(/"meta":\{"versionId":"\d+","lastUpdated":"[^"]+",?/, '"meta":{');

test('export, import into a fresh store, export again: the same resources, byte for byte', async () => {
  const a = freshDb(tmp, 'a');
  run('import', '--db', a, path.join(SHARED, 'data/synthea-bulk-ndjson'));
  // a store with history: an update and a delete over HTTP
  const srv = await startServer(['--db', a]);
  let patient;
  try {
    patient = (await req(srv, 'GET', '/fhir/Patient?_count=2')).json.entry.map((e) => e.resource);
    await req(srv, 'PUT', `/fhir/Patient/${patient[0].id}`, { body: { ...patient[0], gender: 'other', meta: undefined } });
    await req(srv, 'DELETE', `/fhir/Patient/${patient[1].id}`);
  } finally {
    await srv.stop();
  }
  const out1 = path.join(tmp, 'out1');
  const summary = run('export', '--db', a, '--out', out1);
  assert.match(summary, /Patient\.ndjson\t\d+/);
  const first = lines(out1);
  assert.ok(first.some((l) => l.includes(`"id":"${patient[0].id}"`) && l.includes('"versionId":"2"') && l.includes('"gender":"other"')));
  assert.ok(!first.some((l) => l.includes(`"id":"${patient[1].id}"`)), 'a deleted resource is not exported');

  const b = freshDb(tmp, 'b');
  run('import', '--db', b, out1);
  const out2 = path.join(tmp, 'out2');
  run('export', '--db', b, '--out', out2);
  const second = lines(out2);
  assert.strictEqual(second.length, first.length);
  assert.deepStrictEqual(second.map(content).sort(), first.map(content).sort());
  assert.deepStrictEqual(fs.readdirSync(out2).sort(), fs.readdirSync(out1).sort(), 'the same files');
});

test('--type and --since narrow the export; bad options are usage errors', async () => {
  const db = freshDb(tmp, 'c');
  const file = path.join(tmp, 'p.ndjson');
  fs.writeFileSync(file, '{"resourceType":"Patient","id":"e1"}\n{"resourceType":"Organization","id":"o1","name":"Clinic"}\n');
  run('import', '--db', db, file);
  const out = path.join(tmp, 'typed');
  run('export', '--db', db, '--out', out, '--type', 'Organization');
  assert.deepStrictEqual(fs.readdirSync(out), ['Organization.ndjson']);
  const later = path.join(tmp, 'later');
  const summary = run('export', '--db', db, '--out', later, '--since', new Date(Date.now() + 60000).toISOString());
  assert.match(summary, /0 resources in 0 files/);
  assert.strictEqual(spawnSync(BIN, ['export', '--db', db], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['export', '--db', db, '--out', out, '--type', 'Nope'], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['export', '--db', db, '--out', out, '--since', 'soon'], { encoding: 'utf8' }).status, 2);
});
