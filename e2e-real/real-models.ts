/**
 * The real-shape models test:real needs, generated once by the real-shape
 * generator (scripts/real-model/) into the gitignored `.real-models/`, and
 * served from disk by the e2e model server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServedModel } from '../e2e/model-server.ts';
import { networkBytes } from '../src/shared/networks.ts';
import type { ModelManifest } from '../src/shared/model.ts';
import type { ArchitectureId } from '../scripts/real-model/architectures.ts';
import type { Precision } from '../scripts/real-model/graph.ts';
import { writeRealModel } from '../scripts/real-model/model-folder.ts';

export const CACHE = '.real-models';

/** The model's folder, written first unless a complete copy is there (hearth-model.json is written last). */
export function realModel(arch: ArchitectureId, precision: Precision): ServedModel {
  const dir = join(CACHE, `${arch}-${precision}`);
  const manifestPath = join(dir, 'hearth-model.json');
  if (!existsSync(manifestPath)) writeRealModel(dir, { arch, precision });
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  return { manifest, files: new Map(manifest.files.map((file) => [file.path, { disk: join(dir, file.path), size: file.size }])) };
}

/** Bytes of the largest network (graph plus external data): what low-memory mode holds at its peak. */
export function largestNetworkBytes(manifest: ModelManifest): number {
  return Math.max(...networkBytes(manifest.files.map((file) => ({ path: file.path, bytes: file.size }))).map((network) => network.bytes));
}
