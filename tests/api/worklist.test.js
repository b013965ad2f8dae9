// worklist.test.js -- a team's and a doctor's chronic-care worklists (docs/clinical-rules.md
// "Worklists") over the population model, and the risk tiers it keeps (RiskAssessment,
// "Risk stratification"): a hand-built team whose residents fall on each list, dated from
// today, so every expectation below is worked out from the rules, not read from the server.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues, params } = require('./lib');

const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';
const ref = (r) => ({ reference: r });

const day = (n) => new Date(Date.now() + n * 864e5).toISOString().slice(0, 10); // today + n (UTC = the server's zone here)

function team(id, lead) {
  return {
    resourceType: 'CareTeam', id, status: 'active', name: id,
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: [{ role: [{ coding: [{ system: CS + 'practitioner-role', code: 'family-doctor' },
      { system: CS + 'care-team-role', code: 'lead' }] }], member: ref(`Practitioner/${lead}`) }],
    managingOrganization: [ref('Organization/thc')],
  };
}

let srv;
const put = async (r) => {
  const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
  assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
};
const post = async (path, body, status = 200) => {
  const res = await req(srv, 'POST', path, { body });
  assert.strictEqual(res.status, status, `${path}: ${res.text}`);
  return res;
};

// A resident of the team's institution, born `age` years ago, with hypertension unless
// told otherwise, contracted with `tm` and its lead.
async function resident(id, { age = 60, tm = 't1', doctor = 'd1', name = id, conditions = ['I10'], deceased } = {}) {
  const birth = `${new Date().getUTCFullYear() - age}-01-01`;
  await put({ resourceType: 'Patient', id, gender: 'female', birthDate: birth, name: [{ text: name }],
    managingOrganization: ref('Organization/thc'), ...(deceased ? { deceasedDateTime: deceased } : {}) });
  for (const code of conditions)
    await put({ resourceType: 'Condition', id: `${id}-${code}`, subject: ref(`Patient/${id}`),
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code }] }, onsetDateTime: day(-800) });
  if (!deceased)
    await post('/fhir/EpisodeOfCare/$sign', params({ patient: `Patient/${id}`, team: `CareTeam/${tm}`, doctor: `Practitioner/${doctor}` }), 201);
}

const visit = (id, date, sbp, dbp, extra = {}) =>
  post(`/fhir/Patient/${id}/$record-followup`, params({ programme: 'hypertension', date, sbp, dbp, ...extra }));

// The worklist as [{ id, item: { url: value } }], and its total.
async function worklist(path) {
  const r = await req(srv, 'GET', path);
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.type, 'searchset');
  return {
    total: r.json.total,
    rows: (r.json.entry || []).map((e) => {
      const ext = e.resource.extension.find((x) => x.url === SD + 'worklist-item');
      const item = {};
      for (const s of ext.extension) item[s.url] = Object.values(s).find((v, i) => i === 1);
      return { id: e.resource.id, item, tag: e.resource.meta?.tag?.[0]?.code };
    }),
  };
}
const ids = (w) => w.rows.map((r) => r.id);

test.before(async () => {
  srv = await startServer(['--seed-data']);
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  for (const d of ['d1', 'd2']) await put({ resourceType: 'Practitioner', id: d, name: [{ text: d }] });
  await put(team('t1', 'd1'));
  await put(team('t2', 'd2'));
  await resident('overdue8', { name: '甲' });           // controlled 3 months + 8 days ago
  await visit('overdue8', day(-100), 132, 82);
  await resident('due4', { name: '乙' });                // first uncontrolled 10 days ago: due in 4
  await visit('due4', day(-10), 150, 95);
  await resident('late6', { name: '丙' });               // first uncontrolled 20 days ago: 6 overdue
  await visit('late6', day(-20), 152, 96);
  await resident('urgent', { name: '丁' });              // danger sign 3 days ago
  await visit('urgent', day(-3), 186, 100);
  await resident('lost', { name: '戊' });                // last visit 400 days ago
  await visit('lost', day(-400), 130, 80);
  await resident('new', { name: '己' });                 // diagnosed, never enrolled
  await resident('young', { age: 30, name: '庚' });      // diagnosed, too young for BPHS
  await resident('healthy', { conditions: [], name: '辛' });
  await resident('other', { tm: 't2', doctor: 'd2' });   // another team's overdue resident
  await visit('other', day(-120), 130, 80);
});
test.after(() => srv.stop());

test('each list holds the residents the rules put there', async () => {
  const list = (l) => worklist(`/fhir/CareTeam/t1/$worklist?list=${l}&programme=hypertension`);
  const overdue = await list('overdue');
  // most overdue first: overdue8, then late6 (6 days); `lost` (no visit for a year) is on
  // its own list, not here
  assert.deepStrictEqual(ids(overdue), ['overdue8', 'late6']);
  assert.strictEqual(overdue.total, 2);
  assert.strictEqual(overdue.rows[1].item['days-overdue'], 6);
  assert.strictEqual(overdue.rows[1].item.due, day(-6));
  assert.strictEqual(overdue.rows[1].item.classification, 'uncontrolled');
  assert.strictEqual(overdue.rows[0].tag, 'SUBSETTED', 'a masked list view');

  const due = await list('due');
  assert.deepStrictEqual(ids(due), ['due4']);
  assert.strictEqual(due.rows[0].item.due, day(4));
  assert.strictEqual(due.rows[0].item['next-step'], 'two-week');

  assert.deepStrictEqual(ids(await list('two-week')), ['late6', 'due4'], 'soonest due first');
  const urgent = await list('urgent-referral');
  assert.deepStrictEqual(ids(urgent), ['urgent']);
  assert.strictEqual(urgent.rows[0].item.due, day(11));
  assert.deepStrictEqual(ids(await list('lost-to-follow-up')), ['lost']);
  assert.deepStrictEqual(ids(await list('not-enrolled')), ['new'], 'the 30-year-old is not eligible');
});

test('a doctor sees the residents whose contract names them; another team sees its own', async () => {
  assert.deepStrictEqual(ids(await worklist('/fhir/Practitioner/d1/$worklist?list=overdue')), ['overdue8', 'late6']);
  assert.deepStrictEqual(ids(await worklist('/fhir/Practitioner/d2/$worklist?list=overdue')), ['other']);
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t2/$worklist?list=overdue')), ['other']);
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t1/$worklist?list=overdue&doctor=Practitioner/d2')), []);
});

test('sorting and paging', async () => {
  const byName = await worklist('/fhir/CareTeam/t1/$worklist?list=overdue&_sort=name');
  // code-point order, which for Han characters is radical-stroke order: 丙 (一) 甲 (田)
  assert.deepStrictEqual(ids(byName), ['late6', 'overdue8']);
  const lost = await worklist('/fhir/CareTeam/t1/$worklist?list=lost-to-follow-up&_sort=-name');
  assert.deepStrictEqual(ids(lost), ['lost']);
  const page = await worklist('/fhir/CareTeam/t1/$worklist?list=overdue&_count=1&_offset=1');
  assert.deepStrictEqual(ids(page), ['late6']);
  assert.strictEqual(page.total, 2, 'total counts every match, not the page');
  const rev = await worklist('/fhir/CareTeam/t1/$worklist?list=overdue&_sort=overdue');
  assert.deepStrictEqual(ids(rev), ['late6', 'overdue8']);
});

test('a visit recorded now moves the resident at once (read your writes)', async () => {
  await visit('late6', day(0), 128, 80);
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t1/$worklist?list=overdue')), ['overdue8']);
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t1/$worklist?list=two-week')), ['due4']);
  await post('/fhir/Patient/new/$enrol', params({ programme: 'hypertension' }), 201);
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t1/$worklist?list=not-enrolled')), []);
});

test('every contracted resident has a risk tier with reasons; lists filter by tier', async () => {
  const ra = async (id) => {
    for (let i = 0; i < 50; i++) { // written by the model's thread after the change
      const r = await req(srv, 'GET', `/fhir/RiskAssessment/risk-${id}`);
      if (r.status === 200) return r.json;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`no RiskAssessment/risk-${id}`);
  };
  const tier = (r) => r.prediction[0].qualitativeRisk.coding.find((c) => c.system === CS + 'risk-tier').code;
  const reasons = (r) => r.extension.filter((e) => e.url === SD + 'risk-reason').map((e) => e.valueCoding.code);
  const u = await ra('urgent');
  assert.strictEqual(tier(u), 'high');
  assert.deepStrictEqual(reasons(u), ['danger-sign-last-visit', 'referral-pending', 'bp-severe', 'not-at-target', 'bp-raised', 'chronic-condition']);
  assert.strictEqual(u.subject.reference, 'Patient/urgent');
  assert.strictEqual(tier(await ra('healthy')), 'low');
  assert.deepStrictEqual(reasons(await ra('healthy')), []);
  assert.strictEqual(tier(await ra('overdue8')), 'medium');

  const high = await worklist('/fhir/CareTeam/t1/$worklist?list=urgent-referral&tier=high');
  assert.deepStrictEqual(ids(high), ['urgent']);
  assert.strictEqual(high.rows[0].item.tier, 'high');
  assert.deepStrictEqual(ids(await worklist('/fhir/CareTeam/t1/$worklist?list=urgent-referral&tier=low')), []);
  const res = await req(srv, 'GET', '/fhir/CareTeam/t1/$residents?tier=low');
  assert.strictEqual(res.status, 200, res.text);
  assert.deepStrictEqual(res.json.entry.map((e) => e.resource.id), ['healthy']);

  // a new visit that brings the BP down rewrites the tier: one more version, not more
  const before = Number(u.meta.versionId);
  await visit('urgent', day(0), 128, 78);
  let again;
  for (let i = 0; i < 50; i++) {
    again = (await req(srv, 'GET', '/fhir/RiskAssessment/risk-urgent')).json;
    if (Number(again.meta.versionId) > before) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.strictEqual(Number(again.meta.versionId), before + 1);
  assert.strictEqual(tier(again), 'medium');
  await new Promise((r) => setTimeout(r, 1200)); // two more tail rounds: nothing rewritten
  assert.strictEqual(Number((await req(srv, 'GET', '/fhir/RiskAssessment/risk-urgent')).json.meta.versionId), before + 1);
});

test('bad worklist requests are 400 or 404 with an OperationOutcome', async () => {
  const bad = async (q, status, expr) => {
    const r = await req(srv, 'GET', q);
    const issues = outcomeIssues(assert, r, status);
    if (expr) assert.deepStrictEqual(issues[0].expression, [expr]);
  };
  await bad('/fhir/CareTeam/t1/$worklist', 400, 'list');
  await bad('/fhir/CareTeam/t1/$worklist?list=soon', 400, 'list');
  await bad('/fhir/CareTeam/t1/$worklist?list=due&_sort=age', 400, '_sort');
  await bad('/fhir/CareTeam/t1/$worklist?list=due&tier=severe', 400, 'tier');
  await bad('/fhir/CareTeam/t1/$worklist?list=due&programme=asthma', 400, 'programme');
  await bad('/fhir/CareTeam/t1/$worklist?list=due&_count=ten', 400, '_count');
  await bad('/fhir/CareTeam/nope/$worklist?list=due', 404);
});
