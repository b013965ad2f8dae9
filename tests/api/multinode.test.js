// multinode.test.js -- PostgreSQL only (skipped without YL_TEST_PG): what a store shared by
// several `yilian serve` processes must give, through the real binary and a real cluster.
//  - Two nodes on one database: what is written on one is at once readable by id, found by
//    search and in _history on the other, and the other's population model (the team's
//    chronic-care worklists) follows within a second.
//  - PostgreSQL killed (SIGKILL) and restarted under a steady stream of writes, on a cluster
//    of the test's own: meanwhile every request is answered 503 with an OperationOutcome,
//    the node recovers by itself, and every write it acknowledged (201) is there after.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, req, ROOT, PG, params } = require('./lib');

const skip = PG ? false : 'PostgreSQL only: set YL_TEST_PG (tests/run.sh does)';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const ref = (r) => ({ reference: r });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const day = (n) => new Date(Date.now() + n * 864e5).toISOString().slice(0, 10);

async function ok(srv, method, url, body, status) {
  const r = await req(srv, method, url, { body });
  if (status) assert.strictEqual(r.status, status, `${method} ${url}: ${r.text}`);
  else assert.ok(r.status === 200 || r.status === 201, `${method} ${url}: ${r.status} ${r.text}`);
  return r;
}

// A family-doctor team t1 led by d1 at institution thc (as worklist.test.js builds it).
async function region(srv) {
  await ok(srv, 'PUT', '/fhir/Organization/thc', { resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await ok(srv, 'PUT', '/fhir/Practitioner/d1', { resourceType: 'Practitioner', id: 'd1', name: [{ text: 'd1' }] });
  await ok(srv, 'PUT', '/fhir/CareTeam/t1', {
    resourceType: 'CareTeam', id: 't1', status: 'active', name: 't1',
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: [{ role: [{ coding: [{ system: CS + 'practitioner-role', code: 'family-doctor' },
      { system: CS + 'care-team-role', code: 'lead' }] }], member: ref('Practitioner/d1') }],
    managingOrganization: [ref('Organization/thc')],
  });
}

// A 60-year-old with hypertension, contracted with t1 and d1 (not yet enrolled in the
// programme: on the "diagnosed but not enrolled" list until a first follow-up).
async function resident(srv, id, family) {
  await ok(srv, 'PUT', `/fhir/Patient/${id}`, { resourceType: 'Patient', id, gender: 'female',
    birthDate: `${new Date().getUTCFullYear() - 60}-01-01`, name: [{ family, text: family }],
    managingOrganization: ref('Organization/thc') });
  await ok(srv, 'PUT', `/fhir/Condition/${id}-I10`, { resourceType: 'Condition', id: `${id}-I10`,
    subject: ref(`Patient/${id}`), code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10' }] },
    onsetDateTime: day(-800) });
  await ok(srv, 'POST', '/fhir/EpisodeOfCare/$sign',
    params({ patient: `Patient/${id}`, team: 'CareTeam/t1', doctor: 'Practitioner/d1' }), 201);
}

async function listed(srv, list) {
  const r = await req(srv, 'GET', `/fhir/CareTeam/t1/$worklist?list=${list}&programme=hypertension`);
  assert.strictEqual(r.status, 200, r.text);
  return (r.json.entry || []).map((e) => e.resource.id);
}

// Poll until cond() holds; fails after ms. Returns how long it took.
async function within(ms, what, cond) {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

test('two nodes on one database: a write on one is read, found and in _history on the other at once; its worklists follow within a second', { skip }, async (t) => {
  const a = await startServer(['--seed-data']);
  let b;
  try {
    b = await startServer(['--db', a.db]);
    await region(a);
    await resident(a, 'mn-1', 'Duanmu');

    // at once on B: read by id, search, history (no waiting)
    const read = await req(b, 'GET', '/fhir/Patient/mn-1');
    assert.strictEqual(read.status, 200, read.text);
    assert.strictEqual(read.json.name[0].family, 'Duanmu');
    const found = await req(b, 'GET', '/fhir/Patient?family=duanmu');
    assert.strictEqual(found.status, 200, found.text);
    assert.deepStrictEqual((found.json.entry || []).map((e) => e.resource.id), ['mn-1']);
    const hist = await req(b, 'GET', '/fhir/Patient/mn-1/_history');
    assert.strictEqual(hist.status, 200, hist.text);
    assert.deepStrictEqual(hist.json.entry.map((e) => e.resource.meta.versionId), ['1']);
    const sys = await req(b, 'GET', '/fhir/_history?_count=50');
    assert.ok(sys.json.entry.some((e) => e.resource.resourceType === 'EpisodeOfCare'), 'the contract A signed is in B\'s system history');

    // B's population model: the resident is diagnosed and not enrolled, then, after a first
    // uncontrolled visit recorded on A 20 days ago (two-week follow-up, 6 days late), overdue
    const notEnrolled = await within(1000, 'not-enrolled on B', async () => (await listed(b, 'not-enrolled')).includes('mn-1'));
    await ok(a, 'POST', '/fhir/Patient/mn-1/$record-followup',
      params({ programme: 'hypertension', date: day(-20), sbp: 152, dbp: 96 }), 200);
    const overdue = await within(1000, 'overdue on B', async () => (await listed(b, 'overdue')).includes('mn-1'));
    assert.ok(!(await listed(b, 'not-enrolled')).includes('mn-1'), 'enrolled by the visit');
    t.diagnostic(`B's worklists followed A in ${notEnrolled} ms and ${overdue} ms`);

    // and the other way round: B writes, A reads at once and its worklist follows
    await resident(b, 'mn-2', 'Ouyang');
    assert.strictEqual((await req(a, 'GET', '/fhir/Patient/mn-2')).status, 200);
    assert.strictEqual((await req(a, 'GET', '/fhir/Patient?family=ouyang')).json.entry.length, 1);
    await within(1000, 'not-enrolled on A', async () => (await listed(a, 'not-enrolled')).includes('mn-2'));
  } finally {
    if (b) await b.stop();
    await a.stop();
  }
});

test('PostgreSQL killed and restarted under load: 503 OperationOutcomes meanwhile, the node recovers by itself, no acknowledged write lost', { skip, timeout: 180000 }, async (t) => {
  // a cluster of this test's own: the suite's shared one is not disturbed
  const dir = fs.mkdtempSync('/tmp/yl-pgk.');
  const cluster = (...args) => {
    const r = spawnSync(path.join(ROOT, 'scripts/pg-cluster.sh'), [args[0], dir, ...args.slice(1)], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, `pg-cluster.sh ${args[0]}: ${r.stderr}`);
    return r.stdout.trim();
  };
  let srv;
  let stop = false; // the writers' loop (also when an assertion ends the test early)
  try {
    const uri = cluster('start', 'fast');
    srv = await startServer(['--db', uri]);
    const pid = srv.child.pid;
    let phase = 'up';
    const seen = { up: {}, down: {}, back: {} };
    const bad = []; // answers that are neither 201 nor a FHIR 503
    const acked = [];
    let lastFail = 0;
    const note = (status) => { seen[phase][status] = (seen[phase][status] || 0) + 1; };
    async function writer(w) {
      for (let i = 0; !stop; i++) {
        const at = phase;
        let r;
        try {
          r = await req(srv, 'POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: `Load${w}x${i}` }], gender: 'other' } });
        } catch (e) {
          bad.push(`${at}: no HTTP answer (${e.cause?.code || e.message})`);
          await sleep(50);
          continue;
        }
        note(r.status);
        if (r.status === 201) {
          acked.push(r.json.id);
          continue;
        }
        lastFail = Date.now();
        const fhir = /application\/fhir\+json/.test(r.headers.get('content-type') || '');
        if (r.status !== 503 || !fhir || r.json?.resourceType !== 'OperationOutcome' || !r.json.issue?.length)
          bad.push(`${at}: ${r.status} ${r.headers.get('content-type')} ${r.text.slice(0, 200)}`);
        await sleep(20); // no busy loop while it is down
      }
    }
    const writers = [0, 1, 2, 3].map(writer);
    await sleep(1000);
    cluster('kill');
    phase = 'down';
    await sleep(2500);
    // a read while it is down is a FHIR 503 too
    const down = await req(srv, 'GET', `/fhir/Patient/${acked[0]}`);
    assert.strictEqual(down.status, 503, down.text);
    assert.strictEqual(down.json?.resourceType, 'OperationOutcome', down.text);
    cluster('restart');
    phase = 'back';
    const restarted = Date.now();
    // recovered: a full second of nothing but 201s, within 15 s of the restart
    await within(15000, 'writes succeed again', async () => lastFail < Date.now() - 1000 && (seen.back[201] || 0) > 0);
    const recovery = Math.max(0, lastFail - restarted);
    await sleep(500); // and a little more of the load on the recovered node
    stop = true;
    await Promise.all(writers);
    t.diagnostic(`answers up ${JSON.stringify(seen.up)}, down ${JSON.stringify(seen.down)}, back ${JSON.stringify(seen.back)}; last failure ${recovery} ms after the restart`);
    assert.deepStrictEqual(bad.slice(0, 10), [], `${bad.length} answers neither 201 nor a FHIR 503`);
    assert.ok(seen.up[201] > 0, 'writes succeeded before the kill');
    assert.ok(seen.down[503] > 0, 'writes were refused with 503 while PostgreSQL was down');
    assert.strictEqual(srv.child.exitCode, null, 'yilian kept running');
    assert.strictEqual(srv.child.pid, pid);

    // every acknowledged write is there
    const missing = [];
    for (let i = 0; i < acked.length; i += 16) {
      await Promise.all(acked.slice(i, i + 16).map(async (id) => {
        const r = await req(srv, 'GET', `/fhir/Patient/${id}`);
        if (r.status !== 200) missing.push(`${id}: ${r.status}`);
      }));
    }
    assert.deepStrictEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged writes missing`);
    const count = await req(srv, 'GET', '/fhir/Patient?_summary=count');
    assert.strictEqual(count.status, 200, count.text);
    assert.ok(count.json.total >= acked.length, `${count.json.total} Patients found, ${acked.length} acknowledged`);
  } finally {
    stop = true;
    if (srv) await srv.stop();
    spawnSync(path.join(ROOT, 'scripts/pg-cluster.sh'), ['stop', dir], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
