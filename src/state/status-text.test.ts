import { describe, expect, it } from 'vitest';
import type { SupervisorEvent } from '../engine/supervisor.ts';
import { RecoveryTimer } from './recovery-timer.ts';
import { progressStatus, supervisorNotice } from './status-text.ts';

const recovered: Extract<SupervisorEvent, { kind: 'recovered' }> = {
  kind: 'recovered',
  reason: 'The GPU was reset by the browser.',
  ms: 1500,
  backoffMs: 1000,
  startup: { workerStartMs: 500, loadMs: 1000, readMs: 400 },
  resumedAtStep: 3,
  steps: 8,
};

describe('status text', () => {
  it('names loads, low-memory swaps and steps as users read them', () => {
    expect(progressStatus({ phase: 'load', component: 'unet', index: 2, count: 3, ms: 1, readMs: 1, bytes: 1, from: 'indexeddb' })).toBe('Loading model (2/3)…');
    expect(progressStatus({ phase: 'swap', jobId: 'j', component: 'vaeDecoder' })).toBe('Loading the VAE decoder (low-memory mode)…');
    expect(progressStatus({ phase: 'encode', jobId: 'j' })).toBeUndefined();
  });

  it('tells of a recovery with its cause, its time and where the job resumed', () => {
    expect(supervisorNotice({ kind: 'recovering', reason: 'The engine stopped responding.', attempt: 2, delayMs: 2000 })).toBe(
      'The engine stopped responding. Restarting the engine (attempt 2)…',
    );
    expect(supervisorNotice(recovered)).toBe('The GPU was reset by the browser. Reloaded in 1.5 s and resumed at step 3 of 8.');
    expect(supervisorNotice({ ...recovered, resumedAtStep: 0 })).toBe('The GPU was reset by the browser. Reloaded in 1.5 s and started the job again from its first step.');
  });
});

describe('RecoveryTimer', () => {
  it('completes a recovery at the first resumed step, once', () => {
    const timer = new RecoveryTimer();
    expect(timer.stepped(0)).toBeUndefined();
    timer.recovered(recovered, 100);
    expect(timer.stepped(400)).toMatchObject({ kind: 'recovery', resumeMs: 300, totalMs: 1800, backoffMs: 1000, workerStartMs: 500, loadMs: 1000, readMs: 400, resumedAtStep: 3, steps: 8 });
    expect(timer.stepped(500)).toBeUndefined();
  });
});
