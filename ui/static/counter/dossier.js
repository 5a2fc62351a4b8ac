// Counter console: the "Hồ sơ" panel of the ticket at the counter — the
// form the citizen filled (at the kiosk or at home with the booking), its
// official PDF and its JSON, the documents the kiosk or the counter
// scanner digitised (each a searchable PDF, with the fields the pre-check
// read and what it found), a field corrected by the clerk (what the OCR
// read is kept beside it), the clerk's confirmation, and the dossier
// package (ZIP) for the province's one-stop software. It follows the
// ticket.dossier events of the centre's stream. The files are fetched with
// the clerk's token and handed to the browser as blobs: nothing personal
// goes into an address.
import '/assets/forms.i18n.js';
import { lang, locale, t } from '/assets/i18n.js';
import { $, api, ApiError, h, seg, token } from '/assets/api.js';
import { clearError, showError, toast } from '/assets/staff.js';

const state = {
  ticket: null, // {id, number} of the ticket at the counter
  mark: '', // its dossier mark as last seen (JSON)
  view: null, // GET /api/v1/tickets/{id}/dossier
  loading: 0, // the sequence of the load under way
  editing: '', // "doc/field" being corrected
  draft: '', // what the clerk typed in it (kept when the panel is drawn again)
  inflight: 0, // loads under way
  forms: new Map(), // procedure@version → the form's definition (labels)
};

let hooks = { failed: (err) => console.error(err), procedureName: (id) => id, fieldName: (k) => k, timeZone: () => 'Asia/Ho_Chi_Minh' };

/** Wires the panel to the console: failed (an API error), procedureName, fieldName, timeZone. */
export function initDossier(h0) {
  hooks = { ...hooks, ...h0 };
  $('dossier-confirm').addEventListener('click', confirm);
  $('dossier-zip').addEventListener('click', () => {
    const tk = state.ticket;
    if (tk) download(`/api/v1/tickets/${seg(tk.id)}/dossier.zip`, `ho-so-${tk.number}.zip`, false);
  });
  $('dossier-form-pdf').addEventListener('click', () => {
    const tk = state.ticket;
    if (tk) download(`/api/v1/tickets/${seg(tk.id)}/form.pdf`, `to-khai-${tk.number}.pdf`, true);
  });
  $('dossier-form-json').addEventListener('click', exportJSON);
  document.addEventListener('langchange', render);
  // For tests: the state, the last file handed over, whether a load is
  // under way, and how a PDF is opened (a tab of its own).
  window.xephangDossier = { state, last: null, idle: () => state.inflight === 0, open: openTab };
}

/**
 * Shows the dossier of the ticket at the counter (null: none). tk is the
 * fullest view of it: its "dossier" mark (a form, documents) says there is
 * one to load; a ticket without is not asked for.
 */
export function showDossier(tk) {
  const id = tk ? tk.id : '';
  const mark = tk && tk.dossier ? JSON.stringify(tk.dossier) : '';
  if ((state.ticket ? state.ticket.id : '') === id && state.mark === mark) return;
  if ((state.ticket ? state.ticket.id : '') !== id) {
    state.ticket = tk ? { id: tk.id, number: tk.number } : null;
    state.view = null;
    state.editing = '';
  }
  state.mark = mark;
  render();
  if (tk && mark) load();
}

/** An event of the centre's stream: a ticket.dossier of the ticket at the counter loads it again. */
export function dossierEvent(e) {
  if (e.type === 'ticket.dossier' && state.ticket && e.ticket && e.ticket.id === state.ticket.id) load();
}

async function load() {
  const tk = state.ticket;
  if (!tk) return;
  const seq = ++state.loading;
  state.inflight++;
  try {
    let v = null;
    try {
      v = await api('GET', `/api/v1/tickets/${seg(tk.id)}/dossier`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) v = null;
      else { hooks.failed(err); return; }
    }
    if (seq !== state.loading || !state.ticket || state.ticket.id !== tk.id) return;
    if (v && v.form) await definition(v.form.procedure, v.form.version);
    if (seq !== state.loading) return;
    state.view = v;
    render();
  } finally {
    state.inflight--;
  }
}

/** The form's definition (for its labels and order), from the public API, kept by version. */
async function definition(procedure, version) {
  const key = `${procedure}@${version}`;
  if (state.forms.has(key)) return state.forms.get(key);
  try {
    const f = await api('GET', `/api/v1/forms/${seg(procedure)}`);
    state.forms.set(key, f);
    return f;
  } catch {
    return null;
  }
}

const empty = (v) => !v || (!v.form && !(v.documents || []).length);

function timeOf(iso) {
  try {
    return new Intl.DateTimeFormat(locale(), { timeZone: hooks.timeZone(), hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', hour12: false }).format(new Date(iso));
  } catch {
    return iso;
  }
}

function render() {
  const box = $('dossier');
  const v = state.view;
  box.hidden = empty(v);
  box.dataset.ticket = state.ticket ? state.ticket.id : '';
  if (box.hidden) return;
  box.dataset.confirmed = v.confirmed_by ? 'true' : 'false';
  $('dossier-summary').replaceChildren(...[
    v.procedure ? h('span', { class: 'procedure' }, hooks.procedureName(v.procedure)) : null,
    h('span', { class: 'muted' }, t('dossier.counts', { docs: (v.documents || []).length, form: v.form ? t('dossier.has_form') : t('dossier.no_form') })),
  ].filter(Boolean));
  renderCitizen(v.citizen || {});
  renderForm(v.form);
  renderDocuments(v.documents || []);
  const done = $('dossier-confirmed');
  done.hidden = !v.confirmed_by;
  done.textContent = v.confirmed_by ? t('dossier.confirmed', { by: v.confirmed_by, at: timeOf(v.confirmed_at) }) : '';
  $('dossier-confirm').querySelector('span').textContent = t(v.confirmed_by ? 'dossier.confirm_again' : 'dossier.confirm');
}

const CITIZEN = ['name', 'id_number', 'birth_date', 'sex', 'address', 'phone'];

function citizenValue(k, v) {
  if (k === 'sex') return v === 'M' ? t('forms.sex.M') : v === 'F' ? t('forms.sex.F') : v;
  if (k.endsWith('date') && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v.split('-').reverse().join('/');
  return v;
}

function renderCitizen(c) {
  const keys = [...CITIZEN.filter((k) => c[k]), ...Object.keys(c).filter((k) => !CITIZEN.includes(k) && c[k])];
  $('dossier-citizen').hidden = keys.length === 0;
  $('dossier-citizen').replaceChildren(...keys.map((k) =>
    h('div', { dataset: { k } }, h('dt', {}, CITIZEN.includes(k) ? t('dossier.citizen.' + k) : k), h('dd', {}, citizenValue(k, c[k])))));
}

function renderForm(form) {
  const box = $('dossier-form');
  box.hidden = !form;
  if (!form) return;
  const def = state.forms.get(`${form.procedure}@${form.version}`);
  const fields = def ? def.sections.flatMap((s) => s.fields) : [];
  const known = new Set(fields.map((f) => f.name));
  const rows = [...fields.filter((f) => form.values[f.name]), ...Object.keys(form.values).filter((k) => !known.has(k)).map((k) => ({ name: k, label: k }))];
  const shown = (f) => {
    const v = form.values[f.name];
    if (f.type === 'sex') return v === 'M' ? t('forms.sex.M') : v === 'F' ? t('forms.sex.F') : v;
    if (f.type === 'date') return v.split('-').reverse().join('/');
    if (f.type === 'choice') return (f.options || []).find((o) => o.value === v)?.label || v;
    return v;
  };
  $('dossier-form-title').textContent = def ? def.title : t('dossier.form');
  $('dossier-form-values').replaceChildren(...rows.map((f) => {
    const src = form.sources && form.sources[f.name];
    return h('tr', { dataset: { field: f.name } },
      h('th', { scope: 'row' }, f.label),
      h('td', {}, shown(f), src ? [' ', h('span', { class: 'badge source' }, t('forms.source.' + (src === 'booking' ? 'booking' : 'card')))] : null));
  }));
  $('dossier-form-meta').textContent = t('dossier.form_meta', { version: form.version, at: form.updated_at ? timeOf(form.updated_at) : '–' });
}

const statusIcon = { present: '✓', missing: '✗', unreadable: '?', inconsistent: '!' };

function renderDocuments(docs) {
  $('dossier-docs-box').hidden = docs.length === 0;
  $('dossier-docs').replaceChildren(...docs.map((d) => {
    const st = statusIcon[d.status] ? d.status : '';
    const fields = Object.entries(d.fields || {});
    return h('li', { class: 'doc ' + (st || 'plain'), dataset: { doc: d.id, status: st } },
      h('div', { class: 'doc-head' },
        st ? h('span', { class: 'icon', 'aria-hidden': 'true' }, statusIcon[st]) : null,
        h('span', { class: 'name' }, d.name || d.kind || '—'),
        st ? h('span', { class: 'status' }, t('precheck.status.' + st)) : null,
        h('span', { class: 'pages muted' }, t('dossier.pages', { n: d.pages })),
        h('button', {
          type: 'button', class: 'secondary small', 'aria-label': t('dossier.open_doc', { name: d.name || d.kind }),
          onclick: () => download(`/api/v1/tickets/${seg(state.ticket.id)}/documents/${seg(d.id)}.pdf`, `${d.kind || 'giay-to'}.pdf`, true),
        }, t('dossier.open'))),
      (d.reasons || []).length ? h('ul', { class: 'reasons' }, ...d.reasons.map((r) => h('li', {}, r))) : null,
      fields.length ? h('table', { class: 'doc-fields' },
        h('caption', { class: 'visually-hidden' }, t('dossier.fields_of', { name: d.name || d.kind })),
        h('tbody', {}, ...fields.map(([k, f]) => fieldRow(d, k, f)))) : null);
  }));
}

function fieldRow(d, k, f) {
  const key = `${d.id}/${k}`;
  const label = hooks.fieldName(k);
  if (state.editing === key) {
    const id = `dossier-edit-${d.id}-${k}`.replace(/[^\w-]/g, '_');
    const input = h('input', { id, value: state.draft, maxlength: '200', autocomplete: 'off', spellcheck: 'false', oninput: () => { state.draft = input.value; } });
    const save = async (ev) => {
      ev.preventDefault();
      await correct(d, k, input.value);
    };
    queueMicrotask(() => input.focus());
    return h('tr', { dataset: { field: k }, class: 'editing' },
      h('th', { scope: 'row' }, h('label', { for: id }, label)),
      h('td', {}, h('form', { class: 'field-edit', onsubmit: save },
        input,
        h('button', { type: 'submit', class: 'small' }, t('dossier.save')),
        h('button', { type: 'button', class: 'secondary small', onclick: () => { state.editing = ''; render(); } }, t('common.cancel')))));
  }
  const corrected = f.read !== undefined && f.read !== '' && f.read !== f.value;
  const shownValue = (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v || '') ? v.split('-').reverse().join('/') : v);
  return h('tr', { dataset: { field: k } },
    h('th', { scope: 'row' }, label),
    h('td', {},
      h('span', { class: 'value' }, shownValue(f.value) || '—'),
      corrected ? h('span', { class: 'read muted' }, ' ', t('dossier.read', { read: f.read, by: f.corrected_by || '' })) : null,
      ' ',
      h('button', { type: 'button', class: 'link small', 'aria-label': t('dossier.edit_field', { field: label }), onclick: () => { state.editing = key; state.draft = f.value || ''; render(); } }, t('dossier.edit'))));
}

async function correct(d, k, value) {
  clearError($('dossier-error'));
  try {
    const doc = await api('PATCH', `/api/v1/tickets/${seg(state.ticket.id)}/documents/${seg(d.id)}`, { fields: { [k]: value.normalize('NFC').trim() } });
    state.editing = '';
    if (state.view) state.view.documents = state.view.documents.map((x) => (x.id === doc.id ? doc : x));
    render();
    toast(t('dossier.corrected', { field: hooks.fieldName(k) }));
    $('dossier').querySelector(`li[data-doc="${CSS.escape(d.id)}"] tr[data-field="${CSS.escape(k)}"] button`)?.focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) hooks.failed(err);
    else showError($('dossier-error'), err);
  }
}

async function confirm() {
  if (!state.ticket) return;
  clearError($('dossier-error'));
  try {
    state.view = await api('POST', `/api/v1/tickets/${seg(state.ticket.id)}/dossier/confirm`);
    render();
    toast(t('dossier.confirmed_toast', { number: state.ticket.number }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) hooks.failed(err);
    else showError($('dossier-error'), err);
  }
}

/** The form as JSON (forms.Filled with its procedure and version), for the one-stop software. */
async function exportJSON() {
  const tk = state.ticket;
  if (!tk) return;
  try {
    const f = await api('GET', `/api/v1/tickets/${seg(tk.id)}/form`);
    const blob = new Blob([JSON.stringify(f, null, 2) + '\n'], { type: 'application/json' });
    hand(blob, `to-khai-${tk.number}.json`, false);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) hooks.failed(err);
    else showError($('dossier-error'), err);
  }
}

/** Fetches a file with the clerk's token and opens it (a PDF) or saves it. */
async function download(path, name, open) {
  clearError($('dossier-error'));
  let resp;
  try {
    resp = await fetch(path, { headers: { Authorization: 'Bearer ' + token(), 'Accept-Language': lang() }, cache: 'no-store' });
  } catch {
    showError($('dossier-error'), t('common.network_error'));
    return;
  }
  if (!resp.ok) {
    let msg = `HTTP ${resp.status}`;
    try { msg = (await resp.json()).error.message || msg; } catch { /* not JSON */ }
    const err = new ApiError(resp.status, 'http', msg);
    if (resp.status === 401) hooks.failed(err);
    else showError($('dossier-error'), err);
    return;
  }
  hand(await resp.blob(), name, open);
}

function hand(blob, name, open) {
  window.xephangDossier.last = { name, type: blob.type, size: blob.size, blob };
  const url = URL.createObjectURL(blob);
  if (open) window.xephangDossier.open(url);
  else click(h('a', { href: url, download: name }));
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Opens a PDF in a tab of its own (the browser's viewer). */
function openTab(url) {
  click(h('a', { href: url, target: '_blank', rel: 'noopener' }));
}

function click(a) {
  document.body.append(a);
  a.click();
  a.remove();
}
