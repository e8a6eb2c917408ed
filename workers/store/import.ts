/**
 * Local import: picked files go into the model store without the network.
 *
 * What a picked folder must hold (diffusers' ONNX layout, paths relative to it):
 * - `text_encoder/model.onnx`, `unet/model.onnx`, `vae_decoder/model.onnx`, each
 *   with the external-data files its graph names (`weights.pb`, `model.onnx_data`)
 *   beside it;
 * - `tokenizer/vocab.json`, `tokenizer/merges.txt`, and optionally
 *   `tokenizer/tokenizer_config.json`, `tokenizer/special_tokens_map.json`;
 * - `scheduler/scheduler_config.json`;
 * - optionally `hearth-model.json`: then its id, name, defaults, sizes and hashes
 *   are used and every file must match it. Without it the model gets the id
 *   `local-<folder>`, Stable Diffusion defaults, and fp16 when a weight is float16.
 * Anything else (model_index.json, vae_encoder/, READMEs) is ignored.
 */
import { ModelFileError } from '../../src/shared/errors.ts';
import { parsePythonJson } from '../../src/shared/json-check.ts';
import { OPTIONAL_FILES, parseManifest, REQUIRED_FILES, requireModelFiles } from '../../src/shared/manifest.ts';
import type { ModelFile, ModelManifest } from '../../src/shared/model.ts';
import type { PickedFile } from '../../src/shared/store-protocol.ts';
import { ensureRoom, storageRefused } from './downloader.ts';
import { isStorageRefusal, type FileSpec, type ModelStore } from './model-store.ts';
import { blobSource, relativeLocation, scanOnnx } from './onnx-scan.ts';
import { writeStream } from './write-stream.ts';

const MANIFEST = 'hearth-model.json';

/** Settings for a model without a manifest: SD 1.5's, any size the UNet takes. */
const GENERIC: Omit<ModelManifest, 'id' | 'name' | 'precision' | 'files'> = {
  description: 'Imported from local files',
  vaeScalingFactor: 0.18215,
  defaults: { width: 512, height: 512, steps: 25, guidance: 7.5, scheduler: 'euler' },
  sizes: { min: 64, max: 1024, multiple: 64 },
};

const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

/** The id a folder without a manifest gets: `local-` and its name in lowercase letters, digits and dashes. */
export const localModelId = (folder: string) => `local-${folder.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'model'}`;

type Spec = FileSpec & { externalData?: true };

/** Which picked files make the model, and its manifest when the folder has one (else hashes come from storing). */
async function plan(folder: string, picked: Map<string, File>): Promise<{ manifest?: ModelManifest; specs: Spec[]; precision: 'fp16' | 'fp32' }> {
  const manifestFile = picked.get(MANIFEST);
  if (manifestFile) {
    const manifest = parseManifest(parsePythonJson(await manifestFile.text(), MANIFEST));
    requireModelFiles(manifest);
    for (const file of manifest.files) {
      const local = picked.get(file.path);
      if (!local) throw new ModelFileError(file.path, `is listed in ${MANIFEST} but is not in the picked folder`);
      if (local.size !== file.size) throw new ModelFileError(file.path, `has ${local.size} bytes, but ${MANIFEST} says ${file.size}`);
    }
    return { manifest, specs: manifest.files, precision: manifest.precision };
  }
  const missing = REQUIRED_FILES.find((path) => !picked.has(path));
  if (missing) throw new ModelFileError(missing, `is required but not in the picked folder "${folder}"`);
  const specs: Spec[] = [...REQUIRED_FILES, ...OPTIONAL_FILES.filter((path) => picked.has(path))].map((path) => ({ path }));
  let float16 = false;
  for (const graph of REQUIRED_FILES.filter((path) => path.endsWith('.onnx'))) {
    const facts = await scanOnnx(blobSource(picked.get(graph)!), graph);
    float16 ||= facts.float16;
    for (const location of facts.externalData) {
      const path = folderOf(graph) + relativeLocation(location);
      if (!picked.has(path)) throw new ModelFileError(graph, `needs the external-data file "${location}" beside it, which is not in the picked folder`);
      specs.push({ path, externalData: true });
    }
  }
  return { specs, precision: float16 ? 'fp16' : 'fp32' };
}

/**
 * Stores one picked file chunk by chunk; the store checks its hash when the
 * manifest gave one. Its size is known either way, so the writer's chunk
 * buffers for a small file are that small, not 64 MiB.
 */
async function storeFile(store: ModelStore, modelId: string, spec: FileSpec, file: File): Promise<void> {
  const writer = await store.beginFile(modelId, { ...spec, size: file.size });
  try {
    await writeStream(writer, file.slice(writer.offset).stream());
    await writer.finish();
  } catch (error) {
    // The chunk still being stored lands first, so removing what the import stored removes it too.
    await writer.rewind().catch(() => undefined);
    throw error;
  }
}

/**
 * Stores a picked folder as a model and returns its manifest. Refuses before
 * writing a byte when a required file is missing or the quota is too small; a
 * failure later removes what this import stored, and a write the browser
 * refused for room becomes `StorageRefusedError` with how far it got.
 */
export async function importModel(
  folder: string,
  files: readonly PickedFile[],
  store: ModelStore,
  /** Throws when another model has the id. */
  refuseTaken: (modelId: string, name: string) => Promise<void>,
  estimate?: () => Promise<StorageEstimate>,
): Promise<ModelManifest> {
  const picked = new Map(files.map(({ path, file }) => [path, file]));
  const { manifest, specs, precision } = await plan(folder, picked);
  const id = manifest?.id ?? localModelId(folder);
  await refuseTaken(id, manifest?.name ?? folder);
  const total = specs.reduce((sum, spec) => sum + picked.get(spec.path)!.size, 0);
  await ensureRoom(total, estimate);
  try {
    for (const spec of specs) await storeFile(store, id, spec, picked.get(spec.path)!);
  } catch (error) {
    const refused = isStorageRefusal(error) && (await storageRefused(store, id, total, false));
    await store.deleteModel(id);
    throw refused || error;
  }
  if (manifest) return manifest;
  const stored = new Map((await store.listFiles(id)).map((record) => [record.path, record]));
  const listed: ModelFile[] = specs.map(({ path, externalData }) => ({
    path,
    size: stored.get(path)!.size!,
    sha256: stored.get(path)!.sha256!,
    ...(externalData ? { externalData } : {}),
  }));
  return { ...GENERIC, id, name: folder, precision, files: listed };
}
