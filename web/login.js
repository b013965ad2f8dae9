// login.js -- the login screen: username and password to POST /auth/login, the token of its
// answer kept by util.js (sessionStorage). A wrong username or password (401) and too many
// failures (429, with the seconds of Retry-After, the button held until then) are said in
// words; the password box is emptied after every try. The pages stay hidden behind it
// (body.out) and come back where they were once `done` has the login's answer.
import { t } from './i18n.js';
import { h, authApi, setToken } from './util.js';

const box = document.getElementById('login');
let held = null; // the timer that frees the button after a 429

export function showLogin(done) {
  const keep = box.querySelector('#login-username')?.value || '';
  document.body.classList.add('out');
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, value: keep });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { id: 'login-error', class: 'note bad', role: 'alert', hidden: true });
  const go = h('button', { type: 'submit', id: 'login-go', text: t('login'), disabled: !!held });
  const say = (text) => { error.textContent = text; error.hidden = !text; };
  const form = h('form', { class: 'login-form', id: 'login-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    say('');
    if (!user.value.trim() || !pass.value) { say(t('enterBoth')); (user.value.trim() ? pass : user).focus(); return; }
    go.disabled = true;
    go.textContent = t('loggingIn');
    try {
      const ans = await authApi('POST', 'login', { username: user.value.trim(), password: pass.value });
      pass.value = '';
      setToken(ans.token);
      document.body.classList.remove('out');
      box.replaceChildren();
      done(ans);
      return;
    } catch (err) {
      pass.value = '';
      if (err.status === 401) say(t('wrongLogin'));
      else if (err.status === 429) {
        const n = err.retryAfter || 1;
        say(t('tooMany', { n }));
        held = setTimeout(() => { held = null; const b = box.querySelector('#login-go'); if (b) b.disabled = false; }, n * 1000);
      } else say(err.message);
      pass.focus();
    }
    go.textContent = t('login');
    go.disabled = !!held;
  } },
  h('div', { class: 'field' }, h('label', { for: 'login-username', text: t('username') }), user),
  h('div', { class: 'field' }, h('label', { for: 'login-password', text: t('password') }), pass),
  error, go);
  box.replaceChildren(h('h1', { text: t('loginTitle') }), form);
  (keep ? pass : user).focus();
}
