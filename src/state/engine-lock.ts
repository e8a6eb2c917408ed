/**
 * One engine per browser profile: tabs take turns through a Web Lock, so two
 * tabs never load models onto the same GPU or write the same queue.
 */
const ENGINE_LOCK = 'hearth-engine';

/** Holds the engine lock until the tab closes; resolves once this tab has it, calling `onWaiting` first when another tab holds it. */
export function acquireEngineLock(onWaiting: () => void): Promise<void> {
  return new Promise((acquired) => {
    void navigator.locks.request(ENGINE_LOCK, { ifAvailable: true }, (lock) => {
      if (lock) {
        acquired();
        return new Promise(() => {});
      }
      onWaiting();
      void navigator.locks.request(ENGINE_LOCK, () => {
        acquired();
        return new Promise(() => {});
      });
      return undefined;
    });
  });
}
