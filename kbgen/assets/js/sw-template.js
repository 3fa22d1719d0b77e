// kbgen service worker. The search stage fills in the constants below for each build.
// - install: the new cache is filled completely (shell, search data, and every page when the
//   site is small enough) before this worker can take over; a failed download fails the install
//   and the old worker keeps serving.
// - activate: caches of older builds are deleted, open pages are taken over.
// - HTML: network first, cached copy when offline (visited pages are cached as they are read).
// - content-hashed search data: cache first. Everything else (unversioned names): network first.
const BUILD = '__KB_CACHE_NAME__';
const PRECACHE = __KB_PRECACHE__;

const scope = self.registration ? self.registration.scope : self.location.href.replace(/[^/]*$/, '');
// Per scope, so a public and an internal portal on one origin never delete each other's cache.
const CACHE_PREFIX = `kbgen ${scope} `;
const CACHE_NAME = CACHE_PREFIX + BUILD;
const absolute = (path) => new URL(path, scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE_NAME);
    await cache.addAll(PRECACHE.map((path) => new Request(absolute(path), { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function isHtml(request) {
  return request.mode === 'navigate' || (request.headers.get('accept') || '').includes('text/html');
}

function isVersionedData(url) {
  return /\/(search|widgets)\/.+\/[td]-[0-9a-f]{10}\.js$/.test(url.pathname);
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE_NAME);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    const url = new URL(request.url);
    if (url.pathname.endsWith('/')) {
      const index = await cache.match(new URL('index.html', url).href);
      if (index) return index;
    } else {
      const folder = await cache.match(`${url.origin}${url.pathname}/`);
      if (folder) return folder;
    }
    const offline = await cache.match(absolute('404.html'));
    if (offline && isHtml(request)) return offline;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}


// Top-level names this build wrote ("en/", "assets/", "404.html"…).
const TOP_LEVEL = new Set(__KB_TOP_LEVEL__);

// Only the static site is cached: never API calls or staff pages (the API may share this
// origin; its answers are private and live), nor anything else this build did not produce.
function isSiteFile(url) {
  const path = decodeURIComponent(url.pathname.slice(new URL(scope).pathname.length));
  if (path === '') return true;
  const slash = path.indexOf('/');
  return TOP_LEVEL.has(slash === -1 ? path : path.slice(0, slash + 1));
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  // A stream never ends, so it can be neither cached nor waited for.
  if ((request.headers.get('accept') || '').includes('text/event-stream')) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(scope) || !isSiteFile(url)) return;
  if (isHtml(request) || url.pathname.endsWith('/index.js') || url.pathname.endsWith('/languages.js')) {
    event.respondWith(networkFirst(request));
  } else if (isVersionedData(url)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request));
  }
});
