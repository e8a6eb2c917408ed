/** The measurements test:real's specs take, gathered in one file until the run ends and `write-report.ts` writes them. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Metric } from '../bench/report.ts';

const FILE = '.real-models/metrics.json';

export function recordMetric(metric: Metric): void {
  writeFileSync(FILE, JSON.stringify([...takenMetrics(false), metric]));
  console.log(`${metric.name}: ${metric.value.toFixed(3)} ${metric.unit} (target ${metric.target})`);
}

/** What was recorded, emptied when `clear`. */
export function takenMetrics(clear = true): Metric[] {
  const metrics = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Metric[]) : [];
  if (clear) rmSync(FILE, { force: true });
  return metrics;
}
