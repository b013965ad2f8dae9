// worklist.js -- a family-doctor team's (or one doctor's) chronic-care worklists:
// GET /fhir/CareTeam/{id}/$worklist and /fhir/Practitioner/{id}/$worklist, one tab per list
// (docs/clinical-rules.md "Worklists"), filtered by programme and risk tier, sorted, paged.
// Each row is a masked Patient with the worklist-item extension (src/care/worklist.c).
import { t } from './i18n.js';
import { label } from './chronic-data.js';
import { PAGE, h, api, nameOf, ageOf, extOf, subExt, note, entries, teams, teamLabel, currentTeam } from './util.js';

export const LISTS = ['due', 'overdue', 'two-week', 'urgent-referral', 'lost-to-follow-up', 'not-enrolled'];
const SORTS = ['due', '-due', 'overdue', '-overdue', 'name', '-name', 'last-visit', '-last-visit', 'diagnosed', '-diagnosed'];
const TIERS = ['high', 'medium', 'low'];

// the doctors of a team (its Practitioner members), with their names
const doctorsCache = new Map();
async function doctorsOf(team) {
  if (!team) return [];
  if (!doctorsCache.has(team.id)) {
    const ids = [...new Set((team.participant || []).map((p) => p.member?.reference).filter((r) => r?.startsWith('Practitioner/')).map((r) => r.slice(13)))];
    const b = ids.length ? await api('GET', `Practitioner?_id=${ids.map(encodeURIComponent).join(',')}&_count=100`) : null;
    const byId = new Map(entries(b).map((p) => [p.id, p]));
    doctorsCache.set(team.id, ids.map((id) => ({ id, name: nameOf(byId.get(id)) || id })));
  }
  return doctorsCache.get(team.id);
}

// A worklist request; while the population model is first built (503) it is asked again.
async function fetchList(base, q) {
  for (let i = 0; ; i++) {
    try {
      return await api('GET', `${base}?${q}`);
    } catch (e) {
      if (e.status !== 503 || i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function worklistPage(view, teamId, query) {
  const all = await teams();
  teamId = currentTeam(all, teamId);
  const team = all.find((x) => x.id === teamId);
  const st = {
    list: LISTS.includes(query.get('list')) ? query.get('list') : 'overdue',
    doctor: query.get('doctor') || '',
    programme: query.get('programme') || '',
    tier: query.get('tier') || '',
    sort: query.get('sort') || '',
    offset: Number(query.get('offset') || 0),
  };
  const go = (o) => {
    const n = { ...st, offset: 0, ...o };
    const q = new URLSearchParams(Object.entries(n).filter(([k, v]) => v && k !== 'team'));
    location.hash = `#/worklist/${encodeURIComponent(o.team ?? teamId)}` + (q.toString() ? '?' + q : '');
  };

  const doctors = await doctorsOf(team).catch(() => []);
  const sel = (id, labelText, value, options, key) => h('select', { id, 'aria-label': labelText, onchange: (e) => go({ [key]: e.target.value }) },
    options.map(([v, text]) => h('option', { value: v, selected: v === value, text })));
  const controls = h('div', { class: 'filters' },
    h('select', { id: 'wl-team', 'aria-label': t('chooseTeam'), onchange: (e) => go({ team: e.target.value, doctor: '' }) },
      all.map((x) => h('option', { value: x.id, selected: x.id === teamId, text: teamLabel(x) }))),
    sel('wl-doctor', t('doctor'), st.doctor, [['', t('allDoctors')], ...doctors.map((d) => [d.id, d.name])], 'doctor'),
    sel('wl-programme', t('programme'), st.programme, [['', t('allProgrammes')], ['hypertension', t('prog-hypertension')], ['diabetes', t('prog-diabetes')]], 'programme'),
    sel('wl-tier', t('riskTier'), st.tier, [['', t('allTiers')], ...TIERS.map((x) => [x, label('risk-tier', x)])], 'tier'),
    sel('wl-sort', t('sort'), st.sort, [['', t('sortDefault')], ...SORTS.map((x) => [x, t('sort' + x)])], 'sort'));

  const tabs = h('div', { class: 'tabs', role: 'tablist' }, LISTS.map((l) => h('button', {
    type: 'button', role: 'tab', id: 'tab-' + l, class: l === st.list ? 'on' : '', 'aria-selected': l === st.list ? 'true' : 'false',
    onclick: () => go({ list: l }),
  }, h('span', { text: t('list-' + l) }), ' ', h('span', { class: 'count', 'data-list': l }))));
  const list = h('section', { class: 'list' }, h('p', { class: 'muted', text: t('loading') }));
  view.replaceChildren(h('h1', { text: t('worklist') }), controls, tabs, list);
  // on a phone the tabs scroll sideways: keep the chosen one in sight (also as counts arrive)
  const showOn = () => {
    const on = tabs.querySelector('.on');
    if (on && on.offsetLeft + on.offsetWidth > tabs.scrollLeft + tabs.clientWidth) tabs.scrollLeft = on.offsetLeft + on.offsetWidth - tabs.clientWidth + 8;
  };
  showOn();
  if (!teamId) { list.replaceChildren(note('muted', t('noneOnList'))); return null; }

  const base = st.doctor ? `Practitioner/${encodeURIComponent(st.doctor)}/$worklist` : `CareTeam/${encodeURIComponent(teamId)}/$worklist`;
  const filters = new URLSearchParams();
  if (st.programme) filters.set('programme', st.programme);
  if (st.tier) filters.set('tier', st.tier);
  // each tab's count (a page of none), not blocking the list
  for (const l of LISTS) {
    const q = new URLSearchParams(filters);
    q.set('list', l);
    q.set('_count', '0');
    fetchList(base, q).then((b) => { tabs.querySelector(`.count[data-list="${l}"]`).textContent = String(b.total); showOn(); }).catch(() => {});
  }
  const q = new URLSearchParams(filters);
  q.set('list', st.list);
  if (st.sort) q.set('_sort', st.sort);
  q.set('_count', PAGE);
  q.set('_offset', st.offset);
  try {
    const b = await fetchList(base, q);
    const rows = entries(b);
    const pager = h('nav', { class: 'pager' },
      h('button', { type: 'button', disabled: st.offset === 0, onclick: () => go({ offset: Math.max(0, st.offset - PAGE) }), text: t('prev') }),
      h('span', { class: 'muted', text: `${t('page', { n: Math.floor(st.offset / PAGE) + 1 })} · ${t('total', { n: b.total })}` }),
      h('button', { type: 'button', disabled: st.offset + PAGE >= b.total, onclick: () => go({ offset: st.offset + PAGE }), text: t('next') }));
    list.replaceChildren(rows.length ? h('ul', { class: 'worklist' }, rows.map((p) => worklistRow(p, st))) : note('muted', t('noneOnList')), pager);
  } catch (e) {
    list.replaceChildren(note('bad', e.message));
  }
  view.dataset.loaded = location.hash; // the list this page shows is in (for tests)
  return () => delete view.dataset.loaded;
}

function worklistRow(p, st) {
  const it = Object.fromEntries(Object.entries(subExt(extOf(p, 'worklist-item')[0])).map(([k, v]) => [k, v[0]]));
  const prog = it.programme;
  const tier = it.tier;
  const facts = [];
  if (st.list === 'not-enrolled') {
    if (it.diagnosed) facts.push(h('span', { text: `${t('diagnosed')} ${it.diagnosed}` }));
  } else {
    if (it.due) facts.push(h('span', { class: 'due', text: `${t('dueOn')} ${it.due}` }));
    if (it['days-overdue']) facts.push(h('span', { class: 'overdue', text: t('daysOverdue', { n: it['days-overdue'] }) }));
    facts.push(h('span', { class: 'last', text: it['last-visit']
      ? `${t('lastVisit')} ${it['last-visit']}` + (it.classification ? ` · ${label('followup-classification', it.classification)}` : '') + (it['next-step'] ? ` · ${label('next-step', it['next-step'])}` : '')
      : t('noVisitYet') }));
  }
  const q = new URLSearchParams({ programme: prog });
  if (st.doctor) q.set('doctor', st.doctor);
  return h('li', { 'data-patient': p.id },
    h('a', { href: `#/chronic/${encodeURIComponent(p.id)}`, class: 'resident' },
      h('span', { class: 'who' }, h('strong', { text: nameOf(p) }), h('span', { class: 'muted', text: ` ${t(p.gender || 'unknown')} · ${ageOf(p)}` })),
      h('span', { class: 'badges' }, h('span', { class: 'badge', text: t('prog-' + prog) }),
        tier ? h('span', { class: 'badge tier-' + tier, text: label('risk-tier', tier) }) : null),
      h('span', { class: 'facts-line muted' }, facts)),
    h('a', { class: 'button record', href: `#/followup/${encodeURIComponent(p.id)}?${q}`, text: t('recordVisit') }));
}
