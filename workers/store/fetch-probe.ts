/**
 * For the e2e build only: lets a test ask the store worker to fetch any URL,
 * to see what its Content-Security-Policy lets through. The production worker
 * never imports it.
 */
import { STORE_PROBE_CHANNEL, type StoreProbeMessage } from '../../src/shared/faults.ts';

export function installFetchProbe(): void {
  const channel = new BroadcastChannel(STORE_PROBE_CHANNEL);
  channel.onmessage = async ({ data }: MessageEvent<StoreProbeMessage>) => {
    if (data.kind !== 'fetch') return;
    const result = await fetch(data.url, { cache: 'no-store' }).then(
      (response) => `HTTP ${response.status}`,
      (error: unknown) => `refused: ${error instanceof Error ? error.message : String(error)}`,
    );
    channel.postMessage({ kind: 'fetched', url: data.url, result } satisfies StoreProbeMessage);
  };
}
