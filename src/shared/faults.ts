/** Faults the e2e build can inject (see `workers/faults.ts`); production builds never use these. */
export type FaultPlan = StepFault | { kind: 'hang-load' };

/** A fault a job's step sets off. */
export type StepFault = { kind: 'destroy-device' | 'throw' | 'hang' | 'out-of-memory' | 'slow'; afterStep: number };

/** A BroadcastChannel reaches whichever worker is alive, without an API method for it. */
export const FAULT_CHANNEL = 'hearth-faults';

/** The e2e build's workers fetch a URL asked on this channel and answer how it went (`workers/fetch-probe.ts`). */
export const FETCH_PROBE_CHANNEL = 'hearth-fetch-probe';

export type ProbedWorker = 'store' | 'diffusion' | 'prompt';

export type FetchProbeMessage = { kind: 'fetch'; worker: ProbedWorker; url: string } | { kind: 'fetched'; worker: ProbedWorker; url: string; result: string };
