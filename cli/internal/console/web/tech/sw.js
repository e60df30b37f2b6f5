// sw.js: the technician app's service worker. It caches the app shell (this directory's page,
// script, style, manifest and icon) so the app opens with no signal; calls to /api/, /files/
// and /session go to the network untouched (the app queues its changes in IndexedDB itself).
const SHELL = 'sanbao-tech-shell-v1';
const FILES = ['/tech/', '/tech/app.js', '/tech/queue.js', '/tech/tech.css', '/tech/manifest.json', '/tech/icon.svg'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const u = new URL(e.request.url);
  if (e.request.method !== 'GET' || u.origin !== self.location.origin || !u.pathname.startsWith('/tech/')) return;
  // Network first (a fresh app when there is signal), the cached shell when there is none.
  const key = u.pathname === '/tech/index.html' ? '/tech/' : u.pathname;
  e.respondWith(fetch(e.request).then((r) => {
    if (r.ok && FILES.includes(key)) {
      const copy = r.clone();
      caches.open(SHELL).then((c) => c.put(key, copy));
    }
    return r;
  }).catch(() => caches.match(key, { ignoreSearch: true }).then((r) => r || Response.error())));
});
