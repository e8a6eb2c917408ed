/**
 * `npm run bench`: measures against the built app in Chromium; writes
 * BENCHMARKS.md and bench/results.json. `tsx bench/run.ts download` (after the
 * builds) runs only the pieces named and prints them: a partial run does not
 * replace the full run's table.
 */
import { chromium } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath, portFor } from '../playwright.config.ts';
import { serve } from '../scripts/serve.ts';
import { download } from './download.ts';
import { freeDimensions } from './free-dimensions.ts';
import { graphCapture } from './graph-capture.ts';
import { hugePicture } from './huge-picture.ts';
import { loadMemory } from './load-memory.ts';
import { memory } from './memory.ts';
import { pipelineOverhead, realShapeOverhead } from './pipeline-overhead.ts';
import { previewCost } from './preview.ts';
import { recovery } from './recovery.ts';
import { stepMainThread } from './step-main-thread.ts';
import { writeReport } from './report.ts';
import { warmStart } from './warm-start.ts';

const PORT = portFor(4199);
const E2E_PORT = portFor(4198);
const VARIANT_PORT = portFor(4197);
// The production build with ORT's other storage-buffer cache mode (package.json's `build:bench-variant`).
const VARIANT = { cache: 'simple', dir: 'dist-bench-simple' } as const;
const server = await serve({ dir: 'dist', port: PORT, isolate: true });
// Recovery needs the fault hook, which only the e2e build has.
const e2eServer = await serve({ dir: 'dist-e2e', port: E2E_PORT, isolate: true });
const variantServer = await serve({ dir: VARIANT.dir, port: VARIANT_PORT, isolate: true });
const browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
try {
  const baseURL = `http://127.0.0.1:${PORT}/`;
  const pieces = {
    pipelineOverhead: () => pipelineOverhead(browser, baseURL),
    realShapeOverhead: () => realShapeOverhead(baseURL),
    previewCost: () => previewCost(browser, baseURL),
    stepMainThread: () => stepMainThread(browser, baseURL),
    graphCapture: () => graphCapture(browser),
    recovery: () => recovery(browser, `http://127.0.0.1:${E2E_PORT}/`),
    // Launch browsers of their own: profiles on disk (one restarts to start warm), one exposes gc().
    warmStart: () => warmStart(baseURL),
    loadMemory: () =>
      loadMemory([
        { cache: 'bucket', baseURL },
        { cache: VARIANT.cache, baseURL: `http://127.0.0.1:${VARIANT_PORT}/` },
      ]),
    download: () => download(baseURL),
    // Node only: ORT's wasm EP, no browser.
    freeDimensions: () => freeDimensions(),
    memory: () => memory(baseURL),
    hugePicture: () => hugePicture(baseURL),
  };
  const named = process.argv.slice(2);
  const unknown = named.filter((name) => !Object.hasOwn(pieces, name));
  if (unknown.length > 0) throw new Error(`no bench piece ${unknown.join(', ')}; there are ${Object.keys(pieces).join(', ')}`);
  const metrics = [];
  for (const [name, measure] of Object.entries(pieces)) if (named.length === 0 || named.includes(name)) metrics.push(...(await measure()));
  if (named.length === 0) {
    await writeReport(metrics, { browser: `Chromium ${browser.version()}`, machine: `${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores` });
  }
  for (const metric of metrics) {
    const conditions = named.length === 0 ? '' : ` ${JSON.stringify(metric.conditions)}`;
    console.log(`${metric.name}: ${metric.value.toFixed(3)} ${metric.unit} (target ${metric.target})${conditions}`);
  }
} finally {
  await browser.close();
  server.close();
  e2eServer.close();
  variantServer.close();
}
