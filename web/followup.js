// followup.js -- the follow-up form of the hypertension and type 2 diabetes programmes
// (BPHS 2017 随访服务记录表), phone first. Saves with POST /fhir/Patient/{id}/$record-followup
// and shows the outcome the rule pack gave at once: classification, next step and date,
// referral reasons, danger signs (red, for an urgent referral) and plausibility flags. A
// refusal is shown beside the field its OperationOutcome names (Parameters.parameter[i]),
// otherwise at the top. After a save, saving again corrects the same visit (its Encounter).
import { t } from './i18n.js';
import { label, PROGRAMMES, FORM_SYMPTOMS, DANGER_SYMPTOMS } from './chronic-data.js';
import { CS, h, api, nameOf, ageOf, note, entries, today } from './util.js';
import { dangerLabel } from './chronic.js';

// the readings of the form: parameter name, label key, input step, and the pair they sit in
const READINGS = [
  ['sbp', 'sbpL', '1'], ['dbp', 'dbpL', '1'],
  ['fasting-glucose', 'fpgL', '0.1'], ['hba1c', 'hba1cL', '0.1'],
  ['heart-rate', 'hrL', '1'], ['temperature', 'tempL', '0.1'],
  ['weight', 'weightL', '0.1'], ['height', 'heightL', '0.1'],
];
const REQUIRED = { hypertension: ['sbp', 'dbp'], diabetes: ['fasting-glucose'] };
const WAYS = ['clinic', 'home', 'phone'];

export async function followupPage(view, id, query) {
  view.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  const epTypes = PROGRAMMES.map((p) => `${CS}episode-type|${p}-programme`).join(',');
  const [p, eps] = await Promise.all([
    api('GET', `Patient/${encodeURIComponent(id)}`),
    api('GET', `EpisodeOfCare?patient=${encodeURIComponent('Patient/' + id)}&type=${encodeURIComponent(epTypes)}&status=active&_count=10`).then(entries),
  ]);
  const enrolled = eps.map((ep) => ep.type?.[0]?.coding?.[0]?.code?.replace(/-programme$/, ''));
  const state = { programme: PROGRAMMES.includes(query.get('programme')) ? query.get('programme') : enrolled.find((x) => PROGRAMMES.includes(x)) || 'hypertension', encounter: null };
  const doctor = query.get('doctor');

  // ---- the fields ----
  const errs = {}; // field key -> its error line
  const field = (key, labelKey, input, extra = {}) => {
    errs[key] = h('p', { class: 'field-error', id: 'err-' + key, role: 'alert', hidden: true });
    input.setAttribute('aria-describedby', 'err-' + key);
    return h('div', { class: 'field', 'data-field': key, ...extra }, h('label', { for: input.id }, h('span', { text: t(labelKey) }), h('span', { class: 'req', text: ' *', hidden: true })), input, errs[key]);
  };
  const progSel = h('select', { id: 'f-programme', name: 'programme' }, PROGRAMMES.map((x) => h('option', { value: x, selected: x === state.programme, text: t('prog-' + x) })));
  const dateIn = h('input', { id: 'f-date', name: 'date', type: 'date', value: today(), max: today(), required: true });
  const wayBox = h('div', { class: 'segmented', role: 'radiogroup', id: 'f-way' }, WAYS.map((w) => h('label', {},
    h('input', { type: 'radio', name: 'way', value: w, checked: w === 'clinic' }), h('span', { text: label('followup-way', w) }))));
  const inputs = {};
  for (const [name, , step] of READINGS)
    inputs[name] = h('input', { id: 'f-' + name, name, type: 'number', inputmode: 'decimal', step, min: 0, autocomplete: 'off' });
  const symptomsBox = h('div', { class: 'checks', id: 'f-symptoms' });
  const dangerBox = h('div', { class: 'checks', id: 'f-danger' });
  const adverse = h('input', { type: 'checkbox', id: 'f-adverse-reaction', name: 'adverse-reaction' });
  const controllable = h('input', { type: 'checkbox', id: 'f-adverse-reaction-controllable', name: 'adverse-reaction-controllable', disabled: true });
  adverse.addEventListener('change', () => { controllable.disabled = !adverse.checked; if (!adverse.checked) controllable.checked = false; });
  const complication = h('select', { id: 'f-complication', name: 'complication' }, h('option', { value: '', text: t('notRecorded') }),
    ['none', 'new', 'worse'].map((c) => h('option', { value: c, text: label('complication-change', c) })));
  const adherence = h('select', { id: 'f-adherence', name: 'adherence' }, h('option', { value: '', text: t('notRecorded') }),
    ['regular', 'intermittent', 'none', 'refused'].map((c) => h('option', { value: c, text: label('medication-adherence', c) })));

  const top = h('div', { id: 'form-top' });
  const result = h('div', { id: 'result-slot' });
  const save = h('button', { type: 'submit', id: 'save', text: t('save') });
  const form = h('form', { class: 'followup', id: 'followup-form', novalidate: true },
    top,
    h('div', { class: 'grid2' }, field('programme', 'programme', progSel), field('date', 'visitDate', dateIn)),
    h('div', { class: 'field', 'data-field': 'way' }, h('span', { class: 'label', text: t('way') }), wayBox, (errs.way = h('p', { class: 'field-error', id: 'err-way', role: 'alert', hidden: true }))),
    h('fieldset', { class: 'readings' }, h('legend', { text: t('readings') }),
      h('div', { class: 'grid2' }, READINGS.map(([name, labelKey]) => field(name, labelKey, inputs[name])))),
    h('fieldset', { class: 'symptoms', 'data-field': 'symptom' }, h('legend', { text: t('symptoms') }), symptomsBox,
      (errs.symptom = h('p', { class: 'field-error', id: 'err-symptom', role: 'alert', hidden: true }))),
    h('fieldset', { class: 'danger-list', 'data-field': 'danger' }, h('legend', { text: t('dangerChecklist') }), dangerBox,
      (errs.danger = h('p', { class: 'field-error', id: 'err-danger', role: 'alert', hidden: true }))),
    h('fieldset', { class: 'more' }, h('legend', { text: t('treatment') }),
      h('div', { class: 'field', 'data-field': 'adverse-reaction' },
        h('label', { class: 'check' }, adverse, ' ', t('adverseYes')),
        h('label', { class: 'check indent' }, controllable, ' ', t('controllable')),
        (errs['adverse-reaction'] = h('p', { class: 'field-error', id: 'err-adverse-reaction', role: 'alert', hidden: true }))),
      h('div', { class: 'grid2' }, field('complication', 'complication', complication), field('adherence', 'adherence', adherence))),
    h('div', { class: 'actions' }, save, h('a', { href: `#/chronic/${encodeURIComponent(id)}`, text: t('cancelToChart') })),
    result);
  errs['adverse-reaction-controllable'] = errs['adverse-reaction'];

  const paintProgramme = () => {
    const keepSym = new Set([...symptomsBox.querySelectorAll('input:checked')].map((i) => i.value));
    const keepDanger = new Set([...dangerBox.querySelectorAll('input:checked')].map((i) => i.value));
    symptomsBox.replaceChildren(...FORM_SYMPTOMS[state.programme].map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'symptom', value: c, checked: keepSym.has(c) }), ' ', label('followup-symptom', c))));
    dangerBox.replaceChildren(...DANGER_SYMPTOMS[state.programme].map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'danger', value: c, checked: keepDanger.has(c) }), ' ', label('followup-symptom', c))));
    for (const [name] of READINGS) form.querySelector(`[data-field="${name}"] .req`).hidden = !REQUIRED[state.programme].includes(name);
  };
  // "no symptoms" and a symptom exclude each other
  symptomsBox.addEventListener('change', (e) => {
    if (!e.target.checked) return;
    for (const i of symptomsBox.querySelectorAll('input:checked'))
      if ((e.target.value === 'none') !== (i.value === 'none')) i.checked = false;
  });
  progSel.addEventListener('change', () => { state.programme = progSel.value; paintProgramme(); });
  paintProgramme();

  // ---- saving ----
  const clearErrors = () => {
    top.replaceChildren();
    for (const e of Object.values(errs)) { e.hidden = true; e.textContent = ''; }
    form.querySelectorAll('.field.invalid, fieldset.invalid').forEach((f) => f.classList.remove('invalid'));
  };
  const showError = (key, msg) => {
    const e = errs[key];
    if (!e) return false;
    e.textContent = e.textContent ? `${e.textContent}; ${msg}` : msg;
    e.hidden = false;
    e.closest('.field, fieldset')?.classList.add('invalid');
    return true;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    // the parameters, and which field each came from (for the refusal's expression)
    const parameter = [], from = [];
    const add = (key, p) => { parameter.push(p); from.push(key); };
    add('programme', { name: 'programme', valueCode: state.programme });
    if (dateIn.value) add('date', { name: 'date', valueDate: dateIn.value });
    add('way', { name: 'way', valueCode: form.querySelector('input[name="way"]:checked')?.value || 'clinic' });
    let missing = false;
    const refuse = (key, msg) => { showError(key, msg); missing = true; };
    for (const [name, labelKey] of READINGS) {
      const raw = inputs[name].value.trim();
      if (raw === '' && !inputs[name].validity.badInput) {
        if (REQUIRED[state.programme].includes(name)) refuse(name, t('missing', { f: t(labelKey) }));
        continue;
      }
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) refuse(name, t('notANumber'));
      else add(name, { name, valueDecimal: n });
    }
    if (!dateIn.value) refuse('date', t('missing', { f: t('visitDate') }));
    if (missing) {
      top.replaceChildren(note('bad', t('fixFields')));
      form.querySelector('.invalid')?.scrollIntoView({ block: 'center' });
      return;
    }
    for (const i of symptomsBox.querySelectorAll('input:checked')) add('symptom', { name: 'symptom', valueCode: i.value });
    for (const i of dangerBox.querySelectorAll('input:checked')) add('danger', { name: 'symptom', valueCode: i.value });
    add('adverse-reaction', { name: 'adverse-reaction', valueBoolean: adverse.checked });
    if (adverse.checked) add('adverse-reaction-controllable', { name: 'adverse-reaction-controllable', valueBoolean: controllable.checked });
    if (complication.value) add('complication', { name: 'complication', valueCode: complication.value });
    if (adherence.value) add('adherence', { name: 'adherence', valueCode: adherence.value });
    if (doctor) add('top', { name: 'doctor', valueReference: { reference: `Practitioner/${doctor}` } });
    if (state.encounter) add('top', { name: 'encounter', valueReference: { reference: state.encounter } });

    save.disabled = true;
    save.textContent = t('saving');
    try {
      const out = await api('POST', `Patient/${encodeURIComponent(id)}/$record-followup`, { resourceType: 'Parameters', parameter });
      const a = {};
      for (const q of out.parameter || []) {
        const k = Object.keys(q).find((x) => x.startsWith('value'));
        (a[q.name] ||= []).push(k === 'valueReference' ? q[k].reference : q[k]);
      }
      state.encounter = a.encounter?.[0] || state.encounter;
      result.replaceChildren(outcomeBox(a, id));
      result.scrollIntoView({ block: 'start' });
    } catch (e) {
      let placed = 0;
      for (const issue of e.outcome?.issue || []) {
        const m = /^Parameters\.parameter\[(\d+)\]/.exec(issue.expression?.[0] || '');
        const key = m ? from[Number(m[1])] : null;
        if (key && key !== 'top' && showError(key, issue.diagnostics || e.message)) placed++;
        else top.append(note('bad', `${t('notSaved')}: ${issue.diagnostics || e.message}`));
      }
      if (!e.outcome) top.append(note('bad', `${t('notSaved')}: ${e.message}`));
      if (placed && !top.childNodes.length) top.append(note('bad', t('fixFields')));
      (form.querySelector('.invalid') || top).scrollIntoView({ block: 'center' });
    } finally {
      save.disabled = false;
      save.textContent = state.encounter ? t('saveChanges') : t('save');
    }
  });

  view.replaceChildren(
    h('p', {}, h('a', { href: `#/chronic/${encodeURIComponent(id)}`, text: '← ' + t('chronicCare') })),
    h('h1', { text: t('followupForm') }),
    h('p', { class: 'who-line' }, h('strong', { text: nameOf(p) }), h('span', { class: 'muted', text: ` ${t(p.gender || 'unknown')} · ${ageOf(p)}` })),
    form);
  return null;
}

// The outcome of a saved visit, as $record-followup answered it ({ name: [values] }).
function outcomeBox(a, id) {
  const step = a['next-step']?.[0];
  const urgent = step === 'urgent-referral';
  const danger = a['danger-sign'] || [];
  const cls = a.classification?.[0];
  const rows = [
    ['classification', h('span', { class: 'cls-' + cls, text: label('followup-classification', cls) + (a['at-target'] ? ` (${a['at-target'][0] ? t('atTarget') : t('notAtTarget')})` : '') })],
    ['nextStep', h('span', { class: step?.includes('referral') ? 'refer' : '', text: label('next-step', step) })],
    ['nextDate', a['next-date']?.[0] || ''],
  ];
  if (a['referral-reason']) rows.push(['referralReasons', a['referral-reason'].map((r) => label('referral-reason', r)).join('；')]);
  if (a['plausibility-flag']) rows.push(['plausibility', h('span', { class: 'flag-text', text: a['plausibility-flag'].map((f) => label('plausibility-flag', f)).join('；') })]);
  return h('section', { class: 'result box' + (urgent ? ' urgent' : ''), id: 'result', role: 'status' },
    h('h2', { text: t('resultTitle') }),
    danger.length || urgent ? h('div', { class: 'danger-alert', role: 'alert' },
      h('strong', { text: label('next-step', 'urgent-referral') }),
      danger.length ? h('ul', {}, danger.map((d) => h('li', { text: dangerLabel(d) }))) : null) : null,
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: t(k) }), h('dd', { 'data-k': k }, v)])),
    h('p', { class: 'actions' }, h('a', { href: `#/chronic/${encodeURIComponent(id)}`, id: 'to-chart', text: t('viewChronic') + ' →' }),
      h('a', { href: '#/worklist', text: t('backWorklist') })));
}
