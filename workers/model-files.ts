/**
 * Reads a model's files wherever its `ModelSource` says they are: the app's
 * own server for the built-in model, or the model store in IndexedDB, which
 * this worker opens itself (same origin, so no copy through the main thread).
 */
import { ModelFileError } from '../src/shared/errors.ts';
import type { ModelFile, ModelSource, PreviewDecoderFile } from '../src/shared/model.ts';
import { openModelStore, type ModelStore } from './store/model-store.ts';
import { readPreviewDecoderGraph } from './store/preview-decoders.ts';

let store: ModelStore | undefined;
const modelStore = () => (store ??= openModelStore());

async function fetchFile(baseUrl: string, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(new URL(path, baseUrl));
  } catch (error) {
    throw new ModelFileError(path, `could not be fetched (${(error as Error).message})`);
  }
  if (!response.ok) throw new ModelFileError(path, `could not be fetched (HTTP ${response.status})`);
  return response;
}

function listed(source: ModelSource, path: string): boolean {
  return source.manifest.files.some((file) => file.path === path);
}

/** One file as bytes: ORT takes graphs and external data this way (docs/real-size.md). */
async function readModelBytes(source: ModelSource, path: string): Promise<Uint8Array<ArrayBuffer>> {
  if (source.kind === 'store') return modelStore().readFileBytes(source.modelId, path);
  return new Uint8Array(await (await fetchFile(source.baseUrl, path)).arrayBuffer());
}

/**
 * A file that holds weights (a graph with its weights inside, or external
 * data): from the store as one Blob of its chunks where ORT reads Blobs in
 * slices (`asBlob`), so the file is never whole in memory; otherwise as bytes.
 */
export async function readWeightsFile(source: ModelSource, path: string, asBlob: boolean): Promise<Uint8Array | Blob> {
  return source.kind === 'store' && asBlob ? modelStore().readFileBlob(source.modelId, path) : readModelBytes(source, path);
}

/** A preview decoder's graph as bytes. */
export async function readPreviewDecoder(file: PreviewDecoderFile): Promise<Uint8Array<ArrayBuffer>> {
  if (file.kind === 'shared') return readPreviewDecoderGraph(file.id);
  if (file.kind === 'store') return modelStore().readFileBytes(file.modelId, file.path);
  return new Uint8Array(await (await fetchFile(file.baseUrl, file.path)).arrayBuffer());
}

export async function readText(source: ModelSource, path: string): Promise<string> {
  return new TextDecoder().decode(await readModelBytes(source, path));
}

/** A text file of a model, or `undefined` when the model has none. */
export async function readOptionalText(source: ModelSource, path: string): Promise<string | undefined> {
  if (source.kind === 'store') return listed(source, path) ? readText(source, path) : undefined;
  const response = await fetch(new URL(path, source.baseUrl)).catch(() => undefined);
  return response?.ok ? response.text() : undefined;
}

/** The external-data files the manifest marks beside an `.onnx` graph, with the names ORT wants: relative to its folder. */
export function externalDataOf(source: ModelSource, graphPath: string): (ModelFile & { name: string })[] {
  const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
  return source.manifest.files
    .filter((file) => file.externalData && file.path.startsWith(folder))
    .map((file) => ({ ...file, name: file.path.slice(folder.length) }));
}
