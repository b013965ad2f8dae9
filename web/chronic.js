// chronic.js -- a resident's chronic care: blood pressure, fasting glucose and HbA1c over
// time (ECharts, with the BPHS 2017 targets drawn in), the follow-up visits with their
// outcome as the rule pack classified them, the risk tier with its reasons, and the
// programme enrolments. Reads Encounter (with its Observations by _revinclude),
// EpisodeOfCare and RiskAssessment/risk-{id}; writes nothing.
import { t } from './i18n.js';
import { label, PROGRAMMES } from './chronic-data.js';
import { CS, SD, h, api, nameOf, ageOf, extOf, subExt, note, entries } from './util.js';
import { drawCharts } from './chart.js';

const LOINC = 'http://loinc.org';
const WAYS = { AMB: 'clinic', HH: 'home', VR: 'phone' };
const READING_CODES = { '14771-0': 'fpg', '4548-4': 'hba1c', '8867-4': 'hr', '8310-5': 'temp', '29463-7': 'weight', '8302-2': 'height', '39156-5': 'bmi' };

// every page of a search (bounded), following the Bundle's next links
async function allPages(path, max = 20) {
  const out = [];
  for (let i = 0; path && i < max; i++) {
    const b = await api('GET', path);
    out.push(...(b.entry || []));
    const next = b.link?.find((l) => l.relation === 'next')?.url;
    path = next ? next.slice(next.indexOf('/fhir/') + 6) : null;
  }
  return out;
}

// A danger sign's label: a reading (CodeSystem danger-sign) or a symptom (followup-symptom).
export const dangerLabel = (code) => label(label('danger-sign', code) !== code ? 'danger-sign' : 'followup-symptom', code);

// The visits of a resident, newest first: each Encounter with its outcome, flags, readings
// and form findings.
export async function loadVisits(id) {
  const types = PROGRAMMES.map((p) => `${CS}encounter-type|${p}-followup`).join(',');
  const found = await allPages(`Encounter?subject=${encodeURIComponent('Patient/' + id)}&type=${encodeURIComponent(types)}&_sort=-date&_revinclude=Observation:encounter&_count=100`);
  const obs = new Map();
  for (const e of found.filter((x) => x.search?.mode === 'include' && x.resource.resourceType === 'Observation')) {
    const ref = e.resource.encounter?.reference?.split('/')[1];
    if (!obs.has(ref)) obs.set(ref, []);
    obs.get(ref).push(e.resource);
  }
  return found.filter((x) => x.resource.resourceType === 'Encounter').map((x) => visitOf(x.resource, obs.get(x.resource.id) || []));
}

function visitOf(enc, observations) {
  const type = enc.type?.[0]?.coding?.find((c) => c.system === CS + 'encounter-type')?.code || '';
  const oc = extOf(enc, 'followup-outcome')[0];
  const v = {
    id: enc.id,
    date: (enc.period?.start || '').slice(0, 10),
    programme: type.replace(/-followup$/, ''),
    way: WAYS[enc.class?.code] || '',
    outcome: subExt(oc),
    danger: (oc?.extension || []).filter((s) => s.url === 'danger-sign').map((s) => s.valueCoding?.code),
    flags: extOf(enc, 'plausibility-flag').map((e) => e.valueCoding?.code),
    r: {},
    symptoms: [],
  };
  for (const o of observations) {
    const code = o.code?.coding?.find((c) => c.system === LOINC)?.code;
    if (code === '85354-9') {
      for (const c of o.component || []) {
        const cc = c.code?.coding?.find((x) => x.system === LOINC)?.code;
        if (cc === '8480-6') v.r.sbp = c.valueQuantity?.value;
        if (cc === '8462-4') v.r.dbp = c.valueQuantity?.value;
      }
    } else if (READING_CODES[code]) {
      v.r[READING_CODES[code]] = o.valueQuantity?.value;
    } else if (o.code?.coding?.some((c) => c.system === CS + 'followup-item' && c.code === 'followup-findings')) {
      for (const c of o.component || []) {
        const item = c.code?.coding?.[0]?.code;
        if (item === 'symptom') v.symptoms.push(c.valueCodeableConcept?.coding?.[0]?.code);
        else if (item === 'adverse-reaction') v.adverse = c.valueBoolean;
        else if (item === 'adverse-reaction-controllable') v.controllable = c.valueBoolean;
        else if (item === 'complication') v.complication = c.valueCodeableConcept?.coding?.[0]?.code;
        else if (item === 'adherence') v.adherence = c.valueCodeableConcept?.coding?.[0]?.code;
      }
    }
  }
  return v;
}

async function loadRisk(id) {
  try {
    return await api('GET', `RiskAssessment/risk-${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.status === 404 || e.status === 410) return null; // written by the population model in a moment
    throw e;
  }
}

export async function chronicPage(view, id) {
  view.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  const epTypes = PROGRAMMES.map((p) => `${CS}episode-type|${p}-programme`).join(',');
  const [p, eps, visits, risk] = await Promise.all([
    api('GET', `Patient/${encodeURIComponent(id)}`),
    api('GET', `EpisodeOfCare?patient=${encodeURIComponent('Patient/' + id)}&type=${encodeURIComponent(epTypes)}&_count=50`).then(entries),
    loadVisits(id),
    loadRisk(id),
  ]);
  const enrolled = eps.filter((e) => e.status === 'active').map(programmeOf);
  const record = h('div', { class: 'actions' }, (enrolled.length ? PROGRAMMES.filter((x) => enrolled.includes(x)) : PROGRAMMES).map((prog) =>
    h('a', { class: 'button record', id: 'record-' + prog, href: `#/followup/${encodeURIComponent(id)}?programme=${prog}`, text: t('recordFor', { p: t('prog-' + prog) }) })));

  const charts = h('section', { class: 'charts', 'aria-label': t('chartTitle') });
  view.replaceChildren(
    h('p', {}, h('a', { href: '#/worklist', text: '← ' + t('backWorklist') }), ' · ', h('a', { href: `#/patient/${encodeURIComponent(id)}`, text: t('contractPage') })),
    h('h1', { text: `${nameOf(p)} · ${t('chronicCare')}` }),
    h('p', { class: 'muted', text: `${t(p.gender || 'unknown')} · ${ageOf(p)}` }),
    record,
    riskBox(risk),
    charts,
    visitsTable(visits),
    enrolmentsBox(eps));
  return drawCharts(charts, visits, p.birthDate);
}

const programmeOf = (ep) => ep.type?.[0]?.coding?.find((c) => c.system === CS + 'episode-type')?.code?.replace(/-programme$/, '');

function riskBox(ra) {
  if (!ra) return h('section', { class: 'box', id: 'risk' }, h('h2', { text: t('riskTier') }), note('muted', t('riskPending')));
  const tier = ra.prediction?.[0]?.qualitativeRisk?.coding?.find((c) => c.system === CS + 'risk-tier')?.code;
  const reasons = extOf(ra, 'risk-reason').map((e) => e.valueCoding?.code);
  const recall = subExt(extOf(ra, 'recall')[0]);
  return h('section', { class: 'box', id: 'risk' },
    h('h2', {}, t('riskTier'), ' ', h('span', { class: 'badge tier-' + tier, text: label('risk-tier', tier) })),
    reasons.length ? h('ul', { class: 'reasons' }, reasons.map((r) => h('li', { text: label('risk-reason', r) }))) : h('p', { class: 'muted', text: t('noRiskReason') }),
    recall.category ? h('p', { class: 'muted', text: `${t('recall')}: ${label('recall-category', recall.category[0])}${recall.date ? ' · ' + recall.date[0] : ''}` }) : null);
}

function enrolmentsBox(eps) {
  const rows = eps.slice().sort((a, b) => (b.period?.start || '').localeCompare(a.period?.start || ''));
  return h('section', { id: 'enrolments' }, h('h2', { text: t('enrolments') }),
    rows.length ? h('ul', { class: 'history' }, rows.map((ep) => {
      const why = (ep.extension || []).find((e) => e.url === SD + 'management-end-reason')?.valueCoding?.code;
      return h('li', {}, h('strong', { text: t('prog-' + programmeOf(ep)) }), ' ',
        h('span', { class: 'badge' + (ep.status === 'active' ? '' : ' state-terminated'), text: ep.status === 'active' ? t('managed') : t('managementEnded') }),
        h('span', { class: 'muted', text: ` ${ep.period?.start || ''} — ${ep.period?.end || ''}${why ? ' · ' + label('management-end-reason', why) : ''}` }));
    })) : note('muted', t('notEnrolled')));
}

function visitsTable(visits) {
  if (!visits.length) return h('section', { id: 'visits' }, h('h2', { text: t('visits') }), note('muted', t('noVisits')));
  const num = (x) => (x === undefined || x === null ? '' : String(x));
  const head = ['date', 'programme', 'bp', 'fpg', 'hba1c', 'classification', 'nextStep', 'referralReasons', 'dangerSigns', 'plausibility'];
  const body = visits.map((v) => {
    const o = v.outcome;
    const cls = o.classification?.[0];
    const step = o['next-step']?.[0];
    return h('tr', { 'data-encounter': v.id },
      h('td', { text: v.date }),
      h('td', {}, t('prog-' + v.programme), v.way ? h('div', { class: 'muted small', text: label('followup-way', v.way) }) : ''),
      h('td', { text: v.r.sbp !== undefined ? `${v.r.sbp}/${num(v.r.dbp)}` : '' }),
      h('td', { text: num(v.r.fpg) }),
      h('td', { text: num(v.r.hba1c) }),
      h('td', {}, cls ? h('span', { class: 'cls-' + cls, text: label('followup-classification', cls) }) : '',
        o['at-target'] ? h('div', { class: 'muted small', text: o['at-target'][0] ? t('atTarget') : t('notAtTarget') }) : ''),
      h('td', { class: 'wrap' }, step ? h('span', { class: step.includes('referral') ? 'refer' : '', text: label('next-step', step) }) : '',
        o['next-date'] ? h('div', { class: 'muted small', text: `${t('nextDate')} ${o['next-date'][0]}` }) : ''),
      h('td', { class: 'wrap', text: (o['referral-reason'] || []).map((r) => label('referral-reason', r)).join('；') }),
      h('td', { class: 'wrap danger-text', text: v.danger.map(dangerLabel).join('；') }),
      h('td', { class: 'wrap flag-text', text: v.flags.map((f) => label('plausibility-flag', f)).join('；') }));
  });
  return h('section', { id: 'visits' }, h('h2', { text: `${t('visits')} (${visits.length})` }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'visits' },
      h('thead', {}, h('tr', {}, head.map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, body))));
}
