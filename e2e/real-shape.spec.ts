/**
 * The real architectures, narrowed for CI: reduced-width SD-Turbo, SD 1.5 and
 * LCM models (every channel width / 32, same layers, heads, ops, I/O and file
 * layout, so the fp32 UNets keep their weights in external data) are added by
 * manifest URL, downloaded, selected, and each generates a 64x64 image.
 * On wasm: SwiftShader compiles a WebGPU shader per op shape and a UNet has
 * over a thousand nodes, so the three took 6.5 minutes on WebGPU against 2.8 on
 * wasm (docs/real-shape-models.md); the real-size WebGPU runs are `npm run test:real`'s.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_ARGS, executablePath, portFor } from '../playwright.config.ts';
import type { ModelManifest } from '../src/shared/model.ts';
import { ARCHITECTURES, type ArchitectureId } from '../scripts/real-model/architectures.ts';
import { writeRealModel } from '../scripts/real-model/model-folder.ts';
import { startModelServer, type ModelServer } from './model-server.ts';
import { distinctColours } from './pixels.ts';
import { addDownloadAndUse, generate, newestPixels } from './studio.ts';

const WIDTH_SCALE = 32;
// One step for the distilled models; SD 1.5 runs its classifier-free guidance (a batch of two) once too.
const SETTINGS: Record<ArchitectureId, { steps: number; guidance: number }> = {
  'sd-turbo': { steps: 1, guidance: 0 },
  sd15: { steps: 1, guidance: 7.5 },
  lcm: { steps: 2, guidance: 8 },
};

let dir: string;
let server: ModelServer;
const manifests = new Map<ArchitectureId, ModelManifest>();

test.use({ launchOptions: { executablePath, args: BASE_ARGS } });
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-real-shape-'));
  server = await startModelServer(portFor(4334));
  for (const arch of ARCHITECTURES) {
    const folder = join(dir, arch);
    const manifest = writeRealModel(folder, { arch, precision: 'fp32', widthScale: WIDTH_SCALE });
    const files = new Map(manifest.files.map((file) => [file.path, { disk: join(folder, file.path), size: file.size }]));
    server.add(manifest.id, { manifest, files });
    manifests.set(arch, manifest);
  }
});
test.afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const arch of ARCHITECTURES) {
  test(`a reduced-width ${arch} model, added by manifest URL, downloads and generates a 64x64 image`, async ({ page }) => {
    const { id, name } = manifests.get(arch)!;
    await page.goto('/');
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    await expect(page.getByTestId('backend')).toContainText('CPU (wasm)');
    await addDownloadAndUse(page, server.manifestUrl(id), name);
    await generate(page, { prompt: 'a lighthouse at dusk', seed: 7, width: 64, height: 64, ...SETTINGS[arch] });
    const pixels = await newestPixels(page);
    expect(pixels.length, 'a 64x64 RGBA image').toBe(64 * 64 * 4);
    // Random weights draw noise; a NaN anywhere in the networks would give one flat colour.
    expect(distinctColours(pixels)).toBeGreaterThan(100);
  });
}
