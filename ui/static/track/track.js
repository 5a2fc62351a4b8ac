// Ticket tracking (/track/{id}): the ticket's number, status, position and
// estimated wait, refreshed whenever the centre's event stream moves.

import '/track/track.i18n.js';
import { apply, bindSwitch, duration, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, debounce, EventStream, h, seg, showConn } from '/assets/api.js';

const id = decodeURIComponent(location.pathname.replace(/^\/track\//, '').replace(/\/+$/, ''));
let ticket = null;
let stream = null;
let centreName = '';

const final = (s) => s === 'done' || s === 'no_show' || s === 'expired';

/** HH:MM DD/MM of an RFC 3339 time, as written: the API gives the centre's offset. */
function centreTime(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s || '');
  return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}` : '';
}

function render() {
  if (!ticket) return;
  const tk = ticket;
  $('loading').hidden = true;
  $('ticket').hidden = false;
  $('number').textContent = tk.number;
  document.title = `${tk.number} · ${t('track.title')}`;
  const b = [];
  if (tk.priority && tk.priority !== 'normal') b.push(h('span', { class: 'badge priority' }, t('common.priority')));
  if (tk.booked || tk.booking) b.push(h('span', { class: 'badge booked' }, t('common.booked')));
  $('badges').replaceChildren(...b);
  $('status').textContent = t('status.' + tk.status);
  const waiting = tk.status === 'waiting';
  $('position-row').hidden = !waiting;
  $('eta-row').hidden = !waiting;
  $('position').textContent = tk.position > 0 ? String(tk.position) : t('track.ahead_none');
  $('eta').textContent = duration(tk.estimated_wait_seconds);
  $('service').textContent = serviceName({ name: tk.service_name, name_en: tk.service_name_en }) || tk.service;
  $('issued').textContent = centreTime(tk.issued_at);
  const callout = $('callout');
  if (tk.status === 'called' && tk.counter) {
    callout.textContent = t('track.go_to', { counter: t('common.counter', { n: tk.counter }) });
    callout.hidden = false;
  } else callout.hidden = true;
  $('updated').textContent = t('track.updated', { time: new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date()) });
  $('centre-name').textContent = centreName || t('track.title');
}

async function load() {
  const prev = ticket;
  ticket = await api('GET', `/api/v1/tickets/${seg(id)}`);
  if (prev && prev.status !== 'called' && ticket.status === 'called' && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  render();
  if (final(ticket.status) && stream) {
    stream.stop();
    stream = null;
    $('conn').hidden = true;
  }
}

const refresh = debounce(() => load().catch(showError), 300);

function showError(err) {
  $('loading').hidden = true;
  const el = $('error');
  el.textContent = err instanceof ApiError && err.status === 404 ? t('track.not_found') : err.message;
  el.hidden = false;
}

async function start() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    showConn($('conn'));
    render();
  });
  if (!id) {
    showError(new ApiError(404, 'not_found', ''));
    return;
  }
  try {
    await load();
  } catch (err) {
    showError(err);
    return;
  }
  $('error').hidden = true;
  if (final(ticket.status)) {
    $('conn').hidden = true;
    return;
  }
  // The events carry no personal data and need no token; the snapshot
  // gives the sequence to start from, so the stream does not replay the day.
  const q = await api('GET', `/api/v1/centres/${seg(ticket.centre)}/queue`);
  centreName = q.name;
  render();
  stream = new EventStream(ticket.centre, q.last_seq, {
    onEvent: () => refresh(),
    onState: (s) => {
      showConn($('conn'), s);
      if (s === 'live') refresh();
    },
    onReset: () => refresh(),
  }).start();
  // Estimates move with time even when nothing happens.
  setInterval(refresh, 60000);
}

start().catch(showError);
