// The pages' browser client of their API (queue-server's v1 API; kioskd's
// local API for the touchscreen): JSON requests with the bearer token, if
// any, and the page's language, errors as ApiError with the server's
// localized message, and the centre event stream with since= resume and
// reconnect backoff.

import { lang, t } from '/assets/i18n.js';

const tokenKey = 'xephang.token';

/** The bearer token of this tab's session, or ''. */
export function token() {
  try {
    return sessionStorage.getItem(tokenKey) || '';
  } catch {
    return '';
  }
}

/** Keeps (or with '' forgets) the session's token. */
export function setToken(v) {
  try {
    if (v) sessionStorage.setItem(tokenKey, v);
    else sessionStorage.removeItem(tokenKey);
  } catch {
    /* storage disabled: the session lasts until reload */
  }
}

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, field = '', body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field; // the request's field at fault ("services[2].code"), when the server names one
    this.body = body; // the whole answer (a refused form's "fields")
  }
}

/**
 * Sends a request and returns the decoded JSON answer (null for 204);
 * extra holds more request headers. Throws ApiError with the server's message, localized by Accept-Language.
 */
export async function api(method, path, body, extra = {}) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': lang(), ...extra };
  const tok = token();
  if (tok) headers['Authorization'] = 'Bearer ' + tok;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', t('common.network_error'));
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    /* not JSON: handled below */
  }
  if (!resp.ok) {
    const e = data && data.error;
    throw new ApiError(resp.status, e ? e.code : 'http', e ? e.message : `HTTP ${resp.status}`, (e && e.field) || '', data);
  }
  return data;
}

/** Escapes a path segment. */
export const seg = encodeURIComponent;

/**
 * A centre's event stream over WebSocket. It remembers the last sequence
 * number handled and reconnects with exponential backoff (1 s … 30 s, with
 * jitter), resuming with since= so no event is lost or seen twice.
 *
 * onEvent(e) gets each event once, in order; onState(s) gets 'connecting',
 * 'live' or 'offline'; onReset() is called when the server's sequence went
 * backwards (a restored or replaced store), so the page should reload its
 * snapshot. It does so too when the server replays only today's events
 * (a first message of type replay.truncated: since was older).
 */
export class EventStream {
  constructor(centre, since, { onEvent, onState = () => {}, onReset = () => {} }) {
    this.centre = centre;
    this.since = since;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReset = onReset;
    this.delay = 1000;
    this.ws = null;
    this.timer = 0;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  connect() {
    if (this.stopped) return;
    this.onState('connecting');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/v1/centres/${seg(this.centre)}/events?since=${this.since}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    let first = true;
    ws.onopen = () => {
      this.delay = 1000;
      this.onState('live');
    };
    ws.onmessage = (m) => {
      let e;
      try {
        e = JSON.parse(m.data);
      } catch {
        return;
      }
      if (typeof e.seq !== 'number') return;
      if (e.type === 'replay.truncated') {
        // Events before today are not replayed: those after e.seq follow,
        // and what the page built from older ones must be reloaded.
        first = false;
        this.since = e.seq;
        this.onReset();
        return;
      }
      if (e.seq <= this.since) {
        // The server replays only what follows since: an older number on
        // the first message means its history restarted.
        if (!first) return;
        this.since = e.seq;
        first = false;
        this.onReset();
        return;
      }
      first = false;
      this.since = e.seq;
      try {
        this.onEvent(e);
      } catch (err) {
        console.error('event handler', err);
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      this.onState('offline');
      this.retry();
    };
    // An error is always followed by close, which retries.
    ws.onerror = () => {};
  }

  retry() {
    clearTimeout(this.timer);
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, 30000);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}

/** Shows an event stream's state (connecting, live, offline) in el, or el's own again in a new language. */
export function showConn(el, state = el.dataset.state) {
  el.dataset.state = state;
  el.textContent = t('conn.' + state);
}

/** Calls fn at most once per wait ms, at the end of a burst. */
export function debounce(fn, wait) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

/** Shorthand for document.getElementById. */
export const $ = (id) => document.getElementById(id);

/** Creates an element with properties and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}
