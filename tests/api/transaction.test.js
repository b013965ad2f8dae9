// transaction.test.js -- POST /fhir with transaction and batch Bundles: all or nothing,
// processing order, urn:uuid references, conditional references and entries, per-entry
// outcomes of a batch, and every Synthea bundle loaded over HTTP.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, req, outcomeIssues, SHARED } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

const uuid = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const bundle = (type, entry) => ({ resourceType: 'Bundle', type, entry });
const post = (fullUrl, resource) => ({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
const count = async (type, query) =>
  (await req(srv, 'GET', `/fhir/${type}?${query}&_summary=count`)).json.total;
const obs = (subject, extra = {}) => ({
  resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: subject }, ...extra,
});

test('a transaction creates every entry and rewrites urn:uuid references to the new ids', async () => {
  // sent as text to keep 7.10 as written
  const b = bundle('transaction', [
    post(uuid(2), obs(uuid(1), { valueQuantity: { value: 7.10, unit: '%' } })),
    post(uuid(1), { resourceType: 'Patient', identifier: [{ system: 'urn:tx', value: '1' }] }),
  ]);
  const text = JSON.stringify(b).replace('"value":7.1,', '"value":7.10,');
  const r = await req(srv, 'POST', '/fhir', { body: text });
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.type, 'transaction-response');
  const [o, p] = r.json.entry;
  assert.strictEqual(p.response.status, '201 Created');
  assert.match(p.response.location, /^Patient\/[0-9a-v]{20}\/_history\/1$/);
  assert.strictEqual(p.response.etag, 'W/"1"');
  assert.match(p.response.lastModified, /^\d{4}-\d\d-\d\dT/);
  assert.strictEqual(o.resource.subject.reference, `Patient/${p.resource.id}`);
  const stored = await req(srv, 'GET', `/fhir/Observation/${o.resource.id}`);
  assert.match(stored.text, /"value":7\.10/, 'decimal precision kept');
  assert.strictEqual(await count('Observation', `subject=Patient/${p.resource.id}`), 1);
});

test('a transaction whose 50th entry is invalid leaves nothing behind and names that entry', async () => {
  const entries = [];
  for (let i = 0; i < 60; i++) {
    entries.push(post(uuid(100 + i), {
      resourceType: 'Patient', identifier: [{ system: 'urn:tx50', value: String(i) }],
      birthDate: i === 49 ? '1950-02-30' : '1950-02-01',
    }));
  }
  const before = (await req(srv, 'GET', '/fhir/_history?_summary=count')).json.total;
  const r = await req(srv, 'POST', '/fhir', { body: bundle('transaction', entries) });
  const issues = outcomeIssues(assert, r, 422);
  assert.match(issues[0].diagnostics, /^entry 49 /);
  assert.deepStrictEqual(issues[0].expression, ['Bundle.entry[49].resource.birthDate']);
  assert.strictEqual(await count('Patient', 'identifier=urn:tx50|'), 0);
  assert.strictEqual((await req(srv, 'GET', '/fhir/_history?_summary=count')).json.total, before,
    'not one version written');
});

test('a reference to a urn:uuid that no entry has is refused', async () => {
  const r = await req(srv, 'POST', '/fhir', {
    body: bundle('transaction', [
      post(uuid(200), { resourceType: 'Patient', identifier: [{ system: 'urn:tx', value: 'lonely' }] }),
      post(uuid(201), obs(uuid(999))),
    ]),
  });
  const issues = outcomeIssues(assert, r, 400);
  assert.match(issues[0].diagnostics, /urn:uuid:00000000-0000-4000-8000-000000000999/);
  assert.strictEqual(await count('Patient', 'identifier=urn:tx|lonely'), 0);
});

test('entries run DELETE, POST, PUT, GET whatever their order in the Bundle', async () => {
  const old = await req(srv, 'POST', '/fhir/Patient', {
    body: { resourceType: 'Patient', identifier: [{ system: 'urn:order', value: 'old' }] },
  });
  const r = await req(srv, 'POST', '/fhir', {
    body: bundle('transaction', [
      { request: { method: 'GET', url: 'Patient?identifier=urn:order|' } },
      { fullUrl: uuid(300), resource: { resourceType: 'Patient', id: 'order-put', identifier: [{ system: 'urn:order', value: 'put' }] },
        request: { method: 'PUT', url: 'Patient/order-put' } },
      post(uuid(301), { resourceType: 'Patient', identifier: [{ system: 'urn:order', value: 'new' }] }),
      { request: { method: 'DELETE', url: `Patient/${old.json.id}` } },
    ]),
  });
  assert.strictEqual(r.status, 200, r.text);
  const search = r.json.entry[0].resource;
  const values = search.entry.map((e) => e.resource.identifier[0].value).sort();
  assert.deepStrictEqual(values, ['new', 'put'], 'the GET ran last and saw the writes, not the deleted one');
  assert.strictEqual(r.json.entry[3].response.status, '204 No Content');
});

test('conditional references resolve to the one match; none or several fail the transaction', async () => {
  const p = await req(srv, 'POST', '/fhir/Patient', {
    body: { resourceType: 'Patient', identifier: [{ system: 'urn:cref', value: 'one' }] },
  });
  await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', identifier: [{ system: 'urn:cref', value: 'two' }] } });
  await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', identifier: [{ system: 'urn:cref', value: 'two' }] } });
  const ok = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [post(uuid(400), obs('Patient?identifier=urn:cref|one'))]) });
  assert.strictEqual(ok.status, 200, ok.text);
  assert.strictEqual(ok.json.entry[0].resource.subject.reference, `Patient/${p.json.id}`);

  const none = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [post(uuid(401), obs('Patient?identifier=urn:cref|zero'))]) });
  assert.match(outcomeIssues(assert, none, 412)[0].diagnostics, /matches no Patient/);
  const several = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [post(uuid(402), obs('Patient?identifier=urn:cref|two'))]) });
  assert.match(outcomeIssues(assert, several, 412)[0].diagnostics, /more than one Patient/);
});

test('ifNoneExist in a transaction: a match is reused and references point to it', async () => {
  const org = { resourceType: 'Organization', identifier: [{ system: 'urn:org', value: 'clinic-7' }], name: 'Clinic 7' };
  const cond = (n) => ({ fullUrl: uuid(n), resource: org, request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:org|clinic-7' } });
  const patientOf = (n, orgUrl) => post(uuid(n), { resourceType: 'Patient', managingOrganization: { reference: orgUrl } });
  const first = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [cond(500), patientOf(501, uuid(500))]) });
  assert.strictEqual(first.status, 200, first.text);
  assert.strictEqual(first.json.entry[0].response.status, '201 Created');
  const orgId = first.json.entry[0].resource.id;
  const second = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [cond(510), patientOf(511, uuid(510))]) });
  assert.strictEqual(second.status, 200, second.text);
  assert.strictEqual(second.json.entry[0].response.status, '200 OK');
  assert.strictEqual(second.json.entry[1].resource.managingOrganization.reference, `Organization/${orgId}`);
  assert.strictEqual(await count('Organization', 'identifier=urn:org|clinic-7'), 1);
});

test('a transaction may not write one resource twice', async () => {
  const put = (v) => ({ resource: { resourceType: 'Patient', id: 'twice', gender: v }, request: { method: 'PUT', url: 'Patient/twice' } });
  const r = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [put('male'), put('female')]) });
  assert.match(outcomeIssues(assert, r, 400)[0].diagnostics, /Patient\/twice/);
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient/twice')).status, 404);
});

test('a batch reports each entry on its own; a failing entry does not stop the others', async () => {
  const r = await req(srv, 'POST', '/fhir', {
    body: bundle('batch', [
      post(undefined, { resourceType: 'Patient', identifier: [{ system: 'urn:batch', value: '1' }] }),
      post(undefined, { resourceType: 'Patient', birthDate: 'not a date' }),
      { request: { method: 'GET', url: 'Patient/does-not-exist' } },
      post(undefined, obs(uuid(600))),
      { request: { method: 'GET', url: 'Patient?identifier=urn:batch|1' } },
    ]),
  });
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.type, 'batch-response');
  const st = r.json.entry.map((e) => e.response.status);
  assert.deepStrictEqual(st, ['201 Created', '422 Unprocessable Entity', '404 Not Found', '400 Bad Request', '200 OK']);
  assert.strictEqual(r.json.entry[1].response.outcome.resourceType, 'OperationOutcome');
  assert.match(r.json.entry[3].response.outcome.issue[0].diagnostics, /only a transaction/);
  assert.strictEqual(r.json.entry[4].resource.total, 1);
});

test('what is not a transaction or batch Bundle is refused with a clear outcome', async () => {
  outcomeIssues(assert, await req(srv, 'POST', '/fhir', { body: { resourceType: 'Patient' } }), 400);
  const coll = await req(srv, 'POST', '/fhir', { body: bundle('collection', []) });
  assert.match(outcomeIssues(assert, coll, 400)[0].diagnostics, /transaction or batch/);
  const noReq = await req(srv, 'POST', '/fhir', { body: bundle('transaction', [{ resource: { resourceType: 'Patient' } }]) });
  assert.deepStrictEqual(outcomeIssues(assert, noReq, 400)[0].expression, ['Bundle.entry[0].request']);
  const mismatch = await req(srv, 'POST', '/fhir', {
    body: bundle('transaction', [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Observation' } }]),
  });
  outcomeIssues(assert, mismatch, 400);
  outcomeIssues(assert, await req(srv, 'POST', '/fhir', { body: '{"resourceType":"Bundle",' }), 400);
  const empty = await req(srv, 'POST', '/fhir', { body: bundle('transaction', []) });
  assert.strictEqual(empty.status, 200);
  assert.deepStrictEqual(empty.json.entry, []);
});

test('every Synthea bundle loads as a transaction; counts per type match the files', { skip: process.env.YL_CORPUS === 'examples' }, async (t) => {
  const own = await startServer();
  try {
    const dir = path.join(SHARED, 'data/synthea');
    const expected = {};
    let bundles = 0;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const e of JSON.parse(text).entry) expected[e.resource.resourceType] = (expected[e.resource.resourceType] || 0) + 1;
      const r = await req(own, 'POST', '/fhir', { body: text, headers: { Prefer: 'return=minimal' } });
      assert.strictEqual(r.status, 200, `${f}: ${r.text.slice(0, 400)}`);
      bundles++;
    }
    const got = {};
    for (const type of Object.keys(expected)) {
      got[type] = (await req(own, 'GET', `/fhir/${type}?_summary=count`)).json.total;
    }
    t.diagnostic(`synthea over HTTP: ${bundles} transactions, ${JSON.stringify(got)}`);
    assert.deepStrictEqual(got, expected);
    // references were rewritten: a patient's observations are found through the patient
    const p = (await req(own, 'GET', '/fhir/Patient?_count=1')).json.entry[0].resource;
    assert.ok((await req(own, 'GET', `/fhir/Observation?subject=Patient/${p.id}&_summary=count`)).json.total > 0);
  } finally {
    await own.stop();
  }
});
