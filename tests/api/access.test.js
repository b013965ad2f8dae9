// access.test.js -- identity, access control and audit (issue 7, docs/security.md): logins
// and their throttle, sessions and API tokens, and the access matrix: every role x every
// route x (own, related, unrelated resident), generated from the tables below, asserting
// allow or deny and that a denial and a filtered search leak nothing (no counts, no ids, no
// probing through conditional operations, chained parameters, _has or _include).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, login, addUser, loginAll, residentId, ADMIN } = require('./lib');

const SID = 'https://yilian.health/fhir/sid/cn-resident-id';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const LOINC = 'http://loinc.org';
const ref = (r) => ({ reference: r });
const PW = 'correct-horse-battery';

function resident(id, seq, family) {
  return {
    resourceType: 'Patient', id, gender: 'female', birthDate: '1956-04-01',
    name: [{ text: family + '秀英', family, given: ['秀英'] }],
    identifier: [{ system: SID, value: residentId('33010619560401' + String(seq * 2).padStart(3, '0')) }],
    managingOrganization: ref('Organization/thc'),
  };
}
function team(id, members) {
  return {
    resourceType: 'CareTeam', id, status: 'active', name: id,
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: members.map((m, i) => ({
      role: [{ coding: [{ system: CS + 'practitioner-role', code: 'family-doctor' },
        ...(i === 0 ? [{ system: CS + 'care-team-role', code: 'lead' }] : [])] }],
      member: ref(`Practitioner/${m}`),
    })),
    managingOrganization: [ref('Organization/thc')],
  };
}
const bp = (id, patient, sbp) => ({
  resourceType: 'Observation', id, status: 'final',
  code: { coding: [{ system: LOINC, code: '8480-6' }] }, subject: ref(`Patient/${patient}`),
  effectiveDateTime: '2026-03-01', valueQuantity: { value: sbp, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
});

// The region: doctor d1 (team t1) cares for p-own; p-ref is referred to specialist s1 and to
// d1; p-other belongs to team t2. Each resident has a blood pressure and an encounter.
let srv;
let tokens, as; // loginAll: each user's token, and req() as one of them
const USERS = {
  'family-doctor': { role: 'family-doctor', practitioner: 'd1' },
  nurse: { role: 'nurse', practitioner: 'n1' },
  specialist: { role: 'specialist', practitioner: 's1', organization: 'cardio' },
  pharmacist: { role: 'pharmacist', practitioner: 'ph1', organization: 'pharmacy' },
  supervisor: { role: 'supervisor', organization: 'thc' },
  'institution-admin': { role: 'institution-admin', organization: 'thc' },
  resident: { role: 'resident', patient: 'p-own' },
};

test.before(async () => {
  srv = await startServer(['--seed-data']);
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, `${r.resourceType}/${r.id}: ${res.text}`);
  };
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await put({ resourceType: 'Organization', id: 'cardio', name: '心内科' });
  await put({ resourceType: 'Organization', id: 'village', name: '东村卫生室', partOf: ref('Organization/thc') });
  await put({ resourceType: 'Organization', id: 'pharmacy', name: '药房' });
  for (const d of ['d1', 'd2', 'n1', 's1', 'ph1']) await put({ resourceType: 'Practitioner', id: d, name: [{ text: d }] });
  await put(team('t1', ['d1', 'n1']));
  await put(team('t2', ['d2']));
  await put(resident('p-own', 1, '王'));
  await put(resident('p-ref', 2, '李'));
  await put(resident('p-other', 3, '赵'));
  for (const [p, t] of [['p-own', 't1'], ['p-other', 't2']]) {
    const r = await req(srv, 'POST', '/fhir/EpisodeOfCare/$sign', { body: { resourceType: 'Parameters', parameter: [
      { name: 'patient', valueReference: ref(`Patient/${p}`) }, { name: 'team', valueReference: ref(`CareTeam/${t}`) }] } });
    assert.strictEqual(r.status, 201, r.text);
  }
  for (const p of ['p-own', 'p-ref', 'p-other']) {
    await put(bp(`bp-${p}`, p, 150));
    await put({ resourceType: 'Encounter', id: `enc-${p}`, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: ref(`Patient/${p}`), participant: [{ individual: ref('Practitioner/d1') }] });
  }
  await put({ resourceType: 'ServiceRequest', id: 'sr1', status: 'active', intent: 'order', subject: ref('Patient/p-ref'),
    performer: [ref('Practitioner/s1'), ref('Practitioner/d1')] });
  await put({ resourceType: 'MedicationRequest', id: 'mr1', status: 'active', intent: 'order', subject: ref('Patient/p-ref'),
    medicationCodeableConcept: { text: 'amlodipine 5 mg' }, performer: ref('Organization/pharmacy') });
  ({ tokens, as } = await loginAll(srv, USERS, PW));
});
test.after(() => srv?.stop());


// ---- logins --------------------------------------------------------------------------

test('login: an unknown username and a wrong password get the same answer; the token opens the API; logout ends it', async () => {
  const post = (body) => req(srv, 'POST', '/auth/login', { body, auth: false, headers: { 'Content-Type': 'application/json' } });
  const wrong = await post({ username: 'nurse', password: 'not-the-password' });
  const unknown = await post({ username: 'nobody-here', password: 'not-the-password' });
  assert.strictEqual(wrong.status, 401);
  assert.strictEqual(unknown.status, 401);
  assert.deepStrictEqual(wrong.json, unknown.json, 'no difference between unknown user and wrong password');
  assert.strictEqual((await post({ username: 'nurse' })).status, 400);
  const ok = await post({ username: 'nurse', password: PW });
  assert.strictEqual(ok.status, 200, ok.text);
  assert.match(ok.json.token, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(Date.parse(ok.json.expires) > Date.now() + 7 * 3600e3, 'a session lasts a clinic day');
  assert.deepStrictEqual(ok.json.user.roles, ['nurse']);
  const auth = { Authorization: `Bearer ${ok.json.token}` };
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: auth })).json.username, 'nurse');
  assert.strictEqual((await req(srv, 'POST', '/auth/logout', { headers: auth })).status, 204);
  const after = await req(srv, 'GET', '/auth/me', { headers: auth });
  assert.strictEqual(after.status, 401);
  assert.strictEqual(after.json.resourceType, 'OperationOutcome');
  // no token, a malformed one, an unknown one
  for (const h of [{}, { Authorization: 'Bearer' }, { Authorization: 'Basic dXNlcjpwdw==' }, { Authorization: `Bearer ${'A'.repeat(43)}` }]) {
    const r = await req(srv, 'GET', '/fhir/Patient/p-own', { auth: false, headers: h });
    assert.strictEqual(r.status, 401, JSON.stringify(h));
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
  }
  // the public routes need none
  assert.strictEqual((await req(srv, 'GET', '/fhir/metadata', { auth: false })).status, 200);
  assert.strictEqual((await req(srv, 'GET', '/healthz', { auth: false })).status, 200);
});

test('login throttle: back-off per account after 3 failures, the same for an unknown account; then the right password works', async () => {
  const post = (username, password) => req(srv, 'POST', '/auth/login', {
    body: { username, password }, auth: false, headers: { 'Content-Type': 'application/json' } });
  for (const who of ['pharmacist', 'ghost-user']) {
    for (let i = 0; i < 3; i++) assert.strictEqual((await post(who, 'wrong-password-x')).status, 401);
    const held = await post(who, who === 'pharmacist' ? PW : 'wrong-password-x');
    assert.strictEqual(held.status, 429, `${who}: ${held.text}`);
    assert.ok(Number(held.headers.get('retry-after')) >= 1);
    assert.strictEqual(held.json.resourceType, 'OperationOutcome');
  }
  await new Promise((r) => setTimeout(r, 1100));
  const ok = await post('pharmacist', PW);
  assert.strictEqual(ok.status, 200, ok.text);
  tokens.pharmacist = ok.json.token;
});

test('API tokens: read-only tokens read and may not write; a revoked token is refused', async () => {
  const made = await as('family-doctor', 'POST', '/auth/tokens', { body: { label: 'clinic tablet', readOnly: true, days: 30 }, headers: { 'Content-Type': 'application/json' } });
  assert.strictEqual(made.status, 201, made.text);
  const h = { Authorization: `Bearer ${made.json.token}` };
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient/p-own', { headers: h })).status, 200);
  const w = await req(srv, 'PUT', '/fhir/Observation/bp-p-own', { headers: h, body: bp('bp-p-own', 'p-own', 140) });
  assert.strictEqual(w.status, 403);
  assert.strictEqual((await as('nurse', 'DELETE', `/auth/tokens/${made.json.id}`)).status, 404, 'not the nurse\'s token');
  assert.strictEqual((await as('family-doctor', 'DELETE', `/auth/tokens/${made.json.id}`)).status, 204);
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient/p-own', { headers: h })).status, 401);
});

test('password change: the current one is required; then every session ends and the new one logs in', async () => {
  addUser(srv.db, { username: 'changer', password: PW, role: 'nurse', practitioner: 'n1' });
  const t = await login(srv, 'changer', PW);
  const h = { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' };
  const wrong = await req(srv, 'POST', '/auth/password', { headers: h, body: { password: 'not-it-at-all', newPassword: 'a-brand-new-secret' } });
  assert.strictEqual(wrong.status, 401);
  const short = await req(srv, 'POST', '/auth/password', { headers: h, body: { password: PW, newPassword: 'short' } });
  assert.strictEqual(short.status, 400);
  const ok = await req(srv, 'POST', '/auth/password', { headers: h, body: { password: PW, newPassword: 'a-brand-new-secret' } });
  assert.strictEqual(ok.status, 204, ok.text);
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: h })).status, 401, 'the session ended');
  await assert.rejects(login(srv, 'changer', PW));
  assert.ok(await login(srv, 'changer', 'a-brand-new-secret'));
});

// ---- the access matrix -----------------------------------------------------------------

// Which residents each role may see: own / related / unrelated.
const SEES = {
  admin: ['p-own', 'p-ref', 'p-other'],
  'family-doctor': ['p-own', 'p-ref'], // their team's, and one referred to them
  nurse: ['p-own'], // their team's
  specialist: ['p-ref'], // referred to them
  pharmacist: ['p-ref'], // a prescription routed to their pharmacy (dispensing data only)
  supervisor: [], // aggregates; a resident only with a stated purpose
  'institution-admin': [],
  resident: ['p-own'], // themselves
};
const ROLES = Object.keys(SEES);
const PATIENTS = ['p-own', 'p-ref', 'p-other'];
const WRITERS = ['admin', 'family-doctor', 'nurse', 'specialist'];

// Routes on one resident's record: the URL, and whether a role that sees the resident
// may use it (default: yes). A denied one answers 404 exactly as for a record that does
// not exist (noSuch), and a filtered search shows none of the resident's ids.
const ROUTES = [
  { name: 'read Patient', url: (p) => `/fhir/Patient/${p}` },
  { name: 'vread Patient', url: (p) => `/fhir/Patient/${p}/_history/1` },
  { name: 'Patient history', url: (p) => `/fhir/Patient/${p}/_history` },
  { name: 'read Observation', url: (p) => `/fhir/Observation/bp-${p}`, types: ['Observation'] },
  { name: '$everything', url: (p) => `/fhir/Patient/${p}/$everything` },
  // a search: for a resident the caller may not see it finds nothing, as for one who does not exist
  { name: 'compartment search', url: (p) => `/fhir/Patient/${p}/Observation`, types: ['Observation'], empty: true },
];
// Searches that must only ever show what the caller may see: [url, the ids a match shows]
const SEARCHES = [
  ['/fhir/Patient?_total=accurate', (p) => [p]],
  ['/fhir/Observation?_total=accurate', (p) => [`bp-${p}`]],
  ['/fhir/Observation?code=http://loinc.org|8480-6&_total=accurate', (p) => [`bp-${p}`]],
  ['/fhir/Observation?subject.name=秀英', (p) => [`bp-${p}`]],
  ['/fhir/Patient?_has:Observation:subject:code=8480-6', (p) => [p]],
  ['/fhir/Encounter?_include=Encounter:subject', (p) => [`enc-${p}`, p]],
  ['/fhir/Observation?_revinclude=Provenance:target&_include=Observation:subject', (p) => [`bp-${p}`, p]],
  ['/fhir?_type=Patient,Observation,Encounter&_total=accurate', (p) => [p, `bp-${p}`, `enc-${p}`]],
  ['/fhir/_history?_count=500', (p) => [p, `bp-${p}`, `enc-${p}`]],
  ['/fhir/Observation/_history?_count=500', (p) => [`bp-${p}`]],
];
const dispensing = new Set(['Patient', 'MedicationRequest', 'Medication', 'MedicationDispense', 'AllergyIntolerance']);

for (const role of ROLES) {
  for (const route of ROUTES) {
    for (const p of PATIENTS) {
      const allowed = SEES[role].includes(p) && (role !== 'pharmacist' ||
        ((route.types || ['Patient']).every((t) => dispensing.has(t)) && route.name !== '$everything'));
      test(`matrix: ${role} ${route.name} of ${p} -> ${allowed ? 'allow' : 'deny'}`, async () => {
        const r = await as(role, 'GET', route.url(p));
        if (allowed) {
          assert.strictEqual(r.status, 200, r.text);
          if (route.empty) assert.ok(r.json.entry.length > 0, 'finds the resident\'s records');
          return;
        }
        if (route.empty && r.status === 200) {
          assert.deepStrictEqual(r.json.entry, [], `finds nothing: ${r.text}`);
          assert.ok(!r.text.includes(p.slice(2) + '"'), 'no id');
          return;
        }
        assert.ok(r.status === 404 || r.status === 403, `${r.status} ${r.text}`);
        assert.ok(!r.text.includes('秀英') && !r.text.includes('"total"'), `denial leaks: ${r.text}`);
        if (r.status === 404) {
          // the same route for a resident who does not exist, as an administrator sees it
          const none = await as('admin', 'GET', route.url('p-none'));
          assert.strictEqual(none.status, 404);
          assert.strictEqual(r.json.issue[0].diagnostics, none.json.issue[0].diagnostics.replaceAll('p-none', p),
            'worded as for a record that does not exist');
        }
      });
    }
  }
  for (const [url, shows] of SEARCHES) {
    test(`matrix: ${role} ${url} shows only what they may see`, async () => {
      const r = await as(role, 'GET', url);
      if (r.status === 403) return; // a role that may not search these at all
      assert.strictEqual(r.status, 200, r.text);
      const ids = (r.json.entry || []).map((e) => e.resource?.id || e.fullUrl.split('/').pop());
      for (const p of PATIENTS) {
        const hidden = !SEES[role].includes(p);
        for (const id of shows(p)) {
          if (hidden) assert.ok(!ids.includes(id), `${role} sees ${id} in ${url}: ${ids}`);
        }
      }
      if (r.json.total !== undefined && role !== 'admin') {
        const mine = (r.json.entry || []).filter((e) => e.search?.mode === 'match').length;
        assert.strictEqual(r.json.total, mine, '_total counts only what the caller may see');
      }
    });
  }
  test(`matrix: ${role} writes only to residents in their care (and cannot probe through conditional writes)`, async () => {
    for (const p of PATIENTS) {
      const r = await as(role, 'PUT', `/fhir/Observation/new-${role}-${p}`, { body: bp(`new-${role}-${p}`, p, 130) });
      const may = WRITERS.includes(role) && SEES[role].includes(p);
      assert.strictEqual(r.status < 300, may, `${role} PUT Observation for ${p}: ${r.status} ${r.text}`);
      if (!may) assert.ok(!r.text.includes('秀英'));
    }
    // a conditional create keyed on another resident's identifier: nothing found for the
    // caller, so no 200 pointing at the hidden record
    const probe = await as(role, 'POST', '/fhir/Patient', {
      body: resident('ignored', 3, '赵'), headers: { 'If-None-Exist': `identifier=${SID}|${residentId('33010619560401006')}` } });
    assert.ok(probe.status !== 200 || SEES[role].includes('p-other'), `conditional create revealed p-other: ${probe.text}`);
    assert.ok(!probe.text.includes('p-other') || SEES[role].includes('p-other'), `conditional create named p-other: ${probe.text}`);
  });
}

// The operations of the route table, per role: [method, url, body, the roles that may]
// (a team's operations need membership, a doctor's their own; a refusal is 403 for a role
// that never has the route, 404 for a team or resident outside the caller's care)
const OPS = [
  ['GET', '/fhir/CareTeam/t1/$worklist?list=overdue', null, ['admin', 'family-doctor', 'nurse']],
  ['GET', '/fhir/CareTeam/t2/$worklist?list=overdue', null, ['admin']],
  ['GET', '/fhir/CareTeam/t1/$residents', null, ['admin', 'family-doctor', 'nurse']],
  ['GET', '/fhir/CareTeam/t2/$residents', null, ['admin']],
  ['GET', '/fhir/Practitioner/d1/$worklist?list=due', null, ['admin', 'family-doctor']],
  ['GET', '/fhir/CareTeam/t1/$contract-indicators', null, ['admin', 'family-doctor', 'nurse']],
  ['GET', '/fhir/Organization/thc/$contract-indicators', null, ['admin', 'supervisor', 'institution-admin']],
  // a village clinic under the township centre: in the supervisor's region (partOf)
  ['GET', '/fhir/Organization/village/$contract-indicators', null, ['admin', 'supervisor', 'institution-admin']],
  // another organisation, outside the region: its own staff only
  ['GET', '/fhir/Organization/cardio/$contract-indicators', null, ['admin', 'specialist']],
  ['GET', '/fhir/$contract-indicators', null, ['admin', 'family-doctor', 'nurse', 'specialist', 'supervisor', 'institution-admin']],
  ['GET', '/fhir/$expiring-contracts', null, ['admin']],
  ['POST', '/fhir/Patient/p-other/$enrol', { resourceType: 'Parameters', parameter: [{ name: 'programme', valueCode: 'hypertension' }] }, ['admin']],
];
for (const role of ROLES) {
  test(`matrix: ${role} and the operations`, async () => {
    for (const [method, url, body, may] of OPS) {
      const r = await as(role, method, url, body ? { body } : {});
      if (may.includes(role)) {
        assert.ok(r.status < 400 || r.status === 422, `${role} ${method} ${url}: ${r.status} ${r.text}`);
      } else {
        assert.ok(r.status === 403 || r.status === 404, `${role} ${method} ${url}: ${r.status} ${r.text}`);
        assert.ok(!r.text.includes('秀英') && !/"total":[1-9]/.test(r.text), `${role} ${url} leaks: ${r.text}`);
      }
    }
  });
}

test('matrix: bulk export and the review lists are for administrators', async () => {
  for (const role of ROLES) {
    const exp = await as(role, 'GET', '/fhir/$export', { headers: { Prefer: 'respond-async' } });
    assert.strictEqual(exp.status === 202, role === 'admin', `${role} $export: ${exp.status}`);
    const glass = await as(role, 'GET', '/auth/break-the-glass');
    assert.strictEqual(glass.status === 200, role === 'admin', `${role} grants list: ${glass.status}`);
  }
});

// ---- the matrix, continued: writes, care operations, Bundles and probes by identifier ----
// Every request below that a role may not make is sent with a body that would be stored
// for one who may (the last test of the care operations shows that), and the store's
// history is read before and after: a denial stores nothing. A denial is compared with the
// same caller's answer for a target that does not exist: the same status and the same
// words, so the caller cannot tell the two apart.

const TEST_CS = 'urn:yilian-test';
const SEQ = { 'p-own': 1, 'p-ref': 2, 'p-other': 3 };
const FAMILY = { 'p-own': '王', 'p-ref': '李', 'p-other': '赵' };
// a resident's identity number (p-none: one nobody holds), and as a search value
const ident = (p) => residentId('33010619560401' + String((SEQ[p] ?? 44) * 2).padStart(3, '0'));
const idq = (p) => `${encodeURIComponent(SID)}|${ident(p)}`;
const noId = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'id'));
const reading = (id, p, code, value = 120) => ({
  resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: TEST_CS, code }] },
  subject: ref(`Patient/${p}`), effectiveDateTime: '2026-03-01',
  valueQuantity: { value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
});
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const binaryPatch = (ops) => ({ resourceType: 'Binary', contentType: 'application/json-patch+json',
  data: Buffer.from(JSON.stringify(ops)).toString('base64') });
const day = (offset) => new Date(Date.now() + offset * 864e5).toISOString().slice(0, 10);
// A Parameters body: 'Type/id' -> valueReference, YYYY-MM-DD -> valueDate, numbers ->
// valueDecimal, other strings -> valueCode.
function parameters(p) {
  const parameter = Object.entries(p).map(([name, v]) => (typeof v === 'number' ? { name, valueDecimal: v }
    : /^\d{4}-\d\d-\d\d$/.test(v) ? { name, valueDate: v }
      : v.includes('/') ? { name, valueReference: ref(v) } : { name, valueCode: v }));
  return parameter.length ? { resourceType: 'Parameters', parameter } : { resourceType: 'Parameters' };
}

// What an administrator sees: the newest change in the store, and the changes since that
// one -- leaving out the risk tiers (RiskAssessment) the server recomputes by itself a
// moment after a resident's records change -- and one resource's state.
const mark = async () => {
  const e = (await as('admin', 'GET', '/fhir/_history?_count=1')).json.entry[0];
  return { since: e.response.lastModified, newest: e.fullUrl + e.response.etag };
};
const changes = async (m) => {
  const since = (await as('admin', 'GET', `/fhir/_history?_since=${encodeURIComponent(m.since)}&_count=1000`)).json.entry || [];
  const newer = since.findIndex((e) => e.fullUrl + e.response.etag === m.newest); // newest first
  return since.slice(0, newer < 0 ? since.length : newer).filter((e) => !e.fullUrl.includes('/RiskAssessment/'))
    .map((e) => `${e.request.method} ${e.fullUrl.split('/fhir/')[1]}`);
};
const state = async (path) => {
  const r = await as('admin', 'GET', `/fhir/${path}`);
  return `${r.status} v${r.json?.meta?.versionId}`;
};
function noLeak(r, what) {
  assert.ok(!r.text.includes('秀英') && !/"total":[1-9]/.test(r.text), `${what} leaks: ${r.text}`);
}
// A denial worded exactly as the same caller's answer for something that does not exist.
const norm = (text, ids) => ids.filter(Boolean).reduce((t, id) => t.replaceAll(id, '{id}'), text);
function sameAsMissing(r, none, ids, noneIds, what) {
  assert.strictEqual(r.status, none.status, `${what}: ${r.status} ${r.text}; for a missing one ${none.status} ${none.text}`);
  assert.strictEqual(norm(r.text, ids), norm(none.text, noneIds), `${what}: worded as for one that does not exist`);
}
// Whether a resource returned to role is one they may see.
function visibleTo(role, res) {
  if (role === 'admin' || res.resourceType === 'OperationOutcome') return true;
  const p = res.resourceType === 'Patient' ? res.id : (res.subject || res.patient)?.reference?.replace(/^Patient\//, '');
  if (!p) return true;
  return SEES[role].includes(p) && (role !== 'pharmacist' || dispensing.has(res.resourceType));
}

// The records these tests change, made once by the first test that needs them: a third
// team (t3) and a closed one; a contract for p-ref too (with t2: no test user's care
// changes); per resident a hypertension diagnosis and a diabetes programme enrolment; per
// role and resident an Observation to PATCH and DELETE (m-) and one to change through
// conditional writes (c-); per role an Observation of p-other for the batch (bx-) and the
// transactions (tx-); and directory records.
const DIRECTORY = {
  Organization: () => ({ resourceType: 'Organization', id: 'dir-org', name: '西村卫生室', partOf: ref('Organization/thc') }),
  CareTeam: () => team('dir-team', ['d2']),
  PractitionerRole: () => ({ resourceType: 'PractitionerRole', id: 'dir-role', practitioner: ref('Practitioner/d2'), organization: ref('Organization/thc') }),
  Practitioner: () => ({ resourceType: 'Practitioner', id: 'dir-prac', name: [{ text: 'dir-prac' }] }),
};
let made;
const fixtures = () => (made ||= makeFixtures());
async function makeFixtures() {
  const put = async (r) => {
    const res = await as('admin', 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, `${r.resourceType}/${r.id}: ${res.text}`);
  };
  await put(team('t3', ['d2']));
  await put({ ...team('t-closed', ['d2']), status: 'inactive' });
  const signed = await as('admin', 'POST', '/fhir/EpisodeOfCare/$sign', { body: parameters({ patient: 'Patient/p-ref', team: 'CareTeam/t2' }) });
  assert.strictEqual(signed.status, 201, signed.text);
  const contract = {};
  for (const p of PATIENTS) {
    const c = await as('admin', 'GET', `/fhir/EpisodeOfCare?patient=Patient/${p}&status=active&type=${encodeURIComponent(CS + 'episode-type|family-doctor-contract')}`);
    assert.strictEqual(c.json.entry.length, 1, c.text);
    contract[p] = c.json.entry[0].resource.id;
    await put({ resourceType: 'Condition', id: `htn-${p}`, subject: ref(`Patient/${p}`),
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10' }] } });
    await put({ resourceType: 'EpisodeOfCare', id: `enr-${p}`, status: 'active', patient: ref(`Patient/${p}`),
      type: [{ coding: [{ system: CS + 'episode-type', code: 'diabetes-programme' }] }], period: { start: '2020-01-01' } });
    for (const role of ROLES) {
      await put(reading(`m-${role}-${p}`, p, `m-${role}`));
      await put(reading(`c-${role}-${p}`, p, `c-${role}`));
    }
  }
  for (const role of ROLES) {
    await put(reading(`bx-${role}`, 'p-other', `bx-${role}`));
    await put(reading(`tx-${role}`, 'p-other', `tx-${role}`));
  }
  for (const make of Object.values(DIRECTORY)) await put(make());
  return { contract };
}

// PATCH and DELETE of one resident's Observation: as PUT, only by a writer who cares for
// them; otherwise 404 as for an Observation that does not exist (403 for a role that never
// writes), and the Observation unchanged.
for (const role of ROLES) {
  for (const method of ['PATCH', 'DELETE']) {
    for (const p of PATIENTS) {
      const may = WRITERS.includes(role) && SEES[role].includes(p);
      test(`matrix: ${role} ${method} an Observation of ${p} -> ${may ? 'allow' : 'deny'}`, async () => {
        await fixtures();
        const id = `m-${role}-${p}`;
        const send = (target) => as(role, method, `/fhir/Observation/${target}`, method === 'PATCH'
          ? { body: JSON.stringify([{ op: 'replace', path: '/valueQuantity/value', value: 99 }]), headers: JSON_PATCH } : {});
        const before = await state(`Observation/${id}`);
        const n = await mark();
        const r = await send(id);
        if (may) {
          assert.strictEqual(r.status, method === 'PATCH' ? 200 : 204, r.text);
          const after = await as('admin', 'GET', `/fhir/Observation/${id}`);
          if (method === 'PATCH') assert.strictEqual(after.json.valueQuantity.value, 99);
          else assert.strictEqual(after.status, 410);
          return;
        }
        assert.ok(r.status === 403 || r.status === 404, `${r.status} ${r.text}`);
        noLeak(r, `${method} ${id}`);
        sameAsMissing(r, await send('m-none'), [id], ['m-none'], `${role} ${method} ${id}`);
        assert.strictEqual(await state(`Observation/${id}`), before, 'the Observation is unchanged');
        assert.deepStrictEqual(await changes(n), [], 'nothing stored');
      });
    }
  }
}

// Conditional writes keyed on a resident's identity number (chained for Observations): for
// a caller who may not see the resident they match nothing, so they answer exactly as for a
// number nobody holds, and the resident's record is not changed. A conditional update that
// matches nothing creates: for the resident's own Patient the number is held, 409 without
// naming the holder; for an Observation, a record of a resident outside the caller's care,
// 403 (both whichever number the condition names).
const COND = [
  { name: 'PATCH Patient?identifier', method: 'PATCH', url: (v) => `/fhir/Patient?identifier=${v}`,
    body: () => JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }]), target: (role, p) => `Patient/${p}`, ok: 200 },
  { name: 'PATCH Observation?subject:Patient.identifier', method: 'PATCH', url: (v, role) => `/fhir/Observation?subject:Patient.identifier=${v}&code=${TEST_CS}|c-${role}`,
    body: () => JSON.stringify([{ op: 'replace', path: '/valueQuantity/value', value: 98 }]), target: (role, p) => `Observation/c-${role}-${p}`, ok: 200 },
  { name: 'PUT Observation?subject:Patient.identifier', method: 'PUT', url: (v, role) => `/fhir/Observation?subject:Patient.identifier=${v}&code=${TEST_CS}|c-${role}`,
    body: (role, p) => noId(reading('x', p, `c-${role}`, 97)), target: (role, p) => `Observation/c-${role}-${p}`, ok: 200 },
  { name: 'PUT Patient?identifier', method: 'PUT', url: (v) => `/fhir/Patient?identifier=${v}`,
    body: (role, p) => noId(resident(p, SEQ[p], FAMILY[p])), target: (role, p) => `Patient/${p}`, ok: 200 },
  { name: 'DELETE Observation?subject:Patient.identifier', method: 'DELETE', url: (v, role) => `/fhir/Observation?subject:Patient.identifier=${v}&code=${TEST_CS}|c-${role}`,
    body: () => undefined, target: (role, p) => `Observation/c-${role}-${p}`, ok: 204 },
];
for (const role of ROLES) {
  for (const kind of COND) {
    test(`matrix: ${role} conditional ${kind.name} keyed on each resident's identity number`, async () => {
      await fixtures();
      for (const p of PATIENTS) {
        const send = (who) => as(role, kind.method, kind.url(idq(who), role), {
          body: kind.body(role, p), headers: kind.method === 'PATCH' ? JSON_PATCH : {} });
        const target = kind.target(role, p);
        const before = await state(target);
        const n = await mark();
        const r = await send(p);
        if (WRITERS.includes(role) && SEES[role].includes(p)) {
          assert.strictEqual(r.status, kind.ok, `${p}: ${r.text}`);
          assert.notStrictEqual(await state(target), before, `${target} is written`);
          continue;
        }
        assert.ok([403, 404, 409, 200].includes(r.status) && !(r.status === 200 && r.json?.resourceType !== 'OperationOutcome'),
          `${p}: ${r.status} ${r.text}`);
        noLeak(r, `${kind.name} for ${p}`);
        assert.ok(!r.text.includes(`Patient/${p}`) || kind.name === 'PUT Observation?subject:Patient.identifier', `${p} named: ${r.text}`);
        sameAsMissing(r, await send('p-none'), [ident(p)], [ident('p-none')], `${role} ${kind.name} for ${p}`);
        assert.strictEqual(await state(target), before, `${target} is unchanged`);
        assert.deepStrictEqual(await changes(n), [], 'nothing stored');
      }
    });
  }
  test(`matrix: ${role} registering a held identity number: 409, naming the holder only to one who may see it`, async () => {
    for (const p of PATIENTS) {
      const n = await mark();
      const r = await as(role, 'POST', '/fhir/Patient', { body: noId(resident(p, SEQ[p], FAMILY[p])) });
      assert.deepStrictEqual(await changes(n), [], 'nothing stored');
      if (!WRITERS.includes(role)) {
        assert.strictEqual(r.status, 403, r.text);
        continue;
      }
      assert.strictEqual(r.status, 409, r.text);
      noLeak(r, `registering ${p} again`);
      assert.strictEqual(r.text.includes(`Patient/${p}`), SEES[role].includes(p), `${p}: ${r.text}`);
    }
  });
}

// Searches by a resident's identity number, through chains, _has and includes: for a
// caller who may see the resident they find the resident's records; for anyone else the
// answer is the one for a number nobody holds. A pharmacist may not reach the types outside
// dispensing through a chain or _has either (403). [name, url or form body, the types read,
// what a caller who may see p finds]
const PROBES = [
  ['Patient?identifier', (v) => `/fhir/Patient?identifier=${v}&_total=accurate`, ['Patient'], (p) => [p]],
  ['POST Patient/_search identifier', { form: (v) => `identifier=${v}&_total=accurate`, url: '/fhir/Patient/_search' }, ['Patient'], (p) => [p]],
  ['system search identifier', (v) => `/fhir?_type=Patient&identifier=${v}&_total=accurate`, ['Patient'], (p) => [p]],
  ['Patient?identifier&_revinclude', (v) => `/fhir/Patient?identifier=${v}&_revinclude=Observation:subject&_revinclude=Encounter:subject`, ['Patient'], (p) => [p]],
  ['Observation?subject:Patient.identifier', (v) => `/fhir/Observation?subject:Patient.identifier=${v}&_total=accurate`, ['Observation', 'Patient'], (p) => [`bp-${p}`]],
  ['Observation?subject.identifier&_summary=count', (v) => `/fhir/Observation?subject.identifier=${v}&_summary=count`, ['Observation', 'Patient'], () => []],
  ['Encounter?subject:Patient.identifier&_include', (v) => `/fhir/Encounter?subject:Patient.identifier=${v}&_include=Encounter:subject`, ['Encounter', 'Patient'], (p) => [`enc-${p}`, p]],
  ['Patient?_has:Observation&identifier', (v) => `/fhir/Patient?_has:Observation:subject:code=8480-6&identifier=${v}`, ['Patient', 'Observation'], (p) => [p]],
  ['Patient?_has:Encounter&identifier', (v) => `/fhir/Patient?_has:Encounter:subject:status=finished&identifier=${v}`, ['Patient', 'Encounter'], (p) => [p]],
  ['Patient?_has:Observation chained to the identifier', (v) => `/fhir/Patient?_has:Observation:subject:subject:Patient.identifier=${v}`, ['Patient', 'Observation'], (p) => [p]],
  ['MedicationRequest?subject:Patient.identifier&_include', (v) => `/fhir/MedicationRequest?subject:Patient.identifier=${v}&_include=MedicationRequest:subject`,
    ['MedicationRequest', 'Patient'], (p) => (p === 'p-ref' ? ['mr1', p] : [])],
  ['ServiceRequest?subject:Patient.identifier', (v) => `/fhir/ServiceRequest?subject:Patient.identifier=${v}&_total=accurate`, ['ServiceRequest', 'Patient'], (p) => (p === 'p-ref' ? ['sr1'] : [])],
];
for (const role of ROLES) {
  for (const [name, url, reads, finds] of PROBES) {
    test(`matrix: ${role} probing by identity number: ${name}`, async () => {
      const send = (p) => (typeof url === 'function' ? as(role, 'GET', url(idq(p)))
        : as(role, 'POST', url.url, { body: url.form(idq(p)), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
      const typesOk = role !== 'pharmacist' || reads.every((t) => dispensing.has(t));
      const none = await send('p-none');
      for (const p of PATIENTS) {
        const r = await send(p);
        if (!typesOk) {
          assert.strictEqual(r.status, 403, `${p}: ${r.text}`);
          continue;
        }
        assert.strictEqual(r.status, 200, r.text);
        const got = r.json.entry || [];
        for (const e of got) assert.ok(visibleTo(role, e.resource), `${role} is shown ${e.fullUrl}`);
        if (SEES[role].includes(p)) {
          const ids = got.map((e) => e.resource.id);
          for (const id of finds(p)) assert.ok(ids.includes(id), `${p}: finds ${id}: ${ids}`);
          if (name.includes('_summary=count')) assert.ok(r.json.total > 0, r.text);
          continue;
        }
        noLeak(r, `${name} for ${p}`);
        assert.strictEqual(norm(r.text, [ident(p)]), norm(none.text, [ident('p-none')]), `${p}: as for a number nobody holds`);
      }
    });
  }
}

// The care operations on one resident, per role and resident: [name, the request path for
// a target ({ p, contract }), the body that would be stored, a body that an allowed caller
// gets past the access checks with and is refused for (its status), the target that does
// not exist]. They need the CLINICAL route class and the resident in the caller's care:
// the instance operations answer 404 as for a contract or resident that does not exist,
// $sign (a type operation) 403 as for a resident who does not exist.
const CARE_OPS = [
  ['$sign', () => '/fhir/EpisodeOfCare/$sign',
    (t) => parameters({ patient: `Patient/${t.p}`, team: 'CareTeam/t3', start: day(3 * 366) }),
    (t) => parameters({ patient: `Patient/${t.p}`, team: 'CareTeam/t-closed', start: day(3 * 366) }), 422, { p: 'p-none' }],
  ['$renew', (t) => `/fhir/EpisodeOfCare/${t.contract}/$renew`,
    () => parameters({}), () => parameters({ end: '2000-01-01' }), 400, { contract: 'eoc-none' }],
  ['$transfer', (t) => `/fhir/EpisodeOfCare/${t.contract}/$transfer`,
    () => parameters({ team: 'CareTeam/t3' }), () => parameters({ team: 'CareTeam/t3', date: '2000-01-01' }), 422, { contract: 'eoc-none' }],
  ['$terminate', (t) => `/fhir/EpisodeOfCare/${t.contract}/$terminate`,
    () => parameters({ reason: 'moved' }), () => parameters({ reason: 'moved', date: '2000-01-01' }), 422, { contract: 'eoc-none' }],
  ['$record-followup', (t) => `/fhir/Patient/${t.p}/$record-followup`,
    () => parameters({ programme: 'hypertension', date: day(-7), sbp: 132, dbp: 84 }),
    () => parameters({ programme: 'hypertension', date: day(2), sbp: 132, dbp: 84 }), 422, { p: 'p-none' }],
  ['$enrol', (t) => `/fhir/Patient/${t.p}/$enrol`,
    () => parameters({ programme: 'hypertension' }), () => parameters({ programme: 'hypertension', date: '1960-01-01' }), 422, { p: 'p-none' }],
  ['$end-management', (t) => `/fhir/EpisodeOfCare/enr-${t.p}/$end-management`,
    () => parameters({ reason: 'moved' }), () => parameters({ reason: 'moved', date: '2000-01-01' }), 422, { p: 'none' }],
];
for (const role of ROLES) {
  for (const [name, url, body, dry, dryStatus, missing] of CARE_OPS) {
    for (const p of PATIENTS) {
      const may = WRITERS.includes(role) && SEES[role].includes(p);
      test(`matrix: ${role} ${name} for ${p} -> ${may ? 'allow' : 'deny'}`, async () => {
        const { contract } = await fixtures();
        const t = { p, contract: contract[p] };
        const n = await mark();
        if (may) {
          const r = await as(role, 'POST', url(t), { body: dry(t) });
          assert.strictEqual(r.status, dryStatus, `past the access checks, refused for its body: ${r.text}`);
          assert.deepStrictEqual(await changes(n), [], 'nothing stored');
          return;
        }
        const r = await as(role, 'POST', url(t), { body: body(t) });
        assert.ok(r.status === 403 || r.status === 404, `${r.status} ${r.text}`);
        noLeak(r, `${name} for ${p}`);
        const m = { ...t, ...missing };
        const none = await as(role, 'POST', url(m), { body: body(m) });
        sameAsMissing(r, none, [t.contract, `enr-${p}`, p], [m.contract, `enr-${m.p}`, m.p], `${role} ${name} for ${p}`);
        assert.deepStrictEqual(await changes(n), [], 'nothing stored');
      });
    }
  }
}
test('matrix: the care operations\' bodies above are stored for one who may (an administrator, p-other)', async () => {
  const { contract } = await fixtures();
  const t = { p: 'p-other', contract: contract['p-other'] };
  const expect = { $sign: 201, $renew: 201, '$record-followup': 200, $enrol: 201, '$end-management': 200, $transfer: 201, $terminate: 200 };
  // the contract is renewed, then transferred; the contract the transfer made is terminated
  const order = ['$sign', '$renew', '$enrol', '$record-followup', '$end-management', '$transfer', '$terminate'];
  for (const name of order) {
    const [, url, body] = CARE_OPS.find((op) => op[0] === name);
    const n = await mark();
    const r = await as('admin', 'POST', url(t), { body: body(t) });
    assert.strictEqual(r.status, expect[name], `${name}: ${r.text}`);
    assert.ok((await changes(n)).length > 0, `${name} stored its result`);
    if (name === '$transfer') t.contract = r.json.id;
  }
});

// Bundles: the entries run through the same checks as single requests. A batch answers
// each entry on its own: those reaching p-other's record are refused with an outcome and no
// resource (a search finds nothing); a transaction with one such entry is refused as a
// whole and stores nothing, although its other entry alone is stored.
const batchEntries = (role) => [
  ['GET Patient', { request: { method: 'GET', url: 'Patient/p-other' } }, 200],
  ['GET Observation', { request: { method: 'GET', url: `Observation/bx-${role}` } }, 200],
  ['vread', { request: { method: 'GET', url: `Observation/bx-${role}/_history/1` } }, 200],
  ['$everything', { request: { method: 'GET', url: 'Patient/p-other/$everything' } }, 200],
  ['search', { request: { method: 'GET', url: `Observation?subject:Patient.identifier=${idq('p-other')}&_total=accurate` } }, 200],
  ['PUT', { request: { method: 'PUT', url: `Observation/bx-${role}` }, resource: reading(`bx-${role}`, 'p-other', `bx-${role}`, 91) }, 200],
  ['PATCH', { request: { method: 'PATCH', url: `Observation/bx-${role}` }, resource: binaryPatch([{ op: 'replace', path: '/valueQuantity/value', value: 92 }]) }, 200],
  ['POST', { request: { method: 'POST', url: 'Observation' }, resource: noId(reading('x', 'p-other', `bx-${role}-new`)) }, 201],
  ['POST with a conditional reference', { request: { method: 'POST', url: 'Observation' },
    resource: { ...noId(reading('x', 'p-other', `bx-${role}-ref`)), subject: ref(`Patient?identifier=${idq('p-other')}`) } }, 201],
  ['conditional create', { request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${idq('p-other')}` },
    resource: noId(resident('p-other', 3, '赵')) }, 200],
  ['DELETE', { request: { method: 'DELETE', url: `Observation/bx-${role}` } }, 204],
];
for (const role of ROLES) {
  test(`matrix: ${role} batch reaching p-other's record: each entry ${SEES[role].includes('p-other') ? 'answered' : 'refused, nothing stored'}`, async () => {
    await fixtures();
    const entries = batchEntries(role);
    const before = await state(`Observation/bx-${role}`);
    const n = await mark();
    const r = await as(role, 'POST', '/fhir', { body: { resourceType: 'Bundle', type: 'batch', entry: entries.map((e) => e[1]) } });
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.json.entry.length, entries.length);
    entries.forEach(([name, , ok], i) => {
      const e = r.json.entry[i];
      const status = Number(e.response.status.split(' ')[0]);
      assert.match(e.response.status, /^\d{3} \S/, `${name}: a status and its reason phrase`);
      if (SEES[role].includes('p-other')) {
        assert.strictEqual(status, ok, `${name}: ${JSON.stringify(e)}`);
        return;
      }
      const text = JSON.stringify(e);
      assert.ok(!text.includes('秀英') && !/"total":[1-9]/.test(text), `${name} leaks: ${text}`);
      if (name === 'search' && status === 200) {
        assert.deepStrictEqual(e.resource.entry, [], `${name}: ${text}`);
        return;
      }
      assert.ok([403, 404, 409, 412].includes(status), `${name}: ${text}`);
      assert.ok(!e.resource && e.response.outcome?.resourceType === 'OperationOutcome', `${name}: ${text}`);
      if (!JSON.stringify(entries[i][1]).includes('p-other')) assert.ok(!text.includes('p-other'), `${name} names p-other: ${text}`);
    });
    if (!SEES[role].includes('p-other')) {
      assert.strictEqual(await state(`Observation/bx-${role}`), before, 'the Observation is unchanged');
      assert.deepStrictEqual(await changes(n), [], 'nothing stored');
    }
  });
}
const txEntries = (role) => [
  ['GET', { request: { method: 'GET', url: `Observation/tx-${role}` } }],
  ['PUT', { request: { method: 'PUT', url: `Observation/tx-${role}` }, resource: reading(`tx-${role}`, 'p-other', `tx-${role}`, 93) }],
  ['PATCH', { request: { method: 'PATCH', url: `Observation/tx-${role}` }, resource: binaryPatch([{ op: 'replace', path: '/valueQuantity/value', value: 94 }]) }],
  ['POST', { request: { method: 'POST', url: 'Observation' }, resource: noId(reading('x', 'p-other', `tx-${role}-new`)) }],
  ['POST with a conditional reference', { request: { method: 'POST', url: 'Observation' },
    resource: { ...noId(reading('x', 'p-other', `tx-${role}-ref`)), subject: ref(`Patient?identifier=${idq('p-other')}`) } }],
  ['conditional update', { request: { method: 'PUT', url: `Patient?identifier=${idq('p-other')}` }, resource: noId(resident('p-other', 3, '赵')) }],
  ['conditional create', { request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${idq('p-other')}` }, resource: noId(resident('p-other', 3, '赵')) }],
  ['DELETE', { request: { method: 'DELETE', url: `Observation/tx-${role}` } }],
];
for (const role of ROLES) {
  test(`matrix: ${role} transaction with an entry reaching p-other's record -> ${SEES[role].includes('p-other') ? 'allow' : 'refused whole'}`, async () => {
    await fixtures();
    // the other entry: a reading of p-own, which a writer caring for p-own may store
    const mine = (marker) => ({ fullUrl: `urn:uuid:${marker}`, request: { method: 'POST', url: 'Observation' }, resource: noId(reading('x', 'p-own', marker)) });
    const found = async (marker) => (await as('admin', 'GET', `/fhir/Observation?code=${TEST_CS}|${marker}&_summary=count`)).json.total;
    for (const [i, [name, entry]] of txEntries(role).entries()) {
      const marker = `txm-${role}-${i}`;
      const before = await state(`Observation/tx-${role}`);
      const n = await mark();
      const r = await as(role, 'POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry: [mine(marker), entry] } });
      if (SEES[role].includes('p-other')) {
        // a transaction's conditional update whose resource has no id is refused (400)
        // whoever sends it: not an access question, left out here
        if (name === 'conditional update') continue;
        assert.strictEqual(r.status, 200, `${name}: ${r.text}`);
        assert.strictEqual(await found(marker), 1, name);
        continue;
      }
      assert.ok([403, 404, 409, 412].includes(r.status), `${name}: ${r.status} ${r.text}`);
      noLeak(r, name);
      if (!JSON.stringify(entry).includes('p-other')) assert.ok(!r.text.includes('p-other'), `${name} names p-other: ${r.text}`);
      assert.strictEqual(await found(marker), 0, `${name}: the other entry was rolled back`);
      assert.strictEqual(await state(`Observation/tx-${role}`), before, `${name}: the Observation is unchanged`);
      assert.deepStrictEqual(await changes(n), [], `${name}: nothing stored`);
    }
    // without the entry reaching p-other the same transaction is stored (for a writer caring for p-own)
    const r = await as(role, 'POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry: [mine(`txm-${role}-alone`)] } });
    const may = WRITERS.includes(role) && SEES[role].includes('p-own');
    assert.strictEqual(r.status, may ? 200 : 403, r.text);
    assert.strictEqual(await found(`txm-${role}-alone`), may ? 1 : 0);
  });
}

// The directory (organisations, teams, practitioners and their roles) is shared knowledge
// every user reads; a clinician or a pharmacist may not change it (adding oneself to a team
// would bring its residents into one's care).
for (const role of ['family-doctor', 'nurse', 'pharmacist']) {
  test(`matrix: ${role} may not create, update or delete directory records`, async () => {
    await fixtures();
    for (const [type, make] of Object.entries(DIRECTORY)) {
      const doc = make();
      const n = await mark();
      const before = await state(`${type}/${doc.id}`);
      const changed = type === 'CareTeam'
        ? { ...doc, participant: [...doc.participant, { member: ref(`Practitioner/${USERS[role].practitioner}`) }] }
        : { ...doc, extension: [{ url: `${TEST_CS}:changed-by`, valueString: role }] };
      const create = await as(role, 'POST', `/fhir/${type}`, { body: noId(doc) });
      const update = await as(role, 'PUT', `/fhir/${type}/${doc.id}`, { body: changed });
      const remove = await as(role, 'DELETE', `/fhir/${type}/${doc.id}`);
      for (const [what, r] of [['create', create], ['update', update], ['delete', remove]]) {
        assert.strictEqual(r.status, 403, `${role} ${what} ${type}: ${r.status} ${r.text}`);
      }
      assert.strictEqual(await state(`${type}/${doc.id}`), before, `${type}/${doc.id} is unchanged`);
      assert.deepStrictEqual(await changes(n), [], 'nothing stored');
    }
  });
}

// ---- break-the-glass and the audit trail ---------------------------------------------

test('break-the-glass: a reason opens one record for a while, and each use is flagged', async () => {
  assert.strictEqual((await as('nurse', 'GET', '/fhir/Patient/p-other')).status, 404);
  const bad = await as('nurse', 'POST', '/auth/break-the-glass', { body: { patient: 'p-other' }, headers: { 'Content-Type': 'application/json' } });
  assert.strictEqual(bad.status, 400, 'a reason is required');
  assert.strictEqual((await as('resident', 'POST', '/auth/break-the-glass', {
    body: { patient: 'p-other', reason: 'curious about my neighbour' }, headers: { 'Content-Type': 'application/json' } })).status, 403);
  const g = await as('nurse', 'POST', '/auth/break-the-glass', {
    body: { patient: 'p-other', reason: 'unconscious at the clinic door', minutes: 30 }, headers: { 'Content-Type': 'application/json' } });
  assert.strictEqual(g.status, 201, g.text);
  assert.ok(Date.parse(g.json.expires) <= Date.now() + 31 * 60e3);
  assert.strictEqual((await as('nurse', 'GET', '/fhir/Patient/p-other')).status, 200);
  const trail = await as('admin', 'GET', '/fhir/AuditEvent?patient=p-other&_count=20');
  const flagged = trail.json.entry.map((e) => e.resource).filter((e) => e.agent[0].altId === 'nurse' &&
    e.purposeOfEvent?.[0]?.coding?.[0]?.code === 'ETREAT');
  assert.ok(flagged.length >= 2, 'the grant and the read under it are flagged');
  assert.ok(flagged.some((e) => e.purposeOfEvent[0].text === 'unconscious at the clinic door'));
  const review = await as('admin', 'GET', '/auth/break-the-glass');
  assert.ok(review.json.grants.some((x) => x.user === 'nurse' && x.patient === 'p-other'));
});

test('household: a resident sees a household member\'s record only while that member authorises it', async () => {
  const put = (r) => req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
  // p-own and p-ref live together; p-ref consents to p-own seeing her record
  assert.strictEqual((await put({ resourceType: 'Group', id: 'hh1', type: 'person', actual: true,
    code: { coding: [{ system: CS + 'group-type', code: 'household' }] },
    member: [{ entity: ref('Patient/p-own') }, { entity: ref('Patient/p-ref') }] })).status, 201);
  assert.strictEqual((await as('resident', 'GET', '/fhir/Patient/p-ref')).status, 404, 'not without consent');
  const consent = { resourceType: 'Consent', id: 'c1', status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: ref('Patient/p-ref'), policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: { type: 'permit', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: ref('Patient/p-own') }] } };
  assert.ok((await put(consent)).status < 300);
  assert.strictEqual((await as('resident', 'GET', '/fhir/Patient/p-ref')).status, 200, 'with consent');
  assert.strictEqual((await as('resident', 'GET', '/fhir/Observation/bp-p-ref')).status, 200);
  // a consent from someone outside the household opens nothing
  assert.ok((await put({ ...consent, id: 'c2', patient: ref('Patient/p-other') })).status < 300);
  assert.strictEqual((await as('resident', 'GET', '/fhir/Patient/p-other')).status, 404);
  // withdrawn: closed again
  assert.ok((await put({ ...consent, status: 'inactive' })).status < 300);
  assert.strictEqual((await as('resident', 'GET', '/fhir/Patient/p-ref')).status, 404, 'consent withdrawn');
});

test('supervisor: a stated purpose opens a resident of their region, never one outside it', async () => {
  const h = { 'Content-Type': 'application/json' };
  const outside = await as('supervisor', 'POST', '/auth/break-the-glass', { headers: h,
    body: { patient: 'p-none', reason: 'quality review of follow-up records', minutes: 10 } });
  assert.strictEqual(outside.status, 404);
  await req(srv, 'PUT', '/fhir/Patient/p-far', { body: { ...resident('p-far', 9, '孙'), managingOrganization: ref('Organization/cardio') } });
  const far = await as('supervisor', 'POST', '/auth/break-the-glass', { headers: h,
    body: { patient: 'p-far', reason: 'quality review of follow-up records', minutes: 10 } });
  assert.strictEqual(far.status, 404, 'outside the region');
  const g = await as('supervisor', 'POST', '/auth/break-the-glass', { headers: h,
    body: { patient: 'p-other', reason: 'quality review of follow-up records', minutes: 10 } });
  assert.strictEqual(g.status, 201, g.text);
  assert.strictEqual(g.json.kind, 'purpose');
  assert.strictEqual((await as('supervisor', 'GET', '/fhir/Patient/p-other')).status, 200);
  assert.strictEqual((await as('supervisor', 'GET', '/fhir/Patient/p-own')).status, 404, 'only that one');
});

test('audit: a resident sees who opened their record, and only theirs', async () => {
  await as('family-doctor', 'GET', '/fhir/Patient/p-own');
  const mine = await as('resident', 'GET', '/fhir/AuditEvent');
  assert.strictEqual(mine.status, 200, mine.text);
  const events = mine.json.entry.map((e) => e.resource);
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => (e.entity || []).some((x) => x.what?.reference === 'Patient/p-own')), 'only their own record');
  const read = events.find((e) => e.agent[0].altId === 'family-doctor' && e.subtype[0].code === 'read');
  assert.ok(read, 'the doctor\'s read is listed');
  assert.ok(read.agent[0].role.some((r) => r.coding[0].code === 'family-doctor'));
  assert.strictEqual(read.agent[0].network.address, '127.0.0.1');
  assert.strictEqual(read.outcome, '0');
  // another resident's trail is not there for them
  const other = await as('resident', 'GET', '/fhir/AuditEvent?patient=p-other');
  assert.strictEqual(other.status, 404);
  // staff do not browse the trail
  assert.strictEqual((await as('family-doctor', 'GET', '/fhir/AuditEvent')).status, 403);
  // every kind of event: failed login, login, create, search, denial (newest first, page by page)
  const all = [];
  for (let url = '/fhir/AuditEvent?_count=500'; url && all.length < 100000;) {
    const page = await as('admin', 'GET', url);
    assert.strictEqual(page.status, 200, page.text);
    all.push(...page.json.entry.map((e) => e.resource));
    const next = (page.json.link || []).find((l) => l.relation === 'next')?.url;
    url = next && next.slice(next.indexOf('/fhir/'));
  }
  const kinds = new Set(all.map((e) => e.subtype[0].code));
  // DICOM 110122 is Login; the REST interactions by their codes
  for (const k of ['110122', 'read', 'vread', 'search-type', 'search-system', 'history-system', 'create', 'update', 'operation', 'break-the-glass']) {
    assert.ok(kinds.has(k), `an AuditEvent for ${k}: ${[...kinds]}`);
  }
  assert.ok(all.some((e) => e.outcome === '4' && e.agent[0].altId === 'ghost-user'), 'failed login of an unknown user');
  assert.ok(all.some((e) => e.outcome === '4' && e.agent[0].altId === 'nurse' && e.subtype[0].code === 'read'), 'a denied read');
});
