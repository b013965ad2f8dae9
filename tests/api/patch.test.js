// patch.test.js -- PATCH with JSON Patch (application/json-patch+json): on an id, on a
// conditional URL, inside a transaction (a Binary entry), with If-Match, and its refusals.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

const JP = { 'Content-Type': 'application/json-patch+json' };
const create = async (body) => (await req(srv, 'POST', '/fhir/Patient', { body })).json;

test('PATCH applies the operations in order and stores a new version; decimals keep their text', async () => {
  const text = '{"resourceType":"Patient","identifier":[{"system":"urn:p","value":"1"}],"gender":"male",' +
    '"extension":[{"url":"http://e/w","valueDecimal":70.50}]}';
  const p = (await req(srv, 'POST', '/fhir/Patient', { body: text })).json;
  const r = await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, {
    headers: JP,
    body: JSON.stringify([
      { op: 'test', path: '/gender', value: 'male' },
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'add', path: '/name', value: [{ family: 'Wang' }] },
      { op: 'add', path: '/name/0/given', value: ['Li'] },
    ]),
  });
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.meta.versionId, '2');
  assert.strictEqual(r.json.gender, 'female');
  assert.deepStrictEqual(r.json.name, [{ family: 'Wang', given: ['Li'] }]);
  assert.match(r.text, /"valueDecimal":70\.50/, 'untouched decimals keep their text');
  const hist = await req(srv, 'GET', `/fhir/Patient/${p.id}/_history/1`);
  assert.strictEqual(hist.json.gender, 'male');
  const byName = await req(srv, 'GET', '/fhir/Patient?family=wang&_summary=count');
  assert.strictEqual(byName.json.total, 1, 'the patched version is indexed');
});

test('a failed test operation changes nothing (422); a malformed patch is 400', async () => {
  const p = await create({ resourceType: 'Patient', gender: 'male' });
  const r = await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, {
    headers: JP,
    body: JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }, { op: 'test', path: '/gender', value: 'male' }]),
  });
  assert.match(outcomeIssues(assert, r, 422)[0].diagnostics, /patch operation 1 \(test/);
  const now = await req(srv, 'GET', `/fhir/Patient/${p.id}`);
  assert.strictEqual(now.json.gender, 'male');
  assert.strictEqual(now.json.meta.versionId, '1');
  outcomeIssues(assert, await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, { headers: JP, body: '{"op":"add"}' }), 400);
  outcomeIssues(assert, await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, { headers: JP, body: '[{"op":"add",' }), 400);
  outcomeIssues(assert, await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, { body: '[]' }), 415);
});

test('a patch that breaks the resource, or touches its id or type, is refused', async () => {
  const p = await create({ resourceType: 'Patient', gender: 'male' });
  const bad = await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, {
    headers: JP, body: JSON.stringify([{ op: 'replace', path: '/gender', value: 'robot' }]),
  });
  outcomeIssues(assert, bad, 422);
  const id = await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, {
    headers: JP, body: JSON.stringify([{ op: 'replace', path: '/id', value: 'other' }]),
  });
  assert.match(outcomeIssues(assert, id, 422)[0].diagnostics, /resourceType or id/);
  assert.strictEqual((await req(srv, 'GET', `/fhir/Patient/${p.id}`)).json.meta.versionId, '1');
  outcomeIssues(assert, await req(srv, 'PATCH', '/fhir/Patient/not-there', { headers: JP, body: '[]' }), 404);
});

test('If-Match guards a patch; a conditional patch finds its resource by search', async () => {
  const p = await create({ resourceType: 'Patient', identifier: [{ system: 'urn:pc', value: '1' }] });
  const stale = await req(srv, 'PATCH', `/fhir/Patient/${p.id}`, {
    headers: { ...JP, 'If-Match': 'W/"9"' }, body: JSON.stringify([{ op: 'add', path: '/active', value: true }]),
  });
  outcomeIssues(assert, stale, 412);
  const cond = await req(srv, 'PATCH', '/fhir/Patient?identifier=urn:pc|1', {
    headers: JP, body: JSON.stringify([{ op: 'add', path: '/active', value: false }]),
  });
  assert.strictEqual(cond.status, 200, cond.text);
  assert.strictEqual(cond.json.id, p.id);
  assert.strictEqual(cond.json.active, false);
  outcomeIssues(assert, await req(srv, 'PATCH', '/fhir/Patient?identifier=urn:pc|none', { headers: JP, body: '[]' }), 404);
});

test('a transaction may PATCH with a Binary entry holding the JSON Patch', async () => {
  const p = await create({ resourceType: 'Patient', gender: 'male' });
  const patch = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'other' }])).toString('base64');
  const r = await req(srv, 'POST', '/fhir', {
    body: {
      resourceType: 'Bundle', type: 'transaction', entry: [{
        resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: patch },
        request: { method: 'PATCH', url: `Patient/${p.id}` },
      }],
    },
  });
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.entry[0].response.status, '200 OK');
  assert.strictEqual((await req(srv, 'GET', `/fhir/Patient/${p.id}`)).json.gender, 'other');
});
