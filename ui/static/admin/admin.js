// Admin: an administrator signs in and manages centres (the whole
// configuration PUT to /api/v1/centres/{id}: hours, breaks, closed days,
// services, counters, rules), staff accounts, kiosks (status, revoking,
// one-time enrolment tokens) and reads a centre's audit log; it shows the
// staff alerts in force (live from the event stream), the notifications
// sent to citizens (state per channel and per message), manages webhooks
// (create with a secret shown once, test event, delivery log, delete) and
// closes a day unexpectedly. Sections are chosen by the URL's hash
// (#centres, #staff, #kiosks, #audit, #alerts, #messages, #webhooks,
// #closeday); reports live on their own page (/admin/reports.html).

import '/admin/admin.i18n.js';
import { apply, bindSwitch, locale, serviceName, t } from '/assets/i18n.js';
import { $, api, ApiError, EventStream, h, seg } from '/assets/api.js';
import { clearError, showError, staffSession, toast } from '/assets/staff.js';
import { dateField, formatDate } from '/assets/dates.js';

const sections = ['centres', 'staff', 'kiosks', 'audit', 'questions', 'alerts', 'messages', 'webhooks', 'closeday'];

const state = {
  me: null,
  centres: [], // GET /api/v1/centres
  users: [],
  kiosks: [],
  draft: null, // the centre being edited (the API's JSON)
  isNew: false,
  editingUser: null, // username, or '' for a new account
  revoking: null,
  kioskTimer: 0,
  alertStream: null, // the event stream of the centre whose alerts are shown
  hooks: [],
  hookLog: null, // the webhook whose deliveries are shown
  confirm: null, // what the confirmation dialog does when confirmed
};

// ---- helpers ------------------------------------------------------------------

// Leaving admin: signed out, refused, or the session expired.
function leave() {
  state.me = null;
  clearInterval(state.kioskTimer);
  stopAlerts();
  showScreen('login');
}

const { failed, refuse, start } = staffSession({ enter: afterSignIn, leave, report: (err) => toast(err.message) });

// The time zone of a centre (as configured; every centre in Việt Nam is in
// Asia/Ho_Chi_Minh): times of a centre's kiosks, tokens and audit are shown
// in it, not in the zone of the computer the administrator uses.
function centreZone(id) {
  const c = state.centres.find((x) => x.id === id);
  return (c && c.timezone) || 'Asia/Ho_Chi_Minh';
}

function dateTime(iso, timeZone) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '—';
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium', timeZone }).format(d);
  } catch { // a zone this browser does not know
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium' }).format(d);
  }
}

function ago(iso, timeZone) {
  const d = Date.parse(iso);
  if (!iso || Number.isNaN(d) || new Date(d).getFullYear() < 2000) return t('admin.kiosks.never');
  const s = Math.max(0, Math.round((Date.now() - d) / 1000));
  if (s < 60) return t('admin.ago.seconds', { n: s });
  if (s < 3600) return t('admin.ago.minutes', { n: Math.floor(s / 60) });
  if (s < 86400) return t('admin.ago.hours', { n: Math.floor(s / 3600) });
  return dateTime(iso, timeZone);
}

const int = (v) => {
  const n = Number.parseInt(String(v).trim(), 10);
  return Number.isFinite(n) ? n : 0;
};

function centreName(id) {
  const c = state.centres.find((x) => x.id === id);
  return c ? c.name : id || '—';
}

function centreOptions(select, { none = false } = {}) {
  const keep = select.value;
  select.replaceChildren(
    ...(none ? [h('option', { value: '' }, t('admin.staff.no_centre'))] : []),
    ...state.centres.map((c) => h('option', { value: c.id }, `${c.name} (${c.id})`)),
  );
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

// ---- screens and sections --------------------------------------------------------

function showScreen(which) {
  $('login').hidden = which !== 'login';
  $('nav').hidden = which === 'login';
  $('signout').hidden = which === 'login';
  if (which === 'login') {
    for (const s of sections) $('sec-' + s).hidden = true;
    $('who').textContent = '';
  }
}

function currentSection() {
  const s = location.hash.replace('#', '');
  return sections.includes(s) ? s : 'centres';
}

async function showSection() {
  if (!state.me) return;
  const which = currentSection();
  for (const s of sections) $('sec-' + s).hidden = s !== which;
  for (const a of document.querySelectorAll('#nav a[data-section]')) {
    if (a.dataset.section === which) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.dataset.section = which;
  clearInterval(state.kioskTimer);
  if (which !== 'alerts') stopAlerts();
  try {
    if (which === 'centres') await loadCentres();
    if (which === 'staff') await loadUsers();
    if (which === 'kiosks') {
      await loadKiosks();
      state.kioskTimer = setInterval(() => loadKiosks().catch(() => {}), 10000);
    }
    if (which === 'audit') await loadAudit();
    if (which === 'alerts') await loadAlerts();
    if (which === 'questions') await loadQuestions();
    if (which === 'messages') await loadMessages();
    if (which === 'webhooks') await loadHooks();
    if (which === 'closeday') centreOptions($('close-centre'));
  } catch (err) {
    failed(err);
  }
}

// ---- sign in ----------------------------------------------------------------------

async function afterSignIn() {
  const me = await api('GET', '/api/v1/me');
  if (me.role !== 'admin') {
    // A clerk's token is no use here; do not keep it.
    await refuse(t('admin.login.not_admin'));
    return;
  }
  state.me = me;
  $('who').textContent = t('console.signed_in_as', { name: me.name || me.username });
  showScreen('admin');
  state.centres = await api('GET', '/api/v1/centres');
  await showSection();
}

// ---- centres ------------------------------------------------------------------------

async function loadCentres() {
  state.centres = await api('GET', '/api/v1/centres');
  $('centre-list').replaceChildren(
    ...state.centres.map((c) =>
      h('tr', { dataset: { centre: c.id } },
        h('td', {}, h('code', {}, c.id)),
        h('td', {}, c.name),
        h('td', {}, c.address || '—'),
        h('td', {}, c.bookable ? t('admin.yes') : t('admin.no')),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'secondary small', onclick: () => editCentre(c.id), 'aria-label': t('admin.edit_named', { name: c.name }) }, t('admin.edit')),
          ' ',
          h('a', { href: `/display/?centre=${seg(c.id)}`, target: '_blank', rel: 'noopener' }, t('admin.centres.display'))))),
  );
}

function blankCentre() {
  return {
    id: '', name: '', address: '', timezone: 'Asia/Ho_Chi_Minh',
    hours: [1, 2, 3, 4, 5].map((d) => ({ weekday: d, open: '07:30', close: '17:00' })),
    breaks: [{ start: '11:30', end: '13:00' }], closed_dates: [],
    services: [{ code: 'A', name: '', name_en: '', minutes: 10, bookable: false }],
    counters: [{ number: 1, name: 'Quầy 1', services: ['A'] }],
    rules: {},
  };
}

async function editCentre(id) {
  try {
    const c = id ? await api('GET', `/api/v1/centres/${seg(id)}`) : blankCentre();
    c.breaks ||= [];
    c.closed_dates ||= [];
    c.rules ||= {};
    for (const s of c.services) s.papers ||= [];
    state.draft = c;
    state.isNew = !id;
    renderEditor();
    $('centre-form').hidden = false;
    $('centre-form').scrollIntoView({ block: 'start' });
    (id ? $('c-name') : $('c-id')).focus();
  } catch (err) {
    failed(err);
  }
}

function clearCentreErrors() {
  clearError($('centre-error'));
  clearError($('centre-error-foot'));
  for (const el of document.querySelectorAll('#centre-form .part-error')) clearError(el);
  for (const el of document.querySelectorAll('#centre-form .invalid')) el.classList.remove('invalid');
  for (const el of document.querySelectorAll('#centre-form [aria-invalid]')) el.removeAttribute('aria-invalid');
}

// The part of the centre form, and the input when there is one, that a
// server error names in its field ("services[2].code", "counters[0].number",
// "timezone", "rules.priority_mode"…).
function fieldTarget(path) {
  if (!path) return {};
  const m = /^(services|counters)\[(\d+)\](?:\.([a-z_]+))?/.exec(path);
  if (m) {
    const row = m[1] === 'services' ? '#c-services .svc' : '#c-counters .ctr';
    return { part: m[1], input: m[3] ? document.querySelector(`${row}[data-index="${m[2]}"] [name="${m[3]}"]`) : null };
  }
  const top = path.split(/[.[]/)[0];
  const parts = { id: 'general', name: 'general', address: 'general', timezone: 'general', hours: 'hours', breaks: 'hours', closed_dates: 'hours', services: 'services', counters: 'counters', rules: 'rules' };
  const inputs = { id: 'c-id', name: 'c-name', timezone: 'c-tz' };
  return { part: parts[top] || '', input: inputs[path] ? $(inputs[path]) : null };
}

function renderEditor() {
  const c = state.draft;
  clearCentreErrors();
  $('centre-form-title').textContent = state.isNew ? t('admin.centre.new_title') : t('admin.centre.edit_title', { name: c.name });
  $('c-id').value = c.id;
  $('c-id').readOnly = !state.isNew;
  $('c-name').value = c.name;
  $('c-address').value = c.address || '';
  $('c-tz').value = c.timezone || '';
  renderHours();
  renderBreaks();
  renderClosed();
  renderServices();
  renderCounters();
  renderRules();
}

const weekdays = [1, 2, 3, 4, 5, 6, 0];

function renderHours() {
  const c = state.draft;
  $('c-hours').replaceChildren(
    ...weekdays.map((d) => {
      const hrs = c.hours.find((x) => x.weekday === d);
      const open = h('input', { type: 'time', value: hrs ? hrs.open : '07:30', disabled: !hrs, 'aria-label': t('admin.centre.open_at', { day: t('weekday.' + d) }) });
      const close = h('input', { type: 'time', value: hrs ? hrs.close : '17:00', disabled: !hrs, 'aria-label': t('admin.centre.close_at', { day: t('weekday.' + d) }) });
      const on = h('input', { type: 'checkbox', checked: !!hrs, id: 'day-' + d });
      const sync = () => {
        c.hours = c.hours.filter((x) => x.weekday !== d);
        if (on.checked) c.hours.push({ weekday: d, open: open.value, close: close.value });
        c.hours.sort((a, b) => a.weekday - b.weekday);
        open.disabled = close.disabled = !on.checked;
      };
      on.addEventListener('change', sync);
      open.addEventListener('input', sync);
      close.addEventListener('input', sync);
      return h('tr', { dataset: { weekday: d } },
        h('th', { scope: 'row' }, h('label', { for: 'day-' + d, class: 'day' }, on, ' ', t('weekday.' + d))),
        h('td', {}, open), h('td', { class: 'dash' }, '–'), h('td', {}, close));
    }),
  );
}

function removeButton(label, fn) {
  return h('button', { type: 'button', class: 'link remove', 'aria-label': label, onclick: fn }, t('admin.remove'));
}

function renderBreaks() {
  const c = state.draft;
  $('c-breaks').replaceChildren(
    ...c.breaks.map((b, i) => {
      const start = h('input', { type: 'time', value: b.start, 'aria-label': t('admin.centre.break_start'), oninput: (e) => (b.start = e.target.value) });
      const end = h('input', { type: 'time', value: b.end, 'aria-label': t('admin.centre.break_end'), oninput: (e) => (b.end = e.target.value) });
      return h('li', {}, start, h('span', { class: 'dash' }, '–'), end,
        removeButton(t('admin.remove'), () => {
          c.breaks.splice(i, 1);
          renderBreaks();
        }));
    }),
  );
}

function renderClosed() {
  const c = state.draft;
  $('c-closed').replaceChildren(
    ...c.closed_dates.map((d, i) =>
      h('li', {},
        // dd/mm/yyyy whatever the browser's locale; what is not a date
        // goes to the server as typed, which names the field at fault.
        dateField(h('input', { 'aria-label': t('admin.centre.closed'), oninput: (e) => (c.closed_dates[i] = e.target.iso || e.target.value) }), d),
        removeButton(t('admin.remove'), () => {
          c.closed_dates.splice(i, 1);
          renderClosed();
        }))),
  );
}

/** A labelled input bound to obj[key]; kind is 'text', 'int' or 'bool'. */
function field(obj, key, label, kind = 'text', props = {}, onchange) {
  const id = 'f' + Math.random().toString(36).slice(2, 9);
  let input;
  if (kind === 'bool') {
    input = h('input', { type: 'checkbox', id, name: key, checked: !!obj[key] });
    input.addEventListener('change', () => {
      obj[key] = input.checked;
      if (onchange) onchange();
    });
    return h('div', { class: 'check' }, h('label', { for: id }, input, ' ', label));
  }
  input = h('input', {
    id, name: key, ...props,
    type: kind === 'int' ? 'number' : 'text',
    value: obj[key] === undefined || obj[key] === null || (kind === 'int' && !obj[key]) ? '' : String(obj[key]),
  });
  input.addEventListener('input', () => {
    if (kind === 'int') {
      if (input.value.trim() === '') delete obj[key];
      else obj[key] = int(input.value);
    } else obj[key] = input.value;
  });
  if (onchange) input.addEventListener('change', onchange);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function renderServices() {
  const c = state.draft;
  $('c-services').replaceChildren(
    ...c.services.map((s, i) => {
      const papers = h('textarea', { rows: 2, name: 'papers', 'aria-label': t('admin.service.papers') });
      papers.value = (s.papers || []).join('\n');
      papers.addEventListener('input', () => (s.papers = papers.value.split('\n').map((x) => x.trim()).filter(Boolean)));
      const slot = h('div', { class: 'slot-fields', hidden: !s.bookable },
        field(s, 'slot_minutes', t('admin.service.slot_minutes'), 'int', { min: 5, max: 240 }),
        field(s, 'slot_capacity', t('admin.service.slot_capacity'), 'int', { min: 1, max: 100 }),
        field(s, 'walk_in_share', t('admin.service.walk_in_share'), 'int', { min: 0, max: 90 }));
      return h('div', { class: 'svc', dataset: { index: i } },
        h('div', { class: 'svc-main' },
          field(s, 'code', t('admin.service.code'), 'text', { maxlength: 2, class: 'code', autocapitalize: 'characters', spellcheck: 'false' }, () => {
            s.code = s.code.trim().toUpperCase();
            renderCounters();
          }),
          field(s, 'name', t('admin.service.name'), 'text', { maxlength: 200 }),
          field(s, 'name_en', t('admin.service.name_en'), 'text', { maxlength: 200 }),
          field(s, 'minutes', t('admin.service.minutes'), 'int', { min: 1, max: 480 }),
          field(s, 'bookable', t('admin.service.bookable'), 'bool', {}, () => (slot.hidden = !s.bookable))),
        slot,
        h('div', { class: 'slot-fields' }, field(s, 'alert_wait_minutes', t('admin.service.alert_wait_minutes'), 'int', { min: 1, max: 600, placeholder: t('admin.rules.default') })),
        h('div', { class: 'field papers' }, h('label', {}, t('admin.service.papers')), papers),
        h('div', { class: 'svc-foot' }, removeButton(t('admin.service.remove', { code: s.code }), () => {
          c.services.splice(i, 1);
          renderServices();
          renderCounters();
        })));
    }),
  );
}

function renderCounters() {
  const c = state.draft;
  const codes = c.services.map((s) => s.code).filter(Boolean);
  $('c-counters').replaceChildren(
    ...c.counters.map((k, i) =>
      h('div', { class: 'ctr', dataset: { index: i } },
        field(k, 'number', t('admin.counter.number'), 'int', { min: 1, max: 999 }),
        field(k, 'name', t('admin.counter.name'), 'text', { maxlength: 100 }),
        h('fieldset', { class: 'ctr-services' },
          h('legend', {}, t('admin.counter.services')),
          ...codes.map((code) => {
            const box = h('input', { type: 'checkbox', name: 'svc-' + code, value: code, checked: k.services.includes(code) });
            box.addEventListener('change', () => {
              k.services = codes.filter((x) => (x === code ? box.checked : k.services.includes(x)));
            });
            const svc = c.services.find((s) => s.code === code);
            return h('label', { class: 'chip', title: serviceName(svc) }, box, ' ', code);
          })),
        removeButton(t('admin.counter.remove', { n: k.number }), () => {
          c.counters.splice(i, 1);
          renderCounters();
        }))),
  );
}

const ruleFields = [
  ['priority_every', 1, 50], ['no_show_min_calls', 1, 10], ['recall_gap_seconds', 0, 3600],
  ['booking_days', 1, 60], ['min_notice_minutes', 0, 1440], ['bookings_per_day', 1, 10], ['bookings_per_service', 1, 10],
  ['max_reschedules', 0, 10], ['check_in_early_minutes', 0, 240], ['late_grace_minutes', 0, 120],
  ['no_show_limit', 0, 20], ['no_show_window_days', 1, 365], ['no_show_block_days', 1, 365], ['retention_days', 1, 3650],
  ['numbers_per_day', 1, 20], ['near_position', 1, 50], ['near_minutes', 1, 240],
  ['alert_wait_minutes', 5, 600], ['alert_pause_minutes', 1, 600],
];

// The orders of phone gateways a centre may choose (rules.phone_channels).
const phoneOrders = ['zns,sms', 'sms,zns', 'zns', 'sms'];

function renderRules() {
  const r = state.draft.rules;
  const mode = h('select', { id: 'r-priority-mode', name: 'priority_mode' },
    h('option', { value: '' }, t('admin.rules.mode_default')),
    h('option', { value: 'strict' }, t('admin.rules.mode_strict')),
    h('option', { value: 'interleave' }, t('admin.rules.mode_interleave')));
  mode.value = r.priority_mode || '';
  mode.addEventListener('change', () => {
    if (mode.value) r.priority_mode = mode.value;
    else delete r.priority_mode;
  });
  const phone = h('select', { id: 'r-phone-channels', name: 'phone_channels' },
    h('option', { value: '' }, t('admin.rules.phone_default')),
    ...phoneOrders.map((o) => h('option', { value: o }, t('admin.rules.phone.' + o.replace(',', '_')))));
  phone.value = (r.phone_channels || []).join(',');
  if (phone.value !== (r.phone_channels || []).join(',')) phone.value = '';
  phone.addEventListener('change', () => {
    if (phone.value) r.phone_channels = phone.value.split(',');
    else delete r.phone_channels;
  });
  const clock = (key) => {
    const f = field(r, key, t('admin.rules.' + key), 'text', { placeholder: key === 'online_from' ? '08:00' : '16:00', pattern: '[0-2][0-9]:[0-5][0-9]', maxlength: 5, inputmode: 'numeric' });
    const input = f.querySelector('input');
    input.addEventListener('input', () => {
      if (!input.value.trim()) delete r[key];
    });
    return f;
  };
  $('c-rules').replaceChildren(
    h('div', { class: 'field' }, h('label', { for: 'r-priority-mode' }, t('admin.rules.priority_mode')), mode),
    clock('online_from'), clock('online_until'),
    h('div', { class: 'field' }, h('label', { for: 'r-phone-channels' }, t('admin.rules.phone_channels')), phone),
    ...ruleFields.map(([k, min, max]) => field(r, k, t('admin.rules.' + k), 'int', { min, max, placeholder: t('admin.rules.default') })),
  );
}

/** Puts an API validation message next to the part of the form it is about. */
function placeCentreError(err) {
  const msg = (err && err.message) || '';
  const m = msg.toLowerCase();
  const target = fieldTarget(err && err.field);
  let part = target.part || '';
  if (part) { /* named by the server */ } else if (/quầy|counter/.test(m)) part = 'counters';
  else if (/lĩnh vực|service|slot|walk_in/.test(m)) part = 'services';
  else if (/giờ nghỉ|break|ngày nghỉ|closed date|giờ làm việc|hours|weekday|thứ /.test(m)) part = 'hours';
  else if (/quy tắc|rules|priority_mode|đặt lịch|booking/.test(m)) part = 'rules';
  else if (/tên trung tâm|centre name|múi giờ|time zone|mã trung tâm|centre id/.test(m)) part = 'general';
  const box = part && document.querySelector(`#centre-form fieldset[data-part="${part}"] .part-error`);
  if (box) {
    showError(box, err);
    box.closest('fieldset').classList.add('invalid');
  }
  showError($('centre-error'), err);
  showError($('centre-error-foot'), err);
  if (target.input) {
    target.input.setAttribute('aria-invalid', 'true');
    target.input.focus();
  }
  (target.input || box || $('centre-error')).scrollIntoView({ block: 'center' });
}

async function saveCentre(ev) {
  ev.preventDefault();
  const c = state.draft;
  clearCentreErrors();
  c.id = $('c-id').value.trim();
  c.name = $('c-name').value.trim();
  c.address = $('c-address').value.trim();
  c.timezone = $('c-tz').value.trim();
  if (!c.id) {
    placeCentreError(new Error(t('admin.centre.id_required')));
    $('c-id').focus();
    return;
  }
  for (const s of c.services) {
    s.code = (s.code || '').trim().toUpperCase();
    if (!s.bookable) {
      delete s.slot_minutes;
      delete s.slot_capacity;
      delete s.walk_in_share;
    }
  }
  const body = { ...c, closed_dates: c.closed_dates.filter(Boolean) };
  const btn = $('centre-save');
  btn.disabled = true;
  try {
    const saved = await api('PUT', `/api/v1/centres/${seg(c.id)}`, body);
    toast(t('admin.centre.saved', { name: saved.name }));
    document.body.dataset.saved = saved.id + ':' + Date.now();
    state.isNew = false;
    state.draft = { ...saved, breaks: saved.breaks || [], closed_dates: saved.closed_dates || [], rules: saved.rules || {} };
    for (const s of state.draft.services) s.papers ||= [];
    renderEditor();
    await loadCentres();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) failed(err);
    else placeCentreError(err);
  } finally {
    btn.disabled = false;
  }
}

// ---- staff ---------------------------------------------------------------------------

async function loadUsers() {
  state.users = (await api('GET', '/api/v1/users')).filter((u) => u.role !== 'kiosk' && u.role !== 'rating');
  state.users.sort((a, b) => a.username.localeCompare(b.username));
  $('user-list').replaceChildren(
    ...state.users.map((u) =>
      h('tr', { dataset: { username: u.username }, class: u.disabled ? 'disabled' : '' },
        h('td', {}, h('code', {}, u.username)),
        h('td', {}, u.name || '—'),
        h('td', {}, u.role === 'admin' || u.role === 'clerk' ? t('admin.role.' + u.role) : u.role),
        h('td', {}, u.centre ? centreName(u.centre) : '—'),
        h('td', {}, u.disabled ? h('span', { class: 'badge off' }, t('admin.staff.locked')) : h('span', { class: 'badge on' }, t('admin.staff.active'))),
        h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'secondary small', onclick: () => editUser(u), 'aria-label': t('admin.edit_named', { name: u.username }) }, t('admin.edit'))))),
  );
}

function editUser(u) {
  state.editingUser = u ? u.username : '';
  clearError($('user-error'));
  centreOptions($('u-centre'), { none: true });
  $('user-form-title').textContent = u ? t('admin.staff.edit_title', { name: u.username }) : t('admin.staff.new_title');
  $('u-username').value = u ? u.username : '';
  $('u-username').readOnly = !!u;
  $('u-name').value = u ? u.name || '' : '';
  $('u-role').value = u ? u.role : 'clerk';
  $('u-centre').value = u ? u.centre || '' : state.centres.length ? state.centres[0].id : '';
  $('u-password').value = '';
  $('u-password').required = !u;
  $('u-password-hint').textContent = u ? t('admin.staff.password_keep') : t('admin.staff.password_new');
  $('u-disabled').checked = !!(u && u.disabled);
  $('user-form').hidden = false;
  (u ? $('u-name') : $('u-username')).focus();
}

async function saveUser(ev) {
  ev.preventDefault();
  clearError($('user-error'));
  const username = $('u-username').value.trim().toLowerCase();
  if (!username) {
    showError($('user-error'), t('admin.staff.username_required'));
    $('u-username').focus();
    return;
  }
  const body = { role: $('u-role').value, centre: $('u-centre').value, name: $('u-name').value.trim(), disabled: $('u-disabled').checked };
  if ($('u-password').value) body.password = $('u-password').value;
  const btn = $('user-save');
  btn.disabled = true;
  try {
    const u = await api('PUT', `/api/v1/users/${seg(username)}`, body);
    toast(t('admin.staff.saved', { name: u.username }));
    $('u-password').value = '';
    $('user-form').hidden = true;
    await loadUsers();
  } catch (err) {
    failed(err, $('user-error'));
  } finally {
    btn.disabled = false;
  }
}

// ---- kiosks ----------------------------------------------------------------------------

async function loadKiosks() {
  centreOptions($('enroll-centre'));
  loadTokens().catch(failed);
  state.kiosks = await api('GET', '/api/v1/kiosks');
  state.kiosks.sort((a, b) => Number(a.revoked || 0) - Number(b.revoked || 0) || (a.centre + a.name).localeCompare(b.centre + b.name));
  $('kiosk-empty').hidden = state.kiosks.length > 0;
  $('kiosk-list').replaceChildren(
    ...state.kiosks.map((k) =>
      h('tr', { dataset: { kiosk: k.id }, class: k.revoked ? 'revoked' : '' },
        h('td', {},
          h('span', { class: 'dot ' + (k.revoked ? 'revoked' : k.online ? 'online' : 'offline'), role: 'img', 'aria-label': k.revoked ? t('admin.kiosks.revoked') : k.online ? t('admin.kiosks.online') : t('admin.kiosks.offline') }),
          h('span', { class: 'kname' }, k.name || k.id), h('br'), h('code', { class: 'kid' }, k.id)),
        h('td', {}, centreName(k.centre)),
        h('td', { title: dateTime(k.last_seen, centreZone(k.centre)) }, ago(k.last_seen, centreZone(k.centre))),
        h('td', {}, k.version || '—'),
        h('td', {}, devices(k.devices)),
        h('td', { class: 'num' }, String(k.outbox || 0)),
        h('td', { class: 'kerr' }, k.last_error || '—'),
        h('td', { class: 'row-actions' }, k.revoked
          ? h('span', { class: 'badge off' }, t('admin.kiosks.revoked'))
          : h('button', { type: 'button', class: 'danger small', onclick: () => askRevoke(k) }, t('admin.kiosks.revoke'))))),
  );
}

function devices(list) {
  if (!list || !list.length) return '—';
  return h('ul', { class: 'devices' },
    ...list.map((d) => {
      const st = ['ok', 'warning', 'error', 'disconnected'].includes(d.status) ? d.status : 'warning';
      return h('li', { class: 'dev ' + st, title: d.detail || '' },
        h('span', { class: 'dot ' + st, 'aria-hidden': 'true' }),
        `${d.name || d.kind}: ${t('admin.device.' + st)}`,
        d.detail ? h('span', { class: 'detail' }, ` — ${d.detail}`) : null);
    }));
}

function askRevoke(k) {
  state.revoking = k;
  $('revoke-text').textContent = t('admin.kiosks.revoke_text', { name: k.name || k.id, centre: centreName(k.centre) });
  $('dlg-revoke').showModal();
}

async function revoke(ev) {
  ev.preventDefault();
  const k = state.revoking;
  $('dlg-revoke').close();
  if (!k) return;
  try {
    await api('POST', `/api/v1/kiosks/${seg(k.id)}/revoke`);
    toast(t('admin.kiosks.revoked_done', { name: k.name || k.id }));
    await loadKiosks();
  } catch (err) {
    failed(err);
  }
}

// The enrolment tokens still active and those ended in the last week:
// never the tokens themselves, only their ids (the start of their hash).
async function loadTokens() {
  const list = await api('GET', '/api/v1/enrollment-tokens');
  $('tokens').hidden = list.length === 0;
  $('token-list').replaceChildren(
    ...list.map((tk) =>
      h('tr', { dataset: { token: tk.id, status: tk.status } },
        h('td', {}, h('code', {}, tk.id.slice(0, 8))),
        h('td', {}, centreName(tk.centre)),
        h('td', {}, tk.created_by || '—'),
        h('td', { class: 'nowrap' }, dateTime(tk.expires_at, centreZone(tk.centre))),
        h('td', {}, tk.status === 'used' ? t('admin.kiosks.token_used', { kiosk: tk.used_by }) : t('admin.kiosks.token_' + tk.status)),
        h('td', { class: 'row-actions' }, tk.status === 'active'
          ? h('button', { type: 'button', class: 'secondary small', onclick: () => cancelToken(tk) }, t('admin.kiosks.cancel_token'))
          : null))),
  );
}

async function cancelToken(tk) {
  try {
    await api('DELETE', `/api/v1/enrollment-tokens/${seg(tk.id)}`);
    toast(t('admin.kiosks.token_cancelled_done', { id: tk.id.slice(0, 8) }));
    await loadTokens();
  } catch (err) {
    failed(err);
  }
}

async function createToken(ev) {
  ev.preventDefault();
  clearError($('enroll-error'));
  const centre = $('enroll-centre').value;
  if (!centre) return;
  const btn = $('enroll-create');
  btn.disabled = true;
  try {
    const r = await api('POST', '/api/v1/enrollment-tokens', { centre });
    $('enroll-token').textContent = r.token;
    $('enroll-expires').textContent = dateTime(r.expires_at, centreZone(centre));
    $('enroll-command').value = `kioskd enroll -server ${location.origin} -token ${r.token}`;
    $('enroll-result').hidden = false;
    loadTokens().catch(failed);
    $('enroll-command').focus();
    $('enroll-command').select();
  } catch (err) {
    failed(err, $('enroll-error'));
  } finally {
    btn.disabled = false;
  }
}

async function copyCommand() {
  const input = $('enroll-command');
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    toast(t('admin.copied'));
  } catch {
    // Without the clipboard API (plain http), the text stays selected.
    toast(t('admin.copy_manual'));
  }
}

// ---- audit --------------------------------------------------------------------------------

async function loadAudit() {
  const sel = $('audit-centre');
  centreOptions(sel);
  if (!sel.value) {
    $('audit-list').replaceChildren();
    $('audit-empty').hidden = false;
    return;
  }
  const list = await api('GET', `/api/v1/centres/${seg(sel.value)}/audit`);
  $('audit-empty').hidden = list.length > 0;
  $('audit-list').replaceChildren(
    ...list.map((a) =>
      h('tr', {},
        h('td', { class: 'nowrap' }, dateTime(a.at, centreZone(sel.value))),
        h('td', {}, a.actor || '—'),
        h('td', {}, auditAction(a.action)),
        h('td', {}, a.ticket || a.booking || '—'),
        h('td', {}, a.reason || ''))),
  );
}

const knownActions = new Set(['centre.configure', 'ticket.call_out_of_order', 'booking.create', 'booking.cancel', 'booking.reschedule', 'booking.check_in',
  'centre.close_day', 'notify.set', 'notify.remove', 'webhook.create', 'webhook.delete', 'webhook.test']);

function auditAction(action) {
  return knownActions.has(action) ? t('admin.audit.action.' + action) : action;
}

// ---- questions not understood ----------------------------------------------------------------

async function loadQuestions() {
  const sel = $('questions-centre');
  centreOptions(sel);
  if (!sel.value) {
    $('questions-list').replaceChildren();
    $('questions-empty').hidden = false;
    return;
  }
  const list = await api('GET', `/api/v1/centres/${seg(sel.value)}/procedure-questions?unanswered=1&days=30`);
  $('questions-empty').hidden = list.length > 0;
  $('questions-list').replaceChildren(...list.map((q) =>
    h('tr', {},
      h('td', {}, q.q),
      h('td', { class: 'num' }, String(q.count)),
      h('td', { class: 'nowrap' }, q.last_at ? dateTime(q.last_at, centreZone(sel.value)) : ''),
      h('td', {}, Object.entries(q.chosen || {}).sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} (${n})`).join(', ') || '—'))));
}

// ---- confirmation ---------------------------------------------------------------------------

/** Asks in a dialog; run() goes when the administrator confirms. */
function ask(title, text, ok, run) {
  state.confirm = run;
  $('dlg-confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  $('dlg-confirm').showModal();
}

async function confirmed(ev) {
  ev.preventDefault();
  const run = state.confirm;
  state.confirm = null;
  $('dlg-confirm').close();
  if (run) await run();
}

// ---- staff alerts ----------------------------------------------------------------------------

function stopAlerts() {
  if (state.alertStream) state.alertStream.stop();
  state.alertStream = null;
}

/** An alert in words: "Lĩnh vực A: chờ lâu nhất 52 phút (ngưỡng 45)". */
function alertText(a, cfg) {
  if (a.kind === 'pause') {
    const k = cfg && (cfg.counters || []).find((x) => x.number === a.counter);
    return t('admin.alerts.pause', { counter: (k && k.name) || t('common.counter', { n: a.counter }), minutes: a.minutes, limit: a.limit });
  }
  const svc = cfg && (cfg.services || []).find((x) => x.code === a.service);
  return t('admin.alerts.wait', { service: svc ? `${a.service} – ${serviceName(svc)}` : a.service, minutes: a.minutes, limit: a.limit });
}

async function loadAlerts() {
  const sel = $('alert-centre');
  centreOptions(sel);
  const id = sel.value;
  if (!id) return;
  const [cfg, list, q] = await Promise.all([
    api('GET', `/api/v1/centres/${seg(id)}`),
    api('GET', `/api/v1/centres/${seg(id)}/alerts`),
    state.alertStream && state.alertStream.centre === id ? null : api('GET', `/api/v1/centres/${seg(id)}/queue`),
  ]);
  $('alert-empty').hidden = list.length > 0;
  $('alert-list').replaceChildren(...list.map((a) =>
    h('li', { class: 'alert warn', dataset: { kind: a.kind, service: a.service || '', counter: String(a.counter || '') } },
      alertText(a, cfg), ' ',
      h('span', { class: 'hint' }, t('admin.alerts.since', { time: dateTime(a.since, centreZone(id)) })))));
  if (q) {
    stopAlerts();
    // Alerts are raised and cleared as time passes: the stream says when.
    state.alertStream = new EventStream(id, q.last_seq, {
      onEvent: (e) => {
        if (e.type === 'alert.raised' || e.type === 'alert.cleared') loadAlerts().catch(failed);
      },
      onReset: () => loadAlerts().catch(failed),
    }).start();
  }
}

// ---- notifications sent ----------------------------------------------------------------------

const channels = ['phone', 'email', 'push', 'webhook'];
const knownTopics = new Set(['issued', 'near', 'called', 'transferred', 'absent', 'booked', 'reminder_day', 'reminder_hour', 'cancelled', 'centre_closed', 'test']);

function topicText(topic) {
  if (knownTopics.has(topic)) return t('admin.topic.' + topic);
  if (eventTypes.includes(topic)) return t('admin.event.' + topic);
  return topic || '—';
}

/** What a message is about: its ticket number, booking code or webhook, never an address. */
function aboutText(m) {
  const kind = m.ref_kind || m.ref || '';
  const what = m.number || m.ticket || m.booking || m.code || m.webhook || '';
  if (kind === 'ticket' || kind === 'booking' || kind === 'webhook') return `${t('admin.ref.' + kind)} ${what}`.trim();
  return what || kind || '—';
}

function messageRow(m, zone, withChannel = true) {
  const detail = [];
  if (m.via) detail.push(t('admin.messages.via', { via: m.via }));
  if (m.error) detail.push(m.error);
  if (m.status === 'pending' && m.next_at) detail.push(t('admin.messages.next', { time: dateTime(m.next_at, zone) }));
  if (m.status === 'sent' && m.sent_at) detail.push(t('admin.messages.sent_at', { time: dateTime(m.sent_at, zone) }));
  return h('tr', { dataset: { message: m.id, status: m.status, channel: m.channel } },
    h('td', { class: 'nowrap' }, dateTime(m.created_at, zone)),
    withChannel ? h('td', {}, t('admin.channel.' + m.channel)) : null,
    h('td', {}, topicText(m.topic)),
    withChannel ? h('td', {}, aboutText(m)) : null,
    h('td', { class: 'status-' + m.status }, t('admin.messages.status.' + m.status)),
    h('td', { class: 'num' }, String(m.attempts || 0)),
    h('td', {}, detail.join(' · ')));
}

async function loadMessages() {
  const sel = $('msg-centre');
  centreOptions(sel);
  const id = sel.value;
  if (!id) return;
  const q = new URLSearchParams({ limit: '200' });
  if ($('msg-channel').value) q.set('channel', $('msg-channel').value);
  if ($('msg-status').value) q.set('status', $('msg-status').value);
  clearError($('msg-error'));
  let r;
  try {
    r = await api('GET', `/api/v1/centres/${seg(id)}/messages?${q}`);
  } catch (err) {
    // A store without an outbox (503) says so where the list would be.
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    r = { messages: [], summary: {} };
    showError($('msg-error'), err);
  }
  const sum = r.summary || {};
  const shown = [...channels.filter((c) => sum[c]), ...Object.keys(sum).filter((c) => !channels.includes(c))];
  $('msg-summary').replaceChildren(...(shown.length ? shown : channels).map((c) => {
    const n = sum[c] || {};
    return h('tr', { dataset: { channel: c } },
      h('th', { scope: 'row' }, t('admin.channel.' + c)),
      h('td', { class: 'num', dataset: { k: 'pending' } }, String(n.pending || 0)),
      h('td', { class: 'num', dataset: { k: 'sent' } }, String(n.sent || 0)),
      h('td', { class: 'num', dataset: { k: 'failed' } }, String(n.failed || 0)));
  }));
  const list = r.messages || [];
  $('msg-empty').hidden = list.length > 0 || !$('msg-error').hidden;
  $('msg-list').replaceChildren(...list.map((m) => messageRow(m, centreZone(id))));
}

// ---- webhooks ------------------------------------------------------------------------------------

// Every event type a webhook may ask for (queue.EventTypes).
const eventTypes = [
  'ticket.issued', 'ticket.called', 'ticket.recalled', 'ticket.finished', 'ticket.no_show', 'ticket.transferred', 'ticket.expired',
  'ticket.prechecked', 'ticket.dossier', 'ticket.identity', 'ticket.rated', 'ticket.voided', 'counter.paused', 'counter.resumed', 'counter.opened', 'counter.closed', 'centre.configured',
  'booking.created', 'booking.cancelled', 'booking.rescheduled', 'booking.checked_in', 'booking.no_show',
  'ticket.priority_confirmed', 'ticket.priority_downgraded', 'alert.raised', 'alert.cleared',
];

function renderEventBoxes() {
  const box = $('hook-events');
  const keep = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren(...eventTypes.map((e) => h('label', {},
    h('input', { type: 'checkbox', name: 'event', value: e, checked: keep.has(e) }),
    h('span', {}, t('admin.event.' + e), ' ', h('code', {}, e)))));
}

/** A fresh secret: 32 random bytes in base64url (43 printable characters). */
function newSecret() {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function loadHooks() {
  const sel = $('hook-centre');
  centreOptions(sel);
  if (!$('hook-events').children.length) renderEventBoxes();
  const id = sel.value;
  if (!id) return;
  state.hooks = await api('GET', `/api/v1/centres/${seg(id)}/webhooks`);
  $('hook-empty').hidden = state.hooks.length > 0;
  $('hook-list').replaceChildren(...state.hooks.map((w) =>
    h('tr', { dataset: { webhook: w.id } },
      h('td', { class: 'url' }, w.url),
      h('td', {}, (w.events || []).length ? w.events.join(', ') : t('admin.webhooks.all_events')),
      h('td', { class: 'nowrap' }, dateTime(w.created_at, centreZone(id)), w.created_by ? h('div', { class: 'hint' }, w.created_by) : null),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary small', dataset: { act: 'test' }, 'aria-label': t('admin.webhooks.test_named', { url: w.url }), onclick: () => testHook(w) }, t('admin.webhooks.test')), ' ',
        h('button', { type: 'button', class: 'secondary small', dataset: { act: 'log' }, 'aria-label': t('admin.webhooks.log_named', { url: w.url }), onclick: () => showHookLog(w) }, t('admin.webhooks.log')), ' ',
        h('button', { type: 'button', class: 'danger small', dataset: { act: 'delete' }, 'aria-label': t('admin.webhooks.delete_named', { url: w.url }), onclick: () => askDeleteHook(w) }, t('admin.remove'))))));
  if (state.hookLog && !state.hooks.some((w) => w.id === state.hookLog.id)) closeHookLog();
  else if (state.hookLog) await showHookLog(state.hookLog, false);
}

async function saveHook(ev) {
  ev.preventDefault();
  clearError($('hook-error'));
  $('hook-created').hidden = true;
  for (const id of ['hook-url', 'hook-secret']) $(id).removeAttribute('aria-invalid');
  const body = {
    centre: $('hook-centre').value,
    url: $('hook-url').value.trim(),
    events: [...$('hook-events').querySelectorAll('input:checked')].map((i) => i.value),
    secret: $('hook-secret').value,
  };
  const btn = $('hook-save');
  btn.disabled = true;
  try {
    const w = await api('POST', '/api/v1/webhooks', body);
    // The server never gives the secret back: this is the one time it is shown.
    $('hook-created-secret').textContent = body.secret;
    $('hook-created').hidden = false;
    $('hook-url').value = '';
    $('hook-secret').value = '';
    for (const i of $('hook-events').querySelectorAll('input:checked')) i.checked = false;
    toast(t('admin.webhooks.created_done', { url: w.url }));
    await loadHooks();
  } catch (err) {
    const input = { url: 'hook-url', secret: 'hook-secret', events: 'hook-events' }[(err.field || '').split(/[.[]/)[0]];
    if (input && $(input).tagName === 'INPUT') $(input).setAttribute('aria-invalid', 'true');
    failed(err, $('hook-error'));
  } finally {
    btn.disabled = false;
  }
}

async function testHook(w) {
  try {
    const r = await api('POST', `/api/v1/webhooks/${seg(w.id)}/test`);
    toast(t('admin.webhooks.tested', { url: w.url }));
    document.body.dataset.tested = (r && r.message) || w.id;
    await showHookLog(w);
  } catch (err) {
    failed(err);
  }
}

function askDeleteHook(w) {
  ask(t('admin.webhooks.delete_title'), t('admin.webhooks.delete_text', { url: w.url }), t('admin.remove'), async () => {
    try {
      await api('DELETE', `/api/v1/webhooks/${seg(w.id)}`);
      toast(t('admin.webhooks.deleted', { url: w.url }));
      await loadHooks();
    } catch (err) {
      failed(err);
    }
  });
}

async function showHookLog(w, focus = true) {
  state.hookLog = w;
  const id = $('hook-centre').value;
  clearError($('hook-log-error'));
  let list = [];
  try {
    list = await api('GET', `/api/v1/centres/${seg(id)}/webhooks/${seg(w.id)}/deliveries?limit=100`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    showError($('hook-log-error'), err);
  }
  const msgs = Array.isArray(list) ? list : list.messages || [];
  $('hook-log-title').textContent = t('admin.webhooks.log_title', { url: w.url });
  $('hook-log-empty').hidden = msgs.length > 0 || !$('hook-log-error').hidden;
  $('hook-log-list').replaceChildren(...msgs.map((m) => messageRow(m, centreZone(id), false)));
  $('hook-log').hidden = false;
  if (focus) $('hook-log-close').focus();
}

function closeHookLog() {
  state.hookLog = null;
  $('hook-log').hidden = true;
}

// ---- closing a day -------------------------------------------------------------------------------

async function askCloseDay(ev) {
  ev.preventDefault();
  clearError($('close-error'));
  $('close-result').hidden = true;
  const centre = $('close-centre').value;
  const day = $('close-date').iso;
  const message = $('close-message').value.trim();
  if (!day) {
    showError($('close-error'), t('admin.closeday.err_date'));
    $('close-date').focus();
    return;
  }
  if (!message) {
    showError($('close-error'), t('admin.closeday.err_message'));
    $('close-message').focus();
    return;
  }
  // How many bookings will be cancelled: the active ones of that day.
  let n = -1;
  try {
    const list = await api('GET', `/api/v1/centres/${seg(centre)}/bookings?date=${seg(day)}`);
    n = list.filter((b) => b.status === 'booked').length;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return failed(err);
  }
  const text = t(n < 0 ? 'admin.closeday.confirm_unknown' : 'admin.closeday.confirm', { centre: centreName(centre), date: formatDate(day), n });
  ask(t('admin.closeday.confirm_title'), text, t('admin.closeday.confirm_ok'), () => closeDay(centre, day, message));
}

async function closeDay(centre, day, message) {
  const btn = $('close-submit');
  btn.disabled = true;
  try {
    const r = await api('POST', `/api/v1/centres/${seg(centre)}/close-day`, { date: day, message });
    const el = $('close-result');
    el.textContent = t('admin.closeday.done', { centre: centreName(centre), date: formatDate(day), n: r.cancelled });
    el.dataset.cancelled = String(r.cancelled);
    el.hidden = false;
    $('close-message').value = '';
  } catch (err) {
    failed(err, $('close-error'));
  } finally {
    btn.disabled = false;
  }
}

// ---- start ----------------------------------------------------------------------------------

function init() {
  apply();
  bindSwitch($('lang'));
  document.addEventListener('langchange', () => {
    if (state.me) {
      $('who').textContent = t('console.signed_in_as', { name: state.me.name || state.me.username });
      if (!$('centre-form').hidden && state.draft) {
        // Keep what was typed: re-render from the draft.
        const keep = { id: $('c-id').value, name: $('c-name').value, address: $('c-address').value, timezone: $('c-tz').value };
        Object.assign(state.draft, keep);
        renderEditor();
      }
      renderEventBoxes();
      showSection();
    }
  });
  window.addEventListener('hashchange', showSection);
  $('centre-new').addEventListener('click', () => editCentre(''));
  $('centre-cancel').addEventListener('click', () => ($('centre-form').hidden = true));
  $('centre-form').addEventListener('submit', saveCentre);
  $('add-break').addEventListener('click', () => {
    state.draft.breaks.push({ start: '11:30', end: '13:00' });
    renderBreaks();
  });
  $('add-closed').addEventListener('click', () => {
    state.draft.closed_dates.push('');
    renderClosed();
  });
  $('add-service').addEventListener('click', () => {
    const used = new Set(state.draft.services.map((s) => s.code));
    const code = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].find((x) => !used.has(x)) || '';
    state.draft.services.push({ code, name: '', name_en: '', minutes: 10, bookable: false, papers: [] });
    renderServices();
    renderCounters();
    const last = $('c-services').lastElementChild;
    last.querySelector('input[name="name"]').focus();
  });
  $('add-counter').addEventListener('click', () => {
    const n = Math.max(0, ...state.draft.counters.map((k) => k.number || 0)) + 1;
    state.draft.counters.push({ number: n, name: t('common.counter', { n }), services: [] });
    renderCounters();
    $('c-counters').lastElementChild.querySelector('input[name="name"]').focus();
  });
  $('user-new').addEventListener('click', () => editUser(null));
  $('user-cancel').addEventListener('click', () => ($('user-form').hidden = true));
  $('user-form').addEventListener('submit', saveUser);
  $('enroll-form').addEventListener('submit', createToken);
  $('enroll-copy').addEventListener('click', copyCommand);
  $('kiosk-refresh').addEventListener('click', () => loadKiosks().catch(failed));
  $('revoke-form').addEventListener('submit', revoke);
  $('audit-centre').addEventListener('change', () => loadAudit().catch(failed));
  $('questions-centre').addEventListener('change', () => loadQuestions().catch(failed));
  $('alert-centre').addEventListener('change', () => loadAlerts().catch(failed));
  $('msg-centre').addEventListener('change', () => loadMessages().catch(failed));
  $('msg-refresh').addEventListener('click', () => loadMessages().catch(failed));
  $('msg-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    loadMessages().catch(failed);
  });
  $('hook-centre').addEventListener('change', () => {
    closeHookLog();
    loadHooks().catch(failed);
  });
  $('hook-form').addEventListener('submit', saveHook);
  $('hook-generate').addEventListener('click', () => {
    $('hook-secret').value = newSecret();
    $('hook-secret').select();
  });
  $('hook-log-close').addEventListener('click', closeHookLog);
  dateField($('close-date'));
  $('close-form').addEventListener('submit', askCloseDay);
  $('confirm-form').addEventListener('submit', confirmed);
  for (const d of document.querySelectorAll('dialog')) {
    for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
  }

  start();
}

init();
