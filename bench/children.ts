/**
 * What the benches share about other processes: running a bench script in a process of its own
 * and reading its figures, and a process's CPU time and RSS from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './report.js';

/**
 * Runs `dist/bench/<script>` in a process of its own; `done` resolves with the JSON of its last
 * stdout line starting with `{` (its figures). `onLine` hears the other lines (the load generator
 * says `measuring` when its warm-up is over). `stop()` ends its stdin (the prober stops on that).
 */
export function benchScript<Figures = Record<string, unknown>>(script: string, args: string[], onLine?: (line: string) => void): { done: Promise<Figures>; stop(): void } {
  // --no-warnings: a warm load generator has had more than 1,500 fetches on its transport's
  // AbortSignal, and undici drops each one's abort listener only when the request is collected.
  const p = spawn(process.execPath, ['--no-warnings', join(root, 'dist/bench', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let last = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith('{')) last = line;
      else onLine?.(line);
    }
  });
  const done = new Promise<Figures>((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(JSON.parse(last || out) as Figures) : reject(new Error(`${script} exited ${code}`)))));
  return { done, stop: () => p.stdin.end() };
}

/** CPU time (user + system) of a process so far, ms, from /proc. */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A process's resident memory now, MB. */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}
