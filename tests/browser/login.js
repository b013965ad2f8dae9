// login.js -- log a browser page in through the login screen, as a person does: open the
// pages, fill in the form, wait until the login screen has gone. The token then stays in the
// page's sessionStorage for every later page.goto of the same page (tab).
'use strict';

async function logIn(p, base, { username, password }) {
  await p.goto(base + '/');
  await p.waitForSelector('#login-form');
  await p.fill('#login-username', username);
  await p.fill('#login-password', password);
  await p.click('#login-go');
  await p.waitForFunction(() => !document.body.classList.contains('out') && document.getElementById('user').textContent !== '');
}

module.exports = { logIn };
