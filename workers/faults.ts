/**
 * Fault injection for the e2e tests, compiled only into the e2e build
 * (`vite build --mode e2e`); the production worker never imports it. A test
 * arms one fault through a BroadcastChannel; the first worker to reach the step
 * consumes it, so the worker that replaces it runs clean.
 */
import { FAULT_CHANNEL, type FaultPlan } from '../src/shared/faults.ts';
import type { EngineHooks } from './engine.ts';

/** Well under the e2e build's stall floor (5 s), so a slowed step is never taken for a hang. */
const SLOW_STEP_MS = 250;

export function createFaultHooks(): EngineHooks {
  let armed: FaultPlan | undefined;
  let slowed = false;
  const channel = new BroadcastChannel(FAULT_CHANNEL);
  channel.onmessage = (event: MessageEvent<FaultPlan | { kind: 'consumed' }>) => {
    armed = event.data.kind === 'consumed' ? undefined : event.data;
  };
  /** The armed fault when `due` says it is due now, disarmed here and in every other worker. */
  const take = (due: (fault: FaultPlan) => boolean): FaultPlan | undefined => {
    const fault = armed;
    if (!fault || !due(fault)) return undefined;
    armed = undefined;
    channel.postMessage({ kind: 'consumed' });
    return fault;
  };
  return {
    async afterStep(step, device) {
      if (slowed) await new Promise((resolve) => setTimeout(resolve, SLOW_STEP_MS));
      const fault = take((plan) => plan.kind !== 'hang-load' && plan.afterStep === step);
      if (!fault) return;
      if (fault.kind === 'destroy-device') device?.destroy();
      // Thrown from a task of its own, it is uncaught: the worker's `error` event fires as for a real crash.
      if (fault.kind === 'throw') setTimeout(() => { throw new Error('Injected worker crash'); });
      // A run() that never settles: the worker still answers messages but makes no progress.
      if (fault.kind === 'hang') await new Promise(() => {});
      // What the device reports when a buffer does not fit: an uncaptured out-of-memory error.
      if (fault.kind === 'out-of-memory') {
        device?.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error: new GPUOutOfMemoryError('Injected: not enough memory for the buffer') }));
      }
      // Every later step of this worker is slower, as on a slower device, so a job outlasts what a test waits for.
      if (fault.kind === 'slow') slowed = true;
    },
    // A session create that never returns (docs/ort-web.md, "Which bundle"): the worker answers messages, the load never ends.
    async beforeLoad() {
      if (take((plan) => plan.kind === 'hang-load')) await new Promise(() => {});
    },
  };
}
