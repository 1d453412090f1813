/**
 * The verifier page's service worker: every file of the page is cached at install, so the
 * page opens and decides with the network off. The API (/api/...) is never cached: a
 * decision needs no network, and uploads and bundle files must reach the service.
 *
 * BUILD_FILES and BUILD_HASH are set by build.mjs: the cache is named after the hash of
 * every file in it, so a new build installs a whole new cache and drops the old one.
 */
/* global BUILD_FILES, BUILD_HASH */

const CACHE = `huicui-verify-${BUILD_HASH}`;
const SCOPE = new URL("./", self.location.href);
const FILES = ["./", ...BUILD_FILES];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: "reload" so a new worker never stores what the HTTP cache kept of an old build.
      await cache.addAll(FILES.map((name) => new Request(new URL(name, SCOPE), { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("huicui-verify-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Any page address (the enrollment link carries its secret after "#", never here)
      // is the one page.
      const key = request.mode === "navigate" ? new URL("./", SCOPE).href : url.origin + url.pathname;
      const hit = await cache.match(key);
      if (hit) return hit;
      return fetch(request);
    })(),
  );
});
