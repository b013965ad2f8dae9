// accounts.test.js -- the accounts page (#/accounts, web/accounts.js) in Debian's Chromium
// (playwright-core), as an institution's administrator: they add a nurse through the form
// and see her one-time password once (a box of its own, never again after it is closed or
// the page reloaded); she is in the list; they disable her (asked to confirm first) and
// enable her again, reset her password; roles that are not theirs to give are not offered,
// and what the server refuses (a practitioner of another institution, a username taken) is
// said in its words; an administrator is offered every role; a family doctor has no link to
// the page and is told so at its address; a phone-width screen, in English too.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { chromium } = require('playwright-core');
const { startServer, req, login, addUser, ADMIN } = require('../api/lib');
const { logIn } = require('./login');

const CHROMIUM = process.env.YL_CHROMIUM || '/usr/bin/chromium';
const ref = (r) => ({ reference: r });
const INST_ADMIN = { username: 'thc-admin', password: 'thc-admin-password-1' };
const DOCTOR = { username: 'dr-li', password: 'dr-li-password-1' };
const STAFF = ['family-doctor', 'village-doctor', 'nurse', 'public-health-doctor', 'specialist', 'pharmacist'];

let srv, browser;
test.before(async () => {
  srv = await startServer();
  const put = async (r) => {
    const res = await req(srv, 'PUT', `/fhir/${r.resourceType}/${r.id}`, { body: r });
    assert.ok(res.status < 300, `${r.resourceType}/${r.id}: ${res.text}`);
  };
  // the township health centre thc and a hospital department elsewhere; the nurse n1 and the
  // doctor d1 work at thc, the specialist x1 in the department
  await put({ resourceType: 'Organization', id: 'thc', name: '城关镇卫生院' });
  await put({ resourceType: 'Organization', id: 'cardio', name: '县医院心内科' });
  for (const [id, name, org] of [['n1', '张护士', 'thc'], ['d1', '李医生', 'thc'], ['x1', '赵医生', 'cardio']]) {
    await put({ resourceType: 'Practitioner', id, name: [{ text: name }] });
    await put({ resourceType: 'PractitionerRole', id: `r-${id}`, active: true, practitioner: ref(`Practitioner/${id}`), organization: ref(`Organization/${org}`) });
  }
  addUser(srv.db, { ...INST_ADMIN, role: 'institution-admin', organization: 'thc' });
  addUser(srv.db, { ...DOCTOR, role: 'family-doctor', practitioner: 'd1', organization: 'thc' });
  addUser(srv.db, { username: 'cardio-doc', password: 'cardio-doc-password-1', role: 'specialist', practitioner: 'x1', organization: 'cardio' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => {
  await browser?.close();
  await srv?.stop();
});

// a page logged in as `who` that collects script errors (the refusals these tests ask for
// aside) and the API's answers
async function page(who, width = 1100, height = 800) {
  const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  const p = await ctx.newPage();
  p.errors = [];
  p.answers = [];
  p.on('pageerror', (e) => p.errors.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: .* (403|409)/.test(m.text())) p.errors.push(m.text()); });
  p.on('response', (r) => { if (r.url().includes('/fhir/') || r.url().includes('/auth/')) p.answers.push([r.status(), r.request().method(), new URL(r.url()).pathname]); });
  await logIn(p, srv.base, who);
  return p;
}
const loaded = (p) => p.waitForFunction(() => document.getElementById('view').dataset.loaded === '#/accounts');
const shown = (p, sel) => p.locator(sel).isVisible();
const row = (p, username) => p.locator(`#accounts-rows tr[data-username="${username}"]`);
const stateOf = (p, username) => row(p, username).locator('td.state').textContent();
const fits = (p, width) => p.evaluate((w) => document.scrollingElement.scrollWidth <= w, width);
const accountOf = async (username) => (await req(srv, 'GET', '/auth/users')).json.users.find((u) => u.username === username);

async function openAccounts(p) {
  await p.click('nav.main a[data-page="accounts"]');
  await loaded(p);
}

test('an institution administrator adds a nurse through the form and sees her one-time password once', async () => {
  const p = await page(INST_ADMIN);
  await loaded(p); // caring for no resident, they start at the accounts
  assert.strictEqual(await p.evaluate(() => location.hash), '#/accounts');
  assert.ok(await shown(p, 'nav.main a[data-page="accounts"]'), 'the accounts page is in the menu');
  assert.strictEqual(await p.locator('nav.main a[data-page="accounts"]').textContent(), '账号管理');
  await openAccounts(p);
  assert.strictEqual(await p.evaluate(() => location.hash), '#/accounts');
  assert.strictEqual(await p.locator('main h1').textContent(), '账号管理');
  assert.ok(await p.locator('nav.main a[data-page="accounts"]').evaluate((a) => a.classList.contains('on')));
  // their institution's staff, translated; nobody of another institution
  assert.match(await p.locator('main > p.muted').first().textContent(), /^城关镇卫生院及其下属机构员工的账号/);
  assert.match(await row(p, DOCTOR.username).textContent(), /家庭医生/);
  assert.match(await row(p, DOCTOR.username).locator('td.links').textContent(), /医务人员 李医生 \(d1\)/);
  assert.match(await row(p, DOCTOR.username).locator('td.links').textContent(), /机构 城关镇卫生院 \(thc\)/);
  assert.match(await stateOf(p, DOCTOR.username), /正常/);
  assert.ok(await row(p, INST_ADMIN.username).count());
  for (const u of ['cardio-doc', ADMIN.username]) assert.strictEqual(await row(p, u).count(), 0, `${u} is not theirs`);
  // their own account is not theirs to change (an institution administrator's)
  assert.strictEqual(await row(p, INST_ADMIN.username).locator('button').count(), 0);

  // add the nurse: no password given, so the server makes a one-time one
  await p.fill('#new-username', 'nurse-zhang');
  await p.check('#new-roles input[value="nurse"]');
  await p.fill('#new-practitioner', 'n1');
  assert.strictEqual(await p.getAttribute('#new-organization', 'placeholder'), 'thc', 'their institution by default');
  await p.click('#account-add');
  await p.waitForSelector('#otp-box');
  assert.strictEqual(await p.locator('#otp-title').textContent(), '一次性密码（只显示这一次）');
  assert.match(await p.locator('#otp-for').textContent(), /nurse-zhang/);
  assert.match(await p.locator('#otp-box').textContent(), /复制/);
  assert.match(await p.locator('#otp-box').textContent(), /无法再次查看/);
  const otp = (await p.locator('#otp-value').textContent()).trim();
  assert.ok(otp.length >= 40, otp);
  assert.match(await p.locator('#accounts-status').textContent(), /已新增账号 nurse-zhang/);
  assert.strictEqual(await p.inputValue('#new-username'), '', 'the form is emptied');
  assert.ok(await p.locator('#new-roles input:checked').count() === 0);

  // she is in the list, linked to her Practitioner, to change her password
  await p.waitForSelector('#accounts-rows tr[data-username="nurse-zhang"]');
  const r = await row(p, 'nurse-zhang').textContent();
  assert.match(r, /护士/);
  assert.match(r, /张护士 \(n1\)/);
  assert.match(await stateOf(p, 'nurse-zhang'), /待修改密码/);
  assert.ok(await login(srv, 'nurse-zhang', otp), 'the password shown is hers');
  assert.strictEqual((await accountOf('nurse-zhang')).organization, 'thc');

  // shown once: never in the list's answer, nowhere kept, gone once closed and after a reload
  const list = await req(srv, 'GET', '/auth/users', { headers: { Authorization: `Bearer ${await login(srv, INST_ADMIN.username, INST_ADMIN.password)}` } });
  assert.ok(!list.text.includes(otp) && !/oneTimePassword/.test(list.text));
  assert.strictEqual(await p.evaluate((o) => JSON.stringify({ ...localStorage }).includes(o) || JSON.stringify({ ...sessionStorage }).includes(o), otp), false);
  // the language switch paints the page again: the box is still there until closed
  await p.click('#lang');
  await p.waitForSelector('main h1:has-text("Accounts")');
  await p.waitForSelector('#otp-box');
  assert.strictEqual(await p.locator('#otp-title').textContent(), 'One-time password (shown once)');
  assert.strictEqual((await p.locator('#otp-value').textContent()).trim(), otp);
  await p.click('#lang');
  await p.waitForSelector('main h1:has-text("账号管理")');
  await p.click('#otp-done');
  assert.strictEqual(await p.locator('#otp-box').count(), 0);
  assert.ok(!(await p.content()).includes(otp), 'closed: gone from the page');
  await p.reload();
  await loaded(p);
  assert.ok(await row(p, 'nurse-zhang').count());
  assert.strictEqual(await p.locator('#otp-box').count(), 0);
  assert.ok(!(await p.content()).includes(otp), 'not after a reload either');

  // the filter
  await p.fill('#accounts-filter', 'zhang');
  await p.waitForFunction(() => document.querySelectorAll('#accounts-rows tr[data-username]').length === 1);
  assert.ok(await row(p, 'nurse-zhang').count());
  assert.match(await p.locator('#accounts-count').textContent(), /显示 1 个/);
  await p.fill('#accounts-filter', '张护士'); // her Practitioner's name
  await p.waitForFunction(() => document.querySelectorAll('#accounts-rows tr[data-username]').length === 1);
  await p.fill('#accounts-filter', 'nobody-like-this');
  await p.waitForSelector('#accounts-rows tr.empty:has-text("没有符合条件的账号")');
  await p.fill('#accounts-filter', '');
  assert.ok(await row(p, DOCTOR.username).count());
  assert.deepStrictEqual(p.errors, []);
});

test('disable the new account (asked first): its state changes; enable it again; reset its password', async () => {
  const p = await page(INST_ADMIN);
  await openAccounts(p);
  const nurse = row(p, 'nurse-zhang');
  assert.match(await stateOf(p, 'nurse-zhang'), /待修改密码/);

  // asked first: cancel leaves it as it was, nothing sent
  const before = p.answers.length;
  await nurse.locator('button[data-action="disable"]').click();
  assert.match(await nurse.locator('.confirm').textContent(), /停用账号 nurse-zhang？/);
  await nurse.locator('button[data-cancel="disable"]').click();
  assert.ok(await nurse.locator('button[data-action="disable"]').isVisible());
  assert.ok(!p.answers.slice(before).some(([, m]) => m === 'POST'), 'nothing sent');
  assert.notStrictEqual((await accountOf('nurse-zhang')).state, 'disabled');

  // disable
  await nurse.locator('button[data-action="disable"]').click();
  await nurse.locator('button[data-confirm="disable"]').click();
  await p.waitForFunction(() => document.querySelector('#accounts-rows tr[data-username="nurse-zhang"]').dataset.state === 'disabled');
  assert.match(await stateOf(p, 'nurse-zhang'), /已停用/);
  assert.match(await p.locator('#accounts-status').textContent(), /已停用账号 nurse-zhang/);
  assert.strictEqual((await accountOf('nurse-zhang')).state, 'disabled', 'disabled on the server');
  assert.strictEqual(await nurse.locator('button[data-action="disable"]').count(), 0);
  assert.ok(p.answers.some(([s, m, u]) => s === 200 && m === 'POST' && u === '/auth/users/nurse-zhang/disable'));
  // the page agrees with the server after a reload
  await p.reload();
  await loaded(p);
  assert.match(await stateOf(p, 'nurse-zhang'), /已停用/);

  // enable again
  await nurse.locator('button[data-action="enable"]').click();
  await nurse.locator('button[data-confirm="enable"]').click();
  await p.waitForFunction(() => document.querySelector('#accounts-rows tr[data-username="nurse-zhang"]').dataset.state !== 'disabled');
  assert.notStrictEqual((await accountOf('nurse-zhang')).state, 'disabled');

  // reset her password: a new one-time password, shown once, which logs her in
  await nurse.locator('button[data-action="reset-password"]').click();
  assert.match(await nurse.locator('.confirm').textContent(), /重置 nurse-zhang 的密码？/);
  await nurse.locator('button[data-confirm="reset-password"]').click();
  await p.waitForSelector('#otp-box');
  assert.match(await p.locator('#otp-for').textContent(), /nurse-zhang/);
  const otp = (await p.locator('#otp-value').textContent()).trim();
  assert.ok(await login(srv, 'nurse-zhang', otp));
  assert.match(await stateOf(p, 'nurse-zhang'), /待修改密码/);
  // leaving the page forgets it
  await p.click('nav.main a[data-page="team"]');
  await p.waitForSelector('#team');
  await p.goBack();
  await loaded(p);
  assert.strictEqual(await p.locator('#otp-box').count(), 0);
  assert.ok(!(await p.content()).includes(otp));
  assert.deepStrictEqual(p.errors, []);
});

test('roles an institution administrator may not give are not offered; what the server refuses is said in its words', async () => {
  const p = await page(INST_ADMIN);
  await openAccounts(p);
  const offered = await p.locator('#new-roles input[type=checkbox]').evaluateAll((l) => l.map((i) => i.value));
  assert.deepStrictEqual(offered, STAFF);
  for (const r of ['supervisor', 'admin', 'institution-admin', 'resident']) assert.strictEqual(await p.locator(`#new-roles input[value="${r}"]`).count(), 0, `${r} is not offered`);
  assert.strictEqual(await p.locator('#new-roles label').first().textContent(), ' 家庭医生');

  // asked before anything is sent
  const before = p.answers.length;
  await p.click('#account-add');
  assert.strictEqual(await p.locator('#account-error').textContent(), '请填写用户名');
  await p.fill('#new-username', 'dr-zhao');
  await p.click('#account-add');
  assert.strictEqual(await p.locator('#account-error').textContent(), '请至少选择一个角色');
  assert.ok(!p.answers.slice(before).some(([, m]) => m === 'POST'), 'nothing sent');

  // a practitioner of another institution: the server's 403, in its words
  await p.check('#new-roles input[value="family-doctor"]');
  await p.fill('#new-practitioner', 'x1');
  await p.click('#account-add');
  await p.waitForSelector('#account-error:not([hidden])');
  await p.waitForFunction(() => /does not work only in your institution/.test(document.getElementById('account-error').textContent));
  assert.match(await p.locator('#account-error').textContent(), /^未新增: Practitioner\/x1 does not work only in your institution/);
  assert.ok(p.answers.some(([s, m, u]) => s === 403 && m === 'POST' && u === '/auth/users'));
  assert.strictEqual(await p.inputValue('#new-username'), 'dr-zhao', 'the form keeps what was typed');
  assert.strictEqual(await p.locator('#otp-box').count(), 0);
  // an account of another institution: 403 too
  await p.fill('#new-practitioner', 'd1');
  await p.fill('#new-organization', 'cardio');
  await p.click('#account-add');
  await p.waitForFunction(() => /belongs to your institution/.test(document.getElementById('account-error').textContent));
  // a role the page does not offer, sent anyway (a changed page): the server's 403 is shown
  await p.fill('#new-organization', '');
  await p.locator('#new-roles input[value="family-doctor"]').evaluate((i) => { i.value = 'supervisor'; });
  await p.click('#account-add');
  await p.waitForFunction(() => /staff's roles .* only/.test(document.getElementById('account-error').textContent));
  assert.match(await p.locator('#account-error').textContent(), /ask a system administrator/);
  await p.locator('#new-roles input:checked').evaluate((i) => { i.value = 'family-doctor'; });
  // a username taken: 409
  await p.fill('#new-username', DOCTOR.username);
  await p.click('#account-add');
  await p.waitForFunction(() => /the username 'dr-li' is taken/.test(document.getElementById('account-error').textContent));
  const users = (await req(srv, 'GET', '/auth/users')).json.users.map((u) => u.username);
  assert.ok(!users.includes('dr-zhao'), 'none was added');

  // with a password of their choosing: no one-time password
  await p.fill('#new-username', 'dr-li2');
  await p.fill('#new-password', 'a-long-first-password');
  await p.click('#account-add');
  await p.waitForSelector('#accounts-rows tr[data-username="dr-li2"]');
  assert.strictEqual(await p.locator('#otp-box').count(), 0);
  assert.match(await stateOf(p, 'dr-li2'), /正常/);
  assert.strictEqual(await p.locator('#account-error').isVisible(), false);
  assert.ok(await login(srv, 'dr-li2', 'a-long-first-password'));
  assert.deepStrictEqual(p.errors, []);
});

test('an administrator is offered every role and sees every account', async () => {
  const p = await page(ADMIN);
  assert.ok(await shown(p, 'nav.main a[data-page="accounts"]'));
  await openAccounts(p);
  const offered = await p.locator('#new-roles input[type=checkbox]').evaluateAll((l) => l.map((i) => i.value));
  for (const r of ['admin', 'supervisor', 'institution-admin', 'resident', ...STAFF]) assert.ok(offered.includes(r), r);
  for (const u of [ADMIN.username, INST_ADMIN.username, 'cardio-doc', 'nurse-zhang']) assert.ok(await row(p, u).count(), u);
  // their own account is not disabled or reset here; an institution administrator's they manage
  assert.strictEqual(await row(p, ADMIN.username).locator('button').count(), 0);
  assert.match(await row(p, ADMIN.username).locator('td.acts-cell').textContent(), /您本人的账号/);
  assert.ok(await row(p, INST_ADMIN.username).locator('button[data-action="disable"]').count());
  // a resident's Patient box appears with that role
  assert.strictEqual(await p.locator('#new-patient').isVisible(), false);
  await p.check('#new-roles input[value="resident"]');
  assert.ok(await p.locator('#new-patient').isVisible());
  assert.deepStrictEqual(p.errors, []);
});

test('a family doctor has no link to the accounts page, and its address says so', async () => {
  const p = await page(DOCTOR);
  assert.ok(await shown(p, 'nav.main a[data-page="team"]'), 'the team pages are in the menu');
  assert.strictEqual(await shown(p, 'nav.main a[data-page="accounts"]'), false, 'no accounts link');
  await p.goto(srv.base + '/#/accounts');
  await p.waitForSelector('main .note.bad');
  assert.strictEqual(await p.locator('main .note.bad').textContent(), '只有系统管理员和机构管理员可以管理账号');
  assert.strictEqual(await p.locator('#accounts-table').count(), 0);
  assert.ok(!p.answers.some(([, , u]) => u.startsWith('/auth/users')), 'the accounts were not asked for');
  assert.deepStrictEqual(p.errors, []);
});

test('a phone-width screen: the accounts page fits, in Chinese and English', async () => {
  const p = await page(INST_ADMIN, 375, 740);
  assert.ok(await shown(p, 'nav.main a[data-page="accounts"]'));
  await openAccounts(p);
  assert.ok(await fits(p, 375), 'the list and the form fit');
  // one block per account, each value labelled
  assert.match(await row(p, 'nurse-zhang').locator('td.state').evaluate((td) => getComputedStyle(td, '::before').content), /状态/);
  const box = await row(p, 'nurse-zhang').locator('button[data-action="reset-password"]').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375);
  await row(p, 'nurse-zhang').locator('button[data-action="reset-password"]').click();
  assert.ok(await fits(p, 375), 'the question fits');
  await row(p, 'nurse-zhang').locator('button[data-confirm="reset-password"]').click();
  await p.waitForSelector('#otp-box');
  assert.ok(await fits(p, 375), 'the one-time password fits');
  const name = await row(p, 'nurse-zhang').locator('td.user strong').boundingBox();
  assert.ok(name.x + name.width <= 375, 'the username is not cut');
  await p.click('#lang');
  await p.waitForSelector('main h1:has-text("Accounts")');
  assert.match(await row(p, 'nurse-zhang').textContent(), /Nurse/);
  assert.match(await p.locator('#new-roles').textContent(), /Family doctor/);
  assert.ok(await fits(p, 375), 'in English too');
  await p.click('#lang');
  await p.waitForSelector('main h1:has-text("账号管理")');
  assert.deepStrictEqual(p.errors, []);
});
