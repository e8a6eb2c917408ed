/**
 * Test controls for the e2e build only: `window.hearthFaults` arms a fault in
 * the live worker or kills it from outside, as a browser might.
 */
import { FAULT_CHANNEL, type FaultPlan } from '../shared/faults.ts';

let current: Worker | undefined;
let store: Worker | undefined;

export interface FaultControls {
  arm(plan: FaultPlan): void;
  /** Terminates the worker behind the supervisor's back: no event tells it. */
  killWorker(): void;
  /** The same for the model-store worker. */
  killStoreWorker(): void;
}

export function trackWorker(worker: Worker): void {
  current = worker;
}

export function trackStoreWorker(worker: Worker): void {
  store = worker;
}

export function installFaultControls(): void {
  const channel = new BroadcastChannel(FAULT_CHANNEL);
  const controls: FaultControls = {
    arm: (plan) => channel.postMessage(plan),
    killWorker: () => current?.terminate(),
    killStoreWorker: () => store?.terminate(),
  };
  Object.assign(window, { hearthFaults: controls });
}
