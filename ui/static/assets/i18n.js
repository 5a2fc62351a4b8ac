// The message machinery of Xếp Hàng's web pages: Vietnamese (default) and
// English. This file holds the words several pages share; each page adds
// its own catalogue (booking/booking.i18n.js, counter/counter.i18n.js, …)
// with extend() before it shows anything. Pages mark text with
// data-i18n="key" (text content) and data-i18n-attr="attr:key;attr:key"
// (attributes); scripts call t(key, params). The choice of language is
// kept in localStorage and sent to the API as Accept-Language, so API
// errors come back in the same language.

const messages = {
  vi: {
    'app.name': 'Xếp Hàng',
    'lang.switch': 'English',
    'lang.switch.label': 'Chuyển sang tiếng Anh',
    'common.loading': 'Đang tải…',
    'common.cancel': 'Huỷ',
    'common.ok': 'Đồng ý',
    'common.close': 'Đóng',
    'common.minutes': '{n} phút',
    'common.under_minute': 'dưới 1 phút',
    'common.hours_minutes': '{h} giờ {m} phút',
    'common.network_error': 'Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.',
    'common.priority': 'Ưu tiên',
    'common.booked': 'Đặt lịch',
    'common.counter': 'Quầy {n}',
    'conn.live': 'Đang cập nhật trực tiếp',
    'conn.connecting': 'Đang kết nối…',
    'conn.offline': 'Mất kết nối, đang thử lại…',

    'login.username': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    'login.busy': 'Đang đăng nhập…',

    'console.signed_in_as': 'Cán bộ: {name}',
    'console.signout': 'Đăng xuất',

    'weekday.0': 'Chủ nhật',
    'weekday.1': 'Thứ Hai',
    'weekday.2': 'Thứ Ba',
    'weekday.3': 'Thứ Tư',
    'weekday.4': 'Thứ Năm',
    'weekday.5': 'Thứ Sáu',
    'weekday.6': 'Thứ Bảy',

    'priority.disabled': 'Người khuyết tật',
    'priority.pregnant': 'Phụ nữ mang thai',
    'priority.child': 'Trẻ em',
    'priority.merit': 'Người có công với cách mạng',
    'osk.label': 'Bàn phím',
    'osk.digits_label': 'Bàn phím số',
    'osk.backspace': 'Xoá ký tự',
    'osk.shift': 'Chữ hoa',
    'osk.space': 'Dấu cách',
    'osk.done': 'Ẩn bàn phím',
    'osk.clear': 'Xoá hết',
    'osk.telex': 'Gõ tiếng Việt (Telex)',
    'osk.telex_on': 'Tiếng Việt: bật',
    'osk.telex_off': 'Tiếng Việt: tắt',
    'precheck.status.present': 'Có đủ',
    'precheck.status.missing': 'Thiếu',
    'precheck.status.unreadable': 'Không đọc được',
    'precheck.status.inconsistent': 'Không khớp',
  },
  en: {
    'app.name': 'Xếp Hàng',
    'lang.switch': 'Tiếng Việt',
    'lang.switch.label': 'Switch to Vietnamese',
    'common.loading': 'Loading…',
    'common.cancel': 'Cancel',
    'common.ok': 'OK',
    'common.close': 'Close',
    'common.minutes': '{n} min',
    'common.under_minute': 'under 1 min',
    'common.hours_minutes': '{h} h {m} min',
    'common.network_error': 'Cannot reach the server. Check the network and try again.',
    'common.priority': 'Priority',
    'common.booked': 'Booked',
    'common.counter': 'Counter {n}',
    'conn.live': 'Live',
    'conn.connecting': 'Connecting…',
    'conn.offline': 'Connection lost, retrying…',

    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',

    'console.signed_in_as': 'Clerk: {name}',
    'console.signout': 'Sign out',

    'weekday.0': 'Sunday',
    'weekday.1': 'Monday',
    'weekday.2': 'Tuesday',
    'weekday.3': 'Wednesday',
    'weekday.4': 'Thursday',
    'weekday.5': 'Friday',
    'weekday.6': 'Saturday',

    'priority.disabled': 'Person with a disability',
    'priority.pregnant': 'Pregnant woman',
    'priority.child': 'Child',
    'priority.merit': 'Person with revolutionary merit',
    'osk.label': 'Keyboard',
    'osk.digits_label': 'Number keypad',
    'osk.backspace': 'Delete a character',
    'osk.shift': 'Capital letter',
    'osk.space': 'Space',
    'osk.done': 'Hide keyboard',
    'osk.clear': 'Clear',
    'osk.telex': 'Vietnamese typing (Telex)',
    'osk.telex_on': 'Vietnamese: on',
    'osk.telex_off': 'Vietnamese: off',
    'precheck.status.present': 'Present',
    'precheck.status.missing': 'Missing',
    'precheck.status.unreadable': 'Unreadable',
    'precheck.status.inconsistent': 'Inconsistent',
  },
};

/** Adds a page's catalogue, {vi: {key: text}, en: {key: text}}, to the shared words. */
export function extend(catalogue) {
  for (const [l, m] of Object.entries(catalogue)) Object.assign(messages[l], m);
}

const storageKey = 'xephang.lang';
export const languages = Object.keys(messages);

function stored() {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null; // storage disabled: fall back to the default
  }
}

/** The current language: ?lang= in the address, the stored choice, or Vietnamese. */
export function lang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && messages[q]) return q;
  const s = stored();
  return s && messages[s] ? s : 'vi';
}

/** Sets and remembers the language, re-translates the page and tells listeners. */
export function setLang(l) {
  if (!messages[l]) return;
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    /* not remembered; still switched for this page */
  }
  const u = new URL(location.href);
  if (u.searchParams.has('lang')) {
    u.searchParams.set('lang', l);
    history.replaceState(null, '', u);
  }
  apply();
  document.dispatchEvent(new CustomEvent('langchange', { detail: l }));
}

/** The message of key in the current language, with {name} filled from params. */
export function t(key, params = {}) {
  return tIn(lang(), key, params);
}

/** The message of key in language l (a kiosk offers its voice in both). */
export function tIn(l, key, params = {}) {
  let s = messages[l]?.[key] ?? messages.vi[key];
  if (s === undefined) {
    console.warn('i18n: no message', key);
    return key;
  }
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** Translates every marked element under root and sets <html lang>. */
export function apply(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/**
 * Makes button a switch between Vietnamese and English. Its name is its
 * visible text, the other language's own name in that language (a speech
 * user says what they see, WCAG 2.5.3); the longer "switch to…" is its
 * description.
 */
export function bindSwitch(button) {
  const render = () => {
    button.textContent = t('lang.switch');
    button.removeAttribute('aria-label');
    button.title = t('lang.switch.label');
    button.lang = lang() === 'vi' ? 'en' : 'vi';
  };
  button.addEventListener('click', () => setLang(lang() === 'vi' ? 'en' : 'vi'));
  document.addEventListener('langchange', render);
  render();
}

/** A service's name in the current language (the API gives name and name_en). */
export function serviceName(svc) {
  if (!svc) return '';
  return lang() === 'en' && svc.name_en ? svc.name_en : svc.name;
}

/** A duration in seconds, rounded up to minutes, as words. */
export function duration(seconds) {
  if (!(seconds > 0)) return t('common.under_minute');
  const m = Math.ceil(seconds / 60);
  if (m < 1) return t('common.under_minute');
  if (m < 60) return t('common.minutes', { n: m });
  return t('common.hours_minutes', { h: Math.floor(m / 60), m: m % 60 });
}

/** The locale for Intl formatting. */
export function locale() {
  return lang() === 'en' ? 'en-GB' : 'vi-VN';
}
