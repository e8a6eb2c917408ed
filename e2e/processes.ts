/**
 * The processes of a Chromium launched on a profile directory, found through
 * /proc (Linux only): the e2e tests kill its browser process, the bench reads
 * its renderer's memory. Chromium rewrites its children's command lines into
 * one space-separated string, hence the split on NUL and space.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ChromiumProcess {
  pid: number;
  /** `browser`, or the `--type=` of a child: renderer, gpu-process, utility, zygote. */
  type: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // The process ended while we looked.
  }
}

/** Every live process started with `--user-data-dir=<profile>`. */
export function chromiumProcesses(profile: string): ChromiumProcess[] {
  const found: ChromiumProcess[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const args = read(`/proc/${entry}/cmdline`)?.split(/[\0 ]/) ?? [];
    if (!args.includes(`--user-data-dir=${profile}`)) continue;
    const type = args.find((arg) => arg.startsWith('--type='))?.slice('--type='.length) ?? 'browser';
    found.push({ pid: Number(entry), type });
  }
  return found;
}

/** Resident memory of a process in bytes, 0 once it is gone. */
export function residentBytes(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
  return kib ? Number(kib) * 1024 : 0;
}
