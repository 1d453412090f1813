// Built from verifier/web/holder/src/holder-sw.js by build.mjs; do not edit.
(() => {
  // src/holder-sw.js
  var CACHE = "huicui-holder-v1";
  self.addEventListener("install", () => self.skipWaiting());
  self.addEventListener(
    "activate",
    (event) => event.waitUntil(
      (async () => {
        await self.clients.claim();
        const cache = await caches.open(CACHE);
        const pages = await self.clients.matchAll({ type: "window" });
        const urls = pages.map((page) => page.url).filter((url) => cacheable(new Request(url)));
        await Promise.all([...urls, "/cards/holder.js"].map((url) => cache.add(url).catch(() => {
        })));
      })()
    )
  );
  function cacheable(request) {
    if (request.method !== "GET") return false;
    const url = new URL(request.url);
    if (url.origin !== self.location.origin) return false;
    if (url.pathname === "/cards/holder.js" || url.pathname === "/cards/icon.svg") return true;
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
      })()
    );
  });
})();
