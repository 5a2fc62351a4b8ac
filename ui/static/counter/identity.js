// Counter console: the "Căn cước" panel of the ticket at the counter —
// what the chip of the citizen's CCCD told, read at the kiosk or by the
// counter's scanner: the face, whether the issuing authority's signature
// holds (the authenticity badge), where the chip differs from the card's
// printed QR/MRZ, and the chip's fields. It follows the ticket.identity
// events of the centre's stream. The face is biometric data: it is
// fetched with the clerk's token as a blob (never an address holding the
// token, never cached), and when the ticket is done the panel is emptied
// and the face's object URL revoked: nothing of it stays in the page.
import { lang, t } from '/assets/i18n.js';
import { $, api, ApiError, h, seg, token } from '/assets/api.js';

const state = {
  ticket: null, // {id, number} of the ticket at the counter
  mark: false, // its identity mark as last seen
  view: null, // GET /api/v1/tickets/{id}/identity
  face: '', // the face's object URL
  loading: 0, // the sequence of the load under way
  inflight: 0,
};

let hooks = { failed: (err) => console.error(err) };

/** The authenticities the badge knows, as the server sends them. */
const AUTH = ['genuine', 'data_altered', 'unknown_issuer', 'not_checked'];

/** Chip authentication's results (the card's chip_auth): is the chip the one the issuer wrote, not a copy. */
const CHIP_AUTH = ['passed', 'failed', 'not_supported'];

/** The chip's fields shown, in the order of the card. */
const FIELDS = ['id_number', 'name', 'birth_date', 'sex', 'nationality', 'ethnicity', 'religion', 'origin', 'residence',
  'issue_date', 'expiry_date', 'father', 'mother', 'old_id_number'];

/** Wires the panel to the console: failed (an API error that needs a new sign-in). */
export function initIdentity(h0) {
  hooks = { ...hooks, ...h0 };
  document.addEventListener('langchange', render);
  // For tests: the state, and whether a load is under way.
  window.xephangIdentity = { state, idle: () => state.inflight === 0 };
}

/**
 * Shows the identity of the ticket at the counter (null: none, and
 * everything of the last one goes). tk is the fullest view of it: its
 * "identity" mark says there is one to load; a ticket without is not
 * asked for.
 */
export function showIdentity(tk) {
  const id = tk ? tk.id : '';
  const mark = !!(tk && tk.identity);
  const same = (state.ticket ? state.ticket.id : '') === id;
  if (same && state.mark === mark) return;
  if (!same) {
    state.ticket = tk ? { id: tk.id, number: tk.number } : null;
    forget();
  }
  state.mark = mark;
  render();
  if (tk && mark) load();
}

/** An event of the centre's stream: a ticket.identity of the ticket at the counter (read again) loads it again. */
export function identityEvent(e) {
  if (e.type === 'ticket.identity' && state.mark && state.ticket && e.ticket && e.ticket.id === state.ticket.id) load();
}

/** Drops what the page holds of an identity: its view and its face. */
function forget() {
  state.loading++;
  state.view = null;
  setFace('');
}

function setFace(url) {
  if (state.face) URL.revokeObjectURL(state.face);
  state.face = url;
}

async function load() {
  const tk = state.ticket;
  if (!tk) return;
  const seq = ++state.loading;
  state.inflight++;
  try {
    let v = null;
    try {
      v = await api('GET', `/api/v1/tickets/${seg(tk.id)}/identity`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) v = null;
      else if (err instanceof ApiError && err.status === 401) { hooks.failed(err); return; } else { console.warn('identity', err.message); return; }
    }
    let face = '';
    if (v && v.face_url) face = await fetchFace(v.face_url);
    if (seq !== state.loading) {
      if (face) URL.revokeObjectURL(face);
      return;
    }
    state.view = v;
    setFace(face);
    render();
  } finally {
    state.inflight--;
  }
}

/** The face, fetched with the clerk's token, as an object URL ('' when it cannot be had). */
async function fetchFace(path) {
  try {
    const resp = await fetch(path, { headers: { Authorization: 'Bearer ' + token(), 'Accept-Language': lang() }, cache: 'no-store' });
    if (!resp.ok) {
      if (resp.status === 401) hooks.failed(new ApiError(401, 'unauthorized', `HTTP ${resp.status}`));
      return '';
    }
    const blob = await resp.blob();
    return blob.type === 'image/jpeg' ? URL.createObjectURL(blob) : '';
  } catch {
    return '';
  }
}

function shown(k, v) {
  if (v === undefined || v === null || v === '') return '';
  if (k === 'sex') return v === 'M' ? t('forms.sex.M') : v === 'F' ? t('forms.sex.F') : String(v);
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(v))) return String(v).split('-').reverse().join('/');
  return String(v);
}

function render() {
  const box = $('identity');
  const v = state.view;
  box.hidden = !v;
  box.dataset.ticket = state.ticket ? state.ticket.id : '';
  if (!v) {
    box.dataset.authenticity = '';
    box.dataset.chipAuth = '';
    $('identity-face').replaceChildren();
    $('identity-badge').replaceChildren();
    $('identity-mismatches').replaceChildren();
    $('identity-mismatches').hidden = true;
    $('identity-fields').replaceChildren();
    $('identity-problems').replaceChildren();
    $('identity-problems').hidden = true;
    return;
  }
  const auth = AUTH.includes(v.authenticity) ? v.authenticity : 'not_checked';
  box.dataset.authenticity = auth;
  $('identity-face').replaceChildren(state.face
    ? h('img', { src: state.face, alt: t('identity.face_alt'), width: '120', height: '160' })
    : h('p', { class: 'muted no-face' }, t('identity.no_face')));
  const card = v.card && typeof v.card === 'object' ? v.card : {};
  const ca = CHIP_AUTH.includes(card.chip_auth) ? card.chip_auth : '';
  box.dataset.chipAuth = ca;
  $('identity-badge').replaceChildren(h('span', { class: 'auth-badge ' + auth }, h('span', { 'aria-hidden': 'true', class: 'icon' }, auth === 'genuine' ? '✓' : auth === 'not_checked' ? '?' : '!'), ' ', t('identity.auth.' + auth)),
    ...(ca ? [' ', h('span', { class: 'auth-badge chip-' + ca }, h('span', { 'aria-hidden': 'true', class: 'icon' }, ca === 'passed' ? '✓' : ca === 'failed' ? '!' : '–'), ' ', t('identity.chip_auth.' + ca))] : []));
  const mm = (v.mismatches || []).filter((k) => typeof k === 'string');
  const mbox = $('identity-mismatches');
  mbox.hidden = mm.length === 0;
  mbox.replaceChildren(...(mm.length ? [
    h('strong', {}, t('identity.mismatches')), ' ',
    h('ul', {}, ...mm.map((k) => h('li', { dataset: { field: k } }, fieldLabel(k)))),
  ] : []));
  $('identity-fields').replaceChildren(...FIELDS.filter((k) => shown(k, card[k])).map((k) =>
    h('div', { dataset: { k }, class: mm.includes(k) ? 'differs' : '' }, h('dt', {}, fieldLabel(k)), h('dd', {}, shown(k, card[k])))));
  const pbox = $('identity-problems');
  const problems = (v.problems || []).filter((p) => typeof p === 'string');
  pbox.hidden = problems.length === 0;
  pbox.replaceChildren(...(problems.length ? [h('summary', {}, t('identity.problems', { n: problems.length })), h('ul', { lang: 'en' }, ...problems.map((p) => h('li', {}, p)))] : []));
}

function fieldLabel(k) {
  const key = 'identity.field.' + k;
  const s = t(key);
  return s === key ? k : s;
}
