// screenshot.js -- the README's screenshots, taken from a running `make demo`:
//   node tests/browser/screenshot.js [http://127.0.0.1:8080]
// writes docs/img/web-team.png (a team's residents, desktop) and docs/img/web-resident.png
// (a resident's contract page, phone width).
'use strict';
const path = require('node:path');
const { chromium } = require('playwright-core');

(async () => {
  const base = process.argv[2] || 'http://127.0.0.1:8080';
  const out = (f) => path.join(__dirname, '..', '..', 'docs', 'img', f);
  const browser = await chromium.launch({ executablePath: process.env.YL_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const desk = await (await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' })).newPage();
  await desk.goto(base + '/#/team/team-00001?kp=hypertension');
  await desk.waitForSelector('ul.residents a.resident');
  await desk.waitForSelector('.card .big');
  await desk.screenshot({ path: out('web-team.png') });
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2 })).newPage();
  await phone.goto(base + '/#/team/team-00001');
  await phone.waitForSelector('ul.residents a.resident');
  await phone.click('ul.residents a.resident >> nth=0');
  await phone.waitForSelector('.box');
  await phone.screenshot({ path: out('web-resident.png') });
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
