// One bench environment: three SIPp carriers and a fresh switch process on the bench config.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSwitch, type SwitchProcess } from '../../test/helpers/process.js';
import { track, stopProcess, procCpuMs, procRssMb, machineCpuMs } from './procs.js';
import { startUas, SHARED_SIPP, BENCH_SIPP, type Pin } from './sipp.js';

export const PORTS = { switch: 5060, carrierA: 5080, carrierB: 5081, carrierBusy: 5082, uac: 5071, directUas: 5090, directUac: 5072 } as const;

export interface Env {
  readonly sw: SwitchProcess | null;
  readonly uas: ChildProcess[];
  readonly pin: Pin | null;
  /** CPU ms used so far by the switch, the carriers, and the whole machine. */
  sample(): { sw: number; uas: number; machine: number };
  rssMb(): number;
  /** Calls SIPp started through this switch (INVITEs sent, finished or not; holds add to it). */
  placed: number;
  /** Stops everything; for a switch, then counts the CDRs and the balance it wrote to its store. */
  close(): Promise<StoreCheck | null>;
}

/** What the switch persisted: one CDR per call placed is expected, and a balance that went down. */
export interface StoreCheck { readonly placed: number; readonly cdrs: number; readonly balanceMinor: string }

function storeCheck(file: string, placed: number): StoreCheck | null {
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cdr_%'").all() as { name: string }[];
    let cdrs = 0;
    for (const t of tables) cdrs += (db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n;
    const acc = db.prepare("SELECT balance FROM accounts WHERE id = 'bench'").get() as { balance: number | bigint } | undefined;
    return { placed, cdrs, balanceMinor: acc ? String(acc.balance) : 'n/a' };
  } finally {
    db.close();
  }
}

/** Starts the carriers and (unless `direct`) a fresh switch on `configDir`; `pinned` puts the switch on CPU 0 and SIPp on CPU 1. */
export async function openEnv(configDir: string, o: { direct: boolean; pinned: boolean }): Promise<Env> {
  const pin: Pin | null = o.pinned ? { sippCpus: '1' } : null;
  const uas: ChildProcess[] = [];
  let sw: SwitchProcess | null = null;
  const data = mkdtempSync(join(tmpdir(), 'ssw-bench-data-'));
  try {
    if (o.direct) {
      uas.push(startUas('sipp uas direct', join(SHARED_SIPP, 'uas_rr.xml'), PORTS.directUas, pin));
    } else {
      uas.push(startUas('sipp carrier-a', join(SHARED_SIPP, 'uas_rr.xml'), PORTS.carrierA, pin));
      uas.push(startUas('sipp carrier-b', join(SHARED_SIPP, 'uas_rr.xml'), PORTS.carrierB, pin));
      uas.push(startUas('sipp carrier-busy', join(BENCH_SIPP, 'uas_503.xml'), PORTS.carrierBusy, pin));
      sw = await spawnSwitch(configDir, { SSW_DATA_DIR: data, SSW_DB_URL: `sqlite:${join(data, 'ssw.db')}` }, 20_000);
      track('switch', sw.child);
      // All threads of the switch (main, libuv, WASM compile) onto CPU 0.
      if (o.pinned) spawnSync('taskset', ['-a', '-p', '-c', '0', String(sw.child.pid)], { stdio: 'ignore' });
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const u of uas) if (u.exitCode !== null) throw new Error('bench: a SIPp carrier exited at start (port taken?)');
  } catch (err) {
    for (const u of uas) await stopProcess(u);
    if (sw) await stopProcess(sw.child);
    rmSync(data, { recursive: true, force: true });
    throw err;
  }
  const swPid = sw?.child.pid ?? 0;
  const env: Env = {
    sw, uas, pin, placed: 0,
    sample: () => ({ sw: swPid ? procCpuMs(swPid) : 0, uas: uas.reduce((a, u) => a + procCpuMs(u.pid!), 0), machine: machineCpuMs().busy }),
    rssMb: () => (swPid ? procRssMb(swPid) : 0),
    async close() {
      for (const u of uas) await stopProcess(u);
      // SIGTERM: the switch flushes its CDR journal into the store before it exits.
      if (sw) await stopProcess(sw.child, 'SIGTERM', 10_000);
      let check: StoreCheck | null = null;
      try {
        check = sw ? storeCheck(join(data, 'ssw.db'), env.placed) : null;
      } catch {
        check = null;
      }
      rmSync(data, { recursive: true, force: true });
      return check;
    },
  };
  return env;
}
