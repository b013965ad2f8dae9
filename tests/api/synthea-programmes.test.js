// synthea-programmes.test.js -- real external records in the programmes (issue 6): Synthea
// patients (../shared/data/synthea, SNOMED-coded, US-style) with hypertension are enrolled
// by the BPHS rules (age >= 35 and an active diagnosis in the value set), followed up, and
// given a risk tier whose reasons come from their own coded history.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, req } = require('./lib');

const SHARED = process.env.YL_SHARED || path.join(__dirname, '..', '..', '..', 'shared');
const DIR = path.join(SHARED, 'data/synthea');
const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';

let srv;
test.before(async () => { srv = await startServer(); });
test.after(() => srv.stop());

// POST the patient's transaction bundle; the server's id of its Patient.
async function load(file) {
  const bundle = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  const r = await req(srv, 'POST', '/fhir', { body: bundle });
  assert.strictEqual(r.status, 200, r.text.slice(0, 500));
  const i = bundle.entry.findIndex((e) => e.resource.resourceType === 'Patient');
  const loc = r.json.entry[i].response.location;
  return { id: loc.split('/')[1], birth: bundle.entry[i].resource.birthDate };
}

const param = (name, v) => (v.includes('/') ? { name, valueReference: { reference: v } }
  : /^\d{4}-/.test(v) ? { name, valueDate: v } : { name, valueCode: v });

// The resident's RiskAssessment once `ready` holds for it: written by the population
// model's thread after each change to the record, so an earlier change's tier may be there
// first (on PostgreSQL the change notification wakes that thread at once).
async function riskOf(id, ready = () => true) {
  let last;
  for (let i = 0; i < 60; i++) {
    const r = await req(srv, 'GET', `/fhir/RiskAssessment/risk-${id}`);
    if (r.status === 200 && ready(r.json)) return r.json;
    if (r.status === 200) last = r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
  if (last) return last; // the assertions below say what it lacks
  assert.fail(`no RiskAssessment for Patient/${id}`);
}
const tier = (r) => r.prediction[0].qualitativeRisk.coding.find((c) => c.system === CS + 'risk-tier').code;
const reasons = (r) => r.extension.filter((e) => e.url === SD + 'risk-reason').map((e) => e.valueCoding.code);

test('a Synthea patient with hypertension and coronary heart disease: enrolled, followed up, high risk', async () => {
  const p = await load('Adalberto_Hartmann_44ec4447-9e2c-4eb9-bd4f-0bdb416b806e.json');
  // before enrolment a plain FHIR record: no managing organization, no contract, no tier
  assert.strictEqual((await req(srv, 'GET', `/fhir/RiskAssessment/risk-${p.id}`)).status, 404);
  const e = await req(srv, 'POST', `/fhir/Patient/${p.id}/$enrol`, { body: { resourceType: 'Parameters', parameter: [param('programme', 'hypertension')] } });
  assert.strictEqual(e.status, 201, e.text);
  assert.strictEqual(e.json.type[0].coding[0].code, 'hypertension-programme');
  const v = await req(srv, 'POST', `/fhir/Patient/${p.id}/$record-followup`, { body: { resourceType: 'Parameters', parameter: [
    param('programme', 'hypertension'), { name: 'sbp', valueDecimal: 168 }, { name: 'dbp', valueDecimal: 92 }] } });
  assert.strictEqual(v.status, 200, v.text);
  const out = Object.fromEntries(v.json.parameter.map((x) => [x.name, Object.values(x)[1]]));
  // born 1949: 65 and over, so the target is 150/90; 168 is above it, a first visit
  assert.strictEqual(out.classification, 'uncontrolled');
  assert.strictEqual(out['next-step'], 'two-week');
  const r = await riskOf(p.id, (x) => reasons(x).includes('bp-severe')); // after the visit
  assert.strictEqual(tier(r), 'high');
  // BP 168 > 160 (the recall template's urgent band); hypertension and coronary heart
  // disease from Synthea's SNOMED codes count as two chronic conditions
  for (const want of ['bp-severe', 'not-at-target', 'chronic-condition', 'comorbidity'])
    assert.ok(reasons(r).includes(want), `${want} in ${reasons(r)}`);
  const recall = r.extension.find((x) => x.url === SD + 'recall');
  assert.strictEqual(recall.extension.find((x) => x.url === 'category').valueCoding.code, 'urgent');
});

test('Synthea patients are enrolled only when the BPHS rules allow it', async () => {
  const ali = await load('Ali_Harris_eed1d00b-7665-4da3-88b7-c37cfb2ed245.json'); // born 1963
  const ok = await req(srv, 'POST', `/fhir/Patient/${ali.id}/$enrol`, { body: { resourceType: 'Parameters', parameter: [param('programme', 'hypertension')] } });
  assert.strictEqual(ok.status, 201, ok.text);
  const diab = await req(srv, 'POST', `/fhir/Patient/${ali.id}/$enrol`, { body: { resourceType: 'Parameters', parameter: [param('programme', 'diabetes')] } });
  assert.strictEqual(diab.status, 422, 'no diabetes in his record');
  assert.match(diab.json.issue[0].diagnostics, /no active diagnosis/);
  const young = await load('Benito_Shields_d413c7e7-77db-4e49-b88c-a1565c7d52a9.json'); // born 1999
  const no = await req(srv, 'POST', `/fhir/Patient/${young.id}/$enrol`, { body: { resourceType: 'Parameters', parameter: [param('programme', 'hypertension')] } });
  assert.strictEqual(no.status, 422);
  assert.match(no.json.issue[0].diagnostics, /aged 35 and over/);
  const r = await riskOf(ali.id);
  assert.ok(['medium', 'high'].includes(tier(r)));
  assert.ok(reasons(r).includes('chronic-condition'));
});
