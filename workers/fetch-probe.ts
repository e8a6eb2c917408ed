/**
 * For the e2e build only: lets a test ask one of the app's workers to fetch
 * any URL, to see what its Content-Security-Policy lets through. Production
 * workers never import it.
 */
import { FETCH_PROBE_CHANNEL, type FetchProbeMessage, type ProbedWorker } from '../src/shared/faults.ts';

export function installFetchProbe(worker: ProbedWorker): void {
  const channel = new BroadcastChannel(FETCH_PROBE_CHANNEL);
  channel.onmessage = async ({ data }: MessageEvent<FetchProbeMessage>) => {
    if (data.kind !== 'fetch' || data.worker !== worker) return;
    const result = await fetch(data.url, { cache: 'no-store' }).then(
      (response) => `HTTP ${response.status}`,
      (error: unknown) => `refused: ${error instanceof Error ? error.message : String(error)}`,
    );
    channel.postMessage({ kind: 'fetched', worker, url: data.url, result } satisfies FetchProbeMessage);
  };
}
