// clients.test.js -- real FHIR client libraries against a real server: fhir-kit-client and
// fhirclient (SMART on FHIR JS) search yilian with every search parameter type, page through
// results with the Bundle's links, and read the CapabilityStatement. The packages are pinned
// in package.json / package-lock.json and installed by `scripts/deps.sh test` (npm ci).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req } = require('./lib');

// The packages live in the repo root's node_modules (found from tests/api by node's usual
// lookup); a clear message if they were never installed: the tests download nothing.
async function load(name, how) {
  try {
    return await how();
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`npm package '${name}' is not installed: run scripts/deps.sh test (npm ci)`);
  }
}

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const RESIDENT_ID = 'urn:oid:2.16.156.10011.1.2'; // PRC resident identity card number

// Test data, loaded with plain HTTP (PUT with client ids, so the expected ids are readable).
function patient(id, family, given, gender, birthDate, city, ident) {
  return {
    resourceType: 'Patient', id,
    identifier: [{ system: RESIDENT_ID, value: ident }],
    name: [{ use: 'official', family, given: [given] }],
    gender, birthDate,
    address: [{ use: 'home', city, country: 'CN' }],
  };
}
const PATIENTS = [
  patient('p1', 'Wang', 'Fang', 'female', '1956-03-08', 'Beijing', '110101195603080021'),
  patient('p2', 'Wang', 'Wei', 'male', '1949-12-31', 'Beijing', '110101194912310018'),
  patient('p3', 'Wanger', 'Tao', 'male', '1959-12-31', 'Tianjin', '120101195912310015'),
  patient('p4', 'Huang', 'Li', 'female', '1968-05-20', 'Chengdu', '510104196805200029'),
  patient('p5', 'Wang', 'Xiu', 'male', '1975-07-01', 'Chengdu', '510104197507010031'),
  patient('p6', 'Wang', 'Jun', 'other', '1990-11-11', 'Tianjin', '120101199011110047'),
  patient('p7', 'Li', 'Na', 'female', '1962-02-14', 'Beijing', '110101196202140023'),
];
const PRACTITIONER = {
  resourceType: 'Practitioner', id: 'pr1',
  identifier: [{ system: 'urn:oid:2.16.156.10011.1.4', value: 'D110000001' }],
  name: [{ family: 'Zhang', given: ['Min'] }],
  gender: 'female',
};
function obs(id, subject, code, display, when, value, extra = {}) {
  const o = {
    resourceType: 'Observation', id, status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category',
      code: extra.category || 'laboratory' }] }],
    code: { coding: [{ system: LOINC, code, display }] },
    subject: { reference: `Patient/${subject}` },
    effectiveDateTime: when,
    performer: [{ reference: 'Practitioner/pr1' }],
  };
  if (value) o.valueQuantity = { value: value[0], unit: value[1], system: UCUM, code: value[1] };
  if (extra.profile) o.meta = { profile: [extra.profile] };
  if (extra.components) o.component = extra.components;
  if (extra.encounter) o.encounter = { reference: `Encounter/${extra.encounter}` };
  return o;
}
function bpComponents(sys, dia) {
  return [
    { code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
      valueQuantity: { value: sys, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] },
      valueQuantity: { value: dia, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
  ];
}
const HBA1C = 'Hemoglobin A1c/Hemoglobin.total in Blood';
const BP_PROFILE = 'http://hl7.org/fhir/StructureDefinition/bp';
const WEIGHT_PROFILE = 'http://hl7.org/fhir/StructureDefinition/bodyweight';
const OBSERVATIONS = [
  obs('o1', 'p1', '4548-4', HBA1C, '2024-03-01T09:00:00+08:00', [7.5, '%']),
  obs('o2', 'p1', '4548-4', HBA1C, '2024-09-01T09:00:00+08:00', [6.8, '%']),
  obs('o3', 'p2', '4548-4', HBA1C, '2025-02-01T09:00:00+08:00', [8.2, '%']),
  obs('o4', 'p2', '2339-0', 'Glucose [Mass/volume] in Blood', '2024-06-01T07:30:00+08:00',
    [126, 'mg/dL']),
  obs('o5', 'p1', '85354-9', 'Blood pressure panel', '2024-05-05T08:20:00+08:00', null,
    { category: 'vital-signs', profile: BP_PROFILE, components: bpComponents(150, 95),
      encounter: 'e1' }),
  obs('o6', 'p2', '85354-9', 'Blood pressure panel', '2025-06-01T10:00:00+08:00', null,
    { category: 'vital-signs', profile: BP_PROFILE, components: bpComponents(128, 82) }),
  obs('o7', 'p5', '29463-7', 'Body weight', '2023-01-01T10:00:00+08:00', [70, 'kg'],
    { category: 'vital-signs', profile: WEIGHT_PROFILE }),
];
const ENCOUNTER = {
  resourceType: 'Encounter', id: 'e1', status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: 'Patient/p1' },
  participant: [{ individual: { reference: 'Practitioner/pr1' } }],
  period: { start: '2024-05-05T08:00:00+08:00', end: '2024-05-05T09:30:00+08:00' },
};
function risk(id, subject, probability) {
  return {
    resourceType: 'RiskAssessment', id, status: 'final',
    subject: { reference: `Patient/${subject}` },
    prediction: [{ outcome: { text: 'stroke within 10 years' }, probabilityDecimal: probability }],
  };
}
const RISKS = [risk('r1', 'p1', 0.82), risk('r2', 'p2', 0.2), risk('r3', 'p5', 0.5)];
const ALL = [...PATIENTS, PRACTITIONER, ENCOUNTER, ...OBSERVATIONS, ...RISKS];

// Every search, with the ids FHIR R4 search semantics select from the data above.
const SEARCHES = [
  // token
  ['token gender', 'Patient', { gender: 'female' }, ['p1', 'p4', 'p7']],
  ['token identifier system|value', 'Patient',
    { identifier: `${RESIDENT_ID}|510104197507010031` }, ['p5']],
  ['token code system|code', 'Observation', { code: `${LOINC}|4548-4` }, ['o1', 'o2', 'o3']],
  ['token code, two values (OR)', 'Observation', { code: `${LOINC}|2339-0,${LOINC}|29463-7` },
    ['o4', 'o7']],
  // string: default is case-insensitive starts-with on any part of the name
  ['string name', 'Patient', { name: 'wang' }, ['p1', 'p2', 'p3', 'p5', 'p6']],
  ['string name:exact', 'Patient', { 'name:exact': 'Wang' }, ['p1', 'p2', 'p5', 'p6']],
  ['string name:exact is case-sensitive', 'Patient', { 'name:exact': 'wang' }, []],
  ['string name:contains', 'Patient', { 'name:contains': 'ang' },
    ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']],
  ['string address-city', 'Patient', { 'address-city': 'chengdu' }, ['p4', 'p5']],
  // date
  ['date birthdate=ge', 'Patient', { birthdate: 'ge1960-01-01' }, ['p4', 'p5', 'p6', 'p7']],
  ['date birthdate range (AND)', 'Patient', { birthdate: ['ge1950', 'lt1960'] }, ['p1', 'p3']],
  ['date date=lt (Observation.effective)', 'Observation', { date: 'lt2025' },
    ['o1', 'o2', 'o4', 'o5', 'o7']],
  ['date date=eq day (Encounter.period)', 'Encounter', { date: '2024-05-05' }, ['e1']],
  // number
  ['number probability=gt', 'RiskAssessment', { probability: 'gt0.5' }, ['r1']],
  ['number probability=ge', 'RiskAssessment', { probability: 'ge0.5' }, ['r1', 'r3']],
  // quantity
  ['quantity value-quantity=gt with UCUM system', 'Observation',
    { 'value-quantity': `gt7|${UCUM}|%` }, ['o1', 'o3']],
  ['quantity value-quantity=le, unit code only', 'Observation',
    { 'value-quantity': 'le70||kg' }, ['o7']],
  // reference
  ['reference subject=Patient/p1', 'Observation', { subject: 'Patient/p1' }, ['o1', 'o2', 'o5']],
  ['reference patient=id', 'Observation', { patient: 'p2' }, ['o3', 'o4', 'o6']],
  ['reference encounter', 'Observation', { encounter: 'Encounter/e1' }, ['o5']],
  ['reference Encounter.subject', 'Encounter', { subject: 'Patient/p1' }, ['e1']],
  // uri
  ['uri _profile', 'Observation', { _profile: WEIGHT_PROFILE }, ['o7']],
  ['uri _profile (bp)', 'Observation', { _profile: BP_PROFILE }, ['o5', 'o6']],
  // composite
  ['composite component-code-value-quantity', 'Observation',
    { 'component-code-value-quantity': `${LOINC}|8480-6$gt140` }, ['o5']],
  ['composite code-value-quantity', 'Observation',
    { 'code-value-quantity': `${LOINC}|4548-4$ge7.5` }, ['o1', 'o3']],
  // several parameters together (AND)
  ['token + date + reference', 'Observation',
    { code: `${LOINC}|4548-4`, date: 'ge2024-06-01', subject: 'Patient/p1' }, ['o2']],
];

const ids = (bundle) => (bundle.entry || []).map((e) => e.resource.id).sort();
const link = (bundle, rel) => (bundle.link || []).find((l) => l.relation === rel);
const prevLink = (bundle) => (bundle.link || []).find((l) => /^prev(ious)?$/.test(l.relation));

let srv;
let base;
test.before(async () => {
  srv = await startServer();
  base = `${srv.base}/fhir`;
  for (const r of ALL) {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.strictEqual(res.status, 201, `loading ${r.resourceType}/${r.id}: ${res.text}`);
  }
});
test.after(async () => { if (srv) await srv.stop(); });

test('fhir-kit-client', async (t) => {
  // fhir-kit-client 2.x is an ES module only
  const { Client } = await load('fhir-kit-client', () => import('fhir-kit-client'));
  const client = new Client({ baseUrl: base, customHeaders: srv.auth });

  await t.test('searches with every parameter type', async (st) => {
    for (const [label, resourceType, searchParams, want] of SEARCHES) {
      await st.test(label, async () => {
        const bundle = await client.search({ resourceType, searchParams });
        assert.strictEqual(bundle.resourceType, 'Bundle');
        assert.strictEqual(bundle.type, 'searchset');
        assert.deepStrictEqual(ids(bundle), want,
          `${resourceType}?${new URLSearchParams(Object.entries(searchParams).flatMap(
            ([k, v]) => [].concat(v).map((x) => [k, x])))}`);
        if (bundle.total !== undefined) assert.strictEqual(bundle.total, want.length);
        for (const e of bundle.entry || []) {
          assert.strictEqual(e.fullUrl, `${base}/${resourceType}/${e.resource.id}`);
          assert.strictEqual(e.search.mode, 'match');
        }
      });
    }
  });

  await t.test('POST _search (form body) gives the same answer', async () => {
    const bundle = await client.search({
      resourceType: 'Observation',
      searchParams: { 'component-code-value-quantity': `${LOINC}|8480-6$gt140` },
      options: { postSearch: true },
    });
    assert.deepStrictEqual(ids(bundle), ['o5']);
  });

  await t.test('compartment search Patient/p1/Observation', async () => {
    const bundle = await client.search({
      resourceType: 'Observation', compartment: { resourceType: 'Patient', id: 'p1' },
      searchParams: { code: `${LOINC}|4548-4` },
    });
    assert.deepStrictEqual(ids(bundle), ['o1', 'o2']);
  });

  // Pages of 2 over 5 matches: follow `next` to the end, then `previous` back to the start.
  // With _sort the pages come in that order; with _include each page carries the resources
  // its own matches refer to.
  for (const [label, resourceType, searchParams, want, ordered] of [
    ['Patient?name=wang', 'Patient', { name: 'wang' }, ['p1', 'p2', 'p3', 'p5', 'p6']],
    ['Observation?date=lt2025', 'Observation', { date: 'lt2025' },
      ['o1', 'o2', 'o4', 'o5', 'o7']],
    ['Patient?name=wang&_sort=-birthdate', 'Patient', { name: 'wang', _sort: '-birthdate' },
      ['p6', 'p5', 'p3', 'p1', 'p2'], true],
    ['Observation?date=lt2025&_sort=date&_include=Observation:subject', 'Observation',
      { date: 'lt2025', _sort: 'date', _include: 'Observation:subject' },
      ['o7', 'o1', 'o5', 'o4', 'o2'], true],
  ]) {
    const pages = [];
    const matches = (p) => (p.entry || []).filter((e) => e.search.mode === 'match')
      .map((e) => e.resource.id);
    await t.test(`nextPage through ${label}&_count=2`, async () => {
      const first = { resourceType, searchParams: { ...searchParams, _count: 2 } };
      pages.push(await client.search(first));
      for (;;) {
        const last = pages[pages.length - 1];
        const next = client.nextPage({ bundle: last });
        if (!next) break;
        assert.ok(pages.length < 10, 'paging ends');
        pages.push(await next);
      }
      assert.deepStrictEqual(pages.map((p) => matches(p).length), [2, 2, 1],
        '5 matches in pages of 2 make 3 pages');
      const seen = pages.flatMap(matches);
      assert.strictEqual(new Set(seen).size, seen.length, `each id once: ${seen}`);
      assert.deepStrictEqual(ordered ? seen : [...seen].sort(), want);
      for (const p of pages) {
        const self = link(p, 'self');
        assert.ok(self && self.url.startsWith(`${base}/${resourceType}?`), 'self link');
        if (!searchParams._include) continue;
        // the subjects of this page's matches, each once, marked as included
        const subjects = [...new Set(p.entry.filter((e) => e.search.mode === 'match')
          .map((e) => e.resource.subject.reference))].sort();
        const included = p.entry.filter((e) => e.search.mode === 'include')
          .map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
        assert.deepStrictEqual(included, subjects, 'each page includes its matches\' subjects');
      }
    });

    await t.test(`prevPage back through ${label}&_count=2`, async (st) => {
      assert.strictEqual(pages.length, 3, 'the pages read forwards');
      const lastPage = pages[pages.length - 1];
      if (!prevLink(lastPage)) {
        st.skip(`the last page of ${label}&_count=2 has no "previous" link: ` +
          'the server does not offer previous links yet');
        return;
      }
      assert.strictEqual(prevLink(pages[0]), undefined, 'the first page has no previous link');
      let back = lastPage;
      for (let i = pages.length - 2; i >= 0; i--) {
        back = await client.prevPage({ bundle: back });
        assert.ok(back, `previous page ${i + 1}`);
        assert.deepStrictEqual(matches(back), matches(pages[i]), `page ${i + 1} read backwards`);
        assert.ok(link(back, 'next'), `page ${i + 1} read backwards has a next link`);
      }
      assert.strictEqual(client.prevPage({ bundle: back }), undefined,
        'back on the first page: no previous link');
    });
  }

  await t.test('_count=0 and _summary=count report the total without entries', async () => {
    // R4 search.html#count: "_count=0 ... shall be treated the same as _summary=count: the
    // server returns a bundle that reports the total number of resources that match in
    // Bundle.total, but with no entries, and no prev/next/last links".
    for (const control of [{ _summary: 'count' }, { _count: 0 }]) {
      const bundle = await client.search({ resourceType: 'Patient',
        searchParams: { name: 'wang', ...control } });
      const q = new URLSearchParams(control).toString();
      assert.strictEqual(bundle.total, 5, `Patient?name=wang&${q}: Bundle.total`);
      assert.strictEqual((bundle.entry || []).length, 0, `${q}: no entries`);
      assert.strictEqual(link(bundle, 'next'), undefined, `${q}: no next link`);
    }
  });

  await t.test('chained and reverse-chained parameters, _include and _revinclude', async () => {
    const cases = [
      ['Observation', { 'subject.gender': 'male' }, ['o3', 'o4', 'o6', 'o7']],
      ['Observation', { 'subject:Patient.birthdate': 'lt1950' }, ['o3', 'o4', 'o6']],
      ['Observation', { 'subject.identifier': `${RESIDENT_ID}|110101195603080021`,
        code: `${LOINC}|4548-4` }, ['o1', 'o2']],
      ['Observation', { 'encounter.date': '2024-05-05' }, ['o5']],
      ['Observation', { 'performer.name': 'zhang', 'value-quantity': 'gt100' }, ['o4']],
      ['Patient', { '_has:Observation:subject:code': `${LOINC}|4548-4` }, ['p1', 'p2']],
      ['Patient', { '_has:Observation:subject:component-code-value-quantity':
        `${LOINC}|8480-6$gt140` }, ['p1']],
    ];
    for (const [resourceType, searchParams, want] of cases) {
      const bundle = await client.search({ resourceType, searchParams });
      assert.deepStrictEqual(ids(bundle), want,
        `${resourceType}?${new URLSearchParams(searchParams)}`);
    }
    const inc = await client.search({ resourceType: 'Observation',
      searchParams: { code: `${LOINC}|4548-4`, _include: 'Observation:subject' } });
    const byMode = (b, m) => b.entry.filter((e) => e.search.mode === m)
      .map((e) => e.resource.id).sort();
    assert.deepStrictEqual(byMode(inc, 'match'), ['o1', 'o2', 'o3']);
    assert.deepStrictEqual(byMode(inc, 'include'), ['p1', 'p2']);
    assert.strictEqual(inc.total, 3, 'total counts matches only');
    const rev = await client.search({ resourceType: 'Patient',
      searchParams: { _id: 'p1', _revinclude: 'Observation:subject' } });
    assert.deepStrictEqual(byMode(rev, 'match'), ['p1']);
    assert.deepStrictEqual(byMode(rev, 'include'), ['o1', 'o2', 'o5']);
  });

  await t.test('capabilityStatement lists search-type and searchParams', async () => {
    const cs = await client.capabilityStatement();
    assert.strictEqual(cs.resourceType, 'CapabilityStatement');
    assert.strictEqual(cs.fhirVersion, '4.0.1');
    const server = cs.rest.find((r) => r.mode === 'server');
    for (const [type, params] of [
      ['Patient', { name: 'string', gender: 'token', birthdate: 'date', identifier: 'token',
        'address-city': 'string' }],
      ['Observation', { code: 'token', date: 'date', subject: 'reference',
        'value-quantity': 'quantity', 'component-code-value-quantity': 'composite' }],
      ['RiskAssessment', { probability: 'number' }],
    ]) {
      const res = server.resource.find((r) => r.type === type);
      assert.ok(res, `${type} in the CapabilityStatement`);
      assert.ok(res.interaction.some((i) => i.code === 'search-type'), `${type} search-type`);
      for (const [name, kind] of Object.entries(params)) {
        const sp = (res.searchParam || []).find((p) => p.name === name);
        assert.ok(sp, `${type} searchParam ${name}`);
        assert.strictEqual(sp.type, kind, `${type}.${name} type`);
      }
    }
  });

  await t.test('an unknown parameter with Prefer: handling=strict is an error', async () => {
    await assert.rejects(
      client.search({ resourceType: 'Patient', searchParams: { nosuchparam: 'x' },
        options: { headers: { prefer: 'handling=strict' } } }),
      (err) => {
        assert.strictEqual(err.response.status, 400);
        assert.strictEqual(err.response.data.resourceType, 'OperationOutcome');
        return true;
      });
  });
});

test('fhirclient (SMART on FHIR JS client)', async (t) => {
  // The node entry point takes (request, response) for SMART launches; an open server
  // needs no launch: smart(req, res).client(serverUrl) is FHIR.client() of the browser
  // build. NodeAdapter reads the request only to launch, so minimal stand-ins do.
  const smart = await load('fhirclient', async () => require('fhirclient'));
  const client = smart({ headers: {}, url: '/', socket: {} }, {}).client({ serverUrl: base, tokenResponse: { access_token: srv.token } });

  await t.test('request with pageLimit: 0 and flat fetches every page', async () => {
    const pages = [];
    const all = await client.request('Patient?name=wang&_count=2', { pageLimit: 0, flat: true });
    assert.ok(Array.isArray(all), 'flat answer is an array of resources');
    const seen = all.map((r) => r.id);
    assert.strictEqual(new Set(seen).size, seen.length, `each id once: ${seen}`);
    assert.deepStrictEqual([...seen].sort(), ['p1', 'p2', 'p3', 'p5', 'p6']);
    assert.ok(all.every((r) => r.resourceType === 'Patient'));
    // onPage sees each page (bundles of at most 2)
    await client.request('Patient?name=wang&_count=2', {
      pageLimit: 0, onPage: (b) => { pages.push(b); },
    });
    assert.deepStrictEqual(pages.map((b) => (b.entry || []).length), [2, 2, 1]);
  });

  await t.test('pageLimit: 0 keeps the _sort order across pages', async () => {
    const all = await client.request('Patient?name=wang&_sort=birthdate&_count=2',
      { pageLimit: 0, flat: true });
    assert.deepStrictEqual(all.map((r) => r.id), ['p2', 'p1', 'p3', 'p5', 'p6']);
  });

  await t.test('pageLimit stops early', async () => {
    const two = await client.request('Patient?name=wang&_count=2', { pageLimit: 2, flat: true });
    assert.strictEqual(two.length, 4);
    const one = await client.request('Patient?name=wang&_count=2');
    assert.strictEqual(one.resourceType, 'Bundle');
    assert.strictEqual(one.entry.length, 2);
    assert.ok(link(one, 'next'), 'first page has a next link');
  });

  await t.test('other parameter types through client.request', async () => {
    const q = (s) => client.request(s, { pageLimit: 0, flat: true })
      .then((rs) => rs.map((r) => r.id).sort());
    const hba1c = encodeURIComponent(`${LOINC}|4548-4`);
    assert.deepStrictEqual(await q(`Observation?code=${hba1c}&_count=1`), ['o1', 'o2', 'o3']);
    assert.deepStrictEqual(await q('Observation?code=http://loinc.org|4548-4&value-quantity=gt7'),
      ['o1', 'o3']);
    assert.deepStrictEqual(await q('Patient?birthdate=ge1960-01-01&gender=male'), ['p5']);
    assert.deepStrictEqual(await q('Observation?subject=Patient/p2&date=ge2025-01-01'),
      ['o3', 'o6']);
    assert.deepStrictEqual(await q('Observation?component-code-value-quantity=' +
      encodeURIComponent(`${LOINC}|8462-4$lt90`)), ['o6']);
    assert.deepStrictEqual(await q('RiskAssessment?probability=lt0.5'), ['r2']);
    assert.deepStrictEqual(await q(`Observation?_profile=${encodeURIComponent(BP_PROFILE)}`),
      ['o5', 'o6']);
  });

  await t.test('FhirClient.resources() iterates every page', async () => {
    const fc = new smart.FhirClient(base);
    const seen = [];
    for await (const r of fc.resources('Observation?date=lt2025&_count=2', { headers: srv.auth })) seen.push(r.id);
    assert.deepStrictEqual(seen.sort(), ['o1', 'o2', 'o4', 'o5', 'o7']);
    assert.strictEqual(await fc.getFhirVersion(), '4.0.1');
  });
});
