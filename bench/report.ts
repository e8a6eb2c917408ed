import { writeFile } from 'node:fs/promises';

/** One measured number, as bench/results.json lists it. */
export interface Metric {
  name: string;
  value: number;
  unit: string;
  /** What "good" means, e.g. "< 1.05". */
  target: string;
  met: boolean;
  conditions: Record<string, string | number | boolean>;
}

/** Writes bench/results.json and the human table in BENCHMARKS.md. */
export async function writeReport(metrics: Metric[], environment: Record<string, string>): Promise<void> {
  const at = new Date().toISOString();
  await writeFile('bench/results.json', `${JSON.stringify({ at, environment, metrics }, null, 2)}\n`);
  const rows = metrics.map(
    (m) =>
      `| ${m.name} | ${m.value.toFixed(3)} ${m.unit} | ${m.target} | ${m.met ? 'yes' : '**no**'} | ${Object.entries(m.conditions)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} |`,
  );
  const env = Object.entries(environment).map(([k, v]) => `- ${k}: ${v}`);
  const text = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${at}, all numbers of one run. Ratios compare two things measured in that same run.`,
    '',
    ...env,
    '',
    '| metric | value | target | met | conditions |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  await writeFile('BENCHMARKS.md', text);
}
