/**
 * A small static server for the built app, like any static host. By default it
 * sends the headers the README's deploy notes ask of a host: COOP/COEP so ORT's
 * wasm can use threads, and the app-only Content-Security-Policy for every
 * worker script but the store's (`--no-isolate` sends neither, like GitHub Pages);
 * `--prefix /hearth/` serves the folder under a sub-path, like a GitHub Pages project site.
 * Usage: tsx scripts/serve.ts [--dir dist] [--port 4173] [--no-isolate] [--prefix /]
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { APP_WORKER_POLICY, isStoreWorkerScript } from '../src/shared/worker-policy.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface ServeOptions {
  dir: string;
  port: number;
  /** Send COOP/COEP and the workers' policy, as the deploy notes ask; false is a host that sends no headers. */
  isolate: boolean;
  /** The URL path the folder appears under, starting and ending with '/'; '/' by default. */
  prefix?: string;
  /** A broken deploy: paths (relative to `dir`, like 'assets/x.js') it returns true for answer 404. */
  fail?: (path: string) => boolean;
  /** Content types by extension that replace the right ones, as a misconfigured host sends them (tests only). */
  types?: Record<string, string>;
}

/** Serves `dir` on 127.0.0.1; resolves once listening. */
export function serve({ dir, port, isolate, prefix = '/', fail, types = {} }: ServeOptions): Promise<Server> {
  const root = resolve(dir);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (`${path}/` === prefix) return void response.writeHead(301, { Location: prefix }).end();
    const relative = path.slice(prefix.length);
    if (!path.startsWith(prefix) || fail?.(relative)) return void response.writeHead(404).end();
    let file = normalize(join(root, relative));
    if (!file.startsWith(root)) return void response.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const info = await stat(file);
      // The service worker adds the same from the second load on; the store worker's policy needs the user's added hosts, which only it knows.
      const workerScript = request.headers['sec-fetch-dest'] === 'worker' && !isStoreWorkerScript(path);
      response.writeHead(200, {
        'Content-Type': types[extname(file)] ?? TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-cache',
        ...(isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
        ...(isolate && workerScript ? { 'Content-Security-Policy': APP_WORKER_POLICY } : {}),
      });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
    }
  });
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: 'dist' },
      port: { type: 'string', default: process.env.PORT ?? '4173' },
      'no-isolate': { type: 'boolean', default: false },
      prefix: { type: 'string', default: '/' },
    },
  });
  const port = Number(values.port);
  await serve({ dir: values.dir, port, isolate: !values['no-isolate'], prefix: values.prefix });
  console.log(`Hearth is served at http://127.0.0.1:${port}${values.prefix} (Ctrl+C stops it)`);
}
