// corpus.test.js -- real-data acceptance over HTTP.
//  * every official R4 example whose type is a resource is PUT (with its id) or POSTed and
//    read back equal to what was sent apart from meta.versionId/meta.lastUpdated; those the
//    specification's own rules reject (tests/unit/fhir/examples-rejected.txt) answer 422 with
//    an issue pointing at the offending element;
//  * every resource inside the Synthea bundles and NDJSON files in ../shared/data is accepted.
// YL_CORPUS=examples limits the run to the examples (used for the sanitizer build).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, req, pool, SHARED, ROOT } = require('./lib');

let srv;
test.before(async () => { srv = await startServer(['--threads', '4']); });
test.after(async () => { await srv.stop(); });

function stripServerMeta(r) {
  const c = structuredClone(r);
  if (c.meta) {
    delete c.meta.versionId;
    delete c.meta.lastUpdated;
    if (Object.keys(c.meta).length === 0) delete c.meta;
  }
  return c;
}

function rejectedList() {
  const f = path.join(ROOT, 'tests/unit/fhir/examples-rejected.txt');
  const m = new Map();
  if (!fs.existsSync(f)) return m;
  for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [file, expr, why] = line.split('\t');
    m.set(file, { expr, why });
  }
  return m;
}

test('official R4 examples: accepted and read back equal, or rejected precisely', async (t) => {
  const dir = path.join(SHARED, 'fhir-r4/examples');
  const meta = await req(srv, 'GET', '/fhir/metadata');
  const types = new Set(meta.json.rest[0].resource.map((r) => r.type));
  const rejected = rejectedList();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  let accepted = 0, refused = 0, skipped = 0;
  const failures = [];
  await pool(files, 4, async (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const res = JSON.parse(text);
    if (!types.has(res.resourceType)) { skipped++; return; }
    const url = res.id ? `/fhir/${res.resourceType}/${res.id}` : `/fhir/${res.resourceType}`;
    const w = await req(srv, res.id ? 'PUT' : 'POST', url, { body: text });
    const expect = rejected.get(file);
    if (expect) {
      if (w.status !== 422) { failures.push(`${file}: expected 422, got ${w.status}`); return; }
      const hit = w.json.issue.some((i) => (i.expression || []).some((e) => e.includes(expect.expr)));
      if (!hit) failures.push(`${file}: 422 without an issue at ${expect.expr}: ${w.text.slice(0, 300)}`);
      refused++;
      return;
    }
    if (w.status !== 200 && w.status !== 201) {
      failures.push(`${file}: ${w.status} ${w.text.slice(0, 400)}`);
      return;
    }
    const id = w.json.id;
    const r = await req(srv, 'GET', `/fhir/${res.resourceType}/${id}`);
    const sent = stripServerMeta({ ...res, id });
    try {
      assert.deepStrictEqual(stripServerMeta(r.json), sent);
      accepted++;
    } catch (e) {
      failures.push(`${file}: read back differs`);
    }
  });
  t.diagnostic(`examples: ${accepted} accepted and read back equal, ${refused} rejected as listed, ${skipped} not resources`);
  assert.deepStrictEqual(failures, []);
  assert.strictEqual(refused, rejected.size, 'every listed rejection was seen');
  assert.ok(accepted > 600, `accepted ${accepted}`);
});

test('Synthea bundles and bulk NDJSON: every resource accepted', { skip: process.env.YL_CORPUS === 'examples' }, async (t) => {
  const sdir = path.join(SHARED, 'data/synthea');
  const items = [];
  for (const f of fs.readdirSync(sdir).filter((x) => x.endsWith('.json')).sort()) {
    const b = JSON.parse(fs.readFileSync(path.join(sdir, f), 'utf8'));
    for (const e of b.entry || []) items.push(e.resource);
  }
  const bulkCount = { lines: 0 };
  const ndir = path.join(SHARED, 'data/synthea-bulk-ndjson');
  for (const f of fs.readdirSync(ndir).filter((x) => x.endsWith('.ndjson')).sort()) {
    for (const line of fs.readFileSync(path.join(ndir, f), 'utf8').split('\n')) {
      if (line.trim()) { items.push(JSON.parse(line)); bulkCount.lines++; }
    }
  }
  const failures = [];
  const byStatus = {};
  await pool(items, 8, async (res) => {
    const w = await req(srv, 'PUT', `/fhir/${res.resourceType}/${res.id}`, {
      body: JSON.stringify(res), headers: { Prefer: 'return=minimal' },
    });
    byStatus[w.status] = (byStatus[w.status] || 0) + 1;
    if (w.status !== 200 && w.status !== 201) failures.push(`${res.resourceType}/${res.id}: ${w.status} ${w.text.slice(0, 300)}`);
  });
  const distinct = new Set(items.map((r) => `${r.resourceType}/${r.id}`)).size;
  t.diagnostic(`synthea: ${items.length} resources PUT (${bulkCount.lines} from NDJSON), ${distinct} distinct, statuses ${JSON.stringify(byStatus)}`);
  assert.deepStrictEqual(failures.slice(0, 20), []);
  assert.strictEqual(byStatus[201], distinct, 'one create per distinct resource');
});
