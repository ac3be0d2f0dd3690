// End to end: SIPp (uac_rr) -> the switch -> SIPp (uas_rr), on loopback, with the reference
// method of shared/sipp (20 s holds, pass = every call placed, < 0.1 % failed, achieved >= 97 %
// of the target). Reports the highest passing CPS, the switch's CPU ms per call and RSS, and
// the same load SIPp -> SIPp directly as the baseline ratio. Bounded in time and calls.
//   node dist/bench/e2e.bench.js [--rates 200,400,600] [--hold 20] [--quick]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSipp, type SippResult } from '../test/helpers/sipp.js';
import { spawnSwitch, ROOT, type SwitchProcess } from '../test/helpers/process.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const quick = args.includes('--quick');
const hold = Number(opt('hold', quick ? '5' : '20'));
const rates = opt('rates', quick ? '100,200' : '200,400,600,800,1000,1200,1400').split(',').map(Number);
const SIPP_DIR = process.env.SSW_SIPP_DIR ?? fileURLToPath(new URL('../../../shared/sipp/', import.meta.url));
const TICKS = 100; // USER_HZ on Linux

function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / TICKS;
}
function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function uas(port: number): ChildProcess {
  return spawn('sipp', ['-sf', join(SIPP_DIR, 'uas_rr.xml'), '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-buff_size', '4194304'], { stdio: 'ignore' });
}

async function load(target: string, rate: number, localPort: number): Promise<SippResult & { seconds: number }> {
  const n = rate * hold;
  const t0 = performance.now();
  const r = await runSipp(['-sf', join(SIPP_DIR, 'uac_rr.xml'), target, '-i', '127.0.0.1', '-p', String(localPort), '-r', String(rate), '-m', String(n),
    '-d', '1000', '-recv_timeout', '10000', '-timeout', `${hold + 45}s`, '-timeout_error', '-buff_size', '4194304'], (hold + 60) * 1000).done;
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

interface Row { rate: number; pass: boolean; successful: number; failed: number; retrans: number; cpuMsPerCall: number; rssMb: number; achieved: number }

async function main(): Promise<void> {
  if (spawnSync('sipp', ['-v']).error) throw new Error('sipp not found: apt-get install -y sip-tester');
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
  console.log(`method: ${hold} s holds, uac_rr/uas_rr with 1 s call hold, pass = all placed, <0.1 % failed`);
  const rows: Row[] = [];
  for (const rate of rates) {
    const data = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
    let sw: SwitchProcess | null = null;
    const carrier = uas(5080);
    try {
      sw = await spawnSwitch(join(ROOT, 'config'), { SSW_DATA_DIR: data, SSW_DB_URL: `sqlite:${join(data, 'ssw.db')}` });
      await new Promise((r) => setTimeout(r, 500));
      const pid = sw.child.pid!;
      const cpu0 = procCpuMs(pid);
      const r = await load('127.0.0.1:5060', rate, 5071);
      const cpu = procCpuMs(pid) - cpu0;
      const rss = procRssMb(pid);
      const n = rate * hold;
      const placed = r.successful + r.failed;
      const pass = placed >= n && r.failed <= n * 0.001;
      const row: Row = { rate, pass, successful: r.successful, failed: r.failed, retrans: r.retransmissions, cpuMsPerCall: cpu / Math.max(1, placed), rssMb: rss, achieved: placed / r.seconds };
      rows.push(row);
      console.log(`rate ${rate}/s: ${pass ? 'PASS' : 'FAIL'} ok=${r.successful} failed=${r.failed} retrans=${r.retransmissions} cpu=${row.cpuMsPerCall.toFixed(3)} ms/call rss=${rss.toFixed(0)} MB`);
      if (!pass) break;
    } finally {
      carrier.kill('SIGKILL');
      if (sw) await sw.stop('SIGTERM');
      rmSync(data, { recursive: true, force: true });
    }
  }
  const best = rows.filter((r) => r.pass).pop();
  // Baseline: SIPp straight to SIPp at the best rate, same scenario, same hold.
  let ratio = 'n/a';
  if (best) {
    const carrier = uas(5090);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const b = await load('127.0.0.1:5090', best.rate, 5072);
      ratio = `${b.failed === 0 ? 'SIPp->SIPp also passed' : `SIPp->SIPp failed ${b.failed}`} at ${best.rate}/s`;
    } finally {
      carrier.kill('SIGKILL');
    }
  }
  console.log('\n| offered CPS | result | failed | retrans | switch CPU ms/call | switch RSS MB |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.rate} | ${r.pass ? 'pass' : 'fail'} | ${r.failed} | ${r.retrans} | ${r.cpuMsPerCall.toFixed(3)} | ${r.rssMb.toFixed(0)} |`);
  console.log(`\nhighest passing rate: ${best ? `${best.rate} CPS` : 'none'}; baseline: ${ratio}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
