/** test:real's global teardown: its measurements become the real-size section of BENCHMARKS.md and bench/results.json. */
import { cpus } from 'node:os';
import { writeReport } from '../bench/report.ts';
import { takenMetrics } from './metrics.ts';

export default async function writeRealSizeReport(): Promise<void> {
  const metrics = takenMetrics();
  if (metrics.length === 0) return;
  await writeReport(metrics, { browser: 'Chromium (test:real)', machine: `${process.platform} ${process.arch}, ${cpus().length} cores` }, 'realSize');
}
