/**
 * What the Models view lists, one row per model: the built-in test model, each
 * catalog entry (merged with its stored download once there is one) and every
 * model the user added. Pure: no IndexedDB, no Svelte.
 */
import { approxVariantBytes, variantFiles, type Catalog, type CatalogLicence, type CatalogVariant } from '../shared/catalog.ts';
import { manifestMisfit, pickVariant } from '../shared/device-fit.ts';
import { gpuBudget, lowMemoryAdvice, memoryNeeds } from '../shared/memory-needs.ts';
import type { EngineInfo } from '../shared/backend.ts';
import type { ModelManifest } from '../shared/model.ts';
import { startsFromPicture } from '../shared/networks.ts';
import type { ModelOrigin, StoredFile, StoredModel } from '../shared/store-protocol.ts';

export interface ModelRow {
  id: string;
  name: string;
  description: string;
  origin: 'built-in' | ModelOrigin['kind'];
  precision: 'fp16' | 'fp32' | undefined;
  /** From the manifest once known; before, the catalog's display size (`exact: false`). */
  size: { bytes: number; exact: boolean } | undefined;
  storedBytes: number;
  /** `built-in`: served by the app; `cached`: every file stored and verified; `partial`: a download to resume. */
  state: 'built-in' | 'cached' | 'partial' | 'absent';
  /** Catalog entries only: true once the model was seen making correct images in Hearth. */
  verified?: boolean;
  licence?: CatalogLicence;
  /** Why this device cannot run the model, known before any download; `undefined` while the engine starts. */
  unsupported?: string;
  /** The catalog variant that fits this device. */
  variant?: Pick<CatalogVariant, 'id' | 'precision'>;
  evicted?: StoredModel['evicted'];
  files: StoredFile[];
  /** Whether Download can fetch what is missing (a local import cannot). */
  downloadable: boolean;
  /** Why low-memory mode is suggested for this model on this device, known before the first load. */
  lowMemoryAdvice?: string;
  /** Whether it has a VAE encoder, which image to image and inpainting need; for a catalog entry, the variant shown. */
  fromPicture: boolean;
  /** A 9-channel inpainting UNet: it repaints a masked region and does nothing else. */
  inpainting: boolean;
}

export interface RowsInput {
  builtIn: ModelManifest | undefined;
  catalog: Catalog | undefined;
  stored: readonly StoredModel[];
  engine: EngineInfo | undefined;
  /** `navigator.deviceMemory`, where the browser reports it. */
  deviceMemoryGiB?: number;
}

const sizeOf = (manifest: ModelManifest) => manifest.files.reduce((sum, file) => sum + file.size, 0);
const manifestNeeds = (manifest: ModelManifest) => memoryNeeds(manifest.files.map((file) => ({ path: file.path, bytes: file.size })));
const variantNeeds = (variant: CatalogVariant) => memoryNeeds(variantFiles(variant));
const manifestFromPicture = (manifest: ModelManifest) => startsFromPicture(manifest.files.map((file) => file.path));

function storedState(model: StoredModel): ModelRow['state'] {
  if (model.cached) return 'cached';
  return model.storedBytes > 0 ? 'partial' : 'absent';
}

function fromStore(model: StoredModel): ModelRow {
  const { manifest } = model;
  return {
    id: manifest.id,
    name: manifest.name,
    description: manifest.description,
    origin: model.origin.kind,
    precision: manifest.precision,
    size: { bytes: model.totalBytes, exact: true },
    storedBytes: model.storedBytes,
    state: storedState(model),
    evicted: model.evicted,
    files: model.files,
    downloadable: model.origin.kind !== 'local',
    fromPicture: manifestFromPicture(manifest),
    inpainting: manifest.unetInChannels === 9,
  };
}

/** Every row, built-in first, then the catalog in its order, then added models oldest first. */
export function modelRows({ builtIn, catalog, stored, engine, deviceMemoryGiB }: RowsInput): ModelRow[] {
  const rows: ModelRow[] = [];
  // Before the engine has started, the device's own memory alone decides.
  const budget = gpuBudget(engine?.backend === 'webgpu' ? engine.adapter : undefined, deviceMemoryGiB);
  if (builtIn) {
    const size = sizeOf(builtIn);
    rows.push({ id: builtIn.id, name: builtIn.name, description: builtIn.description, origin: 'built-in', precision: builtIn.precision, size: { bytes: size, exact: true }, storedBytes: 0, state: 'built-in', files: [], downloadable: false, lowMemoryAdvice: lowMemoryAdvice(manifestNeeds(builtIn), budget), fromPicture: manifestFromPicture(builtIn), inpainting: builtIn.unetInChannels === 9 });
  }
  for (const entry of catalog?.models ?? []) {
    const download = stored.find((model) => model.origin.kind === 'catalog' && model.origin.entryId === entry.id);
    // pickVariant's `undefined` adapter means wasm only, so it waits for the engine to say which it has.
    const choice = engine ? pickVariant(entry, engine.backend === 'webgpu' ? engine.adapter : undefined) : undefined;
    const variant = choice && 'variant' in choice ? choice.variant : undefined;
    const shown = variant ?? entry.variants[0];
    const approx = approxVariantBytes(shown);
    const base: ModelRow = {
      id: entry.id,
      name: entry.name,
      description: entry.description,
      origin: 'catalog',
      precision: shown.precision,
      size: approx > 0 ? { bytes: approx, exact: false } : undefined,
      storedBytes: 0,
      state: 'absent',
      files: [],
      downloadable: true,
      fromPicture: shown.files.vaeEncoder !== undefined,
      inpainting: entry.unetInChannels === 9,
    };
    rows.push({
      ...base,
      ...(download ? fromStore(download) : {}),
      name: entry.name,
      description: entry.description,
      verified: entry.verified,
      licence: entry.licence,
      unsupported: choice && 'reason' in choice ? choice.reason : undefined,
      variant: variant && { id: variant.id, precision: variant.precision },
      lowMemoryAdvice: lowMemoryAdvice(download ? manifestNeeds(download.manifest) : variantNeeds(shown), budget),
    });
  }
  for (const model of stored) {
    if (model.origin.kind === 'catalog') continue;
    const unsupported = engine && manifestMisfit(model.manifest, engine.backend, engine.adapter);
    rows.push({ ...fromStore(model), unsupported, lowMemoryAdvice: lowMemoryAdvice(manifestNeeds(model.manifest), budget) });
  }
  return rows;
}
