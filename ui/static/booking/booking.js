// The public booking page: choose a centre, a service, a day and a time,
// give who is coming, and get a booking code; or take a same-day number
// from the phone ("Lấy số trực tuyến": centre, service, CCCD number) and go
// to its tracking page; or look a code up to change or cancel it. Both
// forms may ask for notifications (Zalo/SMS, e-mail, this browser). Anonymous bookings carry an ALTCHA-style proof of work,
// solved in a worker while the citizen fills the form.
//
// Personal data (the CCCD number, name, phone) stays in the form fields and
// the POST bodies: never in the address, storage or logs.

import '/booking/booking.i18n.js';
import { apply, bindSwitch, lang, serviceName, t } from '/assets/i18n.js';
import { $, api, h, seg } from '/assets/api.js';
import { solve } from '/assets/pow.js';
import { preparePush, readNotify, withPush } from '/assets/notify.js';
import { FormView, prefill } from '/assets/forms.js';
import { procedureSearch } from '/assets/procsearch.js';

const params = new URLSearchParams(location.search);

const state = {
  centres: [],
  skipCentre: false,
  centre: null, // the chosen centre's configuration
  service: null,
  date: '',
  slots: null, // of state.date, null while loading
  slot: null,
  booking: null, // the confirmed booking
  view: 'book', // or 'online', 'lookup'
  online: null, // the configuration of the centre chosen for a same-day number
  step: '',
  found: null, // the booking looked up
  // Signed links to a booking's PDF and ICS, by code: the server gives them
  // only with the booking, a reschedule or a cancel (the code alone does
  // not open the documents). Kept in this page only.
  docs: new Map(),
  foundCentre: null,
  rs: { date: '', slots: null, slot: null },
  // The citizen's details of the booking just made, to prefill its form:
  // in this page's memory only, forgotten with the booking.
  citizen: null,
  forms: null, // GET /api/v1/forms
  form: null, // {booking, view: FormView, saved}
};

// ---- dates and times, in the centre's time zone ----

/** Today's date (YYYY-MM-DD) in time zone tz. */
function todayIn(tz) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date());
  const get = (k) => parts.find((p) => p.type === k).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function ymd(s) {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function addDays(s, n) {
  const d = ymd(s);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const weekday = (s) => ymd(s).getUTCDay();

/** "Thứ Hai 24/11" (or with the year). */
function dayLabel(s, withYear = false) {
  const [y, m, d] = s.split('-');
  return `${t('weekday.' + weekday(s))} ${d}/${m}${withYear ? '/' + y : ''}`;
}

/** The local clock time of an RFC 3339 time given in the centre's offset. */
const clock = (rfc) => rfc.slice(11, 16);

function whenLabel(start, end) {
  return t('book.when', { time: `${clock(start)}–${clock(end)}`, date: dayLabel(start.slice(0, 10), true) });
}

/** The bookable days of a centre: today … today + booking_days − 1. */
function bookableDays(c) {
  const first = todayIn(c.timezone || 'Asia/Ho_Chi_Minh');
  const n = (c.rules && c.rules.booking_days) || 7;
  return Array.from({ length: n }, (_, i) => addDays(first, i));
}

function openOn(c, day) {
  if ((c.closed_dates || []).includes(day)) return false;
  const w = weekday(day);
  return (c.hours || []).some((x) => x.weekday === w);
}

/** A booking code grouped for reading: ABCD-EFGH. */
const grouped = (code) => (code && code.length === 8 ? code.slice(0, 4) + '-' + code.slice(4) : code || '');

const normCode = (s) => s.toUpperCase().replace(/[\s-]/g, '');

// ---- messages ----

function showError(msg) {
  const el = $('error');
  // The API's messages start in lower case (they also serve as fragments).
  el.textContent = msg ? msg[0].toUpperCase() + msg.slice(1) : '';
  el.hidden = !msg;
  if (msg) el.focus({ preventScroll: false });
}

let notice = null; // {key, params, kind}: re-said in the other language

/** A polite announcement of message key; kind is 'info' or 'warn'. */
function notify(key, params = {}, kind = 'info') {
  notice = key ? { key, params, kind } : null;
  renderNotice();
}

function renderNotice() {
  if (notice && notice.params.start) {
    notice.params.when = whenLabel(notice.params.start, notice.params.end);
  }
  const el = $('notice');
  el.className = 'alert ' + (notice ? notice.kind : '');
  el.textContent = notice ? t(notice.key, notice.params) : '';
}

/** Said by screen readers only (the page shows the same). */
function announce(msg) {
  $('announce').textContent = msg;
}

function clearMessages() {
  announce('');
  showError('');
  notify('');
}

function fieldError(input, msg) {
  const err = $(input.id + '-err');
  input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  err.textContent = msg || '';
  err.hidden = !msg;
  return !msg;
}

function validID(v) {
  return /^\d{12}$/.test(v.replace(/\s/g, ''));
}

function validPhone(v) {
  let s = v.replace(/[\s.-]/g, '');
  if (s.startsWith('+84')) s = '0' + s.slice(3);
  else if (s.startsWith('84') && s.length === 11) s = '0' + s.slice(2);
  return /^0[35789]\d{8}$/.test(s);
}

// ---- the proof of work ----

/**
 * Solves challenges ahead of need. start() fetches a challenge and solves
 * it (in a worker, or on the page in yielding batches); take() waits for
 * the solution and spends it: each one is good for one POST.
 */
class Solver {
  constructor(onState) {
    this.onState = onState;
    this.job = null;
    this.worker = null;
  }

  start() {
    if (!this.job) {
      const job = this.run();
      job.catch(() => {});
      this.job = job;
    }
    return this.job;
  }

  async run() {
    this.onState('working', 0);
    const ch = await api('GET', '/api/v1/challenge');
    const number = await this.compute(ch);
    this.onState('ready', 1);
    const payload = { algorithm: ch.algorithm, challenge: ch.challenge, number, salt: ch.salt, signature: ch.signature };
    const expires = Number((ch.salt.split('?expires=')[1] || '0')) * 1000;
    return { header: btoa(JSON.stringify(payload)), expires };
  }

  compute(ch) {
    const progress = (p) => this.onState('working', p);
    try {
      const w = new Worker('/assets/pow-worker.js', { type: 'module' });
      this.worker = w;
      return new Promise((resolve, reject) => {
        w.onmessage = (e) => {
          const m = e.data;
          if ('progress' in m) progress(m.progress);
          else {
            w.terminate();
            if (this.worker === w) this.worker = null;
            if ('number' in m) resolve(m.number);
            else reject(new Error(m.error));
          }
        };
        w.onerror = (e) => {
          // No module workers here: solve on the page instead.
          e.preventDefault();
          w.terminate();
          if (this.worker === w) this.worker = null;
          solve(ch, progress).then(resolve, reject);
        };
        w.postMessage({ salt: ch.salt, challenge: ch.challenge, maxnumber: ch.maxnumber });
      });
    } catch {
      return solve(ch, progress);
    }
  }

  /** The X-Altcha header value of a fresh solution, spent by this call. */
  async take() {
    for (;;) {
      const job = this.start();
      let sol;
      try {
        sol = await job;
      } finally {
        if (this.job === job) this.job = null;
      }
      // A solution about to expire would be refused: solve another.
      if (sol.expires && Date.now() > sol.expires - 30000) continue;
      return sol.header;
    }
  }

  reset() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.job = null;
  }
}

// One solver serves both forms; each shows its progress.
const solver = new Solver((s, p) => {
  for (const pre of ['', 'on-']) {
    $(pre + 'pow').dataset.state = s;
    $(pre + 'pow-progress').value = Math.round(p * 100);
    const text = t(s === 'ready' ? 'book.pow.ready' : 'book.pow.working');
    if ($(pre + 'pow-text').textContent !== text) $(pre + 'pow-text').textContent = text;
  }
});

// ---- views and steps ----

const stepIds = ['centre', 'service', 'date', 'slot', 'details', 'done', 'form'];

function steps() {
  const all = ['centre', 'service', 'date', 'slot', 'details'];
  return state.skipCentre ? all.slice(1) : all;
}

function showStep(step, focus = true) {
  state.step = step;
  for (const s of stepIds) $('step-' + s).hidden = s !== step;
  renderStepNo();
  renderSummary();
  if (step === 'details') {
    renderPrivacy();
    solver.start();
  }
  if (focus) $('step-' + step).querySelector('h2').focus();
}

function renderStepNo() {
  const seq = steps();
  const i = seq.indexOf(state.step);
  $('stepno').hidden = i < 0;
  if (i >= 0) $('stepno').textContent = t('book.step', { n: i + 1, total: seq.length });
}

function setView(view, push = true) {
  state.view = view;
  $('book').hidden = view !== 'book';
  $('online').hidden = view !== 'online';
  $('lookup').hidden = view !== 'lookup';
  if (view === 'online') solver.start();
  for (const [id, v] of [['tab-book', 'book'], ['tab-online', 'online'], ['tab-lookup', 'lookup']]) {
    if (v === view) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  if (push) {
    const u = new URL(location.href);
    u.searchParams.delete('code');
    u.searchParams.delete('lookup');
    u.searchParams.delete('online');
    if (view === 'online') u.searchParams.set('online', '1');
    if (view === 'lookup') {
      if (state.found) u.searchParams.set('code', state.found.code);
      else u.searchParams.set('lookup', '1');
    }
    history.replaceState(null, '', u);
  }
}

function renderCentreName() {
  const c = state.centre || state.foundCentre;
  $('centre-name').hidden = !c;
  $('centre-name').textContent = c ? c.name : '';
  const link = $('display-link');
  link.hidden = !c;
  if (c) link.href = `/display/?centre=${seg(c.id)}`;
}

function renderSummary() {
  const rows = [];
  const i = stepIds.indexOf(state.step);
  if (state.service && i > 1 && i < 5) rows.push(['book.summary.service', serviceName(state.service)]);
  if (state.date && i > 2 && i < 5) rows.push(['book.summary.date', dayLabel(state.date, true)]);
  if (state.slot && i > 3 && i < 5) rows.push(['book.summary.time', `${clock(state.slot.start)}–${clock(state.slot.end)}`]);
  $('summary').hidden = rows.length === 0;
  $('summary').replaceChildren(...rows.map(([k, v]) => h('div', {}, h('dt', {}, t(k)), h('dd', {}, v))));
}

// ---- step 1: centre ----

function renderCentres() {
  const list = $('centres');
  if (!state.centres.length) {
    list.replaceChildren(h('li', { class: 'muted' }, t('book.centre.none')));
    return;
  }
  list.replaceChildren(...state.centres.map((c) =>
    h('li', {}, h('button', {
      type: 'button', class: 'choice', dataset: { centre: c.id },
      'aria-pressed': String(!!state.centre && state.centre.id === c.id),
      onclick: () => chooseCentre(c.id),
    }, h('span', { class: 'choice-name' }, c.name || c.id)))));
}

async function chooseCentre(id, focus = true) {
  clearMessages();
  try {
    const c = await api('GET', `/api/v1/centres/${seg(id)}`);
    if (!state.centre || state.centre.id !== c.id) {
      state.service = null;
      state.date = '';
      state.slot = null;
    }
    state.centre = c;
    renderCentreName();
    renderCentres();
    renderServices();
    showStep('service', focus);
  } catch (err) {
    showError(err.message);
  }
}

// ---- step 2: service ----

function bookableServices() {
  return ((state.centre && state.centre.services) || []).filter((s) => s.bookable);
}

function renderServices() {
  const list = $('services');
  const svcs = bookableServices();
  if (!svcs.length) {
    list.replaceChildren(h('li', { class: 'muted' }, t('book.service.none')));
    return;
  }
  list.replaceChildren(...svcs.map((s) => {
    const other = lang() === 'en' ? s.name : s.name_en;
    return h('li', {}, h('button', {
      type: 'button', class: 'choice', dataset: { service: s.code },
      'aria-pressed': String(!!state.service && state.service.code === s.code),
      onclick: () => chooseService(s),
    },
    h('span', { class: 'choice-code', 'aria-hidden': 'true' }, s.code),
    h('span', { class: 'choice-name' }, serviceName(s),
      other && other !== serviceName(s) ? h('span', { class: 'choice-sub', lang: lang() === 'en' ? 'vi' : 'en' }, other) : null)));
  }));
  $('step-service').querySelector('.back').hidden = state.skipCentre;
}

function chooseService(s) {
  clearMessages();
  if (!state.service || state.service.code !== s.code) {
    state.date = '';
    state.slot = null;
  }
  state.service = s;
  renderServices();
  renderDates();
  showStep('date');
}

// ---- step 3: day ----

/** Fills list with the centre's bookable days; onPick(day). */
function renderDayList(list, centre, selected, onPick) {
  const days = bookableDays(centre);
  const today = days[0];
  list.replaceChildren(...days.map((d) => {
    const open = openOn(centre, d);
    const tag = d === today ? t('book.date.today') : d === addDays(today, 1) ? t('book.date.tomorrow') : '';
    const [, m, dd] = d.split('-');
    return h('li', {}, h('button', {
      type: 'button', class: 'day', dataset: { date: d }, disabled: !open,
      'aria-pressed': String(d === selected),
      onclick: () => onPick(d),
    },
    h('span', { class: 'day-name' }, t('weekday.' + weekday(d))),
    h('span', { class: 'day-date' }, `${dd}/${m}`),
    h('span', { class: 'day-tag' }, open ? tag : t('book.date.closed'))));
  }));
}

function renderDates() {
  if (!state.centre) return;
  renderDayList($('dates'), state.centre, state.date, chooseDate);
}

async function chooseDate(d) {
  clearMessages();
  if (state.date !== d) state.slot = null;
  state.date = d;
  renderDates();
  state.slots = null;
  renderSlots();
  showStep('slot');
  await loadSlots();
}

// ---- step 4: time ----

async function fetchSlots(centre, service, date) {
  return api('GET', `/api/v1/centres/${seg(centre)}/slots?service=${seg(service)}&date=${seg(date)}`);
}

async function loadSlots() {
  const want = state.date;
  $('slots').setAttribute('aria-busy', 'true');
  try {
    const slots = await fetchSlots(state.centre.id, state.service.code, want);
    if (state.date !== want) return;
    state.slots = slots;
  } catch (err) {
    state.slots = [];
    showError(err.message);
  } finally {
    $('slots').setAttribute('aria-busy', 'false');
  }
  renderSlots();
}

/**
 * Fills box with slots grouped by part of the day; slots already begun are
 * left out, full ones shown disabled. current marks the booking's own slot
 * when rescheduling.
 */
function renderSlotList(box, slots, centre, day, selected, onPick, current = '') {
  if (slots === null) {
    box.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
    return;
  }
  const now = Date.now();
  const shown = slots.filter((s) => Date.parse(s.start) > now);
  if (!shown.length || !shown.some((s) => s.available > 0)) {
    box.replaceChildren(h('p', { class: 'alert warn' }, t(openOn(centre, day) ? 'book.slot.none' : 'book.slot.closed')));
    if (!shown.length) return;
  } else {
    box.replaceChildren();
  }
  const parts = [['book.part.morning', 0, 12], ['book.part.afternoon', 12, 18], ['book.part.evening', 18, 24]];
  for (const [key, from, to] of parts) {
    const group = shown.filter((s) => {
      const hour = Number(clock(s.start).slice(0, 2));
      return hour >= from && hour < to;
    });
    if (!group.length) continue;
    box.append(h('h3', { class: 'part' }, t(key)), h('ul', { class: 'slot-list' }, group.map((s) => {
      const mine = current && Date.parse(s.start) === Date.parse(current);
      const free = s.available > 0 && !mine;
      const label = mine ? t('book.slot.current') : free ? t('book.slot.left', { n: s.available }) : t('book.slot.full');
      return h('li', {}, h('button', {
        type: 'button', class: 'slot', dataset: { start: s.start, available: String(s.available) }, disabled: !free,
        'aria-pressed': String(!!selected && selected.start === s.start),
        onclick: () => onPick(s),
      }, h('span', { class: 'slot-time' }, clock(s.start)), h('span', { class: 'slot-left' }, label)));
    })));
  }
}

function renderSlots() {
  if (!state.centre || !state.date) return;
  renderSlotList($('slots'), state.slots, state.centre, state.date, state.slot, chooseSlot);
}

function chooseSlot(s) {
  clearMessages();
  state.slot = s;
  renderSlots();
  showStep('details');
}

// ---- step 5: who is coming ----

function renderPrivacy() {
  const days = (state.centre && state.centre.rules && state.centre.rules.retention_days) || 30;
  $('privacy').textContent = t('book.privacy', { days });
}

/**
 * The server's name rule, checked before sending (the server decides):
 * letters, combining marks, spaces and ' ’ - ., beginning with a letter,
 * 2 to 100 characters once in NFC with single spaces.
 */
function validName(v) {
  const n = v.normalize('NFC').trim().replace(/\s+/gu, ' ');
  return /^\p{L}[\p{L}\p{M} '’.-]*$/u.test(n) && [...n].length >= 2 && [...n].length <= 100;
}

function validateDetails() {
  const id = $('id-number');
  const name = $('full-name');
  const phone = $('phone');
  const ok = [
    fieldError(id, validID(id.value) ? '' : t('book.err.id_number')),
    fieldError(name, validName(name.value) ? '' : t('book.err.name')),
    fieldError(phone, validPhone(phone.value) ? '' : t('book.err.phone')),
  ];
  const first = [id, name, phone][ok.indexOf(false)];
  if (first) first.focus();
  return !first;
}

let busy = false;

function setBusy(button, on, busyKey, idleKey) {
  busy = on;
  button.disabled = on;
  button.textContent = t(on ? busyKey : idleKey);
}

async function postBooking(body, retry = true) {
  const header = await solver.take();
  try {
    return await api('POST', `/api/v1/centres/${seg(state.centre.id)}/bookings`, body, { 'X-Altcha': header });
  } catch (err) {
    if (retry && err.code === 'challenge_failed') {
      solver.reset();
      return postBooking(body, false);
    }
    throw err;
  }
}

async function submitBooking(ev) {
  ev.preventDefault();
  if (busy) return;
  clearMessages();
  if (!validateDetails()) {
    notify('book.err.fix', {}, 'warn');
    return;
  }
  const body = {
    service: state.service.code,
    start: state.slot.start,
    citizen: {
      id_number: $('id-number').value.replace(/\s/g, ''),
      name: $('full-name').value.normalize('NFC').trim().replace(/\s+/gu, ' '),
      phone: $('phone').value.trim(),
    },
  };
  const choice = readNotify('bk', $('phone').value);
  if (choice.error) {
    fieldError(choice.error.input, choice.error.message);
    choice.error.input.focus();
    return;
  }
  const button = $('book-submit');
  setBusy(button, true, 'book.submitting', 'book.submit');
  try {
    if (choice.any) body.notify = choice.push ? await withPush(choice.request) : choice.request;
    state.booking = await postBooking(body);
    state.citizen = { ...body.citizen };
    keepDocs(state.booking);
    // Done with the personal data: forget it.
    $('details-form').reset();
    solver.reset();
    renderDone();
    showStep('done');
    announce(t('book.done.announce', { code: grouped(state.booking.code) }));
  } catch (err) {
    solver.start(); // the spent or refused solution is replaced
    if (err.code === 'slot_full') {
      state.slot = null;
      state.slots = null;
      showStep('slot');
      await loadSlots();
      notify('book.slot.refreshed', {}, 'warn');
    } else if (err.field === 'citizen.name') {
      fieldError($('full-name'), err.message); // the server says which character
      $('full-name').focus();
    } else if (notifyField('bk', err.field)) {
      const input = notifyField('bk', err.field);
      fieldError(input, err.message);
      input.focus();
    } else {
      showError(err.message);
    }
  } finally {
    setBusy(button, false, 'book.submitting', 'book.submit');
  }
}

/** The input of a form's notification choices that an API error's field names (notify.email…), or null. */
function notifyField(prefix, field) {
  const m = /^notify\.(consent|email|phone|push)/.exec(field || '');
  if (!m) return null;
  // The phone of the messages is the form's own phone field.
  if (m[1] === 'phone') return prefix === 'on' ? $('on-phone') : $('phone');
  return $(`${prefix}-${m[1] === 'email' ? 'email' : 'consent'}`);
}

// ---- same-day number ----

/** The same-day window and daily limit of a centre, its rules or their defaults. */
function onlineRules(c) {
  const r = (c && c.rules) || {};
  return { from: r.online_from || '08:00', until: r.online_until || '16:00', n: r.numbers_per_day || 2 };
}

function renderOnline() {
  const sel = $('on-centre');
  const keep = sel.value || (state.online && state.online.id) || (state.centre && state.centre.id) || '';
  sel.replaceChildren(...state.centres.map((c) => h('option', { value: c.id }, c.name || c.id)));
  if (keep && state.centres.some((c) => c.id === keep)) sel.value = keep;
  const c = state.online;
  const svc = $('on-service');
  const was = svc.value;
  const list = (c && c.services) || [];
  svc.replaceChildren(...list.map((s) => h('option', { value: s.code }, `${s.code} – ${serviceName(s)}`)));
  if (list.some((s) => s.code === was)) svc.value = was;
  $('online-intro').textContent = c ? t('online.intro', onlineRules(c)) : '';
}

async function loadOnlineCentre() {
  const id = $('on-centre').value;
  if (!id) return;
  if (state.online && state.online.id === id) return;
  try {
    state.online = state.centre && state.centre.id === id ? state.centre : await api('GET', `/api/v1/centres/${seg(id)}`);
  } catch (err) {
    showError(err.message);
  }
  renderOnline();
}

function validateOnline() {
  const id = $('on-id');
  const phone = $('on-phone');
  const ok = [
    fieldError($('on-service'), $('on-service').value ? '' : t('online.err.service')),
    fieldError(id, validID(id.value) ? '' : t('book.err.id_number')),
    fieldError(phone, !phone.value.trim() || validPhone(phone.value) ? '' : t('book.err.phone')),
  ];
  const first = [$('on-service'), id, phone][ok.indexOf(false)];
  if (first) first.focus();
  return !first;
}

async function postOnline(centre, body, retry = true) {
  const header = await solver.take();
  try {
    return await api('POST', `/api/v1/centres/${seg(centre)}/online-tickets`, body, { 'X-Altcha': header });
  } catch (err) {
    if (retry && err.code === 'challenge_failed') {
      solver.reset();
      return postOnline(centre, body, false);
    }
    throw err;
  }
}

/** The input an online-ticket error's field names. */
function onlineInput(field) {
  if (field === 'citizen.id_number') return $('on-id');
  if (field === 'citizen.phone') return $('on-phone');
  if (field === 'service') return $('on-service');
  return notifyField('on', field);
}

async function submitOnline(ev) {
  ev.preventDefault();
  if (busy) return;
  clearMessages();
  for (const id of ['on-service', 'on-id', 'on-phone', 'on-email', 'on-consent']) fieldError($(id), '');
  if (!validateOnline()) {
    notify('book.err.fix', {}, 'warn');
    return;
  }
  const phone = $('on-phone').value.trim();
  const choice = readNotify('on', phone, $('on-phone'));
  if (choice.error) {
    fieldError(choice.error.input, choice.error.message);
    choice.error.input.focus();
    return;
  }
  const c = state.online;
  const body = { service: $('on-service').value, citizen: { id_number: $('on-id').value.replace(/\s/g, '') } };
  if (phone) body.citizen.phone = phone;
  const button = $('online-submit');
  setBusy(button, true, 'book.submitting', 'online.submit');
  try {
    if (choice.any) body.notify = choice.push ? await withPush(choice.request) : choice.request;
    const tk = await postOnline(c.id, body);
    $('online-form').reset();
    solver.reset();
    // The tracking page says which channels are on: their names, never the addresses.
    const channels = (tk.notify && tk.notify.channels) || [
      ...(body.notify && body.notify.phone ? ['phone'] : []),
      ...(body.notify && body.notify.email ? ['email'] : []),
      ...(body.notify && body.notify.push ? ['push'] : []),
    ];
    try {
      if (channels.length) sessionStorage.setItem('xephang.notify.' + tk.id, JSON.stringify(channels));
    } catch {
      /* storage disabled: the tracking page asks again */
    }
    announce(t('online.done', { number: tk.number }));
    location.assign(tk.track_url || `/track/${seg(tk.id)}`);
  } catch (err) {
    solver.start(); // the spent or refused solution is replaced
    // The server names the field; a CCCD number it refuses may come without one.
    const input = err.status === 422 ? onlineInput(err.field || (/căn cước|CCCD/i.test(err.message) ? 'citizen.id_number' : '')) : null;
    if (err.code === 'outside_hours') {
      showError(t('online.err.hours', onlineRules(c)));
    } else if (err.code === 'limit_reached') {
      showError(t('online.err.limit', onlineRules(c)));
    } else if (input) {
      fieldError(input, err.message);
      input.focus();
    } else {
      showError(err.message);
    }
  } finally {
    setBusy(button, false, 'book.submitting', 'online.submit');
  }
}

// ---- confirmation ----

function factRows(dl, b) {
  const svc = { name: b.service_name, name_en: b.service_name_en };
  dl.replaceChildren(
    h('div', {}, h('dt', {}, t('book.summary.time')), h('dd', { class: 'when' }, whenLabel(b.start, b.end))),
    h('div', {}, h('dt', {}, t('book.summary.service')), h('dd', { class: 'service' }, serviceName(svc) || b.service)),
    h('div', {}, h('dt', {}, t('book.summary.centre')), h('dd', {}, b.centre_name || b.centre)),
  );
}

/** Remembers the signed document links of an answer that carries them. */
function keepDocs(b) {
  if (b && b.pdf_url && b.ics_url) state.docs.set(b.code, { pdf: b.pdf_url, ics: b.ics_url });
}

/** Points the PDF and ICS buttons at the booking's signed links; false when there are none. */
function docLinks(prefix, code) {
  const d = state.docs.get(code);
  $(prefix + '-pdf').href = d ? d.pdf : '#';
  $(prefix + '-ics').href = d ? d.ics : '#';
  return !!d;
}

function renderDone() {
  const b = state.booking;
  if (!b) return;
  $('done-code').textContent = grouped(b.code);
  $('done-code').dataset.code = b.code;
  factRows($('done-facts'), b);
  docLinks('done', b.code);
  const r = (state.centre && state.centre.rules) || {};
  $('done-bring').textContent = t('book.done.bring', { early: r.check_in_early_minutes || 60, late: r.late_grace_minutes || 15 });
  const papers = [t('book.done.id_card'), ...((state.service && state.service.papers) || [])];
  $('done-papers').replaceChildren(...papers.map((p) => h('li', {}, p)));
  $('done-form-box').hidden = !b.form_url;
}

// ---- the booking's form, filled at home ----

/** The values a booking gives a form (its name, ID number and phone), marked as the booking's. */
function fromBooking(def, c) {
  const values = prefill(def, c ? { name: c.name, id_number: c.id_number, phone: c.phone } : null);
  const sources = {};
  for (const f of def.sections.flatMap((x) => x.fields)) if (values[f.name] && f.source !== 'today') sources[f.name] = 'booking';
  return { values, sources };
}

async function openForm(b) {
  clearMessages();
  state.form?.view?.destroy();
  state.form = { booking: b, view: null, saved: false };
  $('form-for').textContent = t('bform.for', { code: grouped(b.code), when: whenLabel(b.start, b.end) });
  $('form-box').replaceChildren();
  setFormStatus('', '');
  showStep('form');
  if (!state.forms) {
    try {
      state.forms = await api('GET', '/api/v1/forms');
    } catch (err) {
      showError(err.message);
      return;
    }
  }
  const sel = $('form-procedure');
  sel.replaceChildren(h('option', { value: '' }, t('bform.choose')), ...state.forms.map((f) => h('option', { value: f.procedure }, formName(f))));
}

const namedForms = new Set(['khai-sinh', 'ket-hon', 'trich-luc-ho-tich', 'chung-thuc-ban-sao', 'thuong-tru', 'dat-dai-lan-dau']);
const formName = (f) => (namedForms.has(f.procedure) ? t('bform.procedure.' + f.procedure) : f.title);

async function chooseForm() {
  const p = $('form-procedure').value;
  setFormStatus('', '');
  if (!p) {
    state.form.view?.destroy();
    state.form.view = null;
    return;
  }
  let def;
  try {
    def = await api('GET', `/api/v1/forms/${seg(p)}`);
  } catch (err) {
    showError(err.message);
    return;
  }
  // The details typed on this page belong to the booking just made only.
  const own = state.booking && state.booking.code === state.form.booking.code;
  const { values, sources } = fromBooking(def, own ? state.citizen : null);
  state.form.view?.destroy();
  state.form.view = new FormView(def, { values, sources, onChange: () => { if (state.form.saved) setFormStatus('', ''); } });
  $('form-box').replaceChildren(state.form.view.element);
}

function setFormStatus(kind, key, params = {}) {
  const el = $('form-status');
  el.hidden = !key;
  el.className = 'alert ' + kind;
  el.dataset.key = key;
  el.textContent = key ? t(key, params) : '';
}

async function saveForm() {
  const f = state.form;
  if (!f || !f.view) {
    $('form-procedure').focus();
    return;
  }
  const errors = await f.view.check({ all: true });
  if (errors.length) {
    f.view.focusFirstError();
    return;
  }
  const button = $('form-save');
  button.disabled = true;
  try {
    await api('PUT', f.booking.form_url, f.view.filled());
    f.saved = true;
    setFormStatus('info', 'bform.saved', { code: grouped(f.booking.code) });
    announce(t('bform.saved', { code: grouped(f.booking.code) }));
  } catch (err) {
    const fields = err.body && Array.isArray(err.body.fields) ? err.body.fields : null;
    if (fields && fields.length) {
      f.view.showAll = true; // the server's word on every field it refused
      f.view.showErrors(fields);
      f.view.focusFirstError();
    } else {
      showError(err.message);
    }
  } finally {
    button.disabled = false;
  }
}

function startOver() {
  clearMessages();
  state.service = null;
  state.date = '';
  state.slot = null;
  state.booking = null;
  state.citizen = null;
  state.form?.view?.destroy();
  state.form = null;
  $('form-box').replaceChildren();
  renderServices();
  if (state.centre) showStep('service');
  else showStep('centre');
}

// ---- look up, change, cancel ----

async function lookup(code, focus = true) {
  clearMessages();
  closePanels();
  const input = $('lookup-code');
  const c = normCode(code);
  if (!fieldError(input, /^[A-Z0-9]{8}$/.test(c) ? '' : t('lookup.err.code'))) {
    input.focus();
    return;
  }
  try {
    const b = await api('GET', `/api/v1/bookings/${seg(c)}`);
    input.value = grouped(b.code);
    await showFound(b);
    setView('lookup');
    if (focus) $('found-code').focus();
  } catch (err) {
    state.found = null;
    $('found').hidden = true;
    showError(err.code === 'not_found' ? t('lookup.not_found', { code: grouped(c) }) : err.message);
  }
}

async function showFound(b) {
  keepDocs(b);
  state.found = b;
  if (!state.foundCentre || state.foundCentre.id !== b.centre) {
    try {
      state.foundCentre = await api('GET', `/api/v1/centres/${seg(b.centre)}`);
    } catch {
      state.foundCentre = null; // changes still work; the day list needs it
    }
  }
  renderCentreName();
  renderFound();
}

function changeable(b) {
  return b.status === 'booked' && Date.parse(b.start) > Date.now();
}

function renderFound() {
  const b = state.found;
  $('found').hidden = !b;
  if (!b) return;
  $('found-code').textContent = grouped(b.code);
  $('found-code').dataset.code = b.code;
  const st = $('found-status');
  st.textContent = t('booking.status.' + b.status);
  st.dataset.status = b.status;
  st.className = 'badge status-' + b.status;
  factRows($('found-facts'), b);
  const left = Math.max(0, b.max_reschedules - b.reschedules);
  $('found-facts').append(h('div', {}, h('dt', {}, t('lookup.changes')),
    h('dd', { id: 'found-changes', dataset: { left: String(left) } }, t('lookup.changes_value', { n: left, max: b.max_reschedules }))));
  const docs = docLinks('found', b.code);
  $('found-downloads').hidden = b.status === 'cancelled' || !docs;
  $('found-docs-note').hidden = b.status === 'cancelled' || docs;
  $('found-form-row').hidden = !b.form_url || !changeable(b);
  const can = changeable(b) && !!state.foundCentre;
  $('found-actions').hidden = !can;
  $('btn-reschedule').disabled = left === 0;
  const note = $('found-note');
  note.hidden = can && left > 0;
  note.textContent = !changeable(b) ? t('lookup.final') : left === 0 ? t('lookup.no_changes') : '';
  if (!can) closePanels();
}

function closePanels() {
  $('cancel-panel').hidden = true;
  $('resched-panel').hidden = true;
  for (const id of ['cancel-id', 'rs-id']) {
    $(id).value = '';
    fieldError($(id), '');
  }
}

function openCancel() {
  clearMessages();
  closePanels();
  $('cancel-panel').hidden = false;
  $('cancel-id').focus();
}

async function submitCancel(ev) {
  ev.preventDefault();
  if (busy) return;
  clearMessages();
  const input = $('cancel-id');
  if (!fieldError(input, validID(input.value) ? '' : t('book.err.id_number'))) {
    input.focus();
    return;
  }
  const button = $('cancel-submit');
  setBusy(button, true, 'book.submitting', 'lookup.cancel.confirm');
  try {
    const b = await api('POST', `/api/v1/bookings/${seg(state.found.code)}/cancel`, { id_number: input.value.replace(/\s/g, '') });
    closePanels();
    await showFound(b);
    $('found-code').focus();
    notify('lookup.cancelled', { code: grouped(b.code) });
  } catch (err) {
    showError(err.message);
  } finally {
    setBusy(button, false, 'book.submitting', 'lookup.cancel.confirm');
  }
}

function openReschedule() {
  clearMessages();
  closePanels();
  state.rs = { date: '', slots: null, slot: null };
  renderResched();
  $('resched-panel').hidden = false;
  $('h-resched').focus();
}

function renderResched() {
  const c = state.foundCentre;
  if (!c || !state.found) return;
  renderDayList($('rs-dates'), c, state.rs.date, rsChooseDate);
  $('rs-slot-block').hidden = !state.rs.date;
  if (state.rs.date) {
    renderSlotList($('rs-slots'), state.rs.slots, c, state.rs.date, state.rs.slot, rsChooseSlot, state.found.start);
  }
  const s = state.rs.slot;
  $('rs-chosen').textContent = s ? t('lookup.resched.chosen', { when: whenLabel(s.start, s.end) }) : '';
}

async function rsLoadSlots() {
  const want = state.rs.date;
  try {
    const slots = await fetchSlots(state.found.centre, state.found.service, want);
    if (state.rs.date !== want) return;
    state.rs.slots = slots;
  } catch (err) {
    state.rs.slots = [];
    showError(err.message);
  }
  renderResched();
}

async function rsChooseDate(d) {
  clearMessages();
  state.rs = { date: d, slots: null, slot: null };
  renderResched();
  await rsLoadSlots();
}

function rsChooseSlot(s) {
  clearMessages();
  state.rs.slot = s;
  renderResched();
  $('rs-id').focus();
}

async function submitReschedule(ev) {
  ev.preventDefault();
  if (busy) return;
  clearMessages();
  if (!state.rs.slot) {
    showError(t('lookup.resched.pick'));
    return;
  }
  const input = $('rs-id');
  if (!fieldError(input, validID(input.value) ? '' : t('book.err.id_number'))) {
    input.focus();
    return;
  }
  const button = $('resched-submit');
  setBusy(button, true, 'book.submitting', 'lookup.resched.confirm');
  try {
    const b = await api('POST', `/api/v1/bookings/${seg(state.found.code)}/reschedule`, {
      id_number: input.value.replace(/\s/g, ''), start: state.rs.slot.start,
    });
    closePanels();
    await showFound(b);
    $('found-code').focus();
    notify('lookup.rescheduled', { start: b.start, end: b.end });
  } catch (err) {
    if (err.code === 'slot_full') {
      state.rs.slot = null;
      state.rs.slots = null;
      renderResched();
      await rsLoadSlots();
      notify('book.slot.refreshed', {}, 'warn');
    } else {
      showError(err.message);
    }
  } finally {
    setBusy(button, false, 'book.submitting', 'lookup.resched.confirm');
  }
}

// ---- language ----

function renderAll() {
  renderCentres();
  renderServices();
  renderDates();
  renderSlots();
  renderStepNo();
  renderSummary();
  renderNotice();
  if (state.step === 'details') renderPrivacy();
  renderDone();
  renderFound();
  if (state.form) {
    const b = state.form.booking;
    $('form-for').textContent = t('bform.for', { code: grouped(b.code), when: whenLabel(b.start, b.end) });
    const st = $('form-status');
    if (!st.hidden) setFormStatus(st.className.replace('alert', '').trim(), st.dataset.key, { code: grouped(b.code) });
    if (state.forms) for (const o of $('form-procedure').options) o.textContent = o.value ? formName(state.forms.find((f) => f.procedure === o.value)) : t('bform.choose');
  }
  renderOnline();
  if (!$('resched-panel').hidden) renderResched();
  // Field messages are re-made on the next check; drop stale ones.
  for (const el of document.querySelectorAll('.field-error:not([hidden])')) {
    const input = $(el.id.replace(/-err$/, ''));
    if (input) fieldError(input, '');
  }
  const pow = $('pow').dataset.state;
  if (pow !== 'idle') $('pow-text').textContent = t(pow === 'ready' ? 'book.pow.ready' : 'book.pow.working');
}

// ---- start ----

function bind() {
  bindSwitch($('lang'));
  document.addEventListener('langchange', renderAll);
  $('tab-book').addEventListener('click', (e) => {
    e.preventDefault();
    clearMessages();
    setView('book');
    $('step-' + state.step).querySelector('h2').focus();
  });
  $('tab-online').addEventListener('click', async (e) => {
    e.preventDefault();
    clearMessages();
    setView('online');
    $('h-online').focus();
    await loadOnlineCentre();
  });
  $('on-centre').addEventListener('change', loadOnlineCentre);
  $('online-form').addEventListener('submit', submitOnline);
  preparePush('bk');
  preparePush('on');
  $('tab-lookup').addEventListener('click', (e) => {
    e.preventDefault();
    clearMessages();
    setView('lookup');
    $('h-lookup').focus();
  });
  for (const b of document.querySelectorAll('button.back')) {
    b.addEventListener('click', () => {
      clearMessages();
      showStep(b.dataset.back);
    });
  }
  $('details-form').addEventListener('submit', submitBooking);
  $('done-again').addEventListener('click', startOver);
  $('done-form').addEventListener('click', () => openForm(state.booking));
  $('found-form').addEventListener('click', () => {
    setView('book');
    openForm(state.found);
  });
  $('form-procedure').addEventListener('change', chooseForm);
  $('form-save').addEventListener('click', saveForm);
  $('form-back').addEventListener('click', () => {
    clearMessages();
    if (state.booking) showStep('done');
    else if (state.found) { setView('lookup'); showStep(state.centre ? 'service' : 'centre', false); $('found-code').focus(); }
    else showStep(state.centre ? 'service' : 'centre');
  });
  $('done-manage').addEventListener('click', async () => {
    $('lookup-code').value = grouped(state.booking.code);
    setView('lookup');
    await lookup(state.booking.code);
  });
  $('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    lookup($('lookup-code').value);
  });
  $('btn-cancel').addEventListener('click', openCancel);
  $('cancel-keep').addEventListener('click', () => {
    closePanels();
    $('btn-cancel').focus();
  });
  $('cancel-form').addEventListener('submit', submitCancel);
  $('btn-reschedule').addEventListener('click', openReschedule);
  $('resched-close').addEventListener('click', () => {
    closePanels();
    $('btn-reschedule').focus();
  });
  $('resched-form').addEventListener('submit', submitReschedule);
}

async function start() {
  apply();
  bind();
  const code = params.get('code');
  if (params.has('online')) {
    setView('online', false);
  } else if (code || params.has('lookup')) {
    setView('lookup', false);
    if (code) {
      $('lookup-code').value = code;
      lookup(code, false);
    }
  } else {
    setView('book', false);
  }
  try {
    state.centres = await api('GET', '/api/v1/centres');
  } catch (err) {
    showError(err.message);
    showStep('centre', false);
    return;
  }
  const wanted = params.get('centre');
  const only = state.centres.length === 1 ? state.centres[0].id : '';
  const preset = wanted && state.centres.some((c) => c.id === wanted) ? wanted : only;
  state.skipCentre = !!preset;
  renderCentres();
  if (preset) await chooseCentre(preset, false);
  else showStep('centre', false);
  renderOnline();
  await loadOnlineCentre();
  document.body.dataset.ready = 'true';
}

start();

// "Not sure which service?": the procedure search, whose answers choose the
// service they are done at.
procedureSearch($('procs-book-box'), {
  centre: () => (state.centre && state.centre.id) || '',
  choose: (code) => { const s = bookableServices().find((x) => x.code === code); if (s) chooseService(s); },
  chooseLabel: () => t('book.procs.choose'),
});
