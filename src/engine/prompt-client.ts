import { wrap, type Remote } from 'comlink';
import { installErrorTransfer } from '../shared/comlink-errors.ts';
import type { PromptApi } from '../shared/prompt.ts';

installErrorTransfer();

/** Starts the prompt worker, which tokenizes for the form's counters; the prompt state owns the one instance. */
export function spawnPromptWorker(): Remote<PromptApi> {
  const worker = new Worker(new URL('../../workers/prompt.worker.ts', import.meta.url), { type: 'module', name: 'hearth-prompt' });
  return wrap<PromptApi>(worker);
}
