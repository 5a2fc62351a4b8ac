// The anti-robot proof of work of anonymous bookings (ALTCHA's scheme):
// find n in 0…maxnumber with hex(SHA-256(salt + n)) = challenge. It runs in
// pow-worker.js, or on the page in batches that yield between them. The
// server raises maxnumber under load; progress is reported per batch.
// No imports: the worker loads this file alone.

/**
 * Finds the number; onProgress(fraction) after each batch. A salt and
 * number that fit one SHA-256 block (always, for this server's salts) take
 * the fast path: one block rewritten in place per number, no allocation,
 * about 20 times fewer microseconds per hash than crypto.subtle.digest
 * (docs/benchmarks.md, "Proof of work"), so a phone pays less for the
 * same difficulty and a native script's advantage shrinks.
 */
export async function solve({ salt, challenge, maxnumber }, onProgress = () => {}) {
  const target = fromHex(challenge);
  const enc = new TextEncoder();
  const saltBytes = enc.encode(salt);
  const batch = 20000;
  if (saltBytes.length + String(maxnumber).length <= 55) {
    const block = new OneBlock(saltBytes, target);
    for (let from = 0; from <= maxnumber; from += batch) {
      const to = Math.min(from + batch, maxnumber + 1);
      const n = block.search(from, to);
      if (n >= 0) return n;
      onProgress(to / (maxnumber + 1));
      await new Promise((r) => setTimeout(r, 0));
    }
    throw new Error('proof of work: no number matches the challenge');
  }
  for (let from = 0; from <= maxnumber; from += 1000) {
    const to = Math.min(from + 1000, maxnumber + 1);
    for (let n = from; n < to; n++) {
      if (equal(sha256(enc.encode(salt + n)), target)) return n;
    }
    onProgress(to / (maxnumber + 1));
    await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error('proof of work: no number matches the challenge');
}

/** SHA-256 of salt + decimal number, for messages of one block (≤ 55 bytes). */
class OneBlock {
  constructor(salt, target) {
    this.salt = salt;
    this.buf = new Uint8Array(64);
    this.buf.set(salt);
    this.dv = new DataView(this.buf.buffer);
    this.w = new Uint32Array(64);
    const tv = new DataView(target.buffer);
    this.t = [];
    for (let i = 0; i < 8; i++) this.t.push(tv.getUint32(i * 4) | 0);
  }

  /** Returns the n in [from, to) whose hash is the target, or -1. */
  search(from, to) {
    const { buf, dv, w, salt, t } = this;
    const sl = salt.length;
    for (let n = from; n < to; n++) {
      let len = sl;
      const digits = String(n);
      for (let i = 0; i < digits.length; i++) buf[len++] = digits.charCodeAt(i);
      buf[len] = 0x80;
      buf.fill(0, len + 1, 60);
      dv.setUint32(60, len * 8);
      for (let i = 0; i < 16; i++) w[i] = dv.getUint32(i * 4);
      const h = compress(w, H0, out8);
      if (h[0] === t[0] && h[1] === t[1] && h[2] === t[2] && h[3] === t[3] &&
          h[4] === t[4] && h[5] === t[5] && h[6] === t[6] && h[7] === t[7]) return n;
    }
    return -1;
  }
}

const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const out8 = new Int32Array(8);

/**
 * One SHA-256 compression of the block in w[0..15] (w has room for 64
 * words) from state, written to out (which may be state).
 */
function compress(w, state, out) {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ror(x, 7) ^ ror(x, 18) ^ (x >>> 3);
    const s1 = ror(y, 17) ^ ror(y, 19) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = state[0] | 0, b = state[1] | 0, c = state[2] | 0, d = state[3] | 0;
  let e = state[4] | 0, f = state[5] | 0, g = state[6] | 0, h = state[7] | 0;
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  out[0] = (state[0] + a) | 0; out[1] = (state[1] + b) | 0; out[2] = (state[2] + c) | 0; out[3] = (state[3] + d) | 0;
  out[4] = (state[4] + e) | 0; out[5] = (state[5] + f) | 0; out[6] = (state[6] + g) | 0; out[7] = (state[7] + h) | 0;
  return out;
}

function fromHex(s) {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const ror = (x, n) => (x >>> n) | (x << (32 - n));

/** SHA-256 of bytes, for browsers without Web Crypto. */
export function sha256(msg) {
  const len = msg.length;
  const buf = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  buf.set(msg);
  buf[len] = 0x80;
  const dv = new DataView(buf.buffer);
  dv.setUint32(buf.length - 8, Math.floor(len / 0x20000000));
  dv.setUint32(buf.length - 4, (len << 3) >>> 0);
  const hh = [...H0];
  const w = new Uint32Array(64);
  for (let off = 0; off < buf.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    compress(w, hh, hh);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, hh[i] >>> 0);
  return out;
}
