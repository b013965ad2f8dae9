// transport.test.js -- HTTPS (--tls-cert/--tls-key), the security headers on every answer,
// CORS closed by default and opened per origin (issue 7, docs/security.md).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { startServer, req, BIN, addUser, ADMIN, freshDb, dropDb } = require('./lib');

function checkHeaders(r, what) {
  const h = r.headers;
  assert.match(h.get('content-security-policy') || '', /default-src 'self'/, `${what}: CSP`);
  assert.match(h.get('content-security-policy') || '', /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.strictEqual(h.get('x-content-type-options'), 'nosniff', what);
  assert.strictEqual(h.get('referrer-policy'), 'no-referrer', what);
  assert.strictEqual(h.get('x-frame-options'), 'DENY', what);
}

test('security headers on every answer: data, errors, the login, the web pages', async () => {
  const srv = await startServer();
  try {
    const answers = [
      ['read', await req(srv, 'GET', '/fhir/metadata')],
      ['401', await req(srv, 'GET', '/fhir/Patient', { auth: false })],
      ['404', await req(srv, 'GET', '/fhir/Patient/nope')],
      ['login', await req(srv, 'POST', '/auth/login', { auth: false, body: { username: 'x', password: 'y' }, headers: { 'Content-Type': 'application/json' } })],
      ['web', await req(srv, 'GET', '/', { auth: false })],
    ];
    for (const [what, r] of answers) checkHeaders(r, what);
    // API answers hold health data: never cached
    assert.strictEqual(answers[2][1].headers.get('cache-control'), 'no-store');
    assert.strictEqual(answers[0][1].headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
  } finally {
    await srv.stop();
  }
});

test('CORS: closed by default; an allowed origin gets its preflight and headers, others nothing', async () => {
  const closed = await startServer();
  try {
    const pre = await req(closed, 'OPTIONS', '/fhir/Patient', { auth: false, headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    assert.strictEqual(pre.status, 403);
    assert.strictEqual(pre.headers.get('access-control-allow-origin'), null);
    const get = await req(closed, 'GET', '/fhir/metadata', { headers: { Origin: 'https://evil.example' } });
    assert.strictEqual(get.headers.get('access-control-allow-origin'), null);
  } finally {
    await closed.stop();
  }
  const open = await startServer(['--cors-origin', 'https://app.example']);
  try {
    const pre = await req(open, 'OPTIONS', '/fhir/Patient', { auth: false, headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' } });
    assert.strictEqual(pre.status, 204);
    assert.strictEqual(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
    const get = await req(open, 'GET', '/fhir/metadata', { headers: { Origin: 'https://app.example' } });
    assert.strictEqual(get.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(get.headers.get('vary') || '', /Origin/);
    const other = await req(open, 'GET', '/fhir/metadata', { headers: { Origin: 'https://evil.example' } });
    assert.strictEqual(other.headers.get('access-control-allow-origin'), null);
  } finally {
    await open.stop();
  }
});

test('HTTPS with --tls-cert/--tls-key: TLS answers with HSTS; the login works over it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.strictEqual(gen.status, 0, gen.stderr);
  const db = freshDb(dir, 'tls');
  addUser(db, { ...ADMIN, role: 'admin' });
  const child = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--access-log', 'off', '--tls-cert', cert, '--tls-key', key], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(err)), 15000);
      child.stderr.on('data', (d) => {
        err += d;
        const m = /listening on https:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
    });
    const ca = fs.readFileSync(cert);
    const call = (method, p, body, headers = {}) => new Promise((resolve, reject) => {
      const rq = https.request({ host: '127.0.0.1', port, path: p, method, ca, headers }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      });
      rq.on('error', reject);
      if (body) rq.end(body); else rq.end();
    });
    const login = await call('POST', '/auth/login', JSON.stringify({ username: ADMIN.username, password: ADMIN.password }), { 'Content-Type': 'application/json' });
    assert.strictEqual(login.status, 200, login.text);
    const token = JSON.parse(login.text).token;
    const meta = await call('GET', '/fhir/Patient', null, { Authorization: `Bearer ${token}` });
    assert.strictEqual(meta.status, 200, meta.text);
    assert.match(meta.headers['strict-transport-security'] || '', /max-age=/);
    // plain HTTP to the TLS port does not get an answer
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
    dropDb(db);
  }
});

test('serve refuses --tls-cert without --tls-key', () => {
  const r = spawnSync(BIN, ['serve', '--tls-cert', '/nonexistent'], { encoding: 'utf8' });
  assert.strictEqual(r.status, 2);
  assert.match(r.stderr, /--tls-cert and --tls-key go together/);
});

test('behind a trusted proxy the audit trail and the login throttle see the client, not the proxy; anyone else\'s X-Forwarded-For is ignored', async () => {
  let n = 0; // a new username each time: each one has its own throttle
  const failedFrom = async (srv, xff) => {
    const bad = await req(srv, 'POST', '/auth/login', { auth: false,
      headers: xff ? { 'X-Forwarded-For': xff } : {}, body: { username: `nobody-${n++}`, password: 'wrong-password-1' } });
    assert.strictEqual(bad.status, 401);
    const trail = await req(srv, 'GET', '/fhir/AuditEvent?_count=1');
    return trail.json.entry[0].resource.agent[0].network?.address;
  };
  const direct = await startServer();
  try {
    assert.strictEqual(await failedFrom(direct, '203.0.113.9'), '127.0.0.1', 'a client cannot choose its address');
  } finally {
    await direct.stop();
  }
  const proxied = await startServer(['--trusted-proxy', '127.0.0.1']);
  try {
    // the proxy appends the address it saw last; what the client sent before it is theirs
    assert.strictEqual(await failedFrom(proxied, '10.1.2.3, 203.0.113.9'), '203.0.113.9');
    assert.strictEqual(await failedFrom(proxied, '2001:db8::7'), '2001:db8::7');
    assert.strictEqual(await failedFrom(proxied, 'evil, not-an-address'), '127.0.0.1');
    assert.strictEqual(await failedFrom(proxied, null), '127.0.0.1');
    // 20 failures from one client behind the proxy do not throttle another client
    for (let i = 0; i < 22; i++) {
      await req(proxied, 'POST', '/auth/login', { auth: false, headers: { 'X-Forwarded-For': '198.51.100.1' },
        body: { username: `guess-${i}`, password: 'wrong-password-1' } });
    }
    const same = await req(proxied, 'POST', '/auth/login', { auth: false, headers: { 'X-Forwarded-For': '198.51.100.1' },
      body: { username: 'guess-x', password: 'wrong-password-1' } });
    assert.strictEqual(same.status, 429, 'the guessing client is slowed');
    const other = await req(proxied, 'POST', '/auth/login', { auth: false, headers: { 'X-Forwarded-For': '198.51.100.2' },
      body: { username: ADMIN.username, password: ADMIN.password } });
    assert.strictEqual(other.status, 200, other.text);
  } finally {
    await proxied.stop();
  }
  const refused = spawnSync(BIN, ['serve', '--trusted-proxy', 'proxy.example'], { encoding: 'utf8' });
  assert.strictEqual(refused.status, 2);
  assert.match(refused.stderr, /not a numeric IP address/);
});
