// Every process the bench starts is registered here by PID and killed by PID at the end, on
// SIGINT/SIGTERM and on an uncaught error, so an interrupted run leaves nothing behind.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

const live = new Map<number, { name: string; child: ChildProcess }>();
let hooked = false;

/** Kills every process still registered (SIGKILL, by PID). Synchronous: safe in 'exit'. */
export function killAll(): void {
  for (const [pid, p] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    live.delete(pid);
    void p;
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping ${live.size} process(es) by PID\n`);
      killAll();
      process.exit(130);
    });
  }
}

/** Spawns a tracked process; it leaves the registry when it exits. */
export function spawnTracked(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  hook();
  const child = spawn(cmd, args, opts);
  if (child.pid === undefined) throw new Error(`bench: could not start ${name} (${cmd})`);
  const pid = child.pid;
  live.set(pid, { name, child });
  child.once('exit', () => live.delete(pid));
  return child;
}

/** Registers a process started elsewhere (the switch, via the test helper). */
export function track(name: string, child: ChildProcess): void {
  hook();
  if (child.pid === undefined) return;
  const pid = child.pid;
  live.set(pid, { name, child });
  child.once('exit', () => live.delete(pid));
}

/** Stops one tracked process: `signal` first, SIGKILL after `graceMs`. Resolves when it is gone. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL', graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  await gone;
  clearTimeout(t);
}

/** Names of tracked processes still running (the self-check wants none at the end). */
export function liveNames(): string[] {
  return [...live.values()].map((p) => p.name);
}

/** Resolves with the ports (udp/tcp on `ip`) that something else already holds. */
export async function takenPorts(ip: string, udp: number[], tcp: number[]): Promise<string[]> {
  const taken: string[] = [];
  for (const port of udp) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, ip, () => s.close(() => resolve(true)));
    });
    if (!ok) taken.push(`udp ${ip}:${port}`);
  }
  for (const port of tcp) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, ip, () => s.close(() => resolve(true)));
    });
    if (!ok) taken.push(`tcp ${ip}:${port}`);
  }
  return taken;
}

const TICKS = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(parts[11]) + Number(parts[12])) * 1000) / TICKS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in MiB; 0 once it is gone. */
export function procRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy and total CPU time of the whole machine so far, in ms (from /proc/stat). */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy part.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const busy = total - v[3]! - (v[4] ?? 0);
  return { busy: (busy * 1000) / TICKS, total: (total * 1000) / TICKS };
}

/**
 * Waits (at most `maxWaitMs`) until the machine is quiet: busy CPU over the last second below
 * `busyCores` cores. Returns the busy cores seen last, so the report can say how noisy it was.
 */
export async function waitQuiet(busyCores: number, maxWaitMs: number, sampleMs = 1000): Promise<{ busyCores: number; waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = machineCpuMs();
    await new Promise((r) => setTimeout(r, sampleMs));
    const b = machineCpuMs();
    const busy = (b.busy - a.busy) / sampleMs;
    const waited = performance.now() - t0;
    if (busy < busyCores || waited >= maxWaitMs) return { busyCores: busy, waitedMs: waited };
  }
}
