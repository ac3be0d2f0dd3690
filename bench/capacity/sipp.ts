// SIPp as carriers (UAS) and as the customer (UAC), with the counters the pass rule needs.
import { type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopProcess } from './procs.js';
import { readStats } from '../../test/helpers/sipp.js';

/** shared/sipp (the reference scenarios) and bench/sipp (ours), as source folders. */
export const SHARED_SIPP = process.env.SSW_SIPP_DIR ?? fileURLToPath(new URL('../../../../shared/sipp/', import.meta.url));
export const BENCH_SIPP = fileURLToPath(new URL('../../../bench/sipp/', import.meta.url));

export interface Pin {
  /** `taskset -c <cpus>` prefix for SIPp processes; null = not pinned. */
  readonly sippCpus: string | null;
}

function cmd(pin: Pin | null, args: string[]): [string, string[]] {
  return pin?.sippCpus ? ['taskset', ['-c', pin.sippCpus, 'sipp', ...args]] : ['sipp', args];
}

/** Starts a SIPp UAS on 127.0.0.1:`port` running `scenario` until stopped. */
export function startUas(name: string, scenario: string, port: number, pin: Pin | null = null): ChildProcess {
  const [c, a] = cmd(pin, ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-buff_size', '4194304', '-max_socket', '65000']);
  return spawnTracked(name, c, a, { stdio: 'ignore', cwd: tmpdir() });
}

/**
 * Writes a SIPp injection file of `n` callees: 10 % 004420..., 60 % 00447..., 30 % 0033...,
 * each ending in a unique 7-digit call index so a capture can match the INVITE in to the INVITE out.
 */
export function writeCallees(dir: string, n: number): string {
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    const head = k === 0 ? '004420' : k <= 6 ? '00447' : '0033';
    lines.push(`${head}${String(i).padStart(7, '0')};`);
  }
  const file = join(dir, 'callees.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface UacOptions {
  readonly target: string;
  readonly localPort: number;
  readonly rate: number;
  readonly calls: number;
  readonly holdMs: number;
  /** Callee list (writeCallees); null = the shared uac_rr.xml with `-s 4479000000`. */
  readonly callees: string | null;
  readonly timeoutS: number;
  readonly pin?: Pin | null;
  /** Called with the SIPp child as soon as it runs (for CPU sampling). */
  readonly onStart?: (child: ChildProcess) => void;
}

export interface UacResult {
  readonly code: number | null;
  /** Calls SIPp started (INVITE sent), whether they finished before it stopped or not. */
  readonly created: number;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  /** Calls per second actually placed, from the spread of the 200 OK timestamps. */
  readonly achievedCps: number;
  /** INVITE -> 200 OK as SIPp saw it, in ms (SIPp's resolution is 1 ms). */
  readonly rtdMs: number[];
  readonly sippCpuMs: number;
  readonly tail: string;
}

/** Runs one SIPp UAC to completion (bounded by `timeoutS`) and reads its counters. */
export async function runUac(o: UacOptions): Promise<UacResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-sipp-'));
  const stf = join(dir, 'stat.csv');
  const scenario = o.callees ? ['-sf', join(BENCH_SIPP, 'uac_bench.xml'), '-inf', o.callees] : ['-sf', join(SHARED_SIPP, 'uac_rr.xml'), '-s', '4479000000'];
  const args = [...scenario, o.target, '-i', '127.0.0.1', '-p', String(o.localPort), '-r', String(o.rate), '-m', String(o.calls),
    '-d', String(o.holdMs), '-recv_timeout', '10000', '-timeout', `${o.timeoutS}s`, '-timeout_error', '-buff_size', '4194304',
    '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', '-trace_rtt', '-rtt_freq', '200', '-max_socket', '65000'];
  const [c, a] = cmd(o.pin ?? null, args);
  const child = spawnTracked('sipp uac', c, a, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
  o.onStart?.(child);
  let cpu = 0;
  const sampler = setInterval(() => {
    cpu = Math.max(cpu, readCpu(child.pid!));
  }, 250);
  const killer = setTimeout(() => void stopProcess(child, 'SIGKILL'), (o.timeoutS + 15) * 1000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c2) => r(c2)));
  clearTimeout(killer);
  clearInterval(sampler);
  const st = readStats(stf);
  const rtt = readRtt(dir);
  rmSync(dir, { recursive: true, force: true });
  return { code, ...st, achievedCps: rtt.achieved, rtdMs: rtt.rtd, sippCpuMs: cpu, tail: out.slice(-1500) };
}

function readCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const p = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(p[11]) + Number(p[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Per-call response times (-trace_rtt) and the placing rate they imply. */
function readRtt(dir: string): { rtd: number[]; achieved: number } {
  const f = readdirSync(dir).find((n) => n.endsWith('_rtt.csv'));
  if (!f) return { rtd: [], achieved: 0 };
  const rows = readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1);
  const at: number[] = [];
  const rtd: number[] = [];
  for (const r of rows) {
    const [d, t] = r.split(';');
    if (d === undefined || t === undefined) continue;
    at.push(Number(d));
    rtd.push(Number(t));
  }
  at.sort((a, b) => a - b);
  const span = at.length > 1 ? at[at.length - 1]! - at[0]! : 0;
  // n answers spread over `span` ms were placed at (n - 1) / span per ms.
  return { rtd, achieved: span > 0 ? ((at.length - 1) * 1000) / span : 0 };
}
