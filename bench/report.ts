import { readFile, writeFile } from 'node:fs/promises';

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

/**
 * The two runs that write benchmarks: `npm run bench` (the top of
 * BENCHMARKS.md and of bench/results.json) and `npm run test:real` (its own
 * section and `realSize` key). Each rewrites only its own part.
 */
const SECTIONS = {
  bench: { command: 'npm run bench', heading: '# Benchmarks' },
  realSize: { command: 'npm run test:real', heading: '## Real size' },
} as const;
export type Section = keyof typeof SECTIONS;

interface Run {
  at: string;
  environment: Record<string, string>;
  metrics: Metric[];
}

async function readOr<T>(path: string, fallback: T, parse: (text: string) => T): Promise<T> {
  try {
    return parse(await readFile(path, 'utf8'));
  } catch {
    return fallback;
  }
}

function markdown(section: Section, { at, environment, metrics }: Run): string {
  const { command, heading } = SECTIONS[section];
  const rows = metrics.map(
    (m) =>
      `| ${m.name} | ${m.value.toFixed(3)} ${m.unit} | ${m.target} | ${m.met ? 'yes' : '**no**'} | ${Object.entries(m.conditions)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} |`,
  );
  const env = Object.entries(environment).map(([k, v]) => `- ${k}: ${v}`);
  return [
    heading,
    '',
    `Measured by \`${command}\` on ${at}, all numbers of one run. Ratios compare two things measured in that same run.`,
    '',
    ...env,
    '',
    '| metric | value | target | met | conditions |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Writes `section`'s rows into bench/results.json and BENCHMARKS.md, keeping the other section's. */
export async function writeReport(metrics: Metric[], environment: Record<string, string>, section: Section = 'bench'): Promise<void> {
  const run: Run = { at: new Date().toISOString(), environment, metrics };
  const json = await readOr<Partial<Run> & { realSize?: Run }>('bench/results.json', {}, JSON.parse);
  const { realSize, ...bench } = json;
  const runs: Partial<Record<Section, Run>> = { bench: bench.metrics ? (bench as Run) : undefined, realSize, [section]: run };
  await writeFile('bench/results.json', `${JSON.stringify({ ...runs.bench, ...(runs.realSize ? { realSize: runs.realSize } : {}) }, null, 2)}\n`);

  const text = await readOr('BENCHMARKS.md', '', (t) => t);
  const split = text.indexOf(`\n${SECTIONS.realSize.heading}\n`);
  const parts = { bench: split < 0 ? text : text.slice(0, split + 1), realSize: split < 0 ? '' : text.slice(split + 1) };
  parts[section] = markdown(section, run);
  await writeFile('BENCHMARKS.md', [parts.bench.trimEnd(), parts.realSize.trimEnd()].filter(Boolean).join('\n\n') + '\n');
}
