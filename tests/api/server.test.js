// server.test.js -- the process around the API: CLI exit codes, metadata, access log
// without patient data, graceful shutdown that finishes in-flight requests, persistence.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { startServer, req, BIN, ADMIN, isPg, freshDb, dropDb, storeSql } = require('./lib');

function cli(...args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: help, version, unknown commands and flags', () => {
  let r = cli('help');
  assert.strictEqual(r.code, 0);
  for (const c of ['help', 'serve', 'version']) assert.match(r.out, new RegExp(`\\n  ${c} `));
  r = cli('help', 'serve');
  assert.strictEqual(r.code, 0);
  assert.match(r.out, /--db FILE/);
  assert.match(r.out, /--listen ADDR:PORT/);
  assert.match(r.out, /--threads N/);
  r = cli('version');
  assert.strictEqual(r.code, 0);
  assert.match(r.out, /^yilian \d+\.\d+\.\d+/);
  r = cli('frobnicate');
  assert.strictEqual(r.code, 2);
  assert.strictEqual(r.err.trim().split('\n').length, 1, 'one-line error');
  assert.match(r.err, /unknown command 'frobnicate'/);
  r = cli('serve', '--bogus');
  assert.strictEqual(r.code, 2);
  assert.strictEqual(r.err.trim().split('\n').length, 1);
  r = cli('serve', '--threads', 'many');
  assert.strictEqual(r.code, 2);
  r = cli('serve', '--listen', 'nowhere');
  assert.strictEqual(r.code, 2);
  r = cli('help', 'nope');
  assert.strictEqual(r.code, 2);
  r = cli('version', 'extra');
  assert.strictEqual(r.code, 2);
});

test('serve: a port in use is a clear error and exit 1', async () => {
  const srv = await startServer();
  try {
    const r = cli('serve', '--db', `${srv.dir}/other.db`, '--listen', `127.0.0.1:${srv.port}`);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    await srv.stop();
  }
});

test('metadata: a CapabilityStatement listing exactly what works', async () => {
  const srv = await startServer();
  try {
    const r = await req(srv, 'GET', '/fhir/metadata');
    assert.strictEqual(r.status, 200);
    const cs = r.json;
    assert.strictEqual(cs.resourceType, 'CapabilityStatement');
    assert.strictEqual(cs.fhirVersion, '4.0.1');
    assert.deepStrictEqual(cs.format, ['application/fhir+json', 'application/json']);
    const rest = cs.rest[0];
    assert.strictEqual(rest.resource.length, 146);
    const patient = rest.resource.find((x) => x.type === 'Patient');
    assert.deepStrictEqual(patient.interaction.map((i) => i.code).sort(),
      ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type',
        'update', 'vread']);
    assert.deepStrictEqual(rest.interaction.map((i) => i.code).sort(),
      ['batch', 'history-system', 'search-system', 'transaction']);
    // every supported search parameter, with its type, and the common ones on every type
    const sp = Object.fromEntries(patient.searchParam.map((p) => [p.name, p.type]));
    assert.strictEqual(sp.birthdate, 'date');
    assert.strictEqual(sp.name, 'string');
    assert.strictEqual(sp.identifier, 'token');
    assert.strictEqual(sp['general-practitioner'], 'reference');
    assert.strictEqual(sp._lastUpdated, 'date');
    assert.strictEqual(sp._id, 'token');
    const obs = rest.resource.find((x) => x.type === 'Observation');
    const osp = Object.fromEntries(obs.searchParam.map((p) => [p.name, p]));
    assert.strictEqual(osp['component-code-value-quantity'].type, 'composite');
    assert.strictEqual(osp['value-quantity'].type, 'quantity');
    assert.match(osp.code.definition, /^http:\/\/hl7\.org\/fhir\/SearchParameter\//);
    assert.match(rest.documentation, /406/);
    const pretty = await req(srv, 'GET', '/fhir/metadata?_pretty=true');
    assert.deepStrictEqual(pretty.json, cs);
  } finally {
    await srv.stop();
  }
});

test('access log: one line per request, no query values and no patient data', async () => {
  const srv = await startServer();
  const secret = { name: 'Zhaoxiaolan', idno: '11010519491231002X', phone: '13912345678' };
  const c = await req(srv, 'POST', '/fhir/Patient', {
    body: {
      resourceType: 'Patient', name: [{ family: secret.name }],
      identifier: [{ value: secret.idno }], telecom: [{ system: 'phone', value: secret.phone }],
    },
  });
  await req(srv, 'GET', `/fhir/Patient/${c.json.id}?_pretty=true&_format=json`);
  await req(srv, 'GET', `/fhir/_history?_since=${secret.idno.slice(0, 4)}`);
  await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: secret.name }], gender: secret.phone } });
  // a parameter name cannot forge a second log line
  await req(srv, 'GET', '/fhir/_history?x%0A2026-01-01T00:00:00.000Z%20access%20forged=1');
  // access lines are buffered but reach the file within YL_ACCESS_FLUSH_MS (200 ms)
  await new Promise((r) => setTimeout(r, 600));
  const log = fs.readFileSync(srv.access, 'utf8');
  const stderr = srv.stderr();
  await srv.stop();
  // each line is written when its request completes, on the thread that served it: a
  // client's next request can be logged before the previous one's line lands, so the
  // lines are matched by content, not by position
  // the harness's login is one line (not always the first, for the same reason); no
  // password reaches either log
  const all = log.trim().split('\n');
  assert.strictEqual(all.filter((l) => /POST \/auth\/login status=200/.test(l)).length, 1, log);
  assert.ok(!log.includes(ADMIN.password) && !stderr.includes(ADMIN.password));
  const lines = all.filter((l) => !/POST \/auth\/login /.test(l));
  assert.strictEqual(lines.length, 5);
  const one = (re) => {
    const hits = lines.filter((l) => re.test(l));
    assert.strictEqual(hits.length, 1, `one access line matches ${re}:\n${log}`);
  };
  one(/GET \/fhir\/_history\?x\?2026-01-01T00:00:00\.000Z\?access\?forged status=200/);
  one(/rid=[0-9a-f]+ POST \/fhir\/Patient status=201 bytes=\d+ us=\d+$/);
  one(new RegExp(`GET /fhir/Patient/${c.json.id}\\?_pretty&_format status=200 bytes=\\d+ us=\\d+$`));
  one(/GET \/fhir\/_history\?_since status=200/);
  one(/POST \/fhir\/Patient status=422/);
  for (const v of Object.values(secret)) {
    assert.ok(!log.includes(v), `access log leaks ${v}`);
    assert.ok(!stderr.includes(v), `server log leaks ${v}`);
  }
  assert.ok(!log.includes('1101'), 'query values are not logged');
});

test('SIGTERM: stops accepting, finishes the in-flight request, exits 0; data persists', async () => {
  const srv = await startServer();
  const body = JSON.stringify({ resourceType: 'Patient', id: 'inflight', gender: 'female' });
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  let data = '';
  sock.on('data', (d) => { data += d; });
  const ended = new Promise((r) => sock.on('close', r));
  // send headers and half the body, then ask the server to stop
  sock.write(`PUT /fhir/Patient/inflight HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${srv.token}\r\nContent-Type: application/fhir+json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  sock.write(body.slice(0, 10));
  await new Promise((r) => setTimeout(r, 200));
  srv.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  // new connections are refused while the in-flight request is finishing
  const refused = await new Promise((resolve) => {
    const s2 = net.connect(srv.port, '127.0.0.1');
    s2.on('connect', () => { s2.destroy(); resolve(false); });
    s2.on('error', () => resolve(true));
  });
  assert.ok(refused, 'listening socket closed after SIGTERM');
  sock.write(body.slice(10));
  await ended;
  assert.match(data, /^HTTP\/1\.1 201/);
  const { code } = await srv.child.exitCode !== null ? { code: srv.child.exitCode } : await srv.exited;
  assert.strictEqual(code, 0);
  assert.match(srv.stderr(), /stopped cleanly/);
  // buffered access lines are written out before exit
  assert.match(fs.readFileSync(srv.access, 'utf8'), /PUT \/fhir\/Patient\/inflight status=201/);
  // restart on the same database: the write is there
  const { spawn } = require('node:child_process');
  const again = spawn(BIN, ['serve', '--db', srv.db, '--listen', '127.0.0.1:0', '--access-log', 'off'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise((resolve) => again.stderr.on('data', (d) => {
    err += d;
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
    if (m) resolve(Number(m[1]));
  }));
  const r = await fetch(`http://127.0.0.1:${port}/fhir/Patient/inflight`, { headers: srv.auth });
  assert.strictEqual(r.status, 200);
  again.kill('SIGINT');
  const code2 = await new Promise((r2) => again.on('exit', r2));
  assert.strictEqual(code2, 0);
  fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('docs/api.md carries the current route table (yilian routes)', () => {
  const r = cli('routes');
  assert.strictEqual(r.code, 0);
  const doc = fs.readFileSync(require('node:path').join(__dirname, '../../docs/api.md'), 'utf8');
  const m = /<!-- routes:begin -->\n([\s\S]*?)<!-- routes:end -->/.exec(doc);
  assert.ok(m, 'markers present');
  assert.strictEqual(m[1], r.out, 'docs/api.md is stale: regenerate it from `yilian routes`');
});

test('a store indexed by another search-parameter table: warned at start, stale in /healthz, current after yilian reindex', async () => {
  const first = await startServer();
  // SQLite: a copy of the file, to start again on; PostgreSQL: the same database
  const db = isPg(first.db) ? first.db : first.db + '.keep';
  try {
    const c = await req(first, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Qian' }] } });
    assert.strictEqual(c.status, 201);
    assert.deepStrictEqual((await req(first, 'GET', '/healthz')).json, { status: 'ok', searchIndex: 'current' });
    first.child.kill('SIGTERM');
    await first.exited;
    if (db !== first.db) fs.copyFileSync(first.db, db);
    // as if an older build had indexed it
    const older = "UPDATE store_meta SET value = '0-0000000000000000' WHERE key = 'index_fingerprint'";
    const u = storeSql(db, { sqlite: older, pg: older });
    assert.strictEqual(u.status, 0, u.stderr);
    const stale = await startServer(['--db', db]);
    try {
      assert.match((await req(stale, 'GET', '/healthz')).json.searchIndex, /^stale: run yilian reindex/);
      assert.match(stale.stderr(), /built by another search-parameter table.*yilian reindex --db/);
    } finally {
      stale.child.kill('SIGTERM');
      await stale.exited;
    }
    const ri = spawnSync(BIN, ['reindex', '--db', db], { encoding: 'utf8' });
    assert.strictEqual(ri.status, 0, ri.stderr);
    assert.match(ri.stdout, /reindexed 1 resources/);
    const again = await startServer(['--db', db]);
    try {
      assert.deepStrictEqual((await req(again, 'GET', '/healthz')).json, { status: 'ok', searchIndex: 'current' });
      const s = await req(again, 'GET', '/fhir/Patient?name=qian');
      assert.strictEqual(s.json.entry.length, 1);
      assert.doesNotMatch(again.stderr(), /another search-parameter table/);
    } finally {
      await again.stop();
    }
  } finally {
    await first.stop();
    if (db !== first.db) for (const f of [db, db + '-wal', db + '-shm']) fs.rmSync(f, { force: true });
  }
});

test('the audit trail\'s head goes to the log at start and at stop, and `yilian audit verify --expect-head` holds the trail to it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-head-'));
  const db = freshDb(dir, 'head');
  try {
    const srv = await startServer(['--db', db]);
    await req(srv, 'GET', '/fhir/Patient?_count=1');
    assert.match(srv.stderr(), /audit trail head: event \d+, hash [0-9a-f]+/, 'at start');
    await srv.stop();
    const heads = [...srv.stderr().matchAll(/audit trail head: event (\d+), hash ([0-9a-f]+)/g)];
    assert.ok(heads.length >= 2, srv.stderr());
    const [, seq, hash] = heads[heads.length - 1];
    assert.ok(Number(seq) > Number(heads[0][1]), 'the search moved the head');
    const ok = spawnSync(BIN, ['audit', 'verify', '--db', db, '--expect-head', hash], { encoding: 'utf8' });
    assert.strictEqual(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(hash));
    // the trail cut back to before that event: verify says so (the chain alone is intact)
    const cut = storeSql(db, {
      sqlite: 'DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);',
      pg: 'DROP TRIGGER audit_no_update ON audit; DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);',
    });
    assert.strictEqual(cut.status, 0, cut.stderr);
    const bad = spawnSync(BIN, ['audit', 'verify', '--db', db, '--expect-head', hash], { encoding: 'utf8' });
    assert.strictEqual(bad.status, 1, bad.stdout + bad.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    dropDb(db);
  }
});
