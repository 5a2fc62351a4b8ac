// Kiosk touchscreen without sight (WCAG2ICT, EN 301 549 §5.1 closed
// functionality): "hướng dẫn bằng giọng nói", physical keys and the idle
// warning. A module beside kiosk.js, which tells it of each screen
// ('kiosk:screen') and of a new citizen ('kiosk:reset').
//
// - Voice guidance (the #voice switch, the first key stop of the page):
//   each new screen is read aloud (its title, what it says, its choices),
//   then whatever the keys move to. The browser's speechSynthesis speaks:
//   on the kiosk that is speech-dispatcher's espeak-ng, the engine and
//   Vietnamese voice the hall display's clips are made with
//   (ui/audio/generate.sh); a Vietnamese voice is chosen when there is one.
// - Keys (a keypad or keyboard on the kiosk): Tab / Shift+Tab and the
//   arrows move among the header's switches and the screen's choices, in
//   reading order; Enter or Space chooses; + and − set the volume; * or
//   F1 reads the screen again. Each screen starts with focus on its title.
//   The first key of a session goes to the voice switch and offers it.
// - The idle warning: before kioskd goes home by itself, the "more time"
//   bar shows (kiosk.js); with voice on it is said, and the key focus goes
//   to its button so one Enter keeps the citizen's place.
import '/kiosk/kiosk.i18n.js';
import { t, tIn, lang } from '/assets/i18n.js';

const $ = (id) => document.getElementById(id);
const volumes = [0.2, 0.4, 0.6, 0.8, 1];
const settleMs = 350; // a screen's lists arrive a moment after it shows
const offerLangs = ['vi', 'en'];

let on = false;
let volume = 0.8;
let offered = false; // the first key of a session offers voice guidance
let lastScreen = '';
let byKey = false; // the citizen's last action was a key, not a touch
let beforeIdle = null; // where the key focus was when the idle bar came

// --- speech -------------------------------------------------------------------

function voiceFor(l) {
  const synth = window.speechSynthesis;
  if (!synth) return null;
  const want = l === 'en' ? 'en' : 'vi';
  const voices = synth.getVoices().filter((v) => v.lang.toLowerCase().replace('_', '-').split('-')[0] === want);
  // espeak-ng's first: the voice of the hall display's calls.
  return voices.find((v) => /espeak/i.test(v.name + ' ' + v.voiceURI)) || voices[0] || null;
}

/**
 * Says texts one after the other, cutting off whatever was being said
 * unless queue is set.
 */
function say(texts, { l = lang(), queue = false } = {}) {
  const synth = window.speechSynthesis;
  if (!synth) return;
  if (!queue) synth.cancel();
  for (const text of [].concat(texts)) {
    const s = clean(text);
    if (!s) continue;
    const u = new SpeechSynthesisUtterance(s);
    u.lang = l === 'en' ? 'en-GB' : 'vi-VN';
    const v = voiceFor(l);
    if (v) u.voice = v;
    u.volume = volume;
    u.rate = 0.95;
    synth.speak(u);
  }
}

const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();

// --- what a screen says -------------------------------------------------------

const visible = (el) => !!el && el.getClientRects().length > 0 && !el.closest('[hidden], [aria-hidden="true"]');

function currentScreen() {
  return [...document.querySelectorAll('main .screen')].find((s) => !s.hidden) || null;
}

/** A control's name as said: its main line, and whether it can be used. */
function nameOf(el) {
  if (el.id === 'voice') return `${t('kiosk.voice')}, ${t(on ? 'kiosk.voice.on' : 'kiosk.voice.off')}`;
  if (el.matches('input')) {
    const label = el.labels?.[0]?.textContent || el.getAttribute('aria-label') || el.placeholder || '';
    return `${label}, ${t('kiosk.voice.input')}${el.value ? ', ' + el.value : ''}`;
  }
  const main = el.querySelector('.big, .name');
  let s = clean(main ? main.textContent : el.textContent);
  if (!s) s = el.getAttribute('aria-label') || '';
  if (el.getAttribute('aria-pressed') === 'true') s += ', ' + t('kiosk.voice.selected');
  if (el.disabled) s += ', ' + t('kiosk.voice.unavailable');
  return s;
}

/** The choices of a screen: its buttons and inputs, not the keyboard's keys. */
function choicesOf(screen) {
  return [...screen.querySelectorAll('button, input, a[href]')].filter((el) => visible(el) && !el.closest('.osk'));
}

/** What a screen says: title, then its texts, then its choices. */
function reading(screen) {
  const out = [];
  const title = screen.querySelector('h1');
  if (visible(title)) out.push(title.textContent);
  // What holds for every screen: printer stopped, offline, numbers not issued now.
  for (const el of document.querySelectorAll('body > .banner')) if (visible(el)) out.push(el.textContent);
  for (const el of screen.querySelectorAll('.number, .guide-title, p, .alert, h2, li')) {
    if (!visible(el) || el.id === 'idle-note' || el.closest('button, .osk, .services, .tiles') || el === title) continue;
    // A ticket number is said sign by sign (A 0 1 2), as the hall display calls it.
    if (el.matches('.number')) out.push([...clean(el.textContent)].join(' '));
    else out.push(el.querySelector(blocks) ? ownText(el) : el.textContent);
  }
  const choices = choicesOf(screen).map(nameOf).filter(Boolean);
  if (choices.length) {
    out.push(t('kiosk.voice.choices', { n: choices.length, list: choices.join('; ') }));
    out.push(t('kiosk.voice.keys'));
  }
  return out.map(clean).filter(Boolean);
}

const blocks = 'p, li, ul, ol, .alert';

/** An element's text without its blocks, which are said on their own (a pre-check document's status and name, then its reasons). */
function ownText(el) {
  return [...el.childNodes].filter((n) => !(n.nodeType === Node.ELEMENT_NODE && n.matches(blocks)))
    .map((n) => clean(n.textContent)).filter(Boolean).join(', ');
}

let readTimer = null;
function readScreen() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    readTimer = null;
    const screen = currentScreen();
    if (!screen) return;
    // A screen drawn by its own module (precheck.js) may have had no title yet.
    if (!screen.contains(document.activeElement) && !document.querySelector('header').contains(document.activeElement)) {
      quietFocus = true;
      focusTitle(screen);
      quietFocus = false;
    }
    if (on) say(reading(screen));
    // A screen that comes with the idle bar already up (an error shows
    // 20 s): the screen first, then the warning.
    if (!$('idle-bar').hidden) warnIdle(true);
  }, settleMs);
}

// --- focus --------------------------------------------------------------------

/** The key stops in reading order: header switches, the screen, the idle bar. */
function stops() {
  const screen = currentScreen();
  const all = [...document.querySelectorAll('header button, header input')];
  if (screen) all.push(screen.querySelector('[data-voice-title]'), ...choicesOf(screen), ...screen.querySelectorAll('.osk button'));
  all.push(...document.querySelectorAll('#idle-bar button'));
  return all.filter((el) => el && !el.disabled && visible(el)); // a disabled button takes no focus
}

/** Puts the key focus on the screen's title (said when voice is on). */
function focusTitle(screen) {
  const title = screen.querySelector('h1') || screen.querySelector('.lead');
  if (!title) return;
  title.tabIndex = -1;
  title.dataset.voiceTitle = '';
  title.focus({ preventScroll: false });
}

function move(step) {
  const list = stops();
  if (!list.length) return;
  const i = list.indexOf(document.activeElement);
  const next = i < 0 ? (step > 0 ? 0 : list.length - 1) : (i + step + list.length) % list.length;
  list[next].focus();
}

// Said on focus, but not when the focus was moved by a new screen (the
// screen is read whole then).
let quietFocus = false;
document.addEventListener('focusin', (e) => {
  if (!on || quietFocus) return;
  const el = e.target;
  if (el.dataset && 'voiceTitle' in el.dataset) { say(el.textContent); return; }
  if (el.matches('button, input, a[href]')) say(nameOf(el));
});

// --- the switch and the volume ------------------------------------------------

function render() {
  const b = $('voice');
  b.setAttribute('aria-pressed', String(on));
  b.textContent = t('kiosk.voice');
  $('volume').hidden = !on;
  $('vol-level').textContent = t('kiosk.voice.volume_level', { n: Math.round(volume * 100) });
  $('vol-down').disabled = volume <= volumes[0];
  $('vol-up').disabled = volume >= volumes[volumes.length - 1];
  document.body.dataset.voice = on ? 'on' : 'off';
}

function setVoice(v) {
  on = v;
  render();
  if (on) {
    const screen = currentScreen();
    say([t('kiosk.voice.started'), ...(screen ? reading(screen) : [])]);
  } else {
    say(t('kiosk.voice.stopped'));
  }
}

function setVolume(step) {
  const i = volumes.indexOf(volume) + step;
  if (i < 0 || i >= volumes.length) return;
  volume = volumes[i];
  render();
  say(t('kiosk.voice.volume_level', { n: Math.round(volume * 100) }));
}

$('voice').addEventListener('click', () => setVoice(!on));
$('vol-down').addEventListener('click', () => setVolume(-1));
$('vol-up').addEventListener('click', () => setVolume(1));

// --- keys ---------------------------------------------------------------------

document.addEventListener('pointerdown', () => { byKey = false; }, true);
document.addEventListener('keydown', (e) => {
  byKey = true;
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const typing = e.target.matches?.('input') && !['ArrowUp', 'ArrowDown', 'Tab'].includes(e.key);
  if (!on && !offered && !typing) {
    // Someone at the keys may not see the screen: the first key of a
    // session goes to the voice switch and offers it, in both languages.
    offered = true;
    const synth = window.speechSynthesis;
    if (synth) {
      synth.cancel();
      for (const l of offerLangs) say(tIn(l, 'kiosk.voice.offer'), { l, queue: true });
    }
    $('voice').focus();
    e.preventDefault();
    return;
  }
  if (typing) return;
  switch (e.key) {
    case 'ArrowDown': case 'ArrowRight': move(1); break;
    case 'ArrowUp': case 'ArrowLeft': move(-1); break;
    case 'Tab': move(e.shiftKey ? -1 : 1); break;
    case '+': setVolume(1); break;
    case '-': case '−': setVolume(-1); break;
    case '*': case 'F1': if (on) { const s = currentScreen(); if (s) say(reading(s)); } break;
    case 'Enter': case ' ':
      if (document.activeElement?.dataset && 'voiceTitle' in document.activeElement.dataset) {
        if (on) say(reading(currentScreen()));
        break;
      }
      return; // a button's own Enter and Space
    default: return;
  }
  e.preventDefault();
});

// --- screens, the idle warning, a new citizen -------------------------------------

document.addEventListener('kiosk:screen', (e) => {
  const id = e.detail;
  if (id === lastScreen) return;
  lastScreen = id;
  const screen = $(id);
  if (!screen) return;
  quietFocus = true;
  focusTitle(screen);
  quietFocus = false;
  readScreen();
});
document.addEventListener('langchange', () => { render(); if (on) readScreen(); });
// The card's chip being read (kiosk.js): each new state is said after
// what is being said.
document.addEventListener('kiosk:chip', (e) => { if (on && e.detail) say(e.detail, { queue: true }); });

// The idle warning: the key focus on "more time" (with voice, or for whoever
// uses the keys), said after what is being said when queue is set.
let warned = false;
let warnedOn = ''; // the screen the warning was given on
function warnIdle(queue) {
  if (warned) return;
  warned = true;
  warnedOn = lastScreen;
  beforeIdle = document.activeElement;
  if (on || byKey) { quietFocus = true; $('idle-continue').focus(); quietFocus = false; }
  if (on) {
    const s = Math.max(0, Math.round((new Date(window.xephangKiosk.state().until) - Date.now()) / 1000));
    say([t('kiosk.voice.idle', { s }), nameOf($('idle-continue'))], { queue });
  }
}

// The idle bar's `hidden` is set by kiosk.js each second.
new MutationObserver(() => {
  const bar = $('idle-bar');
  if (!bar.hidden && !warned) {
    if (readTimer === null) warnIdle(false); // else once the new screen is read
  } else if (bar.hidden && warned) {
    warned = false;
    const back = beforeIdle;
    beforeIdle = null;
    if (lastScreen !== warnedOn || lastScreen === 's-home') return; // moved on, or gone home
    if (document.activeElement === $('idle-continue') || document.activeElement === document.body) {
      if (back && back !== document.body && visible(back)) back.focus({ preventScroll: true });
      else { const s = currentScreen(); if (s) focusTitle(s); }
    }
    if (on) say(t('kiosk.voice.more_time'));
  }
}).observe($('idle-bar'), { attributes: true, attributeFilter: ['hidden'] });

document.addEventListener('kiosk:reset', () => {
  offered = false;
  volume = 0.8;
  if (on) { on = false; window.speechSynthesis?.cancel(); }
  render();
});

// "Đọc to" of an answer (kiosk.js): said whether guidance is on or not.
document.addEventListener('kiosk:say', (e) => say(e.detail));

render();
window.xephangVoice = { state: () => ({ on, volume }) };
