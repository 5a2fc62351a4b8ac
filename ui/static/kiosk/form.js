// Kiosk touchscreen: the "fill a form" screens (choose a procedure → put
// the ID card on the reader, or fill by hand → the form, prefilled from
// the card, completed on the on-screen keyboard, checked as it is typed →
// print it on the A4 printer, or take a number with it). A module beside
// kiosk.js, as precheck.js: its screens have the class "screen" and the
// id s-form-STEP, so kiosk.js shows them by the flow state; printing,
// printed and failed are kiosk.js's shared screens. The form itself is
// drawn by /assets/forms.js; its values stay in this page and in kioskd's
// session, and are dropped when the kiosk goes home.
import '/kiosk/kiosk.i18n.js';
import { t, lang } from '/assets/i18n.js';
import { api, h, seg } from '/assets/api.js';
import { FormView } from '/assets/forms.js';

const tx = (key, params = {}) => t('kiosk.form.' + key, params);
const en = () => lang() === 'en';
const go = (body) => api('POST', '/api/flow', body).catch(() => {});

const main = document.querySelector('main');
const screens = {};
for (const step of ['choose-procedure', 'card', 'fill']) {
  screens[step] = h('section', { id: `s-form-${step}`, class: 'screen form-screen', hidden: true });
  main.append(screens[step]);
}

// Beside the shared printed screen: the form went with the number.
const printedBox = h('div', { id: 'form-printed', class: 'alert info lead', hidden: true });
document.getElementById('s-printed')?.append(printedBox);

let state = { flow: 'home', step: 'home', seq: 0 };
let list = []; // GET /api/forms
let procedure = ''; // the chosen procedure
let view = null; // the FormView on screen (its values are the citizen's: dropped at home)
let loaded = null; // GET /api/forms/{p}: {form, values, sources, card_read}
let cardMsg = null; // the last card read's words
let status = null; // {kind, text}: a print's outcome, a refusal
let services = null; // offered when the procedure has no service of its own
let kiosk = { forms: true, a4_printer: true }; // what GET /api/status says this kiosk has

// The ticket printer stopped: no number with the form until it is back
// (kiosk.js says why in its banner); printing the form on A4 still works.
let ticketPrinterDown = false;
const stopped = (st) => !!(st && (st.no_reply || st.paper_out || st.cover_open || st.offline || st.error || st.unrecoverable || st.cutter_error));
function renderTicketButton() {
  const b = document.getElementById('form-ticket');
  if (b) b.disabled = ticketPrinterDown;
}

/** Reads what the kiosk has: no forms hides the home tile, no A4 printer the print button. */
async function capabilities() {
  const st = await api('GET', '/api/status').catch(() => null);
  if (!st) return;
  kiosk = { forms: st.forms !== false, a4_printer: st.a4_printer !== false };
  const tile = document.querySelector('[data-start="form"]');
  if (tile) tile.hidden = !kiosk.forms;
  const print = document.getElementById('form-print');
  if (print) print.hidden = !kiosk.a4_printer;
  return st;
}

/** The children given, without the absent ones (replaceChildren would write "null"). */
const present = (...nodes) => nodes.filter((n) => n != null && n !== false);

const nameOf = (f) => (f ? (en() ? f.name_en || f.name || f.title : f.name || f.title) : '');

async function loadList() {
  list = await api('GET', '/api/forms').catch(() => list);
}

// What the procedure list was last drawn from: drawn again only when it changes, so a
// button under the citizen's finger is never replaced between touch and tap.
let choseDrawn = '';

function renderChoose() {
  const key = JSON.stringify([en(), list]);
  if (key === choseDrawn && screens['choose-procedure'].childElementCount) return;
  choseDrawn = key;
  screens['choose-procedure'].replaceChildren(...present(
    h('h1', {}, tx('title')),
    h('p', { class: 'lead' }, tx('choose')),
    h('div', { class: 'services' }, ...list.map((f) =>
      h('button', { class: 'service', dataset: { procedure: f.procedure }, onclick: () => go({ flow: 'form', step: 'card', data: { procedure: f.procedure } }) },
        h('span', { class: 'name' }, nameOf(f)),
        h('span', { class: 'meta' }, f.title)))),
    list.length ? null : h('p', { class: 'alert info lead' }, tx('none'))));
}

function renderCard() {
  const f = list.find((x) => x.procedure === procedure);
  const art = document.querySelector('#s-take-number-card .guide-art');
  screens.card.replaceChildren(...present(
    h('h1', {}, nameOf(f) || tx('title')),
    h('div', { class: 'guide' },
      art ? art.cloneNode(true) : null,
      h('div', {}, h('p', { class: 'guide-title' }, tx('card_title')), h('p', { class: 'lead' }, tx('card_hint')), h('p', {}, tx('card_privacy')))),
    cardMsg ? h('div', { class: cardMsg.ok ? 'alert info' : 'alert error', role: 'status' }, en() ? cardMsg.message_en : cardMsg.message) : null,
    h('div', { class: 'actions-big' },
      h('button', { id: 'form-by-hand', class: 'huge secondary', onclick: () => go({ flow: 'form', step: 'fill', data: { procedure } }) }, tx('by_hand')),
      h('button', { class: 'secondary', onclick: () => go({ flow: 'form', step: 'choose-procedure' }) }, t('kiosk.back')))));
}

/** kioskd's check of the values as they are typed (the rules of queue-server/forms). */
async function check(values) {
  const r = await api('POST', `/api/forms/${seg(procedure)}/check`, { values });
  return (r && r.errors) || [];
}

async function loadForm() {
  loaded = await api('GET', `/api/forms/${seg(procedure)}`);
  return loaded;
}

async function renderFill(fresh) {
  const box = screens.fill;
  if (!view || view.form.procedure !== procedure || fresh) {
    box.replaceChildren(h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('p', { class: 'lead center' }, t('common.loading')));
    try {
      await loadForm();
    } catch (err) {
      box.replaceChildren(h('h1', {}, tx('title')), h('div', { class: 'alert error lead', role: 'alert' }, err.message));
      return;
    }
    if (state.flow !== 'form' || state.step !== 'fill') return;
    view?.destroy();
    view = new FormView(loaded.form, { values: loaded.values, sources: loaded.sources, kiosk: true, check });
    status = null;
    services = null;
  }
  drawFill();
}

function drawFill() {
  const box = screens.fill;
  const f = list.find((x) => x.procedure === procedure);
  const note = loaded && loaded.card_read ? tx('from_card') : tx('no_card');
  box.replaceChildren(...present(
    h('h1', { id: 'form-heading' }, nameOf(f) || tx('title')),
    h('p', { class: loaded && loaded.card_read ? 'alert info' : 'muted', id: 'form-card-note' }, note),
    view.element,
    h('div', { id: 'form-status', class: status ? `alert ${status.kind} lead` : 'alert', role: 'status', hidden: !status }, status ? status.text : ''),
    services ? h('div', { class: 'services', id: 'form-services' }, ...services.map((s) =>
      h('button', { class: 'service', dataset: { service: s.code }, onclick: () => ticket(s.code) },
        h('span', { class: 'name' }, `${s.code} · ${en() && s.name_en ? s.name_en : s.name}`)))) : null,
    h('div', { class: 'actions-big form-actions' },
      h('button', { id: 'form-print', class: 'huge secondary', onclick: print, hidden: !kiosk.a4_printer }, tx('print')),
      h('button', { id: 'form-ticket', class: 'huge', onclick: () => ticket(''), disabled: ticketPrinterDown }, tx('ticket')),
      h('button', { class: 'secondary', onclick: () => go({ flow: 'form', step: 'choose-procedure' }) }, tx('other')))));
}

function setStatus(kind, text) {
  status = text ? { kind, text } : null;
  const el = document.getElementById('form-status');
  if (!el) return;
  el.className = status ? `alert ${kind} lead` : 'alert';
  el.textContent = text || '';
  el.hidden = !status;
}

/** Checks every field before sending; false (and the first fault focused) when one is wrong. */
async function ready() {
  const errors = await view.check({ all: true });
  if (errors.length) {
    view.focusFirstError();
    return false;
  }
  return true;
}

/** A refusal: a form's field errors go to their fields, anything else to the status line. */
function refused(err) {
  // kioskd lists them as "errors" (queue-server as "fields").
  const fields = err.body && (Array.isArray(err.body.errors) ? err.body.errors : Array.isArray(err.body.fields) ? err.body.fields : null);
  if (fields && fields.length) {
    view.showErrors(fields);
    view.check({ all: true });
    view.focusFirstError();
  }
  setStatus('error', err.message); // in the page's language (Accept-Language)
}

let sending = false;

async function print() {
  if (sending || !(await ready())) return;
  sending = true;
  setStatus('info', tx('printing'));
  try {
    await api('POST', `/api/forms/${seg(procedure)}/print`, { values: view.values() });
    setStatus('info', tx('printed'));
  } catch (err) {
    refused(err);
  } finally {
    sending = false;
  }
}

async function ticket(service) {
  if (sending || !(await ready())) return;
  sending = true;
  try {
    const body = { values: view.values() };
    if (service) body.service = service;
    await api('POST', `/api/forms/${seg(procedure)}/ticket`, body);
    // The machine shows printing, then the number (kiosk.js).
  } catch (err) {
    if (err.code === 'choose_service') {
      services = await api('GET', '/api/services').catch(() => []);
      drawFill();
      setStatus('warn', err.message);
      document.getElementById('form-services')?.scrollIntoView({ block: 'center' });
    } else {
      refused(err);
    }
  } finally {
    sending = false;
  }
}

/** A card read on these screens: kioskd fills the form from it; this screen takes the values again. */
async function onCard(c) {
  cardMsg = c;
  if (state.flow !== 'form') return;
  if (state.step === 'card') { renderCard(); return; }
  if (state.step !== 'fill' || !view) return;
  try {
    await loadForm();
  } catch {
    return;
  }
  view.fill(loaded.values, loaded.sources);
  const note = document.getElementById('form-card-note');
  if (note) { note.className = 'alert info'; note.textContent = tx('from_card'); }
  setStatus(c.ok ? 'info' : 'error', en() ? c.message_en : c.message);
}

function forget() {
  view?.destroy();
  view = null;
  loaded = null;
  cardMsg = null;
  status = null;
  services = null;
  for (const s of Object.values(screens)) if (s.id !== 's-form-choose-procedure') s.replaceChildren();
}

function show(st, redraw = false) {
  if (st.seq < state.seq && st.flow === state.flow) return;
  const same = st.flow === state.flow && st.step === state.step && JSON.stringify(st.data) === JSON.stringify(state.data);
  state = st;
  printedBox.hidden = !(st.flow === 'form' && st.step === 'printed');
  printedBox.textContent = printedBox.hidden ? '' : tx(st.data && st.data.offline ? 'sent_offline' : 'sent');
  if (st.flow !== 'form') {
    if (st.flow === 'home') { forget(); if (!same) capabilities(); }
    return;
  }
  if (same && !redraw) return;
  if (st.data && st.data.procedure && st.data.procedure !== procedure) {
    procedure = st.data.procedure;
    view?.destroy();
    view = null;
  }
  switch (st.step) {
    case 'choose-procedure': cardMsg = null; loadList().then(renderChoose); break;
    case 'card': loadList().then(renderCard); break;
    case 'fill': loadList().then(() => renderFill(false)); break;
  }
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/events`);
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'flow') show(e.flow);
    else if (e.type === 'card' && e.card) onCard(e.card);
    else if (e.type === 'config') capabilities();
    else if (e.type === 'printer') { ticketPrinterDown = stopped(e.printer); renderTicketButton(); }
  };
  ws.onclose = () => setTimeout(connect, 1000);
}

document.addEventListener('kiosk:reset', forget);
document.addEventListener('kiosk:form-retry', () => go({ flow: 'form', step: 'fill', data: { procedure } }));
document.addEventListener('langchange', () => {
  if (state.flow !== 'form') return;
  if (state.step === 'fill' && view) drawFill();
  else show({ ...state }, true);
});
capabilities().then((s) => s && s.flow && show(s.flow));
connect();
