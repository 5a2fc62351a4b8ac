// Kiosk touchscreen: follows kioskd's flow machine over the local
// WebSocket (/api/events) and calls the local API. The machine decides
// which screen shows (and goes home after inactivity); this page shows it
// and sends touches. Texts: the shared words in /assets/i18n.js, the
// kiosk's own in kiosk.i18n.js.
import '/kiosk/kiosk.i18n.js';
import { t, apply, bindSwitch, serviceName, duration, lang, locale, setLang } from '/assets/i18n.js';
import { Keyboard } from '/assets/osk.js';
import { $, api } from '/assets/api.js';

let flow = { flow: 'home', step: 'home', seq: 0 };
let services = [];
let procedures = [];
let chosen = null;
let elderlyAge = 75;
let elderly = false;
// The chip read under way or just ended (a "chip" event), and its banner's timer.
let chipShown = null;
let chipTimer = 0;
let lastAction = null;

const go = (body) => api('POST', '/api/flow', body).catch(() => {});

// --- screens ---------------------------------------------------------------
function show(state) {
  if (state.seq < flow.seq && state.flow === flow.flow) return; // stale
  const prev = flow;
  flow = state;
  if (state.flow === 'home' && prev.flow !== 'home' && prev.until && Date.now() >= new Date(prev.until).getTime() - 1500) {
    resetSession(); // gone home by itself: the next citizen starts afresh
  }
  let id = `s-${state.flow}-${state.step}`;
  if (state.flow === 'home') id = 's-home';
  if (['printing', 'checking-in'].includes(state.step)) id = 's-printing';
  if (state.step === 'printed') id = 's-printed';
  if (state.step === 'failed') id = 's-failed';
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== id;
  if (prev.flow !== state.flow || prev.step !== state.step) hideKeyboards();
  if (prev.flow === 'lookup' && state.flow !== 'lookup') reportAsked('');
  $('home-btn').hidden = state.flow === 'home' || ['printing', 'checking-in'].includes(state.step);
  $('printing-msg').textContent = t(state.step === 'checking-in' ? 'kiosk.checking' : 'kiosk.printing');
  if (state.flow === 'home' && prev.flow !== 'home') hideChip();
  if (state.flow === 'home') { chosen = null; elderly = false; $('search').value = ''; $('code').value = ''; $('proc-search').value = ''; renderAnswer(null); }
  if (id === 's-take-number-choose-service' && prev.step !== state.step) loadServices();
  if (id === 's-take-number-card') renderChosen(state.data);
  if (id === 's-printed') renderPrinted(state.data || {});
  if (id === 's-failed') $('failed-msg').textContent = messageOf(state.data);
  if (id === 's-lookup-list' && prev.step !== state.step) loadProcedures();
  if (id === 's-lookup-detail') renderProcedure(state.data);
  if (id === 's-precheck-unavailable') $('precheck-msg').textContent = messageOf(state.data);
  if (id === 's-check-in-scan') { $('checkin-card-msg').hidden = true; $('checkin-offline').hidden = linkOnline; }
  if (id !== 's-take-number-card') $('card-msg').hidden = true;
  renderIdle();
  document.dispatchEvent(new CustomEvent('kiosk:screen', { detail: id })); // voice.js
}

function messageOf(d) {
  if (!d) return '';
  return lang() === 'en' ? (d.message_en || d.message) : d.message;
}

// The machine goes home after inactivity; the page counts down the last
// seconds on every screen, and catches up by itself if an event was missed.
// The bar with "more time" shows idleWarnS before: WCAG 2.2.1 asks for at
// least 20 s to answer a warning, and a citizen listening to voice.js needs
// the time to hear it.
const idleWarnS = 30;
function renderIdle() {
  const note = $('idle-note');
  const bar = $('idle-bar');
  if (!flow.until || flow.flow === 'home') { note.textContent = ''; bar.hidden = true; return; }
  const ms = new Date(flow.until) - Date.now();
  const s = Math.max(0, Math.round(ms / 1000));
  note.textContent = t('kiosk.idle', { s });
  // A printed number goes home without asking, unless voice.js is reading
  // it to someone who cannot see the ticket.
  bar.hidden = (flow.step === 'printed' && document.body.dataset.voice !== 'on') || s > idleWarnS;
  $('idle-text').textContent = t('kiosk.idle', { s });
  if (ms < -4000 && !catchingUp) {
    catchingUp = true;
    api('GET', '/api/status').then((st) => show(st.flow)).catch(() => {}).finally(() => { catchingUp = false; });
  }
}
let catchingUp = false;
setInterval(renderIdle, 1000);

function resetSession() {
  document.dispatchEvent(new CustomEvent('kiosk:reset')); // voice.js
  document.documentElement.classList.remove('large-text');
  renderTextSize();
  if (lang() !== 'vi') setLang('vi');
}

// --- take a number -----------------------------------------------------------
async function loadServices() {
  try {
    services = await api('GET', '/api/services?q=' + encodeURIComponent($('search').value));
  } catch (e) {
    services = [];
    $('services-none').textContent = e.message;
  }
  const box = $('services');
  box.replaceChildren(...services.map((s) => {
    const b = document.createElement('button');
    b.className = 'service';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `${s.code} · ${serviceName(s)}`;
    const meta = document.createElement('span');
    meta.className = 'meta';
    const parts = [];
    if (s.counters) parts.push(t('kiosk.service.counters', { list: s.counters }));
    if (s.minutes) parts.push(t('kiosk.service.minutes', { n: s.minutes }));
    if (!linkOnline) parts.push(t('kiosk.offline.left', { n: s.offline_left }));
    meta.textContent = parts.join(' · ');
    b.append(name, meta);
    b.disabled = !walkIn.open;
    b.addEventListener('click', () => go({ flow: 'take-number', step: 'card', data: { code: s.code, name: s.name, name_en: s.name_en } }));
    return b;
  }));
  $('services-none').hidden = services.length > 0;
}
let searchTimer;
$('search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadServices, 150); });

function renderChosen(d) {
  chosen = d || chosen;
  if (!chosen) return;
  $('chosen').textContent = `${chosen.code} · ${serviceName(chosen)}`;
  $('card-prompt').textContent = t('kiosk.card.prompt', { age: elderlyAge });
  $('print-priority').hidden = !elderly;
}

async function takeNumber(priority) {
  if (!chosen) return;
  lastAction = () => takeNumber(priority);
  try {
    await api('POST', '/api/tickets', { service: chosen.code, priority });
  } catch {
    /* the machine shows the failure; the event carries the words */
  }
}
$('print').addEventListener('click', () => takeNumber(undefined));
$('print-priority').addEventListener('click', () => takeNumber('elderly'));
// The groups a kiosk cannot check: printed as a priority to be confirmed at the counter.
const groupButtons = () => document.querySelectorAll('[data-priority]');
for (const b of groupButtons()) b.addEventListener('click', () => takeNumber(b.dataset.priority));
$('retry').addEventListener('click', () => {
  if (flow.flow === 'take-number' && chosen) go({ flow: 'take-number', step: 'card', data: chosen });
  else if (flow.flow === 'check-in') go({ flow: 'check-in', step: 'scan' });
  else if (flow.flow === 'form') document.dispatchEvent(new CustomEvent('kiosk:form-retry')); // form.js: back to the form, as typed
  else go({ flow: 'home' });
});

function renderPrinted(p) {
  $('number').textContent = p.number || '';
  $('printed-service').textContent = p.service_name ? `${p.service} · ${lang() === 'en' && p.service_name_en ? p.service_name_en : p.service_name}` : '';
  const badges = [];
  if (p.booked) badges.push(`<span class="badge booked">${t('kiosk.printed.booked')}</span>`);
  if (p.priority && p.priority !== 'normal') badges.push(`<span class="badge priority">${t(p.priority_pending ? 'kiosk.printed.priority_pending' : 'kiosk.printed.priority')}</span>`);
  $('printed-badges').innerHTML = badges.join(' ');
  $('printed-ahead').textContent = p.ahead >= 0 ? t('kiosk.printed.ahead', { n: p.ahead }) : '';
  $('printed-wait').textContent = p.ahead >= 0 ? t('kiosk.printed.wait', { d: duration(p.estimated_wait_seconds) }) : '';
  $('printed-offline').hidden = !p.offline;
  if (demo) showDemoTicket(p.number);
}

// Demo: the simulated printer renders the job a moment after the last byte,
// so the picture is asked for after a short wait, and again until it comes.
let demoTicketTimer;
function showDemoTicket(number, tries = 0) {
  clearTimeout(demoTicketTimer);
  if (tries > 8) return;
  demoTicketTimer = setTimeout(() => {
    const probe = new Image();
    probe.onload = () => {
      for (const img of [$('ticket-img'), $('demo-ticket-img')]) {
        img.src = probe.src;
        img.alt = t('kiosk.demo.ticket') + (number ? ` ${number}` : '');
        img.hidden = false;
      }
      $('ticket-fig').hidden = false;
      $('demo-ticket-cap').dataset.i18n = 'kiosk.demo.ticket';
      apply($('demo'));
    };
    probe.onerror = () => showDemoTicket(number, tries + 1);
    probe.src = '/api/demo/tickets/latest.png?t=' + Date.now();
  }, tries === 0 ? 700 : 600);
}

// --- check in ----------------------------------------------------------------
// The booking code is typed on the on-screen keypad (no system keyboard).
const codePad = new Keyboard({ layout: 'code', label: 'osk.code_label' }).attach($('code'));
$('keypad').append(codePad.element);
function codeChanged() {
  $('code').value = $('code').value.toUpperCase();
  $('code-submit').disabled = $('code').value.replace(/[-\s]/g, '').length !== 8;
}
$('code').addEventListener('input', codeChanged);
$('code-submit').addEventListener('click', async () => {
  lastAction = null;
  try { await api('POST', '/api/check-in', { code: $('code').value }); } catch { /* shown by the machine */ }
});

// --- on-screen keyboards for text ---------------------------------------------
// Each search box gets a Telex keyboard, shown when the box is touched and
// kept at the bottom of the screen while the results scroll above it.
const keyboards = [];
for (const input of document.querySelectorAll('input[data-osk="text"]')) {
  const kb = new Keyboard({ layout: 'text', onDone: () => { kb.element.hidden = true; input.blur(); } }).attach(input);
  kb.element.hidden = true;
  kb.element.classList.add('osk-dock');
  input.closest('.screen').append(kb.element);
  const open = () => { kb.element.hidden = false; };
  input.addEventListener('pointerdown', open);
  input.addEventListener('focus', open);
  keyboards.push(kb);
}
function hideKeyboards() {
  for (const kb of keyboards) kb.element.hidden = true;
}

// --- look up -----------------------------------------------------------------
// With words typed, the box asks kioskd (answered offline) and shows the
// answer; empty, it lists the pre-check's procedures as before.
async function loadProcedures() {
  const q = $('proc-search').value.trim();
  if (q) {
    const a = await api('GET', '/api/procedures?q=' + encodeURIComponent(q)).catch(() => null);
    if (q !== $('proc-search').value.trim()) return; // typed on meanwhile
    $('procedures').replaceChildren();
    renderAnswer(a);
    return;
  }
  $('ask-answer').replaceChildren();
  procedures = await api('GET', '/api/procedures').catch(() => []);
  $('procedures').replaceChildren(...procedures.map((p) => {
    const b = document.createElement('button');
    b.className = 'service';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = lang() === 'en' ? p.name_en : p.name;
    b.append(name);
    b.addEventListener('click', () => go({ flow: 'lookup', step: 'detail', data: { id: p.id } }));
    return b;
  }));
}
$('proc-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadProcedures, 150); });
let answer = null;
let reported = false;
// The last question of a citizen goes to the server (through kioskd, best
// effort) once: with the procedure they went on with, or none when they left.
function reportAsked(chosen) {
  if (!answer || reported) return;
  reported = true;
  api('POST', '/api/procedures/asked', { q: answer.query, chosen: chosen || undefined }).catch(() => {});
}
const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
};
function askWords(p) {
  const en = lang() === 'en';
  return {
    name: en ? (p.name_en || p.name) : p.name,
    fee: en ? (p.fee_en || p.fee) : p.fee,
    time: en ? (p.time_en || p.time) : p.time,
    where: p.where || '',
  };
}
function paperText(x) {
  const bits = [];
  if (x.count > 1) bits.push(t('kiosk.ask.count', { n: x.count }));
  if (x.kind) bits.push(t('kiosk.ask.kind.' + x.kind));
  return x.name + (bits.length ? ` (${bits.join(', ')})` : '') + (x.note ? ` — ${x.note}` : '');
}
function renderAnswer(a, best) {
  if (a !== answer) reported = false;
  answer = a;
  const box = $('ask-answer');
  if (!a) { box.replaceChildren(); return; }
  const p = best || a.best;
  if (!a.understood || !p) {
    const msg = a.counter ? t('kiosk.ask.not_understood', { n: a.counter }) : t('kiosk.ask.not_understood_any');
    box.replaceChildren(el('div', { id: 'ask-unknown', class: 'alert info lead', role: 'status', text: msg }));
    return;
  }
  const w = askWords(p);
  const papers = el('ul', { class: 'checklist', id: 'ask-papers' }, ...p.papers.map((x, i) => {
    const id = `ask-paper-${i}`;
    return el('li', {}, el('input', { type: 'checkbox', id }), el('label', { for: id, text: paperText(x) }));
  }));
  const facts = el('dl', { class: 'ask-facts' },
    el('dt', { text: t('kiosk.ask.fee') }), el('dd', { text: w.fee }),
    el('dt', { text: t('kiosk.ask.time') }), el('dd', { text: w.time }));
  const where = p.service ? `${w.where ? w.where + ' · ' : ''}${p.service.code} · ${serviceName(p.service)}` : w.where;
  if (where) facts.append(el('dt', { text: t('kiosk.ask.where') }), el('dd', { text: where }));
  if (p.form_name) facts.append(el('dt', { text: t('kiosk.ask.form') }), el('dd', { text: p.form_name }));
  const actions = el('div', { class: 'actions-big' });
  if (p.service) {
    actions.append(el('button', { id: 'ask-take', class: 'huge', type: 'button', text: t('kiosk.ask.take'), onclick: () => {
      lastAction = null;
      reportAsked(p.id);
      api('POST', '/api/tickets', { service: p.service.code }).catch(() => {});
    } }));
  } else if (p.where) {
    actions.append(el('p', { class: 'alert info', text: t('kiosk.ask.elsewhere', { where: p.where }) }));
  }
  if (p.precheck) {
    actions.append(el('button', { id: 'ask-precheck', class: 'secondary', type: 'button', text: t('kiosk.ask.precheck'),
      onclick: () => { reportAsked(p.id); go({ flow: 'precheck', step: 'insert', data: { procedure: p.id } }); } }));
  }
  actions.append(el('button', { id: 'ask-read', class: 'secondary', type: 'button', text: t('kiosk.ask.read'), onclick: () => {
    const texts = [w.name, t('kiosk.ask.papers'), ...p.papers.map(paperText),
      `${t('kiosk.ask.fee')}: ${w.fee}`, `${t('kiosk.ask.time')}: ${w.time}`];
    if (where) texts.push(`${t('kiosk.ask.where')}: ${where}`);
    document.dispatchEvent(new CustomEvent('kiosk:say', { detail: texts })); // voice.js
  } }));
  const others = [a.best, ...a.others].filter((o) => o && o.id !== p.id).slice(0, 2);
  const more = others.length ? el('div', { class: 'ask-others' }, el('h3', { text: t('kiosk.ask.others') }),
    ...others.map((o) => el('button', { class: 'service', type: 'button', onclick: () => renderAnswer(a, o) },
      el('span', { class: 'name', text: askWords(o).name })))) : '';
  box.replaceChildren(el('h2', { id: 'ask-best', text: w.name }), el('h3', { text: t('kiosk.ask.papers') }), papers, facts, actions, more);
}
document.addEventListener('langchange', () => { if (answer) renderAnswer(answer); });

function renderProcedure(d) {
  const p = procedures.find((x) => x.id === d?.id);
  if (!p) return;
  const en = lang() === 'en';
  $('proc-name').textContent = en ? p.name_en : p.name;
  $('proc-papers').replaceChildren(...p.papers.map((x) => {
    const li = document.createElement('li');
    li.textContent = x.name + (x.required ? '' : ' ' + t('kiosk.lookup.optional')) + (x.note ? ` — ${x.note}` : '');
    return li;
  }));
  $('proc-fee').textContent = en ? p.fee_en : p.fee;
  $('proc-time').textContent = en ? p.processing_time_en : p.processing_time;
}

// --- navigation and touches ---------------------------------------------------
document.addEventListener('click', (e) => {
  const start = e.target.closest('[data-start]');
  if (start) go({ flow: start.dataset.start });
  const back = e.target.closest('[data-back]');
  if (back) go({ flow: back.dataset.back });
});
$('home-btn').addEventListener('click', () => go({ flow: 'home' }));
let lastTouch = 0;
for (const type of ['pointerdown', 'keydown']) { // a key of the keypad is a touch too
  document.addEventListener(type, () => {
    if (flow.flow !== 'home' && Date.now() - lastTouch > 5000) { lastTouch = Date.now(); go({ touch: true }); }
  });
}

// --- link, printer, cards ----------------------------------------------------
let linkOnline = true;
function renderLink(l) {
  linkOnline = l.online;
  const el = $('link');
  el.dataset.state = l.online ? 'live' : 'offline';
  el.textContent = l.online ? t('conn.live') : t('conn.offline');
  const off = $('offline');
  off.hidden = l.online;
  document.body.dataset.link = l.online ? 'online' : 'offline';
  $('checkin-offline').hidden = l.online;
  if (!l.online) {
    const left = Object.entries(l.numbers_left || {}).map(([s, n]) => `${s}: ${t('kiosk.offline.left', { n })}`).join(', ');
    off.textContent = t('kiosk.offline.banner') + (left ? ` (${left})` : '') + (l.outbox_pending ? ' · ' + t('kiosk.outbox', { n: l.outbox_pending }) : '');
  }
}
// The printer's state: a stopped printer is said in words on every screen,
// and the actions that print are closed until it is back.
let printer = { st: null, reason: '' };
function printerReason(st, reason) {
  if (st.paper_out) return t('kiosk.printer.paper_out');
  if (st.cover_open) return t('kiosk.printer.cover_open');
  if (st.no_reply) return t('kiosk.printer.no_reply');
  if (st.offline || st.error || st.unrecoverable || st.cutter_error) return lang() === 'vi' && reason ? reason : t('kiosk.printer.fault');
  if (st.paper_near_end) return t('kiosk.printer.paper_near_end');
  return reason || '';
}
function renderPrinter(st, reason) {
  printer = { st, reason };
  const bad = !!(st && (st.no_reply || st.paper_out || st.cover_open || st.offline || st.error || st.unrecoverable || st.cutter_error));
  const low = !!(st && st.paper_near_end);
  $('printer').hidden = !bad && !low;
  $('printer').className = bad ? 'alert error banner' : 'alert warn banner';
  $('printer-reason').textContent = st ? printerReason(st, reason) : '';
  $('printer-advice').textContent = bad ? t('kiosk.printer.stopped') : '';
  document.body.dataset.printer = bad ? 'stopped' : low ? 'low' : 'ok';
  for (const id of ['print', 'print-priority', 'code-submit']) if (bad) $(id).disabled = true;
  for (const b of groupButtons()) b.disabled = bad;
  if (!bad) { $('print').disabled = false; $('print-priority').disabled = false; codeChanged(); }
  $('take-note').hidden = !bad;
  for (const tile of document.querySelectorAll('[data-start="take-number"], [data-start="check-in"]')) tile.disabled = bad;
}

// Each device's status, small in the header (from /api/devices and events).
function renderDevices(list) {
  devices = list || [];
  $('devices').replaceChildren(...devices.map((d) => {
    const li = document.createElement('li');
    li.dataset.kind = d.kind;
    li.dataset.status = d.status;
    const name = DEVICE_KINDS.includes(d.kind) ? t('kiosk.device.' + d.kind) : d.name;
    const status = DEVICE_STATUSES.includes(d.status) ? t('kiosk.device.' + d.status) : d.status;
    li.textContent = name;
    li.title = `${name}: ${status}${d.detail ? ' — ' + d.detail : ''}`;
    li.setAttribute('aria-label', li.title);
    return li;
  }));
}
let devices = [];
const DEVICE_KINDS = ['printer', 'card-reader', 'scanner', 'a4printer'];
const DEVICE_STATUSES = ['ok', 'warning', 'error', 'disconnected'];
function onCard(c) {
  const box = flow.flow === 'check-in' ? $('checkin-card-msg') : $('card-msg');
  box.hidden = false;
  box.className = c.ok ? 'alert info' : 'alert error';
  box.textContent = lang() === 'en' ? c.message_en : c.message;
  if (c.priority === 'elderly') { elderly = true; $('print-priority').hidden = false; }
}

// The card's chip being read (kioskd: a chip reader beside the optical
// one): a banner every screen shows, announced politely to screen
// readers. kioskd's own message is shown (in the kiosk's language); the
// touchscreen never gets the face nor the chip's data. A read that ended
// goes away after a while, a failure later than a success.
const CHIP_STATES = ['waiting', 'reading', 'done', 'failed'];
function onChip(c) {
  if (!c || !CHIP_STATES.includes(c.state)) return;
  const changed = !chipShown || chipShown.state !== c.state;
  chipShown = c;
  renderChip();
  // Voice guidance says it too (voice.js), after what it is saying.
  if (changed) document.dispatchEvent(new CustomEvent('kiosk:chip', { detail: $('chip-text').textContent }));
  clearTimeout(chipTimer);
  if (c.state === 'done' || c.state === 'failed') chipTimer = setTimeout(hideChip, c.state === 'done' ? 6000 : 12000);
}
function hideChip() {
  clearTimeout(chipTimer);
  chipShown = null;
  renderChip();
}
function renderChip() {
  const el = $('chip');
  const c = chipShown;
  el.hidden = !c;
  el.dataset.state = c ? c.state : '';
  el.dataset.authenticity = (c && c.authenticity) || '';
  el.dataset.chipAuth = (c && c.chip_auth) || '';
  if (!c) { $('chip-text').textContent = ''; return; }
  const warn = c.state === 'failed' || c.authenticity === 'data_altered' || c.authenticity === 'unknown_issuer' || c.chip_auth === 'failed';
  el.className = `alert banner chip ${warn ? 'warn' : 'info'}`;
  el.setAttribute('aria-busy', c.state === 'waiting' || c.state === 'reading' ? 'true' : 'false');
  const own = lang() === 'en' ? c.message_en : c.message;
  $('chip-text').textContent = own || t('kiosk.chip.' + c.state);
}

// The centre's walk-in window: outside it the kiosk says when numbers are
// issued again and still offers look-up, check-in and the pre-check.
let walkIn = { open: true };
function renderWalkIn() {
  const el = $('walk-in');
  el.hidden = walkIn.open;
  if (walkIn.open) return;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(walkIn.opens_at || '');
  if (!m) { el.textContent = t('kiosk.walkin.none'); return; }
  const weekday = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
  el.textContent = t('kiosk.walkin.closed', { time: m[4], day: t('weekday.' + weekday), date: `${m[3]}/${m[2]}/${m[1]}` });
}

let demo = false;
// The centre's time zone: the clock shows the centre's time even when the
// machine was installed in another zone (Debian's default is UTC).
let timeZone = 'Asia/Ho_Chi_Minh';
async function status() {
  const s = await api('GET', '/api/status').catch(() => null);
  if (!s) return;
  if (s.centre_name) $('centre-name').textContent = s.centre_name;
  if (s.timezone && s.timezone !== timeZone) { timeZone = s.timezone; tick(); }
  demo = s.demo;
  $('demo').hidden = !demo;
  elderly = s.elderly;
  elderlyAge = s.elderly_age || elderlyAge;
  const wasOpen = walkIn.open;
  walkIn = s.walk_in || { open: true };
  renderWalkIn();
  if (wasOpen !== walkIn.open) loadServices();
  renderLink(s.link);
  renderDevices(await api('GET', '/api/devices').catch(() => devices));
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/events`);
  // What changed between the last status read and the socket opening (a
  // new configuration, the walk-in window) is read again once it is open.
  ws.onopen = () => status();
  ws.onmessage = (m) => handle(JSON.parse(m.data));
  ws.onclose = () => { $('link').dataset.state = 'connecting'; setTimeout(() => status().then(connect), 1000); };
}

// One event of /api/events (also window.xephangKiosk.event, for tests and
// for showing states the simulator cannot make, such as paper out).
function handle(e) {
    if (e.type === 'flow') show(e.flow);
    else if (e.type === 'link') renderLink(e.link);
    else if (e.type === 'printer') renderPrinter(e.printer, e.reason);
    else if (e.type === 'devices') renderDevices(e.devices);
    else if (e.type === 'card') onCard(e.card);
    else if (e.type === 'chip') onChip(e.chip);
    else if (e.type === 'config') { status(); if (flow.step === 'choose-service') loadServices(); }
}
window.xephangKiosk = { event: handle, state: () => flow };

// Demo: tap a sample card or scan a booking code on the simulated reader.
for (const b of document.querySelectorAll('[data-card]')) {
  b.addEventListener('click', () => api('POST', '/api/demo/card', { kind: b.dataset.card }).catch(() => {}));
}
$('demo-qr').addEventListener('click', () => api('POST', '/api/demo/qr', { code: $('demo-code').value }).catch(() => {}));

function tick() {
  let text;
  try {
    text = new Date().toLocaleString(locale(), { timeZone, hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric', hour12: false });
  } catch { // a zone this browser does not know: its own clock rather than none
    text = new Date().toLocaleString(locale(), { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric', hour12: false });
  }
  $('clock').textContent = text;
}
setInterval(tick, 15000);

// The larger-text switch (kept until the kiosk goes home by itself).
function renderTextSize() {
  const on = document.documentElement.classList.contains('large-text');
  const b = $('text-size');
  b.setAttribute('aria-pressed', String(on));
  b.dataset.i18n = on ? 'kiosk.text_size_normal' : 'kiosk.text_size';
  b.textContent = t(b.dataset.i18n);
}
$('text-size').addEventListener('click', () => {
  document.documentElement.classList.toggle('large-text');
  renderTextSize();
});
$('idle-continue').addEventListener('click', () => { lastTouch = Date.now(); go({ touch: true }); });

bindSwitch($('lang'));
document.addEventListener('langchange', () => {
  apply();
  show({ ...flow, seq: flow.seq });
  tick();
  renderTextSize();
  renderDevices(devices);
  if (printer.st) renderPrinter(printer.st, printer.reason);
  renderChip();
});
apply();
tick();
status().then(connect);
// The walk-in window opens and closes with the clock.
setInterval(status, 60 * 1000);
