// screenshot.js -- the README's screenshots, taken from a running `make demo`:
//   YL_PASSWORD=... node tests/browser/screenshot.js [http://127.0.0.1:8080]
// as an administrator: YL_USERNAME (default admin) and YL_PASSWORD (on a demo database's
// first start, the one-time password the server printed; or add one with
// `build/yilian user add --db demo/yilian-demo.db --username U --role admin --password-stdin`).
// It logs in through the login screen in each browser page and with POST /auth/login for its
// own API calls, and logs out at the end.
// writes docs/img/web-team.png (a team's residents, desktop), docs/img/web-resident.png
// (a resident's contract page, phone width), docs/img/web-worklist.png (the team's 2-week
// follow-up list, desktop), docs/img/web-chronic.png (a resident's chart and visits,
// desktop) and docs/img/web-followup.png (the follow-up form and its outcome, phone width).
// The synthetic region has enrolments and years of classified visits, so the lists are
// full; the form's shot records one visit (each run adds it to the demo database).
'use strict';
const path = require('node:path');
const { chromium } = require('playwright-core');
const { logIn } = require('./login');

const TEAM = 'team-00001';
function day(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

(async () => {
  const base = process.argv[2] || 'http://127.0.0.1:8080';
  const who = { username: process.env.YL_USERNAME || 'admin', password: process.env.YL_PASSWORD };
  if (!who.password) throw new Error('set YL_PASSWORD (and YL_USERNAME unless it is admin): an administrator of the demo database');
  const out = (f) => path.join(__dirname, '..', '..', 'docs', 'img', f);
  const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who) });
  if (!login.ok) throw new Error(`log in as ${who.username}: ${login.status} ${await login.text()}`);
  const { token } = await login.json();
  const fhir = async (method, p, body) => {
    const r = await fetch(`${base}/fhir/${p}`, { method, headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` }, body: body && JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const browser = await chromium.launch({ executablePath: process.env.YL_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const desk = await (await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' })).newPage();
  await logIn(desk, base, who);
  await desk.goto(base + `/#/team/${TEAM}?kp=hypertension`);
  await desk.waitForSelector('ul.residents a.resident');
  await desk.waitForSelector('.card .big');
  await desk.screenshot({ path: out('web-team.png') });
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2 })).newPage();
  await logIn(phone, base, who);
  await phone.goto(base + `/#/team/${TEAM}`);
  await phone.waitForSelector('ul.residents a.resident');
  await phone.click('ul.residents a.resident >> nth=0');
  await phone.waitForSelector('.box');
  await phone.screenshot({ path: out('web-resident.png') });

  // the form's and the chart's resident: the longest history among the first residents on
  // the team's 2-week list
  const items = (await fhir('GET', `CareTeam/${TEAM}/$worklist?list=two-week&programme=hypertension&_count=30`)).entry.map((e) => e.resource.id);
  if (!items.length) throw new Error(`${TEAM} has nobody on its 2-week list: is the demo region current?`);
  const counts = await Promise.all(items.map(async (id) =>
    [(await fhir('GET', `Encounter?subject=Patient/${id}&_summary=count`)).total, id]));
  const chartee = counts.sort((x, y) => y[0] - x[0])[0][1];
  await desk.goto(base + `/#/worklist/${TEAM}?list=two-week`);
  await desk.waitForFunction(() => document.getElementById('view').dataset.loaded === location.hash);
  await desk.waitForFunction(() => [...document.querySelectorAll('.tabs .count')].every((c) => c.textContent !== ''));
  await desk.screenshot({ path: out('web-worklist.png') });

  // the form on a phone: today's visit of the first resident, and what the rules made of it
  await phone.goto(base + `/#/followup/${chartee}?programme=hypertension`);
  await phone.waitForSelector('#f-sbp');
  await phone.fill('#f-sbp', '154');
  await phone.fill('#f-dbp', '96');
  await phone.fill('#f-heart-rate', '78');
  await phone.fill('#f-weight', '68.5');
  await phone.fill('#f-height', '162');
  await phone.check('#f-symptoms input[value="headache-dizziness"]');
  await phone.selectOption('#f-adherence', 'intermittent');
  await phone.click('#save');
  await phone.waitForSelector('#result');
  await phone.screenshot({ path: out('web-followup.png'), fullPage: true });

  // that resident's chart: years of synthetic readings and today's visit
  await desk.goto(base + `/#/chronic/${chartee}`);
  await desk.waitForSelector('.charts[data-drawn]');
  await desk.screenshot({ path: out('web-chronic.png'), fullPage: false }); // the charts and the first visits
  for (const p of [desk, phone]) {
    await p.click('#logout');
    await p.waitForSelector('#login-form');
  }
  await fetch(`${base}/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
