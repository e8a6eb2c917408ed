import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import { CancelledError, DownloadError, StoreDiedError } from '../shared/errors.ts';
import type { StoreApi, StoredModel } from '../shared/store-protocol.ts';
import type { StoreHandle } from './store-client.ts';
import { StoreSupervisor } from './store-supervisor.ts';

/** How a fake worker misbehaves once its call has stored a chunk: its `error` event fires, it stops answering, or the call fails. */
type Fault = 'crash' | 'hang' | 'http-404' | undefined;

const CHUNKS = 4;
const never = new Promise<never>(() => {});
const model = { manifest: { id: 'tiny' } } as unknown as StoredModel;

/** Store workers that share one set of stored chunks, as workers share IndexedDB; each misbehaves as `faults` says, in spawn order. */
function fakeStores(faults: Fault[], onFault = () => {}) {
  let stored = 0;
  const startedAt: number[] = [];
  let spawned = 0;
  let terminated = 0;
  let pings = 0;
  const spawn = (): StoreHandle => {
    const fault = faults[spawned++];
    let crash: (reason: string) => void = () => {};
    let answering = true;
    let alive = true;
    const misbehave = async () => {
      onFault();
      if (fault === 'crash') crash('it crashed: boom');
      if (fault === 'hang') answering = false;
      if (fault === 'http-404') throw new DownloadError('unet/model.onnx', 'HTTP 404', 404);
      return never;
    };
    const store: Partial<Record<keyof StoreApi, unknown>> = {
      open: async () => [model],
      list: async () => [model],
      ping: async () => (answering ? (pings++, true) : never),
      stop: () => {},
      verify: async () => (fault ? misbehave() : model),
      // Stores one chunk per turn, going on from what an earlier worker stored.
      download: async (_modelId: string, onProgress: () => void) => {
        startedAt.push(stored);
        while (stored < CHUNKS) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          // A terminated worker stores nothing more.
          if (!alive) return never;
          stored++;
          onProgress();
          if (fault) await misbehave();
        }
        return model;
      },
    };
    return { store: store as unknown as Remote<StoreApi>, crashed: new Promise((resolve) => (crash = resolve)), terminate: () => void ((alive = false), terminated++) };
  };
  return { spawn, startedAt, spawned: () => spawned, terminated: () => terminated, pings: () => pings };
}

function supervise(faults: Fault[], onFault?: () => void) {
  const workers = fakeStores(faults, onFault);
  const supervisor = new StoreSupervisor({ spawn: workers.spawn, open: {}, backoffMs: 1, pingMs: 5, hangMs: 50 });
  return { supervisor, workers };
}

describe('StoreSupervisor', () => {
  it.each(['crash', 'hang'] as const)('after a %s mid-download, a fresh worker goes on from the last stored chunk', async (fault) => {
    const { supervisor, workers } = supervise([fault]);
    await expect(supervisor.download('tiny', () => {}, new AbortController().signal)).resolves.toBe(model);
    expect(workers.startedAt).toEqual([0, 1]);
    expect(workers.terminated()).toBe(1);
  });

  it.each(['crash', 'hang'] as const)('fails another call in flight during a %s with StoreDiedError, and the next call gets a fresh worker', async (fault) => {
    const { supervisor, workers } = supervise([fault]);
    const failed = await supervisor.call((store) => store.verify('tiny')).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StoreDiedError);
    expect((failed as StoreDiedError).message).toMatch(fault === 'crash' ? /^The model store stopped \(it crashed: boom\)/ : /stopped answering/);
    await expect(supervisor.call((store) => store.list())).resolves.toEqual([model]);
    expect(workers.spawned()).toBe(2);
  });

  it('gives a download up after repeated deaths in a row, naming the reason', async () => {
    const { supervisor, workers } = supervise(['crash', 'crash', 'crash', 'crash']);
    await expect(supervisor.download('tiny', () => {}, new AbortController().signal)).rejects.toBeInstanceOf(StoreDiedError);
    expect(workers.startedAt).toEqual([0, 1, 2, 3]);
  });

  it('passes other errors through without restarting the worker', async () => {
    const { supervisor, workers } = supervise(['http-404']);
    await expect(supervisor.download('tiny', () => {}, new AbortController().signal)).rejects.toBeInstanceOf(DownloadError);
    expect(workers.terminated()).toBe(0);
  });

  it('ends a download aborted while its worker restarts with CancelledError', async () => {
    const controller = new AbortController();
    const { supervisor, workers } = supervise(['crash'], () => controller.abort());
    const done = supervisor.download('tiny', () => {}, controller.signal);
    await expect(done).rejects.toBeInstanceOf(CancelledError);
    expect(workers.startedAt).toEqual([0]);
  });

  it('restart replaces the worker at once; a download in flight goes on in the new one', async () => {
    const { supervisor, workers } = supervise([]);
    let restarted = false;
    const restartOnce = () => void (restarted || ((restarted = true), supervisor.restart('a new model host')));
    await expect(supervisor.download('tiny', restartOnce, new AbortController().signal)).resolves.toBe(model);
    expect(workers.terminated()).toBe(1);
    expect(workers.startedAt).toEqual([0, 1]);
  });

  it('a call made right after restart runs in the new worker', async () => {
    const { supervisor, workers } = supervise([]);
    await supervisor.open();
    supervisor.restart('a new model host');
    await expect(supervisor.call((store) => store.list())).resolves.toEqual([model]);
    expect(workers.spawned()).toBe(2);
  });

  it('keeps a worker that answers pings through a long call, and does not ping an idle one', async () => {
    const { supervisor, workers } = supervise([]);
    await supervisor.call(() => new Promise((resolve) => setTimeout(resolve, 150)));
    expect(workers.terminated()).toBe(0);
    const pings = workers.pings();
    expect(pings).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(workers.pings()).toBe(pings);
  });
});
