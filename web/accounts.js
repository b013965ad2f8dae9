// accounts.js -- the accounts an administrator or an institution's administrator manages
// (GET/POST /auth/users, POST /auth/users/{username}/{action}; docs/api.md "Logging in, and
// what each caller sees", docs/security.md "Accounts"): a table of the accounts (username,
// roles, the linked Practitioner / Patient / Organization, state), a filter, disable /
// enable / reset-password per row (each asked to be confirmed in the row), and a form that
// adds one. A one-time password (an account added without a password, a reset) is shown in
// its own box until it is closed or the page is left: the server keeps only its hash, so it
// can never be shown again. An institution's administrator is offered their staff's roles
// only (the server refuses any other, 403); what the server refuses is said in its words
// (the OperationOutcome's diagnostics). Every piece of data goes into the page as text.
import { t } from './i18n.js';
import { h, api, authApi, note, entries, nameOf } from './util.js';

// every role (src/auth/policy.c), and those an institution's administrator may give
export const ROLES = ['admin', 'supervisor', 'institution-admin', 'family-doctor', 'village-doctor', 'nurse',
  'public-health-doctor', 'specialist', 'pharmacist', 'resident'];
export const STAFF_ROLES = ['family-doctor', 'village-doctor', 'nurse', 'public-health-doctor', 'specialist', 'pharmacist'];
const isAdmin = (me) => !!me?.roles?.includes('admin');
// who has this page (and its link in the menu)
export const canManage = (me) => !!me?.roles?.some((r) => r === 'admin' || r === 'institution-admin');

// the word for a key, or the code itself when there is none
const word = (prefix, code) => {
  const w = t(prefix + code);
  return w === prefix + code ? code : w;
};
const LINKS = [['practitioner', 'Practitioner', 'linkPractitioner'], ['patient', 'Patient', 'linkPatient'], ['organization', 'Organization', 'linkOrganization']];

// The one-time password on the screen ({username, password}): kept while this page is
// painted again (the language switch), forgotten once it is closed or the page is left.
let kept = null;

export async function accountsPage(view, me) {
  const admin = isAdmin(me);
  const offered = admin ? ROLES : STAFF_ROLES;
  // an institution's administrator changes their staff's accounts only (not a peer
  // administrator's: the server answers 403)
  const mayChange = (a) => admin || a.roles.every((r) => STAFF_ROLES.includes(r));
  let accounts = [];
  const names = new Map(); // 'Practitioner/d1' -> its name, once looked up

  const status = h('div', { id: 'accounts-status' });
  const say = (kind, text) => status.replaceChildren(...(text ? [note(kind, text)] : []));
  const otpSlot = h('div', { id: 'otp-slot' });
  const filter = h('input', { id: 'accounts-filter', type: 'search', placeholder: t('filterAccounts'), 'aria-label': t('filterAccounts'), autocomplete: 'off' });
  const rows = h('tbody', { id: 'accounts-rows' });
  const count = h('p', { class: 'muted small', id: 'accounts-count' });
  const intro = h('p', { class: 'muted' });

  // ---- the one-time password -----------------------------------------------------------
  function paintOtp() {
    if (!kept) { otpSlot.replaceChildren(); return; }
    const code = h('code', { id: 'otp-value', class: 'otp', text: kept.password });
    const copied = h('span', { id: 'otp-copied', class: 'muted small', 'aria-live': 'polite' });
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(kept.password);
        copied.textContent = t('copied');
      } catch {
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        copied.textContent = t('copyManual');
      }
    };
    otpSlot.replaceChildren(h('section', { id: 'otp-box', class: 'box otp-box', role: 'alert', 'aria-labelledby': 'otp-title' },
      h('h2', { id: 'otp-title', text: t('otpTitle') }),
      h('p', { id: 'otp-for', text: t('otpFor', { u: kept.username }) }),
      code,
      h('p', { class: 'otp-hint', text: t('otpHint') }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'otp-copy', onclick: copy, text: t('copy') }), copied,
        h('button', { type: 'button', id: 'otp-done', class: 'plain', text: t('otpDone'), onclick: () => { kept = null; paintOtp(); } }))));
  }
  function showOtp(username, password) {
    kept = { username, password };
    paintOtp();
    otpSlot.scrollIntoView({ block: 'nearest' });
    otpSlot.querySelector('#otp-copy')?.focus();
  }

  // ---- the list ------------------------------------------------------------------------
  function linked(a) {
    const items = LINKS.filter(([k]) => a[k]);
    if (!items.length) return h('span', { class: 'muted', text: '—' });
    return h('ul', { class: 'linked' }, items.map(([k, type, label]) => {
      const n = names.get(`${type}/${a[k]}`);
      return h('li', { 'data-link': type }, h('span', { class: 'muted', text: t(label) + ' ' }), n ? `${n} (${a[k]})` : a[k]);
    }));
  }

  function actions(cell, a) {
    const own = a.username === me.username;
    // one's own password is changed by oneself (POST /auth/password), not reset here
    if (own || !mayChange(a)) { cell.replaceChildren(h('span', { class: 'muted small', text: own ? t('yourAccount') : t('notYours') })); return; }
    const btn = (action, cls) => h('button', { type: 'button', class: cls, 'data-action': action, text: t(action), onclick: () => ask(cell, a, action) });
    cell.replaceChildren(h('div', { class: 'acts' },
      a.state === 'disabled' || a.state === 'locked' ? btn('enable', 'plain') : null,
      a.state !== 'disabled' ? btn('disable', 'plain bad') : null,
      btn('reset-password', 'plain')));
  }

  // the row asks before anything is done; cancel puts its buttons back
  function ask(cell, a, action) {
    const yes = h('button', { type: 'button', class: action === 'enable' ? null : 'danger', 'data-confirm': action, text: t('confirm') });
    const no = h('button', { type: 'button', class: 'plain', 'data-cancel': action, text: t('cancel'), onclick: () => actions(cell, a) });
    yes.addEventListener('click', async () => {
      yes.disabled = no.disabled = true;
      try {
        const ans = await authApi('POST', `users/${encodeURIComponent(a.username)}/${action}`);
        const { oneTimePassword, ...account } = ans;
        accounts = accounts.map((x) => (x.username === a.username ? account : x));
        say('good', t('did-' + action, { u: a.username }));
        paintRows();
        if (oneTimePassword) showOtp(a.username, oneTimePassword);
      } catch (e) {
        say('bad', `${t('error')}: ${e.message}`);
        actions(cell, a);
      }
    });
    cell.replaceChildren(h('div', { class: 'confirm' }, h('span', { class: 'ask', text: t('ask-' + action, { u: a.username }) }), h('span', { class: 'acts' }, yes, no)));
    yes.focus();
  }

  function row(a) {
    const cell = h('td', { class: 'acts-cell', 'data-label': t('actionsCol') });
    const tr = h('tr', { 'data-username': a.username, 'data-state': a.state, class: 'acct-' + a.state },
      h('td', { class: 'user', 'data-label': t('username') }, h('span', {}, h('strong', { text: a.username }),
        a.username === me.username ? h('span', { class: 'muted small', text: ` (${t('you')})` }) : null)),
      h('td', { class: 'roles', 'data-label': t('roles') }, h('span', { class: 'badges' },
        a.roles.map((r) => h('span', { class: 'badge', 'data-role': r, text: word('role-', r) })))),
      h('td', { class: 'links', 'data-label': t('linkedCol') }, linked(a)),
      h('td', { class: 'state', 'data-label': t('state') }, h('span', { class: 'badge acct acct-' + a.state, text: word('acct-', a.state) })),
      cell);
    actions(cell, a);
    return tr;
  }

  const matches = (a, q) => !q || [a.username, ...a.roles.map((r) => word('role-', r)),
    ...LINKS.flatMap(([k, type]) => (a[k] ? [a[k], names.get(`${type}/${a[k]}`) || ''] : []))].some((s) => s.toLowerCase().includes(q));
  function paintRows() {
    const q = filter.value.trim().toLowerCase();
    const shown = accounts.filter((a) => matches(a, q));
    rows.replaceChildren(...shown.map(row));
    if (!shown.length) rows.append(h('tr', { class: 'empty' }, h('td', { colspan: 5, class: 'muted', text: accounts.length ? t('noAccountMatch') : t('noAccounts') })));
    count.textContent = q ? t('accountsShown', { n: shown.length, total: accounts.length }) : t('accountsTotal', { n: accounts.length });
  }
  filter.addEventListener('input', paintRows);

  function paintIntro() {
    if (admin) { intro.textContent = t('accountsIntroAdmin'); return; }
    const org = me.organization ? names.get(`Organization/${me.organization}`) || me.organization : '';
    intro.textContent = t('accountsIntroInst', { org });
  }

  // The names of the linked practitioners and institutions (shared records, readable by
  // every user); a resident's Patient is never looked up, so listing accounts opens no one's
  // record. Best effort: without them the ids are shown.
  async function lookUpNames() {
    for (const [k, type] of [['practitioner', 'Practitioner'], ['organization', 'Organization']]) {
      const ids = [...new Set([...accounts.map((a) => a[k]), ...(k === 'organization' ? [me.organization] : [])].filter(Boolean))]
        .filter((id) => !names.has(`${type}/${id}`));
      for (let i = 0; i < ids.length; i += 50) {
        const part = ids.slice(i, i + 50);
        try {
          const b = await api('GET', `${type}?_id=${part.map(encodeURIComponent).join(',')}&_count=${part.length}&_elements=name`);
          for (const r of entries(b)) {
            const n = type === 'Organization' ? r.name : nameOf(r);
            if (n && n !== r.id) names.set(`${type}/${r.id}`, n);
          }
        } catch { return; }
      }
    }
  }

  async function load() {
    const ans = await authApi('GET', 'users');
    accounts = ans.users || [];
    await lookUpNames();
    paintRows();
    paintIntro();
  }

  // ---- adding an account ---------------------------------------------------------------
  const plainInput = (id, extra = {}) => h('input', { id, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', ...extra });
  const fUser = plainInput('new-username', { name: 'username', maxlength: 64, required: true });
  const boxes = offered.map((r) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'role', value: r }), ' ', word('role-', r)));
  const fPrac = plainInput('new-practitioner', { name: 'practitioner', maxlength: 64 });
  const fPat = plainInput('new-patient', { name: 'patient', maxlength: 64 });
  const fOrg = plainInput('new-organization', { name: 'organization', maxlength: 64, placeholder: admin ? '' : me.organization || '' });
  const fPass = h('input', { id: 'new-password', name: 'password', type: 'password', autocomplete: 'new-password' });
  const patField = h('div', { class: 'field', hidden: true }, h('label', { for: 'new-patient', text: t('patientId') }), fPat);
  const formErr = h('p', { id: 'account-error', class: 'note bad', role: 'alert', hidden: true });
  const go = h('button', { type: 'submit', id: 'account-add', text: t('addGo') });
  const checked = () => boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
  const sayForm = (text) => { formErr.textContent = text; formErr.hidden = !text; };
  // a resident's account is linked to their Patient: its box only with that role
  for (const b of boxes) b.querySelector('input').addEventListener('change', () => { patField.hidden = !checked().includes('resident'); });

  const form = h('form', { id: 'account-form', class: 'account-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    sayForm('');
    const username = fUser.value.trim();
    const roles = checked();
    if (!username) { sayForm(t('enterUsername')); fUser.focus(); return; }
    if (!roles.length) { sayForm(t('pickRole')); boxes[0].querySelector('input').focus(); return; }
    const body = { username, roles };
    if (fPrac.value.trim()) body.practitioner = fPrac.value.trim();
    if (fPat.value.trim() && roles.includes('resident')) body.patient = fPat.value.trim();
    if (fOrg.value.trim()) body.organization = fOrg.value.trim();
    if (fPass.value) body.password = fPass.value;
    go.disabled = true;
    go.textContent = t('adding');
    try {
      const ans = await authApi('POST', 'users', body);
      form.reset();
      patField.hidden = true;
      say('good', t('didAdd', { u: ans.username }));
      if (ans.oneTimePassword) showOtp(ans.username, ans.oneTimePassword);
      filter.value = '';
      try { await load(); } catch (err) { say('bad', err.message); }
    } catch (err) {
      sayForm(`${t('notAdded')}: ${err.message}`);
    }
    go.disabled = false;
    go.textContent = t('addGo');
  } },
  h('h2', { id: 'add-title', text: t('addAccount') }),
  h('div', { class: 'grid2' },
    h('div', { class: 'field' }, h('label', { for: 'new-username', text: t('username') }), fUser, h('span', { class: 'muted small', text: t('usernameHint') })),
    h('div', { class: 'field' }, h('label', { for: 'new-password', text: t('passwordOptional') }), fPass, h('span', { class: 'muted small', text: t('passwordHint') }))),
  h('fieldset', { class: 'roles-pick', id: 'new-roles' }, h('legend', { text: t('roles') }), h('div', { class: 'checks' }, boxes),
    admin ? null : h('p', { class: 'muted small', text: t('staffRolesOnly') })),
  h('div', { class: 'grid2' },
    h('div', { class: 'field' }, h('label', { for: 'new-practitioner', text: t('practitionerId') }), fPrac, h('span', { class: 'muted small', text: t('practitionerHint') })),
    h('div', { class: 'field' }, h('label', { for: 'new-organization', text: t('organizationId') }), fOrg,
      admin ? null : h('span', { class: 'muted small', text: t('organizationHint', { org: me.organization || '' }) })),
    patField),
  formErr,
  h('div', { class: 'actions' }, go));

  // ---- the page ------------------------------------------------------------------------
  view.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  await load();
  paintOtp();
  const toForm = h('button', { type: 'button', id: 'to-add', class: 'plain', text: '+ ' + t('addAccount'), onclick: () => { form.scrollIntoView({ block: 'start' }); fUser.focus(); } });
  view.replaceChildren(
    h('div', { class: 'title-row' }, h('h1', { text: t('accountsTitle') }), toForm),
    intro, status, otpSlot,
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() }, filter),
    h('div', { class: 'table-wrap' }, h('table', { class: 'accounts', id: 'accounts-table' },
      h('thead', {}, h('tr', {}, [t('username'), t('roles'), t('linkedCol'), t('state'), t('actionsCol')].map((c) => h('th', { scope: 'col', text: c })))),
      rows)),
    count,
    h('section', { class: 'box' }, form));
  view.dataset.loaded = location.hash; // the page has its list (for tests)
  return () => {
    delete view.dataset.loaded;
    if (!location.hash.startsWith('#/accounts')) kept = null; // left: the password is gone
  };
}
