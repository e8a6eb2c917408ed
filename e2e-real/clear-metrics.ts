/** test:real's global setup: drops what an interrupted earlier run recorded, so the report holds this run's numbers only. */
import { takenMetrics } from './metrics.ts';

export default function clearEarlierMetrics(): void {
  takenMetrics();
}
