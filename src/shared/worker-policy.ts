/**
 * The Content-Security-Policy of each of the app's workers. A page's `<meta>`
 * policy does not reach its workers: a worker's policy comes from its script's
 * response headers (https://www.w3.org/TR/CSP3/#fetch-integration), and the
 * service worker adds them (`workers/sw.ts`). What each policy allows and
 * blocks, and the first visit before the service worker controls the page, are
 * in docs/browser.md.
 */
import { storeWorkerPolicy } from './model-hosts.ts';

/**
 * Every worker but the store's (the diffusion and prompt workers, and the
 * threads ORT's wasm starts) only reads the app's own files.
 * `'wasm-unsafe-eval'` lets ORT compile its WebAssembly, and nothing else.
 */
export const APP_WORKER_POLICY = ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'"].join('; ');

/** Whether `path` is the store worker's script, the one worker that fetches from model hosts. */
export const isStoreWorkerScript = (path: string): boolean => /\/store\.worker[^/]*\.js$/.test(path);

/** The policy for the worker whose script is at `path`; only the store worker's waits for `addedOrigins`, the origins models were added from. */
export async function workerPolicy(path: string, addedOrigins: () => Promise<readonly string[]>): Promise<string> {
  return isStoreWorkerScript(path) ? storeWorkerPolicy(await addedOrigins()) : APP_WORKER_POLICY;
}
