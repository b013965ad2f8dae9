// access.js -- who opened a resident's record: GET /fhir/AuditEvent?patient={id}, newest
// first, older entries paged in with the Bundle's next link. A resident (role resident,
// linked to their Patient) lands here and sees their own; an administrator opens it from a
// resident's contract page. Each entry says when, who (their username) in which roles, what
// they did to which part of the record, from which address, and whether it was refused.
// A resident can also download their whole record ($everything, every page) as one FHIR
// Bundle file.
import { t } from './i18n.js';
import { PAGE, h, api, note, entries, today } from './util.js';

const two = (n) => String(n).padStart(2, '0');
// an instant in the browser's own calendar and clock
function when(instant) {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant || '';
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
// the word for a key, or the code itself when there is none
const word = (prefix, code) => {
  const w = t(prefix + code);
  return w === prefix + code ? code : w;
};

// What was done to which parts of the record: the kinds of resource its entities name (the
// Patient itself only when nothing else was touched).
function whatDone(ev) {
  const types = [...new Set((ev.entity || []).map((e) => e.what?.reference?.replace(/^\/fhir\//, '').split('/')[0]).filter(Boolean))];
  const parts = types.filter((x) => x !== 'Patient');
  const act = word('act-', ev.subtype?.[0]?.code || ev.action || '');
  const on = (parts.length ? parts : types).map((x) => word('type-', x)).join('、');
  return on ? `${act} · ${on}` : act;
}

function eventRow(ev, self) {
  const a = ev.agent?.[0] || {};
  const who = a.altId || a.who?.display || '';
  const roles = (a.role || []).map((r) => r.coding?.[0]?.code).filter(Boolean);
  const refused = ev.outcome && ev.outcome !== '0';
  return h('li', { class: 'access-row' + (refused ? ' refused' : ''), 'data-who': who, 'data-action': ev.subtype?.[0]?.code || '' },
    h('div', { class: 'line' }, h('time', { class: 'when', datetime: ev.recorded, text: when(ev.recorded) }),
      refused ? h('span', { class: 'badge bad', text: t('refused') }) : null),
    h('div', { class: 'line' }, h('strong', { class: 'who', text: self && who === self ? `${who} (${t('you')})` : who }),
      h('span', { class: 'badges' }, roles.map((r) => h('span', { class: 'badge', text: word('role-', r) })))),
    h('div', { class: 'what', text: whatDone(ev) }),
    a.network?.address ? h('div', { class: 'muted small from', text: `${t('from')} ${a.network.address}` }) : null);
}

// The resident's whole record, every page of Patient/{id}/$everything, as one Bundle of
// type collection saved by the browser (nothing kept in the page once it is saved).
async function download(id, button, status) {
  button.disabled = true;
  status.replaceChildren(note('muted', t('loading')));
  try {
    const seen = new Map();
    let next = `Patient/${encodeURIComponent(id)}/$everything?_count=500`;
    while (next) {
      const b = await api('GET', next);
      for (const e of b.entry || []) if (e.resource) seen.set(e.fullUrl || `${e.resource.resourceType}/${e.resource.id}`, e.resource);
      const n = b.link?.find((l) => l.relation === 'next')?.url;
      next = n ? n.slice(n.indexOf('/fhir/') + 6) : null;
    }
    const bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(),
      entry: [...seen].map(([fullUrl, resource]) => ({ fullUrl, resource })) };
    const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 1)], { type: 'application/fhir+json' }));
    const a = h('a', { href: url, download: `health-record-${id}-${today()}.json`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.replaceChildren(note('good', t('downloaded', { n: seen.size })));
  } catch (e) {
    status.replaceChildren(note('bad', e.message));
  }
  button.disabled = false;
}

// `self`: the username of the resident looking at their own record (none for an administrator)
export async function accessPage(view, id, self) {
  const list = h('ol', { class: 'access', id: 'access-list' });
  const status = h('div', { id: 'access-status' });
  const more = h('button', { type: 'button', id: 'access-more', text: t('older'), hidden: true });
  let next = `AuditEvent?patient=${encodeURIComponent(id)}&_count=${PAGE}`;
  const load = async () => {
    const b = await api('GET', next);
    list.append(...entries(b).map((ev) => eventRow(ev, self)));
    const n = b.link?.find((l) => l.relation === 'next')?.url;
    next = n ? n.slice(n.indexOf('/fhir/') + 6) : null;
    more.hidden = !next;
    status.replaceChildren(...(list.childElementCount ? [] : [note('muted', t('noAccess'))]));
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { await load(); } catch (e) { status.replaceChildren(note('bad', e.message)); }
    more.disabled = false;
  });
  view.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  await load();
  const saved = h('div', { id: 'download-status' });
  const save = h('button', { type: 'button', id: 'download-record', text: t('downloadMine') });
  save.addEventListener('click', () => download(id, save, saved));
  view.replaceChildren(
    self ? '' : h('p', {}, h('a', { href: `#/patient/${encodeURIComponent(id)}`, text: '← ' + t('backContract') })),
    self ? h('div', { class: 'download' }, h('p', { class: 'muted', text: t('downloadIntro') }), h('p', { class: 'actions' }, save), saved) : '',
    h('h1', { text: self ? t('accessMine') : t('accessTheirs') }),
    h('p', { class: 'muted', text: self ? t('accessIntro') : t('accessIntroTheirs') }),
    list, status, h('p', { class: 'actions' }, more));
  view.dataset.loaded = location.hash; // the page has its first entries (for tests)
  return () => delete view.dataset.loaded;
}
