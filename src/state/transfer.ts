/** Numbers of a transfer for people: rate and time left from progress samples, bytes and durations as text. */

/** One progress reading: bytes done at a time in ms. */
export interface RateSample {
  at: number;
  loaded: number;
}

/** The rate over the newest `windowMs` of samples and the time left at it; `undefined` until two samples span time. */
export function transferRate(samples: readonly RateSample[], total: number, windowMs = 5000): { bytesPerSecond: number; secondsLeft: number } | undefined {
  const newest = samples.at(-1);
  if (!newest) return undefined;
  const oldest = samples.find((sample) => newest.at - sample.at <= windowMs) ?? newest;
  const seconds = (newest.at - oldest.at) / 1000;
  if (seconds <= 0) return undefined;
  const bytesPerSecond = (newest.loaded - oldest.loaded) / seconds;
  return { bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? (total - newest.loaded) / bytesPerSecond : Infinity };
}

/** Keeps the samples `transferRate` needs: those of the last `windowMs`, plus the newest. */
export function addSample(samples: readonly RateSample[], sample: RateSample, windowMs = 5000): RateSample[] {
  return [...samples.filter((old) => sample.at - old.at <= windowMs), sample];
}

/** Bytes for people: 1023 B, 1.5 MB, 2.31 GB (decimal units, as storage and networks count). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds for people: 42 s, 3 min 5 s, 1 h 2 min. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
