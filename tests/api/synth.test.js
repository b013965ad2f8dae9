// synth.test.js -- `yilian synth` end to end: a 2,000-resident region written twice (one
// thread and the default) is byte-identical; `yilian import` loads it with no refused line
// and one stored resource per line; `--db` generates and imports in one go; the server's own
// contract indicators over the imported region fall in the ranges the data files aim at.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, req, BIN } = require('./lib');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-synth-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const AS_OF = '2026-06-30';
function synth(...args) {
  const r = spawnSync(BIN, ['synth', '--residents', '2000', '--seed', '7', '--as-of', AS_OF, '--quiet', ...args], { encoding: 'utf8' });
  return r;
}
function lines(dir) {
  let n = 0;
  for (const f of fs.readdirSync(dir)) n += fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l).length;
  return n;
}

test('synth writes the same bytes for the same seed, and yilian import loads every line', async () => {
  const a = path.join(tmp, 'a'), b = path.join(tmp, 'b');
  const ra = synth('--out', a), rb = synth('--out', b, '--threads', '1');
  assert.strictEqual(ra.status, 0, ra.stderr);
  assert.strictEqual(rb.status, 0, rb.stderr);
  assert.match(ra.stdout, /^yilian synth: 2000 residents .* Patient 2000,/);
  const files = fs.readdirSync(a).sort();
  assert.deepStrictEqual(files, ['CareTeam', 'Condition', 'Encounter', 'EpisodeOfCare', 'Group', 'MedicationRequest',
    'Observation', 'Organization', 'Patient', 'PlanDefinition', 'Practitioner', 'PractitionerRole'].map((t) => `${t}.ndjson`));
  for (const f of files) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);

  const db = path.join(tmp, 'a.db');
  const imp = spawnSync(BIN, ['import', '--quiet', '--db', db, a], { encoding: 'utf8' });
  assert.strictEqual(imp.status, 0, imp.stderr + imp.stdout);
  const m = /(\d+) resources in .*: (\d+) created, \d+ updated, \d+ unchanged, \d+ deleted, (\d+) refused/.exec(imp.stdout);
  assert.ok(m, imp.stdout);
  assert.strictEqual(+m[3], 0, 'no bad lines');
  assert.strictEqual(+m[2], lines(a), 'one stored resource per line');
});

test('synth --db generates and imports; the server reads a living region from it', async () => {
  const db = path.join(tmp, 'region.db');
  const r = synth('--db', db);
  assert.strictEqual(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /0 refused/);
  assert.deepStrictEqual(fs.readdirSync(tmp).filter((f) => f.includes('yilian-synth')), [], 'the temporary directory is removed');
  const srv = await startServer(['--db', db]);
  try {
    const count = async (q) => (await req(srv, 'GET', `/fhir/${q}${q.includes('?') ? '&' : '?'}_summary=count`)).json.total;
    assert.strictEqual(await count('Patient'), 2000);
    assert.ok(await count('CareTeam?status=active') >= 1);
    // the server's indicators: contract rate 35-50 %, key populations 65 %+, renewals 60-95 % over the last year
    const ind = await req(srv, 'GET', `/fhir/$contract-indicators?start=2025-07-01&end=${AS_OF}`);
    assert.strictEqual(ind.status, 200, ind.text);
    const score = (name) => ind.json.entry.map((e) => e.resource).find((x) => x.measure.endsWith(`/${name}`)).group[0].measureScore.value;
    const day = await req(srv, 'GET', `/fhir/$contract-indicators?start=${AS_OF}&end=${AS_OF}`);
    const dayScore = (name) => day.json.entry.map((e) => e.resource).find((x) => x.measure.endsWith(`/${name}`)).group[0].measureScore.value;
    assert.ok(dayScore('contract-rate') > 0.35 && dayScore('contract-rate') < 0.5, `contract rate ${dayScore('contract-rate')}`);
    assert.ok(dayScore('key-population-contract-rate') > 0.65, `key-population rate ${dayScore('key-population-contract-rate')}`);
    assert.ok(score('renewal-rate') > 0.6 && score('renewal-rate') < 0.95, `renewal rate ${score('renewal-rate')}`);
  } finally {
    await srv.stop();
  }
});

test('synth refuses bad arguments with exit status 2', () => {
  assert.strictEqual(spawnSync(BIN, ['synth', '--residents', '10'], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['synth', '--residents', '0', '--seed', '1', '--out', tmp], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['synth', '--residents', '10', '--seed', '1', '--out', tmp, '--db', 'x'], { encoding: 'utf8' }).status, 2);
  assert.strictEqual(spawnSync(BIN, ['synth', '--residents', '10', '--seed', '1', '--out', tmp, '--as-of', '2026-02-30'], { encoding: 'utf8' }).status, 2);
});
