// The notification choices of the public pages: the fields a page marks
// with a prefix (PREFIX-consent, PREFIX-email, PREFIX-push, and PREFIX-sms
// or PREFIX-phone), read into the API's NotifyRequest, checked before
// sending, and the channels of a NotifyView said in words.

import '/assets/notify.i18n.js';
import { t } from '/assets/i18n.js';
import { $ } from '/assets/api.js';
import { PushError, pushSupported, subscribe } from '/assets/push.js';

/** A Vietnamese mobile number as the server wants it (0 and 9 digits), or ''. */
export function mobile(v) {
  let s = (v || '').replace(/[\s.-]/g, '');
  if (s.startsWith('+84')) s = '0' + s.slice(3);
  else if (s.startsWith('84') && s.length === 11) s = '0' + s.slice(2);
  return /^0[35789]\d{8}$/.test(s) ? s : '';
}

const emailRe = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Disables the push choice where the browser cannot receive push. */
export function preparePush(prefix) {
  const box = $(prefix + '-push');
  if (!box || pushSupported()) return;
  box.checked = false;
  box.disabled = true;
  const hint = $(prefix + '-push-hint');
  if (hint) hint.hidden = false;
}

/**
 * Reads the choices: phone is the number the SMS box points at (the form's
 * own phone field, phoneInput, marked when the box is ticked without a
 * number) or, without an SMS box, PREFIX-phone. Returns {request, push,
 * any, error: {input, message}|null}; request has no push yet.
 */
export function readNotify(prefix, phone = '', phoneInput = null) {
  const sms = $(prefix + '-sms');
  if (sms && sms.checked && !phone.trim() && phoneInput) {
    return { request: {}, push: false, any: true, error: { input: phoneInput, message: t('notify.err.phone') } };
  }
  const own = sms ? null : $(prefix + '-phone');
  const rawPhone = sms ? (sms.checked ? phone : '') : own.value.trim();
  const email = $(prefix + '-email').value.trim();
  const push = $(prefix + '-push').checked;
  const consent = $(prefix + '-consent').checked;
  const request = { consent };
  let error = null;
  if (rawPhone) {
    const m = mobile(rawPhone);
    if (m) request.phone = m;
    else if (own) error = { input: own, message: t('notify.err.phone') };
  }
  if (email) {
    if (emailRe.test(email)) request.email = email;
    else error ||= { input: $(prefix + '-email'), message: t('notify.err.email') };
  }
  const any = !!(request.phone || request.email || push);
  if (!error && any && !consent) error = { input: $(prefix + '-consent'), message: t('notify.err.consent') };
  return { request, push, any, error };
}

/** Adds the browser's push subscription to request (asking for permission); throws Error with a message for the citizen. */
export async function withPush(request) {
  try {
    request.push = await subscribe();
  } catch (err) {
    if (err instanceof PushError) throw new Error(t('notify.push.' + err.code, { reason: err.message }));
    throw err;
  }
  return request;
}

/** "Zalo/SMS, e-mail" of a NotifyView's channels. */
export function channelWords(channels) {
  return (channels || []).map((c) => t('notify.ch.' + c)).join(', ');
}
