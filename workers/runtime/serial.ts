/**
 * Returns a function that runs tasks one after another. ORT's native WebGPU
 * EP hangs on overlapping create/run/release calls (docs/ort-web.md, "One
 * queue for every call"), so every ORT call in the worker goes through one of
 * these.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** The worker's one queue for ORT calls: ORT's state is per worker, and so is this queue. */
export const ortQueue = createSerialQueue();
