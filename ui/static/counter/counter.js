// Counter console: a clerk signs in, picks a counter and calls, recalls,
// finishes, marks no-shows, transfers and pauses, with keyboard shortcuts,
// and confirms or downgrades a priority claimed at a kiosk.
// The screen follows the centre's event stream, so it also shows what
// other counters and kiosks do. The current ticket shows its booking and
// the kiosk's dossier pre-check and its dossier (counter/dossier.js: the
// form, the digitised documents, corrections, the package) and the identity
// read from the CCCD's chip (counter/identity.js); today's counts sit beside the queue; after
// a ticket is served the citizen is asked to rate it (here, or on the
// counter's rating tablet, /counter/rate.html).

import '/counter/counter.i18n.js';
import { apply, bindSwitch, duration, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, debounce, EventStream, h, seg, showConn } from '/assets/api.js';
import { clearError, showError, staffSession, toast } from '/assets/staff.js';
import { dossierEvent, initDossier, showDossier } from '/counter/dossier.js';
import { identityEvent, initIdentity, showIdentity } from '/counter/identity.js';
import { procedureSearch } from '/assets/procsearch.js';

const choiceKey = 'xephang.counter';

const state = {
  me: null, // {username, role, centre, name}
  centres: [], // [{id, name}]
  centre: '', // chosen centre id
  counter: 0, // chosen counter number
  cfg: null, // the centre's configuration
  queue: null, // GET …/queue
  waiting: [], // GET …/tickets?status=waiting, this counter's services
  last: null, // the latest TicketView an action returned
  today: [], // GET …/tickets: every ticket of today (counts, pre-checks)
  bookings: new Map(), // booking code → BookingView of today
  bookingsLoading: false,
  bookingsTried: new Set(), // codes looked up, so a missing one is not fetched again and again
  rating: null, // the served ticket the citizen is asked to rate: {id, number}
  stream: null,
  busy: false,
  alerts: [], // the centre's staff alerts in force (GET …/alerts, then the events)
};

// ---- screens --------------------------------------------------------------

function show(screen) {
  for (const id of ['login', 'setup', 'console']) $(id).hidden = id !== screen;
  const signedIn = screen !== 'login';
  $('signout').hidden = !signedIn;
  $('change').hidden = screen !== 'console' || !canChange();
  $('conn').hidden = screen !== 'console';
  $('rate-link').hidden = screen !== 'console';
  if (screen !== 'console') {
    $('where').textContent = '';
    stopStream();
    showIdentity(null); // the face and the chip's data leave the page with the console
  }
}

function canChange() {
  if (!state.me) return false;
  return state.me.role === 'admin' || (state.cfg && state.cfg.counters.length > 1);
}

let errorTimer = 0;
// An action's error on the console hides itself after a while.
function report(err) {
  const el = $('error');
  showError(el, err);
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => (el.hidden = true), 10000);
}

// Leaving the console: signed out, or the session expired.
function leave() {
  state.me = null;
  state.cfg = null;
  state.busiest = null;
  clearTimeout(state.busiestTimer);
  $('busiest').hidden = true;
  $('who').textContent = '';
  show('login');
}

const { failed, start } = staffSession({ enter: afterSignIn, leave, report });

// ---- sign in --------------------------------------------------------------

async function afterSignIn() {
  state.me = await api('GET', '/api/v1/me');
  $('who').textContent = t('console.signed_in_as', { name: state.me.name || state.me.username });
  if (state.me.role === 'admin') {
    state.centres = await api('GET', '/api/v1/centres');
  } else {
    state.centres = [{ id: state.me.centre, name: state.me.centre }];
  }
  const saved = savedChoice();
  if (saved && state.centres.some((c) => c.id === saved.centre)) {
    try {
      await openConsole(saved.centre, saved.counter);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      // The remembered counter is gone: choose again.
    }
  }
  await showSetup();
}

// ---- choosing the counter -------------------------------------------------

function savedChoice() {
  try {
    const v = JSON.parse(localStorage.getItem(choiceKey) || 'null');
    return v && typeof v.centre === 'string' && Number.isInteger(v.counter) ? v : null;
  } catch {
    return null;
  }
}

function saveChoice() {
  try {
    localStorage.setItem(choiceKey, JSON.stringify({ centre: state.centre, counter: state.counter }));
  } catch {
    /* not remembered */
  }
}

let setupCfg = null;

async function showSetup() {
  show('setup');
  clearError($('setup-error'));
  const sel = $('centre');
  sel.replaceChildren(...state.centres.map((c) => h('option', { value: c.id }, c.name || c.id)));
  sel.disabled = state.centres.length < 2;
  const saved = savedChoice();
  if (state.centre && state.centres.some((c) => c.id === state.centre)) sel.value = state.centre;
  else if (saved && state.centres.some((c) => c.id === saved.centre)) sel.value = saved.centre;
  await loadSetupCentre();
  (sel.disabled ? $('counter') : sel).focus();
}

async function loadSetupCentre() {
  const id = $('centre').value;
  const sel = $('counter');
  sel.replaceChildren();
  setupCfg = null;
  if (!id) return;
  try {
    setupCfg = await api('GET', `/api/v1/centres/${seg(id)}`);
  } catch (err) {
    failed(err, $('setup-error'));
    return;
  }
  // A clerk's centre list only knew the id until now.
  const c = state.centres.find((x) => x.id === id);
  if (c) c.name = setupCfg.name;
  $('centre').selectedOptions[0].textContent = setupCfg.name;
  sel.replaceChildren(...setupCfg.counters.map((k) => h('option', { value: k.number }, k.name || t('common.counter', { n: k.number }))));
  const saved = savedChoice();
  const want = state.counter || (saved && saved.centre === id ? saved.counter : 0);
  if (want && setupCfg.counters.some((k) => k.number === want)) sel.value = String(want);
  describeSetupCounter();
}

function describeSetupCounter() {
  const k = setupCfg && setupCfg.counters.find((x) => x.number === Number($('counter').value));
  $('counter-services').textContent = k
    ? t('setup.services', { list: k.services.map((code) => `${code} – ${serviceName(service(setupCfg, code))}`).join(', ') })
    : '';
}

async function submitSetup(ev) {
  ev.preventDefault();
  clearError($('setup-error'));
  const centre = $('centre').value;
  const counter = Number($('counter').value);
  if (!centre || !counter) return;
  try {
    await openConsole(centre, counter);
  } catch (err) {
    failed(err, $('setup-error'));
  }
}

// ---- the console ----------------------------------------------------------

function service(cfg, code) {
  return cfg && cfg.services.find((s) => s.code === code);
}

function counterCfg() {
  return state.cfg && state.cfg.counters.find((k) => k.number === state.counter);
}

function counterView() {
  return state.queue && state.queue.counters.find((k) => k.number === state.counter);
}

async function openConsole(centre, counter) {
  const cfg = await api('GET', `/api/v1/centres/${seg(centre)}`);
  if (!cfg.counters.some((k) => k.number === counter)) throw new Error('no such counter');
  state.centre = centre;
  state.counter = counter;
  state.cfg = cfg;
  state.last = null;
  state.rating = null;
  state.bookings = new Map();
  state.bookingsTried = new Set();
  saveChoice();
  $('rate-link').href = `/counter/rate.html?centre=${seg(centre)}&counter=${counter}`;
  await refreshNow();
  state.alerts = [];
  await loadAlerts();
  loadBusiest();
  show('console');
  startStream();
  render();
  document.activeElement && document.activeElement.blur();
}

async function refreshNow() {
  const base = `/api/v1/centres/${seg(state.centre)}`;
  const [q, waiting, today] = await Promise.all([api('GET', `${base}/queue`), api('GET', `${base}/tickets?status=waiting`), api('GET', `${base}/tickets`)]);
  state.queue = q;
  state.today = today;
  const mine = new Set((counterCfg() || { services: [] }).services);
  state.waiting = waiting.filter((tk) => mine.has(tk.service));
}

const refresh = debounce(async () => {
  if (!state.cfg) return;
  try {
    await refreshNow();
    render();
  } catch (err) {
    failed(err);
  }
}, 200);

function startStream() {
  stopStream();
  state.stream = new EventStream(state.centre, state.queue.last_seq, {
    onEvent: (e) => {
      if (e.type === 'centre.configured') reloadConfig();
      if (e.type === 'alert.raised' || e.type === 'alert.cleared') onAlert(e);
      dossierEvent(e);
      identityEvent(e);
      if (e.type === 'ticket.rated' && state.rating && e.ticket && e.ticket.id === state.rating.id) {
        state.rating = null;
        renderRating();
      }
      refresh();
    },
    onState: (s) => {
      showConn($('conn'), s);
      if (s === 'live') refresh(); // catch up whatever the snapshot missed while offline
    },
    onReset: () => refresh(),
  }).start();
}

// ---- staff alerts ---------------------------------------------------------

const alertKey = (a) => `${a.kind}/${a.service || ''}/${a.counter || 0}`;

/** Loads the alerts in force; a server without them (or a refusal) shows none. */
async function loadAlerts() {
  try {
    state.alerts = await api('GET', `/api/v1/centres/${seg(state.centre)}/alerts`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) failed(err);
  }
  renderAlerts();
}

const reloadAlerts = debounce(() => loadAlerts(), 300);

/** An alert event changes the banner at once; the list is then read again for the thresholds. */
function onAlert(e) {
  const a = { kind: e.reason, service: e.service || '', counter: e.counter || 0, minutes: e.minutes || 0 };
  state.alerts = state.alerts.filter((x) => alertKey(x) !== alertKey(a));
  if (e.type === 'alert.raised') state.alerts.push(a);
  renderAlerts();
  reloadAlerts();
}

function alertLine(a) {
  const limit = a.limit ? t('console.alert.limit', { n: a.limit }) : '';
  if (a.kind === 'pause') {
    const k = state.cfg && state.cfg.counters.find((x) => x.number === a.counter);
    return t('console.alert.pause', { counter: (k && k.name) || t('common.counter', { n: a.counter }), minutes: a.minutes, limit });
  }
  const svc = state.cfg && service(state.cfg, a.service);
  return t('console.alert.wait', { service: svc ? `${a.service} – ${serviceName(svc)}` : a.service, minutes: a.minutes, limit });
}

function renderAlerts() {
  const box = $('staff-alerts');
  box.hidden = state.alerts.length === 0;
  $('staff-alert-list').replaceChildren(...state.alerts.map((a) =>
    h('li', { dataset: { kind: a.kind, service: a.service || '', counter: String(a.counter || '') } }, alertLine(a))));
}

// ---- tomorrow's busiest hours (the forecast) --------------------------------

/** The local date (YYYY-MM-DD) days from now in the centre's time zone. */
function centreDate(days) {
  const tz = (state.cfg && state.cfg.timezone) || undefined;
  return new Date(Date.now() + days * 86400000).toLocaleDateString('en-CA', { timeZone: tz });
}

/** Loads the busiest hours of the next open day; none shown without a forecast. */
async function loadBusiest() {
  clearTimeout(state.busiestTimer);
  state.busiestTimer = setTimeout(loadBusiest, 3600 * 1000); // the forecast is learnt again each hour
  if (!state.centre) return;
  try {
    state.busiest = await api('GET', `/api/v1/centres/${seg(state.centre)}/forecast/busiest`);
  } catch (err) {
    state.busiest = null;
    if (err instanceof ApiError && err.status === 401) failed(err);
  }
  renderBusiest();
}

function renderBusiest() {
  const el = $('busiest');
  const b = state.busiest;
  if (!b || !b.day || !b.hours.length) {
    el.hidden = true;
    return;
  }
  const fmt = new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 });
  const hours = b.hours.map((x) => t('console.busiest.hour', { from: x.hour, to: x.hour + 1, n: fmt.format(Math.max(1, x.mean)) })).join(', ');
  if (b.day === centreDate(1)) {
    el.textContent = t('console.busiest.tomorrow', { hours });
  } else {
    const day = new Date(b.day + 'T12:00:00').toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'numeric' });
    el.textContent = t('console.busiest.day', { day: day.charAt(0).toUpperCase() + day.slice(1), hours });
  }
  el.hidden = false;
}

function stopStream() {
  if (state.stream) state.stream.stop();
  state.stream = null;
}

async function reloadConfig() {
  try {
    state.cfg = await api('GET', `/api/v1/centres/${seg(state.centre)}`);
    render();
  } catch (err) {
    failed(err);
  }
}

function render() {
  if (!state.cfg || !state.queue) return;
  const k = counterCfg();
  const cv = counterView();
  $('where').textContent = `${state.cfg.name} — ${(k && k.name) || t('common.counter', { n: state.counter })}`;
  document.title = `${(k && k.name) || t('common.counter', { n: state.counter })} · ${t('console.title')}`;
  $('change').hidden = !canChange();

  // Current ticket.
  const cur = cv && cv.current;
  const num = $('current-number');
  const meta = $('current-meta');
  if (cur) {
    num.textContent = cur.number;
    num.classList.remove('none');
    const svc = service(state.cfg, cur.service);
    const parts = [h('span', {}, `${cur.service} – ${serviceName(svc)}`)];
    if (cur.priority) parts.push(h('span', { class: cur.priority_pending ? 'badge priority pending' : 'badge priority' }, t(cur.priority_pending ? 'common.priority_pending' : 'common.priority')));
    if (cur.booked) parts.push(h('span', { class: 'badge booked' }, t('common.booked')));
    if (state.last && state.last.id === cur.id && state.last.calls > 1) parts.push(h('span', { class: 'muted' }, t('console.calls', { n: state.last.calls })));
    meta.replaceChildren(...parts);
    renderDetails(cur);
  } else {
    renderDetails(null);
    $('priority-check').hidden = true;
    num.textContent = t('console.none');
    num.classList.add('none');
    meta.replaceChildren(h('span', { class: 'muted' }, t('console.none_hint')));
  }
  num.dataset.number = cur ? cur.number : '';

  // Status banner and buttons.
  const status = cv ? cv.status : 'closed';
  const banner = $('banner');
  if (status === 'paused') {
    banner.textContent = t('console.paused_banner', { reason: cv.reason ? ` (${cv.reason})` : '' });
    banner.hidden = false;
  } else if (status === 'closed' && !cur) {
    banner.textContent = t('console.closed_banner');
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  const busy = state.busy;
  $('btn-next').disabled = busy || status === 'paused';
  for (const id of ['btn-recall', 'btn-finish', 'btn-noshow', 'btn-transfer']) $(id).disabled = busy || !cur;
  for (const id of ['btn-priority-confirm', 'btn-priority-downgrade']) $(id).disabled = busy;
  $('btn-pause').disabled = busy;
  const pl = $('pause-label');
  pl.dataset.i18n = status === 'paused' ? 'console.resume' : status === 'closed' ? 'console.open' : 'console.pause';
  pl.textContent = t(pl.dataset.i18n);

  // Queue per service.
  const mine = new Set(k ? k.services : []);
  $('queue').replaceChildren(
    ...state.queue.services.map((s) =>
      h('tr', { class: mine.has(s.code) ? 'mine' : '', title: mine.has(s.code) ? t('console.mine') : undefined },
        h('td', {}, `${s.code} – ${serviceName(s)}`),
        h('td', { class: 'num' }, s.waiting),
        h('td', { class: 'num' }, s.waiting ? duration(s.estimated_wait_seconds) : '–'))),
  );

  // Waiting tickets this counter serves, in calling order.
  const now = Date.now();
  const list = state.waiting.slice(0, 50);
  $('waiting').replaceChildren(
    ...list.map((tk) =>
      h('li', { dataset: { id: tk.id, number: tk.number } },
        h('span', { class: 'n' }, tk.number),
        h('span', { class: 's' },
          serviceName({ name: tk.service_name, name_en: tk.service_name_en }) || tk.service,
          ' · ',
          t('console.waited', { time: duration((now - Date.parse(tk.issued_at)) / 1000) }),
          tk.priority && tk.priority !== 'normal'
            ? [' ', h('span', { class: tk.priority_pending ? 'badge priority pending' : 'badge priority' }, t(tk.priority_pending ? 'common.priority_pending' : 'common.priority'))]
            : null,
          tk.booking ? [' ', h('span', { class: 'badge booked' }, t('common.booked'))] : null),
        h('button', {
          type: 'button', class: 'secondary', disabled: busy || status === 'paused',
          'aria-label': t('console.call_this', { number: tk.number }), onclick: () => openCall(tk),
        }, t('console.call')))),
  );
  $('waiting-empty').hidden = list.length > 0;
  renderToday();
  renderRating();
}

// ---- the current ticket's booking and pre-check ---------------------------

/** The fullest view of a ticket the console has: an action's answer or today's list. */
function fullTicket(id) {
  if (state.last && state.last.id === id) {
    const listed = state.today.find((x) => x.id === id);
    // A pre-check attached after the call arrives through the list.
    return listed && ((listed.precheck && !state.last.precheck) || (listed.dossier && !state.last.dossier) || (listed.identity && !state.last.identity)) ? listed : state.last;
  }
  return state.today.find((x) => x.id === id) || null;
}

function timeOf(iso) {
  const tz = (state.cfg && state.cfg.timezone) || 'Asia/Ho_Chi_Minh';
  return new Intl.DateTimeFormat(locale(), { timeZone: tz, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));
}

async function loadBookings() {
  if (state.bookingsLoading) return;
  state.bookingsLoading = true;
  try {
    const list = await api('GET', `/api/v1/centres/${seg(state.centre)}/bookings`);
    state.bookings = new Map(list.map((b) => [b.code, b]));
    render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) failed(err);
    else console.warn('bookings', err.message);
  } finally {
    state.bookingsLoading = false;
  }
}

/** The clerk's decision on a priority claimed at a kiosk, for the ticket at the counter. */
function renderPriorityCheck(cur, tk) {
  const box = $('priority-check');
  box.hidden = !(cur && cur.priority_pending);
  if (box.hidden) return;
  const group = tk && tk.priority ? t('priority.' + tk.priority) : t('common.priority');
  $('priority-check-text').textContent = t('console.priority_pending', { group });
}

function renderDetails(cur) {
  const tk = cur ? fullTicket(cur.id) : null;
  renderPriorityCheck(cur, tk);
  const bk = $('current-booking');
  if (tk && tk.booking) {
    const b = state.bookings.get(tk.booking);
    if (!b && !state.bookingsLoading && !state.bookingsTried.has(tk.booking)) {
      state.bookingsTried.add(tk.booking);
      loadBookings();
    }
    bk.replaceChildren(
      h('span', { class: 'label' }, t('booking.code_label')), ' ', h('strong', { class: 'code' }, tk.booking),
      b ? [' · ', h('span', { class: 'label' }, t('booking.slot_label')), ' ', h('strong', { class: 'slot' }, `${timeOf(b.start)}–${timeOf(b.end)}`)] : null,
      b && b.late ? [' ', h('span', { class: 'badge late' }, t('booking.late'))] : null,
    );
    bk.dataset.booking = tk.booking;
    bk.hidden = false;
  } else {
    bk.hidden = true;
    bk.dataset.booking = '';
  }
  renderPrecheck(tk && tk.precheck);
  showDossier(cur && (tk && tk.dossier ? tk : cur));
  showIdentity(cur && (tk && tk.identity ? tk : cur));
}

const statusIcon = { present: '✓', missing: '✗', unreadable: '?', inconsistent: '!' };

function renderPrecheck(pc) {
  const box = $('precheck');
  if (!pc || typeof pc !== 'object') {
    box.hidden = true;
    box.dataset.procedure = '';
    return;
  }
  box.hidden = false;
  box.dataset.procedure = pc.procedure || '';
  box.dataset.ok = pc.ok ? 'true' : 'false';
  const docs = Array.isArray(pc.documents) ? pc.documents : [];
  const problems = docs.filter((d) => d.status !== 'present').length;
  $('precheck-summary').replaceChildren(
    h('span', { class: 'procedure' }, procedureName(pc.procedure)),
    h('span', { class: 'verdict ' + (pc.ok ? 'ok' : 'bad') },
      h('span', { 'aria-hidden': 'true' }, pc.ok ? '✓ ' : '! '),
      pc.ok ? t('precheck.ok') : t('precheck.not_ok', { n: problems })),
  );
  $('precheck-docs').replaceChildren(
    ...docs.map((d) => {
      const st = statusIcon[d.status] ? d.status : 'unreadable';
      const pages = Array.isArray(d.pages) && d.pages.length ? t('precheck.pages', { list: d.pages.join(', ') }) : '';
      return h('li', { class: 'doc ' + st, dataset: { status: st } },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, statusIcon[st]),
        h('span', { class: 'body' },
          h('span', { class: 'name' }, d.name || '—'),
          h('span', { class: 'status' }, t('precheck.status.' + st)),
          pages ? h('span', { class: 'pages' }, pages) : null,
          Array.isArray(d.reasons) && d.reasons.length ? h('ul', { class: 'reasons' }, ...d.reasons.map((r) => h('li', {}, r))) : null));
    }),
  );
  const fields = pc.fields && typeof pc.fields === 'object' ? Object.entries(pc.fields) : [];
  $('precheck-fields-box').hidden = fields.length === 0;
  $('precheck-fields').replaceChildren(
    ...fields.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, fieldName(k)), h('td', {}, v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v ?? '')))),
  );
}

const knownProcedure = new Set(['khai-sinh', 'ket-hon', 'trich-luc-ho-tich', 'chung-thuc-ban-sao', 'thuong-tru', 'dat-dai-lan-dau']);
const knownField = new Set([
  'applicant_name', 'applicant_id_number', 'applicant_birth_date', 'applicant_sex', 'applicant_relation',
  'holder_name', 'holder_id_number', 'holder_birth_date', 'holder_sex',
  'child_name', 'child_birth_date', 'child_sex', 'father_name', 'mother_name',
  'husband_name', 'wife_name', 'residence_address', 'parcel_number', 'map_sheet',
]);

function procedureName(id) {
  return knownProcedure.has(id) ? t('procedure.' + id) : id || '';
}

function fieldName(k) {
  return knownField.has(k) ? t('precheck.field.' + k) : k;
}

// ---- today's counts -----------------------------------------------------------

function renderToday() {
  const mine = { served: 0, no_show: 0, waiting: state.waiting.length };
  const all = { served: 0, no_show: 0, waiting: 0 };
  let sum = 0;
  let rated = 0;
  for (const tk of state.today) {
    const here = tk.counter === state.counter;
    if (tk.status === 'done') {
      all.served++;
      if (here) mine.served++;
    } else if (tk.status === 'no_show') {
      all.no_show++;
      if (here) mine.no_show++;
    } else if (tk.status === 'waiting') all.waiting++;
    if (here && tk.rating) {
      sum += tk.rating;
      rated++;
    }
  }
  for (const [row, v] of [['today-counter', mine], ['today-centre', all]]) {
    for (const td of $(row).querySelectorAll('td')) td.textContent = String(v[td.dataset.k]);
  }
  $('today-rating').textContent = rated
    ? t('today.rating', { avg: (sum / rated).toLocaleString(locale(), { maximumFractionDigits: 1 }), n: rated })
    : t('today.no_rating');
}

// ---- rating -------------------------------------------------------------------

function askRating(tk) {
  if (!tk) return;
  state.rating = { id: tk.id, number: tk.number };
  renderRating();
}

function renderRating() {
  const box = $('rate-prompt');
  const r = state.rating;
  box.hidden = !r;
  box.dataset.ticket = r ? r.id : '';
  if (r) $('rate-title').textContent = t('rate.console_title', { number: r.number });
}

async function rate(score) {
  const r = state.rating;
  if (!r) return;
  try {
    await api('POST', `/api/v1/tickets/${seg(r.id)}/rating`, { score });
    toast(t('rate.thanks_number', { number: r.number }));
  } catch (err) {
    failed(err);
  }
  if (state.rating === r) state.rating = null;
  renderRating();
  refresh();
}

async function act(action, body, { errEl } = {}) {
  if (state.busy) return null;
  state.busy = true;
  const before = counterView() && counterView().current;
  render();
  clearError($('error'));
  try {
    const r = await api('POST', `/api/v1/centres/${seg(state.centre)}/counters/${state.counter}/${action}`, body);
    // The ticket served until now is finished: ask the citizen to rate it.
    if (before && (action === 'finish' || action === 'next' || action === 'call')) askRating(before);
    if (r && r.counter && state.queue) {
      const i = state.queue.counters.findIndex((k) => k.number === state.counter);
      if (i >= 0) state.queue.counters[i] = r.counter;
    }
    if (r && r.ticket) state.last = r.ticket;
    announce(action, r, body);
    return r;
  } catch (err) {
    failed(err, errEl);
    return null;
  } finally {
    state.busy = false;
    render();
    refresh();
  }
}

function announce(action, r, body) {
  const number = r && r.ticket ? r.ticket.number : '';
  switch (action) {
    case 'next':
      if (!r) {
        toast(t('console.nobody'));
        if (state.queue) {
          const cv = counterView();
          if (cv) delete cv.current;
        }
      } else toast(t('console.called', { number }));
      break;
    case 'call': toast(t('console.called', { number })); break;
    case 'recall': toast(t('console.recalled', { number })); break;
    case 'finish': toast(t('console.finished', { number })); break;
    case 'no-show': toast(t('console.no_showed', { number })); break;
    case 'transfer': toast(t('console.transferred', { number, service: body.service })); break;
    case 'pause': toast(t('console.paused')); break;
    case 'resume': toast(t('console.resumed')); break;
    case 'confirm-priority': toast(t('console.priority_confirmed', { number })); break;
    case 'downgrade-priority': toast(t('console.priority_downgraded', { number })); break;
  }
}

// ---- dialogs --------------------------------------------------------------

const pauseReasons = ['reason.pause.lunch', 'reason.pause.meeting', 'reason.pause.break', 'reason.pause.system'];
const callReasons = ['reason.call.priority', 'reason.call.supplement', 'reason.call.returned', 'reason.call.mistake'];

function fillReasons(select, detail, keys) {
  select.replaceChildren(...keys.map((k) => h('option', { value: k }, t(k))), h('option', { value: 'other' }, t('dialog.reason.other')));
  const sync = () => {
    const other = select.value === 'other';
    detail.hidden = !other;
    detail.previousElementSibling.hidden = !other;
    detail.required = other;
  };
  select.onchange = sync;
  sync();
}

function reasonOf(select, detail) {
  return select.value === 'other' ? detail.value.trim() : t(select.value);
}

function openPause() {
  fillReasons($('pause-reason'), $('pause-detail'), pauseReasons);
  $('pause-detail').value = '';
  $('pause-minutes').value = '';
  $('pause-minutes').removeAttribute('aria-invalid');
  $('pause-minutes-hint').textContent = t('dialog.pause.minutes_hint');
  $('dlg-pause').showModal();
}

function togglePause() {
  const cv = counterView();
  const status = cv ? cv.status : 'closed';
  if (status === 'paused' || status === 'closed') act('resume');
  else openPause();
}

function openTransfer() {
  const cur = counterView() && counterView().current;
  if (!cur) return;
  $('dlg-transfer-title').textContent = t('dialog.transfer.title', { number: cur.number });
  $('transfer-service').replaceChildren(
    ...state.cfg.services.filter((s) => s.code !== cur.service).map((s) => h('option', { value: s.code }, `${s.code} – ${serviceName(s)}`)),
  );
  $('dlg-transfer').showModal();
}

let calling = null;

function openCall(tk) {
  calling = tk;
  $('dlg-call-title').textContent = t('dialog.call.title', { number: tk.number });
  fillReasons($('call-reason'), $('call-detail'), callReasons);
  $('call-detail').value = '';
  clearError($('call-error'));
  $('dlg-call').showModal();
}

function bindDialogs() {
  for (const d of document.querySelectorAll('dialog')) {
    for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
  }
  $('pause-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = reasonOf($('pause-reason'), $('pause-detail'));
    if ($('pause-reason').value === 'other' && !reason) {
      $('pause-detail').focus();
      return;
    }
    const mins = $('pause-minutes').value.trim();
    const minutes = mins === '' ? 0 : Number(mins);
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 600) {
      $('pause-minutes').setAttribute('aria-invalid', 'true');
      $('pause-minutes-hint').textContent = t('dialog.pause.minutes_err');
      $('pause-minutes').focus();
      return;
    }
    $('pause-minutes').removeAttribute('aria-invalid');
    $('dlg-pause').close();
    await act('pause', minutes ? { reason, minutes } : { reason });
  });
  $('transfer-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const svc = $('transfer-service').value;
    $('dlg-transfer').close();
    if (svc) await act('transfer', { service: svc });
  });
  $('call-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = reasonOf($('call-reason'), $('call-detail'));
    if (!reason) {
      $('call-detail').focus();
      return;
    }
    const r = await act('call', { ticket: calling.id, reason }, { errEl: $('call-error') });
    if (r) $('dlg-call').close();
  });
}

// ---- keyboard -------------------------------------------------------------

const keyActions = {
  n: () => act('next'),
  r: () => act('recall'),
  f: () => act('finish'),
  v: () => act('no-show'),
  p: () => togglePause(),
};

function onKey(ev) {
  if ($('console').hidden || ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat) return;
  if (document.querySelector('dialog[open]')) return;
  const tag = ev.target && ev.target.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
  const key = ev.key.toLowerCase();
  const fn = keyActions[key];
  if (!fn) return;
  const btn = document.querySelector(`button[data-key="${key}"]`);
  if (btn && btn.disabled) return;
  ev.preventDefault();
  fn();
}

// ---- start ----------------------------------------------------------------

function init() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    if (state.me) $('who').textContent = t('console.signed_in_as', { name: state.me.name || state.me.username });
    if (setupCfg && !$('setup').hidden) describeSetupCounter();
    showConn($('conn'));
    render();
    renderAlerts();
    renderBusiest();
  });
  $('setup-form').addEventListener('submit', submitSetup);
  $('centre').addEventListener('change', loadSetupCentre);
  $('counter').addEventListener('change', describeSetupCounter);
  $('change').addEventListener('click', () => showSetup().catch(failed));
  $('btn-next').addEventListener('click', () => act('next'));
  $('btn-recall').addEventListener('click', () => act('recall'));
  $('btn-finish').addEventListener('click', () => act('finish'));
  $('btn-noshow').addEventListener('click', () => act('no-show'));
  $('btn-transfer').addEventListener('click', openTransfer);
  $('btn-pause').addEventListener('click', togglePause);
  $('btn-priority-confirm').addEventListener('click', () => act('confirm-priority'));
  $('btn-priority-downgrade').addEventListener('click', () => act('downgrade-priority'));
  for (const b of document.querySelectorAll('#rate-prompt button[data-score]')) b.addEventListener('click', () => rate(Number(b.dataset.score)));
  $('rate-skip').addEventListener('click', () => {
    state.rating = null;
    renderRating();
  });
  bindDialogs();
  initIdentity({ failed });
  initDossier({ failed, procedureName, fieldName, timeZone: () => (state.cfg && state.cfg.timezone) || 'Asia/Ho_Chi_Minh' });
  document.addEventListener('keydown', onKey);
  // Times in the waiting list age; the snapshot's estimates drift.
  setInterval(() => !$('console').hidden && refresh(), 30000);

  start();
}

init();

// The procedure search, for what a citizen asks at the counter.
procedureSearch($('procs-box'), { centre: () => state.centre });
