// history.test.js -- instance, type and system history: order, _since, _count, paging with
// next links that stay correct while writes happen, _summary=count, and error paths.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

const obs = (n) => ({
  resourceType: 'Observation', status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
  valueQuantity: { value: 120 + n, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
});

async function walk(url) {
  const seen = [];
  let next = url;
  let pages = 0;
  while (next) {
    const r = await req(srv, 'GET', next.replace(srv.base, ''));
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.json.type, 'history');
    for (const e of r.json.entry) seen.push(e);
    const link = r.json.link.find((l) => l.relation === 'next');
    next = link && link.url;
    if (++pages > 100) throw new Error('paging does not end');
  }
  return { seen, pages };
}

test('instance history lists every version newest first, with request and response', async () => {
  const a = await req(srv, 'POST', '/fhir/Observation', { body: obs(0) });
  const id = a.json.id;
  await req(srv, 'PUT', `/fhir/Observation/${id}`, { body: { ...obs(1), id } });
  await req(srv, 'DELETE', `/fhir/Observation/${id}`);
  const h = await req(srv, 'GET', `/fhir/Observation/${id}/_history`);
  assert.strictEqual(h.status, 200);
  const e = h.json.entry;
  assert.deepStrictEqual(e.map((x) => x.request.method), ['DELETE', 'PUT', 'POST']);
  assert.deepStrictEqual(e.map((x) => x.response.etag), ['W/"3"', 'W/"2"', 'W/"1"']);
  assert.strictEqual(e[0].resource, undefined, 'a tombstone has no resource');
  assert.strictEqual(e[1].resource.valueQuantity.value, 121);
  assert.strictEqual(e[2].fullUrl, `${srv.base}/fhir/Observation/${id}`);
  const count = await req(srv, 'GET', `/fhir/Observation/${id}/_history?_summary=count`);
  assert.strictEqual(count.json.total, 3);
  assert.strictEqual(count.json.entry, undefined);
});

test('type and system history, _since and _summary=count', async () => {
  const before = await req(srv, 'GET', '/fhir/_history?_summary=count');
  const mark = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  const p = await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', gender: 'female' } });
  const o = await req(srv, 'POST', '/fhir/Observation', { body: obs(5) });
  const sys = await req(srv, 'GET', `/fhir/_history?_since=${encodeURIComponent(mark)}`);
  assert.deepStrictEqual(sys.json.entry.map((e) => e.resource.id), [o.json.id, p.json.id]);
  const typ = await req(srv, 'GET', `/fhir/Patient/_history?_since=${encodeURIComponent(mark)}`);
  assert.deepStrictEqual(typ.json.entry.map((e) => e.resource.id), [p.json.id]);
  const after = await req(srv, 'GET', '/fhir/_history?_summary=count');
  assert.strictEqual(after.json.total, before.json.total + 2);
  const since = await req(srv, 'GET', `/fhir/Observation/_history?_summary=count&_since=${encodeURIComponent(mark)}`);
  assert.strictEqual(since.json.total, 1);
});

test('paging with _count follows next links, and stays correct while writes happen', async () => {
  for (let i = 0; i < 25; i++) await req(srv, 'POST', '/fhir/Basic', { body: { resourceType: 'Basic', code: { text: `b${i}` } } });
  const first = await req(srv, 'GET', '/fhir/Basic/_history?_count=10');
  assert.strictEqual(first.json.entry.length, 10);
  const self = first.json.link.find((l) => l.relation === 'self');
  assert.match(self.url, /_count=10/);
  // writes between pages must not shift what the next page holds
  for (let i = 0; i < 5; i++) await req(srv, 'POST', '/fhir/Basic', { body: { resourceType: 'Basic', code: { text: `late${i}` } } });
  const next = first.json.link.find((l) => l.relation === 'next').url;
  const rest = await walk(next);
  const all = [...first.json.entry, ...rest.seen].map((e) => e.resource.code.text);
  assert.strictEqual(all.length, 25);
  assert.strictEqual(new Set(all).size, 25, 'no duplicates across pages');
  assert.deepStrictEqual(all, Array.from({ length: 25 }, (_, i) => `b${24 - i}`));
  assert.strictEqual(rest.pages, 2);
});

test('_count=0 gives no entries; _count above the maximum is clamped', async () => {
  const z = await req(srv, 'GET', '/fhir/_history?_count=0');
  assert.strictEqual(z.status, 200);
  assert.deepStrictEqual(z.json.entry, []);
  const big = await req(srv, 'GET', '/fhir/_history?_count=100000');
  assert.strictEqual(big.status, 200);
  assert.ok(big.json.entry.length <= 1000);
});

test('history error paths name the parameter', async () => {
  let is = outcomeIssues(assert, await req(srv, 'GET', '/fhir/_history?_since=yesterday'), 400);
  assert.deepStrictEqual(is[0].expression, ['_since']);
  is = outcomeIssues(assert, await req(srv, 'GET', '/fhir/_history?_count=-1'), 400);
  assert.deepStrictEqual(is[0].expression, ['_count']);
  is = outcomeIssues(assert, await req(srv, 'GET', '/fhir/_history?_cursor=abc'), 400);
  is = outcomeIssues(assert, await req(srv, 'GET', '/fhir/_history?_summary=text'), 400);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Patient/nobody/_history'), 404);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/Nope/_history'), 404);
  outcomeIssues(assert, await req(srv, 'GET', '/fhir/_history?a=%zz'), 400);
});

test('a hostile Host header cannot break links or headers', async () => {
  const net = require('node:net');
  const raw = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1', () => {
      s.write(`GET /fhir/_history?_count=1 HTTP/1.1\r\nAuthorization: Bearer ${srv.token}\r\nHost: evil"},{"x":"\r\nConnection: close\r\n\r\n`);
    });
    let d = '';
    s.on('data', (c) => { d += c; });
    s.on('end', () => resolve(d));
    s.on('error', reject);
  });
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const json = JSON.parse(body);
  assert.strictEqual(json.resourceType, 'Bundle');
  assert.match(json.link[0].url, /^http:\/\/localhost\/fhir\/_history/);
});
