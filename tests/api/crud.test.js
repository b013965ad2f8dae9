// crud.test.js -- create, read, vread, update, delete and their error paths, over HTTP
// against a real server.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.156.112604.1.1', value: '11010519491231002X' }],
  name: [{ family: '王', given: ['小明'] }],
  gender: 'male',
  birthDate: '1949-12-31',
  extension: [{ url: 'http://example.org/precision', valueDecimal: 1.50 }],
};

test('create assigns id and version, answers 201 with Location, ETag, Last-Modified', async () => {
  // sent as text: JSON.stringify would turn 1.50 into 1.5
  const text = JSON.stringify(patient).replace('"valueDecimal":1.5', '"valueDecimal":1.50');
  assert.match(text, /1\.50/);
  const r = await req(srv, 'POST', '/fhir/Patient', { body: text });
  assert.strictEqual(r.status, 201, r.text);
  assert.match(r.json.id, /^[0-9a-v]{20}$/);
  assert.strictEqual(r.json.meta.versionId, '1');
  assert.match(r.json.meta.lastUpdated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.strictEqual(r.headers.get('etag'), 'W/"1"');
  assert.ok(r.headers.get('last-modified'));
  assert.strictEqual(r.headers.get('location'),
    `${srv.base}/fhir/Patient/${r.json.id}/_history/1`);
  assert.deepStrictEqual(r.json.name, patient.name);
  // decimal precision is kept as sent
  assert.match(r.text, /"valueDecimal":1\.50/);
});

test('create ignores a client id and ids sort by creation time', async () => {
  const a = await req(srv, 'POST', '/fhir/Patient', { body: { ...patient, id: 'mine' } });
  const b = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  assert.notStrictEqual(a.json.id, 'mine');
  assert.ok(a.json.id < b.json.id, 'later create sorts after');
});

test('read returns the stored text byte for byte; vread returns each version', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const r = await req(srv, 'GET', `/fhir/Patient/${c.json.id}`);
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.text, c.text);
  assert.strictEqual(r.headers.get('etag'), 'W/"1"');
  const u = await req(srv, 'PUT', `/fhir/Patient/${c.json.id}`, {
    body: { ...patient, id: c.json.id, gender: 'female' },
  });
  assert.strictEqual(u.status, 200);
  assert.strictEqual(u.json.meta.versionId, '2');
  const v1 = await req(srv, 'GET', `/fhir/Patient/${c.json.id}/_history/1`);
  const v2 = await req(srv, 'GET', `/fhir/Patient/${c.json.id}/_history/2`);
  assert.strictEqual(v1.json.gender, 'male');
  assert.strictEqual(v2.json.gender, 'female');
  assert.ok(v2.json.meta.lastUpdated > v1.json.meta.lastUpdated);
  const v3 = await req(srv, 'GET', `/fhir/Patient/${c.json.id}/_history/3`);
  outcomeIssues(assert, v3, 404);
  const vx = await req(srv, 'GET', `/fhir/Patient/${c.json.id}/_history/x`);
  outcomeIssues(assert, vx, 404);
});

test('HEAD read answers headers without a body', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const r = await fetch(`${srv.base}/fhir/Patient/${c.json.id}`, { method: 'HEAD', headers: srv.auth });
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.headers.get('etag'), 'W/"1"');
  assert.strictEqual(await r.text(), '');
});

test('update with a client id creates (201), then updates (200)', async () => {
  const body = { ...patient, id: 'client-id-1' };
  const a = await req(srv, 'PUT', '/fhir/Patient/client-id-1', { body });
  assert.strictEqual(a.status, 201, a.text);
  assert.strictEqual(a.json.id, 'client-id-1');
  const b = await req(srv, 'PUT', '/fhir/Patient/client-id-1', { body });
  assert.strictEqual(b.status, 200);
  assert.strictEqual(b.json.meta.versionId, '2');
});

test('update errors: missing id, mismatched id, bad id, type mismatch', async () => {
  let r = await req(srv, 'PUT', '/fhir/Patient/abc', { body: patient });
  let is = outcomeIssues(assert, r, 400);
  assert.match(is[0].diagnostics, /id/);
  r = await req(srv, 'PUT', '/fhir/Patient/abc', { body: { ...patient, id: 'xyz' } });
  is = outcomeIssues(assert, r, 400);
  assert.match(is[0].diagnostics, /differs/);
  r = await req(srv, 'PUT', '/fhir/Patient/bad_id!', { body: { ...patient, id: 'bad_id!' } });
  outcomeIssues(assert, r, 400);
  r = await req(srv, 'PUT', '/fhir/Patient/abc', { body: { resourceType: 'Observation', id: 'abc' } });
  is = outcomeIssues(assert, r, 400);
  assert.match(is[0].diagnostics, /Observation/);
});

test('If-Match: matching version updates, stale version answers 412, bad ETag 400', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const id = c.json.id;
  const ok = await req(srv, 'PUT', `/fhir/Patient/${id}`, {
    body: { ...patient, id }, headers: { 'If-Match': 'W/"1"' },
  });
  assert.strictEqual(ok.status, 200);
  const stale = await req(srv, 'PUT', `/fhir/Patient/${id}`, {
    body: { ...patient, id, gender: 'other' }, headers: { 'If-Match': 'W/"1"' },
  });
  const is = outcomeIssues(assert, stale, 412);
  assert.match(is[0].diagnostics, /current version .* is 2/);
  const now = await req(srv, 'GET', `/fhir/Patient/${id}`);
  assert.strictEqual(now.json.gender, 'male', 'the rejected update changed nothing');
  const bad = await req(srv, 'PUT', `/fhir/Patient/${id}`, {
    body: { ...patient, id }, headers: { 'If-Match': 'yesterday' },
  });
  outcomeIssues(assert, bad, 400);
  const del = await req(srv, 'DELETE', `/fhir/Patient/${id}`, { headers: { 'If-Match': 'W/"1"' } });
  outcomeIssues(assert, del, 412);
});

test('concurrent If-Match updates: exactly one wins', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const id = c.json.id;
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    req(srv, 'PUT', `/fhir/Patient/${id}`, {
      body: { ...patient, id, birthDate: `19${10 + i}-01-01` }, headers: { 'If-Match': 'W/"1"' },
    })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepStrictEqual(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
});

test('Prefer: return=minimal, representation, OperationOutcome', async () => {
  const min = await req(srv, 'POST', '/fhir/Patient', {
    body: patient, headers: { Prefer: 'return=minimal' },
  });
  assert.strictEqual(min.status, 201);
  assert.strictEqual(min.text, '');
  assert.ok(min.headers.get('location'));
  const oo = await req(srv, 'POST', '/fhir/Patient', {
    body: patient, headers: { Prefer: 'return=OperationOutcome' },
  });
  assert.strictEqual(oo.status, 201);
  assert.strictEqual(oo.json.resourceType, 'OperationOutcome');
  assert.strictEqual(oo.json.issue[0].severity, 'information');
  const rep = await req(srv, 'POST', '/fhir/Patient', {
    body: patient, headers: { Prefer: 'return=representation' },
  });
  assert.strictEqual(rep.json.resourceType, 'Patient');
});

test('delete leaves a versioned tombstone: read 410, vread of old version works, re-delete 204', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const id = c.json.id;
  const d = await req(srv, 'DELETE', `/fhir/Patient/${id}`);
  assert.strictEqual(d.status, 204);
  assert.strictEqual(d.headers.get('etag'), 'W/"2"');
  const r = await req(srv, 'GET', `/fhir/Patient/${id}`);
  const is = outcomeIssues(assert, r, 410);
  assert.strictEqual(is[0].code, 'deleted');
  const v1 = await req(srv, 'GET', `/fhir/Patient/${id}/_history/1`);
  assert.strictEqual(v1.status, 200);
  const v2 = await req(srv, 'GET', `/fhir/Patient/${id}/_history/2`);
  outcomeIssues(assert, v2, 410);
  const again = await req(srv, 'DELETE', `/fhir/Patient/${id}`);
  assert.strictEqual(again.status, 204);
  const revived = await req(srv, 'PUT', `/fhir/Patient/${id}`, { body: { ...patient, id } });
  assert.strictEqual(revived.status, 201);
  assert.strictEqual(revived.json.meta.versionId, '3');
});

test('not found: unknown id 404, unknown type 404, unknown route 404, wrong method 405', async () => {
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Patient/does-not-exist'), 404);
  outcomeIssues(assert, await req(srv, 'DELETE', '/fhir/Patient/does-not-exist'), 404);
  const t = outcomeIssues(assert, await req(srv, 'GET', '/fhir/Patients/1'), 404);
  assert.match(t[0].diagnostics, /not a FHIR R4 resource type/);
  outcomeIssues(assert, await req(srv, 'POST', '/fhir/NotAType', { body: { resourceType: 'NotAType' } }), 404);
  outcomeIssues(assert, await req(srv, 'GET', '/nothing/here'), 404);
  outcomeIssues(assert, await req(srv, 'PATCH', '/fhir/Patient/1', { body: '[]', headers: { 'Content-Type': 'application/json-patch+json' } }), 404);
  const m = await req(srv, 'OPTIONS', '/fhir/Patient/1');
  outcomeIssues(assert, m, 405);
  assert.match(m.headers.get('allow') || '', /PATCH/);
});

test('content negotiation: JSON accepted, XML refused with 406, bad Content-Type 415', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const id = c.json.id;
  let r = await req(srv, 'GET', `/fhir/Patient/${id}`, { headers: { Accept: 'application/json' } });
  assert.strictEqual(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  r = await req(srv, 'GET', `/fhir/Patient/${id}?_format=json`);
  assert.strictEqual(r.status, 200);
  r = await req(srv, 'GET', `/fhir/Patient/${id}`, { headers: { Accept: 'text/html,*/*;q=0.8' } });
  assert.strictEqual(r.status, 200);
  outcomeIssues(assert, await req(srv, 'GET', `/fhir/Patient/${id}`, { headers: { Accept: 'application/fhir+xml' } }), 406);
  outcomeIssues(assert, await req(srv, 'GET', `/fhir/Patient/${id}?_format=xml`), 406);
  const ct = await req(srv, 'POST', '/fhir/Patient', {
    body: '<Patient xmlns="http://hl7.org/fhir"/>', headers: { 'Content-Type': 'application/fhir+xml' },
  });
  outcomeIssues(assert, ct, 415);
  const ok = await req(srv, 'POST', '/fhir/Patient', {
    body: JSON.stringify(patient), headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
  assert.strictEqual(ok.status, 201);
});

test('_pretty=true indents the same resource', async () => {
  const c = await req(srv, 'POST', '/fhir/Patient', { body: patient });
  const r = await req(srv, 'GET', `/fhir/Patient/${c.json.id}?_pretty=true`);
  assert.strictEqual(r.status, 200);
  assert.match(r.text, /\n  "resourceType": "Patient"/);
  assert.deepStrictEqual(r.json, c.json);
  const e = await req(srv, 'GET', '/fhir/Patient/nope?_pretty=true');
  assert.match(e.text, /\n  "resourceType": "OperationOutcome"/);
});

test('malformed JSON is 400, invalid resources 422 listing every problem with expression', async () => {
  let r = await req(srv, 'POST', '/fhir/Patient', { body: '{"resourceType": "Patient",' });
  let is = outcomeIssues(assert, r, 400);
  assert.match(is[0].diagnostics, /not valid JSON/);
  r = await req(srv, 'POST', '/fhir/Patient', { body: '{"resourceType":"Patient","gender":"male","gender":"female"}' });
  outcomeIssues(assert, r, 400);
  r = await req(srv, 'POST', '/fhir/Patient', { body: '[1,2]' });
  outcomeIssues(assert, r, 400);
  r = await req(srv, 'POST', '/fhir/Patient', { body: '' });
  outcomeIssues(assert, r, 400);
  r = await req(srv, 'POST', '/fhir/Patient', {
    body: { resourceType: 'Patient', gender: 'man', birthDate: '1990-13-01', nickname: 'x', name: { family: 'Li' } },
  });
  is = outcomeIssues(assert, r, 422);
  const exprs = is.map((i) => (i.expression || [])[0]).sort();
  assert.deepStrictEqual(exprs, ['Patient.birthDate', 'Patient.gender', 'Patient.name', 'Patient.nickname']);
  for (const i of is) assert.doesNotMatch(i.diagnostics, /1990-13-01/, 'no patient data echoed');
  r = await req(srv, 'POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final' } });
  is = outcomeIssues(assert, r, 422);
  assert.ok(is.some((i) => (i.expression || [])[0] === 'Observation.code'));
  r = await req(srv, 'POST', '/fhir/Observation', {
    body: { resourceType: 'Observation', status: 'done', code: { text: 'x' }, subject: { reference: 'Patient/a b' } },
  });
  is = outcomeIssues(assert, r, 422);
  assert.deepStrictEqual(is.map((i) => i.expression[0]).sort(), ['Observation.status', 'Observation.subject.reference']);
});

test('rejected writes store nothing', async () => {
  const before = await req(srv, 'GET', '/fhir/_history?_summary=count');
  await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', gender: 'x' } });
  await req(srv, 'POST', '/fhir/Patient', { body: '{' });
  await req(srv, 'PUT', '/fhir/Patient/zz', { body: { resourceType: 'Patient', id: 'zz', birthDate: 'no' } });
  const after = await req(srv, 'GET', '/fhir/_history?_summary=count');
  assert.strictEqual(after.json.total, before.json.total);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Patient/zz'), 404);
});

test('healthz answers ok', async () => {
  const r = await req(srv, 'GET', '/healthz');
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(r.json, { status: 'ok', searchIndex: 'current' });
});

test('escaped member names cannot smuggle a second id or meta past the server', async () => {
  for (const body of [
    '{"resourceType":"Patient","\\u0069d":"evil"}',
    '{"resourceType":"Patient","m\\u0065ta":{"versionId":"77"}}',
    '{"resourceType":"Patient","meta":{"version\\u0049d":"77"}}',
  ]) {
    const r = await req(srv, 'POST', '/fhir/Patient', { body });
    const is = outcomeIssues(assert, r, 400);
    assert.match(is[0].diagnostics, /member name contains an escape/);
  }
  // escapes inside values stay allowed
  const ok = await req(srv, 'POST', '/fhir/Patient', { body: '{"resourceType":"Patient","name":[{"family":"\\u738b"}]}' });
  assert.strictEqual(ok.status, 201, ok.text);
  assert.strictEqual(ok.json.name[0].family, '王');
});

test('a malformed body is described without quoting it', async () => {
  const r = await req(srv, 'POST', '/fhir/Patient', { body: '{"resourceType":"Patient","name":[{"family":"Zhaoxiaolan"' });
  const is = outcomeIssues(assert, r, 400);
  assert.doesNotMatch(is[0].diagnostics, /Zhaoxiaolan/);
  const d = await req(srv, 'POST', '/fhir/Patient', { body: '{"resourceType":"Patient","gender":"male","gender":"female"}' });
  assert.match(outcomeIssues(assert, d, 400)[0].diagnostics, /appears twice/);
});

test('If-Match on a create is ignored (there is no version to match)', async () => {
  const r = await req(srv, 'POST', '/fhir/Patient', { body: patient, headers: { 'If-Match': 'W/"3"' } });
  assert.strictEqual(r.status, 201);
});

test('a NUL byte in the body is refused (it once led the rewrite past the end)', async () => {
  const body = Buffer.from('{"resourceType":"Patient","gender":"male"\u0000\t}', 'utf8');
  const r = await req(srv, 'POST', '/fhir/Patient', { body });
  const is = outcomeIssues(assert, r, 400);
  assert.match(is[0].diagnostics, /NUL byte/);
  assert.strictEqual((await req(srv, 'GET', '/healthz')).status, 200);
});
