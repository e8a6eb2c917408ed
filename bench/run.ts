/** `npm run bench`: measures against the built app in Chromium; writes BENCHMARKS.md and bench/results.json. */
import { chromium } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath, portFor } from '../playwright.config.ts';
import { serve } from '../scripts/serve.ts';
import { memory } from './memory.ts';
import { pipelineOverhead } from './pipeline-overhead.ts';
import { previewCost } from './preview.ts';
import { recovery } from './recovery.ts';
import { writeReport } from './report.ts';
import { warmStart } from './warm-start.ts';

const PORT = portFor(4199);
const E2E_PORT = portFor(4198);
const server = await serve({ dir: 'dist', port: PORT, isolate: true });
// Recovery needs the fault hook, which only the e2e build has.
const e2eServer = await serve({ dir: 'dist-e2e', port: E2E_PORT, isolate: true });
const browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
try {
  const baseURL = `http://127.0.0.1:${PORT}/`;
  const metrics = [
    ...(await pipelineOverhead(browser, baseURL)),
    ...(await previewCost(browser, baseURL)),
    ...(await recovery(browser, `http://127.0.0.1:${E2E_PORT}/`)),
    // Launch browsers of their own: one restarts on a profile to start warm, one exposes gc().
    ...(await warmStart(baseURL)),
    ...(await memory(baseURL)),
  ];
  await writeReport(metrics, { browser: `Chromium ${browser.version()}`, machine: `${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores` });
  for (const metric of metrics) console.log(`${metric.name}: ${metric.value.toFixed(3)} ${metric.unit} (target ${metric.target})`);
} finally {
  await browser.close();
  server.close();
  e2eServer.close();
}
