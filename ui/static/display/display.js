// Hall display: the latest calls with their counters (the newest flashing,
// with a chime and the call spoken in Vietnamese, see announcer.js), the
// queue of each service and a clock; ?counter=N shows
// one counter's number alone. It starts from the queue snapshot and follows
// the event stream from the snapshot's last_seq, resuming with since= after
// a reconnect, so no call is missed.

import '/display/display.i18n.js';
import { apply, bindSwitch, duration, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, debounce, EventStream, h, seg, showConn } from '/assets/api.js';
import { blocked, unlock } from '/assets/chime.js';
import { Announcer } from '/display/announcer.js';

const params = new URLSearchParams(location.search);
const centre = (params.get('centre') || '').trim();
const single = Number(params.get('counter')) || 0;

const recentMax = 8; // tiles under the latest call
const flashMs = 12000; // how long the newest call flashes
const announceWithinMs = 120000; // replayed calls older than this arrive silently

// Spoken calls, one at a time (kept on window for the browser test).
const announcer = new Announcer();
window.xephangAnnouncer = announcer;

const state = {
  cfg: null,
  queue: null,
  calls: [], // newest first: {id, number, service, counter, priority, booked}
  clockSkew: 0, // server time − local time, ms
  flashTimer: 0,
  flashing: '', // ticket id of the flashing call
};

function counterLabel(n) {
  return t('common.counter', { n });
}

function badges(c) {
  const out = [];
  if (c.priority) out.push(h('span', { class: 'badge priority' }, t('common.priority')));
  if (c.booked) out.push(h('span', { class: 'badge booked' }, t('common.booked')));
  return out;
}

// ---- the hall view ---------------------------------------------------------

function renderHall() {
  if (!state.cfg) return;
  $('centre-name').textContent = state.cfg.name;
  document.title = `${t('display.title')} · ${state.cfg.name}`;

  const [latest, ...rest] = state.calls;
  const box = $('latest');
  box.classList.toggle('empty', !latest);
  if (latest) {
    $('latest-number').textContent = latest.number;
    $('latest-counter').textContent = counterLabel(latest.counter);
    $('latest-badges').replaceChildren(...badges(latest));
    box.dataset.ticket = latest.id;
    box.setAttribute('aria-label', `${t('display.now')} ${latest.number} ${t('display.to_counter')} ${counterLabel(latest.counter)}`);
  } else {
    box.removeAttribute('aria-label');
  }
  box.classList.toggle('flash', !!latest && state.flashing === latest.id);

  $('recent').replaceChildren(
    ...rest.slice(0, recentMax).map((c) =>
      h('li', { class: c.priority ? 'priority' : '', dataset: { ticket: c.id } },
        h('span', { class: 'n' }, c.number),
        h('span', { class: 'c' }, counterLabel(c.counter)),
        c.priority ? h('span', { class: 'p' }, t('common.priority')) : null)),
  );

  if (state.queue) {
    $('services').replaceChildren(
      ...state.queue.services.map((s) =>
        h('li', { dataset: { service: s.code } },
          h('span', { class: 'code', 'aria-hidden': 'true' }, s.code),
          h('span', { class: 'name' }, serviceName(s)),
          h('span', { class: 'count' }, h('strong', {}, s.waiting), t('display.waiting_unit')),
          h('span', { class: 'eta' }, s.waiting ? t('display.eta', { time: duration(s.estimated_wait_seconds) }) : '\u00a0'))),
    );
  }
}

// ---- the single-counter view ----------------------------------------------

function renderSingle() {
  if (!state.cfg) return;
  const k = state.cfg.counters.find((x) => x.number === single);
  $('single-counter').textContent = counterLabel(single);
  document.title = `${counterLabel(single)} · ${state.cfg.name}`;
  const cv = state.queue && state.queue.counters.find((x) => x.number === single);
  const cur = cv && cv.current;
  const num = $('single-number');
  num.textContent = cur ? cur.number : t('display.counter_idle');
  num.classList.toggle('idle', !cur);
  num.classList.toggle('flash', !!cur && state.flashing === cur.id);
  $('single-badges').replaceChildren(...(cur ? badges(cur) : []));
  $('single-state').textContent = cv && cv.status === 'paused' ? t('display.counter_paused') + (cv.reason ? ` — ${cv.reason}` : '') : k ? k.services.map((c) => serviceName(state.cfg.services.find((s) => s.code === c))).join(' · ') : '';
}

function render() {
  if (single) renderSingle();
  else renderHall();
}

// ---- events -----------------------------------------------------------------

function flash(id) {
  state.flashing = id;
  clearTimeout(state.flashTimer);
  state.flashTimer = setTimeout(() => {
    state.flashing = '';
    render();
  }, flashMs);
}

function promote(call) {
  state.calls = [call, ...state.calls.filter((c) => c.id !== call.id)].slice(0, recentMax + 1);
}

/** Updates the snapshot's view of one counter from an event, at once. */
function patchCounter(n, fn) {
  if (!state.queue) return;
  const cv = state.queue.counters.find((x) => x.number === n);
  if (cv) fn(cv);
}

function onEvent(e) {
  document.body.dataset.seq = e.seq;
  const tk = e.ticket;
  switch (e.type) {
    case 'ticket.called':
    case 'ticket.recalled': {
      if (single && e.counter !== single) break;
      const call = { id: tk.id, number: tk.number, service: tk.service, counter: e.counter, priority: !!tk.priority, booked: !!tk.booked };
      const show = () => {
        promote(call);
        patchCounter(e.counter, (cv) => {
          cv.current = { id: tk.id, number: tk.number, service: tk.service, priority: !!tk.priority, booked: !!tk.booked };
          cv.status = 'open';
        });
        flash(call.id);
        render();
      };
      const age = Date.now() + state.clockSkew - Date.parse(e.at);
      if (age < announceWithinMs) announcer.announce(call, show);
      else {
        promote(call);
        render();
      }
      break;
    }
    case 'ticket.finished':
    case 'ticket.no_show':
    case 'ticket.transferred':
    case 'ticket.priority_downgraded': // back to waiting, as normal
      patchCounter(e.counter, (cv) => {
        if (cv.current && cv.current.id === tk.id) delete cv.current;
      });
      if (single === e.counter) render();
      break;
    case 'counter.paused':
      patchCounter(e.counter, (cv) => Object.assign(cv, { status: 'paused', reason: e.reason || '' }));
      if (single === e.counter) render();
      break;
    case 'counter.resumed':
    case 'counter.opened':
      patchCounter(e.counter, (cv) => Object.assign(cv, { status: 'open', reason: '' }));
      if (single === e.counter) render();
      break;
    case 'centre.configured':
      loadConfig();
      break;
  }
  refreshQueue();
}

async function fetchQueue() {
  const before = Date.now();
  const q = await api('GET', `/api/v1/centres/${seg(centre)}/queue`);
  state.clockSkew = Date.parse(q.now) - (before + Date.now()) / 2;
  return q;
}

// The snapshot gives the waiting counts and estimates; the calls come from
// the events alone (a snapshot read between events must not undo them).
const refreshQueue = debounce(async () => {
  try {
    const q = await fetchQueue();
    if (state.queue) {
      // Keep the counters as the events made them; take counts and estimates.
      state.queue.services = q.services;
    } else state.queue = q;
    render();
  } catch (err) {
    console.warn('queue refresh', err.message);
  }
}, 400);

async function loadConfig() {
  try {
    state.cfg = await api('GET', `/api/v1/centres/${seg(centre)}`);
    render();
  } catch (err) {
    console.warn('centre config', err.message);
  }
}

// ---- clock and sound -----------------------------------------------------------

function tick() {
  const tz = (state.cfg && state.cfg.timezone) || 'Asia/Ho_Chi_Minh';
  const now = new Date(Date.now() + state.clockSkew);
  const time = new Intl.DateTimeFormat(locale(), { timeZone: tz, hour: '2-digit', minute: '2-digit', hour12: false }).format(now);
  const date = new Intl.DateTimeFormat(locale(), { timeZone: tz, weekday: 'long', day: 'numeric', month: 'numeric', year: 'numeric' }).format(now);
  if (single) $('single-clock').textContent = time;
  else {
    $('clock-time').textContent = time;
    $('clock-date').textContent = date;
  }
}

function soundPrompt() {
  const btn = $('sound');
  btn.hidden = !blocked();
}

async function enableSound() {
  await unlock();
  soundPrompt();
}

// ---- start --------------------------------------------------------------------

async function start() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    showConn($('conn'));
    tick();
    render();
  });
  if (!centre) {
    $('fatal').textContent = t('display.no_centre');
    $('fatal').hidden = false;
    return;
  }
  $(single ? 'single' : 'hall').hidden = false;
  document.body.classList.toggle('single-mode', !!single);
  announcer.load();
  $('sound').addEventListener('click', enableSound);
  document.addEventListener('keydown', enableSound);
  document.addEventListener('pointerdown', enableSound);

  let q;
  try {
    [state.cfg, q] = await Promise.all([api('GET', `/api/v1/centres/${seg(centre)}`), fetchQueue()]);
  } catch (err) {
    $('fatal').textContent = err.message;
    $('fatal').hidden = false;
    $('hall').hidden = $('single').hidden = true;
    // A display must come back by itself once the server is reachable.
    setTimeout(() => location.reload(), 15000);
    return;
  }
  state.queue = q;
  // What counters serve now, newest call unknown: by counter number.
  state.calls = q.counters
    .filter((k) => k.current)
    .map((k) => ({ id: k.current.id, number: k.current.number, service: k.current.service, counter: k.number, priority: !!k.current.priority, booked: !!k.current.booked }));
  document.body.dataset.seq = q.last_seq;
  render();
  tick();
  setInterval(tick, 1000);
  setInterval(refreshQueue, 30000);
  soundPrompt();
  setInterval(soundPrompt, 5000);

  // Kept on window for diagnostics on a kiosk (and the browser test).
  window.xephangStream = new EventStream(centre, q.last_seq, {
    onEvent,
    onState: (s) => {
      document.body.dataset.stream = s;
      showConn($('conn'), s);
    },
    onReset: async () => {
      try {
        state.queue = await fetchQueue();
        render();
      } catch {
        /* the next event retries */
      }
    },
  }).start();
}

start();
