// chronic.test.js -- the chronic-care pages in Debian's Chromium (playwright-core): a doctor
// records follow-up visits on the form (a first uncontrolled BP: 2-week follow-up; a danger
// sign: urgent referral), finds the residents on the right worklists, reads a resident's
// chart and visits; the form on a 375 px phone; a refused reading shown beside its field;
// the page's code lists against terminology/ and the rule packs; a session that ends while
// the form is filled in (logged in again, the form is as it was).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, req, ROOT, ADMIN } = require('../api/lib');
const { logIn } = require('./login');

const CHROMIUM = process.env.YL_CHROMIUM || '/usr/bin/chromium';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const SD = 'https://yilian.health/fhir/StructureDefinition/';
const ref = (r) => ({ reference: r });
// a day counted from today in the local calendar (the server's and the browser's)
function day(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
const params = (o) => ({ resourceType: 'Parameters', parameter: Object.entries(o).map(([name, v]) =>
  (typeof v === 'number' ? { name, valueDecimal: v } : /^\d{4}-\d\d-\d\d$/.test(v) ? { name, valueDate: v } : v.includes('/') ? { name, valueReference: ref(v) } : { name, valueCode: v })) });

let srv, browser;
const put = async (r) => {
  const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
  assert.ok(res.status < 300, res.text);
};
const post = async (p, body, status = 200) => {
  const res = await req(srv, 'POST', p, { body });
  assert.strictEqual(res.status, status, `${p}: ${res.text}`);
  return res.json;
};

// a resident of the health centre aged `age`, with the conditions, contracted with team t1
async function resident(id, name, age, codes, doctor = 'd1') {
  await put({ resourceType: 'Patient', id, gender: 'female', birthDate: `${new Date().getFullYear() - age}-01-01`,
    name: [{ text: name }], managingOrganization: ref('Organization/thc') });
  for (const code of codes)
    await put({ resourceType: 'Condition', id: `${id}-${code}`, subject: ref(`Patient/${id}`),
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code }] }, onsetDateTime: day(-900) });
  await post('/fhir/EpisodeOfCare/$sign', params({ patient: `Patient/${id}`, team: 'CareTeam/t1', doctor: `Practitioner/${doctor}` }), 201);
}

test.before(async () => {
  srv = await startServer(['--seed-data']);
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await put({ resourceType: 'Practitioner', id: 'd1', name: [{ text: '李医生' }] });
  await put({ resourceType: 'Practitioner', id: 'd2', name: [{ text: '赵医生' }] });
  await put({ resourceType: 'CareTeam', id: 't1', status: 'active', name: '城关镇 1 组',
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: [{ role: [{ coding: [{ system: CS + 'care-team-role', code: 'lead' }] }], member: ref('Practitioner/d1') },
      { role: [{ coding: [{ system: CS + 'care-team-role', code: 'member' }] }], member: ref('Practitioner/d2') }],
    managingOrganization: [ref('Organization/thc')] });
  await resident('a1', '王建国', 60, ['I10']);      // controlled a month ago; today's visit on the form
  await post('/fhir/Patient/a1/$record-followup', params({ programme: 'hypertension', date: day(-30), sbp: 132, dbp: 84 }));
  await resident('b1', '李桂兰', 70, ['I10']);      // a danger symptom with controlled BP on the form
  await resident('c1', '陈志强', 58, ['I10', 'E11'], 'd2'); // SBP 186 on the form; diabetes readings by the API
  await post('/fhir/Patient/c1/$record-followup', params({ programme: 'diabetes', date: day(-100), 'fasting-glucose': 8.2, hba1c: 7.9 }));
  await post('/fhir/Patient/c1/$record-followup', params({ programme: 'diabetes', date: day(-10), 'fasting-glucose': 6.4 }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => {
  await browser?.close();
  await srv?.stop();
});

// a page that collects script errors and Content-Security-Policy refusals
async function page(width = 1100, height = 900) {
  const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  const p = await ctx.newPage();
  p.errors = [];
  p.on('pageerror', (e) => p.errors.push(e.message));
  // a refused request is logged by Chromium too; those the test asks for are not errors
  p.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: .* (422|400)/.test(m.text())) p.errors.push(m.text()); });
  await logIn(p, srv.base, ADMIN);
  return p;
}
// the worklist page has loaded the list its address asks for
const settled = (p) => p.waitForFunction(() => document.getElementById('view').dataset.loaded === location.hash);
const listed = (p) => p.locator('ul.worklist li').evaluateAll((l) => l.map((x) => x.dataset.patient));
// wait until the population model has rewritten a resident's RiskAssessment with this tier
async function tier(id, want) {
  let got;
  for (let i = 0; i < 100; i++) {
    const r = await req(srv, 'GET', `/fhir/RiskAssessment/risk-${id}`);
    got = r.json?.prediction?.[0]?.qualitativeRisk?.coding?.find((c) => c.system === CS + 'risk-tier')?.code;
    if (r.status === 200 && (!want || got === want)) return got;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`RiskAssessment/risk-${id}: ${got}, not ${want}`);
}
const fits = (p, width) => p.evaluate((w) => document.scrollingElement.scrollWidth <= w, width);

// the visit form of a resident: fill, save, wait for the outcome
async function recordVisit(p, pid, fill) {
  await p.goto(`${srv.base}/#/followup/${pid}?programme=hypertension`);
  await p.waitForSelector('#f-sbp');
  await fill(p);
  await p.click('#save');
  await p.waitForSelector('#result');
  return p.locator('#result');
}

test('the page\'s code lists are those of terminology/codesystems.json and the rule packs', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  const data = await p.evaluate(async () => {
    const m = await import('/web/chronic-data.js');
    return { codes: m.CODES, danger: m.DANGER_SYMPTOMS, form: m.FORM_SYMPTOMS };
  });
  const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'terminology/codesystems.json'), 'utf8'));
  const systems = Object.fromEntries(bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'CodeSystem').map((r) => [r.url.slice(CS.length), r]));
  for (const [system, codes] of Object.entries(data.codes)) {
    const want = Object.fromEntries(systems[system].concept.map((c) => [c.code, [c.designation.find((d) => d.language === 'zh-CN').value, c.display]]));
    assert.deepStrictEqual(codes, want, system);
  }
  for (const prog of ['hypertension', 'diabetes']) {
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, `rules/${prog}-bphs-2017.json`), 'utf8'));
    assert.deepStrictEqual(data.danger[prog], pack.danger_symptoms.codes, prog);
    for (const c of data.form[prog]) assert.ok(c in data.codes['followup-symptom'], c);
    for (const c of data.form[prog]) assert.ok(!pack.danger_symptoms.codes.includes(c), `${c} is a form symptom, no danger sign`);
  }
  assert.deepStrictEqual(p.errors, []);
});

test('(a) a first uncontrolled BP: 控制不满意, 2周内随访 and the date in two weeks', async () => {
  const p = await page();
  const result = await recordVisit(p, 'a1', async () => {
    assert.strictEqual(await p.locator('h1').textContent(), '随访记录表');
    assert.match(await p.locator('.who-line').textContent(), /王建国/);
    assert.strictEqual(await p.inputValue('#f-date'), day(0));
    await p.check('#f-way input[value="home"]');
    await p.fill('#f-sbp', '152');
    await p.fill('#f-dbp', '96');
    await p.fill('#f-heart-rate', '78');
    await p.check('#f-symptoms input[value="headache-dizziness"]');
    await p.selectOption('#f-adherence', 'regular');
  });
  const text = await result.textContent();
  assert.match(text, /控制不满意/);
  assert.match(text, /2周内随访/);
  assert.match(text, new RegExp(day(14)));
  assert.strictEqual(await p.locator('#result [data-k="nextDate"]').textContent(), day(14));
  assert.strictEqual(await p.locator('.danger-alert').count(), 0, 'no danger sign');
  assert.strictEqual(await p.locator('#save').textContent(), '保存修改', 'saving again corrects this visit');

  // what the form sent is what is stored
  const enc = (await req(srv, 'GET', `/fhir/Encounter?subject=Patient/a1&date=${day(0)}`)).json.entry.map((e) => e.resource);
  assert.strictEqual(enc.length, 1);
  assert.strictEqual(enc[0].class.code, 'HH', 'a home visit');
  const out = enc[0].extension.find((e) => e.url === SD + 'followup-outcome').extension;
  assert.deepStrictEqual(out.filter((s) => s.url === 'next-step').map((s) => s.valueCoding.code), ['two-week']);
  const findings = (await req(srv, 'GET', `/fhir/Observation/${enc[0].id}-findings`)).json;
  assert.deepStrictEqual(Object.fromEntries(findings.component.map((c) => [c.code.coding[0].code, c.valueBoolean ?? c.valueCodeableConcept.coding[0].code])),
    { symptom: 'headache-dizziness', 'adverse-reaction': false, adherence: 'regular' });
  assert.strictEqual((await req(srv, 'GET', `/fhir/Observation/${enc[0].id}-hr`)).json.valueQuantity.value, 78);
  assert.deepStrictEqual(p.errors, []);
});

test('(b) a danger sign: 紧急转诊 in red with the sign, for a danger symptom and for SBP 186', async () => {
  const p = await page();
  let result = await recordVisit(p, 'b1', async () => {
    await p.fill('#f-sbp', '128');
    await p.fill('#f-dbp', '78');
    await p.check('#f-danger input[value="acute-chest-tightness"]');
  });
  let alert = p.locator('#result .danger-alert');
  assert.match(await alert.textContent(), /紧急转诊/);
  assert.match(await alert.textContent(), /胸闷/);
  assert.strictEqual(await alert.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(180, 35, 24)', 'red');
  assert.match(await result.locator('[data-k="classification"]').textContent(), /^控制满意/, 'controlled BP, urgent all the same');
  assert.match(await result.locator('[data-k="referralReasons"]').textContent(), /危急情况/);

  result = await recordVisit(p, 'c1', async () => {
    await p.fill('#f-sbp', '186');
    await p.fill('#f-dbp', '100');
  });
  alert = p.locator('#result .danger-alert');
  assert.match(await alert.textContent(), /紧急转诊/);
  assert.match(await alert.textContent(), /收缩压≥180mmHg/);
  assert.match(await result.locator('[data-k="nextStep"]').textContent(), /紧急转诊，2周内随访/);
  assert.deepStrictEqual(p.errors, []);
});

test('(c) the worklists: each resident on the list the visit put them on', async () => {
  await tier('a1');
  await tier('b1', 'high'); // the danger sign of the last visit
  await tier('c1', 'high');
  const p = await page();
  await p.goto(srv.base + '/#/worklist/t1?list=two-week');
  await settled(p);
  assert.strictEqual(await p.locator('h1').textContent(), '慢病随访工作表');
  assert.deepStrictEqual(await listed(p), ['a1']);
  const row = await p.locator('ul.worklist li').first().textContent();
  assert.match(row, /王建国/);
  assert.match(row, /高血压/);
  assert.match(row, new RegExp(`应随访 ${day(14)}`));
  assert.match(row, new RegExp(`末次随访 ${day(0)} · 控制不满意 · 2周内随访`));
  assert.match(row, /中危|高危|低危/, 'the risk tier');
  await p.waitForFunction(() => document.querySelector('.count[data-list="urgent-referral"]').textContent === '2');

  // the urgent-referral tab; the doctor's own list (Practitioner/$worklist); the tier filter
  await p.click('#tab-urgent-referral');
  await settled(p);
  assert.ok(await p.locator('#tab-urgent-referral.on').count());
  assert.deepStrictEqual((await listed(p)).sort(), ['b1', 'c1']);
  assert.match(await p.locator('ul.worklist li[data-patient="b1"]').textContent(), /高危.*紧急转诊，2周内随访/);
  await p.selectOption('#wl-doctor', 'd2');
  await p.waitForFunction(() => location.hash.includes('doctor=d2'));
  await settled(p);
  assert.deepStrictEqual(await listed(p), ['c1'], "d2's own residents");
  await p.selectOption('#wl-doctor', '');
  await p.waitForFunction(() => !location.hash.includes('doctor='));
  await settled(p);
  await p.selectOption('#wl-tier', 'high');
  await p.waitForFunction(() => location.hash.includes('tier=high'));
  await settled(p);
  assert.deepStrictEqual((await listed(p)).sort(), ['b1', 'c1']);
  await p.selectOption('#wl-tier', 'low');
  await p.waitForFunction(() => location.hash.includes('tier=low'));
  await settled(p);
  assert.deepStrictEqual(await listed(p), []);
  assert.match(await p.locator('section.list').textContent(), /此列表中没有居民/);

  // a programme filter and a sort order are kept in the address and the selects
  await p.goto(srv.base + '/#/worklist/t1?list=overdue&programme=diabetes&sort=-name');
  await settled(p);
  assert.strictEqual(await p.inputValue('#wl-programme'), 'diabetes');
  assert.strictEqual(await p.inputValue('#wl-sort'), '-name');
  assert.deepStrictEqual(await listed(p), []);

  // a row opens the resident's chronic-care page, its button the form
  await p.goto(srv.base + '/#/worklist/t1?list=two-week');
  await settled(p);
  await p.click('ul.worklist li[data-patient="a1"] a.resident');
  await p.waitForSelector('table.visits');
  assert.match(await p.locator('h1').textContent(), /王建国/);
  await p.goBack();
  await p.click('ul.worklist li[data-patient="a1"] a.record');
  await p.waitForSelector('#f-sbp');
  assert.strictEqual(await p.inputValue('#f-programme'), 'hypertension');
  assert.deepStrictEqual(p.errors, []);
});

test('(d) the chart page: the readings drawn with the BPHS targets, the visits listed, the risk tier', async () => {
  const p = await page();
  await p.goto(srv.base + '/#/chronic/a1');
  await p.waitForSelector('.charts[data-drawn]');
  assert.ok(await p.locator('#chart-bp canvas').count() >= 1, 'ECharts drew on a canvas');
  const series = (id) => p.evaluate((el) => window.echarts.getInstanceByDom(document.getElementById(el)).getOption().series
    .map((s) => ({ name: s.name, values: s.data.map((d) => d[1]) })), id);
  const bp = await series('chart-bp');
  assert.deepStrictEqual(bp.map((s) => s.name), ['收缩压', '舒张压', '收缩压目标 (BPHS 2017)', '舒张压目标 (BPHS 2017)']);
  assert.deepStrictEqual(bp[0].values, [132, 152]);
  assert.deepStrictEqual(bp[1].values, [84, 96]);
  assert.deepStrictEqual([...new Set(bp[2].values)], [140], 'aged 60: below 140');
  assert.deepStrictEqual([...new Set(bp[3].values)], [90]);
  assert.match(await p.locator('#target-note').textContent(), /BPHS 2017/);
  const rows = p.locator('table.visits tbody tr');
  assert.strictEqual(await rows.count(), 2);
  assert.match(await rows.nth(0).textContent(), new RegExp(`${day(0)}.*高血压.*家庭.*152/96.*控制不满意.*未达标.*2周内随访.*${day(14)}`));
  assert.match(await rows.nth(1).textContent(), /132\/84.*控制满意.*常规随访/);
  assert.match(await p.locator('#risk').textContent(), /风险分层\s*(低危|中危|高危)/);
  assert.match(await p.locator('#enrolments').textContent(), /高血压.*管理中/);

  // aged 70: the systolic target is 150; a danger sign in the table
  await tier('b1', 'high');
  await p.goto(srv.base + '/#/chronic/b1');
  await p.waitForSelector('.charts[data-drawn]');
  assert.deepStrictEqual([...new Set((await series('chart-bp'))[2].values)], [150], 'aged 70: below 150');
  assert.match(await p.locator('table.visits .danger-text').first().textContent(), /胸闷/);
  assert.match(await p.locator('#risk').textContent(), /高危/);
  assert.match(await p.locator('#risk').textContent(), /末次随访有危急情况/);

  // fasting glucose with its 7.0 target and HbA1c beside it
  await p.goto(srv.base + '/#/chronic/c1');
  await p.waitForSelector('.charts[data-drawn]');
  const gl = await series('chart-glucose');
  assert.deepStrictEqual(gl.map((s) => [s.name, s.values]), [['空腹血糖', [8.2, 6.4]], ['空腹血糖目标 (BPHS 2017)', [7, 7]], ['糖化血红蛋白', [7.9]]]);
  assert.strictEqual(await p.locator('table.visits tbody tr').count(), 3);
  assert.deepStrictEqual(p.errors, []);
});

test('(e) the form on a 375 px phone: nothing wider than the screen, before and after saving', async () => {
  const p = await page(375, 740);
  await p.goto(srv.base + '/#/followup/b1?programme=hypertension');
  await p.waitForSelector('#f-sbp');
  assert.ok(await fits(p, 375), 'the form fits');
  await p.selectOption('#f-programme', 'diabetes');
  assert.ok(await p.locator('#f-danger input[value="acetone-breath"]').count() === 1, 'the diabetes danger signs');
  assert.ok(await p.locator('[data-field="fasting-glucose"] .req').isVisible(), 'fasting glucose required for diabetes');
  assert.ok(await fits(p, 375), 'the diabetes form fits');
  await p.selectOption('#f-programme', 'hypertension');
  await p.fill('#f-sbp', '188');
  await p.fill('#f-dbp', '112');
  for (const c of ['acute-chest-tightness', 'orthopnoea', 'raised-bp-pregnancy-lactation', 'unmanageable-other-condition'])
    await p.check(`#f-danger input[value="${c}"]`);
  await p.click('#save');
  await p.waitForSelector('#result .danger-alert');
  assert.ok(await fits(p, 375), 'the form with its outcome fits');
  for (const where of ['/#/worklist/t1?list=urgent-referral', '/#/chronic/b1']) {
    await p.goto(srv.base + where);
    await p.waitForSelector('ul.worklist li, table.visits');
    assert.ok(await fits(p, 375), `${where} fits`);
  }
  assert.deepStrictEqual(p.errors, []);
});

test('a refused reading is shown beside its field; a missing one is asked for; in English too', async () => {
  const p = await page();
  await p.goto(srv.base + '/#/followup/a1?programme=hypertension');
  await p.waitForSelector('#f-sbp');
  await p.fill('#f-sbp', '140');
  await p.click('#save');
  await p.waitForSelector('#err-dbp:not([hidden])');
  assert.strictEqual(await p.locator('#err-dbp').textContent(), '请填写舒张压 (mmHg)');
  assert.strictEqual(await p.locator('#result').count(), 0, 'nothing sent');

  await p.fill('#f-sbp', '1500');
  await p.fill('#f-dbp', '90');
  await p.click('#save');
  await p.waitForSelector('#err-sbp:not([hidden])');
  assert.match(await p.locator('#err-sbp').textContent(), /sbp/, "the server's reason, beside the systolic field");
  assert.ok(await p.locator('[data-field="sbp"]').evaluate((el) => el.classList.contains('invalid')));
  assert.match(await p.locator('#form-top').textContent(), /未保存/);
  assert.strictEqual(await p.locator('#err-dbp').isHidden(), true, 'the diastolic error is gone');
  const n = (await req(srv, 'GET', '/fhir/Encounter?subject=Patient/a1&_summary=count')).json.total;
  assert.strictEqual(n, 2, 'nothing stored');

  // English: labels, the outcome in English
  await p.click('#lang');
  await p.waitForSelector('h1:has-text("Follow-up visit")');
  await p.fill('#f-sbp', '150');
  await p.fill('#f-dbp', '95');
  await p.click('#save'); // the same day as the visit of test (a): a second uncontrolled
  await p.waitForSelector('#result');
  assert.match(await p.locator('#result [data-k="classification"]').textContent(), /^Uncontrolled/);
  assert.match(await p.locator('#result [data-k="nextStep"]').textContent(), /Referral recommended, follow-up within 2 weeks/);
  assert.match(await p.locator('#result [data-k="referralReasons"]').textContent(), /Two consecutive uncontrolled visits/);
  await p.click('#lang');
  assert.deepStrictEqual(p.errors, []);
});

test('a session that ends while the form is filled in: log in again, the form keeps what was typed, save', async () => {
  const p = await page();
  await p.goto(`${srv.base}/#/followup/a1?programme=hypertension`);
  await p.waitForSelector('#f-sbp');
  await p.fill('#f-sbp', '138');
  await p.fill('#f-dbp', '86');
  await p.check('#f-symptoms input[value="none"]');
  const tok = await p.evaluate(() => sessionStorage.getItem('yilian.token'));
  assert.strictEqual((await req(srv, 'POST', '/auth/logout', { headers: { Authorization: `Bearer ${tok}` } })).status, 204);
  await p.click('#save');
  await p.waitForSelector('#login-form');
  await p.fill('#login-username', ADMIN.username);
  await p.fill('#login-password', ADMIN.password);
  await p.click('#login-go');
  await p.waitForSelector('#followup-form');
  assert.strictEqual(await p.inputValue('#f-sbp'), '138', 'what was typed is kept');
  assert.strictEqual(await p.inputValue('#f-dbp'), '86');
  assert.ok(await p.isChecked('#f-symptoms input[value="none"]'));
  assert.match(await p.locator('#form-top').textContent(), /未保存.*请重新登录/);
  await p.click('#save');
  await p.waitForSelector('#result');
  assert.match(await p.locator('#result [data-k="classification"]').textContent(), /^控制满意/);
  assert.deepStrictEqual(p.errors.filter((e) => !/status of 401/.test(e)), []);
});
