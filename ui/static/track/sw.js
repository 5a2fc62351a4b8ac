// The service worker of the tracking pages (scope /track/): it shows the
// server's Web Push messages, {"title", "body", "url", "tag"}, even when no
// tab of the page is open, and a click opens (or brings forward) the url.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

/** The url of a message, or the tracking scope when it is missing or not http(s). */
function target(url) {
  try {
    const u = new URL(url || '', self.registration.scope);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.href;
  } catch {
    /* not a URL */
  }
  return self.registration.scope;
}

self.addEventListener('push', (e) => {
  let m = {};
  if (e.data) {
    try {
      m = e.data.json() || {};
    } catch {
      m = { body: e.data.text() };
    }
  }
  const opts = { body: String(m.body || ''), icon: '/assets/icon.svg', lang: 'vi', data: { url: target(m.url) } };
  if (m.tag) {
    // A newer message of the same ticket replaces the older one, and rings.
    opts.tag = String(m.tag);
    opts.renotify = true;
  }
  e.waitUntil(self.registration.showNotification(String(m.title || 'Xếp Hàng'), opts));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = (e.notification.data && e.notification.data.url) || self.registration.scope;
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = wins.find((c) => c.url === url);
    if (open) return open.focus();
    return self.clients.openWindow(url);
  })());
});
