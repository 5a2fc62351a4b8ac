// The form renderer the kiosk, the booking page and the counter console
// share: a form definition (queue-server/forms: sections of fields, each
// with a type, a label, whether it is required and where its value may
// come from) drawn as large touch fields, with the values a card or a
// booking gave marked as such, date pickers of big day / month / year
// buttons, choices as big buttons, and live validation messages in
// Vietnamese (English beside).
//
//   const view = new FormView(definition, { values, sources, kiosk: true, check });
//   box.append(view.element);
//   … view.filled() → {procedure, version, values, sources}
//
// check(values) returns the errors of the values ([{field, code, message,
// message_en}]): the kiosk asks kioskd (POST /api/forms/{p}/check); without
// it the same rules are checked here (validate below), and an answer 422
// of the server is shown with showErrors(fields). On a kiosk (kiosk: true)
// text fields type on the on-screen Telex keyboard (assets/osk.js), digits
// on a keypad. Values are NFC; nothing is kept in storage.
import '/assets/forms.i18n.js';
import { lang, t, tIn } from '/assets/i18n.js';
import { Keyboard } from '/assets/osk.js';
import { h } from '/assets/api.js';

/** The field types typed as text, and those typed as digits. */
const TEXT_TYPES = new Set(['text', 'name', 'address']);
const DIGIT_TYPES = new Set(['id_number', 'phone', 'number', 'year']);

/** The longest value of a type when the definition says none. */
const DEFAULT_MAX = { name: 100, address: 200, text: 200, id_number: 12, phone: 16, number: 20, year: 4 };

/** Province codes of the first three digits of a personal ID number (queue.CheckCCCD's). */
const PROVINCES = new Set(('001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 ' +
  '040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 ' +
  '089 091 092 093 094 095 096').split(' '));

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Today's date, YYYY-MM-DD, on the machine's clock (in its zone). */
export function todayISO(now = new Date()) {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Whether s is a real date YYYY-MM-DD. */
export function realDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** A date YYYY-MM-DD as dd/mm/yyyy (how the forms print it). */
export function dmy(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'];
const MONTHS = ['', 'một', 'hai', 'ba', 'tư', 'năm', 'sáu', 'bảy', 'tám', 'chín', 'mười', 'mười một', 'mười hai'];

/** 0 ≤ n < 10000 in Vietnamese words as a date is written (forms.DateWords). */
function words(n) {
  if (n === 0) return DIGITS[0];
  const th = Math.floor(n / 1000);
  const hu = Math.floor(n / 100) % 10;
  const te = Math.floor(n / 10) % 10;
  const u = n % 10;
  const w = [];
  if (th > 0) w.push(DIGITS[th], 'nghìn');
  if (hu > 0 || (th > 0 && (te > 0 || u > 0))) w.push(DIGITS[hu], 'trăm');
  if (te === 0 && u > 0) {
    if (th > 0 || hu > 0) w.push('linh');
    w.push(DIGITS[u]);
  } else if (te === 1) {
    w.push('mười');
    if (u === 5) w.push('lăm');
    else if (u > 0) w.push(DIGITS[u]);
  } else if (te > 1) {
    w.push(DIGITS[te], 'mươi');
    if (u === 1) w.push('mốt');
    else if (u === 5) w.push('lăm');
    else if (u > 0) w.push(DIGITS[u]);
  }
  return w.join(' ');
}

/**
 * A date YYYY-MM-DD in words as the civil status forms write it: "Ngày
 * mười lăm tháng sáu năm hai nghìn không trăm hai mươi lăm".
 */
export function dateWords(s) {
  if (!realDate(s)) return '';
  const [y, m, d] = s.split('-').map(Number);
  return `Ngày ${words(d)} tháng ${MONTHS[m]} năm ${words(y)}`;
}

/** NFC, trimmed, single spaces: how a value is compared and sent. */
export function clean(v) {
  return String(v ?? '').normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** Whether a date may be after today: only a card's expiry date (every other date of these forms has happened). */
const mayBeFuture = (f) => f.source === 'card.expiry_date';

/** The fields of a form, in order. */
export function fieldsOf(form) {
  return (form.sections || []).flatMap((s) => s.fields || []);
}

function fieldError(f, code, key, params = {}) {
  const p = { label: f.label, ...params };
  return { field: f.name, code, message: tIn('vi', key, p), message_en: tIn('en', key, p) };
}

/** The problem with one value of field f ('' when none), as a field error or null. */
function checkValue(f, v, today) {
  const max = f.max > 0 ? f.max : DEFAULT_MAX[f.type] || 0;
  if (max && [...v].length > max) return fieldError(f, 'too_long', 'forms.err.too_long', { max });
  switch (f.type) {
    case 'name':
      if (!/^\p{L}[\p{L}\p{M} '’.-]*$/u.test(v)) return fieldError(f, 'invalid', 'forms.err.name');
      break;
    case 'id_number': {
      const n = v.replace(/\s/g, '');
      const year = /^\d{12}$/.test(n) ? 1900 + Math.floor(+n[3] / 2) * 100 + +n.slice(4, 6) : 0;
      const age = +today.slice(0, 4) - year;
      if (!year || !PROVINCES.has(n.slice(0, 3)) || age < 0 || age > 130) return fieldError(f, 'invalid', 'forms.err.id_number');
      break;
    }
    case 'date':
      if (!realDate(v) || v < '1850') return fieldError(f, 'invalid', 'forms.err.date');
      if (!mayBeFuture(f) && v > today) return fieldError(f, 'future_date', 'forms.err.future_date');
      break;
    case 'year':
      if (!/^\d{4}$/.test(v) || +v < 1850) return fieldError(f, 'invalid', 'forms.err.year');
      if (+v > +today.slice(0, 4)) return fieldError(f, 'future_date', 'forms.err.future_year');
      break;
    case 'sex':
      if (!['m', 'f', 'nam', 'nữ', 'nu'].includes(v.toLowerCase())) return fieldError(f, 'invalid', 'forms.err.sex');
      break;
    case 'choice':
      if (!(f.options || []).some((o) => o.value === v)) return fieldError(f, 'invalid', 'forms.err.choice');
      break;
    case 'phone': {
      let s = v.replace(/[\s.-]/g, '');
      if (s.startsWith('+84')) s = '0' + s.slice(3);
      if (!/^0(?:[35789]\d{8}|2\d{9})$/.test(s)) return fieldError(f, 'invalid', 'forms.err.phone');
      break;
    }
    case 'number':
      if (!/^[0-9]{1,15}(?:[.,][0-9]{1,4})?$/.test(v)) return fieldError(f, 'invalid', 'forms.err.number');
      break;
  }
  if (f.pattern) {
    let re = null;
    try {
      re = new RegExp(`^(?:${f.pattern})$`, 'u'); // the whole value, as the server matches it
    } catch {
      /* a pattern JavaScript cannot read: the server checks it */
    }
    if (re && !re.test(v)) {
      const e = fieldError(f, 'invalid', 'forms.err.pattern');
      if (f.pattern_message) e.message = f.pattern_message;
      return e;
    }
  }
  return null;
}

/**
 * The errors of values against form, by the rules of forms.Validate
 * (required, types, lengths, options, patterns, real dates, a birth date
 * not after today, unknown fields), each with its message in both
 * languages. today is YYYY-MM-DD.
 */
export function validate(form, values, today = todayISO()) {
  const errors = [];
  const known = new Map(fieldsOf(form).map((f) => [f.name, f]));
  for (const name of Object.keys(values || {})) {
    if (!known.has(name)) errors.push({ field: name, code: 'unknown_field', message: tIn('vi', 'forms.err.unknown_field', { label: name }), message_en: tIn('en', 'forms.err.unknown_field', { label: name }) });
  }
  for (const f of known.values()) {
    if (f.type === 'date_words') continue;
    const v = clean(values?.[f.name]);
    if (!v) {
      if (f.required) errors.push(fieldError(f, 'required', 'forms.err.required'));
      continue;
    }
    const e = checkValue(f, v, today);
    if (e) errors.push(e);
  }
  return errors;
}

/**
 * The values a person gives a form, as forms.Prefill: person has the
 * kinds a source names after its dot (id_number, old_id_number, name,
 * birth_date, sex, address, issue_date, expiry_date, phone); a field of
 * one sex's side (source_sex) only from a person of that sex; "today" is
 * today's date. Date-in-words fields are left to the renderer.
 */
export function prefill(form, person, today = todayISO()) {
  const out = {};
  for (const f of fieldsOf(form)) {
    if (!f.source || f.type === 'date_words') continue;
    let v;
    if (f.source === 'today') v = today;
    else if (f.source_sex && f.source_sex !== (person && person.sex)) continue;
    else v = person ? person[f.source.slice(f.source.indexOf('.') + 1)] : '';
    v = String(v ?? '').normalize('NFC');
    if (v) out[f.name] = v;
  }
  return out;
}

/** An error's message in the page's language. */
export const messageOf = (e) => (lang() === 'en' ? e.message_en || e.message : e.message);

/** The text of a source mark ("từ thẻ CCCD"), or ''. */
const sourceText = (s) => (['card', 'booking', 'today'].includes(s) ? t('forms.source.' + s) : '');

let formSeq = 0;

/**
 * One form on screen. options: values and sources (prefilled values and
 * where each came from: "card" or "booking"), kiosk (on-screen
 * keyboards, bigger targets), check (async values → errors; default the
 * rules here), today (YYYY-MM-DD), onChange (values → void).
 */
export class FormView {
  constructor(form, o = {}) {
    this.form = form;
    this.kiosk = !!o.kiosk;
    this.checker = o.check || null;
    this.today = o.today || todayISO();
    this.onChange = o.onChange || (() => {});
    this.prefix = `fm${++formSeq}-`;
    this.vals = {};
    this.srcs = {};
    this.touched = new Set();
    this.showAll = false;
    this.errors = [];
    this.inputs = new Map(); // field name → {field, el, err, badge, …}
    this.timer = 0;
    this.checkSeq = 0;
    this.element = h('div', { class: 'fm' + (this.kiosk ? ' fm-kiosk' : ''), dataset: { procedure: form.procedure || '' } });
    this.summary = h('div', { class: 'alert error fm-summary', role: 'alert', hidden: true });
    if (this.kiosk) this.makeKeyboards();
    this.set(o.values || {}, o.sources || {});
    this.render();
    this.onLang = () => this.retranslate();
    document.addEventListener('langchange', this.onLang);
  }

  /** Forgets the values and lets go of the page (the citizen is done). */
  destroy() {
    clearTimeout(this.timer);
    this.checkSeq++;
    document.removeEventListener('langchange', this.onLang);
    this.textKb?.destroy();
    this.digitKb?.destroy();
    this.vals = {};
    this.srcs = {};
    this.inputs.clear();
    this.element.remove();
  }

  /** Sets values (and their sources), replacing those given. */
  set(values, sources) {
    for (const [k, v] of Object.entries(values || {})) this.vals[k] = String(v ?? '').normalize('NFC');
    for (const [k, s] of Object.entries(sources || {})) if (values && k in values) this.srcs[k] = s;
  }

  /**
   * Fills again from a card read (or a booking): the values given replace
   * the fields' values and marks; what the citizen typed elsewhere stays.
   */
  fill(values, sources) {
    this.set(values, sources);
    for (const name of Object.keys(values || {})) this.touched.delete(name);
    for (const [name, x] of this.inputs) x.sync(this.vals[name] || '');
    this.renderMarks();
    this.changed();
  }

  /** The values typed or chosen (NFC, trimmed; empty fields left out). */
  values() {
    const out = {};
    for (const f of fieldsOf(this.form)) {
      if (f.type === 'date_words') continue;
      const v = clean(this.vals[f.name]);
      if (v) out[f.name] = f.type === 'id_number' || f.type === 'phone' ? v.replace(/\s/g, '') : v;
    }
    return out;
  }

  /** Where the untouched prefilled values came from. */
  sources() {
    const out = {};
    const vals = this.values();
    for (const [k, s] of Object.entries(this.srcs)) if (vals[k] && s) out[k] = s;
    return out;
  }

  /** What the kiosk, the booking page and the server exchange (forms.Filled). */
  filled() {
    const s = this.sources();
    const f = { procedure: this.form.procedure, version: this.form.version, values: this.values() };
    if (Object.keys(s).length) f.sources = s;
    return f;
  }

  // ---- drawing ----

  render() {
    const f = this.form;
    const parts = [];
    parts.push(h('h2', { class: 'fm-title' }, f.title || ''));
    if (f.addressee) parts.push(h('p', { class: 'fm-addressee' }, f.addressee.replace(/\s*\{commune\}/, ' …')));
    parts.push(this.summary);
    for (const [i, s] of (f.sections || []).entries()) {
      const id = `${this.prefix}s${i}`;
      parts.push(h('section', { class: 'fm-section', 'aria-labelledby': s.title ? id : undefined },
        s.title ? h('h3', { id }, s.title) : null, // a section may have no title
        h('div', { class: 'fm-grid' }, ...(s.fields || []).map((fd) => this.field(fd)))));
    }
    if (f.declaration) {
      parts.push(h('section', { class: 'fm-declaration', 'aria-label': t('forms.declaration') }, h('p', {}, f.declaration)));
    }
    if (f.template || f.legal_basis) parts.push(h('p', { class: 'fm-legal muted' }, [f.template, f.legal_basis].filter(Boolean).join(' — ')));
    if (this.kiosk) parts.push(this.dock);
    this.element.replaceChildren(...parts);
    this.renderMarks();
  }

  /** Draws the form again in the page's new language; the values stay. */
  retranslate() {
    const open = this.openDate;
    this.render();
    if (open && this.inputs.get(open)) this.inputs.get(open).open?.(true);
    this.showErrors(this.errors, { silent: true });
  }

  /** A field: its label, mark, hint, control and error line. */
  field(f) {
    const id = this.prefix + f.name;
    const errId = id + '-err';
    const hintId = id + '-hint';
    const markId = id + '-mark';
    const described = [f.hint ? hintId : '', markId, errId].filter(Boolean).join(' ');
    const wrap = h('div', { class: `fm-field fm-type-${f.type} ${f.width === 'half' ? 'fm-half' : 'fm-full'}`, dataset: { field: f.name } });
    const err = h('p', { id: errId, class: 'field-error fm-error', hidden: true });
    const mark = h('span', { id: markId, class: 'fm-source', hidden: true });
    const hint = f.hint ? h('p', { id: hintId, class: 'hint' }, f.hint) : null;
    const req = f.required ? h('span', { class: 'fm-req' }, ' ', h('span', { 'aria-hidden': 'true' }, '*'), h('span', { class: 'visually-hidden' }, t('forms.required_mark'))) : null;
    const x = { field: f, wrap, err, mark };
    let control;
    if (f.type === 'sex' || f.type === 'choice') {
      const options = f.type === 'sex' ? [{ value: 'M', label: t('forms.sex.M') }, { value: 'F', label: t('forms.sex.F') }] : f.options || [];
      const name = id;
      const radios = options.map((o) => {
        const input = h('input', { type: 'radio', name, value: o.value, 'aria-describedby': described });
        input.checked = this.vals[f.name] === o.value;
        input.addEventListener('change', () => { if (input.checked) this.edited(f.name, o.value, true); });
        return h('label', { class: 'fm-option' }, input, h('span', {}, o.label));
      });
      x.controls = radios.map((l) => l.querySelector('input'));
      control = h('fieldset', { class: 'fm-choices' },
        h('legend', {}, f.label, req, ' ', mark), hint, h('div', { class: 'fm-option-row' }, ...radios));
      x.sync = (v) => { for (const l of radios) { const r = l.querySelector('input'); r.checked = r.value === v; } };
      x.focus = () => (radios.find((l) => l.querySelector('input').checked) || radios[0])?.querySelector('input').focus();
      wrap.append(control, err);
    } else if (f.type === 'date') {
      this.datePicker(f, x, { id, req, hint, described });
    } else if (f.type === 'date_words') {
      const out = h('output', { id, class: 'fm-words', 'aria-describedby': described });
      x.sync = () => { out.textContent = dateWords(this.vals[f.from]) || t('forms.date_words.none'); };
      x.focus = () => {};
      wrap.append(...[h('label', { for: id }, f.label, ' ', mark), hint, out, err].filter(Boolean));
    } else {
      const max = f.max > 0 ? f.max : DEFAULT_MAX[f.type] || 200;
      const input = h('input', {
        id, name: f.name, autocomplete: 'off', spellcheck: 'false', maxlength: String(max), 'aria-describedby': described,
        inputmode: this.kiosk ? 'none' : DIGIT_TYPES.has(f.type) ? (f.type === 'phone' ? 'tel' : 'numeric') : 'text',
      });
      if (f.required) input.setAttribute('aria-required', 'true');
      input.value = this.vals[f.name] || '';
      input.addEventListener('input', () => this.edited(f.name, input.value, false));
      input.addEventListener('blur', () => { this.touched.add(f.name); this.schedule(0); });
      if (this.kiosk) {
        input.readOnly = false;
        const open = () => this.keyboardFor(f, input);
        input.addEventListener('focus', open);
        input.addEventListener('pointerdown', open);
      }
      x.sync = (v) => { input.value = v; };
      x.focus = () => input.focus();
      x.input = input;
      x.controls = [input];
      wrap.append(...[h('label', { for: id }, f.label, req, ' ', mark), hint, input, err].filter(Boolean));
    }
    this.inputs.set(f.name, x);
    x.sync(this.vals[f.name] || '');
    return wrap;
  }

  /**
   * A date: a button showing the date (dd/mm/yyyy) that opens three rows
   * of big buttons, day, month and year (by decade, then the year).
   */
  datePicker(f, x, { id, req, hint, described }) {
    const thisYear = +this.today.slice(0, 4);
    const lastYear = mayBeFuture(f) ? thisYear + 30 : thisYear;
    const firstYear = 1900;
    let [y, m, d] = (this.vals[f.name] || '').split('-').map((s) => +s || 0);
    let decade = y ? y - (y % 10) : lastYear - (lastYear % 10) - 30;
    const value = h('span', { class: 'fm-date-value' });
    const toggle = h('button', { type: 'button', id, class: 'secondary fm-date-open', 'aria-expanded': 'false', 'aria-controls': id + '-panel', 'aria-describedby': described });
    const panel = h('div', { id: id + '-panel', class: 'fm-date-panel', hidden: true });
    const pending = h('p', { class: 'hint fm-date-pending', 'aria-live': 'polite' });
    const group = (key, buttons) => {
      const gid = `${id}-${key}`;
      return h('div', { class: `fm-date-part fm-date-${key}`, role: 'group', 'aria-labelledby': gid },
        h('p', { id: gid, class: 'fm-date-part-label' }, t('forms.date.' + key)),
        h('div', { class: 'fm-date-buttons' }, ...buttons));
    };
    const button = (label, pressed, onclick, extra = {}) =>
      h('button', { type: 'button', class: 'fm-date-btn', 'aria-pressed': String(pressed), onclick, ...extra }, label);
    const commit = () => {
      const complete = y && m && d;
      const v = complete ? `${y}-${pad(m)}-${pad(d)}` : '';
      pending.textContent = !complete && (y || m || d) ? t('forms.date.pick_rest') : '';
      this.edited(f.name, v, complete || (!y && !m && !d));
      drawValue();
    };
    const drawValue = () => {
      const v = this.vals[f.name];
      value.textContent = v ? dmy(v) : (y || m || d) ? `${d ? pad(d) : '__'}/${m ? pad(m) : '__'}/${y || '____'}` : t('forms.date.none');
      toggle.replaceChildren(value, h('span', { class: 'fm-date-icon', 'aria-hidden': 'true' }, '▾'));
      toggle.setAttribute('aria-label', `${f.label}: ${value.textContent}. ${t('forms.date.choose')}`);
    };
    // Drawn again after each choice: the key focus (a keypad, voice
    // guidance) stays on the button of the same value.
    const drawPanel = () => {
      const a = document.activeElement;
      const keep = a && panel.contains(a) ? Object.entries(a.dataset)[0] : null;
      fillPanel();
      if (keep) panel.querySelector(`[data-${keep[0]}="${keep[1]}"]`)?.focus();
    };
    const fillPanel = () => {
      const days = Array.from({ length: 31 }, (_, i) => i + 1).map((n) => button(String(n), d === n, () => { d = n; commit(); drawPanel(); }, { dataset: { day: String(n) } }));
      const months = Array.from({ length: 12 }, (_, i) => i + 1).map((n) => button(String(n), m === n, () => { m = n; commit(); drawPanel(); }, { dataset: { month: String(n) }, 'aria-label': t('forms.date.month_n', { n }) }));
      const decades = [];
      for (let dd = firstYear - (firstYear % 10); dd <= lastYear; dd += 10) {
        decades.push(button(`${dd}…`, decade === dd, () => { decade = dd; drawPanel(); }, { dataset: { decade: String(dd) }, 'aria-label': `${t('forms.date.decade')} ${dd}` }));
      }
      const years = [];
      for (let yy = decade; yy < decade + 10 && yy <= lastYear; yy++) {
        if (yy < firstYear) continue;
        years.push(button(String(yy), y === yy, () => { y = yy; commit(); drawPanel(); }, { dataset: { year: String(yy) } }));
      }
      panel.replaceChildren(
        group('day', days), group('month', months),
        h('div', { class: 'fm-date-part fm-date-year', role: 'group', 'aria-labelledby': `${id}-year` },
          h('p', { id: `${id}-year`, class: 'fm-date-part-label' }, t('forms.date.year')),
          h('div', { class: 'fm-date-buttons fm-date-decades' }, ...decades),
          h('div', { class: 'fm-date-buttons fm-date-years' }, ...years)),
        pending,
        h('div', { class: 'fm-date-actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => { y = 0; m = 0; d = 0; commit(); drawPanel(); } }, t('forms.date.clear')),
          h('button', { type: 'button', class: 'fm-date-done', onclick: () => { x.open(false); toggle.focus(); } }, t('forms.date.done'))));
    };
    x.open = (on) => {
      if (on && this.openDate && this.openDate !== f.name) this.inputs.get(this.openDate)?.open(false);
      panel.hidden = !on;
      toggle.setAttribute('aria-expanded', String(on));
      this.openDate = on ? f.name : this.openDate === f.name ? '' : this.openDate;
      if (on) { this.hideKeyboards(); drawPanel(); } else { this.touched.add(f.name); this.schedule(0); }
    };
    toggle.addEventListener('click', () => x.open(panel.hidden));
    x.sync = (v) => {
      [y, m, d] = (v || '').split('-').map((s) => +s || 0);
      if (y) decade = y - (y % 10);
      drawValue();
      if (!panel.hidden) drawPanel();
    };
    x.focus = () => toggle.focus();
    x.controls = [toggle];
    // The button's name says the label and the date (its aria-label).
    x.wrap.append(...[h('p', { class: 'fm-label' }, f.label, req, ' ', x.mark), hint, toggle, panel, x.err].filter(Boolean));
  }

  // ---- on-screen keyboards (kiosk) ----

  makeKeyboards() {
    const done = () => { this.hideKeyboards(); document.activeElement?.blur(); };
    this.textKb = new Keyboard({ layout: 'text', onDone: done });
    this.digitKb = new Keyboard({ layout: 'digits', onDone: done, label: 'osk.digits_label' });
    this.dock = h('div', { class: 'fm-dock osk-dock', hidden: true }, this.textKb.element, this.digitKb.element);
  }

  keyboardFor(f, input) {
    if (!this.kiosk) return;
    if (this.openDate) this.inputs.get(this.openDate)?.open(false);
    const digits = DIGIT_TYPES.has(f.type);
    const kb = digits ? this.digitKb : this.textKb;
    if (kb.input !== input) {
      kb.capitalize = f.type === 'name';
      kb.attach(input);
    }
    this.textKb.element.hidden = digits;
    this.digitKb.element.hidden = !digits;
    const opening = this.dock.hidden;
    this.dock.hidden = false;
    this.dock.dataset.field = f.name;
    // The field stays in sight above the keyboard.
    if (opening || this.dock.getBoundingClientRect().top < input.getBoundingClientRect().bottom) input.scrollIntoView({ block: 'center' });
  }

  hideKeyboards() {
    if (this.dock) this.dock.hidden = true;
  }

  // ---- values, marks and errors ----

  edited(name, value, now) {
    this.vals[name] = String(value ?? '').normalize('NFC');
    if (this.srcs[name]) {
      delete this.srcs[name]; // changed by the citizen: no longer what the card said
      this.renderMarks();
    }
    if (now) this.touched.add(name);
    for (const [, x] of this.inputs) if (x.field.type === 'date_words' && x.field.from === name) x.sync();
    this.changed(now ? 0 : 350);
  }

  changed(wait = 350) {
    this.onChange(this.values());
    this.schedule(wait);
  }

  renderMarks() {
    for (const [name, x] of this.inputs) {
      const s = x.field.type === 'date_words' ? '' : this.srcs[name];
      const text = this.vals[name] ? sourceText(s) : '';
      x.mark.textContent = text;
      x.mark.hidden = !text;
      x.wrap.dataset.source = text ? s : '';
    }
  }

  schedule(wait) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), wait);
  }

  /** Checks the values now (all: every field's errors shown, as before sending); returns the errors. */
  async check({ all = false } = {}) {
    clearTimeout(this.timer);
    if (all) this.showAll = true;
    const seq = ++this.checkSeq;
    let errors;
    try {
      errors = this.checker ? await this.checker(this.values()) : validate(this.form, this.values(), this.today);
    } catch {
      errors = validate(this.form, this.values(), this.today); // kioskd not answering: the same rules here
    }
    if (seq !== this.checkSeq) return errors; // a newer check is under way
    this.showErrors(errors || [], { silent: !all });
    return errors || [];
  }

  /**
   * Shows errors ([{field, code, message, message_en}]): those of fields the
   * citizen has touched, or all once a send was tried. Lines of fields
   * without an error are cleared.
   */
  showErrors(errors, { silent = false } = {}) {
    this.errors = errors || [];
    const byField = new Map();
    for (const e of this.errors) if (!byField.has(e.field)) byField.set(e.field, e);
    let shown = 0;
    for (const [name, x] of this.inputs) {
      const e = byField.get(name);
      const visible = e && (this.showAll || this.touched.has(name));
      x.err.textContent = visible ? messageOf(e) : '';
      x.err.hidden = !visible;
      x.wrap.classList.toggle('fm-invalid', !!visible);
      for (const c of x.controls || []) c.setAttribute('aria-invalid', visible ? 'true' : 'false');
      if (visible) shown++;
    }
    const others = this.errors.filter((e) => !this.inputs.has(e.field));
    const total = this.showAll ? byField.size + others.length - others.filter((e) => byField.has(e.field)).length : 0;
    this.summary.hidden = !this.showAll || total === 0;
    this.summary.replaceChildren(
      h('p', {}, t('forms.err.summary', { n: total })),
      ...others.map((e) => h('p', {}, messageOf(e))));
    if (!silent && total) this.summary.scrollIntoView?.({ block: 'nearest' });
    this.element.dataset.errors = String(shown);
    return shown;
  }

  /** Moves the key focus to the first field with an error shown. */
  focusFirstError() {
    for (const [, x] of this.inputs) {
      if (!x.err.hidden) {
        x.wrap.scrollIntoView?.({ block: 'center' });
        x.focus();
        return true;
      }
    }
    return false;
  }
}
