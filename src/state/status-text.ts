/** The words the status bar and the notices use for what the engine does. Pure. */
import type { SupervisorEvent } from '../engine/supervisor.ts';
import { networkLabel } from '../shared/networks.ts';
import type { Progress } from '../shared/progress.ts';

/** The status line while a job or load reports `progress`; `undefined` leaves it as it is. */
export function progressStatus(progress: Progress): string | undefined {
  switch (progress.phase) {
    case 'load':
      return `Loading model (${progress.index}/${progress.count})…`;
    case 'swap':
      return `Loading the ${networkLabel(progress.component)} (low-memory mode)…`;
    case 'denoise':
      return 'Generating';
    default:
      return undefined;
  }
}

/** A notice for the supervisor's recoveries; `undefined` for events the user need not read. */
export function supervisorNotice(event: SupervisorEvent): string | undefined {
  if (event.kind === 'recovering') return `${event.reason} Restarting the engine (attempt ${event.attempt})…`;
  if (event.kind === 'recovered') {
    const seconds = (event.ms / 1000).toFixed(1);
    // A death before the first step left no checkpoint: the job runs from its start, which "resumed at step 0" hid.
    const where = event.resumedAtStep === 0 ? 'started the job again from its first step' : `resumed at step ${event.resumedAtStep} of ${event.steps}`;
    return `${event.reason} Reloaded in ${seconds} s and ${where}.`;
  }
  return undefined;
}
