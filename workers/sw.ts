/**
 * Hearth's service worker: precaches the app (shell, worker bundles, the ORT
 * builds this browser may run, the built-in tiny model) so it opens and generates
 * offline, and adds the COOP/COEP headers static hosts cannot send. It never
 * activates itself over a running version: the page asks it to
 * (SKIP_WAITING) and then reloads. Downloaded model weights live in
 * IndexedDB, not here.
 */
/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { addedOrigins } from '../src/shared/model-hosts.ts';
import { workerPolicy } from '../src/shared/worker-policy.ts';
import { precachesOrtAsset } from './runtime/ort-build.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

/**
 * Whether a response creates a context (a page or a worker) whose isolation
 * its headers decide. Subresources need none: passed through untouched, the
 * 26 MB wasm is not piped through this worker on every load, and cached
 * scripts keep the compiled code Chrome stores beside Cache Storage entries
 * (https://v8.dev/blog/code-caching-for-devs), which a rebuilt Response lacks.
 */
function createsContext(request: Request): boolean {
  return request.mode === 'navigate' || request.destination === 'worker' || request.destination === 'sharedworker';
}

/**
 * Makes a response cross-origin isolating, as coi-serviceworker does
 * (https://github.com/gzuidhof/coi-serviceworker), so ORT's wasm gets threads
 * on hosts like GitHub Pages that cannot set headers. Every subresource is
 * same-origin and every cross-origin fetch uses CORS, so `require-corp`
 * blocks nothing and no Cross-Origin-Resource-Policy is needed. A worker
 * needs COEP too, or an isolated page may not start it.
 */
function isolate(response: Response, extra: Record<string, string> = {}): Response {
  // An opaque redirect (a navigation answered by a redirect) cannot be rebuilt; the browser follows it with a new request.
  if (response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * Worker scripts also get their Content-Security-Policy: the page's `<meta>`
 * policy does not reach workers (`src/shared/worker-policy.ts`). The store
 * worker's allowed origins are read now, so a worker started after a model
 * was added from a new host may fetch from it (`src/shared/model-hosts.ts`).
 */
async function withHeaders(request: Request, response: Response): Promise<Response> {
  if (!createsContext(request)) return response;
  if (request.destination !== 'worker') return isolate(response);
  return isolate(response, { 'Content-Security-Policy': await workerPolicy(new URL(request.url).pathname, () => addedOrigins()) });
}

addPlugins([{ handlerWillRespond: ({ request, response }) => withHeaders(request, response) }]);
// Filled in at build time by workbox-build with each file's URL and revision; hashed assets carry none.
precacheAndRoute(self.__WB_MANIFEST.filter((entry) => precachesOrtAsset(typeof entry === 'string' ? entry : entry.url, WebAssembly)));
cleanupOutdatedCaches();
// Pages and workers of our origin that are not precached still need the headers; everything else passes untouched.
registerRoute(
  ({ request, url }) => url.origin === self.location.origin && createsContext(request),
  async ({ request }) => withHeaders(request, await fetch(request)),
);

// The first install takes over the open page at once, so that its next load is isolated.
clientsClaim();

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});
