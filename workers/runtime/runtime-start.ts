/**
 * Names why onnxruntime-web could not start a backend. ORT reports it as
 * "no available backend found. ERR: [webgpu] TypeError: Failed to fetch
 * dynamically imported module ...", which hides the usual cause: the host
 * serves ORT's `.mjs` with a type browsers refuse for module scripts (older
 * nginx `mime.types` lacks `mjs`). Asking the host for ORT's own files tells
 * which it is.
 */
import { RuntimeStartError } from '../../src/shared/errors.ts';

const HOST_FIX =
  'The site must serve .mjs files as text/javascript and .wasm files as application/wasm (for nginx, add mjs to the application/javascript line of mime.types); see "Deploying" in the README.';

const fileName = (url: string) => url.slice(url.lastIndexOf('/') + 1);

/** What the host says about one of ORT's files, when that explains the failure. */
async function hostProblem(url: string, fetchImpl: typeof fetch): Promise<string | undefined> {
  const response = await fetchImpl(url, { method: 'HEAD', cache: 'no-store' }).catch(() => undefined);
  // Offline or refused: nothing learnt about the host.
  if (!response) return undefined;
  if (!response.ok) return `the site answers HTTP ${response.status} for ${fileName(url)}`;
  const type = response.headers.get('Content-Type') ?? '';
  // Module scripts must have a JavaScript MIME type: https://html.spec.whatwg.org/multipage/webappapis.html#fetch-a-single-module-script
  if (url.endsWith('.mjs') && !/^(text|application)\/javascript\b/i.test(type)) {
    return `the site sends ${fileName(url)} as "${type || 'no type'}", and browsers run only JavaScript-typed modules`;
  }
  return undefined;
}

/**
 * `RuntimeStartError` when `error` is ORT failing to start a backend, naming
 * the host's fault where one of `assets` (ORT's `.mjs` and `.wasm`) shows it;
 * `undefined` for any other error.
 */
export async function runtimeStartError(error: unknown, assets: readonly string[], fetchImpl: typeof fetch = fetch): Promise<RuntimeStartError | undefined> {
  const message = error instanceof Error ? error.message : String(error);
  if (!/no available backend found|Failed to fetch dynamically imported module/.test(message)) return undefined;
  for (const url of assets) {
    const problem = await hostProblem(url, fetchImpl);
    if (problem) return new RuntimeStartError(problem, HOST_FIX);
  }
  return new RuntimeStartError(message, 'Reload the page; if that does not help, the site may be serving its files wrongly. ' + HOST_FIX);
}

/** The `.mjs` and `.wasm` URLs ORT was told to load (`workers/runtime/ort.ts`). */
export function ortAssets(ort: { env: { wasm: { wasmPaths?: string | { mjs?: string | URL; wasm?: string | URL } } } }): string[] {
  const paths = ort.env.wasm.wasmPaths;
  return typeof paths === 'object' ? [paths.mjs, paths.wasm].filter((url) => url !== undefined).map(String) : [];
}
