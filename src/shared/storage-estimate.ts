/**
 * What `navigator.storage.estimate()` can be trusted for. Since version 138
 * Chromium reports `usage + min(10 GiB, the disk rounded up to a whole GiB)`
 * as the quota for sites without unlimited storage, the same in every
 * browsing mode so the figure cannot reveal a private window; the quota it
 * enforces is another, unreported one
 * (https://chromestatus.com/feature/4977371751645184, docs/storage.md).
 */

const GiB = 2 ** 30;

/**
 * Bytes the browser says it will store beyond what this origin uses, or
 * `undefined` when the estimate is Chromium's fixed figure (room of a whole
 * number of GiB: a real quota minus a real usage almost never is) or missing.
 */
export function reportedRoom({ quota, usage }: StorageEstimate): number | undefined {
  if (quota === undefined || usage === undefined) return undefined;
  const room = quota - usage;
  return room >= GiB && room % GiB === 0 ? undefined : Math.max(0, room);
}
