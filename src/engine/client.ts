import { wrap, type Remote } from 'comlink';
import { installErrorTransfer } from '../shared/comlink-errors.ts';
import type { Engine } from '../shared/engine-api.ts';
import { trackWorker } from './faults.ts';

/** A running diffusion worker: its API, a way to kill it, and how it died. */
export interface EngineHandle {
  engine: Remote<Engine>;
  /** Resolves with a reason when the worker throws or its messages break. */
  crashed: Promise<string>;
  terminate(): void;
}

installErrorTransfer();

/** Starts a fresh diffusion worker. Only the supervisor calls this. */
export function spawnEngine(): EngineHandle {
  const worker = new Worker(new URL('../../workers/diffusion.worker.ts', import.meta.url), {
    type: 'module',
    name: 'hearth-diffusion',
  });
  const crashed = new Promise<string>((resolve) => {
    worker.addEventListener('error', (event) => resolve(`The engine crashed (${event.message || 'worker error'}).`));
    worker.addEventListener('messageerror', () => resolve('The engine sent a message that could not be read.'));
  });
  if (import.meta.env.MODE === 'e2e') trackWorker(worker);
  return { engine: wrap<Engine>(worker), crashed, terminate: () => worker.terminate() };
}
