/** Faults the e2e build can inject (see `workers/faults.ts`); production builds never use these. */
export type FaultPlan = { kind: 'destroy-device' | 'throw' | 'hang' | 'out-of-memory'; afterStep: number };

/** A BroadcastChannel reaches whichever worker is alive, without an API method for it. */
export const FAULT_CHANNEL = 'hearth-faults';
