// indicators.test.js -- contract indicators of a small region checked by hand
// (docs/clinical-rules.md, "Contract indicators"), the expiring-contracts list and a team's
// resident list with its key-population filter and masking.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, residentId } = require('./lib');

const SID = 'https://yilian.health/fhir/sid/cn-resident-id';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';

const day = (offset) => {
  const d = new Date();
  d.setHours(12, 0, 0, 0);
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const bornYearsAgo = (n) => { const d = new Date(); return `${d.getFullYear() - n}-01-15`; };
const ref = (r) => ({ reference: r });
const P = (entries) => ({ resourceType: 'Parameters', parameter: entries });

let srv, seq = 1;
async function put(r) {
  const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
  assert.ok(res.status === 200 || res.status === 201, res.text);
}
async function resident(id, age, org, extra = {}) {
  const birth = bornYearsAgo(age);
  const s = String(seq += 2).padStart(3, '0'); // odd: men
  await put({ resourceType: 'Patient', id, gender: 'male', birthDate: birth, managingOrganization: ref(`Organization/${org}`),
    name: [{ text: `张${id}`, family: '张', given: [id] }],
    telecom: [{ system: 'phone', value: '13912345678', use: 'mobile' }],
    identifier: [{ system: SID, value: residentId('330106' + birth.replace(/-/g, '') + s) }], ...extra });
}
async function sign(patient, team, start, end) {
  const p = [{ name: 'patient', valueReference: ref(`Patient/${patient}`) }, { name: 'team', valueReference: ref(`CareTeam/${team}`) }];
  if (start) p.push({ name: 'start', valueDate: start });
  if (end) p.push({ name: 'end', valueDate: end });
  const r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: P(p) });
  assert.strictEqual(r.status, 201, r.text);
  return r.json.id;
}
function team(id, org, doctor) {
  return { resourceType: 'CareTeam', id, status: 'active', name: id,
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: [{ role: [{ coding: [{ system: CS + 'care-team-role', code: 'lead' }] }], member: ref(`Practitioner/${doctor}`) }],
    managingOrganization: [ref(`Organization/${org}`)] };
}
const score = (bundle, measure) => {
  const m = bundle.entry.map((e) => e.resource).find((r) => r.measure.endsWith('/' + measure));
  const pop = Object.fromEntries(m.group[0].population.map((p) => [p.code.coding[0].code, p.count]));
  return [pop.numerator, pop.denominator, m.group[0].measureScore?.value];
};

let r2contract;
test.before(async () => {
  srv = await startServer(['--seed-data']);
  await put({ resourceType: 'Organization', id: 'H', name: '县医院' });
  await put({ resourceType: 'Organization', id: 'T1', name: '一镇卫生院', partOf: ref('Organization/H') });
  await put({ resourceType: 'Organization', id: 'V1', name: '一村卫生室', partOf: ref('Organization/T1') });
  await put({ resourceType: 'Organization', id: 'T2', name: '二镇卫生院', partOf: ref('Organization/H') });
  for (const d of ['dA', 'dB', 'dC']) await put({ resourceType: 'Practitioner', id: d });
  await put(team('tA', 'T1', 'dA'));
  await put(team('tB', 'T1', 'dB'));
  await put(team('tC', 'T2', 'dC'));
  await resident('r1', 70, 'V1'); // elderly
  await resident('r2', 40, 'V1'); // hypertension
  await put({ resourceType: 'Condition', id: 'r2-htn', subject: ref('Patient/r2'),
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10.x00' }] } });
  await resident('r3', 30, 'V1');
  await resident('r4', 80, 'V1', { deceasedDateTime: day(-100) });
  await resident('r5', 5, 'T1'); // child 0-6
  await resident('r6', 50, 'T1');
  await resident('r7', 68, 'T2'); // elderly
  await resident('r8', 45, 'T2');

  // r1: last year's contract ran out 11 days ago and was renewed
  const r1old = await sign('r1', 'tA', day(-375), day(-11));
  assert.strictEqual((await req(srv, 'POST', `/fhir/EpisodeOfCare/${r1old}/$renew`, { body: P([]) })).status, 201);
  r2contract = await sign('r2', 'tA', day(-345), day(20)); // ends within 30 days
  await sign('r3', 'tA', day(-375), day(-10)); // ran out, not renewed
  await sign('r5', 'tB');
  const r6c = await sign('r6', 'tB');
  assert.strictEqual((await req(srv, 'POST', `/fhir/EpisodeOfCare/${r6c}/$terminate`, { body: P([{ name: 'reason', valueCode: 'moved' }]) })).status, 200);
  const r7c = await sign('r7', 'tC', day(-360), day(5)); // ends soon, already renewed
  assert.strictEqual((await req(srv, 'POST', `/fhir/EpisodeOfCare/${r7c}/$renew`, { body: P([]) })).status, 201);
  await sign('r8', 'tA'); // a T2 resident signed with a T1 team
});
test.after(() => srv.stop());

const period = `start=${day(-60)}&end=${day(0)}`;

test('team tA: 2 of its 5 registered residents, 2 of 3 in key populations, 1 of 2 expiries renewed', async () => {
  const r = await req(srv, 'GET', `/fhir/CareTeam/tA/$contract-indicators?${period}`);
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.resourceType, 'Bundle');
  assert.deepStrictEqual(score(r.json, 'contract-rate'), [2, 5, 0.4]);
  const [n, d, s] = score(r.json, 'key-population-contract-rate');
  assert.deepStrictEqual([n, d], [2, 3]);
  assert.ok(Math.abs(s - 2 / 3) < 1e-5);
  assert.deepStrictEqual(score(r.json, 'renewal-rate'), [1, 2, 0.5]);
  const m = r.json.entry[0].resource;
  assert.deepStrictEqual(m.reporter, ref('CareTeam/tA'));
  assert.deepStrictEqual(m.period, { start: day(-60), end: day(0) });
});

test('institution T1 (with V1 below it): 3 of 5 with any team; the region: 5 of 7', async () => {
  let r = await req(srv, 'GET', `/fhir/Organization/T1/$contract-indicators?${period}`);
  assert.strictEqual(r.status, 200, r.text);
  assert.deepStrictEqual(score(r.json, 'contract-rate'), [3, 5, 0.6]);
  assert.deepStrictEqual(score(r.json, 'key-population-contract-rate'), [3, 3, 1]);
  assert.deepStrictEqual(score(r.json, 'renewal-rate'), [1, 2, 0.5]);
  r = await req(srv, 'GET', `/fhir/$contract-indicators?${period}`);
  const [n, d] = score(r.json, 'contract-rate');
  assert.deepStrictEqual([n, d], [5, 7]);
  assert.deepStrictEqual(score(r.json, 'key-population-contract-rate'), [4, 4, 1]);
  // one key population
  r = await req(srv, 'GET', `/fhir/$contract-indicators?${period}&key-population=hypertension`);
  assert.deepStrictEqual(score(r.json, 'key-population-contract-rate'), [1, 1, 1]);
  r = await req(srv, 'GET', `/fhir/$contract-indicators?${period}&key-population=astronauts`);
  assert.strictEqual(r.status, 400);
  r = await req(srv, 'GET', `/fhir/Organization/nowhere/$contract-indicators`);
  assert.strictEqual(r.status, 404);
  r = await req(srv, 'GET', `/fhir/$contract-indicators?start=2026-13-01`);
  assert.strictEqual(r.status, 400);
});

test('expiring within 30 days: the contract not yet renewed, not the one already renewed', async () => {
  let r = await req(srv, 'GET', '/fhir/$expiring-contracts');
  assert.strictEqual(r.status, 200, r.text);
  assert.deepStrictEqual(r.json.entry.map((e) => e.resource.id), [r2contract]);
  r = await req(srv, 'GET', '/fhir/CareTeam/tC/$expiring-contracts');
  assert.strictEqual(r.json.total, 0);
  r = await req(srv, 'GET', '/fhir/CareTeam/tA/$expiring-contracts?days=10');
  assert.strictEqual(r.json.total, 0, 'r2 ends in 20 days');
  r = await req(srv, 'GET', '/fhir/Organization/T2/$expiring-contracts?days=-1');
  assert.strictEqual(r.status, 400);
});

test("a team's residents: filtered by key population and name, paged, numbers masked", async () => {
  let r = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents');
  assert.strictEqual(r.status, 200, r.text);
  assert.deepStrictEqual(r.json.entry.map((e) => e.resource.id).sort(), ['r1', 'r2', 'r8']);
  const r1 = r.json.entry.find((e) => e.resource.id === 'r1').resource;
  assert.match(r1.identifier[0].value, /^330106\*{8}\d{3}[\dX]$/);
  assert.strictEqual(r1.telecom[0].value, '139****5678');
  assert.deepStrictEqual(r1.extension.filter((e) => e.url === SD + 'key-population').map((e) => e.valueCode), ['elderly']);
  assert.ok(!r.text.includes('13912345678'));
  r = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents?key-population=hypertension');
  assert.deepStrictEqual(r.json.entry.map((e) => e.resource.id), ['r2']);
  assert.strictEqual(r.json.total, 1);
  r = await req(srv, 'GET', `/fhir/CareTeam/tA/$residents?name=${encodeURIComponent('张r8')}`);
  assert.deepStrictEqual(r.json.entry.map((e) => e.resource.id), ['r8']);
  r = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents?_count=2');
  assert.strictEqual(r.json.entry.length, 2);
  assert.strictEqual(r.json.total, 3);
  const next = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents?_count=2&_offset=2');
  assert.strictEqual(next.json.entry.length, 1);
  assert.ok(!r.json.entry.map((e) => e.resource.id).includes(next.json.entry[0].resource.id));
  r = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents?key-population=nope');
  assert.strictEqual(r.status, 400);
  r = await req(srv, 'GET', '/fhir/CareTeam/tA/$residents?_count=ten');
  assert.strictEqual(r.status, 400);
  assert.deepStrictEqual(r.json.issue[0].expression, ['_count']);
});
