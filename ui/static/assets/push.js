// Web Push for the public pages: the service worker /track/sw.js (its
// scope /track/ covers every tracking page), the server's VAPID key and a
// subscription in the shape the API's NotifyRequest.push takes. The
// subscription's keys go to the server only; nothing is kept here.

import { api, ApiError } from '/assets/api.js';

/** A reason Web Push cannot be used: unsupported, denied, unavailable (no key on the server) or failed. */
export class PushError extends Error {
  constructor(code, message = code) {
    super(message);
    this.code = code;
  }
}

/** Whether this browser can receive Web Push here (a secure context with service workers). */
export function pushSupported() {
  return window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The bytes of a base64url string (the VAPID public key). */
export function b64urlBytes(s) {
  const b = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b + '='.repeat((4 - (b.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * The service worker's registration once it is active: subscribing needs an
 * active worker, and navigator.serviceWorker.ready never settles on a page
 * outside the scope (the booking page).
 */
export async function activeRegistration() {
  const reg = await navigator.serviceWorker.register('/track/sw.js', { scope: '/track/' });
  if (reg.active) return reg;
  const w = reg.installing || reg.waiting;
  if (!w || w.state === 'activated') return reg;
  await new Promise((resolve, reject) => {
    w.addEventListener('statechange', () => {
      if (w.state === 'activated') resolve();
      else if (w.state === 'redundant') reject(new PushError('failed', 'the service worker did not start'));
    });
  });
  return reg;
}

/**
 * Asks for the notification permission, registers the service worker and
 * subscribes with the server's VAPID key; returns {endpoint, keys: {p256dh,
 * auth}}. Throws PushError.
 */
export async function subscribe() {
  if (!pushSupported()) throw new PushError('unsupported');
  let key;
  try {
    key = (await api('GET', '/api/v1/push/key')).public_key;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new PushError('unavailable', err.message);
    throw err;
  }
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') throw new PushError('denied');
  let sub;
  try {
    const reg = await activeRegistration();
    const server = b64urlBytes(key);
    sub = await reg.pushManager.getSubscription();
    const old = sub && sub.options && sub.options.applicationServerKey;
    if (sub && !(old && sameBytes(new Uint8Array(old), server))) {
      // Made with another key (the server's key changed): replace it.
      await sub.unsubscribe();
      sub = null;
    }
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: server });
  } catch (err) {
    if (err instanceof PushError) throw err;
    throw new PushError('failed', err && err.message ? err.message : String(err));
  }
  const j = sub.toJSON();
  return { endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } };
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
