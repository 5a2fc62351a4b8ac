// Solves a booking's proof of work off the page's thread (see pow.js).
// In: the challenge {salt, challenge, maxnumber}. Out: {progress} messages,
// then {number} or {error}.

import { solve } from '/assets/pow.js';

self.onmessage = async (e) => {
  try {
    const number = await solve(e.data, (progress) => self.postMessage({ progress }));
    self.postMessage({ number });
  } catch (err) {
    self.postMessage({ error: String(err && err.message || err) });
  }
};
