// Vietnamese Telex input as a small state machine, for the kiosk's
// on-screen keyboard (kiosk mode has no system keyboard or input method).
//
//   aa → â   aw → ă   ee → ê   oo → ô   ow → ơ   uw → ư   uow → ươ   dd → đ
//   s f r x j → sắc, huyền, hỏi, ngã, nặng; z removes the tone
//   w alone → ư where a vowel may start (w → ư, nhw → như)
//   a key pressed twice undoes itself and types the letter (aaa → aa, ass → as)
//
// The tone sits on the vowel the modern rule (kiểu mới) chooses: hoà,
// khoẻ, thuỷ, mía, người, tiếng, quý, giá. Output is always NFC.
//
// A Word holds the letters of the word being typed with their marks and
// the word's tone; text() renders it. telex('Nguyeenx') types a whole
// string (words split at anything that is not a letter).

const VOWELS = 'aeiouy';
const TONES = { s: '\u0301', f: '\u0300', r: '\u0309', x: '\u0303', j: '\u0323' };
const MARKS = { circ: '\u0302', breve: '\u0306', horn: '\u031B' };
// What a vowel key does to the same vowel already in the word.
const DOUBLE = { a: 'circ', e: 'circ', o: 'circ' };
// Initial consonant clusters after which a lone w means ư.
const ONSETS = new Set(['', 'b', 'c', 'ch', 'd', 'đ', 'g', 'gh', 'h', 'k', 'kh', 'l', 'm', 'n', 'ng', 'nh',
  'p', 'ph', 'r', 's', 't', 'th', 'tr', 'v', 'x']);
// Final consonants, read backwards over when a modifier key looks for its vowel.
const FINALS = new Set(['c', 'ch', 'm', 'n', 'ng', 'nh', 'p', 't']);

const isVowel = (l) => l && VOWELS.includes(l.ch);

// Parses one composed character into a letter, or null if it is not one
// Telex knows (digits, punctuation, other scripts).
function parseChar(c) {
  const d = c.normalize('NFD');
  const base = d[0];
  const lower = base.toLowerCase();
  if (c === 'đ' || c === 'Đ') return { letter: { ch: 'd', upper: c === 'Đ', mark: 'stroke' }, tone: '' };
  if (!/[a-z]/.test(lower)) return null;
  let mark = '';
  let tone = '';
  for (const m of d.slice(1)) {
    const mk = Object.keys(MARKS).find((k) => MARKS[k] === m);
    const tn = Object.keys(TONES).find((k) => TONES[k] === m);
    if (mk) mark = mk;
    else if (tn) tone = tn;
    else return null;
  }
  return { letter: { ch: lower, upper: base !== lower, mark }, tone };
}

export class Word {
  constructor(text = '') {
    if (!this.load(text)) this.load('');
  }

  /** Loads an already composed word (e.g. the end of an input's value); false if it is not one. */
  load(text) {
    this.letters = [];
    this.tone = '';
    this.lastW = false; // the last key was a w that marked a vowel
    this.wAlone = false; // … and that w made an ư of its own
    for (const c of text.normalize('NFC')) {
      const p = parseChar(c);
      if (!p) return false;
      this.letters.push(p.letter);
      if (p.tone) this.tone = p.tone;
    }
    return true;
  }

  get empty() { return this.letters.length === 0; }

  /** The vowel nucleus: [start, end) indices of the first run of vowels,
   *  with the u of qu and the i of gi (before another vowel) left to the onset. */
  nucleus() {
    const L = this.letters;
    let i = L.findIndex(isVowel);
    if (i < 0) return null;
    let j = i;
    while (j < L.length && isVowel(L[j])) j++;
    if (j - i > 1 && i > 0 && L[i - 1].ch === 'q' && L[i].ch === 'u') i++;
    else if (j - i > 1 && i === 1 && L[0].ch === 'g' && L[i].ch === 'i' && !L[i].mark) i++;
    return [i, j];
  }

  /** Where the tone goes, by the modern rule; -1 when there is no vowel. */
  tonePosition() {
    const n = this.nucleus();
    if (!n) return -1;
    const [i, j] = n;
    const L = this.letters;
    const len = j - i;
    if (len === 1) return i;
    // A vowel with its own mark carries the tone (the last one: ươ → ơ).
    for (let k = j - 1; k >= i; k--) if (L[k].mark === 'circ' || L[k].mark === 'breve' || L[k].mark === 'horn') return k;
    if (j < L.length) return j - 1; // a final consonant: the last vowel (hoàng, thuyền)
    if (len >= 3) return i + 1; // ngoài, khuỷu
    const pair = L[i].ch + L[i + 1].ch;
    if (pair === 'oa' || pair === 'oe' || pair === 'uy') return i + 1; // hoà, khoẻ, thuỷ
    return i; // mía, múa, tài, sáo
  }

  /** The word as NFC text. */
  text() {
    const pos = this.tone ? this.tonePosition() : -1;
    let out = '';
    this.letters.forEach((l, k) => {
      let s;
      if (l.mark === 'stroke') s = l.upper ? 'Đ' : 'đ';
      else {
        s = l.upper ? l.ch.toUpperCase() : l.ch;
        if (l.mark) s += MARKS[l.mark];
        if (k === pos) s += TONES[this.tone];
      }
      out += s;
    });
    return out.normalize('NFC');
  }

  push(ch, upper, mark = '') { this.letters.push({ ch, upper, mark }); }

  /** Index of the vowel a modifier key acts on: inside the nucleus, read back over final consonants. */
  lastNucleus() {
    const n = this.nucleus();
    if (!n) return null;
    const tail = this.letters.slice(n[1]).map((l) => l.ch).join('');
    if (tail !== '' && !FINALS.has(tail)) return null;
    return n;
  }

  /** Types one letter key (a–z, either case). Returns true: every letter is taken. */
  key(k) {
    const lower = k.toLowerCase();
    const upper = k !== lower;
    const L = this.letters;

    // Tones.
    if (lower in TONES || lower === 'z') {
      if (this.tonePosition() >= 0 && this.lastNucleus()) {
        if (lower === 'z') {
          if (this.tone) { this.tone = ''; return true; }
        } else if (this.tone === lower) {
          this.tone = '';
          this.push(lower, upper); // pressed twice: the letter itself
          return true;
        } else {
          this.tone = lower;
          return true;
        }
      }
    }

    // dd → đ (the initial d).
    if (lower === 'd' && L.length > 0 && L[0].ch === 'd') {
      if (L[0].mark === 'stroke') {
        L[0].mark = '';
        this.push('d', upper);
        return true;
      }
      if (L.length === 1 || !L.slice(1).some((l) => l.ch === 'd')) {
        L[0].mark = 'stroke';
        return true;
      }
    }

    // aa, ee, oo → â, ê, ô.
    if (lower in DOUBLE) {
      const n = this.lastNucleus();
      if (n) {
        for (let q = n[1] - 1; q >= n[0]; q--) {
          const l = L[q];
          if (l.ch !== lower) continue;
          if (l.mark === 'circ') { l.mark = ''; this.push(lower, upper); return true; }
          l.mark = 'circ'; // also ă → â, ơ → ô
          return true;
        }
      }
    }

    // w: ươ, ư, ơ, ă; alone, ư.
    if (lower === 'w') {
      const n = this.lastNucleus();
      if (n) {
        const [i, j] = n;
        // Pressed again: undo and type w.
        const hooked = L.slice(i, j).filter((l) => l.mark === 'horn' || l.mark === 'breve');
        const wasW = hooked.length > 0 && this.lastW;
        if (wasW) {
          if (this.wAlone) {
            L[L.length - 1] = { ch: 'w', upper, mark: '' }; // ww → w
          } else {
            for (const l of hooked) l.mark = '';
            this.push('w', upper);
          }
          this.lastW = this.wAlone = false;
          return true;
        }
        for (let q = i; q + 1 < j; q++) {
          if (L[q].ch === 'u' && L[q + 1].ch === 'o') { L[q].mark = 'horn'; L[q + 1].mark = 'horn'; return this.wDone(); }
        }
        if (j - i === 2 && j === L.length && L[i].ch === 'u' && L[i + 1].ch === 'a') { L[i].mark = 'horn'; return this.wDone(); } // mưa
        if (j - i === 2 && L[i].ch === 'u' && L[i + 1].ch === 'u') { L[i].mark = 'horn'; return this.wDone(); } // hưu
        for (let q = j - 1; q >= i; q--) {
          const l = L[q];
          if (l.ch === 'a') { l.mark = 'breve'; return this.wDone(); }
          if (l.ch === 'o' || l.ch === 'u') { l.mark = 'horn'; return this.wDone(); }
        }
      } else if (!L.some(isVowel) && ONSETS.has(this.text().toLowerCase())) {
        this.push('u', upper, 'horn');
        this.wAlone = true;
        return this.wDone();
      }
    }

    this.lastW = this.wAlone = false;
    this.push(lower, upper);
    return true;
  }

  wDone() {
    this.lastW = true; // a second w undoes this one
    return true;
  }

  /** Removes the last letter (the tone stays while a vowel does). */
  backspace() {
    if (this.empty) return false;
    this.letters.pop();
    this.lastW = this.wAlone = false;
    if (!this.letters.some(isVowel)) this.tone = '';
    return true;
  }
}

const LETTER = /^[a-z]$/i;

/** Types keys as Telex and returns the NFC text; words split at anything not a letter. */
export function telex(keys) {
  let out = '';
  let w = new Word();
  for (const k of keys) {
    if (LETTER.test(k)) {
      w.key(k);
    } else {
      out += w.text() + k;
      w = new Word();
    }
  }
  return (out + w.text()).normalize('NFC');
}

/** Splits text into what stays and the last word Telex can keep editing. */
export function splitLastWord(text) {
  const m = /[\p{L}\p{M}]+$/u.exec(text.normalize('NFC'));
  if (!m) return [text, ''];
  return [text.slice(0, text.length - m[0].length), m[0]];
}
