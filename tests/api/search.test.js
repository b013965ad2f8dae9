// search.test.js -- the FHIR search conformance suite, run over HTTP against a real server.
//
// tests/data/search/fixtures.json is loaded with PUT /fhir/{type}/{id}, in file order (so
// creation order is file order); tests/data/search/setup.json then deletes what it lists
// ({"delete": ["Type/id", ...]}: includes of deleted targets, deleted resources not found).
// Every case of tests/data/search/cases.json is one test, named by its `why`:
//
//   type, query    GET /fhir/{type}?{query} (query raw, URL-encoded where needed; "{base}"
//                  is replaced by the server's base URL, e.g. http://127.0.0.1:PORT/fhir)
//   path           optional: GET {path}?{query} instead ("/fhir" system search,
//                  "/fhir/Patient/p1/Observation" compartment search)
//   post           POST {path or /fhir/{type}}/_search with the query as a form body
//   strict         send Prefer: handling=strict
//   expect         ids of the entries with search.mode "match", as a set; an element with a
//                  "/" is compared with "Type/id" (system search). Every next link is
//                  followed (up to 50 pages) unless no_paging is true.
//   ordered        compare expect in order (_sort)
//   include        "Type/id" of the entries with search.mode "include", as a set; absent:
//                  there must be no include entries
//   total          Bundle.total (of the first page)
//   count_only     _summary=count: no entries at all
//   error          a 400 OperationOutcome with an issue whose expression (or diagnostics)
//                  names this parameter
//
// Then a few tests that are not table rows: paging while writes happen and the previous
// link, the self link, _summary/_elements, and injection attempts for every parameter type.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, req } = require('./lib');

const DATA = path.join(__dirname, '..', 'data', 'search');
const readJson = (f) => JSON.parse(fs.readFileSync(path.join(DATA, f), 'utf8'));
const fixtures = readJson('fixtures.json');
const cases = readJson('cases.json');
const setup = fs.existsSync(path.join(DATA, 'setup.json')) ? readJson('setup.json') : {};
const deleted = new Set(setup.delete || []);

const MAX_PAGES = 50;
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

let srv;

test.before(async () => {
  // the fixtures are plain FHIR: no RiskAssessments of the server's own among them
  srv = await startServer(['--risk-tiers', 'off']);
  for (const r of fixtures) {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    if (res.status !== 201) throw new Error(`fixture ${r.resourceType}/${r.id}: ${res.status} ${res.text}`);
  }
  for (const ref of setup.delete || []) {
    const res = await req(srv, 'DELETE', `/fhir/${ref}`);
    if (res.status !== 200 && res.status !== 204) throw new Error(`setup DELETE ${ref}: ${res.status} ${res.text}`);
  }
});
test.after(async () => { await srv.stop(); });

// A link URL from a Bundle as a request target on this server.
function target(url) {
  const u = new URL(url);
  return u.pathname + u.search;
}
const linkOf = (bundle, rel) => (bundle.link || []).find((l) => l.relation === rel);
const mode = (e) => (e.search && e.search.mode) || 'match';
const ref = (e) => `${e.resource.resourceType}/${e.resource.id}`;

function assertBundle(r, what) {
  assert.strictEqual(r.status, 200, `${what}: expected 200, got ${r.status}: ${r.text.slice(0, 600)}`);
  assert.ok(r.json, `${what}: the answer is JSON`);
  assert.strictEqual(r.json.resourceType, 'Bundle', `${what}: a Bundle`);
  assert.strictEqual(r.json.type, 'searchset', `${what}: a searchset`);
}

// Every page of a search: the first answer, then each next link. Returns the pages' bundles.
async function pages(first, url, follow) {
  const out = [first.json];
  let next = follow && linkOf(first.json, 'next');
  const seen = new Set([url]);
  while (next) {
    assert.ok(out.length < MAX_PAGES, `more than ${MAX_PAGES} pages from ${url}`);
    const t = target(next.url);
    assert.ok(!seen.has(t), `next link repeats an earlier page: ${t}`);
    seen.add(t);
    const r = await req(srv, 'GET', t);
    assertBundle(r, `next page ${t}`);
    out.push(r.json);
    next = linkOf(r.json, 'next');
  }
  return out;
}

function issueNames(issue, name) {
  const expr = [].concat(issue.expression || [], issue.location || []);
  return expr.some((x) => String(x).includes(name)) ||
    String(issue.diagnostics || '').includes(name);
}

async function runCase(c) {
  const base = c.path || `/fhir/${c.type}`;
  const query = (c.query || '').split('{base}').join(`${srv.base}/fhir`);
  const headers = c.strict ? { Prefer: 'handling=strict' } : {};
  let url;
  let r;
  if (c.post) {
    url = `${base}/_search`;
    r = await req(srv, 'POST', url, {
      body: query,
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
  } else {
    url = query ? `${base}?${query}` : base;
    r = await req(srv, 'GET', url, { headers });
  }
  const what = `${c.post ? 'POST' : 'GET'} ${url}${c.post ? ` [${query}]` : ''}`;

  if (c.error !== undefined) {
    assert.strictEqual(r.status, 400, `${what}: expected 400 naming '${c.error}', got ${r.status}: ${r.text.slice(0, 600)}`);
    assert.ok(r.json && r.json.resourceType === 'OperationOutcome', `${what}: an OperationOutcome`);
    assert.ok((r.json.issue || []).some((i) => issueNames(i, c.error)),
      `${what}: no issue names '${c.error}': ${r.text.slice(0, 600)}`);
    return;
  }

  assertBundle(r, what);
  if (c.total !== undefined)
    assert.strictEqual(r.json.total, c.total, `${what}: Bundle.total`);
  if (c.count_only) {
    assert.ok(!r.json.entry || r.json.entry.length === 0, `${what}: _summary=count has no entries`);
    return;
  }
  const bundles = await pages(r, url, !c.no_paging);
  const matches = bundles.flatMap((b) => (b.entry || []).filter((e) => mode(e) === 'match'));
  // an included resource appears once per page (bdl-7), and may reappear on a later page
  const gotInc = [];
  for (const b of bundles) {
    const onPage = (b.entry || []).map(ref);
    assert.strictEqual(new Set(onPage).size, onPage.length, `${what}: a resource twice on one page: ${onPage}`);
    for (const e of b.entry || []) if (mode(e) === 'include' && !gotInc.includes(ref(e))) gotInc.push(ref(e));
  }
  const expect = c.expect || [];
  const typed = expect.some((x) => x.includes('/'));
  const got = matches.map((e) => (typed ? ref(e) : e.resource.id));
  const detail = `${what}\n  got      ${JSON.stringify(got)}\n  expected ${JSON.stringify(expect)}`;
  if (c.ordered) assert.deepStrictEqual(got, expect, detail);
  else assert.deepStrictEqual([...got].sort(), [...expect].sort(), detail);

  const wantInc = c.include || [];
  assert.deepStrictEqual([...gotInc].sort(), [...wantInc].sort(),
    `${what}: include entries\n  got      ${JSON.stringify(gotInc)}\n  expected ${JSON.stringify(wantInc)}`);
}

test('every case has a unique why and a known form', () => {
  const whys = new Set();
  for (const c of cases) {
    assert.ok(c.why && !whys.has(c.why), `duplicate or missing why: ${c.why}`);
    whys.add(c.why);
    assert.ok(c.type || c.path, `${c.why}: type or path`);
    assert.ok(c.error !== undefined || c.expect || c.count_only, `${c.why}: expect, error or count_only`);
  }
});

for (const c of cases) test(c.why, () => runCase(c));

// ---- not table rows ------------------------------------------------------------------

async function ids(url) {
  const r = await req(srv, 'GET', url);
  assertBundle(r, url);
  return { bundle: r.json, ids: (r.json.entry || []).filter((e) => mode(e) === 'match').map((e) => e.resource.id) };
}

test('paging: _count=2 walks the same ids, in the same order, as one page', async () => {
  const one = await ids('/fhir/Observation?_count=100');
  assert.strictEqual(one.ids.length, fixtures.filter((f) => f.resourceType === 'Observation').length);
  const first = await req(srv, 'GET', '/fhir/Observation?_count=2');
  assertBundle(first, 'page 1');
  const walked = (await pages(first, '/fhir/Observation?_count=2', true))
    .flatMap((b) => (b.entry || []).map((e) => e.resource.id));
  assert.deepStrictEqual(walked, one.ids);
  assert.strictEqual(new Set(walked).size, walked.length, 'no duplicates');
});

test('paging: a create between page 1 and page 2 neither duplicates nor skips an old match', async () => {
  const before = (await ids('/fhir/Observation?_count=100')).ids;
  const first = await req(srv, 'GET', '/fhir/Observation?_count=2');
  assertBundle(first, 'page 1');
  const created = await req(srv, 'POST', '/fhir/Observation', {
    body: {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-06-01', valueQuantity: { value: 6.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    },
  });
  assert.strictEqual(created.status, 201, created.text);
  try {
    const walked = (await pages(first, '/fhir/Observation?_count=2', true))
      .flatMap((b) => (b.entry || []).map((e) => e.resource.id));
    assert.strictEqual(new Set(walked).size, walked.length, `no duplicates: ${walked}`);
    const old = walked.filter((id) => id !== created.json.id);
    assert.deepStrictEqual(old, before, 'every old match exactly once, in order');
  } finally {
    const d = await req(srv, 'DELETE', `/fhir/Observation/${created.json.id}`);
    assert.ok(d.status === 200 || d.status === 204, d.text);
  }
});

test('a patient\'s code: found whether the subject is Patient/X or this server\'s absolute URL for X', async () => {
  // the token index is searched by (code, patient); a resource that names its patient by
  // an absolute URL has no patient on its rows and must be found all the same
  const made = [];
  for (const reference of ['Patient/p1', `${srv.base}/fhir/Patient/p1`, 'Patient/p2']) {
    const r = await req(srv, 'POST', '/fhir/Observation', {
      body: {
        resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
        subject: { reference }, effectiveDateTime: '2026-02-01', valueQuantity: { value: 5.2, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      },
    });
    assert.strictEqual(r.status, 201, r.text);
    made.push(r.json.id);
  }
  try {
    const got = (await ids('/fhir/Observation?subject=Patient/p1&code=http://loinc.org|2339-0')).ids.sort();
    assert.deepStrictEqual(got, made.slice(0, 2).sort());
    const sorted = (await ids('/fhir/Observation?subject=Patient/p1&code=http://loinc.org|2339-0&_sort=-date&_count=1')).ids;
    assert.strictEqual(sorted.length, 1);
    assert.ok(made.slice(0, 2).includes(sorted[0]), `${sorted} is p1's`);
    assert.deepStrictEqual((await ids('/fhir/Observation?subject=Patient/p2&code=http://loinc.org|2339-0')).ids, [made[2]]);
  } finally {
    for (const id of made) await req(srv, 'DELETE', `/fhir/Observation/${id}`);
  }
});

test('paging: the previous link of page 2 gives page 1 again', async () => {
  const p1 = await ids('/fhir/Observation?_count=3');
  const next = linkOf(p1.bundle, 'next');
  assert.ok(next, 'page 1 has a next link');
  const p2 = await ids(target(next.url));
  assert.notDeepStrictEqual(p2.ids, p1.ids);
  const prev = linkOf(p2.bundle, 'previous') || linkOf(p2.bundle, 'prev');
  assert.ok(prev, `page 2 has a previous link: ${JSON.stringify(p2.bundle.link)}`);
  const back = await ids(target(prev.url));
  assert.deepStrictEqual(back.ids, p1.ids);
});

test('self link: keeps the parameters that took effect and leaves out unknown ones', async () => {
  const r = await ids('/fhir/Patient?foo=bar&gender=male');
  assert.deepStrictEqual(r.ids.sort(), ['p2', 'p6']);
  const self = new URL(linkOf(r.bundle, 'self').url);
  assert.strictEqual(self.searchParams.get('gender'), 'male');
  assert.strictEqual(self.searchParams.has('foo'), false, `self link ${self}`);
  const strict = await req(srv, 'GET', '/fhir/Patient?foo=bar&gender=male', { headers: { Prefer: 'handling=strict' } });
  assert.strictEqual(strict.status, 400, strict.text);
  assert.strictEqual(strict.json.resourceType, 'OperationOutcome');
  assert.ok(strict.json.issue.some((i) => issueNames(i, 'foo')), strict.text);
});

function assertSubsetted(res, what) {
  const tags = (res.meta && res.meta.tag) || [];
  assert.ok(tags.some((t) => t.system === SUBSETTED.system && t.code === SUBSETTED.code),
    `${what}: meta.tag has SUBSETTED: ${JSON.stringify(res.meta)}`);
}
async function onlyResource(url) {
  const r = await req(srv, 'GET', url);
  assertBundle(r, url);
  const m = (r.json.entry || []).filter((e) => mode(e) === 'match');
  assert.strictEqual(m.length, 1, `${url}: one match`);
  return m[0].resource;
}
const keysOf = (res) => Object.keys(res).sort();

test('_summary=true: summary elements only, id kept, SUBSETTED', async () => {
  const p = await onlyResource('/fhir/Patient?_id=p5&_summary=true');
  assert.strictEqual(p.id, 'p5');
  assertSubsetted(p, '_summary=true');
  for (const k of ['identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'address', 'managingOrganization'])
    assert.ok(k in p, `summary element ${k} kept: ${keysOf(p)}`);
  // R4 leaves communication and generalPractitioner out too; yilian keeps what a search
  // parameter indexes, because the isSummary flags are not in the definitions it is
  // generated from (docs/api.md, Search)
  for (const k of ['text', 'contact', 'maritalStatus', 'photo'])
    assert.ok(!(k in p), `non-summary element ${k} left out: ${keysOf(p)}`);
});

test('_summary=text: text, id, meta and mandatory top-level elements only', async () => {
  const p = await onlyResource('/fhir/Patient?_id=p5&_summary=text');
  assert.strictEqual(p.id, 'p5');
  assertSubsetted(p, '_summary=text');
  assert.ok(p.text && p.text.div, 'the narrative is kept');
  for (const k of Object.keys(p)) assert.ok(['resourceType', 'id', 'meta', 'text', 'implicitRules', 'language'].includes(k), `unexpected ${k}`);
  const o = await onlyResource('/fhir/Observation?_id=o1&_summary=text');
  assert.strictEqual(o.id, 'o1');
  // mandatory complex elements are kept; mandatory primitives (status) are not known to
  // fhir.schema.json, which yilian's definitions come from (docs/api.md, Search)
  assert.ok(o.code, 'mandatory code kept');
  for (const k of ['valueQuantity', 'subject', 'effectiveDateTime']) assert.ok(!(k in o), `${k} left out`);
});

test('_summary=data: everything but the narrative', async () => {
  const p = await onlyResource('/fhir/Patient?_id=p5&_summary=data');
  assert.strictEqual(p.id, 'p5');
  assertSubsetted(p, '_summary=data');
  assert.ok(!('text' in p), 'text left out');
  for (const k of ['name', 'communication', 'generalPractitioner', 'address']) assert.ok(k in p, `${k} kept`);
});

test('_elements=name,birthDate: only those, id and meta kept, SUBSETTED', async () => {
  const p = await onlyResource('/fhir/Patient?_id=p5&_elements=name,birthDate');
  assert.strictEqual(p.id, 'p5');
  assertSubsetted(p, '_elements');
  assert.deepStrictEqual(p.name, fixtures.find((f) => f.id === 'p5').name);
  assert.strictEqual(p.birthDate, '1975-06');
  for (const k of Object.keys(p)) assert.ok(['resourceType', 'id', 'meta', 'name', 'birthDate'].includes(k), `unexpected ${k}`);
});

test('_summary=count: total and no entries', async () => {
  const r = await req(srv, 'GET', '/fhir/Patient?gender=female&_summary=count');
  assertBundle(r, '_summary=count');
  assert.strictEqual(r.json.total, 4);
  assert.ok(!r.json.entry || r.json.entry.length === 0);
});

test('injection: hostile values for every parameter type are data, never a 500', async () => {
  const count = async () => {
    const r = await req(srv, 'GET', '/fhir/_history?_summary=count');
    assert.strictEqual(r.status, 200, r.text);
    return r.json.total;
  };
  const before = await count();
  const values = [
    "'", "' OR 1=1 --", "' OR '1'='1", '"); DROP TABLE resource; --', "'); DELETE FROM resource; --",
    '%', '_', '\\', '*', '\u0000', 'a\u0000b', "x' UNION SELECT * FROM sqlite_master --",
    'a'.repeat(4000), "' OR 1=1 --".repeat(300),
  ];
  // [type, parameter, prefix to the hostile value, is it a filter (no match expected)]
  const params = [
    ['Patient', 'gender', '', true], ['Patient', 'identifier', 'urn:x|', true],
    ['Patient', 'name', '', true], ['Patient', 'family:exact', '', true], ['Patient', 'name:contains', '', true],
    ['Patient', 'birthdate', '', true], ['Patient', 'birthdate', 'ge', true],
    ['RiskAssessment', 'probability', '', true], ['RiskAssessment', 'probability', 'gt', true],
    ['Observation', 'value-quantity', '999|http://unitsofmeasure.org|', true],
    ['Observation', 'value-quantity', '', true],
    ['Observation', 'subject', 'Patient/', true], ['Observation', 'subject', '', true],
    ['Observation', 'subject:Patient.name', '', true], ['Patient', '_has:Observation:subject:code', '', true],
    ['ValueSet', 'url', '', true], ['ValueSet', 'url:below', '', true],
    ['Observation', 'code-value-quantity', 'http://loinc.org|4548-4$', true],
    ['Observation', 'component-code-value-quantity', '', true],
    ['Observation', 'code:text', '', true], ['Condition', 'code:in', '', true],
    ['Patient', '_id', '', true], ['Patient', '_tag', '', true],
    ['Patient', '_sort', '', false], ['Patient', '_include', 'Patient:', false], ['Patient', '_include', '', false],
    ['Patient', '_revinclude', '', false], ['Patient', '_count', '', false], ['Patient', '_elements', '', false],
  ];
  const fixtureIds = new Set(fixtures.map((f) => f.id));
  const problems = [];
  for (const [type, name, prefix, filter] of params) {
    for (const v of values) {
      const url = `/fhir/${type}?${name}=${encodeURIComponent(prefix + v)}`;
      const r = await req(srv, 'GET', url);
      const short = url.length > 160 ? `${url.slice(0, 160)}...` : url;
      if (r.status === 400) {
        if (!r.json || r.json.resourceType !== 'OperationOutcome') problems.push(`${short}: 400 without an OperationOutcome`);
        continue;
      }
      if (r.status !== 200 || !r.json || r.json.resourceType !== 'Bundle') {
        problems.push(`${short}: ${r.status} ${r.text.slice(0, 200)}`);
        continue;
      }
      const m = (r.json.entry || []).filter((e) => mode(e) === 'match');
      if (filter && m.length) problems.push(`${short}: ${m.length} matches`);
      if (!filter && m.some((e) => !fixtureIds.has(e.resource.id))) problems.push(`${short}: unknown resources`);
    }
  }
  assert.deepStrictEqual(problems, []);
  for (const f of fixtures) {
    const key = `${f.resourceType}/${f.id}`;
    const r = await req(srv, 'GET', `/fhir/${key}`);
    assert.strictEqual(r.status, deleted.has(key) ? 410 : 200, `${key} still readable: ${r.status}`);
  }
  assert.strictEqual(await count(), before, 'no change in the history');
});
