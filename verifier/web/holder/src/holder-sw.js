// The holder page's service worker (scope /cards/): the card page and its script are
// fetched from the network when there is one and kept, and served from that copy when
// there is none, so the live card opens on a phone with no signal. The card itself (key,
// bound certificate) lives in IndexedDB, not here. Nothing else is cached: activation
// and status answers must be fresh.
const CACHE = "huicui-holder-v1";

self.addEventListener("install", () => self.skipWaiting());

// The page that registered this worker was loaded before it existed: keep a copy of
// every open card page (and the script) now, so the next start works offline.
self.addEventListener("activate", (event) =>
  event.waitUntil(
    (async () => {
      await self.clients.claim();
      const cache = await caches.open(CACHE);
      const pages = await self.clients.matchAll({ type: "window" });
      const urls = pages.map((page) => page.url).filter((url) => cacheable(new Request(url)));
      await Promise.all([...urls, "/cards/holder.js"].map((url) => cache.add(url).catch(() => {})));
    })(),
  ),
);

function cacheable(request) {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === "/cards/holder.js" || url.pathname === "/cards/icon.svg") return true;
  // A card page, or its manifest: /cards/<token>[/manifest.webmanifest]
  return /^\/cards\/[A-Za-z0-9_-]{22,64}(\/manifest\.webmanifest)?$/.test(url.pathname);
}

self.addEventListener("fetch", (event) => {
  if (!cacheable(event.request)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const fresh = await fetch(event.request);
        if (fresh.ok) await cache.put(event.request, fresh.clone());
        return fresh;
      } catch (err) {
        const kept = await cache.match(event.request);
        if (kept) return kept;
        throw err;
      }
    })(),
  );
});
