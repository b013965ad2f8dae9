// bulk.test.js -- Bulk Data export over HTTP: kick-off (system, Patient, Group) with
// Prefer: respond-async, polling the status URL, the manifest, downloading the NDJSON
// files, _type/_since/_outputFormat, refusals, and DELETE to cancel.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

let srv;
test.after(async () => { await srv.stop(); });

const ASYNC = { Prefer: 'respond-async', Accept: 'application/fhir+json' };
const path = (url) => url.replace(/^http:\/\/[^/]+/, '');

async function kickoff(url) {
  const r = await req(srv, 'GET', url, { headers: ASYNC });
  assert.strictEqual(r.status, 202, r.text);
  const loc = r.headers.get('content-location');
  assert.match(loc, /\/fhir\/\$export-status\/[0-9a-v]{20}$/);
  return path(loc);
}

async function manifest(status) {
  for (let i = 0; i < 200; i++) {
    const r = await req(srv, 'GET', status);
    if (r.status === 200) return r.json;
    assert.strictEqual(r.status, 202, r.text);
    assert.match(r.headers.get('x-progress'), /resources exported/);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the export did not finish');
}

async function download(m) {
  const out = {};
  for (const o of m.output) {
    const r = await fetch(srv.base + path(o.url), { headers: { Accept: 'application/fhir+ndjson', ...srv.auth } });
    assert.strictEqual(r.status, 200);
    assert.match(r.headers.get('content-type'), /application\/fhir\+ndjson/);
    const lines = (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.strictEqual(lines.length, o.count, `${o.type}: count in the manifest`);
    assert.ok(lines.every((x) => x.resourceType === o.type));
    out[o.type] = lines;
  }
  return out;
}

let alice, bob;
test.before(async () => {
  srv = await startServer();
  alice = (await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Alice' }] } })).json;
  bob = (await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Bob' }] } })).json;
  for (const p of [alice, alice, bob]) {
    await req(srv, 'POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: `Patient/${p.id}` } } });
  }
  await req(srv, 'POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'Clinic' } });
  const gone = (await req(srv, 'POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'Closed' } })).json;
  await req(srv, 'DELETE', `/fhir/Organization/${gone.id}`);
});

test('system export: every type with resources, deleted ones left out, files served as NDJSON', async () => {
  const m = await manifest(await kickoff('/fhir/$export'));
  assert.strictEqual(m.requiresAccessToken, false);
  assert.match(m.transactionTime, /^\d{4}-/);
  assert.match(m.request, /\/fhir\/\$export$/);
  assert.deepStrictEqual(m.output.map((o) => [o.type, o.count]), [['Observation', 3], ['Organization', 1], ['Patient', 2]]);
  const files = await download(m);
  assert.strictEqual(files.Organization[0].name, 'Clinic');
});

test('Patient/$export holds the compartments only; Group/$export its members; _type and _since narrow', async () => {
  const pm = await manifest(await kickoff('/fhir/Patient/$export'));
  assert.deepStrictEqual(pm.output.map((o) => o.type), ['Observation', 'Patient']);
  const group = (await req(srv, 'POST', '/fhir/Group', {
    body: { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${bob.id}` } }] },
  })).json;
  const gm = await manifest(await kickoff(`/fhir/Group/${group.id}/$export`));
  const g = await download(gm);
  assert.deepStrictEqual(g.Patient.map((p) => p.id), [bob.id]);
  assert.deepStrictEqual(g.Observation.map((o) => o.subject.reference), [`Patient/${bob.id}`]);
  const typed = await manifest(await kickoff('/fhir/$export?_type=Organization&_outputFormat=application/fhir%2Bndjson'));
  assert.deepStrictEqual(typed.output.map((o) => o.type), ['Organization']);
  const later = encodeURIComponent(new Date(Date.now() + 60000).toISOString());
  assert.deepStrictEqual((await manifest(await kickoff(`/fhir/$export?_since=${later}`))).output, []);
});

test('refused: no Prefer: respond-async, another output format, an unsupported parameter, a bad _type', async () => {
  const plain = await req(srv, 'GET', '/fhir/$export');
  assert.match(outcomeIssues(assert, plain, 400)[0].diagnostics, /respond-async/);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/$export?_outputFormat=text/csv', { headers: ASYNC }), 400);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/$export?_typeFilter=Patient%3Fgender%3Dmale', { headers: ASYNC }), 400);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/$export?_type=Nope', { headers: ASYNC }), 400);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Patient/$export?_type=Organization', { headers: ASYNC }), 400);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Group/nope/$export', { headers: ASYNC }), 404);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/$export-status/nope'), 404);
});

test('DELETE on the status URL cancels the export and removes its files', async () => {
  const status = await kickoff('/fhir/$export');
  const m = await manifest(status);
  const file = path(m.output[0].url);
  assert.strictEqual((await req(srv, 'DELETE', status)).status, 202);
  assert.strictEqual((await req(srv, 'GET', status)).status, 404);
  assert.strictEqual((await req(srv, 'GET', file)).status, 404);
  assert.strictEqual((await req(srv, 'DELETE', status)).status, 404);
});
