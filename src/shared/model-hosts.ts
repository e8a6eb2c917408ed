/**
 * The hosts the store worker may fetch from, and the Content-Security-Policy
 * that says so. A page's `<meta>` policy does not reach its workers, so the
 * service worker adds this one to the store worker's script response
 * (`workers/sw.ts`): the worker's own policy comes from its script's headers
 * (https://www.w3.org/TR/CSP3/#fetch-integration). The catalog's hosts are
 * known at build time; the origins of models added by URL are kept in
 * IndexedDB, written by the page before the store worker first fetches from
 * them and read by the service worker whenever it serves the worker script.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';

/** Hugging Face, where the catalog's files are, and the CDNs its `resolve` URLs redirect to. */
export const CATALOG_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

const KEY = 'origins';
// Its own database: idb-keyval cannot add a store to an existing one.
const defaultStore = () => createStore('hearth-model-hosts', 'hosts');

/**
 * The policy of the store worker: its own scripts, WebAssembly (its SHA-256 is
 * hash-wasm's), and fetches only to the app, the catalog and `origins`.
 */
export function storeWorkerPolicy(origins: readonly string[]): string {
  return ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", `connect-src 'self' ${[...CATALOG_HOSTS, ...origins].join(' ')}`].join('; ');
}

/** Whether the store worker may fetch `url` without an added origin: the app's own, or a catalog host. */
export function isBuiltInHost(url: URL, appOrigin: string): boolean {
  if (url.origin === appOrigin) return true;
  return url.protocol === 'https:' && CATALOG_HOSTS.some((host) => {
    const name = host.slice('https://'.length);
    return name.startsWith('*.') ? url.hostname.endsWith(name.slice(1)) : url.hostname === name;
  });
}

/** The origins models were added from, as the service worker reads them when it serves the store worker. */
export async function addedOrigins(store: UseStore = defaultStore()): Promise<string[]> {
  return (await get<string[]>(KEY, store)) ?? [];
}

/** Adds `origin` to the allowed ones; true when it is new, so the store worker must restart to get it. */
export async function addOrigin(origin: string, store: UseStore = defaultStore()): Promise<boolean> {
  const origins = await addedOrigins(store);
  if (origins.includes(origin)) return false;
  await set(KEY, [...origins, origin], store);
  return true;
}
