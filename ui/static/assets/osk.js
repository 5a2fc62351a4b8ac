// On-screen keyboard for touch kiosks (kiosk mode has no system keyboard):
// a plain JavaScript module, no dependencies but the message catalogue and
// the Telex state machine.
//
//   const kb = new Keyboard({ layout: 'text' });   // or 'code' (booking codes), 'digits'
//   kb.attach(document.getElementById('search'));
//   section.append(kb.element);
//
// Keys are real <button>s at least 64 CSS px (≥ 15 mm at 96 dpi) and type
// at the end of the attached input, firing 'input' events as typing does.
// The text layout types Vietnamese by Telex (Nguyeenx → Nguyễn) unless
// switched off; 'code' types the booking-code alphabet only.
import { Word, splitLastWord } from './telex.js';
import { t, apply } from './i18n.js';

// The booking-code alphabet (no 0, 1, I, O): what the server issues.
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

const TEXT_ROWS = [
  ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'backspace'],
  ['q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p'],
  ['a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l'],
  ['shift', 'z', 'x', 'c', 'v', 'b', 'n', 'm', '-', '.'],
  ['telex', 'space', 'done'],
];

// Numbers (an ID number, a phone, a year): a keypad.
const DIGIT_ROWS = [['1', '2', '3'], ['4', '5', '6'], ['7', '8', '9'], ['backspace', '0', 'done']];

const LABELS = {
  backspace: 'osk.backspace', shift: 'osk.shift', space: 'osk.space', done: 'osk.done',
  telex: 'osk.telex', clear: 'osk.clear',
};
const SYMBOLS = { backspace: '⌫', shift: '⇧' };

export class Keyboard {
  /**
   * @param {object} o
   * @param {'text'|'code'|'digits'} [o.layout]
   * @param {boolean} [o.telex] Telex on at start (text layout; default on)
   * @param {boolean} [o.capitalize] a capital at the start of each word (names)
   * @param {() => void} [o.onDone] the Done key (text layout)
   * @param {string} [o.label] accessible name of the keyboard
   */
  constructor(o = {}) {
    this.layout = o.layout || 'text';
    this.telex = o.telex !== false;
    this.capitalize = !!o.capitalize;
    this.onDone = o.onDone || null;
    this.shift = false;
    this.word = null;
    this.input = null;
    const el = document.createElement('div');
    el.className = `osk osk-${this.layout}`;
    el.setAttribute('role', 'group');
    el.dataset.i18nAttr = 'aria-label:' + (o.label || 'osk.label');
    this.element = el;
    const rows = this.layout === 'code'
      ? [[...CODE_ALPHABET.slice(0, 8)], [...CODE_ALPHABET.slice(8, 16)], [...CODE_ALPHABET.slice(16, 24)], [...CODE_ALPHABET.slice(24)], ['clear', 'backspace']]
      : this.layout === 'digits' ? DIGIT_ROWS : TEXT_ROWS;
    for (const row of rows) {
      const r = document.createElement('div');
      r.className = 'osk-row';
      for (const k of row) r.append(this.makeKey(k));
      el.append(r);
    }
    // Keep the focus (and caret) on the input while keys are pressed.
    el.addEventListener('mousedown', (e) => e.preventDefault());
    el.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-key]');
      if (b && el.contains(b)) this.press(b.dataset.key);
    });
    this.render();
    this.onLang = () => this.render();
    document.addEventListener('langchange', this.onLang);
  }

  /** Lets go of the input and the page (a keyboard no longer used). */
  destroy() {
    document.removeEventListener('langchange', this.onLang);
    this.input = null;
    this.word = null;
    this.element.remove();
  }

  makeKey(k) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.key = k;
    b.className = 'osk-key' + (k.length > 1 ? ` osk-${k}` : '');
    if (LABELS[k]) {
      if (SYMBOLS[k]) {
        b.textContent = SYMBOLS[k];
        b.dataset.i18nAttr = 'aria-label:' + LABELS[k];
      } else {
        b.dataset.i18n = LABELS[k];
      }
    } else {
      b.textContent = k;
    }
    return b;
  }

  /** Sets the input the keys type into (its caret moves to the end). */
  attach(input) {
    this.input = input;
    this.word = null;
    input.setAttribute('inputmode', 'none'); // never a system keyboard
    input.autocomplete = 'off';
    input.spellcheck = false;
    this.render();
    return this;
  }

  /** Shows the letters in the case the next key types, and the Telex switch. */
  render() {
    apply(this.element);
    const upper = this.upperNext();
    for (const b of this.element.querySelectorAll('button[data-key]')) {
      const k = b.dataset.key;
      if (k.length === 1 && /[a-z]/.test(k)) b.textContent = upper ? k.toUpperCase() : k;
    }
    const sh = this.element.querySelector('[data-key=shift]');
    if (sh) sh.setAttribute('aria-pressed', String(this.shift));
    const tx = this.element.querySelector('[data-key=telex]');
    if (tx) {
      tx.setAttribute('aria-pressed', String(this.telex));
      tx.textContent = t(this.telex ? 'osk.telex_on' : 'osk.telex_off');
    }
  }

  upperNext() {
    if (this.shift) return true;
    if (!this.capitalize || !this.input) return false;
    const v = this.input.value;
    return v === '' || /\s$/.test(v);
  }

  /** Presses one key: a character, or backspace, shift, space, done, telex, clear. */
  press(key) {
    const input = this.input;
    if (!input) return;
    let v = input.value;
    const max = input.maxLength > 0 ? input.maxLength : Infinity;
    switch (key) {
      case 'shift':
        this.shift = !this.shift;
        this.render();
        return;
      case 'telex':
        this.telex = !this.telex;
        this.word = null;
        this.render();
        return;
      case 'done':
        if (this.onDone) this.onDone();
        return;
      case 'clear':
        v = '';
        this.word = null;
        break;
      case 'backspace': {
        const [before, last] = splitLastWord(v);
        if (this.word && last && this.word.text() === last && this.word.backspace()) {
          v = before + this.word.text();
        } else {
          v = [...v].slice(0, -1).join('');
          this.word = null;
        }
        break;
      }
      case 'space':
        if (v.length < max) v += ' ';
        this.word = null;
        break;
      default: {
        let ch = key;
        if (/^[a-z]$/i.test(ch)) ch = this.upperNext() ? ch.toUpperCase() : ch.toLowerCase();
        if (this.layout === 'text' && this.telex && /^[a-z]$/i.test(ch)) {
          const [before, last] = splitLastWord(v);
          if (!this.word || this.word.text() !== last) {
            this.word = new Word();
            // A last word Telex cannot read (another script) stays as it is.
            if (last && !this.word.load(last)) this.word = new Word();
          }
          const keep = this.word.text() === last ? before : v;
          this.word.key(ch);
          const next = keep + this.word.text();
          if ([...next].length > max) { this.word.backspace(); break; }
          v = next;
        } else {
          this.word = null;
          if ([...v].length < max) v += ch;
        }
        if (this.shift) this.shift = false;
      }
    }
    if (v !== input.value) {
      input.value = v.normalize('NFC');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    try { input.setSelectionRange(input.value.length, input.value.length); } catch { /* type=search may refuse */ }
    this.render();
  }
}
