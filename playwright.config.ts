import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's `chromium` is a wrapper script; Playwright needs the real binary.
// CHROME_PATH overrides; with neither, Playwright's own Chromium is used.
const DEBIAN_CHROMIUM = '/usr/lib/chromium/chromium';
export const executablePath = process.env.CHROME_PATH ?? (existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined);

/** Flags every test browser gets; WebGPU is added per project. */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];
/** The e2e build (fault hooks compiled in) unless HEARTH_DIST names another. */
export const DIST = process.env.HEARTH_DIST ?? 'dist-e2e';
export const PORT = Number(process.env.HEARTH_PORT ?? 4173);
/** The other fixed ports the specs use, shifted with HEARTH_PORT so two checkouts can run e2e side by side. */
export const portFor = (defaultPort: number): number => defaultPort - 4173 + PORT;

export default defineConfig({
  testDir: 'e2e',
  // SwiftShader WebGPU is 50-80x slower than wasm and compiles shaders for seconds.
  timeout: 240_000,
  expect: { timeout: 90_000 },
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/results.json' }]] : 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    launchOptions: { executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `tsx scripts/serve.ts --dir ${DIST} --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
  },
});
