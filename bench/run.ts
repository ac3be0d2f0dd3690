// The capacity bench (`npm run bench [-- options]`): SIPp customer -> the switch on bench/config ->
// three SIPp carriers, on loopback; maximum sustained CPS (repeated searches), CPU per call at
// fixed rates (also pinned), latency on the wire, concurrent calls and memory, RSS, and SIPp ->
// SIPp as the baseline. Writes a report folder and refuses to finish if the report is incomplete.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Command } from 'commander';
import { ROOT } from '../test/helpers/process.js';
import { killAll, liveNames, takenPorts, waitQuiet } from './capacity/procs.js';
import { openEnv, PORTS, type Env, type StoreCheck } from './capacity/env.js';
import { writeCallees, runUac } from './capacity/sipp.js';
import { hold, search, type HoldOptions, type HoldResult, type SearchResult } from './capacity/hold.js';
import { startCapture, stopCapture, switchDelays } from './capacity/latency.js';
import { quantile, spread } from './capacity/stats.js';
import { writeReport, checkReport, type CpuPoint, type LatencyPoint, type HeldPoint, type Results } from './capacity/report.js';

const program = new Command()
  .name('npm run bench --')
  .description('Capacity bench: SIPp through the switch on loopback; writes a report folder (see bench/README.md).')
  .option('--quick', 'smoke run (< 2 min): short holds, one search, low rates; checks the report is complete, not the speed')
  .option('--hold <s>', 'seconds of each hold (default 20, quick 3)')
  .option('--searches <n>', 'repeated CPS searches, each on a fresh switch (default 3, quick 1)')
  .option('--start <cps>', 'first rate of the ramp (default 200, quick 100)')
  .option('--cap <cps>', 'highest rate tried (default 4000, quick 400)')
  .option('--cpu-rates <list>', 'fixed rates for CPU per call (default 300,600,1000; quick 100,200)')
  .option('--pinned-rates <list>', 'fixed rates for the pinned variant (default 300,600; quick 200; "" = none)')
  .option('--reps <n>', 'repeated holds per fixed rate (default 3, quick 2)')
  .option('--held <list>', 'concurrent calls to hold (default 10000,50000; quick 400)')
  .option('--held-max-s <s>', 'time bound of one concurrency run (default 150, quick 15)')
  .option('--no-baseline', 'skip the SIPp -> SIPp baseline')
  .option('--no-latency', 'skip the wire capture')
  .option('--noise <cores>', 'foreign CPU (cores) above which a hold is noisy (default 0.35)')
  .option('--out <dir>', 'report folder (default bench/results/<date>[-quick])')
  .parse();
const o = program.opts<Record<string, string | boolean | undefined>>();
const quick = o.quick === true;
const num = (k: string, full: number, q: number) => (o[k] !== undefined ? Number(o[k]) : quick ? q : full);
const list = (k: string, full: string, q: string) => String(o[k] ?? (quick ? q : full)).split(',').filter((s) => s.trim() !== '').map(Number);

const holdS = num('hold', 20, 3);
const searches = num('searches', 3, 1);
const start = num('start', 200, 100);
const cap = num('cap', 4000, 400);
const cpuRates = list('cpuRates', '300,600,1000', '100,200');
const pinnedRates = list('pinnedRates', '300,600', '200');
const reps = num('reps', 3, 2);
const heldTargets = list('held', '10000,50000', '400');
const heldMaxS = num('heldMaxS', 150, 15);
const noiseCores = o.noise !== undefined ? Number(o.noise) : 0.35;
const callHoldMs = 1000;
const configDir = join(ROOT, 'bench', 'config');
const started = new Date();
const outDir = String(o.out ?? join(ROOT, 'bench', 'results', `${started.toISOString().slice(0, 10)}${quick ? '-quick' : ''}`));
const t0 = performance.now();

/** One progress line: what the runner is doing, and how long it has been at it. */
function progress(msg: string): void {
  const s = Math.round((performance.now() - t0) / 1000);
  const line = `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}`;
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
}

function machine(): Results['machine'] {
  const sipp = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  return {
    cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: totalmem() / 2 ** 30, node: process.version, kernel: release(),
    sipp: (sipp.stdout || sipp.stderr || '').split('\n').map((l) => l.trim()).find((l) => l.startsWith('SIPp')) ?? 'SIPp',
  };
}

async function main(): Promise<number> {
  if (spawnSync('sipp', ['-v']).error) {
    console.error('bench: sipp not found. Install the load generator: apt-get install -y sip-tester');
    return 2;
  }
  const taken = await takenPorts('127.0.0.1', Object.values(PORTS), []);
  if (taken.length) {
    console.error(`bench: refusing to start, ports in use: ${taken.join(', ')} (another switch, SIPp or bench running?)`);
    return 2;
  }
  const notes: string[] = [];
  const quietBefore: number[] = [];
  const quiet = async () => {
    progress('waiting for the machine to be quiet');
    const q = await waitQuiet(0.5, quick ? 600 : 30_000, quick ? 300 : 1000);
    quietBefore.push(q.busyCores);
  };
  const work = mkdtempSync(join(tmpdir(), 'ssw-bench-run-'));
  // Enough distinct callees that a capture window never sees the same 7-digit tail twice.
  const callees = writeCallees(work, Math.min(2_000_000, Math.max(60_000, cap * holdS + 10)));
  const hopt = (kind: string): HoldOptions => ({ kind, holdS, callHoldMs, callees, noiseCores, retries: quick ? 0 : 1, onProgress: progress });
  const stores: StoreCheck[] = [];
  const idleRss: number[] = [];
  const loadRss: number[] = [];
  const switchEnv = (pinned = false) => async (): Promise<Env> => {
    const e = await openEnv(configDir, { direct: false, pinned });
    await new Promise((r) => setTimeout(r, quick ? 500 : 1000));
    idleRss.push(e.rssMb());
    return e;
  };

  // 1. Maximum sustained CPS, searched `searches` times, each on a fresh switch.
  const found: SearchResult[] = [];
  for (let i = 0; i < searches; i++) {
    await quiet();
    progress(`CPS search ${i + 1}/${searches}: ramp from ${start} CPS, ${holdS} s holds`);
    const s = await search(switchEnv(), { ...hopt('switch'), start, cap, within: quick ? 0 : 0.05, maxHolds: quick ? 3 : 8 });
    for (const h of s.holds) loadRss.push(h.rssMb);
    stores.push(...s.stores);
    found.push(s);
  }
  const max = spread(found.map((s) => s.max));
  const cleanMax = spread(found.map((s) => s.cleanMax));
  if (found.some((s) => s.firstFail === Infinity)) notes.push(`A search reached the cap (${cap} CPS) without a failure: the maximum is at least that; raise --cap.`);

  // 2. Baseline: SIPp -> SIPp, same method, one search.
  let baseline: SearchResult | null = null;
  if (o.baseline !== false) {
    await quiet();
    progress('baseline: SIPp -> SIPp');
    baseline = await search(() => openEnv(configDir, { direct: true, pinned: false }),
      { ...hopt('direct'), callees: null, start: quick ? cap * 2 : Math.max(start, Math.round(max.median || start)), cap: quick ? cap * 2 : cap * 3, within: quick ? 0 : 0.05, maxHolds: quick ? 1 : 5 });
  }

  // 3. CPU per call at fixed rates (below the maximum), unpinned and pinned; repeated holds.
  const cpu: CpuPoint[] = [];
  const fixed = async (rates: number[], pinned: boolean) => {
    if (pinned && cpus().length < 2) {
      notes.push('Pinned variant skipped: it needs two cores.');
      return;
    }
    for (const rate of rates) {
      if (max.median > 0 && rate > max.median) notes.push(`CPU per call at ${rate} CPS${pinned ? ' (pinned)' : ''} is above the measured maximum (${max.median}); the figure includes overload.`);
      await quiet();
      const e = await switchEnv(pinned)();
      const hs: HoldResult[] = [];
      try {
        for (let k = 0; k < reps; k++) {
          progress(`CPU per call at ${rate} CPS${pinned ? ', pinned' : ''}: hold ${k + 1}/${reps}`);
          hs.push(await hold(e, rate, hopt(pinned ? 'cpu pinned' : 'cpu')));
        }
      } finally {
        const c = await e.close();
        if (c) stores.push(c);
      }
      for (const h of hs) loadRss.push(h.rssMb);
      cpu.push({ rate, pinned, perCall: spread(hs.map((h) => h.switchCpuMsPerCall)), holds: hs });
    }
  };
  await fixed(cpuRates, false);
  await fixed(pinnedRates, true);

  // 4. Latency on the wire at 50 % and 90 % of the maximum.
  const latency: LatencyPoint[] = [];
  if (o.latency !== false && max.median > 0) {
    if (spawnSync('dumpcap', ['-v']).error) notes.push('Latency skipped: dumpcap (package tshark) not installed.');
    else {
      for (const share of [0.5, 0.9]) {
        const rate = Math.max(1, Math.round(max.median * share));
        await quiet();
        const e = await switchEnv()();
        try {
          const pcap = join(work, `lat-${share}.pcap`);
          const cap2 = startCapture(pcap, [PORTS.switch], holdS + 8);
          await cap2.ready;
          progress(`latency at ${share * 100} % of max (${rate} CPS), capturing on lo`);
          const h = await hold(e, rate, { ...hopt('latency'), retries: 0 });
          await stopCapture(cap2);
          const d = switchDelays(pcap, PORTS.switch);
          latency.push({ share, rate, hold: h, invitesIn: d.invitesIn, matched: d.inviteMs.length,
            inviteP50: quantile(d.inviteMs, 0.5), inviteP90: quantile(d.inviteMs, 0.9), inviteP99: quantile(d.inviteMs, 0.99),
            tryingP50: quantile(d.tryingMs, 0.5), tryingP90: quantile(d.tryingMs, 0.9) });
          rmSync(pcap, { force: true });
        } finally {
          await e.close();
        }
      }
      notes.push('Latency holds run with dumpcap capturing on lo, which costs some CPU of its own.');
    }
  }

  // 5. Concurrent calls held: a long call hold so that N calls are up at once; RSS per call.
  const held: HeldPoint[] = [];
  const heldRate = Math.max(50, Math.min(1000, Math.round((max.median || start) * 0.5)));
  for (const target of heldTargets) {
    let n = target;
    let note = `placed at ${heldRate} CPS`;
    // Build-up takes n / rate seconds and the calls last as long again: keep it inside the bound.
    if ((2 * n) / heldRate + 10 > heldMaxS) {
      n = Math.max(heldRate, Math.floor(((heldMaxS - 10) * heldRate) / 2));
      note = `reduced from ${target} to stay within ${heldMaxS} s (--held-max-s); placed at ${heldRate} CPS`;
    }
    await quiet();
    const e = await switchEnv()();
    try {
      const idle = e.rssMb();
      const buildS = n / heldRate;
      const callMs = Math.round(buildS * 1000 + 4000);
      progress(`concurrency: ${n} calls held (${buildS.toFixed(0)} s to build up)`);
      let atPeak = idle;
      // RSS is read 2 s after the last call was placed: every call is up then.
      const reader = setTimeout(() => (atPeak = e.rssMb()), buildS * 1000 + 2000);
      const r = await runUac({ target: `127.0.0.1:${PORTS.switch}`, localPort: PORTS.uac, rate: heldRate, calls: n, holdMs: callMs, callees,
        timeoutS: Math.ceil(buildS + callMs / 1000 + 30), pin: null });
      clearTimeout(reader);
      const failed = Math.max(0, r.failed);
      held.push({ target, held: n, rssMb: atPeak, idleRssMb: idle, perCallKiB: ((atPeak - idle) * 1024) / Math.max(1, n - failed), failed, note });
    } finally {
      await e.close();
    }
  }

  const results: Results = {
    quick, started: started.toISOString(), finishedS: (performance.now() - t0) / 1000, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    method: {
      'hold per rate (s)': holdS, 'call hold ms': callHoldMs, searches, 'ramp start CPS': start, 'cap CPS': cap,
      'narrow to within': quick ? 'no narrowing (quick)' : '5 %', 'pass rule': 'all calls placed, < 0.1 % failed, achieved >= 97 % of target',
      'repeated holds per fixed rate': reps, 'noise threshold (foreign cores)': noiseCores, 'fresh switch': 'per search and per fixed-rate series',
    },
    searches: found, max, cleanMax, baseline, stores, heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20, cpu, latency, held, idleRssMb: spread(idleRss), loadRssMb: spread(loadRss), quietBefore, notes,
  };
  if (quick) notes.unshift('Quick run: 3 s holds and low rates. It checks the bench works end to end; its figures are not capacity figures.');
  const file = writeReport(outDir, results);
  rmSync(work, { recursive: true, force: true });
  progress('done\n');
  const left = liveNames();
  if (left.length) notes.push(`processes still running at the end: ${left.join(', ')}`);
  const missing = checkReport(outDir);
  console.log(`report: ${file}`);
  console.log(`max sustained CPS ${max.median} (${max.min}-${max.max}, n=${max.n}); clean max ${cleanMax.median}; baseline ${baseline?.max ?? 'n/a'}`);
  if (missing.length || left.length) {
    console.error(`bench: report incomplete: ${[...missing, ...left.map((l) => `still running: ${l}`)].join('; ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
