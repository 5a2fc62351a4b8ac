// The calling chime, synthesised with the Web Audio API (no audio files):
// a two-note "ding-dong" with soft harmonics. Chimes are queued, so calls
// that arrive together play one after another and never cut each other off.

let ctx = null;
const queue = [];
let playing = false;

/** The page's shared AudioContext (null without Web Audio). */
export function audioContext() {
  return context();
}

function context() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
  }
  return ctx;
}

/** Whether the browser blocks sound until a user gesture (autoplay policy). */
export function blocked() {
  const c = context();
  return !!c && c.state === 'suspended';
}

/** Tries to start audio; call it from a click or key press. */
export async function unlock() {
  const c = context();
  if (c && c.state === 'suspended') {
    try {
      await c.resume();
    } catch {
      /* still blocked */
    }
  }
  return !blocked();
}

function note(c, freq, start, length, gain) {
  const out = c.createGain();
  out.gain.setValueAtTime(0.0001, start);
  out.gain.exponentialRampToValueAtTime(gain, start + 0.02);
  out.gain.exponentialRampToValueAtTime(0.0001, start + length);
  out.connect(c.destination);
  // A bell: the fundamental with two quieter partials.
  for (const [mult, g] of [[1, 1], [2.01, 0.35], [3.02, 0.12]]) {
    const o = c.createOscillator();
    const og = c.createGain();
    o.type = 'sine';
    o.frequency.value = freq * mult;
    og.gain.value = g;
    o.connect(og).connect(out);
    o.start(start);
    o.stop(start + length + 0.05);
  }
}

function playOne() {
  const c = context();
  // Without sound the calls still take turns on screen.
  if (!c || c.state !== 'running') return new Promise((resolve) => setTimeout(resolve, 1500));
  const t0 = c.currentTime + 0.05;
  note(c, 659.25, t0, 1.1, 0.35); // E5
  note(c, 523.25, t0 + 0.45, 1.4, 0.35); // C5
  return new Promise((resolve) => setTimeout(resolve, 2000));
}

/**
 * Plays one chime now, outside the queue; resolves when it has sounded
 * (at once-ish, after a pause, when sound is blocked). For callers that
 * keep their own queue, such as the spoken-call announcer.
 */
export function ding() {
  return playOne();
}

async function drain() {
  if (playing) return;
  playing = true;
  while (queue.length) {
    const job = queue.shift();
    try {
      if (job.before) job.before();
      await playOne();
      if (job.gap) await new Promise((r) => setTimeout(r, job.gap));
    } catch (err) {
      console.error('chime', err);
    }
  }
  playing = false;
}

/**
 * Queues a chime. before() runs when its turn comes (to flash the call on
 * screen in step with the sound); the returned promise resolves after it.
 */
export function chime(before, gap = 600) {
  return new Promise((resolve) => {
    queue.push({
      before: () => {
        if (before) before();
        resolve();
      },
      gap,
    });
    drain();
  });
}
