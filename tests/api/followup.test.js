// followup.test.js -- chronic-disease follow-up visits end to end (docs/registry.md
// "Programme enrolment", "Follow-up visits"): $record-followup classifies a visit with the
// rule pack (rules/hypertension-bphs-2017.json, rules/diabetes-bphs-2017.json), enrols the
// resident on the first visit, stores the outcome on the Encounter and recomputes later
// visits when one is back-dated or edited; $enrol and $end-management.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, req, outcomeIssues } = require('./lib');

const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';
const UCUM = 'http://unitsofmeasure.org';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';

// A Parameters body: numbers -> valueDecimal, booleans -> valueBoolean, YYYY-MM-DD ->
// valueDate, 'Type/id' -> valueReference, other strings -> valueCode, objects as given
// ({ valueQuantity: ... }); arrays repeat the parameter.
function params(p) {
  const parameter = [];
  for (const [name, v] of Object.entries(p)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (typeof one === 'number') parameter.push({ name, valueDecimal: one });
      else if (typeof one === 'boolean') parameter.push({ name, valueBoolean: one });
      else if (typeof one === 'object') parameter.push({ name, ...one });
      else if (/^\d{4}-\d\d-\d\d$/.test(one)) parameter.push({ name, valueDate: one });
      else if (one.includes('/')) parameter.push({ name, valueReference: { reference: one } });
      else parameter.push({ name, valueCode: one });
    }
  }
  return { resourceType: 'Parameters', parameter };
}

// The answer of an operation as { name: [values] } (the value[x] or its reference).
function answer(r) {
  const out = {};
  for (const p of r.json.parameter) {
    const k = Object.keys(p).find((x) => x.startsWith('value'));
    (out[p.name] ||= []).push(k === 'valueReference' ? p[k].reference : p[k]);
  }
  return out;
}

// The followup-outcome extension of an Encounter as { url: [code or value] }.
function outcome(enc) {
  const e = (enc.extension || []).filter((x) => x.url === SD + 'followup-outcome');
  assert.strictEqual(e.length, 1, 'one outcome on the Encounter');
  const out = {};
  for (const s of e[0].extension) {
    const k = Object.keys(s).find((x) => x.startsWith('value'));
    (out[s.url] ||= []).push(k === 'valueCoding' ? s[k].code : s[k]);
  }
  return out;
}

const addDays = (d, n) => new Date(Date.parse(d + 'T00:00:00Z') + n * 864e5).toISOString().slice(0, 10);

let srv;
const get = async (path) => req(srv, 'GET', '/fhir/' + path);
const count = async (q) => {
  const r = await get(q + (q.includes('?') ? '&' : '?') + '_summary=count');
  assert.strictEqual(r.status, 200, r.text);
  return r.json.total;
};
const record = (pid, p) => req(srv, 'POST', `/fhir/Patient/${pid}/$record-followup`, { body: params(p) });
async function recordOk(pid, p) {
  const r = await record(pid, p);
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.resourceType, 'Parameters');
  return answer(r);
}
const version = async (ref) => Number((await get(ref)).json.meta.versionId);

// A resident born on birth with active Conditions of the given ICD-10 codes.
async function resident(id, birth, codes = ['I10'], gender = 'female') {
  let r = await req(srv, 'PUT', `/fhir/Patient/${id}`, {
    body: { resourceType: 'Patient', id, gender, birthDate: birth, name: [{ text: id }] } });
  assert.ok([200, 201].includes(r.status), r.text);
  for (const code of codes) {
    r = await req(srv, 'PUT', `/fhir/Condition/${id}-${code}`, { body: {
      resourceType: 'Condition', id: `${id}-${code}`,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: ICD10, code }] },
      subject: { reference: `Patient/${id}` } } });
    assert.ok([200, 201].includes(r.status), r.text);
  }
}

test.before(async () => {
  srv = await startServer();
  const r = await req(srv, 'PUT', '/fhir/Practitioner/doc1', { body: { resourceType: 'Practitioner', id: 'doc1', name: [{ text: '李医生' }] } });
  assert.strictEqual(r.status, 201, r.text);
});
test.after(() => srv.stop());

test('first uncontrolled visit: two-week follow-up and an enrolment; the second uncontrolled is referred', async () => {
  await resident('h1', '1962-05-10');
  const a = await recordOk('h1', { programme: 'hypertension', date: '2025-03-01', way: 'home',
    sbp: 150, dbp: 95, doctor: 'Practitioner/doc1' });
  assert.deepStrictEqual(a.classification, ['uncontrolled']);
  assert.deepStrictEqual(a['next-step'], ['two-week']);
  assert.deepStrictEqual(a['next-date'], ['2025-03-15']);
  assert.deepStrictEqual(a['at-target'], [false]);
  assert.deepStrictEqual(a['rule-pack'], ['hypertension-bphs-2017']);
  assert.strictEqual(a['referral-reason'], undefined);
  assert.strictEqual(a['danger-sign'], undefined);
  assert.strictEqual(a.recomputed, undefined);
  const encId = a.encounter[0].split('/')[1];
  assert.deepStrictEqual(a.observation, [`Observation/${encId}-bp`]);

  const ep = (await get(a.enrolment[0])).json;
  assert.strictEqual(ep.resourceType, 'EpisodeOfCare');
  assert.strictEqual(ep.status, 'active');
  assert.deepStrictEqual([ep.type[0].coding[0].system, ep.type[0].coding[0].code], [CS + 'episode-type', 'hypertension-programme']);
  assert.strictEqual(ep.patient.reference, 'Patient/h1');
  assert.strictEqual(ep.period.start, '2025-03-01');
  assert.strictEqual(ep.careManager.reference, 'Practitioner/doc1');

  const enc = (await get(a.encounter[0])).json;
  assert.strictEqual(enc.status, 'finished');
  assert.strictEqual(enc.class.code, 'HH', 'a home visit');
  assert.strictEqual(enc.type[0].coding[0].code, 'hypertension-followup');
  assert.strictEqual(enc.subject.reference, 'Patient/h1');
  assert.strictEqual(enc.episodeOfCare[0].reference, a.enrolment[0]);
  assert.strictEqual(enc.participant[0].individual.reference, 'Practitioner/doc1');
  assert.strictEqual(enc.period.start, '2025-03-01');
  const o = outcome(enc);
  assert.deepStrictEqual([o.classification, o['next-step'], o['next-date'], o['at-target'], o.rule],
    [['uncontrolled'], ['two-week'], ['2025-03-15'], [false], ['first-uncontrolled']]);

  const bp = (await get(`Observation/${encId}-bp`)).json;
  assert.strictEqual(bp.code.coding[0].code, '85354-9');
  assert.strictEqual(bp.encounter.reference, a.encounter[0]);
  assert.deepStrictEqual(bp.component.map((c) => [c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code]),
    [['8480-6', 150, 'mm[Hg]'], ['8462-4', 95, 'mm[Hg]']]);

  const b = await recordOk('h1', { programme: 'hypertension', date: '2025-03-15', sbp: 148, dbp: 92 });
  assert.deepStrictEqual(b.classification, ['uncontrolled']);
  assert.deepStrictEqual(b['next-step'], ['referral']);
  assert.deepStrictEqual(b['referral-reason'], ['two-consecutive-uncontrolled']);
  assert.deepStrictEqual(b['next-date'], ['2025-03-29']);
  assert.deepStrictEqual(b.enrolment, a.enrolment, 'the same enrolment');
  assert.notDeepStrictEqual(b.encounter, a.encounter);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/h1'), 1);
  assert.strictEqual(outcome((await get(b.encounter[0])).json)['referral-reason'][0], 'two-consecutive-uncontrolled');

  // controlled again: the next routine visit in 3 months
  const c = await recordOk('h1', { programme: 'hypertension', date: '2025-03-29', sbp: 132, dbp: 84 });
  assert.deepStrictEqual([c.classification, c['next-step'], c['next-date'], c['at-target']],
    [['controlled'], ['routine'], ['2025-06-29'], [true]]);
});

test('back-dating: a controlled visit recorded between two uncontrolled ones clears the later referral', async () => {
  await resident('h2', '1958-01-20');
  const d1 = await recordOk('h2', { programme: 'hypertension', date: '2025-01-01', sbp: 160, dbp: 100 });
  const d20 = await recordOk('h2', { programme: 'hypertension', date: '2025-01-20', sbp: 155, dbp: 95 });
  assert.deepStrictEqual(d20['next-step'], ['referral']);
  const v20 = await version(d20.encounter[0]);

  const d10 = await recordOk('h2', { programme: 'hypertension', date: '2025-01-10', sbp: 130, dbp: 80 });
  assert.deepStrictEqual([d10.classification, d10['next-step'], d10['next-date']],
    [['controlled'], ['routine'], ['2025-04-10']]);
  assert.deepStrictEqual(d10.recomputed, d20.encounter, 'the day-20 visit is recomputed');
  const enc20 = (await get(d20.encounter[0])).json;
  assert.strictEqual(Number(enc20.meta.versionId), v20 + 1);
  const o = outcome(enc20);
  assert.deepStrictEqual([o.classification, o['next-step'], o['next-date'], o.rule],
    [['uncontrolled'], ['two-week'], ['2025-02-03'], ['first-uncontrolled']]);
  assert.strictEqual(o['referral-reason'], undefined, 'no referral reason any more');
  assert.strictEqual(await version(d1.encounter[0]), 1, 'the earlier visit is untouched');

  // a back-dated visit that changes no later outcome rewrites nothing
  const d5 = await recordOk('h2', { programme: 'hypertension', date: '2025-01-05', sbp: 150, dbp: 92 });
  assert.deepStrictEqual(d5['next-step'], ['referral'], 'day 1 and day 5 uncontrolled');
  assert.strictEqual(d5.recomputed, undefined);
  assert.strictEqual(await version(d20.encounter[0]), v20 + 1);
  assert.strictEqual(await version(d10.encounter[0]), 1);
});

test('editing a visit: same Encounter, new version and classification; a reading no longer given is deleted', async () => {
  await resident('h3', '1955-09-09', ['I10'], 'male');
  const first = await recordOk('h3', { programme: 'hypertension', date: '2025-02-01',
    sbp: 150, dbp: 95, 'heart-rate': 80, weight: 70, height: 170 });
  const id = first.encounter[0].split('/')[1];
  assert.deepStrictEqual(first.observation.sort(), ['bp', 'hr', 'weight', 'height', 'bmi'].map((s) => `Observation/${id}-${s}`).sort());
  assert.strictEqual((await get(`Observation/${id}-bmi`)).json.valueQuantity.value, 24.2, 'BMI from weight and height');
  assert.deepStrictEqual(first.classification, ['uncontrolled']);
  const later = await recordOk('h3', { programme: 'hypertension', date: '2025-02-15', sbp: 152, dbp: 96 });
  assert.deepStrictEqual(later['next-step'], ['referral']);

  const ed = await recordOk('h3', { programme: 'hypertension', date: '2025-02-01', sbp: 130, dbp: 80,
    weight: 71, height: 170, encounter: first.encounter[0] });
  assert.deepStrictEqual(ed.encounter, first.encounter, 'the same Encounter');
  assert.deepStrictEqual([ed.classification, ed['next-step']], [['controlled'], ['routine']]);
  assert.deepStrictEqual(ed.recomputed, later.encounter, 'the next visit is no longer a second uncontrolled');
  const enc = (await get(first.encounter[0])).json;
  assert.strictEqual(enc.meta.versionId, '2');
  assert.strictEqual(outcome(enc).classification[0], 'controlled');
  assert.strictEqual(outcome((await get(later.encounter[0])).json)['next-step'][0], 'two-week');
  assert.strictEqual((await get(`Observation/${id}-hr`)).status, 410, 'heart rate dropped: deleted');
  const bp = (await get(`Observation/${id}-bp`)).json;
  assert.deepStrictEqual(bp.component.map((c) => c.valueQuantity.value), [130, 80]);
  assert.strictEqual((await get(`Observation/${id}-weight`)).json.valueQuantity.value, 71);
  assert.strictEqual((await get(`Observation/${id}-bmi`)).json.valueQuantity.value, 24.6);
  assert.strictEqual(await count(`Observation?encounter=Encounter/${id}`), 4);

  // a stale If-Match refuses the edit and leaves the visit and the later one as they were
  let r = await req(srv, 'POST', '/fhir/Patient/h3/$record-followup', { headers: { 'If-Match': 'W/"1"' },
    body: params({ programme: 'hypertension', date: '2025-02-01', sbp: 160, dbp: 100, encounter: first.encounter[0] }) });
  assert.strictEqual(r.status, 412, r.text);
  assert.strictEqual(await version(first.encounter[0]), 2);
  assert.strictEqual(await version(later.encounter[0]), 2, 'the recomputation was rolled back');
  assert.deepStrictEqual((await get(`Observation/${id}-bp`)).json.component.map((c) => c.valueQuantity.value), [130, 80]);

  // the heart rate given again comes back under its id; the visit of another resident is not editable here
  const again = await recordOk('h3', { programme: 'hypertension', date: '2025-02-01', sbp: 130, dbp: 80,
    'heart-rate': 66, encounter: first.encounter[0] });
  assert.ok(again.observation.includes(`Observation/${id}-hr`));
  assert.strictEqual((await get(`Observation/${id}-hr`)).json.valueQuantity.value, 66);
  await resident('h3b', '1960-01-01');
  r = await record('h3b', { programme: 'hypertension', date: '2025-02-01', sbp: 130, dbp: 80, encounter: first.encounter[0] });
  assert.deepStrictEqual(outcomeIssues(assert, r, 422)[0].expression, ['Parameters.parameter[4]']);
  assert.strictEqual(await count('Encounter?subject=Patient/h3b'), 0);
});

test('danger signs: a danger symptom with controlled BP, SBP exactly 180; the 65+ target', async () => {
  await resident('h4', '1975-04-04');
  const a = await recordOk('h4', { programme: 'hypertension', date: '2025-04-01', sbp: 128, dbp: 78,
    symptom: ['headache-dizziness', 'acute-chest-tightness'] });
  assert.deepStrictEqual([a.classification, a['next-step'], a['next-date']], [['controlled'], ['urgent-referral'], ['2025-04-15']]);
  assert.deepStrictEqual(a['danger-sign'], ['acute-chest-tightness'], 'an ordinary symptom is no danger sign');
  assert.deepStrictEqual(a['referral-reason'], ['danger-sign']);
  const enc = (await get(a.encounter[0])).json;
  const ds = enc.extension[0].extension.find((x) => x.url === 'danger-sign').valueCoding;
  assert.deepStrictEqual([ds.system, ds.code], [CS + 'followup-symptom', 'acute-chest-tightness']);
  const id = a.encounter[0].split('/')[1];
  const findings = (await get(`Observation/${id}-findings`)).json;
  assert.deepStrictEqual(findings.component.map((c) => [c.code.coding[0].code, c.valueCodeableConcept.coding[0].code]),
    [['symptom', 'headache-dizziness'], ['symptom', 'acute-chest-tightness']]);

  const b = await recordOk('h4', { programme: 'hypertension', date: '2025-04-15', sbp: 180, dbp: 100 });
  assert.deepStrictEqual([b['next-step'], b['danger-sign'], b['referral-reason']], [['urgent-referral'], ['sbp-180'], ['danger-sign']]);
  const sbp180 = (await get(b.encounter[0])).json.extension[0].extension.find((x) => x.url === 'danger-sign').valueCoding;
  assert.deepStrictEqual([sbp180.system, sbp180.code], [CS + 'danger-sign', 'sbp-180']);
  const c = await recordOk('h4', { programme: 'hypertension', date: '2025-04-29', sbp: 179, dbp: 109 });
  assert.strictEqual(c['danger-sign'], undefined, '179/109 is no danger sign');
  assert.deepStrictEqual(c['referral-reason'], ['two-consecutive-uncontrolled']);

  // the target by age on the visit date: below 140/90 until the 65th birthday, below 150/90 from it
  await resident('h65', '1960-05-02');
  const d = await recordOk('h65', { programme: 'hypertension', date: '2025-05-01', sbp: 145, dbp: 85 });
  assert.deepStrictEqual([d.classification, d['at-target']], [['uncontrolled'], [false]]);
  const d2 = await recordOk('h65', { programme: 'hypertension', date: '2025-05-02', sbp: 145, dbp: 85 });
  assert.deepStrictEqual([d2.classification, d2['at-target'], d2['next-step']], [['controlled'], [true], ['routine']]);
  await resident('h64', '1961-02-02'); // 64: 140 is not below 140
  const e = await recordOk('h64', { programme: 'hypertension', date: '2025-05-01', sbp: 140, dbp: 80 });
  assert.deepStrictEqual([e.classification, e['at-target']], [['uncontrolled'], [false]]);
});

test('diabetes: FPG 7.0 uncontrolled, 16.7 a danger sign; mmol/L Quantity accepted, mg/dL refused', async () => {
  await resident('d1', '1968-08-08', ['E11']);
  const a = await recordOk('d1', { programme: 'diabetes', date: '2025-06-01', 'fasting-glucose': 7.0 });
  assert.deepStrictEqual([a.classification, a['next-step'], a['at-target'], a['rule-pack']],
    [['uncontrolled'], ['two-week'], [false], ['diabetes-bphs-2017']]);
  const ep = (await get(a.enrolment[0])).json;
  assert.strictEqual(ep.type[0].coding[0].code, 'diabetes-programme');
  const id = a.encounter[0].split('/')[1];
  const fpg = (await get(`Observation/${id}-fpg`)).json;
  assert.deepStrictEqual([fpg.code.coding[0].code, fpg.valueQuantity.value, fpg.valueQuantity.code, fpg.category[0].coding[0].code],
    ['14771-0', 7, 'mmol/L', 'laboratory']);
  assert.strictEqual((await get(a.encounter[0])).json.type[0].coding[0].code, 'diabetes-followup');

  const b = await recordOk('d1', { programme: 'diabetes', date: '2025-06-10',
    'fasting-glucose': { valueQuantity: { value: 16.7, unit: 'mmol/L', system: UCUM, code: 'mmol/L' } } });
  // every reason that applies is listed: the danger sign and the second uncontrolled in a row
  assert.deepStrictEqual([b['next-step'], b['danger-sign'], b['referral-reason']],
    [['urgent-referral'], ['glucose-high'], ['two-consecutive-uncontrolled', 'danger-sign']]);
  assert.strictEqual((await get(`Observation/${b.encounter[0].split('/')[1]}-fpg`)).json.valueQuantity.value, 16.7);
  const c = await recordOk('d1', { programme: 'diabetes', date: '2025-06-20', 'fasting-glucose': 6.9 });
  assert.deepStrictEqual([c.classification, c['next-step'], c['next-date']], [['controlled'], ['routine'], ['2025-09-20']]);

  const n = await count('Encounter?subject=Patient/d1');
  let r = await record('d1', { programme: 'diabetes', date: '2025-06-21',
    'fasting-glucose': { valueQuantity: { value: 126, unit: 'mg/dL', system: UCUM, code: 'mg/dL' } } });
  assert.deepStrictEqual(outcomeIssues(assert, r, 400)[0].expression, ['Parameters.parameter[2]']);
  r = await record('d1', { programme: 'diabetes', date: '2025-06-21', sbp: 120, dbp: 80 });
  assert.match(outcomeIssues(assert, r, 422)[0].diagnostics, /fasting-glucose/);
  r = await record('h1', { programme: 'diabetes', date: '2025-06-21', 'fasting-glucose': 6.0 });
  outcomeIssues(assert, r, 422); // h1 has hypertension only
  assert.strictEqual(await count('Encounter?subject=Patient/d1'), n);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/h1&type=' + encodeURIComponent(CS + 'episode-type|diabetes-programme')), 0);
});

test('refused visits leave nothing stored', async () => {
  await resident('r1', '1965-03-03');
  await resident('r30', '1995-03-03');
  await resident('rnone', '1960-03-03', []);
  const future = addDays(new Date().toISOString().slice(0, 10), 400);
  const ok = { programme: 'hypertension', date: '2025-07-01', sbp: 130, dbp: 80 };
  const cases = [
    ['future date', 'r1', { ...ok, date: future }, 422, ['Parameters.parameter[1]']],
    ['sbp 1500', 'r1', { ...ok, sbp: 1500 }, 422, ['Parameters.parameter[2]']],
    ['sbp in kPa', 'r1', { ...ok, sbp: { valueQuantity: { value: 17, system: UCUM, code: 'kPa' } } }, 400, ['Parameters.parameter[2]']],
    ['unknown symptom', 'r1', { ...ok, symptom: 'feeling-blue' }, 400, ['Parameters.parameter[4]']],
    ['missing dbp', 'r1', { programme: 'hypertension', date: '2025-07-01', sbp: 130 }, 422],
    ['no readings', 'r1', { programme: 'hypertension', date: '2025-07-01' }, 422],
    ['unknown way', 'r1', { ...ok, way: 'pigeon' }, 400],
    ['controllable without a reaction', 'r1', { ...ok, 'adverse-reaction-controllable': true }, 422],
    ['aged 30', 'r30', ok, 422],
    ['no diagnosis', 'rnone', ok, 422],
    ['unknown patient', 'nobody', ok, 404],
    ['wrong programme', 'r1', { ...ok, programme: 'asthma' }, 400],
  ];
  for (const [what, pid, body, status, expression] of cases) {
    const r = await record(pid, body);
    const issues = outcomeIssues(assert, r, status);
    if (expression) assert.deepStrictEqual(issues[0].expression, expression, what);
    if (what === 'aged 30') assert.match(issues[0].diagnostics, /is 30 .*aged 35 and over/);
    for (const q of ['Encounter?subject', 'Observation?subject', 'EpisodeOfCare?patient'])
      assert.strictEqual(await count(`${q}=Patient/${pid}`), 0, `${what}: ${q}`);
  }
  // the same visit, well formed, is stored: the counts above could have moved
  await recordOk('r1', ok);
  assert.strictEqual(await count('Encounter?subject=Patient/r1'), 1);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/r1'), 1);
});

test('$enrol, 409 when enrolled; $end-management; a later visit enrols again', async () => {
  await resident('e1', '1960-10-10');
  const enrol = (pid, p) => req(srv, 'POST', `/fhir/Patient/${pid}/$enrol`, { body: params(p) });
  const end = (id, p) => req(srv, 'POST', `/fhir/EpisodeOfCare/${id}/$end-management`, { body: params(p) });
  let r = await enrol('e1', { programme: 'hypertension', date: '2025-05-01', doctor: 'Practitioner/doc1' });
  assert.strictEqual(r.status, 201, r.text);
  const ep = r.json;
  assert.deepStrictEqual([ep.status, ep.type[0].coding[0].code, ep.period.start, ep.careManager.reference],
    ['active', 'hypertension-programme', '2025-05-01', 'Practitioner/doc1']);
  assert.match(r.headers.get('location'), new RegExp(`/EpisodeOfCare/${ep.id}/_history/1$`));
  r = await enrol('e1', { programme: 'hypertension' });
  assert.match(outcomeIssues(assert, r, 409)[0].diagnostics, new RegExp(`EpisodeOfCare/${ep.id}`));
  outcomeIssues(assert, await enrol('e1', { programme: 'diabetes' }), 422);
  outcomeIssues(assert, await enrol('nobody', { programme: 'hypertension' }), 404);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/e1'), 1);

  // a visit while enrolled uses that enrolment
  const v = await recordOk('e1', { programme: 'hypertension', date: '2025-05-10', sbp: 130, dbp: 80 });
  assert.deepStrictEqual(v.enrolment, [`EpisodeOfCare/${ep.id}`]);

  outcomeIssues(assert, await end(ep.id, { reason: 'bored' }), 400);
  outcomeIssues(assert, await end(ep.id, { reason: 'moved', date: '2025-04-01' }), 422); // before the start
  r = await end(ep.id, { reason: 'moved', date: '2025-06-01' });
  assert.strictEqual(r.status, 200, r.text);
  assert.deepStrictEqual([r.json.status, r.json.period.start, r.json.period.end], ['finished', '2025-05-01', '2025-06-01']);
  const why = r.json.extension.find((e) => e.url === SD + 'management-end-reason');
  assert.deepStrictEqual([why.valueCoding.system, why.valueCoding.code], [CS + 'management-end-reason', 'moved']);
  assert.strictEqual((await get(`EpisodeOfCare/${ep.id}`)).json.status, 'finished');
  r = await end(ep.id, { reason: 'moved' });
  assert.match(outcomeIssues(assert, r, 422)[0].diagnostics, /already ended/);
  assert.strictEqual(await version(`EpisodeOfCare/${ep.id}`), 2);

  const w = await recordOk('e1', { programme: 'hypertension', date: '2025-07-01', sbp: 130, dbp: 80 });
  assert.notDeepStrictEqual(w.enrolment, [`EpisodeOfCare/${ep.id}`], 'a new enrolment');
  const ep2 = (await get(w.enrolment[0])).json;
  assert.deepStrictEqual([ep2.status, ep2.period.start], ['active', '2025-07-01']);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/e1'), 2);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/e1&status=active'), 1);

  // an EpisodeOfCare that is no programme enrolment cannot be ended here
  r = await req(srv, 'PUT', '/fhir/EpisodeOfCare/other', { body: { resourceType: 'EpisodeOfCare', id: 'other', status: 'active',
    type: [{ coding: [{ system: 'http://example.org/episode', code: 'rehab' }] }], patient: { reference: 'Patient/e1' } } });
  assert.strictEqual(r.status, 201, r.text);
  assert.match(outcomeIssues(assert, await end('other', { reason: 'moved' }), 422)[0].diagnostics, /not a programme enrolment/);
  outcomeIssues(assert, await end('missing', { reason: 'moved' }), 404);
});

test('concurrent visits of one resident: each stored or cleanly refused, one enrolment, a consistent sequence', async () => {
  await resident('c1', '1959-11-11');
  const dates = Array.from({ length: 8 }, (_, i) => addDays('2025-08-01', 3 * i));
  const rs = await Promise.all(dates.map((date) =>
    record('c1', { programme: 'hypertension', date, sbp: 150, dbp: 95 })));
  const ok = rs.filter((r) => r.status === 200);
  for (const r of rs) {
    assert.ok([200, 409, 412, 503].includes(r.status), `${r.status}: ${r.text}`);
    assert.strictEqual(r.json?.resourceType, r.status === 200 ? 'Parameters' : 'OperationOutcome', r.text);
  }
  assert.ok(ok.length >= 1, 'at least one visit stored');
  const enrolments = new Set(ok.map((r) => answer(r).enrolment[0]));
  assert.strictEqual(enrolments.size, 1, 'every visit in one enrolment');
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/c1&status=active'), 1);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/c1'), 1);
  assert.strictEqual(await count('Encounter?subject=Patient/c1'), ok.length);
  // whatever order they were stored in, the first visit is a first uncontrolled, every later one a referral
  const encs = (await get('Encounter?subject=Patient/c1&_count=50')).json.entry.map((e) => e.resource)
    .sort((x, y) => x.period.start.localeCompare(y.period.start));
  assert.strictEqual(encs.length, ok.length);
  assert.deepStrictEqual(encs.map((e) => outcome(e)['next-step'][0]),
    encs.map((_, i) => (i === 0 ? 'two-week' : 'referral')));
  assert.ok(encs.every((e) => e.episodeOfCare[0].reference === [...enrolments][0]));
});

// ---- corrections (found by this suite, fixed in src/care/followup.c) --------------------

test('correcting a visit after management ended does not enrol the resident again', async () => {
  await resident('e2', '1960-10-10');
  const v = await recordOk('e2', { programme: 'hypertension', date: '2025-03-20', sbp: 150, dbp: 95 });
  const r = await req(srv, 'POST', `/fhir/${v.enrolment[0]}/$end-management`, { body: params({ reason: 'moved', date: '2025-04-01' }) });
  assert.strictEqual(r.status, 200, r.text);
  const ed = await record('e2', { programme: 'hypertension', date: '2025-03-20', sbp: 135, dbp: 85, encounter: v.encounter[0] });
  assert.ok([200, 422].includes(ed.status), ed.text);
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/e2&status=active'), 0, 'no active enrolment after the correction');
  assert.strictEqual(await count('EpisodeOfCare?patient=Patient/e2'), 1, 'no new EpisodeOfCare');
  assert.strictEqual((await get(v.encounter[0])).json.episodeOfCare[0].reference, v.enrolment[0], 'the visit stays in its enrolment');
});

test('editing a visit keeps Observations of the Encounter that the form did not write', async () => {
  await resident('h5', '1961-06-06');
  const v = await recordOk('h5', { programme: 'hypertension', date: '2025-03-01', sbp: 150, dbp: 95 });
  let r = await req(srv, 'PUT', '/fhir/Observation/h5-ecg', { body: { resourceType: 'Observation', id: 'h5-ecg', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8601-7' }], text: 'ECG impression' },
    subject: { reference: 'Patient/h5' }, encounter: { reference: v.encounter[0] }, valueString: 'sinus rhythm' } });
  assert.strictEqual(r.status, 201, r.text);
  await recordOk('h5', { programme: 'hypertension', date: '2025-03-01', sbp: 135, dbp: 85, encounter: v.encounter[0] });
  r = await get('Observation/h5-ecg');
  assert.strictEqual(r.status, 200, 'the ECG is still there');
  assert.strictEqual(r.json.valueString, 'sinus rhythm');
});

test('a refused repeated parameter is located at its own position', async () => {
  await resident('r2', '1965-03-03');
  const r = await record('r2', { programme: 'hypertension', date: '2025-07-02', sbp: 130, dbp: 80,
    symptom: ['headache-dizziness', 'feeling-blue'] });
  assert.deepStrictEqual(outcomeIssues(assert, r, 400)[0].expression, ['Parameters.parameter[5]']);
});

test('an edit without a date keeps the visit on its day; a back-dated first visit moves the enrolment start', async () => {
  await resident('d7', '1958-02-02');
  const v = await recordOk('d7', { programme: 'hypertension', date: '2025-03-20', sbp: 150, dbp: 95, doctor: 'Practitioner/doc1' });
  const ed = await recordOk('d7', { programme: 'hypertension', sbp: 132, dbp: 84, encounter: v.encounter[0] });
  const enc = (await get(v.encounter[0])).json;
  assert.strictEqual(enc.period.start, '2025-03-20');
  assert.strictEqual(enc.participant[0].individual.reference, 'Practitioner/doc1', 'the doctor stays');
  assert.deepStrictEqual(ed['next-date'], ['2025-06-20']);
  // a visit exactly on a day is found by that day
  assert.strictEqual(await count('Encounter?subject=Patient/d7&date=2025-03-20'), 1);
  // a visit before the enrolment began: the enrolment now begins then
  await recordOk('d7', { programme: 'hypertension', date: '2025-03-01', sbp: 150, dbp: 95 });
  assert.strictEqual((await get(v.enrolment[0])).json.period.start, '2025-03-01');
});

test('lifestyle items and their targets are kept on the findings Observation; a value out of range is refused', async () => {
  await resident('l1', '1962-02-02');
  const v = await recordOk('l1', { programme: 'hypertension', date: '2025-05-05', sbp: 132, dbp: 84,
    smoking: 10, 'smoking-target': 5, drinking: 2, 'exercise-sessions': 3, 'exercise-minutes-target': 30,
    'salt-intake': 'heavy', 'salt-intake-target': 'light' });
  const findings = (await get(v.observation.find((o) => o.endsWith('-findings')))).json;
  const by = Object.fromEntries(findings.component.map((c) => [c.code.coding[0].code, c]));
  assert.strictEqual(by.smoking.valueQuantity.value, 10);
  assert.strictEqual(by.smoking.valueQuantity.code, '/d');
  assert.strictEqual(by['smoking-target'].valueQuantity.value, 5);
  assert.strictEqual(by.drinking.valueQuantity.code, '{liang}/d');
  assert.strictEqual(by['exercise-minutes-target'].valueQuantity.value, 30);
  assert.strictEqual(by['salt-intake'].valueCodeableConcept.coding[0].code, 'heavy');
  assert.strictEqual(by['salt-intake-target'].valueCodeableConcept.coding[0].display, '轻');
  const bad = await record('l1', { programme: 'hypertension', date: '2025-05-06', sbp: 132, dbp: 84, smoking: 500, 'salt-intake': 'salty' });
  const issues = outcomeIssues(assert, bad, 422);
  assert.match(issues[0].diagnostics, /'smoking' 500/);
  assert.match(issues[1].diagnostics, /salt-intake/);
  assert.strictEqual(await count('Encounter?subject=Patient/l1'), 1, 'nothing of the refused visit stored');
});

test('plausibility: flags on the visit, the review list, and a doctor\'s digit report', async () => {
  await req(srv, 'PUT', '/fhir/Practitioner/doc9', { body: { resourceType: 'Practitioner', id: 'doc9', name: [{ text: 'doc9' }] } });
  await resident('z1', '1955-05-05');
  const dates = Array.from({ length: 32 }, (_, i) => addDays('2024-01-10', i * 14));
  let last;
  for (const d of dates) last = await recordOk('z1', { programme: 'hypertension', date: d, sbp: 130, dbp: 80, doctor: 'Practitioner/doc9' });
  assert.ok(last['plausibility-flag'].includes('identical-readings'), 'the same reading three visits running');
  assert.ok(last['plausibility-flag'].includes('recorded-late'));
  const flagged = await count(`Encounter?subject=Patient/z1&plausibility-flag=${CS}plausibility-flag|identical-readings`);
  assert.strictEqual(flagged, 30, 'every visit from the third on');
  const rep = await req(srv, 'GET', '/fhir/Practitioner/doc9/$digit-preference?start=2024-01-01');
  assert.strictEqual(rep.status, 200, rep.text);
  const a = answer(rep);
  assert.deepStrictEqual(a.readings, [32]);
  assert.deepStrictEqual(a['zero-share'], [1]);
  assert.deepStrictEqual(a.flag, ['terminal-digit-preference', 'bunching-under-140']);
  // a doctor whose readings vary: no flag
  const other = await req(srv, 'GET', '/fhir/Practitioner/doc1/$digit-preference?start=2024-01-01');
  assert.strictEqual(other.status, 200, other.text);
  assert.strictEqual(answer(other).flag, undefined);
  assert.strictEqual((await req(srv, 'GET', '/fhir/Practitioner/nobody/$digit-preference')).status, 404);
  assert.strictEqual((await req(srv, 'GET', '/fhir/Practitioner/doc9/$digit-preference?start=soon')).status, 400);
  // a visit after death is recorded, and flagged
  const dead = await req(srv, 'PUT', '/fhir/Patient/z2', { body: { resourceType: 'Patient', id: 'z2', gender: 'male', birthDate: '1950-01-01', deceasedDateTime: '2025-01-01' } });
  assert.strictEqual(dead.status, 201);
  await req(srv, 'PUT', '/fhir/Condition/z2-I10', { body: { resourceType: 'Condition', id: 'z2-I10', code: { coding: [{ system: ICD10, code: 'I10' }] }, subject: { reference: 'Patient/z2' } } });
  const v = await recordOk('z2', { programme: 'hypertension', date: '2025-02-01', sbp: 80, dbp: 90 });
  assert.ok(v['plausibility-flag'].includes('visit-after-death'));
  assert.ok(v['plausibility-flag'].includes('diastolic-not-below-systolic'));
});
