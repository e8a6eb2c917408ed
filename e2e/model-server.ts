/**
 * A model host for the e2e tests and the warm-start bench: serves models under
 * `/m/<id>/` (a `hearth-model.json` and its files) with CORS, honours `Range`,
 * logs every request, and injects faults: a connection dropped or stalled after
 * N bytes, corrupt bytes, an error status, another body.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ModelFile, ModelManifest } from '../src/shared/model.ts';

/** A file's bytes, in memory or in a file on disk. */
export type Body = Uint8Array | { disk: string; size: number };

export interface ServedModel {
  manifest: ModelManifest;
  files: Map<string, Body>;
}

export interface Fault {
  /** Closes the connection after this many bytes of the body. */
  dropAfter?: number;
  /** Sends this many bytes, then nothing until the client goes away. */
  stallAfter?: number;
  /** Flips the bits of one byte in the middle of the body. */
  corrupt?: boolean;
  /** Answers this status with no body. */
  status?: number;
  /** How many requests it spoils; 1 unless told. */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | null;
  status: number;
}

export interface ModelServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  manifestUrl(id: string): string;
  requests: LoggedRequest[];
  add(id: string, model: ServedModel): void;
  /** Serves `body` (a string or bytes) with `status` at `path`, for manifests that are not JSON or not there. */
  route(path: string, status: number, body?: string | Uint8Array): void;
  fault(path: string, fault: Fault): void;
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length',
  // The app is cross-origin isolated (COEP require-corp); CORS already admits these responses, this says so twice.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const sizeOf = (body: Body) => (body instanceof Uint8Array ? body.length : body.size);

function stream(body: Body, start: number): Readable {
  if (!(body instanceof Uint8Array)) return createReadStream(body.disk, { start, highWaterMark: 1 << 20 });
  // Pieces of 16 KiB, as a network delivers them, so faults can cut between them.
  const pieces = function* () {
    for (let at = start; at < body.length; at += 16 * 1024) yield body.subarray(at, Math.min(at + 16 * 1024, body.length));
  };
  return Readable.from(pieces());
}

/** Sends `source` until `limit` bytes, then drops or stalls; corrupts one byte when told. */
async function send(response: ServerResponse, source: Readable, fault: Fault, total: number): Promise<void> {
  let sent = 0;
  const limit = fault.dropAfter ?? fault.stallAfter ?? Infinity;
  const middle = Math.floor(total / 2);
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    let piece = chunk.subarray(0, Math.max(0, limit - sent));
    if (fault.corrupt && sent <= middle && middle < sent + piece.length) {
      piece = Uint8Array.from(piece);
      piece[middle - sent] ^= 0xff;
    }
    sent += piece.length;
    if (!response.write(piece)) await new Promise((resolve) => response.once('drain', resolve));
    if (sent >= limit) break;
  }
  source.destroy();
  if (fault.dropAfter !== undefined && sent >= fault.dropAfter) {
    // A browser may drop bytes it received but had not handed to the page when the connection fails;
    // a pause first makes "the client has the first N bytes" hold, as after a long stall.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return void response.socket?.destroy();
  }
  if (fault.stallAfter === undefined || sent < fault.stallAfter) response.end();
}

/** Starts the server on 127.0.0.1:`port`. */
export async function startModelServer(port: number): Promise<ModelServer> {
  const models = new Map<string, ServedModel>();
  const routes = new Map<string, { status: number; body?: string | Uint8Array }>();
  const faults = new Map<string, Fault>();
  const requests: LoggedRequest[] = [];

  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const range = request.headers.range ?? null;
    const answer = (status: number, headers: Record<string, string | number> = {}) => {
      requests.push({ method: request.method ?? 'GET', path, range, status });
      response.writeHead(status, { ...CORS, 'Cache-Control': 'no-store', ...headers });
    };
    if (request.method === 'OPTIONS') return void (answer(204), response.end());
    const route = routes.get(path);
    if (route) return void (answer(route.status, { 'Content-Type': 'application/json' }), response.end(route.body));
    const active = faults.get(path);
    if (active && --active.times! <= 0) faults.delete(path);
    if (active?.status) return void (answer(active.status), response.end());

    const [, prefix, id, ...rest] = path.split('/');
    const model = prefix === 'm' ? models.get(id) : undefined;
    const file = rest.join('/');
    if (model && file === 'hearth-model.json') return void (answer(200, { 'Content-Type': 'application/json' }), response.end(JSON.stringify(model.manifest)));
    const body = model?.files.get(file);
    if (!body) return void (answer(404), response.end('Not found'));
    const size = sizeOf(body);
    const start = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
    if (start > 0) answer(206, { 'Content-Length': size - start, 'Content-Range': `bytes ${start}-${size - 1}/${size}` });
    else answer(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
    void send(response, stream(body, start), active ?? {}, size - start).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    manifestUrl: (id) => `${url}m/${id}/hearth-model.json`,
    requests,
    add: (id, model) => void models.set(id, model),
    route: (path, status, body) => void routes.set(path, { status, body }),
    fault: (path, fault) => void faults.set(path, { ...fault, times: fault.times ?? 1 }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The manifest entries of `files` (sha256 of each), in their order; `_data` files are marked external data. */
export function listFiles(files: Map<string, Uint8Array>): ModelFile[] {
  return [...files].map(([path, bytes]) => ({
    path,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(path.endsWith('.onnx_data') ? { externalData: true as const } : {}),
  }));
}
