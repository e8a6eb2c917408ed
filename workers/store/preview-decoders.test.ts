import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCatalog, type CatalogPreviewDecoder } from '../../src/shared/catalog.ts';
import { IntegrityError } from '../../src/shared/errors.ts';
import { deletePreviewDecoder, downloadPreviewDecoder, listPreviewDecoders, readPreviewDecoderGraph } from './preview-decoders.ts';

const catalog = parseCatalog(JSON.parse(readFileSync(new URL('../../public/catalog.json', import.meta.url), 'utf8')));
const taesd: CatalogPreviewDecoder = catalog.previewDecoders[0];
const graph = new Uint8Array([8, 1, 18, 5, 104, 101, 97, 114, 116, 104]);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let databases = 0;

/** The Hub as the downloader sees it: `/raw/` answers the LFS pointer, `/resolve/` the bytes; every URL is logged. */
function hub(served: Uint8Array<ArrayBuffer>, pointer = { size: graph.length, sha256: sha(graph) }) {
  const urls: string[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = String(input);
    urls.push(url);
    if (url.includes('/raw/')) return new Response(`version https://git-lfs.github.com/spec/v1\noid sha256:${pointer.sha256}\nsize ${pointer.size}\n`);
    return new Response(served);
  };
  return { fetch: fetch as typeof globalThis.fetch, urls };
}

describe('preview decoders stored on their own', () => {
  it('downloads the graph at the pinned revision, keeps it when it matches its LFS pointer, and deletes it', async () => {
    const store = createStore(`preview-decoders-${databases++}`, 'decoders');
    const { fetch, urls } = hub(graph);
    const stored = await downloadPreviewDecoder(taesd, fetch, store);
    expect(stored).toMatchObject({ id: 'taesd', revision: taesd.revision, size: graph.length, sha256: sha(graph) });
    expect(urls).toEqual([
      `https://huggingface.co/deinferno/taesd-onnx/raw/${taesd.revision}/vae_decoder/model.onnx`,
      `https://huggingface.co/deinferno/taesd-onnx/resolve/${taesd.revision}/vae_decoder/model.onnx`,
    ]);
    expect(await listPreviewDecoders(store)).toEqual([stored]);
    expect(await readPreviewDecoderGraph('taesd', store)).toEqual(graph);
    await deletePreviewDecoder('taesd', store);
    expect(await listPreviewDecoders(store)).toEqual([]);
  });

  it('refuses bytes that are not the ones its LFS pointer names, and keeps nothing', async () => {
    const store = createStore(`preview-decoders-${databases++}`, 'decoders');
    const corrupt = graph.slice();
    corrupt[0] ^= 1;
    const error = await downloadPreviewDecoder(taesd, hub(corrupt).fetch, store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).message).toContain(`sha256 ${sha(graph)}`);
    expect(await listPreviewDecoders(store)).toEqual([]);
  });
});
