// Kiosk touchscreen: follows kioskd's flow machine over the local
// WebSocket (/api/events) and calls the local API. The machine decides
// which screen shows (and goes home after inactivity); this page shows it
// and sends touches. Texts come from the one catalogue, /assets/i18n.js.
import { t, apply, bindSwitch, serviceName, duration, lang, locale } from '/assets/i18n.js';

const $ = (id) => document.getElementById(id);
let flow = { flow: 'home', step: 'home', seq: 0 };
let services = [];
let procedures = [];
let chosen = null;
let elderlyAge = 75;
let elderly = false;
let lastAction = null;

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', 'Accept-Language': lang() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 202 || res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(data?.error?.message || res.statusText);
    err.code = data?.error?.code;
    throw err;
  }
  return data;
}

const go = (body) => api('POST', '/api/flow', body).catch(() => {});

// --- screens ---------------------------------------------------------------
function show(state) {
  if (state.seq < flow.seq && state.flow === flow.flow) return; // stale
  const prev = flow;
  flow = state;
  let id = `s-${state.flow}-${state.step}`;
  if (state.flow === 'home') id = 's-home';
  if (['printing', 'checking-in'].includes(state.step)) id = 's-printing';
  if (state.step === 'printed') id = 's-printed';
  if (state.step === 'failed') id = 's-failed';
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== id;
  $('home-btn').hidden = state.flow === 'home' || ['printing', 'checking-in'].includes(state.step);
  $('printing-msg').textContent = t(state.step === 'checking-in' ? 'kiosk.checking' : 'kiosk.printing');
  if (state.flow === 'home') { chosen = null; elderly = false; $('search').value = ''; $('code').value = ''; }
  if (id === 's-take-number-choose-service' && prev.step !== state.step) loadServices();
  if (id === 's-take-number-card') renderChosen(state.data);
  if (id === 's-printed') renderPrinted(state.data || {});
  if (id === 's-failed') $('failed-msg').textContent = messageOf(state.data);
  if (id === 's-lookup-list' && prev.step !== state.step) loadProcedures();
  if (id === 's-lookup-detail') renderProcedure(state.data);
  if (id === 's-precheck-unavailable') $('precheck-msg').textContent = messageOf(state.data);
  if (id === 's-check-in-scan') { $('checkin-card-msg').hidden = true; }
  if (id !== 's-take-number-card') $('card-msg').hidden = true;
  renderIdle();
}

function messageOf(d) {
  if (!d) return '';
  return lang() === 'en' ? (d.message_en || d.message) : d.message;
}

function renderIdle() {
  const note = $('idle-note');
  if (!flow.until) { note.textContent = ''; return; }
  const s = Math.max(0, Math.round((new Date(flow.until) - Date.now()) / 1000));
  note.textContent = t('kiosk.idle', { s });
}
setInterval(renderIdle, 1000);

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
$('retry').addEventListener('click', () => {
  if (flow.flow === 'take-number' && chosen) go({ flow: 'take-number', step: 'card', data: chosen });
  else if (flow.flow === 'check-in') go({ flow: 'check-in', step: 'scan' });
  else go({ flow: 'home' });
});

function renderPrinted(p) {
  $('number').textContent = p.number || '';
  $('printed-service').textContent = p.service_name ? `${p.service} · ${lang() === 'en' && p.service_name_en ? p.service_name_en : p.service_name}` : '';
  const badges = [];
  if (p.booked) badges.push(`<span class="badge booked">${t('kiosk.printed.booked')}</span>`);
  if (p.priority && p.priority !== 'normal') badges.push(`<span class="badge priority">${t('kiosk.printed.priority')}</span>`);
  $('printed-badges').innerHTML = badges.join(' ');
  $('printed-ahead').textContent = p.ahead >= 0 ? t('kiosk.printed.ahead', { n: p.ahead }) : '';
  $('printed-wait').textContent = p.ahead >= 0 ? t('kiosk.printed.wait', { d: duration(p.estimated_wait_seconds) }) : '';
  $('printed-offline').hidden = !p.offline;
  if (demo) {
    $('ticket-img').src = '/api/demo/tickets/latest.png?t=' + Date.now();
    $('ticket-fig').hidden = false;
  }
}

// --- check in ----------------------------------------------------------------
const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
for (const ch of alphabet) {
  const b = document.createElement('button');
  b.className = 'secondary';
  b.textContent = ch;
  b.addEventListener('click', () => { if ($('code').value.length < 9) $('code').value += ch; codeChanged(); });
  $('keypad').append(b);
}
const del = document.createElement('button');
del.className = 'secondary';
del.dataset.i18n = 'kiosk.checkin.delete';
del.addEventListener('click', () => { $('code').value = $('code').value.slice(0, -1); codeChanged(); });
$('keypad').append(del);
function codeChanged() {
  $('code-submit').disabled = $('code').value.replace(/[-\s]/g, '').length !== 8;
  go({ touch: true });
}
$('code').addEventListener('input', codeChanged);
$('code-submit').addEventListener('click', async () => {
  lastAction = null;
  try { await api('POST', '/api/check-in', { code: $('code').value }); } catch { /* shown by the machine */ }
});

// --- look up -----------------------------------------------------------------
async function loadProcedures() {
  procedures = await api('GET', '/api/procedures?q=' + encodeURIComponent($('proc-search').value)).catch(() => []);
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
document.addEventListener('pointerdown', () => {
  if (flow.flow !== 'home' && Date.now() - lastTouch > 5000) { lastTouch = Date.now(); go({ touch: true }); }
});

// --- link, printer, cards ----------------------------------------------------
let linkOnline = true;
function renderLink(l) {
  linkOnline = l.online;
  const el = $('link');
  el.dataset.state = l.online ? 'live' : 'offline';
  el.textContent = l.online ? t('conn.live') : t('conn.offline');
  const off = $('offline');
  off.hidden = l.online;
  if (!l.online) {
    const left = Object.entries(l.numbers_left || {}).map(([s, n]) => `${s}: ${t('kiosk.offline.left', { n })}`).join(', ');
    off.textContent = t('kiosk.offline.banner') + (left ? ` (${left})` : '') + (l.outbox_pending ? ' · ' + t('kiosk.outbox', { n: l.outbox_pending }) : '');
  }
}
function renderPrinter(st, reason) {
  const bad = st && (st.no_reply || st.paper_out || st.cover_open || st.offline || st.error || st.unrecoverable || st.cutter_error);
  $('printer').hidden = !bad && !(st && st.paper_near_end);
  $('printer').textContent = t('kiosk.printer.problem', { reason: reason || '' });
}
function onCard(c) {
  const box = flow.flow === 'check-in' ? $('checkin-card-msg') : $('card-msg');
  box.hidden = false;
  box.className = c.ok ? 'alert info' : 'alert error';
  box.textContent = lang() === 'en' ? c.message_en : c.message;
  if (c.priority === 'elderly') { elderly = true; $('print-priority').hidden = false; }
}

let demo = false;
async function status() {
  const s = await api('GET', '/api/status').catch(() => null);
  if (!s) return;
  if (s.centre_name) $('centre-name').textContent = s.centre_name;
  demo = s.demo;
  $('demo').hidden = !demo;
  elderly = s.elderly;
  elderlyAge = s.elderly_age || elderlyAge;
  renderLink(s.link);
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/events`);
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'flow') show(e.flow);
    else if (e.type === 'link') renderLink(e.link);
    else if (e.type === 'printer') renderPrinter(e.printer, e.reason);
    else if (e.type === 'card') onCard(e.card);
    else if (e.type === 'config') { status(); if (flow.step === 'choose-service') loadServices(); }
  };
  ws.onclose = () => { $('link').dataset.state = 'connecting'; setTimeout(() => status().then(connect), 1000); };
}

// Demo: tap a sample card or scan a booking code on the simulated reader.
for (const b of document.querySelectorAll('[data-card]')) {
  b.addEventListener('click', () => api('POST', '/api/demo/card', { kind: b.dataset.card }).catch(() => {}));
}
$('demo-qr').addEventListener('click', () => api('POST', '/api/demo/qr', { code: $('demo-code').value }).catch(() => {}));

function tick() {
  $('clock').textContent = new Date().toLocaleString(locale(), { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
}
setInterval(tick, 15000);

bindSwitch($('lang'));
document.addEventListener('langchange', () => { apply(); show({ ...flow, seq: flow.seq }); tick(); });
apply();
tick();
status().then(connect);
