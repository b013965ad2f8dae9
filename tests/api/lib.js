// lib.js -- start a real `yilian serve` on a free loopback port with a temporary database,
// and small helpers for FHIR requests. YL_BIN selects the binary (default build/yilian).
// YL_TEST_PG (a PostgreSQL URI: tests/run.sh gives its private cluster's database "yilian")
// puts every store on PostgreSQL: each server, and each store a test makes with freshDb(),
// gets a database of its own in that cluster, dropped when the server stops (or at exit).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.YL_BIN || path.join(ROOT, 'build', 'yilian');
const SHARED = process.env.YL_SHARED || path.resolve(ROOT, '..', 'shared');

// ---- where stores live: SQLite files, or PostgreSQL databases with YL_TEST_PG ----------
const PG = process.env.YL_TEST_PG || '';
const isPg = (db) => /^postgres(ql)?:\/\//.test(db);
// the client programs of the newest PostgreSQL installed (Debian's are not on PATH)
function pgBin(name) {
  const root = '/usr/lib/postgresql';
  const vers = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => a - b) : [];
  for (const v of vers.reverse()) if (fs.existsSync(path.join(root, v, 'bin', name))) return path.join(root, v, 'bin', name);
  return name;
}
// the URI of database `name` in YL_TEST_PG's cluster, and the database a URI names
const pgUri = (name) => PG.replace(/^(postgres(?:ql)?:\/\/[^/?]*)(\/[^?]*)?/, `$1/${name}`);
const pgName = (uri) => (/^postgres(?:ql)?:\/\/[^/?]*\/([^?]*)/.exec(uri) || [])[1];
let dbSeq = 0;
const madeDbs = new Set();
process.on('exit', () => { for (const name of madeDbs) dropPg(name); });
function dropPg(name) {
  spawnSync(pgBin('dropdb'), ['--maintenance-db', PG, '--if-exists', '--force', name], { encoding: 'utf8' });
  madeDbs.delete(name);
}

// A store no one has used: a new PostgreSQL database's URI with YL_TEST_PG, else the file
// dir/name.db. Everything a test takes as --db (import, export, serve, user add) works on both.
function freshDb(dir, name = 'test') {
  if (!PG) return path.join(dir, `${name}.db`);
  const db = `yl_api_${process.pid}_${++dbSeq}`;
  const r = spawnSync(pgBin('createdb'), ['--maintenance-db', PG, db], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`createdb ${db}: ${r.stderr}`);
  madeDbs.add(db);
  return pgUri(db);
}

// Remove a store freshDb() made (best effort; a SQLite file goes with its directory).
function dropDb(db) {
  if (isPg(db) && madeDbs.has(pgName(db))) dropPg(pgName(db));
}

// Run SQL on a store behind yilian's back, as an operator would with sqlite3 or psql (one
// statement text for each backend: { sqlite, pg }). Returns spawnSync's result (stdout:
// unaligned rows, columns separated by '|', for both).
function storeSql(db, { sqlite, pg }) {
  if (isPg(db)) return spawnSync(pgBin('psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', pg], { encoding: 'utf8' });
  return spawnSync('sqlite3', [db, sqlite], { encoding: 'utf8' });
}

// Every test server has an administrator (ADMIN) added before it starts, and req() sends
// their session token unless told otherwise ({ auth: false } or an Authorization header).
const ADMIN = { username: 'test-admin', password: 'test-admin-password' };

// Add a user to a store with `yilian user add` (the password on stdin); ignores "taken".
function addUser(db, { username, password, role, practitioner, patient, organization }) {
  const args = ['user', 'add', '--db', db, '--username', username, '--role', role, '--password-stdin'];
  if (practitioner) args.push('--practitioner', practitioner);
  if (patient) args.push('--patient', patient);
  if (organization) args.push('--organization', organization);
  const r = spawnSync(BIN, args, { input: password + '\n', encoding: 'utf8' });
  if (r.status !== 0 && !/is taken/.test(r.stderr)) throw new Error(`user add: ${r.stderr}`);
  return r;
}

// Log in; returns the token (throws unless 200).
async function login(server, username, password) {
  const res = await fetch(server.base + '/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

// Add each of `users` ({username: {role, practitioner?, patient?, organization?}}) with
// `password` and log them in: their tokens (and 'admin', the harness's) and as(who, method,
// url, opts), req() with who's token at the time of the call.
async function loginAll(server, users, password) {
  const tokens = { admin: server.token };
  for (const [name, u] of Object.entries(users)) {
    addUser(server.db, { username: name, password, ...u });
    tokens[name] = await login(server, name, password);
  }
  const as = (who, method, url, opts = {}) =>
    req(server, method, url, { ...opts, headers: { ...(opts.headers || {}), Authorization: `Bearer ${tokens[who]}` } });
  return { tokens, as };
}

async function startServer(extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-api-'));
  let db;
  for (let i = 0; i + 1 < extraArgs.length; i++) if (extraArgs[i] === '--db') db = extraArgs[i + 1];
  const own = !db; // a store of its own, dropped when it stops; else the test's
  if (own) db = freshDb(dir);
  addUser(db, { ...ADMIN, role: 'admin' });
  const access = path.join(dir, 'access.log');
  const args = ['serve', '--db', db, '--listen', '127.0.0.1:0', '--access-log', access, ...extraArgs];
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + stderr)), 15000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on https?:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const server = {
    port, dir, db, access, child, exited,
    base: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const r = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      if (own) dropDb(db);
      return r;
    },
  };
  server.token = await login(server, ADMIN.username, ADMIN.password);
  server.auth = { Authorization: `Bearer ${server.token}` };
  return server;
}

// fetch wrapper: returns { status, headers, text, json }
async function req(server, method, url, { body, headers = {}, auth = true } = {}) {
  const h = { ...headers };
  if (auth && server.token && !Object.keys(h).some((k) => k.toLowerCase() === 'authorization')) {
    h.Authorization = `Bearer ${server.token}`;
  }
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    payload = JSON.stringify(body);
  }
  if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
    h['Content-Type'] = 'application/fhir+json';
  }
  const res = await fetch(server.base + url, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// Run tasks with bounded concurrency; returns results in order.
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// Assert an OperationOutcome with at least one error issue; returns the issues.
function outcomeIssues(assert, r, status) {
  assert.strictEqual(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json, 'error body is JSON');
  assert.strictEqual(r.json.resourceType, 'OperationOutcome');
  assert.ok(r.json.issue.length >= 1);
  assert.match(r.headers.get('content-type') || '', /application\/fhir\+json/);
  return r.json.issue;
}

// A resident identity number from its first 17 digits: the GB 11643-1999 check character
// (ISO 7064 MOD 11-2) appended.
function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

// A FHIR Parameters resource from {name: value}: numbers as valueDecimal, YYYY-MM-DD as
// valueDate, "Type/id" as valueReference, anything else as valueCode.
function params(p) {
  const parameter = [];
  for (const [name, v] of Object.entries(p)) {
    if (typeof v === 'number') parameter.push({ name, valueDecimal: v });
    else if (/^\d{4}-\d\d-\d\d$/.test(v)) parameter.push({ name, valueDate: v });
    else if (v.includes('/')) parameter.push({ name, valueReference: { reference: v } });
    else parameter.push({ name, valueCode: v });
  }
  return { resourceType: 'Parameters', parameter };
}

module.exports = {
  startServer, req, login, addUser, loginAll, ADMIN, pool, outcomeIssues, residentId, SHARED, ROOT, BIN,
  PG, isPg, pgBin, freshDb, dropDb, storeSql, params,
};
