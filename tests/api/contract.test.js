// contract.test.js -- the registry's identity rules and family-doctor contracting
// (docs/registry.md, issue 5): residents identified once by a valid identity number, and
// contracts signed, renewed, transferred and terminated with the rules enforced.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { startServer, req, residentId } = require('./lib');

const SID = 'https://yilian.health/fhir/sid/cn-resident-id';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';

// A resident born on birth (YYYY-MM-DD), sex from the sequence digit's parity.
function resident(id, birth, gender, seq) {
  const digits = birth.replace(/-/g, '');
  const s = String(seq).padStart(3, '0');
  return {
    resourceType: 'Patient', id, gender, birthDate: birth,
    name: [{ text: '王芳', family: '王', given: ['芳'] }],
    telecom: [{ system: 'phone', value: '13800138000', use: 'mobile' }],
    identifier: [{ system: SID, value: residentId('330106' + digits + s) }],
  };
}

function yearsAgo(n) {
  const d = new Date();
  d.setFullYear(d.getFullYear() - n);
  d.setMonth(0, 15);
  return d.toISOString().slice(0, 10);
}

function team(id, lead, members, capacity) {
  const t = {
    resourceType: 'CareTeam', id, status: 'active', name: id,
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: members.map((m) => ({
      role: [{ coding: [{ system: CS + 'practitioner-role', code: 'family-doctor' },
        ...(m === lead ? [{ system: CS + 'care-team-role', code: 'lead' }] : [])] }],
      member: { reference: `Practitioner/${m}` },
    })),
    managingOrganization: [{ reference: 'Organization/thc' }],
  };
  if (capacity !== undefined) t.extension = [{ url: SD + 'panel-capacity', valueInteger: capacity }];
  return t;
}

const ref = (r) => ({ reference: r });
function params(p) {
  const parameter = [];
  for (const [name, v] of Object.entries(p)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one.startsWith && /^\d{4}-\d\d-\d\d$/.test(one)) parameter.push({ name, valueDate: one });
      else if (one.includes && one.includes('/')) parameter.push({ name, valueReference: ref(one) });
      else parameter.push({ name, valueCode: one });
    }
  }
  return { resourceType: 'Parameters', parameter };
}

const ext = (res, url) => (res.extension || []).filter((e) => e.url === SD + url);
const state = (res) => ext(res, 'contract-state')[0]?.valueCode;

let srv;
test.before(async () => {
  srv = await startServer(['--seed-data']);
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
  };
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  for (const d of ['d1', 'd2', 'd3']) await put({ resourceType: 'Practitioner', id: d, name: [{ text: d }] });
  await put({ resourceType: 'PractitionerRole', id: 'r3', practitioner: ref('Practitioner/d3'),
    organization: ref('Organization/thc'),
    extension: [{ url: SD + 'panel-capacity', valueInteger: 1 }] });
  await put(team('t1', 'd1', ['d1', 'd3']));
  await put(team('t2', 'd2', ['d2']));
  await put(team('small', 'd2', ['d2'], 1));
});
test.after(() => srv.stop());

test('a resident identity number: its check character, and agreement with gender and birthDate', async () => {
  const ok = resident('rid-ok', '1968-04-12', 'male', 1);
  let r = await req(srv, 'PUT', '/fhir/Patient/rid-ok', { body: ok });
  assert.strictEqual(r.status, 201, r.text);

  const typo = resident('rid-typo', '1968-04-12', 'male', 3);
  const v = typo.identifier[0].value;
  typo.identifier[0].value = v.slice(0, 15) + ((Number(v[15]) + 1) % 10) + v.slice(16); // one digit mistyped
  r = await req(srv, 'POST', '/fhir/Patient', { body: typo });
  assert.strictEqual(r.status, 422);
  assert.match(r.json.issue[0].diagnostics, /check character/);
  assert.deepStrictEqual(r.json.issue[0].expression, ['Patient.identifier[0].value']);
  assert.ok(!r.text.includes(typo.identifier[0].value), 'the number is not repeated back');

  const woman = resident('rid-sex', '1968-04-12', 'female', 5); // odd sequence: a man's number
  r = await req(srv, 'POST', '/fhir/Patient', { body: woman });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /a man's .* gender is 'female'/);

  const born = resident('rid-born', '1968-04-12', 'male', 7);
  born.birthDate = '1968-04-13';
  r = await req(srv, 'POST', '/fhir/Patient', { body: born });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /birth date .* differs from birthDate/);

  const fifteen = resident('rid-15', '1968-04-12', 'male', 9);
  fifteen.identifier[0].value = '330106680412009';
  r = await req(srv, 'POST', '/fhir/Patient/$validate', { body: fifteen });
  assert.strictEqual(r.status, 200);
  assert.match(r.text, /15-digit .* first-generation/);
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient?_id=rid-typo,rid-sex,rid-born&_summary=count')).json.total, 0);
});

test('one resident, one record: a second Patient with the same identity number is 409 naming the first', async () => {
  const first = resident('dup-a', '1975-06-30', 'female', 2);
  assert.strictEqual((await req(srv, 'PUT', '/fhir/Patient/dup-a', { body: first })).status, 201);
  const again = { ...first, id: undefined, name: [{ text: '王芳芳' }] };
  delete again.id;
  let r = await req(srv, 'POST', '/fhir/Patient', { body: again });
  assert.strictEqual(r.status, 409);
  assert.match(r.json.issue[0].diagnostics, /already registered to Patient\/dup-a/);
  // a lower-case x is the same number
  const x = resident('dup-x', '1971-01-01', 'male', 11);
  x.identifier[0].value = residentId('33010619710101001');
  if (!x.identifier[0].value.endsWith('X')) {
    // find a sequence whose check character is X
    for (let s = 1; s < 999; s += 2) {
      const v = residentId('33010619710101' + String(s).padStart(3, '0'));
      if (v.endsWith('X')) { x.identifier[0].value = v; break; }
    }
  }
  assert.ok(x.identifier[0].value.endsWith('X'));
  assert.strictEqual((await req(srv, 'PUT', '/fhir/Patient/dup-x', { body: x })).status, 201);
  const lower = { ...x, id: 'dup-x2', identifier: [{ system: SID, value: x.identifier[0].value.toLowerCase() }] };
  r = await req(srv, 'PUT', '/fhir/Patient/dup-x2', { body: lower });
  assert.strictEqual(r.status, 409, r.text);
  // updating the holder itself is not a duplicate
  r = await req(srv, 'PUT', '/fhir/Patient/dup-a', { body: { ...first, active: true } });
  assert.strictEqual(r.status, 200, r.text);
  // once deleted, the number is free again
  assert.ok([200, 204].includes((await req(srv, 'DELETE', '/fhir/Patient/dup-a')).status));
  r = await req(srv, 'POST', '/fhir/Patient', { body: again });
  assert.strictEqual(r.status, 201, r.text);
});

test('duplicates racing each other: of 8 concurrent creates with one number exactly one is stored', async () => {
  const p = resident('race', '1990-02-03', 'female', 20);
  delete p.id;
  const rs = await Promise.all(Array.from({ length: 8 }, () => req(srv, 'POST', '/fhir/Patient', { body: p })));
  assert.deepStrictEqual(rs.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
  const found = await req(srv, 'GET', `/fhir/Patient?identifier=${encodeURIComponent(SID + '|' + p.identifier[0].value)}`);
  assert.strictEqual(found.json.entry.length, 1);
});

test('identity and phone numbers never reach the logs', async () => {
  const p = resident('logs', '1960-07-08', 'male', 31);
  p.telecom[0].value = '13912345678';
  await req(srv, 'PUT', '/fhir/Patient/logs', { body: p });
  await req(srv, 'POST', '/fhir/Patient', { body: { ...p, id: undefined } });
  await req(srv, 'GET', `/fhir/Patient?identifier=${encodeURIComponent(SID + '|' + p.identifier[0].value)}&telecom=13912345678`);
  await new Promise((r) => setTimeout(r, 200));
  const logs = fs.readFileSync(srv.access, 'utf8') + srv.stderr();
  assert.ok(logs.includes('/fhir/Patient'), 'the requests were logged');
  assert.ok(!logs.includes(p.identifier[0].value), 'no identity number in the logs');
  assert.ok(!logs.includes('13912345678'), 'no phone number in the logs');
});

test('$sign: a contract with the team lead and the basic package; one contract in force per resident', async () => {
  await req(srv, 'PUT', '/fhir/Patient/s1', { body: resident('s1', yearsAgo(40), 'male', 41) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/s1', team: 'CareTeam/t1' }) });
  assert.strictEqual(r.status, 201, r.text);
  assert.match(r.headers.get('location'), /\/fhir\/EpisodeOfCare\/[^/]+\/_history\/1$/);
  const c = r.json;
  assert.strictEqual(c.status, 'active');
  assert.strictEqual(state(c), 'signed');
  assert.deepStrictEqual(c.team, [ref('CareTeam/t1')]);
  assert.deepStrictEqual(c.careManager, ref('Practitioner/d1'), 'the team lead by default');
  assert.deepStrictEqual(c.managingOrganization, ref('Organization/thc'));
  assert.deepStrictEqual(ext(c, 'contract-package').map((e) => e.valueReference.reference), ['PlanDefinition/package-basic']);
  const start = new Date(c.period.start), end = new Date(c.period.end);
  start.setFullYear(start.getFullYear() + 1);
  start.setDate(start.getDate() - 1);
  assert.strictEqual(end.toISOString().slice(0, 10), start.toISOString().slice(0, 10), 'one year by default');

  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/s1', team: 'CareTeam/t2' }) });
  assert.strictEqual(r.status, 409);
  assert.match(r.json.issue[0].diagnostics, new RegExp(`in force .*EpisodeOfCare/${c.id}`));
  // the same through a plain create
  const copy = { ...c, id: undefined, meta: undefined, team: [ref('CareTeam/t2')], careManager: ref('Practitioner/d2') };
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare', { body: JSON.parse(JSON.stringify(copy)) });
  assert.strictEqual(r.status, 409);
  // the team search finds it
  r = await req(srv, 'GET', `/fhir/EpisodeOfCare?team=CareTeam/t1&patient=Patient/s1`);
  assert.strictEqual(r.json.entry.length, 1);
});

test('$sign: eligibility of packages, deceased residents, wrong input', async () => {
  await req(srv, 'PUT', '/fhir/Patient/old', { body: resident('old', yearsAgo(70), 'female', 52) });
  await req(srv, 'PUT', '/fhir/Patient/young', { body: resident('young', yearsAgo(30), 'female', 54) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/young', team: 'CareTeam/t1', package: 'PlanDefinition/package-elderly' }) });
  assert.strictEqual(r.status, 422);
  assert.strictEqual(r.json.issue[0].code, 'business-rule');
  assert.match(r.json.issue[0].diagnostics, /ages 65 and over; Patient\/young is not in that population/);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/old', team: 'CareTeam/t1', package: 'PlanDefinition/package-chronic-disease' }) });
  assert.strictEqual(r.status, 422, 'chronic-disease needs hypertension or diabetes');
  // a hypertension diagnosis (SNOMED CT, as Synthea records it) makes her eligible
  await req(srv, 'PUT', '/fhir/Condition/old-htn', { body: { resourceType: 'Condition', id: 'old-htn',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '59621000' }] }, subject: ref('Patient/old') } });
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/old', team: 'CareTeam/t1', doctor: 'Practitioner/d1',
    package: ['PlanDefinition/package-elderly', 'PlanDefinition/package-chronic-disease'] }) });
  assert.strictEqual(r.status, 201, r.text);
  assert.deepStrictEqual(ext(r.json, 'contract-package').map((e) => e.valueReference.reference),
    ['PlanDefinition/package-basic', 'PlanDefinition/package-elderly', 'PlanDefinition/package-chronic-disease']);

  const dead = resident('dead', yearsAgo(80), 'male', 57);
  dead.deceasedDateTime = '2026-01-01';
  await req(srv, 'PUT', '/fhir/Patient/dead', { body: dead });
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/dead', team: 'CareTeam/t1' }) });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /deceased/);

  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ team: 'CareTeam/t1' }) });
  assert.strictEqual(r.status, 400);
  assert.match(r.text, /needs the parameter 'patient'/);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/young', team: 'CareTeam/t1', colour: 'red' }) });
  assert.strictEqual(r.status, 400);
  assert.match(r.text, /no parameter 'colour'/);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/young', team: 'CareTeam/none' }) });
  assert.strictEqual(r.status, 422);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/young', team: 'CareTeam/t1', doctor: 'Practitioner/d2' }) });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /not a member of CareTeam\/t1/);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: '{"resourceType":"Patient"}' });
  assert.strictEqual(r.status, 400);
});

test('capacity: a full team and a full doctor refuse new contracts; ending one frees a place', async () => {
  await req(srv, 'PUT', '/fhir/Patient/c1', { body: resident('c1', yearsAgo(50), 'male', 61) });
  await req(srv, 'PUT', '/fhir/Patient/c2', { body: resident('c2', yearsAgo(51), 'male', 63) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/c1', team: 'CareTeam/small' }) });
  assert.strictEqual(r.status, 201, r.text);
  const first = r.json;
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/c2', team: 'CareTeam/small' }) });
  assert.strictEqual(r.status, 422);
  assert.match(r.json.issue[0].diagnostics, /CareTeam\/small is full: 1 contracts in force .* capacity 1/);
  // doctor d3 may hold one (PractitionerRole panel-capacity 1)
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/c2', team: 'CareTeam/t1', doctor: 'Practitioner/d3' }) });
  assert.strictEqual(r.status, 201, r.text);
  await req(srv, 'PUT', '/fhir/Patient/c3', { body: resident('c3', yearsAgo(52), 'male', 65) });
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/c3', team: 'CareTeam/t1', doctor: 'Practitioner/d3' }) });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /Practitioner\/d3 has reached their capacity/);
  // terminating the small team's contract frees its place
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${first.id}/$terminate`, { body: params({ reason: 'moved' }) });
  assert.strictEqual(r.status, 200, r.text);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/c3', team: 'CareTeam/small' }) });
  assert.strictEqual(r.status, 201, r.text);
});

test('$terminate: a coded reason, status finished, the period ended, the old period in statusHistory', async () => {
  await req(srv, 'PUT', '/fhir/Patient/t-1', { body: resident('t-1', yearsAgo(45), 'female', 72) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/t-1', team: 'CareTeam/t2' }) });
  const c = r.json;
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$terminate`, { body: params({ reason: 'bored' }) });
  assert.strictEqual(r.status, 400);
  assert.match(r.text, /lost, moved, died, refused, re-signed-elsewhere or other/);
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$terminate`, { body: params({ reason: 'refused', date: '2000-01-01' }) });
  assert.strictEqual(r.status, 422, 'before the start');
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$terminate`, { body: params({ reason: 'refused' }) });
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.status, 'finished');
  assert.strictEqual(state(r.json), 'terminated');
  assert.deepStrictEqual(ext(r.json, 'termination-reason')[0].valueCoding,
    { system: CS + 'contract-termination-reason', code: 'refused', display: '拒绝' });
  assert.strictEqual(r.json.period.end, c.period.start, 'ended today');
  assert.deepStrictEqual(r.json.statusHistory, [{ status: 'active', period: c.period }]);
  assert.strictEqual(r.json.meta.versionId, '2');
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$terminate`, { body: params({ reason: 'refused' }) });
  assert.strictEqual(r.status, 422);
  assert.match(r.text, /already ended/);
  // and the resident may sign again
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/t-1', team: 'CareTeam/t1' }) });
  assert.strictEqual(r.status, 201, r.text);
  // If-Match on the contract is honoured
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${r.json.id}/$terminate`, { body: params({ reason: 'other' }), headers: { 'If-Match': 'W/"7"' } });
  assert.strictEqual(r.status, 412);
});

test('$transfer: the old contract ends (transferred), the new team takes the rest of the period; history kept', async () => {
  await req(srv, 'PUT', '/fhir/Patient/x1', { body: resident('x1', yearsAgo(60), 'male', 81) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/x1', team: 'CareTeam/t1' }) });
  const old = r.json;
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${old.id}/$transfer`, { body: params({ team: 'CareTeam/t1' }) });
  assert.strictEqual(r.status, 422, 'to the same team');
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${old.id}/$transfer`, { body: params({ team: 'CareTeam/t2' }) });
  assert.strictEqual(r.status, 201, r.text);
  const moved = r.json;
  assert.deepStrictEqual(moved.team, [ref('CareTeam/t2')]);
  assert.deepStrictEqual(moved.careManager, ref('Practitioner/d2'));
  assert.strictEqual(moved.period.end, old.period.end);
  assert.deepStrictEqual(ext(moved, 'transferred-from')[0].valueReference, ref(`EpisodeOfCare/${old.id}`));
  const before = (await req(srv, 'GET', `/fhir/EpisodeOfCare/${old.id}`)).json;
  assert.strictEqual(before.status, 'finished');
  assert.strictEqual(state(before), 'transferred');
  const hist = (await req(srv, 'GET', `/fhir/EpisodeOfCare/${old.id}/_history`)).json;
  assert.strictEqual(hist.entry.length, 2, 'both versions of the old contract');
  // in force with the new team only
  r = await req(srv, 'GET', '/fhir/EpisodeOfCare?patient=Patient/x1&status=active');
  assert.deepStrictEqual(r.json.entry.map((e) => e.resource.id), [moved.id]);
  // a transfer into a full team changes nothing
  await req(srv, 'PUT', '/fhir/Patient/x2', { body: resident('x2', yearsAgo(61), 'male', 83) });
  const c2 = (await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/x2', team: 'CareTeam/t1' }) })).json;
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c2.id}/$transfer`, { body: params({ team: 'CareTeam/small' }) });
  assert.strictEqual(r.status, 422);
  const still = (await req(srv, 'GET', `/fhir/EpisodeOfCare/${c2.id}`)).json;
  assert.strictEqual(still.status, 'active', 'the refused transfer left the old contract in force');
  assert.strictEqual(still.meta.versionId, '1');
});

test('$renew: the next year from the day after the end; renewed once', async () => {
  await req(srv, 'PUT', '/fhir/Patient/n1', { body: resident('n1', yearsAgo(66), 'female', 92) });
  let r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/n1', team: 'CareTeam/t2', package: 'PlanDefinition/package-elderly' }) });
  const c = r.json;
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$renew`, { body: params({}) });
  assert.strictEqual(r.status, 201, r.text);
  const next = r.json;
  assert.strictEqual(state(next), 'renewed');
  const after = new Date(c.period.end);
  after.setDate(after.getDate() + 1);
  assert.strictEqual(next.period.start, after.toISOString().slice(0, 10));
  assert.deepStrictEqual(ext(next, 'renews')[0].valueReference, ref(`EpisodeOfCare/${c.id}`));
  assert.deepStrictEqual(ext(next, 'contract-package').map((e) => e.valueReference.reference),
    ['PlanDefinition/package-basic', 'PlanDefinition/package-elderly'], 'the same packages');
  r = await req(srv, 'POST', `/fhir/EpisodeOfCare/${c.id}/$renew`, { body: params({}) });
  assert.strictEqual(r.status, 409);
  assert.match(r.text, new RegExp(`already renewed by EpisodeOfCare/${next.id}`));
  r = await req(srv, 'GET', `/fhir/EpisodeOfCare?renews=EpisodeOfCare/${c.id}`);
  assert.strictEqual(r.json.entry.length, 1);
  r = await req(srv, 'POST', '/fhir/EpisodeOfCare/nope/$renew', { body: params({}) });
  assert.strictEqual(r.status, 404);
});

test('concurrent $sign for one resident: exactly one contract', async () => {
  await req(srv, 'PUT', '/fhir/Patient/cc', { body: resident('cc', yearsAgo(33), 'male', 95) });
  const rs = await Promise.all(['CareTeam/t1', 'CareTeam/t2', 'CareTeam/t1', 'CareTeam/t2'].map((t) =>
    req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/cc', team: t }) })));
  assert.deepStrictEqual(rs.map((r) => r.status).sort(), [201, 409, 409, 409]);
});

test('$transfer inside a transaction Bundle is part of it', async () => {
  await req(srv, 'PUT', '/fhir/Patient/b1', { body: resident('b1', yearsAgo(58), 'female', 98) });
  const c = (await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: params({ patient: 'Patient/b1', team: 'CareTeam/t1' }) })).json;
  const bundle = {
    resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: params({ team: 'CareTeam/t2' }), request: { method: 'POST', url: `EpisodeOfCare/${c.id}/$transfer` } },
      { resource: { resourceType: 'Patient', birthDate: 'bad' }, request: { method: 'POST', url: 'Patient' } },
    ],
  };
  const r = await req(srv, 'POST', '/fhir', { body: bundle });
  assert.ok(r.status >= 400, r.text);
  const still = (await req(srv, 'GET', `/fhir/EpisodeOfCare/${c.id}`)).json;
  assert.strictEqual(still.status, 'active', 'rolled back with the bundle');
});
