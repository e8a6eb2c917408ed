/**
 * Preview decoders stored on their own (TAESD, a few MB): one record per
 * catalog id holding the whole graph, fetched in one piece and kept only when
 * its size and sha256 match the Hub's LFS pointer at the pinned revision. Its
 * own database, since idb-keyval cannot add a store to an existing one; the
 * store worker writes it, the diffusion worker reads it.
 */
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import type { CatalogPreviewDecoder } from '../../src/shared/catalog.ts';
import { hfFileUrl } from '../../src/shared/hub-urls.ts';
import { IntegrityError } from '../../src/shared/errors.ts';
import type { StoredPreviewDecoder } from '../../src/shared/store-protocol.ts';
import { fetchSmall, hubFileFacts, sha256Hex } from './remote-models.ts';

interface SavedPreviewDecoder extends StoredPreviewDecoder {
  graph: Blob;
}

let opened: UseStore | undefined;
/** The database both workers use; tests pass a store of their own to each function instead. */
const previewDecoderStore = (): UseStore => (opened ??= createStore('hearth-preview-decoders', 'decoders'));

const describe = ({ graph: _graph, ...stored }: SavedPreviewDecoder): StoredPreviewDecoder => stored;

export async function listPreviewDecoders(store = previewDecoderStore()): Promise<StoredPreviewDecoder[]> {
  return (await values<SavedPreviewDecoder>(store)).map(describe);
}

/** Fetches the decoder's graph and keeps it once its size and sha256 match its LFS pointer; throws `IntegrityError` otherwise. */
export async function downloadPreviewDecoder(decoder: CatalogPreviewDecoder, fetchImpl: typeof fetch = fetch, store = previewDecoderStore()): Promise<StoredPreviewDecoder> {
  const { repo, revision, file } = decoder;
  const expected = await hubFileFacts(repo, revision, file.path, fetchImpl);
  const bytes = await fetchSmall(hfFileUrl(repo, revision, file.path), file.path, fetchImpl);
  const sha256 = await sha256Hex(bytes);
  if (bytes.length !== expected.size || sha256 !== expected.sha256) {
    throw new IntegrityError(`${decoder.name} (${file.path})`, `${expected.size} bytes, sha256 ${expected.sha256}`, `${bytes.length} bytes, sha256 ${sha256}`);
  }
  const saved: SavedPreviewDecoder = { id: decoder.id, repo, revision, size: bytes.length, sha256, storedAt: Date.now(), graph: new Blob([bytes]) };
  await set(decoder.id, saved, store);
  return describe(saved);
}

/** The stored graph's bytes, for ORT. */
export async function readPreviewDecoderGraph(id: string, store = previewDecoderStore()): Promise<Uint8Array<ArrayBuffer>> {
  const saved = await get<SavedPreviewDecoder>(id, store);
  if (!saved) throw new IntegrityError(`preview decoder "${id}"`, 'a stored graph', 'none (deleted since the model loaded)');
  return new Uint8Array(await saved.graph.arrayBuffer());
}

export const deletePreviewDecoder = (id: string, store = previewDecoderStore()): Promise<void> => del(id, store);
