// limits.test.js -- every input limit, tested at the limit and one past it.
// The limits are the named constants in src/fhir/limits.h.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { startServer, req, outcomeIssues } = require('./lib');

const MAX_BODY = 8 * 1024 * 1024;   // YL_MAX_BODY_BYTES
const MAX_DEPTH = 64;               // YL_MAX_JSON_DEPTH
const MAX_STRING = 1024 * 1024;     // YL_MAX_STRING_BYTES
const MAX_URL = 8192;               // YL_MAX_URL_BYTES
const MAX_PARAMS = 100;             // YL_MAX_QUERY_PARAMS

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); });

// A valid Patient padded with whitespace to exactly n bytes.
function patientOfSize(n) {
  const given = Array.from({ length: 9 }, () => 'a'.repeat(900 * 1024));
  const base = JSON.stringify({ resourceType: 'Patient', name: [{ given }] });
  assert.ok(base.length <= n, 'base fits');
  return base.slice(0, -1) + ' '.repeat(n - base.length) + '}';
}

test('body size: exactly the limit is accepted, one byte more is 413', async () => {
  const at = patientOfSize(MAX_BODY);
  assert.strictEqual(Buffer.byteLength(at), MAX_BODY);
  const ok = await req(srv, 'POST', '/fhir/Patient', { body: at, headers: { Prefer: 'return=minimal' } });
  assert.strictEqual(ok.status, 201, ok.text.slice(0, 300));
  const past = await req(srv, 'POST', '/fhir/Patient', { body: patientOfSize(MAX_BODY + 1) });
  const is = outcomeIssues(assert, past, 413);
  assert.match(is[0].diagnostics, /limit of 8388608 bytes/);
});

test('body size without Content-Length (chunked): one byte past the limit is 413', async () => {
  const body = patientOfSize(MAX_BODY + 1);
  const status = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1', () => {
      s.write(`POST /fhir/Patient HTTP/1.1\r\nAuthorization: Bearer ${srv.token}\r\n` + 'Host: x\r\nContent-Type: application/fhir+json\r\n' +
        'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
      for (let i = 0; i < body.length; i += 65536) {
        const part = body.slice(i, i + 65536);
        s.write(part.length.toString(16) + '\r\n' + part + '\r\n');
      }
      s.write('0\r\n\r\n');
    });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1])));
    s.on('error', reject);
  });
  assert.strictEqual(status, 413);
});

function nested(levels, inner) {
  let ext = inner;
  for (let i = 0; i < levels; i++) ext = { url: 'http://example.org/n', extension: [ext] };
  return JSON.stringify({ resourceType: 'Patient', extension: [ext] });
}

test('JSON nesting: the limit is accepted, one level deeper is 400', async () => {
  // depth = 1 (Patient) + 2 per extension level + inner value
  const atLimit = nested(30, { url: 'http://example.org/v', valueCodeableConcept: { text: 't' } });
  const ok = await req(srv, 'POST', '/fhir/Patient', { body: atLimit });
  assert.strictEqual(ok.status, 201, ok.text.slice(0, 400));
  const past = nested(31, { url: 'http://example.org/v', valueCodeableConcept: { text: 't' } });
  const is = outcomeIssues(assert, await req(srv, 'POST', '/fhir/Patient', { body: past }), 400);
  assert.match(is[0].diagnostics, new RegExp(`deeper than the limit of ${MAX_DEPTH}`));
});

test('string length: exactly the limit is accepted, one byte more is 400', async () => {
  const at = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'x'.repeat(MAX_STRING) }] });
  const ok = await req(srv, 'POST', '/fhir/Patient', { body: at, headers: { Prefer: 'return=minimal' } });
  assert.strictEqual(ok.status, 201, ok.text.slice(0, 300));
  const past = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'x'.repeat(MAX_STRING + 1) }] });
  const is = outcomeIssues(assert, await req(srv, 'POST', '/fhir/Patient', { body: past }), 400);
  assert.match(is[0].diagnostics, /more than the limit of 1048576 bytes/);
});

test('URL length: the limit is served, one byte more is 400', async () => {
  const prefix = '/fhir/_history?_count=1&pad=';
  const at = prefix + 'a'.repeat(MAX_URL - prefix.length);
  assert.strictEqual(at.length, MAX_URL);
  assert.strictEqual((await req(srv, 'GET', at)).status, 200);
  const is = outcomeIssues(assert, await req(srv, 'GET', at + 'a'), 400);
  assert.match(is[0].diagnostics, /longer than the limit of 8192 bytes/);
});

test('query parameters: the limit is served, one more is 400', async () => {
  const q = (n) => '/fhir/_history?' + Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
  assert.strictEqual((await req(srv, 'GET', q(MAX_PARAMS))).status, 200);
  const is = outcomeIssues(assert, await req(srv, 'GET', q(MAX_PARAMS + 1)), 400);
  assert.match(is[0].diagnostics, /more than 100 parameters/);
});
