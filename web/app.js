// app.js -- the pages' router, the session (who is logged in, logging out) and the
// family-doctor contract pages: a team's contracted residents (search by name, filter by key
// population, paging, the team's indicators) and a resident's contract page (sign, renew,
// transfer, terminate). The chronic-care pages are their own modules: worklist.js (a team's
// or doctor's worklists), chronic.js (a resident's visits, chart, risk tier and enrolments)
// and followup.js (the follow-up form); login.js is the login screen, access.js who
// opened a resident's record (a resident's own page) and accounts.js the accounts an
// administrator or an institution's administrator manages. Talks only to the public API; every
// piece of data goes into the page as text (no HTML from data), identity and phone numbers
// masked.
import { t, getLang, setLang, KEY_POPULATIONS, REASONS } from './i18n.js';
import { CS, PAGE, h, api, authApi, token, setToken, whenLoggedOut, params, refParam, nameOf, idNumber, phoneOf, ageOf, extOf, today, note, teams, teamLabel, currentTeam } from './util.js';
import { worklistPage } from './worklist.js';
import { chronicPage } from './chronic.js';
import { followupPage } from './followup.js';
import { showLogin } from './login.js';
import { accessPage } from './access.js';
import { accountsPage, canManage } from './accounts.js';

const view = document.getElementById('view');

const stateOf = (c) => extOf(c, 'contract-state')[0]?.valueCode;
const pct = (mr) => {
  const s = mr?.group?.[0]?.measureScore?.value;
  return s === undefined ? '—' : (s * 100).toFixed(1) + '%';
};
const counts = (mr) => {
  const pop = Object.fromEntries((mr?.group?.[0]?.population || []).map((p) => [p.code.coding[0].code, p.count]));
  return `${pop.numerator ?? 0} / ${pop.denominator ?? 0}`;
};
const inForce = (c) => c.status === 'active' && c.period?.start <= today() && (!c.period?.end || c.period.end >= today());

// ---- data -----------------------------------------------------------------------------
let packagesCache = null;
async function packages() {
  if (!packagesCache) {
    const b = await api('GET', `PlanDefinition?type=${encodeURIComponent(CS + 'plan-type|service-package')}&status=active&_count=100`);
    packagesCache = (b.entry || []).map((e) => e.resource);
  }
  return packagesCache;
}

// ---- the team page --------------------------------------------------------------------
async function teamPage(teamId, query) {
  const all = await teams();
  teamId = currentTeam(all, teamId);
  const name = query.get('name') || '';
  const kp = query.get('kp') || '';
  const offset = Number(query.get('offset') || 0);
  const go = (o) => {
    const q = new URLSearchParams({ ...(o.name ?? name ? { name: o.name ?? name } : {}), ...(o.kp ?? kp ? { kp: o.kp ?? kp } : {}), ...(o.offset ? { offset: o.offset } : {}) });
    location.hash = `#/team/${o.team ?? teamId}` + (q.toString() ? '?' + q : '');
  };

  const picker = h('select', { id: 'team', 'aria-label': t('chooseTeam'), onchange: (e) => go({ team: e.target.value, offset: 0 }) },
    all.map((tm) => h('option', { value: tm.id, selected: tm.id === teamId, text: teamLabel(tm) })));
  const nameBox = h('input', { id: 'name', type: 'search', placeholder: t('searchName'), value: name });
  const kpBox = h('select', { id: 'kp', 'aria-label': t('allPopulations') }, h('option', { value: '', text: t('allPopulations') }),
    KEY_POPULATIONS.map((k) => h('option', { value: k, selected: k === kp, text: t('kp-' + k) })));
  const filters = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); go({ name: nameBox.value.trim(), kp: kpBox.value, offset: 0 }); } },
    nameBox, kpBox, h('button', { type: 'submit', text: t('find') }));
  kpBox.addEventListener('change', () => go({ name: nameBox.value.trim(), kp: kpBox.value, offset: 0 }));

  const cards = h('section', { class: 'cards', 'aria-label': t('indicators') });
  const list = h('section', { class: 'list' }, h('p', { class: 'muted', text: t('loading') }));
  const finder = finderBox();
  view.replaceChildren(h('h1', { text: t('teamResidents') }), h('div', { class: 'row' }, h('label', { for: 'team', text: t('team') }), picker),
    cards, filters, list, finder);
  if (!teamId) { list.replaceChildren(note('muted', t('noResidents'))); return; }

  // indicators of this year, and the expiring count (not blocking the list)
  Promise.all([api('GET', `CareTeam/${teamId}/$contract-indicators`), api('GET', `CareTeam/${teamId}/$expiring-contracts`)]).then(([ind, exp]) => {
    const m = (n) => ind.entry.map((e) => e.resource).find((r) => r.measure.endsWith('/' + n));
    cards.replaceChildren(
      card(t('contractRate'), pct(m('contract-rate')), counts(m('contract-rate'))),
      card(t('keypopRate'), pct(m('key-population-contract-rate')), counts(m('key-population-contract-rate'))),
      card(t('renewalRate'), pct(m('renewal-rate')), counts(m('renewal-rate'))),
      card(t('expiring'), String(exp.total), ''));
  }).catch((e) => cards.replaceChildren(note('bad', e.message)));

  const q = new URLSearchParams({ _count: PAGE, _offset: offset });
  if (name) q.set('name', name);
  if (kp) q.set('key-population', kp);
  try {
    const b = await api('GET', `CareTeam/${teamId}/$residents?${q}`);
    const rows = (b.entry || []).map((e) => e.resource);
    const pager = h('nav', { class: 'pager' },
      h('button', { type: 'button', disabled: offset === 0, onclick: () => go({ offset: Math.max(0, offset - PAGE) }), text: t('prev') }),
      h('span', { class: 'muted', text: `${t('page', { n: Math.floor(offset / PAGE) + 1 })} · ${t('total', { n: b.total })}` }),
      h('button', { type: 'button', disabled: offset + PAGE >= b.total, onclick: () => go({ offset: offset + PAGE }), text: t('next') }));
    list.replaceChildren(rows.length ? h('ul', { class: 'residents' }, rows.map(residentRow)) : note('muted', t('noResidents')), pager);
  } catch (e) {
    list.replaceChildren(note('bad', e.message));
  }
}

function card(label, big, small) {
  return h('div', { class: 'card' }, h('div', { class: 'muted', text: label }), h('div', { class: 'big', text: big }), h('div', { class: 'muted small', text: small }));
}

function residentRow(p) {
  const kps = extOf(p, 'key-population').map((e) => h('span', { class: 'badge', text: t('kp-' + e.valueCode) }));
  return h('li', {}, h('a', { href: `#/patient/${p.id}`, class: 'resident' },
    h('span', { class: 'who' }, h('strong', { text: nameOf(p) }), h('span', { class: 'muted', text: ` ${t(p.gender || 'unknown')} · ${ageOf(p)}` })),
    h('span', { class: 'ids muted', text: `${idNumber(p)} · ${phoneOf(p)}` }),
    h('span', { class: 'badges' }, kps)));
}

function finderBox() {
  const box = h('input', { id: 'find', type: 'search', placeholder: t('findPlaceholder') });
  const out = h('div', { class: 'found' });
  const form = h('form', { class: 'filters', onsubmit: async (e) => {
    e.preventDefault();
    const v = box.value.trim();
    if (!v) return;
    try {
      const b = await api('GET', `Patient?name=${encodeURIComponent(v)}&_count=20`);
      const ps = (b.entry || []).map((x) => x.resource);
      out.replaceChildren(ps.length ? h('ul', { class: 'residents' }, ps.map((p) => h('li', {}, h('a', { href: `#/patient/${p.id}`, class: 'resident' },
        h('span', { class: 'who' }, h('strong', { text: nameOf(p) }), h('span', { class: 'muted', text: ` ${t(p.gender || 'unknown')} · ${ageOf(p)}` })),
        h('span', { class: 'ids muted', text: idNumber(p) }))))) : note('muted', t('noMatch')));
    } catch (err) { out.replaceChildren(note('bad', err.message)); }
  } }, box, h('button', { type: 'submit', id: 'find-go', text: t('find') }));
  return h('section', { class: 'finder' }, h('h2', { text: t('findResident') }), form, out);
}

// ---- the resident page ----------------------------------------------------------------
async function patientPage(id, flash) {
  view.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  const [p, cs, all, pkgs] = await Promise.all([api('GET', `Patient/${id}`), api('GET', `EpisodeOfCare?patient=Patient/${id}&type=${encodeURIComponent(CS + 'episode-type|family-doctor-contract')}&_count=100`), teams(), packages()]);
  const contracts = (cs.entry || []).map((e) => e.resource).sort((a, b) => (b.period?.start || '').localeCompare(a.period?.start || '') || (b.meta?.lastUpdated || '').localeCompare(a.meta?.lastUpdated || ''));
  const current = contracts.find(inForce);
  const teamName = (ref) => { const tm = all.find((x) => `CareTeam/${x.id}` === ref); return tm ? teamLabel(tm) : ref; };
  const pkgName = (ref) => { const pk = pkgs.find((x) => `PlanDefinition/${x.id}` === ref); return pk ? (getLang() === 'en' ? pk.subtitle || pk.title : pk.title) : ref; };
  const dead = p.deceasedBoolean || p.deceasedDateTime;
  const run = async (what, body) => {
    try { await api('POST', what, body); patientPage(id, note('good', t('done'))); } catch (e) { patientPage(id, note('bad', `${t('error')}: ${e.message}`)); }
  };

  const facts = h('dl', { class: 'facts' },
    [[t('gender'), t(p.gender || 'unknown')], [t('age'), ageOf(p) + (dead ? ` · ${t('deceased')}` : '')], [t('idNumber'), idNumber(p)], [t('phone'), phoneOf(p)], [t('address'), p.address?.[0]?.text || '']]
      .map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));

  let action;
  if (current) {
    const teamSel = h('select', { id: 'transfer-team', 'aria-label': t('toTeam') }, all.filter((x) => `CareTeam/${x.id}` !== current.team?.[0]?.reference).map((x) => h('option', { value: x.id, text: teamLabel(x) })));
    const reasonSel = h('select', { id: 'reason', 'aria-label': t('reason') }, REASONS.map((r) => h('option', { value: r, text: t('reason-' + r) })));
    action = h('section', { class: 'box' }, h('h2', { text: t('inForce') }), contractFacts(current, teamName, pkgName),
      h('div', { class: 'actions' },
        h('button', { id: 'renew', type: 'button', onclick: () => run(`EpisodeOfCare/${current.id}/$renew`, params([])), text: t('renew') }),
        h('span', { class: 'group' }, teamSel, h('button', { id: 'transfer', type: 'button', onclick: () => run(`EpisodeOfCare/${current.id}/$transfer`, params([refParam('team', `CareTeam/${teamSel.value}`)])), text: t('transfer') })),
        h('span', { class: 'group' }, reasonSel, h('button', { id: 'terminate', type: 'button', class: 'danger', onclick: () => run(`EpisodeOfCare/${current.id}/$terminate`, params([{ name: 'reason', valueCode: reasonSel.value }])), text: t('terminate') }))));
  } else {
    const teamSel = h('select', { id: 'sign-team', 'aria-label': t('signWith') }, all.map((x) => h('option', { value: x.id, selected: x.id === localStorage.getItem('yilian.team'), text: teamLabel(x) })));
    const boxes = pkgs.filter((pk) => pk.id !== 'package-basic').map((pk) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: pk.id }), ' ', pkgName(`PlanDefinition/${pk.id}`)));
    action = h('section', { class: 'box' }, h('h2', { text: t('none') }),
      h('div', { class: 'row' }, h('label', { for: 'sign-team', text: t('signWith') }), teamSel),
      h('fieldset', { class: 'packages' }, h('legend', { text: t('packages') }), boxes),
      h('div', { class: 'actions' }, h('button', { id: 'sign', type: 'button', disabled: !!dead, onclick: () => run('EpisodeOfCare/$sign', params([
        refParam('patient', `Patient/${id}`), refParam('team', `CareTeam/${teamSel.value}`),
        ...boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => refParam('package', `PlanDefinition/${i.value}`))])), text: t('sign') })));
  }
  const history = h('section', {}, h('h2', { text: t('contracts') }), h('ul', { class: 'history' }, contracts.map((c) => h('li', {}, contractFacts(c, teamName, pkgName)))));
  const chronic = h('p', { class: 'links' }, h('a', { href: `#/chronic/${encodeURIComponent(id)}`, id: 'to-chronic', text: t('chronicCare') + ' →' }),
    h('a', { href: `#/access/${encodeURIComponent(id)}`, id: 'to-access', text: t('accessLink') + ' →' }));
  view.replaceChildren(h('p', {}, h('a', { href: '#/', text: '← ' + t('back') })), h('h1', { text: nameOf(p) }), flash || '', facts, chronic, action, history);
}

function contractFacts(c, teamName, pkgName) {
  const st = stateOf(c);
  return h('dl', { class: 'facts contract' },
    h('dt', { text: t('state') }), h('dd', {}, h('span', { class: 'badge state-' + (st || 'x'), text: st ? t('state-' + st) : c.status })),
    h('dt', { text: t('team') }), h('dd', { text: teamName(c.team?.[0]?.reference) }),
    h('dt', { text: t('period') }), h('dd', { text: `${c.period?.start || ''} — ${c.period?.end || ''}` }),
    h('dt', { text: t('packages') }), h('dd', { text: extOf(c, 'contract-package').map((e) => pkgName(e.valueReference.reference)).join('、') }));
}

// ---- routing, the session and language ---------------------------------------------------
// #/ and #/team/{id}: the team's residents; #/patient/{id}: a contract; #/worklist/{team}:
// the chronic-care worklists; #/chronic/{id}: a resident's chronic care; #/followup/{id}:
// the follow-up form; #/access/{id}: who opened a resident's record (#/access: a resident's
// own, the only page of a user who is nothing but a resident); #/accounts: the accounts
// (administrators and institution administrators). A page may leave a cleanup (charts to
// dispose) for the next route.
let me = null; // the user logged in: GET /auth/me, or the login's answer
const isResident = () => !!(me?.patient && me.roles.includes('resident'));
const isStaff = () => !!me?.roles.some((r) => r !== 'resident');
let leave = null;
let resume = 'route'; // after logging in again: load the page again, or 'keep' it as it is
async function route() {
  if (!me) return;
  if (!token()) { resume = 'route'; return; } // moved on behind the login screen
  let [path, qs] = location.hash.slice(1).split('?');
  if (!isStaff() && path !== '/access') { // a resident's one page
    history.replaceState(null, '', '#/access');
    path = '/access';
  }
  const parts = (path || '/').split('/').filter(Boolean);
  const query = new URLSearchParams(qs || '');
  const id = decodeURIComponent(parts[1] || '');
  if (leave) { leave(); leave = null; }
  const on = ['access', 'accounts'].includes(parts[0]) ? parts[0] : ['worklist', 'chronic', 'followup'].includes(parts[0]) ? 'worklist' : 'team';
  document.querySelectorAll('nav.main a').forEach((a) => a.classList.toggle('on', a.dataset.page === on));
  try {
    if (parts[0] === 'access' && id && isStaff()) leave = await accessPage(view, id, null);
    else if (parts[0] === 'access' && isResident()) leave = await accessPage(view, me.patient, me.username);
    else if (!isStaff()) view.replaceChildren(note('bad', t('noPages')));
    else if (parts[0] === 'accounts') {
      if (canManage(me)) leave = await accountsPage(view, me);
      else view.replaceChildren(note('bad', t('noAccountsPage')));
    }
    else if (parts[0] === 'patient' && id) await patientPage(id);
    else if (parts[0] === 'worklist') leave = await worklistPage(view, id, query);
    else if (parts[0] === 'chronic' && id) leave = await chronicPage(view, id, query);
    else if (parts[0] === 'followup' && id) leave = await followupPage(view, id, query);
    else await teamPage(parts[0] === 'team' ? id : '', query);
  } catch (e) {
    if (e.status !== 401) view.replaceChildren(note('bad', e.message)); // a 401: the login screen is up
  }
}

function paintChrome() {
  document.documentElement.lang = getLang();
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.getElementById('lang').textContent = t('switchTo');
  const user = document.getElementById('user');
  user.textContent = me?.username || '';
  user.title = me ? t('loggedInAs', { u: me.username }) : '';
  document.body.classList.toggle('as-staff', isStaff());
  document.body.classList.toggle('as-resident', isResident());
  document.body.classList.toggle('as-manager', canManage(me));
}

// Logged in (at start with a kept token, or on the login screen): the pages, where they were.
function signedIn(user, again) {
  const before = me?.username;
  me = user;
  // someone else at this screen: start afresh, nothing of the last user's pages kept
  if (before && before !== me.username) { location.reload(); return; }
  paintChrome();
  if (again === 'keep') return; // a write was refused: its page stays, to be sent again
  // an institution's administrator who cares for no resident starts at the accounts
  const managerOnly = me.roles.includes('institution-admin') &&
    me.roles.every((r) => ['institution-admin', 'supervisor'].includes(r));
  if (managerOnly && ['', '#', '#/'].includes(location.hash)) history.replaceState(null, '', '#/accounts');
  route();
}

// The session ended under a page (a 401): the login screen over it. After a refused read the
// page is loaded again once logged in; after a refused write it stays as it was (the form
// keeps what was typed in it).
const login = () => showLogin((ans) => signedIn(ans.user, resume));
whenLoggedOut((method) => {
  resume = method === 'GET' ? 'route' : 'keep';
  login();
});

// Log out: the session ends on the server, the token here, and the page is loaded afresh (so
// no one's data stays in it) on the login screen.
document.getElementById('logout').addEventListener('click', async () => {
  try { await authApi('POST', 'logout'); } catch { /* ended already */ }
  setToken(null);
  history.replaceState(null, '', '/');
  location.reload();
});

document.getElementById('lang').addEventListener('click', () => {
  setLang(getLang() === 'en' ? 'zh-CN' : 'en');
  paintChrome();
  if (document.body.classList.contains('out')) login();
  else route();
});
window.addEventListener('hashchange', route);

async function start() {
  paintChrome();
  if (!token()) { login(); return; }
  try {
    signedIn(await authApi('GET', 'me'), 'route');
  } catch (e) {
    if (e.status !== 401) view.replaceChildren(note('bad', e.message));
  }
}
start();
