// Spoken calls for the hall display: "Mời số A012 đến quầy số 3", joined
// from short clips that ui/audio/generate.sh makes with espeak-ng (listed in
// /display/audio/manifest.json), so the display speaks without a network.
// Every call is a job in one queue: its turn shows it on screen, sounds the
// chime, then speaks the number and the counter; the next call waits for the
// end, so calls close together never cut each other off (calls of one burst
// share its first chime). Without clips (no manifest, or a clip that fails)
// the chime alone sounds.

import { audioContext, ding } from '/assets/chime.js';

const base = '/display/audio/';
const gapMs = 500; // silence between two calls
const chimeMs = 1600; // the speech starts as the chime fades
const burstMs = 3000; // a call this soon after the last one is said without a new chime
const mutedMs = 1500; // how long a call holds the screen when sound is blocked

/** The clip keys that say a ticket number and a counter, in order. */
export function phrase(number, counter) {
  const keys = ['call'];
  for (const ch of String(number).toUpperCase()) {
    if (ch >= 'A' && ch <= 'Z') keys.push('letter.' + ch);
    else if (ch >= '0' && ch <= '9') keys.push('digit.' + ch);
  }
  keys.push('to_counter');
  if (counter >= 1 && counter <= 50) keys.push('number.' + counter);
  else for (const ch of String(counter)) keys.push('digit.' + ch);
  return keys;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Announcer {
  constructor() {
    this.clips = {}; // key → file name
    this.buffers = new Map(); // key → Promise<AudioBuffer|null>
    this.queue = []; // calls waiting for their turn: {number, counter}
    this.current = null; // the call being announced
    this.played = []; // announced calls, oldest first: {number, counter, spoken: [keys], at}
    this.playing = false;
    this.speech = false; // whether clips were found
    this.lastEnd = 0; // when the last call finished being said
  }

  /** Reads the manifest; without one the announcer only chimes. */
  async load() {
    try {
      const r = await fetch(base + 'manifest.json', { cache: 'no-cache' });
      const m = r.ok ? await r.json() : null;
      this.clips = (m && m.clips) || {};
    } catch {
      this.clips = {};
    }
    this.speech = Object.keys(this.clips).length > 0;
    document.body.dataset.speech = this.speech ? 'on' : 'off';
    if (this.speech) for (const k of phrase('A0123456789', 1)) this.buffer(k); // warm the common clips
    return this.speech;
  }

  buffer(key) {
    if (!this.buffers.has(key)) {
      const file = this.clips[key];
      const ctx = audioContext();
      const p = !file || !ctx
        ? Promise.resolve(null)
        : fetch(base + file)
          .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${file}: HTTP ${r.status}`))))
          .then((data) => ctx.decodeAudioData(data))
          .catch((err) => {
            console.warn('spoken call clip', key, err.message);
            this.buffers.delete(key); // try again next time
            return null;
          });
      this.buffers.set(key, p);
    }
    return this.buffers.get(key);
  }

  /**
   * Queues a call. before() runs when its turn comes (to show it on screen
   * in step with the sound); the promise resolves when it has been said.
   */
  announce(call, before) {
    return new Promise((resolve) => {
      this.queue.push({ number: call.number, counter: call.counter, before, resolve });
      this.drain();
    });
  }

  async drain() {
    if (this.playing) return;
    this.playing = true;
    while (this.queue.length) {
      const job = this.queue.shift();
      this.current = { number: job.number, counter: job.counter };
      let spoken = [];
      try {
        if (job.before) job.before();
        // Calls in a burst share the first one's chime.
        const chime = Date.now() - this.lastEnd > burstMs;
        spoken = await this.say(job.number, job.counter, chime);
      } catch (err) {
        console.error('announce', err);
      }
      this.played.push({ number: job.number, counter: job.counter, spoken, at: Date.now() });
      if (this.played.length > 50) this.played.shift();
      this.current = null;
      this.lastEnd = Date.now();
      job.resolve();
      if (this.queue.length) await sleep(gapMs);
    }
    this.playing = false;
  }

  /** Chimes (unless chime is false), then speaks the call; returns the clip keys it spoke. */
  async say(number, counter, chime = true) {
    const ctx = audioContext();
    if (!ctx || ctx.state !== 'running') {
      await sleep(mutedMs);
      return [];
    }
    const keys = this.speech ? phrase(number, counter) : [];
    const loading = Promise.all(keys.map((k) => this.buffer(k)));
    if (!keys.length) {
      await ding(); // no clips: the chime alone, whole
      return [];
    }
    if (chime) {
      ding();
      await sleep(chimeMs);
    }
    const bufs = await loading;
    const said = [];
    let at = ctx.currentTime + 0.05;
    let last = null;
    keys.forEach((k, i) => {
      const b = bufs[i];
      if (!b) return;
      const src = ctx.createBufferSource();
      src.buffer = b;
      src.connect(ctx.destination);
      src.start(at);
      at += b.duration;
      last = src;
      said.push(k);
    });
    if (last) {
      const ms = (at - ctx.currentTime) * 1000 + 100;
      // onended may not fire if the context is suspended meanwhile.
      await new Promise((r) => {
        const timer = setTimeout(r, ms + 1000);
        last.onended = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
    return said;
  }
}
