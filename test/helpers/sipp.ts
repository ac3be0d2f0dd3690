import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippResult {
  code: number | null;
  /** Calls SIPp started (an INVITE sent), finished or not. */
  created: number;
  successful: number;
  failed: number;
  retransmissions: number;
  stdout: string;
}

/** Starts a SIPp instance; `args` as on the command line. Resolves when it exits (its temp folder removed). */
export function runSipp(args: string[], timeoutMs: number): { child: ChildProcess; done: Promise<SippResult> } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stf = join(dir, 'stat.csv');
  const child = spawn('sipp', [...args, '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b) => (out += b.toString()));
  child.stderr!.on('data', (b) => (out += b.toString()));
  const done = new Promise<SippResult>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      const stats = readStats(stf);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, ...stats, stdout: out });
    });
  });
  return { child, done };
}

/** Reads the cumulative counters from the last line of SIPp's -trace_stat CSV (-1 when it wrote none). */
export function readStats(file: string): { created: number; successful: number; failed: number; retransmissions: number } {
  const none = { created: -1, successful: -1, failed: -1, retransmissions: -1 };
  if (!existsSync(file)) return none;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return none;
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? -1);
  return { created: col('TotalCallCreated'), successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), retransmissions: col('Retransmissions(C)') };
}
