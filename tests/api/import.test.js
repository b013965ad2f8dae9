// import.test.js -- `yilian import`: Synthea bundles and Bulk NDJSON into a store, kept
// ids and counts per type checked against the files, idempotent re-runs, bad lines
// reported and skipped (or --strict), a killed import re-run to completion, and the
// imported data browsed through the API.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { startServer, req, SHARED, BIN, freshDb, isPg, storeSql } = require('./lib');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-import-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function importer(db, ...args) {
  const r = spawnSync(BIN, ['import', '--db', db, ...args], { encoding: 'utf8' });
  const m = /(\d+) resources in [\d.]+ s \(\d+\/s\): (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) deleted, (\d+) refused/.exec(r.stdout);
  return {
    status: r.status, stdout: r.stdout, stderr: r.stderr,
    counts: m && { read: +m[1], created: +m[2], updated: +m[3], unchanged: +m[4], deleted: +m[5], refused: +m[6] },
  };
}

// a server on an existing store (startServer makes its own): serve the imported db
async function serveDb(db) {
  const srv = await startServer(['--db', db]);
  return srv;
}

const typeCount = async (srv, type) => (await req(srv, 'GET', `/fhir/${type}?_summary=count`)).json.total;

test('Synthea and Bulk NDJSON import with their own ids; counts per type match the files; a second run stores nothing', { skip: process.env.YL_CORPUS === 'examples' }, async (t) => {
  const db = freshDb(tmp, 'synthea');
  const expected = {};
  const distinct = new Set();
  const sdir = path.join(SHARED, 'data/synthea');
  for (const f of fs.readdirSync(sdir).filter((x) => x.endsWith('.json'))) {
    for (const e of JSON.parse(fs.readFileSync(path.join(sdir, f), 'utf8')).entry) distinct.add(`${e.resource.resourceType}/${e.resource.id}`);
  }
  const ndir = path.join(SHARED, 'data/synthea-bulk-ndjson');
  for (const f of fs.readdirSync(ndir).filter((x) => x.endsWith('.ndjson'))) {
    for (const line of fs.readFileSync(path.join(ndir, f), 'utf8').split('\n')) {
      if (line.trim()) { const r = JSON.parse(line); distinct.add(`${r.resourceType}/${r.id}`); }
    }
  }
  for (const key of distinct) { const type = key.split('/')[0]; expected[type] = (expected[type] || 0) + 1; }

  const first = importer(db, sdir, ndir);
  assert.strictEqual(first.status, 0, first.stderr + first.stdout);
  assert.strictEqual(first.counts.created, distinct.size, first.stdout);
  assert.strictEqual(first.counts.refused, 0);
  t.diagnostic(`import: ${first.stdout.trim()}`);
  // into the empty store the import had the file alone, without a WAL; it leaves it in WAL
  // mode for the server and the next import (file format bytes 18-19: 2 in WAL mode; SQLite's)
  if (!isPg(db)) assert.deepStrictEqual([...fs.readFileSync(db).subarray(18, 20)], [2, 2]);
  const again = importer(db, sdir, ndir);
  assert.strictEqual(again.status, 0, again.stderr);
  assert.deepStrictEqual([again.counts.created, again.counts.updated], [0, 0], again.stdout);

  const srv = await serveDb(db);
  try {
    const got = {};
    for (const type of Object.keys(expected)) got[type] = await typeCount(srv, type);
    assert.deepStrictEqual(got, expected, 'one resource per distinct type/id: recurring Organizations and Practitioners once');
    // Synthea's ids are kept and its urn:uuid references now point at them
    const file = fs.readdirSync(sdir).filter((x) => x.endsWith('.json')).sort()[0];
    const b = JSON.parse(fs.readFileSync(path.join(sdir, file), 'utf8'));
    const pat = b.entry.find((e) => e.resource.resourceType === 'Patient').resource;
    const inFile = b.entry.filter((e) => e.resource.resourceType === 'Observation').length;
    assert.strictEqual((await req(srv, 'GET', `/fhir/Patient/${pat.id}`)).json.id, pat.id);
    const obs = await req(srv, 'GET', `/fhir/Observation?subject=Patient/${pat.id}&_summary=count`);
    assert.strictEqual(obs.json.total, inFile);
    const hist = await req(srv, 'GET', `/fhir/Patient/${pat.id}/_history`);
    assert.strictEqual(hist.json.entry.length, 1, 'the second import made no new version');
  } finally {
    await srv.stop();
  }
});

function ndjsonPatients(n, from = 0) {
  let s = '';
  for (let i = from; i < from + n; i++) {
    s += JSON.stringify({ resourceType: 'Patient', id: `imp-${i}`, identifier: [{ system: 'urn:imp', value: String(i) }], birthDate: '1960-05-05' }) + '\n';
  }
  return s;
}

// Into an empty store the parsing thread renders each body as version 1 ahead of the
// writer, and the writer inserts a batch's index rows together: a resource that comes twice
// in one batch must still be two versions, each body carrying its own versionId and
// lastUpdated, and searches must find only the second version's values.
test('a resource twice in one file into an empty store: two versions, each with its own meta; searches see only the second', async () => {
  const db = freshDb(tmp, 'twice');
  const file = path.join(tmp, 'twice.ndjson');
  const dup = (birthDate, family) => JSON.stringify({ resourceType: 'Patient', id: 'dup-1', birthDate, name: [{ family }] }) + '\n';
  fs.writeFileSync(file, dup('1950-01-01', 'Earlier') + ndjsonPatients(40) + dup('1970-02-02', 'Later'));
  const r = importer(db, file);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.deepStrictEqual([r.counts.created, r.counts.updated], [41, 1], r.stdout);
  const srv = await serveDb(db);
  try {
    const cur = (await req(srv, 'GET', '/fhir/Patient/dup-1')).json;
    const v1 = (await req(srv, 'GET', '/fhir/Patient/dup-1/_history/1')).json;
    assert.deepStrictEqual([cur.meta.versionId, cur.birthDate], ['2', '1970-02-02']);
    assert.deepStrictEqual([v1.meta.versionId, v1.birthDate], ['1', '1950-01-01']);
    // lastUpdated is shown to the millisecond while versions are ordered by microsecond
    // (the change-log seq): two versions written within one millisecond show the same time
    assert.ok(Date.parse(v1.meta.lastUpdated) <= Date.parse(cur.meta.lastUpdated), `${v1.meta.lastUpdated} <= ${cur.meta.lastUpdated}`);
    const hist = (await req(srv, 'GET', '/fhir/Patient/dup-1/_history')).json;
    assert.deepStrictEqual(hist.entry.map((e) => [e.resource.meta.versionId, e.response.lastModified]),
      [['2', cur.meta.lastUpdated], ['1', v1.meta.lastUpdated]]);
    const other = (await req(srv, 'GET', '/fhir/Patient/imp-7')).json;
    const otherHist = (await req(srv, 'GET', '/fhir/Patient/imp-7/_history')).json;
    assert.strictEqual(other.meta.versionId, '1');
    assert.strictEqual(otherHist.entry[0].response.lastModified, other.meta.lastUpdated);
    assert.strictEqual((await req(srv, 'GET', '/fhir/Patient?birthdate=1950-01-01&_summary=count')).json.total, 0);
    assert.strictEqual((await req(srv, 'GET', '/fhir/Patient?family=Earlier&_summary=count')).json.total, 0);
    assert.strictEqual((await req(srv, 'GET', '/fhir/Patient?family=Later&birthdate=1970-02-02&_summary=count')).json.total, 1);
    assert.strictEqual((await req(srv, 'GET', '/fhir/Patient?birthdate=1960-05-05&_summary=count')).json.total, 40);
  } finally {
    await srv.stop();
  }
});

test('a bad line is reported with file, line and reason and the rest goes in; --strict stores nothing of that file', async () => {
  const file = path.join(tmp, 'mixed.ndjson');
  const lines = ndjsonPatients(3).split('\n');
  lines.splice(1, 0, '{"resourceType":"Patient","id":"imp-bad","birthDate":"1960-13-45"}', '{"resourceType":"Patient",', '');
  fs.writeFileSync(file, lines.join('\n'));
  const db = freshDb(tmp, 'bad');
  const r = importer(db, file);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:2: .*birthDate`));
  assert.match(r.stderr, new RegExp(`mixed\\.ndjson:3: not JSON`));
  assert.deepStrictEqual([r.counts.created, r.counts.refused], [3, 2], r.stdout);

  const sdb = freshDb(tmp, 'strict');
  const s = importer(sdb, '--strict', file);
  assert.strictEqual(s.status, 1);
  assert.match(s.stdout, /nothing of that file was stored/);
  const srv = await serveDb(sdb);
  try {
    assert.strictEqual(await typeCount(srv, 'Patient'), 0);
  } finally {
    await srv.stop();
  }
});

test('a Bundle entry that refers to a urn:uuid not in the Bundle is refused; DELETE entries delete', async () => {
  const db = freshDb(tmp, 'bundle');
  const file = path.join(tmp, 'b.json');
  fs.writeFileSync(file, JSON.stringify({
    resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', id: 'aaaaaaaa-0000-4000-8000-000000000001' }, request: { method: 'POST', url: 'Patient' } },
      { fullUrl: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', id: 'dangling', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:ffffffff-0000-4000-8000-000000000009' } }, request: { method: 'POST', url: 'Observation' } },
    ],
  }, null, 1));
  const r = importer(db, file);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /b\.json:\d+: .*urn:uuid:ffffffff/);
  assert.strictEqual(r.counts.created, 2);
  const del = path.join(tmp, 'd.json');
  fs.writeFileSync(del, JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'DELETE', url: 'Observation/aaaaaaaa-0000-4000-8000-000000000002' } }] }));
  assert.strictEqual(importer(db, del).counts.deleted, 1);
  const srv = await serveDb(db);
  try {
    const obs = await req(srv, 'GET', '/fhir/Observation/aaaaaaaa-0000-4000-8000-000000000002');
    assert.strictEqual(obs.status, 410);
    const v1 = await req(srv, 'GET', '/fhir/Observation/aaaaaaaa-0000-4000-8000-000000000002/_history/1');
    assert.strictEqual(v1.json.subject.reference, 'Patient/aaaaaaaa-0000-4000-8000-000000000001', 'the entry id was taken from the fullUrl and the reference rewritten');
  } finally {
    await srv.stop();
  }
});

// Import file into the empty store db and kill it well before the end. It commits every 10
// resources, so that there are thousands of commits to land between (by default these small
// Patients would go in as one transaction). Into an empty store the import has the file to
// itself, without a WAL (a rollback journal undoes the commit the kill interrupts), and the
// file grows as transactions commit; on PostgreSQL the committed rows are counted instead.
function farEnough(db) {
  if (!isPg(db)) return fs.existsSync(db) && fs.statSync(db).size > 3e6;
  const r = storeSql(db, { pg: 'SELECT count(*) FROM resource' }); // fails until migrated
  return r.status === 0 && Number(r.stdout.trim()) >= 3000;
}
async function killMidImport(db, file) {
  const child = spawn(BIN, ['import', '--commit-every', '10', '--db', db, file], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  let done = false;
  exited.then(() => { done = true; });
  for (let i = 0; i < 4000 && !done && !farEnough(db); i++) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
}

test('a killed import leaves a consistent store and a second run completes it', async () => {
  const file = path.join(tmp, 'big.ndjson');
  const n = 40000;
  fs.writeFileSync(file, ndjsonPatients(n));
  const db = freshDb(tmp, 'killed');
  await killMidImport(db, file);
  let srv = await serveDb(db);
  let partial;
  try {
    partial = await typeCount(srv, 'Patient');
    assert.ok(partial > 0 && partial < n, `killed after a commit, before the end (${partial} of ${n})`);
    assert.strictEqual(partial % 10, 0, 'whole transactions only');
    // the import into the empty store had dropped the search indexes to build them at the
    // end; the server's open built them: searches and date counts see every stored row
    const byId = await req(srv, 'GET', '/fhir/Patient?identifier=urn:imp|7&_count=1');
    assert.strictEqual(byId.status, 200, byId.text);
    assert.strictEqual(byId.json.entry.length, 1);
    const born = await req(srv, 'GET', '/fhir/Patient?birthdate=le1961-01-01&_summary=count');
    assert.strictEqual(born.json.total, partial);
  } finally {
    await srv.stop();
  }
  const r = importer(db, file);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.deepStrictEqual([r.counts.created, r.counts.unchanged], [n - partial, partial]);
  // the store is shared again: WAL (file format bytes 18-19 are 2 in WAL mode, 1 without;
  // SQLite's)
  if (!isPg(db)) assert.deepStrictEqual([...fs.readFileSync(db).subarray(18, 20)], [2, 2]);
  srv = await serveDb(db);
  try {
    assert.strictEqual(await typeCount(srv, 'Patient'), n);
  } finally {
    await srv.stop();
  }
});

test('an import killed during a bulk load into an empty store, run again, goes on with the bulk load', async () => {
  const file = path.join(tmp, 'resume.ndjson');
  const n = 40000;
  fs.writeFileSync(file, ndjsonPatients(n, 100000));
  const db = freshDb(tmp, 'resume');
  await killMidImport(db, file);
  // straight to the import again (no server opened it meanwhile to build the indexes)
  const r = importer(db, file);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /bulk load stopped before its end; going on with it/);
  assert.match(r.stdout, /search indexes built after the rows in [0-9.]+ s \(a bulk load into a store whose bulk load was stopped\)/);
  if (!isPg(db)) assert.deepStrictEqual([...fs.readFileSync(db).subarray(18, 20)], [2, 2]); // SQLite's file format
  assert.ok(r.counts.unchanged > 0 && r.counts.unchanged % 10 === 0, r.stdout);
  assert.strictEqual(r.counts.created + r.counts.unchanged, n);
  const srv = await serveDb(db);
  try {
    assert.strictEqual(await typeCount(srv, 'Patient'), n);
    const byId = await req(srv, 'GET', '/fhir/Patient?identifier=urn:imp|100007&_count=1');
    assert.strictEqual(byId.json.entry.length, 1);
    assert.strictEqual(byId.json.entry[0].resource.id, 'imp-100007');
    const born = await req(srv, 'GET', '/fhir/Patient?birthdate=le1961-01-01&_summary=count');
    assert.strictEqual(born.json.total, n);
  } finally {
    await srv.stop();
  }
});

test('usage errors: nothing to import, an unknown option, a file of another kind', () => {
  assert.strictEqual(spawnSync(BIN, ['import'], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['import', '--frobnicate', 'x.json'], { encoding: 'utf8' }).status, 2);
  for (const n of ['0', '-5', '12x', '1000001']) {
    const bad = spawnSync(BIN, ['import', '--commit-every', n, 'x.json'], { encoding: 'utf8' });
    assert.strictEqual(bad.status, 2, n);
    assert.match(bad.stderr, /--commit-every takes 1 to 1000000 resources/);
  }
  const txt = path.join(tmp, 'notes.txt');
  fs.writeFileSync(txt, 'hello');
  const r = spawnSync(BIN, ['import', '--db', path.join(tmp, 'u.db'), txt], { encoding: 'utf8' });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /neither \.ndjson nor \.json/);
});
