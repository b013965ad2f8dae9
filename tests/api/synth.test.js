// synth.test.js -- `yilian synth` end to end: a 2,000-resident region written twice (one
// thread and the default) is byte-identical; `yilian import` loads it with no refused line
// and one stored resource per line; `--db` generates and imports in one go; the server's own
// contract indicators over the imported region fall in the ranges the data files aim at; the
// server's $record-followup, re-recording synth visits as they are, gives the outcome synth
// stored, keeps the enrolment and finds no later visit to recompute.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, req, BIN, freshDb } = require('./lib');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-synth-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const AS_OF = '2026-06-30';
const SD = 'https://yilian.health/fhir/StructureDefinition/';
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

  const db = freshDb(tmp, 'a');
  const imp = spawnSync(BIN, ['import', '--quiet', '--db', db, a], { encoding: 'utf8' });
  assert.strictEqual(imp.status, 0, imp.stderr + imp.stdout);
  const m = /(\d+) resources in .*: (\d+) created, \d+ updated, \d+ unchanged, \d+ deleted, (\d+) refused/.exec(imp.stdout);
  assert.ok(m, imp.stdout);
  assert.strictEqual(+m[3], 0, 'no bad lines');
  assert.strictEqual(+m[2], lines(a), 'one stored resource per line');
});

test('synth --db generates and imports; the server reads a living region from it', async () => {
  const db = freshDb(tmp, 'region');
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

test('$record-followup re-recording synth visits gives their stored outcomes', async () => {
  const dir = path.join(tmp, 'c'), db = freshDb(tmp, 'c');
  const r = synth('--out', dir);
  assert.strictEqual(r.status, 0, r.stderr);
  const imp = spawnSync(BIN, ['import', '--quiet', '--db', db, dir], { encoding: 'utf8' });
  assert.strictEqual(imp.status, 0, imp.stderr + imp.stdout);
  const read = (t) => fs.readFileSync(path.join(dir, `${t}.ndjson`), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const active = new Set(read('EpisodeOfCare').filter((e) => e.status === 'active').map((e) => `EpisodeOfCare/${e.id}`));
  const encs = read('Encounter').filter((e) => active.has(e.episodeOfCare[0].reference));
  const obs = new Map();
  for (const o of read('Observation')) {
    const k = o.encounter.reference;
    if (!obs.has(k)) obs.set(k, []);
    obs.get(k).push(o);
  }
  const readings = { '29463-7': 'weight', '39156-5': 'bmi', '8867-4': 'heart-rate', '14771-0': 'fasting-glucose', '4548-4': 'hba1c' };
  const ways = { AMB: 'clinic', HH: 'home', VR: 'phone' };
  const srv = await startServer(['--db', db]);
  try {
    const step = Math.floor(encs.length / 40);
    for (let i = 0; i < encs.length; i += step) {
      const e = encs[i];
      const p = [
        { name: 'programme', valueCode: e.type[0].coding[0].code.replace('-followup', '') },
        { name: 'date', valueDate: e.period.start },
        { name: 'way', valueCode: ways[e.class.code] },
        { name: 'doctor', valueReference: e.participant[0].individual },
        { name: 'encounter', valueReference: { reference: `Encounter/${e.id}` } },
      ];
      for (const o of obs.get(`Encounter/${e.id}`) || []) {
        const code = o.code.coding[0].code;
        if (code === '85354-9') {
          p.push({ name: 'sbp', valueDecimal: o.component[0].valueQuantity.value }, { name: 'dbp', valueDecimal: o.component[1].valueQuantity.value });
        } else if (readings[code]) {
          p.push({ name: readings[code], valueDecimal: o.valueQuantity.value });
        } else {
          for (const c of o.component) {
            const name = c.code.coding[0].code;
            p.push('valueBoolean' in c ? { name, valueBoolean: c.valueBoolean } : { name, valueCode: c.valueCodeableConcept.coding[0].code });
          }
        }
      }
      const res = await req(srv, 'POST', `/fhir/Patient/${e.subject.reference.split('/')[1]}/$record-followup`, { body: { resourceType: 'Parameters', parameter: p } });
      assert.strictEqual(res.status, 200, `${e.id}: ${res.text}`);
      const got = (name) => res.json.parameter.filter((x) => x.name === name);
      const stored = e.extension[0].extension;
      const want = (url) => stored.filter((x) => x.url === url);
      assert.strictEqual(got('classification')[0].valueCode, want('classification')[0].valueCoding.code, e.id);
      assert.strictEqual(got('next-step')[0].valueCode, want('next-step')[0].valueCoding.code, e.id);
      assert.strictEqual(got('next-date')[0].valueDate, want('next-date')[0].valueDate, e.id);
      assert.deepStrictEqual(got('referral-reason').map((x) => x.valueCode), want('referral-reason').map((x) => x.valueCoding.code), e.id);
      assert.deepStrictEqual(got('enrolment')[0].valueReference, e.episodeOfCare[0], e.id);
      assert.deepStrictEqual(got('recomputed'), [], `${e.id}: later visits changed`);
      const after = await req(srv, 'GET', `/fhir/Encounter/${e.id}`);
      // the outcome byte for byte; re-recording an old visit adds its plausibility flag (recorded-late)
      const outcomeOf = (x) => x.extension.filter((y) => y.url === SD + 'followup-outcome');
      assert.deepStrictEqual(outcomeOf(after.json), outcomeOf(e), `${e.id}: the outcome as the server writes it`);
      assert.ok(after.json.extension.some((y) => y.url === SD + 'plausibility-flag' && y.valueCoding.code === 'recorded-late'),
        `${e.id}: recorded long after the visit`);
    }
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
