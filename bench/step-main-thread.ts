import type { Browser, Page } from '@playwright/test';
import { chooseBackend, fillForm, galleryImages, openStudio } from '../e2e/studio.ts';
import type { Metric } from './report.ts';

const RUNS = 3;
const [FEW, MANY] = [2, 22];

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  cat?: string;
  args?: { name?: string };
}

/**
 * CPU time of the page's main thread in a trace, from its top-level tasks
 * (their thread time where Chromium records it, so other processes on a
 * loaded machine do not count): the busiest `CrRendererMain`, as the page's
 * renderer does the most.
 */
function mainThreadCpuMs(events: TraceEvent[]): number {
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const busy = new Map<string, number>();
  for (const event of events) {
    const thread = `${event.pid}:${event.tid}`;
    if (event.ph !== 'X' || !mains.has(thread) || !event.cat?.split(',').includes('toplevel')) continue;
    busy.set(thread, (busy.get(thread) ?? 0) + (event.tdur ?? event.dur ?? 0));
  }
  return Math.max(0, ...busy.values()) / 1000;
}

/** Main-thread CPU time of one job of `steps` steps, traced from the click on Generate until its image is in the gallery. */
async function tracedJob(browser: Browser, page: Page, steps: number, seed: number): Promise<number> {
  await fillForm(page, { steps, seed });
  const before = await galleryImages(page).count();
  await browser.startTracing(page, { categories: ['toplevel'] });
  // Waits in the page without polling from here, which would add main-thread work of its own; no named functions (tsx wraps them in a helper the page lacks).
  const done = page.evaluate(
    (count) =>
      new Promise<void>((resolve) => {
        new MutationObserver((_, observer) => {
          const images = document.querySelectorAll('section[aria-label="Gallery"] img').length;
          if (images <= count || document.querySelector('[data-testid="engine-state"]')?.textContent !== 'Ready') return;
          observer.disconnect();
          resolve();
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
    before,
  );
  await page.getByRole('button', { name: 'Generate' }).click();
  await done;
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  return mainThreadCpuMs(trace.traceEvents);
}

/**
 * Main-thread time a denoising step costs the page: Chromium's trace of a job
 * of 22 steps minus one of 2, over the 20 steps between, so what every job
 * costs once (the click, the image, the gallery) cancels out. On wasm at
 * 256x256 with the tiny model, where steps are short and so the page's share
 * is largest; previews as the settings' default.
 */
export async function stepMainThread(browser: Browser, baseURL: string): Promise<Metric[]> {
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  await chooseBackend(page, 'CPU (wasm)');
  await fillForm(page, { prompt: 'a photo of a cat', width: 256, height: 256, guidance: 3 });
  await tracedJob(browser, page, FEW, 1); // warm-up: first-run allocations, the gallery's first image
  let [few, many] = [0, 0];
  for (let run = 0; run < RUNS; run++) {
    few += await tracedJob(browser, page, FEW, 2 + run);
    many += await tracedJob(browser, page, MANY, 2 + run);
  }
  await page.close();
  const perStep = (many - few) / RUNS / (MANY - FEW);
  return [
    {
      name: 'main-thread time per denoising step (wasm)',
      value: perStep,
      unit: 'ms',
      target: 'report',
      met: true,
      conditions: { backend: 'wasm', model: 'tiny-test', size: '256x256', runs: RUNS, steps: `${MANY} minus ${FEW}`, measure: 'CPU time of top-level tasks on the page main thread (Chromium trace)', fewStepJobMs: Math.round(few / RUNS), manyStepJobMs: Math.round(many / RUNS) },
    },
  ];
}
