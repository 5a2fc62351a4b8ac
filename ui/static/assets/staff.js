// The staff session of the counter console, admin and reports: the sign-in
// form, error lines and toasts, sign-out, and a session that expired (401)
// sending the page back to sign-in. Each page says how it opens (enter),
// how it goes back to the sign-in screen (leave) and where an error
// without a line of its own is shown (report).

import { t } from '/assets/i18n.js';
import { $, api, ApiError, setToken, token } from '/assets/api.js';

/** Shows an error (or a message) in an alert line. */
export function showError(el, err) {
  el.textContent = err instanceof Error ? err.message : String(err);
  el.hidden = false;
}

/** Hides an alert line. */
export function clearError(el) {
  el.hidden = true;
  el.textContent = '';
}

let toastTimer = 0;

/** Shows a short message in the page's #toast for a few seconds. */
export function toast(msg) {
  const el = $('toast');
  el.textContent = msg;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 3500);
}

/**
 * Wires a staff page's sign-in form (#login-form with #username, #password,
 * #login-submit and #login-error) and its #signout button.
 *
 * enter() runs once a token is kept: it loads /api/v1/me and opens the page
 * (or calls refuse). leave() forgets the page's state and shows the sign-in
 * screen. report(err) shows an error failed() was given no line for.
 */
export function staffSession({ enter, leave, report }) {
  /** Handles an API failure: an expired session goes back to sign-in. */
  function failed(err, el) {
    if (err instanceof ApiError && err.status === 401 && token()) {
      setToken('');
      leave();
      showError($('login-error'), err);
      return;
    }
    if (!(err instanceof ApiError)) console.error(err);
    if (el) showError(el, err);
    else report(err);
  }

  /** Ends the session on the server (best effort) and here. */
  async function logout() {
    try {
      await api('POST', '/api/v1/logout');
    } catch {
      /* the token is forgotten here either way */
    }
    setToken('');
  }

  /** Turns away an account this page is not for, with a message. */
  async function refuse(message) {
    await logout();
    leave();
    showError($('login-error'), message);
  }

  async function signIn(ev) {
    ev.preventDefault();
    const errEl = $('login-error');
    clearError(errEl);
    const btn = $('login-submit');
    btn.disabled = true;
    btn.textContent = t('login.busy');
    try {
      const r = await api('POST', '/api/v1/login', { username: $('username').value.trim(), password: $('password').value });
      setToken(r.token);
      $('password').value = '';
      await enter();
    } catch (err) {
      failed(err, errEl);
      $('password').select();
    } finally {
      btn.disabled = false;
      btn.textContent = t('login.submit');
    }
  }

  async function signOut() {
    await logout();
    leave();
    $('username').focus();
  }

  /** Binds the form and the button, and resumes a kept session. */
  function start() {
    $('login-form').addEventListener('submit', signIn);
    $('signout').addEventListener('click', signOut);
    if (!token()) {
      leave();
      $('username').focus();
      return;
    }
    enter().catch((err) => {
      leave();
      failed(err, $('login-error'));
    });
  }

  return { failed, refuse, start };
}

/**
 * Fetches a file with the staff member's token (a report, a plan) and hands
 * it to the browser as a download named `name`. Throws an ApiError with the
 * server's message when refused, a network one when the server is not
 * reached.
 */
export async function downloadWithToken(url, name, lang) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Authorization: 'Bearer ' + token(), 'Accept-Language': lang }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('common.network_error'));
  }
  if (!resp.ok) {
    let e = null;
    try {
      e = (await resp.json()).error;
    } catch {
      /* not JSON */
    }
    throw new ApiError(resp.status, e ? e.code : 'http', e ? e.message : `HTTP ${resp.status}`);
  }
  const href = URL.createObjectURL(await resp.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}
