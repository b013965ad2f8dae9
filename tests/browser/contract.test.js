// contract.test.js -- the web pages in Debian's Chromium (playwright-core): a doctor finds
// a resident, signs them with the team, sees them in the team's list, terminates the
// contract; the language switch; a phone-width screen.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, req, residentId, ROOT, ADMIN } = require('../api/lib');
const { logIn } = require('./login');

const CHROMIUM = process.env.YL_CHROMIUM || '/usr/bin/chromium';
const CS = 'https://yilian.health/fhir/CodeSystem/';
const SID = 'https://yilian.health/fhir/sid/cn-resident-id';
const ref = (r) => ({ reference: r });

let srv, browser;
test.before(async () => {
  srv = await startServer(['--seed-data']);
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, res.text);
  };
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await put({ resourceType: 'Practitioner', id: 'd1', name: [{ text: '李医生' }] });
  await put({ resourceType: 'Practitioner', id: 'd2', name: [{ text: '赵医生' }] });
  for (const [id, name, d] of [['t1', '城关镇 1 组', 'd1'], ['t2', '城关镇 2 组', 'd2']]) {
    await put({ resourceType: 'CareTeam', id, status: 'active', name,
      category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
      participant: [{ role: [{ coding: [{ system: CS + 'care-team-role', code: 'lead' }] }], member: ref(`Practitioner/${d}`) }],
      managingOrganization: [ref('Organization/thc')] });
  }
  await put({ resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1950-03-08',
    name: [{ text: '王秀英', family: '王', given: ['秀英'] }], managingOrganization: ref('Organization/thc'),
    telecom: [{ system: 'phone', value: '13800138000' }], identifier: [{ system: SID, value: residentId('33010619500308002') }] });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function page(width = 1100, height = 800) { // logged in as the administrator
  const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  p.errors = errors;
  await logIn(p, srv.base, ADMIN);
  return p;
}

test('sign a resident from the web page, see them in the team list, then terminate', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  await p.waitForSelector('#team');
  assert.strictEqual(await p.locator('h1').textContent(), '签约居民');
  await p.locator('#team').selectOption('t1');
  await p.waitForSelector('text=没有符合条件的签约居民');

  // find her and open her page
  await p.fill('#find', '王秀英');
  await p.click('#find-go');
  await p.click('a.resident:has-text("王秀英")');
  await p.waitForSelector('#sign');
  assert.match(await p.locator('dl.facts').first().textContent(), /330106\*{8}\d{3}[\dX]/, 'the identity number is masked');
  assert.ok(!(await p.content()).includes('13800138000'), 'the phone number is masked');
  await p.locator('#sign-team').selectOption('t1');
  await p.check('input[value="package-elderly"]');
  await p.click('#sign');
  await p.waitForSelector('.note.good');
  assert.match(await p.locator('.box').textContent(), /已签约/);
  assert.match(await p.locator('.box').textContent(), /老年人服务包/);

  // she is in the team's list, with her key population
  await p.click('text=返回团队');
  await p.waitForSelector('ul.residents a.resident');
  const row = await p.locator('ul.residents').first().textContent();
  assert.match(row, /王秀英/);
  assert.match(row, /老年人/);
  await p.waitForSelector('.card .big');
  assert.match(await p.locator('.cards').textContent(), /100\.0%/, 'the one resident of the catchment is signed');

  // terminate: the reason is asked for; the contract ends
  await p.click('a.resident:has-text("王秀英")');
  await p.waitForSelector('#terminate');
  await p.locator('#reason').selectOption('moved');
  await p.click('#terminate');
  await p.waitForSelector('#sign');
  assert.match(await p.locator('ul.history').textContent(), /已解约/);
  const r = await req(srv, 'GET', '/fhir/EpisodeOfCare?patient=Patient/p1');
  assert.strictEqual(r.json.entry[0].resource.status, 'finished');
  assert.deepStrictEqual(p.errors, []);
});

test('a refused action says why: signing with a full team', async () => {
  await req(srv, 'PUT', '/fhir/CareTeam/full', { body: { resourceType: 'CareTeam', id: 'full', status: 'active', name: '满员组',
    category: [{ coding: [{ system: CS + 'care-team-category', code: 'family-doctor-team' }] }],
    participant: [{ role: [{ coding: [{ system: CS + 'care-team-role', code: 'lead' }] }], member: ref('Practitioner/d1') }],
    managingOrganization: [ref('Organization/thc')],
    extension: [{ url: 'https://yilian.health/fhir/StructureDefinition/panel-capacity', valueInteger: 0 }] } });
  const p = await page();
  await p.goto(srv.base + '/#/patient/p1');
  await p.waitForSelector('#sign');
  await p.locator('#sign-team').selectOption('full');
  await p.click('#sign');
  await p.waitForSelector('.note.bad');
  assert.match(await p.locator('.note.bad').textContent(), /操作未完成.*is full/);
});

test('the language switch: Chinese by default, English on a click, kept on reload', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  await p.waitForSelector('#team');
  assert.strictEqual(await p.locator('h1').textContent(), '签约居民');
  assert.strictEqual(await p.evaluate(() => document.documentElement.lang), 'zh-CN');
  await p.click('#lang');
  await p.waitForSelector('h1:has-text("Contracted residents")');
  assert.strictEqual(await p.evaluate(() => document.documentElement.lang), 'en');
  await p.reload();
  await p.waitForSelector('h1:has-text("Contracted residents")');
  await p.click('#lang');
  await p.waitForSelector('h1:has-text("签约居民")');
});

test('a phone-width screen: nothing wider than the screen', async () => {
  const p = await page(375, 740);
  await p.goto(srv.base + '/#/patient/p1');
  await p.waitForSelector('#sign');
  assert.ok(await p.evaluate(() => document.scrollingElement.scrollWidth <= 375), 'the resident page fits');
  await p.goto(srv.base + '/');
  await p.waitForSelector('.filters');
  assert.ok(await p.evaluate(() => document.scrollingElement.scrollWidth <= 375), 'the team page fits');
  if (process.env.YL_SCREENSHOT) await p.screenshot({ path: path.join(ROOT, 'docs/img/web-phone.png'), fullPage: true });
});

test('web files: only plain names in web/, with their types', async () => {
  let r = await fetch(srv.base + '/web/app.js');
  assert.strictEqual(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/javascript/);
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  r = await fetch(srv.base + '/web/..%2FREADME.md');
  assert.strictEqual(r.status, 404);
  r = await fetch(srv.base + '/web/.hidden.js');
  assert.strictEqual(r.status, 404);
  r = await fetch(srv.base + '/', { headers: { Accept: 'text/html' } });
  assert.strictEqual(r.status, 200);
  assert.match(await r.text(), /<main id="view"/);
  assert.ok(fs.existsSync(path.join(ROOT, 'web', 'index.html')));
});
