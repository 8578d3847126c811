// The page's service worker. Two jobs, and one worker must do both (a scope has one):
// 1. Cross-origin isolation on any static host: it adds COOP/COEP to the responses it serves, so
//    that SharedArrayBuffer, and with it the threaded wasm module, works where the server sends
//    no such headers (the approach of the coi-serviceworker package, written here because that
//    package's worker would own the scope and leave no room for the offline cache below).
// 2. Offline: it precaches this build's page, wasm modules and first model in a cache named after
//    the build, adds other models when they are first opened (MNIST never), and deletes the
//    caches of other builds when it takes over.
// scripts/site.mjs replaces the next line with the build's version and file list. Unstamped (the
// development server, which sends its own headers), nothing is cached.
self.SITE = { version: 'dev', files: [] };

const CACHE = `digit-cnn-${self.SITE.version}`;
const PRECACHE = self.SITE.version !== 'dev';

self.addEventListener('install', (event) => {
  self.skipWaiting();
  if (PRECACHE) event.waitUntil(caches.open(CACHE).then((c) => c.addAll(self.SITE.files.map((f) => new Request(f, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('digit-cnn-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function isolated(response) {
  if (!response || response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function respond(request) {
  // The page is cached without its query (?model=...); everything else by its exact URL.
  const cached = PRECACHE && await caches.match(request, { cacheName: CACHE, ignoreSearch: request.mode === 'navigate' });
  if (cached) return isolated(cached);
  const response = await fetch(request);
  if (PRECACHE && response.ok && new URL(request.url).pathname.endsWith('.dcnn')) {
    const copy = response.clone();
    caches.open(CACHE).then((c) => c.put(request, copy)).catch(() => {});
  }
  return isolated(response);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Chromium refuses only-if-cached requests outside same-origin mode.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(respond(request));
});
