// access.test.js -- identity, access control and audit (issue 7, docs/security.md): logins
// and their throttle, sessions and API tokens, and the access matrix: every role x every
// route x (own, related, unrelated resident), generated from the tables below, asserting
// allow or deny and that a denial and a filtered search leak nothing (no counts, no ids, no
// probing through conditional operations, chained parameters, _has or _include).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, login, addUser, residentId, ADMIN } = require('./lib');

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
const tokens = {};
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
  for (const [name, u] of Object.entries(USERS)) {
    addUser(srv.db, { username: name, password: PW, ...u });
    tokens[name] = await login(srv, name, PW);
  }
  tokens.admin = srv.token;
});
test.after(() => srv?.stop());

const as = (who, method, url, opts = {}) =>
  req(srv, method, url, { ...opts, headers: { ...(opts.headers || {}), Authorization: `Bearer ${tokens[who]}` } });

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
  // every kind of event: failed login, login, create, search, denial
  const all = (await as('admin', 'GET', '/fhir/AuditEvent?_count=500')).json.entry.map((e) => e.resource);
  const kinds = new Set(all.map((e) => e.subtype[0].code));
  // DICOM 110122 is Login; the REST interactions by their codes
  for (const k of ['110122', 'read', 'vread', 'search-type', 'search-system', 'history-system', 'create', 'update', 'operation', 'break-the-glass']) {
    assert.ok(kinds.has(k), `an AuditEvent for ${k}: ${[...kinds]}`);
  }
  assert.ok(all.some((e) => e.outcome === '4' && e.agent[0].altId === 'ghost-user'), 'failed login of an unknown user');
  assert.ok(all.some((e) => e.outcome === '4' && e.agent[0].altId === 'nurse' && e.subtype[0].code === 'read'), 'a denied read');
});
