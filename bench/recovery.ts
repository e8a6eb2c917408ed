import type { Browser, Page } from '@playwright/test';
import type { DiagnosticEvent } from '../src/state/report.ts';
import { armFault, chooseBackend, generate, openStudio, waitForStep } from '../e2e/studio.ts';
import type { Metric } from './report.ts';

async function lastEvent<K extends DiagnosticEvent['kind']>(page: Page, kind: K): Promise<Extract<DiagnosticEvent, { kind: K }>> {
  const json = await page.locator(`li[data-kind="${kind}"]`).first().getAttribute('data-event');
  return JSON.parse(json!);
}

/** Milliseconds from pressing Generate to the first step on the progress bar. */
async function firstStepMs(page: Page): Promise<number> {
  const started = Date.now();
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, 1);
  return Date.now() - started;
}

/**
 * Recovery from a device loss to the first resumed step (worker start,
 * session creation, resume) against a plain warm start of the same model:
 * worker start, session creation, first step. Needs the e2e build's fault hook.
 * Two recoveries in one page: in a fresh profile the first one's worker spent
 * 48 s of a core on V8's top-tier compile of one very large function of ORT's
 * wasm, and the second's did not (docs/ort-web.md, "One function of ORT's wasm").
 */
export async function recovery(browser: Browser, baseURL: string): Promise<Metric[]> {
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  const settings = { prompt: 'a photo of a cat', width: 256, height: 256, steps: 6, guidance: 3, seed: 3 };
  await generate(page, settings);

  await chooseBackend(page, 'WebGPU');
  const start = await lastEvent(page, 'start');
  const warmFirstStep = await firstStepMs(page);
  await page.getByTestId('engine-state').getByText('Ready').waitFor({ timeout: 180_000 });
  const warmMs = start.workerStartMs + start.loadMs + warmFirstStep;

  const recover = async () => {
    await armFault(page, 'destroy-device', 2);
    await generate(page, settings);
    const event = await lastEvent(page, 'recovery');
    return { event, ms: event.workerStartMs + event.loadMs + event.resumeMs };
  };
  const { event, ms: recoveryMs } = await recover();
  const { ms: secondMs } = await recover();
  await page.close();
  const conditions = { backend: 'webgpu', model: 'tiny-test', size: '256x256', fault: 'device.destroy() after step 2' };
  const againstWarm = (name: string, ms: number): Metric => ({
    name,
    value: ms / warmMs,
    unit: 'x',
    target: '< 1.3',
    met: ms / warmMs < 1.3,
    conditions: { ...conditions, recoveryMs: Math.round(ms), warmStartMs: Math.round(warmMs) },
  });
  return [
    againstWarm('recovery to first resumed step / warm start to first step', recoveryMs),
    againstWarm('second recovery in the page / warm start to first step', secondMs),
    {
      name: 'recovery, absolute (back-off included)',
      value: event.totalMs / 1000,
      unit: 's',
      target: 'report (Fooocus: ~10 s)',
      met: true,
      conditions: {
        ...conditions,
        backoffMs: Math.round(event.backoffMs ?? 0),
        workerStartMs: Math.round(event.workerStartMs),
        readWeightsMs: Math.round(event.readMs ?? 0),
        sessionsMs: Math.round(event.loadMs - (event.readMs ?? 0)),
        resumeMs: Math.round(event.resumeMs),
      },
    },
  ];
}
