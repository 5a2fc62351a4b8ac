// Ticket tracking (/track/{id}): the ticket's number, status, position and
// estimated wait, refreshed whenever the centre's event stream moves; and
// the citizen's notifications for it (Zalo/SMS, e-mail, this browser's Web
// Push through /track/sw.js), set with PUT and removed with DELETE
// /api/v1/tickets/{id}/notify. The addresses go to the server only; this
// tab remembers which channels are on (names, not addresses) to say so.

import '/track/track.i18n.js';
import { apply, bindSwitch, duration, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, debounce, EventStream, h, seg, showConn } from '/assets/api.js';
import { channelWords, preparePush, readNotify, withPush } from '/assets/notify.js';

const id = decodeURIComponent(location.pathname.replace(/^\/track\//, '').replace(/\/+$/, ''));
let ticket = null;
let stream = null;
let centreName = '';
let channels = null; // the notification channels on, as the server last said (null: unknown)
let notifyMsg = null; // {key, params}: the panel's last message, said again in the other language

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
  // position 1 is the next to be called: the people ahead are one fewer.
  $('position').textContent = tk.position > 1 ? String(tk.position - 1) : t('track.ahead_none');
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
  renderNotify();
}

// ---- notifications ----

const channelsKey = () => 'xephang.notify.' + id;

function keptChannels() {
  try {
    const v = sessionStorage.getItem(channelsKey());
    return v ? JSON.parse(v) : null;
  } catch {
    return null;
  }
}

function keepChannels(list) {
  channels = list;
  try {
    if (list && list.length) sessionStorage.setItem(channelsKey(), JSON.stringify(list));
    else sessionStorage.removeItem(channelsKey());
  } catch {
    /* storage disabled: said until reload */
  }
}

function renderNotify() {
  const open = ticket && !final(ticket.status);
  $('notify').hidden = !open;
  if (!open) return;
  const on = channels && channels.length > 0;
  const st = $('notify-state');
  st.dataset.channels = on ? channels.join(',') : '';
  st.textContent = notifyMsg ? t(notifyMsg.key, { channels: channelWords(channels), ...notifyMsg.params })
    : on ? t('notify.on', { channels: channelWords(channels) }) : t('notify.off');
  $('notify-stop').hidden = !on;
  $('notify-replace').hidden = !on;
}

function notifyFieldError(input, msg) {
  const err = $(input.id + '-err');
  input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  if (err) {
    err.textContent = msg || '';
    err.hidden = !msg;
  }
}

function clearNotifyErrors() {
  for (const k of ['n-phone', 'n-email', 'n-consent']) notifyFieldError($(k), '');
  $('notify-error').hidden = true;
}

function notifyError(msg) {
  $('notify-error').textContent = msg;
  $('notify-error').hidden = false;
}

/** The field an API error names (notify.consent, phone, email, push). */
function notifyInput(field) {
  const f = (field || '').replace(/^notify\./, '');
  return { phone: 'n-phone', email: 'n-email', consent: 'n-consent', push: 'n-push' }[f.split('.')[0]];
}

let notifyBusy = false;

async function saveNotify(ev) {
  ev.preventDefault();
  if (notifyBusy) return;
  clearNotifyErrors();
  notifyMsg = null;
  const r = readNotify('n');
  if (r.error) {
    notifyFieldError(r.error.input, r.error.message);
    r.error.input.focus();
    return;
  }
  if (!r.any) {
    notifyError(t('notify.err.none'));
    $('n-phone').focus();
    return;
  }
  const btn = $('notify-save');
  notifyBusy = true;
  btn.disabled = true;
  btn.textContent = t('notify.saving');
  try {
    if (r.push) await withPush(r.request);
    const v = await api('PUT', `/api/v1/tickets/${seg(id)}/notify`, r.request);
    keepChannels(v.channels || []);
    notifyMsg = { key: 'notify.saved', params: {} };
    // The addresses went to the server: they are not kept on the page.
    $('n-phone').value = '';
    $('n-email').value = '';
  } catch (err) {
    const input = err instanceof ApiError && notifyInput(err.field);
    if (input && $(input + '-err')) {
      notifyFieldError($(input), err.message);
      $(input).focus();
    } else notifyError(err.message);
  } finally {
    notifyBusy = false;
    btn.disabled = false;
    btn.textContent = t('notify.save');
    renderNotify();
  }
}

async function stopNotify() {
  if (notifyBusy) return;
  clearNotifyErrors();
  notifyBusy = true;
  try {
    await api('DELETE', `/api/v1/tickets/${seg(id)}/notify`);
    keepChannels([]);
    notifyMsg = { key: 'notify.stopped', params: {} };
    $('n-push').checked = false;
    $('n-consent').checked = false;
    $('notify-save').focus();
  } catch (err) {
    notifyError(err.message);
  } finally {
    notifyBusy = false;
    renderNotify();
  }
}

async function load() {
  const prev = ticket;
  ticket = await api('GET', `/api/v1/tickets/${seg(id)}`);
  if (ticket.notify && Array.isArray(ticket.notify.channels)) keepChannels(ticket.notify.channels);
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
  channels = keptChannels();
  preparePush('n');
  $('notify-form').addEventListener('submit', saveNotify);
  $('notify-stop').addEventListener('click', stopNotify);
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
