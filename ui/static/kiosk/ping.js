// The browser watchdog's ping: kioskd restarts the browser (its
// XEPHANG_BROWSER_RESTART command) when this page has not pinged for
// XEPHANG_BROWSER_TIMEOUT (30 s). A hung renderer or a crash page stops it.
const every = 5000;
async function ping() {
  try {
    await fetch('/api/ping', { method: 'POST', keepalive: true });
  } catch {
    /* kioskd restarting: the next ping tells it we are here */
  }
}
ping();
setInterval(ping, every);
