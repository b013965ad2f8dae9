// users.test.js -- who keeps the directory and the accounts (issue 7, docs/security.md):
// clinicians cannot change shared records (a doctor who could edit a CareTeam could add
// themselves to it and open its residents' records); an institution's administrator keeps
// the teams, roles, locations and services of their institution and those below it, and
// their staff's accounts over /auth/users, and nothing outside.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, login, addUser, loginAll } = require('./lib');

const CS = 'https://yilian.health/fhir/CodeSystem/';
const ref = (r) => ({ reference: r });
const PW = 'correct-horse-battery';

const team = (id, org, members) => ({
  resourceType: 'CareTeam', id, status: 'active', name: id,
  category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
  participant: members.map((m) => ({ member: ref(`Practitioner/${m}`) })),
  managingOrganization: [ref(`Organization/${org}`)],
});
const role = (id, practitioner, org) => ({
  resourceType: 'PractitionerRole', id, active: true,
  practitioner: ref(`Practitioner/${practitioner}`), organization: ref(`Organization/${org}`),
});

// The township centre thc with a village clinic below it; a hospital department cardio
// elsewhere. d1 works at thc (team t1), d2 at cardio (team tc), d3 is new.
let srv;
let as; // loginAll: req() as one of the users
const USERS = {
  fd: { role: 'family-doctor', practitioner: 'd1', organization: 'thc' },
  nurse: { role: 'nurse', practitioner: 'd1', organization: 'village' },
  'thc-admin': { role: 'institution-admin', organization: 'thc' },
  'cardio-admin': { role: 'institution-admin', organization: 'cardio' },
  'cardio-doc': { role: 'specialist', practitioner: 'd2', organization: 'cardio' },
};

test.before(async () => {
  srv = await startServer();
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, `${r.resourceType}/${r.id}: ${res.text}`);
  };
  await put({ resourceType: 'Organization', id: 'region', name: '县卫健局' });
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院', partOf: ref('Organization/region') });
  await put({ resourceType: 'Organization', id: 'village', name: '东村卫生室', partOf: ref('Organization/thc') });
  await put({ resourceType: 'Organization', id: 'cardio', name: '心内科', partOf: ref('Organization/region') });
  for (const d of ['d1', 'd2', 'd3']) await put({ resourceType: 'Practitioner', id: d, name: [{ text: d }] });
  await put(role('r-d1', 'd1', 'thc'));
  await put(role('r-d2', 'd2', 'cardio'));
  await put(team('t1', 'thc', ['d1']));
  await put(team('tc', 'cardio', ['d2']));
  await put({ resourceType: 'Patient', id: 'p1', name: [{ family: '王' }], managingOrganization: ref('Organization/thc') });
  ({ as } = await loginAll(srv, USERS, PW));
});
test.after(() => srv?.stop());


// ---- the directory -------------------------------------------------------------------

test('a clinician cannot change the directory or the shared knowledge: a team, an organisation, a code system', async () => {
  const t1 = await as('fd', 'GET', '/fhir/CareTeam/t1');
  assert.strictEqual(t1.status, 200, 'shared records are readable');
  // a specialist adding themselves to a family-doctor team would see its residents
  const join = team('t1', 'thc', ['d1', 'd2']);
  for (const [who, method, url, body] of [
    ['cardio-doc', 'PUT', '/fhir/CareTeam/t1', join],
    ['fd', 'PUT', '/fhir/CareTeam/t1', join],
    ['fd', 'POST', '/fhir/CareTeam', team('t-mine', 'thc', ['d1'])],
    ['nurse', 'DELETE', '/fhir/Organization/village', null],
    ['fd', 'PUT', '/fhir/Organization/thc', { resourceType: 'Organization', id: 'thc', name: 'renamed' }],
    ['fd', 'PUT', '/fhir/CodeSystem/mine', { resourceType: 'CodeSystem', id: 'mine', status: 'draft', content: 'complete', url: 'urn:x' }],
    ['fd', 'PATCH', '/fhir/CareTeam/t1', [{ op: 'add', path: '/participant/-', value: { member: ref('Practitioner/d2') } }]],
  ]) {
    const r = await as(who, method, url, body ? {
      body, headers: method === 'PATCH' ? { 'Content-Type': 'application/json-patch+json' } : {} } : {});
    assert.strictEqual(r.status, 403, `${who} ${method} ${url}: ${r.status} ${r.text}`);
    assert.match(r.json.issue[0].diagnostics, /kept by administrators/);
  }
  const after = await as('admin', 'GET', '/fhir/CareTeam/t1');
  assert.strictEqual(after.json.meta.versionId, t1.json.meta.versionId, 'the team is unchanged');
  assert.strictEqual((await as('admin', 'GET', '/fhir/Organization/village')).status, 200, 'still there');
  // so the specialist still sees none of the team's residents
  const seen = await as('cardio-doc', 'GET', '/fhir/Patient/p1');
  assert.strictEqual(seen.status, 404);
});

test('an institution administrator keeps the teams and roles of their institution and those below it, nothing else', async () => {
  const ok = [
    ['PUT', '/fhir/CareTeam/t-new', team('t-new', 'village', ['d1'])],
    ['POST', '/fhir/CareTeam', team('ignored', 'thc', ['d1'])],
    ['PUT', '/fhir/CareTeam/t2', team('t2', 'thc', ['d1'])],
    ['PUT', '/fhir/PractitionerRole/r-d3', role('r-d3', 'd3', 'village')],
    ['PUT', '/fhir/Practitioner/d3', { resourceType: 'Practitioner', id: 'd3', name: [{ text: '张三' }] }],
    ['PUT', '/fhir/Organization/village2', { resourceType: 'Organization', id: 'village2', name: '西村', partOf: ref('Organization/thc') }],
    ['DELETE', '/fhir/CareTeam/t2', null],
  ];
  for (const [method, url, body] of ok) {
    const r = await as('thc-admin', method, url, body ? { body } : {});
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
  }
  const refused = [
    // another institution's team, as written or as stored
    ['PUT', '/fhir/CareTeam/t-out', team('t-out', 'cardio', ['d1'])],
    ['PUT', '/fhir/CareTeam/tc', team('tc', 'thc', ['d2'])],
    ['DELETE', '/fhir/CareTeam/tc', null],
    ['PUT', '/fhir/PractitionerRole/r-d2', role('r-d2', 'd2', 'thc')],
    // a practitioner who also works elsewhere
    ['PUT', '/fhir/Practitioner/d2', { resourceType: 'Practitioner', id: 'd2', name: [{ text: 'x' }] }],
    // their own institution's record and the region above it are the system's
    ['PUT', '/fhir/Organization/thc', { resourceType: 'Organization', id: 'thc', name: 'x', partOf: ref('Organization/region') }],
    ['PUT', '/fhir/Organization/region', { resourceType: 'Organization', id: 'region', name: 'x' }],
    // knowledge and residents' records are not theirs at all
    ['PUT', '/fhir/CodeSystem/mine', { resourceType: 'CodeSystem', id: 'mine', status: 'draft', content: 'complete', url: 'urn:x' }],
  ];
  for (const [method, url, body] of refused) {
    const r = await as('thc-admin', method, url, body ? { body } : {});
    assert.strictEqual(r.status, 403, `${method} ${url}: ${r.status} ${r.text}`);
  }
  assert.strictEqual((await as('admin', 'GET', '/fhir/CareTeam/tc')).json.managingOrganization[0].reference, 'Organization/cardio');
  // they read the directory; a resident's record is not theirs to read or write
  const teams = await as('thc-admin', 'GET', '/fhir/CareTeam?_count=50');
  assert.strictEqual(teams.status, 200, teams.text);
  assert.ok(teams.json.entry.some((e) => e.resource.id === 't-new'));
  assert.strictEqual((await as('thc-admin', 'GET', '/fhir/Patient/p1')).status, 404);
  const pts = await as('thc-admin', 'GET', '/fhir/Patient');
  assert.ok(pts.status === 403 || (pts.status === 200 && !(pts.json.entry || []).length), pts.text);
  const obs = await as('thc-admin', 'PUT', '/fhir/Observation/o1', { body: {
    resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: ref('Patient/p1') } });
  assert.ok(obs.status === 403 || obs.status === 404, obs.text);
  // the other institution's administrator keeps theirs
  const mine = await as('cardio-admin', 'PUT', '/fhir/CareTeam/tc', { body: { ...team('tc', 'cardio', ['d2']), name: '心内科团队' } });
  assert.strictEqual(mine.status, 200, mine.text);
});

// ---- accounts --------------------------------------------------------------------------

test('an institution administrator adds a staff account: a one-time password shown once, which must be changed', async () => {
  await as('thc-admin', 'PUT', '/fhir/PractitionerRole/r-d3', { body: role('r-d3', 'd3', 'village') });
  const r = await as('thc-admin', 'POST', '/auth/users', { body: { username: 'nurse.zhang', roles: ['nurse'], practitioner: 'd3' } });
  assert.strictEqual(r.status, 201, r.text);
  assert.deepStrictEqual(r.json.roles, ['nurse']);
  assert.strictEqual(r.json.organization, 'thc', 'their institution by default');
  assert.strictEqual(r.json.state, 'must-change-password');
  assert.ok(r.json.oneTimePassword?.length >= 40);
  const t = await login(srv, 'nurse.zhang', r.json.oneTimePassword);
  const me = await req(srv, 'GET', '/auth/me', { headers: { Authorization: `Bearer ${t}` } });
  assert.strictEqual(me.json.mustChangePassword, true);
  const again = await as('thc-admin', 'POST', '/auth/users', { body: { username: 'nurse.zhang', roles: ['nurse'], practitioner: 'd3' } });
  assert.strictEqual(again.status, 409, again.text);
  // the list never holds a password or its hash
  const list = await as('thc-admin', 'GET', '/auth/users');
  assert.ok(!/oneTimePassword|argon2|pw_hash/.test(list.text), list.text);
});

test('an institution administrator gives only staff roles, to staff who work there, in their institution', async () => {
  const cases = [
    [{ username: 'x1', roles: ['admin'] }, 403, /staff's roles/],
    [{ username: 'x2', roles: ['institution-admin'] }, 403, /staff's roles/],
    [{ username: 'x3', roles: ['supervisor'] }, 403, /staff's roles/],
    [{ username: 'x4', roles: ['resident'], patient: 'p1' }, 403, /belongs to your institution/],
    [{ username: 'x5', roles: ['family-doctor'], practitioner: 'd2' }, 403, /does not work only in your institution/],
    [{ username: 'x6', roles: ['family-doctor'], practitioner: 'd1', organization: 'cardio' }, 403, /belongs to your institution/],
    [{ username: 'x7', roles: ['family-doctor'] }, 400, /needs the Practitioner/],
    [{ username: 'x8', roles: ['doctor'] }, 400, /'doctor' is not a role/],
    [{ username: 'x9', roles: ['nurse'], practitioner: 'd1', password: 'short' }, 400, /password/],
    [{ username: 'X 10', roles: ['nurse'], practitioner: 'd1' }, 400, /username/],
    [{ username: 'x11', roles: ['nurse'], practitioner: 'd1', admin: true }, 400, /unknown member 'admin'/],
  ];
  for (const [body, status, msg] of cases) {
    const r = await as('thc-admin', 'POST', '/auth/users', { body });
    assert.strictEqual(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.issue[0].diagnostics, msg);
    assert.ok(!r.text.includes('short'), 'a password is never quoted');
  }
  const list = await as('admin', 'GET', '/auth/users');
  assert.ok(!list.json.users.some((u) => /^x/.test(u.username)), 'none was added');
  // with a password of their own choosing, in the village below thc
  const ok = await as('thc-admin', 'POST', '/auth/users', { body: {
    username: 'dr.li', roles: ['family-doctor', 'public-health-doctor'], practitioner: 'd1', organization: 'village', password: 'a-long-first-password' } });
  assert.strictEqual(ok.status, 201, ok.text);
  assert.strictEqual(ok.json.oneTimePassword, undefined);
  assert.strictEqual(ok.json.state, 'active');
  assert.ok(await login(srv, 'dr.li', 'a-long-first-password'));
});

test('accounts: each institution administrator sees and changes their staff only; others see no such account', async () => {
  const thc = (await as('thc-admin', 'GET', '/auth/users')).json.users.map((u) => u.username);
  assert.ok(thc.includes('fd') && thc.includes('nurse'), `${thc}`);
  for (const u of ['cardio-doc', 'cardio-admin', 'test-admin'])
    assert.ok(!thc.includes(u), `thc-admin sees ${u}`);
  const cardio = (await as('cardio-admin', 'GET', '/auth/users')).json.users.map((u) => u.username);
  assert.deepStrictEqual(cardio, ['cardio-admin', 'cardio-doc']);
  // a peer administrator of the same institution is listed, and not theirs to change
  const peer = await as('thc-admin', 'POST', '/auth/users/thc-admin/reset-password');
  assert.strictEqual(peer.status, 403, peer.text);
  const all = (await as('admin', 'GET', '/auth/users')).json.users.map((u) => u.username);
  assert.ok(all.includes('cardio-doc') && all.includes('fd') && all.includes('thc-admin'));
  // another institution's account, or a peer administrator: as if it did not exist
  for (const [who, target] of [['thc-admin', 'cardio-doc'], ['cardio-admin', 'fd'], ['thc-admin', 'test-admin']]) {
    const r = await as(who, 'POST', `/auth/users/${target}/disable`);
    assert.strictEqual(r.status, 404, r.text);
    assert.strictEqual(r.json.issue[0].diagnostics, `there is no user '${target}'`);
  }
  const none = await as('thc-admin', 'POST', '/auth/users/nobody-at-all/disable');
  assert.strictEqual(none.json.issue[0].diagnostics, "there is no user 'nobody-at-all'");
  // clinicians manage no accounts
  for (const [m, u] of [['GET', '/auth/users'], ['POST', '/auth/users'], ['POST', '/auth/users/nurse/disable']]) {
    const r = await as('fd', m, u, m === 'POST' ? { body: {} } : {});
    assert.strictEqual(r.status, 403, `${m} ${u}: ${r.text}`);
  }
});

test('accounts: disable ends every session at once, enable lets them back, a reset gives a new one-time password', async () => {
  const mine = await login(srv, 'nurse', PW);
  const h = { Authorization: `Bearer ${mine}` };
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: h })).status, 200);
  const off = await as('thc-admin', 'POST', '/auth/users/nurse/disable');
  assert.strictEqual(off.status, 200, off.text);
  assert.strictEqual(off.json.state, 'disabled');
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: h })).status, 401, 'the session ended');
  await assert.rejects(login(srv, 'nurse', PW));
  const on = await as('thc-admin', 'POST', '/auth/users/nurse/enable', { body: {} });
  assert.strictEqual(on.json.state, 'active');
  assert.ok(await login(srv, 'nurse', PW));
  const reset = await as('thc-admin', 'POST', '/auth/users/nurse/reset-password');
  assert.strictEqual(reset.status, 200, reset.text);
  assert.strictEqual(reset.json.state, 'must-change-password');
  await assert.rejects(login(srv, 'nurse', PW), 'the old password no longer works');
  assert.ok(await login(srv, 'nurse', reset.json.oneTimePassword));
  // a body where none belongs, an unknown action, one's own account
  assert.strictEqual((await as('thc-admin', 'POST', '/auth/users/nurse/disable', { body: { now: true } })).status, 400);
  const odd = await as('thc-admin', 'POST', '/auth/users/nurse/promote');
  assert.strictEqual(odd.status, 404);
  assert.match(odd.json.issue[0].diagnostics, /disable, enable, reset-password, grant or revoke/);
  const self = await as('admin', 'POST', '/auth/users/test-admin/disable');
  assert.strictEqual(self.status, 400, self.text);
});

test('accounts: roles granted and revoked within the staff roles; each change is on the audit trail as the caller\'s', async () => {
  const g = await as('thc-admin', 'POST', '/auth/users/fd/grant', { body: { roles: ['public-health-doctor'] } });
  assert.strictEqual(g.status, 200, g.text);
  assert.deepStrictEqual(g.json.roles.sort(), ['family-doctor', 'public-health-doctor']);
  const up = await as('thc-admin', 'POST', '/auth/users/fd/grant', { body: { roles: ['supervisor'] } });
  assert.strictEqual(up.status, 403, up.text);
  const away = await as('thc-admin', 'POST', '/auth/users/fd/grant', { body: { roles: ['nurse'], organization: 'cardio' } });
  assert.strictEqual(away.status, 403, away.text);
  const rv = await as('thc-admin', 'POST', '/auth/users/fd/revoke', { body: { roles: ['public-health-doctor'] } });
  assert.deepStrictEqual(rv.json.roles, ['family-doctor']);
  const me = await as('fd', 'GET', '/auth/me');
  assert.deepStrictEqual(me.json.roles, ['family-doctor']);
  const trail = await as('admin', 'GET', '/fhir/AuditEvent?_count=200');
  const changes = trail.json.entry.map((e) => e.resource)
    .filter((e) => e.agent[0].altId === 'thc-admin' && e.entity?.[0]?.what?.reference === 'user/fd');
  const said = changes.map((e) => e.outcomeDesc);
  assert.ok(said.some((d) => /granted public-health-doctor/.test(d)), JSON.stringify(said));
  assert.ok(said.some((d) => /revoked public-health-doctor/.test(d)), JSON.stringify(said));
  assert.ok(!said.some((d) => /supervisor/.test(d)), 'a refused change changed nothing');
});

test('password change: guessing the current password with a stolen session is throttled like a login', async () => {
  addUser(srv.db, { username: 'guessed', password: PW, role: 'nurse', practitioner: 'd1', organization: 'thc' });
  const t = await login(srv, 'guessed', PW);
  const h = { Authorization: `Bearer ${t}` };
  const guess = (pw) => req(srv, 'POST', '/auth/password', { headers: h, body: { password: pw, newPassword: 'my-new-password-1' } });
  for (let i = 0; i < 3; i++) assert.strictEqual((await guess(`guess-number-${i}`)).status, 401);
  const slow = await guess('guess-number-3');
  assert.strictEqual(slow.status, 429, slow.text);
  assert.ok(Number(slow.headers.get('retry-after')) >= 1);
  // the right one is refused too while the wait lasts, and works after it
  assert.strictEqual((await guess(PW)).status, 429);
  await new Promise((r) => setTimeout(r, 1100));
  assert.strictEqual((await guess(PW)).status, 204);
  const trail = await as('admin', 'GET', '/fhir/AuditEvent?_count=100');
  const failed = trail.json.entry.map((e) => e.resource)
    .filter((e) => e.agent[0].altId === 'guessed' && /wrong current password/.test(e.outcomeDesc || ''));
  assert.strictEqual(failed.length, 3, 'each wrong guess is on the trail');
});
