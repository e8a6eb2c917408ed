/**
 * How long a model load may go without finishing a network before the
 * supervisor counts its engine as hung. A load reports progress only between
 * networks: reading a network's files and creating its session is one opaque
 * call, and ORT has been seen to never return from one (docs/ort-web.md, "Which
 * bundle"). The allowance grows with the largest network, since
 * creating a session is linear in its weights, and is generous: a slow load
 * killed is retried as slowly and then given up, where a hang noticed late
 * only delays the restart.
 */
import type { ModelManifest } from '../shared/model.ts';
import { networkBytes } from '../shared/networks.ts';

/**
 * The slowest session creation measured per byte of weights: the real-shape
 * SD-Turbo fp16 UNet (1.73 GB) took 131 s on wasm, one thread, on a loaded
 * 2-core machine, where fp32 networks took 176 s for 5.02 GB
 * (docs/real-size.md).
 */
const CREATE_MS_PER_BYTE = 131_000 / 1.73e9;
/** How far past that rate a network may run: machines differ, and a busy one is slower still. */
const LOAD_MARGIN = 3;

/** Milliseconds between two networks of `manifest`'s load, and before the first, that still count as progress: at least `floorMs`. */
export function loadAllowanceMs(manifest: Pick<ModelManifest, 'files'>, floorMs: number): number {
  const largest = Math.max(0, ...networkBytes(manifest.files.map((file) => ({ path: file.path, bytes: file.size }))).map((network) => network.bytes));
  return Math.max(floorMs, LOAD_MARGIN * CREATE_MS_PER_BYTE * largest);
}
