// session.test.js -- logging in and out of the web pages in Debian's Chromium
// (playwright-core): the login screen without a token, a wrong password, too many failures,
// the team page after logging in, a deep link resumed after logging in, a session ended
// under the page (and someone else logging in then), logging out (and a reload staying
// logged out); a resident who logs in and sees who opened their record (and nothing of the
// team pages), paged; an administrator opening the same list from the resident's contract
// page; all on a phone-width screen too.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { chromium } = require('playwright-core');
const { startServer, req, addUser, ADMIN } = require('../api/lib');
const { logIn } = require('./login');

const CHROMIUM = process.env.YL_CHROMIUM || '/usr/bin/chromium';
const RESIDENT = { username: 'wang-xiuying', password: 'resident-password-1' };

let srv, browser;
test.before(async () => {
  srv = await startServer(['--seed-data']);
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, res.text);
  };
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await put({ resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1950-03-08',
    name: [{ text: '王秀英' }], managingOrganization: { reference: 'Organization/thc' } });
  addUser(srv.db, { ...RESIDENT, role: 'resident', patient: 'p1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => {
  await browser?.close();
  await srv?.stop();
});

// a page (not logged in) that collects script errors, Content-Security-Policy refusals and
// the API's answers; the 401s and 429s of the login form are what these tests ask for
async function page(width = 1100, height = 800) {
  const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  const p = await ctx.newPage();
  p.errors = [];
  p.answers = [];
  p.on('pageerror', (e) => p.errors.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: .* (401|429)/.test(m.text())) p.errors.push(m.text()); });
  p.on('response', (r) => { if (r.url().includes('/fhir/') || r.url().includes('/auth/')) p.answers.push([r.status(), new URL(r.url()).pathname]); });
  return p;
}
const shown = (p, sel) => p.locator(sel).isVisible();
const fits = (p, width) => p.evaluate((w) => document.scrollingElement.scrollWidth <= w, width);
const tokenOf = (p) => p.evaluate(() => sessionStorage.getItem('yilian.token'));

test('(a) the login screen: no token, a wrong password, the right one, log out, reload', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  await p.waitForSelector('#login-form');
  assert.strictEqual(await p.locator('#login h1').textContent(), '登录宜联');
  assert.strictEqual(await shown(p, '#view'), false, 'no page behind the login screen');
  assert.strictEqual(await shown(p, 'nav.main'), false);
  assert.strictEqual(await shown(p, '#logout'), false);
  assert.deepStrictEqual(p.answers, [], 'nothing asked of the API without a token');

  // a wrong password: said in words, the password box emptied
  await p.fill('#login-username', ADMIN.username);
  await p.fill('#login-password', 'not-the-password');
  await p.click('#login-go');
  await p.waitForSelector('#login-error:not([hidden])');
  assert.strictEqual(await p.locator('#login-error').textContent(), '用户名或密码错误');
  assert.strictEqual(await p.inputValue('#login-password'), '');
  assert.strictEqual(await p.inputValue('#login-username'), ADMIN.username, 'the username is kept');
  assert.strictEqual(await tokenOf(p), null);

  // the right one: the team page, the username and the log-out button in the header
  await p.fill('#login-password', ADMIN.password);
  await p.click('#login-go');
  await p.waitForSelector('#team');
  assert.strictEqual(await p.locator('h1').textContent(), '签约居民');
  assert.strictEqual(await shown(p, '#login-form'), false);
  assert.strictEqual(await p.locator('#user').textContent(), ADMIN.username);
  assert.strictEqual(await p.locator('#logout').textContent(), '退出登录');
  assert.ok(await shown(p, '#logout'));
  assert.ok(await shown(p, 'nav.main a[data-page="worklist"]'), 'the team pages are in the menu');
  const tok = await tokenOf(p);
  assert.ok(tok, 'the token is in sessionStorage');
  assert.deepStrictEqual(await p.context().cookies(), [], 'no cookie');
  assert.strictEqual(await p.evaluate(() => Object.keys(localStorage).some((k) => /token/.test(k) || /token/.test(localStorage.getItem(k)))), false);
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: { Authorization: `Bearer ${tok}` } })).status, 200);

  // log out: the login screen; the session is over on the server too; a reload stays out
  await p.click('#logout');
  await p.waitForSelector('#login-form');
  assert.strictEqual(await shown(p, '#view'), false);
  assert.strictEqual(await tokenOf(p), null);
  assert.strictEqual((await req(srv, 'GET', '/auth/me', { headers: { Authorization: `Bearer ${tok}` } })).status, 401, 'the token was revoked');
  await p.reload();
  await p.waitForSelector('#login-form');
  assert.strictEqual(await shown(p, '#view'), false);
  assert.strictEqual(await p.locator('#view').textContent(), '', 'nothing of the pages after a reload');
  assert.strictEqual(await p.evaluate(() => location.hash), '');
  assert.deepStrictEqual(p.errors, []);
});

test('a deep link is opened once logged in; a session ended under the page asks again and resumes', async () => {
  const p = await page();
  await p.goto(srv.base + '/#/patient/p1');
  await p.waitForSelector('#login-form');
  await p.fill('#login-username', ADMIN.username);
  await p.fill('#login-password', ADMIN.password);
  await p.press('#login-password', 'Enter');
  await p.waitForSelector('#sign');
  assert.strictEqual(await p.locator('main h1').textContent(), '王秀英');

  // the session ends elsewhere (revoked); the next page asks for a login and then appears
  const tok = await tokenOf(p);
  assert.strictEqual((await req(srv, 'POST', '/auth/logout', { headers: { Authorization: `Bearer ${tok}` } })).status, 204);
  await p.click('#to-chronic');
  await p.waitForSelector('#login-form');
  assert.strictEqual(await tokenOf(p), null, 'the dead token is forgotten');
  assert.strictEqual(await p.inputValue('#login-username'), '');
  await p.fill('#login-username', ADMIN.username);
  await p.fill('#login-password', ADMIN.password);
  await p.click('#login-go');
  await p.waitForSelector('#visits');
  assert.match(await p.evaluate(() => location.hash), /^#\/chronic\/p1/);
  assert.match(await p.locator('main h1').textContent(), /王秀英/);
  assert.deepStrictEqual(p.errors.filter((e) => !/401/.test(e)), []);
});

test('someone else logging in after a session ended starts afresh: nothing of the last pages kept', async () => {
  const p = await page();
  await logIn(p, srv.base, ADMIN);
  await p.goto(srv.base + '/#/patient/p1');
  await p.waitForSelector('#sign');
  await req(srv, 'POST', '/auth/logout', { headers: { Authorization: `Bearer ${await tokenOf(p)}` } });
  await p.click('#to-access');
  await p.waitForSelector('#login-form');
  await p.fill('#login-username', RESIDENT.username);
  await p.fill('#login-password', RESIDENT.password);
  await p.click('#login-go');
  await p.waitForFunction(() => location.hash === '#/access' && document.getElementById('view').dataset.loaded === '#/access');
  assert.strictEqual(await p.locator('main h1').textContent(), '谁查看了我的健康档案');
  assert.ok(!(await p.content()).includes('王秀英'), "nothing of the administrator's pages");
  assert.strictEqual(await p.locator('#user').textContent(), RESIDENT.username);
});

test('too many failed logins: try again in N seconds, the button held until then; in English too', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  await p.waitForSelector('#login-form');
  await p.click('#lang');
  await p.waitForSelector('#login h1:has-text("Log in to yilian")');
  assert.strictEqual(await p.locator('#login-go').textContent(), 'Log in');
  await p.click('#login-go');
  assert.strictEqual(await p.locator('#login-error').textContent(), 'Enter your username and password', 'asked before anything is sent');
  let last;
  for (let i = 0; i < 6; i++) {
    await p.fill('#login-username', 'nobody-here');
    await p.fill('#login-password', 'wrong-password');
    await p.click('#login-go');
    await p.waitForFunction(() => !document.getElementById('login-error').hidden && document.getElementById('login-go').textContent === 'Log in');
    last = await p.locator('#login-error').textContent();
    if (/try again/.test(last)) break;
    assert.strictEqual(last, 'Wrong username or password');
  }
  assert.match(last, /^Too many failed logins: try again in \d+ s$/);
  assert.ok(p.answers.some(([s]) => s === 429));
  assert.ok(await p.locator('#login-go').isDisabled(), 'held');
  await p.waitForFunction(() => !document.getElementById('login-go').disabled, null, { timeout: 10000 });
  await p.click('#lang');
  await p.waitForSelector('#login h1:has-text("登录宜联")');
  assert.deepStrictEqual(p.errors, []);
});

test('(b) a resident logs in and sees who opened their record, and nothing of the team pages', async () => {
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient/p1')).status, 200); // the administrator reads her record
  const p = await page();
  await logIn(p, srv.base, RESIDENT);
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access');
  assert.strictEqual(await p.locator('main h1').textContent(), '谁查看了我的健康档案');
  assert.strictEqual(await p.locator('#user').textContent(), RESIDENT.username);
  // the administrator's entries (their PUT of her Patient at least: see the test after this)
  const row = p.locator('#access-list li[data-who="test-admin"]').first();
  const text = await row.textContent();
  assert.match(text, /test-admin/);
  assert.match(text, /系统管理员/);
  assert.match(text, /(查看|新建|修改) · 个人基本信息/);
  assert.match(text, /来自 127\.0\.0\.1/);
  assert.match(await row.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.strictEqual(await shown(p, 'nav.main a[data-page="team"]'), false, 'no team pages in the menu');
  assert.strictEqual(await shown(p, 'nav.main a[data-page="worklist"]'), false);
  assert.ok(await shown(p, 'nav.main a[data-page="access"]'));

  // the team pages' addresses lead to her own page; she is never refused anything
  for (const where of ['/#/', '/#/worklist/t1', '/#/patient/p1']) {
    await p.goto(srv.base + where);
    await p.waitForFunction(() => location.hash === '#/access' && document.getElementById('view').dataset.loaded === '#/access');
  }
  assert.deepStrictEqual(p.answers.filter(([s]) => s >= 400), [], 'no refusal');
  assert.ok(p.answers.every(([, path]) => path.startsWith('/auth/') || path === '/fhir/AuditEvent'), 'only her audit trail asked for');

  // older entries page in, newest first throughout (25 changes to her record: each one filed
  // under her)
  const her = (await req(srv, 'GET', '/fhir/Patient/p1')).json;
  for (let i = 0; i < 25; i++) assert.strictEqual((await req(srv, 'PUT', '/fhir/Patient/p1', { body: { ...her, meta: undefined, active: i % 2 === 0 } })).status, 200);
  await p.reload();
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access');
  assert.strictEqual(await p.locator('#access-list li').count(), 20);
  await p.click('#access-more');
  await p.waitForFunction(() => document.querySelectorAll('#access-list li').length > 20);
  const times = await p.locator('#access-list time').evaluateAll((l) => l.map((x) => x.getAttribute('datetime')));
  // newest first: the trail's order is the order events were recorded in; a read's time is
  // taken when it happens and it reaches the trail up to 20 ms later (the audit writer), so
  // neighbouring times may differ by that much
  for (let i = 1; i < times.length; i++) {
    assert.ok(Date.parse(times[i]) <= Date.parse(times[i - 1]) + 100, `newest first: ${times[i - 1]} then ${times[i]}`);
  }
  assert.ok(Date.parse(times[0]) > Date.parse(times[times.length - 1]), 'newest first');
  assert.ok(await p.locator(`#access-list li[data-who="${RESIDENT.username}"]`).count() >= 1, 'her own looks are listed too');
  assert.match(await p.locator(`#access-list li[data-who="${RESIDENT.username}"] .who`).first().textContent(), /\(您本人\)$/);

  // English
  await p.click('#lang');
  await p.waitForSelector('main h1:has-text("Who opened my record")');
  assert.match(await p.locator('#access-list li[data-who="test-admin"]').first().textContent(), /(Read|Created|Changed) · personal details/);
  await p.click('#lang');
  assert.deepStrictEqual(p.errors, []);
});

test('(b) a resident downloads her whole record as one FHIR Bundle, with nobody else\'s in it', async () => {
  const obs = (id, patient) => ({ resourceType: 'Observation', id, status: 'final', code: { text: '血压' },
    subject: { reference: `Patient/${patient}` }, valueString: `bp of ${patient}` });
  await req(srv, 'PUT', '/fhir/Patient/p2', { body: { resourceType: 'Patient', id: 'p2', name: [{ text: '李四' }] } });
  for (const [id, pt] of [['dl-1', 'p1'], ['dl-2', 'p1'], ['dl-3', 'p2']]) {
    assert.ok((await req(srv, 'PUT', `/fhir/Observation/${id}`, { body: obs(id, pt) })).status < 300);
  }
  const p = await page();
  await logIn(p, srv.base, RESIDENT);
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access');
  assert.strictEqual(await p.locator('#download-record').textContent(), '下载我的健康档案');
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#download-record')]);
  assert.match(dl.suggestedFilename(), /^health-record-p1-\d{4}-\d\d-\d\d\.json$/);
  const bundle = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.strictEqual(bundle.resourceType, 'Bundle');
  assert.strictEqual(bundle.type, 'collection');
  const ids = bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
  for (const want of ['Patient/p1', 'Observation/dl-1', 'Observation/dl-2']) assert.ok(ids.includes(want), `${want} in ${ids}`);
  assert.ok(!ids.includes('Observation/dl-3') && !ids.includes('Patient/p2'), 'nobody else\'s record');
  await p.waitForSelector('#download-status .note.good');
  assert.match(await p.locator('#download-status').textContent(), new RegExp(`已下载，共 ${ids.length} 条记录`));
  assert.deepStrictEqual(p.errors, []);
});

test('an administrator opens who opened a resident\'s record from her contract page', async () => {
  const p = await page();
  await logIn(p, srv.base, ADMIN);
  await p.goto(srv.base + '/#/patient/p1');
  await p.click('#to-access');
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access/p1');
  assert.strictEqual(await p.locator('main h1').textContent(), '此居民档案的访问记录');
  assert.ok(await p.locator(`#access-list li[data-who="${RESIDENT.username}"]`).count() >= 1, "the resident's own looks");
  assert.match(await p.locator(`#access-list li[data-who="${RESIDENT.username}"]`).first().textContent(), /居民/);
  assert.ok(await p.locator('#access-list li[data-who="test-admin"]').count() >= 1);
  await p.click('text=返回签约信息');
  await p.waitForSelector('#sign');
  assert.deepStrictEqual(p.errors, []);
});

// The server records a read of Patient/{id} (GET /fhir/Patient/p1) with the path as its
// entity but without the patient (src/fhir/rest.c audit_request: r->audit_patient is set only
// by the AuditEvent search), so GET /fhir/AuditEvent?patient=p1 does not find it; the page
// shows it once the server files reads under their resident.
test('(b) the administrator\'s read of her Patient is listed as a read', async () => {
  assert.strictEqual((await req(srv, 'GET', '/fhir/Patient/p1')).status, 200);
  const p = await page();
  await logIn(p, srv.base, RESIDENT);
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access');
  const row = p.locator('#access-list li[data-who="test-admin"][data-action="read"]');
  assert.ok(await row.count() >= 1, 'a read by test-admin');
  assert.match(await row.first().textContent(), /查看 · 个人基本信息/);
});

test('a phone-width screen: the login screen and the resident\'s page fit', async () => {
  const p = await page(375, 740);
  await p.goto(srv.base + '/');
  await p.waitForSelector('#login-form');
  assert.ok(await fits(p, 375), 'the login screen fits');
  await logIn(p, srv.base, RESIDENT);
  await p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/access');
  assert.ok(await fits(p, 375), 'her page fits');
  assert.ok(await shown(p, '#logout'), 'the log-out button is on the screen');
  const box = await p.locator('#logout').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375);
  assert.deepStrictEqual(p.errors, []);
});
