// conditional.test.js -- conditional create (If-None-Exist), conditional update and delete
// by search, and conditional reads (If-None-Match, If-Modified-Since), over HTTP.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

const patient = (system, value, extra = {}) => ({
  resourceType: 'Patient', identifier: [{ system, value }], ...extra,
});
const count = async (query) =>
  (await req(srv, 'GET', `/fhir/Patient?${query}&_summary=count`)).json.total;

test('If-None-Exist: none creates, one answers 200 with that resource, several is 412', async () => {
  const body = patient('urn:ine', 'a', { gender: 'female' });
  const h = { 'If-None-Exist': 'identifier=urn:ine|a' };
  const first = await req(srv, 'POST', '/fhir/Patient', { body, headers: h });
  assert.strictEqual(first.status, 201, first.text);
  const again = await req(srv, 'POST', '/fhir/Patient', { body: { ...body, gender: 'male' }, headers: h });
  assert.strictEqual(again.status, 200, again.text);
  assert.strictEqual(again.json.id, first.json.id);
  assert.strictEqual(again.json.gender, 'female', 'the stored resource, not the one sent');
  assert.strictEqual(again.headers.get('etag'), 'W/"1"', 'no new version');
  assert.strictEqual(await count('identifier=urn:ine|a'), 1);

  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:ine', 'b') });
  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:ine', 'b') });
  const many = await req(srv, 'POST', '/fhir/Patient', {
    body: patient('urn:ine', 'b'), headers: { 'If-None-Exist': 'identifier=urn:ine|b' },
  });
  const issues = outcomeIssues(assert, many, 412);
  assert.match(issues[0].diagnostics, /more than one Patient/);
  assert.strictEqual(await count('identifier=urn:ine|b'), 2, 'nothing created');
});

test('If-None-Exist with an unknown parameter or none at all is refused, not widened', async () => {
  const unknown = await req(srv, 'POST', '/fhir/Patient', {
    body: patient('urn:ine', 'c'), headers: { 'If-None-Exist': 'favourite-colour=blue' },
  });
  assert.match(outcomeIssues(assert, unknown, 400)[0].diagnostics, /favourite-colour/);
  const paging = await req(srv, 'POST', '/fhir/Patient', {
    body: patient('urn:ine', 'c'), headers: { 'If-None-Exist': '_count=1' },
  });
  outcomeIssues(assert, paging, 400);
  assert.strictEqual(await count('identifier=urn:ine|c'), 0);
});

test('conditional update: none creates, one updates that resource, several is 412', async () => {
  const url = '/fhir/Patient?identifier=urn:cu|1';
  const created = await req(srv, 'PUT', url, { body: patient('urn:cu', '1', { gender: 'male' }) });
  assert.strictEqual(created.status, 201, created.text);
  const updated = await req(srv, 'PUT', url, { body: patient('urn:cu', '1', { gender: 'female' }) });
  assert.strictEqual(updated.status, 200, updated.text);
  assert.strictEqual(updated.json.id, created.json.id);
  assert.strictEqual(updated.json.meta.versionId, '2');
  assert.strictEqual(updated.json.gender, 'female');

  const wrongId = await req(srv, 'PUT', url, { body: { ...patient('urn:cu', '1'), id: 'someone-else' } });
  assert.match(outcomeIssues(assert, wrongId, 400)[0].diagnostics, /not the id of the resource/);

  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:cu', '2') });
  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:cu', '2') });
  const many = await req(srv, 'PUT', '/fhir/Patient?identifier=urn:cu|2', { body: patient('urn:cu', '2') });
  outcomeIssues(assert, many, 412);

  const bare = await req(srv, 'PUT', '/fhir/Patient', { body: patient('urn:cu', '3') });
  assert.match(outcomeIssues(assert, bare, 400)[0].diagnostics, /no search criteria/);
});

test('conditional update with no match and an id in the body creates it with that id, unless taken', async () => {
  const r = await req(srv, 'PUT', '/fhir/Patient?identifier=urn:cu|4', {
    body: { ...patient('urn:cu', '4'), id: 'cu-four' },
  });
  assert.strictEqual(r.status, 201, r.text);
  assert.strictEqual(r.json.id, 'cu-four');
  await req(srv, 'PUT', '/fhir/Patient/cu-taken', { body: { ...patient('urn:cu', 'other'), id: 'cu-taken' } });
  const taken = await req(srv, 'PUT', '/fhir/Patient?identifier=urn:cu|5', {
    body: { ...patient('urn:cu', '5'), id: 'cu-taken' },
  });
  outcomeIssues(assert, taken, 409);
  const kept = await req(srv, 'GET', '/fhir/Patient/cu-taken');
  assert.strictEqual(kept.json.identifier[0].value, 'other', 'the other resource is untouched');
});

test('conditional delete: one match is deleted, none is a 200 outcome, several is 412', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:cd', '1') });
  const del = await req(srv, 'DELETE', '/fhir/Patient?identifier=urn:cd|1');
  assert.strictEqual(del.status, 204, del.text);
  assert.strictEqual((await req(srv, 'GET', `/fhir/Patient/${c.json.id}`)).status, 410);

  const none = await req(srv, 'DELETE', '/fhir/Patient?identifier=urn:cd|1');
  assert.strictEqual(none.status, 200);
  assert.strictEqual(none.json.resourceType, 'OperationOutcome');
  assert.match(none.json.issue[0].diagnostics, /nothing was deleted/);

  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:cd', '2') });
  await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:cd', '2') });
  outcomeIssues(assert, await req(srv, 'DELETE', '/fhir/Patient?identifier=urn:cd|2'), 412);
  assert.strictEqual(await count('identifier=urn:cd|2'), 2, 'neither deleted');
});

test('If-None-Match: 304 with the ETag when the version is current, else the resource', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:inm', '1') });
  const url = `/fhir/Patient/${c.json.id}`;
  const same = await req(srv, 'GET', url, { headers: { 'If-None-Match': 'W/"1"' } });
  assert.strictEqual(same.status, 304);
  assert.strictEqual(same.text, '');
  assert.strictEqual(same.headers.get('etag'), 'W/"1"');
  assert.strictEqual((await req(srv, 'GET', url, { headers: { 'If-None-Match': '*' } })).status, 304);
  assert.strictEqual((await req(srv, 'GET', url, { headers: { 'If-None-Match': 'W/"7", W/"1"' } })).status, 304);
  await req(srv, 'PUT', url, { body: { ...patient('urn:inm', '1'), id: c.json.id, gender: 'other' } });
  const changed = await req(srv, 'GET', url, { headers: { 'If-None-Match': 'W/"1"' } });
  assert.strictEqual(changed.status, 200);
  assert.strictEqual(changed.json.gender, 'other');
});

test('If-Modified-Since: 304 unless the resource changed after the date; a bad date is ignored', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient('urn:ims', '1') });
  const url = `/fhir/Patient/${c.json.id}`;
  const later = new Date(Date.now() + 60000).toUTCString();
  const earlier = new Date(Date.now() - 3600000).toUTCString();
  assert.strictEqual((await req(srv, 'GET', url, { headers: { 'If-Modified-Since': later } })).status, 304);
  const old = await req(srv, 'GET', url, { headers: { 'If-Modified-Since': earlier } });
  assert.strictEqual(old.status, 200);
  assert.strictEqual(old.json.id, c.json.id);
  const lastMod = old.headers.get('last-modified');
  assert.strictEqual((await req(srv, 'GET', url, { headers: { 'If-Modified-Since': lastMod } })).status, 304,
    'the Last-Modified the server gave counts as current');
  assert.strictEqual((await req(srv, 'GET', url, { headers: { 'If-Modified-Since': 'yesterday' } })).status, 200);
});

test('the CapabilityStatement declares conditional create, read, update, delete and transactions', async () => {
  const cs = (await req(srv, 'GET', '/fhir/metadata')).json;
  const pat = cs.rest[0].resource.find((r) => r.type === 'Patient');
  assert.strictEqual(pat.conditionalCreate, true);
  assert.strictEqual(pat.conditionalUpdate, true);
  assert.strictEqual(pat.conditionalDelete, 'single');
  assert.strictEqual(pat.conditionalRead, 'full-support');
  const sys = cs.rest[0].interaction.map((i) => i.code);
  assert.ok(sys.includes('transaction') && sys.includes('batch'), JSON.stringify(sys));
});
