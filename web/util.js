// util.js -- what every page shares: building elements (data always as text, never as
// HTML), the session's token and calling the API with it, masking, names and ages, the
// family-doctor teams.
import { t } from './i18n.js';

export const CS = 'https://yilian.health/fhir/CodeSystem/';
export const SD = 'https://yilian.health/fhir/StructureDefinition/';
export const SID = 'https://yilian.health/fhir/sid/cn-resident-id';
export const PAGE = 20;

export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}

// ---- the session ---------------------------------------------------------------------
// The bearer token of POST /auth/login lives in sessionStorage: this tab only, gone when it
// closes, and never sent by the browser on its own (no cookie, so no cross-site request can
// carry it). Every call sends it; a 401 forgets it and tells the page (whenLoggedOut), which
// shows the login screen.
const TOKEN = 'yilian.token';
export const token = () => sessionStorage.getItem(TOKEN);
export function setToken(tok) {
  if (tok) sessionStorage.setItem(TOKEN, tok);
  else sessionStorage.removeItem(TOKEN);
}
let loggedOut = () => {};
export function whenLoggedOut(fn) { loggedOut = fn; }

// A call; a refusal throws an Error carrying the HTTP status, the OperationOutcome and, for
// a 429, the seconds of Retry-After.
async function call(url, method, body, type) {
  const tok = token();
  const headers = { Accept: type };
  if (body) headers['Content-Type'] = type;
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const msg = json?.issue?.map((i) => i.diagnostics).filter(Boolean).join('; ') || res.statusText;
    const ended = res.status === 401 && tok; // said in the page's words, not the server's
    const err = new Error(ended ? t('loginAgain') : msg);
    err.status = res.status;
    err.outcome = json?.resourceType === 'OperationOutcome' && !ended ? json : null;
    err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    // the session ended (expired, revoked, logged out in another tab): once, for this token
    if (res.status === 401 && tok && token() === tok) {
      setToken(null);
      loggedOut(method);
    }
    throw err;
  }
  return json;
}
// A FHIR call (path after /fhir/).
export const api = (method, path, body) => call('/fhir/' + path, method, body, 'application/fhir+json');
// A call of the identity routes (path after /auth/: login, logout, me).
export const authApi = (method, path, body) => call('/auth/' + path, method, body, 'application/json');
export const params = (o) => ({ resourceType: 'Parameters', parameter: o.filter(Boolean) });
export const refParam = (name, reference) => ({ name, valueReference: { reference } });

export function mask(s, head, tail) {
  if (!s) return '';
  if (s.includes('*')) return s; // already masked by the server
  if (s.length <= head + tail) return '*'.repeat(s.length);
  return s.slice(0, head) + '*'.repeat(s.length - head - tail) + s.slice(s.length - tail);
}
export const nameOf = (p) => p?.name?.[0]?.text || [p?.name?.[0]?.family, ...(p?.name?.[0]?.given || [])].filter(Boolean).join('') || p?.id;
export const idNumber = (p) => mask(p.identifier?.find((i) => i.system === SID)?.value, 6, 4);
export const phoneOf = (p) => mask(p.telecom?.find((c) => c.system === 'phone')?.value, 3, 4);
// Whole years from a birth date to a day (YYYY-MM-DD; today when not given).
export function yearsAt(birthDate, day) {
  if (!birthDate) return null;
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = (day || today()).split('-').map(Number);
  return y - by - ((m < (bm || 1) || (m === (bm || 1) && d < (bd || 1))) ? 1 : 0);
}
export function ageOf(p) {
  const a = yearsAt(p.birthDate);
  return a === null ? '' : t('years', { n: a });
}
export const extOf = (r, url) => (r.extension || []).filter((e) => e.url === SD + url);
// the sub-extensions of a complex extension as { url: [value, ...] } (a Coding gives its code)
export function subExt(ext) {
  const out = {};
  for (const s of ext?.extension || []) {
    const k = Object.keys(s).find((x) => x.startsWith('value'));
    const v = k === 'valueCoding' ? s[k].code : k === 'valueReference' ? s[k].reference : s[k];
    (out[s.url] ||= []).push(v);
  }
  return out;
}
// today in the browser's own calendar (the server checks dates against its local day too)
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
export function note(kind, text) { return h('p', { class: 'note ' + kind, role: kind === 'bad' ? 'alert' : 'status', text }); }
export const entries = (b) => (b?.entry || []).map((e) => e.resource);

// ---- the family-doctor teams (cached for the page's life) ------------------------------
let teamsCache = null;
export async function teams() {
  if (!teamsCache) {
    const b = await api('GET', `CareTeam?category=${encodeURIComponent(CS + 'care-team-category|family-doctor-team')}&status=active&_count=500`);
    teamsCache = entries(b).sort((a, b2) => (a.name || a.id).localeCompare(b2.name || b2.id, 'zh-CN'));
  }
  return teamsCache;
}
export const teamLabel = (tm) => tm.name || tm.id;
// the team kept from the last visit to a team page, or the first
export function currentTeam(all, teamId) {
  if (!teamId) {
    const kept = localStorage.getItem('yilian.team');
    teamId = all.some((x) => x.id === kept) ? kept : all[0]?.id;
  }
  if (teamId) localStorage.setItem('yilian.team', teamId);
  return teamId;
}
