// The counter's rating tablet (/counter/rate.html?centre=ID&counter=N): it
// follows the centre's event stream and, when the counter finishes serving
// a ticket, asks the citizen to rate it on the four levels of the national
// satisfaction survey (Rất hài lòng 4 … Không hài lòng 1). Ticket ids are
// on the public stream, so a rating needs a token: opened from the counter
// console, the page has the clerk's session; a tablet of its own is paired
// once by a clerk of the centre signing in on it, and keeps a token that
// may only rate this counter's tickets (the password is not kept).

import '/counter/counter.i18n.js';
import { apply, bindSwitch, t } from '/assets/i18n.js';
import { $, api, ApiError, EventStream, h, seg, showConn, token } from '/assets/api.js';

const params = new URLSearchParams(location.search);
const centre = (params.get('centre') || '').trim();
const counter = Number(params.get('counter')) || 0;

const askMs = 90000; // an unanswered question goes away after this
const thanksMs = 6000;
const askWithinMs = 120000; // replayed finishes older than this are not asked

const state = {
  tablet: '', // the tablet's token when storage is disabled
  cfg: null,
  current: null, // the ticket being served at the counter: {id, number}
  asking: null, // the ticket asked about: {id, number}
  clockSkew: 0,
  timer: 0,
  busy: false,
};

function setState(s) {
  document.body.dataset.state = s;
  $('idle').hidden = s !== 'idle';
  $('ask').hidden = s !== 'ask';
  $('thanks').hidden = s !== 'thanks';
  $('pair').hidden = s !== 'pair';
}

// The tablet's own token, kept across restarts (localStorage), one per
// centre and counter.
const tabletKey = `xephang.rating.${centre}.${counter}`;
function tabletToken() {
  try {
    return localStorage.getItem(tabletKey) || '';
  } catch {
    return state.tablet || '';
  }
}
function setTabletToken(v) {
  state.tablet = v;
  try {
    if (v) localStorage.setItem(tabletKey, v);
    else localStorage.removeItem(tabletKey);
  } catch {
    /* storage disabled: paired until reload */
  }
}
const paired = () => !!(token() || tabletToken());
const auth = () => (tabletToken() && !token() ? { Authorization: 'Bearer ' + tabletToken() } : {});

async function pair(ev) {
  ev.preventDefault();
  $('pair-error').hidden = true;
  $('pair-submit').disabled = true;
  try {
    const s = await api('POST', '/api/v1/login', { username: $('pair-user').value.trim(), password: $('pair-pass').value });
    const clerk = { Authorization: 'Bearer ' + s.token };
    try {
      const p = await api('POST', `/api/v1/centres/${seg(centre)}/counters/${counter}/rating-tablet`, undefined, clerk);
      setTabletToken(p.token);
    } finally {
      api('POST', '/api/v1/logout', undefined, clerk).catch(() => {}); // the clerk's session is not kept here
    }
    $('pair-pass').value = '';
    idle();
  } catch (err) {
    $('pair-error').textContent = err.message;
    $('pair-error').hidden = false;
  } finally {
    $('pair-submit').disabled = false;
  }
}

function unpaired() {
  setTabletToken('');
  clearTimeout(state.timer);
  state.asking = null;
  setState('pair');
}

function idle() {
  if (!paired()) {
    unpaired();
    return;
  }
  clearTimeout(state.timer);
  state.asking = null;
  document.body.dataset.ticket = '';
  setState('idle');
  render();
}

function ask(tk) {
  clearTimeout(state.timer);
  state.asking = { id: tk.id, number: tk.number };
  document.body.dataset.ticket = tk.id;
  $('ask-error').hidden = true;
  for (const b of document.querySelectorAll('button.rate')) b.disabled = false;
  setState('ask');
  render();
  state.timer = setTimeout(idle, askMs);
}

function thanks() {
  clearTimeout(state.timer);
  state.asking = null;
  setState('thanks');
  state.timer = setTimeout(idle, thanksMs);
}

function render() {
  const label = t('common.counter', { n: counter });
  $('where').textContent = state.cfg ? `${label} · ${state.cfg.name}` : label;
  document.title = `${t('rate.title')} · ${label}`;
  $('idle-now').textContent = state.current ? t('rate.serving', { number: state.current.number }) : '';
  if (state.asking) {
    const [before, after] = t('rate.question', { number: '\u0000' }).split('\u0000');
    $('ask-title').replaceChildren(before, h('span', { class: 'number' }, state.asking.number), after ?? '');
  }
}

async function rate(score) {
  const tk = state.asking;
  if (!tk || state.busy) return;
  state.busy = true;
  for (const b of document.querySelectorAll('button.rate')) b.disabled = true;
  try {
    await api('POST', `/api/v1/tickets/${seg(tk.id)}/rating`, { score }, auth());
    thanks();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'conflict') thanks(); // already rated (at the counter)
    else if (err instanceof ApiError && (err.status === 401 || err.status === 403) && !token()) unpaired(); // paired again elsewhere
    else {
      $('ask-error').textContent = err.message;
      $('ask-error').hidden = false;
      for (const b of document.querySelectorAll('button.rate')) b.disabled = false;
    }
  } finally {
    state.busy = false;
  }
}

function onEvent(e) {
  if (e.counter !== counter || !e.ticket || !paired()) return;
  const tk = e.ticket;
  const fresh = Date.now() + state.clockSkew - Date.parse(e.at) < askWithinMs;
  switch (e.type) {
    case 'ticket.called':
    case 'ticket.recalled':
      state.current = { id: tk.id, number: tk.number };
      render();
      break;
    case 'ticket.finished':
      if (state.current && state.current.id === tk.id) state.current = null;
      if (fresh) ask(tk);
      else render();
      break;
    case 'ticket.no_show':
    case 'ticket.transferred':
    case 'ticket.priority_downgraded': // back to waiting, as normal
      if (state.current && state.current.id === tk.id) state.current = null;
      render();
      break;
    case 'ticket.rated':
      if (state.asking && state.asking.id === tk.id) thanks();
      break;
  }
}

/** A simple face: the mouth curves up for 4 and down for 1. */
function face(score) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 64 64');
  svg.setAttribute('width', '80');
  svg.setAttribute('height', '80');
  const curve = { 4: 20, 3: 9, 2: 0, 1: -12 }[score];
  const parts = [
    ['circle', { cx: 32, cy: 32, r: 29, fill: 'none', stroke: '#fff', 'stroke-width': 4 }],
    ['circle', { cx: 22, cy: 25, r: 4, fill: '#fff' }],
    ['circle', { cx: 42, cy: 25, r: 4, fill: '#fff' }],
    ['path', { d: `M18 ${42 - curve / 2} Q32 ${42 + curve} 46 ${42 - curve / 2}`, fill: 'none', stroke: '#fff', 'stroke-width': 4, 'stroke-linecap': 'round' }],
  ];
  for (const [tag, attrs] of parts) {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.append(el);
  }
  return svg;
}

async function start() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    showConn($('conn'));
    render();
  });
  for (const el of document.querySelectorAll('[data-face]')) el.replaceChildren(face(Number(el.dataset.face)));
  for (const b of document.querySelectorAll('button.rate')) b.addEventListener('click', () => rate(Number(b.dataset.score)));
  $('pair-form').addEventListener('submit', pair);
  setState(paired() ? 'idle' : 'pair');
  render();
  if (!centre || !counter) {
    $('fatal').textContent = t('rate.no_counter');
    $('fatal').hidden = false;
    $('idle').hidden = true;
    return;
  }
  let q;
  try {
    const before = Date.now();
    [state.cfg, q] = await Promise.all([api('GET', `/api/v1/centres/${seg(centre)}`), api('GET', `/api/v1/centres/${seg(centre)}/queue`)]);
    state.clockSkew = Date.parse(q.now) - (before + Date.now()) / 2;
  } catch (err) {
    $('fatal').textContent = err.message;
    $('fatal').hidden = false;
    setTimeout(() => location.reload(), 15000); // a tablet comes back by itself
    return;
  }
  const cv = q.counters.find((k) => k.number === counter);
  state.current = cv && cv.current ? { id: cv.current.id, number: cv.current.number } : null;
  render();
  window.xephangStream = new EventStream(centre, q.last_seq, {
    onEvent,
    onState: (s) => {
      document.body.dataset.stream = s;
      showConn($('conn'), s);
    },
  }).start();
}

start();
